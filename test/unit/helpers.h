/* SPDX-License-Identifier: MIT */
/*
 * helpers.h - shared helpers of the Criterion unit tests (test/unit/NAME.c).
 *
 * Each test file is its own binary and includes this header once, so the
 * helpers are static.  What they give a test:
 *
 * - A private namespace per test.  Criterion runs every test in a fresh
 *   process and the library caches its namespace per process, so the
 *   suite's .init (t_setup) makes a directory, points UIPC_ROOT at it before
 *   the first uipc call, and .fini (t_teardown) kills leftover children and
 *   removes the directory.  Per-test directories live under one top
 *   directory per binary (made and removed by report hooks in the runner
 *   process), so even a crashed test leaves nothing behind in /dev/shm.
 *   t_base is the test's directory (mode 0755), t_root = t_base/ns is the
 *   namespace (mode 1777, as the library would create it).
 *
 * - Processes.  A process a test forks must never return into Criterion:
 *   t_fork() returns 0 in the child, which must end with _exit(); t_spawn()
 *   runs a function in a child and _exit()s with its result.  Children die
 *   with their parent (PR_SET_PDEATHSIG) and have an alarm as a backstop.
 *   In a child use CHILD_CHECK()/CHILD_ERRNO(), never cr_assert.
 *   t_wait_ok()/t_wait_status() reap with a deadline (a hang fails the test
 *   instead of wedging the run).
 *
 * - Assertions that print errno names: assert_errno(expr, EIDRM),
 *   assert_ok(expr).
 *
 * - Polling: T_POLL(cond, ms) retries cond until true or the deadline; it
 *   never asserts on elapsed time, so a loaded machine only makes it slower.
 */
#ifndef UIPC_TEST_HELPERS_H
#define UIPC_TEST_HELPERS_H

#ifdef UIPC_MINICRIT
#include "minicrit.h"	/* no Criterion for this C library: see there */
#else
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "uipc.h"
#include "../libc-compat.h"

/* glibc leaves union semun to the program. */
union t_semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
	struct seminfo *__buf;
};

#define T_NOBODY	65534
/* default wait for something that must happen (longer under valgrind) */
#define T_DEADLINE_MS	(getenv("VALGRIND") ? 200000 : 20000)
#define T_CHILD_ALARM	240	/* a child older than this is hung: SIGALRM */

static char t_base[PATH_MAX / 2];	/* this test's directory */
static char t_root[PATH_MAX / 2 + 8];	/* its namespace, $UIPC_ROOT */
static pid_t t_kids[1024];	/* children not yet reaped, for the fini */
static int t_nkids;
static pid_t t_owner;		/* the test process itself */

/* ---------------------------------------------------------------- errno */

static inline const char *t_errname(int e)
{
	const char *n;

	if (e == 0)
		return "0";
	n = strerrorname_np(e);
	return n ? n : "E?";
}

/* expr must fail with -1 (or (void *)-1) and errno E. */
#define assert_errno(expr, E)                                                 \
	do {                                                                  \
		errno = 0;                                                    \
		long _r = (long)(expr);                                       \
		int _e = errno;                                               \
		cr_assert(_r == -1 && _e == (E),                              \
			  "%s: expected -1/%s, got %ld/%s", #expr,            \
			  t_errname(E), _r, t_errname(_e));                   \
	} while (0)

/* expr must not fail; its value (as long) is the value of the macro. */
#define assert_ok(expr)                                                       \
	({                                                                    \
		errno = 0;                                                    \
		long _r = (long)(expr);                                       \
		int _e = errno;                                               \
		cr_assert(_r != -1, "%s failed: %s", #expr, t_errname(_e));   \
		_r;                                                           \
	})

/* ------------------------------------------------------------- time */

static inline int64_t t_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline void t_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Retry cond until true or ms have passed; the value is whether it held. */
#define T_POLL(cond, ms)                                                      \
	({                                                                    \
		int64_t _dl = t_now_ns() + (int64_t)(ms) * 1000000;           \
		bool _ok;                                                     \
		while (!(_ok = (cond)) && t_now_ns() < _dl)                   \
			usleep(1000);                                         \
		_ok;                                                          \
	})

/* -------------------------------------------------- files and directories */

static inline int t_rm_cb(const char *path, const struct stat *st, int flag,
			  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static inline void t_rm_rf(const char *path)
{
	nftw(path, t_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static inline void t_write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	cr_assert(fd >= 0, "open %s: %s", path, t_errname(errno));
	cr_assert(write(fd, data, len) == (ssize_t)len, "write %s", path);
	close(fd);
}

/* Read a whole (small) file; returns its length, -1 if unreadable. */
static inline ssize_t t_read_file(const char *path, void *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n, got = 0;

	if (fd < 0)
		return -1;
	while ((size_t)got < cap && (n = read(fd, (char *)buf + got,
					      cap - got)) > 0)
		got += n;
	close(fd);
	return got;
}

/* Path of an object's file: $UIPC_ROOT/<type>.<id> (type: msg, sem, shm). */
static inline const char *t_obj_path(const char *type, int id)
{
	static char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s.%d", t_root, type, id);
	return p;
}

/* Number of entries in $UIPC_ROOT other than uipc.ids.<uid> and uipc.limits. */
static inline int t_ns_count(const char *prefix)
{
	DIR *d = opendir(t_root);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    !strncmp(e->d_name, "uipc.ids.", 9) ||
		    !strcmp(e->d_name, "uipc.limits"))
			continue;
		if (prefix && strncmp(e->d_name, prefix, strlen(prefix)))
			continue;
		n++;
	}
	closedir(d);
	return n;
}

/* Object files (<prefix><digits>: "msg.12") in $UIPC_ROOT. */
static inline int t_ns_objects(const char *prefix)
{
	DIR *d = opendir(t_root);
	struct dirent *e;
	size_t n = strlen(prefix);
	int count = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, prefix, n) && e->d_name[n] &&
		    strspn(e->d_name + n, "0123456789") == strlen(e->d_name + n))
			count++;
	closedir(d);
	return count;
}

/* The names t_ns_count() counts, space-separated, for messages. */
static inline const char *t_ns_list(const char *prefix)
{
	static char buf[1024];
	DIR *d = opendir(t_root);
	struct dirent *e;
	size_t len = 0;

	buf[0] = '\0';
	if (!d)
		return "?";
	while ((e = readdir(d)) && len < sizeof(buf) - 64) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    !strncmp(e->d_name, "uipc.ids.", 9) ||
		    !strcmp(e->d_name, "uipc.limits"))
			continue;
		if (prefix && strncmp(e->d_name, prefix, strlen(prefix)))
			continue;
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, " %.40s",
					e->d_name);
	}
	closedir(d);
	return buf;
}

static inline int t_fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	cr_assert(d, "opendir /proc/self/fd");
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the DIR's own descriptor */
}

/* Shared anonymous memory, inherited by children. */
static inline void *t_shared(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	cr_assert(p != MAP_FAILED, "mmap shared: %s", t_errname(errno));
	return p;
}

/* ------------------------------------------------------------ processes */

static inline void t_track(pid_t pid)
{
	if (t_nkids < (int)(sizeof(t_kids) / sizeof(t_kids[0])))
		t_kids[t_nkids++] = pid;
}

static inline void t_untrack(pid_t pid)
{
	for (int i = 0; i < t_nkids; i++)
		if (t_kids[i] == pid) {
			t_kids[i] = t_kids[--t_nkids];
			return;
		}
}

/*
 * t_fork - fork a child that dies with its parent.  Returns 0 in the child
 * (which must end with _exit()), the pid in the parent.
 */
static inline pid_t t_fork(void)
{
	pid_t parent = getpid();
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		if (getpid() == t_owner)
			cr_assert_fail("fork: %s", t_errname(errno));
		_exit(97);
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(98);
		alarm(T_CHILD_ALARM);
		t_nkids = 0;
		return 0;
	}
	t_track(pid);
	return pid;
}

/* Run fn(arg) in a child that _exit()s with its result. */
static inline pid_t t_spawn(int (*fn)(void *), void *arg)
{
	pid_t pid = t_fork();

	if (pid == 0)
		_exit(fn(arg));
	return pid;
}

/* In a child: report a failed check on stderr and exit with status 1. */
#define CHILD_CHECK(cond, ...)                                                \
	do {                                                                  \
		if (!(cond)) {                                                \
			int _e = errno;                                       \
			fprintf(stderr, "%s:%d: child %d: check failed: %s "  \
				"(errno %s) ", __FILE__, __LINE__,            \
				(int)getpid(), #cond, t_errname(_e));         \
			fprintf(stderr, " " __VA_ARGS__);                     \
			fputc('\n', stderr);                                  \
			_exit(1);                                             \
		}                                                             \
	} while (0)

/* In a child: expr must fail with -1/E. */
#define CHILD_ERRNO(expr, E)                                                  \
	do {                                                                  \
		errno = 0;                                                    \
		long _r = (long)(expr);                                       \
		int _e = errno;                                               \
		if (_r != -1 || _e != (E)) {                                  \
			fprintf(stderr, "%s:%d: child %d: %s: expected "      \
				"-1/%s, got %ld/%s\n", __FILE__, __LINE__,    \
				(int)getpid(), #expr, t_errname(E), _r,       \
				t_errname(_e));                               \
			_exit(1);                                             \
		}                                                             \
	} while (0)

/* In a child: expr must not fail; the value of the macro is its value. */
#define CHILD_OK(expr)                                                        \
	({                                                                    \
		errno = 0;                                                    \
		long _r = (long)(expr);                                       \
		int _e = errno;                                               \
		if (_r == -1) {                                               \
			fprintf(stderr, "%s:%d: child %d: %s failed: %s\n",   \
				__FILE__, __LINE__, (int)getpid(), #expr,     \
				t_errname(_e));                               \
			_exit(1);                                             \
		}                                                             \
		_r;                                                           \
	})

static inline const char *t_status_str(int st)
{
	static char buf[96];

	if (WIFEXITED(st))
		snprintf(buf, sizeof(buf), "exited with %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, sizeof(buf), "killed by %s%s",
			 sigabbrev_np(WTERMSIG(st)) ? sigabbrev_np(WTERMSIG(st))
						    : "?",
			 WCOREDUMP(st) ? " (core)" : "");
	else
		snprintf(buf, sizeof(buf), "status %#x", st);
	return buf;
}

/*
 * t_wait_status - reap @pid, waiting at most @ms; a child still running
 * then is killed and the test fails.  Returns the wait status.
 */
static inline int t_wait_status_ms(pid_t pid, int ms)
{
	int64_t dl = t_now_ns() + (int64_t)ms * 1000000;
	int st = 0;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			break;
		cr_assert(r == 0 || errno == EINTR, "waitpid %d: %s", (int)pid,
			  t_errname(errno));
		if (t_now_ns() > dl) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			t_untrack(pid);
			cr_assert_fail("child %d still running after %d ms "
				       "(hang?)", (int)pid, ms);
		}
		usleep(1000);
	}
	t_untrack(pid);
	return st;
}

static inline int t_wait_status(pid_t pid)
{
	return t_wait_status_ms(pid, T_DEADLINE_MS);
}

/* Reap @pid; it must have exited with status 0. */
static inline void t_wait_ok_ms(pid_t pid, int ms)
{
	int st = t_wait_status_ms(pid, ms);

	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %d %s",
		  (int)pid, t_status_str(st));
}

static inline void t_wait_ok(pid_t pid)
{
	t_wait_ok_ms(pid, T_DEADLINE_MS);
}

/* SIGKILL @pid and reap it. */
static inline void t_kill_wait(pid_t pid)
{
	int st;

	kill(pid, SIGKILL);
	st = t_wait_status(pid);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
		  "child %d %s, expected SIGKILL", (int)pid, t_status_str(st));
}

/* SIGKILL @pid and wait until it is a zombie, without reaping it. */
static inline void t_kill_zombie(pid_t pid)
{
	siginfo_t si;

	kill(pid, SIGKILL);
	memset(&si, 0, sizeof(si));
	cr_assert(waitid(P_PID, pid, &si, WEXITED | WNOWAIT) == 0,
		  "waitid: %s", t_errname(errno));
}

/* The scheduler state letter of @pid ('R', 'S', 'D', 'Z', ...), 0 if gone. */
static inline char t_proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	n = t_read_file(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/*
 * Is @pid asleep in a system call other than read/write/poll (i.e.,
 * blocked in the call under test rather than on our synchronisation pipe,
 * or in a page fault, where /proc/PID/syscall shows -1)?
 */
static inline bool t_proc_blocked(pid_t pid)
{
	char path[64], buf[128];
	ssize_t n;
	long nr;

	if (t_proc_state(pid) != 'S')
		return false;
	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	n = t_read_file(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return true;	/* cannot tell more */
	buf[n] = '\0';
	if (!strncmp(buf, "running", 7))
		return false;
	nr = strtol(buf, NULL, 10);
	return nr > 1 && nr != 7 /* poll */ && t_proc_state(pid) == 'S';
}

/* Wait until @pid is blocked in a system call; false after the deadline. */
static inline bool t_wait_blocked(pid_t pid)
{
	/* twice in a row, 1 ms apart, to skip a passing sleep */
	return T_POLL(t_proc_blocked(pid) && (usleep(1000), t_proc_blocked(pid)),
		      T_DEADLINE_MS);
}

/* ------------------------------------------------ pipes for handshakes */

struct t_pipe {
	int r, w;
};

static inline struct t_pipe t_pipe_new(void)
{
	int fd[2];

	cr_assert(pipe2(fd, O_CLOEXEC) == 0, "pipe: %s", t_errname(errno));
	return (struct t_pipe){ fd[0], fd[1] };
}

static inline void t_signal_byte(struct t_pipe p, char c)
{
	while (write(p.w, &c, 1) < 0 && errno == EINTR)
		;
}

/*
 * Wait for one byte on @p, at most @ms.  Returns the byte, -1 on timeout,
 * -2 on end of file (every writer is gone).
 */
static inline int t_wait_byte_ms(struct t_pipe p, int ms)
{
	struct pollfd pfd = { .fd = p.r, .events = POLLIN };
	int64_t dl = t_now_ns() + (int64_t)ms * 1000000;
	char c;

	for (;;) {
		int left = (int)((dl - t_now_ns()) / 1000000);
		int n;

		if (left < 0)
			return -1;
		n = poll(&pfd, 1, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		n = read(p.r, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		return n == 1 ? (unsigned char)c : -2;
	}
}

static inline int t_wait_byte(struct t_pipe p)
{
	return t_wait_byte_ms(p, T_DEADLINE_MS);
}

/* --------------------------------------------------- uipc conveniences */

static inline int t_semval(int id, int n)
{
	return uipc_semctl(id, n, GETVAL);
}

static inline int t_semncnt(int id, int n)
{
	return uipc_semctl(id, n, GETNCNT);
}

static inline int t_semzcnt(int id, int n)
{
	return uipc_semctl(id, n, GETZCNT);
}

static inline int t_setval(int id, int n, int v)
{
	union t_semun a = { .val = v };

	return uipc_semctl(id, n, SETVAL, a);
}

/* shm_nattch of @id, -1 (errno set) if IPC_STAT fails. */
static inline long t_nattch(int id)
{
	struct shmid_ds ds;

	if (uipc_shmctl(id, IPC_STAT, &ds) < 0)
		return -1;
	return (long)ds.shm_nattch;
}

/* msg_qnum of @id, -1 (errno set) if IPC_STAT fails. */
static inline long t_qnum(int id)
{
	struct msqid_ds ds;

	if (uipc_msgctl(id, IPC_STAT, &ds) < 0)
		return -1;
	return (long)ds.msg_qnum;
}

/* Segment @id must be gone (destroyed): IPC_STAT fails with EINVAL. */
static inline void t_assert_shm_gone(int id)
{
	struct shmid_ds ds;
	int r;

	memset(&ds, 0, sizeof(ds));
	errno = 0;
	r = uipc_shmctl(id, IPC_STAT, &ds);
	cr_assert(r == -1 && errno == EINVAL, "segment %d still there "
		  "(IPC_STAT %d/%s: nattch %lu, mode %#o)", id, r,
		  t_errname(errno), (unsigned long)ds.shm_nattch,
		  ds.shm_perm.mode);
}

struct t_msg {
	long mtype;
	char mtext[8192];
};

/* --------------------------------------------------------- random */

static inline uint64_t t_rand(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ULL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

/* ------------------------------------------------ per-test namespace */

/* One top directory per test binary, made in the runner process. */
ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	char top[] = "/dev/shm/uipc-unit.XXXXXX";

	(void)set;
	if (mkdtemp(top)) {
		chmod(top, 0755);
		setenv("UIPC_TEST_TOP", top, 1);
	}
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	const char *top = getenv("UIPC_TEST_TOP");

	(void)stats;
	if (top && !strncmp(top, "/dev/shm/uipc-unit.", 19))
		t_rm_rf(top);
}

/* Create a fresh namespace for this test; UIPC_ROOT points at it. */
static inline void t_setup(void)
{
	const char *top = getenv("UIPC_TEST_TOP");

	t_owner = getpid();
	t_nkids = 0;
	if (top)
		snprintf(t_base, sizeof(t_base), "%s/t.XXXXXX", top);
	else
		snprintf(t_base, sizeof(t_base), "/dev/shm/uipc-unit.XXXXXX");
	cr_assert(mkdtemp(t_base), "mkdtemp %s: %s", t_base, t_errname(errno));
	chmod(t_base, 0755);
	snprintf(t_root, sizeof(t_root), "%s/ns", t_base);
	cr_assert(mkdir(t_root, 01777) == 0, "mkdir %s", t_root);
	chmod(t_root, 01777);
	setenv("UIPC_ROOT", t_root, 1);
}

/* Kill children the test left, remove the namespace. */
static inline void t_teardown(void)
{
	if (getpid() != t_owner)
		return;
	for (int i = 0; i < t_nkids; i++) {
		kill(t_kids[i], SIGKILL);
		waitpid(t_kids[i], NULL, 0);
	}
	t_nkids = 0;
	if (t_base[0])
		t_rm_rf(t_base);
}

#endif /* UIPC_TEST_HELPERS_H */
