// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The policy object: presets and their listing, validation, the
 * "preset,key=value,..." parser and its error reports, the canonical
 * formatter (round trips, truncation), switching the policy of a live VM,
 * and pmp_strerror() / pmp_version().
 */
#include <stdio.h>
#include "helpers.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define POL(level, nx) { .max_level = (level), .nx_huge_pages = (nx) }

/* @got and @want are lvalues of struct pmp_policy; compared byte for byte. */
#define ck_assert_policy_eq(got, want) \
	ck_assert_msg(memcmp(&(got), &(want), sizeof(struct pmp_policy)) == 0, \
		      "policy {max_level=%u, nx_huge_pages=%u}, expected {%u, %u}", \
		      (got).max_level, (got).nx_huge_pages, (want).max_level, \
		      (want).nx_huge_pages)

/* The presets and their documented contents. */
static const struct preset_case {
	const char *name;
	struct pmp_policy want;
} preset_cases[] = {
	{ "upstream",    { .max_level = PMP_LEVEL_1G, .nx_huge_pages = 1 } },
	{ "tdx-series",  { .max_level = PMP_LEVEL_2M, .nx_huge_pages = 0 } },
	{ "recommended", { .max_level = PMP_LEVEL_1G, .nx_huge_pages = 1 } },
};

/* Every valid knob combination. */
static const struct pmp_policy valid_policies[] = {
	{ PMP_LEVEL_4K, 0 }, { PMP_LEVEL_4K, 1 },
	{ PMP_LEVEL_2M, 0 }, { PMP_LEVEL_2M, 1 },
	{ PMP_LEVEL_1G, 0 }, { PMP_LEVEL_1G, 1 },
};

/* Out-of-range knobs: each must be refused by every entry point. */
static const struct pmp_policy invalid_policies[] = {
	{ 0, 1 },
	{ 4, 1 },
	{ PMP_LEVEL_1G, 2 },
	{ PMP_LEVEL_2M, 0xff },
	{ 0xff, 0 },
	{ 0, 2 },
};

/* A policy that differs from @p in every knob. */
static struct pmp_policy opposite(const struct pmp_policy *p)
{
	struct pmp_policy o = {
		.max_level = p->max_level == PMP_LEVEL_4K ? PMP_LEVEL_1G : PMP_LEVEL_4K,
		.nx_huge_pages = !p->nx_huge_pages,
	};

	return o;
}

/* ---- Presets ---- */

START_TEST(test_preset_loads)
{
	const struct preset_case *c = &preset_cases[_i];
	struct pmp_policy p;

	memset(&p, 0xa5, sizeof(p));
	ck_assert_int_eq(pmp_policy_preset(&p, c->name), 0);
	ck_assert_policy_eq(p, c->want);
	ck_assert_int_eq(pmp_policy_validate(&p), 0);
}
END_TEST

START_TEST(test_preset_listing)
{
	bool seen[ARRAY_SIZE(preset_cases)] = { false };
	const char *name;
	unsigned int i, j;

	for (i = 0; (name = pmp_policy_preset_name(i)); i++) {
		ck_assert_uint_lt(i, ARRAY_SIZE(preset_cases));
		for (j = 0; j < ARRAY_SIZE(preset_cases); j++)
			if (!strcmp(name, preset_cases[j].name))
				break;
		ck_assert_msg(j < ARRAY_SIZE(preset_cases), "unexpected preset \"%s\"", name);
		ck_assert_msg(!seen[j], "preset \"%s\" listed twice", name);
		seen[j] = true;
	}
	ck_assert_uint_eq(i, ARRAY_SIZE(preset_cases));
	ck_assert_ptr_null(pmp_policy_preset_name(i + 1));
	ck_assert_ptr_null(pmp_policy_preset_name(~0U));
}
END_TEST

static const char *const unknown_presets[] = {
	"", "nosuchpreset", "Upstream", "UPSTREAM", "upstream ", " upstream", "upstrea",
	"upstreamx", "tdx", "tdx_series", "recommended,", "upstream,tdx-series",
	"max_level=2m",
};

START_TEST(test_preset_unknown)
{
	struct pmp_policy p = POL(PMP_LEVEL_4K, 0), before = p;

	ck_assert_int_eq(pmp_policy_preset(&p, unknown_presets[_i]), -EINVAL);
	ck_assert_msg(memcmp(&p, &before, sizeof(p)) == 0,
		      "policy changed by unknown preset \"%s\"", unknown_presets[_i]);
}
END_TEST

START_TEST(test_preset_null)
{
	struct pmp_policy p = POL(PMP_LEVEL_4K, 0), before = p;

	ck_assert_int_eq(pmp_policy_preset(NULL, "upstream"), -EINVAL);
	ck_assert_int_eq(pmp_policy_preset(&p, NULL), -EINVAL);
	ck_assert_int_eq(pmp_policy_preset(NULL, NULL), -EINVAL);
	ck_assert_policy_eq(p, before);
}
END_TEST

/* ---- Validation ---- */

START_TEST(test_validate_valid)
{
	ck_assert_int_eq(pmp_policy_validate(&valid_policies[_i]), 0);
}
END_TEST

START_TEST(test_validate_null)
{
	ck_assert_int_eq(pmp_policy_validate(NULL), -EINVAL);
}
END_TEST

/* ---- Parsing: success ---- */

static const struct parse_ok_case {
	struct pmp_policy start;
	const char *str;
	struct pmp_policy want;
} parse_ok_cases[] = {
	/* Empty: nothing changes, whatever the start. */
	{ POL(PMP_LEVEL_4K, 0), "", POL(PMP_LEVEL_4K, 0) },
	{ POL(PMP_LEVEL_1G, 1), "", POL(PMP_LEVEL_1G, 1) },
	/* One key changes only its own knob. */
	{ POL(PMP_LEVEL_1G, 1), "max_level=2m", POL(PMP_LEVEL_2M, 1) },
	{ POL(PMP_LEVEL_1G, 0), "max_level=4k", POL(PMP_LEVEL_4K, 0) },
	{ POL(PMP_LEVEL_4K, 1), "max_level=1g", POL(PMP_LEVEL_1G, 1) },
	{ POL(PMP_LEVEL_1G, 1), "nx_huge_pages=off", POL(PMP_LEVEL_1G, 0) },
	{ POL(PMP_LEVEL_4K, 0), "nx_huge_pages=on", POL(PMP_LEVEL_4K, 1) },
	/* Setting a knob to its current value is fine. */
	{ POL(PMP_LEVEL_2M, 0), "max_level=2m", POL(PMP_LEVEL_2M, 0) },
	/* A preset replaces every knob. */
	{ POL(PMP_LEVEL_4K, 1), "tdx-series", POL(PMP_LEVEL_2M, 0) },
	{ POL(PMP_LEVEL_4K, 0), "upstream", POL(PMP_LEVEL_1G, 1) },
	{ POL(PMP_LEVEL_4K, 0), "recommended", POL(PMP_LEVEL_1G, 1) },
	/* Later items override earlier ones. */
	{ POL(PMP_LEVEL_2M, 0), "upstream,max_level=4k", POL(PMP_LEVEL_4K, 1) },
	{ POL(PMP_LEVEL_4K, 1), "max_level=4k,max_level=1g", POL(PMP_LEVEL_1G, 1) },
	{ POL(PMP_LEVEL_4K, 1), "max_level=1g,max_level=4k", POL(PMP_LEVEL_4K, 1) },
	{ POL(PMP_LEVEL_1G, 1), "nx_huge_pages=off,nx_huge_pages=on", POL(PMP_LEVEL_1G, 1) },
	/* Presets combined with keys, in both orders. */
	{ POL(PMP_LEVEL_4K, 0), "tdx-series,nx_huge_pages=on", POL(PMP_LEVEL_2M, 1) },
	{ POL(PMP_LEVEL_4K, 1), "upstream,nx_huge_pages=off,max_level=2m", POL(PMP_LEVEL_2M, 0) },
	{ POL(PMP_LEVEL_4K, 1), "max_level=4k,tdx-series", POL(PMP_LEVEL_2M, 0) },
	{ POL(PMP_LEVEL_4K, 0), "nx_huge_pages=off,upstream", POL(PMP_LEVEL_1G, 1) },
	{ POL(PMP_LEVEL_4K, 0), "tdx-series,upstream", POL(PMP_LEVEL_1G, 1) },
	{ POL(PMP_LEVEL_4K, 1), "upstream,tdx-series", POL(PMP_LEVEL_2M, 0) },
	{ POL(PMP_LEVEL_4K, 0), "recommended,max_level=2m,nx_huge_pages=off",
	  POL(PMP_LEVEL_2M, 0) },
	/* The canonical form. */
	{ POL(PMP_LEVEL_1G, 1), "max_level=4k,nx_huge_pages=off", POL(PMP_LEVEL_4K, 0) },
};

START_TEST(test_parse_ok)
{
	const struct parse_ok_case *c = &parse_ok_cases[_i];
	struct pmp_parse_error err = { .column = 0xdead, .length = 0xbeef, .message = NULL };
	struct pmp_policy p = c->start;

	ck_assert_msg(pmp_policy_parse(&p, c->str, &err) == 0, "\"%s\" refused: %s at %u",
		      c->str, err.message ? err.message : "(null)", err.column);
	ck_assert_policy_eq(p, c->want);
	ck_assert_int_eq(pmp_policy_validate(&p), 0);
	/* The same string with no error report parses the same way. */
	p = c->start;
	ck_assert_int_eq(pmp_policy_parse(&p, c->str, NULL), 0);
	ck_assert_policy_eq(p, c->want);
}
END_TEST

/* ---- Parsing: errors ---- */

static const struct parse_err_case {
	const char *str;
	uint32_t column;
	uint32_t length;
	const char *msg;	/* expected substring of err.message */
} parse_err_cases[] = {
	{ "bogus=1",				1,  5,  "unknown key" },
	{ "max_level=3m",			11, 2,  "max_level" },
	{ "max_level=",				11, 0,  "max_level" },
	{ "nosuchpreset",			1,  12, "unknown preset" },
	{ ",max_level=2m",			1,  0,  "empty item" },
	{ ",",					1,  0,  "empty item" },
	{ "max_level=2m,",			14, 0,  "empty item" },
	{ "max_level=2m,,nx_huge_pages=on",	14, 0,  "empty item" },
	{ "nx_huge_pages=maybe",		15, 5,  "nx_huge_pages" },
	{ "nx_huge_pages=ON",			15, 2,  "nx_huge_pages" },
	{ "MAX_LEVEL=2m",			1,  9,  "unknown key" },
	{ "max_level =2m",			1,  10, "unknown key" },
	{ "max_level= 2m",			11, 3,  "max_level" },
	{ "max_level=2M",			11, 2,  "max_level" },
	{ "=2m",				1,  0,  "unknown key" },
	{ "Upstream",				1,  8,  "unknown preset" },
	{ "upstream ",				1,  9,  "unknown preset" },
	/* An error after valid items: the earlier items are not applied. */
	{ "max_level=4k,bogus=1",		14, 5,  "unknown key" },
	{ "tdx-series,max_level=5g",		22, 2,  "max_level" },
	{ "nx_huge_pages=on,max_level=2m,x",	31, 1,  "unknown preset" },
};

/* Two starting points, so a partly applied string shows whatever it sets. */
static const struct pmp_policy parse_err_starts[] = {
	{ PMP_LEVEL_4K, 0 },
	{ PMP_LEVEL_1G, 1 },
};

START_TEST(test_parse_error)
{
	const struct parse_err_case *c = &parse_err_cases[_i];
	unsigned int s;

	for (s = 0; s < ARRAY_SIZE(parse_err_starts); s++) {
		struct pmp_parse_error err = { .column = 0xdead, .length = 0xbeef,
					       .message = NULL };
		struct pmp_policy p = parse_err_starts[s];

		ck_assert_int_eq(pmp_policy_parse(&p, c->str, &err), -EINVAL);
		ck_assert_msg(memcmp(&p, &parse_err_starts[s], sizeof(p)) == 0,
			      "\"%s\" changed the policy", c->str);
		ck_assert_ptr_nonnull(err.message);
		ck_assert_msg(strstr(err.message, c->msg), "\"%s\": message \"%s\" lacks \"%s\"",
			      c->str, err.message, c->msg);
		ck_assert_uint_eq(err.column, c->column);
		ck_assert_uint_eq(err.length, c->length);
		/* The token lies within the string. */
		ck_assert_uint_le(err.column - 1 + err.length, strlen(c->str));
	}
}
END_TEST

START_TEST(test_parse_error_null_err)
{
	const struct parse_err_case *c = &parse_err_cases[_i];
	struct pmp_policy p = POL(PMP_LEVEL_4K, 0), before = p;

	ck_assert_int_eq(pmp_policy_parse(&p, c->str, NULL), -EINVAL);
	ck_assert_policy_eq(p, before);
}
END_TEST

START_TEST(test_parse_null_args)
{
	struct pmp_parse_error err = { 0 };
	struct pmp_policy p = POL(PMP_LEVEL_4K, 0), before = p;

	ck_assert_int_eq(pmp_policy_parse(NULL, "upstream", &err), -EINVAL);
	ck_assert_int_eq(pmp_policy_parse(&p, NULL, &err), -EINVAL);
	ck_assert_int_eq(pmp_policy_parse(&p, NULL, NULL), -EINVAL);
	ck_assert_policy_eq(p, before);
}
END_TEST

/* ---- Formatting ---- */

START_TEST(test_format_preset_round_trip)
{
	const struct preset_case *c = &preset_cases[_i];
	struct pmp_policy p, back;
	struct pmp_parse_error err = { 0 };
	static char buf[128];
	unsigned int j;
	int len;

	ck_assert_int_eq(pmp_policy_preset(&p, c->name), 0);
	len = pmp_policy_format(&p, buf, sizeof(buf));
	ck_assert_int_gt(len, 0);
	ck_assert_uint_eq((size_t)len, strlen(buf));

	/* Start from another preset that differs in every knob. */
	for (j = 0; j < ARRAY_SIZE(preset_cases); j++) {
		const struct pmp_policy *o = &preset_cases[j].want;

		if (o->max_level != p.max_level && o->nx_huge_pages != p.nx_huge_pages)
			break;
	}
	ck_assert_uint_lt(j, ARRAY_SIZE(preset_cases));
	ck_assert_int_eq(pmp_policy_preset(&back, preset_cases[j].name), 0);
	ck_assert_msg(pmp_policy_parse(&back, buf, &err) == 0, "\"%s\" does not parse", buf);
	ck_assert_policy_eq(back, p);
}
END_TEST

START_TEST(test_format_round_trip)
{
	const struct pmp_policy *p = &valid_policies[_i];
	struct pmp_policy back = opposite(p);
	static char buf[64], again[64];
	int len;

	len = pmp_policy_format(p, buf, sizeof(buf));
	ck_assert_int_gt(len, 0);
	ck_assert_uint_eq((size_t)len, strlen(buf));
	ck_assert_int_eq(pmp_policy_parse(&back, buf, NULL), 0);
	ck_assert_policy_eq(back, *p);
	/* Canonical: formatting the parsed policy gives the same string. */
	ck_assert_int_eq(pmp_policy_format(&back, again, sizeof(again)), len);
	ck_assert_str_eq(again, buf);
}
END_TEST

static const struct format_case {
	struct pmp_policy policy;
	const char *want;
} format_cases[] = {
	{ POL(PMP_LEVEL_1G, 1), "max_level=1g,nx_huge_pages=on" },
	{ POL(PMP_LEVEL_2M, 0), "max_level=2m,nx_huge_pages=off" },
	{ POL(PMP_LEVEL_4K, 1), "max_level=4k,nx_huge_pages=on" },
	{ POL(PMP_LEVEL_4K, 0), "max_level=4k,nx_huge_pages=off" },
};

START_TEST(test_format_exact)
{
	const struct format_case *c = &format_cases[_i];
	static char buf[64];

	ck_assert_int_eq(pmp_policy_format(&c->policy, buf, sizeof(buf)), (int)strlen(c->want));
	ck_assert_str_eq(buf, c->want);
}
END_TEST

START_TEST(test_format_upstream)
{
	struct pmp_policy p;
	static char buf[64];

	ck_assert_int_eq(pmp_policy_preset(&p, "upstream"), 0);
	ck_assert_int_eq(pmp_policy_format(&p, buf, sizeof(buf)),
			 (int)strlen("max_level=1g,nx_huge_pages=on"));
	ck_assert_str_eq(buf, "max_level=1g,nx_huge_pages=on");
}
END_TEST

START_TEST(test_format_too_small)
{
	struct pmp_policy p;
	static char buf[16];

	ck_assert_int_eq(pmp_policy_preset(&p, "upstream"), 0);
	memset(buf, 'X', sizeof(buf));
	ck_assert_int_eq(pmp_policy_format(&p, buf, 5), -ENOSPC);
	ck_assert_int_eq(buf[4], '\0');
	ck_assert_str_eq(buf, "max_");
	/* Nothing written past @size. */
	ck_assert_int_eq(buf[5], 'X');

	memset(buf, 'X', sizeof(buf));
	ck_assert_int_eq(pmp_policy_format(&p, buf, 1), -ENOSPC);
	ck_assert_int_eq(buf[0], '\0');
	ck_assert_int_eq(buf[1], 'X');
}
END_TEST

START_TEST(test_format_size_zero)
{
	struct pmp_policy p;
	char buf[4] = { 'X', 'X', 'X', 'X' };

	ck_assert_int_eq(pmp_policy_preset(&p, "upstream"), 0);
	ck_assert_int_eq(pmp_policy_format(&p, NULL, 0), -ENOSPC);
	/* Size 0 with a real buffer: nothing may be written. */
	ck_assert_int_eq(pmp_policy_format(&p, buf, 0), -ENOSPC);
	ck_assert_int_eq(buf[0], 'X');
}
END_TEST

START_TEST(test_format_exact_fit)
{
	const struct pmp_policy *p = &valid_policies[_i];
	static char full[64], buf[64];
	size_t len;

	ck_assert_int_gt(pmp_policy_format(p, full, sizeof(full)), 0);
	len = strlen(full);

	memset(buf, 'X', sizeof(buf));
	ck_assert_int_eq(pmp_policy_format(p, buf, len + 1), (int)len);
	ck_assert_str_eq(buf, full);

	memset(buf, 'X', sizeof(buf));
	ck_assert_int_eq(pmp_policy_format(p, buf, len), -ENOSPC);
	ck_assert_int_eq(buf[len - 1], '\0');
	ck_assert_uint_eq(strlen(buf), len - 1);
	ck_assert_int_eq(strncmp(buf, full, len - 1), 0);
	ck_assert_int_eq(buf[len], 'X');
}
END_TEST

START_TEST(test_format_bad_args)
{
	struct pmp_policy p;
	static char buf[64];

	ck_assert_int_eq(pmp_policy_preset(&p, "upstream"), 0);
	ck_assert_int_eq(pmp_policy_format(NULL, buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(pmp_policy_format(&p, NULL, sizeof(buf)), -EINVAL);
}
END_TEST

START_TEST(test_invalid_policy)
{
	const struct pmp_policy *p = &invalid_policies[_i];
	static char buf[64];

	ck_assert_int_eq(pmp_policy_validate(p), -EINVAL);
	ck_assert_int_eq(pmp_policy_format(p, buf, sizeof(buf)), -EINVAL);
	/* Invalid beats too small. */
	ck_assert_int_eq(pmp_policy_format(p, buf, 1), -EINVAL);
	ck_assert_int_eq(pmp_policy_format(p, NULL, 0), -EINVAL);
}
END_TEST

/* ---- A live VM ---- */

START_TEST(test_vm_initial_policy)
{
	struct pmp_geometry geo = test_geometry(1 << 20);
	struct pmp_policy p, want;
	struct tvm t;

	tvm_init(&t, &geo);
	/* pmp_vm_init() with a NULL policy picks "recommended". */
	ck_assert_int_eq(pmp_policy_preset(&want, "recommended"), 0);
	pmp_vm_policy(t.vm, &p);
	ck_assert_policy_eq(p, want);
	tvm_free(&t);
}
END_TEST

START_TEST(test_vm_set_policy)
{
	const struct pmp_policy *want = &valid_policies[_i];
	struct pmp_geometry geo = test_geometry(1 << 20);
	struct pmp_policy p, first = opposite(want);
	struct tvm t;

	tvm_init(&t, &geo);
	ck_assert_int_eq(pmp_vm_set_policy(t.vm, &first), 0);
	pmp_vm_policy(t.vm, &p);
	ck_assert_policy_eq(p, first);

	ck_assert_int_eq(pmp_vm_set_policy(t.vm, want), 0);
	pmp_vm_policy(t.vm, &p);
	ck_assert_policy_eq(p, *want);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tvm_free(&t);
}
END_TEST

START_TEST(test_vm_set_policy_invalid)
{
	const struct pmp_policy *bad = &invalid_policies[_i];
	struct pmp_geometry geo = test_geometry(1 << 20);
	struct pmp_policy p, before;
	struct tvm t;

	tvm_init(&t, &geo);
	ck_assert_int_eq(pmp_policy_preset(&before, "tdx-series"), 0);
	ck_assert_int_eq(pmp_vm_set_policy(t.vm, &before), 0);

	ck_assert_fails_clean(&t, -EINVAL, pmp_vm_set_policy(t.vm, bad));
	pmp_vm_policy(t.vm, &p);
	ck_assert_policy_eq(p, before);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tvm_free(&t);
}
END_TEST

START_TEST(test_vm_set_policy_null)
{
	struct pmp_geometry geo = test_geometry(1 << 20);
	struct tvm t;

	tvm_init(&t, &geo);
	ck_assert_fails_clean(&t, -EINVAL, pmp_vm_set_policy(t.vm, NULL));
	tvm_free(&t);
}
END_TEST

/* ---- pmp_strerror() and pmp_version() ---- */

static const int known_errors[] = {
	0, -EINVAL, -ENOMEM, -ENOSPC, -ENOENT, -ERANGE, -EEXIST, -EBUSY, -EAGAIN, -EINTR,
	-EUCLEAN,
};

START_TEST(test_strerror_known)
{
	const char *s = pmp_strerror(known_errors[_i]);
	unsigned int j;

	ck_assert_ptr_nonnull(s);
	ck_assert_uint_gt(strlen(s), 0);
	ck_assert_str_ne(s, "unknown error");
	/* A positive code reads the same as its negative. */
	ck_assert_str_eq(pmp_strerror(-known_errors[_i]), s);
	/* Distinct from every other known code. */
	for (j = 0; j < ARRAY_SIZE(known_errors); j++)
		if (j != (unsigned int)_i)
			ck_assert_msg(strcmp(s, pmp_strerror(known_errors[j])) != 0,
				      "%d and %d share \"%s\"", known_errors[_i],
				      known_errors[j], s);
}
END_TEST

START_TEST(test_strerror_unknown)
{
	ck_assert_str_eq(pmp_strerror(-9999), "unknown error");
	ck_assert_str_eq(pmp_strerror(9999), "unknown error");
	ck_assert_str_eq(pmp_strerror(-EPERM), "unknown error");
}
END_TEST

START_TEST(test_version)
{
	char want[16];

	ck_assert_str_eq(pmp_version(), "0.1");
	snprintf(want, sizeof(want), "%d.%d", PMP_VERSION_MAJOR, PMP_VERSION_MINOR);
	ck_assert_str_eq(pmp_version(), want);
}
END_TEST

Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc;

	tc = tcase_create("preset");
	tcase_add_loop_test(tc, test_preset_loads, 0, ARRAY_SIZE(preset_cases));
	tcase_add_test(tc, test_preset_listing);
	tcase_add_loop_test(tc, test_preset_unknown, 0, ARRAY_SIZE(unknown_presets));
	tcase_add_test(tc, test_preset_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("validate");
	tcase_add_loop_test(tc, test_validate_valid, 0, ARRAY_SIZE(valid_policies));
	tcase_add_test(tc, test_validate_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse_ok, 0, ARRAY_SIZE(parse_ok_cases));
	tcase_add_loop_test(tc, test_parse_error, 0, ARRAY_SIZE(parse_err_cases));
	tcase_add_loop_test(tc, test_parse_error_null_err, 0, ARRAY_SIZE(parse_err_cases));
	tcase_add_test(tc, test_parse_null_args);
	suite_add_tcase(s, tc);

	tc = tcase_create("format");
	tcase_add_loop_test(tc, test_format_preset_round_trip, 0, ARRAY_SIZE(preset_cases));
	tcase_add_loop_test(tc, test_format_round_trip, 0, ARRAY_SIZE(valid_policies));
	tcase_add_loop_test(tc, test_format_exact, 0, ARRAY_SIZE(format_cases));
	tcase_add_test(tc, test_format_upstream);
	tcase_add_test(tc, test_format_too_small);
	tcase_add_test(tc, test_format_size_zero);
	tcase_add_loop_test(tc, test_format_exact_fit, 0, ARRAY_SIZE(valid_policies));
	tcase_add_test(tc, test_format_bad_args);
	tcase_add_loop_test(tc, test_invalid_policy, 0, ARRAY_SIZE(invalid_policies));
	suite_add_tcase(s, tc);

	tc = tcase_create("vm");
	tcase_add_test(tc, test_vm_initial_policy);
	tcase_add_loop_test(tc, test_vm_set_policy, 0, ARRAY_SIZE(valid_policies));
	tcase_add_loop_test(tc, test_vm_set_policy_invalid, 0, ARRAY_SIZE(invalid_policies));
	tcase_add_test(tc, test_vm_set_policy_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("strerror");
	tcase_add_loop_test(tc, test_strerror_known, 0, ARRAY_SIZE(known_errors));
	tcase_add_test(tc, test_strerror_unknown);
	tcase_add_test(tc, test_version);
	suite_add_tcase(s, tc);

	return s;
}
