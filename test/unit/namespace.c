// SPDX-License-Identifier: MIT
/*
 * namespace.c - the namespace directory as input.
 *
 * $UIPC_ROOT missing (created, mode 1777), not a directory, read-only (by
 * mode and by mount), on a full tmpfs; foreign, garbage, truncated and
 * scribbled files named like objects, symlinks, FIFOs and directories in
 * their place: every call gets an error (or works), nothing crashes or
 * hangs, nothing already stored is lost.  The limits override file
 * $UIPC_ROOT/uipc.limits.  No descriptor left open.  Object files carry the
 * object's owner, group and access classes, also after IPC_SET.
 *
 * Where a test needs a process that has never mapped the object (the
 * library caches mappings per process), the test process makes no uipc
 * call itself and runs every phase in a fresh child.
 */
#include <grp.h>
#include <sched.h>
#include <sys/mount.h>

#include "helpers.h"

TestSuite(ns, .init = t_setup, .fini = t_teardown, .timeout = 120);

enum { T_MSG, T_SEM, T_SHM };
static const char *const tname[] = { "msg", "sem", "shm" };

/* What a call on a corrupt object may fail with. */
static bool corrupt_errno(int e)
{
	return e == EIDRM || e == EINVAL || e == EUCLEAN;
}

#define CHILD_CORRUPT(expr)                                                   \
	do {                                                                  \
		errno = 0;                                                    \
		long _r = (long)(expr);                                       \
		int _e = errno;                                               \
		if (_r != -1 || !corrupt_errno(_e)) {                         \
			fprintf(stderr, "%s:%d: child %d: %s on a corrupt "   \
				"object: got %ld/%s, want -1/EIDRM, EINVAL "  \
				"or EUCLEAN\n", __FILE__, __LINE__,           \
				(int)getpid(), #expr, _r, t_errname(_e));     \
			_exit(1);                                             \
		}                                                             \
	} while (0)

/* Drop to nobody (group nobody/nogroup 65534, no supplementary groups). */
static void become_nobody(void)
{
	CHILD_OK(setgroups(0, NULL));
	CHILD_OK(setgid(T_NOBODY));
	CHILD_OK(setuid(T_NOBODY));
}

/* Reap a grandchild from a child (no Criterion there). */
static int child_wait(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return st;
}

/* Run a child's status through the test: 77 means skip. */
static void wait_ok_or_skip(pid_t pid)
{
	int st = t_wait_status(pid);

	if (WIFEXITED(st) && WEXITSTATUS(st) == 77)
		cr_skip_test("needs a mount namespace (unshare CLONE_NEWNS)");
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %s",
		  t_status_str(st));
}

/* In a child: a private mount namespace with a tmpfs of @opts on t_root. */
static void private_tmpfs(const char *opts)
{
	if (unshare(CLONE_NEWNS) < 0)
		_exit(77);
	CHILD_OK(mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL));
	CHILD_OK(mount("uipc-test", t_root, "tmpfs", 0, opts));
}

static int create(int type, key_t key, int flags)
{
	switch (type) {
	case T_MSG:
		return uipc_msgget(key, flags);
	case T_SEM:
		return uipc_semget(key, 3, flags);
	default:
		return uipc_shmget(key, 10000, flags);
	}
}

static int rmid(int type, int id)
{
	switch (type) {
	case T_MSG:
		return uipc_msgctl(id, IPC_RMID, NULL);
	case T_SEM:
		return uipc_semctl(id, 0, IPC_RMID);
	default:
		return uipc_shmctl(id, IPC_RMID, NULL);
	}
}

/* ------------------------------------------------------------ the root */

Test(ns, root_missing_is_created_1777)
{
	char path[PATH_MAX];
	struct stat st;
	int id;

	snprintf(path, sizeof(path), "%s/fresh", t_base);
	setenv("UIPC_ROOT", path, 1);
	umask(022);
	id = (int)assert_ok(uipc_msgget(IPC_PRIVATE, 0600));
	cr_assert(stat(path, &st) == 0, "UIPC_ROOT %s not created", path);
	cr_assert(S_ISDIR(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 01777, "root mode %#o, want 01777",
		     st.st_mode & 07777);
	assert_ok(uipc_msgctl(id, IPC_RMID, NULL));
}

Test(ns, root_not_a_directory)
{
	static const char data[] = "precious data, not a namespace\n";
	char path[PATH_MAX], buf[sizeof(data) + 8];

	snprintf(path, sizeof(path), "%s/afile", t_base);
	t_write_file(path, data, sizeof(data));
	setenv("UIPC_ROOT", path, 1);
	assert_errno(uipc_msgget(IPC_PRIVATE, 0600), ENOTDIR);
	assert_errno(uipc_semget(IPC_PRIVATE, 1, 0600), ENOTDIR);
	assert_errno(uipc_shmget(IPC_PRIVATE, 4096, 0600), ENOTDIR);
	assert_errno(uipc_msgget(1234, IPC_CREAT | 0600), ENOTDIR);
	assert_errno(uipc_msgget(1234, 0), ENOTDIR);
	cr_assert_eq(uipc_msgctl(0, IPC_STAT, &(struct msqid_ds){ 0 }), -1);
	cr_assert_eq(uipc_shmat(0, NULL, 0), (void *)-1);
	cr_assert_eq(t_read_file(path, buf, sizeof(buf)), (ssize_t)sizeof(data));
	cr_assert(!memcmp(buf, data, sizeof(data)), "the file was modified");
}

static int nobody_creates(void *arg)
{
	(void)arg;
	become_nobody();
	CHILD_ERRNO(uipc_msgget(0x4242, IPC_CREAT | 0666), EACCES);
	CHILD_ERRNO(uipc_msgget(IPC_PRIVATE, 0666), EACCES);
	CHILD_ERRNO(uipc_semget(0x4242, 2, IPC_CREAT | 0666), EACCES);
	CHILD_ERRNO(uipc_shmget(0x4242, 4096, IPC_CREAT | 0666), EACCES);
	return 0;
}

static int root_after_nobody(void *arg)
{
	struct msginfo mi;
	int id;

	(void)arg;
	/* nothing half-created is visible, nothing is wedged */
	CHILD_ERRNO(uipc_msgget(0x4242, 0), ENOENT);
	CHILD_ERRNO(uipc_semget(0x4242, 0, 0), ENOENT);
	CHILD_ERRNO(uipc_shmget(0x4242, 0, 0), ENOENT);
	id = CHILD_OK(uipc_msgget(0x4242, IPC_CREAT | IPC_EXCL | 0600));
	CHILD_OK(uipc_msgctl(0, MSG_INFO, (struct msqid_ds *)&mi));
	CHILD_CHECK(mi.msgpool == 1, "MSG_INFO counts %d queues, want 1",
		    mi.msgpool);
	CHILD_OK(uipc_msgctl(id, IPC_RMID, NULL));
	id = CHILD_OK(uipc_semget(0x4242, 2, IPC_CREAT | IPC_EXCL | 0600));
	CHILD_OK(uipc_semctl(id, 0, IPC_RMID));
	id = CHILD_OK(uipc_shmget(0x4242, 4096, IPC_CREAT | IPC_EXCL | 0600));
	CHILD_OK(uipc_shmctl(id, IPC_RMID, NULL));
	return 0;
}

static int touch_registry(void *arg)
{
	struct msginfo mi;

	(void)arg;
	CHILD_OK(uipc_msgctl(0, IPC_INFO, (struct msqid_ds *)&mi));
	return 0;
}

/* A root directory the caller may not write: EACCES, and nothing wedged. */
Test(ns, root_readonly_by_mode_with_registry)
{
	t_wait_ok(t_spawn(touch_registry, NULL));
	cr_assert_eq(chmod(t_root, 0555), 0);
	t_wait_ok(t_spawn(nobody_creates, NULL));
	cr_assert_eq(chmod(t_root, 01777), 0);
	t_wait_ok(t_spawn(root_after_nobody, NULL));
}

Test(ns, root_readonly_by_mode_fresh)
{
	cr_assert_eq(chmod(t_root, 0555), 0);
	t_wait_ok(t_spawn(nobody_creates, NULL));
	cr_assert_eq(chmod(t_root, 01777), 0);
	t_wait_ok(t_spawn(root_after_nobody, NULL));
}

static bool ro_errno(int e)
{
	return e == EROFS || e == EACCES || e == EPERM;
}

#define CHILD_RO(expr)                                                        \
	do {                                                                  \
		errno = 0;                                                    \
		long _r = (long)(expr);                                       \
		int _e = errno;                                               \
		if (_r != -1 || !ro_errno(_e)) {                              \
			fprintf(stderr, "%s:%d: %s on a read-only namespace: "\
				"got %ld/%s, want -1/EROFS\n", __FILE__,      \
				__LINE__, #expr, _r, t_errname(_e));          \
			_exit(1);                                             \
		}                                                             \
	} while (0)

static int ro_phase(int phase)
{
	struct t_msg m;
	int id;

	switch (phase) {
	case 0:		/* rw: store something */
		id = CHILD_OK(uipc_msgget(0x777, IPC_CREAT | 0600));
		m.mtype = 5;
		strcpy(m.mtext, "kept");
		CHILD_OK(uipc_msgsnd(id, &m, 5, 0));
		CHILD_OK(uipc_semget(0x777, 2, IPC_CREAT | 0600));
		CHILD_OK(uipc_shmget(0x777, 4096, IPC_CREAT | 0600));
		return 0;
	case 1:		/* ro: creation fails cleanly; lookups work or fail */
		CHILD_RO(uipc_msgget(IPC_PRIVATE, 0600));
		CHILD_RO(uipc_semget(IPC_PRIVATE, 1, 0600));
		CHILD_RO(uipc_shmget(IPC_PRIVATE, 4096, 0600));
		CHILD_RO(uipc_msgget(0x778, IPC_CREAT | 0600));
		id = uipc_msgget(0x777, 0);
		if (id < 0) {
			CHILD_CHECK(ro_errno(errno));
		} else {
			ssize_t n = uipc_msgrcv(id, &m, 100, 0, IPC_NOWAIT);

			/* if it can receive, it must get the message */
			CHILD_CHECK(n == 5 || (n < 0 && ro_errno(errno)));
			if (n == 5)	/* put it back for phase 2 */
				CHILD_OK(uipc_msgsnd(id, &m, 5, 0));
		}
		id = uipc_semget(0x777, 0, 0);
		CHILD_CHECK(id >= 0 || ro_errno(errno));
		id = uipc_shmget(0x777, 0, 0);
		CHILD_CHECK(id >= 0 || ro_errno(errno));
		return 0;
	default:	/* rw again: everything still there */
		id = CHILD_OK(uipc_msgget(0x777, 0));
		memset(&m, 0, sizeof(m));
		CHILD_CHECK(uipc_msgrcv(id, &m, 100, 0, IPC_NOWAIT) == 5);
		CHILD_CHECK(m.mtype == 5 && !strcmp(m.mtext, "kept"));
		CHILD_OK(uipc_msgctl(id, IPC_RMID, NULL));
		id = CHILD_OK(uipc_semget(0x777, 0, 0));
		CHILD_OK(uipc_semctl(id, 0, IPC_RMID));
		id = CHILD_OK(uipc_shmget(0x777, 0, 0));
		CHILD_OK(uipc_shmctl(id, IPC_RMID, NULL));
		CHILD_OK(uipc_msgget(IPC_PRIVATE, 0600));
		return 0;
	}
}

static int ro_mount(void *arg)
{
	int st;

	(void)arg;
	private_tmpfs("size=64m,mode=1777");
	for (int phase = 0; phase < 3; phase++) {
		pid_t pid;

		if (phase == 1)
			CHILD_OK(mount("none", t_root, "none",
				       MS_REMOUNT | MS_RDONLY, NULL));
		if (phase == 2)
			CHILD_OK(mount("none", t_root, "none", MS_REMOUNT, NULL));
		pid = fork();
		if (pid == 0)
			_exit(ro_phase(phase));
		st = child_wait(pid);
		CHILD_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			    "phase %d: %s", phase, t_status_str(st));
	}
	return 0;
}

/* A read-only file system: clean EROFS, and everything kept. */
Test(ns, root_readonly_mount)
{
	wait_ok_or_skip(t_spawn(ro_mount, NULL));
}

static int full_fs(void *arg)
{
	enum { SEG = 1 << 20, NSEG = 64 };
	int ids[NSEG], n = 0, q, sem;
	struct t_msg m;
	size_t sent = 0, cnt = 0;

	(void)arg;
	private_tmpfs("size=16m,mode=1777");
	/* a queue, made while there is room */
	q = CHILD_OK(uipc_msgget(IPC_PRIVATE, 0600));
	/* larger than the file system: an error now, not SIGBUS later */
	errno = 0;
	CHILD_CHECK(uipc_shmget(IPC_PRIVATE, 32 << 20, 0600) == -1 &&
		    (errno == ENOMEM || errno == ENOSPC));
	/* fill the file system with segments */
	for (n = 0; n < NSEG; n++) {
		ids[n] = uipc_shmget(IPC_PRIVATE, SEG, 0600);
		if (ids[n] < 0)
			break;
	}
	CHILD_CHECK(n < NSEG, "16 MiB tmpfs took %d MiB of segments", n);
	CHILD_CHECK(errno == ENOMEM || errno == ENOSPC);
	/* every segment made is fully usable (no SIGBUS) */
	for (int i = 0; i < n; i++) {
		char *p = uipc_shmat(ids[i], NULL, 0);

		CHILD_CHECK(p != (void *)-1);
		memset(p, i + 1, SEG);
		CHILD_OK(uipc_shmdt(p));
	}
	/* a new set either works or fails cleanly */
	sem = uipc_semget(IPC_PRIVATE, 4, 0600);
	CHILD_CHECK(sem >= 0 || errno == ENOSPC || errno == ENOMEM);
	if (sem >= 0) {
		struct sembuf op = { 0, 1, 0 };

		CHILD_OK(uipc_semop(sem, &op, 1));
	}
	/* the queue made earlier takes messages up to its limit */
	m.mtype = 1;
	for (;;) {
		memset(m.mtext, (int)cnt, 1000);
		if (uipc_msgsnd(q, &m, 1000, IPC_NOWAIT) < 0) {
			CHILD_CHECK(errno == EAGAIN, "msgsnd on a full fs");
			break;
		}
		sent += 1000;
		cnt++;
	}
	CHILD_CHECK(sent >= 16384 - 1000, "only %zu bytes fit", sent);
	for (size_t i = 0; i < cnt; i++) {
		CHILD_CHECK(uipc_msgrcv(q, &m, 1000, 0, IPC_NOWAIT) == 1000);
		CHILD_CHECK(m.mtext[0] == (char)i && m.mtext[999] == (char)i);
	}
	for (int i = 0; i < n; i++) {
		char *p = uipc_shmat(ids[i], NULL, SHM_RDONLY);

		CHILD_CHECK(p != (void *)-1);
		CHILD_CHECK(p[0] == (char)(i + 1) && p[SEG - 1] == (char)(i + 1));
		CHILD_OK(uipc_shmdt(p));
		CHILD_OK(uipc_shmctl(ids[i], IPC_RMID, NULL));
	}
	/* the memory of the removed segments is free again */
	errno = 0;
	CHILD_CHECK(uipc_shmget(IPC_PRIVATE, 4 << 20, 0600) >= 0,
		    "the removed segments' memory was not freed");
	return 0;
}

static int removed_freed(void *arg)
{
	int fd[2], ready[2], id, st;
	pid_t looker;
	char c;

	(void)arg;
	private_tmpfs("size=16m,mode=1777");
	id = CHILD_OK(uipc_shmget(IPC_PRIVATE, 10 << 20, 0600));
	CHILD_OK(pipe(fd));
	CHILD_OK(pipe(ready));
	looker = fork();
	if (looker == 0) {
		struct shmid_ds ds;

		close(fd[1]);
		/* looks at the segment, never attaches, stays alive */
		CHILD_OK(uipc_shmctl(id, IPC_STAT, &ds));
		CHILD_CHECK(write(ready[1], "r", 1) == 1);
		CHILD_CHECK(read(fd[0], &c, 1) == 0);
		_exit(0);
	}
	close(fd[0]);
	close(ready[1]);
	CHILD_CHECK(read(ready[0], &c, 1) == 1, "looker failed");
	CHILD_OK(uipc_shmctl(id, IPC_STAT, &(struct shmid_ds){ 0 }));
	CHILD_OK(uipc_shmctl(id, IPC_RMID, NULL));
	/* nattch was 0: the segment is gone now, and so is its memory */
	CHILD_ERRNO(uipc_shmctl(id, IPC_STAT, &(struct shmid_ds){ 0 }),
		    EINVAL);
	errno = 0;
	CHILD_CHECK(uipc_shmget(IPC_PRIVATE, 10 << 20, 0600) >= 0,
		    "memory of a segment removed with nattch 0 not freed "
		    "while another process that looked at it lives");
	close(fd[1]);
	st = child_wait(looker);
	CHILD_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return 0;
}

/* IPC_RMID of an unattached segment frees its memory at once. */
Test(ns, removed_segment_memory_freed)
{
	wait_ok_or_skip(t_spawn(removed_freed, NULL));
}

/*
 * A fork child holds the parent's cached mapping of the segment without
 * ever looking it up itself: removal must still punch the memory out
 * (the header's mappers count includes the child), not leave it to the
 * child's exit.
 */
static int removed_freed_fork(void *arg)
{
	int fd[2], id, st;
	pid_t child;
	char c;

	(void)arg;
	private_tmpfs("size=16m,mode=1777");
	id = CHILD_OK(uipc_shmget(IPC_PRIVATE, 10 << 20, 0600));
	CHILD_OK(uipc_shmctl(id, IPC_STAT, &(struct shmid_ds){ 0 }));
	CHILD_OK(pipe(fd));
	child = fork();
	if (child == 0) {
		close(fd[1]);
		CHILD_CHECK(read(fd[0], &c, 1) == 0);	/* idle, then exit */
		_exit(0);
	}
	close(fd[0]);
	CHILD_OK(uipc_shmctl(id, IPC_RMID, NULL));
	errno = 0;
	CHILD_CHECK(uipc_shmget(IPC_PRIVATE, 10 << 20, 0600) >= 0,
		    "memory of a removed segment kept by a fork child's "
		    "inherited mapping");
	close(fd[1]);
	st = child_wait(child);
	CHILD_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return 0;
}

Test(ns, removed_segment_memory_freed_after_fork)
{
	wait_ok_or_skip(t_spawn(removed_freed_fork, NULL));
}

/* Only the remover maps it: unlinking and unmapping free it all. */
static int removed_freed_alone(void *arg)
{
	(void)arg;
	private_tmpfs("size=16m,mode=1777");
	for (int i = 0; i < 4; i++) {
		int id = CHILD_OK(uipc_shmget(IPC_PRIVATE, 10 << 20, 0600));
		char *p = uipc_shmat(id, NULL, 0);

		CHILD_CHECK(p != (void *)-1);
		memset(p, i + 1, 10 << 20);
		CHILD_OK(uipc_shmdt(p));
		CHILD_OK(uipc_shmctl(id, IPC_RMID, NULL));
	}
	return 0;
}

Test(ns, removed_segment_memory_freed_alone)
{
	wait_ok_or_skip(t_spawn(removed_freed_alone, NULL));
}

/* A full tmpfs: ENOMEM/ENOSPC at creation, never SIGBUS in use. */
Test(ns, full_tmpfs)
{
	if (getenv("VALGRIND"))
		cr_skip_test("fills a tmpfs byte by byte: too slow under valgrind");
	wait_ok_or_skip(t_spawn(full_fs, NULL));
}

/* ------------------------------------------------ foreign and corrupt files */

/* Garbage files named like objects, before any object exists. */
Test(ns, foreign_files_are_not_objects)
{
	static const char junk[] = "this is not a uipc object\n";
	char path[PATH_MAX + 16];
	struct t_msg m = { .mtype = 3 };
	struct shmid_ds ds;
	int id;

	for (int t = 0; t < 3; t++) {
		snprintf(path, sizeof(path), "%s/%s.0", t_root, tname[t]);
		t_write_file(path, junk, sizeof(junk));
	}
	/*
	 * id 0 does not exist; a stray file does not make it one (the
	 * kernel's EINVAL, or the library's error for a corrupt object)
	 */
	cr_assert(uipc_msgctl(0, IPC_STAT, &(struct msqid_ds){ 0 }) == -1 &&
		  corrupt_errno(errno), "msgctl: %s", t_errname(errno));
	cr_assert(uipc_semctl(0, 0, GETVAL) == -1 && corrupt_errno(errno),
		  "semctl: %s", t_errname(errno));
	cr_assert(uipc_shmctl(0, IPC_STAT, &ds) == -1 && corrupt_errno(errno),
		  "shmctl: %s", t_errname(errno));
	cr_assert(uipc_shmat(0, NULL, 0) == (void *)-1 && corrupt_errno(errno),
		  "shmat: %s", t_errname(errno));
	/* creation works and gives working objects */
	id = (int)assert_ok(uipc_msgget(IPC_PRIVATE, 0600));
	cr_assert_eq(t_qnum(id), 0);
	assert_ok(uipc_msgsnd(id, &m, 4, 0));
	cr_assert_eq(uipc_msgrcv(id, &m, 100, 0, IPC_NOWAIT), 4);
	assert_ok(uipc_msgctl(id, IPC_RMID, NULL));
	id = (int)assert_ok(uipc_semget(IPC_PRIVATE, 2, 0600));
	cr_assert_eq(t_semval(id, 1), 0);
	assert_ok(uipc_semctl(id, 0, IPC_RMID));
	id = (int)assert_ok(uipc_shmget(IPC_PRIVATE, 8192, 0600));
	char *p = uipc_shmat(id, NULL, 0);

	cr_assert(p != (void *)-1, "shmat: %s", t_errname(errno));
	cr_assert(p[0] == 0 && p[8191] == 0);
	assert_ok(uipc_shmdt(p));
	assert_ok(uipc_shmctl(id, IPC_RMID, NULL));
}

/* Shared with the children: the objects a setup child made. */
struct objs {
	int id[3];		/* the victims, one per type */
	int keep[3];		/* bystanders that must stay intact */
};

static struct objs *O;

static int setup_objects(void *arg)
{
	struct t_msg m = { .mtype = 7 };
	union t_semun a = { .val = 9 };
	char *p;

	(void)arg;
	for (int i = 0; i < 2; i++) {
		int *ids = i ? O->keep : O->id;

		ids[T_MSG] = CHILD_OK(uipc_msgget(IPC_PRIVATE, 0600));
		strcpy(m.mtext, "bystander");
		CHILD_OK(uipc_msgsnd(ids[T_MSG], &m, 10, 0));
		ids[T_SEM] = CHILD_OK(uipc_semget(IPC_PRIVATE, 3, 0600));
		CHILD_OK(uipc_semctl(ids[T_SEM], 1, SETVAL, a));
		ids[T_SHM] = CHILD_OK(uipc_shmget(IPC_PRIVATE, 10000, 0600));
		p = uipc_shmat(ids[T_SHM], NULL, 0);
		CHILD_CHECK(p != (void *)-1);
		strcpy(p, "bystander");
		CHILD_OK(uipc_shmdt(p));
	}
	return 0;
}

/* The bystanders are untouched; then everything is removed. */
static int check_bystanders(void *arg)
{
	struct t_msg m;
	char *p;

	(void)arg;
	CHILD_CHECK(uipc_msgrcv(O->keep[T_MSG], &m, 100, 0, IPC_NOWAIT) == 10);
	CHILD_CHECK(m.mtype == 7 && !strcmp(m.mtext, "bystander"));
	CHILD_CHECK(t_semval(O->keep[T_SEM], 1) == 9);
	p = uipc_shmat(O->keep[T_SHM], NULL, 0);
	CHILD_CHECK(p != (void *)-1);
	CHILD_CHECK(!strcmp(p, "bystander"));
	CHILD_OK(uipc_shmdt(p));
	for (int t = 0; t < 3; t++) {
		CHILD_OK(rmid(t, O->keep[t]));
		/* removing a corrupt object may work or fail, not crash */
		rmid(t, O->id[t]);
	}
	return 0;
}

/* Every operation on a corrupt object fails with a clear error. */
static void strict_ops(int type, int id)
{
	struct t_msg m = { .mtype = 1 };
	struct msqid_ds mds;
	struct semid_ds sds;
	struct shmid_ds hds;
	union t_semun a;
	unsigned short vals[3];
	struct sembuf op = { 0, 1, IPC_NOWAIT };
	void *p;

	switch (type) {
	case T_MSG:
		CHILD_CORRUPT(uipc_msgctl(id, IPC_STAT, &mds));
		CHILD_CORRUPT(uipc_msgsnd(id, &m, 8, IPC_NOWAIT));
		CHILD_CORRUPT(uipc_msgrcv(id, &m, 100, 0, IPC_NOWAIT));
		CHILD_CORRUPT(uipc_msgrcv(id, &m, 100, 0,
					  IPC_NOWAIT | MSG_COPY));
		break;
	case T_SEM:
		a.buf = &sds;
		CHILD_CORRUPT(uipc_semctl(id, 0, IPC_STAT, a));
		CHILD_CORRUPT(uipc_semctl(id, 1, GETVAL));
		a.array = vals;
		CHILD_CORRUPT(uipc_semctl(id, 0, GETALL, a));
		a.val = 3;
		CHILD_CORRUPT(uipc_semctl(id, 2, SETVAL, a));
		CHILD_CORRUPT(uipc_semop(id, &op, 1));
		op.sem_op = -1;
		CHILD_CORRUPT(uipc_semop(id, &op, 1));
		break;
	default:
		CHILD_CORRUPT(uipc_shmctl(id, IPC_STAT, &hds));
		p = uipc_shmat(id, NULL, 0);
		if (p != (void *)-1)
			uipc_shmdt(p);
		CHILD_CHECK(p == (void *)-1 && corrupt_errno(errno),
			    "shmat of a corrupt segment: %p", p);
		break;
	}
}

/* Every operation on a damaged object, any result but a crash or hang. */
static void lax_ops(int type, int id)
{
	struct t_msg m = { .mtype = 1 };
	struct msqid_ds mds;
	struct semid_ds sds;
	struct shmid_ds hds;
	union t_semun a;
	unsigned short vals[3];
	struct sembuf op = { 0, 1, IPC_NOWAIT };
	void *p;

	switch (type) {
	case T_MSG:
		uipc_msgctl(id, IPC_STAT, &mds);
		uipc_msgsnd(id, &m, 8, IPC_NOWAIT);
		uipc_msgrcv(id, &m, sizeof(m.mtext), 0, IPC_NOWAIT);
		uipc_msgrcv(id, &m, sizeof(m.mtext), 3, IPC_NOWAIT);
		uipc_msgrcv(id, &m, sizeof(m.mtext), -5,
			    IPC_NOWAIT | MSG_NOERROR);
		uipc_msgrcv(id, &m, sizeof(m.mtext), 0,
			    IPC_NOWAIT | MSG_COPY);
		uipc_msgsnd(id, &m, 100, IPC_NOWAIT);
		uipc_msgctl(0, MSG_INFO, &mds);
		uipc_msgctl(id, MSG_STAT, &mds);
		break;
	case T_SEM:
		a.buf = &sds;
		uipc_semctl(id, 0, IPC_STAT, a);
		for (int i = 0; i < 3; i++) {
			uipc_semctl(id, i, GETVAL);
			uipc_semctl(id, i, GETNCNT);
			uipc_semctl(id, i, GETZCNT);
			uipc_semctl(id, i, GETPID);
		}
		a.array = vals;
		uipc_semctl(id, 0, GETALL, a);
		uipc_semop(id, &op, 1);
		op.sem_op = -1;
		uipc_semop(id, &op, 1);
		op.sem_flg |= SEM_UNDO;
		uipc_semop(id, &op, 1);
		op.sem_op = 1;
		uipc_semop(id, &op, 1);
		a.val = 3;
		uipc_semctl(id, 2, SETVAL, a);
		break;
	default:
		uipc_shmctl(id, IPC_STAT, &hds);
		p = uipc_shmat(id, NULL, 0);
		if (p != (void *)-1)
			uipc_shmdt(p);
		uipc_shmctl(0, SHM_INFO, &hds);
		break;
	}
}

static int child_strict(void *arg)
{
	int type = (int)(intptr_t)arg;

	strict_ops(type, O->id[type]);
	return 0;
}

/* Overwrite the first @limit bytes of a file with garbage; -1 on error. */
static int garbage(const char *path, size_t limit)
{
	struct stat st;
	uint64_t seed = 12345;
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t n;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -1;
	n = (size_t)st.st_size < limit ? (size_t)st.st_size : limit;
	for (size_t off = 0; off < n; off += 8) {
		uint64_t r = t_rand(&seed);

		if (pwrite(fd, &r, 8, (off_t)off) != 8)
			return -1;
	}
	close(fd);
	return 0;
}

/* An object file overwritten with garbage: errors, bystanders intact. */
Test(ns, garbage_object_files)
{
	O = t_shared(sizeof(*O));
	t_wait_ok(t_spawn(setup_objects, NULL));
	for (int t = 0; t < 3; t++)
		cr_assert_eq(garbage(t_obj_path(tname[t], O->id[t]), 1 << 20),
			     0, "garbage %s: %s", tname[t], t_errname(errno));
	for (int t = 0; t < 3; t++)
		t_wait_ok(t_spawn(child_strict, (void *)(intptr_t)t));
	t_wait_ok(t_spawn(check_bystanders, NULL));
}

/* A process that had the object mapped before it was overwritten. */
static int mapped_then_garbage(void *arg)
{
	int type = (int)(intptr_t)arg;
	char path[PATH_MAX + 16];

	lax_ops(type, O->id[type]);	/* map it */
	snprintf(path, sizeof(path), "%s", t_obj_path(tname[type],
						      O->id[type]));
	CHILD_OK(garbage(path, 1 << 20));
	lax_ops(type, O->id[type]);
	return 0;
}

Test(ns, garbage_under_a_mapping)
{
	O = t_shared(sizeof(*O));
	t_wait_ok(t_spawn(setup_objects, NULL));
	for (int t = 0; t < 3; t++)
		t_wait_ok(t_spawn(mapped_then_garbage, (void *)(intptr_t)t));
	t_wait_ok(t_spawn(check_bystanders, NULL));
}

/* Truncated object files: every operation fails cleanly. */
Test(ns, truncated_object_files)
{
	struct stat st;
	off_t sizes[6];

	O = t_shared(sizeof(*O));
	t_wait_ok(t_spawn(setup_objects, NULL));
	for (int t = 0; t < 3; t++) {
		const char *path = t_obj_path(tname[t], O->id[t]);

		cr_assert_eq(stat(path, &st), 0, "%s: %s", path,
			     t_errname(errno));
		sizes[0] = st.st_size - 1;
		sizes[1] = st.st_size / 2;
		sizes[2] = 4096;
		sizes[3] = 127;
		sizes[4] = 1;
		sizes[5] = 0;
		for (int i = 0; i < 6; i++) {
			if (sizes[i] >= st.st_size)
				continue;
			cr_assert_eq(truncate(path, sizes[i]), 0);
			pid_t pid = t_spawn(child_strict, (void *)(intptr_t)t);
			int ws = t_wait_status(pid);

			cr_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == 0,
				  "%s truncated to %ld bytes: child %s",
				  tname[t], (long)sizes[i], t_status_str(ws));
		}
	}
	t_wait_ok(t_spawn(check_bystanders, NULL));
}

/* A process that has the object mapped when the file is truncated. */
static int mapped_then_truncated(void *arg)
{
	int type = (int)(intptr_t)arg % 3;
	off_t size = (intptr_t)arg / 3;
	char path[PATH_MAX + 16];

	lax_ops(type, O->id[type]);	/* map it */
	snprintf(path, sizeof(path), "%s", t_obj_path(tname[type],
						      O->id[type]));
	CHILD_OK(truncate(path, size));
	lax_ops(type, O->id[type]);
	return 0;
}

Test(ns, truncated_under_a_mapping)
{
	O = t_shared(sizeof(*O));
	t_wait_ok(t_spawn(setup_objects, NULL));
	for (int t = 0; t < 3; t++) {
		for (off_t size = 4096; size >= 0; size -= 4096) {
			pid_t pid = t_spawn(mapped_then_truncated,
					    (void *)(intptr_t)(size * 3 + t));
			int ws = t_wait_status(pid);

			cr_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == 0,
				  "%s truncated to %ld under a mapping: %s",
				  tname[t], (long)size, t_status_str(ws));
		}
	}
	t_wait_ok(t_spawn(check_bystanders, NULL));
}

/* Random scribbles on a valid object: never a crash or a hang. */
static int child_lax(void *arg)
{
	int type = (int)(intptr_t)arg;

	alarm(30);
	lax_ops(type, O->id[type]);
	return 0;
}

Test(ns, scribbled_object_files, .timeout = 300)
{
	O = t_shared(sizeof(*O));
	t_wait_ok(t_spawn(setup_objects, NULL));
	for (int t = 0; t < 3; t++) {
		const char *path = t_obj_path(tname[t], O->id[t]);
		uint64_t seed = 0xc0ffee + t;
		struct stat st;
		size_t len;
		char *orig;
		int fd;

		fd = open(path, O_RDWR | O_CLOEXEC);
		cr_assert(fd >= 0, "open %s: %s", path, t_errname(errno));
		cr_assert_eq(fstat(fd, &st), 0);
		len = (size_t)st.st_size;
		orig = malloc(len);
		cr_assert(orig);
		cr_assert_eq(pread(fd, orig, len, 0), (ssize_t)len);
		for (int iter = 0; iter < 150; iter++) {
			int nscrib = 1 + (int)(t_rand(&seed) % 8);

			cr_assert_eq(pwrite(fd, orig, len, 0), (ssize_t)len);
			for (int k = 0; k < nscrib; k++) {
				uint64_t r = t_rand(&seed);
				size_t span = r & 1 ? 1024 : len;
				size_t off = (size_t)(r >> 8) % (span < len ?
								 span : len);
				uint32_t v = (uint32_t)t_rand(&seed);

				/* whole words, bytes, or small numbers */
				if (k % 3 == 2)
					v %= 70000;
				if (off + 4 > len)
					off = len - 4;
				off &= ~(size_t)(k % 3 == 1 ? 0 : 3);
				cr_assert_eq(pwrite(fd, &v, k % 3 == 1 ? 1 : 4,
						    (off_t)off),
					     k % 3 == 1 ? 1 : 4);
			}
			pid_t pid = t_spawn(child_lax, (void *)(intptr_t)t);
			int ws = t_wait_status(pid);

			cr_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == 0,
				  "%s scribble #%d: child %s", tname[t], iter,
				  t_status_str(ws));
		}
		cr_assert_eq(pwrite(fd, orig, len, 0), (ssize_t)len);
		close(fd);
		free(orig);
	}
	t_wait_ok(t_spawn(check_bystanders, NULL));
}

/* A new file of 100 bytes of junk at @path. */
static int junk_file(const char *path)
{
	static const char junk[100] = "junk";
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, junk, sizeof(junk)) != (ssize_t)sizeof(junk))
		return -1;
	return close(fd);
}

/*
 * Junk under the names that find objects (a key's and an index's): a
 * plain file, a symlink to nonsense, a symlink to another object.  Gets
 * and lookups by id fail with an error or find nothing; nothing crashes
 * or hangs; new keys and new objects still work; bystanders keep theirs.
 */
static int junk_names_victim(void *arg)
{
	struct msqid_ds ds;
	int id, r;

	(void)arg;
	alarm(30);
	/* a key whose name is a plain file, or nonsense: not found as ours */
	r = uipc_msgget(0x5151, 0600);
	CHILD_CHECK(r < 0 && (errno == EACCES || errno == ENOENT),
		    "junk key file: %d %s", r, t_errname(errno));
	r = uipc_msgget(0x5252, 0600);
	CHILD_CHECK(r < 0 && (errno == EACCES || errno == ENOENT),
		    "nonsense key link: %d %s", r, t_errname(errno));
	/* a key name pointing at a bystander: found, as it is root's own
	 * name (root could make it); its more_checks still hold */
	uipc_msgget(0x5353, 0600);
	/* the index name of id 40 is junk: id 40 is no object */
	r = uipc_msgctl(40, IPC_STAT, &ds);
	CHILD_CHECK(r < 0 && errno == EINVAL, "junk index: %d %s", r,
		    t_errname(errno));
	/* creation goes on past the junk */
	id = CHILD_OK(uipc_msgget(0x5454, IPC_CREAT | 0600));
	CHILD_CHECK(id != O->keep[T_MSG] && id != O->id[T_MSG],
		    "a new object reused a live id");
	CHILD_OK(uipc_msgctl(id, IPC_RMID, NULL));
	id = CHILD_OK(uipc_msgget(IPC_PRIVATE, 0600));
	CHILD_OK(uipc_msgctl(id, IPC_RMID, NULL));
	CHILD_OK(uipc_msgctl(O->keep[T_MSG], IPC_STAT, &ds));
	CHILD_CHECK(ds.msg_qnum == 1, "bystander lost its message");
	return 0;
}

Test(ns, junk_names)
{
	char path[PATH_MAX + 16], target[64];

	O = t_shared(sizeof(*O));
	t_wait_ok(t_spawn(setup_objects, NULL));
	snprintf(path, sizeof(path), "%s/msg.k00005151", t_root);
	cr_assert_eq(junk_file(path), 0);
	snprintf(path, sizeof(path), "%s/msg.k00005252", t_root);
	cr_assert_eq(symlink("not a number", path), 0);
	snprintf(path, sizeof(path), "%s/msg.k00005353", t_root);
	snprintf(target, sizeof(target), "%d 0", O->keep[T_MSG]);
	cr_assert_eq(symlink(target, path), 0);
	snprintf(path, sizeof(path), "%s/msg.i40", t_root);
	cr_assert_eq(symlink("12345", path), 0);
	t_wait_ok(t_spawn(junk_names_victim, NULL));
	for (const char *const *n = (const char *const[]){ "msg.k00005151",
	     "msg.k00005252", "msg.k00005353", "msg.i40", NULL }; *n; n++) {
		snprintf(path, sizeof(path), "%s/%s", t_root, *n);
		unlink(path);
	}
	t_wait_ok(t_spawn(check_bystanders, NULL));
}

/* A namespace of an older uipc (format 6: a registry): refused, and said. */
static int old_ns_victim(void *arg)
{
	(void)arg;
	alarm(30);
	CHILD_CHECK(uipc_msgget(IPC_PRIVATE, 0600) < 0 && errno == EPROTO,
		    "older namespace used: %s", t_errname(errno));
	return 0;
}

Test(ns, older_format_refused)
{
	char path[PATH_MAX + 16];

	mkdir(t_root, 01777);
	snprintf(path, sizeof(path), "%s/uipc.registry", t_root);
	cr_assert_eq(junk_file(path), 0);
	t_wait_ok(t_spawn(old_ns_victim, NULL));
	cr_assert_eq(unlink(path), 0);
}

/* ------------------------------------------- links, FIFOs, directories */

static int cmp_file(const char *a, const char *b)
{
	static char x[1 << 20], y[1 << 20];
	ssize_t n = t_read_file(a, x, sizeof(x));

	return n < 0 || n != t_read_file(b, y, sizeof(y)) || memcmp(x, y, n);
}

static int copy_file(const char *from, const char *to)
{
	static char buf[1 << 20];
	ssize_t n = t_read_file(from, buf, sizeof(buf));
	int fd;

	if (n < 0)
		return -1;
	fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0 || write(fd, buf, n) != n)
		return -1;
	close(fd);
	return 0;
}

/* Operations on the replaced object: no crash, no hang, an error. */
static int child_replaced(void *arg)
{
	int type = (int)(intptr_t)arg;
	struct t_msg m = { .mtype = 1 };
	struct msqid_ds mds;
	struct semid_ds sds;
	union t_semun a = { .buf = &sds };
	struct sembuf op = { 1, -1, IPC_NOWAIT };
	int id = O->id[type];

	alarm(30);
	switch (type) {
	case T_MSG:
		CHILD_CHECK(uipc_msgctl(id, IPC_STAT, &mds) == -1);
		CHILD_CHECK(uipc_msgrcv(id, &m, 100, 0, IPC_NOWAIT) == -1 &&
			    errno != ENOMSG);
		CHILD_CHECK(uipc_msgsnd(id, &m, 8, IPC_NOWAIT) == -1);
		break;
	case T_SEM:
		CHILD_CHECK(uipc_semctl(id, 0, IPC_STAT, a) == -1);
		CHILD_CHECK(uipc_semop(id, &op, 1) == -1 && errno != EAGAIN);
		CHILD_CHECK(uipc_semctl(id, 1, GETVAL) == -1);
		break;
	default:
		CHILD_CHECK(uipc_shmat(id, NULL, 0) == (void *)-1);
		CHILD_CHECK(uipc_shmctl(id, IPC_STAT,
					&(struct shmid_ds){ 0 }) == -1);
		break;
	}
	return 0;
}

/*
 * A symlink in place of an object, pointing at a valid copy of another
 * object: not followed (the operations fail and the target is unchanged).
 */
Test(ns, symlink_in_place_of_object_not_followed)
{
	char target[PATH_MAX], copy[PATH_MAX], obj[PATH_MAX + 16];

	O = t_shared(sizeof(*O));
	t_wait_ok(t_spawn(setup_objects, NULL));
	for (int t = 0; t < 3; t++) {
		snprintf(target, sizeof(target), "%s/target.%d", t_base, t);
		snprintf(copy, sizeof(copy), "%s/copy.%d", t_base, t);
		cr_assert_eq(copy_file(t_obj_path(tname[t], O->keep[t]),
				       target), 0);
		cr_assert_eq(copy_file(target, copy), 0);
		snprintf(obj, sizeof(obj), "%s", t_obj_path(tname[t],
							    O->id[t]));
		cr_assert_eq(unlink(obj), 0);
		cr_assert_eq(symlink(target, obj), 0);
		t_wait_ok(t_spawn(child_replaced, (void *)(intptr_t)t));
		cr_assert(!cmp_file(target, copy),
			  "%s: the symlink's target was modified", tname[t]);
		unlink(obj);
	}
	t_wait_ok(t_spawn(check_bystanders, NULL));
}

/* A FIFO or a directory in place of an object: an error, no hang. */
Test(ns, fifo_or_directory_in_place_of_object)
{
	O = t_shared(sizeof(*O));
	t_wait_ok(t_spawn(setup_objects, NULL));
	for (int t = 0; t < 3; t++) {
		char obj[PATH_MAX + 16];

		snprintf(obj, sizeof(obj), "%s", t_obj_path(tname[t],
							    O->id[t]));
		cr_assert_eq(unlink(obj), 0);
		cr_assert_eq(mkfifo(obj, 0666), 0);
		t_wait_ok(t_spawn(child_replaced, (void *)(intptr_t)t));
		cr_assert_eq(unlink(obj), 0);
		cr_assert_eq(mkdir(obj, 0777), 0);
		t_wait_ok(t_spawn(child_replaced, (void *)(intptr_t)t));
		cr_assert_eq(rmdir(obj), 0);
	}
	t_wait_ok(t_spawn(check_bystanders, NULL));
}

/* ------------------------------------------------------------ limits */

static void write_limits(const char *text)
{
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/uipc.limits", t_root);
	t_write_file(path, text, strlen(text));
}

static const char all_limits[] =
	"# limits for this namespace\n"
	"msgmax 4000\n"
	"msgmnb 9000\n"
	"msgmni 3\n"
	"semmsl 7\n"
	"semmns 50\n"
	"semopm 5\n"
	"semmni 4\n"
	"shmmax 1048576\n"
	"shmall 1000\n"
	"shmmni 5\n";

Test(ns, limits_file_changes_ipc_info)
{
	struct msginfo mi;
	struct seminfo si;
	struct shminfo hi;
	union t_semun a = { .__buf = &si };

	write_limits(all_limits);
	assert_ok(uipc_msgctl(0, IPC_INFO, (struct msqid_ds *)&mi));
	cr_assert_eq(mi.msgmax, 4000);
	cr_assert_eq(mi.msgmnb, 9000);
	cr_assert_eq(mi.msgmni, 3);
	assert_ok(uipc_semctl(0, 0, IPC_INFO, a));
	cr_assert_eq(si.semmsl, 7);
	cr_assert_eq(si.semmns, 50);
	cr_assert_eq(si.semopm, 5);
	cr_assert_eq(si.semmni, 4);
	assert_ok(uipc_shmctl(0, IPC_INFO, (struct shmid_ds *)&hi));
	cr_assert_eq(hi.shmmax, 1048576);
	cr_assert_eq(hi.shmall, 1000);
	cr_assert_eq(hi.shmmni, 5);
}

Test(ns, limits_file_is_enforced)
{
	struct t_msg m = { .mtype = 1 };
	struct msqid_ds ds;
	struct sembuf ops[6];
	int q[3], s[4], h[5];

	write_limits(all_limits);
	/* msgmni, msgmnb, msgmax */
	for (int i = 0; i < 3; i++)
		q[i] = (int)assert_ok(uipc_msgget(IPC_PRIVATE, 0600));
	assert_errno(uipc_msgget(IPC_PRIVATE, 0600), ENOSPC);
	assert_ok(uipc_msgctl(q[0], IPC_STAT, &ds));
	cr_assert_eq(ds.msg_qbytes, 9000);
	assert_errno(uipc_msgsnd(q[0], &m, 4001, IPC_NOWAIT), EINVAL);
	assert_ok(uipc_msgsnd(q[0], &m, 4000, IPC_NOWAIT));
	assert_ok(uipc_msgsnd(q[0], &m, 4000, IPC_NOWAIT));
	assert_errno(uipc_msgsnd(q[0], &m, 1001, IPC_NOWAIT), EAGAIN);
	/* semmsl, semmni, semopm */
	assert_errno(uipc_semget(IPC_PRIVATE, 8, 0600), EINVAL);
	for (int i = 0; i < 4; i++)
		s[i] = (int)assert_ok(uipc_semget(IPC_PRIVATE, 7, 0600));
	assert_errno(uipc_semget(IPC_PRIVATE, 1, 0600), ENOSPC);
	for (int i = 0; i < 6; i++)
		ops[i] = (struct sembuf){ (unsigned short)i, 1, 0 };
	assert_errno(uipc_semop(s[0], ops, 6), E2BIG);
	assert_ok(uipc_semop(s[0], ops, 5));
	/* shmmax, shmall, shmmni */
	assert_errno(uipc_shmget(IPC_PRIVATE, 1048577, 0600), EINVAL);
	for (int i = 0; i < 3; i++)
		h[i] = (int)assert_ok(uipc_shmget(IPC_PRIVATE, 1048576, 0600));
	assert_errno(uipc_shmget(IPC_PRIVATE, 1048576, 0600), ENOSPC);
	h[3] = (int)assert_ok(uipc_shmget(IPC_PRIVATE, 4096, 0600));
	h[4] = (int)assert_ok(uipc_shmget(IPC_PRIVATE, 4096, 0600));
	assert_errno(uipc_shmget(IPC_PRIVATE, 4096, 0600), ENOSPC);
	for (int i = 0; i < 3; i++)
		assert_ok(uipc_msgctl(q[i], IPC_RMID, NULL));
	for (int i = 0; i < 4; i++)
		assert_ok(uipc_semctl(s[i], 0, IPC_RMID));
	for (int i = 0; i < 5; i++)
		assert_ok(uipc_shmctl(h[i], IPC_RMID, NULL));
}

Test(ns, limits_file_semmns)
{
	int a, b;

	write_limits("semmns 10\n");
	a = (int)assert_ok(uipc_semget(IPC_PRIVATE, 5, 0600));
	b = (int)assert_ok(uipc_semget(IPC_PRIVATE, 5, 0600));
	assert_errno(uipc_semget(IPC_PRIVATE, 1, 0600), ENOSPC);
	assert_ok(uipc_semctl(a, 0, IPC_RMID));
	assert_ok(uipc_semget(IPC_PRIVATE, 5, 0600));
	assert_ok(uipc_semctl(b, 0, IPC_RMID));
}

/*
 * A uipc.limits that appears or goes applies to the next get call, also
 * after calls that found it missing while the directory stood still
 * (they then skip the lookup: see lim_quick).
 */
Test(ns, limits_file_appearing_applies_to_the_next_get)
{
	char path[PATH_MAX + 16];
	key_t key = 0x5151;
	int s;

	snprintf(path, sizeof(path), "%s/uipc.limits", t_root);
	s = (int)assert_ok(uipc_semget(key, 8, IPC_CREAT | 0600));
	for (int round = 0; round < 2; round++) {
		t_sleep_ms(120);	/* the directory settles */
		for (int i = 0; i < 100; i++)
			cr_assert_eq(uipc_semget(key, 8, 0), s);
		write_limits("semmsl 4\n");
		assert_errno(uipc_semget(key, 8, 0), EINVAL);
		cr_assert_eq(uipc_semget(key, 4, 0), s);
		cr_assert_eq(unlink(path), 0);
		cr_assert_eq(uipc_semget(key, 8, 0), s);
	}
	assert_ok(uipc_semctl(s, 0, IPC_RMID));
}

/* Lowering msgmni under existing queues: the next creation gets ENOSPC. */
Test(ns, limits_lowered_while_in_use)
{
	int q[2];

	for (int i = 0; i < 2; i++)
		q[i] = (int)assert_ok(uipc_msgget(IPC_PRIVATE, 0600));
	write_limits("msgmni 2\n");
	assert_errno(uipc_msgget(IPC_PRIVATE, 0600), ENOSPC);
	assert_errno(uipc_msgget(0x99, IPC_CREAT | 0600), ENOSPC);
	assert_ok(uipc_msgctl(q[0], IPC_RMID, NULL));
	q[0] = (int)assert_ok(uipc_msgget(IPC_PRIVATE, 0600));
	write_limits("msgmni 3\n");
	assert_ok(uipc_msgget(0x99, IPC_CREAT | 0600));
}

/* ------------------------------------------------------- descriptors */

Test(ns, no_descriptor_left_open)
{
	int before_any = t_fd_count(), before, after;
	struct t_msg m = { .mtype = 2 };
	struct msginfo mi;
	struct sembuf op = { 0, 1, SEM_UNDO };
	int q, s, h;
	char *p;

	assert_ok(uipc_msgctl(0, IPC_INFO, (struct msqid_ds *)&mi));
	before = t_fd_count();
	cr_assert(before - before_any <= 1,
		  "the first call left %d descriptors open",
		  before - before_any);
	for (int round = 0; round < 3; round++) {
		q = (int)assert_ok(uipc_msgget(0x31, IPC_CREAT | 0600));
		assert_errno(uipc_msgget(0x31, IPC_CREAT | IPC_EXCL | 0600),
			     EEXIST);
		assert_errno(uipc_msgget(0x32, 0), ENOENT);
		assert_ok(uipc_msgsnd(q, &m, 10, 0));
		cr_assert_eq(uipc_msgrcv(q, &m, 10, 0, 0), 10);
		assert_errno(uipc_msgrcv(q, &m, 10, 0, IPC_NOWAIT), ENOMSG);
		s = (int)assert_ok(uipc_semget(0x31, 2, IPC_CREAT | 0600));
		assert_ok(uipc_semop(s, &op, 1));
		assert_ok(t_semval(s, 0));
		h = (int)assert_ok(uipc_shmget(0x31, 5000, IPC_CREAT | 0600));
		p = uipc_shmat(h, NULL, 0);
		cr_assert(p != (void *)-1, "shmat: %s", t_errname(errno));
		p[4999] = 1;
		assert_ok(uipc_shmdt(p));
		assert_errno(uipc_shmdt(p), EINVAL);
		assert_errno(uipc_msgctl(q + 1, IPC_STAT,
					 &(struct msqid_ds){ 0 }), EINVAL);
		assert_ok(uipc_msgctl(q, IPC_RMID, NULL));
		assert_ok(uipc_semctl(s, 0, IPC_RMID));
		assert_ok(uipc_shmctl(h, IPC_RMID, NULL));
		assert_errno(uipc_msgsnd(q, &m, 10, 0), EINVAL);
	}
	after = t_fd_count();
	cr_assert_eq(after, before, "%d descriptors before, %d after", before,
		     after);
}

/* --------------------------------------------- file owner and mode */

/* st_mode's class bits for group (shift 3) or other (shift 0) */
static int cls(mode_t m, int shift)
{
	return (m >> shift) & 7;
}

static int nobody_open(void *arg)
{
	const char *path = arg;
	int want = path[strlen(path) + 1];	/* 'y' or 'n' after the NUL */
	int fd;

	become_nobody();
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (want == 'y')
		CHILD_CHECK(fd >= 0, "nobody cannot open %s", path);
	else
		CHILD_CHECK(fd < 0 && errno == EACCES,
			    "nobody can open %s", path);
	return 0;
}

static void check_nobody(const char *path, bool can)
{
	char buf[PATH_MAX + 32];

	snprintf(buf, sizeof(buf), "%s", path);
	buf[strlen(buf) + 1] = can ? 'y' : 'n';
	t_wait_ok(t_spawn(nobody_open, buf));
}

static int set_perm(int type, int id, uid_t uid, gid_t gid, mode_t mode)
{
	struct msqid_ds m;
	struct semid_ds s;
	struct shmid_ds h;
	union t_semun a = { .buf = &s };

	switch (type) {
	case T_MSG:
		if (uipc_msgctl(id, IPC_STAT, &m) < 0)
			return -1;
		m.msg_perm.uid = uid;
		m.msg_perm.gid = gid;
		m.msg_perm.mode = mode;
		return uipc_msgctl(id, IPC_SET, &m);
	case T_SEM:
		if (uipc_semctl(id, 0, IPC_STAT, a) < 0)
			return -1;
		s.sem_perm.uid = uid;
		s.sem_perm.gid = gid;
		s.sem_perm.mode = mode;
		return uipc_semctl(id, 0, IPC_SET, a);
	default:
		if (uipc_shmctl(id, IPC_STAT, &h) < 0)
			return -1;
		h.shm_perm.uid = uid;
		h.shm_perm.gid = gid;
		h.shm_perm.mode = mode;
		return uipc_shmctl(id, IPC_SET, &h);
	}
}

/*
 * The object file's owner and group are the object's, and its group and
 * other classes grant access exactly when the object's mode grants that
 * class any permission, so the kernel's own checks agree with the
 * object's; IPC_SET moves them along.
 */
Test(ns, file_owner_and_mode_follow_ipc_set)
{
	for (int t = 0; t < 3; t++) {
		char path[PATH_MAX + 16];
		struct stat st;
		int id = (int)assert_ok(create(t, IPC_PRIVATE, 0640));

		snprintf(path, sizeof(path), "%s", t_obj_path(tname[t], id));
		cr_assert_eq(stat(path, &st), 0, "%s: %s", path,
			     t_errname(errno));
		cr_assert_eq(st.st_uid, geteuid());
		cr_assert_eq(st.st_gid, getegid());
		cr_assert(cls(st.st_mode, 3) != 0 && cls(st.st_mode, 0) == 0,
			  "%s mode 0640: file mode %#o", tname[t],
			  st.st_mode & 0777);
		check_nobody(path, false);

		assert_ok(set_perm(t, id, 12345, 23456, 0604));
		cr_assert_eq(stat(path, &st), 0);
		cr_assert_eq(st.st_uid, 12345, "%s: file uid %u after IPC_SET",
			     tname[t], st.st_uid);
		cr_assert_eq(st.st_gid, 23456, "%s: file gid %u after IPC_SET",
			     tname[t], st.st_gid);
		/*
		 * The creator (cuid) keeps the owner's rights, through a POSIX
		 * ACL entry; the ACL mask then shows in the group bits, so
		 * only "other" can be checked from st_mode here.
		 */
		cr_assert(cls(st.st_mode, 0) != 0,
			  "%s mode 0604: file mode %#o", tname[t],
			  st.st_mode & 0777);
		check_nobody(path, true);

		assert_ok(set_perm(t, id, 12345, T_NOBODY, 0620));
		cr_assert_eq(stat(path, &st), 0);
		cr_assert_eq(st.st_gid, T_NOBODY);
		cr_assert(cls(st.st_mode, 3) != 0 && cls(st.st_mode, 0) == 0,
			  "%s mode 0620: file mode %#o", tname[t],
			  st.st_mode & 0777);
		check_nobody(path, true);	/* through group nobody */

		assert_ok(set_perm(t, id, 12345, 23456, 0600));
		cr_assert_eq(stat(path, &st), 0);
		/* group bits: the ACL mask for the creator (see above) */
		cr_assert_eq(st.st_mode & 07, 0, "%s mode 0600: file mode %#o",
			     tname[t], st.st_mode & 0777);
		check_nobody(path, false);
		assert_ok(rmid(t, id));
	}
}

/*
 * A fork child checks operations with its own credentials: the parent's,
 * fetched before the fork, must not carry over into a child that drops
 * its privileges before its first call.
 */
Test(ns, fork_child_uses_its_own_credentials)
{
	struct { long type; char text[8]; } m = { 1, "x" };
	int id;
	pid_t pid;

	if (geteuid() != 0)
		cr_skip_test("needs root to change uid");
	id = assert_ok(uipc_msgget(IPC_PRIVATE, 0600));
	assert_ok(uipc_msgsnd(id, &m, 1, 0));	/* credentials fetched */
	pid = t_fork();
	if (pid == 0) {
		CHILD_OK(setgid(65534));
		CHILD_OK(setuid(65534));
		CHILD_ERRNO(uipc_msgsnd(id, &m, 1, IPC_NOWAIT), EACCES);
		CHILD_ERRNO(uipc_msgrcv(id, &m, 8, 0, IPC_NOWAIT), EACCES);
		_exit(0);
	}
	t_wait_ok(pid);
	assert_ok(uipc_msgctl(id, IPC_RMID, NULL));
}

/*
 * A creator killed while building its object leaves the object's file
 * under its final name (see obj_create()); in the shared 1777 directory
 * only its owner (or root) may delete it, so the registry repair run by
 * another user leaves it there, and the registry hands out the same id
 * again.  Another user's shmget(IPC_PRIVATE) must still succeed (the
 * kernel's never fails with EEXIST), now and every time after.
 */
Test(ns, orphan_of_another_user_does_not_block_creation)
{
	pid_t pid;

	if (geteuid() != 0)
		cr_skip_test("needs root to change uid");
	pid = t_fork();
	if (pid == 0) {
		int fd;

		become_nobody();
		fd = open(t_obj_path("shm", 0), O_CREAT | O_EXCL | O_RDWR, 0600);
		CHILD_OK(fd);
		CHILD_OK(ftruncate(fd, 8192));
		close(fd);
		_exit(0);
	}
	t_wait_ok(pid);
	pid = t_fork();
	if (pid == 0) {
		CHILD_OK(setgroups(0, NULL));
		CHILD_OK(setgid(65533));
		CHILD_OK(setuid(65533));
		for (int i = 0; i < 3; i++) {
			int id = uipc_shmget(IPC_PRIVATE, 4096, 0600);

			CHILD_CHECK(id >= 0, "shmget #%d as another user: %s",
				    i, t_errname(errno));
			CHILD_OK(uipc_shmctl(id, IPC_RMID, NULL));
		}
		_exit(0);
	}
	t_wait_ok(pid);
	unlink(t_obj_path("shm", 0));
}
