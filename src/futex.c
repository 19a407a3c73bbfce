// SPDX-License-Identifier: MIT
/*
 * futex.c - waiting on a 32-bit word in a shared mapping.
 *
 * Behaviour: a wait ends when the word is woken, when its deadline passes
 * (-ETIMEDOUT), or when a signal handler ran (-EINTR).  The kernel's
 * semop() and msgrcv() return EINTR after a handler even if it was
 * installed with SA_RESTART; a plain FUTEX_WAIT without a timeout would be
 * restarted transparently by the kernel in that case.  We therefore always
 * pass an absolute deadline (a far one when the caller has none): a futex
 * wait with an absolute timeout is restarted through the restart block,
 * which the kernel turns into EINTR whenever a handler runs.
 *
 * All futexes here are shared (no FUTEX_PRIVATE_FLAG): the words live in
 * object files mapped by several processes, at different addresses.
 */
#include <limits.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "compat.h"
#include "internal.h"

int fx_deadline(const struct timespec *rel, struct timespec *abs)
{
	if (rel->tv_sec < 0 || rel->tv_nsec < 0 || rel->tv_nsec >= 1000000000L)
		return -EINVAL;
	clock_gettime(CLOCK_MONOTONIC, abs);
	if (rel->tv_sec > INT_MAX - abs->tv_sec) {
		abs->tv_sec = INT_MAX;
		return 0;
	}
	abs->tv_sec += rel->tv_sec;
	abs->tv_nsec += rel->tv_nsec;
	if (abs->tv_nsec >= 1000000000L) {
		abs->tv_sec++;
		abs->tv_nsec -= 1000000000L;
	}
	return 0;
}

/* When a nap of @ns ends: then, or at @deadline (may be NULL) if sooner. */
void fx_nap_end(long ns, const struct timespec *deadline, struct timespec *t)
{
	struct timespec rel = { 0, ns };

	fx_deadline(&rel, t);
	if (deadline && (deadline->tv_sec < t->tv_sec ||
			 (deadline->tv_sec == t->tv_sec &&
			  deadline->tv_nsec < t->tv_nsec)))
		*t = *deadline;
}

/* Has @deadline (absolute CLOCK_MONOTONIC; NULL: never) passed? */
bool fx_past(const struct timespec *deadline)
{
	return deadline && mono_ns() >= (int64_t)deadline->tv_sec * 1000000000 +
					deadline->tv_nsec;
}

/*
 * fx_nap - sleep @ns (under a second), or until @deadline if sooner: a
 * wait nobody will announce.  Returns 0, -EINTR (a signal handler ran)
 * or -EAGAIN (the deadline has passed).
 */
int fx_nap(long ns, const struct timespec *deadline)
{
	struct timespec t;

	fx_nap_end(ns, deadline, &t);
	if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
		return -EINTR;
	return fx_past(deadline) ? -EAGAIN : 0;
}

/*
 * fx_wait - sleep while *word == val.
 * @deadline: absolute CLOCK_MONOTONIC time, or NULL for none.
 *
 * Returns 0 when woken (possibly spuriously), -EAGAIN if *word != val on
 * entry, -EINTR after a signal handler, -ETIMEDOUT past the deadline.
 */
int fx_wait(uint32_t *word, uint32_t val, const struct timespec *deadline)
{
	static const struct timespec forever = { .tv_sec = INT_MAX };
	long r;

	r = syscall(SYS_futex, word, FUTEX_WAIT_BITSET, val,
		    deadline ? deadline : &forever, NULL, FUTEX_BITSET_MATCH_ANY);
	if (r == 0)
		return 0;
	switch (errno) {
	case EAGAIN:
		return -EAGAIN;
	case EINTR:
		return -EINTR;
	case ETIMEDOUT:
		return -ETIMEDOUT;
	default:
		/* EFAULT/EINVAL: the word is unusable; treat as a wakeup */
		return 0;
	}
}

void fx_wake(uint32_t *word, int n)
{
	syscall(SYS_futex, word, FUTEX_WAKE, n, NULL, NULL, 0);
}
