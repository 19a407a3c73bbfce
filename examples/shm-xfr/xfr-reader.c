// SPDX-License-Identifier: MIT
/*
 * xfr-reader - copy what xfr-writer puts in shared memory to stdout.
 *
 *   xfr-reader [-k KEY] [-w SECONDS] > output
 *
 * Waits up to SECONDS (default 10) for a writer to appear, attaches its
 * segment read-only, and copies chunk after chunk until the end of the
 * data.  Prints the byte and chunk count on stderr.  Exit 0 only if the
 * whole transfer arrived.
 *
 * The protocol is in xfr.h.  Unlike the seeds' reader (004_), it may start
 * before the writer, a second reader is refused, a writer that dies is
 * noticed, and Ctrl-C aborts the transfer for both sides and removes the
 * objects.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "xfr.h"

static int semid = -1, shmid = -1;
static unsigned long long bytes, chunks;

static int writer_alive(int id)
{
	return xfr_holder_alive(id, XFR_WRITER);
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
		ex_diex("the writer died after %llu bytes: transfer aborted", bytes);
	if (gone)
		ex_diex("the writer aborted the transfer after %llu bytes", bytes);
	ex_die("%s", why);
}

static void write_all(const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(STDOUT_FILENO, buf, len);

		if (n < 0 && errno == EINTR && !ex_stop)
			continue;
		if (n < 0)
			fail("write stdout");
		buf += n;
		len -= (size_t)n;
	}
}

int main(int argc, char **argv)
{
	struct sembuf reader[2] = {
		{ XFR_READER, 0, IPC_NOWAIT }, { XFR_READER, +1, SEM_UNDO | IPC_NOWAIT },
	};
	long wait_ms = 10000;
	key_t key = XFR_KEY;
	const struct xfr_seg *seg;
	struct shmid_ds ds;
	uint32_t bufsize;
	int64_t end;
	int c;

	while ((c = getopt(argc, argv, "k:w:")) != -1) {
		switch (c) {
		case 'k':
			key = ex_parse_key(optarg);
			break;
		case 'w':
			wait_ms = ex_parse_long(optarg, 0, 86400, "wait time") * 1000;
			break;
		default:
			fprintf(stderr, "usage: xfr-reader [-k KEY] [-w SECONDS] > output\n");
			return 2;
		}
	}
	ex_catch_signals();
	signal(SIGPIPE, SIG_IGN);
	end = ex_now_ms() + wait_ms;
	for (;;) {
		semid = uipc_semget(key, 0, 0);
		if (semid < 0 && errno != ENOENT)
			ex_die("semget(key 0x%x)", (unsigned)key);
		/* Ready (sem_otime set) and its writer alive: that is ours. */
		if (semid >= 0 && ex_sem_wait_ready(semid, 3000) == 0 &&
		    uipc_semctl(semid, XFR_WRITER, GETVAL) > 0)
			break;
		/*
		 * Nothing yet, or the leftovers of a writer that died (the
		 * next writer will replace them): wait for a live one.
		 */
		if (ex_stop)
			ex_exit_signal();
		if (ex_now_ms() >= end)
			ex_diex("no writer appeared on key 0x%x%s", (unsigned)key,
				semid >= 0 ? " (only an abandoned transfer)" : "");
		ex_sleep_ms(20);
	}
	if (uipc_semop(semid, reader, 2) < 0) {
		if (errno == EAGAIN)
			ex_diex("another reader (pid %d) is attached to key 0x%x",
				uipc_semctl(semid, XFR_READER, GETPID), (unsigned)key);
		ex_die("semop(READER)");
	}
	shmid = uipc_shmget(key, 0, 0);
	if (shmid < 0)
		fail("shmget");
	seg = uipc_shmat(shmid, NULL, SHM_RDONLY);
	if (seg == (void *)-1)
		fail("shmat");
	if (uipc_shmctl(shmid, IPC_STAT, &ds) < 0)
		fail("shmctl(IPC_STAT)");
	if (ds.shm_segsz < sizeof(*seg) ||
	    __atomic_load_n(&seg->magic, __ATOMIC_ACQUIRE) != XFR_MAGIC)
		ex_diex("segment %d is not an xfr-writer's", shmid);
	bufsize = seg->bufsize;		/* read once: the segment is input */
	if (ds.shm_segsz < sizeof(*seg) + bufsize)
		ex_diex("segment %d is smaller than its buffer size says", shmid);

	for (;;) {
		uint32_t cnt;

		if (xfr_op(semid, XFR_R, -1, writer_alive) < 0)
			fail("semop(P(R))");
		cnt = seg->cnt;
		if (cnt > bufsize)
			ex_diex("corrupt chunk: %u bytes in a %u-byte buffer", cnt, bufsize);
		chunks++;
		if (cnt == 0)
			break;
		write_all(seg->buf, cnt);
		bytes += cnt;
		if (xfr_op(semid, XFR_W, +1, NULL) < 0)
			fail("semop(V(W))");
	}
	/* Tell the writer we saw the end; it removes the objects. */
	if (xfr_op(semid, XFR_W, +1, NULL) < 0)
		fail("semop(V(W))");
	uipc_shmdt(seg);
	fprintf(stderr, "xfr-reader: received %llu bytes in %llu chunks\n", bytes, chunks - 1);
	return 0;
}
