// SPDX-License-Identifier: MIT
/*
 * binsem.h - binary semaphores on a System V semaphore set of one.
 *
 * Two ways to open one shared by key without the initialisation race of
 * the classic helpers (semget, then semctl(SETALL) by whoever comes: a late
 * SETALL can "unlock" a semaphore that someone already holds):
 *
 *  A. binsem_open():  the sem_otime handshake.  Whoever creates the set
 *     (IPC_CREAT|IPC_EXCL wins for exactly one process) initialises it and
 *     then does one semop, which sets sem_otime.  Everybody else waits for
 *     sem_otime != 0 before touching it.  Value 1 means free.  Portable to
 *     any SUSv3 system.
 *
 *  B. binsem0_open(): nothing to initialise.  A new set's values are 0
 *     (Linux guarantees it, and uipc publishes an object under its key only
 *     once it is complete, so nobody can see a half-made set).  So let 0
 *     mean free: lock is {wait for 0, then +1} in one atomic semop, unlock
 *     is -1.  Two processes racing IPC_CREAT get the same set, and both
 *     find it ready.
 *
 * Every lock/unlock uses SEM_UNDO: a holder that dies is unlocked for it.
 */
#ifndef EX_BINSEM_H
#define EX_BINSEM_H

#include <sys/types.h>

/* Method A.  Returns the set id, or -1/errno (ETIMEDOUT: creator died). */
int binsem_open(key_t key, int mode, long timeout_ms);
int binsem_wait(int semid);		/* P: -1, blocks while 0 */
int binsem_post(int semid);		/* V: +1 */

/* Method B.  Returns the set id, or -1/errno. */
int binsem0_open(key_t key, int mode);
int binsem0_lock(int semid);		/* wait for 0, then +1 */
int binsem0_unlock(int semid);		/* -1 */

/* Both methods: remove the set; every waiter wakes with EIDRM. */
int binsem_remove(int semid);

#endif /* EX_BINSEM_H */
