// SPDX-License-Identifier: MIT
/*
 * proc.c - who we are, and whether another process is still alive.
 *
 * Behaviour: a process is identified by (pid, start time); the start time
 * is field 22 of /proc/PID/stat (clock ticks since boot), which a recycled
 * pid cannot share with the process that had it before.  A process counts
 * as dead once it has exited, even while it is a zombie that nobody reaped:
 * the kernel releases a dying process's IPC state (undo, attachments,
 * waits) before it becomes a zombie, and so must we.
 *
 * Internals: our own identity and credentials are cached in private memory
 * so that fast paths need no system call (getpid() is a system call in
 * glibc).  A fork handler resets the cache in the child.  Credentials are
 * refreshed by every *get and *ctl call; see docs/differences.md.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static struct proc_self self;
static int self_valid;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void proc_atfork_child(void)
{
	self_valid = 0;
	proc_refresh_creds();	/* a child often changes them first */
}

static void proc_register_atfork(void)
{
	pthread_atfork(NULL, NULL, proc_atfork_child);
}

/*
 * Parse /proc/PID/stat: state (field 3) and start time (field 22).  The
 * command name (field 2) may hold spaces and parentheses, so fields are
 * counted from the last ')'.  Returns 0, or -errno.
 */
static int proc_read_stat(pid_t pid, char *state, uint64_t *start)
{
	char path[64], buf[1024];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';

	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -EINVAL;
	p += 2;
	*state = *p;
	/* p is at field 3; skip to field 22 */
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -EINVAL;
		p++;
	}
	*start = strtoull(p, NULL, 10);
	return 0;
}

uint64_t proc_starttime(pid_t pid)
{
	char state;
	uint64_t start;

	if (proc_read_stat(pid, &state, &start))
		return 0;
	return start;
}

/*
 * Credentials, per thread (Linux keeps them per thread) and fetched only
 * when a check needs them: an API call forgets them on entry
 * (proc_refresh_creds), so a setuid() between calls is honoured, and a
 * call asks the kernel only for what its checks use (an owner never
 * needs its groups).
 */
enum { CR_EUID = 1, CR_EGID = 2, CR_GROUPS = 4 };

static __thread struct {
	unsigned have;		/* CR_* fetched since the call began */
	uid_t euid;
	gid_t egid;
	int ngroups;		/* -1: more than fit, ask each time */
	gid_t groups[64];
} cr;

void proc_refresh_creds(void)
{
	cr.have = 0;
}

uid_t proc_euid(void)
{
	if (!(cr.have & CR_EUID)) {
		cr.euid = geteuid();
		cr.have |= CR_EUID;
	}
	return cr.euid;
}

gid_t proc_egid(void)
{
	if (!(cr.have & CR_EGID)) {
		cr.egid = getegid();
		cr.have |= CR_EGID;
	}
	return cr.egid;
}

const struct proc_self *proc_self(void)
{
	if (likely(self_valid))
		return &self;
	pthread_once(&atfork_once, proc_register_atfork);
	self.pid = getpid();
	self.start = proc_starttime(self.pid);
	self_valid = 1;
	return &self;
}

/*
 * proc_alive - is process (pid, start) still running?
 * @start: its start time, or 0 when unknown (then the pid alone decides),
 *         or its low 32 bits.
 *
 * Dead means: no such pid, a zombie, or a different process under that pid.
 */
bool proc_alive(pid_t pid, uint64_t start)
{
	char state;
	uint64_t now_start;

	if (pid <= 0)
		return false;
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return false;
	if (proc_read_stat(pid, &state, &now_start) < 0)
		return errno != ENOENT && errno != ESRCH;
	if (state == 'Z' || state == 'X' || state == 'x')
		return false;
	/* a start time kept in 32 bits (shm attach table) matches its low half */
	if (start && now_start != start &&
	    (start > UINT32_MAX || (uint32_t)now_start != start))
		return false;
	return true;
}

static bool in_list(const gid_t *g, int n, gid_t gid)
{
	for (int i = 0; i < n; i++)
		if (g[i] == gid)
			return true;
	return false;
}

bool proc_in_group(gid_t gid)
{
	if (proc_egid() == gid)
		return true;
	if (!(cr.have & CR_GROUPS)) {
		int n = getgroups(ARRAY_SIZE(cr.groups), cr.groups);

		cr.ngroups = n >= 0 ? n : errno == EINVAL ? -1 : 0;
		cr.have |= CR_GROUPS;
	}
	if (cr.ngroups < 0) {
		/* more supplementary groups than the cache holds */
		int n = getgroups(0, NULL);
		gid_t *g = n > 0 ? malloc((size_t)n * sizeof(*g)) : NULL;
		bool r;

		n = g ? getgroups(n, g) : -1;
		r = n > 0 && in_list(g, n, gid);
		free(g);
		return r;
	}
	return in_list(cr.groups, cr.ngroups, gid);
}

/*
 * Is @id mapped in our user namespace?  The kernel refuses IPC_SET with
 * an unmapped uid or gid (EINVAL); (uid_t)-1 is never valid.
 */
static bool id_mapped(const char *map, uint32_t id)
{
	FILE *f;
	unsigned long inside, outside, count;
	bool ok = false;

	if (id == (uint32_t)-1)
		return false;
	f = fopen(map, "re");
	if (!f)
		return true;
	while (fscanf(f, "%lu %lu %lu", &inside, &outside, &count) == 3) {
		if (id >= inside && id - inside < count) {
			ok = true;
			break;
		}
	}
	fclose(f);
	return ok;
}

/* Do we hold CAP_SYS_RESOURCE in our effective set? */
static bool proc_cap_sys_resource(void)
{
	char line[256];
	unsigned long long eff = 0;
	bool found = false;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1) {
			found = true;
			break;
		}
	fclose(f);
	return found && (eff & (1ULL << 24));
}

/* Is our user namespace the initial one (uid_map is the identity)? */
static bool proc_in_init_userns(void)
{
	unsigned long inside, outside, count;
	bool init = true;
	FILE *f = fopen("/proc/self/uid_map", "re");

	if (!f)
		return true;
	if (fscanf(f, "%lu %lu %lu", &inside, &outside, &count) != 3 ||
	    inside != 0 || outside != 0 || count != 4294967295UL)
		init = false;
	fclose(f);
	return init;
}

/* The kernel's capable(CAP_SYS_RESOURCE): held, in the initial userns. */
bool proc_init_userns(void)
{
	return proc_cap_sys_resource() && proc_in_init_userns();
}

bool proc_uid_valid(uint32_t uid)
{
	return id_mapped("/proc/self/uid_map", uid);
}

bool proc_gid_valid(uint32_t gid)
{
	return id_mapped("/proc/self/gid_map", gid);
}
