// SPDX-License-Identifier: MIT
/*
 * crash.c - kill -9 robustness.
 *
 * A process killed with SIGKILL runs no code, so whatever it left in the
 * object files (SEM_UNDO adjustments, a blocked-waiter entry, an
 * attachment, a half-done update under the object lock) must be repaired
 * by the next process that operates on the object, with the result the
 * kernel gives: the undo applied, GETNCNT/GETZCNT and shm_nattch dropped,
 * a removed segment destroyed with its last attacher.  The kernel does all
 * this before the dead process becomes a zombie, so the checks are made
 * right after the kill is reaped (or, in the _zombie tests, right after
 * the process is a zombie, before it is reaped).
 *
 * The torture tests kill random workers hammering one set or one queue,
 * respawn them, and check invariants that hold whatever the timing:
 * conservation of semaphore tokens, at-most-once delivery with checksums,
 * counters that match the contents, and progress between kills (a wedged
 * object fails the test by deadline rather than by hanging it).
 */
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <limits.h>

#include "helpers.h"
#include "../../src/compat.h"
#include "../../src/layout.h"

TestSuite(crash, .init = t_setup, .fini = t_teardown, .timeout = 240);

static int g_id;
static struct t_pipe g_pipe;

static void park(void)
{
	for (;;)
		pause();
}

/* ---------------------------------------------------------- SEM_UNDO */

static int undo_holder(void *arg)
{
	struct sembuf ops[2] = { { 0, 3, SEM_UNDO }, { 1, -2, SEM_UNDO } };

	(void)arg;
	CHILD_OK(uipc_semop(g_id, ops, 2));
	t_signal_byte(g_pipe, 'r');
	park();
	return 0;
}

static pid_t start_undo_holder(void)
{
	pid_t pid;

	g_id = (int)assert_ok(uipc_semget(IPC_PRIVATE, 2, 0600));
	assert_ok(t_setval(g_id, 1, 5));
	g_pipe = t_pipe_new();
	pid = t_spawn(undo_holder, NULL);
	cr_assert_eq(t_wait_byte(g_pipe), 'r', "holder did not start");
	cr_assert_eq(t_semval(g_id, 0), 3);
	cr_assert_eq(t_semval(g_id, 1), 3);
	return pid;
}

Test(crash, undo_applied_after_sigkill_getval)
{
	t_kill_wait(start_undo_holder());
	cr_assert_eq(t_semval(g_id, 0), 0, "sem 0 = %d after the holder died",
		     t_semval(g_id, 0));
	cr_assert_eq(t_semval(g_id, 1), 5, "sem 1 = %d after the holder died",
		     t_semval(g_id, 1));
	assert_ok(uipc_semctl(g_id, 0, IPC_RMID));
}

Test(crash, undo_applied_after_sigkill_semop)
{
	struct sembuf take0 = { 0, -1, IPC_NOWAIT };
	struct sembuf take1 = { 1, -5, IPC_NOWAIT };

	t_kill_wait(start_undo_holder());
	/* the first thing after the death is a semop */
	assert_errno(uipc_semop(g_id, &take0, 1), EAGAIN);
	assert_ok(uipc_semop(g_id, &take1, 1));
	cr_assert_eq(t_semval(g_id, 1), 0);
	assert_ok(uipc_semctl(g_id, 0, IPC_RMID));
}

Test(crash, undo_applied_zombie)
{
	pid_t pid = start_undo_holder();

	t_kill_zombie(pid);
	cr_assert_eq(t_semval(g_id, 0), 0, "sem 0 = %d with the holder a "
		     "zombie", t_semval(g_id, 0));
	cr_assert_eq(t_semval(g_id, 1), 5);
	t_wait_status(pid);
	assert_ok(uipc_semctl(g_id, 0, IPC_RMID));
}

static int undo_two_sets(void *arg)
{
	int other = (int)(intptr_t)arg;
	struct sembuf up = { 0, 1, SEM_UNDO };

	CHILD_OK(uipc_semop(g_id, &up, 1));
	CHILD_OK(uipc_semop(other, &up, 1));
	up.sem_num = 1;
	CHILD_OK(uipc_semop(other, &up, 1));
	t_signal_byte(g_pipe, 'r');
	park();
	return 0;
}

/* Several killed holders, each with undo on two sets. */
Test(crash, undo_of_several_killed_processes)
{
	pid_t pids[4];
	int other;

	g_id = (int)assert_ok(uipc_semget(IPC_PRIVATE, 1, 0600));
	other = (int)assert_ok(uipc_semget(IPC_PRIVATE, 2, 0600));
	g_pipe = t_pipe_new();
	for (int i = 0; i < 4; i++) {
		pids[i] = t_spawn(undo_two_sets, (void *)(intptr_t)other);
		cr_assert_eq(t_wait_byte(g_pipe), 'r');
	}
	cr_assert_eq(t_semval(g_id, 0), 4);
	cr_assert_eq(t_semval(other, 1), 4);
	for (int i = 0; i < 4; i++) {
		t_kill_wait(pids[i]);
		cr_assert_eq(t_semval(other, 0), 3 - i);
		cr_assert_eq(t_semval(g_id, 0), 3 - i);
		cr_assert_eq(t_semval(other, 1), 3 - i);
	}
	assert_ok(uipc_semctl(g_id, 0, IPC_RMID));
	assert_ok(uipc_semctl(other, 0, IPC_RMID));
}

static int undo_then_exit(void *arg)
{
	struct sembuf up = { 0, 2, SEM_UNDO };

	CHILD_OK(uipc_semop(g_id, &up, 1));
	if (arg)
		exit(0);
	_exit(0);
}

/* _exit() runs no library code either; exit() may. */
Test(crash, undo_applied_after__exit_and_exit)
{
	g_id = (int)assert_ok(uipc_semget(IPC_PRIVATE, 1, 0600));
	t_wait_ok(t_spawn(undo_then_exit, NULL));
	cr_assert_eq(t_semval(g_id, 0), 0, "after _exit: %d",
		     t_semval(g_id, 0));
	t_wait_ok(t_spawn(undo_then_exit, (void *)1));
	cr_assert_eq(t_semval(g_id, 0), 0, "after exit: %d",
		     t_semval(g_id, 0));
	assert_ok(uipc_semctl(g_id, 0, IPC_RMID));
}

/* -------------------------------------------------- killed waiters */

static int sem_waiter(void *arg)
{
	struct sembuf op = { 0, (short)(intptr_t)arg, 0 };

	CHILD_OK(uipc_semop(g_id, &op, 1));
	return 0;
}

Test(crash, ncnt_drops_when_waiter_killed)
{
	struct sembuf up = { 0, 1, 0 };
	pid_t pid;

	g_id = (int)assert_ok(uipc_semget(IPC_PRIVATE, 1, 0600));
	pid = t_spawn(sem_waiter, (void *)-1);
	cr_assert(T_POLL(t_semncnt(g_id, 0) == 1, T_DEADLINE_MS),
		  "waiter never counted");
	t_kill_wait(pid);
	cr_assert_eq(t_semncnt(g_id, 0), 0, "GETNCNT %d after the waiter died",
		     t_semncnt(g_id, 0));
	/* the dead waiter does not take what is posted */
	assert_ok(uipc_semop(g_id, &up, 1));
	cr_assert_eq(t_semval(g_id, 0), 1);
	assert_ok(uipc_semctl(g_id, 0, IPC_RMID));
}

Test(crash, ncnt_drops_when_waiter_killed_zombie)
{
	pid_t pid;

	g_id = (int)assert_ok(uipc_semget(IPC_PRIVATE, 1, 0600));
	pid = t_spawn(sem_waiter, (void *)-1);
	cr_assert(T_POLL(t_semncnt(g_id, 0) == 1, T_DEADLINE_MS),
		  "waiter never counted");
	t_kill_zombie(pid);
	cr_assert_eq(t_semncnt(g_id, 0), 0, "GETNCNT %d with the waiter a "
		     "zombie", t_semncnt(g_id, 0));
	t_wait_status(pid);
	assert_ok(uipc_semctl(g_id, 0, IPC_RMID));
}

Test(crash, zcnt_drops_when_waiter_killed)
{
	pid_t pid;

	g_id = (int)assert_ok(uipc_semget(IPC_PRIVATE, 1, 0600));
	assert_ok(t_setval(g_id, 0, 1));
	pid = t_spawn(sem_waiter, (void *)0);
	cr_assert(T_POLL(t_semzcnt(g_id, 0) == 1, T_DEADLINE_MS),
		  "waiter never counted");
	t_kill_wait(pid);
	cr_assert_eq(t_semzcnt(g_id, 0), 0, "GETZCNT %d after the waiter died",
		     t_semzcnt(g_id, 0));
	assert_ok(uipc_semctl(g_id, 0, IPC_RMID));
}

/* Of two waiters one is killed; a post wakes the live one. */
Test(crash, killed_waiter_does_not_swallow_wakeup)
{
	struct sembuf up = { 0, 1, 0 };
	pid_t a, b;

	g_id = (int)assert_ok(uipc_semget(IPC_PRIVATE, 1, 0600));
	a = t_spawn(sem_waiter, (void *)-1);
	cr_assert(T_POLL(t_semncnt(g_id, 0) == 1, T_DEADLINE_MS));
	b = t_spawn(sem_waiter, (void *)-1);
	cr_assert(T_POLL(t_semncnt(g_id, 0) == 2, T_DEADLINE_MS));
	t_kill_wait(a);
	assert_ok(uipc_semop(g_id, &up, 1));
	t_wait_ok(b);
	cr_assert_eq(t_semval(g_id, 0), 0);
	cr_assert_eq(t_semncnt(g_id, 0), 0);
	assert_ok(uipc_semctl(g_id, 0, IPC_RMID));
}

/* ------------------------------------------------------ shm attachers */

static int shm_attacher(void *arg)
{
	int times = (int)(intptr_t)arg;

	for (int i = 0; i < times; i++) {
		char *p = uipc_shmat(g_id, NULL, 0);

		CHILD_CHECK(p != (void *)-1);
		p[i] = 'x';
	}
	t_signal_byte(g_pipe, 'r');
	park();
	return 0;
}

Test(crash, nattch_drops_when_attacher_killed)
{
	pid_t pid;

	g_id = (int)assert_ok(uipc_shmget(IPC_PRIVATE, 8192, 0600));
	g_pipe = t_pipe_new();
	pid = t_spawn(shm_attacher, (void *)2);
	cr_assert_eq(t_wait_byte(g_pipe), 'r');
	cr_assert_eq(t_nattch(g_id), 2);
	t_kill_wait(pid);
	cr_assert_eq(t_nattch(g_id), 0, "nattch %ld after the attacher died",
		     t_nattch(g_id));
	assert_ok(uipc_shmctl(g_id, IPC_RMID, NULL));
}

Test(crash, nattch_drops_when_attacher_killed_zombie)
{
	pid_t pid;

	g_id = (int)assert_ok(uipc_shmget(IPC_PRIVATE, 8192, 0600));
	g_pipe = t_pipe_new();
	pid = t_spawn(shm_attacher, (void *)1);
	cr_assert_eq(t_wait_byte(g_pipe), 'r');
	cr_assert_eq(t_nattch(g_id), 1);
	t_kill_zombie(pid);
	cr_assert_eq(t_nattch(g_id), 0, "nattch %ld with the attacher a "
		     "zombie", t_nattch(g_id));
	t_wait_status(pid);
	assert_ok(uipc_shmctl(g_id, IPC_RMID, NULL));
}

Test(crash, removed_segment_destroyed_when_last_attacher_killed)
{
	struct shmid_ds ds;
	pid_t pid;
	char *p;

	g_id = (int)assert_ok(uipc_shmget(0x5eed, 8192, IPC_CREAT | 0600));
	g_pipe = t_pipe_new();
	pid = t_spawn(shm_attacher, (void *)1);
	cr_assert_eq(t_wait_byte(g_pipe), 'r');
	/* our own attachment goes before the attacher dies */
	p = uipc_shmat(g_id, NULL, 0);
	cr_assert(p != (void *)-1, "shmat: %s", t_errname(errno));
	cr_assert_eq(p[0], 'x');
	assert_ok(uipc_shmctl(g_id, IPC_RMID, NULL));
	assert_ok(uipc_shmctl(g_id, IPC_STAT, &ds));
	cr_assert(ds.shm_perm.mode & SHM_DEST, "mode %#o lacks SHM_DEST",
		  ds.shm_perm.mode);
	cr_assert_eq(ds.shm_perm.__key, IPC_PRIVATE);
	cr_assert_eq(ds.shm_nattch, 2);
	assert_errno(uipc_shmget(0x5eed, 0, 0), ENOENT);
	assert_ok(uipc_shmdt(p));
	cr_assert_eq(t_nattch(g_id), 1);
	t_kill_wait(pid);
	t_assert_shm_gone(g_id);
	assert_errno(uipc_shmat(g_id, NULL, 0), EINVAL);
	cr_assert_eq(t_ns_count("shm."), 0, "the segment's file is still in "
		     "the namespace");
}

/* ------------------------------------------------------ torture: sem */

#define TS_NSEM		4
#define TS_INIT		3
#define TS_WORKERS	6
#define TS_KILLS	300
#define TS_BIG		1000

struct sem_torture {
	volatile int stop;
	long ops;
	int err;
	char why[200];
};

static struct sem_torture *S;

static void ts_fail(const char *what, int e)
{
	if (!__atomic_exchange_n(&S->err, 1, __ATOMIC_SEQ_CST))
		snprintf(S->why, sizeof(S->why), "worker %d: %s: %s",
			 (int)getpid(), what, t_errname(e));
	_exit(1);
}

/*
 * Three kinds of worker, by slot: non-blocking movers (always make
 * progress while tokens exist), blocking movers, and holders that take a
 * token with SEM_UNDO and give it back.  Every operation conserves the
 * sum of the values, and a holder killed while holding gets its token
 * back through its undo, so the sum is invariant whatever is killed when.
 */
static int ts_worker(void *arg)
{
	int kind = (int)(intptr_t)arg % 3;
	uint64_t seed = (uint64_t)getpid() * 7919 + (uint64_t)t_now_ns();

	while (!S->stop) {
		int i = (int)(t_rand(&seed) % TS_NSEM);
		int j = (int)((i + 1 + t_rand(&seed) % (TS_NSEM - 1)) % TS_NSEM);
		short amt = (short)(1 + t_rand(&seed) % 2);
		struct sembuf mv[2] = { { (unsigned short)i, (short)-amt, 0 },
					{ (unsigned short)j, amt, 0 } };
		struct sembuf take = { (unsigned short)i, -1, SEM_UNDO };
		struct sembuf give = { (unsigned short)i, 1, SEM_UNDO };

		switch (kind) {
		case 0:
			mv[0].sem_flg = IPC_NOWAIT;
			if (uipc_semop(g_id, mv, 2) < 0) {
				if (errno != EAGAIN)
					ts_fail("semop move nowait", errno);
				continue;
			}
			break;
		case 1:
			if (uipc_semop(g_id, mv, 2) < 0)
				ts_fail("semop move", errno);
			break;
		default:
			if (uipc_semop(g_id, &take, 1) < 0)
				ts_fail("semop take", errno);
			__atomic_fetch_add(&S->ops, 1, __ATOMIC_RELAXED);
			/* hold it across a few moves */
			for (int k = 0; k < 3; k++) {
				mv[0].sem_flg = IPC_NOWAIT;
				if (uipc_semop(g_id, mv, 2) < 0 &&
				    errno != EAGAIN)
					ts_fail("semop move held", errno);
			}
			if (uipc_semop(g_id, &give, 1) < 0)
				ts_fail("semop give", errno);
			break;
		}
		__atomic_fetch_add(&S->ops, 1, __ATOMIC_RELAXED);
	}
	return 0;
}

Test(crash, torture_semop_with_kills, .timeout = 300)
{
	pid_t w[TS_WORKERS];
	struct sembuf big[TS_NSEM];
	uint64_t seed = 42;
	long sum = 0;
	unsigned short vals[TS_NSEM];
	union t_semun a = { .array = vals };

	S = t_shared(sizeof(*S));
	g_id = (int)assert_ok(uipc_semget(IPC_PRIVATE, TS_NSEM, 0600));
	for (int i = 0; i < TS_NSEM; i++)
		assert_ok(t_setval(g_id, i, TS_INIT));
	for (int k = 0; k < TS_WORKERS; k++)
		w[k] = t_spawn(ts_worker, (void *)(intptr_t)k);
	for (int n = 0; n < TS_KILLS; n++) {
		long seen = __atomic_load_n(&S->ops, __ATOMIC_RELAXED);
		int k = (int)(t_rand(&seed) % TS_WORKERS);

		/* progress between kills: a wedged set fails here */
		cr_assert(T_POLL(__atomic_load_n(&S->ops, __ATOMIC_RELAXED) >=
				 seen + 20 || S->err, T_DEADLINE_MS),
			  "no progress after %d kills (ops %ld)", n, seen);
		cr_assert(!S->err, "%s", S->why);
		usleep((useconds_t)(t_rand(&seed) % 2000));
		t_kill_wait(w[k]);
		w[k] = t_spawn(ts_worker, (void *)(intptr_t)k);
	}
	/* stop: enough tokens everywhere that every live worker finishes */
	S->stop = 1;
	for (int i = 0; i < TS_NSEM; i++)
		big[i] = (struct sembuf){ (unsigned short)i, TS_BIG, 0 };
	assert_ok(uipc_semop(g_id, big, TS_NSEM));
	for (int k = 0; k < TS_WORKERS; k++)
		t_wait_ok(w[k]);
	cr_assert(!S->err, "%s", S->why);
	assert_ok(uipc_semctl(g_id, 0, GETALL, a));
	for (int i = 0; i < TS_NSEM; i++) {
		sum += vals[i];
		cr_assert_eq(t_semncnt(g_id, i), 0, "GETNCNT of %d", i);
		cr_assert_eq(t_semzcnt(g_id, i), 0, "GETZCNT of %d", i);
	}
	cr_assert_eq(sum, TS_NSEM * (TS_INIT + TS_BIG),
		     "tokens not conserved: sum %ld, want %d (values %u %u %u "
		     "%u)", sum, TS_NSEM * (TS_INIT + TS_BIG), vals[0], vals[1],
		     vals[2], vals[3]);
	/* still usable: take everything back out */
	for (int i = 0; i < TS_NSEM; i++)
		big[i] = (struct sembuf){ (unsigned short)i, (short)-vals[i],
					  IPC_NOWAIT };
	assert_ok(uipc_semop(g_id, big, TS_NSEM));
	assert_ok(uipc_semctl(g_id, 0, IPC_RMID));
}

/* ------------------------------------------------------ torture: msg */

#define TM_SEND		3
#define TM_RECV		3
#define TM_MAXSEQ	(1 << 24)
#define TM_TYPES	5
#define TM_KILLS	300
#define TM_POISON	0xffffu

struct tm_hdr {
	uint32_t sender, seq, len, sum;
};

struct msg_torture {
	volatile int stop_send, stop_recv;
	uint32_t next_seq[TM_SEND];
	uint64_t sent[TM_SEND][TM_MAXSEQ / 64];	/* bit per sequence number */
	uint64_t recvd[TM_SEND][TM_MAXSEQ / 64];
	long ops;
	uint32_t maxlen;	/* payload bytes after the header: 0..maxlen-1 */
	int poll;		/* receivers poll (IPC_NOWAIT) instead of blocking */
	int err;
	char why[256];
};

static struct msg_torture *M;

static void tm_fail(const char *fmt, ...)
{
	va_list ap;

	if (!__atomic_exchange_n(&M->err, 1, __ATOMIC_SEQ_CST)) {
		int n = snprintf(M->why, sizeof(M->why), "pid %d: ",
				 (int)getpid());

		va_start(ap, fmt);
		vsnprintf(M->why + n, sizeof(M->why) - n, fmt, ap);
		va_end(ap);
	}
	_exit(1);
}

static uint32_t tm_sum(const struct tm_hdr *h, const unsigned char *data)
{
	uint32_t s = h->sender * 2654435761u ^ h->seq * 40503u ^ h->len;

	for (uint32_t i = 0; i < h->len; i++)
		s = (s << 5 | s >> 27) ^ data[i];
	return s;
}

static void tm_fill(struct t_msg *m, uint32_t sender, uint32_t seq,
		    uint32_t len)
{
	struct tm_hdr h = { sender, seq, len, 0 };
	unsigned char *data = (unsigned char *)m->mtext + sizeof(h);

	for (uint32_t i = 0; i < len; i++)
		data[i] = (unsigned char)(seq * 31 + i * 7 + sender);
	h.sum = tm_sum(&h, data);
	memcpy(m->mtext, &h, sizeof(h));
}

/* Check a received message; returns its header.  @len is what msgrcv gave. */
static struct tm_hdr tm_check(const struct t_msg *m, ssize_t len)
{
	struct tm_hdr h;

	if (len < (ssize_t)sizeof(h))
		tm_fail("short message: %zd bytes", len);
	memcpy(&h, m->mtext, sizeof(h));
	if (h.len != (size_t)len - sizeof(h) ||
	    h.sum != tm_sum(&h, (const unsigned char *)m->mtext + sizeof(h)))
		tm_fail("corrupt message: %zd bytes, sender %u seq %u len %u",
			len, h.sender, h.seq, h.len);
	if (h.sender != TM_POISON &&
	    (h.sender >= TM_SEND || h.seq >= M->next_seq[h.sender]))
		tm_fail("message never sent: sender %u seq %u", h.sender,
			h.seq);
	if (m->mtype < 1 || m->mtype > TM_TYPES)
		tm_fail("bad mtype %ld", m->mtype);
	return h;
}

static int tm_sender(void *arg)
{
	uint32_t k = (uint32_t)(intptr_t)arg;
	uint64_t seed = (uint64_t)getpid() * 104729 + (uint64_t)t_now_ns();
	struct t_msg m;

	while (!M->stop_send) {
		uint32_t seq = __atomic_fetch_add(&M->next_seq[k], 1,
						  __ATOMIC_SEQ_CST);
		uint32_t len = (uint32_t)(t_rand(&seed) % M->maxlen);

		if (seq >= TM_MAXSEQ) {	/* out of numbers: just stop */
			while (!M->stop_send)
				usleep(1000);
			break;
		}
		m.mtype = 1 + (long)(t_rand(&seed) % TM_TYPES);
		tm_fill(&m, k, seq, len);
		if (uipc_msgsnd(g_id, &m, sizeof(struct tm_hdr) + len, 0) < 0)
			tm_fail("msgsnd: %s", t_errname(errno));
		__atomic_fetch_or(&M->sent[k][seq / 64], 1ULL << (seq % 64),
				  __ATOMIC_SEQ_CST);
		__atomic_fetch_add(&M->ops, 1, __ATOMIC_RELAXED);
		if (M->poll && t_rand(&seed) % 2)
			usleep((useconds_t)(t_rand(&seed) % 50));	/* let it drain */
	}
	return 0;
}

/*
 * Receivers block with random selectors; receiver 0 only ever takes any
 * type (0, or -TM_TYPES), so a full queue can always drain and the
 * senders always progress.
 */
static int tm_receiver(void *arg)
{
	uint64_t seed = (uint64_t)getpid() * 15485863 + (uint64_t)t_now_ns();
	int slot = (int)(intptr_t)arg;
	struct t_msg m;

	for (;;) {
		bool stopping = M->stop_recv;
		long typ = 0;
		int flags = 0;
		ssize_t n;

		if (!stopping && slot == 0) {
			typ = t_rand(&seed) % 2 ? 0 : -TM_TYPES;
		} else if (!stopping) {
			switch (t_rand(&seed) % 4) {
			case 1:
				typ = 1 + (long)(t_rand(&seed) % TM_TYPES);
				break;
			case 2:
				typ = -(1 + (long)(t_rand(&seed) % TM_TYPES));
				break;
			case 3:
				typ = 1 + (long)(t_rand(&seed) % TM_TYPES);
				flags = MSG_EXCEPT;
				break;
			}
		}
		n = uipc_msgrcv(g_id, &m, sizeof(m.mtext), typ,
				flags | (M->poll ? IPC_NOWAIT : 0));
		if (n < 0 && M->poll && errno == ENOMSG) {
			sched_yield();
			continue;
		}
		if (n < 0)
			tm_fail("msgrcv(%ld, %#x): %s", typ, flags,
				t_errname(errno));
		struct tm_hdr h = tm_check(&m, n);

		if (h.sender == TM_POISON) {
			if (M->stop_recv)
				return 0;
			tm_fail("poison before the stop");
		}
		if (__atomic_fetch_or(&M->recvd[h.sender][h.seq / 64],
				      1ULL << (h.seq % 64), __ATOMIC_SEQ_CST) &
		    1ULL << (h.seq % 64))
			tm_fail("message sender %u seq %u delivered twice",
				h.sender, h.seq);
		__atomic_fetch_add(&M->ops, 1, __ATOMIC_RELAXED);
	}
}

static void tm_run(uint32_t maxlen, useconds_t max_gap, int poll)
{
	pid_t snd[TM_SEND], rcv[TM_RECV];
	uint64_t seed = 4242;
	long recv_kills = 0, missing = 0, in_queue = 0, qbytes = 0;
	struct msqid_ds ds;
	struct t_msg m;
	ssize_t n;

	M = t_shared(sizeof(*M));
	M->maxlen = maxlen;
	M->poll = poll;
	g_id = (int)assert_ok(uipc_msgget(IPC_PRIVATE, 0600));
	for (int k = 0; k < TM_SEND; k++)
		snd[k] = t_spawn(tm_sender, (void *)(intptr_t)k);
	for (int k = 0; k < TM_RECV; k++)
		rcv[k] = t_spawn(tm_receiver, (void *)(intptr_t)k);
	for (int i = 0; i < TM_KILLS; i++) {
		long seen = __atomic_load_n(&M->ops, __ATOMIC_RELAXED);
		int k = (int)(t_rand(&seed) % (TM_SEND + TM_RECV));

		cr_assert(T_POLL(__atomic_load_n(&M->ops, __ATOMIC_RELAXED) >=
				 seen + 20 || M->err, T_DEADLINE_MS),
			  "no progress after %d kills (ops %ld)", i, seen);
		cr_assert(!M->err, "%s", M->why);
		usleep((useconds_t)(t_rand(&seed) % max_gap));
		if (k < TM_SEND) {
			t_kill_wait(snd[k]);
			snd[k] = t_spawn(tm_sender, (void *)(intptr_t)k);
		} else {
			k -= TM_SEND;
			t_kill_wait(rcv[k]);
			recv_kills++;
			rcv[k] = t_spawn(tm_receiver, (void *)(intptr_t)k);
		}
	}
	/* stop the senders; the receivers keep draining */
	M->stop_send = 1;
	for (int k = 0; k < TM_SEND; k++)
		t_wait_ok(snd[k]);
	/* then the receivers: each drains in order, up to a poison */
	M->stop_recv = 1;
	for (int k = 0; k < TM_RECV; k++)
		for (long t = 1; t <= TM_TYPES; t++) {
			m.mtype = t;
			tm_fill(&m, TM_POISON, 0, 0);
			assert_ok(uipc_msgsnd(g_id, &m, sizeof(struct tm_hdr),
					      0));
		}
	for (int k = 0; k < TM_RECV; k++)
		t_wait_ok(rcv[k]);
	cr_assert(!M->err, "%s", M->why);

	/* what is left: poison only, and the counters agree */
	assert_ok(uipc_msgctl(g_id, IPC_STAT, &ds));
	while ((n = uipc_msgrcv(g_id, &m, sizeof(m.mtext), 0, IPC_NOWAIT)) >=
	       0) {
		struct tm_hdr h;

		memcpy(&h, m.mtext, sizeof(h));
		cr_assert(n == (ssize_t)sizeof(h) + h.len &&
			  h.sum == tm_sum(&h, (unsigned char *)m.mtext +
						      sizeof(h)),
			  "corrupt message left in the queue");
		if (h.sender != TM_POISON) {
			uint64_t bit = 1ULL << (h.seq % 64), *w;

			cr_assert(h.sender < TM_SEND && h.seq < TM_MAXSEQ);
			w = &M->recvd[h.sender][h.seq / 64];
			cr_assert(!(*w & bit), "sender %u seq %u delivered "
				  "twice", h.sender, h.seq);
			*w |= bit;
		}
		in_queue++;
		qbytes += n;
	}
	cr_assert_eq(errno, ENOMSG, "draining: %s", t_errname(errno));
	cr_assert_eq((long)ds.msg_qnum, in_queue, "msg_qnum %lu, %ld in queue",
		     (unsigned long)ds.msg_qnum, in_queue);
	cr_assert_eq((long)ds.msg_cbytes, qbytes, "msg_cbytes %lu, %ld bytes",
		     (unsigned long)ds.msg_cbytes, qbytes);
	assert_ok(uipc_msgctl(g_id, IPC_STAT, &ds));
	cr_assert_eq(ds.msg_qnum, 0);
	cr_assert_eq(ds.msg_cbytes, 0);

	/* every message a sender saw sent was received, but for one per kill */
	for (int k = 0; k < TM_SEND; k++)
		for (uint32_t s = 0; s < M->next_seq[k] && s < TM_MAXSEQ; s++)
			if ((M->sent[k][s / 64] & ~M->recvd[k][s / 64]) &
			    1ULL << (s % 64))
				missing++;
	cr_assert(missing <= recv_kills, "%ld messages lost, %ld receivers "
		  "killed", missing, recv_kills);

	/* still usable */
	m.mtype = 3;
	strcpy(m.mtext, "after");
	assert_ok(uipc_msgsnd(g_id, &m, 6, IPC_NOWAIT));
	cr_assert_eq(uipc_msgrcv(g_id, &m, 100, 3, IPC_NOWAIT), 6);
	cr_assert_str_eq(m.mtext, "after");
	assert_ok(uipc_msgctl(g_id, IPC_RMID, NULL));
}

Test(crash, torture_msg_with_kills, .timeout = 300)
{
	tm_run(200, 2000, 0);
}

/*
 * Messages of 16 to 64 bytes, which pass through the queue's lock-free
 * ring whenever the queue proper is empty and nobody waits (so the
 * receivers poll), and kills more often: inside a fast send or receive,
 * or while a lock holder moves the ring's messages into the queue.
 */
Test(crash, torture_small_msg_with_kills, .timeout = 300)
{
	tm_run(UIPC_MSG_BOX_DATA - sizeof(struct tm_hdr) + 1, 300, 1);
}

/* ------------------------------------------- torture: get and remove */

#define TG_KEYS		4
#define TG_WORKERS	4
#define TG_KILLS	200
#define TG_KEY0		0x6e7000

struct get_torture {
	volatile int stop;
	long ops;
	int err;
	char why[200];
};

static struct get_torture *G;

static int tg_get(int type, key_t key, int flags)
{
	switch (type) {
	case 0:
		return uipc_msgget(key, flags);
	case 1:
		return uipc_semget(key, flags & IPC_CREAT ? 2 : 0, flags);
	default:
		return uipc_shmget(key, flags & IPC_CREAT ? 5000 : 0, flags);
	}
}

static int tg_rmid(int type, int id)
{
	switch (type) {
	case 0:
		return uipc_msgctl(id, IPC_RMID, NULL);
	case 1:
		return uipc_semctl(id, 0, IPC_RMID);
	default:
		return uipc_shmctl(id, IPC_RMID, NULL);
	}
}

static int tg_worker(void *arg)
{
	uint64_t seed = (uint64_t)getpid() * 2654435761u + (uint64_t)t_now_ns();

	(void)arg;
	while (!G->stop) {
		int type = (int)(t_rand(&seed) % 3);
		key_t key = TG_KEY0 + (key_t)(t_rand(&seed) % TG_KEYS);
		int id = tg_get(type, key, IPC_CREAT | 0600);

		if (id < 0) {
			if (!__atomic_exchange_n(&G->err, 1, __ATOMIC_SEQ_CST))
				snprintf(G->why, sizeof(G->why), "get type %d "
					 "key %#x: %s", type, (unsigned)key,
					 t_errname(errno));
			_exit(1);
		}
		if (t_rand(&seed) % 2 && tg_rmid(type, id) < 0 &&
		    errno != EINVAL && errno != EIDRM) {
			if (!__atomic_exchange_n(&G->err, 1, __ATOMIC_SEQ_CST))
				snprintf(G->why, sizeof(G->why), "rmid type %d "
					 "id %d: %s", type, id,
					 t_errname(errno));
			_exit(1);
		}
		__atomic_fetch_add(&G->ops, 1, __ATOMIC_RELAXED);
	}
	return 0;
}

/* Objects of @type in use, as the kernel-style *_INFO counts them. */
static int tg_in_use(int type)
{
	struct msginfo mi;
	struct seminfo si;
	struct shm_info hi;
	union t_semun a = { .__buf = &si };

	switch (type) {
	case 0:
		assert_ok(uipc_msgctl(0, MSG_INFO, (struct msqid_ds *)&mi));
		return mi.msgpool;
	case 1:
		assert_ok(uipc_semctl(0, 0, SEM_INFO, a));
		return si.semusz;
	default:
		assert_ok(uipc_shmctl(0, SHM_INFO, (struct shmid_ds *)&hi));
		return hi.used_ids;
	}
}

/*
 * Creators and removers killed at random (some while holding the
 * registry lock, some halfway through a creation): afterwards every key
 * names at most one live object with that key, the registry's counts
 * match the files in the namespace, and nothing else is left there.
 */
Test(crash, torture_get_rmid_with_kills, .timeout = 300)
{
	static const char *const prefix[] = { "msg.", "sem.", "shm." };
	pid_t w[TG_WORKERS];
	uint64_t seed = 777;

	G = t_shared(sizeof(*G));
	for (int k = 0; k < TG_WORKERS; k++)
		w[k] = t_spawn(tg_worker, NULL);
	for (int n = 0; n < TG_KILLS; n++) {
		long seen = __atomic_load_n(&G->ops, __ATOMIC_RELAXED);
		int k = (int)(t_rand(&seed) % TG_WORKERS);

		cr_assert(T_POLL(__atomic_load_n(&G->ops, __ATOMIC_RELAXED) >=
				 seen + 10 || G->err, T_DEADLINE_MS),
			  "no progress after %d kills (ops %ld)", n, seen);
		cr_assert(!G->err, "%s", G->why);
		usleep((useconds_t)(t_rand(&seed) % 3000));
		t_kill_wait(w[k]);
		w[k] = t_spawn(tg_worker, NULL);
	}
	G->stop = 1;
	for (int k = 0; k < TG_WORKERS; k++)
		t_wait_ok(w[k]);
	cr_assert(!G->err, "%s", G->why);

	for (int type = 0; type < 3; type++) {
		int live = 0;

		for (int i = 0; i < TG_KEYS; i++) {
			key_t key = TG_KEY0 + i;
			int id = tg_get(type, key, 0);
			struct ipc_perm perm;
			struct msqid_ds m;
			struct semid_ds s;
			struct shmid_ds h;
			union t_semun a = { .buf = &s };

			if (id < 0) {
				cr_assert_eq(errno, ENOENT, "type %d key %#x: "
					     "%s", type, (unsigned)key,
					     t_errname(errno));
				continue;
			}
			live++;
			if (type == 0)
				perm = (assert_ok(uipc_msgctl(id, IPC_STAT,
							      &m)),
					m.msg_perm);
			else if (type == 1)
				perm = (assert_ok(uipc_semctl(id, 0, IPC_STAT,
							      a)),
					s.sem_perm);
			else
				perm = (assert_ok(uipc_shmctl(id, IPC_STAT,
							      &h)),
					h.shm_perm);
			cr_assert_eq(perm.__key, key, "id %d of key %#x has key "
				     "%#x", id, (unsigned)key,
				     (unsigned)perm.__key);
		}
		cr_assert_eq(tg_in_use(type), live, "type %d: %d in use, %d "
			     "reachable by key (%s)", type, tg_in_use(type), live,
			     t_ns_list(prefix[type]));
		cr_assert_eq(t_ns_objects(prefix[type]), live, "type %d: %d "
			     "files (%s), %d objects", type,
			     t_ns_objects(prefix[type]), t_ns_list(prefix[type]),
			     live);
		for (int i = 0; i < TG_KEYS; i++) {
			int id = tg_get(type, TG_KEY0 + i, 0);

			if (id >= 0)
				assert_ok(tg_rmid(type, id));
		}
		cr_assert_eq(tg_in_use(type), 0);
	}
	/*
	 * A creator killed between naming its index and naming its file
	 * leaves the index name, which counts for nothing and goes once it
	 * is a second old (ns_stale()): the next count removes it.
	 */
	T_POLL((tg_in_use(0), tg_in_use(1), tg_in_use(2),
		t_ns_count(NULL) == 0), 5000);
	cr_assert_eq(t_ns_count(NULL), 0, "files left in the namespace:%s",
		     t_ns_list(NULL));
}

/*
 * A long message is copied out after the receiver took it off the queue
 * and dropped the lock.  A receiver that dies in that copy has received
 * the message; the chunks it held must come back, not leak: the queue
 * file stops growing once its in-flight records are reaped.  (A buffer
 * that faults no longer kills it: the call checks the buffer first and
 * fails with EFAULT, see test/diff/s_fault.c.)  Here a thread of the
 * receiver SIGKILLs it as soon as its in-flight record is committed; an
 * iteration whose kill came too late (received) or too soon (the update
 * rolled back, the message still queued) does not count.
 */
struct in_copy {
	int id;
	volatile int running;
	volatile uint32_t *lock;	/* the queue's lock word */
	volatile uint32_t *pids[8];	/* the queue's in-flight records */
};

static void *kill_when_in_flight(void *arg)
{
	struct in_copy *c = arg;
	uint32_t me = (uint32_t)getpid();

	c->running = 1;
	for (;;)
		for (int i = 0; i < 8; i++)
			/* recorded, and committed: the lock is free */
			if (*c->pids[i] == me && !*c->lock)
				kill((pid_t)me, SIGKILL);
	return NULL;
}

static int die_in_copy(void *arg)
{
	static struct { long type; char text[8192]; } m;
	struct in_copy c = { .id = (int)(intptr_t)arg };
	struct stat st;
	pthread_t t;
	char *base;
	int fd = open(t_obj_path("msg", c.id), O_RDONLY);
	struct uipc_msq *q;

	CHILD_CHECK(fd >= 0 && fstat(fd, &st) == 0);
	base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	CHILD_CHECK(base != MAP_FAILED);
	close(fd);
	q = (struct uipc_msq *)(void *)(base +
					((struct uipc_hdr *)(void *)base)->body_off);
	c.lock = &((struct uipc_hdr *)(void *)base)->lock.word;
	/* 64 waiter slots, then the 8 in-flight records */
	for (int i = 0; i < 8; i++)
		c.pids[i] = &((struct uipc_msgflight *)(void *)(base +
			q->slots_off + 64 * sizeof(struct uipc_msgwait)))[i].pid;
	CHILD_CHECK(pthread_create(&t, NULL, kill_when_in_flight, &c) == 0);
	while (!c.running)
		sched_yield();
	CHILD_CHECK(uipc_msgrcv(c.id, &m, sizeof(m.text), 0, 0) ==
		    (ssize_t)sizeof(m.text));
	return 2;	/* received before the kill */
}

Test(crash, receiver_killed_in_copy_leaks_nothing, .timeout = 120)
{
	static struct { long type; char text[8192]; } msg;
	int id = (int)assert_ok(uipc_msgget(IPC_PRIVATE, 0600));
	struct msqid_ds ds;
	struct stat st;
	off_t blocks0 = -1;
	int kills = 0, tries = 0;

	if (getenv("VALGRIND"))
		cr_skip_test("kills land in flight too rarely under valgrind");
	msg.type = 1;
	while (kills < 30) {
		int status;
		pid_t pid;

		cr_assert(++tries < 20000, "only %d of %d receivers killed in "
			  "flight", kills, tries);
		memset(msg.text, 'a' + tries % 26, sizeof(msg.text));
		assert_ok(uipc_msgsnd(id, &msg, sizeof(msg.text), 0));
		pid = t_spawn(die_in_copy, (void *)(intptr_t)id);
		status = t_wait_status(pid);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
			continue;
		cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
			  "receiver %s", t_status_str(status));
		assert_ok(uipc_msgctl(id, IPC_STAT, &ds));
		if (ds.msg_qnum == 1) {
			/* killed before its receive was committed */
			cr_assert_eq(uipc_msgrcv(id, &msg, sizeof(msg.text), 0,
						 IPC_NOWAIT),
				     (ssize_t)sizeof(msg.text));
			continue;
		}
		kills++;
		/* received before it died: gone from the queue */
		cr_assert_eq(ds.msg_qnum, 0);
		cr_assert_eq(ds.msg_cbytes, 0);
		cr_assert_eq(ds.msg_lrpid, pid);
		if (kills == 10) {
			cr_assert(stat(t_obj_path("msg", id), &st) == 0);
			blocks0 = st.st_blocks;
		}
	}
	/* 20 more dead receivers held 20 * 8 KiB; at most the in-flight
	 * records' worth may still be held, plus a reservation step */
	cr_assert(stat(t_obj_path("msg", id), &st) == 0);
	cr_assert(st.st_blocks - blocks0 <= (8 * 8192 + 70 * 1024) / 512,
		  "the queue file grew by %ld KiB",
		  (long)(st.st_blocks - blocks0) / 2);
	/* and it works: a full queue's worth goes through intact */
	for (int i = 0; i < 2; i++)
		assert_ok(uipc_msgsnd(id, &msg, sizeof(msg.text), IPC_NOWAIT));
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(uipc_msgrcv(id, &msg, sizeof(msg.text), 0,
					 IPC_NOWAIT), (ssize_t)sizeof(msg.text));
		cr_assert_eq(msg.text[0], msg.text[8191]);
	}
	assert_ok(uipc_msgctl(id, IPC_RMID, NULL));
}

/* ---------------------------- the ring's boxes: deaths in their steps */

/*
 * A queue's ring of boxes (struct uipc_msgring), mapped from its file:
 * these tests put a box in the state a process leaves when it dies at a
 * given step, which random kills reach too rarely to count on.  v.b is
 * the box of the ring's newest position (box_state() finds it).
 */
struct box_view {
	char *base;
	size_t size;
	struct uipc_hdr *h;
	struct uipc_msgring *r;
	struct uipc_msgbox *b;
};

static struct box_view box_map(int id)
{
	struct box_view v;
	struct stat st;
	int fd = open(t_obj_path("msg", id), O_RDWR);

	cr_assert(fd >= 0 && fstat(fd, &st) == 0);
	v.size = (size_t)st.st_size;
	v.base = mmap(NULL, v.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	cr_assert(v.base != MAP_FAILED);
	v.h = (struct uipc_hdr *)(void *)v.base;
	v.r = (struct uipc_msgring *)(void *)(v.base +
		((struct uipc_msq *)(void *)(v.base + v.h->body_off))->box_off);
	v.b = (struct uipc_msgbox *)(void *)(v.r + 1);
	return v;
}

/* The box of position @pos. */
static struct uipc_msgbox *box_at(const struct box_view *v, uint64_t pos)
{
	return (struct uipc_msgbox *)(void *)(v->r + 1) + pos % UIPC_MSG_RING;
}

/*
 * The state of the box of the newest position: the last fast send's (on
 * the box's lap while it holds the message, the lap before once taken),
 * or the box at the tail hint if none was sent since the ring opened.
 */
static uint64_t box_state(struct box_view *v)
{
	uint64_t tail = __atomic_load_n(&v->r->tail, __ATOMIC_SEQ_CST);
	uint64_t best = 0, tlap = tail / UIPC_MSG_RING;

	v->b = box_at(v, tail);
	for (uint32_t i = 0; i < UIPC_MSG_RING; i++) {
		struct uipc_msgbox *b = box_at(v, i);
		uint64_t w = __atomic_load_n(&b->word, __ATOMIC_SEQ_CST);
		uint64_t st = w & UIPC_BOX_STATE, key;
		uint64_t lap = (w >> UIPC_BOX_LAPSHIFT) & UIPC_BOX_LAPMASK;

		if (!(w & UIPC_BOX_SPEND))
			continue;
		if (st != UIPC_BOX_FULL && st != UIPC_BOX_TAKING)
			lap--;
		key = ((lap + 4 - tlap) & UIPC_BOX_LAPMASK) * UIPC_MSG_RING + i + 1;
		if (key > best) {
			best = key;
			v->b = b;
		}
	}
	return __atomic_load_n(&v->b->word, __ATOMIC_SEQ_CST) & UIPC_BOX_STATE;
}

/* The word @v's box would have after a step by @pid into @state. */
static void box_set(const struct box_view *v, uint64_t state, pid_t pid)
{
	uint64_t w = v->b->word;

	w = (w & ~(UIPC_BOX_STATE | 0xffffffff00000000ull)) | state |
	    (uint64_t)(uint32_t)pid << UIPC_BOX_PIDSHIFT;
	__atomic_store_n(&v->b->word, w, __ATOMIC_SEQ_CST);
}

static pid_t dead_pid(void)
{
	pid_t p = fork();

	cr_assert(p >= 0);
	if (p == 0)
		_exit(0);
	cr_assert(waitpid(p, NULL, 0) == p);
	return p;
}

/* Nothing to receive (with @flags besides IPC_NOWAIT). */
static void box_none(int id, int flags)
{
	ssize_t n = uipc_msgrcv(id, &(struct t_msg){ 0 }, 8, 0,
				flags | IPC_NOWAIT);

	cr_assert(n == -1 && errno == ENOMSG, "msgrcv: %zd (%s), not ENOMSG",
		  n, n < 0 ? t_errname(errno) : "a message");
}

/* A new queue whose box is open (empty, fast senders welcome). */
static int box_queue(struct box_view *v)
{
	int id = (int)assert_ok(uipc_msgget(IPC_PRIVATE, 0600));

	/* the first unlock that finds the queue empty opens it */
	box_none(id, 0);
	*v = box_map(id);
	cr_assert_eq(box_state(v), UIPC_BOX_EMPTY);
	return id;
}

static void box_done(struct box_view *v, int id)
{
	munmap(v->base, v->size);
	assert_ok(uipc_msgctl(id, IPC_RMID, NULL));
}

static void box_send(int id, long type, const char *text)
{
	struct t_msg m = { .mtype = type };

	strcpy(m.mtext, text);
	assert_ok(uipc_msgsnd(id, &m, strlen(text), 0));
}

static void box_expect(int id, long type, const char *text, int flags)
{
	struct t_msg m;
	ssize_t n = uipc_msgrcv(id, &m, sizeof(m.mtext), 0, flags);

	cr_assert_eq(n, (ssize_t)strlen(text), "msgrcv: %zd (%s)", n,
		     n < 0 ? t_errname(errno) : "");
	cr_assert_eq(m.mtype, type);
	cr_assert(!memcmp(m.mtext, text, (size_t)n));
}

static int box_child_send(void *arg)
{
	box_send((int)(intptr_t)arg, 1, "from the child");
	return 0;
}

/*
 * A sender died filling the box: its message never was, nor was its
 * send (msg_lspid is still the last real sender's); others go on.
 */
Test(crash, box_filler_killed)
{
	struct box_view v;
	struct msqid_ds ds;
	pid_t child, dead = dead_pid();
	int id = box_queue(&v), half;

	child = t_spawn(box_child_send, (void *)(intptr_t)id);
	t_wait_ok(child);
	box_expect(id, 1, "from the child", IPC_NOWAIT);
	cr_assert_eq(box_state(&v), UIPC_BOX_EMPTY);
	/* what a filler leaves: the pair not current written, then killed */
	box_set(&v, UIPC_BOX_FILLING, dead);
	half = !(v.b->word & UIPC_BOX_SSEL);
	v.b->spid[half] = (uint32_t)dead;
	v.b->stime[half] = 12345;
	v.b->len = 3;
	memcpy(v.b->data, "bad", 3);
	assert_ok(uipc_msgctl(id, IPC_STAT, &ds));
	cr_assert_eq(ds.msg_qnum, 0, "a message half written is not queued");
	cr_assert_eq(ds.msg_lspid, child, "msg_lspid %d: not the last sender",
		     (int)ds.msg_lspid);
	cr_assert_neq(ds.msg_stime, 12345);
	/* a locked call waits for the filler, finds it dead, undoes it */
	box_none(id, MSG_COPY);
	assert_ok(uipc_msgctl(id, IPC_STAT, &ds));
	cr_assert_eq(ds.msg_lspid, child);
	box_send(id, 2, "after");
	cr_assert_eq(t_qnum(id), 1);
	box_expect(id, 2, "after", IPC_NOWAIT);
	box_none(id, 0);
	/* and the box works again */
	box_send(id, 3, "again");
	cr_assert_eq(box_state(&v), UIPC_BOX_FULL);
	box_expect(id, 3, "again", 0);
	box_done(&v, id);
}

/* A receiver died taking the box's message: it is still there, once. */
Test(crash, box_taker_killed)
{
	struct box_view v;
	struct msqid_ds ds;
	int id = box_queue(&v);

	box_send(id, 5, "hello");
	cr_assert_eq(box_state(&v), UIPC_BOX_FULL, "a lone small message "
		     "goes through the box");
	box_set(&v, UIPC_BOX_TAKING, dead_pid());
	assert_ok(uipc_msgctl(id, IPC_STAT, &ds));
	cr_assert_eq(ds.msg_qnum, 1);
	cr_assert_eq(ds.msg_cbytes, 5);
	box_send(id, 6, "world");	/* behind it, in order */
	box_expect(id, 5, "hello", 0);
	box_expect(id, 6, "world", IPC_NOWAIT);
	box_none(id, 0);
	box_done(&v, id);
}

/*
 * A lock holder died moving the box's message into the queue: the next
 * holder rolls back and finds the message in the box again.
 */
Test(crash, box_absorber_killed)
{
	struct box_view v;
	struct msqid_ds ds;
	pid_t dead = dead_pid();
	int id = box_queue(&v);

	box_send(id, 7, "moving");
	cr_assert_eq(box_state(&v), UIPC_BOX_FULL);
	__atomic_store_n(&v.h->lock.word, (uint32_t)dead, __ATOMIC_SEQ_CST);
	box_set(&v, UIPC_BOX_ABSORBING, dead);
	assert_ok(uipc_msgctl(id, IPC_STAT, &ds));	/* takes the lock over */
	cr_assert_eq(ds.msg_qnum, 1);
	cr_assert_eq(ds.msg_cbytes, 6);
	cr_assert_eq(ds.msg_lspid, getpid());
	box_expect(id, 7, "moving", IPC_NOWAIT);
	assert_ok(uipc_msgctl(id, IPC_STAT, &ds));
	cr_assert_eq(ds.msg_qnum, 0);
	cr_assert_eq(ds.msg_lrpid, getpid());
	box_done(&v, id);
}

/* A box that claims more bytes than it holds: an error, never a copy. */
Test(crash, box_corrupt_length)
{
	struct box_view v;
	struct msqid_ds ds;
	int id = box_queue(&v);

	box_send(id, 1, "ok");
	cr_assert_eq(box_state(&v), UIPC_BOX_FULL);
	v.b->len = 100000;
	assert_ok(uipc_msgctl(id, IPC_STAT, &ds));
	cr_assert_eq(ds.msg_qnum, 0, "an unreadable message is not counted");
	box_none(id, 0);
	/* dropped; the queue goes on */
	box_send(id, 2, "next");
	box_expect(id, 2, "next", IPC_NOWAIT);
	box_done(&v, id);
}

/* ------------------------------------- the ring: several boxes at once */

/* Send @n messages "m<i>" of type @type0 + i % @ntypes, i from @from. */
static void ring_send_n(int id, int from, int n, long type0, int ntypes)
{
	char text[16];

	for (int i = from; i < from + n; i++) {
		snprintf(text, sizeof(text), "m%d", i);
		box_send(id, type0 + i % ntypes, text);
	}
}

static void ring_expect(int id, int i, long type)
{
	char text[16];

	snprintf(text, sizeof(text), "m%d", i);
	box_expect(id, type, text, IPC_NOWAIT);
}

/* Move the ring's positions on by @n, so that what follows wraps round. */
static void ring_turn(int id, int n)
{
	ring_send_n(id, 1000, n, 1, 1);
	for (int i = 1000; i < 1000 + n; i++)
		ring_expect(id, i, 1);
}

/* The boxes holding messages, oldest first (at most @max). */
static int ring_full_boxes(struct box_view *v, struct uipc_msgbox **out,
			   int max)
{
	int n = 0;

	for (uint64_t pos = v->r->tail; n < max && pos < v->r->tail + 4 * UIPC_MSG_RING; pos++) {
		struct uipc_msgbox *b = box_at(v, pos);
		uint64_t w = __atomic_load_n(&b->word, __ATOMIC_SEQ_CST);

		if ((w & UIPC_BOX_STATE) == UIPC_BOX_FULL &&
		    ((w >> UIPC_BOX_LAPSHIFT) & UIPC_BOX_LAPMASK) ==
		    (pos / UIPC_MSG_RING & UIPC_BOX_LAPMASK))
			out[n++] = b;
	}
	return n;
}

/*
 * A new queue with @n messages m0.. in the ring, its positions turned
 * @turn on first (so that they wrap round), its tail hint lagging as far
 * as it may; the boxes holding them in *@full, oldest first.
 */
static int ring_with(struct box_view *v, int turn, int n,
		     struct uipc_msgbox **full)
{
	int id = box_queue(v);

	ring_turn(id, turn);
	ring_send_n(id, 0, n, 1, 1);
	v->r->tail -= 8;
	cr_assert_eq(ring_full_boxes(v, full, 8), n);
	return id;
}

/* msgctl counts messages m0..m<n - 1> (single digits), and they come
 * out in order, and nothing after them. */
static void ring_expect_all(int id, int n)
{
	struct msqid_ds ds;

	assert_ok(uipc_msgctl(id, IPC_STAT, &ds));
	cr_assert_eq(ds.msg_qnum, (msgqnum_t)n);
	cr_assert_eq(ds.msg_cbytes, (msglen_t)(2 * n));
	for (int i = 0; i < n; i++)
		ring_expect(id, i, 1);
	box_none(id, 0);
}

/*
 * Messages sent with nobody receiving fill the ring, then the queue
 * behind it: msgctl counts them all, and they come out in order,
 * through typed receives too.
 */
Test(crash, ring_overflows_into_the_queue_in_order)
{
	struct box_view v;
	struct msqid_ds ds;
	int id = box_queue(&v), n = UIPC_MSG_RING + 9;

	ring_turn(id, 20);
	ring_send_n(id, 0, 5, 1, 1);
	cr_assert_eq(box_state(&v), UIPC_BOX_FULL, "small sends use the ring");
	ring_send_n(id, 5, n - 5, 1, 1);
	assert_ok(uipc_msgctl(id, IPC_STAT, &ds));
	cr_assert_eq(ds.msg_qnum, (msgqnum_t)n);
	cr_assert_eq(ds.msg_lspid, getpid());
	for (int i = 0; i < n; i++)
		ring_expect(id, i, 1);
	box_none(id, 0);
	box_done(&v, id);
}

/* Typed receives take from the middle of the ring, as from the queue. */
Test(crash, ring_typed_receives)
{
	struct box_view v;
	struct t_msg m;
	int id = box_queue(&v);

	ring_send_n(id, 0, 6, 1, 3);	/* types 1 2 3 1 2 3 */
	cr_assert_eq(box_state(&v), UIPC_BOX_FULL);
	cr_assert_eq(uipc_msgrcv(id, &m, sizeof(m.mtext), 3, IPC_NOWAIT), 2);
	cr_assert(!memcmp(m.mtext, "m2", 2));
	cr_assert_eq(uipc_msgrcv(id, &m, sizeof(m.mtext), 1, MSG_EXCEPT | IPC_NOWAIT), 2);
	cr_assert(!memcmp(m.mtext, "m1", 2));
	cr_assert_eq(uipc_msgrcv(id, &m, sizeof(m.mtext), -2, IPC_NOWAIT), 2);
	cr_assert(!memcmp(m.mtext, "m0", 2), "the lowest type first");
	cr_assert_eq(uipc_msgrcv(id, &m, sizeof(m.mtext), -2, IPC_NOWAIT), 2);
	cr_assert(!memcmp(m.mtext, "m3", 2));
	cr_assert_eq(t_qnum(id), 2);
	ring_expect(id, 4, 2);
	ring_expect(id, 5, 3);
	box_none(id, 0);
	box_done(&v, id);
}

/* The lowest type is found behind the first message, and a typed
 * receive behind another's message leaves msg_lrpid to the last receiver. */
static int ring_child_take_type2(void *arg)
{
	struct t_msg m;

	return uipc_msgrcv((int)(intptr_t)arg, &m, sizeof(m.mtext), 2,
			   IPC_NOWAIT) == 2 ? 0 : 1;
}

Test(crash, ring_lowest_type_and_last_receiver)
{
	struct box_view v;
	struct msqid_ds ds;
	struct t_msg m;
	pid_t child;
	int id = box_queue(&v);

	box_send(id, 3, "m3");
	box_send(id, 1, "m1");
	cr_assert_eq(uipc_msgrcv(id, &m, sizeof(m.mtext), -5, IPC_NOWAIT), 2);
	cr_assert_eq(m.mtype, 1, "msgtyp -5 took type %ld", m.mtype);
	box_expect(id, 3, "m3", IPC_NOWAIT);
	box_none(id, 0);
	/* a child takes the second message, then we take the first */
	box_send(id, 1, "m1");
	box_send(id, 2, "m2");
	child = t_spawn(ring_child_take_type2, (void *)(intptr_t)id);
	t_wait_ok(child);
	box_expect(id, 1, "m1", IPC_NOWAIT);
	assert_ok(uipc_msgctl(id, IPC_STAT, &ds));
	cr_assert_eq(ds.msg_lrpid, getpid(), "msg_lrpid %d: not the last "
		     "receiver (%d; the child was %d)", (int)ds.msg_lrpid,
		     (int)getpid(), (int)child);
	box_done(&v, id);
}

/*
 * Polling an empty queue, by receives with IPC_NOWAIT or by msgctl,
 * leaves the ring where it is: open, on the same positions (a close and
 * reopen per poll used to move them 128 on, and the laps would come round
 * in seconds).
 */
Test(crash, polling_an_empty_queue_leaves_the_ring_in_place)
{
	struct box_view v;
	struct msqid_ds ds;
	int id = box_queue(&v);
	uint64_t tail;

	box_send(id, 1, "x");
	box_expect(id, 1, "x", 0);
	assert_ok(uipc_msgctl(id, IPC_STAT, &ds));	/* settles the send */
	tail = __atomic_load_n(&v.r->tail, __ATOMIC_SEQ_CST);
	for (int i = 0; i < 1000; i++) {
		box_none(id, 0);
		assert_ok(uipc_msgctl(id, IPC_STAT, &ds));
	}
	cr_assert_eq(__atomic_load_n(&v.r->tail, __ATOMIC_SEQ_CST), tail,
		     "the ring moved on %llu positions",
		     (unsigned long long)(v.r->tail - tail));
	cr_assert_eq(v.r->open, 1);
	box_send(id, 2, "y");
	cr_assert_eq(box_state(&v), UIPC_BOX_FULL, "still through the ring");
	/* a receive of another type finds nothing for it, and moves nothing */
	for (int i = 0; i < 100; i++) {
		struct t_msg m;

		cr_assert_eq(uipc_msgrcv(id, &m, sizeof(m.mtext), 3, IPC_NOWAIT), -1);
		cr_assert_eq(errno, ENOMSG);
	}
	cr_assert_eq(box_state(&v), UIPC_BOX_FULL, "the ring was closed");
	box_expect(id, 2, "y", 0);
	box_done(&v, id);
}

/*
 * Deaths in the middle of the ring: a receiver killed taking the third
 * message, a sender killed filling a box after the fifth.  The lock
 * holder undoes both and moves the messages into the queue in the order
 * they were sent: none lost, none twice.
 */
Test(crash, ring_deaths_mid_ring_keep_the_order)
{
	struct box_view v;
	struct uipc_msgbox *full[8];
	pid_t dead = dead_pid();
	int id = ring_with(&v, UIPC_MSG_RING - 2, 5, full);
	uint64_t w;

	v.b = full[2];
	box_set(&v, UIPC_BOX_TAKING, dead);
	/* the box after the last message, as a filler killed leaves it */
	v.b = full[4] + 1 == box_at(&v, UIPC_MSG_RING) ? box_at(&v, 0) : full[4] + 1;
	w = v.b->word;
	cr_assert_eq(w & UIPC_BOX_STATE, UIPC_BOX_EMPTY);
	box_set(&v, UIPC_BOX_FILLING, dead);
	v.b->len = 2;
	memcpy(v.b->data, "no", 2);
	ring_expect_all(id, 5);
	/* and the ring works again */
	ring_send_n(id, 5, 3, 1, 1);
	cr_assert_eq(box_state(&v), UIPC_BOX_FULL);
	for (int i = 5; i < 8; i++)
		ring_expect(id, i, 1);
	box_done(&v, id);
}

/*
 * A lock holder killed moving several messages out of the ring: each
 * moved message is journalled with its box, so the next holder finds
 * the rest ABSORBING and moves them after the ones before, in order.
 */
Test(crash, ring_absorber_killed)
{
	struct box_view v;
	struct uipc_msgbox *full[8];
	pid_t dead = dead_pid();
	int id = ring_with(&v, UIPC_MSG_RING - 1, 4, full);

	__atomic_store_n(&v.h->lock.word, (uint32_t)dead, __ATOMIC_SEQ_CST);
	for (int i = 1; i < 4; i++) {
		v.b = full[i];
		box_set(&v, UIPC_BOX_ABSORBING, dead);
	}
	ring_expect_all(id, 4);		/* takes the lock over */
	box_done(&v, id);
}

/*
 * Send a 2000-byte message of type 5 ('x' throughout), then make it look
 * as its sender @owner leaves it while copying the text in: PENDING, with
 * a fill record saying msg_lspid and msg_stime were @lspid and @stime
 * before it.  Returns the record; *@mhp is the message's header.
 */
static struct uipc_msgfill *make_pending(const struct box_view *v, int id,
					 pid_t owner, uint32_t lspid,
					 int64_t stime, struct uipc_msghdr **mhp)
{
	struct uipc_msq *q = (struct uipc_msq *)(void *)(v->base + v->h->body_off);
	struct t_msg m = { .mtype = 5 };
	struct uipc_msghdr *mh;
	struct uipc_msgfill *f;

	memset(m.mtext, 'x', 2000);
	assert_ok(uipc_msgsnd(id, &m, 2000, 0));
	cr_assert_neq(q->head, 0);
	mh = (struct uipc_msghdr *)(void *)(v->base + q->chunks_off +
					    (size_t)(q->head - 1) * UIPC_MSG_CHUNK);
	/* 64 waiter slots, then 8 in-flight records, then the fill records */
	f = (struct uipc_msgfill *)(void *)(v->base + q->slots_off +
		64 * sizeof(struct uipc_msgwait) + 8 * sizeof(struct uipc_msgflight));
	f->first = q->head;
	f->start = 0;
	f->lspid = lspid;
	f->stime = stime;
	f->pid = (uint32_t)owner;
	__atomic_or_fetch(&mh->nchunks, UIPC_MSG_PENDING, __ATOMIC_SEQ_CST);
	*mhp = mh;
	return f;
}

/*
 * A sender of a long message killed while copying its text in (after the
 * message was queued, PENDING, with its fill record): the message was
 * never sent.  Whoever finds the sender dead first drops it: msgctl, so
 * that the counts are those of the messages one can receive, or a
 * receiver that waits for the copy.  msg_lspid/msg_stime go back to what
 * they were before that send, and the queue goes on.
 */
static void fill_sender_killed(bool stat_first)
{
	struct box_view v;
	struct msqid_ds ds;
	struct t_msg m = { .mtype = 5 };
	pid_t dead = dead_pid();
	int id = box_queue(&v);
	struct uipc_msq *q = (struct uipc_msq *)(void *)(v.base + v.h->body_off);
	struct uipc_msghdr *mh;
	struct uipc_msgfill *f = make_pending(&v, id, dead, 4242, 777, &mh);

	q->lspid = (uint32_t)dead;	/* what the killed sender leaves */
	if (stat_first) {
		assert_ok(uipc_msgctl(id, IPC_STAT, &ds));
		cr_assert_eq(ds.msg_qnum, 0, "a message nobody can receive "
			     "is counted");
	}
	cr_assert_eq(uipc_msgrcv(id, &m, sizeof(m.mtext), 0, IPC_NOWAIT), -1);
	cr_assert_eq(errno, ENOMSG);
	assert_ok(uipc_msgctl(id, IPC_STAT, &ds));
	cr_assert_eq(ds.msg_qnum, 0);
	cr_assert_eq(ds.msg_cbytes, 0);
	cr_assert_eq(ds.msg_lspid, 4242, "msg_lspid %d: not put back",
		     (int)ds.msg_lspid);
	cr_assert_eq(ds.msg_stime, 777);
	cr_assert_eq(f->pid, 0, "the record is freed");
	/* its chain is reusable, and long sends go on */
	for (int i = 0; i < 3; i++) {
		m.mtype = 6 + i;
		memset(m.mtext, 'a' + i, 3000);
		assert_ok(uipc_msgsnd(id, &m, 3000, 0));
	}
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(uipc_msgrcv(id, &m, sizeof(m.mtext), 0, IPC_NOWAIT), 3000);
		cr_assert_eq(m.mtype, 6 + i);
		for (int k = 0; k < 3000; k++)
			cr_assert_eq(m.mtext[k], 'a' + i);
	}
	box_done(&v, id);
}

Test(crash, fill_sender_killed_found_by_msgctl) { fill_sender_killed(true); }
Test(crash, fill_sender_killed_found_by_a_receiver) { fill_sender_killed(false); }

/*
 * A receiver that reaches a long message its sender is still copying in
 * waits for it: it sleeps on the header flagged WAITED, gives up at its
 * timeout with EAGAIN, leaves a live sender's message alone, and gets the
 * message intact once the sender is done.  The "sender" is a live child that owns the fill
 * record; the test finishes the fill as fill_finish() does.
 */
Test(crash, fill_waited_for_live_sender)
{
	struct box_view v;
	struct t_msg m;
	int id = box_queue(&v);
	struct uipc_msq *q = (struct uipc_msq *)(void *)(v.base + v.h->body_off);
	struct uipc_msghdr *mh;
	struct uipc_msgfill *f;
	uint32_t n, was;
	pid_t owner, rcv;
	int st;

	owner = fork();
	cr_assert(owner >= 0);
	if (owner == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		pause();
		_exit(0);
	}
	f = make_pending(&v, id, owner, q->lspid, q->stime, &mh);
	n = mh->nchunks & ~UIPC_MSG_PENDING;

	/* pending with a live sender: a receiver waits (docs/differences.md),
	 * and its timeout ends the wait */
	cr_assert_eq(uipc_msgtimedrcv(id, &m, sizeof(m.mtext), 0, 0,
				      &(struct timespec){ 0, 30000000 }), -1);
	cr_assert_eq(errno, EAGAIN, "%s", t_errname(errno));
	cr_assert(mh->nchunks & UIPC_MSG_WAITED, "the receiver slept unflagged");
	cr_assert_eq(f->pid, (uint32_t)owner, "a live sender's message dropped");

	rcv = fork();
	cr_assert(rcv >= 0);
	if (rcv == 0) {
		ssize_t r;
		bool ok;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		r = uipc_msgrcv(id, &m, sizeof(m.mtext), 0, 0);
		ok = r == 2000 && m.mtype == 5;

		for (int k = 0; ok && k < 2000; k++)
			ok = m.mtext[k] == 'x';
		_exit(ok ? 0 : 1);
	}
	usleep(20000);
	cr_assert_eq(waitpid(rcv, &st, WNOHANG), 0, "received a pending message");
	/* what fill_finish does: the text is in, clear the flag, wake, free */
	was = __atomic_exchange_n(&mh->nchunks, n, __ATOMIC_SEQ_CST);
	if (was & UIPC_MSG_WAITED)
		syscall(SYS_futex, &mh->nchunks, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
	__atomic_store_n(&f->pid, 0, __ATOMIC_SEQ_CST);
	cr_assert_eq(waitpid(rcv, &st, 0), rcv);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		  "the receiver did not get the message intact (status %d)", st);
	kill(owner, SIGKILL);
	waitpid(owner, NULL, 0);
	box_none(id, 0);
	box_done(&v, id);
}
