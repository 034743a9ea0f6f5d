// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * pmp-demo: large-page eligibility on a built-in confidential VM, under
 * each preset side by side.
 *
 * The VM is a 12 GiB guest with a guest_memfd-backed private memory layout
 * typical of a TDX or SNP launch: low memory below the 32-bit PCI hole,
 * high memory above 4 GiB, everything private, then the shared pages a
 * real guest creates at boot (SWIOTLB bounce buffers, one GHCB page per
 * vCPU), VSM kernel-text protections with 4 KiB holes, shadow-MMU write
 * tracking of a few guest page tables, and dirty logging on one slot.
 *
 * For every 4 KiB page of guest memory it asks pmp_max_level() what a
 * private fault there may be mapped at, and prints the share of guest
 * memory per level and what stopped the rest.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pmem_policy/pmem_policy.h>

#define GIB (1ULL << 18)	/* pages */
#define MIB (1ULL << 8)
#define NR_VCPUS 8

struct demo_slot {
	const char *name;
	uint64_t base, npages;
	uint64_t gmem_offset;
};

static const struct demo_slot demo_slots[] = {
	{ "low", 0, 2 * GIB, 0 },
	{ "high", 4 * GIB, 8 * GIB, 2ULL << 30 },
	{ "hotplug", 12 * GIB, 2 * GIB + 2 * MIB, 10ULL << 30 },	/* ends mid-1G */
};

#define NR_SLOTS (sizeof(demo_slots) / sizeof(demo_slots[0]))

static void die(const char *what, int err)
{
	fprintf(stderr, "pmp-demo: %s: %s\n", what, pmp_strerror(err));
	exit(1);
}

#define TRY(call) do { int _e = (call); if (_e < 0) die(#call, _e); } while (0)

/* The guest's boot, as the VMM and KVM would report it to the library. */
static void boot(struct pmp_vm *vm)
{
	uint64_t gfn;
	unsigned int i;

	for (i = 0; i < NR_SLOTS; i++) {
		const struct demo_slot *d = &demo_slots[i];
		struct pmp_slot s = { .base_gfn = d->base, .npages = d->npages,
				      .userspace_addr = 0x7f0000000000ULL + (d->base << 12),
				      .gmem_offset = d->gmem_offset,
				      .flags = PMP_SLOT_GUEST_MEMFD };

		TRY(pmp_slot_create(vm, i, &s));
		TRY(pmp_set_private(vm, d->base, d->npages, true));
	}
	/* SWIOTLB: 64 MiB of shared bounce buffers, 2 MiB aligned, in low memory */
	TRY(pmp_set_private(vm, 1 * GIB + 512 * MIB, 64 * MIB, false));
	/* a GHCB page per vCPU, 4 KiB each, scattered through high memory */
	for (i = 0; i < NR_VCPUS; i++)
		TRY(pmp_set_private(vm, 4 * GIB + 3 * i * GIB / 4 + 0x123 * (i + 1), 1, false));
	/* VSM: VTL 1 makes 16 MiB of VTL 0 kernel text read+execute, except the
	 * pages that hold patchable data, every 1 MiB */
	TRY(pmp_set_vtl_prot(vm, 0, 16 * MIB, 16 * 256, PMP_PROT_R | PMP_PROT_X));
	for (gfn = 16 * MIB; gfn < 32 * MIB; gfn += 256)
		TRY(pmp_set_vtl_prot(vm, 0, gfn + 17, 1, PMP_PROT_RWX));
	/* the shadow MMU write-tracks a few guest page-table pages */
	for (i = 0; i < 4; i++)
		TRY(pmp_set_write_tracked(vm, 6 * GIB + i * 100 * MIB + 7, 1, true));
}

struct tally {
	uint64_t pages[4];			/* by level */
	uint64_t why[PMP_REASON_NR];		/* pages not mapped larger, by reason */
};

/* Every page, as a private VTL 0 fault backed by a 1 GiB folio. */
static void sweep(struct pmp_vm *vm, struct tally *t)
{
	unsigned int i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < NR_SLOTS; i++) {
		const struct demo_slot *d = &demo_slots[i];
		uint64_t gfn;

		for (gfn = d->base; gfn < d->base + d->npages;) {
			struct pmp_fault f = { .gfn = gfn, .slot = i, .flags = PMP_FAULT_PRIVATE,
					       .backing_order = 18 };
			enum pmp_reason why;
			int level = pmp_max_level(vm, &f, &why);
			uint64_t span = PMP_LEVEL_PAGES(level < 0 ? 1 : level);

			if (level < 0)
				die("pmp_max_level", level);
			/* the whole mapping shares the answer: skip to its end */
			span -= gfn & (span - 1);
			t->pages[level] += span;
			t->why[why] += span;
			gfn += span;
		}
	}
}

static void pct(uint64_t part, uint64_t total)
{
	printf(" %13.2f%%", total ? 100.0 * (double)part / (double)total : 0.0);
}

int main(int argc, char **argv)
{
	static const char *const presets[] = { "upstream", "tdx-series", "recommended" };
	struct pmp_geometry geo = { .sz = sizeof(geo), .gfn_end = 15 * GIB,
				    .max_slots = 8, .nr_vcpus = NR_VCPUS, .nr_vtls = 2 };
	struct tally t[3];
	struct pmp_vm_info info;
	struct pmp_vm *vm = NULL;
	uint64_t bytes, total = 0;
	void *mem;
	int p, l, r;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "usage: pmp-demo\n");
		return 2;
	}
	TRY(pmp_vm_bound(&geo, &bytes));
	mem = aligned_alloc(64, (bytes + 63) & ~63ULL);
	if (!mem)
		die("aligned_alloc", -ENOMEM);

	for (p = 0; p < 3; p++) {
		struct pmp_policy pol;

		TRY(pmp_policy_preset(&pol, presets[p]));
		TRY(pmp_vm_init(mem, bytes, &geo, &pol, &vm));
		boot(vm);
		TRY(pmp_vm_check(vm));
		sweep(vm, &t[p]);
	}
	for (l = PMP_LEVEL_4K; l <= PMP_LEVEL_1G; l++)
		total += t[0].pages[l];

	pmp_vm_info(vm, &info);
	printf("pmem_policy %s demo: %llu GiB guest in %zu memslots, all private, then boot-time\n"
	       "sharing, VSM protections and write tracking (see tools/pmp-demo.c).\n"
	       "Tracking state: %llu bytes (%.4f%% of guest memory), %u of %u pool blocks used.\n\n",
	       pmp_version(), (unsigned long long)(total / GIB), NR_SLOTS,
	       (unsigned long long)info.bytes, 100.0 * (double)info.bytes / (double)(total << 12),
	       info.pool_used, info.pool_blocks);

	printf("%-28s", "share of guest memory");
	for (p = 0; p < 3; p++)
		printf(" %14s", presets[p]);
	printf("\n");
	for (l = PMP_LEVEL_1G; l >= PMP_LEVEL_4K; l--) {
		printf("  mapped at %-17s", pmp_level_name(l));
		for (p = 0; p < 3; p++)
			pct(t[p].pages[l], total);
		printf("\n");
	}
	printf("%-28s\n", "not larger, because");
	for (r = 1; r < PMP_REASON_NR; r++) {
		if (!t[0].why[r] && !t[1].why[r] && !t[2].why[r])
			continue;
		printf("  %-26s", pmp_reason_name(r));
		for (p = 0; p < 3; p++)
			pct(t[p].why[r], total);
		printf("\n");
	}
	free(mem);
	return 0;
}
