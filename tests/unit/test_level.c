// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * pmp_max_level(): the shared eligibility vectors (the kernel selftest runs
 * the same ones), plus the counters the decision keeps.
 */
#include <stdio.h>
#include "helpers.h"
#include "vectors/vectors.h"

START_TEST(vector)
{
	const struct pmp_vector *v = &pmp_vectors[_i];
	uint64_t bytes = pmp_vector_bytes();
	void *mem = aligned_alloc(64, (bytes + 63) & ~63ULL), *snap = malloc(bytes);
	struct pmp_vector_result res;
	int ret;

	ck_assert_uint_gt(bytes, 0);
	ret = pmp_vector_run(v, mem, snap, &res);
	if (ret) {
		const struct pmp_vstep *s = &v->steps[res.step < 0 ? 0 : res.step];

		ck_abort_msg("vector %s step %d (op %d gfn %#llx): got %d reason %s, want %d reason %s%s",
			     v->name, res.step, s->op, (unsigned long long)s->gfn, res.got,
			     pmp_reason_name(res.got_reason), s->ret, pmp_reason_name(s->reason),
			     res.unchanged ? "" : "; a failed call changed the state");
	}
	free(mem);
	free(snap);
}
END_TEST

/* tried == applied + sum(refused), per vCPU set; errors count nothing. */
START_TEST(counters)
{
	struct pmp_geometry geo = test_geometry(GFNS_PER_1G * 2);
	struct pmp_fault f = { .gfn = 0, .slot = 0, .backing_order = 18 };
	struct pmp_stats st;
	struct tvm t;
	uint64_t refused = 0;
	int r;

	tvm_init(&t, &geo);
	add_slot(&t, 0, 0, GFNS_PER_1G * 2, 0, 0);
	ck_assert_int_eq(pmp_max_level(t.vm, &f, NULL), PMP_LEVEL_1G);
	f.backing_order = 9;
	f.vcpu = 1;
	ck_assert_int_eq(pmp_max_level(t.vm, &f, NULL), PMP_LEVEL_2M);
	f.backing_order = 0;
	ck_assert_int_eq(pmp_max_level(t.vm, &f, NULL), PMP_LEVEL_4K);
	f.vcpu = 2;		/* past nr_vcpus */
	ck_assert_fails_clean(&t, -EINVAL, pmp_max_level(t.vm, &f, NULL));
	f.vcpu = 0;
	f.gfn = GFNS_PER_1G * 2;	/* past the slot */
	ck_assert_fails_clean(&t, -EINVAL, pmp_max_level(t.vm, &f, NULL));

	pmp_vm_stats(t.vm, &st);
	ck_assert_uint_eq(st.decision[PMP_DECISION_MAX_LEVEL].tried, 3);
	ck_assert_uint_eq(st.decision[PMP_DECISION_MAX_LEVEL].applied, 1);
	ck_assert_uint_eq(st.decision[PMP_DECISION_MAX_LEVEL].refused[PMP_REASON_BACKING_ORDER], 2);
	for (r = 0; r < PMP_REASON_NR; r++)
		refused += st.decision[PMP_DECISION_MAX_LEVEL].refused[r];
	ck_assert_uint_eq(refused + 1, 3);
	ck_assert_uint_eq(st.granted[PMP_LEVEL_1G], 1);
	ck_assert_uint_eq(st.granted[PMP_LEVEL_2M], 1);
	ck_assert_uint_eq(st.granted[PMP_LEVEL_4K], 1);
	ck_assert_str_eq(pmp_decision_name(PMP_DECISION_MAX_LEVEL), "max_level");

	pmp_vm_stats_reset(t.vm);
	pmp_vm_stats(t.vm, &st);
	ck_assert_uint_eq(st.decision[PMP_DECISION_MAX_LEVEL].tried, 0);
	tvm_free(&t);
}
END_TEST

/*
 * pmp_level_query() gives pmp_max_level()'s answer and reason and counts
 * nothing, errors included (the module sizes a leaf's pins with it before
 * the fault's own pmp_max_level()).
 */
START_TEST(query_counts_nothing)
{
	static const struct {
		uint32_t order, vcpu;
		uint64_t gfn;
		int level;
		enum pmp_reason why;
	} rows[] = {
		{ 18, 0, 0, PMP_LEVEL_1G, PMP_REASON_NONE },
		{ 9, 1, 5, PMP_LEVEL_2M, PMP_REASON_BACKING_ORDER },
		{ 0, 0, GFNS_PER_1G + 7, PMP_LEVEL_4K, PMP_REASON_BACKING_ORDER },
		{ 18, 2, 0, -EINVAL, PMP_REASON_NR },		/* past nr_vcpus */
		{ 18, 0, GFNS_PER_1G * 2, -EINVAL, PMP_REASON_NR },	/* past the slot */
	};
	struct pmp_geometry geo = test_geometry(GFNS_PER_1G * 2);
	struct pmp_stats st;
	struct tvm t;
	unsigned int i;

	tvm_init(&t, &geo);
	add_slot(&t, 0, 0, GFNS_PER_1G * 2, 0, 0);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct pmp_fault f = { .gfn = rows[i].gfn, .backing_order = rows[i].order,
				       .vcpu = (uint16_t)rows[i].vcpu };
		enum pmp_reason q = PMP_REASON_NR, m = PMP_REASON_NR;

		if (rows[i].level < 0) {
			ck_assert_fails_clean(&t, rows[i].level, pmp_level_query(t.vm, &f, &q));
			continue;
		}
		ck_assert_int_eq(pmp_level_query(t.vm, &f, &q), rows[i].level);
		ck_assert_int_eq(q, rows[i].why);
		ck_assert_int_eq(pmp_level_query(t.vm, &f, NULL), rows[i].level);
		pmp_vm_stats(t.vm, &st);
		ck_assert_uint_eq(st.decision[PMP_DECISION_MAX_LEVEL].tried, i);
		/* the counted decision agrees, and is the one counted */
		ck_assert_int_eq(pmp_max_level(t.vm, &f, &m), rows[i].level);
		ck_assert_int_eq(m, q);
		pmp_vm_stats(t.vm, &st);
		ck_assert_uint_eq(st.decision[PMP_DECISION_MAX_LEVEL].tried, i + 1);
	}
	tvm_free(&t);
}
END_TEST

#define M2 GFNS_PER_2M
#define G1 GFNS_PER_1G
#define UA 0x7f0000000000ULL	/* 1 GiB aligned */
#define GMEM PMP_SLOT_GUEST_MEMFD
#define PRIV PMP_FAULT_PRIVATE

/*
 * The slot's edges and its host alignment, which the fault path reads from
 * what pmp_slot_prepare() cached: slots of 4 KiB, 2 MiB and 1 GiB and more,
 * aligned or not, straddling 1 GiB, with host offsets congruent or not, for
 * shared and private faults; a 1 GiB folio behind every fault.
 */
static const struct edge_case {
	const char *name;
	uint64_t base, npages, ua, gmem;
	uint32_t slot_flags;
	uint64_t gfn;
	uint32_t fault_flags;
	int want;
	enum pmp_reason why;
} edges[] = {
	{ "1G inside", 0, 2 * G1, UA, 0, 0, G1 - 1, 0, PMP_LEVEL_1G, PMP_REASON_NONE },
	{ "last page, aligned end", 0, 2 * G1, UA, 0, 0, 2 * G1 - 1, 0, PMP_LEVEL_1G,
	  PMP_REASON_NONE },
	{ "2M slot, first page", M2, M2, UA, 0, 0, M2, 0, PMP_LEVEL_2M,
	  PMP_REASON_SLOT_BOUNDARY },
	{ "2M slot, last page", M2, M2, UA, 0, 0, 2 * M2 - 1, 0, PMP_LEVEL_2M,
	  PMP_REASON_SLOT_BOUNDARY },
	{ "4K slot", 5, 1, UA, 0, 0, 5, 0, PMP_LEVEL_4K, PMP_REASON_SLOT_BOUNDARY },
	{ "unaligned start, head", 1, G1, UA + 4096, 0, 0, 1, 0, PMP_LEVEL_4K,
	  PMP_REASON_SLOT_BOUNDARY },
	{ "unaligned start, next 2M", 1, G1, UA + 4096, 0, 0, M2, 0, PMP_LEVEL_2M,
	  PMP_REASON_SLOT_BOUNDARY },
	{ "unaligned start, tail", 1, G1, UA + 4096, 0, 0, G1, 0, PMP_LEVEL_4K,
	  PMP_REASON_SLOT_BOUNDARY },
	{ "straddling 1G, below", G1 - M2, 2 * M2, UA, 0, 0, G1 - M2, 0, PMP_LEVEL_2M,
	  PMP_REASON_SLOT_BOUNDARY },
	{ "straddling 1G, above", G1 - M2, 2 * M2, UA, 0, 0, G1 + M2 - 1, 0, PMP_LEVEL_2M,
	  PMP_REASON_SLOT_BOUNDARY },
	{ "one page short, first", 0, G1 - 1, UA, 0, 0, 0, 0, PMP_LEVEL_2M,
	  PMP_REASON_SLOT_BOUNDARY },
	{ "one page short, last", 0, G1 - 1, UA, 0, 0, G1 - 2, 0, PMP_LEVEL_4K,
	  PMP_REASON_SLOT_BOUNDARY },
	{ "host offset 4K", 0, G1, UA + 4096, 0, 0, 0, 0, PMP_LEVEL_4K, PMP_REASON_MISALIGNED },
	{ "host offset 2M", 0, G1, UA + (2 << 20), 0, 0, 7, 0, PMP_LEVEL_2M,
	  PMP_REASON_MISALIGNED },
	{ "gmem offset 4K, private", 0, G1, UA, 4096, GMEM, 9, PRIV, PMP_LEVEL_4K,
	  PMP_REASON_MISALIGNED },
	{ "gmem offset 4K, shared", 0, G1, UA, 4096, GMEM, 9, 0, PMP_LEVEL_1G, PMP_REASON_NONE },
	{ "gmem offset 2M, private", 0, G1, UA, 2 << 20, GMEM, 9, PRIV, PMP_LEVEL_2M,
	  PMP_REASON_MISALIGNED },
	{ "host misaligned, gmem aligned, private", 0, G1, UA + 4096, 0, GMEM, 9, PRIV,
	  PMP_LEVEL_4K, PMP_REASON_MISALIGNED },
	{ "whole 1G window, 2M below it", G1 - M2, 2 * G1 + 2 * M2, UA + (G1 - M2) * 4096, 0, 0, G1 - 1, 0,
	  PMP_LEVEL_2M, PMP_REASON_SLOT_BOUNDARY },
	{ "whole 1G window, its first page", G1 - M2, 2 * G1 + 2 * M2, UA + (G1 - M2) * 4096, 0, 0, G1, 0,
	  PMP_LEVEL_1G, PMP_REASON_NONE },
	{ "whole 1G window, its last page", G1 - M2, 2 * G1 + 2 * M2, UA + (G1 - M2) * 4096, 0, 0, 3 * G1 - 1, 0,
	  PMP_LEVEL_1G, PMP_REASON_NONE },
	{ "whole 1G window, 2M past it", G1 - M2, 2 * G1 + 2 * M2, UA + (G1 - M2) * 4096, 0, 0, 3 * G1, 0,
	  PMP_LEVEL_2M, PMP_REASON_SLOT_BOUNDARY },
	{ "whole 1G window, the slot's last page", G1 - M2, 2 * G1 + 2 * M2, UA + (G1 - M2) * 4096, 0, 0,
	  3 * G1 + M2 - 1, 0, PMP_LEVEL_2M, PMP_REASON_SLOT_BOUNDARY },
	{ "1G then 5 pages, last 1G page", G1, G1 + 5, UA, 0, 0, 2 * G1 - 1, 0, PMP_LEVEL_1G,
	  PMP_REASON_NONE },
	{ "1G then 5 pages, the tail", G1, G1 + 5, UA, 0, 0, 2 * G1 + 4, 0, PMP_LEVEL_4K,
	  PMP_REASON_SLOT_BOUNDARY },
	{ "1G long, no whole 1G", G1 - 3, G1, UA + (G1 - 3) * 4096, 0, 0, G1, 0, PMP_LEVEL_2M,
	  PMP_REASON_SLOT_BOUNDARY },
	{ "1G long, no whole 1G, last page", G1 - 3, G1, UA + (G1 - 3) * 4096, 0, 0, 2 * G1 - 4,
	  0, PMP_LEVEL_4K, PMP_REASON_SLOT_BOUNDARY },
	{ "gfn below the slot", M2, M2, UA, 0, 0, M2 - 1, 0, -EINVAL, 0 },
	{ "gfn at the slot's end", M2, M2, UA, 0, 0, 2 * M2, 0, -EINVAL, 0 },
	{ "gfn 0, slot above", G1, G1, UA, 0, 0, 0, 0, -EINVAL, 0 },
};

START_TEST(slot_edges)
{
	const struct edge_case *e = &edges[_i];
	struct pmp_geometry geo = test_geometry(4 * G1);
	struct pmp_slot slot = { .base_gfn = e->base, .npages = e->npages,
				 .userspace_addr = e->ua, .gmem_offset = e->gmem,
				 .flags = e->slot_flags };
	struct pmp_fault f = { .gfn = e->gfn, .slot = 3, .flags = e->fault_flags,
			       .backing_order = 18 };
	enum pmp_reason why = PMP_REASON_NR;
	struct pmp_fault_slot fs;
	struct tvm t;
	int got;

	tvm_init(&t, &geo);
	ck_assert_int_eq(pmp_slot_create(t.vm, 3, &slot), 0);
	tvm_snapshot(&t);
	got = pmp_max_level(t.vm, &f, &why);
	ck_assert_msg(got == e->want && (got < 0 || why == e->why), "%s: got %d (%s), want %d (%s)",
		      e->name, got, pmp_reason_name(why), e->want, pmp_reason_name(e->why));
	if (got < 0)
		ck_assert_unchanged(&t);
	/* the lean decision: the same level or error, nothing counted */
	ck_assert_int_eq(pmp_fault_slot_init(t.vm, 3, 0, &fs), 0);
	tvm_snapshot(&t);
	ck_assert_msg(pmp_fault_slot_level(t.vm, &fs, e->gfn, e->fault_flags) == e->want,
		      "%s: pmp_fault_slot_level %d, want %d", e->name,
		      pmp_fault_slot_level(t.vm, &fs, e->gfn, e->fault_flags), e->want);
	ck_assert_unchanged(&t);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tvm_free(&t);
}
END_TEST

/* A deleted or unknown slot, and a moved one: the cache follows the slot. */
START_TEST(slot_gone_or_moved)
{
	struct pmp_geometry geo = test_geometry(4 * G1);
	struct pmp_fault f = { .gfn = G1, .slot = 1, .backing_order = 18 };
	enum pmp_reason why;
	struct tvm t;

	tvm_init(&t, &geo);
	add_slot(&t, 1, G1, G1, UA, 0);
	ck_assert_int_eq(pmp_max_level(t.vm, &f, &why), PMP_LEVEL_1G);
	ck_assert_int_eq(pmp_slot_move(t.vm, 1, G1 + M2), 0);
	ck_assert_int_eq(pmp_max_level(t.vm, &f, NULL), -EINVAL);	/* below it now */
	f.gfn = G1 + M2;
	ck_assert_int_eq(pmp_max_level(t.vm, &f, &why), PMP_LEVEL_2M);	/* 1G straddles */
	ck_assert_int_eq(why, PMP_REASON_SLOT_BOUNDARY);
	f.gfn = 2 * G1 + M2 - 1;	/* its last page: [2G1, 3G1) is not all in it */
	ck_assert_int_eq(pmp_max_level(t.vm, &f, &why), PMP_LEVEL_2M);
	ck_assert_int_eq(why, PMP_REASON_SLOT_BOUNDARY);
	ck_assert_int_eq(pmp_slot_delete(t.vm, 1), 0);
	tvm_snapshot(&t);
	ck_assert_int_eq(pmp_max_level(t.vm, &f, NULL), -ENOENT);
	f.slot = 0;		/* never created */
	ck_assert_int_eq(pmp_max_level(t.vm, &f, NULL), -ENOENT);
	f.slot = geo.max_slots;
	ck_assert_int_eq(pmp_max_level(t.vm, &f, NULL), -EINVAL);
	ck_assert_unchanged(&t);
	tvm_free(&t);
}
END_TEST

/*
 * The lean decision's level for VTL 0 at @gfn of kind @flags, checked
 * against pmp_level_query()'s for a fault whose folio allows 1 GiB, and
 * counting nothing (every byte of the VM unchanged).
 */
static int lean_level(struct tvm *t, const struct pmp_fault_slot *fs, uint32_t slot,
		      uint64_t gfn, uint32_t flags)
{
	struct pmp_fault f = { .gfn = gfn, .slot = slot, .flags = flags, .backing_order = 18 };
	int got;

	tvm_snapshot(t);
	got = pmp_fault_slot_level(t->vm, fs, gfn, flags);
	ck_assert_unchanged(t);
	ck_assert_int_eq(got, pmp_level_query(t->vm, &f, NULL));
	return got;
}

/*
 * pmp_fault_slot_init() checks the memslot and VTL once; the handle then
 * follows the memslot through flags, policy, moves, deletion and a new
 * slot of the same id.
 */
START_TEST(lean_follows_the_slot)
{
	struct pmp_geometry geo = test_geometry(4 * G1);
	struct pmp_fault_slot fs, junk;
	struct pmp_policy pol, first;
	struct tvm t;

	tvm_init(&t, &geo);
	memset(&junk, 0xa5, sizeof(junk));
	fs = junk;
	ck_assert_int_eq(pmp_fault_slot_init(t.vm, 1, 0, &fs), -ENOENT);	/* not created */
	ck_assert_int_eq(pmp_fault_slot_init(t.vm, geo.max_slots, 0, &fs), -EINVAL);
	add_slot(&t, 1, G1, G1, UA, 0);
	ck_assert_int_eq(pmp_fault_slot_init(t.vm, 1, geo.nr_vtls, &fs), -EINVAL);
	ck_assert_int_eq(memcmp(&fs, &junk, sizeof(fs)), 0);	/* untouched on error */
	ck_assert_int_eq(pmp_fault_slot_init(t.vm, 1, 0, &fs), 0);

	ck_assert_int_eq(lean_level(&t, &fs, 1, G1 + 7, PRIV), PMP_LEVEL_1G);
	ck_assert_int_eq(lean_level(&t, &fs, 1, G1 - 1, 0), -EINVAL);	/* below the slot */
	ck_assert_int_eq(lean_level(&t, &fs, 1, 2 * G1, 0), -EINVAL);	/* past it */
	tvm_snapshot(&t);
	ck_assert_int_eq(pmp_fault_slot_level(t.vm, &fs, G1, 1U << 3), -EINVAL);
	ck_assert_unchanged(&t);
	/* the state's verdicts: a shared page in the 1 GiB, then its 2 MiB */
	ck_assert_int_eq(pmp_convert(t.vm, G1, G1, true, NULL), 0);
	ck_assert_int_eq(pmp_convert(t.vm, G1 + 5 * M2 + 3, 1, false, NULL), 0);
	ck_assert_int_eq(lean_level(&t, &fs, 1, G1 + 7, PRIV), PMP_LEVEL_2M);
	ck_assert_int_eq(lean_level(&t, &fs, 1, G1 + 5 * M2, PRIV), PMP_LEVEL_4K);
	/* policy and memslot flags */
	pmp_vm_policy(t.vm, &first);
	pol = first;
	pol.nx_huge_pages = 1;
	ck_assert_int_eq(pmp_vm_set_policy(t.vm, &pol), 0);
	ck_assert_int_eq(lean_level(&t, &fs, 1, G1 + 7, PRIV | PMP_FAULT_EXEC), PMP_LEVEL_4K);
	ck_assert_int_eq(pmp_vm_set_policy(t.vm, &first), 0);
	ck_assert_int_eq(pmp_slot_set_flags(t.vm, 1, PMP_SLOT_DIRTY_LOG), 0);
	ck_assert_int_eq(lean_level(&t, &fs, 1, G1 + 7, PRIV), PMP_LEVEL_4K);
	ck_assert_int_eq(pmp_slot_set_flags(t.vm, 1, 0), 0);
	/* moved, deleted, and a new slot 1 elsewhere */
	ck_assert_int_eq(pmp_slot_move(t.vm, 1, G1 + M2), 0);
	ck_assert_int_eq(lean_level(&t, &fs, 1, G1, PRIV), -EINVAL);
	ck_assert_int_eq(lean_level(&t, &fs, 1, G1 + M2, PRIV), PMP_LEVEL_2M);
	ck_assert_int_eq(pmp_slot_delete(t.vm, 1), 0);
	ck_assert_int_eq(lean_level(&t, &fs, 1, G1 + M2, PRIV), -ENOENT);
	add_slot(&t, 1, 3 * G1, G1, UA, 0);
	ck_assert_int_eq(lean_level(&t, &fs, 1, 3 * G1 + 9, 0), PMP_LEVEL_1G);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tvm_free(&t);
}
END_TEST

/* Every reason and level has a distinct name; unknown values get "?". */
/*
 * The fault's fields are checked as one word (level.c): each field just
 * past its limit, and far past it (a lane's top bit), is refused with
 * nothing counted; each at its limit is a decision (ret 0: any level).
 */
static const struct {
	const char *what;
	uint32_t flags;
	uint16_t vcpu;
	uint8_t vtl, backing_order, accept_level;
	int ret;
} fields[] = {
	{ "all at their limits", PMP_FAULT_FLAGS_ALL, 1, 1, 63, PMP_LEVEL_1G, 0 },
	{ "unknown flag", 1U << 3, 0, 0, 18, 0, -EINVAL },
	{ "flag bit 31", 1U << 31, 0, 0, 18, 0, -EINVAL },
	{ "vcpu = nr_vcpus", 0, 2, 0, 18, 0, -EINVAL },
	{ "vcpu 0x8000", 0, 0x8000, 0, 18, 0, -EINVAL },
	{ "vcpu 0xffff", 0, 0xffff, 0, 18, 0, -EINVAL },
	{ "vtl = nr_vtls", 0, 0, 2, 18, 0, -EINVAL },
	{ "vtl 0x80", 0, 0, 0x80, 18, 0, -EINVAL },
	{ "vtl 0xff", 0, 0, 0xff, 18, 0, -EINVAL },
	{ "order 64", 0, 0, 0, 64, 0, -EINVAL },
	{ "order 0x80", 0, 0, 0, 0x80, 0, -EINVAL },
	{ "order 0xff", 0, 0, 0, 0xff, 0, -EINVAL },
	{ "accept level 4", 0, 0, 0, 18, 4, -EINVAL },
	{ "accept level 0xff", 0, 0, 0, 18, 0xff, -EINVAL },
	{ "none set", 0, 0, 0, 18, 0, PMP_LEVEL_1G },
};

/*
 * The fault's own caps: its folio order (the common path applies it) and
 * its accept level (any level but 0 takes the full check), alone and
 * together, with the reason of the first check in order that stops the
 * level above; pmp_level_query() agrees, and the decision is counted once
 * under its level and reason.
 */
static const struct {
	uint8_t backing_order, accept_level;
	int want;
	enum pmp_reason why;
} own_caps[] = {
	{ 18, 0, PMP_LEVEL_1G, PMP_REASON_NONE },
	{ 63, 0, PMP_LEVEL_1G, PMP_REASON_NONE },
	{ 17, 0, PMP_LEVEL_2M, PMP_REASON_BACKING_ORDER },
	{ 9, 0, PMP_LEVEL_2M, PMP_REASON_BACKING_ORDER },
	{ 8, 0, PMP_LEVEL_4K, PMP_REASON_BACKING_ORDER },
	{ 0, 0, PMP_LEVEL_4K, PMP_REASON_BACKING_ORDER },
	{ 18, PMP_LEVEL_4K, PMP_LEVEL_4K, PMP_REASON_GUEST_ACCEPT },
	{ 18, PMP_LEVEL_2M, PMP_LEVEL_2M, PMP_REASON_GUEST_ACCEPT },
	{ 63, PMP_LEVEL_1G, PMP_LEVEL_1G, PMP_REASON_NONE },
	{ 9, PMP_LEVEL_1G, PMP_LEVEL_2M, PMP_REASON_BACKING_ORDER },
	{ 9, PMP_LEVEL_2M, PMP_LEVEL_2M, PMP_REASON_BACKING_ORDER },
	{ 9, PMP_LEVEL_4K, PMP_LEVEL_4K, PMP_REASON_GUEST_ACCEPT },
	{ 0, PMP_LEVEL_2M, PMP_LEVEL_4K, PMP_REASON_BACKING_ORDER },
};

START_TEST(own_cap)
{
	struct pmp_geometry geo = test_geometry(GFNS_PER_1G * 2);
	struct pmp_fault f = { .gfn = GFNS_PER_1G + 77, .slot = 0, .vcpu = 1,
			       .backing_order = own_caps[_i].backing_order,
			       .accept_level = own_caps[_i].accept_level };
	enum pmp_reason why = PMP_REASON_NR, queried = PMP_REASON_NR;
	struct pmp_stats st;
	struct tvm t;

	tvm_init(&t, &geo);
	add_slot(&t, 0, 0, GFNS_PER_1G * 2, 0, 0);
	ck_assert_int_eq(pmp_level_query(t.vm, &f, &queried), own_caps[_i].want);
	ck_assert_int_eq(pmp_max_level(t.vm, &f, &why), own_caps[_i].want);
	ck_assert_int_eq(why, own_caps[_i].why);
	ck_assert_int_eq(queried, own_caps[_i].why);
	pmp_vm_stats(t.vm, &st);
	ck_assert_uint_eq(st.decision[PMP_DECISION_MAX_LEVEL].tried, 1);
	ck_assert_uint_eq(st.granted[own_caps[_i].want], 1);
	if (own_caps[_i].why == PMP_REASON_NONE)
		ck_assert_uint_eq(st.decision[PMP_DECISION_MAX_LEVEL].applied, 1);
	else
		ck_assert_uint_eq(st.decision[PMP_DECISION_MAX_LEVEL].refused[own_caps[_i].why], 1);
	tvm_free(&t);
}
END_TEST

/*
 * The memslots' runs of compact giants: a slot whose first 1 GiB it shares
 * with the slot below (so its whole ones start one later) and a third
 * above; deleting a slot moves the runs after it down, and every fault
 * still reads its own 1 GiB and 2 MiB verdicts (write tracking in the
 * upper two slots) and edges.
 */
static const struct {
	uint32_t slot;
	uint64_t gfn;
	int want;
	enum pmp_reason why;
} run_faults[] = {
	{ 1, 7, PMP_LEVEL_1G, PMP_REASON_NONE },
	{ 1, G1 + 7, PMP_LEVEL_2M, PMP_REASON_SLOT_BOUNDARY },
	{ 2, G1 + M2, PMP_LEVEL_2M, PMP_REASON_SLOT_BOUNDARY },
	{ 2, 2 * G1 + 9, PMP_LEVEL_1G, PMP_REASON_NONE },
	{ 2, 3 * G1 + 5, PMP_LEVEL_4K, PMP_REASON_WRITE_TRACKED },
	{ 2, 3 * G1 + M2, PMP_LEVEL_2M, PMP_REASON_WRITE_TRACKED },
	{ 2, 4 * G1 + 1, PMP_LEVEL_2M, PMP_REASON_SLOT_BOUNDARY },
	{ 3, 5 * G1, PMP_LEVEL_1G, PMP_REASON_NONE },
	{ 3, 6 * G1 + 3, PMP_LEVEL_4K, PMP_REASON_WRITE_TRACKED },
	{ 3, 7 * G1 - 1, PMP_LEVEL_2M, PMP_REASON_WRITE_TRACKED },
};

/* Every fault of run_faults[] in a slot still there gets its level and reason. */
static void check_run_faults(struct tvm *t, uint32_t gone)
{
	size_t i;

	for (i = 0; i < sizeof(run_faults) / sizeof(run_faults[0]); i++) {
		struct pmp_fault f = { .gfn = run_faults[i].gfn, .slot = run_faults[i].slot,
				       .backing_order = 18 };
		enum pmp_reason why = PMP_REASON_NR;
		int got = pmp_max_level(t->vm, &f, &why);

		if (run_faults[i].slot <= gone)
			ck_assert_int_eq(got, -ENOENT);
		else
			ck_assert_msg(got == run_faults[i].want && why == run_faults[i].why,
				      "slot %u gfn %#llx: got %d (%s)", run_faults[i].slot,
				      (unsigned long long)run_faults[i].gfn, got,
				      pmp_reason_name(why));
	}
	ck_assert_int_eq(pmp_vm_check(t->vm), 0);
}

START_TEST(runs_follow_deletes)
{
	struct pmp_geometry geo = test_geometry(8 * G1);
	struct tvm t;

	tvm_init(&t, &geo);
	add_slot(&t, 1, 0, G1 + M2, UA, 0);
	add_slot(&t, 2, G1 + M2, 3 * G1, UA + (G1 + M2) * 4096, 0);
	add_slot(&t, 3, 5 * G1, 2 * G1, UA, 0);
	ck_assert_int_eq(pmp_write_track(t.vm, 3 * G1 + 5, 1, true, NULL), 0);
	ck_assert_int_eq(pmp_write_track(t.vm, 6 * G1 + 3, 1, true, NULL), 0);
	check_run_faults(&t, 0);
	ck_assert_int_eq(pmp_slot_delete(t.vm, 1), 0);
	check_run_faults(&t, 1);
	ck_assert_int_eq(pmp_slot_delete(t.vm, 2), 0);
	check_run_faults(&t, 2);
	tvm_free(&t);
}
END_TEST

START_TEST(fault_fields)
{
	struct pmp_geometry geo = test_geometry(GFNS_PER_1G * 2);
	struct pmp_fault f = { .gfn = 0, .slot = 0, .flags = fields[_i].flags,
			       .vcpu = fields[_i].vcpu, .vtl = fields[_i].vtl,
			       .backing_order = fields[_i].backing_order,
			       .accept_level = fields[_i].accept_level };
	struct tvm t;

	tvm_init(&t, &geo);
	add_slot(&t, 0, 0, GFNS_PER_1G * 2, 0, 0);
	if (fields[_i].ret < 0)
		ck_assert_fails_clean(&t, fields[_i].ret, pmp_max_level(t.vm, &f, NULL));
	else
		ck_assert_msg(fields[_i].ret ? pmp_max_level(t.vm, &f, NULL) == fields[_i].ret :
			      pmp_max_level(t.vm, &f, NULL) >= PMP_LEVEL_4K, "%s", fields[_i].what);
	tvm_free(&t);
}
END_TEST

/*
 * The memslot's verdict and the 1 GiB summary's are kept by the state
 * changes, not recomputed by the fault: each change shows in the next
 * decision, and pmp_vm_check() (which recomputes both) agrees.
 */
START_TEST(verdicts_follow)
{
	struct pmp_geometry geo = test_geometry(GFNS_PER_1G * 2);
	struct pmp_fault f = { .gfn = 4242, .slot = 0, .backing_order = 18 };
	struct pmp_policy pol, first;
	enum pmp_reason why;
	struct tvm t;

	tvm_init(&t, &geo);
	add_slot(&t, 0, 0, GFNS_PER_1G * 2, 0, 0);
	ck_assert_int_eq(pmp_max_level(t.vm, &f, &why), PMP_LEVEL_1G);
	pmp_vm_policy(t.vm, &first);
	pol = first;
	pol.max_level = PMP_LEVEL_2M;
	pol.nx_huge_pages = 1;
	ck_assert_int_eq(pmp_vm_set_policy(t.vm, &pol), 0);
	ck_assert_int_eq(pmp_max_level(t.vm, &f, &why), PMP_LEVEL_2M);
	ck_assert_int_eq(why, PMP_REASON_POLICY_CAP);
	f.flags = PMP_FAULT_EXEC;
	ck_assert_int_eq(pmp_max_level(t.vm, &f, &why), PMP_LEVEL_4K);
	ck_assert_int_eq(why, PMP_REASON_NX_HUGE_PAGE);
	f.flags = 0;
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	ck_assert_int_eq(pmp_slot_set_flags(t.vm, 0, PMP_SLOT_DIRTY_LOG), 0);
	ck_assert_int_eq(pmp_max_level(t.vm, &f, &why), PMP_LEVEL_4K);
	ck_assert_int_eq(why, PMP_REASON_DIRTY_LOG);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	ck_assert_int_eq(pmp_slot_set_flags(t.vm, 0, 0), 0);
	ck_assert_int_eq(pmp_max_level(t.vm, &f, &why), PMP_LEVEL_2M);
	ck_assert_int_eq(why, PMP_REASON_POLICY_CAP);
	ck_assert_int_eq(pmp_vm_set_policy(t.vm, &first), 0);
	ck_assert_int_eq(pmp_max_level(t.vm, &f, &why), PMP_LEVEL_1G);
	/* a shared page elsewhere in the 1 GiB: its summary stops 1 GiB */
	ck_assert_int_eq(pmp_convert(t.vm, 0, GFNS_PER_1G, true, NULL), 0);
	ck_assert_int_eq(pmp_convert(t.vm, GFNS_PER_1G - 1, 1, false, NULL), 0);
	f.flags = PMP_FAULT_PRIVATE;
	ck_assert_int_eq(pmp_max_level(t.vm, &f, &why), PMP_LEVEL_2M);
	ck_assert_int_eq(why, PMP_REASON_MIXED_ATTRS);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	ck_assert_int_eq(pmp_convert(t.vm, GFNS_PER_1G - 1, 1, true, NULL), 0);
	ck_assert_int_eq(pmp_max_level(t.vm, &f, &why), PMP_LEVEL_1G);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tvm_free(&t);
}
END_TEST

START_TEST(names)
{
	int a, b;

	for (a = 0; a < PMP_REASON_NR; a++) {
		ck_assert_str_ne(pmp_reason_name(a), "?");
		for (b = 0; b < a; b++)
			ck_assert_str_ne(pmp_reason_name(a), pmp_reason_name(b));
	}
	ck_assert_str_eq(pmp_reason_name(PMP_REASON_NR), "?");
	ck_assert_str_eq(pmp_reason_name(-1), "?");
	ck_assert_str_eq(pmp_level_name(PMP_LEVEL_4K), "4k");
	ck_assert_str_eq(pmp_level_name(PMP_LEVEL_2M), "2m");
	ck_assert_str_eq(pmp_level_name(PMP_LEVEL_1G), "1g");
	ck_assert_str_eq(pmp_level_name(0), "?");
	ck_assert_str_eq(pmp_level_name(4), "?");
}
END_TEST

Suite *level_suite(void)
{
	Suite *s = suite_create("level");
	TCase *tc = tcase_create("vectors");

	tcase_add_loop_test(tc, vector, 0, (int)pmp_nr_vectors);
	suite_add_tcase(s, tc);
	tc = tcase_create("counters");
	tcase_add_test(tc, counters);
	tcase_add_test(tc, query_counts_nothing);
	tcase_add_test(tc, names);
	tcase_add_loop_test(tc, fault_fields, 0, (int)(sizeof(fields) / sizeof(fields[0])));
	tcase_add_loop_test(tc, own_cap, 0, (int)(sizeof(own_caps) / sizeof(own_caps[0])));
	tcase_add_test(tc, verdicts_follow);
	suite_add_tcase(s, tc);
	tc = tcase_create("slot_edges");
	tcase_add_loop_test(tc, slot_edges, 0, (int)(sizeof(edges) / sizeof(edges[0])));
	tcase_add_test(tc, slot_gone_or_moved);
	tcase_add_test(tc, lean_follows_the_slot);
	tcase_add_test(tc, runs_follow_deletes);
	suite_add_tcase(s, tc);
	return s;
}
