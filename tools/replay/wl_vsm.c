// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * vsm-boot: a Hyper-V VSM guest boots (seed 003: "The boot process is the
 * most affected ..., which issues 100000s (mostly memory protections)";
 * protections "happen very frequently, generally with page granularity,
 * and may be short-lived").  VTL 1 first locks down VTL 0's kernel page by
 * page (text R+X, rodata R, data R+W, sections 2 MiB aligned as x86-64
 * links them), then keeps changing protections: modules loaded writable
 * and sealed R+X, unloaded; page-table pages made read-only for a while.
 * VTL 0 faults throughout, with merge ticks.
 */
#include <errno.h>
#include <stdlib.h>
#include "workload.h"

enum { MEM, VCPUS, CHANGES, KERNEL_MIB, TOUCH_PCT, ROUNDS, TICK_EVERY, SEED, NR };

static const struct wl_param params[NR] = {
	[MEM] = { "mem_gib", 4, 1, 64, "guest memory (GiB)" },
	[VCPUS] = { "vcpus", 4, 1, 256, "vCPUs" },
	[CHANGES] = { "changes", 200000, 0, 1ULL << 32, "per-page protection changes by VTL 1" },
	[KERNEL_MIB] = { "kernel_mib", 128, 2, 1024, "VTL 0 kernel image locked down first (MiB)" },
	[TOUCH_PCT] = { "touch_pct", 60, 1, 100, "2 MiB ranges VTL 0 touches" },
	[ROUNDS] = { "rounds", 2, 0, 1000, "working-set passes after boot" },
	[TICK_EVERY] = { "tick_every", 256, 1, 1 << 20, "events between merge ticks" },
	[SEED] = { "seed", 1, 0, ~0ULL, "PRNG seed" },
};

#define KERNEL_AT (16 * WL_MIB)
#define RWX PMP_PROT_RWX
#define LIVE 256		/* modules and page-table pages protected at once */

struct vsm {
	struct wl_gen *g;
	struct wl_mem m;
	uint64_t changes, kernel_pages, touched;
	uint32_t *order;	/* chunks in the order VTL 0 touches them */
	uint64_t module[LIVE], module_pages[LIVE], table[LIVE];
	unsigned int nr_modules, nr_tables;
};

static void prot(struct vsm *s, uint64_t i, uint64_t n, uint32_t p)
{
	uint64_t k;

	for (k = 0; k < n && i + k < s->m.pages; k++, s->changes++)
		wl_vtl_prot(s->g, 0, wl_gfn(&s->m, i + k), 1, p);
}

static void access(struct vsm *s, uint64_t i, uint32_t flags)
{
	wl_fault(s->g, &s->m, wl_gfn(&s->m, i), PMP_LEVEL_2M, flags,
		 wl_vcpu(s->g), 0);
}

/* A page of memory VTL 0 touched, outside the kernel image (below it if none is). */
static uint64_t some_page(struct vsm *s)
{
	unsigned int tries;
	uint64_t i;

	for (tries = 0; tries < 64; tries++) {
		i = s->order[wl_below(s->g, s->touched)] * 512ULL + wl_below(s->g, 512);
		if (i < KERNEL_AT || i >= KERNEL_AT + s->kernel_pages)
			return i;
	}
	return wl_below(s->g, KERNEL_AT);
}

/* Load a module (writable while it is copied in, then sealed), or unload the oldest. */
static void module(struct vsm *s)
{
	unsigned int slot = s->nr_modules % LIVE;
	uint64_t n = 1 + wl_below(s->g, 16), i = some_page(s);

	if (s->nr_modules >= LIVE)
		prot(s, s->module[slot], s->module_pages[slot], RWX);
	s->module[slot] = i;
	s->module_pages[slot] = n;
	s->nr_modules++;
	prot(s, i, n, PMP_PROT_R | PMP_PROT_W);
	access(s, i, PMP_FAULT_WRITE);
	prot(s, i, n, PMP_PROT_R | PMP_PROT_X);
	access(s, i, PMP_FAULT_EXEC);
}

/* A page-table page goes read-only for VTL 0; the oldest one is released. */
static void table(struct vsm *s)
{
	unsigned int slot = s->nr_tables % LIVE;

	if (s->nr_tables >= LIVE)
		prot(s, s->table[slot], 1, RWX);
	s->table[slot] = some_page(s);
	s->nr_tables++;
	prot(s, s->table[slot], 1, PMP_PROT_R);
}

static uint32_t kernel_prot(const struct vsm *s, uint64_t off)
{
	uint64_t text = s->kernel_pages * 2 / 5 / 512 * 512, rodata = s->kernel_pages / 5 / 512 * 512;

	if (off < text)
		return PMP_PROT_R | PMP_PROT_X;
	return off < text + rodata ? PMP_PROT_R : PMP_PROT_R | PMP_PROT_W;
}

static void gen(struct wl_gen *g, const uint64_t *v)
{
	struct vsm s = { .g = g };
	uint64_t chunks, k, r;

	wl_layout(&s.m, v[MEM]);
	chunks = s.m.pages / 512;
	s.kernel_pages = v[KERNEL_MIB] * WL_MIB;
	if (KERNEL_AT + s.kernel_pages > s.m.pages)
		s.kernel_pages = s.m.pages - KERNEL_AT;
	s.touched = chunks * v[TOUCH_PCT] / 100;
	s.order = wl_perm(g, (uint32_t)chunks);
	if (!s.order)
		return;
	wl_vm(g, PMP_VM_DEFAULT, s.m.gfn_end, g->vcpus, 2);
	wl_add_memory(g, &s.m, 0, false);
	for (k = KERNEL_AT; k < KERNEL_AT + s.kernel_pages; k += 512)
		access(&s, k, PMP_FAULT_WRITE);
	for (k = 0; k < s.touched; k++) {
		access(&s, s.order[k] * 512ULL + wl_below(g, 512), PMP_FAULT_WRITE);
		wl_maybe_tick(g);
	}
	/* lockdown: every kernel page, in order, as VTL 1 walks the image */
	for (k = 0; k < s.kernel_pages && s.changes < v[CHANGES]; k++) {
		prot(&s, KERNEL_AT + k, 1, kernel_prot(&s, k));
		if (k % 64 == 0)
			access(&s, some_page(&s), 0);
		wl_maybe_tick(g);
	}
	while (s.changes < v[CHANGES] && !g->err) {
		if (wl_below(g, 3))
			module(&s);
		else
			table(&s);
		access(&s, some_page(&s), 0);
		access(&s, KERNEL_AT + wl_below(g, s.kernel_pages), PMP_FAULT_EXEC);
		wl_maybe_tick(g);
	}
	for (r = 0; r < v[ROUNDS]; r++) {
		for (k = 0; k < s.touched; k++) {
			access(&s, s.order[wl_below(g, s.touched)] * 512ULL + wl_below(g, 512), 0);
			wl_maybe_tick(g);
		}
	}
	wl_teardown(g);
	free(s.order);
}

const struct workload wl_vsm_boot = {
	.name = "vsm-boot",
	.summary = "VSM boot: 100,000s of per-page VTL protection changes",
	.params = params,
	.nr_params = NR,
	.gen = gen,
};
