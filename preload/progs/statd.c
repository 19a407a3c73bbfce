// SPDX-License-Identifier: MIT
/*
 * statd - the classic stat server: one request queue under a well-known
 * key; each request carries the id of the client's private reply queue
 * and a path; the server answers with what stat(2) says.
 *
 *   statd KEY N     serve N requests, then remove the queue and say so
 */
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "statproto.h"

int main(int argc, char **argv)
{
	struct stat_req req;
	struct stat_rep rep;
	int qid, n, served = 0;

	prog = "statd";
	if (argc != 3)
		return 2;
	n = atoi(argv[2]);
	qid = msgget(parse_key(argv[1]), IPC_CREAT | IPC_EXCL | 0600);
	if (qid < 0)
		die("msgget");
	while (served < n) {
		struct stat st;

		if (msgrcv(qid, &req, sizeof(req) - sizeof(long), 0, 0) < 0) {
			if (errno == EINTR)
				continue;
			die("msgrcv");
		}
		req.path[sizeof(req.path) - 1] = '\0';
		memset(&rep, 0, sizeof(rep));
		rep.mtype = req.mtype;		/* echo the client's tag */
		if (stat(req.path, &st) < 0) {
			rep.err = errno;
		} else {
			rep.size = (long long)st.st_size;
			rep.isdir = S_ISDIR(st.st_mode);
		}
		if (msgsnd(req.reply, &rep, sizeof(rep) - sizeof(long), 0) < 0)
			die("msgsnd");
		served++;
	}
	if (msgctl(qid, IPC_RMID, NULL) < 0)
		die("msgctl");
	printf("served %d\n", served);
	return 0;
}
