// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Zaps the caller asks for, with KVM's attribute filter, and the pins a
 * memslot's deletion or move releases.  Every zap here concerns every
 * VTL's page tables (PMP_VTL_ALL): host memory and memslots are the VM's.
 */
#include "internal.h"

#define PINNED PMP_BIT(PMP_PLANE_PINNED)

/* KVM's own attribute filter for a zap reason (kvm_gfn_range.attr_filter). */
static enum pmp_zap_filter kvm_filter(enum pmp_zap_reason reason)
{
	switch (reason) {
	case PMP_ZAP_MMU_NOTIFIER:	/* host mm changes never touch guest_memfd pages */
	case PMP_ZAP_NX_TOGGLE:		/* private mappings never carry NX huge pages */
	case PMP_ZAP_DIRTY_LOG:		/* private memory is never dirty logged */
		return PMP_ZAP_FILTER_SHARED;
	default:
		return PMP_ZAP_FILTER_BOTH;
	}
}

/*
 * Take the leaves of [gfn, end) whose pages are private (@private) or
 * shared.  A huge leaf never covers both, so each run's crossing leaves go
 * whole and the others stay.  Returns whether any was mapped.
 */
static bool zap_runs(struct pmp_vm *vm, uint64_t gfn, uint64_t end, bool private)
{
	uint64_t g = gfn, e;
	bool any = false;

	for (; (g = pmp_plane_run(vm, g, end, PMP_PLANE_PRIVATE, private, &e)) < end; g = e) {
		if (pmp_mapped_next(vm, PMP_VTL_ALL, g, e) < e) {
			pmp_mirror_zap(vm, PMP_VTL_ALL, g, e - g);
			any = true;
		}
	}
	return any;
}

/* Pinned runs of [gfn, end): the UNPINs a memslot's zap emits. */
static uint32_t pinned_runs(const struct pmp_vm *vm, uint64_t gfn, uint64_t end)
{
	uint64_t e;
	uint32_t runs = 0;

	for (; (gfn = pmp_plane_run(vm, gfn, end, PMP_PLANE_PINNED, true, &e)) < end; gfn = e)
		runs++;
	return runs;
}

/*
 * A memslot going away (deleted or moved) takes its pins: UNPIN runs after
 * the ZAP, while the caller still has the old memslot to name the host
 * pages by.  A page the slot maps again later is pinned again at its fault.
 */
static void unpin_slot_range(struct pmp_event *ev, uint64_t gfn, uint64_t end)
{
	struct pmp_vm *vm = ev->vm;
	uint64_t g = gfn, e;

	for (; (g = pmp_plane_run(vm, g, end, PMP_PLANE_PINNED, true, &e)) < end; g = e) {
		pmp_emit(ev, PMP_ACT_UNPIN, 0, g, e - g);
		pmp_planes_set(vm, g, e - g, PINNED, 0);
		vm->nr_pinned -= e - g;
	}
}

/*
 * Only a memslot's own deletion or move unpins (its pages leave the guest);
 * every other zap keeps the pins.  TDX accepted private pages are never
 * zapped before teardown, and recycle=refuse keeps shadow pages with pinned
 * children; a zap of shared leaves only is never refused for TDX.
 */
int pmp_zap(struct pmp_vm *vm, enum pmp_zap_reason reason, enum pmp_zap_filter filter,
	    uint64_t gfn, uint64_t npages, struct pmp_actions *out)
{
	struct pmp_decision_stats *d = &vm->stats.decision[PMP_DECISION_ZAP];
	uint64_t end = gfn + npages, lo, hi;
	struct pmp_action *a = NULL;
	uint32_t unpin_runs = 0;
	struct pmp_event ev;
	bool any, unpin;
	int err;

	if ((unsigned int)reason >= PMP_ZAP_NR || (unsigned int)filter > PMP_ZAP_FILTER_BOTH)
		return -EINVAL;
	/* inside a callback any state change is -EBUSY, before the pool is asked */
	if (pmp_reentered(vm))
		return -EBUSY;
	if (filter == PMP_ZAP_FILTER_KVM)
		filter = kvm_filter(reason);
	err = pmp_range_check(gfn, npages, vm->gfn_end);
	/* a memslot's pins go with it, once every leaf of its range is gone */
	unpin = !err && filter == PMP_ZAP_FILTER_BOTH &&
		(reason == PMP_ZAP_SLOT_DELETE || reason == PMP_ZAP_SLOT_MOVE);
	if (unpin)
		unpin_runs = pinned_runs(vm, gfn, end);
	/* the mapped planes are lossy (internal.h): only unpinning takes blocks */
	if (!err && unpin_runs)
		err = pmp_pool_reserve(vm, pmp_planes_blocks_needed(vm, gfn, npages, PINNED, 0));
	if (!err)
		err = pmp_event_begin(&ev, vm, out, reason == PMP_ZAP_TEARDOWN ? PMP_CAUSE_TEARDOWN :
				      PMP_CAUSE_ZAP, PMP_EVENT_ACTIONS + unpin_runs);
	if (err)
		return err;
	d->tried++;
	/* the zap takes crossing huge leaves whole: check all they cover */
	pmp_mirror_extent(vm, PMP_VTL_ALL, gfn, npages, &lo, &hi);
	/* maybe accepted (the pool was short: internal.h) is refused as accepted */
	if (vm->vm_type == PMP_VM_TDX && reason != PMP_ZAP_TEARDOWN &&
	    filter != PMP_ZAP_FILTER_SHARED &&
	    pmp_plane_next(vm, lo, hi, PMP_PLANE_ACCEPTED, true) < hi) {
		d->refused[PMP_REASON_PRIVATE]++;
		return -EBUSY;
	}
	if (reason == PMP_ZAP_RECYCLE && !vm->policy.recycle &&
	    pmp_plane_next(vm, gfn, end, PMP_PLANE_PINNED, true) < end) {
		d->refused[PMP_REASON_PINNED]++;
		return -EBUSY;
	}
	d->applied++;
	if (filter == PMP_ZAP_FILTER_BOTH) {
		any = pmp_mapped_next(vm, PMP_VTL_ALL, gfn, end) < end;
		if (any)
			pmp_mirror_zap(vm, PMP_VTL_ALL, gfn, npages);
	} else {
		any = zap_runs(vm, gfn, end, filter == PMP_ZAP_FILTER_PRIVATE);
	}
	if (any)
		a = pmp_emit(&ev, PMP_ACT_ZAP, 0, gfn, npages);
	if (a)
		a->attr_filter = (uint8_t)filter;
	if (unpin_runs)
		unpin_slot_range(&ev, gfn, end);
	pmp_event_end(&ev);
	pmp_state_trim(vm, lo, hi - lo);
	return 0;
}
