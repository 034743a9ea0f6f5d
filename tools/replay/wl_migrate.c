// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * live-migration: a running guest's memory is dirty-logged for a pre-copy
 * pass, then logging stops (seed 004: "a large page will be split on
 * enabling dirty page logging.  After disabling it, the pages should be
 * merged into large pages for performance"; DESIGN.md: eager split cut
 * dirtying time 2.94 s -> 0.14 s).  Low memory is on 2 MiB folios, high
 * memory on 1 GiB ones (hugetlbfs).  Logging on splits everything to
 * 4 KiB; the guest keeps writing; logging off leaves every range a merge
 * candidate, and the guest's accesses and the merge ticks bring huge
 * pages back, or not.
 */
#include <stdlib.h>
#include "workload.h"

enum { MEM, VCPUS, GIANT, DIRTY_PCT, ROUNDS, TICK_EVERY, SEED, NR };

static const struct wl_param params[NR] = {
	[MEM] = { "mem_gib", 4, 1, 64, "guest memory (GiB)" },
	[VCPUS] = { "vcpus", 4, 1, 256, "vCPUs" },
	[GIANT] = { "giant", 1, 0, 1, "high memory on 1 GiB folios (0: 2 MiB)" },
	[DIRTY_PCT] = { "dirty_pct", 25, 0, 100, "2 MiB ranges written while logging" },
	[ROUNDS] = { "rounds", 8, 0, 1000, "access passes after logging stops" },
	[TICK_EVERY] = { "tick_every", 64, 1, 1 << 20, "events between merge ticks" },
	[SEED] = { "seed", 1, 0, ~0ULL, "PRNG seed" },
};

/* One access to a random page of chunk @c, as the host backs it. */
static void access(struct wl_gen *g, const struct wl_mem *m, uint64_t c, bool giant,
		   uint32_t flags)
{
	uint64_t gfn = wl_gfn(m, c * 512 + wl_below(g, 512));
	int level = giant && wl_slot(m, gfn) == 1 ? PMP_LEVEL_1G : PMP_LEVEL_2M;

	wl_fault(g, m, gfn, level, flags, wl_vcpu(g), 0);
}

static void gen(struct wl_gen *g, const uint64_t *v)
{
	uint32_t *order;
	uint64_t chunks, k;
	struct wl_mem m;
	unsigned int s;

	wl_layout(&m, v[MEM]);
	chunks = m.pages / 512;
	order = wl_perm(g, (uint32_t)chunks);
	if (!order)
		return;
	wl_vm(g, PMP_VM_DEFAULT, m.gfn_end, g->vcpus, 1);
	wl_add_memory(g, &m, 0, false);
	for (k = 0; k < chunks; k++) {
		access(g, &m, order[k], v[GIANT], PMP_FAULT_WRITE);
		wl_maybe_tick(g);
	}
	for (s = 0; s < m.nr; s++)
		wl_dirty_log(g, s, true);
	for (k = 0; k < chunks * v[DIRTY_PCT] / 100; k++) {
		access(g, &m, order[wl_below(g, chunks)], v[GIANT], PMP_FAULT_WRITE);
		wl_maybe_tick(g);
	}
	for (s = 0; s < m.nr; s++)
		wl_dirty_log(g, s, false);
	wl_working_set(g, &m, v[ROUNDS], 0, v[GIANT] ? PMP_LEVEL_1G : PMP_LEVEL_2M);
	wl_teardown(g);
	free(order);
}

const struct workload wl_migration = {
	.name = "live-migration",
	.summary = "dirty logging on (eager split), guest writes, logging off, recovery",
	.params = params,
	.nr_params = NR,
	.gen = gen,
};
