// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The fault-time large-page decision.  O(1): one memslot, one 2 MiB
 * descriptor, one 1 GiB summary.  Every check is monotone in the level (what
 * stops 2 MiB stops 1 GiB), so the answer is the largest level nothing
 * stops, and the reason is what stopped the level above it.
 */
#include "internal.h"

enum pmp_reason pmp_level_blocker(const struct pmp_vm *vm, const struct pmp_slot *s,
				  const struct pmp_fault *f, int level, uint16_t planes)
{
	const struct pmp_chunk *c = pmp_chunk_of(vm, f->gfn);
	const struct pmp_giant *g = pmp_giant_of(vm, f->gfn);
	uint64_t pages = PMP_LEVEL_PAGES(level), head = f->gfn & ~(pages - 1);
	uint16_t uniform, value;

	if (level > vm->policy.max_level)
		return PMP_REASON_POLICY_CAP;
	if (s->flags & PMP_SLOT_DIRTY_LOG)
		return PMP_REASON_DIRTY_LOG;
	if ((f->flags & PMP_FAULT_EXEC) && vm->policy.nx_huge_pages)
		return PMP_REASON_NX_HUGE_PAGE;
	/* a folio with deferred punches is being taken apart: never huge */
	if (f->backing_order < 9 * (level - 1) ||
	    (level == PMP_LEVEL_2M ? c->blocks & PMP_CF_DEFERRED : g->nr_deferred))
		return PMP_REASON_BACKING_ORDER;
	if ((f->accept_level && f->accept_level < level) ||
	    (level == PMP_LEVEL_2M ? c->blocks & PMP_CF_INHIBIT : g->nr_inhibit))
		return PMP_REASON_GUEST_ACCEPT;
	if (head < s->base_gfn || head + pages > s->base_gfn + s->npages)
		return PMP_REASON_SLOT_BOUNDARY;
	if ((s->base_gfn ^ (s->userspace_addr >> PMP_PAGE_SHIFT)) & (pages - 1))
		return PMP_REASON_MISALIGNED;
	if ((s->flags & PMP_SLOT_GUEST_MEMFD) && (f->flags & PMP_FAULT_PRIVATE) &&
	    ((s->base_gfn ^ (s->gmem_offset >> PMP_PAGE_SHIFT)) & (pages - 1)))
		return PMP_REASON_MISALIGNED;

	if (level == PMP_LEVEL_2M) {
		uniform = (uint16_t)~c->mixed;
		value = c->value;
	} else {
		uniform = g->uniform;
		value = g->value;
	}
	if (!(uniform & PMP_BIT(PMP_PLANE_WTRACK)) || (value & PMP_BIT(PMP_PLANE_WTRACK)))
		return PMP_REASON_WRITE_TRACKED;
	if (!(uniform & PMP_BIT(PMP_PLANE_PRIVATE)))
		return PMP_REASON_MIXED_ATTRS;
	if ((uniform & planes) != planes)
		return PMP_REASON_VTL_PROT;
	return PMP_REASON_NONE;
}

/* Validate a fault and find its memslot. */
int pmp_fault_check(const struct pmp_vm *vm, const struct pmp_fault *f,
		    const struct pmp_slot **slot)
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
	*slot = &st->slot;
	return 0;
}

/* The largest level nothing stops, and what stopped the one above it. */
int pmp_fault_level(const struct pmp_vm *vm, const struct pmp_slot *s,
		    const struct pmp_fault *f, uint16_t planes, enum pmp_reason *why)
{
	enum pmp_reason reason;
	int level;

	*why = PMP_REASON_NONE;
	for (level = PMP_LEVEL_1G; level > PMP_LEVEL_4K; level--) {
		reason = pmp_level_blocker(vm, s, f, level, planes);
		if (reason == PMP_REASON_NONE)
			break;
		*why = reason;
	}
	return level;
}

int pmp_max_level(struct pmp_vm *vm, const struct pmp_fault *f, enum pmp_reason *why)
{
	struct pmp_decision_stats *d;
	const struct pmp_slot *s;
	enum pmp_reason why_not;
	struct pmp_stats *stats;
	int level, err;

	err = pmp_fault_check(vm, f, &s);
	if (err)
		return err;
	level = pmp_fault_level(vm, s, f, PMP_VTL_PLANES(f->vtl), &why_not);

	stats = pmp_vcpu_stats(vm, f->vcpu);
	d = &stats->decision[PMP_DECISION_MAX_LEVEL];
	d->tried++;
	if (why_not)
		d->refused[why_not]++;
	else
		d->applied++;
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
