// SPDX-License-Identifier: MIT
/*
 * preload.c - libuipc-preload.so: the twelve System V IPC calls of libc,
 * answered by uipc.  LD_PRELOAD it (or use uipc-run) and an unmodified,
 * dynamically linked program's msgget ... shmctl work on the namespace in
 * $UIPC_ROOT instead of the kernel.
 *
 * Nothing else lives here: each function forwards to its uipc_* twin,
 * which already has the kernel signature and the -1/errno convention.
 * The only work is semctl's optional fourth argument, read exactly for
 * the commands that take one (as glibc does), so a caller that passes
 * none is never read past.
 *
 * The library is linked in statically (libuipc.a, built -fPIC) and
 * preload.map keeps every symbol but these twelve local: the shim is one
 * self-contained file, cannot be broken by a libuipc.so elsewhere on the
 * library path, and exports nothing a program could collide with.  The
 * price: a program that also links libuipc.so itself carries two copies
 * of the library's per-process state; objects are shared through their
 * files either way, but a segment attached with uipc_shmat() must be
 * detached with uipc_shmdt(), not shmdt().  See uipc-run(1).
 *
 * On 32-bit targets built with _TIME_BITS=64, glibc's headers rename
 * msgctl/semctl/shmctl/semtimedop to __msgctl64 and friends, so the same
 * definitions below export those names (preload.map lists both).
 */
#include <stdarg.h>
#include <uipc.h>

#include "semctl_arg.h"

/* semctl(2): the caller defines union semun; so do we. */
union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
	struct seminfo *__buf;
};

int msgget(key_t key, int msgflg)
{
	return uipc_msgget(key, msgflg);
}

int msgsnd(int msqid, const void *msgp, size_t msgsz, int msgflg)
{
	return uipc_msgsnd(msqid, msgp, msgsz, msgflg);
}

ssize_t msgrcv(int msqid, void *msgp, size_t msgsz, long msgtyp, int msgflg)
{
	return uipc_msgrcv(msqid, msgp, msgsz, msgtyp, msgflg);
}

int msgctl(int msqid, int cmd, struct msqid_ds *buf)
{
	return uipc_msgctl(msqid, cmd, buf);
}

int semget(key_t key, int nsems, int semflg)
{
	return uipc_semget(key, nsems, semflg);
}

int semop(int semid, struct sembuf *sops, size_t nsops)
{
	return uipc_semop(semid, sops, nsops);
}

int semtimedop(int semid, struct sembuf *sops, size_t nsops,
	       const struct timespec *timeout)
{
	return uipc_semtimedop(semid, sops, nsops, timeout);
}

int semctl(int semid, int semnum, int cmd, ...)
{
	union semun arg = { .buf = NULL };
	va_list ap;

	if (semctl_takes_arg(cmd)) {
		va_start(ap, cmd);
		arg = va_arg(ap, union semun);
		va_end(ap);
	}
	return uipc_semctl(semid, semnum, cmd, arg);
}

int shmget(key_t key, size_t size, int shmflg)
{
	return uipc_shmget(key, size, shmflg);
}

void *shmat(int shmid, const void *shmaddr, int shmflg)
{
	return uipc_shmat(shmid, shmaddr, shmflg);
}

int shmdt(const void *shmaddr)
{
	return uipc_shmdt(shmaddr);
}

int shmctl(int shmid, int cmd, struct shmid_ds *buf)
{
	return uipc_shmctl(shmid, cmd, buf);
}
