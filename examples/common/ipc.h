// SPDX-License-Identifier: MIT
/*
 * ipc.h - one switch between uipc and the kernel's System V IPC.
 *
 * The examples call the uipc_* names of <uipc.h>, so they read as uipc
 * programs.  Built with -DUIPC_EXAMPLES_KERNEL (make examples KERNEL=1)
 * the same names map to the kernel calls of <sys/msg.h>, <sys/sem.h> and
 * <sys/shm.h>: every example doubles as a differential test of uipc
 * against the kernel.
 *
 * The kernel lacks uipc's timed message calls.  For the kernel build they
 * are emulated below: the plain blocking call is interrupted by a private
 * interval timer (1/20 of the timeout, 1 to 50 ms) until the deadline
 * passes.  That costs some signals per second while blocked, and is meant
 * for these examples only.
 */
#ifndef EX_IPC_H
#define EX_IPC_H

#include <errno.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/time.h>
#include <time.h>

/* SUSv3 makes the caller define it; glibc does not. */
union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
	struct seminfo *__buf;
};

#ifdef UIPC_EXAMPLES_KERNEL

#define EX_BACKEND "kernel"
#define uipc_msgget msgget
#define uipc_msgsnd msgsnd
#define uipc_msgrcv msgrcv
#define uipc_msgctl msgctl
#define uipc_semget semget
#define uipc_semop semop
#define uipc_semtimedop semtimedop
#define uipc_semctl semctl
#define uipc_shmget shmget
#define uipc_shmat shmat
#define uipc_shmdt shmdt
#define uipc_shmctl shmctl

static inline const char *uipc_version(void)
{
	return "kernel SysV IPC";
}

static volatile sig_atomic_t ex_kernel_tick;

static void ex_kernel_tick_handler(int sig)
{
	(void)sig;
	ex_kernel_tick = 1;
}

/*
 * One timed message operation: send when snd, else receive.  Semantics of
 * uipc_msgtimedsnd/uipc_msgtimedrcv: a relative CLOCK_MONOTONIC timeout,
 * EAGAIN on expiry, EINTR when some other signal's handler ran.
 */
static inline ssize_t ex_kernel_timed(int snd, int id, void *msgp, size_t sz,
				      long type, int flg,
				      const struct timespec *timeout)
{
	struct sigaction sa = { .sa_handler = ex_kernel_tick_handler }, osa;
	struct itimerval it, oit;
	struct timespec now, end;
	long tick_us;
	ssize_t r;
	int err;

	if (!timeout)
		return snd ? msgsnd(id, msgp, sz, flg) : msgrcv(id, msgp, sz, type, flg);
	if (timeout->tv_sec < 0 || timeout->tv_nsec < 0 ||
	    timeout->tv_nsec >= 1000000000L) {
		errno = EINVAL;
		return -1;
	}
	/* The first try never waits: most calls end here. */
	r = snd ? msgsnd(id, msgp, sz, flg | IPC_NOWAIT)
		: msgrcv(id, msgp, sz, type, flg | IPC_NOWAIT);
	if (r >= 0 || (flg & IPC_NOWAIT) || errno != (snd ? EAGAIN : ENOMSG))
		return r;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout->tv_sec;
	end.tv_nsec += timeout->tv_nsec;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	/* A tick of 1/20 of the timeout, between 1 and 50 ms. */
	tick_us = (long)(timeout->tv_sec * 50000 + timeout->tv_nsec / 20000);
	tick_us = tick_us < 1000 ? 1000 : tick_us > 50000 ? 50000 : tick_us;
	it.it_interval.tv_sec = it.it_value.tv_sec = 0;
	it.it_interval.tv_usec = it.it_value.tv_usec = tick_us;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &osa);	/* no SA_RESTART: the call must end */
	setitimer(ITIMER_REAL, &it, &oit);
	for (;;) {
		ex_kernel_tick = 0;
		r = snd ? msgsnd(id, msgp, sz, flg) : msgrcv(id, msgp, sz, type, flg);
		if (r >= 0 || errno != EINTR || !ex_kernel_tick)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > end.tv_sec ||
		    (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec)) {
			errno = EAGAIN;
			break;
		}
	}
	err = errno;
	setitimer(ITIMER_REAL, &oit, NULL);
	sigaction(SIGALRM, &osa, NULL);
	errno = err;
	return r;
}

static inline int uipc_msgtimedsnd(int id, const void *msgp, size_t sz, int flg,
				   const struct timespec *timeout)
{
	return (int)ex_kernel_timed(1, id, (void *)msgp, sz, 0, flg, timeout);
}

static inline ssize_t uipc_msgtimedrcv(int id, void *msgp, size_t sz, long type,
				       int flg, const struct timespec *timeout)
{
	return ex_kernel_timed(0, id, msgp, sz, type, flg, timeout);
}

#else /* uipc */

#include <uipc.h>
#define EX_BACKEND "uipc"

#endif

#endif /* EX_IPC_H */
