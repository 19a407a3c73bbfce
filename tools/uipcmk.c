// SPDX-License-Identifier: MIT
/*
 * uipcmk - create a uipc message queue, semaphore set or shared memory
 * segment under a random key, like util-linux ipcmk(1).
 *
 * Same options, output lines and exit codes.  Deliberate differences
 * (util-linux traps fixed): operands are rejected instead of ignored; the
 * mode must be octal and at most 07777 instead of being read up to the
 * first bad character, and only its permission bits reach *get() (04000
 * would ask shmget for huge pages); the random key is never IPC_PRIVATE
 * and is created with IPC_EXCL (util-linux can hand back an existing
 * object whose key it happened to draw); fractional sizes are exact.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "ipcinfo.h"
#include "out.h"

static void usage(void)
{
	printf("\nUsage:\n"
	       " %s [options]\n"
	       "\nCreate various IPC resources.\n"
	       "\nOptions:\n"
	       " -M, --shmem <size>       create shared memory segment of size <size>\n"
	       " -S, --semaphore <number> create semaphore array with <number> elements\n"
	       " -Q, --queue              create message queue\n"
	       " -p, --mode <mode>        permission for the resource (default is 0644)\n"
	       "\n -h, --help               display this help\n"
	       " -V, --version            display version\n"
	       "\nArguments:\n"
	       " <size> arguments may be followed by the suffixes for\n"
	       "   GiB, TiB, PiB, EiB, ZiB, and YiB (the \"iB\" is optional)\n"
	       "\nFor more details see %s(1).\n", out_prog, out_prog);
	exit(EXIT_SUCCESS);
}

static key_t random_key(void)
{
	key_t k = IPC_PRIVATE;

	while (k == IPC_PRIVATE) {
		if (getrandom(&k, sizeof(k), 0) != sizeof(k))
			out_err(EXIT_FAILURE, errno, "cannot get random key");
	}
	return k;
}

/* Create with a fresh random key; a drawn key already in use is redrawn. */
static int create(enum ii_type type, uint64_t size, int nsems, int mode)
{
	int id, tries;

	for (tries = 0; tries < 64; tries++) {
		key_t k = random_key();
		int fl = (mode & 0777) | IPC_CREAT | IPC_EXCL;

		if (type == II_SHM)
			id = B_shmget(k, (size_t)size, fl);
		else if (type == II_MSG)
			id = B_msgget(k, fl);
		else
			id = B_semget(k, nsems, fl);
		if (id >= 0 || errno != EEXIST)
			return id;
	}
	return -1;
}

static int parse_mode(const char *s)
{
	char *end;
	unsigned long v;

	if (!*s || *s < '0' || *s > '7')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 8);
	if (errno || *end || v > 07777)
		return -1;
	return (int)v;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "shmem", required_argument, NULL, 'M' },
		{ "semaphore", required_argument, NULL, 'S' },
		{ "queue", no_argument, NULL, 'Q' },
		{ "mode", required_argument, NULL, 'p' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int opt, mode = 0644, nsems = 0, r, id;
	int ask_shm = 0, ask_msg = 0, ask_sem = 0;
	uint64_t size = 0;

	out_prog = program_invocation_short_name;
	while ((opt = getopt_long(argc, argv, "hM:QS:p:V", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'M':
			r = out_parse_size(optarg, &size);
			if (r < 0)
				out_err(EXIT_FAILURE, -r,
					"failed to parse size: '%s'", optarg);
			ask_shm = 1;
			break;
		case 'Q':
			ask_msg = 1;
			break;
		case 'S':
			r = out_parse_int(optarg, &nsems);
			if (r == -ERANGE)
				out_err(EXIT_FAILURE, ERANGE,
					"failed to parse elements: '%s'",
					optarg);
			if (r < 0)
				out_errx(EXIT_FAILURE,
					 "failed to parse elements: '%s'",
					 optarg);
			ask_sem = 1;
			break;
		case 'p':
			mode = parse_mode(optarg);
			if (mode < 0)
				out_errx(EXIT_FAILURE,
					 "failed to parse mode: '%s'", optarg);
			break;
		case 'h':
			usage();
			break;
		case 'V':
			out_version();
			break;
		default:
			out_tryhelp();
		}
	}
	if (optind < argc) {
		out_warnx("unknown argument: %s", argv[optind]);
		out_tryhelp();
	}
	if (!ask_shm && !ask_msg && !ask_sem) {
		out_warnx("bad usage");
		out_tryhelp();
	}
	out_namespace();
	if (ask_shm) {
		if (size > SIZE_MAX)
			out_err(EXIT_FAILURE, EINVAL, "create share memory failed");
		id = create(II_SHM, size, 0, mode);
		if (id < 0)
			out_err(EXIT_FAILURE, errno, "create share memory failed");
		printf("Shared memory id: %d\n", id);
	}
	if (ask_msg) {
		id = create(II_MSG, 0, 0, mode);
		if (id < 0)
			out_err(EXIT_FAILURE, errno, "create message queue failed");
		printf("Message queue id: %d\n", id);
	}
	if (ask_sem) {
		id = create(II_SEM, 0, nsems, mode);
		if (id < 0)
			out_err(EXIT_FAILURE, errno, "create semaphore failed");
		printf("Semaphore id: %d\n", id);
	}
	out_close_stdout();
	return EXIT_SUCCESS;
}
