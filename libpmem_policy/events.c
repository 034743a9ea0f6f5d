// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Events that change attributes or backing over a range, and zaps the
 * caller asks for.  Each checks its pool need and action room first, so it
 * either applies whole or fails with nothing changed.
 */
#include "internal.h"

#define MAPPED PMP_BIT(PMP_PLANE_MAPPED)
#define ACCEPTED PMP_BIT(PMP_PLANE_ACCEPTED)

static int pool_check(const struct pmp_vm *vm, unsigned int need)
{
	return need > vm->pool_blocks - vm->pool_used ? -ENOMEM : 0;
}

static unsigned int need(const struct pmp_vm *vm, uint64_t gfn, uint64_t npages,
			 uint16_t mask, uint16_t values)
{
	return pmp_planes_blocks_needed(vm, gfn, npages, mask, values);
}

/* Split the leaves crossing the edges, then zap the range if anything is mapped. */
static void unmap_range(struct pmp_event *ev, uint64_t gfn, uint64_t npages)
{
	uint64_t end = gfn + npages;

	pmp_split_edges(ev, gfn, npages);
	if (pmp_plane_next(ev->vm, gfn, end, PMP_PLANE_MAPPED, true) < end) {
		pmp_emit(ev, PMP_ACT_ZAP, 0, gfn, npages);
		pmp_mirror_zap(ev->vm, gfn, npages);
	}
}

/*
 * An attribute change that discards the range's mappings (conversion, VTL).
 * A conversion to private over deferred punches flushes them first, or is
 * refused, by policy: the private page must not come back punched.
 */
static int change_attrs(struct pmp_vm *vm, uint64_t gfn, uint64_t npages, uint16_t mask,
			uint16_t values, uint16_t clear, enum pmp_cause cause,
			struct pmp_actions *out)
{
	bool to_private = cause == PMP_CAUSE_CONVERT && values;
	uint32_t flush_room = 0;
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
	err = pool_check(vm, need(vm, gfn, npages, mask, values) + flush_room +
			 need(vm, gfn, npages, MAPPED, 0) + need(vm, gfn, npages, clear, 0));
	if (!err)
		err = pmp_event_begin(&ev, vm, out, cause, PMP_EVENT_ACTIONS + flush_room);
	/* last, as it may fail: non-default values need state of their own */
	if (!err && (values & mask))
		err = pmp_state_reserve(vm, gfn, npages);
	if (err)
		return err;
	if (flush_room)
		pmp_inval_flush_range(&ev, gfn, npages);
	unmap_range(&ev, gfn, npages);
	/* the pool was checked for both updates above */
	pmp_planes_apply(vm, gfn, npages, mask, values);
	if (clear)
		pmp_planes_apply(vm, gfn, npages, clear, 0);
	pmp_event_end(&ev);
	pmp_state_trim(vm, gfn, npages);
	return 0;
}

/* A shared page is never accepted: conversions both ways clear the state. */
int pmp_convert(struct pmp_vm *vm, uint64_t gfn, uint64_t npages, bool private,
		struct pmp_actions *out)
{
	return change_attrs(vm, gfn, npages, PMP_BIT(PMP_PLANE_PRIVATE),
			    private ? PMP_BIT(PMP_PLANE_PRIVATE) : 0, ACCEPTED, PMP_CAUSE_CONVERT,
			    out);
}

int pmp_vtl_protect(struct pmp_vm *vm, unsigned int vtl, uint64_t gfn, uint64_t npages,
		    unsigned int prot, struct pmp_actions *out)
{
	unsigned int shift = PMP_PLANE_VTL + 3 * vtl;

	if (vtl >= vm->nr_vtls || (prot & ~PMP_PROT_RWX))
		return -EINVAL;
	return change_attrs(vm, gfn, npages, PMP_VTL_PLANES(vtl),
			    (uint16_t)((~prot & PMP_PROT_RWX) << shift), 0, PMP_CAUSE_VTL_PROT, out);
}

/* Tracked pages need 4 KiB leaves; untracking only makes ranges eligible again. */
int pmp_write_track(struct pmp_vm *vm, uint64_t gfn, uint64_t npages, bool tracked,
		    struct pmp_actions *out)
{
	uint16_t bit = PMP_BIT(PMP_PLANE_WTRACK);
	struct pmp_event ev;
	int err = pmp_range_check(gfn, npages, vm->gfn_end);

	if (err)
		return err;
	err = pool_check(vm, need(vm, gfn, npages, bit, tracked ? bit : 0));
	if (!err)
		err = pmp_event_begin(&ev, vm, out, PMP_CAUSE_WRITE_TRACK, PMP_EVENT_ACTIONS);
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

/* inhibit=clear: a fully accepted chunk with uniform attributes may be huge again. */
static void maybe_lift_inhibit(struct pmp_vm *vm, uint64_t ci)
{
	const struct pmp_chunk *c = pmp_chunk_at(vm, ci);

	if (vm->policy.inhibit == PMP_INHIBIT_CLEAR && (c->blocks & PMP_CF_INHIBIT) &&
	    pmp_plane_uniform(vm, ci, PMP_PLANE_ACCEPTED) == 1 &&
	    !(c->mixed & PMP_BIT(PMP_PLANE_PRIVATE)))
		pmp_chunk_set_flags(vm, ci, 0, PMP_CF_INHIBIT);
}

int pmp_accept(struct pmp_vm *vm, uint64_t gfn, int level, struct pmp_actions *out)
{
	uint64_t pages, ci;
	struct pmp_event ev;
	int err;

	if (level < PMP_LEVEL_4K || level > PMP_LEVEL_1G)
		return -EINVAL;
	pages = PMP_LEVEL_PAGES(level);
	if (gfn & (pages - 1))
		return -EINVAL;
	err = pmp_range_check(gfn, pages, vm->gfn_end);
	if (!err)
		err = pool_check(vm, need(vm, gfn, pages, ACCEPTED, ACCEPTED));
	if (!err)
		err = pmp_event_begin(&ev, vm, out, PMP_CAUSE_ACCEPT, PMP_EVENT_ACTIONS);
	if (!err)
		err = pmp_state_reserve(vm, gfn, pages);
	if (err)
		return err;
	/* a leaf larger than the accept is a size mismatch: split it */
	pmp_split_range(&ev, gfn, pages, level);
	pmp_planes_set(vm, gfn, pages, ACCEPTED, ACCEPTED);
	ci = gfn >> PMP_CHUNK_SHIFT;
	if (level == PMP_LEVEL_4K)
		pmp_chunk_set_flags(vm, ci, PMP_CF_INHIBIT, 0);
	for (; ci < (gfn + pages + PMP_CHUNK_PAGES - 1) >> PMP_CHUNK_SHIFT; ci++)
		maybe_lift_inhibit(vm, ci);
	/* after the guest's accept succeeds: a promote it completes */
	ev.cause = PMP_CAUSE_MERGE;
	pmp_merge_after_fill(&ev, gfn, -1);
	pmp_event_end(&ev);
	return 0;
}

int pmp_dirty_log(struct pmp_vm *vm, uint32_t slot, bool on, struct pmp_actions *out)
{
	struct pmp_slot_state *st;
	struct pmp_event ev;
	int err;

	if (slot >= vm->max_slots)
		return -EINVAL;
	st = &pmp_slots(vm)[slot];
	if (!st->in_use)
		return -ENOENT;
	err = pmp_event_begin(&ev, vm, out, PMP_CAUSE_DIRTY_LOG, PMP_EVENT_ACTIONS);
	if (err)
		return err;
	if (on) {
		st->slot.flags |= PMP_SLOT_DIRTY_LOG;
		pmp_split_range(&ev, st->slot.base_gfn, st->slot.npages, PMP_LEVEL_4K);
	} else {
		st->slot.flags &= ~PMP_SLOT_DIRTY_LOG;
	}
	pmp_event_end(&ev);
	return 0;
}

/*
 * Zaps never unpin.  TDX accepted private pages are never zapped before
 * teardown, and recycle=refuse keeps shadow pages with pinned children.
 */
int pmp_zap(struct pmp_vm *vm, enum pmp_zap_reason reason, uint64_t gfn, uint64_t npages,
	    struct pmp_actions *out)
{
	struct pmp_decision_stats *d = &vm->stats.decision[PMP_DECISION_ZAP];
	uint64_t end = gfn + npages, lo, hi;
	struct pmp_event ev;
	int err;

	if ((unsigned int)reason >= PMP_ZAP_NR)
		return -EINVAL;
	err = pmp_range_check(gfn, npages, vm->gfn_end);
	if (!err)
		err = pool_check(vm, need(vm, gfn, npages, MAPPED, 0));
	if (!err)
		err = pmp_event_begin(&ev, vm, out, reason == PMP_ZAP_TEARDOWN ? PMP_CAUSE_TEARDOWN :
				      PMP_CAUSE_ZAP, PMP_EVENT_ACTIONS);
	if (err)
		return err;
	d->tried++;
	/* the zap takes crossing huge leaves whole: check all they cover */
	pmp_mirror_extent(vm, gfn, npages, &lo, &hi);
	if (vm->vm_type == PMP_VM_TDX && reason != PMP_ZAP_TEARDOWN &&
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
	if (pmp_plane_next(vm, gfn, end, PMP_PLANE_MAPPED, true) < end) {
		pmp_emit(&ev, PMP_ACT_ZAP, 0, gfn, npages);
		pmp_mirror_zap(vm, gfn, npages);
	}
	pmp_event_end(&ev);
	pmp_state_trim(vm, lo, hi - lo);
	return 0;
}
