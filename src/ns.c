// SPDX-License-Identifier: MIT
/*
 * ns.c - the namespace directory, and the names that find its objects.
 *
 * Behaviour: the namespace is the directory $UIPC_ROOT (default
 * /dev/shm/uipc).  Identifiers follow the kernel's scheme (ipc/util.c,
 * ipc_idr_alloc): index + seq * 32768, indexes handed out cyclically below
 * max(in_use * 3 / 2, 64), the sequence bumped whenever the search wraps
 * to a lower index.  A fresh namespace hands out 0, 1, 2, ... like a
 * fresh kernel.
 *
 * Trust: no file that every user may write decides anything for other
 * users' objects.  The directory itself is the only shared structure, and
 * the kernel guards each of its names: in a sticky directory anybody may
 * create a name that does not exist, and only the name's owner (or the
 * directory's, or root) may remove or replace it.  So every decision is a
 * name, and "first creator wins, only the owner removes" comes for free:
 *
 *   <t>.i<idx>   symlink, target "<id> <usage>": index idx is taken by id
 *                (usage: semaphores of a set, pages of a segment, for the
 *                namespace-wide limits).  Claimed with symlinkat(), which
 *                fails with EEXIST if anybody holds the index.
 *   <t>.<id>     the object file (layout.h), owned by the object's owner.
 *   <t>.k<key>   symlink, target "<id> <extra>": the object under key
 *                (eight hex digits; extra: nsems of a set, the size of a
 *                segment, so that a get needs no access to the file).
 *   uipc.ids.<uid>  where the cyclic search of uid's creations goes on
 *                (hints only; a hint someone else wrote is never read).
 *   uipc.limits  overrides of the kernel's limits, read only when owned by
 *                root or the directory's owner and writable by nobody else.
 *
 * A symlink counts only when its owner is the object file's owner or
 * root: a name that another user made up names nothing of ours (it is
 * treated as an object of theirs, as a kernel key taken by another user
 * is).  The directory must be owned by root or by us, not be a symlink,
 * and be sticky if others may write it.
 *
 * Internals: the directory descriptor stays open (close-on-exec) for the
 * life of the process: it is the one descriptor uipc keeps.  Read-only
 * mode (uipc_set_readonly()) creates nothing: a missing directory is an
 * empty namespace.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define UIPC_DEFAULT_ROOT	"/dev/shm/uipc"
#define OLD_REG_NAME		"uipc.registry"	/* format 6 and before */
#define TMPFS_MAGIC_		0x01021994
#define RAMFS_MAGIC_		0x858458f6
#define BOGO_DIRENT		20	/* tmpfs: bytes of st_size per entry */

const char *const ns_type_name[UIPC_NTYPES] = { "msg", "sem", "shm" };

static struct ns the_ns;
static int ns_err;		/* 0 until tried; then 1 (ok) or -errno */
int ns_ro;			/* UIPC_READONLY, UIPC_NOREPAIR, or 0 */
static pthread_mutex_t ns_mu = PTHREAD_MUTEX_INITIALIZER;

void ns_obj_name(char *buf, size_t len, int type, int id)
{
	snprintf(buf, len, "%s.%d", ns_type_name[type], id);
}

static void idx_name(char *buf, size_t len, int type, int idx)
{
	snprintf(buf, len, "%s.i%d", ns_type_name[type], idx);
}

static void key_name(char *buf, size_t len, int type, int32_t key)
{
	snprintf(buf, len, "%s.k%08x", ns_type_name[type], (uint32_t)key);
}

#define NS_YOUNG_NS	1000000000LL	/* see idx_young() */
static bool idx_young(struct ns *ns, int type, int id);

/* Why the namespace was last refused (uipc_namespace()), under ns_mu. */
static char ns_why[sizeof(the_ns.root) + 256];

static void ns_say(const char *root, const char *why)
{
	snprintf(ns_why, sizeof(ns_why), "%s: %s", root, why);
	if (getenv("UIPC_DEBUG"))
		fprintf(stderr, "uipc: namespace %s\n", ns_why);
}

/*
 * ns_check_path - may we trust the directory @root?  Every symlink on the
 * way must belong to root or to us (another user could point it
 * elsewhere), and the last component may not be one at all.
 */
static int ns_check_path(const char *root)
{
	char path[sizeof(the_ns.root)];
	uid_t me = geteuid();
	struct stat st;
	size_t n = strlen(root);

	if (n >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, root, n + 1);
	while (n > 1 && path[n - 1] == '/')
		path[--n] = '\0';
	for (char *p = path + 1;; p++) {
		bool last = *p == '\0';

		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
			if (last) {
				ns_say(root, "is a symbolic link; refused");
				return -ELOOP;
			}
			if (st.st_uid != 0 && st.st_uid != me) {
				ns_say(root, "is reached through a symbolic "
				       "link of another user; refused");
				return -ELOOP;
			}
		}
		if (last)
			return 0;
		*p = '/';
	}
}

/*
 * ns_check_dir - the directory we opened: owned by root or by us, and
 * sticky if anybody else may write it.  -EPERM if not.
 */
static int ns_check_dir(const char *root, const struct stat *st)
{
	uid_t me = geteuid();

	if (!S_ISDIR(st->st_mode))
		return -ENOTDIR;
	if (st->st_uid != 0 && st->st_uid != me) {
		ns_say(root, "belongs to another user; refused (use a "
		       "directory owned by root, mode 1777, or your own)");
		return -EPERM;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(st->st_mode & S_ISVTX)) {
		ns_say(root, "may be written by others and is not sticky; "
		       "refused (chmod +t)");
		return -EPERM;
	}
	return 0;
}

static int ns_make_dir(const char *root, bool dflt)
{
	if (ns_ro)
		return 0;	/* observe only: create nothing */
	if (geteuid() != 0 && dflt) {
		/*
		 * The shared namespace is root's to make (tmpfiles.d does at
		 * boot): a user who made it would own everybody's.
		 */
		if (access(root, F_OK) < 0 && errno == ENOENT) {
			ns_say(root, "does not exist; as root, create it with "
			       "'install -d -m 1777 " UIPC_DEFAULT_ROOT "' "
			       "(make install adds a tmpfiles.d entry), or "
			       "set UIPC_ROOT to a directory of your own");
			return -ENOENT;
		}
		return 0;
	}
	/* root makes a shared one; a user a private one */
	if (mkdir(root, geteuid() == 0 ? 01777 : 0700) == 0) {
		if (geteuid() == 0)
			chmod(root, 01777);	/* mkdir's mode is masked */
	} else if (errno != EEXIST) {
		int err = -errno;

		if (access(root, F_OK) == 0)
			return 0;	/* there all the same (read-only fs...) */
		ns_say(root, err == -ENOENT ? "does not exist, and neither "
		       "does its parent directory" : err == -EACCES ?
		       "does not exist, and may not be created here "
		       "(permission denied on its parent directory)" :
		       "does not exist, and cannot be created");
		return err;
	}
	return 0;
}

static int ns_open(struct ns *ns)
{
	const char *root = getenv("UIPC_ROOT");
	bool dflt = !root || !*root;
	struct statfs sfs;
	struct stat st;
	int err;

	if (dflt)
		root = UIPC_DEFAULT_ROOT;
	snprintf(ns->root, sizeof(ns->root), "%s", root);
	ns_why[0] = '\0';
	err = ns_check_path(root);
	if (err)
		return err;
	err = ns_make_dir(root, dflt);
	if (err)
		return err;
	ns->dirfd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (ns->dirfd < 0 && errno == ENOENT && ns_ro) {
		ns->empty = true;	/* no directory: nothing in it */
		return 0;
	}
	if (ns->dirfd < 0) {
		err = -errno;
		ns_say(root, errno == EACCES ? "permission denied" :
		       errno == ENOENT ? "does not exist" : "cannot be opened");
		return err;
	}
	if (fstat(ns->dirfd, &st) < 0) {
		err = -errno;
		goto fail;
	}
	err = ns_check_dir(root, &st);
	if (err)
		goto fail;
	if (faccessat(ns->dirfd, OLD_REG_NAME, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		fprintf(stderr, "uipc: %s holds objects of an older uipc "
			"(format 6 or before), which this one cannot use; "
			"remove it when no program uses it "
			"(rm -r %s)\n", root, root);
		err = -EPROTO;
		goto fail;
	}
	ns->dev = st.st_dev;
	ns->ino = st.st_ino;
	ns->owner = st.st_uid;
	ns->tmpfs = fstatfs(ns->dirfd, &sfs) == 0 &&
		    (sfs.f_type == TMPFS_MAGIC_ || sfs.f_type == RAMFS_MAGIC_);
	return 0;
fail:
	close(ns->dirfd);
	ns->dirfd = -1;
	return err;
}

/*
 * ns_dir - the namespace directory's descriptor, checked: a program may
 * close or reuse our descriptor (daemons close everything); then we open
 * the directory again (and leave the descriptor number alone).  Checked
 * once per public call (ns_call_begin): within one call the program
 * cannot close it unless another of its threads does, which it could do
 * between our check and our use just as well.
 */
__thread unsigned ns_call_seq = 1;
static __thread unsigned dir_checked_seq;
static __thread struct stat dir_st;	/* what this call's check saw */

int ns_dir(struct ns *ns)
{
	struct stat st;
	int fd;

	if (dir_checked_seq == ns_call_seq)
		return ns->dirfd;
	if (ns->empty)
		return -1;
	if (fstat(ns->dirfd, &st) == 0 && st.st_dev == ns->dev &&
	    st.st_ino == ns->ino) {
		dir_checked_seq = ns_call_seq;
		dir_st = st;
		return ns->dirfd;
	}
	pthread_mutex_lock(&ns_mu);
	fd = open(ns->root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == ns->dev &&
	    st.st_ino == ns->ino) {
		ns->dirfd = fd;
		dir_checked_seq = ns_call_seq;
		dir_st = st;
	} else if (fd >= 0) {
		close(fd);
	}
	pthread_mutex_unlock(&ns_mu);
	return ns->dirfd;
}

/*
 * ns_dir_stat - ns_dir(), and in *@st the directory's status as this
 * call's check of the descriptor saw it (so within one public call).
 * Returns the descriptor, or -1 (then *@st is unset) if it is not ours.
 */
int ns_dir_stat(struct ns *ns, struct stat *st)
{
	int fd = ns_dir(ns);

	if (dir_checked_seq != ns_call_seq)
		return -1;
	*st = dir_st;
	return fd;
}

/*
 * ns_get - the namespace of this process, opened on first use.  A failure
 * is not remembered: the next call tries again (the directory may have
 * been created or fixed in between).
 */
struct ns *ns_get(void)
{
	int err;

	if (likely(load_acquire(&ns_err) == 1))
		return &the_ns;
	pthread_mutex_lock(&ns_mu);
	if (ns_err != 1) {
		err = ns_open(&the_ns);
		store_release(&ns_err, err ? err : 1);
	}
	err = ns_err;
	pthread_mutex_unlock(&ns_mu);
	return err == 1 ? &the_ns : ERR_PTR(err);
}

/*
 * ns_status - uipc_namespace(): 0 and the directory in @buf, or -errno and
 * why it cannot be used.
 */
int ns_status(char *buf, size_t len)
{
	struct ns *ns = ns_get();

	pthread_mutex_lock(&ns_mu);
	if (IS_ERR(ns))
		snprintf(buf, len, "%s", ns_why[0] ? ns_why :
			 strerror((int)-PTR_ERR(ns)));
	else
		snprintf(buf, len, "%s", ns->root);
	pthread_mutex_unlock(&ns_mu);
	return IS_ERR(ns) ? (int)PTR_ERR(ns) : 0;
}

/*
 * ns_set_readonly - uipc_set_readonly(): only before the namespace is
 * first used (or tried); asking again for the mode in force is fine.
 */
int ns_set_readonly(int mode)
{
	int err = 0;

	if (mode != 0 && mode != UIPC_READONLY && mode != UIPC_NOREPAIR)
		return -EINVAL;
	pthread_mutex_lock(&ns_mu);
	if (ns_err != 0 && mode != ns_ro)
		err = -EBUSY;
	else
		WRITE_ONCE(ns_ro, mode);
	pthread_mutex_unlock(&ns_mu);
	return err;
}

/* ---- the names ---- */


/* How long ago name @name was made (its ctime), or -1. */
static int64_t name_age_ns(struct ns *ns, const char *name)
{
	struct stat st;
	struct timespec now;

	if (fstatat(ns_dir(ns), name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	clock_gettime(CLOCK_REALTIME, &now);
	return (now.tv_sec - st.st_ctim.tv_sec) * 1000000000LL +
	       (now.tv_nsec - st.st_ctim.tv_nsec);
}

static bool name_old(struct ns *ns, const char *name)
{
	return name_age_ns(ns, name) >= NS_YOUNG_NS;
}



/*
 * Read symlink @name: "<a> <b>" into *@a, *@b, its owner into *@uid
 * (unless @uid is NULL: one system call less).  -ENOENT if there is
 * none; UIPC_CORRUPT if it is something else.
 */
static int link_read(struct ns *ns, const char *name, int64_t *a, uint64_t *b,
		     uid_t *uid)
{
	char buf[64], *end;
	struct stat st;
	ssize_t n;
	long long va;
	unsigned long long vb = 0;

	if (ns->empty)
		return -ENOENT;
	n = readlinkat(ns_dir(ns), name, buf, sizeof(buf) - 1);
	if (n < 0)
		return errno == EINVAL ? UIPC_CORRUPT : -errno;
	buf[n] = '\0';
	va = strtoll(buf, &end, 10);
	if (end == buf || va < 0 || va > INT32_MAX)
		return UIPC_CORRUPT;
	if (*end == ' ')
		vb = strtoull(end + 1, &end, 10);
	if (*end)
		return UIPC_CORRUPT;
	*a = va;
	*b = vb;
	if (!uid)
		return 0;	/* the caller asks for the owner later, if at all */
	if (fstatat(ns_dir(ns), name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISLNK(st.st_mode))
		return UIPC_CORRUPT;
	*uid = st.st_uid;
	return 0;
}

int ns_idx_read(struct ns *ns, int type, int idx, int *id, uint64_t *usage,
		uid_t *uid)
{
	char name[64];
	int64_t a;
	int err;

	idx_name(name, sizeof(name), type, idx);
	err = link_read(ns, name, &a, usage, uid);
	if (!err)
		*id = (int)a;
	if (!err && ipc_idx(*id) != idx)
		err = UIPC_CORRUPT;
	return err;
}

int ns_key_read(struct ns *ns, int type, int32_t key, int *id, uint64_t *extra,
		uid_t *uid)
{
	char name[64];
	int64_t a;
	int err;

	key_name(name, sizeof(name), type, key);
	err = link_read(ns, name, &a, extra, uid);
	if (!err)
		*id = (int)a;
	return err;
}

static int link_make(struct ns *ns, const char *name, int id, uint64_t b)
{
	char target[64];

	snprintf(target, sizeof(target), "%d %llu", id, (unsigned long long)b);
	return symlinkat(target, ns_dir(ns), name) < 0 ? -errno : 0;
}

/* The owner of key @key's name, or (uid_t)-1. */
uid_t ns_key_owner(struct ns *ns, int type, int32_t key)
{
	char name[64];
	struct stat st;

	key_name(name, sizeof(name), type, key);
	if (fstatat(ns_dir(ns), name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISLNK(st.st_mode))
		return (uid_t)-1;
	return st.st_uid;
}

int ns_key_claim(struct ns *ns, int type, int32_t key, int id, uint64_t extra)
{
	char name[64];

	key_name(name, sizeof(name), type, key);
	return link_make(ns, name, id, extra);
}

/*
 * The names lock.  Removing a name that names object X is "look, then
 * unlink": between the two, another process could remove the same name
 * and a creator make it anew for a new object, and our unlink would take
 * that one.  So every removal of a name (and of a leftover file) looks
 * and unlinks under one lock of the namespace: flock() on a descriptor
 * of the directory of our own (flock belongs to the open file
 * description: one per call, not shared with threads or children), which
 * the kernel drops if its holder dies.  Making a name needs no lock: it
 * succeeds only where none is.  Anybody who can open the directory can
 * take it, so it is never waited for longer than NAMES_WAIT_NS: a user
 * who holds it only delays removals, after which they go on without it
 * (docs/security.md).  Nested takes by one thread count.
 */
#define NAMES_WAIT_NS	200000000L	/* at most this long */
#define NAMES_SPINS	64		/* yields before naps */

static __thread int names_fd = -1;
static __thread int names_depth;

void ns_names_lock(struct ns *ns)
{
	int64_t t0;
	int fd;

	if (names_depth++)
		return;
	fd = openat(ns_dir(ns), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	t0 = mono_ns();
	for (int i = 0;; i++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			names_fd = fd;
			return;
		}
		if (errno != EWOULDBLOCK && errno != EINTR)
			break;
		if (mono_ns() - t0 > NAMES_WAIT_NS) {
			ns_say(ns->root, "names lock held too long; going on");
			break;
		}
		if (i < NAMES_SPINS)
			sched_yield();
		else
			fx_nap(1000000L, NULL);
	}
	close(fd);
}

void ns_names_unlock(void)
{
	if (--names_depth)
		return;
	if (names_fd >= 0)
		close(names_fd);	/* and the lock goes with it */
	names_fd = -1;
}

/* link_drop - remove symlink @name if it says @id.  0, or -errno. */
static int link_drop(struct ns *ns, const char *name, int id)
{
	uint64_t b;
	int64_t a;
	uid_t uid;
	int err;

	ns_names_lock(ns);
	err = link_read(ns, name, &a, &b, &uid);
	if (!err && a != id)
		err = -ESTALE;
	else if (!err || err == -EUCLEAN)	/* junk under our name goes */
		err = unlinkat(ns_dir(ns), name, 0) < 0 ? -errno : 0;
	ns_names_unlock();
	return err;
}

int ns_key_drop(struct ns *ns, int type, int32_t key, int id)
{
	char name[64];

	key_name(name, sizeof(name), type, key);
	return link_drop(ns, name, id);
}

/*
 * ns_idx_retarget - our index name of @id names @nid instead (the same
 * index, another sequence), replaced in one step.  0 or -errno.
 */
int ns_idx_retarget(struct ns *ns, int type, int id, int nid, uint64_t usage)
{
	char name[64], tmp[64];
	uint64_t u;
	uid_t uid;
	int cur, err;

	if (ipc_idx(nid) != ipc_idx(id))
		return -EINVAL;
	err = ns_idx_read(ns, type, ipc_idx(id), &cur, &u, &uid);
	if (err || cur != id || uid != geteuid())
		return err ? err : -ESTALE;
	idx_name(name, sizeof(name), type, ipc_idx(id));
	snprintf(tmp, sizeof(tmp), ".new.%d.%llx", (int)getpid(),
		 (unsigned long long)mono_ns());
	err = link_make(ns, tmp, nid, usage);
	if (err)
		return err;
	if (renameat(ns_dir(ns), tmp, ns_dir(ns), name) < 0) {
		err = -errno;
		unlinkat(ns_dir(ns), tmp, 0);
	}
	return err;
}

int ns_idx_drop(struct ns *ns, int type, int id)
{
	char name[64];

	idx_name(name, sizeof(name), type, ipc_idx(id));
	return link_drop(ns, name, id);
}

/*
 * ns_each_name - call @fn with every name in the directory; stops when
 * @fn returns nonzero, and returns that (or -errno).  Reads the names
 * with getdents64 into a buffer on the stack: no malloc, whose mappings
 * (musl maps its groups) could take an address a program just freed.
 */
struct ns_dirent {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

static int ns_each_name(struct ns *ns, int (*fn)(void *arg, const char *name),
			void *arg)
{
	char buf[4096] __attribute__((aligned(8)));
	int fd = openat(ns_dir(ns), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long n;
	int r = 0;

	if (fd < 0)
		return -errno;
	while (!r && (n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0)
		for (long off = 0; !r && off < n;) {
			struct ns_dirent *d = (struct ns_dirent *)(buf + off);

			if (d->reclen == 0)
				break;
			off += d->reclen;
			if (strcmp(d->name, ".") && strcmp(d->name, ".."))
				r = fn(arg, d->name);
		}
	if (!r && n < 0)
		r = -errno;
	close(fd);
	return r;
}

/*
 * ns_scan - call @fn for every index name of @type (id, usage, owner).
 * Stops early when @fn returns nonzero, and returns that.
 */
/*
 * ns_scan_names - call @fn with every name "<type>.<kind>..." (kind 'i':
 * index names, 'k': key names); stops when @fn returns nonzero.
 */
struct names_of {
	size_t plen;
	const char *prefix;
	char kind;
	int (*fn)(void *arg, const char *name);
	void *arg;
};

static int name_of(void *arg, const char *name)
{
	struct names_of *f = arg;

	if (strncmp(name, f->prefix, f->plen) || name[f->plen] != '.' ||
	    name[f->plen + 1] != f->kind)
		return 0;
	return f->fn(f->arg, name);
}

int ns_scan_names(struct ns *ns, int type, char kind,
		  int (*fn)(void *arg, const char *name), void *arg)
{
	if (ns->empty)
		return 0;
	return ns_each_name(ns, name_of, &(struct names_of){
		strlen(ns_type_name[type]), ns_type_name[type], kind, fn, arg });
}

struct idx_scan {
	struct ns *ns;
	int type;
	int (*fn)(void *arg, int idx, int id, uint64_t usage, uid_t uid);
	void *arg;
};

static int idx_one(void *arg, const char *s)
{
	struct idx_scan *sc = arg;
	size_t plen = strlen(ns_type_name[sc->type]);
	uint64_t usage;
	char *end;
	long idx;
	uid_t uid;
	int id, e;

	idx = strtol(s + plen + 2, &end, 10);
	if (*end || end == s + plen + 2 || idx < 0 || idx >= UIPC_IPCMNI)
		return 0;
	e = ns_idx_read(sc->ns, sc->type, (int)idx, &id, &usage, &uid);
	if (e == -EAGAIN || e == -ENOENT)
		return 0;	/* being dropped, or gone meanwhile */
	if (e < 0) {
		/* not ours to read: a name all the same */
		id = -1;
		usage = 0;
		uid = (uid_t)-1;
	}
	return sc->fn(sc->arg, (int)idx, id, usage, uid);
}

int ns_scan(struct ns *ns, int type,
	    int (*fn)(void *arg, int idx, int id, uint64_t usage, uid_t uid),
	    void *arg)
{
	return ns_scan_names(ns, type, 'i', idx_one,
			     &(struct idx_scan){ ns, type, fn, arg });
}

/*
 * ns_orphan - is object file @name (of object @id) the leftover of a
 * removal or a creation that died: removed, or new with its creator
 * dead, or still without a header a second on?  A file we cannot read,
 * or that is no object of ours, is somebody's.
 */
bool ns_orphan(struct ns *ns, const char *name, int id)
{
	int fd = openat(ns_dir(ns), name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct uipc_hdr h;
	ssize_t n;

	if (fd < 0)
		return false;
	n = pread(fd, &h, sizeof(h), 0);
	close(fd);
	if (n < (ssize_t)sizeof(h) || !h.magic)
		return name_old(ns, name);
	return h.magic == UIPC_MAGIC && h.id == id &&
	       (h.state == UIPC_S_REMOVED ||
		(h.state == UIPC_S_NEW &&
		 !proc_alive((pid_t)h.creator_pid, h.creator_start)));
}

/*
 * ns_sweep - remove what removers and creators of @type that died left
 * under no index name: object files that were removed, or never
 * finished (their creator dead, or no header a second on).  Only ours
 * go (sticky).
 */
struct sweep {
	struct ns *ns;
	int type;
};

static int sweep_one(void *arg, const char *s)
{
	struct sweep *sw = arg;
	struct ns *ns = sw->ns;
	size_t plen = strlen(ns_type_name[sw->type]);
	uint64_t usage;
	char *end;
	uid_t uid;
	long id;
	int nid;

	if (strncmp(s, ns_type_name[sw->type], plen) || s[plen] != '.' ||
	    s[plen + 1] < '0' || s[plen + 1] > '9')
		return 0;
	id = strtol(s + plen + 1, &end, 10);
	if (*end || id < 0 || id > INT32_MAX)
		return 0;
	if (ns_idx_read(ns, sw->type, ipc_idx((int)id), &nid, &usage, &uid) == 0 &&
	    nid == id)
		return 0;	/* named: ns_stale() judges it */
	if (!ns_orphan(ns, s, (int)id))
		return 0;
	ns_names_lock(ns);
	if (ns_orphan(ns, s, (int)id) &&
	    (ns_idx_read(ns, sw->type, ipc_idx((int)id), &nid, &usage, &uid) ||
	     nid != id))
		unlinkat(ns_dir(ns), s, 0);
	ns_names_unlock();
	return 0;
}

static void ns_sweep(struct ns *ns, int type)
{
	ns_each_name(ns, sweep_one, &(struct sweep){ ns, type });
}


struct counts {
	struct ns *ns;
	int type;
	uint32_t in_use;
	uint64_t used;
	int max_idx;
};

static int count_one(void *arg, int idx, int id, uint64_t usage, uid_t uid)
{
	struct counts *c = arg;

	char name[64];
	struct stat st;

	if (id >= 0 && ns_stale(c->ns, c->type, id))
		return 0;
	ns_obj_name(name, sizeof(name), c->type, id);
	if (id >= 0 && fstatat(ns_dir(c->ns), name, &st, AT_SYMLINK_NOFOLLOW))
		return 0;	/* named, not made yet: not an object yet */
	c->in_use++;
	c->used += usage;
	if (idx > c->max_idx)
		c->max_idx = idx;
	return 0;
}

/*
 * ns_count - objects of @type (every index name, whoever holds it: a
 * name another user made up counts as an object of theirs, as on the
 * kernel a key taken by another user does), their usage, the highest
 * index (-1: none).  Leftovers of a creator or remover that died are not
 * counted, and removed when they are ours (ns_stale()).
 */
int ns_count(struct ns *ns, int type, uint32_t *in_use, uint64_t *used,
	     int *max_idx)
{
	struct counts c = { ns, type, 0, 0, -1 };
	int err;

	if (!ns_ro)
		ns_sweep(ns, type);
	err = ns_scan(ns, type, count_one, &c);

	if (err < 0)
		return err;
	*in_use = c.in_use;
	if (used)
		*used = c.used;
	if (max_idx)
		*max_idx = c.max_idx;
	return 0;
}

/*
 * ns_names_at_most - an upper bound on the names in the directory, from
 * the status this call already took (tmpfs counts 20 bytes of size per
 * entry): when it is below a limit, no object count can reach it.
 */
uint64_t ns_names_at_most(struct ns *ns)
{
	struct stat st;

	if (!ns->tmpfs || ns_dir_stat(ns, &st) < 0)
		return UINT64_MAX;
	return (uint64_t)st.st_size / BOGO_DIRENT;
}

/* ---- where our creations go on: uipc.ids.<uid> ---- */

static struct uipc_idhint private_hint;
static struct uipc_idhint *hint;
static uid_t hint_uid = (uid_t)-1;

static void hint_format(struct uipc_idhint *h)
{
	memset(h, 0, sizeof(*h));
	h->magic = UIPC_HINT_MAGIC;
	for (int t = 0; t < UIPC_NTYPES; t++)
		h->t[t].last_idx = -1;
}

/*
 * Our uid's hints, mapped once.  One that somebody else owns, or that is
 * not a hint file, is never read: then a private one stands in (this
 * process's creations still get unique ids, but may reuse a removed one
 * sooner than the kernel would).  Called under ns_mu.
 */
static struct uipc_idhint *hint_get(struct ns *ns)
{
	uid_t me = geteuid();
	char name[64];
	struct stat st;
	void *p;
	int fd;

	if (hint && hint_uid == me)
		return hint;
	if (hint && hint != &private_hint)
		ipc_space_unmap(hint, sizeof(*hint));
	hint = &private_hint;
	hint_uid = me;
	hint_format(&private_hint);
	snprintf(name, sizeof(name), "uipc.ids.%u", (unsigned)me);
	fd = openat(ns_dir(ns), name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		    0644);
	if (fd < 0)
		return hint;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != me ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) ||
	    (st.st_size != 0 && st.st_size != sizeof(*hint)) ||
	    (st.st_size == 0 && ftruncate(fd, sizeof(*hint)) < 0)) {
		close(fd);
		return hint;
	}
	p = ipc_space_map(sizeof(*hint), PROT_READ | PROT_WRITE, MAP_SHARED,
			  fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return hint;
	if (((struct uipc_idhint *)p)->magic != UIPC_HINT_MAGIC)
		hint_format(p);
	ipc_guard_add(p, sizeof(*hint));
	hint = p;
	return hint;
}

/*
 * A creator names the index before it creates the file: an index name
 * whose file is missing is a leftover only once it is NS_YOUNG_NS old.
 * The creator checks that its index name is still there once its file
 * is (ipcget_new), so a creator stopped for longer loses its index
 * cleanly and takes another.
 */
static bool idx_young(struct ns *ns, int type, int id)
{
	char name[64];
	struct stat st;
	struct timespec now;

	uint64_t usage;
	uid_t uid;
	int nid;

	if (ns_idx_read(ns, type, ipc_idx(id), &nid, &usage, &uid) || nid != id)
		return false;
	idx_name(name, sizeof(name), type, ipc_idx(id));
	if (fstatat(ns_dir(ns), name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	clock_gettime(CLOCK_REALTIME, &now);
	return (now.tv_sec - st.st_ctim.tv_sec) * 1000000000LL +
	       (now.tv_nsec - st.st_ctim.tv_nsec) < NS_YOUNG_NS;
}

/*
 * ns_stale - do the names of object @id name nothing?  True when its file
 * is gone, or says it was removed, or was never finished by a creator
 * that is dead: a remover or creator died half way.  Then the names that
 * are ours to remove go (unless we only observe).  An object being
 * created by a live creator is not stale.  A file we cannot read is
 * somebody's object: not stale.
 */
static bool stale_judge(struct ns *ns, int type, int id, bool *file)
{
	struct uipc_hdr h;
	char name[64];
	ssize_t n;
	int fd;

	ns_obj_name(name, sizeof(name), type, id);
	fd = openat(ns_dir(ns), name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	*file = fd >= 0;
	if (fd < 0)
		return errno == ENOENT && !idx_young(ns, type, id);
	n = pread(fd, &h, sizeof(h), 0);
	close(fd);
	if (n < (ssize_t)sizeof(h) || !h.magic)
		return !idx_young(ns, type, id);	/* no header yet */
	if (h.magic != UIPC_MAGIC || h.id != id || h.type != type)
		return false;	/* not ours to judge */
	return h.state == UIPC_S_REMOVED ||
	       (h.state == UIPC_S_NEW &&
		!proc_alive((pid_t)h.creator_pid, h.creator_start));
}

bool ns_stale(struct ns *ns, int type, int id)
{
	bool file;

	if (!stale_judge(ns, type, id, &file))
		return false;
	if (ns_ro)
		return true;
	ns_names_lock(ns);
	if (stale_judge(ns, type, id, &file) && ns_idx_drop(ns, type, id) == 0 &&
	    file)
		ns_unlink(ns, type, id);
	ns_names_unlock();
	return true;
}

/*
 * hint_lock - our uid's creations take turns at the hints (so that the
 * cursor only moves on, and no id comes back soon): a POSIX record lock
 * on the hint file, which the kernel drops when its holder dies.  Returns
 * the descriptor to close to unlock, or -1 (private hints: our own
 * mutex is enough).  Under ns_mu.
 */
static int hint_lock(struct ns *ns, struct uipc_idhint *h)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char name[64];
	struct stat st;
	int fd;

	if (h == &private_hint)
		return -1;
	snprintf(name, sizeof(name), "uipc.ids.%u", (unsigned)hint_uid);
	fd = openat(ns_dir(ns), name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_uid != hint_uid ||
	    fcntl(fd, F_SETLKW, &fl) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * hint_newest - the kernel has one cursor per namespace; we have one per
 * user, since nobody may write another's.  So that one user's creations
 * go on where another's stopped (no id of root's comes back soon as a
 * user's), the cursor continues from the newest of our own hint, root's
 * and the namespace owner's: users trust those two already.  Other
 * users' hints are never read (they could steer our ids).
 */
static void hint_newest(struct ns *ns, int type, struct uipc_idhint_type *ht)
{
	uid_t who[2] = { 0, ns->owner };

	for (int i = 0; i < 2; i++) {
		struct uipc_idhint o;
		char name[64];
		struct stat st;
		int fd;

		if (who[i] == hint_uid || (i == 1 && who[1] == who[0]))
			continue;
		snprintf(name, sizeof(name), "uipc.ids.%u", (unsigned)who[i]);
		fd = openat(ns_dir(ns), name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_uid == who[i] && !(st.st_mode & (S_IWGRP | S_IWOTH)) &&
		    pread(fd, &o, sizeof(o), 0) == (ssize_t)sizeof(o) &&
		    o.magic == UIPC_HINT_MAGIC && o.t[type].gen > ht->gen)
			*ht = o.t[type];
		close(fd);
	}
}

/* Does the name at @idx hold nothing but the leftovers of a removal? */
static bool idx_stale(struct ns *ns, int type, int idx)
{
	char name[64];
	struct stat st;
	uint64_t usage;
	uid_t uid;
	int id, err = ns_idx_read(ns, type, idx, &id, &usage, &uid);

	if (err)
		return false;
	if (!ns_stale(ns, type, id))
		return false;
	idx_name(name, sizeof(name), type, idx);
	return fstatat(ns_dir(ns), name, &st, AT_SYMLINK_NOFOLLOW) < 0;
}

/*
 * ns_alloc_id - claim an index for a new object, as ipc_idr_alloc() does,
 * and name it (<t>.i<idx> -> id): a fresh index name is ours, an existing
 * one is somebody's, whoever holds it.  @in_use: objects of @type now.
 * Returns the new id, or -ENOSPC.
 */
int ns_alloc_id(struct ns *ns, int type, uint32_t in_use, uint64_t usage)
{
	uint32_t max = in_use * 3 / 2;
	struct uipc_idhint_type ht;
	struct uipc_idhint *h;
	uint32_t next, seq;
	int32_t last;
	int idx = -1, id = -1, lfd;

	if (max < UIPC_MIN_CYCLE)
		max = UIPC_MIN_CYCLE;
	if (max > UIPC_IPCMNI)
		max = UIPC_IPCMNI;
	pthread_mutex_lock(&ns_mu);
	h = hint_get(ns);
	lfd = hint_lock(ns, h);
	ht = h->t[type];
	hint_newest(ns, type, &ht);
	next = ht.next;
	seq = ht.seq;
	last = ht.last_idx;
	if (next >= UIPC_IPCMNI || seq >= INT32_MAX / UIPC_SEQ_MULT ||
	    last < -1 || last >= UIPC_IPCMNI) {
		next = 0;	/* a hint scribbled on: start afresh */
		seq = 0;
		last = -1;
	}
	/* idr_alloc_cyclic: first free at or after next, then from 0 */
	for (uint32_t n = 0; n < max && idx < 0; n++) {
		uint32_t i = next < max ? (next + n) % max : n;
		uint32_t s = seq;
		char name[64];
		int err;

		if ((int32_t)i <= last) {
			s++;
			if (s >= INT32_MAX / UIPC_SEQ_MULT)
				s = 0;
		}
		idx_name(name, sizeof(name), type, i);
		for (int tries = 0; tries < 2; tries++) {
			err = link_make(ns, name, (int)(s * UIPC_SEQ_MULT + i),
					usage);
			if (err != -EEXIST || !idx_stale(ns, type, i))
				break;
		}
		if (err == 0) {
			idx = i;
			seq = s;
			id = (int)(s * UIPC_SEQ_MULT + i);
		} else if (err != -EEXIST) {
			if (lfd >= 0)
				close(lfd);
			pthread_mutex_unlock(&ns_mu);
			return err == -ENOSPC || err == -EDQUOT ? -ENOMEM : err;
		}
	}
	if (idx >= 0) {
		WRITE_ONCE(h->t[type].seq, seq);
		WRITE_ONCE(h->t[type].last_idx, idx);
		WRITE_ONCE(h->t[type].next, (uint32_t)idx + 1);
		WRITE_ONCE(h->t[type].gen, ht.gen + 1);
	}
	if (lfd >= 0)
		close(lfd);	/* and the lock goes with it */
	pthread_mutex_unlock(&ns_mu);
	return idx < 0 ? -ENOSPC : id;
}

/* ns_unlink - remove name @type.@id (the object file).  0 or -errno. */
int ns_unlink(struct ns *ns, int type, int id)
{
	char name[64];

	ns_obj_name(name, sizeof(name), type, id);
	return unlinkat(ns_dir(ns), name, 0) < 0 ? -errno : 0;
}
