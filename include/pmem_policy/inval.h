/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * pmem_policy: invalidation coalescing for guest_memfd punches (seed 001),
 * and the yield decision for long MMU walks (seed 002).
 *
 * A punch of a guest_memfd range frees its backing and invalidates what
 * maps it.  The library returns the invalidations per folio, with the
 * folio's order as a hint, so the caller can restore a 2 MiB direct map or
 * free a whole huge folio: GPA 0x1000-0x402000 on 2 MiB folios gives
 * 0x1000-0x200000, 0x200000-0x400000 and 0x400000-0x402000, each order 9.
 * With inval=defer-2m, a punch of part of a 2 MiB chunk whose pages are
 * shared or unmapped is only recorded; once every page of the chunk has
 * been punched, one 2 MiB invalidation is issued, so a guest or VMM that
 * punches 4 KiB at a time cannot shatter huge folios.  A page mapped
 * private is always invalidated at once.
 *
 * Callbacks (the folio layout here, the yield poll below) may read the VM
 * but not change it: any state-changing call made from inside one fails
 * with -EBUSY.
 *
 * Deferral assumes private memory lives in the guest_memfd and shared
 * memory elsewhere (the VMM's own mapping): punching a shared page's
 * private backing does not touch what the guest sees through its shared
 * mapping.
 */
#ifndef PMEM_POLICY_INVAL_H
#define PMEM_POLICY_INVAL_H

#include "types.h"
#include "mmu.h"

struct pmp_vm;

/**
 * struct pmp_folios - where the caller tells the folio layout.
 * @order: order of the folio holding @gfn (0: 4 KiB, 9: 2 MiB, 18: 1 GiB;
 *	at most 18), which covers the naturally aligned 2^order pages
 *	around @gfn.  Called a few times per folio (a planning pass, then
 *	the work); it must answer the same each time.
 * @ctx: passed to @order.
 *
 * Callers pass NULL instead to use what faults reported (a 2 MiB folio
 * where one was seen, else 4 KiB).
 */
struct pmp_folios {
	unsigned int (*order)(void *ctx, uint64_t gfn);
	void *ctx;
};

/*
 * Room a punch needs at most, besides 14 per folio run it spans: two
 * chunks the deferral cap may evict, 256 runs each, plus their flushes.
 */
#define PMP_PUNCH_ACTIONS (2 * 2 * 256 + 4)

/**
 * pmp_punch() - the guest_memfd backing of a range is being punched.
 * Exclusive.
 * @vm: the VM.
 * @gfn: first frame.
 * @npages: pages (> 0).
 * @folios: the folio layout, or NULL.
 * @out: actions, in order: splits of huge leaves crossing the range's edges
 *	(only as far as needed; TDX by block, track, demote), INVALIDATE per
 *	folio run with its order (whole folios of one order merge into one
 *	action), the flushes of chunks the deferral cap evicts, and FLUSH
 *	actions batching adjacent invalidations (at most flush_batch each).
 *
 * Invalidated pages lose their mappings, accepted state and huge folio.
 * Deferred pages keep everything until their chunk completes or is
 * flushed; a fault on one invalidates it first (pmp_map()).
 *
 * Return: 0; -EINVAL/-ERANGE for a bad range or folio order; -ENOMEM
 * (pool); -ENOSPC when @out has too little room (PMP_PUNCH_ACTIONS plus 14
 * per folio run always suffices); nothing changed on error.
 */
PMP_API int pmp_punch(struct pmp_vm *vm, uint64_t gfn, uint64_t npages,
		      const struct pmp_folios *folios, struct pmp_actions *out);

/**
 * pmp_inval_flush() - issue every deferred punch now.  Exclusive.
 * @vm: the VM.
 * @out: per step, the oldest chunk's first deferred run: its INVALIDATE,
 *	then the FLUSH of that range; as many steps as fit.  Resumed with
 *	arrays of any size, the actions are the same, in the same order.
 *
 * Return: 0 when nothing is deferred any more (no room needed then), 1
 * when @out filled up (or the pool ran short) after at least one step and
 * the call must be repeated, -ENOSPC when @out (or NULL) has fewer than 2
 * free entries and something is deferred (nothing changed), -ENOMEM when
 * the pool cannot take the first step (a smaller @pool_blocks than the
 * default; nothing changed), -EINVAL.
 */
PMP_API int pmp_inval_flush(struct pmp_vm *vm, struct pmp_actions *out);

/**
 * pmp_inval_flush_range() - issue the deferred punches of one range now.
 * Exclusive.
 * @vm: the VM.
 * @gfn: first frame.
 * @npages: pages (> 0).
 * @out: per step, the lowest deferred run left in the range (cut at 2 MiB
 *	edges and at the range's): its INVALIDATE, then the FLUSH of that
 *	range; as many steps as fit.  Resumed with arrays of any size, the
 *	actions are the same, in the same order.
 *
 * Deferred pages outside the range stay deferred: their 2 MiB ranges may
 * still be completed and freed whole.  A VMM calls it before it hands the
 * range's memory back to another use (a conversion to shared).
 *
 * Return: 0 when nothing in the range is deferred any more, 1 when @out
 * filled up (or the pool ran short) after at least one step and the call
 * must be repeated, -ENOSPC when @out (or NULL) has fewer than 2 free
 * entries and something in the range is deferred (nothing changed),
 * -ENOMEM when the pool cannot take the first step (nothing changed),
 * -EINVAL/-ERANGE for a bad range, -EBUSY from inside a callback.
 * Since 0.2.
 */
PMP_API int pmp_inval_flush_range(struct pmp_vm *vm, uint64_t gfn, uint64_t npages,
				  struct pmp_actions *out);

/**
 * pmp_nr_deferred() - pages punched but not yet invalidated.  Shared.
 * @vm: the VM.
 *
 * Return: the count.
 */
PMP_API uint64_t pmp_nr_deferred(const struct pmp_vm *vm);

/* Inputs of a yield decision. */
#define PMP_YIELD_NEED_RESCHED	(1U << 0)	/* need_resched() */
#define PMP_YIELD_CONTENDED	(1U << 1)	/* rwlock_needbreak(&kvm->mmu_lock) */
#define PMP_YIELD_CAN_YIELD	(1U << 2)	/* the caller may drop the lock */

/**
 * struct pmp_yield_state - a long walk's yield history, kept by the caller;
 * zero it when the walk starts.
 * @yielded_at: the position of the last yield.
 * @has_yielded: whether it yielded yet.
 * @yields: times it yielded.
 * @bails: times it was told to bail.
 */
struct pmp_yield_state {
	uint64_t yielded_at;
	uint64_t has_yielded;
	uint64_t yields;
	uint64_t bails;
};

/**
 * pmp_yield() - continue, yield or bail, between two units of work.
 * @vm: the VM (for the yield_threshold knob).
 * @st: the walk's yield history.
 * @position: where the walk is (a gfn, a child index): it must have moved
 *	since the last yield for another one.
 * @remaining: units of work left (e.g. unsync children).
 * @flags: PMP_YIELD_*.
 *
 * Never yields with fewer than yield_threshold units remaining (finishing
 * is cheaper than a round trip), nor twice without a unit of progress in
 * between (as KVM's TDP iterator guarantees forward progress).  When it
 * should yield but the caller cannot, it says bail: the caller returns
 * -EINTR and the fault is retried (seed 002's mmu_sync_children()).
 *
 * Return: 0 to continue, 1 to yield (flush pending work first, drop and
 * retake the lock), -EINTR to bail, or -EINVAL for unknown @flags.
 */
PMP_API int pmp_yield(const struct pmp_vm *vm, struct pmp_yield_state *st, uint64_t position,
		      uint64_t remaining, unsigned int flags);

/**
 * struct pmp_yield_ops - how a long core walk asks whether to stop early.
 * @poll: returns PMP_YIELD_NEED_RESCHED and/or PMP_YIELD_CONTENDED.
 * @ctx: passed to @poll.
 */
struct pmp_yield_ops {
	unsigned int (*poll)(void *ctx);
	void *ctx;
};

/**
 * pmp_vm_set_yield() - let merge ticks and teardown yield.  Exclusive.
 * @vm: the VM.
 * @ops: polled once per unit of work; NULL to never yield.  Stored by
 *	pointer: it must outlive its use.
 *
 * A tick that yields stops early (the next tick resumes where it
 * stopped); a teardown that yields returns 1, as when its array is full.
 *
 * Return: 0, or -EBUSY from inside a callback.
 */
PMP_API int pmp_vm_set_yield(struct pmp_vm *vm, const struct pmp_yield_ops *ops);

#endif /* PMEM_POLICY_INVAL_H */
