// SPDX-License-Identifier: MIT
/*
 * offptr.h - a linked list that lives in a shared memory segment.
 *
 * Each process attaches the segment wherever its kernel (or uipc) puts it,
 * so nothing in the segment may hold an address.  Links are offsets from
 * the start of the segment instead, turned into pointers with the base of
 * the attachment at hand, and checked first: the segment is written by
 * other processes, so an offset may be anything.  Offset 0 is the header,
 * never a node, so it serves as NULL.
 *
 * Nodes come from a pool of cap nodes after the header.  Removed nodes go
 * on a free list (the seed's list_free exercise) and are reused before the
 * untouched part of the pool.
 */
#ifndef EX_OFFPTR_H
#define EX_OFFPTR_H

#include <stddef.h>
#include <stdint.h>

#define LIST_KEY	0x75690004
#define LIST_MAGIC	0x4c495331u	/* "LIS1" */

struct list_node {
	int32_t val;
	uint32_t next;		/* offset of the next node; 0 = end */
};

struct list_hdr {
	uint32_t magic;		/* LIST_MAGIC once built (written last) */
	uint32_t cap;		/* nodes in the pool */
	uint32_t count;		/* nodes in the list */
	uint32_t head;		/* offset of the first node; 0 = empty */
	uint32_t tail;		/* offset of the last node; 0 = empty */
	uint32_t free;		/* offset of the first free node; 0 = none */
	uint32_t used;		/* pool nodes handed out at least once */
	uint32_t pad;
	struct list_node node[];
};

/* Offset -> pointer, or NULL if off is not a node of this segment. */
static inline struct list_node *off2ptr(struct list_hdr *h, size_t segsz, uint32_t off)
{
	size_t first = offsetof(struct list_hdr, node);

	if (off < first || off > segsz - sizeof(struct list_node) ||
	    (off - first) % sizeof(struct list_node))
		return NULL;
	return (struct list_node *)((char *)h + off);
}

/* Pointer -> offset (the pointer must come from this attachment). */
static inline uint32_t ptr2off(const struct list_hdr *h, const struct list_node *p)
{
	return (uint32_t)((const char *)p - (const char *)h);
}

#endif /* EX_OFFPTR_H */
