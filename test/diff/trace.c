// SPDX-License-Identifier: MIT
/*
 * trace.c - normalised trace output, token tables and process helpers of
 * the differential harness (see trace.h).  Compiled once per backend.
 */
#include <ctype.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "../libc-compat.h"
#include "trace.h"

#define MAX_IDS		512
#define MAX_PIDS	64
#define MAX_KIDS	32
#define DEADLINE_MS	10000	/* polls: generous, only to prevent hangs */
#define WAIT_MS		30000	/* reaping a child */

/* Token tables, shared by the scenario's processes so tokens agree. */
struct shared {
	int lock;
	int nids;
	struct { int kind; long id; } ids[MAX_IDS];
	int npids;
	pid_t pids[MAX_PIDS];	/* [0] is the scenario's main process */
};
static struct shared *sh;
static time_t t_start;		/* when the scenario started */

/* This process's children, whose trace we relay when they are reaped. */
static struct kid {
	pid_t pid;
	int num;
	int out_fd, ready_fd, go_fd;
} kids[MAX_KIDS];
static int nkids;
static int my_ready_fd = -1, my_go_fd = -1;

static void sh_lock(void)
{
	while (__atomic_exchange_n(&sh->lock, 1, __ATOMIC_ACQUIRE))
		sched_yield();
}

static void sh_unlock(void)
{
	__atomic_store_n(&sh->lock, 0, __ATOMIC_RELEASE);
}

void tr_init(void)
{
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	t_start = time(NULL);
	sh->pids[0] = getpid();
	sh->npids = 1;
}

/* ---- output ------------------------------------------------------------ */

void tr(const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	for (int off = 0; off < n;) {
		ssize_t w = write(1, buf + off, n - off);

		if (w <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			break;
		}
		off += w;
	}
}

const char *tr_fmt(const char *fmt, ...)
{
	static char bufs[16][512];
	static unsigned next;
	char *b = bufs[next++ % 16];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, sizeof(bufs[0]), fmt, ap);
	va_end(ap);
	return b;
}

const char *tr_errname(int e)
{
	const char *n = e ? strerrorname_np(e) : NULL;

	return n ? n : tr_fmt("errno%d", e);
}

const char *tr_kname(enum kind k)
{
	return k == K_MSG ? "msg" : k == K_SEM ? "sem" : "shm";
}

const char *tr_id(enum kind k, long id)
{
	int i;

	if (id < 0)
		return tr_fmt("%ld", id);
	sh_lock();
	for (i = 0; i < sh->nids; i++)
		if (sh->ids[i].kind == (int)k && sh->ids[i].id == id)
			break;
	if (i == sh->nids && i < MAX_IDS) {
		sh->ids[i].kind = k;
		sh->ids[i].id = id;
		sh->nids++;
	}
	sh_unlock();
	return tr_fmt("ID%d", i);
}

const char *tr_idalias;

/* An id's token if it has one, else its number (for deliberately bad ids). */
static const char *tr_idref(enum kind k, long id)
{
	if (tr_idalias)
		return tr_idalias;
	for (int i = 0; i < sh->nids; i++)
		if (sh->ids[i].kind == (int)k && sh->ids[i].id == id)
			return tr_fmt("ID%d", i);
	return tr_fmt("%ld", id);
}

const char *tr_key(key_t key)
{
	switch (key) {
	case IPC_PRIVATE: return "IPC_PRIVATE";
	case KEY1: return "KEY1";
	case KEY2: return "KEY2";
	case KEY3: return "KEY3";
	case KEY4: return "KEY4";
	}
	return tr_fmt("0x%08x", (unsigned)key);
}

static int pid_index(pid_t pid, bool add)
{
	int i;

	sh_lock();
	for (i = 0; i < sh->npids; i++)
		if (sh->pids[i] == pid)
			break;
	if (i == sh->npids) {
		if (add && i < MAX_PIDS) {
			sh->pids[i] = pid;
			sh->npids++;
		} else {
			i = -1;
		}
	}
	sh_unlock();
	return i;
}

const char *tr_pid(pid_t pid)
{
	int i;

	if (pid == 0)
		return "0";
	i = pid_index(pid, false);
	if (i < 0)
		return "PID_OTHER";
	return i == 0 ? "PID_SELF" : tr_fmt("PID_CHILD%d", i);
}

const char *tr_time(time_t t)
{
	time_t now = time(NULL);

	if (t == 0)
		return "0";
	/* a time set during the scenario; never older than its start */
	if (t >= t_start - 1 && t <= now + 1)
		return "recent";
	return t < now ? "old" : "future";
}

const char *tr_flags(int flg)
{
	char b[128] = "";
	int rest = flg & ~(IPC_CREAT | IPC_EXCL);

	if (flg & IPC_CREAT)
		strcat(b, "IPC_CREAT|");
	if (flg & IPC_EXCL)
		strcat(b, "IPC_EXCL|");
	if (rest || !b[0])
		snprintf(b + strlen(b), sizeof(b) - strlen(b), "0%o", rest);
	else
		b[strlen(b) - 1] = '\0';
	return tr_fmt("%s", b);
}

/* Drop the X_ prefixes from a call's source text. */
static const char *clean_label(const char *s)
{
	static char b[1024];
	size_t o = 0;

	for (size_t i = 0; s[i] && o < sizeof(b) - 1; i++) {
		if (s[i] == 'X' && s[i + 1] == '_' &&
		    (i == 0 || !(isalnum((unsigned char)s[i - 1]) ||
				 s[i - 1] == '_'))) {
			i++;
			continue;
		}
		b[o++] = s[i];
	}
	b[o] = '\0';
	return b;
}

long tr_ret(enum kind k, const char *label, long r, int e)
{
	const char *lab = clean_label(label);

	if (r == -1)
		tr("%s = -1 %s", lab, tr_errname(e));
	else if (k == K_INT)
		tr("%s = %ld", lab, r);
	else if (k == K_PID)
		tr("%s = %s", lab, tr_pid((pid_t)r));
	else
		tr("%s = %s", lab, tr_id(k, r));
	return r;
}

void *tr_ret_ptr(const char *label, void *p, int e)
{
	if (p == (void *)-1)
		tr("%s = -1 %s", clean_label(label), tr_errname(e));
	else
		tr("%s = ADDR", clean_label(label));
	return p;
}

/* ---- IPC_STAT ------------------------------------------------------------ */

static void tr_perm(const struct ipc_perm *p)
{
	tr("  perm key=%s uid=%u gid=%u cuid=%u cgid=%u mode=0%o",
	   tr_key(p->__key), p->uid, p->gid, p->cuid, p->cgid, p->mode);
}

static void tr_msqid(const struct msqid_ds *d)
{
	tr_perm(&d->msg_perm);
	tr("  qnum=%lu qbytes=%lu cbytes=%lu lspid=%s lrpid=%s stime=%s "
	   "rtime=%s ctime=%s", (unsigned long)d->msg_qnum,
	   (unsigned long)d->msg_qbytes, (unsigned long)d->__msg_cbytes,
	   tr_pid(d->msg_lspid), tr_pid(d->msg_lrpid), tr_time(d->msg_stime),
	   tr_time(d->msg_rtime), tr_time(d->msg_ctime));
}

static void tr_semid(const struct semid_ds *d)
{
	tr_perm(&d->sem_perm);
	tr("  nsems=%lu otime=%s ctime=%s", (unsigned long)d->sem_nsems,
	   tr_time(d->sem_otime), tr_time(d->sem_ctime));
}

static void tr_shmid(const struct shmid_ds *d)
{
	tr_perm(&d->shm_perm);
	tr("  segsz=%zu nattch=%lu cpid=%s lpid=%s atime=%s dtime=%s ctime=%s",
	   d->shm_segsz, (unsigned long)d->shm_nattch, tr_pid(d->shm_cpid),
	   tr_pid(d->shm_lpid), tr_time(d->shm_atime), tr_time(d->shm_dtime),
	   tr_time(d->shm_ctime));
}

int st_msg(int id)
{
	struct msqid_ds d;
	int r;

	memset(&d, 0, sizeof(d));
	r = RL(tr_fmt("msgctl(%s, IPC_STAT)", tr_idref(K_MSG, id)),
	       X_msgctl(id, IPC_STAT, &d));
	if (r == 0)
		tr_msqid(&d);
	return r;
}

int st_sem(int id)
{
	struct semid_ds d;
	int r;

	memset(&d, 0, sizeof(d));
	r = RL(tr_fmt("semctl(%s, 0, IPC_STAT)", tr_idref(K_SEM, id)),
	       X_semctl(id, 0, IPC_STAT, &d));
	if (r == 0)
		tr_semid(&d);
	return r;
}

int st_shm(int id)
{
	struct shmid_ds d;
	int r;

	memset(&d, 0, sizeof(d));
	r = RL(tr_fmt("shmctl(%s, IPC_STAT)", tr_idref(K_SHM, id)),
	       X_shmctl(id, IPC_STAT, &d));
	if (r == 0)
		tr_shmid(&d);
	return r;
}

/* ---- generic helpers ----------------------------------------------------- */

int obj_get_sz(enum kind k, key_t key, long sz, int flg)
{
	switch (k) {
	case K_MSG:
		return RLID(k, tr_fmt("msgget(%s, %s)", tr_key(key),
				      tr_flags(flg)), X_msgget(key, flg));
	case K_SEM:
		return RLID(k, tr_fmt("semget(%s, %ld, %s)", tr_key(key), sz,
				      tr_flags(flg)),
			    X_semget(key, (int)sz, flg));
	default:
		return RLID(k, tr_fmt("shmget(%s, %ld, %s)", tr_key(key), sz,
				      tr_flags(flg)),
			    X_shmget(key, (size_t)sz, flg));
	}
}

int obj_get(enum kind k, key_t key, int flg)
{
	return obj_get_sz(k, key, k == K_MSG ? 0 : k == K_SEM ? 1 : 4096, flg);
}

int obj_stat(enum kind k, int id)
{
	return k == K_MSG ? st_msg(id) : k == K_SEM ? st_sem(id) : st_shm(id);
}

static const char *set_label(enum kind k, int id, long uid, long gid,
			     long mode)
{
	char b[128] = "";

	if (uid != -2)
		snprintf(b + strlen(b), sizeof(b) - strlen(b), " uid=%ld", uid);
	if (gid != -2)
		snprintf(b + strlen(b), sizeof(b) - strlen(b), " gid=%ld", gid);
	if (mode != -2)
		snprintf(b + strlen(b), sizeof(b) - strlen(b), " mode=0%lo",
			 mode);
	return tr_fmt("%sctl(%s, IPC_SET%s)", tr_kname(k), tr_idref(k, id), b);
}

/*
 * IPC_SET with the fields given (-2 = keep what IPC_STAT says; when the
 * caller may not read the object, the other fields are zero).
 */
int obj_set(enum kind k, int id, long uid, long gid, long mode)
{
	const char *lab = set_label(k, id, uid, gid, mode);
	struct msqid_ds m;
	struct semid_ds s;
	struct shmid_ds h;
	struct ipc_perm *p;

	memset(&m, 0, sizeof(m));
	memset(&s, 0, sizeof(s));
	memset(&h, 0, sizeof(h));
	if (k == K_MSG) {
		X_msgctl(id, IPC_STAT, &m);
		p = &m.msg_perm;
	} else if (k == K_SEM) {
		X_semctl(id, 0, IPC_STAT, &s);
		p = &s.sem_perm;
	} else {
		X_shmctl(id, IPC_STAT, &h);
		p = &h.shm_perm;
	}
	if (uid != -2)
		p->uid = (uid_t)uid;
	if (gid != -2)
		p->gid = (gid_t)gid;
	if (mode != -2)
		p->mode = (unsigned short)mode;
	if (k == K_MSG)
		return RL(lab, X_msgctl(id, IPC_SET, &m));
	if (k == K_SEM)
		return RL(lab, X_semctl(id, 0, IPC_SET, &s));
	return RL(lab, X_shmctl(id, IPC_SET, &h));
}

int obj_rmid(enum kind k, int id)
{
	const char *lab = tr_fmt("%sctl(%s, IPC_RMID)", tr_kname(k),
				 tr_idref(k, id));

	if (k == K_MSG)
		return RL(lab, X_msgctl(id, IPC_RMID, NULL));
	if (k == K_SEM)
		return RL(lab, X_semctl(id, 0, IPC_RMID));
	return RL(lab, X_shmctl(id, IPC_RMID, NULL));
}

static struct {
	long mtype;
	char mtext[65536];
} mb;

int obj_read(enum kind k, int id)
{
	const char *ref = tr_idref(k, id);

	if (k == K_MSG)
		return RL(tr_fmt("read: msgrcv(%s, 64, 0, IPC_NOWAIT)", ref),
			  X_msgrcv(id, &mb, 64, 0, IPC_NOWAIT));
	if (k == K_SEM) {
		struct sembuf op = { 0, 0, IPC_NOWAIT };

		return RL(tr_fmt("read: semop(%s, [0:0:n])", ref),
			  X_semop(id, &op, 1));
	} else {
		void *p = X_shmat(id, NULL, SHM_RDONLY);
		int e = errno;

		tr_ret_ptr(tr_fmt("read: shmat(%s, NULL, SHM_RDONLY)", ref),
			   p, e);
		if (p == (void *)-1)
			return -1;
		X_shmdt(p);
		return 0;
	}
}

int obj_write(enum kind k, int id)
{
	const char *ref = tr_idref(k, id);

	if (k == K_MSG) {
		mb.mtype = 1;
		mb.mtext[0] = 'w';
		return RL(tr_fmt("write: msgsnd(%s, type=1, 1 byte, IPC_NOWAIT)",
				 ref), X_msgsnd(id, &mb, 1, IPC_NOWAIT));
	}
	if (k == K_SEM) {
		struct sembuf op[2] = { { 0, 1, 0 }, { 0, -1, 0 } };

		return RL(tr_fmt("write: semop(%s, [0:+1 0:-1])", ref),
			  X_semop(id, op, 2));
	} else {
		void *p = X_shmat(id, NULL, 0);
		int e = errno;

		tr_ret_ptr(tr_fmt("write: shmat(%s, NULL, 0)", ref), p, e);
		if (p == (void *)-1)
			return -1;
		X_shmdt(p);
		return 0;
	}
}

/* The generic G_* commands of trace.h, as each type numbers them. */
static int real_cmd(enum kind k, int cmd)
{
	static const int tab[3][3] = {
		{ MSG_INFO, MSG_STAT, MSG_STAT_ANY },
		{ SEM_INFO, SEM_STAT, SEM_STAT_ANY },
		{ SHM_INFO, SHM_STAT, SHM_STAT_ANY },
	};

	if (cmd >= G_INFO && cmd <= G_STAT_ANY)
		return tab[k][cmd - G_INFO];
	return cmd;
}

static const char *cmd_name(enum kind k, int cmd)
{
	static const char *const names[3][3] = {
		{ "MSG_INFO", "MSG_STAT", "MSG_STAT_ANY" },
		{ "SEM_INFO", "SEM_STAT", "SEM_STAT_ANY" },
		{ "SHM_INFO", "SHM_STAT", "SHM_STAT_ANY" },
	};

	if (cmd >= G_INFO && cmd <= G_STAT_ANY)
		return names[k][cmd - G_INFO];
	if (cmd == IPC_INFO)
		return "IPC_INFO";
	return tr_fmt("cmd%d", cmd);
}

int obj_info(enum kind k, int gcmd)
{
	const char *cn = cmd_name(k, gcmd);
	int cmd = real_cmd(k, gcmd);
	int r;

	if (k == K_MSG) {
		struct msginfo i;

		memset(&i, 0, sizeof(i));
		r = RL(tr_fmt("msgctl(0, %s)", cn),
		       X_msgctl(0, cmd, (struct msqid_ds *)&i));
		if (r >= 0)
			tr("  msgpool=%d msgmap=%d msgmax=%d msgmnb=%d msgmni=%d"
			   " msgssz=%d msgtql=%d msgseg=%u", i.msgpool,
			   i.msgmap, i.msgmax, i.msgmnb, i.msgmni, i.msgssz,
			   i.msgtql, i.msgseg);
	} else if (k == K_SEM) {
		struct seminfo i;

		memset(&i, 0, sizeof(i));
		r = RL(tr_fmt("semctl(0, 0, %s)", cn),
		       X_semctl(0, 0, cmd, &i));
		if (r >= 0)
			tr("  semmap=%d semmni=%d semmns=%d semmnu=%d semmsl=%d"
			   " semopm=%d semume=%d semusz=%d semvmx=%d semaem=%d",
			   i.semmap, i.semmni, i.semmns, i.semmnu, i.semmsl,
			   i.semopm, i.semume, i.semusz, i.semvmx, i.semaem);
	} else if (gcmd == IPC_INFO) {
		struct shminfo i;

		memset(&i, 0, sizeof(i));
		r = RL(tr_fmt("shmctl(0, %s)", cn),
		       X_shmctl(0, cmd, (struct shmid_ds *)&i));
		if (r >= 0)
			tr("  shmmax=%lu shmmin=%lu shmmni=%lu shmseg=%lu "
			   "shmall=%lu", i.shmmax, i.shmmin, i.shmmni,
			   i.shmseg, i.shmall);
	} else {
		struct shm_info i;

		memset(&i, 0, sizeof(i));
		r = RL(tr_fmt("shmctl(0, %s)", cn),
		       X_shmctl(0, cmd, (struct shmid_ds *)&i));
		if (r >= 0)
			tr("  used_ids=%d shm_tot=%lu shm_swp=%lu "
			   "swap_attempts=%lu swap_successes=%lu", i.used_ids,
			   i.shm_tot, i.shm_swp, i.swap_attempts,
			   i.swap_successes);
	}
	return r;
}

int obj_statidx(enum kind k, int idx, int gcmd)
{
	const char *lab = tr_fmt("%sctl(%d, %s)", tr_kname(k), idx,
				 cmd_name(k, gcmd));
	int cmd = real_cmd(k, gcmd);
	int r;

	if (k == K_MSG) {
		struct msqid_ds d;

		memset(&d, 0, sizeof(d));
		r = RLID(k, lab, X_msgctl(idx, cmd, &d));
		if (r >= 0)
			tr_msqid(&d);
	} else if (k == K_SEM) {
		struct semid_ds d;

		memset(&d, 0, sizeof(d));
		r = RLID(k, lab, X_semctl(idx, 0, cmd, &d));
		if (r >= 0)
			tr_semid(&d);
	} else {
		struct shmid_ds d;

		memset(&d, 0, sizeof(d));
		r = RLID(k, lab, X_shmctl(idx, cmd, &d));
		if (r >= 0)
			tr_shmid(&d);
	}
	return r;
}

/* ---- messages ------------------------------------------------------------ */

static const char *msgflags(int flg)
{
	char b[128] = "";

	if (flg & IPC_NOWAIT)
		strcat(b, "|IPC_NOWAIT");
	if (flg & MSG_NOERROR)
		strcat(b, "|MSG_NOERROR");
	if (flg & MSG_EXCEPT)
		strcat(b, "|MSG_EXCEPT");
	if (flg & MSG_COPY)
		strcat(b, "|MSG_COPY");
	flg &= ~(IPC_NOWAIT | MSG_NOERROR | MSG_EXCEPT | MSG_COPY);
	if (flg)
		snprintf(b + strlen(b), sizeof(b) - strlen(b), "|0%o", flg);
	return b[0] ? tr_fmt("%s", b + 1) : "0";
}

int msnd(int q, long type, const char *text, int flg)
{
	size_t len = strlen(text);

	mb.mtype = type;
	memcpy(mb.mtext, text, len);
	return RL(tr_fmt("msgsnd(%s, type=%ld, \"%s\", %s)", tr_idref(K_MSG, q),
			 type, text, msgflags(flg)),
		  X_msgsnd(q, &mb, len, flg));
}

int msnd_len(int q, long type, size_t len, int flg)
{
	mb.mtype = type;
	for (size_t i = 0; i < len && i < sizeof(mb.mtext); i++)
		mb.mtext[i] = (char)('a' + i % 26);
	return RL(tr_fmt("msgsnd(%s, type=%ld, %zu bytes, %s)",
			 tr_idref(K_MSG, q), type, len, msgflags(flg)),
		  X_msgsnd(q, &mb, len, flg));
}

long mrcv(int q, size_t size, long type, int flg)
{
	const char *lab = tr_fmt("msgrcv(%s, %zu, %ld, %s)",
				 tr_idref(K_MSG, q), size, type, msgflags(flg));
	ssize_t r;
	int e;

	memset(&mb, 0, sizeof(mb));
	errno = 0;
	r = X_msgrcv(q, &mb, size, type, flg);
	e = errno;
	if (r < 0) {
		tr("%s = -1 %s", lab, tr_errname(e));
	} else {
		char t[40];
		size_t n = (size_t)r < sizeof(t) - 1 ? (size_t)r : sizeof(t) - 1;

		for (size_t i = 0; i < n; i++)
			t[i] = isprint((unsigned char)mb.mtext[i]) ?
			       mb.mtext[i] : '.';
		t[n] = '\0';
		tr("%s = %zd type=%ld \"%s\"%s", lab, r, mb.mtype, t,
		   (size_t)r > n ? "..." : "");
	}
	return r;
}

/* ---- semaphores ---------------------------------------------------------- */

/* "num:op[:flags] ..." with flags n = IPC_NOWAIT, u = SEM_UNDO. */
static size_t parse_ops(const char *spec, struct sembuf *ops, size_t max)
{
	size_t n = 0;
	const char *s = spec;

	while (*s && n < max) {
		char fl[8] = "";
		int num, op, used = 0;

		while (*s == ' ')
			s++;
		if (!*s)
			break;
		if (sscanf(s, "%d:%d%n", &num, &op, &used) < 2)
			break;
		s += used;
		if (*s == ':') {
			int u2 = 0;

			sscanf(s, ":%7[nu]%n", fl, &u2);
			s += u2;
		}
		ops[n].sem_num = (unsigned short)num;
		ops[n].sem_op = (short)op;
		ops[n].sem_flg = (short)((strchr(fl, 'n') ? IPC_NOWAIT : 0) |
					 (strchr(fl, 'u') ? SEM_UNDO : 0));
		n++;
	}
	return n;
}

int semops_t(int s, const char *spec, long timeout_ms)
{
	static struct sembuf ops[1024];
	size_t n = parse_ops(spec, ops, 1024);
	const char *shown = strlen(spec) > 80 ? tr_fmt("%zu ops", n) : spec;
	struct timespec ts;

	if (timeout_ms == -1)
		return RL(tr_fmt("semop(%s, [%s])", tr_idref(K_SEM, s), shown),
			  X_semop(s, ops, n));
	if (timeout_ms == -2) {		/* an invalid timeout */
		ts.tv_sec = 0;
		ts.tv_nsec = 1000000000;
	} else {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (timeout_ms % 1000) * 1000000;
	}
	return RL(tr_fmt("semtimedop(%s, [%s], %s)", tr_idref(K_SEM, s), shown,
			 timeout_ms == -2 ? "{0, 1e9}" :
			 tr_fmt("%ldms", timeout_ms)),
		  X_semtimedop(s, ops, n, timeout_ms == -3 ? NULL : &ts));
}

int semops(int s, const char *spec)
{
	return semops_t(s, spec, -1);
}

int semgetall(int s, int n)
{
	unsigned short v[256];
	char b[1024] = "";
	int r;

	memset(v, 0xff, sizeof(v));
	r = RL(tr_fmt("semctl(%s, 0, GETALL)", tr_idref(K_SEM, s)),
	       X_semctl(s, 0, GETALL, v));
	if (r == 0) {
		for (int i = 0; i < n && i < 256; i++)
			snprintf(b + strlen(b), sizeof(b) - strlen(b), " %u",
				 v[i]);
		tr("  values:%s", b);
	}
	return r;
}

int semsetall(int s, int n, const unsigned short *v)
{
	char b[1024] = "";

	for (int i = 0; i < n; i++)
		snprintf(b + strlen(b), sizeof(b) - strlen(b), "%s%u",
			 i ? " " : "", v[i]);
	return RL(tr_fmt("semctl(%s, 0, SETALL, [%s])", tr_idref(K_SEM, s), b),
		  X_semctl(s, 0, SETALL, v));
}

int semval(int s, int num)
{
	return RL(tr_fmt("semctl(%s, %d, GETVAL)", tr_idref(K_SEM, s), num),
		  X_semctl(s, num, GETVAL));
}

/* ---- processes ------------------------------------------------------------ */

static struct kid *kid_of(pid_t pid)
{
	for (int i = 0; i < nkids; i++)
		if (kids[i].pid == pid)
			return &kids[i];
	return NULL;
}

pid_t tr_fork(void)
{
	int out[2], rdy[2], go[2];
	pid_t pid, parent;

	if (nkids == MAX_KIDS || pipe2(out, O_CLOEXEC) || pipe2(rdy, O_CLOEXEC) ||
	    pipe2(go, O_CLOEXEC)) {
		tr("HARNESS: cannot fork a child");
		exit(2);
	}
	parent = getpid();
	pid = fork();
	if (pid < 0) {
		tr("HARNESS: fork: %s", tr_errname(errno));
		exit(2);
	}
	if (pid == 0) {
		dup2(out[1], 1);
		close(out[0]);
		close(out[1]);
		close(rdy[0]);
		close(go[1]);
		for (int i = 0; i < nkids; i++) {
			close(kids[i].out_fd);
			close(kids[i].ready_fd);
			close(kids[i].go_fd);
		}
		nkids = 0;
		my_ready_fd = rdy[1];
		my_go_fd = go[0];
		/* never outlive the parent, blocked in a namespace forever */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		pid_index(getpid(), true);
		return 0;
	}
	close(out[1]);
	close(rdy[1]);
	close(go[0]);
	kids[nkids].pid = pid;
	kids[nkids].num = pid_index(pid, true);
	kids[nkids].out_fd = out[0];
	kids[nkids].ready_fd = rdy[0];
	kids[nkids].go_fd = go[1];
	nkids++;
	return pid;
}

void tr_child_exit(void)
{
	_exit(0);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static void nap(int i)
{
	usleep(i < 100 ? 200 : 2000);
}

int tr_wait(pid_t pid)
{
	struct kid *k = kid_of(pid);
	long end = now_ms() + WAIT_MS;
	int st = 0, i = 0;
	pid_t r;
	char buf[8192], line[4096];
	size_t ll = 0;
	ssize_t n;

	if (!k) {
		tr("HARNESS: tr_wait on an unknown child");
		return -1;
	}
	while ((r = waitpid(pid, &st, WNOHANG)) == 0 && now_ms() < end)
		nap(i++);
	if (r == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		tr("child%d TIMED OUT, killed", k->num);
	}
	fcntl(k->out_fd, F_SETFL, O_NONBLOCK);
	while ((n = read(k->out_fd, buf, sizeof(buf))) > 0) {
		for (ssize_t j = 0; j < n; j++) {
			if (buf[j] == '\n' || ll == sizeof(line) - 1) {
				line[ll] = '\0';
				tr("  child%d| %s", k->num, line);
				ll = 0;
			} else {
				line[ll++] = buf[j];
			}
		}
	}
	if (ll) {
		line[ll] = '\0';
		tr("  child%d| %s", k->num, line);
	}
	close(k->out_fd);
	close(k->ready_fd);
	close(k->go_fd);
	k->pid = 0;
	if (WIFEXITED(st))
		tr("child%d exit %d", k->num, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		tr("child%d killed by SIG%s", k->num,
		   sigabbrev_np(WTERMSIG(st)) ? sigabbrev_np(WTERMSIG(st)) :
		   "?");
	return st;
}

void tr_ready(void)
{
	if (write(my_ready_fd, "r", 1) != 1)
		tr("HARNESS: tr_ready: %s", tr_errname(errno));
}

int tr_await(pid_t pid)
{
	struct kid *k = kid_of(pid);
	struct pollfd p = { .fd = k ? k->ready_fd : -1, .events = POLLIN };
	char c;

	if (!k || poll(&p, 1, WAIT_MS) != 1) {
		tr("HARNESS: child did not get ready");
		return -1;
	}
	return read(k->ready_fd, &c, 1) == 1 ? 1 : 0;
}

void tr_go(pid_t pid)
{
	struct kid *k = kid_of(pid);

	if (!k || write(k->go_fd, "g", 1) != 1)
		tr("HARNESS: tr_go failed");
}

void tr_wait_go(void)
{
	char c;

	if (read(my_go_fd, &c, 1) != 1)
		_exit(3);	/* the parent is gone */
}

/* The child sleeps in a System V call or a futex wait (uipc). */
static bool sleeping_in_ipc(pid_t pid)
{
	char path[64], buf[512], *p;
	int fd;
	ssize_t n;
	long nr;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || p[2] != 'S')
		return false;
	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	nr = strtol(buf, NULL, 10);
	return nr == SYS_msgrcv || nr == SYS_msgsnd || nr == SYS_semop ||
	       nr == SYS_semtimedop || nr == SYS_futex
#ifdef SYS_futex_waitv
	       || nr == SYS_futex_waitv
#endif
	       ;
}

bool tr_blocked(pid_t pid)
{
	long end = now_ms() + DEADLINE_MS;

	for (int i = 0; now_ms() < end; i++) {
		if (sleeping_in_ipc(pid))
			return true;
		nap(i);
	}
	return false;
}

void tr_block_report(pid_t pid)
{
	struct kid *k = kid_of(pid);
	int num = k ? k->num : -1;

	if (tr_blocked(pid))
		tr("child%d is blocked", num);
	else
		tr("child%d is NOT blocked", num);
}

bool tr_poll(bool (*cond)(void *), void *arg)
{
	long end = now_ms() + DEADLINE_MS;

	for (int i = 0; now_ms() < end; i++) {
		if (cond(arg))
			return true;
		nap(i);
	}
	return cond(arg);
}

int tr_become(unsigned uid, unsigned gid, int ngroups, const gid_t *groups)
{
	if (setgroups(ngroups, groups) || setgid(gid) || setuid(uid)) {
		tr("become(uid=%u, gid=%u) failed: %s", uid, gid,
		   tr_errname(errno));
		return -1;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);	/* a credential change clears it */
	if (ngroups)
		tr("become uid=%u gid=%u groups=%u", uid, gid, groups[0]);
	else
		tr("become uid=%u gid=%u", uid, gid);
	return 0;
}

void tr_kill(pid_t pid, int sig)
{
	struct kid *k = kid_of(pid);

	if (kill(pid, sig))
		tr("kill(child, SIG%s) failed: %s", sigabbrev_np(sig),
		   tr_errname(errno));
	else
		tr("kill(child%d, SIG%s)", k ? k->num : -1, sigabbrev_np(sig));
}

/* ---- limits --------------------------------------------------------------- */

#ifdef DIFF_KERNEL
/* The kernel's limits: /proc/sys/kernel of our private IPC namespace. */
static int setlimit_proc(const char *name, unsigned long value)
{
	static const char *const semf[4] = {
		"semmsl", "semmns", "semopm", "semmni"
	};
	char path[64], buf[256];
	int fd, which = -1;
	ssize_t n;

	for (int i = 0; i < 4; i++)
		if (!strcmp(name, semf[i]))
			which = i;
	if (which >= 0) {
		unsigned long v[4];

		fd = open("/proc/sys/kernel/sem", O_RDONLY);
		if (fd < 0)
			return -1;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return -1;
		buf[n] = '\0';
		if (sscanf(buf, "%lu %lu %lu %lu", &v[0], &v[1], &v[2],
			   &v[3]) != 4) {
			errno = EIO;
			return -1;
		}
		v[which] = value;
		snprintf(buf, sizeof(buf), "%lu %lu %lu %lu\n", v[0], v[1],
			 v[2], v[3]);
		snprintf(path, sizeof(path), "/proc/sys/kernel/sem");
	} else {
		snprintf(buf, sizeof(buf), "%lu\n", value);
		snprintf(path, sizeof(path), "/proc/sys/kernel/%s", name);
	}
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	n = write(fd, buf, strlen(buf));
	close(fd);
	return n == (ssize_t)strlen(buf) ? 0 : -1;
}
#endif

#if !defined(DIFF_KERNEL) || defined(DIFF_RAW)
/* uipc's: $UIPC_ROOT/uipc.limits. */
static int setlimit_file(const char *name, unsigned long value)
{
	const char *root = getenv("UIPC_ROOT");
	char path[4096];
	FILE *f;

	if (!root || !*root) {	/* never touch the default namespace */
		errno = EINVAL;
		return -1;
	}
	snprintf(path, sizeof(path), "%s/uipc.limits", root);
	f = fopen(path, "a");
	if (!f)
		return -1;
	fprintf(f, "%s %lu\n", name, value);
	return fclose(f) ? -1 : 0;
}
#endif

int X_setlimit(const char *name, unsigned long value)
{
#if defined(DIFF_RAW)
	/* the raw build runs on both: under uipc-run --syscalls or not */
	if (getenv("UIPC_SYSCALLS"))
		return setlimit_file(name, value);
	return setlimit_proc(name, value);
#elif defined(DIFF_KERNEL)
	return setlimit_proc(name, value);
#else
	return setlimit_file(name, value);
#endif
}
