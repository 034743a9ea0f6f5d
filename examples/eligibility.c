// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * An out-of-tree user of libpmem_policy, built only through pkg-config:
 *
 *   cc eligibility.c $(pkg-config --cflags --libs pmem_policy)
 *
 * A 4 GiB private VM with one memslot; the guest shares one 4 KiB page
 * (a SWIOTLB-style bounce buffer), which costs its 2 MiB and 1 GiB the
 * huge mapping until it is converted back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <pmem_policy/pmem_policy.h>

static void ask(struct pmp_vm *vm, uint64_t gfn)
{
	struct pmp_fault f = { .gfn = gfn, .slot = 0, .backing_order = 18,
			       .flags = PMP_FAULT_PRIVATE };
	enum pmp_reason why;
	int level = pmp_max_level(vm, &f, &why);

	if (level < 0) {
		fprintf(stderr, "pmp_max_level: %s\n", pmp_strerror(level));
		exit(1);
	}
	printf("gfn %#9llx: %s (not larger: %s)\n", (unsigned long long)gfn,
	       pmp_level_name(level), pmp_reason_name(why));
}

int main(void)
{
	struct pmp_geometry geo = { .sz = sizeof(geo), .gfn_end = 1ULL << 20,
				    .max_slots = 8, .nr_vcpus = 1, .nr_vtls = 1 };
	struct pmp_slot slot = { .base_gfn = 0, .npages = 1ULL << 20,
				 .userspace_addr = 1ULL << 30 };
	struct pmp_vm *vm;
	uint64_t bytes;
	void *mem;
	int err;

	err = pmp_vm_bound(&geo, &bytes);
	mem = err ? NULL : aligned_alloc(64, (bytes + 63) & ~63ULL);
	if (!mem || (err = pmp_vm_init(mem, bytes, &geo, NULL, &vm)) ||
	    (err = pmp_slot_create(vm, 0, &slot)) ||
	    (err = pmp_convert(vm, 0, 1ULL << 20, true, NULL))) {
		fprintf(stderr, "setup: %s\n", pmp_strerror(err ? err : -12));
		return 1;
	}
	printf("libpmem_policy %s: %llu bytes of state for 4 GiB\n", pmp_version(),
	       (unsigned long long)bytes);
	ask(vm, 0x40000);
	pmp_convert(vm, 0x40200, 1, false, NULL);	/* share one page */
	ask(vm, 0x40000);
	ask(vm, 0x40200);
	pmp_convert(vm, 0x40200, 1, true, NULL);	/* and take it back */
	ask(vm, 0x40200);
	free(mem);
	return 0;
}
