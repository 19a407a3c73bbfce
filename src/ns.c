// SPDX-License-Identifier: MIT
/*
 * ns.c - the namespace directory and its id registry.
 *
 * Behaviour: the namespace is the directory $UIPC_ROOT (default
 * /dev/shm/uipc), created with mode 1777 on first use.  Identifiers follow
 * the kernel's scheme exactly (ipc/util.c, ipc_idr_alloc): index + seq *
 * 32768, indexes handed out cyclically below max(in_use * 3 / 2, 64), the
 * sequence bumped whenever the search wraps to a lower index.  A fresh
 * namespace therefore hands out 0, 1, 2, ... like a fresh kernel.
 *
 * Internals: the registry file maps each type's index space to {key, id,
 * state}; it is guarded per type by a robust lock and its own journal.
 * An entry is RESERVED while its object is being built and LIVE once the
 * object file is in place; a RESERVED entry is only ever seen by whoever
 * takes the lock over from a creator that died, who removes the object's
 * file and rolls the registry back.  The directory descriptor stays open
 * (close-on-exec) for the life of the process: it is the one descriptor
 * uipc keeps.
 *
 * Read-only mode (uipc_set_readonly()): the namespace is opened without
 * creating anything.  A missing directory or registry reads as an empty
 * namespace: a valid empty registry built in private memory stands in.
 * In UIPC_READONLY mode the registry is mapped PROT_READ, so a write
 * that slipped through would fault instead of changing the namespace.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define UIPC_DEFAULT_ROOT	"/dev/shm/uipc"
#define REG_NAME		"uipc.registry"

const char *const ns_type_name[UIPC_NTYPES] = { "msg", "sem", "shm" };

static struct ns the_ns;
static int ns_err;		/* 0 until tried; then 1 (ok) or -errno */
int ns_ro;			/* UIPC_READONLY, UIPC_NOREPAIR, or 0 */
static pthread_mutex_t ns_mu = PTHREAD_MUTEX_INITIALIZER;

static size_t reg_ent_off(int type)
{
	size_t base = (sizeof(struct uipc_reg) + 4095) & ~(size_t)4095;

	return base + (size_t)type * UIPC_IPCMNI * sizeof(struct uipc_reg_ent);
}

static size_t reg_size(void)
{
	return reg_ent_off(UIPC_NTYPES);
}

void ns_obj_name(char *buf, size_t len, int type, int id)
{
	snprintf(buf, len, "%s.%d", ns_type_name[type], id);
}

/*
 * Make an unnamed file in the namespace directory, to be given its name
 * only when complete (publish()).  Falls back to a temporary name on
 * file systems without O_TMPFILE.
 */
static int tmpfile_in(int dirfd, char *tmpname, size_t len)
{
	int fd = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	tmpname[0] = '\0';
	if (fd >= 0)
		return fd;
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return -errno;
	for (int i = 0; i < 100; i++) {
		snprintf(tmpname, len, ".new.%d.%d", (int)getpid(), rand());
		fd = openat(dirfd, tmpname,
			    O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW | O_CLOEXEC,
			    0600);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
	}
	return -EEXIST;
}

/*
 * publish - give the complete file @fd (or @tmpname) its @name in one
 * step.  Returns -EEXIST if the name is taken, 0 on success.  Linking the
 * descriptor itself needs CAP_DAC_READ_SEARCH on older kernels (ENOENT
 * without it): then the /proc path does it.
 */
static int publish(int dirfd, int fd, const char *tmpname, const char *name)
{
	char path[64];
	int r;

	if (tmpname[0]) {
		r = linkat(dirfd, tmpname, dirfd, name, 0) < 0 ? -errno : 0;
		unlinkat(dirfd, tmpname, 0);
		return r;
	}
	if (linkat(fd, "", dirfd, name, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno != ENOENT && errno != EPERM && errno != EINVAL)
		return -errno;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, path, dirfd, name, AT_SYMLINK_FOLLOW) < 0 ?
	       -errno : 0;
}

static int reg_validate(struct uipc_reg *reg, size_t size)
{
	if (size < reg_size() || reg->magic != UIPC_REG_MAGIC ||
	    reg->version != UIPC_REG_VERSION || reg->file_size != reg_size())
		return UIPC_CORRUPT;
	for (int t = 0; t < UIPC_NTYPES; t++) {
		struct uipc_reg_type *rt = &reg->t[t];

		if (rt->ent_off != reg_ent_off(t) ||
		    rt->journal.cap != UIPC_REG_JCAP)
			return UIPC_CORRUPT;
	}
	return 0;
}

/* Fill in an empty registry (zeroed memory of reg_size() bytes). */
static void reg_format(struct uipc_reg *reg)
{
	reg->magic = UIPC_REG_MAGIC;
	reg->version = UIPC_REG_VERSION;
	reg->file_size = reg_size();
	for (int t = 0; t < UIPC_NTYPES; t++) {
		reg->t[t].last_idx = -1;
		reg->t[t].max_idx = -1;
		reg->t[t].ent_off = reg_ent_off(t);
		reg->t[t].journal.cap = UIPC_REG_JCAP;
	}
}

/*
 * Read-only mode, no registry file: an empty namespace.  The stand-in
 * lives in private memory, read-only like a mapped registry would be.
 */
static int reg_empty(struct ns *ns)
{
	void *p = mmap(NULL, reg_size(), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	reg_format(p);
	if (ns_ro == UIPC_READONLY)
		mprotect(p, reg_size(), PROT_READ);
	ns->reg = p;
	ns->reg_size = reg_size();
	return 0;
}

/* Build a registry under no name, then link it in; losers open the winner's. */
static int reg_create(int dirfd)
{
	char tmp[64];
	struct uipc_reg *reg;
	int fd, err;

	fd = tmpfile_in(dirfd, tmp, sizeof(tmp));
	if (fd < 0)
		return fd;
	if (fchmod(fd, 0666) < 0 || ftruncate(fd, reg_size()) < 0)
		goto fail;
	err = posix_fallocate(fd, 0, reg_size());
	if (err) {
		errno = err == ENOSPC ? ENOMEM : err;
		goto fail;
	}
	reg = mmap(NULL, reg_size(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (reg == MAP_FAILED)
		goto fail;
	reg_format(reg);
	munmap(reg, reg_size());
	err = publish(dirfd, fd, tmp, REG_NAME);
	close(fd);
	return err == -EEXIST ? 0 : err;
fail:
	err = -errno;
	if (tmp[0])
		unlinkat(dirfd, tmp, 0);
	close(fd);
	return err;
}

static int reg_open(struct ns *ns)
{
	struct stat st;
	void *p;
	int fd, err;

	for (int tries = 0;; tries++) {
		fd = openat(ns->dirfd, REG_NAME,
			    (ns_ro == UIPC_READONLY ? O_RDONLY : O_RDWR) |
			    O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0 || errno != ENOENT || tries > 2)
			break;
		if (ns_ro)
			return reg_empty(ns);
		err = reg_create(ns->dirfd);
		if (err)
			return err;
	}
	if (fd < 0)
		return errno == ELOOP ? -EUCLEAN : -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EUCLEAN;
	}
	if ((size_t)st.st_size < reg_size()) {
		close(fd);
		return UIPC_CORRUPT;
	}
	p = ipc_space_map(reg_size(), ns_ro == UIPC_READONLY ? PROT_READ :
		 PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	err = reg_validate(p, reg_size());
	if (err) {
		ipc_space_unmap(p, reg_size());
		return err;
	}
	ns->reg = p;
	ns->reg_size = reg_size();
	ipc_guard_add(p, ns->reg_size);
	return 0;
}

static int ns_open(struct ns *ns)
{
	const char *root = getenv("UIPC_ROOT");
	struct stat st;
	int err;

	if (!root || !*root)
		root = UIPC_DEFAULT_ROOT;
	if (ns_ro)
		;	/* observe only: create nothing */
	else if (mkdir(root, 01777) == 0)
		chmod(root, 01777);	/* mkdir's mode is masked by umask */
	else if (errno != EEXIST && errno != EROFS && errno != EACCES)
		return -errno;
	snprintf(ns->root, sizeof(ns->root), "%s", root);
	ns->dirfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ns->dirfd < 0 && errno == ENOENT && ns_ro)
		return reg_empty(ns);	/* no directory: nothing in it */
	if (ns->dirfd < 0)
		return -errno;
	if (fstat(ns->dirfd, &st) < 0) {
		err = -errno;
		goto fail;
	}
	ns->dev = st.st_dev;
	ns->ino = st.st_ino;
	err = reg_open(ns);
	if (err)
		goto fail;
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
	if (fstat(ns->dirfd, &st) == 0 && st.st_dev == ns->dev &&
	    st.st_ino == ns->ino) {
		dir_checked_seq = ns_call_seq;
		dir_st = st;
		return ns->dirfd;
	}
	pthread_mutex_lock(&ns_mu);
	fd = open(ns->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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

struct uipc_reg_ent *ns_ents(struct ns *ns, int type)
{
	return (struct uipc_reg_ent *)((char *)ns->reg + reg_ent_off(type));
}

/*
 * Repair after a creator died holding the registry lock: its object, if
 * it got as far as a name, is removed, and the journal rolls the registry
 * back to where it was before the creation began.
 */
/*
 * Delete the files of @type that the registry does not know as live: a
 * creator or remover that died half way may have left one.  Called with
 * the registry locked, so no creation or removal is in flight.
 */
static void ns_sweep_orphans(struct ns *ns, int type)
{
	struct uipc_reg_ent *ents = ns_ents(ns, type);
	size_t plen = strlen(ns_type_name[type]);
	struct dirent *d;
	DIR *dir;
	int fd;

	fd = openat(ns_dir(ns), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return;
	}
	while ((d = readdir(dir))) {
		char *end;
		long id;

		if (strncmp(d->d_name, ns_type_name[type], plen) ||
		    d->d_name[plen] != '.')
			continue;
		id = strtol(d->d_name + plen + 1, &end, 10);
		if (*end || id < 0 || id > INT32_MAX)
			continue;
		if (READ_ONCE(ents[id % UIPC_IPCMNI].state) == UIPC_E_LIVE &&
		    READ_ONCE(ents[id % UIPC_IPCMNI].id) == (int32_t)id)
			continue;
		unlinkat(ns_dir(ns), d->d_name, 0);
	}
	closedir(dir);
}

static void ns_reg_repair(struct ns *ns, int type, struct jctx *jc)
{
	struct uipc_reg_type *rt = &ns->reg->t[type];
	struct uipc_reg_ent *ents = ns_ents(ns, type);
	int32_t max = READ_ONCE(rt->max_idx);
	char name[64];

	if (max >= UIPC_IPCMNI)
		max = UIPC_IPCMNI - 1;
	for (int i = 0; i <= max; i++) {
		if (READ_ONCE(ents[i].state) != UIPC_E_RESERVED)
			continue;
		ns_obj_name(name, sizeof(name), type, ents[i].id);
		unlinkat(ns->dirfd, name, 0);
	}
	jn_rollback(jc);
	/* anything still RESERVED was never journalled: drop it */
	for (int i = 0; i <= max; i++)
		if (READ_ONCE(ents[i].state) == UIPC_E_RESERVED)
			WRITE_ONCE(ents[i].state, UIPC_E_FREE);
	ns_sweep_orphans(ns, type);
}

int ns_reg_lock(struct ns *ns, int type, struct jctx *jc)
{
	struct uipc_reg_type *rt = &ns->reg->t[type];
	int err;

	err = jn_init(jc, ns->reg, ns->reg_size,
		      (char *)&rt->journal - (char *)ns->reg,
		      sizeof(rt->journal) + sizeof(rt->jent));
	if (err)
		return err;
	if (lk_lock(&rt->lock) == 1 || READ_ONCE(jc->j->n))
		ns_reg_repair(ns, type, jc);	/* a holder died half way */
	return 0;
}

void ns_reg_unlock(struct ns *ns, int type, struct jctx *jc)
{
	jn_commit(jc);
	lk_unlock(&ns->reg->t[type].lock);
}

/*
 * ns_alloc_id - take an index for a new object, as ipc_idr_alloc() does.
 * Called with the type's registry lock held; the entry is left RESERVED.
 * Returns the new id, or -ENOSPC.
 */
int ns_alloc_id(struct ns *ns, int type, struct jctx *jc, int32_t key,
		struct uipc_reg_ent **entp)
{
	struct uipc_reg_type *rt = &ns->reg->t[type];
	struct uipc_reg_ent *ents = ns_ents(ns, type);
	uint32_t in_use = READ_ONCE(rt->in_use);
	uint32_t max = in_use * 3 / 2;
	uint32_t next = READ_ONCE(rt->next);
	uint32_t seq = READ_ONCE(rt->seq);
	int32_t last = READ_ONCE(rt->last_idx);
	int idx = -1;

	if (max < UIPC_MIN_CYCLE)
		max = UIPC_MIN_CYCLE;
	if (max > UIPC_IPCMNI)
		max = UIPC_IPCMNI;
	/* idr_alloc_cyclic: first free at or after next, then from 0 */
	for (uint32_t i = next; i < max; i++)
		if (READ_ONCE(ents[i].state) == UIPC_E_FREE) {
			idx = i;
			break;
		}
	if (idx < 0)
		for (uint32_t i = 0; i < max && i < next; i++)
			if (READ_ONCE(ents[i].state) == UIPC_E_FREE) {
				idx = i;
				break;
			}
	if (idx < 0)
		return -ENOSPC;
	if (idx <= last) {
		seq++;
		if (seq >= INT32_MAX / UIPC_SEQ_MULT)
			seq = 0;
		jw32(jc, &rt->seq, seq);
	}
	jws32(jc, &rt->last_idx, idx);
	jw32(jc, &rt->next, idx + 1);
	jw32(jc, &rt->in_use, in_use + 1);
	if (idx > READ_ONCE(rt->max_idx))
		jws32(jc, &rt->max_idx, idx);

	struct uipc_reg_ent *e = &ents[idx];
	int id = (int)(seq * UIPC_SEQ_MULT + idx);

	jws32(jc, &e->key, key);
	jws32(jc, &e->id, id);
	jw32(jc, &e->pid, (uint32_t)proc_self()->pid);
	jw32(jc, &e->state, UIPC_E_RESERVED);
	*entp = e;
	return id;
}

/* ns_free_idx - release index @idx; registry lock held. */
void ns_free_idx(struct ns *ns, int type, struct jctx *jc, int idx)
{
	struct uipc_reg_type *rt = &ns->reg->t[type];
	struct uipc_reg_ent *ents = ns_ents(ns, type);
	int32_t max = READ_ONCE(rt->max_idx);
	uint32_t in_use = READ_ONCE(rt->in_use);

	if (idx < 0 || idx >= UIPC_IPCMNI ||
	    READ_ONCE(ents[idx].state) == UIPC_E_FREE)
		return;
	jw32(jc, &ents[idx].state, UIPC_E_FREE);
	jw32(jc, &rt->in_use, in_use ? in_use - 1 : 0);
	if (idx == max) {
		if (max >= UIPC_IPCMNI)
			max = UIPC_IPCMNI - 1;
		do {
			max--;
		} while (max >= 0 && READ_ONCE(ents[max].state) == UIPC_E_FREE);
		jws32(jc, &rt->max_idx, max);
	}
}
