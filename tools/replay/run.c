// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * One policy's engine: each trace event becomes the core calls KVM or the
 * VMM would make, and the actions they return are applied to the leaf
 * model and counted.  docs/replay.md gives the mapping event by event.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "replay.h"

#define ACTS_FIRST 4096U
#define ACTS_MAX (1U << 22)
#define MAX_SLOTS_GEO RP_MAX_SLOTS
/* The events range_event() takes */
#define RANGE_EVENTS ((1U << PMP_TR_CONVERT) | (1U << PMP_TR_PUNCH) | (1U << PMP_TR_VTL_PROT))
#define NO_LIMIT 18		/* folio_cap: punches have not split the folio */

int run_init(struct rp_run *run, const char *label, const struct pmp_policy *p)
{
	memset(run, 0, sizeof(*run));
	snprintf(run->label, sizeof(run->label), "%s", label);
	run->policy = *p;
	run->acts.cap = ACTS_FIRST;
	/* not zeroed: the core writes each action before acts.nr counts it */
	run->acts.buf = malloc(ACTS_FIRST * sizeof(*run->acts.buf));
	return run->acts.buf ? 0 : -ENOMEM;
}

void run_free(struct rp_run *run)
{
	free(run->acts.buf);
	memset(run, 0, sizeof(*run));
}

int run_vm(struct rp_run *run, const struct pmp_trace_event *vm, struct rp_arena *arena)
{
	struct pmp_geometry geo = { .sz = sizeof(geo), .gfn_end = vm->gfn_end,
				    .max_slots = MAX_SLOTS_GEO, .nr_vcpus = vm->nr_vcpus,
				    .nr_vtls = vm->nr_vtls, .vm_type = vm->vm_type };
	uint64_t bytes;
	int err = pmp_vm_bound(&geo, &bytes);

	if (err)
		return err;
	run->mem = rp_arena_zalloc(arena, bytes);
	if (!run->mem)
		return -ENOMEM;
	err = pmp_vm_init(run->mem, bytes, &geo, &run->policy, &run->vm);
	if (!err)
		err = lv_init(&run->lv, vm->gfn_end, arena);
	if (!err) {
		run->lv.attrs = run->vm;
		run->folio_cap = rp_arena_zalloc(arena, run->lv.chunks);
		run->giant_split = rp_arena_zalloc(arena, run->lv.giants);
		if (run->heat)
			run->pinned = rp_arena_zalloc(arena, run->lv.chunks);
		if (!run->folio_cap || !run->giant_split || (run->heat && !run->pinned))
			err = -ENOMEM;
		else
			memset(run->folio_cap, NO_LIMIT, run->lv.chunks);
	}
	return err;
}

static int grow(struct rp_run *run)
{
	struct pmp_action *buf;

	if (run->acts.cap >= ACTS_MAX)
		return -ENOSPC;
	buf = realloc(run->acts.buf, 2 * run->acts.cap * sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	run->acts.buf = buf;
	run->acts.cap *= 2;
	return 0;
}

/* Call the core with an empty action array, growing it while it is too small. */
#define CORE(run, call) ({ \
	int _err; \
	do { \
		(run)->acts.nr = 0; \
		_err = (call); \
	} while (_err == -ENOSPC && grow(run) == 0); \
	_err; \
})

/* A punch frees folios: a partly freed one is split for good (as tests/sim does). */
static void folio_split(struct rp_run *run, uint64_t lo, uint64_t hi)
{
	uint64_t c, g;

	if (hi > run->lv.pages)
		hi = run->lv.pages;
	for (g = lo / (512 * 512); g <= (hi - 1) / (512 * 512); g++) {
		if (run->giant_split[g])
			continue;	/* its 1 GiB folio already fell apart */
		run->giant_split[g] = 1;
		for (c = g * 512; c < (g + 1) * 512; c++)
			if (run->folio_cap[c] > 9)
				run->folio_cap[c] = 9;
	}
	for (c = lo / 512; c <= (hi - 1) / 512; c++)
		run->folio_cap[c] = lo <= c * 512 && hi >= (c + 1) * 512 ? 9 : 0;
}

/* What an action other than a MAP (which counts nothing) adds to the counters. */
static void count_action(struct rp_run *run, const struct pmp_action *a)
{
	uint64_t folio = 1ULL << a->order;

	switch (a->type) {
	case PMP_ACT_PIN:
	case PMP_ACT_UNPIN:
		if (a->type == PMP_ACT_PIN)
			run->c.pinned += a->npages;
		else
			run->c.unpinned += a->npages;
		if (run->pinned && a->npages && a->gfn < run->lv.pages) {
			uint64_t c, last = (a->gfn + a->npages - 1) / 512;

			for (c = a->gfn / 512; c <= last && c < run->lv.chunks; c++)
				run->pinned[c] = a->type == PMP_ACT_PIN;
		}
		return;
	case PMP_ACT_FLUSH:
	case PMP_ACT_TRACK:
		run->c.flushes++;
		return;
	case PMP_ACT_INVALIDATE:
		run->c.inval++;
		run->c.inval_pages += a->npages;
		/* whole huge folios: what lets the host free them and keep its direct map */
		if (a->order >= 9 && !(a->gfn & (folio - 1)) && !(a->npages & (folio - 1)))
			run->c.inval_whole++;
		folio_split(run, a->gfn, a->gfn + a->npages);
		break;
	case PMP_ACT_PROMOTE:
		if (run->origin == RP_FROM_TICK)
			run->c.promotes_tick++;
		else if (run->origin == RP_FROM_ACCEPT)
			run->c.promotes_accept++;
		else
			run->c.promotes_fault++;
		break;
	case PMP_ACT_BLOCK:
		/* a tick under merge=blocked only blocks; other blocks are split/promote steps */
		if (run->origin == RP_FROM_TICK && run->policy.merge == PMP_MERGE_BLOCKED)
			run->c.merge_blocks++;
		break;
	default:
		break;
	}
	run->c.wlock_actions++;	/* ZAP, SPLIT, BLOCK, UNBLOCK, DEMOTE, PROMOTE, INVALIDATE */
}

static void note_invalid(struct rp_run *run, const struct replay *r, unsigned int type, int err)
{
	run->c.invalid[type]++;
	if (!run->first_invalid) {
		run->first_invalid = err;
		run->first_invalid_event = r->events + 1;
		run->first_invalid_line = r->line;
		run->first_invalid_type = (uint8_t)type;
	}
}

/* A call the core refused cleanly, or rejected. */
static void failed(struct rp_run *run, const struct replay *r, unsigned int type, int err)
{
	if (err == -EBUSY || err == -ENOMEM || err == -EAGAIN)
		run->c.refused[type]++;
	else
		note_invalid(run, r, type, err);
}

/*
 * A run of UNPINs from @a on, before @end (a teardown's thousands, one a
 * pinned range): their pages counted in one sum, as count_action() would
 * one by one where no heatmap keeps run->pinned.  The action after the run.
 */
static const struct pmp_action *unpins_counted(struct rp_run *run, const struct pmp_action *a,
					       const struct pmp_action *end)
{
	uint64_t pages = 0;

	for (; a < end && a->type == PMP_ACT_UNPIN; a++)
		pages += a->npages;
	run->c.unpinned += pages;
	return a;
}

/* The actions of a call that succeeded. */
static void apply_actions(struct rp_run *run)
{
	const struct pmp_action *a = run->acts.buf, *end = a + run->acts.nr;

	while (a < end) {
		if (a->type == PMP_ACT_MAP) {	/* most actions: a MAP counts nothing */
			lv_apply(&run->lv, a++);
			continue;
		}
		if (a->type == PMP_ACT_UNPIN && !run->pinned) {
			a = unpins_counted(run, a, end);
			continue;
		}
		/* a PIN (SEV's every fault) or a flush: counted, no leaf to look at */
		if (!((1U << a->type) & LV_LEAFLESS))
			lv_apply_any(&run->lv, a);
		count_action(run, a++);
	}
}

/*
 * What a call's result means for the report; actions apply only on
 * success.  Inline: a success with no action (many accepts) costs a test.
 */
static inline void outcome(struct rp_run *run, const struct replay *r, unsigned int type,
			   int err)
{
	if (err < 0)
		failed(run, r, type, err);
	else if (run->acts.nr)
		apply_actions(run);
}

/*
 * pmp_fault_map() found the action array too small: it counted the
 * decision, as pmp_max_level() does, and changed nothing else.  The map
 * again at the level it decided (asked without counting it twice), the
 * array grown until it fits: what pmp_max_level() then pmp_map() do.
 */
static int map_grown(struct rp_run *run, const struct pmp_fault *f)
{
	int level = pmp_level_query(run->vm, f, NULL);

	if (level < 0)
		return level;
	if (grow(run))
		return -ENOSPC;
	return CORE(run, pmp_map(run->vm, f, level, &run->acts));
}

/*
 * Most faults' actions: one 4 KiB MAP of the page @gfn, after a PIN of it
 * where the VM pins (SEV's every new page): applied, so the leaf the fault
 * ends up with is that one.  False, having changed nothing, for any other.
 */
static inline bool map_4k_applied(struct rp_run *run, uint64_t gfn)
{
	struct pmp_action *a = run->acts.buf;

	if (run->acts.nr == 1)
		return a[0].gfn == gfn && lv_map_4k(&run->lv, a);
	if (run->acts.nr != 2 || a[0].type != PMP_ACT_PIN || a[1].gfn != gfn ||
	    !lv_map_4k(&run->lv, &a[1]))
		return false;
	count_action(run, &a[0]);	/* a PIN changes no leaf: counted after its MAP */
	return true;
}

/* The fault itself, once run_served() said no leaf serves the access: @have, @present its answer. */
static void fault_taken(struct rp_run *run, const struct replay *r, const struct pmp_fault *f,
			unsigned int type, int have, bool present)
{
	bool now_present;
	int err;

	run->origin = RP_FROM_FAULT;
	run->acts.nr = 0;
	err = pmp_fault_map(run->vm, f, PMP_LEVEL_1G, NULL, &run->acts);
	if (err == -ENOSPC)
		err = map_grown(run, f);
	err = err < 0 ? err : 0;
	if (!err && map_4k_applied(run, f->gfn)) {
		run->c.faults[PMP_LEVEL_4K]++;
		run->c.faults_blocked += have && !present;
		return;
	}
	outcome(run, r, type, err);
	if (!err) {
		/* by the leaf the fault ended up with (a blocked range may promote) */
		run->c.faults[lv_level(&run->lv, f->gfn, &now_present)]++;
		run->c.faults_blocked += have && !present;
	}
}

/* The host folio order a fault sees: what the trace says, less what punches split. */
static uint8_t backing(const struct rp_run *run, const struct replay *r, uint64_t gfn,
		       unsigned int order)
{
	uint8_t cap = run->folio_cap[gfn / 512], seen = r->fault_order[gfn / 512];

	/* no fault reported this range's folio: guest_memfd's largest today, 2 MiB */
	if (order == OR_UNKNOWN)
		order = seen == OR_UNKNOWN ? 9 : seen;
	return (uint8_t)(order < cap ? order : cap);
}

/* A fault no present leaf serves (run_served()'s @have, @present): its folio worked out, taken. */
static void fault_unserved(struct rp_run *run, const struct replay *r,
			   const struct pmp_trace_event *ev, int have, bool present)
{
	struct pmp_fault f;

	f = (struct pmp_fault){ .gfn = ev->gfn, .slot = ev->slot, .flags = ev->flags,
				.vcpu = ev->vcpu, .vtl = ev->vtl };
	/* shared pages of a guest_memfd slot live in the VMM's memory, which punches spare */
	if (!(ev->flags & PMP_FAULT_PRIVATE) && ev->slot < RP_MAX_SLOTS && r->slots.used[ev->slot] &&
	    (r->slots.slot[ev->slot].flags & PMP_SLOT_GUEST_MEMFD))
		f.backing_order = (uint8_t)(9U * (ev->level - 1U));
	else
		f.backing_order = backing(run, r, ev->gfn, 9U * (ev->level - 1U));
	fault_taken(run, r, &f, PMP_TR_FAULT, have, present);
}

static void fault_event(struct rp_run *run, const struct replay *r,
			const struct pmp_trace_event *ev)
{
	bool present;
	int have;

	if (ev->level < PMP_LEVEL_4K || ev->level > PMP_LEVEL_1G || ev->gfn >= run->lv.pages) {
		note_invalid(run, r, PMP_TR_FAULT, -EINVAL);
		return;
	}
	/* most accesses find their leaf: no folio to work out */
	if (run_served(run, ev->gfn, ev->flags, &have, &present))
		run->c.faults_avoided++;
	else
		fault_unserved(run, r, ev, have, present);
}

void run_fault_unserved(struct rp_run *run, const struct replay *r,
			const struct pmp_trace_event *ev, int have, bool present)
{
	run->c.events[PMP_TR_FAULT]++;
	fault_unserved(run, r, ev, have, present);
}

/*
 * Is page @gfn private in this policy's VM?  Only conversions change it,
 * so while the core took every one this run was given it is as the
 * oracle has it (which follows the same ones); after a refusal, the
 * core's answer.  -ERANGE past gfn_end, as pmp_get_attrs().
 */
static int page_private(const struct rp_run *run, const struct replay *r, uint64_t gfn,
			bool *private)
{
	struct pmp_page_attrs at;
	int err;

	if (!run->c.refused[PMP_TR_CONVERT] && !run->c.invalid[PMP_TR_CONVERT]) {
		if (gfn >= r->vm_event.gfn_end)
			return -ERANGE;
		*private = oracle_private(&r->oracle, gfn);
		return 0;
	}
	err = pmp_get_attrs(run->vm, gfn, &at);
	if (!err)
		*private = at.private;
	return err;
}

/*
 * TDG.MEM.PAGE.ACCEPT / PVALIDATE of a page no present leaf maps takes an
 * EPT violation first, which carries the accept level: replay it, then the
 * accept.
 */
static void accept_event(struct rp_run *run, struct replay *r, const struct pmp_trace_event *ev)
{
	bool present, private;
	int slot, have;

	/* no present leaf: the accept's fault is taken (a blocked one faults too) */
	if (ev->gfn < run->lv.pages && ev->level >= PMP_LEVEL_4K && ev->level <= PMP_LEVEL_1G &&
	    !((have = lv_level(&run->lv, ev->gfn, &present)) && present) &&
	    (slot = slots_find(&r->slots, ev->gfn)) >= 0 && !page_private(run, r, ev->gfn, &private)) {
		struct pmp_fault f = { .gfn = ev->gfn, .slot = (uint32_t)slot,
				       .flags = private ? PMP_FAULT_PRIVATE : 0,
				       .backing_order = backing(run, r, ev->gfn, OR_UNKNOWN),
				       .accept_level = ev->level };

		run->c.faults_implied++;
		fault_taken(run, r, &f, PMP_TR_ACCEPT, have, present);
	}
	run->origin = RP_FROM_ACCEPT;
	outcome(run, r, PMP_TR_ACCEPT, CORE(run, pmp_accept(run->vm, ev->gfn, ev->level, &run->acts)));
}

/* SEV's launch (KVM_MEMORY_ENCRYPT_REG_REGION) registers each memslot's memory. */
static void slot_add(struct rp_run *run, const struct replay *r, const struct pmp_trace_event *ev)
{
	struct pmp_slot s = { .base_gfn = ev->gfn, .npages = ev->npages, .userspace_addr = ev->uaddr,
			      .gmem_offset = ev->gmem_offset, .flags = ev->flags };
	int err;

	run->acts.nr = 0;
	err = pmp_slot_create(run->vm, ev->slot, &s);
	outcome(run, r, PMP_TR_SLOT_ADD, err);
	if (err || r->vm_event.vm_type != PMP_VM_SEV || run->policy.pin != PMP_PIN_LAUNCH)
		return;
	run->origin = RP_FROM_OTHER;
	outcome(run, r, PMP_TR_SLOT_ADD,
		CORE(run, pmp_pin_range(run->vm, ev->gfn, ev->npages, &run->acts)));
}

/*
 * A memslot that goes or moves is zapped first, for that reason (no
 * unpin).  If the core refuses the zap (TDX accepted memory), the memslot
 * stays where it is: deleting or moving it would leave leaves outside
 * every memslot.
 */
static void slot_change(struct rp_run *run, const struct replay *r,
			const struct pmp_trace_event *ev)
{
	bool del = ev->type == PMP_TR_SLOT_DELETE;
	struct pmp_slot s;
	int err = pmp_slot_get(run->vm, ev->slot, &s);

	if (err) {
		note_invalid(run, r, ev->type, err);
		return;
	}
	run->origin = RP_FROM_OTHER;
	err = CORE(run, pmp_zap(run->vm, del ? PMP_ZAP_SLOT_DELETE : PMP_ZAP_SLOT_MOVE,
				PMP_ZAP_FILTER_KVM, s.base_gfn, s.npages, &run->acts));
	outcome(run, r, ev->type, err);
	if (err)
		return;
	run->acts.nr = 0;
	err = del ? pmp_slot_delete(run->vm, ev->slot) : pmp_slot_move(run->vm, ev->slot, ev->gfn);
	outcome(run, r, ev->type, err);
}

static void teardown(struct rp_run *run, const struct replay *r)
{
	uint64_t cursor = 0;
	int err;

	run->origin = RP_FROM_OTHER;
	do {
		run->acts.nr = 0;
		err = pmp_teardown(run->vm, &cursor, &run->acts);
		outcome(run, r, PMP_TR_TEARDOWN, err < 0 ? err : 0);
	} while (err == 1);
}

/*
 * A conversion, a punch or a VTL protection (a VBS guest's most events, a
 * balloon's): one core call, in a frame smaller than other_event()'s.
 */
static __attribute__((noinline)) void range_event(struct rp_run *run, const struct replay *r,
						  const struct pmp_trace_event *ev)
{
	struct pmp_vm *vm = run->vm;
	int err;

	if (ev->type == PMP_TR_VTL_PROT)
		err = CORE(run, pmp_vtl_protect(vm, ev->vtl, ev->gfn, ev->npages, ev->prot,
						&run->acts));
	else if (ev->type == PMP_TR_PUNCH)
		err = CORE(run, pmp_punch(vm, ev->gfn, ev->npages, NULL, &run->acts));
	else
		err = CORE(run, pmp_convert(vm, ev->gfn, ev->npages, ev->flags & PMP_TR_PRIVATE,
					    &run->acts));
	outcome(run, r, ev->type, err);
}

/* Any other event but a fault: a frame of its own, so a fault's path stays short. */
static __attribute__((noinline)) void other_event(struct rp_run *run, struct replay *r,
						  const struct pmp_trace_event *ev)
{
	struct pmp_vm *vm = run->vm;
	uint64_t i;

	switch (ev->type) {
	case PMP_TR_SLOT_ADD:
		slot_add(run, r, ev);
		break;
	case PMP_TR_SLOT_DELETE:
	case PMP_TR_SLOT_MOVE:
		slot_change(run, r, ev);
		break;
	case PMP_TR_SPTE:
		break;	/* what the recorded kernel did; the replay decides for itself */
	case PMP_TR_ACCEPT:
		accept_event(run, r, ev);
		break;
	case PMP_TR_DIRTY_LOG:
		outcome(run, r, ev->type, CORE(run, pmp_dirty_log(vm, ev->slot, ev->flags & PMP_TR_ON,
								  &run->acts)));
		break;
	case PMP_TR_ZAP:
		/* a trace names the reason; KVM's filter for it is the one it used */
		outcome(run, r, ev->type, CORE(run, pmp_zap(vm, ev->reason, PMP_ZAP_FILTER_KVM,
							    ev->gfn, ev->npages, &run->acts)));
		break;
	case PMP_TR_TICK:
		for (i = 0; i < ev->npages; i++) {
			run->origin = RP_FROM_TICK;
			outcome(run, r, ev->type, CORE(run, pmp_merge_tick(vm, &run->acts)));
		}
		break;
	case PMP_TR_TEARDOWN:
		teardown(run, r);
		break;
	default:
		note_invalid(run, r, PMP_TR_VM, -EINVAL);
		break;
	}
}

void run_accept(struct rp_run *run, struct replay *r, const struct pmp_trace_event *ev)
{
	run->c.events[PMP_TR_ACCEPT]++;
	accept_event(run, r, ev);
}

int run_event(struct rp_run *run, struct replay *r, const struct pmp_trace_event *ev)
{
	run->c.events[ev->type]++;
	run->origin = RP_FROM_OTHER;
	if (ev->type == PMP_TR_FAULT)	/* most events */
		fault_event(run, r, ev);
	else if ((1U << ev->type) & RANGE_EVENTS)
		range_event(run, r, ev);
	else
		other_event(run, r, ev);
	return 0;
}
