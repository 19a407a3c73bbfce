// SPDX-License-Identifier: MIT
/*
 * s_limits.c - scenarios at the namespace limits: ENOSPC at msgmni,
 * semmni, semmns, shmmni and shmall; EINVAL past semmsl, shmmax and
 * msgmax; E2BIG past semopm; msgmnb as the default msg_qbytes.  Each sets
 * its limits first (X_setlimit: /proc/sys/kernel in the kernel's private
 * namespace, $UIPC_ROOT/uipc.limits for uipc).
 */
#include "trace.h"

/* ENOSPC at the object limit; existing keys are still found. */
static void limit_mni(enum kind k, const char *lim)
{
	int a;

	R(X_setlimit(lim, 3));
	obj_info(k, IPC_INFO);
	a = obj_get(k, KEY1, IPC_CREAT | 0600);
	obj_get(k, KEY2, IPC_CREAT | 0600);
	obj_get(k, IPC_PRIVATE, 0600);
	obj_get(k, KEY3, IPC_CREAT | 0600);
	obj_get(k, IPC_PRIVATE, 0600);
	obj_get(k, KEY3, 0600);
	obj_get(k, KEY1, IPC_CREAT | 0600);
	obj_get(k, KEY1, 0);
	obj_get(k, KEY1, IPC_CREAT | IPC_EXCL | 0600);
	obj_rmid(k, a);
	obj_get(k, KEY3, IPC_CREAT | 0600);
	obj_get(k, KEY1, IPC_CREAT | 0600);
	R(X_setlimit(lim, 5));
	obj_get(k, KEY1, IPC_CREAT | 0600);
	obj_get(k, IPC_PRIVATE, 0600);
	obj_info(k, G_INFO);
}

SCENARIO(limit_msgmni, 0) { limit_mni(K_MSG, "msgmni"); }
SCENARIO(limit_semmni, 0) { limit_mni(K_SEM, "semmni"); }
SCENARIO(limit_shmmni, 0) { limit_mni(K_SHM, "shmmni"); }

/* semmns bounds the total number of semaphores. */
SCENARIO(limit_semmns, 0)
{
	int a;

	R(X_setlimit("semmns", 10));
	a = obj_get_sz(K_SEM, KEY1, 6, IPC_CREAT | 0600);
	obj_get_sz(K_SEM, KEY2, 5, IPC_CREAT | 0600);
	obj_get_sz(K_SEM, KEY2, 4, IPC_CREAT | 0600);
	obj_get_sz(K_SEM, KEY3, 1, IPC_CREAT | 0600);
	obj_get_sz(K_SEM, KEY1, 6, IPC_CREAT | 0600);
	obj_info(K_SEM, G_INFO);
	obj_rmid(K_SEM, a);
	obj_get_sz(K_SEM, KEY3, 6, IPC_CREAT | 0600);
	obj_get_sz(K_SEM, KEY3, 7, IPC_CREAT | 0600);
}

/* semmsl bounds nsems (EINVAL), semopm the ops per call (E2BIG). */
SCENARIO(limit_semmsl_semopm, 0)
{
	int s;

	R(X_setlimit("semmsl", 8));
	R(X_setlimit("semopm", 4));
	obj_get_sz(K_SEM, KEY1, 9, IPC_CREAT | 0600);
	s = obj_get_sz(K_SEM, KEY1, 8, IPC_CREAT | 0600);
	obj_get_sz(K_SEM, KEY1, 9, 0);
	obj_get_sz(K_SEM, KEY1, 8, 0);
	semops(s, "0:1 1:1 2:1 3:1");
	semops(s, "0:1 1:1 2:1 3:1 4:1");
	semops(s, "0:1 1:1 2:1 3:1 9:1");
	semops(s, "0:1 1:1 2:1 3:1 4:1:n 5:1 6:1 7:1");
	semgetall(s, 8);
	R(X_setlimit("semmsl", 4));
	obj_get_sz(K_SEM, KEY1, 8, 0);
	obj_get_sz(K_SEM, KEY1, 4, 0);
	obj_get_sz(K_SEM, KEY1, 5, 0);
	semops(s, "7:1");
	semgetall(s, 8);
}

/* shmmax bounds a new segment's size; shmall the total pages (ENOSPC). */
SCENARIO(limit_shmmax, 0)
{
	R(X_setlimit("shmmax", 8192));
	obj_get_sz(K_SHM, KEY1, 8193, IPC_CREAT | 0600);
	obj_get_sz(K_SHM, KEY1, 8192, IPC_CREAT | 0600);
	obj_get_sz(K_SHM, KEY1, 8193, 0);
	obj_get_sz(K_SHM, KEY1, 100, 0);
	obj_get_sz(K_SHM, IPC_PRIVATE, 1, 0600);
	R(X_setlimit("shmmax", 100));
	obj_get_sz(K_SHM, KEY1, 8192, 0);
	obj_get_sz(K_SHM, IPC_PRIVATE, 101, 0600);
	obj_info(K_SHM, IPC_INFO);
}

SCENARIO(limit_shmall, 0)
{
	int a;

	R(X_setlimit("shmall", 4));
	a = obj_get_sz(K_SHM, KEY1, 3 * 4096, IPC_CREAT | 0600);
	obj_get_sz(K_SHM, KEY2, 4097, IPC_CREAT | 0600);
	obj_get_sz(K_SHM, KEY2, 4096, IPC_CREAT | 0600);
	obj_get_sz(K_SHM, KEY3, 1, IPC_CREAT | 0600);
	obj_info(K_SHM, G_INFO);
	obj_rmid(K_SHM, a);
	obj_get_sz(K_SHM, KEY3, 3 * 4096 + 1, IPC_CREAT | 0600);
	obj_get_sz(K_SHM, KEY3, 3 * 4096, IPC_CREAT | 0600);
	obj_info(K_SHM, G_INFO);
}

/* msgmax bounds one message; msgmnb is the new queue's msg_qbytes. */
SCENARIO(limit_msgmax_msgmnb, 0)
{
	int a, b;

	a = obj_get(K_MSG, KEY1, IPC_CREAT | 0600);
	R(X_setlimit("msgmax", 100));
	R(X_setlimit("msgmnb", 250));
	b = obj_get(K_MSG, KEY2, IPC_CREAT | 0600);
	msnd_len(b, 1, 101, IPC_NOWAIT);
	msnd_len(b, 1, 100, IPC_NOWAIT);
	msnd_len(b, 1, 100, IPC_NOWAIT);
	msnd_len(b, 1, 100, IPC_NOWAIT);
	msnd_len(b, 1, 50, IPC_NOWAIT);
	msnd_len(b, 1, 1, IPC_NOWAIT);
	msnd_len(a, 1, 101, IPC_NOWAIT);
	st_msg(a);
	st_msg(b);
	mrcv(b, 1000, 0, IPC_NOWAIT);
	msnd_len(b, 1, 51, IPC_NOWAIT);
	st_msg(b);
}
