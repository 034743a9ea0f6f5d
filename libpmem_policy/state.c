// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * State follows the memslots, not the guest-physical span.
 *
 * Per-gfn state is kept per 1 GiB ("giant": 512 chunk descriptors and a
 * summary) only where there is something to keep: every 1 GiB a memslot
 * touches, and every 1 GiB holding non-default state (attributes set
 * before any memslot covers them, as KVM keeps attributes per gfn in a
 * VM-wide xarray; pins or acceptance left after a memslot went).  Giants
 * come from a pool sized by the geometry and are found through a sparse
 * two-level directory indexed by the GPA giant number (gfn >> 18, below
 * 2^22): a top table of 2^12 entries naming tables of 2^10 compact giant
 * numbers.  A lookup is two loads and never branches: ranges without state
 * land on reserved all-zero table 0 and giant 0.
 *
 * Who may allocate: memslot creation and move (for every 1 GiB they
 * touch), and the calls that set non-default state outside memslots
 * (attribute changes, accepts, pins).  Each counts what it needs first and
 * fails with -ENOMEM before changing anything.  A giant is freed when no
 * memslot touches it and its state is default again (backing hints, which
 * describe host memory of memslots that are gone, do not count).
 */
#include "internal.h"

#define SUMMARY_ALL ((uint16_t)((1U << PMP_NR_SUMMARY_PLANES) - 1))

static struct pmp_region *regions(const struct pmp_vm *vm)
{
	return pmp_at(vm, vm->off_regions);
}

static void giant_reset(struct pmp_giant *gi)
{
	pmp_memset(gi, 0, sizeof(*gi));
	gi->uniform = SUMMARY_ALL;
	pmp_giant_verdict(gi);
}

/* Compact giant @cg's verdict bytes, every VTL's, for default chunks. */
static void verdicts_reset(struct pmp_vm *vm, uint64_t cg)
{
	unsigned int v;

	for (v = 0; v < vm->nr_vtls; v++)
		pmp_memset(&pmp_verdicts(vm, v)[cg * PMP_GIANT_CHUNKS],
			   pmp_chunk_verdict_key(&(struct pmp_chunk){ 0 }, v), PMP_GIANT_CHUNKS);
}

/* After the buffer was zeroed: default giants, both free lists. */
void pmp_state_init(struct pmp_vm *vm)
{
	struct pmp_home *homes = pmp_homes(vm);
	uint32_t i;

	for (i = 0; i < vm->nr_giants; i++) {
		giant_reset(&pmp_cgiants(vm)[i]);
		if (i)	/* giant 0 has no verdict bytes (pmp_verdicts()) */
			verdicts_reset(vm, i);
	}
	for (i = 1; i < vm->nr_giants; i++)
		homes[i].giant = i + 1 < vm->nr_giants ? i + 1 : 0;
	vm->giant_free = vm->nr_giants > 1 ? 1 : 0;
	for (i = 1; i < vm->nr_regions; i++)
		regions(vm)[i].top = i + 1 < vm->nr_regions ? i + 1 : 0;
	vm->region_free = vm->nr_regions > 1 ? 1 : 0;
}

/* The first GPA giant in [@g, @g_end) with state, or @g_end. */
uint64_t pmp_state_next_giant(const struct pmp_vm *vm, uint64_t g, uint64_t g_end)
{
	if (g_end > PMP_NR_GPA_GIANTS)
		g_end = PMP_NR_GPA_GIANTS;
	while (g < g_end) {
		uint32_t t = pmp_dir_top_get(vm, g >> PMP_DIR_SHIFT);

		if (!t) {	/* 1 TiB without state: skip it whole */
			g = ((g >> PMP_DIR_SHIFT) + 1) << PMP_DIR_SHIFT;
			continue;
		}
		if (pmp_dir_get(vm, t, g & (PMP_DIR_ENTRIES - 1)))
			return g;
		g++;
	}
	return g_end;
}

/* @ci if its 1 GiB has state, else the first chunk after it that has, or @ci_end. */
uint64_t pmp_state_chunk_next(const struct pmp_vm *vm, uint64_t ci, uint64_t ci_end)
{
	const unsigned int shift = PMP_GIANT_SHIFT - PMP_CHUNK_SHIFT;
	uint64_t g;

	if (ci >= ci_end || pmp_giant_index(vm, ci >> shift))
		return ci;
	g = pmp_state_next_giant(vm, (ci >> shift) + 1, (ci_end + PMP_GIANT_CHUNKS - 1) >> shift);
	return g << shift < ci_end ? g << shift : ci_end;
}

/* Giants and tables [g0, g1) lacks; stops counting past what the pools hold. */
static void count_missing(const struct pmp_vm *vm, uint64_t g0, uint64_t g1, uint64_t *giants,
			  uint64_t *tables)
{
	uint64_t cap = vm->nr_giants - 1 - vm->giants_used, g, stop;

	*giants = *tables = 0;
	for (g = g0; g < g1 && *giants <= cap; g = stop) {
		uint32_t t = pmp_dir_top_get(vm, g >> PMP_DIR_SHIFT);

		stop = ((g >> PMP_DIR_SHIFT) + 1) << PMP_DIR_SHIFT;
		if (stop > g1)
			stop = g1;
		if (!t) {
			*tables += 1;
			*giants += stop - g;
			continue;
		}
		for (; g < stop; g++)
			*giants += !pmp_dir_get(vm, t, g & (PMP_DIR_ENTRIES - 1));
	}
}

static void alloc_giant(struct pmp_vm *vm, uint64_t g)
{
	uint32_t ti = (uint32_t)(g >> PMP_DIR_SHIFT), t = pmp_dir_top_get(vm, ti), cg;
	struct pmp_home *h;

	if (!t) {
		t = vm->region_free;
		vm->region_free = regions(vm)[t].top;
		regions(vm)[t].top = ti;
		regions(vm)[t].nr_giants = 0;
		pmp_dir_top_set(vm, ti, t);
		vm->regions_used++;
	}
	cg = vm->giant_free;
	h = &pmp_homes(vm)[cg];
	vm->giant_free = h->giant;
	h->giant = (uint32_t)g;
	h->nr_slots = 0;
	h->in_use = 1;
	pmp_dir_set(vm, t, g & (PMP_DIR_ENTRIES - 1), cg);
	regions(vm)[t].nr_giants++;
	if (++vm->giants_used > vm->giants_high_water)
		vm->giants_high_water = vm->giants_used;
}

static void free_giant(struct pmp_vm *vm, uint64_t g)
{
	uint32_t ti = (uint32_t)(g >> PMP_DIR_SHIFT), t = pmp_dir_top_get(vm, ti);
	uint32_t cg = pmp_dir_get(vm, t, g & (PMP_DIR_ENTRIES - 1));
	struct pmp_home *h = &pmp_homes(vm)[cg];

	pmp_memset(&pmp_cchunks(vm)[(uint64_t)cg * PMP_GIANT_CHUNKS], 0,
		   PMP_GIANT_CHUNKS * sizeof(struct pmp_chunk));
	giant_reset(&pmp_cgiants(vm)[cg]);
	verdicts_reset(vm, cg);
	h->giant = vm->giant_free;
	h->nr_slots = 0;
	h->in_use = 0;
	vm->giant_free = cg;
	vm->giants_used--;
	pmp_dir_set(vm, t, g & (PMP_DIR_ENTRIES - 1), 0);
	if (!--regions(vm)[t].nr_giants) {
		pmp_dir_top_set(vm, ti, 0);
		regions(vm)[t].top = vm->region_free;
		vm->region_free = t;
		vm->regions_used--;
	}
}

/* Is compact giant @cg default but for backing hints? */
static bool giant_disposable(const struct pmp_vm *vm, uint32_t cg)
{
	const struct pmp_chunk *c = &pmp_cchunks(vm)[(uint64_t)cg * PMP_GIANT_CHUNKS];
	uint32_t i;

	if (pmp_cgiants(vm)[cg].flags & ~PMP_GF_BACKED)
		return false;
	for (i = 0; i < PMP_GIANT_CHUNKS; i++)
		if (c[i].value || c[i].mixed || (c[i].blocks & ~PMP_CF_BACKED))
			return false;
	return true;
}

static void giant_range(uint64_t gfn, uint64_t npages, uint64_t *g0, uint64_t *g1)
{
	*g0 = gfn >> PMP_GIANT_SHIFT;
	*g1 = ((gfn + npages - 1) >> PMP_GIANT_SHIFT) + 1;
}

/*
 * Give every 1 GiB of [gfn, gfn + npages) (a checked range) state of its
 * own: 0, or -ENOMEM with nothing changed.
 */
int pmp_state_reserve(struct pmp_vm *vm, uint64_t gfn, uint64_t npages)
{
	uint64_t g0, g1, g, giants, tables;

	giant_range(gfn, npages, &g0, &g1);
	count_missing(vm, g0, g1, &giants, &tables);
	if (giants > vm->nr_giants - 1 - vm->giants_used ||
	    tables > vm->nr_regions - 1 - vm->regions_used)
		return -ENOMEM;
	for (g = g0; giants && g < g1; g++)
		if (!pmp_giant_index(vm, g))
			alloc_giant(vm, g);
	return 0;
}

/* A new memslot: state for all it touches, and their memslot counts. */
int pmp_state_slot_add(struct pmp_vm *vm, const struct pmp_slot *s)
{
	uint64_t g0, g1, g;
	int err = pmp_state_reserve(vm, s->base_gfn, s->npages);

	if (err)
		return err;
	giant_range(s->base_gfn, s->npages, &g0, &g1);
	for (g = g0; g < g1; g++)
		pmp_homes(vm)[pmp_giant_index(vm, g)].nr_slots++;
	return 0;
}

/* A memslot going away: its giants lose a count, and go if that leaves them unused. */
void pmp_state_slot_drop(struct pmp_vm *vm, const struct pmp_slot *s)
{
	uint64_t g0, g1, g;

	giant_range(s->base_gfn, s->npages, &g0, &g1);
	for (g = g0; g < g1; g++)
		pmp_homes(vm)[pmp_giant_index(vm, g)].nr_slots--;
	pmp_state_trim(vm, s->base_gfn, s->npages);
}

/* The GPA giants wholly inside slot @s: [*@lo, *@lo + *@len). */
static void whole_giants(const struct pmp_slot *s, uint64_t *lo, uint64_t *len)
{
	uint64_t hi = (s->base_gfn + s->npages) >> PMP_GIANT_SHIFT;

	*lo = (s->base_gfn + PMP_GIANT_PAGES - 1) >> PMP_GIANT_SHIFT;
	*len = hi > *lo ? hi - *lo : 0;
}

/*
 * Slot @st (in use, its giants reserved) gets its run of compact giants
 * (pmp_slot_giants()), at the end of the packed runs, and the window of its
 * whole 1 GiB ranges the fault path reads them through.  Room: slots do not
 * overlap, so each one's giants but its first lie past every earlier
 * slot's, and the runs hold at most the giants in use plus one per slot
 * (pmp_slot_giants_cap()).
 */
void pmp_state_slot_map(struct pmp_vm *vm, struct pmp_slot_state *st)
{
	uint64_t g0, g1, g, lo, len;
	uint32_t at = vm->slot_giants_used;

	giant_range(st->slot.base_gfn, st->slot.npages, &g0, &g1);
	for (g = g0; g < g1; g++)
		pmp_slot_giants(vm)[at + (g - g0)] =
			pmp_giant_index(vm, g) * (uint32_t)sizeof(struct pmp_giant);
	vm->slot_giants_used = at + (uint32_t)(g1 - g0);
	whole_giants(&st->slot, &lo, &len);
	st->giant_lo = (uint32_t)lo;
	st->giant_len = (uint32_t)len;
	st->giant_run = pmp_slot_giants_word(vm) + at + (lo - g0);
}

/* Where in pmp_slot_giants() in-use slot @st's run starts. */
static uint64_t run_start(const struct pmp_vm *vm, const struct pmp_slot_state *st)
{
	return st->giant_run - pmp_slot_giants_word(vm) - st->giant_lo +
	       (st->slot.base_gfn >> PMP_GIANT_SHIFT);
}

/* Slot @st's run goes; the runs after it move down, and their slots with them. */
void pmp_state_slot_unmap(struct pmp_vm *vm, struct pmp_slot_state *st)
{
	uint64_t g0, g1, at = run_start(vm, st);
	uint32_t n, i;

	giant_range(st->slot.base_gfn, st->slot.npages, &g0, &g1);
	n = (uint32_t)(g1 - g0);
	pmp_memmove(&pmp_slot_giants(vm)[at], &pmp_slot_giants(vm)[at + n],
		    (vm->slot_giants_used - at - n) * sizeof(uint32_t));
	vm->slot_giants_used -= n;
	for (i = 0; i < vm->max_slots; i++) {
		struct pmp_slot_state *o = &pmp_slots(vm)[i];

		if (o != st && o->in_use && run_start(vm, o) > at)
			o->giant_run -= n;
	}
	st->giant_lo = st->giant_len = 0;
	st->giant_run = 0;
}

/* Free the giants of the range that no memslot touches and whose state is default. */
void pmp_state_trim(struct pmp_vm *vm, uint64_t gfn, uint64_t npages)
{
	uint64_t g0, g1, g;

	giant_range(gfn, npages, &g0, &g1);
	for (g = pmp_state_next_giant(vm, g0, g1); g < g1; g = pmp_state_next_giant(vm, g + 1, g1)) {
		uint32_t cg = pmp_giant_index(vm, g);

		if (!pmp_homes(vm)[cg].nr_slots && giant_disposable(vm, cg))
			free_giant(vm, g);
	}
}

/* Compact giant @cg holds default state and nothing else. */
static bool giant_pristine(const struct pmp_vm *vm, uint32_t cg)
{
	const struct pmp_chunk *c = &pmp_cchunks(vm)[(uint64_t)cg * PMP_GIANT_CHUNKS];
	struct pmp_giant want;
	uint32_t i;

	giant_reset(&want);
	for (i = 0; i < PMP_GIANT_CHUNKS; i++)
		if (c[i].value || c[i].mixed || c[i].blocks)
			return false;
	return !pmp_memcmp(&want, &pmp_cgiants(vm)[cg], sizeof(want));
}

/*
 * The first entry from @i on, below @n, of the packed array @base (@bits
 * an entry, which divides 32) that is not 0, or @n: a word of 0 entries
 * skipped at once (most of the directory is).
 */
static uint32_t packed_next(const void *base, uint32_t i, uint32_t n, unsigned int bits,
			    uint32_t mask)
{
	const uint32_t *words = base;
	uint32_t per_word = 32 / bits;

	while (i < n) {
		if (!words[i / per_word])
			i = (i / per_word + 1) * per_word;
		else if (pmp_packed_get(base, i, bits, mask))
			return i;
		else
			i++;
	}
	return n;
}

/* The first entry from @i on of directory table @t that names a giant, or 2^10. */
static uint32_t dir_next(const struct pmp_vm *vm, uint32_t t, uint32_t i)
{
	return packed_next(pmp_dir_table(vm, t), i, PMP_DIR_ENTRIES, vm->dir_bits, vm->dir_mask);
}

/* Every in-use table names only in-use giants that name it back. */
static int directory_check(const struct pmp_vm *vm, uint64_t *giants, uint32_t *tables)
{
	const void *top = pmp_at(vm, vm->off_top);
	uint32_t ti, i;

	*giants = 0;
	*tables = 0;
	for (ti = 0; (ti = packed_next(top, ti, PMP_DIR_TOP, vm->top_bits, vm->top_mask)) <
		     PMP_DIR_TOP; ti++) {
		uint32_t t = pmp_dir_top_get(vm, ti), n = 0;

		if (t >= vm->nr_regions || regions(vm)[t].top != ti)
			return -EUCLEAN;
		for (i = 0; (i = dir_next(vm, t, i)) < PMP_DIR_ENTRIES; i++) {
			uint32_t cg = pmp_dir_get(vm, t, i);
			const struct pmp_home *h = &pmp_homes(vm)[cg < vm->nr_giants ? cg : 0];

			if (cg >= vm->nr_giants || !h->in_use ||
			    h->giant != (ti << PMP_DIR_SHIFT | i))
				return -EUCLEAN;
			n++;
		}
		if (!n || n != regions(vm)[t].nr_giants)
			return -EUCLEAN;
		*giants += n;
		(*tables)++;
	}
	return 0;
}

/* Free lists: each entry free, pristine and listed once (the counts close them). */
static int free_lists_check(const struct pmp_vm *vm)
{
	uint32_t cg, t, n = 0;

	for (cg = vm->giant_free; cg; cg = pmp_homes(vm)[cg].giant) {
		if (cg >= vm->nr_giants || pmp_homes(vm)[cg].in_use || pmp_homes(vm)[cg].nr_slots ||
		    ++n > vm->nr_giants - 1 - vm->giants_used || !giant_pristine(vm, cg))
			return -EUCLEAN;
	}
	if (n != vm->nr_giants - 1 - vm->giants_used)
		return -EUCLEAN;
	for (n = 0, t = vm->region_free; t; t = regions(vm)[t].top) {
		if (t >= vm->nr_regions || regions(vm)[t].nr_giants ||
		    ++n > vm->nr_regions - 1 - vm->regions_used || dir_next(vm, t, 0) < PMP_DIR_ENTRIES)
			return -EUCLEAN;
	}
	return n == vm->nr_regions - 1 - vm->regions_used ? 0 : -EUCLEAN;
}

/*
 * Memslot counts: every giant a memslot touches has state, and the counts
 * agree with a recount (their sum, and their sums weighted by the GPA
 * giant number and its square, as pmp_pool_check() closes the pool).
 */
static int slot_counts_check(const struct pmp_vm *vm)
{
	const struct pmp_slot_state *st = pmp_slots(vm);
	uint64_t s0 = 0, s1 = 0, s2 = 0, g, g0, g1;
	uint32_t i;

	for (i = 0; i < vm->max_slots; i++) {
		if (!st[i].in_use)
			continue;
		giant_range(st[i].slot.base_gfn, st[i].slot.npages, &g0, &g1);
		for (g = g0; g < g1; g++) {
			if (!pmp_giant_index(vm, g))
				return -EUCLEAN;
			s0++;
			s1 += g;
			s2 += g * g;
		}
	}
	for (i = 1; i < vm->nr_giants; i++) {
		const struct pmp_home *h = &pmp_homes(vm)[i];

		if (!h->in_use)
			continue;
		g = h->giant;
		s0 -= h->nr_slots;
		s1 -= h->nr_slots * g;
		s2 -= h->nr_slots * g * g;
	}
	return s0 || s1 || s2 ? -EUCLEAN : 0;
}

/*
 * Every verdict byte of VTL @v is its chunk's key, from compact chunk 512
 * on (giant 0 has none: pmp_verdicts()).  A chunk without state (most of
 * them) has the one key of the all-zero chunk, found once.
 */
static int verdicts_check(const struct pmp_vm *vm, unsigned int v)
{
	const struct pmp_chunk *c = pmp_cchunks(vm);
	const uint8_t *key = pmp_verdicts(vm, v);
	uint8_t none = pmp_chunk_verdict_key(&(struct pmp_chunk){ 0 }, v);
	uint64_t i, n = (uint64_t)vm->nr_giants * PMP_GIANT_CHUNKS;

	for (i = PMP_GIANT_CHUNKS; i < n; i++) {
		bool zero = !c[i].value && !c[i].mixed && !c[i].blocks;

		if (key[i] != (zero ? none : pmp_chunk_verdict_key(&c[i], v)))
			return -EUCLEAN;
	}
	return 0;
}

/*
 * The fault path's lookup: every slot's window is its whole 1 GiB ranges,
 * its run names its giants (their summaries' offsets), the runs
 * fill slot_giants_used entries, and every verdict byte is its chunk's key.
 */
static int lookup_check(const struct pmp_vm *vm)
{
	const struct pmp_slot_state *st = pmp_slots(vm);
	uint64_t n = 0, g0, g1, g, i, lo, len;
	unsigned int v;

	if (vm->slot_giants_used > vm->slot_giants_cap)
		return -EUCLEAN;
	for (i = 0; i < vm->max_slots; i++) {
		if (!st[i].in_use)
			continue;
		giant_range(st[i].slot.base_gfn, st[i].slot.npages, &g0, &g1);
		whole_giants(&st[i].slot, &lo, &len);
		if (st[i].giant_lo != lo || st[i].giant_len != len ||
		    run_start(vm, &st[i]) + (g1 - g0) > vm->slot_giants_used)
			return -EUCLEAN;
		for (g = g0; g < g1; g++)
			if (pmp_slot_summary(vm, &st[i], g) !=
			    pmp_giant_index(vm, g) * sizeof(struct pmp_giant))
				return -EUCLEAN;
		n += g1 - g0;
	}
	if (n != vm->slot_giants_used)
		return -EUCLEAN;
	for (v = 0; v < vm->nr_vtls; v++)
		if (verdicts_check(vm, v))
			return -EUCLEAN;
	return 0;
}

int pmp_state_check(const struct pmp_vm *vm)
{
	const struct pmp_home *h0 = &pmp_homes(vm)[0];
	uint64_t giants;
	uint32_t tables, i;

	/* the reserved giant and table: what every lookup without state reads */
	if (!giant_pristine(vm, 0) || h0->giant || h0->nr_slots || h0->in_use ||
	    regions(vm)[0].top || regions(vm)[0].nr_giants || dir_next(vm, 0, 0) < PMP_DIR_ENTRIES)
		return -EUCLEAN;
	if (vm->giants_used >= vm->nr_giants || vm->regions_used >= vm->nr_regions ||
	    vm->giants_used > vm->giants_high_water || directory_check(vm, &giants, &tables) ||
	    giants != vm->giants_used || tables != vm->regions_used)
		return -EUCLEAN;
	/* in-use homes: as many as the directory names, so each named once */
	for (giants = 0, i = 1; i < vm->nr_giants; i++)
		giants += pmp_homes(vm)[i].in_use;
	if (giants != vm->giants_used)
		return -EUCLEAN;
	return free_lists_check(vm) || slot_counts_check(vm) || lookup_check(vm) ? -EUCLEAN : 0;
}
