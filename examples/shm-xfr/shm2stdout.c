// SPDX-License-Identifier: MIT
/*
 * shm2stdout - print what stdin2shm stored in a shared memory segment.
 *
 *   shm2stdout SHMID > output
 *
 * Attaches read-only; the stored length is checked against the segment's
 * real size before anything is written (the segment is input).  See
 * stdin2shm.c for the whole story.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "s2s.h"
#include "util.h"

int main(int argc, char **argv)
{
	const struct s2s_seg *seg;
	struct shmid_ds ds;
	uint64_t len, done = 0;
	int shmid;

	if (argc != 2) {
		fprintf(stderr, "usage: shm2stdout SHMID > output\n");
		return 2;
	}
	shmid = (int)ex_parse_long(argv[1], 0, 0x7fffffff, "segment id");
	if (uipc_shmctl(shmid, IPC_STAT, &ds) < 0)
		ex_die("shmctl(%d, IPC_STAT)", shmid);
	seg = uipc_shmat(shmid, NULL, SHM_RDONLY);
	if (seg == (void *)-1)
		ex_die("shmat(%d)", shmid);
	fprintf(stderr, "shm2stdout: segment %d attached at %p\n", shmid, (const void *)seg);
	if (ds.shm_segsz < sizeof(*seg) ||
	    __atomic_load_n(&seg->magic, __ATOMIC_ACQUIRE) != S2S_MAGIC)
		ex_diex("segment %d holds no data from stdin2shm", shmid);
	len = seg->len;
	if (len > ds.shm_segsz - sizeof(*seg))
		ex_diex("segment %d claims %llu bytes but holds at most %llu", shmid,
			(unsigned long long)len,
			(unsigned long long)(ds.shm_segsz - sizeof(*seg)));
	while (done < len) {
		ssize_t n = write(STDOUT_FILENO, seg->data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ex_die("write stdout");
		done += (uint64_t)n;
	}
	uipc_shmdt(seg);
	fprintf(stderr, "shm2stdout: shm -> stdout: copied %llu bytes\n",
		(unsigned long long)done);
	return 0;
}
