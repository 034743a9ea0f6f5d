// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Actions: appended to the caller's array, counted per type, and an event
 * that changes leaves counted once as a write-locked operation.
 */
#include "internal.h"

/* Every event reserves its worst case up front, so emitting cannot fail. */
int pmp_event_begin(struct pmp_event *ev, struct pmp_vm *vm, struct pmp_actions *out,
		    enum pmp_cause cause, uint32_t room)
{
	if (vm->in_callback)
		return -EBUSY;
	if (out && (!out->buf || out->nr > out->cap))
		return -EINVAL;
	if (room && (!out || out->cap - out->nr < room))
		return -ENOSPC;
	ev->vm = vm;
	ev->out = out;
	ev->cause = (uint8_t)cause;
	ev->changed_leaves = false;
	return 0;
}

void pmp_event_end(struct pmp_event *ev)
{
	if (ev->changed_leaves)
		ev->vm->stats.write_locked++;
}

void pmp_emit(struct pmp_event *ev, enum pmp_action_type type, int level, uint64_t gfn,
	      uint64_t npages)
{
	struct pmp_action *a;

	if (!ev->out || ev->out->nr >= ev->out->cap)
		return;		/* unreachable: the room was reserved */
	a = &ev->out->buf[ev->out->nr++];
	pmp_memset(a, 0, sizeof(*a));
	a->type = (uint8_t)type;
	a->level = (uint8_t)level;
	a->cause = ev->cause;
	a->gfn = gfn;
	a->npages = npages;
	ev->vm->stats.actions[type]++;
	/* what needs mmu_lock for write: changing leaves that exist */
	if (type != PMP_ACT_PIN && type != PMP_ACT_UNPIN && type != PMP_ACT_FLUSH &&
	    type != PMP_ACT_TRACK && type != PMP_ACT_MAP)
		ev->changed_leaves = true;
}

const char *pmp_action_name(unsigned int type)
{
	static const char *const names[PMP_ACT_NR] = {
		"pin", "unpin", "zap", "split", "block", "unblock", "track", "demote",
		"promote", "flush", "map", "invalidate",
	};

	return type < PMP_ACT_NR ? names[type] : "?";
}

const char *pmp_cause_name(unsigned int cause)
{
	static const char *const names[PMP_CAUSE_NR] = {
		"fault", "launch", "convert", "accept", "dirty_log", "punch", "vtl_prot",
		"write_track", "zap", "merge", "teardown",
	};

	return cause < PMP_CAUSE_NR ? names[cause] : "?";
}
