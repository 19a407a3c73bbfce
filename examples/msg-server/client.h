// SPDX-License-Identifier: MIT
/*
 * client.h - the client side of msgproto.h, shared by msgstat and msgcat:
 * find the server, own a private reply queue (removed at exit, on a signal,
 * and by the server if we are killed), send requests, wait for replies
 * while checking that the server is still there.
 */
#ifndef EX_MSGCLIENT_H
#define EX_MSGCLIENT_H

#include <sys/types.h>

#include "msgproto.h"

/* Parse -k KEY and -v; returns optind.  Exits with usage on errors. */
int cli_options(int argc, char **argv, const char *opts, const char *usage,
		int (*extra)(int opt, const char *arg));
/* Find the server and create our reply queue.  Exits on failure. */
void cli_open(void);
/* Send one request. */
void cli_request(long type, const char *path);
/*
 * Receive one reply into res; returns its payload size after checking it
 * against its type.  Exits with a message if the server goes away.
 */
size_t cli_reply(struct srv_res *res);

#endif /* EX_MSGCLIENT_H */
