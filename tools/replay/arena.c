// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The replay's arena (arena.h): blocks mapped anonymous (so zero, and
 * backed only where touched), 2 MiB-aligned and advised for transparent
 * huge pages, handed out front to back; nothing is freed before the whole.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>
#include "arena.h"

/* Under ASan a block's bytes not handed out are poisoned: a run off an array is caught. */
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#else
#define ASAN_POISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#define ASAN_UNPOISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#endif

#define HUGE_BYTES (2UL << 20)
#define ALIGN_BYTES 64UL

static size_t round_up(size_t x, size_t to)
{
	return (x + to - 1) & ~(to - 1);
}

/* A mapping of @bytes (a multiple of 2 MiB) at a 2 MiB boundary: a huge page can back it. */
static void *map_aligned(size_t bytes)
{
	size_t extra = HUGE_BYTES;
	char *p = mmap(NULL, bytes + extra, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	char *start;

	if (p == MAP_FAILED)
		return NULL;
	start = (char *)round_up((uintptr_t)p, HUGE_BYTES);
	if (start > p)
		munmap(p, (size_t)(start - p));
	if (start + bytes < p + bytes + extra)
		munmap(start + bytes, (size_t)(p + bytes + extra - (start + bytes)));
	/* advice only: where the kernel has no huge pages to give, 4 KiB pages back it */
	madvise(start, bytes, MADV_HUGEPAGE);
	return start;
}

void rp_arena_init(struct rp_arena *a, size_t hint)
{
	a->blocks = NULL;
	a->hint = hint;
}

static struct rp_arena_block *add_block(struct rp_arena *a, size_t bytes)
{
	size_t header = round_up(sizeof(struct rp_arena_block), ALIGN_BYTES), size;
	struct rp_arena_block *b;

	if (bytes > SIZE_MAX / 2 || a->hint > SIZE_MAX / 2)
		return NULL;
	size = round_up(header + (bytes > a->hint ? bytes : a->hint), HUGE_BYTES);
	b = map_aligned(size);
	if (!b)
		return NULL;
	b->next = a->blocks;
	b->bytes = size;
	b->used = header;
	a->blocks = b;
	ASAN_POISON_MEMORY_REGION((char *)b + header, size - header);
	return b;
}

void *rp_arena_zalloc(struct rp_arena *a, size_t bytes)
{
	struct rp_arena_block *b = a->blocks;
	size_t need = round_up(bytes, ALIGN_BYTES);

	if (need < bytes)
		return NULL;
	if (!b || b->bytes - b->used < need)
		b = add_block(a, need);
	if (!b)
		return NULL;
	b->used += need;
	ASAN_UNPOISON_MEMORY_REGION((char *)b + b->used - need, bytes);
	return (char *)b + b->used - need;
}

void rp_arena_free(struct rp_arena *a)
{
	while (a->blocks) {
		struct rp_arena_block *b = a->blocks;

		a->blocks = b->next;
		/* the next mapping here starts clean */
		ASAN_UNPOISON_MEMORY_REGION(b, b->bytes);
		munmap(b, b->bytes);
	}
}
