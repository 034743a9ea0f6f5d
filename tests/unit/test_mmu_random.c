// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Randomized MMU sequences: every VM type under every preset (and each
 * merge strategy), guest accesses, accepts, conversions, punches, dirty
 * logging, write tracking, zaps, merge ticks, launch pins, explicit
 * promotes and live policy switches, ending in teardown.  The core's
 * actions run on the rules simulator (tests/sim), which checks its rules
 * after every action; after every operation the core's invariant checker
 * runs and its mirror, pins and counts are compared with the simulator's.
 * PMP_SEED=n replays one seed, PMP_MMU_CASE=i one case, PMP_MMU_OPS=n sets
 * the length of a run and PMP_TRACE=1 prints every call and its actions.
 */
#include <stdio.h>
#include "helpers.h"
#include "sim/sim.h"
#include "rng.h"

#define OPS_PER_RUN 12500	/* 8 runs: 100,000 operations per make check */
#define NR_ACTS 2048

struct mrun {
	struct tvm t;
	struct sim s;
	struct rng rng;
	uint64_t seed, step;
	struct pmp_action buf[NR_ACTS];
	struct pmp_actions acts;
	uint64_t ops_done, refusals;
	char args[96];		/* the call's arguments, for PMP_TRACE */
};

struct mrun_case {
	const char *name;
	int vm_type;
	const char *policy;
};

static const struct mrun_case cases[] = {
	{ "default/upstream", PMP_VM_DEFAULT, "upstream" },
	{ "default/recommended", PMP_VM_DEFAULT, "recommended" },
	{ "sev/upstream", PMP_VM_SEV, "upstream,pin_limit=300000" },
	{ "sev/recommended", PMP_VM_SEV, "recommended,merge=fault" },
	{ "snp/recommended", PMP_VM_SNP, "recommended,merge=scan" },
	{ "tdx/tdx-series", PMP_VM_TDX, "tdx-series" },
	{ "tdx/recommended", PMP_VM_TDX, "recommended" },
	{ "tdx/fault-merge", PMP_VM_TDX, "recommended,merge=fault,split=zap" },
};

static uint64_t below(struct mrun *x, uint64_t n)
{
	return rng_below(&x->rng, n);
}

#define G1 GFNS_PER_1G
#define M2 GFNS_PER_2M
#define END_GFN (2 * G1 + 5 * M2)

#define EXPECT(x, cond, ...) do { \
	if (!(cond)) \
		ck_abort_msg("seed %llu step %llu: " __VA_ARGS__); \
} while (0)

static void reset_acts(struct mrun *x)
{
	x->args[0] = '\0';
	x->acts.buf = x->buf;
	x->acts.cap = NR_ACTS;
	x->acts.nr = 0;
}

/* PMP_TRACE=1: print every call and the actions it returned. */
static void trace(struct mrun *x, const char *what, int err)
{
	uint32_t i;

	if (!getenv("PMP_TRACE"))
		return;
	printf("step %llu: %s%s -> %d\n", (unsigned long long)x->step, what, x->args, err);
	for (i = 0; i < x->acts.nr; i++)
		printf("    %s level %u %s %#llx+%#llx\n", pmp_action_name(x->acts.buf[i].type),
		       x->acts.buf[i].level, pmp_cause_name(x->acts.buf[i].cause),
		       (unsigned long long)x->acts.buf[i].gfn,
		       (unsigned long long)x->acts.buf[i].npages);
}

/* Run the actions a call returned on the simulator; 0 if it was applied. */
static int apply(struct mrun *x, const char *what, int err)
{
	trace(x, what, err);
	if (err == -ENOMEM || err == -EBUSY) {
		/* a refusal: nothing may have been asked of the MMU */
		EXPECT(x, x->acts.nr == 0, "%s refused (%d) but returned actions",
		       (unsigned long long)x->seed, (unsigned long long)x->step, what, err);
		x->refusals++;
		return err;
	}
	EXPECT(x, err >= 0, "%s failed: %d (%s)", (unsigned long long)x->seed,
	       (unsigned long long)x->step, what, err, pmp_strerror(err));
	EXPECT(x, sim_apply_all(&x->s, &x->acts) == 0, "%s: %s", (unsigned long long)x->seed,
	       (unsigned long long)x->step, what, x->s.error);
	return 0;
}

static uint8_t fault_order(const struct sim *s, uint64_t gfn)
{
	return s->folio[gfn / M2];
}

/* A guest access: a fault unless a present leaf covers the page. */
static void access(struct mrun *x, uint64_t gfn, int accept_level)
{
	struct pmp_fault f = { .gfn = gfn, .slot = gfn < 2 * G1 ? 0 : 1,
			       .backing_order = fault_order(&x->s, gfn),
			       .accept_level = (uint8_t)accept_level };
	int level;

	if (sim_leaf_state(&x->s, gfn) == 1)
		return;
	if (x->s.attr[gfn] & SA_PRIVATE)
		f.flags |= PMP_FAULT_PRIVATE;
	if (!below(x, 16))
		f.flags |= PMP_FAULT_WRITE;
	level = pmp_max_level(x->t.vm, &f, NULL);
	EXPECT(x, level > 0, "max_level %d", (unsigned long long)x->seed,
	       (unsigned long long)x->step, level);
	if (level > 1 && !below(x, 8))
		level--;		/* KVM may map smaller than allowed */
	reset_acts(x);
	if (apply(x, "map", pmp_map(x->t.vm, &f, level, &x->acts)))
		return;		/* refused: over the pin limit */
	EXPECT(x, sim_leaf_state(&x->s, gfn) == 1, "fault at %#llx left it unmapped",
	       (unsigned long long)x->seed, (unsigned long long)x->step, (unsigned long long)gfn);
}

static uint64_t pick_gfn(struct mrun *x)
{
	if (below(x, 8))
		return below(x, 2 * G1);
	return 2 * G1 + below(x, 4 * M2);
}

static uint64_t pick_len(struct mrun *x, uint64_t gfn)
{
	uint64_t n, left = END_GFN - gfn;

	switch (below(x, 5)) {
	case 0:
		n = 1;
		break;
	case 1:
		n = M2;
		break;
	case 2:
		n = 1 + below(x, 3 * M2);
		break;
	default:
		n = 1 + below(x, 64);
		break;
	}
	return n < left ? n : left;
}

static void guest_accept(struct mrun *x)
{
	int level = below(x, 8) ? 1 : 2;
	uint64_t gfn = pick_gfn(x) & ~(PMP_LEVEL_PAGES(level) - 1), i;
	struct pmp_actions after;
	struct pmp_policy p;
	uint32_t split;
	int err;

	if (!(x->s.attr[gfn] & SA_PRIVATE) || x->s.accepted[gfn])
		return;
	for (i = gfn; i < gfn + PMP_LEVEL_PAGES(level); i++)
		if (!(x->s.attr[i] & SA_PRIVATE))
			return;
	access(x, gfn, level);	/* TDX: the accept's EPT violation maps it (AUG) */
	pmp_vm_policy(x->t.vm, &p);
	x->s.inhibit_clear = p.inhibit == PMP_INHIBIT_CLEAR;
	reset_acts(x);
	snprintf(x->args, sizeof(x->args), " %#llx level %d", (unsigned long long)gfn, level);
	err = pmp_accept(x->t.vm, gfn, level, &x->acts);
	/* the split comes before the guest's accept succeeds, a promote after */
	for (split = 0; split < x->acts.nr && x->acts.buf[split].cause != PMP_CAUSE_MERGE; split++)
		;
	after = x->acts;
	after.buf += split;
	after.nr -= split;
	x->acts.nr = split;
	if (apply(x, "accept", err))
		return;
	sim_accept(&x->s, gfn, level);
	EXPECT(x, sim_apply_all(&x->s, &after) == 0, "accept's promote: %s",
	       (unsigned long long)x->seed, (unsigned long long)x->step, x->s.error);
	for (i = gfn; i < gfn + PMP_LEVEL_PAGES(level); i++)
		EXPECT(x, sim_leaf_level(&x->s, i) <= level, "accept at level %d of %#llx: leaf %d",
		       (unsigned long long)x->seed, (unsigned long long)x->step, level,
		       (unsigned long long)i, sim_leaf_level(&x->s, i));
}

static void convert(struct mrun *x)
{
	uint64_t gfn = pick_gfn(x), n = pick_len(x, gfn);
	bool priv = below(x, 2);

	reset_acts(x);
	snprintf(x->args, sizeof(x->args), " %#llx+%#llx %s", (unsigned long long)gfn,
		 (unsigned long long)n, priv ? "private" : "shared");
	if (apply(x, "convert", pmp_convert(x->t.vm, gfn, n, priv, &x->acts)))
		return;
	sim_set_attr(&x->s, gfn, n, SA_PRIVATE, priv ? SA_PRIVATE : 0);
	sim_unaccept(&x->s, gfn, n);
}

/* A punch: the simulator updates acceptance and folios per INVALIDATE. */
static void punch(struct mrun *x)
{
	uint64_t gfn = pick_gfn(x), n = pick_len(x, gfn);

	reset_acts(x);
	snprintf(x->args, sizeof(x->args), " %#llx+%#llx", (unsigned long long)gfn,
		 (unsigned long long)n);
	memset(&x->s.punch_wanted[gfn], 1, n);
	apply(x, "punch", pmp_punch(x->t.vm, gfn, n, NULL, &x->acts));
}

static void write_track(struct mrun *x)
{
	uint64_t gfn = pick_gfn(x), n = 1 + below(x, 4);
	bool on = below(x, 2);

	if (gfn + n > END_GFN)
		return;
	reset_acts(x);
	if (!apply(x, "write_track", pmp_write_track(x->t.vm, gfn, n, on, &x->acts)))
		sim_set_attr(&x->s, gfn, n, SA_WTRACK, on ? SA_WTRACK : 0);
}

static void dirty_log(struct mrun *x)
{
	bool on = below(x, 2);

	reset_acts(x);
	apply(x, "dirty_log", pmp_dirty_log(x->t.vm, 0, on, &x->acts));
	if (on)
		x->s.slot[0].flags |= PMP_SLOT_DIRTY_LOG;
	else
		x->s.slot[0].flags &= ~PMP_SLOT_DIRTY_LOG;
}

static void zap(struct mrun *x)
{
	uint64_t gfn = pick_gfn(x), n = pick_len(x, gfn);

	reset_acts(x);
	apply(x, "zap", pmp_zap(x->t.vm, (enum pmp_zap_reason)below(x, PMP_ZAP_TEARDOWN), gfn,
				n, &x->acts));
}

static void tick(struct mrun *x)
{
	reset_acts(x);
	apply(x, "merge_tick", pmp_merge_tick(x->t.vm, &x->acts));
}

static void launch_pin(struct mrun *x)
{
	uint64_t gfn = pick_gfn(x), n = pick_len(x, gfn);
	struct pmp_policy p;

	pmp_vm_policy(x->t.vm, &p);
	if (x->s.vm_type != PMP_VM_SEV || p.pin == PMP_PIN_NONE)
		return;
	reset_acts(x);
	apply(x, "pin_range", pmp_pin_range(x->t.vm, gfn, n, &x->acts));
}

static void promote(struct mrun *x)
{
	int err;

	reset_acts(x);
	err = pmp_promote(x->t.vm, pick_gfn(x), &x->acts);
	if (err == -EAGAIN || err == -EEXIST || err == -EBUSY) {
		EXPECT(x, x->acts.nr == 0, "refused promote returned actions",
		       (unsigned long long)x->seed, (unsigned long long)x->step);
		return;
	}
	apply(x, "promote", err);
}

static void switch_policy(struct mrun *x)
{
	static const char *const strs[] = {
		"merge=scan", "merge=fault", "merge=blocked", "merge=none", "inhibit=oneway",
		"inhibit=clear", "split=zap", "split=inplace", "max_level=2m", "max_level=1g",
		"inval=immediate", "inval=defer-2m", "on_conflict=refuse", "on_conflict=flush",
	};
	struct pmp_policy p;

	pmp_vm_policy(x->t.vm, &p);
	ck_assert_int_eq(pmp_policy_parse(&p, strs[below(x, 14)], NULL), 0);
	ck_assert_int_eq(pmp_vm_set_policy(x->t.vm, &p), 0);
}

/* The core's mirror, pins and counts agree with the simulator's. */
static void compare(struct mrun *x, bool full)
{
	uint64_t gfn, stride = full ? 1 : 4099;

	EXPECT(x, pmp_vm_check(x->t.vm) == 0, "invariant check failed",
	       (unsigned long long)x->seed, (unsigned long long)x->step);
	EXPECT(x, pmp_nr_pinned(x->t.vm) == x->s.nr_pinned, "pinned %llu, sim %llu",
	       (unsigned long long)x->seed, (unsigned long long)x->step,
	       (unsigned long long)pmp_nr_pinned(x->t.vm), (unsigned long long)x->s.nr_pinned);
	for (gfn = below(x, stride); gfn < END_GFN; gfn += stride) {
		EXPECT(x, pmp_leaf_level(x->t.vm, gfn) == sim_leaf_level(&x->s, gfn),
		       "leaf at %#llx: core %d sim %d", (unsigned long long)x->seed,
		       (unsigned long long)x->step, (unsigned long long)gfn,
		       pmp_leaf_level(x->t.vm, gfn), sim_leaf_level(&x->s, gfn));
		EXPECT(x, pmp_is_pinned(x->t.vm, gfn) == x->s.pins[gfn], "pin at %#llx",
		       (unsigned long long)x->seed, (unsigned long long)x->step,
		       (unsigned long long)gfn);
	}
	if (full)
		EXPECT(x, sim_check_leaves(&x->s, 0, END_GFN) == 0, "%s",
		       (unsigned long long)x->seed, (unsigned long long)x->step, x->s.error);
}

static void setup(struct mrun *x, const struct mrun_case *c)
{
	struct pmp_geometry geo = test_geometry(END_GFN);
	struct pmp_slot s0 = { .base_gfn = 0, .npages = 2 * G1, .userspace_addr = 0x7f0000000000ULL },
			s1 = { .base_gfn = 2 * G1, .npages = 4 * M2,
			       .userspace_addr = 0x7f0000000000ULL + (2 * G1 << 12) };
	struct pmp_policy p;
	uint64_t ch;

	geo.vm_type = (uint32_t)c->vm_type;
	geo.nr_vtls = 1;
	tvm_init(&x->t, &geo);
	ck_assert_int_eq(pmp_policy_preset(&p, "recommended"), 0);
	ck_assert_int_eq(pmp_policy_parse(&p, c->policy, NULL), 0);
	ck_assert_int_eq(pmp_vm_set_policy(x->t.vm, &p), 0);
	sim_init(&x->s, c->vm_type, END_GFN);
	x->s.punch_wanted = calloc(x->s.pages, 1);
	x->s.busy_percent = c->vm_type == PMP_VM_TDX ? 5 : 0;
	ck_assert_int_eq(pmp_slot_create(x->t.vm, 0, &s0), 0);
	ck_assert_int_eq(pmp_slot_create(x->t.vm, 1, &s1), 0);
	x->s.slot[0] = s0;
	x->s.slot[1] = s1;
	x->s.in_use[0] = x->s.in_use[1] = 1;
	/* the first 1 GiB sits on a 1 GiB folio, the rest on 2 MiB folios */
	for (ch = 0; ch < x->s.chunks; ch++)
		x->s.folio[ch] = ch < 512 ? 18 : 9;
	if (c->vm_type == PMP_VM_TDX || c->vm_type == PMP_VM_SNP) {
		reset_acts(x);
		apply(x, "convert", pmp_convert(x->t.vm, 0, END_GFN, true, &x->acts));
		sim_set_attr(&x->s, 0, END_GFN, SA_PRIVATE, SA_PRIVATE);
	}
}

static void teardown(struct mrun *x)
{
	uint64_t cursor = 0;
	int ret, rounds = 0;

	do {
		reset_acts(x);
		x->acts.cap = 4;	/* small on purpose: resume many times */
		ret = pmp_teardown(x->t.vm, &cursor, &x->acts);
		EXPECT(x, ret >= 0, "teardown %d", (unsigned long long)x->seed,
		       (unsigned long long)x->step, ret);
		EXPECT(x, sim_apply_all(&x->s, &x->acts) == 0, "teardown: %s",
		       (unsigned long long)x->seed, (unsigned long long)x->step, x->s.error);
		rounds++;
	} while (ret == 1);
	EXPECT(x, pmp_nr_pinned(x->t.vm) == 0 && x->s.nr_pinned == 0, "pins left after teardown",
	       (unsigned long long)x->seed, (unsigned long long)x->step);
	compare(x, true);
}

START_TEST(mmu_random)
{
	const struct mrun_case *c = &cases[_i];
	uint64_t ops = getenv("PMP_MMU_OPS") ? strtoull(getenv("PMP_MMU_OPS"), NULL, 0) :
		       OPS_PER_RUN;
	struct mrun *x;
	struct pmp_stats st;

	if (getenv("PMP_MMU_CASE") && atoi(getenv("PMP_MMU_CASE")) != _i)
		return;		/* replaying another case */
	x = calloc(1, sizeof(*x));
	x->seed = getenv("PMP_SEED") ? strtoull(getenv("PMP_SEED"), NULL, 0) : (uint64_t)_i + 1;
	rng_seed(&x->rng, x->seed);
	setup(x, c);
	for (x->step = 0; x->step < ops; x->step++) {
		unsigned int op = (unsigned int)below(x, 100);

		if (op < 40)
			access(x, pick_gfn(x), 0);
		else if (op < 55)
			guest_accept(x);
		else if (op < 62)
			convert(x);
		else if (op < 64)
			punch(x);
		else if (op < 66)
			dirty_log(x);
		else if (op < 69)
			write_track(x);
		else if (op < 74)
			zap(x);
		else if (op < 88)
			tick(x);
		else if (op < 92)
			launch_pin(x);
		else if (op < 96)
			promote(x);
		else if (op < 97)
			switch_policy(x);
		else
			access(x, 2 * G1 + below(x, 4 * M2), 0);
		compare(x, !(x->step % 1024));
	}
	teardown(x);
	pmp_vm_stats(x->t.vm, &st);
	printf("mmu %-20s seed %llu: %llu ops, %llu faults, promoted 2m/1g %llu/%llu, splits %llu, "
	       "blocks %llu, refusals %llu, pin high water %llu, busy retried %llu\n", c->name,
	       (unsigned long long)x->seed, (unsigned long long)ops,
	       (unsigned long long)x->s.faults, (unsigned long long)st.promoted[2],
	       (unsigned long long)st.promoted[3],
	       (unsigned long long)st.decision[PMP_DECISION_SPLIT].applied,
	       (unsigned long long)st.actions[PMP_ACT_BLOCK], (unsigned long long)x->refusals,
	       (unsigned long long)st.pin_high_water, (unsigned long long)x->s.busy);
	ck_assert_uint_gt(st.promoted[2], 0);
	ck_assert_uint_gt(st.decision[PMP_DECISION_SPLIT].applied, 0);
	sim_free(&x->s);
	tvm_free(&x->t);
	free(x);
}
END_TEST

Suite *mmu_random_suite(void)
{
	Suite *s = suite_create("mmu_random");
	TCase *tc = tcase_create("sim");

	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, mmu_random, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	suite_add_tcase(s, tc);
	return s;
}
