/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * pmp-replay: a model of the leaves of one MMU, kept by applying the
 * actions the core returns, so coverage is measured on what a real MMU
 * would hold and not read back from the core's own mirror (the tests
 * compare the two).
 *
 * Three levels as KVM has them: a bit per 4 KiB page, a byte per 2 MiB
 * chunk and a byte per 1 GiB range.  A blocked leaf (TDH.MEM.RANGE.BLOCK,
 * or a merge tick's block) is still there but not present: an access to it
 * faults.  Leaf counts are kept as actions apply, so coverage is O(1) to
 * read; every action costs O(pages it names / 64).
 */
#ifndef PMP_REPLAY_LEAVES_H
#define PMP_REPLAY_LEAVES_H

#include <pmem_policy/pmem_policy.h>
#include "arena.h"

struct leaves {
	uint64_t pages, chunks, giants;
	uint64_t *bits;		/* a 4 KiB leaf maps the page */
	uint8_t *chunk;		/* LV_* per 2 MiB */
	uint8_t *giant;		/* LV_* per 1 GiB */
	uint64_t n4k, n2m, n1g;	/* leaves of each size */
	/* whose attributes decide what a filtered ZAP takes (NULL: all shared) */
	const struct pmp_vm *attrs;
};

/* Per chunk or giant: a leaf of that size, blocked, or its 4 KiB leaves blocked. */
#define LV_LEAF		0x1
#define LV_BLOCKED	0x2
#define LV_SMALL_BLOCKED 0x4

/*
 * Level of the leaf covering @gfn (0: none); *@present says it is not
 * blocked.  Inline: every access and accept asks it.
 */
static inline int lv_level(const struct leaves *lv, uint64_t gfn, bool *present)
{
	uint8_t g, c;

	*present = false;
	if (gfn >= lv->pages)
		return 0;
	g = lv->giant[gfn / (512 * 512)];
	if (g & LV_LEAF) {
		*present = !(g & LV_BLOCKED);
		return PMP_LEVEL_1G;
	}
	c = lv->chunk[gfn / 512];
	if (c & LV_LEAF) {
		*present = !(c & LV_BLOCKED);
		return PMP_LEVEL_2M;
	}
	if (!(lv->bits[gfn / 64] >> (gfn % 64) & 1))
		return 0;
	*present = !(c & LV_SMALL_BLOCKED);
	return PMP_LEVEL_4K;
}

/* @pages rounded up to 1 GiB, its arrays in @arena (they go with it).  0 or -ENOMEM. */
int lv_init(struct leaves *lv, uint64_t pages, struct rp_arena *arena);

/* The actions that change no leaf: lv_apply() of them does nothing. */
#define LV_LEAFLESS ((1U << PMP_ACT_PIN) | (1U << PMP_ACT_UNPIN) | (1U << PMP_ACT_TRACK) | \
		     (1U << PMP_ACT_FLUSH))

/* lv_apply() of any action: out of line. */
void lv_apply_any(struct leaves *lv, const struct pmp_action *a);

/*
 * The most common action, a 4 KiB MAP of VTL 0's page tables where no
 * huge leaf is: its one bit set.  False, having changed nothing, for any
 * other.
 */
static inline bool lv_map_4k(struct leaves *lv, const struct pmp_action *a)
{
	uint64_t gfn = a->gfn, bit = 1ULL << (gfn % 64);

	if (a->type != PMP_ACT_MAP || a->level != PMP_LEVEL_4K || !a->npages || gfn >= lv->pages ||
	    (a->vtl != 0 && a->vtl != PMP_VTL_ALL) || (lv->giant[gfn / (512 * 512)] & LV_LEAF) ||
	    (lv->chunk[gfn / 512] & LV_LEAF))
		return false;
	lv->n4k += !(lv->bits[gfn / 64] & bit);
	lv->bits[gfn / 64] |= bit;
	return true;
}

/* Apply one action the core returned (PIN, TRACK, FLUSH change no leaf).  Inline: lv_map_4k(). */
static inline void lv_apply(struct leaves *lv, const struct pmp_action *a)
{
	if (!lv_map_4k(lv, a))
		lv_apply_any(lv, a);
}

/* Pages under 2 MiB-or-larger leaves, and under 1 GiB leaves. */
static inline uint64_t lv_huge_pages(const struct leaves *lv)
{
	return lv->n2m * 512 + lv->n1g * 512 * 512;
}

static inline uint64_t lv_giant_pages(const struct leaves *lv)
{
	return lv->n1g * 512 * 512;
}

#endif /* PMP_REPLAY_LEAVES_H */
