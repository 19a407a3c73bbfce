// SPDX-License-Identifier: MIT
/* xfr.c - helpers shared by xfr-writer and xfr-reader; see xfr.h. */
#include <errno.h>

#include "util.h"
#include "xfr.h"

int xfr_op(int semid, int num, int op, int (*peer_alive)(int semid))
{
	struct sembuf sop = { (unsigned short)num, (short)op, 0 };

	for (;;) {
		struct timespec ts = ex_ms_ts(1000);

		if (uipc_semtimedop(semid, &sop, 1, &ts) == 0)
			return 0;
		if (errno == EINTR && !ex_stop)
			continue;
		if (errno != EAGAIN)
			return -1;
		if (ex_stop) {
			errno = EINTR;
			return -1;
		}
		if (peer_alive && !peer_alive(semid)) {
			errno = ESRCH;
			return -1;
		}
	}
}

int xfr_holder_alive(int semid, int num)
{
	int v = uipc_semctl(semid, num, GETVAL);

	return v != 0;		/* -1 (gone) counts as alive: the op says why */
}

void xfr_remove(int semid, int shmid)
{
	if (shmid >= 0 && uipc_shmctl(shmid, IPC_RMID, NULL) < 0 &&
	    errno != EINVAL && errno != EIDRM)
		ex_warn("shmctl(%d, IPC_RMID)", shmid);
	if (semid >= 0 && uipc_semctl(semid, 0, IPC_RMID) < 0 &&
	    errno != EINVAL && errno != EIDRM)
		ex_warn("semctl(%d, IPC_RMID)", semid);
}
