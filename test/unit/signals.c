// SPDX-License-Identifier: MIT
/*
 * signals.c - how blocked calls end: EINTR, timeouts, EIDRM.
 *
 * - A semop/semtimedop/msgrcv/msgsnd (and the timed message extensions)
 *   blocked when a signal handler runs fails with EINTR and is never
 *   restarted, whether the handler was installed with SA_RESTART (glibc's
 *   signal() does that) or without; nothing is consumed or sent, and the
 *   waiter no longer counts.
 * - uipc_semtimedop, uipc_msgtimedrcv and uipc_msgtimedsnd give EAGAIN when
 *   the timeout expires, not before it (measured on CLOCK_MONOTONIC), EINVAL
 *   for an invalid timeout, and succeed when the operation becomes possible
 *   in time; a NULL timeout waits forever.
 * - Removing the object fails every blocked call on it with EIDRM.
 *
 * Whether a child is blocked is read from GETNCNT and from /proc (asleep
 * in a system call); signals are then sent repeatedly until the call
 * returns, so a signal landing just before the wait cannot make the test
 * flaky, while a call that ignores signals fails it by deadline.
 */
#include "helpers.h"

TestSuite(signals, .init = t_setup, .fini = t_teardown, .timeout = 60);

enum op {
	OP_SEMOP, OP_SEMTIMEDOP, OP_MSGRCV, OP_MSGSND, OP_MSGTIMEDRCV,
	OP_MSGTIMEDSND,
};

static const char *const op_name[] = {
	"semop", "semtimedop", "msgrcv", "msgsnd", "msgtimedrcv",
	"msgtimedsnd",
};

static int g_id;
static volatile sig_atomic_t hits;

static void on_usr1(int sig)
{
	(void)sig;
	hits++;
}

static bool is_sem(enum op op)
{
	return op == OP_SEMOP || op == OP_SEMTIMEDOP;
}

/* An object on which @op blocks: a set at 0, an empty or a full queue. */
static void make_blocking(enum op op)
{
	struct t_msg m = { .mtype = 1 };
	struct msqid_ds ds;

	if (is_sem(op)) {
		g_id = (int)assert_ok(uipc_semget(IPC_PRIVATE, 1, 0600));
		return;
	}
	g_id = (int)assert_ok(uipc_msgget(IPC_PRIVATE, 0600));
	if (op == OP_MSGSND || op == OP_MSGTIMEDSND) {
		assert_ok(uipc_msgctl(g_id, IPC_STAT, &ds));
		ds.msg_qbytes = 100;
		assert_ok(uipc_msgctl(g_id, IPC_SET, &ds));
		assert_ok(uipc_msgsnd(g_id, &m, 100, IPC_NOWAIT));
	}
}

/* The blocking call; timed ones get a timeout far beyond the test's. */
static long do_op(enum op op)
{
	struct timespec ts = { 600, 0 };
	struct sembuf sb = { 0, -1, 0 };
	struct t_msg m = { .mtype = 1 };

	switch (op) {
	case OP_SEMOP:
		return uipc_semop(g_id, &sb, 1);
	case OP_SEMTIMEDOP:
		return uipc_semtimedop(g_id, &sb, 1, &ts);
	case OP_MSGRCV:
		return uipc_msgrcv(g_id, &m, 200, 0, 0);
	case OP_MSGSND:
		return uipc_msgsnd(g_id, &m, 10, 0);
	case OP_MSGTIMEDRCV:
		return uipc_msgtimedrcv(g_id, &m, 200, 0, 0, &ts);
	default:
		return uipc_msgtimedsnd(g_id, &m, 10, 0, &ts);
	}
}

/* Nothing was taken or given, and the waiter is gone. */
static void child_check_untouched(enum op op)
{
	if (is_sem(op)) {
		CHILD_CHECK(t_semval(g_id, 0) == 0);
		CHILD_CHECK(t_semncnt(g_id, 0) == 0, "GETNCNT %d after EINTR",
			    t_semncnt(g_id, 0));
	} else if (op == OP_MSGSND || op == OP_MSGTIMEDSND) {
		CHILD_CHECK(t_qnum(g_id) == 1, "qnum %ld after EINTR",
			    t_qnum(g_id));
	} else {
		CHILD_CHECK(t_qnum(g_id) == 0);
	}
}

/* Wait until @pid is blocked in @op (and counted, for semaphores). */
static void wait_blocked(enum op op, pid_t pid, int nwaiters)
{
	if (is_sem(op))
		cr_assert(T_POLL(t_semncnt(g_id, 0) == nwaiters,
				 T_DEADLINE_MS),
			  "%s: GETNCNT %d, want %d", op_name[op],
			  t_semncnt(g_id, 0), nwaiters);
	cr_assert(t_wait_blocked(pid), "%s: child %d never blocked",
		  op_name[op], (int)pid);
}

/* ------------------------------------------------------------ EINTR */

struct eintr_arg {
	enum op op;
	bool restart;		/* signal() (SA_RESTART) or plain sigaction */
};

static int child_eintr(void *p)
{
	const struct eintr_arg *a = p;
	struct sigaction sa;
	long r;

	if (a->restart) {
		signal(SIGUSR1, on_usr1);
	} else {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_usr1;
		sigemptyset(&sa.sa_mask);
		CHILD_OK(sigaction(SIGUSR1, &sa, NULL));
	}
	CHILD_OK(sigaction(SIGUSR1, NULL, &sa));
	CHILD_CHECK(!!(sa.sa_flags & SA_RESTART) == a->restart,
		    "SA_RESTART is %s", a->restart ? "off" : "on");
	r = do_op(a->op);
	CHILD_CHECK(r == -1 && errno == EINTR, "%s returned %ld instead of "
		    "EINTR", op_name[a->op], r);
	CHILD_CHECK(hits > 0, "EINTR without the handler running");
	child_check_untouched(a->op);
	return 0;
}

static bool signal_and_reap(pid_t pid, int *st)
{
	usleep(20000);
	kill(pid, SIGUSR1);
	return waitpid(pid, st, WNOHANG) == pid;
}

static void eintr(enum op op, bool restart)
{
	struct eintr_arg a = { op, restart };
	pid_t pid;
	int st = 0;
	bool done;

	make_blocking(op);
	pid = t_spawn(child_eintr, &a);
	wait_blocked(op, pid, 1);
	done = T_POLL(signal_and_reap(pid, &st), T_DEADLINE_MS);
	if (!done) {
		kill(pid, SIGKILL);
		t_wait_status(pid);
		cr_assert_fail("%s (%s handler) still blocked after signals",
			       op_name[op], restart ? "SA_RESTART" : "plain");
	}
	t_untrack(pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: child %s",
		  op_name[op], t_status_str(st));
	if (is_sem(op))
		assert_ok(uipc_semctl(g_id, 0, IPC_RMID));
	else
		assert_ok(uipc_msgctl(g_id, IPC_RMID, NULL));
}

Test(signals, semop_eintr_sa_restart) { eintr(OP_SEMOP, true); }
Test(signals, semop_eintr_plain) { eintr(OP_SEMOP, false); }
Test(signals, semtimedop_eintr_sa_restart) { eintr(OP_SEMTIMEDOP, true); }
Test(signals, semtimedop_eintr_plain) { eintr(OP_SEMTIMEDOP, false); }
Test(signals, msgrcv_eintr_sa_restart) { eintr(OP_MSGRCV, true); }
Test(signals, msgrcv_eintr_plain) { eintr(OP_MSGRCV, false); }
Test(signals, msgsnd_eintr_sa_restart) { eintr(OP_MSGSND, true); }
Test(signals, msgsnd_eintr_plain) { eintr(OP_MSGSND, false); }
Test(signals, msgtimedrcv_eintr_sa_restart) { eintr(OP_MSGTIMEDRCV, true); }
Test(signals, msgtimedsnd_eintr_sa_restart) { eintr(OP_MSGTIMEDSND, true); }

/* An ignored signal does not interrupt anything. */
static int child_ignored(void *p)
{
	enum op op = (enum op)(intptr_t)p;
	long r;

	signal(SIGUSR1, SIG_IGN);
	r = do_op(op);
	CHILD_CHECK(r == -1 && errno == EIDRM, "%s returned %ld, want EIDRM "
		    "at the removal", op_name[op], r);
	return 0;
}

static void not_interrupted(enum op op)
{
	pid_t pid;

	make_blocking(op);
	pid = t_spawn(child_ignored, (void *)(intptr_t)op);
	wait_blocked(op, pid, 1);
	for (int i = 0; i < 5; i++) {
		kill(pid, SIGUSR1);
		usleep(2000);
	}
	/* still blocked: a remove ends it with EIDRM */
	wait_blocked(op, pid, 1);
	if (is_sem(op))
		assert_ok(uipc_semctl(g_id, 0, IPC_RMID));
	else
		assert_ok(uipc_msgctl(g_id, IPC_RMID, NULL));
	t_wait_ok(pid);
}

Test(signals, semop_not_interrupted_by_ignored_signal)
{
	not_interrupted(OP_SEMOP);
}

Test(signals, msgrcv_not_interrupted_by_ignored_signal)
{
	not_interrupted(OP_MSGRCV);
}

/*
 * Stopped and continued, without a handler: the kernel's semop and
 * semtimedop fail with EINTR (signal(7) lists them), while its msgrcv and
 * msgsnd (-ERESTARTNOHAND) go on waiting.
 */
static int child_stopped(void *p)
{
	enum op op = (enum op)(intptr_t)p;
	long r = do_op(op);

	if (is_sem(op)) {
		CHILD_CHECK(r == -1 && errno == EINTR, "%s returned %ld, want "
			    "EINTR after SIGSTOP/SIGCONT", op_name[op], r);
		child_check_untouched(op);
	} else {
		CHILD_CHECK(r == -1 && errno == EIDRM, "%s returned %ld, want "
			    "EIDRM at the removal", op_name[op], r);
	}
	return 0;
}

static bool stop_cont_reap(pid_t pid, int *st)
{
	kill(pid, SIGSTOP);
	T_POLL(t_proc_state(pid) == 'T', 2000);
	kill(pid, SIGCONT);
	usleep(20000);
	return waitpid(pid, st, WNOHANG) == pid;
}

static void stop_continue(enum op op)
{
	pid_t pid;
	int st = 0;

	make_blocking(op);
	pid = t_spawn(child_stopped, (void *)(intptr_t)op);
	wait_blocked(op, pid, 1);
	if (is_sem(op)) {
		if (!T_POLL(stop_cont_reap(pid, &st), 5000)) {
			kill(pid, SIGKILL);
			t_wait_status(pid);
			cr_assert_fail("%s still blocked after SIGSTOP/SIGCONT",
				       op_name[op]);
		}
		t_untrack(pid);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			  "%s: child %s", op_name[op], t_status_str(st));
		assert_ok(uipc_semctl(g_id, 0, IPC_RMID));
		return;
	}
	for (int i = 0; i < 3; i++)
		cr_assert(!stop_cont_reap(pid, &st), "%s: child %s after "
			  "SIGSTOP/SIGCONT", op_name[op], t_status_str(st));
	wait_blocked(op, pid, 1);
	assert_ok(uipc_msgctl(g_id, IPC_RMID, NULL));
	t_wait_ok(pid);
}

Test(signals, semop_eintr_after_stop_continue) { stop_continue(OP_SEMOP); }
Test(signals, semtimedop_eintr_after_stop_continue) { stop_continue(OP_SEMTIMEDOP); }
Test(signals, msgrcv_waits_on_after_stop_continue) { stop_continue(OP_MSGRCV); }
Test(signals, msgsnd_waits_on_after_stop_continue) { stop_continue(OP_MSGSND); }

/* ------------------------------------------------------------ EIDRM */

static int child_eidrm(void *p)
{
	enum op op = (enum op)(intptr_t)p;
	long r = do_op(op);

	CHILD_CHECK(r == -1 && errno == EIDRM, "%s returned %ld instead of "
		    "EIDRM", op_name[op], r);
	return 0;
}

static void eidrm(enum op op, int nwaiters)
{
	pid_t pids[4];

	make_blocking(op);
	for (int i = 0; i < nwaiters; i++) {
		pids[i] = t_spawn(child_eidrm, (void *)(intptr_t)op);
		wait_blocked(op, pids[i], i + 1);
	}
	if (is_sem(op))
		assert_ok(uipc_semctl(g_id, 0, IPC_RMID));
	else
		assert_ok(uipc_msgctl(g_id, IPC_RMID, NULL));
	for (int i = 0; i < nwaiters; i++)
		t_wait_ok(pids[i]);
}

Test(signals, semop_eidrm) { eidrm(OP_SEMOP, 1); }
Test(signals, semop_eidrm_all_waiters) { eidrm(OP_SEMOP, 3); }
Test(signals, semtimedop_eidrm) { eidrm(OP_SEMTIMEDOP, 1); }
Test(signals, msgrcv_eidrm) { eidrm(OP_MSGRCV, 1); }
Test(signals, msgrcv_eidrm_all_waiters) { eidrm(OP_MSGRCV, 3); }
Test(signals, msgsnd_eidrm) { eidrm(OP_MSGSND, 1); }
Test(signals, msgsnd_eidrm_all_waiters) { eidrm(OP_MSGSND, 3); }
Test(signals, msgtimedrcv_eidrm) { eidrm(OP_MSGTIMEDRCV, 1); }
Test(signals, msgtimedsnd_eidrm) { eidrm(OP_MSGTIMEDSND, 1); }

/* --------------------------------------------------------- timeouts */

#define TMO_MS	100

/* Run @op with timeout @ts; it must give EAGAIN no earlier than @ts. */
static long timed(enum op op, const struct timespec *ts, int flags)
{
	struct sembuf sb = { 0, -1, (short)flags };
	struct t_msg m = { .mtype = 1 };

	switch (op) {
	case OP_SEMTIMEDOP:
		return uipc_semtimedop(g_id, &sb, 1, ts);
	case OP_MSGTIMEDRCV:
		return uipc_msgtimedrcv(g_id, &m, 200, 0, flags, ts);
	default:
		return uipc_msgtimedsnd(g_id, &m, 10, flags, ts);
	}
}

/* @op, blocked, with a TMO_MS timeout: EAGAIN, not before it, nor hung. */
static void expect_timeout(enum op op)
{
	struct timespec ts = { 0, TMO_MS * 1000000L };
	int64_t t0, ns;
	long r;

	t0 = t_now_ns();
	errno = 0;
	r = timed(op, &ts, 0);
	ns = t_now_ns() - t0;
	cr_assert(r == -1 && errno == EAGAIN, "%s: %ld/%s, want EAGAIN",
		  op_name[op], r, t_errname(errno));
	cr_assert(ns >= TMO_MS * 1000000LL,
		  "%s gave up after %lld ms, before its %d ms", op_name[op],
		  (long long)(ns / 1000000), TMO_MS);
	cr_assert(ns < 10000 * 1000000LL, "%s took %lld ms for a %d ms timeout",
		  op_name[op], (long long)(ns / 1000000), TMO_MS);
}

static void times_out(enum op op)
{
	struct timespec ts = { 0, TMO_MS * 1000000L };

	make_blocking(op);
	expect_timeout(op);
	/* nothing changed, nobody waits */
	if (is_sem(op)) {
		cr_assert_eq(t_semval(g_id, 0), 0);
		cr_assert_eq(t_semncnt(g_id, 0), 0);
	} else {
		cr_assert_eq(t_qnum(g_id), op == OP_MSGTIMEDSND ? 1 : 0);
	}
	/* a zero timeout: EAGAIN at once */
	ts.tv_nsec = 0;
	assert_errno(timed(op, &ts, 0), EAGAIN);
	/* invalid timeouts */
	ts.tv_nsec = 1000000000L;
	assert_errno(timed(op, &ts, 0), EINVAL);
	ts.tv_nsec = -1;
	assert_errno(timed(op, &ts, 0), EINVAL);
	ts = (struct timespec){ -1, 0 };
	assert_errno(timed(op, &ts, 0), EINVAL);
	/* IPC_NOWAIT keeps its meaning */
	ts = (struct timespec){ 5, 0 };
	assert_errno(timed(op, &ts, IPC_NOWAIT),
		     op == OP_MSGTIMEDRCV ? ENOMSG : EAGAIN);
}

Test(signals, semtimedop_times_out) { times_out(OP_SEMTIMEDOP); }
Test(signals, msgtimedrcv_times_out) { times_out(OP_MSGTIMEDRCV); }
Test(signals, msgtimedsnd_times_out) { times_out(OP_MSGTIMEDSND); }

/*
 * A set or queue keeps a fixed number of waiter slots (64); a caller finding
 * them all taken polls instead of sleeping (docs/design.md).  Its
 * timeout must still end the wait: so did the kernel's, which has no
 * such limit.  Then removal ends every sleeper's wait with EIDRM.
 */
#define T_SLOTS	64

static void times_out_with_slots_full(enum op op)
{
	pid_t pids[T_SLOTS + 1];

	enum op plain = op == OP_SEMTIMEDOP ? OP_SEMOP :
			op == OP_MSGTIMEDRCV ? OP_MSGRCV : OP_MSGSND;

	make_blocking(op);
	for (int i = 0; i < T_SLOTS + 1; i++) {
		pids[i] = t_spawn(child_eidrm, (void *)(intptr_t)plain);
		if (i < T_SLOTS)
			wait_blocked(plain, pids[i], i + 1);
		else	/* polling, so not counted by GETNCNT */
			cr_assert(t_wait_blocked(pids[i]));
	}
	expect_timeout(op);
	if (is_sem(op)) {
		cr_assert_eq(t_semval(g_id, 0), 0);
		cr_assert_eq(t_semncnt(g_id, 0), T_SLOTS);
		assert_ok(uipc_semctl(g_id, 0, IPC_RMID));
	} else {
		cr_assert_eq(t_qnum(g_id), op == OP_MSGTIMEDSND ? 1 : 0);
		assert_ok(uipc_msgctl(g_id, IPC_RMID, NULL));
	}
	for (int i = 0; i < T_SLOTS + 1; i++)
		t_wait_ok(pids[i]);
}

Test(signals, semtimedop_times_out_with_every_slot_taken)
{
	times_out_with_slots_full(OP_SEMTIMEDOP);
}

Test(signals, msgtimedrcv_times_out_with_every_slot_taken)
{
	times_out_with_slots_full(OP_MSGTIMEDRCV);
}

Test(signals, msgtimedsnd_times_out_with_every_slot_taken)
{
	times_out_with_slots_full(OP_MSGTIMEDSND);
}

/*
 * A blocked semop of more than 32 operations is queued without them
 * (docs/differences.md) and so waits on every semaphore of the set.  It
 * must still be woken by operations that would otherwise take the
 * lock-free path, also after another waiter has left the queue (which
 * recomputes which semaphores are waited on).
 */
#define T_MANY	40

static int child_many(void *p)
{
	struct sembuf sops[T_MANY];

	(void)p;
	for (int i = 0; i < T_MANY; i++)
		sops[i] = (struct sembuf){ (unsigned short)i, -1, 0 };
	CHILD_OK(uipc_semop(g_id, sops, T_MANY));
	return 0;
}

Test(signals, semop_of_many_ops_woken_after_another_waiter_leaves)
{
	struct timespec ts = { 0, 50 * 1000000L };
	struct sembuf one = { 0, -1, 0 };
	pid_t pid;

	g_id = (int)assert_ok(uipc_semget(IPC_PRIVATE, T_MANY, 0600));
	pid = t_spawn(child_many, NULL);
	cr_assert(t_wait_blocked(pid));
	assert_errno(uipc_semtimedop(g_id, &one, 1, &ts), EAGAIN);
	for (int i = 0; i < T_MANY; i++) {
		struct sembuf up = { (unsigned short)i, 1, 0 };

		assert_ok(uipc_semop(g_id, &up, 1));
	}
	t_wait_ok(pid);
	for (int i = 0; i < T_MANY; i++)
		cr_assert_eq(t_semval(g_id, i), 0, "semaphore %d", i);
	assert_ok(uipc_semctl(g_id, 0, IPC_RMID));
}

/* The kernel checks semtimedop's timeout before anything else. */
Test(signals, semtimedop_invalid_timeout_even_when_not_blocking)
{
	struct sembuf up = { 0, 1, 0 };
	struct timespec bad = { 0, 1000000000L };

	g_id = (int)assert_ok(uipc_semget(IPC_PRIVATE, 1, 0600));
	assert_errno(uipc_semtimedop(g_id, &up, 1, &bad), EINVAL);
	cr_assert_eq(t_semval(g_id, 0), 0);
	assert_ok(uipc_semctl(g_id, 0, IPC_RMID));
}

/* A helper that waits until the parent is blocked, then unblocks it. */
static int child_unblock(void *p)
{
	enum op op = (enum op)(intptr_t)p;
	pid_t parent = getppid();
	struct sembuf up = { 0, 1, 0 };
	struct t_msg m = { .mtype = 1 };
	int64_t dl = t_now_ns() + 20 * 1000000000LL;

	while (!t_proc_blocked(parent) ||
	       (is_sem(op) && t_semncnt(g_id, 0) != 1)) {
		CHILD_CHECK(t_now_ns() < dl, "the parent never blocked");
		usleep(1000);
	}
	switch (op) {
	case OP_SEMOP:
	case OP_SEMTIMEDOP:
		CHILD_OK(uipc_semop(g_id, &up, 1));
		break;
	case OP_MSGRCV:
	case OP_MSGTIMEDRCV:
		strcpy(m.mtext, "wake");
		CHILD_OK(uipc_msgsnd(g_id, &m, 5, 0));
		break;
	default:
		CHILD_CHECK(uipc_msgrcv(g_id, &m, 200, 0, 0) == 100);
		break;
	}
	return 0;
}

static void completes_in_time(enum op op, bool null_timeout)
{
	struct timespec ts = { 60, 0 };
	struct sembuf sb = { 0, -1, 0 };
	struct t_msg m = { .mtype = 1 };
	pid_t pid;
	long r;

	make_blocking(op);
	pid = t_spawn(child_unblock, (void *)(intptr_t)op);
	switch (op) {
	case OP_SEMTIMEDOP:
		r = uipc_semtimedop(g_id, &sb, 1, null_timeout ? NULL : &ts);
		break;
	case OP_MSGTIMEDRCV:
		r = uipc_msgtimedrcv(g_id, &m, 200, 0, 0,
				     null_timeout ? NULL : &ts);
		cr_assert_eq(r, 5, "msgtimedrcv: %ld/%s", r, t_errname(errno));
		cr_assert_str_eq(m.mtext, "wake");
		r = 0;
		break;
	default:
		r = uipc_msgtimedsnd(g_id, &m, 10, 0,
				     null_timeout ? NULL : &ts);
		break;
	}
	cr_assert_eq(r, 0, "%s: %ld/%s", op_name[op], r, t_errname(errno));
	t_wait_ok(pid);
	if (is_sem(op)) {
		cr_assert_eq(t_semval(g_id, 0), 0);
		assert_ok(uipc_semctl(g_id, 0, IPC_RMID));
	} else {
		assert_ok(uipc_msgctl(g_id, IPC_RMID, NULL));
	}
}

Test(signals, semtimedop_completes_in_time) { completes_in_time(OP_SEMTIMEDOP, false); }
Test(signals, semtimedop_null_waits) { completes_in_time(OP_SEMTIMEDOP, true); }
Test(signals, msgtimedrcv_completes_in_time) { completes_in_time(OP_MSGTIMEDRCV, false); }
Test(signals, msgtimedrcv_null_waits) { completes_in_time(OP_MSGTIMEDRCV, true); }
Test(signals, msgtimedsnd_completes_in_time) { completes_in_time(OP_MSGTIMEDSND, false); }
Test(signals, msgtimedsnd_null_waits) { completes_in_time(OP_MSGTIMEDSND, true); }
