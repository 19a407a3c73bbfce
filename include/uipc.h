/* SPDX-License-Identifier: MIT */
/*
 * uipc.h - System V IPC in user space.
 *
 * Every uipc_* call below has exactly the signature, the structures and the
 * -1/errno convention of the kernel call it is named after (msgget(2),
 * semop(2), shmat(2), ...).  Objects live in the namespace directory
 * $UIPC_ROOT (default /dev/shm/uipc), one file per object.
 *
 * Extensions that the kernel lacks are marked as such.
 */
#ifndef UIPC_H
#define UIPC_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UIPC_VERSION_MAJOR 0
#define UIPC_VERSION_MINOR 1

/* Message queues: msgget(2), msgop(2), msgctl(2). */
int uipc_msgget(key_t key, int msgflg);
int uipc_msgsnd(int msqid, const void *msgp, size_t msgsz, int msgflg);
ssize_t uipc_msgrcv(int msqid, void *msgp, size_t msgsz, long msgtyp,
		    int msgflg);
int uipc_msgctl(int msqid, int cmd, struct msqid_ds *buf);

/*
 * Extension: msgsnd/msgrcv that give up after a relative timeout, measured
 * on CLOCK_MONOTONIC, exactly as semtimedop(2) treats its timeout.  A NULL
 * timeout waits forever (the plain call).  On expiry they fail with EAGAIN,
 * as semtimedop does; IPC_NOWAIT keeps its usual meaning (EAGAIN for send,
 * ENOMSG for receive).  An invalid timeout gives EINVAL.
 */
int uipc_msgtimedsnd(int msqid, const void *msgp, size_t msgsz, int msgflg,
		     const struct timespec *timeout);
ssize_t uipc_msgtimedrcv(int msqid, void *msgp, size_t msgsz, long msgtyp,
			 int msgflg, const struct timespec *timeout);

/* Semaphore sets: semget(2), semop(2), semctl(2). */
int uipc_semget(key_t key, int nsems, int semflg);
int uipc_semop(int semid, struct sembuf *sops, size_t nsops);
int uipc_semtimedop(int semid, struct sembuf *sops, size_t nsops,
		    const struct timespec *timeout);
int uipc_semctl(int semid, int semnum, int cmd, ...);

/* Shared memory: shmget(2), shmop(2), shmctl(2). */
int uipc_shmget(key_t key, size_t size, int shmflg);
void *uipc_shmat(int shmid, const void *shmaddr, int shmflg);
int uipc_shmdt(const void *shmaddr);
int uipc_shmctl(int shmid, int cmd, struct shmid_ds *buf);

/*
 * Extension: who uses an object -- what the kernel cannot show.  For the
 * tools; reads the object without taking its lock and repairs nothing.
 */
#define UIPC_MSG		0	/* object types */
#define UIPC_SEM		1
#define UIPC_SHM		2

#define UIPC_USER_CREATOR	1	/* created the object */
#define UIPC_USER_ATTACH	2	/* holds .count attachments (shm) */
#define UIPC_USER_UNDO		3	/* holds SEM_UNDO adjustments (sem) */
#define UIPC_USER_WAIT		4	/* blocked in an operation (sem, msg) */
#define UIPC_USER_LAST		5	/* did the last operation (sempid,
					   msg_lspid/lrpid, shm_lpid) */

struct uipc_user {
	pid_t pid;
	int kind;		/* UIPC_USER_* */
	int count;		/* attachments, else 1 */
	int alive;		/* 1: that process (pid and start time) lives */
};

/*
 * uipc_users - fill @buf with up to @n users of object @id of @type.
 * Returns the number of users (possibly more than @n), or -1 with errno
 * (EINVAL: no such object).
 */
int uipc_users(int type, int id, struct uipc_user *buf, int n);

/*
 * uipc_rmid_stale - remove object @id of @type if it is stale: no user
 * that uipc_users() reports is alive.  Checked again under the object's
 * locks, so an object that a live process uses is never removed.
 * Returns 0, or -1 with errno: EBUSY (a live user), EINVAL, EPERM.
 */
int uipc_rmid_stale(int type, int id);

/*
 * Extension: observe without changing anything -- for the tools.
 * uipc_set_readonly(UIPC_READONLY) must be called before the process first
 * uses the namespace (else EBUSY).  From then on the namespace is opened
 * without creating anything (a missing $UIPC_ROOT or registry reads as an
 * empty namespace), objects are mapped read-only, and every call that
 * would modify something (a get that would create, msgsnd, msgrcv, semop,
 * shmat, IPC_SET, IPC_RMID, SETVAL, SETALL, SHM_LOCK, uipc_rmid_stale)
 * fails with EROFS.  The reading calls (*_INFO, IPC_STAT, *_STAT,
 * *_STAT_ANY, GETVAL, GETALL, GETPID, GETNCNT, GETZCNT, a get that finds,
 * uipc_users) take no lock, so a process that holds one forever cannot
 * stall them, and repair nothing: they read a consistent private copy of
 * the object and report what the repairs that a locking call would make
 * would leave (the "repaired view"; see uipc_set_readonly(3)).
 * UIPC_NOREPAIR gives the reading calls the same behaviour but lets the
 * modifying calls work as usual (uipcrm: list without touching, remove
 * what it is asked to).  0: the default.  Returns 0, or -1 with errno
 * EBUSY or EINVAL.
 */
#define UIPC_READONLY		1
#define UIPC_NOREPAIR		2
int uipc_set_readonly(int mode);

/* Extension: the library's version, "MAJOR.MINOR.PATCH". */
/*
 * uipc_namespace - can the namespace ($UIPC_ROOT) be used?  0, with its
 * directory in @buf; or -1 with errno, and in @buf one line that says why
 * not (which directory, and what is wrong with it).  @buf may be NULL.
 */
int uipc_namespace(char *buf, size_t len);

const char *uipc_version(void);

#ifdef __cplusplus
}
#endif

#endif /* UIPC_H */
