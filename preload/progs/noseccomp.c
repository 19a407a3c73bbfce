// SPDX-License-Identifier: MIT
/*
 * noseccomp - run a command where seccomp(2) fails with EPERM, as in a
 * container that forbids it: installs a filter of its own (which answers
 * seccomp() and prctl(PR_SET_SECCOMP) with EPERM and lets all else
 * through), then execs the command.  For preload/test-syscalls.sh.
 *
 *   noseccomp COMMAND [ARGUMENT...]
 */
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "common.h"

int main(int argc, char **argv)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_seccomp, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_prctl, 0, 3),
		/* prctl: only PR_SET_SECCOMP is refused */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PR_SET_SECCOMP, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog fp = { sizeof(f) / sizeof(f[0]), f };

	prog = "noseccomp";
	if (argc < 2) {
		fprintf(stderr, "usage: noseccomp COMMAND [ARGUMENT...]\n");
		return 2;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp))
		die("seccomp");
	execvp(argv[1], argv + 1);
	die(argv[1]);
}
