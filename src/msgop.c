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
 * A send takes a chain from the free list, a stack of whole chains that
 * each say how long they are and where they end (chunks_take: a stream
 * takes the chain the last receive gave back, reading no other chunk),
 * fills it (unreachable until linked, so a crash leaves nothing), then
 * links the message through the journal; a receive copies out, then
 * unlinks it and pushes its chain on the free list.  A long
 * message (MSG_FLIGHT_MIN bytes or more) is instead taken off the queue
 * first and recorded in an in-flight record (struct uipc_msgflight,
 * owner and chain) so that the receiver copies it out without the lock
 * while a sender fills the next one; then the chain goes back.  The
 * chain of a receiver that died copying is reclaimed when records or
 * chunks run short (flight_reap), and removal keeps the memory while a
 * copy may be in flight.  Likewise a long send links its message PENDING
 * and recorded in a fill record (struct uipc_msgfill), copies the text
 * in after unlocking, then clears the flag and frees the record; a
 * receiver that reaches it waits (fill_wait), and drops the message of a
 * sender found dead (fill_drop).  Chains are mostly consecutive chunks, which
 * next_link() turns into memory-level parallelism when copying.  Waiters
 * (struct uipc_msgwait) are woken to retry: the first matching receiver
 * when a message arrives, every sender when room is made.
 *
 * The ring (struct uipc_msgring: 32 boxes of two cache lines) carries
 * messages of up to UIPC_MSG_BOX_DATA bytes with no lock while the queue
 * proper is empty and nobody waits.  Messages take positions in the
 * order sent, position p in box p % 32 on lap p / 32: a send is one
 * compare-and-swap of the box at the tail from EMPTY into FILLING and a
 * release store of FULL, a receive one compare-and-swap into TAKING and a
 * store of EMPTY on the next lap, so a stream moves boxes and nothing
 * else, and a full ring shows as a box still holding the lap before.
 * Each process starts from where it last stepped (ring_start) and the
 * shared head and tail are hints, moved every few positions.  The lock
 * holder owns the rest: every locked path first closes the ring
 * (ring_close), waiting out the steps in progress and moving its messages
 * to the queue in position order (they are the queue's first), so the
 * queue code never sees a box; the last unlock that leaves the queue
 * empty and waiter-free opens it again (ring_reopen), on positions past
 * every one used before.  Receives from the ring take its first message
 * only; one that wants a later message goes to the queue.  A process
 * that dies in FILLING or TAKING is found out by the lock holder waiting
 * for it (box_await), and its step undone; a lock holder that dies moving the
 * messages leaves ABSORBING, which the journal and the next holder turn
 * back into messages moved in order.  msgctl closes the ring before it
 * reports; the tools' views add the ring's messages and newer pids and
 * times to the queue's (msq_report).
 */
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <unistd.h>

#include "msg.h"

#define MSG_NSLOTS	64
#define MSG_NFLIGHT	8	/* long messages copied out without the lock */
#define MSG_FLIGHT_MIN	1024	/* bytes: shorter ones are copied under it */
#define MSG_NFILL	8	/* long messages copied in without the lock */
#define MSG_FILL_MIN	1024	/* bytes: shorter ones are copied under it */
#define MSG_FILL_NAP_NS	2000000	/* a receiver's sleep on a pending message */
#define MSG_GROW_CHUNKS	1024	/* chunks reserved at a time (64 KiB) */
#define MSG_SPINS	8	/* changes watched before sleeping */
#define MSG_UNLINK_WORDS 12	/* journal entries msg_unlink() may write */

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
	/* the ring: 128-byte blocks, aligned wherever the body starts */
	*body = sizeof(struct uipc_msq) + MSG_NSLOTS * sizeof(struct uipc_msgwait) +
		MSG_NFLIGHT * sizeof(struct uipc_msgflight) +
		MSG_NFILL * sizeof(struct uipc_msgfill) + 128 +
		sizeof(struct uipc_msgring) +
		UIPC_MSG_RING * sizeof(struct uipc_msgbox);
	*journal = 64 * sizeof(struct uipc_jent);
	*data = chunks * UIPC_MSG_CHUNK;
	return 0;
}

/* Where the ring goes: the first 128-byte boundary after the fill records. */
static uint32_t box_place(uint32_t slots_off)
{
	uint32_t end = slots_off + MSG_NSLOTS * sizeof(struct uipc_msgwait) +
		       MSG_NFLIGHT * sizeof(struct uipc_msgflight) +
		       MSG_NFILL * sizeof(struct uipc_msgfill);

	return (end + 127) & ~127u;	/* a pair of lines, fetched together */
}

int msq_init(struct obj *o, uint64_t qbytes)
{
	struct uipc_msq *q = (struct uipc_msq *)(o->base + o->hdr->body_off);
	struct uipc_msgbox *box;
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
	q->box_off = box_place(q->slots_off);
	q->box_small = 1;
	/* closed until the first unlock finds the queue empty */
	box = (struct uipc_msgbox *)((struct uipc_msgring *)(o->base + q->box_off) + 1);
	for (uint32_t i = 0; i < UIPC_MSG_RING; i++)
		box[i].word = UIPC_BOX_CLOSED;
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
			   MSG_NFLIGHT * sizeof(struct uipc_msgflight) +
			   MSG_NFILL * sizeof(struct uipc_msgfill))
		return UIPC_CORRUPT;
	q = (struct uipc_msq *)(o->base + h->body_off);
	if (q->nslots != MSG_NSLOTS || q->slots_off != h->body_off + sizeof(*q) ||
	    q->chunks_off < (uint64_t)h->body_off + h->body_size ||
	    q->chunks_off % UIPC_MSG_CHUNK ||
	    (uint64_t)q->chunks_off + (uint64_t)q->nchunks * UIPC_MSG_CHUNK != o->size ||
	    q->box_off != box_place(q->slots_off) ||
	    (uint64_t)q->box_off + sizeof(struct uipc_msgring) +
	    UIPC_MSG_RING * sizeof(struct uipc_msgbox) >
	    (uint64_t)h->body_off + h->body_size)
		return UIPC_CORRUPT;
	o->u.msg.q = q;
	o->u.msg.chunks = o->base + q->chunks_off;
	o->u.msg.slots = (struct uipc_msgwait *)(o->base + q->slots_off);
	o->u.msg.flights = (struct uipc_msgflight *)(o->u.msg.slots + MSG_NSLOTS);
	o->u.msg.fills = (struct uipc_msgfill *)(o->u.msg.flights + MSG_NFLIGHT);
	o->u.msg.ring = (struct uipc_msgring *)(o->base + q->box_off);
	o->u.msg.box = (struct uipc_msgbox *)(o->u.msg.ring + 1);
	o->u.msg.head_seen = 0;
	o->u.msg.tail_seen = 0;
	o->u.msg.nchunks = q->nchunks;
	o->u.msg.hw_seen = 0;
	return 0;
}

/* ---- chunks ---- */

/*
 * Chunk @link (index + 1), or NULL if out of range (corrupt).  Links
 * above the high water mark were never handed out.  The mark is read
 * from the file only when a link passes the value we last saw: it shares
 * a line with words every lock holder writes, and a copy outside the
 * lock that reloaded it for each chunk took a miss on most of them (a
 * fifth of a 4 KiB send's fill).  A mark we saw stays safe to use if a
 * rollback lowers it: the chunks below it keep their memory.
 */
static __attribute__((noinline)) bool hw_passes(struct obj *o, uint32_t link)
{
	uint32_t hw = READ_ONCE(o->u.msg.q->hw);

	if (link > hw)
		return false;
	WRITE_ONCE(o->u.msg.hw_seen, hw);
	return true;
}

static inline void *chunk(struct obj *o, uint32_t link)
{
	if (!link || link > o->u.msg.nchunks ||
	    (unlikely(link > READ_ONCE(o->u.msg.hw_seen)) && !hw_passes(o, link)))
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

/* The last link of the chain of @n chunks at @first, ended by a 0 link; 0 if broken. */
static uint32_t chain_last(struct obj *o, uint32_t first, uint32_t n)
{
	uint32_t c = first, last = 0;

	for (uint32_t k = 0; k < n && k <= o->u.msg.nchunks; k++) {
		struct uipc_msgcont *cc = chunk(o, c);

		if (!cc)
			return 0;
		last = c;
		c = READ_ONCE(cc->next);
	}
	return c ? 0 : last;
}

/* Whether the owner (@pid, @start) of a record is gone: not us, not alive. */
static bool owner_gone(uint32_t pid, uint64_t start)
{
	const struct proc_self *me = proc_self();

	return pid && !(pid == (uint32_t)me->pid && start == me->start) &&
	       !proc_alive((pid_t)pid, start);
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

static void msq_lock(struct obj *o);
static void msq_unlock(struct obj *o);

/*
 * Copy one chunk's worth: almost always a whole chunk, which a constant
 * size turns into a few vector moves instead of a call to memcpy (a
 * 4 KiB send and receive in one process: 670 ns before, 410 after).
 */
static inline void copy_piece(void *dst, const void *src, size_t k)
{
	if (__builtin_expect(k == UIPC_MSG_CONT_DATA, 1))
		memcpy(dst, src, UIPC_MSG_CONT_DATA);
	else if (k == UIPC_MSG_HDR_DATA)
		memcpy(dst, src, UIPC_MSG_HDR_DATA);
	else
		memcpy(dst, src, k);
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
	/* the kernel reads LONG_MIN, which has no negation, as LONG_MAX */
	return mtype <= (msgtyp == LONG_MIN ? LONG_MAX : -msgtyp);
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

	msq_lock(o);
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
	sigset_t oldmask;
	int r;

	if (mw) {
		wt_block(&oldmask);
		ipc_obj_unlock(o);	/* a waiter: the ring stays closed */
		return msg_sleep(o, mw, deadline, &oldmask);
	}
	msq_unlock(o);
	r = fx_nap(WT_POLL_NS, deadline);
	msq_lock(o);
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

/* ---- the ring: small messages with no lock (struct uipc_msgring) ---- */

#define BOX_ST(w)	((w) & UIPC_BOX_STATE)
#define BOX_PID(w)	((uint32_t)((w) >> UIPC_BOX_PIDSHIFT))
#define BOX_LAP(w)	(((w) >> UIPC_BOX_LAPSHIFT) & UIPC_BOX_LAPMASK)
#define POS_LAP(p)	(((p) / UIPC_MSG_RING) & UIPC_BOX_LAPMASK)
#define LAP_ADD(l, n)	(((l) + (n)) & UIPC_BOX_LAPMASK)
#define BOX_FLAGS	(UIPC_BOX_SPEND | UIPC_BOX_RPEND)
#define BOX_KEEP	(BOX_FLAGS | UIPC_BOX_SSEL | UIPC_BOX_RSEL)
#define BOX_SPINS	64	/* changes of the ring watched before the lock */
#define BOX_MISS	LONG_MIN	/* ring_take(): use the queue */
#define BOX_WAIT	(LONG_MIN + 1)	/* ring_take(): nothing yet, spinning may help */
#define RING_CLOSED	1	/* ring_put(): use the queue */
#define RING_FULL	2	/* ring_put(): k positions in use */
#define RING_STEPS	(2 * UIPC_MSG_RING + 2)	/* boxes looked at per call */
#define RING_HINT_EVERY	8	/* positions between moves of a shared hint */
#define RING_AHEAD	(2 * UIPC_MSG_RING)	/* a guess trusted this far past a hint */
#define RING_SKIP	(4 * UIPC_MSG_RING)	/* positions a reopen skips */

static inline struct uipc_msgbox *ring_box(struct obj *o, uint64_t pos)
{
	return &o->u.msg.box[pos % UIPC_MSG_RING];
}

/* The word after @w: @state on @lap, @flags added, by @pid; the pending
 * flags and the pair selectors carry over. */
static inline uint64_t box_next(uint64_t w, uint64_t state, uint64_t lap,
				uint64_t flags, uint32_t pid)
{
	return (w & BOX_KEEP) | flags | state |
	       ((lap & UIPC_BOX_LAPMASK) << UIPC_BOX_LAPSHIFT) |
	       ((uint64_t)pid << UIPC_BOX_PIDSHIFT);
}

/*
 * Where to start looking: the position after our last step in the ring
 * (@seen), unless the shared @hint is ahead or @seen is from before the
 * ring's last reopen (which starts past every position used before it).
 * Every position before either is done: filled (tail) or taken (head).
 */
static inline uint64_t ring_start(uint64_t hint, uint64_t seen)
{
	return seen - hint < RING_AHEAD ? seen : hint;
}

/*
 * Move a shared hint on to @pos, unless it is there already.  Done every
 * RING_HINT_EVERY positions only: in a stream each side keeps to its own
 * place and the hints' lines stay put.
 */
static inline void ring_advance(uint64_t *hint, uint64_t pos)
{
	uint64_t old = READ_ONCE(*hint);

	while (old < pos && !cas(hint, &old, pos))
		;
}

/*
 * End a fast step: record ourselves and the time in the pair of @pids and
 * @times that @sel_bit does not name (a death before the store leaves the
 * current pair whole) and our CPU in *@cpu, then publish @state on @lap
 * with @pend set and @sel_bit flipped, so that the pair just written
 * becomes the current one.  When the current pair holds our pid and this
 * second already, and the CPU is the same, the box's second line is left
 * alone (read, not written: it stays in both sides' caches).
 */
static void box_publish(struct uipc_msgbox *b, uint64_t nw, uint64_t state,
			uint64_t lap, uint64_t pend, uint64_t sel_bit,
			uint32_t *pids, uint32_t *times, uint32_t *cpu)
{
	uint32_t pid = (uint32_t)proc_self()->pid;
	uint32_t now = (uint32_t)ipc_now(), c = wt_cpu();
	int cur = !!(nw & sel_bit);
	uint64_t flip = 0;

	/* the current pair says it already: leave the line alone */
	if (READ_ONCE(pids[cur]) != pid || READ_ONCE(times[cur]) != now) {
		WRITE_ONCE(pids[!cur], pid);
		WRITE_ONCE(times[!cur], now);
		flip = sel_bit;
	}
	if (READ_ONCE(*cpu) != c)
		WRITE_ONCE(*cpu, c);
	WRITE_ONCE(b->start, 0);
	/* release: everything written in the step before the state */
	store_release(&b->word, box_next(nw, state, lap, pend, pid) ^ flip);
}

/* A box's data in and out: its first bytes on the word's line. */
static inline void box_data_in(struct uipc_msgbox *b, const uint8_t *src,
			       size_t len)
{
	size_t k = len < UIPC_MSG_BOX_HEAD ? len : UIPC_MSG_BOX_HEAD;

	memcpy(b->data, src, k);
	if (len > k)
		memcpy(b->data2, src + k, len - k);
}

static inline void box_data_out(uint8_t *dst, const struct uipc_msgbox *b,
				size_t len)
{
	size_t k = len < UIPC_MSG_BOX_HEAD ? len : UIPC_MSG_BOX_HEAD;

	memcpy(dst, b->data, k);
	if (len > k)
		memcpy(dst + k, b->data2, len - k);
}

/*
 * Fast msgsnd: while the ring is open (the queue proper empty, nobody
 * waiting), put the message in the box of the next position.  Returns 0,
 * RING_CLOSED (use the queue), or RING_FULL with the box to watch and the
 * word it holds in *@bp and *@wp.  The text is read before a box is
 * taken, so a bad buffer faults with nothing held.
 */
static int ring_put(struct obj *o, long mtype, const void *text, size_t len,
		    struct uipc_msgbox **bp, uint64_t *wp)
{
	struct uipc_msgring *r = o->u.msg.ring;
	const struct proc_self *me = proc_self();
	/* acquire: k and the limit as of the reopen that set tail */
	uint64_t t = ring_start(load_acquire(&r->tail),
				READ_ONCE(o->u.msg.tail_seen));
	uint64_t qb = READ_ONCE(o->u.msg.q->qbytes);
	uint64_t k = READ_ONCE(r->k), h;
	uint8_t tmp[UIPC_MSG_BOX_DATA];

	memcpy(tmp, text, len);
	for (int i = 0; i < RING_STEPS; i++) {
		struct uipc_msgbox *b = ring_box(o, t);
		uint64_t w = load_acquire(&b->word), lap = POS_LAP(t), nw;

		/* k boxes of UIPC_MSG_BOX_DATA bytes fit msg_qbytes, or k is 1 */
		if (BOX_ST(w) >= UIPC_BOX_CLOSED || len > qb || qb < 1)
			return RING_CLOSED;
		if (BOX_LAP(w) == LAP_ADD(lap, 1) ||
		    (BOX_LAP(w) == lap && BOX_ST(w) != UIPC_BOX_EMPTY)) {
			/* position t is taken */
			t++;
			continue;
		}
		if (BOX_LAP(w) != lap) {
			if (BOX_LAP(w) == LAP_ADD(lap, UIPC_BOX_LAPMASK) &&
			    BOX_ST(w) != UIPC_BOX_EMPTY) {
				/* the message a lap before is still there */
				*bp = b;
				*wp = w;
				return RING_FULL;
			}
			/* we fell behind, or the ring was reopened: the
			 * limit with the tail */
			t = load_acquire(&r->tail);
			qb = READ_ONCE(o->u.msg.q->qbytes);
			k = READ_ONCE(r->k);
			continue;
		}
		/*
		 * A full ring shows in the box a lap on (above); fewer
		 * boxes in use than the ring has need the head (exact
		 * then: receivers move it at every step).
		 */
		if (k < UIPC_MSG_RING) {
			h = READ_ONCE(r->head);
			if (t - h >= k && t >= h) {
				*bp = ring_box(o, h);
				*wp = READ_ONCE((*bp)->word);
				return RING_FULL;
			}
		}
		/* pairs with ring_close()'s compare-and-swap from EMPTY */
		nw = box_next(w, UIPC_BOX_FILLING, lap, 0, (uint32_t)me->pid);
		if (!cas(&b->word, &w, nw))
			continue;
		WRITE_ONCE(b->start, (uint32_t)me->start);
		WRITE_ONCE(b->type, (int64_t)mtype);
		WRITE_ONCE(b->len, (uint32_t)len);
		box_data_in(b, tmp, len);
		box_publish(b, nw, UIPC_BOX_FULL, lap, UIPC_BOX_SPEND,
			    UIPC_BOX_SSEL, b->spid, b->stime, &b->scpu);
		WRITE_ONCE(o->u.msg.tail_seen, t + 1);
		if ((t + 1) % RING_HINT_EVERY == 0)
			ring_advance(&r->tail, t + 1);
		return 0;
	}
	return RING_CLOSED;
}

/*
 * Fast msgrcv: take the ring's first message if it is the one to
 * receive.  Returns the bytes received, BOX_WAIT (none for us yet: the
 * box to watch, its word and the CPU hint of the one who will change it
 * in *@bp, *@wp and *@cpup; with *@endp true if that box is EMPTY, so
 * that the ring holds nothing for us), or BOX_MISS (the queue decides:
 * closed, the message wanted is not the first, or an error to report).
 * Receives from the ring go in position order only, so that its head
 * moves on with them and its newest receive is the last one made.
 */
static long ring_take(struct obj *o, struct msgbuf *mb, size_t msgsz,
		      long msgtyp, int flags, struct uipc_msgbox **bp,
		      uint64_t *wp, bool *endp, const uint32_t **cpup)
{
	struct uipc_msgring *r = o->u.msg.ring;
	const struct proc_self *me = proc_self();
	uint8_t tmp[UIPC_MSG_BOX_DATA];
	uint64_t h = ring_start(load_acquire(&r->head),
				READ_ONCE(o->u.msg.head_seen)), pos = h, w, lap;
	uint64_t first_w = 0;
	struct uipc_msgbox *b, *first = NULL;
	int64_t type, first_type = 0;
	bool others = false, filling = false;
	size_t len;
	int steps = 0;

	*endp = false;
	for (;; pos++) {
		if (++steps > RING_STEPS)
			return BOX_MISS;
		if (first && pos - h >= UIPC_MSG_RING)
			break;		/* a full ring, all seen */
		b = ring_box(o, pos);
		w = load_acquire(&b->word);
		lap = POS_LAP(pos);
		if (BOX_ST(w) >= UIPC_BOX_CLOSED)
			return BOX_MISS;
		if (!first && (BOX_LAP(w) == LAP_ADD(lap, 1) ||
			       (BOX_LAP(w) == lap && BOX_ST(w) == UIPC_BOX_TAKING))) {
			h = pos + 1;	/* position pos is taken */
			continue;
		}
		if (BOX_LAP(w) != lap) {
			if (first)
				break;	/* taken behind us: enough seen */
			/* we fell behind: start again */
			pos = h = load_acquire(&r->head);
			pos--;
			continue;
		}
		if (BOX_ST(w) != UIPC_BOX_FULL) {
			/* EMPTY or FILLING: the end, for now */
			*endp = BOX_ST(w) == UIPC_BOX_EMPTY;
			filling = !*endp;
			break;
		}
		/* stable while the word is (only FILLING writes them) */
		type = READ_ONCE(b->type);
		if (!first) {
			first = b;
			first_w = w;
			first_type = type;
			/* it; or none of the lowest; else look on */
			if (type_matches(type, msgtyp, flags) ? msgtyp >= 0 :
			    msgtyp < 0)
				break;
		} else if (type_matches(type, msgtyp, flags) &&
			   (msgtyp >= 0 || type < first_type)) {
			others = true;	/* ours further on, or a lower type */
			break;
		}
	}
	if (!first) {
		*bp = b;	/* nothing yet: its sender is the one to watch */
		*wp = w;
		*cpup = &b->scpu;
		return BOX_WAIT;
	}
	if (!type_matches(first_type, msgtyp, flags)) {
		if (msgtyp < 0 || others)
			return BOX_MISS;	/* the queue finds it */
		/*
		 * Another's message first (say, our own on its way to a
		 * partner), none for us behind it: ours comes at the end,
		 * where its sender is the one to watch; in a full ring,
		 * the first is, and its receiver.
		 */
		if (*endp || filling) {
			*bp = b;
			*wp = w;
			*cpup = &b->scpu;
		} else {
			*bp = first;
			*wp = first_w;
			*cpup = &first->rcpu;
		}
		return BOX_WAIT;
	}
	/*
	 * The lowest type: the first only if no later message has a lower
	 * one, and no send in progress may bring one (a send that ends
	 * after ours began is no later than the messages behind it).
	 */
	if (msgtyp < 0 && (others || filling))
		return BOX_MISS;
	b = first;
	w = first_w;
	lap = POS_LAP(h);
	len = READ_ONCE(b->len);
	if (len > UIPC_MSG_BOX_DATA)
		return BOX_MISS;	/* corrupt: the lock holder drops it */
	if (len > msgsz && !(flags & MSG_NOERROR))
		return BOX_MISS;	/* E2BIG, from the queue */
	if (!cas(&b->word, &w, box_next(w, UIPC_BOX_TAKING, lap, 0,
					 (uint32_t)me->pid))) {
		*bp = b;	/* taken or closed under us: look again */
		*wp = first_w;
		*cpup = &b->rcpu;
		return BOX_WAIT;
	}
	if (READ_ONCE(b->type) != first_type || READ_ONCE(b->len) != len) {
		/* the lap came round (2^25 laps while we slept) */
		store_release(&b->word, first_w);
		return BOX_MISS;
	}
	WRITE_ONCE(b->start, (uint32_t)me->start);
	box_data_out(tmp, b, len);
	box_publish(b, box_next(first_w, UIPC_BOX_TAKING, lap, 0,
				(uint32_t)me->pid),
		    UIPC_BOX_EMPTY, LAP_ADD(lap, 1), UIPC_BOX_RPEND,
		    UIPC_BOX_RSEL, b->rpid, b->rtime, &b->rcpu);
	/* every position before h + 1 is taken; the hint moves after the
	 * box is EMPTY, so that k boxes in use stay k */
	WRITE_ONCE(o->u.msg.head_seen, h + 1);
	if ((h + 1) % RING_HINT_EVERY == 0 || READ_ONCE(r->k) < UIPC_MSG_RING)
		ring_advance(&r->head, h + 1);
	if (len > msgsz)
		len = msgsz;	/* MSG_NOERROR */
	mb->mtype = (long)first_type;
	memcpy(mb->mtext, tmp, len);
	return (long)len;
}

/* Where the other side of box @b last ran: @cpu, else the queue's hint. */
static uint32_t box_partner(struct obj *o, const uint32_t *cpu)
{
	uint32_t c = READ_ONCE(*cpu);

	return c ? c : msg_partner_cpu(o->u.msg.q);
}

/*
 * Fast msgrcv with a moment's patience: while the ring stays open and our
 * partner runs on another CPU, watch the head's box for the message.
 * Returns the bytes received, -ENOMSG (IPC_NOWAIT, and the ring open
 * and empty) or BOX_MISS.
 */
static long ring_recv(struct obj *o, struct msgbuf *mb, size_t msgsz,
		      long msgtyp, int flags)
{
	for (int i = 0;; i++) {
		struct uipc_msgbox *b;
		const uint32_t *cpu;
		uint64_t w, seq = READ_ONCE(o->u.msg.q->opseq);
		bool end;
		long r = ring_take(o, mb, msgsz, msgtyp, flags, &b, &w, &end,
				   &cpu);

		if (r != BOX_WAIT)
			return r;
		/*
		 * The ring holds nothing and was open when we found its end,
		 * so the queue proper was empty: no message, with no lock
		 * taken (which would close and reopen the ring).
		 */
		if (end && (flags & IPC_NOWAIT))
			return -ENOMSG;
		if ((flags & IPC_NOWAIT) || i == BOX_SPINS ||
		    !wt_spin2(&b->word, w, &o->u.msg.q->opseq, seq,
			      box_partner(o, cpu)))
			return BOX_MISS;
	}
}

/*
 * Fast msgsnd, waiting a moment for room while the receiver drains the
 * ring on another CPU.  Returns 0 or RING_CLOSED/RING_FULL (use the
 * queue, which has room for more than the ring).
 */
static int ring_send(struct obj *o, long mtype, const void *text, size_t len,
		     int flags)
{
	for (int i = 0;; i++) {
		struct uipc_msgbox *b;
		uint64_t w;
		int r = ring_put(o, mtype, text, len, &b, &w);

		if (r != RING_FULL || (flags & IPC_NOWAIT) || i == BOX_SPINS ||
		    !wt_spin(&b->word, 8, w, box_partner(o, &b->rcpu)))
			return r;
	}
}

/*
 * Wait until box @b leaves FILLING or TAKING (@w); if its owner died
 * there, undo the step, straight into the state ring_close() wants, so
 * that no fast path can use the box in between (a sender filling a dead
 * sender's position after later ones would break the order): FILLING
 * becomes CLOSED (the send never happened), TAKING becomes ABSORBING
 * (nor did the receive: the message goes to the queue in its place).
 * Lock held; for ring_close() only.
 */
static uint64_t box_await(struct uipc_msgbox *b, uint64_t w)
{
	for (unsigned i = 0;; i++) {
		uint64_t now = READ_ONCE(b->word);
		uint32_t start;

		if (now != w)
			return now;
		if (i < 1024) {
			cpu_relax();
			continue;
		}
		if (i % 64 == 0) {
			start = READ_ONCE(b->start);
			if (READ_ONCE(b->word) == w &&
			    !proc_alive((pid_t)BOX_PID(w), start)) {
				uint64_t nw = box_next(w, BOX_ST(w) == UIPC_BOX_FILLING ?
						       UIPC_BOX_CLOSED :
						       UIPC_BOX_ABSORBING, BOX_LAP(w),
						       0, (uint32_t)proc_self()->pid);

				/*
				 * start first: were we to die after opening
				 * the box, a stale start would make its next
				 * owner look dead.  Only the dead owner and
				 * lock holders write either.
				 */
				WRITE_ONCE(b->start, 0);
				cas(&b->word, &w, nw);
				continue;
			}
		}
		if (i < 4096)
			sched_yield();
		else
			nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
}

/*
 * A box's lap @lap as an age-ordered key near the ring's tail hint @ref:
 * the positions a close or a report compares lie within three laps
 * behind it and one ahead.
 */
static inline uint64_t box_key(uint64_t lap, uint32_t i, uint64_t ref)
{
	return LAP_ADD(lap + 4, UIPC_BOX_LAPMASK + 1 - POS_LAP(ref)) *
	       UIPC_MSG_RING + i;
}

static int msg_store(struct obj *o, long mtype, const char *text, size_t len,
		     struct uipc_msgfill *f);

/*
 * ring_close - keep fast senders and receivers out while we hold the
 * lock: every box to CLOSED, the messages in them moved to the queue's
 * tail in the order of their positions (the queue proper is empty while
 * the ring is open, so they are its first messages), and the newest
 * statistics settled into the queue.  Every locked path calls it first.
 */
static void ring_close(struct obj *o)
{
	struct uipc_msgring *r = o->u.msg.ring;
	struct uipc_msq *q = o->u.msg.q;
	uint32_t pid = (uint32_t)proc_self()->pid;
	uint64_t ref = READ_ONCE(r->tail), keys[UIPC_MSG_RING];
	uint64_t skey = 0, rkey = 0;
	uint32_t order[UIPC_MSG_RING], n = 0, sbox = 0, rbox = 0;

	if (!READ_ONCE(r->open))
		return;		/* closed, nothing pending: the common case */
	/* every box out of the states fast paths change */
	for (uint32_t i = 0; i < UIPC_MSG_RING; i++) {
		struct uipc_msgbox *b = &o->u.msg.box[i];
		uint64_t w = READ_ONCE(b->word), st, key;

		for (;;) {
			st = BOX_ST(w);
			if (st == UIPC_BOX_CLOSED || st == UIPC_BOX_ABSORBING)
				break;
			if (st == UIPC_BOX_EMPTY || st == UIPC_BOX_FULL) {
				uint64_t nw = box_next(w, st == UIPC_BOX_EMPTY ?
						       UIPC_BOX_CLOSED :
						       UIPC_BOX_ABSORBING,
						       BOX_LAP(w), 0, pid);

				if (cas(&b->word, &w, nw)) {
					w = nw;
					break;
				}
				continue;
			}
			if (st == UIPC_BOX_FILLING || st == UIPC_BOX_TAKING) {
				w = box_await(b, w);
				continue;
			}
			/* a word we cannot read: CLOSED, keep nothing */
			w = box_next(0, UIPC_BOX_CLOSED, BOX_LAP(w), 0, 0);
			WRITE_ONCE(b->word, w);
			break;
		}
		/*
		 * The box's last send: its message, or the one a lap
		 * before; its last receive: a lap before.
		 */
		key = box_key(BOX_ST(w) == UIPC_BOX_ABSORBING ? BOX_LAP(w) :
			      LAP_ADD(BOX_LAP(w), UIPC_BOX_LAPMASK), i, ref) + 1;
		if ((w & UIPC_BOX_SPEND) && key > skey) {
			skey = key;
			sbox = i;
		}
		key = box_key(LAP_ADD(BOX_LAP(w), UIPC_BOX_LAPMASK), i, ref) + 1;
		if ((w & UIPC_BOX_RPEND) && key > rkey) {
			rkey = key;
			rbox = i;
		}
		if (BOX_ST(w) == UIPC_BOX_ABSORBING) {
			/* insertion sort by position */
			uint32_t j = n++;

			key = box_key(BOX_LAP(w), i, ref);
			for (; j > 0 && keys[j - 1] > key; j--) {
				keys[j] = keys[j - 1];
				order[j] = order[j - 1];
			}
			keys[j] = key;
			order[j] = i;
		}
	}
	/*
	 * The messages, in order, each with its box's word in one
	 * transaction: a death rolls back to ABSORBING, and the next
	 * holder moves the rest.  The compare-and-swap to ABSORBING made
	 * each message ours.  A length past the box, or a queue found
	 * corrupt, drops it.
	 */
	for (uint32_t j = 0; j < n; j++) {
		struct uipc_msgbox *b = &o->u.msg.box[order[j]];
		uint64_t w = READ_ONCE(b->word);
		uint32_t len = READ_ONCE(b->len);
		uint8_t text[UIPC_MSG_BOX_DATA];

		if (!jn_room(&o->jc, 32))
			jn_commit(&o->jc);
		if (len <= UIPC_MSG_BOX_DATA) {
			box_data_out(text, b, len);
			msg_store(o, (long)READ_ONCE(b->type),
				  (const char *)text, len, NULL);
		}
		jw64(&o->jc, &b->word, box_next(w, UIPC_BOX_CLOSED,
						LAP_ADD(BOX_LAP(w), 1), 0, 0));
	}
	/* the newest statistics, and the flags cleared: one transaction */
	if (!jn_room(&o->jc, 10 + UIPC_MSG_RING))
		jn_commit(&o->jc);
	if (skey) {
		struct uipc_msgbox *b = &o->u.msg.box[sbox];
		int sel = !!(READ_ONCE(b->word) & UIPC_BOX_SSEL);

		jw32(&o->jc, &q->lspid, READ_ONCE(b->spid[sel]));
		jws64(&o->jc, &q->stime, (int64_t)READ_ONCE(b->stime[sel]));
	}
	if (rkey) {
		struct uipc_msgbox *b = &o->u.msg.box[rbox];
		int sel = !!(READ_ONCE(b->word) & UIPC_BOX_RSEL);

		jw32(&o->jc, &q->lrpid, READ_ONCE(b->rpid[sel]));
		jws64(&o->jc, &q->rtime, (int64_t)READ_ONCE(b->rtime[sel]));
	}
	for (uint32_t i = 0; i < UIPC_MSG_RING; i++) {
		uint64_t w = READ_ONCE(o->u.msg.box[i].word);

		/* only the lock holder writes a CLOSED or ABSORBING word */
		if (w & BOX_FLAGS)
			jw64(&o->jc, &o->u.msg.box[i].word, w & ~BOX_FLAGS);
	}
	jw32(&o->jc, &r->idle, !skey && !rkey && !n);
	jw32(&o->jc, &r->open, 0);
}

/* Does anybody wait on the queue (or is finishing a wait)?  Lock held. */
static bool msg_has_waiters(struct obj *o)
{
	uint32_t hw = READ_ONCE(o->u.msg.q->slots_hw);

	if (hw > MSG_NSLOTS)
		hw = MSG_NSLOTS;
	for (uint32_t i = 0; i < hw; i++)
		if (READ_ONCE(o->u.msg.slots[i].w.state) != UIPC_W_FREE)
			return true;
	return false;
}

/*
 * ring_reopen - before unlocking: open the ring again when the queue is
 * empty, nobody waits, the queue lives, small messages are what it
 * carries, and chunks are ready for ring_close() to move a full ring
 * into.  The journal is committed first: a rollback must never write a
 * box once fast paths may change it.  The positions start RING_SKIP past
 * the old tail hint, beyond every position used before (the hint lags by
 * less than RING_SKIP: it is moved every RING_HINT_EVERY positions), so
 * that a sender or receiver that read the old one finds no box on its
 * lap, and ring_start() drops what it saw.
 */
static void ring_reopen(struct obj *o)
{
	struct uipc_msgring *r = o->u.msg.ring;
	struct uipc_msq *q = o->u.msg.q;
	uint64_t qb = READ_ONCE(q->qbytes), p, k;
	uint32_t hw, need;

	if (READ_ONCE(r->open) || READ_ONCE(q->qnum) || qb < 1 ||
	    !READ_ONCE(q->box_small) ||
	    READ_ONCE(o->hdr->state) != UIPC_S_LIVE || msg_has_waiters(o))
		return;
	/* what ring_close() needs to move a full ring into the queue */
	need = UIPC_MSG_RING * chunks_for(UIPC_MSG_BOX_DATA);
	hw = READ_ONCE(q->hw);
	if (READ_ONCE(q->nfree) < need && hw + need <= o->u.msg.nchunks &&
	    reserve_chunks(o, hw + need))
		return;
	if (hw > READ_ONCE(q->reserved_chunks) ||
	    READ_ONCE(q->nfree) + (READ_ONCE(q->reserved_chunks) - hw) < need)
		return;
	/* k full boxes within msg_qbytes (bytes and messages) */
	k = qb / UIPC_MSG_BOX_DATA;
	k = k < 1 ? 1 : k > UIPC_MSG_RING ? UIPC_MSG_RING : k;
	jn_commit(&o->jc);
	/*
	 * Positions past every one used before, unless nothing was: then
	 * a process that read the last opening's tail and limit may go on
	 * (the same ring, still empty), and a queue polled by empty
	 * receives or msgctl does not wear the laps round.
	 */
	p = READ_ONCE(r->tail);
	if (!READ_ONCE(r->idle) || READ_ONCE(r->qbytes) != qb)
		p += RING_SKIP;
	/* open first: a death from here on leaves boxes for a close */
	WRITE_ONCE(r->open, 1);
	/* for spinners (the tail may stay put): something changed */
	WRITE_ONCE(q->opseq, READ_ONCE(q->opseq) + 1);
	WRITE_ONCE(r->qbytes, qb);
	WRITE_ONCE(r->k, (uint32_t)k);
	WRITE_ONCE(r->head, p);
	WRITE_ONCE(o->u.msg.head_seen, p);
	WRITE_ONCE(o->u.msg.tail_seen, p);
	/* release: k before a sender reads this tail */
	store_release(&r->tail, p);
	for (uint32_t i = 0; i < UIPC_MSG_RING; i++) {
		struct uipc_msgbox *b = &o->u.msg.box[i];
		/* the first position from p that falls in box i */
		uint64_t pos = p + (i + UIPC_MSG_RING - p % UIPC_MSG_RING) % UIPC_MSG_RING;

		/* release: the queue as we leave it before senders use it */
		store_release(&b->word, box_next(READ_ONCE(b->word) & ~BOX_FLAGS,
						 UIPC_BOX_EMPTY, POS_LAP(pos), 0, 0));
	}
}

/* The queue's lock, with the ring closed. */
static void msq_lock(struct obj *o)
{
	ipc_obj_lock(o);
	ring_close(o);
}

static void msq_unlock(struct obj *o)
{
	ring_reopen(o);
	ipc_obj_unlock(o);
}

/*
 * What msgctl reports: the queue's counters with the ring's messages (not
 * yet received) and its statistics when newer than the queue's.  Callers
 * without the lock (MSG_INFO and the tools) race with fast sends and
 * receives, and see a moment's count.
 */
void msq_report(struct obj *o, struct msq_report *r)
{
	struct uipc_msq *q = o->u.msg.q;
	struct uipc_msgring *ring = o->u.msg.ring;
	uint64_t ref = READ_ONCE(ring->tail), skey = 0, rkey = 0;

	r->qnum = READ_ONCE(q->qnum);
	r->cbytes = READ_ONCE(q->cbytes);
	r->lspid = READ_ONCE(q->lspid);
	r->lrpid = READ_ONCE(q->lrpid);
	r->stime = READ_ONCE(q->stime);
	r->rtime = READ_ONCE(q->rtime);
	if (!load_acquire(&ring->open))
		return;
	for (uint32_t i = 0; i < UIPC_MSG_RING; i++) {
		struct uipc_msgbox *b = &o->u.msg.box[i];
		uint64_t w = load_acquire(&b->word), st = BOX_ST(w);
		uint64_t lap = BOX_LAP(w), key;
		int ss = !!(w & UIPC_BOX_SSEL), rs = !!(w & UIPC_BOX_RSEL);
		uint32_t len = READ_ONCE(b->len);

		if ((st == UIPC_BOX_FULL || st == UIPC_BOX_TAKING ||
		     st == UIPC_BOX_ABSORBING) && len <= UIPC_MSG_BOX_DATA) {
			r->qnum++;
			r->cbytes += len;
		}
		/* the last send: on this lap, or the one before; the last
		 * receive: the one before */
		if (st != UIPC_BOX_FULL && st != UIPC_BOX_TAKING &&
		    st != UIPC_BOX_ABSORBING)
			lap = LAP_ADD(lap, UIPC_BOX_LAPMASK);
		key = box_key(lap, i, ref) + 1;
		if ((w & UIPC_BOX_SPEND) && key > skey) {
			skey = key;
			r->lspid = READ_ONCE(b->spid[ss]);
			r->stime = (int64_t)READ_ONCE(b->stime[ss]);
		}
		key = box_key(LAP_ADD(BOX_LAP(w), UIPC_BOX_LAPMASK), i, ref) + 1;
		if ((w & UIPC_BOX_RPEND) && key > rkey) {
			rkey = key;
			r->lrpid = READ_ONCE(b->rpid[rs]);
			r->rtime = (int64_t)READ_ONCE(b->rtime[rs]);
		}
	}
}

/* ---- msgsnd ---- */

static bool fits(struct uipc_msq *q, size_t msgsz)
{
	uint64_t qb = READ_ONCE(q->qbytes);

	return msgsz + READ_ONCE(q->cbytes) <= qb && 1 + READ_ONCE(q->qnum) <= qb;
}

/*
 * room_spin - a sender that found the queue full, its receiver running on
 * another CPU: watch, without the lock, until a quarter of the queue is
 * free (or MSG_ROOM_SPIN_NS pass), so that the receiver drains a run of
 * messages with the lock to itself instead of fighting us for it after
 * each one.  Returns false when the receiver is not on another CPU.
 */
#define MSG_ROOM_SPIN_NS	20000

struct room {
	struct uipc_msq *q;
	size_t msgsz;
};

static bool room_made(const void *arg)
{
	const struct room *r = arg;
	uint64_t qb = READ_ONCE(r->q->qbytes), slack = qb / 4;

	if (slack + r->msgsz > qb)	/* one that nearly fills it */
		slack = r->msgsz < qb ? qb - r->msgsz : 0;
	return r->msgsz + slack + READ_ONCE(r->q->cbytes) <= qb &&
	       1 + slack + READ_ONCE(r->q->qnum) <= qb;
}

static bool room_spin(struct uipc_msq *q, size_t msgsz, uint32_t partner_cpu)
{
	struct room r = { q, msgsz };

	return wt_spin_until(room_made, &r, partner_cpu, MSG_ROOM_SPIN_NS) >= 0;
}

/*
 * Join the free list's second chain to its first.  Lock held, room for
 * four journal entries.  Each join leaves a whole free list behind it.
 */
static int chains_join_top(struct obj *o, struct uipc_msghdr *a, uint32_t ma,
			   uint32_t nfree)
{
	uint32_t bl = READ_ONCE(a->next_msg);
	struct uipc_msgcont *al = chunk(o, READ_ONCE(a->len));
	struct uipc_msghdr *b = chunk(o, bl);
	uint32_t mb;

	if (!al || !b || !(mb = READ_ONCE(b->nchunks)) || mb > nfree - ma ||
	    !chunk(o, READ_ONCE(b->len)))
		return UIPC_CORRUPT;
	jw32(&o->jc, &al->next, bl);
	jw32(&o->jc, &a->nchunks, ma + mb);
	jw32(&o->jc, &a->len, READ_ONCE(b->len));
	jw32(&o->jc, &a->next_msg, READ_ONCE(b->next_msg));
	return 0;
}

/*
 * Take @n chunks for a message, chained, the last one's link 0.  Lock
 * held.  The free list is a stack of whole chains (received messages):
 * the first chunk of each holds its length (nchunks), its last chunk (len)
 * and the next chain (next_msg), so a chain of exactly the size needed, a
 * stream's case, is taken without reading any other chunk.  A longer one
 * is cut after @n (a walk); shorter ones are first joined into one, in
 * steps that each leave a whole list, and committed: once the message
 * is filled, a joined chain's first chunk holds data, and a rollback must
 * not put it back on the list as a head.  Chunks
 * never handed out follow.  Journalled: the list's head and count, the
 * high water mark, the link a cut ends.  The end mark and the header of
 * a cut's remainder are plain stores: a rollback makes them a chain's
 * last link or a chunk's data, and free chains are walked by their
 * lengths, never to their ends.
 * Returns 0 with *@firstp, 1 (not enough chunks), or -errno.
 */
static int chunks_take(struct obj *o, uint32_t n, uint32_t *firstp)
{
	struct uipc_msq *q = o->u.msg.q;
	uint32_t nfree = READ_ONCE(q->nfree), hw = READ_ONCE(q->hw);
	uint32_t head = READ_ONCE(q->free), need = n, first = 0, tail = 0;
	struct uipc_msghdr *c = NULL;
	struct uipc_msgcont *t;
	bool joined = false;
	uint32_t m = 0;
	int err;

	if (nfree > o->u.msg.nchunks || hw > o->u.msg.nchunks)
		return UIPC_CORRUPT;
	if (n > nfree && n - nfree > o->u.msg.nchunks - hw)
		return 1;
	for (;;) {
		if (!jn_room(&o->jc, 26))	/* all of msg_store and msg_snd's */
			jn_commit(&o->jc);
		if (!nfree)
			break;
		c = chunk(o, head);
		if (!c || !(m = READ_ONCE(c->nchunks)) || m > nfree)
			return UIPC_CORRUPT;
		if (m >= n || m == nfree)
			break;
		err = chains_join_top(o, c, m, nfree);
		if (err)
			return err;
		joined = true;
	}
	if (joined)
		jn_commit(&o->jc);	/* before the fill writes over a head */
	if (nfree && m <= n) {
		/* the whole chain */
		first = head;
		tail = READ_ONCE(c->len);
		if (!chunk(o, tail))
			return UIPC_CORRUPT;
		head = m < nfree ? READ_ONCE(c->next_msg) : 0;
		need -= m;
		nfree -= m;
	} else if (nfree) {
		/* its first n chunks; the rest stays a chain */
		struct uipc_msgcont *l;
		struct uipc_msghdr *r;

		first = tail = head;
		for (uint32_t i = 1; i < n; i++) {
			l = chunk(o, tail);
			if (!l)
				return UIPC_CORRUPT;
			tail = next_link(tail, READ_ONCE(l->next));
		}
		l = chunk(o, tail);
		if (!l || !(r = chunk(o, head = READ_ONCE(l->next))))
			return UIPC_CORRUPT;
		WRITE_ONCE(r->next_msg, READ_ONCE(c->next_msg));
		WRITE_ONCE(r->nchunks, m - n);
		WRITE_ONCE(r->len, READ_ONCE(c->len));
		jw32(&o->jc, &l->next, 0);
		need = 0;
		nfree -= n;
	}
	if (READ_ONCE(q->nfree) != nfree) {
		jw32(&o->jc, &q->free, head);
		jw32(&o->jc, &q->nfree, nfree);
	}
	if (need) {
		err = reserve_chunks(o, hw + need);
		if (err)
			return err;
		/* handed out from here on (chunk() checks links against it) */
		jw32(&o->jc, &q->hw, hw + need);
		if (tail)
			WRITE_ONCE(((struct uipc_msgcont *)chunk(o, tail))->next, hw + 1);
		else
			first = hw + 1;
		for (uint32_t i = 1; i < need; i++)
			WRITE_ONCE(((struct uipc_msgcont *)chunk(o, hw + i))->next, hw + i + 1);
		tail = hw + need;
	}
	t = chunk(o, tail);
	if (!t)
		return UIPC_CORRUPT;
	WRITE_ONCE(t->next, 0);
	*firstp = first;
	return 0;
}

/* Copy @len bytes of @text into the chain at @first (chunks_for(len) chunks). */
static int chain_fill(struct obj *o, uint32_t first, const char *text, size_t len)
{
	uint32_t cur = first;
	size_t done = 0;

	for (uint32_t i = 0, n = chunks_for(len); i < n; i++) {
		struct uipc_msgcont *c = chunk(o, cur);
		size_t room = i ? UIPC_MSG_CONT_DATA : UIPC_MSG_HDR_DATA;
		size_t k = len - done < room ? len - done : room;

		if (!c)
			return UIPC_CORRUPT;
		copy_piece(i ? c->data : ((struct uipc_msghdr *)c)->data,
			   text + done, k);
		done += k;
		cur = next_link(cur, READ_ONCE(c->next));
	}
	return 0;
}

/*
 * Store a message at the tail.  Lock held.  0, 1 (no room), or -errno.
 * Its chunks are unreachable until linked, so a crash leaves nothing.
 * With @f (a free fill record) the text is not copied: the message is
 * linked PENDING and recorded in @f, for fill_finish() after unlocking.
 */
static int msg_store(struct obj *o, long mtype, const char *text, size_t len,
		     struct uipc_msgfill *f)
{
	struct uipc_msq *q = o->u.msg.q;
	uint32_t n = chunks_for(len), first = 0;
	struct uipc_msghdr *h;
	int err;

	err = chunks_take(o, n, &first);
	if (err)
		return err;
	/* journalled where a free chain's head keeps its length, end and next */
	h = chunk(o, first);
	if (!h)
		return UIPC_CORRUPT;
	jw32(&o->jc, &h->next_msg, 0);
	WRITE_ONCE(h->type, mtype);
	jw32(&o->jc, &h->len, (uint32_t)len);
	jw32(&o->jc, &h->nchunks, f ? n | UIPC_MSG_PENDING : n);
	if (f) {
		const struct proc_self *me = proc_self();

		jw32(&o->jc, &f->first, first);
		jw64(&o->jc, &f->start, me->start);
		jw32(&o->jc, &f->lspid, READ_ONCE(q->lspid));
		jws64(&o->jc, &f->stime, READ_ONCE(q->stime));
		jw32(&o->jc, &f->pid, (uint32_t)me->pid);
	} else {
		err = chain_fill(o, first, text, len);
		if (err)
			return err;
	}
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

/* ---- long messages copied in without the lock ---- */

static void msg_detach(struct obj *o, uint32_t link, uint32_t prev);
static void chain_free(struct obj *o, uint32_t first, uint32_t last, uint32_t n);
static int fill_reap(struct obj *o);

/* A free fill record, or NULL (the text is then copied under the lock). */
static struct uipc_msgfill *fill_claim(struct obj *o)
{
	for (int pass = 0; pass < 2; pass++) {
		/* acquire: pairs with fill_finish()'s release of a record,
		 * whose last reads come before our writes to it */
		for (uint32_t i = 0; i < MSG_NFILL; i++)
			if (!load_acquire(&o->u.msg.fills[i].pid))
				return &o->u.msg.fills[i];
		if (pass || fill_reap(o) <= 0)
			break;
	}
	return NULL;
}

/*
 * Copy the text of the message @f records in, without the lock; then
 * clear its PENDING flag (waking receivers asleep on it) and free @f, in
 * that order, so that a pending message always has its record: one
 * whose owner is dead is one its sender never finished.
 */
static int fill_finish(struct obj *o, struct uipc_msgfill *f,
		       const char *text, size_t len)
{
	uint32_t first = READ_ONCE(f->first);
	struct uipc_msghdr *h = chunk(o, first);
	int err;

	if (!h) {
		err = UIPC_CORRUPT;
	} else {
		err = chain_fill(o, first, text, len);
		/* pairs with the acquire load of a receiver that finds it done */
		if (__atomic_exchange_n(&h->nchunks, chunks_for(len),
					__ATOMIC_RELEASE) & UIPC_MSG_WAITED)
			fx_wake(&h->nchunks, INT_MAX);
	}
	store_release(&f->pid, 0);
	return err;
}

/*
 * Who copies the pending message at @link in: 1 if a record for it has
 * a live owner (or, without @check, any owner), 0 if only dead ones, -1
 * if none (a corrupt file).  Lock held.
 */
static int fill_owner(struct obj *o, uint32_t link, bool check)
{
	int r = -1;

	for (uint32_t i = 0; i < MSG_NFILL; i++) {
		struct uipc_msgfill *f = &o->u.msg.fills[i];
		/* acquire: a record found free (fill_finish's release) means
		 * its message's flag is clear for the caller's next look */
		uint32_t pid = load_acquire(&f->pid);

		if (!pid || READ_ONCE(f->first) != link)
			continue;
		if (!check || !owner_gone(pid, READ_ONCE(f->start)))
			return 1;
		r = 0;
	}
	return r;
}

/*
 * Drop the pending message @link (after @prev) whose sender died copying
 * it in: it was never sent.  Lock held.  Its chain goes back, its records
 * are freed, and msg_lspid and msg_stime go back to what they were before
 * that send unless a send came since.
 */
static int fill_drop(struct obj *o, uint32_t link, uint32_t prev)
{
	struct uipc_msq *q = o->u.msg.q;
	struct uipc_msghdr *h = chunk(o, link);
	uint32_t n, last;

	if (!h)
		return UIPC_CORRUPT;
	n = READ_ONCE(h->nchunks) & UIPC_MSG_NMASK;
	if (n != chunks_for(READ_ONCE(h->len)) || !(last = chain_last(o, link, n)))
		return UIPC_CORRUPT;
	if (!jn_room(&o->jc, 8 + 3 * MSG_NFILL + 5))
		jn_commit(&o->jc);
	msg_detach(o, link, prev);
	for (uint32_t i = 0; i < MSG_NFILL; i++) {
		struct uipc_msgfill *f = &o->u.msg.fills[i];

		if (!READ_ONCE(f->pid) || READ_ONCE(f->first) != link)
			continue;
		if (READ_ONCE(q->lspid) == READ_ONCE(f->pid)) {
			jw32(&o->jc, &q->lspid, READ_ONCE(f->lspid));
			jws64(&o->jc, &q->stime, READ_ONCE(f->stime));
		}
		jw32(&o->jc, &f->pid, 0);
	}
	chain_free(o, link, last, n);
	return 0;
}

/*
 * Free the records of senders that died, dropping the messages they left
 * unfinished.  Lock held.  Only when records run short: it asks /proc
 * about each owner.  Returns the records freed, or -errno.
 */
static int fill_reap(struct obj *o)
{
	int freed = 0;

	for (uint32_t i = 0; i < MSG_NFILL; i++) {
		struct uipc_msgfill *f = &o->u.msg.fills[i];
		uint32_t first = READ_ONCE(f->first);
		uint32_t link = READ_ONCE(o->u.msg.q->head), prev = 0;
		uint64_t k = 0;

		if (!owner_gone(READ_ONCE(f->pid), READ_ONCE(f->start)))
			continue;
		/* its message, if still queued and pending */
		while (link && link != first) {
			struct uipc_msghdr *h = chunk(o, link);

			if (!h || k++ > o->u.msg.nchunks)
				return UIPC_CORRUPT;
			prev = link;
			link = READ_ONCE(h->next_msg);
		}
		if (link && (READ_ONCE(((struct uipc_msghdr *)chunk(o, link))->nchunks) &
			     UIPC_MSG_PENDING) && fill_owner(o, link, true) == 0) {
			int err = fill_drop(o, link, prev);

			if (err)
				return err;
		} else {
			if (!jn_room(&o->jc, 1))
				jn_commit(&o->jc);
			jw32(&o->jc, &f->pid, 0);
		}
		freed++;
	}
	return freed;
}

/*
 * Wait for the sender of the pending message @h (nchunks @hv, both just
 * checked by the caller under the lock) to copy it in.  Lock held on
 * entry and return, dropped while waiting; the caller looks again after
 * each call.  Calls alternate (*@spun): a spin while that sender runs on
 * another CPU, without the lock, which the sender wants for its next
 * message; then a sleep on the word for at most MSG_FILL_NAP_NS (counted
 * in *@naps: from the first, the caller asks whether the sender is still
 * alive).  The sleep flags the word WAITED before it unlocks, so only on
 * a call that found the message pending with the lock held throughout:
 * once the lock is dropped, @h may be some other message's text.
 */
static int fill_wait(struct obj *o, struct uipc_msghdr *h, uint32_t hv,
		     int *naps, bool *spun, const struct timespec *deadline)
{
	struct timespec nap;
	bool sleep;

	if (!*spun) {
		uint32_t pc = msg_partner_cpu(o->u.msg.q);

		*spun = true;
		msq_unlock(o);
		wt_spin(&h->nchunks, 4, hv, pc);
		msq_lock(o);
		return 0;
	}
	*spun = false;
	/*
	 * The sender wakes the word's sleepers when it sees WAITED.  Set
	 * with the lock held: the message cannot be received, nor its
	 * chunk reused, before the sender clears the flag.
	 */
	sleep = (hv & UIPC_MSG_WAITED) ||
		__atomic_compare_exchange_n(&h->nchunks, &hv, hv | UIPC_MSG_WAITED,
					    0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
	msq_unlock(o);
	fx_nap_end(MSG_FILL_NAP_NS, deadline, &nap);
	if (sleep)
		fx_wait(&h->nchunks, hv | UIPC_MSG_WAITED, &nap);
	(*naps)++;
	msq_lock(o);
	return fx_past(deadline) ? -EAGAIN : 0;
}

int msg_snd(int msqid, const void *msgp, size_t msgsz, int msgflg,
	    const struct timespec *timeout)
{
	const struct msgbuf *mb = msgp;
	struct uipc_msgfill *fill = NULL;
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
	if (msgsz <= UIPC_MSG_BOX_DATA &&
	    ring_send(o, mtype, mb->mtext, msgsz, msgflg) == 0) {
		ipc_obj_put(o);
		return 0;
	}
	msq_lock(o);
	for (;;) {
		if (READ_ONCE(o->hdr->state) != UIPC_S_LIVE) {
			r = -EIDRM;
			break;
		}
		fill = NULL;
		if (fits(o->u.msg.q, msgsz)) {
			if (msgsz >= MSG_FILL_MIN)
				fill = fill_claim(o);
			r = msg_store(o, mtype, mb->mtext, msgsz, fill);
			if (r == 1 && !reaped) {
				/* out of chunks: a receiver may have died
				 * holding some */
				reaped = true;
				flight_reap(o);
				r = msg_store(o, mtype, mb->mtext, msgsz, fill);
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
			struct uipc_msq *q = o->u.msg.q;
			uint64_t seq = READ_ONCE(q->opseq);
			uint32_t pc = msg_partner_cpu(q);
			bool full = !fits(q, msgsz);

			msq_unlock(o);
			if (!(full && room_spin(q, msgsz, pc)) &&
			    !wt_spin(&q->opseq, 8, seq, pc))
				spins = MSG_SPINS;
			msq_lock(o);
			continue;
		}
		r = msg_wait(o, UIPC_MSGW_SEND, 0, msgsz, msgflg,
			     timeout ? &deadline : NULL);
		if (r)
			break;
	}
	if (r == 0) {
		struct uipc_msq *q = o->u.msg.q;

		if (READ_ONCE(q->box_small) != (msgsz <= UIPC_MSG_BOX_DATA))
			jw32(&o->jc, &q->box_small, msgsz <= UIPC_MSG_BOX_DATA);
		jw32(&o->jc, &q->lspid, (uint32_t)proc_self()->pid);
		msg_hint(q);
		jws64(&o->jc, &q->stime, ipc_now());
		nw = msg_wake_mark(o, UIPC_MSGW_RECV, false, mtype, wake);
	}
	msq_unlock(o);
	msg_wake(o, wake, nw);	/* a receiver's wakeup overlaps the copy */
	if (r == 0 && fill)
		r = fill_finish(o, fill, mb->mtext, msgsz);
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
	copy_piece(mb->mtext, h->data, done);
	for (uint32_t i = 1; i < n; i++) {
		struct uipc_msgcont *cc = chunk(o, c);

		if (!cc)
			return UIPC_CORRUPT;
		k = want - done < UIPC_MSG_CONT_DATA ? want - done : UIPC_MSG_CONT_DATA;
		copy_piece(mb->mtext + done, cc->data, k);
		done += k;
		last = c;
		c = next_link(c, READ_ONCE(cc->next));
	}
	if (c)
		return UIPC_CORRUPT;
	*lastp = last;
	return (long)want;
}

/* Take message @link (after @prev) off the list and the counters.  Lock held. */
static void msg_detach(struct obj *o, uint32_t link, uint32_t prev)
{
	struct uipc_msq *q = o->u.msg.q;
	struct uipc_msghdr *h = chunk(o, link);

	if (prev)
		jw32(&o->jc, &((struct uipc_msghdr *)chunk(o, prev))->next_msg,
		     READ_ONCE(h->next_msg));
	else
		jw32(&o->jc, &q->head, READ_ONCE(h->next_msg));
	if (READ_ONCE(q->tail) == link)
		jw32(&o->jc, &q->tail, prev);
	jw64(&o->jc, &q->qnum, READ_ONCE(q->qnum) - 1);
	jw64(&o->jc, &q->cbytes, READ_ONCE(q->cbytes) - READ_ONCE(h->len));
}

/* Receive message @link (after @prev): off the queue, and accounted.  Lock held. */
static void msg_unlink(struct obj *o, uint32_t link, uint32_t prev)
{
	struct uipc_msq *q = o->u.msg.q;

	if (!jn_room(&o->jc, MSG_UNLINK_WORDS))
		jn_commit(&o->jc);
	msg_detach(o, link, prev);
	jw32(&o->jc, &q->lrpid, (uint32_t)proc_self()->pid);
	msg_hint(q);
	jws64(&o->jc, &q->rtime, ipc_now());
}

/*
 * Give the chain @first..@last (@n chunks) back: it goes on the free list
 * whole, its first chunk saying how long it is and where it ends (see
 * chunks_take).  Lock held.
 */
static void chain_free(struct obj *o, uint32_t first, uint32_t last, uint32_t n)
{
	struct uipc_msq *q = o->u.msg.q;
	struct uipc_msghdr *h = chunk(o, first);

	if (!h || !chunk(o, last))
		return;		/* checked by the caller; leak rather than break */
	if (!jn_room(&o->jc, 5))
		jn_commit(&o->jc);
	jw32(&o->jc, &h->next_msg, READ_ONCE(q->free));
	jw32(&o->jc, &h->len, last);
	if (READ_ONCE(h->nchunks) != n)
		jw32(&o->jc, &h->nchunks, n);
	jw32(&o->jc, &q->free, first);
	jw32(&o->jc, &q->nfree, READ_ONCE(q->nfree) + n);
}

/*
 * Give back the chains of receivers that died copying out.  Lock held.
 * Only when records or chunks run short: it asks /proc about each owner.
 */
static void flight_reap(struct obj *o)
{
	for (uint32_t i = 0; i < MSG_NFLIGHT; i++) {
		struct uipc_msgflight *f = &o->u.msg.flights[i];
		uint32_t n, last;

		if (!owner_gone(READ_ONCE(f->pid), READ_ONCE(f->start)))
			continue;
		n = READ_ONCE(f->nchunks);
		last = chain_last(o, READ_ONCE(f->first), n);
		/* the chain and the record go back together or not at all */
		if (!jn_room(&o->jc, 6))
			jn_commit(&o->jc);
		if (last)	/* a broken chain is left */
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

	/* off the queue and into the record in one transaction: a receiver
	 * dying between the two would leak the chain */
	if (!jn_room(&o->jc, MSG_UNLINK_WORDS + 5))
		jn_commit(&o->jc);
	msg_unlink(o, link, prev);
	jw32(&o->jc, &f->first, link);
	jw32(&o->jc, &f->nchunks, n);
	jw64(&o->jc, &f->start, me->start);
	jw32(&o->jc, &f->pid, (uint32_t)me->pid);
	*nw = msg_wake_mark(o, UIPC_MSGW_SEND, true, 0, wake);
	msq_unlock(o);
	msg_wake(o, wake, *nw);
	r = msg_copy_out(o, link, msgp, msgsz, &last);
	msq_lock(o);
	*nw = 0;
	if (READ_ONCE(o->hdr->state) != UIPC_S_LIVE)
		return r;	/* removed meanwhile: received before that */
	if (READ_ONCE(f->pid) == (uint32_t)me->pid &&
	    READ_ONCE(f->start) == me->start && READ_ONCE(f->first) == link) {
		if (!jn_room(&o->jc, 6))
			jn_commit(&o->jc);
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
	int spins = 0, naps = 0;
	bool fill_spun = false;
	struct obj *o;
	bool box_ok;
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
	box_ok = !(msgflg & MSG_COPY) && !ipc_ptr_ok(msgp);
	if (box_ok && (r = ring_recv(o, msgp, msgsz, msgtyp, msgflg)) != BOX_MISS) {
		ipc_obj_put(o);
		return r;
	}
	msq_lock(o);
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
			uint32_t hv;

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
			hv = load_acquire(&h->nchunks);
			if (hv & UIPC_MSG_PENDING) {
				/* its sender still copies it in */
				if (fill_owner(o, (uint32_t)link, naps > 0) > 0) {
					r = fill_wait(o, h, hv, &naps, &fill_spun,
						      timeout ? &deadline : NULL);
					if (r)
						break;
					continue;
				}
				/*
				 * No live owner.  Its sender clears the flag
				 * before it frees the record, and fill_owner()
				 * read the record with acquire: look again.
				 */
				if (!(load_acquire(&h->nchunks) & UIPC_MSG_PENDING))
					continue;
				r = fill_drop(o, (uint32_t)link, prev);
				if (r)
					break;
				nw = msg_wake_mark(o, UIPC_MSGW_SEND, true, 0, wake);
				msq_unlock(o);
				msg_wake(o, wake, nw);
				nw = 0;
				msq_lock(o);
				continue;
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

			msq_unlock(o);
			if (box_ok && READ_ONCE(o->u.msg.ring->open)) {
				/* reopened: the next small message comes there */
				r = ring_recv(o, msgp, msgsz, msgtyp, msgflg);
				if (r != BOX_MISS) {
					ipc_obj_put(o);
					return r;
				}
			} else if (!wt_spin(&q->opseq, 8, seq, pc)) {
				spins = MSG_SPINS;	/* no send, nor a reopen */
			}
			msq_lock(o);
			continue;
		}
		r = msg_wait(o, UIPC_MSGW_RECV, msgtyp, msgsz, msgflg,
			     timeout ? &deadline : NULL);
		if (r)
			break;
	}
	msq_unlock(o);
	msg_wake(o, wake, nw);
	ipc_obj_put(o);
	return r;
}

/* ---- for msgctl ---- */

static void msq_count_one(struct obj *o, void *arg)
{
	struct msq_report r;
	int *t = arg;

	msq_report(o, &r);
	t[0] += (int)r.qnum;
	t[1] += (int)r.cbytes;
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

/*
 * IPC_SET's msg_qbytes.  Lock held.  The ring is closed first: a fast
 * send checked the old limit, and must either be in the queue before the
 * change (ring_close waits for it and moves it there) or find the ring
 * closed and check again under the lock.
 */
int msq_set_qbytes(struct obj *o, uint64_t qbytes)
{
	ring_close(o);
	if (!jn_room(&o->jc, 1))
		jn_commit(&o->jc);
	jw64(&o->jc, &o->u.msg.q->qbytes, qbytes);
	return 0;
}

/*
 * msq_settle - before msgctl reports the queue: close the ring, so that
 * its messages and statistics are the queue's at one moment, and drop the
 * messages that senders died copying in (never sent, as a kernel msgsnd
 * that did not return is not), so that the counts are those of the
 * messages one can receive.  Lock held (not on a view: it walks the
 * chunks, which a view does not copy).  Returns true if it freed a
 * record: then senders may retry (msq_after_set, after unlocking).
 */
bool msq_settle(struct obj *o)
{
	ring_close(o);
	for (uint32_t i = 0; i < MSG_NFILL; i++)
		if (READ_ONCE(o->u.msg.fills[i].pid))
			return fill_reap(o) > 0;
	return false;
}

/* Before msgctl unlocks: open the ring again if the queue allows it. */
void msq_reopen(struct obj *o)
{
	ring_reopen(o);
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
	ring_close(o);	/* fast senders and receivers are done, and out */
	/* a receiver may still be copying a message out: keep its bytes */
	for (uint32_t i = 0; i < MSG_NFLIGHT; i++)
		if (READ_ONCE(o->u.msg.flights[i].pid))
			o->keep_memory = true;
	/* and a sender copying one in */
	for (uint32_t i = 0; i < MSG_NFILL; i++)
		if (READ_ONCE(o->u.msg.fills[i].pid))
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
	struct msq_report r;

	msq_report(o, &r);
	for (uint32_t i = 0; i < MSG_NSLOTS; i++) {
		struct uipc_waiter *w = &o->u.msg.slots[i].w;

		if (READ_ONCE(w->state) == UIPC_W_WAIT)
			fn(ctx, (pid_t)READ_ONCE(w->pid), READ_ONCE(w->start),
			   UIPC_USER_WAIT, 1, true);
	}
	/* fast sends and receives in progress */
	for (uint32_t i = 0; i < UIPC_MSG_RING; i++) {
		const struct uipc_msgbox *b = &o->u.msg.box[i];
		uint64_t bw = READ_ONCE(b->word);

		if (BOX_ST(bw) == UIPC_BOX_FILLING || BOX_ST(bw) == UIPC_BOX_TAKING)
			fn(ctx, (pid_t)BOX_PID(bw), READ_ONCE(b->start),
			   UIPC_USER_WAIT, 1, READ_ONCE(b->start) != 0);
	}
	for (uint32_t i = 0; i < MSG_NFILL; i++) {
		const struct uipc_msgfill *f = &o->u.msg.fills[i];

		if (READ_ONCE(f->pid))
			fn(ctx, (pid_t)READ_ONCE(f->pid), READ_ONCE(f->start),
			   UIPC_USER_WAIT, 1, true);
	}
	fn(ctx, (pid_t)r.lspid, 0, UIPC_USER_LAST, 1, false);
	if (r.lrpid != r.lspid)
		fn(ctx, (pid_t)r.lrpid, 0, UIPC_USER_LAST, 1, false);
}
