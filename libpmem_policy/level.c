// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The fault-time large-page decision.  O(1): one memslot, one 2 MiB
 * descriptor, one 1 GiB summary.  Every check is monotone in the level (what
 * stops 2 MiB stops 1 GiB), so one pass in check order keeps a running
 * limit: a check that allows less than the limit lowers it and becomes the
 * reason, which is then the first check (in order) to stop the level above
 * the answer.  The pass ends as soon as the limit is 4 KiB.
 */
#include "internal.h"

#define WTRACK PMP_BIT(PMP_PLANE_WTRACK)
#define PRIVATE PMP_BIT(PMP_PLANE_PRIVATE)

/*
 * Largest level whose naturally aligned range around @gfn lies in the slot:
 * two unsigned range checks against the aligned interiors that
 * pmp_slot_prepare() computed.
 */
static inline int fit_level(const struct pmp_slot_state *st, uint64_t gfn)
{
	if (gfn - st->fit_lo[1] < st->fit_len[1])
		return PMP_LEVEL_1G;
	return gfn - st->fit_lo[0] < st->fit_len[0] ? PMP_LEVEL_2M : PMP_LEVEL_4K;
}

/* Largest level at which gfn and backing offset agree (KVM's ugfn rule). */
static int align_level(uint64_t base_gfn, uint64_t offset)
{
	uint64_t diff = base_gfn ^ (offset >> PMP_PAGE_SHIFT);

	if (!(diff & ((1ULL << PMP_GIANT_SHIFT) - 1)))
		return PMP_LEVEL_1G;
	return diff & (PMP_CHUNK_PAGES - 1) ? PMP_LEVEL_4K : PMP_LEVEL_2M;
}

/*
 * Cache what a slot's edges and alignment allow, when it is created or
 * moved: the gfns whose aligned 2 MiB ([0]) and 1 GiB ([1]) lie inside it,
 * as [fit_lo, fit_lo + fit_len), and the largest level alignment allows a
 * shared ([0]) and a private ([1]) fault.  [1] equals [0] unless the slot
 * has a guest_memfd, so the fault path indexes it with the private flag.
 */
void pmp_slot_prepare(struct pmp_slot_state *st)
{
	const struct pmp_slot *s = &st->slot;
	int shared = align_level(s->base_gfn, s->userspace_addr), private = shared, i;

	for (i = 0; i < 2; i++) {
		uint64_t size = i ? PMP_GIANT_PAGES : PMP_CHUNK_PAGES;
		uint64_t lo = (s->base_gfn + size - 1) & ~(size - 1);
		uint64_t hi = (s->base_gfn + s->npages) & ~(size - 1);

		st->fit_lo[i] = lo;
		st->fit_len[i] = hi > lo ? hi - lo : 0;
	}

	if (s->flags & PMP_SLOT_GUEST_MEMFD) {
		int gmem = align_level(s->base_gfn, s->gmem_offset);

		private = gmem < shared ? gmem : shared;
	}
	st->align_level[0] = (uint8_t)shared;
	st->align_level[1] = (uint8_t)private;
}

/* Largest level whose range holds uniform @want planes and none of @zero set. */
static int uniform_level(uint16_t uni2, uint16_t val2, uint16_t uni1, uint16_t val1,
			 uint16_t want, uint16_t zero, int lim)
{
	if (lim == PMP_LEVEL_1G && (uni1 & want) == want && !(val1 & zero))
		return PMP_LEVEL_1G;
	return (uni2 & want) == want && !(val2 & zero) ? PMP_LEVEL_2M : PMP_LEVEL_4K;
}

#define LOWER(to, r) do { \
	int _to = (to); \
	if (_to < lim) { \
		lim = _to; \
		*why = (r); \
		if (lim == PMP_LEVEL_4K) \
			return lim; \
	} \
} while (0)

/*
 * The largest level nothing stops, and what stopped the level above it.
 * Inlined into pmp_max_level(), the fault path; pmp_fault_level() below
 * serves everything else.
 */
static inline __attribute__((always_inline))
int fault_level(const struct pmp_vm *vm, const struct pmp_slot_state *st,
		const struct pmp_fault *f, uint16_t planes, enum pmp_reason *why)
{
	const struct pmp_slot *s = &st->slot;
	struct pmp_giant *g;
	/* one directory lookup for both: the descriptor and its 1 GiB summary */
	const struct pmp_chunk *c = pmp_chunk_giant(vm, f->gfn, &g);
	uint16_t uni2 = (uint16_t)~c->mixed, val2 = c->value, uni1 = 0, val1 = 0, want;
	int lim = PMP_LEVEL_1G;

	*why = PMP_REASON_NONE;
	LOWER(vm->policy.max_level, PMP_REASON_POLICY_CAP);
	if (s->flags & PMP_SLOT_DIRTY_LOG)
		LOWER(PMP_LEVEL_4K, PMP_REASON_DIRTY_LOG);
	if ((f->flags & PMP_FAULT_EXEC) && vm->policy.nx_huge_pages)
		LOWER(PMP_LEVEL_4K, PMP_REASON_NX_HUGE_PAGE);
	/* a folio with deferred punches is being taken apart: never huge */
	LOWER(f->backing_order >= 18 && !g->nr_deferred ? PMP_LEVEL_1G :
	      f->backing_order >= 9 && !(c->blocks & PMP_CF_DEFERRED) ? PMP_LEVEL_2M :
	      PMP_LEVEL_4K, PMP_REASON_BACKING_ORDER);
	if (f->accept_level)
		LOWER(f->accept_level, PMP_REASON_GUEST_ACCEPT);
	LOWER(c->blocks & PMP_CF_INHIBIT ? PMP_LEVEL_4K :
	      g->nr_inhibit ? PMP_LEVEL_2M : PMP_LEVEL_1G, PMP_REASON_GUEST_ACCEPT);
	LOWER(fit_level(st, f->gfn), PMP_REASON_SLOT_BOUNDARY);
	LOWER(st->align_level[!!(f->flags & PMP_FAULT_PRIVATE)], PMP_REASON_MISALIGNED);
	want = WTRACK | PRIVATE | planes;
	/* the common case: every attribute uniform, nothing write-tracked */
	if ((uni2 & want) == want && !(val2 & WTRACK)) {
		if (lim < PMP_LEVEL_1G)
			return lim;
		uni1 = g->uniform;
		val1 = g->value;
		if ((uni1 & want) == want && !(val1 & WTRACK))
			return lim;
	} else if (lim == PMP_LEVEL_1G) {
		uni1 = g->uniform;
		val1 = g->value;
	}
	/* a lossy plane the pool could not hold is unknown: mixed (planes.c) */
	if (pmp_unlikely(c->value & c->mixed & (planes | WTRACK)))
		LOWER(PMP_LEVEL_4K, PMP_REASON_POOL);
	/* something stops a level: the first check, in order, names it */
	LOWER(uniform_level(uni2, val2, uni1, val1, WTRACK, WTRACK, lim),
	      PMP_REASON_WRITE_TRACKED);
	LOWER(uniform_level(uni2, val2, uni1, val1, PRIVATE, 0, lim), PMP_REASON_MIXED_ATTRS);
	LOWER(uniform_level(uni2, val2, uni1, val1, planes, 0, lim), PMP_REASON_VTL_PROT);
	return lim;
}

int pmp_fault_level(const struct pmp_vm *vm, const struct pmp_slot *s,
		    const struct pmp_fault *f, uint16_t planes, enum pmp_reason *why)
{
	/* every slot lives in a pmp_slot_state */
	return fault_level(vm, (const struct pmp_slot_state *)s, f, planes, why);
}

/* What is wrong with a fault fault_check() refused. */
static int __attribute__((__noinline__))
fault_error(const struct pmp_vm *vm, const struct pmp_fault *f)
{
	if (f->slot >= vm->max_slots)
		return -EINVAL;
	return pmp_slots(vm)[f->slot].in_use ? -EINVAL : -ENOENT;
}

/*
 * Validate a fault and find its memslot.  A deleted slot is all zero, so
 * its empty range refuses every gfn and fault_error() tells -ENOENT from
 * -EINVAL off the fast path.
 */
static inline __attribute__((always_inline))
int fault_check(const struct pmp_vm *vm, const struct pmp_fault *f,
		const struct pmp_slot_state **slot)
{
	const struct pmp_slot_state *st;

	if (pmp_unlikely(f->slot >= vm->max_slots || (f->flags & ~PMP_FAULT_FLAGS_ALL) ||
			 f->backing_order > 63 || f->accept_level > PMP_LEVEL_1G ||
			 f->vcpu >= vm->nr_vcpus || f->vtl >= vm->nr_vtls))
		return -EINVAL;
	st = &pmp_slots(vm)[f->slot];
	if (pmp_unlikely(f->gfn - st->slot.base_gfn >= st->slot.npages))
		return fault_error(vm, f);
	*slot = st;
	return 0;
}

int pmp_fault_check(const struct pmp_vm *vm, const struct pmp_fault *f,
		    const struct pmp_slot **slot)
{
	const struct pmp_slot_state *st = NULL;
	int err = fault_check(vm, f, &st);

	if (!err)
		*slot = &st->slot;
	return err;
}

/*
 * One counter write per decision, in the fault's vCPU set: the pair of the
 * level granted and the reason; pmp_vm_stats() derives granted[], tried,
 * applied and refused[] from the pairs.
 */
int pmp_max_level(struct pmp_vm *vm, const struct pmp_fault *f, enum pmp_reason *why)
{
	const struct pmp_slot_state *s = NULL;
	enum pmp_reason why_not;
	int level, err;

	err = fault_check(vm, f, &s);
	if (pmp_unlikely(err))
		return err;
	level = fault_level(vm, s, f, PMP_VTL_PLANES(f->vtl), &why_not);
	pmp_vcpu_stats(vm, f->vcpu)->faults[level][why_not]++;
	if (why)
		*why = why_not;
	return level;
}

/*
 * pmp_max_level()'s answer without its count: a caller that asks before
 * the fault's real decision (the module sizing the pins of a leaf ahead of
 * KVM's fault) must not count that fault twice.  Off the fault path: the
 * out-of-line check and decision pmp_map() uses.
 */
int pmp_level_query(const struct pmp_vm *vm, const struct pmp_fault *f, enum pmp_reason *why)
{
	const struct pmp_slot *s = NULL;
	enum pmp_reason why_not;
	int err = pmp_fault_check(vm, f, &s);

	if (err)
		return err;
	err = pmp_fault_level(vm, s, f, PMP_VTL_PLANES(f->vtl), &why_not);
	if (why)
		*why = why_not;
	return err;
}

static const char *const reason_names[PMP_REASON_NR] = {
	[PMP_REASON_NONE] = "none",
	[PMP_REASON_POLICY_CAP] = "policy_cap",
	[PMP_REASON_DIRTY_LOG] = "dirty_log",
	[PMP_REASON_NX_HUGE_PAGE] = "nx_huge_page",
	[PMP_REASON_BACKING_ORDER] = "backing_order",
	[PMP_REASON_GUEST_ACCEPT] = "guest_accept",
	[PMP_REASON_SLOT_BOUNDARY] = "slot_boundary",
	[PMP_REASON_MISALIGNED] = "misaligned",
	[PMP_REASON_WRITE_TRACKED] = "write_tracked",
	[PMP_REASON_MIXED_ATTRS] = "mixed_attrs",
	[PMP_REASON_VTL_PROT] = "vtl_prot",
	[PMP_REASON_PIN_LIMIT] = "pin_limit",
	[PMP_REASON_POOL] = "pool",
	[PMP_REASON_PINNED] = "pinned",
	[PMP_REASON_PRIVATE] = "private",
	[PMP_REASON_NOT_MAPPED] = "not_mapped",
	[PMP_REASON_NOT_ACCEPTED] = "not_accepted",
};

const char *pmp_reason_name(enum pmp_reason reason)
{
	return (unsigned int)reason < PMP_REASON_NR ? reason_names[reason] : "?";
}

const char *pmp_level_name(int level)
{
	static const char *const names[] = { "?", "4k", "2m", "1g" };

	return level >= PMP_LEVEL_4K && level <= PMP_LEVEL_1G ? names[level] : "?";
}
