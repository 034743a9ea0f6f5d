// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * merge=settled (merge.c): a tick marks a ready candidate, the next one
 * promotes it, and any leaf change in between starts over.  That is what
 * keeps a range that is split again after every promote from costing a
 * write-locked promote per cycle.
 */
#include "helpers.h"

Suite *settle_suite(void);

#define M2 GFNS_PER_2M

static struct pmp_action buf[4096];

static struct pmp_actions *acts(void)
{
	static struct pmp_actions out;

	out = (struct pmp_actions){ .buf = buf, .cap = 4096 };
	return &out;
}

static uint32_t promotes(const struct pmp_actions *out)
{
	uint32_t i, n = 0;

	for (i = 0; i < out->nr; i++)
		n += out->buf[i].type == PMP_ACT_PROMOTE;
	return n;
}

/* A default VM with one 1 GiB memslot and chunk 0 mapped at 4 KiB, all of it. */
static void setup(struct tvm *t, const char *policy)
{
	struct pmp_geometry geo = test_geometry(GFNS_PER_1G);
	struct pmp_fault f = { .backing_order = 9 };
	struct pmp_policy p;

	geo.nr_vtls = 1;
	tvm_init(t, &geo);
	ck_assert_int_eq(pmp_policy_preset(&p, "recommended"), 0);
	ck_assert_int_eq(pmp_policy_parse(&p, policy, NULL), 0);
	ck_assert_int_eq(pmp_vm_set_policy(t->vm, &p), 0);
	add_slot(t, 0, 0, GFNS_PER_1G, 0x7f0000000000ULL, 0);
	for (f.gfn = 0; f.gfn < M2; f.gfn++)
		ck_assert_int_eq(pmp_map(t->vm, &f, PMP_LEVEL_4K, acts()), 0);
}

static uint32_t tick(struct tvm *t)
{
	struct pmp_actions *out = acts();

	ck_assert_int_ge(pmp_merge_tick(t->vm, out), 0);
	ck_assert_int_eq(pmp_vm_check(t->vm), 0);
	return promotes(out);
}

START_TEST(settled_promotes_on_the_second_tick)
{
	struct tvm t;

	setup(&t, "merge=settled,scan_ratio=1");
	ck_assert_uint_eq(tick(&t), 0);		/* marked */
	ck_assert_uint_eq(tick(&t), 1);		/* still ready: promoted */
	ck_assert_int_eq(pmp_leaf_level(t.vm, 0), PMP_LEVEL_2M);
	tvm_free(&t);

	setup(&t, "merge=scan,scan_ratio=1");	/* scan does not wait */
	ck_assert_uint_eq(tick(&t), 1);
	tvm_free(&t);
}
END_TEST

START_TEST(settled_starts_over_after_a_leaf_change)
{
	struct pmp_fault f = { .gfn = 7, .backing_order = 9 };
	struct tvm t;

	setup(&t, "merge=settled,scan_ratio=1");
	ck_assert_uint_eq(tick(&t), 0);		/* marked */
	/* the host zaps a page and the guest faults it back: the leaves changed */
	ck_assert_int_eq(pmp_zap(t.vm, PMP_ZAP_MMU_NOTIFIER, PMP_ZAP_FILTER_KVM, 7, 1, acts()), 0);
	ck_assert_int_eq(pmp_map(t.vm, &f, PMP_LEVEL_4K, acts()), 0);
	ck_assert_uint_eq(tick(&t), 0);		/* marked again, not promoted */
	ck_assert_uint_eq(tick(&t), 1);
	tvm_free(&t);
}
END_TEST

Suite *settle_suite(void)
{
	Suite *s = suite_create("settle");
	TCase *tc = tcase_create("settled");

	tcase_add_test(tc, settled_promotes_on_the_second_tick);
	tcase_add_test(tc, settled_starts_over_after_a_leaf_change);
	suite_add_tcase(s, tc);
	return s;
}
