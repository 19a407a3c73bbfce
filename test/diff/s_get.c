// SPDX-License-Identifier: MIT
/*
 * s_get.c - scenarios for msgget/semget/shmget: IPC_PRIVATE, IPC_CREAT,
 * IPC_EXCL, ENOENT, EEXIST, creation modes, nsems and size checks, and the
 * kernel's order of checks (ipcget_public: EEXIST, then the type's own
 * checks, then permissions).
 */
#include <limits.h>
#include <stdint.h>

#include "trace.h"

#define FOR_KINDS(base, fl)						\
	SCENARIO(base##_msg, fl) { base(K_MSG); }			\
	SCENARIO(base##_sem, fl) { base(K_SEM); }			\
	SCENARIO(base##_shm, fl) { base(K_SHM); }

/* IPC_PRIVATE always creates a new object, whatever the flags. */
static void get_private(enum kind k)
{
	int a = obj_get(k, IPC_PRIVATE, 0600);

	obj_get(k, IPC_PRIVATE, 0600);
	obj_get(k, IPC_PRIVATE, IPC_CREAT | IPC_EXCL | 0600);
	obj_get(k, IPC_PRIVATE, 0);
	obj_get(k, IPC_PRIVATE, IPC_EXCL);
	obj_stat(k, a);
}
FOR_KINDS(get_private, 0)

/* IPC_CREAT creates once, then finds; the mode of later calls is ignored. */
static void get_creat(enum kind k)
{
	int a;

	obj_get(k, KEY1, 0);
	obj_get(k, KEY1, 0600);
	a = obj_get(k, KEY1, IPC_CREAT | 0640);
	obj_get(k, KEY1, IPC_CREAT | 0600);
	obj_get(k, KEY1, IPC_CREAT);
	obj_get(k, KEY1, 0);
	obj_get(k, KEY1, 0640);
	obj_get(k, KEY2, IPC_CREAT | 0600);
	obj_get(k, KEY1, 0);
	obj_stat(k, a);
}
FOR_KINDS(get_creat, 0)

/* IPC_EXCL matters only together with IPC_CREAT. */
static void get_excl(enum kind k)
{
	obj_get(k, KEY1, IPC_EXCL | 0600);
	obj_get(k, KEY1, IPC_CREAT | IPC_EXCL | 0600);
	obj_get(k, KEY1, IPC_CREAT | IPC_EXCL | 0600);
	obj_get(k, KEY1, IPC_CREAT | IPC_EXCL);
	obj_get(k, KEY1, IPC_EXCL | 0600);
	obj_get(k, KEY1, IPC_EXCL);
	obj_get(k, KEY1, IPC_CREAT);
	obj_get(k, KEY2, IPC_CREAT | IPC_EXCL | 0600);
	obj_get(k, KEY2, IPC_CREAT | IPC_EXCL | 0600);
}
FOR_KINDS(get_excl, 0)

/* The low nine bits of the flags become the mode; the rest is not kept. */
static void get_mode(enum kind k)
{
	int a = obj_get(k, KEY1, IPC_CREAT);
	int b = obj_get(k, KEY2, IPC_CREAT | 0777);
	int c = obj_get(k, KEY3, IPC_CREAT | 0421);
	int d = obj_get(k, IPC_PRIVATE, 0);

	obj_stat(k, a);
	obj_stat(k, b);
	obj_stat(k, c);
	obj_stat(k, d);
	/* root passes every permission check */
	obj_get(k, KEY1, 0600);
	obj_read(k, a);
	obj_write(k, a);
}
FOR_KINDS(get_mode, 0)

/* nsems: EINVAL out of range (checked before the lookup) or too big. */
SCENARIO(get_nsems, 0)
{
	int s;

	obj_get_sz(K_SEM, IPC_PRIVATE, 0, 0600);
	obj_get_sz(K_SEM, IPC_PRIVATE, -1, 0600);
	obj_get_sz(K_SEM, IPC_PRIVATE, 32001, 0600);
	obj_get_sz(K_SEM, IPC_PRIVATE, INT_MIN, 0600);
	s = obj_get_sz(K_SEM, KEY1, 3, IPC_CREAT | 0600);
	obj_get_sz(K_SEM, KEY1, 4, 0);
	obj_get_sz(K_SEM, KEY1, 3, 0);
	obj_get_sz(K_SEM, KEY1, 2, 0);
	obj_get_sz(K_SEM, KEY1, 0, 0);
	obj_get_sz(K_SEM, KEY1, -1, 0);
	obj_get_sz(K_SEM, KEY1, 4, IPC_CREAT | IPC_EXCL | 0600);
	obj_get_sz(K_SEM, KEY1, 4, IPC_CREAT | 0600);
	obj_get_sz(K_SEM, KEY1, 32001, 0);
	obj_get_sz(K_SEM, KEY2, 40000, 0);
	obj_get_sz(K_SEM, KEY2, 0, 0);
	obj_get_sz(K_SEM, KEY2, 0, IPC_CREAT | 0600);
	obj_get_sz(K_SEM, KEY2, 1, IPC_CREAT | 0600);
	st_sem(s);
}

/* size: EINVAL for 0 or above shmmax on creation, or above the existing. */
SCENARIO(get_size, 0)
{
	int a, b;

	obj_get_sz(K_SHM, IPC_PRIVATE, 0, 0600);
	obj_get_sz(K_SHM, IPC_PRIVATE, -1, 0600);
	a = obj_get_sz(K_SHM, KEY1, 10000, IPC_CREAT | 0600);
	obj_get_sz(K_SHM, KEY1, 10001, 0);
	obj_get_sz(K_SHM, KEY1, 12288, 0);
	obj_get_sz(K_SHM, KEY1, 10000, 0);
	obj_get_sz(K_SHM, KEY1, 1, 0);
	obj_get_sz(K_SHM, KEY1, 0, 0);
	obj_get_sz(K_SHM, KEY1, -1, 0);
	obj_get_sz(K_SHM, KEY1, 10001, IPC_CREAT | IPC_EXCL | 0600);
	obj_get_sz(K_SHM, KEY1, 10001, IPC_CREAT | 0600);
	obj_get_sz(K_SHM, KEY2, 0, 0);
	obj_get_sz(K_SHM, KEY2, -1, 0);
	obj_get_sz(K_SHM, KEY2, 0, IPC_CREAT | 0600);
	b = obj_get_sz(K_SHM, IPC_PRIVATE, 1, 0600);
	st_shm(a);
	st_shm(b);
}

/* Check order on an existing object: EEXIST, EINVAL, then EACCES. */
static void get_order(enum kind k)
{
	pid_t c;
	long sz = k == K_SEM ? 2 : 8192;

	obj_get_sz(k, KEY1, sz, IPC_CREAT | 0600);
	CHILD(c) {
		if (tr_become(NOBODY, NOBODY, 0, NULL))
			continue;
		obj_get_sz(k, KEY1, sz, IPC_CREAT | IPC_EXCL | 0600);
		obj_get_sz(k, KEY1, sz, 0600);
		obj_get_sz(k, KEY1, sz, 0400);
		obj_get_sz(k, KEY1, sz, 0);
		obj_get_sz(k, KEY1, sz, IPC_CREAT | 0600);
		if (k != K_MSG) {
			obj_get_sz(k, KEY1, sz + 1, 0600);
			obj_get_sz(k, KEY1, sz + 1, 0);
			obj_get_sz(k, KEY1, sz - 1, 0600);
		}
		obj_get_sz(k, KEY2, sz, 0600);
		obj_get_sz(k, KEY2, sz, IPC_EXCL | 0600);
	}
	tr_wait(c);
}
FOR_KINDS(get_order, SC_ROOT)
