// SPDX-License-Identifier: MIT
/*
 * s_fault.c - EFAULT for every buffer the call cannot read or write:
 * unmapped, PROT_NONE, read-only where the call writes, straddling into
 * such a page, beyond the user address space; in the kernel's order
 * among the other checks.  Nothing is changed by a call that fails so
 * (a msgrcv's message is not observed afterwards: the kernel loses it,
 * uipc keeps it, see docs/differences.md).
 */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "trace.h"

#define PAGE 4096

/* Four pages: read-write, read-only, PROT_NONE, unmapped. */
static char *rw, *ro, *none, *unmapped;

static void pages(void)
{
	char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		tr("mmap failed");
		_exit(1);
	}
	memset(p, 0, 2 * PAGE);
	((long *)(p + PAGE))[0] = 1;	/* an mtype, for sends from there */
	mprotect(p + PAGE, PAGE, PROT_READ);
	mprotect(p + 2 * PAGE, PAGE, PROT_NONE);
	munmap(p + 3 * PAGE, PAGE);
	rw = p;
	ro = p + PAGE;
	none = p + 2 * PAGE;
	unmapped = p + 3 * PAGE;
}

/* Addresses no user buffer can have (64-bit only). */
#define KERNEL_ADDR	((void *)(uintptr_t)0xffff800000001000ull)
#define HIGH_ADDR	((void *)(uintptr_t)0x0000900000000000ull)

/* msgsnd: the mtype, the text, and their place among the checks. */
SCENARIO(fault_msgsnd, 0)
{
	int q = obj_get(K_MSG, KEY1, IPC_CREAT | 0600);

	pages();
	R(X_msgsnd(q, none, 1, IPC_NOWAIT));
	R(X_msgsnd(q, unmapped, 1, IPC_NOWAIT));
	R(X_msgsnd(q, ro + PAGE - 4, 1, IPC_NOWAIT));	/* mtype straddles */
	R(X_msgsnd(q, ro + PAGE - 8, 0, IPC_NOWAIT));	/* mtype only: fine */
	R(X_msgsnd(q, ro + PAGE - 8, 1, IPC_NOWAIT));	/* text in PROT_NONE */
	R(X_msgsnd(q, ro, 100, IPC_NOWAIT));		/* read-only: fine */
	R(X_msgsnd(q, ro, PAGE, IPC_NOWAIT));		/* runs into PROT_NONE */
	R(X_msgsnd(q, ro, 8192, IPC_NOWAIT));
	R(X_msgsnd(q, ro, 8193, IPC_NOWAIT));		/* EINVAL first */
	R(X_msgsnd(q, none, 8193, IPC_NOWAIT));	/* the mtype's EFAULT first */
	R(X_msgsnd(-1, ro + PAGE - 8, 1, IPC_NOWAIT));	/* EINVAL: id < 0 */
	R(X_msgsnd(q + 32768, ro + PAGE - 8, 1, IPC_NOWAIT));
	R(X_msgsnd(q, KERNEL_ADDR, 1, IPC_NOWAIT));
	R(X_msgsnd(q, HIGH_ADDR, 1, IPC_NOWAIT));
	st_msg(q);
}

/* One message of @len bytes into a fresh queue, then a msgrcv. */
static void rcv_into(void *buf, size_t msgsz, size_t len, int flg)
{
	int q = RID(K_MSG, X_msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	static struct { long mtype; char text[8192]; } m;

	m.mtype = 7;
	memset(m.text, 'm', sizeof(m.text));
	R(X_msgsnd(q, &m, len, IPC_NOWAIT));
	R(X_msgrcv(q, buf, msgsz, 0, IPC_NOWAIT | flg));
	obj_rmid(K_MSG, q);
}

/* msgrcv writes the mtype and the message's bytes, no more. */
SCENARIO(fault_msgrcv, 0)
{
	pages();
	rcv_into(ro, 16, 10, 0);
	rcv_into(none, 16, 10, 0);
	rcv_into(unmapped, 16, 10, 0);
	rcv_into(ro - 4, 16, 10, 0);		/* mtype straddles */
	rcv_into(ro - 8, 16, 10, 0);		/* text in the read-only page */
	rcv_into(ro - 8, 16, 0, 0);		/* no text: fine */
	rcv_into(ro - 16, 100, 8, 0);		/* fits: fine, msgsz or not */
	rcv_into(ro - 16, 100, 9, 0);		/* one byte too many */
	rcv_into(ro - 16, 100, 20, MSG_NOERROR);	/* cut to 100: faults */
	rcv_into(ro - 16, 8, 20, MSG_NOERROR);	/* cut to 8: fine */
	rcv_into(ro - 16, 8, 20, 0);		/* E2BIG before EFAULT */
	rcv_into(ro - 16 - 4000, 8000, 4000, 0);	/* long message, fits */
	rcv_into(ro - 16 - 4000, 8000, 4009, 0);	/* long one, runs over */
	rcv_into(ro - 8 - 64, 8192, 64, 0);	/* a ring-sized message */
	rcv_into(ro - 8 - 63, 8192, 64, 0);
	rcv_into(KERNEL_ADDR, 16, 10, 0);
	rcv_into(HIGH_ADDR, 16, 10, 0);
	/* no message: ENOMSG, the buffer is never looked at */
	{
		int q = RID(K_MSG, X_msgget(IPC_PRIVATE, IPC_CREAT | 0600));

		R(X_msgrcv(q, none, 16, 0, IPC_NOWAIT));
		obj_rmid(K_MSG, q);
	}
}

/* msgctl: IPC_STAT and the *_INFO calls write, IPC_SET reads. */
SCENARIO(fault_msgctl, 0)
{
	int q = obj_get(K_MSG, KEY1, IPC_CREAT | 0600);

	pages();
	R(X_msgctl(q, IPC_STAT, (void *)ro));
	R(X_msgctl(q, IPC_STAT, (void *)none));
	R(X_msgctl(q, IPC_STAT, (void *)(ro - 8)));
	R(X_msgctl(q, IPC_STAT, (void *)(none - sizeof(struct msqid_ds))));
	R(X_msgctl(q, IPC_SET, (void *)none));
	R(X_msgctl(q, IPC_SET, (void *)(none - 8)));
	R(X_msgctl(0, MSG_INFO, (void *)ro));
	R(X_msgctl(0, IPC_INFO, (void *)unmapped));
	R(X_msgctl(0, IPC_INFO, (void *)(none - sizeof(struct msginfo))));
	R(X_msgctl(q, MSG_STAT, (void *)ro));
	R(X_msgctl(q + 32768, IPC_STAT, (void *)ro));	/* EINVAL first */
	st_msg(q);
}

/* semop/semtimedop read the operations and the timeout. */
SCENARIO(fault_semop, 0)
{
	int s = RID(K_SEM, X_semget(KEY1, 2, IPC_CREAT | 0600));
	struct sembuf ok = { 0, 1, 0 }, *sb;
	struct timespec *ts;

	pages();
	sb = (struct sembuf *)(ro - sizeof(*sb));
	sb[0] = (struct sembuf){ 0, 1, 0 };
	ts = (struct timespec *)(none - 8);
	R(X_semop(s, (void *)none, 1));
	R(X_semop(s, (void *)unmapped, 1));
	R(X_semop(s, (void *)ro, 1));			/* read-only: fine */
	R(X_semop(s, sb, 1));
	R(X_semop(s, (void *)(none - sizeof(*sb)), 2));	/* second one bad */
	R(X_semop(s, sb, 2));				/* read-only second */
	R(X_semop(-1, (void *)none, 1));		/* EFAULT before the id */
	R(X_semop(s, (void *)none, 0));			/* EINVAL first */
	R(X_semop(s, KERNEL_ADDR, 1));
	R(X_semtimedop(s, &ok, 1, ts));
	R(X_semtimedop(s, &ok, 1, (void *)ro));	/* zero timeout: fine */
	R(X_semtimedop(s, (void *)none, 1, ts));
	semgetall(s, 2);
	obj_rmid(K_SEM, s);
}

/* semctl: GETALL, IPC_STAT and the *_INFO calls write, SETALL and IPC_SET read. */
SCENARIO(fault_semctl, 0)
{
	int s = RID(K_SEM, X_semget(KEY1, 3, IPC_CREAT | 0600));

	pages();
	R(X_semctl(s, 0, GETALL, (void *)ro));
	R(X_semctl(s, 0, GETALL, (void *)(ro - 4)));	/* straddles */
	R(X_semctl(s, 0, GETALL, (void *)(ro - 6)));	/* fits */
	R(X_semctl(s, 0, GETALL, (void *)none));
	R(X_semctl(s, 0, SETALL, (void *)none));
	R(X_semctl(s, 0, SETALL, (void *)(none - 4)));
	R(X_semctl(s, 0, SETALL, (void *)ro));		/* zeros: fine */
	R(X_semctl(s, 0, IPC_STAT, (void *)ro));
	R(X_semctl(s, 0, IPC_STAT, (void *)unmapped));
	R(X_semctl(s, 0, SEM_STAT, (void *)ro));
	R(X_semctl(s, 0, IPC_SET, (void *)none));
	R(X_semctl(0, 0, SEM_INFO, (void *)ro));
	R(X_semctl(0, 0, IPC_INFO, (void *)(none - 8)));
	R(X_semctl(0, 0, IPC_INFO, (void *)KERNEL_ADDR));
	R(X_semctl(s + 32768, 0, GETALL, (void *)ro));	/* EINVAL first */
	semgetall(s, 3);
	st_sem(s);
	obj_rmid(K_SEM, s);
}

/* shmctl: IPC_STAT and the *_INFO calls write, IPC_SET reads. */
SCENARIO(fault_shmctl, 0)
{
	int id = obj_get(K_SHM, KEY1, IPC_CREAT | 0600);

	pages();
	R(X_shmctl(id, IPC_STAT, (void *)ro));
	R(X_shmctl(id, IPC_STAT, (void *)(ro - 8)));
	R(X_shmctl(id, IPC_STAT, (void *)none));
	R(X_shmctl(id, SHM_STAT, (void *)unmapped));
	R(X_shmctl(id, IPC_SET, (void *)none));
	R(X_shmctl(id, IPC_SET, (void *)ro));		/* zeros: uid 0 */
	R(X_shmctl(0, SHM_INFO, (void *)ro));
	R(X_shmctl(0, IPC_INFO, (void *)ro));
	R(X_shmctl(0, IPC_INFO, (void *)(none - sizeof(struct shminfo))));
	R(X_shmctl(0, SHM_INFO, (void *)(none - sizeof(struct shm_info))));
	R(X_shmctl(0, IPC_INFO, (void *)HIGH_ADDR));
	st_shm(id);
}

/* A page past the end of a mapped file raises SIGBUS: EFAULT too. */
SCENARIO(fault_sigbus, 0)
{
	int q = obj_get(K_MSG, KEY1, IPC_CREAT | 0600);
	int s = RID(K_SEM, X_semget(KEY2, 2, IPC_CREAT | 0600));
	int fd = memfd_create("fault", 0);
	char *p;

	if (fd < 0 || ftruncate(fd, 2 * PAGE) < 0) {
		tr("memfd failed");
		return;
	}
	p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || ftruncate(fd, PAGE) < 0) {
		tr("mmap failed");
		return;
	}
	((long *)p)[0] = 1;
	R(X_msgsnd(q, p, 100, IPC_NOWAIT));		/* fine */
	R(X_msgsnd(q, p + PAGE, 1, IPC_NOWAIT));
	R(X_msgsnd(q, p + PAGE - 8, 1, IPC_NOWAIT));
	R(X_msgctl(q, IPC_STAT, (void *)(p + PAGE)));
	R(X_semctl(s, 0, GETALL, (void *)(p + PAGE - 2)));
	R(X_semop(s, (void *)(p + PAGE), 1));
	st_msg(q);
	R(X_msgrcv(q, p + PAGE - 16, 100, 0, IPC_NOWAIT));
	obj_rmid(K_SEM, s);
	close(fd);
}
