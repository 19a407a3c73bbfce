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
 * key only when it is completely built: its index is named, its file made
 * without a name, initialised and linked in (state NEW: found by nobody),
 * its key named, and only then is it LIVE (ns.c has the names).  A get
 * that finds a key naming a NEW object waits while its creator lives.
 * Permissions follow ipcperms(): the owner
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

static void lease_drop(struct obj *o);

/*
 * The child shares our leases (file descriptions): it closes its copies,
 * which leaves ours held, and takes its own when it first locks.
 */
static void cache_postfork_child(void)
{
	for (int t = 0; t < UIPC_NTYPES; t++)
		for (int b = 0; b < CACHE_BUCKETS; b++)
			for (struct obj *o = cache[t][b]; o; o = o->next) {
				lease_drop(o);
				o->lease_want = true;
			}
	pthread_mutex_unlock(&cache_mu);
}

static void cache_init(void)
{
	pthread_atfork(cache_prefork, cache_postfork, cache_postfork_child);
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

static void view_free(struct obj *v);
static void kcache_forget(struct obj *o);

/* Give up our lease on @o's file (close its descriptor). */
static void lease_drop(struct obj *o)
{
	if (o->lease.fd >= 0)
		close(o->lease.fd);
	o->lease.fd = -1;
	o->lease.slot = 0;
}

/*
 * Keep @fd, open for writing on @o's file, as our lease on it, or close
 * it.  Without a lease (no descriptor to spare: EMFILE) the lock word
 * names our pid instead (lock.c).
 */
static void lease_keep(struct obj *o, int fd)
{
	int slot = fd >= 0 && !o->view && !ipc_readonly() ?
		   lease_take(fd, &o->hdr->lease_next) : -1;

	if (slot > 0) {
		o->lease.fd = fd;
		o->lease.slot = (uint32_t)slot;
	} else if (fd >= 0) {
		close(fd);
	}
}

static void obj_unmap(struct obj *o)
{
	kcache_forget(o);
	lease_drop(o);
	if (o->counted)
		fetch_sub(&o->hdr->mappers, 1);
	if (o->cached_view)
		view_free(o->cached_view);
	guard_del(o->guard);
	ipc_space_unmap(o->base, o->size);
	ipc_zfree(o->priv);
	ipc_zfree(o);
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
	o = ipc_zalloc(sizeof(*o));
	if (!o)
		return ERR_PTR(-ENOMEM);
	o->guard = -1;
	o->lease.fd = -1;
	/* map what the header says; a shorter file is corrupt */
	struct uipc_hdr h;

	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		ipc_zfree(o);
		return ERR_PTR(UIPC_CORRUPT);
	}
	uint64_t fsz = h.file_size;

	if (fsz < sizeof(struct uipc_hdr) || fsz > (uint64_t)st.st_size ||
	    fsz > ((uint64_t)1 << 46)) {
		ipc_zfree(o);
		return ERR_PTR(UIPC_CORRUPT);
	}
	/* read-only mode: a stray write faults instead of changing the file */
	p = ipc_space_map(fsz, ipc_readonly() ? PROT_READ :
			  PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		ipc_zfree(o);
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
	o->key = READ_ONCE(o->hdr->perm.key);
	return o;
}

/*
 * obj_open - map the file of object @id.  Only the object that the index
 * name <t>.i<idx> names is @id; a file whose owner is not the index
 * name's (nor is the name root's) was made up by someone else and is not
 * @id either (docs/security.md).
 */
static struct obj *obj_open(int type, int id)
{
	struct ns *ns = ns_get();
	char name[64];
	struct stat st;
	struct obj *o;
	uint64_t usage;
	uid_t luid;
	int fd, nid, err;

	if (IS_ERR(ns))
		return (struct obj *)ns;
	err = ns_idx_read(ns, type, ipc_idx(id), &nid, &usage, &luid);
	if (err == -ENOENT || err == -EUCLEAN || (!err && nid != id))
		return ERR_PTR(-EINVAL);
	if (err)
		return ERR_PTR(err);
	ns_obj_name(name, sizeof(name), type, id);
	fd = openat(ns_dir(ns), name, (ipc_readonly() ? O_RDONLY : O_RDWR) |
		    O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return ERR_PTR(-EINVAL);
		if (errno == ELOOP)
			return ERR_PTR(-EINVAL);
		return ERR_PTR(-errno);
	}
	if (fstat(fd, &st) < 0 || (luid != 0 && luid != st.st_uid)) {
		close(fd);
		return ERR_PTR(-EINVAL);
	}
	o = obj_map_fd(fd, type, id);
	if (IS_ERR(o)) {
		close(fd);
		return o;
	}
	o->fuid = st.st_uid;
	lease_keep(o, fd);
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

/*
 * The objects this process found through their key's name, by key: a get
 * of a key whose object is here and still LIVE under that key needs no
 * look at the name (no system call).  That is safe because a key's name
 * that names a live object cannot change while the object lives (only
 * its owner removes it, at removal, which marks the object REMOVED first;
 * a segment removed while attached drops its key in the header first).
 * Only a key verified through its name goes in (key_ok), never one read
 * from a header, which a writer of the object could forge.  Entries go
 * with the object (cache_unlink()).  Under cache_mu once threaded.
 */
#define KCACHE		64

static struct obj *kcache[UIPC_NTYPES][KCACHE];

static unsigned kc_slot(int32_t key)
{
	return ((uint32_t)key * 2654435761u) >> 26;	/* 6 bits */
}

static void kcache_put(struct obj *o, int32_t key)
{
	o->key_ok = true;
	o->key = key;
	kcache[o->type][kc_slot(key)] = o;
}

/* Remember @o as found through @key, if it is still the cached @o. */
static void kcache_note(struct obj *o, int32_t key)
{
	if (threaded())
		pthread_mutex_lock(&cache_mu);
	if (cache_find(o->type, o->id) == o)
		kcache_put(o, key);
	if (threaded())
		pthread_mutex_unlock(&cache_mu);
}

static void kcache_forget(struct obj *o)
{
	if (o->key_ok && kcache[o->type][kc_slot(o->key)] == o)
		kcache[o->type][kc_slot(o->key)] = NULL;
}

static void cache_unlink(struct obj *o)
{
	struct obj **pp = &cache[o->type][(unsigned)o->id % CACHE_BUCKETS];

	kcache_forget(o);
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
	o = obj_open(type, id);
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
/* After fork: a lease of our own on @o's file (see lease.c). */
static void lease_retake(struct obj *o)
{
	struct ns *ns = ns_get();
	bool mt = threaded();
	char name[64];

	if (IS_ERR(ns) || o->view)
		return;
	if (mt)
		pthread_mutex_lock(&cache_mu);
	if (o->lease_want) {
		o->lease_want = false;
		ns_obj_name(name, sizeof(name), o->type, o->id);
		lease_keep(o, openat(ns_dir(ns), name, O_RDWR | O_NOFOLLOW |
				     O_CLOEXEC));
	}
	if (mt)
		pthread_mutex_unlock(&cache_mu);
}

int ipc_obj_lock(struct obj *o)
{
	int r;

	if (unlikely(o->lease_want))
		lease_retake(o);
	r = lk_lock(&o->hdr->lock, &o->lease);

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
	ipc_zfree(v->priv);
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
	v->lease.fd = -1;
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
	struct stat st;
	int fd;

	if (IS_ERR(ns))
		return;
	ns_obj_name(name, sizeof(name), o->type, o->id);
	fd = openat(ns_dir(ns), name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	ipc_sync_fd(o, fd);
	if (fstat(fd, &st) == 0 && st.st_uid != o->fuid) {
		/* the file was given away: its names go with it */
		char nm[64];

		snprintf(nm, sizeof(nm), "%s.i%d", ns_type_name[o->type],
			 ipc_idx(o->id));
		if (fchownat(ns_dir(ns), nm, st.st_uid, (gid_t)-1,
			     AT_SYMLINK_NOFOLLOW) < 0) {
			/* root gave it away: root may; else nothing to do */
		}
		if (o->key != IPC_PRIVATE) {
			snprintf(nm, sizeof(nm), "%s.k%08x",
				 ns_type_name[o->type], (uint32_t)o->key);
			if (fchownat(ns_dir(ns), nm, st.st_uid, (gid_t)-1,
				     AT_SYMLINK_NOFOLLOW) < 0) {
				/* likewise */
			}
		}
		o->fuid = st.st_uid;
	}
	close(fd);
}

/* The owner, mode and ACL of another file of @o, open as @fd (shm: huge
 * page data), and of its object file through ipc_sync_file(). */
void ipc_sync_fd(struct obj *o, int fd)
{
	if (fchown(fd, READ_ONCE(o->hdr->perm.uid),
		   READ_ONCE(o->hdr->perm.gid)) < 0) {
		/* only a privileged caller may give a file away; see docs */
	}
	if (fchmod(fd, file_mode(READ_ONCE(o->hdr->perm.mode))) < 0) {
		/* likewise */
	}
	file_acl(fd, READ_ONCE(o->hdr->perm.uid), READ_ONCE(o->hdr->perm.cuid),
		 file_mode(READ_ONCE(o->hdr->perm.mode)));
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

/*
 * ipc_remove_locked - take @o out of the namespace: mark it removed.
 * Called with the object locked.  The caller removes its names after
 * unlocking (ipc_unlink()).
 */
void ipc_remove_locked(struct obj *o)
{
	store_release(&o->hdr->state, UIPC_S_REMOVED);
}

/*
 * ipc_drop_names - remove the names of object @id of @type (key @key, or
 * IPC_PRIVATE): the key's first, so that no get finds it; then the
 * index, then the file.  Each name goes only if it still names @id.  A
 * remover that dies half way leaves names that name nothing, which the
 * next user of the key removes (ipcget), or a removed file under no
 * index, which the next creator of that id removes (obj_file_create).
 * Nobody but the remover removes an index name whose file is there.
 */
static void ipc_drop_names(struct ns *ns, int type, int id, int32_t key)
{
	ns_names_lock(ns);
	if (key != IPC_PRIVATE)
		ns_key_drop(ns, type, key, id);
	ns_idx_drop(ns, type, id);
	ns_unlink(ns, type, id);
	ns_names_unlock();
}

/*
 * ipc_unlink - delete a removed object's names.  The memory past the
 * header goes at once (hole punched), even while other processes still
 * have the file mapped in their caches; when no other process can have
 * it mapped, unlinking and unmapping free it all.
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
	    madvise(o->base + keep, o->size - keep, MADV_REMOVE) < 0) {
		fd = openat(ns_dir(ns), name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				  (off_t)keep, (off_t)(o->size - keep));
			close(fd);
		}
	}
	ipc_drop_names(ns, o->type, o->id, o->key);
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
	ipc_obj_lock(o);
	if (READ_ONCE(o->hdr->state) != UIPC_S_LIVE) {
		ipc_obj_unlock(o);
		return -EIDRM;
	}
	if (locked)
		locked(o);
	ipc_remove_locked(o);
	ipc_obj_unlock(o);
	ipc_unlink(o);
	if (after)
		after(o);
	return 0;
}

struct key_of {
	struct ns *ns;
	int type, id;
};

/* Drop key name @name if it names object ka->id. */
static int drop_key_of(struct key_of *ka, const char *name)
{
	unsigned long key;
	char *end;

	key = strtoul(name + strlen(ns_type_name[ka->type]) + 2, &end, 16);
	if (*end || key > UINT32_MAX)
		return 0;
	ns_key_drop(ka->ns, ka->type, (int32_t)key, ka->id);
	return 0;
}

/*
 * ipc_rmid_broken - IPC_RMID of an object whose file is corrupt or
 * truncated (@err: what looking it up gave).  Its header cannot be
 * believed, so its file's owner stands for its owner and creator: that
 * user, the namespace's owner and root may remove it, and then its names
 * go (the key's found by their target), so that its key and id are free
 * again.  Others get -EPERM.  Any other @err is returned as it is.
 */
int ipc_rmid_broken(int type, int id, int err)
{
	struct ns *ns = ns_get();
	char name[64];
	struct stat st;
	uint64_t usage;
	uid_t luid, me = proc_euid();
	int nid;

	if (err != -EUCLEAN || IS_ERR(ns))
		return err;
	if (ns_idx_read(ns, type, ipc_idx(id), &nid, &usage, &luid) || nid != id)
		return -EINVAL;
	ns_obj_name(name, sizeof(name), type, id);
	if (fstatat(ns_dir(ns), name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -EINVAL;
	if (luid != 0 && luid != st.st_uid)
		return -EINVAL;	/* a made-up index name: not an object */
	if (me != 0 && me != st.st_uid && me != ns->owner)
		return -EPERM;
	ns_names_lock(ns);
	ns_scan_names(ns, type, 'k', (int (*)(void *, const char *))drop_key_of,
		      &(struct key_of){ ns, type, id });
	ns_idx_drop(ns, type, id);
	ns_unlink(ns, type, id);
	ns_names_unlock();
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



/* Remove file @name (of object @id) if it is a dead one's leftover. */
static void obj_clear_orphan(struct ns *ns, const char *name, int id)
{
	ns_names_lock(ns);
	if (ns_orphan(ns, name, id))
		unlinkat(ns_dir(ns), name, 0);
	ns_names_unlock();
}

/*
 * Create object file @name; a descriptor or -errno.  A name still there
 * is a leftover of a removal that died half way, or a name another user
 * made up: -EEXIST, and the caller takes another id.
 */
static int obj_file_create(struct ns *ns, const char *name, int id)
{
	for (int tries = 0;; tries++) {
		int fd = openat(ns_dir(ns), name, O_CREAT | O_EXCL | O_RDWR |
				O_NOFOLLOW | O_CLOEXEC, 0600);

		if (fd >= 0 || errno != EEXIST || tries ||
		    !ns_orphan(ns, name, id))
			return fd >= 0 ? fd : -errno;
		obj_clear_orphan(ns, name, id);
	}
}


/*
 * A new object's file, made without a name (O_TMPFILE) where the file
 * system can, so that it appears under its name only once it is built
 * (obj_publish()): a creator killed while building it leaves nothing.
 * Elsewhere it is made under its name at once (*@named).
 */
static int obj_file_new(struct ns *ns, const char *name, int id, bool *named)
{
	int fd = openat(ns_dir(ns), ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	*named = false;
	if (fd >= 0)
		return fd;
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return -errno;
	*named = true;
	return obj_file_create(ns, name, id);
}

/*
 * Give the unnamed file @fd its @name.  Linking a descriptor needs
 * CAP_DAC_READ_SEARCH on older kernels: else the /proc path does it.
 * -EEXIST if the name is somebody's.
 */
static int obj_publish(struct ns *ns, int fd, const char *name, int id)
{
	char path[64];
	int r;

	for (int tries = 0;; tries++) {
		r = linkat(fd, "", ns_dir(ns), name, AT_EMPTY_PATH);
		if (r < 0 && (errno == ENOENT || errno == EPERM ||
			      errno == EINVAL)) {
			snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
			r = linkat(AT_FDCWD, path, ns_dir(ns), name,
				   AT_SYMLINK_FOLLOW);
		}
		if (r == 0)
			return 0;
		r = -errno;
		if (r != -EEXIST || tries || !ns_orphan(ns, name, id))
			return r == -ENOSPC ? -ENOMEM : r;
		obj_clear_orphan(ns, name, id);
	}
}


/*
 * Build a new object's file, <type>.<id>, whose index name we hold.  It
 * is left in state NEW (found by nobody: a lookup by id wants LIVE, one
 * by key waits for it); on success the object is mapped and in the
 * cache.
 */
static int obj_create(struct ns *ns, int type, int id,
		      const struct ipc_params *p)
{
	const struct ipc_ops *ops = ipc_ops_of(type);
	const struct proc_self *me = proc_self();
	size_t body, jsize, data, off_body, size;
	char name[64];
	struct uipc_hdr *h;
	bool named;
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
	 * The file gets its name once built (obj_publish()), in state NEW:
	 * nobody uses it before it is LIVE, and a creator that dies after
	 * naming it leaves a NEW file that the next one to come across it
	 * removes.
	 */
	ns_obj_name(name, sizeof(name), type, id);
	fd = obj_file_new(ns, name, id, &named);
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
	 * much as six system calls in a VM, so map a small file in now (not
	 * a segment's data, used only through attachments) */
	m = ipc_space_map(size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		err = -errno;
		goto fail_fd;
	}
	if (size <= POPULATE_MAX && type != UIPC_T_SHM)
		madvise(m, size, MADV_POPULATE_WRITE);	/* 5.14+ */
	else if (size - data <= POPULATE_MAX)
		madvise(m, size - data, MADV_POPULATE_WRITE);
	h = m;
	h->magic = UIPC_MAGIC;
	h->version = UIPC_FORMAT_VERSION;
	h->type = type;
	h->hdr_size = sizeof(*h);
	h->state = UIPC_S_NEW;
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

	o = ipc_zalloc(sizeof(*o));
	if (!o) {
		ipc_space_unmap(m, size);
		err = -ENOMEM;
		goto fail_fd;
	}
	o->type = type;
	o->id = id;
	o->base = m;
	o->size = size;
	o->hdr = h;
	o->lease.fd = -1;
	o->counted = true;
	o->fuid = proc_euid();
	o->key = p->key;
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
	if (!named) {
		err = obj_publish(ns, fd, name, id);
		if (err)
			goto fail_obj;
	}
	lease_keep(o, fd);
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
	if (named)
		unlinkat(ns_dir(ns), name, 0);
	close(fd);
	return err;
}

/* Forget a NEW object we made: out of the cache, unmapped, unnamed. */
static void obj_abandon(struct ns *ns, struct obj *o)
{
	int type = o->type, id = o->id;

	if (threaded())
		pthread_mutex_lock(&cache_mu);
	cache_unlink(o);
	if (threaded())
		pthread_mutex_unlock(&cache_mu);
	store_release(&o->hdr->state, UIPC_S_REMOVED);
	obj_unmap(o);
	ns_names_lock(ns);
	ns_idx_drop(ns, type, id);
	ns_unlink(ns, type, id);
	ns_names_unlock();
}

/* Bytes a get needs from a key's name: nsems of a set, size of a segment. */
static uint64_t key_extra(int type, const struct ipc_params *p)
{
	return type == UIPC_T_SEM ? (uint64_t)p->u.nsems :
	       type == UIPC_T_SHM ? (uint64_t)p->u.size : 0;
}

/* more_checks from the key's name, for an object we cannot open. */
static int extra_checks(int type, const struct ipc_params *p, uint64_t extra)
{
	if (type == UIPC_T_SEM && (uint64_t)p->u.nsems > extra)
		return -EINVAL;
	if (type == UIPC_T_SHM && (uint64_t)p->u.size > extra)
		return -EINVAL;
	return 0;
}

static unsigned long mni_of(int type, const struct uipc_limits *lim)
{
	unsigned long mni = type == UIPC_T_MSG ? (unsigned long)lim->msgmni :
			    type == UIPC_T_SEM ? (unsigned long)lim->semmni :
			    lim->shmmni;

	return mni > UIPC_IPCMNI ? UIPC_IPCMNI : mni;
}

/* The most usage one object of @type may hold under @lim. */
static uint64_t usage_max(int type, const struct uipc_limits *lim)
{
	long ps = sysconf(_SC_PAGESIZE);

	if (type == UIPC_T_SEM)
		return (uint64_t)lim->semmsl;
	if (type == UIPC_T_SHM)
		return lim->shmmax / (unsigned long)ps + 1;
	return 0;
}

/*
 * May another object of @type with @p be created within limits @lim?
 * The objects are counted (a scan of the directory) only when a limit is
 * in reach, or the kernel's index bound depends on their number: below
 * that, the directory's size bounds them from above.  *@in_use: the
 * count, or a number below UIPC_MIN_CYCLE * 2 / 3 when not counted.
 */
static int within_limits(struct ns *ns, int type, const struct ipc_params *p,
			 const struct uipc_limits *lim, uint32_t *in_use)
{
	const struct ipc_ops *ops = ipc_ops_of(type);
	uint64_t est = ns_names_at_most(ns), used, umax = usage_max(type, lim);
	unsigned long mni = mni_of(type, lim);
	bool exact = est >= UIPC_MIN_CYCLE * 2 / 3 || est >= mni;
	int err;

	if (!exact && ops->check_usage) {
		used = umax && est > UINT64_MAX / umax ? UINT64_MAX : est * umax;
		err = ops->check_usage(used, p, lim);
		if (err == -EINVAL)
			return err;
		exact = err != 0;
	}
	if (!exact) {
		*in_use = 0;
		return 0;
	}
	err = ns_count(ns, type, in_use, &used, NULL);
	if (err)
		return err;
	if (ops->check_usage) {
		err = ops->check_usage(used, p, lim);
		if (err)
			return err;
	}
	return *in_use >= mni ? -ENOSPC : 0;
}

static struct obj *cache_find_locked(int type, int id)
{
	struct obj *o;

	pthread_once(&cache_once, cache_init);
	if (threaded())
		pthread_mutex_lock(&cache_mu);
	o = cache_find(type, id);
	if (threaded())
		pthread_mutex_unlock(&cache_mu);
	return o;
}

static bool idx_still_ours(struct ns *ns, int type, int id)
{
	uint64_t usage;
	uid_t uid;
	int nid;

	return ns_idx_read(ns, type, ipc_idx(id), &nid, &usage, &uid) == 0 &&
	       nid == id;
}

#define SQUAT_SEQS	16	/* sequences tried for one index */

static int ipcget_new(struct ns *ns, int type, const struct ipc_params *p)
{
	const struct ipc_ops *ops = ipc_ops_of(type);
	struct uipc_limits lim;
	uint64_t usage = ops->usage ? ops->usage(p) : 0;
	uint32_t in_use;
	struct obj *o;
	int id, err;

	lim_quick(&lim);
	err = within_limits(ns, type, p, &lim, &in_use);
	if (err) {
		/* a limit raised a moment ago counts: read them afresh */
		lim_get_type(&lim, type);
		err = within_limits(ns, type, p, &lim, &in_use);
		if (err)
			return err;
	}
	for (int tries = 0;; tries++) {
		id = ns_alloc_id(ns, type, in_use, usage);
		if (id < 0)
			return id;
		err = obj_create(ns, type, id, p);
		for (int n = 0; err == -EEXIST && n < SQUAT_SEQS; n++) {
			/*
			 * Somebody else's file holds the name (a made-up one,
			 * or a dead remover's of another user): the index
			 * is ours, so take it under the next sequence.
			 */
			int nid = id + UIPC_SEQ_MULT < 0 ||
				  id / UIPC_SEQ_MULT + 1 >= INT32_MAX / UIPC_SEQ_MULT ?
				  ipc_idx(id) : id + UIPC_SEQ_MULT;

			if (ns_idx_retarget(ns, type, id, nid, usage))
				break;
			id = nid;
			err = obj_create(ns, type, id, p);
		}
		if (!err && !idx_still_ours(ns, type, id)) {
			/* stopped so long that our index was taken from us */
			o = cache_find_locked(type, id);
			if (o)
				obj_abandon(ns, o);
			err = -EEXIST;
			continue;
		}
		if (err != -EEXIST || tries == 8)
			break;
		/*
		 * A file holds the name: the leftover of a removal of
		 * another user that died, or a name made up.  Skip that id,
		 * as a kernel id never fails with EEXIST; the index name
		 * stays with it, so nobody tries it again.
		 */
	}
	if (err) {
		ns_idx_drop(ns, type, id);
		return err;
	}
	o = cache_find_locked(type, id);
	if (p->key != IPC_PRIVATE) {
		err = ns_key_claim(ns, type, p->key, id, key_extra(type, p));
		if (err) {
			/* somebody was first (-EEXIST): theirs it is */
			if (o)
				obj_abandon(ns, o);
			return err == -EEXIST ? -EAGAIN : err;
		}
	}
	if (o) {
		store_release(&o->hdr->state, UIPC_S_LIVE);
		if (p->key != IPC_PRIVATE)
			kcache_note(o, p->key);
	}
	return id;
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
 * The same for an object whose file we may not open: what its key's name
 * says stands in for the object, and we have no access to it.
 */
static int ipcget_found_closed(int type, int id, uint64_t extra,
			       const struct ipc_params *p)
{
	int err;

	if ((p->flg & IPC_CREAT) && (p->flg & IPC_EXCL))
		return -EEXIST;
	err = extra_checks(type, p, extra);
	if (err)
		return err;
	if (((p->flg >> 6) | (p->flg >> 3) | p->flg) & 7)
		return ipc_capable() ? id : -EACCES;
	return id;
}

/* The owner of the file of object @id, or (uid_t)-1. */
static uid_t ns_owner_of(struct ns *ns, int type, int id)
{
	char name[64];
	struct stat st;

	ns_obj_name(name, sizeof(name), type, id);
	if (fstatat(ns_dir(ns), name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return (uid_t)-1;
	return st.st_uid;
}

/*
 * A key found changing (being created, or its leftovers being cleared)
 * is looked up again: at once GET_SPINS times, then every GET_NAP_NS, for
 * GET_TRIES lookups in all (about two seconds: a creator stopped between
 * naming its object and publishing it); then the get fails with EBUSY.
 */
#define GET_TRIES	2000
#define GET_SPINS	16
#define GET_NAP_NS	1000000L

/*
 * ipckey_lookup - the object under @p->key.  Returns as ipcget(),
 * -ENOENT if there is none, -EAGAIN if it changed under us (look again).
 * Names that name nothing (a remover or creator died half way) are
 * removed when they are ours to remove and we may repair.
 */
static int ipckey_lookup(struct ns *ns, int type, const struct ipc_params *p)
{
	uint64_t extra;
	struct obj *o;
	uid_t kuid;
	int id, err;

	err = ns_key_read(ns, type, p->key, &id, &extra, NULL);
	if (err == -EUCLEAN)
		return -EACCES;	/* a made-up name: another user's key */
	if (err)
		return err;
	o = ipc_obj_get(type, id);
	if (!IS_ERR(o)) {
		/*
		 * An object that says it is the key's is the key's, whoever
		 * made the name (nobody else could while it lives); else the
		 * name must be its owner's, or root's.
		 */
		kuid = o->key == p->key ? o->fuid : ns_key_owner(ns, type, p->key);
		if (kuid != 0 && kuid != o->fuid) {
			ipc_obj_put(o);
			return -EACCES;	/* a made-up name: not that object */
		}
		err = ipcget_found(o, p);
		kcache_note(o, p->key);
		ipc_obj_put(o);
		return err;
	}
	err = PTR_ERR(o);
	if (err == -EACCES) {
		kuid = ns_key_owner(ns, type, p->key);
		return kuid != 0 && kuid != ns_owner_of(ns, type, id) ? -EACCES :
		       ipcget_found_closed(type, id, extra, p);
	}
	if (err != -EINVAL)
		return err;
	/* no live object @id: being created, or a leftover */
	if (!ns_stale(ns, type, id)) {
		sched_yield();
		return -EAGAIN;	/* published meanwhile, or about to be */
	}
	if (ipc_quiet_reads())
		return -ENOENT;
	err = ns_key_drop(ns, type, p->key, id);
	/* a leftover of another user's, which only they (or root) remove */
	return err == -EPERM || err == -EACCES ? -EACCES : -EAGAIN;
}

/*
 * ipcget_cached - the get of a key whose object this process found
 * through the key before (kcache): as ipcget(), or -EAGAIN to look.
 */
static int ipcget_cached(int type, const struct ipc_params *p)
{
	bool mt = threaded();
	struct obj *o;
	int err = -EAGAIN;

	if (mt)
		pthread_mutex_lock(&cache_mu);
	o = kcache[type][kc_slot(p->key)];
	if (o && o->key == p->key &&
	    READ_ONCE(o->hdr->state) == UIPC_S_LIVE &&
	    READ_ONCE(o->hdr->perm.key) == p->key)
		err = ipcget_found(o, p);
	if (mt)
		pthread_mutex_unlock(&cache_mu);
	return err;
}

/*
 * ipcget - msgget/semget/shmget (kernel ipcget()).
 * Returns the id, or -errno.
 */
int ipcget(int type, const struct ipc_params *p)
{
	struct ns *ns = ns_get();
	int err = -EAGAIN;

	if (IS_ERR(ns))
		return PTR_ERR(ns);
	proc_refresh_creds();
	if (p->key == IPC_PRIVATE)
		return ipc_readonly() ? -EROFS : ipcget_new(ns, type, p);
	err = ipcget_cached(type, p);
	for (int tries = 0; tries < GET_TRIES && err == -EAGAIN; tries++) {
		if (tries >= GET_SPINS)
			fx_nap(GET_NAP_NS, NULL);
		err = ipckey_lookup(ns, type, p);
		if (err != -ENOENT || !(p->flg & IPC_CREAT))
			continue;
		if (ipc_readonly())
			return -EROFS;	/* it would create */
		err = ipcget_new(ns, type, p);
	}
	return err == -EAGAIN ? -EBUSY : err;
}

/* ---- the namespace seen from the ctl calls ---- */

/* The kernel's ipc_get_maxidx(). */
int ipc_max_idx(int type)
{
	struct ns *ns = ns_get();
	uint32_t in_use;
	int max, err;

	if (IS_ERR(ns))
		return PTR_ERR(ns);
	err = ns_count(ns, type, &in_use, NULL, &max);
	if (err)
		return err;
	if (in_use == 0)
		return 0;
	if (in_use >= UIPC_IPCMNI)
		return UIPC_IPCMNI - 1;
	return max < 0 ? 0 : max;
}

int ipc_counts(int type, uint32_t *in_use, uint64_t *used)
{
	struct ns *ns = ns_get();

	if (IS_ERR(ns))
		return PTR_ERR(ns);
	return ns_count(ns, type, in_use, used, NULL);
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
	struct obj *o;
	uint64_t usage;
	uid_t uid;
	int id, err;

	if (IS_ERR(ns))
		return PTR_ERR(ns);
	if (idx < 0)
		return -EINVAL;
	err = ns_idx_read(ns, type, idx % UIPC_SEQ_MULT, &id, &usage, &uid);
	if (err)
		return -EINVAL;
	o = ipc_obj_get(type, id);
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
