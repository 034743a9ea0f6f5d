// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * pmp_map_shared(): the common 4 KiB record made concurrently.  Each case
 * runs on two copies of one VM, one through pmp_map_shared() (pmp_map()
 * when it says 1, with nothing changed before), the other through pmp_map()
 * alone: same return, same actions, same state, same counters.  Then
 * threads fault a range together, each vCPU its own, under a
 * readers-writer lock as a kernel holds mmu_lock for read (pmp_map() under
 * the lock for write when pmp_map_shared() declines), and the result must
 * be the state of the same faults made one at a time.
 * pmp_map_shared_4k(), the same record with the fault as scalars, is held
 * to pmp_map_shared(): on the same cases, on bad input, and over random
 * faults, zaps and merge ticks with the invariants checked at every step;
 * pmp_map_shared_count() (map_shared.h) to the records each made.
 */
#include <pthread.h>
#include "helpers.h"
#include "rng.h"
#include "sim/driver.h"
#include "../libpmem_policy/map_shared.h"

#define UA 0x7f0000000000ULL
#define NR_VCPUS 4

/* A VM of guest-physical span @span with memslot 0 over its first 1 GiB, under @policy. */
static void ms_init_span(struct tvm *t, int vm_type, const char *policy, uint64_t span)
{
	struct pmp_geometry geo = test_geometry(span);
	struct pmp_slot slot = { .base_gfn = 0, .npages = GFNS_PER_1G, .userspace_addr = UA };
	struct pmp_policy p;

	geo.vm_type = (uint32_t)vm_type;
	geo.nr_vcpus = NR_VCPUS;
	tvm_init(t, &geo);
	ck_assert_int_eq(pmp_policy_preset(&p, "recommended"), 0);
	ck_assert_int_eq(pmp_policy_parse(&p, policy, NULL), 0);
	ck_assert_int_eq(pmp_vm_set_policy(t->vm, &p), 0);
	ck_assert_int_eq(pmp_slot_create(t->vm, 0, &slot), 0);
}

static void ms_init(struct tvm *t, int vm_type, const char *policy)
{
	ms_init_span(t, vm_type, policy, GFNS_PER_1G);
}

static struct pmp_fault ms_fault(uint64_t gfn, unsigned int order, unsigned int vtl,
				 unsigned int vcpu)
{
	struct pmp_fault f = { .gfn = gfn, .backing_order = (uint8_t)order, .vtl = (uint8_t)vtl,
			       .vcpu = (uint16_t)vcpu };

	return f;
}

/* pmp_map() at 4 KiB, which must succeed (a case's preface). */
static void ms_map(struct pmp_vm *vm, uint64_t gfn, unsigned int order)
{
	struct pmp_action buf[16];
	struct pmp_actions out = { .buf = buf, .cap = 16 };
	struct pmp_fault f = ms_fault(gfn, order, 0, 0);

	ck_assert_int_eq(pmp_map(vm, &f, PMP_LEVEL_4K, &out), 0);
}

struct ms_case {
	const char *name;
	int vm_type;
	const char *policy;
	/* pages [pre_lo, pre_hi) mapped first, with host folios of order pre_order */
	uint64_t pre_lo, pre_hi;
	unsigned int pre_order;
	uint64_t gfn;
	unsigned int order, vtl, slot;
	uint32_t cap;		/* room in the action array */
	int shared;		/* what pmp_map_shared() returns */
	unsigned int ticks;	/* merge ticks after the preface */
};

static const struct ms_case cases[] = {
	{ "second page of a chunk", 0, "", 0, 1, 0, 1, 0, 0, 0, 16, 0, 0 },
	{ "page of a chunk mapped before", 0, "", 0, 8, 0, 5, 0, 0, 0, 16, 0, 0 },
	{ "first page of a chunk: the plane is uniform", 0, "", 0, 0, 0, 7, 0, 0, 0, 16, 1, 0 },
	/* a word filled while a higher one is not full: the block stays mixed */
	{ "a page that fills its word", 0, "", 0, 63, 0, 63, 0, 0, 0, 16, 0, 0 },
	{ "a page that fills a word below a full one", 0, "", 1, 128, 0, 0, 0, 0, 0, 16, 0, 0 },
	{ "a page that fills a word, every higher one full", 0, "", 65, 512, 0, 64, 0, 0, 0, 16, 1,
	  0 },
	{ "a page that fills the last word", 0, "", 448, 511, 0, 511, 0, 0, 0, 16, 1, 0 },
	{ "a page in the next word", 0, "", 0, 63, 0, 64, 0, 0, 0, 16, 0, 0 },
	{ "the last page of a chunk, every other mapped", 0, "", 0, 511, 0, 511, 0, 0, 0, 16, 1, 0 },
	{ "SEV, pins on fault", PMP_VM_SEV, "pin=fault", 0, 1, 0, 1, 0, 0, 0, 16, 1, 0 },
	{ "SEV, pins at launch", PMP_VM_SEV, "pin=launch", 0, 1, 0, 1, 0, 0, 0, 16, 0, 0 },
	{ "merge at fault", 0, "merge=fault", 0, 1, 0, 1, 0, 0, 0, 16, 1, 0 },
	{ "merge by scan", 0, "merge=scan", 0, 1, 0, 1, 0, 0, 0, 16, 0, 0 },
	/* a tick refused the chunk for a lasting reason (not fully mapped): parked */
	{ "a parked candidate", 0, "merge=scan", 0, 1, 0, 1, 0, 0, 0, 16, 1, 1 },
	{ "a parked candidate, settled", 0, "merge=settled", 0, 1, 0, 1, 0, 0, 0, 16, 1, 1 },
	{ "a 2 MiB folio seen first", 0, "", 0, 1, 0, 1, 9, 0, 0, 16, 1, 0 },
	{ "a 2 MiB folio seen before", 0, "", 0, 1, 9, 1, 9, 0, 0, 16, 0, 0 },
	{ "a 2 MiB folio no longer there", 0, "", 0, 1, 9, 1, 0, 0, 0, 16, 1, 0 },
	{ "a 1 GiB folio seen before", 0, "", 0, 1, 18, 1, 18, 0, 0, 16, 0, 0 },
	{ "a 1 GiB folio no longer there", 0, "", 0, 1, 18, 1, 9, 0, 0, 16, 1, 0 },
	{ "VTL 1", 0, "", 0, 1, 0, 1, 0, 1, 0, 16, 1, 0 },
	{ "no room for the action", 0, "", 0, 1, 0, 1, 0, 0, 0, 0, 1, 0 },
	{ "no such memslot", 0, "", 0, 1, 0, 1, 0, 0, 3, 16, -ENOENT, 0 },
	{ "a memslot past the limit", 0, "", 0, 1, 0, 1, 0, 0, 100, 16, -EINVAL, 0 },
	{ "outside the memslot", 0, "", 0, 1, 0, GFNS_PER_1G, 0, 0, 0, 16, -EINVAL, 0 },
};

/* Two copies of case @k's VM, its preface mapped and its ticks run on each. */
static void ms_case_setup(const struct ms_case *k, struct tvm *a, struct tvm *b)
{
	struct pmp_action buf[16];
	struct pmp_actions out;
	uint64_t g;

	ms_init(a, k->vm_type, k->policy);
	ms_init(b, k->vm_type, k->policy);
	for (g = k->pre_lo; g < k->pre_hi; g++) {
		ms_map(a->vm, g, k->pre_order);
		ms_map(b->vm, g, k->pre_order);
	}
	for (g = 0; g < k->ticks; g++) {
		out = (struct pmp_actions){ .buf = buf, .cap = 16 };
		ck_assert_int_ge(pmp_merge_tick(a->vm, &out), 1);
		ck_assert_uint_eq(out.nr, 0);	/* refused: nothing to promote */
		out = (struct pmp_actions){ .buf = buf, .cap = 16 };
		ck_assert_int_ge(pmp_merge_tick(b->vm, &out), 1);
	}
}

START_TEST(same_as_pmp_map)
{
	const struct ms_case *k = &cases[_i];
	struct pmp_action abuf[16], bbuf[16];
	struct pmp_actions aout = { .buf = abuf, .cap = k->cap };
	struct pmp_actions bout = { .buf = bbuf, .cap = k->cap };
	struct pmp_fault f = ms_fault(k->gfn, k->order, k->vtl, 1);
	struct pmp_stats as, bs;
	struct tvm a, b;
	int ra, rb;

	f.slot = k->slot;
	ms_case_setup(k, &a, &b);
	tvm_snapshot(&a);
	ra = pmp_map_shared(a.vm, &f, &aout);
	ck_assert_msg(ra == k->shared, "%s: pmp_map_shared() gave %d, want %d", k->name, ra,
		      k->shared);
	if (ra) {
		ck_assert_unchanged(&a);
		ck_assert_uint_eq(aout.nr, 0);
	}
	if (ra == 1)
		ra = pmp_map(a.vm, &f, PMP_LEVEL_4K, &aout);
	rb = pmp_map(b.vm, &f, PMP_LEVEL_4K, &bout);
	ck_assert_msg(ra == rb, "%s: %d, pmp_map() alone %d", k->name, ra, rb);
	ck_assert_uint_eq(aout.nr, bout.nr);
	ck_assert_int_eq(memcmp(abuf, bbuf, aout.nr * sizeof(abuf[0])), 0);
	pmp_vm_stats(a.vm, &as);
	pmp_vm_stats(b.vm, &bs);
	ck_assert_msg(memcmp(&as, &bs, sizeof(as)) == 0, "%s: counters differ", k->name);
	ck_assert_msg(drv_state_equal(a.vm, b.vm, DRV_EXEMPT_COUNTERS), "%s: state differs",
		      k->name);
	ck_assert_int_eq(pmp_vm_check(a.vm), 0);
	if (!ra)
		ck_assert_int_eq(pmp_vtl_leaf_level(a.vm, k->vtl, k->gfn), PMP_LEVEL_4K);
	tvm_free(&a);
	tvm_free(&b);
}
END_TEST

/*
 * Fault @f (at VTL 0) on @a through pmp_map_shared_4k() and on @b through
 * pmp_map_shared(), each followed by pmp_map() when it says 1: the same
 * answers, nothing changed by a declined or failed record, the same
 * state and counters afterwards.  Returns pmp_map_shared_4k()'s answer.
 */
static int ms_4k_vs_shared(struct tvm *a, struct tvm *b, const struct pmp_fault *f)
{
	struct pmp_action abuf[16], bbuf[16];
	struct pmp_actions aout = { .buf = abuf, .cap = 16 };
	struct pmp_actions bout = { .buf = bbuf, .cap = 16 };
	struct pmp_stats as, bs;
	int ra, rb, shared;

	tvm_snapshot(a);
	ra = pmp_map_shared_4k(a->vm, f->slot, f->gfn, f->flags, f->backing_order, f->vcpu);
	rb = pmp_map_shared(b->vm, f, &bout);
	ck_assert_msg(ra == rb, "gfn %llu: pmp_map_shared_4k() %d, pmp_map_shared() %d",
		      (unsigned long long)f->gfn, ra, rb);
	shared = ra;
	if (ra)
		ck_assert_unchanged(a);
	if (ra == 1) {
		ra = pmp_map(a->vm, f, PMP_LEVEL_4K, &aout);
		rb = pmp_map(b->vm, f, PMP_LEVEL_4K, &bout);
		ck_assert_int_eq(ra, rb);
		ck_assert_uint_eq(aout.nr, bout.nr);
		ck_assert_int_eq(memcmp(abuf, bbuf, aout.nr * sizeof(abuf[0])), 0);
	} else if (!ra) {
		/* what pmp_map_shared_4k()'s 0 stands for */
		ck_assert_uint_eq(bout.nr, 1);
		ck_assert_int_eq(bbuf[0].type, PMP_ACT_MAP);
	}
	pmp_vm_stats(a->vm, &as);
	pmp_vm_stats(b->vm, &bs);
	ck_assert_msg(memcmp(&as, &bs, sizeof(as)) == 0, "counters differ");
	ck_assert(drv_state_equal(a->vm, b->vm, DRV_EXEMPT_COUNTERS));
	return shared;
}

/* Every case above at VTL 0 (the scalar call has no VTL), room for the action. */
START_TEST(scalar_same_as_shared)
{
	const struct ms_case *k = &cases[_i];
	struct pmp_fault f = ms_fault(k->gfn, k->order, 0, 1);
	struct tvm a, b;

	f.slot = k->slot;
	ms_case_setup(k, &a, &b);
	ms_4k_vs_shared(&a, &b, &f);
	ck_assert_int_eq(pmp_vm_check(a.vm), 0);
	tvm_free(&a);
	tvm_free(&b);
}
END_TEST

struct ms_bad {
	const char *name;
	uint32_t slot, flags, vcpu;
	uint64_t gfn;
	unsigned int order;
	int err;
};

static const struct ms_bad bad[] = {
	{ "unknown flag", 0, 1U << 3, 0, 1, 0, -EINVAL },
	{ "flags' top bit", 0, 1U << 31, 0, 1, 0, -EINVAL },
	{ "backing order 64", 0, 0, 0, 1, 64, -EINVAL },
	{ "backing order far out", 0, 0, 0, 1, 1U << 20, -EINVAL },
	{ "vcpu past nr_vcpus", 0, 0, NR_VCPUS, 1, 0, -EINVAL },
	{ "vcpu far out", 0, 0, 1U << 31, 1, 0, -EINVAL },
	{ "memslot past the limit", 100, 0, 0, 1, 0, -EINVAL },
	{ "memslot id far out", 1U << 31, 0, 0, 1, 0, -EINVAL },
	{ "no such memslot", 3, 0, 0, 1, 0, -ENOENT },
	{ "the page past the memslot", 0, 0, 0, GFNS_PER_1G, 0, -EINVAL },
	{ "a gfn far out", 0, 0, 0, ~0ULL, 0, -EINVAL },
};

/* Bad input: an error, the same as pmp_map_shared() where a fault can say it, nothing changed. */
START_TEST(scalar_bad_input)
{
	const struct ms_bad *k = &bad[_i];
	struct pmp_fault f = { .gfn = k->gfn, .slot = k->slot, .flags = k->flags,
			       .vcpu = (uint16_t)k->vcpu, .backing_order = (uint8_t)k->order };
	struct pmp_action buf[1];
	struct pmp_actions out = { .buf = buf, .cap = 1 };
	struct tvm a;

	ms_init(&a, 0, "");
	ms_map(a.vm, 0, 0);
	ck_assert_fails_clean(&a, k->err, pmp_map_shared_4k(a.vm, k->slot, k->gfn, k->flags,
							    k->order, k->vcpu));
	if (f.vcpu == k->vcpu && f.backing_order == k->order)
		ck_assert_fails_clean(&a, k->err, pmp_map_shared(a.vm, &f, &out));
	tvm_free(&a);
}
END_TEST

static const struct {
	const char *policy;
	bool shares;	/* pmp_map_shared() records some faults */
} ms_random_policies[] = {
	{ "", true }, { "merge=scan", true }, { "merge=settled", true },
	/* merging at fault time: the exclusive path */
	{ "merge=fault", false }, { "max_level=4k", true },
};

/*
 * Random faults in a few chunks (so words fill and chunks turn uniform),
 * random backing, vCPU and flags, now and then a memslot that is not
 * there, a zap of a random range or a merge tick: pmp_map_shared_4k()
 * against pmp_map_shared(), the invariants after every step.
 */
START_TEST(scalar_random_faults)
{
	static const unsigned int orders[] = { 0, 0, 0, 9, 18 };
	const char *policy = ms_random_policies[_i % 5].policy;
	int vm_type = _i >= 5 ? PMP_VM_SEV : 0;
	unsigned int step, shared = 0;
	struct pmp_action abuf[64], bbuf[64];
	struct tvm a, b;
	struct rng r;

	rng_seed(&r, 0x5e9 + (uint64_t)_i);
	ms_init(&a, vm_type, vm_type ? "pin=launch" : policy);
	ms_init(&b, vm_type, vm_type ? "pin=launch" : policy);
	for (step = 0; step < 3000; step++) {
		uint64_t gfn = rng_below(&r, 4 * GFNS_PER_2M);
		unsigned int op = (unsigned int)rng_below(&r, 100);

		if (op < 2) {
			struct pmp_actions aout = { .buf = abuf, .cap = 64 };
			struct pmp_actions bout = { .buf = bbuf, .cap = 64 };
			uint64_t n = 1 + rng_below(&r, GFNS_PER_2M);

			ck_assert_int_eq(pmp_zap(a.vm, PMP_ZAP_MMU_NOTIFIER, PMP_ZAP_FILTER_BOTH, gfn,
						 n, &aout),
					 pmp_zap(b.vm, PMP_ZAP_MMU_NOTIFIER, PMP_ZAP_FILTER_BOTH, gfn,
						 n, &bout));
		} else if (op < 4) {
			struct pmp_actions aout = { .buf = abuf, .cap = 64 };
			struct pmp_actions bout = { .buf = bbuf, .cap = 64 };

			ck_assert_int_eq(pmp_merge_tick(a.vm, &aout), pmp_merge_tick(b.vm, &bout));
		} else {
			struct pmp_fault f = ms_fault(gfn, orders[rng_below(&r, 5)], 0,
						      (unsigned int)rng_below(&r, NR_VCPUS));

			f.flags = (uint32_t)rng_below(&r, PMP_FAULT_FLAGS_ALL + 1);
			f.slot = op < 5 ? 3 : 0;
			shared += !ms_4k_vs_shared(&a, &b, &f);
		}
		ck_assert_int_eq(pmp_vm_check(a.vm), 0);
	}
	if (vm_type || ms_random_policies[_i % 5].shares)
		ck_assert_uint_ge(shared, 500);
	else
		ck_assert_uint_eq(shared, 0);
	/* the core's own count of them, which kshim reports as map_concurrent */
	ck_assert_uint_eq(pmp_map_shared_count(a.vm), shared);
	ck_assert_uint_eq(pmp_map_shared_count(b.vm), shared);
	ck_assert(drv_state_equal(a.vm, b.vm, 0));
	tvm_free(&a);
	tvm_free(&b);
}
END_TEST

/*
 * The VM's reasons to leave a fault to the exclusive path are one word
 * that every writer of its inputs keeps: each case flips one input (the
 * pin policy, the merge mode, the VM's type under pin=fault) with
 * pmp_vm_set_policy() and pmp_map_shared_4k() must follow, on a chunk
 * mapped under the policy in force, with the invariants (the word
 * recomputed) holding.
 */
static const struct {
	int vm_type;
	const char *before, *after;
	int shared_before, shared_after;	/* pmp_map_shared_4k()'s answer */
} stop_flips[] = {
	{ PMP_VM_SEV, "pin=launch", "pin=fault", 0, 1 },
	{ PMP_VM_SEV, "pin=fault", "pin=launch", 1, 0 },
	{ PMP_VM_SEV, "pin=fault", "pin=none", 1, 0 },
	{ 0, "pin=fault", "pin=launch", 0, 0 },
	{ PMP_VM_SNP, "pin=fault", "pin=none", 0, 0 },
	{ 0, "merge=scan", "merge=fault", 0, 1 },
	{ 0, "merge=fault", "merge=settled", 1, 0 },
	{ PMP_VM_SEV, "pin=launch,merge=fault", "pin=fault,merge=scan", 1, 1 },
	{ PMP_VM_SEV, "pin=fault,merge=fault", "pin=launch,merge=scan", 1, 0 },
};

/* Page 1 of chunk @chunk after pmp_map() of its page 0: pmp_map_shared_4k()'s answer. */
static int ms_second_page(struct pmp_vm *vm, uint64_t chunk)
{
	ms_map(vm, chunk * GFNS_PER_2M, 0);
	return pmp_map_shared_4k(vm, 0, chunk * GFNS_PER_2M + 1, 0, 0, 0);
}

START_TEST(stops_follow_policy)
{
	struct pmp_policy p;
	struct tvm t;

	ms_init(&t, stop_flips[_i].vm_type, stop_flips[_i].before);
	ck_assert_int_eq(ms_second_page(t.vm, 0), stop_flips[_i].shared_before);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	ck_assert_int_eq(pmp_policy_preset(&p, "recommended"), 0);
	ck_assert_int_eq(pmp_policy_parse(&p, stop_flips[_i].after, NULL), 0);
	ck_assert_int_eq(pmp_vm_set_policy(t.vm, &p), 0);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	ck_assert_int_eq(ms_second_page(t.vm, 1), stop_flips[_i].shared_after);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tvm_free(&t);
}
END_TEST

/* What a callback sees: the shared record's answer and the invariants. */
struct ms_in_callback {
	struct pmp_vm *vm;
	int calls, shared, check;
};

static void ms_callback_probe(struct ms_in_callback *x)
{
	x->calls++;
	x->shared = pmp_map_shared_4k(x->vm, 0, GFNS_PER_2M + 1, 0, 0, 0);
	x->check = pmp_vm_check(x->vm);
}

static unsigned int ms_folio_probe(void *ctx, uint64_t gfn)
{
	(void)gfn;
	ms_callback_probe(ctx);
	return 0;
}

static unsigned int ms_poll_probe(void *ctx)
{
	ms_callback_probe(ctx);
	return 0;
}

/*
 * Inside a caller's callback (a punch's folio order, a tick's yield poll)
 * the shared record declines and the word is exact (pmp_vm_check()
 * recomputes it); after the callback it records again.
 */
START_TEST(stops_follow_callbacks)
{
	struct pmp_action buf[64];
	struct pmp_actions out = { .buf = buf, .cap = 64 };
	struct tvm t;
	struct ms_in_callback x = { 0 };
	struct pmp_folios folios = { .order = ms_folio_probe, .ctx = &x };
	struct pmp_yield_ops ops = { .poll = ms_poll_probe, .ctx = &x };
	uint64_t g;

	ms_init(&t, 0, "inval=defer-2m");
	x.vm = t.vm;
	for (g = 0; g < 8; g++)
		ms_map(t.vm, g, 0);
	ms_map(t.vm, GFNS_PER_2M, 0);
	if (_i == 0) {
		ck_assert_int_eq(pmp_punch(t.vm, 3, 2, &folios, &out), 0);
	} else {
		ck_assert_int_eq(pmp_vm_set_yield(t.vm, &ops), 0);
		ck_assert_int_ge(pmp_merge_tick(t.vm, &out), 0);
	}
	ck_assert_int_gt(x.calls, 0);
	ck_assert_int_eq(x.shared, 1);
	ck_assert_int_eq(x.check, 0);
	ck_assert_int_eq(pmp_vm_set_yield(t.vm, NULL), 0);
	/* a chunk the tick has not seen: the callback's bit is clear again */
	ck_assert_int_eq(ms_second_page(t.vm, 2), 0);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tvm_free(&t);
}
END_TEST

/*
 * The pool's room, from the block allocator, is one of shared_stops'
 * inputs: a private page in each of chunks 2.. takes an exact block of an
 * 8-block pool (chunk 1's MAPPED block is lossy: room all the same), a
 * shared one gives it back.  Each step, a new page of chunk 1 is recorded
 * concurrently only while the room is at least 3, and the word is exact.
 */
static const struct {
	int private_pages;	/* chunks 2.. with one private page */
	int shared;		/* pmp_map_shared_4k()'s answer */
} pool_steps[] = {
	{ 0, 0 }, { 3, 0 }, { 5, 0 }, { 6, 1 }, { 7, 1 }, { 6, 1 }, { 5, 0 }, { 0, 0 },
};

START_TEST(stops_follow_pool)
{
	struct pmp_geometry geo = test_geometry(GFNS_PER_1G);
	struct pmp_slot slot = { .base_gfn = 0, .npages = GFNS_PER_1G, .userspace_addr = UA };
	struct pmp_vm_info info;
	struct tvm t;
	int have = 0;
	unsigned int i;

	geo.nr_vcpus = NR_VCPUS;
	geo.pool_blocks = 8;
	tvm_init(&t, &geo);
	ck_assert_int_eq(pmp_slot_create(t.vm, 0, &slot), 0);
	ms_map(t.vm, GFNS_PER_2M, 0);
	for (i = 0; i < sizeof(pool_steps) / sizeof(pool_steps[0]); i++) {
		int want = pool_steps[i].private_pages, ret;

		for (; have < want; have++)
			ck_assert_int_eq(pmp_convert(t.vm, (uint64_t)(have + 2) * GFNS_PER_2M, 1, true,
						     NULL), 0);
		for (; have > want; have--)
			ck_assert_int_eq(pmp_convert(t.vm, (uint64_t)(have + 1) * GFNS_PER_2M, 1, false,
						     NULL), 0);
		pmp_vm_info(t.vm, &info);
		ck_assert_uint_eq(info.pool_used, 1 + (unsigned int)want);
		ret = pmp_map_shared_4k(t.vm, 0, GFNS_PER_2M + 1 + i, 0, 0, 0);
		ck_assert_msg(ret == pool_steps[i].shared, "step %u: %d private pages, got %d", i,
			      want, ret);
		ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	}
	tvm_free(&t);
}
END_TEST

/* Chunks the threads fault together, each first given one page by pmp_map(). */
#define MS_CHUNKS 8ULL
#define MS_PAGES (MS_CHUNKS * GFNS_PER_2M)

struct ms_run {
	struct pmp_vm *vm;
	pthread_rwlock_t lock;
	unsigned int shared[NR_VCPUS], exclusive[NR_VCPUS], errors;
};

struct ms_thread {
	struct ms_run *run;
	unsigned int vcpu;
};

/*
 * vCPU v faults pages v, v + NR_VCPUS, ...: neighbours in one word, so
 * the compare-and-swaps of the vCPUs meet on the same words.  The odd
 * vCPUs record through pmp_map_shared_4k(), the even through
 * pmp_map_shared(): the two meet on the words too.
 */
static void *ms_vcpu(void *arg)
{
	struct ms_thread *th = arg;
	struct ms_run *r = th->run;
	struct pmp_action buf[16];
	struct pmp_actions out;
	uint64_t g;
	int ret;

	for (g = th->vcpu; g < MS_PAGES; g += NR_VCPUS) {
		struct pmp_fault f = ms_fault(g, 0, 0, th->vcpu);

		out = (struct pmp_actions){ .buf = buf, .cap = 1 };
		pthread_rwlock_rdlock(&r->lock);
		if (th->vcpu & 1) {
			/* the scalar record's 0 is the MAP pmp_map_shared() writes */
			ret = pmp_map_shared_4k(r->vm, 0, g, 0, 0, th->vcpu);
			buf[0] = (struct pmp_action){ .type = PMP_ACT_MAP, .gfn = g };
			out.nr = 1;
		} else {
			ret = pmp_map_shared(r->vm, &f, &out);
		}
		pthread_rwlock_unlock(&r->lock);
		if (ret == 1) {
			out = (struct pmp_actions){ .buf = buf, .cap = 16 };
			pthread_rwlock_wrlock(&r->lock);
			ret = pmp_map(r->vm, &f, PMP_LEVEL_4K, &out);
			pthread_rwlock_unlock(&r->lock);
			r->exclusive[th->vcpu]++;
		} else {
			r->shared[th->vcpu]++;
		}
		if (ret || out.nr != 1 || buf[0].type != PMP_ACT_MAP || buf[0].gfn != g)
			__atomic_fetch_add(&r->errors, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

START_TEST(concurrent_faults)
{
	struct ms_thread th[NR_VCPUS];
	pthread_t tid[NR_VCPUS];
	unsigned int v, shared = 0, exclusive = 0;
	struct pmp_stats as, bs;
	struct ms_run r = { 0 };
	struct tvm a, b;
	uint64_t g;

	ms_init(&a, 0, "");
	ms_init(&b, 0, "");
	/* a mixed MAPPED block and a merge candidate in each chunk */
	for (g = 0; g < MS_CHUNKS; g++) {
		ms_map(a.vm, g * GFNS_PER_2M + 300, 0);
		ms_map(b.vm, g * GFNS_PER_2M + 300, 0);
	}
	r.vm = a.vm;
	ck_assert_int_eq(pthread_rwlock_init(&r.lock, NULL), 0);
	for (v = 0; v < NR_VCPUS; v++) {
		th[v] = (struct ms_thread){ .run = &r, .vcpu = v };
		ck_assert_int_eq(pthread_create(&tid[v], NULL, ms_vcpu, &th[v]), 0);
	}
	for (v = 0; v < NR_VCPUS; v++)
		ck_assert_int_eq(pthread_join(tid[v], NULL), 0);
	pthread_rwlock_destroy(&r.lock);
	ck_assert_uint_eq(r.errors, 0);

	/* the same faults one at a time, each by its own vCPU */
	for (g = 0; g < MS_PAGES; g++) {
		struct pmp_action buf[16];
		struct pmp_actions out = { .buf = buf, .cap = 16 };
		struct pmp_fault f = ms_fault(g, 0, 0, (unsigned int)(g % NR_VCPUS));

		ck_assert_int_eq(pmp_map(b.vm, &f, PMP_LEVEL_4K, &out), 0);
	}
	for (v = 0; v < NR_VCPUS; v++) {
		shared += r.shared[v];
		exclusive += r.exclusive[v];
	}
	/*
	 * most faults took the shared path: only a word's last page may not
	 * (a chunk's last word's, or one whose higher words a faster vCPU filled)
	 */
	ck_assert_uint_eq(shared + exclusive, MS_PAGES);
	ck_assert_uint_ge(shared, MS_PAGES - MS_PAGES / 64);
	ck_assert_uint_eq(pmp_map_shared_count(a.vm), shared);
	ck_assert_int_eq(pmp_vm_check(a.vm), 0);
	for (g = 0; g < MS_PAGES; g++)
		ck_assert_int_eq(pmp_leaf_level(a.vm, g), PMP_LEVEL_4K);
	pmp_vm_stats(a.vm, &as);
	pmp_vm_stats(b.vm, &bs);
	ck_assert_uint_eq(as.actions[PMP_ACT_MAP], MS_PAGES + MS_CHUNKS);
	ck_assert(memcmp(&as, &bs, sizeof(as)) == 0);
	ck_assert(drv_state_equal(a.vm, b.vm, DRV_EXEMPT_COUNTERS));
	tvm_free(&a);
	tvm_free(&b);
}
END_TEST

/*
 * pmp_map_shared_4k_cached(): a cache entry holds only while the caller's
 * generation does not move, and every exclusive section moves it.  Each
 * case fills a cache entry with page 1 of chunk 0 (page 0 mapped before),
 * makes one exclusive change (the generation moved, as kshim_write_lock()
 * moves it) and records page 2 through the cache on one copy of the VM
 * and through pmp_map_shared_4k() on the other: the same answer, state
 * and counters.  An entry used past the change would set a bit in a block
 * the change freed, parked or settled.
 */
enum ms_change {
	MS_NOTHING,		/* the generation stays: the entry is used */
	MS_ZAP_CHUNK,		/* the chunk's block freed */
	MS_ZAP_ELSEWHERE,	/* a zap of another chunk: the entry refilled */
	MS_TICK,		/* the candidate parked */
	MS_MERGE_AT_FAULT,	/* a policy switch: the exclusive path */
	MS_SLOT_DELETE,		/* the memslot gone: its giant freed */
	MS_SLOT_RECREATE,	/* zapped, deleted, created again: the giant reused */
	MS_SLOT_MOVE,		/* moved away: the gfn outside it */
	MS_CHUNK_FILLED,	/* the exclusive path maps the rest: the plane uniform */
};

static const struct {
	const char *name, *policy;
	enum ms_change change;
	int want;	/* page 2's answer after the change */
} ms_stale[] = {
	{ "nothing changed", "", MS_NOTHING, 0 },
	{ "the chunk zapped", "", MS_ZAP_CHUNK, 1 },
	{ "another chunk zapped", "", MS_ZAP_ELSEWHERE, 0 },
	{ "a tick parks the candidate", "merge=scan", MS_TICK, 1 },
	{ "switched to merging at fault", "", MS_MERGE_AT_FAULT, 1 },
	{ "the memslot deleted", "", MS_SLOT_DELETE, -ENOENT },
	{ "the memslot zapped, deleted and created again", "", MS_SLOT_RECREATE, 1 },
	{ "the memslot moved", "", MS_SLOT_MOVE, -EINVAL },
	{ "the chunk filled by the exclusive path", "", MS_CHUNK_FILLED, 1 },
};

/* Change @c on @vm (policy @policy), an exclusive section. */
static void ms_change(struct pmp_vm *vm, enum ms_change c, const char *policy)
{
	struct pmp_slot slot = { .base_gfn = 0, .npages = GFNS_PER_1G, .userspace_addr = UA };
	struct pmp_action buf[64];
	struct pmp_actions out = { .buf = buf, .cap = 64 };
	struct pmp_policy p;
	uint64_t g;

	switch (c) {
	case MS_NOTHING:
		break;
	case MS_ZAP_CHUNK:
	case MS_ZAP_ELSEWHERE:
		ck_assert_int_eq(pmp_zap(vm, PMP_ZAP_MMU_NOTIFIER, PMP_ZAP_FILTER_BOTH,
					 c == MS_ZAP_CHUNK ? 0 : 5 * GFNS_PER_2M, GFNS_PER_2M, &out),
				 0);
		break;
	case MS_TICK:
		ck_assert_int_ge(pmp_merge_tick(vm, &out), 1);
		break;
	case MS_MERGE_AT_FAULT:
		ck_assert_int_eq(pmp_policy_preset(&p, "recommended"), 0);
		ck_assert_int_eq(pmp_policy_parse(&p, policy, NULL), 0);
		ck_assert_int_eq(pmp_policy_parse(&p, "merge=fault", NULL), 0);
		ck_assert_int_eq(pmp_vm_set_policy(vm, &p), 0);
		break;
	case MS_SLOT_DELETE:
	case MS_SLOT_RECREATE:
		/* all default state: the giant goes back to the pool, and comes back fresh */
		if (c == MS_SLOT_RECREATE)
			ck_assert_int_eq(pmp_zap(vm, PMP_ZAP_SLOT_DELETE, PMP_ZAP_FILTER_BOTH, 0,
						 GFNS_PER_1G, &out), 0);
		ck_assert_int_eq(pmp_slot_delete(vm, 0), 0);
		if (c == MS_SLOT_RECREATE)
			ck_assert_int_eq(pmp_slot_create(vm, 0, &slot), 0);
		break;
	case MS_SLOT_MOVE:
		ck_assert_int_eq(pmp_slot_move(vm, 0, GFNS_PER_1G), 0);
		break;
	case MS_CHUNK_FILLED:
		for (g = 2; g < GFNS_PER_2M; g++)
			ms_map(vm, g, 0);
		break;
	}
}

START_TEST(cached_entry_follows_generation)
{
	struct pmp_shared_cache sc = { 0 }, filled;
	struct pmp_stats as, bs;
	struct tvm a, b;
	uint64_t gen = 1;
	int ra, rb;

	ms_init_span(&a, 0, ms_stale[_i].policy, 2 * GFNS_PER_1G);
	ms_init_span(&b, 0, ms_stale[_i].policy, 2 * GFNS_PER_1G);
	ms_map(a.vm, 0, 0);
	ms_map(b.vm, 0, 0);
	ck_assert_int_eq(pmp_map_shared_4k_cached(a.vm, &sc, gen, 0, 1, 0, 1), 0);
	ck_assert_int_eq(pmp_map_shared_4k(b.vm, 0, 1, 0, 0, 1), 0);
	ck_assert_uint_eq(sc.gen, gen);
	ck_assert_uint_eq(sc.chunk, 0);
	ck_assert_ptr_nonnull(sc.mapped);
	filled = sc;
	ms_change(a.vm, ms_stale[_i].change, ms_stale[_i].policy);
	ms_change(b.vm, ms_stale[_i].change, ms_stale[_i].policy);
	if (ms_stale[_i].change != MS_NOTHING)
		gen++;
	tvm_snapshot(&a);
	ra = pmp_map_shared_4k_cached(a.vm, &sc, gen, 0, 2, 0, 1);
	rb = pmp_map_shared_4k(b.vm, 0, 2, 0, 0, 1);
	ck_assert_msg(ra == ms_stale[_i].want && rb == ra, "%s: cached %d, uncached %d, want %d",
		      ms_stale[_i].name, ra, rb, ms_stale[_i].want);
	if (ra)
		ck_assert_unchanged(&a);
	if (ms_stale[_i].change == MS_NOTHING)
		ck_assert(memcmp(&sc, &filled, sizeof(sc)) == 0);
	pmp_vm_stats(a.vm, &as);
	pmp_vm_stats(b.vm, &bs);
	ck_assert_msg(memcmp(&as, &bs, sizeof(as)) == 0, "%s: counters differ", ms_stale[_i].name);
	ck_assert(drv_state_equal(a.vm, b.vm, DRV_EXEMPT_COUNTERS));
	ck_assert_int_eq(pmp_vm_check(a.vm), 0);
	tvm_free(&a);
	tvm_free(&b);
}
END_TEST

/*
 * A chunk a memslot's end cuts is not kept: a later gfn of it past the
 * memslot is refused as without a cache (-EINVAL), under the same
 * generation.  Memslot 1 covers one chunk and half of the next.
 */
START_TEST(cached_chunk_cut_by_memslot)
{
	const uint64_t base = GFNS_PER_1G, cut = base + GFNS_PER_2M;
	struct pmp_slot slot = { .base_gfn = base, .npages = GFNS_PER_2M + GFNS_PER_2M / 2,
				 .userspace_addr = UA + (GFNS_PER_1G << 12) };
	struct pmp_shared_cache sc = { 0 };
	unsigned int i;
	struct tvm a;

	ms_init_span(&a, 0, "", 2 * GFNS_PER_1G);
	ck_assert_int_eq(pmp_slot_create(a.vm, 1, &slot), 0);
	for (i = 0; i < 2; i++) {
		struct pmp_action buf[16];
		struct pmp_actions out = { .buf = buf, .cap = 16 };
		struct pmp_fault f = ms_fault(i ? cut : base, 0, 0, 0);

		f.slot = 1;
		ck_assert_int_eq(pmp_map(a.vm, &f, PMP_LEVEL_4K, &out), 0);
	}
	/* the whole chunk inside: kept */
	ck_assert_int_eq(pmp_map_shared_4k_cached(a.vm, &sc, 1, 1, base + 1, 0, 0), 0);
	ck_assert_uint_eq(sc.chunk, base / GFNS_PER_2M);
	/* the cut chunk: recorded, not kept */
	ck_assert_int_eq(pmp_map_shared_4k_cached(a.vm, &sc, 1, 1, cut + 1, 0, 0), 0);
	ck_assert_uint_eq(sc.chunk, base / GFNS_PER_2M);
	ck_assert_fails_clean(&a, -EINVAL, pmp_map_shared_4k_cached(a.vm, &sc, 1, 1,
								    cut + GFNS_PER_2M / 2, 0, 0));
	ck_assert_int_eq(pmp_vm_check(a.vm), 0);
	tvm_free(&a);
}
END_TEST

/*
 * Random faults, zaps, ticks and memslot moves as in scalar_random_faults,
 * each vCPU recording through its own cache (as each CPU in kshim), the
 * generation moved by every exclusive section (a zap, a tick, a move, the
 * exclusive record of a fault the shared one declined): the same answers,
 * state and counters as pmp_map_shared_4k() without a cache.
 */
START_TEST(cached_random_faults)
{
	static const unsigned int orders[] = { 0, 0, 0, 9, 18 };
	struct pmp_shared_cache sc[NR_VCPUS] = { { 0 } };
	struct pmp_action abuf[64], bbuf[64];
	unsigned int step, hits = 0;
	uint64_t gen = 1, base = 0;
	struct tvm a, b;
	struct rng r;

	rng_seed(&r, 0xcac4e + (uint64_t)_i);
	ms_init_span(&a, 0, ms_random_policies[_i].policy, 2 * GFNS_PER_1G);
	ms_init_span(&b, 0, ms_random_policies[_i].policy, 2 * GFNS_PER_1G);
	for (step = 0; step < 4000; step++) {
		uint64_t gfn = base + rng_below(&r, 4 * GFNS_PER_2M);
		unsigned int op = (unsigned int)rng_below(&r, 200), v;
		struct pmp_actions aout = { .buf = abuf, .cap = 64 };
		struct pmp_actions bout = { .buf = bbuf, .cap = 64 };

		if (op < 3) {
			uint64_t n = 1 + rng_below(&r, GFNS_PER_2M);

			ck_assert_int_eq(pmp_zap(a.vm, PMP_ZAP_MMU_NOTIFIER, PMP_ZAP_FILTER_BOTH, gfn,
						 n, &aout),
					 pmp_zap(b.vm, PMP_ZAP_MMU_NOTIFIER, PMP_ZAP_FILTER_BOTH, gfn,
						 n, &bout));
			gen++;
		} else if (op < 6) {
			ck_assert_int_eq(pmp_merge_tick(a.vm, &aout), pmp_merge_tick(b.vm, &bout));
			gen++;
		} else if (op < 7) {
			/* the memslot moves by 1 GiB and back: the old gfns outside it */
			base = base ? 0 : GFNS_PER_1G;
			ck_assert_int_eq(pmp_slot_move(a.vm, 0, base), 0);
			ck_assert_int_eq(pmp_slot_move(b.vm, 0, base), 0);
			gen++;
		} else {
			struct pmp_fault f;
			struct pmp_shared_cache before;
			int ra, rb;

			/* mostly the chunk's own vCPU, so that entries are used */
			v = op % 4 ? (unsigned int)((gfn - base) / GFNS_PER_2M) % NR_VCPUS :
				     (unsigned int)rng_below(&r, NR_VCPUS);
			/* now and then a gfn of where the memslot was */
			f = ms_fault(op < 10 ? gfn ^ GFNS_PER_1G : gfn, orders[rng_below(&r, 5)], 0, v);
			before = sc[v];
			tvm_snapshot(&a);
			ra = pmp_map_shared_4k_cached(a.vm, &sc[v], gen, 0, f.gfn, f.backing_order, v);
			rb = pmp_map_shared_4k(b.vm, 0, f.gfn, 0, f.backing_order, v);
			ck_assert_msg(ra == rb, "step %u gfn %llu: cached %d, uncached %d", step,
				      (unsigned long long)f.gfn, ra, rb);
			hits += !ra && memcmp(&before, &sc[v], sizeof(before)) == 0;
			if (ra)
				ck_assert_unchanged(&a);
			if (ra == 1) {
				ck_assert_int_eq(pmp_map(a.vm, &f, PMP_LEVEL_4K, &aout),
						 pmp_map(b.vm, &f, PMP_LEVEL_4K, &bout));
				gen++;
			}
		}
		ck_assert_int_eq(pmp_vm_check(a.vm), 0);
	}
	if (ms_random_policies[_i].shares)
		ck_assert_uint_ge(hits, 100);	/* 170-200 a run: entries are used */
	ck_assert_uint_eq(pmp_map_shared_count(a.vm), pmp_map_shared_count(b.vm));
	ck_assert(drv_state_equal(a.vm, b.vm, 0));
	tvm_free(&a);
	tvm_free(&b);
}
END_TEST

Suite *map_shared_suite(void)
{
	Suite *s = suite_create("map_shared");
	TCase *tc = tcase_create("map_shared");

	tcase_add_loop_test(tc, same_as_pmp_map, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_loop_test(tc, concurrent_faults, 0, 20);
	tcase_add_loop_test(tc, scalar_same_as_shared, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_loop_test(tc, scalar_bad_input, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_loop_test(tc, scalar_random_faults, 0, 6);
	tcase_add_loop_test(tc, stops_follow_policy, 0,
			    (int)(sizeof(stop_flips) / sizeof(stop_flips[0])));
	tcase_add_loop_test(tc, stops_follow_callbacks, 0, 2);
	tcase_add_test(tc, stops_follow_pool);
	tcase_add_loop_test(tc, cached_entry_follows_generation, 0,
			    (int)(sizeof(ms_stale) / sizeof(ms_stale[0])));
	tcase_add_test(tc, cached_chunk_cut_by_memslot);
	tcase_add_loop_test(tc, cached_random_faults, 0, 5);
	suite_add_tcase(s, tc);
	return s;
}
