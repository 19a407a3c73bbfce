// SPDX-License-Identifier: MIT
/*
 * util.h - the small helpers every example shares: error exits, number
 * parsing, signal flags, clocks, and the sem_otime readiness wait.
 */
#ifndef EX_UTIL_H
#define EX_UTIL_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "ipc.h"

/* Print "prog: message: strerror(errno)" and exit(1). */
void ex_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Print "prog: message" and exit(1). */
void ex_diex(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Print "prog: message: strerror(errno)" and go on. */
void ex_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "prog: message" and go on. */
void ex_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parse a key ("0x1234", "4660", "private"); exits with a message if bad. */
key_t ex_parse_key(const char *s);
/* Parse an integer in [min, max]; exits with a message naming what if bad. */
long ex_parse_long(const char *s, long min, long max, const char *what);

/*
 * Set by the handler that ex_catch_signals() installs for SIGINT, SIGTERM
 * and SIGHUP: the signal number.  The handler is installed without
 * SA_RESTART, so a blocking IPC call returns EINTR and the program can look
 * at the flag, clean up and leave.
 */
extern volatile sig_atomic_t ex_stop;
void ex_catch_signals(void);
/* After fork(): back to the default actions in the child. */
void ex_default_signals(void);
/* Leave with the conventional status of the signal that stopped us. */
void ex_exit_signal(void) __attribute__((noreturn));

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t ex_now_ms(void);
void ex_sleep_ms(long ms);
struct timespec ex_ms_ts(long ms);

/* Is the process alive (it may belong to someone else)? */
int ex_pid_alive(pid_t pid);

/*
 * Wait until the semaphore set has seen its first semop (sem_otime != 0),
 * the classic signal that its creator finished initialising it.  Returns
 * 0, or -1 with errno: ETIMEDOUT after timeout_ms, EIDRM/EINVAL if the set
 * went away, EINTR if ex_stop was set.
 */
int ex_sem_wait_ready(int semid, long timeout_ms);

/* The name of an errno value ("EIDRM"), for messages that tests match. */
const char *ex_errname(int err);

#endif /* EX_UTIL_H */
