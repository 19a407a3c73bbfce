// SPDX-License-Identifier: MIT
/*
 * xfr.h - stdin -> shared memory -> stdout: the protocol of xfr-writer and
 * xfr-reader.
 *
 * Under one key (default XFR_KEY): a segment holding struct xfr_seg and its
 * buffer, and a set of four semaphores:
 *   W       1 = the writer may fill the buffer (starts at 1)
 *   R       1 = the reader may empty it (starts at 0)
 *   WRITER  1 while the writer runs (taken with SEM_UNDO: 0 once it dies)
 *   READER  1 while a reader runs (same); a second reader is refused
 * The writer and reader alternate: P(W) fill V(R) / P(R) empty V(W).  A
 * chunk of 0 bytes is the end of the data; the reader answers it with a
 * last V(W), after which the writer removes both objects.
 *
 * The writer creates the set (IPC_CREAT|IPC_EXCL), sets W, builds the
 * segment, takes WRITER: that first semop sets sem_otime, and a reader
 * waits for it (so the reader may start first, unlike the seed's).  Each
 * side waits with a timeout and looks at WRITER/READER meanwhile, so a
 * peer that dies is noticed instead of waited for forever.  On SIGINT,
 * SIGTERM or SIGHUP either side removes the objects; the other one then
 * fails with EIDRM and says the transfer was aborted.
 */
#ifndef EX_XFR_H
#define EX_XFR_H

#include <stdint.h>
#include <sys/types.h>

#define XFR_KEY		0x75690003
#define XFR_MAGIC	0x58465231u	/* "XFR1" */
#define XFR_BUF		65536

enum { XFR_W, XFR_R, XFR_WRITER, XFR_READER, XFR_NSEMS };

struct xfr_seg {
	uint32_t magic;		/* XFR_MAGIC once the writer built it */
	uint32_t bufsize;	/* bytes in buf[] */
	uint64_t seq;		/* chunks written so far */
	uint32_t cnt;		/* bytes in buf now; 0 = end of data */
	uint32_t pad;
	char buf[];
};

/*
 * One semop on semaphore num of the set, waiting at most 1 s at a time;
 * between waits peer_alive() is asked whether the other side still runs.
 * Returns 0, or -1 with errno: EIDRM/EINVAL (objects removed), EINTR (a
 * signal set ex_stop), ESRCH (the peer died).
 */
int xfr_op(int semid, int num, int op, int (*peer_alive)(int semid));
/* Is the process that took semaphore num of the set (with undo) alive? */
int xfr_holder_alive(int semid, int num);
/* Remove the set and the segment, reporting failures other than "gone". */
void xfr_remove(int semid, int shmid);

#endif /* EX_XFR_H */
