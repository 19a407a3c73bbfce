// SPDX-License-Identifier: MIT
/*
 * shim.h - what the files of libuipc-preload.so share.  Nothing here is
 * exported (preload.map).
 */
#ifndef UIPC_SHIM_H
#define UIPC_SHIM_H

/* The C library's own function behind one we interpose (RTLD_NEXT). */
void *shim_next(const char *name);

#endif /* UIPC_SHIM_H */
