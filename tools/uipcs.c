// SPDX-License-Identifier: MIT
/*
 * uipcs - show uipc's message queues, semaphore sets and shared memory
 * segments, the way util-linux ipcs(1) shows the kernel's.
 *
 * Same options, headings, columns, exit codes; a script written for ipcs
 * reads our output unchanged.  Deliberate differences: -p also lists
 * semaphores (ipcs prints nothing for them), -i never needs read
 * permission on a queue to show its qbytes, and --json prints any listing
 * as JSON (see uipcs(1)).  Beyond ipcs, --users shows which processes use
 * each object (creator, attachments, undo adjustments, waiters, last
 * operators; alive or dead) and --stale the objects none of whose users
 * lives: records the kernel does not keep, so the kernel build refuses.
 *
 * uipcs only observes (uipc_set_readonly(UIPC_READONLY)): it takes no
 * lock, so a process that holds one forever cannot stall it, and changes
 * no file; it shows the state the library's repairs would leave (a dead
 * attacher not counted, a dead process's SEM_UNDO applied).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipcinfo.h"
#include "out.h"

enum format {
	F_DEFAULT, F_LIMITS, F_STATUS, F_CREATOR, F_TIME, F_PID,
	F_USERS, F_STALE
};

static enum format format;
static enum out_unit unit = U_DEFAULT;
static int json;
static int status;	/* exit status: 1 once a listing could not be read */

static void usage(void)
{
	printf("\nUsage:\n"
	       " %1$s [resource-option...] [output-option]\n"
	       " %1$s -m|-q|-s -i <id>\n"
	       "\nShow information on IPC facilities.\n"
	       "\nOptions:\n"
	       " -i, --id <id>  print details on resource identified by <id>\n"
	       " -J, --json     use JSON output format\n"
	       " -h, --help     display this help\n"
	       " -V, --version  display version\n"
	       "\nResource options:\n"
	       " -m, --shmems      shared memory segments\n"
	       " -q, --queues      message queues\n"
	       " -s, --semaphores  semaphores\n"
	       " -a, --all         all (default)\n"
	       "\nOutput options:\n"
	       " -t, --time        show attach, detach and change times\n"
	       " -p, --pid         show PIDs of creator and last operator\n"
	       " -c, --creator     show creator and owner\n"
	       " -l, --limits      show resource limits\n"
	       " -u, --summary     show status summary\n"
	       "     --users       show the processes using each object\n"
	       "     --stale       show objects whose every user is dead\n"
	       "     --human       show sizes in human-readable format\n"
	       " -b, --bytes       show sizes in bytes\n"
	       "\nFor more details see uipcs(1).\n", out_prog);
	exit(EXIT_SUCCESS);
}

/* ---- helpers shared by the printers ---- */

static void id_owner(const char *idfmt, int id, uid_t uid)
{
	const char *u = out_user(uid);

	printf(idfmt, id);
	if (u)
		printf(" %-10.10s", u);
	else
		printf(" %-10u", (unsigned)uid);
}

static const char *when16(int64_t t)
{
	return t ? out_ctime(t) + 4 : "Not set";
}

static const char *when24(int64_t t)
{
	return t ? out_ctime(t) : "Not set";
}

static void print_perms(const struct ii_perm *p)
{
	const char *s;

	printf("%-10d %-10o", p->id, p->mode & 0777);
	if ((s = out_user(p->cuid)))
		printf(" %-10s", s);
	else
		printf(" %-10u", (unsigned)p->cuid);
	if ((s = out_group(p->cgid)))
		printf(" %-10s", s);
	else
		printf(" %-10u", (unsigned)p->cgid);
	if ((s = out_user(p->uid)))
		printf(" %-10s", s);
	else
		printf(" %-10u", (unsigned)p->uid);
	if ((s = out_group(p->gid)))
		printf(" %-10s\n", s);
	else
		printf(" %-10u\n", (unsigned)p->gid);
}

static void list_failed(const char *what, int err)
{
	out_warn(-err, "cannot read %s", what);
	status = EXIT_FAILURE;
}

/* ---- JSON fields ---- */

static void js_key_hex(key_t key)
{
	char b[16];

	snprintf(b, sizeof(b), "0x%08x", (unsigned)key);
	js_str("key", b);
}

static void js_octal(const char *name, unsigned v, int alt)
{
	char b[16];

	snprintf(b, sizeof(b), alt ? "%#o" : "%o", v);
	js_str(name, b);
}

static void js_user(const char *name, uid_t uid)
{
	const char *u = out_user(uid);
	char b[16];

	if (!u) {
		snprintf(b, sizeof(b), "%u", (unsigned)uid);
		u = b;
	}
	js_str(name, u);
}

static void js_group(const char *name, gid_t gid)
{
	const char *g = out_group(gid);
	char b[16];

	if (!g) {
		snprintf(b, sizeof(b), "%u", (unsigned)gid);
		g = b;
	}
	js_str(name, g);
}

static void js_time(const char *name, int64_t t)
{
	if (t)
		js_num(name, t);
	else
		js_null(name);
}

static void js_perms_row(const char *idname, const struct ii_perm *p)
{
	js_num(idname, p->id);
	js_octal("perms", p->mode & 0777, 0);
	js_user("cuid", p->cuid);
	js_group("cgid", p->cgid);
	js_user("uid", p->uid);
	js_group("gid", p->gid);
}

static void js_ids(const struct ii_perm *p)
{
	js_num("uid", p->uid);
	js_num("gid", p->gid);
	js_num("cuid", p->cuid);
	js_num("cgid", p->cgid);
	js_octal("mode", p->mode, 1);
}

/* ---- message queues ---- */

static void msg_limits(void)
{
	struct msginfo mi;

	if (ii_msg_info(IPC_INFO, &mi) < 0) {
		if (json)
			return;
		printf("unable to fetch message limits\n");
		return;
	}
	if (json) {
		js_array("msglimits");
		js_object(NULL);
		js_num("msgmni", mi.msgmni);
		js_num("msgmax", mi.msgmax);
		js_num("msgmnb", mi.msgmnb);
		js_object_end();
		js_array_end();
		return;
	}
	printf("------ Messages Limits --------\n");
	printf("max queues system wide = %d\n", mi.msgmni);
	out_size(unit == U_DEFAULT ? U_BYTES : unit, "max size of message",
		 (uint64_t)mi.msgmax, "\n", 0);
	out_size(unit == U_DEFAULT ? U_BYTES : unit,
		 "default max size of queue", (uint64_t)mi.msgmnb, "\n", 0);
}

static void msg_status(void)
{
	struct msginfo mi;

	if (ii_msg_info(MSG_INFO, &mi) < 0) {
		if (!json)
			printf("kernel not configured for message queues\n");
		return;
	}
	if (json) {
		js_array("msgstatus");
		js_object(NULL);
		js_num("allocated-queues", mi.msgpool);
		js_num("used-headers", mi.msgmap);
		js_num("used-space", mi.msgtql);
		js_object_end();
		js_array_end();
		return;
	}
	printf("------ Messages Status --------\n");
	printf("allocated queues = %d\n", mi.msgpool);
	printf("used headers = %d\n", mi.msgmap);
	out_size(unit, "used space", (uint64_t)mi.msgtql,
		 unit == U_DEFAULT ? " bytes\n" : "\n", 0);
}

static void do_msg(void)
{
	struct ii_msg *q;
	int n, i;

	if (format == F_LIMITS) {
		msg_limits();
		return;
	}
	if (format == F_STATUS) {
		msg_status();
		return;
	}

	if (json) {
		js_array("messages");
	} else {
		switch (format) {
		case F_CREATOR:
			printf("------ Message Queues Creators/Owners --------\n");
			printf("%-10s %-10s %-10s %-10s %-10s %-10s\n", "msqid",
			       "perms", "cuid", "cgid", "uid", "gid");
			break;
		case F_TIME:
			printf("------ Message Queues Send/Recv/Change Times --------\n");
			printf("%-8s %-10s %-20s %-20s %-20s\n", "msqid",
			       "owner", "send", "recv", "change");
			break;
		case F_PID:
			printf("------ Message Queues PIDs --------\n");
			printf("%-10s %-10s %-10s %-10s\n", "msqid", "owner",
			       "lspid", "lrpid");
			break;
		default:
			printf("------ Message Queues --------\n");
			printf("%-10s %-10s %-10s %-10s %-12s %-12s\n", "key",
			       "msqid", "owner", "perms",
			       unit == U_HUMAN ? "size" : "used-bytes",
			       "messages");
			break;
		}
	}

	n = ii_msg_list(&q);
	if (n < 0)
		list_failed("message queues", n);
	for (i = 0; i < n; i++) {
		const struct ii_msg *m = &q[i];

		if (json) {
			js_object(NULL);
			switch (format) {
			case F_CREATOR:
				js_perms_row("msqid", &m->p);
				break;
			case F_TIME:
				js_num("msqid", m->p.id);
				js_user("owner", m->p.uid);
				js_time("send", m->stime);
				js_time("recv", m->rtime);
				js_time("change", m->ctime);
				break;
			case F_PID:
				js_num("msqid", m->p.id);
				js_user("owner", m->p.uid);
				js_num("lspid", m->lspid);
				js_num("lrpid", m->lrpid);
				break;
			default:
				js_key_hex(m->p.key);
				js_num("msqid", m->p.id);
				js_user("owner", m->p.uid);
				js_octal("perms", m->p.mode & 0777, 0);
				js_unum("used-bytes", m->cbytes);
				js_unum("messages", m->qnum);
				break;
			}
			js_object_end();
			continue;
		}
		switch (format) {
		case F_CREATOR:
			print_perms(&m->p);
			break;
		case F_TIME:
			id_owner("%-8d", m->p.id, m->p.uid);
			printf(" %-20.16s", when16(m->stime));
			printf(" %-20.16s", when16(m->rtime));
			printf(" %-20.16s\n", when16(m->ctime));
			break;
		case F_PID:
			id_owner("%-8d", m->p.id, m->p.uid);
			printf("  %5d     %5d\n", m->lspid, m->lrpid);
			break;
		default:
			printf("0x%08x ", (unsigned)m->p.key);
			id_owner("%-10d", m->p.id, m->p.uid);
			printf(" %-10o ", m->p.mode & 0777);
			if (unit == U_HUMAN)
				out_size(unit, NULL, m->cbytes, "      ", 6);
			else
				out_size(unit, NULL, m->cbytes, NULL, -12);
			printf(" %-12llu\n", (unsigned long long)m->qnum);
			break;
		}
	}
	free(q);
	if (json)
		js_array_end();
}

static void print_msg(int id)
{
	struct ii_msg m;
	int r = ii_msg_find(id, &m);

	if (json)
		js_array("messages");
	if (r < 0)
		list_failed("message queues", r);
	if (r <= 0) {
		if (r == 0)
			out_warnx("id %d not found", id);
		if (json)
			js_array_end();
		return;
	}
	if (json) {
		js_object(NULL);
		js_num("msqid", m.p.id);
		js_key_hex(m.p.key);
		js_ids(&m.p);
		js_unum("cbytes", m.cbytes);
		js_unum("qbytes", m.qbytes);
		js_unum("qnum", m.qnum);
		js_num("lspid", m.lspid);
		js_num("lrpid", m.lrpid);
		js_time("send_time", m.stime);
		js_time("rcv_time", m.rtime);
		js_time("change_time", m.ctime);
		js_object_end();
		js_array_end();
		return;
	}
	printf("\nMessage Queue msqid=%d\n", id);
	printf("uid=%u\tgid=%u\tcuid=%u\tcgid=%u\tmode=%#o\n",
	       (unsigned)m.p.uid, (unsigned)m.p.gid, (unsigned)m.p.cuid,
	       (unsigned)m.p.cgid, m.p.mode);
	out_size(unit, unit == U_HUMAN ? "csize=" : "cbytes=", m.cbytes,
		 "\t", 0);
	out_size(unit, unit == U_HUMAN ? "qsize=" : "qbytes=", m.qbytes,
		 "\t", 0);
	printf("qnum=%lld\tlspid=%d\tlrpid=%d\n", (long long)m.qnum,
	       m.lspid, m.lrpid);
	printf("send_time=%-26.24s\n", when24(m.stime));
	printf("rcv_time=%-26.24s\n", when24(m.rtime));
	printf("change_time=%-26.24s\n", when24(m.ctime));
	printf("\n");
}

/* ---- shared memory ---- */

static void shm_limits(void)
{
	struct shminfo si;
	uint64_t tmp, pg = (uint64_t)sysconf(_SC_PAGESIZE);

	if (ii_shm_limits(&si) < 0) {
		if (!json)
			printf("unable to fetch shared memory limits\n");
		return;
	}
	if (json) {
		js_array("shmlimits");
		js_object(NULL);
		js_unum("shmmni", si.shmmni);
		js_unum("shmmax", si.shmmax);
		js_unum("shmall", si.shmall);
		js_unum("shmmin", si.shmmin);
		js_object_end();
		js_array_end();
		return;
	}
	printf("------ Shared Memory Limits --------\n");
	printf("max number of segments = %llu\n",
	       (unsigned long long)si.shmmni);
	out_size(unit == U_DEFAULT ? U_KB : unit, "max seg size", si.shmmax,
		 "\n", 0);
	/* shmall counts pages; saturate rather than wrap, as ipcs does */
	if (unit == U_DEFAULT || unit == U_KB) {
		uint64_t per = pg / 1024;

		tmp = (uint64_t)si.shmall * per;
		if (si.shmall && tmp / si.shmall != per)
			tmp = UINT64_MAX - UINT64_MAX % per;
		out_size(U_DEFAULT, "max total shared memory (kbytes)", tmp,
			 "\n", 0);
	} else {
		tmp = (uint64_t)si.shmall * pg;
		if (si.shmall && tmp / si.shmall != pg)
			tmp = UINT64_MAX - UINT64_MAX % pg;
		out_size(unit, "max total shared memory", tmp, "\n", 0);
	}
	out_size(unit == U_DEFAULT ? U_BYTES : unit, "min seg size",
		 si.shmmin, "\n", 0);
}

static void shm_status(void)
{
	struct shm_info si;

	if (ii_shm_status(&si) < 0) {
		if (!json)
			printf("kernel not configured for shared memory\n");
		return;
	}
	if (json) {
		js_array("shmstatus");
		js_object(NULL);
		js_num("segments-allocated", si.used_ids);
		js_unum("pages-allocated", si.shm_tot);
		js_unum("pages-resident", si.shm_rss);
		js_unum("pages-swapped", si.shm_swp);
		js_unum("swap-attempts", si.swap_attempts);
		js_unum("swap-successes", si.swap_successes);
		js_object_end();
		js_array_end();
		return;
	}
	printf("------ Shared Memory Status --------\n");
	printf("segments allocated %d\n"
	       "pages allocated %ld\n"
	       "pages resident  %ld\n"
	       "pages swapped   %ld\n"
	       "Swap performance: %ld attempts\t %ld successes\n",
	       si.used_ids, (long)si.shm_tot, (long)si.shm_rss,
	       (long)si.shm_swp, (long)si.swap_attempts,
	       (long)si.swap_successes);
}

static const char *shm_status_word(unsigned mode)
{
	if ((mode & SHM_DEST) && (mode & SHM_LOCKED))
		return "dest,locked";
	if (mode & SHM_DEST)
		return "dest";
	if (mode & SHM_LOCKED)
		return "locked";
	return NULL;
}

static void do_shm(void)
{
	struct ii_shm *s;
	int n, i;

	if (format == F_LIMITS) {
		shm_limits();
		return;
	}
	if (format == F_STATUS) {
		shm_status();
		return;
	}

	if (json) {
		js_array("sharedmemory");
	} else {
		switch (format) {
		case F_CREATOR:
			printf("------ Shared Memory Segment Creators/Owners --------\n");
			printf("%-10s %-10s %-10s %-10s %-10s %-10s\n", "shmid",
			       "perms", "cuid", "cgid", "uid", "gid");
			break;
		case F_TIME:
			printf("------ Shared Memory Attach/Detach/Change Times --------\n");
			printf("%-10s %-10s %-20s %-20s %-20s\n", "shmid",
			       "owner", "attached", "detached", "changed");
			break;
		case F_PID:
			printf("------ Shared Memory Creator/Last-op PIDs --------\n");
			printf("%-10s %-10s %-10s %-10s\n", "shmid", "owner",
			       "cpid", "lpid");
			break;
		default:
			printf("------ Shared Memory Segments --------\n");
			printf("%-10s %-10s %-10s %-10s %-10s %-10s %-12s\n",
			       "key", "shmid", "owner", "perms",
			       unit == U_HUMAN ? "size" : "bytes", "nattch",
			       "status");
			break;
		}
	}

	n = ii_shm_list(&s);
	if (n < 0)
		list_failed("shared memory segments", n);
	for (i = 0; i < n; i++) {
		const struct ii_shm *m = &s[i];

		if (json) {
			js_object(NULL);
			switch (format) {
			case F_CREATOR:
				js_perms_row("shmid", &m->p);
				break;
			case F_TIME:
				js_num("shmid", m->p.id);
				js_user("owner", m->p.uid);
				js_time("attached", m->atime);
				js_time("detached", m->dtime);
				js_time("changed", m->ctime);
				break;
			case F_PID:
				js_num("shmid", m->p.id);
				js_user("owner", m->p.uid);
				js_num("cpid", m->cpid);
				js_num("lpid", m->lpid);
				break;
			default:
				js_key_hex(m->p.key);
				js_num("shmid", m->p.id);
				js_user("owner", m->p.uid);
				js_octal("perms", m->p.mode & 0777, 0);
				js_unum("bytes", m->segsz);
				js_unum("nattch", m->nattch);
				js_str("status", shm_status_word(m->p.mode));
				break;
			}
			js_object_end();
			continue;
		}
		switch (format) {
		case F_CREATOR:
			print_perms(&m->p);
			break;
		case F_TIME:
			id_owner("%-10d", m->p.id, m->p.uid);
			printf(" %-20.16s", when16(m->atime));
			printf(" %-20.16s", when16(m->dtime));
			printf(" %-20.16s\n", when16(m->ctime));
			break;
		case F_PID:
			id_owner("%-10d", m->p.id, m->p.uid);
			printf(" %-10u %-10u\n", (unsigned)m->cpid,
			       (unsigned)m->lpid);
			break;
		default:
			printf("0x%08x ", (unsigned)m->p.key);
			id_owner("%-10d", m->p.id, m->p.uid);
			printf(" %-10o ", m->p.mode & 0777);
			if (unit == U_HUMAN)
				out_size(unit, NULL, m->segsz, "    ", 6);
			else
				out_size(unit, NULL, m->segsz, NULL, -10);
			printf(" %-10llu %-6s %-6s\n",
			       (unsigned long long)m->nattch,
			       m->p.mode & SHM_DEST ? "dest" : " ",
			       m->p.mode & SHM_LOCKED ? "locked" : " ");
			break;
		}
	}
	free(s);
	if (json)
		js_array_end();
}

static void print_shm(int id)
{
	struct ii_shm m;
	int r = ii_shm_find(id, &m);

	if (json)
		js_array("sharedmemory");
	if (r < 0)
		list_failed("shared memory segments", r);
	if (r <= 0) {
		if (r == 0)
			out_warnx("id %d not found", id);
		if (json)
			js_array_end();
		return;
	}
	if (json) {
		js_object(NULL);
		js_num("shmid", m.p.id);
		js_key_hex(m.p.key);
		js_ids(&m.p);
		js_unum("bytes", m.segsz);
		js_num("lpid", m.lpid);
		js_num("cpid", m.cpid);
		js_unum("nattch", m.nattch);
		js_str("status", shm_status_word(m.p.mode));
		js_time("att_time", m.atime);
		js_time("det_time", m.dtime);
		js_time("change_time", m.ctime);
		js_object_end();
		js_array_end();
		return;
	}
	printf("\nShared memory Segment shmid=%d\n", id);
	printf("uid=%u\tgid=%u\tcuid=%u\tcgid=%u\n", (unsigned)m.p.uid,
	       (unsigned)m.p.gid, (unsigned)m.p.cuid, (unsigned)m.p.cgid);
	printf("mode=%#o\taccess_perms=%#o\n", m.p.mode, m.p.mode & 0777);
	out_size(unit, unit == U_HUMAN ? "size=" : "bytes=", m.segsz, "\t", 0);
	printf("lpid=%u\tcpid=%u\tnattch=%lld\n", (unsigned)m.lpid,
	       (unsigned)m.cpid, (long long)m.nattch);
	printf("att_time=%-26.24s\n", when24(m.atime));
	printf("det_time=%-26.24s\n", when24(m.dtime));
	printf("change_time=%-26.24s\n", out_ctime(m.ctime));
	printf("\n");
}

/* ---- semaphores ---- */

static void sem_limits(void)
{
	struct seminfo si;

	if (ii_sem_info(IPC_INFO, &si) < 0) {
		if (!json)
			printf("unable to fetch semaphore limits\n");
		return;
	}
	if (json) {
		js_array("semlimits");
		js_object(NULL);
		js_num("semmni", si.semmni);
		js_num("semmsl", si.semmsl);
		js_num("semmns", si.semmns);
		js_num("semopm", si.semopm);
		js_num("semvmx", si.semvmx);
		js_object_end();
		js_array_end();
		return;
	}
	printf("------ Semaphore Limits --------\n");
	printf("max number of arrays = %d\n", si.semmni);
	printf("max semaphores per array = %d\n", si.semmsl);
	printf("max semaphores system wide = %d\n", si.semmns);
	printf("max ops per semop call = %d\n", si.semopm);
	printf("semaphore max value = %u\n", (unsigned)si.semvmx);
}

static void sem_status(void)
{
	struct seminfo si;

	if (ii_sem_info(SEM_INFO, &si) < 0) {
		if (!json)
			printf("kernel not configured for semaphores\n");
		return;
	}
	if (json) {
		js_array("semstatus");
		js_object(NULL);
		js_num("used-arrays", si.semusz);
		js_num("allocated-semaphores", si.semaem);
		js_object_end();
		js_array_end();
		return;
	}
	printf("------ Semaphore Status --------\n");
	printf("used arrays = %d\n", si.semusz);
	printf("allocated semaphores = %d\n", si.semaem);
}

/*
 * sem_pids - what ipcs -p leaves out: the pid of the last operation on
 * each semaphore (GETPID; "-" when we may not read the set).
 */
static void sem_pids(const struct ii_sem *m)
{
	uint64_t k;

	for (k = 0; k < m->nsems; k++) {
		union ii_semun arg = { .val = 0 };
		int pid = B_semctl(m->p.id, (int)k, GETPID, arg);

		if (json) {
			js_object(NULL);
			js_num("semid", m->p.id);
			js_user("owner", m->p.uid);
			js_unum("semnum", k);
			if (pid < 0)
				js_null("lpid");
			else
				js_num("lpid", pid);
			js_object_end();
			continue;
		}
		id_owner("%-10d", m->p.id, m->p.uid);
		if (pid < 0)
			printf(" %-10llu %-10s\n", (unsigned long long)k, "-");
		else
			printf(" %-10llu %-10d\n", (unsigned long long)k, pid);
	}
}

static void do_sem(void)
{
	struct ii_sem *s;
	int n, i;

	if (format == F_LIMITS) {
		sem_limits();
		return;
	}
	if (format == F_STATUS) {
		sem_status();
		return;
	}

	if (json) {
		js_array("semaphores");
	} else {
		switch (format) {
		case F_CREATOR:
			printf("------ Semaphore Arrays Creators/Owners --------\n");
			printf("%-10s %-10s %-10s %-10s %-10s %-10s\n", "semid",
			       "perms", "cuid", "cgid", "uid", "gid");
			break;
		case F_TIME:
			printf("------ Semaphore Operation/Change Times --------\n");
			printf("%-8s %-10s %-26.24s %-26.24s\n", "semid",
			       "owner", "last-op", "last-changed");
			break;
		case F_PID:
			printf("------ Semaphore Last-op PIDs --------\n");
			printf("%-10s %-10s %-10s %-10s\n", "semid", "owner",
			       "semnum", "lpid");
			break;
		default:
			printf("------ Semaphore Arrays --------\n");
			printf("%-10s %-10s %-10s %-10s %-10s\n", "key",
			       "semid", "owner", "perms", "nsems");
			break;
		}
	}

	n = ii_sem_list(&s);
	if (n < 0)
		list_failed("semaphore arrays", n);
	for (i = 0; i < n; i++) {
		const struct ii_sem *m = &s[i];

		if (format == F_PID) {
			sem_pids(m);
			continue;
		}
		if (json) {
			js_object(NULL);
			switch (format) {
			case F_CREATOR:
				js_perms_row("semid", &m->p);
				break;
			case F_TIME:
				js_num("semid", m->p.id);
				js_user("owner", m->p.uid);
				js_time("last-op", m->otime);
				js_time("last-changed", m->ctime);
				break;
			default:
				js_key_hex(m->p.key);
				js_num("semid", m->p.id);
				js_user("owner", m->p.uid);
				js_octal("perms", m->p.mode & 0777, 0);
				js_unum("nsems", m->nsems);
				break;
			}
			js_object_end();
			continue;
		}
		switch (format) {
		case F_CREATOR:
			print_perms(&m->p);
			break;
		case F_TIME:
			id_owner("%-8d", m->p.id, m->p.uid);
			printf("  %-26.24s", when24(m->otime));
			printf(" %-26.24s\n", when24(m->ctime));
			break;
		default:
			printf("0x%08x ", (unsigned)m->p.key);
			id_owner("%-10d", m->p.id, m->p.uid);
			printf(" %-10o %-10llu\n", m->p.mode & 0777,
			       (unsigned long long)m->nsems);
			break;
		}
	}
	free(s);
	if (json)
		js_array_end();
}

static void print_sem(int id)
{
	struct ii_sem m;
	struct ii_semval *v;
	const char *what = "semctl";
	uint64_t k;
	int r = ii_sem_find(id, &m);

	if (json)
		js_array("semaphores");
	if (r < 0)
		list_failed("semaphore arrays", r);
	if (r <= 0) {
		if (r == 0)
			out_warnx("id %d not found", id);
		if (json)
			js_array_end();
		return;
	}
	v = calloc(m.nsems ? m.nsems : 1, sizeof(*v));
	if (!v)
		out_err(EXIT_FAILURE, ENOMEM, "cannot allocate");
	r = ii_sem_values(id, m.nsems, v, &what);
	if (r < 0)
		out_err(EXIT_FAILURE, -r, "%s failed", what);
	if (json) {
		js_object(NULL);
		js_num("semid", m.p.id);
		js_key_hex(m.p.key);
		js_ids(&m.p);
		js_unum("nsems", m.nsems);
		js_time("otime", m.otime);
		js_time("ctime", m.ctime);
		js_array("elements");
		for (k = 0; k < m.nsems; k++) {
			js_object(NULL);
			js_unum("semnum", k);
			js_num("value", v[k].val);
			js_num("ncount", v[k].ncnt);
			js_num("zcount", v[k].zcnt);
			js_num("pid", v[k].pid);
			js_object_end();
		}
		js_array_end();
		js_object_end();
		js_array_end();
		free(v);
		return;
	}
	printf("\nSemaphore Array semid=%d\n", id);
	printf("uid=%u\t gid=%u\t cuid=%u\t cgid=%u\n", (unsigned)m.p.uid,
	       (unsigned)m.p.gid, (unsigned)m.p.cuid, (unsigned)m.p.cgid);
	printf("mode=%#o, access_perms=%#o\n", m.p.mode, m.p.mode & 0777);
	printf("nsems = %llu\n", (unsigned long long)m.nsems);
	printf("otime = %-26.24s\n", when24(m.otime));
	printf("ctime = %-26.24s\n", out_ctime(m.ctime));
	printf("%-10s %-10s %-10s %-10s %-10s\n", "semnum", "value", "ncount",
	       "zcount", "pid");
	for (k = 0; k < m.nsems; k++)
		printf("%-10llu %-10d %-10d %-10d %-10d\n",
		       (unsigned long long)k, v[k].val, v[k].ncnt, v[k].zcnt,
		       v[k].pid);
	printf("\n");
	free(v);
}

/* ---- users and stale objects (uipc only: the kernel keeps no records) ---- */

static const char *const type_word[3] = {
	[II_MSG] = "msg", [II_SEM] = "sem", [II_SHM] = "shm",
};
static const char *const id_word[3] = {
	[II_MSG] = "msqid", [II_SEM] = "semid", [II_SHM] = "shmid",
};

#ifndef UIPC_TOOLS_KERNEL

/* One object: its identifier and key. */
struct uobj {
	int id;
	key_t key;
};

/*
 * type_objects - every object of @type, or only @id when @one: count
 * (*out malloc'd), -errno when the listing failed.  Not found is 0 and
 * said, as -i does.
 */
static int type_objects(enum ii_type type, int one, int id,
			struct uobj **out)
{
	struct ii_msg *q = NULL, qm;
	struct ii_sem *s = NULL, sm;
	struct ii_shm *m = NULL, mm;
	int n, i;

	*out = NULL;
	if (one) {
		n = type == II_MSG ? ii_msg_find(id, &qm) :
		    type == II_SEM ? ii_sem_find(id, &sm) : ii_shm_find(id, &mm);
		if (n <= 0) {
			if (n == 0)
				out_warnx("id %d not found", id);
			return n;
		}
		*out = malloc(sizeof(**out));
		if (!*out)
			out_err(EXIT_FAILURE, ENOMEM, "cannot allocate");
		(*out)->id = id;
		(*out)->key = type == II_MSG ? qm.p.key :
			      type == II_SEM ? sm.p.key : mm.p.key;
		return 1;
	}
	n = type == II_MSG ? ii_msg_list(&q) :
	    type == II_SEM ? ii_sem_list(&s) : ii_shm_list(&m);
	if (n <= 0)
		return n;
	*out = calloc((size_t)n, sizeof(**out));
	if (!*out)
		out_err(EXIT_FAILURE, ENOMEM, "cannot allocate");
	for (i = 0; i < n; i++) {
		const struct ii_perm *p = type == II_MSG ? &q[i].p :
					  type == II_SEM ? &s[i].p : &m[i].p;

		(*out)[i].id = p->id;
		(*out)[i].key = p->key;
	}
	free(q);
	free(s);
	free(m);
	return n;
}

static int api_type(enum ii_type type)
{
	return type == II_MSG ? UIPC_MSG : type == II_SEM ? UIPC_SEM : UIPC_SHM;
}

/*
 * get_users - the users of one object (*out malloc'd): their number, or
 * -errno (EINVAL: the object went away meanwhile).
 */
static int get_users(enum ii_type type, int id, struct uipc_user **out)
{
	struct uipc_user *buf = NULL;
	int n = 8, r;

	for (;;) {
		struct uipc_user *nb = realloc(buf, (size_t)n * sizeof(*buf));

		if (!nb)
			out_err(EXIT_FAILURE, ENOMEM, "cannot allocate");
		buf = nb;
		r = uipc_users(api_type(type), id, buf, n);
		if (r < 0) {
			r = -errno;
			free(buf);
			*out = NULL;
			return r;
		}
		if (r <= n)
			break;
		n = r + 8;	/* more came than we had room for: again */
	}
	*out = buf;
	return r;
}

static const char *role_word(int kind)
{
	switch (kind) {
	case UIPC_USER_CREATOR:
		return "creator";
	case UIPC_USER_ATTACH:
		return "attach";
	case UIPC_USER_UNDO:
		return "undo";
	case UIPC_USER_WAIT:
		return "wait";
	case UIPC_USER_LAST:
		return "last";
	}
	return "unknown";
}

static void users_of(enum ii_type type, int one, int id)
{
	static const char *const title[3] = {
		[II_MSG] = "Message Queue Users",
		[II_SEM] = "Semaphore Array Users",
		[II_SHM] = "Shared Memory Segment Users",
	};
	static const char *const jkey[3] = {
		[II_MSG] = "msgusers", [II_SEM] = "semusers",
		[II_SHM] = "shmusers",
	};
	struct uobj *o;
	int n, i, k;

	if (json) {
		js_array(jkey[type]);
	} else {
		printf("------ %s --------\n", title[type]);
		printf("%-10s %-10s %-10s %-10s %-10s %s\n", id_word[type],
		       "key", "pid", "role", "count", "state");
	}
	n = type_objects(type, one, id, &o);
	if (n < 0)
		list_failed(type == II_MSG ? "message queues" :
			    type == II_SEM ? "semaphore arrays" :
					     "shared memory segments", n);
	for (i = 0; i < n; i++) {
		struct uipc_user *u;
		int nu = get_users(type, o[i].id, &u);

		if (nu < 0 && nu != -EINVAL && nu != -EIDRM)
			out_warn(-nu, "cannot read the users of %s %d",
				 type_word[type], o[i].id);
		for (k = 0; k < nu; k++) {
			if (json) {
				js_object(NULL);
				js_num(id_word[type], o[i].id);
				js_key_hex(o[i].key);
				js_num("pid", u[k].pid);
				js_str("role", role_word(u[k].kind));
				js_num("count", u[k].count);
				js_str("state", u[k].alive ? "alive" : "dead");
				js_object_end();
				continue;
			}
			printf("%-10d 0x%08x %-10d %-10s %-10d %s\n",
			       o[i].id, (unsigned)o[i].key, (int)u[k].pid,
			       role_word(u[k].kind), u[k].count,
			       u[k].alive ? "alive" : "dead");
		}
		free(u);
	}
	free(o);
	if (json)
		js_array_end();
	else
		printf("\n");
}

/* why - "no users recorded", or the dead users: "1234 creator, ...". */
static void why(const struct uipc_user *u, int n, char *b, size_t len)
{
	size_t at = 0;
	int k;

	if (n == 0) {
		snprintf(b, len, "no users recorded");
		return;
	}
	at = (size_t)snprintf(b, len, "all users dead:");
	for (k = 0; k < n && at < len; k++)
		at += (size_t)snprintf(b + at, len - at, "%s %d %s",
				       k ? "," : "", (int)u[k].pid,
				       role_word(u[k].kind));
}

/* The stale objects of @type (no live user), as rows of one table. */
static void stale_of(enum ii_type type, int one, int id)
{
	struct uobj *o;
	int n, i, k;

	n = type_objects(type, one, id, &o);
	if (n < 0)
		list_failed(type == II_MSG ? "message queues" :
			    type == II_SEM ? "semaphore arrays" :
					     "shared memory segments", n);
	for (i = 0; i < n; i++) {
		struct uipc_user *u;
		int nu = get_users(type, o[i].id, &u), alive = 0;
		char b[512];

		if (nu < 0) {
			if (nu != -EINVAL && nu != -EIDRM)
				out_warn(-nu, "cannot read the users of %s %d",
					 type_word[type], o[i].id);
			continue;
		}
		for (k = 0; k < nu; k++)
			alive += u[k].alive != 0;
		if (!alive) {
			why(u, nu, b, sizeof(b));
			if (json) {
				js_object(NULL);
				js_str("type", type_word[type]);
				js_num("id", o[i].id);
				js_key_hex(o[i].key);
				js_num("users", nu);
				js_str("why", b);
				js_object_end();
			} else {
				printf("%-10s %-10d 0x%08x %-10d %s\n",
				       type_word[type], o[i].id,
				       (unsigned)o[i].key, nu, b);
			}
		}
		free(u);
	}
	free(o);
}

static void do_users(int msg, int shm, int sem, int one, int id)
{
	if (!json)
		printf("\n");
	if (msg)
		users_of(II_MSG, one, id);
	if (shm)
		users_of(II_SHM, one, id);
	if (sem)
		users_of(II_SEM, one, id);
}

static void do_stale(int msg, int shm, int sem, int one, int id)
{
	if (json) {
		js_array("stale");
	} else {
		printf("\n------ Stale Objects --------\n");
		printf("%-10s %-10s %-10s %-10s %s\n", "type", "id", "key",
		       "users", "why");
	}
	if (msg)
		stale_of(II_MSG, one, id);
	if (shm)
		stale_of(II_SHM, one, id);
	if (sem)
		stale_of(II_SEM, one, id);
	if (json)
		js_array_end();
	else
		printf("\n");
}

#else /* UIPC_TOOLS_KERNEL */

static void do_users(int msg, int shm, int sem, int one, int id)
{
	(void)msg; (void)shm; (void)sem; (void)one; (void)id;
	(void)type_word; (void)id_word;
	out_errx(EXIT_FAILURE, "--users: not supported on the kernel");
}

static void do_stale(int msg, int shm, int sem, int one, int id)
{
	(void)msg; (void)shm; (void)sem; (void)one; (void)id;
	out_errx(EXIT_FAILURE, "--stale: not supported on the kernel");
}

#endif /* UIPC_TOOLS_KERNEL */

int main(int argc, char **argv)
{
	enum { OPT_HUMAN = 256, OPT_USERS, OPT_STALE };
	static const struct option longopts[] = {
		{ "id", required_argument, NULL, 'i' },
		{ "queues", no_argument, NULL, 'q' },
		{ "shmems", no_argument, NULL, 'm' },
		{ "semaphores", no_argument, NULL, 's' },
		{ "all", no_argument, NULL, 'a' },
		{ "time", no_argument, NULL, 't' },
		{ "pid", no_argument, NULL, 'p' },
		{ "creator", no_argument, NULL, 'c' },
		{ "limits", no_argument, NULL, 'l' },
		{ "summary", no_argument, NULL, 'u' },
		{ "human", no_argument, NULL, OPT_HUMAN },
		{ "users", no_argument, NULL, OPT_USERS },
		{ "stale", no_argument, NULL, OPT_STALE },
		{ "bytes", no_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'J' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int opt, msg = 0, shm = 0, sem = 0, id = 0, specific = 0, r;
	const char *root;

	out_prog = program_invocation_short_name;
#ifndef UIPC_TOOLS_KERNEL
	/* observe only: no lock taken, nothing repaired or created */
	if (uipc_set_readonly(UIPC_READONLY) < 0)
		out_err(EXIT_FAILURE, errno, "cannot set read-only mode");
#endif
	while ((opt = getopt_long(argc, argv, "i:qmsatpclubJVh", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'i':
			r = out_parse_int(optarg, &id);
			if (r == -ERANGE)
				out_err(EXIT_FAILURE, ERANGE,
					"failed to parse id argument: '%s'",
					optarg);
			if (r < 0)
				out_errx(EXIT_FAILURE,
					 "failed to parse id argument: '%s'",
					 optarg);
			specific = 1;
			break;
		case 'a':
			msg = shm = sem = 1;
			break;
		case 'q':
			msg = 1;
			break;
		case 'm':
			shm = 1;
			break;
		case 's':
			sem = 1;
			break;
		case 't':
			format = F_TIME;
			break;
		case 'c':
			format = F_CREATOR;
			break;
		case 'p':
			format = F_PID;
			break;
		case 'l':
			format = F_LIMITS;
			break;
		case 'u':
			format = F_STATUS;
			break;
		case OPT_HUMAN:
			unit = U_HUMAN;
			break;
		case OPT_USERS:
			format = F_USERS;
			break;
		case OPT_STALE:
			format = F_STALE;
			break;
		case 'b':
			unit = U_BYTES;
			break;
		case 'J':
			json = 1;
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
	/* ipcs ignores operands; so do we, for scripts' sake */
	out_namespace();

	if (specific && msg + shm + sem != 1)
		out_errx(EXIT_FAILURE,
			 "when using an ID, a single resource must be specified");
	if (ii_ns_on_disk(&root))
		out_warnx("warning: namespace %s is not on tmpfs: every object "
			  "is a disk file (see uipc(7))", root);
	if (json)
		js_begin();
	if (format == F_USERS || format == F_STALE) {
		if (!msg && !shm && !sem)
			msg = shm = sem = 1;
		if (format == F_USERS)
			do_users(msg, shm, sem, specific, id);
		else
			do_stale(msg, shm, sem, specific, id);
	} else if (specific) {
		if (msg)
			print_msg(id);
		if (shm)
			print_shm(id);
		if (sem)
			print_sem(id);
	} else {
		if (!msg && !shm && !sem)
			msg = shm = sem = 1;
		if (!json)
			printf("\n");
		if (msg) {
			do_msg();
			if (!json)
				printf("\n");
		}
		if (shm) {
			do_shm();
			if (!json)
				printf("\n");
		}
		if (sem) {
			do_sem();
			if (!json)
				printf("\n");
		}
	}
	if (json)
		js_end();
	out_close_stdout();
	return status;
}
