// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Policy presets and the "preset,key=value,..." string form.  The knob
 * table drives the parser, the formatter and validation alike, so a new
 * knob is one row.
 */
#include "internal.h"

struct knob_value {
	const char *name;
	uint8_t value;
};

/*
 * A knob is a uint8_t chosen from named @values, or a uint32_t number in
 * [@min, @max] when @values is NULL.
 */
struct knob {
	const char *key;
	uint8_t offset;			/* in struct pmp_policy */
	const struct knob_value *values; /* ends with a NULL name */
	uint32_t min, max;
	const char *bad_value;		/* the parser's message for a bad value */
};

static const struct knob_value level_values[] = {
	{ "4k", PMP_LEVEL_4K }, { "2m", PMP_LEVEL_2M }, { "1g", PMP_LEVEL_1G }, { NULL, 0 },
};
static const struct knob_value on_off_values[] = { { "on", 1 }, { "off", 0 }, { NULL, 0 } };
static const struct knob_value pin_values[] = {
	{ "none", PMP_PIN_NONE }, { "launch", PMP_PIN_LAUNCH }, { "fault", PMP_PIN_FAULT },
	{ NULL, 0 },
};
static const struct knob_value recycle_values[] = {
	{ "allow", 1 }, { "refuse", 0 }, { NULL, 0 },
};
static const struct knob_value merge_values[] = {
	{ "none", PMP_MERGE_NONE }, { "scan", PMP_MERGE_SCAN }, { "fault", PMP_MERGE_FAULT },
	{ "blocked", PMP_MERGE_BLOCKED }, { "settled", PMP_MERGE_SETTLED }, { NULL, 0 },
};
static const struct knob_value inhibit_values[] = {
	{ "oneway", PMP_INHIBIT_ONEWAY }, { "clear", PMP_INHIBIT_CLEAR }, { NULL, 0 },
};
static const struct knob_value inval_values[] = {
	{ "immediate", PMP_INVAL_IMMEDIATE }, { "defer-2m", PMP_INVAL_DEFER_2M }, { NULL, 0 },
};
static const struct knob_value conflict_values[] = {
	{ "flush", PMP_CONFLICT_FLUSH }, { "refuse", PMP_CONFLICT_REFUSE },
	{ "withdraw", PMP_CONFLICT_WITHDRAW }, { NULL, 0 },
};
static const struct knob_value split_values[] = {
	{ "zap", PMP_SPLIT_ZAP }, { "inplace", PMP_SPLIT_INPLACE }, { NULL, 0 },
};

#define ENUM_KNOB(field, vals, msg) \
	{ #field, __builtin_offsetof(struct pmp_policy, field), vals, 0, 0, msg }
#define NUM_KNOB(field, lo, hi, msg) \
	{ #field, __builtin_offsetof(struct pmp_policy, field), NULL, lo, hi, msg }

static const struct knob knobs[] = {
	ENUM_KNOB(max_level, level_values, "bad value for max_level (expected 4k, 2m or 1g)"),
	ENUM_KNOB(nx_huge_pages, on_off_values,
		  "bad value for nx_huge_pages (expected on or off)"),
	ENUM_KNOB(pin, pin_values, "bad value for pin (expected none, launch or fault)"),
	NUM_KNOB(pin_limit, 0, 0xffffffffU,
		 "bad value for pin_limit (expected pages, 0 for no limit)"),
	ENUM_KNOB(recycle, recycle_values, "bad value for recycle (expected allow or refuse)"),
	ENUM_KNOB(merge, merge_values,
		  "bad value for merge (expected none, scan, fault, blocked or settled)"),
	NUM_KNOB(scan_ratio, 1, 1000, "bad value for scan_ratio (expected 1 to 1000)"),
	NUM_KNOB(scan_budget, 1, 1U << 24, "bad value for scan_budget (expected 1 to 16777216)"),
	ENUM_KNOB(inhibit, inhibit_values, "bad value for inhibit (expected oneway or clear)"),
	ENUM_KNOB(split, split_values, "bad value for split (expected zap or inplace)"),
	ENUM_KNOB(inval, inval_values, "bad value for inval (expected immediate or defer-2m)"),
	{ "on_conflict", __builtin_offsetof(struct pmp_policy, conflict_flush), conflict_values, 0,
	  0, "bad value for on_conflict (expected flush, refuse or withdraw)" },
	NUM_KNOB(flush_batch, 1, 4096, "bad value for flush_batch (expected 1 to 4096)"),
	NUM_KNOB(yield_threshold, 0, 1U << 20,
		 "bad value for yield_threshold (expected 0 to 1048576)"),
};

#define NR_KNOBS (sizeof(knobs) / sizeof(knobs[0]))

struct preset {
	const char *name;
	struct pmp_policy policy;
};

/*
 * upstream: KVM 6.18.  nx_huge_pages=auto is on for hosts with the iTLB
 * multihit erratum, which is what we model; SEV pins at launch
 * (KVM_MEMORY_ENCRYPT_REG_REGION); attribute changes zap; the NX recovery
 * worker's ratio is 60; GUEST_INHIBIT is one-way; punches are invalidated at
 * once, a TLB flush each; mmu_sync_children() yields whenever asked.
 * tdx-series: the TDX huge-page RFCs: private memory at 2 MiB at most, not
 * split for NX, split before zap, never merged.
 * recommended: this project's, each knob with its replay evidence in
 * docs/policies.md: a host without the iTLB multihit erratum (every CPU
 * that runs TDX or SNP), split by zapping except what zapping would lose,
 * merge what stayed ready for a tick, every candidate a tick reaches,
 * deferred punches withdrawn by a conversion back to private.
 */
static const struct preset presets[] = {
	{ "upstream", { .max_level = PMP_LEVEL_1G, .nx_huge_pages = 1, .pin = PMP_PIN_LAUNCH,
			.recycle = 1, .merge = PMP_MERGE_SCAN, .inhibit = PMP_INHIBIT_ONEWAY,
			.split = PMP_SPLIT_ZAP, .scan_ratio = 60, .scan_budget = 4096,
			.inval = PMP_INVAL_IMMEDIATE, .conflict_flush = 0, .flush_batch = 1,
			.yield_threshold = 0 } },
	{ "tdx-series", { .max_level = PMP_LEVEL_2M, .nx_huge_pages = 0, .pin = PMP_PIN_NONE,
			  .recycle = 1, .merge = PMP_MERGE_NONE, .inhibit = PMP_INHIBIT_ONEWAY,
			  .split = PMP_SPLIT_ZAP, .scan_ratio = 60, .scan_budget = 4096,
			  .inval = PMP_INVAL_IMMEDIATE, .conflict_flush = 0, .flush_batch = 1,
			  .yield_threshold = 0 } },
	{ "recommended", { .max_level = PMP_LEVEL_1G, .nx_huge_pages = 0, .pin = PMP_PIN_FAULT,
			   .recycle = 0, .merge = PMP_MERGE_SETTLED,
			   .inhibit = PMP_INHIBIT_CLEAR, .split = PMP_SPLIT_ZAP,
			   .scan_ratio = 1, .scan_budget = 4096, .inval = PMP_INVAL_DEFER_2M,
			   .conflict_flush = PMP_CONFLICT_WITHDRAW, .flush_batch = 16,
			   .yield_threshold = 16 } },
};

#define NR_PRESETS (sizeof(presets) / sizeof(presets[0]))

const struct pmp_policy *pmp_default_policy(void)
{
	return &presets[NR_PRESETS - 1].policy;	/* recommended */
}

static uint32_t knob_get(const struct pmp_policy *p, const struct knob *k)
{
	const uint8_t *field = (const uint8_t *)p + k->offset;
	uint32_t v;

	if (k->values)
		return *field;
	pmp_memcpy(&v, field, sizeof(v));
	return v;
}

static void knob_set(struct pmp_policy *p, const struct knob *k, uint32_t v)
{
	uint8_t *field = (uint8_t *)p + k->offset;

	if (k->values)
		*field = (uint8_t)v;
	else
		pmp_memcpy(field, &v, sizeof(v));
}


static const struct knob_value *knob_value_of(const struct knob *k, uint32_t value)
{
	const struct knob_value *v;

	for (v = k->values; v->name; v++)
		if (v->value == value)
			return v;
	return NULL;
}

static bool knob_valid(const struct knob *k, uint32_t v)
{
	return k->values ? knob_value_of(k, v) != NULL : v >= k->min && v <= k->max;
}

/* A decimal number that fits in 32 bits, no sign, no leading garbage. */
static bool parse_u32(const char *s, size_t n, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!n || n > 10)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > 0xffffffffULL)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* Parse a value for knob @k; false if it is not one. */
static bool knob_parse(const struct knob *k, const char *s, size_t n, uint32_t *out)
{
	const struct knob_value *v;

	if (!k->values)
		return parse_u32(s, n, out) && knob_valid(k, *out);
	for (v = k->values; v->name; v++) {
		if (pmp_token_is(s, n, v->name)) {
			*out = v->value;
			return true;
		}
	}
	return false;
}

int pmp_policy_validate(const struct pmp_policy *policy)
{
	unsigned int i;

	if (!policy)
		return -EINVAL;
	for (i = 0; i < NR_KNOBS; i++)
		if (!knob_valid(&knobs[i], knob_get(policy, &knobs[i])))
			return -EINVAL;
	return policy->pad || policy->pad2[0] || policy->pad2[1] ? -EINVAL : 0;
}

static const struct preset *preset_find(const char *s, size_t n)
{
	unsigned int i;

	for (i = 0; i < NR_PRESETS; i++)
		if (pmp_token_is(s, n, presets[i].name))
			return &presets[i];
	return NULL;
}

static size_t str_len(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int pmp_policy_preset(struct pmp_policy *policy, const char *name)
{
	const struct preset *p;

	if (!policy || !name)
		return -EINVAL;
	p = preset_find(name, str_len(name));
	if (!p)
		return -EINVAL;
	*policy = p->policy;
	return 0;
}

const char *pmp_policy_preset_name(unsigned int i)
{
	return i < NR_PRESETS ? presets[i].name : NULL;
}

static int parse_error(struct pmp_parse_error *err, const char *str, const char *at,
		       size_t len, const char *message)
{
	if (err) {
		err->column = (uint32_t)(at - str) + 1;
		err->length = (uint32_t)len;
		err->message = message;
	}
	return -EINVAL;
}

/* One comma-separated item: a preset name or key=value. */
static int parse_item(struct pmp_policy *p, const char *str, const char *item, size_t n,
		      struct pmp_parse_error *err)
{
	const struct preset *preset;
	size_t klen;
	uint32_t v;
	unsigned int i;

	for (klen = 0; klen < n && item[klen] != '='; klen++)
		;
	if (!n)
		return parse_error(err, str, item, 0, "empty item");
	if (klen == n) {
		preset = preset_find(item, n);
		if (!preset)
			return parse_error(err, str, item, n, "unknown preset (or missing '=value')");
		*p = preset->policy;
		return 0;
	}
	for (i = 0; i < NR_KNOBS; i++)
		if (pmp_token_is(item, klen, knobs[i].key))
			break;
	if (i == NR_KNOBS)
		return parse_error(err, str, item, klen, "unknown key");
	if (!knob_parse(&knobs[i], item + klen + 1, n - klen - 1, &v))
		return parse_error(err, str, item + klen + 1, n - klen - 1, knobs[i].bad_value);
	knob_set(p, &knobs[i], v);
	return 0;
}

int pmp_policy_parse(struct pmp_policy *policy, const char *str, struct pmp_parse_error *err)
{
	struct pmp_policy next;
	const char *item;
	int ret;

	if (!policy || !str)
		return -EINVAL;
	next = *policy;
	for (item = str; *str;) {
		size_t n = 0;

		while (item[n] && item[n] != ',')
			n++;
		ret = parse_item(&next, str, item, n, err);
		if (ret)
			return ret;
		if (!item[n])
			break;
		item += n + 1;
		if (!*item)
			return parse_error(err, str, item, 0, "empty item");
	}
	*policy = next;
	return 0;
}

/* Append @s at *@len of @buf, truncating; the final length says if it fit. */
static void append(char *buf, size_t size, size_t *len, const char *s)
{
	for (; *s; s++, (*len)++)
		if (*len + 1 < size)
			buf[*len] = *s;
}

static void append_u32(char *buf, size_t size, size_t *len, uint32_t v)
{
	char digits[11];
	int i = 10;

	digits[i] = '\0';
	do {
		digits[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	append(buf, size, len, digits + i);
}

int pmp_policy_format(const struct pmp_policy *policy, char *buf, size_t size)
{
	size_t len = 0;
	unsigned int i;

	if (pmp_policy_validate(policy) || (!buf && size))
		return -EINVAL;
	for (i = 0; i < NR_KNOBS; i++) {
		if (i)
			append(buf, size, &len, ",");
		append(buf, size, &len, knobs[i].key);
		append(buf, size, &len, "=");
		if (knobs[i].values)
			append(buf, size, &len,
			       knob_value_of(&knobs[i], knob_get(policy, &knobs[i]))->name);
		else
			append_u32(buf, size, &len, knob_get(policy, &knobs[i]));
	}
	if (size)
		buf[len < size ? len : size - 1] = '\0';
	return len < size ? (int)len : -ENOSPC;
}
