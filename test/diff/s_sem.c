// SPDX-License-Identifier: MIT
/*
 * s_sem.c - semop/semtimedop/semctl scenarios: atomic multi-op calls,
 * IPC_NOWAIT, E2BIG/EFBIG/ERANGE/EINVAL/EFAULT, GETVAL..GETZCNT with
 * blocked children, sem_otime, SEM_UNDO at exit and at SIGKILL (clamped,
 * cleared by SETVAL, not inherited), and waiters woken by operations,
 * removal (EIDRM) and signals (EINTR).
 *
 * Blocked children are detected by polling (GETNCNT, or the child's state
 * in /proc), never by sleeping a fixed time; only outcomes are printed.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "trace.h"

struct cnt { int s, num, cmd, want; };

static bool cnt_is(void *arg)
{
	struct cnt *c = arg;

	return X_semctl(c->s, c->num, c->cmd) == c->want;
}

/* Wait until GETNCNT/GETZCNT of semaphore num is want, then print it. */
static void wait_cnt(int s, int num, int cmd, int want)
{
	struct cnt c = { s, num, cmd, want };

	tr_poll(cnt_is, &c);
	RL(tr_fmt("semctl(%s, %d, %s)", tr_id(K_SEM, s), num,
		  cmd == GETNCNT ? "GETNCNT" : "GETZCNT"),
	   X_semctl(s, num, cmd));
}

static bool val_is(void *arg)
{
	struct cnt *c = arg;

	return X_semctl(c->s, c->num, GETVAL) == c->want;
}

/* Wait until semaphore num has value want, then print it. */
static void wait_val(int s, int num, int want)
{
	struct cnt c = { s, num, GETVAL, want };

	tr_poll(val_is, &c);
	semval(s, num);
}

static void counts(int s, int n)
{
	for (int i = 0; i < n; i++) {
		RL(tr_fmt("semctl(%s, %d, GETNCNT)", tr_id(K_SEM, s), i),
		   X_semctl(s, i, GETNCNT));
		RL(tr_fmt("semctl(%s, %d, GETZCNT)", tr_id(K_SEM, s), i),
		   X_semctl(s, i, GETZCNT));
	}
}

static int setval(int s, int num, int v)
{
	return RL(tr_fmt("semctl(%s, %d, SETVAL, %d)", tr_id(K_SEM, s), num, v),
		  X_semctl(s, num, SETVAL, v));
}

static int getpid_of(int s, int num)
{
	return R_(K_PID, tr_fmt("semctl(%s, %d, GETPID)", tr_id(K_SEM, s), num),
		  X_semctl(s, num, GETPID));
}

static void on_signal(int sig)
{
	(void)sig;
}

/* All or nothing: a call that cannot complete changes nothing. */
SCENARIO(sem_atomic, 0)
{
	static const unsigned short v[3] = { 1, 0, 0 };
	int s = obj_get_sz(K_SEM, KEY1, 3, IPC_CREAT | 0600);

	semsetall(s, 3, v);
	semops(s, "0:-1:n 1:-1:n");
	semgetall(s, 3);
	semops(s, "2:+4 0:-1 1:-1:n");
	semgetall(s, 3);
	semops(s, "0:-1 1:+1");
	semgetall(s, 3);
	semops(s, "0:+1 1:-1 2:+5");
	semgetall(s, 3);
	semops(s, "2:-1 0:-2:n");
	semgetall(s, 3);
	semops(s, "2:-5 2:0:n");
	semgetall(s, 3);
	semops(s, "2:+5 0:-1 2:0:n");
	semgetall(s, 3);
	semops_t(s, "1:-1", 20);
	semgetall(s, 3);
	getpid_of(s, 0);
	getpid_of(s, 1);
	getpid_of(s, 2);
}

/* Several operations on one semaphore apply in order. */
SCENARIO(sem_same_sem, 0)
{
	int s = obj_get(K_SEM, KEY1, IPC_CREAT | 0600);

	semops(s, "0:+2 0:-1 0:-1");
	semval(s, 0);
	semops(s, "0:-1:n 0:+1");
	semops(s, "0:+1 0:-1:n");
	semval(s, 0);
	semops(s, "0:+3 0:0:n");
	semval(s, 0);
	semops(s, "0:+3 0:-3 0:0");
	semval(s, 0);
	semops(s, "0:+1 0:+1 0:+1 0:-2");
	semval(s, 0);
}

/* IPC_NOWAIT: EAGAIN and nothing changed. */
SCENARIO(sem_nowait, 0)
{
	int s = obj_get_sz(K_SEM, KEY1, 2, IPC_CREAT | 0600);

	semops(s, "0:-1:n");
	setval(s, 0, 2);
	semops(s, "0:0:n");
	semops(s, "0:-3:n");
	semops(s, "0:-2:n");
	semops(s, "0:0:n");
	semops(s, "1:0:n");
	semops(s, "1:-1:nu");
	semgetall(s, 2);
	st_sem(s);
}

static char *many_ops(int n, const char *op)
{
	size_t len = (size_t)n * (strlen(op) + 1) + 1;
	char *b = malloc(len);

	b[0] = '\0';
	for (int i = 0; i < n; i++) {
		strcat(b, op);
		strcat(b, " ");
	}
	return b;
}

/* E2BIG, EFBIG, EINVAL, EFAULT and their order (do_semtimedop). */
SCENARIO(sem_op_errors, 0)
{
	int s = obj_get_sz(K_SEM, KEY1, 2, IPC_CREAT | 0600);
	struct sembuf op = { 0, 1, 0 };
	struct timespec bad = { 0, 1000000000 }, neg = { -1, 0 };
	char *ops500 = many_ops(500, "0:0"), *ops501 = many_ops(501, "0:0");
	char *big501 = many_ops(501, "5:1");

	semops(s, ops500);
	semops(s, ops501);
	semops(s, big501);
	semops(s, "2:1");
	semops(s, "0:1 2:1");
	semops(s, "65535:1");
	semgetall(s, 2);
	R(X_semop(s, &op, 0));
	R(X_semop(s, NULL, 1));
	R(X_semop(s, NULL, 0));
	R(X_semop(s, (void *)-1, 1));
	R(X_semctl(s, 0, IPC_STAT, (void *)-1));
	R(X_semctl(s, 0, GETALL, (void *)-1));
	R(X_semop(-1, &op, 1));
	R(X_semop(-1, &op, 0));
	R(X_semop(-1, &op, 501));
	R(X_semop(s + 32768, &op, 1));
	R(X_semtimedop(s, &op, 1, &bad));
	R(X_semtimedop(s, &op, 1, &neg));
	R(X_semtimedop(-1, &op, 1, &bad));
	R(X_semtimedop(s, &op, 501, &bad));
	semops_t(s, "0:0", -2);
	semgetall(s, 2);
	free(ops500);
	free(ops501);
	free(big501);
}

/* ERANGE past SEMVMX, in semop and in SETVAL/SETALL. */
SCENARIO(sem_erange, 0)
{
	static const unsigned short hi[2] = { 32767, 40000 };
	static const unsigned short ok[2] = { 32767, 0 };
	int s = obj_get_sz(K_SEM, KEY1, 2, IPC_CREAT | 0600);

	setval(s, 0, 32767);
	semops(s, "0:+1");
	semops(s, "0:-1 0:+2");
	semops(s, "1:+32767");
	semops(s, "1:+32767 1:+1");
	semops(s, "1:-32767 1:+32767 1:+32767");
	semgetall(s, 2);
	setval(s, 0, 32768);
	setval(s, 0, -1);
	setval(s, 0, 65536);
	semsetall(s, 2, hi);
	semgetall(s, 2);
	semsetall(s, 2, ok);
	semgetall(s, 2);
	setval(s, 0, 0);
	semops(s, "0:+32767 0:-32768:n");
	semops(s, "0:-32768:n");
	semgetall(s, 2);
}

/* semctl value commands and semnum checks. */
SCENARIO(sem_ctl_values, 0)
{
	static const unsigned short v[3] = { 1, 2, 3 };
	int s = obj_get_sz(K_SEM, KEY1, 3, IPC_CREAT | 0600);
	pid_t c;

	semgetall(s, 3);
	getpid_of(s, 0);
	setval(s, 1, 5);
	semval(s, 1);
	getpid_of(s, 1);
	getpid_of(s, 0);
	counts(s, 1);
	semsetall(s, 3, v);
	semgetall(s, 3);
	getpid_of(s, 2);
	semops(s, "2:-1");
	getpid_of(s, 2);
	CHILD(c) {
		semops(s, "0:+1");
		semops(s, "1:0:n");
	}
	tr_wait(c);
	getpid_of(s, 0);
	getpid_of(s, 1);
	getpid_of(s, 2);
	semgetall(s, 3);
	tr("semnum out of range:");
	semval(s, 3);
	semval(s, -1);
	setval(s, 3, 1);
	getpid_of(s, 3);
	RL("semctl(s, 3, GETNCNT)", X_semctl(s, 3, GETNCNT));
	RL("semctl(s, -1, GETZCNT)", X_semctl(s, -1, GETZCNT));
	RL("semctl(s, 99, GETALL)", X_semctl(s, 99, GETALL, (unsigned short[3]){ 0 }));
	RL("semctl(-1, 0, GETVAL)", X_semctl(-1, 0, GETVAL));
}

/* sem_otime stays 0 until the first successful semop. */
SCENARIO(sem_otime, 0)
{
	static const unsigned short v[2] = { 1, 1 };
	int s = obj_get_sz(K_SEM, KEY1, 2, IPC_CREAT | 0600);

	st_sem(s);
	setval(s, 0, 3);
	st_sem(s);
	semsetall(s, 2, v);
	obj_set(K_SEM, s, -2, -2, 0640);
	semops(s, "0:-5:n");
	semops(s, "0:0:n");
	st_sem(s);
	semops(s, "0:-1");
	st_sem(s);
}

/* GETNCNT and GETZCNT count the blocked processes, per semaphore. */
SCENARIO(sem_ncnt_zcnt, 0)
{
	static const unsigned short v[2] = { 0, 1 };
	int s = obj_get_sz(K_SEM, KEY1, 2, IPC_CREAT | 0600);
	pid_t c1, c2, c3;

	semsetall(s, 2, v);
	counts(s, 2);
	CHILD(c1) semops(s, "0:-1");
	wait_cnt(s, 0, GETNCNT, 1);
	CHILD(c2) semops(s, "1:0");
	wait_cnt(s, 1, GETZCNT, 1);
	CHILD(c3) semops(s, "0:-2");
	wait_cnt(s, 0, GETNCNT, 2);
	counts(s, 2);
	semops(s, "1:-1");
	tr_wait(c2);
	counts(s, 2);
	semops(s, "0:+1");
	tr_wait(c1);
	counts(s, 2);
	semops(s, "0:+2");
	tr_wait(c3);
	counts(s, 2);
	semgetall(s, 2);
	getpid_of(s, 0);
	getpid_of(s, 1);
}

/* A blocked semop completes when another process makes it possible. */
SCENARIO(sem_wake, 0)
{
	int s = obj_get_sz(K_SEM, KEY1, 2, IPC_CREAT | 0600);
	pid_t c;

	CHILD(c) {
		semops(s, "0:-1 1:-1");
		semgetall(s, 2);
	}
	wait_cnt(s, 0, GETNCNT, 1);
	semops(s, "0:+1");
	tr_block_report(c);
	counts(s, 2);
	semops(s, "1:+1");
	tr_wait(c);
	semgetall(s, 2);
	getpid_of(s, 0);
	getpid_of(s, 1);
	st_sem(s);
}

/* Wait-for-zero blocks until the value reaches 0. */
SCENARIO(sem_wait_zero, 0)
{
	int s = obj_get(K_SEM, KEY1, IPC_CREAT | 0600);
	pid_t c;

	setval(s, 0, 2);
	CHILD(c) {
		semops(s, "0:0");
		semval(s, 0);
	}
	wait_cnt(s, 0, GETZCNT, 1);
	semops(s, "0:-1");
	tr_block_report(c);
	wait_cnt(s, 0, GETZCNT, 1);
	semops(s, "0:-1");
	tr_wait(c);
	counts(s, 1);
}

static bool any_exited(void *arg)
{
	pid_t *p = arg;
	siginfo_t si;

	for (int i = 0; i < 2; i++) {
		memset(&si, 0, sizeof(si));
		if (!waitid(P_PID, p[i], &si, WEXITED | WNOHANG | WNOWAIT) &&
		    si.si_pid)
			return true;
	}
	return false;
}

static bool exited(pid_t p)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	return !waitid(P_PID, p, &si, WEXITED | WNOHANG | WNOWAIT) && si.si_pid;
}

/* Two waiters for the same decrement are served in arrival order. */
SCENARIO(sem_fifo, 0)
{
	int s = obj_get(K_SEM, KEY1, IPC_CREAT | 0600);
	pid_t c[2];

	CHILD(c[0]) semops(s, "0:-1");
	wait_cnt(s, 0, GETNCNT, 1);
	CHILD(c[1]) semops(s, "0:-1");
	wait_cnt(s, 0, GETNCNT, 2);
	semops(s, "0:+1");
	tr_poll(any_exited, c);
	tr("first waiter done: %s, second waiter done: %s",
	   exited(c[0]) ? "yes" : "no", exited(c[1]) ? "yes" : "no");
	wait_cnt(s, 0, GETNCNT, 1);
	semops(s, "0:+1");
	tr_wait(c[0]);
	tr_wait(c[1]);
	counts(s, 1);
}

/* IPC_RMID wakes every waiter with EIDRM. */
SCENARIO(sem_eidrm, 0)
{
	int s = obj_get_sz(K_SEM, KEY1, 2, IPC_CREAT | 0600);
	pid_t c1, c2;

	setval(s, 1, 1);
	CHILD(c1) semops(s, "0:-1");
	wait_cnt(s, 0, GETNCNT, 1);
	CHILD(c2) semops_t(s, "1:0", 60000);
	wait_cnt(s, 1, GETZCNT, 1);
	obj_rmid(K_SEM, s);
	tr_wait(c1);
	tr_wait(c2);
	semval(s, 0);
}

/* A signal interrupts a blocked semop with EINTR, even with SA_RESTART. */
SCENARIO(sem_eintr, 0)
{
	int s = obj_get(K_SEM, KEY1, IPC_CREAT | 0600);
	pid_t c1, c2;

	CHILD(c1) {
		signal(SIGUSR1, on_signal);	/* glibc: SA_RESTART */
		semops(s, "0:-1");
		semval(s, 0);
	}
	wait_cnt(s, 0, GETNCNT, 1);
	tr_kill(c1, SIGUSR1);
	tr_wait(c1);
	counts(s, 1);
	CHILD(c2) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigaction(SIGUSR1, &sa, NULL);
		semops_t(s, "0:-1", 60000);
	}
	wait_cnt(s, 0, GETNCNT, 1);
	tr_kill(c2, SIGUSR1);
	tr_wait(c2);
	counts(s, 1);
	semval(s, 0);
}

/* semtimedop gives up with EAGAIN; a blocked process killed is not counted. */
SCENARIO(sem_timeout_kill, 0)
{
	int s = obj_get(K_SEM, KEY1, IPC_CREAT | 0600);
	pid_t c;

	semops_t(s, "0:-1", 30);
	semops_t(s, "0:0", 30);
	semops_t(s, "0:+1 0:-2", 10);
	semval(s, 0);
	CHILD(c) semops(s, "0:-1");
	wait_cnt(s, 0, GETNCNT, 1);
	tr_kill(c, SIGKILL);
	tr_wait(c);
	counts(s, 1);
	semops(s, "0:+1");
	semval(s, 0);
	counts(s, 1);
}

/* SEM_UNDO adjustments are applied when the process exits. */
SCENARIO(sem_undo_exit, 0)
{
	int s = obj_get_sz(K_SEM, KEY1, 2, IPC_CREAT | 0600);
	pid_t c;

	setval(s, 1, 2);
	CHILD(c) {
		semops(s, "0:+1:u");
		semops(s, "0:+2:u 1:-1:u");
		semops(s, "0:-1:u");
		semops(s, "0:+1");
		semgetall(s, 2);
	}
	tr_wait(c);
	semgetall(s, 2);
	getpid_of(s, 0);
	counts(s, 2);
	CHILD(c) {
		semops(s, "1:-1:u");
		exit(7);
	}
	tr_wait(c);
	semgetall(s, 2);
}

/* ... and when it is killed with SIGKILL. */
SCENARIO(sem_undo_kill, 0)
{
	int s = obj_get_sz(K_SEM, KEY1, 2, IPC_CREAT | 0600);
	pid_t c;

	setval(s, 1, 5);
	CHILD(c) {
		semops(s, "0:+3:u 1:-1:u");
		semops(s, "1:-2:u");
		tr_ready();
		pause();
	}
	tr_await(c);
	semgetall(s, 2);
	tr_kill(c, SIGKILL);
	tr_wait(c);
	semgetall(s, 2);
	st_sem(s);
}

/* The undo is clamped to 0..SEMVMX. */
SCENARIO(sem_undo_clamp, 0)
{
	int s = obj_get_sz(K_SEM, KEY1, 2, IPC_CREAT | 0600);
	pid_t c;

	setval(s, 1, 1);
	CHILD(c) {
		semops(s, "0:+3:u 1:-1:u");
		tr_ready();
		tr_wait_go();
	}
	tr_await(c);
	semops(s, "0:-2 1:+32767");
	semgetall(s, 2);
	tr_go(c);
	tr_wait(c);
	semgetall(s, 2);
}

/* SETVAL and SETALL clear the adjustments of every process. */
SCENARIO(sem_undo_setval, 0)
{
	static const unsigned short v[2] = { 7, 7 };
	int s = obj_get_sz(K_SEM, KEY1, 2, IPC_CREAT | 0600);
	pid_t c;

	CHILD(c) {
		semops(s, "0:+2:u 1:+2:u");
		tr_ready();
		tr_wait_go();
		semops(s, "1:+1:u");
		tr_ready();
		tr_wait_go();
	}
	tr_await(c);
	setval(s, 0, 5);
	tr_go(c);
	tr_await(c);
	semgetall(s, 2);
	semsetall(s, 2, v);
	tr_go(c);
	tr_wait(c);
	semgetall(s, 2);
}

/* A fork child does not inherit its parent's adjustments. */
SCENARIO(sem_undo_fork, 0)
{
	int s = obj_get(K_SEM, KEY1, IPC_CREAT | 0600);
	pid_t c, g;

	CHILD(c) {
		semops(s, "0:+2:u");
		CHILD(g) semops(s, "0:+1");
		tr_wait(g);
		semval(s, 0);
	}
	tr_wait(c);
	semval(s, 0);
}

/* An adjustment beyond SEMAEM is ERANGE. */
SCENARIO(sem_undo_range, 0)
{
	int s = obj_get(K_SEM, KEY1, IPC_CREAT | 0600);
	pid_t c;

	setval(s, 0, 30000);
	CHILD(c) {
		semops(s, "0:-30000:u");
		semops(s, "0:+30000");
		semops(s, "0:-2768:u");
		semops(s, "0:-2767:u");
		semops(s, "0:-1:u");
		semval(s, 0);
	}
	tr_wait(c);
	semval(s, 0);
}

/* semctl needs read for GETVAL..GETZCNT, GETALL, write for SETVAL/SETALL. */
SCENARIO(sem_ctl_perm, SC_ROOT)
{
	static const unsigned short v[2] = { 1, 1 };
	int s = obj_get_sz(K_SEM, KEY1, 2, IPC_CREAT | 0600);
	static const int modes[] = { 0604, 0602, 0600 };

	for (int i = 0; i < 3; i++) {
		pid_t c;

		obj_set(K_SEM, s, -2, -2, modes[i]);
		CHILD(c) {
			if (tr_become(NOBODY, NOBODY, 0, NULL))
				continue;
			semval(s, 0);
			getpid_of(s, 0);
			counts(s, 1);
			semgetall(s, 2);
			setval(s, 0, 2);
			semsetall(s, 2, v);
			semops(s, "0:0:n");
			semops(s, "0:+1");
			semops(s, "5:+1");
			semops(s, "0:+1 5:+1");
		}
		tr_wait(c);
	}
	semgetall(s, 2);
}

/* The adjustments survive exec and are applied when the new program ends. */
SCENARIO(sem_undo_exec, 0)
{
	int s = obj_get(K_SEM, KEY1, IPC_CREAT | 0600);
	pid_t c;

	CHILD(c) {
		semops(s, "0:+2:u");
		tr_wait_go();
		execl("/bin/sleep", "sleep", "60", (char *)NULL);
		tr("exec failed");
	}
	wait_val(s, 0, 2);
	tr_go(c);
	tr("child exec'd: %s", tr_await(c) == 0 ? "yes" : "no");
	semval(s, 0);
	tr_kill(c, SIGTERM);
	tr_wait(c);
	semval(s, 0);
}
