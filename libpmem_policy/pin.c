// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Pinning (SEV): the PINNED plane is the truth, 1 bit per 4 KiB page.  Pages
 * are pinned at launch or at their first fault, per the policy, and only
 * teardown unpins them: zaps, memslot updates, recycled shadow pages and
 * dropped roots never do (the seed thread's data-corruption case).
 */
#include "internal.h"

#define PINNED PMP_BIT(PMP_PLANE_PINNED)

/*
 * The pages of [gfn, gfn + npages) not yet pinned when one look at @c, the
 * chunk holding @gfn, tells: the range is one page, or lies in @c and its
 * PINNED plane is uniform (a fault's own range, pinned or not as a whole).
 * -1 otherwise.
 */
static int64_t pin_newly_fast(const struct pmp_vm *vm, const struct pmp_chunk *c, uint64_t gfn,
			      uint64_t npages)
{
	if (npages == 1)
		return !pmp_plane_get(vm, gfn, PMP_PLANE_PINNED);
	if ((gfn >> PMP_CHUNK_SHIFT) != ((gfn + npages - 1) >> PMP_CHUNK_SHIFT) ||
	    (c->mixed & PINNED))
		return -1;
	return c->value & PINNED ? 0 : (int64_t)npages;
}

/*
 * Can [gfn, gfn + npages) be pinned?  Counts the runs of pages not yet
 * pinned (one PIN action each) and checks the pin limit; the caller checks
 * the pool for this and its other plane updates together, and hands the
 * plan to pmp_pin_apply().  @c: the chunk holding @gfn if the caller has
 * it (the fault path), else NULL.
 */
int pmp_pin_plan(const struct pmp_vm *vm, const struct pmp_chunk *c, uint64_t gfn,
		 uint64_t npages, struct pmp_pin_plan *plan)
{
	uint64_t end = gfn + npages, g = gfn, e;
	int64_t fast = pin_newly_fast(vm, c ? c : pmp_chunk_of(vm, gfn), gfn, npages);

	plan->runs = fast > 0;
	plan->newly = fast > 0 ? (uint64_t)fast : 0;
	for (; fast < 0 && (g = pmp_plane_run(vm, g, end, PMP_PLANE_PINNED, false, &e)) < end;
	     g = e) {
		plan->newly += e - g;
		plan->runs++;
	}
	return pmp_pin_over_limit(vm, plan->newly) ? -ENOMEM : 0;
}

/* Count a refused pin: over the limit, or out of pool blocks. */
int pmp_pin_refused(struct pmp_vm *vm, enum pmp_reason why)
{
	struct pmp_decision_stats *d = &vm->stats.decision[PMP_DECISION_PIN];

	d->tried++;
	d->refused[why]++;
	return -ENOMEM;
}

/* One PIN action per run of [gfn, gfn + npages) not pinned yet. */
static void pin_emit_runs(struct pmp_event *ev, uint64_t gfn, uint64_t npages,
			  const struct pmp_pin_plan *plan)
{
	uint64_t end = gfn + npages, g = gfn, e;

	if (!ev->out)
		return;		/* pmp_pin_range() with no array: the caller pins itself */
	if (plan->newly == npages) {	/* none pinned: one run, the range */
		pmp_emit(ev, PMP_ACT_PIN, 0, gfn, npages);
		return;
	}
	for (; (g = pmp_plane_run(ev->vm, g, end, PMP_PLANE_PINNED, false, &e)) < end; g = e)
		pmp_emit(ev, PMP_ACT_PIN, 0, g, e - g);
}

/*
 * Pin the runs pmp_pin_plan() counted for the same range, with nothing
 * changed in between: one PIN action each.  The caller checked the pool
 * for the PINNED plane's update.
 */
void pmp_pin_apply(struct pmp_event *ev, uint64_t gfn, uint64_t npages,
		   const struct pmp_pin_plan *plan)
{
	struct pmp_vm *vm = ev->vm;

	if (!plan->runs)
		return;		/* all pinned already: nothing to emit or set */
	pin_emit_runs(ev, gfn, npages, plan);
	pmp_planes_apply(vm, gfn, npages, PINNED, PINNED);
	pmp_pin_count(vm, plan->newly);
}

int pmp_pin_range(struct pmp_vm *vm, uint64_t gfn, uint64_t npages, struct pmp_actions *out)
{
	struct pmp_pin_plan plan;
	struct pmp_event ev;
	int err;

	if (vm->vm_type != PMP_VM_SEV || vm->policy.pin == PMP_PIN_NONE)
		return -EINVAL;
	err = pmp_range_check(gfn, npages, vm->gfn_end);
	if (err)
		return err;
	if (pmp_pin_plan(vm, NULL, gfn, npages, &plan))
		return pmp_pin_refused(vm, PMP_REASON_PIN_LIMIT);
	if (pmp_pool_reserve(vm, pmp_planes_blocks_needed(vm, gfn, npages, PINNED, PINNED)))
		return pmp_pin_refused(vm, PMP_REASON_POOL);
	/* a NULL @out: the caller holds every page already and wants no PIN actions */
	err = pmp_event_begin(&ev, vm, out, PMP_CAUSE_LAUNCH, out ? plan.runs : 0);
	if (!err)
		err = pmp_state_reserve(vm, gfn, npages);	/* pins outlive memslots */
	if (err)
		return err;
	pmp_pin_apply(&ev, gfn, npages, &plan);
	pmp_pin_applied(vm);
	pmp_event_end(&ev);
	return 0;
}

int pmp_is_pinned(const struct pmp_vm *vm, uint64_t gfn)
{
	if (gfn >= vm->gfn_end)
		return -ERANGE;
	return pmp_plane_get(vm, gfn, PMP_PLANE_PINNED);
}

uint64_t pmp_nr_pinned(const struct pmp_vm *vm)
{
	return vm->nr_pinned;
}

/* UNPIN runs teardown takes from the planes in one pass, at most. */
#define UNPIN_BATCH 8

/*
 * Runs to take in the next pass, as many as the array has room for: one
 * with a yield poll, which is asked between every two runs.
 */
static unsigned int unpin_batch(const struct pmp_vm *vm, uint32_t room)
{
	if (vm->yield && vm->yield->poll)
		return 1;
	return room < UNPIN_BATCH ? room : UNPIN_BATCH;
}

/*
 * Unpin up to @max runs from @gfn, a pinned page, one UNPIN each: returns
 * the end of the last; *@next is where the next run starts.
 */
static uint64_t unpin_runs(struct pmp_event *ev, uint64_t gfn, unsigned int max, uint64_t *next)
{
	struct pmp_vm *vm = ev->vm;
	struct pmp_run runs[UNPIN_BATCH];
	unsigned int i, n = pmp_plane_take_runs(vm, gfn, vm->span, PMP_PLANE_PINNED, runs, max,
						next);

	for (i = 0; i < n; i++) {
		pmp_emit(ev, PMP_ACT_UNPIN, 0, runs[i].gfn, runs[i].npages);
		vm->nr_pinned -= runs[i].npages;
	}
	return runs[n - 1].gfn + runs[n - 1].npages;
}

/*
 * Teardown: one ZAP of everything, then UNPIN runs until the array is full.
 * *@cursor is 0 before the zap, then the next gfn to look at plus one.  The
 * VM remembers the cursor it handed out, and a resumed call must bring
 * exactly that one back (or 0, which starts over): a cursor that skips a
 * step would leave pages pinned or mapped behind a "done".  Unpinning
 * maximal runs clears only whole chunks or chunks already mixed, so it
 * never needs a pool block.
 */
int pmp_teardown(struct pmp_vm *vm, uint64_t *cursor, struct pmp_actions *out)
{
	uint64_t span = vm->span, g, next;
	struct pmp_yield_state ys = { 0 };
	bool unpinned = false;
	struct pmp_event ev;
	int err;

	if (!cursor || (*cursor && *cursor != vm->teardown_cursor))
		return -EINVAL;
	err = pmp_event_begin_all(&ev, vm, out, PMP_CAUSE_TEARDOWN, 2);
	if (err)
		return err;
	if (!*cursor) {
		if (vm->nr_deferred) {
			/* the guest_memfd goes whole: deferred punches with it */
			pmp_emit(&ev, PMP_ACT_INVALIDATE, 0, 0, span);
			pmp_inval_drop_all(vm);
		}
		if (pmp_mapped_next(vm, PMP_VTL_ALL, 0, span) < span) {
			pmp_emit(&ev, PMP_ACT_ZAP, 0, 0, span);
			pmp_mirror_zap(vm, PMP_VTL_ALL, 0, span);
		}
		*cursor = 1;
	}
	/* @next: the next run's start, each pass finding the one after its runs */
	g = *cursor - 1;
	next = vm->nr_pinned ? pmp_plane_next(vm, g, span, PMP_PLANE_PINNED, true) : span;
	while (pmp_event_room(&ev)) {
		/* yield only after progress in this call, or it could livelock */
		if (unpinned && pmp_yield_poll(vm, &ys, g, span - g))
			break;
		if (next == span)
			break;
		g = unpin_runs(&ev, next, unpin_batch(vm, pmp_event_room(&ev)), &next);
		unpinned = true;
	}
	pmp_event_end(&ev);
	*cursor = next + 1;
	vm->teardown_cursor = *cursor;
	return *cursor == span + 1 ? 0 : 1;
}
