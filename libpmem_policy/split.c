// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Breaking huge leaves, only as far as an event needs, in the page tables
 * of the event's VTL (ev->vtl) or of every VTL (PMP_VTL_ALL): the actions
 * then name every VTL, one action per level whichever VTLs have leaves.
 *
 * TDX private memory must keep its contents: a leaf is blocked, the TLBs
 * tracked, then demoted one level.  SNP private memory is demoted (PSMASH
 * of the RMP entry with the NPT split).  Everything else is split in place
 * or, with split=zap, zapped so that it re-faults smaller.
 */
#include "internal.h"

static void demote_steps(struct pmp_event *ev, int level, uint64_t gfn, uint64_t npages)
{
	if (ev->vm->vm_type == PMP_VM_TDX) {
		pmp_emit(ev, PMP_ACT_BLOCK, level, gfn, npages);
		pmp_emit(ev, PMP_ACT_TRACK, level, gfn, npages);
	}
	pmp_emit(ev, PMP_ACT_DEMOTE, level, gfn, npages);
}

/*
 * Is VTL @vtl's leaf covering @gfn one of exactly @level (2 MiB or 1 GiB)?
 * pmp_vtl_leaf_level(vm, vtl, gfn) == @level without its 4 KiB lookup,
 * which no huge level needs: the split of a range's edges asks it per
 * level, VTL and edge, on every conversion and VTL protection.
 */
static bool huge_leaf_is(const struct pmp_vm *vm, unsigned int vtl, uint64_t gfn, int level)
{
	bool giant;

	if (gfn >= vm->gfn_end || vtl >= vm->nr_vtls)
		return false;
	giant = pmp_giant_leaf(vm, gfn >> PMP_GIANT_SHIFT, vtl);
	if (level == PMP_LEVEL_1G)
		return giant;
	return !giant && (pmp_leaf_flags(vm, gfn >> PMP_CHUNK_SHIFT, vtl) & PMP_CF_HUGE);
}

/*
 * The levels (bit 1 << level) of the huge leaves covering @gfn in the VTLs
 * [lo, hi): what huge_leaf_is() answers for every level and VTL, from one
 * directory lookup.  0 (no leaf) lets a split skip its levels: the edges of
 * every conversion and VTL protection, every accept, mostly find nothing.
 */
static unsigned int leaf_levels(const struct pmp_vm *vm, unsigned int lo, unsigned int hi,
				uint64_t gfn)
{
	const struct pmp_chunk *c;
	unsigned int levels = 0;
	uint32_t cg;

	if (gfn >= vm->gfn_end)
		return 0;
	cg = pmp_giant_index(vm, gfn >> PMP_GIANT_SHIFT);
	c = &pmp_cchunks(vm)[pmp_cg_chunk_index(cg, gfn)];
	for (hi = hi < vm->nr_vtls ? hi : vm->nr_vtls; lo < hi; lo++) {
		uint16_t gflags = pmp_vtl_giant_flags(vm, lo, cg);

		if (gflags & PMP_GF_LEAF)
			levels |= 1U << PMP_LEVEL_1G;
		else if (pmp_leaf_flags_at(vm, c, lo) & PMP_CF_HUGE)
			levels |= 1U << PMP_LEVEL_2M;
	}
	return levels;
}

/* Levels above @target, as leaf_levels() gives them. */
#define ABOVE(target) (~((2U << (target)) - 1))

/* Does a leaf of exactly @level (2 MiB or 1 GiB) cover @gfn in one of the VTLs [lo, hi)? */
static bool leaf_in(const struct pmp_vm *vm, unsigned int lo, unsigned int hi, uint64_t gfn,
		    int level)
{
	for (; lo < hi; lo++)
		if (huge_leaf_is(vm, lo, gfn, level))
			return true;
	return false;
}

/*
 * Break the leaves covering @gfn, in the event's VTLs, until they are at
 * most @target: one action per level, whichever VTLs have a leaf there.
 */
static void split_one(struct pmp_event *ev, uint64_t gfn, int target)
{
	struct pmp_vm *vm = ev->vm;
	unsigned int v, lo, hi;
	int level;

	pmp_vtl_span(vm, ev->vtl, &lo, &hi);
	/* nothing to break: the loop below would find no leaf and change nothing */
	if (!(leaf_levels(vm, lo, hi, gfn) & ABOVE(target)))
		return;
	for (level = PMP_LEVEL_1G; level > target; level--) {
		uint64_t pages = PMP_LEVEL_PAGES(level), head = gfn & ~(pages - 1);

		if (!leaf_in(vm, lo, hi, gfn, level))
			continue;
		vm->stats.decision[PMP_DECISION_SPLIT].tried++;
		vm->stats.decision[PMP_DECISION_SPLIT].applied++;
		if (pmp_guarded_private(vm, head)) {
			demote_steps(ev, level, head, pages);
		} else if (vm->policy.split == PMP_SPLIT_INPLACE) {
			pmp_emit(ev, PMP_ACT_SPLIT, level - 1, head, pages);
		} else {
			pmp_emit(ev, PMP_ACT_ZAP, level, head, pages);
			pmp_mirror_zap(vm, ev->vtl, head, pages);
			return;
		}
		for (v = lo; v < hi; v++)
			if (huge_leaf_is(vm, v, gfn, level))
				pmp_mirror_unleaf(vm, v, head, level);
	}
}

/* Largest level whose leaves do not cross a boundary at @gfn. */
static int boundary_level(uint64_t gfn)
{
	if (gfn & (PMP_CHUNK_PAGES - 1))
		return PMP_LEVEL_4K;
	return gfn & ((1ULL << PMP_GIANT_SHIFT) - 1) ? PMP_LEVEL_2M : PMP_LEVEL_1G;
}

/*
 * Break the leaves that cross the edges of [gfn, gfn + npages), only as far
 * as the edge needs: a 1 GiB leaf cut on a 2 MiB boundary becomes 2 MiB
 * leaves, and only the 2 MiB leaf an unaligned edge cuts becomes 4 KiB.
 * At most two leaves per level, so at most 12 actions, whatever the VTLs.
 */
void pmp_split_edges(struct pmp_event *ev, uint64_t gfn, uint64_t npages)
{
	uint64_t end = gfn + npages;
	unsigned int lo, hi;

	/* both edges in one chunk without a huge leaf (a page's change): nothing to break */
	pmp_vtl_span(ev->vm, ev->vtl, &lo, &hi);
	if (pmp_one_chunk(gfn, npages) && !leaf_levels(ev->vm, lo, hi, gfn))
		return;
	split_one(ev, gfn, boundary_level(gfn));
	if (end < ev->vm->span)
		split_one(ev, end - 1, boundary_level(end));
}

/*
 * Break every leaf intersecting the range down to @target (write tracking,
 * dirty logging): one range action per level and kind, as KVM's
 * kvm_tdp_mmu_try_split_huge_pages() walks a range.  In place, never a zap:
 * the leaves inside the range keep their pages mapped.  At most 8 actions.
 */
void pmp_split_range(struct pmp_event *ev, uint64_t gfn, uint64_t npages, int target)
{
	struct pmp_vm *vm = ev->vm;
	unsigned int v, v_lo, v_hi;
	int level;

	pmp_vtl_span(vm, ev->vtl, &v_lo, &v_hi);
	/*
	 * A range inside one chunk (an accept) meets one leaf per level and
	 * VTL at most: without one above @target, no level below acts.
	 */
	if (pmp_one_chunk(gfn, npages) && !(leaf_levels(vm, v_lo, v_hi, gfn) & ABOVE(target)))
		return;
	for (level = PMP_LEVEL_1G; level > target; level--) {
		uint64_t pages = PMP_LEVEL_PAGES(level);
		uint64_t span = vm->span;
		uint64_t lo = gfn & ~(pages - 1), hi = (gfn + npages + pages - 1) & ~(pages - 1);
		bool demote = false, split = false;
		uint64_t at;

		if (!pmp_mirror_any_leaf(vm, ev->vtl, gfn, npages, level))
			continue;
		if (hi > span)
			hi = span;
		for (at = lo; at < hi; at += pages) {
			for (v = v_lo; v < v_hi; v++) {
				if (!huge_leaf_is(vm, v, at, level))
					continue;
				vm->stats.decision[PMP_DECISION_SPLIT].tried++;
				vm->stats.decision[PMP_DECISION_SPLIT].applied++;
				if (pmp_guarded_private(vm, at))
					demote = true;
				else
					split = true;
				pmp_mirror_unleaf(vm, v, at, level);
			}
		}
		if (demote)
			demote_steps(ev, level, lo, hi - lo);
		if (split)
			pmp_emit(ev, PMP_ACT_SPLIT, level - 1, lo, hi - lo);
	}
}
