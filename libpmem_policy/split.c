// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Breaking huge leaves, only as far as an event needs.
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

/* Break the leaf covering @gfn until it is at most @target. */
static void split_one(struct pmp_event *ev, uint64_t gfn, int target)
{
	struct pmp_vm *vm = ev->vm;
	int level = pmp_leaf_level(vm, gfn);

	for (; level > target; level--) {
		uint64_t pages = PMP_LEVEL_PAGES(level), head = gfn & ~(pages - 1);

		vm->stats.decision[PMP_DECISION_SPLIT].tried++;
		vm->stats.decision[PMP_DECISION_SPLIT].applied++;
		if (pmp_guarded_private(vm, head)) {
			demote_steps(ev, level, head, pages);
		} else if (vm->policy.split == PMP_SPLIT_INPLACE) {
			pmp_emit(ev, PMP_ACT_SPLIT, level - 1, head, pages);
		} else {
			pmp_emit(ev, PMP_ACT_ZAP, level, head, pages);
			pmp_mirror_zap(vm, head, pages);
			return;
		}
		pmp_mirror_unleaf(vm, head, level);
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
 * At most two leaves per level, so at most 12 actions.
 */
void pmp_split_edges(struct pmp_event *ev, uint64_t gfn, uint64_t npages)
{
	uint64_t end = gfn + npages;

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
	int level;

	for (level = PMP_LEVEL_1G; level > target; level--) {
		uint64_t pages = PMP_LEVEL_PAGES(level);
		uint64_t span = vm->span;
		uint64_t lo = gfn & ~(pages - 1), hi = (gfn + npages + pages - 1) & ~(pages - 1);
		bool demote = false, split = false;
		uint64_t at;

		if (!pmp_mirror_any_leaf(vm, gfn, npages, level))
			continue;
		if (hi > span)
			hi = span;
		for (at = lo; at < hi; at += pages) {
			if (pmp_leaf_level(vm, at) != level)
				continue;
			vm->stats.decision[PMP_DECISION_SPLIT].tried++;
			vm->stats.decision[PMP_DECISION_SPLIT].applied++;
			if (pmp_guarded_private(vm, at))
				demote = true;
			else
				split = true;
			pmp_mirror_unleaf(vm, at, level);
		}
		if (demote)
			demote_steps(ev, level, lo, hi - lo);
		if (split)
			pmp_emit(ev, PMP_ACT_SPLIT, level - 1, lo, hi - lo);
	}
}
