// SPDX-License-Identifier: MIT
/* util.c - helpers shared by the examples; see util.h. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

volatile sig_atomic_t ex_stop;

static void vreport(int err, const char *fmt, va_list ap)
{
	char buf[1024];
	int n;

	n = snprintf(buf, sizeof(buf), "%s: ", program_invocation_short_name);
	n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	if (err)
		n += snprintf(buf + n, sizeof(buf) - n, ": %s (%s)",
			      strerror(err), ex_errname(err));
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	fflush(stdout);
	if (write(STDERR_FILENO, buf, n) < 0)
		(void)0;
}

void ex_die(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vreport(err, fmt, ap);
	va_end(ap);
	exit(1);
}

void ex_diex(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(0, fmt, ap);
	va_end(ap);
	exit(1);
}

void ex_warn(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vreport(err, fmt, ap);
	va_end(ap);
	errno = err;
}

void ex_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(0, fmt, ap);
	va_end(ap);
}

long ex_parse_long(const char *s, long min, long max, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < min || v > max)
		ex_diex("bad %s '%s' (want %ld..%ld)", what, s, min, max);
	return v;
}

key_t ex_parse_key(const char *s)
{
	char *end;
	unsigned long v;

	if (!strcmp(s, "private"))
		return IPC_PRIVATE;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v > UINT_MAX)
		ex_diex("bad key '%s' (want a number like 0x1234, or 'private')", s);
	return (key_t)(unsigned int)v;
}

static void on_signal(int sig)
{
	ex_stop = sig;
}

void ex_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: blocking calls end with EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

void ex_default_signals(void)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
}

void ex_exit_signal(void)
{
	exit(128 + (ex_stop ? ex_stop : SIGTERM));
}

int64_t ex_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct timespec ex_ms_ts(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	return ts;
}

void ex_sleep_ms(long ms)
{
	struct timespec ts = ex_ms_ts(ms);

	nanosleep(&ts, NULL);
}

int ex_pid_alive(pid_t pid)
{
	if (pid <= 0)
		return 0;
	return kill(pid, 0) == 0 || errno == EPERM;
}

int ex_sem_wait_ready(int semid, long timeout_ms)
{
	int64_t end = ex_now_ms() + timeout_ms;
	struct semid_ds ds;
	union semun arg = { .buf = &ds };
	long nap = 1;

	for (;;) {
		if (uipc_semctl(semid, 0, IPC_STAT, arg) < 0)
			return -1;
		if (ds.sem_otime != 0)
			return 0;
		if (ex_stop) {
			errno = EINTR;
			return -1;
		}
		if (ex_now_ms() >= end) {
			errno = ETIMEDOUT;
			return -1;
		}
		ex_sleep_ms(nap);
		if (nap < 50)
			nap *= 2;
	}
}

const char *ex_errname(int err)
{
	switch (err) {
	case EACCES: return "EACCES";
	case EAGAIN: return "EAGAIN";
	case EEXIST: return "EEXIST";
	case EFAULT: return "EFAULT";
	case EIDRM: return "EIDRM";
	case EINTR: return "EINTR";
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	case ENOMEM: return "ENOMEM";
	case ENOMSG: return "ENOMSG";
	case ENOSPC: return "ENOSPC";
	case ENOSYS: return "ENOSYS";
	case EPERM: return "EPERM";
	case ERANGE: return "ERANGE";
	case E2BIG: return "E2BIG";
	case EFBIG: return "EFBIG";
	case ETIMEDOUT: return "ETIMEDOUT";
	case ESRCH: return "ESRCH";
	case EPIPE: return "EPIPE";
	case EISDIR: return "EISDIR";
	case ELOOP: return "ELOOP";
	case ENOTDIR: return "ENOTDIR";
	case EBADF: return "EBADF";
	case EBUSY: return "EBUSY";
	default: return "?";
	}
}
