// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Merging split ranges back into huge leaves, three ways (seed 004):
 * SCAN promotes eligible, fully mapped candidates from a background tick;
 * FAULT promotes when a fault (or an accept) completes a range; BLOCKED
 * blocks eligible candidates from the tick and lets the next fault on them
 * decide (fault.c), so only ranges the guest touches pay for a promote.
 *
 * A merge concerns one VTL's page tables: it needs that VTL's leaves to
 * fill the range and that VTL's protections to allow the size, as a fault
 * from that VTL would (another VTL's protections do not limit its leaves).
 */
#include "internal.h"

/* The memslot holding @gfn, or NULL. O(slots): ticks and promotes only. */
static const struct pmp_slot *slot_of(const struct pmp_vm *vm, uint64_t gfn, uint32_t *id)
{
	const struct pmp_slot_state *st = pmp_slots(vm);
	uint32_t i;

	for (i = 0; i < vm->max_slots; i++) {
		if (st[i].in_use && gfn - st[i].slot.base_gfn < st[i].slot.npages) {
			*id = i;
			return &st[i].slot;
		}
	}
	return NULL;
}

/* Does memslot @id (a slot hint: -1 for none) hold @gfn? */
static bool slot_holds(const struct pmp_vm *vm, int32_t id, uint64_t gfn)
{
	return id >= 0 && gfn - pmp_slots(vm)[id].slot.base_gfn < pmp_slots(vm)[id].slot.npages;
}

/*
 * The id of the memslot holding @gfn, -1 if none: memslot @hint if it
 * holds it (memslots never overlap, so it is the one), else slot_of().  A
 * tick meets its candidates memslot after memslot, so it hands each
 * candidate's memslot on to the next as the hint, and looks through the
 * memslots once per memslot, not once per candidate.
 */
static int32_t slot_near(const struct pmp_vm *vm, uint64_t gfn, int32_t hint)
{
	uint32_t id;

	if (slot_holds(vm, hint, gfn))
		return hint;
	return slot_of(vm, gfn, &id) ? (int32_t)id : -1;
}

/* VTL @vtl's 2 MiB leaves in GPA giant @g. */
static uint32_t giant_nr_huge(const struct pmp_vm *vm, uint64_t g, unsigned int vtl)
{
	uint32_t cg = pmp_giant_index(vm, g);

	return vtl ? pmp_vtl_giants(vm, vtl)[cg].nr_huge : pmp_cgiants(vm)[cg].nr_huge;
}

/*
 * In VTL @vtl, is every chunk of the range fully mapped (2 MiB) or one
 * 2 MiB leaf (1 GiB)?
 */
static bool range_full(const struct pmp_vm *vm, unsigned int vtl, uint64_t gfn, int level)
{
	if (level == PMP_LEVEL_2M)
		return pmp_plane_uniform(vm, gfn >> PMP_CHUNK_SHIFT, pmp_mapped_plane(vtl)) == 1;
	return giant_nr_huge(vm, gfn >> PMP_GIANT_SHIFT, vtl) == PMP_GIANT_CHUNKS;
}

/*
 * Every page known accepted?  Stops at the first that is not (a tick asks
 * every 1 GiB); a chunk whose acceptance the pool could not hold (unknown:
 * maybe accepted) is not ready.
 */
static bool range_accepted(const struct pmp_vm *vm, uint64_t gfn, int level)
{
	return pmp_plane_all_set(vm, gfn, gfn + PMP_LEVEL_PAGES(level), PMP_PLANE_ACCEPTED);
}

/* TDX/SNP private memory promotes only fully mapped (in @vtl) and accepted. */
bool pmp_promote_ready(const struct pmp_vm *vm, unsigned int vtl, uint64_t gfn, int level)
{
	return !pmp_guarded_private(vm, gfn) || (range_full(vm, vtl, gfn, level) &&
					  range_accepted(vm, gfn, level));
}

/* Does the folio backing the 2 MiB at @head stop a 2 MiB leaf (pmp_merge_blocker's order)? */
static bool folio_small(const struct pmp_vm *vm, uint64_t head)
{
	uint32_t f = pmp_chunk_of(vm, head)->blocks;

	return (f & PMP_CF_DEFERRED) ||
	       (!(pmp_giant_of(vm, head)->flags & PMP_GF_BACKED) && !(f & PMP_CF_BACKED));
}

/* Does memslot @id (-1: none) log dirty pages (a 2 MiB leaf there is refused)? */
static bool slot_logs_dirty(const struct pmp_vm *vm, int32_t id)
{
	return id >= 0 && (pmp_slots(vm)[id].slot.flags & PMP_SLOT_DIRTY_LOG);
}

/* Do private and shared pages share the 2 MiB at @head (an exact plane: never unknown)? */
static bool attrs_mixed(const struct pmp_vm *vm, uint64_t head)
{
	return pmp_chunk_of(vm, head)->mixed & PMP_BIT(PMP_PLANE_PRIVATE);
}

/*
 * Does the 2 MiB at @head stay small for as long as memslot @slot (-1:
 * none holds @head) and the policy stay as they are?  KVM's lpage_info
 * rule: a 2 MiB leaf needs the range inside one memslot and the gfn and
 * backing offset (userspace address, or guest_memfd offset for a private
 * fault, as the head page is) to agree at 2 MiB; and the policy's cap.
 * Only a memslot arriving at its range (moved_in() in vm.c: the leaves of
 * one deleted may stay), a conversion of the head page (which alignment
 * applies) or a policy change (pmp_vm_set_policy()) lifts these, and each
 * unparks the candidates there.
 */
static bool slot_keeps_small(const struct pmp_vm *vm, int32_t slot, uint64_t head)
{
	const struct pmp_slot_state *st;
	bool private;

	if (slot < 0 || vm->policy.max_level < PMP_LEVEL_2M)
		return true;
	st = &pmp_slots(vm)[slot];
	private = pmp_chunk_plane_get(vm, pmp_chunk_of(vm, head), 0, PMP_PLANE_PRIVATE);
	return (head >> PMP_CHUNK_SHIFT) - st->chunk_lo >= st->chunk_len ||
	       st->align_level[private] < PMP_LEVEL_2M;
}

/*
 * Is VTL @vtl's candidate at GPA chunk @ci refused by a tick for a reason
 * that only a change to this chunk (or its 1 GiB folio, its memslot, or
 * the policy) can lift?  Not fully mapped (a leaf change lifts it), a small or punched
 * folio (a fault reporting a larger one, the punches issued), private
 * pages not all accepted (an accept, a conversion), its memslot logging
 * dirty pages (dirty logging stopping, pmp_merge_unpark_slot()), private
 * and shared pages mixed in it (a conversion touching it: only
 * pmp_change_attrs() writes the private attribute), its memslot's edge or
 * alignment or the policy's cap (slot_keeps_small()).  Each
 * alone refuses whatever else holds, so a tick need not look again until
 * one of those happens.  @slot: the memslot holding it (slot_near()), -1 if none.
 */
static bool lasting_in(const struct pmp_vm *vm, unsigned int vtl, uint64_t ci, int32_t slot)
{
	uint64_t head = ci << PMP_CHUNK_SHIFT;
	bool guarded = pmp_guarded_private(vm, head);
	bool need_full = vm->policy.merge != PMP_MERGE_BLOCKED || guarded;

	return (need_full && !range_full(vm, vtl, head, PMP_LEVEL_2M)) || folio_small(vm, head) ||
	       (guarded && !range_accepted(vm, head, PMP_LEVEL_2M)) || attrs_mixed(vm, head) ||
	       slot_logs_dirty(vm, slot) || slot_keeps_small(vm, slot, head);
}

bool pmp_merge_lasting(const struct pmp_vm *vm, unsigned int vtl, uint64_t ci)
{
	return lasting_in(vm, vtl, ci, slot_near(vm, ci << PMP_CHUNK_SHIFT, -1));
}

/* Unpark the candidates of VTLs >= 1 at GPA chunk @ci (VTL 0's: the caller). */
void pmp_merge_unpark_vtls(struct pmp_vm *vm, uint64_t ci)
{
	unsigned int v;

	for (v = 1; v < vm->nr_vtls; v++)
		if (pmp_leaf_flags(vm, ci, v) & PMP_CF_PARKED)
			pmp_vtl_leaf_set_flags(vm, ci, v, 0, PMP_CF_PARKED);
}

/* Every VTL's parked candidates at GPA chunk @ci, whose descriptor @c the caller holds. */
void pmp_merge_unpark_chunk(struct pmp_vm *vm, uint64_t ci, const struct pmp_chunk *c)
{
	if (c->blocks & PMP_CF_PARKED)
		pmp_chunk_set_flags(vm, ci, 0, PMP_CF_PARKED);
	if (vm->nr_vtls > 1)
		pmp_merge_unpark_vtls(vm, ci);
}

/* Every VTL's parked candidates in [gfn, gfn + npages): something there changed. */
void pmp_merge_unpark(struct pmp_vm *vm, uint64_t gfn, uint64_t npages)
{
	uint64_t end = ((gfn + npages - 1) >> PMP_CHUNK_SHIFT) + 1, ci = gfn >> PMP_CHUNK_SHIFT;
	uint32_t cg;

	/* one chunk (an accept, a page's change): one directory lookup */
	if (end == ci + 1) {
		cg = pmp_giant_index(vm, gfn >> PMP_GIANT_SHIFT);
		if (cg)		/* no state: nothing parked */
			pmp_merge_unpark_chunk(vm, ci, &pmp_cchunks(vm)[pmp_cg_chunk_index(cg, gfn)]);
		return;
	}
	for (ci = pmp_state_chunk_next(vm, gfn >> PMP_CHUNK_SHIFT, end); ci < end;
	     ci = pmp_state_chunk_next(vm, ci + 1, end)) {
		if (pmp_chunk_at(vm, ci)->blocks & PMP_CF_PARKED)
			pmp_chunk_set_flags(vm, ci, 0, PMP_CF_PARKED);
		pmp_merge_unpark_vtls(vm, ci);
	}
}

/*
 * Memslot @s stops logging dirty pages at its range (dirty logging off, the
 * slot deleted or moved away): the candidates parked there for it may merge.
 * A slot-wide walk, as turning dirty logging on splits the whole slot.
 */
void pmp_merge_unpark_slot(struct pmp_vm *vm, const struct pmp_slot *s)
{
	if (s->flags & PMP_SLOT_DIRTY_LOG)
		pmp_merge_unpark(vm, s->base_gfn, s->npages);
}

/* Every parked candidate: the policy changed what a tick asks. */
void pmp_merge_unpark_all(struct pmp_vm *vm)
{
	uint32_t cg;

	for (cg = 0; cg < vm->nr_giants; cg++)
		if (pmp_homes(vm)[cg].in_use)
			pmp_merge_unpark(vm, (uint64_t)pmp_homes(vm)[cg].giant << PMP_GIANT_SHIFT,
					 PMP_GIANT_PAGES);
}

/*
 * Why VTL @vtl's range of @level holding @gfn cannot be promoted now, or
 * NONE.  Eligibility is that of a fault on it from @vtl, backed by the
 * folio size the last fault there reported.
 */
enum pmp_reason pmp_merge_blocker(const struct pmp_vm *vm, unsigned int vtl, uint64_t gfn,
				  int level, bool need_full, int32_t slot_hint)
{
	uint64_t head = gfn & ~(PMP_LEVEL_PAGES(level) - 1);
	struct pmp_fault f = { .gfn = head, .vtl = (uint8_t)vtl };
	uint16_t mapped = PMP_BIT(pmp_mapped_plane(vtl));
	const struct pmp_slot *s;
	const struct pmp_chunk *c;
	struct pmp_giant *g;
	bool private;

	/* a fault knows its slot: keep the fault path O(1) (a tick passes the last one's) */
	if (slot_holds(vm, slot_hint, head)) {
		f.slot = (uint32_t)slot_hint;
		s = &pmp_slots(vm)[slot_hint].slot;
	} else {
		s = slot_of(vm, head, &f.slot);
	}
	enum pmp_reason why;

	if (!s)
		return PMP_REASON_SLOT_BOUNDARY;
	/* the head's chunk and 1 GiB from one directory lookup: a tick asks this of every candidate */
	c = pmp_chunk_giant(vm, head, &g);
	/* range_full(), for 2 MiB on the chunk in hand */
	if (need_full && (level == PMP_LEVEL_2M ? (c->mixed & mapped) || !(c->value & mapped) :
				!range_full(vm, vtl, head, level)))
		return PMP_REASON_NOT_MAPPED;
	private = pmp_chunk_plane_get(vm, c, head & (PMP_CHUNK_PAGES - 1), PMP_PLANE_PRIVATE);
	if (private)
		f.flags = PMP_FAULT_PRIVATE;
	/* a 1 GiB folio backs each of its 2 MiB ranges, faulted there or not */
	if (g->flags & PMP_GF_BACKED)
		f.backing_order = 18;
	else if (level == PMP_LEVEL_2M && (c->blocks & PMP_CF_BACKED))
		f.backing_order = 9;
	/* before eligibility: pending pages are what TDX PROMOTE refuses first (pmp_guarded_private()) */
	if (need_full && private && (vm->vm_type == PMP_VM_TDX || vm->vm_type == PMP_VM_SNP) &&
	    !range_accepted(vm, head, level))
		return PMP_REASON_NOT_ACCEPTED;
	if (pmp_fault_level(vm, s, &f, PMP_VTL_PLANES(vtl), &why) < level)
		return why;
	return PMP_REASON_NONE;
}

/*
 * Promote VTL @vtl's range of @level holding @gfn.  TDX private leaves are
 * blocked and tracked first, unless a merge tick already did
 * (merge=blocked).
 */
void pmp_promote_emit(struct pmp_event *ev, unsigned int vtl, uint64_t gfn, int level)
{
	struct pmp_vm *vm = ev->vm;
	uint64_t pages = PMP_LEVEL_PAGES(level), head = gfn & ~(pages - 1);
	uint8_t event_vtl = ev->vtl;

	ev->vtl = (uint8_t)vtl;
	if (vm->vm_type == PMP_VM_TDX && pmp_is_private(vm, head) &&
	    !(level == PMP_LEVEL_2M &&
	      (pmp_leaf_flags(vm, head >> PMP_CHUNK_SHIFT, vtl) & PMP_CF_BLOCKED))) {
		pmp_emit(ev, PMP_ACT_BLOCK, level - 1, head, pages);
		pmp_emit(ev, PMP_ACT_TRACK, level - 1, head, pages);
	}
	pmp_emit(ev, PMP_ACT_PROMOTE, level, head, pages);
	ev->vtl = event_vtl;
	pmp_mirror_map(vm, vtl, head, level);
	vm->stats.promoted[level]++;
}

/* Try one promote in VTL @vtl, counting the decision; NONE if it happened, else why not. */
static enum pmp_reason promote(struct pmp_event *ev, unsigned int vtl, uint64_t gfn, int level,
			       int32_t slot_hint)
{
	struct pmp_decision_stats *d = &ev->vm->stats.decision[PMP_DECISION_MERGE];
	enum pmp_reason why = pmp_merge_blocker(ev->vm, vtl, gfn, level, true, slot_hint);

	d->tried++;
	if (why) {
		d->refused[why]++;
		return why;
	}
	d->applied++;
	pmp_promote_emit(ev, vtl, gfn, level);
	return PMP_REASON_NONE;
}

static bool try_promote(struct pmp_event *ev, unsigned int vtl, uint64_t gfn, int level,
			int32_t slot_hint)
{
	return promote(ev, vtl, gfn, level, slot_hint) == PMP_REASON_NONE;
}

/*
 * merge=fault: a fault (in VTL @vtl) or an accept just filled in part of a
 * range.  Only a range that is now fully mapped is a decision (so partial
 * fills count nothing); a promoted 2 MiB may complete its 1 GiB.
 */
void pmp_merge_after_fill(struct pmp_event *ev, unsigned int vtl, uint64_t gfn,
			  int32_t slot_hint)
{
	struct pmp_vm *vm = ev->vm;

	if (vm->policy.merge != PMP_MERGE_FAULT || pmp_giant_leaf(vm, gfn >> PMP_GIANT_SHIFT, vtl))
		return;
	if (!(pmp_leaf_flags(vm, gfn >> PMP_CHUNK_SHIFT, vtl) & PMP_CF_HUGE)) {
		if (!range_full(vm, vtl, gfn, PMP_LEVEL_2M) ||
		    !try_promote(ev, vtl, gfn, PMP_LEVEL_2M, slot_hint))
			return;
	}
	if (range_full(vm, vtl, gfn, PMP_LEVEL_1G))
		try_promote(ev, vtl, gfn, PMP_LEVEL_1G, slot_hint);
}

/* VTL 0's page tables: other VTLs' ranges merge by tick or at their faults. */
int pmp_promote(struct pmp_vm *vm, uint64_t gfn, struct pmp_actions *out)
{
	struct pmp_event ev;
	enum pmp_reason why;
	int err;

	if (gfn >= vm->gfn_end)
		return -ERANGE;
	if (pmp_leaf_level(vm, gfn) >= PMP_LEVEL_2M)
		return -EEXIST;
	why = pmp_merge_blocker(vm, 0, gfn, PMP_LEVEL_2M, true, -1);
	if (why == PMP_REASON_NOT_MAPPED || why == PMP_REASON_NOT_ACCEPTED)
		return -EAGAIN;
	if (why)
		return -EBUSY;
	err = pmp_event_begin(&ev, vm, out, PMP_CAUSE_MERGE, 3);
	if (err)
		return err;
	vm->stats.decision[PMP_DECISION_MERGE].tried++;
	vm->stats.decision[PMP_DECISION_MERGE].applied++;
	pmp_promote_emit(&ev, 0, gfn, PMP_LEVEL_2M);
	pmp_event_end(&ev);
	return 0;
}

/*
 * merge=blocked: block an eligible candidate's leaves in VTL @vtl; its next
 * fault there decides.
 */
static enum pmp_reason try_block(struct pmp_event *ev, unsigned int vtl, uint64_t ci,
				 int32_t slot)
{
	struct pmp_vm *vm = ev->vm;
	struct pmp_decision_stats *d = &vm->stats.decision[PMP_DECISION_MERGE];
	uint64_t head = ci << PMP_CHUNK_SHIFT;
	enum pmp_reason why = pmp_merge_blocker(vm, vtl, head, PMP_LEVEL_2M,
						pmp_guarded_private(vm, head), slot);

	/* a mirror the pool could not hold: maybe no leaf at all to block */
	if (!why && !pmp_plane_known(vm, head, pmp_mapped_plane(vtl)))
		why = PMP_REASON_POOL;
	d->tried++;
	if (why) {
		d->refused[why]++;
		return why;
	}
	d->applied++;
	ev->vtl = (uint8_t)vtl;
	pmp_emit(ev, PMP_ACT_BLOCK, PMP_LEVEL_4K, head, PMP_CHUNK_PAGES);
	if (vm->vm_type == PMP_VM_TDX)
		pmp_emit(ev, PMP_ACT_TRACK, PMP_LEVEL_4K, head, PMP_CHUNK_PAGES);
	pmp_leaf_set_flags(vm, ci, vtl, PMP_CF_BLOCKED, PMP_CF_CAND);
	return PMP_REASON_NONE;
}

/*
 * merge=settled: the first tick that finds a candidate ready only marks it;
 * the next one promotes it if no leaf there changed in between (any change
 * clears the mark).  A range split again soon after every promote (a page
 * flipping private and shared, a protection toggled) is left alone until
 * it stays put for a tick interval, instead of costing a write-locked
 * promote and a split per cycle; a settled range waits one tick more.
 */
static enum pmp_reason settle_mark(struct pmp_vm *vm, unsigned int vtl, uint64_t ci,
				   int32_t slot)
{
	struct pmp_decision_stats *d = &vm->stats.decision[PMP_DECISION_MERGE];
	enum pmp_reason why = pmp_merge_blocker(vm, vtl, ci << PMP_CHUNK_SHIFT, PMP_LEVEL_2M,
						true, slot);

	if (why) {
		d->tried++;
		d->refused[why]++;
		return why;
	}
	pmp_leaf_set_flags(vm, ci, vtl, PMP_CF_SEEN, 0);
	return PMP_REASON_NONE;
}

/*
 * Does a tick's refusal @why of VTL @vtl's candidate at GPA chunk @ci (in
 * memslot @slot) last (lasting_in())?  Other reasons (write tracking, VTL
 * protections, pins, the NX mitigation) never do.  A range not fully mapped
 * or not all accepted is refused for what lasting_in() asks first and
 * third, with the same need for a full range (pmp_merge_blocker()'s
 * @need_full is the tick's), and dirty logging only for @slot's flag (the
 * verdict pmp_slot_prepare() keeps), which lasting_in() asks too: those
 * three are known to last without asking again (the acceptance check
 * alone reads up to 512 bits).
 */
static bool refusal_lasts(const struct pmp_vm *vm, unsigned int vtl, uint64_t ci, int32_t slot,
			  enum pmp_reason why)
{
	if (why == PMP_REASON_NOT_MAPPED || why == PMP_REASON_NOT_ACCEPTED ||
	    why == PMP_REASON_DIRTY_LOG)
		return true;
	return (why == PMP_REASON_BACKING_ORDER || why == PMP_REASON_MIXED_ATTRS ||
		why == PMP_REASON_MISALIGNED || why == PMP_REASON_SLOT_BOUNDARY ||
		why == PMP_REASON_POLICY_CAP) &&
	       lasting_in(vm, vtl, ci, slot);
}

/*
 * VTL @vtl's candidate at GPA chunk @ci, if it is one and not parked.  One
 * refused for a lasting reason is parked: no tick looks at it again until
 * something that could lift the reason happens to it.  *@slot: the
 * memslot of the tick's last candidate (a hint), then this one's.
 */
static bool tick_one(struct pmp_event *ev, unsigned int vtl, uint64_t ci, int32_t *slot)
{
	struct pmp_vm *vm = ev->vm;
	uint32_t f = pmp_leaf_flags(vm, ci, vtl);
	enum pmp_reason why;

	if ((f & (PMP_CF_CAND | PMP_CF_PARKED)) != PMP_CF_CAND)
		return false;
	*slot = slot_near(vm, ci << PMP_CHUNK_SHIFT, *slot);
	if (vm->policy.merge == PMP_MERGE_BLOCKED) {
		why = try_block(ev, vtl, ci, *slot);
	} else if (vm->policy.merge == PMP_MERGE_SETTLED && !(f & PMP_CF_SEEN)) {
		why = settle_mark(vm, vtl, ci, *slot);
		if (!why)
			return false;	/* marked: the next tick acts */
	} else {
		why = promote(ev, vtl, ci << PMP_CHUNK_SHIFT, PMP_LEVEL_2M, *slot);
	}
	if (why == PMP_REASON_NONE)
		return true;
	if (refusal_lasts(vm, vtl, ci, *slot, why))
		pmp_leaf_set_flags(vm, ci, vtl, PMP_CF_PARKED, 0);
	return false;
}

/* Each VTL's candidate at GPA chunk @ci, acting at most @quota times (*@slot: tick_one()). */
static uint64_t tick_chunk(struct pmp_event *ev, uint64_t ci, uint64_t quota, int32_t *slot)
{
	uint64_t acted = 0;
	unsigned int v;

	for (v = 0; v < ev->vm->nr_vtls && acted < quota; v++)
		acted += tick_one(ev, v, ci, slot);
	return acted;
}

/* Strategies whose ticks promote (scan) or block (blocked) candidates. */
static bool merges_by_tick(const struct pmp_vm *vm)
{
	return vm->policy.merge == PMP_MERGE_SCAN || vm->policy.merge == PMP_MERGE_BLOCKED ||
	       vm->policy.merge == PMP_MERGE_SETTLED;
}

/* A 1 GiB range made of VTL @vtl's 2 MiB leaves only is a candidate for a 1 GiB leaf. */
static bool giant_candidate(const struct pmp_vm *vm, unsigned int vtl, uint64_t g)
{
	return !pmp_giant_leaf(vm, g, vtl) && giant_nr_huge(vm, g, vtl) == PMP_GIANT_CHUNKS;
}

/*
 * A 1 GiB range of 2 MiB leaves at the tick.  Its eligibility alone is
 * cheap and a tick meets the same ineligible range again and again (TDX
 * private memory, say), so it goes first; only an eligible range pays for
 * the check that every page is accepted.  A refusal counts the same way.
 */
static bool tick_giant(struct pmp_event *ev, unsigned int vtl, uint64_t g)
{
	struct pmp_decision_stats *d = &ev->vm->stats.decision[PMP_DECISION_MERGE];
	enum pmp_reason why = pmp_merge_blocker(ev->vm, vtl, g << PMP_GIANT_SHIFT, PMP_LEVEL_1G,
						false, -1);

	if (why) {
		d->tried++;
		d->refused[why]++;
		return false;
	}
	return try_promote(ev, vtl, g << PMP_GIANT_SHIFT, PMP_LEVEL_1G, -1);
}

/*
 * Each VTL's 1 GiB candidate at GPA giant @g (compact giant @cg), acting
 * at most @quota times.  Without a 1 GiB folio under it (no fault there
 * reported one) a 1 GiB leaf is refused whatever else holds (backing
 * order, or a check before it), in every VTL, until a fault reports one:
 * nothing to decide, so a tick passing a TDX guest's 2 MiB-backed memory
 * decides nothing there, as for a 1 GiB range without 2 MiB leaves.
 */
static uint64_t tick_giants(struct pmp_event *ev, uint32_t cg, uint64_t g, uint64_t quota)
{
	uint64_t acted = 0;
	unsigned int v;

	if (!(pmp_cgiants(ev->vm)[cg].flags & PMP_GF_BACKED))
		return 0;
	for (v = 0; v < ev->vm->nr_vtls && acted < quota; v++)
		acted += giant_candidate(ev->vm, v, g) && tick_giant(ev, v, g);
	return acted;
}

/* Candidates of any VTL in compact giant @cg? */
static bool giant_has_cand(const struct pmp_vm *vm, uint32_t cg)
{
	unsigned int v;

	if (pmp_cgiants(vm)[cg].nr_cand)
		return true;
	for (v = 1; v < vm->nr_vtls; v++)
		if (pmp_vtl_giants(vm, v)[cg].nr_cand)
			return true;
	return false;
}

/* Index of the lowest set bit of @x != 0, without libgcc's helpers. */
static unsigned int lowest_bit(uint64_t x)
{
	return pmp_weight64((x & (0 - x)) - 1);
}

/* The 8 words of compact giant @cg's candidate index all 0? */
static bool cand_words_clear(const struct pmp_vm *vm, uint32_t cg)
{
	const uint64_t *w = &pmp_cand_map(vm)[(uint64_t)cg * (PMP_GIANT_CHUNKS / 64)];

	return !(w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7]);
}

/*
 * The first compact chunk in [ci, end) whose candidate bit is set, or
 * @end; @end is the end of @ci's giant, so at most 8 words are read.  From
 * a giant's head they are first read at once, not searched one by one: a
 * tick passes many giants whose candidates are all parked.
 */
static uint64_t next_cand(const struct pmp_vm *vm, uint64_t ci, uint64_t end)
{
	const uint64_t *map = pmp_cand_map(vm);
	uint64_t w = ci / 64, x = map[w] & (~0ULL << (ci % 64));

	if (!(ci % PMP_GIANT_CHUNKS) && cand_words_clear(vm, (uint32_t)(ci / PMP_GIANT_CHUNKS)))
		return end;
	while (!x) {
		if (++w >= end / 64)
			return end;
		x = map[w];
	}
	return w * 64 + lowest_bit(x);
}

/*
 * One unit of a tick at compact chunk @ci: the 1 GiB candidates at a
 * giant's head, then the next candidate in its giant, acting at most
 * @quota times in all (*@acted so far; *@slot: tick_one()).  Returns where
 * the tick goes on: past the candidate, the giant's end if none is left
 * there, or @ci itself when the 1 GiB candidates used up the quota (its
 * chunks next time: the room is for @quota acts).
 */
static uint64_t tick_visit(struct pmp_event *ev, uint64_t ci, uint64_t quota, uint64_t *acted,
			   int32_t *slot)
{
	struct pmp_vm *vm = ev->vm;
	uint32_t cg = (uint32_t)(ci / PMP_GIANT_CHUNKS);
	const struct pmp_home *h = &pmp_homes(vm)[cg];
	uint64_t g_end = ((uint64_t)cg + 1) * PMP_GIANT_CHUNKS, next;

	if (h->in_use && !(ci % PMP_GIANT_CHUNKS) && vm->policy.merge != PMP_MERGE_BLOCKED)
		*acted += tick_giants(ev, cg, h->giant, quota - *acted);
	if (*acted >= quota)
		return ci;
	next = h->in_use && giant_has_cand(vm, cg) ? next_cand(vm, ci, g_end) : g_end;
	if (next == g_end)
		return g_end;	/* no candidate left here: on to the next 1 GiB */
	if (!pmp_cand_any(vm, next)) {
		pmp_cand_map(vm)[next / 64] &= ~(1ULL << (next % 64));	/* stale */
		return next + 1;
	}
	*acted += tick_chunk(ev, ((uint64_t)h->giant << (PMP_GIANT_SHIFT - PMP_CHUNK_SHIFT)) |
				 (next % PMP_GIANT_CHUNKS), quota - *acted, slot);
	return next + 1;
}

/*
 * The tick visits compact chunks (the state there is, not the span), in
 * pool order, from the cursor: each 1 GiB head (a 1 GiB candidate?) and
 * each chunk of the candidate index, so its work is the candidates it
 * finds plus one unit per 1 GiB of state it passes, never a scan of the
 * chunks in between.  Each chunk's gfn comes from its giant's home.
 */
int pmp_merge_tick(struct pmp_vm *vm, struct pmp_actions *out)
{
	uint64_t nr = (uint64_t)vm->nr_giants * PMP_GIANT_CHUNKS;
	uint64_t ci, start, quota, acted = 0, looked = 0;
	struct pmp_yield_state ys = { 0 };
	int32_t slot = -1;	/* the last candidate's memslot: the memslots stay during a tick */
	bool wrapped = false;
	struct pmp_event ev;
	int err;

	if (!merges_by_tick(vm))
		return 0;
	err = pmp_event_begin_all(&ev, vm, out, PMP_CAUSE_MERGE, 3);
	if (err)
		return err;
	quota = (vm->nr_cand + vm->policy.scan_ratio - 1) / vm->policy.scan_ratio;
	if (quota < 1)
		quota = 1;	/* 1 GiB candidates count too */
	if (quota > pmp_event_room(&ev) / 3)
		quota = pmp_event_room(&ev) / 3;
	start = ci = vm->scan_cursor % nr;
	do {
		looked++;
		ci = tick_visit(&ev, ci, quota, &acted, &slot);
		if (ci >= nr) {
			ci = 0;
			wrapped = true;
		}
	} while (!(wrapped && ci >= start) && looked < vm->policy.scan_budget && acted < quota &&
		 !pmp_yield_poll(vm, &ys, ci, vm->policy.scan_budget - looked));
	vm->scan_cursor = ci;
	vm->stats.scan_work += looked;
	pmp_event_end(&ev);
	return (int)looked;
}
