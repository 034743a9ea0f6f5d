// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * VSM (Hyper-V virtual trust levels) against the tracking pool: a guest's
 * protection changes never make a call fail for lack of pool (issue 13
 * #4).  Where the pool cannot hold a chunk's VTL or write-tracking bitmap,
 * the chunk is "unknown": its faults get 4 KiB with reason pool, counted,
 * pmp_get_attrs() says unknown, and a whole-chunk update makes it exact.
 */
#include <stdio.h>
#include "helpers.h"
#include "rng.h"

#define VSM_GIB 1ULL
#define VSM_GFNS (VSM_GIB * GFNS_PER_1G)
#define VSM_CHUNKS (VSM_GFNS / GFNS_PER_2M)
#define ACTS 4096

struct vsm {
	struct tvm t;
	struct pmp_action buf[ACTS];
	struct pmp_actions acts;
};

/* @pool blocks (0: the default pool). */
static void vsm_init_pool(struct vsm *v, uint32_t nr_vtls, uint32_t vm_type, uint32_t pool)
{
	struct pmp_geometry geo = test_geometry(VSM_GFNS);

	geo.nr_vtls = nr_vtls;
	geo.vm_type = vm_type;
	geo.pool_blocks = pool;
	tvm_init(&v->t, &geo);
	add_slot(&v->t, 0, 0, VSM_GFNS, 0x7f0000000000ULL, 0);
	v->acts = (struct pmp_actions){ .buf = v->buf, .cap = ACTS };
}

static void vsm_init(struct vsm *v, uint32_t nr_vtls, uint32_t vm_type)
{
	vsm_init_pool(v, nr_vtls, vm_type, 0);
}

static struct pmp_actions *fresh(struct vsm *v)
{
	v->acts.nr = 0;
	return &v->acts;
}

/* Fault @gfn in @vtl at the largest level allowed; returns it, sets *@why. */
static int vsm_fault(struct vsm *v, uint64_t gfn, unsigned int vtl, enum pmp_reason *why)
{
	struct pmp_fault f = { .gfn = gfn, .vtl = (uint8_t)vtl, .backing_order = 18 };
	int level = pmp_max_level(v->t.vm, &f, why);

	ck_assert_int_ge(level, PMP_LEVEL_4K);
	ck_assert_int_eq(pmp_map(v->t.vm, &f, level, fresh(v)), 0);
	return level;
}

static uint64_t pool_refusals(const struct vsm *v)
{
	struct pmp_stats st;

	pmp_vm_stats(v->t.vm, &st);
	return st.decision[PMP_DECISION_MAX_LEVEL].refused[PMP_REASON_POOL];
}

/* An unknown chunk's fault: 4 KiB, reason pool, counted. */
static void expect_pool_fault(struct vsm *v, uint64_t gfn, unsigned int vtl)
{
	uint64_t before = pool_refusals(v);
	enum pmp_reason why;

	ck_assert_int_eq(vsm_fault(v, gfn, vtl, &why), PMP_LEVEL_4K);
	ck_assert_int_eq(why, PMP_REASON_POOL);
	ck_assert_uint_eq(pool_refusals(v), before + 1);
}

/*
 * Issue 13 #4: with the default pool, the top VTL denying every access to
 * one page of every chunk of a 1 GiB VM (three planes per chunk) ran the
 * pool dry and returned -ENOMEM at chunk 363 of 512.  Issue 17: the lossy
 * planes may use any free block, so with the exact features idle every
 * chunk stays exact (a 1/32 share made most of them unknown).  Then a
 * private and a mapped 4 KiB page per chunk take blocks back: every call
 * succeeds, evicted chunks are unknown, which faults of that VTL see as
 * reason pool and other VTLs do not see at all.
 */
START_TEST(protect_every_chunk)
{
	static const uint32_t vtls[] = { 2, 3 };
	struct vsm *v = calloc(1, sizeof(*v));
	struct pmp_page_attrs a;
	struct pmp_vm_info info;
	enum pmp_reason why;
	uint64_t c, unknown = 0, gfn, first = VSM_CHUNKS;
	unsigned int vtl = vtls[_i] - 1, w, mapped_bits = 0;

	for (w = 0; w < vtls[_i]; w++)
		mapped_bits |= PMP_ATTR_UNKNOWN_MAPPED(w);

	/*
	 * A pool with room for the three planes of every chunk: the default
	 * one (a block per chunk and 1/8) makes most of them unknown at once.
	 */
	vsm_init_pool(v, vtls[_i], PMP_VM_DEFAULT, 3 * VSM_CHUNKS + 8);
	for (c = 0; c < VSM_CHUNKS; c++) {
		gfn = c * GFNS_PER_2M + 7;
		ck_assert_msg(pmp_vtl_protect(v->t.vm, vtl, gfn, 1, 0, fresh(v)) == 0,
			      "chunk %llu", (unsigned long long)c);
		ck_assert_int_eq(pmp_get_attrs(v->t.vm, gfn, &a), 0);
		ck_assert_uint_eq(a.unknown, 0);
		ck_assert_uint_eq(a.vtl_prot[vtl], 0);
	}
	ck_assert_int_eq(pmp_vm_check(v->t.vm), 0);
	/* the exact features take their blocks back from the VTL planes */
	for (c = 0; c < VSM_CHUNKS; c++) {
		ck_assert_msg(pmp_convert(v->t.vm, c * GFNS_PER_2M + 9, 1, true, fresh(v)) == 0,
			      "chunk %llu", (unsigned long long)c);
		ck_assert_int_eq(vsm_fault(v, c * GFNS_PER_2M + 10, 0, &why), PMP_LEVEL_4K);
		/* each VTL past the first has its mapped mirror: a page in each */
		for (w = 1; w < vtls[_i]; w++) {
			struct pmp_fault f = { .gfn = c * GFNS_PER_2M + 10, .vtl = (uint8_t)w };

			ck_assert_int_eq(pmp_map(v->t.vm, &f, PMP_LEVEL_4K, fresh(v)), 0);
		}
		ck_assert_int_eq(pmp_vm_check(v->t.vm), 0);
	}
	pmp_vm_info(v->t.vm, &info);
	ck_assert_uint_eq(info.pool_high_water, info.pool_blocks);	/* it had to */
	for (c = 0; c < VSM_CHUNKS; c++) {
		gfn = c * GFNS_PER_2M + 7;
		ck_assert_int_eq(pmp_get_attrs(v->t.vm, gfn, &a), 0);
		if (a.unknown && first == VSM_CHUNKS)
			first = c;
		unknown += !!(a.unknown & PMP_ATTR_UNKNOWN_VTL(vtl));
		/* exact, or unknown and read "denied": no access either way */
		ck_assert_uint_eq(a.vtl_prot[vtl], 0);
		/* its neighbour is exact (RWX) or reads "denied": never a wrong "allowed" */
		ck_assert_int_eq(pmp_get_attrs(v->t.vm, gfn + 1, &a), 0);
		if (a.unknown & PMP_ATTR_UNKNOWN_VTL(vtl))
			ck_assert_uint_ne(a.vtl_prot[vtl], PMP_PROT_RWX);
		else
			ck_assert_uint_eq(a.vtl_prot[vtl], PMP_PROT_RWX);
		/* the mapped mirrors degrade too (their pages fault back in) */
		ck_assert_uint_eq(a.unknown & ~(PMP_ATTR_UNKNOWN_VTL(vtl) | mapped_bits), 0);
	}
	ck_assert_uint_gt(unknown, 0);
	ck_assert_uint_lt(unknown, VSM_CHUNKS);
	/* an unknown chunk: 4 KiB for its VTL, reason pool, counted */
	gfn = first * GFNS_PER_2M + 100;
	expect_pool_fault(v, gfn, vtl);
	/* a whole-chunk update makes it exact again */
	ck_assert_int_eq(pmp_vtl_protect(v->t.vm, vtl, first * GFNS_PER_2M, GFNS_PER_2M,
					 PMP_PROT_RWX, fresh(v)), 0);
	ck_assert_int_eq(pmp_get_attrs(v->t.vm, gfn, &a), 0);
	ck_assert_uint_eq(a.unknown & ~mapped_bits, 0);
	ck_assert_uint_eq(a.vtl_prot[vtl], PMP_PROT_RWX);
	ck_assert_int_eq(pmp_vm_check(v->t.vm), 0);
	tvm_free(&v->t);
	free(v);
}
END_TEST

/*
 * Write tracking degrades the same way, and never reads as untracked.
 * Tracking a page per chunk takes a block per chunk; then a guest with
 * one private and one mapped 4 KiB page per chunk needs more exact blocks
 * than the (caller-sized) pool has free, and takes tracking blocks back
 * (on the parent, tracking ran out first: -ENOMEM at chunk 64 of 512).
 */
START_TEST(write_track_every_chunk)
{
	struct pmp_geometry geo = test_geometry(VSM_GFNS);
	struct vsm *v = calloc(1, sizeof(*v));
	struct pmp_page_attrs a;
	enum pmp_reason why;
	uint64_t c, gfn = 0;

	geo.nr_vtls = 1;
	geo.pool_blocks = 1200;		/* 512 tracking + 1024 exact do not fit */
	tvm_init(&v->t, &geo);
	add_slot(&v->t, 0, 0, VSM_GFNS, 0x7f0000000000ULL, 0);
	v->acts = (struct pmp_actions){ .buf = v->buf, .cap = ACTS };
	for (c = 0; c < VSM_CHUNKS; c++) {
		ck_assert_msg(pmp_write_track(v->t.vm, c * GFNS_PER_2M + 3, 2, true, fresh(v)) == 0,
			      "chunk %llu", (unsigned long long)c);
		ck_assert_int_eq(pmp_write_track(v->t.vm, c * GFNS_PER_2M + 4, 1, false, fresh(v)), 0);
	}
	for (c = 0; c < VSM_CHUNKS; c++) {
		ck_assert_int_eq(pmp_convert(v->t.vm, c * GFNS_PER_2M + 9, 1, true, fresh(v)), 0);
		ck_assert_int_eq(vsm_fault(v, c * GFNS_PER_2M + 10, 0, &why), PMP_LEVEL_4K);
	}
	ck_assert_int_eq(pmp_vm_check(v->t.vm), 0);
	for (c = 0; c < VSM_CHUNKS; c++) {
		gfn = c * GFNS_PER_2M + 4;
		ck_assert_int_eq(pmp_get_attrs(v->t.vm, gfn, &a), 0);
		if (a.unknown)
			break;
		ck_assert(!a.write_tracked);
	}
	ck_assert_uint_lt(c, VSM_CHUNKS);
	/* the mapped mirror of that chunk may have degraded too */
	ck_assert_uint_eq(a.unknown & ~PMP_ATTR_UNKNOWN_MAPPED(0), PMP_ATTR_UNKNOWN_WTRACK);
	ck_assert(a.write_tracked);
	expect_pool_fault(v, gfn + 100, 0);
	tvm_free(&v->t);
	free(v);
}
END_TEST

/*
 * A VTL change's zap splits the VTL's mapped mirror of its edge chunks,
 * which needs a block.  When the pool has none, the mirror of that chunk
 * goes unknown ("maybe mapped": the mirror is lossy) and the change still
 * succeeds, zapping only its page.  The chunk reads as maybe a 4 KiB leaf
 * everywhere, later zaps cover it, and a whole-chunk zap makes it exact.
 * (Until the mirror degraded, the zap widened to the whole chunk.)
 */
START_TEST(protect_with_full_pool)
{
	struct vsm *v = calloc(1, sizeof(*v));
	struct pmp_geometry geo = test_geometry(VSM_GFNS);
	struct pmp_fault f = { .gfn = GFNS_PER_2M };
	struct pmp_page_attrs a;
	struct pmp_vm_info info;
	uint32_t i, zaps = 0;

	geo.pool_blocks = 4;
	tvm_init(&v->t, &geo);
	add_slot(&v->t, 0, 0, VSM_GFNS, 0x7f0000000000ULL, 0);
	v->acts = (struct pmp_actions){ .buf = v->buf, .cap = ACTS };
	/* chunk 1 wholly mapped by 4 KiB leaves: its mirror is uniform, no block */
	for (; f.gfn < 2 * GFNS_PER_2M; f.gfn++)
		ck_assert_int_eq(pmp_map(v->t.vm, &f, PMP_LEVEL_4K, fresh(v)), 0);
	/* the four blocks go to private pages elsewhere */
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pmp_convert(v->t.vm, (3 + i) * GFNS_PER_2M, 1, true, fresh(v)), 0);
	pmp_vm_info(v->t.vm, &info);
	ck_assert_uint_eq(info.pool_used, info.pool_blocks);
	ck_assert_int_eq(pmp_vtl_protect(v->t.vm, 0, GFNS_PER_2M + 5, 1, 0, fresh(v)), 0);
	for (i = 0; i < v->acts.nr; i++) {
		if (v->buf[i].type != PMP_ACT_ZAP)
			continue;
		zaps++;
		ck_assert_uint_eq(v->buf[i].gfn, GFNS_PER_2M + 5);
		ck_assert_uint_eq(v->buf[i].npages, 1);
	}
	ck_assert_uint_eq(zaps, 1);
	ck_assert_int_eq(pmp_get_attrs(v->t.vm, GFNS_PER_2M + 5, &a), 0);
	ck_assert_uint_eq(a.unknown & PMP_ATTR_UNKNOWN_MAPPED(0), PMP_ATTR_UNKNOWN_MAPPED(0));
	/* maybe mapped: the zapped page too, and a zap of it is emitted */
	ck_assert_int_eq(pmp_leaf_level(v->t.vm, GFNS_PER_2M + 5), PMP_LEVEL_4K);
	ck_assert_int_eq(pmp_leaf_level(v->t.vm, GFNS_PER_2M + 300), PMP_LEVEL_4K);
	ck_assert_int_eq(pmp_zap(v->t.vm, PMP_ZAP_MMU_NOTIFIER, PMP_ZAP_FILTER_KVM,
				 GFNS_PER_2M + 5, 1, fresh(v)), 0);
	ck_assert_uint_eq(v->acts.nr, 1);
	ck_assert_int_eq(v->buf[0].type, PMP_ACT_ZAP);
	/* never promoted while unknown */
	ck_assert_int_eq(pmp_promote(v->t.vm, GFNS_PER_2M, fresh(v)), -EAGAIN);
	/* a whole-chunk zap: exact again, nothing mapped */
	ck_assert_int_eq(pmp_zap(v->t.vm, PMP_ZAP_MMU_NOTIFIER, PMP_ZAP_FILTER_KVM,
				 GFNS_PER_2M, GFNS_PER_2M, fresh(v)), 0);
	ck_assert_int_eq(pmp_get_attrs(v->t.vm, GFNS_PER_2M + 5, &a), 0);
	ck_assert_uint_eq(a.unknown & PMP_ATTR_UNKNOWN_MAPPED(0), 0);
	ck_assert_int_eq(pmp_leaf_level(v->t.vm, GFNS_PER_2M + 300), 0);
	ck_assert_int_eq(pmp_vm_check(v->t.vm), 0);
	tvm_free(&v->t);
	free(v);
}
END_TEST

/*
 * A page's protection updates a chunk's planes of one VTL at once: those
 * already in the chain in one walk of it (planes.c), the others one by
 * one when one of them takes a block.  Table: each step's VTL, pages and
 * protection, then the pool blocks in use (one per mixed plane).  Steps
 * take a new block while others are chained (c), leave one plane's block
 * while the others stay (d), walk past VTL 0's blocks to VTL 1's (e), and
 * give back two blocks in one call (f, g).  Every page's attributes and
 * pmp_vm_check() after each step.
 */
START_TEST(protect_planes_one_walk)
{
	static const struct {
		unsigned int vtl, page, npages, prot;
		uint32_t pool_used;
	} steps[] = {
		{ 0, 5, 1, PMP_PROT_R, 2 },			/* a: W, X take blocks */
		{ 1, 7, 1, PMP_PROT_X, 4 },			/* b: VTL 1's R, W */
		{ 0, 6, 1, 0, 5 },				/* c: R new, W, X chained */
		{ 0, 6, 1, PMP_PROT_RWX, 4 },			/* d: R uniform again */
		{ 1, 8, 1, PMP_PROT_X, 4 },			/* e: past VTL 0's blocks */
		{ 1, 7, 2, PMP_PROT_RWX, 2 },			/* f: both of VTL 1's go */
		{ 0, 5, 1, PMP_PROT_RWX, 0 },			/* g: both of VTL 0's go */
	};
	struct vsm *v = calloc(1, sizeof(*v));
	unsigned int prot[2][12], i, p, w;
	struct pmp_page_attrs a;
	struct pmp_vm_info info;

	vsm_init(v, 2, PMP_VM_DEFAULT);
	for (w = 0; w < 2; w++)
		for (p = 0; p < 12; p++)
			prot[w][p] = PMP_PROT_RWX;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		ck_assert_int_eq(pmp_vtl_protect(v->t.vm, steps[i].vtl, GFNS_PER_2M + steps[i].page,
						 steps[i].npages, steps[i].prot, fresh(v)), 0);
		for (p = steps[i].page; p < steps[i].page + steps[i].npages; p++)
			prot[steps[i].vtl][p] = steps[i].prot;
		for (p = 0; p < 12; p++) {
			ck_assert_int_eq(pmp_get_attrs(v->t.vm, GFNS_PER_2M + p, &a), 0);
			ck_assert_uint_eq(a.unknown, 0);
			for (w = 0; w < 2; w++)
				ck_assert_msg(a.vtl_prot[w] == prot[w][p],
					      "step %u: page %u VTL %u prot %u, want %u", i, p, w,
					      a.vtl_prot[w], prot[w][p]);
		}
		pmp_vm_info(v->t.vm, &info);
		ck_assert_msg(info.pool_used == steps[i].pool_used, "step %u: %u blocks, want %u", i,
			      info.pool_used, steps[i].pool_used);
		ck_assert_int_eq(pmp_vm_check(v->t.vm), 0);
	}
	tvm_free(&v->t);
	free(v);
}
END_TEST

/*
 * One page's protection at a time (vtl.c's lean path where the page is
 * mapped at 4 KiB or not at all, its own word update where the chunk's
 * planes stay mixed, unknown or already at the value, the planes' update
 * where one takes or frees a block; the general path under a 2 MiB leaf):
 * each step's actions, then every probed page's protections in every VTL
 * as a model says, and pmp_vm_check(), after each step.  Pages at a chunk's start,
 * inside, at a 64-page word's edge, at the end of the VM; a page under a
 * 2 MiB leaf; a whole 64-page word filled and emptied.
 */
START_TEST(protect_page_by_page)
{
	enum { PROT, FAULT };
	static const uint64_t B = 3 * GFNS_PER_2M, LAST = VSM_GFNS - 1;
	static const struct {
		int op;
		unsigned int vtl;
		uint64_t gfn;
		unsigned int prot;
		bool acts;		/* the step emits actions (a split, a zap, a map) */
	} steps[] = {
		{ PROT, 0, B + 5, PMP_PROT_R, false },		/* W, X take blocks */
		{ PROT, 0, B + 6, PMP_PROT_R, false },		/* R uniform at 0 already */
		{ PROT, 0, B + 63, PMP_PROT_R, false },
		{ PROT, 0, B + 64, PMP_PROT_R, false },
		{ PROT, 0, B + 7, 0, false },			/* R takes a block */
		{ PROT, 0, B + 5, PMP_PROT_RWX, false },
		{ PROT, 1, B, PMP_PROT_X, false },
		{ PROT, 1, B, PMP_PROT_X, false },		/* the same again */
		{ PROT, 1, B + 1, PMP_PROT_W, false },
		{ PROT, 1, B, PMP_PROT_RWX, false },
		{ PROT, 1, B + 1, PMP_PROT_RWX, false },	/* VTL 1 uniform again */
		{ PROT, 0, B + 6, PMP_PROT_RWX, false },
		{ PROT, 0, B + 63, PMP_PROT_RWX, false },
		{ PROT, 0, B + 64, PMP_PROT_RWX, false },
		{ PROT, 0, B + 7, PMP_PROT_RWX, false },	/* uniform: blocks back */
		{ FAULT, 0, B + 100, 0, true },			/* a 2 MiB leaf */
		{ PROT, 0, B + 101, PMP_PROT_R, true },		/* zapped (split=zap) */
		{ PROT, 0, B + 102, PMP_PROT_R, false },
		{ FAULT, 0, B + 102, 0, true },			/* read allowed: 4 KiB */
		{ PROT, 0, B + 102, PMP_PROT_RWX, true },	/* mapped: zapped */
		{ PROT, 1, LAST - 1, 0, false },
		{ PROT, 1, LAST, PMP_PROT_R | PMP_PROT_X, false },
		{ PROT, 1, LAST - 1, PMP_PROT_RWX, false },
		{ PROT, 1, LAST, PMP_PROT_RWX, false },
	};
	unsigned int model[2][sizeof(steps) / sizeof(steps[0])];
	struct pmp_page_attrs a;
	enum pmp_reason why;
	unsigned int i, j, k, vtl;
	struct pmp_vm_info info;
	struct vsm *v = calloc(1, sizeof(*v));

	vsm_init(v, 2, PMP_VM_DEFAULT);
	for (j = 0; j < sizeof(steps) / sizeof(steps[0]); j++)
		model[0][j] = model[1][j] = PMP_PROT_RWX;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (steps[i].op == FAULT) {
			vsm_fault(v, steps[i].gfn, steps[i].vtl, &why);
		} else {
			ck_assert_int_eq(pmp_vtl_protect(v->t.vm, steps[i].vtl, steps[i].gfn, 1,
							 steps[i].prot, fresh(v)), 0);
			for (j = 0; j < sizeof(steps) / sizeof(steps[0]); j++)
				if (steps[j].gfn == steps[i].gfn)
					model[steps[i].vtl][j] = steps[i].prot;
		}
		ck_assert_msg((v->acts.nr > 0) == steps[i].acts, "step %u: %u actions", i,
			      v->acts.nr);
		ck_assert_int_eq(pmp_vm_check(v->t.vm), 0);
		for (j = 0; j < sizeof(steps) / sizeof(steps[0]); j++) {
			ck_assert_int_eq(pmp_get_attrs(v->t.vm, steps[j].gfn, &a), 0);
			ck_assert_uint_eq(a.unknown, 0);
			for (vtl = 0; vtl < 2; vtl++)
				ck_assert_msg(a.vtl_prot[vtl] == model[vtl][j],
					      "step %u: gfn %#llx VTL %u prot %u, want %u", i,
					      (unsigned long long)steps[j].gfn, vtl,
					      a.vtl_prot[vtl], model[vtl][j]);
		}
	}
	ck_assert_int_eq(pmp_vtl_leaf_level(v->t.vm, 0, B + 102), 0);
	ck_assert_int_eq(pmp_vtl_protect(v->t.vm, 0, B + 101, 1, PMP_PROT_RWX, fresh(v)), 0);
	/* a whole 64-page word, page by page, and back: the word uniform, its block not */
	for (k = 0; k < 2; k++)
		for (j = 0; j < 64; j++) {
			unsigned int prot = k ? PMP_PROT_RWX : PMP_PROT_R;

			ck_assert_int_eq(pmp_vtl_protect(v->t.vm, 1, B + 192 + j, 1, prot,
							 fresh(v)), 0);
			ck_assert_uint_eq(v->acts.nr, 0);
			ck_assert_int_eq(pmp_vm_check(v->t.vm), 0);
			ck_assert_int_eq(pmp_get_attrs(v->t.vm, B + 192 + j, &a), 0);
			ck_assert_uint_eq(a.vtl_prot[1], prot);
			ck_assert_int_eq(pmp_get_attrs(v->t.vm, B + 256, &a), 0);
			ck_assert_uint_eq(a.vtl_prot[1], PMP_PROT_RWX);
		}
	pmp_vm_info(v->t.vm, &info);
	ck_assert_uint_eq(info.pool_used, 0);	/* every plane uniform again: no block */
	tvm_free(&v->t);
	free(v);
}
END_TEST

/*
 * The randomized VSM run: 1, 2 and 3 VTLs on every VM type, the default
 * pool; first each VTL protects part of every chunk, then random
 * protections, write tracking, conversions, accepts, faults in every VTL,
 * punches, zaps and merge ticks.  No call may fail with -ENOMEM;
 * pmp_vm_check() holds after every step.  PMP_VSM_OPS sets the length
 * (make check-long runs it longer).
 */
static uint64_t vsm_ops(void)
{
	const char *s = getenv("PMP_VSM_OPS");

	return s && *s ? strtoull(s, NULL, 0) : 1500;
}

/* A range: mostly part of one chunk, sometimes chunks, sometimes whole ones. */
static void pick_range(struct rng *r, uint64_t *gfn, uint64_t *n)
{
	uint64_t c = rng_below(r, VSM_CHUNKS);

	switch (rng_below(r, 4)) {
	case 0:
		*gfn = c * GFNS_PER_2M;
		*n = GFNS_PER_2M * (1 + rng_below(r, 4));
		break;
	case 1:
		*gfn = c * GFNS_PER_2M + rng_below(r, GFNS_PER_2M);
		*n = 1 + rng_below(r, 3 * GFNS_PER_2M);
		break;
	default:
		*gfn = c * GFNS_PER_2M + rng_below(r, GFNS_PER_2M);
		*n = 1 + rng_below(r, 64);
	}
	if (*gfn + *n > VSM_GFNS)
		*n = VSM_GFNS - *gfn;
}

static int vsm_step(struct vsm *v, struct rng *r, uint32_t nr_vtls, uint64_t step)
{
	struct pmp_vm *vm = v->t.vm;
	uint64_t gfn, n;
	enum pmp_reason why;

	pick_range(r, &gfn, &n);
	/* the sweep: every chunk, every VTL, part of it denied */
	if (step < VSM_CHUNKS * nr_vtls)
		return pmp_vtl_protect(vm, (unsigned int)(step % nr_vtls),
				       (step / nr_vtls) * GFNS_PER_2M + rng_below(r, 500),
				       1 + rng_below(r, 12), (unsigned int)rng_below(r, 8), fresh(v));
	switch (rng_below(r, 10)) {
	case 0: case 1: case 2:
		return pmp_vtl_protect(vm, (unsigned int)rng_below(r, nr_vtls), gfn, n,
				       (unsigned int)rng_below(r, 8), fresh(v));
	case 3:
		return pmp_write_track(vm, gfn, n, rng_below(r, 2), fresh(v));
	case 4:
		return pmp_convert(vm, gfn, n, rng_below(r, 2), fresh(v));
	case 5:
		return pmp_accept(vm, gfn, PMP_LEVEL_4K, fresh(v));
	case 6: case 7: {
		struct pmp_fault f = { .gfn = gfn, .vtl = (uint8_t)rng_below(r, nr_vtls),
				       .backing_order = (uint8_t)(rng_below(r, 2) ? 18 : 0) };
		int level;

		if (rng_below(r, 2))
			f.flags = PMP_FAULT_PRIVATE;
		level = pmp_max_level(vm, &f, &why);
		if (level < PMP_LEVEL_4K)
			return level;
		return pmp_map(vm, &f, level, fresh(v));
	}
	case 8:
		return pmp_punch(vm, gfn, n, NULL, fresh(v));
	default:
		if (rng_below(r, 2))
			return pmp_zap(vm, PMP_ZAP_MMU_NOTIFIER, PMP_ZAP_FILTER_KVM, gfn, n,
				       fresh(v));
		return pmp_merge_tick(vm, fresh(v)) < 0 ? -1 : 0;
	}
}

START_TEST(random_vsm)
{
	uint32_t nr_vtls = 1 + (uint32_t)(_i % 3), vm_type = (uint32_t)(_i / 3);
	struct vsm *v = calloc(1, sizeof(*v));
	uint64_t ops = vsm_ops(), step, fails = 0;
	struct pmp_vm_info info;
	struct rng r;
	int err;

	rng_seed(&r, 1000 + (uint64_t)_i);
	vsm_init(v, nr_vtls, vm_type);
	for (step = 0; step < ops + VSM_CHUNKS * nr_vtls; step++) {
		err = vsm_step(v, &r, nr_vtls, step);
		ck_assert_msg(err != -ENOMEM, "%u VTLs, type %u, step %llu: -ENOMEM", nr_vtls,
			      vm_type, (unsigned long long)step);
		/* documented refusals only: TDX accepted pages, SEV pins, a bad accept */
		ck_assert_msg(!err || err == -EBUSY || err == -EINVAL, "step %llu: %d",
			      (unsigned long long)step, err);
		fails += !!err;
		ck_assert_msg(pmp_vm_check(v->t.vm) == 0, "%u VTLs, type %u, step %llu: invariants",
			      nr_vtls, vm_type, (unsigned long long)step);
	}
	pmp_vm_info(v->t.vm, &info);
	printf("vsm: %u VTLs, type %u: %llu steps, %llu refused, pool %u/%u (high water %u), "
	       "%llu faults refused by pool\n", nr_vtls, vm_type,
	       (unsigned long long)step, (unsigned long long)fails, info.pool_used,
	       info.pool_blocks, info.pool_high_water, (unsigned long long)pool_refusals(v));
	tvm_free(&v->t);
	free(v);
}
END_TEST

Suite *vsm_suite(void)
{
	Suite *s = suite_create("vsm");
	TCase *tc = tcase_create("pool");

	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, protect_every_chunk, 0, 2);
	tcase_add_test(tc, write_track_every_chunk);
	tcase_add_test(tc, protect_with_full_pool);
	tcase_add_test(tc, protect_planes_one_walk);
	tcase_add_test(tc, protect_page_by_page);
	tcase_add_loop_test(tc, random_vsm, 0, 3 * PMP_VM_NR);
	suite_add_tcase(s, tc);
	return s;
}
