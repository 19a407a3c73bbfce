// SPDX-License-Identifier: MIT
/* client.c - the client side of msgproto.h; see client.h. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "util.h"

static key_t key = SRV_KEY;
static int verbose, srv = -1, q = -1;

static void remove_queue(void)
{
	if (q >= 0 && uipc_msgctl(q, IPC_RMID, NULL) < 0)
		ex_warn("msgctl(%d, IPC_RMID)", q);
	q = -1;
}

int cli_options(int argc, char **argv, const char *opts, const char *usage,
		int (*extra)(int opt, const char *arg))
{
	char all[32];
	int c;

	snprintf(all, sizeof(all), "k:v%s", opts);
	while ((c = getopt(argc, argv, all)) != -1) {
		if (c == 'k')
			key = ex_parse_key(optarg);
		else if (c == 'v')
			verbose = 1;
		else if (c == '?' || !extra || extra(c, optarg) < 0)
			goto bad;
	}
	if (optind < argc)
		return optind;
bad:
	fprintf(stderr, "%s", usage);
	exit(2);
}

void cli_open(void)
{
	srv = uipc_msgget(key, 0);
	if (srv < 0) {
		if (errno == ENOENT)
			ex_diex("no server on key 0x%x: start msgsrv first", (unsigned)key);
		ex_die("msgget(key 0x%x)", (unsigned)key);
	}
	ex_catch_signals();
	signal(SIGPIPE, SIG_IGN);	/* a closed stdout is an error, not death */
	q = uipc_msgget(IPC_PRIVATE, IPC_CREAT | 0620);
	if (q < 0)
		ex_die("msgget(IPC_PRIVATE) for the reply queue");
	/* Every exit() from here on removes it, ex_die() included. */
	atexit(remove_queue);
	if (verbose)
		fprintf(stderr, "%s: reply queue %d, server queue %d\n",
			program_invocation_short_name, q, srv);
}

/* Has the server gone?  Exits with a message if so. */
static void check_server(void)
{
	struct msqid_ds ds;

	if (uipc_msgctl(srv, IPC_STAT, &ds) < 0) {
		if (errno == EINVAL || errno == EIDRM)
			ex_diex("the server went away (its request queue is gone)");
		ex_die("msgctl(%d, IPC_STAT)", srv);
	}
	if (ds.msg_lrpid && !ex_pid_alive(ds.msg_lrpid))
		ex_diex("the server (pid %d) died", (int)ds.msg_lrpid);
	if (uipc_msgctl(q, IPC_STAT, &ds) < 0)
		ex_die("our reply queue %d", q);
	if (ds.msg_lspid && ds.msg_qnum == 0 && !ex_pid_alive(ds.msg_lspid))
		ex_diex("the server's handler (pid %d) died mid-reply", (int)ds.msg_lspid);
}

void cli_request(long type, const char *path)
{
	static struct srv_req rq;
	size_t len = strlen(path);

	if (len >= sizeof(rq.path))
		ex_diex("%s: path too long", path);
	rq.mtype = type;
	rq.reply_qid = q;
	rq.client_pid = getpid();
	memcpy(rq.path, path, len + 1);
	for (;;) {
		struct timespec ts = ex_ms_ts(1000);

		if (uipc_msgtimedsnd(srv, &rq, SRV_REQ_SIZE(len), 0, &ts) == 0)
			return;
		if (errno == EINTR && ex_stop)
			ex_exit_signal();
		if (errno == EIDRM || errno == EINVAL)
			ex_diex("the server went away (its request queue is gone)");
		if (errno != EAGAIN && errno != EINTR)
			ex_die("msgsnd(%d)", srv);
		check_server();		/* the request queue is full: still there? */
	}
}

size_t cli_reply(struct srv_res *res)
{
	ssize_t n;

	for (;;) {
		struct timespec ts = ex_ms_ts(1000);

		n = uipc_msgtimedrcv(q, res, SRV_RES_MAX, 0, 0, &ts);
		if (n >= 0)
			break;
		if (errno == EINTR && ex_stop)
			ex_exit_signal();
		if (errno == EIDRM || errno == EINVAL)
			ex_diex("our reply queue %d was removed", q);
		if (errno == E2BIG)
			ex_diex("a reply too big for the protocol: not a msgsrv?");
		if (errno != EAGAIN && errno != EINTR)
			ex_die("msgrcv(%d)", q);
		check_server();
	}
	switch (res->mtype) {
	case RES_STAT:
		if (n == sizeof(res->u.st))
			return (size_t)n;
		break;
	case RES_DATA:
		if (n > 0 && n <= SRV_CHUNK)
			return (size_t)n;
		break;
	case RES_EOF:
		if (n == sizeof(res->u.total))
			return (size_t)n;
		break;
	case RES_ERR:
		if (n == sizeof(res->u.e)) {
			res->u.e.what[sizeof(res->u.e.what) - 1] = '\0';
			return (size_t)n;
		}
		break;
	}
	ex_diex("malformed reply (type %ld, %zd bytes)", res->mtype, n);
}
