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
 * After a zap of VTL @v's pages [lo, hi): each chunk's huge flag goes and
 * its leaf flags are derived again.  A chunk with no leaf flag had nothing
 * mapped (pmp_vm_check(): a mapped chunk is a candidate, blocked or huge),
 * so it has nothing to clear or derive: skipped, a 1 GiB's chunks after
 * one directory lookup.  A chunk the zap covers whole maps nothing now
 * (its mapped plane set to 0 whole is exact, lossy or not), and
 * pmp_mirror_refresh() of an unmapped chunk clears every leaf flag: one
 * update does both.
 */
static void zap_leaf_flags(struct pmp_vm *vm, unsigned int v, uint64_t lo, uint64_t hi)
{
	uint64_t ci = lo >> PMP_CHUNK_SHIFT, c_end = ((hi - 1) >> PMP_CHUNK_SHIFT) + 1;

	while ((ci = pmp_state_chunk_next(vm, ci, c_end)) < c_end) {
		uint64_t g_end = (ci | (PMP_GIANT_CHUNKS - 1)) + 1;
		struct pmp_giant *g;
		struct pmp_chunk *c = pmp_chunk_giant(vm, ci << PMP_CHUNK_SHIFT, &g);

		for (g_end = g_end < c_end ? g_end : c_end; ci < g_end; ci++, c++) {
			if (!pmp_leaf_flags_at(vm, c, v))
				continue;
			if (ci << PMP_CHUNK_SHIFT < lo || (ci + 1) << PMP_CHUNK_SHIFT > hi) {
				pmp_leaf_set_flags(vm, ci, v, 0, PMP_CF_HUGE);
				pmp_mirror_refresh(vm, ci, v);
			} else if (!v) {	/* the chunk and its summary in hand */
				pmp_chunk_flags_apply(vm, ci, c, g, 0, PMP_CF_LEAF);
			} else {
				pmp_vtl_leaf_set_flags(vm, ci, v, 0, PMP_CF_LEAF);
			}
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
		uint64_t lo, hi, g, g_end;

		if (pmp_one_chunk(gfn, npages) && zap_in_chunk(vm, v, gfn, npages))
			continue;
		lo = leaf_start(vm, v, gfn);
		hi = leaf_end(vm, v, gfn + npages);
		g_end = ((hi - 1) >> PMP_GIANT_SHIFT) + 1;
		/* only 1 GiB ranges with state can have leaves */
		for (g = pmp_state_next_giant(vm, lo >> PMP_GIANT_SHIFT, g_end); g < g_end;
		     g = pmp_state_next_giant(vm, g + 1, g_end))
			giant_leaf_set(vm, g, v, false);
		pmp_planes_set(vm, lo, hi - lo, PMP_BIT(pmp_mapped_plane(v)), 0);
		zap_leaf_flags(vm, v, lo, hi);
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
 * One mapped chunk @c (compact chunk @ci of compact giant @cg) in VTL
 * @vtl's leaf record, with leaf flags @f and 1 GiB flags @gflags: huge
 * chunks are fully mapped; candidate and blocked flags match the leaves;
 * each candidate not parked is in the shared index.  Counts it into
 * *@huge and *@cand.
 */
static int mapped_chunk_check(const struct pmp_vm *vm, unsigned int vtl, uint32_t cg,
			      uint64_t ci, uint32_t f, uint16_t *huge, uint16_t *cand)
{
	const struct pmp_chunk *c = &pmp_cchunks(vm)[ci];
	uint16_t bit = PMP_BIT(pmp_mapped_plane(vtl));
	bool full = !(c->mixed & bit) && (c->value & bit);
	bool small = chunk_mapped(c, vtl) && !(f & PMP_CF_HUGE);
	bool is_cand = small && !(f & PMP_CF_BLOCKED);
	uint64_t gci = (uint64_t)pmp_homes(vm)[cg].giant * PMP_GIANT_CHUNKS + ci % PMP_GIANT_CHUNKS;

	if ((is_cand && !(f & PMP_CF_PARKED) &&
	     !(pmp_cand_map(vm)[ci / 64] & (1ULL << (ci % 64)))) ||
	    ((f & PMP_CF_PARKED) && (!is_cand || !pmp_merge_lasting(vm, vtl, gci))) ||
	    ((f & PMP_CF_HUGE) && !full) || !!(f & PMP_CF_CAND) != is_cand ||
	    ((f & PMP_CF_BLOCKED) && !small) || (f && !chunk_mapped(c, vtl)))
		return -EUCLEAN;
	*huge += !!(f & PMP_CF_HUGE);
	*cand += is_cand;
	return 0;
}

/*
 * VTL @vtl's leaf record of compact giant @cg: 1 GiB leaves sit on huge
 * chunks; no flag where the VTL maps nothing (so a 1 GiB range without
 * leaves is default state); every mapped chunk passes mapped_chunk_check().
 * Counts the candidates into *@nr_cand, and for VTL >= 1 checks the 1 GiB
 * counts.
 */
static int giant_leaves_check(const struct pmp_vm *vm, unsigned int vtl, uint32_t cg,
			      uint64_t *nr_cand)
{
	uint64_t ci = (uint64_t)cg * PMP_GIANT_CHUNKS;
	const struct pmp_chunk *c = &pmp_cchunks(vm)[ci];
	/* the VTL's leaf flags: VTL 0's in the chunks, the others' a byte a chunk */
	const uint8_t *vf = vtl ? &pmp_vtl_chunks(vm, vtl)[ci] : NULL;
	uint16_t gflags = pmp_vtl_giant_flags(vm, vtl, cg), huge = 0, cand = 0;
	uint16_t bit = PMP_BIT(pmp_mapped_plane(vtl));
	const struct pmp_vtl_giant *vg;
	unsigned int i;

	if (vtl && (gflags & ~PMP_GF_LEAF))
		return -EUCLEAN;
	for (i = 0; i < PMP_GIANT_CHUNKS; i++) {
		uint32_t f = vf ? (uint32_t)vf[i] << PMP_CF_LEAF_SHIFT : c[i].blocks & PMP_CF_LEAF;

		/* a 1 GiB leaf makes every chunk huge, mapped or not (then caught below) */
		if ((gflags & PMP_GF_LEAF) && !(f & PMP_CF_HUGE))
			return -EUCLEAN;
		/* nothing mapped and no flag (most chunks): nothing else to test or count */
		if ((f || ((c[i].mixed | c[i].value) & bit)) &&
		    mapped_chunk_check(vm, vtl, cg, ci + i, f, &huge, &cand))
			return -EUCLEAN;
	}
	*nr_cand += cand;
	if (!vtl)
		return 0;
	vg = &pmp_vtl_giants(vm, vtl)[cg];
	return vg->nr_huge != huge || vg->nr_cand != cand || vg->pad ? -EUCLEAN : 0;
}

/* VTL @vtl >= 1's leaf record of compact giant @cg, not in use: all zero. */
static bool giant_leaves_default(const struct pmp_vm *vm, unsigned int vtl, uint32_t cg)
{
	const uint8_t *f = &pmp_vtl_chunks(vm, vtl)[(uint64_t)cg * PMP_GIANT_CHUNKS];
	const struct pmp_vtl_giant *vg = &pmp_vtl_giants(vm, vtl)[cg];
	unsigned int i;

	for (i = 0; i < PMP_GIANT_CHUNKS; i++)
		if (f[i])
			return false;
	return !vg->nr_huge && !vg->nr_cand && !vg->flags && !vg->pad;
}

/*
 * Pinned pages of compact giant @cg (in use): the chunks whose PINNED plane
 * is not uniformly 0 counted, those below the span (pmp_plane_count()).
 */
static uint64_t giant_pins(const struct pmp_vm *vm, uint32_t cg)
{
	const struct pmp_chunk *c = &pmp_cchunks(vm)[(uint64_t)cg * PMP_GIANT_CHUNKS];
	uint64_t gfn = (uint64_t)pmp_homes(vm)[cg].giant << PMP_GIANT_SHIFT, n = 0;
	unsigned int i;

	for (i = 0; i < PMP_GIANT_CHUNKS && gfn < vm->span; i++, c++, gfn += PMP_CHUNK_PAGES)
		if ((c->value | c->mixed) & PMP_BIT(PMP_PLANE_PINNED))
			n += pmp_plane_count(vm, gfn, PMP_CHUNK_PAGES, PMP_PLANE_PINNED);
	return n;
}

/*
 * Mirror invariants: every VTL's leaf record (giant_leaves_check()); the
 * VM's candidate count is theirs; counts of pins match their bits.  One
 * walk over the compact giants in use: one not in use (giant 0 among them)
 * was found pristine by pmp_state_check(), which runs first (its chunks
 * all 0 and its summary, VTL 0's record with them, a reset one), so only
 * the other VTLs' records of it are left to check.
 */
int pmp_mirror_check(const struct pmp_vm *vm)
{
	uint64_t nr_cand = 0, pins = 0;
	unsigned int v;
	uint32_t cg;

	for (cg = 0; cg < vm->nr_giants; cg++) {
		bool in_use = pmp_homes(vm)[cg].in_use;

		for (v = 0; v < vm->nr_vtls; v++) {
			if (in_use ? giant_leaves_check(vm, v, cg, &nr_cand) :
			    v && !giant_leaves_default(vm, v, cg))
				return -EUCLEAN;
		}
		pins += in_use ? giant_pins(vm, cg) : 0;
	}
	if (nr_cand != vm->nr_cand || vm->nr_pinned > vm->pin_high_water || pins != vm->nr_pinned)
		return -EUCLEAN;
	return 0;
}
