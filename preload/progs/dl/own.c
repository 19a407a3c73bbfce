// SPDX-License-Identifier: MIT
/* own.c - libown.so needs libfake.so (found through $ORIGIN). */
#include <sys/ipc.h>
#include <sys/msg.h>

int own_msgget(key_t key)
{
	return msgget(key, IPC_CREAT | 0600);
}
