// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The replay engine (tools/replay/): every built-in workload under every
 * preset with pmp_vm_check() along the way, the leaf model equal to the
 * core's mirror before teardown, no policy above the oracle, teardown
 * leaving nothing mapped or pinned; byte-identical output for the same
 * input; well-formed JSON; a workload written as trace text and parsed
 * back replaying to the same table; the leaf model, the oracle, the
 * --policy list and workload parameters on small cases; hostile and
 * inconsistent traces (found by replaying random ones) keeping the
 * oracle an upper bound and the memslot table the core's; UTF-8 JSON and
 * SVG whatever the file name; errors naming their trace line.
 */
#include <stdio.h>
#include "helpers.h"
#include "../../tools/replay/policies.h"
#include "../../tools/replay/report.h"
#include "../../tools/replay/svg.h"
#include "../../tools/replay/traceio.h"

static const char *const presets[] = { "upstream", "tdx-series", "recommended" };

struct checked {
	struct replay *r;
	uint64_t compared;	/* pages whose leaf level the model and the core agreed on */
};

/* Before teardown empties both: the model's leaves are the core's mirror. */
static void compare_leaves(struct checked *c)
{
	unsigned int i;
	uint64_t gfn;

	for (i = 0; i < c->r->nr_runs; i++) {
		const struct rp_run *run = &c->r->runs[i];

		for (gfn = 0; gfn < c->r->vm_event.gfn_end; gfn += 509) {
			bool present;
			int model = lv_level(&run->lv, gfn, &present);

			ck_assert_msg(model == pmp_leaf_level(run->vm, gfn),
				      "%s: gfn %#llx: model %d, core %d", run->label,
				      (unsigned long long)gfn, model, pmp_leaf_level(run->vm, gfn));
			c->compared++;
		}
	}
}

static int checked_sink(void *ctx, const struct pmp_trace_event *ev)
{
	struct checked *c = ctx;

	if (ev->type == PMP_TR_TEARDOWN)
		compare_leaves(c);
	return replay_event(c->r, ev);
}

static void presets_init(struct pmp_policy *p)
{
	unsigned int i;

	for (i = 0; i < 3; i++)
		ck_assert_int_eq(pmp_policy_preset(&p[i], presets[i]), 0);
}

static void replay_workload(struct replay *r, const char *spec, uint32_t check_every,
			    wl_sink_fn sink, void *ctx)
{
	struct rp_opts o = { .check_every = check_every };
	uint64_t v[WL_MAX_PARAMS];
	const struct workload *w;
	struct pmp_policy p[3];
	char err[256];

	presets_init(p);
	ck_assert_int_eq(replay_init(r, p, presets, 3, &o), 0);
	ck_assert_msg(!wl_parse(spec, &w, v, err, sizeof(err)), "%s", err);
	ck_assert_msg(!wl_run(w, v, sink ? sink : replay_sink, sink ? ctx : (void *)r),
		      "%s: %s", spec, r->error);
	ck_assert_msg(!replay_finish(r), "%s: %s", spec, r->error);
}

START_TEST(every_workload)
{
	const struct workload *w = wl_get((unsigned int)_i);
	struct replay r;
	struct checked c = { .r = &r };
	unsigned int i, t;

	replay_workload(&r, w->name, 499, checked_sink, &c);
	ck_assert_uint_gt(c.compared, 0);
	ck_assert_msg(r.oracle_exceeded == 0, "%s: a policy passed the oracle", w->name);
	for (i = 0; i < r.nr_runs; i++) {
		const struct rp_run *run = &r.runs[i];

		for (t = 0; t < PMP_TR_NR; t++)
			ck_assert_msg(!run->c.invalid[t], "%s under %s: %llu invalid %s events",
				      w->name, run->label, (unsigned long long)run->c.invalid[t],
				      pmp_trace_type_name(t));
		ck_assert_uint_le(run->c.huge_end, r.oracle_end);
		ck_assert_uint_eq(run->c.pinned, run->c.unpinned);
		ck_assert_uint_eq(pmp_nr_pinned(run->vm), 0);
		ck_assert_uint_eq(run->lv.n4k + run->lv.n2m + run->lv.n1g, 0);
		ck_assert_uint_eq(run->st.pin_high_water <= run->c.pinned, 1);
	}
	replay_free(&r);
}
END_TEST

/* Table, JSON and plot of one replay, into one buffer. */
static char *render(const char *spec, size_t *len)
{
	struct rp_input in = { .name = spec, .workload = true, .params = "" };
	struct svg_panel p = { .title = spec };
	struct replay r;
	char *buf;
	FILE *f;

	replay_workload(&r, spec, 0, NULL, NULL);
	p.r = &r;
	f = open_memstream(&buf, len);
	ck_assert_ptr_nonnull(f);
	report_table(f, &in, &r);
	report_json(f, &in, &r);
	svg_write(f, &p, 1);
	fclose(f);
	replay_free(&r);
	return buf;
}

START_TEST(deterministic)
{
	size_t n1, n2;
	char *a = render("vsm-boot:changes=20000", &n1), *b = render("vsm-boot:changes=20000", &n2);

	ck_assert_uint_eq(n1, n2);
	ck_assert_msg(!memcmp(a, b, n1), "two replays of one input differ");
	free(a);
	free(b);
}
END_TEST

/* A JSON value at *@s (RFC 8259 syntax, no extensions); false if malformed. */
static bool json_value(const char **s);

static void json_ws(const char **s)
{
	while (**s == ' ' || **s == '\n' || **s == '\t' || **s == '\r')
		(*s)++;
}

static bool json_string_ok(const char **s)
{
	if (*(*s)++ != '"')
		return false;
	for (; **s != '"'; (*s)++) {
		if ((unsigned char)**s < 0x20)
			return false;
		if (**s == '\\' && !strchr("\"\\/bfnrtu", *++*s))
			return false;
	}
	(*s)++;
	return true;
}

static bool json_list(const char **s, char close, bool object)
{
	(*s)++;
	json_ws(s);
	if (**s == close) {
		(*s)++;
		return true;
	}
	for (;;) {
		if (object) {
			json_ws(s);
			if (!json_string_ok(s))
				return false;
			json_ws(s);
			if (*(*s)++ != ':')
				return false;
		}
		if (!json_value(s))
			return false;
		json_ws(s);
		if (**s == close) {
			(*s)++;
			return true;
		}
		if (*(*s)++ != ',')
			return false;
	}
}

static bool json_value(const char **s)
{
	json_ws(s);
	if (**s == '{')
		return json_list(s, '}', true);
	if (**s == '[')
		return json_list(s, ']', false);
	if (**s == '"')
		return json_string_ok(s);
	if (!strncmp(*s, "true", 4) || !strncmp(*s, "null", 4)) {
		*s += 4;
		return true;
	}
	if (!strncmp(*s, "false", 5)) {
		*s += 5;
		return true;
	}
	if (**s == '-' || (**s >= '0' && **s <= '9')) {
		char *end;

		strtod(*s, &end);
		*s = end;
		return true;
	}
	return false;
}

START_TEST(json_well_formed)
{
	struct rp_input in = { .name = "punch-storm \"quoted\"", .workload = true, .params = "" };
	struct replay r;
	const char *s;
	size_t len;
	char *buf;
	FILE *f;

	replay_workload(&r, "punch-storm", 0, NULL, NULL);
	f = open_memstream(&buf, &len);
	report_json(f, &in, &r);
	fclose(f);
	s = buf;
	ck_assert_msg(json_value(&s), "malformed JSON near offset %zu", (size_t)(s - buf));
	json_ws(&s);
	ck_assert_msg(*s == '\0', "trailing bytes after the JSON value");
	ck_assert_ptr_nonnull(strstr(buf, "\"coverage_end_bp\""));
	free(buf);
	replay_free(&r);
}
END_TEST

static char *table_of(struct replay *r)
{
	struct rp_input in = { .name = "same", .workload = true, .params = "" };
	size_t len;
	char *buf;
	FILE *f = open_memstream(&buf, &len);

	report_table(f, &in, r);
	report_json(f, &in, r);
	fclose(f);
	return buf;
}

/* workload -> trace text -> parser -> replay: the table of the workload itself. */
START_TEST(trace_round_trip)
{
	const struct workload *w = wl_get((unsigned int)_i);
	struct trace_writer tw = { 0 };
	struct replay direct, parsed;
	uint64_t v[WL_MAX_PARAMS];
	struct pmp_policy p[3];
	char err[256], *text, *a, *b;
	size_t len;
	FILE *in;

	replay_workload(&direct, w->name, 0, NULL, NULL);
	tw.f = open_memstream(&text, &len);
	ck_assert_int_eq(wl_parse(w->name, &w, v, err, sizeof(err)), 0);
	ck_assert_int_eq(wl_run(w, v, trace_write, &tw), 0);
	fclose(tw.f);
	presets_init(p);
	ck_assert_int_eq(replay_init(&parsed, p, presets, 3, NULL), 0);
	in = fmemopen(text, len, "r");
	ck_assert_msg(!trace_read(in, w->name, replay_sink, &parsed, NULL, err,
				  sizeof(err)), "%s", err);
	fclose(in);
	ck_assert_int_eq(replay_finish(&parsed), 0);
	a = table_of(&direct);
	b = table_of(&parsed);
	ck_assert_msg(!strcmp(a, b), "%s: the parsed trace replays differently", w->name);
	free(a);
	free(b);
	free(text);
	replay_free(&direct);
	replay_free(&parsed);
}
END_TEST

/*
 * replay_init() zeroes what it must and no more (not the memslots' slot[]):
 * over a struct of garbage, and over one a replay_free() left, the same
 * report as over a zeroed one; a second replay_free() frees nothing twice.
 */
START_TEST(init_over_garbage)
{
	static const char *const specs[] = { "sev-boot", "live-migration" };
	struct replay clean, dirty;
	unsigned int i;
	char *a, *b;

	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		memset(&clean, 0, sizeof(clean));
		memset(&dirty, 0xa5, sizeof(dirty));
		replay_workload(&clean, specs[i], 0, NULL, NULL);
		replay_workload(&dirty, specs[i], 0, NULL, NULL);
		a = table_of(&clean);
		b = table_of(&dirty);
		ck_assert_msg(!strcmp(a, b), "%s: a replay over garbage differs", specs[i]);
		free(b);
		replay_free(&dirty);
		replay_free(&dirty);
		replay_workload(&dirty, specs[i], 0, NULL, NULL);
		b = table_of(&dirty);
		ck_assert_msg(!strcmp(a, b), "%s: a replay over a freed one differs", specs[i]);
		free(a);
		free(b);
		replay_free(&dirty);
		replay_free(&clean);
	}
}
END_TEST

/*
 * A teardown's run of UNPINs is counted in one sum unless a heatmap keeps
 * per-chunk pins (run->pinned), when each goes through count_action(): the
 * two count the same, on every workload (sev-boot's teardown unpins 3,141
 * ranges between its ZAP and the end; others pin nothing: the same too).
 */
START_TEST(unpins_in_bulk)
{
	const struct workload *w = wl_get((unsigned int)_i);
	struct rp_opts o[2] = { { .heatmap = false }, { .heatmap = true } };
	uint64_t v[WL_MAX_PARAMS];
	struct replay r[2];
	struct pmp_policy p[3];
	char err[256];
	unsigned int i, k;

	presets_init(p);
	for (k = 0; k < 2; k++) {
		ck_assert_int_eq(replay_init(&r[k], p, presets, 3, &o[k]), 0);
		ck_assert_msg(!wl_parse(w->name, &w, v, err, sizeof(err)), "%s", err);
		ck_assert_int_eq(wl_run(w, v, replay_sink, &r[k]), 0);
		ck_assert_int_eq(replay_finish(&r[k]), 0);
	}
	for (i = 0; i < 3; i++) {
		ck_assert_uint_eq(r[0].runs[i].c.unpinned, r[1].runs[i].c.unpinned);
		ck_assert_msg(!memcmp(&r[0].runs[i].c, &r[1].runs[i].c, sizeof(r[0].runs[i].c)),
			      "%s under %s: counted otherwise in bulk", w->name, presets[i]);
	}
	replay_free(&r[0]);
	replay_free(&r[1]);
}
END_TEST

START_TEST(trace_errors_name_the_line)
{
	static const char bad[] = "pmp-trace 1\nvm type=snp gfn_end=0x40000 vcpus=1 vtls=1\n"
				  "punch gfn=0x0\n";
	struct replay r;
	struct pmp_policy p[3];
	char err[256];
	FILE *in = fmemopen((void *)bad, sizeof(bad) - 1, "r");

	presets_init(p);
	ck_assert_int_eq(replay_init(&r, p, presets, 3, NULL), 0);
	ck_assert_int_eq(trace_read(in, "t", replay_sink, &r, NULL, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "t:3:14: missing field npages");
	fclose(in);
	replay_free(&r);
}
END_TEST

static struct pmp_action act(int type, int level, uint64_t gfn, uint64_t n)
{
	struct pmp_action a = { .type = (uint8_t)type, .level = (uint8_t)level, .gfn = gfn,
				.npages = n };
	return a;
}

START_TEST(leaf_model)
{
	struct rp_arena arena;
	struct leaves lv;
	struct pmp_action a;
	bool present;

	rp_arena_init(&arena, 0);
	ck_assert_int_eq(lv_init(&lv, 1ULL << 18, &arena), 0);
	a = act(PMP_ACT_MAP, PMP_LEVEL_1G, 0, 1ULL << 18);
	lv_apply(&lv, &a);
	ck_assert_uint_eq(lv_huge_pages(&lv), 1ULL << 18);
	a = act(PMP_ACT_MAP, PMP_LEVEL_4K, 513, 1);	/* an NX-style 4K map inside: splits */
	lv_apply(&lv, &a);
	ck_assert_uint_eq(lv.n1g, 0);
	ck_assert_uint_eq(lv.n2m, 511);
	ck_assert_uint_eq(lv.n4k, 512);
	a = act(PMP_ACT_ZAP, 0, 1000, 100);		/* crossing huge leaves go whole */
	lv_apply(&lv, &a);
	ck_assert_uint_eq(lv.n4k, 512 - 24);
	ck_assert_uint_eq(lv.n2m, 510);
	a = act(PMP_ACT_BLOCK, PMP_LEVEL_4K, 512, 512);
	lv_apply(&lv, &a);
	ck_assert_int_eq(lv_level(&lv, 600, &present), PMP_LEVEL_4K);
	ck_assert(!present);
	a = act(PMP_ACT_PROMOTE, PMP_LEVEL_2M, 512, 512);
	lv_apply(&lv, &a);
	ck_assert_int_eq(lv_level(&lv, 600, &present), PMP_LEVEL_2M);
	ck_assert(present);
	ck_assert_uint_eq(lv.n4k, 0);
	a = act(PMP_ACT_DEMOTE, PMP_LEVEL_2M, 0, 1024);
	lv_apply(&lv, &a);
	ck_assert_uint_eq(lv.n2m, 509);
	ck_assert_uint_eq(lv.n4k, 1024);
	/* a chunk's bits at once: all 512 set, none, a few */
	a = act(PMP_ACT_MAP, PMP_LEVEL_2M, 0, 512);
	lv_apply(&lv, &a);
	ck_assert_uint_eq(lv.n4k, 512);
	a = act(PMP_ACT_ZAP, 0, 2048, 512);	/* a 2 MiB leaf, no 4 KiB ones */
	lv_apply(&lv, &a);
	ck_assert_uint_eq(lv.n4k, 512);
	ck_assert_uint_eq(lv.n2m, 509);	/* the map made one, the zap took one */
	a = act(PMP_ACT_MAP, PMP_LEVEL_4K, 2048 + 70, 1);
	lv_apply(&lv, &a);
	a = act(PMP_ACT_MAP, PMP_LEVEL_4K, 2048 + 511, 1);
	lv_apply(&lv, &a);
	ck_assert_uint_eq(lv.n4k, 514);
	a = act(PMP_ACT_ZAP, 0, 2048, 512);
	lv_apply(&lv, &a);
	ck_assert_uint_eq(lv.n4k, 512);
	ck_assert_int_eq(lv_level(&lv, 2048 + 511, &present), 0);
	/* a zap over many chunks: those without 4 KiB leaves passed over, the others cleared */
	a = act(PMP_ACT_ZAP, 0, 5000, 1ULL << 17);
	lv_apply(&lv, &a);
	a = act(PMP_ACT_MAP, PMP_LEVEL_4K, 9 * 512 + 3, 1);
	lv_apply(&lv, &a);
	a = act(PMP_ACT_MAP, PMP_LEVEL_4K, 200 * 512 + 448, 1);
	lv_apply(&lv, &a);
	a = act(PMP_ACT_MAP, PMP_LEVEL_4K, 201 * 512, 1);
	lv_apply(&lv, &a);
	ck_assert_uint_eq(lv.n4k, 512 + 3);
	a = act(PMP_ACT_ZAP, 0, 8 * 512 + 1, 250 * 512);
	lv_apply(&lv, &a);
	ck_assert_uint_eq(lv.n4k, 512);
	ck_assert_int_eq(lv_level(&lv, 200 * 512 + 448, &present), 0);
	ck_assert_int_eq(lv_level(&lv, 201 * 512, &present), 0);
	rp_arena_free(&arena);
}
END_TEST

static void ev_in(struct replay *r, struct pmp_trace_event ev)
{
	ck_assert_msg(!replay_event(r, &ev), "%s", r->error);
}

/* The replay's end: the final check passes and no sample had a policy above the oracle. */
static void finish_under_oracle(struct replay *r)
{
	ck_assert_msg(!replay_finish(r), "%s", r->error);
	ck_assert_uint_eq(r->oracle_exceeded, 0);
	replay_free(r);
}

/* The oracle on a case small enough to know the answer. */
START_TEST(oracle_small)
{
	struct pmp_policy p;
	const char *label = "tdx-series";
	struct replay r;

	ck_assert_int_eq(pmp_policy_preset(&p, label), 0);
	ck_assert_int_eq(replay_init(&r, &p, &label, 1, NULL), 0);
	ev_in(&r, (struct pmp_trace_event){ .type = PMP_TR_VM, .gfn_end = 1ULL << 18,
					    .nr_vcpus = 1, .nr_vtls = 2 });
	ev_in(&r, (struct pmp_trace_event){ .type = PMP_TR_SLOT_ADD, .npages = 1ULL << 18,
					    .uaddr = 1ULL << 30 });
	ck_assert_uint_eq(oracle_pages(&r.oracle), 0);	/* untouched */
	ev_in(&r, (struct pmp_trace_event){ .type = PMP_TR_FAULT, .gfn = 5, .level = 2 });
	ck_assert_uint_eq(oracle_pages(&r.oracle), 512);
	ck_assert_uint_eq(lv_huge_pages(&r.runs[0].lv), 512);
	/* one page's protections differ: no 2M leaf is possible there */
	ev_in(&r, (struct pmp_trace_event){ .type = PMP_TR_VTL_PROT, .gfn = 7, .npages = 1,
					    .prot = PMP_PROT_R });
	ck_assert_uint_eq(oracle_pages(&r.oracle), 0);
	ev_in(&r, (struct pmp_trace_event){ .type = PMP_TR_VTL_PROT, .gfn = 7, .npages = 1,
					    .prot = PMP_PROT_RWX });
	ck_assert_uint_eq(oracle_pages(&r.oracle), 512);
	/* a fault from a 4K folio elsewhere: that chunk counts only with a larger folio seen */
	ev_in(&r, (struct pmp_trace_event){ .type = PMP_TR_FAULT, .gfn = 2048, .level = 1 });
	ck_assert_uint_eq(oracle_pages(&r.oracle), 512);
	ev_in(&r, (struct pmp_trace_event){ .type = PMP_TR_DIRTY_LOG, .flags = PMP_TR_ON });
	ck_assert_uint_eq(oracle_pages(&r.oracle), 0);
	finish_under_oracle(&r);
}
END_TEST

/*
 * The oracle passes over chunks no VTL touched in a 1 GiB range where no
 * 1 GiB folio was reported (a memslot's change marks all of them): one
 * whose touch a conversion took stops counting, and when a fault reports
 * a 1 GiB folio the range is looked at whole, untouched chunks and all.
 */
START_TEST(oracle_untouched_chunks)
{
	static const struct {
		struct pmp_trace_event ev;
		uint64_t pages;		/* oracle_pages() after it */
	} steps[] = {
		{ { .type = PMP_TR_SLOT_ADD, .npages = 1ULL << 18, .uaddr = 1ULL << 30 }, 0 },
		{ { .type = PMP_TR_FAULT, .gfn = 5, .level = 2 }, 512 },
		/* a whole 2 MiB conversion: untouched again, no longer counted */
		{ { .type = PMP_TR_CONVERT, .gfn = 0, .npages = 512, .flags = PMP_TR_PRIVATE }, 0 },
		/* a 1 GiB folio: its chunk counts, the private one keeps the range from 1 GiB */
		{ { .type = PMP_TR_FAULT, .gfn = 1000, .level = 3 }, 512 },
		/* all alike again: every chunk eligible, the range counts whole */
		{ { .type = PMP_TR_CONVERT, .gfn = 0, .npages = 512 }, 1ULL << 18 },
		/* a memslot change marks every chunk: the 1 GiB range still looked at whole */
		{ { .type = PMP_TR_DIRTY_LOG, .flags = PMP_TR_ON }, 0 },
		{ { .type = PMP_TR_DIRTY_LOG }, 1ULL << 18 },
	};
	struct pmp_policy p;
	const char *label = "recommended";
	struct replay r;
	unsigned int i;

	ck_assert_int_eq(pmp_policy_preset(&p, label), 0);
	ck_assert_int_eq(replay_init(&r, &p, &label, 1, NULL), 0);
	ev_in(&r, (struct pmp_trace_event){ .type = PMP_TR_VM, .gfn_end = 1ULL << 18,
					    .nr_vcpus = 1, .nr_vtls = 1 });
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		ev_in(&r, steps[i].ev);
		ck_assert_msg(oracle_pages(&r.oracle) == steps[i].pages, "step %u: %llu pages", i,
			      (unsigned long long)oracle_pages(&r.oracle));
	}
	finish_under_oracle(&r);
}
END_TEST

/* The oracle's state, array by array: equal in @a and @b. */
static void oracle_same(const struct oracle *a, const struct oracle *b, unsigned int step)
{
	ck_assert_uint_eq(a->chunks, b->chunks);
	ck_assert_msg(!memcmp(a->chunk, b->chunk, a->chunks * sizeof(*a->chunk)), "step %u: chunk[]",
		      step);
	ck_assert_msg(!memcmp(a->cattr, b->cattr, a->chunks * sizeof(*a->cattr)),
		      "step %u: cattr[]", step);
	ck_assert_msg(!memcmp(a->attr, b->attr, a->pages * sizeof(*a->attr)), "step %u: attr[]",
		      step);
	ck_assert_msg(!memcmp(a->dirty, b->dirty, a->giants * 8 * sizeof(*a->dirty)),
		      "step %u: dirty[]", step);
	ck_assert_msg(!memcmp(a->giant_dirty, b->giant_dirty, a->giants * sizeof(*a->giant_dirty)),
		      "step %u: giant_dirty[]", step);
	ck_assert_uint_eq(a->vtls, b->vtls);
}

/*
 * oracle_accept(), which the replay gives every accept, leaves the oracle
 * as oracle_event(), the general path, does: a 4 KiB accept, a 2 MiB one
 * of a chunk that is one value (taken in one step) and of one spread
 * page by page, again on a chunk all accepted, not aligned (replay_event()
 * does not check what the parser does), reaching past gfn_end or starting
 * past it, a 1 GiB one; the pages counted after each.
 */
START_TEST(oracle_accept_as_general)
{
	static const struct {
		uint64_t gfn;
		uint8_t level;
	} accepts[] = {
		{ 0x1234, PMP_LEVEL_4K }, { 0x1200, PMP_LEVEL_2M }, { 0x400, PMP_LEVEL_2M },
		{ 0x400, PMP_LEVEL_2M }, { 0x0, PMP_LEVEL_4K }, { 0x0, PMP_LEVEL_2M },
		{ 0x900, PMP_LEVEL_2M }, { 0x3fe00, PMP_LEVEL_2M }, { 0x3ff00, PMP_LEVEL_4K },
		{ 0x40000, PMP_LEVEL_2M }, { 0x40200, PMP_LEVEL_4K }, { 0x0, PMP_LEVEL_1G },
		{ 0x3fc00, PMP_LEVEL_2M },
	};
	/* gfn_end within the last 2 MiB of the first 1 GiB: its last chunk reaches past it */
	const struct pmp_trace_event vm = { .type = PMP_TR_VM, .vm_type = PMP_VM_SNP,
					    .gfn_end = (1ULL << 18) - 0x100, .nr_vcpus = 1,
					    .nr_vtls = 1 };
	const struct pmp_trace_event setup[] = {
		{ .type = PMP_TR_SLOT_ADD, .npages = (1ULL << 18) - 0x100, .uaddr = 1ULL << 30,
		  .flags = PMP_SLOT_GUEST_MEMFD },
		{ .type = PMP_TR_CONVERT, .npages = (1ULL << 18) - 0x100, .flags = PMP_TR_PRIVATE },
	};
	struct replay fast, general;
	struct pmp_policy p;
	const char *label = "recommended";
	unsigned int i;

	ck_assert_int_eq(pmp_policy_preset(&p, label), 0);
	ck_assert_int_eq(replay_init(&fast, &p, &label, 1, NULL), 0);
	ck_assert_int_eq(replay_init(&general, &p, &label, 1, NULL), 0);
	ev_in(&fast, vm);
	ev_in(&general, vm);
	for (i = 0; i < sizeof(setup) / sizeof(setup[0]); i++) {
		ev_in(&fast, setup[i]);
		ev_in(&general, setup[i]);
	}
	for (i = 0; i < sizeof(accepts) / sizeof(accepts[0]); i++) {
		const struct pmp_trace_event ev = { .type = PMP_TR_ACCEPT, .gfn = accepts[i].gfn,
						    .level = accepts[i].level };

		oracle_accept(&fast.oracle, &ev);
		oracle_event(&general.oracle, &ev, false);
		oracle_same(&fast.oracle, &general.oracle, i);
		ck_assert_uint_eq(oracle_pages(&fast.oracle), oracle_pages(&general.oracle));
		oracle_same(&fast.oracle, &general.oracle, i);
	}
	/* the 2 MiB accepts of whole chunks counted: the walk above did reach them */
	ck_assert_uint_ge(oracle_pages(&fast.oracle), 2 * 512);
	replay_free(&fast);
	replay_free(&general);
}
END_TEST

/*
 * A chunk's odd page (oracle.h) on a TDX VM: found where 4 KiB accepts
 * mix accepted and pending pages (the accepted page, else the last one),
 * kept while accepts pass it by (they mark nothing), dropped by an accept
 * of it or of the first page, by a conversion, a punch, a range over the
 * chunk.  After each event the odd pages differ as oracle_check() asks,
 * and the pages counted are the table's and those of an oracle that
 * follows the events up to there with no sample in between (so nothing
 * a passed-by accept left unmarked is evaluated differently).  Checked to
 * fail when set_attr() keeps OC_ODD on a write, and when mark() leaves
 * giant_dirty[]'s bit for the chunk's word of dirty[] unset.
 */
static const struct odd_step {
	struct pmp_trace_event ev;
	unsigned int repeat;	/* this many events, the next page each time */
	uint64_t pages;		/* oracle_pages() after them */
} odd_steps[] = {
	{ { .type = PMP_TR_ACCEPT, .gfn = 0x5, .level = PMP_LEVEL_4K }, 1, 0 },
	{ { .type = PMP_TR_ACCEPT, .gfn = 0x7, .level = PMP_LEVEL_4K }, 1, 0 },
	{ { .type = PMP_TR_ACCEPT, .gfn = 0x0, .level = PMP_LEVEL_4K }, 1, 0 },
	{ { .type = PMP_TR_ACCEPT, .gfn = 0x9, .level = PMP_LEVEL_4K }, 1, 0 },
	{ { .type = PMP_TR_CONVERT, .gfn = 0x9, .npages = 1 }, 1, 0 },
	{ { .type = PMP_TR_ACCEPT, .gfn = 0xa, .level = PMP_LEVEL_4K }, 1, 0 },
	{ { .type = PMP_TR_CONVERT, .gfn = 0x1ff, .npages = 1 }, 1, 0 },
	{ { .type = PMP_TR_ACCEPT, .gfn = 0xb, .level = PMP_LEVEL_4K }, 1, 0 },
	{ { .type = PMP_TR_PUNCH, .gfn = 0x3, .npages = 1 }, 1, 0 },
	{ { .type = PMP_TR_ACCEPT, .gfn = 0x0, .level = PMP_LEVEL_2M }, 1, 0 },
	{ { .type = PMP_TR_CONVERT, .gfn = 0x0, .npages = 512, .flags = PMP_TR_PRIVATE }, 1, 0 },
	{ { .type = PMP_TR_ACCEPT, .gfn = 0x0, .level = PMP_LEVEL_2M }, 1, 512 },
	/* a chunk accepted in order: its last page is the odd one until accepted */
	{ { .type = PMP_TR_ACCEPT, .gfn = 0x200, .level = PMP_LEVEL_4K }, 511, 512 },
	{ { .type = PMP_TR_ACCEPT, .gfn = 0x3ff, .level = PMP_LEVEL_4K }, 1, 1024 },
	/* the first page last: the first page accepted is the odd one until then */
	{ { .type = PMP_TR_ACCEPT, .gfn = 0x401, .level = PMP_LEVEL_4K }, 511, 1024 },
	{ { .type = PMP_TR_ACCEPT, .gfn = 0x400, .level = PMP_LEVEL_4K }, 1, 1536 },
	{ { .type = PMP_TR_CONVERT, .gfn = 0x410, .npages = 0x20 }, 1, 1024 },
	/* a chunk in the fifth of its 1 GiB range's 8 words of dirty[] */
	{ { .type = PMP_TR_ACCEPT, .gfn = 300 * 512 + 7, .level = PMP_LEVEL_4K }, 1, 1024 },
	{ { .type = PMP_TR_ACCEPT, .gfn = 300 * 512, .level = PMP_LEVEL_2M }, 1, 1536 },
};

/* A replay of a 1 GiB TDX VM, its memory private and pending. */
static void odd_vm(struct replay *r)
{
	const struct pmp_trace_event setup[] = {
		{ .type = PMP_TR_VM, .vm_type = PMP_VM_TDX, .gfn_end = 1ULL << 18, .nr_vcpus = 1,
		  .nr_vtls = 1 },
		{ .type = PMP_TR_SLOT_ADD, .npages = 1ULL << 18, .uaddr = 1ULL << 30,
		  .flags = PMP_SLOT_GUEST_MEMFD },
		{ .type = PMP_TR_CONVERT, .npages = 1ULL << 18, .flags = PMP_TR_PRIVATE },
	};
	struct pmp_policy p;
	const char *label = "recommended";
	unsigned int i;

	ck_assert_int_eq(pmp_policy_preset(&p, label), 0);
	ck_assert_int_eq(replay_init(r, &p, &label, 1, NULL), 0);
	for (i = 0; i < sizeof(setup) / sizeof(setup[0]); i++)
		ev_in(r, setup[i]);
}

/* Pages an oracle counts after odd_steps[0, @n), evaluated once at the end. */
static uint64_t odd_unsampled(unsigned int n)
{
	struct replay r;
	unsigned int i, k;
	uint64_t pages;

	odd_vm(&r);
	for (i = 0; i < n; i++)
		for (k = 0; k < odd_steps[i].repeat; k++) {
			struct pmp_trace_event ev = odd_steps[i].ev;

			ev.gfn += k;
			oracle_event(&r.oracle, &ev, false);
		}
	pages = oracle_pages(&r.oracle);
	replay_free(&r);
	return pages;
}

START_TEST(oracle_odd_page)
{
	struct replay r;
	unsigned int i, k;

	odd_vm(&r);
	for (i = 0; i < sizeof(odd_steps) / sizeof(odd_steps[0]); i++) {
		for (k = 0; k < odd_steps[i].repeat; k++) {
			struct pmp_trace_event ev = odd_steps[i].ev;

			ev.gfn += k;
			ev_in(&r, ev);
			ck_assert_msg(!oracle_check(&r.oracle), "step %u, event %u", i, k);
		}
		ck_assert_msg(oracle_pages(&r.oracle) == odd_steps[i].pages, "step %u: %llu pages", i,
			      (unsigned long long)oracle_pages(&r.oracle));
		ck_assert_msg(odd_unsampled(i + 1) == odd_steps[i].pages, "step %u unsampled", i);
	}
	finish_under_oracle(&r);
}
END_TEST

/*
 * An accept's own fault is private when the page is, as the core has it:
 * as the oracle has it while the core took every conversion, the core's
 * answer once it refused one (an SEV VM has no private memory: a
 * conversion to private is -EINVAL, which the oracle ignores too).  The
 * memslot's guest_memfd offset is 4 KiB off 2 MiB: a private fault maps
 * 4 KiB, a shared one 2 MiB.
 */
START_TEST(accept_fault_private)
{
	static const struct {
		uint32_t vm_type;
		uint64_t convert_invalid;
		int level;		/* the accept's fault mapped */
	} cases[] = {
		{ PMP_VM_TDX, 0, PMP_LEVEL_4K },	/* private, as the oracle and the core have it */
		{ PMP_VM_SEV, 1, PMP_LEVEL_2M },	/* shared: the conversion was refused */
	};
	struct pmp_policy p;
	const char *label = "recommended";
	struct replay r;
	const struct rp_run *run;

	ck_assert_int_eq(pmp_policy_preset(&p, label), 0);
	ck_assert_int_eq(replay_init(&r, &p, &label, 1, NULL), 0);
	ev_in(&r, (struct pmp_trace_event){ .type = PMP_TR_VM, .gfn_end = 1ULL << 18,
					    .vm_type = cases[_i].vm_type, .nr_vcpus = 1,
					    .nr_vtls = 1 });
	ev_in(&r, (struct pmp_trace_event){ .type = PMP_TR_SLOT_ADD, .npages = 1ULL << 18,
					    .uaddr = 1ULL << 30, .gmem_offset = 4096,
					    .flags = PMP_SLOT_GUEST_MEMFD });
	ev_in(&r, (struct pmp_trace_event){ .type = PMP_TR_CONVERT, .npages = 1ULL << 18,
					    .flags = PMP_TR_PRIVATE });
	ev_in(&r, (struct pmp_trace_event){ .type = PMP_TR_ACCEPT, .gfn = 0, .level = 2 });
	run = &r.runs[0];
	ck_assert_uint_eq(run->c.invalid[PMP_TR_CONVERT], cases[_i].convert_invalid);
	ck_assert_uint_eq(run->c.faults_implied, 1);
	ck_assert_uint_eq(run->c.faults[cases[_i].level], 1);
	ck_assert_msg(!replay_finish(&r), "%s", r.error);
	replay_free(&r);
}
END_TEST

/*
 * A fault whose actions do not fit the policy's action array: pmp_fault_map()
 * says -ENOSPC, and the replay grows the array and maps again at the level
 * the core decided (run.c, map_grown()).  The outcome must be what
 * pmp_max_level() then pmp_map() give on a VM of the same geometry with room
 * to spare: the same actions and every counter the same (the decision
 * counted once).  Each fault starts with room for one action.
 */
START_TEST(fault_map_grown)
{
	static const struct {
		const char *policy;
		uint32_t vm_type;
		uint64_t gfn[3];	/* three faults, 4 KiB (level 1) or 2 MiB (level 2) */
		uint8_t level[3];
	} cases[] = {
		{ "recommended", PMP_VM_DEFAULT, { 5, 600, 1000 }, { 2, 1, 1 } },
		{ "recommended", PMP_VM_SEV, { 5, 6, 1024 }, { 1, 1, 2 } },	/* PIN, MAP */
		{ "recommended,merge=fault", PMP_VM_DEFAULT, { 0, 511, 2048 }, { 1, 1, 2 } },
	};
	struct pmp_geometry geo = { .sz = sizeof(geo), .gfn_end = 1ULL << 18,
				    .max_slots = RP_MAX_SLOTS, .nr_vcpus = 1, .nr_vtls = 1,
				    .vm_type = cases[_i].vm_type };
	struct pmp_slot slot = { .npages = 1ULL << 18, .userspace_addr = 1ULL << 30 };
	struct pmp_action want[64];
	struct pmp_actions acts = { .buf = want, .cap = 64 };
	struct pmp_stats got_st, want_st;
	const char *label = cases[_i].policy;
	struct pmp_policy p;
	struct pmp_vm *vm;
	struct replay r;
	struct rp_run *run;
	uint64_t bytes;
	unsigned int i;
	void *mem;

	ck_assert_int_eq(pmp_policy_preset(&p, "recommended"), 0);
	ck_assert_int_eq(pmp_policy_parse(&p, label, NULL), 0);
	ck_assert_int_eq(pmp_vm_bound(&geo, &bytes), 0);
	mem = calloc(1, bytes);
	ck_assert_ptr_nonnull(mem);
	ck_assert_int_eq(pmp_vm_init(mem, bytes, &geo, &p, &vm), 0);
	ck_assert_int_eq(pmp_slot_create(vm, 0, &slot), 0);
	ck_assert_int_eq(replay_init(&r, &p, &label, 1, NULL), 0);
	ev_in(&r, (struct pmp_trace_event){ .type = PMP_TR_VM, .gfn_end = geo.gfn_end,
					    .vm_type = geo.vm_type, .nr_vcpus = 1, .nr_vtls = 1 });
	ev_in(&r, (struct pmp_trace_event){ .type = PMP_TR_SLOT_ADD, .npages = slot.npages,
					    .uaddr = slot.userspace_addr });
	run = &r.runs[0];
	for (i = 0; i < 3; i++) {
		uint8_t level = cases[_i].level[i];
		struct pmp_fault f = { .gfn = cases[_i].gfn[i],
				       .backing_order = (uint8_t)(9 * (level - 1)) };
		int max = pmp_max_level(vm, &f, NULL);

		ck_assert_int_ge(max, PMP_LEVEL_4K);
		acts.nr = 0;
		ck_assert_int_eq(pmp_map(vm, &f, max, &acts), 0);
		ck_assert_uint_ge(acts.nr, 1);
		run->acts.cap = 1;	/* the buffer is larger: only the core is told less */
		ev_in(&r, (struct pmp_trace_event){ .type = PMP_TR_FAULT, .gfn = f.gfn,
						    .level = level });
		ck_assert_uint_gt(run->acts.cap, 1);	/* it was grown */
		ck_assert_uint_eq(run->acts.nr, acts.nr);
		ck_assert_mem_eq(run->acts.buf, want, acts.nr * sizeof(want[0]));
	}
	ck_assert_uint_eq(run->c.refused[PMP_TR_FAULT] + run->c.invalid[PMP_TR_FAULT], 0);
	pmp_vm_stats(run->vm, &got_st);
	pmp_vm_stats(vm, &want_st);
	ck_assert_mem_eq(&got_st, &want_st, sizeof(got_st));
	ck_assert_msg(!replay_finish(&r), "%s", r.error);
	replay_free(&r);
	free(mem);
}
END_TEST

/* --- traces as text, replayed as pmp-replay does (main.c) --- */

/* Replay @text under the --policy list @policies: trace_read_batches()'s result. */
static int replay_text(struct replay *r, const char *text, const char *policies,
		       uint64_t *line, char *err, size_t errlen)
{
	struct policy_list l = { 0 };
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	int ret;

	ck_assert_ptr_nonnull(in);
	ck_assert_msg(!policy_list_add(&l, policies, err, errlen), "%s", err);
	ck_assert_int_eq(replay_init(r, l.policy, l.labels, l.n, NULL), 0);
	ret = trace_read_batches(in, "t", replay_batch_sink, r, NULL, NULL, err, errlen);
	fclose(in);
	if (line)
		*line = r->line;
	if (!ret)
		ck_assert_msg(!replay_finish(r), "%s", r->error);
	return ret;
}

#define ALL_POLICIES "upstream,tdx-series,recommended,recommended,merge=blocked," \
	"recommended,merge=scan,pin=launch,recommended,nx_huge_pages=on"

/*
 * Traces (minimised from random ones) on which a policy used to pass the
 * oracle: VTL 0 mapping huge where only VTL 2's protections differ; slots
 * the core refused (an overlap, past gfn_end, an id reused after) counted
 * by the oracle; a TDX memslot deleted under leaves whose zap was refused;
 * conversions past gfn_end, which the core refuses, followed by the oracle;
 * a fault without the private flag on private memory, aligned as shared;
 * acceptance of shared memory made to matter; conversions to private on
 * an SEV VM, which has no private memory (the core refuses them), followed
 * by the oracle; a 4 KiB folio in a chunk a later 1 GiB folio backs.  No
 * policy may pass it.
 */
static const char *const oracle_cases[] = {
	"vm type=default gfn_end=0x80000 vcpus=2 vtls=3\n"
	"slot-add slot=0 gfn=0x0 npages=0x40000 uaddr=0x0\n"
	"fault gfn=0x10000 level=2m slot=0 vtl=2\n"
	"vtl vtl=2 gfn=0x1 npages=0x1 prot=r--\n"
	"fault gfn=0x0 level=2m slot=0 vtl=0\n",

	"vm type=default gfn_end=0x41000 vcpus=3 vtls=3\n"
	"slot-add slot=1 gfn=0xfffffffe00 npages=0x200 uaddr=0x0 flags=guest-memfd\n"
	"slot-add slot=1 gfn=0x0 npages=0x40000 uaddr=0x0 gmem_offset=0x40000000 "
	"flags=readonly|guest-memfd\n"
	"fault gfn=0x3ffff level=2m slot=1 vcpu=1 vtl=1\n",

	"vm type=sev gfn_end=0x80000 vcpus=4 vtls=3\n"
	"slot-add slot=1 gfn=0x1ff npages=0xfffffffe01 uaddr=0x200000 flags=readonly|guest-memfd\n"
	"slot-add slot=1 gfn=0x0 npages=0x501a1 uaddr=0x200000 gmem_offset=0x40000000 "
	"flags=readonly|guest-memfd\n"
	"accept gfn=0x40000 level=1g\n",

	"vm type=tdx gfn_end=0x80000 vcpus=4 vtls=1\n"
	"slot-add slot=0 gfn=0x40000 npages=0x40000 uaddr=0x0 flags=readonly|guest-memfd\n"
	"accept gfn=0x40000 level=1g\n"
	"slot-delete slot=0\n",

	"vm type=tdx gfn_end=0x40000 vcpus=1 vtls=2\n"
	"slot-add slot=1 gfn=0x1 npages=0x6ad4 uaddr=0x1000 gmem_offset=0x1000 "
	"flags=readonly|guest-memfd\n"
	"accept gfn=0x5600 level=2m\n"
	"convert gfn=0x200 npages=0x1e4e5df341 to=shared\n",

	"vm type=sev gfn_end=0x41000 vcpus=2 vtls=2\n"
	"convert gfn=0x200 npages=0x405d4 to=private\n"
	"slot-add slot=3 gfn=0x200 npages=0x288c5 uaddr=0x200000 gmem_offset=0x1000 "
	"flags=readonly|guest-memfd\n"
	"fault gfn=0x264ad level=2m slot=3 vcpu=1 vtl=1\n",

	"vm type=tdx gfn_end=0x41000 vcpus=2 vtls=3\n"
	"accept gfn=0x0 level=1g\n"
	"slot-add slot=3 gfn=0x189c5 npages=0x200 uaddr=0x0 gmem_offset=0x1000 "
	"flags=readonly|guest-memfd\n"
	"punch gfn=0x1ff npages=0x31fa8\n"
	"slot-move slot=3 gfn=0x0\n"
	"fault gfn=0x1ff level=1g slot=3 vcpu=1 vtl=0 flags=write\n",

	/* an SEV VM has no private memory: the core refuses both conversions to private */
	"vm type=sev gfn_end=0x40000 vcpus=1 vtls=1\n"
	"slot-add slot=0 gfn=0x0 npages=0x40000 uaddr=0x0\n"
	"fault gfn=0x0 level=2m slot=0\n"
	"fault gfn=0x200 level=2m slot=0\n"
	"convert gfn=0x10 npages=0x1 to=private\n"
	"convert gfn=0x200 npages=0x200 to=private\n",

	/* a 4 KiB folio reported in a chunk, then a 1 GiB folio backing all of it */
	"vm type=default gfn_end=0x40000 vcpus=1 vtls=1\n"
	"slot-add slot=0 gfn=0x0 npages=0x40000 uaddr=0x0\n"
	"fault gfn=0x1234 level=4k slot=0\n"
	"fault gfn=0x1 level=1g slot=0\n",
};

START_TEST(oracle_bounds_inconsistent_traces)
{
	char text[1024], err[600];
	struct replay r;

	snprintf(text, sizeof(text), "pmp-trace 1\n%s", oracle_cases[_i]);
	ck_assert_msg(!replay_text(&r, text, ALL_POLICIES, NULL, err, sizeof(err)), "%s", err);
	ck_assert_msg(r.oracle_exceeded == 0, "case %d: a policy passed the oracle", _i);
	replay_free(&r);
}
END_TEST

/* The memslot table is the core's: refused slots are neither memory nor the oracle's. */
START_TEST(slots_follow_the_core)
{
	static const char text[] =
		"pmp-trace 1\nvm type=default gfn_end=0x40000 vcpus=1 vtls=1\n"
		"slot-add slot=0 gfn=0x0 npages=0x40000 uaddr=0x0\n"
		"slot-add slot=1 gfn=0x0 npages=0x40000 uaddr=0x0\n"		/* overlaps 0 */
		"slot-add slot=2 gfn=0x40000 npages=0x40000 uaddr=0x0\n"	/* past gfn_end */
		"slot-add slot=512 gfn=0x0 npages=0x1 uaddr=0x0\n"		/* id out of range */
		"slot-move slot=0 gfn=0x20000\n"				/* past gfn_end */
		"fault gfn=0x1000 level=2m slot=0\n";
	char err[600], what[160];
	struct replay r;

	ck_assert_msg(!replay_text(&r, text, "upstream", NULL, err, sizeof(err)), "%s", err);
	ck_assert_uint_eq(r.mem_end, 0x40000);
	ck_assert_uint_eq(r.slots.slot[0].base_gfn, 0);
	ck_assert_uint_eq(r.runs[0].c.invalid[PMP_TR_SLOT_ADD], 3);
	ck_assert_uint_eq(r.oracle_end, 512);
	report_describe(&r, what, sizeof(what));
	ck_assert_msg(strstr(what, "1024 MiB in 1 memslot,"), "%s", what);
	replay_free(&r);
}
END_TEST

/* A TDX memslot whose zap is refused (accepted memory) stays: no leaf outside every slot. */
START_TEST(refused_slot_zap_keeps_the_slot)
{
	static const char text[] =
		"pmp-trace 1\nvm type=tdx gfn_end=0x40000 vcpus=1 vtls=1\n"
		"slot-add slot=0 gfn=0x0 npages=0x40000 uaddr=0x0 flags=guest-memfd\n"
		"convert gfn=0x0 npages=0x40000 to=private\n"
		"accept gfn=0x0 level=2m\n"
		"slot-delete slot=0\n";
	char err[600];
	struct replay r;

	ck_assert_msg(!replay_text(&r, text, "upstream", NULL, err, sizeof(err)), "%s", err);
	ck_assert_uint_eq(r.runs[0].c.refused[PMP_TR_SLOT_DELETE], 1);
	ck_assert(r.slots.used[0]);
	ck_assert_uint_eq(r.mem_end, 0x40000);
	ck_assert_uint_le(r.runs[0].c.huge_end, r.mem_end);
	ck_assert_uint_eq(r.oracle_exceeded, 0);
	replay_free(&r);
}
END_TEST

/* An event the replay cannot run, and one the core rejects, name their trace line. */
START_TEST(replay_errors_name_the_line)
{
	static const char rejected[] =
		"pmp-trace 1\n# a comment\nvm type=default gfn_end=0x40000 vcpus=1 vtls=1\n\n"
		"slot-add slot=0 gfn=0x0 npages=0x40000 uaddr=0x0\n"
		"fault gfn=0x1000 level=2m slot=7\n";		/* line 6: no slot 7 */
	/* KVM has 4096 vCPUs at most: the parser refuses more, where the core would */
	static const char big_vm[] =
		"pmp-trace 1\n\nvm type=default gfn_end=0x40000 vcpus=5000 vtls=1\n";
	/* issue 19: 2^32 frames made the replay grow to 2.4 GB before failing (2^32 is
	 * now past the core's default pool, -ERANGE: 2^27 frames over a 64 MiB limit) */
	static const char huge_vm[] =
		"pmp-trace 1\nvm type=default gfn_end=0x8000000 vcpus=1 vtls=1\n"
		"slot-add slot=0 gfn=0x0 npages=0x8000000 uaddr=0x0\n"
		"fault gfn=0x0 level=2m slot=0\nteardown\n";
	struct rp_opts opts = { .max_memory = 64ULL << 20 };
	struct policy_list l = { 0 };
	uint64_t need;
	FILE *in;
	char err[600];
	uint64_t line;
	struct replay r;

	ck_assert_int_eq(replay_text(&r, rejected, "upstream", &line, err, sizeof(err)), 0);
	ck_assert_int_eq(r.runs[0].first_invalid, -ENOENT);
	ck_assert_uint_eq(r.runs[0].first_invalid_line, 6);
	ck_assert_uint_eq(r.runs[0].first_invalid_event, 3);
	replay_free(&r);
	ck_assert_int_eq(replay_text(&r, big_vm, "upstream", &line, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "t:3:39: vcpus out of range (1 to 4096)");
	replay_free(&r);
	/* a VM too large for the limit is refused at its line, before any allocation */
	in = fmemopen((void *)huge_vm, strlen(huge_vm), "r");
	ck_assert_int_eq(policy_list_add(&l, "upstream,recommended", err, sizeof(err)), 0);
	ck_assert_int_eq(replay_init(&r, l.policy, l.labels, l.n, &opts), 0);
	ck_assert_int_eq(trace_read_batches(in, "t", replay_batch_sink, &r, NULL, NULL, err,
					    sizeof(err)), -E2BIG);
	fclose(in);
	ck_assert_uint_eq(r.line, 2);
	ck_assert_msg(strstr(r.error, "above the limit of 64 MiB (--max-memory MIB)"), "%s",
		      r.error);
	ck_assert_ptr_null(r.runs[0].mem);
	ck_assert_int_eq(replay_memory(&r.vm_event, 2, &need), -EINVAL);	/* no VM taken */
	replay_free(&r);
	/* the estimate: 2^31 frames need more than 4 GiB (the oracle's 2 bytes a page) */
	ck_assert_int_eq(replay_memory(&(struct pmp_trace_event){ .type = PMP_TR_VM,
		.gfn_end = 1ULL << 31, .nr_vcpus = 1, .nr_vtls = 1 }, 2, &need), 0);
	ck_assert_uint_gt(need, 4ULL << 30);
	/* 2^33 frames (32 TiB) are past the core's default pool: refused by its geometry */
	ck_assert_int_eq(replay_memory(&(struct pmp_trace_event){ .type = PMP_TR_VM,
		.gfn_end = 1ULL << 33, .nr_vcpus = 1, .nr_vtls = 1 }, 2, &need), -ERANGE);
}
END_TEST

/* The arena: zeroed, 64-byte aligned, a second block only past its hint, and a block per giant. */
START_TEST(arena_blocks)
{
	static const size_t sizes[] = { 1, 63, 64, 65, 4096, 100000 };
	struct rp_arena a;
	unsigned int i;
	size_t j;

	rp_arena_init(&a, 1 << 20);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned char *p = rp_arena_zalloc(&a, sizes[i]);

		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq((uintptr_t)p % 64, 0);
		for (j = 0; j < sizes[i]; j++)
			ck_assert_uint_eq(p[j], 0);
		memset(p, 0xa5, sizes[i]);
	}
	ck_assert_ptr_null(a.blocks->next);		/* all within the hint */
	ck_assert_ptr_nonnull(rp_arena_zalloc(&a, 3 << 20));	/* past it: a second block */
	ck_assert_ptr_nonnull(a.blocks->next);
	ck_assert_ptr_null(a.blocks->next->next);
	ck_assert_ptr_null(rp_arena_zalloc(&a, SIZE_MAX - 8));
	rp_arena_free(&a);
	ck_assert_ptr_null(a.blocks);
}
END_TEST

/* A replay's arrays, for any number of policies, fit the arena's first block. */
START_TEST(replay_arena_one_block)
{
	static const char *const labels[] = { "upstream", "recommended", "tdx-series" };
	struct pmp_policy p[3];
	unsigned int n, i;

	for (i = 0; i < 3; i++)
		pmp_policy_preset(&p[i], labels[i]);
	for (n = 1; n <= 3; n++) {
		struct replay r;

		ck_assert_int_eq(replay_init(&r, p, labels, n, NULL), 0);
		ck_assert_int_eq(replay_event(&r, &(struct pmp_trace_event){ .type = PMP_TR_VM,
			.gfn_end = 0x180000, .nr_vcpus = 4, .nr_vtls = 2,
			.vm_type = PMP_VM_SNP }), 0);
		ck_assert_ptr_nonnull(r.arena.blocks);
		ck_assert_ptr_null(r.arena.blocks->next);
		replay_free(&r);
	}
}
END_TEST

/* JSON and SVG are UTF-8 whatever bytes the file name has. */
START_TEST(json_and_svg_are_utf8)
{
	struct rp_input in = { .name = "a\xff\x01<&\"\xc3\xa9\xed\xa0\x80.trace",
			       .workload = false, .params = "" };
	struct svg_panel p = { .title = in.name };
	struct replay r;
	const char *s;
	size_t len, i;
	char *buf;
	FILE *f;

	ck_assert_uint_eq(report_utf8_len("\xc3\xa9"), 2);
	ck_assert_uint_eq(report_utf8_len("\xf0\x9f\x98\x80"), 4);
	ck_assert_uint_eq(report_utf8_len("\xc0\xaf"), 0);		/* overlong */
	ck_assert_uint_eq(report_utf8_len("\xed\xa0\x80"), 0);	/* surrogate */
	ck_assert_uint_eq(report_utf8_len("\xf4\x90\x80\x80"), 0);	/* past U+10FFFF */
	ck_assert_uint_eq(report_utf8_len("\xe2\x82"), 0);		/* cut short */
	replay_workload(&r, "punch-storm", 0, NULL, NULL);
	p.r = &r;
	f = open_memstream(&buf, &len);
	report_json(f, &in, &r);
	fclose(f);
	s = buf;
	ck_assert_msg(json_value(&s), "malformed JSON near offset %zu", (size_t)(s - buf));
	ck_assert_ptr_nonnull(strstr(buf, "\"a\\ufffd\\u0001<&\\\"\xc3\xa9\\ufffd\\ufffd\\ufffd.trace\""));
	free(buf);
	f = open_memstream(&buf, &len);
	svg_write(f, &p, 1);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, ">a\xef\xbf\xbd\xef\xbf\xbd&lt;&amp;\"\xc3\xa9"));
	for (i = 0; i < len; i += report_utf8_len(buf + i) ? report_utf8_len(buf + i) : 1) {
		unsigned char c = (unsigned char)buf[i];

		ck_assert_msg(report_utf8_len(buf + i), "SVG byte %zu is not UTF-8", i);
		ck_assert_msg(c >= 0x20 || c == '\n' || c == '\t', "SVG byte %zu: control", i);
	}
	free(buf);
	replay_free(&r);
}
END_TEST

START_TEST(policy_list)
{
	struct policy_list l = { 0 };
	char err[256];

	ck_assert_int_eq(policy_list_add(&l, "upstream,merge=blocked,recommended", err,
					 sizeof(err)), 0);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.labels[0], "upstream,merge=blocked");
	ck_assert_str_eq(l.labels[1], "recommended");
	ck_assert_uint_eq(l.policy[0].merge, PMP_MERGE_BLOCKED);
	ck_assert_int_eq(policy_list_add(&l, "merge=scan", err, sizeof(err)), 0);
	ck_assert_uint_eq(l.policy[2].pin, PMP_PIN_FAULT);	/* from recommended */
	ck_assert_int_eq(policy_list_add(&l, "tdx-series,max_level=5g", err, sizeof(err)),
			 -EINVAL);
	ck_assert_msg(!strncmp(err, "column 22: ", 11), "%s", err);
	ck_assert_int_eq(policy_list_add(&l, "upstream,,recommended", err, sizeof(err)), -EINVAL);
}
END_TEST

START_TEST(workload_params)
{
	uint64_t v[WL_MAX_PARAMS];
	const struct workload *w;
	char err[256];

	ck_assert_int_eq(wl_parse("sev-boot:mem_gib=2,touch_pct=10", &w, v, err, sizeof(err)), 0);
	ck_assert_str_eq(w->name, "sev-boot");
	ck_assert_uint_eq(v[0], 2);
	ck_assert_int_eq(wl_parse("sev-boot:mem_gib=-1", &w, v, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(wl_parse("sev-boot:mem_gib", &w, v, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(wl_parse("sev", &w, v, err, sizeof(err)), -EINVAL);
}
END_TEST

Suite *replay_suite(void)
{
	Suite *s = suite_create("replay");
	TCase *tc = tcase_create("replay");
	unsigned int n = 0;

	while (wl_get(n))
		n++;
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, every_workload, 0, (int)n);
	tcase_add_loop_test(tc, trace_round_trip, 0, (int)n);
	tcase_add_test(tc, deterministic);
	tcase_add_test(tc, json_well_formed);
	tcase_add_test(tc, trace_errors_name_the_line);
	tcase_add_test(tc, init_over_garbage);
	tcase_add_loop_test(tc, unpins_in_bulk, 0, (int)n);
	tcase_add_test(tc, leaf_model);
	tcase_add_test(tc, arena_blocks);
	tcase_add_test(tc, replay_arena_one_block);
	tcase_add_test(tc, oracle_small);
	tcase_add_test(tc, oracle_untouched_chunks);
	tcase_add_test(tc, oracle_accept_as_general);
	tcase_add_test(tc, oracle_odd_page);
	tcase_add_loop_test(tc, accept_fault_private, 0, 2);
	tcase_add_loop_test(tc, fault_map_grown, 0, 3);
	tcase_add_loop_test(tc, oracle_bounds_inconsistent_traces, 0,
			    (int)(sizeof(oracle_cases) / sizeof(oracle_cases[0])));
	tcase_add_test(tc, slots_follow_the_core);
	tcase_add_test(tc, refused_slot_zap_keeps_the_slot);
	tcase_add_test(tc, replay_errors_name_the_line);
	tcase_add_test(tc, json_and_svg_are_utf8);
	tcase_add_test(tc, policy_list);
	tcase_add_test(tc, workload_params);
	suite_add_tcase(s, tc);
	return s;
}
