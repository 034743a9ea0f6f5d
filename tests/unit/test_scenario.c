// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A TD boot modelled on the published TDX huge-page figures (a 4 GiB TD:
 * about 2,700 4K accepts concentrated in early boot, one gfn flipped
 * private/shared about 1,000 times, the rest accepted lazily at 2 MiB),
 * run under the TDX-series policy (one-way inhibit, no merge) and under
 * the clearing inhibit with each merge strategy, on the TDX simulator.
 *
 * It asserts the direction (clearing the inhibit plus any merge strategy
 * ends with more 2 MiB coverage than the one-way inhibit) and prints the
 * figures: 2 MiB leaves, write-lock-needing events, promotions, blocks,
 * extra faults and scan work.
 */
#include <stdio.h>
#include "helpers.h"
#include "sim/sim.h"

#define M2 GFNS_PER_2M
#define TD_PAGES (1ULL << 20)		/* 4 GiB */
#define EARLY_ACCEPTS 2700
#define EARLY_CHUNKS 16			/* early boot lives in the first 32 MiB */
#define FLIP_GFN 0x30123ULL
#define FLIPS 1000
#define TICKS 200

struct td {
	struct tvm t;
	struct sim s;
	struct pmp_action buf[64];
	struct pmp_actions acts;
	uint64_t rng, extra_faults;
};

struct td_result {
	uint64_t leaves_2m, write_locked, promoted, blocks, extra_faults, scan_work, splits;
};

static struct pmp_actions *acts(struct td *td)
{
	td->acts.buf = td->buf;
	td->acts.cap = 64;
	td->acts.nr = 0;
	return &td->acts;
}

static void run(struct td *td, int err)
{
	ck_assert_msg(err >= 0, "call failed: %s", pmp_strerror(err));
	ck_assert_msg(sim_apply_all(&td->s, &td->acts) == 0, "simulator: %s", td->s.error);
}

/* The guest touches @gfn: an EPT violation unless a present leaf maps it. */
static void touch(struct td *td, uint64_t gfn, int accept_level)
{
	struct pmp_fault f = { .gfn = gfn, .backing_order = 9,
			       .accept_level = (uint8_t)accept_level };
	int level;

	if (sim_leaf_state(&td->s, gfn) == 1)
		return;
	if (sim_leaf_state(&td->s, gfn) == 2)
		td->extra_faults++;	/* only a merge tick's block made this fault */
	if (td->s.attr[gfn] & SA_PRIVATE)
		f.flags = PMP_FAULT_PRIVATE;
	level = pmp_max_level(td->t.vm, &f, NULL);
	ck_assert_int_gt(level, 0);
	run(td, pmp_map(td->t.vm, &f, level, acts(td)));
}

/* TDG.MEM.PAGE.ACCEPT: the violation maps it, a mismatch splits, then it is accepted. */
static void accept(struct td *td, uint64_t gfn, int level)
{
	struct pmp_actions after;
	uint32_t split;
	int err;

	touch(td, gfn, level);
	err = pmp_accept(td->t.vm, gfn, level, acts(td));
	for (split = 0; split < td->acts.nr && td->buf[split].cause != PMP_CAUSE_MERGE; split++)
		;
	after = td->acts;
	after.buf += split;
	after.nr -= split;
	td->acts.nr = split;
	run(td, err);
	sim_accept(&td->s, gfn, level);
	ck_assert_msg(sim_apply_all(&td->s, &after) == 0, "simulator: %s", td->s.error);
}

static void convert(struct td *td, uint64_t gfn, bool private)
{
	run(td, pmp_convert(td->t.vm, gfn, 1, private, acts(td)));
	sim_set_attr(&td->s, gfn, 1, SA_PRIVATE, private ? SA_PRIVATE : 0);
	sim_unaccept(&td->s, gfn, 1);
}

static uint64_t rnd(struct td *td)
{
	td->rng ^= td->rng << 13;
	td->rng ^= td->rng >> 7;
	td->rng ^= td->rng << 17;
	return td->rng;
}

static void boot(struct td *td, const char *policy, struct td_result *r)
{
	struct pmp_geometry geo = test_geometry(TD_PAGES);
	struct pmp_slot slot = { .base_gfn = 0, .npages = TD_PAGES,
				 .userspace_addr = 0x7f0000000000ULL,
				 .flags = PMP_SLOT_GUEST_MEMFD };
	struct pmp_stats st;
	struct pmp_policy p;
	uint64_t g, c, i;

	memset(td, 0, sizeof(*td));
	td->rng = 0x9e3779b97f4a7c15ULL;
	geo.vm_type = PMP_VM_TDX;
	geo.nr_vtls = 1;
	tvm_init(&td->t, &geo);
	ck_assert_int_eq(pmp_policy_preset(&p, "tdx-series"), 0);
	ck_assert_int_eq(pmp_policy_parse(&p, policy, NULL), 0);
	ck_assert_int_eq(pmp_vm_set_policy(td->t.vm, &p), 0);
	ck_assert_int_eq(pmp_slot_create(td->t.vm, 0, &slot), 0);
	sim_init(&td->s, PMP_VM_TDX, TD_PAGES);
	td->s.slot[0] = slot;
	td->s.in_use[0] = 1;
	td->s.inhibit_clear = p.inhibit == PMP_INHIBIT_CLEAR;
	for (c = 0; c < td->s.chunks; c++)
		td->s.folio[c] = 9;	/* guest_memfd with 2 MiB folios */
	run(td, pmp_convert(td->t.vm, 0, TD_PAGES, true, acts(td)));
	sim_set_attr(&td->s, 0, TD_PAGES, SA_PRIVATE, SA_PRIVATE);

	/* early boot: firmware and decompressor accept 4K pages, scattered */
	for (i = 0; i < EARLY_ACCEPTS; i++) {
		g = rnd(td) % (EARLY_CHUNKS * M2);
		if (!td->s.accepted[g])
			accept(td, g, PMP_LEVEL_4K);
	}
	/* one gfn (a GHCB/bounce page) flips private <-> shared */
	for (i = 0; i < FLIPS; i++) {
		convert(td, FLIP_GFN, i % 2);
		if (i % 2)
			accept(td, FLIP_GFN, PMP_LEVEL_4K);
	}
	/* lazy accept of the rest: 2 MiB where nothing was accepted at 4K */
	for (c = 0; c < TD_PAGES / M2; c++) {
		bool touched = false;

		for (g = c * M2; g < (c + 1) * M2 && !touched; g++)
			touched = td->s.accepted[g];
		if (!touched) {
			accept(td, c * M2, PMP_LEVEL_2M);
			continue;
		}
		for (g = c * M2; g < (c + 1) * M2; g++)
			if (!td->s.accepted[g])
				accept(td, g, PMP_LEVEL_4K);
	}
	/* the background worker, then the guest's working set */
	for (i = 0; i < TICKS; i++)
		run(td, pmp_merge_tick(td->t.vm, acts(td)));
	for (c = 0; c < TD_PAGES / M2; c++)
		touch(td, c * M2 + 77, 0);
	ck_assert_int_eq(pmp_vm_check(td->t.vm), 0);
	ck_assert_int_eq(sim_check_leaves(&td->s, 0, TD_PAGES), 0);

	memset(r, 0, sizeof(*r));
	for (c = 0; c < TD_PAGES / M2; c++)
		r->leaves_2m += pmp_leaf_level(td->t.vm, c * M2) == PMP_LEVEL_2M;
	pmp_vm_stats(td->t.vm, &st);
	r->write_locked = st.write_locked;
	r->promoted = st.promoted[PMP_LEVEL_2M];
	r->blocks = st.actions[PMP_ACT_BLOCK];
	r->extra_faults = td->extra_faults;
	r->scan_work = st.scan_work;
	r->splits = st.decision[PMP_DECISION_SPLIT].applied;
	sim_free(&td->s);
	tvm_free(&td->t);
}

static const char *const td_policies[] = {
	"inhibit=oneway,merge=none",		/* the TDX series */
	"inhibit=clear,merge=scan",
	"inhibit=clear,merge=fault",
	"inhibit=clear,merge=blocked",
};

START_TEST(tdx_boot)
{
	struct td_result r[4];
	struct td *td = calloc(1, sizeof(*td));
	int i;

	printf("tdx boot, 4 GiB TD (2048 x 2 MiB), %d early 4K accepts, gfn %#llx flipped %d "
	       "times:\n", EARLY_ACCEPTS, FLIP_GFN, FLIPS);
	printf("  %-30s %8s %8s %8s %8s %8s %8s %8s\n", "tdx-series +", "2M", "wlock", "promote",
	       "block", "xfault", "scan", "split");
	for (i = 0; i < 4; i++) {
		boot(td, td_policies[i], &r[i]);
		printf("  %-30s %8llu %8llu %8llu %8llu %8llu %8llu %8llu\n", td_policies[i],
		       (unsigned long long)r[i].leaves_2m, (unsigned long long)r[i].write_locked,
		       (unsigned long long)r[i].promoted, (unsigned long long)r[i].blocks,
		       (unsigned long long)r[i].extra_faults, (unsigned long long)r[i].scan_work,
		       (unsigned long long)r[i].splits);
	}
	/* one-way: every 4K-accepted 2 MiB stays split */
	ck_assert_uint_le(r[0].leaves_2m, TD_PAGES / M2 - EARLY_CHUNKS);
	ck_assert_uint_eq(r[0].promoted, 0);
	for (i = 1; i < 4; i++)
		ck_assert_msg(r[i].leaves_2m > r[0].leaves_2m, "%s: %llu 2M leaves, one-way %llu",
			      td_policies[i], (unsigned long long)r[i].leaves_2m,
			      (unsigned long long)r[0].leaves_2m);
	ck_assert_uint_gt(r[3].extra_faults, 0);	/* blocking costs faults */
	ck_assert_uint_eq(r[2].scan_work, 0);		/* fault-time merging scans nothing */
	free(td);
}
END_TEST

Suite *scenario_suite(void)
{
	Suite *s = suite_create("scenario");
	TCase *tc = tcase_create("tdx");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, tdx_boot);
	suite_add_tcase(s, tc);
	return s;
}
