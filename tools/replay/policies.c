// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The --policy list (policies.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "policies.h"

static bool is_preset(const char *s, size_t len)
{
	const char *name;
	unsigned int i;

	for (i = 0; (name = pmp_policy_preset_name(i)); i++)
		if (strlen(name) == len && !strncmp(name, s, len))
			return true;
	return false;
}

/* "MESSAGE" then the argument and a caret line under [column, column + length). */
static int caret(const char *arg, size_t column, size_t length, const char *message,
		 char *err, size_t errlen)
{
	int n = snprintf(err, errlen, "column %zu: %s\n  %s\n  %*s", column, message, arg,
			 (int)column, "^");
	size_t i;

	for (i = 1; i < length && n > 0 && (size_t)n + 1 < errlen; i++, n++)
		err[n] = '^', err[n + 1] = '\0';
	return -EINVAL;
}

/* One policy: @arg[start, end). */
static int add_one(struct policy_list *l, const char *arg, size_t start, size_t end, char *err,
		   size_t errlen)
{
	struct pmp_parse_error e = { 0 };
	struct pmp_policy *p;
	char *label;

	if (l->n == RP_MAX_POLICIES)
		return caret(arg, start + 1, end - start, "too many policies (at most 16)", err,
			     errlen);
	if (end - start >= RP_LABEL)
		return caret(arg, start + 1, end - start, "policy string too long", err, errlen);
	p = &l->policy[l->n];
	label = l->label[l->n];
	memcpy(label, arg + start, end - start);
	label[end - start] = '\0';
	pmp_policy_preset(p, "recommended");
	if (!*label || pmp_policy_parse(p, label, &e))
		return caret(arg, start + (*label ? e.column : 1), *label ? e.length : 1,
			     *label ? e.message : "empty policy", err, errlen);
	l->labels[l->n] = label;
	l->n++;
	return 0;
}

int policy_list_add(struct policy_list *l, const char *arg, char *err, size_t errlen)
{
	size_t start = 0, at = 0, len = strlen(arg);
	int ret;

	while (at <= len) {
		size_t tok = strcspn(arg + at, ","), next = at + tok + 1;

		/* a preset name after a comma starts the next policy */
		if (next <= len && is_preset(arg + next, strcspn(arg + next, ","))) {
			ret = add_one(l, arg, start, at + tok, err, errlen);
			if (ret)
				return ret;
			start = next;
		}
		at = next;
	}
	return add_one(l, arg, start, len, err, errlen);
}
