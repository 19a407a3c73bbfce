// SPDX-License-Identifier: MIT
/*
 * counter - N processes each add 1 to a counter in shared memory M times,
 * every increment under a binary semaphore taken with SEM_UNDO.  The last
 * process standing prints the total (N*M when the semaphore works), the
 * semaphore's final value (1: every lock was released) and removes both.
 *
 *   counter KEY N M
 */
#include <sched.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static void step(int semid, int op)
{
	struct sembuf sb = { 0, (short)op, SEM_UNDO };

	while (semop(semid, &sb, 1) < 0)
		if (errno != EINTR)
			die("semop");
}

int main(int argc, char **argv)
{
	union semun arg = { .val = 1 };
	volatile long *count;
	int semid, shmid, n, m, i, bad = 0;

	prog = "counter";
	if (argc != 4)
		return 2;
	n = atoi(argv[2]);
	m = atoi(argv[3]);
	semid = semget(parse_key(argv[1]), 1, IPC_CREAT | IPC_EXCL | 0600);
	if (semid < 0)
		die("semget");
	if (semctl(semid, 0, SETVAL, arg) < 0)
		die("semctl SETVAL");
	shmid = shmget(parse_key(argv[1]), sizeof(long), IPC_CREAT | IPC_EXCL | 0600);
	if (shmid < 0)
		die("shmget");
	count = shmat(shmid, NULL, 0);
	if (count == (void *)-1)
		die("shmat");
	*count = 0;
	fflush(NULL);
	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			int k;

			for (k = 0; k < m; k++) {
				long v;

				step(semid, -1);
				v = *count;
				if (k % 7 == 0)
					sched_yield();	/* invite a race */
				*count = v + 1;
				step(semid, 1);
			}
			_exit(0);
		}
	}
	for (i = 0; i < n; i++) {
		int st;

		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			bad++;
	}
	printf("count = %ld\n", *count);
	printf("semval = %d\n", semctl(semid, 0, GETVAL));
	printf("failed children = %d\n", bad);
	if (shmdt((const void *)count) < 0)
		die("shmdt");
	if (shmctl(shmid, IPC_RMID, NULL) < 0 || semctl(semid, 0, IPC_RMID) < 0)
		die("IPC_RMID");
	return 0;
}
