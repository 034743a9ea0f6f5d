// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * sev-boot: an SEV guest boots (seed 000).  SEV cannot migrate encrypted
 * pages, so the pages it uses are pinned: the whole of guest memory at
 * launch (REG_REGION), or each page at its first nested page fault, which
 * the thread wants to cut boot delay.  The boot touches the kernel image
 * (its text executing) and part of memory; meanwhile the firmware's flash
 * memslot is deleted and re-added (the memslot updates the thread warns
 * must not unpin), and the host zaps ranges through MMU notifiers and by
 * recycling shadow pages.  Then the working set runs with merge ticks.
 */
#include <errno.h>
#include <stdlib.h>
#include "workload.h"

enum { MEM, VCPUS, TOUCH_PCT, SMALL_PCT, FLASH_TOGGLES, ZAPS, ROUNDS, TICK_EVERY, SEED, NR };

static const struct wl_param params[NR] = {
	[MEM] = { "mem_gib", 4, 1, 64, "guest memory (GiB)" },
	[VCPUS] = { "vcpus", 4, 1, 256, "vCPUs" },
	[TOUCH_PCT] = { "touch_pct", 50, 1, 100, "2 MiB ranges of memory the boot touches" },
	[SMALL_PCT] = { "small_folio_pct", 5, 0, 100, "2 MiB ranges the host backs with 4 KiB pages" },
	[FLASH_TOGGLES] = { "flash_toggles", 8, 0, 100000, "deletes and re-adds of the flash memslot" },
	[ZAPS] = { "zaps", 128, 0, 1 << 20, "host zaps (half MMU notifier, half recycling)" },
	[ROUNDS] = { "rounds", 4, 0, 1000, "working-set passes over the touched ranges" },
	[TICK_EVERY] = { "tick_every", 64, 1, 1 << 20, "events between merge ticks" },
	[SEED] = { "seed", 1, 0, ~0ULL, "PRNG seed" },
};

#define FLASH_SLOT 2
#define FLASH_PAGES (4 * WL_MIB)		/* OVMF's pflash, just below 4 GiB */
#define FLASH_GFN (4 * WL_GIB - FLASH_PAGES)
#define KERNEL_AT (16 * WL_MIB)			/* the image: 16 MiB of text, then data */
#define KERNEL_PAGES (64 * WL_MIB)
#define TEXT_PAGES (16 * WL_MIB)

struct sev {
	struct wl_gen *g;
	struct wl_mem m;
	uint8_t *small;
};

static int level_of(const struct sev *s, uint64_t i)
{
	return s->small[i / 512] ? PMP_LEVEL_4K : PMP_LEVEL_2M;
}

/* The guest touches page @i: once in a huge-backed range, 16 times in a small one. */
static void touch(struct sev *s, uint64_t i, uint32_t flags)
{
	unsigned int n = s->small[i / 512] ? 16 : 1, k;

	for (k = 0; k < n; k++) {
		uint64_t p = k ? i / 512 * 512 + wl_below(s->g, 512) : i;

		wl_fault(s->g, &s->m, wl_gfn(&s->m, p), level_of(s, p), flags,
			 wl_vcpu(s->g), 0);
	}
}

/* QEMU turns the flash into a plain memory region and back: the slot goes and comes. */
static void toggle_flash(struct sev *s)
{
	wl_slot_delete(s->g, FLASH_SLOT);
	wl_slot_add(s->g, FLASH_SLOT, FLASH_GFN, FLASH_PAGES, PMP_SLOT_READONLY);
	wl_fault_in(s->g, FLASH_SLOT, FLASH_GFN + wl_below(s->g, FLASH_PAGES), PMP_LEVEL_4K,
		    PMP_FAULT_EXEC, 0, 0);
}

static void host_zap(struct sev *s, uint64_t i, bool notifier)
{
	uint64_t gfn = wl_gfn(&s->m, i);

	if (notifier)	/* NUMA balancing or compaction unmaps a 2 MiB range */
		wl_zap(s->g, PMP_ZAP_MMU_NOTIFIER, gfn & ~511ULL, 512);
	else		/* a shadow page's children go */
		wl_zap(s->g, PMP_ZAP_RECYCLE, gfn & ~511ULL, 512);
}

static void gen(struct wl_gen *g, const uint64_t *v)
{
	struct sev s = { .g = g };
	uint64_t chunks, touched, k, i, r, toggles = 0, zaps = 0;
	uint32_t *order;

	wl_layout(&s.m, v[MEM]);
	chunks = s.m.pages / 512;
	touched = chunks * v[TOUCH_PCT] / 100;
	s.small = malloc(chunks);
	order = wl_perm(g, (uint32_t)chunks);
	if (!s.small || !order) {
		g->err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < chunks; i++)
		s.small[i] = wl_below(g, 100) < v[SMALL_PCT];
	wl_vm(g, PMP_VM_SEV, s.m.gfn_end, g->vcpus, 1);
	wl_add_memory(g, &s.m, 0, false);
	wl_slot_add(g, FLASH_SLOT, FLASH_GFN, FLASH_PAGES, PMP_SLOT_READONLY);
	for (i = 0; i < 64; i++)	/* firmware runs from flash */
		wl_fault_in(g, FLASH_SLOT, FLASH_GFN + wl_below(g, FLASH_PAGES), PMP_LEVEL_4K,
			    PMP_FAULT_EXEC, 0, 0);
	for (i = KERNEL_AT; i < KERNEL_AT + KERNEL_PAGES && i < s.m.pages; i += 512)
		touch(&s, i, i < KERNEL_AT + TEXT_PAGES ? PMP_FAULT_EXEC : PMP_FAULT_WRITE);
	for (k = 0; k < touched; k++) {
		touch(&s, order[k] * 512 + wl_below(g, 512), PMP_FAULT_WRITE);
		for (; toggles < (k + 1) * v[FLASH_TOGGLES] / touched; toggles++)
			toggle_flash(&s);
		for (; zaps < (k + 1) * v[ZAPS] / touched; zaps++)
			host_zap(&s, order[wl_below(g, k + 1)] * 512, zaps % 2);
		wl_maybe_tick(g);
	}
	for (r = 0; r < v[ROUNDS]; r++) {
		for (k = 0; k < touched; k++) {
			touch(&s, order[wl_below(g, touched)] * 512 + wl_below(g, 512), 0);
			wl_maybe_tick(g);
		}
	}
	wl_teardown(g);
out:
	free(order);
	free(s.small);
}

const struct workload wl_sev_boot = {
	.name = "sev-boot",
	.summary = "SEV boot: pins, flash memslot toggles, notifier and recycle zaps",
	.params = params,
	.nr_params = NR,
	.gen = gen,
};
