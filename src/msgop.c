// SPDX-License-Identifier: MIT
/*
 * msgop.c - message storage, msgsnd and msgrcv.
 *
 * Behaviour (kernel ipc/msg.c): a message fits when msg_cbytes plus its
 * size stays within msg_qbytes and msg_qnum plus one does too (the kernel
 * bounds the count by msg_qbytes as well).  Receive selects the first
 * message (msgtyp 0), the first of type msgtyp (> 0), the first not of
 * that type (MSG_EXCEPT), or the first of the lowest type <= |msgtyp|
 * (< 0); MSG_COPY copies message number msgtyp without removing it and
 * requires IPC_NOWAIT.  A message longer than the buffer is E2BIG unless
 * MSG_NOERROR truncates it (and then it is removed).  Blocked senders and
 * receivers wake on a matching change, EIDRM on removal, EINTR on a
 * signal, EAGAIN when the extension's timeout passes.
 *
 * Internals: the queue file holds a chain of 64-byte chunks per message
 * (struct uipc_msghdr, then uipc_msgcont), so storage never fragments:
 * a message needs one chunk per 60 bytes beyond the first 40, wherever
 * they are.  The chunk area is sized for msg_qbytes up to
 * max(4 * msgmnb, 1 MiB) and backed by fallocate as it is first used.
 * A send takes chunks from the free list (whose links, kept in the order
 * chains were returned, already chain them), fills them in one pass
 * (unreachable until linked, so a crash leaves nothing), then links the
 * message through the journal; a receive copies out, then unlinks it and
 * returns the chain to the free list in two journalled stores.  A long
 * message (MSG_FLIGHT_MIN bytes or more) is instead taken off the queue
 * first and recorded in an in-flight record (struct uipc_msgflight,
 * owner and chain) so that the receiver copies it out without the lock
 * while a sender fills the next one; then the chain goes back.  The
 * chain of a receiver that died copying is reclaimed when records or
 * chunks run short (flight_reap), and removal keeps the memory while a
 * copy may be in flight.  Chains are mostly consecutive chunks, which
 * next_link() turns into memory-level parallelism when copying.  Waiters (struct uipc_msgwait) are woken to
 * retry: the first matching receiver when a message arrives, every sender
 * when room is made.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <unistd.h>

#include "msg.h"

#define MSG_NSLOTS	64
#define MSG_NFLIGHT	8	/* long messages copied out without the lock */
#define MSG_FLIGHT_MIN	1024	/* bytes: shorter ones are copied under it */
#define MSG_GROW_CHUNKS	1024	/* chunks reserved at a time (64 KiB) */
#define MSG_SPINS	8	/* changes watched before sleeping */

#ifndef MSG_COPY
#define MSG_COPY	040000
#endif

static uint64_t cap_bytes(long msgmnb)
{
	uint64_t c = (uint64_t)msgmnb * 4;

	return c < (1u << 20) ? (1u << 20) : c;
}

int msq_geometry(long msgmnb, size_t *body, size_t *journal, size_t *data)
{
	uint64_t cap = cap_bytes(msgmnb);
	uint64_t chunks = cap + cap / 40 + 2;

	if (chunks > UINT32_MAX / 2)
		return -ENOMEM;
	*body = sizeof(struct uipc_msq) + MSG_NSLOTS * sizeof(struct uipc_msgwait) +
		MSG_NFLIGHT * sizeof(struct uipc_msgflight);
	*journal = 64 * sizeof(struct uipc_jent);
	*data = chunks * UIPC_MSG_CHUNK;
	return 0;
}

int msq_init(struct obj *o, uint64_t qbytes)
{
	struct uipc_msq *q = (struct uipc_msq *)(o->base + o->hdr->body_off);
	size_t body, journal, data = 0;
	int err;

	q->qbytes = qbytes;
	err = msq_geometry(lim_cached()->msgmnb, &body, &journal, &data);
	if (err)
		return err;
	q->nchunks = (uint32_t)(data / UIPC_MSG_CHUNK);
	q->chunks_off = (uint32_t)(o->size - data);
	q->nslots = MSG_NSLOTS;
	q->slots_off = o->hdr->body_off + sizeof(*q);
	for (uint32_t i = 0; i < MSG_NSLOTS; i++) {
		err = wt_init(&((struct uipc_msgwait *)(o->base + q->slots_off) + i)->w);
		if (err)
			return err;
	}
	return 0;
}

int msq_validate(struct obj *o)
{
	struct uipc_hdr *h = o->hdr;
	struct uipc_msq *q;

	if (h->body_size < sizeof(*q) + MSG_NSLOTS * sizeof(struct uipc_msgwait) +
			   MSG_NFLIGHT * sizeof(struct uipc_msgflight))
		return UIPC_CORRUPT;
	q = (struct uipc_msq *)(o->base + h->body_off);
	if (q->nslots != MSG_NSLOTS || q->slots_off != h->body_off + sizeof(*q) ||
	    q->chunks_off < (uint64_t)h->body_off + h->body_size ||
	    q->chunks_off % UIPC_MSG_CHUNK ||
	    (uint64_t)q->chunks_off + (uint64_t)q->nchunks * UIPC_MSG_CHUNK != o->size)
		return UIPC_CORRUPT;
	o->u.msg.q = q;
	o->u.msg.chunks = o->base + q->chunks_off;
	o->u.msg.slots = (struct uipc_msgwait *)(o->base + q->slots_off);
	o->u.msg.flights = (struct uipc_msgflight *)(o->u.msg.slots + MSG_NSLOTS);
	o->u.msg.nchunks = q->nchunks;
	return 0;
}

/* ---- chunks ---- */

/* Chunk @link (index + 1), or NULL if out of range (corrupt). */
static void *chunk(struct obj *o, uint32_t link)
{
	if (!link || link > o->u.msg.nchunks ||
	    link > READ_ONCE(o->u.msg.q->hw))
		return NULL;
	return o->u.msg.chunks + (size_t)(link - 1) * UIPC_MSG_CHUNK;
}

static uint32_t chunks_for(size_t len)
{
	if (len <= UIPC_MSG_HDR_DATA)
		return 1;
	return 1 + (uint32_t)((len - UIPC_MSG_HDR_DATA + UIPC_MSG_CONT_DATA - 1) /
			      UIPC_MSG_CONT_DATA);
}

/* Back chunks [reserved, reserved + n) with memory.  Lock held. */
static int reserve_chunks(struct obj *o, uint32_t upto)
{
	struct uipc_msq *q = o->u.msg.q;
	uint32_t have = READ_ONCE(q->reserved_chunks);
	uint32_t want;
	int err;

	if (upto <= have)
		return 0;
	want = upto + MSG_GROW_CHUNKS;
	if (want > o->u.msg.nchunks)
		want = o->u.msg.nchunks;
	err = ipc_reserve(o, (uint64_t)q->chunks_off + (uint64_t)have * UIPC_MSG_CHUNK,
			  (uint64_t)(want - have) * UIPC_MSG_CHUNK);
	if (err)
		return err;
	jw32(&o->jc, &q->reserved_chunks, want);
	return 0;
}

/*
 * The link after @cur given the stored @next.  Chains are mostly
 * consecutive chunks: on that path the address of the next chunk does not
 * wait for the load of the link (a predicted branch, not a data
 * dependency), so copying a long message overlaps its cache misses.
 */
static inline uint32_t next_link(uint32_t cur, uint32_t next)
{
	if (__builtin_expect(next == cur + 1, 1)) {
		__asm__("" : "+r"(cur));	/* keep it a branch */
		return cur + 1;
	}
	return next;
}

/* ---- waiters ---- */

static struct uipc_msgwait *msg_enqueue(struct obj *o, uint32_t kind,
					int64_t type, uint64_t size, int flags)
{
	struct uipc_msq *q = o->u.msg.q;

	for (uint32_t i = 0; i < MSG_NSLOTS; i++) {
		struct uipc_msgwait *mw = &o->u.msg.slots[i];

		if (READ_ONCE(mw->w.state) != UIPC_W_FREE)
			continue;
		if (!jn_room(&o->jc, 12))
			jn_commit(&o->jc);
		if (wt_claim(o, &mw->w, READ_ONCE(q->wseq) + 1, kind))
			continue;
		if (i >= READ_ONCE(q->slots_hw))
			jw32(&o->jc, &q->slots_hw, i + 1);
		jw64(&o->jc, &q->wseq, READ_ONCE(q->wseq) + 1);
		jws64(&o->jc, &mw->type, type);
		jw64(&o->jc, &mw->size, size);
		jws32(&o->jc, &mw->flags, flags);
		return mw;
	}
	return NULL;
}

static bool type_matches(int64_t mtype, long msgtyp, int flags)
{
	if (msgtyp == 0)
		return true;
	if (msgtyp > 0)
		return flags & MSG_EXCEPT ? mtype != msgtyp : mtype == msgtyp;
	return mtype <= -msgtyp;
}

/* Tell waiters of @kind to retry: all, or the first live one matching @mtype. */
static uint32_t msg_wake_mark(struct obj *o, uint32_t kind, bool all,
			      int64_t mtype, uint32_t *wake)
{
	uint32_t nw = 0, hw = READ_ONCE(o->u.msg.q->slots_hw);

	if (hw > MSG_NSLOTS)
		hw = MSG_NSLOTS;
	for (;;) {
		struct uipc_msgwait *best = NULL;

		for (uint32_t i = 0; i < hw; i++) {
			struct uipc_msgwait *mw = &o->u.msg.slots[i];

			if (READ_ONCE(mw->w.state) != UIPC_W_WAIT ||
			    READ_ONCE(mw->w.kind) != kind)
				continue;
			if (kind == UIPC_MSGW_RECV &&
			    !type_matches(mtype, (long)READ_ONCE(mw->type),
					  READ_ONCE(mw->flags)))
				continue;
			if (!best || READ_ONCE(mw->w.seq) < READ_ONCE(best->w.seq))
				best = mw;
		}
		if (!best)
			return nw;
		if (!jn_room(&o->jc, 3))
			jn_commit(&o->jc);
		if (wt_alive(o, &best->w)) {
			wt_complete(o, &best->w, 0, UIPC_W_RETRY);
			wake[nw++] = (uint32_t)(best - o->u.msg.slots);
			if (!all)
				return nw;
		}
	}
}

static void msg_wake(struct obj *o, const uint32_t *wake, uint32_t nw)
{
	for (uint32_t i = 0; i < nw; i++)
		fx_wake(&o->u.msg.slots[wake[i]].w.state, 1);
}

/*
 * Sleep in @mw until woken, the deadline, or a signal; then take the slot
 * back.  Returns 0 (retry), or -EINTR/-EAGAIN/-EIDRM.  Lock NOT held on
 * entry; held on return.
 */
static int msg_sleep(struct obj *o, struct uipc_msgwait *mw,
		     const struct timespec *deadline, const sigset_t *old)
{
	int r = wt_sleep(&mw->w, deadline, 0, old, false);

	ipc_obj_lock(o);
	if (READ_ONCE(mw->w.state) == UIPC_W_DONE)
		r = READ_ONCE(mw->w.result);
	else if (READ_ONCE(mw->w.state) == UIPC_W_RETRY)
		r = 0;
	wt_release(o, &mw->w);
	if (READ_ONCE(o->hdr->state) != UIPC_S_LIVE)
		r = -EIDRM;
	return r;
}

/*
 * msg_wait - queue ourselves as a waiting sender or receiver and sleep
 * until told to retry.  Lock held on entry and on return.  Returns 0
 * (retry), -EINTR, -EAGAIN (deadline) or -EIDRM.  With every slot taken
 * we poll instead (see docs).
 */
static int msg_wait(struct obj *o, uint32_t kind, long type, size_t size,
		    int flags, const struct timespec *deadline)
{
	struct uipc_msgwait *mw = msg_enqueue(o, kind, type, size, flags);
	struct timespec nap = { 0, 2000000 };
	sigset_t oldmask;
	int r = 0;

	if (mw) {
		wt_block(&oldmask);
		ipc_obj_unlock(o);
		return msg_sleep(o, mw, deadline, &oldmask);
	}
	ipc_obj_unlock(o);
	if (nanosleep(&nap, NULL) < 0)
		r = -EINTR;
	ipc_obj_lock(o);
	return r;
}

static void msg_hint(struct uipc_msq *q)
{
	wt_hint(&q->last_pid, &q->last_cpu, &q->prev_cpu);
	/* what spinners watch: unlike qnum it never comes back (ABA) */
	WRITE_ONCE(q->opseq, READ_ONCE(q->opseq) + 1);
}

static uint32_t msg_partner_cpu(struct uipc_msq *q)
{
	return wt_partner_cpu(&q->last_pid, &q->last_cpu, &q->prev_cpu);
}

static void flight_reap(struct obj *o);

/* ---- msgsnd ---- */

static bool fits(struct uipc_msq *q, size_t msgsz)
{
	uint64_t qb = READ_ONCE(q->qbytes);

	return msgsz + READ_ONCE(q->cbytes) <= qb && 1 + READ_ONCE(q->qnum) <= qb;
}

/*
 * Store a message at the tail.  Lock held.  0, 1 (no room), or -errno.
 * The free list keeps the order of the chains returned to it, so its
 * links already chain the chunks we take: one pass fills them (no walk
 * ahead), and only the last one's link changes.  Chunks never handed
 * out follow.  Unreachable until linked, so a crash leaves nothing.
 */
static int msg_store(struct obj *o, long mtype, const char *text, size_t len)
{
	struct uipc_msq *q = o->u.msg.q;
	uint32_t n = chunks_for(len), nfree = READ_ONCE(q->nfree);
	uint32_t hw = READ_ONCE(q->hw), first, cur;
	uint32_t from_free = n < nfree ? n : nfree;
	struct uipc_msghdr *h;
	size_t done;
	int err;

	if (nfree > o->u.msg.nchunks)
		return UIPC_CORRUPT;
	if (n - from_free > o->u.msg.nchunks - hw)
		return 1;
	if (!jn_room(&o->jc, 16))
		jn_commit(&o->jc);
	if (n > from_free) {
		err = reserve_chunks(o, hw + (n - from_free));
		if (err)
			return err;
		/* handed out from here on (chunk() checks links against it) */
		jw32(&o->jc, &q->hw, hw + (n - from_free));
	}
	first = from_free ? READ_ONCE(q->free) : hw + 1;
	cur = first;
	done = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct uipc_msgcont *c = chunk(o, cur);
		size_t room = i ? UIPC_MSG_CONT_DATA : UIPC_MSG_HDR_DATA;
		size_t k = len - done < room ? len - done : room;
		uint32_t next;

		if (!c)
			return UIPC_CORRUPT;
		if (i < from_free) {
			next = READ_ONCE(c->next);
			if (i + 1 == from_free) {
				/* the rest of the free list starts here */
				jw32(&o->jc, &q->free, next);
				next = n > from_free ? hw + 1 : 0;
				jw32(&o->jc, &c->next, next);
			}
		} else {
			next = i + 1 < n ? cur + 1 : 0;
			WRITE_ONCE(c->next, next);
		}
		if (i == 0) {
			h = (struct uipc_msghdr *)c;
			h->next_msg = 0;
			h->type = mtype;
			h->len = (uint32_t)len;
			h->nchunks = n;
			memcpy(h->data, text, k);
		} else {
			memcpy(c->data, text + done, k);
		}
		done += k;
		cur = next_link(cur, next);
	}
	if (from_free)
		jw32(&o->jc, &q->nfree, nfree - from_free);
	/* link it */
	if (READ_ONCE(q->tail)) {
		struct uipc_msghdr *t = chunk(o, READ_ONCE(q->tail));

		if (!t)
			return UIPC_CORRUPT;
		jw32(&o->jc, &t->next_msg, first);
	} else {
		jw32(&o->jc, &q->head, first);
	}
	jw32(&o->jc, &q->tail, first);
	jw64(&o->jc, &q->qnum, READ_ONCE(q->qnum) + 1);
	jw64(&o->jc, &q->cbytes, READ_ONCE(q->cbytes) + len);
	return 0;
}

int msg_snd(int msqid, const void *msgp, size_t msgsz, int msgflg,
	    const struct timespec *timeout)
{
	const struct msgbuf *mb = msgp;
	struct timespec deadline;
	uint32_t wake[MSG_NSLOTS], nw = 0;
	bool reaped = false;
	int spins = 0;
	struct obj *o;
	long mtype;
	int r;

	if (ipc_ptr_ok(msgp))
		return -EFAULT;
	mtype = mb->mtype;
	if (msgsz > (size_t)lim_cached()->msgmax || (long)msgsz < 0 || msqid < 0)
		return -EINVAL;
	if (mtype < 1)
		return -EINVAL;
	if (timeout) {
		r = fx_deadline(timeout, &deadline);
		if (r)
			return r;
	}
	o = ipc_obj_get(UIPC_T_MSG, msqid);
	if (IS_ERR(o))
		return PTR_ERR(o);
	if (ipcperms(&o->hdr->perm, 0222)) {
		ipc_obj_put(o);
		return -EACCES;
	}
	ipc_obj_lock(o);
	for (;;) {
		if (READ_ONCE(o->hdr->state) != UIPC_S_LIVE) {
			r = -EIDRM;
			break;
		}
		if (fits(o->u.msg.q, msgsz)) {
			r = msg_store(o, mtype, mb->mtext, msgsz);
			if (r == 1 && !reaped) {
				/* out of chunks: a receiver may have died
				 * holding some */
				reaped = true;
				flight_reap(o);
				r = msg_store(o, mtype, mb->mtext, msgsz);
			}
			if (r <= 0)
				break;
		}
		if (msgflg & IPC_NOWAIT) {
			r = -EAGAIN;
			break;
		}
		if (spins++ < MSG_SPINS) {
			/* the receiver may be draining right now */
			uint64_t seq = READ_ONCE(o->u.msg.q->opseq);
			uint32_t pc = msg_partner_cpu(o->u.msg.q);

			ipc_obj_unlock(o);
			if (!wt_spin(&o->u.msg.q->opseq, 8, seq, pc))
				spins = MSG_SPINS;
			ipc_obj_lock(o);
			continue;
		}
		r = msg_wait(o, UIPC_MSGW_SEND, 0, msgsz, msgflg,
			     timeout ? &deadline : NULL);
		if (r)
			break;
	}
	if (r == 0) {
		struct uipc_msq *q = o->u.msg.q;

		jw32(&o->jc, &q->lspid, (uint32_t)proc_self()->pid);
		msg_hint(q);
		jws64(&o->jc, &q->stime, ipc_now());
		nw = msg_wake_mark(o, UIPC_MSGW_RECV, false, mtype, wake);
	}
	ipc_obj_unlock(o);
	msg_wake(o, wake, nw);
	ipc_obj_put(o);
	return r;
}

/* ---- msgrcv ---- */

/* Find the message to receive; *prevp is the link before it (0: head). */
static long msg_find(struct obj *o, long msgtyp, int flags, uint32_t *prevp)
{
	struct uipc_msq *q = o->u.msg.q;
	uint32_t link = READ_ONCE(q->head), prev = 0, best = 0, best_prev = 0;
	int64_t best_type = 0;
	uint64_t n = 0, limit = o->u.msg.nchunks;

	while (link) {
		struct uipc_msghdr *h = chunk(o, link);

		if (!h || n++ > limit)
			return UIPC_CORRUPT;
		if (flags & MSG_COPY) {
			if ((long)(n - 1) == msgtyp) {
				*prevp = prev;
				return link;
			}
		} else if (type_matches(READ_ONCE(h->type), msgtyp, flags)) {
			if (msgtyp >= 0) {
				*prevp = prev;
				return link;
			}
			if (!best || READ_ONCE(h->type) < best_type) {
				best = link;
				best_prev = prev;
				best_type = READ_ONCE(h->type);
				if (best_type == 1)
					break;
			}
		}
		prev = link;
		link = READ_ONCE(h->next_msg);
	}
	*prevp = best_prev;
	return best;
}

/* Copy message @link out (up to @max bytes); returns bytes or -errno. */
static long msg_copy_out(struct obj *o, uint32_t link, struct msgbuf *mb,
			 size_t max, uint32_t *lastp)
{
	struct uipc_msghdr *h = chunk(o, link);
	size_t len = READ_ONCE(h->len), want, done, k;
	uint32_t n = READ_ONCE(h->nchunks), c = READ_ONCE(h->next), last = link;

	if (len > (size_t)o->u.msg.nchunks * UIPC_MSG_CHUNK || n != chunks_for(len))
		return UIPC_CORRUPT;
	want = len < max ? len : max;
	mb->mtype = (long)READ_ONCE(h->type);
	done = want < UIPC_MSG_HDR_DATA ? want : UIPC_MSG_HDR_DATA;
	memcpy(mb->mtext, h->data, done);
	for (uint32_t i = 1; i < n; i++) {
		struct uipc_msgcont *cc = chunk(o, c);

		if (!cc)
			return UIPC_CORRUPT;
		k = want - done < UIPC_MSG_CONT_DATA ? want - done : UIPC_MSG_CONT_DATA;
		memcpy(mb->mtext + done, cc->data, k);
		done += k;
		last = c;
		c = next_link(c, READ_ONCE(cc->next));
	}
	if (c)
		return UIPC_CORRUPT;
	*lastp = last;
	return (long)want;
}

/* Take message @link (after @prev) off the queue and account it.  Lock held. */
static void msg_unlink(struct obj *o, uint32_t link, uint32_t prev)
{
	struct uipc_msq *q = o->u.msg.q;
	struct uipc_msghdr *h = chunk(o, link);

	if (!jn_room(&o->jc, 12))
		jn_commit(&o->jc);
	if (prev)
		jw32(&o->jc, &((struct uipc_msghdr *)chunk(o, prev))->next_msg,
		     READ_ONCE(h->next_msg));
	else
		jw32(&o->jc, &q->head, READ_ONCE(h->next_msg));
	if (READ_ONCE(q->tail) == link)
		jw32(&o->jc, &q->tail, prev);
	jw64(&o->jc, &q->qnum, READ_ONCE(q->qnum) - 1);
	jw64(&o->jc, &q->cbytes, READ_ONCE(q->cbytes) - READ_ONCE(h->len));
	jw32(&o->jc, &q->lrpid, (uint32_t)proc_self()->pid);
	msg_hint(q);
	jws64(&o->jc, &q->rtime, ipc_now());
}

/* Give the chain @first..@last (@n chunks) back to the free list.  Lock held. */
static void chain_free(struct obj *o, uint32_t first, uint32_t last, uint32_t n)
{
	struct uipc_msq *q = o->u.msg.q;
	struct uipc_msgcont *l = chunk(o, last);

	if (!l)
		return;		/* checked by the caller; leak rather than break */
	if (!jn_room(&o->jc, 4))
		jn_commit(&o->jc);
	jw32(&o->jc, &l->next, READ_ONCE(q->free));
	jw32(&o->jc, &q->free, first);
	jw32(&o->jc, &q->nfree, READ_ONCE(q->nfree) + n);
}

/*
 * Give back the chains of receivers that died copying out.  Lock held.
 * Only when records or chunks run short: it asks /proc about each owner.
 */
static void flight_reap(struct obj *o)
{
	const struct proc_self *me = proc_self();

	for (uint32_t i = 0; i < MSG_NFLIGHT; i++) {
		struct uipc_msgflight *f = &o->u.msg.flights[i];
		uint32_t pid = READ_ONCE(f->pid), n, c, last = 0;

		if (!pid || (pid == (uint32_t)me->pid &&
			     READ_ONCE(f->start) == me->start) ||
		    proc_alive((pid_t)pid, READ_ONCE(f->start)))
			continue;
		n = READ_ONCE(f->nchunks);
		c = READ_ONCE(f->first);
		for (uint32_t k = 0; k < n && k <= o->u.msg.nchunks; k++) {
			struct uipc_msgcont *cc = chunk(o, c);

			if (!cc) {
				last = 0;	/* broken chain: leave it */
				break;
			}
			last = c;
			c = READ_ONCE(cc->next);
		}
		if (last && !c)
			chain_free(o, READ_ONCE(f->first), last, n);
		jw32(&o->jc, &f->pid, 0);
	}
}

/* A free in-flight record, or NULL (then the copy is made under the lock). */
static struct uipc_msgflight *flight_claim(struct obj *o)
{
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t i = 0; i < MSG_NFLIGHT; i++)
			if (!READ_ONCE(o->u.msg.flights[i].pid))
				return &o->u.msg.flights[i];
		if (!pass)
			flight_reap(o);
	}
	return NULL;
}

/*
 * Receive a long message: take it off the queue and record it in @f,
 * copy it out without the lock (a sender may fill the next one at the
 * same time), then give its chunks back.  Lock held on entry and return.
 * @wake/@nw: the senders to wake after the caller unlocks.
 */
static long msg_copy_in_flight(struct obj *o, struct uipc_msgflight *f,
			       uint32_t link, uint32_t prev, void *msgp,
			       size_t msgsz, uint32_t *wake, uint32_t *nw)
{
	const struct proc_self *me = proc_self();
	uint32_t n = READ_ONCE(((struct uipc_msghdr *)chunk(o, link))->nchunks);
	uint32_t last = 0;
	long r;

	msg_unlink(o, link, prev);
	if (!jn_room(&o->jc, 5))
		jn_commit(&o->jc);
	jw32(&o->jc, &f->first, link);
	jw32(&o->jc, &f->nchunks, n);
	jw64(&o->jc, &f->start, me->start);
	jw32(&o->jc, &f->pid, (uint32_t)me->pid);
	*nw = msg_wake_mark(o, UIPC_MSGW_SEND, true, 0, wake);
	ipc_obj_unlock(o);
	msg_wake(o, wake, *nw);
	r = msg_copy_out(o, link, msgp, msgsz, &last);
	ipc_obj_lock(o);
	*nw = 0;
	if (READ_ONCE(o->hdr->state) != UIPC_S_LIVE)
		return r;	/* removed meanwhile: received before that */
	if (READ_ONCE(f->pid) == (uint32_t)me->pid &&
	    READ_ONCE(f->start) == me->start && READ_ONCE(f->first) == link) {
		if (r >= 0)
			chain_free(o, link, last, n);
		jw32(&o->jc, &f->pid, 0);
		/* senders short of chunks may go on now */
		*nw = msg_wake_mark(o, UIPC_MSGW_SEND, true, 0, wake);
	}
	return r;
}

ssize_t msg_rcv(int msqid, void *msgp, size_t msgsz, long msgtyp,
		int msgflg, const struct timespec *timeout)
{
	struct timespec deadline;
	uint32_t wake[MSG_NSLOTS], nw = 0;
	int spins = 0;
	struct obj *o;
	long r;

	if (msqid < 0 || (long)msgsz < 0)
		return -EINVAL;
	if (msgflg & MSG_COPY) {
		if ((msgflg & MSG_EXCEPT) || !(msgflg & IPC_NOWAIT))
			return -EINVAL;
		if (msgsz > (size_t)lim_cached()->msgmax)
			msgsz = (size_t)lim_cached()->msgmax;
	}
	if (timeout) {
		r = fx_deadline(timeout, &deadline);
		if (r)
			return r;
	}
	o = ipc_obj_get(UIPC_T_MSG, msqid);
	if (IS_ERR(o))
		return PTR_ERR(o);
	if (ipcperms(&o->hdr->perm, 0444)) {
		ipc_obj_put(o);
		return -EACCES;
	}
	ipc_obj_lock(o);
	for (;;) {
		struct uipc_msq *q = o->u.msg.q;
		struct uipc_msgflight *f;
		uint32_t prev = 0, last = 0;
		long link;

		if (READ_ONCE(o->hdr->state) != UIPC_S_LIVE) {
			r = -EIDRM;
			break;
		}
		link = msg_find(o, msgtyp, msgflg, &prev);
		if (link < 0) {
			r = link;
			break;
		}
		if (link) {
			struct uipc_msghdr *h = chunk(o, (uint32_t)link);
			size_t len = READ_ONCE(h->len);

			if (msgsz < len && !(msgflg & MSG_NOERROR)) {
				r = -E2BIG;
				break;
			}
			if (msgsz < len && (msgflg & MSG_COPY)) {
				r = -EINVAL;	/* the kernel's copy buffer is too small */
				break;
			}
			if (ipc_ptr_ok(msgp)) {
				r = -EFAULT;
				break;
			}
			if (len >= MSG_FLIGHT_MIN && !(msgflg & MSG_COPY) &&
			    (f = flight_claim(o)) != NULL) {
				r = msg_copy_in_flight(o, f, (uint32_t)link, prev,
						       msgp, msgsz, wake, &nw);
				break;
			}
			r = msg_copy_out(o, (uint32_t)link, msgp, msgsz, &last);
			if (r < 0 || (msgflg & MSG_COPY))
				break;
			msg_unlink(o, (uint32_t)link, prev);
			chain_free(o, (uint32_t)link, last, READ_ONCE(h->nchunks));
			nw = msg_wake_mark(o, UIPC_MSGW_SEND, true, 0, wake);
			break;
		}
		if (msgflg & IPC_NOWAIT) {
			r = -ENOMSG;
			break;
		}
		if (spins++ < MSG_SPINS) {
			/* a sender may be about to deliver */
			uint32_t pc = msg_partner_cpu(q);
			uint64_t seq = READ_ONCE(q->opseq);

			ipc_obj_unlock(o);
			if (!wt_spin(&q->opseq, 8, seq, pc))
				spins = MSG_SPINS;
			ipc_obj_lock(o);
			continue;
		}
		r = msg_wait(o, UIPC_MSGW_RECV, msgtyp, msgsz, msgflg,
			     timeout ? &deadline : NULL);
		if (r)
			break;
	}
	ipc_obj_unlock(o);
	msg_wake(o, wake, nw);
	ipc_obj_put(o);
	return r;
}

/* ---- for msgctl ---- */

static void msq_count_one(struct obj *o, void *arg)
{
	int *t = arg;

	t[0] += (int)READ_ONCE(o->u.msg.q->qnum);
	t[1] += (int)READ_ONCE(o->u.msg.q->cbytes);
}

/* MSG_INFO: messages and bytes in all queues of the namespace. */
void msq_totals(int *msgs, int *bytes)
{
	int t[2] = { 0, 0 };
	int max = ipc_max_idx(UIPC_T_MSG);

	for (int i = 0; i <= max; i++) {
		struct obj *o;

		if (ipc_stat_index(UIPC_T_MSG, i, true, &o) == 0) {
			msq_count_one(o, t);
			ipc_obj_put(o);
		}
	}
	*msgs = t[0];
	*bytes = t[1];
}

int msq_set_qbytes(struct obj *o, uint64_t qbytes)
{
	jw64(&o->jc, &o->u.msg.q->qbytes, qbytes);
	return 0;
}

/* IPC_SET may have made room: every sender retries. */
void msq_after_set(struct obj *o)
{
	uint32_t wake[MSG_NSLOTS], nw;

	ipc_obj_lock(o);
	nw = msg_wake_mark(o, UIPC_MSGW_SEND, true, 0, wake);
	ipc_obj_unlock(o);
	msg_wake(o, wake, nw);
}

void msq_rmid_locked(struct obj *o)
{
	/* a receiver may still be copying a message out: keep its bytes */
	for (uint32_t i = 0; i < MSG_NFLIGHT; i++)
		if (READ_ONCE(o->u.msg.flights[i].pid))
			o->keep_memory = true;
	for (uint32_t i = 0; i < MSG_NSLOTS; i++) {
		struct uipc_msgwait *mw = &o->u.msg.slots[i];

		if (READ_ONCE(mw->w.state) == UIPC_W_WAIT)
			wt_complete(o, &mw->w, -EIDRM, UIPC_W_DONE);
	}
}

void msq_rmid_after(struct obj *o)
{
	for (uint32_t i = 0; i < MSG_NSLOTS; i++)
		if (READ_ONCE(o->u.msg.slots[i].w.state) == UIPC_W_DONE)
			fx_wake(&o->u.msg.slots[i].w.state, 1);
}

/* For uipc_users(): blocked senders and receivers, the last ones. */
void msq_users(struct obj *o, ipc_user_fn fn, void *ctx)
{
	struct uipc_msq *q = o->u.msg.q;

	for (uint32_t i = 0; i < MSG_NSLOTS; i++) {
		struct uipc_waiter *w = &o->u.msg.slots[i].w;

		if (READ_ONCE(w->state) == UIPC_W_WAIT)
			fn(ctx, (pid_t)READ_ONCE(w->pid), READ_ONCE(w->start),
			   UIPC_USER_WAIT, 1, true);
	}
	fn(ctx, (pid_t)READ_ONCE(q->lspid), 0, UIPC_USER_LAST, 1, false);
	if (READ_ONCE(q->lrpid) != READ_ONCE(q->lspid))
		fn(ctx, (pid_t)READ_ONCE(q->lrpid), 0, UIPC_USER_LAST, 1, false);
}
