// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The MMU leaf model (leaves.h).  Action semantics are those of mmu.h:
 * ranges name "every leaf intersecting [gfn, gfn + npages)", so a zap takes
 * a crossing huge leaf whole, and a 4 KiB MAP inside a huge leaf splits it
 * (KVM does that itself, e.g. for an NX exec fault).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "leaves.h"

#define CHUNK 512ULL
#define GIANT (512ULL * 512ULL)

int lv_init(struct leaves *lv, uint64_t pages, struct rp_arena *arena)
{
	memset(lv, 0, sizeof(*lv));
	lv->giants = (pages + GIANT - 1) / GIANT;
	lv->chunks = lv->giants * 512;
	lv->pages = lv->chunks * CHUNK;
	lv->bits = rp_arena_zalloc(arena, lv->pages / 64 * sizeof(uint64_t));
	lv->chunk = rp_arena_zalloc(arena, lv->chunks);
	lv->giant = rp_arena_zalloc(arena, lv->giants);
	return lv->bits && lv->chunk && lv->giant ? 0 : -ENOMEM;
}

/*
 * Set bits of @x, branch-free: __builtin_popcountll() without -mpopcnt is
 * a call into libgcc (__popcountdi2), and the replay counts every range.
 */
static inline uint64_t weight64(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (x * 0x0101010101010101ULL) >> 56;
}

/* Set or clear the @mask bits of word @w and keep n4k exact. */
static inline void set_word(struct leaves *lv, uint64_t w, uint64_t mask, bool on)
{
	uint64_t old = lv->bits[w], change = (on ? ~old : old) & mask;

	if (!change)
		return;	/* most words of a range: nothing to set or clear */
	lv->bits[w] = old ^ change;
	if (on)
		lv->n4k += weight64(change);
	else
		lv->n4k -= weight64(change);
}

/*
 * Clear words [w, last) whole, stopping where the last 4 KiB leaf went.  A
 * zap of a memslot or a teardown crosses mostly chunks without 4 KiB
 * leaves: a chunk's 8 words are tested in one step and passed over.
 */
static void clear_words(struct leaves *lv, uint64_t w, uint64_t last)
{
	const uint64_t per_chunk = CHUNK / 64;

	_Static_assert(CHUNK / 64 == 8, "a chunk's bits are the 8 words tested at once");
	while (w < last && lv->n4k) {
		const uint64_t *b = &lv->bits[w];

		if (!(w % per_chunk) && last - w >= per_chunk &&
		    !(b[0] | b[1] | b[2] | b[3] | b[4] | b[5] | b[6] | b[7])) {
			w += per_chunk;
			continue;
		}
		set_word(lv, w++, ~0ULL, false);
	}
}

/*
 * Set or clear the 8 words of one chunk's bits: a split of a 2 MiB leaf
 * (none set before), a 2 MiB map or zap over 4 KiB leaves (most often all
 * 512 set), counted without a weight per word when all or none were set.
 */
static void set_chunk_words(struct leaves *lv, uint64_t *b, bool on)
{
	uint64_t all = ~0ULL, any = 0, had = 0, i;

	for (i = 0; i < CHUNK / 64; i++) {
		all &= b[i];
		any |= b[i];
	}
	if (all == ~0ULL)
		had = CHUNK;
	else
		for (i = 0; any && i < CHUNK / 64; i++)
			had += weight64(b[i]);
	for (i = 0; i < CHUNK / 64; i++)
		b[i] = on ? ~0ULL : 0;
	lv->n4k += on ? CHUNK - had : 0;
	lv->n4k -= on ? 0 : had;
}

/* Set or clear the 4 KiB bits of [lo, hi) and keep n4k exact: whole words in one step. */
static void set_bits(struct leaves *lv, uint64_t lo, uint64_t hi, bool on)
{
	uint64_t w, last;

	if (hi - lo == 1) {	/* a 4 KiB fault or zap: most actions */
		uint64_t *p = &lv->bits[lo / 64], bit = 1ULL << (lo % 64);

		lv->n4k += on ? !(*p & bit) : 0;
		lv->n4k -= on ? 0 : !!(*p & bit);
		*p = on ? *p | bit : *p & ~bit;
		return;
	}
	if (!on && !lv->n4k)
		return;	/* no 4 KiB leaf anywhere: nothing to clear */
	if (hi - lo == CHUNK && !(lo % CHUNK)) {
		set_chunk_words(lv, &lv->bits[lo / 64], on);
		return;
	}
	w = lo / 64;
	last = (hi - 1) / 64;
	if (w == last) {
		set_word(lv, w, (~0ULL >> (64 - (hi - lo))) << (lo % 64), on);
		return;
	}
	set_word(lv, w, ~0ULL << (lo % 64), on);
	if (on)
		for (w++; w < last; w++)
			set_word(lv, w, ~0ULL, true);
	else
		clear_words(lv, w + 1, last);
	set_word(lv, last, ~0ULL >> (63 - (hi - 1) % 64), on);
}

static bool chunk_has_small(const struct leaves *lv, uint64_t c)
{
	const uint64_t *w = &lv->bits[c * CHUNK / 64];
	unsigned int i;

	for (i = 0; i < CHUNK / 64; i++)
		if (w[i])
			return true;
	return false;
}

/* A 1 GiB leaf becomes 512 2 MiB leaves, which keep its blocked state. */
static void split_giant(struct leaves *lv, uint64_t g, bool keep_blocked)
{
	uint8_t state = LV_LEAF | (keep_blocked ? (lv->giant[g] & LV_BLOCKED) : 0);
	uint64_t c;

	lv->giant[g] = 0;
	lv->n1g--;
	for (c = g * 512; c < (g + 1) * 512; c++)
		lv->chunk[c] = state;
	lv->n2m += 512;
}

/* A 2 MiB leaf becomes 512 4 KiB leaves, likewise. */
static void split_chunk(struct leaves *lv, uint64_t c, bool keep_blocked)
{
	bool blocked = keep_blocked && (lv->chunk[c] & LV_BLOCKED);

	lv->chunk[c] = blocked ? LV_SMALL_BLOCKED : 0;
	lv->n2m--;
	set_bits(lv, c * CHUNK, (c + 1) * CHUNK, true);
}

/* Remove every leaf intersecting [lo, hi): huge ones whole. */
static void zap(struct leaves *lv, uint64_t lo, uint64_t hi)
{
	uint64_t g, c;

	for (g = lo / GIANT; g <= (hi - 1) / GIANT; g++) {
		if (lv->giant[g] & LV_LEAF) {
			lv->giant[g] = 0;
			lv->n1g--;
		}
	}
	set_bits(lv, lo, hi, false);
	for (c = lo / CHUNK; c <= (hi - 1) / CHUNK; c++) {
		if (lv->chunk[c] & LV_LEAF) {
			lv->chunk[c] = 0;
			lv->n2m--;
		} else if ((lv->chunk[c] & LV_SMALL_BLOCKED) && !chunk_has_small(lv, c)) {
			lv->chunk[c] = 0;
		}
	}
}

/* Does a ZAP with @filter take the leaf mapping @gfn? */
static bool takes(const struct leaves *lv, uint8_t filter, uint64_t gfn)
{
	struct pmp_page_attrs at = { .private = false };

	if (!filter || filter == PMP_ZAP_FILTER_BOTH)
		return true;
	if (lv->attrs)
		pmp_get_attrs(lv->attrs, gfn, &at);
	return filter == PMP_ZAP_FILTER_PRIVATE ? at.private : !at.private;
}

/* A zap of the shared or the private leaves only (KVM's attr_filter). */
static void zap_filtered(struct leaves *lv, uint64_t lo, uint64_t hi, uint8_t filter)
{
	uint64_t g, c, w;

	for (g = lo / GIANT; g <= (hi - 1) / GIANT; g++) {
		if ((lv->giant[g] & LV_LEAF) && takes(lv, filter, g * GIANT)) {
			lv->giant[g] = 0;
			lv->n1g--;
		}
	}
	for (c = lo / CHUNK; c <= (hi - 1) / CHUNK; c++) {
		if ((lv->chunk[c] & LV_LEAF) && takes(lv, filter, c * CHUNK)) {
			lv->chunk[c] = 0;
			lv->n2m--;
		}
	}
	/* the 4 KiB leaves there, a word of them at a time */
	for (w = lo / 64; w <= (hi - 1) / 64; w++) {
		uint64_t bits = lv->bits[w];

		if (w == lo / 64)
			bits &= ~0ULL << (lo % 64);
		if (w == (hi - 1) / 64)
			bits &= ~0ULL >> (63 - (hi - 1) % 64);
		for (; bits; bits &= bits - 1) {
			uint64_t i = w * 64 + (uint64_t)__builtin_ctzll(bits);

			if (takes(lv, filter, i))
				set_bits(lv, i, i + 1, false);
		}
	}
	for (c = lo / CHUNK; c <= (hi - 1) / CHUNK; c++)
		if (!(lv->chunk[c] & LV_LEAF) && (lv->chunk[c] & LV_SMALL_BLOCKED) &&
		    !chunk_has_small(lv, c))
			lv->chunk[c] = 0;
}

/* Split leaves larger than @target intersecting [lo, hi); DEMOTE names one level. */
static void split(struct leaves *lv, uint64_t lo, uint64_t hi, int target, int only)
{
	uint64_t g, c;

	if (target < PMP_LEVEL_1G && (!only || only == PMP_LEVEL_1G))
		for (g = lo / GIANT; g <= (hi - 1) / GIANT; g++)
			if (lv->giant[g] & LV_LEAF)
				split_giant(lv, g, !only);
	if (target < PMP_LEVEL_2M && (!only || only == PMP_LEVEL_2M))
		for (c = lo / CHUNK; c <= (hi - 1) / CHUNK; c++)
			if (lv->chunk[c] & LV_LEAF)
				split_chunk(lv, c, !only);
}

/* Install one leaf at @level over its aligned range, replacing what is there. */
static void map(struct leaves *lv, uint64_t gfn, int level)
{
	uint64_t g = gfn / GIANT, c = gfn / CHUNK, i;

	if (level < PMP_LEVEL_1G && (lv->giant[g] & LV_LEAF))
		split_giant(lv, g, true);
	if (level < PMP_LEVEL_2M && (lv->chunk[c] & LV_LEAF))
		split_chunk(lv, c, true);
	if (level == PMP_LEVEL_4K) {
		set_bits(lv, gfn, gfn + 1, true);
		return;
	}
	if (level == PMP_LEVEL_2M) {
		set_bits(lv, c * CHUNK, (c + 1) * CHUNK, false);
		lv->n2m += !(lv->chunk[c] & LV_LEAF);
		lv->chunk[c] = LV_LEAF;
		return;
	}
	set_bits(lv, g * GIANT, (g + 1) * GIANT, false);
	for (i = g * 512; i < (g + 1) * 512; i++) {
		lv->n2m -= lv->chunk[i] & LV_LEAF;
		lv->chunk[i] = 0;
	}
	lv->n1g += !(lv->giant[g] & LV_LEAF);
	lv->giant[g] = LV_LEAF;
}

/* BLOCK/UNBLOCK the leaves of exactly @level intersecting [lo, hi). */
static void block(struct leaves *lv, uint64_t lo, uint64_t hi, int level, bool on)
{
	uint64_t i;

	if (level == PMP_LEVEL_1G) {
		for (i = lo / GIANT; i <= (hi - 1) / GIANT; i++)
			if (lv->giant[i] & LV_LEAF)
				lv->giant[i] = on ? LV_LEAF | LV_BLOCKED : LV_LEAF;
		return;
	}
	for (i = lo / CHUNK; i <= (hi - 1) / CHUNK; i++) {
		if (lv->giant[i / 512] & LV_LEAF)
			continue;
		if (level == PMP_LEVEL_2M && (lv->chunk[i] & LV_LEAF))
			lv->chunk[i] = on ? LV_LEAF | LV_BLOCKED : LV_LEAF;
		else if (level == PMP_LEVEL_4K && !(lv->chunk[i] & LV_LEAF) && chunk_has_small(lv, i))
			lv->chunk[i] = on ? LV_SMALL_BLOCKED : 0;
	}
}

void lv_apply_any(struct leaves *lv, const struct pmp_action *a)
{
	uint64_t lo = a->gfn, hi = a->gfn + a->npages;

	/* the model is VTL 0's page tables: another VTL's own actions pass by */
	if (!a->npages || lo >= lv->pages || (a->vtl != 0 && a->vtl != PMP_VTL_ALL))
		return;
	if (hi > lv->pages)
		hi = lv->pages;
	switch (a->type) {
	case PMP_ACT_ZAP:
		if (a->attr_filter && a->attr_filter != PMP_ZAP_FILTER_BOTH) {
			zap_filtered(lv, lo, hi, a->attr_filter);
			break;
		}
		zap(lv, lo, hi);
		break;
	case PMP_ACT_INVALIDATE:
		zap(lv, lo, hi);
		break;
	case PMP_ACT_SPLIT:
		split(lv, lo, hi, a->level, 0);
		break;
	case PMP_ACT_DEMOTE:
		split(lv, lo, hi, a->level - 1, a->level);
		break;
	case PMP_ACT_PROMOTE:
		map(lv, lo & ~(PMP_LEVEL_PAGES(a->level) - 1), a->level);
		break;
	case PMP_ACT_MAP:
		map(lv, lo, a->level);
		break;
	case PMP_ACT_BLOCK:
	case PMP_ACT_UNBLOCK:
		block(lv, lo, hi, a->level, a->type == PMP_ACT_BLOCK);
		break;
	default:
		break;	/* PIN, UNPIN, TRACK, FLUSH: no leaf changes */
	}
}
