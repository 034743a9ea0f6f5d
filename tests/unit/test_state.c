// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * State follows the memslots, not the guest-physical span (issue 13 #6):
 * memory anywhere below 2^52 is governed, attributes belong to gfns, a
 * memslot that cannot get state fails up front with nothing changed, and
 * the cost of a VM follows the memory in its memslots, not its addresses.
 */
#include <stdio.h>
#include "helpers.h"
#include "../libpmem_policy/internal.h"

#define GIB_PAGES GFNS_PER_1G
#define TIB_PAGES (1024ULL * GIB_PAGES)
/* Where KVM's 6.1 selftests put their test memory: gpa 0xfcfbffe000, ~1011 GiB. */
#define SELFTEST_GFN 0xfcfbffeULL

/* A VM sized by its memory budget only: no gfn_end, every address accepted. */
static struct pmp_geometry budget_geometry(uint64_t max_pages, uint32_t type)
{
	struct pmp_geometry g = { .sz = sizeof(g), .max_pages = max_pages, .max_slots = 8,
				  .nr_vcpus = 1, .nr_vtls = 1, .vm_type = type };
	return g;
}

/* pmp_vm_info()'s count of 1 GiB ranges with state, or of directory regions. */
static uint32_t in_use(const struct pmp_vm *vm, bool regions)
{
	struct pmp_vm_info info;

	pmp_vm_info(vm, &info);
	return regions ? info.regions_used : info.giants_used;
}

static struct pmp_actions *actions(struct pmp_actions *a, struct pmp_action *buf, uint32_t cap)
{
	a->buf = buf;
	a->cap = cap;
	a->nr = 0;
	return a;
}

/*
 * SEV, pin=fault, a VM sized for 16 GiB (as the kernel module sizes its
 * VMs): 8 MiB at gfn 0xfcfbffe is governed: faults are pinned and
 * eligibility (slot edges, alignment, attributes) applies.  On 0.1 the
 * same VM refused the memslot (-ERANGE) and the module left it untracked.
 */
START_TEST(high_slot_sev_pinned)
{
	struct pmp_geometry geo = budget_geometry(16 * GIB_PAGES, PMP_VM_SEV);
	uint64_t base = SELFTEST_GFN, npages = 2048, head = (base + 511) & ~511ULL;
	struct pmp_fault f = { .slot = 1, .backing_order = 9 };
	struct pmp_action buf[64];
	struct pmp_actions a;
	enum pmp_reason why;
	struct tvm t;

	tvm_init(&t, &geo);
	/* the host address congruent with the gfn modulo 2 MiB: huge pages possible */
	add_slot(&t, 1, base, npages, (base & 511) << 12 | 0x40000000ULL, 0);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);

	f.gfn = base;	/* the first page: its 2 MiB crosses the slot's start */
	ck_assert_int_eq(pmp_max_level(t.vm, &f, &why), PMP_LEVEL_4K);
	ck_assert_int_eq(why, PMP_REASON_SLOT_BOUNDARY);
	ck_assert_int_eq(pmp_map(t.vm, &f, PMP_LEVEL_4K, actions(&a, buf, 64)), 0);
	ck_assert_int_eq(buf[0].type, PMP_ACT_PIN);
	ck_assert_uint_eq(buf[0].gfn, base);
	ck_assert_int_eq(pmp_is_pinned(t.vm, base), 1);

	f.gfn = head + 7;	/* inside the slot: a whole 2 MiB */
	ck_assert_int_eq(pmp_max_level(t.vm, &f, &why), PMP_LEVEL_2M);
	ck_assert_int_eq(pmp_map(t.vm, &f, PMP_LEVEL_2M, actions(&a, buf, 64)), 0);
	ck_assert_int_eq(buf[0].type, PMP_ACT_PIN);
	ck_assert_uint_eq(buf[0].gfn, head);
	ck_assert_uint_eq(buf[0].npages, 512);
	ck_assert_int_eq(pmp_leaf_level(t.vm, head + 100), PMP_LEVEL_2M);
	ck_assert_uint_eq(pmp_nr_pinned(t.vm), 513);

	/*
	 * an SEV VM has no private memory: KVM refuses the attribute (-EINVAL),
	 * and so does the core, leaving the next 2 MiB whole
	 */
	ck_assert_int_eq(pmp_convert(t.vm, head + 512 + 3, 1, true, NULL), -EINVAL);
	ck_assert_int_eq(pmp_convert(t.vm, head + 512 + 3, 1, false, NULL), 0);
	f.gfn = head + 512;
	ck_assert_int_eq(pmp_max_level(t.vm, &f, &why), PMP_LEVEL_2M);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tvm_free(&t);
}
END_TEST

/*
 * KVM keeps attributes per gfn, not per memslot: attributes set where no
 * memslot is are seen by a memslot created later, and survive its deletion.
 */
START_TEST(attrs_before_slot)
{
	struct pmp_geometry geo = budget_geometry(4 * GIB_PAGES, PMP_VM_SNP);
	uint64_t base = 1011 * GIB_PAGES;
	struct pmp_fault f = { .slot = 0, .backing_order = 9, .flags = PMP_FAULT_PRIVATE };
	struct pmp_page_attrs at;
	enum pmp_reason why;
	struct tvm t;

	tvm_init(&t, &geo);
	ck_assert_int_eq(pmp_convert(t.vm, base, 1024, true, NULL), 0);	/* no slot yet */
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	add_slot(&t, 0, base, 4096, 0, 0);
	ck_assert_int_eq(pmp_get_attrs(t.vm, base + 5, &at), 0);
	ck_assert(at.private);
	f.gfn = base + 700;
	ck_assert_int_eq(pmp_max_level(t.vm, &f, &why), PMP_LEVEL_2M);	/* private, uniform */
	f.gfn = base + 1100;
	f.flags = 0;
	ck_assert_int_eq(pmp_max_level(t.vm, &f, &why), PMP_LEVEL_2M);	/* shared, uniform */

	/* the slot goes, its attributes stay; a new one over them sees them */
	ck_assert_int_eq(pmp_slot_delete(t.vm, 0), 0);
	ck_assert_int_eq(pmp_get_attrs(t.vm, base + 5, &at), 0);
	ck_assert(at.private);
	add_slot(&t, 2, base + 512, 512, 0, 0);
	ck_assert_int_eq(pmp_get_attrs(t.vm, base + 513, &at), 0);
	ck_assert(at.private);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);

	/* default again and no slot: the 1 GiB goes back to the pool */
	ck_assert_int_eq(pmp_slot_delete(t.vm, 2), 0);
	ck_assert_uint_eq(in_use(t.vm, false), 1);
	ck_assert_int_eq(pmp_convert(t.vm, base, 1024, false, NULL), 0);
	ck_assert_uint_eq(in_use(t.vm, false), 0);
	ck_assert_uint_eq(in_use(t.vm, true), 0);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tvm_free(&t);
}
END_TEST

/*
 * Where state cannot be had, the call that needs it fails first, with
 * -ENOMEM and every byte unchanged: memslot creation and move past the
 * 1 GiB pool or the directory's regions, and a non-default attribute
 * change outside memslots.
 */
START_TEST(no_state_fails_clean)
{
	struct pmp_geometry geo = budget_geometry(GIB_PAGES, PMP_VM_DEFAULT);
	struct pmp_slot two = { .base_gfn = SELFTEST_GFN, .npages = GIB_PAGES };	/* 2 x 1 GiB */
	struct pmp_slot far = { .base_gfn = 3 * TIB_PAGES, .npages = 512 };
	struct pmp_action buf[32];
	struct pmp_actions a;
	struct pmp_vm_info info;
	struct tvm t;

	geo.max_giants = 2;
	geo.max_regions = 1;
	tvm_init(&t, &geo);
	add_slot(&t, 0, 0, GIB_PAGES, 0, 0);	/* one of the two giants */
	ck_assert_fails_clean(&t, -ENOMEM, pmp_slot_create(t.vm, 1, &two));
	ck_assert_fails_clean(&t, -ENOMEM, pmp_slot_create(t.vm, 1, &far));	/* a second region */
	ck_assert_fails_clean(&t, -ENOMEM, pmp_convert(t.vm, SELFTEST_GFN, GIB_PAGES, true, NULL));
	ck_assert_fails_clean(&t, -ENOMEM, pmp_convert(t.vm, SELFTEST_GFN, GIB_PAGES, true,
						       actions(&a, buf, 32)));
	ck_assert_fails_clean(&t, -ENOMEM, pmp_slot_move(t.vm, 0, SELFTEST_GFN));
	/* clearing to the default needs no state, and makes none */
	ck_assert_int_eq(pmp_convert(t.vm, SELFTEST_GFN, GIB_PAGES, false, NULL), 0);
	/* one more giant fits: the last one */
	ck_assert_int_eq(pmp_convert(t.vm, SELFTEST_GFN, 1, true, NULL), 0);
	pmp_vm_info(t.vm, &info);
	ck_assert_uint_eq(info.giants_used, 2);
	ck_assert_uint_eq(info.max_giants, 2);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tvm_free(&t);
}
END_TEST

/*
 * The cost of a VM with 4 GiB of memslots does not depend on where they
 * are: at gpa 0, at 1011 GiB, or spread over a 4 TiB span.  Every layout
 * runs on the same bytes; 0.1 sized the state by the highest gfn.
 */
START_TEST(cost_follows_slots)
{
	static const struct {
		const char *what;
		uint64_t base[2];	/* two 2 GiB memslots */
	} layouts[] = {
		{ "4 GiB at gpa 0", { 0, 2 * GIB_PAGES } },
		{ "4 GiB at 1011 GiB", { SELFTEST_GFN, SELFTEST_GFN + 2 * GIB_PAGES } },
		{ "4 GiB over a 4 TiB span", { 0, 4 * TIB_PAGES - 2 * GIB_PAGES } },
	};
	static const char *const types[] = { "default", "sev", "snp", "tdx" };
	uint64_t bytes, span_bytes;
	unsigned int i, type;

	for (type = 0; type < PMP_VM_NR; type++) {
		struct pmp_geometry geo = budget_geometry(4 * GIB_PAGES, type);
		struct pmp_geometry span = geo;

		ck_assert_int_eq(pmp_vm_bound(&geo, &bytes), 0);
		for (i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
			struct tvm t;
			uint64_t end = layouts[i].base[1] + 2 * GIB_PAGES;

			tvm_init(&t, &geo);
			ck_assert_uint_eq(t.bytes, bytes);
			add_slot(&t, 0, layouts[i].base[0], 2 * GIB_PAGES, 0, 0);
			add_slot(&t, 1, layouts[i].base[1], 2 * GIB_PAGES, 0, 0);
			/* SEV has no private memory (KVM refuses the attribute) */
			ck_assert_int_eq(pmp_convert(t.vm, layouts[i].base[1], 2 * GIB_PAGES,
						     true, NULL), type == PMP_VM_SEV ? -EINVAL : 0);
			ck_assert_int_eq(pmp_vm_check(t.vm), 0);
			/* the 0.1 meaning: state for every gfn below the highest one */
			span.max_pages = 0;
			span.gfn_end = end;
			ck_assert_int_eq(pmp_vm_bound(&span, &span_bytes), 0);
			printf("state: %-7s %-24s %9llu bytes (%.4f%% of 4 GiB); "
			       "sized by the span (0.1's rule): %10llu bytes\n",
			       types[type], layouts[i].what, (unsigned long long)bytes,
			       100.0 * (double)bytes / (double)(4ULL << 30),
			       (unsigned long long)span_bytes);
			tvm_free(&t);
		}
	}
}
END_TEST

/*
 * The directory's entry widths (vm.c sizes them by the indices they hold):
 * a 4-bit top and 8-bit tables, as a small VM has; an 8-bit top and 16-bit
 * tables; a 16-bit top.  (32-bit tables need more than 65,535 1 GiB
 * ranges of state: the unit tests do not allocate that much.)
 */
static const struct {
	uint32_t max_giants, max_regions;
	uint8_t top_bits, dir_bits;
} dir_widths[] = {
	{ 0, 3, 4, 8 },		/* the default, 2, holds two 1 TiB regions */
	{ 300, 20, 8, 16 },
	{ 0, 300, 16, 8 },
};

/* The directory: state taken and given back exactly, across 1 TiB regions. */
START_TEST(directory_lifecycle)
{
	struct pmp_geometry geo = budget_geometry(8 * GIB_PAGES, PMP_VM_TDX);
	struct pmp_vm_info info;
	struct tvm t;
	uint32_t id;

	geo.max_giants = dir_widths[_i].max_giants;
	geo.max_regions = dir_widths[_i].max_regions;
	tvm_init(&t, &geo);
	ck_assert_uint_eq(t.vm->top_bits, dir_widths[_i].top_bits);
	ck_assert_uint_eq(t.vm->dir_bits, dir_widths[_i].dir_bits);
	/* slots in three regions, one straddling two giants, one sharing a giant */
	add_slot(&t, 0, 0, 1024, 0, 0);
	add_slot(&t, 1, 2048, 1024, 0, 0);
	add_slot(&t, 2, TIB_PAGES + GIB_PAGES - 512, 1024, 0, 0);
	add_slot(&t, 3, PMP_GFN_LIMIT - GIB_PAGES, GIB_PAGES, 0, 0);	/* the last gfn */
	ck_assert_uint_eq(in_use(t.vm, false), 4);
	ck_assert_uint_eq(in_use(t.vm, true), 3);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	ck_assert_int_eq(pmp_slot_move(t.vm, 2, 5 * GIB_PAGES), 0);
	ck_assert_uint_eq(in_use(t.vm, false), 3);
	ck_assert_uint_eq(in_use(t.vm, true), 2);
	ck_assert_int_eq(pmp_slot_delete(t.vm, 0), 0);	/* slot 1 still holds giant 0 */
	ck_assert_uint_eq(in_use(t.vm, false), 3);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	for (id = 1; id < 4; id++)
		ck_assert_int_eq(pmp_slot_delete(t.vm, id), 0);
	ck_assert_uint_eq(in_use(t.vm, false), 0);
	ck_assert_uint_eq(in_use(t.vm, true), 0);
	pmp_vm_info(t.vm, &info);
	ck_assert_uint_eq(info.giants_high_water, 5);	/* the move held both ranges at once */
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tvm_free(&t);
}
END_TEST

/*
 * Every fault of the slots decides through the slots' giant runs and the
 * verdict bytes as through the directory (pmp_level_query()'s path).
 */
static void faults_agree(struct tvm *t, uint32_t id)
{
	struct pmp_slot s;
	uint64_t gfn;

	ck_assert_int_eq(pmp_slot_get(t->vm, id, &s), 0);
	for (gfn = s.base_gfn; gfn < s.base_gfn + s.npages; gfn += 509) {
		struct pmp_fault f = { .gfn = gfn, .slot = id, .flags = PMP_FAULT_PRIVATE,
				       .backing_order = 18 };
		enum pmp_reason why, why_query;
		int level = pmp_max_level(t->vm, &f, &why);

		ck_assert_int_gt(level, 0);
		ck_assert_int_eq(pmp_level_query(t->vm, &f, &why_query), level);
		ck_assert_int_eq(why, why_query);
	}
}

/*
 * The fault path's lookup (level.c): each memslot's run of compact giants
 * stays packed and right through deletes and moves (the runs after a
 * deleted one move down), at the capacity pmp_vm_bound() gives when every
 * slot shares a 1 GiB range with the next; and pmp_vm_check() catches a
 * wrong run entry or verdict byte.
 */
START_TEST(fault_lookup)
{
	struct pmp_geometry geo = budget_geometry(8 * GIB_PAGES, PMP_VM_SNP);
	struct pmp_vm *vm;
	struct tvm t;
	uint32_t id;
	uint8_t *byte;

	tvm_init(&t, &geo);
	vm = t.vm;
	/* eight slots, each across a 1 GiB boundary: every giant but the ends shared */
	for (id = 0; id < 8; id++)
		add_slot(&t, id, (id + 1) * GIB_PAGES - 300, GIB_PAGES / 2, 0, 0);
	ck_assert_uint_eq(vm->slot_giants_used, 16);
	ck_assert_uint_le(vm->slot_giants_used, vm->slot_giants_cap);
	ck_assert_int_eq(pmp_convert(vm, GIB_PAGES + 4242, 1, true, NULL), 0);
	ck_assert_int_eq(pmp_convert(vm, 4 * GIB_PAGES + 100, 700, true, NULL), 0);
	ck_assert_int_eq(pmp_vm_check(vm), 0);
	ck_assert_int_eq(pmp_slot_delete(vm, 2), 0);
	ck_assert_int_eq(pmp_slot_move(vm, 0, 20 * GIB_PAGES + 7), 0);
	ck_assert_uint_eq(vm->slot_giants_used, 13);	/* slot 0 now in one giant */
	ck_assert_int_eq(pmp_vm_check(vm), 0);
	for (id = 0; id < 8; id++)
		if (id != 2)
			faults_agree(&t, id);

	byte = &pmp_verdicts(vm, 0)[(uint64_t)pmp_giant_index(vm, 4) * PMP_GIANT_CHUNKS];
	*byte ^= 1;
	ck_assert_int_eq(pmp_vm_check(vm), -EUCLEAN);
	*byte ^= 1;
	pmp_slot_giants(vm)[3] ^= 1;
	ck_assert_int_eq(pmp_vm_check(vm), -EUCLEAN);
	pmp_slot_giants(vm)[3] ^= 1;
	ck_assert_int_eq(pmp_vm_check(vm), 0);
	/* the window of whole 1 GiB ranges the fault path reads is checked too */
	pmp_slots(vm)[5].giant_len++;
	ck_assert_int_eq(pmp_vm_check(vm), -EUCLEAN);
	pmp_slots(vm)[5].giant_len--;
	pmp_slots(vm)[5].giant_lo--;
	ck_assert_int_eq(pmp_vm_check(vm), -EUCLEAN);
	pmp_slots(vm)[5].giant_lo++;
	ck_assert_int_eq(pmp_vm_check(vm), 0);
	tvm_free(&t);
}
END_TEST

/*
 * A 1 GiB summary that does not match its chunks fails pmp_vm_check(),
 * whether its compact giant is in use (giants_check() recounts it) or free
 * (pmp_state_check() finds it not pristine: giants_check() passes it by).
 * Each field of both, one at a time.
 */
START_TEST(giant_summary_checked)
{
	static const struct {
		const char *what;
		size_t off;
	} fields[] = {
		{ "nr_huge", offsetof(struct pmp_giant, nr_huge) },
		{ "nr_cand", offsetof(struct pmp_giant, nr_cand) },
		{ "nr_backed", offsetof(struct pmp_giant, nr_backed) },
		{ "uniform", offsetof(struct pmp_giant, uniform) },
		{ "value", offsetof(struct pmp_giant, value) },
		{ "nr_mixed[0]", offsetof(struct pmp_giant, nr_mixed) },
		{ "nr_ones[1]", offsetof(struct pmp_giant, nr_ones[1]) },
		{ "nr_deferred", offsetof(struct pmp_giant, nr_deferred) },
		{ "key[0]", offsetof(struct pmp_giant, key) },
	};
	struct pmp_geometry geo = budget_geometry(8 * GIB_PAGES, PMP_VM_SNP);
	uint32_t cg, used = 0, free_cg = 0;
	struct pmp_vm *vm;
	struct tvm t;
	size_t i;

	tvm_init(&t, &geo);
	vm = t.vm;
	add_slot(&t, 0, GIB_PAGES, GIB_PAGES / 2, 0, 0);
	ck_assert_int_eq(pmp_convert(vm, GIB_PAGES + 4242, 1, true, NULL), 0);
	for (cg = 1; cg < vm->nr_giants; cg++) {
		if (pmp_homes(vm)[cg].in_use)
			used = cg;
		else
			free_cg = cg;
	}
	ck_assert_uint_ne(used, 0);
	ck_assert_uint_ne(free_cg, 0);
	ck_assert_int_eq(pmp_vm_check(vm), 0);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		uint32_t which[2] = { used, free_cg };
		unsigned int k;

		for (k = 0; k < 2; k++) {
			uint8_t *b = (uint8_t *)&pmp_cgiants(vm)[which[k]] + fields[i].off;

			*b ^= 1;
			ck_assert_msg(pmp_vm_check(vm) == -EUCLEAN, "%s of %s giant %u", fields[i].what,
				      k ? "free" : "used", which[k]);
			*b ^= 1;
			ck_assert_int_eq(pmp_vm_check(vm), 0);
		}
	}
	tvm_free(&t);
}
END_TEST

/*
 * The default sizing, per geometry: 1 GiB ranges for the budget plus edge
 * slack (2 and one per memslot up to 4, at most half the budget, at least
 * one), never more than [0, gfn_end) holds; tables likewise.  Each layout
 * then gets state for all of its memory: QEMU's (q35: RAM below 2 GiB, the
 * firmware under 4 GiB, the rest above 4 GiB), or gfn_end's whole span.
 */
static const struct sizing {
	const char *what;
	uint64_t gfn_end, max_pages;
	uint32_t giants, regions;
	uint64_t slot[4][2];	/* base, npages */
} sizings[] = {
	{ "4 GiB, gfn_end: its 4 GiB", 4 * GIB_PAGES, 0, 4, 1,
	  { { 0, GIB_PAGES }, { GIB_PAGES, 3 * GIB_PAGES - 1 }, { 4 * GIB_PAGES - 1, 1 } } },
	{ "4 GiB anywhere, q35", 0, 4 * GIB_PAGES, 6, 2,
	  { { 0, 160 }, { 192, 2 * GIB_PAGES - 192 }, { 4 * GIB_PAGES - 1024, 1024 },
	    { 4 * GIB_PAGES, 2 * GIB_PAGES } } },
	{ "8 GiB anywhere: slack 4", 0, 8 * GIB_PAGES, 12, 2,
	  { { 0, 2 * GIB_PAGES }, { 4 * GIB_PAGES - 1024, 1024 },
	    { 4 * GIB_PAGES + 7, 6 * GIB_PAGES }, { 1011 * GIB_PAGES, 3 } } },
	{ "64 GiB anywhere: slack 6", 0, 64 * GIB_PAGES, 70, 2,
	  { { 0, 2 * GIB_PAGES }, { 4 * GIB_PAGES, 62 * GIB_PAGES },
	    { 4 * TIB_PAGES, GIB_PAGES } } },
	{ "1 GiB, gfn_end past it: slack 1", 3 * GIB_PAGES, GIB_PAGES, 2, 1,
	  { { GIB_PAGES - 5, 10 } } },
};

START_TEST(default_sizing)
{
	const struct sizing *z = &sizings[_i];
	struct pmp_geometry geo = budget_geometry(z->max_pages, PMP_VM_SNP);
	struct pmp_vm_info info;
	struct tvm t;
	uint32_t i;

	geo.gfn_end = z->gfn_end;
	tvm_init(&t, &geo);
	pmp_vm_info(t.vm, &info);
	ck_assert_msg(info.max_giants == z->giants && info.max_regions == z->regions,
		      "%s: %u giants, %u regions", z->what, info.max_giants, info.max_regions);
	for (i = 0; i < 4 && z->slot[i][1]; i++)
		add_slot(&t, i, z->slot[i][0], z->slot[i][1], 0, 0);
	/* attributes anywhere in them */
	for (i = 0; i < 4 && z->slot[i][1]; i++)
		ck_assert_int_eq(pmp_convert(t.vm, z->slot[i][0] + z->slot[i][1] - 1, 1, true, NULL),
				 0);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	tvm_free(&t);
}
END_TEST

Suite *state_suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("follows-slots");

	tcase_add_test(tc, high_slot_sev_pinned);
	tcase_add_test(tc, attrs_before_slot);
	tcase_add_test(tc, no_state_fails_clean);
	tcase_add_test(tc, cost_follows_slots);
	tcase_add_loop_test(tc, directory_lifecycle, 0,
			    sizeof(dir_widths) / sizeof(dir_widths[0]));
	tcase_add_test(tc, fault_lookup);
	tcase_add_test(tc, giant_summary_checked);
	tcase_add_loop_test(tc, default_sizing, 0, sizeof(sizings) / sizeof(sizings[0]));
	suite_add_tcase(s, tc);
	return s;
}
