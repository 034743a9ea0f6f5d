// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A guest's accept (TDX TDG.MEM.PAGE.ACCEPT) or validation (SNP PVALIDATE):
 * a size mismatch splits first, a 4 KiB accept inhibits 2 MiB, and an
 * accept that completes a range may promote it (merge=fault).
 */
#include "internal.h"

#define ACCEPTED PMP_BIT(PMP_PLANE_ACCEPTED)

/*
 * inhibit=clear: a fully accepted chunk with uniform attributes may be huge
 * again, its inhibit lifted.
 */
static bool lifts_inhibit(const struct pmp_vm *vm, const struct pmp_chunk *c)
{
	return vm->policy.inhibit == PMP_INHIBIT_CLEAR &&
	       !(c->mixed & ACCEPTED) && (c->value & ACCEPTED) &&	/* uniformly accepted */
	       !(c->mixed & PMP_BIT(PMP_PLANE_PRIVATE));
}

/* Lift the inhibit where lifts_inhibit() says.  @c is GPA chunk @ci's descriptor. */
static void maybe_lift_inhibit(struct pmp_vm *vm, uint64_t ci, const struct pmp_chunk *c)
{
	if ((c->blocks & PMP_CF_INHIBIT) && lifts_inhibit(vm, c))
		pmp_chunk_set_flags(vm, ci, 0, PMP_CF_INHIBIT);
}

/*
 * Does a huge leaf of some VTL cover chunk @c of compact giant @cg, or is
 * one of the chunk's candidates parked?  What an accept in it must split
 * or unpark.
 */
static bool huge_or_parked(const struct pmp_vm *vm, uint32_t cg, const struct pmp_chunk *c)
{
	unsigned int v;

	for (v = 0; v < vm->nr_vtls; v++) {
		uint16_t gflags = pmp_vtl_giant_flags(vm, v, cg);

		if ((gflags & PMP_GF_LEAF) ||
		    (pmp_leaf_flags_at(vm, c, v) & (PMP_CF_HUGE | PMP_CF_PARKED)))
			return true;
	}
	return false;
}

/*
 * What every lean accept needs: pages [@gfn, @gfn + @pages) inside the VM,
 * no merge at fault time (nothing to promote after the accept), room for
 * the general path's actions, and state for the chunk already (none:
 * taking it may fail).  The chunk's descriptor and (*@cg) its compact
 * giant, or NULL: the general path decides.
 */
static struct pmp_chunk *lean_chunk(const struct pmp_vm *vm, uint64_t gfn, uint64_t pages,
				    const struct pmp_actions *out, uint32_t *cg)
{
	struct pmp_chunk *c;

	if (gfn >= vm->gfn_end || vm->gfn_end - gfn < pages ||
	    vm->policy.merge == PMP_MERGE_FAULT ||
	    pmp_event_check(vm, out, PMP_ACCEPT_ACTIONS(vm->nr_vtls)))
		return NULL;
	c = pmp_chunk_lookup(vm, gfn, cg);
	return *cg ? c : NULL;
}

/*
 * A lazily accepting guest's common accept: one 4 KiB page of a chunk
 * already inhibited, whose acceptance is a bitmap this page does not fill,
 * with no huge leaf to split, nothing parked and
 * no merge at fault time.  Everything pmp_accept() does then comes down to
 * the page's bit: no block to take, no action, no flag, no merge.  1 if
 * the call is not that case (nothing changed).
 */
static int accept_lean_4k(struct pmp_vm *vm, uint64_t gfn, struct pmp_actions *out)
{
	unsigned int i = gfn & (PMP_CHUNK_PAGES - 1);
	struct pmp_block *blk;
	struct pmp_chunk *c;
	uint32_t cg;
	uint64_t w;

	c = lean_chunk(vm, gfn, 1, out, &cg);
	if (!c || !(c->blocks & PMP_CF_INHIBIT) || huge_or_parked(vm, cg, c))
		return 1;
	blk = pmp_chunk_block(vm, c, PMP_PLANE_ACCEPTED);
	if (!blk)
		return 1;	/* uniform (maybe takes a block) or unknown */
	w = blk->w[i / 64] | 1ULL << (i % 64);
	if (pmp_block_uniform_with(blk, i / 64, w))
		return 1;	/* the chunk is accepted now: its block goes, inhibit, merges */
	blk->w[i / 64] = w;
	return 0;
}

/*
 * The other 4 KiB accepts of a chunk with state, with no huge leaf to split
 * and no merge at fault time: everything pmp_accept() does then is the
 * chunk's, and no action.  The page's update (a block taken for a chunk's
 * first accepted page, given back for its last), the candidates
 * unparked, and the inhibit as the general path leaves it: set by a 4 KiB
 * accept, lifted at once where the policy lifts it (so one that was not
 * set stays clear).  1 if the call is not that case (nothing changed).
 */
int pmp_accept_lean_page(struct pmp_vm *vm, uint64_t gfn, struct pmp_actions *out)
{
	uint64_t ci = gfn >> PMP_CHUNK_SHIFT;
	struct pmp_chunk *c;
	unsigned int v;
	uint32_t cg;

	c = lean_chunk(vm, gfn, 1, out, &cg);
	if (!c)
		return 1;
	for (v = 0; v < vm->nr_vtls; v++)
		if ((pmp_vtl_giant_flags(vm, v, cg) & PMP_GF_LEAF) ||
		    (pmp_leaf_flags_at(vm, c, v) & PMP_CF_HUGE))
			return 1;	/* a size mismatch: the general path splits */
	pmp_chunk_page_apply(vm, ci, c, gfn & (PMP_CHUNK_PAGES - 1), ACCEPTED, ACCEPTED);
	pmp_merge_unpark_chunk(vm, ci, c);
	if (lifts_inhibit(vm, c))
		maybe_lift_inhibit(vm, ci, c);
	else if (!(c->blocks & PMP_CF_INHIBIT))
		pmp_chunk_set_flags(vm, ci, PMP_CF_INHIBIT, 0);
	return 0;
}

/*
 * A boot's common accept: one whole chunk at 2 MiB, with state, and no
 * 1 GiB leaf of any VTL over it (a 2 MiB leaf is no size mismatch: nothing
 * to split).  Everything pmp_accept() does then is the chunk's: accepted
 * uniformly (which takes no block), its candidates unparked, inhibit
 * lifted as the policy says; no action.  1 if the call is not that case
 * (nothing changed).
 */
int pmp_accept_lean_2m(struct pmp_vm *vm, uint64_t gfn, struct pmp_actions *out)
{
	uint64_t ci = gfn >> PMP_CHUNK_SHIFT;
	struct pmp_chunk *c;
	unsigned int v;
	uint32_t cg;

	if (gfn & (PMP_CHUNK_PAGES - 1))
		return 1;
	c = lean_chunk(vm, gfn, PMP_CHUNK_PAGES, out, &cg);
	if (!c)
		return 1;
	for (v = 0; v < vm->nr_vtls; v++)
		if (pmp_vtl_giant_flags(vm, v, cg) & PMP_GF_LEAF)
			return 1;
	pmp_chunk_fill(vm, ci, c, ACCEPTED);
	pmp_merge_unpark_chunk(vm, ci, c);
	maybe_lift_inhibit(vm, ci, c);
	return 0;
}

int pmp_accept_general(struct pmp_vm *vm, uint64_t gfn, int level, struct pmp_actions *out)
{
	uint64_t pages, ci;
	const struct pmp_chunk *c;
	struct pmp_event ev;
	unsigned int v;
	int err;

	if (level < PMP_LEVEL_4K || level > PMP_LEVEL_1G)
		return -EINVAL;
	pages = PMP_LEVEL_PAGES(level);
	if (gfn & (pages - 1))
		return -EINVAL;
	err = pmp_range_check(gfn, pages, vm->gfn_end);
	if (!err)
		err = pmp_pool_reserve(vm, pmp_planes_blocks_needed(vm, gfn, pages, ACCEPTED, ACCEPTED));
	if (!err)
		err = pmp_event_begin(&ev, vm, out, PMP_CAUSE_ACCEPT, PMP_ACCEPT_ACTIONS(vm->nr_vtls));
	if (!err)
		err = pmp_state_ensure(vm, gfn, pages);
	if (err)
		return err;
	/* a leaf larger than the accept is a size mismatch: split it */
	pmp_split_range(&ev, gfn, pages, level);
	/* the pool was checked above; splitting takes no block */
	pmp_planes_apply(vm, gfn, pages, ACCEPTED, ACCEPTED);
	pmp_merge_unpark(vm, gfn, pages);	/* accepted now: a tick may promote */
	ci = gfn >> PMP_CHUNK_SHIFT;
	c = pmp_chunk_at(vm, ci);	/* it has state (reserved above): the pointer stays */
	/* (a flag already set would change nothing) */
	if (level == PMP_LEVEL_4K && !(c->blocks & PMP_CF_INHIBIT))
		pmp_chunk_set_flags(vm, ci, PMP_CF_INHIBIT, 0);
	maybe_lift_inhibit(vm, ci, c);
	for (ci++; ci < (gfn + pages + PMP_CHUNK_PAGES - 1) >> PMP_CHUNK_SHIFT; ci++)
		maybe_lift_inhibit(vm, ci, pmp_chunk_at(vm, ci));
	/* after the guest's accept succeeds: a promote it completes, in each VTL */
	ev.cause = PMP_CAUSE_MERGE;
	for (v = 0; v < vm->nr_vtls; v++)
		pmp_merge_after_fill(&ev, v, gfn, -1);
	pmp_event_end(&ev);
	return 0;
}

int pmp_accept(struct pmp_vm *vm, uint64_t gfn, int level, struct pmp_actions *out)
{
	if (level == PMP_LEVEL_4K && (!accept_lean_4k(vm, gfn, out) ||
				     !pmp_accept_lean_page(vm, gfn, out)))
		return 0;
	if (level == PMP_LEVEL_2M && !pmp_accept_lean_2m(vm, gfn, out))
		return 0;
	return pmp_accept_general(vm, gfn, level, out);
}
