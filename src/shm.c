// SPDX-License-Identifier: MIT
/*
 * shm.c - shared memory segments: shmget, shmat, shmdt, shmctl.
 *
 * Behaviour (kernel ipc/shm.c): a segment's bytes are the tail of its
 * object file, reserved at creation (fallocate: a full tmpfs fails
 * shmget with ENOMEM instead of a later SIGBUS).  shm_nattch counts
 * attachments: shmat adds one, shmdt, exit, exec and death remove one,
 * fork gives the child a copy of every attachment (the count is up to date
 * when fork returns in the parent).  IPC_RMID on an attached segment sets
 * SHM_DEST and makes its key IPC_PRIVATE; the segment goes when the last
 * attachment does, and may still be attached by id until then.
 *
 * Internals: the segment file holds a table of (pid, start time, count).
 * Our own entry is kept exact by shmat/shmdt/fork/exit; the entries of
 * other processes are checked whenever the count is reported or decides
 * something (IPC_STAT, SHM_STAT, IPC_RMID, shmget of the key): a dead
 * process's entry is dropped, and a live process's count is re-read from
 * /proc/PID/maps (which also covers exec).  fork: a pthread_atfork
 * "prepare" makes a pipe; the child registers its inherited attachments
 * and closes its end; the parent waits for that end to close.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/shm.h>
#include <unistd.h>

#include "internal.h"

#define SHM_ATT_CAP	256
#define SHMMIN_K	1

/* This process's attachments (private memory, inherited by fork). */
struct attach {
	struct attach *next;
	void *addr;
	size_t len;
	int id;
	bool lent;		/* the data part of the cached mapping */
};

static struct attach *attached;
static pthread_mutex_t att_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t att_once = PTHREAD_ONCE_INIT;
static int fork_pipe[2] = { -1, -1 };

static long page_size(void)
{
	static long ps;

	if (!ps)
		ps = sysconf(_SC_PAGESIZE);
	return ps;
}

static inline struct uipc_shmatt *att_at(struct obj *o, uint32_t i)
{
	return (struct uipc_shmatt *)(o->base + o->u.shm.seg->att_off) + i;
}

/* Entries of the attach table ever used (bounded: shared memory). */
static inline uint32_t att_used(struct obj *o)
{
	uint32_t hw = READ_ONCE(o->u.shm.seg->att_hw);

	return hw < SHM_ATT_CAP ? hw : SHM_ATT_CAP;
}

/* ---- geometry and validation ---- */

static int shm_geometry(const struct ipc_params *p, size_t *body,
			size_t *journal, size_t *data)
{
	size_t ps = (size_t)page_size();

	*body = sizeof(struct uipc_shmseg) + SHM_ATT_CAP * sizeof(struct uipc_shmatt);
	*journal = 32 * sizeof(struct uipc_jent);
	*data = (p->u.size + ps - 1) / ps * ps;
	return 0;
}

static int shm_init_body(struct obj *o, const struct ipc_params *p)
{
	struct uipc_shmseg *s = (struct uipc_shmseg *)(o->base + o->hdr->body_off);
	size_t ps = (size_t)page_size();

	s->segsz = p->u.size;
	s->data_len = (p->u.size + ps - 1) / ps * ps;
	s->data_off = o->size - s->data_len;
	s->cpid = (uint32_t)proc_self()->pid;
	s->att_off = o->hdr->body_off + sizeof(*s);
	s->att_cap = SHM_ATT_CAP;
	return 0;
}

static int shm_validate(struct obj *o)
{
	struct uipc_hdr *h = o->hdr;
	struct uipc_shmseg *s;

	if (h->body_size < sizeof(*s))
		return UIPC_CORRUPT;
	s = (struct uipc_shmseg *)(o->base + h->body_off);
	if (s->att_cap != SHM_ATT_CAP || s->att_off != h->body_off + sizeof(*s) ||
	    (uint64_t)s->att_off + SHM_ATT_CAP * sizeof(struct uipc_shmatt) >
		    (uint64_t)h->body_off + h->body_size ||
	    s->data_off % (uint64_t)page_size() || s->data_off > o->size ||
	    s->data_len != o->size - s->data_off || s->segsz > s->data_len ||
	    s->data_off < (uint64_t)h->body_off + h->body_size)
		return UIPC_CORRUPT;
	o->u.shm.seg = s;
	/* the journal never reaches into the data (which may be lent out) */
	o->jc.size = s->data_off;
	return 0;
}

static uint64_t pages_of(size_t size)
{
	return (size + (size_t)page_size() - 1) / (size_t)page_size();
}

static uint64_t shm_usage(const struct ipc_params *p)
{
	return pages_of(p->u.size);
}

static int shm_check_usage(uint64_t used, const struct ipc_params *p,
			   const struct uipc_limits *l)
{
	uint64_t pages = pages_of(p->u.size);

	if (p->u.size < SHMMIN_K || p->u.size > l->shmmax)
		return -EINVAL;
	if (used + pages < used || used + pages > l->shmall)
		return -ENOSPC;
	return 0;
}

static int shm_more_checks(struct obj *o, const struct ipc_params *p)
{
	return READ_ONCE(o->u.shm.seg->segsz) < p->u.size ? -EINVAL : 0;
}

static uint64_t shm_held(struct obj *o)
{
	return pages_of(READ_ONCE(o->u.shm.seg->data_len));
}

const struct ipc_ops shm_ops = {
	.geometry = shm_geometry,
	.init = shm_init_body,
	.more_checks = shm_more_checks,
	.usage = shm_usage,
	.check_usage = shm_check_usage,
	.validate = shm_validate,
	.held_usage = shm_held,
};

int shm_get(key_t key, size_t size, int shmflg)
{
	struct ipc_params p = { .key = key, .flg = shmflg, .u.size = size };

	return ipcget(UIPC_T_SHM, &p);
}

/* ---- the attach table ---- */

/*
 * Add @delta attachments for (pid, start); @lent > 0 marks its entry as
 * holding the lent attachment (see lend_data()), < 0 unmarks it.  Object
 * lock held.
 */
static int att_add(struct obj *o, uint32_t pid, uint64_t start, int delta,
		   int lent)
{
	struct uipc_shmseg *s = o->u.shm.seg;
	struct uipc_shmatt *free_e = NULL, *e = NULL;
	uint32_t hw = att_used(o), n, flag;

	for (uint32_t i = 0; i < hw; i++) {
		struct uipc_shmatt *a = att_at(o, i);
		uint32_t p = READ_ONCE(a->pid);

		if (p == pid && READ_ONCE(a->start) == (uint32_t)start) {
			e = a;
			break;
		}
		if (!p && !free_e)
			free_e = a;
	}
	if (!e) {
		if (delta < 0)
			return 0;
		if (!free_e) {
			if (hw >= SHM_ATT_CAP)
				return -ENOMEM;	/* attach table full; see docs */
			free_e = att_at(o, hw);
			jw32(&o->jc, &s->att_hw, hw + 1);
		}
		e = free_e;
		jw32(&o->jc, &e->count, 0);
		jw32(&o->jc, &e->start, (uint32_t)start);
		jw32(&o->jc, &e->pid, pid);
	}
	flag = READ_ONCE(e->count) & UIPC_ATT_LENT;
	n = READ_ONCE(e->count) & ~UIPC_ATT_LENT;
	if (delta < 0 && (uint32_t)-delta > n)
		delta = -(int)n;
	n += (uint32_t)delta;
	if (lent)
		flag = lent > 0 ? UIPC_ATT_LENT : 0;
	jw32(&o->jc, &e->count, n ? n | flag : 0);
	jw32(&o->jc, &s->nattch, READ_ONCE(s->nattch) + delta);
	if (!n)
		jw32(&o->jc, &e->pid, 0);
	return 0;
}

/*
 * How many attachments of @o does process @pid have, per /proc?  -1:
 * unknown.  An attachment is a mapping of the file from the data's
 * offset; with @lent, also the one mapping from offset 0 that reaches
 * into the data (the lent data part, still joined to the header part).
 */
static int maps_count(pid_t pid, struct obj *o, bool lent)
{
	char path[64], line[512];
	struct ns *ns = ns_get();
	char name[64];
	struct stat st;
	uint64_t data_off;
	FILE *f;
	int n = 0;

	if (IS_ERR(ns))
		return -1;
	ns_obj_name(name, sizeof(name), o->type, o->id);
	if (fstatat(ns_dir(ns), name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	data_off = READ_ONCE(o->u.shm.seg->data_off);
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi, off, ino;
		unsigned maj, min;
		char perm[8];

		if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu", &lo, &hi, perm,
			   &off, &maj, &min, &ino) != 7)
			continue;
		if (ino != st.st_ino || makedev(maj, min) != st.st_dev)
			continue;
		if (off == data_off ||
		    (lent && !off && hi - lo > data_off)) {
			n++;
			if (!off)
				lent = false;	/* only one such */
		}
	}
	fclose(f);
	return n;
}

static int own_count(int id)
{
	int n = 0;

	for (struct attach *a = attached; a; a = a->next)
		n += a->id == id;
	return n;
}

/*
 * Bring the attach table up to date with reality.  Object lock held, or
 * @o is a view (read-only modes): then the same code computes, in the
 * private copy, the nattch that the repair would leave.
 */
static void shm_verify(struct obj *o)
{
	const struct proc_self *me = proc_self();

	for (uint32_t i = 0; i < att_used(o); i++) {
		struct uipc_shmatt *a = att_at(o, i);
		uint32_t pid = READ_ONCE(a->pid);
		uint64_t start = READ_ONCE(a->start);
		int have, real;

		if (!pid)
			continue;
		have = (int)(READ_ONCE(a->count) & ~UIPC_ATT_LENT);
		if (pid == (uint32_t)me->pid && start == (uint32_t)me->start)
			real = own_count(o->id);
		else if (!proc_alive((pid_t)pid, start))
			real = 0;
		else
			real = maps_count((pid_t)pid, o,
					  READ_ONCE(a->count) & UIPC_ATT_LENT);
		if (real >= 0 && real != have) {
			if (!jn_room(&o->jc, 8))
				jn_commit(&o->jc);
			att_add(o, pid, start, real - have, 0);
			if (real < have) {
				/* it detached by exiting, exec or death */
				jws64(&o->jc, &o->u.shm.seg->dtime, ipc_now());
				jw32(&o->jc, &o->u.shm.seg->lpid, pid);
			}
		}
	}
}

/*
 * shm_destroy_if_unused - remove a SHM_DEST segment nobody holds.
 */
static void shm_destroy_if_unused(struct obj *o)
{
	bool gone = false;

	ipc_obj_lock(o);
	if (READ_ONCE(o->hdr->state) == UIPC_S_LIVE &&
	    (READ_ONCE(o->hdr->perm.mode) & SHM_DEST)) {
		shm_verify(o);
		if (!READ_ONCE(o->u.shm.seg->nattch)) {
			ipc_remove_locked(o);
			gone = true;
		}
	}
	ipc_obj_unlock(o);
	if (gone)
		ipc_unlink(o);
}

/* ---- fork ---- */

static void att_prefork(void)
{
	pthread_mutex_lock(&att_mu);
	if (attached && pipe2(fork_pipe, O_CLOEXEC) < 0)
		fork_pipe[0] = fork_pipe[1] = -1;
}

static void att_parent(void)
{
	char c;

	if (fork_pipe[0] >= 0) {
		close(fork_pipe[1]);
		while (read(fork_pipe[0], &c, 1) < 0 && errno == EINTR)
			;
		close(fork_pipe[0]);
		fork_pipe[0] = fork_pipe[1] = -1;
	}
	pthread_mutex_unlock(&att_mu);
}

static void att_child(void)
{
	const struct proc_self *me;

	pthread_mutex_init(&att_mu, NULL);
	if (fork_pipe[0] < 0)
		return;
	me = proc_self();
	for (struct attach *a = attached; a; a = a->next) {
		struct obj *o = ipc_obj_get(UIPC_T_SHM, a->id);

		if (IS_ERR(o))
			continue;
		ipc_obj_lock(o);
		/* as the kernel's vm open: the child attaches */
		if (att_add(o, (uint32_t)me->pid, me->start, 1,
			    a->lent) == 0) {
			/* the kernel does this in the parent's context */
			jws64(&o->jc, &o->u.shm.seg->atime, ipc_now());
			jw32(&o->jc, &o->u.shm.seg->lpid, (uint32_t)getppid());
		}
		ipc_obj_unlock(o);
		ipc_obj_put(o);
	}
	close(fork_pipe[0]);
	close(fork_pipe[1]);
	fork_pipe[0] = fork_pipe[1] = -1;
}

static void att_init(void)
{
	proc_self();	/* its fork handler must run before ours */
	pthread_atfork(att_prefork, att_parent, att_child);
}

/* ---- shmat / shmdt ---- */

static void shm_detached(int id, void *unmap, size_t len, bool lent);

/* Unlist the attachments that [p, p + len) covered (SHM_REMAP). */
static struct attach *att_take_overlapping(void *p, size_t len)
{
	struct attach **pp = &attached, *out = NULL;
	uintptr_t lo = (uintptr_t)p, hi = lo + len;

	while (*pp) {
		struct attach *a = *pp;
		uintptr_t alo = (uintptr_t)a->addr, ahi = alo + a->len;

		if (alo < hi && lo < ahi) {
			*pp = a->next;
			a->next = out;
			out = a;
		} else {
			pp = &a->next;
		}
	}
	return out;
}

/*
 * lend_data - the first read-write attach in this process at an address
 * of the kernel's choosing gets the data part of the cached mapping
 * itself (from @off): a segment we created has those pages mapped in
 * already, so that attach costs no system call and no page fault.  The
 * cached mapping then stops at @off.  In /proc/PID/maps, where other
 * processes count attachments (shm_verify()), it may stay one mapping
 * with the header part: our attach table entry says so (UIPC_ATT_LENT).
 * Returns 1 if lent, 0 if the caller should duplicate the cached data
 * part as usual, -1 if we have none (lent and still attached, or its
 * room taken: map the file).  Object lock held.
 */
static int lend_data(struct obj *o, uint64_t off)
{
	if (o->view)
		return 0;
	if (!o->lent_once) {
		o->lent_once = true;
		ipc_lend_tail(o, off);
		return 1;
	}
	if (o->lent_from) {
		/* detached since: grow back in place, duplicate from then on */
		if (o->lent_from != off ||
		    mremap(o->base, off, o->size, 0) == MAP_FAILED)
			return -1;
		ipc_lend_tail(o, 0);
	}
	return 0;
}

static int dup_refused;	/* mremap(old_size 0) said EINVAL once */

void *shm_at(int shmid, const void *shmaddr, int shmflg)
{
	const struct proc_self *me;
	uintptr_t addr = (uintptr_t)shmaddr;
	int prot, acc, oflags, flags = MAP_SHARED, fd, err;
	struct attach *a, *replaced;
	bool dup;
	int lent = 0;
	struct ns *ns;
	struct obj *o;
	char name[64];
	void *p;

	if (shmid < 0)
		return ERR_PTR(-EINVAL);
	if (addr) {
		if (addr & ((uintptr_t)page_size() - 1)) {
			if (!(shmflg & SHM_RND))
				return ERR_PTR(-EINVAL);
			addr &= ~((uintptr_t)page_size() - 1);
			if (!addr && (shmflg & SHM_REMAP))
				return ERR_PTR(-EINVAL);
		}
		flags |= shmflg & SHM_REMAP ? MAP_FIXED : MAP_FIXED_NOREPLACE;
	} else if (shmflg & SHM_REMAP) {
		return ERR_PTR(-EINVAL);
	}
	if (shmflg & SHM_RDONLY) {
		prot = PROT_READ;
		acc = 0444;
		oflags = O_RDONLY;
	} else {
		prot = PROT_READ | PROT_WRITE;
		acc = 0666;
		oflags = O_RDWR;
	}
	if (shmflg & SHM_EXEC) {
		prot |= PROT_EXEC;
		acc |= 0111;
	}
	proc_refresh_creds();
	o = ipc_obj_get(UIPC_T_SHM, shmid);
	if (IS_ERR(o))
		return o;
	if (ipcperms(&o->hdr->perm, acc)) {
		err = -EACCES;
		goto out;
	}
	if (READ_ONCE(o->hdr->perm.mode) & SHM_DEST) {
		shm_destroy_if_unused(o);
		if (READ_ONCE(o->hdr->state) != UIPC_S_LIVE) {
			err = -EINVAL;
			goto out;
		}
	}
	pthread_once(&att_once, att_init);
	a = calloc(1, sizeof(*a));
	if (!a) {
		err = -ENOMEM;
		goto out;
	}
	/*
	 * A read-write attach where the kernel may choose the address maps
	 * the pages our cached mapping of the file already has (mremap of
	 * zero bytes duplicates a shared mapping): one system call.  The
	 * others open the file with the access asked for, so that a
	 * read-only attachment can never be made writable with mprotect.
	 */
	dup = !(shmflg & (SHM_RDONLY | SHM_EXEC)) && (!addr || (shmflg & SHM_REMAP)) &&
	      READ_ONCE(dup_refused) == 0;
again:
	fd = -1;
	if (!dup) {
		ns = ns_get();
		ns_obj_name(name, sizeof(name), UIPC_T_SHM, shmid);
		fd = openat(ns_dir(ns), name, oflags | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			err = errno == ENOENT ? -EIDRM : errno == EACCES ? -EACCES : -errno;
			free(a);
			goto out;
		}
	}
	a->len = READ_ONCE(o->u.shm.seg->data_len);
	a->id = shmid;
	me = proc_self();
	/* map and count together, under the lock: see shm_detached() */
	ipc_obj_lock(o);
	p = MAP_FAILED;
	if (READ_ONCE(o->hdr->state) != UIPC_S_LIVE) {
		err = -EIDRM;
	} else {
		uint64_t off = READ_ONCE(o->u.shm.seg->data_off);

		if (off % (uint64_t)page_size() || off > o->size ||
		    a->len != o->size - off || !a->len) {
			err = UIPC_CORRUPT;
		} else if (dup && !addr && (lent = lend_data(o, off)) > 0) {
			p = o->base + off;
			err = 0;
		} else if (dup && (lent < 0 || o->lent_from)) {
			/* the cached mapping's data is an attachment */
			ipc_obj_unlock(o);
			dup = false;
			goto again;
		} else if (dup) {
			p = mremap(o->base + off, 0, a->len,
				   MREMAP_MAYMOVE | (addr ? MREMAP_FIXED : 0),
				   (void *)addr);
			if (p == MAP_FAILED && errno == EINVAL) {
				/* not supported here (valgrind, for one):
				 * map the file from now on */
				WRITE_ONCE(dup_refused, 1);
				ipc_obj_unlock(o);
				dup = false;
				goto again;
			}
			err = p == MAP_FAILED ? -errno : 0;
		} else {
			p = mmap((void *)addr, a->len, prot, flags, fd, (off_t)off);
			err = p == MAP_FAILED ? (errno == EEXIST ? -EINVAL : -errno) : 0;
		}
		if (!err) {
			a->lent = lent > 0;
			err = att_add(o, (uint32_t)me->pid, me->start, 1,
				      a->lent);
		}
		if (!err) {
			jws64(&o->jc, &o->u.shm.seg->atime, ipc_now());
			jw32(&o->jc, &o->u.shm.seg->lpid, (uint32_t)me->pid);
		} else if (p != MAP_FAILED) {
			munmap(p, a->len);
		}
	}
	ipc_obj_unlock(o);
	if (fd >= 0)
		close(fd);
	if (err) {
		free(a);
		goto out;
	}
	a->addr = p;
	pthread_mutex_lock(&att_mu);
	replaced = att_take_overlapping(p, a->len);
	a->next = attached;
	attached = a;
	pthread_mutex_unlock(&att_mu);
	ipc_obj_put(o);
	while (replaced) {
		struct attach *r = replaced;

		replaced = r->next;
		shm_detached(r->id, NULL, 0, r->lent);
		free(r);
	}
	return p;
out:
	ipc_obj_put(o);
	return ERR_PTR(err);
}

/*
 * Account one detach of segment @id by us (unmapping @unmap, @len first,
 * if given), and destroy the segment if that was the last holder.  The
 * unmap and the count change happen under the object lock together, so
 * that shm_verify() in another process never sees one without the other.
 */
static void shm_detached(int id, void *unmap, size_t len, bool lent)
{
	const struct proc_self *me = proc_self();
	struct obj *o = ipc_obj_get(UIPC_T_SHM, id);
	bool dest;

	if (IS_ERR(o)) {
		if (unmap)
			munmap(unmap, len);
		return;
	}
	ipc_obj_lock(o);
	if (unmap)
		munmap(unmap, len);
	att_add(o, (uint32_t)me->pid, me->start, -1, lent ? -1 : 0);
	jws64(&o->jc, &o->u.shm.seg->dtime, ipc_now());
	jw32(&o->jc, &o->u.shm.seg->lpid, (uint32_t)me->pid);
	/* other holders may be gone without a word: check them then */
	dest = READ_ONCE(o->hdr->perm.mode) & SHM_DEST;
	ipc_obj_unlock(o);
	if (dest)
		shm_destroy_if_unused(o);
	ipc_obj_put(o);
}

int shm_dt(const void *shmaddr)
{
	struct attach **pp, *a;
	int id;

	pthread_mutex_lock(&att_mu);
	for (pp = &attached; *pp && (*pp)->addr != shmaddr; pp = &(*pp)->next)
		;
	a = *pp;
	if (a)
		*pp = a->next;
	pthread_mutex_unlock(&att_mu);
	if (!a)
		return -EINVAL;
	id = a->id;
	shm_detached(id, a->addr, a->len, a->lent);
	free(a);
	return 0;
}

/* At exit the kernel detaches everything; the mappings themselves stay
 * until the process is gone (later exit handlers may still use them). */
__attribute__((destructor)) static void shm_exit(void)
{
	struct attach *a;

	ns_call_begin();
	while ((a = attached)) {
		attached = a->next;
		shm_detached(a->id, NULL, 0, a->lent);
		free(a);
	}
}

/* ---- shmctl ---- */

static void shm_fill(struct obj *o, struct shmid_ds *ds)
{
	struct uipc_shmseg *s = o->u.shm.seg;

	memset(ds, 0, sizeof(*ds));
	ipc_fill_perm(o->hdr, &ds->shm_perm);
	ds->shm_segsz = READ_ONCE(s->segsz);
	ds->shm_atime = READ_ONCE(s->atime);
	ds->shm_dtime = READ_ONCE(s->dtime);
	ds->shm_ctime = READ_ONCE(o->hdr->ctime);
	ds->shm_cpid = (pid_t)READ_ONCE(s->cpid);
	ds->shm_lpid = (pid_t)READ_ONCE(s->lpid);
	ds->shm_nattch = READ_ONCE(s->nattch);
}

static int shm_stat(int shmid, int cmd, struct shmid_ds *buf)
{
	struct shmid_ds ds;
	struct obj *o, *r;
	int err;

	err = ipc_stat_get(UIPC_T_SHM, shmid, cmd == IPC_STAT, cmd == SHM_STAT_ANY, &o);
	if (err)
		return err;
	/* a removed segment whose last holder is gone is gone for good */
	if ((READ_ONCE(o->hdr->perm.mode) & SHM_DEST) && !ipc_quiet_reads())
		shm_destroy_if_unused(o);
	/* locked, or a view (read-only modes) that shm_verify() corrects */
	r = ipc_read_begin(o);
	if (IS_ERR(r)) {
		err = (int)PTR_ERR(r);
	} else if (READ_ONCE(r->hdr->state) != UIPC_S_LIVE) {
		err = -EINVAL;
	} else {
		shm_verify(r);
		shm_fill(r, &ds);
		err = cmd == IPC_STAT ? 0 : o->id;
		/* a view: what shm_destroy_if_unused() would remove is gone */
		if (r->view && (ds.shm_perm.mode & SHM_DEST) && !ds.shm_nattch)
			err = -EINVAL;
	}
	ipc_read_end(o, r);
	ipc_obj_put(o);
	if (err >= 0) {
		if (ipc_ptr_ok(buf))
			return -EFAULT;
		*buf = ds;
	}
	return err;
}

static int shm_info(int cmd, void *buf)
{
	struct uipc_limits lim;
	uint32_t in_use;
	uint64_t used;
	int max, err;

	lim_get(&lim);
	err = ipc_counts(UIPC_T_SHM, &in_use, &used);
	if (err)
		return err;
	max = ipc_max_idx(UIPC_T_SHM);
	if (max < 0)
		return max;
	if (ipc_ptr_ok(buf))
		return -EFAULT;
	if (cmd == IPC_INFO) {
		struct shminfo si;

		memset(&si, 0, sizeof(si));
		si.shmmax = lim.shmmax;
		si.shmmin = SHMMIN_K;
		si.shmmni = lim.shmmni;
		si.shmseg = (int)lim.shmmni;	/* the kernel reports shmmni */
		si.shmall = lim.shmall;
		memcpy(buf, &si, sizeof(si));
	} else {
		struct shm_info si;

		memset(&si, 0, sizeof(si));
		si.used_ids = (int)in_use;
		si.shm_tot = used;
		si.shm_rss = used;	/* reserved at creation; see docs */
		memcpy(buf, &si, sizeof(si));
	}
	return max;
}

static int shm_rmid(struct obj *o)
{
	struct ns *ns = ns_get();
	bool gone = false, unkeyed = false;
	int err = 0;

	if (IS_ERR(ns))
		return PTR_ERR(ns);
	ipc_obj_lock(o);
	if (READ_ONCE(o->hdr->state) != UIPC_S_LIVE) {
		err = -EIDRM;
	} else {
		shm_verify(o);
		if (!READ_ONCE(o->u.shm.seg->nattch)) {
			ipc_remove_locked(o);
			gone = true;
		} else {
			jw32(&o->jc, &o->hdr->perm.mode,
			     READ_ONCE(o->hdr->perm.mode) | SHM_DEST);
			jws32(&o->jc, &o->hdr->perm.key, IPC_PRIVATE);
			unkeyed = true;
		}
	}
	ipc_obj_unlock(o);
	if (gone)
		ipc_unlink(o);
	else if (unkeyed && o->key != IPC_PRIVATE)
		ns_key_drop(ns, UIPC_T_SHM, o->key, o->id);	/* the key goes now */
	return err;
}

static int shm_down(int shmid, int cmd, const struct shmid_ds *in)
{
	struct obj *o = ipc_obj_get(UIPC_T_SHM, shmid);
	int err;

	if (IS_ERR(o))
		return cmd == IPC_RMID ?
		       ipc_rmid_broken(UIPC_T_SHM, shmid, PTR_ERR(o)) :
		       PTR_ERR(o);
	if (!ipc_is_owner(&o->hdr->perm)) {
		err = -EPERM;
	} else if (cmd == IPC_RMID) {
		err = shm_rmid(o);
	} else {
		ipc_obj_lock(o);
		if (READ_ONCE(o->hdr->state) != UIPC_S_LIVE)
			err = -EIDRM;
		else
			err = ipc_set_perm(o, &in->shm_perm);
		ipc_obj_unlock(o);
		if (!err)
			ipc_set_done(o);
	}
	ipc_obj_put(o);
	return err;
}

static int shm_lock_cmd(int shmid, int cmd)
{
	struct obj *o = ipc_obj_get(UIPC_T_SHM, shmid);
	uint32_t mode;
	int err = 0;

	if (IS_ERR(o))
		return PTR_ERR(o);
	if (!ipc_is_owner(&o->hdr->perm)) {
		ipc_obj_put(o);
		return -EPERM;
	}
	ipc_obj_lock(o);
	if (READ_ONCE(o->hdr->state) != UIPC_S_LIVE) {
		err = -EIDRM;
	} else {
		mode = READ_ONCE(o->hdr->perm.mode);
		mode = cmd == SHM_LOCK ? mode | SHM_LOCKED : mode & ~SHM_LOCKED;
		jw32(&o->jc, &o->hdr->perm.mode, mode);
	}
	ipc_obj_unlock(o);
	ipc_obj_put(o);
	return err;
}

/* shmctl (kernel ksys_shmctl()). */
int shm_ctl(int shmid, int cmd, struct shmid_ds *buf)
{
	struct shmid_ds in;

	if (cmd < 0 || shmid < 0)
		return -EINVAL;
	cmd &= ~IPC_64;
	proc_refresh_creds();
	switch (cmd) {
	case IPC_INFO:
	case SHM_INFO:
		return shm_info(cmd, buf);
	case SHM_STAT:
	case SHM_STAT_ANY:
	case IPC_STAT:
		return shm_stat(shmid, cmd, buf);
	case IPC_SET:
		if (ipc_readonly())
			return -EROFS;
		if (ipc_ptr_ok(buf))
			return -EFAULT;
		in = *buf;
		return shm_down(shmid, cmd, &in);
	case IPC_RMID:
		if (ipc_readonly())
			return -EROFS;
		return shm_down(shmid, cmd, NULL);
	case SHM_LOCK:
	case SHM_UNLOCK:
		if (ipc_readonly())
			return -EROFS;
		return shm_lock_cmd(shmid, cmd);
	default:
		return -EINVAL;
	}
}

/* For uipc_users(): attachment holders and the last one to act. */
void shm_users(struct obj *o, ipc_user_fn fn, void *ctx)
{
	for (uint32_t i = 0; i < att_used(o); i++) {
		struct uipc_shmatt *a = att_at(o, i);

		if (READ_ONCE(a->pid))
			fn(ctx, (pid_t)READ_ONCE(a->pid), READ_ONCE(a->start),
			   UIPC_USER_ATTACH,
			   (int)(READ_ONCE(a->count) & ~UIPC_ATT_LENT), true);
	}
	fn(ctx, (pid_t)READ_ONCE(o->u.shm.seg->lpid), 0, UIPC_USER_LAST, 1,
	   false);
}
