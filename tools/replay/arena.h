/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * pmp-replay: the memory of the arrays sized by the VM (the oracle's, each
 * policy's core state and leaf model), zeroed, in few large mappings
 * rather than one allocation each.
 *
 * Why: a replay touches most of these arrays' pages (the core zeroes its
 * whole state), and a page's first touch is a page fault the instruction
 * counts do not show.  On a virtual machine whose page faults are slow it
 * was most of a short trace's time: sev-boot's replay took 129 of them,
 * 79 in the core's 316 KiB state alone, at 10-25 us each (docs/replay.md).
 * One 2 MiB-aligned mapping advised for transparent huge pages takes one
 * fault per 2 MiB its arrays touch, wherever the kernel grants huge pages;
 * elsewhere it costs what separate allocations did.
 */
#ifndef PMP_REPLAY_ARENA_H
#define PMP_REPLAY_ARENA_H

#include <stddef.h>

/* A block's header, at its start. */
struct rp_arena_block {
	struct rp_arena_block *next;
	size_t bytes;	/* its mapping's length */
	size_t used;	/* bytes from its start handed out (the header's first) */
};

struct rp_arena {
	struct rp_arena_block *blocks;	/* newest first, each its own mapping */
	size_t hint;			/* bytes a new block maps at least */
};

/* An empty arena whose first block maps @hint bytes: what the caller expects to take. */
void rp_arena_init(struct rp_arena *a, size_t hint);

/* @bytes zeroed and 64-byte aligned, for the arena's lifetime; NULL if out of memory. */
void *rp_arena_zalloc(struct rp_arena *a, size_t bytes);

/* Unmap every block: every pointer the arena gave is gone.  The arena is empty again. */
void rp_arena_free(struct rp_arena *a);

#endif /* PMP_REPLAY_ARENA_H */
