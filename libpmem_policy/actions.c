// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Actions: appended to the caller's array, counted per type, and an event
 * that changes leaves counted once as a write-locked operation.
 */
#include "internal.h"

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

/* An emit past its event's reservation: counted, so pmp_vm_check() fails. */
struct pmp_action *pmp_emit_lost(struct pmp_event *ev)
{
	ev->vm->lost_actions++;
	return NULL;
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
