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
 * Internals: the touches are made by a small assembly routine that
 * lives alone in the section "ipc_probes".  A SIGSEGV and SIGBUS handler,
 * installed at the first check (SA_SIGINFO | SA_NODEFER | SA_ONSTACK),
 * looks at the faulting instruction: if it lies in that section, the
 * fault was one of its touches, on the range being checked, raised by
 * the hardware in the faulting thread itself; the handler then moves the
 * instruction pointer to a two-instruction exit of the routine that
 * returns -EFAULT (the routine is a leaf: nothing to unwind), and
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
 * int ipc_probe(uintptr_t a, uintptr_t end, int write)
 * Touch one byte of every 4 KiB of [a, end) (a < end): read it, or with
 * @write OR it with zero atomically; 0, or -EFAULT by way of
 * ipc_probe_fault when uc_handler() moved a faulting touch there.
 */
int ipc_probe(uintptr_t a, uintptr_t end, int write);
extern const char ipc_probe_fault[];
extern const char __start_ipc_probes[] __attribute__((visibility("hidden")));
extern const char __stop_ipc_probes[] __attribute__((visibility("hidden")));

#if defined(__x86_64__)
#define UC_PROBES	1
__asm__(".pushsection ipc_probes,\"ax\",@progbits\n"
	".hidden ipc_probe\n.globl ipc_probe\n"
	".type ipc_probe,@function\n"
	"ipc_probe:\n"
	"1:	testl %edx, %edx\n"
	"	jz 2f\n"
	"	lock orb $0, (%rdi)\n"
	"	jmp 3f\n"
	"2:	movb (%rdi), %al\n"
	"3:	orq $4095, %rdi\n"
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
__asm__(".pushsection ipc_probes,\"ax\",%progbits\n"
	".hidden ipc_probe\n.globl ipc_probe\n"
	".type ipc_probe,%function\n"
	"ipc_probe:\n"
	"1:	cbz w2, 3f\n"
	"2:	ldxrb w3, [x0]\n"
	"	stxrb w4, w3, [x0]\n"
	"	cbnz w4, 2b\n"
	"	b 4f\n"
	"3:	ldrb w3, [x0]\n"
	"4:	orr x0, x0, #4095\n"
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
/* 0: no handler yet, 1: being installed, 2: installed */
static uint32_t uc_state;
static __thread bool uc_installer __attribute__((tls_model("initial-exec")));

static void uc_handler(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	uintptr_t pc = (uintptr_t)UC_PC(uc);
	struct sigaction *old = &uc_old[sig == SIGBUS];

	/* raised by one of our touches (a kill() has another si_code) */
	if (si->si_code > 0 && pc >= (uintptr_t)__start_ipc_probes &&
	    pc < (uintptr_t)__stop_ipc_probes) {
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

/* Ours for @sig, keeping the action found in @old, unless ours already. */
static void uc_take(int sig, struct sigaction *old)
{
	struct sigaction sa, cur;

	if (sigaction(sig, NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) &&
	    cur.sa_sigaction == uc_handler)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = uc_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, old);
}

static void uc_install(void)
{
	uc_take(SIGSEGV, &uc_old[0]);
	uc_take(SIGBUS, &uc_old[1]);
}

/*
 * A child forked while another thread installed the handler: that thread
 * is gone, so finish its work here (alone, no race); else the child's
 * checks would wait for it forever.
 */
static void uc_child(void)
{
	if (READ_ONCE(uc_state) == 1) {
		uc_install();
		WRITE_ONCE(uc_state, 2);
	}
}

__attribute__((constructor)) static void uc_init(void)
{
	pthread_atfork(NULL, NULL, uc_child);
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
	if (unlikely(load_acquire(&uc_state) != 2)) {
		uint32_t z = 0;

		/*
		 * Not pthread_once(): a signal handler that interrupted the
		 * install and checks a buffer would wait for itself.  It
		 * checks nothing instead; other threads wait.  Pairs with the
		 * store_release below.
		 */
		if (cas(&uc_state, &z, 1)) {
			uc_installer = true;
			uc_install();
			store_release(&uc_state, 2);
			uc_installer = false;
		} else if (uc_installer) {
			return 0;
		} else {
			while (load_acquire(&uc_state) != 2)
				cpu_relax();
		}
	}
	return ipc_probe(a, a + n, write);
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
