/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * One KVM tracepoint hit (or memslot ioctl) as pmp-trace keeps it before
 * turning it into trace events.  The BPF recorder writes these into its
 * ring buffer and the tracefs importer builds them from text, so both feed
 * the same converter (convert.c) and cannot map a tracepoint differently.
 * Shared with record.bpf.c: fixed-size types only.
 */
#ifndef PMP_TRACE_RAW_H
#define PMP_TRACE_RAW_H

#include <linux/types.h>

enum pmp_raw_kind {
	RAW_SPTE_REQUESTED = 1,	/* kvmmmu:kvm_mmu_spte_requested: a = gfn, level */
	RAW_SET_SPTE,		/* kvmmmu:kvm_mmu_set_spte: a = gfn, level */
	RAW_PAGE_FAULT,		/* kvm:kvm_page_fault: a = vcpu, b = address, c = error code */
	RAW_ZAP_PAGE,		/* kvmmmu:kvm_mmu_prepare_zap_page: a = gfn, level, direct */
	RAW_ZAP_ALL_FAST,	/* kvmmmu:kvm_mmu_zap_all_fast */
	RAW_UNMAP_HVA,		/* kvm:kvm_unmap_hva_range: a = start, b = end */
	RAW_MEMSLOT,		/* KVM_SET_USER_MEMORY_REGION(2) returned 0: see below */
	RAW_CREATE_VM,		/* KVM_CREATE_VM returned a fd: a = type */
	RAW_CREATE_VCPU,	/* KVM_CREATE_VCPU returned a fd: a = id */
	RAW_SET_ATTRS,		/* KVM_SET_MEMORY_ATTRIBUTES returned 0: a = gpa, b = size, c = attrs */
	RAW_CREATE_GMEM,	/* KVM_CREATE_GUEST_MEMFD returned a fd: a = size, b = the fd */
	RAW_FALLOCATE,		/* fallocate(PUNCH_HOLE) returned 0: a = fd, b = offset, c = len */
	RAW_MADVISE,		/* madvise(DONTNEED or REMOVE) returned 0: a = addr, b = len, c = advice */
	RAW_KIND_NR,
};

/*
 * @time: ns, from the source's clock.  @tid: the task (thread) it ran in.
 * RAW_MEMSLOT: a = slot id (as_id << 16 | id), b = guest physical address,
 * c = size in bytes (0: delete), d = userspace_addr, e = guest_memfd
 * offset, f = guest_memfd fd (KVM_SET_USER_MEMORY_REGION2), level = KVM_MEM_*
 * flags.
 */
struct pmp_raw {
	__u64 time;
	__u32 tid;
	__u16 kind;
	__u8 level;
	__u8 direct;
	__u64 a, b, c, d, e, f;
};

/* KVM's memslot flags and VM types (uapi, newer than Debian's 6.1 headers). */
#define RAW_MEM_LOG_DIRTY_PAGES	(1U << 0)
#define RAW_MEM_READONLY	(1U << 1)
#define RAW_MEM_GUEST_MEMFD	(1U << 2)
#define RAW_X86_SEV_VM		2
#define RAW_X86_SEV_ES_VM	3
#define RAW_X86_SNP_VM		4
#define RAW_X86_TDX_VM		5

/* ioctl numbers: _IOW(KVMIO, 0x46 / 0x49, ...), _IO(KVMIO, 0x01 / 0x41). */
#define RAW_KVM_SET_USER_MEMORY_REGION	0x4020ae46U
#define RAW_KVM_SET_USER_MEMORY_REGION2	0x40a0ae49U
#define RAW_KVM_CREATE_VM		0xae01U
#define RAW_KVM_CREATE_VCPU		0xae41U
/* _IOW(KVMIO, 0xd2, struct kvm_memory_attributes), _IOWR(KVMIO, 0xd4, struct kvm_create_guest_memfd) */
#define RAW_KVM_SET_MEMORY_ATTRIBUTES	0x4020aed2U
#define RAW_KVM_CREATE_GUEST_MEMFD	0xc040aed4U
#define RAW_MEMORY_ATTRIBUTE_PRIVATE	(1ULL << 3)
/* fallocate(2) mode, madvise(2) advice */
#define RAW_FALLOC_FL_PUNCH_HOLE	0x02
#define RAW_MADV_DONTNEED		4
#define RAW_MADV_REMOVE			9

#endif /* PMP_TRACE_RAW_H */
