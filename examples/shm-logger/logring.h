// SPDX-License-Identifier: MIT
/*
 * logring.h - the shared-memory ring of the logger (logd, logc).
 *
 * Objects, both under one key (default LOG_KEY):
 *   a semaphore set of LOG_NSEMS, which is also the logger's identity and
 *     its lock against a second daemon, and
 *   a segment: a struct log_ring header and nslots message slots.
 *
 * All the ring's state lives in the semaphores, so that every change of
 * state is one atomic semop and SEM_UNDO can take back whatever a process
 * that dies (even by SIGKILL) was in the middle of:
 *
 *   MUTEX  1 = free.  Held by a client while it fills the slot at HEAD.
 *   FREE   slots a client may fill (starts at nslots)
 *   FULL   slots filled and not yet written to the log (starts at 0)
 *   HEAD   index of the next slot to fill; changed only with MUTEX held
 *   TAIL   index of the next slot to log; changed only by the daemon
 *   ALIVE  1 while a daemon runs (taken with SEM_UNDO: 0 again when it dies)
 *
 * Client, per message:
 *   {FREE -1 undo, MUTEX -1 undo}                 one semop: a free slot and
 *                                                 the mutex, or wait
 *   fill slot[HEAD]
 *   {FREE +1 undo, FREE -1, MUTEX +1 undo,        one semop: commit.  The
 *    FULL +1, HEAD +1 (or back to 0)}             FREE pair keeps the slot
 *                                                 but cancels its undo
 * A client killed before the commit is undone completely: FREE and MUTEX
 * come back, HEAD did not move, and its half-written slot is overwritten
 * by the next client.  After the commit it owes nothing.
 *
 * Daemon, per message:
 *   {FULL -1 undo}; read slot[TAIL]; write it to the log file
 *   {FULL +1 undo, FULL -1, FREE +1, TAIL +1 (or back to 0)}
 * A daemon killed in between gets FULL back, TAIL did not move: the next
 * daemon logs that message again (at least once, never lost).
 *
 * Start-up: the daemon creates the set with IPC_CREAT|IPC_EXCL, sets the
 * values, builds the segment, and only then does its first semop -- {ALIVE
 * wait for 0, ALIVE +1 undo} -- which sets sem_otime.  Others wait for
 * sem_otime != 0 before trusting anything (the seeds' sem_otime technique).
 * A later daemon that finds the set with ALIVE 0 adopts the ring of the
 * dead one, with that same semop, so two restarting daemons cannot both
 * adopt it.
 */
#ifndef EX_LOGRING_H
#define EX_LOGRING_H

#include <stdint.h>

#define LOG_KEY		0x75690001
#define LOG_MAGIC	0x4c4f4731u	/* "LOG1" */
#define LOG_TEXT_MAX	1000
#define LOG_SLOTS	16
#define LOG_SLOTS_MAX	4096

enum { LOG_MUTEX, LOG_FREE, LOG_FULL, LOG_HEAD, LOG_TAIL, LOG_ALIVE, LOG_NSEMS };

struct log_slot {
	int32_t pid;		/* the client that logged it */
	uint32_t seq;		/* the client's record number, from 1 */
	int64_t sec;		/* CLOCK_REALTIME when it was logged */
	int32_t nsec;
	uint32_t len;		/* bytes of text, <= LOG_TEXT_MAX */
	char text[LOG_TEXT_MAX];
};

struct log_ring {
	uint32_t magic;		/* LOG_MAGIC */
	uint32_t nslots;	/* number of slots */
	uint32_t slot_size;	/* sizeof(struct log_slot) */
	int32_t daemon_pid;	/* the daemon that built it (for messages) */
	struct log_slot slot[];
};

/*
 * Check a ring found in a segment of segsz bytes: the segment is input
 * from other processes and may be anything.  Returns 0 or -1.
 */
static inline int log_ring_check(const struct log_ring *r, size_t segsz)
{
	if (segsz < sizeof(*r) || r->magic != LOG_MAGIC ||
	    r->slot_size != sizeof(struct log_slot) ||
	    r->nslots < 2 || r->nslots > LOG_SLOTS_MAX ||
	    segsz < sizeof(*r) + (size_t)r->nslots * sizeof(struct log_slot))
		return -1;
	return 0;
}

#endif /* EX_LOGRING_H */
