// SPDX-License-Identifier: MIT
/* fake.c - libfake.so defines its own msgget, which a library that
 * depends on it and is opened with RTLD_DEEPBIND must keep. */
#include <sys/ipc.h>
#include <sys/msg.h>

int msgget(key_t key, int flg)
{
	return 4242;
}
