// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Per-page planes: uniform bits in the 2 MiB descriptor, or a 64-byte
 * bitmap block from the pool when a chunk's pages disagree.  Range updates
 * keep every chunk canonical (a block is never uniform; a mixed plane's
 * value bit is 0, unless the plane is unknown) and keep the 1 GiB summaries
 * current, so that the fault path reads a descriptor and a summary and
 * never a bitmap.  A lossy plane (PMP_LOSSY_PLANES) that needs a block when
 * none is free becomes unknown: mixed and value bits both set, no block;
 * so does one whose block an exact plane takes back when none is free.
 */
#include "internal.h"

#define SUMMARY_MASK ((uint16_t)((1U << PMP_NR_SUMMARY_PLANES) - 1))

static uint32_t chain_head(const struct pmp_chunk *c)
{
	return c->blocks & PMP_CHUNK_BLOCK_MASK;
}

static void set_chain_head(struct pmp_chunk *c, uint32_t head)
{
	c->blocks = (c->blocks & ~PMP_CHUNK_BLOCK_MASK) | head;
}

/* Planes of @c that hold a block in its chain (mixed and not unknown). */
static uint16_t chained(const struct pmp_chunk *c)
{
	return c->mixed & (uint16_t)~c->value;
}

/* Planes of @c reading 1 where not chained: uniform 1, or unknown. */
static bool reads_one(const struct pmp_chunk *c, unsigned int plane)
{
	return c->value & PMP_BIT(plane);
}

static uint32_t *lossy_set(const struct pmp_vm *vm)
{
	return pmp_at(vm, vm->off_lossy);
}

/* Blocks in @c's chain: its planes', then its deferral bitmap. */
static unsigned int chain_len(const struct pmp_chunk *c)
{
	return pmp_weight16(chained(c)) + !!(c->blocks & PMP_CF_DEFERRED);
}

static uint32_t chain_nth(const struct pmp_vm *vm, const struct pmp_chunk *c, unsigned int k);

/*
 * The link of a chain's last block (chain_len() says where a chain ends):
 * for a chunk in the lossy set, its place there, its back-pointer.
 */
static uint32_t *tail_link(const struct pmp_vm *vm, const struct pmp_chunk *c)
{
	return &pmp_links(vm)[chain_nth(vm, c, chain_len(c) - 1)];
}

/* Chunk @c took its first lossy block (linked): it joins the lossy set. */
static void lossy_join(struct pmp_vm *vm, const struct pmp_chunk *c)
{
	lossy_set(vm)[vm->lossy_chunks] = (uint32_t)(c - pmp_cchunks(vm));
	*tail_link(vm, c) = vm->lossy_chunks++;
}

/* The chunk at place @at gave back its last lossy block: the set's last entry moves there. */
static void lossy_leave(struct pmp_vm *vm, uint32_t at)
{
	uint32_t last = lossy_set(vm)[--vm->lossy_chunks];

	if (at == vm->lossy_chunks)
		return;
	lossy_set(vm)[at] = last;
	*tail_link(vm, &pmp_cchunks(vm)[last]) = at;
}

static void chain_remove(struct pmp_vm *vm, struct pmp_chunk *c, unsigned int plane);

/*
 * What chunk @c stops changed (its summary planes, its accept or deferral
 * flag): the fault path's verdict bytes follow (level.c).  Every writer of
 * those fields calls this, and only this, so the faults pay nothing.
 */
static void chunk_changed(struct pmp_vm *vm, const struct pmp_chunk *c)
{
	pmp_chunk_verdict(vm, c);
}

/*
 * No block is free: an exact plane takes them back from the lossy planes
 * of the next chunk of the lossy set by a clock, all of them at once (one
 * unknown plane costs a chunk its huge pages as much as nine do): they go
 * unknown, still mixed, so its 1 GiB summary stays.  At most nine blocks:
 * O(1).  Callers reserved with pmp_pool_room(), so the set is not empty.
 */
static void lossy_evict(struct pmp_vm *vm)
{
	uint32_t cc = lossy_set(vm)[vm->lossy_clock++ % vm->lossy_chunks];
	struct pmp_chunk *c = &pmp_cchunks(vm)[cc];
	uint16_t planes = chained(c) & PMP_LOSSY_PLANES, todo;

	for (todo = planes; todo; todo &= (uint16_t)(todo - 1))
		chain_remove(vm, c, (unsigned int)__builtin_ctz(todo));
	c->mixed |= planes;
	c->value |= planes;
	chunk_changed(vm, c);
}

/*
 * Can @plane take a block?  Exact planes always can: their callers
 * reserved room, lossy blocks included.  Lossy ones only a free block.
 */
static bool block_available(const struct pmp_vm *vm, unsigned int plane)
{
	return !(PMP_LOSSY_PLANES & PMP_BIT(plane)) || pmp_block_free(vm);
}

/*
 * The pool: a block given back (the free list, LIFO), else one never
 * taken (the frontier's next), else a lossy chunk's, evicted onto the
 * list.  The list, emptied before the frontier moves, holds what a list of
 * every block in index order would hold before its untouched tail.
 */
static uint32_t block_alloc(struct pmp_vm *vm)
{
	uint32_t b;

	if (!pmp_block_free(vm))
		lossy_evict(vm);
	if (vm->free_head) {
		b = vm->free_head - 1;
		vm->free_head = pmp_links(vm)[b];
	} else {
		b = vm->pool_fresh++;
	}
	if (++vm->pool_used > vm->pool_high_water)
		vm->pool_high_water = vm->pool_used;
	pmp_pool_stop_set(vm);
	return b;
}

static void block_free(struct pmp_vm *vm, uint32_t b)
{
	pmp_links(vm)[b] = vm->free_head;
	vm->free_head = b + 1;
	vm->pool_used--;
	pmp_pool_stop_set(vm);
}

/* Block index of the k-th block of a chunk's chain. */
static uint32_t chain_nth(const struct pmp_vm *vm, const struct pmp_chunk *c, unsigned int k)
{
	const uint32_t *links = pmp_links(vm);
	uint32_t b = chain_head(c) - 1;

	while (k--)
		b = links[b] - 1;
	return b;
}

/* Position of @plane's block in the chain: chained planes below it. */
static unsigned int chain_pos(const struct pmp_chunk *c, unsigned int plane)
{
	return pmp_weight16(chained(c) & (PMP_BIT(plane) - 1U));
}

static struct pmp_block *plane_block(const struct pmp_vm *vm, const struct pmp_chunk *c,
				     unsigned int plane)
{
	return &pmp_blocks(vm)[chain_nth(vm, c, chain_pos(c, plane))];
}

/*
 * Link block @b in as @plane's.  A new last block takes over the tail's
 * link (it stays the chunk's back-pointer).
 */
static void chain_insert(struct pmp_vm *vm, struct pmp_chunk *c, unsigned int plane, uint32_t b)
{
	uint32_t *links = pmp_links(vm);
	unsigned int k = chain_pos(c, plane);
	bool lossy = PMP_LOSSY_PLANES & PMP_BIT(plane);
	bool joins = lossy && !(chained(c) & PMP_LOSSY_PLANES);

	if (!k) {
		links[b] = chain_len(c) ? chain_head(c) : 0;
		set_chain_head(c, b + 1);
	} else {
		uint32_t prev = chain_nth(vm, c, k - 1);

		links[b] = links[prev];
		links[prev] = b + 1;
	}
	c->mixed |= PMP_BIT(plane);
	vm->pin_blocks += plane == PMP_PLANE_PINNED;
	if (lossy) {
		vm->lossy_used++;
		pmp_pool_stop_set(vm);
		if (joins)
			lossy_join(vm, c);
	}
}

/* Unlink @plane's block; a removed last block leaves its link to the new last. */
static void chain_remove(struct pmp_vm *vm, struct pmp_chunk *c, unsigned int plane)
{
	uint32_t *links = pmp_links(vm);
	unsigned int k = chain_pos(c, plane);
	bool lossy = PMP_LOSSY_PLANES & PMP_BIT(plane);
	/* its last lossy block: the chunk leaves the set, at the place its tail says */
	bool leaves = lossy && (chained(c) & PMP_LOSSY_PLANES) == PMP_BIT(plane);
	uint32_t b, at = leaves ? *tail_link(vm, c) : 0;

	if (!k) {
		b = chain_head(c) - 1;
		set_chain_head(c, chain_len(c) > 1 ? links[b] : 0);
	} else {
		uint32_t prev = chain_nth(vm, c, k - 1);

		b = links[prev] - 1;
		links[prev] = links[b];
	}
	block_free(vm, b);
	c->mixed &= (uint16_t)~PMP_BIT(plane);
	vm->pin_blocks -= plane == PMP_PLANE_PINNED;
	if (lossy) {
		vm->lossy_used--;
		pmp_pool_stop_set(vm);
		if (leaves)
			lossy_leave(vm, at);
	}
}

/*
 * The deferral bitmap of a chunk (inval.c): the punched pages whose
 * invalidation waits.  It is no plane: it sits at the tail of the chunk's
 * chain, after the planes' blocks, iff the chunk has PMP_CF_DEFERRED, so
 * plane inserts and removes (which stop before the tail) leave it alone.
 */
struct pmp_block *pmp_defer_block(const struct pmp_vm *vm, uint64_t ci)
{
	return pmp_chunk_defer_block(vm, pmp_chunk_at(vm, ci));
}

/* The same for a chunk the caller holds. */
struct pmp_block *pmp_chunk_defer_block(const struct pmp_vm *vm, const struct pmp_chunk *c)
{
	if (!(c->blocks & PMP_CF_DEFERRED))
		return NULL;
	return &pmp_blocks(vm)[chain_nth(vm, c, pmp_weight16(chained(c)))];
}

/*
 * May a punch defer into a new bitmap?  Deferral is an optimisation: it
 * takes a free block only (never a lossy plane's), and only while the pins
 * keep the room the default pool reserved for them (pin_reserve: an SEV
 * pin has no flush to fall back on).  A conversion that finds the pool
 * full flushes deferred chunks to get their blocks back (convert.c), so
 * deferral never costs the private attributes their room.  No room: the
 * punch is invalidated at once (inval.c), which is always sound.
 */
bool pmp_defer_room(const struct pmp_vm *vm)
{
	uint32_t pins_may_need = vm->pin_reserve > vm->pin_blocks ?
				 vm->pin_reserve - vm->pin_blocks : 0;

	return pmp_block_free(vm) && pmp_pool_room(vm) > pins_may_need;
}

/* Give chunk @ci (with state) an empty deferral bitmap; the caller checked pmp_defer_room(). */
struct pmp_block *pmp_defer_attach(struct pmp_vm *vm, uint64_t ci)
{
	struct pmp_chunk *c = pmp_chunk_at(vm, ci);
	uint32_t b = block_alloc(vm);	/* a free one: pmp_defer_room() */
	unsigned int k = pmp_weight16(chained(c));

	if (!k) {
		pmp_links(vm)[b] = 0;
		set_chain_head(c, b + 1);
	} else {
		uint32_t *prev = &pmp_links(vm)[chain_nth(vm, c, k - 1)];

		pmp_links(vm)[b] = *prev;	/* the back-pointer moves to the new tail */
		*prev = b + 1;
	}
	pmp_chunk_set_flags(vm, ci, PMP_CF_DEFERRED, 0);
	pmp_memset(&pmp_blocks(vm)[b], 0, sizeof(struct pmp_block));
	return &pmp_blocks(vm)[b];
}

/* Chunk @ci's deferral bitmap goes back to the pool, with its flag. */
void pmp_defer_detach(struct pmp_vm *vm, uint64_t ci)
{
	struct pmp_chunk *c = pmp_chunk_at(vm, ci);
	unsigned int k = pmp_weight16(chained(c));

	if (!k) {
		block_free(vm, chain_head(c) - 1);
		set_chain_head(c, 0);
	} else {
		uint32_t prev = chain_nth(vm, c, k - 1), b = pmp_links(vm)[prev] - 1;

		pmp_links(vm)[prev] = pmp_links(vm)[b];	/* the back-pointer */
		block_free(vm, b);
	}
	pmp_chunk_set_flags(vm, ci, 0, PMP_CF_DEFERRED);
}

/*
 * The block helpers take [lo, hi) as its words lo / 64 .. (hi - 1) / 64,
 * the first masked from lo's bit up, the last up to hi's: the words
 * between need no mask, and a one-page range is one word.
 */
static uint64_t mask_from(unsigned int lo)
{
	return ~0ULL << (lo % 64);
}

static uint64_t mask_below(unsigned int hi)
{
	return ~0ULL >> (63 - (hi - 1) % 64);
}

/* Set bits [lo, hi) of a block to @v. */
void pmp_block_assign(struct pmp_block *blk, unsigned int lo, unsigned int hi, bool v)
{
	unsigned int i, last;
	uint64_t m, fill = v ? ~0ULL : 0;

	if (lo >= hi)
		return;
	i = lo / 64;
	last = (hi - 1) / 64;
	m = mask_from(lo);
	for (; i < last; i++, m = ~0ULL)
		blk->w[i] = (blk->w[i] & ~m) | (fill & m);
	m &= mask_below(hi);
	blk->w[last] = (blk->w[last] & ~m) | (fill & m);
}

/* Set bits among [lo, hi) of a block. */
unsigned int pmp_block_count(const struct pmp_block *blk, unsigned int lo, unsigned int hi)
{
	unsigned int i, last, count = 0;
	uint64_t m;

	if (lo >= hi)
		return 0;
	i = lo / 64;
	last = (hi - 1) / 64;
	m = mask_from(lo);
	for (; i < last; i++, m = ~0ULL)
		count += pmp_weight64(blk->w[i] & m);
	return count + pmp_weight64(blk->w[last] & m & mask_below(hi));
}

/* First bit in [lo, hi) of a block equal to @v, or @hi. */
unsigned int pmp_block_next(const struct pmp_block *blk, unsigned int lo, unsigned int hi,
			       bool v)
{
	uint64_t flip = v ? 0 : ~0ULL, w;
	unsigned int i, last, at;

	if (lo >= hi)
		return hi;
	i = lo / 64;
	last = (hi - 1) / 64;
	for (w = (blk->w[i] ^ flip) & mask_from(lo); !w; w = blk->w[i] ^ flip)
		if (++i > last)
			return hi;
	at = i * 64 + (unsigned int)__builtin_ctzll(w);
	return at < hi ? at : hi;
}

/* 0 or 1 if every bit of the block has that value, -1 if they differ. */
int pmp_block_uniform(const struct pmp_block *blk)
{
	uint64_t first = blk->w[0];
	unsigned int i;

	/* a mixed block (the common case after a small update) stops early */
	if (first && ~first)
		return -1;
	for (i = 1; i < PMP_BLOCK_WORDS; i++)
		if (blk->w[i] != first)
			return -1;
	return first ? 1 : 0;
}

static void set_value(struct pmp_chunk *c, unsigned int plane, bool v)
{
	if (v)
		c->value |= PMP_BIT(plane);
	else
		c->value &= (uint16_t)~PMP_BIT(plane);
}

/*
 * Uniform plane @plane of chunk @c takes a block holding its value, which
 * it is chained to; or, a lossy plane short of one, goes unknown (NULL).
 */
static struct pmp_block *plane_split(struct pmp_vm *vm, struct pmp_chunk *c, unsigned int plane)
{
	bool old = c->value & PMP_BIT(plane);
	struct pmp_block *blk;
	uint32_t b;

	if (!block_available(vm, plane)) {
		c->mixed |= PMP_BIT(plane);
		c->value |= PMP_BIT(plane);
		return NULL;
	}
	b = block_alloc(vm);
	blk = &pmp_blocks(vm)[b];
	pmp_memset(blk, old ? 0xff : 0, sizeof(*blk));
	set_value(c, plane, false);
	chain_insert(vm, c, plane, b);
	return blk;
}

/*
 * Set pages [lo, hi) of one plane of chunk @c to @v.  The pool was checked
 * for exact planes; a lossy one short of a block becomes unknown, and a
 * partial update leaves an unknown plane unknown (its other pages are).
 */
static void chunk_plane_set(struct pmp_vm *vm, struct pmp_chunk *c, unsigned int plane,
			    unsigned int lo, unsigned int hi, bool v)
{
	uint16_t bit = PMP_BIT(plane);
	struct pmp_block *blk;
	int u;

	if (lo == 0 && hi == PMP_CHUNK_PAGES) {
		if (chained(c) & bit)
			chain_remove(vm, c, plane);
		c->mixed &= (uint16_t)~bit;	/* an unknown plane is exact again */
		set_value(c, plane, v);
		return;
	}
	if (c->mixed & c->value & bit)
		return;
	if (!(c->mixed & bit)) {
		if (!!(c->value & bit) == v)
			return;
		blk = plane_split(vm, c, plane);
		if (!blk)
			return;
	} else {
		blk = plane_block(vm, c, plane);
	}
	pmp_block_assign(blk, lo, hi, v);
	u = pmp_block_uniform(blk);
	if (u >= 0) {
		chain_remove(vm, c, plane);
		set_value(c, plane, u);
	}
}

/* The summary planes a child's change moved: its 1 GiB summary must count them. */
static uint16_t summary_changes(struct pmp_chunk old, const struct pmp_chunk *now)
{
	return ((old.value ^ now->value) | (old.mixed ^ now->mixed)) & SUMMARY_MASK;
}

/*
 * Fold one child's change into its 1 GiB summary @g's counts, which leaves
 * the summary's verdict stale (pmp_giant_verdict()).
 */
static void giant_count(struct pmp_giant *g, struct pmp_chunk old, const struct pmp_chunk *now)
{
	uint16_t changed = summary_changes(old, now);
	/* an unknown plane counts as mixed, never as 1 */
	uint16_t was_one = old.value & (uint16_t)~old.mixed, one = now->value & (uint16_t)~now->mixed;
	uint32_t children = PMP_GIANT_CHUNKS;
	uint16_t todo;

	/* the changed planes only: a page's change moves one or two */
	for (todo = changed; todo; todo &= (uint16_t)(todo - 1)) {
		unsigned int p = (unsigned int)__builtin_ctz(todo);
		uint16_t bit = PMP_BIT(p);

		g->nr_mixed[p] += !!(now->mixed & bit) - !!(old.mixed & bit);
		g->nr_ones[p] += !!(one & bit) - !!(was_one & bit);
		if (!g->nr_mixed[p] && (!g->nr_ones[p] || g->nr_ones[p] == children))
			g->uniform |= bit;
		else
			g->uniform &= (uint16_t)~bit;
		if (g->nr_ones[p])
			g->value |= bit;
		else
			g->value &= (uint16_t)~bit;
	}
}

/* Blocks an update of pages [lo, hi) of chunk @c would take from the pool. */
static unsigned int blocks_needed(const struct pmp_chunk *c, unsigned int lo, unsigned int hi,
				  uint16_t mask, uint16_t values)
{
	if (lo == 0 && hi == PMP_CHUNK_PAGES)
		return 0;
	/* lossy planes take a block only if one is spare: never a reservation */
	mask &= (uint16_t)~PMP_LOSSY_PLANES;
	return pmp_weight16(mask & (uint16_t)~c->mixed & (c->value ^ values));
}

/*
 * chunk_plane_set() of pages [lo, hi) (not the whole chunk) for every plane
 * of @mask at once, when none of them takes a block: each is chained, or
 * uniform or unknown with nothing to do.  Its blocks lie in the chain in
 * plane order, so one walk finds them all (a VTL protection sets three
 * planes); those that come out uniform leave the chain afterwards, in
 * plane order, as one plane after another would have left it.  False (and
 * nothing changed) if a plane needs a block.
 */
static bool chunk_planes_assign(struct pmp_vm *vm, struct pmp_chunk *c, unsigned int lo,
				unsigned int hi, uint16_t mask, uint16_t values)
{
	const uint32_t *links = pmp_links(vm);
	uint16_t chain = chained(c), todo = mask & chain, ones = 0, gone = 0, p;
	uint32_t b = chain_head(c) - 1;

	/* not chained, known and not already @values: it would take a block */
	if (mask & ~chain & ~(c->mixed & c->value) & (c->value ^ values))
		return false;
	for (; todo; chain &= (uint16_t)(chain - 1)) {
		uint16_t bit = chain & (uint16_t)-chain;
		struct pmp_block *blk;
		int u;

		if (!(todo & bit)) {
			b = links[b] - 1;
			continue;
		}
		blk = &pmp_blocks(vm)[b];
		pmp_block_assign(blk, lo, hi, values & bit);
		u = pmp_block_uniform(blk);
		if (u >= 0) {
			gone |= bit;
			ones |= u ? bit : 0;
		}
		todo &= (uint16_t)~bit;
		if (todo)
			b = links[b] - 1;
	}
	for (; gone; gone &= (uint16_t)(gone - 1)) {
		p = (uint16_t)__builtin_ctz(gone);
		chain_remove(vm, c, p);
		set_value(c, p, ones & PMP_BIT(p));
	}
	return true;
}

/*
 * chunk_plane_set() of page @i alone.  A uniform plane that takes a block
 * for it cannot come out uniform (a chunk has more than one page), so the
 * block is filled and the bit flipped; a chained one writes the page's
 * word and asks if the block is uniform with it.  The word is written
 * either way: a block that leaves the chain keeps its bytes, as
 * pmp_block_assign() leaves them.
 */
static void page_plane_set(struct pmp_vm *vm, struct pmp_chunk *c, unsigned int plane,
			   unsigned int i, bool v)
{
	uint16_t bit = PMP_BIT(plane);
	uint64_t page = 1ULL << (i % 64), w;
	struct pmp_block *blk;

	if (c->mixed & c->value & bit)
		return;		/* unknown: its other pages are too */
	if (!(c->mixed & bit)) {
		if (!!(c->value & bit) == v)
			return;
		blk = plane_split(vm, c, plane);
		if (blk)
			blk->w[i / 64] ^= page;
		return;
	}
	blk = plane_block(vm, c, plane);
	w = v ? blk->w[i / 64] | page : blk->w[i / 64] & ~page;
	blk->w[i / 64] = w;
	if (pmp_block_uniform_with(blk, i / 64, w)) {
		chain_remove(vm, c, plane);
		set_value(c, plane, v);
	}
}

/*
 * Page @i of chunk @c in the planes of @mask, as a range's update sets a
 * one-page range: plane by plane in plane order (what
 * chunk_planes_assign()'s one walk also comes to when no plane takes a
 * block), the blocks taken and given back in the same order.
 */
static void page_planes_set(struct pmp_vm *vm, struct pmp_chunk *c, unsigned int i,
			    uint16_t mask, uint16_t values)
{
	uint32_t todo;

	for (todo = mask; todo; todo &= todo - 1) {
		unsigned int p = (unsigned int)__builtin_ctz(todo);

		page_plane_set(vm, c, p, i, values & PMP_BIT(p));
	}
}

/*
 * Pages [lo, hi) of chunk @c, in its planes alone (the summary is the
 * caller's): all planes in one walk where none takes a block, else one
 * page by page_planes_set(), a longer range plane by plane.
 */
static void chunk_planes_set(struct pmp_vm *vm, struct pmp_chunk *c, unsigned int lo,
			     unsigned int hi, uint16_t mask, uint16_t values)
{
	uint32_t todo = mask;

	if ((lo || hi < PMP_CHUNK_PAGES) && chunk_planes_assign(vm, c, lo, hi, mask, values)) {
		todo = 0;
	} else if (hi == lo + 1) {
		page_planes_set(vm, c, lo, mask, values);
		return;
	}
	for (; todo; todo &= todo - 1) {
		unsigned int p = (unsigned int)__builtin_ctz(todo);

		chunk_plane_set(vm, c, p, lo, hi, values & PMP_BIT(p));
	}
}

/*
 * Pages [lo, hi) of GPA chunk @ci, whose descriptor @c the caller holds,
 * its 1 GiB summary's counts and its own verdict bytes kept.  The summary
 * whose verdict this left stale, or NULL: a range's update recomputes it
 * once per 1 GiB (a pure function of the counts), not once per chunk.
 */
static inline PMP_FAST_INLINE struct pmp_giant *
chunk_update(struct pmp_vm *vm, uint64_t ci, struct pmp_chunk *c, unsigned int lo, unsigned int hi,
	     uint16_t mask, uint16_t values)
{
	struct pmp_chunk old = *c;
	struct pmp_giant *g;

	/* Already uniform at the wanted values: nothing to do. */
	if (!(mask & (c->mixed | (c->value ^ values))))
		return NULL;
	chunk_planes_set(vm, c, lo, hi, mask, values);
	if (!summary_changes(old, c))
		return NULL;
	g = pmp_giant_at(vm, ci / PMP_GIANT_CHUNKS);
	giant_count(g, old, c);
	chunk_changed(vm, c);
	return g;
}

/* The same, the summary's verdict recomputed. */
static void chunk_set_at(struct pmp_vm *vm, uint64_t ci, struct pmp_chunk *c, unsigned int lo,
			 unsigned int hi, uint16_t mask, uint16_t values)
{
	struct pmp_giant *g = chunk_update(vm, ci, c, lo, hi, mask, values);

	if (g)
		pmp_giant_verdict(g);
}

/* Page @i of GPA chunk @ci (descriptor @c) in the planes of @mask: a one-page range. */
void pmp_chunk_page_apply(struct pmp_vm *vm, uint64_t ci, struct pmp_chunk *c, unsigned int i,
			  uint16_t mask, uint16_t values)
{
	chunk_set_at(vm, ci, c, i, i + 1, mask, values & mask);
}

static void chunk_set(struct pmp_vm *vm, uint64_t ci, unsigned int lo, unsigned int hi,
		      uint16_t mask, uint16_t values)
{
	chunk_set_at(vm, ci, pmp_chunk_at(vm, ci), lo, hi, mask, values);
}

/*
 * Set the planes in @mask of pages [gfn, gfn + npages) to the matching bits
 * of @values.  Only the first and last chunk can need a block, so the pool
 * is checked for them up front and the update cannot fail half-way.
 */
/* Pool blocks pmp_planes_set() would take for this update (range checked). */
unsigned int pmp_planes_blocks_needed(const struct pmp_vm *vm, uint64_t gfn, uint64_t npages,
				      uint16_t mask, uint16_t values)
{
	uint64_t last = gfn + npages - 1;
	uint64_t c0 = gfn >> PMP_CHUNK_SHIFT, c1 = last >> PMP_CHUNK_SHIFT;
	unsigned int lo0 = gfn & (PMP_CHUNK_PAGES - 1);
	unsigned int hi1 = (last & (PMP_CHUNK_PAGES - 1)) + 1;

	if (!mask)
		return 0;
	values &= mask;
	if (c0 == c1)
		return blocks_needed(pmp_chunk_at(vm, c0), lo0, hi1, mask, values);
	return blocks_needed(pmp_chunk_at(vm, c0), lo0, PMP_CHUNK_PAGES, mask, values) +
	       blocks_needed(pmp_chunk_at(vm, c1), 0, hi1, mask, values);
}

int pmp_planes_set(struct pmp_vm *vm, uint64_t gfn, uint64_t npages, uint16_t mask,
		   uint16_t values)
{
	int err;

	/* callers checked the public limit (gfn_end); this is the span's */
	err = pmp_range_check(gfn, npages, vm->span);
	if (err)
		return err;
	err = pmp_pool_reserve(vm, pmp_planes_blocks_needed(vm, gfn, npages, mask, values));
	if (err)
		return err;
	pmp_planes_apply(vm, gfn, npages, mask, values);
	return 0;
}

void pmp_planes_apply(struct pmp_vm *vm, uint64_t gfn, uint64_t npages, uint16_t mask,
		      uint16_t values)
{
	uint64_t last = gfn + npages - 1;
	uint64_t c0 = gfn >> PMP_CHUNK_SHIFT, c1 = last >> PMP_CHUNK_SHIFT, ci;
	unsigned int lo0 = gfn & (PMP_CHUNK_PAGES - 1);
	unsigned int hi1 = (last & (PMP_CHUNK_PAGES - 1)) + 1;

	values &= mask;
	if (c0 == c1) {
		chunk_set(vm, c0, lo0, hi1, mask, values);
		return;
	}
	chunk_set(vm, c0, lo0, PMP_CHUNK_PAGES, mask, values);
	/*
	 * Clearing to the default skips the 1 GiB ranges without state (they
	 * are default already); setting needs the caller's pmp_state_reserve().
	 * The whole chunks between, a directory lookup per 1 GiB.
	 */
	for (ci = c0 + 1; ci < c1;) {
		struct pmp_giant *g, *stale;
		struct pmp_chunk *c;
		uint64_t g_end;

		if (!values && (ci = pmp_state_chunk_next(vm, ci, c1)) == c1)
			break;
		g_end = (ci | (PMP_GIANT_CHUNKS - 1)) + 1;
		stale = NULL;
		for (c = pmp_chunk_at(vm, ci); ci < g_end && ci < c1; ci++, c++) {
			g = chunk_update(vm, ci, c, 0, PMP_CHUNK_PAGES, mask, values);
			if (g)
				stale = g;
		}
		if (stale)
			pmp_giant_verdict(stale);
	}
	chunk_set(vm, c1, 0, hi1, mask, values);
}

/* @plane of page @i of chunk @c, for a caller that holds the chunk. */
bool pmp_chunk_plane_get(const struct pmp_vm *vm, const struct pmp_chunk *c, unsigned int i,
			 unsigned int plane)
{
	if (!(chained(c) & PMP_BIT(plane)))
		return reads_one(c, plane);
	return (plane_block(vm, c, plane)->w[i / 64] >> (i % 64)) & 1;
}

/*
 * Page @i of chunk @c in every plane of @planes at once, as
 * pmp_chunk_plane_get() reads each (a plane not chained: the chunk's bit,
 * 1 if unknown), its blocks found by one walk of the chain.
 */
uint16_t pmp_chunk_page_planes(const struct pmp_vm *vm, const struct pmp_chunk *c, unsigned int i,
			       uint16_t planes)
{
	const uint32_t *links = pmp_links(vm);
	uint16_t chain = chained(c), todo = planes & chain;
	uint16_t bits = c->value & planes & (uint16_t)~chain;
	uint32_t b = chain_head(c) - 1;

	for (; todo; chain &= (uint16_t)(chain - 1)) {
		uint16_t bit = chain & (uint16_t)-chain;

		if ((todo & bit) && ((pmp_blocks(vm)[b].w[i / 64] >> (i % 64)) & 1))
			bits |= bit;
		todo &= (uint16_t)~bit;
		if (todo)
			b = links[b] - 1;
	}
	return bits;
}

bool pmp_plane_get(const struct pmp_vm *vm, uint64_t gfn, unsigned int plane)
{
	return pmp_chunk_plane_get(vm, pmp_chunk_of(vm, gfn), gfn & (PMP_CHUNK_PAGES - 1), plane);
}

/* False if @gfn's @plane is unknown (a lossy plane the pool was short for). */
bool pmp_plane_known(const struct pmp_vm *vm, uint64_t gfn, unsigned int plane)
{
	const struct pmp_chunk *c = pmp_chunk_of(vm, gfn);

	return !(c->mixed & c->value & PMP_BIT(plane));
}

/*
 * Is every page of [gfn, end) (below gfn_end) known to have @plane set?
 * An unknown plane reads as 1 everywhere else; here it is "not known", the
 * answer a promotion needs (every page accepted, not maybe accepted).
 */
bool pmp_plane_all_set(const struct pmp_vm *vm, uint64_t gfn, uint64_t end, unsigned int plane)
{
	uint64_t g;

	if (pmp_plane_next(vm, gfn, end, plane, false) < end)
		return false;
	for (g = gfn; g < end; g = (g | (PMP_CHUNK_PAGES - 1)) + 1)
		if (!pmp_plane_known(vm, g, plane))
			return false;
	return true;
}

/* 0 or 1 if @plane is uniform over chunk @ci, -1 if it is mixed. */
int pmp_plane_uniform(const struct pmp_vm *vm, uint64_t ci, unsigned int plane)
{
	const struct pmp_chunk *c = pmp_chunk_at(vm, ci);

	if (c->mixed & PMP_BIT(plane))
		return -1;
	return !!(c->value & PMP_BIT(plane));
}

/* Pages [lo, hi) of the chunk holding @gfn that lie in [gfn, end). */
static void chunk_span(uint64_t gfn, uint64_t end, unsigned int *lo, unsigned int *hi)
{
	uint64_t stop = (gfn | (PMP_CHUNK_PAGES - 1)) + 1;

	*lo = gfn % PMP_CHUNK_PAGES;
	*hi = (unsigned int)((stop < end ? stop : end) - (gfn - *lo));
}

/* The end of the run of 1 GiB ranges without state from @gfn on (@gfn if it has state). */
static uint64_t stateless_until(const struct pmp_vm *vm, uint64_t gfn, uint64_t end)
{
	uint64_t g;

	if (pmp_state_has(vm, gfn))
		return gfn;
	g = pmp_state_next_giant(vm, (gfn >> PMP_GIANT_SHIFT) + 1,
				 ((end - 1) >> PMP_GIANT_SHIFT) + 1) << PMP_GIANT_SHIFT;
	return g < end ? g : end;
}

/*
 * Set bits of @plane in [gfn, gfn + npages), which lies below gfn_end: a
 * 1 GiB's chunks in a row after one directory lookup (the referee's pin
 * count reads every chunk).
 */
uint64_t pmp_plane_count(const struct pmp_vm *vm, uint64_t gfn, uint64_t npages,
			 unsigned int plane)
{
	uint64_t end = gfn + npages, n = 0;

	while (gfn < end) {
		uint32_t cg = pmp_giant_index(vm, gfn >> PMP_GIANT_SHIFT);
		uint64_t g_end = (gfn | (PMP_GIANT_PAGES - 1)) + 1;
		const struct pmp_chunk *c = &pmp_cchunks(vm)[pmp_cg_chunk_index(cg, gfn)];
		unsigned int lo, hi;

		if (!cg) {	/* no state: every bit 0 */
			gfn = stateless_until(vm, gfn, end);
			continue;
		}
		for (g_end = g_end < end ? g_end : end; gfn < g_end; gfn += hi - lo, c++) {
			chunk_span(gfn, g_end, &lo, &hi);
			if (chained(c) & PMP_BIT(plane))
				n += pmp_block_count(plane_block(vm, c, plane), lo, hi);
			else if (reads_one(c, plane))
				n += hi - lo;
		}
	}
	return n;
}

/*
 * The first gfn in [gfn, end), which lies in one 1 GiB with state (compact
 * giant @cg), whose @plane bit is @value, or @end: its chunks in a row.
 * Inlined in pmp_plane_next(), which ticks and attribute changes call.
 */
static inline PMP_FAST_INLINE
uint64_t giant_plane_next(const struct pmp_vm *vm, uint32_t cg, uint64_t gfn, uint64_t end,
			  unsigned int plane, bool value)
{
	const struct pmp_chunk *c = &pmp_cchunks(vm)[pmp_cg_chunk_index(cg, gfn)];
	unsigned int lo, hi, at;

	for (; gfn < end; gfn += hi - lo, c++) {
		chunk_span(gfn, end, &lo, &hi);
		if (!(chained(c) & PMP_BIT(plane))) {
			if (reads_one(c, plane) == value)
				return gfn;
			continue;
		}
		at = pmp_block_next(plane_block(vm, c, plane), lo, hi, value);
		if (at < hi)
			return gfn + (at - lo);
	}
	return end;
}

/* The first gfn in [gfn, end) whose @plane bit is @value, or @end. */
uint64_t pmp_plane_next(const struct pmp_vm *vm, uint64_t gfn, uint64_t end,
			unsigned int plane, bool value)
{
	while (gfn < end) {
		uint32_t cg = pmp_giant_index(vm, gfn >> PMP_GIANT_SHIFT);
		uint64_t g_end = (gfn | (PMP_GIANT_PAGES - 1)) + 1;

		if (!cg) {	/* no state: every bit 0 */
			if (!value)
				return gfn;
			gfn = stateless_until(vm, gfn, end);
			continue;
		}
		if (g_end > end)
			g_end = end;
		gfn = giant_plane_next(vm, cg, gfn, g_end, plane, value);	/* one lookup a 1 GiB */
		if (gfn < g_end)
			return gfn;
	}
	return end;
}

/*
 * pmp_plane_take_runs()' walk: up to @max maximal runs found into @runs
 * (the first @nr whole; runs[nr] begun while @open), and the pages of the
 * chunk in hand they took, [from, to): the span its clear covers.
 */
struct run_take {
	struct pmp_run *runs;
	unsigned int nr, max;
	bool open;
	unsigned int from, to;
};

static void run_close(struct run_take *t, uint64_t end)
{
	if (!t->open)
		return;
	t->runs[t->nr].npages = end - t->runs[t->nr].gfn;
	t->nr++;
	t->open = false;
}

/* A run starts at @gfn, unless @max are taken: false, the walk stops there. */
static bool run_open(struct run_take *t, uint64_t gfn)
{
	if (t->nr == t->max)
		return false;
	t->runs[t->nr].gfn = gfn;
	t->open = true;
	return true;
}

/*
 * The taken bits of a bitmap clear in place, bit for bit as a run at a
 * time would clear them.  Only a bitmap left all 0 needs the chunk's own
 * clear (its plane uniform, its block back, the summaries); a mixed one
 * changes nothing else, and the span taken is dropped.
 */
static void block_take(struct pmp_block *blk, struct run_take *t)
{
	if (t->to == t->from)
		return;
	pmp_block_assign(blk, t->from, t->to, false);
	if (pmp_block_uniform(blk) < 0)
		t->to = t->from;
}

/*
 * The runs of bitmap @blk over pages [lo, hi) of its chunk (first page
 * @base) into @t, a word at a time: a run's start is a word's lowest 1,
 * and adding that bit carries through the run to its end.  Returns where
 * the walk stopped: @hi, or the first 1 of a run past @max.
 */
static unsigned int bitmap_take_runs(const struct pmp_block *blk, uint64_t base, unsigned int lo,
				     unsigned int hi, struct run_take *t)
{
	unsigned int i, last = (hi - 1) / 64;

	for (i = lo / 64; i <= last; i++) {
		unsigned int at = i * 64, s, e;
		uint64_t m = (i == lo / 64 ? mask_from(lo) : ~0ULL) & (i == last ? mask_below(hi) : ~0ULL);
		uint64_t w = blk->w[i] & m, x;

		if (t->open) {	/* the run begun before goes on to the first 0 */
			x = ~blk->w[i] & m;
			t->to = x ? at + (unsigned int)__builtin_ctzll(x) : (i == last ? hi : at + 64);
			if (!x)
				continue;
			run_close(t, base + t->to);
			w &= ~0ULL << (t->to - at);
		}
		for (; w; w &= x) {
			s = (unsigned int)__builtin_ctzll(w);
			x = w + (1ULL << s);	/* the run cleared, the bit after it set */
			e = x ? (unsigned int)__builtin_ctzll(x) : 64;
			if (!run_open(t, base + at + s))
				return at + s;
			if (t->to == lo)
				t->from = at + s;
			t->to = at + e;
			if (e < 64 && at + e < hi)	/* else it may go on in the next word */
				run_close(t, base + at + e);
		}
	}
	return hi;
}

/*
 * Take the runs of exact @plane over pages [lo, hi) of chunk @c (its
 * first page @base): where the walk stopped, @hi, or the first 1 of a
 * run past @max.  [t->from, t->to) is then what the chunk's clear covers.
 */
static unsigned int chunk_take_runs(const struct pmp_vm *vm, const struct pmp_chunk *c,
				    uint64_t base, unsigned int lo, unsigned int hi,
				    unsigned int plane, struct run_take *t)
{
	struct pmp_block *blk;
	unsigned int at = lo;

	t->from = t->to = lo;	/* nothing taken yet */
	if (!(chained(c) & PMP_BIT(plane))) {
		if (!reads_one(c, plane))
			run_close(t, base + lo);
		else if (!t->open && !run_open(t, base + lo))
			return lo;
		else
			t->to = hi;
		return hi;
	}
	blk = plane_block(vm, c, plane);
	at = bitmap_take_runs(blk, base, lo, hi, t);
	block_take(blk, t);
	return at;
}

/*
 * Take up to @max (>= 1) maximal runs of 1 bits of exact @plane from @gfn
 * to @end into @runs, clearing them, and return how many; *@next is where
 * the next run starts (its first 1, or @end).  One pass: a 1 GiB's chunks
 * after one directory lookup, each chunk cleared once for all the runs it
 * holds (teardown's unpin: a run a time cost a clear and a search each).
 * Maximal runs clear whole chunks or chunks already mixed, so it takes no
 * pool block.
 */
unsigned int pmp_plane_take_runs(struct pmp_vm *vm, uint64_t gfn, uint64_t end, unsigned int plane,
				 struct pmp_run *runs, unsigned int max, uint64_t *next)
{
	struct run_take t = { .runs = runs, .max = max };
	uint16_t bit = PMP_BIT(plane);

	while (gfn < end) {
		uint32_t cg = pmp_giant_index(vm, gfn >> PMP_GIANT_SHIFT);
		uint64_t g_end = (gfn | (PMP_GIANT_PAGES - 1)) + 1;
		struct pmp_chunk *c = &pmp_cchunks(vm)[pmp_cg_chunk_index(cg, gfn)];

		if (!cg) {	/* no state: every bit 0 */
			run_close(&t, gfn);
			gfn = stateless_until(vm, gfn, end);
			continue;
		}
		for (g_end = g_end < end ? g_end : end; gfn < g_end; c++) {
			unsigned int lo, hi, stop;

			chunk_span(gfn, g_end, &lo, &hi);
			stop = chunk_take_runs(vm, c, gfn - lo, lo, hi, plane, &t);
			if (t.to > t.from)
				chunk_set_at(vm, gfn >> PMP_CHUNK_SHIFT, c, t.from, t.to, bit, 0);
			gfn += stop - lo;
			if (stop < hi) {
				*next = gfn;
				return t.nr;
			}
		}
	}
	run_close(&t, end);
	*next = end;
	return t.nr;
}

/*
 * The first gfn in [gfn, end), a range inside chunk @c, where a plane of
 * @planes reads 1, or @end: the least pmp_plane_next(.., true) of them,
 * for a caller that holds the chunk.
 */
uint64_t pmp_planes_next_in(const struct pmp_vm *vm, const struct pmp_chunk *c, uint64_t gfn,
			    uint64_t end, uint16_t planes)
{
	unsigned int lo, hi, p;

	chunk_span(gfn, end, &lo, &hi);
	for (; planes && hi > lo; planes &= (uint16_t)(planes - 1)) {
		p = (unsigned int)__builtin_ctz(planes);
		if (chained(c) & PMP_BIT(p))
			hi = pmp_block_next(plane_block(vm, c, p), lo, hi, true);
		else if (reads_one(c, p))
			hi = lo;
	}
	return gfn + (hi - lo);
}

/* The same from one directory lookup (a VTL change asks its mapped planes). */
uint64_t pmp_chunk_planes_next(const struct pmp_vm *vm, uint64_t gfn, uint64_t end,
			       uint16_t planes)
{
	return pmp_planes_next_in(vm, pmp_chunk_of(vm, gfn), gfn, end, planes);	/* no state: all 0 */
}

/*
 * The next run of pages in [gfn, end) whose @plane bit is @value: returns
 * its start (@end if there is none) and sets *@run_end past its last page.
 */
uint64_t pmp_plane_run(const struct pmp_vm *vm, uint64_t gfn, uint64_t end, unsigned int plane,
		       bool value, uint64_t *run_end)
{
	gfn = pmp_plane_next(vm, gfn, end, plane, value);
	*run_end = gfn < end ? pmp_plane_next(vm, gfn, end, plane, !value) : end;
	return gfn;
}

/*
 * Chunk flags, with the 1 GiB and VM counts and the candidate index that
 * mirror them.  VTL 0's leaf flags (PMP_CF_LEAF) are among them; other
 * VTLs' change through pmp_leaf_set_flags().
 */
void pmp_chunk_set_flags(struct pmp_vm *vm, uint64_t ci, uint32_t set, uint32_t clear)
{
	struct pmp_giant *g;
	struct pmp_chunk *c = pmp_chunk_giant(vm, ci << PMP_CHUNK_SHIFT, &g);
	uint32_t old = c->blocks;

	pmp_chunk_flags_apply(vm, ci, c, g, set, clear);
	/* the fault path's own flag updates never touch these two */
	if ((old ^ c->blocks) & (PMP_CF_INHIBIT | PMP_CF_DEFERRED))
		chunk_changed(vm, c);
}

/* Do chunks @a and @b hold the same state and flags? */
static bool chunk_same(const struct pmp_chunk *a, const struct pmp_chunk *b)
{
	return a->value == b->value && a->mixed == b->mixed && a->blocks == b->blocks;
}

/* Add @n children like chunk @c to the counts of @out. */
static void giant_count_children(struct pmp_giant *out, const struct pmp_chunk *c, uint16_t n)
{
	uint16_t m = c->mixed & SUMMARY_MASK, one = c->value & ~c->mixed & SUMMARY_MASK;

	/* the set bits only: most chunks have few (the check is O(chunks), not O(planes)) */
	for (; m; m &= (uint16_t)(m - 1))
		out->nr_mixed[__builtin_ctz(m)] += n;
	for (; one; one &= (uint16_t)(one - 1))
		out->nr_ones[__builtin_ctz(one)] += n;
	out->nr_huge += c->blocks & PMP_CF_HUGE ? n : 0;
	out->nr_cand += c->blocks & PMP_CF_CAND ? n : 0;
	out->nr_inhibit += c->blocks & PMP_CF_INHIBIT ? n : 0;
	out->nr_backed += c->blocks & PMP_CF_BACKED ? n : 0;
	out->nr_deferred += c->blocks & PMP_CF_DEFERRED ? n : 0;
}

/*
 * Recompute compact giant @cg from its children, as chunk_update() maintains it.
 * A giant's chunks come in long runs of one state (a boot backs, maps and
 * accepts whole giants alike): each run is counted once, times its length.
 */
void pmp_giant_recount(const struct pmp_vm *vm, uint32_t cg, struct pmp_giant *out)
{
	const struct pmp_chunk *c = &pmp_cchunks(vm)[(uint64_t)cg * PMP_GIANT_CHUNKS];
	uint32_t i, j, n = PMP_GIANT_CHUNKS;
	unsigned int p;

	pmp_memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && chunk_same(&c[j], &c[i]); j++)
			;
		giant_count_children(out, &c[i], (uint16_t)(j - i));
	}
	out->flags = pmp_cgiants(vm)[cg].flags;	/* not derived: checked by the mirror */
	for (p = 0; p < PMP_NR_SUMMARY_PLANES; p++) {
		if (!out->nr_mixed[p] && (!out->nr_ones[p] || out->nr_ones[p] == n))
			out->uniform |= PMP_BIT(p);
		if (out->nr_ones[p])
			out->value |= PMP_BIT(p);
	}
	pmp_giant_verdict(out);
}

/*
 * 1^2 + 2^2 + ... + @n^2 modulo 2^64, as the pool's walk adds them up:
 * n(n + 1)(2n + 1) / 6, each divisor taken out of the factor it divides
 * (one of n, n + 1 is even, one of the three a multiple of 3) before the
 * product wraps.  @n < 2^24 (PMP_MAX_POOL_BLOCKS): the factors fit 32 bits.
 */
static uint64_t squares_to(uint32_t n)
{
	uint32_t a = n, b = n + 1, c = 2 * n + 1;

	if (a % 2)
		b /= 2;
	else
		a /= 2;
	if (!(a % 3))
		a /= 3;
	else if (!(b % 3))
		b /= 3;
	else
		c /= 3;
	return (uint64_t)a * b * c;
}

/*
 * Pool invariants, checked without scratch memory: only lossy planes are
 * unknown; the lossy planes hold lossy_used blocks and the pins pin_blocks;
 * the chunks holding
 * some are each once in the lossy set, where their back-pointer says, and
 * nothing else is; every chain is as
 * long as its mask and its deferral flag say, ends there and holds only
 * non-uniform blocks (a deferral bitmap is neither empty nor full); every
 * index is below the frontier; the free list ends; and the chained and
 * listed free indices together are each index below the frontier exactly
 * once (their count, sum and sum of squares match 1..pool_fresh, so a block
 * both chained and free cannot hide behind a leak).  The blocks past the
 * frontier were never taken: nothing to walk.
 */
int pmp_pool_check(const struct pmp_vm *vm)
{
	const struct pmp_chunk *chunks = pmp_cchunks(vm);
	const uint32_t *links = pmp_links(vm);
	uint64_t ci, seen = 0, lossy = 0, sum = 0, sq = 0;
	uint64_t nr_lossy_chunks = 0, pins = 0;
	uint32_t b;

	/* the bound of every index below */
	if (vm->pool_fresh > vm->pool_blocks)
		return -EUCLEAN;
	/* every compact chunk: those without state are all zero */
	for (ci = 0; ci < (uint64_t)vm->nr_giants * PMP_GIANT_CHUNKS; ci++) {
		const struct pmp_chunk *c = &chunks[ci];
		unsigned int k, len;

		/* nothing mixed, no head, no deferral (most chunks): no chain, nothing to count */
		if (!c->mixed && !(c->blocks & (PMP_CF_DEFERRED | PMP_CHUNK_BLOCK_MASK)))
			continue;
		if (c->value & c->mixed & (uint16_t)~PMP_LOSSY_PLANES)
			return -EUCLEAN;
		len = chain_len(c);
		lossy += pmp_weight16(chained(c) & PMP_LOSSY_PLANES);
		pins += !!(chained(c) & PMP_BIT(PMP_PLANE_PINNED));
		b = chain_head(c);
		if (!len && b)
			return -EUCLEAN;
		for (k = 0; k < len; k++) {
			if (!b || b > vm->pool_fresh)
				return -EUCLEAN;
			if (pmp_block_uniform(&pmp_blocks(vm)[b - 1]) >= 0)
				return -EUCLEAN;
			seen++;
			sum += b;
			sq += (uint64_t)b * b;
			if (k + 1 < len)
				b = links[b - 1];
		}
		/* the last link: a member of the lossy set's place there */
		if (chained(c) & PMP_LOSSY_PLANES) {
			uint32_t at = links[b - 1];

			if (at >= vm->lossy_chunks || lossy_set(vm)[at] != ci)
				return -EUCLEAN;
			nr_lossy_chunks++;
		}
	}
	/* each chunk in the set found at its place: the set holds nothing else */
	if (seen != vm->pool_used || lossy != vm->lossy_used ||
	    nr_lossy_chunks != vm->lossy_chunks || pins != vm->pin_blocks)
		return -EUCLEAN;
	for (b = vm->free_head; b; b = links[b - 1]) {
		if (b > vm->pool_fresh || ++seen > vm->pool_fresh)
			return -EUCLEAN;
		sum += b;
		sq += (uint64_t)b * b;
	}
	if (seen != vm->pool_fresh || sum != (uint64_t)vm->pool_fresh * (vm->pool_fresh + 1) / 2 ||
	    sq != squares_to(vm->pool_fresh))
		return -EUCLEAN;
	return vm->pool_used > vm->pool_high_water ? -EUCLEAN : 0;
}

/*
 * The fault path's record (fault.c): pages of the exact planes outside the
 * summary (mapped, pinned) on a chunk the caller holds, without the range
 * machinery.  pmp_chunk_block_pair() (internal.h) finds two planes'
 * blocks in one walk of the chain (NULL: the plane is uniform);
 * pmp_chunk_page_set() (internal.h) sets one page to 1 given its plane's
 * block, and pmp_chunk_page_settle() does the rest when the block may have
 * become uniform or there was none: it takes the pool block the caller
 * checked for when the plane was uniform 0.
 */
void pmp_chunk_page_settle(struct pmp_vm *vm, uint64_t ci, struct pmp_chunk *c, unsigned int i,
			   unsigned int plane, struct pmp_block *blk)
{
	if (!blk) {
		chunk_set_at(vm, ci, c, i, i + 1, PMP_BIT(plane), PMP_BIT(plane));
		return;
	}
	/* this word is full: the block is uniform if every word is */
	if (pmp_block_uniform(blk) < 0)
		return;
	chain_remove(vm, c, plane);
	set_value(c, plane, true);
}

/*
 * pmp_chunk_page_clear() (internal.h) where the page's word came out 0:
 * the block goes back if every word is, as a one-page range's update
 * gives it back.
 */
void pmp_chunk_page_unsettle(struct pmp_vm *vm, struct pmp_chunk *c, unsigned int plane,
			     struct pmp_block *blk)
{
	if (pmp_block_uniform(blk) < 0)
		return;
	chain_remove(vm, c, plane);
	set_value(c, plane, false);
}

/* Set the planes in @mask on all of chunk @c (GPA chunk @ci): a 2 MiB leaf. */
void pmp_chunk_fill(struct pmp_vm *vm, uint64_t ci, struct pmp_chunk *c, uint16_t mask)
{
	chunk_set_at(vm, ci, c, 0, PMP_CHUNK_PAGES, mask, mask);
}

/* Pool blocks pmp_planes_apply() takes for pages [lo, hi) of chunk @c. */
unsigned int pmp_chunk_blocks_needed(const struct pmp_chunk *c, unsigned int lo, unsigned int hi,
				     uint16_t mask, uint16_t values)
{
	return blocks_needed(c, lo, hi, mask, values & mask);
}
