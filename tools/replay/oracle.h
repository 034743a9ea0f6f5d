/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * pmp-replay: the oracle, an upper bound on the guest memory any policy
 * could have mapped with 2 MiB-or-larger leaves at a point of the trace,
 * given only the hard constraints (docs/replay.md has the definition).
 *
 * It follows the events, never the core: per page the private attribute,
 * the guest's acceptance and each VTL's protections; per 2 MiB which VTLs
 * touched it and the largest host folio a fault there reported.
 * Events mark the chunks they change; oracle_pages() re-evaluates only
 * those and keeps a count per 1 GiB range of the chunks that count, so
 * following a trace costs O(1) per fault and a sample costs the chunks
 * that changed since the last (plus a pass over a 1 GiB range only where
 * a fault reported a 1 GiB folio).
 */
#ifndef PMP_REPLAY_ORACLE_H
#define PMP_REPLAY_ORACLE_H

#include <pmem_policy/pmem_policy.h>
#include <pmem_policy/trace.h>
#include "arena.h"
#include "slots.h"

struct oracle {
	uint32_t vm_type, nr_vtls;
	uint64_t gfn_end;	/* the VM's: the core refuses a range past it */
	bool private_mem;	/* the VM has private memory: else conversions to it are refused */
	uint64_t pages, chunks, giants;
	uint16_t *attr;		/* OA_* per page, of the chunks with OC_PAGES */
	/*
	 * Per chunk with OC_ODD (oracle.c): a page of it (1-511) that attr[]
	 * has unlike its first under every VTL's leaf mask, so no 2 MiB leaf
	 * fits there while neither changes (each writer of attr[] drops
	 * OC_ODD when it writes either page; oracle_check())
	 */
	uint16_t *odd;
	uint16_t *cattr;	/* OA_* of every page of a chunk without OC_PAGES */
	uint16_t *chunk;	/* OC_* per chunk */
	uint8_t *order;		/* largest folio order a fault reported, OR_UNKNOWN if none */
	uint16_t *sig;		/* an eligible chunk's attributes, for 1 GiB uniformity */
	uint8_t *fit;		/* OF_* per chunk: its memslot's verdict, until a memslot changes */
	uint8_t *giant_order;
	uint16_t *giant_dirty;	/* OG_*: what of the 1 GiB range changed since evaluated */
	uint8_t *giant_whole;	/* its 1 GiB check, when last made, found a 1 GiB leaf possible */
	uint64_t *dirty;	/* per chunk, 8 words a 1 GiB range: changed since evaluated */
	uint32_t *giant_small;	/* per 1 GiB range: its chunks that count (OC_COUNTED) */
	uint64_t *giant_pages;	/* what each 1 GiB range contributes */
	uint16_t guarded;	/* OA_ACCEPTED for TDX and SNP (their private memory), else 0 */
	uint8_t vtls;		/* VTLs that touched memory: bit v for VTL v, set before any OC_TOUCHED(v) */
	uint64_t total;
	bool torn_down;
	struct rp_slots *slots;
};

#define OR_UNKNOWN 0xff

/* Per chunk (oracle.c has the rest of the OC_* bits); bit v of each 3-bit field is VTL v. */
#define OC_TOUCHED(v)	(0x1U << (v))	/* VTL v touched the chunk */
#define OC_SHARED_FAULT	0x80U		/* a fault without the private flag touched it */
#define OC_PAGES	0x4000U		/* attr[] holds its pages; else all are cattr[c] */

/* Per page (oracle.c has the rest of the OA_* bits) */
#define OA_PRIVATE	0x1

/* Sized by the VM event, its arrays in @arena (they go with it).  0 or -ENOMEM. */
int oracle_init(struct oracle *o, const struct pmp_trace_event *vm, struct rp_slots *slots,
		struct rp_arena *arena);

/*
 * Does VTL @vtl's use of the chunk holding @gfn, backed by a folio of
 * @order (OR_UNKNOWN: not said), shared when @shared (a fault without the
 * private flag: the core then aligns it as shared memory), change nothing
 * the oracle keeps?  Most touches: that VTL touched the chunk so before,
 * with a folio no larger.
 */
static inline bool oracle_touch_known(const struct oracle *o, uint64_t gfn, unsigned int order,
				      unsigned int vtl, bool shared)
{
	uint64_t c = gfn / 512;
	unsigned int need = OC_TOUCHED(vtl) | (shared ? OC_SHARED_FAULT : 0);

	/* OR_UNKNOWN + 1 wraps to 0, below every order: no folio reported yet is always news */
	return (o->chunk[c] & need) == need &&
	       (order == OR_UNKNOWN || ((uint8_t)(o->order[c] + 1) > order &&
					(uint8_t)(o->giant_order[gfn / (512 * 512)] + 1) > order));
}

/*
 * Follow one event, before the slot table changes (@ev's old slot is still
 * there for delete and move) and again after (@after true).  A fault of
 * which oracle_touch_known() is true changes nothing: its caller may skip it.
 */
void oracle_event(struct oracle *o, const struct pmp_trace_event *ev, bool after);

/* oracle_event() of an accept (@ev's type), before and after in one: it changes no memslot. */
void oracle_accept(struct oracle *o, const struct pmp_trace_event *ev);

/*
 * Is page @gfn (below the arrays' span) private, by the conversions the
 * oracle followed: those inside the VM, the ones the core does not refuse
 * for their arguments.
 */
static inline bool oracle_private(const struct oracle *o, uint64_t gfn)
{
	uint64_t c = gfn / 512;

	return (o->chunk[c] & OC_PAGES ? o->attr[gfn] : o->cattr[c]) & OA_PRIVATE;
}

/* Pages the oracle maps huge now. */
uint64_t oracle_pages(struct oracle *o);

/*
 * Are the oracle's summaries what they say: every marked chunk's word of
 * dirty[] flagged in giant_dirty[], every chunk's odd page unlike its
 * first?  0 or -EUCLEAN.
 */
int oracle_check(const struct oracle *o);

#endif /* PMP_REPLAY_ORACLE_H */
