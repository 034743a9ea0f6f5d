/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The shared record of the common 4 KiB leaf, as an inline: the body of
 * pmp_map_shared() and pmp_map_shared_4k() (fault.c), which check their
 * input first, and of a fault hook compiled from these same sources
 * (kshim/kshim_kvm.c) whose input is valid by construction, so its common
 * leaf makes no call and no check twice.  Nothing here is ABI: a caller
 * outside the core's sources uses the exported functions.
 */
#ifndef PMP_MAP_SHARED_H
#define PMP_MAP_SHARED_H

#include "decide.h"

/*
 * The chunk flags of pmp_map_shared_4k_valid()'s record: lean_ok()'s stops
 * for a 4 KiB leaf, and those that make more than one bit of it (a merge
 * candidate not yet seen, its backing as the fault says).
 */
#define PMP_SHARED_CHUNK_FLAGS (PMP_CF_BLOCKED | PMP_CF_DEFERRED | PMP_CF_HUGE | PMP_CF_CAND | \
				PMP_CF_SEEN | PMP_CF_PARKED | PMP_CF_BACKED)

/* The page fills its word: set only while a higher word is not full (fault.c). */
int pmp_block_word_fill_shared(struct pmp_vm *vm, struct pmp_block *blk, uint64_t gfn,
			       uint32_t vcpu);

/*
 * One page of a mixed block to 1 with no other writer excluded: the word
 * is compare-and-swapped, so concurrent callers setting other pages of it
 * lose nothing.  A word this would fill is left alone (false): the block
 * may be turning uniform, which only the exclusive path settles, so no
 * uniform block ever stays chained (pmp_block_word_fill_shared() takes the
 * words that cannot be the last).
 */
static inline PMP_FAST_INLINE bool pmp_block_page_set_shared(struct pmp_block *blk,
							     unsigned int i)
{
	uint64_t *w = &blk->w[i / 64], bit = 1ULL << (i % 64);
	uint64_t old = pmp_load_word(w);

	do {
		if (old & bit)
			return true;
		if (!~(old | bit))
			return false;
	} while (!pmp_cas_word(w, &old, old | bit));
	return true;
}

/*
 * The MAPPED block of @gfn's chunk when the shared record of a valid 4 KiB
 * fault of memslot @st (VTL 0) is one bit of it: map_lean()'s record is
 * that one bit (lean_ok(), the chunk's MAPPED plane already mixed, the
 * chunk a merge candidate not yet seen, its backing and its giant's as
 * this fault says, the pool not short).  Each flag word is tested with one
 * compare, the VM's reasons to step aside (shared_stops, the pool's room
 * among them) too.  NULL: a pin, a callback running, merging at fault
 * time, a short pool, or more than one bit; the exclusive path does it.
 * Everything this reads changes only with the VM held exclusively, and
 * it reads @gfn only through its chunk (pmp_shared_cache relies on both).
 */
static inline PMP_FAST_INLINE
struct pmp_block *pmp_map_shared_block(struct pmp_vm *vm, const struct pmp_slot_state *st,
				       uint64_t gfn, unsigned int backing_order)
{
	struct pmp_giant *g;
	struct pmp_chunk *c;

	if (vm->shared_stops)
		return NULL;
	c = pmp_fault_chunk(vm, st, gfn, &g);
	if ((c->blocks & PMP_SHARED_CHUNK_FLAGS) !=
	    (PMP_CF_CAND | (backing_order >= 9 ? PMP_CF_BACKED : 0)) ||
	    (g->flags & (PMP_GF_LEAF | PMP_GF_BACKED)) != (backing_order >= 18 ? PMP_GF_BACKED : 0))
		return NULL;
	/* NULL unless the plane is chained: a block's address is never tested for NULL */
	return pmp_chunk_block(vm, c, PMP_PLANE_MAPPED);
}

/*
 * The shared record's bit of @gfn in its chunk's MAPPED block @mapped
 * (pmp_map_shared_block()), set with a compare-and-swap and counted in
 * @vcpu's set.  1: the page would fill its word, every higher one full,
 * nothing changed (the exclusive path settles the block).
 */
static inline PMP_FAST_INLINE
int pmp_map_shared_set(struct pmp_vm *vm, struct pmp_block *mapped, uint64_t gfn, uint32_t vcpu)
{
	if (!pmp_block_page_set_shared(mapped, gfn % PMP_CHUNK_PAGES))
		return pmp_block_word_fill_shared(vm, mapped, gfn, vcpu);
	pmp_vcpu_stats(vm, vcpu)->faults[PMP_VCPU_MAPS]++;
	return 0;
}

/*
 * The shared record of a valid 4 KiB fault of memslot @st (VTL 0): the
 * page's MAPPED bit set with a compare-and-swap where
 * pmp_map_shared_block() finds the record is that one bit.  1: nothing
 * changed, the exclusive path does it.
 */
static inline PMP_FAST_INLINE
int pmp_map_shared_bit(struct pmp_vm *vm, const struct pmp_slot_state *st, uint64_t gfn,
		       unsigned int backing_order, uint32_t vcpu)
{
	struct pmp_block *mapped = pmp_map_shared_block(vm, st, gfn, backing_order);

	return mapped ? pmp_map_shared_set(vm, mapped, gfn, vcpu) : 1;
}

/* Does @gfn lie in memslot @st?  A deleted slot is all zero: its empty range refuses every gfn. */
static inline PMP_FAST_INLINE bool pmp_map_shared_in_slot(const struct pmp_slot_state *st,
							  uint64_t gfn)
{
	return gfn - st->slot.base_gfn < st->slot.npages;
}

/**
 * pmp_map_shared_4k_valid() - pmp_map_shared_4k() for a caller whose input
 * is valid by construction: the same record, state, counters and return.
 * @vm: the VM.
 * @slot: the fault's memslot id, below the VM's max_slots.
 * @gfn: the faulting guest frame, mapped at 4 KiB in VTL 0.
 * @backing_order: as struct pmp_fault's, at most 63.
 * @vcpu: the counter set to count the leaf in, below the VM's nr_vcpus.
 *
 * The contract is what pmp_map_shared_4k() checks before it expands this:
 * @slot, @backing_order and @vcpu in range (out of range, this reads and
 * writes outside the VM), and a fault's flags valid (the record does not
 * read them, so they are not passed).  Whether @gfn lies in memslot @slot
 * is checked here, as pmp_map_shared_4k() does: a memslot the caller
 * cannot know the core holds (one deleted, or never created) gives
 * -ENOENT, a gfn outside it -EINVAL.  Concurrent as pmp_map_shared();
 * O(1).
 *
 * Return: 0 when recorded (map the leaf); 1 when nothing changed and
 * pmp_map() must do it (with the VM held exclusively); -EINVAL or -ENOENT
 * for @gfn outside memslot @slot, nothing changed.
 */
static inline PMP_FAST_INLINE
int pmp_map_shared_4k_valid(struct pmp_vm *vm, uint32_t slot, uint64_t gfn,
			    unsigned int backing_order, uint32_t vcpu)
{
	const struct pmp_slot_state *st = &pmp_slots(vm)[slot];

	if (pmp_unlikely(!pmp_map_shared_in_slot(st, gfn)))
		return st->in_use ? -EINVAL : -ENOENT;
	return pmp_map_shared_bit(vm, st, gfn, backing_order, vcpu);
}

/**
 * struct pmp_shared_cache - the chunk one caller's shared records took
 * last, so that the next fault of that chunk skips the memslot and the
 * chunk's lookup and flags (pmp_map_shared_4k_cached()).  One per caller
 * that never runs beside itself (a CPU with preemption off): two callers
 * filling one entry at once could tear it.  All zero: empty.
 * @gen: the caller's generation when filled, never 0 (below).  The entry
 *	holds while it does not move: what pmp_map_shared_block() read for
 *	@chunk (the VM's shared_stops, the memslot, the chunk's and its
 *	giant's flags, the MAPPED plane chained in @mapped) changes only with
 *	the VM held exclusively, and the caller's generation moves with every
 *	such section (kshim_write_lock()); a giant freed or reused, a memslot
 *	changed, a policy switched, a zap or tick are all such sections.  The
 *	concurrent records meanwhile set page bits, which none of that reads.
 * @chunk: gfn >> PMP_CHUNK_SHIFT, whose every page lies in memslot @slot
 *	(so any of its gfns passes the memslot's range check).
 * @mapped: the chunk's MAPPED block, as pmp_map_shared_block() found it.
 * @slot: the memslot id the entry was filled for.
 * @backing_order: the fault's backing order it was filled for (the
 *	flags tested depend on it).
 */
struct pmp_shared_cache {
	uint64_t gen;
	uint64_t chunk;
	struct pmp_block *mapped;
	uint32_t slot;
	uint32_t backing_order;
};

/*
 * pmp_map_shared_4k_cached()'s miss: pmp_map_shared_4k_valid()'s lookup,
 * its block kept in @sc when the whole chunk lies in the memslot (fault.c).
 * Out of line: a fault of the cached chunk keeps no registers for it.
 */
int pmp_map_shared_4k_fill(struct pmp_vm *vm, struct pmp_shared_cache *sc, uint64_t gen,
			   uint32_t slot, uint64_t gfn, unsigned int backing_order, uint32_t vcpu);

/**
 * pmp_map_shared_4k_cached() - pmp_map_shared_4k_valid() through the
 * caller's cache of its last chunk: the same record, state, counters and
 * return.
 * @vm: the VM.
 * @sc: the caller's cache (struct pmp_shared_cache), used with @vm only.
 * @gen: the caller's generation of @vm: not 0, moved by every section
 *	that holds @vm exclusively, and read in the same shared section as
 *	this call (no exclusive section between the read and the return).
 * @slot: as pmp_map_shared_4k_valid()'s, and so are @gfn, @backing_order
 *	and @vcpu and the contract.
 * @gfn: the faulting guest frame.
 * @backing_order: the fault's backing order.
 * @vcpu: the counter set.
 *
 * A fault of the chunk, memslot and backing order of @sc's entry under
 * the same @gen sets its bit in the block the entry names; any other
 * looks the chunk up as pmp_map_shared_4k_valid() does and fills the
 * entry where the record is one bit.  Concurrent as pmp_map_shared();
 * O(1).
 *
 * Return: as pmp_map_shared_4k_valid().
 */
static inline PMP_FAST_INLINE
int pmp_map_shared_4k_cached(struct pmp_vm *vm, struct pmp_shared_cache *sc, uint64_t gen,
			     uint32_t slot, uint64_t gfn, unsigned int backing_order, uint32_t vcpu)
{
	if (sc->gen == gen && sc->chunk == gfn >> PMP_CHUNK_SHIFT && sc->slot == slot &&
	    sc->backing_order == backing_order)
		return pmp_map_shared_set(vm, sc->mapped, gfn, vcpu);
	return pmp_map_shared_4k_fill(vm, sc, gen, slot, gfn, backing_order, vcpu);
}

/**
 * pmp_map_shared_count() - the leaves the shared record recorded in @vm,
 * summed over its counter sets (the MAP actions pmp_vm_stats() adds).
 * @vm: the VM.
 *
 * For a caller that counts those leaves itself otherwise: the record
 * counts each once already.  Each set's count is read whole, concurrently
 * with records (they only add).
 *
 * Return: the count since the VM was built or its stats reset.
 */
static inline uint64_t pmp_map_shared_count(const struct pmp_vm *vm)
{
	uint64_t n = 0;
	uint32_t v;

	for (v = 0; v < vm->nr_vcpus; v++)
		n += pmp_load_word(&pmp_vcpu_stats(vm, v)->faults[PMP_VCPU_MAPS]);
	return n;
}

#endif /* PMP_MAP_SHARED_H */
