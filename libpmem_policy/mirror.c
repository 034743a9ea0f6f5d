// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The MMU mirror: which leaves the caller's MMU has, one leaf record per
 * VTL (each VTL has its own page tables).  In VTL v a page is covered by a
 * 1 GiB leaf (pmp_giant_leaf()), a 2 MiB leaf (PMP_CF_HUGE in v's leaf
 * flags of its chunk, no 1 GiB leaf), a 4 KiB leaf (its bit in v's mapped
 * plane, neither flag) or nothing.  Under a huge leaf every mapped bit is
 * set, and a 1 GiB leaf's chunks all carry PMP_CF_HUGE, so "has 4 KiB
 * leaves" (with "not blocked", the merge candidate flag) is one test per
 * chunk and VTL.  VTL 0's record lives in the chunk descriptor and the
 * 1 GiB summary, so a VM with one VTL reads nothing more than before.
 */
#include "internal.h"

#define GIANT_PAGES PMP_GIANT_PAGES

static bool chunk_mapped(const struct pmp_chunk *c, unsigned int vtl)
{
	return (c->mixed | c->value) & PMP_BIT(pmp_mapped_plane(vtl));
}

/*
 * pmp_leaf_set_flags() for VTL @vtl >= 1: its byte per chunk, its 1 GiB
 * counts, the VM's candidates and the candidate index the VTLs share.
 */
void pmp_vtl_leaf_set_flags(struct pmp_vm *vm, uint64_t ci, unsigned int vtl, uint32_t set,
			    uint32_t clear)
{
	const struct pmp_chunk *c = pmp_chunk_at(vm, ci);
	uint64_t i = (uint64_t)(c - pmp_cchunks(vm));
	uint32_t old = pmp_leaf_flags_at(vm, c, vtl), now = ((old & ~clear) | set) & PMP_CF_LEAF;
	uint32_t up, down;
	struct pmp_vtl_giant *vg;

	if (!(now & PMP_CF_CAND))
		now &= ~PMP_CF_PARKED;	/* parked only while a candidate */
	up = now & ~old;
	down = old & ~now;

	if (now == old)
		return;		/* never write a chunk without state */
	vg = &pmp_vtl_giants(vm, vtl)[i / PMP_GIANT_CHUNKS];
	pmp_vtl_chunks(vm, vtl)[i] = (uint8_t)(now >> PMP_CF_LEAF_SHIFT);
	vg->nr_huge += !!(up & PMP_CF_HUGE) - !!(down & PMP_CF_HUGE);
	vg->nr_cand += !!(up & PMP_CF_CAND) - !!(down & PMP_CF_CAND);
	vm->nr_cand += !!(up & PMP_CF_CAND) - !!(down & PMP_CF_CAND);
	pmp_cand_index(vm, i, up | down, now);
}

/* Set or clear VTL @vtl's 1 GiB leaf flag of GPA giant @g (which has state if set). */
static void giant_leaf_set(struct pmp_vm *vm, uint64_t g, unsigned int vtl, bool on)
{
	uint32_t cg = pmp_giant_index(vm, g);
	uint16_t *flags = vtl ? &pmp_vtl_giants(vm, vtl)[cg].flags : &pmp_cgiants(vm)[cg].flags;
	uint16_t now = on ? (uint16_t)(*flags | PMP_GF_LEAF) : (uint16_t)(*flags & ~PMP_GF_LEAF);

	if (now != *flags)
		*flags = now;	/* never write a giant without state */
}

/*
 * Re-derive VTL @vtl's candidate flag of a chunk (pmp_refresh_flags()): it
 * has 4 KiB leaves and no merge tick blocked them (a blocked chunk waits
 * for its fault, not for a tick).
 */
void pmp_mirror_refresh(struct pmp_vm *vm, uint64_t ci, unsigned int vtl)
{
	const struct pmp_chunk *c = pmp_chunk_at(vm, ci);
	uint32_t f = pmp_leaf_flags_at(vm, c, vtl), clear;
	uint32_t set = pmp_refresh_flags(f, chunk_mapped(c, vtl), &clear);

	if (((f & ~clear) | set) != f)	/* a 4 KiB fault in a candidate changes nothing */
		pmp_leaf_set_flags(vm, ci, vtl, set, clear);
}

int pmp_vtl_leaf_level(const struct pmp_vm *vm, unsigned int vtl, uint64_t gfn)
{
	if (gfn >= vm->gfn_end)
		return -ERANGE;
	if (vtl >= vm->nr_vtls)
		return -EINVAL;
	if (pmp_giant_leaf(vm, gfn >> PMP_GIANT_SHIFT, vtl))
		return PMP_LEVEL_1G;
	if (pmp_leaf_flags(vm, gfn >> PMP_CHUNK_SHIFT, vtl) & PMP_CF_HUGE)
		return PMP_LEVEL_2M;
	return pmp_plane_get(vm, gfn, pmp_mapped_plane(vtl)) ? PMP_LEVEL_4K : 0;
}

int pmp_leaf_level(const struct pmp_vm *vm, uint64_t gfn)
{
	return pmp_vtl_leaf_level(vm, 0, gfn);
}

/* Break VTL @vtl's leaf at @level covering @gfn into leaves one level smaller. */
void pmp_mirror_unleaf(struct pmp_vm *vm, unsigned int vtl, uint64_t gfn, int level)
{
	if (level == PMP_LEVEL_1G) {
		giant_leaf_set(vm, gfn >> PMP_GIANT_SHIFT, vtl, false);
	} else if (level == PMP_LEVEL_2M) {
		pmp_leaf_set_flags(vm, gfn >> PMP_CHUNK_SHIFT, vtl, 0, PMP_CF_HUGE);
		pmp_mirror_refresh(vm, gfn >> PMP_CHUNK_SHIFT, vtl);
	}
}

/*
 * Record a new leaf of VTL @vtl at @level covering @gfn, replacing what was
 * there.  A smaller leaf inside a larger one means the caller split the
 * larger one itself (KVM does, e.g. for an NX exec fault), so the mirror
 * does too.  For a 4 KiB leaf the caller has checked the pool has a block
 * (a huge leaf makes its chunks uniform and takes none), so the plane is
 * updated without checking again: this is the fault path.
 */
void pmp_mirror_map(struct pmp_vm *vm, unsigned int vtl, uint64_t gfn, int level)
{
	uint64_t pages = PMP_LEVEL_PAGES(level), head = gfn & ~(pages - 1), ci;
	uint16_t mapped = PMP_BIT(pmp_mapped_plane(vtl));

	if (level < PMP_LEVEL_1G && pmp_giant_leaf(vm, gfn >> PMP_GIANT_SHIFT, vtl))
		pmp_mirror_unleaf(vm, vtl, gfn, PMP_LEVEL_1G);
	if (level < PMP_LEVEL_2M && (pmp_leaf_flags(vm, gfn >> PMP_CHUNK_SHIFT, vtl) & PMP_CF_HUGE))
		pmp_mirror_unleaf(vm, vtl, gfn, PMP_LEVEL_2M);
	pmp_planes_apply(vm, head, pages, mapped, mapped);
	if (level == PMP_LEVEL_4K) {
		pmp_mirror_refresh(vm, gfn >> PMP_CHUNK_SHIFT, vtl);
		return;
	}
	for (ci = head >> PMP_CHUNK_SHIFT; ci < (head + pages) >> PMP_CHUNK_SHIFT; ci++)
		pmp_leaf_set_flags(vm, ci, vtl, PMP_CF_HUGE, PMP_CF_CAND | PMP_CF_BLOCKED);
	if (level == PMP_LEVEL_1G)
		giant_leaf_set(vm, gfn >> PMP_GIANT_SHIFT, vtl, true);
}

/* Start of VTL @vtl's leaf covering @gfn if it is huge, else @gfn itself. */
static uint64_t leaf_start(const struct pmp_vm *vm, unsigned int vtl, uint64_t gfn)
{
	if (pmp_giant_leaf(vm, gfn >> PMP_GIANT_SHIFT, vtl))
		return gfn & ~(GIANT_PAGES - 1);
	if (pmp_leaf_flags(vm, gfn >> PMP_CHUNK_SHIFT, vtl) & PMP_CF_HUGE)
		return gfn & ~(uint64_t)(PMP_CHUNK_PAGES - 1);
	return gfn;
}

/* End of VTL @vtl's leaf covering @gfn - 1 if it is huge, else @gfn itself. */
static uint64_t leaf_end(const struct pmp_vm *vm, unsigned int vtl, uint64_t gfn)
{
	if (pmp_giant_leaf(vm, (gfn - 1) >> PMP_GIANT_SHIFT, vtl))
		return ((gfn - 1) | (GIANT_PAGES - 1)) + 1;
	if (pmp_leaf_flags(vm, (gfn - 1) >> PMP_CHUNK_SHIFT, vtl) & PMP_CF_HUGE)
		return ((gfn - 1) | (PMP_CHUNK_PAGES - 1)) + 1;
	return gfn;
}

/*
 * The range a zap of [gfn, gfn + npages) really clears in VTL @vtl (or in
 * any VTL, PMP_VTL_ALL): crossing huge leaves whole.
 */
void pmp_mirror_extent(const struct pmp_vm *vm, unsigned int vtl, uint64_t gfn,
		       uint64_t npages, uint64_t *lo, uint64_t *hi)
{
	unsigned int v, v_end;

	*lo = gfn;
	*hi = gfn + npages;
	for (pmp_vtl_span(vm, vtl, &v, &v_end); v < v_end; v++) {
		uint64_t l = leaf_start(vm, v, gfn), h = leaf_end(vm, v, gfn + npages);

		*lo = l < *lo ? l : *lo;
		*hi = h > *hi ? h : *hi;
	}
}

/* The first page of [gfn, end) a leaf of VTL @vtl (of any VTL: PMP_VTL_ALL) maps, or @end. */
uint64_t pmp_mapped_next(const struct pmp_vm *vm, unsigned int vtl, uint64_t gfn, uint64_t end)
{
	unsigned int v, v_end;
	uint16_t planes = 0;

	pmp_vtl_span(vm, vtl, &v, &v_end);
	if (gfn < end && pmp_one_chunk(gfn, end - gfn)) {
		for (; v < v_end; v++)
			planes |= PMP_BIT(pmp_mapped_plane(v));
		return pmp_chunk_planes_next(vm, gfn, end, planes);	/* one chunk */
	}
	for (; v < v_end; v++)
		end = pmp_plane_next(vm, gfn, end, pmp_mapped_plane(v), true);
	return end;
}

/*
 * pmp_mirror_zap() in VTL @v of a range inside one chunk, from one
 * directory lookup: false (nothing done) if a 1 GiB leaf widens it.
 * Without state there is no leaf; a 2 MiB leaf widens it to its chunk.
 * The mapped planes are lossy: clearing them takes no pool block.
 */
static bool zap_in_chunk(struct pmp_vm *vm, unsigned int v, uint64_t gfn, uint64_t npages)
{
	uint32_t cg = pmp_giant_index(vm, gfn >> PMP_GIANT_SHIFT);
	uint64_t ci = gfn >> PMP_CHUNK_SHIFT;
	const struct pmp_chunk *c;

	if (!cg)
		return true;
	if (pmp_vtl_giant_flags(vm, v, cg) & PMP_GF_LEAF)
		return false;
	c = &pmp_cchunks(vm)[pmp_cg_chunk_index(cg, gfn)];
	if (pmp_leaf_flags_at(vm, c, v) & PMP_CF_HUGE) {
		gfn = ci << PMP_CHUNK_SHIFT;
		npages = PMP_CHUNK_PAGES;
	}
	pmp_planes_apply(vm, gfn, npages, PMP_BIT(pmp_mapped_plane(v)), 0);
	pmp_leaf_set_flags(vm, ci, v, 0, PMP_CF_HUGE);
	pmp_mirror_refresh(vm, ci, v);
	return true;
}

/*
 * After a zap of VTL @v's chunks [ci, c_end): each one's huge flag goes
 * and its leaf flags are derived again.  A chunk with no leaf flag had
 * nothing mapped (pmp_vm_check(): a mapped chunk is a candidate, blocked
 * or huge), so it has nothing to clear or derive: skipped, a 1 GiB's
 * chunks after one directory lookup.
 */
static void zap_leaf_flags(struct pmp_vm *vm, unsigned int v, uint64_t ci, uint64_t c_end)
{
	while ((ci = pmp_state_chunk_next(vm, ci, c_end)) < c_end) {
		uint64_t g_end = (ci | (PMP_GIANT_CHUNKS - 1)) + 1;
		const struct pmp_chunk *c = pmp_chunk_at(vm, ci);

		for (g_end = g_end < c_end ? g_end : c_end; ci < g_end; ci++, c++) {
			if (!pmp_leaf_flags_at(vm, c, v))
				continue;
			pmp_leaf_set_flags(vm, ci, v, 0, PMP_CF_HUGE);
			pmp_mirror_refresh(vm, ci, v);
		}
	}
}

/*
 * Remove every leaf of VTL @vtl (of every VTL: PMP_VTL_ALL) intersecting
 * [gfn, gfn + npages), as KVM's zap does: a huge leaf crossing an edge goes
 * whole.  Widening only adds whole chunks, so the pool need is that of
 * clearing the VTLs' mapped planes on the range itself.
 */
void pmp_mirror_zap(struct pmp_vm *vm, unsigned int vtl, uint64_t gfn, uint64_t npages)
{
	unsigned int v, v_end;

	for (pmp_vtl_span(vm, vtl, &v, &v_end); v < v_end; v++) {
		uint64_t lo, hi, g, g_end, c_end;

		if (pmp_one_chunk(gfn, npages) && zap_in_chunk(vm, v, gfn, npages))
			continue;
		lo = leaf_start(vm, v, gfn);
		hi = leaf_end(vm, v, gfn + npages);
		g_end = ((hi - 1) >> PMP_GIANT_SHIFT) + 1;
		c_end = ((hi - 1) >> PMP_CHUNK_SHIFT) + 1;
		/* only 1 GiB ranges with state can have leaves */
		for (g = pmp_state_next_giant(vm, lo >> PMP_GIANT_SHIFT, g_end); g < g_end;
		     g = pmp_state_next_giant(vm, g + 1, g_end))
			giant_leaf_set(vm, g, v, false);
		pmp_planes_set(vm, lo, hi - lo, PMP_BIT(pmp_mapped_plane(v)), 0);
		zap_leaf_flags(vm, v, lo >> PMP_CHUNK_SHIFT, c_end);
	}
}

/* A huge leaf of exactly @level (2 MiB or 1 GiB) of VTL @vtl intersecting the range? */
static bool any_leaf(const struct pmp_vm *vm, unsigned int vtl, uint64_t gfn, uint64_t npages,
		     int level)
{
	uint64_t last = gfn + npages - 1, i, end;

	/* only 1 GiB ranges with state can have leaves */
	if (level == PMP_LEVEL_1G) {
		end = (last >> PMP_GIANT_SHIFT) + 1;
		for (i = pmp_state_next_giant(vm, gfn >> PMP_GIANT_SHIFT, end); i < end;
		     i = pmp_state_next_giant(vm, i + 1, end))
			if (pmp_giant_leaf(vm, i, vtl))
				return true;
		return false;
	}
	end = (last >> PMP_CHUNK_SHIFT) + 1;
	for (i = pmp_state_chunk_next(vm, gfn >> PMP_CHUNK_SHIFT, end); i < end;
	     i = pmp_state_chunk_next(vm, i + 1, end)) {
		if (!pmp_giant_leaf(vm, i / PMP_GIANT_CHUNKS, vtl) &&
		    (pmp_leaf_flags(vm, i, vtl) & PMP_CF_HUGE))
			return true;
	}
	return false;
}

/* The same in VTL @vtl, or in any VTL (PMP_VTL_ALL). */
bool pmp_mirror_any_leaf(const struct pmp_vm *vm, unsigned int vtl, uint64_t gfn,
			 uint64_t npages, int level)
{
	unsigned int v, v_end;

	for (pmp_vtl_span(vm, vtl, &v, &v_end); v < v_end; v++)
		if (any_leaf(vm, v, gfn, npages, level))
			return true;
	return false;
}

/*
 * One VTL's leaf record: 1 GiB leaves sit on huge chunks; huge chunks are
 * fully mapped; candidate and blocked flags match the leaves; no flag
 * where the VTL maps nothing (so a 1 GiB range without leaves is default
 * state); each candidate is in the shared index.  Counts the VTL's
 * candidates into *@nr_cand, and for VTL >= 1 checks its 1 GiB counts.
 */
static int leaf_record_check(const struct pmp_vm *vm, unsigned int vtl, uint64_t *nr_cand)
{
	uint64_t ci, nr = (uint64_t)vm->nr_giants * PMP_GIANT_CHUNKS;
	uint16_t huge = 0, cand = 0;

	/* every compact chunk: those without state are all zero */
	for (ci = 0; ci < nr; ci++) {
		const struct pmp_chunk *c = &pmp_cchunks(vm)[ci];
		uint32_t cg = (uint32_t)(ci / PMP_GIANT_CHUNKS);
		uint16_t gflags = pmp_vtl_giant_flags(vm, vtl, cg);
		uint32_t f = vtl ? (uint32_t)pmp_vtl_chunks(vm, vtl)[ci] << PMP_CF_LEAF_SHIFT :
				   c->blocks & PMP_CF_LEAF;
		uint16_t bit = PMP_BIT(pmp_mapped_plane(vtl));
		bool full, small, is_cand;
		uint64_t gci;

		/*
		 * Nothing mapped and no flag (most chunks): of the tests below only
		 * the 1 GiB flags' can fail, and there is nothing to count.
		 */
		if (!f && !chunk_mapped(c, vtl)) {
			if ((gflags & PMP_GF_LEAF) || (vtl && (gflags & ~PMP_GF_LEAF)))
				return -EUCLEAN;
			goto next;
		}
		full = !(c->mixed & bit) && (c->value & bit);
		small = chunk_mapped(c, vtl) && !(f & PMP_CF_HUGE);
		is_cand = small && !(f & PMP_CF_BLOCKED);
		gci = (uint64_t)pmp_homes(vm)[cg].giant * PMP_GIANT_CHUNKS + ci % PMP_GIANT_CHUNKS;
		if (((gflags & PMP_GF_LEAF) && !(f & PMP_CF_HUGE)) ||
		    (is_cand && !(f & PMP_CF_PARKED) &&
		     !(pmp_cand_map(vm)[ci / 64] & (1ULL << (ci % 64)))) ||
		    ((f & PMP_CF_PARKED) && (!is_cand || !pmp_merge_lasting(vm, vtl, gci))) ||
		    ((f & PMP_CF_HUGE) && !full) || !!(f & PMP_CF_CAND) != is_cand ||
		    ((f & PMP_CF_BLOCKED) && !small) || (f && !chunk_mapped(c, vtl)) ||
		    (vtl && (gflags & ~PMP_GF_LEAF)))
			return -EUCLEAN;
		*nr_cand += is_cand;
		huge += !!(f & PMP_CF_HUGE);
		cand += is_cand;
next:
		if (vtl && ci % PMP_GIANT_CHUNKS == PMP_GIANT_CHUNKS - 1) {
			const struct pmp_vtl_giant *vg = &pmp_vtl_giants(vm, vtl)[cg];

			if (vg->nr_huge != huge || vg->nr_cand != cand || vg->pad)
				return -EUCLEAN;
			huge = cand = 0;
		}
	}
	return 0;
}

/*
 * Mirror invariants: every VTL's leaf record (leaf_record_check()); the
 * VM's candidate count is theirs; counts of pins match their bits.
 */
int pmp_mirror_check(const struct pmp_vm *vm)
{
	uint64_t nr_cand = 0;
	unsigned int v;

	for (v = 0; v < vm->nr_vtls; v++)
		if (leaf_record_check(vm, v, &nr_cand))
			return -EUCLEAN;
	if (nr_cand != vm->nr_cand || vm->nr_pinned > vm->pin_high_water ||
	    pmp_plane_count(vm, 0, vm->span, PMP_PLANE_PINNED) !=
	    vm->nr_pinned)
		return -EUCLEAN;
	return 0;
}
