// SPDX-License-Identifier: MIT
/*
 * sem.c - semaphore sets: semget, semop/semtimedop, semctl, SEM_UNDO.
 *
 * Behaviour (kernel ipc/sem.c): the operations of one semop call are
 * applied all together or not at all, evaluated in order (several on one
 * semaphore add up); the first one that cannot proceed decides: ERANGE
 * past SEMVMX (or an undo adjustment past SEMAEM), or blocking, which
 * with IPC_NOWAIT on that operation is EAGAIN.  Blocked callers are
 * served in arrival order: after every change, queued operations are
 * retried oldest first, and whenever one that alters values completes the
 * scan starts over.  sempid is set for every semaphore an operation names,
 * the set's otime (the newest of the semaphores' otimes) on the first one.
 * SEM_UNDO adjustments are kept per process (pid and start time) and per
 * set, applied at exit with the kernel's clamping (to 0 .. SEMVMX), also
 * when the process was killed: the next caller that would block, every
 * semctl that reads values, and sleeping waiters (every 100 ms) look for
 * records of dead processes and apply them.  SETVAL and SETALL clear the
 * adjustments of the semaphores they set.  GETNCNT/GETZCNT count the
 * blocked processes whose blocking operation is on that semaphore.
 *
 * Internals: see struct uipc_sem in layout.h.  A lone operation without
 * SEM_UNDO on a semaphore that nobody waits for is one compare-and-swap
 * on the value word (no lock, no system call).  Everything else runs
 * under the set lock: the semaphores it touches are marked LOCKED first,
 * which sends concurrent fast-path callers to the lock, and every store
 * goes through the journal.  Wakeups are issued after unlocking.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sem.h>
#include <time.h>

#include "internal.h"

#define SEMVMX_K	32767
#define SEMAEM_K	SEMVMX_K
#define SEMMNI_K	32000
#define SEMMSL_K	32000
#define SEMMNS_K	(SEMMNI_K * SEMMSL_K)
#define SEMOPM_K	500
#define SEMUSZ_K	20
#define SEM_NSLOTS	64
#define SEM_SLICE_MS	100
#define SEM_SPINS	8	/* changes watched before sleeping */
#define SEM_UNDO_BYTES	(1u << 20)

/* Private per-process state of a mapped set. */
struct sem_priv {
	uint32_t undo_idx;	/* our undo record, if it still is ours */
};

/*
 * The waiters a call completed under the set's lock, woken once it has
 * unlocked.  Per call, not per set: the threads of a process share the
 * set's mapping, and a signal handler may make a call in the middle of
 * another on the same thread.  So each call keeps its list on its stack
 * (SEM_WAKES) and the thread points at the innermost one; a completion
 * with no list, or with a full one, wakes at once.
 */
struct sem_wakes {
	struct sem_wakes *outer;
	uint32_t n;
	uint32_t *word[SEM_NSLOTS];
};

static __thread struct sem_wakes *sem_cur_wakes;

static void sem_wakes_end(struct sem_wakes *w);

#define SEM_WAKES(w)							\
	struct sem_wakes w __attribute__((cleanup(sem_wakes_end))) =	\
		{ .outer = sem_cur_wakes };				\
	sem_cur_wakes = &w

static inline struct uipc_semwait *slot_at(struct obj *o, uint32_t i)
{
	struct uipc_semset *s = o->u.sem.set;

	return (struct uipc_semwait *)(o->base + s->slots_off) + i;
}

static inline struct uipc_semundo *undo_at(struct obj *o, uint32_t i)
{
	struct uipc_semset *s = o->u.sem.set;

	return (struct uipc_semundo *)(o->base + s->undo_off +
				       (size_t)i * s->undo_size);
}

static inline int16_t *undo_adj(struct uipc_semundo *u)
{
	return (int16_t *)(u + 1);
}

/* Records that may be in use: those below the high-water mark. */
static inline uint32_t undo_used(const struct uipc_semset *s)
{
	uint32_t hw = READ_ONCE(s->undo_hw);

	return hw < s->nundo ? hw : s->nundo;
}

static size_t undo_size(uint32_t nsems)
{
	return sizeof(struct uipc_semundo) + (((size_t)nsems * 2 + 7) & ~7ul);
}

static uint32_t undo_count(uint32_t nsems)
{
	size_t n = SEM_UNDO_BYTES / undo_size(nsems);

	return n < 16 ? 16 : n > 256 ? 256 : (uint32_t)n;
}

/* ---- geometry, creation, validation ---- */

static int sem_geometry(const struct ipc_params *p, size_t *body,
			size_t *journal, size_t *data)
{
	uint32_t n = (uint32_t)p->u.nsems;

	*body = sizeof(struct uipc_semset) + (size_t)n * sizeof(struct uipc_sem) +
		SEM_NSLOTS * sizeof(struct uipc_semwait) +
		(size_t)undo_count(n) * undo_size(n);
	*journal = (64 + 4 * (size_t)n + 8 * UIPC_SEM_SLOT_OPS) *
		   sizeof(struct uipc_jent);
	*data = 0;
	return 0;
}

static int sem_init_body(struct obj *o, const struct ipc_params *p)
{
	struct uipc_semset *s = (struct uipc_semset *)(o->base + o->hdr->body_off);
	uint32_t n = (uint32_t)p->u.nsems;

	s->nsems = n;
	s->sems_off = o->hdr->body_off + sizeof(*s);
	s->nslots = SEM_NSLOTS;
	s->slots_off = s->sems_off + n * sizeof(struct uipc_sem);
	s->nundo = undo_count(n);
	s->undo_off = s->slots_off + SEM_NSLOTS * sizeof(struct uipc_semwait);
	s->undo_size = (uint32_t)undo_size(n);
	for (uint32_t i = 0; i < SEM_NSLOTS; i++) {
		int err = wt_init(&((struct uipc_semwait *)(o->base + s->slots_off) + i)->w);

		if (err)
			return err;
	}
	return 0;
}

static int sem_validate(struct obj *o)
{
	struct uipc_hdr *h = o->hdr;
	struct uipc_semset *s;
	uint64_t end = (uint64_t)h->body_off + h->body_size;

	if (h->body_size < sizeof(*s))
		return UIPC_CORRUPT;
	s = (struct uipc_semset *)(o->base + h->body_off);
	if (s->nsems == 0 || s->nsems > 65535 ||
	    s->sems_off != h->body_off + sizeof(*s) ||
	    s->nslots != SEM_NSLOTS ||
	    s->slots_off != s->sems_off + s->nsems * sizeof(struct uipc_sem) ||
	    s->undo_off != s->slots_off + SEM_NSLOTS * sizeof(struct uipc_semwait) ||
	    s->undo_size != undo_size(s->nsems) || s->nundo != undo_count(s->nsems) ||
	    (uint64_t)s->undo_off + (uint64_t)s->nundo * s->undo_size > end)
		return UIPC_CORRUPT;
	o->u.sem.set = s;
	o->u.sem.sems = (struct uipc_sem *)(o->base + s->sems_off);
	o->u.sem.nsems = s->nsems;
	o->priv = ipc_zalloc(sizeof(struct sem_priv));
	if (!o->priv)
		return -ENOMEM;
	return 0;
}

static uint64_t sem_usage(const struct ipc_params *p)
{
	return (uint64_t)p->u.nsems;
}

static int sem_check_usage(uint64_t used, const struct ipc_params *p,
			   const struct uipc_limits *lim)
{
	if (p->u.nsems == 0)
		return -EINVAL;
	if (used + (uint64_t)p->u.nsems > (uint64_t)lim->semmns)
		return -ENOSPC;
	return 0;
}

static int sem_more_checks(struct obj *o, const struct ipc_params *p)
{
	return (uint32_t)p->u.nsems > o->u.sem.nsems ? -EINVAL : 0;
}

static uint64_t sem_held(struct obj *o)
{
	return o->u.sem.nsems;
}

static void sem_fix_waiters(struct obj *o);

/* After a dead holder: no semaphore stays LOCKED, WAITERS recomputed. */
static void sem_repair(struct obj *o)
{
	for (uint32_t i = 0; i < o->u.sem.nsems; i++)
		fetch_and(&o->u.sem.sems[i].val, ~UIPC_SEM_LOCKED);
	sem_fix_waiters(o);
}

const struct ipc_ops sem_ops = {
	.geometry = sem_geometry,
	.init = sem_init_body,
	.more_checks = sem_more_checks,
	.usage = sem_usage,
	.check_usage = sem_check_usage,
	.validate = sem_validate,
	.repair = sem_repair,
	.held_usage = sem_held,
};

int sem_get(key_t key, int nsems, int semflg)
{
	struct ipc_params p = { .key = key, .flg = semflg, .u.nsems = nsems };
	struct uipc_limits lim;

	if (nsems < 0 || nsems > 65535)
		return -EINVAL;
	/* 0 (any size, for an existing set) is within every SEMMSL */
	if (nsems == 0)
		return ipcget(UIPC_T_SEM, &p);
	lim_quick(&lim);
	if (nsems > lim.semmsl) {
		lim_get_type(&lim, UIPC_T_SEM);	/* raised a moment ago? */
		if (nsems > lim.semmsl)
			return -EINVAL;
	}
	return ipcget(UIPC_T_SEM, &p);
}

/* ---- values under the lock ---- */

static inline int semval(struct obj *o, uint32_t i)
{
	return (int)(READ_ONCE(o->u.sem.sems[i].val) & UIPC_SEM_VALMASK);
}

/* Store a new value, keeping the flags.  Lock held, semaphore pinned. */
static void semval_set(struct obj *o, uint32_t i, int v)
{
	uint32_t *w = &o->u.sem.sems[i].val;

	jw32(&o->jc, w, (READ_ONCE(*w) & ~UIPC_SEM_VALMASK) | (uint32_t)v);
}

static void sem_pin(struct obj *o, uint32_t i)
{
	fetch_or(&o->u.sem.sems[i].val, UIPC_SEM_LOCKED);
}

static void sem_unpin_all(struct obj *o, const struct sembuf *sops, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fetch_and(&o->u.sem.sems[sops[i].sem_num].val, ~UIPC_SEM_LOCKED);
}

/* ---- undo records ---- */

static struct uipc_semundo *undo_find(struct obj *o, uint32_t pid,
				      uint64_t start, bool alloc)
{
	struct uipc_semset *s = o->u.sem.set;
	struct sem_priv *pv = o->priv;
	struct uipc_semundo *u;
	uint32_t free_i = UINT32_MAX;

	if (pid == (uint32_t)proc_self()->pid && pv->undo_idx < s->nundo) {
		u = undo_at(o, pv->undo_idx);
		if (READ_ONCE(u->pid) == pid && READ_ONCE(u->start) == start)
			return u;
	}
	for (uint32_t i = 0; i < undo_used(s); i++) {
		u = undo_at(o, i);
		if (READ_ONCE(u->pid) == pid && READ_ONCE(u->start) == start) {
			if (pid == (uint32_t)proc_self()->pid)
				pv->undo_idx = i;
			return u;
		}
		if (!READ_ONCE(u->pid) && free_i == UINT32_MAX)
			free_i = i;
	}
	if (!alloc)
		return NULL;
	if (free_i == UINT32_MAX) {
		if (undo_used(s) >= s->nundo)
			return NULL;
		free_i = undo_used(s);
		jw32(&o->jc, &s->undo_hw, free_i + 1);
	}
	u = undo_at(o, free_i);
	/* a free record's adjustments are all zero (kept so when freed) */
	jw64(&o->jc, &u->start, start);
	jw32(&o->jc, &u->pid, pid);
	if (pid == (uint32_t)proc_self()->pid)
		pv->undo_idx = free_i;
	return u;
}

/* Free a record: zero its adjustments, then its owner. */
static void undo_free(struct obj *o, struct uipc_semundo *u)
{
	int16_t *adj = undo_adj(u);

	for (uint32_t i = 0; i < o->u.sem.nsems; i += 2) {
		uint32_t *pair = (uint32_t *)(void *)&adj[i];

		if (READ_ONCE(*pair)) {
			if (!jn_room(&o->jc, 2))
				jn_commit(&o->jc);
			jw32(&o->jc, pair, 0);
		}
	}
	jw32(&o->jc, &u->pid, 0);
}

/*
 * An undo record whose adjustments are all zero changes nothing at exit:
 * free it, so that only processes that hold an adjustment hold a record
 * (a prefork server's workers, which take a mutex with SEM_UNDO and give
 * it back, hold one at a time, not one each), and so that the checks of
 * holders cost one per adjustment held, not one per process that ever
 * used the set.  A waker that completes a sleeper's operation takes a
 * record for it again.  Lock held.
 */
static void undo_drop_empty(struct obj *o, struct uipc_semundo *u)
{
	const int16_t *adj;

	if (!u || !READ_ONCE(u->pid))
		return;
	adj = undo_adj(u);
	for (uint32_t i = 0; i < o->u.sem.nsems; i++)
		if (READ_ONCE(adj[i]))
			return;
	if (!jn_room(&o->jc, 1))
		jn_commit(&o->jc);
	jw32(&o->jc, &u->pid, 0);
}

static void set_adj(struct obj *o, struct uipc_semundo *u, uint32_t num,
		    int v)
{
	int16_t *adj = undo_adj(u);
	uint32_t *pair = (uint32_t *)(void *)&adj[num & ~1u];
	uint32_t w = READ_ONCE(*pair);
	uint16_t h = (uint16_t)(int16_t)v;

	w = num & 1 ? (w & 0xffffu) | ((uint32_t)h << 16) : (w & 0xffff0000u) | h;
	if (!jn_room(&o->jc, 2))
		jn_commit(&o->jc);
	jw32(&o->jc, pair, w);
	if (v)
		fetch_or(&o->u.sem.sems[num].val, UIPC_SEM_UNDOADJ);
}

static void sem_update_queue(struct obj *o);

/* Apply the undo record @u of an exiting or dead process and free it. */
static void undo_apply(struct obj *o, struct uipc_semundo *u)
{
	int16_t *adj = undo_adj(u);
	uint32_t pid = READ_ONCE(u->pid);
	bool changed = false;

	for (uint32_t i = 0; i < o->u.sem.nsems; i++) {
		int a = READ_ONCE(adj[i]);
		int v;

		if (!a)
			continue;
		sem_pin(o, i);
		v = semval(o, i) + a;
		v = v < 0 ? 0 : v > SEMVMX_K ? SEMVMX_K : v;
		if (!jn_room(&o->jc, 3))
			jn_commit(&o->jc);
		semval_set(o, i, v);
		jw32(&o->jc, &o->u.sem.sems[i].pid, pid);
		fetch_and(&o->u.sem.sems[i].val, ~UIPC_SEM_LOCKED);
		changed = true;
	}
	undo_free(o, u);
	if (changed)
		sem_update_queue(o);
}

/*
 * Apply and free the undo records of processes that are gone.  Lock held,
 * or @o is a view (read-only modes): then the same code computes the
 * repaired values in the private copy.
 */
static bool sem_reap_undo(struct obj *o)
{
	struct uipc_semset *s = o->u.sem.set;
	const struct proc_self *me = proc_self();
	bool any = false;

	for (uint32_t i = 0; i < undo_used(s); i++) {
		struct uipc_semundo *u = undo_at(o, i);
		uint32_t pid = READ_ONCE(u->pid);

		if (!pid || (pid == (uint32_t)me->pid &&
			     READ_ONCE(u->start) == me->start))
			continue;
		if (!proc_alive((pid_t)pid, READ_ONCE(u->start))) {
			undo_apply(o, u);
			any = true;
		}
	}
	return any;
}

/*
 * Does anyone else hold undo adjustments in the set?  Then a sleeper must
 * look now and then whether they died (nobody else would apply them).
 */
static bool sem_others_undo(struct obj *o)
{
	struct uipc_semset *s = o->u.sem.set;
	const struct proc_self *me = proc_self();

	for (uint32_t i = 0; i < undo_used(s); i++) {
		struct uipc_semundo *u = undo_at(o, i);
		uint32_t pid = READ_ONCE(u->pid);

		if (pid && (pid != (uint32_t)me->pid ||
			    READ_ONCE(u->start) != me->start))
			return true;
	}
	return false;
}

/*
 * Before an operation on semaphores that undo records adjust: apply the
 * undo of holders that are gone (one kill(pid, 0) per other holder), and
 * drop the flag of semaphores that no record adjusts any more, which
 * sends them back to the fast path.  Lock held.
 */
static void sem_check_undo(struct obj *o, const struct sembuf *sops, size_t n)
{
	struct uipc_semset *s = o->u.sem.set;
	const struct proc_self *me = proc_self();
	bool flagged = false;

	for (size_t i = 0; i < n && !flagged; i++)
		flagged = READ_ONCE(o->u.sem.sems[sops[i].sem_num].val) &
			  UIPC_SEM_UNDOADJ;
	if (!flagged)
		return;
	for (uint32_t i = 0; i < undo_used(s); i++) {
		struct uipc_semundo *u = undo_at(o, i);
		uint32_t pid = READ_ONCE(u->pid);

		if (!pid || (pid == (uint32_t)me->pid &&
			     READ_ONCE(u->start) == me->start))
			continue;
		if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
			undo_apply(o, u);
	}
	for (size_t k = 0; k < n; k++) {
		uint32_t num = sops[k].sem_num;
		bool used = false;

		if (!(READ_ONCE(o->u.sem.sems[num].val) & UIPC_SEM_UNDOADJ))
			continue;
		for (uint32_t i = 0; i < undo_used(s) && !used; i++) {
			struct uipc_semundo *u = undo_at(o, i);

			used = READ_ONCE(u->pid) && undo_adj(u)[num];
		}
		if (!used)
			fetch_and(&o->u.sem.sems[num].val, ~UIPC_SEM_UNDOADJ);
	}
}

/* ---- evaluating operations ---- */

/*
 * try_ops - can @sops proceed on the current values?  Returns 0 (yes,
 * *newv filled with the resulting value of each operation's semaphore),
 * 1 (would block at *blocking), -EAGAIN (would block, IPC_NOWAIT),
 * -ERANGE.  The kernel's perform_atomic_semop(), on a private copy.
 */
static int try_ops(struct obj *o, const struct sembuf *sops, size_t n,
		   struct uipc_semundo *u, int *newv, uint32_t *blocking)
{
	for (size_t i = 0; i < n; i++) {
		const struct sembuf *sop = &sops[i];
		int cur = -1, res;

		for (size_t j = i; j-- > 0;)
			if (sops[j].sem_num == sop->sem_num) {
				cur = newv[j];
				break;
			}
		if (cur < 0)
			cur = semval(o, sop->sem_num);
		if (!sop->sem_op && cur)
			goto block;
		res = cur + sop->sem_op;
		if (res < 0)
			goto block;
		if (res > SEMVMX_K)
			return -ERANGE;
		if (sop->sem_flg & SEM_UNDO) {
			int a = u ? undo_adj(u)[sop->sem_num] : 0;
			int undo = a - sop->sem_op;

			if (undo < -SEMAEM_K - 1 || undo > SEMAEM_K)
				return -ERANGE;
		}
		newv[i] = res;
		continue;
block:
		*blocking = (uint32_t)i;
		return sop->sem_flg & IPC_NOWAIT ? -EAGAIN : 1;
	}
	return 0;
}

/* Store the outcome of try_ops() == 0.  Lock held, semaphores pinned. */
static void apply_ops(struct obj *o, const struct sembuf *sops, size_t n,
		      const int *newv, struct uipc_semundo *u, uint32_t pid)
{
	int64_t now = ipc_now();

	for (size_t i = 0; i < n; i++) {
		const struct sembuf *sop = &sops[i];
		struct uipc_sem *sem = &o->u.sem.sems[sop->sem_num];

		if (!jn_room(&o->jc, 4))
			jn_commit(&o->jc);
		if (sop->sem_op)
			semval_set(o, sop->sem_num, newv[i]);
		if (READ_ONCE(sem->pid) != pid)
			jw32(&o->jc, &sem->pid, pid);
		if (u && (sop->sem_flg & SEM_UNDO) && sop->sem_op)
			set_adj(o, u, sop->sem_num,
				undo_adj(u)[sop->sem_num] - sop->sem_op);
	}
	if (READ_ONCE(o->u.sem.sems[sops[0].sem_num].otime) != now)
		jws64(&o->jc, &o->u.sem.sems[sops[0].sem_num].otime, now);
}

static bool ops_alter(const struct sembuf *sops, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (sops[i].sem_op)
			return true;
	return false;
}

static size_t slot_sops(struct uipc_semwait *sw, struct sembuf *out,
			uint32_t nsems)
{
	uint32_t n = READ_ONCE(sw->nsops);

	if (n == 0 || n > UIPC_SEM_SLOT_OPS)
		return 0;
	for (uint32_t i = 0; i < n; i++) {
		out[i].sem_num = READ_ONCE(sw->sops[i].num);
		out[i].sem_op = READ_ONCE(sw->sops[i].op);
		out[i].sem_flg = READ_ONCE(sw->sops[i].flg);
		if (out[i].sem_num >= nsems)
			return 0;
	}
	return n;
}

/* Keep WAITERS exactly on the semaphores that queued operations name. */
static void sem_fix_waiters(struct obj *o)
{
	uint32_t n = o->u.sem.nsems;
	uint8_t small[1024], *want = n <= sizeof(small) ? small : calloc(n, 1);
	struct sembuf sops[UIPC_SEM_SLOT_OPS];

	if (!want) {
		/* no memory: leave every flag set; only slower, still right */
		return;
	}
	memset(want, 0, n);
	for (uint32_t s = 0; s < SEM_NSLOTS; s++) {
		struct uipc_semwait *sw = slot_at(o, s);
		size_t k;

		if (READ_ONCE(sw->w.state) != UIPC_W_WAIT)
			continue;
		k = slot_sops(sw, sops, n);
		if (!k) {	/* operations not stored: it may wait on any */
			memset(want, 1, n);
			break;
		}
		for (size_t i = 0; i < k; i++)
			want[sops[i].sem_num] = 1;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t w = READ_ONCE(o->u.sem.sems[i].val);

		if (want[i] && !(w & UIPC_SEM_WAITERS))
			fetch_or(&o->u.sem.sems[i].val, UIPC_SEM_WAITERS);
		else if (!want[i] && (w & UIPC_SEM_WAITERS))
			fetch_and(&o->u.sem.sems[i].val, ~UIPC_SEM_WAITERS);
	}
	if (want != small)
		free(want);
}

static void wake_later(struct obj *o, uint32_t slot)
{
	struct sem_wakes *w = sem_cur_wakes;
	uint32_t *word = &slot_at(o, slot)->w.state;

	if (w && w->n < SEM_NSLOTS)
		w->word[w->n++] = word;
	else
		fx_wake(word, 1);
}

/* Issue the wakeups this call collected under the lock.  Lock NOT held. */
static void sem_wake(struct obj *o)
{
	struct sem_wakes *w = sem_cur_wakes;

	if (!w)
		return;
	for (uint32_t i = 0; i < w->n; i++)
		fx_wake(w->word[i], 1);
	w->n = 0;
}

/* The end of a call's SEM_WAKES scope. */
static void sem_wakes_end(struct sem_wakes *w)
{
	sem_wake(NULL);
	sem_cur_wakes = w->outer;
}

/*
 * Might a waiter be queued?  Every WAIT slot flags the semaphores its
 * operations name (all of them when they were too many to store), so
 * none flagged means none queued: a small set's words are read instead
 * of the 64 slots (18 KiB), which cost an uncontended SEM_UNDO P+V 40%
 * of its time.  Lock held.
 */
#define SEM_FLAG_SCAN_MAX	256

static bool sem_maybe_waiters(struct obj *o)
{
	uint32_t n = o->u.sem.nsems;

	if (n > SEM_FLAG_SCAN_MAX)
		return true;
	for (uint32_t i = 0; i < n; i++)
		if (READ_ONCE(o->u.sem.sems[i].val) & UIPC_SEM_WAITERS)
			return true;
	return false;
}

/*
 * sem_update_queue - complete every queued operation that can now
 * proceed, oldest first; restart after each one that changed values.
 * Lock held.
 */
static void sem_update_queue(struct obj *o)
{
	struct sembuf sops[UIPC_SEM_SLOT_OPS];
	int newv[UIPC_SEM_SLOT_OPS];
	bool removed = false;

	if (!sem_maybe_waiters(o))
		return;

	for (;;) {
		struct uipc_semwait *best = NULL;
		uint64_t last = 0;
		bool progress = false;

		/* visit WAIT slots in seq order without sorting: repeated min */
		for (;;) {
			best = NULL;
			for (uint32_t s = 0; s < SEM_NSLOTS; s++) {
				struct uipc_semwait *sw = slot_at(o, s);
				uint64_t q = READ_ONCE(sw->w.seq);

				if (READ_ONCE(sw->w.state) != UIPC_W_WAIT || q <= last)
					continue;
				if (!best || q < READ_ONCE(best->w.seq))
					best = sw;
			}
			if (!best)
				break;
			last = READ_ONCE(best->w.seq);
			size_t n = slot_sops(best, sops, o->u.sem.nsems);
			uint32_t blocking = 0;
			int r;

			if (!n) {
				/* too many operations to store: let it retry */
				if (wt_alive(o, &best->w)) {
					wt_complete(o, &best->w, 0, UIPC_W_RETRY);
					wake_later(o, (uint32_t)(best - slot_at(o, 0)));
				}
				removed = true;
				continue;
			}
			struct uipc_semundo *u = NULL;
			bool undo = false;

			for (size_t i = 0; i < n; i++)
				undo |= (sops[i].sem_flg & SEM_UNDO) != 0;
			if (undo)
				u = undo_find(o, READ_ONCE(best->w.pid),
					      READ_ONCE(best->w.start), false);
			r = try_ops(o, sops, n, u, newv, &blocking);
			if (r == 1) {
				if (READ_ONCE(best->blocking) != blocking)
					jw32(&o->jc, &best->blocking, blocking);
				continue;
			}
			if (!wt_alive(o, &best->w)) {
				removed = true;
				continue;
			}
			if (r == 0 && undo && !u) {
				/* a sleeper gives up an empty record: take one */
				u = undo_find(o, READ_ONCE(best->w.pid),
					      READ_ONCE(best->w.start), true);
				if (!u)
					r = -ENOMEM;	/* table full; see docs */
			}
			if (r == 0) {
				apply_ops(o, sops, n, newv, u,
					  READ_ONCE(best->w.pid));
				undo_drop_empty(o, u);
			}
			if (!jn_room(&o->jc, 4))
				jn_commit(&o->jc);
			wt_complete(o, &best->w, r == -EAGAIN ? 0 : r,
				    r == -EAGAIN ? UIPC_W_RETRY : UIPC_W_DONE);
			wake_later(o, (uint32_t)(best - slot_at(o, 0)));
			removed = true;
			if (r == 0 && ops_alter(sops, n)) {
				progress = true;
				break;
			}
		}
		if (!progress)
			break;
	}
	if (removed)
		sem_fix_waiters(o);
}

/* ---- semop ---- */

static int sem_fast(struct obj *o, const struct sembuf *sop)
{
	struct uipc_sem *sem = &o->u.sem.sems[sop->sem_num];
	uint32_t w = READ_ONCE(sem->val);
	uint32_t pid = (uint32_t)proc_self()->pid;
	int64_t now;

	for (;;) {
		int v, nv;

		if (w & (UIPC_SEM_LOCKED | UIPC_SEM_WAITERS | UIPC_SEM_UNDOADJ))
			return 1;
		v = (int)(w & UIPC_SEM_VALMASK);
		if (!sop->sem_op) {
			if (v)
				return 1;
			break;
		}
		nv = v + sop->sem_op;
		if (nv < 0 || nv > SEMVMX_K)
			return 1;
		/* pairs with fetch_or(LOCKED/WAITERS) by the lock holder */
		if (cas(&sem->val, &w, (uint32_t)nv))
			break;
	}
	if (READ_ONCE(sem->pid) != pid)
		WRITE_ONCE(sem->pid, pid);
	now = ipc_now();
	if (READ_ONCE(sem->otime) != now)
		WRITE_ONCE(sem->otime, now);
	return 0;
}

/*
 * A lone operation without SEM_UNDO that would block: when the partner
 * last ran on another CPU, watch the semaphore's word before taking the
 * lock at all, and complete on the lock-free path if it changes so that
 * we can.  Returns true if the operation is done.
 */
static bool sem_prespin(struct obj *o, const struct sembuf *sop)
{
	struct uipc_semset *s = o->u.sem.set;
	uint32_t *w = &o->u.sem.sems[sop->sem_num].val;

	for (int i = 0; i < SEM_SPINS; i++) {
		uint32_t old = READ_ONCE(*w);

		if (old & (UIPC_SEM_LOCKED | UIPC_SEM_WAITERS | UIPC_SEM_UNDOADJ))
			return false;
		if (!wt_spin(w, 4, old, wt_partner_cpu(&s->last_pid, &s->last_cpu,
						       &s->prev_cpu)))
			return false;
		if (sem_fast(o, sop) == 0) {
			wt_hint(&s->last_pid, &s->last_cpu, &s->prev_cpu);
			return true;
		}
	}
	return false;
}

/* Take a free slot and queue @sops in it.  Lock held. */
static struct uipc_semwait *sem_enqueue(struct obj *o, const struct sembuf *sops,
					size_t n, uint32_t blocking)
{
	struct uipc_semset *s = o->u.sem.set;

	for (uint32_t i = 0; i < SEM_NSLOTS; i++) {
		struct uipc_semwait *sw = slot_at(o, i);

		if (READ_ONCE(sw->w.state) != UIPC_W_FREE)
			continue;
		if (!jn_room(&o->jc, 12 + 3 * UIPC_SEM_SLOT_OPS))
			jn_commit(&o->jc);
		if (wt_claim(o, &sw->w, READ_ONCE(s->wseq) + 1, 0))
			continue;
		jw64(&o->jc, &s->wseq, READ_ONCE(s->wseq) + 1);
		if (n <= UIPC_SEM_SLOT_OPS) {
			for (size_t k = 0; k < n; k++) {
				sw->sops[k].num = sops[k].sem_num;
				sw->sops[k].op = sops[k].sem_op;
				sw->sops[k].flg = sops[k].sem_flg;
			}
			jw32(&o->jc, &sw->nsops, (uint32_t)n);
			for (size_t k = 0; k < n; k++)
				fetch_or(&o->u.sem.sems[sops[k].sem_num].val,
					 UIPC_SEM_WAITERS);
		} else {
			jw32(&o->jc, &sw->nsops, 0);
			for (uint32_t k = 0; k < o->u.sem.nsems; k++)
				fetch_or(&o->u.sem.sems[k].val, UIPC_SEM_WAITERS);
		}
		jw32(&o->jc, &sw->blocking, blocking);
		return sw;
	}
	return NULL;
}

static int sem_slow(struct obj *o, const struct sembuf *sops, size_t n,
		    bool undo, const struct timespec *deadline)
{
	const struct proc_self *me = proc_self();
	int newv_small[16], *newv = n <= 16 ? newv_small : malloc(n * sizeof(int));
	struct uipc_semwait *sw = NULL;
	sigset_t oldmask;
	bool reaped = false;
	int r, slept = 0, slice = 0, spins = 0;
	SEM_WAKES(wakes);

	if (!newv)
		return -ENOMEM;
	for (;;) {
		struct uipc_semundo *u = NULL;
		uint32_t blocking = 0;

		ipc_obj_lock(o);
		if (sw) {
			/* we were queued: completed for us, told to retry, or
			 * our sleep ended by itself */
			uint32_t st = READ_ONCE(sw->w.state);

			r = READ_ONCE(sw->w.result);
			wt_release(o, &sw->w);
			sem_fix_waiters(o);
			sw = NULL;
			if (st == UIPC_W_DONE)
				goto unlock;
			if (slept) {
				r = slept;
				goto unlock;
			}
		}
		if (READ_ONCE(o->hdr->state) != UIPC_S_LIVE) {
			r = -EIDRM;
			goto unlock;
		}
		if (undo) {
			u = undo_find(o, (uint32_t)me->pid, me->start, true);
			if (!u) {
				r = -ENOMEM;	/* undo table full; see docs */
				goto unlock;
			}
		}
		for (size_t i = 0; i < n; i++)
			sem_pin(o, sops[i].sem_num);
		sem_check_undo(o, sops, n);
		r = try_ops(o, sops, n, u, newv, &blocking);
		if ((r == 1 || r == -EAGAIN) && !reaped) {
			reaped = true;
			if (sem_reap_undo(o))
				r = try_ops(o, sops, n, u, newv, &blocking);
		}
		if (r == 0) {
			struct uipc_semset *s = o->u.sem.set;

			apply_ops(o, sops, n, newv, u, (uint32_t)me->pid);
			if (ops_alter(sops, n))
				sem_update_queue(o);
			wt_hint(&s->last_pid, &s->last_cpu, &s->prev_cpu);
		}
		undo_drop_empty(o, u);	/* done, failed, or about to wait */
		if (r != 1) {
			sem_unpin_all(o, sops, n);
			goto unlock;
		}
		if (spins++ < SEM_SPINS) {
			/* the partner may be about to release: watch the word */
			struct uipc_semset *s = o->u.sem.set;
			uint32_t *w = &o->u.sem.sems[sops[blocking].sem_num].val;
			uint32_t old = READ_ONCE(*w) & ~UIPC_SEM_LOCKED;
			uint32_t pc = wt_partner_cpu(&s->last_pid, &s->last_cpu,
						     &s->prev_cpu);

			sem_unpin_all(o, sops, n);
			ipc_obj_unlock(o);
			sem_wake(o);
			if (!wt_spin(w, 4, old, pc)) {
				spins = SEM_SPINS;
			} else if (n == 1 && !undo && sem_fast(o, sops) == 0) {
				/* it changed: the lock-free path may do now */
				r = 0;
				goto out;
			}
			continue;
		}
		/* block */
		sw = sem_enqueue(o, sops, n, blocking);
		slice = sem_others_undo(o) ? SEM_SLICE_MS : 0;
		sem_unpin_all(o, sops, n);
		if (sw)
			wt_block(&oldmask);
		ipc_obj_unlock(o);
		sem_wake(o);
		if (!sw) {
			/* every slot taken: poll (see docs) */
			r = fx_nap(WT_POLL_NS, deadline);
			if (r)
				goto out;
			continue;
		}
		while ((slept = wt_sleep(&sw->w, deadline, slice, &oldmask, true)) == 1) {
			/* a slice passed: apply the undo of dead processes
			 * (signals still held, so none goes unnoticed) */
			ipc_obj_lock(o);
			if (READ_ONCE(o->hdr->state) == UIPC_S_LIVE)
				sem_reap_undo(o);
			slice = sem_others_undo(o) ? SEM_SLICE_MS : 0;
			ipc_obj_unlock(o);
			sem_wake(o);
		}
	}
unlock:
	ipc_obj_unlock(o);
	sem_wake(o);
out:
	if (newv != newv_small)
		free(newv);
	return r;
}

int sem_timedop(int semid, struct sembuf *sops, size_t nsops,
		const struct timespec *timeout)
{
	struct timespec deadline;
	unsigned max = 0;
	bool undo = false, alter = false;
	struct obj *o;
	int r;

	/* the kernel's order: timeout EFAULT, E2BIG, EINVAL, EFAULT, the id */
	if (timeout && ipc_uread(timeout, sizeof(*timeout)))
		return -EFAULT;
	if (nsops > (size_t)lim_cached()->semopm)
		return -E2BIG;
	if (nsops < 1)
		return -EINVAL;
	if (ipc_uread(sops, nsops * sizeof(*sops)))
		return -EFAULT;
	if (semid < 0)
		return -EINVAL;
	if (timeout) {
		r = fx_deadline(timeout, &deadline);
		if (r)
			return r;
	}
	for (size_t i = 0; i < nsops; i++) {
		if (sops[i].sem_num > max)
			max = sops[i].sem_num;
		undo |= (sops[i].sem_flg & SEM_UNDO) != 0;
		alter |= sops[i].sem_op != 0;
	}
	o = ipc_obj_get(UIPC_T_SEM, semid);
	if (IS_ERR(o))
		return PTR_ERR(o);
	if (max >= o->u.sem.nsems) {
		r = -EFBIG;
		goto out;
	}
	if (unlikely(ipcperms(&o->hdr->perm, alter ? 0222 : 0444))) {
		r = -EACCES;
		goto out;
	}
	if (nsops == 1 && !undo && (sem_fast(o, sops) == 0 ||
				    (!(sops->sem_flg & IPC_NOWAIT) &&
				     sem_prespin(o, sops)))) {
		r = 0;
		goto out;
	}
	r = sem_slow(o, sops, nsops, undo, timeout ? &deadline : NULL);
out:
	ipc_obj_put(o);
	return r;
}

/* ---- semctl ---- */

static int64_t sem_otime(struct obj *o)
{
	int64_t t = 0;

	for (uint32_t i = 0; i < o->u.sem.nsems; i++)
		if (READ_ONCE(o->u.sem.sems[i].otime) > t)
			t = READ_ONCE(o->u.sem.sems[i].otime);
	return t;
}

static int sem_count(struct obj *o, uint32_t semnum, bool zero)
{
	struct sembuf sops[UIPC_SEM_SLOT_OPS];
	int cnt = 0;
	bool dropped = false;

	for (uint32_t s = 0; s < SEM_NSLOTS; s++) {
		struct uipc_semwait *sw = slot_at(o, s);
		uint32_t b;
		size_t n;

		if (READ_ONCE(sw->w.state) != UIPC_W_WAIT ||
		    !READ_ONCE(sw->w.asleep))
			continue;
		if (!wt_alive(o, &sw->w)) {
			dropped = true;
			continue;
		}
		n = slot_sops(sw, sops, o->u.sem.nsems);
		b = READ_ONCE(sw->blocking);
		if (!n || b >= n || sops[b].sem_num != semnum)
			continue;
		if (zero ? sops[b].sem_op == 0 : sops[b].sem_op < 0)
			cnt++;
	}
	if (dropped)
		sem_fix_waiters(o);
	return cnt;
}

/* Clear every process's adjustment of semaphore @i (SETVAL, SETALL). */
static void undo_clear(struct obj *o, uint32_t i)
{
	struct uipc_semset *s = o->u.sem.set;

	for (uint32_t k = 0; k < undo_used(s); k++) {
		struct uipc_semundo *u = undo_at(o, k);

		if (READ_ONCE(u->pid) && undo_adj(u)[i])
			set_adj(o, u, i, 0);
	}
}

static void pin_all(struct obj *o, bool on)
{
	for (uint32_t i = 0; i < o->u.sem.nsems; i++) {
		if (on)
			sem_pin(o, i);
		else
			fetch_and(&o->u.sem.sems[i].val, ~UIPC_SEM_LOCKED);
	}
}

static void sem_fill(struct obj *o, struct semid_ds *ds)
{
	memset(ds, 0, sizeof(*ds));
	ipc_fill_perm(o->hdr, &ds->sem_perm);
	ds->sem_otime = sem_otime(o);
	ds->sem_ctime = READ_ONCE(o->hdr->ctime);
	ds->sem_nsems = o->u.sem.nsems;
}

static int sem_info(int cmd, void *buf)
{
	struct uipc_limits lim;
	struct seminfo si;
	uint32_t in_use;
	uint64_t used;
	int err, max;

	lim_get(&lim);
	memset(&si, 0, sizeof(si));
	si.semmni = lim.semmni;
	si.semmns = lim.semmns;
	si.semmsl = lim.semmsl;
	si.semopm = lim.semopm;
	si.semvmx = SEMVMX_K;
	si.semmnu = SEMMNS_K;
	si.semmap = SEMMNS_K;
	si.semume = SEMOPM_K;
	if (cmd == SEM_INFO) {
		err = ipc_counts(UIPC_T_SEM, &in_use, &used);
		if (err)
			return err;
		si.semusz = (int)in_use;
		si.semaem = (int)used;
	} else {
		si.semusz = SEMUSZ_K;
		si.semaem = SEMAEM_K;
	}
	max = ipc_max_idx(UIPC_T_SEM);
	if (max < 0)
		return max;
	if (ipc_uwrite(buf, sizeof(si)))
		return -EFAULT;
	memcpy(buf, &si, sizeof(si));
	return max;
}

static int sem_stat(int semid, int cmd, struct semid_ds *buf)
{
	struct semid_ds ds;
	struct obj *o, *r;
	int err;
	SEM_WAKES(wakes);

	err = ipc_stat_get(UIPC_T_SEM, semid, cmd == IPC_STAT, cmd == SEM_STAT_ANY, &o);
	if (err)
		return err;
	/* locked, or a view whose repair changes only the view */
	r = ipc_read_begin(o);
	if (IS_ERR(r)) {
		err = (int)PTR_ERR(r);
	} else if (READ_ONCE(r->hdr->state) != UIPC_S_LIVE) {
		err = -EIDRM;
	} else {
		sem_reap_undo(r);
		sem_fill(r, &ds);
		err = cmd == IPC_STAT ? 0 : o->id;
	}
	ipc_read_end(o, r);
	sem_wake(o);
	ipc_obj_put(o);
	if (err >= 0) {
		if (ipc_uwrite(buf, sizeof(*buf)))
			return -EFAULT;
		*buf = ds;
	}
	return err;
}

static void sem_rmid_locked(struct obj *o)
{
	for (uint32_t s = 0; s < SEM_NSLOTS; s++) {
		struct uipc_semwait *sw = slot_at(o, s);

		if (READ_ONCE(sw->w.state) == UIPC_W_WAIT) {
			wt_complete(o, &sw->w, -EIDRM, UIPC_W_DONE);
			wake_later(o, s);
		}
	}
}

static int sem_down(int semid, int cmd, const struct semid_ds *in)
{
	struct obj *o = ipc_obj_get(UIPC_T_SEM, semid);
	int err;
	SEM_WAKES(wakes);

	if (IS_ERR(o))
		return cmd == IPC_RMID ?
		       ipc_rmid_broken(UIPC_T_SEM, semid, PTR_ERR(o)) :
		       PTR_ERR(o);
	if (!ipc_is_owner(&o->hdr->perm)) {
		err = -EPERM;
	} else if (cmd == IPC_RMID) {
		err = ipc_rmid_common(o, sem_rmid_locked, sem_wake);
	} else {
		ipc_obj_lock(o);
		if (READ_ONCE(o->hdr->state) != UIPC_S_LIVE)
			err = -EIDRM;
		else
			err = ipc_set_perm(o, &in->sem_perm);
		ipc_obj_unlock(o);
		if (!err)
			ipc_set_done(o);
	}
	ipc_obj_put(o);
	return err;
}

static int sem_main(int semid, int semnum, int cmd, void *arg, int val)
{
	unsigned short small[64], *vals = NULL;
	struct obj *o, *v;
	uint32_t n;
	int r = 0;
	SEM_WAKES(wakes);

	if (cmd == SETVAL && (val > SEMVMX_K || val < 0))
		return -ERANGE;
	o = ipc_obj_get(UIPC_T_SEM, semid);
	if (IS_ERR(o))
		return PTR_ERR(o);
	n = o->u.sem.nsems;
	if (cmd == SETVAL && (semnum < 0 || (uint32_t)semnum >= n)) {
		r = -EINVAL;
		goto out;
	}
	if (ipcperms(&o->hdr->perm, cmd == SETALL || cmd == SETVAL ? 0222 : 0444)) {
		r = -EACCES;
		goto out;
	}
	if (cmd == GETALL || cmd == SETALL) {
		vals = n <= 64 ? small : malloc(n * sizeof(*vals));
		if (!vals) {
			r = -ENOMEM;
			goto out;
		}
		if (cmd == SETALL ? ipc_uread(arg, n * sizeof(*vals)) :
				    ipc_uwrite(arg, n * sizeof(*vals))) {
			r = -EFAULT;
			goto out;
		}
		if (cmd == SETALL) {
			memcpy(vals, arg, n * sizeof(*vals));
			for (uint32_t i = 0; i < n; i++)
				if (vals[i] > SEMVMX_K) {
					r = -ERANGE;
					goto out;
				}
		}
	} else if (cmd != SETVAL && (semnum < 0 || (uint32_t)semnum >= n)) {
		r = -EINVAL;
		goto out;
	}
	/* the GET commands read v: o locked, or a view (read-only modes) */
	if (cmd == SETVAL || cmd == SETALL) {
		ipc_obj_lock(o);
		v = o;
	} else {
		v = ipc_read_begin(o);
		if (IS_ERR(v)) {
			r = (int)PTR_ERR(v);
			goto out;
		}
	}
	if (READ_ONCE(v->hdr->state) != UIPC_S_LIVE) {
		r = -EIDRM;
		goto unlock;
	}
	if (cmd != SETVAL && cmd != SETALL)
		sem_reap_undo(v);
	switch (cmd) {
	case GETVAL:
		r = semval(v, (uint32_t)semnum);
		break;
	case GETPID:
		r = (int)READ_ONCE(v->u.sem.sems[semnum].pid);
		break;
	case GETNCNT:
		r = sem_count(v, (uint32_t)semnum, false);
		break;
	case GETZCNT:
		r = sem_count(v, (uint32_t)semnum, true);
		break;
	case GETALL:
		for (uint32_t i = 0; i < n; i++)
			vals[i] = (unsigned short)semval(v, i);
		break;
	case SETVAL:
		sem_pin(o, (uint32_t)semnum);
		undo_clear(o, (uint32_t)semnum);
		semval_set(o, (uint32_t)semnum, val);
		jw32(&o->jc, &o->u.sem.sems[semnum].pid, (uint32_t)proc_self()->pid);
		jws64(&o->jc, &o->hdr->ctime, ipc_now());
		sem_update_queue(o);
		fetch_and(&o->u.sem.sems[semnum].val, ~UIPC_SEM_LOCKED);
		break;
	case SETALL:
		pin_all(o, true);
		for (uint32_t i = 0; i < n; i++) {
			undo_clear(o, i);
			if (!jn_room(&o->jc, 3))
				jn_commit(&o->jc);
			semval_set(o, i, vals[i]);
			jw32(&o->jc, &o->u.sem.sems[i].pid, (uint32_t)proc_self()->pid);
		}
		jws64(&o->jc, &o->hdr->ctime, ipc_now());
		sem_update_queue(o);
		pin_all(o, false);
		break;
	}
unlock:
	ipc_read_end(o, v);
	sem_wake(o);
	if (cmd == GETALL && r == 0)
		memcpy(arg, vals, n * sizeof(*vals));
out:
	if (vals && vals != small)
		free(vals);
	ipc_obj_put(o);
	return r;
}

/* semctl (kernel ksys_semctl()); @arg is the union semun's pointer. */
int sem_ctl(int semid, int semnum, int cmd, void *arg, int val)
{
	struct semid_ds in;

	if (semid < 0)
		return -EINVAL;
	cmd &= ~IPC_64;
	proc_refresh_creds();
	switch (cmd) {
	case IPC_INFO:
	case SEM_INFO:
		return sem_info(cmd, arg);
	case IPC_STAT:
	case SEM_STAT:
	case SEM_STAT_ANY:
		return sem_stat(semid, cmd, arg);
	case GETALL:
	case GETVAL:
	case GETPID:
	case GETNCNT:
	case GETZCNT:
		return sem_main(semid, semnum, cmd, arg, val);
	case SETALL:
	case SETVAL:
		if (ipc_readonly())
			return -EROFS;
		return sem_main(semid, semnum, cmd, arg, val);
	case IPC_SET:
		if (ipc_readonly())
			return -EROFS;
		if (ipc_uread(arg, sizeof(in)))
			return -EFAULT;
		memcpy(&in, arg, sizeof(in));
		return sem_down(semid, cmd, &in);
	case IPC_RMID:
		if (ipc_readonly())
			return -EROFS;
		return sem_down(semid, cmd, NULL);
	default:
		return -EINVAL;
	}
}

/* At exit: apply this process's undo records in the sets it knows. */
static void sem_exit_one(struct obj *o)
{
	const struct proc_self *me = proc_self();
	struct uipc_semundo *u;
	SEM_WAKES(wakes);

	if (READ_ONCE(o->hdr->state) != UIPC_S_LIVE)
		return;
	/* only a set where we hold a record needs the lock: nobody else
	 * makes or frees our records while we live, so this unlocked look
	 * is reliable (and a stopped lock holder elsewhere cannot stall an
	 * exit that has nothing to do there; read-only mode has no records) */
	if (!undo_find(o, (uint32_t)me->pid, me->start, false))
		return;
	ipc_obj_lock(o);
	u = READ_ONCE(o->hdr->state) == UIPC_S_LIVE ?
	    undo_find(o, (uint32_t)me->pid, me->start, false) : NULL;
	if (u)
		undo_apply(o, u);
	ipc_obj_unlock(o);
	sem_wake(o);
}

__attribute__((destructor)) static void sem_exit(void)
{
	ns_call_begin();
	ipc_for_each_cached(UIPC_T_SEM, sem_exit_one);
}

/* For uipc_users(): undo holders, blocked processes, last operators. */
void sem_users(struct obj *o, ipc_user_fn fn, void *ctx)
{
	struct uipc_semset *s = o->u.sem.set;

	for (uint32_t i = 0; i < undo_used(s); i++) {
		struct uipc_semundo *u = undo_at(o, i);

		if (READ_ONCE(u->pid))
			fn(ctx, (pid_t)READ_ONCE(u->pid), READ_ONCE(u->start),
			   UIPC_USER_UNDO, 1, true);
	}
	for (uint32_t i = 0; i < SEM_NSLOTS; i++) {
		struct uipc_waiter *w = &slot_at(o, i)->w;

		if (READ_ONCE(w->state) == UIPC_W_WAIT)
			fn(ctx, (pid_t)READ_ONCE(w->pid), READ_ONCE(w->start),
			   UIPC_USER_WAIT, 1, true);
	}
	for (uint32_t i = 0; i < o->u.sem.nsems; i++) {
		uint32_t pid = READ_ONCE(o->u.sem.sems[i].pid);
		bool seen = false;

		for (uint32_t k = 0; k < i && !seen; k++)
			seen = READ_ONCE(o->u.sem.sems[k].pid) == pid;
		if (!seen)
			fn(ctx, (pid_t)pid, 0, UIPC_USER_LAST, 1, false);
	}
}
