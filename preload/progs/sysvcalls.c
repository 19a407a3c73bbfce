// SPDX-License-Identifier: MIT
/*
 * sysvcalls - every one of the twelve calls, through libc's own
 * declarations, printing what each returned in a form that does not
 * depend on ids, pids or times.  Run on the kernel and under uipc-run,
 * the two outputs must be identical; that checks the drop-in forwards
 * every call and argument (semctl's optional fourth one above all).
 *
 *   sysvcalls KEY
 */
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#include "common.h"

static const char *ename(int e)
{
	switch (e) {
	case EACCES: return "EACCES";
	case EAGAIN: return "EAGAIN";
	case EEXIST: return "EEXIST";
	case EFBIG: return "EFBIG";
	case EIDRM: return "EIDRM";
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	case ENOMSG: return "ENOMSG";
	case E2BIG: return "E2BIG";
	case ERANGE: return "ERANGE";
	case EPERM: return "EPERM";
	default: return strerror(e);
	}
}

/* "what: ok" / "what: -1 ENAME"; @show prints a non-negative result */
static long say(const char *what, long r, int show)
{
	if (r < 0)
		printf("%s: -1 %s\n", what, ename(errno));
	else if (show)
		printf("%s: %ld\n", what, r);
	else
		printf("%s: ok\n", what);
	return r;
}

int main(int argc, char **argv)
{
	struct { long mtype; char mtext[64]; } m;
	struct timespec ts = { 0, 1000000 };	/* 1 ms: expiry is the point */
	unsigned short vals[3] = { 3, 0, 7 }, got[3];
	union semun arg;
	struct msqid_ds mq;
	struct semid_ds sd;
	struct shmid_ds sh;
	struct seminfo si;
	struct sembuf sb[2];
	key_t key;
	int q, s, h, i;
	char *p;

	prog = "sysvcalls";
	if (argc != 2)
		return 2;
	key = parse_key(argv[1]);
	setvbuf(stdout, NULL, _IONBF, 0);

	/* message queues */
	say("msgget absent", msgget(key, 0), 0);
	q = (int)say("msgget create", msgget(key, IPC_CREAT | IPC_EXCL | 0640), 0);
	say("msgget excl again", msgget(key, IPC_CREAT | IPC_EXCL | 0640), 0);
	m.mtype = 2;
	strcpy(m.mtext, "two");
	say("msgsnd type 2", msgsnd(q, &m, 4, 0), 0);
	m.mtype = 1;
	strcpy(m.mtext, "one!");
	say("msgsnd type 1", msgsnd(q, &m, 5, IPC_NOWAIT), 0);
	say("msgsnd type 0", msgsnd(q, &m, 5, 0), 0);
	say("msgctl IPC_STAT", msgctl(q, IPC_STAT, &mq), 0);
	printf("  qnum=%lu cbytes=%lu mode=%o\n", (unsigned long)mq.msg_qnum,
	       (unsigned long)mq.__msg_cbytes, mq.msg_perm.mode & 0777);
	mq.msg_perm.mode = 0600;
	mq.msg_qbytes = 4096;
	say("msgctl IPC_SET", msgctl(q, IPC_SET, &mq), 0);
	say("msgctl IPC_STAT", msgctl(q, IPC_STAT, &mq), 0);
	printf("  qbytes=%lu mode=%o\n", (unsigned long)mq.msg_qbytes,
	       mq.msg_perm.mode & 0777);
	say("msgrcv type -5", msgrcv(q, &m, sizeof(m.mtext), -5, 0), 1);
	printf("  mtype=%ld text=%s\n", m.mtype, m.mtext);
	say("msgrcv too small", msgrcv(q, &m, 2, 0, IPC_NOWAIT), 0);
	say("msgrcv MSG_NOERROR", msgrcv(q, &m, 2, 0, IPC_NOWAIT | MSG_NOERROR), 1);
	say("msgrcv last", msgrcv(q, &m, sizeof(m.mtext), 0, IPC_NOWAIT), 1);
	say("msgrcv empty", msgrcv(q, &m, sizeof(m.mtext), 0, IPC_NOWAIT), 0);
	say("msgctl bad cmd", msgctl(q, 12345, &mq), 0);
	say("msgctl IPC_RMID", msgctl(q, IPC_RMID, NULL), 0);
	say("msgsnd removed", msgsnd(q, &m, 1, IPC_NOWAIT), 0);

	/* semaphore sets: every semctl form */
	say("semget nsems 0 absent", semget(key, 0, 0), 0);
	s = (int)say("semget create", semget(key, 3, IPC_CREAT | IPC_EXCL | 0600), 0);
	say("semget more sems", semget(key, 4, 0), 0);
	arg.array = vals;
	say("semctl SETALL", semctl(s, 0, SETALL, arg), 0);
	arg.array = got;
	say("semctl GETALL", semctl(s, 0, GETALL, arg), 0);
	printf("  %u %u %u\n", got[0], got[1], got[2]);
	arg.val = 5;
	say("semctl SETVAL", semctl(s, 1, SETVAL, arg), 0);
	say("semctl GETVAL", semctl(s, 1, GETVAL), 1);
	arg.val = 40000;
	say("semctl SETVAL too big", semctl(s, 1, SETVAL, arg), 0);
	say("semctl GETNCNT", semctl(s, 0, GETNCNT), 1);
	say("semctl GETZCNT", semctl(s, 0, GETZCNT), 1);
	say("semctl GETPID", semctl(s, 0, GETPID) == getpid() ? 1 : 0, 1);
	say("semctl semnum 3", semctl(s, 3, GETVAL), 0);
	arg.buf = &sd;
	say("semctl IPC_STAT", semctl(s, 0, IPC_STAT, arg), 0);
	printf("  nsems=%lu mode=%o\n", (unsigned long)sd.sem_nsems,
	       sd.sem_perm.mode & 0777);
	sd.sem_perm.mode = 0644;
	say("semctl IPC_SET", semctl(s, 0, IPC_SET, arg), 0);
	arg.__buf = &si;
	say("semctl IPC_INFO", semctl(s, 0, IPC_INFO, arg) >= 0, 1);
	printf("  semmsl=%d semopm=%d semvmx=%d\n", si.semmsl, si.semopm,
	       si.semvmx);
	sb[0] = (struct sembuf){ 0, -3, IPC_NOWAIT };
	sb[1] = (struct sembuf){ 2, 1, 0 };
	say("semop two ops", semop(s, sb, 2), 0);
	say("semop would block", semop(s, sb, 1), 0);
	say("semtimedop expires", semtimedop(s, sb, 1, &ts), 0);
	ts.tv_nsec = 1000000000;
	say("semtimedop bad timeout", semtimedop(s, sb, 1, &ts), 0);
	sb[0] = (struct sembuf){ 5, 1, 0 };
	say("semop bad semnum", semop(s, sb, 1), 0);
	say("semop nsops 0", semop(s, sb, 0), 0);
	arg.array = got;
	semctl(s, 0, GETALL, arg);
	printf("  values %u %u %u\n", got[0], got[1], got[2]);
	say("semctl IPC_RMID", semctl(s, 0, IPC_RMID), 0);
	say("semop removed", semop(s, sb, 1), 0);

	/* shared memory */
	h = (int)say("shmget create", shmget(key, 10000, IPC_CREAT | IPC_EXCL | 0600), 0);
	say("shmget bigger", shmget(key, 20000, 0), 0);
	p = shmat(h, NULL, 0);
	say("shmat", p == (void *)-1 ? -1 : 0, 0);
	for (i = 0; i < 10000; i++)
		p[i] = (char)i;
	say("shmctl IPC_STAT", shmctl(h, IPC_STAT, &sh), 0);
	printf("  segsz=%lu nattch=%lu\n", (unsigned long)sh.shm_segsz,
	       (unsigned long)sh.shm_nattch);
	say("shmctl IPC_RMID attached", shmctl(h, IPC_RMID, NULL), 0);
	say("shmctl IPC_STAT", shmctl(h, IPC_STAT, &sh), 0);
	printf("  dest=%d nattch=%lu\n", !!(sh.shm_perm.mode & SHM_DEST),
	       (unsigned long)sh.shm_nattch);
	say("shmget key after RMID", shmget(key, 0, 0), 0);
	printf("  byte 9999 = %d\n", p[9999]);
	say("shmdt", shmdt(p), 0);
	say("shmdt again", shmdt(p), 0);
	say("shmctl IPC_STAT gone", shmctl(h, IPC_STAT, &sh), 0);
	return 0;
}
