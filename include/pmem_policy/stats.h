/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * pmem_policy: per-VM decision counters, DAMOS-style.
 *
 * Each decision counts tried, applied and refused-per-reason; always
 * tried == applied + sum(refused).  Shared-access calls (the fault path)
 * count into the faulting vCPU's own set, so no cache line is written by
 * two CPUs; pmp_vm_stats() sums the sets.
 */
#ifndef PMEM_POLICY_STATS_H
#define PMEM_POLICY_STATS_H

#include "types.h"
#include "level.h"
#include "mmu.h"

struct pmp_vm;

/**
 * enum pmp_decision - the decisions that are counted.
 * @PMP_DECISION_MAX_LEVEL: pmp_max_level(); applied = 1 GiB granted.
 * @PMP_DECISION_PIN: pinning at a fault or a launch region.
 * @PMP_DECISION_ZAP: pmp_zap() requests.
 * @PMP_DECISION_SPLIT: huge leaves broken by an event.
 * @PMP_DECISION_MERGE: merge candidates considered (ticks, faults on
 *	blocked ranges, completed ranges, pmp_promote()).  A refusal is
 *	counted when it is decided, not on every tick that could look again:
 *	a tick parks a candidate it refuses for a lasting reason (not fully
 *	mapped, a small or punched folio, pages not accepted, a dirty-logged
 *	memslot, private and shared pages mixed) and neither looks at it
 *	nor counts it again until something that could lift the reason
 *	happens there (docs/mmu.md).
 * @PMP_DECISION_NR: number of decisions.
 */
enum pmp_decision {
	PMP_DECISION_MAX_LEVEL,
	PMP_DECISION_PIN,
	PMP_DECISION_ZAP,
	PMP_DECISION_SPLIT,
	PMP_DECISION_MERGE,
	PMP_DECISION_NR,
};

/**
 * struct pmp_decision_stats - counters of one decision.
 * @tried: decisions taken.
 * @applied: decisions that granted everything asked.
 * @refused: decisions limited, by reason (index PMP_REASON_*).
 */
struct pmp_decision_stats {
	uint64_t tried;
	uint64_t applied;
	uint64_t refused[PMP_REASON_NR];
};

/**
 * struct pmp_stats - all counters of a VM.
 * @decision: per decision (index PMP_DECISION_*).
 * @granted: max-level results by level (index PMP_LEVEL_*; 0 unused).
 * @actions: actions returned, by type (index PMP_ACT_*).
 * @promoted: promotions by level (index PMP_LEVEL_*).
 * @write_locked: events whose actions change leaves (zap, split, block,
 *	demote, promote), each of which needs mmu_lock for write in KVM.
 * @scan_work: units merge ticks visited: candidate 2 MiB ranges and 1 GiB
 *	ranges passed.
 * @pin_high_water: the most pages pinned at once.
 * @punched: pages pmp_punch() was asked to punch.
 * @invalidated: pages INVALIDATE actions covered.
 * @deferred: pages whose invalidation was deferred (once each).
 * @evicted: chunks flushed early because the deferral cap was reached.
 * @yields: long core walks (merge ticks, teardown) that stopped to yield
 *	(callers' own walks count theirs in struct pmp_yield_state).
 * @withdrawn: deferred pages whose punch a conversion back to private
 *	withdrew (on_conflict=withdraw): never invalidated.
 */
struct pmp_stats {
	struct pmp_decision_stats decision[PMP_DECISION_NR];
	uint64_t granted[4];
	uint64_t actions[PMP_ACT_NR];
	uint64_t promoted[4];
	uint64_t write_locked;
	uint64_t scan_work;
	uint64_t pin_high_water;
	uint64_t punched;
	uint64_t invalidated;
	uint64_t deferred;
	uint64_t evicted;
	uint64_t yields;
	uint64_t withdrawn;
};

/**
 * pmp_vm_stats() - sum the counters of every vCPU.  Shared.
 * @vm: the VM.
 * @out: filled.
 *
 * Concurrent faults may be counted or not; each counter is read whole.
 */
PMP_API void pmp_vm_stats(const struct pmp_vm *vm, struct pmp_stats *out);

/**
 * pmp_vm_stats_reset() - zero every counter.  Exclusive.
 * @vm: the VM.
 */
PMP_API void pmp_vm_stats_reset(struct pmp_vm *vm);

/**
 * pmp_decision_name() - short name of a decision ("max_level").
 * @decision: the decision.
 *
 * Return: a static string; "?" for an unknown value.
 */
PMP_API const char *pmp_decision_name(enum pmp_decision decision);

#endif /* PMEM_POLICY_STATS_H */
