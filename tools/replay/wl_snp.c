// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * snp-lazy-accept: an SNP guest accepts (PVALIDATEs) its memory lazily, in
 * 4 MiB units as its allocator first hands them out (DESIGN.md's anchor:
 * "SNP lazy accept works in 4 MiB chunks: 4K-only backing costs 1,024
 * extra exits per chunk").  Where the host could not give guest_memfd a
 * 2 MiB folio, the range is mapped 4 KiB, the RMP entry is 4 KiB and the
 * guest's 2 MiB PVALIDATE fails with a size mismatch, so it validates 512
 * pages one by one, each an exit.  Then the working set runs, some of it
 * executing (which nx_huge_pages maps 4 KiB), with merge ticks.
 */
#include <errno.h>
#include <stdlib.h>
#include "workload.h"

enum { MEM, VCPUS, UNIT_MIB, SMALL_PCT, EXEC_PCT, ROUNDS, TICK_EVERY, SEED, NR };

static const struct wl_param params[NR] = {
	[MEM] = { "mem_gib", 4, 1, 64, "guest memory (GiB)" },
	[VCPUS] = { "vcpus", 4, 1, 256, "vCPUs" },
	[UNIT_MIB] = { "unit_mib", 4, 2, 1024, "lazy-accept unit (MiB, a multiple of 2)" },
	[SMALL_PCT] = { "small_folio_pct", 10, 0, 100, "2 MiB ranges the host backs with 4 KiB folios" },
	[EXEC_PCT] = { "exec_pct", 2, 0, 100, "working-set accesses that execute" },
	[ROUNDS] = { "rounds", 4, 0, 1000, "working-set passes over every 2 MiB" },
	[TICK_EVERY] = { "tick_every", 64, 1, 1 << 20, "events between merge ticks" },
	[SEED] = { "seed", 1, 0, ~0ULL, "PRNG seed" },
};

static void gen(struct wl_gen *g, const uint64_t *v)
{
	uint32_t *order = NULL;
	uint64_t chunks, per_unit = v[UNIT_MIB] / 2, units, k, c, i, r;
	uint8_t *small;
	struct wl_mem m;

	wl_layout(&m, v[MEM]);
	chunks = m.pages / 512;
	units = chunks / per_unit;
	small = malloc(chunks);
	if (!small) {
		g->err = -ENOMEM;
		return;
	}
	for (c = 0; c < chunks; c++)
		small[c] = wl_below(g, 100) < v[SMALL_PCT];
	wl_vm(g, PMP_VM_SNP, m.gfn_end, g->vcpus, 1);
	wl_add_memory(g, &m, PMP_SLOT_GUEST_MEMFD, true);
	order = wl_perm(g, (uint32_t)units);
	for (k = 0; order && k < units; k++) {
		for (c = order[k] * per_unit; c < (order[k] + 1) * per_unit; c++) {
			uint64_t head = wl_gfn(&m, c * 512);

			if (!small[c]) {
				wl_accept(g, head, PMP_LEVEL_2M);
				continue;
			}
			/* the first touch shows the host's 4 KiB folio; then 512 PVALIDATEs */
			wl_fault(g, &m, head, PMP_LEVEL_4K, PMP_FAULT_PRIVATE | PMP_FAULT_WRITE,
				 wl_vcpu(g), 0);
			for (i = 0; i < 512; i++)
				wl_accept(g, head + i, PMP_LEVEL_4K);
		}
		wl_maybe_tick(g);
	}
	for (r = 0; order && r < v[ROUNDS]; r++) {
		free(order);
		order = wl_perm(g, (uint32_t)chunks);
		for (k = 0; order && k < chunks; k++) {
			uint64_t gfn = wl_gfn(&m, order[k] * 512 + wl_below(g, 512));
			uint32_t flags = PMP_FAULT_PRIVATE;

			if (wl_below(g, 100) < v[EXEC_PCT])
				flags |= PMP_FAULT_EXEC;
			wl_fault(g, &m, gfn, small[order[k]] ? PMP_LEVEL_4K : PMP_LEVEL_2M, flags,
				 wl_vcpu(g), 0);
			wl_maybe_tick(g);
		}
	}
	wl_teardown(g);
	free(order);
	free(small);
}

const struct workload wl_snp_lazy = {
	.name = "snp-lazy-accept",
	.summary = "SNP guest validating memory lazily in 4 MiB units, some 4K-backed",
	.params = params,
	.nr_params = NR,
	.gen = gen,
};
