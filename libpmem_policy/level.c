// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The fault-time large-page decision.  O(1): one memslot, one 2 MiB
 * descriptor, one 1 GiB summary.  Every check is monotone in the level (what
 * stops 2 MiB stops 1 GiB), so the answer is the largest level nothing
 * stops, and the reason is what stopped the level above it.
 */
#include "internal.h"

static enum pmp_reason level_blocker(const struct pmp_vm *vm, const struct pmp_slot *s,
				     const struct pmp_fault *f, int level, uint16_t planes)
{
	uint64_t pages = PMP_LEVEL_PAGES(level), head = f->gfn & ~(pages - 1);
	uint64_t backing = s->userspace_addr;
	uint16_t uniform, value;

	if (level > vm->policy.max_level)
		return PMP_REASON_POLICY_CAP;
	if (s->flags & PMP_SLOT_DIRTY_LOG)
		return PMP_REASON_DIRTY_LOG;
	if ((f->flags & PMP_FAULT_EXEC) && vm->policy.nx_huge_pages)
		return PMP_REASON_NX_HUGE_PAGE;
	if (f->backing_order < 9 * (level - 1))
		return PMP_REASON_BACKING_ORDER;
	if (f->accept_level && f->accept_level < level)
		return PMP_REASON_GUEST_ACCEPT;
	if (head < s->base_gfn || head + pages > s->base_gfn + s->npages)
		return PMP_REASON_SLOT_BOUNDARY;
	if ((s->flags & PMP_SLOT_GUEST_MEMFD) && (f->flags & PMP_FAULT_PRIVATE))
		backing = s->gmem_offset;
	if ((s->base_gfn ^ (backing >> PMP_PAGE_SHIFT)) & (pages - 1))
		return PMP_REASON_MISALIGNED;

	if (level == PMP_LEVEL_2M) {
		const struct pmp_chunk *c = &pmp_chunks(vm)[f->gfn >> PMP_CHUNK_SHIFT];

		uniform = (uint16_t)~c->mixed;
		value = c->value;
	} else {
		const struct pmp_giant *g = &pmp_giants(vm)[f->gfn >> PMP_GIANT_SHIFT];

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

int pmp_max_level(struct pmp_vm *vm, const struct pmp_fault *f, enum pmp_reason *why)
{
	enum pmp_reason reason, why_not = PMP_REASON_NONE;
	const struct pmp_slot_state *st;
	struct pmp_stats *stats;
	int level;

	if (f->slot >= vm->max_slots || (f->flags & ~PMP_FAULT_FLAGS_ALL) ||
	    f->vcpu >= vm->nr_vcpus || f->vtl >= vm->nr_vtls || f->backing_order > 63 ||
	    f->accept_level > PMP_LEVEL_1G)
		return -EINVAL;
	st = &pmp_slots(vm)[f->slot];
	if (!st->in_use)
		return -ENOENT;
	if (f->gfn - st->slot.base_gfn >= st->slot.npages)
		return -EINVAL;

	for (level = PMP_LEVEL_1G; level > PMP_LEVEL_4K; level--) {
		reason = level_blocker(vm, &st->slot, f, level, PMP_VTL_PLANES(f->vtl));
		if (reason == PMP_REASON_NONE)
			break;
		why_not = reason;
	}

	stats = &pmp_vcpu_stats(vm)[f->vcpu];
	stats->decision[PMP_DECISION_MAX_LEVEL].tried++;
	if (why_not)
		stats->decision[PMP_DECISION_MAX_LEVEL].refused[why_not]++;
	else
		stats->decision[PMP_DECISION_MAX_LEVEL].applied++;
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
