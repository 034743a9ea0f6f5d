// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The core's own records degrade when the pool is short (internal.h,
 * "Lossy planes"): a chunk's mapped mirror becomes "maybe mapped" and its
 * acceptance "maybe accepted".  One row per operation on such a chunk:
 * fault, zap, conversion, merge and teardown each give the safe answer
 * (over-zap, never promote, refuse what would discard accepted pages), and
 * a whole-chunk update makes the chunk exact again.  Pins stay exact.
 */
#include "helpers.h"
#include "rng.h"

#define M2 GFNS_PER_2M
#define G1 GFNS_PER_1G
#define CH 1		/* the chunk whose mirror goes unknown */
#define ACTS 4096

static unsigned int order_2m(void *ctx, uint64_t gfn)
{
	(void)ctx;
	(void)gfn;
	return 9;
}

static const struct pmp_folios folios_2m = { .order = order_2m };

struct dvm {
	struct tvm t;
	struct pmp_action buf[ACTS];
	struct pmp_actions acts;
};

static struct pmp_actions *fresh(struct dvm *d)
{
	d->acts.nr = 0;
	return &d->acts;
}

static unsigned int unknown_at(struct dvm *d, uint64_t gfn)
{
	struct pmp_page_attrs a;

	ck_assert_int_eq(pmp_get_attrs(d->t.vm, gfn, &a), 0);
	return a.unknown;
}

/* Actions of @type in the last call covering @gfn. */
static unsigned int acts_over(struct dvm *d, unsigned int type, uint64_t gfn)
{
	unsigned int i, n = 0;

	for (i = 0; i < d->acts.nr; i++)
		n += d->buf[i].type == type && gfn - d->buf[i].gfn < d->buf[i].npages;
	return n;
}

/*
 * Teardown to the end, with small arrays; nothing stays mapped or pinned.
 * Returns the pages its UNPIN actions released.
 */
static uint64_t teardown_all(struct dvm *d)
{
	uint64_t cursor = 0, unpinned = 0;
	unsigned int i;
	int ret;

	d->acts.cap = 64;
	do {
		ret = pmp_teardown(d->t.vm, &cursor, fresh(d));
		ck_assert_int_ge(ret, 0);
		for (i = 0; i < d->acts.nr; i++)
			if (d->buf[i].type == PMP_ACT_UNPIN)
				unpinned += d->buf[i].npages;
	} while (ret == 1);
	ck_assert_uint_eq(pmp_nr_pinned(d->t.vm), 0);
	return unpinned;
}

/* A 1 GiB VM of @type in one memslot (@slot_flags), @pool blocks (0: the default). */
static struct dvm *dvm_new(uint32_t type, uint32_t pool, uint32_t slot_flags)
{
	struct pmp_geometry geo = test_geometry(G1);
	struct dvm *d = calloc(1, sizeof(*d));

	ck_assert_ptr_nonnull(d);
	geo.nr_vtls = 1;
	geo.vm_type = type;
	geo.pool_blocks = pool;
	tvm_init(&d->t, &geo);
	add_slot(&d->t, 0, 0, G1, 0x7f0000000000ULL, slot_flags);
	d->acts = (struct pmp_actions){ .buf = d->buf, .cap = ACTS };
	return d;
}

static void dvm_free(struct dvm *d)
{
	ck_assert_int_eq(pmp_vm_check(d->t.vm), 0);
	tvm_free(&d->t);
	free(d);
}

/*
 * A 1 GiB VM of @type with a 4-block pool: chunk CH wholly mapped by 4 KiB
 * leaves (uniform: no block), the pool filled by one private page in each
 * of chunks 3-6 (SEV, which has no private memory: one pinned page), then
 * one page of chunk CH zapped: its mirror has no block to go mixed in, so
 * it is unknown.
 */
static struct dvm *setup(uint32_t type)
{
	struct dvm *d = dvm_new(type, 4, 0);
	struct pmp_fault f = { .gfn = CH * M2 };
	struct pmp_vm_info info;
	uint64_t c;

	for (; f.gfn < (CH + 1) * M2; f.gfn++)
		ck_assert_int_eq(pmp_map(d->t.vm, &f, PMP_LEVEL_4K, fresh(d)), 0);
	for (c = 3; c <= 6; c++)
		ck_assert_int_eq(type == PMP_VM_SEV ? pmp_pin_range(d->t.vm, c * M2, 1, fresh(d)) :
			pmp_convert(d->t.vm, c * M2, 1, true, fresh(d)), 0);
	pmp_vm_info(d->t.vm, &info);
	ck_assert_uint_eq(info.pool_used, info.pool_blocks);
	ck_assert_int_eq(pmp_zap(d->t.vm, PMP_ZAP_MMU_NOTIFIER, PMP_ZAP_FILTER_KVM, CH * M2 + 5, 1,
				 fresh(d)), 0);
	ck_assert_uint_eq(unknown_at(d, CH * M2 + 5), PMP_ATTR_UNKNOWN_MAPPED(0));
	ck_assert_int_eq(pmp_vm_check(d->t.vm), 0);
	return d;
}

enum op { FAULT, ZAP, CONVERT, PROMOTE, TICK, TEARDOWN, FAULT_2M, ZAP_CHUNK };

static const struct row {
	const char *what;
	uint32_t type;
	enum op op;
} rows[] = {
	/* maybe mapped: a 4 KiB fault maps (MAP), the chunk stays unknown */
	{ "fault", PMP_VM_DEFAULT, FAULT },
	/* a zap of an unmapped page of it is still emitted: maybe mapped */
	{ "zap", PMP_VM_DEFAULT, ZAP },
	/* a conversion zaps its page: maybe mapped */
	{ "convert", PMP_VM_DEFAULT, CONVERT },
	/* never promoted while unknown: not known fully mapped */
	{ "promote", PMP_VM_DEFAULT, PROMOTE },
	{ "merge tick", PMP_VM_DEFAULT, TICK },
	/* teardown zaps it all; SEV: every pin released once */
	{ "teardown", PMP_VM_DEFAULT, TEARDOWN },
	{ "teardown, SEV pins", PMP_VM_SEV, TEARDOWN },
	/* a 2 MiB leaf or a whole-chunk zap makes it exact again */
	{ "2 MiB fault", PMP_VM_DEFAULT, FAULT_2M },
	{ "whole-chunk zap", PMP_VM_DEFAULT, ZAP_CHUNK },
};

START_TEST(maybe_mapped)
{
	const struct row *r = &rows[_i];
	struct dvm *d = setup(r->type);
	struct pmp_fault f = { .gfn = CH * M2 + 5, .backing_order = 9 };
	uint64_t before, gfn;

	before = pmp_nr_pinned(d->t.vm);
	switch (r->op) {
	case FAULT:
		ck_assert_int_eq(pmp_map(d->t.vm, &f, PMP_LEVEL_4K, fresh(d)), 0);
		ck_assert_uint_eq(acts_over(d, PMP_ACT_MAP, f.gfn), 1);
		ck_assert_uint_eq(unknown_at(d, f.gfn), PMP_ATTR_UNKNOWN_MAPPED(0));
		ck_assert_int_eq(pmp_leaf_level(d->t.vm, f.gfn), PMP_LEVEL_4K);
		break;
	case ZAP:
		ck_assert_int_eq(pmp_zap(d->t.vm, PMP_ZAP_MMU_NOTIFIER, PMP_ZAP_FILTER_KVM, f.gfn, 1,
					 fresh(d)), 0);
		ck_assert_uint_eq(acts_over(d, PMP_ACT_ZAP, f.gfn), 1);
		break;
	case CONVERT:
		/* the pool is full of private pages: the conversion's own is a whole chunk */
		ck_assert_int_eq(pmp_convert(d->t.vm, CH * M2, M2, true, fresh(d)), 0);
		ck_assert_uint_eq(acts_over(d, PMP_ACT_ZAP, f.gfn), 1);
		/* its zap covered the chunk: exact again, nothing mapped */
		ck_assert_uint_eq(unknown_at(d, f.gfn), 0);
		ck_assert_int_eq(pmp_leaf_level(d->t.vm, CH * M2 + 7), 0);
		break;
	case PROMOTE:
		ck_assert_int_eq(pmp_promote(d->t.vm, CH * M2, fresh(d)), -EAGAIN);
		/* the real leaves (every page but one) would promote if it faulted back */
		ck_assert_int_eq(pmp_map(d->t.vm, &f, PMP_LEVEL_4K, fresh(d)), 0);
		ck_assert_int_eq(pmp_promote(d->t.vm, CH * M2, fresh(d)), -EAGAIN);
		break;
	case TICK:
		/* it stays a candidate that is never ready: ticks look, never promote */
		for (gfn = 0; gfn < 8; gfn++) {
			ck_assert_int_ge(pmp_merge_tick(d->t.vm, fresh(d)), 0);
			ck_assert_uint_eq(acts_over(d, PMP_ACT_PROMOTE, CH * M2), 0);
		}
		ck_assert_int_eq(pmp_leaf_level(d->t.vm, CH * M2 + 7), PMP_LEVEL_4K);
		break;
	case TEARDOWN:
		teardown_all(d);
		/* SEV: every page chunk CH's faults pinned, released (exactly once: pmp_vm_check) */
		if (r->type == PMP_VM_SEV)
			ck_assert_uint_eq(before, M2 + 4);	/* and the 4 pins that fill the pool */
		for (gfn = CH * M2; gfn < (CH + 1) * M2; gfn++)
			ck_assert_int_eq(pmp_leaf_level(d->t.vm, gfn), 0);
		break;
	case FAULT_2M:
		ck_assert_int_eq(pmp_map(d->t.vm, &f, PMP_LEVEL_2M, fresh(d)), 0);
		ck_assert_uint_eq(unknown_at(d, f.gfn), 0);
		ck_assert_int_eq(pmp_leaf_level(d->t.vm, f.gfn), PMP_LEVEL_2M);
		break;
	case ZAP_CHUNK:
		ck_assert_int_eq(pmp_zap(d->t.vm, PMP_ZAP_MMU_NOTIFIER, PMP_ZAP_FILTER_KVM, CH * M2,
					 M2, fresh(d)), 0);
		ck_assert_uint_eq(unknown_at(d, f.gfn), 0);
		ck_assert_int_eq(pmp_leaf_level(d->t.vm, f.gfn), 0);
		break;
	}
	dvm_free(d);
}
END_TEST

/*
 * TDX: acceptance the pool cannot hold is "maybe accepted".  A zap that
 * must spare accepted private pages is refused on the whole chunk, and a
 * promotion waits, even where the truth would allow it; only teardown (or
 * a conversion) discards it.
 */
START_TEST(maybe_accepted)
{
	struct dvm *d = dvm_new(PMP_VM_TDX, 4, PMP_SLOT_GUEST_MEMFD);
	struct pmp_fault f = { .flags = PMP_FAULT_PRIVATE, .backing_order = 9 };
	uint64_t c, base = 8 * M2, gfn;

	ck_assert_int_eq(pmp_convert(d->t.vm, base, M2, true, fresh(d)), 0);
	/* every page faulted at 4 KiB and accepted, but the last: one block, acceptance */
	for (gfn = base; gfn < base + M2; gfn++) {
		f.gfn = gfn;
		ck_assert_int_eq(pmp_map(d->t.vm, &f, PMP_LEVEL_4K, fresh(d)), 0);
		if (gfn + 1 < base + M2)
			ck_assert_int_eq(pmp_accept(d->t.vm, gfn, PMP_LEVEL_4K, fresh(d)), 0);
	}
	ck_assert_uint_eq(unknown_at(d, base), 0);
	/* private pages elsewhere take every block, acceptance's by eviction */
	for (c = 3; c <= 6; c++)
		ck_assert_int_eq(pmp_convert(d->t.vm, c * M2, 1, true, fresh(d)), 0);
	ck_assert_uint_eq(unknown_at(d, base) & PMP_ATTR_UNKNOWN_ACCEPTED,
			  PMP_ATTR_UNKNOWN_ACCEPTED);
	/* the last page's accept: the chunk is all accepted, the core says maybe */
	ck_assert_int_eq(pmp_accept(d->t.vm, base + M2 - 1, PMP_LEVEL_4K, fresh(d)), 0);
	ck_assert_uint_eq(unknown_at(d, base) & PMP_ATTR_UNKNOWN_ACCEPTED,
			  PMP_ATTR_UNKNOWN_ACCEPTED);
	/* a slot move may not discard maybe-accepted private pages */
	tvm_snapshot(&d->t);
	ck_assert_int_eq(pmp_zap(d->t.vm, PMP_ZAP_RECYCLE, PMP_ZAP_FILTER_BOTH, base + 3, 1,
				 fresh(d)), -EBUSY);
	/* a promotion waits: not known accepted */
	ck_assert_int_eq(pmp_promote(d->t.vm, base, fresh(d)), -EAGAIN);
	/* teardown takes it all */
	teardown_all(d);
	ck_assert_int_eq(pmp_leaf_level(d->t.vm, base), 0);
	dvm_free(d);
}
END_TEST

/*
 * SEV: pins cannot degrade and have nothing to flush, so deferral leaves
 * them the block per chunk the default pool holds for them: a punch storm
 * over every chunk defers in at most the pool's spare blocks, and then a
 * 4 KiB pinning fault in every chunk still succeeds.
 */
START_TEST(sev_pins_keep_their_room)
{
	struct dvm *d = dvm_new(PMP_VM_SEV, 0, 0);	/* the default pool */
	struct pmp_fault f = { .backing_order = 9 };
	struct pmp_vm_info info;
	uint64_t c;
	unsigned int i;

	for (c = 0; c < 512; c++)
		ck_assert_int_eq(pmp_punch(d->t.vm, c * M2 + 9, 1, &folios_2m, fresh(d)), 0);
	pmp_vm_info(d->t.vm, &info);
	ck_assert_uint_le(pmp_nr_deferred(d->t.vm), info.pool_blocks - 512);
	ck_assert_uint_gt(pmp_nr_deferred(d->t.vm), 0);
	for (c = 0; c < 512; c++) {
		f.gfn = c * M2 + 100;
		ck_assert_int_eq(pmp_map(d->t.vm, &f, PMP_LEVEL_4K, fresh(d)), 0);
		for (i = 0; i < d->acts.nr && d->buf[i].type != PMP_ACT_PIN; i++)
			;
		ck_assert_uint_lt(i, d->acts.nr);
	}
	dvm_free(d);
}
END_TEST

/*
 * An SEV VM has no private memory (KVM sets has_private_mem only for
 * SW_PROTECTED, SNP and TDX VMs): a conversion to private is -EINVAL with
 * not a byte changed, to shared is accepted, as KVM_SET_MEMORY_ATTRIBUTES
 * does.  The other types convert.
 */
START_TEST(sev_has_no_private_memory)
{
	static const int want[PMP_VM_NR] = { [PMP_VM_SEV] = -EINVAL };
	struct dvm *d = dvm_new((uint32_t)_i, 0, 0);
	struct pmp_page_attrs a;

	tvm_snapshot(&d->t);
	ck_assert_int_eq(pmp_convert(d->t.vm, 3 * M2 + 7, 9, true, fresh(d)), want[_i]);
	if (want[_i]) {
		ck_assert_uint_eq(d->acts.nr, 0);
		ck_assert_unchanged(&d->t);
	}
	ck_assert_int_eq(pmp_get_attrs(d->t.vm, 3 * M2 + 7, &a), 0);
	ck_assert_int_eq(a.private, !want[_i]);
	ck_assert_int_eq(pmp_convert(d->t.vm, 3 * M2 + 7, 9, false, fresh(d)), 0);
	dvm_free(d);
}
END_TEST

/*
 * The default pool holds one block per chunk for the one exact feature of
 * each VM type (SEV: the pins, no private attributes) and 1/16 more: the
 * same for every type.  On 0.3 SEV's held two per chunk.
 */
START_TEST(default_pool_one_exact_feature)
{
	struct dvm *d = dvm_new((uint32_t)_i, 0, 0);
	struct pmp_vm_info info;

	pmp_vm_info(d->t.vm, &info);
	ck_assert_uint_eq(info.pool_blocks, 512 + 512 / 16);
	dvm_free(d);
}
END_TEST

/*
 * An SEV VM whose geometry says it has private memory all the same
 * (PMP_GEO_PRIVATE_MEM: a KVM SW_PROTECTED VM given SEV's pinning rules by
 * the module) converts both ways, and its default pool holds a block per
 * chunk for each exact plane, the pins and the private attributes; a
 * geometry flag this library does not know is -EINVAL.
 */
START_TEST(sev_private_mem_flag)
{
	struct pmp_geometry geo = test_geometry(G1);
	struct pmp_page_attrs a;
	struct pmp_vm_info info;
	struct tvm t;
	uint64_t bytes;

	geo.nr_vtls = 1;
	geo.vm_type = PMP_VM_SEV;
	geo.flags = 1U << 31;
	ck_assert_int_eq(pmp_vm_bound(&geo, &bytes), -EINVAL);
	geo.flags = PMP_GEO_PRIVATE_MEM;
	tvm_init(&t, &geo);
	add_slot(&t, 0, 0, G1, 0x7f0000000000ULL, 0);
	pmp_vm_info(t.vm, &info);
	ck_assert_uint_eq(info.pool_blocks, 2 * 512 + 512 / 16);
	ck_assert_int_eq(pmp_convert(t.vm, 3 * M2 + 7, 9, true, NULL), 0);
	ck_assert_int_eq(pmp_get_attrs(t.vm, 3 * M2 + 7, &a), 0);
	ck_assert_int_eq(a.private, 1);
	ck_assert_int_eq(pmp_convert(t.vm, 3 * M2 + 7, 9, false, NULL), 0);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tvm_free(&t);
}
END_TEST

#define SEV_STEPS 20000

/*
 * SEV under the default pool, randomized: 4 KiB pinning faults all over
 * (every chunk partly pinned at once), with zaps that leave the mapped
 * mirror mixed, write tracking and punches competing for the 1/16 of
 * spare blocks.  A pin never fails for lack of pool (it takes lossy blocks
 * back, and deferral leaves it its room), the invariants hold after every
 * step, and teardown unpins each pinned page exactly once.
 */
START_TEST(sev_random_default_pool)
{
	struct dvm *d = dvm_new(PMP_VM_SEV, 0, 0);
	uint64_t step, pinned_by_faults = 0;
	struct pmp_vm_info info;
	struct rng r;
	uint32_t i;
	int ret;

	rng_seed(&r, 7);
	for (step = 0; step < SEV_STEPS; step++) {
		uint64_t gfn = rng_below(&r, G1), n = 1 + rng_below(&r, 40);
		struct pmp_fault f = { .gfn = gfn, .backing_order = 9 };

		if (gfn + n > G1)
			n = G1 - gfn;
		switch (rng_below(&r, 8)) {
		case 0: case 1: case 2: case 3:
			ret = pmp_map(d->t.vm, &f, PMP_LEVEL_4K, fresh(d));
			ck_assert_int_eq(ret, 0);
			for (i = 0; i < d->acts.nr; i++)
				if (d->buf[i].type == PMP_ACT_PIN)
					pinned_by_faults += d->buf[i].npages;
			break;
		case 4: case 5:
			ret = pmp_zap(d->t.vm, PMP_ZAP_MMU_NOTIFIER, PMP_ZAP_FILTER_KVM, gfn, n,
				      fresh(d));
			ck_assert_int_eq(ret, 0);
			break;
		case 6:
			ret = pmp_write_track(d->t.vm, gfn, n, rng_below(&r, 2), fresh(d));
			ck_assert_int_eq(ret, 0);
			break;
		default:
			ret = pmp_punch(d->t.vm, gfn, n, &folios_2m, fresh(d));
			ck_assert_int_eq(ret, 0);
		}
		ck_assert_msg(pmp_vm_check(d->t.vm) == 0, "step %llu: invariants",
			      (unsigned long long)step);
	}
	pmp_vm_info(d->t.vm, &info);
	ck_assert_uint_eq(info.pool_used, info.pool_blocks);	/* the pool was short */
	ck_assert_uint_eq(pmp_nr_pinned(d->t.vm), pinned_by_faults);
	ck_assert_uint_eq(teardown_all(d), pinned_by_faults);
	dvm_free(d);
}
END_TEST

/*
 * SEV with a pool of 2 blocks, both held by partly pinned chunks 3 and 4:
 * a 4 KiB pinning fault in chunk 5 has no block for its pin, so it is
 * refused cleanly (-ENOMEM, reason pool, no action: never a page mapped but
 * not pinned; only the decision counters change), and each row then checks
 * what still works: a 2 MiB fault there (its pin is uniform: no block), a
 * zap, a conversion (to shared only: SEV has no private memory), a merge
 * tick, and teardown, which unpins every pinned page exactly once.
 */
enum sev_op { SEV_FAULT_2M, SEV_ZAP, SEV_CONVERT, SEV_TICK, SEV_TEARDOWN };

static const struct { const char *what; enum sev_op op; } sev_rows[] = {
	{ "2 MiB fault", SEV_FAULT_2M }, { "zap", SEV_ZAP }, { "convert", SEV_CONVERT },
	{ "merge tick", SEV_TICK }, { "teardown", SEV_TEARDOWN },
};

START_TEST(sev_pin_refused_for_pool)
{
	struct dvm *d = dvm_new(PMP_VM_SEV, 2, 0);
	struct pmp_fault f = { .backing_order = 9 };
	struct pmp_stats st;
	uint64_t c;

	for (c = 3; c <= 4; c++) {
		f.gfn = c * M2 + 9;
		ck_assert_int_eq(pmp_map(d->t.vm, &f, PMP_LEVEL_4K, fresh(d)), 0);
	}
	f.gfn = 5 * M2 + 9;
	tvm_snapshot(&d->t);
	ck_assert_int_eq(pmp_map(d->t.vm, &f, PMP_LEVEL_4K, fresh(d)), -ENOMEM);
	ck_assert_uint_eq(d->acts.nr, 0);
	ck_assert_unchanged_but_decisions(&d->t);
	pmp_vm_stats(d->t.vm, &st);
	ck_assert_uint_eq(st.decision[PMP_DECISION_PIN].refused[PMP_REASON_POOL], 1);
	ck_assert_int_eq(pmp_is_pinned(d->t.vm, f.gfn), 0);
	ck_assert_int_eq(pmp_leaf_level(d->t.vm, f.gfn), 0);
	switch (sev_rows[_i].op) {
	case SEV_FAULT_2M:
		ck_assert_int_eq(pmp_map(d->t.vm, &f, PMP_LEVEL_2M, fresh(d)), 0);
		ck_assert_uint_eq(acts_over(d, PMP_ACT_PIN, 5 * M2), 1);
		ck_assert_uint_eq(pmp_nr_pinned(d->t.vm), 2 + M2);
		break;
	case SEV_ZAP:
		ck_assert_int_eq(pmp_zap(d->t.vm, PMP_ZAP_MMU_NOTIFIER, PMP_ZAP_FILTER_KVM, 3 * M2,
					 3 * M2, fresh(d)), 0);
		ck_assert_uint_eq(acts_over(d, PMP_ACT_ZAP, 3 * M2 + 9), 1);
		ck_assert_uint_eq(pmp_nr_pinned(d->t.vm), 2);	/* zaps never unpin */
		break;
	case SEV_CONVERT:
		ck_assert_int_eq(pmp_convert(d->t.vm, 3 * M2, M2, true, fresh(d)), -EINVAL);
		ck_assert_int_eq(pmp_convert(d->t.vm, 3 * M2, M2, false, fresh(d)), 0);
		ck_assert_int_eq(pmp_is_pinned(d->t.vm, 3 * M2 + 9), 1);
		break;
	case SEV_TICK:
		ck_assert_int_ge(pmp_merge_tick(d->t.vm, fresh(d)), 0);
		break;
	case SEV_TEARDOWN:
		break;
	}
	ck_assert_int_eq(pmp_vm_check(d->t.vm), 0);
	ck_assert_uint_eq(teardown_all(d), sev_rows[_i].op == SEV_FAULT_2M ? 2 + M2 : 2);
	dvm_free(d);
}
END_TEST

Suite *degrade_suite(void)
{
	Suite *s = suite_create("degrade");
	TCase *tc = tcase_create("lossy");

	tcase_set_timeout(tc, 60);	/* the randomized run checks every invariant each step */
	tcase_add_loop_test(tc, maybe_mapped, 0, sizeof(rows) / sizeof(rows[0]));
	tcase_add_test(tc, maybe_accepted);
	tcase_add_test(tc, sev_pins_keep_their_room);
	tcase_add_loop_test(tc, sev_has_no_private_memory, 0, PMP_VM_NR);
	tcase_add_loop_test(tc, default_pool_one_exact_feature, 0, PMP_VM_NR);
	tcase_add_test(tc, sev_private_mem_flag);
	tcase_add_test(tc, sev_random_default_pool);
	tcase_add_loop_test(tc, sev_pin_refused_for_pool, 0, sizeof(sev_rows) / sizeof(sev_rows[0]));
	suite_add_tcase(s, tc);
	return s;
}
