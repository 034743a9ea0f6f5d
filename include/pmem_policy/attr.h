/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * pmem_policy: per-gfn attributes that decide large-page eligibility.
 *
 * Attributes change through one call per concept, in mmu.h: pmp_convert()
 * (private/shared, KVM_SET_MEMORY_ATTRIBUTES), pmp_vtl_protect() (a VTL's
 * R/W/X) and pmp_write_track() (4 KiB write tracking).  Each applies the
 * hardware's rules (deferred punches, TDX acceptance) and splits or zaps
 * the leaves in the way; a caller that reports no mappings passes a NULL
 * action array.  Range updates are exclusive and cost O(pages / 512 + 1):
 * only the 2 MiB chunks at either end of a range can become non-uniform,
 * so an update needs at most two pool blocks per attribute it changes,
 * checked before anything changes (-ENOMEM otherwise) for the private
 * attribute; write tracking and VTL protections never fail for lack of
 * pool (they degrade: see struct pmp_page_attrs' @unknown).  Ranges need not
 * lie in a memslot (attributes belong to the VM, as
 * KVM_SET_MEMORY_ATTRIBUTES's do) but must end at or before gfn_end.
 * (0.1 had attribute-only twins, pmp_set_private(), pmp_set_vtl_prot() and
 * pmp_set_write_tracked(), with other rules; 0.2 dropped them.)
 */
#ifndef PMEM_POLICY_ATTR_H
#define PMEM_POLICY_ATTR_H

#include "types.h"

struct pmp_vm;

/* Access a VTL is allowed to a page (Hyper-V's HV_MAP_GPA_* R/W/X). */
#define PMP_PROT_R	(1U << 0)
#define PMP_PROT_W	(1U << 1)
#define PMP_PROT_X	(1U << 2)
#define PMP_PROT_RWX	(PMP_PROT_R | PMP_PROT_W | PMP_PROT_X)

/**
 * struct pmp_page_attrs - one page's attributes.
 * @private: private (true) or shared.
 * @write_tracked: write tracking is on.
 * @vtl_prot: PMP_PROT_* allowed, per VTL (entries past nr_vtls are 0).
 * @unknown: PMP_ATTR_UNKNOWN_* for the fields the core does not know:
 *	write tracking and VTL protections are kept only for eligibility, and
 *	a chunk whose pages disagree in one of them when the tracking pool is
 *	short keeps "mixed" instead of the bitmap (its faults get 4 KiB,
 *	reason PMP_REASON_POOL) until an update covers its whole 2 MiB.  The
 *	field then reads as tracked / no access.  Since 0.2.  The core's own
 *	records degrade the same way, and say so here:
 *	PMP_ATTR_UNKNOWN_MAPPED(vtl), the mirror of VTL @vtl's page tables
 *	(pmp_vtl_leaf_level() then says PMP_LEVEL_4K: maybe a 4 KiB leaf,
 *	which zaps and teardown treat as mapped and merges as not), and
 *	PMP_ATTR_UNKNOWN_ACCEPTED, the guest's acceptance (maybe accepted:
 *	zaps that must spare accepted pages are refused, promotions wait).
 */
struct pmp_page_attrs {
	bool private;
	bool write_tracked;
	uint8_t vtl_prot[3];
	uint8_t unknown;
};

#define PMP_ATTR_UNKNOWN_WTRACK		(1U << 0)
#define PMP_ATTR_UNKNOWN_VTL(vtl)	(1U << (1 + (vtl)))
#define PMP_ATTR_UNKNOWN_MAPPED(vtl)	(1U << (4 + (vtl)))
#define PMP_ATTR_UNKNOWN_ACCEPTED	(1U << 7)

/**
 * pmp_get_attrs() - read one page's attributes.  Shared; O(1).
 * @vm: the VM.
 * @gfn: the frame, below gfn_end.
 * @out: filled on success.
 *
 * Return: 0 or -ERANGE.
 */
PMP_API int pmp_get_attrs(const struct pmp_vm *vm, uint64_t gfn, struct pmp_page_attrs *out);

#endif /* PMEM_POLICY_ATTR_H */
