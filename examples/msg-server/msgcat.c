// SPDX-License-Identifier: MIT
/*
 * msgcat - fetch files from msgsrv and write them to stdout, like cat.
 *
 *   msgcat [-k KEY] [-v] PATH...
 *
 * The file comes back in chunks on our private reply queue; the total in
 * the final message must match what arrived.  Exit 1 if any PATH failed.
 *
 * This is the seeds' exercise (004_: "adapt the example to become a file
 * server"), with the same cleanup guarantees as msgstat.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "util.h"

static void write_all(const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(STDOUT_FILENO, buf, len);

		if (n < 0 && errno == EINTR && !ex_stop)
			continue;
		if (n < 0 && errno == EINTR)
			ex_exit_signal();
		if (n < 0)
			ex_die("write to stdout");
		buf += n;
		len -= (size_t)n;
	}
}

int main(int argc, char **argv)
{
	static struct srv_res res;
	int i, status = 0;

	i = cli_options(argc, argv, "", "usage: msgcat [-k KEY] [-v] PATH...\n", NULL);
	cli_open();
	for (; i < argc; i++) {
		unsigned long long got = 0;
		size_t n;

		cli_request(REQ_GET, argv[i]);
		for (;;) {
			n = cli_reply(&res);
			if (res.mtype == RES_DATA) {
				write_all(res.u.data, n);
				got += n;
			} else if (res.mtype == RES_EOF) {
				if (res.u.total != got)
					ex_diex("%s: got %llu bytes, the server sent %llu",
						argv[i], got, (unsigned long long)res.u.total);
				break;
			} else if (res.mtype == RES_ERR) {
				fprintf(stderr, "msgcat: %s: %s: %s (%s)\n", argv[i],
					res.u.e.what, strerror(res.u.e.err),
					ex_errname(res.u.e.err));
				status = 1;
				break;
			} else {
				ex_diex("%s: unexpected reply type %ld", argv[i], res.mtype);
			}
		}
	}
	return status;
}
