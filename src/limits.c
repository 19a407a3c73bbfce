// SPDX-License-Identifier: MIT
/*
 * limits.c - the limits a namespace enforces.
 *
 * Behaviour: by default the running kernel's, read from
 * /proc/sys/kernel/{msgmax,msgmnb,msgmni,sem,shmmax,shmall,shmmni}, so a
 * program sees the same limits under uipc and under the kernel.  A
 * namespace may override any of them in the text file uipc.limits in its
 * directory, one "name value" or "name=value" per line, with the names of
 * those /proc files (and semmsl, semmns, semopm, semmni for the four
 * fields of "sem").  Lines starting with '#' are comments.
 *
 * Internals: *_INFO and ctl calls read the limits afresh (lim_get, or
 * lim_get_type for just one type's files); get calls (lim_quick) and
 * fast paths (lim_cached, each thread its own) use a copy refreshed at
 * most once a second, and re-read before failing on a limit, so a limit
 * raised a moment ago is honoured at once and one lowered in /proc/sys takes effect within a
 * second.  A change to uipc.limits is seen by the next get call: it
 * compares the file's identity (inode, size, times) with the copy's.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static struct uipc_limits cache;	/* under lim_mu */
static int64_t cache_stamp;	/* CLOCK_MONOTONIC_COARSE seconds, 0 = none */
static uint32_t cache_gen;	/* bumped (under lim_mu) when cache changes */

/*
 * What lim_cached() hands out: each thread's own copy of cache, taken
 * again when cache_gen has moved, so that no caller reads the shared copy
 * while another thread rewrites it, and the fast path takes no lock.
 */
static __thread struct uipc_limits tl_cache;
static __thread uint32_t tl_gen;	/* 0: none */

/* Which uipc.limits the cache was read from (absent: all zero). */
struct file_ident {
	uint64_t ino, size;
	int64_t mtime_ns, ctime_ns;
};
static struct file_ident cache_ovr;

static void ident_of(const struct stat *st, struct file_ident *id)
{
	id->ino = st->st_ino;
	id->size = (uint64_t)st->st_size;
	id->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	id->ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
}
static pthread_mutex_t lim_mu = PTHREAD_MUTEX_INITIALIZER;

static int read_small(int dirfd, const char *path, char *buf, size_t len)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = '\0';
	return 0;
}

static void read_proc_ulong(const char *name, unsigned long *v)
{
	char path[64], buf[64];

	snprintf(path, sizeof(path), "/proc/sys/kernel/%s", name);
	if (read_small(AT_FDCWD, path, buf, sizeof(buf)) == 0)
		*v = strtoul(buf, NULL, 10);
}

static void read_proc_long(const char *name, long *v)
{
	unsigned long u = (unsigned long)*v;

	read_proc_ulong(name, &u);
	*v = (long)u;
}

static void apply_override(struct uipc_limits *l, const char *name,
			   unsigned long v)
{
	static const struct {
		const char *name;
		size_t off;
		bool ulong;
	} tab[] = {
#define L(f, u) { #f, offsetof(struct uipc_limits, f), u }
		L(msgmax, 0), L(msgmnb, 0), L(msgmni, 0), L(semmsl, 0),
		L(semmns, 0), L(semopm, 0), L(semmni, 0), L(shmmax, 1),
		L(shmall, 1), L(shmmni, 1),
#undef L
	};

	for (size_t i = 0; i < ARRAY_SIZE(tab); i++) {
		if (strcmp(tab[i].name, name))
			continue;
		if (tab[i].ulong)
			*(unsigned long *)((char *)l + tab[i].off) = v;
		else
			*(long *)((char *)l + tab[i].off) = (long)v;
	}
}

/*
 * Overrides decide for every user of the namespace, so they count only
 * from a file that root or the directory's owner wrote and nobody else
 * may write (docs/security.md); any other uipc.limits is ignored.
 */
static bool lim_file_trusted(const struct ns *ns, const struct stat *st)
{
	if (S_ISREG(st->st_mode) && (st->st_uid == 0 || st->st_uid == ns->owner) &&
	    !(st->st_mode & (S_IWGRP | S_IWOTH)))
		return true;
	if (getenv("UIPC_DEBUG"))
		fprintf(stderr, "uipc: %s/uipc.limits ignored: it must belong "
			"to root or the directory's owner and be writable by "
			"nobody else\n", ns->root);
	return false;
}

static void read_overrides(struct uipc_limits *l, struct file_ident *ident)
{
	struct ns *ns = ns_get();
	char buf[4096], *line, *save;
	struct stat st;
	ssize_t n;
	int fd;

	memset(ident, 0, sizeof(*ident));
	if (IS_ERR(ns))
		return;
	fd = openat(ns_dir(ns), "uipc.limits", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || !lim_file_trusted(ns, &st)) {
		close(fd);
		return;
	}
	ident_of(&st, ident);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[32];
		unsigned long v;

		if (line[0] == '#')
			continue;
		if (sscanf(line, " %31[a-z] = %lu", name, &v) == 2 ||
		    sscanf(line, " %31[a-z] %lu", name, &v) == 2)
			apply_override(l, name, v);
	}
}

/*
 * lim_get_type - the limits, with those of @type (UIPC_T_*, or -1 for
 * all) read afresh: a get or ctl call reads just the files it needs.
 */
int lim_get_type(struct uipc_limits *out, int type)
{
	/* the kernel's defaults, should /proc be unreadable */
	static const struct uipc_limits dflt = {
		.msgmax = 8192, .msgmnb = 16384, .msgmni = 32000,
		.semmsl = 32000, .semmns = 1024000000, .semopm = 500,
		.semmni = 32000, .shmmax = ~0UL - (1UL << 24),
		.shmall = ~0UL - (1UL << 24), .shmmni = 4096,
	};
	struct uipc_limits l;
	struct file_ident ovr;
	struct timespec now;
	char buf[128];

	pthread_mutex_lock(&lim_mu);
	l = cache_stamp ? cache : dflt;
	if (!cache_stamp)
		type = -1;
	pthread_mutex_unlock(&lim_mu);
	if (type < 0 || type == UIPC_T_MSG) {
		l.msgmax = dflt.msgmax;
		l.msgmnb = dflt.msgmnb;
		l.msgmni = dflt.msgmni;
		read_proc_long("msgmax", &l.msgmax);
		read_proc_long("msgmnb", &l.msgmnb);
		read_proc_long("msgmni", &l.msgmni);
	}
	if (type < 0 || type == UIPC_T_SHM) {
		l.shmmax = dflt.shmmax;
		l.shmall = dflt.shmall;
		l.shmmni = dflt.shmmni;
		read_proc_ulong("shmmax", &l.shmmax);
		read_proc_ulong("shmall", &l.shmall);
		read_proc_ulong("shmmni", &l.shmmni);
	}
	if (type < 0 || type == UIPC_T_SEM) {
		l.semmsl = dflt.semmsl;
		l.semmns = dflt.semmns;
		l.semopm = dflt.semopm;
		l.semmni = dflt.semmni;
		if (read_small(AT_FDCWD, "/proc/sys/kernel/sem", buf,
			       sizeof(buf)) == 0)
			sscanf(buf, "%ld %ld %ld %ld", &l.semmsl, &l.semmns,
			       &l.semopm, &l.semmni);
	}
	read_overrides(&l, &ovr);

	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	pthread_mutex_lock(&lim_mu);
	cache = l;
	cache_ovr = ovr;
	/* never 0, which a thread's copy uses for "none" */
	store_release(&cache_gen, cache_gen + 1 ? cache_gen + 1 : 1);
	/* only a full read makes the copy fresh for the fast paths */
	if (type < 0 || !cache_stamp)
		WRITE_ONCE(cache_stamp, now.tv_sec + 1);
	pthread_mutex_unlock(&lim_mu);
	if (out)
		*out = l;
	return 0;
}

int lim_get(struct uipc_limits *out)
{
	return lim_get_type(out, -1);
}

/*
 * lim_cached - the limits for a fast path: this thread's copy, valid
 * until the thread's next call.  No lock and no system call (the coarse
 * clock is read in the vDSO) unless the copy is a second old or another
 * thread refreshed it.  A refresh that finds lim_mu taken keeps the copy
 * it has: a signal handler's call may run while its thread holds lim_mu
 * (and may then see that copy half refreshed: each field old or new).
 */
const struct uipc_limits *lim_cached(void)
{
	struct timespec now;
	uint32_t gen;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	if (unlikely(READ_ONCE(cache_stamp) == 0 ||
		     now.tv_sec + 1 - READ_ONCE(cache_stamp) >= 1))
		lim_get(NULL);
	gen = load_acquire(&cache_gen);
	if (unlikely(gen != tl_gen)) {
		if (!tl_gen)
			pthread_mutex_lock(&lim_mu);
		else if (pthread_mutex_trylock(&lim_mu))
			return &tl_cache;
		tl_cache = cache;
		tl_gen = cache_gen;
		pthread_mutex_unlock(&lim_mu);
	}
	return &tl_cache;
}

/*
 * The namespace directory as it was when uipc.limits was last found
 * missing.  While the directory is unchanged the file cannot have
 * appeared, so the status the call's descriptor check already took
 * (ns_dir_stat) replaces the lookup: tmpfs keeps no negative dentries,
 * and a lookup of a missing name allocating and freeing one took 3 us of
 * a 3.3 us semget.  Noted only when the directory's times are 10 ms old
 * (timestamps are taken from a clock that ticks every 1 to 4 ms): a file
 * created within the same tick might leave them as they were.  Under
 * lim_mu.
 */
static struct {
	uint64_t dev;
	struct file_ident dir;
	bool valid;
} ovr_absent;

#define LIM_DIR_SETTLED_NS	10000000

static bool ovr_known_absent(const struct stat *ds)
{
	struct file_ident id;
	bool r;

	ident_of(ds, &id);
	pthread_mutex_lock(&lim_mu);
	r = ovr_absent.valid && ovr_absent.dev == (uint64_t)ds->st_dev &&
	    !memcmp(&ovr_absent.dir, &id, sizeof(id));
	pthread_mutex_unlock(&lim_mu);
	return r;
}

static void ovr_note_absent(const struct stat *ds)
{
	struct file_ident id;
	struct timespec now;
	int64_t now_ns;

	clock_gettime(CLOCK_REALTIME, &now);
	now_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	ident_of(ds, &id);
	pthread_mutex_lock(&lim_mu);
	ovr_absent.valid = now_ns - id.mtime_ns >= LIM_DIR_SETTLED_NS &&
			   now_ns - id.ctime_ns >= LIM_DIR_SETTLED_NS;
	ovr_absent.dev = (uint64_t)ds->st_dev;
	ovr_absent.dir = id;
	pthread_mutex_unlock(&lim_mu);
}

/*
 * lim_quick - the limits for a get call, which re-reads them with
 * lim_get_type() before failing on one: the cached copy, re-read when a
 * second old or when uipc.limits changed (one fstatat tells, or the
 * directory's status while the file is missing: above).  So a raised
 * limit, and any change to uipc.limits, applies at once; a limit lowered
 * in /proc/sys within a second.
 */
void lim_quick(struct uipc_limits *out)
{
	struct ns *ns = ns_get();
	struct file_ident now_ovr = { 0 };
	struct stat st, ds;

	if (!IS_ERR(ns)) {
		int dfd = ns_dir_stat(ns, &ds);

		if (dfd < 0 || !ovr_known_absent(&ds)) {
			if (fstatat(ns_dir(ns), "uipc.limits", &st,
				    AT_SYMLINK_NOFOLLOW) == 0)
				ident_of(&st, &now_ovr);
			else if (errno == ENOENT && dfd >= 0)
				ovr_note_absent(&ds);
		}
	}
	lim_cached();
	pthread_mutex_lock(&lim_mu);
	if (memcmp(&now_ovr, &cache_ovr, sizeof(now_ovr))) {
		pthread_mutex_unlock(&lim_mu);
		lim_get(out);
		return;
	}
	*out = cache;
	pthread_mutex_unlock(&lim_mu);
}
