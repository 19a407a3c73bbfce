// SPDX-License-Identifier: MIT
/*
 * lease.c - who holds an object's lock, as the kernel vouches for it.
 *
 * Behaviour: none visible.  A lock holder must be known alive, in every
 * PID namespace that shares the directory, without a pid: a pid and a
 * start time read from /proc mean nothing in another PID namespace, and a
 * forged pair (a live pid, no start time) would hold everyone up.
 *
 * Internals: each process that locks an object holds a lease on it: an
 * open file description lock (F_OFD_SETLK, write) on one byte of the
 * object's file, at UIPC_LEASE_BASE + slot, far beyond its end.  Slots
 * come from a counter in the object's header, so that a slot is not
 * handed out again soon: a dead holder's slot, still named by a lock
 * word, cannot come alive again in another process (a writer that winds
 * the counter back can hold its own object up, as it could by holding
 * its lock).  The lock word names
 * the slot (struct uipc_lock).  The kernel drops the lease when the last
 * descriptor of that file description closes, which it does when the
 * process dies, however it dies; so a contender asks the kernel
 * (F_OFD_GETLK) whether the slot's byte is still write-locked: no means
 * the holder is dead.  The kernel answers the same in every PID
 * namespace.  Only a process that may write the file can place a write
 * lock, so a reader cannot keep a dead holder alive; a writer that holds
 * a lease and writes its slot into the word holds the lock as a stopped
 * holder would (docs/differences.md).
 *
 * The lease's descriptor stays open with the object's mapping (one per
 * object this process locks; close-on-exec).  A child of fork() shares
 * the parent's file descriptions, and with them its leases: it closes its
 * copies (ipc.c's fork handler) and takes leases of its own when it first
 * locks, so a parent's death is seen while its children live.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/*
 * lease_take - take a lease on the file open at @fd (for writing), at the
 * next slot of @next (its header's counter): returns the slot, or -errno.
 */
int lease_take(int fd, uint64_t *next)
{
	for (int tries = 0; tries < 16; tries++) {
		uint32_t slot = (uint32_t)(fetch_add(next, 1) %
					   UIPC_LOCK_SLOTMASK) + 1;
		struct flock fl = {
			.l_type = F_WRLCK, .l_whence = SEEK_SET,
			.l_start = (off_t)(UIPC_LEASE_BASE + slot), .l_len = 1,
		};

		if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
			return (int)slot;
		if (errno != EAGAIN && errno != EACCES)
			return -errno;
		/* somebody's: another slot */
	}
	return -EAGAIN;
}

/*
 * lease_alive - does somebody hold the lease of @slot on the file open at
 * @fd?  Asked of the kernel; a question it cannot answer counts as yes
 * (never take a lock over on a doubt).
 */
bool lease_alive(int fd, uint32_t slot)
{
	struct flock fl = {
		.l_type = F_RDLCK, .l_whence = SEEK_SET,
		.l_start = (off_t)(UIPC_LEASE_BASE + slot), .l_len = 1,
	};

	if (fd < 0 || fcntl(fd, F_OFD_GETLK, &fl) < 0) {
		return true;
	}
	return fl.l_type != F_UNLCK;
}
