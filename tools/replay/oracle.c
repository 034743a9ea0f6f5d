// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The oracle (oracle.h, docs/replay.md).  A 2 MiB chunk counts when the
 * guest touched it and nothing in the hardware or KVM's own rules forbids
 * a 2 MiB leaf there; a 1 GiB range counts whole when all of it could be
 * one leaf.  Policy choices (a level cap, NX huge pages, a one-way accept
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

/* Per page: private, accepted, and VTL v's denied R/W/X at bits 2 + 3v. */
#define OA_PRIVATE	0x1
#define OA_ACCEPTED	0x2
#define OA_VTL_SHIFT	2

/* Per chunk. */
#define OC_TOUCHED	0x1
#define OC_DIRTY	0x2
#define OC_ELIGIBLE	0x4
#define OC_UNIFORM	0x8	/* attributes known alike (under the mask) ... */
#define OC_MIXED	0x10	/* ... or known not to be; neither: scan the pages */

int oracle_init(struct oracle *o, const struct pmp_trace_event *vm, struct rp_slots *slots)
{
	memset(o, 0, sizeof(*o));
	o->vm_type = vm->vm_type;
	o->giants = (vm->gfn_end + GIANT - 1) / GIANT;
	o->chunks = o->giants * 512;
	o->pages = o->chunks * CHUNK;
	o->slots = slots;
	o->mask = OA_PRIVATE;
	/* TDX and SNP private memory maps huge only all accepted or all pending */
	if (vm->vm_type == PMP_VM_TDX || vm->vm_type == PMP_VM_SNP)
		o->mask |= OA_ACCEPTED;
	o->attr = calloc(o->pages, sizeof(*o->attr));
	o->chunk = calloc(o->chunks, 1);
	o->order = malloc(o->chunks);
	o->sig = calloc(o->chunks, sizeof(*o->sig));
	o->giant_order = malloc(o->giants);
	o->giant_dirty = calloc(o->giants, 1);
	o->giant_pages = calloc(o->giants, sizeof(*o->giant_pages));
	if (!o->attr || !o->chunk || !o->order || !o->sig || !o->giant_order ||
	    !o->giant_dirty || !o->giant_pages) {
		oracle_free(o);
		return -ENOMEM;
	}
	memset(o->order, OR_UNKNOWN, o->chunks);
	memset(o->giant_order, OR_UNKNOWN, o->giants);
	return 0;
}

void oracle_free(struct oracle *o)
{
	free(o->attr);
	free(o->chunk);
	free(o->order);
	free(o->sig);
	free(o->giant_order);
	free(o->giant_dirty);
	free(o->giant_pages);
	memset(o, 0, sizeof(*o));
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

static void dirty(struct oracle *o, uint64_t lo, uint64_t hi)
{
	uint64_t c;

	for (c = lo / CHUNK; c <= (hi - 1) / CHUNK; c++) {
		o->chunk[c] |= OC_DIRTY;
		o->giant_dirty[c / 512] = 1;
	}
}

/*
 * Set @mask bits of pages [lo, hi) to @value, four pages a word, and mark
 * their chunks.  Setting bits across a whole chunk keeps it uniform if it
 * was; anything else leaves it to be scanned again.
 */
static void set_attr(struct oracle *o, uint64_t lo, uint64_t hi, uint16_t mask, uint16_t value)
{
	uint64_t m = mask * 0x0001000100010001ULL, v = value * 0x0001000100010001ULL, i = lo, c;

	for (; i < hi && i % 4; i++)
		o->attr[i] = (uint16_t)((o->attr[i] & ~mask) | value);
	for (; i + 4 <= hi; i += 4) {
		uint64_t w;

		memcpy(&w, &o->attr[i], sizeof(w));
		w = (w & ~m) | v;
		memcpy(&o->attr[i], &w, sizeof(w));
	}
	for (; i < hi; i++)
		o->attr[i] = (uint16_t)((o->attr[i] & ~mask) | value);
	for (c = lo / CHUNK; c <= (hi - 1) / CHUNK; c++)
		if (lo > c * CHUNK || hi < (c + 1) * CHUNK)
			o->chunk[c] &= (uint8_t)~(OC_UNIFORM | OC_MIXED);
		else
			o->chunk[c] &= (uint8_t)~OC_MIXED;
	dirty(o, lo, hi);
}

/* The guest used the chunk holding @gfn, backed by a folio of @order. */
static void touch(struct oracle *o, uint64_t gfn, unsigned int order)
{
	uint64_t c = gfn / CHUNK, g = gfn / GIANT;

	if (!(o->chunk[c] & OC_TOUCHED) ||
	    (order != OR_UNKNOWN && (o->order[c] == OR_UNKNOWN || order > o->order[c]))) {
		o->chunk[c] |= OC_TOUCHED | OC_DIRTY;
		o->giant_dirty[g] = 1;
	}
	/* the largest folio seen: a later, smaller one cannot undo a leaf already made */
	if (order != OR_UNKNOWN && (o->order[c] == OR_UNKNOWN || order > o->order[c]))
		o->order[c] = (uint8_t)order;
	if (order != OR_UNKNOWN && (o->giant_order[g] == OR_UNKNOWN || order > o->giant_order[g]))
		o->giant_order[g] = (uint8_t)order;
}

static void fault(struct oracle *o, const struct pmp_trace_event *ev)
{
	uint16_t vtl_bits = (uint16_t)(7U << (OA_VTL_SHIFT + 3 * (ev->vtl % PMP_MAX_VTLS)));
	unsigned int level = ev->level >= PMP_LEVEL_4K && ev->level <= PMP_LEVEL_1G ? ev->level : 1;

	if (ev->gfn >= o->pages)
		return;
	/* a VTL that faults needs its protections uniform under a leaf */
	if (!(o->mask & vtl_bits)) {
		uint64_t c;

		o->mask |= vtl_bits;
		for (c = 0; c < o->chunks; c++)
			o->chunk[c] &= (uint8_t)~(OC_UNIFORM | OC_MIXED);
		dirty(o, 0, o->pages);
	}
	touch(o, ev->gfn, 9 * (level - 1));
}

/* Conversions drop acceptance; a chunk converted whole is no longer mapped anywhere. */
static void convert(struct oracle *o, uint64_t lo, uint64_t hi, bool private)
{
	uint64_t c;

	set_attr(o, lo, hi, OA_PRIVATE | OA_ACCEPTED, private ? OA_PRIVATE : 0);
	for (c = (lo + CHUNK - 1) / CHUNK; (c + 1) * CHUNK <= hi; c++)
		o->chunk[c] &= (uint8_t)~OC_TOUCHED;
}

static void slot_range_dirty(struct oracle *o, uint32_t id)
{
	const struct pmp_slot *s;
	uint64_t lo, hi;

	if (id >= RP_MAX_SLOTS || !o->slots->used[id])
		return;
	s = &o->slots->slot[id];
	if (clamp(o, s->base_gfn, s->npages, &lo, &hi))
		dirty(o, lo, hi);
}

void oracle_event(struct oracle *o, const struct pmp_trace_event *ev, bool after)
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
		set_attr(o, lo, hi, OA_ACCEPTED, OA_ACCEPTED);
		for (; lo < hi; lo += CHUNK)
			touch(o, lo, OR_UNKNOWN);
		break;
	case PMP_TR_CONVERT:
		if (clamp(o, ev->gfn, ev->npages, &lo, &hi))
			convert(o, lo, hi, ev->flags & PMP_TR_PRIVATE);
		break;
	case PMP_TR_VTL_PROT:
		if (clamp(o, ev->gfn, ev->npages, &lo, &hi) && ev->vtl < PMP_MAX_VTLS)
			set_attr(o, lo, hi, (uint16_t)(7U << (OA_VTL_SHIFT + 3 * ev->vtl)),
				 (uint16_t)((~ev->prot & 7U) << (OA_VTL_SHIFT + 3 * ev->vtl)));
		break;
	case PMP_TR_PUNCH:
		/* a punched page's contents and acceptance are gone */
		if (clamp(o, ev->gfn, ev->npages, &lo, &hi))
			set_attr(o, lo, hi, OA_ACCEPTED, 0);
		break;
	case PMP_TR_TEARDOWN:
		o->torn_down = true;
		break;
	default:
		break;
	}
}

/* The memslot holds [head, head + n) and gfn and backing agree modulo n. */
static bool fits(struct oracle *o, uint64_t head, uint64_t n, bool private)
{
	int id = slots_find(o->slots, head);
	const struct pmp_slot *s;

	if (id < 0)
		return false;
	s = &o->slots->slot[id];
	if (head + n > s->base_gfn + s->npages || (s->flags & PMP_SLOT_DIRTY_LOG))
		return false;
	if ((s->base_gfn ^ (s->userspace_addr >> PMP_PAGE_SHIFT)) & (n - 1))
		return false;
	return !(private && (s->flags & PMP_SLOT_GUEST_MEMFD) &&
		 ((s->base_gfn ^ (s->gmem_offset >> PMP_PAGE_SHIFT)) & (n - 1)));
}

/* Do all 512 pages of the chunk at @a agree with a[0] under @mask?  Four at a time. */
static bool uniform(const uint16_t *a, uint16_t mask)
{
	uint64_t m = mask * 0x0001000100010001ULL, first = (a[0] & mask) * 0x0001000100010001ULL;
	unsigned int i;

	for (i = 0; i < CHUNK; i += 4) {
		uint64_t w;

		memcpy(&w, a + i, sizeof(w));
		if ((w ^ first) & m)
			return false;
	}
	return true;
}

static void evaluate_chunk(struct oracle *o, uint64_t c)
{
	uint64_t head = c * CHUNK;
	uint16_t a0 = o->attr[head] & o->mask;
	bool ok = (o->order[c] == OR_UNKNOWN || o->order[c] >= 9) &&
		  fits(o, head, CHUNK, a0 & OA_PRIVATE);

	if (ok && !(o->chunk[c] & (OC_UNIFORM | OC_MIXED)))
		o->chunk[c] |= uniform(&o->attr[head], o->mask) ? OC_UNIFORM : OC_MIXED;
	ok = ok && (o->chunk[c] & OC_UNIFORM);

	o->chunk[c] &= (uint8_t)~(OC_DIRTY | OC_ELIGIBLE);
	if (ok)
		o->chunk[c] |= OC_ELIGIBLE;
	o->sig[c] = a0;
}

/* A 1 GiB leaf needs every chunk eligible and alike, a 1 GiB folio and fit. */
static uint64_t evaluate_giant(struct oracle *o, uint64_t g)
{
	uint64_t c, first = g * 512, small = 0;
	/* a 1 GiB folio only where a fault reported one (run.c assumes 2 MiB otherwise) */
	bool whole = o->giant_order[g] != OR_UNKNOWN && o->giant_order[g] >= 18;
	bool touched = false;

	for (c = first; c < first + 512; c++) {
		uint8_t f = o->chunk[c];

		if (f & OC_DIRTY)
			evaluate_chunk(o, c);
		f = o->chunk[c];
		touched |= f & OC_TOUCHED;
		if ((f & (OC_TOUCHED | OC_ELIGIBLE)) == (OC_TOUCHED | OC_ELIGIBLE))
			small += CHUNK;
		whole = whole && (f & OC_ELIGIBLE) && o->sig[c] == o->sig[first];
	}
	o->giant_dirty[g] = 0;
	if (whole && touched && fits(o, g * GIANT, GIANT, o->sig[first] & OA_PRIVATE))
		return GIANT;
	return small;
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
