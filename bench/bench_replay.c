// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * pmp-replay's figures for BENCHMARKS.md (issue 8).
 *
 * --throughput: events per second of the replay engine on one core, on a
 * large generated trace held in memory (so neither generation nor I/O is
 * timed), under one policy, against baselines run in the same process on
 * the same events: walking the array only, generating the events, parsing
 * them from trace text, and end to end (what `pmp-replay FILE` does, less
 * the read(): set up, parse + replay, finish, report, free).  Then every
 * built-in workload at its default size and scaled up, end to end, met or
 * missed against issue 16's 10 M events/s, and replay alone.  Median and min-max of repeated runs.
 *
 * --coverage: 2M+ coverage per merge strategy (the recommended preset with
 * merge=none, scan, fault, blocked, settled) against the oracle, on every built-in
 * workload with its default parameters.  Deterministic.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench.h"
#include "replay/report.h"
#include "replay/traceio.h"

/* The large trace: VSM boot with a million protection changes (~1.2M events). */
#define BIG_WORKLOAD "vsm-boot:changes=1000000"
#define QUICK_WORKLOAD "vsm-boot:changes=20000"
/* Issue 16's target, end to end on every workload: million events per second. */
#define TARGET_MEPS 10

struct events {
	struct pmp_trace_event *ev;
	size_t n, cap;
};

static int collect(void *ctx, const struct pmp_trace_event *ev)
{
	struct events *e = ctx;

	if (e->n == e->cap) {
		struct pmp_trace_event *p;

		e->cap = e->cap ? 2 * e->cap : 65536;
		p = realloc(e->ev, e->cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		e->ev = p;
	}
	e->ev[e->n++] = *ev;
	return 0;
}

static volatile uint64_t sink_value;

static int count(void *ctx, const struct pmp_trace_event *ev)
{
	++*(uint64_t *)ctx;
	sink_value += ev->gfn;
	return 0;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_replay: %s\n", what);
	exit(1);
}

static void spec(const char *s, const struct workload **w, uint64_t *v)
{
	char err[256];

	if (wl_parse(s, w, v, err, sizeof(err)))
		die(err);
}

/* One timed pass of each kind; returns ns. */
static double time_walk(const struct events *e)
{
	double t0 = now_ns();
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < e->n; i++)
		count(&n, &e->ev[i]);
	return now_ns() - t0;
}

static double time_generate(const struct workload *w, const uint64_t *v)
{
	double t0 = now_ns();
	uint64_t n = 0;

	if (wl_run(w, v, count, &n))
		die("generation failed");
	return now_ns() - t0;
}

static double time_parse(const char *text, size_t len, wl_sink_fn sink, void *ctx)
{
	char err[256];
	double t0;
	FILE *f = fmemopen((void *)text, len, "r");
	int ret;

	if (!f)
		die("fmemopen");
	t0 = now_ns();
	ret = trace_read(f, "bench", sink, ctx, NULL, err, sizeof(err));
	t0 = now_ns() - t0;
	fclose(f);
	if (ret)
		die(err);
	return t0;
}

static void policy(struct pmp_policy *p, const char *s)
{
	pmp_policy_preset(p, "recommended");
	if (pmp_policy_parse(p, s, NULL))
		die("bad policy");
}

/* Replay @e under @label; *@scan (if not NULL) gets the merge ticks' scan work. */
static double time_replay(const struct events *e, const char *label, uint64_t *scan)
{
	struct pmp_policy p;
	struct replay r;
	double t0;
	size_t i;

	policy(&p, label);
	if (replay_init(&r, &p, &label, 1, NULL))
		die(r.error);
	t0 = now_ns();
	for (i = 0; i < e->n; i++)
		if (replay_event(&r, &e->ev[i]))
			die(r.error);
	if (replay_finish(&r))
		die(r.error);
	t0 = now_ns() - t0;
	if (scan)
		*scan = r.runs[0].st.scan_work;
	replay_free(&r);
	return t0;
}

/*
 * End to end, as pmp-replay TRACE runs it less the read(): the engine set
 * up, the trace text read as pmp-replay reads a file (the lost-events
 * scan, each event's line kept for its messages), parsed and replayed, the
 * VM checked and its counters read (replay_finish()), the table written
 * (to @report, opened before the clock starts) and the engine freed.
 * *@finish (if not NULL) gets the time of replay_finish() alone: the final
 * pmp_vm_check(), the replay's referee, which pmp-replay always runs.
 */
static double time_parse_replay(const char *text, size_t len, const char *label,
				FILE *report, double *finish)
{
	const struct rp_input in = { .name = "bench", .params = "" };
	struct trace_marks marks = { 0 };
	struct pmp_policy p;
	struct replay r;
	char err[256];
	double t0, t1;
	FILE *f = fmemopen((void *)text, len, "r");

	if (!f)
		die("fmemopen");
	policy(&p, label);
	t0 = now_ns();
	if (replay_init(&r, &p, &label, 1, NULL))
		die(r.error);
	if (trace_read_batches(f, "bench", replay_batch_sink, &r, NULL, &marks, err, sizeof(err)))
		die(err);
	t1 = now_ns();
	if (replay_finish(&r))
		die(r.error);
	t1 = now_ns() - t1;
	report_table(report, &in, &r);
	if (fflush(report))
		die("writing the report");
	replay_free(&r);
	t0 = now_ns() - t0;
	fclose(f);
	if (finish)
		*finish = t1;
	return t0;
}

static void row(const char *what, double *t, int reps, size_t events, double floor)
{
	sort_times(t, reps);
	printf("| %s | %.1f | %.1f-%.1f | %.1f | %.2f |\n", what, 1e3 * (double)events / t[reps / 2],
	       1e3 * (double)events / t[reps - 1], 1e3 * (double)events / t[0],
	       t[reps / 2] / (double)events, t[reps / 2] / floor);
}

/* Each built-in workload scaled to a few hundred thousand events or more. */
static const char *const scaled[] = {
	"tdx-boot:mem_gib=64,rounds=16", "snp-lazy-accept:mem_gib=32",
	"sev-boot:mem_gib=64,rounds=16", BIG_WORKLOAD, "live-migration:mem_gib=16,rounds=64",
	"swiotlb:io_ops=500000,dma_pages=50000", "punch-storm:mem_gib=8,storm_mib=2048",
};

#define NR_SCALED (sizeof(scaled) / sizeof(scaled[0]))

static void load(const char *s, struct events *e, const struct workload **w, uint64_t *v)
{
	spec(s, w, v);
	e->n = 0;
	if (wl_run(*w, v, collect, e))
		die("out of memory");
}

/* Trace text of workload @s, as `pmp-replay --trace-out` writes it. */
static char *trace_text(const char *s, size_t *len)
{
	struct trace_writer tw = { 0 };
	const struct workload *w;
	uint64_t v[WL_MAX_PARAMS];
	char *text;

	spec(s, &w, v);
	tw.f = open_memstream(&text, len);
	if (!tw.f || wl_run(w, v, trace_write, &tw))
		die("trace text");
	fclose(tw.f);
	return text;
}

/* The big trace, every pass, against the floor of walking its events. */
static void baselines(bool quick, FILE *report)
{
	const char *big = quick ? QUICK_WORKLOAD : BIG_WORKLOAD;
	int reps = quick ? 3 : 9, i;
	double walk[16], gen[16], parse[16], rep[16], prep[16], rep_up[16], floor;
	struct events e = { 0 };
	const struct workload *w;
	uint64_t v[WL_MAX_PARAMS], n = 0;
	char *text;
	size_t len;

	load(big, &e, &w, v);
	text = trace_text(big, &len);
	for (i = 0; i < reps; i++) {
		walk[i] = time_walk(&e);
		gen[i] = time_generate(w, v);
		parse[i] = time_parse(text, len, count, &n);
		rep[i] = time_replay(&e, "recommended", NULL);
		rep_up[i] = time_replay(&e, "upstream", NULL);
		prep[i] = time_parse_replay(text, len, "recommended", report, NULL);
	}
	sort_times(walk, reps);
	floor = walk[reps / 2];
	printf("Trace: `%s`, %zu events (%zu bytes as trace text), %d runs.\n\n", big, e.n, len,
	       reps);
	printf("| pass | M events/s (median) | min-max | ns/event | x walk |\n");
	printf("| --- | --- | --- | --- | --- |\n");
	row("walk the event array (floor)", walk, reps, e.n, floor);
	row("generate the events (workload)", gen, reps, e.n, floor);
	row("parse trace text", parse, reps, e.n, floor);
	row("**replay, recommended**", rep, reps, e.n, floor);
	row("replay, upstream", rep_up, reps, e.n, floor);
	row("parse + replay, recommended", prep, reps, e.n, floor);
	free(text);
	free(e.ev);
}

static double rate(double *t, int reps, size_t n)
{
	sort_times(t, reps);
	return 1e3 * (double)n / t[reps / 2];
}

/*
 * One workload end to end, as `pmp-replay TRACE --policy recommended` runs
 * it less the read() (time_parse_replay()), the final pmp_vm_check()
 * included (its median share shown apart); and the
 * replay alone on the same events, with the merge ticks' work per event
 * (a unit: a candidate 2 MiB range or a 1 GiB range the tick passes).
 */
static void one_workload(const char *s, int reps, FILE *report, size_t *total,
			 double *total_ns)
{
	double t[16], tr[16], fin[16], share[16], median;
	struct events e = { 0 };
	const struct workload *w;
	uint64_t v[WL_MAX_PARAMS], scan = 0;
	size_t len;
	char *text = trace_text(s, &len);
	int i;

	load(s, &e, &w, v);
	for (i = 0; i < reps; i++) {
		t[i] = time_parse_replay(text, len, "recommended", report, &fin[i]);
		share[i] = 100 * fin[i] / t[i];
		tr[i] = time_replay(&e, "recommended", &scan);
	}
	sort_times(share, reps);
	median = rate(t, reps, e.n);	/* sorts t: t[0] is the fastest run */
	printf("| `%s` | %zu | %.1f (%.1f-%.1f) | %s | %.1f%% | %.1f | %.2f |\n", s, e.n, median,
	       1e3 * (double)e.n / t[reps - 1], 1e3 * (double)e.n / t[0],
	       median >= TARGET_MEPS ? "met" : "missed", share[reps / 2], rate(tr, reps, e.n),
	       (double)scan / (double)e.n);
	*total += e.n;
	*total_ns += t[reps / 2];
	free(text);
	free(e.ev);
}

/* Every built-in workload at its default size, then scaled up. */
static void per_workload(bool quick, FILE *report)
{
	int reps = quick ? 1 : 5;
	double total_ns = 0;
	const struct workload *w;
	size_t total = 0;
	unsigned int k;

	printf("\n| workload | events | end to end (parse + replay), recommended: M events/s "
	       "(min-max) | %d M/s | of it the final pmp_vm_check() | replay alone: M events/s | "
	       "tick work per event |\n", TARGET_MEPS);
	printf("| --- | --- | --- | --- | --- | --- | --- |\n");
	for (k = 0; (w = wl_get(k)); k++)
		one_workload(w->name, reps, report, &total, &total_ns);
	for (k = 0; !quick && k < NR_SCALED; k++)
		one_workload(scaled[k], reps, report, &total, &total_ns);
	printf("| all of them | %zu | %.1f | %s | | | |\n", total, 1e3 * (double)total / total_ns,
	       1e3 * (double)total / total_ns >= TARGET_MEPS ? "met" : "missed");
}

static void throughput(bool quick)
{
	/* the end-to-end passes write pmp-replay's table, here where nothing reads it */
	FILE *report = fopen("/dev/null", "w");

	if (!report)
		die("/dev/null");
	baselines(quick, report);
	per_workload(quick, report);
	fclose(report);
}

static void coverage(void)
{
	static const char *const merges[] = { "merge=none", "merge=scan", "merge=fault",
					      "merge=blocked", "merge=settled" };
	enum { N = sizeof(merges) / sizeof(merges[0]) };
	const struct workload *w;
	unsigned int k;
	int i;

	printf("| workload | oracle | merge=none | merge=scan | merge=fault | merge=blocked | "
	       "merge=settled |\n");
	printf("| --- | --- | --- | --- | --- | --- | --- |\n");
	for (k = 0; (w = wl_get(k)); k++) {
		struct pmp_policy p[N];
		uint64_t v[WL_MAX_PARAMS];
		struct replay r;

		spec(w->name, &w, v);
		for (i = 0; i < N; i++)
			policy(&p[i], merges[i]);
		if (replay_init(&r, p, merges, N, NULL) || wl_run(w, v, replay_sink, &r) ||
		    replay_finish(&r))
			die(r.error);
		printf("| %s | %llu.%02llu%% (%llu.%02llu%%)", w->name,
		       (unsigned long long)(rp_bp(r.oracle_end, r.mem_end) / 100),
		       (unsigned long long)(rp_bp(r.oracle_end, r.mem_end) % 100),
		       (unsigned long long)(report_mean_bp(&r, -1) / 100),
		       (unsigned long long)(report_mean_bp(&r, -1) % 100));
		for (i = 0; i < N; i++) {
			uint64_t end = rp_bp(r.runs[i].c.huge_end, r.mem_end), mean = report_mean_bp(&r, i);

			printf(" | %llu.%02llu%% (%llu.%02llu%%)", (unsigned long long)(end / 100),
			       (unsigned long long)(end % 100), (unsigned long long)(mean / 100),
			       (unsigned long long)(mean % 100));
		}
		printf(" |\n");
		replay_free(&r);
	}
}

int main(int argc, char **argv)
{
	bool quick = argc > 2 && !strcmp(argv[2], "--quick");

	/*
	 * Every timed run starts as pmp-replay does, in a fresh process: its
	 * large arrays mmap()ed, zero pages the kernel gives only where
	 * touched.  Without a fixed threshold glibc raises it to the size of
	 * the last large block freed, so the next run's calloc() of the
	 * same size comes from the heap and zeroes it all: the second of two
	 * runs in a row measured up to 10x slower than the first.
	 */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);

	if (argc > 1 && !strcmp(argv[1], "--throughput"))
		throughput(quick);
	else if (argc > 1 && !strcmp(argv[1], "--coverage"))
		coverage();
	else
		die("usage: bench_replay (--throughput [--quick] | --coverage)");
	return 0;
}
