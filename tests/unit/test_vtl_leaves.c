// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Per-VTL leaf records (issue 13 #5).  Each VTL has its own page tables in
 * KVM, so the mirror keeps a leaf record per VTL: a fault, a merge and a
 * VTL's protection change concern one VTL's leaves and only that VTL's
 * protections decide their size; conversions, punches, zaps and teardown
 * concern every VTL (actions say which in struct pmp_action's vtl).
 */
#include <stdio.h>
#include "helpers.h"

#define ACTS 2048	/* a punch wants PMP_PUNCH_ACTIONS + 14 */

struct lv {
	struct tvm t;
	struct pmp_action buf[ACTS];
	struct pmp_actions acts;
};

static struct lv *lv_new(uint32_t nr_vtls, uint32_t vm_type, enum pmp_merge merge)
{
	struct lv *v = calloc(1, sizeof(*v));
	struct pmp_geometry geo = test_geometry(GFNS_PER_1G);
	struct pmp_policy p;

	ck_assert_ptr_nonnull(v);
	geo.nr_vtls = nr_vtls;
	geo.vm_type = vm_type;
	tvm_init(&v->t, &geo);
	pmp_vm_policy(v->t.vm, &p);
	p.merge = merge;
	p.split = PMP_SPLIT_INPLACE;	/* splits keep the other leaves: what they split shows */
	p.inval = PMP_INVAL_IMMEDIATE;	/* a punch takes its leaves now */
	ck_assert_int_eq(pmp_vm_set_policy(v->t.vm, &p), 0);
	add_slot(&v->t, 0, 0, GFNS_PER_1G, 0x7f0000000000ULL, 0);
	v->acts = (struct pmp_actions){ .buf = v->buf, .cap = ACTS };
	return v;
}

static void lv_free(struct lv *v)
{
	tvm_free(&v->t);
	free(v);
}

static struct pmp_actions *fresh(struct lv *v)
{
	v->acts.nr = 0;
	return &v->acts;
}

/* Fault @gfn from @vtl at @level, or at the largest level allowed if @level is 0. */
static void fault(struct lv *v, unsigned int vtl, uint64_t gfn, int level)
{
	struct pmp_fault f = { .gfn = gfn, .vtl = (uint8_t)vtl, .backing_order = 9 };
	enum pmp_reason why;
	int max = pmp_max_level(v->t.vm, &f, &why);

	ck_assert_int_ge(max, level ? level : PMP_LEVEL_4K);
	ck_assert_int_eq(pmp_map(v->t.vm, &f, level ? level : max, fresh(v)), 0);
	ck_assert_int_eq(pmp_vm_check(v->t.vm), 0);
}

static void protect(struct lv *v, unsigned int vtl, uint64_t gfn, unsigned int prot)
{
	ck_assert_int_eq(pmp_vtl_protect(v->t.vm, vtl, gfn, 1, prot, fresh(v)), 0);
	ck_assert_int_eq(pmp_vm_check(v->t.vm), 0);
}

/* Actions of the last call of @type naming @vtl. */
static uint32_t count(const struct lv *v, enum pmp_action_type type, unsigned int vtl)
{
	uint32_t i, n = 0;

	for (i = 0; i < v->acts.nr; i++)
		n += v->buf[i].type == type && v->buf[i].vtl == vtl;
	return n;
}

/* The range's merge under @merge brings @vtl's leaves at 2 MiB back; @gfn lies in it. */
static void merge(struct lv *v, enum pmp_merge merge, unsigned int vtl, uint64_t gfn)
{
	switch (merge) {
	case PMP_MERGE_SCAN:
		ck_assert_int_ge(pmp_merge_tick(v->t.vm, fresh(v)), 1);
		ck_assert_uint_eq(count(v, PMP_ACT_PROMOTE, vtl), 1);
		break;
	case PMP_MERGE_BLOCKED:
		ck_assert_int_ge(pmp_merge_tick(v->t.vm, fresh(v)), 1);
		ck_assert_uint_eq(count(v, PMP_ACT_BLOCK, vtl), 1);
		ck_assert_int_eq(pmp_vm_check(v->t.vm), 0);
		fault(v, vtl, gfn, PMP_LEVEL_2M);	/* the blocked range's next fault promotes */
		ck_assert_uint_eq(count(v, PMP_ACT_PROMOTE, vtl), 1);
		break;
	default:
		break;		/* merge=fault: the fault that completed the range promoted it */
	}
	ck_assert_int_eq(pmp_vm_check(v->t.vm), 0);
}

/*
 * The defect: a 2-VTL VM faults a 2 MiB range huge in VTL 0 and in VTL 1.
 * A VTL 1 protection change splits VTL 1's leaf only (on the parent: the
 * one record, so VTL 0's too).  A VTL 0 change splits VTL 0's; undone, and
 * VTL 0's page faulted back at 4 KiB, the merge (tick, blocked, fault-time)
 * brings VTL 0 back to 2 MiB although VTL 1's protections still differ in
 * the range (on the parent every VTL had to be uniform: never merged).
 * Then VTL 1's change is undone and VTL 1 merges back too.
 */
START_TEST(merge_back_after_split)
{
	static const enum pmp_merge merges[] = { PMP_MERGE_SCAN, PMP_MERGE_FAULT,
						 PMP_MERGE_BLOCKED };
	struct lv *v = lv_new(2, PMP_VM_DEFAULT, merges[_i]);
	struct pmp_vm *vm = v->t.vm;

	fault(v, 0, 300, 0);
	fault(v, 1, 300, 0);
	ck_assert_int_eq(pmp_leaf_level(vm, 0), PMP_LEVEL_2M);
	ck_assert_int_eq(pmp_vtl_leaf_level(vm, 1, 0), PMP_LEVEL_2M);

	protect(v, 1, 5, PMP_PROT_R);
	ck_assert_uint_eq(count(v, PMP_ACT_ZAP, 1), 1);
	ck_assert_uint_eq(count(v, PMP_ACT_ZAP, 0) + count(v, PMP_ACT_ZAP, PMP_VTL_ALL), 0);
	ck_assert_int_eq(pmp_leaf_level(vm, 5), PMP_LEVEL_2M);		/* VTL 0 untouched */
	ck_assert_int_eq(pmp_vtl_leaf_level(vm, 1, 5), 0);		/* zapped */
	ck_assert_int_eq(pmp_vtl_leaf_level(vm, 1, 300), PMP_LEVEL_4K);	/* split */

	protect(v, 0, 10, PMP_PROT_R | PMP_PROT_W);
	ck_assert_int_eq(pmp_leaf_level(vm, 10), 0);
	ck_assert_int_eq(pmp_leaf_level(vm, 300), PMP_LEVEL_4K);
	protect(v, 0, 10, PMP_PROT_RWX);
	fault(v, 0, 10, PMP_LEVEL_4K);	/* the range is full again in VTL 0 */
	merge(v, merges[_i], 0, 20);
	ck_assert_int_eq(pmp_leaf_level(vm, 300), PMP_LEVEL_2M);
	ck_assert_int_eq(pmp_vtl_leaf_level(vm, 1, 300), PMP_LEVEL_4K);

	protect(v, 1, 5, PMP_PROT_RWX);
	fault(v, 1, 5, PMP_LEVEL_4K);
	merge(v, merges[_i], 1, 20);
	ck_assert_int_eq(pmp_vtl_leaf_level(vm, 1, 300), PMP_LEVEL_2M);
	ck_assert_int_eq(pmp_leaf_level(vm, 300), PMP_LEVEL_2M);
	lv_free(v);
}
END_TEST

/*
 * Which VTLs' leaves each event takes, and what its actions say.  Both VTLs
 * of a 2-VTL VM map chunk 0 at 2 MiB; each row's call covers gfn 7.
 */
enum op { OP_NOTIFIER, OP_SLOT_DELETE, OP_CONVERT, OP_PUNCH, OP_PROTECT0, OP_PROTECT1,
	  OP_WRITE_TRACK };

static const struct {
	const char *name;
	enum op op;
	int level[2];		/* VTL 0's and VTL 1's leaf over gfn 300 afterwards */
	enum pmp_action_type type;	/* the action taking the leaves */
	unsigned int vtl;	/* the VTL it names */
} zap_rows[] = {
	{ "MMU notifier zap", OP_NOTIFIER, { 0, 0 }, PMP_ACT_ZAP, PMP_VTL_ALL },
	{ "memslot deletion", OP_SLOT_DELETE, { 0, 0 }, PMP_ACT_ZAP, PMP_VTL_ALL },
	{ "conversion", OP_CONVERT, { PMP_LEVEL_4K, PMP_LEVEL_4K }, PMP_ACT_SPLIT, PMP_VTL_ALL },
	{ "punch", OP_PUNCH, { PMP_LEVEL_4K, PMP_LEVEL_4K }, PMP_ACT_SPLIT, PMP_VTL_ALL },
	{ "VTL 0 protection", OP_PROTECT0, { PMP_LEVEL_4K, PMP_LEVEL_2M }, PMP_ACT_SPLIT, 0 },
	{ "VTL 1 protection", OP_PROTECT1, { PMP_LEVEL_2M, PMP_LEVEL_4K }, PMP_ACT_SPLIT, 1 },
	{ "write tracking", OP_WRITE_TRACK, { PMP_LEVEL_4K, PMP_LEVEL_4K }, PMP_ACT_SPLIT,
	  PMP_VTL_ALL },
};

static int zap_row_call(struct lv *v, enum op op)
{
	struct pmp_vm *vm = v->t.vm;

	switch (op) {
	case OP_NOTIFIER:
		return pmp_zap(vm, PMP_ZAP_MMU_NOTIFIER, PMP_ZAP_FILTER_KVM, 7, 1, fresh(v));
	case OP_SLOT_DELETE:
		return pmp_zap(vm, PMP_ZAP_SLOT_DELETE, PMP_ZAP_FILTER_KVM, 0, GFNS_PER_1G,
			       fresh(v));
	case OP_CONVERT:
		return pmp_convert(vm, 7, 1, true, fresh(v));
	case OP_PUNCH:
		return pmp_punch(vm, 7, 1, NULL, fresh(v));
	case OP_PROTECT0:
		return pmp_vtl_protect(vm, 0, 7, 1, PMP_PROT_R, fresh(v));
	case OP_PROTECT1:
		return pmp_vtl_protect(vm, 1, 7, 1, PMP_PROT_R, fresh(v));
	default:
		return pmp_write_track(vm, 7, 1, true, fresh(v));
	}
}

START_TEST(zaps_by_vtl)
{
	struct lv *v = lv_new(2, PMP_VM_DEFAULT, PMP_MERGE_NONE);
	unsigned int vtl;
	uint32_t i;

	fault(v, 0, 0, PMP_LEVEL_2M);
	fault(v, 1, 0, PMP_LEVEL_2M);
	ck_assert_msg(zap_row_call(v, zap_rows[_i].op) == 0, "%s", zap_rows[_i].name);
	ck_assert_int_eq(pmp_vm_check(v->t.vm), 0);
	for (vtl = 0; vtl < 2; vtl++)
		ck_assert_msg(pmp_vtl_leaf_level(v->t.vm, vtl, 300) == zap_rows[_i].level[vtl],
			      "%s: VTL %u's leaf is %d", zap_rows[_i].name, vtl,
			      pmp_vtl_leaf_level(v->t.vm, vtl, 300));
	ck_assert_msg(count(v, zap_rows[_i].type, zap_rows[_i].vtl) == 1, "%s",
		      zap_rows[_i].name);
	/* every action of the call names the same VTLs, or none (PIN, INVALIDATE: all) */
	for (i = 0; i < v->acts.nr; i++)
		ck_assert_msg(v->buf[i].vtl == zap_rows[_i].vtl ||
			      v->buf[i].type == PMP_ACT_INVALIDATE || v->buf[i].type == PMP_ACT_FLUSH,
			      "%s: %s names VTL %u", zap_rows[_i].name,
			      pmp_action_name(v->buf[i].type), v->buf[i].vtl);
	lv_free(v);
}
END_TEST

/*
 * The candidate index: one bit per chunk shared by the VTLs, a flag per
 * VTL.  Chunk 0 is a candidate in both VTLs (fully mapped in VTL 0 only),
 * chunk 1 in VTL 1 only (fully mapped).  A tick promotes VTL 0's chunk 0
 * and VTL 1's chunk 1, and chunk 0 stays a candidate for VTL 1 (its bit
 * stays set: pmp_vm_check() verifies it); the next tick finds nothing to do.
 */
START_TEST(candidates_per_vtl)
{
	struct lv *v = lv_new(2, PMP_VM_DEFAULT, PMP_MERGE_SCAN);
	struct pmp_vm *vm = v->t.vm;
	struct pmp_stats st;
	uint64_t g;
	uint32_t i;

	for (g = 0; g < GFNS_PER_2M; g++)
		fault(v, 0, g, PMP_LEVEL_4K);
	fault(v, 1, 3, PMP_LEVEL_4K);
	for (g = GFNS_PER_2M; g < 2 * GFNS_PER_2M; g++)
		fault(v, 1, g, PMP_LEVEL_4K);
	ck_assert_int_ge(pmp_merge_tick(vm, fresh(v)), 1);
	ck_assert_int_eq(pmp_vm_check(vm), 0);
	ck_assert_uint_eq(count(v, PMP_ACT_PROMOTE, 0) + count(v, PMP_ACT_PROMOTE, 1), 2);
	for (i = 0; i < v->acts.nr; i++) {
		if (v->buf[i].type != PMP_ACT_PROMOTE)
			continue;
		ck_assert_uint_eq(v->buf[i].gfn, v->buf[i].vtl ? GFNS_PER_2M : 0);
	}
	ck_assert_int_eq(pmp_leaf_level(vm, 100), PMP_LEVEL_2M);
	ck_assert_int_eq(pmp_vtl_leaf_level(vm, 1, 3), PMP_LEVEL_4K);
	ck_assert_int_eq(pmp_vtl_leaf_level(vm, 1, GFNS_PER_2M + 100), PMP_LEVEL_2M);
	pmp_vm_stats(vm, &st);
	ck_assert_int_ge(pmp_merge_tick(vm, fresh(v)), 1);
	ck_assert_uint_eq(v->acts.nr, 0);	/* VTL 1's chunk 0 is not full: refused */
	ck_assert_int_eq(pmp_vm_check(vm), 0);
	lv_free(v);
}
END_TEST

/* Teardown takes every VTL's leaves and every pin, with one ZAP for all VTLs. */
START_TEST(teardown_every_vtl)
{
	struct lv *v = lv_new(3, PMP_VM_SEV, PMP_MERGE_FAULT);
	struct pmp_vm *vm = v->t.vm;
	uint64_t cursor = 0;
	unsigned int vtl;

	fault(v, 0, 0, PMP_LEVEL_2M);
	fault(v, 1, GFNS_PER_2M + 1, PMP_LEVEL_4K);
	fault(v, 2, 2 * GFNS_PER_2M, PMP_LEVEL_2M);
	fault(v, 2, 5, PMP_LEVEL_4K);
	ck_assert_uint_eq(pmp_nr_pinned(vm), 2 * GFNS_PER_2M + 1);
	ck_assert_int_eq(pmp_teardown(vm, &cursor, fresh(v)), 0);
	ck_assert_uint_eq(count(v, PMP_ACT_ZAP, PMP_VTL_ALL), 1);
	ck_assert_uint_eq(pmp_nr_pinned(vm), 0);
	for (vtl = 0; vtl < 3; vtl++) {
		ck_assert_int_eq(pmp_vtl_leaf_level(vm, vtl, 5), 0);
		ck_assert_int_eq(pmp_vtl_leaf_level(vm, vtl, GFNS_PER_2M + 1), 0);
		ck_assert_int_eq(pmp_vtl_leaf_level(vm, vtl, 2 * GFNS_PER_2M), 0);
	}
	ck_assert_int_eq(pmp_vtl_leaf_level(vm, 3, 0), -EINVAL);
	ck_assert_int_eq(pmp_vtl_leaf_level(vm, 0, GFNS_PER_1G), -ERANGE);
	ck_assert_int_eq(pmp_vm_check(vm), 0);
	lv_free(v);
}
END_TEST

/* Fault @gfn from @vtl at 4 KiB, private memory. */
static void fault_private(struct lv *v, unsigned int vtl, uint64_t gfn)
{
	struct pmp_fault f = { .gfn = gfn, .vtl = (uint8_t)vtl, .backing_order = 9,
			       .flags = PMP_FAULT_PRIVATE };

	ck_assert_int_eq(pmp_map(v->t.vm, &f, PMP_LEVEL_4K, fresh(v)), 0);
}

/*
 * merge=fault on TDX with 2 VTLs: both VTLs map a private chunk at 4 KiB;
 * the guest's 2 MiB accept completes it, and each VTL's page tables get
 * their promote (BLOCK, TRACK, PROMOTE naming that VTL).  That needs
 * PMP_ACCEPT_ACTIONS(2) entries: with PMP_EVENT_ACTIONS the accept is
 * -ENOSPC, nothing changed.
 */
START_TEST(accept_promotes_each_vtl)
{
	struct lv *v = lv_new(2, PMP_VM_TDX, PMP_MERGE_FAULT);
	struct pmp_vm *vm = v->t.vm;
	struct pmp_actions small = { .buf = v->buf, .cap = PMP_EVENT_ACTIONS };
	unsigned int vtl;
	uint64_t g;

	ck_assert_int_eq(pmp_convert(vm, 0, GFNS_PER_2M, true, fresh(v)), 0);
	for (vtl = 0; vtl < 2; vtl++)
		for (g = 0; g < GFNS_PER_2M; g++)
			fault_private(v, vtl, g);
	ck_assert_int_eq(pmp_vm_check(vm), 0);
	ck_assert_fails_clean(&v->t, -ENOSPC, pmp_accept(vm, 0, PMP_LEVEL_2M, &small));
	ck_assert_int_eq(PMP_ACCEPT_ACTIONS(2), PMP_EVENT_ACTIONS + 6);
	v->acts.cap = PMP_ACCEPT_ACTIONS(2);
	ck_assert_int_eq(pmp_accept(vm, 0, PMP_LEVEL_2M, fresh(v)), 0);
	v->acts.cap = ACTS;
	ck_assert_int_eq(pmp_vm_check(vm), 0);
	for (vtl = 0; vtl < 2; vtl++) {
		ck_assert_uint_eq(count(v, PMP_ACT_BLOCK, vtl), 1);
		ck_assert_uint_eq(count(v, PMP_ACT_TRACK, vtl), 1);
		ck_assert_uint_eq(count(v, PMP_ACT_PROMOTE, vtl), 1);
		ck_assert_int_eq(pmp_vtl_leaf_level(vm, vtl, 300), PMP_LEVEL_2M);
	}
	lv_free(v);
}
END_TEST

Suite *vtl_leaves_suite(void)
{
	Suite *s = suite_create("vtl_leaves");
	TCase *tc = tcase_create("leaves");

	tcase_add_loop_test(tc, merge_back_after_split, 0, 3);
	tcase_add_loop_test(tc, zaps_by_vtl, 0, (int)(sizeof(zap_rows) / sizeof(zap_rows[0])));
	tcase_add_test(tc, candidates_per_vtl);
	tcase_add_test(tc, teardown_every_vtl);
	tcase_add_test(tc, accept_promotes_each_vtl);
	suite_add_tcase(s, tc);
	return s;
}
