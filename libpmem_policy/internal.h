/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Internal layout of a VM's state.  Nothing here is ABI.
 *
 * Per-page state is kept as "planes": one bit per page per attribute.  A
 * plane of a 2 MiB chunk is either uniform (its value is one bit of the
 * chunk descriptor) or mixed (a 64-byte block from the pool holds its 512
 * bits).  A chunk's blocks form a chain ordered by plane number, so the
 * k-th block belongs to the k-th set bit of the chunk's mixed mask.
 */
#ifndef PMP_INTERNAL_H
#define PMP_INTERNAL_H

#include "env.h"

#define PMP_CHUNK_SHIFT 9
#define PMP_CHUNK_PAGES (1U << PMP_CHUNK_SHIFT)
#define PMP_GIANT_SHIFT 18
#define PMP_GIANT_CHUNKS (1U << (PMP_GIANT_SHIFT - PMP_CHUNK_SHIFT))
#define PMP_BLOCK_WORDS (PMP_CHUNK_PAGES / 64)

/* Planes.  Those below PMP_NR_SUMMARY_PLANES decide eligibility. */
enum pmp_plane {
	PMP_PLANE_PRIVATE,
	PMP_PLANE_WTRACK,
	/* VTL v denies access a: PMP_PLANE_VTL + 3 * v + bit(a); 0 = allowed. */
	PMP_PLANE_VTL,
	PMP_NR_SUMMARY_PLANES = PMP_PLANE_VTL + 3 * PMP_MAX_VTLS,
	PMP_NR_PLANES = 16,
};

#define PMP_BIT(p) ((uint16_t)(1U << (p)))
#define PMP_VTL_PLANES(vtl) ((uint16_t)(7U << (PMP_PLANE_VTL + 3 * (vtl))))

/*
 * One per 2 MiB: 8 bytes.  @blocks holds the first block's index + 1 in its
 * low 24 bits (0: no chain); the top 8 bits are reserved for chunk flags.
 */
struct pmp_chunk {
	uint16_t value;
	uint16_t mixed;
	uint32_t blocks;
};

#define PMP_CHUNK_BLOCK_MASK 0x00ffffffU

/*
 * One per 1 GiB, derived from its 2 MiB children: per summary plane, how
 * many children are mixed and how many are uniformly 1.  @uniform/@value
 * cache the verdict so that a fault reads two words.
 */
struct pmp_giant {
	uint16_t nr_mixed[PMP_NR_SUMMARY_PLANES];
	uint16_t nr_ones[PMP_NR_SUMMARY_PLANES];
	uint16_t uniform;
	uint16_t value;
};

struct pmp_slot_state {
	struct pmp_slot slot;
	uint32_t in_use;
	uint32_t pad;
};

struct pmp_block {
	uint64_t w[PMP_BLOCK_WORDS];
};

#define PMP_VM_MAGIC 0x706d7076U /* "pmpv" */

/*
 * The VM header, at the start of the caller's buffer.  Arrays are found by
 * byte offsets from the header so the whole state can be copied.
 */
struct pmp_vm {
	uint32_t magic;
	uint32_t nr_vtls;
	uint32_t max_slots;
	uint32_t nr_vcpus;
	uint64_t gfn_end;	/* caller's limit */
	uint64_t nr_chunks;	/* span rounded up to 2 MiB */
	uint64_t nr_giants;
	uint64_t bytes;
	struct pmp_policy policy;
	uint32_t nr_slots;
	uint32_t pool_blocks;
	uint32_t pool_used;
	uint32_t pool_high_water;
	uint32_t free_head;	/* first free block + 1; 0: none */
	uint64_t off_slots, off_stats, off_chunks, off_giants, off_blocks, off_links;
};

static inline void *pmp_at(const struct pmp_vm *vm, uint64_t off)
{
	return (char *)vm + off;
}

static inline struct pmp_slot_state *pmp_slots(const struct pmp_vm *vm)
{
	return pmp_at(vm, vm->off_slots);
}

static inline struct pmp_stats *pmp_vcpu_stats(const struct pmp_vm *vm)
{
	return pmp_at(vm, vm->off_stats);
}

static inline struct pmp_chunk *pmp_chunks(const struct pmp_vm *vm)
{
	return pmp_at(vm, vm->off_chunks);
}

static inline struct pmp_giant *pmp_giants(const struct pmp_vm *vm)
{
	return pmp_at(vm, vm->off_giants);
}

static inline struct pmp_block *pmp_blocks(const struct pmp_vm *vm)
{
	return pmp_at(vm, vm->off_blocks);
}

static inline uint32_t *pmp_links(const struct pmp_vm *vm)
{
	return pmp_at(vm, vm->off_links);
}

/* Population count of a 16-bit mask, without libgcc's helpers. */
static inline unsigned int pmp_weight16(uint32_t x)
{
	x = x - ((x >> 1) & 0x5555);
	x = (x & 0x3333) + ((x >> 2) & 0x3333);
	x = (x + (x >> 4)) & 0x0f0f;
	return (x + (x >> 8)) & 0x1f;
}

/* Children of giant @g: 512, fewer for a last partial 1 GiB. */
static inline uint32_t pmp_giant_children(const struct pmp_vm *vm, uint64_t g)
{
	uint64_t left = vm->nr_chunks - g * PMP_GIANT_CHUNKS;

	return left < PMP_GIANT_CHUNKS ? (uint32_t)left : PMP_GIANT_CHUNKS;
}

/* planes.c */
int pmp_planes_set(struct pmp_vm *vm, uint64_t gfn, uint64_t npages,
		   uint16_t mask, uint16_t values);
bool pmp_plane_get(const struct pmp_vm *vm, uint64_t gfn, unsigned int plane);
void pmp_giant_recount(const struct pmp_vm *vm, uint64_t g, struct pmp_giant *out);
int pmp_pool_check(const struct pmp_vm *vm);

/* policy.c */
extern const struct pmp_policy pmp_default_policy;

/* A range [gfn, gfn + npages) is non-empty, does not wrap and ends by @end. */
static inline int pmp_range_check(uint64_t gfn, uint64_t npages, uint64_t end)
{
	if (!npages || gfn + npages < gfn)
		return -EINVAL;
	return gfn + npages > end ? -ERANGE : 0;
}

#endif /* PMP_INTERNAL_H */
