// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Private/shared conversions (KVM_SET_MEMORY_ATTRIBUTES), and the shared
 * step of every attribute change that discards mappings (VTL protections
 * too): split the leaves crossing the edges, zap the range, update the
 * planes.  The pool need and the action room are checked first, so it
 * applies whole or fails with nothing changed.
 */
#include "internal.h"

#define ACCEPTED PMP_BIT(PMP_PLANE_ACCEPTED)

/* The mapped planes of VTL @vtl, or of every VTL (PMP_VTL_ALL). */
static uint16_t mapped_of(const struct pmp_vm *vm, unsigned int vtl)
{
	return vtl == PMP_VTL_ALL ? pmp_mapped_mask(vm) : PMP_BIT(pmp_mapped_plane(vtl));
}

/*
 * Split the event VTL's leaves crossing the edges, then zap the range in
 * its page tables if anything there is mapped.
 */
static void unmap_range(struct pmp_event *ev, uint64_t gfn, uint64_t npages)
{
	uint64_t end = gfn + npages;

	pmp_split_edges(ev, gfn, npages);
	if (pmp_mapped_next(ev->vm, ev->vtl, gfn, end) < end) {
		pmp_emit(ev, PMP_ACT_ZAP, 0, gfn, npages);
		pmp_mirror_zap(ev->vm, ev->vtl, gfn, npages);
	}
}

/*
 * The range to unmap, [*zgfn, *zgfn + *zn): the change's own, or, when the
 * pool cannot hold the mapped mirror's bitmap for its edge chunks, widened
 * to whole 2 MiB chunks, whose mirror update needs no block.  Zapping more
 * is always sound (the pages fault back in), except over TDX accepted pages
 * (their contents would be lost): then it stays narrow and the caller's
 * reservation fails.  Returns the blocks the unmap needs.
 */
static unsigned int unmap_extent(const struct pmp_vm *vm, unsigned int vtl, uint64_t gfn,
				 uint64_t npages, unsigned int others, uint64_t *zgfn, uint64_t *zn)
{
	uint64_t lo = gfn & ~(uint64_t)(PMP_CHUNK_PAGES - 1);
	uint64_t hi = (gfn + npages + PMP_CHUNK_PAGES - 1) & ~(uint64_t)(PMP_CHUNK_PAGES - 1);
	unsigned int need = pmp_planes_blocks_needed(vm, gfn, npages, mapped_of(vm, vtl), 0);

	*zgfn = gfn;
	*zn = npages;
	if (!need || !pmp_pool_reserve(vm, others + need))
		return need;
	if (vm->vm_type == PMP_VM_TDX &&
	    pmp_plane_next(vm, lo, hi, PMP_PLANE_ACCEPTED, true) < hi)
		return need;
	*zgfn = lo;
	*zn = hi - lo;	/* hi <= span: the span is whole chunks */
	return 0;
}

/*
 * An attribute change that discards the range's mappings (conversion, VTL)
 * in the page tables of VTL @vtl, or of every VTL (PMP_VTL_ALL).  A
 * conversion to private over deferred punches flushes them first, or is
 * refused, by policy: the private page must not come back punched.
 */
int pmp_change_attrs(struct pmp_vm *vm, unsigned int vtl, uint64_t gfn, uint64_t npages,
		     uint16_t mask, uint16_t values, uint16_t clear, enum pmp_cause cause,
		     struct pmp_actions *out)
{
	bool to_private = cause == PMP_CAUSE_CONVERT && values;
	uint32_t flush_room = 0;
	unsigned int others;
	uint64_t zgfn, zn;
	struct pmp_event ev;
	int err = pmp_range_check(gfn, npages, vm->gfn_end);

	if (!err && to_private)
		err = pmp_inval_conflict(vm, gfn, npages, &flush_room);
	/* only a conversion may discard accepted TDX private pages */
	if (!err && vm->vm_type == PMP_VM_TDX && cause != PMP_CAUSE_CONVERT &&
	    pmp_plane_next(vm, gfn, gfn + npages, PMP_PLANE_ACCEPTED, true) < gfn + npages)
		err = -EBUSY;
	if (err)
		return err;
	/* lossy planes (VTL) need nothing here: pmp_planes_blocks_needed() */
	others = pmp_planes_blocks_needed(vm, gfn, npages, mask, values) + flush_room +
		 pmp_planes_blocks_needed(vm, gfn, npages, clear, 0);
	err = pmp_pool_reserve(vm, others + unmap_extent(vm, vtl, gfn, npages, others, &zgfn,
							 &zn));
	/* no array: fine while nothing is mapped (attribute tracking only) */
	if (!err && !out && (flush_room || pmp_mapped_next(vm, vtl, zgfn, zgfn + zn) < zgfn + zn))
		err = -ENOSPC;
	if (!err)
		err = pmp_event_begin(&ev, vm, out, cause, out ? PMP_EVENT_ACTIONS + flush_room : 0);
	/* last, as it may fail: non-default values need state of their own */
	if (!err && (values & mask))
		err = pmp_state_reserve(vm, gfn, npages);
	if (err)
		return err;
	if (flush_room)
		pmp_inval_flush_chunks(&ev, gfn, npages);
	else if (to_private && vm->policy.conflict_flush == PMP_CONFLICT_WITHDRAW)
		pmp_inval_withdraw(vm, gfn, npages);
	ev.vtl = (uint8_t)vtl;
	unmap_range(&ev, zgfn, zn);
	/* the pool was checked for both updates above */
	pmp_planes_apply(vm, gfn, npages, mask, values);
	if (clear)
		pmp_planes_apply(vm, gfn, npages, clear, 0);
	/* shared pages need not be accepted: a tick may promote them */
	if (mask & PMP_BIT(PMP_PLANE_PRIVATE))
		pmp_merge_unpark(vm, gfn, npages);
	pmp_event_end(&ev);
	pmp_state_trim(vm, gfn, npages);
	return 0;
}

/* A shared page is never accepted: conversions both ways clear the state. */
int pmp_convert(struct pmp_vm *vm, uint64_t gfn, uint64_t npages, bool private,
		struct pmp_actions *out)
{
	return pmp_change_attrs(vm, PMP_VTL_ALL, gfn, npages, PMP_BIT(PMP_PLANE_PRIVATE),
				private ? PMP_BIT(PMP_PLANE_PRIVATE) : 0, ACCEPTED, PMP_CAUSE_CONVERT,
				out);
}
