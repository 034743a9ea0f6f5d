// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * pmp-replay --diff (diff.h).  The JSON is the tool's own (report.c), so a
 * small scanner suffices: "input", then per policy "label" and the
 * "metrics" object of integers.  Anything else is refused, never guessed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "diff.h"
#include "replay.h"

#define MAX_METRICS 64
#define MAX_JSON (16U << 20)

struct policy_row {
	char label[RP_LABEL];
	unsigned int n;
	char key[MAX_METRICS][40];
	uint64_t val[MAX_METRICS];
};

struct run_file {
	const char *path;
	char input[256];
	unsigned int n;
	struct policy_row pol[16];
};

/* The JSON string at @p (after optional blanks) into @dst; the byte after it, or NULL. */
static const char *string_at(const char *p, char *dst, size_t size)
{
	size_t o = 0;

	while (*p == ' ' || *p == '\n')
		p++;
	if (*p++ != '"')
		return NULL;
	for (; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1])
			p++;	/* the escaped byte itself (\u sequences stay as written) */
		if (o + 1 < size)
			dst[o++] = *p;
	}
	dst[o] = '\0';
	return *p == '"' ? p + 1 : NULL;
}

/* "KEY": value -> the value's first byte, searching from @p; NULL if absent. */
static const char *field(const char *p, const char *key)
{
	char pat[48];
	const char *at;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	at = strstr(p, pat);
	return at ? at + strlen(pat) : NULL;
}

/* The metrics object at @p into @row; false if malformed. */
static bool metrics(const char *p, struct policy_row *row)
{
	if (*p++ != '{')
		return false;
	while (*p && *p != '}') {
		char *end;

		if (row->n == MAX_METRICS || !(p = string_at(p, row->key[row->n],
							     sizeof(row->key[0]))))
			return false;
		if (*p++ != ':' || *p++ != ' ')
			return false;
		errno = 0;
		row->val[row->n++] = strtoull(p, &end, 10);
		if (end == p || errno)
			return false;
		p = end;
		if (*p == ',')
			p += 2;
	}
	return *p == '}';
}

static int load(const char *path, struct run_file *rf)
{
	static char buf[MAX_JSON + 1];
	const char *p, *q;
	FILE *f = fopen(path, "r");
	size_t n;

	memset(rf, 0, sizeof(*rf));
	rf->path = path;
	if (!f) {
		fprintf(stderr, "pmp-replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, MAX_JSON, f);
	buf[n] = '\0';
	if (ferror(f) || !feof(f)) {
		fprintf(stderr, "pmp-replay: %s: %s\n", path,
			ferror(f) ? strerror(errno) : "larger than 16 MiB: not a --json output");
		fclose(f);
		return -1;
	}
	fclose(f);
	if (strncmp(buf, "{\"input\": ", 10) || !string_at(buf + 10, rf->input, sizeof(rf->input)) ||
	    !(p = field(buf, "policies"))) {
		fprintf(stderr, "pmp-replay: %s: not the JSON of one pmp-replay --json run\n", path);
		return -1;
	}
	while ((q = field(p, "label")) && rf->n < 16) {
		struct policy_row *row = &rf->pol[rf->n++];

		if (!string_at(q, row->label, sizeof(row->label)) || !(p = field(q, "metrics")) ||
		    !metrics(p, row)) {
			fprintf(stderr, "pmp-replay: %s: policy %u: malformed metrics\n", path, rf->n);
			return -1;
		}
	}
	if (!rf->n) {
		fprintf(stderr, "pmp-replay: %s: no policies\n", path);
		return -1;
	}
	return 0;
}

static bool same_labels(const struct run_file *a, const struct run_file *b)
{
	unsigned int i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->pol[i].label, b->pol[i].label))
			return false;
	return true;
}

/* One pair: the metrics that changed; returns how many. */
static unsigned int pair(FILE *out, const struct policy_row *a, const struct policy_row *b)
{
	unsigned int i, k, changed = 0;

	fprintf(out, "\n%s  ->  %s\n", a->label, b->label);
	fprintf(out, "  %-26s %14s %14s %14s %9s\n", "metric", "A", "B", "B - A", "change");
	for (i = 0; i < a->n; i++) {
		for (k = 0; k < b->n && strcmp(a->key[i], b->key[k]); k++)
			;
		if (k == b->n || a->val[i] == b->val[k])
			continue;
		changed++;
		fprintf(out, "  %-26s %14" PRIu64 " %14" PRIu64 " %+14" PRId64, a->key[i],
			a->val[i], b->val[k], (int64_t)(b->val[k] - a->val[i]));
		if (a->val[i])
			fprintf(out, " %+8.2f%%\n",
				((double)b->val[k] - (double)a->val[i]) * 100.0 / (double)a->val[i]);
		else
			fprintf(out, " %9s\n", "new");
	}
	fprintf(out, "  (%u metrics changed, %u equal)\n", changed, a->n - changed);
	return changed;
}

int diff_runs(FILE *out, const char *a_path, const char *b_path)
{
	static struct run_file a, b;
	unsigned int i, n, changed = 0;
	bool by_label;

	if (load(a_path, &a) || load(b_path, &b))
		return 2;
	by_label = same_labels(&a, &b);
	n = a.n < b.n ? a.n : b.n;
	fprintf(out, "A: %s (%s)\nB: %s (%s)\npolicies paired %s\n", a.path, a.input, b.path,
		b.input, by_label ? "by label" : "in order");
	for (i = 0; i < n; i++)
		changed += pair(out, &a.pol[i], &b.pol[i]);
	if (a.n != b.n)
		fprintf(out, "\n%u policies only in %s\n", a.n > b.n ? a.n - n : b.n - n,
			a.n > b.n ? a.path : b.path);
	return changed || a.n != b.n ? 1 : 0;
}
