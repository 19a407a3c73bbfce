// SPDX-License-Identifier: MIT
/*
 * msgproto.h - the protocol of msgsrv (the stat and file server) and its
 * clients msgstat and msgcat.
 *
 * One request queue, under a key (default SRV_KEY), created by the server.
 * Each client creates a private reply queue (IPC_PRIVATE) and names it in
 * every request, with its pid.  Replies to a request:
 *   REQ_STAT -> one RES_STAT, or one RES_ERR
 *   REQ_GET  -> RES_DATA chunks, then RES_EOF with the total; or RES_ERR
 *               (at the start, or after some chunks if reading fails)
 * Every message is input from another process: sizes, types and strings
 * are checked by whoever receives them.
 */
#ifndef EX_MSGPROTO_H
#define EX_MSGPROTO_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define SRV_KEY		0x75690002
#define SRV_CHUNK	4096		/* bytes of file per RES_DATA */

enum { REQ_STAT = 1, REQ_GET = 2, REQ_HELLO = 3 };
enum { RES_STAT = 1, RES_DATA = 2, RES_EOF = 3, RES_ERR = 4 };

struct srv_req {
	long mtype;		/* REQ_* */
	int32_t reply_qid;	/* the client's private queue */
	int32_t client_pid;	/* to notice a client that vanished */
	char path[PATH_MAX];	/* NUL-terminated, relative to the server's root */
};
/* The size to send for a request carrying a path of len bytes (+ NUL). */
#define SRV_REQ_SIZE(len) (offsetof(struct srv_req, path) - sizeof(long) + (len) + 1)

struct srv_stat {
	int64_t size;
	uint64_t ino;
	uint64_t dev;
	int64_t blocks;
	int64_t mtime_sec;
	int32_t mtime_nsec;
	uint32_t mode;
	uint32_t uid;
	uint32_t gid;
	uint32_t nlink;
	uint32_t pad;
};

struct srv_res {
	long mtype;		/* RES_* */
	union {
		struct srv_stat st;		/* RES_STAT */
		char data[SRV_CHUNK];		/* RES_DATA (the size says how much) */
		uint64_t total;			/* RES_EOF: bytes sent */
		struct {
			int32_t err;		/* RES_ERR: an errno value */
			char what[64];		/* what failed, NUL-terminated */
		} e;
	} u;
};
#define SRV_RES_MAX (sizeof(struct srv_res) - sizeof(long))

#endif /* EX_MSGPROTO_H */
