/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * pmem_policy VMM shim: the core's decisions applied by a VMM to real KVM
 * and real memory (libpmem_policy_vmm, pkg-config name pmem_policy_vmm).
 *
 * A VMM attaches the shim to its VM fd, lets it allocate (or describes)
 * the memory behind each memslot, and routes through it the operations
 * where policy matters: hole punches (coalesced by the core, executed as
 * few fallocate(PUNCH_HOLE) calls as possible), private/shared conversions,
 * pinning, large-page enablement and pre-faulting.  KVM keeps mapping
 * faults by itself; the shim never sits in that path.
 *
 * Every call returns 0 or a negative errno; on failure pmp_vmm_error()
 * names the operation that failed and why, and the core's state is as it
 * was before the call.  Linux only.  Not thread-safe: one VMM thread (or
 * the VMM's own lock) at a time.
 */
#ifndef PMEM_POLICY_VMM_H
#define PMEM_POLICY_VMM_H

#include "pmem_policy.h"

struct pmp_vmm;

/**
 * enum pmp_vmm_cap - what the host offers, probed at attach.
 * @PMP_CAP_USER_MEMORY2: KVM_SET_USER_MEMORY_REGION2 (memslots with a
 *	guest_memfd).
 * @PMP_CAP_GUEST_MEMFD: KVM_CREATE_GUEST_MEMFD.
 * @PMP_CAP_GUEST_MEMFD_MMAP: guest_memfd can be mmap'ed and start shared
 *	(flags MMAP | INIT_SHARED), so it can back shared memory too.
 * @PMP_CAP_MEMORY_ATTRIBUTES: KVM_SET_MEMORY_ATTRIBUTES can make memory
 *	private (real private/shared conversions).
 * @PMP_CAP_PRE_FAULT: KVM_PRE_FAULT_MEMORY.
 * @PMP_CAP_SEV: the VM is an SEV/SNP VM and KVM_MEMORY_ENCRYPT_REG_REGION
 *	pins its memory.
 * @PMP_CAP_THP: anonymous memory can get transparent huge pages.
 * @PMP_CAP_SHMEM_THP: memfd (shmem) memory can get transparent huge pages.
 * @PMP_CAP_STATS: KVM_GET_STATS_FD.
 * @PMP_CAP_NR: number of capabilities.
 */
enum pmp_vmm_cap {
	PMP_CAP_USER_MEMORY2,
	PMP_CAP_GUEST_MEMFD,
	PMP_CAP_GUEST_MEMFD_MMAP,
	PMP_CAP_MEMORY_ATTRIBUTES,
	PMP_CAP_PRE_FAULT,
	PMP_CAP_SEV,
	PMP_CAP_THP,
	PMP_CAP_SHMEM_THP,
	PMP_CAP_STATS,
	PMP_CAP_NR,
};

#define PMP_CAP_BIT(cap) (1ULL << (cap))

/**
 * struct pmp_vmm_opts - how to attach.
 * @sz: sizeof(struct pmp_vmm_opts) as the caller knows it: at least
 *	PMP_VMM_OPTS_MIN_SZ; libbpf's OPTS rules, as struct pmp_geometry.
 * @gfn_end: guest frames the VM may use (its highest gpa >> 12, plus 1).
 * @max_slots: memslot ids are below this (0 picks 32).
 * @nr_vcpus: vCPUs (0 picks 1).
 * @vm_type: enum pmp_vm_type; SNP and TDX need the host to support that
 *	VM type (an SEV policy on a host without SEV pins with mlock() only).
 * @pad: zero.
 * @policy: a policy string for pmp_policy_parse(), NULL for "recommended".
 * @disable_caps: PMP_CAP_BIT()s the shim must not use even where KVM has
 *	them (to test fallbacks, or to keep a VMM on the old interfaces).
 * @errbuf: if not NULL, where a failed attach says why (there is no shim
 *	for pmp_vmm_error() then).
 * @errbuf_size: its size.
 */
struct pmp_vmm_opts {
	size_t sz;
	uint64_t gfn_end;
	uint32_t max_slots;
	uint32_t nr_vcpus;
	uint32_t vm_type;
	uint32_t pad;
	const char *policy;
	uint64_t disable_caps;
	char *errbuf;
	size_t errbuf_size;
};

/* The first released layout's mandatory fields end with @gfn_end. */
#define PMP_VMM_OPTS_MIN_SZ \
	(__builtin_offsetof(struct pmp_vmm_opts, gfn_end) + sizeof(uint64_t))

/**
 * pmp_vmm_attach() - probe the host and start applying policy to a VM.
 * @vm_fd: the VM, from KVM_CREATE_VM.  The shim does not own it.
 * @opts: the options.
 * @out: set to the new shim.
 *
 * Return: 0; -EINVAL (bad options or policy string, @opts->sz too small),
 * -E2BIG (@opts->sz larger than this library's struct with a non-zero
 * byte past it), -EOPNOTSUPP (the
 * host cannot run @opts->vm_type), -ENOMEM.  When @out is not NULL and an
 * error is returned, *@out is NULL.
 */
PMP_API int pmp_vmm_attach(int vm_fd, const struct pmp_vmm_opts *opts, struct pmp_vmm **out);

/**
 * pmp_vmm_detach() - release every pin and free the shim.
 * @vmm: the shim, or NULL.
 *
 * Memslots stay in KVM; memory from pmp_vmm_mem_alloc() stays mapped.
 */
PMP_API void pmp_vmm_detach(struct pmp_vmm *vmm);

/**
 * pmp_vmm_has() - whether the shim uses a capability.
 * @vmm: the shim.
 * @cap: enum pmp_vmm_cap.
 *
 * Return: true when the host has it and the options did not disable it.
 */
PMP_API bool pmp_vmm_has(const struct pmp_vmm *vmm, unsigned int cap);

/**
 * pmp_vmm_report() - one line per capability: name, yes/no, and why.
 * @vmm: the shim.
 * @buf: destination.
 * @size: its size; always NUL-terminated when @size > 0.
 *
 * Return: the length without the NUL, or -ENOSPC when truncated.
 */
PMP_API int pmp_vmm_report(const struct pmp_vmm *vmm, char *buf, size_t size);

/**
 * pmp_vmm_error() - the last failure: operation, arguments and reason.
 * @vmm: the shim.
 *
 * Return: a string owned by the shim, "" when nothing failed yet.
 */
PMP_API const char *pmp_vmm_error(const struct pmp_vmm *vmm);

/**
 * pmp_vmm_vm() - the core's view of the VM, for queries and statistics.
 * @vmm: the shim.
 *
 * Return: the core VM; change it only through the shim.
 */
PMP_API struct pmp_vm *pmp_vmm_vm(struct pmp_vmm *vmm);

/**
 * enum pmp_vmm_backing - what memory is made of.
 * @PMP_BACKING_ANON: anonymous memory (MAP_PRIVATE | MAP_ANONYMOUS).
 * @PMP_BACKING_MEMFD: a memfd (shmem), mapped shared.
 * @PMP_BACKING_GUEST_MEMFD: a guest_memfd created shared and mapped
 *	(needs PMP_CAP_GUEST_MEMFD_MMAP); memslots on it use it for both
 *	shared and private pages.
 * @PMP_BACKING_PRIVATE: a guest_memfd for private pages only, not mapped
 *	(host is NULL; needs PMP_CAP_GUEST_MEMFD, which 6.12 gives VMs with
 *	private memory, e.g. KVM_X86_SW_PROTECTED_VM): the private half of
 *	pmp_vmm_slot_add_private().
 * @PMP_BACKING_NR: number of kinds.
 */
enum pmp_vmm_backing {
	PMP_BACKING_ANON,
	PMP_BACKING_MEMFD,
	PMP_BACKING_GUEST_MEMFD,
	PMP_BACKING_PRIVATE,
	PMP_BACKING_NR,
};

/**
 * struct pmp_vmm_mem - a piece of host memory for memslots.
 * @host: where it is mapped (NULL for PMP_BACKING_PRIVATE).
 * @size: bytes.
 * @fd: the memfd or guest_memfd, -1 for anonymous memory.
 * @backing: enum pmp_vmm_backing.
 * @align: the alignment of @host (2 MiB or 1 GiB).
 *
 * pmp_vmm_mem_alloc() fills one; a VMM with its own memory fills it by hand.
 */
struct pmp_vmm_mem {
	void *host;
	uint64_t size;
	int fd;
	uint32_t backing;
	uint64_t align;
};

/**
 * pmp_vmm_mem_alloc() - memory laid out for huge mappings.
 * @vmm: the shim.
 * @backing: enum pmp_vmm_backing.
 * @size: bytes (> 0), rounded up to 2 MiB.
 * @mem: filled on success.
 *
 * The mapping is aligned to 1 GiB when @size is at least 1 GiB, else to
 * 2 MiB, and advised MADV_HUGEPAGE, so a memslot whose gpa has the same
 * alignment can get huge mappings.
 *
 * Return: 0, -EINVAL, -EOPNOTSUPP (a guest_memfd the host cannot give), or
 * the errno of the failing memfd_create/ioctl/ftruncate/mmap.
 */
PMP_API int pmp_vmm_mem_alloc(struct pmp_vmm *vmm, unsigned int backing, uint64_t size,
			      struct pmp_vmm_mem *mem);

/**
 * pmp_vmm_mem_free() - unmap and close what pmp_vmm_mem_alloc() made.
 * @mem: the memory; no memslot may still use it.
 */
PMP_API void pmp_vmm_mem_free(struct pmp_vmm_mem *mem);

/**
 * pmp_vmm_slot_add() - create a memslot in KVM and in the core.
 * @vmm: the shim.
 * @id: memslot id, below max_slots.
 * @gpa: guest physical address, 4 KiB aligned.
 * @size: bytes (> 0, 4 KiB multiple).
 * @mem: the memory; the slot starts @offset bytes into it.
 * @offset: 4 KiB aligned.
 * @flags: PMP_SLOT_DIRTY_LOG, PMP_SLOT_READONLY.
 *
 * A guest_memfd-backed slot is created with KVM_MEM_GUEST_MEMFD.  Under a
 * pin=launch policy the whole slot is pinned at once (pmp_vmm_pin()).
 *
 * Return: 0, -EINVAL, -EEXIST, or the errno of the failing ioctl.
 */
PMP_API int pmp_vmm_slot_add(struct pmp_vmm *vmm, uint32_t id, uint64_t gpa, uint64_t size,
			     const struct pmp_vmm_mem *mem, uint64_t offset, uint32_t flags);

/**
 * pmp_vmm_slot_add_private() - a memslot with private memory, as QEMU lays
 *	it out: shared pages in ordinary memory, private pages in a guest_memfd.
 * @vmm: the shim.
 * @id: memslot id, below max_slots.
 * @gpa: guest physical address, 4 KiB aligned.
 * @size: bytes (> 0, 4 KiB multiple).
 * @shared: anonymous or memfd memory for shared pages (userspace_addr).
 * @offset: of the slot in @shared, 4 KiB aligned.
 * @priv: a PMP_BACKING_PRIVATE guest_memfd for private pages.
 * @priv_offset: of the slot in @priv (guest_memfd_offset), 4 KiB aligned.
 * @flags: PMP_SLOT_DIRTY_LOG, PMP_SLOT_READONLY.
 *
 * One KVM_SET_USER_MEMORY_REGION2 with KVM_MEM_GUEST_MEMFD.  Conversions
 * in the slot (pmp_vmm_convert()) then discard the side no longer used;
 * pmp_vmm_punch() in it frees shared memory.
 *
 * Return: 0, -EINVAL, -EEXIST, -EOPNOTSUPP (no KVM_SET_USER_MEMORY_REGION2),
 * or the errno of the failing ioctl.
 */
PMP_API int pmp_vmm_slot_add_private(struct pmp_vmm *vmm, uint32_t id, uint64_t gpa,
				     uint64_t size, const struct pmp_vmm_mem *shared,
				     uint64_t offset, const struct pmp_vmm_mem *priv,
				     uint64_t priv_offset, uint32_t flags);

/**
 * pmp_vmm_slot_delete() - delete a memslot from KVM and the core.
 * @vmm: the shim.
 * @id: the memslot.
 *
 * Deferred punches in the slot are issued first.  Pins stay (see
 * pmp_zap()): they are released by pmp_vmm_detach().
 *
 * Return: 0, -ENOENT, or the errno of the failing call.
 */
PMP_API int pmp_vmm_slot_delete(struct pmp_vmm *vmm, uint32_t id);

/**
 * pmp_vmm_slot_huge() - the largest mapping a memslot's memory can get.
 * @vmm: the shim.
 * @id: the memslot.
 * @why: if not NULL, the reason it is not larger.
 * @size: size of @why.
 *
 * Looks at what the core sees (alignment of gpa against host address and
 * guest_memfd offset, slot edges, dirty logging, the policy's cap) and at
 * what only the host knows (THP settings, the backing kind).  A slot with
 * private memory answers for its private pages (4 KiB: a guest_memfd
 * without huge folios).
 *
 * Return: PMP_LEVEL_4K..PMP_LEVEL_1G, or -ENOENT.
 */
PMP_API int pmp_vmm_slot_huge(struct pmp_vmm *vmm, uint32_t id, char *why, size_t size);

/**
 * pmp_vmm_punch() - free the memory behind a guest range.
 * @vmm: the shim.
 * @gpa: 4 KiB aligned, inside memslots.
 * @size: bytes (> 0, 4 KiB multiple).
 *
 * The core coalesces: parts of a 2 MiB range may be deferred until the
 * rest of it is punched too (policy inval=defer-2m), then the whole range
 * goes in one call.  Deferred pages keep their contents until
 * pmp_vmm_flush(); a VMM that must see zeros at once calls it.
 *
 * Return: 0, -EINVAL/-ERANGE (not inside one memslot), -ENOMEM, or the
 * errno of the failing fallocate/madvise.  The core has then counted the
 * range punched; repeating the call issues the punch again.
 */
PMP_API int pmp_vmm_punch(struct pmp_vmm *vmm, uint64_t gpa, uint64_t size);

/**
 * pmp_vmm_flush() - issue every deferred punch now.
 * @vmm: the shim.
 *
 * Return: 0 or the errno of the failing call.
 */
PMP_API int pmp_vmm_flush(struct pmp_vmm *vmm);

/**
 * pmp_vmm_convert() - make a guest range private or shared.
 * @vmm: the shim.
 * @gpa: 4 KiB aligned, inside memslots.
 * @size: bytes (> 0, 4 KiB multiple).
 * @private: the new attribute.
 *
 * With PMP_CAP_MEMORY_ATTRIBUTES: KVM_SET_MEMORY_ATTRIBUTES, then the core.
 * Without it the conversion is tracked in the core only, and the call says
 * so: real private memory is unavailable on this host.
 *
 * In slots from pmp_vmm_slot_add_private() the side no longer used is then
 * discarded, as QEMU's kvm_convert_memory() does, after the attributes
 * changed (so no vCPU can fault the old side back in): to private, the
 * shared memory, through the core's coalescing (pmp_punch(): a piece of a
 * THP-backed 2 MiB range waits, under inval=defer-2m, until the range is
 * whole); to shared, the guest_memfd pages, with one
 * fallocate(PUNCH_HOLE) per contiguous run.  A conversion to shared first
 * issues the deferred discards in its range, so shared memory the guest
 * gets back reads zero.  pmp_vmm_convert_prefault() also maps the range at
 * once (after issuing its deferred discards: on 6.12 a discard of shared
 * memory zaps the private SPTEs of the same gfns too).
 *
 * Return: 0; -EOPNOTSUPP when tracked in the core only; -EINVAL/-ERANGE,
 * -EBUSY (the policy refuses), or the ioctl's errno with nothing changed.
 */
PMP_API int pmp_vmm_convert(struct pmp_vmm *vmm, uint64_t gpa, uint64_t size, bool private);

/**
 * pmp_vmm_convert_prefault() - pmp_vmm_convert(), then pre-fault the range.
 * @vmm: the shim.
 * @gpa: 4 KiB aligned, inside memslots.
 * @size: bytes (> 0, 4 KiB multiple).
 * @private: the new attribute.
 * @vcpu_fd: the vCPU whose page tables KVM_PRE_FAULT_MEMORY fills.
 *
 * For VMMs whose guests convert right before touching the memory (SNP
 * page-state changes): the faults are taken at once, in one call.
 *
 * Return: as pmp_vmm_convert(), or pmp_vmm_prefault()'s error after a
 * successful conversion.
 */
PMP_API int pmp_vmm_convert_prefault(struct pmp_vmm *vmm, uint64_t gpa, uint64_t size,
				     bool private, int vcpu_fd);

/**
 * pmp_vmm_pin() - pin a guest range (SEV launch, or pin=launch policies).
 * @vmm: the shim.
 * @gpa: 4 KiB aligned, inside memslots.
 * @size: bytes (> 0, 4 KiB multiple).
 *
 * Pages not yet pinned are locked with mlock(), charged against
 * RLIMIT_MEMLOCK (unless the process has CAP_IPC_LOCK), and on SEV hosts
 * registered with KVM_MEMORY_ENCRYPT_REG_REGION.
 *
 * Return: 0; -ENOMEM past RLIMIT_MEMLOCK or the policy's pin_limit; the
 * errno of the failing mlock/ioctl with nothing pinned.
 */
PMP_API int pmp_vmm_pin(struct pmp_vmm *vmm, uint64_t gpa, uint64_t size);

/**
 * pmp_vmm_prefault() - map a guest range before the guest touches it.
 * @vmm: the shim.
 * @vcpu_fd: a vCPU of the VM.
 * @gpa: 4 KiB aligned.
 * @size: bytes (> 0, 4 KiB multiple).
 *
 * Return: 0; -EOPNOTSUPP without KVM_PRE_FAULT_MEMORY; the ioctl's errno.
 */
PMP_API int pmp_vmm_prefault(struct pmp_vmm *vmm, int vcpu_fd, uint64_t gpa, uint64_t size);

/**
 * struct pmp_vmm_counters - what the shim did to the host.
 * @fallocate_calls: fallocate(PUNCH_HOLE) calls.
 * @madvise_calls: madvise(MADV_DONTNEED) calls (anonymous memory).
 * @punched_bytes: bytes those calls freed.
 * @punch_requests: pmp_vmm_punch() calls.
 * @attribute_calls: KVM_SET_MEMORY_ATTRIBUTES calls.
 * @mlock_calls: mlock() calls.
 * @locked_bytes: bytes locked now.
 * @sev_regions: KVM_MEMORY_ENCRYPT_REG_REGION calls.
 * @prefault_calls: KVM_PRE_FAULT_MEMORY calls.
 */
struct pmp_vmm_counters {
	uint64_t fallocate_calls;
	uint64_t madvise_calls;
	uint64_t punched_bytes;
	uint64_t punch_requests;
	uint64_t attribute_calls;
	uint64_t mlock_calls;
	uint64_t locked_bytes;
	uint64_t sev_regions;
	uint64_t prefault_calls;
};

/**
 * pmp_vmm_counters() - read the shim's counters.
 * @vmm: the shim.
 * @out: filled.
 */
PMP_API void pmp_vmm_counters(const struct pmp_vmm *vmm, struct pmp_vmm_counters *out);

/**
 * pmp_kvm_stat() - read one of KVM's binary statistics.
 * @fd: a VM or vCPU fd.
 * @name: the statistic, e.g. "pages_4k" (VM) or "pf_taken" (vCPU).
 * @value: set to its value (the first element of a histogram).
 *
 * Return: 0, -ENOENT (no such statistic), or the errno of
 * KVM_GET_STATS_FD or of reading it.
 */
PMP_API int pmp_kvm_stat(int fd, const char *name, uint64_t *value);

#endif /* PMEM_POLICY_VMM_H */
