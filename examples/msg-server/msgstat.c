// SPDX-License-Identifier: MIT
/*
 * msgstat - ask msgsrv for the struct stat of files below its directory.
 *
 *   msgstat [-k KEY] [-v] [-s] PATH...
 *
 * Prints one line per PATH: its size, type, mode, owner, links, inode and
 * modification time (-s: the size only, as the seed's stat-client did).
 * Exit 1 if any PATH failed.  -v shows the queue ids on stderr.
 *
 * The seed's client (004_) removed its reply queue with atexit() only, so
 * Ctrl-C left it behind, and it waited forever for a server that had died;
 * this one removes the queue on every catchable signal too (and msgsrv
 * removes it if we are SIGKILLed), and gives up when the server is gone.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "client.h"
#include "util.h"

static int size_only;

static int opt(int c, const char *arg)
{
	(void)arg;
	if (c != 's')
		return -1;
	size_only = 1;
	return 0;
}

static const char *type_name(unsigned mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "file";
	case S_IFDIR: return "directory";
	case S_IFLNK: return "symlink";
	case S_IFIFO: return "fifo";
	case S_IFSOCK: return "socket";
	case S_IFCHR: return "char-device";
	case S_IFBLK: return "block-device";
	default: return "unknown";
	}
}

int main(int argc, char **argv)
{
	static struct srv_res res;
	int i, status = 0;

	i = cli_options(argc, argv, "s", "usage: msgstat [-k KEY] [-v] [-s] PATH...\n", opt);
	cli_open();
	for (; i < argc; i++) {
		cli_request(REQ_STAT, argv[i]);
		cli_reply(&res);
		if (res.mtype == RES_ERR) {
			fprintf(stderr, "msgstat: %s: %s: %s (%s)\n", argv[i], res.u.e.what,
				strerror(res.u.e.err), ex_errname(res.u.e.err));
			status = 1;
			continue;
		}
		if (res.mtype != RES_STAT)
			ex_diex("%s: unexpected reply type %ld", argv[i], res.mtype);
		if (size_only) {
			printf("%lld\n", (long long)res.u.st.size);
		} else {
			time_t t = (time_t)res.u.st.mtime_sec;
			char when[40];
			struct tm tm;

			localtime_r(&t, &tm);
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
			printf("%s: size %lld, %s, mode %04o, uid %u, gid %u, "
			       "links %u, inode %llu, modified %s\n", argv[i],
			       (long long)res.u.st.size, type_name(res.u.st.mode),
			       res.u.st.mode & 07777, res.u.st.uid, res.u.st.gid,
			       res.u.st.nlink, (unsigned long long)res.u.st.ino, when);
		}
	}
	return status;
}
