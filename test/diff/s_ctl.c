// SPDX-License-Identifier: MIT
/*
 * s_ctl.c - scenarios for the generic part of msgctl/semctl/shmctl:
 * IPC_STAT fields, IPC_SET by root, IPC_RMID, bad ids and commands, the id
 * sequence, IPC_INFO and *_INFO, and *_STAT by index.
 */
#include <limits.h>
#include <string.h>

#include "trace.h"

#define FOR_KINDS(base, fl)						\
	SCENARIO(base##_msg, fl) { base(K_MSG); }			\
	SCENARIO(base##_sem, fl) { base(K_SEM); }			\
	SCENARIO(base##_shm, fl) { base(K_SHM); }

static void ctl_stat(enum kind k)
{
	int a = obj_get_sz(k, KEY1, k == K_SEM ? 3 : 5000, IPC_CREAT | 0640);
	int b = obj_get_sz(k, IPC_PRIVATE, k == K_SEM ? 1 : 1, 0604);

	obj_stat(k, a);
	obj_stat(k, b);
}
FOR_KINDS(ctl_stat, 0)

/* IPC_SET by root: only uid, gid and the low nine mode bits change. */
static void ctl_set(enum kind k)
{
	int id = obj_get(k, KEY1, IPC_CREAT | 0600);

	obj_set(k, id, -2, -2, 0640);
	obj_stat(k, id);
	obj_set(k, id, -2, -2, 07777);
	obj_stat(k, id);
	obj_set(k, id, -2, -2, 0170444);
	obj_stat(k, id);
	obj_set(k, id, 0, 0, 0600);
	obj_set(k, id, -1, -2, -2);
	obj_set(k, id, -2, -1, -2);
	obj_stat(k, id);
	/* the key still finds it, and the new mode is what a get sees */
	obj_get(k, KEY1, 0);
	obj_get(k, KEY1, IPC_CREAT | 0777);
	obj_stat(k, id);
}
FOR_KINDS(ctl_set, 0)

/* After IPC_RMID the id and the key are gone. */
static void ctl_rmid(enum kind k)
{
	int a = obj_get(k, KEY1, IPC_CREAT | 0600);
	int b = obj_get(k, KEY2, IPC_CREAT | 0600);

	obj_rmid(k, a);
	obj_stat(k, a);
	obj_rmid(k, a);
	obj_set(k, a, -2, -2, 0600);
	obj_read(k, a);
	obj_write(k, a);
	obj_get(k, KEY1, 0);
	obj_get(k, KEY1, IPC_CREAT | 0600);
	obj_stat(k, b);
	obj_rmid(k, b);
	obj_get(k, KEY2, 0);
}
FOR_KINDS(ctl_rmid, 0)

/* Ids that never were, are negative, of removed objects, or a stale seq. */
static void ctl_badid(enum kind k)
{
	int a = obj_get(k, KEY1, IPC_CREAT | 0600);
	int b = obj_get(k, KEY2, IPC_CREAT | 0600);
	static const struct { const char *what; int delta; } bad[] = {
		{ "a+32768", 32768 }, { "a+65536", 65536 },
		{ "a+2", 2 }, { "a+1000", 1000 },
	};

	obj_rmid(k, b);
	for (int i = 0; i < 3; i++) {
		int id = i == 0 ? -1 : i == 1 ? INT_MAX : INT_MIN;

		tr_idalias = i == 0 ? "-1" : i == 1 ? "INT_MAX" : "INT_MIN";
		obj_stat(k, id);
		obj_read(k, id);
		obj_rmid(k, id);
	}
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tr_idalias = bad[i].what;
		obj_stat(k, a + bad[i].delta);
		obj_read(k, a + bad[i].delta);
		obj_rmid(k, a + bad[i].delta);
	}
	tr_idalias = NULL;
	tr("id of the removed object:");
	obj_stat(k, b);
	obj_read(k, b);
	obj_write(k, b);
	tr("the good id still works:");
	obj_stat(k, a);
}
FOR_KINDS(ctl_badid, 0)

/* Unknown commands and NULL buffers. */
static void ctl_badcmd(enum kind k)
{
	int id = obj_get(k, KEY1, IPC_CREAT | 0600);

	if (k == K_MSG) {
		R(X_msgctl(id, 99, NULL));
		R(X_msgctl(id, -1, NULL));
		R(X_msgctl(id, IPC_STAT, NULL));
		R(X_msgctl(id, IPC_SET, NULL));
		R(X_msgctl(id, MSG_STAT, NULL));
		R(X_msgctl(0, IPC_INFO, NULL));
	} else if (k == K_SEM) {
		R(X_semctl(id, 0, 99));
		R(X_semctl(id, 0, -1));
		R(X_semctl(id, 0, IPC_STAT, NULL));
		R(X_semctl(id, 0, IPC_SET, NULL));
		R(X_semctl(id, 0, GETALL, NULL));
		R(X_semctl(id, 0, SETALL, NULL));
		R(X_semctl(0, 0, IPC_INFO, NULL));
	} else {
		R(X_shmctl(id, 99, NULL));
		R(X_shmctl(id, -1, NULL));
		R(X_shmctl(id, IPC_STAT, NULL));
		R(X_shmctl(id, IPC_SET, NULL));
		R(X_shmctl(id, SHM_STAT, NULL));
		R(X_shmctl(0, IPC_INFO, NULL));
	}
	obj_stat(k, id);
}
FOR_KINDS(ctl_badcmd, 0)

/* In a fresh namespace the first id of each type is 0. */
SCENARIO(ids_start_zero, 0)
{
	R(X_msgget(IPC_PRIVATE, 0600));
	R(X_semget(IPC_PRIVATE, 1, 0600));
	R(X_shmget(IPC_PRIVATE, 1, 0600));
	R(X_msgget(KEY1, IPC_CREAT | 0600));
	R(X_semget(KEY1, 1, IPC_CREAT | 0600));
	R(X_shmget(KEY1, 1, IPC_CREAT | 0600));
}

/* Create, remove, create: the new object gets a different id. */
static void ids_reuse(enum kind k)
{
	int a, b, c;

	for (int i = 0; i < 3; i++) {
		a = obj_get(k, KEY1, IPC_CREAT | 0600);
		obj_rmid(k, a);
	}
	b = obj_get(k, KEY1, IPC_CREAT | 0600);
	c = obj_get(k, IPC_PRIVATE, 0600);
	tr("new id differs from the removed one: %s", b != a ? "yes" : "no");
	tr("ids are non-negative: %s", a >= 0 && b >= 0 && c >= 0 ? "yes" :
	   "no");
	obj_stat(k, a);
	obj_stat(k, b);
}
FOR_KINDS(ids_reuse, 0)

/* The raw id values, as the kernel's index + sequence scheme makes them. */
SCENARIO(ids_values, 0)
{
	for (int k = K_MSG; k <= K_SHM; k++) {
		int ids[8], n = 0;

		for (int i = 0; i < 3; i++)
			ids[n++] = obj_get(k, IPC_PRIVATE, 0600);
		obj_rmid(k, ids[1]);
		obj_rmid(k, ids[0]);
		for (int i = 0; i < 3; i++)
			ids[n++] = obj_get(k, IPC_PRIVATE, 0600);
		for (int i = 0; i < n; i++)
			tr("%s id %d = %d", tr_kname(k), i, ids[i]);
	}
}

/* IPC_INFO and the *_INFO totals, empty and with objects. */
static void info(enum kind k)
{
	int a, b;

	obj_info(k, IPC_INFO);
	obj_info(k, G_INFO);
	a = obj_get_sz(k, KEY1, k == K_SEM ? 3 : 5000, IPC_CREAT | 0600);
	b = obj_get_sz(k, KEY2, k == K_SEM ? 2 : 4096, IPC_CREAT | 0600);
	obj_get_sz(k, KEY3, k == K_SEM ? 4 : 100, IPC_CREAT | 0600);
	if (k == K_MSG) {
		msnd(a, 1, "0123456789", 0);
		msnd(a, 2, "abcde", 0);
		msnd(b, 3, "", 0);
	}
	obj_info(k, IPC_INFO);
	obj_info(k, G_INFO);
	obj_rmid(k, b);
	obj_info(k, IPC_INFO);
	obj_info(k, G_INFO);
	obj_rmid(k, a);
	obj_info(k, G_INFO);
}
FOR_KINDS(info, 0)

/* IPC_INFO reports the namespace's limits, lowered ones included. */
static void info_limits(enum kind k)
{
	if (k == K_MSG) {
		R(X_setlimit("msgmax", 4000));
		R(X_setlimit("msgmnb", 9000));
		R(X_setlimit("msgmni", 7));
	} else if (k == K_SEM) {
		R(X_setlimit("semmsl", 40));
		R(X_setlimit("semmns", 400));
		R(X_setlimit("semopm", 12));
		R(X_setlimit("semmni", 9));
	} else {
		R(X_setlimit("shmmax", 1 << 20));
		R(X_setlimit("shmall", 1000));
		R(X_setlimit("shmmni", 11));
	}
	obj_info(k, IPC_INFO);
	obj_info(k, G_INFO);
}
FOR_KINDS(info_limits, 0)

/* *_STAT and *_STAT_ANY take an index, not an id, and return the id. */
static void stat_index(enum kind k)
{
	int a = obj_get(k, KEY1, IPC_CREAT | 0600);
	int b = obj_get(k, KEY2, IPC_CREAT | 0600);

	obj_statidx(k, 0, G_STAT);
	obj_statidx(k, 1, G_STAT);
	obj_statidx(k, 1, G_STAT_ANY);
	obj_statidx(k, 2, G_STAT);
	obj_statidx(k, -1, G_STAT);
	obj_statidx(k, 32767, G_STAT);
	obj_statidx(k, 32768, G_STAT_ANY);
	obj_statidx(k, 100000, G_STAT);
	obj_rmid(k, a);
	obj_statidx(k, 0, G_STAT);
	obj_statidx(k, 0, G_STAT_ANY);
	obj_statidx(k, 1, G_STAT);
	a = obj_get(k, KEY1, IPC_CREAT | 0600);
	obj_statidx(k, 0, G_STAT);
	tr("index 0 holds the new object: %s", a % 32768 == 0 ? "yes" : "no");
	(void)b;
}
FOR_KINDS(stat_index, 0)
