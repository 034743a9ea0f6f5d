// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * VTL protections (Hyper-V VSM's HvModifyVtlProtectionMask): one VTL's
 * R/W/X over a range, through the same change as a conversion.  Planes
 * store what a VTL is denied, so that the all-zero start is RWX.  Only
 * that VTL's page tables change: each VTL has its own, and only its own
 * protections decide its leaves' sizes (as they decide its faults').
 */
#include "internal.h"

/*
 * Does VTL @vtl map page @i of chunk @c (compact giant @cg): a huge leaf
 * over the chunk, the page's bit, or a mirror the pool could not hold?
 */
static bool page_maybe_mapped(const struct pmp_vm *vm, unsigned int vtl, uint32_t cg,
			      const struct pmp_chunk *c, unsigned int i)
{
	unsigned int plane = pmp_mapped_plane(vtl);
	uint16_t gflags = pmp_vtl_giant_flags(vm, vtl, cg);
	const struct pmp_block *mapped = pmp_chunk_block(vm, c, plane);

	if ((gflags & PMP_GF_LEAF) || (pmp_leaf_flags_at(vm, c, vtl) & PMP_CF_HUGE))
		return true;
	return mapped ? (mapped->w[i / 64] >> (i % 64)) & 1 : c->value & PMP_BIT(plane);
}

/*
 * A VSM guest's common protection change: one 4 KiB page that VTL @vtl
 * does not map, on a VM whose accepted pages refuse nothing (not TDX), in
 * a chunk where each of that VTL's three planes is a bitmap that stays
 * mixed, unknown (the pool was short: a page's change leaves it so), or uniform
 * at the page's new value already.  pmp_change_attrs() then splits
 * nothing, zaps nothing, takes no block and changes no verdict: at most
 * the page's bits change, to @values (the denied planes).  1 if the call
 * is not that case (nothing changed).
 */
static int protect_lean_4k(struct pmp_vm *vm, unsigned int vtl, uint64_t gfn, uint16_t values,
			   struct pmp_actions *out)
{
	unsigned int i = gfn & (PMP_CHUNK_PAGES - 1), a, plane;
	struct pmp_block *blk[3];
	uint64_t word[3], bit = 1ULL << (i % 64);
	struct pmp_chunk *c;
	uint32_t cg;

	if (gfn >= vm->gfn_end || vm->vm_type == PMP_VM_TDX ||
	    pmp_event_check(vm, out, out ? PMP_EVENT_ACTIONS : 0))
		return 1;
	cg = pmp_giant_index(vm, gfn >> PMP_GIANT_SHIFT);
	if (!cg)
		return 1;	/* no state: the change would take some */
	c = &pmp_cchunks(vm)[pmp_cg_chunk_index(cg, gfn)];
	if (page_maybe_mapped(vm, vtl, cg, c, i))
		return 1;	/* a split or a zap */
	for (a = 0; a < 3; a++) {
		plane = PMP_PLANE_VTL + 3 * vtl + a;
		blk[a] = pmp_chunk_block(vm, c, plane);
		if (!blk[a]) {
			/* unknown stays unknown; uniform at another value takes a block */
			if (!(c->mixed & PMP_BIT(plane)) && ((c->value ^ values) & PMP_BIT(plane)))
				return 1;
			continue;
		}
		word[a] = values & PMP_BIT(plane) ? blk[a]->w[i / 64] | bit :
						    blk[a]->w[i / 64] & ~bit;
		if (pmp_block_uniform_with(blk[a], i / 64, word[a]))
			return 1;	/* the plane uniform now: its block goes */
	}
	for (a = 0; a < 3; a++)
		if (blk[a])
			blk[a]->w[i / 64] = word[a];
	pmp_state_tidy(vm, gfn, 1);
	return 0;
}

int pmp_vtl_protect(struct pmp_vm *vm, unsigned int vtl, uint64_t gfn, uint64_t npages,
		    unsigned int prot, struct pmp_actions *out)
{
	unsigned int shift = PMP_PLANE_VTL + 3 * vtl;

	if (vtl >= vm->nr_vtls || (prot & ~PMP_PROT_RWX))
		return -EINVAL;
	if (npages == 1 &&
	    !protect_lean_4k(vm, vtl, gfn, (uint16_t)((~prot & PMP_PROT_RWX) << shift), out))
		return 0;
	return pmp_change_attrs(vm, vtl, gfn, npages, PMP_VTL_PLANES(vtl),
				(uint16_t)((~prot & PMP_PROT_RWX) << shift), 0, PMP_CAUSE_VTL_PROT, out);
}
