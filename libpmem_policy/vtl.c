// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * VTL protections (Hyper-V VSM's HvModifyVtlProtectionMask): one VTL's
 * R/W/X over a range, through the same change as a conversion.  Planes
 * store what a VTL is denied, so that the all-zero start is RWX.  Only
 * that VTL's page tables change: each VTL has its own, and only its own
 * protections decide its leaves' sizes (as they decide its faults').
 */
#include "internal.h"

int pmp_vtl_protect(struct pmp_vm *vm, unsigned int vtl, uint64_t gfn, uint64_t npages,
		    unsigned int prot, struct pmp_actions *out)
{
	unsigned int shift = PMP_PLANE_VTL + 3 * vtl;

	if (vtl >= vm->nr_vtls || (prot & ~PMP_PROT_RWX))
		return -EINVAL;
	return pmp_change_attrs(vm, vtl, gfn, npages, PMP_VTL_PLANES(vtl),
				(uint16_t)((~prot & PMP_PROT_RWX) << shift), 0, PMP_CAUSE_VTL_PROT, out);
}
