// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Eligibility test vectors and their runner, shared by the Check tests
 * (tests/unit/test_level.c) and the kernel selftest.  Expected values are
 * worked out by hand in the comments; every failing call must also leave
 * the VM's bytes unchanged.
 *
 * Common layout (gfn_end 8 GiB):
 *   slot 0: gfns [0, 3 GiB), userspace address 1 GiB aligned;
 *   slot 1: [4 GiB, 6 GiB), userspace address 4 KiB off 2 MiB: 4K only;
 *   slot 2: [6 GiB, 7 GiB + 1 MiB), address 2 MiB but not 1 GiB aligned.
 */
#include "vectors.h"

#define UA 0x7f0000000000ULL		/* 1 GiB aligned userspace address */
#define G1 0x40000ULL			/* pages in 1 GiB */
#define M2 0x200ULL			/* pages in 2 MiB */

#define SLOT(i, g, n, a, f, r) \
	{ .op = V_SLOT, .id = (i), .gfn = (g), .npages = (n), .addr = (a), .flags = (f), .ret = (r) }
#define GMEM_SLOT(i, g, n, a, off, r) \
	{ .op = V_SLOT, .id = (i), .gfn = (g), .npages = (n), .addr = (a), .gmem = (off), \
	  .flags = PMP_SLOT_GUEST_MEMFD, .ret = (r) }
#define LAYOUT \
	SLOT(0, 0, 3 * G1, UA, 0, 0), \
	SLOT(1, 4 * G1, 2 * G1, UA + 0x1000, 0, 0), \
	SLOT(2, 6 * G1, G1 + 0x100, UA + 0x200000, 0, 0)
#define PRIVATE(g, n, r) { .op = V_PRIVATE, .gfn = (g), .npages = (n), .ret = (r) }
#define SHARED(g, n, r) { .op = V_SHARED, .gfn = (g), .npages = (n), .ret = (r) }
#define VTL(v, g, n, prot, r) \
	{ .op = V_VTL, .id = (v), .gfn = (g), .npages = (n), .flags = (prot), .ret = (r) }
#define WTRACK(g, n, on, r) { .op = V_WTRACK, .gfn = (g), .npages = (n), .flags = (on), .ret = (r) }
#define POLICY(s, r) { .op = V_POLICY, .str = (s), .ret = (r) }
/* Query: slot, gfn, fault flags, backing order, accept level, vtl -> level, reason */
#define QX(s, g, fl, ord, acc, v, lvl, why) \
	{ .op = V_QUERY, .id = (s), .gfn = (g), .flags = (fl), .order = (ord), .accept = (acc), \
	  .vtl = (v), .ret = (lvl), .reason = PMP_REASON_##why }
#define Q(s, g, lvl, why) QX(s, g, 0, 18, 0, 0, lvl, why)
#define QP(s, g, lvl, why) QX(s, g, PMP_FAULT_PRIVATE, 18, 0, 0, lvl, why)
#define END { .op = V_END }

#define L4K PMP_LEVEL_4K
#define L2M PMP_LEVEL_2M
#define L1G PMP_LEVEL_1G

/* gfn 0, the last gfn of a slot, 4K/2M/1G boundaries, backing orders. */
static const struct pmp_vstep boundaries[] = {
	LAYOUT,
	Q(0, 0, L1G, NONE),
	Q(0, 3 * G1 - 1, L1G, NONE),		/* last gfn of slot 0 */
	Q(0, G1 - 1, L1G, NONE),		/* last page of the first 1 GiB */
	Q(0, G1, L1G, NONE),
	Q(0, M2 - 1, L1G, NONE),
	QX(0, M2, 0, 9, 0, 0, L2M, BACKING_ORDER),
	QX(0, M2 - 1, 0, 17, 0, 0, L2M, BACKING_ORDER),
	QX(0, 1, 0, 8, 0, 0, L4K, BACKING_ORDER),
	QX(0, 1, 0, 0, 0, 0, L4K, BACKING_ORDER),
	QX(0, 1, 0, 63, 0, 0, L1G, NONE),
	QX(0, 1, 0, 64, 0, 0, -22, NONE),	/* order out of range */
	Q(1, 4 * G1, L4K, MISALIGNED),		/* address 4 KiB off */
	Q(1, 6 * G1 - 1, L4K, MISALIGNED),
	Q(2, 6 * G1, L2M, MISALIGNED),		/* 2 MiB but not 1 GiB aligned */
	Q(2, 7 * G1 - 1, L2M, MISALIGNED),
	Q(2, 7 * G1, L4K, SLOT_BOUNDARY),	/* last 1 MiB: 2 MiB crosses the end */
	Q(2, 7 * G1 + 0xff, L4K, SLOT_BOUNDARY), /* last gfn of slot 2 */
	Q(0, 3 * G1, -22, NONE),		/* gfn outside the slot */
	Q(2, 7 * G1 + 0x100, -22, NONE),	/* one past slot 2 */
	Q(5, 0, -2, NONE),			/* no such slot */
	Q(8, 0, -22, NONE),			/* id past max_slots */
	END,
};

/* A 2 MiB range straddling two adjacent slots, and slots smaller than 1G. */
static const struct pmp_vstep straddle[] = {
	SLOT(0, 0, 0x300, UA, 0, 0),
	SLOT(1, 0x300, 0x1000 - 0x300, UA + 0x300000, 0, 0),
	Q(0, 0, L2M, SLOT_BOUNDARY),
	Q(0, 0x2ff, L4K, SLOT_BOUNDARY),
	Q(1, 0x300, L4K, SLOT_BOUNDARY),
	Q(1, 0x3ff, L4K, SLOT_BOUNDARY),
	Q(1, 0x400, L2M, SLOT_BOUNDARY),
	Q(1, 0xfff, L2M, SLOT_BOUNDARY),
	END,
};

/* Host offsets that disagree with the gfn, for userspace and guest_memfd. */
static const struct pmp_vstep unaligned[] = {
	SLOT(0, M2, 2 * M2, UA + 0x100000, 0, 0),	/* gfn 0x200 on pfn % 512 == 0x100 */
	Q(0, M2, L4K, MISALIGNED),
	SLOT(1, G1, G1, UA + 0x200000, 0, 0),
	Q(1, G1 + 5, L2M, MISALIGNED),
	/* guest_memfd: every fault needs the address aligned (lpage_info), a
	 * private one the file offset too */
	GMEM_SLOT(2, 4 * G1, G1, UA + 0x1000, 0, 0),
	Q(2, 4 * G1, L4K, MISALIGNED),
	QP(2, 4 * G1, L4K, MISALIGNED),
	GMEM_SLOT(3, 5 * G1, G1, UA, 0x1000, 0),
	QP(3, 5 * G1, L4K, MISALIGNED),
	Q(3, 5 * G1, L1G, NONE),
	GMEM_SLOT(4, 6 * G1, G1, UA, G1 << 12, 0),	/* file offset 1 GiB: aligned */
	QP(4, 6 * G1 + 7, L1G, NONE),
	SLOT(5, 7 * G1, M2, UA, 0, 0),
	{ .op = V_SLOT, .id = 6, .gfn = 7 * G1 + M2, .npages = 1, .addr = UA, .gmem = 0x1000,
	  .ret = -22 },					/* gmem offset without the flag */
	SLOT(6, 7 * G1 + M2, 1, UA + 0x123, 0, -22),	/* address not page aligned */
	END,
};

/* One shared 4 KiB page inside private 2 MiB and 1 GiB ranges, and back. */
static const struct pmp_vstep mixed[] = {
	LAYOUT,
	PRIVATE(0, 3 * G1, 0),
	QP(0, G1, L1G, NONE),
	SHARED(G1 + M2, 1, 0),
	QP(0, G1, L2M, MIXED_ATTRS),		/* its 2 MiB is uniform, its 1 GiB not */
	QP(0, G1 + M2, L4K, MIXED_ATTRS),
	Q(0, G1 + M2, L4K, MIXED_ATTRS),	/* a shared fault sees the same range */
	QP(0, 2 * G1 - 1, L2M, MIXED_ATTRS),
	QP(0, 2 * G1, L1G, NONE),		/* the next 1 GiB is untouched */
	PRIVATE(G1 + M2, 1, 0),
	QP(0, G1 + M2, L1G, NONE),		/* converting back restores 1 GiB */
	/* uniform children that disagree still make the 1 GiB mixed */
	SHARED(G1 + M2, M2, 0),
	QP(0, G1 + M2, L2M, MIXED_ATTRS),
	QP(0, G1, L2M, MIXED_ATTRS),
	PRIVATE(G1 + M2, M2, 0),
	QP(0, G1, L1G, NONE),
	/* a conversion straddling two 2 MiB chunks and two 1 GiB ranges */
	SHARED(2 * G1 - 3, 6, 0),
	QP(0, 2 * G1 - M2, L4K, MIXED_ATTRS),
	QP(0, 2 * G1, L4K, MIXED_ATTRS),
	QP(0, 2 * G1 + M2, L2M, MIXED_ATTRS),
	PRIVATE(2 * G1 - 3, 6, 0),
	QP(0, 2 * G1 - 1, L1G, NONE),
	QP(0, 2 * G1, L1G, NONE),
	/* with a 2 MiB cap, the reason names what stops 2 MiB, not the cap */
	SHARED(5, 1, 0),
	POLICY("max_level=2m", 0),
	QP(0, 5, L4K, MIXED_ATTRS),
	QP(0, M2, L2M, POLICY_CAP),
	END,
};

/* Per-VTL protections: each VTL sees only its own. */
static const struct pmp_vstep vtl[] = {
	LAYOUT,
	VTL(0, M2, 1, PMP_PROT_R, 0),
	QX(0, M2, 0, 18, 0, 0, L4K, VTL_PROT),
	QX(0, M2 + 1, 0, 18, 0, 0, L4K, VTL_PROT),
	QX(0, 0, 0, 18, 0, 0, L2M, VTL_PROT),
	QX(0, M2, 0, 18, 0, 1, L1G, NONE),	/* VTL 1's view is uniform */
	VTL(0, M2, 1, PMP_PROT_RWX, 0),
	QX(0, M2, 0, 18, 0, 0, L1G, NONE),
	VTL(0, M2, M2, PMP_PROT_R, 0),
	QX(0, M2, 0, 18, 0, 0, L2M, VTL_PROT),
	VTL(0, 0, G1, PMP_PROT_R, 0),		/* the whole 1 GiB, read-only */
	QX(0, M2, 0, 18, 0, 0, L1G, NONE),
	VTL(1, G1 + 7, 1, 0, 0),		/* no access at all for VTL 1 */
	QX(0, G1, 0, 18, 0, 1, L4K, VTL_PROT),
	QX(0, G1, 0, 18, 0, 0, L1G, NONE),
	QX(0, 0, 0, 18, 0, 2, -22, NONE),	/* the VM has 2 VTLs */
	VTL(2, 0, 1, PMP_PROT_R, -22),
	VTL(0, 0, 1, 8, -22),			/* unknown protection bit */
	END,
};

/* Dirty logging, write tracking, NX huge pages, ACCEPT levels, the cap. */
static const struct pmp_vstep knobs[] = {
	LAYOUT,
	{ .op = V_SLOT_FLAGS, .id = 0, .flags = PMP_SLOT_DIRTY_LOG },
	Q(0, 0, L4K, DIRTY_LOG),
	Q(1, 4 * G1, L4K, MISALIGNED),		/* other slots keep their own flags */
	{ .op = V_SLOT_FLAGS, .id = 0, .flags = 0 },
	Q(0, 0, L1G, NONE),
	{ .op = V_SLOT_FLAGS, .id = 0, .flags = PMP_SLOT_GUEST_MEMFD, .ret = -22 },
	{ .op = V_SLOT_FLAGS, .id = 0, .flags = 0x80, .ret = -22 },
	{ .op = V_SLOT_FLAGS, .id = 7, .flags = 0, .ret = -2 },
	/* dirty logging is checked before alignment */
	{ .op = V_SLOT_FLAGS, .id = 1, .flags = PMP_SLOT_DIRTY_LOG },
	Q(1, 4 * G1, L4K, DIRTY_LOG),
	WTRACK(0x1234, 1, 1, 0),
	Q(0, 0x1234, L4K, WRITE_TRACKED),
	Q(0, 0x1200, L4K, WRITE_TRACKED),
	Q(0, 0x1000, L2M, WRITE_TRACKED),
	WTRACK(0x1200, M2, 1, 0),		/* a uniformly tracked 2 MiB */
	Q(0, 0x1300, L4K, WRITE_TRACKED),
	WTRACK(0x1200, M2, 0, 0),
	Q(0, 0x1234, L1G, NONE),
	POLICY("nx_huge_pages=on", 0),		/* an iTLB-multihit host (recommended's is not) */
	QX(0, 0, PMP_FAULT_EXEC, 18, 0, 0, L4K, NX_HUGE_PAGE),
	POLICY("nx_huge_pages=off", 0),
	QX(0, 0, PMP_FAULT_EXEC, 18, 0, 0, L1G, NONE),
	QX(0, 0, 0, 18, PMP_LEVEL_2M, 0, L2M, GUEST_ACCEPT),
	QX(0, 0, 0, 18, PMP_LEVEL_4K, 0, L4K, GUEST_ACCEPT),
	QX(0, 0, 0, 18, PMP_LEVEL_1G, 0, L1G, NONE),
	QX(0, 0, 0, 18, 4, 0, -22, NONE),
	QX(0, 0, 0x80, 18, 0, 0, -22, NONE),
	POLICY("max_level=2m", 0),
	Q(0, 0, L2M, POLICY_CAP),
	QX(0, 0, 0, 9, 0, 0, L2M, POLICY_CAP),	/* the cap is checked before the backing */
	POLICY("max_level=4k", 0),
	Q(0, 0, L4K, POLICY_CAP),
	POLICY("max_level=1g,bogus=1", -22),
	Q(0, 0, L4K, POLICY_CAP),		/* a bad string changes nothing */
	POLICY("upstream", 0),
	Q(0, 0, L1G, NONE),
	END,
};

/* Memslot validation, and attributes that outlive their memslot. */
static const struct pmp_vstep slots[] = {
	LAYOUT,
	SLOT(3, 3 * G1, 0, UA, 0, -22),			/* zero size */
	SLOT(3, ~0ULL - 5, 10, UA, 0, -22),		/* gfn + npages wraps */
	SLOT(3, 3 * G1, 1, ~0ULL & ~0xfffULL, 0, -22),	/* address range wraps */
	SLOT(3, 3 * G1, 1, UA, 0x100, -22),		/* unknown flag */
	SLOT(3, 3 * G1 - 1, 2, UA, 0, -22),		/* overlaps slot 0 */
	SLOT(3, 0x1fffff, 2, UA, 0, -34),		/* ends past gfn_end */
	SLOT(0, 3 * G1, 1, UA, 0, -17),			/* id in use */
	SLOT(8, 3 * G1, 1, UA, 0, -22),			/* id past max_slots */
	{ .op = V_SLOT_MOVE, .id = 0, .gfn = 2 * G1, .ret = -22 },	/* onto slot 1 */
	{ .op = V_SLOT_MOVE, .id = 0, .gfn = 0x200000 - 1, .ret = -34 },
	{ .op = V_SLOT_MOVE, .id = 6, .gfn = 0, .ret = -2 },
	{ .op = V_SLOT_DELETE, .id = 6, .ret = -2 },
	{ .op = V_SLOT_DELETE, .id = 9, .ret = -22 },
	PRIVATE(0x1fffff, 2, -34),			/* ends past gfn_end */
	PRIVATE(0, 0, -22),				/* empty */
	PRIVATE(~0ULL - 1, 4, -22),			/* wraps */
	SHARED(0x1fffff, 1, 0),				/* the last gfn is fine */
	/* attributes belong to the VM: they survive delete and re-create */
	SHARED(7, 1, 0),
	PRIVATE(0, 3, 0),
	{ .op = V_SLOT_DELETE, .id = 0 },
	Q(0, 0, -2, NONE),
	SLOT(0, 0, 3 * G1, UA, 0, 0),
	Q(0, 0, L4K, MIXED_ATTRS),
	/* a move takes the attributes of its new gfns */
	{ .op = V_SLOT_DELETE, .id = 1 },
	{ .op = V_SLOT_MOVE, .id = 2, .gfn = 4 * G1 },
	Q(2, 4 * G1, L2M, MISALIGNED),
	{ .op = V_SLOT_MOVE, .id = 2, .gfn = 4 * G1 + 1 },	/* now 2 MiB misaligned too */
	Q(2, 4 * G1 + M2, L4K, MISALIGNED),
	Q(2, 4 * G1 + 1, L4K, SLOT_BOUNDARY),
	END,
};

const struct pmp_vector pmp_vectors[] = {
	{ "boundaries", boundaries },
	{ "straddle", straddle },
	{ "unaligned", unaligned },
	{ "mixed", mixed },
	{ "vtl", vtl },
	{ "knobs", knobs },
	{ "slots", slots },
};

const unsigned int pmp_nr_vectors = sizeof(pmp_vectors) / sizeof(pmp_vectors[0]);

static struct pmp_geometry vector_geometry(void)
{
	struct pmp_geometry g = { .sz = sizeof(g), .gfn_end = PMP_VECTOR_GFN_END,
				  .max_slots = 8, .nr_vcpus = 2, .nr_vtls = 2 };
	return g;
}

uint64_t pmp_vector_bytes(void)
{
	struct pmp_geometry g = vector_geometry();
	uint64_t bytes = 0;

	return pmp_vm_bound(&g, &bytes) ? 0 : bytes;
}

static int step_run(struct pmp_vm *vm, const struct pmp_vstep *s, int *reason)
{
	struct pmp_slot slot = { .base_gfn = s->gfn, .npages = s->npages,
				 .userspace_addr = s->addr, .gmem_offset = s->gmem,
				 .flags = s->flags };
	struct pmp_fault f = { .gfn = s->gfn, .slot = s->id, .flags = s->flags,
			       .vtl = s->vtl, .backing_order = s->order,
			       .accept_level = s->accept };
	struct pmp_policy p;
	enum pmp_reason why = PMP_REASON_NONE;
	int ret;

	switch (s->op) {
	case V_SLOT:
		return pmp_slot_create(vm, s->id, &slot);
	case V_SLOT_DELETE:
		return pmp_slot_delete(vm, s->id);
	case V_SLOT_MOVE:
		return pmp_slot_move(vm, s->id, s->gfn);
	case V_SLOT_FLAGS:
		return pmp_slot_set_flags(vm, s->id, s->flags);
	case V_PRIVATE:
	case V_SHARED:
		return pmp_convert(vm, s->gfn, s->npages, s->op == V_PRIVATE, NULL);
	case V_VTL:
		return pmp_vtl_protect(vm, s->id, s->gfn, s->npages, s->flags, NULL);
	case V_WTRACK:
		return pmp_write_track(vm, s->gfn, s->npages, s->flags, NULL);
	case V_QUERY:
		ret = pmp_max_level(vm, &f, &why);
		*reason = why;
		return ret;
	case V_POLICY:
		pmp_vm_policy(vm, &p);
		ret = pmp_policy_parse(&p, s->str, NULL);
		return ret ? ret : pmp_vm_set_policy(vm, &p);
	}
	return -22;	/* unknown op: -EINVAL, without <errno.h> */
}

int pmp_vector_run(const struct pmp_vector *v, void *mem, void *snap,
		   struct pmp_vector_result *res)
{
	struct pmp_geometry g = vector_geometry();
	uint64_t bytes = pmp_vector_bytes();
	const struct pmp_vstep *s;
	struct pmp_vm *vm;

	res->step = -1;
	res->got = pmp_vm_init(mem, bytes, &g, NULL, &vm);
	res->got_reason = 0;
	res->unchanged = 1;
	if (res->got)
		return -1;
	for (s = v->steps; s->op != V_END; s++) {
		int reason = PMP_REASON_NONE;

		__builtin_memcpy(snap, mem, bytes);
		res->got = step_run(vm, s, &reason);
		res->got_reason = reason;
		if (res->got < 0)
			res->unchanged = !__builtin_memcmp(snap, mem, bytes);
		if (res->got != s->ret || (s->op == V_QUERY && res->got > 0 && reason != s->reason) ||
		    !res->unchanged || pmp_vm_check(vm)) {
			res->step = (int)(s - v->steps);
			return -1;
		}
	}
	return 0;
}
