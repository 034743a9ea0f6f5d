// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The MMU decisions one mode at a time: pinning (on fault, at launch, the
 * limit, zaps that must not unpin, teardown, the SPTE hint), splitting only
 * as far as needed (in place, by zap, TDX block/track/demote), and each
 * merge strategy.  Every action list also runs on the rules simulator.
 */
#include "helpers.h"
#include "sim/sim.h"

#define G1 GFNS_PER_1G
#define M2 GFNS_PER_2M
#define UA 0x7f0000000000ULL

struct mt {
	struct tvm t;
	struct sim s;
	struct pmp_action buf[64];
	struct pmp_actions acts;
};

static void mt_init(struct mt *m, int vm_type, const char *policy)
{
	struct pmp_geometry geo = test_geometry(2 * G1);
	struct pmp_slot slot = { .base_gfn = 0, .npages = 2 * G1, .userspace_addr = UA };
	struct pmp_policy p;
	uint64_t c;

	geo.vm_type = (uint32_t)vm_type;
	geo.nr_vtls = 1;
	tvm_init(&m->t, &geo);
	ck_assert_int_eq(pmp_policy_preset(&p, "recommended"), 0);
	ck_assert_int_eq(pmp_policy_parse(&p, policy, NULL), 0);
	ck_assert_int_eq(pmp_vm_set_policy(m->t.vm, &p), 0);
	ck_assert_int_eq(pmp_slot_create(m->t.vm, 0, &slot), 0);
	sim_init(&m->s, vm_type, 2 * G1);
	m->s.slot[0] = slot;
	m->s.in_use[0] = 1;
	m->s.inhibit_clear = p.inhibit == PMP_INHIBIT_CLEAR;
	for (c = 0; c < m->s.chunks; c++)
		m->s.folio[c] = 18;
}

static void mt_free(struct mt *m)
{
	sim_free(&m->s);
	tvm_free(&m->t);
}

static struct pmp_actions *fresh(struct mt *m)
{
	m->acts.buf = m->buf;
	m->acts.cap = 64;
	m->acts.nr = 0;
	return &m->acts;
}

/* Run the last call's actions on the simulator; it must accept them. */
static void run(struct mt *m)
{
	ck_assert_msg(sim_apply_all(&m->s, &m->acts) == 0, "simulator: %s", m->s.error);
	ck_assert_int_eq(pmp_vm_check(m->t.vm), 0);
}

/* Is action i of the last list this one? */
static void expect_act(struct mt *m, uint32_t i, int type, int level, uint64_t gfn, uint64_t n)
{
	const struct pmp_action *a = &m->buf[i];

	ck_assert_uint_gt(m->acts.nr, i);
	ck_assert_msg(a->type == type && a->level == level && a->gfn == gfn && a->npages == n,
		      "action %u: %s level %u %#llx+%#llx, want %s level %d %#llx+%#llx", i,
		      pmp_action_name(a->type), a->level, (unsigned long long)a->gfn,
		      (unsigned long long)a->npages, pmp_action_name((unsigned int)type), level,
		      (unsigned long long)gfn, (unsigned long long)n);
}

static int fault(struct mt *m, uint64_t gfn, int level)
{
	struct pmp_fault f = { .gfn = gfn, .backing_order = 18 };
	int err;

	if (m->s.attr[gfn] & SA_PRIVATE)
		f.flags = PMP_FAULT_PRIVATE;
	err = pmp_map(m->t.vm, &f, level, fresh(m));
	if (!err)
		run(m);
	return err;
}

static uint64_t count_pages(struct mt *m, int type)
{
	uint64_t n = 0;
	uint32_t i;

	for (i = 0; i < m->acts.nr; i++)
		if (m->buf[i].type == type)
			n += m->buf[i].npages;
	return n;
}

/* Teardown with arrays of @cap entries until done; the pages it unpinned. */
static uint64_t teardown_all(struct mt *m, uint64_t *cursor, uint32_t cap)
{
	uint64_t unpinned = 0;
	int ret;

	do {
		fresh(m)->cap = cap;
		ret = pmp_teardown(m->t.vm, cursor, &m->acts);
		ck_assert_int_ge(ret, 0);
		run(m);
		unpinned += count_pages(m, PMP_ACT_UNPIN);
	} while (ret == 1);
	return unpinned;
}

/*
 * Pin at the fault; no zap unpins but a memslot's own deletion or move,
 * which releases its pins; teardown unpins each page still pinned once.
 */
START_TEST(pin_on_fault)
{
	struct mt m;
	uint64_t cursor = 0, released = 0;
	int reason;

	mt_init(&m, PMP_VM_SEV, "pin=fault,recycle=allow");
	ck_assert_int_eq(fault(&m, 5, PMP_LEVEL_4K), 0);
	expect_act(&m, 0, PMP_ACT_PIN, 0, 5, 1);
	expect_act(&m, 1, PMP_ACT_MAP, PMP_LEVEL_4K, 5, 1);
	ck_assert_int_eq(fault(&m, M2 + 3, PMP_LEVEL_2M), 0);
	expect_act(&m, 0, PMP_ACT_PIN, 0, M2, M2);
	ck_assert_uint_eq(pmp_nr_pinned(m.t.vm), M2 + 1);

	for (reason = 0; reason < PMP_ZAP_TEARDOWN; reason++) {
		bool slot_gone = reason == PMP_ZAP_SLOT_DELETE || reason == PMP_ZAP_SLOT_MOVE;

		ck_assert_int_eq(pmp_zap(m.t.vm, reason, PMP_ZAP_FILTER_KVM, 0, 4 * M2, fresh(&m)), 0);
		run(&m);	/* the simulator: never an UNPIN of a mapped page */
		ck_assert_uint_eq(count_pages(&m, PMP_ACT_UNPIN), (slot_gone ? M2 + 1 : 0));
		released += count_pages(&m, PMP_ACT_UNPIN);
		ck_assert_uint_eq(pmp_nr_pinned(m.t.vm), (slot_gone ? 0 : M2 + 1));
		ck_assert_int_eq(fault(&m, 5, PMP_LEVEL_4K), 0);	/* pinned again only if released */
		ck_assert_uint_eq(count_pages(&m, PMP_ACT_PIN), (slot_gone ? 1 : 0));
		if (slot_gone) {	/* the 2 MiB too: pin it back for the next round */
			ck_assert_int_eq(pmp_zap(m.t.vm, PMP_ZAP_MMU_NOTIFIER, PMP_ZAP_FILTER_KVM, 0,
						 4 * M2, fresh(&m)), 0);
			run(&m);
			ck_assert_int_eq(fault(&m, 5, PMP_LEVEL_4K), 0);
			ck_assert_int_eq(fault(&m, M2 + 3, PMP_LEVEL_2M), 0);
			ck_assert_uint_eq(count_pages(&m, PMP_ACT_PIN), M2);
		}
	}
	ck_assert_uint_eq(released, 2 * (M2 + 1));

	ck_assert_uint_eq(teardown_all(&m, &cursor, 2), M2 + 1);	/* a tiny array: resumes */
	ck_assert_uint_eq(pmp_nr_pinned(m.t.vm), 0);
	ck_assert_uint_eq(m.s.nr_pinned, 0);
	ck_assert_int_eq(pmp_teardown(m.t.vm, &cursor, fresh(&m)), 0);	/* done stays done */
	ck_assert_uint_eq(m.acts.nr, 0);
	mt_free(&m);
}
END_TEST

/*
 * Issue 13 #1: pins followed gfns, not host pages.  SEV pin=fault: fault
 * gfn 0x42 (PIN), zap and delete the memslot, create it again over other
 * host memory, fault 0x42 again: no PIN was emitted, pmp_is_pinned() said
 * 1, and the new page was mapped unpinned.  The memslot's zap now releases
 * its pins (UNPIN while the old memslot still names the old host page),
 * its deletion is refused while they are held, and the new page is pinned
 * at its fault; teardown releases it once.
 */
START_TEST(pins_follow_host_pages)
{
	struct pmp_slot slot = { .base_gfn = 0, .npages = 2 * G1, .userspace_addr = UA }, again;
	uint64_t cursor = 0;
	struct mt m;

	mt_init(&m, PMP_VM_SEV, "pin=fault");
	ck_assert_int_eq(fault(&m, 0x42, PMP_LEVEL_4K), 0);
	expect_act(&m, 0, PMP_ACT_PIN, 0, 0x42, 1);
	ck_assert_fails_clean(&m.t, -EBUSY, pmp_slot_delete(m.t.vm, 0));	/* pins held */
	ck_assert_fails_clean(&m.t, -EBUSY, pmp_slot_move(m.t.vm, 0, 4 * M2));
	ck_assert_int_eq(pmp_zap(m.t.vm, PMP_ZAP_SLOT_DELETE, PMP_ZAP_FILTER_KVM, 0, 2 * G1,
				 fresh(&m)), 0);
	run(&m);
	ck_assert_uint_eq(m.acts.nr, 2);
	expect_act(&m, 0, PMP_ACT_ZAP, 0, 0, 2 * G1);
	expect_act(&m, 1, PMP_ACT_UNPIN, 0, 0x42, 1);	/* the old host page */
	ck_assert_int_eq(pmp_slot_delete(m.t.vm, 0), 0);
	again = slot;
	again.userspace_addr = UA + (4 * G1 << 12);	/* other host memory */
	ck_assert_int_eq(pmp_slot_create(m.t.vm, 0, &again), 0);
	ck_assert_int_eq(pmp_is_pinned(m.t.vm, 0x42), 0);
	ck_assert_int_eq(fault(&m, 0x42, PMP_LEVEL_4K), 0);
	expect_act(&m, 0, PMP_ACT_PIN, 0, 0x42, 1);	/* the new page is pinned */
	ck_assert_int_eq(pmp_is_pinned(m.t.vm, 0x42), 1);
	ck_assert_uint_eq(teardown_all(&m, &cursor, 64), 1);
	ck_assert_uint_eq(m.s.nr_pinned, 0);
	mt_free(&m);
}
END_TEST

/*
 * Pins survive what loses SPTEs: a zap, a dropped root or a recycled shadow
 * page; the page stays pinned (the plane says so), is not pinned again on
 * re-fault, and teardown unpins it exactly once.
 */
START_TEST(pins_survive_lost_sptes)
{
	uint64_t cursor = 0;
	struct mt m;
	int gfn, round;

	mt_init(&m, PMP_VM_SEV, "pin=fault,recycle=allow");
	for (round = 0; round < 3; round++) {
		for (gfn = 0; gfn < 8; gfn++) {
			ck_assert_int_eq(fault(&m, (uint64_t)gfn, PMP_LEVEL_4K), 0);
			ck_assert_uint_eq(count_pages(&m, PMP_ACT_PIN), round ? 0 : 1);
		}
		/* round 0: a zap; 1: a dropped root (all of it); 2: a recycled page */
		ck_assert_int_eq(pmp_zap(m.t.vm, round == 2 ? PMP_ZAP_RECYCLE : PMP_ZAP_MMU_NOTIFIER,
					 PMP_ZAP_FILTER_KVM,
					 0, round == 1 ? 2 * G1 : 8, fresh(&m)), 0);
		run(&m);
		for (gfn = 0; gfn < 8; gfn++)
			ck_assert_int_eq(pmp_is_pinned(m.t.vm, (uint64_t)gfn), 1);
	}
	ck_assert_uint_eq(teardown_all(&m, &cursor, 64), 8);
	mt_free(&m);
}
END_TEST

/* The limit refuses a fault cleanly; the count stays exact. */
START_TEST(pin_limit)
{
	struct pmp_stats before, after;
	struct mt m;
	uint64_t g;

	mt_init(&m, PMP_VM_SEV, "pin=fault,pin_limit=600");
	ck_assert_int_eq(fault(&m, 0, PMP_LEVEL_2M), 0);
	for (g = M2; g < M2 + 88; g++)
		ck_assert_int_eq(fault(&m, g, PMP_LEVEL_4K), 0);
	ck_assert_uint_eq(pmp_nr_pinned(m.t.vm), 600);
	pmp_vm_stats(m.t.vm, &before);
	tvm_snapshot(&m.t);
	ck_assert_int_eq(fault(&m, M2 + 88, PMP_LEVEL_4K), -ENOMEM);
	ck_assert_unchanged_but_decisions(&m.t);	/* issue 19: the snapshot is compared */
	pmp_vm_stats(m.t.vm, &after);
	ck_assert_uint_eq(after.decision[PMP_DECISION_PIN].refused[PMP_REASON_PIN_LIMIT],
			  before.decision[PMP_DECISION_PIN].refused[PMP_REASON_PIN_LIMIT] + 1);
	ck_assert_str_eq(pmp_strerror(-ENOMEM),
			 "out of memory: tracking pool exhausted or pin limit reached");
	ck_assert_uint_eq(m.acts.nr, 0);
	ck_assert_uint_eq(pmp_nr_pinned(m.t.vm), 600);
	ck_assert_int_eq(pmp_leaf_level(m.t.vm, M2 + 88), 0);	/* not half-mapped */
	ck_assert_int_eq(fault(&m, M2 + 87, PMP_LEVEL_4K), 0);	/* already pinned: fine */
	ck_assert_int_eq(pmp_vm_check(m.t.vm), 0);
	mt_free(&m);
}
END_TEST

/*
 * A kernel that referenced a whole leaf itself records its pins in one call
 * with no array, all or nothing: a leaf whose unpinned pages form more runs
 * than any array it has is never left half-recorded (the module once pinned
 * such a leaf in slices, and a refused slice left the earlier ones pinned in
 * the core with their references dropped).
 */
START_TEST(pin_range_without_array)
{
	uint64_t g;
	struct mt m;

	mt_init(&m, PMP_VM_SEV, "pin=launch,pin_limit=700");
	for (g = 0; g < 512; g += 2)	/* every other page: 256 runs left */
		ck_assert_int_eq(pmp_pin_range(m.t.vm, g, 1, fresh(&m)), 0);
	ck_assert_int_eq(pmp_pin_range(m.t.vm, 0, 512, fresh(&m)), -ENOSPC);
	ck_assert_int_eq(pmp_pin_range(m.t.vm, 0, 512, NULL), 0);
	ck_assert_uint_eq(pmp_nr_pinned(m.t.vm), 512);
	for (g = 0; g < 512; g++)
		ck_assert_int_eq(pmp_is_pinned(m.t.vm, g), 1);
	ck_assert_int_eq(pmp_vm_check(m.t.vm), 0);
	/* 512 more pages are past the limit: nothing of them recorded */
	tvm_snapshot(&m.t);
	ck_assert_int_eq(pmp_pin_range(m.t.vm, 512, 512, NULL), -ENOMEM);
	ck_assert_unchanged_but_decisions(&m.t);
	ck_assert_int_eq(pmp_pin_range(m.t.vm, 512, 188, NULL), 0);
	ck_assert_uint_eq(pmp_nr_pinned(m.t.vm), 700);
	ck_assert_int_eq(pmp_vm_check(m.t.vm), 0);
	mt_free(&m);
}
END_TEST

/* Launch pinning pins regions once; faults then pin nothing. */
START_TEST(pin_at_launch)
{
	struct mt m;

	mt_init(&m, PMP_VM_SEV, "pin=launch,pin_limit=1500");
	ck_assert_int_eq(pmp_pin_range(m.t.vm, 100, 1000, fresh(&m)), 0);
	run(&m);
	expect_act(&m, 0, PMP_ACT_PIN, 0, 100, 1000);
	ck_assert_int_eq(pmp_pin_range(m.t.vm, 50, 1100, fresh(&m)), 0);	/* overlaps */
	run(&m);
	ck_assert_uint_eq(m.acts.nr, 2);
	expect_act(&m, 0, PMP_ACT_PIN, 0, 50, 50);
	expect_act(&m, 1, PMP_ACT_PIN, 0, 1100, 50);
	ck_assert_uint_eq(pmp_nr_pinned(m.t.vm), 1100);
	ck_assert_int_eq(fault(&m, 5000, PMP_LEVEL_4K), 0);
	ck_assert_uint_eq(count_pages(&m, PMP_ACT_PIN), 0);
	tvm_snapshot(&m.t);
	ck_assert_int_eq(pmp_pin_range(m.t.vm, 4000, 401, fresh(&m)), -ENOMEM);	/* past 1500 */
	ck_assert_unchanged_but_decisions(&m.t);
	ck_assert_int_eq(pmp_pin_range(m.t.vm, 4000, 400, fresh(&m)), 0);
	mt_free(&m);

	mt_init(&m, PMP_VM_SEV, "pin=none");
	ck_assert_int_eq(pmp_pin_range(m.t.vm, 0, 1, fresh(&m)), -EINVAL);
	ck_assert_int_eq(fault(&m, 0, PMP_LEVEL_4K), 0);
	ck_assert_uint_eq(count_pages(&m, PMP_ACT_PIN), 0);
	mt_free(&m);

	mt_init(&m, PMP_VM_TDX, "pin=fault");	/* guest_memfd VMs never pin */
	ck_assert_int_eq(pmp_pin_range(m.t.vm, 0, 1, fresh(&m)), -EINVAL);
	ck_assert_int_eq(fault(&m, 0, PMP_LEVEL_4K), 0);
	ck_assert_uint_eq(count_pages(&m, PMP_ACT_PIN), 0);
	mt_free(&m);
}
END_TEST

/* recycle=refuse keeps shadow pages with pinned children; TDX keeps accepted pages. */
START_TEST(zap_refusals)
{
	struct mt m;

	mt_init(&m, PMP_VM_SEV, "pin=fault,recycle=refuse");
	ck_assert_int_eq(fault(&m, 7, PMP_LEVEL_4K), 0);
	tvm_snapshot(&m.t);
	ck_assert_int_eq(pmp_zap(m.t.vm, PMP_ZAP_RECYCLE, PMP_ZAP_FILTER_KVM, 0, 512, fresh(&m)), -EBUSY);
	ck_assert_unchanged_but_decisions(&m.t);
	ck_assert_uint_eq(m.acts.nr, 0);
	ck_assert_int_eq(pmp_leaf_level(m.t.vm, 7), PMP_LEVEL_4K);
	ck_assert_int_eq(pmp_zap(m.t.vm, PMP_ZAP_RECYCLE, PMP_ZAP_FILTER_KVM, 512, 512, fresh(&m)), 0);
	ck_assert_int_eq(pmp_zap(m.t.vm, PMP_ZAP_MMU_NOTIFIER, PMP_ZAP_FILTER_KVM, 0, 512, fresh(&m)), 0);
	run(&m);
	mt_free(&m);

	mt_init(&m, PMP_VM_TDX, "");
	ck_assert_int_eq(pmp_convert(m.t.vm, 0, 2 * G1, true, fresh(&m)), 0);
	sim_set_attr(&m.s, 0, 2 * G1, SA_PRIVATE, SA_PRIVATE);
	ck_assert_int_eq(fault(&m, 0, PMP_LEVEL_2M), 0);
	ck_assert_int_eq(pmp_zap(m.t.vm, PMP_ZAP_SLOT_DELETE, PMP_ZAP_FILTER_KVM, 0, 1, fresh(&m)), 0); /* pending */
	run(&m);
	ck_assert_int_eq(fault(&m, 0, PMP_LEVEL_4K), 0);
	ck_assert_int_eq(pmp_accept(m.t.vm, 0, PMP_LEVEL_4K, fresh(&m)), 0);
	sim_accept(&m.s, 0, PMP_LEVEL_4K);
	tvm_snapshot(&m.t);
	ck_assert_int_eq(pmp_zap(m.t.vm, PMP_ZAP_MMU_NOTIFIER, PMP_ZAP_FILTER_BOTH, 0, 1, fresh(&m)),
			 -EBUSY);
	ck_assert_unchanged_but_decisions(&m.t);
	/* a VTL protection change would zap it too: refused (found by fuzz_api) */
	ck_assert_fails_clean(&m.t, -EBUSY, pmp_vtl_protect(m.t.vm, 0, 0, 1, PMP_PROT_R,
							    fresh(&m)));
	ck_assert_int_eq(pmp_zap(m.t.vm, PMP_ZAP_TEARDOWN, PMP_ZAP_FILTER_KVM, 0, 1, fresh(&m)), 0);
	run(&m);
	mt_free(&m);
}
END_TEST

/*
 * Issue 13 #2: an MMU-notifier zap over [0, 512) in a TDX VM with one
 * accepted private page was -EBUSY and left the shared leaves recorded as
 * mapped.  KVM's notifier zaps only shared leaves and cannot fail: with
 * KVM's filter the zap takes the shared leaves and keeps the private ones.
 */
START_TEST(notifier_zap_takes_shared_only)
{
	struct mt m;
	uint64_t g;

	mt_init(&m, PMP_VM_TDX, "");
	ck_assert_int_eq(pmp_convert(m.t.vm, 0, 8, true, fresh(&m)), 0);
	run(&m);
	sim_set_attr(&m.s, 0, 8, SA_PRIVATE, SA_PRIVATE);
	for (g = 0; g < 16; g++)
		ck_assert_int_eq(fault(&m, g, PMP_LEVEL_4K), 0);
	ck_assert_int_eq(pmp_accept(m.t.vm, 0, PMP_LEVEL_4K, fresh(&m)), 0);
	run(&m);
	sim_accept(&m.s, 0, PMP_LEVEL_4K);
	ck_assert_int_eq(pmp_zap(m.t.vm, PMP_ZAP_MMU_NOTIFIER, PMP_ZAP_FILTER_KVM, 0, 512,
				 fresh(&m)), 0);
	run(&m);	/* the simulator zaps only shared leaves and checks accepted pages */
	ck_assert_uint_eq(m.acts.nr, 1);
	expect_act(&m, 0, PMP_ACT_ZAP, 0, 0, 512);
	ck_assert_uint_eq(m.buf[0].attr_filter, PMP_ZAP_FILTER_SHARED);
	for (g = 0; g < 16; g++)
		ck_assert_int_eq(pmp_leaf_level(m.t.vm, g), g < 8 ? PMP_LEVEL_4K : 0);
	/* the same with every filter KVM uses for a reason that cannot fail */
	for (g = 8; g < 16; g++)
		ck_assert_int_eq(fault(&m, g, PMP_LEVEL_4K), 0);
	ck_assert_int_eq(pmp_zap(m.t.vm, PMP_ZAP_DIRTY_LOG, PMP_ZAP_FILTER_SHARED, 0, 512,
				 fresh(&m)), 0);
	run(&m);
	ck_assert_int_eq(pmp_zap(m.t.vm, PMP_ZAP_NX_TOGGLE, PMP_ZAP_FILTER_KVM, 0, 512,
				 fresh(&m)), 0);
	ck_assert_uint_eq(m.acts.nr, 0);	/* nothing shared left mapped */
	/* private leaves over accepted pages: refused, nothing but the counters */
	tvm_snapshot(&m.t);
	ck_assert_int_eq(pmp_zap(m.t.vm, PMP_ZAP_MMU_NOTIFIER, PMP_ZAP_FILTER_PRIVATE, 0, 512,
				 fresh(&m)), -EBUSY);
	ck_assert_unchanged_but_decisions(&m.t);
	ck_assert_fails_clean(&m.t, -EINVAL, pmp_zap(m.t.vm, PMP_ZAP_MMU_NOTIFIER, 4, 0, 1,
						     fresh(&m)));
	ck_assert_int_eq(pmp_zap(m.t.vm, PMP_ZAP_TEARDOWN, PMP_ZAP_FILTER_KVM, 0, 512,
				 fresh(&m)), 0);
	run(&m);
	ck_assert_int_eq(pmp_leaf_level(m.t.vm, 0), 0);
	mt_free(&m);
}
END_TEST

/*
 * Issue 13 #3: one call per concept.  pmp_set_private() kept TDX acceptance
 * on a page that became shared, so a later memslot zap of it was refused,
 * and skipped the deferred-punch check.  pmp_convert() is the one call; a
 * caller with no mappings passes no array, and gets -ENOSPC (nothing
 * changed) only when the conversion needs actions.
 */
START_TEST(one_call_per_concept)
{
	struct pmp_action big[PMP_PUNCH_ACTIONS + 64];
	struct pmp_actions all = { .buf = big, .cap = PMP_PUNCH_ACTIONS + 64 };
	struct mt m;

	mt_init(&m, PMP_VM_TDX, "");
	ck_assert_int_eq(pmp_convert(m.t.vm, 0, 8, true, NULL), 0);	/* nothing mapped */
	sim_set_attr(&m.s, 0, 8, SA_PRIVATE, SA_PRIVATE);
	ck_assert_int_eq(fault(&m, 0, PMP_LEVEL_4K), 0);
	ck_assert_int_eq(pmp_accept(m.t.vm, 0, PMP_LEVEL_4K, fresh(&m)), 0);
	run(&m);
	sim_accept(&m.s, 0, PMP_LEVEL_4K);
	ck_assert_fails_clean(&m.t, -ENOSPC, pmp_convert(m.t.vm, 0, 1, false, NULL)); /* mapped */
	ck_assert_int_eq(pmp_convert(m.t.vm, 0, 1, false, fresh(&m)), 0);
	run(&m);
	sim_set_attr(&m.s, 0, 1, SA_PRIVATE, 0);
	sim_unaccept(&m.s, 0, 1);
	ck_assert_int_eq(pmp_convert(m.t.vm, 0, 1, true, NULL), 0);	/* back: pending */
	sim_set_attr(&m.s, 0, 1, SA_PRIVATE, SA_PRIVATE);
	ck_assert_int_eq(fault(&m, 0, PMP_LEVEL_4K), 0);
	/* its acceptance went with the conversion: a memslot zap may take it */
	ck_assert_int_eq(pmp_zap(m.t.vm, PMP_ZAP_SLOT_DELETE, PMP_ZAP_FILTER_BOTH, 0, 1,
				 fresh(&m)), 0);
	run(&m);
	mt_free(&m);

	/* a conversion to private over a deferred punch flushes it, or needs an array */
	mt_init(&m, PMP_VM_DEFAULT, "inval=defer-2m,on_conflict=flush");
	ck_assert_int_eq(fault(&m, 100, PMP_LEVEL_4K), 0);		/* saw a 1 GiB folio */
	ck_assert_int_eq(pmp_punch(m.t.vm, 3, 1, NULL, &all), 0);	/* so this waits */
	ck_assert_uint_eq(pmp_nr_deferred(m.t.vm), 1);
	ck_assert_fails_clean(&m.t, -ENOSPC, pmp_convert(m.t.vm, 0, 8, true, NULL));
	all.nr = 0;
	ck_assert_int_eq(pmp_convert(m.t.vm, 0, 8, true, &all), 0);
	ck_assert_uint_eq(pmp_nr_deferred(m.t.vm), 0);
	ck_assert_uint_eq(big[0].type, PMP_ACT_INVALIDATE);
	ck_assert_int_eq(pmp_vm_check(m.t.vm), 0);
	mt_free(&m);
}
END_TEST

/* Converting one page of a 1 GiB leaf: 1G -> 2M, only its 2 MiB -> 4K. */
START_TEST(split_only_as_needed)
{
	struct mt m;

	mt_init(&m, PMP_VM_DEFAULT, "split=inplace");
	ck_assert_int_eq(fault(&m, 0, PMP_LEVEL_1G), 0);
	ck_assert_int_eq(pmp_convert(m.t.vm, 0x1234, 1, true, fresh(&m)), 0);
	sim_set_attr(&m.s, 0x1234, 1, SA_PRIVATE, SA_PRIVATE);
	run(&m);
	ck_assert_uint_eq(m.acts.nr, 3);
	expect_act(&m, 0, PMP_ACT_SPLIT, PMP_LEVEL_2M, 0, G1);
	expect_act(&m, 1, PMP_ACT_SPLIT, PMP_LEVEL_4K, 0x1200, M2);
	expect_act(&m, 2, PMP_ACT_ZAP, 0, 0x1234, 1);
	ck_assert_int_eq(pmp_leaf_level(m.t.vm, 0x1234), 0);
	ck_assert_int_eq(pmp_leaf_level(m.t.vm, 0x1235), PMP_LEVEL_4K);
	ck_assert_int_eq(pmp_leaf_level(m.t.vm, 0x1000), PMP_LEVEL_2M);
	ck_assert_int_eq(pmp_leaf_level(m.t.vm, G1 - 1), PMP_LEVEL_2M);
	/* a 2 MiB-aligned conversion cuts the 1G edge only to 2 MiB */
	ck_assert_int_eq(pmp_convert(m.t.vm, 0x4000, M2, true, fresh(&m)), 0);
	sim_set_attr(&m.s, 0x4000, M2, SA_PRIVATE, SA_PRIVATE);
	run(&m);
	ck_assert_uint_eq(m.acts.nr, 1);
	expect_act(&m, 0, PMP_ACT_ZAP, 0, 0x4000, M2);
	ck_assert_int_eq(pmp_leaf_level(m.t.vm, 0x4200), PMP_LEVEL_2M);
	mt_free(&m);

	mt_init(&m, PMP_VM_DEFAULT, "split=zap");	/* KVM's default: zap, re-fault */
	ck_assert_int_eq(fault(&m, 0, PMP_LEVEL_1G), 0);
	ck_assert_int_eq(pmp_convert(m.t.vm, 0x1234, 1, true, fresh(&m)), 0);
	sim_set_attr(&m.s, 0x1234, 1, SA_PRIVATE, SA_PRIVATE);
	run(&m);
	expect_act(&m, 0, PMP_ACT_ZAP, PMP_LEVEL_1G, 0, G1);
	ck_assert_int_eq(pmp_leaf_level(m.t.vm, 0x1000), 0);
	mt_free(&m);
}
END_TEST

/* TDX private memory is never zapped to split: block, track, demote. */
START_TEST(tdx_split_by_demote)
{
	struct mt m;

	mt_init(&m, PMP_VM_TDX, "");
	ck_assert_int_eq(pmp_convert(m.t.vm, 0, 2 * G1, true, fresh(&m)), 0);
	sim_set_attr(&m.s, 0, 2 * G1, SA_PRIVATE, SA_PRIVATE);
	ck_assert_int_eq(fault(&m, 0, PMP_LEVEL_1G), 0);
	ck_assert_int_eq(pmp_accept(m.t.vm, 0, PMP_LEVEL_1G, fresh(&m)), 0);
	sim_accept(&m.s, 0, PMP_LEVEL_1G);
	run(&m);
	ck_assert_int_eq(pmp_convert(m.t.vm, 0x1234, 1, false, fresh(&m)), 0);
	run(&m);		/* the simulator refuses any loss of accepted pages */
	sim_set_attr(&m.s, 0x1234, 1, SA_PRIVATE, 0);
	ck_assert_uint_eq(m.acts.nr, 7);
	expect_act(&m, 0, PMP_ACT_BLOCK, PMP_LEVEL_1G, 0, G1);
	expect_act(&m, 1, PMP_ACT_TRACK, PMP_LEVEL_1G, 0, G1);
	expect_act(&m, 2, PMP_ACT_DEMOTE, PMP_LEVEL_1G, 0, G1);
	expect_act(&m, 3, PMP_ACT_BLOCK, PMP_LEVEL_2M, 0x1200, M2);
	expect_act(&m, 5, PMP_ACT_DEMOTE, PMP_LEVEL_2M, 0x1200, M2);
	expect_act(&m, 6, PMP_ACT_ZAP, 0, 0x1234, 1);
	ck_assert_int_eq(pmp_leaf_level(m.t.vm, 0x1000), PMP_LEVEL_2M);
	mt_free(&m);
}
END_TEST

/* Dirty logging splits in one action; off, a scan restores 2 MiB in bounded ticks. */
START_TEST(dirty_log_and_scan)
{
	struct pmp_stats st;
	struct mt m;
	uint64_t g;
	int ticks = 0;

	mt_init(&m, PMP_VM_DEFAULT, "merge=scan,scan_ratio=4");
	for (g = 0; g < 64 * M2; g += M2)
		ck_assert_int_eq(fault(&m, g, PMP_LEVEL_2M), 0);
	ck_assert_int_eq(pmp_dirty_log(m.t.vm, 0, true, fresh(&m)), 0);
	run(&m);
	ck_assert_uint_eq(m.acts.nr, 1);
	expect_act(&m, 0, PMP_ACT_SPLIT, PMP_LEVEL_4K, 0, 2 * G1);
	m.s.slot[0].flags |= PMP_SLOT_DIRTY_LOG;
	ck_assert_int_eq(pmp_leaf_level(m.t.vm, 5 * M2), PMP_LEVEL_4K);
	ck_assert_int_gt(pmp_merge_tick(m.t.vm, fresh(&m)), 0);	/* nothing eligible */
	ck_assert_uint_eq(m.acts.nr, 0);
	ck_assert_int_eq(pmp_dirty_log(m.t.vm, 0, false, fresh(&m)), 0);
	m.s.slot[0].flags &= ~PMP_SLOT_DIRTY_LOG;
	/*
	 * Each tick acts on ceil(candidates / ratio), like NX recovery, so n
	 * candidates take about ratio * ln(n) ticks: 13 here, bounded by 4 * 7.
	 */
	while (pmp_leaf_level(m.t.vm, 63 * M2) != PMP_LEVEL_2M ||
	       pmp_leaf_level(m.t.vm, 0) != PMP_LEVEL_2M) {
		ck_assert_int_gt(pmp_merge_tick(m.t.vm, fresh(&m)), 0);
		run(&m);
		ck_assert_int_le(++ticks, 4 * 7);
	}
	ck_assert_int_eq(ticks, 13);
	pmp_vm_stats(m.t.vm, &st);
	ck_assert_uint_eq(st.promoted[PMP_LEVEL_2M], 64);
	/* turning dirty logging on behind the mirror's back is refused */
	ck_assert_int_eq(pmp_slot_set_flags(m.t.vm, 0, PMP_SLOT_DIRTY_LOG), -EBUSY);
	mt_free(&m);
}
END_TEST

/*
 * Regression (found by pmp-replay's live-migration workload): a 1 GiB leaf
 * split by dirty logging merges back in every 2 MiB range, not only the
 * one whose fault saw the 1 GiB folio.
 */
START_TEST(one_gig_folio_backs_every_2m_range)
{
	struct mt m;

	mt_init(&m, PMP_VM_DEFAULT, "upstream");
	ck_assert_int_eq(fault(&m, 0, PMP_LEVEL_1G), 0);
	ck_assert_int_eq(pmp_dirty_log(m.t.vm, 0, true, fresh(&m)), 0);
	run(&m);
	m.s.slot[0].flags |= PMP_SLOT_DIRTY_LOG;
	ck_assert_int_eq(pmp_dirty_log(m.t.vm, 0, false, fresh(&m)), 0);
	m.s.slot[0].flags &= ~PMP_SLOT_DIRTY_LOG;
	for (uint64_t g = 0; g < G1; g += 97 * M2) {
		ck_assert_int_eq(pmp_promote(m.t.vm, g, fresh(&m)), 0);
		run(&m);
		ck_assert_int_eq(pmp_leaf_level(m.t.vm, g), PMP_LEVEL_2M);
	}
	mt_free(&m);
}
END_TEST

/* merge=fault: the fault that maps the last sub-page promotes. */
START_TEST(merge_at_fault)
{
	struct mt m;
	uint64_t g;

	mt_init(&m, PMP_VM_DEFAULT, "merge=fault");
	for (g = 0; g < M2; g++) {
		ck_assert_int_eq(fault(&m, g, PMP_LEVEL_4K), 0);
		ck_assert_uint_eq(count_pages(&m, PMP_ACT_PROMOTE), g == M2 - 1 ? M2 : 0);
	}
	ck_assert_int_eq(pmp_leaf_level(m.t.vm, 7), PMP_LEVEL_2M);
	mt_free(&m);
}
END_TEST

/* merge=blocked: a tick blocks, the next fault promotes or unblocks. */
START_TEST(merge_blocked)
{
	struct mt m;
	uint64_t g;

	mt_init(&m, PMP_VM_DEFAULT, "merge=blocked,scan_ratio=1");
	for (g = 0; g < 2 * M2; g++)
		ck_assert_int_eq(fault(&m, g, PMP_LEVEL_4K), 0);
	ck_assert_int_gt(pmp_merge_tick(m.t.vm, fresh(&m)), 0);
	run(&m);
	ck_assert_uint_eq(count_pages(&m, PMP_ACT_BLOCK), 2 * M2);
	ck_assert_uint_eq(count_pages(&m, PMP_ACT_PROMOTE), 0);
	ck_assert_int_eq(sim_leaf_state(&m.s, 3), 2);
	ck_assert_int_eq(fault(&m, 3, PMP_LEVEL_2M), 0);		/* eligible: promote */
	expect_act(&m, 0, PMP_ACT_PROMOTE, PMP_LEVEL_2M, 0, M2);
	ck_assert_int_eq(fault(&m, M2 + 3, PMP_LEVEL_4K), 0);	/* 4K only: unblock */
	expect_act(&m, 0, PMP_ACT_UNBLOCK, PMP_LEVEL_4K, M2, M2);
	ck_assert_int_eq(sim_leaf_state(&m.s, M2 + 9), 1);
	mt_free(&m);
}
END_TEST

/* TDX promote wants all 512 sub-pages mapped and accepted. */
START_TEST(tdx_promote_needs_accept)
{
	struct mt m;
	uint64_t g;

	mt_init(&m, PMP_VM_TDX, "inhibit=clear");
	ck_assert_int_eq(pmp_convert(m.t.vm, 0, 2 * G1, true, fresh(&m)), 0);
	sim_set_attr(&m.s, 0, 2 * G1, SA_PRIVATE, SA_PRIVATE);
	for (g = 0; g < M2; g++)
		ck_assert_int_eq(fault(&m, g, PMP_LEVEL_4K), 0);
	ck_assert_int_eq(pmp_promote(m.t.vm, 0, fresh(&m)), -EAGAIN);	/* all pending */
	for (g = 0; g < M2 / 2; g++) {
		ck_assert_int_eq(pmp_accept(m.t.vm, g, PMP_LEVEL_4K, fresh(&m)), 0);
		sim_accept(&m.s, g, PMP_LEVEL_4K);
	}
	ck_assert_int_eq(pmp_promote(m.t.vm, 0, fresh(&m)), -EAGAIN);	/* mixed */
	ck_assert_uint_eq(m.acts.nr, 0);
	for (; g < M2; g++) {
		ck_assert_int_eq(pmp_accept(m.t.vm, g, PMP_LEVEL_4K, fresh(&m)), 0);
		sim_accept(&m.s, g, PMP_LEVEL_4K);
	}
	ck_assert_int_eq(pmp_promote(m.t.vm, 0, fresh(&m)), 0);
	run(&m);
	expect_act(&m, 0, PMP_ACT_BLOCK, PMP_LEVEL_4K, 0, M2);
	expect_act(&m, 1, PMP_ACT_TRACK, PMP_LEVEL_4K, 0, M2);
	expect_act(&m, 2, PMP_ACT_PROMOTE, PMP_LEVEL_2M, 0, M2);
	ck_assert_int_eq(pmp_promote(m.t.vm, 0, fresh(&m)), -EEXIST);
	mt_free(&m);
}
END_TEST

/* A 4K accept inside a 2M leaf demotes it; oneway keeps 4K, clear lifts it. */
START_TEST(accept_inhibit)
{
	static const char *const policies[] = { "inhibit=oneway", "inhibit=clear" };
	struct pmp_fault f = { .gfn = 0, .flags = PMP_FAULT_PRIVATE, .backing_order = 18 };
	enum pmp_reason why;
	struct mt m;
	uint64_t g;
	int i;

	for (i = 0; i < 2; i++) {
		mt_init(&m, PMP_VM_TDX, policies[i]);
		ck_assert_int_eq(pmp_convert(m.t.vm, 0, 2 * G1, true, fresh(&m)), 0);
		sim_set_attr(&m.s, 0, 2 * G1, SA_PRIVATE, SA_PRIVATE);
		ck_assert_int_eq(fault(&m, 0, PMP_LEVEL_2M), 0);
		ck_assert_int_eq(pmp_accept(m.t.vm, 5, PMP_LEVEL_4K, fresh(&m)), 0);
		run(&m);
		sim_accept(&m.s, 5, PMP_LEVEL_4K);
		expect_act(&m, 2, PMP_ACT_DEMOTE, PMP_LEVEL_2M, 0, M2);
		ck_assert_int_eq(pmp_max_level(m.t.vm, &f, &why), PMP_LEVEL_4K);
		ck_assert_int_eq(why, PMP_REASON_GUEST_ACCEPT);
		for (g = 0; g < M2; g++) {
			if (g == 5)
				continue;
			ck_assert_int_eq(pmp_accept(m.t.vm, g, PMP_LEVEL_4K, fresh(&m)), 0);
			sim_accept(&m.s, g, PMP_LEVEL_4K);
		}
		ck_assert_int_eq(pmp_max_level(m.t.vm, &f, &why), i ? PMP_LEVEL_1G : PMP_LEVEL_4K);
		ck_assert_int_eq(pmp_promote(m.t.vm, 0, fresh(&m)), i ? 0 : -EBUSY);
		run(&m);
		mt_free(&m);
	}
}
END_TEST

/* The @i-th of 512 accepts in @order: 0 ascending, 1 descending, 2 word by word across. */
static uint64_t accept_order(int order, uint64_t i)
{
	if (order == 0)
		return i;
	if (order == 1)
		return M2 - 1 - i;
	return (i % 8) * 64 + i / 8;	/* each 64-page word fills last, all at the end */
}

/*
 * A chunk fully mapped at 4 KiB, accepted one page at a time in different
 * orders, with merge ticks in between (each parks the chunk, not accepted,
 * and the next accept must unpark it): no accept emits an action, the
 * state checks after every call, nothing promotes before the last page,
 * and the last page makes the chunk promotable (merge=fault: promoted by
 * that accept).  Most of these accepts take the lean path (accept.c); the
 * first of the chunk, each word's last, the chunk's last and those after
 * a tick do not.  Chunks at the slot's start and either side of a 1 GiB
 * boundary, each in each order; TDX and SNP; merge settled, scan and fault.
 */
START_TEST(accept_page_by_page)
{
	static const int types[] = { PMP_VM_TDX, PMP_VM_SNP };
	static const char *const policies[] = { "inhibit=clear", "merge=scan", "merge=fault" };
	static const uint64_t heads[] = { 0, G1 - M2, G1 };
	unsigned int t, p, h;
	struct mt m;
	uint64_t i, g;

	for (t = 0; t < 2; t++)
	for (p = 0; p < 3; p++)
	for (h = 0; h < 3; h++) {
		uint64_t head = heads[h];
		unsigned int order = (h + p) % 3;	/* each order at each place, over the policies */

		mt_init(&m, types[t], policies[p]);
		ck_assert_int_eq(pmp_convert(m.t.vm, 0, 2 * G1, true, fresh(&m)), 0);
		run(&m);
		sim_set_attr(&m.s, 0, 2 * G1, SA_PRIVATE, SA_PRIVATE);
		for (g = head; g < head + M2; g++)
			ck_assert_int_eq(fault(&m, g, PMP_LEVEL_4K), 0);
		for (i = 0; i < M2; i++) {
			if (i % 37 == 0) {
				ck_assert_int_ge(pmp_merge_tick(m.t.vm, fresh(&m)), 0);
				run(&m);
				ck_assert_uint_eq(m.acts.nr, 0);
			}
			g = head + accept_order((int)order, i);
			ck_assert_int_eq(pmp_accept(m.t.vm, g, PMP_LEVEL_4K, fresh(&m)), 0);
			sim_accept(&m.s, g, PMP_LEVEL_4K);	/* the promote follows it */
			run(&m);
			if (i < M2 - 1) {
				ck_assert_uint_eq(m.acts.nr, 0);
				ck_assert_int_eq(pmp_leaf_level(m.t.vm, head), PMP_LEVEL_4K);
			}
		}
		if (p < 2) {
			ck_assert_int_eq(pmp_promote(m.t.vm, head, fresh(&m)), 0);
			run(&m);
		}
		ck_assert_int_eq(pmp_leaf_level(m.t.vm, head), PMP_LEVEL_2M);
		mt_free(&m);
	}
}
END_TEST

/*
 * Issue 19: teardown trusted its cursor.  span + 1 on a live VM returned
 * "done" with pages pinned and mapped; any cursor but 0 and the one the
 * last call handed out skips a step and is refused.
 */
START_TEST(teardown_cursor_checked)
{
	uint64_t span = 2 * G1, cursor, bad[] = { span + 1, span + 2, 2, 1, ~0ULL };
	struct mt m;
	uint32_t i;
	int ret;

	mt_init(&m, PMP_VM_SEV, "pin=fault");
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(fault(&m, 3 * i, PMP_LEVEL_4K), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cursor = bad[i];
		ck_assert_fails_clean(&m.t, -EINVAL, pmp_teardown(m.t.vm, &cursor, fresh(&m)));
	}
	cursor = 0;
	fresh(&m)->cap = 3;	/* the zap and two UNPINs */
	ck_assert_int_eq(pmp_teardown(m.t.vm, &cursor, &m.acts), 1);
	run(&m);
	ck_assert_uint_eq(cursor, 6 + 1);	/* the next pinned page, plus one */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t c = bad[i] == 1 ? 10 : bad[i];	/* 10 skips gfn 6 */

		ck_assert_fails_clean(&m.t, -EINVAL, pmp_teardown(m.t.vm, &c, fresh(&m)));
	}
	do {
		fresh(&m)->cap = 2;
		ret = pmp_teardown(m.t.vm, &cursor, &m.acts);
		ck_assert_int_ge(ret, 0);
		run(&m);
	} while (ret == 1);
	ck_assert_uint_eq(cursor, span + 1);
	ck_assert_uint_eq(pmp_nr_pinned(m.t.vm), 0);
	ck_assert_uint_eq(m.s.nr_pinned, 0);
	mt_free(&m);
}
END_TEST

/*
 * Teardown with arrays of every small size against one large array: the
 * same actions in the same order and the same final state (issue 19).
 */
START_TEST(teardown_every_array_size)
{
	struct pmp_actions none = { .buf = NULL, .cap = 0 };
	struct drv_call c = { .fn = drv_call_teardown, .name = "teardown", .resumable = true };
	struct pmp_action *big = malloc(70000 * sizeof(*big));
	struct pmp_actions all = { .buf = big, .cap = 70000 };
	struct pmp_vm *start;
	char why[256];
	uint32_t cap;
	struct mt m;
	uint64_t g, cursor = 0;

	mt_init(&m, PMP_VM_SEV, "pin=fault,inval=defer-2m");
	for (g = 0; g < 3 * M2; g += 1 + g % 7)
		ck_assert_int_eq(fault(&m, g, PMP_LEVEL_4K), 0);
	/* faults saw a 1 GiB folio: these punches wait for their chunks */
	ck_assert_int_eq(pmp_punch(m.t.vm, 4 * M2 + 9, 3, NULL, &all), 0);
	ck_assert_int_eq(pmp_punch(m.t.vm, 5 * M2 + 9, 3, NULL, &all), 0);
	ck_assert_uint_eq(all.nr, 0);
	ck_assert_uint_eq(pmp_nr_deferred(m.t.vm), 6);
	start = drv_vm_copy(m.t.vm);
	ck_assert_int_eq(pmp_teardown(m.t.vm, &cursor, &all), 0);
	ck_assert_uint_gt(all.nr, 100);
	for (cap = 0; cap <= 12; cap++)
		ck_assert_msg(!drv_oracle(start, m.t.vm, &c, 0, big, all.nr, cap, why, sizeof(why)),
			      "%s", why);
	ck_assert_int_eq(pmp_teardown(start, &cursor, &none), -EINVAL);	/* not its cursor */
	free(start);
	free(big);
	mt_free(&m);
}
END_TEST

/* Too little room for the actions: -ENOSPC, nothing changed. */
START_TEST(no_room)
{
	struct pmp_action one;
	struct pmp_actions small = { .buf = &one, .cap = 1 };
	struct mt m;

	mt_init(&m, PMP_VM_DEFAULT, "");
	ck_assert_int_eq(fault(&m, 0, PMP_LEVEL_1G), 0);
	ck_assert_fails_clean(&m.t, -ENOSPC, pmp_convert(m.t.vm, 7, 1, true, &small));
	ck_assert_fails_clean(&m.t, -ENOSPC, pmp_convert(m.t.vm, 7, 1, true, NULL));
	small.nr = 2;
	ck_assert_fails_clean(&m.t, -EINVAL, pmp_convert(m.t.vm, 7, 1, true, &small));
	ck_assert_fails_clean(&m.t, -EINVAL, pmp_accept(m.t.vm, 7, PMP_LEVEL_2M, fresh(&m)));
	ck_assert_fails_clean(&m.t, -EINVAL, pmp_zap(m.t.vm, PMP_ZAP_NR, PMP_ZAP_FILTER_KVM, 0, 1, fresh(&m)));
	ck_assert_fails_clean(&m.t, -ENOENT, pmp_dirty_log(m.t.vm, 3, true, fresh(&m)));
	mt_free(&m);
}
END_TEST

/*
 * A fault pins what its leaf covers and is not pinned yet, one PIN per
 * run, whichever way pin.c counts it: one page or one uniform 2 MiB at a
 * look, or a walk of the runs (a partly pinned 2 MiB, a 1 GiB).  Each
 * case pins @pin_n pages at @pin_gfn first (0: none), then faults.
 */
static const struct pin_case {
	const char *name;
	uint64_t pin_gfn, pin_n, gfn;
	int level;
	uint32_t nr;			/* PIN actions */
	uint64_t run_gfn[2], run_n[2];
} pin_cases[] = {
	{ "4K, unpinned", 0, 0, 7, PMP_LEVEL_4K, 1, { 7 }, { 1 } },
	{ "4K, pinned", 7, 1, 7, PMP_LEVEL_4K, 0, { 0 }, { 0 } },
	{ "4K, pinned neighbours", 6, 3, 9, PMP_LEVEL_4K, 1, { 9 }, { 1 } },
	{ "2M, unpinned", 0, 0, M2 + 5, PMP_LEVEL_2M, 1, { M2 }, { M2 } },
	{ "2M, all pinned", M2, M2, M2 + 5, PMP_LEVEL_2M, 0, { 0 }, { 0 } },
	{ "2M, head pinned", M2, 10, M2 + 5, PMP_LEVEL_2M, 1, { M2 + 10 }, { M2 - 10 } },
	{ "2M, middle pinned", M2 + 10, 10, M2, PMP_LEVEL_2M, 2, { M2, M2 + 20 },
	  { 10, M2 - 20 } },
	{ "2M, last page unpinned", M2, M2 - 1, M2, PMP_LEVEL_2M, 1, { 2 * M2 - 1 }, { 1 } },
	{ "1G, unpinned", 0, 0, G1 + 3, PMP_LEVEL_1G, 1, { G1 }, { G1 } },
	{ "1G, one 2M pinned", G1 + M2, M2, G1, PMP_LEVEL_1G, 2, { G1, G1 + 2 * M2 },
	  { M2, G1 - 2 * M2 } },
	{ "1G, all pinned", G1, G1, G1 + 3, PMP_LEVEL_1G, 0, { 0 }, { 0 } },
};

START_TEST(pin_runs)
{
	const struct pin_case *c = &pin_cases[_i];
	uint64_t before;
	uint32_t i, k = 0;
	struct mt m;

	mt_init(&m, PMP_VM_SEV, "pin=fault");
	if (c->pin_n) {
		ck_assert_int_eq(pmp_pin_range(m.t.vm, c->pin_gfn, c->pin_n, fresh(&m)), 0);
		run(&m);
	}
	before = pmp_nr_pinned(m.t.vm);
	ck_assert_int_eq(fault(&m, c->gfn, c->level), 0);
	for (i = 0; i < m.acts.nr; i++) {
		if (m.buf[i].type != PMP_ACT_PIN)
			continue;
		ck_assert_msg(k < c->nr, "%s: more than %u PIN actions", c->name, c->nr);
		expect_act(&m, i, PMP_ACT_PIN, 0, c->run_gfn[k], c->run_n[k]);
		k++;
	}
	ck_assert_msg(k == c->nr, "%s: %u PIN actions, want %u", c->name, k, c->nr);
	ck_assert_uint_eq(pmp_nr_pinned(m.t.vm), before + c->run_n[0] + c->run_n[1]);
	ck_assert_uint_eq(pmp_is_pinned(m.t.vm, c->gfn), 1);
	mt_free(&m);
}
END_TEST

Suite *mmu_suite(void)
{
	Suite *s = suite_create("mmu");
	TCase *tc = tcase_create("pin");

	tcase_add_test(tc, pin_on_fault);
	tcase_add_test(tc, pins_survive_lost_sptes);
	tcase_add_test(tc, pins_follow_host_pages);
	tcase_add_test(tc, pin_limit);
	tcase_add_test(tc, pin_at_launch);
	tcase_add_test(tc, pin_range_without_array);
	tcase_add_test(tc, zap_refusals);
	tcase_add_test(tc, notifier_zap_takes_shared_only);
	tcase_add_test(tc, one_call_per_concept);
	tcase_add_test(tc, teardown_cursor_checked);
	tcase_add_test(tc, teardown_every_array_size);
	tcase_add_loop_test(tc, pin_runs, 0, (int)(sizeof(pin_cases) / sizeof(pin_cases[0])));
	suite_add_tcase(s, tc);
	tc = tcase_create("split_merge");
	tcase_add_test(tc, split_only_as_needed);
	tcase_add_test(tc, tdx_split_by_demote);
	tcase_add_test(tc, dirty_log_and_scan);
	tcase_add_test(tc, one_gig_folio_backs_every_2m_range);
	tcase_add_test(tc, merge_at_fault);
	tcase_add_test(tc, merge_blocked);
	tcase_add_test(tc, tdx_promote_needs_accept);
	tcase_add_test(tc, accept_inhibit);
	tcase_add_test(tc, accept_page_by_page);
	tcase_add_test(tc, no_room);
	suite_add_tcase(s, tc);
	return s;
}
