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
	ev->limit = out ? out->nr + room : 0;
	ev->cause = (uint8_t)cause;
	ev->vtl = PMP_VTL_ALL;	/* the per-VTL events say which VTL */
	ev->changed_leaves = false;
	return 0;
}

/*
 * A resumable call (teardown, flush, tick) needs @min entries to make
 * progress and reserves every free one, sizing its steps by
 * pmp_event_room().
 */
int pmp_event_begin_all(struct pmp_event *ev, struct pmp_vm *vm, struct pmp_actions *out,
			enum pmp_cause cause, uint32_t min)
{
	int err = pmp_event_begin(ev, vm, out, cause, min);

	if (!err && out)
		ev->limit = out->cap;
	return err;
}

void pmp_event_end(struct pmp_event *ev)
{
	if (ev->changed_leaves)
		ev->vm->stats.write_locked++;
}

struct pmp_action *pmp_emit(struct pmp_event *ev, enum pmp_action_type type, int level,
			    uint64_t gfn, uint64_t npages)
{
	struct pmp_action *a;

	if (!ev->out || ev->out->nr >= ev->limit) {
		ev->vm->lost_actions++;	/* a reservation too small: pmp_vm_check() fails */
		return NULL;
	}
	a = &ev->out->buf[ev->out->nr++];
	pmp_memset(a, 0, sizeof(*a));
	a->type = (uint8_t)type;
	a->level = (uint8_t)level;
	a->cause = ev->cause;
	a->vtl = ev->vtl;
	a->gfn = gfn;
	a->npages = npages;
	ev->vm->stats.actions[type]++;
	/* what needs mmu_lock for write: changing leaves that exist */
	if (type != PMP_ACT_PIN && type != PMP_ACT_UNPIN && type != PMP_ACT_FLUSH &&
	    type != PMP_ACT_TRACK && type != PMP_ACT_MAP)
		ev->changed_leaves = true;
	return a;
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
