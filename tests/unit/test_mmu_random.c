// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Randomized MMU sequences: every VM type under every preset (and each
 * merge strategy), guest accesses, accepts, conversions, punches, dirty
 * logging, write tracking, zaps, merge ticks, launch pins, explicit
 * promotes and live policy switches, ending in teardown.  The core's
 * actions run on the rules simulator (tests/sim), which checks its rules
 * after every action; after every operation the core's invariant checker
 * runs and its mirror, pins and counts are compared with the simulator's.
 * PMP_SEED=n replays one seed, PMP_MMU_CASE=i one case, PMP_MMU_OPS=n sets
 * the length of a run and PMP_TRACE=1 prints every call and its actions.
 */
#include <stdio.h>
#include "helpers.h"
#include "sim/driver.h"
#include "rng.h"

#define OPS_PER_RUN 12500	/* 8 runs: 100,000 operations per make check */

struct mrun {
	struct tvm t;
	struct sim s;
	struct drv d;
	struct rng rng;
	uint64_t seed, step;
};

struct mrun_case {
	const char *name;
	int vm_type;
	const char *policy;
};

static const struct mrun_case cases[] = {
	{ "default/upstream", PMP_VM_DEFAULT, "upstream" },
	{ "default/recommended", PMP_VM_DEFAULT, "recommended" },
	{ "sev/upstream", PMP_VM_SEV, "upstream,pin_limit=300000" },
	{ "sev/recommended", PMP_VM_SEV, "recommended,merge=fault" },
	{ "snp/recommended", PMP_VM_SNP, "recommended,merge=scan" },
	{ "tdx/tdx-series", PMP_VM_TDX, "tdx-series" },
	{ "tdx/recommended", PMP_VM_TDX, "recommended" },
	{ "tdx/fault-merge", PMP_VM_TDX, "recommended,merge=fault,split=zap" },
};

static uint64_t below(struct mrun *x, uint64_t n)
{
	return rng_below(&x->rng, n);
}

#define G1 GFNS_PER_1G
#define M2 GFNS_PER_2M
#define END_GFN (2 * G1 + 5 * M2)

/* Every driver call either worked or refused cleanly, or the run stops here. */
#define CHECK(x, call) \
	ck_assert_msg((call) == 0, "seed %llu step %llu: %s", (unsigned long long)(x)->seed, \
		      (unsigned long long)(x)->step, (x)->d.error)

static uint64_t pick_gfn(struct mrun *x)
{
	if (below(x, 8))
		return below(x, 2 * G1);
	return 2 * G1 + below(x, 4 * M2);
}

static uint64_t pick_len(struct mrun *x, uint64_t gfn)
{
	uint64_t n, left = END_GFN - gfn;

	switch (below(x, 5)) {
	case 0:
		n = 1;
		break;
	case 1:
		n = M2;
		break;
	case 2:
		n = 1 + below(x, 3 * M2);
		break;
	default:
		n = 1 + below(x, 64);
		break;
	}
	return n < left ? n : left;
}

static void switch_policy(struct mrun *x)
{
	static const char *const strs[] = {
		"merge=scan", "merge=fault", "merge=blocked", "merge=none", "inhibit=oneway",
		"inhibit=clear", "split=zap", "split=inplace", "max_level=2m", "max_level=1g",
		"inval=immediate", "inval=defer-2m", "on_conflict=refuse", "on_conflict=flush",
		"merge=settled", "on_conflict=withdraw",
	};
	struct pmp_policy p;

	pmp_vm_policy(x->t.vm, &p);
	ck_assert_int_eq(pmp_policy_parse(&p, strs[below(x, sizeof(strs) / sizeof(strs[0]))], NULL), 0);
	ck_assert_int_eq(pmp_vm_set_policy(x->t.vm, &p), 0);
}

static void one_op(struct mrun *x)
{
	struct drv *d = &x->d;
	unsigned int op = (unsigned int)below(x, 100);
	uint64_t gfn = pick_gfn(x), n = pick_len(x, gfn);
	struct pmp_policy p;

	if (op < 40) {
		CHECK(x, drv_access(d, gfn, 0, !below(x, 8)));
	} else if (op < 55) {
		int level = below(x, 8) ? PMP_LEVEL_4K : PMP_LEVEL_2M;

		CHECK(x, drv_accept(d, gfn & ~(PMP_LEVEL_PAGES(level) - 1), level));
	} else if (op < 62) {
		CHECK(x, drv_convert(d, gfn, n, below(x, 2)));
	} else if (op < 64) {
		CHECK(x, drv_punch(d, gfn, n, NULL));
	} else if (op < 66) {
		CHECK(x, drv_dirty_log(d, 0, below(x, 2)));
	} else if (op < 69) {
		CHECK(x, drv_write_track(d, gfn, n < 4 ? n : 4, below(x, 2)));
	} else if (op < 74) {
		CHECK(x, drv_zap(d, (enum pmp_zap_reason)below(x, PMP_ZAP_TEARDOWN),
				 (enum pmp_zap_filter)below(x, 4), gfn, n));
	} else if (op < 88) {
		CHECK(x, drv_tick(d));
	} else if (op < 92) {
		pmp_vm_policy(x->t.vm, &p);
		if (x->s.vm_type == PMP_VM_SEV && p.pin != PMP_PIN_NONE)
			CHECK(x, drv_pin_range(d, gfn, n));
	} else if (op < 96) {
		CHECK(x, drv_promote(d, gfn));
	} else if (op < 97) {
		switch_policy(x);
	} else {
		CHECK(x, drv_access(d, 2 * G1 + below(x, 4 * M2), 0, false));
	}
	CHECK(x, drv_compare(d, x->step % 1024 ? 4099 : 1));
}

static void setup(struct mrun *x, const struct mrun_case *c)
{
	struct pmp_geometry geo = test_geometry(END_GFN);
	struct pmp_slot s0 = { .base_gfn = 0, .npages = 2 * G1, .userspace_addr = 0x7f0000000000ULL },
			s1 = { .base_gfn = 2 * G1, .npages = 4 * M2,
			       .userspace_addr = 0x7f0000000000ULL + (2 * G1 << 12) };
	struct pmp_policy p;
	uint64_t ch;

	geo.vm_type = (uint32_t)c->vm_type;
	geo.nr_vtls = 1;
	tvm_init(&x->t, &geo);
	ck_assert_int_eq(pmp_policy_preset(&p, "recommended"), 0);
	ck_assert_int_eq(pmp_policy_parse(&p, c->policy, NULL), 0);
	ck_assert_int_eq(pmp_vm_set_policy(x->t.vm, &p), 0);
	sim_init(&x->s, c->vm_type, END_GFN);
	x->s.punch_wanted = calloc(x->s.pages, 1);
	x->s.busy_percent = c->vm_type == PMP_VM_TDX ? 5 : 0;
	ck_assert_int_eq(pmp_slot_create(x->t.vm, 0, &s0), 0);
	ck_assert_int_eq(pmp_slot_create(x->t.vm, 1, &s1), 0);
	x->s.slot[0] = s0;
	x->s.slot[1] = s1;
	x->s.in_use[0] = x->s.in_use[1] = 1;
	/* the first 1 GiB sits on a 1 GiB folio, the rest on 2 MiB folios */
	for (ch = 0; ch < x->s.chunks; ch++)
		x->s.folio[ch] = ch < 512 ? 18 : 9;
	drv_init(&x->d, x->t.vm, &x->s);
	x->d.trace = getenv("PMP_TRACE") != NULL;
	x->d.oracle = true;	/* every call: snapshot on failure, another array size */
	if (c->vm_type == PMP_VM_TDX || c->vm_type == PMP_VM_SNP)
		CHECK(x, drv_convert(&x->d, 0, END_GFN, true));
}

START_TEST(mmu_random)
{
	const struct mrun_case *c = &cases[_i];
	uint64_t ops = getenv("PMP_MMU_OPS") ? strtoull(getenv("PMP_MMU_OPS"), NULL, 0) :
		       OPS_PER_RUN;
	struct mrun *x;
	struct pmp_stats st;

	if (getenv("PMP_MMU_CASE") && atoi(getenv("PMP_MMU_CASE")) != _i)
		return;		/* replaying another case */
	x = calloc(1, sizeof(*x));
	x->seed = getenv("PMP_SEED") ? strtoull(getenv("PMP_SEED"), NULL, 0) : (uint64_t)_i + 1;
	rng_seed(&x->rng, x->seed);
	setup(x, c);
	for (x->step = 0; x->step < ops; x->step++) {
		if (x->d.trace)
			printf("step %llu: ", (unsigned long long)x->step);
		one_op(x);
	}
	if (getenv("PMP_POOL_INFO")) {
		struct pmp_vm_info info;

		pmp_vm_info(x->t.vm, &info);
		printf("pool %u used %u high %u\n", info.pool_blocks, info.pool_used,
		       info.pool_high_water);
	}
	CHECK(x, drv_teardown(&x->d, 4));	/* small on purpose: resume many times */
	CHECK(x, drv_compare(&x->d, 1));
	pmp_vm_stats(x->t.vm, &st);
	printf("mmu %-20s seed %llu: %llu ops, %llu faults, promoted 2m/1g %llu/%llu, splits %llu, "
	       "blocks %llu, refusals %llu, pin high water %llu, busy retried %llu\n", c->name,
	       (unsigned long long)x->seed, (unsigned long long)ops,
	       (unsigned long long)x->s.faults, (unsigned long long)st.promoted[2],
	       (unsigned long long)st.promoted[3],
	       (unsigned long long)st.decision[PMP_DECISION_SPLIT].applied,
	       (unsigned long long)st.actions[PMP_ACT_BLOCK], (unsigned long long)x->d.refusals,
	       (unsigned long long)st.pin_high_water, (unsigned long long)x->s.busy);
	ck_assert_uint_gt(st.promoted[2], 0);
	ck_assert_uint_gt(st.decision[PMP_DECISION_SPLIT].applied, 0);
	drv_free(&x->d);
	sim_free(&x->s);
	tvm_free(&x->t);
	free(x);
}
END_TEST

Suite *mmu_random_suite(void)
{
	Suite *s = suite_create("mmu_random");
	TCase *tc = tcase_create("sim");

	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, mmu_random, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	suite_add_tcase(s, tc);
	return s;
}
