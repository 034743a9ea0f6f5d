// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Decision counters: one set per vCPU, summed on read.
 */
#include "internal.h"

_Static_assert(PMP_REASON_VTL_PROT < PMP_FAULT_REASONS && PMP_REASON_POOL < PMP_FAULT_REASONS,
	       "a fault's reason indexes pmp_vcpu_stats.faults");

/*
 * The vCPUs' (level, reason) pairs become the max_level decision: tried is
 * every pair, applied the 1 GiB grants (reason none), refused[r] and
 * granted[l] the sums of a row and a column.
 */
void pmp_vm_stats(const struct pmp_vm *vm, struct pmp_stats *out)
{
	struct pmp_decision_stats *d = &out->decision[PMP_DECISION_MAX_LEVEL];
	unsigned int level, r;
	uint32_t v;

	pmp_memcpy(out, &vm->stats, sizeof(*out));
	for (v = 0; v < vm->nr_vcpus; v++) {
		const struct pmp_vcpu_stats *in = pmp_vcpu_stats(vm, v);

		for (level = PMP_LEVEL_4K; level <= PMP_LEVEL_1G; level++) {
			for (r = 0; r < PMP_FAULT_REASONS; r++) {
				uint64_t n = in->faults[level][r];

				out->granted[level] += n;
				d->tried += n;
				if (r == PMP_REASON_NONE)
					d->applied += n;
				else
					d->refused[r] += n;
			}
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
