/* SPDX-License-Identifier: MIT */
/*
 * atomic.h - memory-ordering vocabulary over plain fixed-width fields.
 *
 * Shared structures keep plain uint32_t/uint64_t fields (their size and
 * alignment are ours, not the compiler's _Atomic choice); every access that
 * another process may race with goes through one of these, and each use
 * says in a comment what it pairs with.
 */
#ifndef UIPC_ATOMIC_H
#define UIPC_ATOMIC_H

#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define load_acquire(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define smp_mb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define barrier()		__asm__ __volatile__("" ::: "memory")

/* Full-barrier read-modify-write operations; return the old value. */
#define xchg(p, v)		__atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)
#define fetch_add(p, v)		__atomic_fetch_add((p), (v), __ATOMIC_SEQ_CST)
#define fetch_sub(p, v)		__atomic_fetch_sub((p), (v), __ATOMIC_SEQ_CST)
#define fetch_or(p, v)		__atomic_fetch_or((p), (v), __ATOMIC_SEQ_CST)
#define fetch_and(p, v)		__atomic_fetch_and((p), (v), __ATOMIC_SEQ_CST)

/* cas(p, &expected, new): true on success; on failure *expected is reloaded. */
#define cas(p, e, n)							\
	__atomic_compare_exchange_n((p), (e), (n), 0, __ATOMIC_SEQ_CST,	\
				    __ATOMIC_RELAXED)

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ __volatile__("pause" ::: "memory");
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	barrier();
#endif
}

#endif /* UIPC_ATOMIC_H */
