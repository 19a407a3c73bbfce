/* SPDX-License-Identifier: MIT */
/* statproto.h - the stat server's messages. */
#ifndef STATPROTO_H
#define STATPROTO_H

struct stat_req {
	long mtype;		/* the client's tag (its pid) */
	int reply;		/* the client's reply queue */
	char path[256];
};

struct stat_rep {
	long mtype;
	int err;		/* errno of stat(), or 0 */
	int isdir;
	long long size;
};

#endif
