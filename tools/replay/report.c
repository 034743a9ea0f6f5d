// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * pmp-replay's tables and JSON (report.h), both driven by one list of
 * metrics so they always say the same thing.
 */
#include <stddef.h>
#include <string.h>
#include "report.h"

#define NAME_W 27
#define COL_W 12
#define COLS 5		/* policies per table block: 27 + 6 * 12 = 99 columns */

enum kind { PCT, COUNT };

struct metric {
	const char *title;
	const char *key;
	enum kind kind;
	size_t off;					/* a uint64_t in struct rp_run, or */
	uint64_t (*get)(const struct replay *r, int run);	/* run -1: the oracle */
	bool oracle;
};

static uint64_t cov_end(const struct replay *r, int i)
{
	return rp_bp(i < 0 ? r->oracle_end : r->runs[i].c.huge_end, r->mem_end);
}

static uint64_t cov_mean(const struct replay *r, int i)
{
	return report_mean_bp(r, i);
}

static uint64_t giant_end(const struct replay *r, int i)
{
	return rp_bp(r->runs[i].c.giant_end, r->mem_end);
}

static uint64_t sum(const uint64_t *per_type)
{
	uint64_t n = 0;
	unsigned int t;

	for (t = 0; t < PMP_TR_NR; t++)
		n += per_type[t];
	return n;
}

static uint64_t refused(const struct replay *r, int i)
{
	return sum(r->runs[i].c.refused);
}

static uint64_t invalid(const struct replay *r, int i)
{
	return sum(r->runs[i].c.invalid);
}

#define AT(field) offsetof(struct rp_run, field)

static const struct metric metrics[] = {
	{ "2M+ coverage at end", "coverage_end_bp", PCT, 0, cov_end, true },
	{ "2M+ coverage, mean", "coverage_mean_bp", PCT, 0, cov_mean, true },
	{ "1G coverage at end", "giant_end_bp", PCT, 0, giant_end, false },
	{ "faults mapped 4K", "faults_4k", COUNT, AT(c.faults[PMP_LEVEL_4K]), NULL, false },
	{ "faults mapped 2M", "faults_2m", COUNT, AT(c.faults[PMP_LEVEL_2M]), NULL, false },
	{ "faults mapped 1G", "faults_1g", COUNT, AT(c.faults[PMP_LEVEL_1G]), NULL, false },
	{ "accesses with no fault", "faults_avoided", COUNT, AT(c.faults_avoided), NULL, false },
	{ "faults on blocked leaves", "faults_blocked", COUNT, AT(c.faults_blocked), NULL, false },
	{ "faults of accepts", "faults_accept", COUNT, AT(c.faults_implied), NULL, false },
	{ "splits", "splits", COUNT, AT(st.decision[PMP_DECISION_SPLIT].applied), NULL, false },
	{ "merges at ticks", "merges_tick", COUNT, AT(c.promotes_tick), NULL, false },
	{ "merges at faults", "merges_fault", COUNT, AT(c.promotes_fault), NULL, false },
	{ "merges at accepts", "merges_accept", COUNT, AT(c.promotes_accept), NULL, false },
	{ "  of which to 1G", "merges_1g", COUNT, AT(st.promoted[PMP_LEVEL_1G]), NULL, false },
	{ "blocks by merge ticks", "merge_blocks", COUNT, AT(c.merge_blocks), NULL, false },
	{ "pages pinned", "pinned_pages", COUNT, AT(c.pinned), NULL, false },
	{ "pin high-water (pages)", "pin_high_water", COUNT, AT(st.pin_high_water), NULL, false },
	{ "invalidations", "invalidations", COUNT, AT(c.inval), NULL, false },
	{ "  of whole huge folios", "invalidations_whole", COUNT, AT(c.inval_whole), NULL, false },
	{ "TLB flushes", "tlb_flushes", COUNT, AT(c.flushes), NULL, false },
	{ "write-locked events", "write_locked_events", COUNT, AT(st.write_locked), NULL, false },
	{ "write-locked actions", "write_locked_actions", COUNT, AT(c.wlock_actions), NULL, false },
	{ "scan work (2M ranges)", "scan_work", COUNT, AT(st.scan_work), NULL, false },
	{ "events refused", "refused", COUNT, 0, refused, false },
	{ "events invalid", "invalid", COUNT, 0, invalid, false },
};

#define NR_METRICS (sizeof(metrics) / sizeof(metrics[0]))

static uint64_t value(const struct metric *m, const struct replay *r, int i)
{
	uint64_t v;

	if (m->get)
		return m->get(r, i);
	memcpy(&v, (const char *)&r->runs[i] + m->off, sizeof(v));
	return v;
}

uint64_t report_mean_bp(const struct replay *r, int run)
{
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; i < r->nr_samples; i++) {
		const struct rp_sample *s = replay_sample(r, i);

		sum += rp_bp(run < 0 ? s->oracle : s->huge[run], s->mem);
	}
	return r->nr_samples ? sum / r->nr_samples : 0;
}

char *report_count(uint64_t v, char *buf, size_t size)
{
	char digits[24];
	size_t n, i, o = 0;

	n = (size_t)snprintf(digits, sizeof(digits), "%llu", (unsigned long long)v);
	for (i = 0; i < n && o + 2 < size; i++) {
		buf[o++] = digits[i];
		if ((n - i - 1) % 3 == 0 && i + 1 < n)
			buf[o++] = ',';
	}
	buf[o] = '\0';
	return buf;
}

size_t report_utf8_len(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t cp;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1fU;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0fU;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07U;
	else
		return 0;
	for (i = 1; i < n; i++) {	/* stops at a NUL: it is no continuation byte */
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fU);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static char *pct(uint64_t bp, char *buf, size_t size)
{
	snprintf(buf, size, "%llu.%02llu%%", (unsigned long long)(bp / 100),
		 (unsigned long long)(bp % 100));
	return buf;
}

static const char *type_name(uint32_t t)
{
	static const char *const names[] = { "default", "sev", "snp", "tdx" };

	return t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

void report_describe(const struct replay *r, char *buf, size_t size)
{
	char events[32];
	unsigned int i, slots = 0;

	for (i = 0; i < r->slots.nr_ids; i++)
		slots += r->slots.used[i];
	snprintf(buf, size, "%s VM, %llu MiB in %u memslot%s, %u vCPUs, %s events",
		 type_name(r->vm_event.vm_type), (unsigned long long)(r->mem_end >> 8), slots,
		 slots == 1 ? "" : "s", r->vm_event.nr_vcpus,
		 report_count(r->events, events, sizeof(events)));
}

/* A column title: the label if it fits, else P1, P2, ... and a legend below. */
static bool fits(const char *label)
{
	return strlen(label) < COL_W;
}

static void table_block(FILE *f, const struct replay *r, unsigned int first, unsigned int n)
{
	char buf[32], name[16];
	unsigned int m, i;

	fprintf(f, "%-*s%*s", NAME_W, "", COL_W, "oracle");
	for (i = first; i < first + n; i++) {
		snprintf(name, sizeof(name), "P%u", i + 1);
		fprintf(f, "%*s", COL_W, fits(r->runs[i].label) ? r->runs[i].label : name);
	}
	fputc('\n', f);
	for (m = 0; m < NR_METRICS; m++) {
		const struct metric *mt = &metrics[m];

		fprintf(f, "%-*s%*s", NAME_W, mt->title, COL_W,
			mt->oracle ? pct(mt->get(r, -1), buf, sizeof(buf)) : "-");
		for (i = first; i < first + n; i++) {
			uint64_t v = value(mt, r, (int)i);

			fprintf(f, "%*s", COL_W, mt->kind == PCT ? pct(v, buf, sizeof(buf)) :
				report_count(v, buf, sizeof(buf)));
		}
		fputc('\n', f);
	}
}

void report_table(FILE *f, const struct rp_input *in, const struct replay *r)
{
	char what[160];
	unsigned int i;
	bool blank;

	report_describe(r, what, sizeof(what));
	fprintf(f, "%s%s%s%s: %s\n", in->workload ? "workload " : "", in->name,
		in->params && *in->params ? ":" : "", in->params ? in->params : "", what);
	for (i = 0; i < r->nr_runs; i += COLS) {
		fputc('\n', f);
		table_block(f, r, i, r->nr_runs - i < COLS ? r->nr_runs - i : COLS);
	}
	for (i = 0, blank = true; i < r->nr_runs; i++) {
		if (fits(r->runs[i].label))
			continue;
		fprintf(f, "%sP%u = %s\n", blank ? "\n" : "", i + 1, r->runs[i].label);
		blank = false;
	}
}

/* --- JSON --- */

/* A JSON string: escaped, and always UTF-8 (a file name need not be). */
static void json_string(FILE *f, const char *s)
{
	size_t n;

	fputc('"', f);
	for (; *s; s += n ? n : 1) {
		unsigned char c = (unsigned char)*s;

		n = report_utf8_len(s);
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else if (!n)
			fputs("\\ufffd", f);
		else
			fwrite(s, 1, n, f);
	}
	fputc('"', f);
}

static void json_samples(FILE *f, const struct replay *r, int run)
{
	unsigned int i;

	fputc('[', f);
	for (i = 0; i < r->nr_samples; i++) {
		const struct rp_sample *s = replay_sample(r, i);
		uint64_t v = run == -2 ? s->event : run == -3 ? s->mem : run < 0 ? s->oracle :
			     s->huge[run];

		fprintf(f, "%s%llu", i ? "," : "", (unsigned long long)v);
	}
	fputc(']', f);
}

static void json_policy(FILE *f, const struct replay *r, unsigned int i)
{
	char canon[512];
	unsigned int m, t;

	fputs("    {\"label\": ", f);
	json_string(f, r->runs[i].label);
	if (pmp_policy_format(&r->runs[i].policy, canon, sizeof(canon)) < 0)
		canon[0] = '\0';
	fputs(", \"policy\": ", f);
	json_string(f, canon);
	fputs(",\n     \"metrics\": {", f);
	for (m = 0; m < NR_METRICS; m++)
		fprintf(f, "%s\"%s\": %llu", m ? ", " : "", metrics[m].key,
			(unsigned long long)value(&metrics[m], r, (int)i));
	fputs("},\n     \"refused\": {", f);
	for (t = 0; t < PMP_TR_NR; t++)
		fprintf(f, "%s\"%s\": %llu", t ? ", " : "", pmp_trace_type_name(t),
			(unsigned long long)r->runs[i].c.refused[t]);
	fputs("},\n     \"invalid\": {", f);
	for (t = 0; t < PMP_TR_NR; t++)
		fprintf(f, "%s\"%s\": %llu", t ? ", " : "", pmp_trace_type_name(t),
			(unsigned long long)r->runs[i].c.invalid[t]);
	fputs("},\n     \"huge_pages\": ", f);
	json_samples(f, r, (int)i);
	fprintf(f, "}%s\n", i + 1 < r->nr_runs ? "," : "");
}

void report_json(FILE *f, const struct rp_input *in, const struct replay *r)
{
	const struct pmp_trace_event *vm = &r->vm_event;
	unsigned int i;

	fputs("{\"input\": ", f);
	json_string(f, in->name);
	fprintf(f, ", \"workload\": %s, \"params\": ", in->workload ? "true" : "false");
	json_string(f, in->params ? in->params : "");
	fputs(",\n \"vm\": {\"type\": ", f);
	json_string(f, type_name(vm->vm_type));
	fprintf(f, ", \"gfn_end\": %llu, \"vcpus\": %u, \"vtls\": %u},\n",
		(unsigned long long)vm->gfn_end, vm->nr_vcpus, vm->nr_vtls);
	fprintf(f, " \"events\": %llu, \"guest_pages\": %llu, \"oracle_exceeded\": %llu,\n",
		(unsigned long long)r->events, (unsigned long long)r->mem_end,
		(unsigned long long)r->oracle_exceeded);
	fprintf(f, " \"oracle\": {\"coverage_end_bp\": %llu, \"coverage_mean_bp\": %llu},\n",
		(unsigned long long)cov_end(r, -1), (unsigned long long)report_mean_bp(r, -1));
	fputs(" \"samples\": {\"event\": ", f);
	json_samples(f, r, -2);
	fputs(",\n  \"guest_pages\": ", f);
	json_samples(f, r, -3);
	fputs(",\n  \"oracle_pages\": ", f);
	json_samples(f, r, -1);
	fputs("},\n \"policies\": [\n", f);
	for (i = 0; i < r->nr_runs; i++)
		json_policy(f, r, i);
	fputs(" ]}\n", f);
}

/* --- CSV --- */

/* A CSV field: quoted, quotes doubled; UTF-8 as in JSON. */
static void csv_string(FILE *f, const char *s)
{
	size_t n;

	fputc('"', f);
	for (; *s; s += n ? n : 1) {
		n = report_utf8_len(s);
		if (*s == '"')
			fputs("\"\"", f);
		else if (!n || (unsigned char)*s < 0x20)
			fputs("\xef\xbf\xbd", f);
		else
			fwrite(s, 1, n, f);
	}
	fputc('"', f);
}

void report_csv(FILE *f, const struct rp_input *in, const struct replay *r)
{
	char canon[512];
	unsigned int m, i;

	fputs("input,label,policy", f);
	for (m = 0; m < NR_METRICS; m++)
		fprintf(f, ",%s", metrics[m].key);
	fputs("\r\n", f);
	for (i = 0; i < r->nr_runs; i++) {
		csv_string(f, in->name);
		fputc(',', f);
		csv_string(f, r->runs[i].label);
		fputc(',', f);
		if (pmp_policy_format(&r->runs[i].policy, canon, sizeof(canon)) < 0)
			canon[0] = '\0';
		csv_string(f, canon);
		for (m = 0; m < NR_METRICS; m++)
			fprintf(f, ",%llu", (unsigned long long)value(&metrics[m], r, (int)i));
		fputs("\r\n", f);
	}
	csv_string(f, in->name);
	fputs(",\"oracle\",", f);
	for (m = 0; m < NR_METRICS; m++) {
		fputc(',', f);
		if (metrics[m].oracle)
			fprintf(f, "%llu", (unsigned long long)metrics[m].get(r, -1));
	}
	fputs("\r\n", f);
}

/* --- the demo's compact table --- */

/* Three significant figures in at most 6 characters: 12345, 123k, 1.23M. */
static char *brief(uint64_t v, char *buf, size_t size)
{
	if (v < 100000)
		snprintf(buf, size, "%llu", (unsigned long long)v);
	else if (v < 1000000)
		snprintf(buf, size, "%lluk", (unsigned long long)(v / 1000));
	else if (v < 10000000)
		snprintf(buf, size, "%llu.%02lluM", (unsigned long long)(v / 1000000),
			 (unsigned long long)(v / 10000 % 100));
	else if (v < 100000000)
		snprintf(buf, size, "%llu.%lluM", (unsigned long long)(v / 1000000),
			 (unsigned long long)(v / 100000 % 10));
	else
		snprintf(buf, size, "%lluM", (unsigned long long)(v / 1000000));
	return buf;
}

void report_compact_header(FILE *f)
{
	fprintf(f, "%-13s%8s%8s%7s%7s%7s%7s%7s%7s%7s%7s%7s\n", "policy", "2M+ end", "2M+ avg",
		"faults", "splits", "merges", "blocks", "pin-hw", "inval", "flush", "wlock",
		"scan");
}

void report_compact(FILE *f, const struct rp_input *in, const struct replay *r)
{
	char what[160], b[11][32];
	unsigned int i;

	report_describe(r, what, sizeof(what));
	fprintf(f, "%s: %s; oracle %s at end, %s mean\n", in->name, what,
		pct(cov_end(r, -1), b[0], sizeof(b[0])), pct(report_mean_bp(r, -1), b[1], sizeof(b[1])));
	for (i = 0; i < r->nr_runs; i++) {
		const struct rp_run *x = &r->runs[i];
		const struct rp_counts *c = &x->c;

		fprintf(f, "  %-11.11s%8s%8s%7s%7s%7s%7s%7s%7s%7s%7s%7s\n", x->label,
			pct(cov_end(r, (int)i), b[0], sizeof(b[0])),
			pct(report_mean_bp(r, (int)i), b[1], sizeof(b[1])),
			brief(c->faults[1] + c->faults[2] + c->faults[3], b[2], sizeof(b[2])),
			brief(x->st.decision[PMP_DECISION_SPLIT].applied, b[3], sizeof(b[3])),
			brief(c->promotes_tick + c->promotes_fault + c->promotes_accept, b[4],
			      sizeof(b[4])),
			brief(c->merge_blocks, b[5], sizeof(b[5])),
			brief(x->st.pin_high_water, b[6], sizeof(b[6])),
			brief(c->inval, b[7], sizeof(b[7])), brief(c->flushes, b[8], sizeof(b[8])),
			brief(x->st.write_locked, b[9], sizeof(b[9])),
			brief(x->st.scan_work, b[10], sizeof(b[10])));
	}
}

int report_best(const struct replay *r)
{
	unsigned int i;
	int best = 0;

	for (i = 1; i < r->nr_runs; i++) {
		uint64_t m = report_mean_bp(r, (int)i), bm = report_mean_bp(r, best);

		if (m > bm || (m == bm && r->runs[i].st.write_locked <
				      r->runs[best].st.write_locked))
			best = (int)i;
	}
	return best;
}
