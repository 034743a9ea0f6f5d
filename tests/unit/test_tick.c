// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A merge tick's work follows the candidates it finds, not the memory it
 * passes (issue 16 item 5): on a 64 GiB VM, a tick visits each 1 GiB range
 * once and each candidate once, and never the chunks in between (before
 * the candidate index, a giant with one candidate cost 512 looks per tick).
 */
#include "helpers.h"

#define G1 GFNS_PER_1G
#define M2 GFNS_PER_2M

static struct pmp_action buf[4096];

static struct pmp_actions *fresh(void)
{
	static struct pmp_actions a = { .buf = buf, .cap = 4096 };

	a.nr = 0;
	return &a;
}

/* Map @n pages of the chunk at @head at 4 KiB, backed by a 2 MiB folio. */
static void map_4k(struct tvm *t, uint64_t head, uint64_t n)
{
	uint64_t g;

	for (g = head; g < head + n; g++) {
		struct pmp_fault f = { .gfn = g, .backing_order = 9 };

		ck_assert_int_eq(pmp_map(t->vm, &f, PMP_LEVEL_4K, fresh()), 0);
	}
}

/*
 * A 64 GiB VM, one slot, three candidates in one 1 GiB range, partly
 * mapped (never ready); returns the 1 GiB ranges a tick may pass.
 */
static uint64_t three_candidates(struct tvm *t)
{
	struct pmp_geometry geo = test_geometry(64 * G1);
	struct pmp_vm_info info;
	uint64_t giants;

	geo.nr_vtls = 1;
	tvm_init(t, &geo);
	add_slot(t, 0, 0, 64 * G1, 1ULL << 40, 0);
	pmp_vm_info(t->vm, &info);
	giants = info.max_giants + 1;	/* the pool, and its reserved giant 0 */
	ck_assert_uint_lt(giants, 100);
	map_4k(t, 10 * G1 + 7 * M2, 3);
	map_4k(t, 10 * G1 + 300 * M2, 1);
	map_4k(t, 10 * G1 + 511 * M2 + 5, 2);
	return giants;
}

START_TEST(tick_work_follows_candidates)
{
	uint64_t before, work, giants;
	struct pmp_stats st;
	struct tvm t;
	int looked;

	giants = three_candidates(&t);
	pmp_vm_stats(t.vm, &st);
	before = st.scan_work;
	looked = pmp_merge_tick(t.vm, fresh());
	ck_assert_int_gt(looked, 0);
	pmp_vm_stats(t.vm, &st);
	work = st.scan_work - before;
	ck_assert_uint_eq(work, (uint64_t)looked);
	/* a unit per 1 GiB passed and per candidate, plus the one it stops in */
	ck_assert_uint_le(work, giants + 3 + 1);
	ck_assert_uint_ge(work, 3);
	ck_assert_uint_eq(fresh()->nr, 0);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);

	/* a fully mapped candidate is still found and promoted (merge=settled: two ticks) */
	map_4k(&t, 20 * G1 + 3 * M2, M2);
	ck_assert_int_gt(pmp_merge_tick(t.vm, fresh()), 0);
	ck_assert_int_gt(pmp_merge_tick(t.vm, fresh()), 0);
	ck_assert_int_eq(pmp_leaf_level(t.vm, 20 * G1 + 3 * M2), PMP_LEVEL_2M);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tvm_free(&t);
}
END_TEST

/* The merge decisions taken so far. */
static uint64_t merges_tried(const struct tvm *t)
{
	struct pmp_stats st;

	pmp_vm_stats(t->vm, &st);
	return st.decision[PMP_DECISION_MERGE].tried;
}

/* One tick's scan work. */
static uint64_t tick_work(struct tvm *t)
{
	struct pmp_stats st;
	uint64_t before;

	pmp_vm_stats(t->vm, &st);
	before = st.scan_work;
	ck_assert_int_ge(pmp_merge_tick(t->vm, fresh()), 0);
	pmp_vm_stats(t->vm, &st);
	return st.scan_work - before;
}

/*
 * A candidate a tick refused for a lasting reason (not fully mapped) is
 * not looked at again until its leaves change: later ticks cost the 1 GiB
 * ranges they pass, not the refused candidates (before parking, every tick
 * re-examined all three, issue 16 item 5).
 */
START_TEST(tick_parks_refused)
{
	uint64_t tried, work, giants;
	struct tvm t;
	int i;

	giants = three_candidates(&t);
	tried = merges_tried(&t);
	ck_assert_uint_ge(tick_work(&t), 3);
	ck_assert_uint_eq(merges_tried(&t), tried + 3);	/* each refused once */
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	for (i = 0; i < 4; i++) {
		work = tick_work(&t);
		ck_assert_uint_eq(merges_tried(&t), tried + 3);	/* parked: not again */
		ck_assert_uint_le(work, giants);	/* the 1 GiB ranges passed, no candidate */
		ck_assert_uint_eq(fresh()->nr, 0);
	}
	/* its leaves change: looked at again; filled: promoted (settled: two ticks) */
	map_4k(&t, 10 * G1 + 300 * M2 + 1, M2 - 1);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tick_work(&t);
	ck_assert_uint_eq(merges_tried(&t), tried + 3);	/* settled: marked, not tried */
	tick_work(&t);
	ck_assert_int_eq(pmp_leaf_level(t.vm, 10 * G1 + 300 * M2), PMP_LEVEL_2M);
	ck_assert_uint_eq(merges_tried(&t), tried + 4);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tvm_free(&t);
}
END_TEST

/*
 * SNP: a fully mapped private range whose pages are not all validated is
 * parked; the guest's accepts unpark it and the next ticks promote it.  A
 * range mapped over a 4 KiB folio is parked until a fault reports a 2 MiB
 * folio there or a 1 GiB one anywhere in its 1 GiB range.  A policy change
 * unparks everything (the strategy decides what a tick asks).
 */
START_TEST(tick_unparks_on_change)
{
	struct pmp_geometry geo = test_geometry(4 * G1);
	struct pmp_fault f = { .flags = PMP_FAULT_PRIVATE, .backing_order = 9 };
	struct pmp_policy p;
	uint64_t g, tried;
	struct tvm t;

	geo.vm_type = PMP_VM_SNP;
	geo.nr_vtls = 1;
	tvm_init(&t, &geo);
	add_slot(&t, 0, 0, 4 * G1, 1ULL << 40, PMP_SLOT_GUEST_MEMFD);
	ck_assert_int_eq(pmp_convert(t.vm, 0, 2 * M2, true, fresh()), 0);
	for (g = 0; g < M2; g++) {
		f.gfn = g;
		ck_assert_int_eq(pmp_map(t.vm, &f, PMP_LEVEL_4K, fresh()), 0);
	}
	tried = merges_tried(&t);
	tick_work(&t);
	ck_assert_uint_eq(merges_tried(&t), tried + 1);	/* not accepted: parked */
	tick_work(&t);
	ck_assert_uint_eq(merges_tried(&t), tried + 1);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	for (g = 0; g < M2; g++)
		ck_assert_int_eq(pmp_accept(t.vm, g, PMP_LEVEL_4K, fresh()), 0);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tick_work(&t);
	tick_work(&t);
	ck_assert_int_eq(pmp_leaf_level(t.vm, 0), PMP_LEVEL_2M);

	/* shared pages over a 4 KiB folio: parked until a fault says 2 MiB */
	f.flags = 0;
	f.backing_order = 0;
	ck_assert_int_eq(pmp_convert(t.vm, M2, M2, false, fresh()), 0);
	for (g = M2; g < 2 * M2; g++) {
		f.gfn = g;
		ck_assert_int_eq(pmp_map(t.vm, &f, PMP_LEVEL_4K, fresh()), 0);
	}
	tried = merges_tried(&t);
	tick_work(&t);
	tick_work(&t);
	tick_work(&t);
	ck_assert_uint_eq(merges_tried(&t), tried + 1);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	ck_assert_int_eq(pmp_policy_preset(&p, "recommended"), 0);
	ck_assert_int_eq(pmp_policy_parse(&p, "merge=scan", NULL), 0);
	ck_assert_int_eq(pmp_vm_set_policy(t.vm, &p), 0);
	tick_work(&t);
	ck_assert_uint_eq(merges_tried(&t), tried + 2);	/* unparked, refused again */
	f.gfn = M2;
	f.backing_order = 9;	/* the same page, now seen over a 2 MiB folio */
	ck_assert_int_eq(pmp_map(t.vm, &f, PMP_LEVEL_4K, fresh()), 0);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tick_work(&t);
	ck_assert_int_eq(pmp_leaf_level(t.vm, M2), PMP_LEVEL_2M);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);

	/* parked over a 4 KiB folio; a fault elsewhere reports its 1 GiB folio */
	f.backing_order = 0;
	for (g = 2 * M2; g < 3 * M2; g++) {
		f.gfn = g;
		ck_assert_int_eq(pmp_map(t.vm, &f, PMP_LEVEL_4K, fresh()), 0);
	}
	tried = merges_tried(&t);
	tick_work(&t);
	tick_work(&t);
	ck_assert_uint_eq(merges_tried(&t), tried + 1);
	f.gfn = 5 * M2;
	f.backing_order = 18;
	ck_assert_int_eq(pmp_map(t.vm, &f, PMP_LEVEL_4K, fresh()), 0);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tick_work(&t);
	ck_assert_int_eq(pmp_leaf_level(t.vm, 2 * M2), PMP_LEVEL_2M);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tvm_free(&t);
}
END_TEST

/* @n ticks, the state checked after each. */
static void ticks_checked(struct tvm *t, unsigned int n)
{
	while (n--) {
		tick_work(t);
		ck_assert_int_eq(pmp_vm_check(t->vm), 0);
	}
}

/* The merge refusals for dirty logging so far. */
static uint64_t refused_dirty(const struct tvm *t)
{
	struct pmp_stats st;

	pmp_vm_stats(t->vm, &st);
	return st.decision[PMP_DECISION_MERGE].refused[PMP_REASON_DIRTY_LOG];
}

/* How dirty logging stops in memslot 0 (pmp_merge_unpark_slot()'s callers). */
enum log_stop { STOP_DIRTY_LOG_OFF, STOP_SET_FLAGS, STOP_DELETE, STOP_MOVE };

static void stop_logging(struct tvm *t, enum log_stop how)
{
	switch (how) {
	case STOP_DIRTY_LOG_OFF:
		ck_assert_int_eq(pmp_dirty_log(t->vm, 0, false, fresh()), 0);
		break;
	case STOP_SET_FLAGS:
		ck_assert_int_eq(pmp_slot_set_flags(t->vm, 0, 0), 0);
		break;
	case STOP_DELETE:
		ck_assert_int_eq(pmp_slot_delete(t->vm, 0), 0);
		break;
	case STOP_MOVE:
		ck_assert_int_eq(pmp_slot_move(t->vm, 0, 3 * G1), 0);
		break;
	}
}

/* Map @n pages of memslot @slot from @head at 4 KiB in VTL @vtl, over a 2 MiB folio. */
static void map_4k_vtl(struct tvm *t, uint32_t slot, unsigned int vtl, uint64_t head, uint64_t n)
{
	uint64_t g;

	for (g = head; g < head + n; g++) {
		struct pmp_fault f = { .gfn = g, .slot = slot, .backing_order = 9,
				       .vtl = (uint8_t)vtl };

		ck_assert_int_eq(pmp_map(t->vm, &f, PMP_LEVEL_4K, fresh()), 0);
	}
}

/*
 * A candidate in a dirty-logged memslot is refused once and parked (live
 * migration's ticks refused the same candidates on every tick: 18,432
 * refusals against 2,050 promotes); the counters count that one decision.
 * Dirty logging stopping in the slot, however it stops, unparks it: the
 * next ticks look again (and promote where the slot still maps it).  A
 * candidate in the slot beside it is never parked for it.  Candidates at
 * the slot's first and last chunk, and one straddling its end (refused as
 * not fully mapped first), in VTL 0 of a VM and VTL 1 of a VSM VM.
 */
START_TEST(tick_parks_dirty_logged)
{
	static const struct {
		enum log_stop how;
		uint64_t head;		/* the candidate in slot 0, [0, 1 GiB + 1 MiB) */
		bool promoted;		/* after logging stops: still in a slot */
	} cases[] = {
		{ STOP_DIRTY_LOG_OFF, 0, true },
		{ STOP_DIRTY_LOG_OFF, G1 - M2, true },
		{ STOP_SET_FLAGS, 7 * M2, true },
		{ STOP_DELETE, 7 * M2, false },
		{ STOP_MOVE, G1 - M2, false },
		{ STOP_DIRTY_LOG_OFF, G1, false },	/* straddles the slot's end */
	};
	struct pmp_geometry geo = test_geometry(8 * G1);
	uint64_t tried, refused;
	unsigned int i, vtls;
	struct tvm t;

	for (vtls = 1; vtls <= 2; vtls++)
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool straddles = cases[i].head == G1;

		geo.nr_vtls = vtls;
		tvm_init(&t, &geo);
		add_slot(&t, 0, 0, G1 + M2 / 2, 1ULL << 40, 0);
		add_slot(&t, 1, 2 * G1, G1, 1ULL << 41, 0);
		map_4k_vtl(&t, 0, vtls - 1, cases[i].head, straddles ? M2 / 2 : M2);
		map_4k_vtl(&t, 1, vtls - 1, 2 * G1 + 5 * M2, M2);
		ck_assert_int_eq(pmp_dirty_log(t.vm, 0, true, fresh()), 0);
		ck_assert_int_eq(pmp_vm_check(t.vm), 0);
		tried = merges_tried(&t);
		refused = refused_dirty(&t);
		ticks_checked(&t, 4);
		/* slot 1's candidate marked, then promoted; slot 0's refused once */
		ck_assert_int_eq(pmp_vtl_leaf_level(t.vm, vtls - 1, 2 * G1 + 5 * M2), PMP_LEVEL_2M);
		ck_assert_uint_eq(merges_tried(&t), tried + 2);
		ck_assert_uint_eq(refused_dirty(&t), refused + !straddles);
		stop_logging(&t, cases[i].how);
		ck_assert_int_eq(pmp_vm_check(t.vm), 0);
		tried = merges_tried(&t);
		ticks_checked(&t, 2);
		ck_assert_uint_gt(merges_tried(&t), tried);	/* the slot's candidates looked at again */
		ck_assert_int_eq(pmp_vtl_leaf_level(t.vm, vtls - 1, cases[i].head) == PMP_LEVEL_2M,
				 cases[i].promoted);
		tvm_free(&t);
	}
}
END_TEST

/*
 * A tick hands each candidate's memslot on to the next as a hint: adjacent
 * memslots, the middle one dirty-logged, candidates at each one's first
 * and last chunk, visited in one tick after another.  Each is decided in
 * its own memslot: those of the two outer ones promoted, the middle one's
 * refused for dirty logging once each and parked, whichever memslot the
 * candidate before it was in.
 */
START_TEST(tick_slot_hint)
{
	static const struct {
		uint64_t head;
		uint32_t slot;
		bool promoted;
	} cands[] = {
		{ 0, 0, true },
		{ G1 - M2, 0, true },		/* slot 0's last chunk, then slot 1's first */
		{ G1, 1, false },
		{ G1 + 63 * M2, 1, false },	/* slot 1's last, then slot 2's first */
		{ G1 + 64 * M2, 2, true },
		{ 2 * G1 - M2, 2, true },
	};
	struct pmp_geometry geo = test_geometry(4 * G1);
	uint64_t refused, tried;
	unsigned int i, n = sizeof(cands) / sizeof(cands[0]);
	struct tvm t;

	geo.nr_vtls = 1;
	tvm_init(&t, &geo);
	add_slot(&t, 0, 0, G1, 1ULL << 40, 0);
	add_slot(&t, 1, G1, 64 * M2, (1ULL << 40) + G1 * 4096, 0);
	add_slot(&t, 2, G1 + 64 * M2, G1 - 64 * M2, (1ULL << 40) + (G1 + 64 * M2) * 4096, 0);
	for (i = 0; i < n; i++)
		map_4k_vtl(&t, cands[i].slot, 0, cands[i].head, M2);
	ck_assert_int_eq(pmp_dirty_log(t.vm, 1, true, fresh()), 0);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tried = merges_tried(&t);
	refused = refused_dirty(&t);
	ticks_checked(&t, 4);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(pmp_leaf_level(t.vm, cands[i].head) == PMP_LEVEL_2M,
				 cands[i].promoted);
	/* four promoted (each decided once, after its mark), two refused once each */
	ck_assert_uint_eq(refused_dirty(&t), refused + 2);
	ck_assert_uint_eq(merges_tried(&t), tried + 6);
	tvm_free(&t);
}
END_TEST

/*
 * A 1 GiB range of a VTL's 2 MiB leaves is a 1 GiB candidate only over a
 * 1 GiB folio: without one (a TDX guest's 2 MiB-backed memory) every tick
 * used to decide it again and refuse it for backing order (tdx-boot
 * scaled: 524,319 refusals, 436 instructions an event); now no tick
 * decides anything there, and one reported by a fault makes it promote.
 */
START_TEST(tick_giant_needs_folio)
{
	static const struct {
		unsigned int vtl, backing_order;
	} cases[] = { { 0, 9 }, { 0, 18 }, { 1, 9 }, { 1, 18 } };
	struct pmp_geometry geo = test_geometry(4 * G1);
	unsigned int vtl = cases[_i].vtl;
	bool folio = cases[_i].backing_order == 18;
	uint64_t tried, head;
	struct tvm t;

	tvm_init(&t, &geo);
	add_slot(&t, 0, 0, 2 * G1, 1ULL << 40, 0);
	for (head = G1; head < 2 * G1; head += M2) {
		struct pmp_fault f = { .gfn = head, .backing_order = (uint8_t)cases[_i].backing_order,
				       .vtl = (uint8_t)vtl };

		ck_assert_int_eq(pmp_map(t.vm, &f, PMP_LEVEL_2M, fresh()), 0);
	}
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tried = merges_tried(&t);
	ticks_checked(&t, 3);
	ck_assert_int_eq(pmp_vtl_leaf_level(t.vm, vtl, G1 + 77), folio ? PMP_LEVEL_1G : PMP_LEVEL_2M);
	ck_assert_uint_eq(merges_tried(&t), tried + folio);
	tvm_free(&t);
}
END_TEST

/* The merge refusals for mixed private and shared pages so far. */
static uint64_t refused_mixed(const struct tvm *t)
{
	struct pmp_stats st;

	pmp_vm_stats(t->vm, &st);
	return st.decision[PMP_DECISION_MERGE].refused[PMP_REASON_MIXED_ATTRS];
}

/* Map every page of the chunk at @head VTL @vtl does not map, at 4 KiB, as its attribute says. */
static void refill_vtl(struct tvm *t, unsigned int vtl, uint64_t head)
{
	struct pmp_page_attrs a;
	uint64_t g;

	for (g = head; g < head + M2; g++) {
		struct pmp_fault f = { .gfn = g, .backing_order = 9, .vtl = (uint8_t)vtl };

		if (pmp_vtl_leaf_level(t->vm, vtl, g))
			continue;
		ck_assert_int_eq(pmp_get_attrs(t->vm, g, &a), 0);
		f.flags = a.private ? PMP_FAULT_PRIVATE : 0;
		ck_assert_int_eq(pmp_map(t->vm, &f, PMP_LEVEL_4K, fresh()), 0);
	}
}

/* What happens after a tick parked the candidate for its mixed pages. */
enum attr_change { CONVERT, SLOT_DELETE, SLOT_MOVE };

/*
 * swiotlb: a candidate whose private and shared pages mix is refused once
 * and parked (ticks refused it on every tick); the counters count that one
 * decision.  A conversion touching its chunk (pmp_change_attrs(), the only
 * writer of the private attribute) unparks it: the next ticks look again,
 * and promote once its pages agree and are mapped again; a conversion
 * beside it does not.  A memslot deleted or moved takes its leaves, so
 * nothing stays parked.  VTL 0 of a VM and VTL 1 of a VSM VM;
 * pmp_vm_check() after every step.
 */
START_TEST(tick_parks_mixed_attrs)
{
	static const struct {
		enum attr_change how;
		uint64_t off, n;	/* the conversion, from the candidate's head */
		bool private;
		bool looked_again, promoted;
	} cases[] = {
		{ CONVERT, 10, 6, false, true, true },		/* all shared again */
		{ CONVERT, 0, M2, true, true, true },		/* all private */
		{ CONVERT, 0, 10, true, true, false },		/* still mixed, other pages */
		{ CONVERT, 15, 1, false, true, false },		/* still mixed, its own pages */
		{ CONVERT, M2 + 3, 1, true, false, false },	/* the chunk beside */
		{ CONVERT, M2 - 1, 2, true, true, false },	/* straddles its end */
		{ SLOT_DELETE, 0, 0, false, false, false },
		{ SLOT_MOVE, 0, 0, false, false, false },
	};
	struct pmp_geometry geo = test_geometry(8 * G1);
	const uint64_t head = 7 * M2;
	uint64_t tried, refused;
	unsigned int i, vtls, vtl;
	struct tvm t;

	for (vtls = 1; vtls <= 2; vtls++)
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		vtl = vtls - 1;
		geo.nr_vtls = vtls;
		tvm_init(&t, &geo);
		add_slot(&t, 0, 0, G1, 1ULL << 40, PMP_SLOT_GUEST_MEMFD);
		ck_assert_int_eq(pmp_convert(t.vm, head + 10, 6, true, fresh()), 0);
		refill_vtl(&t, vtl, head);
		ck_assert_int_eq(pmp_vm_check(t.vm), 0);
		tried = merges_tried(&t);
		refused = refused_mixed(&t);
		ticks_checked(&t, 4);
		ck_assert_uint_eq(merges_tried(&t), tried + 1);
		ck_assert_uint_eq(refused_mixed(&t), refused + 1);
		if (cases[i].how == CONVERT) {
			ck_assert_int_eq(pmp_convert(t.vm, head + cases[i].off, cases[i].n,
						     cases[i].private, fresh()), 0);
			ck_assert_int_eq(pmp_vm_check(t.vm), 0);
			refill_vtl(&t, vtl, head);
		} else if (cases[i].how == SLOT_DELETE) {
			ck_assert_int_eq(pmp_slot_delete(t.vm, 0), 0);
		} else {
			ck_assert_int_eq(pmp_slot_move(t.vm, 0, 3 * G1), 0);
		}
		ck_assert_int_eq(pmp_vm_check(t.vm), 0);
		tried = merges_tried(&t);
		ticks_checked(&t, 3);
		ck_assert_int_eq(merges_tried(&t) > tried, cases[i].looked_again);
		ck_assert_int_eq(pmp_vtl_leaf_level(t.vm, vtl, head) == PMP_LEVEL_2M,
				 cases[i].promoted);
		tvm_free(&t);
	}
}
END_TEST

/* The merge refusals for @why so far. */
static uint64_t refused_for(const struct tvm *t, enum pmp_reason why)
{
	struct pmp_stats st;

	pmp_vm_stats(t->vm, &st);
	return st.decision[PMP_DECISION_MERGE].refused[why];
}

/* What keeps the 2 MiB at G1 small for as long as its memslots and the policy stay. */
enum slot_static { MISALIGNED_SHARED, MISALIGNED_PRIVATE, STRADDLES_SLOTS, POLICY_CAP_4K };

/* Map the 2 MiB at @head at 4 KiB over a 2 MiB folio, each page in the memslot holding it. */
static void fill_slots(struct tvm *t, uint64_t head, bool private)
{
	struct pmp_slot s;
	uint64_t g;
	uint32_t id;

	for (g = head; g < head + M2; g++) {
		struct pmp_fault f = { .gfn = g, .backing_order = 9,
				       .flags = private ? PMP_FAULT_PRIVATE : 0 };

		for (id = 0; pmp_slot_get(t->vm, id, &s) || g - s.base_gfn >= s.npages; id++)
			ck_assert_uint_lt(id, 4);
		f.slot = id;
		ck_assert_int_eq(pmp_map(t->vm, &f, PMP_LEVEL_4K, fresh()), 0);
	}
}

/*
 * A candidate a tick refuses for its memslot's alignment (shared, or a
 * private fault's guest_memfd offset), for straddling two memslots, or for
 * the policy's 4 KiB cap, is refused once and parked: those last until the
 * memslots or the policy change (a kernel VM's misaligned test memory had
 * every tick re-examine all its 512 candidates: 640 K instructions a
 * tick).  The slots replaced by one aligned slot, or the cap lifted, the
 * next ticks look again and promote it.  pmp_vm_check() after every tick.
 */
START_TEST(tick_parks_slot_static)
{
	static const struct {
		enum slot_static what;
		enum pmp_reason why;
	} cases[] = {
		{ MISALIGNED_SHARED, PMP_REASON_MISALIGNED },
		{ MISALIGNED_PRIVATE, PMP_REASON_MISALIGNED },
		{ STRADDLES_SLOTS, PMP_REASON_SLOT_BOUNDARY },
		{ POLICY_CAP_4K, PMP_REASON_POLICY_CAP },
	};
	struct pmp_geometry geo = test_geometry(8 * G1);
	struct pmp_slot s = { .npages = 2 * G1, .userspace_addr = 1ULL << 40,
			      .flags = PMP_SLOT_GUEST_MEMFD };
	uint64_t tried, refused;
	struct pmp_policy p;
	struct tvm t;
	int i = _i;

	geo.nr_vtls = 1;
	tvm_init(&t, &geo);
	if (cases[i].what == STRADDLES_SLOTS) {
		add_slot(&t, 0, 0, G1 + M2 / 2, 1ULL << 40, 0);
		add_slot(&t, 1, G1 + M2 / 2, G1, (1ULL << 40) + (G1 + M2 / 2) * 4096, 0);
	} else {
		if (cases[i].what == MISALIGNED_SHARED)
			s.userspace_addr += 4096;
		if (cases[i].what == MISALIGNED_PRIVATE)
			s.gmem_offset = 4096;
		ck_assert_int_eq(pmp_slot_create(t.vm, 0, &s), 0);
	}
	if (cases[i].what == POLICY_CAP_4K) {
		ck_assert_int_eq(pmp_policy_preset(&p, "recommended"), 0);
		ck_assert_int_eq(pmp_policy_parse(&p, "max_level=4k", NULL), 0);
		ck_assert_int_eq(pmp_vm_set_policy(t.vm, &p), 0);
	}
	if (cases[i].what == MISALIGNED_PRIVATE)
		ck_assert_int_eq(pmp_convert(t.vm, G1, M2, true, fresh()), 0);
	fill_slots(&t, G1, cases[i].what == MISALIGNED_PRIVATE);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tried = merges_tried(&t);
	refused = refused_for(&t, cases[i].why);
	ticks_checked(&t, 4);
	ck_assert_uint_eq(merges_tried(&t), tried + 1);
	ck_assert_uint_eq(refused_for(&t, cases[i].why), refused + 1);

	if (cases[i].what == POLICY_CAP_4K) {
		ck_assert_int_eq(pmp_policy_preset(&p, "recommended"), 0);
		ck_assert_int_eq(pmp_vm_set_policy(t.vm, &p), 0);
	} else {
		ck_assert_int_eq(pmp_slot_delete(t.vm, 0), 0);
		if (cases[i].what == STRADDLES_SLOTS)
			ck_assert_int_eq(pmp_slot_delete(t.vm, 1), 0);
		ck_assert_int_eq(pmp_vm_check(t.vm), 0);
		s.userspace_addr = 1ULL << 40;
		s.gmem_offset = 0;
		ck_assert_int_eq(pmp_slot_create(t.vm, 0, &s), 0);
	}
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tried = merges_tried(&t);
	ticks_checked(&t, 2);
	ck_assert_uint_gt(merges_tried(&t), tried);
	ck_assert_int_eq(pmp_leaf_level(t.vm, G1), PMP_LEVEL_2M);
	tvm_free(&t);
}
END_TEST

Suite *tick_suite(void);

Suite *tick_suite(void)
{
	Suite *s = suite_create("tick");
	TCase *tc = tcase_create("work");

	tcase_add_test(tc, tick_work_follows_candidates);
	tcase_add_test(tc, tick_parks_refused);
	tcase_add_test(tc, tick_unparks_on_change);
	tcase_add_test(tc, tick_parks_dirty_logged);
	tcase_add_test(tc, tick_parks_mixed_attrs);
	tcase_add_loop_test(tc, tick_parks_slot_static, 0, 4);
	tcase_add_test(tc, tick_slot_hint);
	tcase_add_loop_test(tc, tick_giant_needs_folio, 0, 4);
	suite_add_tcase(s, tc);
	return s;
}
