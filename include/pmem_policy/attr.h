/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * pmem_policy: per-gfn attributes that decide large-page eligibility.
 *
 * Range updates are exclusive and cost O(pages / 512 + 1): only the 2 MiB
 * chunks at either end of a range can become non-uniform, so an update
 * needs at most two pool blocks per attribute it changes.  They check that
 * the pool has them before changing anything (-ENOMEM otherwise).
 * Ranges need not lie in a memslot (attributes belong to the VM, as
 * KVM_SET_MEMORY_ATTRIBUTES's do) but must end at or before gfn_end.
 *
 * These calls track attributes only.  A caller that also reports its
 * mappings (mmu.h) changes attributes with pmp_convert(), pmp_vtl_protect()
 * and pmp_write_track(), which split the huge leaves in the way; the calls
 * here refuse with -EBUSY when a huge leaf intersects the range.
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
 * pmp_set_private() - convert a range to private or shared.  Exclusive.
 * @vm: the VM.
 * @gfn: first frame.
 * @npages: pages (> 0).
 * @private: true for private, false for shared.
 *
 * Return: 0; -EINVAL (empty or overflowing range); -ERANGE (beyond
 * gfn_end); -ENOMEM (pool exhausted); -EBUSY (a huge leaf is mapped in
 * the range).  Nothing changes on error.
 */
PMP_API int pmp_set_private(struct pmp_vm *vm, uint64_t gfn, uint64_t npages, bool private);

/**
 * pmp_set_vtl_prot() - set what one VTL may do with a range.  Exclusive.
 * @vm: the VM.
 * @vtl: the trust level, below the geometry's nr_vtls.
 * @gfn: first frame.
 * @npages: pages (> 0).
 * @prot: PMP_PROT_* bits allowed (0 = no access).
 *
 * Return: as pmp_set_private(); -EINVAL also for a bad @vtl or @prot.
 */
PMP_API int pmp_set_vtl_prot(struct pmp_vm *vm, unsigned int vtl, uint64_t gfn,
			     uint64_t npages, unsigned int prot);

/**
 * pmp_set_write_tracked() - mark a range write-tracked or not.  Exclusive.
 * @vm: the VM.
 * @gfn: first frame.
 * @npages: pages (> 0).
 * @tracked: true while a write tracker (e.g. the shadow MMU for a guest
 *	page table) needs 4 KiB write protection there.
 *
 * Like KVM's kvm_mmu_gfn_disallow_lpage(), this forbids huge mappings over
 * the tracked pages.  KVM counts trackers per gfn; call this when a gfn's
 * count goes 0 -> 1 (true) or 1 -> 0 (false).
 *
 * Return: as pmp_set_private().
 */
PMP_API int pmp_set_write_tracked(struct pmp_vm *vm, uint64_t gfn, uint64_t npages,
				  bool tracked);

/**
 * struct pmp_page_attrs - one page's attributes.
 * @private: private (true) or shared.
 * @write_tracked: write tracking is on.
 * @vtl_prot: PMP_PROT_* allowed, per VTL (entries past nr_vtls are 0).
 */
struct pmp_page_attrs {
	bool private;
	bool write_tracked;
	uint8_t vtl_prot[3];
};

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
