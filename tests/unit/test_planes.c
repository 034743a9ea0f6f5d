// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The planes' range helpers (white-box): a block's bits set, counted and
 * searched a word at a time, and plane searches and updates that walk a
 * 1 GiB's chunks after one directory lookup, against a page-by-page
 * reading, over edges: empty ranges, one page, word and chunk edges, whole
 * chunks, ranges straddling 2 MiB and 1 GiB, 1 GiB ranges without state.
 */
#include <stdio.h>
#include "helpers.h"
#include "../libpmem_policy/internal.h"

static const struct span {
	unsigned int lo, hi;
} spans[] = {
	{ 0, 0 }, { 5, 5 }, { 0, 1 }, { 63, 64 }, { 63, 65 }, { 64, 128 }, { 60, 70 },
	{ 0, 64 }, { 1, 511 }, { 448, 512 }, { 100, 300 }, { 511, 512 }, { 0, 512 },
};

#define NR_SPANS (int)(sizeof(spans) / sizeof(spans[0]))

static bool bit_of(const struct pmp_block *b, unsigned int i)
{
	return (b->w[i / 64] >> (i % 64)) & 1;
}

/* A block whose bits disagree in every word: 1 where i % 7 is 0 or 3. */
static void pattern(struct pmp_block *b)
{
	unsigned int i;

	memset(b, 0, sizeof(*b));
	for (i = 0; i < PMP_CHUNK_PAGES; i++)
		if (i % 7 == 0 || i % 7 == 3)
			b->w[i / 64] |= 1ULL << (i % 64);
}

static unsigned int naive_next(const struct pmp_block *b, unsigned int lo, unsigned int hi, bool v)
{
	for (; lo < hi; lo++)
		if (bit_of(b, lo) == v)
			return lo;
	return hi;
}

START_TEST(block_helpers)
{
	const struct span *s = &spans[_i];
	struct pmp_block b, want;
	unsigned int i, n = 0, v;

	pattern(&b);
	for (i = s->lo; i < s->hi; i++)
		n += bit_of(&b, i);
	ck_assert_uint_eq(pmp_block_count(&b, s->lo, s->hi), n);
	for (v = 0; v < 2; v++) {
		ck_assert_uint_eq(pmp_block_next(&b, s->lo, s->hi, v), naive_next(&b, s->lo, s->hi, v));
		/* the next is found where the range ends, not past it */
		pattern(&b);
		pmp_block_assign(&b, s->lo, s->hi, !v);
		ck_assert_uint_eq(pmp_block_next(&b, s->lo, s->hi, v), s->hi);
		/* assign changes [lo, hi) and nothing else */
		pattern(&b);
		pattern(&want);
		for (i = s->lo; i < s->hi; i++)
			want.w[i / 64] = (want.w[i / 64] & ~(1ULL << (i % 64))) | ((uint64_t)v << (i % 64));
		pmp_block_assign(&b, s->lo, s->hi, v);
		ck_assert_mem_eq(&b, &want, sizeof(b));
		pattern(&b);
	}
}
END_TEST

/*
 * A VM with state in 1 GiB ranges 0, 1 and 3 (memslots), none in 2, and
 * 5 GiB of span; the PRIVATE plane is what the ranges below made it.
 */
#define VM_PAGES (5 * GFNS_PER_1G)

static void vm_with_gap(struct tvm *t)
{
	struct pmp_geometry geo = test_geometry(VM_PAGES);

	geo.vm_type = PMP_VM_SNP;
	geo.nr_vtls = 1;
	tvm_init(t, &geo);
	add_slot(t, 0, 0, 2 * GFNS_PER_1G, 1ULL << 40, PMP_SLOT_GUEST_MEMFD);
	add_slot(t, 1, 3 * GFNS_PER_1G, GFNS_PER_1G, 1ULL << 41, PMP_SLOT_GUEST_MEMFD);
}

static const struct range {
	const char *what;
	uint64_t gfn, npages;
} ranges[] = {
	{ "0 pages", 700, 0 },
	{ "4K", 513, 1 },
	{ "4K at a word edge", 575, 1 },
	{ "2M aligned", 4 * GFNS_PER_2M, GFNS_PER_2M },
	{ "straddling 2M", 3 * GFNS_PER_2M - 5, 10 },
	{ "chunks and a half", 7 * GFNS_PER_2M + 100, 3 * GFNS_PER_2M },
	{ "straddling 1G", GFNS_PER_1G - 300, 600 },
	{ "1G", GFNS_PER_1G, GFNS_PER_1G },
	{ "into the 1G without state", 2 * GFNS_PER_1G - 70, 140 },
	{ "across the 1G without state", 2 * GFNS_PER_1G - 1000, GFNS_PER_1G + 2000 },
	{ "slot edge", 3 * GFNS_PER_1G - 1, 2 },
	{ "everything", 0, VM_PAGES },
};

#define NR_RANGES (int)(sizeof(ranges) / sizeof(ranges[0]))

/* The conversions made so far, in order: the model a page's bit is read from. */
struct history {
	struct range done[NR_RANGES + 2];
	bool private[NR_RANGES + 2];
	int nr;
};

static void convert(struct tvm *t, struct history *h, const struct range *r, bool private)
{
	ck_assert_int_eq(pmp_convert(t->vm, r->gfn, r->npages, private, NULL), r->npages ? 0 : -EINVAL);
	ck_assert_int_eq(pmp_vm_check(t->vm), 0);
	h->done[h->nr] = *r;
	h->private[h->nr++] = private;
}

/* The last conversion covering @g says; shared if none does. */
static bool model_private(const struct history *h, uint64_t g)
{
	int k;

	for (k = h->nr - 1; k >= 0; k--)
		if (g >= h->done[k].gfn && g - h->done[k].gfn < h->done[k].npages)
			return h->private[k];
	return false;
}

/* Windows the searches are checked on: every range's edges, give or take. */
static void check_window(const struct pmp_vm *vm, const struct history *h, uint64_t a, uint64_t b)
{
	uint64_t g, n = 0, wrong = 0, first[2] = { b, b };
	unsigned int v;

	if (a >= VM_PAGES)
		return;
	if (b > VM_PAGES)
		b = first[0] = first[1] = VM_PAGES;
	for (g = a; g < b; g++) {
		bool bit = model_private(h, g);

		wrong += pmp_plane_get(vm, g, PMP_PLANE_PRIVATE) != bit;	/* one assert: they are slow */
		n += bit;
		if (first[bit] == b)
			first[bit] = g;
	}
	ck_assert_uint_eq(wrong, 0);
	ck_assert_uint_eq(pmp_plane_count(vm, a, b - a, PMP_PLANE_PRIVATE), n);
	for (v = 0; v < 2; v++)
		ck_assert_uint_eq(pmp_plane_next(vm, a, b, PMP_PLANE_PRIVATE, v), first[v]);
}

static void check_edges(const struct pmp_vm *vm, const struct history *h)
{
	int k;

	for (k = 0; k < NR_RANGES; k++) {
		uint64_t s = ranges[k].gfn, e = s + ranges[k].npages;

		check_window(vm, h, s > 600 ? s - 600 : 0, s + 600);
		check_window(vm, h, e > 600 ? e - 600 : 0, e + 600);
		check_window(vm, h, s, e);
	}
	check_window(vm, h, 0, VM_PAGES);
}

/*
 * Each range made private, then shared again, on a VM whose other ranges
 * are private: pmp_convert() updates the planes (a 1 GiB's whole chunks
 * from one lookup), the searches agree with a page-by-page reading, and
 * pmp_vm_check() holds after every step.
 */
START_TEST(plane_ranges)
{
	const struct range *r = &ranges[_i];
	struct history h = { .nr = 0 };
	struct tvm t;
	int k;

	vm_with_gap(&t);
	for (k = 0; k < NR_RANGES; k++)
		if (k != _i && ranges[k].npages && ranges[k].npages != VM_PAGES)
			convert(&t, &h, &ranges[k], k % 2);
	check_edges(t.vm, &h);
	convert(&t, &h, r, true);
	check_edges(t.vm, &h);
	convert(&t, &h, r, false);
	check_edges(t.vm, &h);
	tvm_free(&t);
}
END_TEST

/* An SEV VM with memslots in 1 GiB ranges 0, 1 and 3, as vm_with_gap(): it pins. */
static void pinning_vm(struct tvm *t)
{
	struct pmp_geometry geo = test_geometry(VM_PAGES);

	geo.vm_type = PMP_VM_SEV;
	geo.nr_vtls = 1;
	tvm_init(t, &geo);
	add_slot(t, 0, 0, 2 * GFNS_PER_1G, 1ULL << 40, 0);
	add_slot(t, 1, 3 * GFNS_PER_1G, GFNS_PER_1G, 1ULL << 41, 0);
}

/* A page model: is page @g pinned? */
typedef bool (*pinned_fn)(const void *model, uint64_t g);

static bool history_pinned(const void *model, uint64_t g)
{
	return model_private(model, g);
}

/*
 * Tear the VM down through @a, call after call, pmp_vm_check() after
 * each: every UNPIN action is the model's next maximal run of pinned
 * pages, whole, and none is left out.  Returns the pages unpinned.
 */
static uint64_t teardown_model(struct tvm *t, struct pmp_actions *a, pinned_fn pinned,
			       const void *model)
{
	uint64_t cursor = 0, g = 0, e, n = 0;
	unsigned int i;
	int more;

	do {
		a->nr = 0;
		more = pmp_teardown(t->vm, &cursor, a);
		ck_assert_int_ge(more, 0);
		ck_assert_int_eq(pmp_vm_check(t->vm), 0);
		for (i = 0; i < a->nr; i++) {
			if (a->buf[i].type != PMP_ACT_UNPIN)
				continue;
			/* the model's next run of pinned pages, whole */
			while (g < VM_PAGES && !pinned(model, g))
				g++;
			for (e = g; e < VM_PAGES && pinned(model, e); e++)
				;
			ck_assert_uint_eq(a->buf[i].gfn, g);
			ck_assert_uint_eq(a->buf[i].npages, e - g);
			n += e - g;
			g = e;
		}
	} while (more);
	while (g < VM_PAGES && !pinned(model, g))
		g++;
	ck_assert_uint_eq(g, VM_PAGES);	/* no run left out */
	ck_assert_uint_eq(pmp_nr_pinned(t->vm), 0);
	return n;
}

/*
 * Teardown unpins each maximal run of pinned pages once, found and cleared
 * in one pass (pmp_plane_take_runs()): an SEV VM with the ranges above
 * pinned (each row leaves its own range out), torn down
 * through a small action array, its UNPIN actions compared with the runs
 * of a page model, pmp_vm_check() after every call.
 */
START_TEST(teardown_runs)
{
	struct pmp_action acts[4];
	struct pmp_actions a = { .buf = acts, .cap = 4 };
	struct history h = { .nr = 0 };
	struct tvm t;
	int k;

	pinning_vm(&t);
	for (k = 0; k < NR_RANGES; k++) {
		if (k == _i || !ranges[k].npages || ranges[k].npages == VM_PAGES)
			continue;
		ck_assert_int_eq(pmp_pin_range(t.vm, ranges[k].gfn, ranges[k].npages, NULL), 0);
		h.done[h.nr] = ranges[k];
		h.private[h.nr++] = true;	/* the model's "1": pinned */
	}
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	ck_assert_uint_gt(teardown_model(&t, &a, history_pinned, &h), 0);
	tvm_free(&t);
}
END_TEST

/*
 * Pins laid as @count runs of @npages pages from @gfn on, one every
 * @stride pages (0: one run): runs close together in one chunk, at chunk
 * and 1 GiB edges, and before a 1 GiB without state.
 */
static const struct pin_row {
	const char *what;
	struct pin_runs {
		uint64_t gfn, npages, stride;
		unsigned int count;
	} runs[2];
} pin_rows[] = {
	{ "every other page of a chunk's words", { { 512 + 60, 1, 2, 40 } } },
	{ "runs of one chunk, then the next's", { { 1024 + 3, 5, 9, 57 }, { 1536 + 1, 1, 0, 1 } } },
	{ "a run to a chunk's end, the next one page on", { { 2048 - 10, 10, 0, 1 }, { 2049, 3, 0, 1 } } },
	{ "a run to a page before a chunk's end, the next at its start",
	  { { 2560 - 10, 9, 0, 1 }, { 2560, 3, 0, 1 } } },
	{ "a whole chunk and a bit, then a page", { { 4 * 512, 512 + 7, 0, 1 }, { 5 * 512 + 100, 1, 0, 1 } } },
	{ "chunk ends alternately full and empty", { { 6 * 512 + 500, 24, 512, 6 } } },
	{ "into the next 1 GiB", { { GFNS_PER_1G - 4, 2, 0, 1 }, { GFNS_PER_1G + 1, 1, 0, 1 } } },
	{ "to the 1 GiB without state, the next past it",
	  { { 2 * GFNS_PER_1G - 3, 3, 0, 1 }, { 3 * GFNS_PER_1G, 1, 0, 1 } } },
	{ "the last page", { { 3 * GFNS_PER_1G + 5, 2, 700, 3 }, { 4 * GFNS_PER_1G - 1, 1, 0, 1 } } },
	{ "a chunk's first and last pages, on into the next chunk",
	  { { 7 * 512, 11, 0, 1 }, { 8 * 512 - 12, 20, 0, 1 } } },
	{ "more runs in one chunk than a pass takes", { { 9 * 512 + 1, 3, 5, 30 } } },
	/* the bitmap is read a 64-page word at a time */
	{ "a run across a word's edge, the next to a word's last page",
	  { { 10 * 512 + 60, 8, 0, 1 }, { 10 * 512 + 120, 8, 0, 1 } } },
	{ "a whole word and on into the next, then a page", { { 11 * 512 + 64, 70, 0, 1 },
							     { 11 * 512 + 200, 1, 0, 1 } } },
	{ "every word's last and next first page", { { 12 * 512 + 63, 2, 64, 7 } } },
	{ "a chunk's words full but its first page", { { 13 * 512 + 1, 511, 0, 1 } } },
};

#define NR_PIN_ROWS (int)(sizeof(pin_rows) / sizeof(pin_rows[0]))
/* the zap, then 1 to 3 runs a call, or more than a pass takes (pin.c's UNPIN_BATCH, 8) */
static const uint32_t caps[] = { 2, 3, 4, 64 };

#define NR_CAPS (int)(sizeof(caps) / sizeof(caps[0]))

static bool row_pinned(const void *model, uint64_t g)
{
	const struct pin_row *row = model;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		const struct pin_runs *r = &row->runs[i];
		uint64_t k = r->stride && g >= r->gfn ? (g - r->gfn) / r->stride : 0;

		if (k < r->count && g >= r->gfn + k * r->stride && g < r->gfn + k * r->stride + r->npages)
			return true;
	}
	return false;
}

/*
 * Teardown takes the runs a pass at a time (pmp_plane_take_runs()), each
 * chunk cleared once for the runs it holds, and finds the next pass's
 * start as it goes: its UNPIN actions are the pattern's maximal runs, in
 * order, whatever the array's room (a resumed call starts at the run the
 * last one found), and pmp_vm_check() holds after every call.
 */
START_TEST(teardown_next_run)
{
	const struct pin_row *row = &pin_rows[_i / NR_CAPS];
	struct pmp_action acts[64];
	struct pmp_actions a = { .buf = acts, .cap = caps[_i % NR_CAPS] };
	uint64_t g, pinned = 0;
	unsigned int k, n;
	struct tvm t;

	pinning_vm(&t);
	for (k = 0; k < 2; k++)
		for (n = 0; n < row->runs[k].count; n++) {
			const struct pin_runs *r = &row->runs[k];

			ck_assert_int_eq(pmp_pin_range(t.vm, r->gfn + n * r->stride, r->npages, NULL), 0);
			ck_assert_int_eq(pmp_vm_check(t.vm), 0);
		}
	for (g = 0; g < VM_PAGES; g++)
		pinned += row_pinned(row, g);
	ck_assert_uint_eq(pmp_nr_pinned(t.vm), pinned);
	ck_assert_uint_eq(teardown_model(&t, &a, row_pinned, row), pinned);	/* none twice */
	tvm_free(&t);
}
END_TEST

/* pmp_teardown() with a yield poll that looks at the VM each time it is asked. */
struct poll_probe {
	const struct pmp_vm *vm;
	const struct pmp_actions *a;
	unsigned int polls;
};

/* The run teardown unpinned last reads unpinned already: no pass runs ahead of a poll. */
static unsigned int probe_unpinned(void *ctx)
{
	struct poll_probe *p = ctx;
	const struct pmp_action *last = &p->a->buf[p->a->nr - 1];

	p->polls++;
	ck_assert_int_eq(last->type, PMP_ACT_UNPIN);
	ck_assert_int_eq(pmp_is_pinned(p->vm, last->gfn), 0);
	ck_assert_int_eq(pmp_is_pinned(p->vm, last->gfn + last->npages - 1), 0);
	return 0;
}

/*
 * With a yield poll, teardown takes one run a pass: the poll is asked
 * after each run (in one call, with room to spare) and finds it unpinned,
 * while the actions stay the pattern's maximal runs.
 */
START_TEST(teardown_polls_between_runs)
{
	const struct pin_row *row = &pin_rows[_i];
	struct pmp_action acts[64];
	struct pmp_actions a = { .buf = acts, .cap = 64 };
	struct poll_probe probe = { .a = &a };
	struct pmp_yield_ops ops = { .poll = probe_unpinned, .ctx = &probe };
	unsigned int k, n, runs = 0;
	struct tvm t;
	uint64_t g;

	pinning_vm(&t);
	probe.vm = t.vm;
	for (k = 0; k < 2; k++)
		for (n = 0; n < row->runs[k].count; n++) {
			const struct pin_runs *r = &row->runs[k];

			ck_assert_int_eq(pmp_pin_range(t.vm, r->gfn + n * r->stride, r->npages, NULL), 0);
		}
	for (g = 0; g < VM_PAGES; g++)
		runs += row_pinned(row, g) && !(g && row_pinned(row, g - 1));
	ck_assert_int_eq(pmp_vm_set_yield(t.vm, &ops), 0);
	ck_assert_uint_gt(teardown_model(&t, &a, row_pinned, row), 0);
	ck_assert_uint_eq(probe.polls, runs);
	tvm_free(&t);
}
END_TEST

/*
 * A zap re-derives the leaf flags of the chunks it touches that have some
 * (mirror.c): 2 MiB leaves and 4 KiB leaves on both sides of every edge of
 * the ranges above, one range zapped; afterwards nothing in it is mapped,
 * a huge leaf it crossed is gone whole, every other leaf stays, and
 * pmp_vm_check() (leaf flags against the mapped planes) holds.
 */
START_TEST(zap_ranges)
{
	const struct range *r = &ranges[_i];
	struct pmp_action buf[64];
	struct pmp_actions a = { .buf = buf, .cap = 64 };
	struct pmp_geometry geo = test_geometry(VM_PAGES);
	uint64_t probe[] = { 0, 511, 512, 4 * GFNS_PER_2M + 3, GFNS_PER_1G - 1, GFNS_PER_1G,
			     GFNS_PER_1G + 700, 2 * GFNS_PER_1G - 1, 3 * GFNS_PER_1G,
			     3 * GFNS_PER_1G + 513, 4 * GFNS_PER_1G - 1 };
	int before[sizeof(probe) / sizeof(probe[0])];
	unsigned int k;
	struct tvm t;

	geo.nr_vtls = 1;
	tvm_init(&t, &geo);
	add_slot(&t, 0, 0, 2 * GFNS_PER_1G, 1ULL << 40, 0);
	add_slot(&t, 1, 3 * GFNS_PER_1G, GFNS_PER_1G, 1ULL << 41, 0);
	/* chunks alternately one 2 MiB leaf and a few 4 KiB leaves at each probe */
	for (k = 0; k < sizeof(probe) / sizeof(probe[0]); k++) {
		struct pmp_fault f = { .gfn = probe[k], .slot = probe[k] >= 3 * GFNS_PER_1G,
				       .backing_order = 9 };
		int level = (probe[k] >> 9) % 2 ? PMP_LEVEL_2M : PMP_LEVEL_4K;

		a.nr = 0;
		ck_assert_int_eq(pmp_map(t.vm, &f, level, &a), 0);
	}
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	for (k = 0; k < sizeof(probe) / sizeof(probe[0]); k++)
		before[k] = pmp_leaf_level(t.vm, probe[k]);
	a.nr = 0;
	ck_assert_int_eq(pmp_zap(t.vm, PMP_ZAP_MMU_NOTIFIER, PMP_ZAP_FILTER_BOTH, r->gfn, r->npages, &a),
			 r->npages ? 0 : -EINVAL);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	for (k = 0; k < sizeof(probe) / sizeof(probe[0]); k++) {
		uint64_t head = probe[k] & ~(GFNS_PER_2M - 1);
		bool in = probe[k] - r->gfn < r->npages;
		/* a 2 MiB leaf goes whole if the range meets its chunk */
		bool hit = in || (before[k] == PMP_LEVEL_2M && r->npages &&
				  r->gfn < head + GFNS_PER_2M && head < r->gfn + r->npages);

		ck_assert_int_eq(pmp_leaf_level(t.vm, probe[k]), hit ? 0 : before[k]);
	}
	tvm_free(&t);
}
END_TEST

static unsigned int order_2m(void *ctx, uint64_t gfn)
{
	(void)ctx;
	(void)gfn;
	return 9;
}

/*
 * A punch asks its piece's 1 GiB and chunk once (inval.c next_piece()):
 * a part of a 2 MiB folio defers where its 1 GiB has state, and is
 * invalidated at once where it has none (deferral keeps per-page state),
 * by the caller's folio orders or by what faults saw; pmp_vm_check() holds.
 */
START_TEST(punch_piece_state)
{
	static const struct {
		uint64_t gfn, npages;
		bool folios, deferred;
	} cases[] = {
		{ 7 * GFNS_PER_2M + 3, 1, true, true },
		{ GFNS_PER_1G - 10, 10, true, true },			/* a chunk's end, by 1G */
		{ 2 * GFNS_PER_1G + 5, 1, true, false },		/* no state */
		{ 2 * GFNS_PER_1G + GFNS_PER_2M - 1, 1, true, false },
		{ 3 * GFNS_PER_1G + 100, 300, true, true },
		{ 7 * GFNS_PER_2M + 3, 1, false, false },		/* no fault saw a 2M folio */
	};
	const struct pmp_folios folios = { .order = order_2m };
	static struct pmp_action buf[PMP_PUNCH_ACTIONS + 64];	/* room for a deferral's evictions */
	struct pmp_actions a = { .buf = buf, .cap = PMP_PUNCH_ACTIONS + 64 };
	struct tvm t;

	vm_with_gap(&t);
	ck_assert_int_eq(pmp_punch(t.vm, cases[_i].gfn, cases[_i].npages,
				   cases[_i].folios ? &folios : NULL, &a), 0);
	ck_assert_int_eq(pmp_vm_check(t.vm), 0);
	ck_assert_uint_eq(pmp_nr_deferred(t.vm), cases[_i].deferred ? cases[_i].npages : 0);
	ck_assert_uint_eq(a.nr == 0, cases[_i].deferred);	/* at once: INVALIDATE and FLUSH */
	tvm_free(&t);
}
END_TEST

Suite *planes_suite(void)
{
	Suite *s = suite_create("planes");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, block_helpers, 0, NR_SPANS);
	tcase_add_loop_test(tc, plane_ranges, 0, NR_RANGES);
	tcase_add_loop_test(tc, teardown_runs, 0, NR_RANGES);
	tcase_add_loop_test(tc, teardown_next_run, 0, NR_PIN_ROWS * NR_CAPS);
	tcase_add_loop_test(tc, teardown_polls_between_runs, 0, NR_PIN_ROWS);
	tcase_add_loop_test(tc, zap_ranges, 0, NR_RANGES);
	tcase_add_loop_test(tc, punch_piece_state, 0, 6);
	suite_add_tcase(s, tc);
	return s;
}
