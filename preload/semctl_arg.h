// SPDX-License-Identifier: MIT
/*
 * semctl_arg.h - which semctl(2) commands take the optional fourth
 * argument: the shim reads it exactly for those (as glibc does), and so
 * does the differential harness's raw build (test/diff/api.h).
 */
#ifndef UIPC_SEMCTL_ARG_H
#define UIPC_SEMCTL_ARG_H

#include <stdbool.h>
#include <sys/sem.h>

static inline bool semctl_takes_arg(int cmd)
{
	switch (cmd) {
	case SETVAL:
	case GETALL:
	case SETALL:
	case IPC_STAT:
	case IPC_SET:
	case SEM_STAT:
	case SEM_STAT_ANY:
	case IPC_INFO:
	case SEM_INFO:
		return true;
	}
	return false;
}

#endif /* UIPC_SEMCTL_ARG_H */
