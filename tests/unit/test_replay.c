// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The replay engine (tools/replay/): every built-in workload under every
 * preset with pmp_vm_check() along the way, the leaf model equal to the
 * core's mirror before teardown, no policy above the oracle, teardown
 * leaving nothing mapped or pinned; byte-identical output for the same
 * input; well-formed JSON; a workload written as trace text and parsed
 * back replaying to the same table; the leaf model, the oracle, the
 * --policy list and workload parameters on small cases.
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
	struct leaves lv;
	struct pmp_action a;
	bool present;

	ck_assert_int_eq(lv_init(&lv, 1ULL << 18), 0);
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
	lv_free(&lv);
}
END_TEST

static void ev_in(struct replay *r, struct pmp_trace_event ev)
{
	ck_assert_msg(!replay_event(r, &ev), "%s", r->error);
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
	ck_assert_int_eq(replay_finish(&r), 0);
	ck_assert_uint_eq(r.oracle_exceeded, 0);
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
	tcase_add_test(tc, leaf_model);
	tcase_add_test(tc, oracle_small);
	tcase_add_test(tc, policy_list);
	tcase_add_test(tc, workload_params);
	suite_add_tcase(s, tc);
	return s;
}
