// SPDX-License-Identifier: MIT
/*
 * loader.c - libloader.so has DT_RUNPATH $ORIGIN/sub and dlopens a bare
 * name found only there: the C library searches the run path of the
 * caller of dlopen, so the shim's dlopen must not become the caller.
 */
#include <dlfcn.h>

void *loader_open(const char *name, int mode)
{
	void *h = dlopen(name, mode);

	/* a call, not a jump: this library must be dlopen's caller */
	__asm__ volatile("" ::: "memory");
	return h;
}
