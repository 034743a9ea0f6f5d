/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A deliberately naive reference model of the core: one byte of attributes
 * per page, a plain array of memslots, and every answer computed by
 * scanning pages.  It shares no code and no data structure with the core,
 * so the differential tests compare two independent implementations.
 */
#ifndef PMP_MODEL_H
#define PMP_MODEL_H

#include <stdint.h>
#include <pmem_policy/pmem_policy.h>

/* Per-page byte: bit 0 private, bit 1 write-tracked, bits 2+3v.. denied R/W/X of VTL v. */
#define M_PRIVATE 0x01
#define M_WTRACK 0x02
#define M_VTL_SHIFT(v) (2 + 3 * (v))

struct model {
	uint64_t gfn_end;
	uint32_t max_slots, nr_vtls, pool_blocks;
	uint8_t *page;			/* gfn_end rounded up to 2 MiB */
	struct pmp_slot *slot;
	uint8_t *in_use;
	struct pmp_policy policy;
	uint32_t used;			/* non-uniform (chunk, bit) pairs, known ones */
	/* of them, write tracking and VTL bits */
	uint32_t lossy_used;
	uint8_t *unknown;		/* per chunk: bits the pool could not hold */
	/*
	 * Chunks holding lossy blocks, in the order the core's lossy set
	 * keeps them (appended; a leaver's place taken by the last), and a
	 * clock: a private bit short of a free block takes the lowest lossy
	 * block of chunk lossy_set[lossy_clock++ % lossy_chunks].
	 */
	uint64_t *lossy_set;
	uint32_t *lossy_pos, *lossy_n;	/* per chunk: place in the set, lossy blocks */
	uint32_t lossy_chunks, lossy_clock;
	/*
	 * State per 1 GiB: a 1 GiB has state while a memslot touches it or
	 * since a non-default change needed it, until no memslot touches it
	 * and its pages are default at a memslot deletion or move or an
	 * attribute change; at most @max_giants at once.  (One directory
	 * region: the model's spans stay below 1 TiB.)
	 */
	uint32_t max_giants, giants_used;
	uint8_t *giant_has;
	uint32_t *giant_slots;		/* memslots touching each 1 GiB */
};

void model_init(struct model *m, const struct pmp_geometry *geo, uint32_t pool_blocks,
		uint32_t max_giants);
void model_free(struct model *m);

int model_slot_create(struct model *m, uint32_t id, const struct pmp_slot *s);
int model_slot_delete(struct model *m, uint32_t id);
int model_slot_move(struct model *m, uint32_t id, uint64_t base_gfn);
int model_slot_set_flags(struct model *m, uint32_t id, uint32_t flags);

/*
 * Set (mask, value) on a range; -ENOMEM exactly when the core must refuse
 * (private only: write tracking and VTL bits become unknown instead).
 */
int model_set(struct model *m, uint64_t gfn, uint64_t npages, uint8_t mask, uint8_t value);
int model_vtl_prot(struct model *m, unsigned int vtl, uint64_t gfn, uint64_t npages,
		   unsigned int prot);

int model_max_level(const struct model *m, const struct pmp_fault *f, enum pmp_reason *why);

/* Non-uniform (2 MiB chunk, attribute bit) pairs: the pool blocks in use. */
uint32_t model_blocks_used(const struct model *m);
/* 1 GiB ranges holding state. */
uint32_t model_giants_used(const struct model *m);

#endif /* PMP_MODEL_H */
