// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The oracle (oracle.h, docs/replay.md).  A 2 MiB chunk counts when the
 * guest touched it and nothing in the hardware or KVM's own rules forbids
 * a 2 MiB leaf there; a 1 GiB range counts whole when all of it could be
 * one leaf.  A leaf is some VTL's (each VTL has its own page tables): it
 * needs the protections of the VTL that touched the range uniform, not
 * those of every VTL.  Policy choices (a level cap, NX huge pages, a one-way accept
 * inhibit, when to merge, when to invalidate) are exactly what it ignores:
 * it is what a clairvoyant policy would reach, so every policy's coverage
 * is at or below it, which the tests check at every sample.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "oracle.h"

#define CHUNK 512ULL
#define GIANT (512ULL * 512ULL)
/* uniform()'s pages between two tests: a chunk's first differing page is found this late */
#define UNIFORM_BLOCK 64U
/* A 16-bit value in each of a word's four lanes: four pages of attr[] at once. */
#define LANES 0x0001000100010001ULL

/* Per page: private (OA_PRIVATE, oracle.h), accepted, and VTL v's denied R/W/X at bits 2 + 3v. */
#define OA_ACCEPTED	0x2
#define OA_VTL_SHIFT	2

#define OA_VTL(v)	((uint16_t)(7U << (OA_VTL_SHIFT + 3 * (v))))
#define OA_VTLS		(OA_VTL(0) | OA_VTL(1) | OA_VTL(2))

/* Per chunk, with OC_TOUCHED() and OC_SHARED_FAULT (oracle.h); bit v of each 3-bit field is VTL v. */
#define OC_TOUCHED_ANY	0x7U
#define OC_COUNTED	0x8U		/* counted in giant_small when last evaluated */
/* What of a chunk a 1 GiB leaf depends on (with its sig) */
#define OC_FOR_GIANT	(OC_TOUCHED_ANY | OC_SHARED_FAULT | (OC_TOUCHED_ANY << OC_ELIGIBLE_SHIFT))

/*
 * giant_dirty: bit w, word w of the 1 GiB range's 8 in dirty[] has a chunk
 * marked (mark() sets both, evaluate_giant() clears both); the 1 GiB
 * check must run again
 */
#define OG_WORDS	0xffU
#define OG_WHOLE	0x100U
#define OC_ELIGIBLE(v)	(0x10U << (v))	/* a 2 MiB leaf of VTL v may be there */
#define OC_ELIGIBLE_SHIFT 4
#define OC_UNIFORM(v)	(0x100U << (v))	/* pages known alike under leaf_mask(v) ... */
#define OC_MIXED(v)	(0x800U << (v))	/* ... or known not to be; neither: scan them */
#define OC_UNIFORM_ANY	0x700U
#define OC_MIXED_ANY	0x3800U
#define OC_ODD		0x8000U		/* with OC_PAGES: odd[c] is a page unlike the first */

/*
 * Per chunk, slot_fits() of a 2 MiB leaf there, as shared and as private memory,
 * once asked: it depends only on the memslot holding the chunk, so it holds
 * until an event changes a memslot over it (slot_range_dirty() clears it).
 */
#define OF_KNOWN	0x1U
#define OF_SHARED	0x2U
#define OF_PRIVATE	0x4U

int oracle_init(struct oracle *o, const struct pmp_trace_event *vm, struct rp_slots *slots,
		struct rp_arena *arena)
{
	memset(o, 0, sizeof(*o));
	o->vm_type = vm->vm_type;
	o->nr_vtls = vm->nr_vtls;
	o->gfn_end = vm->gfn_end;
	o->giants = (vm->gfn_end + GIANT - 1) / GIANT;
	o->chunks = o->giants * 512;
	o->pages = o->chunks * CHUNK;
	o->slots = slots;
	/* as run_vm()'s geometry has it (no PMP_GEO_PRIVATE_MEM): none on SEV, like KVM */
	o->private_mem = vm->vm_type != PMP_VM_SEV;
	/* TDX and SNP private memory maps huge only all accepted or all pending */
	if (vm->vm_type == PMP_VM_TDX || vm->vm_type == PMP_VM_SNP)
		o->guarded = OA_ACCEPTED;
	o->cattr = rp_arena_zalloc(arena, o->chunks * sizeof(*o->cattr));
	o->odd = rp_arena_zalloc(arena, o->chunks * sizeof(*o->odd));
	o->chunk = rp_arena_zalloc(arena, o->chunks * sizeof(*o->chunk));
	o->order = rp_arena_zalloc(arena, o->chunks);
	o->sig = rp_arena_zalloc(arena, o->chunks * sizeof(*o->sig));
	o->fit = rp_arena_zalloc(arena, o->chunks * sizeof(*o->fit));
	o->giant_order = rp_arena_zalloc(arena, o->giants);
	o->giant_dirty = rp_arena_zalloc(arena, o->giants * sizeof(*o->giant_dirty));
	o->giant_whole = rp_arena_zalloc(arena, o->giants);
	o->dirty = rp_arena_zalloc(arena, o->giants * 8 * sizeof(*o->dirty));
	o->giant_small = rp_arena_zalloc(arena, o->giants * sizeof(*o->giant_small));
	o->giant_pages = rp_arena_zalloc(arena, o->giants * sizeof(*o->giant_pages));
	/* last, after the dense arrays: the pages of attr[] no chunk spreads to are never touched */
	o->attr = rp_arena_zalloc(arena, o->pages * sizeof(*o->attr));
	if (!o->attr || !o->cattr || !o->odd || !o->chunk || !o->order || !o->sig || !o->fit || !o->giant_order ||
	    !o->giant_dirty || !o->giant_whole || !o->dirty || !o->giant_small || !o->giant_pages)
		return -ENOMEM;
	memset(o->order, OR_UNKNOWN, o->chunks);
	memset(o->giant_order, OR_UNKNOWN, o->giants);
	return 0;
}

/* Clamp [gfn, gfn + n) to the tracked span; false if nothing is left. */
static bool clamp(const struct oracle *o, uint64_t gfn, uint64_t n, uint64_t *lo, uint64_t *hi)
{
	if (gfn >= o->pages || !n)
		return false;
	*lo = gfn;
	*hi = n > o->pages - gfn ? o->pages : gfn + n;
	return true;
}

/*
 * Does the core take [gfn, gfn + n) at all?  A range past the VM's gfn_end
 * is refused under every policy, so the oracle must not follow it either:
 * a conversion it did not refuse would unmap what every policy keeps.
 */
static bool in_vm(const struct oracle *o, uint64_t gfn, uint64_t n)
{
	return n && gfn < o->gfn_end && n <= o->gfn_end - gfn;
}

/*
 * in_vm(), and then [*@lo, *@hi) is the range: the arrays span gfn_end
 * rounded up to 1 GiB, so a range the core takes needs no clamp().
 */
static bool vm_range(const struct oracle *o, uint64_t gfn, uint64_t n, uint64_t *lo, uint64_t *hi)
{
	if (!in_vm(o, gfn, n))
		return false;
	*lo = gfn;
	*hi = gfn + n;
	return true;
}

/* A fault reported a 1 GiB folio over 1 GiB range @g: all its chunks weigh in its 1 GiB check. */
static bool giant_folio(const struct oracle *o, uint64_t g)
{
	return o->giant_order[g] != OR_UNKNOWN && o->giant_order[g] >= 18;
}

/* Chunk @c changed: oracle_pages() evaluates it again. */
static void mark(struct oracle *o, uint64_t c)
{
	o->dirty[c / 64] |= 1ULL << (c % 64);
	o->giant_dirty[c / 512] |= (uint16_t)(1U << (c / 64 % 8));
}

/*
 * mark() of a chunk in a range changed at once (a memslot's, a VTL's
 * first touch, a conversion), where that can change what oracle_pages()
 * finds.  A chunk no VTL touched, and not counted, counts for nothing
 * outside a 1 GiB folio (evaluate_giant() passes it by), and what makes it
 * count marks it then (touch_new(): its first touch, a 1 GiB folio
 * reported), so the memory the guest never touched stays unmarked.
 */
static void mark_in_range(struct oracle *o, uint64_t c)
{
	if ((o->chunk[c] & (OC_TOUCHED_ANY | OC_COUNTED)) || giant_folio(o, c / 512))
		mark(o, c);
}

/*
 * What a 1 GiB leaf needs beyond its chunks' own state changed (a memslot,
 * a 1 GiB folio reported): its 1 GiB check runs again whatever they say.
 */
static void giants_changed(struct oracle *o, uint64_t lo, uint64_t hi)
{
	uint64_t g;

	for (g = lo / GIANT; g <= (hi - 1) / GIANT; g++)
		o->giant_dirty[g] |= OG_WHOLE;
}

static void dirty(struct oracle *o, uint64_t lo, uint64_t hi)
{
	uint64_t c;

	for (c = lo / CHUNK; c <= (hi - 1) / CHUNK; c++)
		mark_in_range(o, c);
}

/* What must be alike under a leaf of any VTL over memory whose first page is @a0. */
static uint16_t every_leaf_mask(const struct oracle *o, uint16_t a0)
{
	return (uint16_t)(OA_PRIVATE | (a0 & OA_PRIVATE ? o->guarded : 0));
}

/* The attributes of chunk @c's first page. */
static uint16_t first_attr(const struct oracle *o, uint64_t c)
{
	return o->chunk[c] & OC_PAGES ? o->attr[c * CHUNK] : o->cattr[c];
}

/* Chunk @c's pages, all cattr[c] until now, are set apart in attr[]. */
static void spread(struct oracle *o, uint64_t c)
{
	uint64_t i, w = o->cattr[c] * 0x0001000100010001ULL;

	for (i = c * CHUNK; i < (c + 1) * CHUNK; i += 4)
		memcpy(&o->attr[i], &w, sizeof(w));
	o->chunk[c] |= (uint16_t)OC_PAGES;
}

/*
 * Set @mask bits of pages [lo, hi) to @value, four pages a word, and mark
 * the chunks where a page changed (a punch of pages never accepted changes
 * nothing to evaluate).  Setting bits across a whole chunk keeps it
 * uniform if it was; anything else leaves it to be scanned again.  A
 * chunk whose pages were only ever set whole is one value (cattr): set in
 * one step; a part of it set spreads it to attr[] first.
 */
static __attribute__((noinline)) void set_attr_range(struct oracle *o, uint64_t lo, uint64_t hi,
						      uint16_t mask, uint16_t value)
{
	uint64_t m = mask * 0x0001000100010001ULL, v = value * 0x0001000100010001ULL, c = lo / CHUNK;

	for (; c <= (hi - 1) / CHUNK; c++) {
		uint64_t i = lo > c * CHUNK ? lo : c * CHUNK;
		uint64_t end = hi < (c + 1) * CHUNK ? hi : (c + 1) * CHUNK, diff = 0, w;
		bool whole = i == c * CHUNK && end == (c + 1) * CHUNK;

		if (!(o->chunk[c] & OC_PAGES)) {
			diff = (o->cattr[c] & mask) ^ value;
			if (!diff)
				continue;	/* every page has it already */
			if (whole) {
				o->cattr[c] = (uint16_t)((o->cattr[c] & ~mask) | value);
				o->chunk[c] &= (uint16_t)~OC_MIXED_ANY;
				mark_in_range(o, c);
				continue;
			}
			spread(o, c);
		}
		for (; i < end && i % 4; i++) {
			diff |= (o->attr[i] & mask) ^ value;
			o->attr[i] = (uint16_t)((o->attr[i] & ~mask) | value);
		}
		for (; i + 4 <= end; i += 4) {
			memcpy(&w, &o->attr[i], sizeof(w));
			diff |= (w & m) ^ v;
			w = (w & ~m) | v;
			memcpy(&o->attr[i], &w, sizeof(w));
		}
		for (; i < end; i++) {
			diff |= (o->attr[i] & mask) ^ value;
			o->attr[i] = (uint16_t)((o->attr[i] & ~mask) | value);
		}
		if (!diff)
			continue;
		o->chunk[c] &= (uint16_t)~(OC_MIXED_ANY | OC_ODD | (whole ? 0 : OC_UNIFORM_ANY));
		mark_in_range(o, c);
	}
}

/*
 * set_attr_range(), inline for one page (a VTL protection, a 4 KiB accept
 * or punch) of a chunk already spread, or of one whose pages all have it.
 */
static inline void set_attr(struct oracle *o, uint64_t lo, uint64_t hi, uint16_t mask,
			    uint16_t value)
{
	uint64_t c = lo / CHUNK;
	uint16_t now;

	if (hi - lo != 1) {
		set_attr_range(o, lo, hi, mask, value);
		return;
	}
	if (!(o->chunk[c] & OC_PAGES)) {
		if ((o->cattr[c] & mask) ^ value)
			set_attr_range(o, lo, hi, mask, value);
		return;	/* else every page of the chunk has it already */
	}
	now = (uint16_t)((o->attr[lo] & ~mask) | value);
	if (now != o->attr[lo]) {
		o->attr[lo] = now;
		o->chunk[c] &= (uint16_t)~(OC_MIXED_ANY | OC_UNIFORM_ANY | OC_ODD);
		mark(o, c);
	}
}

/* touch() where something changes: a first touch, a shared fault, a larger folio. */
static __attribute__((noinline)) void touch_new(struct oracle *o, uint64_t gfn,
						unsigned int order, unsigned int vtl, bool shared)
{
	uint64_t c = gfn / CHUNK, g = gfn / GIANT;

	/* a VTL's first touch: every chunk's eligibility for its leaves is needed */
	if (!(o->vtls & (1U << vtl))) {
		o->vtls |= (uint8_t)(1U << vtl);
		dirty(o, 0, o->pages);
		giants_changed(o, 0, o->pages);
	}
	if (!(o->chunk[c] & OC_TOUCHED(vtl)) || (shared && !(o->chunk[c] & OC_SHARED_FAULT)) ||
	    (order != OR_UNKNOWN && (o->order[c] == OR_UNKNOWN || order > o->order[c]))) {
		o->chunk[c] |= (uint16_t)(OC_TOUCHED(vtl) | (shared ? OC_SHARED_FAULT : 0));
		mark(o, c);
	}
	/* the largest folio seen: a later, smaller one cannot undo a leaf already made */
	if (order != OR_UNKNOWN && (o->order[c] == OR_UNKNOWN || order > o->order[c]))
		o->order[c] = (uint8_t)order;
	/* ... and in its 1 GiB range, whose every chunk a 1 GiB folio backs */
	if (order != OR_UNKNOWN && (o->giant_order[g] == OR_UNKNOWN || order > o->giant_order[g])) {
		o->giant_order[g] = (uint8_t)order;
		if (order >= 18) {
			dirty(o, g * GIANT, (g + 1) * GIANT);
			giants_changed(o, g * GIANT, (g + 1) * GIANT);
		}
	}
}

/*
 * VTL @vtl used the chunk holding @gfn (oracle_touch_known() has the
 * arguments): a call only when something changes.
 */
static inline void touch(struct oracle *o, uint64_t gfn, unsigned int order, unsigned int vtl,
			 bool shared)
{
	if (!oracle_touch_known(o, gfn, order, vtl, shared))
		touch_new(o, gfn, order, vtl, shared);
}

static void fault(struct oracle *o, const struct pmp_trace_event *ev)
{
	unsigned int level = ev->level >= PMP_LEVEL_4K && ev->level <= PMP_LEVEL_1G ? ev->level : 1;

	if (ev->gfn >= o->pages)
		return;
	touch(o, ev->gfn, 9 * (level - 1), ev->vtl % PMP_MAX_VTLS,
	      !(ev->flags & PMP_FAULT_PRIVATE));
}

/* Conversions drop acceptance; a chunk converted whole is no longer mapped anywhere. */
static void convert(struct oracle *o, uint64_t lo, uint64_t hi, bool private)
{
	uint64_t c;

	set_attr(o, lo, hi, OA_PRIVATE | OA_ACCEPTED, private ? OA_PRIVATE : 0);
	for (c = (lo + CHUNK - 1) / CHUNK; (c + 1) * CHUNK <= hi; c++) {
		if (!(o->chunk[c] & (OC_TOUCHED_ANY | OC_SHARED_FAULT)))
			continue;
		o->chunk[c] &= (uint16_t)~(OC_TOUCHED_ANY | OC_SHARED_FAULT);
		mark(o, c);
	}
}

static void slot_range_dirty(struct oracle *o, uint32_t id)
{
	const struct pmp_slot *s;
	uint64_t lo, hi;

	if (id >= RP_MAX_SLOTS || !o->slots->used[id])
		return;
	s = &o->slots->slot[id];
	if (clamp(o, s->base_gfn, s->npages, &lo, &hi)) {
		dirty(o, lo, hi);
		giants_changed(o, lo, hi);
		memset(&o->fit[lo / CHUNK], 0, (hi - 1) / CHUNK + 1 - lo / CHUNK);
	}
}

/* [lo, hi) is punched: its contents and acceptance are gone. */
static inline void unaccept(struct oracle *o, uint64_t lo, uint64_t hi)
{
	set_attr(o, lo, hi, OA_ACCEPTED, 0);
}

/* VTL @vtl's protections of [lo, hi) become @prot (PMP_PROT_* allowed). */
static inline void protect(struct oracle *o, uint64_t lo, uint64_t hi, unsigned int vtl,
			   unsigned int prot)
{
	set_attr(o, lo, hi, OA_VTL(vtl), (uint16_t)((~prot & 7U) << (OA_VTL_SHIFT + 3 * vtl)));
}

/* Any event but a fault: a frame of its own, so a fault's path stays short. */
static __attribute__((noinline)) void other_event(struct oracle *o,
						  const struct pmp_trace_event *ev, bool after)
{
	uint64_t lo, hi;

	switch (ev->type) {
	case PMP_TR_SLOT_ADD:
	case PMP_TR_SLOT_DELETE:
	case PMP_TR_SLOT_MOVE:
	case PMP_TR_DIRTY_LOG:
		slot_range_dirty(o, ev->slot);	/* before: the old range, after: the new */
		return;
	default:
		break;
	}
	if (after)
		return;
	switch (ev->type) {
	case PMP_TR_FAULT:
		fault(o, ev);
		break;
	case PMP_TR_ACCEPT:
		if (ev->level < PMP_LEVEL_4K || ev->level > PMP_LEVEL_1G ||
		    !clamp(o, ev->gfn, PMP_LEVEL_PAGES(ev->level), &lo, &hi))
			break;
		/* its fault may map even when the accept itself is refused: touch anyway */
		if (in_vm(o, ev->gfn, PMP_LEVEL_PAGES(ev->level)))
			set_attr(o, lo, hi, OA_ACCEPTED, OA_ACCEPTED);
		/* the accept's own fault is VTL 0's, private if the page is (run.c) */
		for (; lo < hi; lo += CHUNK)
			touch(o, lo, OR_UNKNOWN, 0, false);
		break;
	case PMP_TR_CONVERT:
		/* what KVM allows, not the event: to private only where there is private memory */
		if ((o->private_mem || !(ev->flags & PMP_TR_PRIVATE)) &&
		    vm_range(o, ev->gfn, ev->npages, &lo, &hi))
			convert(o, lo, hi, ev->flags & PMP_TR_PRIVATE);
		break;
	case PMP_TR_VTL_PROT:
		if (vm_range(o, ev->gfn, ev->npages, &lo, &hi) && ev->vtl < o->nr_vtls)
			protect(o, lo, hi, ev->vtl, ev->prot);
		break;
	case PMP_TR_PUNCH:
		if (vm_range(o, ev->gfn, ev->npages, &lo, &hi))
			unaccept(o, lo, hi);
		break;
	case PMP_TR_TEARDOWN:
		o->torn_down = true;
		break;
	default:
		break;
	}
}

/*
 * Page @gfn of spread chunk @c was accepted and the chunk has no odd page:
 * the page, if it is now unlike the first under every leaf mask (accepted
 * among pending pages), else the last page, if unlike it (pending, where
 * pages are accepted in order), becomes the odd one.
 */
static void note_odd(struct oracle *o, uint64_t c, uint64_t gfn)
{
	const uint16_t *a = &o->attr[c * CHUNK];
	uint16_t every = every_leaf_mask(o, a[0]);
	unsigned int i = gfn % CHUNK;

	if (!i || !((a[i] ^ a[0]) & every))
		i = CHUNK - 1;
	if ((a[i] ^ a[0]) & every) {
		o->odd[c] = (uint16_t)i;
		o->chunk[c] |= (uint16_t)OC_ODD;
	}
}

/*
 * other_event() of a 4 KiB accept inside the VM (TDX and SNP guests accept
 * most of their memory a page at a time): the page accepted, its chunk
 * touched by its fault, without the range checks of any other accept.
 * Where the chunk has an odd page and this is neither it nor the first,
 * nothing oracle_pages() reads changes (the first page, so its sig and
 * every leaf's mask, is the same, the chunk still unlike it, its
 * OC_MIXED() true): the page is set without marking the chunk.  So are
 * most of a chunk's pending pages accepted one by one, once one is.
 */
static void accept_page(struct oracle *o, uint64_t gfn)
{
	uint64_t c = gfn / CHUNK;

	if ((o->chunk[c] & OC_ODD) && gfn % CHUNK && gfn % CHUNK != o->odd[c]) {
		o->attr[gfn] |= OA_ACCEPTED;
	} else {
		set_attr(o, gfn, gfn + 1, OA_ACCEPTED, OA_ACCEPTED);
		if ((o->chunk[c] & (OC_PAGES | OC_ODD)) == OC_PAGES)
			note_odd(o, c, gfn);
	}
	touch(o, gfn, OR_UNKNOWN, 0, false);
}

/*
 * A one-page event inside the VM that other_event() would take the long
 * way: a 4 KiB accept, one page's protections by a VTL the VM has (a VBS
 * guest sets them a page at a time), a punch of one page (a balloon's, a
 * bounce buffer's).  Done here; false for any other.
 */
static inline bool one_page_event(struct oracle *o, const struct pmp_trace_event *ev)
{
	if (ev->gfn >= o->gfn_end)
		return false;
	switch (ev->type) {
	case PMP_TR_ACCEPT:
		if (ev->level != PMP_LEVEL_4K)
			return false;
		accept_page(o, ev->gfn);
		return true;
	case PMP_TR_VTL_PROT:
		if (ev->npages != 1 || ev->vtl >= o->nr_vtls)
			return false;
		protect(o, ev->gfn, ev->gfn + 1, ev->vtl, ev->prot);
		return true;
	case PMP_TR_PUNCH:
		if (ev->npages != 1)
			return false;
		unaccept(o, ev->gfn, ev->gfn + 1);
		return true;
	default:
		return false;
	}
}

void oracle_event(struct oracle *o, const struct pmp_trace_event *ev, bool after)
{
	if (ev->type == PMP_TR_FAULT) {
		if (!after)	/* most events: a fault, never a memslot's */
			fault(o, ev);
	} else if (after || !one_page_event(o, ev)) {
		other_event(o, ev, after);
	}
}

void oracle_accept(struct oracle *o, const struct pmp_trace_event *ev)
{
	uint64_t c = ev->gfn / CHUNK;

	if (ev->gfn >= o->gfn_end) {
		other_event(o, ev, false);
		return;
	}
	if (ev->level == PMP_LEVEL_4K) {
		accept_page(o, ev->gfn);
		return;
	}
	/* a 2 MiB accept of a whole chunk inside the VM, the chunk one value (cattr) */
	if (ev->level != PMP_LEVEL_2M || (ev->gfn & (CHUNK - 1)) || ev->gfn + CHUNK > o->gfn_end ||
	    (o->chunk[c] & OC_PAGES)) {
		other_event(o, ev, false);
		return;
	}
	if (!(o->cattr[c] & OA_ACCEPTED)) {
		o->cattr[c] |= OA_ACCEPTED;
		o->chunk[c] &= (uint16_t)~OC_MIXED_ANY;
		mark_in_range(o, c);
	}
	touch(o, ev->gfn, OR_UNKNOWN, 0, false);
}

/* Memslot @s (NULL: none) holds [head, head + n) and gfn and backing agree modulo n. */
static inline bool slot_fits(const struct pmp_slot *s, uint64_t head, uint64_t n, bool private)
{
	if (!s || head + n > s->base_gfn + s->npages || (s->flags & PMP_SLOT_DIRTY_LOG))
		return false;
	if ((s->base_gfn ^ (s->userspace_addr >> PMP_PAGE_SHIFT)) & (n - 1))
		return false;
	return !(private && (s->flags & PMP_SLOT_GUEST_MEMFD) &&
		 ((s->base_gfn ^ (s->gmem_offset >> PMP_PAGE_SHIFT)) & (n - 1)));
}

/* The memslot holding @head, or NULL. */
static const struct pmp_slot *slot_at(struct oracle *o, uint64_t head)
{
	int id = slots_find(o->slots, head);

	return id < 0 ? NULL : &o->slots->slot[id];
}

/*
 * Do all 512 pages of the chunk at @a agree with a[0] under @mask?  A block
 * of 64 pages at a time, without a branch inside it: the compiler makes
 * that loop a few vector operations.
 */
static bool uniform(const uint16_t *a, uint16_t mask)
{
	uint16_t first = a[0] & mask;
	unsigned int i, j;

	for (i = 0; i < CHUNK; i += UNIFORM_BLOCK) {
		uint16_t differ = 0;

		for (j = 0; j < UNIFORM_BLOCK; j++)
			differ |= (uint16_t)((a[i + j] ^ first) & mask);
		if (differ)
			return false;
	}
	return true;
}

/* What must be alike under a leaf of VTL @v over memory whose first page is @a0. */
static uint16_t leaf_mask(const struct oracle *o, uint16_t a0, unsigned int v)
{
	return (uint16_t)(every_leaf_mask(o, a0) | OA_VTL(v));
}

/*
 * Are spread chunk @c's pages (its OC_* @f) alike under VTL @v's leaf
 * mask?  Not if it has an odd page: no scan.
 */
static bool chunk_uniform(const struct oracle *o, uint64_t c, uint16_t a0, unsigned int v,
			  uint16_t f)
{
	return !(f & OC_ODD) && uniform(&o->attr[c * CHUNK], leaf_mask(o, a0, v));
}

/*
 * The memslot may hold a leaf of @n pages at @head: aligned as the page's
 * attribute says, or as shared memory if a fault without the private flag
 * touched it (@flags: the chunk's OC_*, or their union over a 1 GiB range).
 */
static bool fits_any(struct oracle *o, uint64_t head, uint64_t n, uint16_t a0, unsigned int flags)
{
	const struct pmp_slot *s = slot_at(o, head);
	bool private = a0 & OA_PRIVATE;

	return slot_fits(s, head, n, private) ||
	       (private && (flags & OC_SHARED_FAULT) && slot_fits(s, head, n, false));
}

/* fits_any() of a 2 MiB leaf on chunk @c, from its OF_* once known. */
static bool chunk_fits(struct oracle *o, uint64_t c, uint16_t a0, unsigned int flags)
{
	bool private = a0 & OA_PRIVATE;

	if (!(o->fit[c] & OF_KNOWN)) {
		const struct pmp_slot *s = slot_at(o, c * CHUNK);

		o->fit[c] = (uint8_t)(OF_KNOWN | (slot_fits(s, c * CHUNK, CHUNK, false) ? OF_SHARED : 0) |
				      (slot_fits(s, c * CHUNK, CHUNK, true) ? OF_PRIVATE : 0));
	}
	return (o->fit[c] & (private ? OF_PRIVATE : OF_SHARED)) ||
	       (private && (flags & OC_SHARED_FAULT) && (o->fit[c] & OF_SHARED));
}

/* Which VTLs may have a 2 MiB leaf on chunk @c; its attributes for 1 GiB uniformity. */
static uint16_t evaluate_chunk(struct oracle *o, uint64_t c, bool giant)
{
	uint16_t a0 = first_attr(o, c), f = o->chunk[c], eligible = 0;
	/* a 4 KiB folio here does not stop a 1 GiB folio reported anywhere in its range */
	bool ok = (o->order[c] == OR_UNKNOWN || o->order[c] >= 9 || giant) &&
		  chunk_fits(o, c, a0, f);
	unsigned int v, vtls;

	/* the VTLs that touched memory, lowest first: most VMs have one */
	for (vtls = ok ? o->vtls : 0; vtls; vtls &= vtls - 1) {
		v = (unsigned int)__builtin_ctz(vtls);
		if (!(f & (OC_UNIFORM(v) | OC_MIXED(v))))
			f |= (uint16_t)(!(f & OC_PAGES) || chunk_uniform(o, c, a0, v, f) ?
					OC_UNIFORM(v) : OC_MIXED(v));
		if (f & OC_UNIFORM(v))
			eligible |= (uint16_t)OC_ELIGIBLE(v);
	}
	f &= (uint16_t)~(OC_COUNTED | (OC_TOUCHED_ANY << OC_ELIGIBLE_SHIFT));
	/* it counts when a VTL that touched it may have a leaf there */
	if (f & OC_TOUCHED_ANY & (eligible >> OC_ELIGIBLE_SHIFT))
		f |= OC_COUNTED;
	o->chunk[c] = f | eligible;
	o->sig[c] = a0 & (OA_PRIVATE | o->guarded | OA_VTLS);
	return f | eligible;
}

/*
 * Chunk @c of 1 GiB range @g, which no VTL touched, where no fault reported
 * a 1 GiB folio: it cannot count, and its eligibility and attributes are
 * read only by a 1 GiB check, which the first touch or a 1 GiB folio
 * reported marks it for (touch_new()).  So a memslot's or a VTL's first
 * change of every chunk costs only the chunks touched.
 */
static void untouched(struct oracle *o, uint64_t c, uint32_t *small)
{
	if (o->chunk[c] & OC_COUNTED) {
		o->chunk[c] &= (uint16_t)~OC_COUNTED;
		--*small;
	}
}

/*
 * A chunk counts when a VTL that touched it may have a leaf there: the
 * changed chunks are evaluated again and the count kept.  A 1 GiB leaf of
 * VTL v needs a 1 GiB folio, every chunk eligible for v and alike under
 * v's mask, the memslot to hold it aligned, and v to have touched it:
 * all 512 chunks are looked at again only where a fault reported a 1 GiB
 * folio and what it depends on changed since (giant_whole keeps the answer).
 */
static uint64_t evaluate_giant(struct oracle *o, uint64_t g)
{
	uint64_t c, first = g * 512;
	/* a 1 GiB folio only where a fault reported one (run.c assumes 2 MiB otherwise) */
	bool whole = giant_folio(o, g);
	bool again = o->giant_dirty[g] & OG_WHOLE;
	/* giant_small[g], in a register while the chunks are stored */
	uint32_t small = o->giant_small[g];
	unsigned int v, w, words;

	/* the words with a chunk marked: most samples find one or two of the 8 */
	for (words = o->giant_dirty[g] & OG_WORDS; words; words &= words - 1) {
		uint64_t bits;

		w = (unsigned int)__builtin_ctz(words);
		bits = o->dirty[g * 8 + w];

		o->dirty[g * 8 + w] = 0;
		for (; bits; bits &= bits - 1) {
			uint16_t was, sig, now;

			c = first + w * 64 + (uint64_t)__builtin_ctzll(bits);
			was = o->chunk[c];
			if (!whole && !(was & OC_TOUCHED_ANY)) {
				untouched(o, c, &small);
				continue;
			}
			sig = o->sig[c];
			now = evaluate_chunk(o, c, whole);
			small += !!(now & OC_COUNTED) - !!(was & OC_COUNTED);
			/* only a 1 GiB folio's check reads it */
			again |= whole && (((was ^ now) & OC_FOR_GIANT) || sig != o->sig[c]);
		}
	}
	o->giant_small[g] = small;
	o->giant_dirty[g] = 0;
	if (!whole)
		return (uint64_t)o->giant_small[g] * CHUNK;
	if (again) {
		/* what every chunk has, what any has, and where any differs from the first */
		uint16_t all = 0xffff, any = 0, differ = 0, a0 = o->sig[first];
		unsigned int touched, vtls;

		for (c = first; c < first + 512; c++) {
			all &= o->chunk[c];
			any |= o->chunk[c];
			differ |= o->sig[c] ^ a0;
		}
		touched = any & (OC_TOUCHED_ANY | OC_SHARED_FAULT);
		/* VTL v: every chunk eligible for it, and all alike under its mask */
		vtls = OC_TOUCHED_ANY & ((unsigned int)all >> OC_ELIGIBLE_SHIFT);
		for (v = 0; vtls >> v; v++)
			if (differ & leaf_mask(o, a0, v))
				vtls &= ~(1U << v);
		o->giant_whole[g] = (vtls & touched) && fits_any(o, g * GIANT, GIANT, a0, touched);
	}
	return o->giant_whole[g] ? GIANT : (uint64_t)o->giant_small[g] * CHUNK;
}

uint64_t oracle_pages(struct oracle *o)
{
	uint64_t g;

	if (o->torn_down)
		return 0;
	for (g = 0; g < o->giants; g++) {
		if (!o->giant_dirty[g])
			continue;
		o->total -= o->giant_pages[g];
		o->giant_pages[g] = evaluate_giant(o, g);
		o->total += o->giant_pages[g];
	}
	return o->total;
}

int oracle_check(const struct oracle *o)
{
	uint64_t c, w;

	for (w = 0; w < o->giants * 8; w++)
		if (o->dirty[w] && !(o->giant_dirty[w / 8] & (1U << (w % 8))))
			return -EUCLEAN;
	for (c = 0; c < o->chunks; c++) {
		const uint16_t *a = &o->attr[c * CHUNK];

		if ((o->chunk[c] & OC_ODD) &&
		    (!o->odd[c] || o->odd[c] >= CHUNK || !(o->chunk[c] & OC_PAGES) ||
		     !((a[o->odd[c]] ^ a[0]) & every_leaf_mask(o, a[0]))))
			return -EUCLEAN;
	}
	return 0;
}
