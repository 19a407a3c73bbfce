// SPDX-License-Identifier: MIT
/*
 * uhold - test helper for tools/test-users.sh: become a user of objects
 * and stay one until killed.
 *
 *   uhold SEMID SHMID MSQID        ("-" skips one)
 *
 * Takes a SEM_UNDO adjustment (+1 on semaphore 0 of SEMID), attaches
 * SHMID, then blocks in msgrcv on MSQID (or in pause() without one).
 * Exit status 99 if a step failed; it never exits otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uipc.h>

static int arg(const char *s)
{
	return strcmp(s, "-") ? atoi(s) : -1;
}

int main(int argc, char **argv)
{
	struct { long mtype; char mtext[64]; } m;
	int semid, shmid, msqid;

	if (argc != 4) {
		fprintf(stderr, "usage: uhold SEMID|- SHMID|- MSQID|-\n");
		return 2;
	}
	semid = arg(argv[1]);
	shmid = arg(argv[2]);
	msqid = arg(argv[3]);
	if (semid >= 0) {
		struct sembuf op = { .sem_num = 0, .sem_op = 1,
				     .sem_flg = SEM_UNDO };

		if (uipc_semop(semid, &op, 1) < 0) {
			perror("uhold: semop");
			return 99;
		}
	}
	if (shmid >= 0 && uipc_shmat(shmid, NULL, 0) == (void *)-1) {
		perror("uhold: shmat");
		return 99;
	}
	if (msqid >= 0) {
		for (;;)
			if (uipc_msgrcv(msqid, &m, sizeof(m.mtext), 0, 0) < 0) {
				perror("uhold: msgrcv");
				return 99;
			}
	}
	for (;;)
		pause();
}
