// SPDX-License-Identifier: MIT
/*
 * s_perm.c - permission scenarios (kernel ipcperms): the owner, group and
 * other triads checked by a child that became NOBODY, supplementary
 * groups, root's bypass, IPC_SET/IPC_RMID by owner, creator and others
 * (EPERM), a mode change by IPC_SET seen by another user, and *_STAT
 * versus *_STAT_ANY.  All need a real setuid(): they run as root under
 * unshare -i.
 */
#include "trace.h"

#define FOR_KINDS(base, fl)						\
	SCENARIO(base##_msg, fl) { base(K_MSG); }			\
	SCENARIO(base##_sem, fl) { base(K_SEM); }			\
	SCENARIO(base##_shm, fl) { base(K_SHM); }

static const int modes[] = {
	0000, 0400, 0200, 0600, 0040, 0020, 0060, 0004, 0002, 0006, 0777,
	0066, 0606, 0660,
};

/* Everything NOBODY can do with the object under KEY1. */
static void probe(enum kind k, int id)
{
	obj_get(k, KEY1, 0);
	obj_get(k, KEY1, 0400);
	obj_get(k, KEY1, 0200);
	obj_get(k, KEY1, 0600);
	obj_get(k, KEY1, 0004);
	obj_get(k, KEY1, 0040);
	obj_stat(k, id);
	obj_read(k, id);
	obj_write(k, id);
}

/* Give the object uid/gid so that NOBODY falls in one triad, try modes. */
static void perm_triad(enum kind k, long uid, long gid, int ngroups,
		       const gid_t *groups)
{
	int id = obj_get(k, KEY1, IPC_CREAT | 0600);

	for (unsigned i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		pid_t c;

		obj_set(k, id, uid, gid, modes[i]);
		CHILD(c) {
			if (tr_become(NOBODY, NOBODY, ngroups, groups))
				continue;
			probe(k, id);
		}
		tr_wait(c);
	}
}

static void perm_owner(enum kind k)
{
	perm_triad(k, NOBODY, 0, 0, NULL);
}
FOR_KINDS(perm_owner, SC_ROOT)

static void perm_group(enum kind k)
{
	perm_triad(k, 0, NOBODY, 0, NULL);
}
FOR_KINDS(perm_group, SC_ROOT)

static void perm_other(enum kind k)
{
	perm_triad(k, 0, 0, 0, NULL);
}
FOR_KINDS(perm_other, SC_ROOT)

/* The group triad also applies through a supplementary group. */
static void perm_suppgroup(enum kind k)
{
	static const gid_t g2[1] = { NOGROUP2 };

	perm_triad(k, 0, NOGROUP2, 1, g2);
}
FOR_KINDS(perm_suppgroup, SC_ROOT)

/* The creator's uid/gid count like the owner's (ipcperms uses both). */
static void perm_creator(enum kind k)
{
	pid_t c;
	int id;

	CHILD(c) {
		if (tr_become(NOBODY, NOBODY, 0, NULL))
			continue;
		obj_get(k, KEY1, IPC_CREAT | 0640);
	}
	tr_wait(c);
	id = obj_get(k, KEY1, 0);
	for (unsigned i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		obj_set(k, id, 0, 0, modes[i]);
		CHILD(c) {
			if (tr_become(NOBODY, NOBODY, 0, NULL))
				continue;
			probe(k, id);
		}
		tr_wait(c);
	}
}
FOR_KINDS(perm_creator, SC_ROOT)

/* Root passes every check on an object NOBODY made with mode 0. */
static void perm_root(enum kind k)
{
	pid_t c;
	int id;

	CHILD(c) {
		if (tr_become(NOBODY, NOBODY, 0, NULL))
			continue;
		id = obj_get(k, KEY1, IPC_CREAT | 0000);
		probe(k, id);
	}
	tr_wait(c);
	id = obj_get(k, KEY1, 0600);
	probe(k, id);
	obj_set(k, id, -2, -2, 0640);
	obj_stat(k, id);
	obj_rmid(k, id);
}
FOR_KINDS(perm_root, SC_ROOT)

/* IPC_SET and IPC_RMID: owner or creator only (or root), EPERM otherwise. */
static void ctl_eperm(enum kind k)
{
	pid_t c;
	int id = obj_get(k, KEY1, IPC_CREAT | 0666);

	/* NOBODY is neither owner nor creator */
	CHILD(c) {
		if (tr_become(NOBODY, NOBODY, 0, NULL))
			continue;
		obj_set(k, id, -2, -2, 0600);
		obj_set(k, id, NOBODY, -2, -2);
		obj_rmid(k, id);
		obj_stat(k, id);
	}
	tr_wait(c);
	/* NOBODY becomes the owner: may set, even give the object away */
	obj_set(k, id, NOBODY, NOBODY, 0600);
	CHILD(c) {
		if (tr_become(NOBODY, NOBODY, 0, NULL))
			continue;
		obj_set(k, id, -2, -2, 0644);
		obj_set(k, id, 0, 0, -2);
		obj_stat(k, id);
		obj_set(k, id, NOBODY, -2, 0666);
		obj_rmid(k, id);
	}
	tr_wait(c);
	obj_stat(k, id);
	obj_rmid(k, id);
	/* NOBODY created it, root owns it: the creator may still set/remove */
	CHILD(c) {
		if (tr_become(NOBODY, NOBODY, 0, NULL))
			continue;
		id = obj_get(k, KEY2, IPC_CREAT | 0600);
	}
	tr_wait(c);
	id = obj_get(k, KEY2, 0);
	obj_set(k, id, 0, 0, 0600);
	obj_stat(k, id);
	CHILD(c) {
		if (tr_become(NOBODY, NOBODY, 0, NULL))
			continue;
		obj_set(k, id, -2, -2, 0604);
		obj_stat(k, id);
		obj_rmid(k, id);
	}
	tr_wait(c);
	obj_stat(k, id);
}
FOR_KINDS(ctl_eperm, SC_ROOT)

/* A mode change by IPC_SET changes what another user may do at once. */
static void ctl_set_access(enum kind k)
{
	pid_t c;
	int id = obj_get(k, KEY1, IPC_CREAT | 0600);

	CHILD(c) {
		if (tr_become(NOBODY, NOBODY, 0, NULL))
			continue;
		tr_ready();
		for (int round = 0; round < 3; round++) {
			tr_wait_go();
			tr("round %d", round);
			probe(k, id);
			tr_ready();
		}
	}
	tr_await(c);
	tr_go(c);
	tr_await(c);
	obj_set(k, id, -2, -2, 0666);
	tr_go(c);
	tr_await(c);
	obj_set(k, id, -2, -2, 0600);
	tr_go(c);
	tr_await(c);
	tr_wait(c);
}
FOR_KINDS(ctl_set_access, SC_ROOT)

/* *_STAT needs read permission, *_STAT_ANY does not. */
static void stat_any(enum kind k)
{
	pid_t c;
	int id = obj_get(k, KEY1, IPC_CREAT | 0600);

	obj_set(k, id, -2, -2, 0);
	CHILD(c) {
		if (tr_become(NOBODY, NOBODY, 0, NULL))
			continue;
		obj_statidx(k, 0, G_STAT);
		obj_statidx(k, 0, G_STAT_ANY);
		obj_statidx(k, 1, G_STAT_ANY);
		obj_stat(k, id);
		obj_info(k, IPC_INFO);
		obj_info(k, G_INFO);
	}
	tr_wait(c);
	obj_set(k, id, -2, -2, 0004);
	CHILD(c) {
		if (tr_become(NOBODY, NOBODY, 0, NULL))
			continue;
		obj_statidx(k, 0, G_STAT);
		obj_statidx(k, 0, G_STAT_ANY);
	}
	tr_wait(c);
}
FOR_KINDS(stat_any, SC_ROOT)
