/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A deterministic simulator of the page tables and hardware rules the
 * core's actions must obey: a generic KVM MMU (normal and SEV VMs), TDX's
 * Secure EPT (PENDING/ACCEPTED pages, BLOCK/UNBLOCK/TRACK, DEMOTE/PROMOTE
 * preconditions, TDX_OPERATION_BUSY on demand, a size mismatch when a
 * leaf is larger than the guest's accept) and SNP's RMP page size (modelled
 * as the size of the leaf mapping private memory, so PVALIDATE at 4 KiB
 * inside a 2 MiB entry needs a PSMASH, i.e. a DEMOTE).
 *
 * It models every VTL's page tables and protections (sim_set_vtls(); one
 * VTL unless told): an action naming VTL v applies to v's tables, one
 * naming PMP_VTL_ALL to the tables of every VTL the VM has, and each rule
 * below holds per VTL (a huge leaf is checked against the protections of
 * the VTL whose tables hold it).
 *
 * It knows the guest's attributes, accepts, pins and host folios from the
 * test driver, never from the core, and checks after every action:
 *   - a leaf never exceeds its host folio or an inhibiting 4 KiB accept;
 *   - a huge leaf never covers mixed attributes, tracked pages, a dirty
 *     logged or misaligned memslot;
 *   - no accepted private page is zapped before teardown, except inside a
 *     conversion or punch of that very page;
 *   - no page is pinned twice or unpinned before teardown;
 *   - an invalidation only frees pages that were punched (when the driver
 *     tracks punches), and a FLUSH covers them before the call's list ends
 *     (teardown excepted: the VM is gone);
 *   - TDX DEMOTE/PROMOTE find their leaves blocked and tracked, PROMOTE
 *     finds all 512 pages mapped and accepted.
 */
#ifndef PMP_SIM_H
#define PMP_SIM_H

#include <stdint.h>
#include <pmem_policy/pmem_policy.h>

#define SIM_MAX_SLOTS 8

/* Per-page attribute bits the driver reports (as the core's planes). */
#define SA_PRIVATE 0x01
#define SA_WTRACK 0x02
#define SA_VTL0 0x1c	/* VTL 0 denied R/W/X */

struct sim {
	int vm_type;
	uint64_t pages, chunks, giants;
	/* leaves: 0 none, 1 present, >= 2 blocked at that TLB epoch */
	uint32_t *pte4, *pte2, *pte1;	/* the view: VTL @vtl's tables below */
	uint32_t *vpte4[PMP_MAX_VTLS], *vpte2[PMP_MAX_VTLS], *vpte1[PMP_MAX_VTLS];
	uint32_t nr_vtls;	/* 1..PMP_MAX_VTLS: tables allocated below it */
	uint32_t vtl;		/* the VTL of the view; VTL 0 between actions */
	uint8_t *deny[PMP_MAX_VTLS];	/* VTL v >= 1: SA_VTL0-shaped denials per page */
	uint32_t epoch;
	/*
	 * Does the core only know that VTL @vtl may map @gfn (its mirror's
	 * bitmap did not fit the pool)?  Then an UNBLOCK of that chunk may
	 * find no leaf: a range unblock with nothing blocked is a no-op, and
	 * the core could not know.  NULL: never (the driver sets it).
	 */
	bool (*maybe_mapped)(void *ctx, unsigned int vtl, uint64_t gfn);
	void *maybe_ctx;
	uint64_t maybe_unblocks;	/* UNBLOCKs that found nothing, so allowed */
	uint8_t *attr;		/* SA_* per page */
	uint8_t *accepted;	/* 0 pending, else the level it was accepted at */
	uint8_t *pins;		/* pin count per page: 0 or 1 */
	uint8_t *folio;		/* host folio order per chunk: 0, 9 or 18 */
	uint8_t *inhibit;	/* per chunk: a 4 KiB accept forbids 2 MiB here */
	uint8_t *punch_wanted;	/* if set: pages punched and not yet invalidated */
	uint32_t *data;		/* if set: a page's contents (0 after a punch) */
	uint8_t *stale;		/* invalidated, its TLB entries not yet flushed */
	uint64_t nr_stale;	/* pages with @stale set: 0 at the end of every call */
	struct pmp_slot slot[SIM_MAX_SLOTS];
	uint8_t in_use[SIM_MAX_SLOTS];
	int inhibit_clear;	/* the policy lifts the inhibit when it may */
	uint32_t busy_percent;	/* inject TDX_OPERATION_BUSY on this share of SEAMCALLs */
	uint64_t rng;
	/* what happened */
	uint64_t nr_pinned, busy, seamcalls, faults, invalidations;
	char error[256];
};

void sim_init(struct sim *s, int vm_type, uint64_t pages);
void sim_free(struct sim *s);
/* The VM has @n VTLs (1..PMP_MAX_VTLS); call once, right after sim_init(). */
void sim_set_vtls(struct sim *s, uint32_t n);

/* Apply one action: 0, -EBUSY (injected; retry it) or -1 (a rule broken, see error). */
int sim_apply(struct sim *s, const struct pmp_action *a);
/* Apply a list, retrying injected BUSY; -1 on a broken rule. */
int sim_apply_all(struct sim *s, const struct pmp_actions *acts);

int sim_leaf_level(const struct sim *s, uint64_t gfn);
int sim_leaf_state(const struct sim *s, uint64_t gfn);	/* 0 none, 1 present, 2 blocked */
/* The same in VTL @vtl's tables (below nr_vtls). */
int sim_vtl_leaf_level(const struct sim *s, uint32_t vtl, uint64_t gfn);
/* VTL @vtl (below nr_vtls) allows @prot (PMP_PROT_*) on the pages. */
void sim_set_prot(struct sim *s, uint32_t vtl, uint64_t gfn, uint64_t n, unsigned int prot);

/* Driver-side facts. */
void sim_set_attr(struct sim *s, uint64_t gfn, uint64_t n, uint8_t mask, uint8_t value);
void sim_accept(struct sim *s, uint64_t gfn, int level);
void sim_unaccept(struct sim *s, uint64_t gfn, uint64_t n);

/* Check every huge leaf intersecting the range against the rules; -1 if broken. */
int sim_check_leaves(struct sim *s, uint64_t gfn, uint64_t n);

#endif /* PMP_SIM_H */
