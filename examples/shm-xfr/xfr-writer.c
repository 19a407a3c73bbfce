// SPDX-License-Identifier: MIT
/*
 * xfr-writer - copy stdin into a shared memory segment, chunk by chunk,
 * for xfr-reader to copy to its stdout.
 *
 *   xfr-writer [-k KEY] [-b BUFSIZE] [-m MODE] < input
 *   xfr-reader [-k KEY] > output          (start them in either order)
 *
 * Creates the objects, waits for a reader, removes the objects when the
 * reader has confirmed the end of the data.  Prints the byte and chunk
 * count on stderr.  Exit 0 only if the reader took everything.
 *
 * The protocol is in xfr.h.  From the seeds' svshm writer (004_), with its
 * flaws fixed: the semaphores are initialised before anybody may use them
 * (the reader waits for sem_otime) instead of by whoever starts first; a
 * second writer on the same key is refused instead of re-initialising the
 * running transfer; a reader that dies is noticed (even while we wait for
 * input) instead of waited for forever; Ctrl-C removes the objects.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "xfr.h"

static int semid = -1, shmid = -1;
static unsigned long long bytes, chunks;

static int reader_alive(int id)
{
	int pid = uipc_semctl(id, XFR_READER, GETPID);

	/* No reader yet (nobody but us touched READER): wait for one. */
	if (pid <= 0 || pid == getpid())
		return 1;
	return xfr_holder_alive(id, XFR_READER);
}

static void fail(const char *why)
{
	int gone = errno == EIDRM || errno == EINVAL;

	xfr_remove(gone ? -1 : semid, gone ? -1 : shmid);
	if (errno == EINTR || ex_stop) {
		ex_warnx("stopped by a signal after %llu bytes: transfer aborted", bytes);
		ex_exit_signal();
	}
	if (errno == ESRCH)
		ex_diex("the reader died after %llu bytes: transfer aborted", bytes);
	if (gone)
		ex_diex("the reader aborted the transfer after %llu bytes", bytes);
	ex_die("%s", why);
}

/* One read of stdin, watching the reader and signals while we wait. */
static ssize_t read_input(char *buf, size_t len)
{
	for (;;) {
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		int r = poll(&p, 1, 1000);

		if (ex_stop) {
			errno = EINTR;
			fail("poll");
		}
		if (r < 0 && errno != EINTR)
			fail("poll stdin");
		if (r > 0) {
			ssize_t n = read(STDIN_FILENO, buf, len);

			if (n >= 0)
				return n;
			if (errno != EINTR)
				fail("read stdin");
			continue;
		}
		if (!reader_alive(semid)) {
			errno = ESRCH;
			fail("reader");
		}
	}
}

/* Make the set; returns when it is ours (exits if a writer is running). */
static void create_set(key_t key, int mode)
{
	for (int tries = 0; tries < 20; tries++) {
		int old;

		semid = uipc_semget(key, XFR_NSEMS, IPC_CREAT | IPC_EXCL | mode);
		if (semid >= 0)
			return;
		if (errno != EEXIST)
			ex_die("semget(key 0x%x)", (unsigned)key);
		old = uipc_semget(key, 0, 0);
		if (old < 0)
			continue;
		if (ex_sem_wait_ready(old, 3000) == 0 &&
		    uipc_semctl(old, XFR_WRITER, GETVAL) > 0)
			ex_diex("a transfer is already running on key 0x%x (writer pid %d)",
				(unsigned)key, uipc_semctl(old, XFR_WRITER, GETPID));
		if (ex_stop)
			ex_exit_signal();
		/* Its writer is dead: the objects are leftovers. */
		ex_warnx("removing the objects of an abandoned transfer on key 0x%x",
			 (unsigned)key);
		xfr_remove(old, uipc_shmget(key, 0, 0));
	}
	ex_diex("could not settle who owns key 0x%x; giving up", (unsigned)key);
}

int main(int argc, char **argv)
{
	struct sembuf writer = { XFR_WRITER, +1, SEM_UNDO };
	union semun arg = { .val = 1 };
	size_t bufsize = XFR_BUF;
	key_t key = XFR_KEY;
	struct xfr_seg *seg;
	int c, mode = 0600;

	while ((c = getopt(argc, argv, "k:b:m:")) != -1) {
		switch (c) {
		case 'k':
			key = ex_parse_key(optarg);
			break;
		case 'b':
			bufsize = (size_t)ex_parse_long(optarg, 1, 64 << 20, "buffer size");
			break;
		case 'm':
			mode = (int)ex_parse_long(optarg, 0, 0777, "mode");
			break;
		default:
			fprintf(stderr, "usage: xfr-writer [-k KEY] [-b BUFSIZE] [-m MODE] < input\n");
			return 2;
		}
	}
	if (key == IPC_PRIVATE)
		ex_diex("the reader needs a key to find us, not IPC_PRIVATE");
	ex_catch_signals();
	create_set(key, mode);
	/* W starts at 1; the others at 0, as every new semaphore does. */
	if (uipc_semctl(semid, XFR_W, SETVAL, arg) < 0)
		fail("semctl(SETVAL)");
	shmid = uipc_shmget(key, sizeof(*seg) + bufsize, IPC_CREAT | IPC_EXCL | mode);
	if (shmid < 0 && errno == EEXIST) {
		/* We own the only set: a segment under the key is a leftover. */
		xfr_remove(-1, uipc_shmget(key, 0, 0));
		shmid = uipc_shmget(key, sizeof(*seg) + bufsize, IPC_CREAT | IPC_EXCL | mode);
	}
	if (shmid < 0)
		fail("shmget");
	seg = uipc_shmat(shmid, NULL, 0);
	if (seg == (void *)-1)
		fail("shmat");
	seg->bufsize = (uint32_t)bufsize;
	__atomic_store_n(&seg->magic, XFR_MAGIC, __ATOMIC_RELEASE);
	/* Our first semop: sets sem_otime, the reader may come in. */
	if (uipc_semop(semid, &writer, 1) < 0)
		fail("semop(WRITER)");

	for (;;) {
		ssize_t n;

		if (xfr_op(semid, XFR_W, -1, reader_alive) < 0)
			fail("semop(P(W))");
		n = read_input(seg->buf, bufsize);
		seg->cnt = (uint32_t)n;
		seg->seq = ++chunks;
		if (xfr_op(semid, XFR_R, +1, NULL) < 0)
			fail("semop(V(R))");
		if (n == 0)
			break;
		bytes += (unsigned long long)n;
	}
	/* The reader's last V(W) says it has seen the end. */
	if (xfr_op(semid, XFR_W, -1, reader_alive) < 0)
		fail("semop(P(W))");
	if (uipc_shmdt(seg) < 0)
		ex_warn("shmdt");
	xfr_remove(semid, shmid);
	fprintf(stderr, "xfr-writer: sent %llu bytes in %llu chunks\n", bytes, chunks - 1);
	return 0;
}
