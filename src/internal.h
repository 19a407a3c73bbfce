/* SPDX-License-Identifier: MIT */
/*
 * internal.h - what every file of libuipc shares.
 *
 * Convention: internal functions return 0 or a positive value on success
 * and -errno on failure; pointer results use ERR_PTR()/IS_ERR()/PTR_ERR().
 * Only api.c converts to the -1/errno convention.
 */
#ifndef UIPC_INTERNAL_H
#define UIPC_INTERNAL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <signal.h>
#include <time.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include "config.h"
#include "atomic.h"
#include "layout.h"
#include "uipc.h"

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define container_of(p, T, m) ((T *)((char *)(p) - offsetof(T, m)))
#define MAX_ERRNO	4095
#ifndef IPC_64
#define IPC_64		0x0100
#endif

static inline void *ERR_PTR(long err) { return (void *)err; }
static inline long PTR_ERR(const void *p) { return (long)p; }
static inline bool IS_ERR(const void *p)
{
	return (unsigned long)p >= (unsigned long)-MAX_ERRNO;
}

/*
 * UIPC_CORRUPT - what a check on shared memory returns when it fails.
 * A peer can write anything into an object file; we answer with an error
 * (EIDRM: the object is, for our purposes, gone) and, in debug builds
 * (UIPC_DEBUG set in the environment), say where it was detected.
 */
int ipc_corrupt(const char *file, int line);
#define UIPC_CORRUPT ipc_corrupt(__FILE__, __LINE__)

/* ---- proc.c: process identity and credentials ---- */
struct proc_self {
	pid_t pid;
	uint64_t start;		/* start time in clock ticks since boot */
};

const struct proc_self *proc_self(void);
void proc_refresh_creds(void);
uid_t proc_euid(void);
gid_t proc_egid(void);
uint64_t proc_starttime(pid_t pid);
bool proc_alive(pid_t pid, uint64_t start);
bool proc_in_group(gid_t gid);
bool proc_uid_valid(uint32_t uid);
bool proc_init_userns(void);	/* capable(CAP_SYS_RESOURCE) */
bool proc_gid_valid(uint32_t gid);

/* CLOCK_MONOTONIC in nanoseconds (vDSO: no system call). */
static inline int64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000L + t.tv_nsec;
}

/* ---- futex.c ---- */
int fx_wait(uint32_t *word, uint32_t val, const struct timespec *deadline);
void fx_wake(uint32_t *word, int n);
int fx_deadline(const struct timespec *rel, struct timespec *abs);
void fx_nap_end(long ns, const struct timespec *deadline, struct timespec *t);
bool fx_past(const struct timespec *deadline);
int fx_nap(long ns, const struct timespec *deadline);
/* a blocked caller's poll when every waiter slot is taken (docs/differences.md) */
#define WT_POLL_NS	2000000

/* ---- lock.c: robust object locks and the undo journal ---- */
struct jctx {
	char *base;			/* start of the file mapping */
	size_t size;			/* bytes mapped */
	struct uipc_journal *j;
	struct uipc_jent *ent;
	uint32_t cap;			/* validated capacity */
};

/* A lock taker: its lease on the lock's file (lease.c); slot 0: none. */
struct lk_who {
	int fd;
	uint32_t slot;
};
int lk_lock(struct uipc_lock *l, const struct lk_who *who);
int lease_take(int fd, uint64_t *next);
bool lease_alive(int fd, uint32_t slot);
void lk_unlock(struct uipc_lock *l);
int jn_init(struct jctx *jc, void *base, size_t size, size_t joff,
	    size_t jsize);
int jn_rollback(struct jctx *jc);
void jw32(struct jctx *jc, uint32_t *p, uint32_t v);
void jw64(struct jctx *jc, uint64_t *p, uint64_t v);
static inline void jws64(struct jctx *jc, int64_t *p, int64_t v)
{
	jw64(jc, (uint64_t *)p, (uint64_t)v);
}
static inline void jws32(struct jctx *jc, int32_t *p, int32_t v)
{
	jw32(jc, (uint32_t *)p, (uint32_t)v);
}
bool jn_room(struct jctx *jc, uint32_t nwords);
void jn_commit(struct jctx *jc);

/* ---- limits.c ---- */
struct uipc_limits {
	long msgmax, msgmnb, msgmni;
	long semmsl, semmns, semopm, semmni;
	unsigned long shmmax, shmall, shmmni;
};
int lim_get(struct uipc_limits *out);
void lim_quick(struct uipc_limits *out);
int lim_get_type(struct uipc_limits *out, int type);
const struct uipc_limits *lim_cached(void);

/* ---- ns.c: the namespace directory and its names ---- */
struct ns {
	int dirfd;
	bool empty;			/* read-only mode, no directory */
	bool tmpfs;			/* on tmpfs or ramfs */
	dev_t dev;
	ino_t ino;
	uid_t owner;			/* the directory's */
	char root[4096];
};
int ns_dir(struct ns *ns);
struct stat;
int ns_dir_stat(struct ns *ns, struct stat *st);
/*
 * ns_call_begin - a public call starts: ns_dir() checks the directory
 * descriptor again (once per call, not at every use).
 */
extern __thread unsigned ns_call_seq;
static inline void ns_call_begin(void)
{
	ns_call_seq++;
}

/*
 * Read-only modes (uipc_set_readonly()).  ns_ro is set before the
 * namespace is first used and never changes afterwards.
 */
extern int ns_ro;
int ns_set_readonly(int mode);
int ns_status(char *buf, size_t len);
/* UIPC_READONLY: this process only observes (modifying calls: EROFS) */
static inline bool ipc_readonly(void) { return READ_ONCE(ns_ro) == UIPC_READONLY; }
/* either mode: the reading calls take no lock and repair nothing */
static inline bool ipc_quiet_reads(void) { return READ_ONCE(ns_ro) != 0; }

extern const char *const ns_type_name[UIPC_NTYPES];
struct ns *ns_get(void);
void ns_obj_name(char *buf, size_t len, int type, int id);
int ns_idx_read(struct ns *ns, int type, int idx, int *id, uint64_t *usage,
		uid_t *uid);
int ns_key_read(struct ns *ns, int type, int32_t key, int *id, uint64_t *extra,
		uid_t *uid);
uid_t ns_key_owner(struct ns *ns, int type, int32_t key);
int ns_key_claim(struct ns *ns, int type, int32_t key, int id, uint64_t extra);
int ns_key_drop(struct ns *ns, int type, int32_t key, int id);
int ns_idx_drop(struct ns *ns, int type, int id);
int ns_idx_retarget(struct ns *ns, int type, int id, int nid, uint64_t usage);
int ns_scan(struct ns *ns, int type,
	    int (*fn)(void *arg, int idx, int id, uint64_t usage, uid_t uid),
	    void *arg);
int ns_count(struct ns *ns, int type, uint32_t *in_use, uint64_t *used,
	     int *max_idx);
uint64_t ns_names_at_most(struct ns *ns);
int ns_alloc_id(struct ns *ns, int type, uint32_t in_use, uint64_t usage);
int ns_unlink(struct ns *ns, int type, int id);
bool ns_stale(struct ns *ns, int type, int id);
bool ns_orphan(struct ns *ns, const char *name, int id);
void ns_names_lock(struct ns *ns);
void ns_names_unlock(void);
int ns_scan_names(struct ns *ns, int type, char kind,
		  int (*fn)(void *arg, const char *name), void *arg);
static inline int ipc_idx(int id) { return id % UIPC_SEQ_MULT; }

/* ---- ipc.c: the common object layer ---- */

/*
 * struct obj - this process's view of one mapped object file.  Lives in
 * private memory; pointers into the mapping are derived once, from
 * validated offsets, when the file is mapped.
 */
struct obj {
	struct obj *next;		/* hash chain */
	int type;
	int id;
	uint32_t refs;			/* users, counted when multi-threaded */
	char *base;			/* the mapping */
	size_t size;
	struct uipc_hdr *hdr;
	struct jctx jc;
	union {
		struct {
			struct uipc_msq *q;
			char *chunks;
			struct uipc_msgwait *slots;
			struct uipc_msgflight *flights;
			struct uipc_msgfill *fills;
			struct uipc_msgring *ring;
			struct uipc_msgbox *box;	/* [UIPC_MSG_RING] */
			uint64_t head_seen;	/* after our last receive (ring) */
			uint64_t tail_seen;	/* after our last send (ring) */
			uint32_t nchunks;
			uint32_t hw_seen;	/* q->hw as last read (chunk()) */
		} msg;
		struct {
			struct uipc_semset *set;
			struct uipc_sem *sems;
			uint32_t nsems;
		} sem;
		struct {
			struct uipc_shmseg *seg;
		} shm;
	} u;
	void *priv;			/* per-type private state */
	bool view;			/* a private copy (ipc_view()) */
	uid_t fuid;			/* the file's owner when mapped */
	struct lk_who lease;		/* our lease on its file (lease.c) */
	bool lease_want;		/* take one at the next lock (fork) */
	int32_t key;			/* its key when mapped (its name) */
	bool key_ok;			/* found through that key's name */
	bool counted;			/* we added to hdr->mappers */
	bool keep_memory;		/* removal must not punch it out */
	int guard;			/* our SIGBUS guard entry, -1: none */
	struct obj *cached_view;	/* the last view of this object */
	int64_t cached_ns;		/* when it was taken (CLOCK_MONOTONIC) */
};

/* Per-type operations for the common get/ctl paths (kernel's ipc_ops). */
struct ipc_params {
	int32_t key;
	int flg;
	union {
		int nsems;
		size_t size;
	} u;
};

struct ipc_ops {
	/* body bytes and journal bytes to reserve for a new object */
	int (*geometry)(const struct ipc_params *p, size_t *body,
			size_t *journal, size_t *data);
	/* fill in the body of a new object (file mapped, header done) */
	int (*init)(struct obj *o, const struct ipc_params *p);
	/* checks on an existing object before the permission check */
	int (*more_checks)(struct obj *o, const struct ipc_params *p);
	/* usage a new object adds to the limits (semaphores, pages) */
	uint64_t (*usage)(const struct ipc_params *p);
	/* check limits on usage before creating; -ENOSPC etc. */
	int (*check_usage)(uint64_t used, const struct ipc_params *p,
			   const struct uipc_limits *lim);
	/* validate the body of a freshly mapped file and set o->u */
	int (*validate)(struct obj *o);
	/* repair after taking the lock over from a dead holder (and after
	 * the journal's rollback); NULL: nothing beyond the rollback */
	void (*repair)(struct obj *o);
	/* usage an existing object holds (semaphores, pages) */
	uint64_t (*held_usage)(struct obj *o);
	/* the data area is reserved as it is used, not at creation */
	bool lazy_data;
};

extern const struct ipc_ops msg_ops, sem_ops, shm_ops;
int ipc_reserve(struct obj *o, uint64_t off, uint64_t len);
const struct ipc_ops *ipc_ops_of(int type);

int ipcget(int type, const struct ipc_params *p);
struct obj *ipc_obj_get(int type, int id);
void ipc_obj_put(struct obj *o);
int ipc_obj_lock(struct obj *o);
void ipc_obj_unlock(struct obj *o);
struct obj *ipc_read_begin(struct obj *o);
struct obj *view_take(struct obj *o);
void ipc_read_end(struct obj *o, struct obj *r);
int ipcperms(const struct uipc_perm *perm, int flag);
bool ipc_is_owner(const struct uipc_perm *perm);
bool ipc_capable(void);
bool ipc_capable_init(void);
int ipc_rmid_broken(int type, int id, int err);
int ipc_rmid_common(struct obj *o, void (*locked)(struct obj *),
		    void (*after)(struct obj *));
void ipc_remove_locked(struct obj *o);
void ipc_unlink(struct obj *o);
int ipc_set_perm(struct obj *o, const struct ipc_perm *in);
void ipc_set_done(struct obj *o);
void ipc_fill_perm(const struct uipc_hdr *h, struct ipc_perm *out);
int ipc_stat_index(int type, int idx, bool any, struct obj **op);
int ipc_stat_get(int type, int idx, bool by_id, bool any, struct obj **op);
int ipc_max_idx(int type);
int ipc_counts(int type, uint32_t *in_use, uint64_t *used);
int ipc_uread(const void *p, size_t n);
int ipc_uwrite(void *p, size_t n);
int ipc_guard_add(void *p, size_t len);
void *ipc_space_map(size_t len, int prot, int flags, int fd, off_t off);
void ipc_space_unmap(void *p, size_t len);
void *ipc_zalloc(size_t n);
void ipc_zfree(void *p);
void ipc_sync_fd(struct obj *o, int fd);
/* shmhuge.c: SHM_HUGETLB segments */
struct stat;
int shm_huge_shift(int shmflg);
int shm_huge_allowed(void);
int shm_huge_check(uint64_t size, int shmflg);
int shm_huge_create(struct obj *o, int shift, uint64_t len, bool noreserve,
		    dev_t *dev);
int shm_huge_open(struct obj *o, int oflags);
int shm_huge_stat(struct obj *o, struct stat *st);
void shm_huge_unlink(struct obj *o);
void shm_huge_sync(struct obj *o);
int64_t ipc_now(void);

/* ---- wait.c: waiter slots ---- */
int wt_init(struct uipc_waiter *w);
bool wt_alive(struct obj *o, struct uipc_waiter *w);
int wt_claim(struct obj *o, struct uipc_waiter *w, uint64_t seq, uint32_t kind);
void wt_release(struct obj *o, struct uipc_waiter *w);
void wt_complete(struct obj *o, struct uipc_waiter *w, int result,
		 uint32_t state);
#define WT_SAME_CPU	(-1)
#define WT_CPU_UNKNOWN	(-2)
int wt_spin_until(bool (*done)(const void *arg), const void *arg,
		  uint32_t partner_cpu, int64_t max_ns);
bool wt_spin(const void *word, int width, uint64_t old, uint32_t partner_cpu);
bool wt_spin2(const uint64_t *a, uint64_t old_a, const uint64_t *b,
	      uint64_t old_b, uint32_t partner_cpu);
void wt_hint(uint32_t *last_pid, uint32_t *last_cpu, uint32_t *prev_cpu);
uint32_t wt_partner_cpu(const uint32_t *last_pid, const uint32_t *last_cpu,
			const uint32_t *prev_cpu);
uint32_t wt_cpu(void);
void wt_block(sigset_t *old);
int wt_sleep(struct uipc_waiter *w, const struct timespec *deadline,
	     int work_ms, const sigset_t *old, bool cont_eintr);

/* ---- the types' entry points (api.c calls these) ---- */
int sem_get(key_t key, int nsems, int semflg);
int sem_ctl(int semid, int semnum, int cmd, void *arg, int val);
int sem_timedop(int semid, struct sembuf *sops, size_t nsops,
		const struct timespec *timeout);
int shm_get(key_t key, size_t size, int shmflg);
void *shm_at(int shmid, const void *addr, int flg);
int shm_dt(const void *addr);
int shm_ctl(int shmid, int cmd, struct shmid_ds *buf);
void ipc_for_each_cached(int type, void (*fn)(struct obj *));

/* inspect.c: the types report who uses an object */
typedef void (*ipc_user_fn)(void *ctx, pid_t pid, uint64_t start, int kind,
			    int count, bool has_start);
void msq_users(struct obj *o, ipc_user_fn fn, void *ctx);
void sem_users(struct obj *o, ipc_user_fn fn, void *ctx);
void shm_users(struct obj *o, ipc_user_fn fn, void *ctx);

#endif /* UIPC_INTERNAL_H */
