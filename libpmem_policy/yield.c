// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Yielding during long MMU walks (seed 002): finish small work, make
 * progress between yields, and bail when yielding is needed but not allowed
 * so the fault is retried instead of stalling the host.
 */
#include "internal.h"

int pmp_yield(const struct pmp_vm *vm, struct pmp_yield_state *st, uint64_t position,
	      uint64_t remaining, unsigned int flags)
{
	if (flags & ~(PMP_YIELD_NEED_RESCHED | PMP_YIELD_CONTENDED | PMP_YIELD_CAN_YIELD))
		return -EINVAL;
	if (!(flags & (PMP_YIELD_NEED_RESCHED | PMP_YIELD_CONTENDED)))
		return 0;
	if (remaining < vm->policy.yield_threshold)
		return 0;	/* fewer left than a round trip costs: finish */
	if (st->has_yielded && st->yielded_at == position)
		return 0;	/* no progress since the last yield */
	if (!(flags & PMP_YIELD_CAN_YIELD)) {
		st->bails++;
		return -EINTR;
	}
	st->yielded_at = position;
	st->has_yielded = 1;
	st->yields++;
	return 1;
}

int pmp_vm_set_yield(struct pmp_vm *vm, const struct pmp_yield_ops *ops)
{
	int err = pmp_reentered(vm);

	if (!err)
		vm->yield = ops;
	return err;
}

/* For the core's own resumable walks: true if the walk should stop here. */
bool pmp_yield_poll(struct pmp_vm *vm, struct pmp_yield_state *st, uint64_t position,
		    uint64_t remaining)
{
	unsigned int flags;

	if (!vm->yield || !vm->yield->poll)
		return false;
	pmp_callback_enter(vm);
	flags = vm->yield->poll(vm->yield->ctx);
	pmp_callback_exit(vm);
	if (pmp_yield(vm, st, position, remaining, flags | PMP_YIELD_CAN_YIELD) != 1)
		return false;
	vm->stats.yields++;
	return true;
}
