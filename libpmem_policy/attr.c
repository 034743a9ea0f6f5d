// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Per-gfn attributes without the MMU side: each public call is one plane
 * update.  A huge leaf in the range would be left over changed attributes,
 * so those calls are refused; the events in mmu.h split it first.
 */
#include "internal.h"

static int set_planes(struct pmp_vm *vm, uint64_t gfn, uint64_t npages, uint16_t mask,
		      uint16_t values)
{
	int err = pmp_reentered(vm);

	if (!err)
		err = pmp_range_check(gfn, npages, vm->gfn_end);
	if (err)
		return err;
	if (pmp_mirror_any_leaf(vm, gfn, npages, PMP_LEVEL_2M) ||
	    pmp_mirror_any_leaf(vm, gfn, npages, PMP_LEVEL_1G))
		return -EBUSY;
	if (pmp_planes_blocks_needed(vm, gfn, npages, mask, values) >
	    vm->pool_blocks - vm->pool_used)
		return -ENOMEM;
	/* non-default values need state of their own: last, as it may fail */
	if ((values & mask) && (err = pmp_state_reserve(vm, gfn, npages)))
		return err;
	pmp_planes_apply(vm, gfn, npages, mask, values);
	pmp_state_trim(vm, gfn, npages);
	return 0;
}

int pmp_set_private(struct pmp_vm *vm, uint64_t gfn, uint64_t npages, bool private)
{
	return set_planes(vm, gfn, npages, PMP_BIT(PMP_PLANE_PRIVATE),
			  private ? PMP_BIT(PMP_PLANE_PRIVATE) : 0);
}

int pmp_set_write_tracked(struct pmp_vm *vm, uint64_t gfn, uint64_t npages, bool tracked)
{
	return set_planes(vm, gfn, npages, PMP_BIT(PMP_PLANE_WTRACK),
			  tracked ? PMP_BIT(PMP_PLANE_WTRACK) : 0);
}

/* Planes store what a VTL is denied, so that the all-zero start is RWX. */
int pmp_set_vtl_prot(struct pmp_vm *vm, unsigned int vtl, uint64_t gfn, uint64_t npages,
		     unsigned int prot)
{
	unsigned int shift = PMP_PLANE_VTL + 3 * vtl;
	int err = pmp_reentered(vm);

	if (err)
		return err;
	if (vtl >= vm->nr_vtls || (prot & ~PMP_PROT_RWX))
		return -EINVAL;
	return set_planes(vm, gfn, npages, PMP_VTL_PLANES(vtl),
			  (uint16_t)((~prot & PMP_PROT_RWX) << shift));
}

int pmp_get_attrs(const struct pmp_vm *vm, uint64_t gfn, struct pmp_page_attrs *out)
{
	unsigned int v, a;

	if (gfn >= vm->gfn_end)
		return -ERANGE;
	if (!out)
		return -EINVAL;
	pmp_memset(out, 0, sizeof(*out));
	out->private = pmp_plane_get(vm, gfn, PMP_PLANE_PRIVATE);
	out->write_tracked = pmp_plane_get(vm, gfn, PMP_PLANE_WTRACK);
	for (v = 0; v < vm->nr_vtls; v++)
		for (a = 0; a < 3; a++)
			if (!pmp_plane_get(vm, gfn, PMP_PLANE_VTL + 3 * v + a))
				out->vtl_prot[v] |= 1U << a;
	return 0;
}
