/* SPDX-License-Identifier: MIT */
/*
 * libc-compat.h - what the tests use that one C library has and another
 * lacks.
 *
 * MSG_COPY (Linux 3.8) is missing from musl's <sys/msg.h>.  The tests
 * print errno names (EIDRM, not "Identifier removed") and signal names.  glibc 2.32+ has strerrorname_np() and sigabbrev_np();
 * musl has neither, so with musl this header supplies both from tables
 * (the errnos and signals a SysV IPC test can meet; anything else gets
 * NULL, as glibc gives for an unknown number).
 */
#ifndef UIPC_TEST_LIBC_COMPAT_H
#define UIPC_TEST_LIBC_COMPAT_H

#include <sys/msg.h>
#ifndef MSG_COPY
#define MSG_COPY	040000
#endif

#ifndef __GLIBC__
#include <errno.h>
#include <signal.h>
#include <stddef.h>

/* names[i], or NULL outside the table or where it has no name */
#define T_NAME_AT(names, i)                                                   \
	((i) > 0 && (size_t)(i) < sizeof(names) / sizeof((names)[0]) ?        \
	 (names)[i] : NULL)

static inline const char *strerrorname_np(int e)
{
	static const char *const names[] = {
		[EPERM] = "EPERM",
		[ENOENT] = "ENOENT",
		[ESRCH] = "ESRCH",
		[EINTR] = "EINTR",
		[EIO] = "EIO",
		[ENXIO] = "ENXIO",
		[E2BIG] = "E2BIG",
		[ENOEXEC] = "ENOEXEC",
		[EBADF] = "EBADF",
		[ECHILD] = "ECHILD",
		[EAGAIN] = "EAGAIN",
		[ENOMEM] = "ENOMEM",
		[EACCES] = "EACCES",
		[EFAULT] = "EFAULT",
		[ENOTBLK] = "ENOTBLK",
		[EBUSY] = "EBUSY",
		[EEXIST] = "EEXIST",
		[EXDEV] = "EXDEV",
		[ENODEV] = "ENODEV",
		[ENOTDIR] = "ENOTDIR",
		[EISDIR] = "EISDIR",
		[EINVAL] = "EINVAL",
		[ENFILE] = "ENFILE",
		[EMFILE] = "EMFILE",
		[ENOTTY] = "ENOTTY",
		[ETXTBSY] = "ETXTBSY",
		[EFBIG] = "EFBIG",
		[ENOSPC] = "ENOSPC",
		[ESPIPE] = "ESPIPE",
		[EROFS] = "EROFS",
		[EMLINK] = "EMLINK",
		[EPIPE] = "EPIPE",
		[EDOM] = "EDOM",
		[ERANGE] = "ERANGE",
		[EDEADLK] = "EDEADLK",
		[ENAMETOOLONG] = "ENAMETOOLONG",
		[ENOLCK] = "ENOLCK",
		[ENOSYS] = "ENOSYS",
		[ENOTEMPTY] = "ENOTEMPTY",
		[ELOOP] = "ELOOP",
		[ENOMSG] = "ENOMSG",
		[EIDRM] = "EIDRM",
		[ENODATA] = "ENODATA",
		[ETIME] = "ETIME",
		[EPROTO] = "EPROTO",
		[EBADMSG] = "EBADMSG",
		[EOVERFLOW] = "EOVERFLOW",
		[EILSEQ] = "EILSEQ",
		[ENOTSOCK] = "ENOTSOCK",
		[EMSGSIZE] = "EMSGSIZE",
		[EOPNOTSUPP] = "EOPNOTSUPP",
		[EADDRINUSE] = "EADDRINUSE",
		[ECONNRESET] = "ECONNRESET",
		[ENOBUFS] = "ENOBUFS",
		[ETIMEDOUT] = "ETIMEDOUT",
		[ECONNREFUSED] = "ECONNREFUSED",
		[EALREADY] = "EALREADY",
		[EINPROGRESS] = "EINPROGRESS",
		[ESTALE] = "ESTALE",
		[EDQUOT] = "EDQUOT",
		[ECANCELED] = "ECANCELED",
		[EOWNERDEAD] = "EOWNERDEAD",
		[ENOTRECOVERABLE] = "ENOTRECOVERABLE",
	};

	return T_NAME_AT(names, e);
}

static inline const char *sigabbrev_np(int s)
{
	static const char *const names[] = {
		[SIGHUP] = "HUP",
		[SIGINT] = "INT",
		[SIGQUIT] = "QUIT",
		[SIGILL] = "ILL",
		[SIGTRAP] = "TRAP",
		[SIGABRT] = "ABRT",
		[SIGBUS] = "BUS",
		[SIGFPE] = "FPE",
		[SIGKILL] = "KILL",
		[SIGUSR1] = "USR1",
		[SIGSEGV] = "SEGV",
		[SIGUSR2] = "USR2",
		[SIGPIPE] = "PIPE",
		[SIGALRM] = "ALRM",
		[SIGTERM] = "TERM",
		[SIGSTKFLT] = "STKFLT",
		[SIGCHLD] = "CHLD",
		[SIGCONT] = "CONT",
		[SIGSTOP] = "STOP",
		[SIGTSTP] = "TSTP",
		[SIGTTIN] = "TTIN",
		[SIGTTOU] = "TTOU",
		[SIGURG] = "URG",
		[SIGXCPU] = "XCPU",
		[SIGXFSZ] = "XFSZ",
		[SIGVTALRM] = "VTALRM",
		[SIGPROF] = "PROF",
		[SIGWINCH] = "WINCH",
		[SIGIO] = "IO",
		[SIGPWR] = "PWR",
		[SIGSYS] = "SYS",
	};

	return T_NAME_AT(names, s);
}
#endif

#endif
