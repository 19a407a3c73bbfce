// SPDX-License-Identifier: MIT
/*
 * uipc-bench - uipc against the kernel's System V IPC, and both against
 * POSIX message queues and semaphores, pipes, Unix sockets, eventfd and
 * plain shared memory, all in one run, reported as ratios.
 *
 * Method (bench/README.md says more):
 *  - The program moves itself into a fresh IPC namespace first (unshare
 *    CLONE_NEWIPC, inside a new user namespace when not privileged), so no
 *    kernel object can outlive it, and points UIPC_ROOT at a private
 *    directory under /dev/shm that it removes at the end.
 *  - Every measurement runs in freshly forked children; the parent creates
 *    the objects, waits with a timeout, removes the objects and reads the
 *    children's timings from a shared page.  A crash, a hang or a wrong
 *    result in one implementation is reported and does not stop the run.
 *  - Per case and implementation: a calibration sample fixes the iteration
 *    count for the per-sample time, then R samples alternate between the
 *    implementations (rotating the order each round); the figure is the
 *    median of the samples.  Each sample starts with untimed warm-up
 *    iterations.  Times are CLOCK_MONOTONIC.
 *  - Everything moved is checked: sequence numbers, trailers, payload
 *    patterns, counts and sums; a mismatch marks the implementation WRONG.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <mqueue.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "uipc.h"
#include "../src/compat.h"

#define MAXPROC 8	/* processes in one sample */
#define MAXIMPL 12	/* implementations in one case */
#define MAXREPS 64
#define SLOTS 16	/* ring slots per direction in streaming mode */
#define SPIN 100	/* polls before a futex waiter sleeps */

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

/* ------------------------------------------------------------------ */
/* The two System V implementations behind one table of functions.     */

struct sysv {
	const char *name;
	int (*msgget)(key_t, int);
	int (*msgsnd)(int, const void *, size_t, int);
	ssize_t (*msgrcv)(int, void *, size_t, long, int);
	int (*msgctl)(int, int, struct msqid_ds *);
	int (*semget)(key_t, int, int);
	int (*semop)(int, struct sembuf *, size_t);
	int (*semctl)(int, int, int, ...);
	int (*shmget)(key_t, size_t, int);
	void *(*shmat)(int, const void *, int);
	int (*shmdt)(const void *);
	int (*shmctl)(int, int, struct shmid_ds *);
};

static const struct sysv api_kernel = {
	"kernel", msgget, msgsnd, msgrcv, msgctl, semget, semop, semctl,
	shmget, shmat, shmdt, shmctl,
};

static const struct sysv api_uipc = {
	"uipc", uipc_msgget, uipc_msgsnd, uipc_msgrcv, uipc_msgctl,
	uipc_semget, uipc_semop, uipc_semctl,
	uipc_shmget, uipc_shmat, uipc_shmdt, uipc_shmctl,
};

/* ------------------------------------------------------------------ */
/* Implementations ("mechanisms") and cases.                           */

enum mech {
	M_NONE,
	M_UIPC,		/* the uipc_* calls themselves */
	M_KERNEL,	/* the kernel's calls */
	M_UIPC_MSG,	/* messages through one uipc queue */
	M_KERNEL_MSG,	/* messages through one kernel queue */
	M_UIPC_SEM,	/* uipc semaphores guarding slots in a uipc segment */
	M_KERNEL_SEM,	/* the same with kernel objects */
	M_POSIX_MQ,	/* mq_send/mq_receive */
	M_SEM_T,	/* process-shared sem_t guarding slots in shared memory */
	M_POSIX_SHM,	/* shm_open + ftruncate + mmap */
	M_PIPE,
	M_UNIX,		/* AF_UNIX stream socket pair */
	M_EVENTFD,
	M_FUTEX,	/* shared-memory ring with futex wakeups: the bar */
	M_SPIN,		/* two processes spinning on one cache line: the floor */
	M_COUNT
};

static const char *const mech_name[M_COUNT] = {
	[M_NONE] = "-",
	[M_UIPC] = "uipc",
	[M_KERNEL] = "kernel",
	[M_UIPC_MSG] = "uipc-msg",
	[M_KERNEL_MSG] = "kernel-msg",
	[M_UIPC_SEM] = "uipc-sem+shm",
	[M_KERNEL_SEM] = "kernel-sem+shm",
	[M_POSIX_MQ] = "posix-mq",
	[M_SEM_T] = "sem_t",
	[M_POSIX_SHM] = "posix-shm",
	[M_PIPE] = "pipe",
	[M_UNIX] = "unix-stream",
	[M_EVENTFD] = "eventfd",
	[M_FUTEX] = "futex-ring",
	[M_SPIN] = "spin",
};

static const struct sysv *mech_api(enum mech m)
{
	switch (m) {
	case M_UIPC: case M_UIPC_MSG: case M_UIPC_SEM:
		return &api_uipc;
	case M_KERNEL: case M_KERNEL_MSG: case M_KERNEL_SEM:
		return &api_kernel;
	default:
		return NULL;
	}
}

/* The kernel implementation a uipc one is compared with. */
static enum mech kernel_twin(enum mech m)
{
	switch (m) {
	case M_UIPC: return M_KERNEL;
	case M_UIPC_MSG: return M_KERNEL_MSG;
	case M_UIPC_SEM: return M_KERNEL_SEM;
	default: return M_NONE;
	}
}

/* Largest message a channel mechanism carries here (0: no limit). */
static size_t mech_maxsize(enum mech m)
{
	switch (m) {
	case M_UIPC_MSG: case M_KERNEL_MSG: case M_POSIX_MQ:
		return 8192;	/* msgmax, mq msgsize_max: defaults */
	case M_EVENTFD: case M_SPIN:
		return 8;
	default:
		return 0;
	}
}

enum section { S_OP, S_RTT, S_STREAM, S_CONT, S_SHM, S_COUNT };

static const char *const section_title[S_COUNT] = {
	[S_OP] = "Uncontended operation cost, one process (ns per operation)",
	[S_RTT] = "Ping-pong round trip, 8-byte messages (ns per round trip)",
	[S_STREAM] = "Streaming, one sender to one receiver (ns per message)",
	[S_CONT] = "Contention and typed receive (ns per operation, all processes together)",
	[S_SHM] = "Segments and keys (ns per cycle)",
};

/* The section's name in the CSV. */
static const char *const section_key[S_COUNT] = {
	[S_OP] = "op", [S_RTT] = "roundtrip", [S_STREAM] = "stream",
	[S_CONT] = "contention", [S_SHM] = "shm",
};

enum kind {
	K_SEMPV,	/* P then V on an uncontended semaphore */
	K_MSGPAIR,	/* send then receive, one process */
	K_PINGPONG,	/* round trips between two processes */
	K_STREAM,	/* one sender, one receiver */
	K_SEMCONT,	/* N processes, one semaphore used as a mutex */
	K_MSGCONT,	/* N processes sending and receiving on one queue */
	K_TYPED,	/* typed send+receive past many messages of another type */
	K_SHMLIFE,	/* get + attach + touch + detach + remove */
	K_SHMATT,	/* attach + detach of an existing segment */
	K_GET,		/* get of an existing key */
};

enum { G_SHM, G_SEM, G_MSG };

struct bcase {
	const char *name;
	enum section section;
	enum kind kind;
	size_t size;		/* message or segment bytes */
	int arg;		/* flags, CPUs, processes, depth or object type */
	uint64_t n0;		/* iterations of the calibration sample */
	enum mech impl[MAXIMPL];
	const char *what;
};

#define PINGPONG_MECHS {M_UIPC_MSG, M_KERNEL_MSG, M_UIPC_SEM, M_KERNEL_SEM, \
	M_POSIX_MQ, M_SEM_T, M_PIPE, M_UNIX, M_EVENTFD, M_FUTEX, M_SPIN}
#define STREAM_MECHS {M_UIPC_MSG, M_KERNEL_MSG, M_UIPC_SEM, M_KERNEL_SEM, \
	M_POSIX_MQ, M_SEM_T, M_PIPE, M_UNIX, M_FUTEX}
#define MSG3 {M_UIPC_MSG, M_KERNEL_MSG, M_POSIX_MQ}
#define SEM3 {M_UIPC, M_KERNEL, M_SEM_T}
#define SHM3 {M_UIPC, M_KERNEL, M_POSIX_SHM}

static const struct bcase cases[] = {
	{ "sem-pv", S_OP, K_SEMPV, 0, 0, 2000, SEM3,
	  "semop -1 then +1, no SEM_UNDO (sem_t: sem_wait + sem_post)" },
	{ "sem-pv-undo", S_OP, K_SEMPV, 0, SEM_UNDO, 2000, {M_UIPC, M_KERNEL},
	  "semop -1 then +1, both with SEM_UNDO" },
	{ "msg-pair-16", S_OP, K_MSGPAIR, 16, 0, 1000, MSG3,
	  "send then receive 16 B in one process" },
	{ "msg-pair-4096", S_OP, K_MSGPAIR, 4096, 0, 500, MSG3,
	  "send then receive 4 KiB in one process" },
	{ "msg-pair-8192", S_OP, K_MSGPAIR, 8192, 0, 500, MSG3,
	  "send then receive 8 KiB (msgmax) in one process" },
	{ "pingpong-1cpu", S_RTT, K_PINGPONG, 8, 1, 200, PINGPONG_MECHS,
	  "round trip, both processes pinned to one CPU" },
	{ "pingpong-2cpu", S_RTT, K_PINGPONG, 8, 2, 500, PINGPONG_MECHS,
	  "round trip, processes pinned to two CPUs" },
	{ "stream-64", S_STREAM, K_STREAM, 64, 2, 2000, STREAM_MECHS,
	  "64 B messages, sender and receiver on two CPUs" },
	{ "stream-4096", S_STREAM, K_STREAM, 4096, 2, 500, STREAM_MECHS,
	  "4 KiB messages, sender and receiver on two CPUs" },
	{ "stream-65536", S_STREAM, K_STREAM, 65536, 2, 50, STREAM_MECHS,
	  "64 KiB messages, sender and receiver on two CPUs" },
	{ "stream-64-1cpu", S_STREAM, K_STREAM, 64, 1, 2000, STREAM_MECHS,
	  "64 B messages, sender and receiver pinned to one CPU" },
	{ "stream-4096-1cpu", S_STREAM, K_STREAM, 4096, 1, 500, STREAM_MECHS,
	  "4 KiB messages, sender and receiver pinned to one CPU" },
	{ "sem-contend-2", S_CONT, K_SEMCONT, 0, 2, 500, SEM3,
	  "2 processes, P + counter++ + V on one semaphore" },
	{ "sem-contend-4", S_CONT, K_SEMCONT, 0, 4, 250, SEM3,
	  "4 processes, P + counter++ + V on one semaphore" },
	{ "sem-contend-8", S_CONT, K_SEMCONT, 0, 8, 125, SEM3,
	  "8 processes, P + counter++ + V on one semaphore" },
	{ "msg-contend-2", S_CONT, K_MSGCONT, 64, 2, 500, MSG3,
	  "2 processes, send + receive 64 B on one queue" },
	{ "msg-contend-4", S_CONT, K_MSGCONT, 64, 4, 250, MSG3,
	  "4 processes, send + receive 64 B on one queue" },
	{ "msg-contend-8", S_CONT, K_MSGCONT, 64, 8, 125, MSG3,
	  "8 processes, send + receive 64 B on one queue" },
	{ "msg-typed-1000", S_CONT, K_TYPED, 8, 1000, 100,
	  {M_UIPC_MSG, M_KERNEL_MSG},
	  "typed send + receive of 8 B past 1000 queued messages of another type" },
	{ "shm-life-4k", S_SHM, K_SHMLIFE, 4096, 0, 200, SHM3,
	  "get + attach + touch every page + detach + remove, 4 KiB" },
	{ "shm-life-1m", S_SHM, K_SHMLIFE, 1 << 20, 0, 10, SHM3,
	  "get + attach + touch every page + detach + remove, 1 MiB" },
	{ "shm-life-64m", S_SHM, K_SHMLIFE, 64 << 20, 0, 1, SHM3,
	  "get + attach + touch every page + detach + remove, 64 MiB" },
	{ "shm-attach", S_SHM, K_SHMATT, 4096, 0, 500, {M_UIPC, M_KERNEL},
	  "attach + detach of an existing 4 KiB segment" },
	{ "shm-get", S_SHM, K_GET, 4096, G_SHM, 2000, {M_UIPC, M_KERNEL},
	  "shmget of an existing key" },
	{ "sem-get", S_SHM, K_GET, 0, G_SEM, 2000, {M_UIPC, M_KERNEL},
	  "semget of an existing key" },
	{ "msg-get", S_SHM, K_GET, 0, G_MSG, 2000, {M_UIPC, M_KERNEL},
	  "msgget of an existing key" },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

/*
 * The targets set by the semaphore (#3), message queue (#4) and segment
 * (#5) issues.  value = ns(a) / ns(b); "ge" wants value >= target, "le"
 * value <= target.  "Within 1.2x of the kernel" is kernel/uipc >= 1/1.2;
 * "within a few times the spinning floor" is taken as uipc/spin <= 3.
 */
struct check {
	const char *cas;
	int issue;
	const char *label;
	enum mech a, b;
	bool le;
	double target;
};

static const struct check checks[] = {
	{ "sem-pv", 3, "sem P+V, no SEM_UNDO: kernel/uipc",
	  M_KERNEL, M_UIPC, false, 10 },
	{ "sem-pv-undo", 3, "sem P+V with SEM_UNDO: kernel/uipc",
	  M_KERNEL, M_UIPC, false, 5 },
	{ "pingpong-1cpu", 3, "sem handoff, one CPU: kernel/uipc",
	  M_KERNEL_SEM, M_UIPC_SEM, false, 1 / 1.2 },
	{ "pingpong-2cpu", 3, "sem handoff, two CPUs: uipc/spin",
	  M_UIPC_SEM, M_SPIN, true, 3 },
	{ "pingpong-1cpu", 4, "msg ping-pong, one CPU: kernel/uipc",
	  M_KERNEL_MSG, M_UIPC_MSG, false, 1 / 1.2 },
	{ "pingpong-2cpu", 4, "msg ping-pong, two CPUs: uipc/spin",
	  M_UIPC_MSG, M_SPIN, true, 3 },
	{ "stream-64", 4, "msg stream 64 B: kernel/uipc",
	  M_KERNEL_MSG, M_UIPC_MSG, false, 5 },
	{ "stream-4096", 4, "msg stream 4 KiB: kernel/uipc",
	  M_KERNEL_MSG, M_UIPC_MSG, false, 10 },
	{ "shm-life-4k", 5, "segment cycle 4 KiB: kernel/uipc",
	  M_KERNEL, M_UIPC, false, 0.5 },
	{ "shm-life-1m", 5, "segment cycle 1 MiB: kernel/uipc",
	  M_KERNEL, M_UIPC, false, 0.5 },
	{ "shm-life-64m", 5, "segment cycle 64 MiB: kernel/uipc",
	  M_KERNEL, M_UIPC, false, 0.5 },
};
#define NCHECKS (sizeof(checks) / sizeof(checks[0]))

/* ------------------------------------------------------------------ */
/* Results.                                                            */

enum status { ST_OK, ST_NA, ST_ERROR, ST_WRONG, ST_TIMEOUT };
static const char *const status_name[] = {
	"ok", "n/a", "error", "wrong", "timeout",
};

struct sample {
	enum status st;
	char msg[200];
	double ns;	/* the figure: median round trip, or ns per op */
	double p99;	/* round trips only */
	double mean;	/* ns per op over the whole timed section */
	double cpu;	/* two processes: CPU time used / wall time, % */
};

struct result {
	enum status st;
	bool ran;
	char msg[200];
	uint64_t n;
	int reps;
	double ns, p99, cpu;
	double s_ns[MAXREPS], s_p99[MAXREPS], s_cpu[MAXREPS];
};

static struct result results[NCASES][MAXIMPL];
static bool selected[NCASES];

/* What one child reports, in a page shared with the parent. */
struct role {
	uint64_t t0, t1;	/* CLOCK_MONOTONIC ns around the timed part */
	uint64_t count;		/* operations or messages completed */
	uint64_t sum;		/* checksum of what was received */
	double med, p99;	/* round-trip percentiles */
	uint64_t cpu0, cpu1;	/* process CPU time (ns) around the timed part */
	uint64_t w0, w1;	/* and the CLOCK_MONOTONIC times of those */
	uint32_t status;	/* enum status; ST_OK unless the child failed */
	uint32_t done;
	char msg[200];
};

struct shared {
	uint32_t barrier;	/* contention: processes ready to start */
	uint32_t pad0[15];
	uint64_t counter;	/* contention: incremented under the semaphore */
	uint64_t pad1[7];
	struct role role[MAXPROC];
};

static struct shared *sh;

/* ------------------------------------------------------------------ */
/* Options and environment.                                            */

static struct {
	bool quick;
	int reps;
	double sample_ms;
	const char *csv;
	const char *chart;
	const char *patterns[32];
	int npatterns;
	bool list;
} opt = { .reps = 7, .sample_ms = 100 };

static int cpus[2] = { 0, 0 };
static int ncpus;
static char root[PATH_MAX];	/* our private UIPC_ROOT */
static pid_t parent_pid;
static volatile pid_t kids[MAXPROC];
static long pagesize;
static enum mech corrupt_mech;	/* fault injection for the self-test */
static unsigned char *pattern;	/* payload fill, 64 KiB */
#define PATTERN_LEN 65536

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	remove(path);
	return 0;
}

static void remove_root(void)
{
	if (root[0] && getpid() == parent_pid) {
		nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		root[0] = 0;
	}
}

static void on_fatal_signal(int sig)
{
	static const char m[] = "uipc-bench: interrupted, cleaning up\n";

	for (int i = 0; i < MAXPROC; i++)
		if (kids[i] > 0)
			kill(kids[i], SIGKILL);
	if (sig == SIGALRM) {
		static const char t[] = "uipc-bench: a parent-side call hung\n";
		(void)!write(2, t, sizeof(t) - 1);
	} else {
		(void)!write(2, m, sizeof(m) - 1);
	}
	remove_root();
	_exit(2);
}

/*
 * Move into a fresh IPC namespace: the kernel objects (SysV and POSIX
 * message queues) we create die with it, whatever happens.  When not
 * privileged, do what `unshare -Uri` does: a user namespace mapping us to
 * root, then the IPC namespace.
 */
static int enter_ipc_namespace(void)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	char buf[64];
	int fd;

	if (unshare(CLONE_NEWIPC) == 0)
		return 0;
	if (unshare(CLONE_NEWUSER | CLONE_NEWIPC) != 0)
		return -1;
	fd = open("/proc/self/setgroups", O_WRONLY);
	if (fd >= 0) {
		(void)!write(fd, "deny", 4);
		close(fd);
	}
	snprintf(buf, sizeof(buf), "0 %u 1", (unsigned)uid);
	fd = open("/proc/self/uid_map", O_WRONLY);
	if (fd < 0 || write(fd, buf, strlen(buf)) < 0)
		return -1;
	close(fd);
	snprintf(buf, sizeof(buf), "0 %u 1", (unsigned)gid);
	fd = open("/proc/self/gid_map", O_WRONLY);
	if (fd < 0 || write(fd, buf, strlen(buf)) < 0)
		return -1;
	close(fd);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Child side helpers.                                                 */

static struct role *me;

static void __attribute__((noreturn, format(printf, 2, 3)))
die(enum status st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(me->msg, sizeof(me->msg), fmt, ap);
	va_end(ap);
	__atomic_store_n(&me->status, st, __ATOMIC_RELEASE);
	_exit(1);
}

static void __attribute__((noreturn))
die_errno(const struct sysv *a, const char *call)
{
	int e = errno;

	die(ST_ERROR, "%s%s%s: %s", a ? a->name : "", a ? " " : "", call,
	    strerror(e));
}

/* CPU time used around the timed part of two-process cases. */
static void mark_start(void)
{
	me->cpu0 = cpu_ns();
	me->w0 = now_ns();
}

static void mark_end(void)
{
	me->cpu1 = cpu_ns();
	me->w1 = now_ns();
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		die_errno(NULL, "sched_setaffinity");
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

static long sys_futex(uint32_t *uaddr, int op, uint32_t val)
{
	return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
}

static void put64(void *p, uint64_t v) { memcpy(p, &v, 8); }
static uint64_t get64(const void *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static void sem_P(const struct sysv *a, int id, unsigned short num, short flg)
{
	struct sembuf sb = { num, -1, flg };

	if (a->semop(id, &sb, 1) != 0)
		die_errno(a, "semop");
}

static void sem_V(const struct sysv *a, int id, unsigned short num, short flg)
{
	struct sembuf sb = { num, 1, flg };

	if (a->semop(id, &sb, 1) != 0)
		die_errno(a, "semop");
}

static void semt_wait(sem_t *s)
{
	while (sem_wait(s) != 0)
		if (errno != EINTR)
			die_errno(NULL, "sem_wait");
}

static void semt_post(sem_t *s)
{
	if (sem_post(s) != 0)
		die_errno(NULL, "sem_post");
}

static void write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t r = write(fd, p, len);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			die_errno(NULL, "write");
		}
		p += r;
		len -= (size_t)r;
	}
}

static void read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t r = read(fd, p, len);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			die_errno(NULL, "read");
		}
		if (r == 0)
			die(ST_WRONG, "read: unexpected end of stream");
		p += r;
		len -= (size_t)r;
	}
}

/* The barrier that lines up contending processes before they start. */
static void barrier(int n)
{
	__atomic_fetch_add(&sh->barrier, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&sh->barrier, __ATOMIC_ACQUIRE) < (uint32_t)n)
		sched_yield();
}

/* k-th smallest of v[0..n-1] (reorders v). */
static uint32_t select_kth(uint32_t *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;

	while (lo < hi) {
		uint32_t pivot = v[lo + (hi - lo) / 2];
		size_t i = lo, j = hi;

		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				uint32_t t = v[i];

				v[i] = v[j];
				v[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;
	}
	return v[k];
}

/* ------------------------------------------------------------------ */
/* The sample environment.                                             */

/*
 * A ring direction in shared memory (sem_t and futex mechanisms): the
 * header, then the slots.  head counts messages the producer published,
 * tail those the consumer took; both are futex words.  cwait/pwait are
 * set by a consumer/producer about to sleep on head/tail, so that the
 * other side knows to wake it (Dekker: flag store, full barrier, recheck).
 */
struct ringhdr {
	uint32_t head;		/* futex: messages published */
	uint32_t cwait;		/* 1: the consumer may be asleep on head */
	uint32_t pad0[14];
	uint32_t tail;		/* futex: messages consumed */
	uint32_t pwait;		/* 1: the producer may be asleep on tail */
	uint32_t pad1[14];
	sem_t full;		/* sem_t mechanism: filled slots */
	sem_t empty;		/* sem_t mechanism: free slots */
	char pad2[256 - 128 - 2 * sizeof(sem_t)];
};
_Static_assert(sizeof(struct ringhdr) == 256, "ringhdr");

#define RING_HDRS 512	/* two headers */

struct env {
	const struct bcase *c;
	enum mech m;
	const struct sysv *a;
	uint64_t n;		/* timed iterations (per process) */
	uint64_t warm;		/* untimed iterations before them */
	int np;			/* processes */
	bool stream;		/* channel: ring of SLOTS, not ping-pong */
	size_t size, slotsz, slots;
	int id, id2;		/* SysV ids: queue or set; segment */
	int fd[4];
	mqd_t mq[2];
	void *map;		/* anonymous shared scratch */
	size_t maplen;
	char name[64];		/* POSIX names */
	char err[200];		/* parent-side failure */
	/* child side */
	char *seg;		/* ring headers and slots */
	char *sbuf, *rbuf;	/* send/receive buffers (struct msgbuf) */
	char *sp, *rp;		/* their payload */
	uint64_t idx[2];	/* messages sent or received per direction */
};

static int perr(struct env *e, const char *call)
{
	int err = errno;

	snprintf(e->err, sizeof(e->err), "%s%s%s: %s",
		 e->a ? e->a->name : "", e->a ? " " : "", call, strerror(err));
	return -1;
}

static void *anon_shared(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static size_t ring_len(const struct env *e)
{
	return RING_HDRS + 2 * e->slots * e->slotsz;
}

static struct ringhdr *ring_hdr(struct env *e, int d)
{
	return (struct ringhdr *)(e->seg + d * sizeof(struct ringhdr));
}

static char *ring_slot(struct env *e, int d, uint64_t i)
{
	return e->seg + RING_HDRS +
	       ((size_t)d * e->slots + (size_t)(i % e->slots)) * e->slotsz;
}

/* ------------------------------------------------------------------ */
/* Channels: the same two-direction message API over every mechanism. */

/* Parent: create the channel's objects. */
static int ch_open(struct env *e)
{
	const struct sysv *a = e->a;
	struct mq_attr attr = { 0 };
	union semun arg;

	e->slots = e->stream ? SLOTS : 1;
	e->slotsz = (e->size + 63) & ~(size_t)63;
	switch (e->m) {
	case M_UIPC_MSG: case M_KERNEL_MSG:
		e->id = a->msgget(IPC_PRIVATE, IPC_CREAT | 0600);
		if (e->id < 0)
			return perr(e, "msgget");
		return 0;
	case M_UIPC_SEM: case M_KERNEL_SEM:
		/* sem 2d: filled slots of direction d, 2d+1: free slots */
		e->id = a->semget(IPC_PRIVATE, 4, IPC_CREAT | 0600);
		if (e->id < 0)
			return perr(e, "semget");
		for (int s = 0; s < 4; s++) {
			arg.val = (s & 1) ? (int)e->slots : 0;
			if (a->semctl(e->id, s, SETVAL, arg) != 0)
				return perr(e, "semctl SETVAL");
		}
		e->id2 = a->shmget(IPC_PRIVATE, ring_len(e), IPC_CREAT | 0600);
		if (e->id2 < 0)
			return perr(e, "shmget");
		return 0;
	case M_POSIX_MQ:
		attr.mq_maxmsg = e->stream ? 10 : 1;
		attr.mq_msgsize = (long)e->size;
		for (int d = 0; d < 2; d++) {
			snprintf(e->name, sizeof(e->name), "/uipc-bench.%d.%d",
				 (int)getpid(), d);
			e->mq[d] = mq_open(e->name, O_CREAT | O_EXCL | O_RDWR,
					   0600, &attr);
			if (e->mq[d] == (mqd_t)-1)
				return perr(e, "mq_open");
			mq_unlink(e->name);
		}
		return 0;
	case M_SEM_T: case M_FUTEX: case M_SPIN:
		e->maplen = ring_len(e);
		e->map = anon_shared(e->maplen);
		if (!e->map)
			return perr(e, "mmap");
		if (e->m == M_SEM_T) {
			for (int d = 0; d < 2; d++) {
				struct ringhdr *h = (struct ringhdr *)e->map + d;

				if (sem_init(&h->full, 1, 0) != 0 ||
				    sem_init(&h->empty, 1, (unsigned)e->slots))
					return perr(e, "sem_init");
			}
		}
		return 0;
	case M_PIPE:
		if (pipe(e->fd) != 0 || pipe(e->fd + 2) != 0)
			return perr(e, "pipe");
		return 0;
	case M_UNIX:
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, e->fd) != 0)
			return perr(e, "socketpair");
		return 0;
	case M_EVENTFD:
		e->fd[0] = eventfd(0, 0);
		e->fd[1] = eventfd(0, 0);
		if (e->fd[0] < 0 || e->fd[1] < 0)
			return perr(e, "eventfd");
		return 0;
	default:
		errno = EINVAL;
		return perr(e, "channel");
	}
}

/* Parent: remove the channel's objects (whatever exists of them). */
static void ch_close(struct env *e)
{
	switch (e->m) {
	case M_UIPC_MSG: case M_KERNEL_MSG:
		if (e->id >= 0)
			e->a->msgctl(e->id, IPC_RMID, NULL);
		break;
	case M_UIPC_SEM: case M_KERNEL_SEM:
		if (e->id >= 0)
			e->a->semctl(e->id, 0, IPC_RMID);
		if (e->id2 >= 0)
			e->a->shmctl(e->id2, IPC_RMID, NULL);
		break;
	case M_POSIX_MQ:
		for (int d = 0; d < 2; d++)
			if (e->mq[d] != (mqd_t)-1)
				mq_close(e->mq[d]);
		break;
	default:
		break;
	}
}

/* Child: attach and get buffers. */
static void ch_attach(struct env *e)
{
	size_t hdr = sizeof(long);

	e->sbuf = malloc(hdr + e->size + 64);
	e->rbuf = malloc(hdr + e->size + 64);
	if (!e->sbuf || !e->rbuf)
		die(ST_ERROR, "out of memory");
	e->sp = e->sbuf + hdr;
	e->rp = e->rbuf + hdr;
	memcpy(e->sp, pattern, e->size < PATTERN_LEN ? e->size : PATTERN_LEN);
	memset(e->rp, 0, e->size);
	e->idx[0] = e->idx[1] = 0;
	if (e->m == M_UIPC_SEM || e->m == M_KERNEL_SEM) {
		e->seg = e->a->shmat(e->id2, NULL, 0);
		if (e->seg == (void *)-1)
			die_errno(e->a, "shmat");
	} else {
		e->seg = e->map;
	}
}

static void ch_detach(struct env *e)
{
	if (e->m == M_UIPC_SEM || e->m == M_KERNEL_SEM)
		if (e->a->shmdt(e->seg) != 0)
			die_errno(e->a, "shmdt");
}

/* Wait until *word differs from old: poll, then sleep on the futex. */
static void ring_wait(uint32_t *word, uint32_t *flag, uint32_t old)
{
	for (int i = 0;; i++) {
		if (__atomic_load_n(word, __ATOMIC_ACQUIRE) != old)
			return;
		if (i < SPIN) {
			cpu_relax();
			continue;
		}
		/* pairs with the store to *word + load of *flag in the waker */
		__atomic_store_n(flag, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(word, __ATOMIC_SEQ_CST) == old)
			sys_futex(word, FUTEX_WAIT, old);
		__atomic_store_n(flag, 0, __ATOMIC_RELAXED);
	}
}

/* Send the payload at e->sp in direction d (0: role 0 to role 1). */
static void ch_send(struct env *e, int d)
{
	const struct sysv *a = e->a;
	struct ringhdr *h;
	uint64_t i = e->idx[d]++;
	uint32_t t;

	if (e->m == corrupt_mech && d == 0 && i % 5 == 2)
		e->sp[0] ^= 0x40;	/* proves that verification catches it */
	switch (e->m) {
	case M_UIPC_MSG: case M_KERNEL_MSG:
		((struct msgbuf *)e->sbuf)->mtype = d + 1;
		if (a->msgsnd(e->id, e->sbuf, e->size, 0) != 0)
			die_errno(a, "msgsnd");
		return;
	case M_UIPC_SEM: case M_KERNEL_SEM:
		if (e->stream)
			sem_P(a, e->id, (unsigned short)(2 * d + 1), 0);
		memcpy(ring_slot(e, d, i), e->sp, e->size);
		sem_V(a, e->id, (unsigned short)(2 * d), 0);
		return;
	case M_SEM_T:
		h = ring_hdr(e, d);
		if (e->stream)
			semt_wait(&h->empty);
		memcpy(ring_slot(e, d, i), e->sp, e->size);
		semt_post(&h->full);
		return;
	case M_FUTEX:
		h = ring_hdr(e, d);
		while ((uint32_t)i - (t = __atomic_load_n(&h->tail,
				__ATOMIC_ACQUIRE)) >= e->slots)
			ring_wait(&h->tail, &h->pwait, t);
		memcpy(ring_slot(e, d, i), e->sp, e->size);
		/* pairs with the consumer's cwait store + head recheck */
		__atomic_store_n(&h->head, (uint32_t)(i + 1), __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&h->cwait, __ATOMIC_SEQ_CST))
			sys_futex(&h->head, FUTEX_WAKE, 1);
		return;
	case M_SPIN:
		/* one cache line, one word per direction */
		__atomic_store_n((uint64_t *)e->seg + d, get64(e->sp),
				 __ATOMIC_RELEASE);
		return;
	case M_POSIX_MQ:
		if (mq_send(e->mq[d], e->sp, e->size, 0) != 0)
			die_errno(NULL, "mq_send");
		return;
	case M_PIPE:
		write_full(e->fd[2 * d + 1], e->sp, e->size);
		return;
	case M_UNIX:
		write_full(e->fd[d], e->sp, e->size);
		return;
	case M_EVENTFD:
		write_full(e->fd[d], e->sp, 8);
		return;
	default:
		die(ST_ERROR, "bad channel");
	}
}

/* Receive the next message of direction d into e->rp. */
static void ch_recv(struct env *e, int d)
{
	const struct sysv *a = e->a;
	struct ringhdr *h;
	uint64_t i = e->idx[d]++;
	uint64_t v;
	ssize_t r;

	switch (e->m) {
	case M_UIPC_MSG: case M_KERNEL_MSG:
		r = a->msgrcv(e->id, e->rbuf, e->size, d + 1, 0);
		if (r < 0)
			die_errno(a, "msgrcv");
		if ((size_t)r != e->size ||
		    ((struct msgbuf *)e->rbuf)->mtype != d + 1)
			die(ST_WRONG, "%s msgrcv: got %zd bytes of type %ld",
			    a->name, r, ((struct msgbuf *)e->rbuf)->mtype);
		return;
	case M_UIPC_SEM: case M_KERNEL_SEM:
		sem_P(a, e->id, (unsigned short)(2 * d), 0);
		memcpy(e->rp, ring_slot(e, d, i), e->size);
		if (e->stream)
			sem_V(a, e->id, (unsigned short)(2 * d + 1), 0);
		return;
	case M_SEM_T:
		h = ring_hdr(e, d);
		semt_wait(&h->full);
		memcpy(e->rp, ring_slot(e, d, i), e->size);
		if (e->stream)
			semt_post(&h->empty);
		return;
	case M_FUTEX:
		h = ring_hdr(e, d);
		while (__atomic_load_n(&h->head, __ATOMIC_ACQUIRE) == (uint32_t)i)
			ring_wait(&h->head, &h->cwait, (uint32_t)i);
		memcpy(e->rp, ring_slot(e, d, i), e->size);
		/* pairs with the producer's pwait store + tail recheck */
		__atomic_store_n(&h->tail, (uint32_t)(i + 1), __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&h->pwait, __ATOMIC_SEQ_CST))
			sys_futex(&h->tail, FUTEX_WAKE, 1);
		return;
	case M_SPIN: {
		uint64_t *w = (uint64_t *)e->seg + d;
		uint64_t last = get64(e->rp);

		for (unsigned k = 1; (v = __atomic_load_n(w, __ATOMIC_ACQUIRE))
				     == last; k++) {
			cpu_relax();
			if (!(k & 63))
				sched_yield();	/* the partner may share our CPU */
		}
		put64(e->rp, v);
		return;
	}
	case M_POSIX_MQ:
		r = mq_receive(e->mq[d], e->rp, e->size, NULL);
		if (r < 0)
			die_errno(NULL, "mq_receive");
		if ((size_t)r != e->size)
			die(ST_WRONG, "mq_receive: got %zd bytes", r);
		return;
	case M_PIPE:
		read_full(e->fd[2 * d], e->rp, e->size);
		return;
	case M_UNIX:
		read_full(e->fd[1 - d], e->rp, e->size);
		return;
	case M_EVENTFD:
		read_full(e->fd[d], e->rp, 8);
		return;
	default:
		die(ST_ERROR, "bad channel");
	}
}

/* Stamp message seq into the send buffer: header and trailer. */
static void stamp(struct env *e, uint64_t seq)
{
	put64(e->sp, seq);
	if (e->size >= 16)
		put64(e->sp + e->size - 8, ~seq);
}

/* Check a received message: returns its sequence number. */
static uint64_t verify(struct env *e, bool full)
{
	uint64_t seq = get64(e->rp);

	if (e->size >= 16 && get64(e->rp + e->size - 8) != ~seq)
		die(ST_WRONG, "message %" PRIu64 ": bad trailer", seq);
	if (full && e->size > 16 &&
	    memcmp(e->rp + 8, pattern + 8, e->size - 16) != 0)
		die(ST_WRONG, "message %" PRIu64 ": payload corrupted", seq);
	return seq;
}

/* ------------------------------------------------------------------ */
/* Case bodies, run in the children.                                   */

static void body_sempv(struct env *e)
{
	const struct sysv *a = e->a;
	short flg = (short)e->c->arg;
	sem_t *s = e->map;
	union semun arg;
	int v;

	pin(cpus[0]);
	for (uint64_t i = 0; i < e->warm + e->n; i++) {
		if (i == e->warm)
			me->t0 = now_ns();
		if (e->m == M_SEM_T) {
			semt_wait(s);
			semt_post(s);
		} else {
			sem_P(a, e->id, 0, flg);
			sem_V(a, e->id, 0, flg);
		}
	}
	me->t1 = now_ns();
	me->count = e->n;
	if (e->m == M_SEM_T) {
		if (sem_getvalue(s, &v) != 0)
			die_errno(NULL, "sem_getvalue");
	} else {
		arg.val = 0;
		v = a->semctl(e->id, 0, GETVAL, arg);
		if (v < 0)
			die_errno(a, "semctl GETVAL");
	}
	if (v != 1)
		die(ST_WRONG, "semaphore value %d after P+V pairs, not 1", v);
}

static void body_msgpair(struct env *e)
{
	pin(cpus[0]);
	ch_attach(e);
	for (uint64_t i = 1; i <= e->warm + e->n; i++) {
		if (i == e->warm + 1)
			me->t0 = now_ns();
		stamp(e, i);
		ch_send(e, 0);
		ch_recv(e, 0);
		if (verify(e, (i & 63) == 0) != i)
			die(ST_WRONG, "sent message %" PRIu64 ", received %"
			    PRIu64, i, get64(e->rp));
	}
	me->t1 = now_ns();
	me->count = e->n;
	ch_detach(e);
}

static void body_pingpong(struct env *e, int r)
{
	uint64_t total = e->warm + e->n;
	uint32_t *lat = NULL;
	uint64_t t, prev = 0;

	pin(e->c->arg == 1 ? cpus[0] : cpus[r]);
	ch_attach(e);
	if (r == 1) {
		for (uint64_t i = 1; i <= total; i++) {
			if (i == e->warm + 1)
				mark_start();
			ch_recv(e, 0);
			put64(e->sp, get64(e->rp) + 1);
			ch_send(e, 1);
		}
		mark_end();
		me->count = total;
		ch_detach(e);
		return;
	}
	lat = malloc(e->n * sizeof(*lat));
	if (!lat)
		die(ST_ERROR, "out of memory");
	for (uint64_t i = 1; i <= total; i++) {
		if (i == e->warm + 1) {
			mark_start();
			me->t0 = prev = now_ns();
		}
		put64(e->sp, i);
		ch_send(e, 0);
		ch_recv(e, 1);
		if (get64(e->rp) != i + 1)
			die(ST_WRONG, "round trip %" PRIu64 ": got %" PRIu64
			    " back, not %" PRIu64, i, get64(e->rp), i + 1);
		if (i > e->warm) {
			t = now_ns();
			lat[i - e->warm - 1] = (uint32_t)((t - prev) > UINT32_MAX ?
						 UINT32_MAX : (t - prev));
			prev = t;
		}
	}
	me->t1 = prev;
	mark_end();
	me->count = total;
	me->med = select_kth(lat, e->n, e->n / 2);
	me->p99 = select_kth(lat, e->n, e->n - 1 - e->n / 100);
	free(lat);
	ch_detach(e);
}

static void body_stream(struct env *e, int r)
{
	uint64_t total = e->warm + e->n, sum = 0;

	pin(e->c->arg == 2 && ncpus >= 2 ? cpus[r] : cpus[0]);
	ch_attach(e);
	if (r == 0) {
		for (uint64_t i = 1; i <= total; i++) {
			if (i == e->warm + 1)
				mark_start();
			stamp(e, i);
			ch_send(e, 0);
		}
		mark_end();
		me->count = total;
		ch_detach(e);
		return;
	}
	for (uint64_t i = 1; i <= total; i++) {
		ch_recv(e, 0);
		if (verify(e, (i & 63) == 0) != i)
			die(ST_WRONG, "expected message %" PRIu64 ", received %"
			    PRIu64, i, get64(e->rp));
		sum += i;
		if (i == e->warm) {
			mark_start();
			me->t0 = now_ns();
		}
	}
	me->t1 = now_ns();
	mark_end();
	me->count = total;
	me->sum = sum;
	ch_detach(e);
}

static void body_semcont(struct env *e, int r)
{
	const struct sysv *a = e->a;
	sem_t *s = e->map;
	volatile uint64_t *ctr = &sh->counter;

	(void)r;
	barrier(e->np);
	me->t0 = now_ns();
	for (uint64_t i = 0; i < e->n; i++) {
		if (e->m == M_SEM_T)
			semt_wait(s);
		else
			sem_P(a, e->id, 0, 0);
		*ctr = *ctr + 1;	/* not atomic: the semaphore must exclude */
		if (e->m == M_SEM_T)
			semt_post(s);
		else
			sem_V(a, e->id, 0, 0);
	}
	me->t1 = now_ns();
	me->count = e->n;
}

static void body_msgcont(struct env *e, int r)
{
	uint64_t sum = 0;

	ch_attach(e);
	barrier(e->np);
	me->t0 = now_ns();
	for (uint64_t i = 1; i <= e->n; i++) {
		stamp(e, ((uint64_t)r << 40) | i);
		ch_send(e, 0);
		ch_recv(e, 0);
		sum += verify(e, (i & 63) == 0);
	}
	me->t1 = now_ns();
	me->count = e->n;
	me->sum = sum;
	ch_detach(e);
}

static void body_typed(struct env *e)
{
	struct msqid_ds ds;
	int depth = e->c->arg;

	pin(cpus[0]);
	ch_attach(e);
	for (int k = 0; k < depth; k++) {	/* type 2: the crowd */
		stamp(e, UINT64_MAX - (uint64_t)k);
		ch_send(e, 1);
	}
	for (uint64_t i = 1; i <= e->warm + e->n; i++) {
		if (i == e->warm + 1)
			me->t0 = now_ns();
		stamp(e, i);
		ch_send(e, 0);
		ch_recv(e, 0);	/* type 1 */
		if (verify(e, false) != i)
			die(ST_WRONG, "typed receive got message %" PRIu64
			    ", not %" PRIu64, get64(e->rp), i);
	}
	me->t1 = now_ns();
	me->count = e->n;
	if (e->a->msgctl(e->id, IPC_STAT, &ds) != 0)
		die_errno(e->a, "msgctl IPC_STAT");
	if (ds.msg_qnum != (msgqnum_t)depth)
		die(ST_WRONG, "%lu messages left in the queue, not %d",
		    (unsigned long)ds.msg_qnum, depth);
	ch_detach(e);
}

static void body_shmlife(struct env *e, int r)
{
	const struct sysv *a = e->a;
	size_t size = e->c->size;
	char name[64];

	snprintf(name, sizeof(name), "/uipc-bench.%d.shm", (int)getppid());
	(void)r;
	pin(cpus[0]);
	for (uint64_t i = 0; i < e->warm + e->n; i++) {
		volatile char *p;
		int id = -1, fd = -1;

		if (i == e->warm)
			me->t0 = now_ns();
		if (e->m == M_POSIX_SHM) {
			fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
			if (fd < 0)
				die_errno(NULL, "shm_open");
			if (ftruncate(fd, (off_t)size) != 0)
				die_errno(NULL, "ftruncate");
			p = mmap(NULL, size, PROT_READ | PROT_WRITE,
				 MAP_SHARED, fd, 0);
			if (p == MAP_FAILED)
				die_errno(NULL, "mmap");
			close(fd);
		} else {
			id = a->shmget(IPC_PRIVATE, size, IPC_CREAT | 0600);
			if (id < 0)
				die_errno(a, "shmget");
			p = a->shmat(id, NULL, 0);
			if (p == (void *)-1)
				die_errno(a, "shmat");
		}
		if (p[0] != 0 || p[size - 1] != 0)
			die(ST_WRONG, "a new segment is not zeroed");
		for (size_t off = 0; off < size; off += (size_t)pagesize)
			p[off] = (char)(off >> 12 | 1);
		if (p[size - 1 - (size - 1) % (size_t)pagesize] == 0)
			die(ST_WRONG, "a write to the segment was lost");
		if (e->m == M_POSIX_SHM) {
			if (munmap((void *)p, size) != 0)
				die_errno(NULL, "munmap");
			if (shm_unlink(name) != 0)
				die_errno(NULL, "shm_unlink");
		} else {
			if (a->shmdt((void *)p) != 0)
				die_errno(a, "shmdt");
			if (a->shmctl(id, IPC_RMID, NULL) != 0)
				die_errno(a, "shmctl IPC_RMID");
		}
	}
	me->t1 = now_ns();
	me->count = e->n;
}

static void body_shmatt(struct env *e)
{
	const struct sysv *a = e->a;
	struct shmid_ds ds;

	pin(cpus[0]);
	for (uint64_t i = 0; i < e->warm + e->n; i++) {
		void *p;

		if (i == e->warm)
			me->t0 = now_ns();
		p = a->shmat(e->id, NULL, 0);
		if (p == (void *)-1)
			die_errno(a, "shmat");
		if (a->shmdt(p) != 0)
			die_errno(a, "shmdt");
	}
	me->t1 = now_ns();
	me->count = e->n;
	if (a->shmctl(e->id, IPC_STAT, &ds) != 0)
		die_errno(a, "shmctl IPC_STAT");
	if (ds.shm_nattch != 0)
		die(ST_WRONG, "shm_nattch %lu after detaching everything",
		    (unsigned long)ds.shm_nattch);
}

#define BENCH_KEY ((key_t)0x75695000)

static void body_get(struct env *e)
{
	const struct sysv *a = e->a;
	key_t key = BENCH_KEY + e->c->arg;

	pin(cpus[0]);
	for (uint64_t i = 0; i < e->warm + e->n; i++) {
		int id;

		if (i == e->warm)
			me->t0 = now_ns();
		switch (e->c->arg) {
		case G_SHM: id = a->shmget(key, e->c->size, 0600); break;
		case G_SEM: id = a->semget(key, 1, 0600); break;
		default: id = a->msgget(key, 0600); break;
		}
		if (id < 0)
			die_errno(a, e->c->arg == G_SHM ? "shmget" :
				  e->c->arg == G_SEM ? "semget" : "msgget");
		if (id != e->id)
			die(ST_WRONG, "get of the key returned id %d, not %d",
			    id, e->id);
	}
	me->t1 = now_ns();
	me->count = e->n;
}

/* ------------------------------------------------------------------ */
/* Parent side: set up, run the children, tear down, collect.          */

static int nprocs(const struct bcase *c)
{
	switch (c->kind) {
	case K_PINGPONG: case K_STREAM: return 2;
	case K_SEMCONT: case K_MSGCONT: return c->arg;
	default: return 1;
	}
}

static int setup(struct env *e)
{
	const struct bcase *c = e->c;
	const struct sysv *a = e->a;
	union semun arg;
	key_t key = BENCH_KEY + c->arg;

	switch (c->kind) {
	case K_SEMPV: case K_SEMCONT:
		if (e->m == M_SEM_T) {
			e->maplen = (size_t)pagesize;
			e->map = anon_shared(e->maplen);
			if (!e->map)
				return perr(e, "mmap");
			if (sem_init(e->map, 1, 1) != 0)
				return perr(e, "sem_init");
			return 0;
		}
		e->id = a->semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
		if (e->id < 0)
			return perr(e, "semget");
		arg.val = 1;
		if (a->semctl(e->id, 0, SETVAL, arg) != 0)
			return perr(e, "semctl SETVAL");
		return 0;
	case K_MSGPAIR: case K_MSGCONT: case K_TYPED:
	case K_PINGPONG: case K_STREAM:
		e->stream = c->kind != K_PINGPONG;
		e->size = c->size;
		return ch_open(e);
	case K_SHMLIFE:
		return 0;
	case K_SHMATT:
		e->id = a->shmget(IPC_PRIVATE, c->size, IPC_CREAT | 0600);
		return e->id < 0 ? perr(e, "shmget") : 0;
	case K_GET:
		switch (c->arg) {
		case G_SHM:
			e->id = a->shmget(key, c->size, IPC_CREAT | IPC_EXCL | 0600);
			return e->id < 0 ? perr(e, "shmget") : 0;
		case G_SEM:
			e->id = a->semget(key, 1, IPC_CREAT | IPC_EXCL | 0600);
			return e->id < 0 ? perr(e, "semget") : 0;
		default:
			e->id = a->msgget(key, IPC_CREAT | IPC_EXCL | 0600);
			return e->id < 0 ? perr(e, "msgget") : 0;
		}
	}
	return 0;
}

static void teardown(struct env *e)
{
	const struct bcase *c = e->c;
	const struct sysv *a = e->a;
	char name[64];

	switch (c->kind) {
	case K_SEMPV: case K_SEMCONT:
		if (e->m != M_SEM_T && e->id >= 0)
			a->semctl(e->id, 0, IPC_RMID);
		break;
	case K_MSGPAIR: case K_MSGCONT: case K_TYPED:
	case K_PINGPONG: case K_STREAM:
		ch_close(e);
		break;
	case K_SHMLIFE:
		snprintf(name, sizeof(name), "/uipc-bench.%d.shm", (int)getpid());
		shm_unlink(name);	/* left over by a failed child */
		break;
	case K_SHMATT:
		if (e->id >= 0)
			a->shmctl(e->id, IPC_RMID, NULL);
		break;
	case K_GET:
		if (e->id < 0)
			break;
		if (c->arg == G_SHM)
			a->shmctl(e->id, IPC_RMID, NULL);
		else if (c->arg == G_SEM)
			a->semctl(e->id, 0, IPC_RMID);
		else
			a->msgctl(e->id, IPC_RMID, NULL);
		break;
	}
	for (int i = 0; i < 4; i++)
		if (e->fd[i] >= 0)
			close(e->fd[i]);
	if (e->map)
		munmap(e->map, e->maplen);
}

static void child_main(struct env *e, int r)
{
	sigset_t all;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent_pid)
		_exit(1);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	me = &sh->role[r];

	switch (e->c->kind) {
	case K_SEMPV: body_sempv(e); break;
	case K_MSGPAIR: body_msgpair(e); break;
	case K_PINGPONG: body_pingpong(e, r); break;
	case K_STREAM: body_stream(e, r); break;
	case K_SEMCONT: body_semcont(e, r); break;
	case K_MSGCONT: body_msgcont(e, r); break;
	case K_TYPED: body_typed(e); break;
	case K_SHMLIFE: body_shmlife(e, r); break;
	case K_SHMATT: body_shmatt(e); break;
	case K_GET: body_get(e); break;
	}
	__atomic_store_n(&me->done, 1, __ATOMIC_RELEASE);
	_exit(0);
}

/* Wait for the children; kill them all when one fails or time runs out. */
static enum status wait_children(struct env *e, pid_t *pid, double timeout_s,
				 char *msg, size_t msglen)
{
	uint64_t deadline = now_ns() + (uint64_t)(timeout_s * 1e9);
	sigset_t chld;
	int left = e->np;
	bool killed = false, timedout = false;
	int bad_sig = 0, bad_role = -1;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	while (left > 0) {
		int st;
		pid_t p = waitpid(-1, &st, killed ? 0 : WNOHANG);

		if (p > 0) {
			for (int r = 0; r < e->np; r++) {
				if (pid[r] != p)
					continue;
				pid[r] = 0;
				kids[r] = 0;
				left--;
				if (!killed && (!WIFEXITED(st) ||
						WEXITSTATUS(st) != 0)) {
					bad_role = r;
					bad_sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
				}
			}
			if (bad_role >= 0 && !killed) {
				for (int r = 0; r < e->np; r++)
					if (pid[r] > 0)
						kill(pid[r], SIGKILL);
				killed = true;
			}
			continue;
		}
		if (p < 0 && errno != EINTR) {
			if (errno == ECHILD)
				break;
			continue;
		}
		if (killed || p < 0)
			continue;
		uint64_t t = now_ns();

		if (t >= deadline) {
			for (int r = 0; r < e->np; r++)
				if (pid[r] > 0)
					kill(pid[r], SIGKILL);
			killed = timedout = true;
			continue;
		}
		struct timespec ts = {
			.tv_sec = (time_t)((deadline - t) / 1000000000u),
			.tv_nsec = (long)((deadline - t) % 1000000000u),
		};
		sigtimedwait(&chld, NULL, &ts);
	}

	/* A child's own report wins: it says what went wrong. */
	for (int r = 0; r < e->np; r++) {
		struct role *ro = &sh->role[r];

		if (ro->status != ST_OK) {
			snprintf(msg, msglen, "%s", ro->msg);
			return (enum status)ro->status;
		}
	}
	if (timedout) {
		snprintf(msg, msglen, "no progress after %.0f s", timeout_s);
		return ST_TIMEOUT;
	}
	if (bad_role >= 0) {
		if (bad_sig)
			snprintf(msg, msglen, "process %d killed by %s",
				 bad_role, strsignal(bad_sig));
		else
			snprintf(msg, msglen, "process %d failed", bad_role);
		return ST_ERROR;
	}
	return ST_OK;
}

/* Check what the parent can check after the children are gone. */
static enum status postcheck(struct env *e, char *msg, size_t msglen)
{
	uint64_t total = e->warm + e->n;

	switch (e->c->kind) {
	case K_SEMCONT:
		if (sh->counter != (uint64_t)e->np * e->n) {
			snprintf(msg, msglen, "counter %" PRIu64 " after %" PRIu64
				 " exclusive increments: the semaphore did not exclude",
				 sh->counter, (uint64_t)e->np * e->n);
			return ST_WRONG;
		}
		break;
	case K_MSGCONT: {
		uint64_t want = 0, got = 0;

		for (int r = 0; r < e->np; r++) {
			want += ((uint64_t)r << 40) * e->n + e->n * (e->n + 1) / 2;
			got += sh->role[r].sum;
		}
		if (want != got) {
			snprintf(msg, msglen, "checksum of received messages "
				 "differs from what was sent");
			return ST_WRONG;
		}
		break;
	}
	case K_STREAM:
		if (sh->role[1].count != total ||
		    sh->role[1].sum != total * (total + 1) / 2) {
			snprintf(msg, msglen, "receiver counted %" PRIu64
				 " messages of %" PRIu64, sh->role[1].count, total);
			return ST_WRONG;
		}
		break;
	case K_PINGPONG:
		if (sh->role[0].count != total || sh->role[1].count != total) {
			snprintf(msg, msglen, "round trips: %" PRIu64 "/%" PRIu64
				 " of %" PRIu64, sh->role[0].count,
				 sh->role[1].count, total);
			return ST_WRONG;
		}
		break;
	default:
		break;
	}
	for (int r = 0; r < e->np; r++) {
		if (!sh->role[r].done) {
			snprintf(msg, msglen, "process %d did not finish", r);
			return ST_ERROR;
		}
	}
	return ST_OK;
}

static void run_sample(const struct bcase *c, enum mech m, uint64_t n,
		       struct sample *s)
{
	struct env e = {
		.c = c, .m = m, .a = mech_api(m), .n = n,
		.id = -1, .id2 = -1, .fd = { -1, -1, -1, -1 },
		.mq = { (mqd_t)-1, (mqd_t)-1 },
	};
	pid_t pid[MAXPROC] = { 0 };
	double timeout = opt.quick ? 20 : 60;

	memset(s, 0, sizeof(*s));
	memset(sh, 0, sizeof(*sh));
	e.np = nprocs(c);
	switch (c->kind) {
	case K_PINGPONG: case K_STREAM: case K_MSGPAIR: case K_TYPED:
	case K_SEMPV: case K_GET: case K_SHMATT:
		e.warm = n / 10 < 1000 ? n / 10 + 1 : 1000;
		break;
	case K_SHMLIFE:
		e.warm = 1;
		break;
	default:
		e.warm = 0;
	}

	alarm(60);
	if (setup(&e) != 0) {
		alarm(0);
		s->st = ST_ERROR;
		snprintf(s->msg, sizeof(s->msg), "%s", e.err);
		alarm(60);
		teardown(&e);
		alarm(0);
		return;
	}
	alarm(0);

	fflush(NULL);
	for (int r = 0; r < e.np; r++) {
		pid[r] = fork();
		if (pid[r] == 0)
			child_main(&e, r);
		if (pid[r] < 0) {
			s->st = ST_ERROR;
			snprintf(s->msg, sizeof(s->msg), "fork: %s",
				 strerror(errno));
			for (int k = 0; k < r; k++)
				kill(pid[k], SIGKILL);
			e.np = r;
			break;
		}
		kids[r] = pid[r];
	}
	enum status st = wait_children(&e, pid, timeout, s->msg, sizeof(s->msg));

	if (s->st == ST_OK)
		s->st = st;
	if (s->st == ST_OK)
		s->st = postcheck(&e, s->msg, sizeof(s->msg));

	alarm(60);
	teardown(&e);
	alarm(0);
	if (s->st != ST_OK)
		return;

	uint64_t t0 = UINT64_MAX, t1 = 0;
	int tr = c->kind == K_STREAM ? 1 : 0;

	if (c->kind == K_SEMCONT || c->kind == K_MSGCONT) {
		for (int r = 0; r < e.np; r++) {
			if (sh->role[r].t0 < t0)
				t0 = sh->role[r].t0;
			if (sh->role[r].t1 > t1)
				t1 = sh->role[r].t1;
		}
		s->mean = (double)(t1 - t0) / (double)(n * (uint64_t)e.np);
	} else {
		s->mean = (double)(sh->role[tr].t1 - sh->role[tr].t0) / (double)n;
	}
	s->ns = s->mean;
	s->p99 = NAN;
	s->cpu = NAN;
	if (c->kind == K_PINGPONG || c->kind == K_STREAM) {
		const struct role *a = &sh->role[0], *b = &sh->role[1];
		uint64_t w0 = a->w0 < b->w0 ? a->w0 : b->w0;
		uint64_t w1 = a->w1 > b->w1 ? a->w1 : b->w1;

		/* both processes' CPU time over the span of both windows */
		s->cpu = 100.0 * (double)(a->cpu1 - a->cpu0 + b->cpu1 - b->cpu0) /
			 (double)(w1 - w0);
	}
	if (c->kind == K_PINGPONG) {
		s->ns = sh->role[0].med;
		s->p99 = sh->role[0].p99;
	}
}

/* ------------------------------------------------------------------ */
/* Running the cases.                                                  */

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

static double median(const double *v, int n)
{
	double tmp[MAXREPS];

	memcpy(tmp, v, (size_t)n * sizeof(double));
	qsort(tmp, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

static int nimpl(const struct bcase *c)
{
	int k = 0;

	while (k < MAXIMPL && c->impl[k] != M_NONE)
		k++;
	return k;
}

static void run_case(size_t ci)
{
	const struct bcase *c = &cases[ci];
	int ni = nimpl(c);
	double target = opt.sample_ms * 1e6;

	/* Which implementations apply, and calibration. */
	for (int k = 0; k < ni; k++) {
		struct result *res = &results[ci][k];
		enum mech m = c->impl[k];
		size_t max = mech_maxsize(m);
		struct sample s;

		res->ran = true;
		if (c->kind == K_PINGPONG && c->arg == 2 && ncpus < 2) {
			res->st = ST_NA;
			snprintf(res->msg, sizeof(res->msg), "needs two CPUs");
			continue;
		}
		if (max && c->size > max) {
			res->st = ST_NA;
			snprintf(res->msg, sizeof(res->msg),
				 "messages of %zu B exceed this mechanism's %zu",
				 c->size, max);
			continue;
		}
		uint64_t n0 = c->n0;

		if (opt.quick && n0 > 20)
			n0 /= 4;
		run_sample(c, m, n0, &s);
		if (s.st != ST_OK) {
			res->st = s.st;
			snprintf(res->msg, sizeof(res->msg), "%s", s.msg);
			continue;
		}
		double per = s.mean * (c->kind == K_SEMCONT ||
				       c->kind == K_MSGCONT ? c->arg : 1);
		double n = per > 0 ? target / per : 1e7;

		if (n < 1)
			n = 1;
		if (n > 2e6)
			n = 2e6;
		res->n = (uint64_t)n;
	}

	/* Samples, alternating the implementations. */
	for (int rep = 0; rep < opt.reps; rep++) {
		for (int j = 0; j < ni; j++) {
			int k = (j + rep) % ni;
			struct result *res = &results[ci][k];
			struct sample s;

			if (res->st != ST_OK)
				continue;
			run_sample(c, c->impl[k], res->n, &s);
			if (s.st != ST_OK) {
				res->st = s.st;
				snprintf(res->msg, sizeof(res->msg), "%s", s.msg);
				continue;
			}
			res->s_ns[res->reps] = s.ns;
			res->s_p99[res->reps] = s.p99;
			res->s_cpu[res->reps] = s.cpu;
			res->reps++;
		}
	}
	for (int k = 0; k < ni; k++) {
		struct result *res = &results[ci][k];

		if (res->st == ST_OK && res->reps > 0) {
			res->ns = median(res->s_ns, res->reps);
			res->p99 = median(res->s_p99, res->reps);
			res->cpu = median(res->s_cpu, res->reps);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Reporting.                                                          */

static const struct result *find(size_t ci, enum mech m)
{
	const struct bcase *c = &cases[ci];

	for (int k = 0; k < nimpl(c); k++)
		if (c->impl[k] == m)
			return &results[ci][k];
	return NULL;
}

static bool res_ok(const struct result *r)
{
	return r && r->st == ST_OK && r->reps > 0 && r->ns > 0;
}

/* kernel/uipc for a uipc implementation; NAN when there is none. */
static double twin_ratio(size_t ci, enum mech m)
{
	const struct result *u = find(ci, m), *k;

	if (kernel_twin(m) == M_NONE)
		return NAN;
	k = find(ci, kernel_twin(m));
	if (!res_ok(u) || !res_ok(k))
		return NAN;
	return k->ns / u->ns;
}

static void print_section(enum section sec)
{
	bool any = false;

	for (size_t ci = 0; ci < NCASES; ci++)
		if (selected[ci] && cases[ci].section == sec)
			any = true;
	if (!any)
		return;
	printf("\n== %s ==\n", section_title[sec]);
	if (sec == S_RTT)
		printf("%-15s %-15s %11s %11s %6s %12s\n", "case", "impl",
		       "median", "p99", "CPU%", "kernel/uipc");
	else if (sec == S_STREAM)
		printf("%-15s %-15s %11s %11s %8s %6s %12s\n", "case", "impl",
		       "ns/msg", "Mmsg/s", "GB/s", "CPU%", "kernel/uipc");
	else
		printf("%-15s %-15s %11s %11s %12s\n", "case", "impl",
		       "ns/op", "Mop/s", "kernel/uipc");
	for (size_t ci = 0; ci < NCASES; ci++) {
		const struct bcase *c = &cases[ci];

		if (!selected[ci] || c->section != sec)
			continue;
		printf("# %s: %s\n", c->name, c->what);
		for (int k = 0; k < nimpl(c); k++) {
			const struct result *r = &results[ci][k];
			double ratio = twin_ratio(ci, c->impl[k]);
			char rs[32] = "";

			if (!isnan(ratio))
				snprintf(rs, sizeof(rs), "%.2f", ratio);
			printf("%-15s %-15s ", k ? "" : c->name,
			       mech_name[c->impl[k]]);
			if (!res_ok(r)) {
				printf("%s: %s\n", status_name[r->st], r->msg);
				continue;
			}
			if (sec == S_RTT)
				printf("%11.1f %11.1f %6.0f %12s\n", r->ns,
				       r->p99, r->cpu, rs);
			else if (sec == S_STREAM)
				printf("%11.1f %11.3f %8.3f %6.0f %12s\n", r->ns,
				       1e3 / r->ns, (double)c->size / r->ns,
				       r->cpu, rs);
			else
				printf("%11.1f %11.3f %12s\n", r->ns,
				       1e3 / r->ns, rs);
		}
	}
	fflush(stdout);
}

struct verdict {
	bool applies;
	double value;
	const char *result;	/* PASS, FAIL, n/a */
};

static struct verdict judge(const struct check *k)
{
	struct verdict v = { false, NAN, "n/a" };

	for (size_t ci = 0; ci < NCASES; ci++) {
		if (!selected[ci] || strcmp(cases[ci].name, k->cas) != 0)
			continue;
		const struct result *a = find(ci, k->a), *b = find(ci, k->b);

		v.applies = true;
		if (res_ok(a) && res_ok(b)) {
			v.value = a->ns / b->ns;
			v.result = (k->le ? v.value <= k->target
					  : v.value >= k->target) ? "PASS" : "FAIL";
		}
	}
	return v;
}

static void print_checks(void)
{
	int pass = 0, fail = 0, na = 0;

	printf("\n== Targets (issues #3 semaphores, #4 message queues, #5 segments) ==\n");
	printf("%-6s %-40s %9s %9s  %s\n", "issue", "check", "value",
	       "target", "result");
	for (size_t i = 0; i < NCHECKS; i++) {
		const struct check *k = &checks[i];
		struct verdict v = judge(k);
		char val[32] = "-", tgt[32];

		if (!v.applies)
			continue;
		if (!isnan(v.value))
			snprintf(val, sizeof(val), "%.2f", v.value);
		snprintf(tgt, sizeof(tgt), "%s %.2f", k->le ? "<=" : ">=",
			 k->target);
		printf("#%-5d %-40s %9s %9s  %s\n", k->issue, k->label, val,
		       tgt, v.result);
		if (!strcmp(v.result, "PASS"))
			pass++;
		else if (!strcmp(v.result, "FAIL"))
			fail++;
		else
			na++;
	}
	printf("targets: %d met, %d missed, %d not measured\n", pass, fail, na);
}

static void csv_field(FILE *f, const char *s)
{
	bool quote = strpbrk(s, ",\"\n") != NULL;

	if (!quote) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s == '\n' ? ' ' : *s, f);
	}
	fputc('"', f);
}

static void fmt_num(char *buf, size_t len, double v, const char *fmt)
{
	if (isnan(v))
		buf[0] = 0;
	else
		snprintf(buf, len, fmt, v);
}

static int write_csv(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		fprintf(stderr, "uipc-bench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(f, "record,section,case,impl,status,detail,n,reps,"
		   "ns_median,ns_p99,mops,gbps,cpu_pct,ratio,target,result\n");
	for (size_t ci = 0; ci < NCASES; ci++) {
		const struct bcase *c = &cases[ci];

		if (!selected[ci])
			continue;
		for (int k = 0; k < nimpl(c); k++) {
			const struct result *r = &results[ci][k];
			bool ok = res_ok(r);
			char ns[32], p99[32], mops[32], gbps[32], ratio[32];
			char cpu[32];

			fmt_num(ns, sizeof(ns), ok ? r->ns : NAN, "%.1f");
			fmt_num(p99, sizeof(p99),
				ok && c->kind == K_PINGPONG ? r->p99 : NAN, "%.1f");
			fmt_num(mops, sizeof(mops), ok ? 1e3 / r->ns : NAN, "%.4f");
			fmt_num(gbps, sizeof(gbps), ok && c->kind == K_STREAM ?
				(double)c->size / r->ns : NAN, "%.4f");
			fmt_num(cpu, sizeof(cpu), ok ? r->cpu : NAN, "%.1f");
			fmt_num(ratio, sizeof(ratio), twin_ratio(ci, c->impl[k]),
				"%.3f");
			fprintf(f, "result,%s,%s,%s,%s,", section_key[c->section],
				c->name, mech_name[c->impl[k]],
				status_name[r->st]);
			csv_field(f, ok ? "" : r->msg);
			fprintf(f, ",%" PRIu64 ",%d,%s,%s,%s,%s,%s,%s,,\n",
				r->n, r->reps, ns, p99, mops, gbps, cpu, ratio);
		}
	}
	for (size_t i = 0; i < NCHECKS; i++) {
		const struct check *k = &checks[i];
		struct verdict v = judge(k);
		char val[32];

		if (!v.applies)
			continue;
		fmt_num(val, sizeof(val), v.value, "%.3f");
		fprintf(f, "check,target,%s,%s/%s,,", k->cas, mech_name[k->a],
			mech_name[k->b]);
		csv_field(f, k->label);
		fprintf(f, ",,,,,,,,%s,%s%.3f,%s\n", val, k->le ? "<=" : ">=",
			k->target, v.result);
	}
	if (fclose(f) != 0) {
		fprintf(stderr, "uipc-bench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Whether PATH has an executable prog (popen would run it). */
static bool on_path(const char *prog)
{
	const char *p = getenv("PATH"), *end;
	char buf[PATH_MAX];

	for (; p && *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		if (snprintf(buf, sizeof(buf), "%.*s/%s", (int)(end - p), p,
			     prog) < (int)sizeof(buf) &&
		    end > p && access(buf, X_OK) == 0)
			return true;
	}
	return false;
}

/*
 * A bar chart: kernel/uipc ratios, round trips, streaming rates.  The
 * chart is a picture of the CSV: without gnuplot it is skipped, with one
 * line that says how to get it, and that is no failure.
 */
static int write_chart(const char *path)
{
	static const char *const sizes[] = {
		"stream-64", "stream-4096", "stream-65536",
	};
	FILE *g;
	struct utsname u;

	if (!on_path("gnuplot")) {
		printf("chart skipped: gnuplot is not installed (apt-get install "
		       "gnuplot-nox, then run again)%s%s\n",
		       opt.csv ? "; the figures are in " : "",
		       opt.csv ? opt.csv : "");
		return 0;
	}
	g = popen("gnuplot", "w");
	if (!g) {
		fprintf(stderr, "uipc-bench: cannot run gnuplot\n");
		return -1;
	}
	uname(&u);
	fprintf(g, "set terminal pngcairo size 1400,1800 font ',10'\n");
	fprintf(g, "set output '%s'\n", path);
	fprintf(g, "set datafile missing 'NaN'\n");
	fprintf(g, "set style fill solid 0.8 border -1\n");
	fprintf(g, "set grid ytics\nset logscale y\nset key top right\n");
	fprintf(g, "set xtics rotate by -35 left noenhanced\n");
	fprintf(g, "set rmargin 10\n");
	fprintf(g, "set multiplot layout 3,1 title 'uipc-bench, %s %s, %d CPUs'"
		   " noenhanced\n", u.sysname, u.release, ncpus);

	/* 1: ratios, with the targets as points */
	fprintf(g, "$ratio << EOD\n");
	int nrat = 0;

	for (size_t ci = 0; ci < NCASES; ci++) {
		const struct bcase *c = &cases[ci];

		if (!selected[ci])
			continue;
		for (int k = 0; k < nimpl(c); k++) {
			double r = twin_ratio(ci, c->impl[k]);
			double tgt = NAN;

			if (isnan(r))
				continue;
			for (size_t i = 0; i < NCHECKS; i++)
				if (!strcmp(checks[i].cas, c->name) &&
				    checks[i].b == c->impl[k] && !checks[i].le)
					tgt = checks[i].target;
			fprintf(g, "\"%s %s\" %g %g\n", c->name,
				mech_name[c->impl[k]], r, tgt);
			nrat++;
		}
	}
	fprintf(g, "EOD\n");
	fprintf(g, "set title 'kernel time / uipc time (above 1: uipc faster); "
		   "points: targets'\n");
	fprintf(g, "set ylabel 'ratio'\nset boxwidth 0.7\n");
	if (nrat)
		fprintf(g, "plot $ratio using 0:2:xtic(1) with boxes lc rgb "
			   "'#4477aa' title 'kernel/uipc', '' using 0:3 with "
			   "points pt 7 ps 1.5 lc rgb '#cc3311' title 'target', "
			   "1 with lines lc rgb 'black' notitle\n");
	else
		fprintf(g, "unset logscale y\nplot [0:1] [0:1] NaN notitle\n"
			   "set logscale y\n");

	/* 2: round trips per mechanism, one CPU and two */
	size_t pp1 = NCASES, pp2 = NCASES;

	for (size_t ci = 0; ci < NCASES; ci++) {
		if (!selected[ci])
			continue;
		if (!strcmp(cases[ci].name, "pingpong-1cpu"))
			pp1 = ci;
		if (!strcmp(cases[ci].name, "pingpong-2cpu"))
			pp2 = ci;
	}
	fprintf(g, "$rtt << EOD\n");
	const struct bcase *pc = &cases[pp1 < NCASES ? pp1 : pp2 < NCASES ? pp2 : 0];

	for (int k = 0; k < nimpl(pc); k++) {
		const struct result *r1 = pp1 < NCASES ? find(pp1, pc->impl[k]) : NULL;
		const struct result *r2 = pp2 < NCASES ? find(pp2, pc->impl[k]) : NULL;

		fprintf(g, "\"%s\" %g %g\n", mech_name[pc->impl[k]],
			res_ok(r1) ? r1->ns : NAN, res_ok(r2) ? r2->ns : NAN);
	}
	fprintf(g, "EOD\n");
	fprintf(g, "set title 'ping-pong round trip, 8 bytes (median ns, lower is better)'\n");
	fprintf(g, "set ylabel 'ns'\nset style data histograms\n"
		   "set style histogram clustered gap 1\nset boxwidth 0.9\n");
	fprintf(g, "plot $rtt using 2:xtic(1) title 'one CPU', '' using 3 "
		   "title 'two CPUs'\n");

	/* 3: streaming rates per mechanism and size */
	fprintf(g, "$st << EOD\n");
	for (int k = 0; k < MAXIMPL; k++) {
		enum mech m = M_NONE;
		double v[3];

		for (int s = 0; s < 3; s++) {
			v[s] = NAN;
			for (size_t ci = 0; ci < NCASES; ci++) {
				const struct result *r;

				if (!selected[ci] || strcmp(cases[ci].name, sizes[s]))
					continue;
				if (k >= nimpl(&cases[ci]))
					continue;
				m = cases[ci].impl[k];
				r = &results[ci][k];
				if (res_ok(r))
					v[s] = 1e3 / r->ns;
			}
		}
		if (m != M_NONE)
			fprintf(g, "\"%s\" %g %g %g\n", mech_name[m], v[0], v[1], v[2]);
	}
	fprintf(g, "EOD\n");
	fprintf(g, "set title 'streaming, one sender to one receiver (million "
		   "messages/s, higher is better)'\nset ylabel 'M msg/s'\n");
	fprintf(g, "plot $st using 2:xtic(1) title '64 B', '' using 3 title "
		   "'4 KiB', '' using 4 title '64 KiB'\n");
	fprintf(g, "unset multiplot\n");
	int rc = pclose(g);

	if (rc != 0) {
		fprintf(stderr, "uipc-bench: gnuplot failed (status %d)\n", rc);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: uipc-bench [options]\n"
		"  --quick          short run (smoke test; figures are rough)\n"
		"  --case PATTERN   run only matching cases (a name: that case;\n"
		"                   else a prefix or glob;\n"
		"                   repeat or separate with commas)\n"
		"  --list           list the cases and exit\n"
		"  --csv FILE       write every figure as CSV\n"
		"  --chart FILE     draw a PNG bar chart with gnuplot\n"
		"  --reps N         samples per implementation (default 7)\n"
		"  --time MS        target duration of one sample (default 100)\n");
}

/* Is @p the name of a case?  Then it selects that case alone. */
static bool is_case_name(const char *p)
{
	for (size_t i = 0; i < NCASES; i++)
		if (!strcmp(p, cases[i].name))
			return true;
	return false;
}

static bool matches(const char *name)
{
	if (!opt.npatterns)
		return true;
	for (int i = 0; i < opt.npatterns; i++) {
		const char *p = opt.patterns[i];

		if (is_case_name(p) ? !strcmp(p, name) :
		    !fnmatch(p, name, 0) || !strncmp(p, name, strlen(p)))
			return true;
	}
	return false;
}

/* The load average, to tell a quiet machine from a busy one. */
static void print_load(const char *when)
{
	FILE *f = fopen("/proc/loadavg", "r");
	double l1, l5, l15;

	if (f && fscanf(f, "%lf %lf %lf", &l1, &l5, &l15) == 3) {
		printf("load average %s: %.2f %.2f %.2f\n", when, l1, l5, l15);
		if (l1 > 0.5 * ncpus)
			printf("WARNING: other work competes for the %d CPUs; "
			       "figures are noisy\n", ncpus);
	}
	if (f)
		fclose(f);
}

static void cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	snprintf(buf, len, "unknown CPU");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) || !colon)
			continue;
		colon++;
		while (*colon == ' ')
			colon++;
		colon[strcspn(colon, "\n")] = 0;
		snprintf(buf, len, "%s", colon);
		break;
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "case", required_argument, NULL, 'c' },
		{ "list", no_argument, NULL, 'l' },
		{ "csv", required_argument, NULL, 'o' },
		{ "chart", required_argument, NULL, 'g' },
		{ "reps", required_argument, NULL, 'r' },
		{ "time", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool reps_set = false, time_set = false;
	int ch;

	while ((ch = getopt_long(argc, argv, "qc:lo:g:r:t:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'q':
			opt.quick = true;
			break;
		case 'c':
			for (char *tok = strtok(optarg, ","); tok;
			     tok = strtok(NULL, ",")) {
				if (opt.npatterns < 32)
					opt.patterns[opt.npatterns++] = tok;
			}
			break;
		case 'l':
			opt.list = true;
			break;
		case 'o':
			opt.csv = optarg;
			break;
		case 'g':
			opt.chart = optarg;
			break;
		case 'r':
			opt.reps = atoi(optarg);
			reps_set = true;
			if (opt.reps < 1 || opt.reps > MAXREPS) {
				fprintf(stderr, "uipc-bench: --reps 1..%d\n", MAXREPS);
				return 2;
			}
			break;
		case 't':
			opt.sample_ms = atof(optarg);
			time_set = true;
			if (!(opt.sample_ms > 0)) {
				fprintf(stderr, "uipc-bench: bad --time\n");
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	if (opt.quick) {
		if (!reps_set)
			opt.reps = 1;
		if (!time_set)
			opt.sample_ms = 2;
	}
	int nsel = 0;

	for (size_t ci = 0; ci < NCASES; ci++) {
		selected[ci] = matches(cases[ci].name);
		nsel += selected[ci];
	}
	if (opt.list) {
		for (size_t ci = 0; ci < NCASES; ci++)
			printf("%-16s %s\n", cases[ci].name, cases[ci].what);
		return 0;
	}
	if (!nsel) {
		fprintf(stderr, "uipc-bench: no case matches\n");
		return 2;
	}

	/*
	 * UIPC_BENCH_CORRUPT=MECH makes MECH corrupt some of the messages it
	 * sends: the self-test uses it to show a wrong result cannot pass.
	 */
	const char *bad = getenv("UIPC_BENCH_CORRUPT");

	for (int m = 1; bad && m < M_COUNT; m++)
		if (!strcmp(bad, mech_name[m]))
			corrupt_mech = (enum mech)m;

	parent_pid = getpid();
	pagesize = sysconf(_SC_PAGESIZE);
	pattern = malloc(PATTERN_LEN);
	if (!pattern)
		return 1;
	for (size_t i = 0; i < PATTERN_LEN; i++)
		pattern[i] = (unsigned char)(i * 131 + 7);

	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		for (int i = 0; i < CPU_SETSIZE && ncpus < 2; i++)
			if (CPU_ISSET(i, &set))
				cpus[ncpus++] = i;
		ncpus = CPU_COUNT(&set);
	} else {
		ncpus = 1;
	}

	if (enter_ipc_namespace() != 0) {
		fprintf(stderr, "uipc-bench: cannot enter a fresh IPC namespace "
			"(%s); refusing to create kernel objects in the "
			"current one\n", strerror(errno));
		return 77;
	}

	/* Signals: clean up on interruption; SIGCHLD is waited for. */
	struct sigaction sa = { .sa_handler = on_fatal_signal };
	sigset_t chld;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);

	snprintf(root, sizeof(root), "/dev/shm/uipc-bench.XXXXXX");
	if (!mkdtemp(root)) {
		fprintf(stderr, "uipc-bench: mkdtemp %s: %s\n", root,
			strerror(errno));
		root[0] = 0;
		return 1;
	}
	setenv("UIPC_ROOT", root, 1);

	sh = anon_shared(sizeof(*sh));
	if (!sh) {
		perror("uipc-bench: mmap");
		remove_root();
		return 1;
	}

	struct utsname u;
	char model[128], date[64];
	time_t now = time(NULL);

	uname(&u);
	cpu_model(model, sizeof(model));
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M %Z", localtime(&now));
	printf("uipc-bench: uipc %s against %s %s (%s), %d CPUs of %s, %s\n",
	       uipc_version() ? uipc_version() : "?", u.sysname, u.release,
	       u.machine, ncpus, model, date);
	printf("%s; %d sample%s of ~%g ms per implementation, median; "
	       "implementations alternate\n",
	       opt.quick ? "QUICK RUN (rough figures)" : "full run",
	       opt.reps, opt.reps > 1 ? "s" : "", opt.sample_ms);
	print_load("at start");
	fflush(stdout);

	for (int sec = 0; sec < S_COUNT; sec++) {
		for (size_t ci = 0; ci < NCASES; ci++)
			if (selected[ci] && cases[ci].section == (enum section)sec)
				run_case(ci);
		print_section((enum section)sec);
	}
	print_checks();
	print_load("at end");

	int rc = 0;

	for (size_t ci = 0; ci < NCASES; ci++) {
		if (!selected[ci])
			continue;
		for (int k = 0; k < nimpl(&cases[ci]); k++) {
			enum status st = results[ci][k].st;

			if (st != ST_OK && st != ST_NA)
				rc = 1;
		}
	}
	if (rc)
		printf("some implementations failed (error, wrong or timeout "
		       "above)\n");

	if (opt.csv && write_csv(opt.csv) != 0)
		rc = 1;
	if (opt.chart && write_chart(opt.chart) != 0)
		rc = 1;
	remove_root();
	return rc;
}
