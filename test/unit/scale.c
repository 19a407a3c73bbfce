// SPDX-License-Identifier: MIT
/*
 * scale.c - many processes on one object.
 *
 * A prefork server's accept mutex: hundreds of processes each take a
 * binary semaphore with SEM_UNDO and give it back, in turn.  Undo records
 * are kept only by processes that hold an adjustment (an empty one is
 * freed), so that a set's table, which has room for 256, is never the
 * limit here: with a record per process that ever used the set, the
 * 257th process got ENOMEM.
 */
#include "helpers.h"

TestSuite(scale, .init = t_setup, .fini = t_teardown, .timeout = 240);

#define WORKERS	400	/* more than the table's 256 records */
#define ROUNDS	3

struct mx {
	int id;
	int inside;		/* processes between P and V: at most 1 */
	int bad;
	int ready;		/* workers started */
	int done;		/* workers finished: all stay alive till the end */
};

static int worker(void *arg)
{
	struct mx *m = arg;
	struct sembuf p = { 0, -1, SEM_UNDO }, v = { 0, 1, SEM_UNDO };

	/* all at once, and all alive until every one is done */
	__atomic_add_fetch(&m->ready, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&m->ready, __ATOMIC_SEQ_CST) < WORKERS &&
	       !__atomic_load_n(&m->bad, __ATOMIC_SEQ_CST))
		usleep(1000);
	for (int r = 0; r < ROUNDS; r++) {
		if (uipc_semop(m->id, &p, 1) < 0) {
			__atomic_store_n(&m->bad, errno, __ATOMIC_SEQ_CST);
			_exit(1);
		}
		if (__atomic_add_fetch(&m->inside, 1, __ATOMIC_SEQ_CST) != 1)
			__atomic_store_n(&m->bad, -1, __ATOMIC_SEQ_CST);
		__atomic_sub_fetch(&m->inside, 1, __ATOMIC_SEQ_CST);
		if (uipc_semop(m->id, &v, 1) < 0) {
			__atomic_store_n(&m->bad, errno, __ATOMIC_SEQ_CST);
			_exit(1);
		}
	}
	__atomic_add_fetch(&m->done, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&m->done, __ATOMIC_SEQ_CST) < WORKERS &&
	       !__atomic_load_n(&m->bad, __ATOMIC_SEQ_CST))
		usleep(1000);
	return 0;
}

Test(scale, undo_mutex_400_processes)
{
	struct mx *m = t_shared(sizeof(*m));
	static pid_t pids[WORKERS];

	if (getenv("VALGRIND"))
		cr_skip_test("400 processes under valgrind: too heavy");

	m->id = uipc_semget(IPC_PRIVATE, 1, 0600);
	cr_assert_geq(m->id, 0);
	assert_ok(uipc_semctl(m->id, 0, SETVAL, 1));
	for (int i = 0; i < WORKERS; i++)
		pids[i] = t_spawn(worker, m);
	for (int i = 0; i < WORKERS; i++)
		t_wait_ok(pids[i]);
	cr_assert_eq(m->bad, 0, "a worker failed: %s (-1: two inside)",
		     m->bad > 0 ? t_errname(m->bad) : "-");
	cr_assert_eq(m->done, WORKERS);
	cr_assert_eq(uipc_semctl(m->id, 0, GETVAL), 1);
	assert_ok(uipc_semctl(m->id, 0, IPC_RMID));
}
