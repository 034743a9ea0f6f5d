/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Shared helpers of the Check unit tests.
 */
#ifndef PMP_TEST_HELPERS_H
#define PMP_TEST_HELPERS_H

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <pmem_policy/pmem_policy.h>
#include "sim/driver.h"

#define GFNS_PER_2M 512ULL
#define GFNS_PER_1G (512ULL * 512ULL)

/* A VM in heap memory, with a copy of its bytes for "state unchanged". */
struct tvm {
	struct pmp_vm *vm;
	void *mem;
	uint64_t bytes;
	void *snap;
};

static inline struct pmp_geometry test_geometry(uint64_t gfn_end)
{
	struct pmp_geometry g = { .sz = sizeof(g), .gfn_end = gfn_end, .max_slots = 8,
				  .nr_vcpus = 2, .nr_vtls = 2 };
	return g;
}

static inline void tvm_init(struct tvm *t, const struct pmp_geometry *geo)
{
	ck_assert_int_eq(pmp_vm_bound(geo, &t->bytes), 0);
	t->mem = aligned_alloc(64, (t->bytes + 63) & ~63ULL);
	t->snap = malloc(t->bytes);
	ck_assert_ptr_nonnull(t->mem);
	ck_assert_ptr_nonnull(t->snap);
	/* twins compare their buffers whole: pmp_vm_init() leaves free pool blocks as they are */
	memset(t->mem, 0, t->bytes);
	ck_assert_int_eq(pmp_vm_init(t->mem, t->bytes, geo, NULL, &t->vm), 0);
	ck_assert_int_eq(pmp_vm_check(t->vm), 0);
}

static inline void tvm_free(struct tvm *t)
{
	free(t->mem);
	free(t->snap);
}

static inline void tvm_snapshot(struct tvm *t)
{
	memcpy(t->snap, t->mem, t->bytes);
}

/* The state is byte-for-byte what tvm_snapshot() saw. */
#define ck_assert_unchanged(t) \
	ck_assert_msg(memcmp((t)->snap, (t)->mem, (t)->bytes) == 0, "state changed by a failed call")

/* A call that must fail with @err and leave every byte of state alone. */
#define ck_assert_fails_clean(t, err, call) do { \
	tvm_snapshot(t); \
	ck_assert_int_eq((call), (err)); \
	ck_assert_unchanged(t); \
} while (0)

/*
 * A failed call may count its refusal in the decision counters (documented:
 * "no state but the decision counters"); every other byte is the snapshot's.
 */
#define ck_assert_unchanged_but_decisions(t) do { \
	struct pmp_vm *_snap = drv_vm_copy((const struct pmp_vm *)(t)->snap); \
	ck_assert_msg(drv_state_equal(_snap, (t)->vm, DRV_EXEMPT_DECISIONS), \
		      "a failed call changed more than the decision counters"); \
	free(_snap); \
} while (0)

static inline void add_slot(struct tvm *t, uint32_t id, uint64_t base, uint64_t npages,
			    uint64_t uaddr, uint32_t flags)
{
	struct pmp_slot s = { .base_gfn = base, .npages = npages,
			      .userspace_addr = uaddr, .flags = flags };

	ck_assert_int_eq(pmp_slot_create(t->vm, id, &s), 0);
}

Suite *vm_suite(void);
Suite *attr_suite(void);
Suite *level_suite(void);
Suite *policy_suite(void);
Suite *random_suite(void);
Suite *mmu_random_suite(void);
Suite *mmu_suite(void);
Suite *scenario_suite(void);
Suite *inval_suite(void);
Suite *hostile_suite(void);
Suite *small_array_suite(void);
Suite *state_suite(void);

#endif /* PMP_TEST_HELPERS_H */
