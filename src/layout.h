/* SPDX-License-Identifier: MIT */
/*
 * layout.h - every byte that lives in a uipc file.
 *
 * A namespace ($UIPC_ROOT) holds:
 *   msg.<id>, sem.<id>, shm.<id>
 *                     one file per object (struct uipc_hdr, then a body)
 *   <type>.i<index>   symlink "<id> <usage>": the index is taken (ns.c)
 *   <type>.k<key>     symlink "<id> <extra>": the object under a key
 *   uipc.ids.<uid>    where uid's next creation looks for an index
 *                     (struct uipc_idhint)
 *   uipc.limits       optional text overrides of the kernel limits
 *
 * Everything here is shared with other processes, any of which may be
 * buggy or hostile: fields hold offsets (from the start of the file), never
 * pointers, and every offset, length and count read from a file is checked
 * before use (see ipc_map_validate()).  All fields are fixed-width and
 * naturally aligned; the _Static_asserts pin the layout.  Changing anything
 * here means bumping UIPC_FORMAT_VERSION.
 */
#ifndef UIPC_LAYOUT_H
#define UIPC_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#define UIPC_MAGIC		0x43504955u	/* "UIPC" */
#define UIPC_FORMAT_VERSION	7	/* object files */

/* The kernel's index space: ids are seq * UIPC_SEQ_MULT + index. */
#define UIPC_IPCMNI		32768
#define UIPC_SEQ_MULT		32768
#define UIPC_MIN_CYCLE		64	/* the kernel's ipc_min_cycle */

enum uipc_type {
	UIPC_T_MSG = 0,
	UIPC_T_SEM = 1,
	UIPC_T_SHM = 2,
	UIPC_NTYPES = 3,
};

/* uipc_hdr.state */
#define UIPC_S_NEW		0u	/* being published under its names */
#define UIPC_S_LIVE		1u
#define UIPC_S_REMOVED		2u

/*
 * struct uipc_lock - a mutex that survives the death of its holder.
 *
 * word is the futex word:
 *   0                        free
 *   pid                      held by process pid, nobody waiting
 *   pid | UIPC_LOCK_WAITERS  held, and someone may sleep on it
 * The holder is a process, not a thread: liveness is per process.
 * owner_start is the holder's start time (see proc.c), written right
 * after acquiring and cleared right before releasing; 0 means "not known
 * yet", in which case only the pid is checked.
 */
#define UIPC_LOCK_WAITERS	0x80000000u
#define UIPC_LOCK_PIDMASK	0x3fffffffu

struct uipc_lock {
	uint32_t word;		/* futex word, encoding above */
	uint32_t pad;		/* zero */
	uint64_t owner_start;	/* holder's start time, or 0 */
};

/*
 * The undo journal of an object: a multi-word update records the old value
 * of each word before it writes it (entry first, then n, then the word), and
 * clears n to commit.  Whoever takes over the lock of a dead holder restores
 * the entries from n-1 down to 0 (rollback), so every update is all or
 * nothing.  Offsets are from the start of the file.
 */
struct uipc_jent {
	uint32_t off;		/* offset of the word in the file */
	uint32_t width;		/* 4 or 8 */
	uint64_t old;		/* value to restore */
};

struct uipc_journal {
	uint32_t n;		/* entries in use; 0 = nothing in flight */
	uint32_t cap;		/* entries that fit after this header */
	/* struct uipc_jent ent[cap] follows */
};

struct uipc_perm {
	uint32_t uid;		/* owner */
	uint32_t gid;
	uint32_t cuid;		/* creator */
	uint32_t cgid;
	uint32_t mode;		/* 0777 bits, plus SHM_DEST / SHM_LOCKED */
	int32_t key;		/* IPC_PRIVATE (0) after a segment's RMID */
};

/*
 * struct uipc_hdr - offset 0 of every object file.
 */
struct uipc_hdr {
	uint32_t magic;		/* UIPC_MAGIC */
	uint16_t version;	/* UIPC_FORMAT_VERSION */
	uint16_t type;		/* enum uipc_type */
	uint32_t hdr_size;	/* sizeof(struct uipc_hdr) */
	uint32_t state;		/* UIPC_S_LIVE or UIPC_S_REMOVED */
	uint64_t file_size;	/* bytes of the file that are mapped */
	int32_t id;		/* the object's identifier */
	uint32_t body_off;	/* offset of the type's body */
	struct uipc_lock lock;	/* the object lock */
	struct uipc_perm perm;	/* ipc_perm */
	uint32_t journal_off;	/* offset of struct uipc_journal */
	uint32_t journal_size;	/* bytes reserved for it */
	int64_t ctime;		/* last change (IPC_SET, creation, ...) */
	uint32_t body_size;	/* bytes of the body */
	uint32_t creator_pid;	/* for the tools */
	uint64_t creator_start;	/* creator's start time */
	uint32_t mappers;	/* processes that may map the file (an upper
				 * bound: +1 per mapping, fork included; -1
				 * per unmapping; exit and death leave it) */
	uint32_t pad;
	uint64_t reserved[2];	/* zero */
};

_Static_assert(sizeof(struct uipc_lock) == 16, "uipc_lock");
_Static_assert(sizeof(struct uipc_perm) == 24, "uipc_perm");
_Static_assert(offsetof(struct uipc_hdr, lock) == 32, "hdr.lock");
_Static_assert(offsetof(struct uipc_hdr, perm) == 48, "hdr.perm");
_Static_assert(offsetof(struct uipc_hdr, ctime) == 80, "hdr.ctime");
_Static_assert(sizeof(struct uipc_hdr) == 128, "uipc_hdr");

/* ------------------------------------------------------------------ */
/* Waiters (wait.c). */

/*
 * struct uipc_waiter - a process blocked in an operation on an object.
 * The sleeper owns the slot from enqueue until it frees it again (under
 * the object lock); state is its futex word.  Whoever completes its
 * operation stores result, then state = UIPC_W_DONE, and wakes it after
 * dropping the object lock.  mutex is a robust, process-shared pthread
 * mutex the sleeper holds while it is queued: a waker that finds it
 * EOWNERDEAD knows the sleeper died and drops the slot.
 */
#define UIPC_W_FREE		0u
#define UIPC_W_WAIT		1u	/* queued, operation pending */
#define UIPC_W_DONE		2u	/* completed, result set */
#define UIPC_W_RETRY		3u	/* woken to try again itself */

struct uipc_waiter {
	uint32_t state;		/* futex word, UIPC_W_* */
	int32_t result;		/* 0 or -errno when DONE */
	uint32_t pid;
	uint32_t kind;		/* type-specific */
	uint64_t start;		/* the sleeper's start time */
	uint64_t seq;		/* FIFO position */
	uint64_t mutex[5];	/* pthread_mutex_t (robust, pshared) */
	uint32_t asleep;	/* 1 once the sleeper is about to wait */
	uint32_t pad;
};

_Static_assert(sizeof(struct uipc_waiter) == 80, "uipc_waiter");

/* ------------------------------------------------------------------ */
/* Message queue body (msg.c, msgbuf.c). */

struct uipc_msq {
	uint64_t qbytes;	/* msg_qbytes: max bytes (and messages) */
	uint64_t cbytes;	/* msg_cbytes: bytes queued */
	uint64_t qnum;		/* msg_qnum: messages queued */
	uint32_t lspid;		/* last msgsnd pid */
	uint32_t lrpid;		/* last msgrcv pid */
	int64_t stime;		/* last msgsnd time */
	int64_t rtime;		/* last msgrcv time */
	uint32_t head;		/* first message: chunk index + 1, 0 = none */
	uint32_t tail;		/* last message, likewise */
	uint32_t free;		/* first free chain, likewise */
	uint32_t nchunks;	/* chunks the file has room for */
	uint32_t hw;		/* chunks ever handed out (high water) */
	uint32_t reserved_chunks; /* chunks backed by fallocate */
	uint32_t chunks_off;	/* offset of chunk 0 (page aligned) */
	uint32_t nslots;	/* waiter slots */
	uint32_t slots_off;	/* offset of struct uipc_msgwait[nslots] */
	uint32_t last_cpu;	/* spin hints (unjournalled): CPU + 1 of */
	uint64_t wseq;		/* FIFO counter for waiters */
	uint32_t prev_cpu;	/* the last process to operate (last_pid) */
	uint32_t last_pid;	/* and of the one before it */
	uint64_t opseq;		/* locked sends + receives and ring reopens
				 * so far (spin hint) */
	uint32_t slots_hw;	/* waiter slots ever used: scans stop here */
	uint32_t nfree;		/* chunks on the free list */
	uint32_t box_off;	/* offset of struct uipc_msgring (128-aligned),
				 * its UIPC_MSG_RING boxes right after it */
	uint32_t box_small;	/* the last locked send would fit a box */
};

/*
 * Messages are chains of 64-byte chunks.  The first chunk of a message
 * is a struct uipc_msghdr; the others are struct uipc_msgcont.  Chunk
 * links are chunk index + 1 (0 ends a chain).  Free chunks are whole
 * chains too (uipc_msq.free, the first): the first chunk of a free chain
 * holds its length in nchunks, the link of its last chunk in len and the
 * next free chain in next_msg.
 */
#define UIPC_MSG_CHUNK		64
#define UIPC_MSG_HDR_DATA	40
#define UIPC_MSG_CONT_DATA	60

struct uipc_msghdr {
	uint32_t next;		/* this message's next chunk (as uipc_msgcont) */
	uint32_t next_msg;	/* the next message in the queue */
	int64_t type;		/* mtype */
	uint32_t len;		/* bytes of mtext */
	uint32_t nchunks;	/* chunks in this message's chain */
	uint8_t data[UIPC_MSG_HDR_DATA];
};

struct uipc_msgcont {
	uint32_t next;
	uint8_t data[UIPC_MSG_CONT_DATA];
};

#define UIPC_MSGW_SEND		1u
#define UIPC_MSGW_RECV		2u

struct uipc_msgwait {
	struct uipc_waiter w;	/* w.kind: UIPC_MSGW_SEND or _RECV */
	int64_t type;		/* receiver: msgtyp */
	uint64_t size;		/* receiver: buffer size; sender: message size */
	int32_t flags;		/* receiver: msgflg */
	uint32_t pad;
};

/*
 * A long message a receiver has taken off the queue and copies out
 * without the lock.  Its chunks go back to the free list when the
 * receiver is done, or when the receiver is found dead.
 */
struct uipc_msgflight {
	uint32_t pid;		/* 0: free */
	uint32_t first;		/* the chain's first chunk (link) */
	uint64_t start;		/* the receiver's start time */
	uint32_t nchunks;	/* chunks in the chain */
	uint32_t pad;
};

/*
 * A long message whose sender copies its text in after unlocking: it is
 * linked and counted at once, with UIPC_MSG_PENDING in its header's
 * nchunks until the text is in (a receiver that reaches it waits, setting
 * UIPC_MSG_WAITED before it sleeps on that word).  The sender clears the
 * flag, then frees the record.  A lock holder that finds a pending
 * message whose record's owner is dead drops it and puts msg_lspid and
 * msg_stime back if no send came since.
 */
#define UIPC_MSG_PENDING	0x80000000u
#define UIPC_MSG_WAITED		0x40000000u
#define UIPC_MSG_NMASK		0x3fffffffu

struct uipc_msgfill {
	uint32_t pid;		/* 0: free */
	uint32_t first;		/* the message (its first chunk's link) */
	uint64_t start;		/* the sender's start time */
	uint32_t lspid;		/* msg_lspid before this send */
	uint32_t pad;
	int64_t stime;		/* msg_stime before this send */
};

/*
 * The ring: UIPC_MSG_RING boxes through which small messages (up to
 * UIPC_MSG_BOX_DATA bytes) pass with no lock, while the queue proper is
 * empty and nobody waits (msgop.c).  Messages take positions 0, 1, 2, ...
 * in the order sent; position p goes in box p % UIPC_MSG_RING on lap
 * p / UIPC_MSG_RING.  The ring header holds hints only (each helped on
 * by whoever finds it behind): tail, the next position to fill, and head,
 * the next to take, on lines of their own; k, how many positions may be
 * in use at once (so that k boxes stay within msg_qbytes); and open, set
 * by the lock holder that opens the ring, cleared by the one that closes
 * it once every box is CLOSED.  A ring closed idle (nothing sent or
 * received since it opened) reopens on the same positions if msg_qbytes
 * is unchanged; otherwise on positions past every one used before.
 */
#define UIPC_MSG_RING		32

struct uipc_msgring {
	uint64_t tail;		/* next position to fill (hint) */
	uint32_t k;		/* positions in use at most: 1..UIPC_MSG_RING */
	uint32_t open;		/* boxes may be in use: close them first */
	uint64_t qbytes;	/* msg_qbytes when the ring was last opened */
	uint32_t idle;		/* closed with nothing sent or received */
	uint32_t pad;
	uint8_t pad0[32];
	uint64_t head;		/* next position to take (hint) */
	uint8_t pad1[56];
};

/*
 * struct uipc_msgbox - one box of the ring, two cache lines.  word holds
 * the state, the lap it is for (bits 7..31, modulo 2^25) and the pid of
 * the process that made the last change:
 *   EMPTY      open for the position on its lap: a sender may move it to
 *              FILLING
 *   FILLING    a sender writes type, len, data, spid, stime, scpu, then
 *              FULL
 *   FULL       the message at that position: a receiver may move it to
 *              TAKING, a lock holder to ABSORBING
 *   TAKING     a receiver copies it out, writes rpid, rtime, rcpu, then
 *              EMPTY on the next lap
 *   CLOSED     the lock holder keeps senders out (queue not empty,
 *              waiters, removal, or simply held)
 *   ABSORBING  the lock holder moves the message into the queue, then
 *              makes the box CLOSED on the next lap
 * SPEND and RPEND say that the box's sender (spid, stime) and receiver
 * (rpid, rtime) pairs are newer than the queue's msg_lspid/msg_stime and
 * msg_lrpid/msg_rtime (a lock holder settles the newest into the queue).
 * Each pair is kept twice: SSEL and RSEL name the current one, a sender
 * or receiver writes the other and flips the bit with the state it
 * publishes, so one that dies half way leaves the current pair whole.
 * start holds the low 32 bits of the start time of the process in
 * FILLING or TAKING, 0 when not yet known.  scpu and rcpu (CPU + 1 of
 * the last sender and receiver) are spin hints.  A short message lives
 * on the word's line; the second line holds the rest of a long one and
 * the pairs and hints, which are written only when they change (a new
 * pid, second or CPU), so that in a steady exchange only the first line
 * moves between caches.
 */
#define UIPC_BOX_STATE		0x7ull
#define UIPC_BOX_EMPTY		0ull
#define UIPC_BOX_FILLING	1ull
#define UIPC_BOX_FULL		2ull
#define UIPC_BOX_TAKING		3ull
#define UIPC_BOX_CLOSED		4ull
#define UIPC_BOX_ABSORBING	5ull
#define UIPC_BOX_SPEND		0x8ull
#define UIPC_BOX_RPEND		0x10ull
#define UIPC_BOX_SSEL		0x20ull
#define UIPC_BOX_RSEL		0x40ull
#define UIPC_BOX_LAPSHIFT	7		/* lap: bits 7..31 */
#define UIPC_BOX_LAPMASK	0x1ffffffull
#define UIPC_BOX_PIDSHIFT	32
#define UIPC_MSG_BOX_DATA	64

#define UIPC_MSG_BOX_HEAD	40	/* data bytes on the word's line */

struct uipc_msgbox {
	uint64_t word;		/* state, flags, lap, pid (above) */
	uint32_t start;		/* FILLING/TAKING owner's start time (low) */
	uint32_t len;		/* bytes of data */
	int64_t type;		/* mtype */
	uint8_t data[UIPC_MSG_BOX_HEAD];	/* the first bytes */
	/* second line: written only when they change */
	uint32_t spid[2];	/* the last fast sender (SSEL: current) */
	uint32_t stime[2];	/* its send time (seconds, unsigned) */
	uint32_t rpid[2];	/* the last fast receiver (RSEL: current) */
	uint32_t rtime[2];	/* its receive time */
	uint32_t scpu;		/* the last sender's CPU + 1 (hint) */
	uint32_t rcpu;		/* the last receiver's CPU + 1 (hint) */
	uint8_t data2[UIPC_MSG_BOX_DATA - UIPC_MSG_BOX_HEAD];	/* the rest */
};

_Static_assert(sizeof(struct uipc_msq) == 128, "uipc_msq");
_Static_assert(sizeof(struct uipc_msgbox) == 128, "uipc_msgbox");
_Static_assert(sizeof(struct uipc_msgring) == 128, "uipc_msgring");
_Static_assert(offsetof(struct uipc_msgbox, spid) == 64, "uipc_msgbox lines");
_Static_assert(offsetof(struct uipc_msgring, head) == 64, "uipc_msgring.head");
_Static_assert(sizeof(struct uipc_msgflight) == 24, "uipc_msgflight");
_Static_assert(sizeof(struct uipc_msgfill) == 32, "uipc_msgfill");
_Static_assert(sizeof(struct uipc_msghdr) == UIPC_MSG_CHUNK, "uipc_msghdr");
_Static_assert(offsetof(struct uipc_msghdr, next) == offsetof(struct uipc_msgcont, next),
	       "free chunks chain through the same field");
_Static_assert(sizeof(struct uipc_msgcont) == UIPC_MSG_CHUNK, "uipc_msgcont");
_Static_assert(sizeof(struct uipc_msgwait) == 104, "uipc_msgwait");

/* ------------------------------------------------------------------ */
/* Semaphore set body (sem.c). */


struct uipc_semset {
	uint32_t nsems;		/* sem_nsems */
	uint32_t sems_off;	/* offset of struct uipc_sem[nsems] */
	uint32_t nslots;	/* waiter slots */
	uint32_t slots_off;	/* offset of struct uipc_semwait[nslots] */
	uint32_t nundo;		/* undo records */
	uint32_t undo_off;	/* offset of the first undo record */
	uint32_t undo_size;	/* bytes per undo record */
	uint32_t last_cpu;	/* spin hints, as in struct uipc_msq */
	uint64_t wseq;		/* FIFO counter for waiters */
	uint32_t undo_hw;	/* undo records ever used: scans stop here */
	uint32_t prev_cpu;
	uint32_t last_pid;
	uint32_t pad;
};

/*
 * uipc_sem.val: bits 0-15 semval; UIPC_SEM_WAITERS: some queued waiter's
 * operation involves this semaphore; UIPC_SEM_LOCKED: the holder of the
 * set lock is working on it.  While either flag is set the value changes
 * only under the set lock; otherwise a single operation may change it
 * with one compare-and-swap (the fast path).
 */
#define UIPC_SEM_VALMASK	0xffffu
#define UIPC_SEM_WAITERS	0x40000000u
#define UIPC_SEM_UNDOADJ	0x20000000u	/* some undo record adjusts it */
#define UIPC_SEM_LOCKED		0x80000000u

struct uipc_sem {
	uint32_t val;		/* semval and flags, above */
	uint32_t pid;		/* sempid */
	int64_t otime;		/* last semop time on this semaphore */
};

#define UIPC_SEM_SLOT_OPS	32	/* operations stored with a waiter */

struct uipc_sop {
	uint16_t num;
	int16_t op;
	int16_t flg;
};

struct uipc_semwait {
	struct uipc_waiter w;
	uint32_t nsops;
	uint32_t blocking;	/* index of the operation that blocks */
	struct uipc_sop sops[UIPC_SEM_SLOT_OPS];
};

/* An undo record: header, then int16_t adj[nsems], padded to 8 bytes. */
struct uipc_semundo {
	uint32_t pid;		/* 0: free */
	uint32_t pad;
	uint64_t start;
};

_Static_assert(sizeof(struct uipc_semset) == 56, "uipc_semset");
_Static_assert(sizeof(struct uipc_sem) == 16, "uipc_sem");
_Static_assert(sizeof(struct uipc_sop) == 6, "uipc_sop");
_Static_assert(sizeof(struct uipc_semwait) == 280, "uipc_semwait");
_Static_assert(sizeof(struct uipc_semundo) == 16, "uipc_semundo");

/* ------------------------------------------------------------------ */
/* Shared memory segment body (shm.c). */

struct uipc_shmseg {
	uint64_t segsz;		/* shm_segsz, as asked (unrounded) */
	uint64_t data_off;	/* page-aligned offset of the segment's bytes */
	uint64_t data_len;	/* segsz rounded up to pages */
	uint32_t nattch;	/* shm_nattch */
	uint32_t cpid;		/* creator pid */
	uint32_t lpid;		/* last shmat/shmdt pid */
	uint32_t pad;
	int64_t atime;		/* last attach */
	int64_t dtime;		/* last detach */
	uint32_t att_off;	/* offset of struct uipc_shmatt[att_cap] */
	uint32_t att_cap;
	uint32_t att_hw;	/* entries ever used: scans stop here */
	uint32_t pad2;
	uint64_t reserved;	/* zero */
};

/* Who holds attachments: count per process (pid, start time). */
struct uipc_shmatt {
	uint32_t pid;		/* 0: free */
	uint32_t count;		/* attachments, | UIPC_ATT_LENT */
	uint32_t start;		/* start time, low 32 bits (with the pid,
				 * enough to tell a reused pid) */
};

/*
 * In uipc_shmatt.count: one of the process's attachments is the data part
 * of the library's own mapping of the file (see lend_data() in shm.c), so
 * that in /proc/PID/maps it may show as part of a mapping from offset 0.
 */
#define UIPC_ATT_LENT		0x80000000u

_Static_assert(sizeof(struct uipc_shmseg) == 80, "uipc_shmseg");
_Static_assert(sizeof(struct uipc_shmatt) == 12, "uipc_shmatt");

/* ------------------------------------------------------------------ */
/* Where a user's creations go on (ns.c): uipc.ids.<uid>, owned by uid. */

#define UIPC_HINT_MAGIC		0x44495555u	/* "UUID" */

struct uipc_idhint_type {
	uint32_t seq;		/* sequence number of the last id handed out */
	int32_t last_idx;	/* its index, -1 at first */
	uint32_t next;		/* where the next cyclic search starts */
	uint32_t pad;
	uint64_t gen;		/* 1 + the newest gen this user saw when it
				 * allocated (the newest hint wins) */
};

struct uipc_idhint {
	uint32_t magic;		/* UIPC_HINT_MAGIC */
	uint32_t pad;
	struct uipc_idhint_type t[UIPC_NTYPES];
};

_Static_assert(sizeof(struct uipc_idhint) == 80, "uipc_idhint");

#endif /* UIPC_LAYOUT_H */
