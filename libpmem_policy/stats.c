// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Decision counters: one set per vCPU, summed on read.
 */
#include "internal.h"

#define STATS_WORDS (sizeof(struct pmp_stats) / sizeof(uint64_t))

void pmp_vm_stats(const struct pmp_vm *vm, struct pmp_stats *out)
{
	const uint64_t *in = (const uint64_t *)pmp_vcpu_stats(vm);
	uint64_t *sum = (uint64_t *)out;
	uint32_t v;
	size_t i;

	pmp_memset(out, 0, sizeof(*out));
	for (v = 0; v < vm->nr_vcpus; v++, in += STATS_WORDS)
		for (i = 0; i < STATS_WORDS; i++)
			sum[i] += in[i];
}

void pmp_vm_stats_reset(struct pmp_vm *vm)
{
	pmp_memset(pmp_vcpu_stats(vm), 0, vm->nr_vcpus * sizeof(struct pmp_stats));
}

const char *pmp_decision_name(enum pmp_decision decision)
{
	return decision == PMP_DECISION_MAX_LEVEL ? "max_level" : "?";
}
