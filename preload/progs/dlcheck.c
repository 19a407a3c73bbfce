// SPDX-License-Identifier: MIT
/*
 * dlcheck - libraries opened with dlopen(): what their System V calls
 * reach, and that the shim's dlopen changes nothing else, for
 * preload/test-deepbind.sh.  Run on the kernel and under uipc-run, the
 * outputs must be identical (where the objects went is the test's to see).
 *
 *   dlcheck DIR KEY    DIR: where the dl/ libraries were built
 */
#include <dlfcn.h>
#include <sys/ipc.h>
#include <sys/msg.h>

#include "common.h"

#ifndef RTLD_DEEPBIND
#define RTLD_DEEPBIND	0	/* glibc's; musl binds every library alike */
#endif

static void *open_lib(const char *dir, const char *name, int mode)
{
	char path[4096];
	void *h;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	h = dlopen(path, mode);
	if (!h)
		printf("dlopen %s: %s\n", name, dlerror());
	return h;
}

static void show(const char *what, int r)
{
	if (r < 0)
		printf("%s: -1 %s\n", what, strerror(errno));
	else
		printf("%s: %s\n", what, r == 4242 ? "4242" : "an id");
}

int main(int argc, char **argv)
{
	int (*f)(key_t);
	void *(*open_from)(const char *, int);
	int (*answer)(void);
	void *h;
	key_t key;

	prog = "dlcheck";
	if (argc != 3) {
		fprintf(stderr, "usage: dlcheck DIR KEY\n");
		return 2;
	}
	key = parse_key(argv[2]);
	h = open_lib(argv[1], "libdeep-now.so",
		     RTLD_NOW | RTLD_GLOBAL | RTLD_DEEPBIND);
	if (h) {
		f = (int (*)(key_t))dlsym(h, "deep_msgget");
		show("deep, bound now, RELRO: msgget", f(key));
		f = (int (*)(key_t))dlsym(h, "deep_ptr_msgget");
		show("deep, bound now, RELRO: msgget through a pointer", f(key + 1));
		f = (int (*)(key_t))dlsym(h, "deep_got_msgget");
		show("deep, bound now, RELRO: msgget through the GOT", f(key + 4));
	}
	h = open_lib(argv[1], "libdeep-lazy.so",
		     RTLD_LAZY | RTLD_LOCAL | RTLD_DEEPBIND);
	if (h) {
		f = (int (*)(key_t))dlsym(h, "deep_msgget");
		show("deep, lazy: msgget", f(key + 2));
	}
	h = open_lib(argv[1], "libown.so", RTLD_NOW | RTLD_DEEPBIND);
	if (h) {
		f = (int (*)(key_t))dlsym(h, "own_msgget");
		show("deep, its dependency defines msgget: msgget", f(key + 3));
	}
	h = open_lib(argv[1], "libloader.so", RTLD_NOW);
	if (h) {
		open_from = (void *(*)(const char *, int))dlsym(h, "loader_open");
		h = open_from("libplugin.so", RTLD_NOW);
		answer = h ? (int (*)(void))dlsym(h, "plugin_answer") : NULL;
		printf("a bare name on the caller's run path: %s\n",
		       answer ? (answer() == 7 ? "found" : "wrong") : dlerror());
	}
	return 0;
}
