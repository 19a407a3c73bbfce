// SPDX-License-Identifier: MIT
/*
 * api.c - the public edge: the only place where -errno becomes -1/errno.
 *
 * Each uipc_* function has the signature and the return convention of
 * the kernel call it is named after; see include/uipc.h.
 */
#include <stdarg.h>
#include <sys/sem.h>

#include "internal.h"
#include "msg.h"
#include "uipc.h"

#define UIPC_API __attribute__((visibility("default")))

static inline long ret(long r)
{
	if (unlikely(r < 0)) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

UIPC_API int uipc_msgget(key_t key, int msgflg)
{
	ns_call_begin();
	return (int)ret(msg_get(key, msgflg));
}

UIPC_API int uipc_msgsnd(int msqid, const void *msgp, size_t msgsz, int msgflg)
{
	ns_call_begin();
	if (unlikely(ipc_readonly()))
		return (int)ret(-EROFS);
	return (int)ret(msg_snd(msqid, msgp, msgsz, msgflg, NULL));
}

UIPC_API ssize_t uipc_msgrcv(int msqid, void *msgp, size_t msgsz, long msgtyp,
			     int msgflg)
{
	ns_call_begin();
	if (unlikely(ipc_readonly()))
		return ret(-EROFS);
	return ret(msg_rcv(msqid, msgp, msgsz, msgtyp, msgflg, NULL));
}

UIPC_API int uipc_msgtimedsnd(int msqid, const void *msgp, size_t msgsz,
			      int msgflg, const struct timespec *timeout)
{
	ns_call_begin();
	if (unlikely(ipc_readonly()))
		return (int)ret(-EROFS);
	if (timeout && ipc_ptr_ok(timeout))
		return (int)ret(-EFAULT);
	return (int)ret(msg_snd(msqid, msgp, msgsz, msgflg, timeout));
}

UIPC_API ssize_t uipc_msgtimedrcv(int msqid, void *msgp, size_t msgsz,
				  long msgtyp, int msgflg,
				  const struct timespec *timeout)
{
	ns_call_begin();
	if (unlikely(ipc_readonly()))
		return ret(-EROFS);
	if (timeout && ipc_ptr_ok(timeout))
		return ret(-EFAULT);
	return ret(msg_rcv(msqid, msgp, msgsz, msgtyp, msgflg, timeout));
}

UIPC_API int uipc_msgctl(int msqid, int cmd, struct msqid_ds *buf)
{
	ns_call_begin();
	return (int)ret(msg_ctl(msqid, cmd, buf));
}

UIPC_API int uipc_semget(key_t key, int nsems, int semflg)
{
	ns_call_begin();
	return (int)ret(sem_get(key, nsems, semflg));
}

UIPC_API int uipc_semop(int semid, struct sembuf *sops, size_t nsops)
{
	ns_call_begin();
	if (unlikely(ipc_readonly()))
		return (int)ret(-EROFS);
	return (int)ret(sem_timedop(semid, sops, nsops, NULL));
}

UIPC_API int uipc_semtimedop(int semid, struct sembuf *sops, size_t nsops,
			     const struct timespec *timeout)
{
	ns_call_begin();
	if (unlikely(ipc_readonly()))
		return (int)ret(-EROFS);
	return (int)ret(sem_timedop(semid, sops, nsops, timeout));
}

/* The caller defines union semun (semctl(2)); we read what cmd needs. */
union uipc_semun {
	int val;
	void *ptr;
};

UIPC_API int uipc_semctl(int semid, int semnum, int cmd, ...)
{
	ns_call_begin();
	union uipc_semun arg = { .ptr = NULL };
	int base = cmd & ~IPC_64;
	va_list ap;

	switch (base) {
	case SETVAL:
	case IPC_STAT:
	case IPC_SET:
	case GETALL:
	case SETALL:
	case IPC_INFO:
	case SEM_INFO:
	case SEM_STAT:
	case SEM_STAT_ANY:
		va_start(ap, cmd);
		arg = va_arg(ap, union uipc_semun);
		va_end(ap);
		break;
	default:
		break;
	}
	return (int)ret(sem_ctl(semid, semnum, cmd, arg.ptr, arg.val));
}

UIPC_API int uipc_shmget(key_t key, size_t size, int shmflg)
{
	ns_call_begin();
	return (int)ret(shm_get(key, size, shmflg));
}

UIPC_API void *uipc_shmat(int shmid, const void *shmaddr, int shmflg)
{
	void *p;

	ns_call_begin();
	p = ipc_readonly() ? ERR_PTR(-EROFS) : shm_at(shmid, shmaddr, shmflg);
	if (IS_ERR(p)) {
		errno = (int)-PTR_ERR(p);
		return (void *)-1;
	}
	return p;
}

UIPC_API int uipc_shmdt(const void *shmaddr)
{
	ns_call_begin();
	return (int)ret(shm_dt(shmaddr));
}

UIPC_API int uipc_shmctl(int shmid, int cmd, struct shmid_ds *buf)
{
	ns_call_begin();
	return (int)ret(shm_ctl(shmid, cmd, buf));
}

UIPC_API int uipc_set_readonly(int mode)
{
	ns_call_begin();
	return (int)ret(ns_set_readonly(mode));
}

UIPC_API int uipc_namespace(char *buf, size_t len)
{
	char tmp[1];

	if (!buf || !len) {
		buf = tmp;
		len = sizeof(tmp);
	}
	return (int)ret(ns_status(buf, len));
}

UIPC_API const char *uipc_version(void)
{
	ns_call_begin();
	return UIPC_VERSION_STRING;
}
