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

struct knob {
	const char *key;
	uint8_t offset;			/* of the uint8_t in struct pmp_policy */
	const struct knob_value *values; /* ends with a NULL name */
	const char *bad_value;		/* the parser's message for a bad value */
};

static const struct knob_value level_values[] = {
	{ "4k", PMP_LEVEL_4K }, { "2m", PMP_LEVEL_2M }, { "1g", PMP_LEVEL_1G }, { NULL, 0 },
};

static const struct knob_value on_off_values[] = {
	{ "on", 1 }, { "off", 0 }, { NULL, 0 },
};

static const struct knob knobs[] = {
	{ "max_level", __builtin_offsetof(struct pmp_policy, max_level), level_values,
	  "bad value for max_level (expected 4k, 2m or 1g)" },
	{ "nx_huge_pages", __builtin_offsetof(struct pmp_policy, nx_huge_pages), on_off_values,
	  "bad value for nx_huge_pages (expected on or off)" },
};

#define NR_KNOBS (sizeof(knobs) / sizeof(knobs[0]))

struct preset {
	const char *name;
	struct pmp_policy policy;
};

/*
 * upstream: KVM 6.18 defaults; nx_huge_pages=auto is on for hosts with the
 * iTLB multihit erratum, which is what we model.
 * tdx-series: the TDX huge-page RFCs map private memory at 2 MiB at most and
 * do not split it for NX.
 * recommended: this project's; identical to upstream for eligibility.
 */
static const struct preset presets[] = {
	{ "upstream", { .max_level = PMP_LEVEL_1G, .nx_huge_pages = 1 } },
	{ "tdx-series", { .max_level = PMP_LEVEL_2M, .nx_huge_pages = 0 } },
	{ "recommended", { .max_level = PMP_LEVEL_1G, .nx_huge_pages = 1 } },
};

#define NR_PRESETS (sizeof(presets) / sizeof(presets[0]))

const struct pmp_policy pmp_default_policy = {
	.max_level = PMP_LEVEL_1G, .nx_huge_pages = 1,
};

static uint8_t *knob_ptr(struct pmp_policy *p, const struct knob *k)
{
	return (uint8_t *)p + k->offset;
}

static uint8_t knob_get(const struct pmp_policy *p, const struct knob *k)
{
	return *((const uint8_t *)p + k->offset);
}

/* Does [s, s + n) spell @word exactly? */
static bool token_is(const char *s, size_t n, const char *word)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!word[i] || word[i] != s[i])
			return false;
	return !word[n];
}

static const struct knob_value *knob_value_find(const struct knob *k, const char *s, size_t n)
{
	const struct knob_value *v;

	for (v = k->values; v->name; v++)
		if (token_is(s, n, v->name))
			return v;
	return NULL;
}

static const struct knob_value *knob_value_of(const struct knob *k, uint8_t value)
{
	const struct knob_value *v;

	for (v = k->values; v->name; v++)
		if (v->value == value)
			return v;
	return NULL;
}

int pmp_policy_validate(const struct pmp_policy *policy)
{
	unsigned int i;

	if (!policy)
		return -EINVAL;
	for (i = 0; i < NR_KNOBS; i++)
		if (!knob_value_of(&knobs[i], knob_get(policy, &knobs[i])))
			return -EINVAL;
	return 0;
}

static const struct preset *preset_find(const char *s, size_t n)
{
	unsigned int i;

	for (i = 0; i < NR_PRESETS; i++)
		if (token_is(s, n, presets[i].name))
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
	const struct knob_value *v;
	const struct preset *preset;
	size_t klen;
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
		if (token_is(item, klen, knobs[i].key))
			break;
	if (i == NR_KNOBS)
		return parse_error(err, str, item, klen, "unknown key");
	v = knob_value_find(&knobs[i], item + klen + 1, n - klen - 1);
	if (!v)
		return parse_error(err, str, item + klen + 1, n - klen - 1, knobs[i].bad_value);
	*knob_ptr(p, &knobs[i]) = v->value;
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
		append(buf, size, &len, knob_value_of(&knobs[i], knob_get(policy, &knobs[i]))->name);
	}
	if (size)
		buf[len < size ? len : size - 1] = '\0';
	return len < size ? (int)len : -ENOSPC;
}
