// SPDX-License-Identifier: MIT
/*
 * rawcalls - System V IPC through syscall(2) only, never libc's wrappers,
 * for preload/test-syscalls.sh: what a program sees when its raw calls
 * are answered by the shim's trap (uipc-run --syscalls) rather than the
 * kernel.  Prints nothing that depends on ids, pids or times.
 *
 *   rawcalls KEY calls      every type, a blocked semop woken by a child
 *   rawcalls KEY signals    the program's own SIGSYS handler and masks;
 *                           a raw call from a handler that interrupts a
 *                           blocked raw semop
 *   rawcalls KEY threads    raw calls from several threads at once
 *   rawcalls KEY keep       make one object of each type and leave them
 *   rawcalls KEY i386       msgget through the i386 entry (int 0x80): the
 *                           ipc() multiplexer and the direct call
 *   rawcalls KEY child      (exec'd by "calls") send "exec'd" to KEY's queue
 */
#include <pthread.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static long r_msgget(key_t k, int f) { return syscall(SYS_msgget, k, f); }
static long r_semget(key_t k, int n, int f) { return syscall(SYS_semget, k, n, f); }
static long r_shmget(key_t k, size_t n, int f) { return syscall(SYS_shmget, k, n, f); }

static long r_semop1(long s, int num, int op, int flg)
{
	struct sembuf b = { (unsigned short)num, (short)op, (short)flg };

	return syscall(SYS_semop, s, &b, 1);
}

struct text {
	long type;
	char s[64];
};

static long r_send(long q, long type, const char *s)
{
	struct text m = { .type = type };

	snprintf(m.s, sizeof(m.s), "%s", s);
	return syscall(SYS_msgsnd, q, &m, strlen(m.s) + 1, 0);
}

/* Receive and print one message (or the error). */
static void r_recv(long q, long type, int flg)
{
	struct text m = { 0 };
	long r = syscall(SYS_msgrcv, q, &m, sizeof(m.s), type, flg);

	if (r < 0)
		printf("msgrcv: -1 %s\n", strerror(errno));
	else
		printf("msgrcv: %ld type %ld '%s'\n", r, m.type, m.s);
}

static void show(const char *what, long r)
{
	if (r < 0)
		printf("%s: -1 %s\n", what, strerror(errno));
	else
		printf("%s: ok\n", what);
}

static void calls(key_t key, const char *self)
{
	long q = r_msgget(key, IPC_CREAT | IPC_EXCL | 0600);
	long s = r_semget(key, 2, IPC_CREAT | IPC_EXCL | 0600);
	long m = r_shmget(key, 8192, IPC_CREAT | IPC_EXCL | 0600);
	struct msqid_ds qd;
	struct shmid_ds md;
	unsigned short v[2];
	char *p;
	pid_t pid;
	int st;

	show("msgget", q);
	show("semget", s);
	show("shmget", m);
	show("msgget again, IPC_EXCL", r_msgget(key, IPC_CREAT | IPC_EXCL));
	r_send(q, 2, "two");
	r_send(q, 1, "one");
	r_recv(q, 1, 0);
	r_recv(q, -5, 0);
	r_recv(q, 0, IPC_NOWAIT);
	show("msgctl IPC_STAT", syscall(SYS_msgctl, q, IPC_STAT, &qd));
	printf("  qnum %lu qbytes>0 %d\n", (unsigned long)qd.msg_qnum,
	       qd.msg_qbytes > 0);

	/* a raw semop blocks, a child's raw semop wakes it */
	show("semctl SETVAL 3", syscall(SYS_semctl, s, 1, SETVAL, 3));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		while (syscall(SYS_semctl, s, 0, GETNCNT, 0) != 1)
			sleep_ms(2);
		r_semop1(s, 0, 2, 0);
		_exit(0);
	}
	show("semop -1 (blocks until the child adds 2)", r_semop1(s, 0, -1, 0));
	waitpid(pid, &st, 0);
	show("semctl GETALL", syscall(SYS_semctl, s, 0, GETALL, v));
	printf("  values %u %u\n", v[0], v[1]);
	printf("semctl GETVAL 1: %ld\n", syscall(SYS_semctl, s, 1, GETVAL, 0));

	p = (char *)syscall(SYS_shmat, m, NULL, 0);
	show("shmat", p == (char *)-1 ? -1 : 0);
	if (p != (char *)-1) {
		strcpy(p, "in the segment");
		pid = fork();
		if (pid == 0) {
			/* the child inherits the attachment */
			printf("child reads: %s\n", p);
			_exit(0);
		}
		waitpid(pid, &st, 0);
		show("shmctl IPC_STAT", syscall(SYS_shmctl, m, IPC_STAT, &md));
		printf("  nattch %lu size %zu\n", (unsigned long)md.shm_nattch,
		       md.shm_segsz);
		show("shmdt", syscall(SYS_shmdt, p));
		show("shmdt again", syscall(SYS_shmdt, p));
	}

	/* a program exec'd by this one, with the same environment */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char kb[16];

		snprintf(kb, sizeof(kb), "%x", (unsigned)key);
		execl(self, self, kb, "child", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	printf("exec'd child: exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	r_recv(q, 0, IPC_NOWAIT);

	show("msgctl IPC_RMID", syscall(SYS_msgctl, q, IPC_RMID, NULL));
	show("semctl IPC_RMID", syscall(SYS_semctl, s, 0, IPC_RMID, 0));
	show("shmctl IPC_RMID", syscall(SYS_shmctl, m, IPC_RMID, NULL));
	r_recv(q, 0, IPC_NOWAIT);
}

static volatile sig_atomic_t own_sigsys, handler_sent;
static long handler_q;

static void on_own_sigsys(int sig, siginfo_t *si, void *ctx)
{
	own_sigsys = si->si_code == SI_TKILL ? 1 : 2;
}

static void on_alarm(int sig)
{
	/* a raw call made while a raw semop is blocked */
	handler_sent = r_send(handler_q, 7, "from the handler") == 0 ? 1 : 2;
}

static void signals(key_t key)
{
	struct sigaction sa = { .sa_sigaction = on_own_sigsys,
				.sa_flags = SA_SIGINFO }, old;
	sigset_t all, cur;
	long s, q;

	/* the program's own SIGSYS handler gets the SIGSYS it is sent */
	sigaction(SIGSYS, &sa, NULL);
	sigaction(SIGSYS, NULL, &old);
	printf("sigaction(SIGSYS) reads back our handler: %d\n",
	       old.sa_sigaction == on_own_sigsys);
	raise(SIGSYS);
	printf("own SIGSYS handler ran: %s\n", own_sigsys == 1 ? "yes" :
	       own_sigsys ? "with the wrong si_code" : "no");

	/* raw calls with every signal blocked, and a handler's full mask */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &cur);
	q = r_msgget(key, IPC_CREAT | 0600);
	show("msgget with every signal blocked", q);
	sigprocmask(SIG_SETMASK, &cur, NULL);
	s = r_semget(key, 1, IPC_CREAT | 0600);
	show("semget", s);

	/* a blocked raw semop interrupted by a handler that makes a raw
	 * call itself: EINTR, and the handler's call worked */
	handler_q = q;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigfillset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm(1);
	show("semop -1 interrupted by SIGALRM", r_semop1(s, 0, -1, 0));
	printf("handler's msgsnd: %s\n", handler_sent == 1 ? "ok" : "failed");
	r_recv(q, 0, IPC_NOWAIT);

	/* SIG_DFL for SIGSYS, then a trapped call still works */
	signal(SIGSYS, SIG_DFL);
	show("semctl IPC_RMID after signal(SIGSYS, SIG_DFL)",
	     syscall(SYS_semctl, s, 0, IPC_RMID, 0));
	show("msgctl IPC_RMID", syscall(SYS_msgctl, q, IPC_RMID, NULL));
}

static long thread_q;

static void *worker(void *arg)
{
	long type = (long)arg;
	char b[32];

	for (int i = 0; i < 200; i++) {
		snprintf(b, sizeof(b), "%ld:%d", type, i);
		if (r_send(thread_q, type, b))
			return (void *)1;
	}
	return NULL;
}

static void threads(key_t key)
{
	pthread_t t[4];
	long bad = 0;
	struct text m;
	int n = 0;

	thread_q = r_msgget(key, IPC_CREAT | 0600);
	show("msgget", thread_q);
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, worker, (void *)(i + 1));
	for (int i = 0; i < 4; i++) {
		void *r;

		pthread_join(t[i], &r);
		bad += r != NULL;
	}
	while (syscall(SYS_msgrcv, thread_q, &m, sizeof(m.s), 0,
		       IPC_NOWAIT) > 0)
		n++;
	printf("4 threads sent %d messages, %ld failed\n", n, bad);
	show("msgctl IPC_RMID", syscall(SYS_msgctl, thread_q, IPC_RMID, NULL));
}

static void i386_entry(key_t key)
{
#ifdef __x86_64__
	long r;

	/* ipc(MSGGET = 13, key, flags), then msgget (399): i386 numbers */
	__asm__ volatile("int $0x80" : "=a"(r)
			 : "a"(117L), "b"(13L), "c"((long)key),
			   "d"((long)(IPC_CREAT | 0600)) : "memory");
	printf("ipc(MSGGET) through int 0x80: %s\n",
	       r == -ENOSYS ? "ENOSYS" : r < 0 ? "another error" : "an id");
	__asm__ volatile("int $0x80" : "=a"(r)
			 : "a"(399L), "b"((long)key + 1),
			   "c"((long)(IPC_CREAT | 0600)) : "memory");
	printf("msgget through int 0x80: %s\n",
	       r == -ENOSYS ? "ENOSYS" : r < 0 ? "another error" : "an id");
#endif
}

int main(int argc, char **argv)
{
	key_t key;

	prog = "rawcalls";
	if (argc != 3) {
		fprintf(stderr, "usage: rawcalls KEY calls|signals|threads|keep\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	key = parse_key(argv[1]);
	if (!strcmp(argv[2], "calls")) {
		calls(key, argv[0]);
	} else if (!strcmp(argv[2], "signals")) {
		signals(key);
	} else if (!strcmp(argv[2], "threads")) {
		threads(key);
	} else if (!strcmp(argv[2], "keep")) {
		show("msgget", r_msgget(key, IPC_CREAT | 0600));
		show("semget", r_semget(key, 1, IPC_CREAT | 0600));
		show("shmget", r_shmget(key, 4096, IPC_CREAT | 0600));
	} else if (!strcmp(argv[2], "i386")) {
		i386_entry(key);
	} else if (!strcmp(argv[2], "child")) {
		long q = r_msgget(key, 0);

		return q < 0 || r_send(q, 9, "exec'd") ? 1 : 0;
	} else {
		return 2;
	}
	return 0;
}
