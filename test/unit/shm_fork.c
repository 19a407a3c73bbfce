// SPDX-License-Identifier: MIT
/*
 * shm_fork.c - shm_nattch through fork, exec, exit and shmdt.
 *
 * The kernel's count: +1 for each attachment a fork child inherits, in
 * place as soon as fork returns (in the parent and in the child); -1 for
 * each attachment at shmdt, exit (also _exit, which runs no library code)
 * and exec.  A removed segment (SHM_DEST) goes with its last attachment,
 * however that goes.  shm_lpid follows the process that last changed the
 * count: the parent at fork (the kernel copies the mappings in the
 * parent's context), the child at its exit or exec.  A posix_spawn()ed
 * child (vfork-like: it shares the parent's memory until it execs) never
 * holds an attachment.
 *
 * Exec is observed without timing: the child's end of a close-on-exec
 * pipe closes when its exec succeeds, after the old memory is gone.
 */
#include <spawn.h>

#include "helpers.h"

TestSuite(shm_fork, .init = t_setup, .fini = t_teardown, .timeout = 60);

extern char **environ;

static int g_id;
static char *g_p;
static struct t_pipe g_go;	/* parent -> child: go on */
static struct t_pipe g_up;	/* child -> parent: ready */

static void setup(size_t size)
{
	g_id = (int)assert_ok(uipc_shmget(IPC_PRIVATE, size, 0600));
	g_p = uipc_shmat(g_id, NULL, 0);
	cr_assert(g_p != (void *)-1, "shmat: %s", t_errname(errno));
	cr_assert_eq(t_nattch(g_id), 1);
	g_go = t_pipe_new();
	g_up = t_pipe_new();
}

/* In a child: wait for a byte on @p (or the writer's death). */
static void child_wait_on(struct t_pipe p)
{
	char c;

	while (read(p.r, &c, 1) < 0 && errno == EINTR)
		;
}

/* In the child: wait for the parent's go (or its death). */
static void child_wait_go(void)
{
	child_wait_on(g_go);
}

/* In a child: create an 8 KiB segment, attach it, publish its id. */
static char *child_create_attach(int *idp)
{
	int id = uipc_shmget(IPC_PRIVATE, 8192, 0600);
	char *p = id < 0 ? (void *)-1 : uipc_shmat(id, NULL, 0);

	CHILD_CHECK(p != (void *)-1, "shmget/shmat: %s", t_errname(errno));
	*idp = id;
	return p;
}

static void go(void)
{
	t_signal_byte(g_go, 'g');
}

static pid_t shm_lpid(int id)
{
	struct shmid_ds ds;

	assert_ok(uipc_shmctl(id, IPC_STAT, &ds));
	return ds.shm_lpid;
}

/* ------------------------------------------------------------- fork */

static void fork_then_leave(int how)
{
	pid_t pid;

	setup(8192);
	pid = t_fork();
	if (pid == 0) {
		CHILD_CHECK(t_nattch(g_id) == 2, "child sees nattch %ld",
			    t_nattch(g_id));
		g_p[100] = 'c';
		t_signal_byte(g_up, 'r');
		child_wait_go();
		if (how == 0)
			exit(0);
		_exit(0);
	}
	cr_assert_eq(t_nattch(g_id), 2, "nattch %ld right after fork",
		     t_nattch(g_id));
	cr_assert_eq(t_wait_byte(g_up), 'r');
	cr_assert_eq(g_p[100], 'c', "the child's write is not visible");
	go();
	t_wait_ok(pid);
	cr_assert_eq(t_nattch(g_id), 1, "nattch %ld after the child's %s",
		     t_nattch(g_id), how ? "_exit" : "exit");
	assert_ok(uipc_shmdt(g_p));
	cr_assert_eq(t_nattch(g_id), 0);
	assert_ok(uipc_shmctl(g_id, IPC_RMID, NULL));
}

Test(shm_fork, child_inherits_then_exit)
{
	fork_then_leave(0);
}

Test(shm_fork, child_inherits_then__exit)
{
	fork_then_leave(1);
}

Test(shm_fork, every_attachment_is_inherited)
{
	int other;
	char *q, *r;
	pid_t pid;

	setup(4096);
	q = uipc_shmat(g_id, NULL, SHM_RDONLY);
	cr_assert(q != (void *)-1);
	other = (int)assert_ok(uipc_shmget(IPC_PRIVATE, 4096, 0600));
	r = uipc_shmat(other, NULL, 0);
	cr_assert(r != (void *)-1);
	cr_assert_eq(t_nattch(g_id), 2);
	pid = t_fork();
	if (pid == 0) {
		child_wait_go();
		_exit(0);
	}
	cr_assert_eq(t_nattch(g_id), 4, "nattch %ld after fork",
		     t_nattch(g_id));
	cr_assert_eq(t_nattch(other), 2, "nattch %ld after fork",
		     t_nattch(other));
	go();
	t_wait_ok(pid);
	cr_assert_eq(t_nattch(g_id), 2);
	cr_assert_eq(t_nattch(other), 1);
	assert_ok(uipc_shmdt(q));
	assert_ok(uipc_shmdt(r));
	assert_ok(uipc_shmdt(g_p));
	cr_assert_eq(t_nattch(g_id), 0);
	cr_assert_eq(t_nattch(other), 0);
	assert_ok(uipc_shmctl(g_id, IPC_RMID, NULL));
	assert_ok(uipc_shmctl(other, IPC_RMID, NULL));
}

Test(shm_fork, grandchild_inherits)
{
	struct t_pipe cg;	/* child -> grandchild: looked */
	pid_t pid;

	setup(4096);
	cg = t_pipe_new();
	pid = t_fork();
	if (pid == 0) {
		pid_t gc = fork();
		int st;

		if (gc == 0) {
			/* after the child's look: the parent's go ends us */
			child_wait_on(cg);
			CHILD_CHECK(t_nattch(g_id) == 3);
			t_signal_byte(g_up, 'g');
			child_wait_go();
			_exit(0);
		}
		CHILD_CHECK(gc > 0);
		CHILD_CHECK(t_nattch(g_id) == 3, "nattch %ld after the "
			    "grandchild's fork", t_nattch(g_id));
		t_signal_byte(cg, 'c');
		CHILD_CHECK(waitpid(gc, &st, 0) == gc && WIFEXITED(st) &&
			    WEXITSTATUS(st) == 0);
		CHILD_CHECK(t_nattch(g_id) == 2, "nattch %ld after the "
			    "grandchild's exit", t_nattch(g_id));
		_exit(0);
	}
	cr_assert_eq(t_wait_byte(g_up), 'g');
	cr_assert_eq(t_nattch(g_id), 3);
	go();
	t_wait_ok(pid);
	cr_assert_eq(t_nattch(g_id), 1);
	assert_ok(uipc_shmdt(g_p));
	assert_ok(uipc_shmctl(g_id, IPC_RMID, NULL));
}

Test(shm_fork, fork_after_shmdt_inherits_nothing)
{
	pid_t pid;

	setup(4096);
	assert_ok(uipc_shmdt(g_p));
	pid = t_fork();
	if (pid == 0) {
		CHILD_CHECK(t_nattch(g_id) == 0);
		_exit(0);
	}
	cr_assert_eq(t_nattch(g_id), 0);
	t_wait_ok(pid);
	cr_assert_eq(t_nattch(g_id), 0);
	assert_ok(uipc_shmctl(g_id, IPC_RMID, NULL));
}

/* ----------------------------------------------------------- shmdt */

Test(shm_fork, shmdt_in_child_leaves_the_parents)
{
	pid_t pid;

	setup(4096);
	pid = t_fork();
	if (pid == 0) {
		CHILD_OK(uipc_shmdt(g_p));
		CHILD_CHECK(t_nattch(g_id) == 1);
		CHILD_ERRNO(uipc_shmdt(g_p), EINVAL);
		t_signal_byte(g_up, 'd');
		child_wait_go();
		_exit(0);
	}
	cr_assert_eq(t_wait_byte(g_up), 'd');
	cr_assert_eq(t_nattch(g_id), 1);
	g_p[0] = 'p';	/* still mapped here */
	go();
	t_wait_ok(pid);
	cr_assert_eq(t_nattch(g_id), 1, "nattch %ld after the child that had "
		     "detached exited", t_nattch(g_id));
	assert_ok(uipc_shmdt(g_p));
	cr_assert_eq(t_nattch(g_id), 0);
	assert_ok(uipc_shmctl(g_id, IPC_RMID, NULL));
}

Test(shm_fork, shmdt_in_parent_leaves_the_childs)
{
	pid_t pid;

	setup(4096);
	pid = t_fork();
	if (pid == 0) {
		child_wait_go();
		CHILD_CHECK(g_p[0] == 'p', "the parent's write is lost");
		CHILD_CHECK(t_nattch(g_id) == 1);
		_exit(0);
	}
	g_p[0] = 'p';
	assert_ok(uipc_shmdt(g_p));
	cr_assert_eq(t_nattch(g_id), 1);
	go();
	t_wait_ok(pid);
	cr_assert_eq(t_nattch(g_id), 0);
	assert_ok(uipc_shmctl(g_id, IPC_RMID, NULL));
}

Test(shm_fork, child_attaches_more)
{
	pid_t pid;

	setup(4096);
	pid = t_fork();
	if (pid == 0) {
		char *q = uipc_shmat(g_id, NULL, 0);

		CHILD_CHECK(q != (void *)-1);
		CHILD_CHECK(t_nattch(g_id) == 3);
		t_signal_byte(g_up, 'a');
		child_wait_go();
		_exit(0);
	}
	cr_assert_eq(t_wait_byte(g_up), 'a');
	cr_assert_eq(t_nattch(g_id), 3);
	go();
	t_wait_ok(pid);
	cr_assert_eq(t_nattch(g_id), 1);
	assert_ok(uipc_shmdt(g_p));
	assert_ok(uipc_shmctl(g_id, IPC_RMID, NULL));
}

/* ------------------------------------------------------------ exec */

/*
 * Fork a child that execs /bin/sleep; returns once the exec has happened
 * (its close-on-exec end of g_up closed) and the child still runs.
 */
static pid_t fork_exec_sleep(void)
{
	pid_t pid = t_fork();

	if (pid == 0) {
		execl("/bin/sleep", "sleep", "1000", (char *)NULL);
		_exit(127);
	}
	close(g_up.w);
	cr_assert_eq(t_wait_byte(g_up), -2, "no exec seen");
	cr_assert(t_proc_state(pid) != 'Z' && t_proc_state(pid) != 0,
		  "the exec failed");
	return pid;
}

Test(shm_fork, exec_detaches)
{
	/* exec under memcheck (trace-children) breaks Criterion's worker
	 * protocol; these run in the plain and sanitizer builds */
	if (getenv("VALGRIND"))
		cr_skip_test("exec under valgrind");
	pid_t pid;

	setup(4096);
	pid = fork_exec_sleep();
	cr_assert_eq(t_nattch(g_id), 1, "nattch %ld with the child exec'd",
		     t_nattch(g_id));
	t_kill_wait(pid);
	cr_assert_eq(t_nattch(g_id), 1);
	assert_ok(uipc_shmdt(g_p));
	cr_assert_eq(t_nattch(g_id), 0);
	assert_ok(uipc_shmctl(g_id, IPC_RMID, NULL));
}

Test(shm_fork, failed_exec_keeps_attachment)
{
	/* exec under memcheck (trace-children) breaks Criterion's worker
	 * protocol; these run in the plain and sanitizer builds */
	if (getenv("VALGRIND"))
		cr_skip_test("exec under valgrind");
	pid_t pid;

	setup(4096);
	pid = t_fork();
	if (pid == 0) {
		execl("/nonexistent/program", "x", (char *)NULL);
		CHILD_CHECK(t_nattch(g_id) == 2);
		t_signal_byte(g_up, 'f');
		child_wait_go();
		_exit(0);
	}
	cr_assert_eq(t_wait_byte(g_up), 'f');
	cr_assert_eq(t_nattch(g_id), 2);
	go();
	t_wait_ok(pid);
	cr_assert_eq(t_nattch(g_id), 1);
	assert_ok(uipc_shmdt(g_p));
	assert_ok(uipc_shmctl(g_id, IPC_RMID, NULL));
}

/* Remove a segment whose only attachment is then the child's. */
static void leave_it_to_the_child(void)
{
	struct shmid_ds ds;

	assert_ok(uipc_shmctl(g_id, IPC_RMID, NULL));
	assert_ok(uipc_shmdt(g_p));
	assert_ok(uipc_shmctl(g_id, IPC_STAT, &ds));
	cr_assert_eq(ds.shm_nattch, 1);
	cr_assert(ds.shm_perm.mode & SHM_DEST);
}

Test(shm_fork, exec_destroys_removed_segment)
{
	/* exec under memcheck (trace-children) breaks Criterion's worker
	 * protocol; these run in the plain and sanitizer builds */
	if (getenv("VALGRIND"))
		cr_skip_test("exec under valgrind");
	pid_t pid;

	setup(4096);
	pid = t_fork();
	if (pid == 0) {
		child_wait_go();
		execl("/bin/sleep", "sleep", "1000", (char *)NULL);
		_exit(127);
	}
	close(g_up.w);
	leave_it_to_the_child();
	go();
	cr_assert_eq(t_wait_byte(g_up), -2, "no exec seen");
	cr_assert(t_proc_state(pid) != 'Z', "the exec failed");
	t_assert_shm_gone(g_id);
	cr_assert_eq(t_ns_count("shm."), 0, "segment file left behind");
	t_kill_wait(pid);
}

Test(shm_fork, exit_destroys_removed_segment)
{
	pid_t pid;

	setup(4096);
	pid = t_fork();
	if (pid == 0) {
		child_wait_go();
		_exit(0);
	}
	leave_it_to_the_child();
	go();
	t_wait_ok(pid);
	t_assert_shm_gone(g_id);
	cr_assert_eq(t_ns_count("shm."), 0, "segment file left behind");
}

/* -------------------------------------------------- lpid, posix_spawn */

Test(shm_fork, lpid_follows_fork_exit_and_exec)
{
	/* exec under memcheck (trace-children) breaks Criterion's worker
	 * protocol; these run in the plain and sanitizer builds */
	if (getenv("VALGRIND"))
		cr_skip_test("exec under valgrind");
	pid_t pid;

	setup(4096);
	cr_assert_eq(shm_lpid(g_id), getpid());
	pid = t_fork();
	if (pid == 0) {
		child_wait_go();
		_exit(0);
	}
	cr_assert_eq(shm_lpid(g_id), getpid(), "lpid %d after fork, want the "
		     "parent %d", (int)shm_lpid(g_id), (int)getpid());
	go();
	t_wait_ok(pid);
	cr_assert_eq(shm_lpid(g_id), pid, "lpid %d after exit, want the "
		     "child %d", (int)shm_lpid(g_id), (int)pid);
	g_go = t_pipe_new();
	g_up = t_pipe_new();
	pid = fork_exec_sleep();
	cr_assert_eq(shm_lpid(g_id), pid, "lpid %d after exec, want the "
		     "child %d", (int)shm_lpid(g_id), (int)pid);
	t_kill_wait(pid);
	assert_ok(uipc_shmdt(g_p));
	assert_ok(uipc_shmctl(g_id, IPC_RMID, NULL));
}

Test(shm_fork, posix_spawn_child_holds_nothing)
{
	/* exec under memcheck (trace-children) breaks Criterion's worker
	 * protocol; these run in the plain and sanitizer builds */
	if (getenv("VALGRIND"))
		cr_skip_test("exec under valgrind");
	char *argv[] = { "sleep", "1000", NULL };
	pid_t pid;

	setup(4096);
	cr_assert_eq(posix_spawn(&pid, "/bin/sleep", NULL, NULL, argv,
				 environ), 0);
	t_track(pid);
	cr_assert_eq(t_nattch(g_id), 1, "nattch %ld with a spawned child",
		     t_nattch(g_id));
	t_kill_wait(pid);
	cr_assert_eq(t_nattch(g_id), 1);
	cr_assert_eq(system("exit 0"), 0);
	cr_assert_eq(t_nattch(g_id), 1);
	assert_ok(uipc_shmdt(g_p));
	cr_assert_eq(t_nattch(g_id), 0);
	assert_ok(uipc_shmctl(g_id, IPC_RMID, NULL));
}

/*
 * The attach table is scanned only up to its high-water mark: 256
 * processes fit (the documented limit), the 257th gets ENOMEM, and the
 * counts stay exact as it fills and empties.
 */
#define MANY	255

Test(shm_fork, attach_table_holds_256_processes, .timeout = 120)
{
	int up[2], go_[2];
	pid_t kids[MANY];
	struct shmid_ds ds;
	char c;
	int id;

	id = assert_ok(uipc_shmget(IPC_PRIVATE, 4096, 0600));
	assert_ok(pipe(up));
	assert_ok(pipe(go_));
	cr_assert_neq(uipc_shmat(id, NULL, 0), (void *)-1);
	for (int i = 0; i < MANY; i++) {
		kids[i] = t_fork();
		if (kids[i] == 0) {
			char *p;

			close(go_[1]);
			/* drop the inherited attachment, then attach anew */
			p = uipc_shmat(id, NULL, 0);
			CHILD_CHECK(p != (void *)-1);
			p[i] = 1;
			CHILD_CHECK(write(up[1], "u", 1) == 1);
			CHILD_CHECK(read(go_[0], &c, 1) == 0);
			_exit(0);
		}
		cr_assert_eq(read(up[0], &c, 1), 1, "child %d failed", i);
	}
	assert_ok(uipc_shmctl(id, IPC_STAT, &ds));
	/* each child: the one it inherited plus the one it made */
	cr_assert_eq(ds.shm_nattch, 1 + 2 * MANY, "nattch %lu",
		     (unsigned long)ds.shm_nattch);
	/* the table holds 256 processes: one more is refused */
	pid_t extra = t_fork();

	if (extra == 0) {
		close(go_[1]);
		CHILD_CHECK(uipc_shmat(id, NULL, 0) == (void *)-1 &&
			    errno == ENOMEM, "the 257th process attached");
		_exit(0);
	}
	t_wait_ok(extra);
	close(go_[1]);
	for (int i = 0; i < MANY; i++)
		t_wait_ok(kids[i]);
	assert_ok(uipc_shmctl(id, IPC_STAT, &ds));
	cr_assert_eq(ds.shm_nattch, 1, "nattch %lu after the children left",
		     (unsigned long)ds.shm_nattch);
	assert_ok(uipc_shmctl(id, IPC_RMID, NULL));
}

/* A read-only attachment stays read-only; a read-write one shares. */
Test(shm_fork, rdonly_cannot_be_made_writable)
{
	int id = assert_ok(uipc_shmget(IPC_PRIVATE, 8192, 0600));
	char *rw = uipc_shmat(id, NULL, 0), *ro = uipc_shmat(id, NULL, SHM_RDONLY);
	char *fixed;

	cr_assert_neq(rw, (void *)-1);
	cr_assert_neq(ro, (void *)-1);
	rw[8191] = 42;
	cr_assert_eq(ro[8191], 42);
	assert_errno(mprotect(ro, 8192, PROT_READ | PROT_WRITE), EACCES);
	/* SHM_REMAP over the read-only one: read-write, same pages */
	fixed = uipc_shmat(id, ro, SHM_REMAP);
	cr_assert_eq(fixed, ro);
	fixed[0] = 7;
	cr_assert_eq(rw[0], 7);
	assert_ok(uipc_shmdt(fixed));
	assert_ok(uipc_shmdt(rw));
	assert_ok(uipc_shmctl(id, IPC_RMID, NULL));
}

/* -------------------------------------------- the creator's first attach */

/*
 * The first read-write attach in a process is the data part of the
 * library's own mapping of the segment, split off (see lend_data() in
 * src/shm.c).  It must behave as any attachment: gone at shmdt, counted
 * by other processes, and the memory still reachable by later attaches.
 */
Test(shm_fork, first_attach_faults_after_shmdt)
{
	int id = assert_ok(uipc_shmget(IPC_PRIVATE, 8192, 0600));
	char *p = uipc_shmat(id, NULL, 0);
	pid_t pid;
	int st;

	cr_assert_neq(p, (void *)-1);
	strcpy(p + 4096, "kept");
	assert_ok(uipc_shmdt(p));
	pid = t_fork();
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);	/* not a sanitizer's handler */
		((volatile char *)p)[4096] = 'x';
		_exit(0);
	}
	st = t_wait_status(pid);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
		  "touching a detached address: %s", t_status_str(st));
	p = uipc_shmat(id, NULL, 0);
	cr_assert_neq(p, (void *)-1);
	cr_assert_str_eq(p + 4096, "kept");
	cr_assert_eq(t_nattch(id), 1);
	assert_ok(uipc_shmdt(p));
	cr_assert_eq(t_nattch(id), 0);
	assert_ok(uipc_shmctl(id, IPC_RMID, NULL));
}

/* Where @id's file is mapped from offset 0 in this process, its end. */
static char *header_mapping_end(int id)
{
	char line[512], *end = NULL;
	struct stat st;
	FILE *f;

	cr_assert_eq(stat(t_obj_path("shm", id), &st), 0);
	f = fopen("/proc/self/maps", "re");
	cr_assert(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi, off, ino;
		char perm[8], dev[16];

		if (sscanf(line, "%lx-%lx %7s %lx %15s %lu", &lo, &hi, perm,
			   &off, dev, &ino) == 6 && ino == st.st_ino && !off)
			end = (char *)hi;
	}
	fclose(f);
	cr_assert(end, "no mapping of the segment's file from offset 0");
	return end;
}

/* The cached mapping's old room taken by another mapping, a later
 * attach goes elsewhere. */
Test(shm_fork, attach_after_first_place_taken)
{
	int id = assert_ok(uipc_shmget(IPC_PRIVATE, 8192, 0600));
	char *p = uipc_shmat(id, NULL, 0), *anon, *q, *r, *room;

	cr_assert_neq(p, (void *)-1);
	memset(p, 's', 8192);
	assert_ok(uipc_shmdt(p));
	room = header_mapping_end(id);
	anon = mmap(room, 8192, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	cr_assert_eq(anon, room, "the cached mapping's old room was not free");
	memset(anon, 'a', 8192);
	q = uipc_shmat(id, NULL, 0);
	r = uipc_shmat(id, NULL, 0);
	cr_assert_neq(q, (void *)-1);
	cr_assert_neq(r, (void *)-1);
	cr_assert(q != anon && r != anon && q != r);
	cr_assert(q[0] == 's' && q[8191] == 's' && r[4096] == 's');
	q[1] = 'q';
	cr_assert_eq(r[1], 'q');
	cr_assert_eq(t_nattch(id), 2);
	assert_ok(uipc_shmdt(q));
	assert_ok(uipc_shmdt(r));
	cr_assert_eq(t_nattch(id), 0);
	/* removal unmaps the library's own mapping: not what is there now */
	assert_ok(uipc_shmctl(id, IPC_RMID, NULL));
	for (int i = 0; i < 8192; i++)
		cr_assert_eq(anon[i], 'a', "the anonymous page changed at %d", i);
	munmap(anon, 8192);
}

/* Another process counts a creator's first attachment (and its death). */
Test(shm_fork, creators_first_attach_counted_by_others)
{
	struct t_pipe up = t_pipe_new(), go_on = t_pipe_new();
	int *idp = t_shared(sizeof(int));
	pid_t pid;

	pid = t_fork();
	if (pid == 0) {
		char *p = child_create_attach(idp);

		p[0] = 1;
		t_signal_byte(up, 'r');
		child_wait_on(go_on);
		_exit(0);
	}
	cr_assert_eq(t_wait_byte(up), 'r');
	cr_assert_eq(t_nattch(*idp), 1, "nattch %ld of the creator's attachment",
		     t_nattch(*idp));
	t_kill_wait(pid);
	cr_assert_eq(t_nattch(*idp), 0, "nattch %ld after the creator died",
		     t_nattch(*idp));
	assert_ok(uipc_shmctl(*idp, IPC_RMID, NULL));
	t_assert_shm_gone(*idp);
}

/*
 * A program may keep its attachment out of core dumps (MADV_DONTDUMP, as
 * databases do for their buffers).  The kernel's count does not change;
 * the attachment must stay visible to other processes, and IPC_RMID from
 * one of them must leave its memory alone.
 */
Test(shm_fork, dontdump_attachment_still_counted)
{
	struct t_pipe up = t_pipe_new(), go_on = t_pipe_new(), res = t_pipe_new();
	int *idp = t_shared(sizeof(int));
	pid_t pid;

	pid = t_fork();
	if (pid == 0) {
		char *p = child_create_attach(idp);
		bool intact = true;

		memset(p, 'k', 8192);
		CHILD_CHECK(madvise(p, 8192, MADV_DONTDUMP) == 0, "madvise: %s",
			    t_errname(errno));
		t_signal_byte(up, 'r');
		child_wait_on(go_on);
		for (int i = 0; i < 8192; i++)
			intact &= p[i] == 'k';
		t_signal_byte(res, intact ? 'y' : 'n');
		uipc_shmdt(p);
		_exit(0);
	}
	cr_assert_eq(t_wait_byte(up), 'r');
	cr_assert_eq(t_nattch(*idp), 1, "nattch %ld of a MADV_DONTDUMP attachment",
		     t_nattch(*idp));
	assert_ok(uipc_shmctl(*idp, IPC_RMID, NULL));
	t_signal_byte(go_on, 'g');
	cr_assert_eq(t_wait_byte(res), 'y',
		     "IPC_RMID by another process punched an attached segment");
	t_wait_status(pid);
	t_assert_shm_gone(*idp);
}
