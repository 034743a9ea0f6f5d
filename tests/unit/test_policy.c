// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The policy object: presets and their listing, validation, the
 * "preset,key=value,..." parser and its error reports, the canonical
 * formatter (round trips, truncation), switching the policy of a live VM,
 * and pmp_strerror() / pmp_version().
 *
 * Test policies are built from a preset (pmp_policy_preset()) plus a list
 * of knob changes, so a new knob with a preset default needs no edit here
 * beyond its own cases.
 */
#include <stddef.h>
#include <stdio.h>
#include "helpers.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Building and comparing policies ---- */

/* The knobs, in the order pmp_policy_format() prints them; then pad and pad2. */
enum test_knob {
	TK_END,			/* ends a tweak list */
	TK_MAX_LEVEL,
	TK_NX_HUGE_PAGES,
	TK_PIN,
	TK_PIN_LIMIT,
	TK_RECYCLE,
	TK_MERGE,
	TK_SCAN_RATIO,
	TK_SCAN_BUDGET,
	TK_INHIBIT,
	TK_SPLIT,
	TK_INVAL,
	TK_ON_CONFLICT,		/* key on_conflict, field conflict_flush */
	TK_FLUSH_BATCH,
	TK_YIELD_THRESHOLD,
	TK_PAD,			/* not a key; must be 0 */
	TK_PAD2_0,		/* pad2[0]: not a key; must be 0 */
	TK_PAD2_1,		/* pad2[1]: not a key; must be 0 */
};

#define NR_KEYS 14		/* TK_MAX_LEVEL .. TK_YIELD_THRESHOLD */
#define TK_LAST_KEY TK_YIELD_THRESHOLD
_Static_assert(TK_LAST_KEY - TK_MAX_LEVEL + 1 == NR_KEYS, "every key in the enum");

struct tweak {
	uint8_t knob;		/* enum test_knob */
	uint32_t value;
};

/* A policy: the preset @preset, then each tweak in turn. */
struct spec {
	const char *preset;
	struct tweak tweaks[NR_KEYS];
};

#define PRESET(name)		{ .preset = (name) }
#define SPEC(name, ...)		{ .preset = (name), .tweaks = { __VA_ARGS__ } }
#define T(k, v)			{ .knob = TK_##k, .value = (v) }

static void set_knob(struct pmp_policy *p, unsigned int knob, uint32_t v)
{
	switch (knob) {
	case TK_MAX_LEVEL:	p->max_level = (uint8_t)v; break;
	case TK_NX_HUGE_PAGES:	p->nx_huge_pages = (uint8_t)v; break;
	case TK_PIN:		p->pin = (uint8_t)v; break;
	case TK_PIN_LIMIT:	p->pin_limit = v; break;
	case TK_RECYCLE:	p->recycle = (uint8_t)v; break;
	case TK_MERGE:		p->merge = (uint8_t)v; break;
	case TK_SCAN_RATIO:	p->scan_ratio = v; break;
	case TK_SCAN_BUDGET:	p->scan_budget = v; break;
	case TK_INHIBIT:	p->inhibit = (uint8_t)v; break;
	case TK_SPLIT:		p->split = (uint8_t)v; break;
	case TK_INVAL:		p->inval = (uint8_t)v; break;
	case TK_ON_CONFLICT:	p->conflict_flush = (uint8_t)v; break;
	case TK_FLUSH_BATCH:	p->flush_batch = v; break;
	case TK_YIELD_THRESHOLD: p->yield_threshold = v; break;
	case TK_PAD:		p->pad = (uint8_t)v; break;
	case TK_PAD2_0:		p->pad2[0] = (uint8_t)v; break;
	case TK_PAD2_1:		p->pad2[1] = (uint8_t)v; break;
	default:		ck_abort_msg("test bug: knob %u", knob);
	}
}

static uint32_t get_knob(const struct pmp_policy *p, unsigned int knob)
{
	switch (knob) {
	case TK_MAX_LEVEL:	return p->max_level;
	case TK_NX_HUGE_PAGES:	return p->nx_huge_pages;
	case TK_PIN:		return p->pin;
	case TK_PIN_LIMIT:	return p->pin_limit;
	case TK_RECYCLE:	return p->recycle;
	case TK_MERGE:		return p->merge;
	case TK_SCAN_RATIO:	return p->scan_ratio;
	case TK_SCAN_BUDGET:	return p->scan_budget;
	case TK_INHIBIT:	return p->inhibit;
	case TK_SPLIT:		return p->split;
	case TK_INVAL:		return p->inval;
	case TK_ON_CONFLICT:	return p->conflict_flush;
	case TK_FLUSH_BATCH:	return p->flush_batch;
	case TK_YIELD_THRESHOLD: return p->yield_threshold;
	case TK_PAD:		return p->pad;
	case TK_PAD2_0:		return p->pad2[0];
	case TK_PAD2_1:		return p->pad2[1];
	default:		ck_abort_msg("test bug: knob %u", knob);
	}
	return 0;
}

static void build(const struct spec *s, struct pmp_policy *out)
{
	unsigned int i;

	memset(out, 0x5a, sizeof(*out));
	ck_assert_msg(pmp_policy_preset(out, s->preset) == 0, "preset \"%s\"", s->preset);
	for (i = 0; i < ARRAY_SIZE(s->tweaks) && s->tweaks[i].knob != TK_END; i++)
		set_knob(out, s->tweaks[i].knob, s->tweaks[i].value);
}

/* Every field, for failure messages. */
#define POLICY_DESC 320
static const char *describe(const struct pmp_policy *p, char *buf)
{
	snprintf(buf, POLICY_DESC,
		 "{max_level=%u nx=%u pin=%u pin_limit=%u recycle=%u merge=%u scan_ratio=%u "
		 "scan_budget=%u inhibit=%u split=%u inval=%u conflict_flush=%u flush_batch=%u "
		 "yield_threshold=%u pad=%u pad2=%u,%u}",
		 p->max_level, p->nx_huge_pages, p->pin, p->pin_limit, p->recycle, p->merge,
		 p->scan_ratio, p->scan_budget, p->inhibit, p->split, p->inval,
		 p->conflict_flush, p->flush_batch, p->yield_threshold, p->pad, p->pad2[0],
		 p->pad2[1]);
	return buf;
}

/* @got and @want are lvalues of struct pmp_policy; compared byte for byte
 * (test_policy_layout checks there are no padding bytes). */
#define ck_assert_policy_eq(got, want) do { \
	char got_desc_[POLICY_DESC], want_desc_[POLICY_DESC]; \
	ck_assert_msg(memcmp(&(got), &(want), sizeof(struct pmp_policy)) == 0, \
		      "policy %s, expected %s", describe(&(got), got_desc_), \
		      describe(&(want), want_desc_)); \
} while (0)

/* How many of the keyed knobs of @a and @b are equal. */
static unsigned int equal_knobs(const struct pmp_policy *a, const struct pmp_policy *b)
{
	unsigned int k, n = 0;

	for (k = TK_MAX_LEVEL; k <= TK_LAST_KEY; k++)
		n += get_knob(a, k) == get_knob(b, k);
	return n;
}

/* A valid policy that differs from the valid @p in every knob. */
static struct pmp_policy opposite(const struct pmp_policy *p)
{
	struct pmp_policy o;

	ck_assert_int_eq(pmp_policy_preset(&o, "upstream"), 0);
	o.max_level = p->max_level == PMP_LEVEL_1G ? PMP_LEVEL_4K : (uint8_t)(p->max_level + 1);
	o.nx_huge_pages = !p->nx_huge_pages;
	o.pin = (uint8_t)((p->pin + 1) % 3);
	o.pin_limit = p->pin_limit == UINT32_MAX ? 0 : p->pin_limit + 1;
	o.recycle = !p->recycle;
	o.merge = (uint8_t)((p->merge + 1) % 5);
	o.scan_ratio = p->scan_ratio == 1000 ? 1 : p->scan_ratio + 1;
	o.scan_budget = p->scan_budget == 1U << 24 ? 1 : p->scan_budget + 1;
	o.inhibit = !p->inhibit;
	o.split = !p->split;
	o.inval = !p->inval;
	o.conflict_flush = (uint8_t)((p->conflict_flush + 1) % 3);
	o.flush_batch = p->flush_batch == 4096 ? 1 : p->flush_batch + 1;
	o.yield_threshold = p->yield_threshold == 1U << 20 ? 0 : p->yield_threshold + 1;
	ck_assert_int_eq(pmp_policy_validate(&o), 0);
	ck_assert_uint_eq(equal_knobs(&o, p), 0);
	return o;
}

/*
 * The canonical string of a valid policy, written independently of the
 * library: every key in table order, enum values by name, numbers in
 * decimal.
 */
static const char *const level_names[] = {
	[PMP_LEVEL_4K] = "4k", [PMP_LEVEL_2M] = "2m", [PMP_LEVEL_1G] = "1g",
};
static const char *const on_off_names[] = { [0] = "off", [1] = "on" };
static const char *const pin_names[] = {
	[PMP_PIN_NONE] = "none", [PMP_PIN_LAUNCH] = "launch", [PMP_PIN_FAULT] = "fault",
};
static const char *const recycle_names[] = { [0] = "refuse", [1] = "allow" };
static const char *const merge_names[] = {
	[PMP_MERGE_NONE] = "none", [PMP_MERGE_SCAN] = "scan", [PMP_MERGE_FAULT] = "fault",
	[PMP_MERGE_BLOCKED] = "blocked", [PMP_MERGE_SETTLED] = "settled",
};
static const char *const inhibit_names[] = {
	[PMP_INHIBIT_ONEWAY] = "oneway", [PMP_INHIBIT_CLEAR] = "clear",
};
static const char *const split_names[] = {
	[PMP_SPLIT_ZAP] = "zap", [PMP_SPLIT_INPLACE] = "inplace",
};
static const char *const inval_names[] = {
	[PMP_INVAL_IMMEDIATE] = "immediate", [PMP_INVAL_DEFER_2M] = "defer-2m",
};
/* on_conflict is stored as conflict_flush: enum pmp_conflict. */
static const char *const on_conflict_names[] = {
	[PMP_CONFLICT_REFUSE] = "refuse", [PMP_CONFLICT_FLUSH] = "flush",
	[PMP_CONFLICT_WITHDRAW] = "withdraw",
};

static void model_format(const struct pmp_policy *p, char *buf, size_t size)
{
	int n;

	ck_assert_uint_ge(p->max_level, PMP_LEVEL_4K);
	ck_assert_uint_lt(p->max_level, ARRAY_SIZE(level_names));
	ck_assert_uint_lt(p->nx_huge_pages, ARRAY_SIZE(on_off_names));
	ck_assert_uint_lt(p->pin, ARRAY_SIZE(pin_names));
	ck_assert_uint_lt(p->recycle, ARRAY_SIZE(recycle_names));
	ck_assert_uint_lt(p->merge, ARRAY_SIZE(merge_names));
	ck_assert_uint_lt(p->inhibit, ARRAY_SIZE(inhibit_names));
	ck_assert_uint_lt(p->split, ARRAY_SIZE(split_names));
	ck_assert_uint_lt(p->inval, ARRAY_SIZE(inval_names));
	ck_assert_uint_lt(p->conflict_flush, ARRAY_SIZE(on_conflict_names));
	n = snprintf(buf, size,
		     "max_level=%s,nx_huge_pages=%s,pin=%s,pin_limit=%u,recycle=%s,merge=%s,"
		     "scan_ratio=%u,scan_budget=%u,inhibit=%s,split=%s,inval=%s,on_conflict=%s,"
		     "flush_batch=%u,yield_threshold=%u",
		     level_names[p->max_level], on_off_names[p->nx_huge_pages],
		     pin_names[p->pin], p->pin_limit, recycle_names[p->recycle],
		     merge_names[p->merge], p->scan_ratio, p->scan_budget,
		     inhibit_names[p->inhibit], split_names[p->split], inval_names[p->inval],
		     on_conflict_names[p->conflict_flush], p->flush_batch, p->yield_threshold);
	ck_assert_int_gt(n, 0);
	ck_assert_uint_lt((size_t)n, size);
}

/* ---- The presets ---- */

/* The presets and their documented contents, every field spelled out. */
static const struct preset_case {
	const char *name;
	struct pmp_policy want;
} preset_cases[] = {
	{ "upstream", {
		.max_level = PMP_LEVEL_1G, .nx_huge_pages = 1, .pin = PMP_PIN_LAUNCH,
		.recycle = 1, .merge = PMP_MERGE_SCAN, .inhibit = PMP_INHIBIT_ONEWAY,
		.split = PMP_SPLIT_ZAP, .pad = 0, .pin_limit = 0, .scan_ratio = 60,
		.scan_budget = 4096, .inval = PMP_INVAL_IMMEDIATE, .conflict_flush = 0,
		.pad2 = { 0, 0 }, .flush_batch = 1, .yield_threshold = 0,
	} },
	{ "tdx-series", {
		.max_level = PMP_LEVEL_2M, .nx_huge_pages = 0, .pin = PMP_PIN_NONE,
		.recycle = 1, .merge = PMP_MERGE_NONE, .inhibit = PMP_INHIBIT_ONEWAY,
		.split = PMP_SPLIT_ZAP, .pad = 0, .pin_limit = 0, .scan_ratio = 60,
		.scan_budget = 4096, .inval = PMP_INVAL_IMMEDIATE, .conflict_flush = 0,
		.pad2 = { 0, 0 }, .flush_batch = 1, .yield_threshold = 0,
	} },
	{ "recommended", {
		.max_level = PMP_LEVEL_1G, .nx_huge_pages = 0, .pin = PMP_PIN_FAULT,
		.recycle = 0, .merge = PMP_MERGE_SETTLED, .inhibit = PMP_INHIBIT_CLEAR,
		.split = PMP_SPLIT_ZAP, .pad = 0, .pin_limit = 0, .scan_ratio = 1,
		.scan_budget = 4096, .inval = PMP_INVAL_DEFER_2M,
		.conflict_flush = PMP_CONFLICT_WITHDRAW,
		.pad2 = { 0, 0 }, .flush_batch = 16, .yield_threshold = 16,
	} },
};

/*
 * Valid policies: every combination of the enum knobs
 * (max_level 3, nx_huge_pages 2, pin 3, recycle 2, merge 5, inhibit 2,
 * split 2, inval 2, on_conflict 3), each with numbers from the edges and
 * the middle of their ranges.
 */
#define NR_VALID (3 * 2 * 3 * 2 * 5 * 2 * 2 * 2 * 3)
/* Loop tests take them a row at a time: fewer forks (ASan makes each slow). */
#define VALID_ROW 96
#define NR_VALID_ROWS (NR_VALID / VALID_ROW)
_Static_assert(NR_VALID % VALID_ROW == 0, "rows must cover every valid policy");

static void valid_policy(unsigned int i, struct pmp_policy *p)
{
	static const uint32_t pin_limits[] = { 0, 1, 262144, UINT32_MAX };
	static const uint32_t ratios[] = { 1, 60, 999, 1000 };
	static const uint32_t budgets[] = { 1, 4096, (1U << 24) - 1, 1U << 24 };
	static const uint32_t batches[] = { 1, 16, 4095, 4096 };
	static const uint32_t thresholds[] = { 0, 16, (1U << 20) - 1, 1U << 20 };
	unsigned int r = i;

	ck_assert_uint_lt(i, NR_VALID);
	ck_assert_int_eq(pmp_policy_preset(p, preset_cases[i % ARRAY_SIZE(preset_cases)].name), 0);
	p->max_level = (uint8_t)(PMP_LEVEL_4K + r % 3); r /= 3;
	p->nx_huge_pages = (uint8_t)(r % 2); r /= 2;
	p->pin = (uint8_t)(r % 3); r /= 3;
	p->recycle = (uint8_t)(r % 2); r /= 2;
	p->merge = (uint8_t)(r % 5); r /= 5;
	p->inhibit = (uint8_t)(r % 2); r /= 2;
	p->split = (uint8_t)(r % 2); r /= 2;
	p->inval = (uint8_t)(r % 2); r /= 2;
	p->conflict_flush = (uint8_t)(r % 3);
	p->pin_limit = pin_limits[i % 4];
	p->scan_ratio = ratios[(i / 4) % 4];
	p->scan_budget = budgets[(i / 16) % 4];
	/* Mixed in differently, so the new numbers do not move in step with the rest. */
	p->flush_batch = batches[(i / 7) % 4];
	p->yield_threshold = thresholds[(i / 29) % 4];
}

/* The @j-th policy of row @row into @p; false past the row's end. */
static bool valid_in_row(int row, unsigned int j, struct pmp_policy *p)
{
	if (j >= VALID_ROW)
		return false;
	valid_policy((unsigned int)row * VALID_ROW + j, p);
	return true;
}

/*
 * Invalid policies: each enum knob one past its last value (and below its
 * first, and 0xff), each numeric knob out of range (pin_limit has none:
 * every uint32_t is valid), pad != 0.  Each must be refused everywhere.
 */
static const struct spec invalid_specs[] = {
	SPEC("upstream", T(MAX_LEVEL, PMP_LEVEL_1G + 1)),
	SPEC("tdx-series", T(MAX_LEVEL, 0)),
	SPEC("recommended", T(MAX_LEVEL, 0xff)),
	SPEC("upstream", T(NX_HUGE_PAGES, 2)),
	SPEC("tdx-series", T(NX_HUGE_PAGES, 0xff)),
	SPEC("upstream", T(PIN, PMP_PIN_FAULT + 1)),
	SPEC("recommended", T(PIN, 0xff)),
	SPEC("upstream", T(RECYCLE, 2)),
	SPEC("recommended", T(RECYCLE, 0xff)),
	SPEC("upstream", T(MERGE, PMP_MERGE_SETTLED + 1)),
	SPEC("tdx-series", T(MERGE, 0xff)),
	SPEC("upstream", T(INHIBIT, PMP_INHIBIT_CLEAR + 1)),
	SPEC("recommended", T(INHIBIT, 0xff)),
	SPEC("upstream", T(SPLIT, PMP_SPLIT_INPLACE + 1)),
	SPEC("tdx-series", T(SPLIT, 0xff)),
	SPEC("upstream", T(SCAN_RATIO, 0)),
	SPEC("tdx-series", T(SCAN_RATIO, 1001)),
	SPEC("recommended", T(SCAN_RATIO, UINT32_MAX)),
	SPEC("upstream", T(SCAN_BUDGET, 0)),
	SPEC("tdx-series", T(SCAN_BUDGET, (1U << 24) + 1)),
	SPEC("recommended", T(SCAN_BUDGET, UINT32_MAX)),
	SPEC("upstream", T(PAD, 1)),
	SPEC("tdx-series", T(PAD, 0x80)),
	SPEC("recommended", T(PAD, 0xff)),
	/* The newer knobs (yield_threshold has no value below its range). */
	SPEC("upstream", T(INVAL, PMP_INVAL_DEFER_2M + 1)),
	SPEC("recommended", T(INVAL, 0xff)),
	SPEC("upstream", T(ON_CONFLICT, 3)),
	SPEC("recommended", T(ON_CONFLICT, 3)),
	SPEC("tdx-series", T(ON_CONFLICT, 0xff)),
	SPEC("upstream", T(PAD2_0, 1)),
	SPEC("recommended", T(PAD2_1, 1)),
	SPEC("tdx-series", T(PAD2_0, 0xff), T(PAD2_1, 0x80)),
	SPEC("upstream", T(FLUSH_BATCH, 0)),
	SPEC("recommended", T(FLUSH_BATCH, 0)),
	SPEC("tdx-series", T(FLUSH_BATCH, 4097)),
	SPEC("recommended", T(FLUSH_BATCH, UINT32_MAX)),
	SPEC("upstream", T(YIELD_THRESHOLD, (1U << 20) + 1)),
	SPEC("recommended", T(YIELD_THRESHOLD, (1U << 20) + 1)),
	SPEC("tdx-series", T(YIELD_THRESHOLD, UINT32_MAX)),
	/* One bad knob among otherwise valid edge values. */
	SPEC("recommended", T(PIN_LIMIT, UINT32_MAX), T(SCAN_RATIO, 1000), T(SCAN_BUDGET, 1U << 24),
	     T(PAD, 1)),
	SPEC("upstream", T(PIN_LIMIT, UINT32_MAX), T(SCAN_RATIO, 1), T(SCAN_BUDGET, 0)),
	SPEC("recommended", T(FLUSH_BATCH, 4096), T(YIELD_THRESHOLD, 1U << 20),
	     T(INVAL, PMP_INVAL_IMMEDIATE), T(ON_CONFLICT, 0), T(PAD2_1, 1)),
	SPEC("upstream", T(FLUSH_BATCH, 1), T(YIELD_THRESHOLD, 0), T(INVAL, PMP_INVAL_DEFER_2M),
	     T(ON_CONFLICT, 1), T(PAD2_0, 1)),
	SPEC("tdx-series", T(FLUSH_BATCH, 4097), T(YIELD_THRESHOLD, 1U << 20),
	     T(INVAL, PMP_INVAL_DEFER_2M), T(ON_CONFLICT, 1)),
	SPEC("recommended", T(FLUSH_BATCH, 4096), T(YIELD_THRESHOLD, (1U << 20) + 1),
	     T(SCAN_BUDGET, 1U << 24), T(PIN_LIMIT, UINT32_MAX)),
	SPEC("upstream", T(FLUSH_BATCH, 4096), T(INVAL, 2), T(ON_CONFLICT, 1)),
	SPEC("upstream", T(FLUSH_BATCH, 1), T(INVAL, 1), T(ON_CONFLICT, 3)),
	/* Several bad knobs at once. */
	SPEC("upstream", T(MAX_LEVEL, 4), T(NX_HUGE_PAGES, 2), T(SCAN_RATIO, 0)),
	SPEC("tdx-series", T(INVAL, 2), T(ON_CONFLICT, 3), T(FLUSH_BATCH, 0),
	     T(YIELD_THRESHOLD, UINT32_MAX), T(PAD2_0, 1), T(PAD2_1, 1)),
};

#define FIELD(f) { #f, offsetof(struct pmp_policy, f), sizeof(((struct pmp_policy *)0)->f) }

START_TEST(test_policy_layout)
{
	/* Every field in declaration order; pad and pad2 are the only fillers. */
	static const struct {
		const char *name;
		size_t offset, size;
	} fields[] = {
		FIELD(max_level), FIELD(nx_huge_pages), FIELD(pin), FIELD(recycle),
		FIELD(merge), FIELD(inhibit), FIELD(split), FIELD(pad), FIELD(pin_limit),
		FIELD(scan_ratio), FIELD(scan_budget), FIELD(inval), FIELD(conflict_flush),
		FIELD(pad2), FIELD(flush_batch), FIELD(yield_threshold),
	};
	size_t at = 0;
	unsigned int i;

	/*
	 * memcmp() of whole policies is only meaningful without padding: each
	 * field starts where the previous one ended and the last ends the struct.
	 */
	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		ck_assert_msg(fields[i].offset == at, "%s at %zu, expected %zu (a hole before it)",
			      fields[i].name, fields[i].offset, at);
		at += fields[i].size;
	}
	ck_assert_uint_eq(at, sizeof(struct pmp_policy));
	ck_assert_uint_eq(sizeof(struct pmp_policy), 32);
	/* The documented places and widths. */
	ck_assert_uint_eq(offsetof(struct pmp_policy, pad), 7);
	ck_assert_uint_eq(offsetof(struct pmp_policy, pin_limit), 8);
	ck_assert_uint_eq(offsetof(struct pmp_policy, inval), 20);
	ck_assert_uint_eq(offsetof(struct pmp_policy, conflict_flush), 21);
	ck_assert_uint_eq(offsetof(struct pmp_policy, pad2), 22);
	ck_assert_uint_eq(sizeof(((struct pmp_policy *)0)->pad2), 2);
	ck_assert_uint_eq(offsetof(struct pmp_policy, flush_batch), 24);
	ck_assert_uint_eq(offsetof(struct pmp_policy, yield_threshold), 28);
	ck_assert_uint_eq(sizeof(((struct pmp_policy *)0)->flush_batch), sizeof(uint32_t));
	ck_assert_uint_eq(sizeof(((struct pmp_policy *)0)->yield_threshold), sizeof(uint32_t));
}
END_TEST

#undef FIELD

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
	"max_level=2m", "pin=fault", "pin_limit=0", "inval=defer-2m", "on_conflict=flush",
	"flush_batch=16", "yield_threshold=16", "Recommended", "recommended-",
};

START_TEST(test_preset_unknown)
{
	static const struct spec start = SPEC("tdx-series", T(MAX_LEVEL, PMP_LEVEL_4K),
					      T(PIN, PMP_PIN_FAULT), T(PIN_LIMIT, 12),
					      T(INVAL, PMP_INVAL_DEFER_2M), T(ON_CONFLICT, 1),
					      T(FLUSH_BATCH, 4096), T(YIELD_THRESHOLD, 7));
	struct pmp_policy p, before;

	build(&start, &p);
	before = p;
	ck_assert_int_eq(pmp_policy_preset(&p, unknown_presets[_i]), -EINVAL);
	ck_assert_msg(memcmp(&p, &before, sizeof(p)) == 0,
		      "policy changed by unknown preset \"%s\"", unknown_presets[_i]);
}
END_TEST

START_TEST(test_preset_null)
{
	static const struct spec start = SPEC("upstream", T(MAX_LEVEL, PMP_LEVEL_4K),
					      T(NX_HUGE_PAGES, 0));
	struct pmp_policy p, before;

	build(&start, &p);
	before = p;
	ck_assert_int_eq(pmp_policy_preset(NULL, "upstream"), -EINVAL);
	ck_assert_int_eq(pmp_policy_preset(&p, NULL), -EINVAL);
	ck_assert_int_eq(pmp_policy_preset(NULL, NULL), -EINVAL);
	ck_assert_policy_eq(p, before);
}
END_TEST

/* ---- Validation ---- */

START_TEST(test_validate_valid)
{
	struct pmp_policy p;
	char d[POLICY_DESC];
	unsigned int j;

	for (j = 0; valid_in_row(_i, j, &p); j++)
		ck_assert_msg(pmp_policy_validate(&p) == 0, "%s refused", describe(&p, d));
}
END_TEST

START_TEST(test_validate_null)
{
	ck_assert_int_eq(pmp_policy_validate(NULL), -EINVAL);
}
END_TEST

/* ---- Parsing: success ---- */

static const struct parse_ok_case {
	struct spec start;
	const char *str;
	struct spec want;
} parse_ok_cases[] = {
	/* Empty: nothing changes, whatever the start. */
	{ PRESET("upstream"), "", PRESET("upstream") },
	{ SPEC("tdx-series", T(PIN_LIMIT, 5), T(SCAN_BUDGET, 1)), "",
	  SPEC("tdx-series", T(PIN_LIMIT, 5), T(SCAN_BUDGET, 1)) },
	/* One key changes only its own knob. */
	{ PRESET("upstream"), "max_level=2m", SPEC("upstream", T(MAX_LEVEL, PMP_LEVEL_2M)) },
	{ PRESET("upstream"), "max_level=4k", SPEC("upstream", T(MAX_LEVEL, PMP_LEVEL_4K)) },
	{ PRESET("tdx-series"), "max_level=1g", SPEC("tdx-series", T(MAX_LEVEL, PMP_LEVEL_1G)) },
	{ PRESET("upstream"), "nx_huge_pages=off", SPEC("upstream", T(NX_HUGE_PAGES, 0)) },
	{ PRESET("tdx-series"), "nx_huge_pages=on", SPEC("tdx-series", T(NX_HUGE_PAGES, 1)) },
	{ PRESET("upstream"), "pin=fault", SPEC("upstream", T(PIN, PMP_PIN_FAULT)) },
	{ PRESET("upstream"), "recycle=refuse", SPEC("upstream", T(RECYCLE, 0)) },
	{ PRESET("recommended"), "merge=blocked",
	  SPEC("recommended", T(MERGE, PMP_MERGE_BLOCKED)) },
	{ PRESET("upstream"), "inhibit=clear", SPEC("upstream", T(INHIBIT, PMP_INHIBIT_CLEAR)) },
	{ PRESET("recommended"), "split=inplace",
	  SPEC("recommended", T(SPLIT, PMP_SPLIT_INPLACE)) },
	{ PRESET("upstream"), "inval=defer-2m", SPEC("upstream", T(INVAL, PMP_INVAL_DEFER_2M)) },
	{ PRESET("recommended"), "inval=immediate",
	  SPEC("recommended", T(INVAL, PMP_INVAL_IMMEDIATE)) },
	{ PRESET("upstream"), "on_conflict=flush", SPEC("upstream", T(ON_CONFLICT, 1)) },
	{ PRESET("upstream"), "on_conflict=withdraw",
	  SPEC("upstream", T(ON_CONFLICT, PMP_CONFLICT_WITHDRAW)) },
	{ PRESET("recommended"), "on_conflict=refuse", SPEC("recommended", T(ON_CONFLICT, 0)) },
	/* Numbers: the whole range, plain decimal, at most 10 digits. */
	{ SPEC("upstream", T(PIN_LIMIT, 5)), "pin_limit=0", PRESET("upstream") },
	{ PRESET("upstream"), "pin_limit=4294967295",
	  SPEC("upstream", T(PIN_LIMIT, 4294967295U)) },
	{ PRESET("upstream"), "pin_limit=0000000001", SPEC("upstream", T(PIN_LIMIT, 1)) },
	{ PRESET("upstream"), "pin_limit=0004294967", SPEC("upstream", T(PIN_LIMIT, 4294967)) },
	{ PRESET("upstream"), "scan_ratio=1", SPEC("upstream", T(SCAN_RATIO, 1)) },
	{ PRESET("upstream"), "scan_ratio=1000", SPEC("upstream", T(SCAN_RATIO, 1000)) },
	{ PRESET("upstream"), "scan_budget=1", SPEC("upstream", T(SCAN_BUDGET, 1)) },
	{ PRESET("upstream"), "scan_budget=16777216",
	  SPEC("upstream", T(SCAN_BUDGET, 16777216)) },
	{ PRESET("recommended"), "flush_batch=1", SPEC("recommended", T(FLUSH_BATCH, 1)) },
	{ PRESET("upstream"), "flush_batch=4096", SPEC("upstream", T(FLUSH_BATCH, 4096)) },
	{ PRESET("upstream"), "flush_batch=0000004096", SPEC("upstream", T(FLUSH_BATCH, 4096)) },
	{ PRESET("recommended"), "yield_threshold=0", SPEC("recommended", T(YIELD_THRESHOLD, 0)) },
	{ PRESET("recommended"), "yield_threshold=0000000000",
	  SPEC("recommended", T(YIELD_THRESHOLD, 0)) },
	{ PRESET("upstream"), "yield_threshold=1048576",
	  SPEC("upstream", T(YIELD_THRESHOLD, 1048576)) },
	/* Setting a knob to its current value is fine. */
	{ PRESET("tdx-series"), "max_level=2m", PRESET("tdx-series") },
	{ PRESET("upstream"), "scan_ratio=60,scan_budget=4096,pin_limit=0", PRESET("upstream") },
	{ PRESET("upstream"), "inval=immediate,on_conflict=refuse,flush_batch=1,yield_threshold=0",
	  PRESET("upstream") },
	{ PRESET("recommended"),
	  "inval=defer-2m,on_conflict=withdraw,flush_batch=16,yield_threshold=16",
	  PRESET("recommended") },
	/* A preset replaces every knob. */
	{ SPEC("recommended", T(MAX_LEVEL, PMP_LEVEL_4K), T(PIN_LIMIT, 9), T(SCAN_RATIO, 7),
	       T(SCAN_BUDGET, 3)),
	  "tdx-series", PRESET("tdx-series") },
	{ SPEC("tdx-series", T(MAX_LEVEL, PMP_LEVEL_4K), T(NX_HUGE_PAGES, 0),
	       T(PIN, PMP_PIN_FAULT), T(RECYCLE, 0), T(INHIBIT, PMP_INHIBIT_CLEAR),
	       T(SPLIT, PMP_SPLIT_INPLACE), T(PIN_LIMIT, 1), T(SCAN_RATIO, 1), T(SCAN_BUDGET, 1),
	       T(INVAL, PMP_INVAL_DEFER_2M), T(ON_CONFLICT, 1), T(FLUSH_BATCH, 4096),
	       T(YIELD_THRESHOLD, 1048576)),
	  "upstream", PRESET("upstream") },
	{ SPEC("upstream", T(INVAL, PMP_INVAL_DEFER_2M), T(ON_CONFLICT, 1), T(FLUSH_BATCH, 2),
	       T(YIELD_THRESHOLD, 3)),
	  "tdx-series", PRESET("tdx-series") },
	{ SPEC("upstream", T(FLUSH_BATCH, 4096), T(YIELD_THRESHOLD, 0)),
	  "recommended", PRESET("recommended") },
	{ PRESET("upstream"), "recommended", PRESET("recommended") },
	/* Later items override earlier ones. */
	{ PRESET("tdx-series"), "upstream,max_level=4k",
	  SPEC("upstream", T(MAX_LEVEL, PMP_LEVEL_4K)) },
	{ PRESET("upstream"), "max_level=4k,max_level=1g", PRESET("upstream") },
	{ PRESET("upstream"), "max_level=1g,max_level=4k",
	  SPEC("upstream", T(MAX_LEVEL, PMP_LEVEL_4K)) },
	{ PRESET("upstream"), "nx_huge_pages=off,nx_huge_pages=on", PRESET("upstream") },
	{ PRESET("upstream"), "pin=none,pin=fault", SPEC("upstream", T(PIN, PMP_PIN_FAULT)) },
	{ PRESET("upstream"), "scan_ratio=5,scan_ratio=6", SPEC("upstream", T(SCAN_RATIO, 6)) },
	{ PRESET("upstream"), "pin_limit=4294967295,pin_limit=0", PRESET("upstream") },
	{ PRESET("upstream"), "merge=scan,merge=none", SPEC("upstream", T(MERGE, PMP_MERGE_NONE)) },
	{ PRESET("upstream"), "inval=defer-2m,inval=immediate", PRESET("upstream") },
	{ PRESET("upstream"), "on_conflict=refuse,on_conflict=flush",
	  SPEC("upstream", T(ON_CONFLICT, 1)) },
	{ PRESET("recommended"), "on_conflict=flush,on_conflict=refuse",
	  SPEC("recommended", T(ON_CONFLICT, 0)) },
	{ PRESET("upstream"), "flush_batch=4096,flush_batch=2",
	  SPEC("upstream", T(FLUSH_BATCH, 2)) },
	{ PRESET("upstream"), "yield_threshold=1048576,yield_threshold=0", PRESET("upstream") },
	/* Presets combined with keys, in both orders. */
	{ PRESET("upstream"), "tdx-series,nx_huge_pages=on",
	  SPEC("tdx-series", T(NX_HUGE_PAGES, 1)) },
	{ PRESET("recommended"), "upstream,nx_huge_pages=off,max_level=2m",
	  SPEC("upstream", T(NX_HUGE_PAGES, 0), T(MAX_LEVEL, PMP_LEVEL_2M)) },
	{ PRESET("upstream"), "max_level=4k,tdx-series", PRESET("tdx-series") },
	{ PRESET("tdx-series"), "pin_limit=9,scan_ratio=1,upstream", PRESET("upstream") },
	{ PRESET("recommended"), "tdx-series,upstream", PRESET("upstream") },
	{ PRESET("recommended"), "upstream,tdx-series", PRESET("tdx-series") },
	{ PRESET("upstream"), "recommended,max_level=2m,nx_huge_pages=off,pin=launch",
	  SPEC("recommended", T(MAX_LEVEL, PMP_LEVEL_2M), T(NX_HUGE_PAGES, 0),
	       T(PIN, PMP_PIN_LAUNCH)) },
	{ PRESET("upstream"), "tdx-series,pin_limit=262144,merge=blocked,split=inplace",
	  SPEC("tdx-series", T(PIN_LIMIT, 262144), T(MERGE, PMP_MERGE_BLOCKED),
	       T(SPLIT, PMP_SPLIT_INPLACE)) },
	{ PRESET("recommended"), "upstream,inval=defer-2m,on_conflict=flush",
	  SPEC("upstream", T(INVAL, PMP_INVAL_DEFER_2M), T(ON_CONFLICT, 1)) },
	{ PRESET("upstream"), "recommended,flush_batch=4096,yield_threshold=0",
	  SPEC("recommended", T(FLUSH_BATCH, 4096), T(YIELD_THRESHOLD, 0)) },
	{ PRESET("upstream"), "flush_batch=99,yield_threshold=5,inval=defer-2m,recommended",
	  PRESET("recommended") },
	/* Every new knob at once, and keys out of table order. */
	{ PRESET("upstream"),
	  "pin=none,pin_limit=100,recycle=refuse,merge=fault,scan_ratio=10,scan_budget=512,"
	  "inhibit=clear,split=inplace",
	  SPEC("upstream", T(PIN, PMP_PIN_NONE), T(PIN_LIMIT, 100), T(RECYCLE, 0),
	       T(MERGE, PMP_MERGE_FAULT), T(SCAN_RATIO, 10), T(SCAN_BUDGET, 512),
	       T(INHIBIT, PMP_INHIBIT_CLEAR), T(SPLIT, PMP_SPLIT_INPLACE)) },
	{ PRESET("upstream"), "split=inplace,max_level=2m,scan_budget=8,pin=fault",
	  SPEC("upstream", T(SPLIT, PMP_SPLIT_INPLACE), T(MAX_LEVEL, PMP_LEVEL_2M),
	       T(SCAN_BUDGET, 8), T(PIN, PMP_PIN_FAULT)) },
	/* The newest knobs at once, out of table order. */
	{ PRESET("upstream"),
	  "yield_threshold=1048576,flush_batch=4096,on_conflict=flush,inval=defer-2m",
	  SPEC("upstream", T(YIELD_THRESHOLD, 1048576), T(FLUSH_BATCH, 4096), T(ON_CONFLICT, 1),
	       T(INVAL, PMP_INVAL_DEFER_2M)) },
	{ PRESET("recommended"), "on_conflict=refuse,split=zap,yield_threshold=1,inval=immediate",
	  SPEC("recommended", T(ON_CONFLICT, 0), T(SPLIT, PMP_SPLIT_ZAP), T(YIELD_THRESHOLD, 1),
	       T(INVAL, PMP_INVAL_IMMEDIATE)) },
	/* The canonical forms. */
	{ PRESET("recommended"),
	  "max_level=1g,nx_huge_pages=on,pin=launch,pin_limit=0,recycle=allow,merge=scan,"
	  "scan_ratio=60,scan_budget=4096,inhibit=oneway,split=zap,inval=immediate,"
	  "on_conflict=refuse,flush_batch=1,yield_threshold=0",
	  PRESET("upstream") },
	{ PRESET("recommended"),
	  "max_level=2m,nx_huge_pages=off,pin=none,pin_limit=0,recycle=allow,merge=none,"
	  "scan_ratio=60,scan_budget=4096,inhibit=oneway,split=zap,inval=immediate,"
	  "on_conflict=refuse,flush_batch=1,yield_threshold=0",
	  PRESET("tdx-series") },
	{ PRESET("upstream"),
	  "max_level=1g,nx_huge_pages=off,pin=fault,pin_limit=0,recycle=refuse,merge=settled,"
	  "scan_ratio=1,scan_budget=4096,inhibit=clear,split=zap,inval=defer-2m,"
	  "on_conflict=withdraw,flush_batch=16,yield_threshold=16",
	  PRESET("recommended") },
	{ PRESET("upstream"),
	  "max_level=4k,nx_huge_pages=off,pin=none,pin_limit=4294967295,recycle=refuse,"
	  "merge=fault,scan_ratio=1000,scan_budget=16777216,inhibit=clear,split=inplace,"
	  "inval=defer-2m,on_conflict=flush,flush_batch=4096,yield_threshold=1048576",
	  SPEC("upstream", T(MAX_LEVEL, PMP_LEVEL_4K), T(NX_HUGE_PAGES, 0), T(PIN, PMP_PIN_NONE),
	       T(PIN_LIMIT, 4294967295U), T(RECYCLE, 0), T(MERGE, PMP_MERGE_FAULT),
	       T(SCAN_RATIO, 1000), T(SCAN_BUDGET, 16777216), T(INHIBIT, PMP_INHIBIT_CLEAR),
	       T(SPLIT, PMP_SPLIT_INPLACE), T(INVAL, PMP_INVAL_DEFER_2M), T(ON_CONFLICT, 1),
	       T(FLUSH_BATCH, 4096), T(YIELD_THRESHOLD, 1048576)) },
	/* The ten-knob canonical form of older releases leaves the newer knobs alone. */
	{ PRESET("recommended"),
	  "max_level=1g,nx_huge_pages=on,pin=launch,pin_limit=0,recycle=allow,merge=scan,"
	  "scan_ratio=60,scan_budget=4096,inhibit=oneway,split=zap",
	  SPEC("upstream", T(INVAL, PMP_INVAL_DEFER_2M), T(ON_CONFLICT, PMP_CONFLICT_WITHDRAW),
	       T(FLUSH_BATCH, 16), T(YIELD_THRESHOLD, 16)) },
};

START_TEST(test_parse_ok)
{
	const struct parse_ok_case *c = &parse_ok_cases[_i];
	struct pmp_parse_error err = { .column = 0xdead, .length = 0xbeef, .message = NULL };
	struct pmp_policy start, want, p;

	build(&c->start, &start);
	build(&c->want, &want);
	p = start;
	ck_assert_msg(pmp_policy_parse(&p, c->str, &err) == 0, "\"%s\" refused: %s at %u",
		      c->str, err.message ? err.message : "(null)", err.column);
	ck_assert_policy_eq(p, want);
	ck_assert_int_eq(pmp_policy_validate(&p), 0);
	/* The same string with no error report parses the same way. */
	p = start;
	ck_assert_int_eq(pmp_policy_parse(&p, c->str, NULL), 0);
	ck_assert_policy_eq(p, want);
}
END_TEST

/*
 * Every value of every knob: "key=value" sets that knob only, from each
 * preset, and the formatter prints it back in place.
 */
static const struct value_case {
	const char *key;
	const char *value;
	uint8_t knob;
	uint32_t want;
} value_cases[] = {
	{ "max_level", "4k", TK_MAX_LEVEL, PMP_LEVEL_4K },
	{ "max_level", "2m", TK_MAX_LEVEL, PMP_LEVEL_2M },
	{ "max_level", "1g", TK_MAX_LEVEL, PMP_LEVEL_1G },
	{ "nx_huge_pages", "on", TK_NX_HUGE_PAGES, 1 },
	{ "nx_huge_pages", "off", TK_NX_HUGE_PAGES, 0 },
	{ "pin", "none", TK_PIN, PMP_PIN_NONE },
	{ "pin", "launch", TK_PIN, PMP_PIN_LAUNCH },
	{ "pin", "fault", TK_PIN, PMP_PIN_FAULT },
	{ "pin_limit", "0", TK_PIN_LIMIT, 0 },
	{ "pin_limit", "1", TK_PIN_LIMIT, 1 },
	{ "pin_limit", "4096", TK_PIN_LIMIT, 4096 },
	{ "pin_limit", "4294967295", TK_PIN_LIMIT, 4294967295U },
	{ "recycle", "allow", TK_RECYCLE, 1 },
	{ "recycle", "refuse", TK_RECYCLE, 0 },
	{ "merge", "none", TK_MERGE, PMP_MERGE_NONE },
	{ "merge", "scan", TK_MERGE, PMP_MERGE_SCAN },
	{ "merge", "fault", TK_MERGE, PMP_MERGE_FAULT },
	{ "merge", "blocked", TK_MERGE, PMP_MERGE_BLOCKED },
	{ "merge", "settled", TK_MERGE, PMP_MERGE_SETTLED },
	{ "scan_ratio", "1", TK_SCAN_RATIO, 1 },
	{ "scan_ratio", "60", TK_SCAN_RATIO, 60 },
	{ "scan_ratio", "1000", TK_SCAN_RATIO, 1000 },
	{ "scan_budget", "1", TK_SCAN_BUDGET, 1 },
	{ "scan_budget", "4096", TK_SCAN_BUDGET, 4096 },
	{ "scan_budget", "16777216", TK_SCAN_BUDGET, 16777216 },
	{ "inhibit", "oneway", TK_INHIBIT, PMP_INHIBIT_ONEWAY },
	{ "inhibit", "clear", TK_INHIBIT, PMP_INHIBIT_CLEAR },
	{ "split", "zap", TK_SPLIT, PMP_SPLIT_ZAP },
	{ "split", "inplace", TK_SPLIT, PMP_SPLIT_INPLACE },
	{ "inval", "immediate", TK_INVAL, PMP_INVAL_IMMEDIATE },
	{ "inval", "defer-2m", TK_INVAL, PMP_INVAL_DEFER_2M },
	{ "on_conflict", "flush", TK_ON_CONFLICT, 1 },
	{ "on_conflict", "refuse", TK_ON_CONFLICT, 0 },
	{ "flush_batch", "1", TK_FLUSH_BATCH, 1 },
	{ "flush_batch", "16", TK_FLUSH_BATCH, 16 },
	{ "flush_batch", "4095", TK_FLUSH_BATCH, 4095 },
	{ "flush_batch", "4096", TK_FLUSH_BATCH, 4096 },
	{ "yield_threshold", "0", TK_YIELD_THRESHOLD, 0 },
	{ "yield_threshold", "1", TK_YIELD_THRESHOLD, 1 },
	{ "yield_threshold", "16", TK_YIELD_THRESHOLD, 16 },
	{ "yield_threshold", "1048576", TK_YIELD_THRESHOLD, 1048576 },
};

START_TEST(test_parse_value)
{
	const struct value_case *c = &value_cases[_i];
	char str[64], token[sizeof(str) + 2], buf[256], wrapped[sizeof(buf) + 2], model[256];
	unsigned int s;

	snprintf(str, sizeof(str), "%s=%s", c->key, c->value);
	snprintf(token, sizeof(token), ",%s,", str);
	for (s = 0; s < ARRAY_SIZE(preset_cases); s++) {
		struct pmp_parse_error err = { .column = 0xdead, .length = 0xbeef,
					       .message = NULL };
		struct pmp_policy p, want, back;
		int len;

		ck_assert_int_eq(pmp_policy_preset(&p, preset_cases[s].name), 0);
		want = p;
		set_knob(&want, c->knob, c->want);
		ck_assert_msg(pmp_policy_parse(&p, str, &err) == 0, "\"%s\" refused: %s", str,
			      err.message ? err.message : "(null)");
		ck_assert_policy_eq(p, want);
		ck_assert_int_eq(pmp_policy_validate(&p), 0);

		/* Printed back in its place, in the canonical form. */
		len = pmp_policy_format(&p, buf, sizeof(buf));
		ck_assert_int_gt(len, 0);
		ck_assert_uint_eq((size_t)len, strlen(buf));
		model_format(&want, model, sizeof(model));
		ck_assert_str_eq(buf, model);
		snprintf(wrapped, sizeof(wrapped), ",%s,", buf);
		ck_assert_msg(strstr(wrapped, token), "\"%s\" lacks \"%s\"", buf, str);

		/* And parsed back from a policy that differs everywhere. */
		back = opposite(&p);
		ck_assert_int_eq(pmp_policy_parse(&back, buf, NULL), 0);
		ck_assert_policy_eq(back, p);
	}
}
END_TEST

/* ---- Parsing: errors ---- */

static const struct parse_err_case {
	const char *str;
	uint32_t column;
	uint32_t length;
	const char *msg;	/* expected substring of err.message */
	const char *key;	/* if set, the message names this key as a word */
} parse_err_cases[] = {
	{ "bogus=1",				1,  5,  "unknown key", NULL },
	{ "max_level=3m",			11, 2,  "max_level", "max_level" },
	{ "max_level=",				11, 0,  "max_level", "max_level" },
	{ "nosuchpreset",			1,  12, "unknown preset", NULL },
	{ ",max_level=2m",			1,  0,  "empty item", NULL },
	{ ",",					1,  0,  "empty item", NULL },
	{ "max_level=2m,",			14, 0,  "empty item", NULL },
	{ "max_level=2m,,nx_huge_pages=on",	14, 0,  "empty item", NULL },
	{ "nx_huge_pages=maybe",		15, 5,  "nx_huge_pages", "nx_huge_pages" },
	{ "nx_huge_pages=ON",			15, 2,  "nx_huge_pages", "nx_huge_pages" },
	{ "nx_huge_pages=allow",		15, 5,  "nx_huge_pages", "nx_huge_pages" },
	{ "MAX_LEVEL=2m",			1,  9,  "unknown key", NULL },
	{ "max_level =2m",			1,  10, "unknown key", NULL },
	{ "max_level= 2m",			11, 3,  "max_level", "max_level" },
	{ "max_level=2M",			11, 2,  "max_level", "max_level" },
	{ "max_level=none",			11, 4,  "max_level", "max_level" },
	{ "=2m",				1,  0,  "unknown key", NULL },
	{ "Upstream",				1,  8,  "unknown preset", NULL },
	{ "upstream ",				1,  9,  "unknown preset", NULL },
	/* The new keys: unknown spellings, and pad is no key. */
	{ "pad=0",				1,  3,  "unknown key", NULL },
	{ "PIN=none",				1,  3,  "unknown key", NULL },
	{ "pin_limits=5",			1,  10, "unknown key", NULL },
	{ "pin_limit",				1,  9,  "unknown preset", NULL },
	/* Numbers: plain decimal, at most 10 digits, 32 bits, in range. */
	{ "pin_limit=4294967296",		11, 10, "pin_limit", "pin_limit" },
	{ "pin_limit=-1",			11, 2,  "pin_limit", "pin_limit" },
	{ "pin_limit=+5",			11, 2,  "pin_limit", "pin_limit" },
	{ "pin_limit=0x10",			11, 4,  "pin_limit", "pin_limit" },
	{ "pin_limit=12345678901",		11, 11, "pin_limit", "pin_limit" },
	{ "pin_limit=",				11, 0,  "pin_limit", "pin_limit" },
	{ "pin_limit=9999999999",		11, 10, "pin_limit", "pin_limit" },
	{ "pin_limit=00000000001",		11, 11, "pin_limit", "pin_limit" },
	{ "pin_limit=18446744073709551617",	11, 20, "pin_limit", "pin_limit" },
	{ "pin_limit= 5",			11, 2,  "pin_limit", "pin_limit" },
	{ "pin_limit=5 ",			11, 2,  "pin_limit", "pin_limit" },
	{ "pin_limit=1e3",			11, 3,  "pin_limit", "pin_limit" },
	{ "pin_limit=none",			11, 4,  "pin_limit", "pin_limit" },
	{ "scan_ratio=0",			12, 1,  "scan_ratio", "scan_ratio" },
	{ "scan_ratio=1001",			12, 4,  "scan_ratio", "scan_ratio" },
	{ "scan_ratio=-60",			12, 3,  "scan_ratio", "scan_ratio" },
	{ "scan_ratio=",			12, 0,  "scan_ratio", "scan_ratio" },
	/* 2^32 + 1 would be 1 if the parser wrapped. */
	{ "scan_ratio=4294967297",		12, 10, "scan_ratio", "scan_ratio" },
	{ "scan_budget=16777217",		13, 8,  "scan_budget", "scan_budget" },
	{ "scan_budget=0",			13, 1,  "scan_budget", "scan_budget" },
	{ "scan_budget=4294967297",		13, 10, "scan_budget", "scan_budget" },
	{ "scan_budget=",			13, 0,  "scan_budget", "scan_budget" },
	/* Enums: exact names only, and only the knob's own. */
	{ "pin=launched",			5,  8,  "pin", "pin" },
	{ "pin=",				5,  0,  "pin", "pin" },
	{ "pin=scan",				5,  4,  "pin", "pin" },
	{ "pin=Fault",				5,  5,  "pin", "pin" },
	{ "pin=0",				5,  1,  "pin", "pin" },
	{ "recycle=yes",			9,  3,  "recycle", "recycle" },
	{ "recycle=on",				9,  2,  "recycle", "recycle" },
	{ "recycle=",				9,  0,  "recycle", "recycle" },
	{ "merge=Scan",				7,  4,  "merge", "merge" },
	{ "merge=launch",			7,  6,  "merge", "merge" },
	{ "merge=",				7,  0,  "merge", "merge" },
	{ "inhibit=one-way",			9,  7,  "inhibit", "inhibit" },
	{ "inhibit=zap",			9,  3,  "inhibit", "inhibit" },
	{ "inhibit=",				9,  0,  "inhibit", "inhibit" },
	{ "split=clear",			7,  5,  "split", "split" },
	{ "split=in-place",			7,  8,  "split", "split" },
	{ "split=",				7,  0,  "split", "split" },
	/* The newer knobs: enums take their own exact names only. */
	{ "inval=defer",			7,  5,  "inval", "inval" },
	{ "inval=defer-1g",			7,  8,  "inval", "inval" },
	{ "inval=defer_2m",			7,  8,  "inval", "inval" },
	{ "inval=Immediate",			7,  9,  "inval", "inval" },
	{ "inval=immediately",			7,  11, "inval", "inval" },
	{ "inval=",				7,  0,  "inval", "inval" },
	{ "inval=2m",				7,  2,  "inval", "inval" },
	{ "inval=1",				7,  1,  "inval", "inval" },
	{ "on_conflict=yes",			13, 3,  "on_conflict", "on_conflict" },
	{ "on_conflict=Flush",			13, 5,  "on_conflict", "on_conflict" },
	{ "on_conflict=allow",			13, 5,  "on_conflict", "on_conflict" },
	{ "on_conflict=1",			13, 1,  "on_conflict", "on_conflict" },
	{ "on_conflict=",			13, 0,  "on_conflict", "on_conflict" },
	{ "recycle=flush",			9,  5,  "recycle", "recycle" },
	/* Their numbers: in range, plain decimal; 2^32 + 1 / 2^32 would wrap to 1 / 0. */
	{ "flush_batch=0",			13, 1,  "flush_batch", "flush_batch" },
	{ "flush_batch=4097",			13, 4,  "flush_batch", "flush_batch" },
	{ "flush_batch=",			13, 0,  "flush_batch", "flush_batch" },
	{ "flush_batch=-1",			13, 2,  "flush_batch", "flush_batch" },
	{ "flush_batch=0x10",			13, 4,  "flush_batch", "flush_batch" },
	{ "flush_batch=4294967297",		13, 10, "flush_batch", "flush_batch" },
	{ "flush_batch=00000004096",		13, 11, "flush_batch", "flush_batch" },
	{ "flush_batch=16 ",			13, 3,  "flush_batch", "flush_batch" },
	{ "yield_threshold=1048577",		17, 7,  "yield_threshold", "yield_threshold" },
	{ "yield_threshold=-1",			17, 2,  "yield_threshold", "yield_threshold" },
	{ "yield_threshold=",			17, 0,  "yield_threshold", "yield_threshold" },
	{ "yield_threshold=4294967296",		17, 10, "yield_threshold", "yield_threshold" },
	{ "yield_threshold=4294967295",		17, 10, "yield_threshold", "yield_threshold" },
	{ "yield_threshold=none",		17, 4,  "yield_threshold", "yield_threshold" },
	/* The field names and spellings that are no keys. */
	{ "conflict_flush=1",			1,  14, "unknown key", NULL },
	{ "on-conflict=flush",			1,  11, "unknown key", NULL },
	{ "pad2=0",				1,  4,  "unknown key", NULL },
	{ "pad2[0]=0",				1,  7,  "unknown key", NULL },
	{ "flushbatch=16",			1,  10, "unknown key", NULL },
	{ "yield=16",				1,  5,  "unknown key", NULL },
	{ "on_conflict",			1,  11, "unknown preset", NULL },
	/* An error after valid items: the earlier items are not applied. */
	{ "max_level=4k,bogus=1",		14, 5,  "unknown key", NULL },
	{ "tdx-series,max_level=5g",		22, 2,  "max_level", "max_level" },
	{ "nx_huge_pages=on,max_level=2m,x",	31, 1,  "unknown preset", NULL },
	{ "upstream,scan_budget=0,max_level=2m", 22, 1, "scan_budget", "scan_budget" },
	{ "max_level=2m,pin_limit=",		24, 0,  "pin_limit", "pin_limit" },
	{ "pin=fault,recycle=refuse,split=zap,merge=sometimes", 42, 9, "merge", "merge" },
	{ "recommended,scan_ratio=1000,scan_ratio=1001", 40, 4, "scan_ratio", "scan_ratio" },
	{ "pin_limit=4294967295,pin_limit=4294967296", 32, 10, "pin_limit", "pin_limit" },
	{ "inval=defer-2m,on_conflict=flush,flush_batch=4097", 46, 4, "flush_batch", "flush_batch" },
	{ "recommended,yield_threshold=1048576,yield_threshold=1048577", 53, 7,
	  "yield_threshold", "yield_threshold" },
	{ "upstream,flush_batch=0,inval=defer-2m", 22, 1, "flush_batch", "flush_batch" },
	{ "flush_batch=4096,yield_threshold=0,on_conflict=never", 48, 5, "on_conflict",
	  "on_conflict" },
	{ "on_conflict=flush,inval=later,max_level=2m", 25, 5, "inval", "inval" },
	{ "inval=defer-2m,tdx,on_conflict=flush", 16, 3, "unknown preset", NULL },
	{ "on_conflict=refuse,on_conflict=flush,,", 38, 0, "empty item", NULL },
};

/* Starting points, so a partly applied string shows whatever it sets. */
static const struct spec parse_err_starts[] = {
	PRESET("upstream"),
	PRESET("tdx-series"),
	SPEC("recommended", T(MAX_LEVEL, PMP_LEVEL_4K), T(PIN_LIMIT, 77), T(SCAN_RATIO, 1000),
	     T(SCAN_BUDGET, 1)),
	SPEC("upstream", T(INVAL, PMP_INVAL_DEFER_2M), T(ON_CONFLICT, 1), T(FLUSH_BATCH, 4096),
	     T(YIELD_THRESHOLD, 1048576)),
};

static bool is_ident(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* Does @msg contain @word with no identifier character on either side? */
static bool names_word(const char *msg, const char *word)
{
	size_t n = strlen(word);
	const char *at;

	for (at = strstr(msg, word); at; at = strstr(at + 1, word))
		if ((at == msg || !is_ident(at[-1])) && !is_ident(at[n]))
			return true;
	return false;
}

START_TEST(test_parse_error)
{
	const struct parse_err_case *c = &parse_err_cases[_i];
	unsigned int s;

	for (s = 0; s < ARRAY_SIZE(parse_err_starts); s++) {
		struct pmp_parse_error err = { .column = 0xdead, .length = 0xbeef,
					       .message = NULL };
		struct pmp_policy p, before;

		build(&parse_err_starts[s], &p);
		before = p;
		ck_assert_int_eq(pmp_policy_parse(&p, c->str, &err), -EINVAL);
		ck_assert_msg(memcmp(&p, &before, sizeof(p)) == 0,
			      "\"%s\" changed the policy", c->str);
		ck_assert_ptr_nonnull(err.message);
		ck_assert_msg(strstr(err.message, c->msg), "\"%s\": message \"%s\" lacks \"%s\"",
			      c->str, err.message, c->msg);
		if (c->key)
			ck_assert_msg(names_word(err.message, c->key),
				      "\"%s\": message \"%s\" does not name key %s", c->str,
				      err.message, c->key);
		ck_assert_msg(err.column == c->column && err.length == c->length,
			      "\"%s\": column %u length %u, expected %u %u", c->str, err.column,
			      err.length, c->column, c->length);
		/* The token lies within the string. */
		ck_assert_uint_le(err.column - 1 + err.length, strlen(c->str));
	}
}
END_TEST

START_TEST(test_parse_error_null_err)
{
	const struct parse_err_case *c = &parse_err_cases[_i];
	static const struct spec start = SPEC("tdx-series", T(MAX_LEVEL, PMP_LEVEL_4K),
					      T(PIN_LIMIT, 3), T(INVAL, PMP_INVAL_DEFER_2M),
					      T(FLUSH_BATCH, 4096), T(YIELD_THRESHOLD, 1));
	struct pmp_policy p, before;

	build(&start, &p);
	before = p;
	ck_assert_int_eq(pmp_policy_parse(&p, c->str, NULL), -EINVAL);
	ck_assert_policy_eq(p, before);
}
END_TEST

START_TEST(test_parse_null_args)
{
	struct pmp_parse_error err = { 0 };
	struct pmp_policy p, before;

	ck_assert_int_eq(pmp_policy_preset(&p, "tdx-series"), 0);
	p.pin_limit = 42;
	before = p;
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
	static char buf[256];
	unsigned int j;
	int len;

	ck_assert_int_eq(pmp_policy_preset(&p, c->name), 0);
	len = pmp_policy_format(&p, buf, sizeof(buf));
	ck_assert_int_gt(len, 0);
	ck_assert_uint_eq((size_t)len, strlen(buf));

	/* From a policy that differs in every knob... */
	back = opposite(&p);
	ck_assert_msg(pmp_policy_parse(&back, buf, &err) == 0, "\"%s\" does not parse", buf);
	ck_assert_policy_eq(back, p);
	/* ...and from every preset. */
	for (j = 0; j < ARRAY_SIZE(preset_cases); j++) {
		ck_assert_int_eq(pmp_policy_preset(&back, preset_cases[j].name), 0);
		ck_assert_int_eq(pmp_policy_parse(&back, buf, NULL), 0);
		ck_assert_policy_eq(back, p);
	}
}
END_TEST

START_TEST(test_format_round_trip)
{
	struct pmp_policy p, back;
	static char buf[256], again[256], model[256];
	unsigned int j;
	int len;

	for (j = 0; valid_in_row(_i, j, &p); j++) {
		back = opposite(&p);
		len = pmp_policy_format(&p, buf, sizeof(buf));
		ck_assert_int_gt(len, 0);
		ck_assert_uint_eq((size_t)len, strlen(buf));
		/* Every key in table order, each value spelled as documented. */
		model_format(&p, model, sizeof(model));
		ck_assert_str_eq(buf, model);
		ck_assert_int_eq(pmp_policy_parse(&back, buf, NULL), 0);
		ck_assert_policy_eq(back, p);
		/* Canonical: formatting the parsed policy gives the same string. */
		ck_assert_int_eq(pmp_policy_format(&back, again, sizeof(again)), len);
		ck_assert_str_eq(again, buf);
	}
}
END_TEST

static const struct format_case {
	struct spec policy;
	const char *want;
} format_cases[] = {
	{ PRESET("upstream"),
	  "max_level=1g,nx_huge_pages=on,pin=launch,pin_limit=0,recycle=allow,merge=scan,"
	  "scan_ratio=60,scan_budget=4096,inhibit=oneway,split=zap,inval=immediate,"
	  "on_conflict=refuse,flush_batch=1,yield_threshold=0" },
	{ PRESET("tdx-series"),
	  "max_level=2m,nx_huge_pages=off,pin=none,pin_limit=0,recycle=allow,merge=none,"
	  "scan_ratio=60,scan_budget=4096,inhibit=oneway,split=zap,inval=immediate,"
	  "on_conflict=refuse,flush_batch=1,yield_threshold=0" },
	{ PRESET("recommended"),
	  "max_level=1g,nx_huge_pages=off,pin=fault,pin_limit=0,recycle=refuse,merge=settled,"
	  "scan_ratio=1,scan_budget=4096,inhibit=clear,split=zap,inval=defer-2m,"
	  "on_conflict=withdraw,flush_batch=16,yield_threshold=16" },
	{ SPEC("upstream", T(MAX_LEVEL, PMP_LEVEL_4K), T(NX_HUGE_PAGES, 0)),
	  "max_level=4k,nx_huge_pages=off,pin=launch,pin_limit=0,recycle=allow,merge=scan,"
	  "scan_ratio=60,scan_budget=4096,inhibit=oneway,split=zap,inval=immediate,"
	  "on_conflict=refuse,flush_batch=1,yield_threshold=0" },
	{ SPEC("recommended", T(PIN_LIMIT, 4294967295U), T(SCAN_RATIO, 1000),
	       T(SCAN_BUDGET, 16777216), T(FLUSH_BATCH, 4096), T(YIELD_THRESHOLD, 1048576)),
	  "max_level=1g,nx_huge_pages=off,pin=fault,pin_limit=4294967295,recycle=refuse,"
	  "merge=settled,scan_ratio=1000,scan_budget=16777216,inhibit=clear,split=zap,"
	  "inval=defer-2m,on_conflict=withdraw,flush_batch=4096,yield_threshold=1048576" },
	{ SPEC("tdx-series", T(MAX_LEVEL, PMP_LEVEL_4K), T(MERGE, PMP_MERGE_FAULT),
	       T(PIN_LIMIT, 1), T(SCAN_RATIO, 1), T(SCAN_BUDGET, 1)),
	  "max_level=4k,nx_huge_pages=off,pin=none,pin_limit=1,recycle=allow,merge=fault,"
	  "scan_ratio=1,scan_budget=1,inhibit=oneway,split=zap,inval=immediate,"
	  "on_conflict=refuse,flush_batch=1,yield_threshold=0" },
	{ SPEC("upstream", T(PIN_LIMIT, 10), T(SCAN_RATIO, 100), T(SCAN_BUDGET, 1000000),
	       T(INHIBIT, PMP_INHIBIT_CLEAR)),
	  "max_level=1g,nx_huge_pages=on,pin=launch,pin_limit=10,recycle=allow,merge=scan,"
	  "scan_ratio=100,scan_budget=1000000,inhibit=clear,split=zap,inval=immediate,"
	  "on_conflict=refuse,flush_batch=1,yield_threshold=0" },
	/* The newer knobs against their presets' values. */
	{ SPEC("upstream", T(INVAL, PMP_INVAL_DEFER_2M), T(ON_CONFLICT, 1), T(FLUSH_BATCH, 4096),
	       T(YIELD_THRESHOLD, 1048576)),
	  "max_level=1g,nx_huge_pages=on,pin=launch,pin_limit=0,recycle=allow,merge=scan,"
	  "scan_ratio=60,scan_budget=4096,inhibit=oneway,split=zap,inval=defer-2m,"
	  "on_conflict=flush,flush_batch=4096,yield_threshold=1048576" },
	{ SPEC("recommended", T(INVAL, PMP_INVAL_IMMEDIATE), T(ON_CONFLICT, 0), T(FLUSH_BATCH, 1),
	       T(YIELD_THRESHOLD, 0)),
	  "max_level=1g,nx_huge_pages=off,pin=fault,pin_limit=0,recycle=refuse,merge=settled,"
	  "scan_ratio=1,scan_budget=4096,inhibit=clear,split=zap,inval=immediate,"
	  "on_conflict=refuse,flush_batch=1,yield_threshold=0" },
	{ SPEC("tdx-series", T(ON_CONFLICT, 1), T(FLUSH_BATCH, 4095), T(YIELD_THRESHOLD, 1048575)),
	  "max_level=2m,nx_huge_pages=off,pin=none,pin_limit=0,recycle=allow,merge=none,"
	  "scan_ratio=60,scan_budget=4096,inhibit=oneway,split=zap,inval=immediate,"
	  "on_conflict=flush,flush_batch=4095,yield_threshold=1048575" },
	{ SPEC("tdx-series", T(INVAL, PMP_INVAL_DEFER_2M), T(FLUSH_BATCH, 10),
	       T(YIELD_THRESHOLD, 100000)),
	  "max_level=2m,nx_huge_pages=off,pin=none,pin_limit=0,recycle=allow,merge=none,"
	  "scan_ratio=60,scan_budget=4096,inhibit=oneway,split=zap,inval=defer-2m,"
	  "on_conflict=refuse,flush_batch=10,yield_threshold=100000" },
};

START_TEST(test_format_exact)
{
	const struct format_case *c = &format_cases[_i];
	static char buf[256];
	struct pmp_policy p;

	build(&c->policy, &p);
	ck_assert_int_eq(pmp_policy_format(&p, buf, sizeof(buf)), (int)strlen(c->want));
	ck_assert_str_eq(buf, c->want);
}
END_TEST

START_TEST(test_format_upstream)
{
	struct pmp_policy p;
	static char buf[256];

	ck_assert_int_eq(pmp_policy_preset(&p, "upstream"), 0);
	ck_assert_int_eq(pmp_policy_format(&p, buf, sizeof(buf)),
			 (int)strlen("max_level=1g,nx_huge_pages=on,pin=launch,pin_limit=0,"
				     "recycle=allow,merge=scan,scan_ratio=60,scan_budget=4096,"
				     "inhibit=oneway,split=zap,inval=immediate,on_conflict=refuse,"
				     "flush_batch=1,yield_threshold=0"));
	ck_assert_str_eq(buf, "max_level=1g,nx_huge_pages=on,pin=launch,pin_limit=0,"
			      "recycle=allow,merge=scan,scan_ratio=60,scan_budget=4096,"
			      "inhibit=oneway,split=zap,inval=immediate,on_conflict=refuse,"
			      "flush_batch=1,yield_threshold=0");
}
END_TEST

START_TEST(test_format_too_small)
{
	static const char full_rec[] =
		"max_level=1g,nx_huge_pages=off,pin=fault,pin_limit=0,recycle=refuse,"
		"merge=settled,scan_ratio=1,scan_budget=4096,inhibit=clear,split=zap,"
		"inval=defer-2m,on_conflict=withdraw,flush_batch=16,yield_threshold=1048576";
	static const char cut_inval[] =
		"max_level=1g,nx_huge_pages=off,pin=fault,pin_limit=0,recycle=refuse,"
		"merge=settled,scan_ratio=1,scan_budget=4096,inhibit=clear,split=zap,"
		"inval=def";
	struct pmp_policy p;
	static char buf[64], big[256];

	ck_assert_int_eq(pmp_policy_preset(&p, "upstream"), 0);
	memset(buf, 'X', sizeof(buf));
	ck_assert_int_eq(pmp_policy_format(&p, buf, 5), -ENOSPC);
	ck_assert_int_eq(buf[4], '\0');
	ck_assert_str_eq(buf, "max_");
	/* Nothing written past @size. */
	ck_assert_int_eq(buf[5], 'X');

	/* Cut inside a number. */
	p.pin_limit = 4294967295U;
	memset(buf, 'X', sizeof(buf));
	ck_assert_int_eq(pmp_policy_format(&p, buf, 57), -ENOSPC);
	ck_assert_str_eq(buf, "max_level=1g,nx_huge_pages=on,pin=launch,pin_limit=42949");
	ck_assert_int_eq(buf[57], 'X');

	memset(buf, 'X', sizeof(buf));
	ck_assert_int_eq(pmp_policy_format(&p, buf, 1), -ENOSPC);
	ck_assert_int_eq(buf[0], '\0');
	ck_assert_int_eq(buf[1], 'X');

	/* Cut inside the last number, and one byte short of the whole string. */
	ck_assert_int_eq(pmp_policy_preset(&p, "recommended"), 0);
	p.yield_threshold = 1048576;
	memset(big, 'X', sizeof(big));
	ck_assert_int_eq(pmp_policy_format(&p, big, sizeof(full_rec) - 3), -ENOSPC);
	ck_assert_str_eq(big, "max_level=1g,nx_huge_pages=off,pin=fault,pin_limit=0,recycle=refuse,"
			      "merge=settled,scan_ratio=1,scan_budget=4096,inhibit=clear,"
			      "split=zap,inval=defer-2m,on_conflict=withdraw,flush_batch=16,"
			      "yield_threshold=1048");
	ck_assert_int_eq(big[sizeof(full_rec) - 3], 'X');
	memset(big, 'X', sizeof(big));
	ck_assert_int_eq(pmp_policy_format(&p, big, sizeof(full_rec) - 1), -ENOSPC);
	ck_assert_int_eq(strncmp(big, full_rec, sizeof(full_rec) - 2), 0);
	ck_assert_uint_eq(strlen(big), sizeof(full_rec) - 2);
	ck_assert_int_eq(big[sizeof(full_rec) - 1], 'X');
	/* Exactly enough room. */
	memset(big, 'X', sizeof(big));
	ck_assert_int_eq(pmp_policy_format(&p, big, sizeof(full_rec)), (int)sizeof(full_rec) - 1);
	ck_assert_str_eq(big, full_rec);
	ck_assert_int_eq(big[sizeof(full_rec)], 'X');

	/* Cut inside a newer enum value. */
	memset(big, 'X', sizeof(big));
	ck_assert_int_eq(pmp_policy_format(&p, big, sizeof(cut_inval)), -ENOSPC);
	ck_assert_str_eq(big, cut_inval);
	ck_assert_int_eq(big[sizeof(cut_inval)], 'X');
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
	static char full[256], buf[256];
	struct pmp_policy p;
	size_t len, size;
	unsigned int j;

	for (j = 0; valid_in_row(_i, j, &p); j++) {
		ck_assert_int_gt(pmp_policy_format(&p, full, sizeof(full)), 0);
		len = strlen(full);
		ck_assert_uint_lt(len + 1, sizeof(buf));

		memset(buf, 'X', sizeof(buf));
		ck_assert_int_eq(pmp_policy_format(&p, buf, len + 1), (int)len);
		ck_assert_str_eq(buf, full);
		ck_assert_int_eq(buf[len + 1], 'X');

		/*
		 * Every smaller size: -ENOSPC, the longest prefix that fits, nothing
		 * past it.  One check per size, not five: under CK_FORK every passing
		 * ck_assert reports its location to the parent, and this loop runs
		 * some 500000 times.
		 */
		for (size = len; size >= 1; size--) {
			int ret;

			memset(buf, 'X', sizeof(buf));
			ret = pmp_policy_format(&p, buf, size);
			if (ret != -ENOSPC || buf[size - 1] != '\0' || strlen(buf) != size - 1 ||
			    strncmp(buf, full, size - 1) != 0 || buf[size] != 'X')
				ck_abort_msg("size %zu of \"%s\": returned %d, wrote \"%.*s\", "
					     "byte past the end %#x", size, full, ret,
					     (int)size, buf, (unsigned char)buf[size]);
		}
	}
}
END_TEST

START_TEST(test_format_bad_args)
{
	struct pmp_policy p;
	static char buf[256];

	ck_assert_int_eq(pmp_policy_preset(&p, "upstream"), 0);
	ck_assert_int_eq(pmp_policy_format(NULL, buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(pmp_policy_format(&p, NULL, sizeof(buf)), -EINVAL);
}
END_TEST

START_TEST(test_invalid_policy)
{
	static char buf[256];
	struct pmp_policy p;
	char d[POLICY_DESC];

	build(&invalid_specs[_i], &p);
	ck_assert_msg(pmp_policy_validate(&p) == -EINVAL, "%s accepted", describe(&p, d));
	memset(buf, 'X', sizeof(buf));
	ck_assert_int_eq(pmp_policy_format(&p, buf, sizeof(buf)), -EINVAL);
	/* Invalid beats too small. */
	ck_assert_int_eq(pmp_policy_format(&p, buf, 1), -EINVAL);
	ck_assert_int_eq(pmp_policy_format(&p, NULL, 0), -EINVAL);
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
	struct pmp_geometry geo = test_geometry(1 << 20);
	struct pmp_policy p, want, first;
	unsigned int j;
	struct tvm t;

	tvm_init(&t, &geo);
	for (j = 0; valid_in_row(_i, j, &want); j++) {
		first = opposite(&want);
		ck_assert_int_eq(pmp_vm_set_policy(t.vm, &first), 0);
		pmp_vm_policy(t.vm, &p);
		ck_assert_policy_eq(p, first);

		ck_assert_int_eq(pmp_vm_set_policy(t.vm, &want), 0);
		pmp_vm_policy(t.vm, &p);
		ck_assert_policy_eq(p, want);
		ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	}
	tvm_free(&t);
}
END_TEST

START_TEST(test_vm_set_policy_invalid)
{
	struct pmp_geometry geo = test_geometry(1 << 20);
	struct pmp_policy bad, p, before;
	struct pmp_vm *other = NULL;
	void *mem;
	struct tvm t;

	build(&invalid_specs[_i], &bad);
	tvm_init(&t, &geo);
	ck_assert_int_eq(pmp_policy_preset(&before, "tdx-series"), 0);
	before.pin_limit = 1000;
	ck_assert_int_eq(pmp_vm_set_policy(t.vm, &before), 0);

	ck_assert_fails_clean(&t, -EINVAL, pmp_vm_set_policy(t.vm, &bad));
	pmp_vm_policy(t.vm, &p);
	ck_assert_policy_eq(p, before);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);

	/* A new VM refuses it too. */
	mem = aligned_alloc(64, (t.bytes + 63) & ~63ULL);
	ck_assert_ptr_nonnull(mem);
	ck_assert_int_eq(pmp_vm_init(mem, t.bytes, &geo, &bad, &other), -EINVAL);
	ck_assert_ptr_null(other);
	free(mem);
	tvm_free(&t);
}
END_TEST

START_TEST(test_vm_set_policy_null)
{
	struct pmp_geometry geo = test_geometry(1 << 20);
	struct pmp_policy p, want;
	struct tvm t;

	tvm_init(&t, &geo);
	ck_assert_fails_clean(&t, -EINVAL, pmp_vm_set_policy(t.vm, NULL));
	ck_assert_int_eq(pmp_policy_preset(&want, "recommended"), 0);
	pmp_vm_policy(t.vm, &p);
	ck_assert_policy_eq(p, want);
	tvm_free(&t);
}
END_TEST

/* ---- pmp_strerror() and pmp_version() ---- */

static const int known_errors[] = {
	0, -EINVAL, -ENOMEM, -ENOSPC, -ENOENT, -ERANGE, -EEXIST, -EBUSY, -EAGAIN, -EINTR,
	-EUCLEAN, -E2BIG,
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

	/* the header's version is the release's (the Makefile's): 0.5.0 said 0.4 */
	ck_assert_str_eq(pmp_version(), PMP_TEST_RELEASE);
	snprintf(want, sizeof(want), "%d.%d", PMP_VERSION_MAJOR, PMP_VERSION_MINOR);
	ck_assert_str_eq(pmp_version(), want);
}
END_TEST

Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc;

	tc = tcase_create("preset");
	tcase_add_test(tc, test_policy_layout);
	tcase_add_loop_test(tc, test_preset_loads, 0, ARRAY_SIZE(preset_cases));
	tcase_add_test(tc, test_preset_listing);
	tcase_add_loop_test(tc, test_preset_unknown, 0, ARRAY_SIZE(unknown_presets));
	tcase_add_test(tc, test_preset_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("validate");
	tcase_add_loop_test(tc, test_validate_valid, 0, NR_VALID_ROWS);
	tcase_add_test(tc, test_validate_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse_ok, 0, ARRAY_SIZE(parse_ok_cases));
	tcase_add_loop_test(tc, test_parse_value, 0, ARRAY_SIZE(value_cases));
	tcase_add_loop_test(tc, test_parse_error, 0, ARRAY_SIZE(parse_err_cases));
	tcase_add_loop_test(tc, test_parse_error_null_err, 0, ARRAY_SIZE(parse_err_cases));
	tcase_add_test(tc, test_parse_null_args);
	suite_add_tcase(s, tc);

	tc = tcase_create("format");
	tcase_add_loop_test(tc, test_format_preset_round_trip, 0, ARRAY_SIZE(preset_cases));
	tcase_add_loop_test(tc, test_format_round_trip, 0, NR_VALID_ROWS);
	tcase_add_loop_test(tc, test_format_exact, 0, ARRAY_SIZE(format_cases));
	tcase_add_test(tc, test_format_upstream);
	tcase_add_test(tc, test_format_too_small);
	tcase_add_test(tc, test_format_size_zero);
	tcase_add_loop_test(tc, test_format_exact_fit, 0, NR_VALID_ROWS);
	tcase_add_test(tc, test_format_bad_args);
	tcase_add_loop_test(tc, test_invalid_policy, 0, ARRAY_SIZE(invalid_specs));
	suite_add_tcase(s, tc);

	tc = tcase_create("vm");
	tcase_add_test(tc, test_vm_initial_policy);
	tcase_add_loop_test(tc, test_vm_set_policy, 0, NR_VALID_ROWS);
	tcase_add_loop_test(tc, test_vm_set_policy_invalid, 0, ARRAY_SIZE(invalid_specs));
	tcase_add_test(tc, test_vm_set_policy_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("strerror");
	tcase_add_loop_test(tc, test_strerror_known, 0, ARRAY_SIZE(known_errors));
	tcase_add_test(tc, test_strerror_unknown);
	tcase_add_test(tc, test_version);
	suite_add_tcase(s, tc);

	return s;
}
