// SPDX-License-Identifier: MIT
/*
 * msgop.c - message storage, msgsnd and msgrcv.
 *
 * Not written yet: this first version gives a queue its counters only, and
 * msgsnd/msgrcv fail with ENOSYS.
 */
#include "msg.h"

int msq_geometry(long msgmnb, size_t *body, size_t *journal, size_t *data)
{
	*body = sizeof(struct uipc_msq);
	*journal = 32 * sizeof(struct uipc_jent);
	*data = 0;
	return 0;
}

int msq_init(struct obj *o, uint64_t qbytes)
{
	struct uipc_msq *q = (struct uipc_msq *)(o->base + o->hdr->body_off);

	q->qbytes = qbytes;
	return 0;
}

int msq_validate(struct obj *o)
{
	if (o->hdr->body_size < sizeof(struct uipc_msq))
		return UIPC_CORRUPT;
	o->u.msg.q = (struct uipc_msq *)(o->base + o->hdr->body_off);
	return 0;
}

void msq_repair(struct obj *o)
{
}

void msq_reap(struct obj *o)
{
}

void msq_totals(int *msgs, int *bytes)
{
	*msgs = 0;
	*bytes = 0;
}

int msq_set_qbytes(struct obj *o, uint64_t qbytes)
{
	jw64(&o->jc, &o->u.msg.q->qbytes, qbytes);
	return 0;
}

void msq_after_set(struct obj *o)
{
}

void msq_rmid_locked(struct obj *o)
{
}

void msq_rmid_after(struct obj *o)
{
}

int msg_snd(int msqid, const void *msgp, size_t msgsz, int msgflg,
	    const struct timespec *timeout)
{
	return -ENOSYS;
}

ssize_t msg_rcv(int msqid, void *msgp, size_t msgsz, long msgtyp,
		int msgflg, const struct timespec *timeout)
{
	return -ENOSYS;
}
