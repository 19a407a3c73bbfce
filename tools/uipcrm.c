// SPDX-License-Identifier: MIT
/*
 * uipcrm - remove uipc message queues, semaphore sets and shared memory
 * segments, like util-linux ipcrm(1).
 *
 * Same options (including the legacy "uipcrm shm|msg|sem ID..." form),
 * messages and exit codes.  The one deliberate difference is the order
 * of work: util-linux removes as it parses, so "ipcrm -a sem" (a space,
 * not "=") removes everything of every type and only then complains
 * about "sem", and "ipcrm -m 1 -m x" removes 1 before rejecting x.  We
 * parse and check every argument first (syntax, keys resolve, ids exist)
 * and remove nothing unless all of them are good.
 *
 * Beyond ipcrm, --stale[=shm|msg|sem] removes the objects none of whose
 * users (uipcs --users) is alive, each with uipc_rmid_stale(), which
 * checks again under the object's locks: an object a live process uses
 * is never removed.  With -m/-q/-s it applies to those ids only, and an
 * id still in use is an error.  Not available in the kernel build.
 *
 * Only what is asked is touched: uipc_set_readonly(UIPC_NOREPAIR) makes
 * the listing and key lookups lock-free and repair-free (other objects'
 * files stay as they are, a missing namespace is not created); the
 * removals themselves lock and repair the objects they remove.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipcinfo.h"
#include "out.h"

static int verbose;
static int stale;	/* --stale: remove only what no live process uses */

static void usage(void)
{
	printf("\nUsage:\n"
	       " %1$s [options]\n"
	       " %1$s shm|msg|sem <id>...\n"
	       "\nRemove certain IPC resources.\n"
	       "\nOptions:\n"
	       " -m, --shmem-id <id>        remove shared memory segment by id\n"
	       " -M, --shmem-key <key>      remove shared memory segment by key\n"
	       " -q, --queue-id <id>        remove message queue by id\n"
	       " -Q, --queue-key <key>      remove message queue by key\n"
	       " -s, --semaphore-id <id>    remove semaphore by id\n"
	       " -S, --semaphore-key <key>  remove semaphore by key\n"
	       " -a, --all[=shm|msg|sem]    remove all (in the specified category)\n"
	       "     --stale[=shm|msg|sem]  remove objects whose every user is dead\n"
	       "                              (only the given ids with -m/-q/-s)\n"
	       " -v, --verbose              explain what is being done\n"
	       "\n -h, --help                 display this help\n"
	       " -V, --version              display version\n"
	       "\nFor more details see %1$s(1).\n", out_prog);
	exit(EXIT_SUCCESS);
}

/* One removal to do: by id, or by key (resolved during the checks). */
struct job {
	enum ii_type type;
	int iskey;
	const char *arg;	/* the key as written, for messages */
	int id;
};

static struct job *jobs;
static int njobs;

static void add_job(enum ii_type type, int iskey, const char *arg, int id)
{
	struct job *j = realloc(jobs, (njobs + 1) * sizeof(*j));

	if (!j)
		out_err(EXIT_FAILURE, ENOMEM, "cannot allocate");
	jobs = j;
	jobs[njobs].type = type;
	jobs[njobs].iskey = iskey;
	jobs[njobs].arg = arg;
	jobs[njobs].id = id;
	njobs++;
}

/* Every identifier in use, per type, fetched once for the checks. */
static int *known[3];
static int nknown[3] = { -1, -1, -1 };

static int id_exists(enum ii_type type, int id)
{
	int i;

	if (nknown[type] < 0) {
		nknown[type] = ii_ids(type, 1, &known[type]);
		if (nknown[type] < 0)
			return -1;	/* unknown: let the removal decide */
	}
	for (i = 0; i < nknown[type]; i++)
		if (known[type][i] == id)
			return 1;
	return 0;
}

static const char *const what[3] = {
	[II_MSG] = "message queue",
	[II_SEM] = "semaphore",
	[II_SHM] = "shared memory segment",
};

/* uipc_rmid_stale(): 0 or -errno; the kernel build has no records. */
static int rmid_stale(enum ii_type type, int id)
{
#ifdef UIPC_TOOLS_KERNEL
	(void)type;
	(void)id;
	return -ENOSYS;
#else
	int t = type == II_MSG ? UIPC_MSG : type == II_SEM ? UIPC_SEM : UIPC_SHM;

	return uipc_rmid_stale(t, id) < 0 ? -errno : 0;
#endif
}

/* Whether no user of @id is alive (for EPERM: worth a word only then). */
static int is_stale(enum ii_type type, int id)
{
#ifdef UIPC_TOOLS_KERNEL
	(void)type;
	(void)id;
	return 0;
#else
	int t = type == II_MSG ? UIPC_MSG : type == II_SEM ? UIPC_SEM : UIPC_SHM;
	struct uipc_user *u = NULL;
	int n = 0, r, k, alive = 0;

	for (;;) {
		r = uipc_users(t, id, u, n);
		if (r < 0 || r <= n)
			break;
		n = r + 8;
		free(u);
		u = malloc((size_t)n * sizeof(*u));
		if (!u)
			out_err(EXIT_FAILURE, ENOMEM, "cannot allocate");
	}
	for (k = 0; k < r; k++)
		alive += u[k].alive != 0;
	free(u);
	return r >= 0 && !alive;
#endif
}

/* The key of object @id, for the report; IPC_PRIVATE when it is gone. */
static key_t key_of(enum ii_type type, int id)
{
	struct ii_msg q;
	struct ii_sem s;
	struct ii_shm m;

	switch (type) {
	case II_MSG:
		return ii_msg_find(id, &q) > 0 ? q.p.key : IPC_PRIVATE;
	case II_SEM:
		return ii_sem_find(id, &s) > 0 ? s.p.key : IPC_PRIVATE;
	default:
		return ii_shm_find(id, &m) > 0 ? m.p.key : IPC_PRIVATE;
	}
}

/*
 * remove_stale - --stale without ids: try every object of @type; report
 * each removal; those in use (EBUSY) or gone meanwhile are skipped
 * quietly, and so are other users' objects we may not remove unless
 * they are stale.  Returns 1 if a removal failed otherwise.
 */
static int remove_stale(enum ii_type type)
{
	int *ids, n, i, r, ret = 0;

	n = ii_ids(type, 1, &ids);
	if (n < 0)
		out_err(EXIT_FAILURE, -n, "cannot list the %ss", what[type]);
	for (i = 0; i < n; i++) {
		key_t key = key_of(type, ids[i]);

		r = rmid_stale(type, ids[i]);
		if (r == 0) {
			printf("removed stale %s id %d (key 0x%08x)\n",
			       what[type], ids[i], (unsigned)key);
		} else if (r != -EBUSY && r != -EINVAL && r != -EIDRM &&
			   (r != -EPERM || is_stale(type, ids[i]))) {
			out_warn(-r, "cannot remove %s id %d", what[type],
				 ids[i]);
			ret = 1;
		}
	}
	free(ids);
	return ret;
}

/* util-linux's remove_id(): 0 done, 1 failed (and said why). */
static int remove_id(enum ii_type type, int iskey, int id)
{
	const char *msg;
	int r;

	if (verbose)
		printf("removing %s id `%d'\n", what[type], id);
	r = stale ? rmid_stale(type, id) : ii_rmid(type, id);
	if (r == 0)
		return 0;
	switch (-r) {
	case EBUSY:
		msg = "id in use by a live process";
		break;
	case EACCES:
	case EPERM:
		msg = iskey ? "permission denied for key" :
			      "permission denied for id";
		break;
	case EINVAL:
		msg = iskey ? "invalid key" : "invalid id";
		break;
	case EIDRM:
		msg = iskey ? "already removed key" : "already removed id";
		break;
	default:
		out_err(EXIT_FAILURE, -r, "%s", iskey ? "key failed" :
						       "id failed");
	}
	out_warnx("%s (%d)", msg, id);
	return 1;
}

static void parse_id(const char *s, int *id)
{
	int r = out_parse_int(s, id);

	if (r == -ERANGE)
		out_err(EXIT_FAILURE, ERANGE, "failed to parse argument: '%s'", s);
	if (r < 0)
		out_errx(EXIT_FAILURE, "failed to parse argument: '%s'", s);
}

static key_t parse_key(const char *s)
{
	unsigned long v;
	char *end;

	if (!*s)
		out_errx(EXIT_FAILURE, "failed to parse argument: '%s'", s);
	errno = 0;
	v = strtoul(s, &end, 0);	/* keys are hex or decimal */
	if (errno == ERANGE)
		out_err(EXIT_FAILURE, ERANGE, "failed to parse argument: '%s'", s);
	if (end == s || *end)
		out_errx(EXIT_FAILURE, "failed to parse argument: '%s'", s);
	return (key_t)v;
}

/*
 * check_jobs - the pass util-linux lacks: resolve keys and make sure each
 * id names an object.  Reports every problem; returns how many.
 */
static int check_jobs(void)
{
	int i, bad = 0;

	for (i = 0; i < njobs; i++) {
		struct job *j = &jobs[i];

		if (j->iskey) {
			key_t k = (key_t)j->id;
			int id;

			if (k == IPC_PRIVATE) {
				out_warnx("illegal key (%s)", j->arg);
				bad++;
				continue;
			}
			id = ii_key_to_id(j->type, k);
			if (id >= 0) {
				j->id = id;
				continue;
			}
			bad++;
			switch (-id) {
			case EACCES:
				out_warnx("permission denied for key (%s)", j->arg);
				break;
			case EIDRM:
				out_warnx("already removed key (%s)", j->arg);
				break;
			case ENOENT:
				out_warnx("invalid key (%s)", j->arg);
				break;
			default:
				out_err(EXIT_FAILURE, -id, "key failed");
			}
		} else if (id_exists(j->type, j->id) == 0) {
			out_warnx("invalid id (%d)", j->id);
			bad++;
		}
	}
	return bad;
}

/* Remove every object of @type (-a): those we may read, as util-linux. */
static int remove_all(enum ii_type type)
{
	int *ids, n, i, ret = 0;

	n = ii_ids(type, 0, &ids);
	if (n < 0) {
		static const char *const kind[3] = {
			[II_MSG] = "message queues",
			[II_SEM] = "semaphores",
			[II_SHM] = "shared memory",
		};
		out_errx(EXIT_FAILURE, "kernel not configured for %s",
			 kind[type]);
	}
	for (i = 0; i < n; i++)
		ret |= remove_id(type, 0, ids[i]);
	free(ids);
	return ret;
}

/* uipcrm shm|msg|sem ID...: returns 0 if it was not that form. */
static int legacy(int argc, char **argv)
{
	enum ii_type type;
	int i, bad = 0, failed = 0;

	if (!strcmp(argv[1], "shm"))
		type = II_SHM;
	else if (!strcmp(argv[1], "msg"))
		type = II_MSG;
	else if (!strcmp(argv[1], "sem"))
		type = II_SEM;
	else
		return 0;
	if (argc < 3) {
		out_warnx("not enough arguments");
		out_tryhelp();
	}
	for (i = 2; i < argc; i++) {
		int id;

		if (out_parse_int(argv[i], &id) < 0) {
			out_warnx("invalid id: %s", argv[i]);
			bad++;
			continue;
		}
		add_job(type, 0, argv[i], id);
	}
	bad += check_jobs();
	if (bad)
		exit(EXIT_FAILURE);
	for (i = 0; i < njobs; i++)
		failed |= remove_id(jobs[i].type, 0, jobs[i].id);
	if (failed)
		exit(EXIT_FAILURE);
	printf("resource(s) deleted\n");
	return 1;
}

int main(int argc, char **argv)
{
	enum { OPT_STALE = 256 };
	static const struct option longopts[] = {
		{ "shmem-id", required_argument, NULL, 'm' },
		{ "shmem-key", required_argument, NULL, 'M' },
		{ "queue-id", required_argument, NULL, 'q' },
		{ "queue-key", required_argument, NULL, 'Q' },
		{ "semaphore-id", required_argument, NULL, 's' },
		{ "semaphore-key", required_argument, NULL, 'S' },
		{ "all", optional_argument, NULL, 'a' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "stale", optional_argument, NULL, OPT_STALE },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, i, id, ret = 0, rm_all = 0, all[3] = { 0, 0, 0 };
	int st[3] = { 0, 0, 0 };

	out_prog = program_invocation_short_name;
#ifndef UIPC_TOOLS_KERNEL
	/* the listing and key lookups neither lock nor repair: only the
	 * objects we are asked to remove are touched (and repaired) */
	if (uipc_set_readonly(UIPC_NOREPAIR) < 0)
		out_err(EXIT_FAILURE, errno, "cannot set no-repair mode");
#endif
	if (argc == 1)
		return EXIT_SUCCESS;	/* as util-linux: nothing to do */
	if (strcmp(argv[1], "-h") && strcmp(argv[1], "--help") &&
	    strcmp(argv[1], "-V") && strcmp(argv[1], "--version"))
		out_namespace();
	if (legacy(argc, argv)) {
		out_close_stdout();
		return EXIT_SUCCESS;
	}

	while ((c = getopt_long(argc, argv, "q:m:s:Q:M:S:a::vhV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'm':
			parse_id(optarg, &id);
			add_job(II_SHM, 0, optarg, id);
			break;
		case 'q':
			parse_id(optarg, &id);
			add_job(II_MSG, 0, optarg, id);
			break;
		case 's':
			parse_id(optarg, &id);
			add_job(II_SEM, 0, optarg, id);
			break;
		case 'M':
			add_job(II_SHM, 1, optarg, (int)parse_key(optarg));
			break;
		case 'Q':
			add_job(II_MSG, 1, optarg, (int)parse_key(optarg));
			break;
		case 'S':
			add_job(II_SEM, 1, optarg, (int)parse_key(optarg));
			break;
		case 'a':
			rm_all = 1;
			if (!optarg)
				all[II_SHM] = all[II_SEM] = all[II_MSG] = 1;
			else if (!strcmp(optarg, "shm"))
				all[II_SHM] = 1;
			else if (!strcmp(optarg, "msg"))
				all[II_MSG] = 1;
			else if (!strcmp(optarg, "sem"))
				all[II_SEM] = 1;
			else
				out_errx(EXIT_FAILURE, "unknown argument: %s",
					 optarg);
			break;
		case OPT_STALE:
			stale = 1;
			if (!optarg)
				st[II_SHM] = st[II_SEM] = st[II_MSG] = 1;
			else if (!strcmp(optarg, "shm"))
				st[II_SHM] = 1;
			else if (!strcmp(optarg, "msg"))
				st[II_MSG] = 1;
			else if (!strcmp(optarg, "sem"))
				st[II_SEM] = 1;
			else
				out_errx(EXIT_FAILURE, "unknown argument: %s",
					 optarg);
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage();
			break;
		case 'V':
			out_version();
			break;
		default:
			out_tryhelp();
		}
	}
	if (optind < argc) {
		out_warnx("unknown argument: %s", argv[optind]);
		out_tryhelp();
	}
#ifdef UIPC_TOOLS_KERNEL
	if (stale)
		out_errx(EXIT_FAILURE, "--stale: not supported on the kernel");
#endif
	if (stale && rm_all)
		out_errx(EXIT_FAILURE, "--stale and --all are mutually exclusive");
	if (check_jobs())
		return EXIT_FAILURE;
	if (stale && !njobs) {
		if (st[II_SHM])
			ret |= remove_stale(II_SHM);
		if (st[II_SEM])
			ret |= remove_stale(II_SEM);
		if (st[II_MSG])
			ret |= remove_stale(II_MSG);
		out_close_stdout();
		return ret == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
	}

	for (i = 0; i < njobs; i++)
		if (remove_id(jobs[i].type, jobs[i].iskey, jobs[i].id))
			ret++;
	/* util-linux's order for --all: segments, then sets, then queues */
	if (rm_all) {
		int r = 0;

		if (all[II_SHM])
			r |= remove_all(II_SHM);
		if (all[II_SEM])
			r |= remove_all(II_SEM);
		if (all[II_MSG])
			r |= remove_all(II_MSG);
		if (r)
			ret++;
	}
	out_close_stdout();
	return ret == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
