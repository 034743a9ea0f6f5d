/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * pmp-replay: the memslots of the traced VM, as the core holds them after
 * each event.  Policy-independent, so the replay keeps one table for all
 * its policies and the oracle: it finds the slot of an ACCEPT's implied
 * fault and sums the guest memory coverage is a share of.
 */
#ifndef PMP_REPLAY_SLOTS_H
#define PMP_REPLAY_SLOTS_H

#include <pmem_policy/pmem_policy.h>
#include <pmem_policy/trace.h>

/* Slot ids a trace may use (KVM's are below 32768; VMMs use a few dozen). */
#define RP_MAX_SLOTS 512

struct rp_slots {
	struct pmp_slot slot[RP_MAX_SLOTS];	/* defined where used[]: slots_init() leaves it */
	bool used[RP_MAX_SLOTS];
	uint64_t pages;		/* guest memory: pages in all slots */
	uint32_t nr_ids;	/* ids in use are below this */
	int hint;		/* the slot slots_find() found last */
};

/* An empty table: used[] and the counts zeroed, not slot[] (20 KiB no one reads unused). */
void slots_init(struct rp_slots *s);

/*
 * After a SLOT_ADD, SLOT_DELETE, SLOT_MOVE or DIRTY_LOG event went to the
 * core @vm: the event's slot as @vm now holds it, so a change the core
 * refused (an overlap, a range past gfn_end, an id in use) is not in the
 * table either.  With @vm NULL the event is taken as it says.
 */
void slots_event(struct rp_slots *s, const struct pmp_trace_event *ev,
		 const struct pmp_vm *vm);

/* The slot holding @gfn, or -1.  O(1) when it is the last one found, else O(ids). */
int slots_find(struct rp_slots *s, uint64_t gfn);

#endif /* PMP_REPLAY_SLOTS_H */
