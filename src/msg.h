/* SPDX-License-Identifier: MIT */
/*
 * msg.h - between msg.c (get/ctl) and msgop.c (storage, send, receive).
 */
#ifndef UIPC_MSG_H
#define UIPC_MSG_H

#include <sys/msg.h>

#include "internal.h"

int msg_get(key_t key, int msgflg);
int msg_ctl(int msqid, int cmd, struct msqid_ds *buf);
int msg_snd(int msqid, const void *msgp, size_t msgsz, int msgflg,
	    const struct timespec *timeout);
ssize_t msg_rcv(int msqid, void *msgp, size_t msgsz, long msgtyp,
		int msgflg, const struct timespec *timeout);

/* msgop.c: the queue's storage and waiters */
int msq_geometry(long msgmnb, size_t *body, size_t *journal, size_t *data);
int msq_init(struct obj *o, uint64_t qbytes);
int msq_validate(struct obj *o);
void msq_totals(int *msgs, int *bytes);
int msq_set_qbytes(struct obj *o, uint64_t qbytes);
void msq_after_set(struct obj *o);
bool msq_settle(struct obj *o);
void msq_reopen(struct obj *o);
void msq_rmid_locked(struct obj *o);
void msq_rmid_after(struct obj *o);

/* msgctl's counters and statistics, the ring's messages included */
struct msq_report {
	uint64_t qnum, cbytes;
	uint32_t lspid, lrpid;
	int64_t stime, rtime;
};
void msq_report(struct obj *o, struct msq_report *r);

#endif /* UIPC_MSG_H */
