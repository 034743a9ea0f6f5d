// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Reading a page's attributes.  They change through the events in mmu.h
 * (pmp_convert(), pmp_vtl_protect(), pmp_write_track()), one call per
 * concept, which split or zap the leaves the change needs.  Planes store
 * what a VTL is denied, so that the all-zero start is RWX.
 */
#include "internal.h"

/*
 * One directory lookup and one walk of the chunk's chain for every plane:
 * the replay asks it on every accept's fault.
 */
int pmp_get_attrs(const struct pmp_vm *vm, uint64_t gfn, struct pmp_page_attrs *out)
{
	const struct pmp_chunk *c;
	uint16_t unknown, bits;
	unsigned int v;

	if (gfn >= vm->gfn_end)
		return -ERANGE;
	if (!out)
		return -EINVAL;
	c = pmp_chunk_of(vm, gfn);
	unknown = c->mixed & c->value;	/* lossy planes the pool was short for: read 1 */
	bits = pmp_chunk_page_planes(vm, c, gfn & (PMP_CHUNK_PAGES - 1),
				     (uint16_t)((1U << (PMP_PLANE_VTL + 3 * vm->nr_vtls)) - 1));
	pmp_memset(out, 0, sizeof(*out));
	out->private = bits & PMP_BIT(PMP_PLANE_PRIVATE);
	out->write_tracked = bits & PMP_BIT(PMP_PLANE_WTRACK);
	if (unknown & PMP_BIT(PMP_PLANE_WTRACK))
		out->unknown |= PMP_ATTR_UNKNOWN_WTRACK;
	for (v = 0; v < vm->nr_vtls; v++) {
		/* the planes hold what VTL v is denied (an unknown one: denied) */
		out->vtl_prot[v] = (uint8_t)(~(bits >> (PMP_PLANE_VTL + 3 * v)) & PMP_PROT_RWX);
		if (unknown & PMP_VTL_PLANES(v))
			out->unknown |= PMP_ATTR_UNKNOWN_VTL(v);
		/* the core's records that degrade too (internal.h, "Lossy planes") */
		if (unknown & PMP_BIT(pmp_mapped_plane(v)))
			out->unknown |= PMP_ATTR_UNKNOWN_MAPPED(v);
	}
	if (unknown & PMP_BIT(PMP_PLANE_ACCEPTED))
		out->unknown |= PMP_ATTR_UNKNOWN_ACCEPTED;
	return 0;
}
