// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * tdx-boot: a TD boots (DESIGN.md's anchor: a 4 GB TD saw ~2,710 4 KiB
 * accepts, one gfn flipped 974 times; seed 004).  Firmware accepts
 * scattered 4 KiB pages of early memory; one page of a range the kernel
 * accepted first flips private/shared all through boot (a bounce page);
 * the kernel accepts the rest lazily at 2 MiB (4 KiB where firmware already
 * accepted part of a range, as a 2 MiB ACCEPT would fail there); then the
 * guest's working set runs with merge ticks.
 */
#include <errno.h>
#include <stdlib.h>
#include "workload.h"

enum { MEM, VCPUS, EARLY, EARLY_MIB, FLIPS, ROUNDS, TICK_EVERY, SEED, NR };

static const struct wl_param params[NR] = {
	[MEM] = { "mem_gib", 4, 1, 64, "guest memory (GiB)" },
	[VCPUS] = { "vcpus", 8, 1, 256, "vCPUs" },
	[EARLY] = { "early_accepts", 2200, 0, 1 << 20, "distinct pages firmware accepts at 4 KiB" },
	[EARLY_MIB] = { "early_mib", 10, 2, 1024, "early accepts land in this many MiB" },
	[FLIPS] = { "flips", 1000, 0, 1 << 22, "conversions of the bounce page" },
	[ROUNDS] = { "rounds", 4, 0, 1000, "working-set passes over every 2 MiB after boot" },
	[TICK_EVERY] = { "tick_every", 64, 1, 1 << 20, "events between merge ticks" },
	[SEED] = { "seed", 1, 0, ~0ULL, "PRNG seed" },
};

struct td {
	struct wl_gen *g;
	struct wl_mem m;
	uint8_t *accepted;	/* per page */
	uint8_t *small;		/* per chunk: holds a 4 KiB accept */
	uint64_t flip;
};

static void accept_4k(struct td *t, uint64_t i)
{
	wl_accept(t->g, wl_gfn(&t->m, i), PMP_LEVEL_4K);
	t->accepted[i] = 1;
	t->small[i / 512] = 1;
	wl_maybe_tick(t->g);
}

/* The bounce page goes shared, the host touches it, and it comes back. */
static void flip(struct td *t)
{
	uint64_t gfn = wl_gfn(&t->m, t->flip);

	wl_convert(t->g, gfn, 1, false);
	t->accepted[t->flip] = 0;
	wl_fault(t->g, &t->m, gfn, PMP_LEVEL_2M, PMP_FAULT_WRITE,
		 wl_vcpu(t->g), 0);
	wl_convert(t->g, gfn, 1, true);
	accept_4k(t, t->flip);
}

/* The kernel's lazy accept of one 2 MiB range (if it has not accepted it yet). */
static void accept_chunk(struct td *t, uint64_t c)
{
	uint64_t i;

	if (!t->small[c]) {
		if (t->accepted[c * 512])
			return;
		wl_accept(t->g, wl_gfn(&t->m, c * 512), PMP_LEVEL_2M);
		for (i = c * 512; i < (c + 1) * 512; i++)
			t->accepted[i] = 1;
		wl_maybe_tick(t->g);
		return;
	}
	for (i = c * 512; i < (c + 1) * 512; i++)
		if (!t->accepted[i])
			accept_4k(t, i);
}

static void gen(struct wl_gen *g, const uint64_t *v)
{
	struct td t = { .g = g };
	uint64_t chunks, early, region, i, k, pairs, done = 0;
	uint32_t *order = NULL;

	wl_layout(&t.m, v[MEM]);
	chunks = t.m.pages / 512;
	region = v[EARLY_MIB] * WL_MIB < t.m.pages ? v[EARLY_MIB] * WL_MIB : t.m.pages;
	early = v[EARLY] < region ? v[EARLY] : region;
	t.flip = t.m.pages * 3 / 16 + 0x123;
	t.accepted = calloc(t.m.pages, 1);
	t.small = calloc(chunks, 1);
	if (!t.accepted || !t.small) {
		g->err = -ENOMEM;
		goto out;
	}
	wl_vm(g, PMP_VM_TDX, t.m.gfn_end, g->vcpus, 1);
	wl_add_memory(g, &t.m, PMP_SLOT_GUEST_MEMFD, true);
	for (k = 0; k < early;) {
		i = wl_below(g, region);
		if (!t.accepted[i]) {
			accept_4k(&t, i);
			k++;
		}
	}
	/* the allocator hands out accepted memory: the bounce page's range comes first */
	accept_chunk(&t, t.flip / 512);
	order = wl_perm(g, (uint32_t)chunks);
	pairs = v[FLIPS] / 2;
	for (k = 0; order && k < chunks; k++) {
		accept_chunk(&t, order[k]);
		for (; done < (k + 1) * pairs / chunks; done++)
			flip(&t);
	}
	wl_working_set(g, &t.m, v[ROUNDS], PMP_FAULT_PRIVATE, PMP_LEVEL_2M);
	wl_teardown(g);
out:
	free(order);
	free(t.accepted);
	free(t.small);
}

const struct workload wl_tdx_boot = {
	.name = "tdx-boot",
	.summary = "TD boot: 4K firmware accepts, a flipping bounce page, lazy 2M accepts",
	.params = params,
	.nr_params = NR,
	.gen = gen,
};
