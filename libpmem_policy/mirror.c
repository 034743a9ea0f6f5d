// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The MMU mirror: which leaves the caller's MMU has.  A page is covered by
 * a 1 GiB leaf (its giant has PMP_GF_LEAF), a 2 MiB leaf (its chunk has
 * PMP_CF_HUGE and no 1 GiB leaf), a 4 KiB leaf (its MAPPED bit, neither
 * flag) or nothing.  Under a huge leaf every MAPPED bit is set, and a
 * 1 GiB leaf's chunks all carry PMP_CF_HUGE, so "has 4 KiB leaves" (with
 * "not blocked", the merge candidate flag) is one test per chunk.
 */
#include "internal.h"

#define GIANT_PAGES PMP_GIANT_PAGES

static bool chunk_mapped(const struct pmp_chunk *c)
{
	return (c->mixed | c->value) & PMP_BIT(PMP_PLANE_MAPPED);
}

/*
 * Re-derive a chunk's candidate flag: it has 4 KiB leaves and no merge tick
 * blocked them (a blocked chunk waits for its fault, not for a tick).  A
 * chunk with nothing mapped, or one huge leaf, is not blocked.
 */
void pmp_mirror_refresh(struct pmp_vm *vm, uint64_t ci)
{
	const struct pmp_chunk *c = pmp_chunk_at(vm, ci);
	bool small = chunk_mapped(c) && !(c->blocks & PMP_CF_HUGE);
	uint32_t set = 0, clear = PMP_CF_SEEN;	/* its leaves changed: not settled */

	if (!small)
		clear |= PMP_CF_BLOCKED;
	if (small && !(c->blocks & PMP_CF_BLOCKED))
		set |= PMP_CF_CAND;
	else
		clear |= PMP_CF_CAND;
	pmp_chunk_set_flags(vm, ci, set, clear);
}

int pmp_leaf_level(const struct pmp_vm *vm, uint64_t gfn)
{
	if (gfn >= vm->gfn_end)
		return -ERANGE;
	if (pmp_giant_of(vm, gfn)->flags & PMP_GF_LEAF)
		return PMP_LEVEL_1G;
	if (pmp_chunk_of(vm, gfn)->blocks & PMP_CF_HUGE)
		return PMP_LEVEL_2M;
	return pmp_plane_get(vm, gfn, PMP_PLANE_MAPPED) ? PMP_LEVEL_4K : 0;
}

/* Break the leaf at @level covering @gfn into leaves one level smaller. */
void pmp_mirror_unleaf(struct pmp_vm *vm, uint64_t gfn, int level)
{
	if (level == PMP_LEVEL_1G)
		pmp_giant_of(vm, gfn)->flags &= (uint16_t)~PMP_GF_LEAF;
	else if (level == PMP_LEVEL_2M) {
		pmp_chunk_set_flags(vm, gfn >> PMP_CHUNK_SHIFT, 0, PMP_CF_HUGE);
		pmp_mirror_refresh(vm, gfn >> PMP_CHUNK_SHIFT);
	}
}

/*
 * Record a new leaf at @level covering @gfn, replacing what was there.  A
 * smaller leaf inside a larger one means the caller split the larger one
 * itself (KVM does, e.g. for an NX exec fault), so the mirror does too.
 * For a 4 KiB leaf the caller has checked the pool has a block (a huge
 * leaf makes its chunks uniform and takes none), so the planes are
 * updated without checking again: this is the fault path.
 */
void pmp_mirror_map(struct pmp_vm *vm, uint64_t gfn, int level)
{
	uint64_t pages = PMP_LEVEL_PAGES(level), head = gfn & ~(pages - 1), ci;

	if (level < PMP_LEVEL_1G && (pmp_giant_of(vm, gfn)->flags & PMP_GF_LEAF))
		pmp_mirror_unleaf(vm, gfn, PMP_LEVEL_1G);
	if (level < PMP_LEVEL_2M && (pmp_chunk_of(vm, gfn)->blocks & PMP_CF_HUGE))
		pmp_mirror_unleaf(vm, gfn, PMP_LEVEL_2M);
	pmp_planes_apply(vm, head, pages, PMP_BIT(PMP_PLANE_MAPPED), PMP_BIT(PMP_PLANE_MAPPED));
	if (level == PMP_LEVEL_4K) {
		pmp_mirror_refresh(vm, gfn >> PMP_CHUNK_SHIFT);
		return;
	}
	for (ci = head >> PMP_CHUNK_SHIFT; ci < (head + pages) >> PMP_CHUNK_SHIFT; ci++)
		pmp_chunk_set_flags(vm, ci, PMP_CF_HUGE, PMP_CF_CAND | PMP_CF_BLOCKED);
	if (level == PMP_LEVEL_1G)
		pmp_giant_of(vm, gfn)->flags |= PMP_GF_LEAF;
}

/* Start of the leaf covering @gfn if it is huge, else @gfn itself. */
static uint64_t leaf_start(const struct pmp_vm *vm, uint64_t gfn)
{
	if (pmp_giant_of(vm, gfn)->flags & PMP_GF_LEAF)
		return gfn & ~(GIANT_PAGES - 1);
	if (pmp_chunk_of(vm, gfn)->blocks & PMP_CF_HUGE)
		return gfn & ~(uint64_t)(PMP_CHUNK_PAGES - 1);
	return gfn;
}

/* End of the leaf covering @gfn - 1 if it is huge, else @gfn itself. */
static uint64_t leaf_end(const struct pmp_vm *vm, uint64_t gfn)
{
	if (pmp_giant_of(vm, gfn - 1)->flags & PMP_GF_LEAF)
		return ((gfn - 1) | (GIANT_PAGES - 1)) + 1;
	if (pmp_chunk_of(vm, gfn - 1)->blocks & PMP_CF_HUGE)
		return ((gfn - 1) | (PMP_CHUNK_PAGES - 1)) + 1;
	return gfn;
}

/* The range a zap of [gfn, gfn + npages) really clears: crossing huge leaves whole. */
void pmp_mirror_extent(const struct pmp_vm *vm, uint64_t gfn, uint64_t npages, uint64_t *lo,
		       uint64_t *hi)
{
	*lo = leaf_start(vm, gfn);
	*hi = leaf_end(vm, gfn + npages);
}

/*
 * Remove every leaf intersecting [gfn, gfn + npages), as KVM's zap does: a
 * huge leaf crossing an edge goes whole.  Widening only adds whole chunks,
 * so the pool need is that of clearing MAPPED on the range itself.
 */
void pmp_mirror_zap(struct pmp_vm *vm, uint64_t gfn, uint64_t npages)
{
	uint64_t lo = leaf_start(vm, gfn), hi = leaf_end(vm, gfn + npages), ci, g;
	uint64_t g_end = ((hi - 1) >> PMP_GIANT_SHIFT) + 1, c_end = ((hi - 1) >> PMP_CHUNK_SHIFT) + 1;

	/* only 1 GiB ranges with state can have leaves */
	for (g = pmp_state_next_giant(vm, lo >> PMP_GIANT_SHIFT, g_end); g < g_end;
	     g = pmp_state_next_giant(vm, g + 1, g_end))
		pmp_giant_at(vm, g)->flags &= (uint16_t)~PMP_GF_LEAF;
	pmp_planes_set(vm, lo, hi - lo, PMP_BIT(PMP_PLANE_MAPPED), 0);
	for (ci = pmp_state_chunk_next(vm, lo >> PMP_CHUNK_SHIFT, c_end); ci < c_end;
	     ci = pmp_state_chunk_next(vm, ci + 1, c_end)) {
		if (pmp_chunk_at(vm, ci)->blocks & PMP_CF_HUGE)
			pmp_chunk_set_flags(vm, ci, 0, PMP_CF_HUGE);
		pmp_mirror_refresh(vm, ci);
	}
}

/* Is there a huge leaf of exactly @level (2 MiB or 1 GiB) intersecting the range? */
bool pmp_mirror_any_leaf(const struct pmp_vm *vm, uint64_t gfn, uint64_t npages, int level)
{
	uint64_t last = gfn + npages - 1, i, end;

	/* only 1 GiB ranges with state can have leaves */
	if (level == PMP_LEVEL_1G) {
		end = (last >> PMP_GIANT_SHIFT) + 1;
		for (i = pmp_state_next_giant(vm, gfn >> PMP_GIANT_SHIFT, end); i < end;
		     i = pmp_state_next_giant(vm, i + 1, end))
			if (pmp_giant_at(vm, i)->flags & PMP_GF_LEAF)
				return true;
		return false;
	}
	end = (last >> PMP_CHUNK_SHIFT) + 1;
	for (i = pmp_state_chunk_next(vm, gfn >> PMP_CHUNK_SHIFT, end); i < end;
	     i = pmp_state_chunk_next(vm, i + 1, end)) {
		if (!(pmp_giant_at(vm, i / PMP_GIANT_CHUNKS)->flags & PMP_GF_LEAF) &&
		    (pmp_chunk_at(vm, i)->blocks & PMP_CF_HUGE))
			return true;
	}
	return false;
}

/*
 * Mirror invariants: 1 GiB leaves sit on huge, fully mapped chunks; huge
 * chunks are fully mapped; candidate and blocked flags match the leaves;
 * counts of candidates and pins match their bits.
 */
int pmp_mirror_check(const struct pmp_vm *vm)
{
	uint64_t ci, nr_cand = 0;

	/* every compact chunk: those without state are all zero */
	for (ci = 0; ci < (uint64_t)vm->nr_giants * PMP_GIANT_CHUNKS; ci++) {
		const struct pmp_chunk *c = &pmp_cchunks(vm)[ci];
		const struct pmp_giant *g = &pmp_cgiants(vm)[ci / PMP_GIANT_CHUNKS];
		uint32_t f = c->blocks;
		bool full = !(c->mixed & PMP_BIT(PMP_PLANE_MAPPED)) &&
			    (c->value & PMP_BIT(PMP_PLANE_MAPPED));
		bool small = chunk_mapped(c) && !(f & PMP_CF_HUGE);
		bool cand = small && !(f & PMP_CF_BLOCKED);

		if (((g->flags & PMP_GF_LEAF) && !(f & PMP_CF_HUGE)) ||
		    (cand && !(pmp_cand_map(vm)[ci / 64] & (1ULL << (ci % 64)))) ||
		    ((f & PMP_CF_HUGE) && !full) || !!(f & PMP_CF_CAND) != cand ||
		    ((f & PMP_CF_BLOCKED) && !small))
			return -EUCLEAN;
		nr_cand += cand;
	}
	if (nr_cand != vm->nr_cand || vm->nr_pinned > vm->pin_high_water ||
	    pmp_plane_count(vm, 0, vm->span, PMP_PLANE_PINNED) !=
	    vm->nr_pinned)
		return -EUCLEAN;
	return 0;
}
