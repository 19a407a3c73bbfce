// SPDX-License-Identifier: MIT
/*
 * deep.c - a library that dlcheck opens with RTLD_DEEPBIND: msgget called
 * through its PLT (JUMP_SLOT), through a pointer in its data (an absolute
 * relocation) and through its GOT (GLOB_DAT).  Built twice: bound at load time with RELRO
 * (libdeep-now.so) and lazily (libdeep-lazy.so).
 */
#include <sys/ipc.h>
#include <sys/msg.h>

int (*deep_ptr)(key_t, int) = msgget;

int deep_msgget(key_t key)
{
	return msgget(key, IPC_CREAT | 0600);
}

int deep_ptr_msgget(key_t key)
{
	return deep_ptr(key, IPC_CREAT | 0600);
}

int deep_got_msgget(key_t key)
{
	/* the address taken in code: loaded from the GOT (GLOB_DAT) */
	int (*volatile f)(key_t, int) = msgget;

	return f(key, IPC_CREAT | 0600);
}
