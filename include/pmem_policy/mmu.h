/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * pmem_policy: the MMU side — pinning, splitting and merging huge
 * mappings — decided as lists of actions the caller applies in order.
 *
 * The library keeps a mirror of what the caller's MMU maps: for every page
 * whether a leaf covers it, and whether that leaf is 4 KiB, 2 MiB or 1 GiB.
 * Events (a fault being mapped, a conversion, a guest ACCEPT, dirty logging,
 * a punch, a zap, a merge tick, teardown) update the mirror and return the
 * actions that make the real MMU match it.  Event calls are exclusive
 * (mmu_lock held for write, or a per-VM lock around a read-locked fault).
 *
 * Every event needs room for PMP_EVENT_ACTIONS actions (pinning a huge
 * range may need more, one per run of unpinned pages, and an accept in a
 * VM with several VTLs PMP_ACCEPT_ACTIONS(nr_vtls)); with less room it
 * fails with -ENOSPC before changing anything.  An event reserves its room
 * before it emits, so no action is ever dropped (an emit past the
 * reservation is a bug pmp_vm_check() reports).  Resumable calls
 * (pmp_teardown(), pmp_inval_flush()) make progress on every call that
 * returns 1, or fail with -ENOSPC; resumed with arrays of any size they
 * return the same actions in the same order.
 *
 * A call that fails changes no state but the decision counters: a refused
 * fault, pin or zap counts its refusal (struct pmp_stats' decision[]).  Ranges in actions are
 * "every leaf that intersects [gfn, gfn + npages)", as KVM's range walkers
 * take them, so an event needs a handful of actions whatever its size.
 */
#ifndef PMEM_POLICY_MMU_H
#define PMEM_POLICY_MMU_H

#include "types.h"
#include "level.h"

struct pmp_vm;
struct pmp_fault;

/**
 * enum pmp_action_type - what the caller does.
 * @PMP_ACT_PIN: take a pin on every page of the range (SEV).
 * @PMP_ACT_UNPIN: release the pin of every page of the range.
 * @PMP_ACT_ZAP: remove every leaf intersecting the range.
 * @PMP_ACT_SPLIT: split in place every leaf intersecting the range that is
 *	larger than @level, until those leaves are at most @level.
 * @PMP_ACT_BLOCK: make the leaves at @level in the range non-present,
 *	contents kept (TDH.MEM.RANGE.BLOCK; a plain zap elsewhere).  Before a
 *	promote to level L, the range's leaves at L - 1 are blocked.
 * @PMP_ACT_UNBLOCK: make them present again.
 * @PMP_ACT_TRACK: TLB tracking and flush, so blocked leaves can change
 *	(TDH.MEM.TRACK plus IPIs).
 * @PMP_ACT_DEMOTE: turn each blocked leaf at @level in the range into
 *	leaves one level smaller (TDH.MEM.PAGE.DEMOTE; PSMASH+split on SNP).
 * @PMP_ACT_PROMOTE: merge the leaves of the range into one leaf at @level
 *	(TDH.MEM.PAGE.PROMOTE; zap and re-fault elsewhere).
 * @PMP_ACT_FLUSH: flush the TLBs for the range.
 * @PMP_ACT_MAP: install the faulting leaf at @level over the range,
 *	replacing smaller leaves there (TDH.MEM.PAGE.AUG for TDX private).
 * @PMP_ACT_INVALIDATE: a punch: remove every leaf intersecting the range and
 *	free its backing; @order is the order of the folio(s) it lies in.
 * @PMP_ACT_NR: number of action types.
 */
enum pmp_action_type {
	PMP_ACT_PIN,
	PMP_ACT_UNPIN,
	PMP_ACT_ZAP,
	PMP_ACT_SPLIT,
	PMP_ACT_BLOCK,
	PMP_ACT_UNBLOCK,
	PMP_ACT_TRACK,
	PMP_ACT_DEMOTE,
	PMP_ACT_PROMOTE,
	PMP_ACT_FLUSH,
	PMP_ACT_MAP,
	PMP_ACT_INVALIDATE,
	PMP_ACT_NR,
};

/**
 * enum pmp_cause - the event an action comes from.
 * @PMP_CAUSE_FAULT: a fault being mapped.
 * @PMP_CAUSE_LAUNCH: launch-time pinning.
 * @PMP_CAUSE_CONVERT: a private/shared conversion.
 * @PMP_CAUSE_ACCEPT: a guest ACCEPT (TDX) or PVALIDATE (SNP).
 * @PMP_CAUSE_DIRTY_LOG: dirty logging turned on.
 * @PMP_CAUSE_PUNCH: a hole punched in the backing.
 * @PMP_CAUSE_VTL_PROT: a VTL protection change.
 * @PMP_CAUSE_WRITE_TRACK: write tracking turned on.
 * @PMP_CAUSE_ZAP: a zap requested by the caller (see enum pmp_zap_reason).
 * @PMP_CAUSE_MERGE: a merge tick or a fault on a blocked range.
 * @PMP_CAUSE_TEARDOWN: VM teardown.
 * @PMP_CAUSE_NR: number of causes.
 */
enum pmp_cause {
	PMP_CAUSE_FAULT,
	PMP_CAUSE_LAUNCH,
	PMP_CAUSE_CONVERT,
	PMP_CAUSE_ACCEPT,
	PMP_CAUSE_DIRTY_LOG,
	PMP_CAUSE_PUNCH,
	PMP_CAUSE_VTL_PROT,
	PMP_CAUSE_WRITE_TRACK,
	PMP_CAUSE_ZAP,
	PMP_CAUSE_MERGE,
	PMP_CAUSE_TEARDOWN,
	PMP_CAUSE_NR,
};

/* struct pmp_action's @vtl for an action that concerns every VTL's page tables. */
#define PMP_VTL_ALL 0xff

/**
 * struct pmp_action - one step for the caller.
 * @type: enum pmp_action_type.
 * @level: the leaf level the action is about (PMP_LEVEL_*), 0 if none.
 * @cause: enum pmp_cause.
 * @order: INVALIDATE: the folio order hint (0, 9, 18); else 0.
 * @attr_filter: ZAP: which leaves of the range go (enum pmp_zap_filter,
 *	KVM's kvm_gfn_range.attr_filter: SHARED, PRIVATE or BOTH); else 0.
 * @vtl: whose page tables the action concerns.  Each VTL (Hyper-V VSM) has
 *	its own: MAP, PROMOTE, the BLOCK/TRACK/UNBLOCK of a merge, and the
 *	splits and zaps of a VTL protection change name the one VTL (0 for a
 *	VM with one VTL).  PMP_VTL_ALL (0xff) means every VTL's page tables:
 *	conversions, punches, zaps (MMU notifier, memslots, teardown...),
 *	write tracking, dirty logging and accepts; and the actions that
 *	concern no page table (PIN, UNPIN, INVALIDATE's freeing, FLUSH).
 *	Added in place of padding in 0.2: the layout is unchanged, and a
 *	caller that never looks at it is right for a VM with one VTL.
 * @pad: zero.
 * @gfn: first frame of the range.
 * @npages: pages in the range.
 */
struct pmp_action {
	uint8_t type;
	uint8_t level;
	uint8_t cause;
	uint8_t order;
	uint8_t attr_filter;
	uint8_t vtl;
	uint8_t pad[2];
	uint64_t gfn;
	uint64_t npages;
};

/**
 * struct pmp_actions - a caller-owned array the library appends to.
 * @buf: the array.
 * @cap: its length.
 * @nr: entries used; calls append after them and never touch the others.
 */
struct pmp_actions {
	struct pmp_action *buf;
	uint32_t cap;
	uint32_t nr;
};

/* Room every event call wants in a struct pmp_actions. */
#define PMP_EVENT_ACTIONS 16
/*
 * pmp_accept() wants more in a VM with @nr_vtls > 1: each VTL's page tables
 * may complete a promote (merge=fault), 6 actions each.
 */
#define PMP_ACCEPT_ACTIONS(nr_vtls) (PMP_EVENT_ACTIONS + 6 * ((nr_vtls) - 1))

/**
 * pmp_map() - a fault is being mapped at @level.  Exclusive; O(1) for 4 KiB.
 * @vm: the VM.
 * @fault: the fault, as given to pmp_max_level().
 * @level: the level the caller maps it at, at most what pmp_max_level()
 *	allows now.
 * @out: where the actions go.
 *
 * The actions, in order: PIN runs for pages not yet pinned (per the
 * policy), then MAP of the leaf, then a promote if this fault completes a
 * fully mapped, eligible 2 MiB range (merge=fault).  A fault on a range a
 * merge tick blocked gets PROMOTE (if eligible at 2 MiB) or UNBLOCK instead
 * of MAP: its leaves are there, only not present.
 *
 * Return: 0; -EINVAL as pmp_max_level() or for a @level above what it
 * allows; -ENOMEM when pinning would pass the pin limit or the pool is
 * exhausted (a clean refusal of the fault: no state but the decision
 * counters changed); -ENOSPC when @out has no room.
 */
PMP_API int pmp_map(struct pmp_vm *vm, const struct pmp_fault *fault, int level,
		    struct pmp_actions *out);

/**
 * pmp_map_shared() - pmp_map() of a 4 KiB leaf where recording it is one
 * bit, concurrently with other faults.  O(1).
 * @vm: the VM.
 * @fault: the fault, as given to pmp_max_level(), mapped at 4 KiB.
 * @out: where the MAP action goes (one entry).
 *
 * Concurrent with other pmp_map_shared() calls and with pmp_max_level()
 * and pmp_level_query() (a fault path under mmu_lock held for read, each
 * vCPU with its own @fault->vcpu); exclusive against every other call,
 * which must not run meanwhile (reads of leaves, pmp_leaf_level(), and
 * pmp_vm_check() included: they read the words it sets).  It records the
 * common leaf of a fault: VTL 0, a chunk whose 4 KiB leaves are already
 * recorded in a mixed block and that is a merge candidate, nothing to pin,
 * no deferred punch, no merge at fault time.  It then sets the page's bit
 * with a compare-and-swap, appends the one MAP action pmp_map() would and
 * counts it in the vCPU's counters; state, actions and counters are then
 * exactly what pmp_map() at PMP_LEVEL_4K gives.  A bit that completes a
 * 64-page word of the block is set so only while a higher word of the
 * block is not full (then no set of concurrent records can make the block
 * uniform, which only pmp_map() settles).  Anything else, including such
 * a bit with every higher word full, is left to pmp_map() with the VM
 * held exclusively.  Since 0.3.
 *
 * Return: 0 when recorded; 1 when nothing changed and pmp_map() must do it
 * (with the VM held exclusively); -EINVAL (or -ENOENT) as pmp_max_level()
 * for a bad @fault, nothing changed.
 */
PMP_API int pmp_map_shared(struct pmp_vm *vm, const struct pmp_fault *fault,
			   struct pmp_actions *out);

/**
 * pmp_map_shared_4k() - pmp_map_shared() for the fault path: the fault as
 * scalars, no action array.  Concurrent as pmp_map_shared(); O(1).
 * @vm: the VM.
 * @slot: the fault's memslot id.
 * @gfn: the faulting guest frame, mapped at 4 KiB in VTL 0.
 * @flags: PMP_FAULT_*.
 * @backing_order: as struct pmp_fault's.
 * @vcpu: the counter set to count the leaf in, below nr_vcpus.
 *
 * pmp_map_shared() of the fault { @gfn, @slot, @flags, @vcpu, VTL 0,
 * @backing_order, accept level 0 } with room for its action: the same
 * state, counters and return, but no struct pmp_fault to build and check
 * and no action to write: 0 says what pmp_map_shared()'s one MAP action
 * would (map the leaf).  A kernel's fault hook, which knows the leaf is
 * 4 KiB and needs nothing of the action, calls this on every fault.
 * Since 0.5.
 *
 * Return: 0 when recorded (map the leaf); 1 when nothing changed and
 * pmp_map() must do it (with the VM held exclusively); -EINVAL (bad
 * @flags, @backing_order, @vcpu or @slot, @gfn outside the memslot) or
 * -ENOENT (no such memslot), nothing changed.
 */
PMP_API int pmp_map_shared_4k(struct pmp_vm *vm, uint32_t slot, uint64_t gfn, uint32_t flags,
			      unsigned int backing_order, uint32_t vcpu);

/**
 * pmp_fault_map() - decide a fault and record it, in one call.  Exclusive;
 * O(1) for 4 KiB.
 * @vm: the VM.
 * @fault: the fault, as for pmp_max_level().
 * @max_level: the largest level the caller may map it at (PMP_LEVEL_1G:
 *	no limit of its own); the leaf is the smaller of this and what
 *	pmp_max_level() allows.
 * @why: if not NULL, set to pmp_max_level()'s reason for its level (also
 *	when the record then fails).
 * @out: where the actions go, as for pmp_map().
 *
 * Exactly pmp_max_level() then pmp_map() at that level: the same decision
 * counted the same way, the same actions, state and counters, the same
 * errors; but the fault is validated, and its memslot found, once.  The
 * fault path's leaner half of the API: a caller whose leaf size is known
 * before it asks (KVM's own cap, the host mapping level) saves the second
 * call's checks.  Since 0.3.
 *
 * Return: the level recorded (PMP_LEVEL_4K..PMP_LEVEL_1G); -EINVAL for a
 * @max_level out of range (counting nothing) or a fault pmp_max_level()
 * refuses; -ENOENT as pmp_max_level(); -ENOMEM, -ENOSPC, -EBUSY as
 * pmp_map(), the decision counted.
 */
PMP_API int pmp_fault_map(struct pmp_vm *vm, const struct pmp_fault *fault, int max_level,
			  enum pmp_reason *why, struct pmp_actions *out);

/**
 * pmp_pin_range() - pin a launch region (SEV KVM_MEMORY_ENCRYPT_REG_REGION).
 * Exclusive.
 * @vm: the VM.
 * @gfn: first frame.
 * @npages: pages (> 0).
 * @out: PIN actions for the runs of pages not yet pinned; or NULL when the
 *	caller already holds every page of the range and needs no actions (a
 *	kernel that referenced a whole leaf before asking): then one call
 *	records the whole range, all or nothing, however many runs it has.
 *
 * Return: 0, -EINVAL/-ERANGE for a bad range, -ENOMEM past the pin limit or
 * with the pool exhausted (counted as a refused pin: no state but the
 * decision counters changed), -ENOSPC when @out cannot hold every run.
 */
PMP_API int pmp_pin_range(struct pmp_vm *vm, uint64_t gfn, uint64_t npages,
			  struct pmp_actions *out);

/**
 * pmp_is_pinned() - is @gfn pinned?  Shared; O(1).
 * @vm: the VM.
 * @gfn: the frame, below gfn_end.
 *
 * Return: 1, 0, or -ERANGE.
 */
PMP_API int pmp_is_pinned(const struct pmp_vm *vm, uint64_t gfn);

/**
 * pmp_nr_pinned() - pages pinned now.  Shared.
 * @vm: the VM.
 *
 * Return: the count, always equal to the pinned bits set.
 */
PMP_API uint64_t pmp_nr_pinned(const struct pmp_vm *vm);

/**
 * enum pmp_zap_reason - why the caller wants to zap.
 * @PMP_ZAP_MMU_NOTIFIER: the host unmaps the memory (migration, THP, swap).
 * @PMP_ZAP_SLOT_MOVE: a memslot moves.
 * @PMP_ZAP_SLOT_DELETE: a memslot is deleted.
 * @PMP_ZAP_RECYCLE: the shadow MMU recycles a page-table page.
 * @PMP_ZAP_NX_TOGGLE: nx_huge_pages changed at run time.
 * @PMP_ZAP_DIRTY_LOG: dirty logging write-protects the range.
 * @PMP_ZAP_TEARDOWN: the VM is going away.
 * @PMP_ZAP_NR: number of reasons.
 */
enum pmp_zap_reason {
	PMP_ZAP_MMU_NOTIFIER,
	PMP_ZAP_SLOT_MOVE,
	PMP_ZAP_SLOT_DELETE,
	PMP_ZAP_RECYCLE,
	PMP_ZAP_NX_TOGGLE,
	PMP_ZAP_DIRTY_LOG,
	PMP_ZAP_TEARDOWN,
	PMP_ZAP_NR,
};

/**
 * enum pmp_zap_filter - which leaves a zap takes, by the attribute of their
 * pages (KVM's kvm_gfn_range.attr_filter).
 * @PMP_ZAP_FILTER_KVM: the filter KVM itself uses for the reason (below).
 * @PMP_ZAP_FILTER_SHARED: leaves mapping shared pages only.
 * @PMP_ZAP_FILTER_PRIVATE: leaves mapping private pages only.
 * @PMP_ZAP_FILTER_BOTH: every leaf.
 *
 * KVM's filter and whether the core may refuse, per reason:
 *
 * ===================  ========  ==============================================
 * reason               KVM       refusal
 * ===================  ========  ==============================================
 * MMU_NOTIFIER         SHARED    never with SHARED (the notifier cannot fail);
 *                                a PRIVATE/BOTH filter on TDX accepted pages
 *                                is -EBUSY, a request KVM never makes
 * SLOT_MOVE            BOTH      -EBUSY on TDX accepted private pages (the
 *                                VMM fails the memslot update; KVM refuses to
 *                                move guest_memfd slots)
 * SLOT_DELETE          BOTH      -EBUSY on TDX accepted private pages (the
 *                                VMM fails the memslot update)
 * RECYCLE              BOTH      -EBUSY with recycle=refuse over pinned pages
 *                                and on TDX accepted private pages (the shadow
 *                                MMU recycles another page)
 * NX_TOGGLE            SHARED    never with SHARED
 * DIRTY_LOG            SHARED    never with SHARED
 * TEARDOWN             BOTH      never
 * ===================  ========  ==============================================
 *
 * A zap never needs pool room for the mirror (it degrades: "maybe
 * mapped"); only a slot delete or move that unpins part of a 2 MiB can be
 * -ENOMEM with a pool smaller than the default.
 */
enum pmp_zap_filter {
	PMP_ZAP_FILTER_KVM,
	PMP_ZAP_FILTER_SHARED,
	PMP_ZAP_FILTER_PRIVATE,
	PMP_ZAP_FILTER_BOTH,
};

/**
 * pmp_zap() - decide a zap the caller wants.  Exclusive.
 * @vm: the VM.
 * @reason: enum pmp_zap_reason.
 * @filter: enum pmp_zap_filter: the leaves it takes (0: KVM's for @reason).
 * @gfn: first frame.
 * @npages: pages (> 0).
 * @out: one ZAP action carrying the filter, if anything it covers is mapped;
 *	for SLOT_DELETE and SLOT_MOVE (filter BOTH), then UNPIN runs of the
 *	range's pinned pages.
 *
 * Pins follow host pages: a memslot's deletion or move releases its pins,
 * through this zap, which the caller makes while the old memslot still
 * names the old host pages (Nikunj Dadhania's RFC unpinned on memslot
 * free); the memslot cannot be deleted or moved while it holds pins
 * (pmp_slot_delete() is -EBUSY), and a page it maps later is pinned again
 * at its fault.  No other zap unpins (the MMU notifier, recycling, NX,
 * dirty logging: unpinning there corrupts SEV guests, seed 000); those
 * pins last until pmp_teardown().  With
 * recycle=refuse, recycling a range that holds pinned pages is refused.  On
 * TDX, accepted private pages are never zapped before teardown (their
 * contents would be lost): a zap whose filter takes private leaves over
 * them is refused; one that takes shared leaves only never is (see enum
 * pmp_zap_filter for each reason).
 *
 * Return: 0, -EBUSY (refused: no state but the decision counters changed),
 * -EINVAL/-ERANGE, -ENOSPC.
 */
PMP_API int pmp_zap(struct pmp_vm *vm, enum pmp_zap_reason reason, enum pmp_zap_filter filter,
		    uint64_t gfn, uint64_t npages, struct pmp_actions *out);

/**
 * pmp_convert() - convert a range to private or shared.  Exclusive.
 * @vm: the VM.
 * @gfn: first frame.
 * @npages: pages (> 0).
 * @private: the new attribute.
 * @out: actions: huge leaves crossing the range's edges are split only as
 *	far as needed (1G -> 2M -> 4K, only the leaf at each edge; by block,
 *	track, demote on TDX), then the range is zapped (its old-attribute
 *	pages are discarded, as KVM_SET_MEMORY_ATTRIBUTES does).  NULL when
 *	the caller reports no mappings (attribute tracking only): the call
 *	is then -ENOSPC if anything in the range is mapped or deferred.
 *
 * The one call for KVM_SET_MEMORY_ATTRIBUTES.  A conversion to private
 * over deferred punches (inval.h) flushes them first (on_conflict=flush)
 * or fails with -EBUSY (on_conflict=refuse).  A page that changes either
 * way loses its TDX/SNP acceptance: a shared page is never accepted, and
 * a private page comes back pending.  An SEV/SEV-ES VM has no private
 * memory: as KVM (which supports no memory attribute there), a conversion
 * to private is -EINVAL and one to shared is accepted.
 *
 * Return: 0; -EINVAL (empty or wrapping range, or to private on an SEV
 * VM); -ERANGE (past gfn_end);
 * -ENOMEM (pool); -EBUSY (deferred punches, on_conflict=refuse); -ENOSPC.
 * Nothing changes on error.
 */
PMP_API int pmp_convert(struct pmp_vm *vm, uint64_t gfn, uint64_t npages, bool private,
			struct pmp_actions *out);

/**
 * pmp_vtl_protect() - change a VTL's protections, with the MMU side.
 * Exclusive.
 * @vm: the VM.
 * @vtl: the VTL.
 * @gfn: first frame.
 * @npages: pages (> 0).
 * @prot: PMP_PROT_* allowed.
 * @out: as pmp_convert().
 *
 * The one call for a VTL's protections (Hyper-V's HvModifyVtlProtectionMask).
 * On TDX, a range holding accepted private pages is refused: the zap would
 * lose their contents.
 *
 * Never -ENOMEM: where the tracking pool cannot hold a 2 MiB chunk's
 * protections, the chunk becomes unknown for @vtl (its faults in @vtl get
 * 4 KiB, reason PMP_REASON_POOL) until a protection covers its whole 2 MiB.
 *
 * Return: as pmp_convert() but never -ENOMEM; -EINVAL also for a bad @vtl
 * or @prot; -EBUSY over TDX accepted pages.
 */
PMP_API int pmp_vtl_protect(struct pmp_vm *vm, unsigned int vtl, uint64_t gfn,
			    uint64_t npages, unsigned int prot, struct pmp_actions *out);

/**
 * pmp_write_track() - turn write tracking on or off, with the MMU side.
 * Exclusive.
 * @vm: the VM.
 * @gfn: first frame.
 * @npages: pages (> 0).
 * @tracked: on or off.
 * @out: SPLIT (or demote) of the huge leaves covering tracked pages; NULL
 *	when the caller reports no mappings (-ENOSPC if a split is needed).
 *
 * The one call for write tracking.  Like KVM's
 * kvm_mmu_gfn_disallow_lpage(), tracking forbids huge mappings over the
 * tracked pages.  KVM counts trackers per gfn; call this when a gfn's
 * count goes 0 -> 1 (true) or 1 -> 0 (false).  Never -ENOMEM: as
 * pmp_vtl_protect(), a chunk the pool cannot hold becomes unknown (read
 * as tracked) until an update covers its whole 2 MiB.
 *
 * Return: 0, -EINVAL, -ERANGE, -ENOSPC; nothing changes on error.
 */
PMP_API int pmp_write_track(struct pmp_vm *vm, uint64_t gfn, uint64_t npages, bool tracked,
			    struct pmp_actions *out);

/**
 * pmp_accept() - the guest accepted (TDX) or validated (SNP) a range.
 * Exclusive.
 * @vm: the VM.
 * @gfn: first frame, aligned to @level.
 * @level: the level the guest accepted at.
 * @out: where a leaf larger than @level covers the range, the split the
 *	size mismatch forces (cause PMP_CAUSE_ACCEPT), which must happen
 *	before the guest's accept can succeed; then, with merge=fault, a
 *	promote the accept completes (cause PMP_CAUSE_MERGE), for after it.
 *
 * Every VTL's page tables: the split concerns them all (PMP_VTL_ALL), and
 * each VTL's promote names its VTL.  Needs PMP_ACCEPT_ACTIONS(nr_vtls)
 * entries of room (PMP_EVENT_ACTIONS with one VTL).
 *
 * A 4 KiB accept inhibits 2 MiB for its range.  With inhibit=oneway the
 * inhibit stays; with inhibit=clear it is lifted once every page of the
 * 2 MiB range is accepted and its attributes are uniform, making the range a
 * merge candidate again.
 *
 * Return: 0, -EINVAL (bad level or alignment), -ERANGE, -ENOMEM, -ENOSPC.
 */
PMP_API int pmp_accept(struct pmp_vm *vm, uint64_t gfn, int level, struct pmp_actions *out);

/**
 * pmp_dirty_log() - turn dirty logging of a memslot on or off.  Exclusive.
 * @vm: the VM.
 * @slot: the memslot.
 * @on: on or off.
 * @out: on: one SPLIT of the slot to 4 KiB (eager split), or the TDX
 *	block/track/demote sequence.  Off: nothing; the split ranges are merge
 *	candidates again and the merge strategy brings them back.
 *
 * Return: 0, -EINVAL, -ENOENT, -ENOSPC.
 */
PMP_API int pmp_dirty_log(struct pmp_vm *vm, uint32_t slot, bool on, struct pmp_actions *out);

/**
 * pmp_merge_tick() - one period of the background merge worker.  Exclusive.
 * @vm: the VM.
 * @out: PROMOTE (SCAN) or BLOCK (BLOCKED) actions, with the TDX block and
 *	track steps a promote needs.
 *
 * Goes on from where the last tick stopped, visiting only candidates (2 MiB
 * ranges with 4 KiB leaves in a VTL's page tables, from an index the VTLs
 * share) and the 1 GiB ranges it passes, at most scan_budget of those
 * units, and acts on at most ceil(candidates / scan_ratio) of them, like
 * KVM's NX recovery worker.  A candidate qualifies when it is fully mapped
 * in its VTL, eligible for 2 MiB in that VTL (attributes, that VTL's
 * protections, tracking, dirty logging, memslot edges and alignment,
 * inhibit, a 2 MiB host folio seen) and, on TDX/SNP private memory, fully
 * accepted.  Fully 2 MiB-mapped 1 GiB ranges of a VTL are promoted the
 * same way, where a 1 GiB host folio was seen (without one a tick decides
 * nothing there).  Each action names the VTL it merges.  Does nothing with
 * merge=none or merge=fault.
 *
 * Return: the units visited (the scan work), or -ENOSPC.
 */
PMP_API int pmp_merge_tick(struct pmp_vm *vm, struct pmp_actions *out);

/**
 * pmp_promote() - promote one 2 MiB range of VTL 0's page tables now, if
 * the rules allow (other VTLs' ranges merge by tick or fault).  Exclusive.
 * @vm: the VM.
 * @gfn: any frame of the range.
 * @out: the actions.
 *
 * Return: 0; -EAGAIN when the range is not fully mapped, or its private
 * pages are partly pending and partly accepted (TDX PROMOTE would fail);
 * -EBUSY when it is not eligible for 2 MiB; -EEXIST when it already is one
 * leaf; -ERANGE, -ENOSPC.
 */
PMP_API int pmp_promote(struct pmp_vm *vm, uint64_t gfn, struct pmp_actions *out);

/**
 * pmp_teardown() - unmap and unpin everything, resumably.  Exclusive.
 * @vm: the VM.
 * @cursor: 0 on the first call; the library advances it, and a resumed
 *	call must pass back exactly what the last one left there (the VM
 *	remembers it): any other value would skip a step.  0 starts over.
 * @out: at least 2 free entries: the first call invalidates deferred punches
 *	and zaps everything, then UNPIN runs follow.
 *
 * Return: 0 when done (the pinned count is then 0), 1 when @out filled up
 * and the call must be repeated with the same @cursor, -EINVAL for a NULL
 * @cursor or one the last call did not return (a cursor past the span
 * included), -ENOSPC with fewer than 2 free entries.
 */
PMP_API int pmp_teardown(struct pmp_vm *vm, uint64_t *cursor, struct pmp_actions *out);

/**
 * pmp_leaf_level() - the level of the leaf the mirror says covers @gfn in
 * VTL 0's page tables (pmp_vtl_leaf_level() for the others).  Shared; O(1).
 * @vm: the VM.
 * @gfn: the frame.
 *
 * Return: PMP_LEVEL_*, 0 if unmapped, -ERANGE.  PMP_LEVEL_4K also where
 * the mirror's 2 MiB bitmap did not fit the pool (maybe a 4 KiB leaf:
 * struct pmp_page_attrs, PMP_ATTR_UNKNOWN_MAPPED).
 */
PMP_API int pmp_leaf_level(const struct pmp_vm *vm, uint64_t gfn);

/**
 * pmp_vtl_leaf_level() - the level of the leaf covering @gfn in VTL @vtl's
 * page tables, as the mirror records it.  Shared; O(1).
 * @vm: the VM.
 * @vtl: the VTL, below nr_vtls.
 * @gfn: the frame.
 *
 * Each VTL has its own page tables, so its own leaves: VTL 0 can map a
 * range at 2 MiB while VTL 1 maps it at 4 KiB.
 *
 * Return: PMP_LEVEL_*, 0 if unmapped, -ERANGE, -EINVAL for a bad @vtl.
 * PMP_LEVEL_4K also for "maybe a 4 KiB leaf", as pmp_leaf_level() says.
 */
PMP_API int pmp_vtl_leaf_level(const struct pmp_vm *vm, unsigned int vtl, uint64_t gfn);

/**
 * pmp_action_name() - "pin", "zap", ...
 * @type: enum pmp_action_type.
 *
 * Return: a static string; "?" for an unknown value.
 */
PMP_API const char *pmp_action_name(unsigned int type);

/**
 * pmp_cause_name() - "fault", "convert", ...
 * @cause: enum pmp_cause.
 *
 * Return: a static string; "?" for an unknown value.
 */
PMP_API const char *pmp_cause_name(unsigned int cause);

#endif /* PMEM_POLICY_MMU_H */
