/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * KVM interfaces newer than Debian 12's uapi headers (6.1), defined here
 * with their upstream values so the shim builds there and runs on newer
 * hosts.  Each is probed with KVM_CHECK_EXTENSION before use.
 */
#ifndef PMP_VMM_KVM_UAPI_H
#define PMP_VMM_KVM_UAPI_H

#include <linux/kvm.h>
#include <stdint.h>

#define PMP_KVM_CAP_USER_MEMORY2	231
#define PMP_KVM_CAP_MEMORY_ATTRIBUTES	233
#define PMP_KVM_CAP_GUEST_MEMFD		234
#define PMP_KVM_CAP_VM_TYPES		235
#define PMP_KVM_CAP_PRE_FAULT_MEMORY	236
#define PMP_KVM_CAP_GUEST_MEMFD_FLAGS	244

#define PMP_KVM_X86_SEV_VM		2
#define PMP_KVM_X86_SEV_ES_VM		3
#define PMP_KVM_X86_SNP_VM		4
#define PMP_KVM_X86_TDX_VM		5

#define PMP_KVM_MEM_GUEST_MEMFD		(1U << 2)
#define PMP_GUEST_MEMFD_FLAG_MMAP	(1ULL << 0)
#define PMP_GUEST_MEMFD_FLAG_INIT_SHARED (1ULL << 1)
#define PMP_KVM_MEMORY_ATTRIBUTE_PRIVATE (1ULL << 3)

struct pmp_kvm_userspace_memory_region2 {
	uint32_t slot;
	uint32_t flags;
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t guest_memfd_offset;
	uint32_t guest_memfd;
	uint32_t pad1;
	uint64_t pad2[14];
};

struct pmp_kvm_create_guest_memfd {
	uint64_t size;
	uint64_t flags;
	uint64_t reserved[6];
};

struct pmp_kvm_memory_attributes {
	uint64_t address;
	uint64_t size;
	uint64_t attributes;
	uint64_t flags;
};

struct pmp_kvm_pre_fault_memory {
	uint64_t gpa;
	uint64_t size;
	uint64_t flags;
	uint64_t padding[5];
};

#define PMP_KVM_SET_USER_MEMORY_REGION2 \
	_IOW(KVMIO, 0x49, struct pmp_kvm_userspace_memory_region2)
#define PMP_KVM_SET_MEMORY_ATTRIBUTES \
	_IOW(KVMIO, 0xd2, struct pmp_kvm_memory_attributes)
#define PMP_KVM_CREATE_GUEST_MEMFD \
	_IOWR(KVMIO, 0xd4, struct pmp_kvm_create_guest_memfd)
#define PMP_KVM_PRE_FAULT_MEMORY \
	_IOWR(KVMIO, 0xd5, struct pmp_kvm_pre_fault_memory)

#endif /* PMP_VMM_KVM_UAPI_H */
