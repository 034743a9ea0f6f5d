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
 * How VTL @vtl maps page @i of chunk @c (compact giant @cg): 0 not at
 * all, 1 by a 4 KiB leaf (the page's bit in its mapped plane's block,
 * *@mapped), -1 maybe otherwise: a huge leaf over the chunk, a chunk
 * mapped whole at 4 KiB (its plane uniform), or a mirror the pool could
 * not hold.
 */
static int page_mapping(const struct pmp_vm *vm, unsigned int vtl, uint32_t cg,
			const struct pmp_chunk *c, unsigned int i, struct pmp_block **mapped)
{
	unsigned int plane = pmp_mapped_plane(vtl);
	uint16_t gflags = pmp_vtl_giant_flags(vm, vtl, cg);

	*mapped = pmp_chunk_block(vm, c, plane);
	if ((gflags & PMP_GF_LEAF) || (pmp_leaf_flags_at(vm, c, vtl) & PMP_CF_HUGE))
		return -1;
	if (*mapped)
		return ((*mapped)->w[i / 64] >> (i % 64)) & 1;
	return c->value & PMP_BIT(plane) ? -1 : 0;
}

/*
 * pmp_change_attrs()'s unmap of page @gfn in VTL @vtl, which maps it by a
 * 4 KiB leaf and no huge one (@c: its chunk; @mapped: its mapped plane's
 * block): nothing to split, the page's ZAP, its mapped bit cleared, its
 * chunk's leaf flags derived again.
 */
static void zap_page_4k(struct pmp_vm *vm, unsigned int vtl, uint64_t gfn, struct pmp_chunk *c,
			struct pmp_block *mapped, struct pmp_actions *out)
{
	uint64_t ci = gfn >> PMP_CHUNK_SHIFT;
	struct pmp_event ev;

	pmp_event_init(&ev, vm, out, PMP_CAUSE_VTL_PROT, out->nr + PMP_EVENT_ACTIONS);
	ev.vtl = (uint8_t)vtl;
	pmp_emit(&ev, PMP_ACT_ZAP, 0, gfn, 1);
	pmp_chunk_page_clear(vm, c, gfn & (PMP_CHUNK_PAGES - 1), pmp_mapped_plane(vtl), mapped);
	pmp_mirror_refresh(vm, ci, vtl);
	pmp_event_end(&ev);
}

/*
 * A VSM guest's common protection change: one 4 KiB page that VTL @vtl
 * maps by a 4 KiB leaf or not at all, on a VM whose accepted pages refuse
 * nothing (not TDX).  pmp_change_attrs() then splits nothing, and its
 * pool check passes (the VTL planes are lossy: they take a block only if
 * one is spare, else go unknown): it zaps the page if mapped and sets its
 * bits to @values (the denied planes).  Where each of the three planes is
 * a bitmap that stays mixed, unknown, or uniform at the page's value
 * already, the page's words are written here; where one takes or gives
 * back a block, the planes' update does it.  1 if the call is not that
 * case (nothing changed).
 */
int pmp_vtl_protect_lean_4k(struct pmp_vm *vm, unsigned int vtl, uint64_t gfn, uint16_t values,
			    struct pmp_actions *out)
{
	unsigned int i = gfn & (PMP_CHUNK_PAGES - 1), a, plane;
	struct pmp_block *blk[3], *mapped;
	uint64_t word[3], bit = 1ULL << (i % 64);
	bool blocks_change = false;
	struct pmp_chunk *c;
	int mapping;
	uint32_t cg;

	if (gfn >= vm->gfn_end || vm->vm_type == PMP_VM_TDX ||
	    pmp_event_check(vm, out, out ? PMP_EVENT_ACTIONS : 0))
		return 1;
	c = pmp_chunk_lookup(vm, gfn, &cg);
	if (!cg)
		return 1;	/* no state: the change would take some */
	mapping = page_mapping(vm, vtl, cg, c, i, &mapped);
	if (mapping < 0 || (mapping && !out))
		return 1;	/* a split, or a zap without an array */
	for (a = 0; a < 3; a++) {
		plane = PMP_PLANE_VTL + 3 * vtl + a;
		blk[a] = pmp_chunk_block(vm, c, plane);
		if (!blk[a]) {
			/* unknown stays unknown; uniform at another value takes a block */
			blocks_change |= !(c->mixed & PMP_BIT(plane)) &&
					 ((c->value ^ values) & PMP_BIT(plane));
			continue;
		}
		word[a] = values & PMP_BIT(plane) ? blk[a]->w[i / 64] | bit :
						    blk[a]->w[i / 64] & ~bit;
		/* uniform now: its block goes */
		blocks_change |= pmp_block_uniform_with(blk[a], i / 64, word[a]);
	}
	if (mapping)
		zap_page_4k(vm, vtl, gfn, c, mapped, out);
	if (blocks_change) {
		pmp_chunk_page_apply(vm, gfn >> PMP_CHUNK_SHIFT, c, i, PMP_VTL_PLANES(vtl), values);
	} else {
		for (a = 0; a < 3; a++)
			if (blk[a])
				blk[a]->w[i / 64] = word[a];
	}
	pmp_state_tidy_page(vm, cg, gfn);
	return 0;
}

int pmp_vtl_protect(struct pmp_vm *vm, unsigned int vtl, uint64_t gfn, uint64_t npages,
		    unsigned int prot, struct pmp_actions *out)
{
	uint16_t denied;

	if (vtl >= vm->nr_vtls || (prot & ~PMP_PROT_RWX))
		return -EINVAL;
	/* shifted only once @vtl is known: past 9 the shift would be undefined */
	denied = (uint16_t)((~prot & PMP_PROT_RWX) << (PMP_PLANE_VTL + 3 * vtl));
	if (npages == 1 && !pmp_vtl_protect_lean_4k(vm, vtl, gfn, denied, out))
		return 0;
	return pmp_change_attrs(vm, vtl, gfn, npages, PMP_VTL_PLANES(vtl), denied, 0,
				PMP_CAUSE_VTL_PROT, out);
}
