// SPDX-License-Identifier: MIT
/*
 * trap.c - raw System V IPC system calls, answered by uipc
 * (UIPC_SYSCALLS=1; uipc-run --syscalls).
 *
 * Behaviour.  A program that makes the calls without the C library
 * (syscall(SYS_msgget, ...), inline system calls, Go's x/sys/unix in a
 * dynamically linked binary) never reaches the shim's functions.  With
 * UIPC_SYSCALLS set, the shim's constructor installs a seccomp filter
 * that traps exactly the twelve SysV system calls of x86_64; the kernel
 * then skips the call and raises SIGSYS in the calling thread, and our
 * handler answers it from uipc, putting the result in RAX with the raw
 * convention (a value, or -errno).  Every other system call passes the
 * filter untouched.  The same calls made through another ABI from a
 * 64-bit process (x32; i386 through int 0x80, including the ipc()
 * multiplexer) fail with ENOSYS instead of reaching the kernel.
 *
 * The price and the limits, documented in uipc-run(1), docs/preload.md
 * and docs/differences.md:
 * - the filter needs no_new_privs: a set-user-ID program run under it
 *   gains no privileges (it runs as its caller, with the shim preloaded);
 * - the filter is inherited by every child and across execve; it cannot
 *   be removed.  A program that runs without the shim (LD_PRELOAD cleared,
 *   a statically linked one) is killed by SIGSYS at its first SysV call;
 * - SIGSYS belongs to the shim: a program's sigaction(SIGSYS) is recorded
 *   and its handler called for every SIGSYS that is not one of our traps;
 *   masks set through sigprocmask/pthread_sigmask/sigaction never block
 *   SIGSYS (a blocked SIGSYS would turn a trap into death);
 * - the handler runs uipc code in a signal handler.  The trap is
 *   synchronous, so the code it interrupts is the system call itself and
 *   uipc is as safe there as the shim's msgget() would be at that point;
 *   a raw call made from the program's own signal handler is as safe as
 *   calling the shim's functions there (docs/differences.md, item 14).
 *
 * Internals.  The handler is installed with SA_SIGINFO | SA_NODEFER |
 * SA_ONSTACK: NODEFER so that a trapped call made while another is
 * blocked in our handler (by a signal handler that interrupts the wait)
 * is trapped again instead of killing the process (the kernel turns a
 * blocked SIGSYS from seccomp into the default action); ONSTACK so that
 * runtimes with small thread stacks and an alternate signal stack (Go)
 * keep working.  A blocked semop/msgsnd/msgrcv waits inside the handler,
 * with uipc's own signal rules (src/wait.c): a handled signal runs its
 * handler, nested, and the call returns -EINTR, never restarted.
 *
 * Our traps carry TRAP_DATA in the filter's return value, which the kernel
 * passes as si_errno; any other SIGSYS (kill(), another filter's trap)
 * goes to the program's recorded disposition.  Whether the filter is
 * already there (inherited from a parent that had it) is found by a probe:
 * a msgctl() with an id and a command no caller uses, which the handler
 * recognises; without the filter the kernel answers it with EINVAL.  So
 * an exec under the filter neither stacks a second filter nor loses the
 * trap, even if UIPC_SYSCALLS was dropped from the environment.
 */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <uipc.h>

#include "shim.h"

#ifndef SYS_SECCOMP
#define SYS_SECCOMP	1		/* si_code of a seccomp trap */
#endif
#define TRAP_DATA	0x7569		/* "ui": si_errno of our traps */
#define PROBE_ID	(-1)
#define PROBE_CMD	0x75697063	/* "uipc": no such msgctl command */

/* Set once our filter is known to be in place: the interposers apply. */
static volatile bool trap_on;
static volatile sig_atomic_t probed, probing;

/* The program's own disposition of SIGSYS (never installed as such). */
static struct sigaction prog_sa;

static int (*next_sigaction)(int, const struct sigaction *, struct sigaction *);
static int (*next_sigprocmask)(int, const sigset_t *, sigset_t *);
static int (*next_pthread_sigmask)(int, const sigset_t *, sigset_t *);
static sighandler_t (*next_signal)(int, sighandler_t);

void *shim_next(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

static void resolve(void)
{
	if (!next_sigaction)
		next_sigaction = shim_next("sigaction");
	if (!next_sigprocmask)
		next_sigprocmask = shim_next("sigprocmask");
	if (!next_pthread_sigmask)
		next_pthread_sigmask = shim_next("pthread_sigmask");
	if (!next_signal)
		next_signal = shim_next("signal");
}

static int shim_real_sigaction(int sig, const struct sigaction *act,
			      struct sigaction *old)
{
	resolve();
	return next_sigaction(sig, act, old);
}

static int shim_real_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	resolve();
	return next_pthread_sigmask(how, set, old);
}

#if defined(__x86_64__) && !defined(__ILP32__)

/* One trapped call: its result in the raw convention. */
static long ret_int(long r)
{
	return r == -1 ? -errno : r;
}

static long answer(long nr, const greg_t *g)
{
	unsigned long a0 = g[REG_RDI], a1 = g[REG_RSI], a2 = g[REG_RDX],
		      a3 = g[REG_R10], a4 = g[REG_R8];
	union {
		int val;
		struct semid_ds *buf;
		unsigned short *array;
		struct seminfo *__buf;
	} arg;
	void *p;

	/* the kernel's argument types: ints truncate, nsops is unsigned */
	switch (nr) {
	case SYS_msgget:
		return ret_int(uipc_msgget((key_t)a0, (int)a1));
	case SYS_msgsnd:
		return ret_int(uipc_msgsnd((int)a0, (const void *)a1,
					   (size_t)a2, (int)a3));
	case SYS_msgrcv:
		return ret_int(uipc_msgrcv((int)a0, (void *)a1, (size_t)a2,
					   (long)a3, (int)a4));
	case SYS_msgctl:
		if (probing && (int)a0 == PROBE_ID && (int)a1 == PROBE_CMD) {
			probed = 1;
			return 0;
		}
		return ret_int(uipc_msgctl((int)a0, (int)a1,
					   (struct msqid_ds *)a2));
	case SYS_semget:
		return ret_int(uipc_semget((key_t)a0, (int)a1, (int)a2));
	case SYS_semop:
		return ret_int(uipc_semop((int)a0, (struct sembuf *)a1,
					  (unsigned int)a2));
	case SYS_semtimedop:
		return ret_int(uipc_semtimedop((int)a0, (struct sembuf *)a1,
					       (unsigned int)a2,
					       (const struct timespec *)a3));
	case SYS_semctl:
		/* the register is the union's value (SETVAL: its low int) */
		arg.buf = (struct semid_ds *)a3;
		return ret_int(uipc_semctl((int)a0, (int)a1, (int)a2, arg));
	case SYS_shmget:
		return ret_int(uipc_shmget((key_t)a0, (size_t)a1, (int)a2));
	case SYS_shmat:
		p = uipc_shmat((int)a0, (const void *)a1, (int)a2);
		return p == (void *)-1 ? -errno : (long)p;
	case SYS_shmdt:
		return ret_int(uipc_shmdt((const void *)a0));
	case SYS_shmctl:
		return ret_int(uipc_shmctl((int)a0, (int)a1,
					   (struct shmid_ds *)a2));
	}
	return -ENOSYS;
}

/* A SIGSYS that is not ours: what the program asked for. */
static void chain(int sig, siginfo_t *si, void *ctx)
{
	struct sigaction sa = prog_sa;
	bool info = sa.sa_flags & SA_SIGINFO;
	sigset_t old, one;

	if (!info && sa.sa_handler == SIG_IGN && si->si_code != SYS_SECCOMP)
		return;
	if (!info && (sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN)) {
		/* the default action (a filter's trap is never ignored):
		 * terminate with a core dump, as the kernel would have */
		struct sigaction dfl = { .sa_handler = SIG_DFL };

		shim_real_sigaction(SIGSYS, &dfl, NULL);
		sigemptyset(&one);
		sigaddset(&one, SIGSYS);
		shim_real_sigmask(SIG_UNBLOCK, &one, NULL);
		raise(SIGSYS);
		return;
	}
	if (sa.sa_flags & SA_RESETHAND) {
		prog_sa.sa_handler = SIG_DFL;
		prog_sa.sa_flags &= ~SA_SIGINFO;
	}
	shim_real_sigmask(SIG_BLOCK, &sa.sa_mask, &old);
	if (info)
		sa.sa_sigaction(sig, si, ctx);
	else
		sa.sa_handler(sig);
	shim_real_sigmask(SIG_SETMASK, &old, NULL);
}

static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	greg_t *g = ((ucontext_t *)ctx)->uc_mcontext.gregs;
	int saved = errno;

	if (si->si_code != SYS_SECCOMP || si->si_errno != TRAP_DATA ||
	    si->si_arch != AUDIT_ARCH_X86_64) {
		if (probing)	/* someone else's filter: not now */
			g[REG_RAX] = -ENOSYS;
		else
			chain(sig, si, ctx);
		errno = saved;
		return;
	}
	g[REG_RAX] = answer(si->si_syscall, g);
	errno = saved;
}

/*
 * The filter.  A jump's targets are labels, resolved once the program is
 * laid out: NEXT falls through.  (Offsets are 8 bits: the program is far
 * shorter than 256 instructions.)
 */
enum label { NEXT, ALLOW, TRAP, NOSYS, X32, I386, NLABELS };

struct bpf_build {
	struct sock_filter f[64];
	unsigned char jt[64], jf[64];
	int at[NLABELS];
	int n;
};

static void emit(struct bpf_build *b, uint16_t code, uint32_t k,
		 enum label jt, enum label jf)
{
	b->f[b->n] = (struct sock_filter)BPF_STMT(code, k);
	b->jt[b->n] = jt;
	b->jf[b->n] = jf;
	b->n++;
}

static void here(struct bpf_build *b, enum label l)
{
	b->at[l] = b->n;
}

/* The twelve calls of x86_64 (and, with the x32 bit, of x32). */
static const uint32_t sysv64[] = {
	SYS_msgget, SYS_msgsnd, SYS_msgrcv, SYS_msgctl,
	SYS_semget, SYS_semop, SYS_semtimedop, SYS_semctl,
	SYS_shmget, SYS_shmat, SYS_shmdt, SYS_shmctl,
};
/* i386 (asm/unistd_32.h): ipc(), the direct calls, semtimedop_time64 */
static const uint32_t sysv32[] = {
	117, 393, 394, 395, 396, 397, 398, 399, 400, 401, 402, 420,
};
#define X32_BIT		0x40000000u
#define NR		offsetof(struct seccomp_data, nr)
#define ARCH		offsetof(struct seccomp_data, arch)

static int build_filter(struct bpf_build *b)
{
	b->n = 0;
	emit(b, BPF_LD | BPF_W | BPF_ABS, ARCH, NEXT, NEXT);
	emit(b, BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, NEXT, I386);
	emit(b, BPF_LD | BPF_W | BPF_ABS, NR, NEXT, NEXT);
	emit(b, BPF_JMP | BPF_JGE | BPF_K, X32_BIT, X32, NEXT);
	for (size_t i = 0; i < sizeof(sysv64) / sizeof(sysv64[0]); i++)
		emit(b, BPF_JMP | BPF_JEQ | BPF_K, sysv64[i], TRAP, NEXT);
	emit(b, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, NEXT, NEXT);
	here(b, X32);
	emit(b, BPF_ALU | BPF_AND | BPF_K, ~X32_BIT, NEXT, NEXT);
	for (size_t i = 0; i < sizeof(sysv64) / sizeof(sysv64[0]); i++)
		emit(b, BPF_JMP | BPF_JEQ | BPF_K, sysv64[i], NOSYS, NEXT);
	emit(b, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, NEXT, NEXT);
	here(b, I386);
	emit(b, BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, NEXT, ALLOW);
	emit(b, BPF_LD | BPF_W | BPF_ABS, NR, NEXT, NEXT);
	for (size_t i = 0; i < sizeof(sysv32) / sizeof(sysv32[0]); i++)
		emit(b, BPF_JMP | BPF_JEQ | BPF_K, sysv32[i], NOSYS, NEXT);
	here(b, ALLOW);
	emit(b, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, NEXT, NEXT);
	here(b, TRAP);
	emit(b, BPF_RET | BPF_K, SECCOMP_RET_TRAP | TRAP_DATA, NEXT, NEXT);
	here(b, NOSYS);
	emit(b, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS, NEXT, NEXT);
	for (int i = 0; i < b->n; i++) {
		if (b->jt[i] != NEXT)
			b->f[i].jt = (uint8_t)(b->at[b->jt[i]] - i - 1);
		if (b->jf[i] != NEXT)
			b->f[i].jf = (uint8_t)(b->at[b->jf[i]] - i - 1);
	}
	return b->n;
}

/* Install the filter in every thread of the process; 0 or -errno. */
static int install_filter(void)
{
	struct bpf_build b;
	struct sock_fprog prog;
	long r;

	prog.len = (unsigned short)build_filter(&b);
	prog.filter = b.f;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		    SECCOMP_FILTER_FLAG_TSYNC, &prog);
	if (r < 0)
		return -errno;
	/* > 0: a thread (this id) that has filters of its own cannot sync */
	return r > 0 ? -EBUSY : 0;
}

/* Does a trapped call reach our handler? */
static bool probe(void)
{
	int saved = errno;

	probed = 0;
	probing = 1;
	syscall(SYS_msgctl, PROBE_ID, PROBE_CMD, NULL);
	probing = 0;
	errno = saved;
	return probed;
}

static void fail(const char *what, int err)
{
	fprintf(stderr, "uipc: UIPC_SYSCALLS: %s: %s\n", what, strerror(err));
	_exit(125);
}

__attribute__((constructor)) static void trap_init(void)
{
	const char *e = getenv("UIPC_SYSCALLS");
	bool want = e && *e && strcmp(e, "0");
	struct sigaction sa = { .sa_sigaction = on_sigsys,
				.sa_flags = SA_SIGINFO | SA_NODEFER |
					    SA_ONSTACK };
	int err;

	resolve();
	/* no filter of any kind (the common case): nothing to do */
	if (!want && prctl(PR_GET_SECCOMP, 0, 0, 0, 0) != 2)
		return;
	if (next_sigaction(SIGSYS, &sa, &prog_sa))
		fail("cannot handle SIGSYS", errno);
	sigdelset(&prog_sa.sa_mask, SIGSYS);
	if (!probe()) {
		if (!want) {	/* someone else's filter */
			next_sigaction(SIGSYS, &prog_sa, NULL);
			return;
		}
		err = install_filter();
		if (err)
			fail("cannot install the seccomp filter", -err);
		if (!probe())
			fail("the seccomp filter traps nothing", ENOSYS);
	}
	trap_on = true;
}

#else	/* not x86_64 */

__attribute__((constructor)) static void trap_init(void)
{
	const char *e = getenv("UIPC_SYSCALLS");

	resolve();
	if (e && *e && strcmp(e, "0")) {
		fprintf(stderr, "uipc: UIPC_SYSCALLS: not supported on this "
			"architecture\n");
		_exit(125);
	}
}

#endif

/*
 * The program's signal calls.  Without the trap they are the C library's,
 * unchanged.  With it: SIGSYS's disposition is the program's only on
 * paper (prog_sa), and no mask the program sets blocks SIGSYS.
 */
static const sigset_t *no_sigsys(const sigset_t *set, sigset_t *buf)
{
	if (!trap_on || !set || sigismember(set, SIGSYS) != 1)
		return set;
	*buf = *set;
	sigdelset(buf, SIGSYS);
	return buf;
}

int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	struct sigaction a;

	resolve();
	if (trap_on && sig == SIGSYS) {
		if (old)
			*old = prog_sa;
		if (act) {
			prog_sa = *act;
			sigdelset(&prog_sa.sa_mask, SIGSYS);
		}
		return 0;
	}
	if (act && trap_on && sigismember(&act->sa_mask, SIGSYS) == 1) {
		a = *act;
		sigdelset(&a.sa_mask, SIGSYS);
		act = &a;
	}
	return next_sigaction(sig, act, old);
}

/* signal(), bsd_signal(): BSD semantics, as the C library's. */
static sighandler_t set_sigsys(sighandler_t h, int flags)
{
	struct sigaction a = { .sa_handler = h, .sa_flags = flags }, o;

	if (h == SIG_ERR) {
		errno = EINVAL;
		return SIG_ERR;
	}
	sigaction(SIGSYS, &a, &o);
	return o.sa_handler;
}

sighandler_t signal(int sig, sighandler_t h)
{
	resolve();
	if (trap_on && sig == SIGSYS)
		return set_sigsys(h, SA_RESTART);
	return next_signal(sig, h);
}

sighandler_t bsd_signal(int sig, sighandler_t h)
{
	return signal(sig, h);
}

/* sysv_signal(): one-shot; what signal() is in strict ISO C mode. */
sighandler_t sysv_signal(int sig, sighandler_t h)
{
	static sighandler_t (*next)(int, sighandler_t);

	if (trap_on && sig == SIGSYS)
		return set_sigsys(h, SA_RESETHAND | SA_NODEFER);
	if (!next)
		next = shim_next("sysv_signal");
	return next(sig, h);
}

sighandler_t __sysv_signal(int sig, sighandler_t h)
{
	return sysv_signal(sig, h);
}

int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	sigset_t b;

	resolve();
	if (how != SIG_UNBLOCK)
		set = no_sigsys(set, &b);
	return next_sigprocmask(how, set, old);
}

int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	sigset_t b;

	resolve();
	if (how != SIG_UNBLOCK)
		set = no_sigsys(set, &b);
	return next_pthread_sigmask(how, set, old);
}
