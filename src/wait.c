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
#include <sched.h>
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
 * On a view (a private copy, read-only modes) the copied mutex is not the
 * sleeper's: ask about the process instead, and free only the copy's slot.
 */
bool wt_alive(struct obj *o, struct uipc_waiter *w)
{
	pthread_mutex_t *m = wt_mutex(w);
	int r;

	if (READ_ONCE(w->pid) == (uint32_t)proc_self()->pid &&
	    READ_ONCE(w->start) == proc_self()->start)
		return true;	/* one of our own threads */
	if (o->view) {
		if (proc_alive((pid_t)READ_ONCE(w->pid), READ_ONCE(w->start)))
			return true;
		jw32(&o->jc, &w->state, UIPC_W_FREE);
		return false;
	}
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
 * wt_spin_until - spin until @done(@arg) holds, for at most @max_ns, if
 * the partner last ran on another CPU (@partner_cpu: CPU + 1, 0 unknown).
 * Returns 1 when it held, 0 when the time ran out, WT_SAME_CPU or
 * WT_CPU_UNKNOWN (nothing spun) otherwise.
 */
int wt_spin_until(bool (*done)(const void *arg), const void *arg,
		  uint32_t partner_cpu, int64_t max_ns)
{
	int cpu = sched_getcpu();
	int64_t t0;

	if (!partner_cpu || cpu < 0)
		return WT_CPU_UNKNOWN;
	if ((uint32_t)cpu + 1 == partner_cpu)
		return WT_SAME_CPU;
	t0 = mono_ns();
	for (;;) {
		for (int i = 0; i < 64; i++) {
			if (done(arg))
				return 1;
			cpu_relax();
		}
		if (mono_ns() - t0 > max_ns)
			return 0;
	}
}

struct watch {
	const void *word;
	int width;
	uint64_t old;
	const uint64_t *word2;
	uint64_t old2;
};

static bool watch_changed(const void *arg)
{
	const struct watch *w = arg;
	uint64_t v = w->width == 4 ? READ_ONCE(*(const uint32_t *)w->word) :
				     READ_ONCE(*(const uint64_t *)w->word);

	return v != w->old || (w->word2 && READ_ONCE(*w->word2) != w->old2);
}

/*
 * wt_spin - before sleeping, watch *@word for a moment while it equals
 * @old: a partner that runs on another CPU usually changes it within
 * microseconds, and a futex sleep and wakeup cost far more.  Only when the
 * partner's last known CPU (@partner_cpu, CPU + 1, 0 = unknown) is not
 * ours: on one CPU the partner cannot run while we spin.  There we yield
 * the CPU once instead: a partner we woke has usually preempted us, or
 * been preempted, mid-call, and letting it finish (and go on: a sender
 * fills the queue) costs one switch where sleeping costs a wakeup and two
 * switches per message.  Spins at most WT_SPIN_NS.  Returns true if the
 * word changed.  wt_spin2() watches two 64-bit words, and returns true
 * when either changes.
 */
#define WT_SPIN_NS	60000L

static bool spin_watch(const void *word, int width, uint64_t old,
		       const uint64_t *word2, uint64_t old2,
		       uint32_t partner_cpu)
{
	struct watch w = { word, width, old, word2, old2 };
	int r = wt_spin_until(watch_changed, &w, partner_cpu, WT_SPIN_NS);

	if (r == WT_SAME_CPU) {
		/* it may be runnable, preempted by our wakeup: let it run */
		sched_yield();
		return watch_changed(&w);
	}
	return r > 0;
}

bool wt_spin(const void *word, int width, uint64_t old, uint32_t partner_cpu)
{
	return spin_watch(word, width, old, NULL, 0, partner_cpu);
}

bool wt_spin2(const uint64_t *a, uint64_t old_a, const uint64_t *b,
	      uint64_t old_b, uint32_t partner_cpu)
{
	return spin_watch(a, 8, old_a, b, old_b, partner_cpu);
}

/*
 * Spin hints: where the last two distinct processes to use an object ran
 * (unjournalled, racy, only hints).  A caller's partner is the most recent
 * one that is not itself.
 */
void wt_hint(uint32_t *last_pid, uint32_t *last_cpu, uint32_t *prev_cpu)
{
	uint32_t me = (uint32_t)proc_self()->pid;

	if (READ_ONCE(*last_pid) != me) {
		WRITE_ONCE(*prev_cpu, READ_ONCE(*last_cpu));
		WRITE_ONCE(*last_pid, me);
	}
	WRITE_ONCE(*last_cpu, wt_cpu());
}

uint32_t wt_partner_cpu(const uint32_t *last_pid, const uint32_t *last_cpu,
			const uint32_t *prev_cpu)
{
	return READ_ONCE(*last_pid) == (uint32_t)proc_self()->pid ?
	       READ_ONCE(*prev_cpu) : READ_ONCE(*last_cpu);
}

/* Our CPU + 1, for the spin hints. */
uint32_t wt_cpu(void)
{
	int cpu = sched_getcpu();

	return cpu < 0 ? 0 : (uint32_t)cpu + 1;
}

/*
 * How blocking meets signals.  The kernel's semop/msgrcv return EINTR for
 * any signal handled while they sleep; a futex wait returns EINTR only
 * if the signal arrives during the system call itself, and a handler that
 * runs just before it (say, for a signal sent by someone who saw us
 * queued) would go unnoticed.  So a sleeper blocks every signal before it
 * becomes visible as queued, sleeps on the futex in short slices, and
 * between slices looks for pending signals: one that the caller's mask
 * lets through ends the wait with EINTR (its handler runs as the mask is
 * restored).  No signal is ever missed; one is noticed at most
 * WT_SIGNAL_MS late.  Wakeups themselves are immediate (futex wake).
 */
#define WT_SIGNAL_MS	10

void wt_block(sigset_t *old)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, old);
}

/*
 * Does a pending signal that @old lets through end the wait?  Only one
 * that will be handled or act: a signal ignored (explicitly or by default)
 * would have been discarded by the kernel without waking the call.  A
 * pending SIGCONT means we were stopped and continued: semop then fails
 * with EINTR (@cont_eintr), msgsnd/msgrcv wait on, as the kernel does.
 */
static bool wt_signalled(const sigset_t *old, bool cont_eintr)
{
	sigset_t pend;

	sigpending(&pend);
	for (int s = 1; s < NSIG; s++) {
		struct sigaction sa;

		if (sigismember(&pend, s) != 1 || sigismember(old, s) == 1)
			continue;
		if (sigaction(s, NULL, &sa) < 0)
			return true;
		if (!(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_IGN)
			continue;
		if (!(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_DFL) {
			if (s == SIGCHLD || s == SIGURG || s == SIGWINCH)
				continue;
			if (s == SIGCONT && !cont_eintr)
				continue;
		}
		return true;
	}
	return false;
}

static void ts_add_ms(struct timespec *t, long ms)
{
	t->tv_nsec += ms * 1000000L;
	t->tv_sec += t->tv_nsec / 1000000000L;
	t->tv_nsec %= 1000000000L;
}

static bool ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/*
 * wt_sleep - sleep until @w leaves UIPC_W_WAIT, a signal that @old lets
 * through is pending, or the absolute CLOCK_MONOTONIC @deadline (NULL:
 * none) passes.  Called with every signal blocked (wt_block(@old)),
 * object lock NOT held.  Returns 0 (state changed), -EINTR, -EAGAIN
 * (deadline), with the signal mask restored to @old; or 1 when @work_ms
 * (0: never) passed first, signals still blocked, for the caller's
 * periodic work (it then calls again).
 */
int wt_sleep(struct uipc_waiter *w, const struct timespec *deadline,
	     int work_ms, const sigset_t *old, bool cont_eintr)
{
	struct timespec now, work, until;
	bool first = true;
	int r = 0;

	clock_gettime(CLOCK_MONOTONIC, &work);
	ts_add_ms(&work, work_ms);
	/* from here on we count as blocked (GETNCNT/GETZCNT) */
	WRITE_ONCE(w->asleep, 1);
	for (;;) {
		if (load_acquire(&w->state) != UIPC_W_WAIT)
			break;
		/* (a signal already pending when we queued is seen at the
		 * end of the first slice; this keeps a handoff cheap) */
		if (!first && wt_signalled(old, cont_eintr)) {
			r = -EINTR;
			break;
		}
		first = false;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (deadline && !ts_before(&now, deadline)) {
			r = -EAGAIN;
			break;
		}
		if (work_ms && !ts_before(&now, &work))
			return 1;
		until = now;
		ts_add_ms(&until, WT_SIGNAL_MS);
		if (deadline && ts_before(deadline, &until))
			until = *deadline;
		if (work_ms && ts_before(&work, &until))
			until = work;
		fx_wait(&w->state, UIPC_W_WAIT, &until);
	}
	pthread_sigmask(SIG_SETMASK, old, NULL);
	return r;
}
