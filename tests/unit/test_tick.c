// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A merge tick's work follows the candidates it finds, not the memory it
 * passes (issue 16 item 5): on a 64 GiB VM, a tick visits each 1 GiB range
 * once and each candidate once, and never the chunks in between (before
 * the candidate index, a giant with one candidate cost 512 looks per tick).
 */
#include "helpers.h"

#define G1 GFNS_PER_1G
#define M2 GFNS_PER_2M

static struct pmp_action buf[4096];

static struct pmp_actions *fresh(void)
{
	static struct pmp_actions a = { .buf = buf, .cap = 4096 };

	a.nr = 0;
	return &a;
}

/* Map @n pages of the chunk at @head at 4 KiB, backed by a 2 MiB folio. */
static void map_4k(struct tvm *t, uint64_t head, uint64_t n)
{
	uint64_t g;

	for (g = head; g < head + n; g++) {
		struct pmp_fault f = { .gfn = g, .backing_order = 9 };

		ck_assert_int_eq(pmp_map(t->vm, &f, PMP_LEVEL_4K, fresh()), 0);
	}
}

/*
 * A 64 GiB VM, one slot, three candidates in one 1 GiB range, partly
 * mapped (never ready); returns the 1 GiB ranges a tick may pass.
 */
static uint64_t three_candidates(struct tvm *t)
{
	struct pmp_geometry geo = test_geometry(64 * G1);
	struct pmp_vm_info info;
	uint64_t giants;

	geo.nr_vtls = 1;
	tvm_init(t, &geo);
	add_slot(t, 0, 0, 64 * G1, 1ULL << 40, 0);
	pmp_vm_info(t->vm, &info);
	giants = info.max_giants + 1;	/* the pool, and its reserved giant 0 */
	ck_assert_uint_lt(giants, 100);
	map_4k(t, 10 * G1 + 7 * M2, 3);
	map_4k(t, 10 * G1 + 300 * M2, 1);
	map_4k(t, 10 * G1 + 511 * M2 + 5, 2);
	return giants;
}

START_TEST(tick_work_follows_candidates)
{
	uint64_t before, work, giants;
	struct pmp_stats st;
	struct tvm t;
	int looked;

	giants = three_candidates(&t);
	pmp_vm_stats(t.vm, &st);
	before = st.scan_work;
	looked = pmp_merge_tick(t.vm, fresh());
	ck_assert_int_gt(looked, 0);
	pmp_vm_stats(t.vm, &st);
	work = st.scan_work - before;
	ck_assert_uint_eq(work, (uint64_t)looked);
	/* a unit per 1 GiB passed and per candidate, plus the one it stops in */
	ck_assert_uint_le(work, giants + 3 + 1);
	ck_assert_uint_ge(work, 3);
	ck_assert_uint_eq(fresh()->nr, 0);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);

	/* a fully mapped candidate is still found and promoted (merge=settled: two ticks) */
	map_4k(&t, 20 * G1 + 3 * M2, M2);
	ck_assert_int_gt(pmp_merge_tick(t.vm, fresh()), 0);
	ck_assert_int_gt(pmp_merge_tick(t.vm, fresh()), 0);
	ck_assert_int_eq(pmp_leaf_level(t.vm, 20 * G1 + 3 * M2), PMP_LEVEL_2M);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tvm_free(&t);
}
END_TEST

/* The merge decisions taken so far. */
static uint64_t merges_tried(const struct tvm *t)
{
	struct pmp_stats st;

	pmp_vm_stats(t->vm, &st);
	return st.decision[PMP_DECISION_MERGE].tried;
}

/* One tick's scan work. */
static uint64_t tick_work(struct tvm *t)
{
	struct pmp_stats st;
	uint64_t before;

	pmp_vm_stats(t->vm, &st);
	before = st.scan_work;
	ck_assert_int_ge(pmp_merge_tick(t->vm, fresh()), 0);
	pmp_vm_stats(t->vm, &st);
	return st.scan_work - before;
}

/*
 * A candidate a tick refused for a lasting reason (not fully mapped) is
 * not looked at again until its leaves change: later ticks cost the 1 GiB
 * ranges they pass, not the refused candidates (before parking, every tick
 * re-examined all three, issue 16 item 5).
 */
START_TEST(tick_parks_refused)
{
	uint64_t tried, work, giants;
	struct tvm t;
	int i;

	giants = three_candidates(&t);
	tried = merges_tried(&t);
	ck_assert_uint_ge(tick_work(&t), 3);
	ck_assert_uint_eq(merges_tried(&t), tried + 3);	/* each refused once */
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	for (i = 0; i < 4; i++) {
		work = tick_work(&t);
		ck_assert_uint_eq(merges_tried(&t), tried + 3);	/* parked: not again */
		ck_assert_uint_le(work, giants);	/* the 1 GiB ranges passed, no candidate */
		ck_assert_uint_eq(fresh()->nr, 0);
	}
	/* its leaves change: looked at again; filled: promoted (settled: two ticks) */
	map_4k(&t, 10 * G1 + 300 * M2 + 1, M2 - 1);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tick_work(&t);
	ck_assert_uint_eq(merges_tried(&t), tried + 3);	/* settled: marked, not tried */
	tick_work(&t);
	ck_assert_int_eq(pmp_leaf_level(t.vm, 10 * G1 + 300 * M2), PMP_LEVEL_2M);
	ck_assert_uint_eq(merges_tried(&t), tried + 4);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tvm_free(&t);
}
END_TEST

/*
 * SNP: a fully mapped private range whose pages are not all validated is
 * parked; the guest's accepts unpark it and the next ticks promote it.  A
 * range mapped over a 4 KiB folio is parked until a fault reports a 2 MiB
 * folio there or a 1 GiB one anywhere in its 1 GiB range.  A policy change
 * unparks everything (the strategy decides what a tick asks).
 */
START_TEST(tick_unparks_on_change)
{
	struct pmp_geometry geo = test_geometry(4 * G1);
	struct pmp_fault f = { .flags = PMP_FAULT_PRIVATE, .backing_order = 9 };
	struct pmp_policy p;
	uint64_t g, tried;
	struct tvm t;

	geo.vm_type = PMP_VM_SNP;
	geo.nr_vtls = 1;
	tvm_init(&t, &geo);
	add_slot(&t, 0, 0, 4 * G1, 1ULL << 40, PMP_SLOT_GUEST_MEMFD);
	ck_assert_int_eq(pmp_convert(t.vm, 0, 2 * M2, true, fresh()), 0);
	for (g = 0; g < M2; g++) {
		f.gfn = g;
		ck_assert_int_eq(pmp_map(t.vm, &f, PMP_LEVEL_4K, fresh()), 0);
	}
	tried = merges_tried(&t);
	tick_work(&t);
	ck_assert_uint_eq(merges_tried(&t), tried + 1);	/* not accepted: parked */
	tick_work(&t);
	ck_assert_uint_eq(merges_tried(&t), tried + 1);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	for (g = 0; g < M2; g++)
		ck_assert_int_eq(pmp_accept(t.vm, g, PMP_LEVEL_4K, fresh()), 0);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tick_work(&t);
	tick_work(&t);
	ck_assert_int_eq(pmp_leaf_level(t.vm, 0), PMP_LEVEL_2M);

	/* shared pages over a 4 KiB folio: parked until a fault says 2 MiB */
	f.flags = 0;
	f.backing_order = 0;
	ck_assert_int_eq(pmp_convert(t.vm, M2, M2, false, fresh()), 0);
	for (g = M2; g < 2 * M2; g++) {
		f.gfn = g;
		ck_assert_int_eq(pmp_map(t.vm, &f, PMP_LEVEL_4K, fresh()), 0);
	}
	tried = merges_tried(&t);
	tick_work(&t);
	tick_work(&t);
	tick_work(&t);
	ck_assert_uint_eq(merges_tried(&t), tried + 1);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	ck_assert_int_eq(pmp_policy_preset(&p, "recommended"), 0);
	ck_assert_int_eq(pmp_policy_parse(&p, "merge=scan", NULL), 0);
	ck_assert_int_eq(pmp_vm_set_policy(t.vm, &p), 0);
	tick_work(&t);
	ck_assert_uint_eq(merges_tried(&t), tried + 2);	/* unparked, refused again */
	f.gfn = M2;
	f.backing_order = 9;	/* the same page, now seen over a 2 MiB folio */
	ck_assert_int_eq(pmp_map(t.vm, &f, PMP_LEVEL_4K, fresh()), 0);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tick_work(&t);
	ck_assert_int_eq(pmp_leaf_level(t.vm, M2), PMP_LEVEL_2M);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);

	/* parked over a 4 KiB folio; a fault elsewhere reports its 1 GiB folio */
	f.backing_order = 0;
	for (g = 2 * M2; g < 3 * M2; g++) {
		f.gfn = g;
		ck_assert_int_eq(pmp_map(t.vm, &f, PMP_LEVEL_4K, fresh()), 0);
	}
	tried = merges_tried(&t);
	tick_work(&t);
	tick_work(&t);
	ck_assert_uint_eq(merges_tried(&t), tried + 1);
	f.gfn = 5 * M2;
	f.backing_order = 18;
	ck_assert_int_eq(pmp_map(t.vm, &f, PMP_LEVEL_4K, fresh()), 0);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tick_work(&t);
	ck_assert_int_eq(pmp_leaf_level(t.vm, 2 * M2), PMP_LEVEL_2M);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tvm_free(&t);
}
END_TEST

Suite *tick_suite(void);

Suite *tick_suite(void)
{
	Suite *s = suite_create("tick");
	TCase *tc = tcase_create("work");

	tcase_add_test(tc, tick_work_follows_candidates);
	tcase_add_test(tc, tick_parks_refused);
	tcase_add_test(tc, tick_unparks_on_change);
	suite_add_tcase(s, tc);
	return s;
}
