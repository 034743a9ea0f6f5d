// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Decision counters: one set per vCPU, summed on read.
 */
#include "internal.h"

/*
 * The vCPUs' decision keys (level, rank of the reason) become the
 * max_level decision: tried is every key, applied the 1 GiB grants
 * (reason none), refused[r] and granted[l] the sums of a row and a column.
 */
void pmp_vm_stats(const struct pmp_vm *vm, struct pmp_stats *out)
{
	struct pmp_decision_stats *d = &out->decision[PMP_DECISION_MAX_LEVEL];
	unsigned int k;
	uint32_t v;

	pmp_memcpy(out, &vm->stats, sizeof(*out));
	for (v = 0; v < vm->nr_vcpus; v++) {
		const struct pmp_vcpu_stats *in = pmp_vcpu_stats(vm, v);

		out->actions[PMP_ACT_MAP] += in->faults[PMP_VCPU_MAPS];
		for (k = PMP_FAULT_KEY_MIN; k <= PMP_FAULT_KEY_MAX; k++) {
			uint64_t n = in->faults[1 + k - PMP_FAULT_KEY_MIN];
			unsigned int r = pmp_key_reason[k];

			out->granted[k / PMP_FAULT_RANKS] += n;
			d->tried += n;
			if (r == PMP_REASON_NONE)
				d->applied += n;
			else
				d->refused[r] += n;
		}
	}
	out->pin_high_water = vm->pin_high_water;
}

void pmp_vm_stats_reset(struct pmp_vm *vm)
{
	pmp_memset(pmp_vcpu_stats(vm, 0), 0, vm->nr_vcpus * PMP_STATS_STRIDE);
	pmp_memset(&vm->stats, 0, sizeof(vm->stats));
	vm->pin_high_water = vm->nr_pinned;
}

const char *pmp_decision_name(enum pmp_decision decision)
{
	static const char *const names[PMP_DECISION_NR] = {
		"max_level", "pin", "zap", "split", "merge",
	};

	return (unsigned int)decision < PMP_DECISION_NR ? names[decision] : "?";
}
