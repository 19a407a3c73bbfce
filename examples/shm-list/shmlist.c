// SPDX-License-Identifier: MIT
/*
 * shmlist - a linked list in a shared memory segment, built by one process
 * and walked by another that has it at a different address.
 *
 *   shmlist [-k KEY] create CAP          make an empty list of CAP nodes
 *   shmlist [-k KEY] build CAP VAL...    create, then push (the seed's writer)
 *   shmlist [-k KEY] push VAL...         append values
 *   shmlist [-k KEY] del VAL...          unlink the first node holding VAL
 *                                        (its node goes to the free list)
 *   shmlist [-k KEY] walk                print the list (the seed's reader),
 *                                        through two attachments at two
 *                                        addresses, which must agree
 *   shmlist [-k KEY] info                capacity, length, free nodes
 *   shmlist [-k KEY] destroy             remove the segment and its lock
 *                                        (even if the list is damaged)
 *
 * The layout is in offptr.h.  Changes and walks hold a binary semaphore
 * under the same key (binsem.h, method B: no initialisation, so nothing to
 * race on).  From the seeds' shm-list writer/reader (004_), with their
 * flaws fixed: the head is kept in a header (the seed found it by assuming
 * the first allocated node is the head), list_free is done, every offset
 * read from the segment is checked (a corrupt list ends the walk with an
 * error, a cycle too), shmat's (void *)-1 is caught, concurrent writers
 * are serialised, and the segment can be removed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "binsem.h"
#include "offptr.h"
#include "util.h"

static key_t key = LIST_KEY;
static int semid = -1, shmid = -1;
static struct list_hdr *h;
static size_t segsz;

static void usage(void)
{
	fprintf(stderr,
		"usage: shmlist [-k KEY] create CAP | build CAP VAL... | push VAL... |\n"
		"               del VAL... | walk | info | destroy\n");
	exit(2);
}

static void lock(void)
{
	while (binsem0_lock(semid) < 0) {
		if (errno == EINTR && !ex_stop)
			continue;
		if (errno == EINTR)
			ex_exit_signal();
		ex_die("lock the list (semaphore set %d)", semid);
	}
}

static void unlock(void)
{
	if (binsem0_unlock(semid) < 0)
		ex_die("unlock the list (semaphore set %d)", semid);
}

static struct list_hdr *attach(void)
{
	struct list_hdr *p = uipc_shmat(shmid, NULL, 0);

	if (p == (void *)-1)
		ex_die("shmat(%d)", shmid);
	return p;
}

/* Find the list's objects by key; with check, attach and validate. */
static void open_list(int check)
{
	struct shmid_ds ds;
	int64_t end = ex_now_ms() + 3000;

	shmid = uipc_shmget(key, 0, 0);
	if (shmid < 0) {
		if (errno == ENOENT)
			ex_diex("no list on key 0x%x: create one first", (unsigned)key);
		ex_die("shmget(key 0x%x)", (unsigned)key);
	}
	semid = uipc_semget(key, 0, 0);
	if (semid < 0)
		ex_die("semget(key 0x%x): the list has no lock", (unsigned)key);
	if (!check)
		return;
	if (uipc_shmctl(shmid, IPC_STAT, &ds) < 0)
		ex_die("shmctl(%d, IPC_STAT)", shmid);
	segsz = ds.shm_segsz;
	h = attach();
	if (segsz < sizeof(*h))
		ex_diex("segment %d is too small for a list", shmid);
	/* A list being created has magic 0 for a moment. */
	while (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != LIST_MAGIC) {
		if (ex_now_ms() > end)
			ex_diex("segment %d does not hold a list", shmid);
		ex_sleep_ms(10);
	}
	if (h->cap > (segsz - sizeof(*h)) / sizeof(struct list_node))
		ex_diex("segment %d: list capacity %u does not fit in %zu bytes",
			shmid, h->cap, segsz);
	printf("list attached at %p (segment %d)\n", (void *)h, shmid);
}

static void create(long cap)
{
	size_t size = sizeof(*h) + (size_t)cap * sizeof(struct list_node);

	/* The lock first: it needs no initialisation (binsem.h, method B). */
	semid = binsem0_open(key, 0600);
	if (semid < 0)
		ex_die("semget(key 0x%x)", (unsigned)key);
	shmid = uipc_shmget(key, size, IPC_CREAT | IPC_EXCL | 0600);
	if (shmid < 0) {
		if (errno == EEXIST)
			ex_diex("a list exists already on key 0x%x", (unsigned)key);
		ex_die("shmget(key 0x%x, %zu bytes)", (unsigned)key, size);
	}
	segsz = size;
	h = attach();
	h->cap = (uint32_t)cap;
	__atomic_store_n(&h->magic, LIST_MAGIC, __ATOMIC_RELEASE);
	printf("list_init: attached at %p, room for %ld nodes (%zu bytes)\n",
	       (void *)h, cap, size);
}

/* Check the header's offsets before following them. */
static struct list_node *node_at(uint32_t off, const char *what)
{
	struct list_node *n = off2ptr(h, sizeof(*h) + (size_t)h->cap * sizeof(*n), off);

	if (!n)
		ex_diex("corrupt list: %s offset 0x%x is not a node", what, off);
	return n;
}

static struct list_node *alloc_node(void)
{
	struct list_node *n;

	if (h->free) {			/* reuse a freed node first */
		n = node_at(h->free, "free list");
		h->free = n->next;
	} else if (h->used < h->cap) {
		n = &h->node[h->used++];
	} else {
		return NULL;
	}
	n->next = 0;
	return n;
}

static void push(int32_t val)
{
	struct list_node *n = alloc_node();

	if (!n)
		ex_diex("the list is full (%u nodes): %d not added", h->cap, val);
	n->val = val;
	if (h->tail)
		node_at(h->tail, "tail")->next = ptr2off(h, n);
	else
		h->head = ptr2off(h, n);
	h->tail = ptr2off(h, n);
	h->count++;
	printf("appended %d at offset 0x%x (address %p here)\n", val, ptr2off(h, n),
	       (void *)n);
}

/* list_free, the seed's exercise: unlink the first node holding val. */
static int del(int32_t val)
{
	uint32_t prev = 0, off = h->head;

	for (uint32_t steps = 0; off; steps++) {
		struct list_node *n = node_at(off, "next");

		if (steps > h->cap)
			ex_diex("corrupt list: a cycle");
		if (n->val == val) {
			uint32_t next = n->next;

			if (prev)
				node_at(prev, "prev")->next = next;
			else
				h->head = next;
			if (h->tail == off)
				h->tail = prev;
			h->count--;
			n->next = h->free;	/* onto the free list */
			h->free = off;
			printf("freed %d at offset 0x%x\n", val, off);
			return 0;
		}
		prev = off;
		off = n->next;
	}
	fprintf(stderr, "shmlist: %d is not in the list\n", val);
	return 1;
}

/* Walk the list through the attachment at base; prints and counts. */
static unsigned walk(struct list_hdr *base, const char *label)
{
	size_t size = sizeof(*base) + (size_t)base->cap * sizeof(struct list_node);
	uint32_t off = base->head;
	unsigned steps = 0;

	printf("[%s %p] visit list:", label, (void *)base);
	while (off) {
		struct list_node *n = off2ptr(base, size, off);

		if (!n || ++steps > base->cap) {
			printf("\n");
			ex_diex("corrupt list: %s after %u nodes", n ? "a cycle" : "a bad offset",
				steps);
		}
		printf(" %d", n->val);
		off = n->next;
	}
	printf("\n");
	return steps;
}

static unsigned count_free(void)
{
	unsigned n = 0;

	for (uint32_t off = h->free; off; off = node_at(off, "free list")->next)
		if (++n > h->cap)
			ex_diex("corrupt list: a cycle in the free list");
	return n;
}

int main(int argc, char **argv)
{
	int c, status = 0;
	const char *cmd;

	while ((c = getopt(argc, argv, "+k:")) != -1) {
		if (c == 'k')
			key = ex_parse_key(optarg);
		else
			usage();
	}
	if (optind >= argc)
		usage();
	if (key == IPC_PRIVATE)
		ex_diex("a list must have a key other processes can find");
	cmd = argv[optind++];
	ex_catch_signals();

	if (!strcmp(cmd, "create") || !strcmp(cmd, "build")) {
		if (optind >= argc)
			usage();
		create(ex_parse_long(argv[optind++], 1, 1 << 24, "capacity"));
		if (!strcmp(cmd, "create") && optind < argc)
			usage();
		lock();
		for (; optind < argc; optind++)
			push((int32_t)ex_parse_long(argv[optind], INT32_MIN, INT32_MAX, "value"));
		if (!strcmp(cmd, "build"))
			walk(h, "build");
		unlock();
	} else if (!strcmp(cmd, "push") || !strcmp(cmd, "del")) {
		if (optind >= argc)
			usage();
		open_list(1);
		lock();
		for (; optind < argc; optind++) {
			int32_t v = (int32_t)ex_parse_long(argv[optind], INT32_MIN, INT32_MAX,
							   "value");
			if (cmd[0] == 'p')
				push(v);
			else
				status |= del(v);
		}
		unlock();
	} else if (!strcmp(cmd, "walk")) {
		struct list_hdr *again;
		unsigned a, b;

		if (optind != argc)
			usage();
		open_list(1);
		/* A second attachment: same segment, another address. */
		again = attach();
		lock();
		a = walk(h, "first attachment");
		b = walk(again, "second attachment");
		unlock();
		if (a != b)
			ex_diex("the two attachments disagree");
		printf("%u node(s); same list at %p and %p\n", a, (void *)h, (void *)again);
		uipc_shmdt(again);
	} else if (!strcmp(cmd, "info")) {
		if (optind != argc)
			usage();
		open_list(1);
		lock();
		printf("capacity %u, in the list %u, on the free list %u, never used %u\n",
		       h->cap, h->count, count_free(), h->cap - h->used);
		unlock();
	} else if (!strcmp(cmd, "destroy")) {
		if (optind != argc)
			usage();
		open_list(0);	/* whatever the segment holds now */
		if (uipc_shmctl(shmid, IPC_RMID, NULL) < 0)
			ex_die("shmctl(%d, IPC_RMID)", shmid);
		if (binsem_remove(semid) < 0)
			ex_die("semctl(%d, IPC_RMID)", semid);
		printf("removed segment %d and semaphore set %d\n", shmid, semid);
		return 0;
	} else {
		usage();
	}
	if (h && uipc_shmdt(h) < 0)
		ex_die("shmdt");
	return status;
}
