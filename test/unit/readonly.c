// SPDX-License-Identifier: MIT
/*
 * readonly.c - uipc_set_readonly(): the contract of the modes.
 *
 * UIPC_READONLY: only before the namespace is used (EBUSY after, EINVAL
 * for an unknown mode); lookups and reads work; every call that would
 * modify fails with EROFS and no file appears or changes; a missing
 * $UIPC_ROOT is an empty namespace and is not created.  UIPC_NOREPAIR:
 * lookups work, and so do the modifying calls.  The objects are made by a
 * child in the ordinary mode (the mode is per process).
 */
#include "helpers.h"

TestSuite(ro, .init = t_setup, .fini = t_teardown, .timeout = 60);

#define KQ 0x7100
#define KS 0x7200
#define KM 0x7300

static int make_objects(void *arg)
{
	struct { long mtype; char t[8]; } m = { 1, "hello" };
	union t_semun a = { .val = 4 };
	int q, s;

	(void)arg;
	q = (int)CHILD_OK(uipc_msgget(KQ, IPC_CREAT | 0600));
	CHILD_OK(uipc_msgsnd(q, &m, 5, 0));
	s = (int)CHILD_OK(uipc_semget(KS, 1, IPC_CREAT | 0600));
	CHILD_OK(uipc_semctl(s, 0, SETVAL, a));
	CHILD_OK(uipc_shmget(KM, 4096, IPC_CREAT | 0600));
	return 0;
}

/* Every file of the namespace: name, size, mtime, first bytes' sum. */
static unsigned long ns_sum(void)
{
	unsigned long h = 5381;
	struct dirent *d;
	DIR *dir = opendir(t_root);

	cr_assert(dir);
	while ((d = readdir(dir))) {
		char p[PATH_MAX];
		struct stat st;
		FILE *f;
		int c;

		snprintf(p, sizeof(p), "%s/%s", t_root, d->d_name);
		if (stat(p, &st) || !S_ISREG(st.st_mode))
			continue;
		for (const char *s = d->d_name; *s; s++)
			h = h * 33 + (unsigned char)*s;
		h = h * 33 + (unsigned long)st.st_size;
		h = h * 33 + (unsigned long)st.st_mtim.tv_nsec;
		f = fopen(p, "r");
		cr_assert(f);
		for (long i = 0; i < 65536 && (c = fgetc(f)) != EOF; i++)
			h = h * 33 + (unsigned)c;
		fclose(f);
	}
	closedir(dir);
	return h;
}

Test(ro, refuses_every_change)
{
	struct { long mtype; char t[8]; } m = { 1, "x" };
	struct sembuf op = { 0, 1, 0 };
	union t_semun a = { .val = 1 };
	unsigned short all[1] = { 1 };
	struct msqid_ds mds;
	struct shmid_ds sds;
	unsigned long before;
	int q, s, sh;

	t_wait_ok(t_spawn(make_objects, NULL));
	before = ns_sum();
	assert_errno(uipc_set_readonly(7), EINVAL);
	assert_ok(uipc_set_readonly(UIPC_READONLY));
	assert_ok(uipc_set_readonly(UIPC_READONLY));

	q = (int)assert_ok(uipc_msgget(KQ, 0));
	assert_errno(uipc_set_readonly(0), EBUSY);
	assert_errno(uipc_set_readonly(UIPC_NOREPAIR), EBUSY);
	assert_ok(uipc_set_readonly(UIPC_READONLY));
	cr_assert_eq(assert_ok(uipc_msgget(KQ, IPC_CREAT | 0600)), q);
	assert_errno(uipc_msgget(KQ, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
	assert_errno(uipc_msgget(KQ + 1, 0), ENOENT);
	assert_errno(uipc_msgget(KQ + 1, IPC_CREAT | 0600), EROFS);
	assert_errno(uipc_msgget(IPC_PRIVATE, 0600), EROFS);
	s = (int)assert_ok(uipc_semget(KS, 0, 0));
	sh = (int)assert_ok(uipc_shmget(KM, 0, 0));

	/* reading works */
	assert_ok(uipc_msgctl(q, IPC_STAT, &mds));
	cr_assert_eq(mds.msg_qnum, 1);
	cr_assert_eq(assert_ok(uipc_semctl(s, 0, GETVAL)), 4);
	assert_ok(uipc_shmctl(sh, IPC_STAT, &sds));
	cr_assert_eq(sds.shm_nattch, 0);

	/* changing does not */
	assert_errno(uipc_msgsnd(q, &m, 1, IPC_NOWAIT), EROFS);
	assert_errno(uipc_msgrcv(q, &m, sizeof(m.t), 0, IPC_NOWAIT), EROFS);
	assert_errno(uipc_msgtimedsnd(q, &m, 1, 0, NULL), EROFS);
	assert_errno(uipc_msgtimedrcv(q, &m, sizeof(m.t), 0, 0, NULL), EROFS);
	assert_errno(uipc_msgctl(q, IPC_SET, &mds), EROFS);
	assert_errno(uipc_msgctl(q, IPC_RMID, NULL), EROFS);
	assert_errno(uipc_semop(s, &op, 1), EROFS);
	assert_errno(uipc_semtimedop(s, &op, 1, NULL), EROFS);
	assert_errno(uipc_semctl(s, 0, SETVAL, a), EROFS);
	assert_errno(uipc_semctl(s, 0, SETALL, all), EROFS);
	assert_errno(uipc_semctl(s, 0, IPC_RMID), EROFS);
	assert_errno(uipc_shmat(sh, NULL, SHM_RDONLY), EROFS);
	assert_errno(uipc_shmctl(sh, IPC_SET, &sds), EROFS);
	assert_errno(uipc_shmctl(sh, SHM_LOCK, NULL), EROFS);
	assert_errno(uipc_shmctl(sh, IPC_RMID, NULL), EROFS);
	assert_errno(uipc_rmid_stale(UIPC_MSG, q), EROFS);

	cr_assert_eq(ns_sum(), before, "a file of the namespace changed");
	cr_assert_eq(assert_ok(uipc_semctl(s, 0, GETVAL)), 4);
}

Test(ro, missing_root_is_empty)
{
	char root[PATH_MAX];
	struct msginfo mi;
	struct stat st;

	snprintf(root, sizeof(root), "%s/none", t_base);
	setenv("UIPC_ROOT", root, 1);
	assert_ok(uipc_set_readonly(UIPC_READONLY));
	cr_assert_eq(assert_ok(uipc_msgctl(0, MSG_INFO, (struct msqid_ds *)&mi)), 0);
	cr_assert_eq(mi.msgpool, 0);
	assert_errno(uipc_semget(KS, 0, 0), ENOENT);
	assert_errno(uipc_shmget(KM, 4096, IPC_CREAT | 0600), EROFS);
	cr_assert(stat(root, &st) < 0 && errno == ENOENT, "%s was created", root);
}

Test(ro, norepair_still_changes)
{
	struct msqid_ds mds;
	int q, p, s, m;

	t_wait_ok(t_spawn(make_objects, NULL));
	assert_ok(uipc_set_readonly(UIPC_NOREPAIR));
	q = (int)assert_ok(uipc_msgget(KQ, 0));
	assert_ok(uipc_msgctl(q, IPC_STAT, &mds));
	cr_assert_eq(mds.msg_qnum, 1);
	p = (int)assert_ok(uipc_msgget(IPC_PRIVATE, 0600));
	assert_ok(uipc_msgctl(p, IPC_RMID, NULL));
	assert_ok(uipc_msgctl(q, IPC_RMID, NULL));
	assert_errno(uipc_msgget(KQ, 0), ENOENT);
	s = (int)assert_ok(uipc_semget(KS, 0, 0));
	assert_ok(uipc_semctl(s, 0, IPC_RMID));
	m = (int)assert_ok(uipc_shmget(KM, 0, 0));
	assert_ok(uipc_shmctl(m, IPC_RMID, NULL));
}
