// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Invalidation coalescing (seed 001) and the yield policy (seed 002):
 * per-folio ranges with order hints, deferral of sub-2M punches, the cap,
 * conversions racing deferrals, TLB flush batching, an adversarial 4K punch
 * storm, a randomized comparison with a reference that issues every punch
 * at once, and yield decisions.
 */
#include <stdio.h>
#include "helpers.h"
#include "sim/sim.h"

#define G1 GFNS_PER_1G
#define M2 GFNS_PER_2M
#define SPAN (2 * G1)

struct it {
	struct tvm t;
	struct sim s;
	struct pmp_action buf[2048];
	struct pmp_actions acts;
	unsigned int order;	/* the uniform folio order of this test */
};

static unsigned int uniform_order(void *ctx, uint64_t gfn)
{
	(void)gfn;
	return ((struct it *)ctx)->order;
}

static void it_init(struct it *x, const char *policy, unsigned int order, uint32_t max_deferred)
{
	struct pmp_geometry geo = test_geometry(SPAN);
	struct pmp_slot s0 = { .base_gfn = 0, .npages = G1, .userspace_addr = 0x7f0000000000ULL },
			s1 = { .base_gfn = G1, .npages = G1,
			       .userspace_addr = 0x7f0000000000ULL + (G1 << 12) };
	struct pmp_policy p;
	uint64_t c;

	memset(x, 0, sizeof(*x));
	geo.nr_vtls = 1;
	geo.max_deferred = max_deferred;
	tvm_init(&x->t, &geo);
	ck_assert_int_eq(pmp_policy_preset(&p, "recommended"), 0);
	ck_assert_int_eq(pmp_policy_parse(&p, policy, NULL), 0);
	ck_assert_int_eq(pmp_vm_set_policy(x->t.vm, &p), 0);
	ck_assert_int_eq(pmp_slot_create(x->t.vm, 0, &s0), 0);
	ck_assert_int_eq(pmp_slot_create(x->t.vm, 1, &s1), 0);
	sim_init(&x->s, PMP_VM_DEFAULT, SPAN);
	x->s.slot[0] = s0;
	x->s.slot[1] = s1;
	x->s.in_use[0] = x->s.in_use[1] = 1;
	x->s.punch_wanted = calloc(SPAN, 1);
	for (c = 0; c < x->s.chunks; c++)
		x->s.folio[c] = (uint8_t)order;
	x->order = order;
}

static void it_free(struct it *x)
{
	sim_free(&x->s);
	tvm_free(&x->t);
}

static struct pmp_actions *acts(struct it *x)
{
	x->acts.buf = x->buf;
	x->acts.cap = 2048;
	x->acts.nr = 0;
	return &x->acts;
}

static void run(struct it *x)
{
	ck_assert_msg(sim_apply_all(&x->s, &x->acts) == 0, "simulator: %s", x->s.error);
	ck_assert_int_eq(pmp_vm_check(x->t.vm), 0);
}

static int punch(struct it *x, uint64_t gfn, uint64_t n)
{
	struct pmp_folios folios = { .order = uniform_order, .ctx = x };
	int err;

	memset(&x->s.punch_wanted[gfn], 1, n);
	err = pmp_punch(x->t.vm, gfn, n, &folios, acts(x));
	if (!err)
		run(x);
	return err;
}

/* The @k-th action of @type in the last list. */
static const struct pmp_action *nth(struct it *x, int type, uint32_t k)
{
	uint32_t i;

	for (i = 0; i < x->acts.nr; i++)
		if (x->buf[i].type == type && !k--)
			return &x->buf[i];
	return NULL;
}

static uint32_t count(struct it *x, int type)
{
	uint32_t i, n = 0;

	for (i = 0; i < x->acts.nr; i++)
		n += x->buf[i].type == type;
	return n;
}

#define EXPECT_INVAL(x, k, g, n, o) do { \
	const struct pmp_action *_a = nth(x, PMP_ACT_INVALIDATE, k); \
	ck_assert_msg(_a && _a->gfn == (g) && _a->npages == (n) && _a->order == (o), \
		      "invalidate %u: %s %#llx+%#llx order %u, want %#llx+%#llx order %u", k, \
		      _a ? "" : "missing", _a ? (unsigned long long)_a->gfn : 0ULL, \
		      _a ? (unsigned long long)_a->npages : 0ULL, _a ? _a->order : 0U, \
		      (unsigned long long)(g), (unsigned long long)(n), (unsigned)(o)); \
} while (0)

/* The seed's worked example: GPA 0x1000-0x402000 on 2 MiB folios. */
START_TEST(seed_example)
{
	struct it x;

	it_init(&x, "inval=immediate", 9, 0);
	ck_assert_int_eq(punch(&x, 0x1, 0x401), 0);
	ck_assert_uint_eq(count(&x, PMP_ACT_INVALIDATE), 3);
	EXPECT_INVAL(&x, 0, 0x1, 0x1ff, 9);		/* 0x1000-0x200000 */
	EXPECT_INVAL(&x, 1, 0x200, 0x200, 9);		/* 0x200000-0x400000 */
	EXPECT_INVAL(&x, 2, 0x400, 0x2, 9);		/* 0x400000-0x402000 */
	/* adjacent: one TLB flush covers exactly what was asked */
	ck_assert_uint_eq(count(&x, PMP_ACT_FLUSH), 1);
	ck_assert_uint_eq(nth(&x, PMP_ACT_FLUSH, 0)->gfn, 0x1);
	ck_assert_uint_eq(nth(&x, PMP_ACT_FLUSH, 0)->npages, 0x401);
	it_free(&x);

	/* deferring: the unmapped head and tail wait, the whole 2 MiB goes */
	it_init(&x, "inval=defer-2m", 9, 0);
	ck_assert_int_eq(punch(&x, 0x1, 0x401), 0);
	ck_assert_uint_eq(count(&x, PMP_ACT_INVALIDATE), 1);
	EXPECT_INVAL(&x, 0, 0x200, 0x200, 9);
	ck_assert_uint_eq(pmp_nr_deferred(x.t.vm), 0x1ff + 2);
	/* completing each chunk issues it whole */
	ck_assert_int_eq(punch(&x, 0x0, 1), 0);
	EXPECT_INVAL(&x, 0, 0x0, 0x200, 9);
	ck_assert_int_eq(punch(&x, 0x402, 0x1fe), 0);
	EXPECT_INVAL(&x, 0, 0x400, 0x200, 9);
	ck_assert_uint_eq(pmp_nr_deferred(x.t.vm), 0);
	it_free(&x);
}
END_TEST

/* Unaligned heads and tails inside one chunk, 4K folios, 1G folios, two slots. */
START_TEST(folio_layouts)
{
	struct pmp_stats st;
	struct it x;

	it_init(&x, "inval=defer-2m", 9, 0);
	ck_assert_int_eq(punch(&x, 5, 3), 0);			/* head and tail in one chunk */
	ck_assert_uint_eq(count(&x, PMP_ACT_INVALIDATE), 0);
	ck_assert_int_eq(punch(&x, 0, 5), 0);
	ck_assert_int_eq(punch(&x, 8, M2 - 8), 0);		/* the last piece completes it */
	ck_assert_uint_eq(count(&x, PMP_ACT_INVALIDATE), 1);
	EXPECT_INVAL(&x, 0, 0, M2, 9);
	it_free(&x);

	it_init(&x, "inval=defer-2m", 0, 0);			/* 4K folios: nothing to keep */
	ck_assert_int_eq(punch(&x, 1, 1000), 0);
	ck_assert_uint_eq(count(&x, PMP_ACT_INVALIDATE), 1);
	EXPECT_INVAL(&x, 0, 1, 1000, 0);
	it_free(&x);

	it_init(&x, "inval=defer-2m", 18, 0);			/* 1G folios, across 2 slots */
	ck_assert_int_eq(punch(&x, G1 - 0x100, 0x300), 0);
	/* [G1-0x100, G1): a partial chunk of folio 0, deferred; [G1, G1+0x200):
	 * a whole chunk of folio 1, at once */
	ck_assert_uint_eq(count(&x, PMP_ACT_INVALIDATE), 1);
	EXPECT_INVAL(&x, 0, G1, M2, 18);
	ck_assert_uint_eq(pmp_nr_deferred(x.t.vm), 0x100);
	ck_assert_int_eq(punch(&x, 0x200, 3 * M2), 0);		/* whole chunks: one action */
	ck_assert_uint_eq(count(&x, PMP_ACT_INVALIDATE), 1);
	EXPECT_INVAL(&x, 0, 0x200, 3 * M2, 18);
	pmp_vm_stats(x.t.vm, &st);
	ck_assert_uint_eq(st.punched, 0x300 + 3 * M2);
	it_free(&x);
}
END_TEST

/* A page mapped private is never deferred. */
START_TEST(private_mapped_at_once)
{
	struct pmp_fault f = { .gfn = 7, .flags = PMP_FAULT_PRIVATE, .backing_order = 9 };
	struct it x;

	it_init(&x, "inval=defer-2m", 9, 0);
	ck_assert_int_eq(pmp_convert(x.t.vm, 0, M2, true, acts(&x)), 0);
	sim_set_attr(&x.s, 0, M2, SA_PRIVATE, SA_PRIVATE);
	ck_assert_int_eq(pmp_map(x.t.vm, &f, PMP_LEVEL_4K, acts(&x)), 0);
	run(&x);
	ck_assert_int_eq(punch(&x, 4, 8), 0);			/* holds the mapped page */
	ck_assert_uint_eq(count(&x, PMP_ACT_INVALIDATE), 1);
	EXPECT_INVAL(&x, 0, 4, 8, 9);
	ck_assert_int_eq(sim_leaf_level(&x.s, 7), 0);
	ck_assert_int_eq(punch(&x, 20, 8), 0);			/* private but unmapped: waits */
	ck_assert_uint_eq(count(&x, PMP_ACT_INVALIDATE), 0);
	/* a fault on a deferred page invalidates it before mapping it */
	f.gfn = 21;
	ck_assert_int_eq(pmp_map(x.t.vm, &f, PMP_LEVEL_4K, acts(&x)), 0);
	run(&x);
	ck_assert_uint_eq(x.buf[0].type, PMP_ACT_INVALIDATE);
	ck_assert_uint_eq(x.buf[0].gfn, 21);
	ck_assert_uint_eq(pmp_nr_deferred(x.t.vm), 7);
	/* and no huge mapping over a chunk with deferred punches */
	f.gfn = 30;
	ck_assert_int_eq(pmp_max_level(x.t.vm, &f, NULL), PMP_LEVEL_4K);
	it_free(&x);
}
END_TEST

/*
 * The deferral bitmap is no plane: it sits at the tail of its chunk's
 * chain while plane blocks come and go before it, and a flush still
 * invalidates exactly the punched pages (an INVALIDATE frees backing).
 */
START_TEST(deferral_beside_planes)
{
	struct pmp_fault f = { .gfn = 300, .backing_order = 9 };
	struct pmp_vm_info info;
	struct it x;

	it_init(&x, "inval=defer-2m,on_conflict=flush", 9, 0);
	ck_assert_int_eq(punch(&x, 100, 3), 0);			/* the chain: the bitmap */
	ck_assert_int_eq(punch(&x, 200, 1), 0);
	pmp_vm_info(x.t.vm, &info);
	ck_assert_uint_eq(info.pool_used, 1);
	/* the private and mapped planes go mixed: their blocks go before the bitmap */
	ck_assert_int_eq(pmp_convert(x.t.vm, 400, 8, true, acts(&x)), 0);
	run(&x);
	sim_set_attr(&x.s, 400, 8, SA_PRIVATE, SA_PRIVATE);
	ck_assert_int_eq(pmp_map(x.t.vm, &f, PMP_LEVEL_4K, acts(&x)), 0);
	run(&x);
	pmp_vm_info(x.t.vm, &info);
	ck_assert_uint_eq(info.pool_used, 3);
	ck_assert_uint_eq(pmp_nr_deferred(x.t.vm), 4);
	/* the private plane's block leaves from before the bitmap */
	ck_assert_int_eq(pmp_convert(x.t.vm, 400, 8, false, acts(&x)), 0);
	run(&x);
	sim_set_attr(&x.s, 400, 8, SA_PRIVATE, 0);
	pmp_vm_info(x.t.vm, &info);
	ck_assert_uint_eq(info.pool_used, 2);
	ck_assert_uint_eq(pmp_nr_deferred(x.t.vm), 4);
	/* the flush: the two punched runs exactly, not the chunk */
	ck_assert_int_eq(pmp_inval_flush(x.t.vm, acts(&x)), 0);
	run(&x);
	ck_assert_uint_eq(count(&x, PMP_ACT_INVALIDATE), 2);
	EXPECT_INVAL(&x, 0, 100, 3, 9);
	EXPECT_INVAL(&x, 1, 200, 1, 9);
	ck_assert_uint_eq(pmp_nr_deferred(x.t.vm), 0);
	pmp_vm_info(x.t.vm, &info);
	ck_assert_uint_eq(info.pool_used, 1);			/* the mapped plane's */
	it_free(&x);
}
END_TEST

/*
 * A piece waits unless one of its own pages is private and mapped: the
 * chunk next_piece() looked up is the one live_private() reads, with the
 * private plane a bitmap, in 1 GiB ranges 0 and 1.  Pages are offsets in
 * the chunk; @mapped < 0: none mapped.
 */
static const struct private_row {
	unsigned int plo, pn, lo, n;
	int mapped;
	bool waits;
} private_rows[] = {
	{ 10, 10, 12, 6, 15, false },	/* the mapped page inside */
	{ 10, 10, 16, 14, 15, true },	/* private pages inside, the mapped one before */
	{ 10, 10, 0, 19, 19, true },	/* ... and after */
	{ 10, 10, 19, 21, 19, false },	/* its first page the mapped one */
	{ 100, 300, 290, 20, 300, false },
	{ 100, 300, 12, 6, -1, true },	/* nothing mapped */
};

#define NR_PRIVATE_ROWS (int)(sizeof(private_rows) / sizeof(private_rows[0]))

START_TEST(defer_beside_private)
{
	const struct private_row *r = &private_rows[_i / 2];
	uint64_t base = _i % 2 ? G1 + 5 * M2 : 3 * M2;
	struct pmp_fault f = { .gfn = base + (uint64_t)r->mapped, .slot = _i % 2,
			       .flags = PMP_FAULT_PRIVATE, .backing_order = 9 };
	struct it x;

	it_init(&x, "inval=defer-2m", 9, 0);
	ck_assert_int_eq(pmp_convert(x.t.vm, base + r->plo, r->pn, true, acts(&x)), 0);
	sim_set_attr(&x.s, base + r->plo, r->pn, SA_PRIVATE, SA_PRIVATE);
	run(&x);
	if (r->mapped >= 0) {
		ck_assert_int_eq(pmp_map(x.t.vm, &f, PMP_LEVEL_4K, acts(&x)), 0);
		run(&x);
	}
	ck_assert_int_eq(punch(&x, base + r->lo, r->n), 0);
	ck_assert_uint_eq(count(&x, PMP_ACT_INVALIDATE), r->waits ? 0 : 1);
	ck_assert_uint_eq(pmp_nr_deferred(x.t.vm), r->waits ? r->n : 0);
	it_free(&x);
}
END_TEST

/* Shared -> private over deferred punches: refused, or flushed first. */
START_TEST(conversion_races_deferral)
{
	struct it x;
	uint32_t i;

	it_init(&x, "inval=defer-2m,on_conflict=refuse", 9, 0);
	ck_assert_int_eq(punch(&x, 10, 5), 0);
	ck_assert_fails_clean(&x.t, -EBUSY, pmp_convert(x.t.vm, 0, M2, true, acts(&x)));
	ck_assert_int_eq(pmp_convert(x.t.vm, M2, M2, true, acts(&x)), 0);	/* elsewhere: fine */
	ck_assert_int_eq(pmp_convert(x.t.vm, 0, M2, false, acts(&x)), 0);	/* to shared: fine */
	it_free(&x);

	it_init(&x, "inval=defer-2m,on_conflict=flush", 9, 0);
	ck_assert_int_eq(punch(&x, 10, 5), 0);
	ck_assert_int_eq(punch(&x, 100, 1), 0);
	ck_assert_int_eq(pmp_convert(x.t.vm, 12, 1, true, acts(&x)), 0);
	run(&x);
	sim_set_attr(&x.s, 12, 1, SA_PRIVATE, SA_PRIVATE);
	ck_assert_uint_eq(count(&x, PMP_ACT_INVALIDATE), 2);	/* the chunk's two runs */
	EXPECT_INVAL(&x, 0, 10, 5, 9);
	EXPECT_INVAL(&x, 1, 100, 1, 9);
	for (i = 0; i < x.acts.nr; i++)	/* flushed before anything else */
		if (x.buf[i].type == PMP_ACT_ZAP)
			ck_assert_uint_gt(i, 1);
	ck_assert_uint_eq(pmp_nr_deferred(x.t.vm), 0);
	it_free(&x);
}
END_TEST

/*
 * on_conflict=withdraw: a conversion back to private drops the deferred
 * punches of its own pages, with no action, and keeps the others.
 */
START_TEST(conversion_withdraws_deferral)
{
	struct pmp_stats st;
	struct it x;

	it_init(&x, "inval=defer-2m,on_conflict=withdraw", 9, 0);
	ck_assert_int_eq(punch(&x, 10, 5), 0);
	ck_assert_int_eq(punch(&x, 100, 1), 0);
	ck_assert_uint_eq(pmp_nr_deferred(x.t.vm), 6);
	ck_assert_int_eq(pmp_convert(x.t.vm, 12, 1, true, acts(&x)), 0);
	ck_assert_uint_eq(count(&x, PMP_ACT_INVALIDATE), 0);
	ck_assert_uint_eq(pmp_nr_deferred(x.t.vm), 5);
	pmp_vm_stats(x.t.vm, &st);
	ck_assert_uint_eq(st.withdrawn, 1);
	ck_assert_int_eq(pmp_vm_check(x.t.vm), 0);
	/* all of them, and the chunk loses its deferral flag */
	ck_assert_int_eq(pmp_convert(x.t.vm, 0, M2, true, acts(&x)), 0);
	ck_assert_uint_eq(count(&x, PMP_ACT_INVALIDATE), 0);
	ck_assert_uint_eq(pmp_nr_deferred(x.t.vm), 0);
	pmp_vm_stats(x.t.vm, &st);
	ck_assert_uint_eq(st.withdrawn, 6);
	ck_assert_int_eq(pmp_vm_check(x.t.vm), 0);
	ck_assert_int_eq(pmp_inval_flush(x.t.vm, acts(&x)), 0);
	ck_assert_uint_eq(count(&x, PMP_ACT_INVALIDATE), 0);
	it_free(&x);
}
END_TEST

/*
 * A shared fault on a guest_memfd memslot maps the VMM's memory: it leaves
 * the deferred punch of the page's private backing alone (regression: it
 * invalidated the page, splitting its folio).  A private one invalidates.
 */
START_TEST(gmem_shared_fault_keeps_deferral)
{
	struct pmp_geometry geo = test_geometry(SPAN);
	struct pmp_policy p;
	struct pmp_actions out = { 0 };
	static struct pmp_action buf[4096];
	struct pmp_fault f = { .gfn = 12, .backing_order = 9 };
	struct tvm t;
	uint32_t i, inval = 0;

	geo.vm_type = PMP_VM_SNP;
	geo.nr_vtls = 1;
	tvm_init(&t, &geo);
	ck_assert_int_eq(pmp_policy_preset(&p, "recommended"), 0);
	ck_assert_int_eq(pmp_policy_parse(&p, "inval=defer-2m", NULL), 0);
	ck_assert_int_eq(pmp_vm_set_policy(t.vm, &p), 0);
	add_slot(&t, 0, 0, G1, 0x7f0000000000ULL, PMP_SLOT_GUEST_MEMFD);
	out.buf = buf;
	out.cap = 4096;
	/* private and backed by a 2 MiB folio, then page 12 goes shared and is punched */
	ck_assert_int_eq(pmp_convert(t.vm, 0, M2, true, &out), 0);
	f.flags = PMP_FAULT_PRIVATE;
	out.nr = 0;
	ck_assert_int_eq(pmp_map(t.vm, &f, PMP_LEVEL_4K, &out), 0);
	out.nr = 0;
	ck_assert_int_eq(pmp_convert(t.vm, 12, 1, false, &out), 0);
	out.nr = 0;
	ck_assert_int_eq(pmp_punch(t.vm, 12, 1, NULL, &out), 0);
	ck_assert_uint_eq(pmp_nr_deferred(t.vm), 1);
	f.flags = 0;
	out.nr = 0;
	ck_assert_int_eq(pmp_map(t.vm, &f, PMP_LEVEL_4K, &out), 0);
	for (i = 0; i < out.nr; i++)
		inval += buf[i].type == PMP_ACT_INVALIDATE;
	ck_assert_uint_eq(inval, 0);
	ck_assert_uint_eq(pmp_nr_deferred(t.vm), 1);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tvm_free(&t);
}
END_TEST

/*
 * Past the cap the next deferred chunk after the cursor (here the oldest,
 * the lowest) is flushed; flush and teardown empty it all.
 */
START_TEST(cap_flush_teardown)
{
	struct pmp_stats st;
	uint64_t cursor = 0;
	struct it x;

	it_init(&x, "inval=defer-2m", 9, 2);
	ck_assert_int_eq(punch(&x, 1, 2), 0);
	ck_assert_int_eq(punch(&x, M2 + 1, 2), 0);
	ck_assert_int_eq(punch(&x, 2 * M2 + 1, 2), 0);		/* a third chunk: evicts */
	ck_assert_uint_eq(count(&x, PMP_ACT_INVALIDATE), 1);
	EXPECT_INVAL(&x, 0, 1, 2, 9);				/* the first after the cursor */
	pmp_vm_stats(x.t.vm, &st);
	ck_assert_uint_eq(st.evicted, 1);
	ck_assert_uint_eq(pmp_nr_deferred(x.t.vm), 4);

	acts(&x)->cap = 1;	/* too small for a run and its flush: -ENOSPC, not a livelock */
	ck_assert_fails_clean(&x.t, -ENOSPC, pmp_inval_flush(x.t.vm, &x.acts));
	ck_assert_uint_eq(x.acts.nr, 0);
	acts(&x)->cap = 2;	/* resumable: one chunk per call here */
	ck_assert_int_eq(pmp_inval_flush(x.t.vm, &x.acts), 1);
	run(&x);
	ck_assert_uint_eq(pmp_nr_deferred(x.t.vm), 2);
	ck_assert_int_eq(pmp_inval_flush(x.t.vm, acts(&x)), 0);
	run(&x);
	ck_assert_uint_eq(pmp_nr_deferred(x.t.vm), 0);
	ck_assert_int_eq(punch(&x, 5 * M2 + 9, 9), 0);
	ck_assert_int_eq(pmp_teardown(x.t.vm, &cursor, acts(&x)), 0);
	run(&x);
	ck_assert_uint_eq(nth(&x, PMP_ACT_INVALIDATE, 0)->npages, SPAN);
	ck_assert_uint_eq(pmp_nr_deferred(x.t.vm), 0);
	it_free(&x);
}
END_TEST

/*
 * Review regressions: a punch whose own new chunk evicts a chunk it also
 * defers into must neither drop nor repeat invalidations; a flush with room
 * for one run at a time still makes progress.
 */
START_TEST(eviction_during_punch)
{
	const uint64_t c = 2 * M2, a = 3 * M2, b = 5 * M2;
	uint64_t k, g;
	int ret, calls = 0;
	struct it x;

	it_init(&x, "inval=defer-2m", 9, 2);
	ck_assert_int_eq(punch(&x, a, 1), 0);			/* deferred: A */
	for (k = 0; k < 256; k++)
		ck_assert_int_eq(punch(&x, b + 2 * k, 1), 0);	/* A, B (256 runs) */
	ck_assert_int_eq(punch(&x, c + 1, a + 2 - (c + 1)), 0);	/* C joins, A leaves */
	ck_assert_uint_eq(pmp_nr_deferred(x.t.vm), 511 + 256);
	do {		/* two entries: one run and its flush per call */
		acts(&x)->cap = 2;
		ret = pmp_inval_flush(x.t.vm, &x.acts);
		ck_assert_int_ge(ret, 0);
		run(&x);
		ck_assert(ret == 0 || x.acts.nr > 0);
	} while (ret == 1 && ++calls < 1000);
	ck_assert_int_eq(ret, 0);
	ck_assert_int_eq(calls, 256);		/* B's runs, then C's */
	for (g = 0; g < SPAN; g++)
		ck_assert_msg(!x.s.punch_wanted[g], "%#llx never invalidated", (unsigned long long)g);
	it_free(&x);
}
END_TEST

/*
 * Issue 19: with a 4-entry array a flush emitted three INVALIDATEs and one
 * FLUSH (0+1): the pages 2 and 512 were freed with no TLB flush, and no
 * longer deferred, so no later call flushed them.  With 0 or 1 entries it
 * returned "call again" forever.  Now each step is a run and its flush.
 */
START_TEST(flush_never_drops_a_flush)
{
	static const uint64_t pages[] = { 0, 2, M2, M2 + 2 };
	uint32_t i, cap;
	struct it x;

	it_init(&x, "inval=defer-2m", 9, 0);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(punch(&x, pages[i], 1), 0);
		ck_assert_uint_eq(count(&x, PMP_ACT_INVALIDATE), 0);
	}
	ck_assert_uint_eq(pmp_nr_deferred(x.t.vm), 4);
	for (cap = 0; cap < 2; cap++) {
		acts(&x)->cap = cap;
		ck_assert_fails_clean(&x.t, -ENOSPC, pmp_inval_flush(x.t.vm, &x.acts));
	}
	ck_assert_fails_clean(&x.t, -ENOSPC, pmp_inval_flush(x.t.vm, NULL));
	acts(&x)->cap = 4;
	ck_assert_int_eq(pmp_inval_flush(x.t.vm, &x.acts), 1);
	run(&x);	/* the simulator: every invalidated page flushed in the call */
	ck_assert_uint_eq(x.acts.nr, 4);
	for (i = 0; i < 4; i++) {
		ck_assert_uint_eq(x.buf[i].type, i % 2 ? PMP_ACT_FLUSH : PMP_ACT_INVALIDATE);
		ck_assert_uint_eq(x.buf[i].gfn, pages[i / 2]);
		ck_assert_uint_eq(x.buf[i].npages, 1);
	}
	ck_assert_uint_eq(pmp_nr_deferred(x.t.vm), 2);
	acts(&x)->cap = 4;
	ck_assert_int_eq(pmp_inval_flush(x.t.vm, &x.acts), 0);
	run(&x);
	ck_assert_uint_eq(x.acts.nr, 4);
	ck_assert_uint_eq(pmp_nr_deferred(x.t.vm), 0);
	ck_assert_int_eq(pmp_inval_flush(x.t.vm, NULL), 0);	/* nothing left: no room needed */
	it_free(&x);
}
END_TEST

/*
 * A flush with arrays of every small size against one large array: the
 * same actions in the same order, the same final state; too small an
 * array is -ENOSPC with nothing changed (issue 19).
 */
START_TEST(flush_every_array_size)
{
	struct drv_call c = { .fn = drv_call_flush, .name = "flush", .resumable = true };
	struct pmp_vm *start;
	char why[256];
	uint64_t g;
	uint32_t cap;
	struct it x;

	it_init(&x, "inval=defer-2m", 9, 8);
	for (g = 0; g < 6 * M2; g += 3 + g % 5)
		ck_assert_int_eq(punch(&x, g, 1 + g % 2), 0);
	ck_assert_uint_gt(pmp_nr_deferred(x.t.vm), 100);
	start = drv_vm_copy(x.t.vm);
	ck_assert_int_eq(pmp_inval_flush(x.t.vm, acts(&x)), 0);
	run(&x);
	ck_assert_uint_gt(x.acts.nr, 200);
	for (cap = 0; cap <= 12; cap++)
		ck_assert_msg(!drv_oracle(start, x.t.vm, &c, 0, x.buf, x.acts.nr, cap, why,
					  sizeof(why)), "%s", why);
	free(start);
	it_free(&x);
}
END_TEST

/* Adjacent invalidations share a TLB flush, up to flush_batch of them. */
START_TEST(flush_batching)
{
	struct it x;

	it_init(&x, "inval=immediate,flush_batch=2", 9, 0);
	ck_assert_int_eq(punch(&x, 0x100, 3 * M2), 0);	/* head, whole middle, tail */
	ck_assert_uint_eq(count(&x, PMP_ACT_INVALIDATE), 3);
	ck_assert_uint_eq(count(&x, PMP_ACT_FLUSH), 2);
	ck_assert_uint_eq(nth(&x, PMP_ACT_FLUSH, 0)->npages, 0x100 + 2 * M2);
	it_free(&x);

	it_init(&x, "inval=defer-2m,flush_batch=16", 9, 0);
	ck_assert_int_eq(punch(&x, 0x100, 3 * M2), 0);	/* head and tail wait */
	ck_assert_uint_eq(count(&x, PMP_ACT_FLUSH), 1);
	it_free(&x);
}
END_TEST

static uint64_t storm(const char *policy, uint32_t cap, uint64_t chunks, uint64_t seed,
		      uint64_t *invals)
{
	uint64_t n = chunks * M2, i, *order = malloc(n * sizeof(*order)), r = seed;
	struct pmp_stats st;
	struct it *x = malloc(sizeof(*x));

	it_init(x, policy, 9, cap);
	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = n - 1; i > 0; i--) {	/* Fisher-Yates with xorshift */
		uint64_t j, t;

		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		j = r % (i + 1);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	*invals = 0;
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(punch(x, order[i], 1), 0);
		*invals += count(x, PMP_ACT_INVALIDATE);
	}
	ck_assert_int_eq(pmp_inval_flush(x->t.vm, acts(x)), 0);
	run(x);
	*invals += count(x, PMP_ACT_INVALIDATE);
	pmp_vm_stats(x->t.vm, &st);
	ck_assert_uint_eq(st.invalidated, n);		/* every page, exactly once */
	for (i = 0; i < n; i++)
		ck_assert(!x->s.punch_wanted[i]);
	it_free(x);
	free(x);
	free(order);
	return n;
}

/* A VMM punching every 4K of 32 shared chunks separately, in random order. */
START_TEST(punch_storm)
{
	uint64_t pages, defer, tight, immediate;

	pages = storm("inval=defer-2m", 0, 32, 1, &defer);	/* the default cap */
	storm("inval=defer-2m", 4, 32, 1, &tight);
	storm("inval=immediate", 64, 32, 1, &immediate);
	printf("punch storm: %llu pages in 32 chunks, 4K each in random order: invalidations "
	       "issued %llu with defer-2m (lower bound 32), %llu with a 4-chunk cap, %llu "
	       "issuing each punch at once\n", (unsigned long long)pages,
	       (unsigned long long)defer, (unsigned long long)tight,
	       (unsigned long long)immediate);
	ck_assert_uint_eq(defer, 32);		/* one per fully punched chunk */
	ck_assert_uint_eq(immediate, pages);
	ck_assert_uint_le(tight, immediate);
}
END_TEST

/*
 * Random punches, faults and conversions on two VMs: one issuing every
 * punch at once (the reference), one deferring.  Every invalidation only
 * touches punched pages; after a final flush both have punched the same
 * pages; the deferring one never issued more invalidations.
 */
START_TEST(random_vs_reference)
{
	static const char *const pol[2] = { "inval=immediate",
					       "inval=defer-2m,on_conflict=flush" };
	struct it *x = calloc(2, sizeof(*x));
	uint64_t r = 0x1234567ULL + (uint64_t)_i * 7919, invals[2] = { 0 }, step, g;
	int v;

	for (v = 0; v < 2; v++) {
		it_init(&x[v], pol[v], 9, 8);
		x[v].s.data = calloc(x[v].s.pages, sizeof(uint32_t));
	}
	for (step = 0; step < 4000; step++) {
		uint64_t gfn, n;
		unsigned int op;

		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		op = (unsigned int)(r % 10);
		gfn = (r >> 8) % (8 * M2);
		n = 1 + (r >> 40) % (op < 6 ? 64 : 3 * M2);
		if (gfn + n > 8 * M2)
			n = 8 * M2 - gfn;
		for (v = 0; v < 2; v++) {
			struct pmp_fault f = { .gfn = gfn, .slot = 0,
					       .backing_order = x[v].s.folio[gfn / M2] };
			int err;

			if (op < 7) {
				ck_assert_int_eq(punch(&x[v], gfn, n), 0);
				invals[v] += count(&x[v], PMP_ACT_INVALIDATE);
			} else if (op < 9) {
				if (x[v].s.attr[gfn] & SA_PRIVATE)
					f.flags = PMP_FAULT_PRIVATE;
				if (sim_leaf_state(&x[v].s, gfn) == 1)
					continue;
				err = pmp_max_level(x[v].t.vm, &f, NULL);
				ck_assert_int_gt(err, 0);
				ck_assert_int_eq(pmp_map(x[v].t.vm, &f, err, acts(&x[v])), 0);
				invals[v] += count(&x[v], PMP_ACT_INVALIDATE);
				run(&x[v]);
				/* the guest writes the faulting page: it has data again */
				x[v].s.punch_wanted[gfn] = 0;
				x[v].s.data[gfn] = (uint32_t)step + 1;
			} else {
				bool priv = (r >> 60) & 1;

				ck_assert_int_eq(pmp_convert(x[v].t.vm, gfn, n, priv, acts(&x[v])), 0);
				invals[v] += count(&x[v], PMP_ACT_INVALIDATE);
				run(&x[v]);
				sim_set_attr(&x[v].s, gfn, n, SA_PRIVATE, priv ? SA_PRIVATE : 0);
			}
		}
	}
	for (v = 0; v < 2; v++) {
		ck_assert_int_eq(pmp_inval_flush(x[v].t.vm, acts(&x[v])), 0);
		invals[v] += count(&x[v], PMP_ACT_INVALIDATE);
		run(&x[v]);
	}
	for (g = 0; g < 8 * M2; g++) {
		ck_assert_msg(!x[0].s.punch_wanted[g] && !x[1].s.punch_wanted[g],
			      "page %#llx punched but never invalidated", (unsigned long long)g);
		ck_assert_msg(x[0].s.data[g] == x[1].s.data[g], "page %#llx: data %u vs %u",
			      (unsigned long long)g, x[0].s.data[g], x[1].s.data[g]);
	}
	printf("random vs reference %d: %llu invalidations at once, %llu deferring\n", _i,
	       (unsigned long long)invals[0], (unsigned long long)invals[1]);
	ck_assert_uint_le(invals[1], invals[0]);
	for (v = 0; v < 2; v++)
		it_free(&x[v]);
	free(x);
}
END_TEST

START_TEST(yield_rules)
{
	struct pmp_geometry geo = test_geometry(G1);
	struct pmp_yield_state st = { 0 };
	struct pmp_policy p;
	struct tvm t;
	const unsigned int want = PMP_YIELD_NEED_RESCHED | PMP_YIELD_CAN_YIELD;

	tvm_init(&t, &geo);
	pmp_vm_policy(t.vm, &p);
	p.yield_threshold = 10;
	ck_assert_int_eq(pmp_vm_set_policy(t.vm, &p), 0);
	ck_assert_int_eq(pmp_yield(t.vm, &st, 1, 100, PMP_YIELD_CAN_YIELD), 0);	/* no reason */
	ck_assert_int_eq(pmp_yield(t.vm, &st, 1, 9, want), 0);		/* below threshold */
	ck_assert_int_eq(pmp_yield(t.vm, &st, 1, 10, want), 1);
	ck_assert_int_eq(pmp_yield(t.vm, &st, 1, 10, want), 0);		/* no progress */
	ck_assert_int_eq(pmp_yield(t.vm, &st, 2, 10, want | PMP_YIELD_CONTENDED), 1);
	ck_assert_int_eq(pmp_yield(t.vm, &st, 3, 50, PMP_YIELD_CONTENDED), -EINTR);
	ck_assert_int_eq(pmp_yield(t.vm, &st, 3, 5, PMP_YIELD_CONTENDED), 0);	/* finish */
	ck_assert_uint_eq(st.yields, 2);
	ck_assert_uint_eq(st.bails, 1);
	tvm_free(&t);
}
END_TEST

static unsigned int always_resched(void *ctx)
{
	(*(int *)ctx)++;
	return PMP_YIELD_NEED_RESCHED;
}

/* Merge ticks and teardown stop early when asked, and resume. */
START_TEST(core_walks_yield)
{
	struct pmp_fault f = { .backing_order = 9 };
	int polls = 0, ret, rounds = 0;
	struct pmp_yield_ops ops = { .poll = always_resched, .ctx = &polls };
	struct pmp_stats st;
	uint64_t cursor = 0, g;
	struct it x;

	it_init(&x, "merge=scan,yield_threshold=0,pin=fault", 9, 0);
	x.t.vm = NULL;
	tvm_free(&x.t);
	{
		struct pmp_geometry geo = test_geometry(SPAN);
		struct pmp_slot s0 = { .base_gfn = 0, .npages = G1,
				       .userspace_addr = 0x7f0000000000ULL };
		struct pmp_policy p;

		geo.nr_vtls = 1;
		geo.vm_type = PMP_VM_SEV;	/* pins, so teardown has runs to yield between */
		tvm_init(&x.t, &geo);
		ck_assert_int_eq(pmp_policy_preset(&p, "recommended"), 0);
		ck_assert_int_eq(pmp_policy_parse(&p, "merge=scan,yield_threshold=0", NULL), 0);
		ck_assert_int_eq(pmp_vm_set_policy(x.t.vm, &p), 0);
		ck_assert_int_eq(pmp_slot_create(x.t.vm, 0, &s0), 0);
		ck_assert_int_eq(pmp_slot_create(x.t.vm, 1, &(struct pmp_slot){ .base_gfn = G1,
			.npages = G1, .userspace_addr = 0x7f0000000000ULL + (G1 << 12) }), 0);
	}
	for (g = 0; g < 4 * M2; g += 7) {
		f.gfn = g;
		ck_assert_int_eq(pmp_map(x.t.vm, &f, PMP_LEVEL_4K, acts(&x)), 0);
		run(&x);
	}
	pmp_vm_set_yield(x.t.vm, &ops);
	ck_assert_int_eq(pmp_merge_tick(x.t.vm, acts(&x)), 1);	/* stops after a unit */
	ck_assert_int_gt(polls, 0);
	do {	/* always contended: each call still unpins one run */
		ret = pmp_teardown(x.t.vm, &cursor, acts(&x));
		ck_assert_int_ge(ret, 0);
		run(&x);
	} while (ret == 1 && ++rounds < 100000);
	ck_assert_int_eq(ret, 0);
	ck_assert_int_gt(rounds, 1);
	ck_assert_uint_eq(pmp_nr_pinned(x.t.vm), 0);
	pmp_vm_stats(x.t.vm, &st);
	ck_assert_uint_gt(st.yields, 0);
	pmp_vm_set_yield(x.t.vm, NULL);
	it_free(&x);
}
END_TEST

Suite *inval_suite(void)
{
	Suite *s = suite_create("inval");
	TCase *tc = tcase_create("coalescing");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, seed_example);
	tcase_add_test(tc, folio_layouts);
	tcase_add_test(tc, private_mapped_at_once);
	tcase_add_loop_test(tc, defer_beside_private, 0, 2 * NR_PRIVATE_ROWS);
	tcase_add_test(tc, deferral_beside_planes);
	tcase_add_test(tc, conversion_races_deferral);
	tcase_add_test(tc, conversion_withdraws_deferral);
	tcase_add_test(tc, gmem_shared_fault_keeps_deferral);
	tcase_add_test(tc, cap_flush_teardown);
	tcase_add_test(tc, flush_batching);
	tcase_add_test(tc, eviction_during_punch);
	tcase_add_test(tc, flush_never_drops_a_flush);
	tcase_add_test(tc, flush_every_array_size);
	tcase_add_test(tc, punch_storm);
	tcase_add_loop_test(tc, random_vs_reference, 0, 4);
	suite_add_tcase(s, tc);
	tc = tcase_create("yield");
	tcase_add_test(tc, yield_rules);
	tcase_add_test(tc, core_walks_yield);
	suite_add_tcase(s, tc);
	return s;
}
