// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Coalescing with the DEFAULT geometry and policy (issue 16 item 3): punch
 * storms of 4 KiB in random order over 2 GiB and over a whole 8 GiB VM, and
 * scattered 4K-64K punches, issue at most 1.05x the lower bound of
 * invalidations (the maximal runs of punched pages, cut at 2 MiB folio
 * edges).  Counts, not times.  Then pmp_inval_flush_range(): only its
 * range, resumable, errors that change nothing.
 */
#include <stdio.h>
#include "helpers.h"
#include "rng.h"

#define M2 GFNS_PER_2M
#define G1 GFNS_PER_1G

static unsigned int order_2m(void *ctx, uint64_t gfn)
{
	(void)ctx;
	(void)gfn;
	return 9;
}

static const struct pmp_folios folios_2m = { .order = order_2m };

struct cvm {
	struct tvm t;
	struct pmp_action buf[4096];
	struct pmp_actions acts;
	uint8_t *punched;	/* the test's own record: which pages were punched */
	uint64_t pages, invals, inval_pages;
};

/* A default VM (geometry and policy) of @pages, one memslot over all of it. */
static void cvm_init(struct cvm *c, uint64_t pages)
{
	struct pmp_geometry geo = test_geometry(pages);
	struct pmp_slot s = { .base_gfn = 0, .npages = pages, .userspace_addr = 1ULL << 40 };

	memset(c, 0, sizeof(*c));
	geo.nr_vtls = 1;
	tvm_init(&c->t, &geo);		/* policy NULL: the default */
	ck_assert_int_eq(pmp_slot_create(c->t.vm, 0, &s), 0);
	c->punched = calloc(pages, 1);
	ck_assert_ptr_nonnull(c->punched);
	c->pages = pages;
	c->acts.buf = c->buf;
	c->acts.cap = 4096;
}

static void cvm_free(struct cvm *c)
{
	free(c->punched);
	tvm_free(&c->t);
}

static void tally(struct cvm *c)
{
	uint32_t i;

	for (i = 0; i < c->acts.nr; i++) {
		if (c->buf[i].type != PMP_ACT_INVALIDATE)
			continue;
		c->invals++;
		c->inval_pages += c->buf[i].npages;
	}
}

static void cvm_punch(struct cvm *c, uint64_t gfn, uint64_t n)
{
	c->acts.nr = 0;
	ck_assert_int_eq(pmp_punch(c->t.vm, gfn, n, &folios_2m, &c->acts), 0);
	tally(c);
	memset(c->punched + gfn, 1, n);
}

/*
 * Flush what is left; then nothing is deferred, and every punched page was
 * invalidated (a page punched again after its invalidation is again).
 */
static void cvm_finish(struct cvm *c)
{
	struct pmp_stats st;
	uint64_t g, punched = 0;
	int ret;

	do {
		c->acts.nr = 0;
		ret = pmp_inval_flush(c->t.vm, &c->acts);
		ck_assert_int_ge(ret, 0);
		tally(c);
	} while (ret == 1);
	ck_assert_uint_eq(pmp_nr_deferred(c->t.vm), 0);
	for (g = 0; g < c->pages; g++)
		punched += c->punched[g];
	pmp_vm_stats(c->t.vm, &st);
	ck_assert_uint_eq(st.invalidated, c->inval_pages);
	ck_assert_uint_ge(c->inval_pages, punched);
	ck_assert_int_eq(pmp_vm_check(c->t.vm), 0);
}

/* Maximal runs of punched pages, cut at 2 MiB edges: no policy does better. */
static uint64_t lower_bound(const struct cvm *c)
{
	uint64_t g, runs = 0;

	for (g = 0; g < c->pages; g++)
		runs += c->punched[g] && (!(g % M2) || !c->punched[g - 1]);
	return runs;
}

static void check_bound(struct cvm *c, const char *what)
{
	uint64_t lb = lower_bound(c);

	printf("coalesce, defaults: %s: %llu invalidations, lower bound %llu (%.3fx)\n", what,
	       (unsigned long long)c->invals, (unsigned long long)lb,
	       (double)c->invals / (double)lb);
	ck_assert_uint_gt(lb, 0);
	ck_assert_uint_le(c->invals * 100, lb * 105);
}

/* Every 4 KiB page of [0, n) punched once, in random order, on a VM of @vm_pages. */
static void storm(uint64_t vm_pages, uint64_t n, const char *what)
{
	uint64_t *order = malloc(n * sizeof(*order)), i;
	struct cvm *c = malloc(sizeof(*c));
	struct rng r;

	ck_assert_ptr_nonnull(order);
	ck_assert_ptr_nonnull(c);
	rng_seed(&r, 0x5eed0016);
	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = n - 1; i > 0; i--) {
		uint64_t j = rng_below(&r, i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	cvm_init(c, vm_pages);
	for (i = 0; i < n; i++)
		cvm_punch(c, order[i], 1);
	cvm_finish(c);
	check_bound(c, what);
	ck_assert_uint_eq(c->invals, n / M2);	/* each 2 MiB whole, once */
	ck_assert_uint_eq(c->inval_pages, n);
	cvm_free(c);
	free(c);
	free(order);
}

/* Issue 16: with the 64-chunk default cap this was 511x the bound. */
START_TEST(storm_2g_in_8g)
{
	storm(8 * G1, 2 * G1, "4K storm, random order, 2 GiB of an 8 GiB VM");
}
END_TEST

START_TEST(storm_whole_8g_vm)
{
	storm(8 * G1, 8 * G1, "4K storm, random order, the whole 8 GiB VM");
}
END_TEST

/* 4 KiB to 64 KiB anywhere in 8 GiB, a balloon of small pages. */
START_TEST(scattered_4k_64k)
{
	struct cvm *c = malloc(sizeof(*c));
	uint64_t i, gfn, n, pages = 8 * G1;
	struct rng r;

	ck_assert_ptr_nonnull(c);
	cvm_init(c, pages);
	rng_seed(&r, 0x5ca7);
	for (i = 0; i < 20000; i++) {
		n = 1 + rng_below(&r, 16);
		gfn = rng_below(&r, pages - n);
		cvm_punch(c, gfn, n);
	}
	cvm_finish(c);
	check_bound(c, "4K-64K scattered, 20,000 punches over 8 GiB");
	cvm_free(c);
	free(c);
}
END_TEST

/*
 * pmp_inval_flush_range(): only the range's deferred pages, one run and
 * its FLUSH per step, cut at the range and at 2 MiB; resumable; bad input
 * changes nothing.
 */
START_TEST(flush_range)
{
	struct cvm *c = malloc(sizeof(*c));
	uint64_t g;
	int ret, calls = 0;

	ck_assert_ptr_nonnull(c);
	cvm_init(c, 2 * G1);
	for (g = 0; g < 3 * M2; g += 2)
		cvm_punch(c, g, 1);	/* 768 deferred pages, 256 per chunk */
	ck_assert_uint_eq(c->invals, 0);
	ck_assert_uint_eq(pmp_nr_deferred(c->t.vm), 768);

	/* nothing deferred there: no room needed, nothing emitted */
	c->acts.nr = 0;
	ck_assert_int_eq(pmp_inval_flush_range(c->t.vm, 4 * M2, M2, NULL), 0);
	ck_assert_fails_clean(&c->t, -EINVAL, pmp_inval_flush_range(c->t.vm, 0, 0, &c->acts));
	ck_assert_fails_clean(&c->t, -ERANGE,
			      pmp_inval_flush_range(c->t.vm, 2 * G1 - 1, 2, &c->acts));
	ck_assert_fails_clean(&c->t, -ENOSPC, pmp_inval_flush_range(c->t.vm, 0, 1, NULL));
	c->acts.cap = 1;
	ck_assert_fails_clean(&c->t, -ENOSPC, pmp_inval_flush_range(c->t.vm, 0, 1, &c->acts));

	/* [M2 - 4, M2 + 5): pages M2-4, M2-2 (chunk 0), M2, M2+2, M2+4 (chunk 1) */
	do {
		c->acts.nr = 0;
		c->acts.cap = 2;	/* one step per call */
		ret = pmp_inval_flush_range(c->t.vm, M2 - 4, 9, &c->acts);
		ck_assert_int_ge(ret, 0);
		ck_assert_uint_eq(c->acts.nr, 2);
		ck_assert_int_eq(c->buf[0].type, PMP_ACT_INVALIDATE);
		ck_assert_uint_eq(c->buf[0].npages, 1);
		ck_assert_int_eq(c->buf[1].type, PMP_ACT_FLUSH);
		ck_assert_uint_eq(c->buf[1].gfn, c->buf[0].gfn);
		ck_assert_uint_lt(c->buf[0].gfn - (M2 - 4), 9);
		tally(c);
	} while (ret == 1 && ++calls < 100);
	ck_assert_int_eq(ret, 0);
	ck_assert_int_eq(calls, 4);
	ck_assert_uint_eq(c->invals, 5);
	ck_assert_uint_eq(pmp_nr_deferred(c->t.vm), 768 - 5);
	ck_assert_int_eq(pmp_vm_check(c->t.vm), 0);

	/* a deferred run longer than the range is cut at the range */
	c->acts.cap = 4096;
	for (g = 2 * M2 + 1; g < 2 * M2 + 64; g += 2)
		cvm_punch(c, g, 1);	/* 2 MiB chunk 2: pages 0..63 all deferred now */
	c->acts.nr = 0;
	ck_assert_int_eq(pmp_inval_flush_range(c->t.vm, 2 * M2 + 10, 20, &c->acts), 0);
	ck_assert_uint_eq(c->acts.nr, 2);
	ck_assert_uint_eq(c->buf[0].gfn, 2 * M2 + 10);
	ck_assert_uint_eq(c->buf[0].npages, 20);
	tally(c);

	/* the rest, all at once, then everything completed once */
	c->acts.nr = 0;
	ck_assert_int_eq(pmp_inval_flush_range(c->t.vm, 0, 2 * G1, &c->acts), 0);
	tally(c);
	cvm_finish(c);
	ck_assert_uint_eq(c->inval_pages, 768 + 32);
	cvm_free(c);
	free(c);
}
END_TEST

static struct pmp_actions *fresh_acts(struct pmp_actions *a)
{
	a->nr = 0;
	return a;
}

static struct pmp_action full_buf[2048];

/*
 * A 1 GiB VM with a pool of @pool blocks: chunk 0 one 2 MiB leaf, @punched
 * pages from gfn 5 punched (deferred if a block is spare), then the rest of
 * the pool filled by one private page in each of chunks 1, 2, ...
 */
static void full_pool_vm(struct tvm *t, struct pmp_actions *acts, uint32_t pool,
			 uint64_t punched)
{
	struct pmp_geometry geo = test_geometry(G1);
	struct pmp_fault f = { .gfn = 0, .backing_order = 9 };
	struct pmp_vm_info info;
	uint64_t c;

	geo.nr_vtls = 1;
	geo.pool_blocks = pool;
	tvm_init(t, &geo);
	add_slot(t, 0, 0, G1, 1ULL << 40, 0);
	*acts = (struct pmp_actions){ .buf = full_buf, .cap = 2048 };
	ck_assert_int_eq(pmp_map(t->vm, &f, PMP_LEVEL_2M, acts), 0);
	if (punched)
		ck_assert_int_eq(pmp_punch(t->vm, 5, punched, &folios_2m, fresh_acts(acts)), 0);
	for (c = 1; c < pool + !punched; c++)
		ck_assert_int_eq(pmp_convert(t->vm, c * M2 + 1, 1, true, fresh_acts(acts)), 0);
	pmp_vm_info(t->vm, &info);
	ck_assert_uint_eq(info.pool_used, info.pool_blocks);
}

/* The last call's INVALIDATEs: exactly one, of [gfn, gfn + npages). */
static void one_inval(const struct pmp_actions *acts, uint64_t gfn, uint64_t npages)
{
	uint32_t i, invals = 0;

	for (i = 0; i < acts->nr; i++) {
		if (acts->buf[i].type != PMP_ACT_INVALIDATE)
			continue;
		invals++;
		ck_assert_uint_eq(acts->buf[i].gfn, gfn);
		ck_assert_uint_eq(acts->buf[i].npages, npages);
	}
	ck_assert_uint_eq(invals, 1);
}

/*
 * A full pool does not stop a flush: a step clears the mapped and accepted
 * planes of part of a chunk, which are lossy (they go unknown when no
 * block is free), so it needs no room.  (It was -ENOMEM with nothing
 * changed, and a deferred punch could not be flushed until a block freed.)
 */
START_TEST(flush_with_full_pool)
{
	struct pmp_actions acts;
	struct tvm t;

	full_pool_vm(&t, &acts, 10, 1);
	ck_assert_uint_eq(pmp_nr_deferred(t.vm), 1);
	ck_assert_int_eq(pmp_inval_flush_range(t.vm, 0, M2, fresh_acts(&acts)), 0);
	one_inval(&acts, 5, 1);
	ck_assert_uint_eq(pmp_nr_deferred(t.vm), 0);
	/* the 2 MiB leaf went whole (KVM's zap); the chunk's mirror is exact or maybe mapped */
	ck_assert_int_le(pmp_leaf_level(t.vm, 300), PMP_LEVEL_4K);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tvm_free(&t);
}
END_TEST

/*
 * Deferral never costs the private attributes their room: a conversion
 * that finds the pool full (no free block, no lossy one) flushes a
 * deferred chunk and takes its bitmap's block, with the chunk's
 * INVALIDATE among its actions.  Only with no deferral left does a
 * caller-sized pool say -ENOMEM (the default pool has a block per chunk
 * for them).  On the parent the conversion was -ENOMEM with the deferral
 * still holding its block.
 */
START_TEST(convert_reclaims_deferral)
{
	struct pmp_actions acts;
	struct pmp_stats st;
	struct tvm t;

	full_pool_vm(&t, &acts, 10, 3);
	ck_assert_uint_eq(pmp_nr_deferred(t.vm), 3);
	ck_assert_int_eq(pmp_convert(t.vm, 10 * M2 + 1, 1, true, fresh_acts(&acts)), 0);
	one_inval(&acts, 5, 3);
	ck_assert_uint_eq(pmp_nr_deferred(t.vm), 0);
	pmp_vm_stats(t.vm, &st);
	ck_assert_uint_eq(st.invalidated, 3);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	/* nothing left to reclaim: a caller-sized pool is full, nothing changes */
	ck_assert_fails_clean(&t, -ENOMEM, pmp_convert(t.vm, 11 * M2 + 1, 1, true,
							fresh_acts(&acts)));
	tvm_free(&t);
}
END_TEST

/*
 * A punch that finds no spare block for a new deferral bitmap is
 * invalidated at once: never -ENOMEM (it was, on the parent, with the
 * pool full of private pages).
 */
START_TEST(punch_with_full_pool)
{
	struct pmp_actions acts;
	struct tvm t;

	full_pool_vm(&t, &acts, 4, 0);
	ck_assert_int_eq(pmp_punch(t.vm, 5, 1, &folios_2m, fresh_acts(&acts)), 0);
	one_inval(&acts, 5, 1);
	ck_assert_uint_eq(pmp_nr_deferred(t.vm), 0);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tvm_free(&t);
}
END_TEST

Suite *coalesce_suite(void)
{
	Suite *s = suite_create("coalesce");
	TCase *tc = tcase_create("defaults");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, storm_2g_in_8g);
	tcase_add_test(tc, storm_whole_8g_vm);
	tcase_add_test(tc, scattered_4k_64k);
	tcase_add_test(tc, flush_range);
	tcase_add_test(tc, flush_with_full_pool);
	tcase_add_test(tc, convert_reclaims_deferral);
	tcase_add_test(tc, punch_with_full_pool);
	suite_add_tcase(s, tc);
	return s;
}
