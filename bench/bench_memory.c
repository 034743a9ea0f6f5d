// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Bytes of tracking state per GiB of guest memory, from pmp_vm_bound().
 *
 * First, per feature at its worst case (every 2 MiB chunk non-uniform in
 * that feature) on a 64 GiB VM, by growing the pool one feature at a time,
 * against the budget of 1 bit per 4 KiB + 8 bytes per 2 MiB (36,864 bytes
 * per GiB).  A pool of more blocks also grows the set of chunks holding
 * lossy blocks (4 bytes an entry, up to one per compact 2 MiB): each
 * feature's row, measured alone against the base, includes it.
 *
 * Then every VM type's default state (the default pool, which the core
 * never exceeds: what does not fit degrades) with 1, 2 and 3 VTLs from
 * 4 GiB to 4 TiB, against the 0.005% target (53,687 bytes per GiB), for
 * both ways to size a VM: by gfn_end, and by max_pages with memslots
 * anywhere.
 */
#include <stdbool.h>
#include <stdio.h>
#include <pmem_policy/pmem_policy.h>

#define GIB_PAGES (1ULL << 18)
#define GUEST_GIB 64ULL
#define CHUNKS (GUEST_GIB * 512)

/*
 * A VM of @gib GiB: its guest-physical space ends with its memory (gfn_end,
 * as the VMM shim and the replay tools size it) or, @anywhere, the budget
 * is @gib GiB of memslots anywhere below 2^52 (max_pages, as the kernel
 * module sizes it).
 */
static uint64_t bound_at(uint64_t gib, uint32_t pool, uint32_t vtls, uint32_t type,
			 bool anywhere)
{
	struct pmp_geometry geo = { .sz = sizeof(geo), .gfn_end = gib * GIB_PAGES,
				    .max_slots = 32, .nr_vcpus = 8, .nr_vtls = vtls,
				    .pool_blocks = pool, .vm_type = type };
	uint64_t bytes = 0;

	if (anywhere) {
		geo.max_pages = geo.gfn_end;
		geo.gfn_end = 0;
	}

	if (pmp_vm_bound(&geo, &bytes))
		return 0;
	return bytes;
}

static uint64_t bound_vm(uint64_t gib, uint32_t pool, uint32_t vtls, uint32_t type)
{
	return bound_at(gib, pool, vtls, type, false);
}

static uint64_t bound(uint32_t pool, uint32_t vtls)
{
	return bound_vm(GUEST_GIB, pool, vtls, PMP_VM_DEFAULT);
}

/* A feature against 1 bit/4K + 8 B/2M. */
static void row(const char *feature, const char *when_short, uint64_t bytes, double limit)
{
	double per_gib = (double)bytes / GUEST_GIB;

	printf("| %s | %s | %.0f | %.4f%% | %s (%.0f) |\n", feature, when_short, per_gib,
	       100.0 * per_gib / (double)(1ULL << 30), per_gib <= limit ? "yes" : "no", limit);
}

#define FEATURE 36864.0
#define TOTAL 53687.0

static void features(void)
{
	uint64_t base = bound(1, 1), one = bound(CHUNKS + 1, 1) - base;

	printf("| feature (64 GiB VM) | when the pool has no block for it | bytes per GiB at its worst | of guest memory | within budget |\n");
	printf("| --- | --- | --- | --- | --- |\n");
	row("base: descriptors, 1 GiB summaries, slots, counters", "(always there)", base, TOTAL);
	row("private/shared attributes (exact; the default pool holds a block per chunk for them; an SEV VM has none)",
	    "a conversion flushes deferred punches for their blocks, and takes back lossy ones",
	    one, FEATURE);
	row("pins (SEV; exact; the default pool holds a block per chunk for them, as it does for the private attributes of the other types)",
	    "they take lossy blocks back, and deferral never takes their room", one, FEATURE);
	row("mapped mirror (lossy)",
	    "the chunk is \"maybe mapped\": zaps and teardown cover it, merges skip it, a 2 MiB leaf or whole-chunk zap makes it exact",
	    one, FEATURE);
	row("mapped mirror of each VTL past the first (lossy; its leaf flags: a byte per chunk, 8 per 1 GiB)",
	    "the same, per VTL", bound(CHUNKS + 1, 2) - base, FEATURE);
	row("acceptance (SNP, TDX; lossy)",
	    "\"maybe accepted\": zaps that must spare accepted pages are refused, promotions wait",
	    one, FEATURE);
	row("write tracking (lossy)", "unknown: 4 KiB, reason pool; reads as tracked", one,
	    FEATURE);
	row("VTL protections, per VTL (lossy): R, W and X differ, three blocks per chunk",
	    "unknown: 4 KiB, reason pool; reads as denied",
	    bound(3 * CHUNKS + 1, 2) - bound(1, 2), FEATURE);
	row("deferral bitmaps (a spare block only)", "the punch is invalidated at once", one,
	    FEATURE);
}

static void defaults(bool anywhere)
{
	static const uint64_t sizes[] = { 4, 8, 16, 64, 1024, 4096 };
	static const struct { const char *name; uint32_t type; } types[] = {
		{ "default", PMP_VM_DEFAULT }, { "SEV", PMP_VM_SEV },
		{ "SNP", PMP_VM_SNP }, { "TDX", PMP_VM_TDX },
	};
	unsigned int t, v, i;

	printf("| VM type | VTLs | 4 GiB | 8 GiB | 16 GiB | 64 GiB | 1 TiB | 4 TiB | above 0.005%% at |\n");
	printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
	for (t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		for (v = 1; v <= 3; v++) {
			char missed[64] = "none";
			int at = 0;

			printf("| %s | %u |", types[t].name, v);
			for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
				uint64_t b = bound_at(sizes[i], 0, v, types[t].type, anywhere);
				double per_gib = (double)b / (double)sizes[i];

				if (!b || per_gib > TOTAL)
					at += snprintf(missed + at, sizeof(missed) - (size_t)at,
						       "%s%llu GiB", at ? ", " : "",
						       (unsigned long long)sizes[i]);
				printf(" %.0f B/GiB, %.4f%% |", per_gib,
				       100.0 * per_gib / (double)(1ULL << 30));
			}
			printf(" %s |\n", missed);
		}
	}
}

int main(void)
{
	features();
	printf("\n");
	printf("guest-physical space ending with the memory (gfn_end: the VMM shim, replay):\n\n");
	defaults(false);
	printf("\nthe memory in memslots anywhere below 2^52 (max_pages, gfn_end 0: the kernel module):\n\n");
	defaults(true);
	return 0;
}
