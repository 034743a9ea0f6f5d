// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Per-gfn attributes: range updates over the edges (0, 4K, 2M, straddling,
 * 1G, the end of the span), read back page by page, and the pool that
 * holds non-uniform 2 MiB chunks.
 */
#include "helpers.h"

struct range_case {
	const char *what;
	uint64_t gfn, npages;
	uint32_t blocks;	/* pool blocks in use after making it private */
};

#define END_GFN (2 * GFNS_PER_1G + GFNS_PER_2M + 100)

static const struct range_case ranges[] = {
	{ "gfn 0", 0, 1, 1 },
	{ "last page of a 2M", 511, 1, 1 },
	{ "straddling two 2M", 511, 2, 2 },
	{ "one whole 2M", 512, 512, 0 },
	{ "2M plus one page each side", 511, 514, 2 },
	{ "head and tail partial", 100, 1000, 2 },
	{ "one whole 1G", GFNS_PER_1G, GFNS_PER_1G, 0 },
	{ "straddling two 1G", GFNS_PER_1G - 1, 2, 2 },
	{ "last page of the span", END_GFN - 1, 1, 1 },
	{ "tail of the span", 2 * GFNS_PER_1G, GFNS_PER_2M + 100, 1 },
	{ "everything", 0, END_GFN, 1 },
};

static void expect_private(struct tvm *t, uint64_t gfn, bool want)
{
	struct pmp_page_attrs a;

	ck_assert_int_eq(pmp_get_attrs(t->vm, gfn, &a), 0);
	ck_assert_msg(a.private == want, "gfn %#llx private %d", (unsigned long long)gfn,
		      a.private);
}

START_TEST(range_round_trip)
{
	const struct range_case *c = &ranges[_i];
	struct pmp_geometry geo = test_geometry(END_GFN);
	uint64_t end = c->gfn + c->npages;
	struct pmp_vm_info info;
	struct tvm t;

	tvm_init(&t, &geo);
	ck_assert_int_eq(pmp_convert(t.vm, c->gfn, c->npages, true, NULL), 0);
	if (c->gfn)
		expect_private(&t, c->gfn - 1, false);
	expect_private(&t, c->gfn, true);
	expect_private(&t, end - 1, true);
	if (end < END_GFN)
		expect_private(&t, end, false);
	pmp_vm_info(t.vm, &info);
	ck_assert_msg(info.pool_used == c->blocks, "%s: %u blocks", c->what, info.pool_used);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);

	/* and back: every block returns to the pool */
	ck_assert_int_eq(pmp_convert(t.vm, c->gfn, c->npages, false, NULL), 0);
	expect_private(&t, c->gfn, false);
	pmp_vm_info(t.vm, &info);
	ck_assert_uint_eq(info.pool_used, 0);
	ck_assert_uint_eq(info.pool_high_water, c->blocks);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tvm_free(&t);
}
END_TEST

/* Several non-uniform attributes in one chunk: chain insert/remove in the middle. */
START_TEST(chunk_with_many_planes)
{
	struct pmp_geometry geo = test_geometry(GFNS_PER_1G);
	struct pmp_page_attrs a;
	struct pmp_vm_info info;
	struct tvm t;

	tvm_init(&t, &geo);
	/* VTL 1 denied W and X: two planes, at the end of the chain */
	ck_assert_int_eq(pmp_vtl_protect(t.vm, 1, 10, 1, PMP_PROT_R, NULL), 0);
	ck_assert_int_eq(pmp_convert(t.vm, 11, 1, true, NULL), 0);		/* the head */
	ck_assert_int_eq(pmp_vtl_protect(t.vm, 0, 12, 1, PMP_PROT_W | PMP_PROT_X, NULL), 0);
	ck_assert_int_eq(pmp_write_track(t.vm, 13, 1, true, NULL), 0);		/* second */
	pmp_vm_info(t.vm, &info);
	ck_assert_uint_eq(info.pool_used, 5);
	ck_assert_int_eq(pmp_get_attrs(t.vm, 10, &a), 0);
	ck_assert(!a.private && !a.write_tracked);
	ck_assert_uint_eq(a.vtl_prot[0], PMP_PROT_RWX);
	ck_assert_uint_eq(a.vtl_prot[1], PMP_PROT_R);
	ck_assert_uint_eq(a.vtl_prot[2], 0);	/* past nr_vtls */
	ck_assert_int_eq(pmp_get_attrs(t.vm, 12, &a), 0);
	ck_assert_uint_eq(a.vtl_prot[0], PMP_PROT_W | PMP_PROT_X);
	ck_assert_int_eq(pmp_get_attrs(t.vm, 13, &a), 0);
	ck_assert(a.write_tracked && !a.private);

	/* remove from the middle of the chain, then the head, then the tail */
	ck_assert_int_eq(pmp_write_track(t.vm, 13, 1, false, NULL), 0);
	ck_assert_int_eq(pmp_get_attrs(t.vm, 11, &a), 0);
	ck_assert(a.private);
	ck_assert_int_eq(pmp_convert(t.vm, 11, 1, false, NULL), 0);
	ck_assert_int_eq(pmp_get_attrs(t.vm, 10, &a), 0);
	ck_assert_uint_eq(a.vtl_prot[1], PMP_PROT_R);
	ck_assert_int_eq(pmp_vtl_protect(t.vm, 1, 10, 1, PMP_PROT_RWX, NULL), 0);
	ck_assert_int_eq(pmp_get_attrs(t.vm, 12, &a), 0);
	ck_assert_uint_eq(a.vtl_prot[0], PMP_PROT_W | PMP_PROT_X);
	ck_assert_int_eq(pmp_vtl_protect(t.vm, 0, 0, 512, PMP_PROT_RWX, NULL), 0);
	pmp_vm_info(t.vm, &info);
	ck_assert_uint_eq(info.pool_used, 0);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tvm_free(&t);
}
END_TEST

/* Page @gfn's attributes are @in's if @inside, else the all-zero start's (RWX everywhere). */
static void expect_attrs(struct tvm *t, uint64_t gfn, bool inside, const struct pmp_page_attrs *in)
{
	static const struct pmp_page_attrs start = {
		.vtl_prot = { PMP_PROT_RWX, PMP_PROT_RWX, PMP_PROT_RWX } };
	const struct pmp_page_attrs *want = inside ? in : &start;
	struct pmp_page_attrs a;

	ck_assert_int_eq(pmp_get_attrs(t->vm, gfn, &a), 0);
	ck_assert_msg(!memcmp(&a, want, sizeof(a)),
		      "gfn %#llx: private %d tracked %d prot %u/%u/%u unknown %#x",
		      (unsigned long long)gfn, a.private, a.write_tracked, a.vtl_prot[0],
		      a.vtl_prot[1], a.vtl_prot[2], a.unknown);
}

/*
 * Every plane pmp_get_attrs() reads at once (private, write tracking, the
 * three VTLs' protections, chained in one chunk or uniform), over the
 * range edges: the pages at each edge of the range and beside it.
 */
START_TEST(all_planes_round_trip)
{
	const struct range_case *rc = &ranges[_i];
	const struct pmp_page_attrs in = {
		.private = true, .write_tracked = true,
		.vtl_prot = { PMP_PROT_R, PMP_PROT_W | PMP_PROT_X, PMP_PROT_X } };
	struct pmp_geometry geo = test_geometry(END_GFN);
	uint64_t end = rc->gfn + rc->npages;
	unsigned int v;
	struct tvm t;

	geo.nr_vtls = 3;
	tvm_init(&t, &geo);
	ck_assert_int_eq(pmp_convert(t.vm, rc->gfn, rc->npages, true, NULL), 0);
	ck_assert_int_eq(pmp_write_track(t.vm, rc->gfn, rc->npages, true, NULL), 0);
	for (v = 0; v < 3; v++)
		ck_assert_int_eq(pmp_vtl_protect(t.vm, v, rc->gfn, rc->npages, in.vtl_prot[v],
						 NULL), 0);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	if (rc->gfn)
		expect_attrs(&t, rc->gfn - 1, false, &in);
	expect_attrs(&t, rc->gfn, true, &in);
	expect_attrs(&t, end - 1, true, &in);
	if (end < END_GFN)
		expect_attrs(&t, end, false, &in);
	tvm_free(&t);
}
END_TEST

/* A tight pool: -ENOMEM for private before anything changes, and recovery after. */
START_TEST(pool_exhaustion)
{
	struct pmp_geometry geo = test_geometry(GFNS_PER_1G);
	struct pmp_page_attrs a;
	struct pmp_vm_info info;
	struct tvm t;

	geo.pool_blocks = 2;
	tvm_init(&t, &geo);
	ck_assert_int_eq(pmp_convert(t.vm, 0, 1, true, NULL), 0);
	ck_assert_int_eq(pmp_convert(t.vm, 1024, 1, true, NULL), 0);
	ck_assert_fails_clean(&t, -ENOMEM, pmp_convert(t.vm, 2048, 1, true, NULL));
	/* straddling: needs two blocks even though none is free */
	ck_assert_fails_clean(&t, -ENOMEM, pmp_convert(t.vm, 4095, 2, true, NULL));
	/* VTL planes never fail: no lossy share in a 2-block pool, so unknown */
	ck_assert_int_eq(pmp_vtl_protect(t.vm, 0, 3000, 1, 0, NULL), 0);
	ck_assert_int_eq(pmp_get_attrs(t.vm, 3001, &a), 0);
	ck_assert_uint_eq(a.unknown, PMP_ATTR_UNKNOWN_VTL(0));
	ck_assert_uint_eq(a.vtl_prot[0], 0);	/* unknown reads denied */
	ck_assert_uint_eq(a.vtl_prot[1], PMP_PROT_RWX);
	/* whole chunks and already-mixed chunks need none */
	ck_assert_int_eq(pmp_convert(t.vm, 4096, 512, true, NULL), 0);
	ck_assert_int_eq(pmp_convert(t.vm, 1, 1, true, NULL), 0);
	/* collapsing a chunk frees its block for the next update */
	ck_assert_int_eq(pmp_convert(t.vm, 1024, 1, false, NULL), 0);
	ck_assert_int_eq(pmp_convert(t.vm, 2048, 1, true, NULL), 0);
	pmp_vm_info(t.vm, &info);
	ck_assert_uint_eq(info.pool_used, 2);
	ck_assert_uint_eq(info.pool_high_water, 2);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	ck_assert_str_eq(pmp_strerror(-ENOMEM), "out of memory: tracking pool exhausted or pin limit reached");
	tvm_free(&t);
}
END_TEST

/* Attribute calls reject bad input and change nothing. */
START_TEST(attr_errors)
{
	struct pmp_geometry geo = test_geometry(GFNS_PER_1G);
	struct tvm t;

	tvm_init(&t, &geo);
	ck_assert_fails_clean(&t, -EINVAL, pmp_convert(t.vm, 0, 0, true, NULL));
	ck_assert_fails_clean(&t, -EINVAL, pmp_convert(t.vm, ~0ULL, 2, true, NULL));
	ck_assert_fails_clean(&t, -ERANGE, pmp_convert(t.vm, GFNS_PER_1G - 1, 2, true, NULL));
	ck_assert_fails_clean(&t, -ERANGE, pmp_write_track(t.vm, GFNS_PER_1G, 1, true, NULL));
	ck_assert_fails_clean(&t, -EINVAL, pmp_vtl_protect(t.vm, 2, 0, 1, 0, NULL));
	ck_assert_fails_clean(&t, -EINVAL, pmp_vtl_protect(t.vm, 0, 0, 1, 8, NULL));
	ck_assert_fails_clean(&t, -EINVAL, pmp_get_attrs(t.vm, 0, NULL));
	tvm_free(&t);
}
END_TEST

Suite *attr_suite(void)
{
	Suite *s = suite_create("attr");
	TCase *tc = tcase_create("ranges");

	tcase_add_loop_test(tc, range_round_trip, 0, (int)(sizeof(ranges) / sizeof(ranges[0])));
	tcase_add_loop_test(tc, all_planes_round_trip, 0,
			    (int)(sizeof(ranges) / sizeof(ranges[0])));
	tcase_add_test(tc, chunk_with_many_planes);
	tcase_add_test(tc, pool_exhaustion);
	tcase_add_test(tc, attr_errors);
	suite_add_tcase(s, tc);
	return s;
}
