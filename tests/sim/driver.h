/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A driver that plays a guest and its VMM against the core and the rules
 * simulator at once: each call makes the core decide, applies its actions
 * to the simulator (which checks them), and records what the guest did
 * (attributes, accepts, punches) in the simulator.  Shared by the
 * randomized MMU test and the API fuzzer.
 *
 * Every call returns 0 when the core either did the thing or refused it
 * cleanly (a refusal returns no actions), and -1 when a rule broke, with
 * the reason in d->error.
 */
#ifndef PMP_SIM_DRIVER_H
#define PMP_SIM_DRIVER_H

#include <stdbool.h>
#include <stdint.h>
#include <pmem_policy/pmem_policy.h>
#include "sim.h"

#define DRV_ACTIONS 2048

/* What a comparison of two VM states may ignore. */
#define DRV_EXEMPT_DECISIONS	1U	/* stats.decision[]: refusals are counted */
#define DRV_EXEMPT_COUNTERS	2U	/* every counter pmp_vm_stats() reports */

/* A VM's bytes, in fresh 64-byte aligned memory; free() it. */
struct pmp_vm *drv_vm_copy(const struct pmp_vm *vm);
/* Are @a and @b the same state, but for what @exempt names? */
bool drv_state_equal(const struct pmp_vm *a, const struct pmp_vm *b, unsigned int exempt);

/*
 * A core call the oracles can run again on a copy of the VM: @fn makes it
 * with the arguments here.  Resumable calls (flush, teardown) are called
 * until they return 0, with @cursor as theirs.
 */
struct drv_call {
	int (*fn)(struct pmp_vm *vm, struct drv_call *c, struct pmp_actions *out);
	const char *name;
	bool resumable;
	bool may_do_less;	/* a smaller array may do a prefix of the work (merge ticks) */
	uint64_t gfn, n, cursor;
	int level;
	unsigned int arg, arg2;
	const void *ptr;
};

/*
 * The two oracles, on a copy of @before (the state the call started from)
 * whose outcome was @ret, @acts (all the actions, resumed calls
 * concatenated) and @after:
 *   - a call that failed changed nothing but the decision counters;
 *   - the same call with an array of @cap entries either fails with
 *     -ENOSPC and changes nothing, or (resumed until done) returns the
 *     same actions in the same order and leaves the same state (counters
 *     aside for a resumed call, which counts its events per call).
 * Returns 0, or -1 with the reason in @why.
 */
int drv_oracle(const struct pmp_vm *before, const struct pmp_vm *after, struct drv_call *c,
	       int ret, const struct pmp_action *acts, uint32_t nr, uint32_t cap, char *why,
	       size_t why_len);

/* Replayable calls of the resumable entry points, for the unit tests. */
int drv_call_teardown(struct pmp_vm *vm, struct drv_call *c, struct pmp_actions *out);
int drv_call_flush(struct pmp_vm *vm, struct drv_call *c, struct pmp_actions *out);

struct drv {
	struct pmp_vm *vm;
	struct sim *s;
	struct pmp_action buf[DRV_ACTIONS];
	struct pmp_actions acts;
	uint64_t refusals;
	uint64_t maybe_mapped;	/* compared pages the core's degraded mirror says "maybe" */
	bool trace;		/* print every call and its actions */
	bool oracle;		/* run drv_oracle() on every call */
	uint64_t calls;		/* core calls made: picks the oracle's array size */
	struct pmp_vm *before;	/* the state before the call (oracle) */
	struct pmp_action *log;	/* a resumed call's actions, concatenated */
	uint32_t log_nr, log_cap;
	char args[96];
	char error[384];
};

void drv_init(struct drv *d, struct pmp_vm *vm, struct sim *s);
void drv_free(struct drv *d);

/* A guest access at @gfn: a fault unless a present leaf covers it. */
int drv_access(struct drv *d, uint64_t gfn, int accept_level, bool smaller);
/* A guest access from VTL @vtl (below the simulator's nr_vtls): its own tables. */
int drv_vtl_access(struct drv *d, unsigned int vtl, uint64_t gfn, bool smaller);
/* TDG.MEM.PAGE.ACCEPT / PVALIDATE of a private range: fault, split, accept, promote. */
int drv_accept(struct drv *d, uint64_t gfn, int level);
int drv_convert(struct drv *d, uint64_t gfn, uint64_t n, bool private);
int drv_punch(struct drv *d, uint64_t gfn, uint64_t n, const struct pmp_folios *folios);
int drv_write_track(struct drv *d, uint64_t gfn, uint64_t n, bool on);
int drv_vtl_protect(struct drv *d, unsigned int vtl, uint64_t gfn, uint64_t n, unsigned int prot);
int drv_dirty_log(struct drv *d, uint32_t slot, bool on);
int drv_zap(struct drv *d, enum pmp_zap_reason reason, enum pmp_zap_filter filter, uint64_t gfn,
	    uint64_t n);
int drv_tick(struct drv *d);
int drv_pin_range(struct drv *d, uint64_t gfn, uint64_t n);
int drv_promote(struct drv *d, uint64_t gfn);
int drv_flush(struct drv *d);
/* Teardown with an array of @cap entries, resuming until done. */
int drv_teardown(struct drv *d, uint32_t cap);

/* Core and simulator agree (every @stride-th page; 1 checks all leaves too). */
int drv_compare(struct drv *d, uint64_t stride);

#endif /* PMP_SIM_DRIVER_H */
