// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Bytes of tracking state per GiB of guest memory, per feature, at their
 * worst case (every 2 MiB chunk non-uniform in that feature), measured with
 * pmp_vm_bound() on a 64 GiB VM by growing the pool one feature at a time,
 * against the budget of 1 bit per 4 KiB + 8 bytes per 2 MiB (36,864 bytes
 * per GiB) and the 0.005% overall target (53,687 bytes per GiB).  A pool
 * of more blocks also grows the set of chunks holding lossy blocks (4
 * bytes an entry, up to one per compact 2 MiB): each feature's row, measured
 * alone against the base, includes it.
 */
#include <stdio.h>
#include <pmem_policy/pmem_policy.h>

#define GIB_PAGES (1ULL << 18)
#define GUEST_GIB 64ULL
#define CHUNKS (GUEST_GIB * 512)

static uint64_t bound_type(uint32_t pool, uint32_t deferred, uint32_t vtls, uint32_t type)
{
	struct pmp_geometry geo = { .sz = sizeof(geo), .gfn_end = GUEST_GIB * GIB_PAGES,
				    .max_slots = 32, .nr_vcpus = 8, .nr_vtls = vtls,
				    .pool_blocks = pool, .max_deferred = deferred, .vm_type = type };
	uint64_t bytes = 0;

	if (pmp_vm_bound(&geo, &bytes))
		return 0;
	return bytes;
}

static uint64_t bound(uint32_t pool, uint32_t deferred, uint32_t vtls)
{
	return bound_type(pool, deferred, vtls, PMP_VM_DEFAULT);
}

/* A feature against 1 bit/4K + 8 B/2M, a whole VM against 0.005%. */
static void row(const char *feature, const char *worst, uint64_t bytes, double limit)
{
	double per_gib = (double)bytes / GUEST_GIB;

	printf("| %s | %s | %.0f | %.4f%% | %s (%.0f) |\n", feature, worst, per_gib,
	       100.0 * per_gib / (double)(1ULL << 30), per_gib <= limit ? "yes" : "no", limit);
}

#define FEATURE 36864.0
#define TOTAL 53687.0

int main(void)
{
	uint64_t base = bound(1, 1, 1);

	printf("| feature | worst case | bytes per GiB | of guest memory | within budget |\n");
	printf("| --- | --- | --- | --- | --- |\n");
	row("base: descriptors, 1 GiB summaries, slots, counters", "always", base, TOTAL);
	row("private/shared attributes", "one block per chunk",
	    bound(CHUNKS + 1, 1, 1) - base, FEATURE);
	row("write tracking, held exactly",
	    "one block per chunk (it takes any free block, the exact features take it back when none is free: that chunk goes unknown, 4 KiB, reason pool, never -ENOMEM; the default pool adds 1/32 for it and the VTL protections)",
	    bound(CHUNKS + 1, 1, 1) - base, FEATURE);
	row("VTL protections, per VTL, held exactly",
	    "R, W and X differ: three blocks per chunk (the same rule)",
	    bound(3 * CHUNKS + 1, 1, 2) - bound(1, 1, 2), FEATURE);
	row("pins (SEV)", "one block per chunk", bound(CHUNKS + 1, 1, 1) - base, FEATURE);
	row("mapped mirror (MMU decisions)", "one block per chunk", bound(CHUNKS + 1, 1, 1) - base,
	    FEATURE);
	row("mapped mirror of each VTL past the first (VSM; nothing with one VTL)",
	    "one block per chunk, and its leaf flags (a byte per chunk, 8 per 1 GiB)",
	    bound(CHUNKS + 1, 1, 2) - base, FEATURE);
	row("acceptance (SNP, TDX)", "one block per chunk", bound(CHUNKS + 1, 1, 1) - base,
	    FEATURE);
	row("deferral (default: every 2 MiB may defer)",
	    "every chunk holds deferred punches: a block each, and their index",
	    bound(2 * CHUNKS + 1, 0, 1) - bound(CHUNKS + 1, 1, 1), FEATURE);
	row("a default VM's default pool, base included", "every chunk, every feature",
	    bound_type(0, 0, 1, PMP_VM_DEFAULT), TOTAL);
	row("an SEV VM's default pool, base included", "every chunk, every feature",
	    bound_type(0, 0, 1, PMP_VM_SEV), TOTAL);
	row("a TDX VM's default pool, base included", "every chunk, every feature",
	    bound_type(0, 0, 1, PMP_VM_TDX), TOTAL);
	row("the same with a pool of 1 bit per 4 KiB", "one non-uniform feature per chunk",
	    bound_type(CHUNKS, 0, 1, PMP_VM_TDX), TOTAL);
	return 0;
}
