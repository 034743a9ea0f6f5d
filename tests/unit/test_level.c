// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * pmp_max_level(): the shared eligibility vectors (the kernel selftest runs
 * the same ones), plus the counters the decision keeps.
 */
#include <stdio.h>
#include "helpers.h"
#include "vectors/vectors.h"

START_TEST(vector)
{
	const struct pmp_vector *v = &pmp_vectors[_i];
	uint64_t bytes = pmp_vector_bytes();
	void *mem = aligned_alloc(64, (bytes + 63) & ~63ULL), *snap = malloc(bytes);
	struct pmp_vector_result res;
	int ret;

	ck_assert_uint_gt(bytes, 0);
	ret = pmp_vector_run(v, mem, snap, &res);
	if (ret) {
		const struct pmp_vstep *s = &v->steps[res.step < 0 ? 0 : res.step];

		ck_abort_msg("vector %s step %d (op %d gfn %#llx): got %d reason %s, want %d reason %s%s",
			     v->name, res.step, s->op, (unsigned long long)s->gfn, res.got,
			     pmp_reason_name(res.got_reason), s->ret, pmp_reason_name(s->reason),
			     res.unchanged ? "" : "; a failed call changed the state");
	}
	free(mem);
	free(snap);
}
END_TEST

/* tried == applied + sum(refused), per vCPU set; errors count nothing. */
START_TEST(counters)
{
	struct pmp_geometry geo = test_geometry(GFNS_PER_1G * 2);
	struct pmp_fault f = { .gfn = 0, .slot = 0, .backing_order = 18 };
	struct pmp_stats st;
	struct tvm t;
	uint64_t refused = 0;
	int r;

	tvm_init(&t, &geo);
	add_slot(&t, 0, 0, GFNS_PER_1G * 2, 0, 0);
	ck_assert_int_eq(pmp_max_level(t.vm, &f, NULL), PMP_LEVEL_1G);
	f.backing_order = 9;
	f.vcpu = 1;
	ck_assert_int_eq(pmp_max_level(t.vm, &f, NULL), PMP_LEVEL_2M);
	f.backing_order = 0;
	ck_assert_int_eq(pmp_max_level(t.vm, &f, NULL), PMP_LEVEL_4K);
	f.vcpu = 2;		/* past nr_vcpus */
	ck_assert_fails_clean(&t, -EINVAL, pmp_max_level(t.vm, &f, NULL));
	f.vcpu = 0;
	f.gfn = GFNS_PER_1G * 2;	/* past the slot */
	ck_assert_fails_clean(&t, -EINVAL, pmp_max_level(t.vm, &f, NULL));

	pmp_vm_stats(t.vm, &st);
	ck_assert_uint_eq(st.decision[PMP_DECISION_MAX_LEVEL].tried, 3);
	ck_assert_uint_eq(st.decision[PMP_DECISION_MAX_LEVEL].applied, 1);
	ck_assert_uint_eq(st.decision[PMP_DECISION_MAX_LEVEL].refused[PMP_REASON_BACKING_ORDER], 2);
	for (r = 0; r < PMP_REASON_NR; r++)
		refused += st.decision[PMP_DECISION_MAX_LEVEL].refused[r];
	ck_assert_uint_eq(refused + 1, 3);
	ck_assert_uint_eq(st.granted[PMP_LEVEL_1G], 1);
	ck_assert_uint_eq(st.granted[PMP_LEVEL_2M], 1);
	ck_assert_uint_eq(st.granted[PMP_LEVEL_4K], 1);
	ck_assert_str_eq(pmp_decision_name(PMP_DECISION_MAX_LEVEL), "max_level");

	pmp_vm_stats_reset(t.vm);
	pmp_vm_stats(t.vm, &st);
	ck_assert_uint_eq(st.decision[PMP_DECISION_MAX_LEVEL].tried, 0);
	tvm_free(&t);
}
END_TEST

/* Every reason and level has a distinct name; unknown values get "?". */
START_TEST(names)
{
	int a, b;

	for (a = 0; a < PMP_REASON_NR; a++) {
		ck_assert_str_ne(pmp_reason_name(a), "?");
		for (b = 0; b < a; b++)
			ck_assert_str_ne(pmp_reason_name(a), pmp_reason_name(b));
	}
	ck_assert_str_eq(pmp_reason_name(PMP_REASON_NR), "?");
	ck_assert_str_eq(pmp_reason_name(-1), "?");
	ck_assert_str_eq(pmp_level_name(PMP_LEVEL_4K), "4k");
	ck_assert_str_eq(pmp_level_name(PMP_LEVEL_2M), "2m");
	ck_assert_str_eq(pmp_level_name(PMP_LEVEL_1G), "1g");
	ck_assert_str_eq(pmp_level_name(0), "?");
	ck_assert_str_eq(pmp_level_name(4), "?");
}
END_TEST

Suite *level_suite(void)
{
	Suite *s = suite_create("level");
	TCase *tc = tcase_create("vectors");

	tcase_add_loop_test(tc, vector, 0, (int)pmp_nr_vectors);
	suite_add_tcase(s, tc);
	tc = tcase_create("counters");
	tcase_add_test(tc, counters);
	tcase_add_test(tc, names);
	suite_add_tcase(s, tc);
	return s;
}
