// SPDX-License-Identifier: MIT
/*
 * secop - one uipc call, for the attack suite (test/security/test-*.sh).
 *
 *   secop get  msg|sem|shm KEY MODE [excl]  get (IPC_CREAT|MODE), print id
 *   secop find msg|sem|shm KEY              get with no flags, print id
 *   secop rmid msg|sem|shm ID               IPC_RMID, print 0
 *   secop send ID TEXT                      msgsnd type 1, IPC_NOWAIT
 *   secop recv ID                           msgrcv IPC_NOWAIT, print text
 *   secop info msg|sem|shm                  objects in use (*_INFO)
 *
 * A failure prints the errno's name (EACCES) and exits 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uipc.h>

static const char *ename(int e)
{
	static const struct { int e; const char *n; } t[] = {
		{ EACCES, "EACCES" }, { EPERM, "EPERM" }, { EINVAL, "EINVAL" },
		{ ENOENT, "ENOENT" }, { EEXIST, "EEXIST" }, { EIDRM, "EIDRM" },
		{ ENOSPC, "ENOSPC" }, { EUCLEAN, "EUCLEAN" }, { EBUSY, "EBUSY" },
		{ ENOMSG, "ENOMSG" }, { EAGAIN, "EAGAIN" }, { ELOOP, "ELOOP" },
		{ EPROTO, "EPROTO" }, { ENOMEM, "ENOMEM" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].e == e)
			return t[i].n;
	return strerror(e);
}

static int result(long r)
{
	if (r < 0) {
		printf("%s\n", ename(errno));
		return 1;
	}
	printf("%ld\n", r);
	return 0;
}

static int type_of(const char *s)
{
	return !strcmp(s, "msg") ? 0 : !strcmp(s, "sem") ? 1 :
	       !strcmp(s, "shm") ? 2 : -1;
}

static long get(int t, key_t key, int flg)
{
	return t == 0 ? uipc_msgget(key, flg) :
	       t == 1 ? uipc_semget(key, flg & IPC_CREAT ? 1 : 0, flg) :
	       uipc_shmget(key, flg & IPC_CREAT ? 4096 : 0, flg);
}

int main(int argc, char **argv)
{
	struct { long mtype; char mtext[256]; } m = { 1, "" };
	int t = argc > 2 ? type_of(argv[2]) : -1;

	if (argc >= 5 && !strcmp(argv[1], "get") && t >= 0)
		return result(get(t, (key_t)strtoul(argv[3], NULL, 0),
				  IPC_CREAT | (int)strtol(argv[4], NULL, 8) |
				  (argc > 5 ? IPC_EXCL : 0)));
	if (argc == 4 && !strcmp(argv[1], "find") && t >= 0)
		return result(get(t, (key_t)strtoul(argv[3], NULL, 0), 0));
	if (argc == 4 && !strcmp(argv[1], "rmid") && t >= 0) {
		int id = atoi(argv[3]);

		return result(t == 0 ? uipc_msgctl(id, IPC_RMID, NULL) :
			      t == 1 ? uipc_semctl(id, 0, IPC_RMID) :
			      uipc_shmctl(id, IPC_RMID, NULL));
	}
	if (argc == 4 && !strcmp(argv[1], "send")) {
		snprintf(m.mtext, sizeof(m.mtext), "%s", argv[3]);
		return result(uipc_msgsnd(atoi(argv[2]), &m,
					  strlen(m.mtext) + 1, IPC_NOWAIT));
	}
	if (argc == 3 && !strcmp(argv[1], "recv")) {
		long n = uipc_msgrcv(atoi(argv[2]), &m, sizeof(m.mtext), 0,
				     IPC_NOWAIT);

		if (n < 0)
			return result(n);
		printf("%s\n", m.mtext);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "info") && t >= 0) {
		struct msginfo mi;
		struct seminfo si;
		struct shm_info hi;

		if (t == 0 && uipc_msgctl(0, MSG_INFO, (void *)&mi) >= 0)
			return result(mi.msgpool);
		if (t == 1 && uipc_semctl(0, 0, SEM_INFO, &si) >= 0)
			return result(si.semusz);
		if (t == 2 && uipc_shmctl(0, SHM_INFO, (void *)&hi) >= 0)
			return result(hi.used_ids);
		return result(-1);
	}
	fprintf(stderr, "usage: see the comment at the top of secop.c\n");
	return 2;
}
