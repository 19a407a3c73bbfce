// SPDX-License-Identifier: MIT
/*
 * space.c - where the library's own mappings go.
 *
 * Behaviour: the kernel's get and ctl calls take no address space, so an
 * address a program has just freed (shmdt of an attachment, munmap of a
 * probe mapping) is still free for its next shmat at that address.  The
 * library has to map its object files to use them; were those mappings
 * placed where the kernel places a program's (top down from the mmap
 * base, first hole that fits), they would land in exactly such holes and
 * make that shmat fail with EINVAL.  So they go to a region of their own,
 * far below the kernel's mmap area and above a classic heap: between an
 * eighth and a quarter of the address space (16-32 TiB with 47-bit user
 * addresses), at an offset chosen at random per process (from AT_RANDOM,
 * no system call).  Nothing is reserved there (a PROT_NONE reservation
 * would count against RLIMIT_AS): each mapping is made with
 * MAP_FIXED_NOREPLACE at the next free address, so it never replaces
 * anything, and one that finds the place taken moves on; when the region
 * is used up or refuses (a small address space), the kernel chooses.
 *
 * Internals: a bump pointer and a short list of ranges the library
 * unmapped, reused first fit (so that a create-remove cycle maps the same
 * addresses again, whose page tables are still there).  Nothing mapped
 * here is ever handed to the program: attachments are mapped where the
 * kernel chooses (shm.c).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

/*
 * ThreadSanitizer and MemorySanitizer allow application memory only in
 * ranges of their own and keep their shadow where our region would be
 * (an mmap there is fatal): under them the kernel chooses.  (ASan's
 * high memory covers the region.)
 */
#if defined(__SANITIZE_THREAD__)
#define SPACE_REGION	0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define SPACE_REGION	0
#endif
#endif
#ifndef SPACE_REGION
#define SPACE_REGION	1
#endif

#define FREE_MAX	64
#define PLACE_TRIES	8

static struct {
	uintptr_t lo, hi;	/* the region, [lo, hi); 0: not chosen yet */
	uintptr_t next;		/* bump pointer */
	uintptr_t ztop;		/* ipc_zalloc()'s pages grow down from hi
				 * to here (0: none yet) */
	struct { uintptr_t a; size_t len; } free[FREE_MAX];
	int nfree;
} sp;
static pthread_mutex_t sp_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t sp_once = PTHREAD_ONCE_INIT;

static void sp_lock(void)
{
	pthread_mutex_lock(&sp_mu);
}

static void sp_unlock(void)
{
	pthread_mutex_unlock(&sp_mu);
}

static void space_choose(void)
{
	const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
	uintptr_t top = rnd ? (uintptr_t)rnd : (uintptr_t)&rnd, span, off = 0;

	/* the initial stack (AT_RANDOM's bytes are on it) sits near the top
	 * of the user address space, whatever thread calls first */
	top = (uintptr_t)1 << (64 - __builtin_clzl(top));
	sp.lo = top / 8;
	sp.hi = top / 4;
	span = (sp.hi - sp.lo) / 2;
	if (rnd)
		for (int i = 8; i < 16; i++)
			off = off << 8 | rnd[i];
	sp.next = sp.lo + (off % span & ~(uintptr_t)0x1fffff);
}

/* A fork by another thread must not copy the lock held.  Registered
 * without it held: fork() holds its own lock while it calls sp_lock(). */
static void sp_atfork(void)
{
	pthread_atfork(sp_lock, sp_unlock, sp_unlock);
}

/* A place for @len bytes; the caller maps it with MAP_FIXED_NOREPLACE. */
static uintptr_t space_take(size_t len)
{
	uintptr_t a;

	for (int i = 0; i < sp.nfree; i++) {
		if (sp.free[i].len < len)
			continue;
		a = sp.free[i].a;
		sp.free[i].a += len;
		sp.free[i].len -= len;
		if (!sp.free[i].len)
			sp.free[i] = sp.free[--sp.nfree];
		return a;
	}
	if (sp.next + len < sp.next ||
	    sp.next + len > (sp.ztop ? sp.ztop : sp.hi))
		return 0;
	a = sp.next;
	sp.next += len;
	return a;
}

/* Give [a, a + len) back to the list (joined to a neighbour if one). */
static void space_give(uintptr_t a, size_t len)
{
	for (int i = 0; i < sp.nfree; i++) {
		if (sp.free[i].a + sp.free[i].len == a) {
			sp.free[i].len += len;
			return;
		}
		if (a + len == sp.free[i].a) {
			sp.free[i].a = a;
			sp.free[i].len += len;
			return;
		}
	}
	if (a + len == sp.next)
		sp.next = a;
	else if (sp.nfree < FREE_MAX)
		sp.free[sp.nfree++] = (typeof(sp.free[0])){ a, len };
	/* else: lost to reuse, still never the program's */
}

/*
 * ipc_space_map - mmap() for the library's own mappings of object files:
 * same arguments (no address), same result (MAP_FAILED with errno).
 */
void *ipc_space_map(size_t len, int prot, int flags, int fd, off_t off)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	void *p;

	len = (len + ps - 1) & ~(ps - 1);
	pthread_once(&sp_once, sp_atfork);
	for (int i = 0; SPACE_REGION && i < PLACE_TRIES; i++) {
		uintptr_t a;

		sp_lock();
		if (!sp.lo)
			space_choose();
		a = space_take(len);
		sp_unlock();
		if (!a)
			break;
		p = mmap((void *)a, len, prot, flags | MAP_FIXED_NOREPLACE, fd,
			 off);
		if (p == (void *)a)
			return p;
		if (p != MAP_FAILED) {	/* a kernel without NOREPLACE */
			munmap(p, len);
			break;
		}
		if (errno != EEXIST)
			break;
		/* taken by someone else: leave it to them, try further on */
	}
	return mmap(NULL, len, prot, flags, fd, off);
}

/* ipc_space_unmap - munmap() for what ipc_space_map() returned. */
void ipc_space_unmap(void *p, size_t len)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	uintptr_t a = (uintptr_t)p;

	len = (len + ps - 1) & ~(ps - 1);
	munmap(p, len);
	sp_lock();
	if (a >= sp.lo && a + len <= sp.hi)
		space_give(a, len);
	sp_unlock();
}

/*
 * The library's own small structures (an object's private record, a
 * type's per-object state) come from pages of the region too: a malloc
 * may map memory of its own (musl's does, for a new group), which could
 * take an address the program just freed and means to attach at.
 * Blocks of 64 << class bytes, a 16-byte header naming the class; what
 * is too big for the largest class comes from malloc (class ZBIG).
 */
#define ZCLASSES	6		/* 64 .. 2048 bytes */
/* under LeakSanitizer, malloc: it does not look for pointers in our pages */
#if defined(__SANITIZE_ADDRESS__)
#define ZMALLOC		1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ZMALLOC		1
#endif
#endif
#ifndef ZMALLOC
#define ZMALLOC		0
#endif
#define ZHDR		16
#define ZBIG		0xffu

static void *zlist[ZCLASSES];
static pthread_mutex_t z_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t z_once = PTHREAD_ONCE_INIT;

static void z_lock(void)
{
	pthread_mutex_lock(&z_mu);
}

static void z_unlock(void)
{
	pthread_mutex_unlock(&z_mu);
}

static void z_atfork(void)
{
	pthread_atfork(z_lock, z_unlock, z_unlock);
}

/*
 * A page for ipc_zalloc(), from the top of the region down, apart from
 * the object mappings that grow up from its bottom (which a program may
 * find next to each other); never given back.
 */
static char *zpage(size_t ps)
{
	uintptr_t a = 0;
	void *p;

	if (SPACE_REGION) {
		pthread_once(&sp_once, sp_atfork);
		sp_lock();
		if (!sp.lo)
			space_choose();
		if (!sp.ztop)
			sp.ztop = sp.hi;
		if (sp.ztop - ps >= sp.next) {
			sp.ztop -= ps;
			a = sp.ztop;
		}
		sp_unlock();
	}
	if (a) {
		p = mmap((void *)a, ps, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (p == (void *)a)
			return p;
		if (p != MAP_FAILED)
			munmap(p, ps);
	}
	return mmap(NULL, ps, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

/* ipc_zalloc - @n zeroed bytes, 16-aligned, given back with ipc_zfree(). */
void *ipc_zalloc(size_t n)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE), bs;
	unsigned c = 0;
	char *b;

	while (c < ZCLASSES && ((size_t)64 << c) < n + ZHDR)
		c++;
	if (c == ZCLASSES || ZMALLOC) {
		b = calloc(1, n + ZHDR);
		if (!b)
			return NULL;
		*(uint64_t *)(void *)b = ZBIG;
		return b + ZHDR;
	}
	bs = (size_t)64 << c;
	pthread_once(&z_once, z_atfork);
	z_lock();
	if (!zlist[c]) {
		char *pg = zpage(ps);

		if (pg == MAP_FAILED) {
			z_unlock();
			return NULL;
		}
		for (size_t off = 0; off + bs <= ps; off += bs) {
			*(void **)(void *)(pg + off) = zlist[c];
			zlist[c] = pg + off;
		}
	}
	b = zlist[c];
	zlist[c] = *(void **)(void *)b;
	z_unlock();
	memset(b, 0, bs);
	*(uint64_t *)(void *)b = c;
	return b + ZHDR;
}

void ipc_zfree(void *p)
{
	char *b = p ? (char *)p - ZHDR : NULL;
	uint64_t c;

	if (!b)
		return;
	c = *(uint64_t *)(void *)b;
	if (c == ZBIG) {
		free(b);
		return;
	}
	z_lock();
	*(void **)(void *)b = zlist[c];
	zlist[c] = b;
	z_unlock();
}
