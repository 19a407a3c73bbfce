// SPDX-License-Identifier: MIT
/*
 * s_shm.c - shmat/shmdt/shmctl scenarios: shm_nattch through attach,
 * detach, fork, exit, SIGKILL and exec; SHM_DEST after IPC_RMID with
 * attachments and attaching by id afterwards; SHM_RDONLY; explicit
 * addresses, SHM_RND and SHM_REMAP; shmdt EINVAL; SHM_LOCK.
 */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "trace.h"

#define PAGE 4096

/* A page-aligned address range of n pages that nothing uses right now. */
static void *free_range(size_t n)
{
	void *p = mmap(NULL, n * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, n * PAGE);
	return p;
}

/* Attach, detach and the fields they change. */
SCENARIO(shm_attach, 0)
{
	int id = obj_get_sz(K_SHM, KEY1, 2 * PAGE, IPC_CREAT | 0600);
	char *a, *b;

	a = RPTR(X_shmat(id, NULL, 0));
	st_shm(id);
	b = RPTR(X_shmat(id, NULL, 0));
	st_shm(id);
	tr("distinct addresses: %s", a != b ? "yes" : "no");
	tr("fresh memory is zero: %s", a[0] == 0 && a[2 * PAGE - 1] == 0 ?
	   "yes" : "no");
	strcpy(a + 100, "shared");
	tr("written via one, read via the other: %s", b + 100);
	R(X_shmdt(a));
	st_shm(id);
	R(X_shmdt(a));
	R(X_shmdt(b));
	st_shm(id);
	R(X_shmdt(b));
}

/* A fork child inherits the attachments; its exit detaches them. */
SCENARIO(shm_fork, 0)
{
	int id = obj_get(K_SHM, KEY1, IPC_CREAT | 0600);
	char *a = RPTR(X_shmat(id, NULL, 0));
	pid_t c;

	strcpy(a, "from parent");
	CHILD(c) {
		st_shm(id);
		tr("child reads: %s", a);
		strcpy(a, "from child");
		R(X_shmdt(a));
		st_shm(id);
		a = RPTR(X_shmat(id, NULL, 0));
		RPTR(X_shmat(id, NULL, SHM_RDONLY));
		st_shm(id);
	}
	tr_wait(c);
	st_shm(id);
	tr("parent reads: %s", a);
	R(X_shmdt(a));
	st_shm(id);
}

/* Exit, SIGKILL and exec all detach. */
SCENARIO(shm_exit_kill_exec, 0)
{
	int id = obj_get(K_SHM, KEY1, IPC_CREAT | 0600);
	pid_t c;

	CHILD(c) {
		RPTR(X_shmat(id, NULL, 0));
		RPTR(X_shmat(id, NULL, 0));
	}
	tr_wait(c);
	st_shm(id);
	CHILD(c) {
		RPTR(X_shmat(id, NULL, 0));
		tr_ready();
		pause();
	}
	tr_await(c);
	st_shm(id);
	tr_kill(c, SIGKILL);
	tr_wait(c);
	st_shm(id);
	CHILD(c) {
		RPTR(X_shmat(id, NULL, 0));
		execl("/bin/sleep", "sleep", "60", (char *)NULL);
		tr("exec failed");
	}
	tr("child exec'd: %s", tr_await(c) == 0 ? "yes" : "no");
	st_shm(id);
	tr_kill(c, SIGKILL);
	tr_wait(c);
	st_shm(id);
}

/* IPC_RMID while attached: SHM_DEST, key released, attach by id still. */
SCENARIO(shm_rmid_attached, 0)
{
	int id = obj_get(K_SHM, KEY1, IPC_CREAT | 0600);
	char *a = RPTR(X_shmat(id, NULL, 0)), *b;
	pid_t c;

	strcpy(a, "still here");
	obj_rmid(K_SHM, id);
	st_shm(id);
	obj_get(K_SHM, KEY1, 0600);
	obj_info(K_SHM, G_INFO);
	obj_statidx(K_SHM, 0, G_STAT);
	b = RPTR(X_shmat(id, NULL, SHM_RDONLY));
	st_shm(id);
	tr("read via the new attachment: %s", b);
	obj_set(K_SHM, id, -2, -2, 0640);
	st_shm(id);
	obj_rmid(K_SHM, id);
	CHILD(c) {
		st_shm(id);
		R(X_shmdt(a));
		R(X_shmdt(b));
		st_shm(id);
	}
	tr_wait(c);
	st_shm(id);
	R(X_shmdt(a));
	st_shm(id);
	R(X_shmdt(b));
	st_shm(id);
	RPTR(X_shmat(id, NULL, 0));
	obj_get(K_SHM, KEY1, IPC_CREAT | 0600);
	obj_info(K_SHM, G_INFO);
}

/* Removing an unattached segment destroys it at once. */
SCENARIO(shm_rmid_unattached, 0)
{
	int id = obj_get(K_SHM, KEY1, IPC_CREAT | 0600);
	char *a = RPTR(X_shmat(id, NULL, 0));

	R(X_shmdt(a));
	obj_rmid(K_SHM, id);
	st_shm(id);
	RPTR(X_shmat(id, NULL, 0));
	obj_info(K_SHM, G_INFO);
}

/* SHM_RDONLY: reads work, a write faults. */
SCENARIO(shm_rdonly, 0)
{
	int id = obj_get(K_SHM, KEY1, IPC_CREAT | 0600);
	char *w = RPTR(X_shmat(id, NULL, 0));
	volatile char *r = RPTR(X_shmat(id, NULL, SHM_RDONLY));
	pid_t c;

	strcpy(w, "visible");
	tr("read-only view reads: %s", (const char *)r);
	CHILD(c) {
		signal(SIGSEGV, SIG_DFL);	/* not a sanitizer's handler */
		tr("writing through the read-only attachment");
		r[0] = 'X';
		tr("write did not fault");
	}
	tr_wait(c);
	tr("after: %s", w);
	st_shm(id);
	R(X_shmdt((const void *)r));
	R(X_shmdt(w));
}

/* A detached address faults; the memory is there for the next attach. */
SCENARIO(shm_detached_faults, 0)
{
	int id = obj_get_sz(K_SHM, KEY1, 2 * PAGE, IPC_CREAT | 0600);
	char *a = RPTR(X_shmat(id, NULL, 0));
	volatile char *v = a;
	pid_t c;

	strcpy(a + PAGE, "kept");
	R(X_shmdt(a));
	CHILD(c) {
		signal(SIGSEGV, SIG_DFL);	/* not a sanitizer's handler */
		tr("touching the detached address");
		v[PAGE] = 'x';
		tr("touch did not fault");
	}
	tr_wait(c);
	a = RPTR(X_shmat(id, NULL, 0));
	tr("attached again: %s", a + PAGE);
	st_shm(id);
	R(X_shmdt(a));
	st_shm(id);
}

/* shmdt only accepts the start of an attachment. */
SCENARIO(shm_dt_einval, 0)
{
	int id = obj_get_sz(K_SHM, KEY1, 2 * PAGE, IPC_CREAT | 0600);
	char *a = RPTR(X_shmat(id, NULL, 0));
	static char buf[3 * PAGE];
	char *pg = (char *)(((uintptr_t)buf + PAGE - 1) & ~(uintptr_t)(PAGE - 1));

	R(X_shmdt(NULL));
	R(X_shmdt(a + 1));
	R(X_shmdt(a + PAGE));
	R(X_shmdt(pg));
	R(X_shmdt((void *)-1));
	st_shm(id);
	R(X_shmdt(a));
	R(X_shmdt(a));
	st_shm(id);
}

/* Explicit addresses: alignment, SHM_RND, SHM_EXEC. */
SCENARIO(shm_at_addr, 0)
{
	int id = obj_get(K_SHM, KEY1, IPC_CREAT | 0600);
	char *hole = free_range(4), *p, *q;

	p = RPTR(X_shmat(id, hole + PAGE, 0));
	tr("attached at the address asked for: %s", p == hole + PAGE ? "yes" :
	   "no");
	RPTR(X_shmat(id, hole + PAGE, 0));
	RPTR(X_shmat(id, hole + 1, 0));
	q = RPTR(X_shmat(id, hole + 2 * PAGE + 123, SHM_RND));
	tr("SHM_RND rounded down: %s", q == hole + 2 * PAGE ? "yes" : "no");
	q[0] = 'r';
	tr("both see the same memory: %s", p[0] == 'r' ? "yes" : "no");
	st_shm(id);
	R(X_shmdt(p));
	R(X_shmdt(q));
	RPTR(X_shmat(-1, hole, 0));
	RPTR(X_shmat(id, (void *)1, 0));
	p = RPTR(X_shmat(id, NULL, SHM_EXEC));
	q = RPTR(X_shmat(id, NULL, SHM_EXEC | SHM_RDONLY));
	st_shm(id);
	R(X_shmdt(p));
	R(X_shmdt(q));
	st_shm(id);
	R(X_shmctl(id, IPC_STAT, (void *)-1));
}

/* SHM_REMAP replaces what is mapped there, an attachment included. */
SCENARIO(shm_at_remap, 0)
{
	int id = obj_get(K_SHM, KEY1, IPC_CREAT | 0600);
	char *hole = free_range(4), *p, *q;
	void *anon;

	RPTR(X_shmat(id, NULL, SHM_REMAP));
	anon = mmap(hole, PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	tr("anonymous page mapped: %s", anon == hole ? "yes" : "no");
	RPTR(X_shmat(id, hole, 0));
	p = RPTR(X_shmat(id, hole, SHM_REMAP));
	tr("SHM_REMAP over the anonymous page: %s", p == hole ? "yes" : "no");
	st_shm(id);
	q = RPTR(X_shmat(id, hole, SHM_REMAP));
	tr("SHM_REMAP over the attachment: %s", q == hole ? "yes" : "no");
	st_shm(id);
	R(X_shmdt(q));
	st_shm(id);
	R(X_shmdt(p));
}

/* SHM_LOCK / SHM_UNLOCK set and clear SHM_LOCKED in the mode. */
SCENARIO(shm_lock, 0)
{
	int id = obj_get(K_SHM, KEY1, IPC_CREAT | 0600);

	R(X_shmctl(id, SHM_LOCK, NULL));
	st_shm(id);
	R(X_shmctl(id, SHM_LOCK, NULL));
	R(X_shmctl(id, SHM_UNLOCK, NULL));
	st_shm(id);
	R(X_shmctl(id, SHM_UNLOCK, NULL));
	R(X_shmctl(-1, SHM_LOCK, NULL));
}

/* A segment's size is rounded to pages for the mapping, not in segsz. */
SCENARIO(shm_small, 0)
{
	int id = obj_get_sz(K_SHM, KEY1, 1, IPC_CREAT | 0600);
	char *a = RPTR(X_shmat(id, NULL, 0));
	pid_t c;

	CHILD(c) {
		a[0] = 'a';
		a[PAGE - 1] = 'z';
		tr("whole first page is usable");
	}
	tr_wait(c);
	tr("parent sees: %c %c", a[0], a[PAGE - 1]);
	st_shm(id);
	obj_info(K_SHM, G_INFO);
	R(X_shmdt(a));
}

/*
 * Get calls take no address space: an address just freed (by shmdt, or
 * by munmap of a probe mapping) is still free for the next shmat, after
 * a get or stat of any type in between.
 */
static void at_freed(long pages, int between)
{
	int id = RID(K_SHM, X_shmget(IPC_PRIVATE, pages * PAGE, IPC_CREAT | 0600));
	char *a = RPTR(X_shmat(id, NULL, 0)), *b;
	int other = -1;

	R(X_shmdt(a));
	obj_rmid(K_SHM, id);
	id = RID(K_SHM, X_shmget(IPC_PRIVATE, pages * PAGE, IPC_CREAT | 0600));
	if (between == 1)
		other = RID(K_MSG, X_msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	if (between == 2)
		other = RID(K_SEM, X_semget(IPC_PRIVATE, 3, IPC_CREAT | 0600));
	if (between == 3)
		st_shm(id);
	b = RPTR(X_shmat(id, a, 0));
	tr("attached at the freed address: %s", a == b ? "yes" : "no");
	if (b != (void *)-1)
		R(X_shmdt(b));
	obj_rmid(K_SHM, id);
	if (between == 1)
		obj_rmid(K_MSG, other);
	if (between == 2)
		obj_rmid(K_SEM, other);
}

SCENARIO(shm_at_freed_addr, 0)
{
	char *hole;
	int id;

	for (int between = 0; between < 4; between++) {
		at_freed(1, between);
		at_freed(2, between);
		at_freed(16, between);
	}
	/* a probe mapping's address, then a segment never attached before */
	for (long n = 1; n <= 16; n *= 4) {
		hole = free_range((size_t)n);
		id = RID(K_SHM, X_shmget(IPC_PRIVATE, n * PAGE, IPC_CREAT | 0600));
		tr("attached at the probed address: %s",
		   X_shmat(id, hole, 0) == hole ? "yes" : "no");
		R(X_shmdt(hole));
		obj_rmid(K_SHM, id);
	}
}

/*
 * SHM_HUGETLB, as root and as users in and out of hugetlb_shm_group (0),
 * with whatever huge pages test/shm-huge.sh reserved (none, then 4 of
 * 2 MiB): the page size bits, EINVAL/EPERM/ENOMEM, SHM_NORESERVE, sizes
 * rounded for the attachment but not in shm_segsz or shm_tot, aligned
 * attach addresses, sharing with a child and another user.
 */
#define HUGE2M	(2L << 20)
#ifndef SHM_HUGE_SHIFT
#define SHM_HUGE_SHIFT	26
#endif
#define HUGE_LOG(n)	((n) << SHM_HUGE_SHIFT)

static void huge_gets(void)
{
	static const struct { long size; int flg; } c[] = {
		{ HUGE2M, SHM_HUGETLB },
		{ 4096, SHM_HUGETLB },
		{ 3 * (1L << 20), SHM_HUGETLB },
		{ HUGE2M, SHM_HUGETLB | HUGE_LOG(21) },
		{ HUGE2M, SHM_HUGETLB | HUGE_LOG(30) },
		{ HUGE2M, SHM_HUGETLB | HUGE_LOG(16) },
		{ HUGE2M, SHM_HUGETLB | HUGE_LOG(63) },
		{ HUGE2M, HUGE_LOG(21) },	/* no SHM_HUGETLB: ordinary */
		{ HUGE2M, SHM_HUGETLB | SHM_NORESERVE },
		{ 1L << 40, SHM_HUGETLB },
		{ 0, SHM_HUGETLB },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int id = RID(K_SHM, X_shmget(IPC_PRIVATE, (size_t)c[i].size,
					     IPC_CREAT | 0600 | c[i].flg));

		tr("  (size %ld, flags %#x)", c[i].size, (unsigned)c[i].flg);
		if (id >= 0) {
			st_shm(id);
			obj_rmid(K_SHM, id);
		}
	}
}

SCENARIO(shm_huge, SC_HUGE)
{
	static const gid_t g0[] = { 0 };
	char *a, *b, *hole;
	int id, id2, id3, id4;
	pid_t c;

	huge_gets();
	id = obj_get_sz(K_SHM, KEY1, 3 * (1L << 20), IPC_CREAT | 0666 | SHM_HUGETLB);
	if (id < 0) {
		obj_info(K_SHM, G_INFO);
		return;		/* no pages: the rest needs some */
	}
	id2 = obj_get_sz(K_SHM, KEY1, 4096, SHM_HUGETLB);	/* found */
	tr("same segment by key: %s", id2 == id ? "yes" : "no");
	obj_info(K_SHM, G_INFO);
	a = RPTR(X_shmat(id, NULL, 0));
	st_shm(id);
	if (a == (void *)-1)
		return;
	tr("attachment aligned to 2 MiB: %s",
	   (uintptr_t)a % HUGE2M ? "no" : "yes");
	strcpy(a, "huge");
	strcpy(a + 4 * (1L << 20) - 5, "end");	/* the last byte of 2 pages */
	CHILD(c) {
		tr("child reads: %s %s", a, a + 4 * (1L << 20) - 5);
		b = RPTR(X_shmat(id, NULL, SHM_RDONLY));
		tr("read-only attachment reads: %s", b);
		st_shm(id);
		/* detached here: _exit() would leave uipc's repair to the
		 * next look, which would record the child as the last */
		R(X_shmdt(a));
		R(X_shmdt(b));
	}
	tr_wait(c);
	R(X_shmdt(a));
	/* an address the kernel would choose, then a misaligned one */
	hole = RPTR(X_shmat(id, NULL, 0));
	R(X_shmdt(hole));
	b = RPTR(X_shmat(id, hole, 0));
	tr("attached at the aligned address: %s", b == hole ? "yes" : "no");
	R(X_shmdt(b));
	RPTR(X_shmat(id, hole + 4096, 0));
	RPTR(X_shmat(id, hole + 4096, SHM_RND));
	st_shm(id);
	/* the pool runs out: 3 pages (one is id's), then 2 more */
	id2 = obj_get_sz(K_SHM, IPC_PRIVATE, 4L << 20, IPC_CREAT | 0600 | SHM_HUGETLB);
	id3 = obj_get_sz(K_SHM, IPC_PRIVATE, 4L << 20, IPC_CREAT | 0600 | SHM_HUGETLB);
	id4 = obj_get_sz(K_SHM, IPC_PRIVATE, 2L << 20, IPC_CREAT | 0600 |
			 SHM_HUGETLB | SHM_NORESERVE);
	obj_info(K_SHM, G_INFO);
	if (id4 >= 0)
		obj_rmid(K_SHM, id4);
	if (id3 >= 0)
		obj_rmid(K_SHM, id3);
	if (id2 >= 0)
		obj_rmid(K_SHM, id2);
	/*
	 * Other users: the segment is theirs to use; creating is not.  (No
	 * creation by root after theirs: uipc hands out ids per user, see
	 * docs/differences.md, "Identifiers across users".)
	 */
	CHILD(c) {
		if (tr_become(NOBODY, NOBODY, 0, NULL) == 0) {
			b = RPTR(X_shmat(id, NULL, 0));
			if (b != (void *)-1)
				tr("another user reads: %s", b);
			huge_gets();
		}
	}
	tr_wait(c);
	CHILD(c) {
		if (tr_become(NOBODY, 0, 0, NULL) == 0)
			huge_gets();
	}
	tr_wait(c);
	CHILD(c) {
		if (tr_become(NOBODY, NOBODY, 1, g0) == 0)
			huge_gets();
	}
	tr_wait(c);
	obj_rmid(K_SHM, id);
	obj_info(K_SHM, G_INFO);
}
