// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * pmp-replay: run a trace or a built-in workload under several policies
 * side by side (docs/replay.md).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../common/zinput.h"
#include "diff.h"
#include "heatmap.h"
#include "policies.h"
#include "report.h"
#include "svg.h"
#include "traceio.h"
#include "tune.h"

/* Inputs this large get a progress bar (when stderr is a terminal). */
#define LARGE_BYTES (64ULL << 20)
#define LARGE_EVENTS (2ULL << 20)

static const char usage[] =
	"usage: pmp-replay [--policy A,B,...] [--json] [--csv FILE] [--svg FILE]\n"
	"                  [--heatmap FILE] [--trace-out FILE] [--check N]\n"
	"                  [--max-memory MIB] [--allow-incomplete]\n"
	"                  (TRACE | - | --workload NAME[:key=value,...])\n"
	"       pmp-replay --tune (TRACE | --workload NAME[:key=value,...])\n"
	"       pmp-replay --diff A.json B.json\n"
	"       pmp-replay --list | --help | --version\n"
	"Policies are presets (upstream, tdx-series, recommended) or policy strings;\n"
	"a preset name starts the next policy. Default: upstream,tdx-series,recommended.\n"
	"--tune replays a grid of knob values on top of recommended and prints the\n"
	"Pareto front (mean 2M+ coverage, write-locked events, pins, invalidations).\n"
	"A TRACE may be gzip-compressed. See pmp-replay(1).\n";

struct sink {
	struct replay *r;
	struct trace_writer *out;	/* --trace-out */
	struct progress *pg;		/* by events, for workloads */
	bool failed;			/* the replay refused an event: r->error says why */
};

/* One event: written (--trace-out) before it is replayed; r->line is the caller's. */
static int to_replay(void *ctx, const struct pmp_trace_event *ev)
{
	struct sink *s = ctx;
	int err;

	if (s->out && (err = trace_write(s->out, ev))) {
		snprintf(s->r->error, sizeof(s->r->error), "--trace-out: %s", strerror(-err));
		s->failed = true;
		return err;
	}
	if (s->pg && s->pg->on)
		progress_add(s->pg, 1);
	err = replay_event(s->r, ev);
	s->failed = err != 0;
	return err;
}

/* The events of a trace, on lines @first_line on (trace_batch_fn): a batch at a time. */
static int trace_to_replay(void *ctx, const struct pmp_trace_event *evs, unsigned int nr,
			   uint64_t first_line)
{
	struct sink *s = ctx;
	unsigned int i;
	int err = 0;

	if (!s->out) {
		err = replay_batch_sink(s->r, evs, nr, first_line);
		s->failed = err != 0;
		return err;
	}
	/* --trace-out: each event written before it is replayed, as for a workload */
	for (i = 0; i < nr && !err; i++) {
		s->r->line = first_line + i;
		err = to_replay(s, &evs[i]);
	}
	return err;
}

static int count_event(void *ctx, const struct pmp_trace_event *ev)
{
	(void)ev;
	++*(uint64_t *)ctx;
	return 0;
}

static void list(void)
{
	const struct workload *w;
	unsigned int i, k;

	for (i = 0; (w = wl_get(i)); i++) {
		printf("%s: %s\n", w->name, w->summary);
		for (k = 0; k < w->nr_params; k++)
			printf("  %-16s %-20llu %s\n", w->params[k].key,
			       (unsigned long long)w->params[k].def, w->params[k].what);
	}
	printf("(docs/workloads.md: what each models and where its numbers come from)\n");
}

struct args {
	struct policy_list pol;
	const char *workload, *trace, *svg, *trace_out, *csv, *heatmap;
	const char *diff[2];
	bool json, allow_incomplete;
	bool tune, other;	/* other: an option --tune does not take */
	uint32_t check;
	uint64_t max_memory;	/* bytes */
};

/* Half the machine's memory: a replay that needs more would swap or be killed. */
static uint64_t default_max_memory(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size / 2 : 4ULL << 30;
}

/* A decimal in [lo, hi] for option @opt; false after the message. */
static bool number(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *v)
{
	unsigned long long x;
	char *end;

	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || x < lo || x > hi) {
		fprintf(stderr, "pmp-replay: %s %s: expected an integer in %llu..%llu\n", opt, s,
			(unsigned long long)lo, (unsigned long long)hi);
		return false;
	}
	*v = x;
	return true;
}

/* 0, 1 to exit 0 (--list, --help), or 2 for a usage error. */
static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' }, { "workload", required_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'j' }, { "svg", required_argument, NULL, 's' },
		{ "trace-out", required_argument, NULL, 'o' }, { "check", required_argument, NULL, 'c' },
		{ "list", no_argument, NULL, 'l' }, { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' }, { "csv", required_argument, NULL, 'C' },
		{ "heatmap", required_argument, NULL, 'H' }, { "diff", no_argument, NULL, 'D' },
		{ "max-memory", required_argument, NULL, 'M' },
		{ "allow-incomplete", no_argument, NULL, 'I' },
		{ "tune", no_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	char err[600];
	bool diff = false;
	uint64_t v;
	int c;

	a->max_memory = default_max_memory();
	while ((c = getopt_long(argc, argv, "p:w:js:o:c:lhVt", opts, NULL)) != -1) {
		a->other |= c != 'w' && c != 't';
		switch (c) {
		case 't':
			a->tune = true;
			break;
		case 'p':
			if (policy_list_add(&a->pol, optarg, err, sizeof(err))) {
				fprintf(stderr, "pmp-replay: --policy: %s\n", err);
				return 2;
			}
			break;
		case 'w':
			a->workload = optarg;
			break;
		case 'j':
			a->json = true;
			break;
		case 's':
			a->svg = optarg;
			break;
		case 'o':
			a->trace_out = optarg;
			break;
		case 'c':
			if (!number("--check", optarg, 0, UINT32_MAX, &v))
				return 2;
			a->check = (uint32_t)v;
			break;
		case 'M':
			/* MiB; 0: no limit */
			if (!number("--max-memory", optarg, 0, UINT64_MAX >> 20, &v))
				return 2;
			a->max_memory = v << 20;
			break;
		case 'C':
			a->csv = optarg;
			break;
		case 'H':
			a->heatmap = optarg;
			break;
		case 'D':
			diff = true;
			break;
		case 'I':
			a->allow_incomplete = true;
			break;
		case 'l':
			list();
			return 1;
		case 'h':
			fputs(usage, stdout);
			return 1;
		case 'V':
			printf("pmp-replay %s\n", PMP_TOOLS_VERSION);
			return 1;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (diff) {
		if (argc - optind != 2) {
			fprintf(stderr, "pmp-replay: --diff compares two --json outputs: "
				"--diff A.json B.json\n");
			return 2;
		}
		a->diff[0] = argv[optind];
		a->diff[1] = argv[optind + 1];
		return 0;
	}
	if (optind < argc)
		a->trace = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "pmp-replay: one trace per replay (a trace is one VM): %s is one "
			"too many\n", argv[optind]);
		return 2;
	}
	if (!a->workload == !a->trace) {
		fprintf(stderr, "pmp-replay: %s\n", a->workload ? "a trace or a --workload, "
			"not both" : "no input: give a TRACE, - (stdin) or --workload NAME");
		fputs(usage, stderr);
		return 2;
	}
	if (a->tune && a->other) {
		fprintf(stderr, "pmp-replay: --tune takes only a trace or --workload\n");
		return 2;
	}
	if (!a->pol.n)
		policy_list_add(&a->pol, "upstream,tdx-series,recommended", err, sizeof(err));
	return 0;
}

/* Replay the input; 0 or 1 with the message printed. */
static int replay_input(const struct args *a, struct replay *r, struct rp_input *in,
			struct trace_marks *marks)
{
	struct trace_writer out = { 0 };
	struct progress pg = { 0 };
	struct sink s = { .r = r };
	uint64_t values[WL_MAX_PARAMS];
	const struct workload *w;
	char err[600];
	int ret;

	if (a->trace_out && !(out.f = fopen(a->trace_out, "w"))) {
		fprintf(stderr, "pmp-replay: %s: %s\n", a->trace_out, strerror(errno));
		return 1;
	}
	s.out = out.f ? &out : NULL;
	if (a->workload) {
		if (wl_parse(a->workload, &w, values, err, sizeof(err))) {
			fprintf(stderr, "pmp-replay: --workload: %s\n", err);
			return 1;
		}
		in->name = w->name;
		in->workload = true;
		in->params = strchr(a->workload, ':') ? strchr(a->workload, ':') + 1 : "";
		if (isatty(2)) {	/* the bar needs the total: generating is cheap */
			uint64_t n = 0;

			wl_run(w, values, count_event, &n);
			progress_start(&pg, n, LARGE_EVENTS);
			s.pg = &pg;
		}
		ret = wl_run(w, values, to_replay, &s);
		if (ret)
			snprintf(err, sizeof(err), "%s: %s", w->name,
				 s.failed ? r->error : strerror(-ret));
	} else {
		FILE *f = zinput_open(a->trace);
		struct stat st;

		in->name = strcmp(a->trace, "-") ? a->trace : "<stdin>";
		in->params = "";
		if (!f) {
			fprintf(stderr, "pmp-replay: %s: %s\n", a->trace, strerror(errno));
			if (out.f)
				fclose(out.f);
			return 1;
		}
		/* a compressed or piped input has no size to measure by: count what is read */
		if (strcmp(a->trace, "-") && !stat(a->trace, &st) && S_ISREG(st.st_mode) &&
		    !strstr(a->trace, ".gz"))
			progress_start(&pg, (uint64_t)st.st_size, LARGE_BYTES);
		else
			progress_start(&pg, 0, 0);
		ret = trace_read_batches(f, in->name, trace_to_replay, &s, &pg, marks, err,
					 sizeof(err));
		/* parse and read errors come with their message; the replay's from it */
		if (ret && s.failed)
			snprintf(err, sizeof(err), "%s:%llu:1: %s", in->name,
				 (unsigned long long)r->line, r->error);
		else if (ret == -EINVAL && marks->tracefs)
			snprintf(err + strlen(err), sizeof(err) - strlen(err), "\n(this is tracefs "
				 "text, not a trace: convert it first with pmp-trace import -o "
				 "X.trace FILE, then replay X.trace)");
		fclose(f);
	}
	progress_end(&pg);
	/* the last buffered lines are written only now: their error too */
	if (out.f) {
		bool bad;

		errno = 0;
		bad = ferror(out.f) != 0;
		bad = (fclose(out.f) != 0) || bad;
		if (bad && !ret) {
			snprintf(err, sizeof(err), "%s: %s", a->trace_out,
				 strerror(errno ? errno : EIO));
			ret = -EIO;
		}
	}
	if (!ret && replay_finish(r))
		snprintf(err, sizeof(err), "%s: %s", in->name, r->error), ret = -EINVAL;
	if (ret) {
		fprintf(stderr, "pmp-replay: %s\n", err);
		return 1;
	}
	return 0;
}

/* The first event each policy rejected, and an oracle passed (a bug). */
static void warnings(const struct replay *r, const struct rp_input *in)
{
	unsigned int i;

	for (i = 0; i < r->nr_runs; i++) {
		const struct rp_run *run = &r->runs[i];
		char at[48] = "";

		if (!run->first_invalid)
			continue;
		/* a trace names the line; a workload has none */
		if (run->first_invalid_line)
			snprintf(at, sizeof(at), ":%llu:1",
				 (unsigned long long)run->first_invalid_line);
		fprintf(stderr, "pmp-replay: %s%s: under %s, event %llu (%s) was rejected: %s\n",
			in->name, at, run->label, (unsigned long long)run->first_invalid_event,
			pmp_trace_type_name(run->first_invalid_type),
			pmp_strerror(run->first_invalid));
	}
	if (r->oracle_exceeded)
		fprintf(stderr, "pmp-replay: %s: a policy passed the oracle at %llu samples "
			"(a replay bug: please report)\n", in->name,
			(unsigned long long)r->oracle_exceeded);
}

/* Write one output file with @fn; 0 or 1 with the message printed. */
static int write_file(const char *path, void (*fn)(FILE *f, const void *ctx), const void *ctx)
{
	FILE *f = fopen(path, "w");
	int err = f ? 0 : errno;

	if (f) {
		fn(f, ctx);
		/* a write that failed before the last leaves only the error flag */
		err = ferror(f) ? EIO : 0;
		if (fclose(f) && !err)
			err = errno;
	}
	if (err) {
		fprintf(stderr, "pmp-replay: %s: %s\n", path, strerror(err));
		return 1;
	}
	return 0;
}

struct outputs {
	const struct replay *r;
	const struct rp_input *in;
	const char *title;
};

static void write_svg(FILE *f, const void *ctx)
{
	const struct outputs *o = ctx;
	struct svg_panel p = { .title = o->title, .r = o->r };

	svg_write(f, &p, 1);
}

static void write_heatmap(FILE *f, const void *ctx)
{
	const struct outputs *o = ctx;

	heatmap_write(f, o->title, o->r);
}

static void write_csv(FILE *f, const void *ctx)
{
	const struct outputs *o = ctx;

	report_csv(f, o->in, o->r);
}

/* The base name of a trace path, for titles: "boot.trace" of "/tmp/x/boot.trace". */
static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash[1] ? slash + 1 : path;
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	struct rp_opts opts = { 0 };
	struct rp_input in = { 0 };
	struct trace_marks marks = { 0 };
	struct outputs o;
	struct replay r;
	int ret = parse_args(argc, argv, &a);

	if (ret)
		return ret == 1 ? 0 : 2;
	if (a.diff[0])
		return diff_runs(stdout, a.diff[0], a.diff[1]);
	/* every output can be written, or nothing is replayed */
	if (output_check("pmp-replay", a.svg) || output_check("pmp-replay", a.heatmap) ||
	    output_check("pmp-replay", a.csv) || output_check("pmp-replay", a.trace_out))
		return 1;
	if (a.tune) {
		ret = tune_main(a.workload, a.trace, stdout);
		if (fflush(stdout) || ferror(stdout)) {
			fprintf(stderr, "pmp-replay: writing the front to stdout failed\n");
			return 1;
		}
		return ret;
	}
	opts.check_every = a.check;
	opts.max_memory = a.max_memory;
	opts.heatmap = a.heatmap != NULL;
	if (replay_init(&r, a.pol.policy, a.pol.labels, a.pol.n, &opts)) {
		fprintf(stderr, "pmp-replay: %s\n", r.error);
		return 1;
	}
	ret = replay_input(&a, &r, &in, &marks);
	if (!ret) {
		warnings(&r, &in);
		if (a.json)
			report_json(stdout, &in, &r);
		else
			report_table(stdout, &in, &r);
	}
	o = (struct outputs){ .r = &r, .in = &in, .title = in.name ? base_name(in.name) : "" };
	if (!ret && a.svg)
		ret |= write_file(a.svg, write_svg, &o);
	if (!ret && a.heatmap)
		ret |= write_file(a.heatmap, write_heatmap, &o);
	if (!ret && a.csv)
		ret |= write_file(a.csv, write_csv, &o);
	if (!ret && marks.incomplete) {
		fprintf(stderr, "pmp-replay: %s: THE TRACE IS INCOMPLETE (its recorder lost events, "
			"see its closing comments): the figures above miss them%s\n", in.name,
			a.allow_incomplete ? "" : "; --allow-incomplete accepts it");
		ret = !a.allow_incomplete;
	}
	replay_free(&r);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "pmp-replay: writing the %s to stdout failed\n",
			a.json ? "JSON" : "table");
		return 1;
	}
	return ret ? 1 : 0;
}
