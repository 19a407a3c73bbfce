/* SPDX-License-Identifier: MIT */
/*
 * common.h - helpers for the plain SysV test programs of the drop-in.
 * These programs know nothing of uipc: they are built against libc only
 * and run once on the kernel and once under uipc-run.
 */
#ifndef PROGS_COMMON_H
#define PROGS_COMMON_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#define die(what) do { \
	fprintf(stderr, "%s: %s: %s\n", prog, (what), strerror(errno)); \
	exit(1); \
} while (0)

static const char *prog;

static inline key_t parse_key(const char *s)
{
	return (key_t)strtoul(s, NULL, 16);
}

static inline void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* glibc leaves union semun to programs (semctl(2)). */
union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
	struct seminfo *__buf;
};

#endif
