// SPDX-License-Identifier: MIT
/*
 * stress.c - several processes with several threads each on one semaphore
 * set, one message queue and one segment, for ThreadSanitizer (make tsan).
 *
 * TSan sees the threads of one process, not an order made through another
 * process: the threads of each process share every object (and the
 * library's per-process state: its object table and mappings, the limits
 * cache), so the races that matter inside a process are in its view; the
 * other processes make the shared words move under it as in real use.
 * The counter the SEM_UNDO mutex guards is a plain one: TSan also checks
 * that semop orders it between threads (acquire on P, release on V).
 *
 * Each thread loops over: a SEM_UNDO mutex around a non-atomic counter in
 * the segment (mutual exclusion is checked), a counting semaphore without
 * SEM_UNDO that makes threads block, a send and a receive of a message of
 * one of several sizes (short ones take the lock-free ring, 1024 bytes and
 * more the unlocked fill and copy-out), each checked byte by byte, and an
 * attach, touch and detach of the segment.
 *
 * Usage: stress [procs [threads [iterations [ops]]]] (ops: 1 semaphores,
 * 2 messages, 4 segments, or their sum; 7 by default).  Exits 0 when
 * every check held and every child exited 0 (one with a TSan report
 * exits 66).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uipc.h>

#define MAXTEXT	6000

struct msgbuf_big {
	long mtype;
	char mtext[MAXTEXT];
};

/* the segment: the counter the SEM_UNDO mutex guards */
struct shared {
	long counter;
	long inside;
};

static int semid, msqid, shmid, iters, ops = 7;	/* 1 sem, 2 msg, 4 shm */
static struct shared *seg;

static const size_t sizes[] = { 1, 16, 100, 500, 1023, 1024, 1500, 4000, MAXTEXT };

#define FAIL(...) do { fprintf(stderr, "stress: " __VA_ARGS__); \
		       fputc('\n', stderr); exit(1); } while (0)

static unsigned char pattern(size_t len, long type, size_t i)
{
	return (unsigned char)(len * 7 + (size_t)type * 13 + i);
}

static void sem(unsigned short num, short op, short flg)
{
	struct sembuf sb = { num, op, flg };

	while (uipc_semop(semid, &sb, 1) < 0)
		if (errno != EINTR)
			FAIL("semop(%u, %d, %#x): %s", num, op, flg, strerror(errno));
}

static void *worker(void *arg)
{
	long id = (long)(intptr_t)arg;
	struct msgbuf_big *m = malloc(sizeof(*m));

	if (!m)
		FAIL("malloc");
	for (int it = 0; it < iters; it++) {
		size_t len = sizes[(size_t)(it + id) % (sizeof(sizes) / sizeof(sizes[0]))];
		ssize_t got;

		/* a mutex with SEM_UNDO around a plain read-modify-write */
		if (!(ops & 1))
			goto msg;
		sem(0, -1, SEM_UNDO);
		if (seg->inside++)
			FAIL("two holders of the SEM_UNDO mutex");
		seg->counter++;
		seg->inside--;
		sem(0, 1, SEM_UNDO);

		/* a counting semaphore without undo: three at a time */
		sem(1, -1, 0);
		sem(1, 1, 0);

		/* one message out, one (anybody's) back */
msg:
		if (!(ops & 2))
			goto shm;
		m->mtype = id % 7 + 1;
		for (size_t i = 0; i < len; i++)
			m->mtext[i] = (char)pattern(len, m->mtype, i);
		while (uipc_msgsnd(msqid, m, len, 0) < 0)
			if (errno != EINTR)
				FAIL("msgsnd(%zu): %s", len, strerror(errno));
		while ((got = uipc_msgrcv(msqid, m, MAXTEXT, 0, 0)) < 0)
			if (errno != EINTR)
				FAIL("msgrcv: %s", strerror(errno));
		for (ssize_t i = 0; i < got; i++)
			if ((unsigned char)m->mtext[i] != pattern((size_t)got, m->mtype, (size_t)i))
				FAIL("message of %zd bytes type %ld: byte %zd wrong",
				     got, m->mtype, i);

		/* attach, touch, detach */
shm:
		if (!(ops & 4))
			continue;
		struct shared *p = uipc_shmat(shmid, NULL, 0);

		if (p == (void *)-1)
			FAIL("shmat: %s", strerror(errno));
		__atomic_fetch_add(&p->inside, 0, __ATOMIC_RELAXED);
		if (uipc_shmdt(p) < 0)
			FAIL("shmdt: %s", strerror(errno));
	}
	free(m);
	return NULL;
}

static void child(int nthreads)
{
	pthread_t *t = calloc((size_t)nthreads, sizeof(*t));

	seg = uipc_shmat(shmid, NULL, 0);
	if (!t || seg == (void *)-1)
		FAIL("child setup: %s", strerror(errno));
	for (long i = 0; i < nthreads; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)(getpid() * 16 + i)))
			FAIL("pthread_create");
	for (int i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	uipc_shmdt(seg);
	free(t);
	exit(0);	/* not _exit: the library's exit hook gives back undo */
}

int main(int argc, char **argv)
{
	int nprocs = argc > 1 ? atoi(argv[1]) : 3;
	int nthreads = argc > 2 ? atoi(argv[2]) : 4;
	unsigned short vals[2] = { 1, 3 };
	struct msqid_ds mds;
	int bad = 0;

	iters = argc > 3 ? atoi(argv[3]) : 300;
	ops = argc > 4 ? atoi(argv[4]) : 7;
	semid = uipc_semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
	msqid = uipc_msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	shmid = uipc_shmget(IPC_PRIVATE, sizeof(struct shared), IPC_CREAT | 0600);
	if (semid < 0 || msqid < 0 || shmid < 0)
		FAIL("create: %s", strerror(errno));
	if (uipc_semctl(semid, 0, SETALL, vals) < 0)
		FAIL("SETALL: %s", strerror(errno));

	for (int i = 0; i < nprocs; i++) {
		pid_t pid = fork();

		if (pid < 0)
			FAIL("fork: %s", strerror(errno));
		if (pid == 0)
			child(nthreads);
	}
	for (int i = 0; i < nprocs; i++) {
		int st;

		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "stress: a child failed (status %#x)\n", st);
			bad = 1;
		}
	}

	seg = uipc_shmat(shmid, NULL, SHM_RDONLY);
	if (seg == (void *)-1)
		FAIL("shmat: %s", strerror(errno));
	if (!bad && (ops & 1) && seg->counter != (long)nprocs * nthreads * iters) {
		fprintf(stderr, "stress: counter %ld, want %ld\n", seg->counter,
			(long)nprocs * nthreads * iters);
		bad = 1;
	}
	uipc_shmdt(seg);
	if (uipc_semctl(semid, 0, GETVAL) != 1 || uipc_semctl(semid, 1, GETVAL) != 3) {
		fprintf(stderr, "stress: semaphores %d %d, want 1 3\n",
			uipc_semctl(semid, 0, GETVAL), uipc_semctl(semid, 1, GETVAL));
		bad = 1;
	}
	if (uipc_msgctl(msqid, IPC_STAT, &mds) < 0 || (!bad && mds.msg_qnum != 0)) {
		fprintf(stderr, "stress: %lu messages left\n", (unsigned long)mds.msg_qnum);
		bad = 1;
	}
	uipc_semctl(semid, 0, IPC_RMID);
	uipc_msgctl(msqid, IPC_RMID, NULL);
	uipc_shmctl(shmid, IPC_RMID, NULL);
	printf("%s: %d processes x %d threads x %d iterations\n",
	       bad ? "FAIL" : "ok", nprocs, nthreads, iters);
	return bad;
}
