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

struct drv {
	struct pmp_vm *vm;
	struct sim *s;
	struct pmp_action buf[DRV_ACTIONS];
	struct pmp_actions acts;
	uint64_t refusals;
	bool trace;		/* print every call and its actions */
	char args[96];
	char error[384];
};

void drv_init(struct drv *d, struct pmp_vm *vm, struct sim *s);

/* A guest access at @gfn: a fault unless a present leaf covers it. */
int drv_access(struct drv *d, uint64_t gfn, int accept_level, bool smaller);
/* TDG.MEM.PAGE.ACCEPT / PVALIDATE of a private range: fault, split, accept, promote. */
int drv_accept(struct drv *d, uint64_t gfn, int level);
int drv_convert(struct drv *d, uint64_t gfn, uint64_t n, bool private);
int drv_punch(struct drv *d, uint64_t gfn, uint64_t n, const struct pmp_folios *folios);
int drv_write_track(struct drv *d, uint64_t gfn, uint64_t n, bool on);
int drv_vtl_protect(struct drv *d, unsigned int vtl, uint64_t gfn, uint64_t n, unsigned int prot);
int drv_dirty_log(struct drv *d, uint32_t slot, bool on);
int drv_zap(struct drv *d, enum pmp_zap_reason reason, uint64_t gfn, uint64_t n);
int drv_tick(struct drv *d);
int drv_pin_range(struct drv *d, uint64_t gfn, uint64_t n);
int drv_promote(struct drv *d, uint64_t gfn);
int drv_flush(struct drv *d);
/* Teardown with an array of @cap entries, resuming until done. */
int drv_teardown(struct drv *d, uint32_t cap);

/* Core and simulator agree (every @stride-th page; 1 checks all leaves too). */
int drv_compare(struct drv *d, uint64_t stride);

#endif /* PMP_SIM_DRIVER_H */
