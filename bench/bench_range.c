// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Range operations: conversions (pmp_convert) and punches (pmp_punch) of
 * 4 KiB to 1 GiB ranges on VMs of 4 GiB, 64 GiB and 1 TiB.  The cost must
 * grow with the range (per 2 MiB chunk touched) and stay flat in VM size.
 * Each range is converted or punched back and forth at random offsets;
 * prints the median ns per operation and per page over repeated runs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pmem_policy/pmem_policy.h>
#include "bench.h"

#define GIB (1ULL << 18)

static const uint64_t ranges[] = { 1, 512, 1ULL << 13, 1ULL << 18 };	/* 4K 2M 32M 1G */
static const char *const range_names[] = { "4K", "2M", "32M", "1G" };
static const uint64_t vm_gib[] = { 4, 64, 1024 };

static struct pmp_action buf[4096];

static struct pmp_vm *vm_new(uint64_t gib, void **mem)
{
	struct pmp_geometry geo = { .sz = sizeof(geo), .gfn_end = gib * GIB, .max_slots = 4,
				    .nr_vcpus = 1, .nr_vtls = 1 };
	struct pmp_slot slot = { .npages = gib * GIB, .userspace_addr = 1ULL << 40 };
	struct pmp_vm *vm;
	uint64_t bytes;

	if (pmp_vm_bound(&geo, &bytes))
		exit(1);
	*mem = aligned_alloc(64, (bytes + 63) & ~63ULL);
	if (!*mem || pmp_vm_init(*mem, bytes, &geo, NULL, &vm) || pmp_slot_create(vm, 0, &slot))
		exit(1);
	return vm;
}

/* ns for one operation of @n pages at a random offset; @punch or convert. */
static double one(struct pmp_vm *vm, uint64_t span, uint64_t n, int punch, uint64_t *rng, int i)
{
	struct pmp_actions acts = { .buf = buf, .cap = 4096 };
	uint64_t gfn;
	double t0;
	int err;

	*rng ^= *rng << 13;
	*rng ^= *rng >> 7;
	*rng ^= *rng << 17;
	gfn = (*rng % (span - n + 1)) & ~(n >= 512 ? 511ULL : 0);
	t0 = now_ns();
	err = punch ? pmp_punch(vm, gfn, n, NULL, &acts) :
		      pmp_convert(vm, gfn, n, i & 1, &acts);
	t0 = now_ns() - t0;
	if (err) {
		fprintf(stderr, "bench_range: %s: %s\n", punch ? "punch" : "convert",
			pmp_strerror(err));
		exit(1);
	}
	return t0;
}

int main(int argc, char **argv)
{
	int quick = argc > 1 && !strcmp(argv[1], "--quick");
	int reps = quick ? 5 : 41, v, r, op, i;
	uint64_t rng = 0x9e3779b97f4a7c15ULL;

	printf("| operation | range | VM | median ns | ns per page |\n");
	printf("| --- | --- | --- | --- | --- |\n");
	for (op = 0; op < 2; op++) {
		for (r = 0; r < 4; r++) {
			for (v = 0; v < 3; v++) {
				void *mem;
				struct pmp_vm *vm = vm_new(vm_gib[v], &mem);
				double t[64];

				if (quick && v)
					break;
				for (i = 0; i < reps; i++)
					t[i] = one(vm, vm_gib[v] * GIB, ranges[r], op, &rng, i);
				sort_times(t, reps);
				printf("| %s | %s | %lluG | %.0f | %.2f |\n", op ? "punch" : "convert",
				       range_names[r], (unsigned long long)vm_gib[v], t[reps / 2],
				       t[reps / 2] / (double)ranges[r]);
				free(mem);
			}
		}
	}
	return 0;
}
