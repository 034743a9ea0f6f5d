// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * punch-storm: the adversarial case of seed 001, a VMM that discards a
 * guest's private backing 4 KiB at a time ("malicious/non-optimal and
 * actively trying to slow the host down by forcing the directmap to get
 * split").  An SNP guest converts a buffer to shared, the VMM punches its
 * guest_memfd backing page by page in random order while the guest keeps
 * using the buffer, then the guest converts it back and validates it at
 * 2 MiB.  Whether the buffer gets 2 MiB mappings back depends on whether
 * its huge folios survived the storm.
 */
#include <stdlib.h>
#include "workload.h"

enum { MEM, VCPUS, STORM_MIB, ACCESS_PCT, ROUNDS, TICK_EVERY, SEED, NR };

static const struct wl_param params[NR] = {
	[MEM] = { "mem_gib", 2, 1, 64, "guest memory (GiB)" },
	[VCPUS] = { "vcpus", 2, 1, 256, "vCPUs" },
	[STORM_MIB] = { "storm_mib", 128, 2, 1 << 16, "buffer punched 4 KiB at a time (MiB)" },
	[ACCESS_PCT] = { "access_pct", 5, 0, 100, "punches followed by a guest access" },
	[ROUNDS] = { "rounds", 4, 0, 1000, "working-set passes after the storm" },
	[TICK_EVERY] = { "tick_every", 256, 1, 1 << 20, "events between merge ticks" },
	[SEED] = { "seed", 1, 0, ~0ULL, "PRNG seed" },
};

static void gen(struct wl_gen *g, const uint64_t *v)
{
	uint32_t *order, *storm = NULL;
	uint64_t chunks, pages, at, k;
	struct wl_mem m;

	wl_layout(&m, v[MEM]);
	chunks = m.pages / 512;
	pages = v[STORM_MIB] * WL_MIB < m.npages[0] / 2 ? v[STORM_MIB] * WL_MIB : m.npages[0] / 2;
	pages = pages / 512 * 512;
	at = m.npages[0] / 2 / 512 * 512;	/* the buffer: from the middle of low memory */
	order = wl_perm(g, (uint32_t)chunks);
	if (order)
		storm = wl_perm(g, (uint32_t)pages);
	if (!storm)
		goto out;
	wl_vm(g, PMP_VM_SNP, m.gfn_end, g->vcpus, 1);
	wl_add_memory(g, &m, PMP_SLOT_GUEST_MEMFD, true);
	for (k = 0; k < chunks; k++) {
		wl_accept(g, wl_gfn(&m, order[k] * 512ULL), PMP_LEVEL_2M);
		wl_maybe_tick(g);
	}
	wl_convert(g, at, pages, false);
	for (k = 0; k < pages; k++) {
		wl_punch(g, at + storm[k], 1);
		if (wl_below(g, 100) < v[ACCESS_PCT])
			wl_fault(g, &m, at + wl_below(g, pages), PMP_LEVEL_2M, PMP_FAULT_WRITE,
				 wl_vcpu(g), 0);
		wl_maybe_tick(g);
	}
	wl_convert(g, at, pages, true);
	for (k = 0; k < pages; k += 512)
		wl_accept(g, at + k, PMP_LEVEL_2M);
	wl_working_set(g, &m, v[ROUNDS], PMP_FAULT_PRIVATE, PMP_LEVEL_2M);
	wl_teardown(g);
out:
	free(order);
	free(storm);
}

const struct workload wl_punch_storm = {
	.name = "punch-storm",
	.summary = "adversarial VMM punching a shared buffer 4 KiB at a time",
	.params = params,
	.nr_params = NR,
	.gen = gen,
};
