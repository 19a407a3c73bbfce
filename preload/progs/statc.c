// SPDX-License-Identifier: MIT
/*
 * statc - client of statd: a private reply queue, one request per path,
 * one line per answer; the reply queue is removed before exit.
 *
 *   statc KEY PATH...
 */
#include <sys/ipc.h>
#include <sys/msg.h>
#include <unistd.h>

#include "common.h"
#include "statproto.h"

int main(int argc, char **argv)
{
	struct stat_req req;
	struct stat_rep rep;
	int srv = -1, me, i;

	prog = "statc";
	if (argc < 3)
		return 2;
	/* wait for the server's queue; the bound only prevents a hang */
	for (i = 0; i < 60000 && srv < 0; i++) {
		srv = msgget(parse_key(argv[1]), 0);
		if (srv < 0 && errno != ENOENT)
			die("msgget");
		if (srv < 0)
			sleep_ms(1);
	}
	if (srv < 0)
		die("no server");
	me = msgget(IPC_PRIVATE, 0600);
	if (me < 0)
		die("msgget private");
	for (i = 2; i < argc; i++) {
		memset(&req, 0, sizeof(req));
		req.mtype = getpid();
		req.reply = me;
		snprintf(req.path, sizeof(req.path), "%s", argv[i]);
		if (msgsnd(srv, &req, sizeof(req) - sizeof(long), 0) < 0)
			die("msgsnd");
		if (msgrcv(me, &rep, sizeof(rep) - sizeof(long), 0, 0) < 0)
			die("msgrcv");
		if (rep.mtype != getpid())
			fprintf(stderr, "statc: reply for someone else\n");
		if (rep.err)
			printf("%s: %s\n", argv[i], strerror(rep.err));
		else
			printf("%s: %s, %lld bytes\n", argv[i],
			       rep.isdir ? "directory" : "file", rep.size);
	}
	if (msgctl(me, IPC_RMID, NULL) < 0)
		die("msgctl");
	return 0;
}
