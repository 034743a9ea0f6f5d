// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * pmp_convert()'s one-page path (pmp_convert_lean_4k()) against the general
 * one (pmp_change_attrs()).  Each case runs its steps on two copies of one
 * VM: setup steps go to both alike; a one-page conversion goes to one twin
 * through the lean path (which must take it, or decline with nothing
 * changed, as the case says, pmp_convert() then deciding) and to the other
 * through the general path.  After every step: same return, same actions,
 * the same state byte for byte, and pmp_vm_check() clean on both.
 */
#include "twin.h"
#include "../libpmem_policy/internal.h"

#define M2 GFNS_PER_2M
#define G1 GFNS_PER_1G
#define MAX_STEPS 8

enum cl_op {
	CL_END,
	CL_MAP,		/* setup: a fault at @level (backing order = level's) in VTL @vtl */
	CL_RANGE,	/* setup: pmp_convert() of [gfn, gfn + n) to @private */
	CL_ACCEPT,	/* setup: pmp_accept() of the page at 4 KiB */
	CL_TICK,	/* setup: pmp_merge_tick() (parks what stays refused; >= 0) */
	CL_PUNCH,	/* setup: pmp_punch() of the page in a 2 MiB folio (deferred under defer-2m) */
	CL_PAGE,	/* under test: one page to @private, @lean: the lean path takes it */
};

struct cl_step {
	enum cl_op op;
	uint64_t gfn;
	uint64_t n;		/* CL_RANGE's pages; CL_PAGE's action room (0: plenty, 1: none given) */
	int level;
	unsigned int vtl;
	bool private;
	bool lean;
};

struct cl_case {
	const char *name;
	int vm_type;
	unsigned int nr_vtls;
	const char *policy;
	uint64_t slot_npages;
	struct cl_step steps[MAX_STEPS];
};

#define MAP(g, l, v) { CL_MAP, (g), 0, (l), (v), false, false }
#define RANGE(g, n, p) { CL_RANGE, (g), (n), 0, 0, (p), false }
#define ACCEPT(g) { CL_ACCEPT, (g), 0, 0, 0, false, false }
#define TICK { CL_TICK, 0, 0, 0, 0, false, false }
#define PUNCH(g) { CL_PUNCH, (g), 0, 0, 0, false, false }
#define PAGE(g, p, lean) { CL_PAGE, (g), 0, 0, 0, (p), (lean) }
#define PAGE_ROOM(g, p, room) { CL_PAGE, (g), (room), 0, 0, (p), false }

static const struct cl_case cases[] = {
	{ "4K unmapped, shared->private->shared", PMP_VM_TDX, 1, "", 2 * G1,
	  { PAGE(5, true, true), PAGE(6, true, true), PAGE(5, false, true), PAGE(6, false, true) } },
	{ "4K mapped: the page's zap", PMP_VM_TDX, 1, "", 2 * G1,
	  { MAP(5, PMP_LEVEL_4K, 0), MAP(6, PMP_LEVEL_4K, 0), PAGE(5, true, true),
	    PAGE(6, true, true), MAP(7, PMP_LEVEL_4K, 0), PAGE(7, true, true) } },
	{ "inside a 2M leaf: split (zap)", PMP_VM_DEFAULT, 1, "", 2 * G1,
	  { MAP(M2, PMP_LEVEL_2M, 0), PAGE(M2 + 3, true, true), PAGE(M2 + 4, true, true),
	    PAGE(M2 + 3, false, true) } },
	{ "inside a 2M leaf, split in place", PMP_VM_DEFAULT, 1, "split=inplace", 2 * G1,
	  { MAP(M2, PMP_LEVEL_2M, 0), PAGE(M2 + 3, true, true), PAGE(M2 + 4, true, true),
	    PAGE(M2 + 3, false, true) } },
	{ "inside a private 2M leaf: demoted", PMP_VM_TDX, 1, "", 2 * G1,
	  { RANGE(M2, M2, true), MAP(M2, PMP_LEVEL_2M, 0), PAGE(M2 + 3, false, true),
	    PAGE(M2 + 4, false, true), PAGE(M2 + 3, true, true) } },
	{ "inside a 1G leaf", PMP_VM_DEFAULT, 1, "", 2 * G1,
	  { MAP(G1, PMP_LEVEL_1G, 0), PAGE(G1 + 3, true, false), PAGE(G1 + 4, true, true) } },
	{ "memslot edge", PMP_VM_TDX, 1, "", M2 + 100,
	  { MAP(M2 + 99, PMP_LEVEL_4K, 0), PAGE(M2 + 99, true, true), PAGE(M2 + 100, true, true),
	    PAGE(M2 + 99, false, true), PAGE(M2 + 100, false, true) } },
	{ "private->shared and back, accepted", PMP_VM_TDX, 1, "", 2 * G1,
	  { RANGE(0, M2, true), ACCEPT(5), ACCEPT(6), MAP(5, PMP_LEVEL_4K, 0),
	    PAGE(5, false, true), PAGE(5, true, true), PAGE(6, false, true) } },
	{ "a whole chunk's last page", PMP_VM_TDX, 1, "", 2 * G1,
	  { RANGE(0, M2 - 1, true), PAGE(M2 - 1, true, true), PAGE(M2 - 1, false, true),
	    PAGE(0, false, true) } },
	{ "pinned", PMP_VM_SNP, 1, "pin=fault", 2 * G1,
	  { MAP(5, PMP_LEVEL_4K, 0), MAP(6, PMP_LEVEL_4K, 0), PAGE(5, true, true),
	    PAGE(5, false, true), PAGE(6, true, true) } },
	{ "VTL planes", PMP_VM_DEFAULT, 2, "", 2 * G1,
	  { MAP(5, PMP_LEVEL_4K, 1), MAP(6, PMP_LEVEL_4K, 0), MAP(5, PMP_LEVEL_4K, 0),
	    PAGE(5, true, true), PAGE(6, true, true), PAGE(7, true, true) } },
	{ "VTL 1's 2M leaf", PMP_VM_DEFAULT, 2, "", 2 * G1,
	  { MAP(M2, PMP_LEVEL_2M, 1), MAP(M2 + 7, PMP_LEVEL_4K, 0), PAGE(M2 + 7, true, true),
	    PAGE(M2 + 8, true, true) } },
	{ "deferral on: to private flushes, to shared stays lean", PMP_VM_TDX, 1,
	  "inval=defer-2m,on_conflict=flush", 2 * G1,
	  { RANGE(0, M2, true), MAP(9, PMP_LEVEL_4K, 0), RANGE(7, 2, false), PUNCH(7), PUNCH(8),
	    PAGE(20, false, true), PAGE(7, true, false), PAGE(9, false, true) } },
	{ "deferral on: withdrawn", PMP_VM_TDX, 1, "inval=defer-2m,on_conflict=withdraw", 2 * G1,
	  { RANGE(7, 3, false), PUNCH(7), PUNCH(8), MAP(9, PMP_LEVEL_4K, 0), PAGE(7, true, true),
	    PAGE(9, true, true), PAGE(8, true, true), PAGE(7, false, true) } },
	{ "deferral on: refused", PMP_VM_TDX, 1, "inval=defer-2m,on_conflict=refuse", 2 * G1,
	  { RANGE(7, 2, false), PUNCH(7), PAGE(7, true, false), PAGE(9, true, false),
	    PAGE(8, false, true) } },
	{ "a parked candidate unparked", PMP_VM_DEFAULT, 2, "", 2 * G1,
	  { RANGE(0, 8, true), MAP(10, PMP_LEVEL_4K, 0), MAP(10, PMP_LEVEL_4K, 1), TICK,
	    PAGE(11, true, true), TICK, PAGE(12, false, true) } },
	{ "no state past the slots", PMP_VM_DEFAULT, 1, "", M2,
	  { PAGE(G1 + 5, true, false), PAGE(G1 + 5, false, true) } },
	{ "bad input", PMP_VM_TDX, 1, "", M2,
	  { PAGE(2 * G1, true, false), PAGE_ROOM(5, true, 1), MAP(5, PMP_LEVEL_4K, 0),
	    PAGE_ROOM(5, true, 1), PAGE(5, true, true) } },
};

#define NR_CASES (int)(sizeof(cases) / sizeof(cases[0]))

static int setup_step(struct twin *w, const void *step)
{
	const struct cl_step *s = step;
	struct pmp_fault f = { .gfn = s->gfn, .vtl = (uint8_t)s->vtl,
			       .backing_order = (uint8_t)(9 * (s->level - PMP_LEVEL_4K)) };
	struct pmp_folios folios = { .order = twin_folio_2m };

	switch (s->op) {
	case CL_MAP:
		return pmp_map(w->t.vm, &f, s->level, twin_fresh(w, 0));
	case CL_RANGE:
		return pmp_convert(w->t.vm, s->gfn, s->n, s->private, twin_fresh(w, 0));
	case CL_TICK:
		return pmp_merge_tick(w->t.vm, twin_fresh(w, 0));
	case CL_ACCEPT:
		return pmp_accept(w->t.vm, s->gfn, PMP_LEVEL_4K, twin_fresh(w, 0));
	default:
		return pmp_punch(w->t.vm, s->gfn, 1, &folios, twin_fresh(w, 0));
	}
}

/* The general path, as pmp_convert() calls it. */
static int general(struct twin *w, const void *step)
{
	const struct cl_step *s = step;

	return pmp_change_attrs(w->t.vm, PMP_VTL_ALL, s->gfn, 1, PMP_BIT(PMP_PLANE_PRIVATE),
				s->private ? PMP_BIT(PMP_PLANE_PRIVATE) : 0,
				PMP_BIT(PMP_PLANE_ACCEPTED), PMP_CAUSE_CONVERT,
				twin_fresh(w, s->n));
}

/* The lean path: taken, or declined with nothing changed and pmp_convert() deciding. */
static int lean(struct twin *w, const void *step, const char *name, int k)
{
	const struct cl_step *s = step;
	int rc;

	tvm_snapshot(&w->t);
	rc = pmp_convert_lean_4k(w->t.vm, s->gfn, s->private, twin_fresh(w, s->n));
	ck_assert_msg(rc == !s->lean, "%s, step %d: lean path %d", name, k, rc);
	if (!rc)
		return 0;
	ck_assert_unchanged(&w->t);
	return pmp_convert(w->t.vm, s->gfn, 1, s->private, twin_fresh(w, s->n));
}

START_TEST(lean_is_general)
{
	static const struct twin_paths paths = { setup_step, lean, general };
	const struct cl_case *c = &cases[_i];
	struct twin *a = twin_new(), *b = twin_new();
	int k;

	twin_vm_init(a, c->vm_type, c->nr_vtls, c->policy, c->slot_npages);
	twin_vm_init(b, c->vm_type, c->nr_vtls, c->policy, c->slot_npages);
	for (k = 0; k < MAX_STEPS && c->steps[k].op != CL_END; k++)
		twin_step(a, b, &paths, &c->steps[k], c->steps[k].op == CL_PAGE, c->name, k);
	twin_free(a);
	twin_free(b);
}
END_TEST

Suite *convert_lean_suite(void)
{
	Suite *s = suite_create("convert_lean");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, lean_is_general, 0, NR_CASES);
	suite_add_tcase(s, tc);
	return s;
}
