// SPDX-License-Identifier: MIT
/*
 * lock.c - object locks that survive their holder's death, and the undo
 * journal that makes every multi-word update all-or-nothing.
 *
 * Behaviour: none visible; these give the kernel's atomicity to updates
 * of shared files even when a process is SIGKILLed in the middle of one.
 *
 * Internals.
 * The lock word holds the holder's pid (see struct uipc_lock).  Taking a
 * free lock is one compare-and-swap, releasing it one exchange; a futex
 * wake is issued only when the WAITERS bit was set.  A contender spins
 * briefly, then sleeps on the word with a short timeout; each time the
 * timeout passes it checks whether the holder is still alive
 * (proc_alive(): pid and start time).  If not, it takes the lock over with
 * a compare-and-swap against the dead holder's word (several contenders
 * may notice; exactly one wins) and tells its caller to repair: roll back
 * the journal, then let the object type finish anything it left half done.
 *
 * The journal (struct uipc_journal) is written only by the lock holder.
 * For each word it is about to change, the holder appends {offset, old
 * value}, then bumps n, then writes the word.  A process killed at any
 * instruction leaves memory holding a prefix of its stores in program
 * order, so after a death every changed word has its entry below n and
 * the rollback restores the state the holder found.  jn_commit() clears n.
 */
#include <string.h>
#include <time.h>

#include "internal.h"

#define LK_SPINS	64		/* between clock checks */
#define LK_SPIN_NS	10000L		/* at most this long */
#define LK_NAP_NS	20000000L	/* 20 ms between holder checks */

/* Is the holder recorded in @w (read together with l->owner_start) dead? */
static bool lk_holder_dead(struct uipc_lock *l, uint32_t w)
{
	const struct proc_self *me = proc_self();
	pid_t pid = w & UIPC_LOCK_PIDMASK;
	uint64_t start = READ_ONCE(l->owner_start);

	/* owner_start must belong to the holder we looked at */
	if (READ_ONCE(l->word) != w)
		return false;
	if (pid == me->pid)
		return false;	/* another thread of ours */
	return !proc_alive(pid, start);
}

static int lk_lock_slow(struct uipc_lock *l)
{
	const struct proc_self *me = proc_self();
	uint32_t mine = (uint32_t)me->pid;
	struct timespec dl;
	uint32_t w;

	/* spin first: holders keep the lock for a microsecond or two */
	int64_t t0 = mono_ns();

	for (int i = 1;; i++) {
		w = READ_ONCE(l->word);
		if (w == 0 && cas(&l->word, &w, mine))
			goto got;
		cpu_relax();
		if (i % LK_SPINS)
			continue;
		if (mono_ns() - t0 > LK_SPIN_NS)
			break;
	}
	for (;;) {
		w = READ_ONCE(l->word);
		if (w == 0) {
			/* others may sleep: keep the bit so unlock wakes one */
			if (cas(&l->word, &w, mine | UIPC_LOCK_WAITERS))
				goto got;
			continue;
		}
		if (!(w & UIPC_LOCK_WAITERS)) {
			if (!cas(&l->word, &w, w | UIPC_LOCK_WAITERS))
				continue;
			w |= UIPC_LOCK_WAITERS;
		}
		fx_deadline(&(struct timespec){ 0, LK_NAP_NS }, &dl);
		if (fx_wait(&l->word, w, &dl) == -ETIMEDOUT &&
		    lk_holder_dead(l, w)) {
			if (cas(&l->word, &w, mine | UIPC_LOCK_WAITERS)) {
				WRITE_ONCE(l->owner_start, me->start);
				return 1;
			}
		}
	}
got:
	WRITE_ONCE(l->owner_start, me->start);
	return 0;
}

/*
 * lk_lock - take @l.
 *
 * Returns 0, or 1 when the lock was taken over from a dead holder: the
 * caller then owns the lock and must repair what it guards.
 */
int lk_lock(struct uipc_lock *l)
{
	uint32_t w = 0;

	/* pairs with the exchange in lk_unlock() */
	if (likely(cas(&l->word, &w, (uint32_t)proc_self()->pid))) {
		WRITE_ONCE(l->owner_start, proc_self()->start);
		return 0;
	}
	return lk_lock_slow(l);
}

void lk_unlock(struct uipc_lock *l)
{
	WRITE_ONCE(l->owner_start, 0);
	/* release: everything written under the lock is visible first */
	if (xchg(&l->word, 0) & UIPC_LOCK_WAITERS)
		fx_wake(&l->word, 1);
}

/*
 * jn_init - set up @jc for the journal at @joff (@jsize bytes) of a
 * mapping of @size bytes at @base.  The capacity is derived from our own
 * validated size, never from the file.
 */
int jn_init(struct jctx *jc, void *base, size_t size, size_t joff,
	    size_t jsize)
{
	if (joff % 8 || jsize < sizeof(struct uipc_journal) ||
	    joff > size || jsize > size - joff)
		return UIPC_CORRUPT;
	jc->base = base;
	jc->size = size;
	jc->j = (struct uipc_journal *)((char *)base + joff);
	jc->ent = (struct uipc_jent *)(jc->j + 1);
	jc->cap = (jsize - sizeof(struct uipc_journal)) /
		  sizeof(struct uipc_jent);
	return 0;
}

bool jn_room(struct jctx *jc, uint32_t nwords)
{
	uint32_t n = READ_ONCE(jc->j->n);

	return n <= jc->cap && jc->cap - n >= nwords;
}

static void jn_record(struct jctx *jc, void *p, uint32_t width, uint64_t old)
{
	uint32_t n = READ_ONCE(jc->j->n);

	if (unlikely(n >= jc->cap))
		return;	/* sized by the caller; only a scribbler gets here */
	jc->ent[n].off = (uint32_t)((char *)p - jc->base);
	jc->ent[n].width = width;
	jc->ent[n].old = old;
	barrier();	/* the entry before the count that covers it */
	WRITE_ONCE(jc->j->n, n + 1);
	barrier();	/* the count before the word it protects */
}

void jw32(struct jctx *jc, uint32_t *p, uint32_t v)
{
	jn_record(jc, p, 4, READ_ONCE(*p));
	WRITE_ONCE(*p, v);
}

void jw64(struct jctx *jc, uint64_t *p, uint64_t v)
{
	jn_record(jc, p, 8, READ_ONCE(*p));
	WRITE_ONCE(*p, v);
}

void jn_commit(struct jctx *jc)
{
	barrier();	/* every journalled word before the commit */
	WRITE_ONCE(jc->j->n, 0);
}

/*
 * jn_rollback - undo a dead holder's half-done update.  Called with the
 * lock held.  Entries that point outside the mapping or at the journal
 * itself are skipped.  Returns the number of words restored.
 */
int jn_rollback(struct jctx *jc)
{
	uint32_t n = READ_ONCE(jc->j->n);
	size_t jlo = (char *)jc->j - jc->base;
	size_t jhi = jlo + sizeof(*jc->j) + (size_t)jc->cap * sizeof(*jc->ent);
	int restored = 0;

	if (n > jc->cap)
		n = jc->cap;
	while (n-- > 0) {
		struct uipc_jent e = jc->ent[n];

		if ((e.width != 4 && e.width != 8) || e.off % e.width ||
		    e.off > jc->size - e.width ||
		    (e.off + e.width > jlo && e.off < jhi))
			continue;
		if (e.width == 4)
			WRITE_ONCE(*(uint32_t *)(jc->base + e.off),
				   (uint32_t)e.old);
		else
			WRITE_ONCE(*(uint64_t *)(jc->base + e.off), e.old);
		restored++;
	}
	WRITE_ONCE(jc->j->n, 0);
	return restored;
}
