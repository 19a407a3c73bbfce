/* SPDX-License-Identifier: MIT */
/*
 * ipcinfo.h - the inspection layer shared by uipcs, uipcrm and uipcmk.
 *
 * Everything here goes through the public API only, exactly as util-linux
 * does against the kernel: *_INFO gives the highest used index, then
 * *_STAT_ANY is asked for every index up to it.  The layer returns plain
 * records; the printers in the tools are thin.
 *
 * Built with -DUIPC_TOOLS_KERNEL the same sources call the kernel's SysV
 * calls instead of uipc_*: that build exists so the tests can check the
 * printers byte for byte against util-linux on the same kernel objects.
 */
#ifndef UIPC_TOOLS_IPCINFO_H
#define UIPC_TOOLS_IPCINFO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#ifdef UIPC_TOOLS_KERNEL
# define B_msgget	msgget
# define B_msgsnd	msgsnd
# define B_msgrcv	msgrcv
# define B_msgctl	msgctl
# define B_semget	semget
# define B_semop	semop
# define B_semctl	semctl
# define B_shmget	shmget
# define B_shmat	shmat
# define B_shmdt	shmdt
# define B_shmctl	shmctl
# define B_NAME		"kernel"
#else
# include <uipc.h>
# define B_msgget	uipc_msgget
# define B_msgsnd	uipc_msgsnd
# define B_msgrcv	uipc_msgrcv
# define B_msgctl	uipc_msgctl
# define B_semget	uipc_semget
# define B_semop	uipc_semop
# define B_semctl	uipc_semctl
# define B_shmget	uipc_shmget
# define B_shmat	uipc_shmat
# define B_shmdt	uipc_shmdt
# define B_shmctl	uipc_shmctl
# define B_NAME		"uipc"
#endif

/* glibc leaves union semun to the caller (semctl(2)). */
union ii_semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
	struct seminfo *__buf;
};

enum ii_type { II_MSG, II_SEM, II_SHM };

/* What every object has: its ipc_perm, flattened. */
struct ii_perm {
	key_t key;
	int id;
	uid_t uid, cuid;
	gid_t gid, cgid;
	unsigned int mode;	/* with SHM_DEST/SHM_LOCKED for segments */
};

struct ii_msg {
	struct ii_perm p;
	uint64_t cbytes, qnum, qbytes;
	pid_t lspid, lrpid;
	int64_t stime, rtime, ctime;
};

struct ii_semval {
	int val, ncnt, zcnt, pid;
};

struct ii_sem {
	struct ii_perm p;
	uint64_t nsems;
	int64_t otime, ctime;
};

struct ii_shm {
	struct ii_perm p;
	uint64_t segsz, nattch;
	pid_t cpid, lpid;
	int64_t atime, dtime, ctime;
};

/*
 * ii_*_list - every object of one type, in index order.
 * Return the number of records (*out is malloc'd, NULL when 0) or -errno
 * when *_INFO itself fails.
 */
int ii_msg_list(struct ii_msg **out);
int ii_sem_list(struct ii_sem **out);
int ii_shm_list(struct ii_shm **out);

/* ii_*_find - the object with identifier @id: 1 found, 0 not, -errno. */
int ii_msg_find(int id, struct ii_msg *out);
int ii_sem_find(int id, struct ii_sem *out);
int ii_shm_find(int id, struct ii_shm *out);

/*
 * ii_sem_values - GETVAL/GETNCNT/GETZCNT/GETPID for each semaphore
 * (needs read permission, as in util-linux).  Returns 0 or -errno and in
 * *what the name of the failing command.
 */
int ii_sem_values(int semid, uint64_t nsems, struct ii_semval *v,
		  const char **what);

/*
 * ii_ids - the identifiers of every object of @type; count or -errno.
 * With @any false only those we may read (*_STAT, as ipcrm -a does).
 */
int ii_ids(enum ii_type type, int any, int **out);

/* Limits and usage, straight from IPC_INFO and *_INFO. */
int ii_msg_info(int cmd, struct msginfo *mi);
int ii_sem_info(int cmd, struct seminfo *si);
int ii_shm_limits(struct shminfo *si);
int ii_shm_status(struct shm_info *si);

/*
 * ii_ns_on_disk - whether the namespace directory (as uipc_namespace()
 * names it) is on a filesystem other than tmpfs or ramfs, where every
 * object is a disk file.  Returns 1 (*root set to the directory), or 0
 * when it is in memory, cannot be looked at, or the backend is the kernel.
 */
int ii_ns_on_disk(const char **root);

/* Remove by identifier / look up by key: 0 or -errno. */
int ii_rmid(enum ii_type type, int id);
int ii_key_to_id(enum ii_type type, key_t key);

#endif /* UIPC_TOOLS_IPCINFO_H */
