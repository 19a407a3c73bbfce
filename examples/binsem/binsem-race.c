// SPDX-License-Identifier: MIT
/*
 * binsem-race - many processes race to open, initialise and use one binary
 * semaphore by key, then check that mutual exclusion held.
 *
 *   binsem-race [-m otime|zero|naive] [-p PROCS] [-n ITERS] [-k KEY]
 *
 * PROCS processes are released at the same instant; each opens the
 * semaphore KEY with the chosen method and ITERS times takes it, bumps a
 * shared counter with a deliberately slow read-yield-write, and releases
 * it.  A second counter tracks how many are inside at once.  At the end the
 * counter must be PROCS*ITERS and nobody may have met anybody inside.
 *
 *   otime  binsem_open(): the creator initialises, others wait for sem_otime
 *   zero   binsem0_open(): no initialisation at all, 0 means free
 *   naive  the seeds' helpers (003_): everybody semget(IPC_CREAT)s and then
 *          SETVALs 1 -- a late SETVAL frees a lock somebody holds, so this
 *          mode may report violations (how often depends on timing)
 *
 * The counters live in an IPC_PRIVATE segment that is removed right after
 * the parent attaches it: the children inherit the attachment through
 * fork, and the segment disappears by itself when the last one detaches.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "binsem.h"
#include "util.h"

struct shared {
	volatile long counter;
	volatile long inside;
	volatile long violations;
};

enum method { M_OTIME, M_ZERO, M_NAIVE };

static int open_sem(enum method m, key_t key)
{
	union semun arg = { .val = 1 };
	int id;

	switch (m) {
	case M_OTIME:
		return binsem_open(key, 0600, 10000);
	case M_ZERO:
		return binsem0_open(key, 0600);
	case M_NAIVE:
		id = uipc_semget(key, 1, IPC_CREAT | 0600);
		if (id >= 0 && uipc_semctl(id, 0, SETVAL, arg) < 0)
			return -1;
		return id;
	}
	return -1;
}

static void child(enum method m, key_t key, int iters, struct shared *sh, int go)
{
	char c;
	int id;

	if (read(go, &c, 1) < 0)	/* wait for the start: EOF when released */
		_exit(3);
	id = open_sem(m, key);
	if (id < 0) {
		ex_warn("open semaphore");
		_exit(1);
	}
	for (int i = 0; i < iters; i++) {
		if ((m == M_ZERO ? binsem0_lock(id) : binsem_wait(id)) < 0) {
			ex_warn("lock");
			_exit(1);
		}
		if (__atomic_add_fetch(&sh->inside, 1, __ATOMIC_SEQ_CST) != 1)
			__atomic_add_fetch(&sh->violations, 1, __ATOMIC_SEQ_CST);
		long v = sh->counter;	/* the unprotected read-modify-write */
		sched_yield();
		sh->counter = v + 1;
		__atomic_sub_fetch(&sh->inside, 1, __ATOMIC_SEQ_CST);
		if ((m == M_ZERO ? binsem0_unlock(id) : binsem_post(id)) < 0) {
			ex_warn("unlock");
			_exit(1);
		}
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	enum method m = M_OTIME;
	int procs = 8, iters = 200, c, shmid, go[2], failed = 0, id;
	key_t key = (key_t)(0x42000000 | (getpid() & 0xffffff));
	struct shared *sh;
	long expect;

	while ((c = getopt(argc, argv, "m:p:n:k:")) != -1) {
		switch (c) {
		case 'm':
			if (!strcmp(optarg, "otime"))
				m = M_OTIME;
			else if (!strcmp(optarg, "zero"))
				m = M_ZERO;
			else if (!strcmp(optarg, "naive"))
				m = M_NAIVE;
			else
				ex_diex("bad method '%s' (otime, zero or naive)", optarg);
			break;
		case 'p':
			procs = (int)ex_parse_long(optarg, 1, 1000, "process count");
			break;
		case 'n':
			iters = (int)ex_parse_long(optarg, 1, 10000000, "iterations");
			break;
		case 'k':
			key = ex_parse_key(optarg);
			break;
		default:
			fprintf(stderr, "usage: binsem-race [-m otime|zero|naive] "
				"[-p PROCS] [-n ITERS] [-k KEY]\n");
			return 2;
		}
	}
	if (key == IPC_PRIVATE)
		ex_diex("the racers need a real key, not IPC_PRIVATE");
	if (uipc_semget(key, 0, 0) >= 0)
		ex_diex("a semaphore set with key 0x%x exists already", (unsigned)key);

	shmid = uipc_shmget(IPC_PRIVATE, sizeof(*sh), IPC_CREAT | 0600);
	if (shmid < 0)
		ex_die("shmget");
	sh = uipc_shmat(shmid, NULL, 0);
	if (sh == (void *)-1)
		ex_die("shmat(%d)", shmid);
	/* Gone from the namespace now; alive while someone is attached. */
	if (uipc_shmctl(shmid, IPC_RMID, NULL) < 0)
		ex_die("shmctl(%d, IPC_RMID)", shmid);

	if (pipe(go) < 0)
		ex_die("pipe");
	for (int i = 0; i < procs; i++) {
		pid_t pid = fork();

		if (pid < 0)
			ex_die("fork");
		if (pid == 0) {
			close(go[1]);
			child(m, key, iters, sh, go[0]);
		}
	}
	close(go[0]);
	close(go[1]);		/* release them all at once */
	for (int i = 0; i < procs; i++) {
		int st;

		if (wait(&st) < 0)
			ex_die("wait");
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			failed++;
	}
	id = uipc_semget(key, 0, 0);
	if (id < 0 || binsem_remove(id) < 0)
		ex_warn("remove semaphore set (key 0x%x)", (unsigned)key);

	expect = (long)procs * iters;
	printf("%s: %d processes x %d: counter %ld (expected %ld), "
	       "%ld overlaps inside the lock, %d failed\n",
	       m == M_OTIME ? "otime" : m == M_ZERO ? "zero" : "naive",
	       procs, iters, sh->counter, expect, sh->violations, failed);
	if (sh->counter != expect || sh->violations || failed) {
		printf("mutual exclusion FAILED\n");
		return 1;
	}
	printf("mutual exclusion held\n");
	uipc_shmdt(sh);
	return 0;
}
