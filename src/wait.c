// SPDX-License-Identifier: MIT
/*
 * wait.c - waiter slots: how a process blocks on an object and how others
 * find out whether it is still there.
 *
 * Behaviour: a blocked semop/msgsnd/msgrcv ends with the kernel's result:
 * success (its operation was completed for it, or it was told to retry),
 * EIDRM on removal, EINTR after a signal handler (never restarted, even
 * with SA_RESTART), EAGAIN when a timeout passes.
 *
 * Internals.  Slots live in the object file (struct uipc_waiter).  The
 * sleeper takes a free slot under the object lock, locks the slot's
 * robust process-shared mutex, and sleeps on the slot's state word.  A
 * waker, holding the object lock, checks the sleeper is alive with a
 * trylock of that mutex (EBUSY: alive, no system call; EOWNERDEAD: the
 * kernel released it for a dead thread), completes its operation, sets
 * the state, and wakes it after dropping the object lock.  The sleeper
 * always takes the object lock again to free its slot, so a rollback
 * after a crashed waker can never undo a result the sleeper already used.
 */
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "internal.h"

_Static_assert(sizeof(pthread_mutex_t) <= sizeof(((struct uipc_waiter *)0)->mutex),
	       "pthread_mutex_t fits the slot");

static pthread_mutex_t *wt_mutex(struct uipc_waiter *w)
{
	return (pthread_mutex_t *)(void *)w->mutex;
}

/* Initialise the mutex of a slot of a new object. */
int wt_init(struct uipc_waiter *w)
{
	pthread_mutexattr_t a;
	int err;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	err = pthread_mutex_init(wt_mutex(w), &a);
	pthread_mutexattr_destroy(&a);
	return -err;
}

/*
 * wt_alive - is the sleeper of @w still there?  Object lock held.
 * A dead sleeper's slot is freed (state FREE, mutex made consistent).
 */
bool wt_alive(struct obj *o, struct uipc_waiter *w)
{
	pthread_mutex_t *m = wt_mutex(w);
	int r;

	if (READ_ONCE(w->pid) == (uint32_t)proc_self()->pid &&
	    READ_ONCE(w->start) == proc_self()->start)
		return true;	/* one of our own threads */
	r = pthread_mutex_trylock(m);
	if (r == EBUSY)
		return true;
	if (r == EOWNERDEAD)
		pthread_mutex_consistent(m);
	if (r == 0 || r == EOWNERDEAD)
		pthread_mutex_unlock(m);
	jw32(&o->jc, &w->state, UIPC_W_FREE);
	return false;
}

/*
 * wt_claim - make @w (a FREE slot) ours.  Object lock held.
 * Returns 0, or -EAGAIN if the slot's mutex is unusable.
 */
int wt_claim(struct obj *o, struct uipc_waiter *w, uint64_t seq, uint32_t kind)
{
	pthread_mutex_t *m = wt_mutex(w);
	int r = pthread_mutex_trylock(m);

	if (r == EOWNERDEAD)
		r = pthread_mutex_consistent(m);
	if (r)
		return -EAGAIN;
	jw32(&o->jc, &w->pid, (uint32_t)proc_self()->pid);
	jw64(&o->jc, &w->start, proc_self()->start);
	jw64(&o->jc, &w->seq, seq);
	jw32(&o->jc, &w->kind, kind);
	jws32(&o->jc, &w->result, 0);
	jw32(&o->jc, &w->asleep, 0);
	jw32(&o->jc, &w->state, UIPC_W_WAIT);
	return 0;
}

/* wt_release - give our slot back.  Object lock held. */
void wt_release(struct obj *o, struct uipc_waiter *w)
{
	jw32(&o->jc, &w->state, UIPC_W_FREE);
	pthread_mutex_unlock(wt_mutex(w));
}

/* wt_complete - finish a sleeper's wait with @result.  Object lock held. */
void wt_complete(struct obj *o, struct uipc_waiter *w, int result,
		 uint32_t state)
{
	jws32(&o->jc, &w->result, result);
	jw32(&o->jc, &w->state, state);
}

/*
 * wt_block - block every signal, saving the mask in @old.  Called just
 * before the object lock is dropped with our slot queued: a signal that
 * arrives between then and the futex wait stays pending, and wt_sleep()
 * turns it into EINTR as the kernel would.  (What remains is the moment
 * between restoring the mask and entering the wait; see docs.)
 */
void wt_block(sigset_t *old)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, old);
}

/* Restore @old; true if a signal it lets through was pending (a handler
 * has run by the time this returns). */
static bool wt_unblock(const sigset_t *old)
{
	sigset_t pend;
	bool sig = false;

	sigpending(&pend);
	for (int s = 1; s < NSIG && !sig; s++)
		sig = sigismember(&pend, s) == 1 && sigismember(old, s) == 0;
	pthread_sigmask(SIG_SETMASK, old, NULL);
	return sig;
}

/*
 * wt_sleep - sleep until @w leaves UIPC_W_WAIT, a signal arrives, the
 * absolute CLOCK_MONOTONIC @deadline passes (NULL: none) or @slice_ms
 * milliseconds pass (0: no slice).  Object lock NOT held.
 * Returns 0 (state changed or slice over), -EINTR or -EAGAIN (deadline).
 */
int wt_sleep(struct uipc_waiter *w, const struct timespec *deadline,
	     int slice_ms, const sigset_t *old)
{
	struct timespec now, until;
	int r;

	if (old && wt_unblock(old))
		return -EINTR;
	/* from here on we count as blocked (GETNCNT/GETZCNT) */
	WRITE_ONCE(w->asleep, 1);
	if (slice_ms) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += (long)slice_ms * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		if (deadline && (deadline->tv_sec < until.tv_sec ||
				 (deadline->tv_sec == until.tv_sec &&
				  deadline->tv_nsec < until.tv_nsec)))
			until = *deadline;
	} else if (deadline) {
		until = *deadline;
	}
	while (load_acquire(&w->state) == UIPC_W_WAIT) {
		r = fx_wait(&w->state, UIPC_W_WAIT,
			    slice_ms || deadline ? &until : NULL);
		if (r == -EINTR)
			return -EINTR;
		if (r == -ETIMEDOUT) {
			if (!deadline)
				return 0;
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec > deadline->tv_sec ||
			    (now.tv_sec == deadline->tv_sec &&
			     now.tv_nsec >= deadline->tv_nsec))
				return -EAGAIN;
			return 0;
		}
	}
	return 0;
}
