/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The fault-time decision as a key (level.c explains it), shared by the
 * decision (level.c) and the one-call fault (fault.c), which inlines it so
 * the record starts from the compact giant the decision found.
 */
#ifndef PMP_DECIDE_H
#define PMP_DECIDE_H

#include "internal.h"

/* A fault's kind, as slot_key() takes it: its flags >> 1 (exec, private). */
#define KIND_EXEC (PMP_FAULT_EXEC >> 1)
#define KIND_PRIVATE (PMP_FAULT_PRIVATE >> 1)

/*
 * A check's verdict is a key: the level it allows in the high nibble, its
 * rank (its place in the check order) in the low one.  The decision is the
 * smallest key: the largest level nothing stops, and the first check, in
 * order, that stops the level above it -- what a pass in check order that
 * lowers a running limit gives, but in any order, so verdicts computed
 * ahead of time combine with a compare each.  A check that stops nothing
 * gives KEY_NONE.
 */
enum fault_rank {
	R_NONE, R_CAP, R_DIRTY, R_NX, R_BACKING, R_ACCEPT, R_FIT, R_ALIGN,
	R_POOL, R_WTRACK, R_MIXED, R_VTL, R_NR
};

_Static_assert(R_NR <= PMP_FAULT_RANKS, "a fault's key indexes pmp_vcpu_stats.faults");

#define KEY(level, rank) ((uint8_t)((level) << 4 | (rank)))
#define KEY_NONE KEY(PMP_LEVEL_1G, R_NONE)

/* Every key lies in pmp_vcpu_fault()'s range: levels 4K..1G, and KEY_NONE the largest. */
_Static_assert(KEY(PMP_LEVEL_4K, R_NONE) == PMP_FAULT_KEY_MIN &&
	       KEY_NONE == PMP_FAULT_KEY_MAX, "a decision's key has a counter");

static inline uint64_t key_min(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/*
 * What the memslot's edges stop for a fault at @gfn, on top of @k: its
 * aligned 1 GiB interior allows everything, its 2 MiB interior 2 MiB.
 */
static inline __attribute__((always_inline))
unsigned int fit_key(const struct pmp_slot_state *st, uint64_t gfn, unsigned int k)
{
	/* @gfn is in the slot, below PMP_GFN_LIMIT: its chunk fits 32 bits */
	if ((gfn >> PMP_GIANT_SHIFT) - st->giant_lo >= st->giant_len)
		k = key_min(k, (uint32_t)(gfn >> PMP_CHUNK_SHIFT) - st->chunk_lo < st->chunk_len ?
			    KEY(PMP_LEVEL_2M, R_FIT) : KEY(PMP_LEVEL_4K, R_FIT));
	return k;
}

/* What a folio of order @bo stops, on top of @k: below 1 GiB, 1 GiB; below 2 MiB, 2 MiB. */
static inline __attribute__((always_inline))
uint64_t backing_key(unsigned int bo, uint64_t k)
{
	if (bo < 18)
		k = key_min(k, bo >= 9 ? KEY(PMP_LEVEL_2M, R_BACKING) : KEY(PMP_LEVEL_4K, R_BACKING));
	return k;
}

/*
 * What the fault itself and its memslot's edges stop, on top of @k: the
 * fault's folio and accept level, the slot's aligned interiors.
 */
static inline __attribute__((always_inline))
unsigned int fault_own_key(const struct pmp_slot_state *st, const struct pmp_fault *f,
			   unsigned int k)
{
	k = backing_key(f->backing_order, k);
	if (f->accept_level)
		k = key_min(k, (unsigned int)f->accept_level << 4 | R_ACCEPT);
	return fit_key(st, f->gfn, k);
}

/*
 * The verdict byte at offset @off in the VM.  The empty asm keeps the
 * offset whole, so the load adds the VM in its address (the compiler
 * would add it to a part first, an instruction more).
 */
static inline unsigned int verdict_at(const struct pmp_vm *vm, uint64_t off)
{
	__asm__("" : "+r"(off));
	return ((const uint8_t *)vm)[off];
}

/*
 * A VTL's verdict in the 1 GiB summary at offset @summary of the giants
 * array (pmp_slot_summary()), the VTL named by @gkey_off (its
 * vm->off_gverdict[]): an add.
 */
static inline unsigned int giant_verdict(const struct pmp_vm *vm, uint64_t gkey_off,
					 uint64_t summary)
{
	return verdict_at(vm, gkey_off + summary);
}

_Static_assert(PMP_GIANT_CHUNKS % sizeof(struct pmp_giant) == 0,
	       "a giant's summary offset scales to its first chunk's index");

/*
 * A VTL's verdict of 2 MiB chunk @chunk (gfn >> PMP_CHUNK_SHIFT) in the
 * compact giant whose summary is at offset @summary, the VTL named by
 * @verdict_off (its vm->off_verdict[]: pmp_verdicts()): the giant's first
 * chunk is the offset scaled, which the address computation does.
 */
static inline unsigned int chunk_verdict(const struct pmp_vm *vm, uint64_t verdict_off,
					 uint64_t summary, uint64_t chunk)
{
	return verdict_at(vm, verdict_off + (chunk & (PMP_GIANT_CHUNKS - 1)) +
			      summary * (PMP_GIANT_CHUNKS / sizeof(struct pmp_giant)));
}

/*
 * The decision's key for a fault of VTL @vtl in compact giant @cg (the
 * memslot's run gives it: pmp_fault_cg()): the slot's verdict for the
 * fault's kind, then the 1 GiB summary's verdict for the VTL and the 2 MiB
 * chunk's verdict byte (two independent loads, as KVM's two lpage_info
 * levels), then what the fault itself stops.  No directory walk and no
 * chunk descriptor: the state changes keep both verdicts current.
 */
static inline __attribute__((always_inline))
unsigned int fault_key_cg(const struct pmp_vm *vm, const struct pmp_slot_state *st,
			  const struct pmp_fault *f, unsigned int vtl, uint64_t cg)
{
	unsigned int k = st->key[f->flags];	/* valid: at most PMP_FAULT_FLAGS_ALL */

	k = key_min(k, giant_verdict(vm, vm->off_gverdict[vtl], cg * sizeof(struct pmp_giant)));
	k = key_min(k, chunk_verdict(vm, vm->off_verdict[vtl], cg * sizeof(struct pmp_giant),
				     f->gfn >> PMP_CHUNK_SHIFT));
	return fault_own_key(st, f, k);
}

/* The compact giant of a valid fault's gfn, from its memslot's run: one load. */
static inline uint64_t pmp_fault_cg(const struct pmp_vm *vm, const struct pmp_slot_state *st,
				    uint64_t gfn)
{
	return pmp_slot_summary(vm, st, gfn >> PMP_GIANT_SHIFT) / sizeof(struct pmp_giant);
}

/* A valid fault's chunk and 1 GiB summary, from its memslot's run. */
static inline struct pmp_chunk *pmp_fault_chunk(const struct pmp_vm *vm,
						const struct pmp_slot_state *st, uint64_t gfn,
						struct pmp_giant **giant)
{
	return pmp_cg_chunk(vm, pmp_fault_cg(vm, st, gfn), gfn, giant);
}

/* fault_key_cg() for the fault path: the giant from the memslot's run. */
static inline __attribute__((always_inline))
unsigned int fault_key(const struct pmp_vm *vm, const struct pmp_slot_state *st,
		       const struct pmp_fault *f, unsigned int vtl)
{
	return fault_key_cg(vm, st, f, vtl, pmp_fault_cg(vm, st, f->gfn));
}

/*
 * A key's level through compares, not a shift: a caller that waits for the
 * level (its next step depends on it) goes on as soon as the branch is
 * predicted, as after KVM's own loop over the levels, instead of waiting
 * for the verdicts' loads.
 */
static inline int key_level(uint64_t k)
{
	/* the empty asm keeps the compiler from turning a branch into a setcc */
	if (k >= KEY(PMP_LEVEL_1G, 0))
		return PMP_LEVEL_1G;
	__asm__ volatile("");
	if (k >= KEY(PMP_LEVEL_2M, 0))
		return PMP_LEVEL_2M;
	__asm__ volatile("");
	return PMP_LEVEL_4K;
}

/*
 * Decision @k of fault @f counted, one write in the fault's vCPU set (its
 * key: level and rank; pmp_vm_stats() derives granted[], tried, applied and
 * refused[] from them), and its reason told if asked.
 */
static inline void decision_note(struct pmp_vm *vm, const struct pmp_fault *f, uint64_t k,
				 enum pmp_reason *why)
{
	(*pmp_vcpu_fault(pmp_vcpu_stats(vm, f->vcpu), k))++;
	if (why)
		*why = (enum pmp_reason)pmp_key_reason[k];
}

#endif /* PMP_DECIDE_H */
