// SPDX-License-Identifier: MIT
/*
 * api.h - the one place where the two backends of the differential harness
 * differ.  Scenarios call X_msgget(), X_semop(), ... and the harness is
 * compiled twice: with -DDIFF_KERNEL these are the kernel's System V calls,
 * otherwise the uipc_* calls of libuipc.  X_setlimit() lowers or raises one
 * of the namespace limits (msgmax msgmnb msgmni semmsl semmns semopm semmni
 * shmmax shmall shmmni): the kernel side writes /proc/sys/kernel/NAME of its
 * private IPC namespace, the uipc side writes $UIPC_ROOT/uipc.limits.
 */
#ifndef DIFF_API_H
#define DIFF_API_H

#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>

#include "../libc-compat.h"

#ifdef DIFF_KERNEL
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
