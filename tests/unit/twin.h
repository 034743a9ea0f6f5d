/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Two copies of one VM for the lean paths' tests (test_convert_lean.c,
 * test_punch_lean.c): the same steps on both, one through a lean path and
 * one through the general path, compared after every step.
 */
#ifndef PMP_TEST_TWIN_H
#define PMP_TEST_TWIN_H

#include "helpers.h"

#define TWIN_CAP (PMP_PUNCH_ACTIONS + 64)

struct twin {
	struct tvm t;
	struct pmp_action buf[TWIN_CAP];
	struct pmp_actions acts;
};

static inline struct twin *twin_new(void)
{
	struct twin *w = calloc(1, sizeof(*w));

	ck_assert_ptr_nonnull(w);
	return w;
}

static inline void twin_free(struct twin *w)
{
	tvm_free(&w->t);
	free(w);
}

/* A fresh action array of @cap entries (0: plenty), NULL for 1: none given. */
static inline struct pmp_actions *twin_fresh(struct twin *w, uint64_t cap)
{
	if (cap == 1)
		return NULL;
	w->acts = (struct pmp_actions){ .buf = w->buf, .cap = cap ? (uint32_t)cap : TWIN_CAP };
	return &w->acts;
}

/*
 * Twin @w's VM: 2 GiB of type @vm_type with @nr_vtls VTLs, the recommended
 * policy amended by @policy, one memslot of @slot_npages pages at GPA 0.
 */
static inline void twin_vm_init(struct twin *w, int vm_type, unsigned int nr_vtls,
				const char *policy, uint64_t slot_npages)
{
	struct pmp_geometry geo = test_geometry(2 * GFNS_PER_1G);
	struct pmp_policy p;

	geo.vm_type = (uint32_t)vm_type;
	geo.nr_vtls = nr_vtls;
	tvm_init(&w->t, &geo);
	ck_assert_int_eq(pmp_policy_preset(&p, "recommended"), 0);
	ck_assert_int_eq(pmp_policy_parse(&p, policy, NULL), 0);
	ck_assert_int_eq(pmp_vm_set_policy(w->t.vm, &p), 0);
	add_slot(&w->t, 0, 0, slot_npages, 0x7f0000000000ULL, 0);
}

/* Folios of 2 MiB, so that one page's punch is deferred under defer-2m. */
static inline unsigned int twin_folio_2m(void *ctx, uint64_t gfn)
{
	(void)ctx;
	(void)gfn;
	return 9;
}

/* After step @k of case @name: the same actions, the same state byte for byte, both sound. */
static inline void twin_same(struct twin *a, struct twin *b, const char *name, int k)
{
	uint32_t na = a->acts.buf ? a->acts.nr : 0, nb = b->acts.buf ? b->acts.nr : 0;

	ck_assert_msg(na == nb, "%s, step %d: %u actions, the general path's %u", name, k, na, nb);
	ck_assert_msg(!na || !memcmp(a->buf, b->buf, na * sizeof(a->buf[0])),
		      "%s, step %d: actions differ", name, k);
	ck_assert_msg(!memcmp(a->t.mem, b->t.mem, a->t.bytes), "%s, step %d: states differ",
		      name, k);
	ck_assert_int_eq(pmp_vm_check(a->t.vm), 0);
	ck_assert_int_eq(pmp_vm_check(b->t.vm), 0);
}

/*
 * A case's three calls on a step @s (its own step type): a setup step,
 * alike on both twins; and a step under test, through the lean path
 * (which asserts it was taken or declined as the step says, as step @k
 * of case @name) and through the general path.
 */
struct twin_paths {
	int (*setup)(struct twin *w, const void *s);
	int (*lean)(struct twin *w, const void *s, const char *name, int k);
	int (*general)(struct twin *w, const void *s);
};

/* Step @k of case @name on twins @a and @b (@tested: a step under test), then compared. */
static inline void twin_step(struct twin *a, struct twin *b, const struct twin_paths *p,
			     const void *s, bool tested, const char *name, int k)
{
	int ra, rb;

	a->acts = b->acts = (struct pmp_actions){ 0 };
	if (tested) {
		ra = p->lean(a, s, name, k);
		rb = p->general(b, s);
	} else {
		ra = p->setup(a, s);
		rb = p->setup(b, s);
		ck_assert_msg(ra >= 0, "%s, step %d: setup %d", name, k, ra);
	}
	ck_assert_msg(ra == rb, "%s, step %d: %d, the general path's %d", name, k, ra, rb);
	twin_same(a, b, name, k);
}

#endif
