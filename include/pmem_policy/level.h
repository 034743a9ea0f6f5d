/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * pmem_policy: the fault-time large-page decision.
 *
 * pmp_max_level() answers "how large may this fault be mapped, and if not
 * 1 GiB, why not" in O(1): it reads the memslot, the faulting gfn's 2 MiB
 * descriptor and its 1 GiB summary, and nothing else, whatever the size
 * of the VM (as KVM's lpage_info lookups do).  The 1 GiB summary counts,
 * per attribute, the 2 MiB children that are non-uniform or uniformly
 * set; range updates keep both current, so no query ever walks pages.
 */
#ifndef PMEM_POLICY_LEVEL_H
#define PMEM_POLICY_LEVEL_H

#include "types.h"

struct pmp_vm;

/**
 * enum pmp_reason - why a mapping is not larger.  The checks run in this
 * order at each level; the first that fails is the reason.
 * @PMP_REASON_NONE: nothing limited the mapping (it got 1 GiB).
 * @PMP_REASON_POLICY_CAP: the policy's max_level.
 * @PMP_REASON_DIRTY_LOG: the memslot logs dirty pages.
 * @PMP_REASON_NX_HUGE_PAGE: an exec fault with the NX huge page mitigation.
 * @PMP_REASON_BACKING_ORDER: the host folio is smaller, or holds deferred punches.
 * @PMP_REASON_GUEST_ACCEPT: the guest accepted the page at a smaller level.
 * @PMP_REASON_SLOT_BOUNDARY: the huge page would cross the memslot's edge.
 * @PMP_REASON_MISALIGNED: gfn and host offset differ modulo the huge size.
 * @PMP_REASON_WRITE_TRACKED: a page in the range is write-tracked.
 * @PMP_REASON_MIXED_ATTRS: private and shared pages share the range.
 * @PMP_REASON_VTL_PROT: the faulting VTL's protections differ in the range.
 * @PMP_REASON_PIN_LIMIT: pinning would pass the policy's pin_limit.
 * @PMP_REASON_POOL: the tracking pool is exhausted.
 * @PMP_REASON_PINNED: the range holds pinned pages (recycle=refuse).
 * @PMP_REASON_PRIVATE: the range holds accepted TDX private pages.
 * @PMP_REASON_NOT_MAPPED: a merge candidate is not fully mapped.
 * @PMP_REASON_NOT_ACCEPTED: its private pages are not all accepted.
 * @PMP_REASON_NR: number of reasons.
 *
 * pmp_max_level() gives only the reasons up to PMP_REASON_VTL_PROT, and
 * PMP_REASON_POOL for a chunk whose write tracking or VTL protections the
 * pool could not hold (struct pmp_page_attrs, @unknown); the
 * others explain refusals of the MMU decisions in the counters.
 */
enum pmp_reason {
	PMP_REASON_NONE,
	PMP_REASON_POLICY_CAP,
	PMP_REASON_DIRTY_LOG,
	PMP_REASON_NX_HUGE_PAGE,
	PMP_REASON_BACKING_ORDER,
	PMP_REASON_GUEST_ACCEPT,
	PMP_REASON_SLOT_BOUNDARY,
	PMP_REASON_MISALIGNED,
	PMP_REASON_WRITE_TRACKED,
	PMP_REASON_MIXED_ATTRS,
	PMP_REASON_VTL_PROT,
	PMP_REASON_PIN_LIMIT,
	PMP_REASON_POOL,
	PMP_REASON_PINNED,
	PMP_REASON_PRIVATE,
	PMP_REASON_NOT_MAPPED,
	PMP_REASON_NOT_ACCEPTED,
	PMP_REASON_NR,
};

/* Fault flags. */
#define PMP_FAULT_WRITE		(1U << 0)
#define PMP_FAULT_EXEC		(1U << 1)
#define PMP_FAULT_PRIVATE	(1U << 2)
#define PMP_FAULT_FLAGS_ALL	(PMP_FAULT_WRITE | PMP_FAULT_EXEC | PMP_FAULT_PRIVATE)

/**
 * struct pmp_fault - a guest page fault, as the MMU sees it.
 * @gfn: faulting guest frame, inside memslot @slot.
 * @slot: memslot id (KVM already holds fault->slot; passing it keeps the
 *	query O(1)).
 * @flags: PMP_FAULT_*.
 * @vcpu: counter set to charge, below nr_vcpus.
 * @vtl: the VTL the access came from, below nr_vtls.
 * @backing_order: order of the host folio backing @gfn (0 = 4 KiB,
 *	9 = 2 MiB, 18 = 1 GiB; at most 63).  The result never exceeds it.
 * @accept_level: PMP_LEVEL_* the guest accepted the page at (TDX's level
 *	in the EPT violation), or 0 when unknown.
 */
struct pmp_fault {
	uint64_t gfn;
	uint32_t slot;
	uint32_t flags;
	uint16_t vcpu;
	uint8_t vtl;
	uint8_t backing_order;
	uint8_t accept_level;
};

/**
 * pmp_max_level() - the largest level @fault may be mapped at.  Shared; O(1).
 * @vm: the VM.
 * @fault: the fault.
 * @why: if not NULL, set to the reason the level is not one higher
 *	(PMP_REASON_NONE for PMP_LEVEL_1G).
 *
 * Counts the decision in the fault's vCPU counter set: tried, then
 * applied (1 GiB) or refused for the reason.
 *
 * Return: PMP_LEVEL_4K..PMP_LEVEL_1G, or -EINVAL (unknown flags, bad vcpu,
 * vtl, order or accept level, gfn outside the slot) or -ENOENT (no such
 * slot); errors count nothing.
 */
PMP_API int pmp_max_level(struct pmp_vm *vm, const struct pmp_fault *fault,
			  enum pmp_reason *why);

/**
 * pmp_level_query() - pmp_max_level()'s answer, counting nothing.  Shared;
 * O(1); changes nothing.
 * @vm: the VM.
 * @fault: the fault.
 * @why: as for pmp_max_level().
 *
 * For a question asked ahead of the fault's decision (sizing what to pin
 * for a leaf before the fault), so that the fault is counted once, by its
 * pmp_max_level().
 *
 * Return: as pmp_max_level().
 */
PMP_API int pmp_level_query(const struct pmp_vm *vm, const struct pmp_fault *fault,
			    enum pmp_reason *why);

/**
 * struct pmp_fault_slot - a memslot and a VTL, checked once, for
 * pmp_fault_slot_level().  Opaque: filled by pmp_fault_slot_init(), valid
 * with its VM for the VM's whole life, whatever happens to the memslot.
 * @priv: the library's.
 */
struct pmp_fault_slot {
	uint64_t priv[3];
};

/**
 * pmp_fault_slot_init() - check memslot @slot and VTL @vtl once, for the
 * lean decision pmp_fault_slot_level().  Shared; changes nothing.
 * @vm: the VM.
 * @slot: memslot id, in use.
 * @vtl: the VTL whose faults @fs decides, below nr_vtls.
 * @fs: filled on success.
 *
 * Return: 0, -EINVAL (@slot or @vtl out of range) or -ENOENT (no such
 * slot); @fs is left alone on error.
 */
PMP_API int pmp_fault_slot_init(const struct pmp_vm *vm, uint32_t slot, unsigned int vtl,
				struct pmp_fault_slot *fs);

/**
 * pmp_fault_slot_level() - the lean fault decision: the largest level the
 * VM's state, the memslot and the policy allow a fault at @gfn.  Shared;
 * O(1); counts nothing.
 * @vm: the VM @fs was filled for.
 * @fs: the memslot and VTL (pmp_fault_slot_init()).
 * @gfn: the faulting guest frame.
 * @flags: PMP_FAULT_*.
 *
 * pmp_max_level()'s level for a fault of @fs's memslot and VTL whose folio
 * and accept level allow 1 GiB (backing_order 18, accept_level 0): the
 * caller caps it with its own limit (the host folio's order), as KVM's
 * fault caps kvm_mmu_max_mapping_level() with its max_level.  Neither the
 * reason nor a count: pmp_level_query() tells the reason, pmp_max_level()
 * decides and counts.  The memslot may change after pmp_fault_slot_init()
 * (flags, policy, deletion, a new slot of the same id): the decision
 * follows it.
 *
 * Return: PMP_LEVEL_4K..PMP_LEVEL_1G, or -EINVAL (unknown flags, @gfn
 * outside the memslot) or -ENOENT (the memslot was deleted).
 */
PMP_API int pmp_fault_slot_level(const struct pmp_vm *vm, const struct pmp_fault_slot *fs,
				 uint64_t gfn, uint32_t flags);

/**
 * pmp_reason_name() - short name of a reason ("mixed_attrs").
 * @reason: the reason.
 *
 * Return: a static string; "?" for an unknown value.
 */
PMP_API const char *pmp_reason_name(enum pmp_reason reason);

/**
 * pmp_level_name() - "4k", "2m" or "1g".
 * @level: a PMP_LEVEL_* value.
 *
 * Return: a static string; "?" for an unknown value.
 */
PMP_API const char *pmp_level_name(int level);

#endif /* PMEM_POLICY_LEVEL_H */
