/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * pmem_policy: a VM's state, its geometry and its memslots.
 *
 * All state lives in one caller-provided buffer whose size pmp_vm_bound()
 * computes; the library never allocates.  The buffer holds offsets, not
 * pointers, so its bytes can be copied to snapshot or compare a VM.
 *
 * Memory, per 2 MiB of tracked guest-physical span:
 *   - an 8-byte descriptor (KVM's lpage_info is 4 bytes per level);
 *   - 64 bytes per 1 GiB for the 1G summaries (0.125 byte per 2 MiB);
 *   - a pool of 64-byte bitmap blocks, each with a 4-byte link, shared by
 *     every 2 MiB chunk whose per-page state is not uniform: 1 bit per
 *     4 KiB page + 4 bytes per 2 MiB for each feature the default pool
 *     provides for (see @pool_blocks; docs/design.md has the figures).
 * Uniform chunks need no block, so a feature costs memory only where its
 * pages disagree; the default pool covers the worst case of every chunk
 * disagreeing in every feature the VM type uses.
 *
 * Locking: the library takes no locks.  Calls documented "exclusive" need
 * the caller to exclude all other calls on the VM (KVM's mmu_lock held for
 * write); "shared" calls may run concurrently with each other (mmu_lock held
 * for read), each vCPU using its own @vcpu index for counters.
 */
#ifndef PMEM_POLICY_VM_H
#define PMEM_POLICY_VM_H

#include "types.h"
#include "policy.h"

struct pmp_vm;

#define PMP_MAX_VTLS 3

/**
 * enum pmp_vm_type - what kind of guest, which decides the MMU rules.
 * @PMP_VM_DEFAULT: a normal VM; huge leaves may be zapped and re-faulted.
 * @PMP_VM_SEV: SEV/SEV-ES: guest pages are pinned (the policy says when).
 * @PMP_VM_SNP: SEV-SNP with guest_memfd: private huge pages split with
 *	PSMASH, and a 4 KiB PVALIDATE inside a 2 MiB RMP entry forces one.
 * @PMP_VM_TDX: TDX: private pages are never zapped while the TD lives
 *	(their contents would be lost); they split by block, track, demote and
 *	merge only when all 512 sub-pages are mapped and accepted.
 * @PMP_VM_NR: number of types.
 */
enum pmp_vm_type {
	PMP_VM_DEFAULT,
	PMP_VM_SEV,
	PMP_VM_SNP,
	PMP_VM_TDX,
	PMP_VM_NR,
};
/* The pool indexes blocks with 24 bits. */
#define PMP_MAX_POOL_BLOCKS ((1U << 24) - 1)
/* Taking a chunk out of the deferral ring is linear in its size. */
#define PMP_MAX_DEFERRED 4096U

/**
 * struct pmp_geometry - the shape of a VM, fixed for its lifetime.
 * @sz: sizeof(struct pmp_geometry) as the caller knows it, so the struct can
 *	grow: libbpf's OPTS rules (pmp_opts_load()).  At least
 *	PMP_GEOMETRY_MIN_SZ; a smaller struct than this library's gets the
 *	defaults (0) for the fields it lacks; a larger one is accepted only if
 *	the bytes past this library's struct are 0, else -E2BIG.
 * @gfn_end: guest frames [0, @gfn_end) are tracked (state is kept for the
 *	span rounded up to 2 MiB; ranges must still end by @gfn_end).
 * @max_slots: memslot ids run from 0 to @max_slots - 1.
 * @nr_vcpus: counter sets for shared-access calls, one per vCPU (>= 1).
 * @nr_vtls: virtual trust levels with their own protections (1..3).
 * @pool_blocks: 64-byte blocks for non-uniform 2 MiB chunks; a chunk with k
 *	non-uniform per-page features holds k blocks.  0 picks the default:
 *	per chunk, one for attributes and one for the mapped mirror, plus one
 *	for pins (SEV) or acceptance (SNP, TDX), plus max_deferred.  A smaller
 *	pool saves memory at the risk of -ENOMEM refusals when many chunks
 *	are non-uniform at once; pmp_vm_info() reports the high-water mark.
 * @vm_type: enum pmp_vm_type.
 * @max_deferred: 2 MiB chunks that may hold deferred punches at once (the
 *	oldest is flushed past it); 0 picks 64; at most PMP_MAX_DEFERRED.
 */
struct pmp_geometry {
	size_t sz;
	uint64_t gfn_end;
	uint32_t max_slots;
	uint32_t nr_vcpus;
	uint32_t nr_vtls;
	uint32_t pool_blocks;
	uint32_t vm_type;
	uint32_t max_deferred;
};

/* The first released layout's mandatory fields end with @nr_vtls. */
#define PMP_GEOMETRY_MIN_SZ \
	(__builtin_offsetof(struct pmp_geometry, nr_vtls) + sizeof(uint32_t))

/**
 * pmp_vm_bound() - bytes of state a VM of this geometry needs.
 * @geo: the geometry.
 * @bytes: set to the size to pass to pmp_vm_init().
 *
 * Return: 0, -EINVAL for a bad geometry (or @geo->sz below
 * PMP_GEOMETRY_MIN_SZ), -E2BIG if @geo->sz is larger than this library's
 * struct and a byte past it is not 0, -ERANGE if it is too large.
 */
PMP_API int pmp_vm_bound(const struct pmp_geometry *geo, uint64_t *bytes);

/**
 * pmp_vm_init() - lay out a VM in caller memory.
 * @mem: 8-byte aligned buffer of at least pmp_vm_bound() bytes.
 * @size: its size.
 * @geo: the geometry.
 * @policy: the initial policy (NULL: the "recommended" preset).
 * @out: set to the VM, which lives inside @mem.
 *
 * All pages start shared, untracked and with every VTL permission.
 *
 * Return: 0, -EINVAL (bad geometry, policy or alignment), -E2BIG (as
 * pmp_vm_bound()), -ENOSPC (@size is too small), -ERANGE (geometry too
 * large).
 */
PMP_API int pmp_vm_init(void *mem, uint64_t size, const struct pmp_geometry *geo,
			const struct pmp_policy *policy, struct pmp_vm **out);

/**
 * pmp_vm_set_policy() - switch the policy of a live VM.  Exclusive.
 * @vm: the VM.
 * @policy: the new policy; validated first.
 *
 * Return: 0 or -EINVAL, in which case the old policy stays.
 */
PMP_API int pmp_vm_set_policy(struct pmp_vm *vm, const struct pmp_policy *policy);

/**
 * pmp_vm_policy() - the active policy.  Shared.
 * @vm: the VM.
 * @out: filled with a copy.
 */
PMP_API void pmp_vm_policy(const struct pmp_vm *vm, struct pmp_policy *out);

/* Memslot flags. */
#define PMP_SLOT_DIRTY_LOG	(1U << 0) /* dirty logging: 4 KiB mappings only */
#define PMP_SLOT_READONLY	(1U << 1)
#define PMP_SLOT_GUEST_MEMFD	(1U << 2) /* private pages come from a guest_memfd */
#define PMP_SLOT_FLAGS_ALL	(PMP_SLOT_DIRTY_LOG | PMP_SLOT_READONLY | PMP_SLOT_GUEST_MEMFD)

/**
 * struct pmp_slot - a memslot as the policy sees it.
 * @base_gfn: first guest frame.
 * @npages: number of 4 KiB pages (> 0).
 * @userspace_addr: host virtual address of the first page (shared memory).
 * @gmem_offset: byte offset of the first page in the guest_memfd that backs
 *	private memory (PMP_SLOT_GUEST_MEMFD only, else 0).
 * @flags: PMP_SLOT_*.
 *
 * Both addresses must be 4 KiB aligned.  A huge mapping needs the gfn
 * congruent to @userspace_addr modulo the huge page size (KVM's ugfn rule,
 * which KVM applies through lpage_info to every fault), and a private fault
 * on a guest_memfd slot needs @gmem_offset congruent too.
 */
struct pmp_slot {
	uint64_t base_gfn;
	uint64_t npages;
	uint64_t userspace_addr;
	uint64_t gmem_offset;
	uint32_t flags;
};

/**
 * pmp_slot_create() - add a memslot.  Exclusive.
 * @vm: the VM.
 * @id: slot id below max_slots.
 * @slot: its description.
 *
 * Return: 0; -EINVAL for a bad id, zero size, gfn or address overflow,
 * unaligned addresses, unknown flags or an overlap with another slot; -EEXIST if @id is
 * in use; -ERANGE if the slot ends beyond gfn_end.  Nothing changes on error.
 */
PMP_API int pmp_slot_create(struct pmp_vm *vm, uint32_t id, const struct pmp_slot *slot);

/**
 * pmp_slot_delete() - remove a memslot.  Exclusive.
 * @vm: the VM.
 * @id: the slot.
 *
 * Per-gfn attributes stay: like KVM's, they belong to the VM, not the slot.
 * Pins do not: the slot's pmp_zap() with PMP_ZAP_SLOT_DELETE releases them
 * first (UNPIN actions naming its pages), and a slot still holding pinned
 * pages is refused.
 *
 * Return: 0, -EINVAL (bad id), -ENOENT (no such slot), -EBUSY (the slot
 * holds pinned pages).
 */
PMP_API int pmp_slot_delete(struct pmp_vm *vm, uint32_t id);

/**
 * pmp_slot_move() - move a memslot to a new base gfn.  Exclusive.
 * @vm: the VM.
 * @id: the slot.
 * @base_gfn: its new first guest frame.
 *
 * Return: as pmp_slot_create(), -ENOENT, or -EBUSY while the slot holds
 * pinned pages (its PMP_ZAP_SLOT_MOVE zap releases them).
 */
PMP_API int pmp_slot_move(struct pmp_vm *vm, uint32_t id, uint64_t base_gfn);

/**
 * pmp_slot_set_flags() - change a memslot's flags (dirty logging on/off).
 * Exclusive.
 * @vm: the VM.
 * @id: the slot.
 * @flags: the new PMP_SLOT_* set; PMP_SLOT_GUEST_MEMFD cannot change.
 *
 * Return: 0, -EINVAL or -ENOENT.
 */
PMP_API int pmp_slot_set_flags(struct pmp_vm *vm, uint32_t id, uint32_t flags);

/**
 * pmp_slot_get() - read a memslot.  Shared.
 * @vm: the VM.
 * @id: the slot.
 * @out: filled on success.
 *
 * Return: 0, -EINVAL or -ENOENT.
 */
PMP_API int pmp_slot_get(const struct pmp_vm *vm, uint32_t id, struct pmp_slot *out);

/**
 * struct pmp_vm_info - sizes and pool occupancy.
 * @bytes: bytes of state in use (what pmp_vm_bound() returned).
 * @gfn_end: the geometry's gfn_end: every range must end by it.
 * @span: gfn_end rounded up to 2 MiB: what the descriptors cover.
 * @nr_chunks: 2 MiB descriptors.
 * @pool_blocks: blocks in the pool.
 * @pool_used: blocks holding a non-uniform chunk's bitmap now.
 * @pool_high_water: the most ever in use at once.
 * @nr_slots: memslots in use.
 */
struct pmp_vm_info {
	uint64_t bytes;
	uint64_t gfn_end;
	uint64_t span;
	uint64_t nr_chunks;
	uint32_t pool_blocks;
	uint32_t pool_used;
	uint32_t pool_high_water;
	uint32_t nr_slots;
};

/**
 * pmp_vm_info() - report sizes and pool occupancy.  Shared.
 * @vm: the VM.
 * @out: filled.
 */
PMP_API void pmp_vm_info(const struct pmp_vm *vm, struct pmp_vm_info *out);

/**
 * pmp_vm_check() - verify every internal invariant.  Shared; O(VM size).
 * @vm: the VM.
 *
 * For tests and debugging (kshim exposes it in debugfs): chains match
 * their masks, no block is both free and in use, blocks are never
 * uniform, 1 GiB summaries equal a recount of their 2 MiB children.
 *
 * Return: 0, or -EUCLEAN on the first broken invariant.
 */
PMP_API int pmp_vm_check(const struct pmp_vm *vm);

#endif /* PMEM_POLICY_VM_H */
