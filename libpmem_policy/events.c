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
	/* no array: fine while nothing is mapped (attribute tracking only) */
	if (!err && !out && (flush_room ||
			     pmp_plane_next(vm, gfn, gfn + npages, PMP_PLANE_MAPPED, true) <
			     gfn + npages))
		err = -ENOSPC;
	if (!err)
		err = pmp_event_begin(&ev, vm, out, cause, out ? PMP_EVENT_ACTIONS + flush_room : 0);
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
	/* no array: fine while no huge leaf needs splitting */
	if (!err && !out && tracked && (pmp_mirror_any_leaf(vm, gfn, npages, PMP_LEVEL_2M) ||
					pmp_mirror_any_leaf(vm, gfn, npages, PMP_LEVEL_1G)))
		err = -ENOSPC;
	if (!err)
		err = pmp_event_begin(&ev, vm, out, PMP_CAUSE_WRITE_TRACK,
				      out ? PMP_EVENT_ACTIONS : 0);
	if (err)
		return err;
	if (tracked)
		pmp_split_range(&ev, gfn, npages, PMP_LEVEL_4K);
	pmp_planes_set(vm, gfn, npages, bit, tracked ? bit : 0);
	pmp_event_end(&ev);
	return 0;
}

/* inhibit=clear: a fully accepted chunk with uniform attributes may be huge again. */
static void maybe_lift_inhibit(struct pmp_vm *vm, uint64_t ci)
{
	const struct pmp_chunk *c = &pmp_chunks(vm)[ci];

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
 * Blocks a filtered zap may take besides its edges: a chunk of mixed
 * attributes, fully mapped, becomes mixed in the mirror.
 */
static unsigned int filtered_need(const struct pmp_vm *vm, uint64_t gfn, uint64_t npages)
{
	uint64_t ci, last = (gfn + npages - 1) >> PMP_CHUNK_SHIFT;
	unsigned int n = need(vm, gfn, npages, MAPPED, 0);

	for (ci = gfn >> PMP_CHUNK_SHIFT; ci <= last; ci++)
		n += pmp_plane_uniform(vm, ci, PMP_PLANE_PRIVATE) == -1 &&
		     pmp_plane_uniform(vm, ci, PMP_PLANE_MAPPED) == 1;
	return n;
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
		if (pmp_plane_next(vm, g, e, PMP_PLANE_MAPPED, true) < e) {
			pmp_mirror_zap(vm, g, e - g);
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
		pmp_planes_set(vm, g, e - g, PMP_BIT(PMP_PLANE_PINNED), 0);
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
	if (filter == PMP_ZAP_FILTER_KVM)
		filter = kvm_filter(reason);
	err = pmp_range_check(gfn, npages, vm->gfn_end);
	/* a memslot's pins go with it, once every leaf of its range is gone */
	unpin = !err && filter == PMP_ZAP_FILTER_BOTH &&
		(reason == PMP_ZAP_SLOT_DELETE || reason == PMP_ZAP_SLOT_MOVE);
	if (unpin)
		unpin_runs = pinned_runs(vm, gfn, end);
	if (!err)
		err = pool_check(vm, (filter == PMP_ZAP_FILTER_BOTH ?
				      need(vm, gfn, npages, MAPPED, 0) :
				      filtered_need(vm, gfn, npages)) +
				 (unpin_runs ? need(vm, gfn, npages, PMP_BIT(PMP_PLANE_PINNED), 0) : 0));
	if (!err)
		err = pmp_event_begin(&ev, vm, out, reason == PMP_ZAP_TEARDOWN ? PMP_CAUSE_TEARDOWN :
				      PMP_CAUSE_ZAP, PMP_EVENT_ACTIONS + unpin_runs);
	if (err)
		return err;
	d->tried++;
	/* the zap takes crossing huge leaves whole: check all they cover */
	pmp_mirror_extent(vm, gfn, npages, &lo, &hi);
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
		any = pmp_plane_next(vm, gfn, end, PMP_PLANE_MAPPED, true) < end;
		if (any)
			pmp_mirror_zap(vm, gfn, npages);
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
	return 0;
}
