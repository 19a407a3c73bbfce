// SPDX-License-Identifier: MIT
/*
 * api.h - the one place where the two backends of the differential harness
 * differ.  Scenarios call X_msgget(), X_semop(), ... and the harness is
 * compiled twice: with -DDIFF_KERNEL these are the kernel's System V calls,
 * otherwise the uipc_* calls of libuipc.  X_setlimit() lowers or raises one
 * of the namespace limits (msgmax msgmnb msgmni semmsl semmns semopm semmni
 * shmmax shmall shmmni): the kernel side writes /proc/sys/kernel/NAME of its
 * private IPC namespace, the uipc side writes $UIPC_ROOT/uipc.limits.
 *
 * A third build, diff-raw (-DDIFF_KERNEL -DDIFF_RAW), makes every call as
 * a raw system call through syscall(2), as a program without the C
 * library's wrappers does; run.sh --raw runs it on the kernel and under
 * `uipc-run --syscalls`, where X_setlimit() writes uipc.limits (it tells
 * the sides apart by UIPC_SYSCALLS in its environment).
 */
#ifndef DIFF_API_H
#define DIFF_API_H

#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>

#include "../libc-compat.h"

#if defined(DIFF_RAW)
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "semctl_arg.h"		/* preload/ */
#define X_BACKEND	"raw"
static inline int X_msgget(key_t k, int f)
{
	return (int)syscall(SYS_msgget, k, f);
}
static inline int X_msgsnd(int q, const void *p, size_t n, int f)
{
	return (int)syscall(SYS_msgsnd, q, p, n, f);
}
static inline ssize_t X_msgrcv(int q, void *p, size_t n, long t, int f)
{
	return syscall(SYS_msgrcv, q, p, n, t, f);
}
static inline int X_msgctl(int q, int c, struct msqid_ds *b)
{
	return (int)syscall(SYS_msgctl, q, c, b);
}
static inline int X_semget(key_t k, int n, int f)
{
	return (int)syscall(SYS_semget, k, n, f);
}
static inline int X_semop(int s, struct sembuf *o, size_t n)
{
	return (int)syscall(SYS_semop, s, o, n);
}
static inline int X_semtimedop(int s, struct sembuf *o, size_t n,
			       const struct timespec *t)
{
	return (int)syscall(SYS_semtimedop, s, o, n, t);
}
static inline int X_shmget(key_t k, size_t n, int f)
{
	return (int)syscall(SYS_shmget, k, n, f);
}
static inline void *X_shmat(int m, const void *a, int f)
{
	return (void *)syscall(SYS_shmat, m, a, f);
}
static inline int X_shmdt(const void *a)
{
	return (int)syscall(SYS_shmdt, a);
}
static inline int X_shmctl(int m, int c, struct shmid_ds *b)
{
	return (int)syscall(SYS_shmctl, m, c, b);
}
/* the fourth argument is a register: the union's value, or 0 */
static inline int X_semctl(int semid, int semnum, int cmd, ...)
{
	union {
		int val;
		void *ptr;
	} arg = { .ptr = NULL };
	va_list ap;

	if (semctl_takes_arg(cmd)) {
		va_start(ap, cmd);
		if (cmd == SETVAL)
			arg.val = va_arg(ap, int);
		else
			arg.ptr = va_arg(ap, void *);
		va_end(ap);
	}
	return (int)syscall(SYS_semctl, semid, semnum, cmd, arg.ptr);
}
#elif defined(DIFF_KERNEL)
#define X_BACKEND	"kernel"
#define X_msgget	msgget
#define X_msgsnd	msgsnd
#define X_msgrcv	msgrcv
#define X_msgctl	msgctl
#define X_semget	semget
#define X_semop		semop
#define X_semtimedop	semtimedop
#define X_semctl	semctl
#define X_shmget	shmget
#define X_shmat		shmat
#define X_shmdt		shmdt
#define X_shmctl	shmctl
#else
#include "uipc.h"
#define X_BACKEND	"uipc"
#define X_msgget	uipc_msgget
#define X_msgsnd	uipc_msgsnd
#define X_msgrcv	uipc_msgrcv
#define X_msgctl	uipc_msgctl
#define X_semget	uipc_semget
#define X_semop		uipc_semop
#define X_semtimedop	uipc_semtimedop
#define X_semctl	uipc_semctl
#define X_shmget	uipc_shmget
#define X_shmat		uipc_shmat
#define X_shmdt		uipc_shmdt
#define X_shmctl	uipc_shmctl
#endif

/* Set one namespace limit; returns 0 or -1 with errno. */
int X_setlimit(const char *name, unsigned long value);

#endif /* DIFF_API_H */
