// SPDX-License-Identifier: MIT
/*
 * s2s.h - the segment layout of stdin2shm and shm2stdout: a header giving
 * the length of the data, then the data.  The header is written last, so
 * a reader of a segment still being filled sees "no data" (magic 0), not
 * a length that is not true yet.
 */
#ifndef EX_S2S_H
#define EX_S2S_H

#include <stdint.h>

#define S2S_MAGIC 0x53325331u	/* "S2S1" */

struct s2s_seg {
	uint32_t magic;		/* S2S_MAGIC once len is valid; 0 while filling */
	uint32_t pad;
	uint64_t len;		/* bytes of data that follow */
	char data[];
};

#endif /* EX_S2S_H */
