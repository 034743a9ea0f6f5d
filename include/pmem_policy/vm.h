/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * pmem_policy: a VM's state, its geometry and its memslots.
 *
 * All state lives in one caller-provided buffer whose size pmp_vm_bound()
 * computes; the library never allocates.  The buffer holds offsets, not
 * pointers, so its bytes can be copied to snapshot or compare a VM.
 *
 * State follows the memory in memslots, not the guest-physical span: it is
 * kept per 1 GiB only for the 1 GiB ranges memslots touch (and those
 * holding non-default attributes, pins or acceptance), at any address
 * below 2^52, found through a two-level directory (two loads).
 *
 * Memory, per 2 MiB of memory budget (@max_pages):
 *   - an 8-byte descriptor (KVM's lpage_info is 4 bytes per level);
 *   - 72 bytes per 1 GiB for the 1G summaries and their directory entry;
 *   - fixed: 8 KiB of top directory, 4 KiB per directory table (one per
 *     1 TiB region holding state) and one reserved all-default 1 GiB
 *     (4 KiB, which is the reserved directory table too);
 *   - a pool of 64-byte bitmap blocks, each with a 4-byte link, shared by
 *     every 2 MiB chunk whose per-page state is not uniform: 1 bit per
 *     4 KiB page + 4 bytes per 2 MiB for each feature the default pool
 *     provides for (see @pool_blocks; docs/design.md has the figures).
 * Uniform chunks need no block, so a feature costs memory only where its
 * pages disagree; the default pool covers the worst case of every chunk
 * disagreeing in the features that cannot degrade (see @pool_blocks).
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
/* Each chunk holding deferrals takes a pool block: no more than the pool. */
#define PMP_MAX_DEFERRED PMP_MAX_POOL_BLOCKS

/**
 * struct pmp_geometry - the shape of a VM, fixed for its lifetime.
 * @sz: sizeof(struct pmp_geometry) as the caller knows it, so the struct can
 *	grow: libbpf's OPTS rules (pmp_opts_load()).  At least
 *	PMP_GEOMETRY_MIN_SZ; a smaller struct than this library's gets the
 *	defaults (0) for the fields it lacks; a larger one is accepted only if
 *	the bytes past this library's struct are 0, else -E2BIG.
 * @gfn_end: optional limit: every range must end by it (0: 2^40, all a
 *	52-bit guest-physical address space holds).  It no longer sizes the
 *	state, unless @max_pages is 0 (the 0.1 meaning, kept for old callers).
 * @max_slots: memslot ids run from 0 to @max_slots - 1.
 * @nr_vcpus: counter sets for shared-access calls, one per vCPU (>= 1).
 * @nr_vtls: virtual trust levels with their own protections (1..3).
 * @pool_blocks: 64-byte blocks for non-uniform 2 MiB chunks; a chunk with k
 *	non-uniform per-page features holds k blocks.  0 picks the default:
 *	a block per chunk for the exact feature every chunk may need at
 *	once (the private attributes; SEV, which has no private memory:
 *	the pins), plus 1/16 for everything else, which never
 *	fails for lack of pool: write tracking and VTL protections take any
 *	free block and a chunk with none is "unknown" (4 KiB faults, reason
 *	pool; struct pmp_page_attrs' @unknown) until an update covers its
 *	whole 2 MiB; the mapped mirror of every VTL and acceptance degrade
 *	the same way ("maybe mapped", "maybe accepted": PMP_ATTR_UNKNOWN_*);
 *	a punch that finds no spare block for its deferral bitmap is
 *	invalidated at once.  The exact features take those blocks back
 *	when none is free, and a conversion flushes deferred punches for
 *	theirs.  A smaller pool saves memory at the risk of -ENOMEM refusals
 *	of the exact features (private attributes, pins) when many chunks are
 *	non-uniform in them at once; pmp_vm_info() reports the high-water
 *	mark.  A default that would exceed PMP_MAX_POOL_BLOCKS (a budget
 *	above about 30 TiB) is -ERANGE: pass @pool_blocks.
 * @vm_type: enum pmp_vm_type.
 * @max_deferred: 2 MiB chunks that may hold deferred punches at once (one
 *	more flushes another first); 0 picks every 2 MiB of the budget
 *	(@max_pages, else @gfn_end), so no punch storm is cut short; at most
 *	PMP_MAX_DEFERRED.  Each takes a spare pool block while it holds
 *	deferrals; with none spare a punch is invalidated at once.
 * @max_pages: the memory budget: 4 KiB pages in memslots at once, wherever
 *	they are; it sizes the 1 GiB pool and the default block pool.  0:
 *	@gfn_end (then required).  Since 0.2.
 * @max_giants: 1 GiB ranges that may hold state at once: every 1 GiB a
 *	memslot touches, plus those outside memslots with non-default state.
 *	0 picks @max_pages in 1 GiB units plus 2, plus 1 for each of the
 *	first 4 memslots (their unaligned edges), that slack being at most
 *	half the budget's 1 GiB ranges and at least one (a 4 GiB budget:
 *	2), and in all at most the 1 GiB ranges below @gfn_end (2^22 with
 *	none).  Many small memslots in distinct 1 GiB ranges need more.  A memslot creation
 *	or move, or a non-default change outside memslots, that needs more
 *	fails with -ENOMEM and changes nothing.  Since 0.2.
 * @max_regions: 1 TiB regions of guest-physical space that may hold state
 *	at once (one 4 KiB directory table each).  0 picks @max_giants in
 *	1 TiB units plus 1, at most @max_giants and the 1 TiB regions below
 *	@gfn_end; at most 2^12.  Since 0.2.
 * @flags: PMP_GEO_* bits; 0 for none.  Since 0.4.
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
	uint64_t max_pages;
	uint32_t max_giants;
	uint32_t max_regions;
	uint32_t flags;
};

/*
 * PMP_GEO_PRIVATE_MEM - the VM has private memory whatever its type says.
 * An SEV VM has none in KVM (has_private_mem is set for SW_PROTECTED, SNP
 * and TDX VMs only), so pmp_convert() to private fails there with -EINVAL
 * and the default pool holds no block for the PRIVATE plane.  A VM that
 * takes SEV's pinning rules but has private memory (a KVM SW_PROTECTED VM
 * given vm_type=sev by the kernel module) sets this: its conversions work
 * and its default pool holds a block per 2 MiB for each of the two exact
 * planes.  Other types have private memory anyway.
 */
#define PMP_GEO_PRIVATE_MEM (1U << 0)
#define PMP_GEO_FLAGS_ALL PMP_GEO_PRIVATE_MEM

/* The first released layout's mandatory fields end with @nr_vtls. */
#define PMP_GEOMETRY_MIN_SZ \
	(__builtin_offsetof(struct pmp_geometry, nr_vtls) + sizeof(uint32_t))

/**
 * pmp_vm_bound() - bytes of state a VM of this geometry needs.
 * @geo: the geometry.
 * @bytes: set to the size to pass to pmp_vm_init().
 *
 * Return: 0, -EINVAL for a bad geometry (or @geo->sz below
 * PMP_GEOMETRY_MIN_SZ, or neither @max_pages nor @gfn_end), -E2BIG if
 * @geo->sz is larger than this library's struct and a byte past it is not
 * 0, -ERANGE if it is too large (past 52-bit addresses, KVM's slot or vCPU
 * limits, 2^22 giants, 2^12 regions, or a default pool past
 * PMP_MAX_POOL_BLOCKS).
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
 * State is taken for every 1 GiB range the slot touches; gfns that already
 * have attributes (set while no memslot covered them) keep them, as KVM's
 * attributes belong to the VM, not to the memslot.
 *
 * Return: 0; -EINVAL for a bad id, zero size, gfn or address overflow,
 * unaligned addresses, unknown flags or an overlap with another slot; -EEXIST if @id is
 * in use; -ERANGE if the slot ends beyond gfn_end; -ENOMEM if the 1 GiB
 * pool (@max_giants, @max_regions) cannot hold the state it needs.
 * Nothing changes on error.
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
 * The state of 1 GiB ranges no other memslot touches and that hold only
 * default state goes back to the pool.
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
 * The new range's state is taken before the old range's is released, so
 * the pool must hold both for a moment.
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
 * @gfn_end: the limit every range must end by (the geometry's, or 2^40).
 * @span: gfn_end rounded up to 2 MiB.
 * @nr_chunks: 2 MiB descriptors in use (512 per 1 GiB range with state).
 * @pool_blocks: blocks in the pool.
 * @pool_used: blocks holding a non-uniform chunk's bitmap now.
 * @pool_high_water: the most ever in use at once.
 * @nr_slots: memslots in use.
 * @max_giants: 1 GiB ranges that may hold state at once.
 * @giants_used: 1 GiB ranges holding state now.
 * @giants_high_water: the most ever at once.
 * @max_regions: 1 TiB directory regions that may hold state at once.
 * @regions_used: regions holding state now.
 * @pad: zero.
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
	uint32_t max_giants;
	uint32_t giants_used;
	uint32_t giants_high_water;
	uint32_t max_regions;
	uint32_t regions_used;
	uint32_t pad;
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
 * uniform, 1 GiB summaries equal a recount of their 2 MiB children; the
 * directory names each 1 GiB with state once, every 1 GiB a memslot
 * touches has state, memslot counts match, free giants and the reserved
 * all-default one are pristine.
 *
 * Return: 0, or -EUCLEAN on the first broken invariant.
 */
PMP_API int pmp_vm_check(const struct pmp_vm *vm);

#endif /* PMEM_POLICY_VM_H */
