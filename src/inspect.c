// SPDX-License-Identifier: MIT
/*
 * inspect.c - who uses an object: uipc_users() and uipc_rmid_stale().
 *
 * Behaviour: an extension for the tools.  The users of an object are its
 * creator, the processes holding shared memory attachments or SEM_UNDO
 * adjustments on it, those blocked in an operation on it, and those that
 * did the last operation.  Each is reported with whether it is alive.
 * Listing takes no lock (a crashed holder cannot stall it) and repairs
 * nothing; in the read-only modes it reads a consistent copy (ipc_view()).  An object is stale when none of its users is alive;
 * uipc_rmid_stale() removes one, after checking again under the locks.
 *
 * Internals: the types report their users through ipc_user_fn (sem.c,
 * shm.c, msgop.c); they read the mapping racily but within the bounds
 * of the geometry validated when it was mapped.
 */
#include <signal.h>

#include "internal.h"
#include "msg.h"
#include "uipc.h"

#define UIPC_API __attribute__((visibility("default")))

struct ulist {
	struct uipc_user *buf;
	int n, count, alive;
};

static void add(void *ctx, pid_t pid, uint64_t start, int kind, int count,
		bool has_start)
{
	struct ulist *l = ctx;
	int alive;

	if (pid <= 0)
		return;
	alive = has_start ? proc_alive(pid, start) :
			    !(kill(pid, 0) < 0 && errno == ESRCH);
	l->alive += alive;
	if (l->count < l->n) {
		struct uipc_user *u = &l->buf[l->count];

		u->pid = pid;
		u->kind = kind;
		u->count = count;
		u->alive = alive;
	}
	l->count++;
}

static void collect(struct obj *o, struct ulist *l)
{
	add(l, (pid_t)READ_ONCE(o->hdr->creator_pid),
	    READ_ONCE(o->hdr->creator_start), UIPC_USER_CREATOR, 1, true);
	if (o->type == UIPC_T_MSG)
		msq_users(o, add, l);
	else if (o->type == UIPC_T_SEM)
		sem_users(o, add, l);
	else
		shm_users(o, add, l);
}

static int type_ok(int type)
{
	return type == UIPC_MSG || type == UIPC_SEM || type == UIPC_SHM ?
	       0 : -EINVAL;
}

UIPC_API int uipc_users(int type, int id, struct uipc_user *buf, int n)
{
	struct ulist l = { .buf = buf, .n = n < 0 ? 0 : n };
	struct obj *o;

	if (type_ok(type) || id < 0 || (n > 0 && ipc_ptr_ok(buf))) {
		errno = type_ok(type) || id < 0 ? EINVAL : EFAULT;
		return -1;
	}
	ns_call_begin();
	proc_refresh_creds();
	o = ipc_obj_get(type, id);
	if (IS_ERR(o)) {
		errno = (int)-PTR_ERR(o);
		return -1;
	}
	if (ipc_quiet_reads()) {
		/* a consistent copy, not repaired: dead users stay listed */
		struct obj *v = view_take(o);

		if (IS_ERR(v)) {
			ipc_obj_put(o);
			errno = (int)-PTR_ERR(v);
			return -1;
		}
		collect(v, &l);
		ipc_read_end(o, v);
	} else {
		collect(o, &l);
	}
	ipc_obj_put(o);
	return l.count;
}

/* Under the object lock: still stale?  Then remove it. */
static int rmid_stale(struct obj *o)
{
	struct ulist l = { 0 };
	int err = 0;

	ipc_obj_lock(o);
	if (READ_ONCE(o->hdr->state) != UIPC_S_LIVE) {
		err = -EINVAL;
	} else {
		collect(o, &l);
		if (l.alive) {
			err = -EBUSY;
		} else {
			if (o->type == UIPC_T_MSG)
				msq_rmid_locked(o);	/* closes the ring */
			ipc_remove_locked(o);
		}
	}
	ipc_obj_unlock(o);
	if (!err)
		ipc_unlink(o);
	return err;
}

UIPC_API int uipc_rmid_stale(int type, int id)
{
	struct obj *o;
	int err;

	if (type_ok(type) || id < 0) {
		errno = EINVAL;
		return -1;
	}
	ns_call_begin();
	if (ipc_readonly()) {
		errno = EROFS;
		return -1;
	}
	proc_refresh_creds();
	o = ipc_obj_get(type, id);
	if (IS_ERR(o)) {
		errno = (int)-PTR_ERR(o);
		return -1;
	}
	err = ipc_is_owner(&o->hdr->perm) ? rmid_stale(o) : -EPERM;
	ipc_obj_put(o);
	if (err) {
		errno = -err;
		return -1;
	}
	return 0;
}
