// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The fault-path decisions against the cost floor, on VMs of 4 GiB, 64 GiB
 * and 1 TiB (geometry only; no guest memory is allocated):
 *
 *   floor      one array load per decision (lpage_info-like), same gfns;
 *   max_level  pmp_max_level() for a private fault with a 1 GiB folio;
 *   pinned     pmp_is_pinned(), the pin-on-fault fast check.
 *
 * Each runs over the same precomputed gfns, random or sequential, several
 * times; it prints the median and the min-max in ns per decision, and the
 * ratio to the floor measured in the same run.  With --only KIND SIZE ORDER
 * it runs just one loop, for valgrind --tool=callgrind to count
 * instructions per decision (scripts/bench.sh does both).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pmem_policy/pmem_policy.h>
#include "bench.h"

#define GFNS_PER_GIB (1ULL << 18)

struct vm_case {
	const char *name;
	uint64_t gib;
};

static const struct vm_case sizes[] = { { "4G", 4 }, { "64G", 64 }, { "1T", 1024 } };

struct bench_vm {
	struct pmp_vm *vm;
	void *mem;
	uint8_t *floor;		/* one byte per 2 MiB, as lpage_info holds */
	uint64_t gfns;
};

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_fault: %s: %s\n", what, pmp_strerror(err));
	exit(1);
}

/* A private VM with one slot and a sprinkle of shared 4K pages. */
static void vm_setup(struct bench_vm *b, uint64_t gib)
{
	struct pmp_geometry geo = { .sz = sizeof(geo), .gfn_end = gib * GFNS_PER_GIB,
				    .max_slots = 8, .nr_vcpus = 1, .nr_vtls = 1,
				    .vm_type = PMP_VM_SEV };
	struct pmp_slot slot = { .base_gfn = 0, .npages = geo.gfn_end,
				 .userspace_addr = 1ULL << 40 };
	uint64_t bytes, g;
	int err;

	err = pmp_vm_bound(&geo, &bytes);
	if (err)
		die("bound", err);
	b->mem = aligned_alloc(64, (bytes + 63) & ~63ULL);
	if (!b->mem)
		die("alloc", -ENOMEM);
	err = pmp_vm_init(b->mem, bytes, &geo, NULL, &b->vm);
	if (!err)
		err = pmp_slot_create(b->vm, 0, &slot);
	if (!err)
		err = pmp_convert(b->vm, 0, geo.gfn_end, true, NULL);
	for (g = 12345; !err && g < geo.gfn_end; g += 64 * 512 + 77)
		err = pmp_convert(b->vm, g, 1, false, NULL);
	if (err)
		die("setup", err);
	b->gfns = geo.gfn_end;
	b->floor = calloc(geo.gfn_end >> 9, 1);
}

static void vm_free(struct bench_vm *b)
{
	free(b->mem);
	free(b->floor);
}

static uint64_t *make_gfns(uint64_t n, uint64_t span, int random)
{
	uint64_t *v = malloc(n * sizeof(*v)), s = 0x9e3779b97f4a7c15ULL, i;

	for (i = 0; i < n; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		v[i] = random ? s % span : (i * 1031) % span;
	}
	return v;
}

/* The loops: noinline so callgrind can count exactly them. */
__attribute__((noinline)) uint64_t loop_floor(struct bench_vm *b, const uint64_t *g, uint64_t n)
{
	uint64_t i, sum = 0;

	for (i = 0; i < n; i++)
		sum += b->floor[g[i] >> 9];
	return sum;
}

__attribute__((noinline)) uint64_t loop_max_level(struct bench_vm *b, const uint64_t *g,
						  uint64_t n)
{
	struct pmp_fault f = { .slot = 0, .flags = PMP_FAULT_PRIVATE, .backing_order = 18 };
	uint64_t i, sum = 0;

	for (i = 0; i < n; i++) {
		f.gfn = g[i];
		sum += (uint64_t)pmp_max_level(b->vm, &f, NULL);
	}
	return sum;
}

__attribute__((noinline)) uint64_t loop_pinned(struct bench_vm *b, const uint64_t *g, uint64_t n)
{
	uint64_t i, sum = 0;

	for (i = 0; i < n; i++)
		sum += (uint64_t)pmp_is_pinned(b->vm, g[i]);
	return sum;
}

typedef uint64_t (*loop_fn)(struct bench_vm *, const uint64_t *, uint64_t);

static const struct {
	const char *name;
	loop_fn fn;
} kinds[] = { { "floor", loop_floor }, { "max_level", loop_max_level }, { "pinned", loop_pinned } };

#define NR_KINDS (sizeof(kinds) / sizeof(kinds[0]))

static volatile uint64_t sink;

int main(int argc, char **argv)
{
	int quick = argc > 1 && !strcmp(argv[1], "--quick");
	uint64_t n = quick ? 200000 : 4000000;
	int reps = quick ? 3 : 11, s, r, rnd;
	unsigned int k;

	if (argc == 5 && !strcmp(argv[1], "--only")) {
		/* --only KIND SIZE random|seq: one loop of n decisions, for callgrind */
		struct bench_vm b;
		uint64_t *g;

		for (k = 0; k < NR_KINDS && strcmp(kinds[k].name, argv[2]); k++)
			;
		for (s = 0; s < 3 && strcmp(sizes[s].name, argv[3]); s++)
			;
		if (k == NR_KINDS || s == 3)
			return 2;
		vm_setup(&b, sizes[s].gib);
		g = make_gfns(100000, b.gfns, !strcmp(argv[4], "random"));
		sink = kinds[k].fn(&b, g, 100000);
		free(g);
		vm_free(&b);
		return 0;
	}
	printf("| VM | gfns | decision | median ns | min-max ns | x floor |\n");
	printf("| --- | --- | --- | --- | --- | --- |\n");
	for (s = 0; s < 3; s++) {
		struct bench_vm b;

		vm_setup(&b, sizes[s].gib);
		for (rnd = 1; rnd >= 0; rnd--) {
			uint64_t *g = make_gfns(n, b.gfns, rnd);
			double med[NR_KINDS];

			for (k = 0; k < NR_KINDS; k++) {
				double t[16];

				sink = kinds[k].fn(&b, g, n);	/* warm up */
				for (r = 0; r < reps; r++) {
					double t0 = now_ns();

					sink = kinds[k].fn(&b, g, n);
					t[r] = (now_ns() - t0) / (double)n;
				}
				sort_times(t, reps);
				med[k] = t[reps / 2];
				printf("| %s | %s | %s | %.2f | %.2f-%.2f | %.2f |\n", sizes[s].name,
				       rnd ? "random" : "sequential", kinds[k].name, med[k], t[0],
				       t[reps - 1], med[k] / med[0]);
			}
			free(g);
		}
		vm_free(&b);
	}
	return 0;
}
