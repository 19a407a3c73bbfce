// SPDX-License-Identifier: MIT
/*
 * logd - the logger daemon: takes messages from any number of logc clients
 * through a ring of slots in a shared memory segment and writes them to a
 * log file in arrival order.
 *
 *   logd [-k KEY] [-f LOGFILE] [-n SLOTS] [-m MODE]
 *
 * Runs in the foreground (start it with &); logs to LOGFILE (appending) or
 * to stdout.  Prints "logd: ready ..." on stderr once clients can log.
 * SIGINT/SIGTERM/SIGHUP: stop taking messages, log what is in the ring,
 * remove the segment and the semaphore set, exit 0.
 *
 * The protocol is described in logring.h.  From the seeds' POSIX logger
 * (001_), with its flaws fixed:
 *  - the original loops forever and is stopped with Ctrl-C, leaving its
 *    objects behind for the next run to trip on; this one removes them on
 *    every signal it can catch, and after a SIGKILL the next logd adopts
 *    the dead one's ring and logs the messages that were waiting in it;
 *  - a second logd refuses to start while one runs (the original would
 *    reset the ring under the first one's feet);
 *  - a client killed in the middle of a message can neither wedge the ring
 *    (the mutex is taken with SEM_UNDO) nor corrupt the log (the record is
 *    committed by the same semop that releases the mutex);
 *  - the original's clients could run before the daemon had initialised
 *    the semaphores (it even posts the mutex last for that reason, but
 *    nothing stops a client from opening them earlier); here sem_otime
 *    says when the ring is ready;
 *  - every call is checked, and the ring found in the segment is checked
 *    before it is used.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "logring.h"
#include "util.h"

static key_t key = LOG_KEY;
static int semid = -1, shmid = -1;
static struct log_ring *ring;
static unsigned nslots;
static int logfd = STDOUT_FILENO;
static unsigned long nlogged;

/* The semop that moves an index from i to the next slot, wrapping. */
static void advance(struct sembuf *op, unsigned short num, int i)
{
	op->sem_num = num;
	op->sem_op = (short)((unsigned)i + 1 == nslots ? -(int)(nslots - 1) : 1);
	op->sem_flg = IPC_NOWAIT;	/* never waits: we know the value */
}

static int getval(int num)
{
	int v = uipc_semctl(semid, num, GETVAL);

	if (v < 0)
		ex_die("semctl(%d, GETVAL)", semid);
	return v;
}

/* Remove what we own; called on the way out. */
static void remove_objects(void)
{
	if (ring && uipc_shmdt(ring) < 0)
		ex_warn("shmdt");
	ring = NULL;
	if (shmid >= 0 && uipc_shmctl(shmid, IPC_RMID, NULL) < 0 &&
	    errno != EINVAL && errno != EIDRM)
		ex_warn("shmctl(%d, IPC_RMID)", shmid);
	if (semid >= 0 && uipc_semctl(semid, 0, IPC_RMID) < 0 &&
	    errno != EINVAL && errno != EIDRM)
		ex_warn("semctl(%d, IPC_RMID)", semid);
	shmid = semid = -1;
}

static void write_all(const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(logfd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ex_warn("write to the log");
			remove_objects();
			exit(1);
		}
		buf += n;
		len -= (size_t)n;
	}
}

/*
 * Log the slot at TAIL, which FULL says is filled.  The slot is copied
 * first: the text is checked and formatted from our private copy.
 */
static void log_one(int tail)
{
	struct log_slot s = ring->slot[tail];
	char line[LOG_TEXT_MAX + 128], stamp[40];
	struct tm tm;
	time_t t;
	int n;

	if (s.len > LOG_TEXT_MAX)
		s.len = LOG_TEXT_MAX;	/* a scribbled slot: log what fits */
	t = (time_t)s.sec;
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "%s.%06dZ [%d] #%u ", stamp,
		     (int)(s.nsec / 1000), (int)s.pid, (unsigned)s.seq);
	memcpy(line + n, s.text, s.len);
	n += (int)s.len;
	line[n++] = '\n';
	write_all(line, (size_t)n);
	nlogged++;
}

/*
 * Take one message out of the ring.  wait: block until there is one, or
 * for at most TAKE_WAIT_MS: a stop signal that lands after main() looked
 * at ex_stop but before the semop sleeps interrupts nothing, and would
 * otherwise leave logd asleep until the next message.
 * Returns 1 if one was logged, 0 if none (or a signal came), exits if the
 * objects went away.
 */
#define TAKE_WAIT_MS	200
static int take_one(int wait)
{
	struct timespec slice = ex_ms_ts(TAKE_WAIT_MS);
	struct sembuf take = { LOG_FULL, -1, (short)(SEM_UNDO | (wait ? 0 : IPC_NOWAIT)) };
	struct sembuf done[4] = {
		{ LOG_FULL, +1, SEM_UNDO | IPC_NOWAIT },
		{ LOG_FULL, -1, IPC_NOWAIT },
		{ LOG_FREE, +1, IPC_NOWAIT },
	};
	int tail;

	if (uipc_semtimedop(semid, &take, 1, wait ? &slice : NULL) < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		if (errno == EIDRM || errno == EINVAL) {
			ex_warnx("the ring's semaphore set was removed behind our back");
			semid = -1;
			remove_objects();
			exit(1);
		}
		ex_die("semop(%d, take)", semid);
	}
	tail = getval(LOG_TAIL);
	if ((unsigned)tail >= nslots)
		ex_diex("corrupt ring: TAIL %d of %u slots", tail, nslots);
	log_one(tail);
	advance(&done[3], LOG_TAIL, tail);
	if (uipc_semop(semid, done, 4) < 0)
		ex_die("semop(%d, release slot %d)", semid, tail);
	return 1;
}

static void attach(void)
{
	ring = uipc_shmat(shmid, NULL, 0);
	if (ring == (void *)-1) {
		ring = NULL;
		ex_die("shmat(%d)", shmid);
	}
}

/* We just created the set: make everything, then announce it. */
static void build(int mode, unsigned want)
{
	unsigned short vals[LOG_NSEMS] = { 0 };
	struct sembuf alive[2] = {
		{ LOG_ALIVE, 0, IPC_NOWAIT }, { LOG_ALIVE, +1, SEM_UNDO | IPC_NOWAIT },
	};
	union semun arg = { .array = vals };
	size_t size = sizeof(struct log_ring) + want * sizeof(struct log_slot);

	nslots = want;
	vals[LOG_MUTEX] = 1;
	vals[LOG_FREE] = (unsigned short)nslots;
	if (uipc_semctl(semid, 0, SETALL, arg) < 0)
		ex_die("semctl(%d, SETALL)", semid);
	for (int tries = 0;; tries++) {
		shmid = uipc_shmget(key, size, IPC_CREAT | IPC_EXCL | mode);
		if (shmid >= 0)
			break;
		if (errno != EEXIST || tries)
			ex_die("shmget(key 0x%x, %zu bytes)", (unsigned)key, size);
		/*
		 * We hold the only semaphore set, so a segment under our key
		 * is the leftover of a logd that died while starting.
		 */
		int old = uipc_shmget(key, 0, 0);

		if (old >= 0 && uipc_shmctl(old, IPC_RMID, NULL) == 0)
			ex_warnx("removed a stale segment %d", old);
	}
	attach();
	ring->nslots = nslots;
	ring->slot_size = sizeof(struct log_slot);
	ring->daemon_pid = getpid();
	__atomic_store_n(&ring->magic, LOG_MAGIC, __ATOMIC_RELEASE);
	/* The first semop: sets sem_otime, so clients may come in now. */
	if (uipc_semop(semid, alive, 2) < 0)
		ex_die("semop(%d, ALIVE)", semid);
}

/*
 * The set exists.  Returns 1 if we adopted the ring of a dead daemon, 0 if
 * the caller should try to create again (it went away), and exits if a
 * live daemon has it.
 */
static int adopt(void)
{
	struct sembuf alive[2] = {
		{ LOG_ALIVE, 0, IPC_NOWAIT }, { LOG_ALIVE, +1, SEM_UNDO | IPC_NOWAIT },
	};
	struct semid_ds ds;
	union semun arg = { .buf = &ds };
	struct shmid_ds sds;
	int head, tail, full;

	if (uipc_semctl(semid, 0, IPC_STAT, arg) < 0)
		return 0;
	if (ds.sem_nsems != LOG_NSEMS)
		ex_diex("key 0x%x is used by a semaphore set that is not a logger's",
			(unsigned)key);
	if (ex_sem_wait_ready(semid, 3000) < 0) {
		if (errno == EINTR)
			ex_exit_signal();
		if (errno != ETIMEDOUT)
			return 0;
		/* Never finished: its maker died while building it. */
		ex_warnx("removing the half-built logger objects of key 0x%x",
			 (unsigned)key);
		uipc_semctl(semid, 0, IPC_RMID);
		return 0;
	}
	if (uipc_semop(semid, alive, 2) < 0) {
		if (errno == EAGAIN) {
			int pid = uipc_semctl(semid, LOG_ALIVE, GETPID);

			ex_diex("a logd is already running on key 0x%x (pid %d)",
				(unsigned)key, pid);
		}
		return 0;
	}
	/* ALIVE is ours: the previous daemon is dead.  Check its ring. */
	shmid = uipc_shmget(key, 0, 0);
	if (shmid >= 0) {
		ring = uipc_shmat(shmid, NULL, 0);
		if (ring == (void *)-1)
			ring = NULL;
	}
	if (!ring || uipc_shmctl(shmid, IPC_STAT, &sds) < 0 ||
	    log_ring_check(ring, sds.shm_segsz) < 0) {
		ex_warnx("the dead logd's ring is missing or damaged: starting afresh");
		remove_objects();
		return 0;
	}
	nslots = ring->nslots;
	head = getval(LOG_HEAD);
	tail = getval(LOG_TAIL);
	full = getval(LOG_FULL);
	if ((unsigned)head >= nslots || (unsigned)tail >= nslots) {
		ex_warnx("the dead logd's ring is damaged: starting afresh");
		remove_objects();
		return 0;
	}
	ex_warnx("took over the ring of a dead logd (pid %d): %d message(s) waiting",
		 (int)ring->daemon_pid, full);
	ring->daemon_pid = getpid();
	return 1;
}

static void start(int mode, unsigned want)
{
	for (int tries = 0; tries < 20; tries++) {
		if (ex_stop)
			ex_exit_signal();
		semid = uipc_semget(key, LOG_NSEMS, IPC_CREAT | IPC_EXCL | mode);
		if (semid >= 0) {
			build(mode, want);
			return;
		}
		if (errno != EEXIST)
			ex_die("semget(key 0x%x)", (unsigned)key);
		semid = uipc_semget(key, 0, 0);
		if (semid < 0) {
			if (errno == ENOENT)
				continue;
			ex_die("semget(key 0x%x)", (unsigned)key);
		}
		if (adopt())
			return;
		semid = -1;
	}
	ex_diex("could not settle who owns key 0x%x; giving up", (unsigned)key);
}

/* Lock the clients out, log what they committed, remove everything. */
static void shutdown_ring(void)
{
	struct sembuf lock = { LOG_MUTEX, -1, SEM_UNDO };
	struct timespec ts = ex_ms_ts(3000);
	unsigned long before = nlogged;

	if (uipc_semtimedop(semid, &lock, 1, &ts) < 0)
		ex_warn("could not lock the ring (a client is stuck in it); removing anyway");
	while (take_one(0))
		;
	remove_objects();
	ex_warnx("stopped by signal %d: logged %lu message(s) (%lu while draining), "
		 "removed the ring", (int)ex_stop, nlogged, nlogged - before);
}

int main(int argc, char **argv)
{
	const char *file = NULL;
	unsigned want = LOG_SLOTS;
	int c, mode = 0600;

	while ((c = getopt(argc, argv, "k:f:n:m:")) != -1) {
		switch (c) {
		case 'k':
			key = ex_parse_key(optarg);
			break;
		case 'f':
			file = optarg;
			break;
		case 'n':
			want = (unsigned)ex_parse_long(optarg, 2, LOG_SLOTS_MAX, "slot count");
			break;
		case 'm':
			mode = (int)ex_parse_long(optarg, 0, 0777, "mode");
			break;
		default:
			fprintf(stderr, "usage: logd [-k KEY] [-f LOGFILE] [-n SLOTS] [-m MODE]\n");
			return 2;
		}
	}
	if (key == IPC_PRIVATE)
		ex_diex("the logger needs a key its clients can find, not IPC_PRIVATE");
	if (file && strcmp(file, "-")) {
		logfd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (logfd < 0)
			ex_die("open %s", file);
	}
	ex_catch_signals();
	start(mode, want);
	ex_warnx("ready: key 0x%08x, semaphore set %d, segment %d, %u slots, pid %d (%s)",
		 (unsigned)key, semid, shmid, nslots, getpid(), EX_BACKEND);
	while (!ex_stop)
		take_one(1);
	shutdown_ring();
	return 0;
}
