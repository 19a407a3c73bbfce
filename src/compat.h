/* SPDX-License-Identifier: MIT */
/*
 * compat.h - what one C library or toolchain has and another lacks.
 *
 * Self-contained (the benchmark and the tests include it too).  Decided at
 * compile time with __has_include, so one source tree builds with glibc's
 * gcc and with musl-gcc side by side, whatever configure last saw.
 *
 * - The futex ABI numbers.  musl-gcc's wrapper searches musl's headers
 *   only, not the kernel's <linux/futex.h>; the numbers are the kernel's
 *   stable system-call ABI, so they are spelled out when the header is
 *   missing.
 * - MADV_POPULATE_WRITE (Linux 5.14), missing from musl 1.2.3's
 *   <sys/mman.h>; an older kernel fails the call with EINVAL, as it
 *   would with glibc's definition.
 * - compat_single_threaded(): true when the process has never had a
 *   second thread (glibc 2.32's __libc_single_threaded).  musl has no
 *   public equivalent: there it is always false, which costs a mutex that
 *   nobody contends, never correctness.
 */
#ifndef UIPC_COMPAT_H
#define UIPC_COMPAT_H

#if __has_include(<linux/futex.h>)
#include <linux/futex.h>
#else
#define FUTEX_WAIT		0
#define FUTEX_WAKE		1
#define FUTEX_WAIT_BITSET	9
#define FUTEX_PRIVATE_FLAG	128
#define FUTEX_BITSET_MATCH_ANY	0xffffffff
#endif

#include <sys/mman.h>
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif

#if __has_include(<sys/single_threaded.h>)
#include <sys/single_threaded.h>
#define compat_single_threaded()	(__libc_single_threaded != 0)
#else
#define compat_single_threaded()	0
#endif

#endif
