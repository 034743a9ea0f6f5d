// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The randomized small-array/snapshot test (issue 19's two oracles): every
 * VM type under each preset, pools of 0-39 blocks (so refusals are common),
 * valid and invalid calls mixed.  Every driver call runs drv_oracle(): a
 * call that failed must have changed no state but the decision counters,
 * and the same call on a copy of the VM with another array size (0-4
 * entries, exactly or about what it returned, about one reservation; small
 * after a large one for resumed calls) must fail with -ENOSPC and change
 * nothing, or return the same actions in the same order and leave the same
 * state.  Invalid calls are checked against a snapshot directly.
 * PMP_SMALL_OPS=n sets the operations per case (make check-long runs it
 * longer), PMP_SEED=n and PMP_SMALL_CASE=i replay one run.
 */
#include <stdio.h>
#include "helpers.h"
#include "sim/driver.h"
#include "rng.h"

#define OPS_PER_CASE 3000
#define M2 GFNS_PER_2M
#define SPAN (GFNS_PER_1G + 6 * M2)

struct sa {
	struct tvm t;
	struct sim s;
	struct drv d;
	struct rng r;
	uint64_t seed, step;
};

static const char *const presets[] = { "upstream", "recommended", "tdx-series" };
static const char *const types[] = { "default", "sev", "snp", "tdx" };

#define CHECK(x, call) \
	ck_assert_msg((call) == 0, "seed %llu step %llu: %s", (unsigned long long)(x)->seed, \
		      (unsigned long long)(x)->step, (x)->d.error)

static uint64_t below(struct sa *x, uint64_t n)
{
	return rng_below(&x->r, n);
}

static unsigned int folio_order(void *ctx, uint64_t gfn)
{
	return ((struct sim *)ctx)->folio[gfn / M2];
}

/* A call with a bad argument: its errno, and not one byte changed. */
static void hostile(struct sa *x)
{
	struct pmp_action one;
	struct pmp_actions small = { .buf = &one, .cap = 1, .nr = 2 };	/* nr past cap */
	uint64_t cursor = 1 + below(x, SPAN + 2);
	struct pmp_vm *vm = x->t.vm;
	int err;

	tvm_snapshot(&x->t);
	switch (below(x, 8)) {
	case 0:
		err = pmp_convert(vm, SPAN - 1, 2, true, &x->d.acts);
		break;
	case 1:
		err = pmp_punch(vm, ~0ULL - below(x, 4), 8, NULL, &x->d.acts);
		break;
	case 2:
		err = pmp_zap(vm, PMP_ZAP_NR, PMP_ZAP_FILTER_KVM, 0, 1, &x->d.acts);
		break;
	case 3:
		err = pmp_teardown(vm, &cursor, &x->d.acts);	/* never handed out */
		break;
	case 4:
		err = pmp_accept(vm, 1, PMP_LEVEL_2M, &x->d.acts);
		break;
	case 5:
		err = pmp_vtl_protect(vm, 3, 0, 1, PMP_PROT_R, &x->d.acts);
		break;
	case 6:
		err = pmp_inval_flush(vm, &small);
		break;
	default:
		err = pmp_write_track(vm, 5, 0, true, &x->d.acts);
		break;
	}
	ck_assert_msg(err < 0, "seed %llu step %llu: a bad call returned %d",
		      (unsigned long long)x->seed, (unsigned long long)x->step, err);
	ck_assert_unchanged(&x->t);
}

static bool pins(struct sa *x)
{
	struct pmp_policy p;

	pmp_vm_policy(x->t.vm, &p);
	return p.pin != PMP_PIN_NONE;
}

static void one_op(struct sa *x)
{
	struct pmp_folios folios = { .order = folio_order, .ctx = &x->s };
	uint64_t gfn = below(x, SPAN), n = 1 + below(x, below(x, 4) ? 64 : 3 * M2);
	struct drv *d = &x->d;
	unsigned int op = (unsigned int)below(x, 100);

	if (gfn + n > SPAN)
		n = SPAN - gfn;
	if (op < 30)
		CHECK(x, drv_access(d, gfn, 0, !below(x, 8)));
	else if (op < 38 && below(x, 4))
		CHECK(x, drv_accept(d, gfn, PMP_LEVEL_4K));
	else if (op < 38)
		CHECK(x, drv_accept(d, gfn & ~(M2 - 1), PMP_LEVEL_2M));
	else if (op < 44)
		CHECK(x, drv_convert(d, gfn, n, below(x, 2)));
	else if (op < 54)
		CHECK(x, drv_punch(d, gfn, below(x, 3) ? 1 + below(x, 3) : n,
				   below(x, 2) ? &folios : NULL));
	else if (op < 60)
		CHECK(x, drv_flush(d));
	else if (op < 63)
		CHECK(x, drv_write_track(d, gfn, n < 4 ? n : 4, below(x, 2)));
	else if (op < 68)
		CHECK(x, drv_vtl_protect(d, (unsigned int)below(x, 2), gfn, n,
					 (unsigned int)below(x, 8)));
	else if (op < 73)
		CHECK(x, drv_zap(d, (enum pmp_zap_reason)below(x, PMP_ZAP_TEARDOWN),
				 (enum pmp_zap_filter)below(x, 4), gfn, n));
	else if (op < 81)
		CHECK(x, drv_tick(d));
	else if (op < 85 && x->s.vm_type == PMP_VM_SEV && pins(x))
		CHECK(x, drv_pin_range(d, gfn, n));
	else if (op < 89)
		CHECK(x, drv_promote(d, gfn));
	else if (op < 91)
		CHECK(x, drv_dirty_log(d, 0, below(x, 2)));
	else if (op < 97)
		hostile(x);
	CHECK(x, drv_compare(d, 509));
}

static void setup(struct sa *x, int vm_type, const char *preset, uint32_t pool)
{
	struct pmp_geometry geo = test_geometry(SPAN);
	struct pmp_slot s0 = { .base_gfn = 0, .npages = SPAN, .userspace_addr = 0x7f0000000000ULL };
	struct pmp_policy p;
	uint64_t c;

	geo.vm_type = (uint32_t)vm_type;
	geo.pool_blocks = pool;
	geo.max_deferred = 1 + (uint32_t)below(x, 4);
	tvm_init(&x->t, &geo);
	ck_assert_int_eq(pmp_policy_preset(&p, preset), 0);
	ck_assert_int_eq(pmp_policy_parse(&p, below(x, 2) ? "inval=defer-2m,pin_limit=4000" :
					  "inval=defer-2m,merge=fault,on_conflict=flush", NULL), 0);
	ck_assert_int_eq(pmp_vm_set_policy(x->t.vm, &p), 0);
	ck_assert_int_eq(pmp_slot_create(x->t.vm, 0, &s0), 0);
	sim_init(&x->s, vm_type, SPAN);
	x->s.punch_wanted = calloc(x->s.pages, 1);
	x->s.slot[0] = s0;
	x->s.in_use[0] = 1;
	x->s.busy_percent = vm_type == PMP_VM_TDX ? 3 : 0;
	for (c = 0; c < x->s.chunks; c++)
		x->s.folio[c] = c < 512 && vm_type != PMP_VM_TDX ? 18 : (c % 5 ? 9 : 0);
	drv_init(&x->d, x->t.vm, &x->s);
	x->d.oracle = true;
	x->d.trace = getenv("PMP_TRACE") != NULL;
	if (vm_type == PMP_VM_TDX || vm_type == PMP_VM_SNP)
		CHECK(x, drv_convert(&x->d, 0, SPAN, true));
}

/* Case i: VM type i % 4, preset i / 4 % 3; odd cases a pool of i * 7 % 40 blocks. */
START_TEST(small_array_snapshot)
{
	uint64_t ops = getenv("PMP_SMALL_OPS") ? strtoull(getenv("PMP_SMALL_OPS"), NULL, 0) :
		       OPS_PER_CASE;
	struct sa *x;

	if (getenv("PMP_SMALL_CASE") && atoi(getenv("PMP_SMALL_CASE")) != _i)
		return;
	x = calloc(1, sizeof(*x));
	x->seed = getenv("PMP_SEED") ? strtoull(getenv("PMP_SEED"), NULL, 0) : (uint64_t)_i + 1;
	rng_seed(&x->r, x->seed);
	/* pool 0 picks the default */
	setup(x, _i % 4, presets[_i / 4 % 3], _i % 2 ? (uint32_t)(_i * 7 % 40) : 0);
	for (x->step = 0; x->step < ops; x->step++)
		one_op(x);
	CHECK(x, drv_teardown(&x->d, 2 + (uint32_t)below(x, 3)));
	CHECK(x, drv_compare(&x->d, 1));
	printf("small-array %s/%s pool %u seed %llu: %llu ops, %llu oracle runs, %llu refusals\n",
	       types[_i % 4], presets[_i / 4 % 3], _i % 2 ? (unsigned int)(_i * 7 % 40) : 0,
	       (unsigned long long)x->seed, (unsigned long long)ops,
	       (unsigned long long)x->d.calls, (unsigned long long)x->d.refusals);
	ck_assert_uint_gt(x->d.calls, ops / 2);
	drv_free(&x->d);
	sim_free(&x->s);
	tvm_free(&x->t);
	free(x);
}
END_TEST

Suite *small_array_suite(void)
{
	Suite *s = suite_create("small_array");
	TCase *tc = tcase_create("oracles");

	tcase_set_timeout(tc, 1200);
	tcase_add_loop_test(tc, small_array_snapshot, 0, 12);
	suite_add_tcase(s, tc);
	return s;
}
