// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * pmp-trace import: tracefs text (/sys/kernel/tracing/trace or trace_pipe,
 * with or without the record-tgid column) -> raw records -> a trace.
 *
 * A line is "TASK-PID [(TGID)] [CPU] [FLAGS] SECS.USECS: EVENT: DETAILS".
 * Events other than the kvm/kvmmmu ones pmp-trace maps are skipped; a line
 * that is none of these, or a mapped event whose details do not parse, is
 * reported as FILE:LINE:COLUMN and makes the import fail (after the whole
 * input is read, so every bad line is reported).  So does a value no trace
 * can carry (a frame past 2^40, a vCPU id past 65535): the conversion
 * would otherwise write a trace that does not parse.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "convert.h"
#include "tool.h"

/* Longest line read; tracefs lines are a few hundred bytes. */
#define LINE_MAX_BYTES 8191

struct import {
	const char *path;
	uint64_t line;
	long tgid;		/* keep only this process; -1: all */
	unsigned long bad;
	uint64_t lost;
	uint64_t records;	/* records spooled */
	bool no_tgid;		/* --tgid on text without the tgid column: stop */
	FILE *raw;
};

static void bad_line(struct import *im, const char *line, const char *at, const char *msg)
{
	if (++im->bad <= 20)
		fprintf(stderr, "%s:%llu:%zu: %s\n", im->path, (unsigned long long)im->line,
			(size_t)(at - line) + 1, msg);
	else if (im->bad == 21)
		fprintf(stderr, "%s: more unparsable lines not shown\n", im->path);
}

/* The number after "KEY" in @s (hex with or without 0x if @hex); NULL if absent. */
static const char *number_after(const char *s, const char *key, bool hex, __u64 *v)
{
	const char *at = strstr(s, key);
	char *end;

	if (!at)
		return NULL;
	at += strlen(key);
	errno = 0;
	*v = strtoull(at, &end, hex ? 16 : 10);
	if (end == at || errno)
		return NULL;
	return end;
}

/* Details of a mapped event into @r; NULL, or what is missing or out of range. */
static const char *details(const char *ev, const char *d, struct pmp_raw *r)
{
	__u64 v;

	if (!strcmp(ev, "kvm_mmu_spte_requested") || !strcmp(ev, "kvm_mmu_set_spte")) {
		r->kind = ev[8] == 's' && ev[9] == 'p' ? RAW_SPTE_REQUESTED : RAW_SET_SPTE;
		if (!number_after(d, "gfn ", true, &r->a))
			return "no gfn";
		if (!number_after(d, " level ", false, &v))
			return "no level";
		r->level = (uint8_t)(v > 255 ? 255 : v);
		if (r->a >= PMP_TRACE_GFN_LIMIT)
			return "gfn past the 52-bit guest physical space";
		/* a leaf starts at its first frame (levels out of range are counted apart) */
		if (r->kind == RAW_SET_SPTE && v >= PMP_LEVEL_4K && v <= PMP_LEVEL_1G &&
		    (r->a & (PMP_LEVEL_PAGES(v) - 1)))
			return "gfn not aligned to its level";
		return NULL;
	}
	if (!strcmp(ev, "kvm_page_fault")) {
		r->kind = RAW_PAGE_FAULT;
		r->a = 0;	/* kernels before 6.x print no vcpu */
		number_after(d, "vcpu ", false, &r->a);
		if (r->a > 4095)
			return "vcpu out of range (0 to 4095, KVM_MAX_VCPUS)";
		if (!number_after(d, "address ", true, &r->b))
			return "no address";
		if (!number_after(d, "error_code ", true, &r->c))
			return "no error_code";
		return NULL;
	}
	if (!strcmp(ev, "kvm_mmu_prepare_zap_page")) {
		r->kind = RAW_ZAP_PAGE;
		if (!number_after(d, "gfn ", true, &r->a))
			return "no gfn";
		if (!number_after(d, " l", false, &v))
			return "no level";
		r->level = (uint8_t)(v > 255 ? 255 : v);
		r->direct = strstr(d, " direct") != NULL;
		return NULL;
	}
	if (!strcmp(ev, "kvm_mmu_zap_all_fast")) {
		r->kind = RAW_ZAP_ALL_FAST;
		return NULL;
	}
	if (!strcmp(ev, "kvm_unmap_hva_range")) {
		const char *end;

		r->kind = RAW_UNMAP_HVA;
		end = number_after(d, "range: ", true, &r->a);
		if (!end || !number_after(end, "-- ", true, &r->b))
			return "no range";
		if (r->b <= r->a)
			return "empty range";
		return NULL;
	}
	return "";	/* not an event pmp-trace maps */
}

/* "SECS.FRACTION:" -> ns. */
static bool parse_time(const char *s, const char *end, __u64 *ns)
{
	uint64_t secs = 0, frac = 0, scale = 1000000000ULL;
	const char *p = s;

	if (p == end || *p < '0' || *p > '9')
		return false;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		/* nanoseconds in 64 bits: up to 18446744073 seconds (584 years of uptime) */
		if (secs > UINT64_MAX / 10000000000ULL)
			return false;
		secs = secs * 10 + (uint64_t)(*p - '0');
	}
	if (p == end || *p++ != '.')
		return false;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (scale > 1) {
			scale /= 10;
			frac += (uint64_t)(*p - '0') * scale;
		}
	}
	if (secs > (UINT64_MAX - frac) / 1000000000ULL)
		return false;
	*ns = secs * 1000000000ULL + frac;
	return p == end;
}

/*
 * The next line of @in into @buf (newline dropped, NUL-terminated, at most
 * LINE_MAX_BYTES kept); *@len is the length of the whole line and *@nul
 * says whether it holds a NUL byte.  False at the end of input.
 */
static bool read_line(FILE *in, char *buf, size_t *len, bool *nul)
{
	int c;

	*len = 0;
	*nul = false;
	while ((c = getc_unlocked(in)) != EOF && c != '\n') {
		if (*len < LINE_MAX_BYTES)
			buf[*len] = (char)c;
		*nul |= !c;
		++*len;
	}
	buf[*len < LINE_MAX_BYTES ? *len : LINE_MAX_BYTES] = '\0';
	return c != EOF || *len;
}

static void import_line(struct import *im, char *line)
{
	struct pmp_raw r = { 0 };
	char *p = line, *cpu, *ts, *colon, *ev, *dash, *msg_at;
	const char *msg;
	long tgid = -1;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p || *p == '#')
		return;
	if (!strncmp(p, "CPU:", 4) && strstr(p, "[LOST ")) {
		__u64 n = 0;

		number_after(p, "[LOST ", false, &n);
		im->lost += n;
		fprintf(stderr, "%s:%llu:1: tracefs lost events: %s\n", im->path,
			(unsigned long long)im->line, p);
		return;
	}
	/* The CPU column "[NNN]" separates the task from the timestamp. */
	cpu = strstr(p, "] ");
	while (cpu && (cpu == p || cpu[-1] < '0' || cpu[-1] > '9'))
		cpu = strstr(cpu + 1, "] ");
	ts = cpu ? strstr(cpu, ": ") : NULL;
	if (!cpu || !ts) {
		bad_line(im, line, p, "not a tracefs event line (TASK-PID [CPU] ... TIME: EVENT:)");
		return;
	}
	/* The timestamp is the last token before ": ". */
	for (colon = ts; colon > cpu && colon[-1] != ' '; colon--)
		;
	if (!parse_time(colon, ts, &r.time)) {
		bad_line(im, line, colon, "bad timestamp (expected SECONDS.FRACTION, at most "
			 "18446744073 seconds)");
		return;
	}
	ev = ts + 2;
	msg_at = strstr(ev, ": ");
	if (!msg_at) {
		bad_line(im, line, ev, "no event name");
		return;
	}
	*msg_at = '\0';
	/* TASK-PID, then optionally "(TGID)", before the "[CPU]". */
	{
		char *open = strchr(p, '(');

		if (open && open < cpu) {
			tgid = strtol(open + 1, NULL, 10);
			*open = '\0';
		} else {
			cpu[0] = '\0';
			for (open = cpu; open > p && open[-1] != '['; open--)
				;
			if (open > p)
				open[-1] = '\0';
		}
	}
	dash = strrchr(p, '-');
	if (!dash) {
		bad_line(im, line, p, "no TASK-PID");
		return;
	}
	r.tid = (uint32_t)strtoul(dash + 1, NULL, 10);
	if (im->tgid >= 0) {
		if (tgid < 0) {
			/* every line would say it: once, and stop */
			fprintf(stderr, "%s:%llu:1: --tgid %ld: this text has no tgid column: capture "
				"it with `echo 1 > options/record-tgid`, or import without --tgid\n",
				im->path, (unsigned long long)im->line, im->tgid);
			im->no_tgid = true;
			return;
		}
		if (tgid != im->tgid)
			return;
	}
	msg = details(ev, msg_at + 2, &r);
	if (msg && !*msg)
		return;
	if (msg) {
		bad_line(im, line, msg_at + 2, msg);
		return;
	}
	fwrite(&r, sizeof(r), 1, im->raw);
	im->records++;
}

/* The trace_clock names tracefs offers: only mono lines up with a recording. */
static bool clock_known(const char *name)
{
	static const char *const names[] = { "local", "global", "counter", "uptime", "perf",
					      "mono", "mono_raw", "boot", "tai", "x86-tsc" };
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

/* One input, its lines into @im; false on a read error (reported). */
static bool import_file(struct import *im, const char *path)
{
	static char line[LINE_MAX_BYTES + 1];
	size_t len;
	bool nul, ok;
	FILE *in;

	im->path = strcmp(path, "-") ? path : "<stdin>";
	im->line = 0;
	in = zinput_open(path);
	if (!in) {
		fprintf(stderr, "pmp-trace: %s: %s\n", im->path, strerror(errno));
		return false;
	}
	while (!im->no_tgid && read_line(in, line, &len, &nul)) {
		im->line++;
		if (len > LINE_MAX_BYTES)
			bad_line(im, line, line + LINE_MAX_BYTES, "line too long (more than 8191 bytes)");
		else if (nul)
			bad_line(im, line, line + strlen(line), "NUL byte");
		else
			import_line(im, line);
	}
	ok = !ferror(in);
	if (!ok)
		fprintf(stderr, "%s:%llu:1: read error: %s\n", im->path,
			(unsigned long long)im->line + 1, strerror(errno));
	fclose(in);
	return ok;
}

int cmd_import(int argc, char **argv)
{
	static struct convert_opts opts;
	struct import im = { .path = "<stdin>", .tgid = -1 };
	struct convert_stats st;
	const char *out_path = NULL, *layout = NULL, *clock = NULL;
	const char *inputs[256];
	bool allow_drops = false, keep;
	int i, ret, nr_in = 0, status;
	FILE *out;
	char *end;

	if (help_or_version(argc, argv, &status))
		return status;
	opts.layout = LAYOUT_DERIVED;
	for (i = 1; i < argc; i++) {
		bool more = i + 1 < argc;

		if (!strcmp(argv[i], "-o") && more) {
			out_path = argv[++i];
		} else if (!strcmp(argv[i], "--layout") && more) {
			layout = argv[++i];
		} else if (!strcmp(argv[i], "--clock") && more) {
			clock = argv[++i];
			if (!clock_known(clock)) {
				fprintf(stderr, "pmp-trace: --clock %s: not a tracefs trace_clock "
					"(mono, local, global, boot, ...)\n", clock);
				return 2;
			}
		} else if (!strcmp(argv[i], "--tgid") && more) {
			errno = 0;
			im.tgid = strtol(argv[++i], &end, 10);
			if (errno || end == argv[i] || *end || im.tgid < 0) {
				fprintf(stderr, "pmp-trace: --tgid %s: expected a process id\n",
					argv[i]);
				return 2;
			}
		} else if (!strcmp(argv[i], "--allow-drops")) {
			allow_drops = true;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "pmp-trace: import: %s: unknown option or missing value\n",
				argv[i]);
			return usage();
		} else if (nr_in < (int)(sizeof(inputs) / sizeof(inputs[0]))) {
			inputs[nr_in++] = argv[i];
		} else {
			fprintf(stderr, "pmp-trace: import: more than 256 inputs\n");
			return 2;
		}
	}
	if (clock && !layout) {
		fprintf(stderr, "pmp-trace: --clock says how to line the text up with --layout: "
			"give --layout too\n");
		return 2;
	}
	if (!nr_in)
		inputs[nr_in++] = "-";
	/* the output first: a path that cannot be written fails before any work */
	out = open_output(out_path);
	if (!out)
		return 1;
	if (layout && convert_load_layout(&opts, layout, clock && !strcmp(clock, "mono")))
		return close_output(out, out_path, false), 1;
	im.raw = tmpfile();
	if (!im.raw) {
		perror("pmp-trace: tmpfile");
		return close_output(out, out_path, false), 1;
	}
	/* several inputs are one capture in pieces, read in the order given */
	for (i = 0; i < nr_in && !im.no_tgid; i++)
		if (!import_file(&im, inputs[i]))
			return close_output(out, out_path, false), 1;
	if (im.no_tgid)
		return close_output(out, out_path, false), 1;
	if (!im.records) {
		fprintf(stderr, "pmp-trace: no KVM MMU events in the input%s: enable the "
			"kvmmmu and kvm events in tracefs (pmp-trace(1)) %s\n",
			im.tgid >= 0 ? " for this --tgid" : "",
			im.bad ? "and fix the lines above" : "before capturing");
		return close_output(out, out_path, false), 1;
	}
	opts.lost = im.lost;
	opts.source = "imported from tracefs text by pmp-trace import";
	ret = convert_run(im.raw, &opts, out, &st);
	fclose(im.raw);
	if (im.bad)
		fprintf(stderr, "pmp-trace: %lu unparsable lines: no trace written\n", im.bad);
	if (!ret)
		convert_report_drops(&st, "pmp-trace", allow_drops);
	/* an incomplete capture is still written, marked; a wrong one is not */
	keep = !ret && !im.bad && (allow_drops || !convert_drops(&st));
	if (close_output(out, out_path, keep) || !keep)
		return 1;
	if (im.lost) {
		fprintf(stderr, "pmp-trace: tracefs lost %llu events: the trace is written, marked "
			"INCOMPLETE (pmp-replay refuses it without --allow-incomplete)\n",
			(unsigned long long)im.lost);
		return 3;
	}
	return 0;
}
