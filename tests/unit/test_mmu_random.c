// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Randomized MMU sequences: every VM type under every preset (and each
 * merge strategy), guest accesses, accepts, conversions, punches, dirty
 * logging, write tracking, zaps, merge ticks, launch pins, explicit
 * promotes and live policy switches, ending in teardown; VMs with 2 and 3
 * VTLs add faults from every VTL and per-VTL protections.  The core's
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

#define OPS_PER_RUN 12500	/* 12 runs: 150,000 operations per make check */

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
	uint32_t nr_vtls;
	uint32_t pool;		/* pool blocks; 0: the default pool */
};

static const struct mrun_case cases[] = {
	{ "default/upstream", PMP_VM_DEFAULT, "upstream", 1, 0 },
	{ "default/recommended", PMP_VM_DEFAULT, "recommended", 1, 0 },
	{ "sev/upstream", PMP_VM_SEV, "upstream,pin_limit=300000", 1, 0 },
	{ "sev/recommended", PMP_VM_SEV, "recommended,merge=fault", 1, 0 },
	{ "snp/recommended", PMP_VM_SNP, "recommended,merge=scan", 1, 0 },
	{ "tdx/tdx-series", PMP_VM_TDX, "tdx-series", 1, 0 },
	{ "tdx/recommended", PMP_VM_TDX, "recommended", 1, 0 },
	{ "tdx/fault-merge", PMP_VM_TDX, "recommended,merge=fault,split=zap", 1, 0 },
	/* every VTL's tables on the simulator: faults and protections per VTL */
	{ "tdx/2 VTLs", PMP_VM_TDX, "recommended", 2, 0 },
	{ "tdx/3 VTLs", PMP_VM_TDX, "recommended,merge=fault", 3, 0 },
	{ "snp/2 VTLs", PMP_VM_SNP, "recommended,merge=scan", 2, 0 },
	{ "snp/3 VTLs", PMP_VM_SNP, "recommended", 3, 0 },
	/*
	 * A tiny pool: the lossy planes (mirrors, acceptance, protections)
	 * degrade, deferral gives way, every answer still checked safe
	 */
	{ "default/tiny pool", PMP_VM_DEFAULT, "recommended", 1, 24 },
	{ "sev/tiny pool", PMP_VM_SEV, "recommended,merge=fault", 1, 24 },
	{ "tdx/tiny pool", PMP_VM_TDX, "recommended", 1, 24 },
	{ "snp/3 VTLs tiny pool", PMP_VM_SNP, "recommended,merge=blocked", 3, 24 },
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

	if (op < 40 && x->s.nr_vtls > 1) {
		unsigned int vtl = (unsigned int)below(x, x->s.nr_vtls);

		CHECK(x, vtl ? drv_vtl_access(d, vtl, gfn, !below(x, 8)) :
			       drv_access(d, gfn, 0, !below(x, 8)));
	} else if (op < 40) {
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
	} else if (x->s.nr_vtls > 1 && below(x, 2)) {
		CHECK(x, drv_vtl_protect(d, (unsigned int)below(x, x->s.nr_vtls), gfn, n,
					 (unsigned int)below(x, 8)));
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
	geo.nr_vtls = c->nr_vtls ? c->nr_vtls : 1;
	geo.pool_blocks = c->pool;
	tvm_init(&x->t, &geo);
	ck_assert_int_eq(pmp_policy_preset(&p, "recommended"), 0);
	ck_assert_int_eq(pmp_policy_parse(&p, c->policy, NULL), 0);
	ck_assert_int_eq(pmp_vm_set_policy(x->t.vm, &p), 0);
	sim_init(&x->s, c->vm_type, END_GFN);
	sim_set_vtls(&x->s, geo.nr_vtls);
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
	if (c->pool)
		printf("mmu %-20s seed %llu: maybe-mapped pages compared %llu, unblocks of none %llu\n",
		       c->name, (unsigned long long)x->seed,
		       (unsigned long long)x->d.maybe_mapped,
		       (unsigned long long)x->s.maybe_unblocks);
	ck_assert_uint_gt(st.promoted[2], 0);
	ck_assert_uint_gt(st.decision[PMP_DECISION_SPLIT].applied, 0);
	/* a tiny pool must have put the core in its degraded states */
	if (c->pool)
		ck_assert_uint_gt(x->d.maybe_mapped, 0);
	drv_free(&x->d);
	sim_free(&x->s);
	tvm_free(&x->t);
	free(x);
}
END_TEST

/*
 * Per-VTL rules on the simulator alone: the same action is right for one
 * VTL and wrong for another, and the simulator must tell them apart.  A
 * TDX VM with 2 VTLs, one 2 MiB folio, all private; VTL 0 is mapped at
 * 4 KiB on page 0 only, VTL 1 on all 512 pages (blocked and tracked when
 * @tracked), and @deny1 denies VTL 1 writes to page 7 (@deny0 likewise
 * for VTL 0).
 */
struct vtl_row {
	const char *name;
	bool deny0, deny1, tracked;
	struct pmp_action act;
	int want;		/* 0 or -1 */
};

#define VA(t, l, c, v, g, n) { .type = PMP_ACT_##t, .level = (l), .cause = PMP_CAUSE_##c, \
			       .vtl = (v), .gfn = (g), .npages = (n) }
static const struct vtl_row vtl_rows[] = {
	{ "2M map in VTL 0 over VTL 1's mixed protections", false, true, false,
	  VA(MAP, 2, FAULT, 0, M2, M2), 0 },
	{ "2M map in VTL 1 over its own mixed protections", false, true, false,
	  VA(MAP, 2, FAULT, 1, M2, M2), -1 },
	{ "2M map in VTL 1 over VTL 0's mixed protections", true, false, false,
	  VA(MAP, 2, FAULT, 1, M2, M2), 0 },
	{ "2M map in VTL 0 over its own mixed protections", true, false, false,
	  VA(MAP, 2, FAULT, 0, M2, M2), -1 },
	{ "2M map in every VTL, one VTL mixed", false, true, false,
	  VA(MAP, 2, FAULT, PMP_VTL_ALL, M2, M2), -1 },
	{ "merge zap in VTL 0 of a page VTL 0 never mapped", false, false, false,
	  VA(ZAP, 1, MERGE, 0, M2 + 3, 1), 0 },
	{ "merge zap in VTL 1 of an accepted page it maps", false, false, false,
	  VA(ZAP, 1, MERGE, 1, M2 + 3, 1), -1 },
	{ "block in VTL 1, which maps the page", false, false, false,
	  VA(BLOCK, 1, MERGE, 1, M2 + 3, 1), 0 },
	{ "block in VTL 0, which does not", false, false, false,
	  VA(BLOCK, 1, MERGE, 0, M2 + 3, 1), -1 },
	{ "promote in VTL 1, all 512 blocked and tracked", false, false, true,
	  VA(PROMOTE, 2, MERGE, 1, M2, M2), 0 },
	{ "promote in VTL 0, one page mapped", false, false, true,
	  VA(PROMOTE, 2, MERGE, 0, M2, M2), -1 },
	{ "promote in every VTL, VTL 0 not ready", false, false, true,
	  VA(PROMOTE, 2, MERGE, PMP_VTL_ALL, M2, M2), -1 },
	{ "map in VTL 2 of a VM with 2", false, false, false,
	  VA(MAP, 1, FAULT, 2, M2, 1), -1 },
};
#undef VA

START_TEST(vtl_rules)
{
	const struct vtl_row *r = &vtl_rows[_i];
	struct pmp_action a = { .type = PMP_ACT_MAP, .level = 1, .cause = PMP_CAUSE_FAULT,
				.npages = 1 };
	struct sim s;
	uint64_t i;

	sim_init(&s, PMP_VM_TDX, 2 * M2);
	sim_set_vtls(&s, 2);
	s.slot[0] = (struct pmp_slot){ .base_gfn = 0, .npages = 2 * M2 };
	s.in_use[0] = 1;
	s.folio[0] = s.folio[1] = 9;
	sim_set_attr(&s, 0, 2 * M2, SA_PRIVATE, SA_PRIVATE);
	sim_accept(&s, M2, PMP_LEVEL_2M);
	sim_set_prot(&s, 0, M2 + 7, 1, r->deny0 ? PMP_PROT_R | PMP_PROT_X : 7);
	sim_set_prot(&s, 1, M2 + 7, 1, r->deny1 ? PMP_PROT_R | PMP_PROT_X : 7);
	a.gfn = M2;
	ck_assert_int_eq(sim_apply(&s, &a), 0);
	a.vtl = 1;
	for (i = M2; i < 2 * M2; i++) {
		a.gfn = i;
		ck_assert_int_eq(sim_apply(&s, &a), 0);
	}
	if (r->tracked) {
		struct pmp_action b = { .type = PMP_ACT_BLOCK, .level = 1, .vtl = PMP_VTL_ALL,
					.gfn = M2, .npages = M2 },
				  t = { .type = PMP_ACT_TRACK, .vtl = PMP_VTL_ALL, .gfn = M2,
					.npages = M2 };

		ck_assert_int_eq(sim_apply(&s, &b), 0);
		ck_assert_int_eq(sim_apply(&s, &t), 0);
	}
	ck_assert_msg(sim_apply(&s, &r->act) == r->want, "%s: want %d (%s)", r->name, r->want,
		      s.error);
	if (!r->want && r->act.type == PMP_ACT_MAP)
		ck_assert_int_eq(sim_vtl_leaf_level(&s, r->act.vtl, M2), 2);
	/* after a VTL 1 action the view is VTL 0's again, whose only leaf is page 0 */
	if (r->act.vtl == 1)
		ck_assert_int_eq(sim_leaf_level(&s, M2 + 1), 0);
	sim_free(&s);
}
END_TEST

Suite *mmu_random_suite(void)
{
	Suite *s = suite_create("mmu_random");
	TCase *tc = tcase_create("sim");

	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, mmu_random, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	suite_add_tcase(s, tc);
	tc = tcase_create("vtl_rules");
	tcase_add_loop_test(tc, vtl_rules, 0, (int)(sizeof(vtl_rows) / sizeof(vtl_rows[0])));
	suite_add_tcase(s, tc);
	return s;
}
