// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The traced VM's memslots (slots.h).  Events the core would refuse (a
 * bad id, a delete of a slot that does not exist) change nothing here
 * either; the core's answer is what the report counts.
 */
#include "slots.h"

void slots_event(struct rp_slots *s, const struct pmp_trace_event *ev)
{
	uint32_t id = ev->slot;

	if (id >= RP_MAX_SLOTS)
		return;
	switch (ev->type) {
	case PMP_TR_SLOT_ADD:
		if (s->used[id] || !ev->npages)
			return;
		s->slot[id] = (struct pmp_slot){ .base_gfn = ev->gfn, .npages = ev->npages,
						 .userspace_addr = ev->uaddr,
						 .gmem_offset = ev->gmem_offset, .flags = ev->flags };
		s->used[id] = true;
		s->pages += ev->npages;
		if (id >= s->nr_ids)
			s->nr_ids = id + 1;
		break;
	case PMP_TR_SLOT_DELETE:
		if (s->used[id]) {
			s->used[id] = false;
			s->pages -= s->slot[id].npages;
		}
		break;
	case PMP_TR_SLOT_MOVE:
		if (s->used[id])
			s->slot[id].base_gfn = ev->gfn;
		break;
	case PMP_TR_DIRTY_LOG:
		if (s->used[id] && (ev->flags & PMP_TR_ON))
			s->slot[id].flags |= PMP_SLOT_DIRTY_LOG;
		else if (s->used[id])
			s->slot[id].flags &= ~PMP_SLOT_DIRTY_LOG;
		break;
	default:
		break;
	}
}

static bool holds(const struct rp_slots *s, int i, uint64_t gfn)
{
	return s->used[i] && gfn - s->slot[i].base_gfn < s->slot[i].npages;
}

int slots_find(struct rp_slots *s, uint64_t gfn)
{
	int i;

	if (holds(s, s->hint, gfn))
		return s->hint;
	for (i = 0; i < (int)s->nr_ids; i++)
		if (holds(s, i, gfn))
			return s->hint = i;
	return -1;
}
