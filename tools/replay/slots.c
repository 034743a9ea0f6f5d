// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The traced VM's memslots (slots.h).  The table follows the core's own:
 * events the core refuses (a bad id, an overlap, a delete of a slot that
 * does not exist) change nothing here either, so coverage is a share of
 * memory the policies could map.
 */
#include <string.h>
#include "slots.h"

void slots_init(struct rp_slots *s)
{
	memset(s->used, 0, sizeof(s->used));
	s->pages = 0;
	s->nr_ids = 0;
	s->hint = 0;
}

static void slot_set(struct rp_slots *s, uint32_t id, const struct pmp_slot *now)
{
	if (s->used[id]) {
		s->used[id] = false;
		s->pages -= s->slot[id].npages;
	}
	if (!now)
		return;
	s->slot[id] = *now;
	s->used[id] = true;
	s->pages += now->npages;
	if (id >= s->nr_ids)
		s->nr_ids = id + 1;
}

/* The event as it says, for a replay without a core to ask. */
static void slot_apply(struct rp_slots *s, const struct pmp_trace_event *ev)
{
	uint32_t id = ev->slot;
	struct pmp_slot now;

	switch (ev->type) {
	case PMP_TR_SLOT_ADD:
		if (s->used[id] || !ev->npages)
			return;
		now = (struct pmp_slot){ .base_gfn = ev->gfn, .npages = ev->npages,
					 .userspace_addr = ev->uaddr,
					 .gmem_offset = ev->gmem_offset, .flags = ev->flags };
		slot_set(s, id, &now);
		break;
	case PMP_TR_SLOT_DELETE:
		slot_set(s, id, NULL);
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

void slots_event(struct rp_slots *s, const struct pmp_trace_event *ev,
		 const struct pmp_vm *vm)
{
	struct pmp_slot now;

	if (ev->slot >= RP_MAX_SLOTS)
		return;
	switch (ev->type) {
	case PMP_TR_SLOT_ADD:
	case PMP_TR_SLOT_DELETE:
	case PMP_TR_SLOT_MOVE:
	case PMP_TR_DIRTY_LOG:
		if (!vm)
			slot_apply(s, ev);
		else
			slot_set(s, ev->slot, pmp_slot_get(vm, ev->slot, &now) ? NULL : &now);
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
