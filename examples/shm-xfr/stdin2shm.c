// SPDX-License-Identifier: MIT
/*
 * stdin2shm - store stdin in an existing shared memory segment, for
 * shm2stdout to print later.  No synchronisation: the segment is made and
 * removed by hand, with uipcmk and uipcrm (or ipcmk/ipcrm for the kernel
 * build).
 *
 *   id=$(uipcmk -M 1048576 | awk '{print $NF}')
 *   stdin2shm $id < file
 *   shm2stdout $id > copy
 *   uipcrm -m $id
 *
 * The data keeps its length in a small header (s2s.h), so shm2stdout
 * prints exactly what was stored.  Exit 1 if stdin did not fit (what fit
 * is stored).
 *
 * From the seeds' stdin2shm (004_): that one took the segment's size on
 * the command line (a wrong size overran the segment), kept the length in
 * an int, and tested shmat's result with "< 0", which never catches its
 * (void *)-1; this one asks the segment for its size and checks
 * everything.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "s2s.h"
#include "util.h"

int main(int argc, char **argv)
{
	struct shmid_ds ds;
	struct s2s_seg *seg;
	uint64_t cap, len = 0;
	int shmid, status = 0;
	ssize_t n = 0;
	char extra;

	if (argc != 2) {
		fprintf(stderr, "usage: stdin2shm SHMID < input\n");
		return 2;
	}
	shmid = (int)ex_parse_long(argv[1], 0, 0x7fffffff, "segment id");
	if (uipc_shmctl(shmid, IPC_STAT, &ds) < 0)
		ex_die("shmctl(%d, IPC_STAT)", shmid);
	if (ds.shm_segsz <= sizeof(*seg))
		ex_diex("segment %d is too small (%zu bytes)", shmid, (size_t)ds.shm_segsz);
	cap = ds.shm_segsz - sizeof(*seg);
	seg = uipc_shmat(shmid, NULL, 0);
	if (seg == (void *)-1)
		ex_die("shmat(%d)", shmid);
	fprintf(stderr, "stdin2shm: segment %d attached at %p, room for %llu bytes\n",
		shmid, (void *)seg, (unsigned long long)cap);
	__atomic_store_n(&seg->magic, 0, __ATOMIC_RELEASE);	/* filling */
	while (len < cap) {
		n = read(STDIN_FILENO, seg->data + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (uint64_t)n;
	}
	if (n < 0)
		ex_die("read stdin");
	if (len == cap && read(STDIN_FILENO, &extra, 1) == 1) {
		ex_warnx("input truncated: the segment holds only %llu bytes",
			 (unsigned long long)cap);
		status = 1;
	}
	seg->len = len;
	__atomic_store_n(&seg->magic, S2S_MAGIC, __ATOMIC_RELEASE);
	if (uipc_shmdt(seg) < 0)
		ex_die("shmdt");
	fprintf(stderr, "stdin2shm: stdin -> shm: copied %llu bytes\n",
		(unsigned long long)len);
	return status;
}
