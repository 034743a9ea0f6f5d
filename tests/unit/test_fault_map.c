// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * pmp_fault_map(), the one call, against the pair it stands for:
 * pmp_max_level() then pmp_map() at its level (capped by the caller).  Two
 * twin VMs get the same setup through the pair; then the fault under test
 * goes to one twin as the pair and to the other as the one call.  The
 * return, the reason, the actions and every byte of the two VMs must
 * agree, and the return must be the case's.
 */
#include "helpers.h"

#define G1 GFNS_PER_1G
#define M2 GFNS_PER_2M
#define UA 0x7f0000000000ULL

struct step {
	uint64_t gfn;
	uint8_t backing_order;
};

static const struct fm_case {
	const char *name;
	uint32_t vm_type, nr_vtls;
	const char *policy;
	uint64_t slot_base, slot_npages, uaddr;
	uint32_t slot_flags;
	/* faults of the setup, through the pair: gfn and order 0 ends */
	struct step pre[4];
	uint64_t pre_run;	/* then the 4 KiB faults [pre_run, pre_run + pre_n) */
	uint64_t pre_n;
	struct pmp_fault f;	/* the fault under test */
	int max_level;		/* out of range: the one call's own refusal, no pair */
	uint32_t cap;		/* its array; 0: 64 */
	int want;		/* level or -errno */
} cases[] = {
	{ "4K leaf on a 4K folio", PMP_VM_SEV, 1, "pin=fault", 0, 2 * G1, UA, 0, { { 0 } }, 0, 0,
	  { .gfn = 7 }, PMP_LEVEL_1G, 0, PMP_LEVEL_4K },
	{ "4K leaf beside 4K leaves", PMP_VM_SEV, 1, "pin=fault", 0, 2 * G1, UA, 0,
	  { { 6, 0 }, { 8, 0 } }, 0, 0, { .gfn = 7 }, PMP_LEVEL_1G, 0, PMP_LEVEL_4K },
	{ "4K leaf, not pinning", PMP_VM_DEFAULT, 1, "", 0, 2 * G1, UA, 0, { { 6, 0 } }, 0, 0,
	  { .gfn = 7 }, PMP_LEVEL_1G, 0, PMP_LEVEL_4K },
	{ "4K leaf completing a 2M (merge=fault)", PMP_VM_SEV, 1, "pin=fault,merge=fault", 0,
	  2 * G1, UA, 0, { { 0 } }, M2, M2 - 1, { .gfn = 2 * M2 - 1, .backing_order = 9 },
	  PMP_LEVEL_4K, 0, PMP_LEVEL_4K },
	{ "2M leaf", PMP_VM_SEV, 1, "pin=fault", 0, 2 * G1, UA, 0, { { 0 } }, 0, 0,
	  { .gfn = M2 + 5, .backing_order = 9 }, PMP_LEVEL_1G, 0, PMP_LEVEL_2M },
	{ "2M leaf over 4K leaves", PMP_VM_SEV, 1, "pin=fault", 0, 2 * G1, UA, 0,
	  { { M2 + 1, 0 }, { M2 + 300, 0 } }, 0, 0, { .gfn = M2 + 5, .backing_order = 9 },
	  PMP_LEVEL_1G, 0, PMP_LEVEL_2M },
	{ "2M leaf, not pinning", PMP_VM_DEFAULT, 1, "", 0, 2 * G1, UA, 0, { { M2 + 1, 0 } }, 0, 0,
	  { .gfn = M2 + 5, .backing_order = 9 }, PMP_LEVEL_1G, 0, PMP_LEVEL_2M },
	{ "1G leaf", PMP_VM_SEV, 1, "pin=fault", 0, 2 * G1, UA, 0, { { G1 + M2, 9 } }, 0, 0,
	  { .gfn = G1 + 3, .backing_order = 18 }, PMP_LEVEL_1G, 0, PMP_LEVEL_1G },
	{ "1G fault capped at 2M", PMP_VM_SEV, 1, "pin=fault", 0, 2 * G1, UA, 0, { { 0 } }, 0, 0,
	  { .gfn = G1 + 3, .backing_order = 18 }, PMP_LEVEL_2M, 0, PMP_LEVEL_2M },
	{ "2M fault capped at 4K", PMP_VM_SEV, 1, "pin=fault", 0, 2 * G1, UA, 0, { { 0 } }, 0, 0,
	  { .gfn = M2 + 5, .backing_order = 9 }, PMP_LEVEL_4K, 0, PMP_LEVEL_4K },
	{ "4K leaf under a 2M leaf", PMP_VM_SEV, 1, "pin=fault", 0, 2 * G1, UA, 0,
	  { { M2, 9 } }, 0, 0, { .gfn = M2 + 5, .backing_order = 9 }, PMP_LEVEL_4K, 0,
	  PMP_LEVEL_4K },
	{ "slot edge: 4K past the last whole 2M", PMP_VM_SEV, 1, "pin=fault", 0, G1 + 100, UA, 0,
	  { { 0 } }, 0, 0, { .gfn = G1 + 50, .backing_order = 18 }, PMP_LEVEL_1G, 0, PMP_LEVEL_4K },
	{ "slot edge: 2M below a partial 1G", PMP_VM_SEV, 1, "pin=fault", 0, G1 + 3 * M2, UA, 0,
	  { { 0 } }, 0, 0, { .gfn = G1 + M2 + 9, .backing_order = 18 }, PMP_LEVEL_1G, 0,
	  PMP_LEVEL_2M },
	{ "slot edge: first page of an unaligned slot", PMP_VM_SEV, 1, "pin=fault", 3, G1, UA + 3 * 4096,
	  0, { { 0 } }, 0, 0, { .gfn = 3, .backing_order = 18 }, PMP_LEVEL_1G, 0, PMP_LEVEL_4K },
	{ "misaligned host address", PMP_VM_SEV, 1, "pin=fault", 0, 2 * G1, UA + 4096, 0,
	  { { 0 } }, 0, 0, { .gfn = M2 + 5, .backing_order = 18 }, PMP_LEVEL_1G, 0, PMP_LEVEL_4K },
	{ "dirty logging", PMP_VM_SEV, 1, "pin=fault", 0, 2 * G1, UA, PMP_SLOT_DIRTY_LOG, { { 0 } },
	  0, 0, { .gfn = M2 + 5, .backing_order = 18 }, PMP_LEVEL_1G, 0, PMP_LEVEL_4K },
	{ "VTL 1's 2M leaf", PMP_VM_DEFAULT, 2, "", 0, 2 * G1, UA, 0, { { 0 } }, 0, 0,
	  { .gfn = M2 + 5, .vtl = 1, .backing_order = 9 }, PMP_LEVEL_1G, 0, PMP_LEVEL_2M },
	{ "VTL 1's 4K leaf", PMP_VM_DEFAULT, 2, "", 0, 2 * G1, UA, 0, { { 0 } }, 0, 0,
	  { .gfn = 9, .vtl = 1 }, PMP_LEVEL_1G, 0, PMP_LEVEL_4K },
	{ "pin limit: 4K refused", PMP_VM_SEV, 1, "pin=fault,pin_limit=512", 0, 2 * G1, UA, 0,
	  { { 0, 9 } }, 0, 0, { .gfn = M2 + 1 }, PMP_LEVEL_1G, 0, -ENOMEM },
	{ "pin limit: 2M refused", PMP_VM_SEV, 1, "pin=fault,pin_limit=600", 0, 2 * G1, UA, 0,
	  { { 0, 9 } }, 0, 0, { .gfn = M2 + 1, .backing_order = 9 }, PMP_LEVEL_1G, 0, -ENOMEM },
	{ "pin limit: pinned page, fine", PMP_VM_SEV, 1, "pin=fault,pin_limit=512", 0, 2 * G1, UA,
	  0, { { 0, 9 } }, 0, 0, { .gfn = 3 }, PMP_LEVEL_4K, 0, PMP_LEVEL_4K },
	{ "no room for the actions", PMP_VM_SEV, 1, "pin=fault", 0, 2 * G1, UA, 0, { { 0 } }, 0, 0,
	  { .gfn = 7 }, PMP_LEVEL_1G, 1, -ENOSPC },
	{ "no such slot", PMP_VM_SEV, 1, "pin=fault", 0, 2 * G1, UA, 0, { { 0 } }, 0, 0,
	  { .gfn = 7, .slot = 3 }, PMP_LEVEL_1G, 0, -ENOENT },
	{ "gfn outside its slot", PMP_VM_SEV, 1, "pin=fault", 0, G1, UA, 0, { { 0 } }, 0, 0,
	  { .gfn = G1 + 7 }, PMP_LEVEL_1G, 0, -EINVAL },
	{ "bad vCPU", PMP_VM_SEV, 1, "pin=fault", 0, 2 * G1, UA, 0, { { 0 } }, 0, 0,
	  { .gfn = 7, .vcpu = 2 }, PMP_LEVEL_1G, 0, -EINVAL },
	{ "bad VTL", PMP_VM_SEV, 1, "pin=fault", 0, 2 * G1, UA, 0, { { 0 } }, 0, 0,
	  { .gfn = 7, .vtl = 1 }, PMP_LEVEL_1G, 0, -EINVAL },
	{ "max_level 0", PMP_VM_SEV, 1, "pin=fault", 0, 2 * G1, UA, 0, { { 0 } }, 0, 0,
	  { .gfn = 7 }, 0, 0, -EINVAL },
	{ "max_level past 1G", PMP_VM_SEV, 1, "pin=fault", 0, 2 * G1, UA, 0, { { 0 } }, 0, 0,
	  { .gfn = 7 }, PMP_LEVEL_1G + 1, 0, -EINVAL },
};

#define NR_CASES (int)(sizeof(cases) / sizeof(cases[0]))

struct twin {
	struct tvm t;
	struct pmp_action buf[64];
	struct pmp_actions acts;
};

static void twin_init(struct twin *w, const struct fm_case *c)
{
	struct pmp_geometry geo = test_geometry(2 * G1);
	struct pmp_policy p;

	geo.vm_type = c->vm_type;
	geo.nr_vtls = c->nr_vtls;
	tvm_init(&w->t, &geo);
	ck_assert_int_eq(pmp_policy_preset(&p, "recommended"), 0);
	ck_assert_int_eq(pmp_policy_parse(&p, c->policy, NULL), 0);
	ck_assert_int_eq(pmp_vm_set_policy(w->t.vm, &p), 0);
	add_slot(&w->t, 0, c->slot_base, c->slot_npages, c->uaddr, c->slot_flags);
}

static struct pmp_actions *fresh(struct twin *w, uint32_t cap)
{
	w->acts = (struct pmp_actions){ .buf = w->buf, .cap = cap ? cap : 64 };
	return &w->acts;
}

/* The pair: pmp_max_level(), then pmp_map() at its level capped at @max_level. */
static int pair(struct twin *w, const struct pmp_fault *f, int max_level, uint32_t cap,
		enum pmp_reason *why)
{
	int level = pmp_max_level(w->t.vm, f, why), err;

	fresh(w, cap);
	if (level < 0)
		return level;
	if (level > max_level)
		level = max_level;
	err = pmp_map(w->t.vm, f, level, &w->acts);
	return err ? err : level;
}

/* A setup fault, through the pair, at the level allowed. */
static void pre_fault(struct twin *w, uint64_t gfn, uint8_t order)
{
	struct pmp_fault f = { .gfn = gfn, .backing_order = order };
	enum pmp_reason why;

	ck_assert_int_gt(pair(w, &f, PMP_LEVEL_1G, 0, &why), 0);
}

static void setup(struct twin *w, const struct fm_case *c)
{
	uint64_t g;
	int i;

	twin_init(w, c);
	for (i = 0; i < 4 && (c->pre[i].gfn || c->pre[i].backing_order); i++)
		pre_fault(w, c->pre[i].gfn, c->pre[i].backing_order);
	for (g = c->pre_run; g < c->pre_run + c->pre_n; g++)
		pre_fault(w, g, 0);
}

START_TEST(one_call_is_the_pair)
{
	const struct fm_case *c = &cases[_i];
	enum pmp_reason why_pair = PMP_REASON_NR, why_one = PMP_REASON_NR;
	struct twin *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	bool one_only = c->max_level < PMP_LEVEL_4K || c->max_level > PMP_LEVEL_1G;
	int want = c->want, got;

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	setup(a, c);
	setup(b, c);
	ck_assert_msg(!memcmp(a->t.mem, b->t.mem, a->t.bytes), "%s: twins differ", c->name);
	tvm_snapshot(&b->t);
	got = pmp_fault_map(b->t.vm, &c->f, c->max_level, &why_one, fresh(b, c->cap));
	ck_assert_msg(got == want, "%s: pmp_fault_map %d, want %d", c->name, got, want);
	if (one_only) {
		ck_assert_int_eq(why_one, PMP_REASON_NR);	/* nothing decided */
		ck_assert_uint_eq(b->acts.nr, 0);
		ck_assert_unchanged(&b->t);
	} else {
		ck_assert_int_eq(pair(a, &c->f, c->max_level, c->cap, &why_pair), want);
		/* both PMP_REASON_NR for a fault refused before it is decided */
		ck_assert_msg(why_one == why_pair, "%s: reason %s, the pair's %s", c->name,
			      pmp_reason_name(why_one), pmp_reason_name(why_pair));
		ck_assert_uint_eq(b->acts.nr, a->acts.nr);
		ck_assert_msg(!memcmp(a->buf, b->buf, a->acts.nr * sizeof(a->buf[0])),
			      "%s: actions differ", c->name);
		ck_assert_msg(!memcmp(a->t.mem, b->t.mem, a->t.bytes), "%s: states differ", c->name);
	}
	if (want > 0)	/* or larger: a merge at the fault */
		ck_assert_int_ge(pmp_vtl_leaf_level(b->t.vm, c->f.vtl, c->f.gfn), want);
	if (want == -ENOMEM)
		ck_assert_int_eq(pmp_vtl_leaf_level(b->t.vm, c->f.vtl, c->f.gfn), 0);
	ck_assert_int_eq(pmp_vm_check(b->t.vm), 0);
	tvm_free(&a->t);
	tvm_free(&b->t);
	free(a);
	free(b);
}
END_TEST

Suite *fault_map_suite(void)
{
	Suite *s = suite_create("fault_map");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, one_call_is_the_pair, 0, NR_CASES);
	suite_add_tcase(s, tc);
	return s;
}
