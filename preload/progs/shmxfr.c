// SPDX-License-Identifier: MIT
/*
 * shmxfr - copy stdin to stdout through a shared memory segment, one
 * block at a time, a writer and a reader taking turns on two semaphores
 * (the classic svshm_xfr pair in one program).
 *
 *   shmxfr KEY < in > out
 *
 * The parent creates and initialises the set and the segment before the
 * reader exists, so the reader never sees them half made; it then execs
 * itself as the reader ("shmxfr -r SEMID SHMID") and acts as the writer.
 * A block of length 0 ends the transfer.  The writer prints a summary on
 * stderr and removes both objects.
 */
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define BLK 4000		/* deliberately not a page */
enum { WRITER, READER };

struct xfr {
	int len;
	char buf[BLK];
};

static void sem_step(int semid, int num, int op)
{
	struct sembuf sb = { (unsigned short)num, (short)op, 0 };

	while (semop(semid, &sb, 1) < 0) {
		if (errno != EINTR)
			die("semop");
	}
}

static int reader(int semid, int shmid)
{
	struct xfr *x = shmat(shmid, NULL, SHM_RDONLY);
	int len;

	if (x == (void *)-1)
		die("shmat");
	do {
		sem_step(semid, READER, -1);
		len = x->len;
		if (len > 0 && fwrite(x->buf, 1, (size_t)len, stdout) != (size_t)len)
			die("fwrite");
		sem_step(semid, WRITER, 1);
	} while (len > 0);
	if (shmdt(x) < 0)
		die("shmdt");
	return fflush(stdout) ? 1 : 0;
}

int main(int argc, char **argv)
{
	unsigned short init[2] = { 1, 0 };	/* writer goes first */
	union semun arg = { .array = init };
	long long total = 0, blocks = 0;
	struct xfr *x;
	int semid, shmid, st;
	char a[16], b[16];
	pid_t pid;

	prog = "shmxfr";
	if (argc == 4 && !strcmp(argv[1], "-r"))
		return reader(atoi(argv[2]), atoi(argv[3]));
	if (argc != 2)
		return 2;
	semid = semget(parse_key(argv[1]), 2, IPC_CREAT | IPC_EXCL | 0600);
	if (semid < 0)
		die("semget");
	if (semctl(semid, 0, SETALL, arg) < 0)
		die("semctl SETALL");
	shmid = shmget(parse_key(argv[1]), sizeof(struct xfr),
		       IPC_CREAT | IPC_EXCL | 0600);
	if (shmid < 0)
		die("shmget");
	x = shmat(shmid, NULL, 0);
	if (x == (void *)-1)
		die("shmat");

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		snprintf(a, sizeof(a), "%d", semid);
		snprintf(b, sizeof(b), "%d", shmid);
		execl("/proc/self/exe", argv[0], "-r", a, b, (char *)NULL);
		die("exec");
	}
	for (;;) {
		ssize_t n;

		sem_step(semid, WRITER, -1);
		n = read(STDIN_FILENO, x->buf, BLK);
		if (n < 0)
			die("read");
		x->len = (int)n;
		sem_step(semid, READER, 1);
		if (n == 0)
			break;
		total += n;
		blocks++;
	}
	sem_step(semid, WRITER, -1);	/* the reader saw the end */
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		fprintf(stderr, "shmxfr: reader failed\n");
	if (shmdt(x) < 0)
		die("shmdt");
	if (shmctl(shmid, IPC_RMID, NULL) < 0)
		die("shmctl");
	if (semctl(semid, 0, IPC_RMID) < 0)
		die("semctl IPC_RMID");
	fprintf(stderr, "shmxfr: %lld bytes in %lld blocks\n", total, blocks);
	return 0;
}
