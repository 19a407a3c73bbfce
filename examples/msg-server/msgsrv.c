// SPDX-License-Identifier: MIT
/*
 * msgsrv - a stat server and file server on System V message queues: one
 * request queue, one private reply queue per client.
 *
 *   msgsrv [-k KEY] [-d DIR] [-m MODE] [-j MAXJOBS]
 *
 * Serves the files below DIR (default: the current directory): msgstat
 * asks for a file's struct stat, msgcat for its content, streamed back in
 * chunks.  Paths are relative to DIR and may not leave it.  Prints
 * "msgsrv: ready ..." on stderr once it takes requests.  SIGINT, SIGTERM,
 * SIGHUP: stop, remove the request queue, exit 0.
 *
 * Design.  As in the seed (004_), each request is handled by a child
 * process, so a client that does not read its replies stalls only its own
 * handler, never the server.  Unlike the seed:
 *  - at most MAXJOBS handlers run at once (default 32); beyond that a
 *    client gets EAGAIN ("server busy") instead of an unbounded fork;
 *  - handlers send with a timeout (uipc_msgtimedsnd, a uipc extension) and
 *    give up when the client is dead or has not read anything for a
 *    minute, so they never hang;
 *  - the server wakes at least every half second (uipc_msgtimedrcv), reaps
 *    its children, and removes the reply queue of any client that died
 *    without removing it (killed by SIGKILL): reply queues are always
 *    removed, by the client or else by the server;
 *  - the request queue is removed on every catchable signal (the seed did
 *    it on SIGINT only), and a server restarted after a SIGKILL recognises
 *    the dead server's queue (msg_lrpid names a dead process) and replaces
 *    it, while a second server refuses to start next to a live one;
 *  - the seed serves any path the server can read; this one only files
 *    under DIR.
 * Known limit: a pid is not a process identity; a dead client whose pid is
 * reused keeps its queue until the new owner of the pid exits too.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "msgproto.h"
#include "util.h"

/* openat2(2)'s argument; musl-gcc does not see <linux/openat2.h> */
#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#else
struct open_how {
	uint64_t flags;
	uint64_t mode;
	uint64_t resolve;
};
#define RESOLVE_NO_MAGICLINKS	0x02
#define RESOLVE_BENEATH		0x08
#endif

#define MAX_CLIENTS	1024
#define STUCK_MS	60000	/* a live client that reads nothing for this long */

static key_t key = SRV_KEY;
static int qid = -1, rootfd = -1;
static int maxjobs = 32, njobs;
static pid_t jobs[4096];		/* our running handlers */

static struct client {
	pid_t pid;
	int qid;
} clients[MAX_CLIENTS];
static int nclients;

/* Open path below rootfd, refusing anything that leaves it. */
static int open_below(const char *path, int flags)
{
	struct open_how how = {
		/* O_PATH takes no other flags than these in openat2 */
		.flags = (uint64_t)(flags | O_CLOEXEC | (flags & O_PATH ? 0 : O_NOCTTY)),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	const char *p;
	int fd;

	if (!*path || path[0] == '/') {
		errno = EACCES;
		return -1;
	}
	fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	if (fd < 0 && errno == EXDEV)
		errno = EACCES;		/* it leads out of the served directory */
	if (fd >= 0 || errno != ENOSYS)
		return fd;
	/* Older kernel: no "..", no symlink at the end (a weaker rule). */
	for (p = path; *p; p = strchr(p, '/') ? strchr(p, '/') + 1 : p + strlen(p))
		if (!strncmp(p, "..", 2) && (p[2] == '/' || !p[2])) {
			errno = EACCES;
			return -1;
		}
	return openat(rootfd, path, flags | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
}

/*
 * Send one reply, waiting as long as the client is alive and reading.
 * Returns 0, or -1 when the client is gone (dead, or its queue removed).
 */
static int reply(const struct srv_req *rq, struct srv_res *res, size_t len)
{
	int64_t since = ex_now_ms();
	time_t last_read = 0;

	for (;;) {
		struct timespec ts = ex_ms_ts(500);
		struct msqid_ds ds;

		if (uipc_msgtimedsnd(rq->reply_qid, res, len, 0, &ts) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -1;	/* EIDRM/EINVAL: the client left */
		if (!ex_pid_alive(rq->client_pid))
			return -1;	/* the server removes its queue */
		/* Still alive: is it reading at all? */
		if (uipc_msgctl(rq->reply_qid, IPC_STAT, &ds) < 0)
			return -1;
		if (ds.msg_rtime != last_read) {
			last_read = ds.msg_rtime;
			since = ex_now_ms();
		} else if (ex_now_ms() - since > STUCK_MS) {
			ex_warnx("client %d has read nothing for %d s: giving up",
				 (int)rq->client_pid, STUCK_MS / 1000);
			return -1;
		}
	}
}

static void reply_err(const struct srv_req *rq, int err, const char *what)
{
	struct srv_res res = { .mtype = RES_ERR };

	res.u.e.err = err;
	snprintf(res.u.e.what, sizeof(res.u.e.what), "%s", what);
	reply(rq, &res, sizeof(res.u.e));
}

static void do_stat(const struct srv_req *rq)
{
	struct srv_res res = { .mtype = RES_STAT };
	struct stat st;
	int fd = open_below(rq->path, O_PATH);

	if (fd < 0 || fstat(fd, &st) < 0) {
		reply_err(rq, errno, "stat");
		return;
	}
	close(fd);
	res.u.st = (struct srv_stat){
		.size = st.st_size, .ino = st.st_ino, .dev = st.st_dev,
		.blocks = st.st_blocks, .mtime_sec = st.st_mtim.tv_sec,
		.mtime_nsec = (int32_t)st.st_mtim.tv_nsec, .mode = st.st_mode,
		.uid = st.st_uid, .gid = st.st_gid, .nlink = (uint32_t)st.st_nlink,
	};
	reply(rq, &res, sizeof(res.u.st));
}

static void do_get(const struct srv_req *rq)
{
	static struct srv_res res;
	uint64_t total = 0;
	struct stat st;
	ssize_t n;
	int fd = open_below(rq->path, O_RDONLY);

	if (fd < 0) {
		reply_err(rq, errno, "open");
		return;
	}
	if (fstat(fd, &st) < 0) {
		reply_err(rq, errno, "fstat");
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		reply_err(rq, S_ISDIR(st.st_mode) ? EISDIR : EINVAL, "not a regular file");
		return;
	}
	res.mtype = RES_DATA;
	while ((n = read(fd, res.u.data, SRV_CHUNK)) > 0) {
		if (reply(rq, &res, (size_t)n) < 0)
			return;
		total += (uint64_t)n;
	}
	if (n < 0) {
		reply_err(rq, errno, "read");
		return;
	}
	res.mtype = RES_EOF;
	res.u.total = total;
	reply(rq, &res, sizeof(res.u.total));
}

/* Remember a client, to remove its queue if it dies without doing so. */
static void track(pid_t pid, int q)
{
	for (int i = 0; i < nclients; i++)
		if (clients[i].pid == pid && clients[i].qid == q)
			return;
	if (nclients == MAX_CLIENTS) {
		ex_warnx("tracking %d clients: forgetting the oldest", MAX_CLIENTS);
		memmove(clients, clients + 1, sizeof(clients[0]) * (MAX_CLIENTS - 1));
		nclients--;
	}
	clients[nclients++] = (struct client){ pid, q };
}

/*
 * Remove the reply queues of clients that died.  A queue is only removed
 * if its last reader is that client or nobody: a request naming somebody
 * else's queue cannot make us remove it.
 */
static void sweep(void)
{
	for (int i = 0; i < nclients;) {
		struct msqid_ds ds;
		struct client *c = &clients[i];
		int drop = 0;

		if (uipc_msgctl(c->qid, IPC_STAT, &ds) < 0) {
			drop = 1;	/* removed: the client cleaned up */
		} else if (!ex_pid_alive(c->pid)) {
			drop = 1;
			if (ds.msg_lrpid == 0 || ds.msg_lrpid == c->pid) {
				if (uipc_msgctl(c->qid, IPC_RMID, NULL) == 0)
					ex_warnx("removed reply queue %d of client %d, "
						 "which died without removing it",
						 c->qid, (int)c->pid);
				else
					ex_warn("msgctl(%d, IPC_RMID)", c->qid);
			}
		}
		if (drop)
			clients[i] = clients[--nclients];
		else
			i++;
	}
}

static void reap(int block)
{
	pid_t pid;

	while (njobs > 0 && (pid = waitpid(-1, NULL, block ? 0 : WNOHANG)) > 0) {
		for (int i = 0; i < njobs; i++)
			if (jobs[i] == pid) {
				jobs[i] = jobs[--njobs];
				break;
			}
	}
}

static void hello(void)
{
	struct srv_req h = { .mtype = REQ_HELLO };

	/* Sets msg_lrpid to our pid: how a later server tells we are alive. */
	if (uipc_msgsnd(qid, &h, SRV_REQ_SIZE(0), IPC_NOWAIT) < 0 ||
	    uipc_msgrcv(qid, &h, sizeof(h) - sizeof(long), REQ_HELLO, IPC_NOWAIT) < 0)
		ex_die("hello on the request queue %d", qid);
}

static void start(int mode)
{
	for (int tries = 0; tries < 20; tries++) {
		struct msqid_ds ds;
		int64_t end;

		if (ex_stop)
			ex_exit_signal();
		qid = uipc_msgget(key, IPC_CREAT | IPC_EXCL | mode);
		if (qid >= 0) {
			hello();
			return;
		}
		if (errno != EEXIST)
			ex_die("msgget(key 0x%x)", (unsigned)key);
		qid = uipc_msgget(key, 0);
		if (qid < 0) {
			if (errno == ENOENT)
				continue;
			ex_die("msgget(key 0x%x)", (unsigned)key);
		}
		/* msg_lrpid 0: a server is starting; give it time to say hello. */
		end = ex_now_ms() + 3000;
		while (uipc_msgctl(qid, IPC_STAT, &ds) == 0 && ds.msg_lrpid == 0 &&
		       ex_now_ms() < end)
			ex_sleep_ms(20);
		if (uipc_msgctl(qid, IPC_STAT, &ds) < 0)
			continue;
		if (ds.msg_lrpid && ex_pid_alive(ds.msg_lrpid))
			ex_diex("a msgsrv is already running on key 0x%x (pid %d)",
				(unsigned)key, (int)ds.msg_lrpid);
		ex_warnx("replacing the request queue %d of a dead server (pid %d): "
			 "%lu request(s) in it are dropped", qid, (int)ds.msg_lrpid,
			 (unsigned long)ds.msg_qnum);
		uipc_msgctl(qid, IPC_RMID, NULL);
	}
	ex_diex("could not settle who owns key 0x%x; giving up", (unsigned)key);
}

static void serve(const struct srv_req *rq, ssize_t n)
{
	struct srv_res busy = { .mtype = RES_ERR };
	pid_t pid;

	if (rq->mtype == REQ_HELLO)
		return;
	/* The request is input: check its size, its path, its fields. */
	if (n < (ssize_t)SRV_REQ_SIZE(0) || rq->path[n - SRV_REQ_SIZE(0)] != '\0' ||
	    (rq->mtype != REQ_STAT && rq->mtype != REQ_GET) || rq->reply_qid < 0 ||
	    rq->client_pid <= 0) {
		ex_warnx("dropped a malformed request (%zd bytes, type %ld)", n, rq->mtype);
		return;
	}
	track(rq->client_pid, rq->reply_qid);
	if (njobs >= maxjobs) {
		busy.u.e.err = EAGAIN;
		snprintf(busy.u.e.what, sizeof(busy.u.e.what), "server busy");
		uipc_msgsnd(rq->reply_qid, &busy, sizeof(busy.u.e), IPC_NOWAIT);
		return;
	}
	pid = fork();
	if (pid < 0) {
		ex_warn("fork");
		return;
	}
	if (pid == 0) {
		ex_default_signals();
		if (rq->mtype == REQ_STAT)
			do_stat(rq);
		else
			do_get(rq);
		_exit(0);
	}
	jobs[njobs++] = pid;
}

int main(int argc, char **argv)
{
	static struct srv_req rq;
	const char *dir = ".";
	int64_t last_sweep = 0;
	unsigned long served = 0;
	int c, mode = 0620;

	while ((c = getopt(argc, argv, "k:d:m:j:")) != -1) {
		switch (c) {
		case 'k':
			key = ex_parse_key(optarg);
			break;
		case 'd':
			dir = optarg;
			break;
		case 'm':
			mode = (int)ex_parse_long(optarg, 0, 0777, "mode");
			break;
		case 'j':
			maxjobs = (int)ex_parse_long(optarg, 1, 4096, "job limit");
			break;
		default:
			fprintf(stderr, "usage: msgsrv [-k KEY] [-d DIR] [-m MODE] [-j MAXJOBS]\n");
			return 2;
		}
	}
	if (key == IPC_PRIVATE)
		ex_diex("the server needs a key its clients can find, not IPC_PRIVATE");
	rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		ex_die("open %s", dir);
	ex_catch_signals();
	start(mode);
	ex_warnx("ready: key 0x%08x, request queue %d, serving %s, pid %d (%s)",
		 (unsigned)key, qid, dir, getpid(), EX_BACKEND);

	while (!ex_stop) {
		struct timespec ts = ex_ms_ts(500);
		ssize_t n;

		reap(0);
		if (ex_now_ms() - last_sweep >= 500) {
			sweep();
			last_sweep = ex_now_ms();
		}
		n = uipc_msgtimedrcv(qid, &rq, sizeof(rq) - sizeof(long), 0, MSG_NOERROR, &ts);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			if (errno == EIDRM || errno == EINVAL) {
				ex_warnx("the request queue was removed behind our back");
				qid = -1;
				break;
			}
			ex_die("msgrcv(%d)", qid);
		}
		serve(&rq, n);
		served++;
	}

	if (qid >= 0 && uipc_msgctl(qid, IPC_RMID, NULL) < 0)
		ex_warn("msgctl(%d, IPC_RMID)", qid);
	for (int i = 0; i < njobs; i++)
		kill(jobs[i], SIGTERM);	/* their clients see the queue gone */
	reap(1);
	sweep();
	ex_warnx("stopped: %lu request(s) served, request queue removed", served);
	return ex_stop ? 0 : 1;
}
