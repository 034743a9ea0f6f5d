// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The hostile-input catalogue (docs/hostile-inputs.md), one row per case:
 * every state-changing entry point with arguments a buggy or malicious VMM
 * could pass — overflowing ranges, gfns outside slots or the span, unknown
 * flags and reasons, levels out of range, unaligned gfns, bad arrays and
 * cursors, callbacks that misbehave — must return the documented error and
 * leave every byte of the VM's state as it was.  Re-entrancy from inside a
 * callback is refused the same way.
 */
#include "helpers.h"

#define G1 GFNS_PER_1G
#define END (2 * G1)

struct hostile {
	const char *what;
	int err;
};

static unsigned int order_19(void *ctx, uint64_t gfn)
{
	(void)ctx;
	(void)gfn;
	return 19;
}

static const struct hostile cases[] = {
	{ "set_policy NULL", -EINVAL },
	{ "set_policy bad knob", -EINVAL },
	{ "slot_create NULL", -EINVAL },
	{ "slot_create past gfn_end", -ERANGE },
	{ "slot_move wrapping", -EINVAL },
	{ "slot_set_flags unknown", -EINVAL },
	{ "convert (no array) wrapping", -EINVAL },
	{ "convert (no array) past gfn_end", -ERANGE },
	{ "convert (no array) empty", -EINVAL },
	{ "vtl_protect (no array) vtl 3", -EINVAL },
	{ "vtl_protect (no array) prot 8", -EINVAL },
	{ "write_track with no array over a 1G leaf", -ENOSPC },
	{ "get_attrs past gfn_end", -ERANGE },
	{ "max_level slot past max", -EINVAL },
	{ "max_level unknown flag", -EINVAL },
	{ "max_level vcpu past nr_vcpus", -EINVAL },
	{ "max_level vtl past nr_vtls", -EINVAL },
	{ "max_level order 64", -EINVAL },
	{ "max_level accept level 4", -EINVAL },
	{ "max_level gfn outside slot", -EINVAL },
	{ "max_level unused slot", -ENOENT },
	{ "map level 0", -EINVAL },
	{ "map level 4", -EINVAL },
	{ "map above eligibility", -EINVAL },
	{ "map no room", -ENOSPC },
	{ "map nr past cap", -EINVAL },
	{ "pin_range on a non-SEV VM", -EINVAL },
	{ "is_pinned past gfn_end", -ERANGE },
	{ "zap unknown reason", -EINVAL },
	{ "zap wrapping", -EINVAL },
	{ "convert past gfn_end", -ERANGE },
	{ "convert NULL actions", -ENOSPC },
	{ "vtl_protect vtl 3", -EINVAL },
	{ "write_track empty", -EINVAL },
	{ "punch NULL order callback", -EINVAL },
	{ "punch folio order 19", -EINVAL },
	{ "punch wrapping", -EINVAL },
	{ "accept level 4", -EINVAL },
	{ "accept unaligned 2M", -EINVAL },
	{ "accept past gfn_end", -ERANGE },
	{ "dirty_log slot past max", -EINVAL },
	{ "dirty_log unused slot", -ENOENT },
	{ "merge_tick NULL actions", -ENOSPC },
	{ "promote past gfn_end", -ERANGE },
	{ "promote a 1G leaf", -EEXIST },
	{ "teardown NULL cursor", -EINVAL },
	{ "teardown cursor past the span", -EINVAL },
	{ "leaf_level past gfn_end", -ERANGE },
	{ "yield unknown flag", -EINVAL },
	{ "zap unknown filter", -EINVAL },
	{ "teardown cursor the last call did not return", -EINVAL },
	{ "vtl_leaf_level vtl past nr_vtls", -EINVAL },
	{ "vtl_leaf_level past gfn_end", -ERANGE },
	{ "accept with room for one VTL's promotes in a 2-VTL VM", -ENOSPC },
	{ "vtl_protect vtl PMP_VTL_ALL", -EINVAL },
};

#define NR_CASES (int)(sizeof(cases) / sizeof(cases[0]))

static int call(struct tvm *t, int i, struct pmp_actions *acts)
{
	struct pmp_fault f = { .gfn = 5, .slot = 0, .backing_order = 18 };
	struct pmp_slot slot = { .base_gfn = END - 1, .npages = 2, .userspace_addr = 0 };
	struct pmp_folios no_cb = { 0 }, bad = { .order = order_19 };
	struct pmp_yield_state ys = { 0 };
	struct pmp_policy p;
	struct pmp_page_attrs a;
	uint64_t cursor = END + 2;

	pmp_vm_policy(t->vm, &p);
	switch (i) {
	case 0: return pmp_vm_set_policy(t->vm, NULL);
	case 1: p.scan_ratio = 0; return pmp_vm_set_policy(t->vm, &p);
	case 2: return pmp_slot_create(t->vm, 3, NULL);
	case 3: return pmp_slot_create(t->vm, 3, &slot);
	case 4: return pmp_slot_move(t->vm, 0, ~0ULL - 5);
	case 5: return pmp_slot_set_flags(t->vm, 0, 1U << 31);
	case 6: return pmp_convert(t->vm, ~0ULL - 1, 4, true, NULL);
	case 7: return pmp_convert(t->vm, END - 1, 2, true, NULL);
	case 8: return pmp_convert(t->vm, 0, 0, true, NULL);
	case 9: return pmp_vtl_protect(t->vm, 3, 0, 1, 0, NULL);
	case 10: return pmp_vtl_protect(t->vm, 0, 0, 1, 8, NULL);
	case 11: return pmp_write_track(t->vm, 7, 1, true, NULL);
	case 12: return pmp_get_attrs(t->vm, END, &a);
	case 13: f.slot = 8; return pmp_max_level(t->vm, &f, NULL);
	case 14: f.flags = 1U << 7; return pmp_max_level(t->vm, &f, NULL);
	case 15: f.vcpu = 2; return pmp_max_level(t->vm, &f, NULL);
	case 16: f.vtl = 2; return pmp_max_level(t->vm, &f, NULL);
	case 17: f.backing_order = 64; return pmp_max_level(t->vm, &f, NULL);
	case 18: f.accept_level = 4; return pmp_max_level(t->vm, &f, NULL);
	case 19: f.gfn = G1; return pmp_max_level(t->vm, &f, NULL);
	case 20: f.slot = 5; return pmp_max_level(t->vm, &f, NULL);
	case 21: return pmp_map(t->vm, &f, 0, acts);
	case 22: return pmp_map(t->vm, &f, 4, acts);
	case 23: f.backing_order = 9; return pmp_map(t->vm, &f, PMP_LEVEL_1G, acts);
	case 24: acts->nr = acts->cap; return pmp_map(t->vm, &f, PMP_LEVEL_4K, acts);
	case 25: acts->nr = acts->cap + 1; return pmp_map(t->vm, &f, PMP_LEVEL_4K, acts);
	case 26: return pmp_pin_range(t->vm, 0, 1, acts);
	case 27: return pmp_is_pinned(t->vm, END);
	case 28: return pmp_zap(t->vm, (enum pmp_zap_reason)99, PMP_ZAP_FILTER_KVM, 0, 1, acts);
	case 29: return pmp_zap(t->vm, PMP_ZAP_MMU_NOTIFIER, PMP_ZAP_FILTER_KVM, ~0ULL, 2, acts);
	case 30: return pmp_convert(t->vm, END - 1, 2, true, acts);
	case 31: return pmp_convert(t->vm, 0, 1, true, NULL);
	case 32: return pmp_vtl_protect(t->vm, 3, 0, 1, 0, acts);
	case 33: return pmp_write_track(t->vm, 0, 0, true, acts);
	case 34: return pmp_punch(t->vm, 0, 1, &no_cb, acts);
	case 35: return pmp_punch(t->vm, 0, 1, &bad, acts);
	case 36: return pmp_punch(t->vm, ~0ULL, 2, NULL, acts);
	case 37: return pmp_accept(t->vm, 0, 4, acts);
	case 38: return pmp_accept(t->vm, 1, PMP_LEVEL_2M, acts);
	case 39: return pmp_accept(t->vm, END, PMP_LEVEL_4K, acts);
	case 40: return pmp_dirty_log(t->vm, 8, true, acts);
	case 41: return pmp_dirty_log(t->vm, 6, true, acts);
	case 42: return pmp_merge_tick(t->vm, NULL);
	case 43: return pmp_promote(t->vm, END, acts);
	case 44: return pmp_promote(t->vm, 0, acts);
	case 45: return pmp_teardown(t->vm, NULL, acts);
	case 46: return pmp_teardown(t->vm, &cursor, acts);
	case 47: return pmp_leaf_level(t->vm, END);
	case 48: return pmp_yield(t->vm, &ys, 0, 100, 1U << 9);
	case 49: return pmp_zap(t->vm, PMP_ZAP_MMU_NOTIFIER, (enum pmp_zap_filter)4, 0, 1, acts);
	case 50: return pmp_teardown(t->vm, &(uint64_t){ 5 }, acts);
	case 51: return pmp_vtl_leaf_level(t->vm, 2, 0);
	case 52: return pmp_vtl_leaf_level(t->vm, 1, END);
	case 53: acts->nr = acts->cap - PMP_EVENT_ACTIONS;
		return pmp_accept(t->vm, 0, PMP_LEVEL_4K, acts);
	case 54: return pmp_vtl_protect(t->vm, PMP_VTL_ALL, 0, 1, 0, acts);
	}
	return 0;
}

static void setup(struct tvm *t, struct pmp_actions *acts)
{
	struct pmp_geometry geo = test_geometry(END);
	struct pmp_fault f = { .gfn = 0, .slot = 0, .backing_order = 18 };

	geo.nr_vtls = 2;
	tvm_init(t, &geo);
	add_slot(t, 0, 0, G1, 0x7f0000000000ULL, 0);
	ck_assert_int_eq(pmp_vm_set_policy(t->vm, &(struct pmp_policy){ 0 }), -EINVAL);
	ck_assert_int_eq(pmp_map(t->vm, &f, PMP_LEVEL_1G, acts), 0);	/* a 1G leaf */
	acts->nr = 0;
}

START_TEST(hostile)
{
	struct pmp_action buf[64];
	struct pmp_actions acts = { .buf = buf, .cap = 64 };
	struct tvm t;
	int got;

	setup(&t, &acts);
	tvm_snapshot(&t);
	got = call(&t, _i, &acts);
	ck_assert_msg(got == cases[_i].err, "%s: got %d (%s), want %d", cases[_i].what, got,
		      pmp_strerror(got), cases[_i].err);
	ck_assert_msg(!memcmp(t.snap, t.mem, t.bytes), "%s changed the state", cases[_i].what);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tvm_free(&t);
}
END_TEST

/* Callbacks may read the VM but any state change from inside one is refused. */
struct reenter {
	struct pmp_vm *vm;
	int write_err, read_err, calls;
};

static unsigned int folio_reenters(void *ctx, uint64_t gfn)
{
	struct reenter *r = ctx;
	struct pmp_action buf[16];
	struct pmp_actions acts = { .buf = buf, .cap = 16 };
	struct pmp_slot s;

	(void)gfn;
	r->calls++;
	r->write_err = pmp_convert(r->vm, 0, 1, true, &acts);
	r->read_err = pmp_slot_get(r->vm, 0, &s);
	return 9;
}

static unsigned int poll_reenters(void *ctx)
{
	struct reenter *r = ctx;
	struct pmp_policy p;

	r->calls++;
	pmp_vm_policy(r->vm, &p);
	r->write_err = pmp_vm_set_policy(r->vm, &p);
	r->read_err = pmp_slot_delete(r->vm, 0);
	return PMP_YIELD_NEED_RESCHED;
}

START_TEST(reentrancy)
{
	struct pmp_action buf[2048];
	struct pmp_actions acts = { .buf = buf, .cap = 2048 };
	struct reenter r = { 0 };
	struct pmp_folios folios = { .order = folio_reenters, .ctx = &r };
	struct pmp_yield_ops ops = { .poll = poll_reenters, .ctx = &r };
	struct tvm t;

	setup(&t, &acts);
	r.vm = t.vm;
	ck_assert_int_eq(pmp_punch(t.vm, 3, 2, &folios, &acts), 0);
	ck_assert_int_gt(r.calls, 0);
	ck_assert_int_eq(r.write_err, -EBUSY);
	ck_assert_int_eq(r.read_err, 0);
	ck_assert_int_eq(pmp_vm_set_yield(t.vm, &ops), 0);
	r.calls = 0;
	acts.nr = 0;
	ck_assert_int_ge(pmp_merge_tick(t.vm, &acts), 0);
	ck_assert_int_gt(r.calls, 0);
	ck_assert_int_eq(r.write_err, -EBUSY);
	ck_assert_int_eq(r.read_err, -EBUSY);	/* a slot delete is a state change too */
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tvm_free(&t);
}
END_TEST

/* issue 19 #5: a zap from inside a callback is -EBUSY, even with the pool full */
static unsigned int poll_zaps(void *ctx)
{
	struct reenter *r = ctx;
	struct pmp_action buf[16];
	struct pmp_actions acts = { .buf = buf, .cap = 16 };

	r->calls++;
	r->write_err = pmp_zap(r->vm, PMP_ZAP_MMU_NOTIFIER, PMP_ZAP_FILTER_KVM, 512 + 1, 1, &acts);
	return PMP_YIELD_NEED_RESCHED;
}

START_TEST(zap_in_callback_is_busy)
{
	struct pmp_action buf[2048];
	struct pmp_actions acts = { .buf = buf, .cap = 2048 };
	struct pmp_geometry geo = test_geometry(END);
	struct reenter r = { 0 };
	struct pmp_yield_ops ops = { .poll = poll_zaps, .ctx = &r };
	struct pmp_fault f = { .gfn = 512, .slot = 0, .backing_order = 9 };
	struct tvm t;
	int err;

	geo.pool_blocks = 8;
	tvm_init(&t, &geo);
	add_slot(&t, 0, 0, G1, 0x7f0000000000ULL, 0);
	r.vm = t.vm;
	/* chunk 1 all mapped by 4 KiB leaves: uniform, so it keeps no block */
	for (f.gfn = 512; f.gfn < 1024; f.gfn++, acts.nr = 0)
		ck_assert_int_eq(pmp_map(t.vm, &f, PMP_LEVEL_4K, &acts), 0);
	/*
	 * one private page in chunks 2, 3, ... until the pool is full (a
	 * caller-sized pool: the default one has a block per chunk for them)
	 */
	for (f.gfn = 1024, err = 0; !err; f.gfn += 512, acts.nr = 0)
		err = pmp_convert(t.vm, f.gfn, 1, true, &acts);
	ck_assert_int_eq(err, -ENOMEM);
	acts.nr = 0;
	/* inside a callback, any state change is -EBUSY first: the caller must not retry later */
	ck_assert_int_eq(pmp_vm_set_yield(t.vm, &ops), 0);
	ck_assert_int_ge(pmp_merge_tick(t.vm, &acts), 0);
	ck_assert_int_gt(r.calls, 0);
	ck_assert_int_eq(r.write_err, -EBUSY);
	/* outside one, the zap succeeds: chunk 1's mirror goes unknown (lossy, internal.h) */
	ck_assert_int_eq(pmp_vm_set_yield(t.vm, NULL), 0);
	acts.nr = 0;
	ck_assert_int_eq(pmp_zap(t.vm, PMP_ZAP_MMU_NOTIFIER, PMP_ZAP_FILTER_KVM, 512 + 1, 1, &acts), 0);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tvm_free(&t);
}
END_TEST

Suite *hostile_suite(void)
{
	Suite *s = suite_create("hostile");
	TCase *tc = tcase_create("catalogue");

	tcase_add_loop_test(tc, hostile, 0, NR_CASES);
	tcase_add_test(tc, reentrancy);
	tcase_add_test(tc, zap_in_callback_is_busy);
	suite_add_tcase(s, tc);
	return s;
}
