// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * pmp-replay --tune (tune.h): every point of a fixed grid of knob values,
 * on top of "recommended", replayed over the same input in batches of 16
 * policies run in lockstep; then the Pareto front.  The grid is the knobs
 * that decide where huge leaves go (level cap, NX huge pages, merge
 * strategy and rate, split method, accept inhibit, punch deferral, and
 * for SEV the pinning mode); the others (pin_limit, scan_budget,
 * flush_batch, yield_threshold) bound costs the replay does not measure
 * and stay as "recommended" has them.  Bounded: 336 points (672 on SEV),
 * each one replay of the input, 16 at a time.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "policies.h"
#include "report.h"
#include "traceio.h"
#include "tune.h"

#define TUNE_MAX 1024
#define BATCH RP_MAX_POLICIES

/* One axis of the grid: the policy-string items of each of its values. */
struct axis {
	unsigned int n;
	const char *const *values;
};

static const char *const levels[] = { "max_level=1g", "max_level=2m" };
static const char *const nx[] = { "nx_huge_pages=off", "nx_huge_pages=on" };
static const char *const merges[] = {
	"merge=settled,scan_ratio=1", "merge=scan,scan_ratio=1", "merge=scan,scan_ratio=10",
	"merge=scan,scan_ratio=60", "merge=blocked,scan_ratio=10", "merge=fault", "merge=none",
};
static const char *const splits[] = { "split=zap", "split=inplace" };
static const char *const inhibits[] = { "inhibit=clear", "inhibit=oneway" };
static const char *const invals[] = {
	"inval=defer-2m,on_conflict=withdraw", "inval=defer-2m,on_conflict=flush",
	"inval=immediate",
};
static const char *const pins[] = { "pin=fault", "pin=launch" };

#define AXIS(a) { sizeof(a) / sizeof((a)[0]), a }
static const struct axis axes[] = {
	AXIS(levels), AXIS(nx), AXIS(merges), AXIS(splits), AXIS(inhibits), AXIS(invals), AXIS(pins),
};
#define NR_AXES (sizeof(axes) / sizeof(axes[0]))
#define N(a) (sizeof(a) / sizeof((a)[0]))
_Static_assert(N(levels) * N(nx) * N(merges) * N(splits) * N(inhibits) * N(invals) * N(pins) + 1
	       <= TUNE_MAX, "the whole grid fits: no point is dropped");
#define PIN_AXIS (NR_AXES - 1)	/* pinning matters on SEV VMs only */

bool tune_dominates(const struct tune_point *a, const struct tune_point *b)
{
	if (a->mean_bp < b->mean_bp || a->wlock > b->wlock || a->pins > b->pins ||
	    a->inval > b->inval)
		return false;
	return a->mean_bp > b->mean_bp || a->wlock < b->wlock || a->pins < b->pins ||
	       a->inval < b->inval;
}

static bool same_figures(const struct tune_point *a, const struct tune_point *b)
{
	return a->mean_bp == b->mean_bp && a->wlock == b->wlock && a->pins == b->pins &&
	       a->inval == b->inval;
}

void tune_front(struct tune_point *pts, unsigned int n)
{
	unsigned int i, j;

	for (i = 0; i < n; i++) {
		pts[i].front = true;
		pts[i].same = 0;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < n && pts[i].front; j++) {
			if (j == i)
				continue;
			if (tune_dominates(&pts[j], &pts[i]) ||
			    (j < i && same_figures(&pts[j], &pts[i]) && pts[j].front)) {
				pts[i].front = false;
				if (!tune_dominates(&pts[j], &pts[i]))
					pts[j].same++;
			}
		}
	}
}

/* The items of @p that differ from "recommended": a short policy string. */
static void short_label(const struct pmp_policy *p, char *buf, size_t size)
{
	char mine[512], base[512], *a, *b, *sa, *sb;
	struct pmp_policy def;
	size_t len = 0;

	pmp_policy_preset(&def, "recommended");
	pmp_policy_format(p, mine, sizeof(mine));
	pmp_policy_format(&def, base, sizeof(base));
	buf[0] = '\0';
	for (a = strtok_r(mine, ",", &sa), b = strtok_r(base, ",", &sb); a && b;
	     a = strtok_r(NULL, ",", &sa), b = strtok_r(NULL, ",", &sb)) {
		if (!strcmp(a, b))
			continue;
		len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%s",
					len ? "," : "", a);
	}
	if (!len)
		snprintf(buf, size, "recommended");
}

/* The grid: the default first, then every combination not seen yet. */
static unsigned int make_grid(struct tune_point *pts, bool sev)
{
	unsigned int idx[NR_AXES] = { 0 }, n = 1, k, i;
	struct pmp_policy def;

	pmp_policy_preset(&def, "recommended");
	memset(&pts[0], 0, sizeof(pts[0]));
	pts[0].policy = def;
	snprintf(pts[0].label, sizeof(pts[0].label), "recommended");
	for (;;) {
		struct pmp_policy p = def;
		bool dup = false;

		for (k = 0; k < NR_AXES; k++) {
			if (k == PIN_AXIS && !sev)
				continue;
			/* every item is from the tables above: they parse */
			pmp_policy_parse(&p, axes[k].values[idx[k]], NULL);
		}
		for (i = 0; i < n && !dup; i++)
			dup = !memcmp(&pts[i].policy, &p, sizeof(p));
		if (!dup) {	/* the grid fits (static assertion above) */
			memset(&pts[n], 0, sizeof(pts[n]));
			pts[n].policy = p;
			short_label(&p, pts[n].label, sizeof(pts[n].label));
			n++;
		}
		/* the next combination, the last axis fastest */
		for (k = NR_AXES; k-- > 0;) {
			if (k == PIN_AXIS && !sev)
				continue;
			if (++idx[k] < axes[k].n)
				break;
			idx[k] = 0;
		}
		if (k == (unsigned int)-1)
			return n;
	}
}

struct input {
	const char *trace;		/* or the workload: */
	const struct workload *w;
	uint64_t values[WL_MAX_PARAMS];
};

/* One pass of the input through @r.  0, or 1 with the error printed. */
static int feed(const struct input *in, struct replay *r)
{
	char err[400];
	int ret;

	if (in->w) {
		ret = wl_run(in->w, in->values, replay_sink, r);
		if (ret)
			snprintf(err, sizeof(err), "%s: %s", in->w->name,
				 r->error[0] ? r->error : strerror(-ret));
	} else {
		FILE *f = fopen(in->trace, "r");

		if (!f) {
			fprintf(stderr, "pmp-replay: %s: %s\n", in->trace, strerror(errno));
			return 1;
		}
		ret = trace_read_batches(f, in->trace, replay_batch_sink, r, NULL, NULL, err,
					 sizeof(err));
		if (ret && r->error[0])
			snprintf(err, sizeof(err), "%s:%llu:1: %s", in->trace,
				 (unsigned long long)r->line, r->error);
		fclose(f);
	}
	if (!ret && replay_finish(r)) {
		snprintf(err, sizeof(err), "%s: %s", in->w ? in->w->name : in->trace, r->error);
		ret = -EINVAL;
	}
	if (ret)
		fprintf(stderr, "pmp-replay: --tune: %s\n", err);
	return ret ? 1 : 0;
}

/* Replay pts[first..first+n) together and fill their figures. */
static int run_batch(const struct input *in, struct tune_point *pts, unsigned int n,
		     struct replay *r, char *desc, size_t desc_size)
{
	struct pmp_policy p[BATCH];
	const char *labels[BATCH];
	unsigned int i;

	for (i = 0; i < n; i++) {
		p[i] = pts[i].policy;
		labels[i] = pts[i].label;
	}
	if (replay_init(r, p, labels, n, NULL)) {
		fprintf(stderr, "pmp-replay: --tune: %s\n", r->error);
		return 1;
	}
	if (feed(in, r)) {
		replay_free(r);
		return 1;
	}
	for (i = 0; i < n; i++) {
		pts[i].mean_bp = report_mean_bp(r, (int)i);
		pts[i].wlock = r->runs[i].st.write_locked;
		pts[i].pins = r->runs[i].st.pin_high_water;
		pts[i].inval = r->runs[i].c.inval;
	}
	if (desc)
		report_describe(r, desc, desc_size);
	replay_free(r);
	return 0;
}

/* Is the VM of the input an SEV one?  Stops at the VM line. */
static int vm_type_of(void *ctx, const struct pmp_trace_event *ev)
{
	if (ev->type != PMP_TR_VM)
		return 0;
	*(int *)ctx = ev->vm_type;
	return -ECANCELED;
}

static void print_point(FILE *out, const struct tune_point *t, const struct tune_point *def)
{
	char w[32], p[32], v[32];

	fprintf(out, "%c %3llu.%02llu%% %13s %11s %13s  %s", t == def ? '*' : ' ',
		(unsigned long long)t->mean_bp / 100, (unsigned long long)t->mean_bp % 100,
		report_count(t->wlock, w, sizeof(w)), report_count(t->pins, p, sizeof(p)),
		report_count(t->inval, v, sizeof(v)), t->label);
	if (t->same)
		fprintf(out, "  (+%u with the same figures)", t->same);
	fputc('\n', out);
}

/* 1 point of mean coverage at equal or fewer write-locked events: the bar. */
#define BEAT_BP 100

static void report(FILE *out, const char *name, const char *desc, struct tune_point *pts,
		   unsigned int n, unsigned int batches)
{
	const struct tune_point *def = &pts[0], *best = NULL;
	unsigned int i, on = 0;

	for (i = 0; i < n; i++)
		on += pts[i].front;
	fprintf(out, "pmp-replay --tune: %s (%s)\n", name, desc);
	fprintf(out, "%u policies on top of recommended, in %u replays of at most %u; "
		"Pareto front: %u\n", n, batches, BATCH, on);
	fprintf(out, "  2M+ mean  write-locked  pin high-w  invalidations  policy\n");
	for (i = 0; i < n; i++)
		if (pts[i].front)
			print_point(out, &pts[i], def);
	if (!def->front) {
		fprintf(out, "  (the default, off the front:)\n");
		print_point(out, def, def);
	}
	for (i = 1; i < n; i++)
		if (pts[i].wlock <= def->wlock && pts[i].mean_bp > def->mean_bp + BEAT_BP &&
		    (!best || pts[i].mean_bp > best->mean_bp))
			best = &pts[i];
	if (best)
		fprintf(out, "verdict: %s beats the default (*) by %llu.%02llu points of mean "
			"coverage at %s write-locked events\n", best->label,
			(unsigned long long)(best->mean_bp - def->mean_bp) / 100,
			(unsigned long long)(best->mean_bp - def->mean_bp) % 100,
			best->wlock == def->wlock ? "as many" : "fewer");
	else
		fprintf(out, "verdict: nothing beats the default (*) by more than 1 point of "
			"mean coverage at equal or fewer write-locked events\n");
}

int tune_main(const char *workload, const char *trace, FILE *out)
{
	static struct tune_point pts[TUNE_MAX];
	struct input in = { .trace = trace };
	struct replay r;
	char err[400], desc[200] = "";
	const char *name = trace;
	unsigned int n, i, batches = 0;
	int type = -1, ret;

	if (workload) {
		if (wl_parse(workload, &in.w, in.values, err, sizeof(err))) {
			fprintf(stderr, "pmp-replay: --workload: %s\n", err);
			return 1;
		}
		name = workload;
		ret = wl_run(in.w, in.values, vm_type_of, &type);
	} else {
		FILE *f;

		if (!strcmp(trace, "-")) {
			fprintf(stderr, "pmp-replay: --tune reads its input once per batch of "
				"%u policies: give a trace file, not stdin\n", BATCH);
			return 1;
		}
		f = fopen(trace, "r");
		if (!f) {
			fprintf(stderr, "pmp-replay: %s: %s\n", trace, strerror(errno));
			return 1;
		}
		ret = trace_read(f, trace, vm_type_of, &type, NULL, err, sizeof(err));
		fclose(f);
		if (ret && ret != -ECANCELED) {
			fprintf(stderr, "pmp-replay: %s\n", err);
			return 1;
		}
	}
	(void)ret;
	n = make_grid(pts, type == PMP_VM_SEV);
	for (i = 0; i < n; i += BATCH, batches++)
		if (run_batch(&in, &pts[i], n - i < BATCH ? n - i : BATCH, &r,
			      i ? NULL : desc, sizeof(desc)))
			return 1;
	tune_front(pts, n);
	report(out, name, desc, pts, n, batches);
	return 0;
}
