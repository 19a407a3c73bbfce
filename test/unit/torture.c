// SPDX-License-Identifier: MIT
/*
 * torture.c - random workers hammering one object while a killer SIGKILLs
 * them, with end states that are checked exactly, whatever the timing.
 *
 * sem:  8 workers, random multi-op semop calls (transfers without undo,
 *       takes and gives with SEM_UNDO, IPC_NOWAIT mixed in, wait-for-zero
 *       probes).  Each call without undo also adds 1 to the worker's own
 *       counter semaphore in the same atomic call, and the worker logs the
 *       call's deltas in shared memory *before* making it, under the
 *       counter's current value.  So the parent knows exactly which logged
 *       calls committed (the first COUNTER of them) and hence the exact
 *       final value of every semaphore: undo effects vanish with their
 *       processes, and a kill at any instant is accounted for.
 * msg:  senders and receivers, random types and sizes 0..msgmax, payloads
 *       checksummed with sender and sequence, random receive selectors;
 *       at the end everyone is SIGKILLed, the queue is drained and every
 *       message a sender saw succeed is found exactly once (received or
 *       queued), but for one per receiver killed inside msgrcv.
 * shm:  workers attach, fork (the child inherits), exec /bin/true, detach
 *       and are killed around 5 segments, some removed along the way; at
 *       the end shm_nattch equals the attachments still alive (only the
 *       test's own), removed segments and their files are gone.
 */
#include <sched.h>

#include "helpers.h"

TestSuite(torture, .init = t_setup, .fini = t_teardown, .timeout = 240);

static int g_id;

static void g_fail(int *err, char *why, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 4, 5), noreturn));

static void g_fail(int *err, char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;

	if (!__atomic_exchange_n(err, 1, __ATOMIC_SEQ_CST)) {
		int n = snprintf(why, cap, "pid %d: ", (int)getpid());

		va_start(ap, fmt);
		vsnprintf(why + n, cap - (size_t)n, fmt, ap);
		va_end(ap);
	}
	_exit(1);
}

/* ================================================================ sem */

#define SM_NSEM		4	/* the semaphores the workers share */
#define SM_WORKERS	8	/* one counter semaphore each after them */
#define SM_INIT		12
#define SM_BIG		2000
#define SM_KILLS	150
#define SM_MAXCALLS	32000	/* below SEMVMX: the counter must fit */
#define SM_ENOUGH	(SM_MAXCALLS / 2)	/* the killer stops there */
#define SM_HOLD		2	/* undo tokens a worker holds at most */

struct sm_call {
	signed char d[SM_NSEM];	/* net effect of a call without undo */
};

struct sem_torture {
	volatile int stop;
	long ops;		/* successful calls, for progress */
	long eagain;
	volatile int calls[SM_WORKERS];	/* a worker's counter, roughly */
	int err;
	char why[256];
	struct sm_call log[SM_WORKERS][SM_MAXCALLS];
};

static struct sem_torture *S;

#define sm_fail(...) g_fail(&S->err, S->why, sizeof(S->why), __VA_ARGS__)

/*
 * Slots 0 and 1 never block (so tokens keep moving even when every other
 * worker sleeps); the others block unless a random op says IPC_NOWAIT.
 */
static int sm_worker(void *arg)
{
	int slot = (int)(intptr_t)arg;
	unsigned short ctr = (unsigned short)(SM_NSEM + slot);
	uint64_t seed = (uint64_t)getpid() * 7919 + (uint64_t)t_now_ns();
	int held[SM_NSEM] = { 0 }, nheld = 0;
	int n = uipc_semctl(g_id, ctr, GETVAL);

	if (n < 0)
		sm_fail("GETVAL counter: %s", t_errname(errno));
	while (!S->stop && n < SM_MAXCALLS - 1) {
		struct sembuf ops[SM_NSEM + 1];
		struct sm_call c = { { 0 } };
		int nops = 0, used = 0, undo_delta[SM_NSEM] = { 0 };
		bool plain = false;
		int perm[SM_NSEM] = { 0, 1, 2, 3 };

		/* a random order of the semaphores, each used at most once */
		for (int i = SM_NSEM - 1; i > 0; i--) {
			int j = (int)(t_rand(&seed) % (uint64_t)(i + 1));
			int t = perm[i];

			perm[i] = perm[j];
			perm[j] = t;
		}
		/* a transfer without undo: -a from one, +1/+(a-1) to others */
		if (t_rand(&seed) % 4) {
			int a = 1 + (int)(t_rand(&seed) % 3);
			int three = a > 1 && t_rand(&seed) % 2;

			ops[nops++] = (struct sembuf){
				(unsigned short)perm[used], (short)-a, 0 };
			c.d[perm[used++]] = (signed char)-a;
			if (three) {
				ops[nops++] = (struct sembuf){
					(unsigned short)perm[used], 1, 0 };
				c.d[perm[used++]] = 1;
				a--;
			}
			ops[nops++] = (struct sembuf){
				(unsigned short)perm[used], (short)a, 0 };
			c.d[perm[used++]] = (signed char)a;
			plain = true;
		}
		/* undo ops on the semaphores left: give back or take */
		while (used < SM_NSEM && t_rand(&seed) % 2) {
			int s = perm[used++];

			if (held[s] && t_rand(&seed) % 2) {
				ops[nops++] = (struct sembuf){
					(unsigned short)s, 1, SEM_UNDO };
				undo_delta[s] = -1;
			} else if (nheld < SM_HOLD) {
				ops[nops++] = (struct sembuf){
					(unsigned short)s, -1, SEM_UNDO };
				undo_delta[s] = 1;
				nheld++;	/* provisional, fixed below */
			} else if (t_rand(&seed) % 4 == 0) {
				/* a wait-for-zero probe: never blocks */
				ops[nops++] = (struct sembuf){
					(unsigned short)s, 0, IPC_NOWAIT };
			}
		}
		for (int s = 0; s < SM_NSEM; s++)
			if (undo_delta[s] > 0)
				nheld--;
		if (nops == 0)
			continue;
		for (int i = 0; i < nops; i++)
			if (slot < 2 || t_rand(&seed) % 5 == 0)
				ops[i].sem_flg |= IPC_NOWAIT;
		if (plain) {
			/* log first, under the number the counter will prove */
			S->log[slot][n] = c;
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			ops[nops++] = (struct sembuf){ ctr, 1, 0 };
		}
		/* shuffle the ops: the order within a call must not matter */
		for (int i = nops - 1; i > 0; i--) {
			int j = (int)(t_rand(&seed) % (uint64_t)(i + 1));
			struct sembuf t = ops[i];

			ops[i] = ops[j];
			ops[j] = t;
		}
		if (uipc_semop(g_id, ops, (size_t)nops) < 0) {
			if (errno != EAGAIN)
				sm_fail("semop of %d ops: %s", nops,
					t_errname(errno));
			__atomic_fetch_add(&S->eagain, 1, __ATOMIC_RELAXED);
			continue;
		}
		if (plain)
			S->calls[slot] = ++n;
		for (int s = 0; s < SM_NSEM; s++) {
			held[s] += undo_delta[s];
			nheld += undo_delta[s];
			if (held[s] < 0 || held[s] > SM_HOLD)
				sm_fail("bookkeeping: held[%d] = %d", s,
					held[s]);
		}
		__atomic_fetch_add(&S->ops, 1, __ATOMIC_RELAXED);
	}
	if (n >= SM_MAXCALLS - 1)	/* out of log: idle until stopped */
		while (!S->stop)
			usleep(1000);
	return 0;
}

static bool sm_enough(void)
{
	for (int k = 0; k < SM_WORKERS; k++)
		if (S->calls[k] >= SM_ENOUGH)
			return true;
	return false;
}

Test(torture, sem_multiop_undo_kills, .timeout = 300)
{
	enum { NALL = SM_NSEM + SM_WORKERS };
	pid_t w[SM_WORKERS];
	unsigned short vals[NALL];
	union t_semun a = { .array = vals };
	struct sembuf big[SM_NSEM];
	uint64_t seed = 0x5e3a;
	long want[SM_NSEM], sum = 0, calls = 0;

	S = t_shared(sizeof(*S));
	g_id = (int)assert_ok(uipc_semget(IPC_PRIVATE, NALL, 0600));
	for (int i = 0; i < SM_NSEM; i++)
		assert_ok(t_setval(g_id, i, SM_INIT));
	for (int k = 0; k < SM_WORKERS; k++)
		w[k] = t_spawn(sm_worker, (void *)(intptr_t)k);
	for (int n = 0; n < SM_KILLS; n++) {
		long seen = __atomic_load_n(&S->ops, __ATOMIC_RELAXED);
		int k = (int)(t_rand(&seed) % SM_WORKERS);

		/* progress between kills: a wedged set fails by deadline */
		cr_assert(T_POLL(__atomic_load_n(&S->ops, __ATOMIC_RELAXED) >=
				 seen + 10 || S->err || sm_enough(), T_DEADLINE_MS),
			  "no progress after %d kills (ops %ld)", n, seen);
		cr_assert(!S->err, "%s", S->why);
		if (sm_enough())	/* a log is half full: stop early */
			break;
		for (int i = 0; i < SM_NSEM; i++) {
			int v = t_semval(g_id, i);

			cr_assert(v >= 0 && v <= SM_NSEM * SM_INIT,
				  "sem %d = %d mid-run", i, v);
		}
		usleep((useconds_t)(t_rand(&seed) % 3000));
		t_kill_wait(w[k]);
		w[k] = t_spawn(sm_worker, (void *)(intptr_t)k);
	}
	/* stop: plenty everywhere, so every sleeper wakes and sees the flag */
	S->stop = 1;
	for (int i = 0; i < SM_NSEM; i++)
		big[i] = (struct sembuf){ (unsigned short)i, SM_BIG, 0 };
	assert_ok(uipc_semop(g_id, big, SM_NSEM));
	for (int k = 0; k < SM_WORKERS; k++)
		t_wait_ok(w[k]);
	cr_assert(!S->err, "%s", S->why);

	/* the exact values the committed calls without undo imply */
	assert_ok(uipc_semctl(g_id, 0, GETALL, a));
	for (int i = 0; i < SM_NSEM; i++)
		want[i] = SM_INIT + SM_BIG;
	for (int k = 0; k < SM_WORKERS; k++) {
		int cnt = vals[SM_NSEM + k];

		cr_assert(cnt < SM_MAXCALLS, "counter %d = %d", k, cnt);
		calls += cnt;
		for (int c = 0; c < cnt; c++)
			for (int i = 0; i < SM_NSEM; i++)
				want[i] += S->log[k][c].d[i];
	}
	for (int i = 0; i < NALL; i++) {
		cr_assert_eq(t_semncnt(g_id, i), 0, "GETNCNT of %d = %d", i,
			     t_semncnt(g_id, i));
		cr_assert_eq(t_semzcnt(g_id, i), 0, "GETZCNT of %d = %d", i,
			     t_semzcnt(g_id, i));
	}
	for (int i = 0; i < SM_NSEM; i++) {
		sum += vals[i];
		cr_assert_eq((long)vals[i], want[i], "sem %d = %u, the %ld "
			     "committed transfers imply %ld (values %u %u %u "
			     "%u)", i, vals[i], calls, want[i], vals[0],
			     vals[1], vals[2], vals[3]);
	}
	cr_assert_eq(sum, SM_NSEM * (SM_INIT + SM_BIG), "sum %ld not conserved",
		     sum);
	cr_assert(calls > 0 && S->ops > calls / 2, "too little done: %ld "
		  "transfers, %ld calls", calls, S->ops);
	/* still usable: take everything back out in one call */
	for (int i = 0; i < SM_NSEM; i++)
		big[i] = (struct sembuf){ (unsigned short)i, (short)-vals[i],
					  IPC_NOWAIT };
	assert_ok(uipc_semop(g_id, big, SM_NSEM));
	for (int i = 0; i < SM_NSEM; i++)
		cr_assert_eq(t_semval(g_id, i), 0);
	assert_ok(uipc_semctl(g_id, 0, IPC_RMID));
	cr_assert_eq(t_ns_count(NULL), 0, "left:%s", t_ns_list(NULL));
}

/* ================================================================ msg */

#define MG_SEND		3
#define MG_RECV		3
#define MG_TYPES	6
#define MG_KILLS	150
#define MG_MAXSEQ	(1 << 20)
#define MG_ENOUGH	(MG_MAXSEQ / 2)	/* the killer stops there */
#define MG_TINY		16	/* shorter than a header: counted, not named */

struct mg_hdr {
	uint32_t sender, seq, len, sum;
};

struct msg_torture {
	long ops;
	int msgmax;
	int err;
	char why[256];
	uint32_t next_seq[MG_SEND];		/* numbers handed out */
	uint64_t sent[MG_SEND][MG_MAXSEQ / 64];	/* msgsnd returned 0 */
	uint64_t recvd[MG_SEND][MG_MAXSEQ / 64];
	long tiny_try[MG_SEND], tiny_ok[MG_SEND], tiny_rcv;
	volatile int in_rcv[MG_RECV];		/* inside msgrcv */
};

static struct msg_torture *M;

#define mg_fail(...) g_fail(&M->err, M->why, sizeof(M->why), __VA_ARGS__)

static uint32_t mg_sum(const struct mg_hdr *h, const unsigned char *data)
{
	uint32_t s = h->sender * 2654435761u ^ h->seq * 40503u ^ h->len;

	for (uint32_t i = 0; i < h->len; i++)
		s = (s << 5 | s >> 27) ^ data[i];
	return s;
}

static unsigned char mg_tiny_byte(size_t len, size_t i)
{
	return (unsigned char)(0xa5 + len * 13 + i * 7);
}

/* Fill @m as message @seq of @sender with @size bytes in all. */
static void mg_fill(struct t_msg *m, uint32_t sender, uint32_t seq,
		    size_t size)
{
	struct mg_hdr h = { sender, seq, (uint32_t)(size - sizeof(h)), 0 };
	unsigned char *data = (unsigned char *)m->mtext + sizeof(h);

	if (size < MG_TINY) {
		for (size_t i = 0; i < size; i++)
			m->mtext[i] = (char)mg_tiny_byte(size, i);
		return;
	}
	for (uint32_t i = 0; i < h.len; i++)
		data[i] = (unsigned char)(seq * 31 + i * 7 + sender);
	h.sum = mg_sum(&h, data);
	memcpy(m->mtext, &h, sizeof(h));
}

/*
 * Check a message of @len bytes: tiny ones by their pattern, the others
 * by checksum and against what was handed out.  Returns the sender, or -1
 * for a tiny message; *seq gets the sequence number.  With @child false
 * the checks are the test's own (cr_assert).
 */
static int mg_check(const struct t_msg *m, ssize_t len, uint32_t *seq,
		    bool child)
{
	struct mg_hdr h;
	char what[160] = "";

	if (m->mtype < 1 || m->mtype > MG_TYPES)
		snprintf(what, sizeof(what), "bad mtype %ld", m->mtype);
	else if (len < 0 || len > M->msgmax)
		snprintf(what, sizeof(what), "bad length %zd", len);
	else if (len < MG_TINY) {
		for (ssize_t i = 0; i < len; i++)
			if ((unsigned char)m->mtext[i] !=
			    mg_tiny_byte((size_t)len, (size_t)i))
				snprintf(what, sizeof(what), "corrupt tiny "
					 "message of %zd bytes", len);
		if (!what[0])
			return -1;
	} else {
		memcpy(&h, m->mtext, sizeof(h));
		if (h.len != (size_t)len - sizeof(h) ||
		    h.sum != mg_sum(&h, (const unsigned char *)m->mtext +
						sizeof(h)))
			snprintf(what, sizeof(what), "corrupt message: %zd "
				 "bytes, sender %u seq %u len %u", len,
				 h.sender, h.seq, h.len);
		else if (h.sender >= MG_SEND ||
			 h.seq >= __atomic_load_n(&M->next_seq[h.sender],
						  __ATOMIC_SEQ_CST))
			snprintf(what, sizeof(what), "message never sent: "
				 "sender %u seq %u", h.sender, h.seq);
		else {
			*seq = h.seq;
			return (int)h.sender;
		}
	}
	if (child)
		mg_fail("%s", what);
	cr_assert_fail("%s", what);
	return -2;
}

/* Mark (@sender, @seq) received; a second time is a duplicate. */
static bool mg_mark(int sender, uint32_t seq)
{
	uint64_t bit = 1ULL << (seq % 64);

	return !(__atomic_fetch_or(&M->recvd[sender][seq / 64], bit,
				   __ATOMIC_SEQ_CST) & bit);
}

static size_t mg_size(uint64_t *seed)
{
	switch (t_rand(seed) % 8) {
	case 0:
		return 0;
	case 1:
		return (size_t)M->msgmax;
	case 2:
		return t_rand(seed) % MG_TINY;
	case 3:
		return MG_TINY + t_rand(seed) % 64;
	default:
		return MG_TINY + t_rand(seed) %
				 (uint64_t)(M->msgmax - MG_TINY + 1);
	}
}

static int mg_sender(void *arg)
{
	uint32_t k = (uint32_t)(intptr_t)arg;
	uint64_t seed = (uint64_t)getpid() * 104729 + (uint64_t)t_now_ns();
	static struct t_msg m;

	for (;;) {
		size_t size = mg_size(&seed);
		uint32_t seq = 0;
		int flags = t_rand(&seed) % 4 ? 0 : IPC_NOWAIT;

		m.mtype = 1 + (long)(t_rand(&seed) % MG_TYPES);
		if (size < MG_TINY) {
			__atomic_fetch_add(&M->tiny_try[k], 1,
					   __ATOMIC_SEQ_CST);
		} else {
			seq = __atomic_fetch_add(&M->next_seq[k], 1,
						 __ATOMIC_SEQ_CST);
			if (seq >= MG_MAXSEQ)
				for (;;)
					pause();	/* out of numbers */
		}
		mg_fill(&m, k, seq, size);
		if (uipc_msgsnd(g_id, &m, size, flags) < 0) {
			if (errno == EAGAIN && flags)
				continue;
			mg_fail("msgsnd of %zu bytes: %s", size,
				t_errname(errno));
		}
		if (size < MG_TINY)
			__atomic_fetch_add(&M->tiny_ok[k], 1, __ATOMIC_SEQ_CST);
		else
			__atomic_fetch_or(&M->sent[k][seq / 64],
					  1ULL << (seq % 64), __ATOMIC_SEQ_CST);
		__atomic_fetch_add(&M->ops, 1, __ATOMIC_RELAXED);
	}
}

/*
 * Receivers use random selectors (checked against what they get);
 * receiver 0 only takes any type, so the queue always drains and the
 * senders progress.
 */
static int mg_receiver(void *arg)
{
	uint64_t seed = (uint64_t)getpid() * 15485863 + (uint64_t)t_now_ns();
	int slot = (int)(intptr_t)arg;
	static struct t_msg m;

	for (;;) {
		long typ = 0;
		int flags = t_rand(&seed) % 4 ? 0 : IPC_NOWAIT;
		uint32_t seq = 0;
		ssize_t n;
		int who;

		if (slot == 0) {
			typ = t_rand(&seed) % 2 ? 0 : -MG_TYPES;
		} else {
			switch (t_rand(&seed) % 4) {
			case 1:
				typ = 1 + (long)(t_rand(&seed) % MG_TYPES);
				break;
			case 2:
				typ = -(1 + (long)(t_rand(&seed) % MG_TYPES));
				break;
			case 3:
				typ = 1 + (long)(t_rand(&seed) % MG_TYPES);
				flags |= MSG_EXCEPT;
				break;
			}
		}
		M->in_rcv[slot] = 1;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		n = uipc_msgrcv(g_id, &m, sizeof(m.mtext), typ, flags);
		if (n < 0) {
			M->in_rcv[slot] = 0;
			if (errno == ENOMSG && (flags & IPC_NOWAIT))
				continue;
			mg_fail("msgrcv(%ld, %#x): %s", typ, flags,
				t_errname(errno));
		}
		if (typ > 0 && !(flags & MSG_EXCEPT) && m.mtype != typ)
			mg_fail("asked type %ld, got %ld", typ, m.mtype);
		if (typ > 0 && (flags & MSG_EXCEPT) && m.mtype == typ)
			mg_fail("asked all but %ld, got it", typ);
		if (typ < 0 && m.mtype > -typ)
			mg_fail("asked type <= %ld, got %ld", -typ, m.mtype);
		who = mg_check(&m, n, &seq, true);
		if (who < 0)
			__atomic_fetch_add(&M->tiny_rcv, 1, __ATOMIC_SEQ_CST);
		else if (!mg_mark(who, seq))
			mg_fail("sender %d seq %u delivered twice", who, seq);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		M->in_rcv[slot] = 0;
		__atomic_fetch_add(&M->ops, 1, __ATOMIC_RELAXED);
	}
}

static bool mg_enough(void)
{
	for (int k = 0; k < MG_SEND; k++)
		if (__atomic_load_n(&M->next_seq[k], __ATOMIC_RELAXED) >=
		    MG_ENOUGH)
			return true;
	return false;
}

Test(torture, msg_random_sizes_kills, .timeout = 300)
{
	pid_t snd[MG_SEND], rcv[MG_RECV];
	uint64_t seed = 0x4d5a;
	long lost_ok = 0, missing = 0, in_queue = 0, qbytes = 0;
	long tiny_q = 0, tiny_try = 0, tiny_ok = 0, maybe = 0;
	struct msqid_ds ds;
	static struct t_msg m;
	ssize_t n;

	M = t_shared(sizeof(*M));
	g_id = (int)assert_ok(uipc_msgget(IPC_PRIVATE, 0600));
	{
		struct msginfo mi;

		assert_ok(uipc_msgctl(0, IPC_INFO, (struct msqid_ds *)&mi));
		M->msgmax = mi.msgmax;
		cr_assert(M->msgmax >= 64 && M->msgmax <= 8192, "msgmax %d",
			  M->msgmax);
	}
	for (int k = 0; k < MG_SEND; k++)
		snd[k] = t_spawn(mg_sender, (void *)(intptr_t)k);
	for (int k = 0; k < MG_RECV; k++)
		rcv[k] = t_spawn(mg_receiver, (void *)(intptr_t)k);
	for (int i = 0; i < MG_KILLS; i++) {
		long seen = __atomic_load_n(&M->ops, __ATOMIC_RELAXED);
		int k = (int)(t_rand(&seed) % (MG_SEND + MG_RECV));

		cr_assert(T_POLL(__atomic_load_n(&M->ops, __ATOMIC_RELAXED) >=
				 seen + 10 || M->err || mg_enough(), T_DEADLINE_MS),
			  "no progress after %d kills (ops %ld)", i, seen);
		cr_assert(!M->err, "%s", M->why);
		if (mg_enough())	/* sequence numbers half used: stop */
			break;
		assert_ok(uipc_msgctl(g_id, IPC_STAT, &ds));
		cr_assert(ds.msg_cbytes <= ds.msg_qbytes, "cbytes %lu > qbytes "
			  "%lu", (unsigned long)ds.msg_cbytes,
			  (unsigned long)ds.msg_qbytes);
		usleep((useconds_t)(t_rand(&seed) % 3000));
		if (k < MG_SEND) {
			t_kill_wait(snd[k]);
			snd[k] = t_spawn(mg_sender, (void *)(intptr_t)k);
		} else {
			k -= MG_SEND;
			t_kill_wait(rcv[k]);
			lost_ok += M->in_rcv[k];
			M->in_rcv[k] = 0;
			rcv[k] = t_spawn(mg_receiver, (void *)(intptr_t)k);
		}
	}
	/* the end: everyone killed wherever they are */
	for (int k = 0; k < MG_SEND; k++)
		t_kill_wait(snd[k]);
	for (int k = 0; k < MG_RECV; k++) {
		t_kill_wait(rcv[k]);
		lost_ok += M->in_rcv[k];
	}
	cr_assert(!M->err, "%s", M->why);

	/* drain: what is left is intact, never received, and counted */
	assert_ok(uipc_msgctl(g_id, IPC_STAT, &ds));
	while ((n = uipc_msgrcv(g_id, &m, sizeof(m.mtext), 0, IPC_NOWAIT)) >=
	       0) {
		uint32_t seq = 0;
		int who = mg_check(&m, n, &seq, false);

		if (who < 0)
			tiny_q++;
		else
			cr_assert(mg_mark(who, seq), "sender %d seq %u both "
				  "received and still queued", who, seq);
		in_queue++;
		qbytes += n;
	}
	cr_assert_eq(errno, ENOMSG, "draining: %s", t_errname(errno));
	cr_assert_eq((long)ds.msg_qnum, in_queue, "msg_qnum %lu, %ld in queue",
		     (unsigned long)ds.msg_qnum, in_queue);
	cr_assert_eq((long)ds.msg_cbytes, qbytes, "msg_cbytes %lu, %ld bytes "
		     "in queue", (unsigned long)ds.msg_cbytes, qbytes);
	assert_ok(uipc_msgctl(g_id, IPC_STAT, &ds));
	cr_assert_eq(ds.msg_qnum, 0);
	cr_assert_eq(ds.msg_cbytes, 0);

	/* every message seen sent is found, but for one per receiver killed
	 * inside msgrcv; a message found but not seen sent was "maybe sent"
	 * (its sender was killed before recording) */
	for (int k = 0; k < MG_SEND; k++) {
		for (uint32_t s = 0; s < M->next_seq[k] && s < MG_MAXSEQ;
		     s++) {
			uint64_t bit = 1ULL << (s % 64);
			bool sent = M->sent[k][s / 64] & bit;
			bool found = M->recvd[k][s / 64] & bit;

			missing += sent && !found;
			maybe += !sent && found;
		}
		tiny_try += M->tiny_try[k];
		tiny_ok += M->tiny_ok[k];
	}
	cr_assert(missing + (tiny_ok - (M->tiny_rcv + tiny_q) > 0 ?
			     tiny_ok - (M->tiny_rcv + tiny_q) : 0) <= lost_ok,
		  "%ld named and %ld tiny messages lost, %ld receivers killed "
		  "inside msgrcv", missing, tiny_ok - M->tiny_rcv - tiny_q,
		  lost_ok);
	cr_assert(M->tiny_rcv + tiny_q <= tiny_try, "%ld tiny messages found, "
		  "%ld attempted", M->tiny_rcv + tiny_q, tiny_try);
	cr_assert(maybe <= MG_KILLS + MG_SEND, "%ld maybe-sent messages",
		  maybe);
	cr_assert(M->ops > MG_KILLS, "too little done: %ld", M->ops);

	/* still usable */
	m.mtype = 3;
	strcpy(m.mtext, "after");
	assert_ok(uipc_msgsnd(g_id, &m, 6, IPC_NOWAIT));
	cr_assert_eq(uipc_msgrcv(g_id, &m, 100, 3, IPC_NOWAIT), 6);
	cr_assert_str_eq(m.mtext, "after");
	assert_ok(uipc_msgctl(g_id, IPC_RMID, NULL));
	cr_assert_eq(t_ns_count(NULL), 0, "left:%s", t_ns_list(NULL));
}

/* ================================================================ shm */

#define SC_NSEG		5
#define SC_WORKERS	5
#define SC_KILLS	80
#define SC_MAXATT	6
#define SC_TRUE		"/bin/true"

struct shm_churn {
	volatile int stop;
	int ids[SC_NSEG];
	volatile int removed[SC_NSEG];	/* set before the IPC_RMID */
	long ops, forks, execs;
	int err;
	char why[256];
};

static struct shm_churn *C;
static bool sc_is_child;

#define sc_fail(...) g_fail(&C->err, C->why, sizeof(C->why), __VA_ARGS__)

static uint64_t sc_magic(int s)
{
	return 0x5eed0000c0ffee00ULL + (uint64_t)s * 0x1000193;
}

static size_t sc_size(int s)
{
	return 4096 * (size_t)(s + 1) + 100 * (size_t)s;
}

struct sc_att {
	int n;
	int seg[SC_MAXATT];
	char *addr[SC_MAXATT];
	bool ro[SC_MAXATT];
};

static void sc_check_content(const struct sc_att *a, int i)
{
	volatile uint64_t *p = (volatile uint64_t *)a->addr[i];
	char *end = a->addr[i] + sc_size(a->seg[i]) - 1;

	if (p[0] != sc_magic(a->seg[i])) {
		long na = t_nattch(C->ids[a->seg[i]]);
		int e = errno;

		/* the segment was destroyed (hole punched) under us? */
		sc_fail("segment %d attached at %p holds %#llx (%s, %d "
			"attachments here; IPC_STAT: nattch %ld, %s)",
			a->seg[i], (void *)p, (unsigned long long)p[0],
			sc_is_child ? "a forked child" : "a worker", a->n, na,
			na < 0 ? t_errname(e) : "ok");
	}
	if (a->ro[i]) {
		(void)*(volatile char *)end;
		return;
	}
	__atomic_fetch_add((uint64_t *)&p[1], 1, __ATOMIC_RELAXED);
	*(volatile char *)end = 'e';
}

static void sc_attach(struct sc_att *a, int s)
{
	bool ro = t_now_ns() % 3 == 0;
	char *p;

	if (a->n >= SC_MAXATT)
		return;
	p = uipc_shmat(C->ids[s], NULL, ro ? SHM_RDONLY : 0);
	if (p == (void *)-1) {
		int e = errno;

		if ((e == EINVAL || e == EIDRM) && C->removed[s])
			return;
		sc_fail("shmat of segment %d (id %d, removed %d): %s", s,
			C->ids[s], C->removed[s], t_errname(e));
	}
	a->seg[a->n] = s;
	a->addr[a->n] = p;
	a->ro[a->n] = ro;
	if (((volatile uint64_t *)p)[0] != sc_magic(s))
		sc_fail("segment %d freshly attached holds %#llx", s,
			(unsigned long long)((volatile uint64_t *)p)[0]);
	a->n++;
}

static void sc_detach(struct sc_att *a, int i)
{
	if (uipc_shmdt(a->addr[i]) < 0)
		sc_fail("shmdt of segment %d at %p: %s", a->seg[i],
			(void *)a->addr[i], t_errname(errno));
	a->seg[i] = a->seg[a->n - 1];
	a->addr[i] = a->addr[a->n - 1];
	a->ro[i] = a->ro[a->n - 1];
	a->n--;
}

/* A forked child: it inherited @a; exec, detach or just leave. */
static void sc_child(struct sc_att *a, uint64_t *seed, pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	sc_is_child = true;
	switch (t_rand(seed) % 4) {
	case 0:
		__atomic_fetch_add(&C->execs, 1, __ATOMIC_RELAXED);
		execl(SC_TRUE, SC_TRUE, (char *)NULL);
		sc_fail("exec %s: %s", SC_TRUE, t_errname(errno));
	case 1:
		while (a->n)
			sc_detach(a, (int)(t_rand(seed) % (uint64_t)a->n));
		break;
	case 2:
		sc_attach(a, (int)(t_rand(seed) % SC_NSEG));
		break;
	default:
		break;
	}
	/* an inherited mapping is the same memory */
	for (int i = 0; i < a->n; i++)
		sc_check_content(a, i);
	_exit(0);	/* with whatever is still attached */
}

static int sc_worker(void *arg)
{
	uint64_t seed = (uint64_t)getpid() * 2654435761u + (uint64_t)t_now_ns();
	struct sc_att a = { 0 };

	(void)arg;
	while (!C->stop) {
		int r = (int)(t_rand(&seed) % 8);

		if (r < 3) {
			sc_attach(&a, (int)(t_rand(&seed) % SC_NSEG));
		} else if (r < 5) {
			if (a.n)
				sc_detach(&a, (int)(t_rand(&seed) %
						    (uint64_t)a.n));
		} else if (r == 5) {
			pid_t me = getpid(), pid;
			int st;

			fflush(NULL);
			pid = fork();
			if (pid < 0)
				sc_fail("fork: %s", t_errname(errno));
			if (pid == 0)
				sc_child(&a, &seed, me);
			__atomic_fetch_add(&C->forks, 1, __ATOMIC_RELAXED);
			if (waitpid(pid, &st, 0) != pid)
				sc_fail("waitpid: %s", t_errname(errno));
			if (!WIFEXITED(st) || WEXITSTATUS(st))
				sc_fail("child %s", t_status_str(st));
		} else {
			for (int i = 0; i < a.n; i++)
				if (t_rand(&seed) % 2)
					sc_check_content(&a, i);
		}
		__atomic_fetch_add(&C->ops, 1, __ATOMIC_RELAXED);
	}
	/* stop: some detach everything, the others exit attached */
	if (t_rand(&seed) % 2)
		while (a.n)
			sc_detach(&a, 0);
	_exit(0);
}

/* Reap every child (orphaned grandchildren come to us), with a deadline. */
static void sc_reap_all(void)
{
	int64_t dl = t_now_ns() + (int64_t)T_DEADLINE_MS * 1000000;
	pid_t r;

	for (;;) {
		r = waitpid(-1, NULL, WNOHANG);
		if (r < 0 && errno == ECHILD)
			return;
		cr_assert(r >= 0 || errno == EINTR, "waitpid: %s",
			  t_errname(errno));
		if (r > 0) {
			t_untrack(r);
			continue;
		}
		cr_assert(t_now_ns() < dl, "a descendant never ended");
		usleep(1000);
	}
}

Test(torture, shm_attach_fork_exec_kill, .timeout = 300)
{
	pid_t w[SC_WORKERS];
	uint64_t seed = 0x54c;
	char *keep0, *keep3a, *keep3b;
	const int rm_at[SC_NSEG] = { 30, 60, 90, -1, -1 };
	const long mine[SC_NSEG] = { 1, 0, 0, 2, 0 };	/* our attachments */

	cr_assert(access(SC_TRUE, X_OK) == 0, "no %s", SC_TRUE);
	assert_ok(prctl(PR_SET_CHILD_SUBREAPER, 1));
	C = t_shared(sizeof(*C));
	for (int s = 0; s < SC_NSEG; s++) {
		char *p;

		C->ids[s] = (int)assert_ok(uipc_shmget(IPC_PRIVATE, sc_size(s),
						       0600));
		p = uipc_shmat(C->ids[s], NULL, 0);
		cr_assert(p != (void *)-1, "shmat: %s", t_errname(errno));
		*(uint64_t *)p = sc_magic(s);
		assert_ok(uipc_shmdt(p));
	}
	keep0 = uipc_shmat(C->ids[0], NULL, 0);
	keep3a = uipc_shmat(C->ids[3], NULL, 0);
	keep3b = uipc_shmat(C->ids[3], NULL, SHM_RDONLY);
	cr_assert(keep0 != (void *)-1 && keep3a != (void *)-1 &&
		  keep3b != (void *)-1, "shmat: %s", t_errname(errno));

	for (int k = 0; k < SC_WORKERS; k++)
		w[k] = t_spawn(sc_worker, NULL);
	for (int n = 0; n < SC_KILLS; n++) {
		long seen = __atomic_load_n(&C->ops, __ATOMIC_RELAXED);
		int k = (int)(t_rand(&seed) % SC_WORKERS);

		cr_assert(T_POLL(__atomic_load_n(&C->ops, __ATOMIC_RELAXED) >=
				 seen + 10 || C->err, T_DEADLINE_MS),
			  "no progress after %d kills (ops %ld)", n, seen);
		cr_assert(!C->err, "%s", C->why);
		for (int s = 0; s < SC_NSEG; s++) {
			long na = t_nattch(C->ids[s]);

			if (C->removed[s] && !mine[s])
				continue;	/* may be gone already */
			cr_assert(na >= mine[s], "segment %d: nattch %ld, we "
				  "alone hold %ld", s, na, mine[s]);
		}
		for (int s = 0; s < SC_NSEG; s++)
			if (rm_at[s] == n) {
				C->removed[s] = 1;
				__atomic_thread_fence(__ATOMIC_SEQ_CST);
				assert_ok(uipc_shmctl(C->ids[s], IPC_RMID,
						      NULL));
			}
		usleep((useconds_t)(t_rand(&seed) % 3000));
		t_kill_wait(w[k]);
		w[k] = t_spawn(sc_worker, NULL);
	}
	/* the end: half are killed, the others stop by themselves */
	for (int k = 0; k < SC_WORKERS; k += 2)
		t_kill_wait(w[k]);
	C->stop = 1;
	for (int k = 1; k < SC_WORKERS; k += 2)
		t_wait_ok(w[k]);
	sc_reap_all();
	cr_assert(!C->err, "%s", C->why);
	cr_assert(C->forks > 0 && C->execs > 0, "forks %ld, execs %ld",
		  C->forks, C->execs);

	/* only our own attachments live */
	for (int s = 0; s < SC_NSEG; s++) {
		struct shmid_ds ds;

		if (C->removed[s] && !mine[s]) {
			t_assert_shm_gone(C->ids[s]);
			cr_assert(access(t_obj_path("shm", C->ids[s]), F_OK) <
					  0 && errno == ENOENT,
				  "removed segment %d: its file is still there",
				  s);
			continue;
		}
		assert_ok(uipc_shmctl(C->ids[s], IPC_STAT, &ds));
		cr_assert_eq((long)ds.shm_nattch, mine[s], "segment %d: nattch "
			     "%lu, %ld attachments live", s,
			     (unsigned long)ds.shm_nattch, mine[s]);
		cr_assert_eq(!!(ds.shm_perm.mode & SHM_DEST), C->removed[s],
			     "segment %d: mode %#o", s, ds.shm_perm.mode);
	}
	cr_assert_eq(*(uint64_t *)keep0, sc_magic(0));
	cr_assert_eq(*(uint64_t *)keep3b, sc_magic(3));
	/* our detach destroys the removed one we held */
	assert_ok(uipc_shmdt(keep0));
	t_assert_shm_gone(C->ids[0]);
	cr_assert(access(t_obj_path("shm", C->ids[0]), F_OK) < 0,
		  "segment 0's file outlived it");
	assert_ok(uipc_shmdt(keep3a));
	assert_ok(uipc_shmdt(keep3b));
	for (int s = 0; s < SC_NSEG; s++)
		if (!C->removed[s]) {
			cr_assert_eq(t_nattch(C->ids[s]), 0);
			assert_ok(uipc_shmctl(C->ids[s], IPC_RMID, NULL));
			t_assert_shm_gone(C->ids[s]);
		}
	cr_assert_eq(t_ns_count(NULL), 0, "left:%s", t_ns_list(NULL));
}

/* -------------------------- the ring under msgctl and typed receivers */

/*
 * No kills here: three senders stream small messages of their own type
 * (sender s sends type s + 1, 8 to 48 bytes) while four receivers take
 * them (msgtyp 0 blocking, -2 blocking, 3 blocking, 0 with IPC_NOWAIT)
 * and a fifth process calls IPC_STAT without pause and IPC_SET every 50
 * calls, switching msg_qbytes between 100 (a ring of one box) and 16384,
 * until it has done so RS_SETS times.
 * Every message arrives exactly once, whole, and each receiver sees each
 * sender's messages in the order sent.
 */
#define RS_SEND		3
#define RS_PER		2000000	/* messages a sender sends at most */
#define RS_SETS		100	/* IPC_SETs after which senders stop */
#define RS_RECV		4

struct rs_msg {
	long mtype;
	uint32_t s, seq;
	uint8_t fill[40];
};

struct rs_state {
	uint8_t got[RS_SEND][RS_PER];
	uint32_t sent[RS_SEND];
	int stop;		/* 1: msgctl stops; 2: receivers stop */
	uint32_t sets;		/* IPC_SETs done (RS_SETS: senders stop) */
	char why[160];
};

static struct rs_state *RS;

/* @fmt: up to three %u, for @a, @b, @c */
static void rs_fail(const char *fmt, uint32_t a, uint32_t b, uint32_t c)
{
	snprintf(RS->why, sizeof(RS->why), fmt, a, b, c);
	_exit(1);
}

static void rs_got(const struct rs_msg *m, ssize_t n, uint32_t *last)
{
	if (m->s >= RS_SEND || m->seq >= RS_PER || m->mtype != (long)m->s + 1 ||
	    n != (ssize_t)(8 + (m->seq % 5) * 10) ||
	    (n > 8 && m->fill[0] != (uint8_t)m->seq))
		rs_fail("corrupt: sender %u seq %u, %u bytes", m->s, m->seq,
			(uint32_t)n);
	if (__atomic_fetch_add(&RS->got[m->s][m->seq], 1, __ATOMIC_SEQ_CST))
		rs_fail("sender %u seq %u received twice", m->s, m->seq, 0);
	if (last) {
		if (last[m->s] != UINT32_MAX && m->seq <= last[m->s])
			rs_fail("sender %u: seq %u after %u", m->s, m->seq,
				last[m->s]);
		last[m->s] = m->seq;
	}
}

static void rs_sender(int id, uint32_t s)
{
	struct rs_msg m = { .mtype = s + 1, .s = s };

	for (uint32_t i = 0; i < RS_PER &&
	     __atomic_load_n(&RS->sets, __ATOMIC_RELAXED) < RS_SETS; i++) {
		m.seq = i;
		m.fill[0] = (uint8_t)i;
		if (uipc_msgsnd(id, &m, 8 + (i % 5) * 10, 0) != 0)
			rs_fail("msgsnd: errno %u", (uint32_t)errno, 0, 0);
		__atomic_store_n(&RS->sent[s], i + 1, __ATOMIC_RELEASE);
	}
	_exit(0);
}

static void rs_receiver(int id, int r)
{
	static const long typ[RS_RECV] = { 0, -2, 3, 0 };
	int flags = r == 3 ? IPC_NOWAIT : 0;
	uint32_t last[RS_SEND];
	struct rs_msg m;

	memset(last, 0xff, sizeof(last));
	for (;;) {
		struct timespec to = { 0, 10 * 1000 * 1000 };
		ssize_t n = uipc_msgtimedrcv(id, &m, sizeof(m) - sizeof(long),
					     typ[r], flags, &to);

		if (n >= 0) {
			rs_got(&m, n, last);
			continue;
		}
		if (errno != EAGAIN && errno != ENOMSG)
			rs_fail("msgrcv: errno %u", (uint32_t)errno, 0, 0);
		if (__atomic_load_n(&RS->stop, __ATOMIC_ACQUIRE) == 2)
			_exit(0);
	}
}

static void rs_ctl(int id)
{
	struct msqid_ds ds;

	for (uint32_t i = 0; !__atomic_load_n(&RS->stop, __ATOMIC_ACQUIRE); i++) {
		if (uipc_msgctl(id, IPC_STAT, &ds) != 0)
			rs_fail("IPC_STAT: errno %u", (uint32_t)errno, 0, 0);
		if (i % 50 == 0) {
			ds.msg_qbytes = (i / 50) % 2 ? 100 : 16384;
			if (uipc_msgctl(id, IPC_SET, &ds) != 0)
				rs_fail("IPC_SET: errno %u", (uint32_t)errno, 0, 0);
			__atomic_fetch_add(&RS->sets, 1, __ATOMIC_RELAXED);
		}
		sched_yield();
	}
	_exit(0);
}

Test(torture, msg_ring_with_msgctl_and_typed_receivers, .timeout = 300)
{
	pid_t snd[RS_SEND], rcv[RS_RECV], ctl;
	int id = (int)assert_ok(uipc_msgget(IPC_PRIVATE, 0600));
	struct msqid_ds ds;
	struct rs_msg m;
	ssize_t n;

	RS = t_shared(sizeof(*RS));
	for (int s = 0; s < RS_SEND; s++)
		if ((snd[s] = t_fork()) == 0)
			rs_sender(id, (uint32_t)s);
	for (int r = 0; r < RS_RECV; r++)
		if ((rcv[r] = t_fork()) == 0)
			rs_receiver(id, r);
	if ((ctl = t_fork()) == 0)
		rs_ctl(id);
	for (int s = 0; s < RS_SEND; s++)
		cr_assert_eq(t_wait_status(snd[s]), 0, "sender %d: %s (%s)", s,
			     RS->why, RS->why[0] ? "" : "no receiver failed");
	__atomic_store_n(&RS->stop, 1, __ATOMIC_RELEASE);
	cr_assert_eq(t_wait_status(ctl), 0, "msgctl: %s", RS->why);
	/* let the receivers drain what is left, then take the rest */
	for (int t = 0; t < 500; t++) {
		assert_ok(uipc_msgctl(id, IPC_STAT, &ds));
		if (!ds.msg_qnum)
			break;
		t_sleep_ms(10);
	}
	while ((n = uipc_msgrcv(id, &m, sizeof(m) - sizeof(long), 0,
				IPC_NOWAIT)) >= 0)
		rs_got(&m, n, NULL);
	cr_assert_eq(errno, ENOMSG);
	__atomic_store_n(&RS->stop, 2, __ATOMIC_RELEASE);
	for (int r = 0; r < RS_RECV; r++)
		cr_assert_eq(t_wait_status(rcv[r]), 0, "receiver %d: %s", r,
			     RS->why);
	cr_assert_geq(RS->sets, 10, "only %u IPC_SETs", RS->sets);
	for (int s = 0; s < RS_SEND; s++) {
		cr_assert_gt(RS->sent[s], 0);
		for (uint32_t i = 0; i < RS_PER; i++)
			cr_assert_eq(RS->got[s][i], i < RS->sent[s], "sender %d "
				     "seq %u (of %u): received %d times", s, i,
				     RS->sent[s], RS->got[s][i]);
	}
	assert_ok(uipc_msgctl(id, IPC_RMID, NULL));
	munmap(RS, sizeof(*RS));
}
