// SPDX-License-Identifier: MIT
/*
 * uhold - test helper for tools/test-users.sh and test-readonly.sh:
 * become a user of objects and stay one until killed.
 *
 *   uhold SEMID SHMID MSQID        ("-" skips one)
 *
 * Takes a SEM_UNDO adjustment (+1 on semaphore 0 of SEMID), attaches
 * SHMID, then blocks in msgrcv on MSQID (or in pause() without one).
 * Exit status 99 if a step failed; it never exits otherwise.
 *
 *   uhold lock [-v VAL] FILE...
 *
 * Takes the object lock of each object file (test-only: pokes the lock
 * word directly, as a library call in progress would hold it), prints
 * "locked" and pauses.  With -v, also starts an update it never finishes
 * on each semaphore set: journals semaphore 0's value and writes VAL.
 * Whoever takes the lock over after this process dies must roll it back.
 *
 *   uhold show sem|shm|msg ID
 *
 * Prints what the ordinary (locking, repairing) library calls report:
 * sem: every value (GETVAL), shm: nattch (or "gone"), msg: qnum cbytes.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uipc.h>

#include "../src/layout.h"

/* uhold lock: see above.  Only a test may do this to a namespace. */
static int hold_locks(int argc, char **argv)
{
	long val = -1;
	int i = 0;

	if (argc >= 2 && !strcmp(argv[0], "-v")) {
		val = atol(argv[1]);
		argc -= 2;
		argv += 2;
	}
	for (i = 0; i < argc; i++) {
		int fd = open(argv[i], O_RDWR);
		struct stat st;
		struct uipc_hdr *h;
		uint32_t zero = 0;

		if (fd < 0 || fstat(fd, &st) < 0 ||
		    st.st_size < (off_t)sizeof(*h)) {
			perror(argv[i]);
			return 99;
		}
		h = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, fd, 0);
		/* hold a lease, as the library does, and name it in the word
		 * (the descriptor stays open: the lease lives with it) */
		uint32_t slot = 1000 + (uint32_t)i;
		struct flock fl = {
			.l_type = F_WRLCK, .l_whence = SEEK_SET,
			.l_start = (off_t)(UIPC_LEASE_BASE + slot), .l_len = 1,
		};

		if (h == MAP_FAILED || h->magic != UIPC_MAGIC ||
		    fcntl(fd, F_OFD_SETLK, &fl) < 0 ||
		    !__atomic_compare_exchange_n(&h->lock.word, &zero,
						 UIPC_LOCK_LEASE | slot, 0,
						 __ATOMIC_SEQ_CST,
						 __ATOMIC_SEQ_CST)) {
			fprintf(stderr, "uhold: %s: cannot lock\n", argv[i]);
			return 99;
		}
		if (val >= 0 && h->type == UIPC_T_SEM) {
			char *base = (char *)h;
			struct uipc_semset *s = (void *)(base + h->body_off);
			struct uipc_sem *sem = (void *)(base + s->sems_off);
			struct uipc_journal *j = (void *)(base + h->journal_off);
			struct uipc_jent *e = (void *)(j + 1);

			/* as lock.c's jw32: entry, then count, then word */
			e[0].off = (uint32_t)((char *)&sem[0].val - base);
			e[0].width = 4;
			e[0].old = sem[0].val;
			__atomic_store_n(&j->n, 1, __ATOMIC_SEQ_CST);
			__atomic_store_n(&sem[0].val,
					 (sem[0].val & ~UIPC_SEM_VALMASK) |
					 (uint32_t)val, __ATOMIC_SEQ_CST);
		}
	}
	printf("locked\n");
	fflush(stdout);
	for (;;)
		pause();
}

/* uhold show: what the ordinary library calls say. */
static int show(const char *type, int id)
{
	if (!strcmp(type, "sem")) {
		struct semid_ds ds;

		if (uipc_semctl(id, 0, IPC_STAT, &ds) < 0) {
			perror("uhold: semctl");
			return 99;
		}
		for (unsigned long i = 0; i < ds.sem_nsems; i++)
			printf("%s%d", i ? " " : "",
			       uipc_semctl(id, (int)i, GETVAL));
		printf("\n");
	} else if (!strcmp(type, "shm")) {
		struct shmid_ds ds;

		if (uipc_shmctl(id, IPC_STAT, &ds) < 0)
			printf("gone\n");
		else
			printf("%lu\n", (unsigned long)ds.shm_nattch);
	} else {
		struct msqid_ds ds;

		if (uipc_msgctl(id, IPC_STAT, &ds) < 0) {
			perror("uhold: msgctl");
			return 99;
		}
		printf("%lu %lu\n", (unsigned long)ds.msg_qnum,
		       (unsigned long)ds.__msg_cbytes);
	}
	return 0;
}

static int arg(const char *s)
{
	return strcmp(s, "-") ? atoi(s) : -1;
}

int main(int argc, char **argv)
{
	struct { long mtype; char mtext[64]; } m;
	int semid, shmid, msqid;

	if (argc >= 3 && !strcmp(argv[1], "lock"))
		return hold_locks(argc - 2, argv + 2);
	if (argc == 4 && !strcmp(argv[1], "show"))
		return show(argv[2], atoi(argv[3]));
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
