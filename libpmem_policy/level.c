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

/* Largest level whose naturally aligned range around @gfn lies in the slot. */
static int fit_level(const struct pmp_slot *s, uint64_t gfn)
{
	uint64_t end = s->base_gfn + s->npages, head;

	head = gfn & ~((1ULL << PMP_GIANT_SHIFT) - 1);
	if (head >= s->base_gfn && head + (1ULL << PMP_GIANT_SHIFT) <= end)
		return PMP_LEVEL_1G;
	head = gfn & ~(uint64_t)(PMP_CHUNK_PAGES - 1);
	if (head >= s->base_gfn && head + PMP_CHUNK_PAGES <= end)
		return PMP_LEVEL_2M;
	return PMP_LEVEL_4K;
}

/* Largest level at which gfn and backing offset agree (KVM's ugfn rule). */
static int align_level(uint64_t base_gfn, uint64_t offset)
{
	uint64_t diff = base_gfn ^ (offset >> PMP_PAGE_SHIFT);

	if (!(diff & ((1ULL << PMP_GIANT_SHIFT) - 1)))
		return PMP_LEVEL_1G;
	return diff & (PMP_CHUNK_PAGES - 1) ? PMP_LEVEL_4K : PMP_LEVEL_2M;
}

/* Cache what a slot's alignment allows, when it is created or moved. */
void pmp_slot_prepare(struct pmp_slot_state *st)
{
	const struct pmp_slot *s = &st->slot;
	int shared = align_level(s->base_gfn, s->userspace_addr), private = shared;

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
	/* one directory lookup for both: the descriptor and its 1 GiB summary */
	uint64_t cg = pmp_giant_index(vm, f->gfn >> PMP_GIANT_SHIFT);
	const struct pmp_chunk *c = &pmp_cchunks(vm)[cg << (PMP_GIANT_SHIFT - PMP_CHUNK_SHIFT) |
						     ((f->gfn >> PMP_CHUNK_SHIFT) &
						      (PMP_GIANT_CHUNKS - 1))];
	const struct pmp_giant *g = &pmp_cgiants(vm)[cg];
	uint16_t uni2 = (uint16_t)~c->mixed, val2 = c->value, uni1 = 0, val1 = 0;
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
	LOWER(fit_level(s, f->gfn), PMP_REASON_SLOT_BOUNDARY);
	LOWER(st->align_level[(s->flags & PMP_SLOT_GUEST_MEMFD) && (f->flags & PMP_FAULT_PRIVATE)],
	      PMP_REASON_MISALIGNED);
	if (lim == PMP_LEVEL_1G) {
		uni1 = g->uniform;
		val1 = g->value;
	}
	/* a lossy plane the pool could not hold is unknown: mixed (planes.c) */
	if (pmp_unlikely(c->value & c->mixed & (planes | WTRACK)))
		LOWER(PMP_LEVEL_4K, PMP_REASON_POOL);
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

/* Validate a fault and find its memslot. */
static inline __attribute__((always_inline))
int fault_check(const struct pmp_vm *vm, const struct pmp_fault *f,
		const struct pmp_slot_state **slot)
{
	const struct pmp_slot_state *st;

	if (f->slot >= vm->max_slots || (f->flags & ~PMP_FAULT_FLAGS_ALL) ||
	    f->vcpu >= vm->nr_vcpus || f->vtl >= vm->nr_vtls || f->backing_order > 63 ||
	    f->accept_level > PMP_LEVEL_1G)
		return -EINVAL;
	st = &pmp_slots(vm)[f->slot];
	if (!st->in_use)
		return -ENOENT;
	if (f->gfn - st->slot.base_gfn >= st->slot.npages)
		return -EINVAL;
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
 * Two counter writes per decision: the level granted and the reason (slot 0
 * counts "nothing refused"); pmp_vm_stats() derives tried and applied.
 */
int pmp_max_level(struct pmp_vm *vm, const struct pmp_fault *f, enum pmp_reason *why)
{
	const struct pmp_slot_state *s;
	enum pmp_reason why_not;
	struct pmp_stats *stats;
	int level, err;

	err = fault_check(vm, f, &s);
	if (pmp_unlikely(err))
		return err;
	level = fault_level(vm, s, f, PMP_VTL_PLANES(f->vtl), &why_not);
	stats = pmp_vcpu_stats(vm, f->vcpu);
	stats->decision[PMP_DECISION_MAX_LEVEL].refused[why_not]++;
	stats->granted[level]++;
	if (why)
		*why = why_not;
	return level;
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
