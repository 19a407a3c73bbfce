// SPDX-License-Identifier: MIT
/*
 * msg.c - message queues: msgget, msgctl (and, in msgop.c, msgsnd/msgrcv).
 *
 * Behaviour (kernel ipc/msg.c): a new queue has msg_qbytes = msgmnb at
 * the time of creation.  msgctl follows ksys_msgctl(): msqid < 0 or cmd < 0
 * is EINVAL before anything else; IPC_SET reads the caller's buffer first
 * (EFAULT), then looks the queue up (EINVAL), then checks ownership
 * (EPERM), then the qbytes limit (EPERM unless privileged), then the new
 * uid/gid (EINVAL).  IPC_STAT and MSG_STAT need read permission;
 * MSG_STAT_ANY does not.  MSG_STAT and MSG_STAT_ANY take an index and
 * return the queue's id; IPC_INFO and MSG_INFO return the highest index
 * in use.
 */
#include <string.h>

#include "internal.h"
#include "msg.h"

/* The kernel's compile-time constants that msgctl(IPC_INFO) reports. */
#define MSGMNI_K	32000
#define MSGMNB_K	16384
#define MSGSSZ_K	16
#define MSGSEG_K	0xffff

static int msg_geometry(const struct ipc_params *p, size_t *body,
			size_t *journal, size_t *data)
{
	return msq_geometry(lim_cached()->msgmnb, body, journal, data);
}

static int msg_init(struct obj *o, const struct ipc_params *p)
{
	return msq_init(o, (uint64_t)lim_cached()->msgmnb);
}

/*
 * After a dead holder the journal restores the queue, and ring_close()
 * (msgop.c) moves the messages left ABSORBING into it.
 */
const struct ipc_ops msg_ops = {
	.geometry = msg_geometry,
	.init = msg_init,
	.validate = msq_validate,
	.lazy_data = true,
};

int msg_get(key_t key, int msgflg)
{
	struct ipc_params p = { .key = key, .flg = msgflg };

	return ipcget(UIPC_T_MSG, &p);
}

static int msg_info(int cmd, struct msginfo *mi)
{
	struct uipc_limits lim;
	uint32_t in_use;
	uint64_t used;
	int err;

	lim_get(&lim);
	memset(mi, 0, sizeof(*mi));
	mi->msgmni = lim.msgmni;
	mi->msgmax = lim.msgmax;
	mi->msgmnb = lim.msgmnb;
	mi->msgssz = MSGSSZ_K;
	mi->msgseg = MSGSEG_K;
	if (cmd == MSG_INFO) {
		err = ipc_counts(UIPC_T_MSG, &in_use, &used);
		if (err)
			return err;
		mi->msgpool = in_use;
		msq_totals(&mi->msgmap, &mi->msgtql);
	} else {
		mi->msgmap = MSGMNB_K;
		mi->msgpool = MSGMNI_K * MSGMNB_K / 1024;
		mi->msgtql = MSGMNB_K;
	}
	return ipc_max_idx(UIPC_T_MSG);
}

static void msg_fill(struct obj *o, struct msqid_ds *ds)
{
	struct msq_report r;

	msq_report(o, &r);
	memset(ds, 0, sizeof(*ds));
	ipc_fill_perm(o->hdr, &ds->msg_perm);
	ds->msg_stime = r.stime;
	ds->msg_rtime = r.rtime;
	ds->msg_ctime = READ_ONCE(o->hdr->ctime);
	ds->__msg_cbytes = r.cbytes;
	ds->msg_qnum = r.qnum;
	ds->msg_qbytes = READ_ONCE(o->u.msg.q->qbytes);
	ds->msg_lspid = r.lspid;
	ds->msg_lrpid = r.lrpid;
}

static int msg_stat(int msqid, int cmd, struct msqid_ds *buf)
{
	struct msqid_ds ds;
	struct obj *o, *r;
	bool settled;
	int err;

	err = ipc_stat_get(UIPC_T_MSG, msqid, cmd == IPC_STAT, cmd == MSG_STAT_ANY, &o);
	if (err)
		return err;
	r = ipc_read_begin(o);	/* locked, or a view (read-only modes) */
	if (IS_ERR(r) || READ_ONCE(r->hdr->state) != UIPC_S_LIVE) {
		err = IS_ERR(r) ? (int)PTR_ERR(r) : -EIDRM;
		ipc_read_end(o, r);
		ipc_obj_put(o);
		return err;
	}
	settled = r == o && msq_settle(o);	/* a view: see docs/tools.md */
	msg_fill(r, &ds);
	if (r == o)
		msq_reopen(o);
	ipc_read_end(o, r);
	if (settled)
		msq_after_set(o);
	err = cmd == IPC_STAT ? 0 : o->id;
	ipc_obj_put(o);
	if (ipc_ptr_ok(buf))
		return -EFAULT;
	*buf = ds;
	return err;
}

static int msg_set(int msqid, const struct msqid_ds *in)
{
	struct obj *o;
	int err;

	o = ipc_obj_get(UIPC_T_MSG, msqid);
	if (IS_ERR(o))
		return PTR_ERR(o);
	if (!ipc_is_owner(&o->hdr->perm)) {
		err = -EPERM;
		goto out;
	}
	if (in->msg_qbytes > (msglen_t)lim_cached()->msgmnb &&
	    !ipc_capable_init()) {
		err = -EPERM;
		goto out;
	}
	ipc_obj_lock(o);
	if (READ_ONCE(o->hdr->state) != UIPC_S_LIVE) {
		err = -EIDRM;
	} else {
		err = ipc_set_perm(o, &in->msg_perm);
		if (!err)
			err = msq_set_qbytes(o, in->msg_qbytes);
		msq_reopen(o);
	}
	ipc_obj_unlock(o);
	if (!err) {
		msq_after_set(o);
		ipc_set_done(o);
	}
out:
	ipc_obj_put(o);
	return err;
}

static int msg_rmid(int msqid)
{
	struct obj *o = ipc_obj_get(UIPC_T_MSG, msqid);
	int err;

	if (IS_ERR(o))
		return ipc_rmid_broken(UIPC_T_MSG, msqid, PTR_ERR(o));
	if (!ipc_is_owner(&o->hdr->perm))
		err = -EPERM;
	else
		err = ipc_rmid_common(o, msq_rmid_locked, msq_rmid_after);
	ipc_obj_put(o);
	return err;
}

/* msgctl (kernel ksys_msgctl()). */
int msg_ctl(int msqid, int cmd, struct msqid_ds *buf)
{
	struct msginfo mi;
	struct msqid_ds in;
	int ret;

	if (msqid < 0 || cmd < 0)
		return -EINVAL;
	cmd &= ~IPC_64;
	proc_refresh_creds();
	switch (cmd) {
	case IPC_INFO:
	case MSG_INFO:
		ret = msg_info(cmd, &mi);
		if (ret < 0)
			return ret;
		if (ipc_ptr_ok(buf))
			return -EFAULT;
		memcpy(buf, &mi, sizeof(mi));
		return ret;
	case MSG_STAT:
	case MSG_STAT_ANY:
	case IPC_STAT:
		return msg_stat(msqid, cmd, buf);
	case IPC_SET:
		if (ipc_readonly())
			return -EROFS;
		if (ipc_ptr_ok(buf))
			return -EFAULT;
		in = *buf;
		return msg_set(msqid, &in);
	case IPC_RMID:
		if (ipc_readonly())
			return -EROFS;
		return msg_rmid(msqid);
	default:
		return -EINVAL;
	}
}
