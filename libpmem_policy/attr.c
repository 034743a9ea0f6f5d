// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Reading a page's attributes.  They change through the events in mmu.h
 * (pmp_convert(), pmp_vtl_protect(), pmp_write_track()), one call per
 * concept, which split or zap the leaves the change needs.  Planes store
 * what a VTL is denied, so that the all-zero start is RWX.
 */
#include "internal.h"

/*
 * @plane of page @gfn in its chunk @c, as pmp_plane_get() reads it: from
 * the chunk alone unless the plane has a block (mixed and known).
 */
static bool page_plane(const struct pmp_vm *vm, const struct pmp_chunk *c, uint64_t gfn,
		       unsigned int plane)
{
	if (!(c->mixed & (uint16_t)~c->value & PMP_BIT(plane)))
		return c->value & PMP_BIT(plane);	/* uniform, or unknown: reads 1 */
	return pmp_plane_get(vm, gfn, plane);
}

/* One directory lookup for every plane: the replay asks it on every accept's fault. */
int pmp_get_attrs(const struct pmp_vm *vm, uint64_t gfn, struct pmp_page_attrs *out)
{
	const struct pmp_chunk *c;
	unsigned int v, a;
	uint16_t unknown;

	if (gfn >= vm->gfn_end)
		return -ERANGE;
	if (!out)
		return -EINVAL;
	c = pmp_chunk_of(vm, gfn);
	unknown = c->mixed & c->value;	/* lossy planes the pool was short for */
	pmp_memset(out, 0, sizeof(*out));
	out->private = page_plane(vm, c, gfn, PMP_PLANE_PRIVATE);
	out->write_tracked = page_plane(vm, c, gfn, PMP_PLANE_WTRACK);
	if (unknown & PMP_BIT(PMP_PLANE_WTRACK))
		out->unknown |= PMP_ATTR_UNKNOWN_WTRACK;
	for (v = 0; v < vm->nr_vtls; v++)
		for (a = 0; a < 3; a++) {
			/* an unknown plane reads 1: denied */
			if (!page_plane(vm, c, gfn, PMP_PLANE_VTL + 3 * v + a))
				out->vtl_prot[v] |= 1U << a;
			if (unknown & PMP_BIT(PMP_PLANE_VTL + 3 * v + a))
				out->unknown |= PMP_ATTR_UNKNOWN_VTL(v);
		}
	/* the core's records that degrade too (internal.h, "Lossy planes") */
	for (v = 0; v < vm->nr_vtls; v++)
		if (unknown & PMP_BIT(pmp_mapped_plane(v)))
			out->unknown |= PMP_ATTR_UNKNOWN_MAPPED(v);
	if (unknown & PMP_BIT(PMP_PLANE_ACCEPTED))
		out->unknown |= PMP_ATTR_UNKNOWN_ACCEPTED;
	return 0;
}
