// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Decision counters: one set per vCPU, summed on read.
 */
#include "internal.h"

#define STATS_WORDS (sizeof(struct pmp_stats) / sizeof(uint64_t))

void pmp_vm_stats(const struct pmp_vm *vm, struct pmp_stats *out)
{
	uint64_t *sum = (uint64_t *)out;
	struct pmp_decision_stats *d;
	uint32_t v;
	size_t i;

	pmp_memcpy(out, &vm->stats, sizeof(*out));
	for (v = 0; v < vm->nr_vcpus; v++) {
		const uint64_t *in = (const uint64_t *)pmp_vcpu_stats(vm, v);

		for (i = 0; i < STATS_WORDS; i++)
			sum[i] += in[i];
	}
	out->pin_high_water = vm->pin_high_water;
	/* the fault path counts refused[NONE] for "applied" and no "tried" */
	d = &out->decision[PMP_DECISION_MAX_LEVEL];
	d->applied = d->refused[PMP_REASON_NONE];
	d->refused[PMP_REASON_NONE] = 0;
	d->tried = out->granted[PMP_LEVEL_4K] + out->granted[PMP_LEVEL_2M] +
		   out->granted[PMP_LEVEL_1G];
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
