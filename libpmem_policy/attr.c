// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Reading a page's attributes.  They change through the events in mmu.h
 * (pmp_convert(), pmp_vtl_protect(), pmp_write_track()), one call per
 * concept, which split or zap the leaves the change needs.  Planes store
 * what a VTL is denied, so that the all-zero start is RWX.
 */
#include "internal.h"

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
	if (!pmp_plane_known(vm, gfn, PMP_PLANE_WTRACK))
		out->unknown |= PMP_ATTR_UNKNOWN_WTRACK;
	for (v = 0; v < vm->nr_vtls; v++)
		for (a = 0; a < 3; a++) {
			/* an unknown plane reads 1: denied */
			if (!pmp_plane_get(vm, gfn, PMP_PLANE_VTL + 3 * v + a))
				out->vtl_prot[v] |= 1U << a;
			if (!pmp_plane_known(vm, gfn, PMP_PLANE_VTL + 3 * v + a))
				out->unknown |= PMP_ATTR_UNKNOWN_VTL(v);
		}
	/* the core's records that degrade too (internal.h, "Lossy planes") */
	for (v = 0; v < vm->nr_vtls; v++)
		if (!pmp_plane_known(vm, gfn, pmp_mapped_plane(v)))
			out->unknown |= PMP_ATTR_UNKNOWN_MAPPED(v);
	if (!pmp_plane_known(vm, gfn, PMP_PLANE_ACCEPTED))
		out->unknown |= PMP_ATTR_UNKNOWN_ACCEPTED;
	return 0;
}
