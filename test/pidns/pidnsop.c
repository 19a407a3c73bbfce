// SPDX-License-Identifier: MIT
/*
 * pidnsop - the two sides of test-pidns.sh, each run in a PID namespace
 * of its own on one UIPC_ROOT.
 *
 *   pidnsop make             make a set of 8 semaphores, print its id
 *   pidnsop hold ID          SETALL forever, all 8 to one value that
 *                            changes each time (a lock holder that the
 *                            test stops now and then)
 *   pidnsop check ID SECS    GETALL for SECS seconds; print the number of
 *                            reads whose 8 values differ (torn: a holder's
 *                            update rolled back or seen half done), then
 *                            the number of reads
 *   pidnsop forge ID         write a lock word naming a live pid with no
 *                            start time (pid 1), as a scribbler would;
 *                            then time a semop that takes the lock
 *                            (SEM_UNDO): print its milliseconds
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <uipc.h>

#include "layout.h"

#define N 8

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	unsigned short v[N];
	int id;

	if (argc == 2 && !strcmp(argv[1], "make")) {
		id = uipc_semget(IPC_PRIVATE, N, 0600);
		if (id < 0)
			return perror("semget"), 1;
		printf("%d\n", id);
		return 0;
	}
	if (argc < 3)
		return 2;
	id = atoi(argv[2]);
	if (!strcmp(argv[1], "hold")) {
		for (unsigned short x = 0;; x = (unsigned short)((x + 1) % 30000)) {
			for (int i = 0; i < N; i++)
				v[i] = x;
			if (uipc_semctl(id, 0, SETALL, v) < 0)
				return perror("SETALL"), 1;
		}
	}
	if (!strcmp(argv[1], "check") && argc == 4) {
		long end = now_ms() + atol(argv[3]) * 1000, torn = 0, reads = 0;

		while (now_ms() < end) {
			if (uipc_semctl(id, 0, GETALL, v) < 0)
				return perror("GETALL"), 1;
			reads++;
			for (int i = 1; i < N; i++)
				if (v[i] != v[0]) {
					torn++;
					break;
				}
		}
		printf("%ld %ld\n", torn, reads);
		return 0;
	}
	if (!strcmp(argv[1], "forge") && argc == 4) {
		int fd = open(argv[3], O_RDWR);
		struct uipc_hdr *h;
		struct sembuf op = { 0, 1, SEM_UNDO };	/* takes the lock */
		long t0;

		h = fd < 0 ? MAP_FAILED : mmap(NULL, sizeof(*h),
					       PROT_READ | PROT_WRITE,
					       MAP_SHARED, fd, 0);
		if (h == MAP_FAILED)
			return perror(argv[3]), 1;
		__atomic_store_n(&h->lock.owner_start, 0, __ATOMIC_SEQ_CST);
		__atomic_store_n(&h->lock.word, 1, __ATOMIC_SEQ_CST);
		t0 = now_ms();
		if (uipc_semop(id, &op, 1) < 0)
			return perror("semop"), 1;
		printf("%ld\n", now_ms() - t0);
		return 0;
	}
	return 2;
}
