// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * pmp_accept()'s whole-chunk path (pmp_accept_lean_2m()) and one-page path
 * (pmp_accept_lean_page()) against the general one (pmp_accept_general()).
 * Each case runs its steps on two copies of one VM: setup steps go to both
 * alike; a 2 MiB or 4 KiB accept under test goes to one twin through the
 * lean path (which must take it, or decline with nothing changed, as the
 * case says, pmp_accept() then deciding) and to the other through the
 * general path.  After every step: same return,
 * same actions, the same state byte for byte, and pmp_vm_check() clean on
 * both.
 */
#include "twin.h"
#include "../libpmem_policy/internal.h"

#define M2 GFNS_PER_2M
#define G1 GFNS_PER_1G
#define MAX_STEPS 8

enum al_op {
	AL_END,
	AL_MAP,		/* setup: a fault at @level (backing order = level's) in VTL @vtl */
	AL_RANGE,	/* setup: pmp_convert() of [gfn, gfn + n) to private */
	AL_ACCEPT,	/* setup: pmp_accept() of the page at 4 KiB */
	AL_TICK,	/* setup: pmp_merge_tick() (parks what stays refused; >= 0) */
	AL_PUNCH,	/* setup: pmp_punch() of the page in a 2 MiB folio (deferred under defer-2m) */
	AL_CHUNK,	/* under test: the 2 MiB at @gfn accepted, @lean: the lean path takes it */
	AL_PAGE,	/* under test: the page at @gfn accepted at 4 KiB, as AL_CHUNK */
	AL_SHARED,	/* setup: pmp_convert() of the page to shared (its acceptance goes) */
};

struct al_step {
	enum al_op op;
	uint64_t gfn;
	uint64_t n;		/* AL_RANGE's pages; the action room under test (0: plenty, 1: none given) */
	int level;
	unsigned int vtl;
	bool lean;
};

struct al_case {
	const char *name;
	int vm_type;
	unsigned int nr_vtls;
	const char *policy;
	uint64_t slot_npages;
	struct al_step steps[MAX_STEPS];
};

#define MAP(g, l, v) { AL_MAP, (g), 0, (l), (v), false }
#define RANGE(g, n) { AL_RANGE, (g), (n), 0, 0, false }
#define ACCEPT(g) { AL_ACCEPT, (g), 0, 0, 0, false }
#define TICK { AL_TICK, 0, 0, 0, 0, false }
#define PUNCH(g) { AL_PUNCH, (g), 0, 0, 0, false }
#define CHUNK(g, lean) { AL_CHUNK, (g), 0, 0, 0, (lean) }
#define CHUNK_ROOM(g, room) { AL_CHUNK, (g), (room), 0, 0, false }
#define PAGE(g, lean) { AL_PAGE, (g), 0, 0, 0, (lean) }
#define PAGE_ROOM(g, room) { AL_PAGE, (g), (room), 0, 0, false }
#define SHARED(g) { AL_SHARED, (g), 0, 0, 0, false }

static const struct al_case cases[] = {
	{ "fresh chunks, then accepted already", PMP_VM_TDX, 1, "", 2 * G1,
	  { CHUNK(M2, true), CHUNK(M2, true), CHUNK(0, true), CHUNK(G1 + M2, true) } },
	{ "partly accepted: the block goes", PMP_VM_TDX, 1, "", 2 * G1,
	  { ACCEPT(M2 + 5), ACCEPT(M2 + 6), CHUNK(M2, true), ACCEPT(2 * M2 + 511),
	    CHUNK(2 * M2, true), ACCEPT(M2 + 7) } },
	{ "inhibit=clear: lifted", PMP_VM_TDX, 1, "inhibit=clear", 2 * G1,
	  { ACCEPT(M2 + 5), CHUNK(M2, true), ACCEPT(M2 + 6), CHUNK(M2, true) } },
	{ "inhibit=clear: private pages mixed, kept", PMP_VM_TDX, 1, "inhibit=clear", 2 * G1,
	  { RANGE(M2, 8), ACCEPT(M2 + 1), CHUNK(M2, true) } },
	{ "memslot edge", PMP_VM_TDX, 1, "", M2 + 100,
	  { ACCEPT(M2 + 99), CHUNK(0, true), CHUNK(M2, true), CHUNK(2 * M2, true) } },
	{ "no state past the slots", PMP_VM_TDX, 1, "", M2,
	  { CHUNK(G1, false), CHUNK(G1, true) } },
	{ "straddling or misaligned", PMP_VM_TDX, 1, "", 2 * G1,
	  { CHUNK(M2 + 1, false), CHUNK(M2 + 256, false), CHUNK(G1 - 1, false), CHUNK(M2, true) } },
	{ "mapped pages and a 2M leaf", PMP_VM_TDX, 1, "", 2 * G1,
	  { MAP(M2 + 5, PMP_LEVEL_4K, 0), MAP(2 * M2, PMP_LEVEL_2M, 0), CHUNK(M2, true),
	    CHUNK(2 * M2, true) } },
	{ "a 1G leaf: split", PMP_VM_DEFAULT, 1, "", 2 * G1,
	  { MAP(0, PMP_LEVEL_1G, 0), CHUNK(M2, false), CHUNK(2 * M2, true), CHUNK(M2, true) } },
	{ "pinned", PMP_VM_SNP, 1, "pin=fault", 2 * G1,
	  { MAP(5, PMP_LEVEL_4K, 0), MAP(M2, PMP_LEVEL_2M, 0), CHUNK(0, true),
	    CHUNK(M2, true) } },
	{ "deferral on", PMP_VM_TDX, 1, "inval=defer-2m", 2 * G1,
	  { MAP(M2 + 9, PMP_LEVEL_4K, 0), PUNCH(M2 + 7), PUNCH(M2 + 9), ACCEPT(M2 + 3),
	    CHUNK(M2, true) } },
	{ "VTL planes", PMP_VM_DEFAULT, 2, "", 2 * G1,
	  { MAP(M2 + 5, PMP_LEVEL_4K, 1), MAP(M2 + 6, PMP_LEVEL_4K, 0), ACCEPT(M2 + 6),
	    CHUNK(M2, true), MAP(2 * M2, PMP_LEVEL_2M, 1), CHUNK(2 * M2, true) } },
	{ "VTL 1's 1G leaf: split", PMP_VM_DEFAULT, 2, "", 2 * G1,
	  { MAP(0, PMP_LEVEL_1G, 1), CHUNK(M2, false), CHUNK(2 * M2, true) } },
	{ "a parked candidate unparked", PMP_VM_DEFAULT, 2, "", 2 * G1,
	  { RANGE(M2, 8), MAP(M2 + 10, PMP_LEVEL_4K, 0), MAP(M2 + 10, PMP_LEVEL_4K, 1), TICK,
	    CHUNK(M2, true), TICK, CHUNK(M2, true) } },
	{ "merge=fault: the general path promotes", PMP_VM_DEFAULT, 1, "merge=fault", 2 * G1,
	  { MAP(M2, PMP_LEVEL_2M, 0), CHUNK(M2, false), CHUNK(2 * M2, false) } },
	{ "bad input", PMP_VM_TDX, 1, "", M2,
	  { CHUNK(2 * G1, false), CHUNK_ROOM(0, 1), CHUNK_ROOM(0, 2), CHUNK(0, true) } },
	{ "a page: a chunk's first, another, its last", PMP_VM_TDX, 1, "inhibit=oneway", 2 * G1,
	  { PAGE(M2 + 5, true), PAGE(M2 + 6, true), PAGE(M2 + 6, true), CHUNK(M2, true),
	    SHARED(M2 + 3), RANGE(M2 + 3, 1), PAGE(M2 + 3, true), PAGE(M2 + 3, true) } },
	{ "a page: inhibit=clear lifts it on the last", PMP_VM_TDX, 1, "inhibit=clear", 2 * G1,
	  { PAGE(M2 + 5, true), CHUNK(M2, true), SHARED(M2 + 9), RANGE(M2 + 9, 1),
	    PAGE(M2 + 9, true), PAGE(M2 + 511, true) } },
	{ "a page: inhibit=clear, private pages mixed", PMP_VM_TDX, 1, "inhibit=clear", 2 * G1,
	  { CHUNK(M2, true), SHARED(M2 + 9), PAGE(M2 + 9, true), PAGE(M2 + 8, true) } },
	{ "a page: mapped, a 2M leaf split", PMP_VM_TDX, 1, "", 2 * G1,
	  { MAP(M2 + 5, PMP_LEVEL_4K, 0), PAGE(M2 + 5, true), MAP(2 * M2, PMP_LEVEL_2M, 0),
	    PAGE(2 * M2 + 1, false), PAGE(2 * M2 + 2, true) } },
	{ "a page: a 1G leaf split", PMP_VM_DEFAULT, 2, "", 2 * G1,
	  { MAP(0, PMP_LEVEL_1G, 1), PAGE(M2 + 3, false), PAGE(M2 + 4, true) } },
	{ "a page: memslot edge, no state past it", PMP_VM_TDX, 1, "", M2 + 100,
	  { PAGE(M2 + 99, true), PAGE(M2 + 100, true), PAGE(G1, false), PAGE(G1, true) } },
	{ "a page: pinned", PMP_VM_SNP, 1, "pin=fault", 2 * G1,
	  { MAP(5, PMP_LEVEL_4K, 0), PAGE(5, true), PAGE(6, true) } },
	{ "a page: deferral on", PMP_VM_TDX, 1, "inval=defer-2m", 2 * G1,
	  { MAP(M2 + 9, PMP_LEVEL_4K, 0), PUNCH(M2 + 7), PUNCH(M2 + 9), PAGE(M2 + 7, true),
	    PAGE(M2 + 9, true) } },
	{ "a page: VTL planes, a parked candidate", PMP_VM_DEFAULT, 2, "", 2 * G1,
	  { RANGE(M2, 8), MAP(M2 + 10, PMP_LEVEL_4K, 0), MAP(M2 + 10, PMP_LEVEL_4K, 1), TICK,
	    PAGE(M2 + 10, true), TICK, PAGE(M2 + 11, true) } },
	{ "a page: merge=fault, bad input", PMP_VM_TDX, 1, "merge=fault", M2,
	  { PAGE(5, false), PAGE(2 * G1, false), PAGE(G1 + 1, false) } },
	{ "a page: no room", PMP_VM_TDX, 1, "", M2,
	  { PAGE_ROOM(5, 1), PAGE_ROOM(5, 2), PAGE(5, true) } },
};

#define NR_CASES (int)(sizeof(cases) / sizeof(cases[0]))

static int setup_step(struct twin *w, const void *step)
{
	const struct al_step *s = step;
	struct pmp_fault f = { .gfn = s->gfn, .vtl = (uint8_t)s->vtl,
			       .backing_order = (uint8_t)(9 * (s->level - PMP_LEVEL_4K)) };
	struct pmp_folios folios = { .order = twin_folio_2m };

	switch (s->op) {
	case AL_MAP:
		return pmp_map(w->t.vm, &f, s->level, twin_fresh(w, 0));
	case AL_RANGE:
		return pmp_convert(w->t.vm, s->gfn, s->n, true, twin_fresh(w, 0));
	case AL_TICK:
		return pmp_merge_tick(w->t.vm, twin_fresh(w, 0));
	case AL_ACCEPT:
		return pmp_accept(w->t.vm, s->gfn, PMP_LEVEL_4K, twin_fresh(w, 0));
	case AL_SHARED:
		return pmp_convert(w->t.vm, s->gfn, 1, false, twin_fresh(w, 0));
	default:
		return pmp_punch(w->t.vm, s->gfn, 1, &folios, twin_fresh(w, 0));
	}
}

static int level_of(const struct al_step *s)
{
	return s->op == AL_PAGE ? PMP_LEVEL_4K : PMP_LEVEL_2M;
}

static int general(struct twin *w, const void *step)
{
	const struct al_step *s = step;

	return pmp_accept_general(w->t.vm, s->gfn, level_of(s), twin_fresh(w, s->n));
}

/* The lean path: taken, or declined with nothing changed and pmp_accept() deciding. */
static int lean(struct twin *w, const void *step, const char *name, int k)
{
	const struct al_step *s = step;
	int rc;

	tvm_snapshot(&w->t);
	if (s->op == AL_PAGE)
		rc = pmp_accept_lean_page(w->t.vm, s->gfn, twin_fresh(w, s->n));
	else
		rc = pmp_accept_lean_2m(w->t.vm, s->gfn, twin_fresh(w, s->n));
	ck_assert_msg(rc == !s->lean, "%s, step %d: lean path %d", name, k, rc);
	if (!rc)
		return 0;
	ck_assert_unchanged(&w->t);
	return pmp_accept(w->t.vm, s->gfn, level_of(s), twin_fresh(w, s->n));
}

START_TEST(lean_is_general)
{
	static const struct twin_paths paths = { setup_step, lean, general };
	const struct al_case *c = &cases[_i];
	struct twin *a = twin_new(), *b = twin_new();
	int k;

	twin_vm_init(a, c->vm_type, c->nr_vtls, c->policy, c->slot_npages);
	twin_vm_init(b, c->vm_type, c->nr_vtls, c->policy, c->slot_npages);
	for (k = 0; k < MAX_STEPS && c->steps[k].op != AL_END; k++)
		twin_step(a, b, &paths, &c->steps[k],
			  c->steps[k].op == AL_CHUNK || c->steps[k].op == AL_PAGE, c->name, k);
	twin_free(a);
	twin_free(b);
}
END_TEST

Suite *accept_lean_suite(void)
{
	Suite *s = suite_create("accept_lean");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, lean_is_general, 0, NR_CASES);
	suite_add_tcase(s, tc);
	return s;
}
