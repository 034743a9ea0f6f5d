// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Write tracking (KVM's kvm_mmu_gfn_disallow_lpage()): tracked pages need
 * 4 KiB leaves, so turning it on splits the huge leaves over them.
 */
#include "internal.h"

/* Tracked pages need 4 KiB leaves; untracking only makes ranges eligible again. */
int pmp_write_track(struct pmp_vm *vm, uint64_t gfn, uint64_t npages, bool tracked,
		    struct pmp_actions *out)
{
	uint16_t bit = PMP_BIT(PMP_PLANE_WTRACK);
	struct pmp_event ev;
	int err = pmp_range_check(gfn, npages, vm->gfn_end);

	if (err)
		return err;
	err = pmp_pool_reserve(vm, pmp_planes_blocks_needed(vm, gfn, npages, bit, tracked ? bit : 0));
	/* no array: fine while no huge leaf needs splitting */
	if (!err && !out && tracked &&
	    (pmp_mirror_any_leaf(vm, PMP_VTL_ALL, gfn, npages, PMP_LEVEL_2M) ||
	     pmp_mirror_any_leaf(vm, PMP_VTL_ALL, gfn, npages, PMP_LEVEL_1G)))
		err = -ENOSPC;
	if (!err)
		err = pmp_event_begin(&ev, vm, out, PMP_CAUSE_WRITE_TRACK,
				      out ? PMP_EVENT_ACTIONS : 0);
	if (!err && tracked)
		err = pmp_state_reserve(vm, gfn, npages);
	if (err)
		return err;
	if (tracked)
		pmp_split_range(&ev, gfn, npages, PMP_LEVEL_4K);
	pmp_planes_set(vm, gfn, npages, bit, tracked ? bit : 0);
	pmp_event_end(&ev);
	pmp_state_trim(vm, gfn, npages);
	return 0;
}
