// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * pmp-replay --tune (tools/replay/tune.c): the Pareto front on a set of
 * points made by hand, and the whole search on a small workload: the same
 * bytes twice, a bounded grid, the default marked.
 */
#include <stdio.h>
#include <string.h>
#include "helpers.h"
#include "../../tools/replay/tune.h"

Suite *tune_suite(void);

static struct tune_point pt(uint64_t mean, uint64_t wlock, uint64_t pins, uint64_t inval)
{
	struct tune_point t = { .mean_bp = mean, .wlock = wlock, .pins = pins, .inval = inval };

	return t;
}

/* The front by hand: dominated points go, twins fold into the first. */
START_TEST(tune_front_small)
{
	struct tune_point pts[] = {
		pt(5000, 100, 0, 0),	/* 0: front */
		pt(5000, 100, 0, 0),	/* 1: twin of 0 */
		pt(4000, 50, 0, 0),	/* 2: front (fewer write-locked events) */
		pt(4000, 120, 0, 0),	/* 3: dominated by 0 and 2 */
		pt(6000, 500, 0, 9),	/* 4: front (most coverage) */
		pt(6000, 500, 1, 9),	/* 5: dominated by 4 (more pins) */
		pt(3000, 10, 0, 0),	/* 6: front */
		pt(3000, 10, 0, 1),	/* 7: dominated by 6 */
	};
	static const bool want[] = { true, false, true, false, true, false, true, false };
	unsigned int i;

	tune_front(pts, 8);
	for (i = 0; i < 8; i++)
		ck_assert_msg(pts[i].front == want[i], "point %u", i);
	ck_assert_uint_eq(pts[0].same, 1);
	ck_assert_uint_eq(pts[2].same, 0);
	ck_assert(tune_dominates(&pts[0], &pts[3]));
	ck_assert(!tune_dominates(&pts[0], &pts[1]));
	ck_assert(!tune_dominates(&pts[0], &pts[2]) && !tune_dominates(&pts[2], &pts[0]));
}
END_TEST

static char *tune_text(const char *spec, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(tune_main(spec, NULL, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

/* Same output twice; a bounded grid; the default on or beside the front. */
START_TEST(tune_deterministic)
{
	static const char spec[] = "punch-storm:mem_gib=1,storm_mib=16,rounds=1";
	size_t la, lb;
	char *a = tune_text(spec, &la), *b = tune_text(spec, &lb);
	unsigned int n = 0, batches = 0;
	const char *line = strchr(a, '\n');

	ck_assert_uint_eq(la, lb);
	ck_assert_int_eq(memcmp(a, b, la), 0);
	ck_assert_ptr_nonnull(line);
	ck_assert_int_eq(sscanf(line + 1, "%u policies on top of recommended, in %u replays", &n,
				&batches), 2);
	ck_assert_uint_gt(n, 1);
	ck_assert_uint_eq(n, 336);	/* the whole grid, the default first, once each */
	ck_assert_uint_eq(batches, (n + 15) / 16);
	ck_assert_ptr_nonnull(strstr(a, "\n* "));	/* the default is printed, marked */
	ck_assert_ptr_nonnull(strstr(a, "verdict: "));
	free(a);
	free(b);
}
END_TEST

Suite *tune_suite(void)
{
	Suite *s = suite_create("tune");
	TCase *tc = tcase_create("tune");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, tune_front_small);
	tcase_add_test(tc, tune_deterministic);
	suite_add_tcase(s, tc);
	return s;
}
