// SPDX-License-Identifier: MIT
/*
 * s_msg.c - msgsnd/msgrcv/msgctl scenarios: FIFO order, typed receive
 * (> 0, < 0, MSG_EXCEPT), MSG_NOERROR versus E2BIG, ENOMSG, MSG_COPY, the
 * msqid_ds counters and pids, a full queue (bytes and count), EINVAL and
 * EFAULT, msg_qbytes above msgmnb, and blocked senders and receivers woken
 * by a partner, by removal (EIDRM) and by signals (EINTR).
 */
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "trace.h"

static int set_qbytes(int q, unsigned long n)
{
	struct msqid_ds d;

	memset(&d, 0, sizeof(d));
	X_msgctl(q, IPC_STAT, &d);
	d.msg_qbytes = n;
	return RL(tr_fmt("msgctl(%s, IPC_SET qbytes=%lu)", tr_id(K_MSG, q), n),
		  X_msgctl(q, IPC_SET, &d));
}

static void on_signal(int sig)
{
	(void)sig;
}

static bool exited(pid_t p)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	return !waitid(P_PID, p, &si, WEXITED | WNOHANG | WNOWAIT) && si.si_pid;
}

static bool any_exited(void *arg)
{
	pid_t *p = arg;

	return exited(p[0]) || exited(p[1]);
}

/* Type 0 receives in send order. */
SCENARIO(msg_fifo, 0)
{
	int q = obj_get(K_MSG, KEY1, IPC_CREAT | 0600);

	msnd(q, 1, "a", 0);
	msnd(q, 2, "b", 0);
	msnd(q, 1, "c", IPC_NOWAIT);
	msnd(q, 3, "d", 0);
	st_msg(q);
	for (int i = 0; i < 4; i++)
		mrcv(q, 64, 0, 0);
	mrcv(q, 64, 0, IPC_NOWAIT);
	st_msg(q);
}

/* msgtyp > 0: first of that type; < 0: first of the lowest type <= |t|. */
SCENARIO(msg_typed, 0)
{
	int q = obj_get(K_MSG, KEY1, IPC_CREAT | 0600);

	msnd(q, 3, "a", 0);
	msnd(q, 1, "b", 0);
	msnd(q, 2, "c", 0);
	msnd(q, 1, "d", 0);
	msnd(q, 5, "e", 0);
	msnd(q, 2, "f", 0);
	mrcv(q, 64, 1, IPC_NOWAIT);
	mrcv(q, 64, 2, IPC_NOWAIT);
	mrcv(q, 64, 4, IPC_NOWAIT);
	mrcv(q, 64, -2, IPC_NOWAIT);
	mrcv(q, 64, -1, IPC_NOWAIT);
	mrcv(q, 64, -10, IPC_NOWAIT);
	mrcv(q, 64, -4, IPC_NOWAIT);
	mrcv(q, 64, -4, IPC_NOWAIT);
	mrcv(q, 64, -0x7fffffffffffffffL, IPC_NOWAIT);
	mrcv(q, 64, 0, IPC_NOWAIT);
	st_msg(q);
}

/* MSG_EXCEPT: first message whose type differs (only for msgtyp > 0). */
SCENARIO(msg_except, 0)
{
	int q = obj_get(K_MSG, KEY1, IPC_CREAT | 0600);

	msnd(q, 1, "a", 0);
	msnd(q, 2, "b", 0);
	msnd(q, 1, "c", 0);
	msnd(q, 3, "d", 0);
	msnd(q, 1, "e", 0);
	mrcv(q, 64, 1, MSG_EXCEPT | IPC_NOWAIT);
	mrcv(q, 64, 1, MSG_EXCEPT | IPC_NOWAIT);
	mrcv(q, 64, 1, MSG_EXCEPT | IPC_NOWAIT);
	mrcv(q, 64, 0, MSG_EXCEPT | IPC_NOWAIT);
	mrcv(q, 64, -5, MSG_EXCEPT | IPC_NOWAIT);
	mrcv(q, 64, 2, MSG_EXCEPT | IPC_NOWAIT);
	mrcv(q, 64, 1, MSG_EXCEPT | IPC_NOWAIT);
	st_msg(q);
}

/* A message longer than the buffer: E2BIG (kept) or truncated (removed). */
SCENARIO(msg_noerror, 0)
{
	int q = obj_get(K_MSG, KEY1, IPC_CREAT | 0600);

	msnd(q, 1, "0123456789", 0);
	msnd(q, 2, "abcdef", 0);
	mrcv(q, 4, 0, 0);
	mrcv(q, 4, 0, IPC_NOWAIT);
	mrcv(q, 9, 1, IPC_NOWAIT);
	mrcv(q, 4, 2, IPC_NOWAIT);
	st_msg(q);
	mrcv(q, 4, 0, MSG_NOERROR);
	st_msg(q);
	mrcv(q, 0, 0, MSG_NOERROR | IPC_NOWAIT);
	mrcv(q, 64, 0, IPC_NOWAIT);
	st_msg(q);
}

/* Empty queue or no matching type: ENOMSG with IPC_NOWAIT. */
SCENARIO(msg_enomsg, 0)
{
	int q = obj_get(K_MSG, KEY1, IPC_CREAT | 0600);

	mrcv(q, 64, 0, IPC_NOWAIT);
	mrcv(q, 64, 5, IPC_NOWAIT);
	mrcv(q, 64, -5, IPC_NOWAIT);
	msnd(q, 7, "x", 0);
	mrcv(q, 64, 5, IPC_NOWAIT);
	mrcv(q, 64, -6, IPC_NOWAIT);
	mrcv(q, 64, 7, MSG_EXCEPT | IPC_NOWAIT);
	mrcv(q, 0, 7, IPC_NOWAIT);
	mrcv(q, 64, 7, IPC_NOWAIT);
	st_msg(q);
}

/* MSG_COPY: the msgtyp-th message, copied, left in place. */
SCENARIO(msg_copy, 0)
{
	int q = obj_get(K_MSG, KEY1, IPC_CREAT | 0600);

	msnd(q, 5, "first", 0);
	msnd(q, 6, "second", 0);
	msnd(q, 7, "third", 0);
	mrcv(q, 64, 0, MSG_COPY | IPC_NOWAIT);
	mrcv(q, 64, 1, MSG_COPY | IPC_NOWAIT);
	mrcv(q, 64, 2, MSG_COPY | IPC_NOWAIT);
	mrcv(q, 64, 3, MSG_COPY | IPC_NOWAIT);
	mrcv(q, 64, -1, MSG_COPY | IPC_NOWAIT);
	mrcv(q, 64, 0, MSG_COPY);
	mrcv(q, 64, 0, MSG_COPY | MSG_EXCEPT | IPC_NOWAIT);
	mrcv(q, 3, 1, MSG_COPY | IPC_NOWAIT);
	mrcv(q, 3, 1, MSG_COPY | MSG_NOERROR | IPC_NOWAIT);
	st_msg(q);
	mrcv(q, 64, 0, IPC_NOWAIT);
	mrcv(q, 64, 0, MSG_COPY | IPC_NOWAIT);
	st_msg(q);
}

/* The counters, pids and times in msqid_ds. */
SCENARIO(msg_stat_fields, 0)
{
	int q = obj_get(K_MSG, KEY1, IPC_CREAT | 0600);
	pid_t c;

	st_msg(q);
	CHILD(c) {
		msnd(q, 1, "hello", 0);
		msnd(q, 2, "", 0);
	}
	tr_wait(c);
	st_msg(q);
	mrcv(q, 64, 0, 0);
	st_msg(q);
	CHILD(c) mrcv(q, 64, 0, 0);
	tr_wait(c);
	st_msg(q);
	msnd(q, 3, "abc", 0);
	mrcv(q, 1, 0, IPC_NOWAIT);
	st_msg(q);
}

/* A queue is full by bytes (cbytes + size > qbytes) or by count. */
SCENARIO(msg_full, 0)
{
	int q = obj_get(K_MSG, KEY1, IPC_CREAT | 0600);

	set_qbytes(q, 100);
	msnd_len(q, 1, 60, IPC_NOWAIT);
	msnd_len(q, 1, 41, IPC_NOWAIT);
	msnd_len(q, 1, 40, IPC_NOWAIT);
	msnd_len(q, 1, 1, IPC_NOWAIT);
	msnd_len(q, 1, 0, IPC_NOWAIT);
	st_msg(q);
	mrcv(q, 100, 0, IPC_NOWAIT);
	msnd_len(q, 1, 200, IPC_NOWAIT);
	st_msg(q);
	obj_rmid(K_MSG, q);
	q = obj_get(K_MSG, KEY2, IPC_CREAT | 0600);
	set_qbytes(q, 3);
	msnd_len(q, 1, 0, IPC_NOWAIT);
	msnd_len(q, 1, 0, IPC_NOWAIT);
	msnd_len(q, 1, 0, IPC_NOWAIT);
	msnd_len(q, 1, 0, IPC_NOWAIT);
	st_msg(q);
	mrcv(q, 10, 0, IPC_NOWAIT);
	msnd_len(q, 1, 1, IPC_NOWAIT);
	msnd_len(q, 1, 0, IPC_NOWAIT);
	set_qbytes(q, 0);
	st_msg(q);
	msnd_len(q, 1, 0, IPC_NOWAIT);
}

/* Bad arguments: EINVAL and EFAULT. */
SCENARIO(msg_einval, 0)
{
	int q = obj_get(K_MSG, KEY1, IPC_CREAT | 0600);
	static struct { long mtype; char t[16]; } m = { 1, "x" };

	msnd(q, 0, "x", IPC_NOWAIT);
	msnd(q, -1, "x", IPC_NOWAIT);
	msnd_len(q, 1, 8193, IPC_NOWAIT);
	msnd_len(q, 1, 8192, IPC_NOWAIT);
	msnd_len(q, 0, 8193, IPC_NOWAIT);
	R(X_msgsnd(q, &m, (size_t)-1, IPC_NOWAIT));
	R(X_msgsnd(-1, &m, 1, IPC_NOWAIT));
	R(X_msgsnd(q + 32768, &m, 1, IPC_NOWAIT));
	R(X_msgsnd(q, NULL, 1, IPC_NOWAIT));
	R(X_msgsnd(-1, NULL, 1, IPC_NOWAIT));
	R(X_msgsnd(q, (void *)-1, 1, IPC_NOWAIT));
	R(X_msgctl(q, IPC_STAT, (void *)-1));
	R(X_msgctl(q, IPC_SET, (void *)-1));
	R(X_msgrcv(q, &m, (size_t)-1, 0, IPC_NOWAIT));
	R(X_msgrcv(-1, &m, 16, 0, IPC_NOWAIT));
	R(X_msgrcv(q + 32768, &m, 16, 0, IPC_NOWAIT));
	mrcv(q, 8192, 0, IPC_NOWAIT);
	st_msg(q);
}

/* Only a privileged caller may raise msg_qbytes above msgmnb. */
SCENARIO(msg_qbytes_root, 0)
{
	int q = obj_get(K_MSG, KEY1, IPC_CREAT | 0600);

	set_qbytes(q, 100000);
	st_msg(q);
	msnd_len(q, 1, 8192, IPC_NOWAIT);
	msnd_len(q, 1, 8192, IPC_NOWAIT);
	msnd_len(q, 1, 8192, IPC_NOWAIT);
	st_msg(q);
	set_qbytes(q, 10);
	st_msg(q);
	msnd_len(q, 1, 0, IPC_NOWAIT);
}

SCENARIO(msg_qbytes_user, SC_ROOT)
{
	int q = obj_get(K_MSG, KEY1, IPC_CREAT | 0600);
	pid_t c;

	obj_set(K_MSG, q, NOBODY, NOBODY, 0600);
	CHILD(c) {
		if (tr_become(NOBODY, NOBODY, 0, NULL))
			continue;
		set_qbytes(q, 16385);
		set_qbytes(q, 1000);
		set_qbytes(q, 16384);
		set_qbytes(q, 20000);
		st_msg(q);
	}
	tr_wait(c);
	set_qbytes(q, 20000);
	CHILD(c) {
		if (tr_become(NOBODY, NOBODY, 0, NULL))
			continue;
		obj_set(K_MSG, q, -2, -2, 0640);
		set_qbytes(q, 20000);
		set_qbytes(q, 20001);
		st_msg(q);
	}
	tr_wait(c);
}

/* A blocked receiver gets the message sent after it blocked. */
SCENARIO(msg_rcv_wake, 0)
{
	int q = obj_get(K_MSG, KEY1, IPC_CREAT | 0600);
	pid_t c;

	CHILD(c) mrcv(q, 64, 0, 0);
	tr_block_report(c);
	msnd(q, 4, "wake", 0);
	tr_wait(c);
	st_msg(q);
	CHILD(c) mrcv(q, 64, 2, 0);
	tr_block_report(c);
	msnd(q, 1, "one", 0);
	tr_block_report(c);
	msnd(q, 2, "two", 0);
	tr_wait(c);
	st_msg(q);
	mrcv(q, 64, 0, IPC_NOWAIT);
	CHILD(c) mrcv(q, 64, -3, 0);
	tr_block_report(c);
	msnd(q, 5, "five", 0);
	msnd(q, 3, "three", 0);
	tr_wait(c);
	CHILD(c) mrcv(q, 64, 5, MSG_EXCEPT);
	tr_block_report(c);
	msnd(q, 5, "five", 0);
	msnd(q, 6, "six", 0);
	tr_wait(c);
	mrcv(q, 64, 0, IPC_NOWAIT);
	mrcv(q, 64, 0, IPC_NOWAIT);
	mrcv(q, 64, 0, IPC_NOWAIT);
	st_msg(q);
}

/* A blocked receiver whose buffer is too small: E2BIG, message kept. */
SCENARIO(msg_rcv_e2big, 0)
{
	int q = obj_get(K_MSG, KEY1, IPC_CREAT | 0600);
	pid_t c;

	CHILD(c) mrcv(q, 2, 0, 0);
	tr_block_report(c);
	msnd(q, 1, "toolong", 0);
	tr_wait(c);
	st_msg(q);
	mrcv(q, 64, 0, IPC_NOWAIT);
	CHILD(c) mrcv(q, 2, 0, MSG_NOERROR);
	tr_block_report(c);
	msnd(q, 1, "toolong", 0);
	tr_wait(c);
	st_msg(q);
}

/* Blocked receivers are served in arrival order. */
SCENARIO(msg_rcv_fifo, 0)
{
	int q = obj_get(K_MSG, KEY1, IPC_CREAT | 0600);
	pid_t c[2];

	CHILD(c[0]) mrcv(q, 64, 0, 0);
	tr_block_report(c[0]);
	CHILD(c[1]) mrcv(q, 64, 0, 0);
	tr_block_report(c[1]);
	msnd(q, 1, "m1", 0);
	tr_poll(any_exited, c);
	tr("first receiver done: %s, second receiver done: %s",
	   exited(c[0]) ? "yes" : "no", exited(c[1]) ? "yes" : "no");
	msnd(q, 1, "m2", 0);
	tr_wait(c[0]);
	tr_wait(c[1]);
	st_msg(q);
}

/* Removal wakes blocked receivers and senders with EIDRM. */
SCENARIO(msg_eidrm, 0)
{
	int q = obj_get(K_MSG, KEY1, IPC_CREAT | 0600);
	pid_t r, s;

	CHILD(r) mrcv(q, 64, 9, 0);
	tr_block_report(r);
	set_qbytes(q, 10);
	msnd_len(q, 1, 10, 0);
	CHILD(s) msnd_len(q, 1, 5, 0);
	tr_block_report(s);
	obj_rmid(K_MSG, q);
	tr_wait(r);
	tr_wait(s);
	st_msg(q);
}

/* Signals interrupt blocked msgrcv and msgsnd with EINTR (SA_RESTART too). */
SCENARIO(msg_eintr, 0)
{
	int q = obj_get(K_MSG, KEY1, IPC_CREAT | 0600);
	pid_t c;

	CHILD(c) {
		signal(SIGUSR1, on_signal);
		mrcv(q, 64, 0, 0);
	}
	tr_block_report(c);
	tr_kill(c, SIGUSR1);
	tr_wait(c);
	set_qbytes(q, 4);
	msnd_len(q, 1, 4, 0);
	CHILD(c) {
		signal(SIGUSR1, on_signal);
		msnd_len(q, 2, 3, 0);
	}
	tr_block_report(c);
	tr_kill(c, SIGUSR1);
	tr_wait(c);
	st_msg(q);
}

/* A blocked sender proceeds when space is made or msg_qbytes raised. */
SCENARIO(msg_snd_wake, 0)
{
	int q = obj_get(K_MSG, KEY1, IPC_CREAT | 0600);
	pid_t c;

	set_qbytes(q, 10);
	msnd_len(q, 1, 8, 0);
	CHILD(c) msnd_len(q, 2, 5, 0);
	tr_block_report(c);
	mrcv(q, 64, 0, IPC_NOWAIT);
	tr_wait(c);
	st_msg(q);
	msnd_len(q, 3, 5, 0);
	CHILD(c) msnd_len(q, 4, 5, 0);
	tr_block_report(c);
	set_qbytes(q, 15);
	tr_wait(c);
	st_msg(q);
	for (int i = 0; i < 3; i++)
		mrcv(q, 64, 0, IPC_NOWAIT);
}

/* Zero-length and msgmax-length messages. */
SCENARIO(msg_sizes, 0)
{
	int q = obj_get(K_MSG, KEY1, IPC_CREAT | 0600);

	msnd_len(q, 4, 0, 0);
	msnd_len(q, 5, 8192, 0);
	msnd_len(q, 6, 1, 0);
	st_msg(q);
	mrcv(q, 0, 0, IPC_NOWAIT);
	mrcv(q, 8191, 0, IPC_NOWAIT);
	mrcv(q, 8192, 0, IPC_NOWAIT);
	mrcv(q, 100000, 0, IPC_NOWAIT);
	st_msg(q);
}

/*
 * One message at a time, as a ping-pong sends them (uipc passes a lone
 * small message through its lock-free box): the counters, pids and
 * times; MSG_COPY, E2BIG and MSG_NOERROR on a lone message; a second
 * message behind it, small and large; qbytes lowered under it; a lone
 * message sent to a blocked receiver; removal with one inside.
 */
SCENARIO(msg_lone, 0)
{
	int q = obj_get(K_MSG, KEY1, IPC_CREAT | 0600);
	pid_t c;

	for (int i = 0; i < 3; i++) {
		CHILD(c) msnd(q, 1 + i, "ping", 0);
		tr_wait(c);
		st_msg(q);
		mrcv(q, 100, 0, 0);
		st_msg(q);
	}
	msnd(q, 9, "0123456789abcdefghijklm", 0);	/* 23 bytes */
	mrcv(q, 100, 0, MSG_COPY | IPC_NOWAIT);
	mrcv(q, 100, 1, MSG_COPY | IPC_NOWAIT);
	mrcv(q, 100, 8, IPC_NOWAIT);
	mrcv(q, 100, 9, MSG_EXCEPT | IPC_NOWAIT);
	mrcv(q, 100, -8, IPC_NOWAIT);
	mrcv(q, 5, 9, IPC_NOWAIT);
	st_msg(q);
	mrcv(q, 5, -9, MSG_NOERROR | IPC_NOWAIT);
	st_msg(q);
	msnd(q, 1, "first", 0);
	msnd(q, 2, "second", 0);
	msnd_len(q, 3, 73, 0);
	msnd(q, 4, "fourth", 0);
	st_msg(q);
	mrcv(q, 100, LONG_MIN, IPC_NOWAIT);	/* the lowest type of all */
	for (int i = 0; i < 4; i++)
		mrcv(q, 100, 0, IPC_NOWAIT);
	msnd_len(q, 5, 72, 0);
	set_qbytes(q, 10);
	st_msg(q);
	msnd_len(q, 5, 1, IPC_NOWAIT);
	mrcv(q, 100, 0, IPC_NOWAIT);
	msnd_len(q, 5, 11, IPC_NOWAIT);
	msnd_len(q, 5, 10, IPC_NOWAIT);
	set_qbytes(q, 16384);
	mrcv(q, 100, 0, IPC_NOWAIT);
	CHILD(c) mrcv(q, 100, 7, 0);
	tr_block_report(c);
	msnd(q, 6, "six", 0);
	msnd(q, 7, "seven", 0);
	tr_wait(c);
	mrcv(q, 100, 0, IPC_NOWAIT);
	msnd(q, 8, "eight", 0);
	mrcv(q, 100, LONG_MIN, IPC_NOWAIT);
	msnd(q, 8, "left", 0);
	st_msg(q);
	obj_rmid(K_MSG, q);
	msnd(q, 8, "late", IPC_NOWAIT);
	mrcv(q, 100, 0, IPC_NOWAIT);
}
