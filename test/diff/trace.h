// SPDX-License-Identifier: MIT
/*
 * trace.h - the normalised trace that both backends print, and the process
 * helpers the scenarios use.
 *
 * Every call a scenario makes is printed as one line, "call = result", with
 * the result normalised so that the kernel's and uipc's traces are equal
 * exactly when their observable behaviour is: ids become ID0, ID1, ... in
 * order of first appearance (per type), keys become KEY1..KEY3 or
 * IPC_PRIVATE, pids become PID_SELF (the scenario's main process) or
 * PID_CHILDn (the n-th process forked), times become 0, "recent" (since
 * the scenario started) or "old", errno values their names.  Uids, gids, modes and
 * sizes stay numbers.
 *
 * Children are forked with CHILD(pid) { ... }: their trace goes to a pipe
 * and is printed, indented, when the parent reaps them with tr_wait(), so
 * the order of lines never depends on scheduling.
 */
#ifndef DIFF_TRACE_H
#define DIFF_TRACE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <unistd.h>

#include "api.h"

#define KEY1	((key_t)0x5eed0001)
#define KEY2	((key_t)0x5eed0002)
#define KEY3	((key_t)0x5eed0003)
#define KEY4	((key_t)0x5eed0004)

#define NOBODY	65534		/* the unprivileged user and group */
#define NOGROUP2 65533		/* a second group, for supplementary groups */

enum kind { K_MSG, K_SEM, K_SHM, K_INT = -1, K_PID = -2 };

/* Scenario registry. */
#define SC_ROOT	1u	/* needs real root and setuid(): run under unshare -i */
#define SC_HUGE	2u	/* root, and huge pages set up by test/shm-huge.sh */

struct scenario {
	const char *name;
	void (*fn)(void);
	unsigned flags;
	struct scenario *next;
};
void scen_register(struct scenario *s);

#define SCENARIO(nm, fl)						\
	static void scen_##nm(void);					\
	static struct scenario sc_##nm = { #nm, scen_##nm, fl, NULL };	\
	__attribute__((constructor)) static void reg_##nm(void)	\
	{ scen_register(&sc_##nm); }					\
	static void scen_##nm(void)

/* Output. */
void tr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *tr_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *tr_errname(int e);
const char *tr_id(enum kind k, long id);
extern const char *tr_idalias;	/* when set, how helpers show any id */
const char *tr_key(key_t key);
const char *tr_pid(pid_t pid);
const char *tr_time(time_t t);
const char *tr_flags(int flg);
const char *tr_kname(enum kind k);
long tr_ret(enum kind k, const char *label, long r, int e);
void *tr_ret_ptr(const char *label, void *p, int e);

/* The call's own text (without the X_ prefix) is its label. */
#define R_(k, lab, expr) ({						\
	errno = 0;							\
	long r_ = (long)(expr);						\
	int e_ = errno;							\
	tr_ret((k), (lab), r_, e_);					\
})
#define R(expr)		R_(K_INT, #expr, expr)
#define RID(k, expr)	R_(k, #expr, expr)
#define RPID(expr)	R_(K_PID, #expr, expr)
#define RL(lab, expr)	R_(K_INT, lab, expr)
#define RLID(k, lab, expr) R_(k, lab, expr)
#define RPTR(expr) ({							\
	errno = 0;							\
	void *p_ = (void *)(expr);					\
	int e_ = errno;							\
	tr_ret_ptr(#expr, p_, e_);					\
})

/* IPC_STAT of one object, printing the result and the chosen fields. */
int st_msg(int id);
int st_sem(int id);
int st_shm(int id);

/* Generic helpers over the three types (nsems 1, shm size 4096). */
int obj_get(enum kind k, key_t key, int flg);
int obj_get_sz(enum kind k, key_t key, long sz, int flg);
int obj_stat(enum kind k, int id);
int obj_set(enum kind k, int id, long uid, long gid, long mode);
int obj_rmid(enum kind k, int id);
int obj_read(enum kind k, int id);	/* an operation that needs read */
int obj_write(enum kind k, int id);	/* an operation that needs write */
/* Commands whose number differs by type: MSG_INFO/SEM_INFO/SHM_INFO... */
#define G_INFO		-100
#define G_STAT		-99
#define G_STAT_ANY	-98
int obj_info(enum kind k, int cmd);	/* IPC_INFO or G_INFO */
int obj_statidx(enum kind k, int idx, int cmd);	/* G_STAT, G_STAT_ANY */

/* Message, semaphore and shm helpers. */
int msnd(int q, long type, const char *text, int flg);
int msnd_len(int q, long type, size_t len, int flg);
long mrcv(int q, size_t size, long type, int flg);
int semops(int s, const char *spec);
int semops_t(int s, const char *spec, long timeout_ms);
int semgetall(int s, int n);
int semsetall(int s, int n, const unsigned short *v);
int semval(int s, int num);	/* GETVAL, printed */

/* Processes. */
pid_t tr_fork(void);
#define CHILD(pid) for ((pid) = tr_fork(); (pid) == 0; tr_child_exit())
__attribute__((noreturn)) void tr_child_exit(void);
int tr_wait(pid_t pid);		/* reap, relay its trace, print status */
void tr_ready(void);		/* child: tell the parent we are ready */
int tr_await(pid_t pid);	/* parent: wait for tr_ready (1), exec/exit (0) */
void tr_go(pid_t pid);		/* parent: release a child in tr_wait_go */
void tr_wait_go(void);		/* child: wait for tr_go */
bool tr_blocked(pid_t pid);	/* parent: wait until child sleeps in IPC */
void tr_block_report(pid_t pid);	/* tr_blocked, printed */
bool tr_poll(bool (*cond)(void *), void *arg);	/* until true or 10 s */
int tr_become(unsigned uid, unsigned gid, int ngroups, const gid_t *groups);
void tr_kill(pid_t pid, int sig);

#endif /* DIFF_TRACE_H */
