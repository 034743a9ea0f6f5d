// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * swiotlb: an SNP guest's shared memory.  At boot the guest converts its
 * SWIOTLB bounce-buffer pool to shared (Linux's mem_encrypt_setup_arch()
 * sizes it at 6% of memory, clamped to 64 MiB..1 GiB) and the VMM discards
 * the private backing; devices then bounce I/O through it.  Meanwhile
 * dma-direct's coherent allocations (virtio rings, per-vCPU pages) convert
 * single private pages to shared, the VMM punches their private backing
 * (seed 001), and freeing converts them back, to be accepted again.
 */
#include <errno.h>
#include <stdlib.h>
#include "workload.h"

enum { MEM, VCPUS, IO_OPS, DMA_PAGES, LIVE_DMA, TICK_EVERY, SEED, NR };

static const struct wl_param params[NR] = {
	[MEM] = { "mem_gib", 4, 1, 64, "guest memory (GiB)" },
	[VCPUS] = { "vcpus", 4, 1, 256, "vCPUs" },
	[IO_OPS] = { "io_ops", 20000, 0, 1ULL << 32, "bounce-buffer accesses" },
	[DMA_PAGES] = { "dma_pages", 2000, 0, 1 << 24, "coherent DMA pages allocated (and freed)" },
	[LIVE_DMA] = { "live_dma", 256, 1, 1 << 16, "coherent DMA pages allocated at once" },
	[TICK_EVERY] = { "tick_every", 64, 1, 1 << 20, "events between merge ticks" },
	[SEED] = { "seed", 1, 0, ~0ULL, "PRNG seed" },
};

struct tlb {
	struct wl_gen *g;
	struct wl_mem m;
	uint64_t pool, pool_pages;	/* page index of the pool, its size */
	uint64_t *live;
	uint64_t nr_live, cap;
};

/* A private page outside the pool becomes a shared DMA buffer. */
static void dma_alloc(struct tlb *t)
{
	uint64_t i, gfn;

	do
		i = wl_below(t->g, t->m.pages);
	while (i >= t->pool && i < t->pool + t->pool_pages);
	gfn = wl_gfn(&t->m, i);
	wl_convert(t->g, gfn, 1, false);
	wl_punch(t->g, gfn, 1);
	wl_fault(t->g, &t->m, gfn, PMP_LEVEL_2M, PMP_FAULT_WRITE, wl_vcpu(t->g), 0);
	t->live[t->nr_live++] = gfn;
}

/* A DMA buffer is freed: private again, accepted again. */
static void dma_free(struct tlb *t, uint64_t k)
{
	uint64_t gfn = t->live[k];

	t->live[k] = t->live[--t->nr_live];
	wl_convert(t->g, gfn, 1, true);
	wl_accept(t->g, gfn, PMP_LEVEL_4K);
}

static void gen(struct wl_gen *g, const uint64_t *v)
{
	struct tlb t = { .g = g, .cap = v[LIVE_DMA] };
	uint64_t chunks, k, low, io = 0, steps;
	uint32_t *order;

	wl_layout(&t.m, v[MEM]);
	chunks = t.m.pages / 512;
	/* 6% of memory in [64 MiB, 1 GiB], whole 2 MiB, at the top of low memory */
	t.pool_pages = t.m.pages * 6 / 100;
	if (t.pool_pages < 64 * WL_MIB)
		t.pool_pages = 64 * WL_MIB;
	if (t.pool_pages > WL_GIB)
		t.pool_pages = WL_GIB;
	low = t.m.npages[0];
	if (t.pool_pages > low / 2)
		t.pool_pages = low / 2;
	t.pool_pages = t.pool_pages / 512 * 512;
	t.pool = low - t.pool_pages;
	t.live = malloc(t.cap * sizeof(*t.live));
	order = wl_perm(g, (uint32_t)chunks);
	if (!t.live || !order) {
		if (!g->err)
			g->err = -ENOMEM;
		goto out;
	}
	wl_vm(g, PMP_VM_SNP, t.m.gfn_end, g->vcpus, 1);
	wl_add_memory(g, &t.m, PMP_SLOT_GUEST_MEMFD, true);
	for (k = 0; k < chunks; k++) {	/* the guest validates its memory at 2 MiB */
		wl_accept(g, wl_gfn(&t.m, order[k] * 512ULL), PMP_LEVEL_2M);
		wl_maybe_tick(g);
	}
	wl_convert(g, wl_gfn(&t.m, t.pool), t.pool_pages, false);
	wl_punch(g, wl_gfn(&t.m, t.pool), t.pool_pages);
	steps = v[IO_OPS] + v[DMA_PAGES];
	for (k = 0; k < steps; k++) {
		/* I/O and DMA allocations interleave evenly; the guest keeps running */
		if (io < (k + 1) * v[IO_OPS] / steps) {
			wl_fault(g, &t.m, wl_gfn(&t.m, t.pool + wl_below(g, t.pool_pages)),
				 PMP_LEVEL_2M, PMP_FAULT_WRITE, wl_vcpu(g), 0);
			io++;
		} else {
			if (t.nr_live == t.cap)
				dma_free(&t, wl_below(g, t.nr_live));
			dma_alloc(&t);
		}
		wl_fault(g, &t.m, wl_gfn(&t.m, order[wl_below(g, chunks)] * 512ULL + wl_below(g, 512)),
			 PMP_LEVEL_2M, PMP_FAULT_PRIVATE, wl_vcpu(g), 0);
		wl_maybe_tick(g);
	}
	while (t.nr_live)
		dma_free(&t, t.nr_live - 1);
	wl_working_set(g, &t.m, 1, PMP_FAULT_PRIVATE, PMP_LEVEL_2M);
	wl_teardown(g);
out:
	free(order);
	free(t.live);
}

const struct workload wl_swiotlb = {
	.name = "swiotlb",
	.summary = "SNP shared bounce buffers and 4K DMA conversions with punches",
	.params = params,
	.nr_params = NR,
	.gen = gen,
};
