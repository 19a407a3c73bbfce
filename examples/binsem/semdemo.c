// SPDX-License-Identifier: MIT
/*
 * semdemo - create a semaphore set and run operations on it from the
 * command line, to watch them block and wake.
 *
 *   semdemo create [-k KEY] [-m MODE] NSEMS [VALUE...]   prints the set id
 *   semdemo op [-t MS] [-H MS] ID OP...   one semop with all the OPs:
 *           N-V  take V from semaphore N (blocks while it is smaller)
 *           N+V  add V to semaphore N
 *           N=0  wait until semaphore N is zero
 *           suffix u: SEM_UNDO, n: IPC_NOWAIT      e.g.  0-1u 1+1
 *           -t MS uses semtimedop, -H MS holds MS after success
 *   semdemo show ID          values, waiters, last pid, times
 *   semdemo set ID N VALUE   SETVAL
 *   semdemo rm ID            IPC_RMID: every blocked op fails with EIDRM
 *   semdemo lock otime|zero KEY [HOLD_MS]
 *           open the binary semaphore KEY with either race-free method
 *           of binsem.h, lock it, hold it, unlock it
 *
 * Try, in three terminals:   id=$(semdemo create -k 0x5e 1 0)
 *   semdemo op $id 0-1        # blocks
 *   semdemo op $id 0=0n       # fails at once: EAGAIN
 *   semdemo op $id 0+1        # wakes the first one
 *   semdemo rm $id
 *
 * From the seeds' svsem_demo (004_): that version takes one operation and
 * prints a bare errno; this one takes whole operation arrays, flags,
 * timeouts, and shows the set's state, so SEM_UNDO and wait-for-zero can
 * be watched too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "binsem.h"
#include "util.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: semdemo create [-k KEY] [-m MODE] NSEMS [VALUE...]\n"
		"       semdemo op [-t MS] [-H MS] ID OP...   (OP: N-V N+V N=0, suffix u/n)\n"
		"       semdemo show ID | set ID N VALUE | rm ID\n"
		"       semdemo lock otime|zero KEY [HOLD_MS]\n"
		"backend: %s\n", EX_BACKEND);
	exit(2);
}

static void parse_op(const char *s, struct sembuf *sop)
{
	char *end;
	long n, v;
	char how;

	n = strtol(s, &end, 10);
	if (end == s || n < 0 || n > 65535 || !*end)
		ex_diex("bad operation '%s' (want N-V, N+V or N=0)", s);
	how = *end++;
	v = strtol(end, &end, 10);
	if (v < 0 || v > 32767 || (how == '=' && v != 0) ||
	    (how != '-' && how != '+' && how != '='))
		ex_diex("bad operation '%s' (want N-V, N+V or N=0)", s);
	sop->sem_num = (unsigned short)n;
	sop->sem_op = (short)(how == '-' ? -v : how == '+' ? v : 0);
	sop->sem_flg = 0;
	for (; *end; end++) {
		if (*end == 'u')
			sop->sem_flg |= SEM_UNDO;
		else if (*end == 'n')
			sop->sem_flg |= IPC_NOWAIT;
		else
			ex_diex("bad flag '%c' in '%s' (u: SEM_UNDO, n: IPC_NOWAIT)",
				*end, s);
	}
}

static int cmd_create(int argc, char **argv)
{
	key_t key = IPC_PRIVATE;
	int mode = 0600, c, id, nsems, i;
	unsigned short *vals;
	union semun arg;

	while ((c = getopt(argc, argv, "k:m:")) != -1) {
		if (c == 'k')
			key = ex_parse_key(optarg);
		else if (c == 'm')
			mode = (int)ex_parse_long(optarg, 0, 0777, "mode");
		else
			usage();
	}
	if (optind >= argc)
		usage();
	nsems = (int)ex_parse_long(argv[optind++], 1, 32000, "number of semaphores");
	if (argc - optind > nsems)
		ex_diex("%d values for %d semaphores", argc - optind, nsems);
	id = uipc_semget(key, nsems, IPC_CREAT | IPC_EXCL | mode);
	if (id < 0)
		ex_die("semget(key 0x%x, %d)", (unsigned)key, nsems);
	if (optind < argc) {
		vals = calloc(nsems, sizeof(*vals));
		if (!vals)
			ex_die("calloc");
		for (i = 0; optind < argc; i++)
			vals[i] = (unsigned short)ex_parse_long(argv[optind++], 0,
								32767, "value");
		arg.array = vals;
		if (uipc_semctl(id, 0, SETALL, arg) < 0) {
			int err = errno;

			uipc_semctl(id, 0, IPC_RMID);
			errno = err;
			ex_die("semctl(%d, SETALL)", id);
		}
		free(vals);
	}
	printf("%d\n", id);
	fprintf(stderr, "semdemo: created semaphore set %d (key 0x%08x, %d semaphores)\n",
		id, (unsigned)key, nsems);
	return 0;
}

static void print_ops(const struct sembuf *ops, int n)
{
	for (int i = 0; i < n; i++)
		printf(ops[i].sem_op ? " {%u %+d%s%s}" : " {%u =%d%s%s}",
		       ops[i].sem_num, ops[i].sem_op,
		       ops[i].sem_flg & SEM_UNDO ? " undo" : "",
		       ops[i].sem_flg & IPC_NOWAIT ? " nowait" : "");
}

static int cmd_op(int argc, char **argv)
{
	long tmo = -1, hold = 0;
	struct sembuf *ops;
	struct timespec ts;
	int c, id, n, r;

	while ((c = getopt(argc, argv, "t:H:")) != -1) {
		if (c == 't')
			tmo = ex_parse_long(optarg, 0, 86400000, "timeout");
		else if (c == 'H')
			hold = ex_parse_long(optarg, 0, 86400000, "hold time");
		else
			usage();
	}
	if (argc - optind < 2)
		usage();
	id = (int)ex_parse_long(argv[optind++], 0, 0x7fffffff, "id");
	n = argc - optind;
	ops = calloc(n, sizeof(*ops));
	if (!ops)
		ex_die("calloc");
	for (int i = 0; i < n; i++)
		parse_op(argv[optind + i], &ops[i]);
	printf("[%d] about to semop(%d,", getpid(), id);
	print_ops(ops, n);
	printf(")\n");
	fflush(stdout);
	if (tmo >= 0) {
		ts = ex_ms_ts(tmo);
		r = uipc_semtimedop(id, ops, n, &ts);
	} else {
		r = uipc_semop(id, ops, n);
	}
	if (r < 0) {
		int err = errno;

		printf("[%d] semop failed: %s (%s)\n", getpid(), ex_errname(err),
		       strerror(err));
		free(ops);
		return 1;
	}
	printf("[%d] semop completed\n", getpid());
	fflush(stdout);
	if (hold) {
		printf("[%d] holding for %ld ms\n", getpid(), hold);
		fflush(stdout);
		ex_sleep_ms(hold);
		printf("[%d] exiting (SEM_UNDO adjustments are applied now)\n",
		       getpid());
	}
	free(ops);
	return 0;
}

static void fmt_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!t) {
		snprintf(buf, len, "never");
		return;
	}
	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

static int cmd_show(int argc, char **argv)
{
	struct semid_ds ds;
	union semun arg = { .buf = &ds };
	char ot[64], ct[64];
	int id;

	if (argc != 2)
		usage();
	id = (int)ex_parse_long(argv[1], 0, 0x7fffffff, "id");
	if (uipc_semctl(id, 0, IPC_STAT, arg) < 0)
		ex_die("semctl(%d, IPC_STAT)", id);
	fmt_time(ds.sem_otime, ot, sizeof(ot));
	fmt_time(ds.sem_ctime, ct, sizeof(ct));
	printf("set %d  key 0x%08x  mode %03o  uid %u  nsems %lu\n", id,
	       (unsigned)ds.sem_perm.__key, ds.sem_perm.mode & 0777,
	       ds.sem_perm.uid, (unsigned long)ds.sem_nsems);
	printf("last semop %s   last change %s\n", ot, ct);
	printf("%5s %7s %7s %7s %8s\n", "semnum", "value", "ncount", "zcount", "last pid");
	for (unsigned long i = 0; i < ds.sem_nsems; i++) {
		int v = uipc_semctl(id, (int)i, GETVAL);
		int nc = uipc_semctl(id, (int)i, GETNCNT);
		int zc = uipc_semctl(id, (int)i, GETZCNT);
		int pid = uipc_semctl(id, (int)i, GETPID);

		if (v < 0 || nc < 0 || zc < 0 || pid < 0)
			ex_die("semctl(%d, GETVAL/GETNCNT/GETZCNT/GETPID)", id);
		printf("%5lu %7d %7d %7d %8d\n", i, v, nc, zc, pid);
	}
	return 0;
}

static int cmd_set(int argc, char **argv)
{
	union semun arg;
	int id, n;

	if (argc != 4)
		usage();
	id = (int)ex_parse_long(argv[1], 0, 0x7fffffff, "id");
	n = (int)ex_parse_long(argv[2], 0, 65535, "semaphore number");
	arg.val = (int)ex_parse_long(argv[3], 0, 32767, "value");
	if (uipc_semctl(id, n, SETVAL, arg) < 0)
		ex_die("semctl(%d, %d, SETVAL, %d)", id, n, arg.val);
	printf("semaphore %d of set %d set to %d\n", n, id, arg.val);
	return 0;
}

static int cmd_rm(int argc, char **argv)
{
	int id;

	if (argc != 2)
		usage();
	id = (int)ex_parse_long(argv[1], 0, 0x7fffffff, "id");
	if (uipc_semctl(id, 0, IPC_RMID) < 0)
		ex_die("semctl(%d, IPC_RMID)", id);
	printf("removed semaphore set %d\n", id);
	return 0;
}

static int cmd_lock(int argc, char **argv)
{
	long hold = 1000;
	key_t key;
	int id, zero;

	if (argc < 3 || argc > 4)
		usage();
	if (!strcmp(argv[1], "otime"))
		zero = 0;
	else if (!strcmp(argv[1], "zero"))
		zero = 1;
	else
		usage();
	key = ex_parse_key(argv[2]);
	if (argc == 4)
		hold = ex_parse_long(argv[3], 0, 86400000, "hold time");
	id = zero ? binsem0_open(key, 0600) : binsem_open(key, 0600, 5000);
	if (id < 0)
		ex_die("open binary semaphore 0x%x", (unsigned)key);
	printf("[%d] opened binary semaphore %d (%s method), locking\n",
	       getpid(), id, zero ? "zero-is-free" : "sem_otime");
	fflush(stdout);
	if ((zero ? binsem0_lock(id) : binsem_wait(id)) < 0)
		ex_die("lock %d", id);
	printf("[%d] locked, holding %ld ms\n", getpid(), hold);
	fflush(stdout);
	ex_sleep_ms(hold);
	if ((zero ? binsem0_unlock(id) : binsem_post(id)) < 0)
		ex_die("unlock %d", id);
	printf("[%d] unlocked\n", getpid());
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	argv++;
	argc--;
	if (!strcmp(argv[0], "create"))
		return cmd_create(argc, argv);
	if (!strcmp(argv[0], "op"))
		return cmd_op(argc, argv);
	if (!strcmp(argv[0], "show"))
		return cmd_show(argc, argv);
	if (!strcmp(argv[0], "set"))
		return cmd_set(argc, argv);
	if (!strcmp(argv[0], "rm"))
		return cmd_rm(argc, argv);
	if (!strcmp(argv[0], "lock"))
		return cmd_lock(argc, argv);
	usage();
}
