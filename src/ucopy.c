// SPDX-License-Identifier: MIT
/*
 * ucopy.c - EFAULT for any buffer the kernel could not copy.
 *
 * Behaviour: the kernel's calls fail with EFAULT, and lose nothing, when
 * a buffer they read is not readable or a buffer they write is not
 * writable (unmapped, PROT_NONE, read-only, beyond the user address
 * space, a truncated file's page).  uipc checks each buffer before the
 * call changes anything: ipc_uread()/ipc_uwrite() touch one byte of every
 * page of the range (a write is an atomic OR of zero, which changes no
 * byte even if another thread writes the same byte at the same moment).
 * A fault there is turned into -EFAULT.  Checks are made where the kernel
 * makes its copies, so that the first failing check is the kernel's; a
 * msgrcv checks the message's length, once it has chosen the message and
 * before it takes it off the queue (the kernel's msgrcv loses it).  The
 * fast paths pay no system call.  A buffer unmapped by another thread
 * between the check and the copy still faults in the caller.
 *
 * Internals: the touches are made by two small assembly routines that
 * live alone in the section "ipc_probe".  A SIGSEGV and SIGBUS handler,
 * installed at the first check (SA_SIGINFO | SA_NODEFER | SA_ONSTACK),
 * looks at the faulting instruction: if it lies in that section, the
 * fault was one of those touches, on the range being checked, raised by
 * the hardware in the faulting thread itself; the handler then moves the
 * instruction pointer to a two-instruction exit of the routine that
 * returns -EFAULT (the routines are leaves: nothing to unwind), and
 * returns.  No per-thread state, no setjmp: the check costs a call and
 * one load (read) or atomic OR (write) per page.  Every other fault, and
 * any kill() of SIGSEGV or SIGBUS, goes to the action installed before
 * ours (called directly, as the SIGBUS guard in ipc.c does), or, if that
 * was the default or ignore, restores the default and returns: the fault
 * repeats and kills as before.  A program that installs its own handler
 * after our first check replaces ours: its buffer faults then reach its
 * handler (see docs/differences.md).  On architectures without the
 * routines (other than x86-64 and aarch64) only NULL, (void *)-1 and
 * ranges past the address space are recognised.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>

#include "internal.h"

/*
 * int ipc_probe_read(uintptr_t a, uintptr_t end)
 * int ipc_probe_write(uintptr_t a, uintptr_t end)
 * Touch one byte of every 4 KiB of [a, end) (a < end); 0, or -EFAULT by
 * way of ipc_probe_fault when uc_handler() moved a faulting touch there.
 */
int ipc_probe_read(uintptr_t a, uintptr_t end);
int ipc_probe_write(uintptr_t a, uintptr_t end);
extern const char ipc_probe_fault[];
extern const char __start_ipc_probe[] __attribute__((visibility("hidden")));
extern const char __stop_ipc_probe[] __attribute__((visibility("hidden")));

#if defined(__x86_64__)
#define UC_PROBES	1
__asm__(".pushsection ipc_probe,\"ax\",@progbits\n"
	".hidden ipc_probe_read\n.globl ipc_probe_read\n"
	".type ipc_probe_read,@function\n"
	"ipc_probe_read:\n"
	"1:	movb (%rdi), %al\n"
	"	orq $4095, %rdi\n"
	"	incq %rdi\n"
	"	cmpq %rsi, %rdi\n"
	"	jb 1b\n"
	"	xorl %eax, %eax\n"
	"	ret\n"
	".hidden ipc_probe_write\n.globl ipc_probe_write\n"
	".type ipc_probe_write,@function\n"
	"ipc_probe_write:\n"
	"1:	lock orb $0, (%rdi)\n"
	"	orq $4095, %rdi\n"
	"	incq %rdi\n"
	"	cmpq %rsi, %rdi\n"
	"	jb 1b\n"
	"	xorl %eax, %eax\n"
	"	ret\n"
	".hidden ipc_probe_fault\n.globl ipc_probe_fault\n"
	"ipc_probe_fault:\n"
	"	movl $-14, %eax\n"
	"	ret\n"
	".popsection\n");
#define UC_PC(uc)	((uc)->uc_mcontext.gregs[REG_RIP])
#elif defined(__aarch64__)
#define UC_PROBES	1
__asm__(".pushsection ipc_probe,\"ax\",%progbits\n"
	".hidden ipc_probe_read\n.globl ipc_probe_read\n"
	".type ipc_probe_read,%function\n"
	"ipc_probe_read:\n"
	"1:	ldrb w2, [x0]\n"
	"	orr x0, x0, #4095\n"
	"	add x0, x0, #1\n"
	"	cmp x0, x1\n"
	"	b.lo 1b\n"
	"	mov w0, #0\n"
	"	ret\n"
	".hidden ipc_probe_write\n.globl ipc_probe_write\n"
	".type ipc_probe_write,%function\n"
	"ipc_probe_write:\n"
	"1:	ldxrb w2, [x0]\n"
	"	stxrb w3, w2, [x0]\n"
	"	cbnz w3, 1b\n"
	"	orr x0, x0, #4095\n"
	"	add x0, x0, #1\n"
	"	cmp x0, x1\n"
	"	b.lo 1b\n"
	"	mov w0, #0\n"
	"	ret\n"
	".hidden ipc_probe_fault\n.globl ipc_probe_fault\n"
	"ipc_probe_fault:\n"
	"	mov w0, #-14\n"
	"	ret\n"
	".popsection\n");
#define UC_PC(uc)	((uc)->uc_mcontext.pc)
#endif

#ifdef UC_PROBES
static struct sigaction uc_old[2];	/* SIGSEGV, SIGBUS */
static pthread_once_t uc_once = PTHREAD_ONCE_INIT;

static void uc_handler(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	uintptr_t pc = (uintptr_t)UC_PC(uc);
	struct sigaction *old = &uc_old[sig == SIGBUS];

	/* raised by one of our touches (a kill() has another si_code) */
	if (si->si_code > 0 && pc >= (uintptr_t)__start_ipc_probe &&
	    pc < (uintptr_t)__stop_ipc_probe) {
		UC_PC(uc) = (uintptr_t)ipc_probe_fault;
		return;
	}
	if ((old->sa_flags & SA_SIGINFO) && old->sa_sigaction) {
		old->sa_sigaction(sig, si, ctx);
	} else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
		old->sa_handler(sig);
	} else {
		/* a fault repeats and kills as it would have; kill() too */
		signal(sig, SIG_DFL);
		if (si->si_code <= 0 && old->sa_handler == SIG_DFL)
			raise(sig);
	}
}

static void uc_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = uc_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &uc_old[0]);
	sigaction(SIGBUS, &sa, &uc_old[1]);
}
#endif

static int uc_check(const void *p, size_t n, bool write)
{
	uintptr_t a = (uintptr_t)p;

	if (!n)
		return 0;
	/* the common bad pointers, and ranges no user page can hold */
	if (!p || p == (const void *)-1 || a + n < a ||
	    (sizeof(a) == 8 && (intptr_t)(a + n - 1) < 0))
		return -EFAULT;
#ifdef UC_PROBES
	pthread_once(&uc_once, uc_install);
	return write ? ipc_probe_write(a, a + n) : ipc_probe_read(a, a + n);
#else
	(void)write;
	return 0;
#endif
}

/* ipc_uread - may the kernel read @n bytes at @p?  0 or -EFAULT. */
int ipc_uread(const void *p, size_t n)
{
	return uc_check(p, n, false);
}

/* ipc_uwrite - may the kernel write @n bytes at @p?  0 or -EFAULT. */
int ipc_uwrite(void *p, size_t n)
{
	return uc_check(p, n, true);
}
