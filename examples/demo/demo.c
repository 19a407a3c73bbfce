// SPDX-License-Identifier: MIT
/*
 * demo - create, use and remove one object of each System V IPC type, and
 * say what happened at each step.
 *
 *   demo            (make demo runs it first, then the other examples)
 *
 * Uses IPC_PRIVATE keys, so it cannot collide with anything else in the
 * namespace ($UIPC_ROOT, default /dev/shm/uipc; or the kernel's, for the
 * KERNEL=1 build).  Exit 0 if every step did what the kernel's manual
 * pages say it should; otherwise the first surprise is reported.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

static int step_failed;

static void check(int ok, const char *what)
{
	if (!ok) {
		printf("   !! unexpected: %s (errno %s)\n", what, ex_errname(errno));
		step_failed = 1;
	}
}

static int msg_demo(void)
{
	struct { long mtype; char text[32]; } m;
	struct msqid_ds ds;
	ssize_t n;
	int q;

	printf("1. message queue\n");
	q = uipc_msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	check(q >= 0, "msgget");
	if (q < 0)
		return -1;
	printf("   msgget(IPC_PRIVATE)             -> queue id %d\n", q);
	m.mtype = 1;
	strcpy(m.text, "hello");
	check(uipc_msgsnd(q, &m, 6, 0) == 0, "msgsnd type 1");
	m.mtype = 2;
	strcpy(m.text, "world");
	check(uipc_msgsnd(q, &m, 6, 0) == 0, "msgsnd type 2");
	printf("   msgsnd type 1 \"hello\", type 2 \"world\"\n");
	n = uipc_msgrcv(q, &m, sizeof(m.text), 2, 0);
	check(n == 6 && m.mtype == 2 && !strcmp(m.text, "world"), "msgrcv type 2");
	printf("   msgrcv(type 2)                  -> \"%s\": a reader picks by type\n",
	       n == 6 ? m.text : "?");
	check(uipc_msgctl(q, IPC_STAT, &ds) == 0, "msgctl IPC_STAT");
	check(ds.msg_qnum == 1, "one message left");
	printf("   msgctl(IPC_STAT)                -> %lu message(s) waiting, last sender pid %d\n",
	       (unsigned long)ds.msg_qnum, (int)ds.msg_lspid);
	n = uipc_msgrcv(q, &m, sizeof(m.text), 0, IPC_NOWAIT);
	check(n == 6 && m.mtype == 1, "msgrcv type 0");
	n = uipc_msgrcv(q, &m, sizeof(m.text), 0, IPC_NOWAIT);
	check(n < 0 && errno == ENOMSG, "msgrcv on an empty queue with IPC_NOWAIT");
	printf("   msgrcv(0), then again           -> \"hello\", then ENOMSG: empty\n");
	check(uipc_msgctl(q, IPC_RMID, NULL) == 0, "msgctl IPC_RMID");
	check(uipc_msgctl(q, IPC_STAT, &ds) < 0 && errno == EINVAL, "queue gone");
	printf("   msgctl(IPC_RMID)                -> removed\n");
	return 0;
}

static int sem_demo(void)
{
	unsigned short init[2] = { 1, 0 };
	union semun arg = { .array = init };
	struct sembuf hand_over[2] = { { 0, -1, 0 }, { 1, +1, 0 } };
	struct sembuf try_take = { 0, -1, IPC_NOWAIT };
	int64_t end;
	pid_t pid;
	int s, st;

	printf("2. semaphore set\n");
	s = uipc_semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
	check(s >= 0, "semget");
	if (s < 0)
		return -1;
	printf("   semget(IPC_PRIVATE, 2)          -> set id %d\n", s);
	check(uipc_semctl(s, 0, SETALL, arg) == 0, "semctl SETALL");
	printf("   semctl(SETALL {1, 0})\n");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct sembuf take = { 1, -1, 0 };

		_exit(uipc_semop(s, &take, 1) == 0 ? 0 : 1);
	}
	check(pid > 0, "fork");
	end = ex_now_ms() + 10000;
	while (uipc_semctl(s, 1, GETNCNT) != 1 && ex_now_ms() < end)
		ex_sleep_ms(5);
	check(uipc_semctl(s, 1, GETNCNT) == 1, "the child waits on semaphore 1");
	printf("   child: semop({1 -1})            -> blocks (semncnt 1), pid %d\n", (int)pid);
	check(uipc_semop(s, hand_over, 2) == 0, "semop {0 -1, 1 +1}");
	printf("   semop({0 -1}, {1 +1})           -> atomically: takes 0, posts 1\n");
	check(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "the child woke up");
	printf("   child                           -> woke up and took it, exited\n");
	check(uipc_semop(s, &try_take, 1) < 0 && errno == EAGAIN, "semop IPC_NOWAIT on 0");
	printf("   semop({0 -1 IPC_NOWAIT})        -> EAGAIN: semaphore 0 is 0\n");
	check(uipc_semctl(s, 0, GETVAL) == 0 && uipc_semctl(s, 1, GETVAL) == 0, "values 0 0");
	check(uipc_semctl(s, 0, IPC_RMID) == 0, "semctl IPC_RMID");
	printf("   semctl(IPC_RMID)                -> removed\n");
	return 0;
}

static int shm_demo(void)
{
	struct shmid_ds ds;
	char *p;
	pid_t pid;
	int m, st;

	printf("3. shared memory\n");
	m = uipc_shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	check(m >= 0, "shmget");
	if (m < 0)
		return -1;
	printf("   shmget(IPC_PRIVATE, 4096)       -> segment id %d\n", m);
	p = uipc_shmat(m, NULL, 0);
	check(p != (void *)-1, "shmat");
	if (p == (void *)-1)
		return -1;
	printf("   shmat                           -> attached at %p\n", (void *)p);
	snprintf(p, 64, "hello from %d", (int)getpid());
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char *q = uipc_shmat(m, NULL, 0);

		if (q == (void *)-1)
			_exit(1);
		printf("   child: shmat                    -> at %p, reads \"%s\"\n",
		       (void *)q, q);
		snprintf(q + 64, 64, "hello back from %d", (int)getpid());
		fflush(stdout);
		_exit(uipc_shmdt(q) == 0 ? 0 : 1);
	}
	check(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	      WEXITSTATUS(st) == 0, "the child attached and wrote");
	check(!strncmp(p + 64, "hello back from ", 16), "the child's answer");
	printf("   parent reads                    -> \"%s\"\n", p + 64);
	check(uipc_shmctl(m, IPC_STAT, &ds) == 0 && ds.shm_nattch == 1 &&
	      ds.shm_segsz == 4096, "shmctl IPC_STAT");
	printf("   shmctl(IPC_STAT)                -> %zu bytes, %lu attached\n",
	       (size_t)ds.shm_segsz, (unsigned long)ds.shm_nattch);
	check(uipc_shmctl(m, IPC_RMID, NULL) == 0, "shmctl IPC_RMID");
	printf("   shmctl(IPC_RMID)                -> key gone, still mapped here: \"%s\"\n", p);
	check(uipc_shmdt(p) == 0, "shmdt");
	check(uipc_shmctl(m, IPC_STAT, &ds) < 0, "segment destroyed at the last detach");
	printf("   shmdt                           -> last attachment gone: destroyed\n");
	return 0;
}

int main(void)
{
	const char *root = getenv("UIPC_ROOT");

#ifdef UIPC_EXAMPLES_KERNEL
	printf("System V IPC demo on %s\n", uipc_version());
	(void)root;
#else
	printf("System V IPC demo on uipc %s, namespace %s\n", uipc_version(),
	       root && *root ? root : "/dev/shm/uipc");
#endif
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (msg_demo() < 0 || sem_demo() < 0 || shm_demo() < 0 || step_failed) {
		printf("demo FAILED: see the !! lines above\n");
		return 1;
	}
	printf("all three objects created, used and removed\n");
	return 0;
}
