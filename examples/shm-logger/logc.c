// SPDX-License-Identifier: MIT
/*
 * logc - log a message through logd: its arguments as one message, or each
 * line of stdin as one.  Every record is stamped with our pid, a record
 * number and the time.
 *
 *   logc [-k KEY] [MESSAGE...]
 *   some-program | logc
 *
 * Lines longer than a slot (1000 bytes) go as several records.  Many logc
 * may run at once; each one's records reach the log in its own order.  If
 * no logd runs, logc says so and fails; if the logd died (its ring is still
 * there), the records wait in the ring for the next logd (logc blocks when
 * the ring is full).
 *
 * The protocol is in logring.h.  Unlike the seeds' client (001_), a logc
 * killed at any moment leaves the ring usable: SEM_UNDO gives back the
 * mutex and the slot, and a record exists only once the commit semop ran.
 *
 * Test hook: LOGC_CRASH=N makes logc kill itself (SIGKILL) in the middle of
 * writing its Nth record, while it holds the ring's mutex.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "logring.h"
#include "util.h"

static key_t key = LOG_KEY;
static int semid;
static struct log_ring *ring;
static unsigned nslots, seq;
static unsigned long crash_at;

static void gone(void)
{
	ex_diex("the logger went away (its objects were removed); %u record(s) logged",
		seq);
}

static void put(const char *text, size_t len)
{
	struct sembuf take[2] = {
		{ LOG_FREE, -1, SEM_UNDO }, { LOG_MUTEX, -1, SEM_UNDO },
	};
	struct sembuf commit[5] = {
		{ LOG_FREE, +1, SEM_UNDO | IPC_NOWAIT },	/* cancel the undo ... */
		{ LOG_FREE, -1, IPC_NOWAIT },			/* ... keep the slot */
		{ LOG_MUTEX, +1, SEM_UNDO | IPC_NOWAIT },
		{ LOG_FULL, +1, IPC_NOWAIT },
		{ LOG_HEAD, 0, IPC_NOWAIT },
	};
	struct log_slot *s;
	struct timespec ts;
	int head;

	while (uipc_semop(semid, take, 2) < 0) {
		if (errno == EINTR && !ex_stop)
			continue;
		if (errno == EINTR)
			ex_exit_signal();	/* nothing held: nothing to undo */
		if (errno == EIDRM || errno == EINVAL)
			gone();
		ex_die("semop(%d, take a slot)", semid);
	}
	/* The mutex is ours: HEAD cannot move under us. */
	head = uipc_semctl(semid, LOG_HEAD, GETVAL);
	if (head < 0)
		ex_die("semctl(%d, GETVAL)", semid);
	if ((unsigned)head >= nslots)
		ex_diex("corrupt ring: HEAD %d of %u slots", head, nslots);
	s = &ring->slot[head];
	clock_gettime(CLOCK_REALTIME, &ts);
	s->pid = getpid();
	s->seq = ++seq;
	s->sec = ts.tv_sec;
	s->nsec = (int32_t)ts.tv_nsec;
	if (crash_at && seq == crash_at) {
		memcpy(s->text, text, len / 2);
		s->len = (uint32_t)len;
		raise(SIGKILL);		/* the test hook: die holding the ring */
	}
	memcpy(s->text, text, len);
	s->len = (uint32_t)len;
	commit[4].sem_op = (short)((unsigned)head + 1 == nslots ? -(int)(nslots - 1) : 1);
	/*
	 * The commit never waits (every op can proceed), so no signal can
	 * cut it in half: the record is in, or (if we die first) it is not.
	 */
	if (uipc_semop(semid, commit, 5) < 0) {
		if (errno == EIDRM || errno == EINVAL)
			gone();
		ex_die("semop(%d, commit)", semid);
	}
}

static void log_text(const char *text, size_t len)
{
	do {
		size_t n = len > LOG_TEXT_MAX ? LOG_TEXT_MAX : len;

		put(text, n);
		text += n;
		len -= n;
	} while (len);
}

int main(int argc, char **argv)
{
	struct shmid_ds ds;
	int c, shmid, alive;
	char *env;

	while ((c = getopt(argc, argv, "k:")) != -1) {
		if (c == 'k') {
			key = ex_parse_key(optarg);
		} else {
			fprintf(stderr, "usage: logc [-k KEY] [MESSAGE...]\n");
			return 2;
		}
	}
	env = getenv("LOGC_CRASH");
	if (env)
		crash_at = strtoul(env, NULL, 10);

	semid = uipc_semget(key, 0, 0);
	if (semid < 0) {
		if (errno == ENOENT)
			ex_diex("no logger on key 0x%x: start logd first", (unsigned)key);
		ex_die("semget(key 0x%x)", (unsigned)key);
	}
	ex_catch_signals();
	if (ex_sem_wait_ready(semid, 5000) < 0) {
		if (errno == ETIMEDOUT)
			ex_diex("the logger on key 0x%x never finished starting",
				(unsigned)key);
		if (errno == EINTR)
			ex_exit_signal();
		gone();
	}
	shmid = uipc_shmget(key, 0, 0);
	if (shmid < 0)
		ex_die("shmget(key 0x%x): the logger has no ring", (unsigned)key);
	ring = uipc_shmat(shmid, NULL, 0);
	if (ring == (void *)-1)
		ex_die("shmat(%d)", shmid);
	if (uipc_shmctl(shmid, IPC_STAT, &ds) < 0)
		ex_die("shmctl(%d, IPC_STAT)", shmid);
	if (log_ring_check(ring, ds.shm_segsz) < 0)
		ex_diex("segment %d does not hold a valid log ring", shmid);
	nslots = ring->nslots;
	alive = uipc_semctl(semid, LOG_ALIVE, GETVAL);
	if (alive == 0)
		ex_warnx("no logd is running: records wait in the ring for the next one");

	if (optind < argc) {
		size_t len = 0, cap = 0;
		char *msg = NULL;

		for (int i = optind; i < argc; i++) {
			size_t n = strlen(argv[i]);

			if (len + n + 2 > cap) {
				cap = (len + n + 2) * 2;
				msg = realloc(msg, cap);
				if (!msg)
					ex_die("realloc");
			}
			if (len)
				msg[len++] = ' ';
			memcpy(msg + len, argv[i], n);
			len += n;
		}
		log_text(msg ? msg : "", len);
		free(msg);
	} else {
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;

		while ((n = getline(&line, &cap, stdin)) >= 0) {
			if (n && line[n - 1] == '\n')
				n--;
			log_text(line, (size_t)n);
			if (ex_stop)
				break;
		}
		free(line);
		if (ferror(stdin) && !ex_stop)
			ex_die("read stdin");
	}
	if (uipc_shmdt(ring) < 0)
		ex_die("shmdt");
	if (ex_stop)
		ex_exit_signal();
	return 0;
}
