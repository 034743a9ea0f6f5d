// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A fault being mapped: pin per the policy, record the leaf in the faulting
 * VTL's page tables, and merge them at fault time when the strategy says
 * so.  O(1) for a 4 KiB leaf: a couple of bits in one chunk, found once
 * (map_lean(), VTL 0's fast path).  pmp_fault_map() decides and records in
 * one call, the fault validated once.
 */
#include "map_shared.h"

#define PINNED PMP_BIT(PMP_PLANE_PINNED)
#define MAPPED0 PMP_BIT(PMP_PLANE_MAPPED)	/* VTL 0's: the lean record's */

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
	/* maybe mapped (the pool was short for the mirror: internal.h) is mapped again */
	if (!pmp_plane_get(vm, f->gfn, pmp_mapped_plane(f->vtl)) ||
	    !pmp_plane_known(vm, f->gfn, pmp_mapped_plane(f->vtl))) {
		ev->cause = PMP_CAUSE_FAULT;
		pmp_emit(ev, PMP_ACT_MAP, PMP_LEVEL_4K, f->gfn, 1);
		pmp_mirror_map(vm, f->vtl, f->gfn, PMP_LEVEL_4K);
	}
}

/*
 * Which host folio backs this range: what a merge tick may promote to.
 * The chunk's flag is counted in its 1 GiB summary, so it changes with
 * the leaf's own flags (@set, @clear) through pmp_chunk_flags_apply(),
 * which writes only what changes.
 */
static inline PMP_FAST_INLINE
void note_backing(struct pmp_vm *vm, const struct pmp_fault *f, struct pmp_chunk *c,
		  struct pmp_giant *g, uint32_t set, uint32_t clear)
{
	uint32_t backed = f->backing_order >= 9 ? PMP_CF_BACKED : 0;
	uint16_t giant = f->backing_order >= 18 ? PMP_GF_BACKED : 0;

	pmp_chunk_flags_apply(vm, f->gfn >> PMP_CHUNK_SHIFT, c, g, set | backed,
			      clear | (backed ^ PMP_CF_BACKED));
	if ((g->flags & PMP_GF_BACKED) != giant) {
		g->flags ^= PMP_GF_BACKED;
		/* every 2 MiB of it may be huge now: once per folio, if it has candidates */
		if (giant && (g->nr_cand || vm->nr_vtls > 1))
			pmp_merge_unpark(vm, f->gfn & ~(PMP_GIANT_PAGES - 1), PMP_GIANT_PAGES);
	}
}

/*
 * Can the leaf at @level (4 KiB or 2 MiB) be recorded by map_lean()?  A
 * VTL 0 fault (whose leaf flags are the chunk's), no 1 GiB leaf over it to
 * break (nor, for 4 KiB, a 2 MiB one), no merge tick's block waiting for
 * it, no deferred punch in its chunk to invalidate first: then MAP (and,
 * SEV, PIN) is all it takes.
 */
static bool lean_ok(const struct pmp_fault *f, const struct pmp_chunk *c,
		    const struct pmp_giant *g, int level)
{
	uint32_t stop = PMP_CF_BLOCKED | PMP_CF_DEFERRED |
			(level == PMP_LEVEL_4K ? PMP_CF_HUGE : 0);

	return !f->vtl && !(c->blocks & stop) && !(g->flags & PMP_GF_LEAF);
}

/*
 * A 4 KiB or 2 MiB leaf's whole map when lean_ok(): the fault's chunk @c
 * and its 1 GiB summary @g in hand, its MAPPED and PINNED blocks found once, the pin plan, pool check and
 * reservation of pmp_map() below read from them, the planes set in place.
 * The same errors, actions, state and counters as the general path gives
 * such a leaf.  1: not lean, the caller takes the general path.
 */
static inline PMP_FAST_INLINE
int map_lean(struct pmp_vm *vm, const struct pmp_fault *f, int level, bool pin,
	     struct pmp_chunk *c, struct pmp_giant *g, struct pmp_actions *out)
{
	uint64_t ci = f->gfn >> PMP_CHUNK_SHIFT, pages = PMP_LEVEL_PAGES(level);
	uint64_t head = f->gfn & ~(pages - 1), newly = 0;
	unsigned int i = f->gfn % PMP_CHUNK_PAGES, need = 0;
	struct pmp_block *mapped, *pinned;
	struct pmp_action *a;
	struct pmp_event ev;
	uint32_t limit;
	int err;

	if (!lean_ok(f, c, g, level))
		return 1;
	pmp_chunk_block_pair(vm, c, PMP_PLANE_MAPPED, PMP_PLANE_PINNED, &mapped, &pinned);
	if (pin) {
		/* pin_newly_fast(): one page, or a 2 MiB pinned or not as a whole */
		if (level == PMP_LEVEL_4K)
			newly = pinned ? !((pinned->w[i / 64] >> (i % 64)) & 1) : !(c->value & PINNED);
		else if (pinned)
			return 1;
		else
			newly = c->value & PINNED ? 0 : pages;
		if (pmp_pin_over_limit(vm, newly))
			return pmp_pin_refused(vm, PMP_REASON_PIN_LIMIT);
	}
	/*
	 * map_blocks(): a uniform-0 PINNED plane that one page turns mixed
	 * takes a block; the mapped plane is lossy (internal.h): it takes a
	 * free block or goes unknown, and needs no room.
	 */
	if (level == PMP_LEVEL_4K)
		need += newly && !pinned;
	if (need > pmp_pool_room(vm))
		return pin ? pmp_pin_refused(vm, PMP_REASON_POOL) : -ENOMEM;
	err = pmp_event_check(vm, out, !!newly + MAP_ACTIONS);
	if (err)
		return err;
	limit = out->nr + !!newly + MAP_ACTIONS;
	/* PIN and MAP in the room checked; they keep leaves (no write lock) */
	a = &out->buf[out->nr];
	if (pin)
		pmp_pin_applied(vm);
	if (newly) {
		/* PIN concerns every VTL, the leaf VTL 0's page tables */
		pmp_action_put(vm, a++, PMP_ACT_PIN, 0, PMP_CAUSE_FAULT, PMP_VTL_ALL, head, pages);
		pmp_pin_count(vm, newly);
	}
	pmp_action_put(vm, a++, PMP_ACT_MAP, level, PMP_CAUSE_FAULT, 0, head, pages);
	out->nr = (uint32_t)(a - out->buf);
	if (level == PMP_LEVEL_4K) {
		uint32_t clear, set;

		if (newly)
			pmp_chunk_page_set(vm, ci, c, i, PMP_PLANE_PINNED, pinned);
		pmp_chunk_page_set(vm, ci, c, i, PMP_PLANE_MAPPED, mapped);
		/* pmp_mirror_refresh(): a 4 KiB leaf now, neither huge nor blocked (lean_ok()) */
		set = pmp_refresh_flags(0, true, &clear);
		note_backing(vm, f, c, g, set, clear);
	} else {
		uint16_t fill = MAPPED0 | (newly ? PINNED : 0);

		/* pmp_mirror_map(): one 2 MiB leaf; exact planes uniform already take no block */
		if (c->mixed & fill)
			pmp_chunk_fill(vm, ci, c, fill);
		else
			c->value |= fill;
		note_backing(vm, f, c, g, PMP_CF_HUGE, PMP_CF_CAND | PMP_CF_BLOCKED);
	}
	if (vm->policy.merge == PMP_MERGE_FAULT) {
		/* the rest of the room checked: the merge's */
		pmp_event_init(&ev, vm, out, PMP_CAUSE_MERGE, limit);
		ev.vtl = 0;
		pmp_merge_after_fill(&ev, 0, f->gfn, (int32_t)f->slot);
		pmp_event_end(&ev);
	}
	return 0;
}

/*
 * map_lean() for each leaf size, so each is compiled for its own: a 4 KiB
 * fault's chunk from its memslot's run (@st: the fault validated), a
 * 2 MiB one's through the directory.
 */
static int __attribute__((__noinline__))
map_lean_4k(struct pmp_vm *vm, const struct pmp_fault *f, const struct pmp_slot_state *st,
	    bool pin, struct pmp_actions *out)
{
	struct pmp_giant *g;
	struct pmp_chunk *c = pmp_fault_chunk(vm, st, f->gfn, &g);

	return map_lean(vm, f, PMP_LEVEL_4K, pin, c, g, out);
}

static int __attribute__((__noinline__))
map_lean_2m(struct pmp_vm *vm, const struct pmp_fault *f, bool pin, struct pmp_actions *out)
{
	struct pmp_giant *g;
	struct pmp_chunk *c = pmp_chunk_giant(vm, f->gfn, &g);

	return map_lean(vm, f, PMP_LEVEL_2M, pin, c, g, out);
}

/*
 * Page @gfn of mixed block @blk to 1 when it fills its word, with no other
 * writer excluded, counted in @vcpu's set: only while a higher word of the
 * block is not full (1, nothing changed, otherwise).  Shared records only
 * set bits, and the highest word not full can be filled by none of them
 * (no word above it is not full), so while they run that word stays not
 * full and the block mixed: no concurrent fills, in any order, turn it
 * uniform, which only the exclusive path may settle.  A guest that faults
 * upwards fills 7 of a block's 8 words here.  Out of line, and a tail
 * call of pmp_map_shared_bit(): its common path keeps nothing for it.
 */
int __attribute__((__noinline__))
pmp_block_word_fill_shared(struct pmp_vm *vm, struct pmp_block *blk, uint64_t gfn, uint32_t vcpu)
{
	unsigned int i = gfn % PMP_CHUNK_PAGES;
	uint64_t *w = &blk->w[i / 64], old;
	unsigned int j;

	for (j = i / 64 + 1; j < PMP_BLOCK_WORDS; j++)
		if (~pmp_load_word(&blk->w[j]))
			break;
	if (j == PMP_BLOCK_WORDS)
		return 1;
	old = pmp_load_word(w);
	while (!pmp_cas_word(w, &old, old | 1ULL << (i % 64)))
		;	/* @old reloaded: other pages of the word were set meanwhile */
	pmp_vcpu_stats(vm, vcpu)->faults[PMP_VCPU_MAPS]++;
	return 0;
}

/* Out of line (map_shared.h): the cached record's common path keeps nothing for it. */
int __attribute__((__noinline__))
pmp_map_shared_4k_fill(struct pmp_vm *vm, struct pmp_shared_cache *sc, uint64_t gen, uint32_t slot,
		       uint64_t gfn, unsigned int backing_order, uint32_t vcpu)
{
	const struct pmp_slot_state *st = &pmp_slots(vm)[slot];
	uint64_t first = gfn & ~(uint64_t)(PMP_CHUNK_PAGES - 1);
	struct pmp_block *mapped;

	if (pmp_unlikely(!pmp_map_shared_in_slot(st, gfn)))
		return st->in_use ? -EINVAL : -ENOENT;
	mapped = pmp_map_shared_block(vm, st, gfn, backing_order);
	if (!mapped)
		return 1;
	/* a chunk a memslot's edge cuts is not kept: its other gfns may lie outside */
	if (pmp_map_shared_in_slot(st, first) &&
	    pmp_map_shared_in_slot(st, first + PMP_CHUNK_PAGES - 1))
		*sc = (struct pmp_shared_cache){ .gen = gen, .chunk = gfn >> PMP_CHUNK_SHIFT,
						 .mapped = mapped, .slot = slot,
						 .backing_order = backing_order };
	return pmp_map_shared_set(vm, mapped, gfn, vcpu);
}

int pmp_map_shared(struct pmp_vm *vm, const struct pmp_fault *f, struct pmp_actions *out)
{
	const struct pmp_slot_state *st = NULL;
	int err;

	err = pmp_fault_valid(vm, f, &st);
	if (err)
		return err;
	/* no room in @out: the exclusive path says what is wrong */
	if (!out || !out->buf || out->nr >= out->cap || f->vtl)
		return 1;
	err = pmp_map_shared_bit(vm, st, f->gfn, f->backing_order, f->vcpu);
	if (err)
		return err;
	out->buf[out->nr++] = (struct pmp_action){ .type = PMP_ACT_MAP, .level = PMP_LEVEL_4K,
						   .cause = PMP_CAUSE_FAULT, .vtl = 0,
						   .gfn = f->gfn, .npages = 1 };
	return 0;
}

int pmp_map_shared_4k(struct pmp_vm *vm, uint32_t slot, uint64_t gfn, uint32_t flags,
		      unsigned int backing_order, uint32_t vcpu)
{
	/* pmp_map_shared_4k_valid()'s contract, checked */
	if (pmp_unlikely((flags & ~PMP_FAULT_FLAGS_ALL) || backing_order > 63 ||
			 vcpu >= vm->nr_vcpus || slot >= vm->max_slots))
		return -EINVAL;
	return pmp_map_shared_4k_valid(vm, slot, gfn, backing_order, vcpu);
}

/* The general record: deferred punches, blocked leaves, huge leaves, 1 GiB. */
static void map_general(struct pmp_event *ev, const struct pmp_fault *f, const struct pmp_slot *s,
			int level, bool pin, const struct pmp_pin_plan *plan, enum pmp_reason why)
{
	struct pmp_vm *vm = ev->vm;
	uint64_t pages = PMP_LEVEL_PAGES(level), head = f->gfn & ~(pages - 1);
	struct pmp_giant *g;
	struct pmp_chunk *c;

	/*
	 * A deferred page is invalidated before it is mapped again, unless the
	 * fault maps the VMM's shared memory of a guest_memfd slot, which the
	 * punch of the private backing does not concern.
	 */
	if (pmp_inval_deferred(vm, f->gfn) &&
	    ((f->flags & PMP_FAULT_PRIVATE) || !(s->flags & PMP_SLOT_GUEST_MEMFD))) {
		ev->cause = PMP_CAUSE_PUNCH;
		pmp_inval_page(ev, f->gfn);
		ev->cause = PMP_CAUSE_FAULT;
	}

	if (pin) {
		pmp_pin_applied(vm);
		pmp_pin_apply(ev, head, pages, plan);
	}
	c = pmp_chunk_giant(vm, f->gfn, &g);
	note_backing(vm, f, c, g, 0, 0);
	/* the rest concerns the faulting VTL's page tables */
	ev->vtl = f->vtl;
	ev->cause = PMP_CAUSE_MERGE;
	if (pmp_leaf_flags_at(vm, c, f->vtl) & PMP_CF_BLOCKED) {
		/* the 4 KiB leaves are there, blocked: promote or unblock */
		blocked_fault(ev, f, level < PMP_LEVEL_1G ? level : PMP_LEVEL_2M, why);
	} else {
		ev->cause = PMP_CAUSE_FAULT;
		pmp_emit(ev, PMP_ACT_MAP, level, head, pages);
		pmp_mirror_map(vm, f->vtl, head, level);
		ev->cause = PMP_CAUSE_MERGE;
		if (level < PMP_LEVEL_1G)
			pmp_merge_after_fill(ev, f->vtl, f->gfn, (int32_t)f->slot);
	}
}

/*
 * Pool blocks the record takes: (when it pins @pin_runs runs) the PINNED
 * plane's.  The mapped planes and acceptance (which a deferred page
 * invalidated before it is mapped again clears) are lossy: they count
 * nothing (pmp_chunk_blocks_needed()).  A leaf within one chunk counts on
 * the chunk in hand.
 */
static unsigned int map_blocks(const struct pmp_vm *vm, const struct pmp_chunk *c, uint64_t head,
			       uint64_t pages, unsigned int mapped_plane, uint32_t pin_runs)
{
	uint16_t ones = PMP_BIT(mapped_plane) | PINNED;
	uint16_t mask = PMP_BIT(mapped_plane) | (pin_runs ? PINNED : 0);
	unsigned int lo = head % PMP_CHUNK_PAGES;

	if (pages > PMP_CHUNK_PAGES)
		return pmp_planes_blocks_needed(vm, head, pages, mask, ones);
	return pmp_chunk_blocks_needed(c, lo, lo + (unsigned int)pages, mask, ones);
}

/*
 * A decided fault's record off the lean path: pin plan, pool check and
 * reservation, then map_general().  @why: the decision's reason.
 */
static int map_checked(struct pmp_vm *vm, const struct pmp_fault *f, const struct pmp_slot *s,
		       int level, bool pin, enum pmp_reason why, struct pmp_actions *out)
{
	uint64_t pages = PMP_LEVEL_PAGES(level), head = f->gfn & ~(pages - 1);
	struct pmp_pin_plan plan = { 0 };
	struct pmp_event ev;
	struct pmp_giant *g;
	struct pmp_chunk *c = pmp_chunk_giant(vm, f->gfn, &g);
	int err;

	if (pin && pmp_pin_plan(vm, c, head, pages, &plan))
		return pmp_pin_refused(vm, PMP_REASON_PIN_LIMIT);
	if (map_blocks(vm, c, head, pages, pmp_mapped_plane(f->vtl), plan.runs) >
	    pmp_pool_room(vm))
		return pin ? pmp_pin_refused(vm, PMP_REASON_POOL) : -ENOMEM;
	err = pmp_event_begin(&ev, vm, out, PMP_CAUSE_FAULT, plan.runs + MAP_ACTIONS);
	if (err)
		return err;
	map_general(&ev, f, s, level, pin, &plan, why);
	pmp_event_end(&ev);
	return 0;
}

/* Does this VM pin a page at its first fault? */
static inline bool pin_at_fault(const struct pmp_vm *vm)
{
	return vm->vm_type == PMP_VM_SEV && vm->policy.pin == PMP_PIN_FAULT;
}

int pmp_map(struct pmp_vm *vm, const struct pmp_fault *f, int level, struct pmp_actions *out)
{
	bool pin = pin_at_fault(vm);
	const struct pmp_slot *s;
	enum pmp_reason why;
	int err;

	/* every valid fault may have 4 KiB: a lean one needs no decision */
	if (level == PMP_LEVEL_4K) {
		const struct pmp_slot_state *st = NULL;

		err = pmp_fault_valid(vm, f, &st);
		if (!err)
			err = map_lean_4k(vm, f, st, pin, out);
		if (err <= 0)
			return err;
	}
	/* the decision's reason names a refused promotion of blocked leaves */
	err = pmp_fault_decide(vm, f, &s, &why);
	if (err < 0)
		return err;
	if (level < PMP_LEVEL_4K || level > err)
		return -EINVAL;
	if (level == PMP_LEVEL_2M) {
		err = map_lean_2m(vm, f, pin, out);
		if (err <= 0)
			return err;
	}
	return map_checked(vm, f, s, level, pin, why, out);
}

/*
 * pmp_max_level() and pmp_map() at the level it gives (at most
 * @max_level), the fault validated and decided once and inlined here: a
 * valid fault's memslot is its slot number's, the compact giant its run
 * gives the decision is the one the directory gives the record (state.c
 * keeps the runs so), and the decision's reason is the one the record
 * wants.
 */
int pmp_fault_map(struct pmp_vm *vm, const struct pmp_fault *f, int max_level,
		  enum pmp_reason *why, struct pmp_actions *out)
{
	bool pin = pin_at_fault(vm);
	const struct pmp_slot_state *st = NULL;
	struct pmp_giant *g;
	struct pmp_chunk *c;
	enum pmp_reason r;
	unsigned int k;
	uint64_t cg;
	int level, err;

	if (max_level < PMP_LEVEL_4K || max_level > PMP_LEVEL_1G)
		return -EINVAL;
	err = pmp_fault_valid(vm, f, &st);
	if (pmp_unlikely(err))
		return err;
	cg = pmp_fault_cg(vm, st, f->gfn);
	k = fault_key_cg(vm, st, f, f->vtl, cg);
	decision_note(vm, f, k, &r);
	if (why)
		*why = r;
	level = (int)(k >> 4);
	if (level > max_level)
		level = max_level;
	c = pmp_cg_chunk(vm, cg, f->gfn, &g);
	/* map_lean() inlined for each leaf size: one frame for the whole fault */
	if (level == PMP_LEVEL_4K)
		err = map_lean(vm, f, PMP_LEVEL_4K, pin, c, g, out);
	else if (level == PMP_LEVEL_2M)
		err = map_lean(vm, f, PMP_LEVEL_2M, pin, c, g, out);
	else
		err = 1;
	if (err > 0)
		err = map_checked(vm, f, &st->slot, level, pin, r, out);
	return err ? err : level;
}
