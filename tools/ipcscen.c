// SPDX-License-Identifier: MIT
/*
 * ipcscen - test helper: build a scenario of SysV objects, run a command
 * while they exist, then remove them.
 *
 * The same source builds on uipc (ipcscen) and on the kernel (ipcscen-k,
 * -DUIPC_TOOLS_KERNEL), so one scenario text gives the same objects on
 * both sides for the differential tests of the tools.
 *
 *   ipcscen STEP... [run CMD ARGS...]
 *
 * Objects are numbered in creation order (0, 1, ...), whatever their type.
 *   msg KEY MODE           msgget(KEY, IPC_CREAT|MODE)     KEY: hex, or
 *   sem KEY NSEMS MODE     semget(...)                      "private"
 *   shm KEY SIZE MODE      shmget(...)
 *   snd N TYPE SIZE        msgsnd SIZE bytes of type TYPE
 *   rcv N                  msgrcv one message of any type (IPC_NOWAIT)
 *   setval N SEMNUM VAL    semctl SETVAL
 *   semop N SEMNUM OP      semop, IPC_NOWAIT
 *   block N SEMNUM OP      a child blocks in semop until the object goes;
 *                          returns once GETNCNT/GETZCNT shows it waiting
 *   att N                  a holder child attaches N and keeps it until
 *                          the cleanup (so the command run later does not
 *                          inherit the attachment)
 *   own N UID GID          IPC_SET owner
 *   chmod N MODE           IPC_SET mode (octal)
 *   rm N                   IPC_RMID now
 *   print                  print "N ID" for every object (stdout)
 *   keep                   leave the objects behind at exit
 *   run CMD...             run CMD (the rest of the line), wait for it
 * Exit status: that of the command (0 without one); 99 if a step failed,
 * 98 if a blocked waiter was not woken by the removal.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipcinfo.h"

#define MAXOBJ 64

static struct obj {
	enum ii_type type;
	int id;
	int removed;
} objs[MAXOBJ];
static int nobj;

/* children: blocked waiters (fd -1) and holders (fd: write end of the
 * pipe whose EOF tells the holder to detach and exit) */
static struct kid {
	pid_t pid;
	int fd;
} kids[MAXOBJ];
static int nkids;

/* In a new child: drop the other holders' pipes so that their EOF
 * depends on us only (the cleanup closes them all at once). */
static void child_close_pipes(void)
{
	int i;

	for (i = 0; i < nkids; i++)
		if (kids[i].fd >= 0)
			close(kids[i].fd);
}

static void die(const char *step, const char *why)
{
	fprintf(stderr, "ipcscen: %s: %s\n", step, why);
	exit(99);
}

static long num(const char *s, int base, const char *step)
{
	char *end;
	long v;

	if (!s)
		die(step, "missing argument");
	errno = 0;
	v = strtol(s, &end, base);
	if (errno || end == s || *end)
		die(step, "bad number");
	return v;
}

static key_t key(const char *s, const char *step)
{
	char *end;
	unsigned long v;

	if (!s)
		die(step, "missing key");
	if (!strcmp(s, "private"))
		return IPC_PRIVATE;
	v = strtoul(s, &end, 16);
	if (end == s || *end)
		die(step, "bad key");
	return (key_t)v;
}

static struct obj *obj(const char *s, const char *step)
{
	long n = num(s, 10, step);

	if (n < 0 || n >= nobj)
		die(step, "no such object");
	return &objs[n];
}

static void add(enum ii_type type, int id, const char *step)
{
	if (id < 0)
		die(step, strerror(errno));
	if (nobj == MAXOBJ)
		die(step, "too many objects");
	objs[nobj].type = type;
	objs[nobj].id = id;
	nobj++;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Fork a child that blocks in semop; wait until the set shows it. */
static void block(struct obj *o, int semnum, int op)
{
	int cmd = op == 0 ? GETZCNT : GETNCNT, i, before;
	union ii_semun arg = { .val = 0 };
	pid_t pid;

	before = B_semctl(o->id, semnum, cmd, arg);
	if (before < 0)
		die("block", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("block", strerror(errno));
	if (pid == 0) {
		struct sembuf sb = { (unsigned short)semnum, (short)op, 0 };

		child_close_pipes();
		B_semop(o->id, &sb, 1);
		_exit(0);
	}
	kids[nkids].pid = pid;
	kids[nkids++].fd = -1;
	/* a generous bound only against hangs; never a pass/fail timing */
	for (i = 0; i < 60000; i++) {
		if (B_semctl(o->id, semnum, cmd, arg) > before)
			return;
		sleep_ms(1);
	}
	die("block", "the waiter never showed up");
}

/* A child that attaches @o, says so, and detaches once told to. */
static void holder(struct obj *o)
{
	int ready[2], hold[2];
	pid_t pid;
	char c;

	if (nkids == MAXOBJ)
		die("att", "too many children");
	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(hold, O_CLOEXEC) < 0)
		die("att", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("att", strerror(errno));
	if (pid == 0) {
		void *a;

		child_close_pipes();
		close(ready[0]);
		close(hold[1]);
		a = B_shmat(o->id, NULL, 0);
		c = a == (void *)-1 ? 'E' : 'A';
		if (write(ready[1], &c, 1) != 1 || c == 'E')
			_exit(1);
		while (read(hold[0], &c, 1) > 0)
			;
		B_shmdt(a);
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	if (read(ready[0], &c, 1) != 1 || c != 'A')
		die("att", "the holder could not attach");
	close(ready[0]);
	kids[nkids].pid = pid;
	kids[nkids++].fd = hold[1];
}

static int cleanup(void)
{
	int i, k, st, rc = 0;

	/* holders first: they detach and exit once their pipe closes */
	for (i = 0; i < nkids; i++)
		if (kids[i].fd >= 0)
			close(kids[i].fd);
	for (i = 0; i < nkids; i++)
		if (kids[i].fd >= 0)
			waitpid(kids[i].pid, &st, 0);
	for (i = 0; i < nobj; i++)
		if (!objs[i].removed)
			ii_rmid(objs[i].type, objs[i].id);
	/* removal woke the waiters with EIDRM; the bound only stops a hang */
	for (i = 0; i < nkids; i++) {
		if (kids[i].fd >= 0)
			continue;
		for (k = 0; k < 60000; k++) {
			if (waitpid(kids[i].pid, &st, WNOHANG) != 0)
				break;
			sleep_ms(1);
		}
		if (k == 60000) {
			fprintf(stderr, "ipcscen: waiter %d not woken by IPC_RMID\n",
				(int)kids[i].pid);
			kill(kids[i].pid, SIGKILL);
			waitpid(kids[i].pid, &st, 0);
			rc = 98;
		}
	}
	return rc;
}

static int set_ds(struct obj *o, int uid, int gid, int mode)
{
	int r;

	switch (o->type) {
	case II_MSG: {
		struct msqid_ds ds;

		if (B_msgctl(o->id, IPC_STAT, &ds) < 0)
			return -1;
		if (uid >= 0) {
			ds.msg_perm.uid = uid;
			ds.msg_perm.gid = gid;
		}
		if (mode >= 0)
			ds.msg_perm.mode = mode;
		r = B_msgctl(o->id, IPC_SET, &ds);
		break;
	}
	case II_SEM: {
		struct semid_ds ds;
		union ii_semun arg = { .buf = &ds };

		if (B_semctl(o->id, 0, IPC_STAT, arg) < 0)
			return -1;
		if (uid >= 0) {
			ds.sem_perm.uid = uid;
			ds.sem_perm.gid = gid;
		}
		if (mode >= 0)
			ds.sem_perm.mode = mode;
		r = B_semctl(o->id, 0, IPC_SET, arg);
		break;
	}
	default: {
		struct shmid_ds ds;

		if (B_shmctl(o->id, IPC_STAT, &ds) < 0)
			return -1;
		if (uid >= 0) {
			ds.shm_perm.uid = uid;
			ds.shm_perm.gid = gid;
		}
		if (mode >= 0)
			ds.shm_perm.mode = mode;
		r = B_shmctl(o->id, IPC_SET, &ds);
		break;
	}
	}
	return r;
}

int main(int argc, char **argv)
{
	int i = 1, keep = 0, rc = 0;

	setvbuf(stdout, NULL, _IONBF, 0);
	while (i < argc) {
		const char *s = argv[i++];

		if (!strcmp(s, "msg")) {
			key_t k = key(argv[i], s);
			int mode = (int)num(argv[i + 1], 8, s);

			add(II_MSG, B_msgget(k, IPC_CREAT | mode), s);
			i += 2;
		} else if (!strcmp(s, "sem")) {
			key_t k = key(argv[i], s);
			int n = (int)num(argv[i + 1], 10, s);
			int mode = (int)num(argv[i + 2], 8, s);

			add(II_SEM, B_semget(k, n, IPC_CREAT | mode), s);
			i += 3;
		} else if (!strcmp(s, "shm")) {
			key_t k = key(argv[i], s);
			long size = num(argv[i + 1], 0, s);
			int mode = (int)num(argv[i + 2], 8, s);

			add(II_SHM, B_shmget(k, (size_t)size, IPC_CREAT | mode), s);
			i += 3;
		} else if (!strcmp(s, "snd")) {
			struct obj *o = obj(argv[i], s);
			long type = num(argv[i + 1], 10, s);
			long size = num(argv[i + 2], 10, s);
			struct { long mtype; char mtext[65536]; } *m;

			m = calloc(1, sizeof(*m));
			if (!m || size < 0 || size > 65536)
				die(s, "bad size");
			m->mtype = type;
			memset(m->mtext, 'x', (size_t)size);
			if (B_msgsnd(o->id, m, (size_t)size, IPC_NOWAIT) < 0)
				die(s, strerror(errno));
			free(m);
			i += 3;
		} else if (!strcmp(s, "rcv")) {
			struct obj *o = obj(argv[i], s);
			struct { long mtype; char mtext[65536]; } *m;

			m = malloc(sizeof(*m));
			if (!m)
				die(s, "no memory");
			if (B_msgrcv(o->id, m, sizeof(m->mtext), 0,
				     IPC_NOWAIT | MSG_NOERROR) < 0)
				die(s, strerror(errno));
			free(m);
			i += 1;
		} else if (!strcmp(s, "setval")) {
			struct obj *o = obj(argv[i], s);
			union ii_semun arg;

			arg.val = (int)num(argv[i + 2], 10, s);
			if (B_semctl(o->id, (int)num(argv[i + 1], 10, s),
				     SETVAL, arg) < 0)
				die(s, strerror(errno));
			i += 3;
		} else if (!strcmp(s, "semop")) {
			struct obj *o = obj(argv[i], s);
			struct sembuf sb;

			sb.sem_num = (unsigned short)num(argv[i + 1], 10, s);
			sb.sem_op = (short)num(argv[i + 2], 10, s);
			sb.sem_flg = IPC_NOWAIT;
			if (B_semop(o->id, &sb, 1) < 0)
				die(s, strerror(errno));
			i += 3;
		} else if (!strcmp(s, "block")) {
			struct obj *o = obj(argv[i], s);

			block(o, (int)num(argv[i + 1], 10, s),
			      (int)num(argv[i + 2], 10, s));
			i += 3;
		} else if (!strcmp(s, "att")) {
			holder(obj(argv[i], s));
			i += 1;
		} else if (!strcmp(s, "own")) {
			struct obj *o = obj(argv[i], s);

			if (set_ds(o, (int)num(argv[i + 1], 10, s),
				   (int)num(argv[i + 2], 10, s), -1) < 0)
				die(s, strerror(errno));
			i += 3;
		} else if (!strcmp(s, "chmod")) {
			struct obj *o = obj(argv[i], s);

			if (set_ds(o, -1, -1, (int)num(argv[i + 1], 8, s)) < 0)
				die(s, strerror(errno));
			i += 2;
		} else if (!strcmp(s, "rm")) {
			struct obj *o = obj(argv[i], s);
			int r = ii_rmid(o->type, o->id);

			if (r < 0)
				die(s, strerror(-r));
			o->removed = 1;
			i += 1;
		} else if (!strcmp(s, "print")) {
			int k;

			for (k = 0; k < nobj; k++)
				printf("%d %d\n", k, objs[k].id);
		} else if (!strcmp(s, "keep")) {
			keep = 1;
		} else if (!strcmp(s, "run")) {
			pid_t pid;
			int st;

			if (i >= argc)
				die(s, "no command");
			fflush(NULL);
			pid = fork();
			if (pid < 0)
				die(s, strerror(errno));
			if (pid == 0) {
				child_close_pipes();
				execvp(argv[i], &argv[i]);
				fprintf(stderr, "ipcscen: %s: %s\n", argv[i],
					strerror(errno));
				_exit(127);
			}
			if (waitpid(pid, &st, 0) < 0)
				die(s, strerror(errno));
			rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			break;
		} else {
			die(s, "unknown step");
		}
	}
	if (!keep && cleanup() && !rc)
		rc = 98;
	return rc;
}
