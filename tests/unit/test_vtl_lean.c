// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * pmp_vtl_protect()'s one-page path (pmp_vtl_protect_lean_4k()) against
 * the general one (pmp_change_attrs()).  Each case runs its steps on two
 * copies of one VM: setup steps go to both alike; a one-page protection
 * goes to one twin through the lean path (which must take it, or decline
 * with nothing changed, as the case says, pmp_vtl_protect() then deciding)
 * and to the other through the general path.  After every step: same
 * return, same actions, the same state byte for byte, and pmp_vm_check()
 * clean on both.
 */
#include "twin.h"
#include "../libpmem_policy/internal.h"

#define M2 GFNS_PER_2M
#define G1 GFNS_PER_1G
#define UA 0x7f0000000000ULL
#define MAX_STEPS 8
#define R PMP_PROT_R
#define RX (PMP_PROT_R | PMP_PROT_X)
#define RWX PMP_PROT_RWX

enum vl_op {
	VL_END,
	VL_MAP,		/* setup: a fault at @level in VTL @vtl */
	VL_RANGE,	/* setup: pmp_vtl_protect() of [gfn, gfn + n) */
	VL_PAGE,	/* under test: one page's protection, @lean: the lean path takes it */
};

struct vl_step {
	enum vl_op op;
	uint64_t gfn;
	uint64_t n;		/* VL_RANGE: pages; VL_PAGE: room (0 plenty, 1 none) */
	int level;
	unsigned int vtl, prot;
	bool lean;
};

struct vl_case {
	const char *name;
	int vm_type;
	uint64_t slot_npages;
	struct vl_step steps[MAX_STEPS];
};

#define MAP(g, l, v) { VL_MAP, (g), 0, (l), (v), 0, false }
#define RANGE(g, n, v, p) { VL_RANGE, (g), (n), 0, (v), (p), false }
#define PAGE(g, v, p, lean) { VL_PAGE, (g), 0, 0, (v), (p), (lean) }
#define PAGE_ROOM(g, v, p, room, lean) { VL_PAGE, (g), (room), 0, (v), (p), (lean) }

static const struct vl_case cases[] = {
	{ "unmapped: blocks taken and given back", PMP_VM_DEFAULT, 2 * G1,
	  { PAGE(5, 0, R, true), PAGE(6, 0, R, true), PAGE(6, 0, RX, true), PAGE(5, 0, RWX, true),
	    PAGE(6, 0, RWX, true) } },
	{ "mapped at 4K: the page's zap", PMP_VM_DEFAULT, 2 * G1,
	  { MAP(5, PMP_LEVEL_4K, 0), MAP(6, PMP_LEVEL_4K, 0), PAGE(5, 0, R, true),
	    PAGE(6, 0, RWX, true), PAGE(5, 0, RWX, true), MAP(7, PMP_LEVEL_4K, 0),
	    PAGE(7, 0, RX, true) } },
	{ "inside a 2M leaf: split", PMP_VM_DEFAULT, 2 * G1,
	  { MAP(M2, PMP_LEVEL_2M, 0), PAGE(M2 + 3, 0, R, false), PAGE(M2 + 4, 0, R, true),
	    PAGE(M2 + 3, 0, RWX, true) } },
	{ "inside a 1G leaf", PMP_VM_DEFAULT, 2 * G1,
	  { MAP(G1, PMP_LEVEL_1G, 0), PAGE(G1 + 3, 0, R, false), PAGE(G1 + 4, 0, R, true) } },
	{ "VTL 1 mapped, VTL 0 too", PMP_VM_DEFAULT, 2 * G1,
	  { MAP(5, PMP_LEVEL_4K, 0), MAP(5, PMP_LEVEL_4K, 1), PAGE(5, 1, R, true),
	    PAGE(5, 1, RWX, true), PAGE(5, 0, RX, true), PAGE(6, 1, 0, true) } },
	{ "VTL 1's 2M leaf", PMP_VM_DEFAULT, 2 * G1,
	  { MAP(M2, PMP_LEVEL_2M, 1), MAP(M2 + 7, PMP_LEVEL_4K, 0), PAGE(M2 + 7, 0, R, true),
	    PAGE(M2 + 8, 1, R, false), PAGE(M2 + 9, 1, R, true) } },
	{ "a chunk's planes filled and emptied", PMP_VM_SNP, 2 * G1,
	  { RANGE(M2, M2 - 1, 0, R), PAGE(2 * M2 - 1, 0, R, true), PAGE(M2 + 64, 0, RWX, true),
	    RANGE(M2, 64, 0, RWX), RANGE(M2 + 65, M2 - 65, 0, RWX), PAGE(M2 + 64, 0, R, true),
	    PAGE(M2 + 64, 0, RWX, true) } },
	{ "memslot edge", PMP_VM_DEFAULT, M2 + 100,
	  { MAP(M2 + 99, PMP_LEVEL_4K, 0), PAGE(M2 + 99, 0, R, true), PAGE(M2 + 100, 0, R, true),
	    PAGE(M2 + 99, 0, RWX, true), PAGE(M2 + 100, 0, RWX, true) } },
	{ "TDX: accepted pages may refuse", PMP_VM_TDX, 2 * G1,
	  { PAGE(5, 0, R, false), PAGE(5, 0, RWX, false) } },
	{ "no state past the slots", PMP_VM_DEFAULT, M2,
	  { PAGE(G1 + 5, 0, R, false), PAGE(G1 + 5, 0, RWX, true) } },
	/* no array: fine while the page is not mapped; too little room */
	{ "bad input", PMP_VM_DEFAULT, M2,
	  { PAGE(2 * G1, 0, R, false), PAGE_ROOM(5, 0, R, 1, true), MAP(5, PMP_LEVEL_4K, 0),
	    PAGE_ROOM(5, 0, RX, 1, false), PAGE_ROOM(5, 0, RX, 2, false), PAGE(5, 0, RX, true) } },
};

#define NR_CASES (int)(sizeof(cases) / sizeof(cases[0]))

static void twin_init(struct twin *w, const struct vl_case *c)
{
	struct pmp_geometry geo = test_geometry(2 * G1);
	struct pmp_policy p;

	geo.vm_type = (uint32_t)c->vm_type;
	tvm_init(&w->t, &geo);
	ck_assert_int_eq(pmp_policy_preset(&p, "recommended"), 0);
	ck_assert_int_eq(pmp_vm_set_policy(w->t.vm, &p), 0);
	add_slot(&w->t, 0, 0, c->slot_npages, UA, 0);
}

static int setup_step(struct twin *w, const void *step)
{
	const struct vl_step *s = step;
	struct pmp_fault f = { .gfn = s->gfn, .vtl = (uint8_t)s->vtl,
			       .backing_order = (uint8_t)(9 * (s->level - PMP_LEVEL_4K)) };

	if (s->op == VL_MAP)
		return pmp_map(w->t.vm, &f, s->level, twin_fresh(w, 0));
	return pmp_vtl_protect(w->t.vm, s->vtl, s->gfn, s->n, s->prot, twin_fresh(w, 0));
}

/* The denied planes of @prot in VTL @vtl, as pmp_vtl_protect() passes them. */
static uint16_t denied(const struct vl_step *s)
{
	return (uint16_t)((~s->prot & PMP_PROT_RWX) << (PMP_PLANE_VTL + 3 * s->vtl));
}

/* The lean path: taken, or declined with nothing changed and pmp_vtl_protect() deciding. */
static int lean(struct twin *w, const void *step, const char *name, int k)
{
	const struct vl_step *s = step;
	int rc;

	tvm_snapshot(&w->t);
	rc = pmp_vtl_protect_lean_4k(w->t.vm, s->vtl, s->gfn, denied(s), twin_fresh(w, s->n));
	ck_assert_msg(rc == !s->lean, "%s, step %d: lean path %d", name, k, rc);
	if (!rc)
		return 0;
	ck_assert_unchanged(&w->t);
	return pmp_vtl_protect(w->t.vm, s->vtl, s->gfn, 1, s->prot, twin_fresh(w, s->n));
}

/* The general path, as pmp_vtl_protect() calls it (its checks first). */
static int general(struct twin *w, const void *step)
{
	const struct vl_step *s = step;

	return pmp_change_attrs(w->t.vm, s->vtl, s->gfn, 1, PMP_VTL_PLANES(s->vtl), denied(s), 0,
				PMP_CAUSE_VTL_PROT, twin_fresh(w, s->n));
}

START_TEST(vtl_lean_is_general)
{
	static const struct twin_paths paths = { setup_step, lean, general };
	const struct vl_case *c = &cases[_i];
	struct twin *a = twin_new(), *b = twin_new();
	int k;

	twin_init(a, c);
	twin_init(b, c);
	for (k = 0; k < MAX_STEPS && c->steps[k].op != VL_END; k++)
		twin_step(a, b, &paths, &c->steps[k], c->steps[k].op == VL_PAGE, c->name, k);
	twin_free(a);
	twin_free(b);
}
END_TEST

Suite *vtl_lean_suite(void)
{
	Suite *s = suite_create("vtl_lean");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, vtl_lean_is_general, 0, NR_CASES);
	suite_add_tcase(s, tc);
	return s;
}
