// SPDX-License-Identifier: MIT
/*
 * binsem.c - binary semaphore helpers; see binsem.h for the two race-free
 * ways to open one.  Rewritten from the helpers of the seed documents
 * (003_, 004_), which separate allocation from initialisation and so let a
 * second process reinitialise a semaphore somebody already holds.
 */
#include <errno.h>

#include "binsem.h"
#include "util.h"

int binsem_open(key_t key, int mode, long timeout_ms)
{
	struct sembuf mark = { 0, +1, 0 };
	union semun arg;
	int id, err;

	for (;;) {
		id = uipc_semget(key, 1, IPC_CREAT | IPC_EXCL | (mode & 0777));
		if (id >= 0) {
			/*
			 * We created it.  SUSv3 leaves the initial value
			 * unspecified, so set 0 explicitly, then make it free
			 * with one semop: that semop also sets sem_otime,
			 * which tells everybody waiting that we are done.
			 */
			arg.val = 0;
			if (uipc_semctl(id, 0, SETVAL, arg) < 0 ||
			    uipc_semop(id, &mark, 1) < 0) {
				err = errno;
				uipc_semctl(id, 0, IPC_RMID);
				errno = err;
				return -1;
			}
			return id;
		}
		if (errno != EEXIST)
			return -1;
		id = uipc_semget(key, 1, mode & 0777);
		if (id < 0) {
			if (errno == ENOENT)
				continue;	/* removed meanwhile: race again */
			return -1;
		}
		if (ex_sem_wait_ready(id, timeout_ms) == 0)
			return id;
		if (errno == EIDRM || errno == EINVAL)
			continue;
		return -1;
	}
}

static int op1(int semid, short op, short flg)
{
	struct sembuf sop = { 0, op, flg };

	return uipc_semop(semid, &sop, 1);
}

int binsem_wait(int semid)
{
	return op1(semid, -1, SEM_UNDO);
}

int binsem_post(int semid)
{
	return op1(semid, +1, SEM_UNDO);
}

int binsem0_open(key_t key, int mode)
{
	return uipc_semget(key, 1, IPC_CREAT | (mode & 0777));
}

int binsem0_lock(int semid)
{
	struct sembuf ops[2] = {
		{ 0, 0, 0 },		/* wait until free (0) ... */
		{ 0, +1, SEM_UNDO },	/* ... and take it, atomically */
	};

	return uipc_semop(semid, ops, 2);
}

int binsem0_unlock(int semid)
{
	return op1(semid, -1, SEM_UNDO | IPC_NOWAIT);
}

int binsem_remove(int semid)
{
	return uipc_semctl(semid, 0, IPC_RMID);
}
