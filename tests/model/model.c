// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The naive reference model: per-page bytes, scans everywhere.  Slow on
 * purpose; clear enough to be obviously right.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"

#define CHUNK 512ULL
#define GIANT (512ULL * 512ULL)

void model_init(struct model *m, const struct pmp_geometry *geo, uint32_t pool_blocks,
		uint32_t max_giants)
{
	uint64_t span = (geo->gfn_end + CHUNK - 1) / CHUNK * CHUNK;
	uint64_t giants = (geo->gfn_end + GIANT - 1) / GIANT;

	memset(m, 0, sizeof(*m));
	m->gfn_end = geo->gfn_end;
	m->max_slots = geo->max_slots;
	m->nr_vtls = geo->nr_vtls;
	m->pool_blocks = pool_blocks;
	m->page = calloc(span, 1);
	m->unknown = calloc(span / CHUNK, 1);
	m->lossy_set = calloc(span / CHUNK, sizeof(*m->lossy_set));
	m->lossy_pos = calloc(span / CHUNK, sizeof(*m->lossy_pos));
	m->lossy_n = calloc(span / CHUNK, sizeof(*m->lossy_n));
	m->slot = calloc(geo->max_slots, sizeof(*m->slot));
	m->in_use = calloc(geo->max_slots, 1);
	pmp_policy_preset(&m->policy, "recommended");
	m->max_giants = max_giants;
	m->giant_has = calloc(giants, 1);
	m->giant_slots = calloc(giants, sizeof(*m->giant_slots));
}

void model_free(struct model *m)
{
	free(m->giant_has);
	free(m->giant_slots);
	free(m->page);
	free(m->unknown);
	free(m->lossy_set);
	free(m->lossy_pos);
	free(m->lossy_n);
	free(m->slot);
	free(m->in_use);
}

static int slot_ok(const struct model *m, uint32_t id, const struct pmp_slot *s)
{
	uint32_t i;

	if (s->npages == 0 || s->base_gfn + s->npages < s->base_gfn || s->npages >= (1ULL << 52))
		return -EINVAL;
	if ((s->userspace_addr | s->gmem_offset) & 0xfff)
		return -EINVAL;
	if (s->userspace_addr + s->npages * 4096 < s->userspace_addr ||
	    s->gmem_offset + s->npages * 4096 < s->gmem_offset)
		return -EINVAL;
	if (s->flags & ~7U || (s->gmem_offset && !(s->flags & PMP_SLOT_GUEST_MEMFD)))
		return -EINVAL;
	if (s->base_gfn + s->npages > m->gfn_end)
		return -ERANGE;
	for (i = 0; i < m->max_slots; i++) {
		const struct pmp_slot *o = &m->slot[i];

		if (i != id && m->in_use[i] && s->base_gfn < o->base_gfn + o->npages &&
		    o->base_gfn < s->base_gfn + s->npages)
			return -EINVAL;
	}
	return 0;
}

/* Give every 1 GiB of [gfn, gfn + n) state: -ENOMEM, changing nothing, past max_giants. */
static int giants_get(struct model *m, uint64_t gfn, uint64_t n)
{
	uint64_t g, missing = 0;

	for (g = gfn / GIANT; g <= (gfn + n - 1) / GIANT; g++)
		missing += !m->giant_has[g];
	if (missing > m->max_giants - m->giants_used)
		return -ENOMEM;
	for (g = gfn / GIANT; g <= (gfn + n - 1) / GIANT; g++)
		m->giant_has[g] = 1;
	m->giants_used += (uint32_t)missing;
	return 0;
}

/* Free the 1 GiB ranges of [gfn, gfn + n) no memslot touches whose pages are all default. */
static void giants_trim(struct model *m, uint64_t gfn, uint64_t n)
{
	uint64_t g, i;

	for (g = gfn / GIANT; g <= (gfn + n - 1) / GIANT; g++) {
		uint8_t any = 0;

		for (i = g * GIANT; i < (g + 1) * GIANT && i < m->gfn_end; i++)
			any |= m->page[i] | m->unknown[i / CHUNK];
		if (m->giant_has[g] && !m->giant_slots[g] && !any) {
			m->giant_has[g] = 0;
			m->giants_used--;
		}
	}
}

static void giant_slots_add(struct model *m, const struct pmp_slot *s, int by)
{
	uint64_t g;

	for (g = s->base_gfn / GIANT; g <= (s->base_gfn + s->npages - 1) / GIANT; g++)
		m->giant_slots[g] += (uint32_t)by;
}

int model_slot_create(struct model *m, uint32_t id, const struct pmp_slot *s)
{
	int err;

	if (id >= m->max_slots)
		return -EINVAL;
	if (m->in_use[id])
		return -EEXIST;
	err = slot_ok(m, id, s);
	if (!err)
		err = giants_get(m, s->base_gfn, s->npages);
	if (err)
		return err;
	giant_slots_add(m, s, 1);
	m->slot[id] = *s;
	m->in_use[id] = 1;
	return 0;
}

int model_slot_delete(struct model *m, uint32_t id)
{
	if (id >= m->max_slots)
		return -EINVAL;
	if (!m->in_use[id])
		return -ENOENT;
	m->in_use[id] = 0;
	giant_slots_add(m, &m->slot[id], -1);
	giants_trim(m, m->slot[id].base_gfn, m->slot[id].npages);
	return 0;
}

int model_slot_move(struct model *m, uint32_t id, uint64_t base_gfn)
{
	struct pmp_slot s;
	int err;

	if (id >= m->max_slots)
		return -EINVAL;
	if (!m->in_use[id])
		return -ENOENT;
	s = m->slot[id];
	s.base_gfn = base_gfn;
	err = slot_ok(m, id, &s);
	if (!err)
		err = giants_get(m, s.base_gfn, s.npages);	/* the new range first */
	if (err)
		return err;
	giant_slots_add(m, &s, 1);
	giant_slots_add(m, &m->slot[id], -1);
	giants_trim(m, m->slot[id].base_gfn, m->slot[id].npages);
	m->slot[id] = s;
	return 0;
}

int model_slot_set_flags(struct model *m, uint32_t id, uint32_t flags)
{
	if (id >= m->max_slots)
		return -EINVAL;
	if (!m->in_use[id])
		return -ENOENT;
	if (flags & ~7U || ((flags ^ m->slot[id].flags) & PMP_SLOT_GUEST_MEMFD))
		return -EINVAL;
	m->slot[id].flags = flags;
	return 0;
}

/* Are pages [a, b) equal in bit @bit?  Sets *val to the first page's bit. */
static int uniform_bit(const struct model *m, uint64_t a, uint64_t b, uint8_t bit, int *val)
{
	uint64_t i;

	*val = !!(m->page[a] & bit);
	for (i = a + 1; i < b; i++)
		if (!!(m->page[i] & bit) != *val)
			return 0;
	return 1;
}

uint32_t model_blocks_used(const struct model *m)
{
	return m->used;
}

/* Blocks a partial update of chunk @c would newly need for the exact bit (private). */
static uint32_t chunk_need(const struct model *m, uint64_t c, uint64_t a, uint64_t b,
			   uint8_t mask, uint8_t value)
{
	int val;

	if ((a == c * CHUNK && b == (c + 1) * CHUNK) || !(mask & M_PRIVATE))
		return 0;
	return uniform_bit(m, c * CHUNK, (c + 1) * CHUNK, M_PRIVATE, &val) &&
	       val != !!(value & M_PRIVATE);
}

/* Chunk @c gains (+1) or loses (-1) a lossy block; the set follows. */
static void lossy_count(struct model *m, uint64_t c, int d)
{
	if (d > 0 && !m->lossy_n[c]++) {
		m->lossy_set[m->lossy_chunks] = c;
		m->lossy_pos[c] = m->lossy_chunks++;
	} else if (d < 0 && !--m->lossy_n[c]) {
		uint64_t last = m->lossy_set[--m->lossy_chunks];

		m->lossy_set[m->lossy_pos[c]] = last;
		m->lossy_pos[last] = m->lossy_pos[c];
	}
	m->lossy_used += d;
}

/* No block free for a private bit: the clock's chunk gives up all its lossy blocks. */
static void lossy_evict(struct model *m)
{
	uint64_t c = m->lossy_set[m->lossy_clock++ % m->lossy_chunks];
	int val;
	uint8_t bm;

	for (bm = M_WTRACK; bm; bm = (uint8_t)(bm << 1)) {
		if ((m->unknown[c] & bm) || uniform_bit(m, c * CHUNK, (c + 1) * CHUNK, bm, &val))
			continue;
		m->unknown[c] |= bm;
		m->used--;
		lossy_count(m, c, -1);
	}
}

/*
 * Set bit @bm of pages [a, b) of chunk @c to @v, with the pool's rule: a
 * bit that stops being uniform takes a block; a lossy one (not private)
 * only while one is free, else it becomes unknown until a whole-chunk
 * update; a private one takes a lossy block when none is free.
 */
static void chunk_bit_set(struct model *m, uint64_t c, uint64_t a, uint64_t b, uint8_t bm,
			  bool v)
{
	bool whole = a == c * CHUNK && b == (c + 1) * CHUNK, lossy = bm != M_PRIVATE;
	int val, before = !uniform_bit(m, c * CHUNK, (c + 1) * CHUNK, bm, &val), after;
	uint64_t i;

	for (i = a; i < b; i++)
		m->page[i] = (uint8_t)(v ? m->page[i] | bm : m->page[i] & ~bm);
	if (m->unknown[c] & bm) {
		if (whole)
			m->unknown[c] &= (uint8_t)~bm;
		return;
	}
	after = !uniform_bit(m, c * CHUNK, (c + 1) * CHUNK, bm, &val);
	if (before && !after) {
		m->used--;
		if (lossy)
			lossy_count(m, c, -1);
	} else if (!before && after) {
		if (lossy && m->used == m->pool_blocks) {
			m->unknown[c] |= bm;
			return;
		}
		if (m->used == m->pool_blocks)
			lossy_evict(m);
		m->used++;
		if (lossy)
			lossy_count(m, c, 1);
	}
}

int model_set(struct model *m, uint64_t gfn, uint64_t npages, uint8_t mask, uint8_t value)
{
	uint64_t end = gfn + npages, c0, c1, c;
	uint32_t need;
	int bit;

	if (!npages || end < gfn)
		return -EINVAL;
	if (end > m->gfn_end)
		return -ERANGE;
	c0 = gfn / CHUNK;
	c1 = (end - 1) / CHUNK;
	if (c0 == c1)
		need = chunk_need(m, c0, gfn, end, mask, value);
	else
		need = chunk_need(m, c0, gfn, (c0 + 1) * CHUNK, mask, value) +
		       chunk_need(m, c1, c1 * CHUNK, end, mask, value);
	/* private bits take lossy blocks back: those count as room */
	if (need > m->pool_blocks - m->used + m->lossy_used)
		return -ENOMEM;
	/* a non-default value needs state of its own; the default needs none */
	if ((value & mask) && giants_get(m, gfn, npages))
		return -ENOMEM;
	for (c = c0; c <= c1; c++) {
		uint64_t a = c == c0 ? gfn : c * CHUNK, b = c == c1 ? end : (c + 1) * CHUNK;

		for (bit = 0; bit < 8; bit++)
			if (mask & (1 << bit))
				chunk_bit_set(m, c, a, b, (uint8_t)(1 << bit), value & (1 << bit));
	}
	giants_trim(m, gfn, npages);
	return 0;
}

int model_vtl_prot(struct model *m, unsigned int vtl, uint64_t gfn, uint64_t npages,
		   unsigned int prot)
{
	if (vtl >= m->nr_vtls || prot > 7)
		return -EINVAL;
	return model_set(m, gfn, npages, (uint8_t)(7 << M_VTL_SHIFT(vtl)),
			 (uint8_t)((~prot & 7) << M_VTL_SHIFT(vtl)));
}

static enum pmp_reason blocker(const struct model *m, const struct pmp_slot *s,
			       const struct pmp_fault *f, int level)
{
	uint64_t pages = 1ULL << (9 * (level - 1));
	uint64_t head = f->gfn / pages * pages, i;
	uint64_t addr = s->userspace_addr;
	uint8_t vtl_bits = (uint8_t)(7 << M_VTL_SHIFT(f->vtl)), any = 0, all = 0xff, unknown = 0;

	if (level > m->policy.max_level)
		return PMP_REASON_POLICY_CAP;
	if (s->flags & PMP_SLOT_DIRTY_LOG)
		return PMP_REASON_DIRTY_LOG;
	if ((f->flags & PMP_FAULT_EXEC) && m->policy.nx_huge_pages)
		return PMP_REASON_NX_HUGE_PAGE;
	if (f->backing_order < 9 * (level - 1))
		return PMP_REASON_BACKING_ORDER;
	if (f->accept_level && f->accept_level < level)
		return PMP_REASON_GUEST_ACCEPT;
	if (head < s->base_gfn || head + pages > s->base_gfn + s->npages)
		return PMP_REASON_SLOT_BOUNDARY;
	if ((s->base_gfn - addr / 4096) % pages)
		return PMP_REASON_MISALIGNED;
	if ((s->flags & PMP_SLOT_GUEST_MEMFD) && (f->flags & PMP_FAULT_PRIVATE) &&
	    (s->base_gfn - s->gmem_offset / 4096) % pages)
		return PMP_REASON_MISALIGNED;
	for (i = head; i < head + pages; i++) {
		any |= m->page[i];
		all &= m->page[i];
		/* an unknown bit reads as mixed */
		unknown |= m->unknown[i / CHUNK];
	}
	any |= unknown;
	all &= (uint8_t)~unknown;
	/* the core tells an unknown 2 MiB apart; at 1 GiB it is just mixed */
	if (level == 2 && (unknown & (M_WTRACK | vtl_bits)))
		return PMP_REASON_POOL;
	if (any & M_WTRACK)
		return PMP_REASON_WRITE_TRACKED;
	if ((any ^ all) & M_PRIVATE)
		return PMP_REASON_MIXED_ATTRS;
	if ((any ^ all) & vtl_bits)
		return PMP_REASON_VTL_PROT;
	return PMP_REASON_NONE;
}

int model_max_level(const struct model *m, const struct pmp_fault *f, enum pmp_reason *why)
{
	const struct pmp_slot *s;
	int level;

	if (f->slot >= m->max_slots || f->flags & ~7U || f->vcpu >= 2 || f->vtl >= m->nr_vtls ||
	    f->backing_order > 63 || f->accept_level > 3)
		return -EINVAL;
	if (!m->in_use[f->slot])
		return -ENOENT;
	s = &m->slot[f->slot];
	if (f->gfn < s->base_gfn || f->gfn >= s->base_gfn + s->npages)
		return -EINVAL;
	*why = PMP_REASON_NONE;
	for (level = 3; level > 1; level--) {
		enum pmp_reason r = blocker(m, s, f, level);

		if (r == PMP_REASON_NONE)
			break;
		*why = r;
	}
	return level;
}

uint32_t model_giants_used(const struct model *m)
{
	return m->giants_used;
}
