// SPDX-License-Identifier: MIT
/*
 * racing.c - racing creators.
 *
 * Several processes call the get function of one type on the same key at
 * the same moment (a process-shared barrier starts each round), 1000
 * rounds, a new key per round:
 * - with IPC_CREAT they must all get one and the same id;
 * - with IPC_CREAT|IPC_EXCL exactly one wins and the others get EEXIST;
 * - whoever gets an id inspects the object at once (IPC_STAT and, for
 *   sets, GETALL), and an observer that looks the key up without
 *   IPC_CREAT, spinning until it appears, does the same: nobody may ever
 *   see a half-initialised object (wrong size, nsems, mode, key, values).
 */
#include <pthread.h>
#include <sched.h>

#include "helpers.h"

#define NCREAT	3		/* racing creators */
#define NPROC	(NCREAT + 1)	/* plus one observer */
#define ROUNDS	1000
#define NSEMS	5
#define SHMSZ	10000		/* not a multiple of the page size */
#define MODE	0640

enum { T_MSG, T_SEM, T_SHM };

struct race {
	pthread_barrier_t bar;
	int type;
	bool excl;
	key_t key0;
	long msgmnb;
	pid_t pids[NPROC];
	int ids[ROUNDS][NPROC];
	int errs[ROUNDS][NPROC];
	int bad;			/* first problem seen, 0 if none */
	char why[256];
};

static struct race *R;

TestSuite(racing, .init = t_setup, .fini = t_teardown, .timeout = 300);

static void report(const char *fmt, ...)
{
	va_list ap;

	if (__atomic_exchange_n(&R->bad, 1, __ATOMIC_SEQ_CST))
		return;
	va_start(ap, fmt);
	vsnprintf(R->why, sizeof(R->why), fmt, ap);
	va_end(ap);
}

static int get(int type, key_t key, int flags)
{
	switch (type) {
	case T_MSG:
		return uipc_msgget(key, flags);
	case T_SEM:
		return uipc_semget(key, flags & IPC_CREAT ? NSEMS : 0, flags);
	default:
		return uipc_shmget(key, flags & IPC_CREAT ? SHMSZ : 0, flags);
	}
}

static int rmid(int type, int id)
{
	switch (type) {
	case T_MSG:
		return uipc_msgctl(id, IPC_RMID, NULL);
	case T_SEM:
		return uipc_semctl(id, 0, IPC_RMID);
	default:
		return uipc_shmctl(id, IPC_RMID, NULL);
	}
}

/* Look at a freshly obtained object; report anything half-made. */
static void inspect(int round, int who, int id, key_t key)
{
	struct ipc_perm *perm;
	struct msqid_ds mds;
	struct semid_ds sds;
	struct shmid_ds hds;
	union t_semun a;
	unsigned short vals[NSEMS];

	switch (R->type) {
	case T_MSG:
		if (uipc_msgctl(id, IPC_STAT, &mds) < 0) {
			report("round %d proc %d: IPC_STAT of new queue %d: %s",
			       round, who, id, t_errname(errno));
			return;
		}
		perm = &mds.msg_perm;
		if (mds.msg_qnum != 0 || mds.msg_cbytes != 0 ||
		    (long)mds.msg_qbytes != R->msgmnb || mds.msg_stime != 0 ||
		    mds.msg_ctime == 0)
			report("round %d proc %d: queue %d half made: qnum %lu "
			       "cbytes %lu qbytes %lu (want %ld) stime %ld "
			       "ctime %ld", round, who, id,
			       (unsigned long)mds.msg_qnum,
			       (unsigned long)mds.msg_cbytes,
			       (unsigned long)mds.msg_qbytes, R->msgmnb,
			       (long)mds.msg_stime, (long)mds.msg_ctime);
		break;
	case T_SEM:
		a.buf = &sds;
		if (uipc_semctl(id, 0, IPC_STAT, a) < 0) {
			report("round %d proc %d: IPC_STAT of new set %d: %s",
			       round, who, id, t_errname(errno));
			return;
		}
		perm = &sds.sem_perm;
		if (sds.sem_nsems != NSEMS || sds.sem_otime != 0 ||
		    sds.sem_ctime == 0)
			report("round %d proc %d: set %d half made: nsems %lu "
			       "otime %ld ctime %ld", round, who, id,
			       (unsigned long)sds.sem_nsems,
			       (long)sds.sem_otime, (long)sds.sem_ctime);
		memset(vals, 0xff, sizeof(vals));
		a.array = vals;
		if (uipc_semctl(id, 0, GETALL, a) < 0) {
			report("round %d proc %d: GETALL of new set %d: %s",
			       round, who, id, t_errname(errno));
			return;
		}
		for (int i = 0; i < NSEMS; i++)
			if (vals[i] != 0)
				report("round %d proc %d: set %d sem %d = %u",
				       round, who, id, i, vals[i]);
		break;
	default:
		if (uipc_shmctl(id, IPC_STAT, &hds) < 0) {
			report("round %d proc %d: IPC_STAT of new segment %d: "
			       "%s", round, who, id, t_errname(errno));
			return;
		}
		perm = &hds.shm_perm;
		bool cpid_ok = false;

		for (int i = 0; i < NCREAT; i++)
			cpid_ok |= hds.shm_cpid == R->pids[i];
		if (hds.shm_segsz != SHMSZ || hds.shm_nattch != 0 ||
		    hds.shm_atime != 0 || hds.shm_ctime == 0 || !cpid_ok)
			report("round %d proc %d: segment %d half made: segsz "
			       "%zu nattch %lu atime %ld ctime %ld cpid %d",
			       round, who, id, hds.shm_segsz,
			       (unsigned long)hds.shm_nattch,
			       (long)hds.shm_atime, (long)hds.shm_ctime,
			       (int)hds.shm_cpid);
		break;
	}
	if (perm->__key != key || (perm->mode & 0777) != MODE ||
	    perm->uid != geteuid() || perm->cuid != geteuid() ||
	    perm->gid != getegid() || perm->cgid != getegid())
		report("round %d proc %d: object %d perm half made: key %#x "
		       "(want %#x) mode %#o uid %u cuid %u gid %u cgid %u",
		       round, who, id, (unsigned)perm->__key, (unsigned)key,
		       perm->mode, perm->uid, perm->cuid, perm->gid,
		       perm->cgid);
}

static int racer(void *arg)
{
	int who = (int)(intptr_t)arg;
	int flags = IPC_CREAT | MODE | (R->excl ? IPC_EXCL : 0);

	R->pids[who] = getpid();
	for (int r = 0; r < ROUNDS; r++) {
		key_t key = R->key0 + r;
		int id;

		pthread_barrier_wait(&R->bar);
		if (who < NCREAT) {
			errno = 0;
			id = get(R->type, key, flags);
			R->errs[r][who] = id < 0 ? errno : 0;
		} else {
			/* the observer: spin until the key appears */
			int64_t dl = t_now_ns() + 20 * 1000000000LL;

			while ((id = get(R->type, key, 0)) < 0 &&
			       errno == ENOENT && t_now_ns() < dl)
				sched_yield();
			R->errs[r][who] = id < 0 ? errno : 0;
		}
		R->ids[r][who] = id;
		if (id >= 0)
			inspect(r, who, id, key);
		pthread_barrier_wait(&R->bar);
		if (who == 0) {
			/* remove every distinct id this round produced */
			for (int i = 0; i < NPROC; i++) {
				bool dup = false;

				for (int j = 0; j < i; j++)
					dup |= R->ids[r][j] == R->ids[r][i];
				if (R->ids[r][i] >= 0 && !dup &&
				    rmid(R->type, R->ids[r][i]) < 0)
					report("round %d: IPC_RMID %d: %s", r,
					       R->ids[r][i], t_errname(errno));
			}
		}
	}
	return 0;
}

static void race(int type, bool excl)
{
	pthread_barrierattr_t ba;
	pid_t pids[NPROC];
	char buf[32];

	R = t_shared(sizeof(*R));
	R->type = type;
	R->excl = excl;
	R->key0 = 0x1000000 * (1 + type) + (excl ? 0x100000 : 0);
	R->msgmnb = 16384;
	if (t_read_file("/proc/sys/kernel/msgmnb", buf, sizeof(buf) - 1) > 0)
		R->msgmnb = atol(buf);
	pthread_barrierattr_init(&ba);
	pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED);
	pthread_barrier_init(&R->bar, &ba, NPROC);
	for (int i = 0; i < NPROC; i++)
		pids[i] = t_spawn(racer, (void *)(intptr_t)i);
	for (int i = 0; i < NPROC; i++)
		t_wait_ok_ms(pids[i], 240000);
	cr_assert(!R->bad, "%s", R->why);

	for (int r = 0; r < ROUNDS; r++) {
		int winners = 0, id = -1;

		for (int i = 0; i < NPROC; i++) {
			int got = R->ids[r][i], e = R->errs[r][i];

			if (i == NCREAT || !excl) {
				/* must have got the object */
				cr_assert(got >= 0, "round %d proc %d: got %d/%s",
					  r, i, got, t_errname(e));
				if (id < 0)
					id = got;
				cr_assert_eq(got, id, "round %d: proc %d got id "
					     "%d, another got %d", r, i, got,
					     id);
				continue;
			}
			if (got >= 0) {
				winners++;
				if (id < 0)
					id = got;
				cr_assert_eq(got, id, "round %d: winner %d got "
					     "%d, observer %d", r, i, got, id);
			} else {
				cr_assert_eq(e, EEXIST, "round %d proc %d: "
					     "expected EEXIST, got %s", r, i,
					     t_errname(e));
			}
		}
		if (excl)
			cr_assert_eq(winners, 1, "round %d: %d winners with "
				     "IPC_EXCL", r, winners);
	}
	cr_assert_eq(t_ns_count(NULL), 0, "objects left in the namespace");
}

Test(racing, msg_creat_agree)
{
	race(T_MSG, false);
}

Test(racing, msg_excl_one_winner)
{
	race(T_MSG, true);
}

Test(racing, sem_creat_agree)
{
	race(T_SEM, false);
}

Test(racing, sem_excl_one_winner)
{
	race(T_SEM, true);
}

Test(racing, shm_creat_agree)
{
	race(T_SHM, false);
}

Test(racing, shm_excl_one_winner)
{
	race(T_SHM, true);
}

/*
 * A segment that a racing creator publishes must be usable by an observer
 * at once: attach it, find it zero-filled and of the full size, and see
 * another process's writes.
 */
static int shm_attacher(void *arg)
{
	key_t key = (key_t)(intptr_t)arg;
	int64_t dl = t_now_ns() + 20 * 1000000000LL;
	unsigned char *p;
	int id;

	while ((id = uipc_shmget(key, 0, 0)) < 0 && errno == ENOENT &&
	       t_now_ns() < dl)
		sched_yield();
	CHILD_CHECK(id >= 0);
	p = uipc_shmat(id, NULL, 0);
	CHILD_CHECK(p != (void *)-1);
	for (int i = 0; i < SHMSZ; i++)
		CHILD_CHECK(p[i] == 0 || p[i] == 0xab, "byte %d = %#x", i, p[i]);
	CHILD_OK(uipc_shmdt(p));
	return 0;
}

Test(racing, shm_observer_attaches_complete_segment)
{
	for (int r = 0; r < 200; r++) {
		key_t key = 0x7000000 + r;
		pid_t obs = t_spawn(shm_attacher, (void *)(intptr_t)key);
		int id = (int)assert_ok(uipc_shmget(key, SHMSZ,
						    IPC_CREAT | IPC_EXCL |
						    0600));
		unsigned char *p = uipc_shmat(id, NULL, 0);

		cr_assert(p != (void *)-1, "shmat: %s", t_errname(errno));
		memset(p, 0xab, SHMSZ);
		t_wait_ok(obs);
		assert_ok(uipc_shmdt(p));
		assert_ok(uipc_shmctl(id, IPC_RMID, NULL));
	}
}
