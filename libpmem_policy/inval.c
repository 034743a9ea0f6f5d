// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Invalidation coalescing for guest_memfd punches (seed 001).
 *
 * A punch is cut into pieces, one per folio (whole folios of one order
 * merge), further cut at 2 MiB edges inside a larger folio.  A piece that
 * is part of a 2 MiB chunk of a >= 2 MiB folio, with no page mapped
 * private, may be deferred (inval=defer-2m): its pages get their bit in the
 * chunk's deferral bitmap (the bitmap of punched pages of seed 001, one
 * pool block at the tail of the chunk's chain, planes.c) and its chunk the
 * PMP_CF_DEFERRED flag, counted per 1 GiB.  The bitmap is exact, never a
 * count: an INVALIDATE frees the backing (fallocate PUNCH_HOLE in the VMM
 * shim), so one over an unpunched page would lose the guest's data.  A
 * chunk whose
 * 512 pages are all deferred is issued as one 2 MiB invalidation.  At most
 * defer_cap chunks hold deferrals (by default every chunk of the memory
 * budget, so no storm evicts); past it, the next flagged chunk after a
 * cursor is flushed.  Everything else is invalidated at once, after
 * splitting the huge leaves that cross its edges.
 */
#include "internal.h"

#define ACCEPTED PMP_BIT(PMP_PLANE_ACCEPTED)
#define CHUNK_MASK ((uint64_t)PMP_CHUNK_PAGES - 1)

struct piece {
	uint64_t gfn, end;
	unsigned int order;
	bool defer;
	const struct pmp_chunk *chunk;	/* @gfn's descriptor, set where @defer is: it lies in it */
};

/* The folio order faults saw at chunk @c of compact giant @cg. */
static int seen_order(const struct pmp_vm *vm, uint32_t cg, const struct pmp_chunk *c)
{
	if (pmp_cgiants(vm)[cg].flags & PMP_GF_BACKED)
		return PMP_GIANT_SHIFT;
	return c->blocks & PMP_CF_BACKED ? PMP_CHUNK_SHIFT : 0;
}

/* The caller's folio order for @gfn; -EINVAL past 1 GiB. */
static int caller_order(struct pmp_vm *vm, const struct pmp_folios *folios, uint64_t gfn)
{
	unsigned int order;

	pmp_callback_enter(vm);
	order = folios->order(folios->ctx, gfn);
	pmp_callback_exit(vm);
	return order > PMP_GIANT_SHIFT ? -EINVAL : (int)order;
}

/*
 * The caller's folio order for @gfn, or what faults saw at its chunk, which
 * only then is looked up, into *@cg and *@c: the caller's folios need no
 * lookup, so a run over whole folios makes none (a piece that may defer
 * looks its chunk up itself: next_piece()).
 */
static int folio_order(struct pmp_vm *vm, const struct pmp_folios *folios, uint64_t gfn,
		       uint32_t *cg, const struct pmp_chunk **c)
{
	if (folios)
		return caller_order(vm, folios, gfn);
	*c = pmp_chunk_lookup(vm, gfn, cg);
	return seen_order(vm, *cg, *c);
}

/* Within chunk @c: is any page both private and mapped? */
static bool live_private(const struct pmp_vm *vm, const struct pmp_chunk *c, uint64_t gfn,
			 uint64_t end)
{
	const uint16_t private = PMP_BIT(PMP_PLANE_PRIVATE);
	uint64_t g = pmp_planes_next_in(vm, c, gfn, end, private);

	for (; g < end; g = pmp_planes_next_in(vm, c, g + 1, end, private))
		if (pmp_mapped_next(vm, PMP_VTL_ALL, g, g + 1) == g)
			return true;
	return false;
}

/* The piece of [gfn, end) that starts at @gfn; its chunk only if it defers. */
static int next_piece(struct pmp_vm *vm, const struct pmp_folios *folios, uint64_t gfn,
		      uint64_t end, struct piece *p)
{
	/* looked up by folio_order() without folios, below with them */
	const struct pmp_chunk *c = NULL, *next_c;
	uint32_t cg = 0, next_cg;
	int order = folio_order(vm, folios, gfn, &cg, &c), next;
	uint64_t size, fend;

	if (order < 0)
		return order;
	size = 1ULL << order;
	fend = (gfn & ~(size - 1)) + size;
	p->gfn = gfn;
	p->order = (unsigned int)order;
	p->defer = false;
	if (!(gfn & (size - 1)) && fend <= end) {
		/* whole folios: run on while the next one is whole and alike */
		for (p->end = fend; p->end + size <= end;) {
			next = folio_order(vm, folios, p->end, &next_cg, &next_c);
			if (next < 0)
				return next;
			if ((unsigned int)next != p->order)
				break;
			p->end += size;
			/* what faults saw is per chunk: 4 KiB folios fill theirs */
			if (!folios && p->order < PMP_CHUNK_SHIFT) {
				fend = ((p->end - 1) | (PMP_CHUNK_PAGES - 1)) + 1;
				p->end = fend < end ? fend : end;
			}
		}
		return 0;
	}
	p->end = fend < end ? fend : end;
	if (order < (int)PMP_CHUNK_SHIFT)
		return 0;
	/* inside a >= 2 MiB folio: whole chunks go at once, a partial one may wait */
	if (gfn & CHUNK_MASK) {
		if (p->end > ((gfn | CHUNK_MASK) + 1))
			p->end = (gfn | CHUNK_MASK) + 1;
	} else if (p->end - gfn >= PMP_CHUNK_PAGES) {
		p->end &= ~CHUNK_MASK;
		return 0;
	}
	if (vm->policy.inval != PMP_INVAL_DEFER_2M)
		return 0;
	if (folios)
		c = pmp_chunk_lookup(vm, gfn, &cg);
	/* deferral keeps per-page state: only where the 1 GiB has some */
	p->defer = cg && !live_private(vm, c, gfn, p->end);
	p->chunk = c;
	return 0;
}

static void emit_inval(struct pmp_event *ev, uint64_t gfn, uint64_t npages, unsigned int order)
{
	struct pmp_action *a = pmp_emit(ev, PMP_ACT_INVALIDATE, 0, gfn, npages);

	if (a)
		a->order = (uint8_t)order;
	ev->vm->stats.invalidated += npages;
}

/* The backing of [gfn, gfn + npages) is gone: leaves, acceptance, huge folios. */
static void backing_gone(struct pmp_vm *vm, uint64_t gfn, uint64_t npages)
{
	uint64_t ci, g, last = gfn + npages - 1;
	uint64_t c_end = (last >> PMP_CHUNK_SHIFT) + 1, g_end = (last >> PMP_GIANT_SHIFT) + 1;

	pmp_mirror_zap(vm, PMP_VTL_ALL, gfn, npages);
	pmp_planes_set(vm, gfn, npages, ACCEPTED, 0);
	/* backing hints live only where there is state */
	for (ci = pmp_state_chunk_next(vm, gfn >> PMP_CHUNK_SHIFT, c_end); ci < c_end;
	     ci = pmp_state_chunk_next(vm, ci + 1, c_end))
		pmp_chunk_set_flags(vm, ci, 0, PMP_CF_BACKED);
	for (g = pmp_state_next_giant(vm, gfn >> PMP_GIANT_SHIFT, g_end); g < g_end;
	     g = pmp_state_next_giant(vm, g + 1, g_end))
		pmp_giant_at(vm, g)->flags &= (uint16_t)~PMP_GF_BACKED;
}

/*
 * The first deferred run in [gfn, end), cut at its chunk's end and at
 * @end: its start, or @end.  Chunks and 1 GiB ranges without deferrals
 * are skipped by their flags and counts.
 */
static uint64_t range_run(const struct pmp_vm *vm, uint64_t gfn, uint64_t end, uint64_t *run_end)
{
	while (gfn < end) {
		uint32_t cg = pmp_giant_index(vm, gfn >> PMP_GIANT_SHIFT);
		uint64_t g_end = (gfn | (PMP_GIANT_PAGES - 1)) + 1;

		if (!pmp_cgiants(vm)[cg].nr_deferred) {
			gfn = g_end;	/* also no state */
			continue;
		}
		/* the 1 GiB's chunks from its compact giant: one lookup, not one a chunk */
		for (g_end = g_end < end ? g_end : end; gfn < g_end;) {
			uint64_t c_end = (gfn | CHUNK_MASK) + 1, base = gfn & ~CHUNK_MASK;
			const struct pmp_block *blk = pmp_chunk_defer_block(
				vm, &pmp_cchunks(vm)[pmp_cg_chunk_index(cg, gfn)]);
			unsigned int lo, hi;

			if (c_end > end)
				c_end = end;
			hi = (unsigned int)(c_end - base);
			lo = blk ? pmp_block_next(blk, (unsigned int)(gfn - base), hi, true) : hi;
			if (lo < hi) {
				*run_end = base + pmp_block_next(blk, lo, hi, false);
				return base + lo;
			}
			gfn = c_end;
		}
	}
	return end;
}

/* Is the punch of @gfn deferred? */
bool pmp_inval_deferred(const struct pmp_vm *vm, uint64_t gfn)
{
	const struct pmp_block *blk = pmp_defer_block(vm, gfn >> PMP_CHUNK_SHIFT);
	unsigned int i = gfn & CHUNK_MASK;

	return blk && ((blk->w[i / 64] >> (i % 64)) & 1);
}

/*
 * @n deferred pages of chunk @ci's bitmap @blk were cleared: counted, and
 * a bitmap left empty goes back with the chunk's flag.
 */
static void defer_cleared(struct pmp_vm *vm, uint64_t ci, struct pmp_block *blk, uint64_t n)
{
	vm->nr_deferred -= n;
	if (pmp_block_uniform(blk) == 0) {
		pmp_defer_detach(vm, ci);
		vm->defer_chunks--;
	}
}

/* undefer() of one page (a conversion's withdrawal, a fault's): its bit, one lookup. */
static uint64_t undefer_page(struct pmp_vm *vm, uint64_t gfn)
{
	uint64_t ci = gfn >> PMP_CHUNK_SHIFT, bit = 1ULL << (gfn % 64);
	struct pmp_block *blk = pmp_defer_block(vm, ci);
	unsigned int k = (gfn & CHUNK_MASK) / 64;

	if (!blk || !(blk->w[k] & bit))
		return 0;
	blk->w[k] &= ~bit;
	defer_cleared(vm, ci, blk, 1);
	return 1;
}

/*
 * Clear the deferral of a range, keeping the counts exact: a chunk left
 * with none gives its bitmap back and loses its flag.  Returns the pages
 * that were deferred.
 */
static uint64_t undefer(struct pmp_vm *vm, uint64_t gfn, uint64_t npages)
{
	uint64_t end = gfn + npages, g, e = 0, n = 0;

	if (npages == 1)
		return undefer_page(vm, gfn);
	for (g = range_run(vm, gfn, end, &e); g < end; g = range_run(vm, e, end, &e)) {
		uint64_t ci = g >> PMP_CHUNK_SHIFT, base = g & ~CHUNK_MASK;
		struct pmp_block *blk = pmp_defer_block(vm, ci);

		pmp_block_assign(blk, (unsigned int)(g - base), (unsigned int)(e - base), false);
		n += e - g;
		defer_cleared(vm, ci, blk, e - g);
	}
	return n;
}

/*
 * The first flagged compact chunk at or after compact chunk @ci,
 * cyclically.  Only with defer_chunks > 0.  A 1 GiB range without
 * deferrals is skipped whole (its count), so the cost is the giants in use
 * plus the chunks of those with deferrals.
 */
static uint64_t deferred_from(const struct pmp_vm *vm, uint64_t ci)
{
	uint64_t nr = (uint64_t)vm->nr_giants * PMP_GIANT_CHUNKS;

	for (ci %= nr;;) {
		uint32_t cg = (uint32_t)(ci / PMP_GIANT_CHUNKS);

		if (!pmp_homes(vm)[cg].in_use || !pmp_cgiants(vm)[cg].nr_deferred)
			ci = ((uint64_t)cg + 1) * PMP_GIANT_CHUNKS;
		else if (pmp_cchunks(vm)[ci].blocks & PMP_CF_DEFERRED)
			return ci;
		else
			ci++;
		if (ci >= nr)
			ci = 0;
	}
}

/* The GPA chunk of compact chunk @ci (in use). */
static uint64_t gpa_chunk(const struct pmp_vm *vm, uint64_t ci)
{
	uint32_t cg = (uint32_t)(ci / PMP_GIANT_CHUNKS);

	return ((uint64_t)pmp_homes(vm)[cg].giant << (PMP_GIANT_SHIFT - PMP_CHUNK_SHIFT)) |
	       (ci % PMP_GIANT_CHUNKS);
}

/*
 * The GPA chunk of the first flagged compact chunk at or after the cursor,
 * cyclically; with @move the cursor moves there.  Only with defer_chunks > 0.
 */
static uint64_t next_deferred(struct pmp_vm *vm, bool move)
{
	uint64_t ci = deferred_from(vm, vm->defer_cursor);

	if (move)
		vm->defer_cursor = (uint32_t)ci;
	return gpa_chunk(vm, ci);
}

/* Issue a chunk's deferred runs now, one INVALIDATE each; its flag goes. */
static void flush_chunk(struct pmp_event *ev, uint64_t ci)
{
	struct pmp_vm *vm = ev->vm;
	uint64_t g = ci << PMP_CHUNK_SHIFT, end = g + PMP_CHUNK_PAGES, e = 0;

	for (g = range_run(vm, g, end, &e); g < end; g = range_run(vm, e, end, &e)) {
		emit_inval(ev, g, e - g, PMP_CHUNK_SHIFT);
		backing_gone(vm, g, e - g);
		undefer(vm, g, e - g);
	}
}

/* Maximal runs of deferred pages in chunk @ci: the INVALIDATEs a flush emits. */
static uint32_t chunk_runs(const struct pmp_vm *vm, uint64_t ci)
{
	uint64_t g = ci << PMP_CHUNK_SHIFT, end = g + PMP_CHUNK_PAGES, e = 0;
	uint32_t runs = 0;

	for (g = range_run(vm, g, end, &e); g < end; g = range_run(vm, e, end, &e))
		runs++;
	return runs;
}

static void batch_flushes(struct pmp_event *ev, uint32_t first);

/*
 * The exact planes (a conversion's private attributes) are short of
 * @blocks pool blocks: the deferred chunks from the cursor on give theirs
 * back, one each, by being flushed now (deferral only saves invalidations;
 * issuing them early is always sound).  *@room: the actions that takes,
 * planned on the chunks pmp_inval_reclaim() will flush, in its order.
 * -ENOMEM if fewer chunks hold deferrals.
 */
int pmp_inval_reclaim_room(const struct pmp_vm *vm, unsigned int blocks, uint32_t *room)
{
	uint64_t ci = vm->defer_cursor;
	unsigned int k;

	*room = 0;
	if (blocks > vm->defer_chunks)
		return -ENOMEM;
	for (k = 0; k < blocks; k++) {
		ci = deferred_from(vm, ci);
		/* an INVALIDATE and a FLUSH per run: the runs of a chunk never touch */
		*room += 2 * chunk_runs(vm, gpa_chunk(vm, ci));
		ci++;
	}
	return 0;
}

/* Flush the @blocks chunks pmp_inval_reclaim_room() planned; each frees a block. */
void pmp_inval_reclaim(struct pmp_event *ev, unsigned int blocks)
{
	uint32_t first = ev->out ? ev->out->nr : 0;

	while (blocks--) {
		ev->vm->stats.evicted++;
		flush_chunk(ev, next_deferred(ev->vm, true));	/* the cursor stays: unflagged now */
	}
	if (ev->out)
		batch_flushes(ev, first);
}

/*
 * Chunks a punch gave a deferral bitmap.  They count in defer_chunks from
 * then on, but only the punch's end evicts for them (join_deferred()).
 */
struct pending {
	uint64_t chunk[2];
	uint32_t nr;
};

static bool pending_has(const struct pending *pend, uint64_t ci)
{
	uint32_t i;

	for (i = 0; i < pend->nr; i++)
		if (pend->chunk[i] == ci)
			return true;
	return false;
}

/*
 * Defer a piece (inside one chunk) into its chunk's bitmap @blk, or a new
 * one (@blk NULL); the plan checked the pool for a new bitmap.
 */
static void defer_piece(struct pmp_event *ev, const struct piece *p, struct pmp_block *blk,
			struct pending *pend)
{
	struct pmp_vm *vm = ev->vm;
	uint64_t ci = p->gfn >> PMP_CHUNK_SHIFT, base = ci << PMP_CHUNK_SHIFT, newly;
	unsigned int lo = (unsigned int)(p->gfn - base), hi = (unsigned int)(p->end - base);

	if (!blk) {
		blk = pmp_defer_attach(vm, ci);
		vm->defer_chunks++;
		pend->chunk[pend->nr++] = ci;
	}
	newly = (hi - lo) - pmp_block_count(blk, lo, hi);
	pmp_block_assign(blk, lo, hi, true);
	vm->nr_deferred += newly;
	vm->stats.deferred += newly;
	if (pmp_block_uniform(blk) == 1) {
		/* every page punched: one 2 MiB invalidation frees the folio */
		emit_inval(ev, base, PMP_CHUNK_PAGES, p->order);
		backing_gone(vm, base, PMP_CHUNK_PAGES);
		undefer(vm, base, PMP_CHUNK_PAGES);
	}
}

/*
 * After the punch's own runs: past the cap, flush the next flagged chunks
 * after the cursor, the punch's new ones last (the older first).  Doing it
 * last means an eviction can never flush pages the same punch then
 * invalidates again.
 */
static void join_deferred(struct pmp_event *ev, const struct pending *pend)
{
	struct pmp_vm *vm = ev->vm;
	uint64_t nr = (uint64_t)vm->nr_giants * PMP_GIANT_CHUNKS, ci;
	uint32_t i, held = 0;

	for (i = 0; i < pend->nr; i++)
		held += !!(pmp_chunk_at(vm, pend->chunk[i])->blocks & PMP_CF_DEFERRED);
	for (i = 0; vm->defer_chunks > vm->defer_cap;) {
		if (vm->defer_chunks > held) {
			ci = next_deferred(vm, true);
			if (pending_has(pend, ci)) {
				vm->defer_cursor = (uint32_t)((vm->defer_cursor + 1) % nr);
				continue;
			}
		} else {
			while (!(pmp_chunk_at(vm, pend->chunk[i])->blocks & PMP_CF_DEFERRED))
				i++;
			ci = pend->chunk[i++];
			held--;
		}
		vm->stats.evicted++;
		flush_chunk(ev, ci);		/* loses its flag */
	}
}

/* Batch the INVALIDATEs from @first on into FLUSHes of adjacent ranges. */
static void batch_flushes(struct pmp_event *ev, uint32_t first)
{
	struct pmp_actions *out = ev->out;
	uint32_t i, last = out->nr, batched = 0;
	uint64_t lo = 0, hi = 0;

	for (i = first; i < last; i++) {
		const struct pmp_action *a = &out->buf[i];

		if (a->type != PMP_ACT_INVALIDATE)
			continue;
		if (batched && a->gfn == hi && batched < ev->vm->policy.flush_batch) {
			hi += a->npages;
			batched++;
			continue;
		}
		if (batched)
			pmp_emit(ev, PMP_ACT_FLUSH, 0, lo, hi - lo);
		lo = a->gfn;
		hi = a->gfn + a->npages;
		batched = 1;
	}
	if (batched)
		pmp_emit(ev, PMP_ACT_FLUSH, 0, lo, hi - lo);
}

struct punch_plan {
	uint32_t pieces, runs, deferred;
};

/*
 * The room a punch of @plan reserves: splits at each run's edges, an
 * INVALIDATE per piece and per completed chunk, up to two evicted chunks
 * of 256 runs, a flush for each invalidation.  The documented
 * PMP_PUNCH_ACTIONS + 14 per run.  A deferrable piece (at most two: the
 * range's partial chunks) that finds no spare block is issued at once, a
 * run of its own.
 */
static uint32_t punch_room(const struct punch_plan *plan)
{
	return 12 * (plan->runs + plan->deferred) + 2 * (plan->pieces + 2) +
	       (plan->deferred ? 2 * 2 * PMP_CHUNK_PAGES / 2 : 0);
}

/*
 * A dry run: how many actions the punch takes at most.  It takes no pool
 * room: a deferral bitmap only takes a spare block (pmp_defer_room()), and
 * the mapped and accepted planes it clears are lossy.
 */
static int plan_punch(struct pmp_vm *vm, uint64_t gfn, uint64_t end,
		      const struct pmp_folios *folios, struct punch_plan *plan, struct piece *first)
{
	bool in_run = false;
	struct piece p;
	uint64_t g;
	int err;

	pmp_memset(plan, 0, sizeof(*plan));
	for (g = gfn; g < end; g = p.end) {
		err = next_piece(vm, folios, g, end, &p);
		if (err)
			return err;
		if (g == gfn)
			*first = p;
		plan->pieces++;
		if (p.defer) {
			in_run = false;
			plan->deferred++;
			continue;
		}
		plan->runs += !in_run;
		in_run = true;
	}
	return 0;
}

/*
 * A balloon's or a bounce buffer's punch: one page of a chunk faults saw
 * backed by a folio of 2 MiB or more, deferred under defer-2m (no page of
 * it both private and mapped), into the bitmap its chunk holds already,
 * which it does not fill.  pmp_punch_range() then takes no block, evicts
 * nothing (no new bitmap) and emits nothing: the page's bit is set and
 * counted.  1 if the call is not that case (nothing changed): the
 * caller's folios (they are asked), no bitmap yet, a bitmap the page
 * fills (one 2 MiB invalidation), or an error.
 */
int pmp_punch_lean_4k(struct pmp_vm *vm, uint64_t gfn, struct pmp_actions *out)
{
	unsigned int i = gfn & CHUNK_MASK;
	uint64_t bit = 1ULL << (i % 64), w;
	const struct pmp_chunk *c;
	/* what pmp_punch_range() plans for this page: one deferred piece */
	const struct punch_plan one_deferred = { .pieces = 1, .deferred = 1 };
	struct pmp_block *blk;
	uint32_t cg;

	if (gfn >= vm->gfn_end || vm->policy.inval != PMP_INVAL_DEFER_2M || !out ||
	    pmp_event_check(vm, out, punch_room(&one_deferred)))
		return 1;
	c = pmp_chunk_lookup(vm, gfn, &cg);
	if (!cg || seen_order(vm, cg, c) < (int)PMP_CHUNK_SHIFT)
		return 1;
	blk = pmp_chunk_defer_block(vm, c);
	if (!blk || live_private(vm, c, gfn, gfn + 1))
		return 1;
	w = blk->w[i / 64];
	if (!~(w | bit))
		return 1;	/* maybe the bitmap's last page */
	if (!(w & bit)) {
		blk->w[i / 64] = w | bit;
		vm->nr_deferred++;
		vm->stats.deferred++;
	}
	vm->stats.punched++;
	return 0;
}

int pmp_punch(struct pmp_vm *vm, uint64_t gfn, uint64_t npages, const struct pmp_folios *folios,
	      struct pmp_actions *out)
{
	if (npages == 1 && !folios && !pmp_punch_lean_4k(vm, gfn, out))
		return 0;
	return pmp_punch_range(vm, gfn, npages, folios, out);
}

int pmp_punch_range(struct pmp_vm *vm, uint64_t gfn, uint64_t npages,
		    const struct pmp_folios *folios, struct pmp_actions *out)
{
	uint64_t end = gfn + npages, g, run_end;
	struct pending pend = { .nr = 0 };
	struct punch_plan plan;
	struct pmp_event ev;
	struct piece p, p0;
	struct pmp_block *blk;
	uint32_t first;
	int err;

	err = pmp_reentered(vm);
	if (!err)
		err = pmp_range_check(gfn, npages, vm->gfn_end);
	if (!err && folios && !folios->order)
		err = -EINVAL;
	if (!err)
		err = plan_punch(vm, gfn, end, folios, &plan, &p0);
	if (err)
		return err;
	err = pmp_event_begin(&ev, vm, out, PMP_CAUSE_PUNCH, punch_room(&plan));
	if (err)
		return err;
	vm->stats.punched += npages;
	first = out->nr;
	for (g = gfn; g < end; g = run_end) {
		/*
		 * The first piece is the plan's, on the state the plan saw, unless
		 * the caller's folios answer (they may change between two asks).
		 */
		if (g == gfn && !folios)
			p = p0;
		else if (next_piece(vm, folios, g, end, &p))
			break;		/* the layout changed under us: stop, consistent */
		/* a chunk with a bitmap defers; a new bitmap needs a spare block */
		blk = p.defer ? pmp_chunk_defer_block(vm, p.chunk) : NULL;
		if (p.defer && (blk || (pend.nr < 2 && pmp_defer_room(vm)))) {
			defer_piece(&ev, &p, blk, &pend);
			run_end = p.end;
			continue;
		}
		/* a run of pieces issued now: split its edges once, then each folio */
		for (run_end = p.end; run_end < end; run_end = p.end)
			if (next_piece(vm, folios, run_end, end, &p) || p.defer)
				break;
		pmp_split_edges(&ev, g, run_end - g);
		for (p.end = g; p.end < run_end;) {
			if (next_piece(vm, folios, p.end, run_end, &p))
				p.end = run_end;	/* issue the rest whole */
			emit_inval(&ev, p.gfn, p.end - p.gfn, p.order);
		}
		backing_gone(vm, g, run_end - g);
		undefer(vm, g, run_end - g);
	}
	join_deferred(&ev, &pend);
	batch_flushes(&ev, first);
	pmp_event_end(&ev);
	return 0;
}

/* A fault on a deferred page: it must not see the punched contents. */
void pmp_inval_page(struct pmp_event *ev, uint64_t gfn)
{
	uint32_t first = ev->out->nr;

	emit_inval(ev, gfn, 1, 0);
	backing_gone(ev->vm, gfn, 1);
	undefer(ev->vm, gfn, 1);
	batch_flushes(ev, first);
}

/*
 * Deferred punches in the way of a shared->private conversion: 0 if none,
 * -EBUSY if the policy refuses, else the actions flushing them take.
 */
int pmp_inval_conflict(struct pmp_vm *vm, uint64_t gfn, uint64_t npages, uint32_t *room)
{
	uint64_t ci, last = gfn + npages - 1;

	*room = 0;
	if (range_run(vm, gfn, gfn + npages, &ci) == gfn + npages)
		return 0;
	if (vm->policy.conflict_flush == PMP_CONFLICT_REFUSE)
		return -EBUSY;
	if (vm->policy.conflict_flush == PMP_CONFLICT_WITHDRAW)
		return 0;	/* pmp_inval_withdraw(): no action */
	for (ci = gfn >> PMP_CHUNK_SHIFT; ci <= last >> PMP_CHUNK_SHIFT; ci++)
		if (pmp_chunk_at(vm, ci)->blocks & PMP_CF_DEFERRED)
			*room += 2 * chunk_runs(vm, ci);
	return 0;
}

/*
 * on_conflict=withdraw: the deferred punches of [gfn, gfn + npages) are
 * dropped, counted in stats.withdrawn.  The pages become private again
 * before their backing was freed, so freeing it now would only make the
 * host allocate it again, and split the 2 MiB folio for good.  The old
 * backing holds only what the guest itself wrote there; the guest accepts
 * the page again before using it (TDX's accept zeroes it).
 */
void pmp_inval_withdraw(struct pmp_vm *vm, uint64_t gfn, uint64_t npages)
{
	vm->stats.withdrawn += undefer(vm, gfn, npages);	/* one walk: counted as cleared */
}

/* Flush the chunks of [gfn, gfn + npages) that hold deferred punches. */
void pmp_inval_flush_chunks(struct pmp_event *ev, uint64_t gfn, uint64_t npages)
{
	uint64_t ci, last = gfn + npages - 1;
	uint32_t first = ev->out ? ev->out->nr : 0;

	for (ci = gfn >> PMP_CHUNK_SHIFT; ci <= last >> PMP_CHUNK_SHIFT; ci++)
		if (pmp_chunk_at(ev->vm, ci)->blocks & PMP_CF_DEFERRED)
			flush_chunk(ev, ci);
	if (ev->out)
		batch_flushes(ev, first);
}

/*
 * One flush step: the deferred run [g, e), at most a chunk: its
 * INVALIDATE and its FLUSH.  The runs of a chunk are maximal, so they
 * never touch and a batch would hold one anyway; a fixed step makes the
 * actions the same whatever the array size.
 */
static void flush_step(struct pmp_event *ev, uint64_t g, uint64_t e)
{
	emit_inval(ev, g, e - g, PMP_CHUNK_SHIFT);
	pmp_emit(ev, PMP_ACT_FLUSH, 0, g, e - g);
	backing_gone(ev->vm, g, e - g);
	undefer(ev->vm, g, e - g);	/* the chunk loses its flag with its last run */
}

/* The first deferred run of the cursor's chunk (@move: the cursor goes there). */
static uint64_t next_run(struct pmp_vm *vm, bool move, uint64_t *e)
{
	uint64_t g = next_deferred(vm, move) << PMP_CHUNK_SHIFT;

	return range_run(vm, g, g + PMP_CHUNK_PAGES, e);
}

int pmp_inval_flush(struct pmp_vm *vm, struct pmp_actions *out)
{
	uint64_t g = 0, e = 0;
	struct pmp_event ev;
	int err = 0;

	/*
	 * Nothing deferred needs no room; else a step's two actions must fit.
	 * A step takes no pool room: the planes it clears are lossy.
	 */
	err = pmp_event_begin_all(&ev, vm, out, PMP_CAUSE_PUNCH, vm->defer_chunks ? 2 : 0);
	if (err)
		return err;
	while (vm->defer_chunks && pmp_event_room(&ev) >= 2) {
		g = next_run(vm, true, &e);
		flush_step(&ev, g, e);
	}
	pmp_event_end(&ev);
	return vm->defer_chunks ? 1 : 0;
}

int pmp_inval_flush_range(struct pmp_vm *vm, uint64_t gfn, uint64_t npages,
			  struct pmp_actions *out)
{
	uint64_t end = gfn + npages, g, e = 0;
	struct pmp_event ev;
	int err;

	err = pmp_reentered(vm);
	if (!err)
		err = pmp_range_check(gfn, npages, vm->gfn_end);
	if (err)
		return err;
	g = range_run(vm, gfn, end, &e);
	err = pmp_event_begin_all(&ev, vm, out, PMP_CAUSE_PUNCH, g < end ? 2 : 0);
	if (err)
		return err;
	while (g < end && pmp_event_room(&ev) >= 2) {
		flush_step(&ev, g, e);
		g = range_run(vm, e, end, &e);
	}
	pmp_event_end(&ev);
	return g < end ? 1 : 0;
}

uint64_t pmp_nr_deferred(const struct pmp_vm *vm)
{
	return vm->nr_deferred;
}

/* Teardown frees everything anyway: forget the deferrals. */
void pmp_inval_drop_all(struct pmp_vm *vm)
{
	while (vm->defer_chunks) {
		pmp_defer_detach(vm, next_deferred(vm, true));
		vm->defer_chunks--;
	}
	vm->nr_deferred = 0;
}

/*
 * The flagged chunks are exactly those with a deferral bitmap (neither
 * empty nor full: pmp_pool_check()), at most defer_cap; the counts match
 * the bits.  pmp_vm_check() runs it after the giants' recount, so a
 * giant's nr_deferred is its flagged chunks: one of 0 has none to visit.
 */
int pmp_inval_check(const struct pmp_vm *vm)
{
	uint64_t ci, flagged = 0, bits = 0;
	uint32_t cg;

	if (vm->defer_chunks > vm->defer_cap ||
	    vm->defer_cursor >= (uint64_t)vm->nr_giants * PMP_GIANT_CHUNKS)
		return -EUCLEAN;
	for (cg = 1; cg < vm->nr_giants; cg++) {
		if (!pmp_homes(vm)[cg].in_use || !pmp_cgiants(vm)[cg].nr_deferred)
			continue;	/* free (default state: pmp_state_check()) or none flagged */
		/* the compact giant's own chunks: no directory lookup a chunk */
		for (ci = 0; ci < PMP_GIANT_CHUNKS; ci++) {
			const struct pmp_block *blk = pmp_chunk_defer_block(
				vm, &pmp_cchunks(vm)[(uint64_t)cg * PMP_GIANT_CHUNKS + ci]);

			if (!blk)
				continue;
			flagged++;
			bits += pmp_block_count(blk, 0, PMP_CHUNK_PAGES);
		}
	}
	return flagged == vm->defer_chunks && bits == vm->nr_deferred ? 0 : -EUCLEAN;
}
