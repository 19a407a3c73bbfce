// SPDX-License-Identifier: MIT
/*
 * ipc.c - what the three object types share: finding, creating, mapping,
 * permission checks, and the common parts of IPC_STAT, IPC_SET, IPC_RMID.
 *
 * Behaviour (kernel ipc/util.c): *get with IPC_PRIVATE always creates;
 * with a key it finds the object or, with IPC_CREAT, creates it.  Checks
 * come in the kernel's order (ipcget_public): EEXIST for IPC_CREAT |
 * IPC_EXCL on an existing key, then the type's own checks (more_checks),
 * then the permission check (ipcperms).  A new object appears under its
 * key only when it is completely built: its file is made without a name,
 * initialised, and linked into the namespace in one step, after which the
 * registry entry becomes LIVE.  Permissions follow ipcperms(): the owner
 * or creator uses the owner bits, a member of the owner's or creator's
 * group the group bits, others the other bits; euid 0 passes every check
 * (our stand-in for CAP_IPC_OWNER).
 *
 * Object files: the file's owner is the creator; its mode gives read and
 * write to each class that has any access to the object (owner always),
 * since even a read-only SysV operation takes the object's lock.  The
 * library enforces the SysV read/write distinction on top.
 *
 * Internals: each process keeps a cache of mapped object files keyed by
 * id, so an operation on a known object makes no system call.  Removed
 * objects are dropped from the cache (and unmapped) when next looked up
 * or when the cache is swept.  A single-threaded process uses the cache
 * without locks; once threads exist, lookups take a private mutex and hold
 * a reference on the object until the call returns, so that no mapping is
 * unmapped under a thread that uses it.
 *
 * Read-only modes (uipc_set_readonly()): the reading calls neither lock
 * nor repair.  They read a view (ipc_view()): a private copy of the
 * object's header and body, taken twice until both copies agree, with the
 * journal of an update in flight (or of a holder that died) rolled back in
 * the copy, which gives the state the next lock holder would find.  The
 * types then run their own repair code on that copy (it writes only
 * private memory) and report from it: the "repaired view".
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sched.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "compat.h"
#include "internal.h"

#define CACHE_BUCKETS	256
#define CACHE_SWEEP_AT	64

static struct obj *cache[UIPC_NTYPES][CACHE_BUCKETS];
static unsigned cache_count;
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

int ipc_corrupt(const char *file, int line)
{
	if (getenv("UIPC_DEBUG"))
		fprintf(stderr, "uipc: corrupt object detected at %s:%d\n",
			file, line);
	return -EUCLEAN;
}

const struct ipc_ops *ipc_ops_of(int type)
{
	static const struct ipc_ops *const ops[UIPC_NTYPES] = {
		[UIPC_T_MSG] = &msg_ops,
		[UIPC_T_SEM] = &sem_ops,
		[UIPC_T_SHM] = &shm_ops,
	};

	return ops[type];
}

int64_t ipc_now(void)
{
	return (int64_t)time(NULL);
}

/* NULL and (void *)-1 are the invalid pointers we can see; see docs. */
int ipc_ptr_ok(const void *p)
{
	return p && p != (const void *)-1 ? 0 : -EFAULT;
}

#define POPULATE_MAX	(64 << 10)	/* header bytes mapped in at once on creation */

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static inline bool threaded(void)
{
	return !compat_single_threaded();
}

/*
 * The child will map every cached object too: count it before the fork,
 * so that no remover can see the count without the child (see
 * ipc_unlink).  A failed fork leaves the count one too high, which only
 * makes removal punch the memory out when it need not.
 */
static void cache_prefork(void)
{
	pthread_mutex_lock(&cache_mu);
	for (int t = 0; t < UIPC_NTYPES; t++)
		for (int b = 0; b < CACHE_BUCKETS; b++)
			for (struct obj *o = cache[t][b]; o; o = o->next)
				if (o->counted)
					fetch_add(&o->hdr->mappers, 1);
}

static void cache_postfork(void)
{
	pthread_mutex_unlock(&cache_mu);
}

static void cache_init(void)
{
	pthread_atfork(cache_prefork, cache_postfork, cache_postfork);
}

/*
 * The SIGBUS guard.  A peer with write access can truncate an object file
 * under our mapping; touching the lost pages raises SIGBUS.  Rather than
 * die, we put zero-filled private memory over the whole mapping: the object
 * then reads as not LIVE, the call under way fails (EIDRM/EINVAL), and the
 * cache drops it.  A SIGBUS outside our mappings goes to the handler that
 * was installed before ours, or kills the process as it would have.
 */
#define GUARD_MAX	4096

static struct { uintptr_t lo, hi; } guard[GUARD_MAX];
static struct sigaction guard_old;
static pthread_once_t guard_once = PTHREAD_ONCE_INIT;

static void guard_handler(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;

	for (int i = 0; i < GUARD_MAX; i++) {
		uintptr_t lo = READ_ONCE(guard[i].lo), hi = READ_ONCE(guard[i].hi);

		if (lo && a >= lo && a < hi) {
			mmap((void *)lo, hi - lo, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
			return;
		}
	}
	if ((guard_old.sa_flags & SA_SIGINFO) && guard_old.sa_sigaction)
		guard_old.sa_sigaction(sig, si, uc);
	else if (guard_old.sa_handler != SIG_DFL &&
		 guard_old.sa_handler != SIG_IGN)
		guard_old.sa_handler(sig);
	else
		signal(SIGBUS, SIG_DFL);	/* the fault repeats and kills */
}

static void guard_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = guard_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &guard_old);
}

int ipc_guard_add(void *p, size_t len)
{
	pthread_once(&guard_once, guard_install);
	for (int i = 0; i < GUARD_MAX; i++) {
		uintptr_t z = 0;

		if (cas(&guard[i].lo, &z, (uintptr_t)p)) {
			WRITE_ONCE(guard[i].hi, (uintptr_t)p + len);
			return i;
		}
	}
	return -1;
}

static void guard_del(int i)
{
	if (i < 0 || i >= GUARD_MAX)
		return;
	WRITE_ONCE(guard[i].hi, 0);
	WRITE_ONCE(guard[i].lo, 0);
}

/*
 * ipc_lend_tail - the part of @o's mapping from @from on now belongs to an
 * attachment (shm_at): we no longer unmap it, guard it or punch through
 * it (0: all of it is ours again).  Object lock held.
 */
void ipc_lend_tail(struct obj *o, size_t from)
{
	if (o->guard >= 0 && o->guard < GUARD_MAX)
		WRITE_ONCE(guard[o->guard].hi,
			   (uintptr_t)o->base + (from ? from : o->size));
	o->lent_from = from;
}

static void view_free(struct obj *v);

static void obj_unmap(struct obj *o)
{
	if (o->counted)
		fetch_sub(&o->hdr->mappers, 1);
	if (o->cached_view)
		view_free(o->cached_view);
	guard_del(o->guard);
	munmap(o->base, o->lent_from ? o->lent_from : o->size);
	free(o->priv);
	free(o);
}

/* Drop removed, unused objects.  Cache lock held (or single-threaded). */
static void cache_sweep(void)
{
	for (int t = 0; t < UIPC_NTYPES; t++)
		for (int b = 0; b < CACHE_BUCKETS; b++) {
			struct obj **pp = &cache[t][b];

			while (*pp) {
				struct obj *o = *pp;

				if (READ_ONCE(o->hdr->state) != UIPC_S_LIVE &&
				    READ_ONCE(o->refs) == 0) {
					*pp = o->next;
					obj_unmap(o);
					cache_count--;
				} else {
					pp = &o->next;
				}
			}
		}
}

/*
 * Validate a freshly mapped object file: everything later code relies on
 * is checked here once, and the pointers into the mapping derived from the
 * checked offsets.
 */
static int obj_validate(struct obj *o, int type, int id)
{
	struct uipc_hdr *h = o->hdr;
	uint64_t body_end;

	if (o->size < sizeof(*h) || h->magic != UIPC_MAGIC ||
	    h->version != UIPC_FORMAT_VERSION || h->type != type ||
	    h->hdr_size != sizeof(*h) || h->file_size != o->size ||
	    h->id != id)
		return UIPC_CORRUPT;
	body_end = (uint64_t)h->body_off + h->body_size;
	if (h->body_off % 8 || h->body_off < sizeof(*h) || body_end > o->size)
		return UIPC_CORRUPT;
	if (jn_init(&o->jc, o->base, o->size, h->journal_off,
		    h->journal_size) < 0)
		return UIPC_CORRUPT;
	if ((uint64_t)h->journal_off + h->journal_size > h->body_off)
		return UIPC_CORRUPT;
	return ipc_ops_of(type)->validate(o);
}

static struct obj *obj_map_fd(int fd, int type, int id)
{
	struct stat st;
	struct obj *o;
	void *p;
	int err;

	if (fstat(fd, &st) < 0)
		return ERR_PTR(-errno);
	if (!S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(struct uipc_hdr))
		return ERR_PTR(UIPC_CORRUPT);
	o = calloc(1, sizeof(*o));
	if (!o)
		return ERR_PTR(-ENOMEM);
	o->guard = -1;
	/* map what the header says; a shorter file is corrupt */
	p = mmap(NULL, sizeof(struct uipc_hdr), PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		free(o);
		return ERR_PTR(-errno);
	}
	uint64_t fsz = ((struct uipc_hdr *)p)->file_size;

	munmap(p, sizeof(struct uipc_hdr));
	if (fsz < sizeof(struct uipc_hdr) || fsz > (uint64_t)st.st_size ||
	    fsz > ((uint64_t)1 << 46)) {
		free(o);
		return ERR_PTR(UIPC_CORRUPT);
	}
	/* read-only mode: a stray write faults instead of changing the file */
	p = mmap(NULL, fsz, ipc_readonly() ? PROT_READ : PROT_READ | PROT_WRITE,
		 MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		free(o);
		return ERR_PTR(-errno);
	}
	o->type = type;
	o->id = id;
	o->base = p;
	o->size = fsz;
	o->hdr = p;
	o->guard = ipc_guard_add(p, fsz);
	if (!ipc_readonly()) {
		fetch_add(&o->hdr->mappers, 1);
		o->counted = true;
	}
	err = obj_validate(o, type, id);
	if (err) {
		obj_unmap(o);
		return ERR_PTR(err);
	}
	return o;
}

/* Does the registry know @id as a live object?  (A stray file is not one.) */
static bool obj_registered(int type, int id)
{
	struct ns *ns = ns_get();
	struct uipc_reg_ent *e;

	if (IS_ERR(ns))
		return true;	/* let obj_open() report the namespace error */
	e = &ns_ents(ns, type)[ipc_idx(id)];
	return READ_ONCE(e->state) == UIPC_E_LIVE && READ_ONCE(e->id) == id;
}

static struct obj *obj_open(int type, int id)
{
	struct ns *ns = ns_get();
	char name[64];
	struct obj *o;
	int fd;

	if (IS_ERR(ns))
		return (struct obj *)ns;
	ns_obj_name(name, sizeof(name), type, id);
	fd = openat(ns_dir(ns), name, (ipc_readonly() ? O_RDONLY : O_RDWR) |
		    O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return ERR_PTR(-EINVAL);
		if (errno == ELOOP)
			return ERR_PTR(UIPC_CORRUPT);
		return ERR_PTR(-errno);
	}
	o = obj_map_fd(fd, type, id);
	close(fd);
	return o;
}

static void cache_insert(struct obj *o)
{
	struct obj **b = &cache[o->type][(unsigned)o->id % CACHE_BUCKETS];

	if (cache_count >= CACHE_SWEEP_AT)
		cache_sweep();
	o->next = *b;
	*b = o;
	cache_count++;
}

static struct obj *cache_find(int type, int id)
{
	struct obj *o = cache[type][(unsigned)id % CACHE_BUCKETS];

	while (o && o->id != id)
		o = o->next;
	return o;
}

static void cache_unlink(struct obj *o)
{
	struct obj **pp = &cache[o->type][(unsigned)o->id % CACHE_BUCKETS];

	while (*pp && *pp != o)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = o->next;
		cache_count--;
	}
}

/*
 * ipc_obj_get - the object @id of @type, mapped.  Returns it (to be given
 * back with ipc_obj_put()), or -EINVAL if there is no such live object, or
 * another -errno.  Makes no system call when the object is cached.
 */
struct obj *ipc_obj_get(int type, int id)
{
	bool mt = threaded();
	struct obj *o;

	if (id < 0)
		return ERR_PTR(-EINVAL);
	if (mt)
		pthread_mutex_lock(&cache_mu);
	o = cache_find(type, id);
	if (likely(o && READ_ONCE(o->hdr->state) == UIPC_S_LIVE)) {
		if (mt) {
			fetch_add(&o->refs, 1);
			pthread_mutex_unlock(&cache_mu);
		}
		return o;
	}
	pthread_once(&cache_once, cache_init);
	if (o && READ_ONCE(o->refs) == 0) {
		cache_unlink(o);
		obj_unmap(o);
	} else if (o) {
		/* still in use by another thread: hide it, sweep frees it */
		cache_unlink(o);
		o->next = NULL;
	}
	cache_sweep();
	o = obj_registered(type, id) ? obj_open(type, id) : ERR_PTR(-EINVAL);
	if (!IS_ERR(o)) {
		if (READ_ONCE(o->hdr->state) != UIPC_S_LIVE) {
			obj_unmap(o);
			o = ERR_PTR(-EINVAL);
		} else {
			cache_insert(o);
			if (mt)
				fetch_add(&o->refs, 1);
		}
	}
	if (mt)
		pthread_mutex_unlock(&cache_mu);
	return o;
}

/*
 * ipc_obj_put - done with @o.  A removed object is unmapped as soon as
 * nobody in this process uses it, so its memory goes with its file.
 */
void ipc_obj_put(struct obj *o)
{
	bool mt = threaded();

	if (mt && fetch_sub(&o->refs, 1) != 1)
		return;
	if (likely(READ_ONCE(o->hdr->state) == UIPC_S_LIVE))
		return;
	if (mt)
		pthread_mutex_lock(&cache_mu);
	if (READ_ONCE(o->refs) == 0 && cache_find(o->type, o->id) == o) {
		cache_unlink(o);
		obj_unmap(o);
	}
	if (mt)
		pthread_mutex_unlock(&cache_mu);
}

/*
 * ipc_obj_lock - take the object's lock.  If its previous holder died,
 * roll its update back and let the type repair what it left.
 */
int ipc_obj_lock(struct obj *o)
{
	int r = lk_lock(&o->hdr->lock);

	if (unlikely(r == 1)) {
		jn_rollback(&o->jc);
		if (ipc_ops_of(o->type)->repair)
			ipc_ops_of(o->type)->repair(o);
	}
	return 0;
}

void ipc_obj_unlock(struct obj *o)
{
	jn_commit(&o->jc);
	lk_unlock(&o->hdr->lock);
}

/* ---- views: reading without the lock ---- */

#define VIEW_TRIES	16		/* snapshot pairs before giving up */
#define VIEW_REUSE_NS	10000000L	/* a view serves 10 ms of calls */

/* Copy @n words, each read whole (no torn 4- or 8-byte field). */
static void copy_words(uint64_t *dst, const uint64_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = READ_ONCE(src[i]);
}

static void view_free(struct obj *v)
{
	free(v->base);
	free(v->priv);
	free(v);
}

/*
 * view_take - a private copy (given back with ipc_read_end()); unlike
 * ipc_view() never one that a repair has already run on of @o's header and body (not the data
 * area: message chunks and segment bytes).  Two copies are taken in a
 * row until they agree (at most VIEW_TRIES times; a busy object then gets
 * the last copy, each word of it read whole).  The copy is validated like
 * a fresh mapping, and an update left in its journal (in flight, or its
 * holder dead) is rolled back, so the view is the last committed state.
 * v->size stays the file's size; pointers that validation derives into
 * the data area (o->u.msg.chunks) point past the copy and are never used
 * on a view.
 */
struct obj *view_take(struct obj *o)
{
	size_t len = (size_t)READ_ONCE(o->hdr->body_off) +
		     READ_ONCE(o->hdr->body_size);
	size_t nw = (len + 7) / 8;	/* the mapping is whole pages */
	uint64_t *a, *b;
	struct obj *v;
	int err;

	if (len < sizeof(struct uipc_hdr) || len > o->size)
		return ERR_PTR(UIPC_CORRUPT);
	a = malloc(nw * 8);
	b = malloc(nw * 8);
	v = calloc(1, sizeof(*v));
	if (!a || !b || !v) {
		free(a);
		free(b);
		free(v);
		return ERR_PTR(-ENOMEM);
	}
	for (int i = 0;; i++) {
		copy_words(a, (const uint64_t *)(void *)o->base, nw);
		copy_words(b, (const uint64_t *)(void *)o->base, nw);
		if (!memcmp(a, b, nw * 8) || i == VIEW_TRIES)
			break;
		sched_yield();
	}
	free(b);
	v->type = o->type;
	v->id = o->id;
	v->base = (char *)a;
	v->size = o->size;
	v->hdr = (struct uipc_hdr *)(void *)a;
	v->view = true;
	err = jn_init(&v->jc, v->base, len, v->hdr->journal_off,
		      v->hdr->journal_size);
	if (!err) {
		jn_rollback(&v->jc);
		err = obj_validate(v, o->type, o->id);
	}
	/* the journal may only ever reach into the copy */
	if (!err)
		err = jn_init(&v->jc, v->base, len, v->hdr->journal_off,
			      v->hdr->journal_size);
	if (err) {
		view_free(v);
		return ERR_PTR(err);
	}
	return v;
}

/*
 * ipc_view - a view of @o (see view_take()), to be given back with
 * ipc_read_end().  In UIPC_READONLY mode a single-threaded process reuses
 * a view for VIEW_REUSE_NS: listing a set's semaphores one semctl each
 * then costs one copy, not one per semaphore.  The types' repairs run on
 * the view, so a reused view is already repaired (repairs are idempotent).
 */
static struct obj *ipc_view(struct obj *o)
{
	bool reuse = ipc_readonly() && !threaded();
	int64_t now = reuse ? mono_ns() : 0;
	struct obj *v;

	if (reuse && o->cached_view) {
		if (now - o->cached_ns < VIEW_REUSE_NS &&
		    READ_ONCE(o->hdr->state) == UIPC_S_LIVE)
			return o->cached_view;
		view_free(o->cached_view);
		o->cached_view = NULL;
	}
	v = view_take(o);
	if (reuse && !IS_ERR(v)) {
		o->cached_view = v;
		o->cached_ns = now;
	}
	return v;
}

/*
 * ipc_read_begin - for a call that only reads @o: lock it and return it,
 * or, in the read-only modes, return a view of it instead (no lock, and
 * whatever repair the caller runs on the view changes only the view).
 * Either way the result is read, and given back with ipc_read_end().
 */
struct obj *ipc_read_begin(struct obj *o)
{
	if (!ipc_quiet_reads()) {
		ipc_obj_lock(o);
		return o;
	}
	return ipc_view(o);
}

void ipc_read_end(struct obj *o, struct obj *r)
{
	if (r == o)
		ipc_obj_unlock(o);
	else if (!IS_ERR(r) && r != o->cached_view)
		view_free(r);
}

bool ipc_capable(void)
{
	return proc_euid() == 0;
}

/*
 * For the kernel's capable() checks (CAP_SYS_RESOURCE: raising msg_qbytes),
 * which only the initial user namespace's root passes.
 */
bool ipc_capable_init(void)
{
	return ipc_capable() && proc_init_userns();
}

/* ipcperms() of the kernel: 0 if access @flag is granted, else -EACCES. */
int ipcperms(const struct uipc_perm *perm, int flag)
{
	uint32_t requested = (flag >> 6) | (flag >> 3) | flag;
	uint32_t granted = READ_ONCE(perm->mode);
	uid_t euid = proc_euid();

	if (euid == READ_ONCE(perm->cuid) || euid == READ_ONCE(perm->uid))
		granted >>= 6;
	else if (proc_in_group(READ_ONCE(perm->cgid)) ||
		 proc_in_group(READ_ONCE(perm->gid)))
		granted >>= 3;
	if ((requested & ~granted & 0007) && !ipc_capable())
		return -EACCES;
	return 0;
}

/* Owner, creator, or privileged: may IPC_SET and IPC_RMID. */
bool ipc_is_owner(const struct uipc_perm *perm)
{
	uid_t euid = proc_euid();

	return euid == READ_ONCE(perm->uid) || euid == READ_ONCE(perm->cuid) ||
	       ipc_capable();
}

/* The file mode that lets every class with any SysV access lock the object. */
static mode_t file_mode(uint32_t mode)
{
	mode_t m = 0600;

	if (mode & 0066)
		m |= (mode & 0060 ? 0060 : 0) | (mode & 0006 ? 0006 : 0);
	if (mode & 0044)
		m |= (mode & 0040 ? 0060 : 0) | (mode & 0004 ? 0006 : 0);
	return m;
}

/*
 * The file belongs to the SysV owner; the creator, who keeps the owner's
 * rights in SysV, gets the owner's file access through a POSIX ACL entry
 * when it is someone else (tmpfs supports them).  Best effort, see docs.
 */
static void file_acl(int fd, uint32_t uid, uint32_t cuid, mode_t mode)
{
	struct {
		uint32_t version;
		struct { uint16_t tag, perm; uint32_t id; } e[5];
	} acl = { .version = 2, .e = {
		{ 0x01, (mode >> 6) & 7, (uint32_t)-1 },	/* USER_OBJ */
		{ 0x02, (mode >> 6) & 7, cuid },		/* USER */
		{ 0x04, (mode >> 3) & 7, (uint32_t)-1 },	/* GROUP_OBJ */
		{ 0x10, ((mode >> 6) | (mode >> 3)) & 7, (uint32_t)-1 }, /* MASK */
		{ 0x20, mode & 7, (uint32_t)-1 },		/* OTHER */
	} };

	if (uid == cuid)
		fremovexattr(fd, "system.posix_acl_access");
	else
		fsetxattr(fd, "system.posix_acl_access", &acl, sizeof(acl), 0);
}

/* Bring the object file's owner and mode in line with its ipc_perm. */
static void ipc_sync_file(struct obj *o)
{
	struct ns *ns = ns_get();
	char name[64];
	int fd;

	if (IS_ERR(ns))
		return;
	ns_obj_name(name, sizeof(name), o->type, o->id);
	fd = openat(ns_dir(ns), name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fchown(fd, READ_ONCE(o->hdr->perm.uid),
		   READ_ONCE(o->hdr->perm.gid)) < 0) {
		/* only a privileged caller may give a file away; see docs */
	}
	if (fchmod(fd, file_mode(READ_ONCE(o->hdr->perm.mode))) < 0) {
		/* likewise */
	}
	file_acl(fd, READ_ONCE(o->hdr->perm.uid), READ_ONCE(o->hdr->perm.cuid),
		 file_mode(READ_ONCE(o->hdr->perm.mode)));
	close(fd);
}

void ipc_fill_perm(const struct uipc_hdr *h, struct ipc_perm *out)
{
	memset(out, 0, sizeof(*out));
	out->__key = READ_ONCE(h->perm.key);
	out->uid = READ_ONCE(h->perm.uid);
	out->gid = READ_ONCE(h->perm.gid);
	out->cuid = READ_ONCE(h->perm.cuid);
	out->cgid = READ_ONCE(h->perm.cgid);
	out->mode = READ_ONCE(h->perm.mode);
	out->__seq = (unsigned short)(h->id / UIPC_SEQ_MULT);
}

/*
 * ipc_set_perm - the common part of IPC_SET (kernel ipc_update_perm()):
 * uid, gid and the permission bits, and ctime.  Called with the object
 * locked, after the ownership check; syncs the file after unlocking is
 * the caller's job (ipc_set_done()).
 */
int ipc_set_perm(struct obj *o, const struct ipc_perm *in)
{
	struct uipc_perm *p = &o->hdr->perm;

	if (!proc_uid_valid(in->uid) || !proc_gid_valid(in->gid))
		return -EINVAL;
	jw32(&o->jc, &p->uid, in->uid);
	jw32(&o->jc, &p->gid, in->gid);
	jw32(&o->jc, &p->mode, (READ_ONCE(p->mode) & ~0777u) | (in->mode & 0777));
	jws64(&o->jc, &o->hdr->ctime, ipc_now());
	return 0;
}

void ipc_set_done(struct obj *o)
{
	ipc_sync_file(o);
}

static int ipc_reg_usage_sub(struct ns *ns, int type, struct jctx *rjc,
			     uint64_t n)
{
	struct uipc_reg_type *rt = &ns->reg->t[type];
	uint64_t used = READ_ONCE(rt->used);

	jw64(rjc, &rt->used, used > n ? used - n : 0);
	return 0;
}

/*
 * ipc_remove_locked - take @o out of the namespace: mark it removed and
 * free its index.  Called with the registry and the object locked.  The
 * caller unlinks the file after unlocking (ipc_unlink()).
 */
void ipc_remove_locked(struct ns *ns, struct jctx *rjc, struct obj *o)
{
	const struct ipc_ops *ops = ipc_ops_of(o->type);

	store_release(&o->hdr->state, UIPC_S_REMOVED);
	ns_free_idx(ns, o->type, rjc, ipc_idx(o->id));
	ipc_reg_usage_sub(ns, o->type, rjc,
			  ops->held_usage ? ops->held_usage(o) : 0);
}

/*
 * ipc_unlink - delete a removed object's file.  Called with the registry
 * locked, so that a crash cannot leave a file the registry has forgotten.
 * The memory past the header goes at once (hole punched), even while
 * other processes still have the file mapped in their caches; when no
 * other process can have it mapped, unlinking and unmapping free it all.
 */
void ipc_unlink(struct obj *o)
{
	struct ns *ns = ns_get();
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	size_t keep = align_up((size_t)o->hdr->body_off + o->hdr->body_size, ps);
	char name[64];
	int fd;

	if (IS_ERR(ns))
		return;
	ns_obj_name(name, sizeof(name), o->type, o->id);
	/*
	 * Nobody else maps it: unlinking frees it all.  Else punch, through
	 * our own mapping if we can (one system call).
	 */
	if (o->size > keep && READ_ONCE(o->hdr->mappers) > 1 && !o->keep_memory &&
	    (o->lent_from ||
	     madvise(o->base + keep, o->size - keep, MADV_REMOVE) < 0)) {
		fd = openat(ns_dir(ns), name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				  (off_t)keep, (off_t)(o->size - keep));
			close(fd);
		}
	}
	unlinkat(ns_dir(ns), name, 0);
}

/*
 * ipc_rmid_common - IPC_RMID for queues and sets: the object goes at once.
 * @locked: called with the object locked, before it is marked removed
 *          (complete every waiter with EIDRM);
 * @after:  called after unlocking (issue the wakeups).
 * The caller has checked ownership.  Returns 0 or -errno.
 */
int ipc_rmid_common(struct obj *o, void (*locked)(struct obj *),
		    void (*after)(struct obj *))
{
	struct ns *ns = ns_get();
	struct jctx rjc;
	int err;

	if (IS_ERR(ns))
		return PTR_ERR(ns);
	err = ns_reg_lock(ns, o->type, &rjc);
	if (err)
		return err;
	ipc_obj_lock(o);
	if (READ_ONCE(o->hdr->state) != UIPC_S_LIVE) {
		ipc_obj_unlock(o);
		ns_reg_unlock(ns, o->type, &rjc);
		return -EIDRM;
	}
	if (locked)
		locked(o);
	ipc_remove_locked(ns, &rjc, o);
	ipc_obj_unlock(o);
	ipc_unlink(o);
	ns_reg_unlock(ns, o->type, &rjc);
	if (after)
		after(o);
	return 0;
}

/* ---- creation ---- */

/*
 * ipc_reserve - back bytes [@off, @off + @len) of @o's file with memory
 * (a full tmpfs fails here, not with SIGBUS on first use).  Object lock
 * held.  0 or -ENOMEM.
 */
int ipc_reserve(struct obj *o, uint64_t off, uint64_t len)
{
	struct ns *ns = ns_get();
	char name[64];
	int fd, err;

	if (IS_ERR(ns))
		return PTR_ERR(ns);
	ns_obj_name(name, sizeof(name), o->type, o->id);
	fd = openat(ns_dir(ns), name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -ENOMEM;
	err = fallocate(fd, 0, (off_t)off, (off_t)len);
	close(fd);
	return err < 0 ? -ENOMEM : 0;
}



/* Create object file @name, replacing an orphan; a descriptor or -errno. */
static int obj_file_create(int dirfd, const char *name)
{
	for (int tries = 0;; tries++) {
		int fd = openat(dirfd, name, O_CREAT | O_EXCL | O_RDWR |
				O_NOFOLLOW | O_CLOEXEC, 0600);

		if (fd >= 0 || errno != EEXIST || tries)
			return fd >= 0 ? fd : -errno;
		unlinkat(dirfd, name, 0);
	}
}

/*
 * Build a new object's file, <type>.<id>.
 * Called with the registry locked and the entry RESERVED.  On success the
 * object is mapped and in the cache.
 */
static int obj_create(struct ns *ns, int type, int id,
		      const struct ipc_params *p)
{
	const struct ipc_ops *ops = ipc_ops_of(type);
	const struct proc_self *me = proc_self();
	size_t body, jsize, data, off_body, size;
	char name[64];
	struct uipc_hdr *h;
	struct obj *o;
	int fd, err;
	void *m;

	err = ops->geometry(p, &body, &jsize, &data);
	if (err)
		return err;
	jsize = align_up(jsize + sizeof(struct uipc_journal), 8);
	off_body = align_up(sizeof(struct uipc_hdr) + jsize, 8);
	size = off_body + body;
	if (data)
		size = align_up(size, (size_t)sysconf(_SC_PAGESIZE)) + data;
	if (off_body + body > UINT32_MAX)
		return -ENOMEM;

	/*
	 * The file gets its final name at once: nobody opens it before the
	 * registry entry, RESERVED until we return, says LIVE, and a crash
	 * leaves a RESERVED entry whose file the registry repair deletes.
	 * A name still there is an orphan of a creator that died.
	 */
	ns_obj_name(name, sizeof(name), type, id);
	fd = obj_file_create(ns_dir(ns), name);
	if (fd < 0)
		return fd == -ENOSPC ? -ENOMEM : fd;
	/*
	 * Reserve the memory now, which also sizes the file: a full tmpfs
	 * fails here, not with SIGBUS later.  Lazily backed data is left out
	 * of the reservation and only sized.
	 */
	err = posix_fallocate(fd, 0, ops->lazy_data ? size - data : size);
	if (!err && ops->lazy_data && ftruncate(fd, size) < 0)
		err = errno;
	if (err) {
		err = err == ENOSPC || err == EFBIG ? -ENOMEM : -err;
		goto fail_fd;
	}
	/* we write the header and body at once: a page fault costs about as
	 * much as six system calls in a VM, so map a small file in now */
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		err = -errno;
		goto fail_fd;
	}
	if (size <= POPULATE_MAX)
		madvise(m, size, MADV_POPULATE_WRITE);	/* 5.14+ */
	else if (size - data <= POPULATE_MAX)
		madvise(m, size - data, MADV_POPULATE_WRITE);
	h = m;
	h->magic = UIPC_MAGIC;
	h->version = UIPC_FORMAT_VERSION;
	h->type = type;
	h->hdr_size = sizeof(*h);
	h->state = UIPC_S_LIVE;
	h->file_size = size;
	h->id = id;
	h->body_off = off_body;
	h->body_size = body;
	h->perm.uid = h->perm.cuid = proc_euid();
	h->perm.gid = h->perm.cgid = proc_egid();
	h->perm.mode = p->flg & 0777;
	h->perm.key = p->key;
	h->journal_off = sizeof(*h);
	h->journal_size = jsize;
	((struct uipc_journal *)((char *)m + sizeof(*h)))->cap =
		(jsize - sizeof(struct uipc_journal)) / sizeof(struct uipc_jent);
	h->ctime = ipc_now();
	h->creator_pid = me->pid;
	h->creator_start = me->start;
	h->mappers = 1;

	o = calloc(1, sizeof(*o));
	if (!o) {
		munmap(m, size);
		err = -ENOMEM;
		goto fail_fd;
	}
	o->type = type;
	o->id = id;
	o->base = m;
	o->size = size;
	o->hdr = h;
	o->counted = true;
	o->guard = ipc_guard_add(m, size);
	err = jn_init(&o->jc, m, size, h->journal_off, h->journal_size);
	if (!err)
		err = ops->init(o, p);
	if (!err)
		err = obj_validate(o, type, id);
	if (err)
		goto fail_obj;
	if (fchmod(fd, file_mode(h->perm.mode)) < 0) {
		err = -errno;
		goto fail_obj;
	}
	close(fd);
	pthread_once(&cache_once, cache_init);
	if (threaded())
		pthread_mutex_lock(&cache_mu);
	cache_insert(o);
	if (threaded())
		pthread_mutex_unlock(&cache_mu);
	return 0;

fail_obj:
	obj_unmap(o);
fail_fd:
	unlinkat(ns_dir(ns), name, 0);
	close(fd);
	return err;
}

/* May another object of @type with @p be created within limits @lim? */
static int within_limits(int type, struct uipc_reg_type *rt,
			 const struct ipc_params *p,
			 const struct uipc_limits *lim)
{
	const struct ipc_ops *ops = ipc_ops_of(type);
	unsigned long mni;
	int err;

	if (ops->check_usage) {
		err = ops->check_usage(READ_ONCE(rt->used), p, lim);
		if (err)
			return err;
	}
	mni = type == UIPC_T_MSG ? (unsigned long)lim->msgmni :
	      type == UIPC_T_SEM ? (unsigned long)lim->semmni : lim->shmmni;
	if (mni > UIPC_IPCMNI)
		mni = UIPC_IPCMNI;
	return READ_ONCE(rt->in_use) >= mni ? -ENOSPC : 0;
}

static int ipcget_new(struct ns *ns, struct jctx *rjc, int type,
		      const struct ipc_params *p)
{
	const struct ipc_ops *ops = ipc_ops_of(type);
	struct uipc_reg_type *rt = &ns->reg->t[type];
	struct uipc_limits lim;
	struct uipc_reg_ent *e;
	uint64_t usage = ops->usage ? ops->usage(p) : 0;
	int id, err;

	lim_quick(&lim);
	err = within_limits(type, rt, p, &lim);
	if (err) {
		/* a limit raised a moment ago counts: read them afresh */
		lim_get_type(&lim, type);
		err = within_limits(type, rt, p, &lim);
		if (err)
			return err;
	}
	for (int tries = 0;; tries++) {
		id = ns_alloc_id(ns, type, rjc, p->key, &e);
		if (id < 0)
			return id;
		err = obj_create(ns, type, id, p);
		if (err != -EEXIST || tries == 8)
			break;
		/*
		 * The name is held by the orphan of a creator of another
		 * user that died (the directory is sticky, so neither the
		 * repair nor we may delete it): skip that id, as a kernel
		 * id never fails with EEXIST.  Commit that (a consistent
		 * state) to keep the registry journal within its bounds.
		 */
		ns_free_idx(ns, type, rjc, ipc_idx(id));
		jn_commit(rjc);
	}
	if (err) {
		jn_rollback(rjc);
		return err;
	}
	jw64(rjc, &rt->used, READ_ONCE(rt->used) + usage);
	jw32(rjc, &e->state, UIPC_E_LIVE);
	return id;
}

/* Is the LIVE entry @e really backed by a live object file? */
static struct obj *ent_obj(int type, struct uipc_reg_ent *e)
{
	return ipc_obj_get(type, READ_ONCE(e->id));
}

/* An existing object found under the key: the kernel's checks, in order. */
static int ipcget_found(struct obj *o, const struct ipc_params *p)
{
	const struct ipc_ops *ops = ipc_ops_of(o->type);
	int err;

	if ((p->flg & IPC_CREAT) && (p->flg & IPC_EXCL))
		return -EEXIST;
	if (ops->more_checks && (err = ops->more_checks(o, p)))
		return err;
	if (ipcperms(&o->hdr->perm, p->flg))
		return -EACCES;
	return o->id;
}

/*
 * ipcget_lookup - the read-only modes: find the key's object without the
 * registry lock (reading the registry racily) and without cleaning up
 * after a remover that died.  Returns as ipcget(), -ENOENT if none.
 */
static int ipcget_lookup(struct ns *ns, int type, const struct ipc_params *p)
{
	struct uipc_reg_ent *ents = ns_ents(ns, type);
	int max = READ_ONCE(ns->reg->t[type].max_idx);

	if (max >= UIPC_IPCMNI)
		max = UIPC_IPCMNI - 1;
	for (int i = 0; i <= max; i++) {
		struct uipc_reg_ent *e = &ents[i];
		struct obj *o;
		int r;

		if (READ_ONCE(e->state) != UIPC_E_LIVE ||
		    READ_ONCE(e->key) != p->key)
			continue;
		o = ent_obj(type, e);
		if (IS_ERR(o)) {
			if (PTR_ERR(o) != -EINVAL)
				return (int)PTR_ERR(o);
			continue;	/* gone meanwhile, or a dead remover's */
		}
		r = ipcget_found(o, p);
		ipc_obj_put(o);
		return r;
	}
	return -ENOENT;
}

/*
 * ipcget - msgget/semget/shmget (kernel ipcget()).
 * Returns the id, or -errno.
 */
int ipcget(int type, const struct ipc_params *p)
{
	struct ns *ns = ns_get();
	struct uipc_reg_ent *ents;
	struct jctx rjc;
	int err, max;

	if (IS_ERR(ns))
		return PTR_ERR(ns);
	proc_refresh_creds();
	if (ipc_quiet_reads()) {
		if (p->key != IPC_PRIVATE) {
			err = ipcget_lookup(ns, type, p);
			if (err != -ENOENT || !(p->flg & IPC_CREAT))
				return err;
		}
		if (ipc_readonly())
			return -EROFS;	/* it would create */
	}
	err = ns_reg_lock(ns, type, &rjc);
	if (err)
		return err;
	if (p->key == IPC_PRIVATE) {
		err = ipcget_new(ns, &rjc, type, p);
		goto out;
	}
	ents = ns_ents(ns, type);
	max = READ_ONCE(ns->reg->t[type].max_idx);
	if (max >= UIPC_IPCMNI)
		max = UIPC_IPCMNI - 1;
	for (int i = 0; i <= max; i++) {
		struct uipc_reg_ent *e = &ents[i];
		struct obj *o;

		if (READ_ONCE(e->state) != UIPC_E_LIVE ||
		    READ_ONCE(e->key) != p->key)
			continue;
		o = ent_obj(type, e);
		if (IS_ERR(o)) {
			if (PTR_ERR(o) != -EINVAL) {
				err = PTR_ERR(o);
				goto out;
			}
			/* its file is gone or removed: a remover died half
			 * way; finish its work */
			char name[64];

			ns_obj_name(name, sizeof(name), type, READ_ONCE(e->id));
			unlinkat(ns_dir(ns), name, 0);
			ns_free_idx(ns, type, &rjc, i);
			continue;
		}
		err = ipcget_found(o, p);
		ipc_obj_put(o);
		goto out;
	}
	if (!(p->flg & IPC_CREAT))
		err = -ENOENT;
	else
		err = ipcget_new(ns, &rjc, type, p);
out:
	ns_reg_unlock(ns, type, &rjc);
	return err;
}

/* ---- the registry seen from the ctl calls ---- */

/* The kernel's ipc_get_maxidx(). */
int ipc_max_idx(int type)
{
	struct ns *ns = ns_get();
	struct uipc_reg_type *rt;

	if (IS_ERR(ns))
		return PTR_ERR(ns);
	rt = &ns->reg->t[type];
	if (READ_ONCE(rt->in_use) == 0)
		return 0;
	if (READ_ONCE(rt->in_use) >= UIPC_IPCMNI)
		return UIPC_IPCMNI - 1;
	return READ_ONCE(rt->max_idx) < 0 ? 0 : READ_ONCE(rt->max_idx);
}

int ipc_registry_counts(int type, uint32_t *in_use, uint64_t *used)
{
	struct ns *ns = ns_get();

	if (IS_ERR(ns))
		return PTR_ERR(ns);
	*in_use = READ_ONCE(ns->reg->t[type].in_use);
	*used = READ_ONCE(ns->reg->t[type].used);
	return 0;
}

/*
 * ipc_stat_get - the object for IPC_STAT (@idx is an id, read permission
 * needed) or for *_STAT / *_STAT_ANY (@idx is an index; @any: no read
 * permission needed).
 */
int ipc_stat_get(int type, int idx, bool by_id, bool any, struct obj **op)
{
	struct obj *o;

	if (!by_id)
		return ipc_stat_index(type, idx, any, op);
	o = ipc_obj_get(type, idx);
	if (IS_ERR(o))
		return PTR_ERR(o);
	if (ipcperms(&o->hdr->perm, 0444)) {
		ipc_obj_put(o);
		return -EACCES;
	}
	*op = o;
	return 0;
}

/*
 * ipc_stat_index - the object at index @idx, for MSG_STAT & co.
 * @any: *_STAT_ANY (no read permission needed).
 */
int ipc_stat_index(int type, int idx, bool any, struct obj **op)
{
	struct ns *ns = ns_get();
	struct uipc_reg_ent *e;
	struct obj *o;

	if (IS_ERR(ns))
		return PTR_ERR(ns);
	if (idx < 0)
		return -EINVAL;
	e = &ns_ents(ns, type)[idx % UIPC_SEQ_MULT];	/* as the kernel */
	if (READ_ONCE(e->state) != UIPC_E_LIVE)
		return -EINVAL;
	o = ipc_obj_get(type, READ_ONCE(e->id));
	if (IS_ERR(o))
		return PTR_ERR(o);
	if (!any && ipcperms(&o->hdr->perm, 0444)) {
		ipc_obj_put(o);
		return -EACCES;
	}
	*op = o;
	return 0;
}

/* Call @fn on every cached object of @type (exit handlers). */
void ipc_for_each_cached(int type, void (*fn)(struct obj *))
{
	for (int b = 0; b < CACHE_BUCKETS; b++)
		for (struct obj *o = cache[type][b]; o; o = o->next)
			fn(o);
}
