// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Dirty logging of a memslot: on splits it to 4 KiB (eager split); off
 * leaves the merge strategy to bring the huge leaves back.
 */
#include "internal.h"

int pmp_dirty_log(struct pmp_vm *vm, uint32_t slot, bool on, struct pmp_actions *out)
{
	struct pmp_slot_state *st;
	struct pmp_event ev;
	int err;

	if (slot >= vm->max_slots)
		return -EINVAL;
	st = &pmp_slots(vm)[slot];
	if (!st->in_use)
		return -ENOENT;
	err = pmp_event_begin(&ev, vm, out, PMP_CAUSE_DIRTY_LOG, PMP_EVENT_ACTIONS);
	if (err)
		return err;
	if (on) {
		st->slot.flags |= PMP_SLOT_DIRTY_LOG;
		pmp_split_range(&ev, st->slot.base_gfn, st->slot.npages, PMP_LEVEL_4K);
	} else {
		pmp_merge_unpark_slot(vm, &st->slot);
		st->slot.flags &= ~PMP_SLOT_DIRTY_LOG;
	}
	pmp_slot_prepare(vm, st);
	pmp_event_end(&ev);
	return 0;
}
