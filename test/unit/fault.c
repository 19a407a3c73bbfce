// SPDX-License-Identifier: MIT
/*
 * fault.c - the EFAULT guard (src/ucopy.c) keeps its hands off every fault
 * that is not a check of a call's buffer: the program's own SIGSEGV
 * handler still gets its faults, in any thread, and the default action
 * still kills; a check inside a signal handler that interrupted a check
 * works; a SIGBUS on a buffer (a truncated file's page) is EFAULT too.
 * The calls' EFAULT answers themselves are compared with the kernel's by
 * the differential scenarios fault_* (test/diff/s_fault.c).
 */
#include <pthread.h>
#include <setjmp.h>
#include <sys/msg.h>
#include <sys/time.h>

#include "helpers.h"

TestSuite(fault, .init = t_setup, .fini = t_teardown, .timeout = 60);

/*
 * valgrind runs a program's signal handlers on its own terms and reports
 * the deliberate bad accesses these tests make: they test the hardware's
 * faults, which memcheck does not deliver as the kernel does.
 */
#define SKIP_UNDER_VALGRIND()						      \
	do {								      \
		if (getenv("VALGRIND"))					      \
			cr_skip_test("deliberate faults: not under valgrind"); \
	} while (0)

static char *none_page(void)
{
	char *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	cr_assert(p != MAP_FAILED);
	return p;
}

/* The program's handler: counts, and jumps back past the faulting access. */
static __thread sigjmp_buf *prog_jb;
static __thread void *prog_addr;
static int prog_hits;

static void prog_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	__atomic_fetch_add(&prog_hits, 1, __ATOMIC_RELAXED);
	prog_addr = si->si_addr;
	if (prog_jb)
		siglongjmp(*prog_jb, sig);
	fprintf(stderr, "unexpected fault at %p code %d\n", si->si_addr, si->si_code);
	_exit(3);	/* a fault nobody expected */
}

static void install_prog_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = prog_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	cr_assert(sigaction(SIGSEGV, &sa, NULL) == 0);
}

/* Touch @p; true if the program's handler caught it. */
static bool prog_touch(volatile char *p)
{
	sigjmp_buf jb;
	bool caught = false;

	if (sigsetjmp(jb, 1)) {
		caught = true;
	} else {
		prog_jb = &jb;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		(void)*p;
	}
	prog_jb = NULL;
	return caught;
}

/* A handler installed before uipc's: bad buffers are EFAULT, the
 * program's own faults reach it with their address. */
Test(fault, program_handler_first)
{
	SKIP_UNDER_VALGRIND();
	char *none = none_page();
	int q;

	install_prog_handler();
	q = uipc_msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	cr_assert(q >= 0);
	assert_errno(uipc_msgctl(q, IPC_STAT, (void *)none), EFAULT);
	assert_errno(uipc_msgsnd(q, none, 1, IPC_NOWAIT), EFAULT);
	cr_assert_eq(prog_hits, 0, "the program's handler saw a checked fault");
	cr_assert(prog_touch(none + 100));
	cr_assert_eq(prog_hits, 1);
	cr_assert_eq(prog_addr, none + 100);
	/* and once more, after a check */
	assert_errno(uipc_msgctl(q, IPC_STAT, (void *)none), EFAULT);
	cr_assert(prog_touch(none + 200));
	cr_assert_eq(prog_hits, 2);
	cr_assert_eq(prog_addr, none + 200);
	assert_ok(uipc_msgctl(q, IPC_RMID, NULL));
}

/* With no handler of the program's, a real fault still kills by SIGSEGV,
 * and so does kill(SIGSEGV), after uipc installed its handler. */
Test(fault, default_action_kills)
{
	SKIP_UNDER_VALGRIND();
	char *none = none_page();
	volatile int *reached = t_shared(4096);

	for (int how = 0; how < 3; how++) {
		pid_t c = t_fork();
		int st;

		if (c == 0) {
			/* not NULL: UBSan would catch that before the fault */
			volatile uintptr_t low = 8;
			struct shmid_ds ds;

			signal(SIGSEGV, SIG_DFL);
			signal(SIGBUS, SIG_DFL);
			CHILD_ERRNO(uipc_shmctl(0, IPC_INFO, (void *)none), EFAULT);
			CHILD_ERRNO(uipc_shmctl(0, IPC_STAT, &ds), EINVAL);
			reached[how] = 1;
			if (how == 0)
				*(volatile char *)none = 1;
			else if (how == 1)
				kill(getpid(), SIGSEGV);
			else
				*(volatile char *)low = 1;	/* page 0 */
			_exit(0);
		}
		st = t_wait_status(c);
		cr_assert(reached[how] && WIFSIGNALED(st) &&
			  WTERMSIG(st) == SIGSEGV, "case %d: child %s%s", how,
			  t_status_str(st), reached[how] ? "" : " too early");
	}
}

/* SIGSEGV with an ignored disposition: the kernel kills on a fault. */
Test(fault, ignored_still_kills_on_fault)
{
	SKIP_UNDER_VALGRIND();
	char *none = none_page();
	volatile int *reached = t_shared(4096);
	pid_t c = t_fork();
	int st;

	if (c == 0) {
		signal(SIGSEGV, SIG_IGN);
		CHILD_ERRNO(uipc_msgsnd(0, none, 1, 0), EFAULT);
		*reached = 1;
		*(volatile char *)none = 1;
		_exit(0);
	}
	st = t_wait_status(c);
	cr_assert(*reached && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
		  "child %s%s", t_status_str(st), *reached ? "" : " too early");
}

/* Faults of one thread are its own: another thread's checks on the same
 * page at the same time turn none of them into EFAULT. */
static char *shared_none;
static volatile int stop;

static void *checker(void *arg)
{
	long n = 0;

	(void)arg;
	while (!stop) {
		if (uipc_msgsnd(0, shared_none, 1, IPC_NOWAIT) != -1 ||
		    errno != EFAULT)
			return (void *)-1L;
		n++;
	}
	return (void *)n;
}

Test(fault, threads_keep_their_faults)
{
	SKIP_UNDER_VALGRIND();
	pthread_t t;
	void *res;
	int faults = 0;
	int64_t end = t_now_ns() + 300 * 1000000LL;

	shared_none = none_page();
	install_prog_handler();
	cr_assert(pthread_create(&t, NULL, checker, NULL) == 0);
	while (t_now_ns() < end) {
		cr_assert(prog_touch(shared_none + 8));
		faults++;
	}
	stop = 1;
	pthread_join(t, &res);
	cr_assert((long)res > 0, "checker: %ld", (long)res);
	cr_assert_eq(prog_hits, faults, "handler %d, faults %d", prog_hits,
		     faults);
}

/* A check inside a signal handler that interrupted a check. */
static volatile int nested_ok, nested_bad;

static void on_alarm(int sig)
{
	int e = errno;

	(void)sig;
	if (uipc_msgsnd(0, shared_none, 1, IPC_NOWAIT) == -1 && errno == EFAULT)
		nested_ok++;
	else
		nested_bad++;
	errno = e;
}

Test(fault, nested_in_handler)
{
	SKIP_UNDER_VALGRIND();
	struct itimerval it = { { 0, 200 }, { 0, 200 } };
	int64_t end = t_now_ns() + 300 * 1000000LL;
	long n = 0;

	shared_none = none_page();
	signal(SIGALRM, on_alarm);
	cr_assert(setitimer(ITIMER_REAL, &it, NULL) == 0);
	while (t_now_ns() < end) {
		cr_assert(uipc_msgsnd(0, shared_none, 1, IPC_NOWAIT) == -1 &&
			  errno == EFAULT, "main: %s", t_errname(errno));
		n++;
	}
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	cr_assert(nested_ok > 0 && nested_bad == 0, "ok %d bad %d (of %ld)",
		  nested_ok, nested_bad, n);
}
