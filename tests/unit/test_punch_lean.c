// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * pmp_punch()'s one-page path (pmp_punch_lean_4k()) against the general
 * one (pmp_punch_range()).  Each case runs its steps on two copies of one
 * VM: setup steps go to both alike; a one-page punch goes to one twin
 * through the lean path (which must take it, or decline with nothing
 * changed, as the case says, pmp_punch() then deciding) and to the other
 * through the general path.  After every step: same return, same actions,
 * the same state byte for byte, and pmp_vm_check() clean on both.
 */
#include "twin.h"
#include "../libpmem_policy/internal.h"

#define M2 GFNS_PER_2M
#define G1 GFNS_PER_1G
#define UA 0x7f0000000000ULL
#define MAX_STEPS 8

enum pl_op {
	PL_END,
	PL_MAP,		/* setup: a fault at @level, backed by a folio of order @order */
	PL_RANGE,	/* setup: pmp_convert() of [gfn, gfn + n) to private */
	PL_PUNCH,	/* setup: pmp_punch() of [gfn, gfn + n), as faults saw the folios */
	PL_PAGE,	/* under test: one page punched, @lean: the lean path takes it */
};

struct pl_step {
	enum pl_op op;
	uint64_t gfn;
	uint64_t n;		/* PL_RANGE, PL_PUNCH: pages; PL_PAGE: room (0 plenty, 1 none) */
	int level;
	unsigned int order;
	bool lean;
};

struct pl_case {
	const char *name;
	int vm_type;
	const char *policy;
	uint64_t slot_npages;
	struct pl_step steps[MAX_STEPS];
};

#define MAP(g, l, o) { PL_MAP, (g), 0, (l), (o), false }
#define RANGE(g, n) { PL_RANGE, (g), (n), 0, 0, false }
#define PUNCH(g, n) { PL_PUNCH, (g), (n), 0, 0, false }
#define PAGE(g, lean) { PL_PAGE, (g), 0, 0, 0, (lean) }
#define PAGE_ROOM(g, room) { PL_PAGE, (g), (room), 0, 0, false }

static const struct pl_case cases[] = {
	{ "into a bitmap, twice the same page", PMP_VM_DEFAULT, "inval=defer-2m", 2 * G1,
	  { MAP(M2 + 5, PMP_LEVEL_4K, 9), PAGE(M2 + 5, false), PAGE(M2 + 6, true),
	    PAGE(M2 + 6, true), PAGE(M2 + 200, true), PAGE(M2 + 5, true) } },
	{ "inside a 2M leaf", PMP_VM_DEFAULT, "inval=defer-2m", 2 * G1,
	  { MAP(M2, PMP_LEVEL_2M, 9), PAGE(M2 + 3, false), PAGE(M2 + 4, true),
	    PAGE(M2 + 511, true), PAGE(M2, true) } },
	{ "the bitmap's last page", PMP_VM_DEFAULT, "inval=defer-2m", 2 * G1,
	  { MAP(M2, PMP_LEVEL_2M, 9), PUNCH(M2, 63), PAGE(M2 + 64, true), PUNCH(M2 + 65, M2 - 66),
	    PAGE(M2 + 63, false), PAGE(M2 + 63, false), PAGE(M2 + 511, false),
	    PAGE(M2 + 7, false) } },
	{ "a word filled, the bitmap not", PMP_VM_DEFAULT, "inval=defer-2m", 2 * G1,
	  { MAP(M2, PMP_LEVEL_2M, 9), PUNCH(M2, 63), PAGE(M2 + 63, false), PAGE(M2 + 64, true) } },
	{ "4K folios: issued at once", PMP_VM_DEFAULT, "inval=defer-2m", 2 * G1,
	  { MAP(M2 + 5, PMP_LEVEL_4K, 0), PAGE(M2 + 5, false), PAGE(M2 + 6, false) } },
	{ "private and mapped: issued at once", PMP_VM_TDX, "inval=defer-2m", 2 * G1,
	  { RANGE(M2, M2), MAP(M2 + 5, PMP_LEVEL_4K, 9), MAP(M2 + 9, PMP_LEVEL_4K, 9),
	    PAGE(M2 + 6, false), PAGE(M2 + 7, true), PAGE(M2 + 9, false), PAGE(M2 + 8, false) } },
	/* the chunk's state goes past the slot's end: so does its deferral, as before */
	{ "memslot edge", PMP_VM_DEFAULT, "inval=defer-2m", M2 + 100,
	  { MAP(M2 + 99, PMP_LEVEL_4K, 9), PAGE(M2 + 98, false), PAGE(M2 + 99, true),
	    PAGE(M2 + 100, true) } },
	{ "no deferral by policy", PMP_VM_DEFAULT, "inval=immediate", 2 * G1,
	  { MAP(M2, PMP_LEVEL_2M, 9), PAGE(M2 + 3, false), PAGE(M2 + 4, false) } },
	{ "no state", PMP_VM_DEFAULT, "inval=defer-2m", 2 * G1,
	  { PAGE(G1 + 5, false), PAGE(G1 + 6, false) } },
	{ "bad input", PMP_VM_DEFAULT, "inval=defer-2m", M2 * 2,
	  { MAP(M2, PMP_LEVEL_2M, 9), PAGE(M2 + 3, false), PAGE(2 * G1, false),
	    PAGE_ROOM(M2 + 4, 1), PAGE_ROOM(M2 + 4, 20), PAGE(M2 + 4, true) } },
};

#define NR_CASES (int)(sizeof(cases) / sizeof(cases[0]))

static void twin_init(struct twin *w, const struct pl_case *c)
{
	struct pmp_geometry geo = test_geometry(2 * G1);
	struct pmp_policy p;

	geo.vm_type = (uint32_t)c->vm_type;
	geo.nr_vtls = 1;
	tvm_init(&w->t, &geo);
	ck_assert_int_eq(pmp_policy_preset(&p, "recommended"), 0);
	ck_assert_int_eq(pmp_policy_parse(&p, c->policy, NULL), 0);
	ck_assert_int_eq(pmp_vm_set_policy(w->t.vm, &p), 0);
	add_slot(&w->t, 0, 0, c->slot_npages, UA, 0);
}

static int setup_step(struct twin *w, const void *step)
{
	const struct pl_step *s = step;
	struct pmp_fault f = { .gfn = s->gfn, .backing_order = (uint8_t)s->order };

	switch (s->op) {
	case PL_MAP:
		return pmp_map(w->t.vm, &f, s->level, twin_fresh(w, 0));
	case PL_RANGE:
		return pmp_convert(w->t.vm, s->gfn, s->n, true, twin_fresh(w, 0));
	default:
		return pmp_punch(w->t.vm, s->gfn, s->n, NULL, twin_fresh(w, 0));
	}
}

/* The lean path: taken, or declined with nothing changed and pmp_punch() deciding. */
static int lean(struct twin *w, const void *step, const char *name, int k)
{
	const struct pl_step *s = step;
	int rc;

	tvm_snapshot(&w->t);
	rc = pmp_punch_lean_4k(w->t.vm, s->gfn, twin_fresh(w, s->n));
	ck_assert_msg(rc == !s->lean, "%s, step %d: lean path %d", name, k, rc);
	if (!rc)
		return 0;
	ck_assert_unchanged(&w->t);
	return pmp_punch(w->t.vm, s->gfn, 1, NULL, twin_fresh(w, s->n));
}

/* The general path, as pmp_punch() calls it. */
static int general(struct twin *w, const void *step)
{
	const struct pl_step *s = step;

	return pmp_punch_range(w->t.vm, s->gfn, 1, NULL, twin_fresh(w, s->n));
}

START_TEST(punch_lean_is_general)
{
	static const struct twin_paths paths = { setup_step, lean, general };
	const struct pl_case *c = &cases[_i];
	struct twin *a = twin_new(), *b = twin_new();
	int k;

	twin_init(a, c);
	twin_init(b, c);
	for (k = 0; k < MAX_STEPS && c->steps[k].op != PL_END; k++)
		twin_step(a, b, &paths, &c->steps[k], c->steps[k].op == PL_PAGE, c->name, k);
	twin_free(a);
	twin_free(b);
}
END_TEST

/*
 * A one-page withdrawal (undefer()'s one-page path, a conversion's or a
 * fault's) against the range path over it and a next page that was never
 * deferred: the same state after each, byte for byte.  Deferred among
 * others, at a word's end, not deferred, the bitmap's last (it goes), a
 * chunk without one, no state.
 */
START_TEST(withdraw_page_is_range)
{
	static const uint64_t punched[] = { M2 + 3, M2 + 5, M2 + 63 };
	static const uint64_t withdrawn[] = { M2 + 3, M2 + 63, M2 + 7, M2 + 5, M2 + 5, G1 + 5 };
	static const struct pl_case c = { "withdraw", PMP_VM_DEFAULT, "inval=defer-2m", 2 * G1,
					  { MAP(M2, PMP_LEVEL_2M, 9) } };
	struct twin *a = twin_new(), *b = twin_new();
	unsigned int k;

	twin_init(a, &c);
	twin_init(b, &c);
	ck_assert_int_eq(setup_step(a, &c.steps[0]), 0);
	ck_assert_int_eq(setup_step(b, &c.steps[0]), 0);
	for (k = 0; k < sizeof(punched) / sizeof(punched[0]); k++) {
		ck_assert_int_eq(pmp_punch(a->t.vm, punched[k], 1, NULL, twin_fresh(a, 0)), 0);
		ck_assert_int_eq(pmp_punch(b->t.vm, punched[k], 1, NULL, twin_fresh(b, 0)), 0);
	}
	ck_assert_uint_eq(pmp_nr_deferred(a->t.vm), 3);
	for (k = 0; k < sizeof(withdrawn) / sizeof(withdrawn[0]); k++) {
		a->acts = b->acts = (struct pmp_actions){ 0 };
		pmp_inval_withdraw(a->t.vm, withdrawn[k], 1);
		pmp_inval_withdraw(b->t.vm, withdrawn[k], 2);
		twin_same(a, b, c.name, (int)k);
	}
	ck_assert_uint_eq(pmp_nr_deferred(a->t.vm), 0);
	twin_free(a);
	twin_free(b);
}
END_TEST

Suite *punch_lean_suite(void)
{
	Suite *s = suite_create("punch_lean");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, punch_lean_is_general, 0, NR_CASES);
	tcase_add_test(tc, withdraw_page_is_range);
	suite_add_tcase(s, tc);
	return s;
}
