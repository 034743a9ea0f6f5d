// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A fault being mapped: pin per the policy, record the leaf in the faulting
 * VTL's page tables, and merge them at fault time when the strategy says
 * so.  O(1) for a 4 KiB leaf: a couple of plane updates in one chunk.
 */
#include "internal.h"

#define PINNED PMP_BIT(PMP_PLANE_PINNED)

/* Room besides PIN runs: invalidating a deferred page, MAP, two promotes of 3 steps. */
#define MAP_ACTIONS 10

/*
 * A fault on a range whose 4 KiB leaves (in the faulting VTL) a merge tick
 * blocked: promote it if the fault may be 2 MiB and the range still can be
 * (TDX: still fully mapped and accepted), else unblock it and map the page
 * if it has no leaf.
 */
static void blocked_fault(struct pmp_event *ev, const struct pmp_fault *f, int level,
			  enum pmp_reason why)
{
	struct pmp_vm *vm = ev->vm;
	uint64_t head = f->gfn & ~(uint64_t)(PMP_CHUNK_PAGES - 1);
	struct pmp_decision_stats *d = &vm->stats.decision[PMP_DECISION_MERGE];

	d->tried++;
	if (level >= PMP_LEVEL_2M && pmp_promote_ready(vm, f->vtl, head, PMP_LEVEL_2M)) {
		pmp_promote_emit(ev, f->vtl, head, PMP_LEVEL_2M);
		d->applied++;
		return;
	}
	d->refused[level >= PMP_LEVEL_2M ? PMP_REASON_NOT_ACCEPTED : why]++;
	pmp_emit(ev, PMP_ACT_UNBLOCK, PMP_LEVEL_4K, head, PMP_CHUNK_PAGES);
	pmp_leaf_set_flags(vm, head >> PMP_CHUNK_SHIFT, f->vtl, 0, PMP_CF_BLOCKED);
	pmp_mirror_refresh(vm, head >> PMP_CHUNK_SHIFT, f->vtl);
	if (!pmp_plane_get(vm, f->gfn, pmp_mapped_plane(f->vtl))) {
		ev->cause = PMP_CAUSE_FAULT;
		pmp_emit(ev, PMP_ACT_MAP, PMP_LEVEL_4K, f->gfn, 1);
		pmp_mirror_map(vm, f->vtl, f->gfn, PMP_LEVEL_4K);
	}
}

/*
 * Which host folio backs this range: what a merge tick may promote to.
 * The chunk's flag is counted in its 1 GiB summary, so it changes through
 * pmp_chunk_set_flags(), and only when it changes.
 */
static void note_backing(struct pmp_vm *vm, const struct pmp_fault *f)
{
	struct pmp_giant *g;
	const struct pmp_chunk *c = pmp_chunk_giant(vm, f->gfn, &g);
	uint32_t backed = f->backing_order >= 9 ? PMP_CF_BACKED : 0;

	if ((c->blocks & PMP_CF_BACKED) != backed)
		pmp_chunk_set_flags(vm, f->gfn >> PMP_CHUNK_SHIFT, backed, backed ^ PMP_CF_BACKED);
	if (f->backing_order >= 18)
		g->flags |= PMP_GF_BACKED;
	else
		g->flags &= (uint16_t)~PMP_GF_BACKED;
}

int pmp_map(struct pmp_vm *vm, const struct pmp_fault *f, int level, struct pmp_actions *out)
{
	bool pin = vm->vm_type == PMP_VM_SEV && vm->policy.pin == PMP_PIN_FAULT;
	struct pmp_pin_plan plan = { 0 };
	const struct pmp_slot *s;
	enum pmp_reason why;
	uint64_t pages, head;
	struct pmp_event ev;
	unsigned int need;
	uint16_t mapped;
	int err;

	err = pmp_fault_check(vm, f, &s);
	if (err)
		return err;
	if (level < PMP_LEVEL_4K || level > pmp_fault_level(vm, s, f, PMP_VTL_PLANES(f->vtl), &why))
		return -EINVAL;
	pages = PMP_LEVEL_PAGES(level);
	head = f->gfn & ~(pages - 1);
	if (pin && pmp_pin_plan(vm, head, pages, &plan))
		return pmp_pin_refused(vm, PMP_REASON_PIN_LIMIT);
	/*
	 * The MAPPED and the PINNED planes' blocks in one count (the count is
	 * per plane); a deferred page is invalidated before it is mapped
	 * again: 3 planes more.
	 */
	mapped = PMP_BIT(pmp_mapped_plane(f->vtl));
	need = pmp_planes_blocks_needed(vm, head, pages, mapped | (plan.runs ? PINNED : 0),
					mapped | PINNED) + 3;
	if (need > pmp_pool_room(vm))
		return pin ? pmp_pin_refused(vm, PMP_REASON_POOL) : -ENOMEM;
	err = pmp_event_begin(&ev, vm, out, PMP_CAUSE_FAULT, plan.runs + MAP_ACTIONS);
	if (err)
		return err;
	/*
	 * A deferred page is invalidated before it is mapped again, unless the
	 * fault maps the VMM's shared memory of a guest_memfd slot, which the
	 * punch of the private backing does not concern.
	 */
	if (pmp_inval_deferred(vm, f->gfn) &&
	    ((f->flags & PMP_FAULT_PRIVATE) || !(s->flags & PMP_SLOT_GUEST_MEMFD))) {
		ev.cause = PMP_CAUSE_PUNCH;
		pmp_inval_page(&ev, f->gfn);
		ev.cause = PMP_CAUSE_FAULT;
	}

	if (pin) {
		vm->stats.decision[PMP_DECISION_PIN].tried++;
		vm->stats.decision[PMP_DECISION_PIN].applied++;
		pmp_pin_apply(&ev, head, pages, &plan);
	}
	note_backing(vm, f);
	/* the rest concerns the faulting VTL's page tables */
	ev.vtl = f->vtl;
	ev.cause = PMP_CAUSE_MERGE;
	if (pmp_leaf_flags(vm, f->gfn >> PMP_CHUNK_SHIFT, f->vtl) & PMP_CF_BLOCKED) {
		/* the 4 KiB leaves are there, blocked: promote or unblock */
		blocked_fault(&ev, f, level < PMP_LEVEL_1G ? level : PMP_LEVEL_2M, why);
	} else {
		ev.cause = PMP_CAUSE_FAULT;
		pmp_emit(&ev, PMP_ACT_MAP, level, head, pages);
		pmp_mirror_map(vm, f->vtl, head, level);
		ev.cause = PMP_CAUSE_MERGE;
		if (level < PMP_LEVEL_1G)
			pmp_merge_after_fill(&ev, f->vtl, f->gfn, (int32_t)f->slot);
	}
	pmp_event_end(&ev);
	return 0;
}
