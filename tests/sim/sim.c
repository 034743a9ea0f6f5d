// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The rules simulator (see sim.h): three levels of page-table entries, a
 * TLB epoch for TDX tracking, and the checks each action must pass.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim.h"

#define CHUNK 512ULL
#define GIANT (512ULL * 512ULL)
#define PRESENT 1U

static int fail(struct sim *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
	return -1;
}

void sim_init(struct sim *s, int vm_type, uint64_t pages)
{
	memset(s, 0, sizeof(*s));
	s->vm_type = vm_type;
	s->chunks = (pages + CHUNK - 1) / CHUNK;
	s->giants = (s->chunks + 511) / 512;
	s->pages = s->chunks * CHUNK;
	s->pte4 = calloc(s->pages, sizeof(uint32_t));
	s->pte2 = calloc(s->chunks, sizeof(uint32_t));
	s->pte1 = calloc(s->giants, sizeof(uint32_t));
	s->attr = calloc(s->pages, 1);
	s->accepted = calloc(s->pages, 1);
	s->pins = calloc(s->pages, 1);
	s->folio = calloc(s->chunks, 1);
	s->inhibit = calloc(s->chunks, 1);
	s->stale = calloc(s->pages, 1);
	s->vpte4[0] = s->pte4;
	s->vpte2[0] = s->pte2;
	s->vpte1[0] = s->pte1;
	s->nr_vtls = 1;
	s->epoch = 2;
	s->rng = 0x853c49e6748fea9bULL;
}

void sim_set_vtls(struct sim *s, uint32_t n)
{
	uint32_t v;

	for (v = s->nr_vtls; v < n && v < PMP_MAX_VTLS; v++) {
		s->vpte4[v] = calloc(s->pages, sizeof(uint32_t));
		s->vpte2[v] = calloc(s->chunks, sizeof(uint32_t));
		s->vpte1[v] = calloc(s->giants, sizeof(uint32_t));
		s->deny[v] = calloc(s->pages, 1);
		s->nr_vtls = v + 1;
	}
}

/* Point the view at VTL @v's tables: every action works on the view. */
static void view(struct sim *s, uint32_t v)
{
	s->vtl = v;
	s->pte4 = s->vpte4[v];
	s->pte2 = s->vpte2[v];
	s->pte1 = s->vpte1[v];
}

void sim_free(struct sim *s)
{
	uint32_t v;

	free(s->punch_wanted);
	free(s->data);
	for (v = 0; v < s->nr_vtls; v++) {
		free(s->vpte4[v]);
		free(s->vpte2[v]);
		free(s->vpte1[v]);
		free(s->deny[v]);
	}
	free(s->attr);
	free(s->accepted);
	free(s->pins);
	free(s->folio);
	free(s->inhibit);
	free(s->stale);
}

static bool blocked(uint32_t e)
{
	return e >= 2;
}

/* Blocked before the last TRACK: the TLBs can no longer hold it. */
static bool tracked(const struct sim *s, uint32_t e)
{
	return e >= 2 && e < s->epoch;
}

int sim_leaf_level(const struct sim *s, uint64_t gfn)
{
	if (s->pte1[gfn / GIANT])
		return 3;
	if (s->pte2[gfn / CHUNK])
		return 2;
	return s->pte4[gfn] ? 1 : 0;
}

int sim_vtl_leaf_level(const struct sim *s, uint32_t vtl, uint64_t gfn)
{
	if (s->vpte1[vtl][gfn / GIANT])
		return 3;
	if (s->vpte2[vtl][gfn / CHUNK])
		return 2;
	return s->vpte4[vtl][gfn] ? 1 : 0;
}

static uint32_t *leaf_entry(const struct sim *s, uint64_t gfn)
{
	if (s->pte1[gfn / GIANT])
		return &s->pte1[gfn / GIANT];
	if (s->pte2[gfn / CHUNK])
		return &s->pte2[gfn / CHUNK];
	return &s->pte4[gfn];
}

int sim_leaf_state(const struct sim *s, uint64_t gfn)
{
	uint32_t e = *leaf_entry(s, gfn);

	return !e ? 0 : blocked(e) ? 2 : 1;
}

static bool is_private(const struct sim *s, uint64_t gfn)
{
	return s->attr[gfn] & SA_PRIVATE;
}

static bool seamcall(const struct sim *s, uint64_t gfn)
{
	return s->vm_type == PMP_VM_TDX && is_private(s, gfn);
}

/* Split a leaf in place one level down; children inherit its state. */
static void split_down(struct sim *s, uint64_t gfn, int level)
{
	uint64_t i;

	if (level == 3) {
		uint64_t g = gfn / GIANT;

		for (i = g * 512; i < (g + 1) * 512 && i < s->chunks; i++)
			s->pte2[i] = s->pte1[g];
		s->pte1[g] = 0;
	} else if (level == 2) {
		uint64_t c = gfn / CHUNK;

		for (i = c * CHUNK; i < (c + 1) * CHUNK; i++)
			s->pte4[i] = s->pte2[c];
		s->pte2[c] = 0;
	}
}

static uint64_t level_pages(int level)
{
	return 1ULL << (9 * (level - 1));
}

/* Losing an accepted TDX private page is only fine when the guest gave it up. */
static int check_zap_page(struct sim *s, const struct pmp_action *a, uint64_t gfn)
{
	bool inside = gfn >= a->gfn && gfn < a->gfn + a->npages;
	bool discards = a->cause == PMP_CAUSE_CONVERT || a->cause == PMP_CAUSE_PUNCH ||
			a->cause == PMP_CAUSE_TEARDOWN;

	if (s->vm_type == PMP_VM_TDX && is_private(s, gfn) && s->accepted[gfn] &&
	    !(inside && discards))
		return fail(s, "zap (%s) loses accepted private page %#llx",
			    pmp_cause_name(a->cause), (unsigned long long)gfn);
	return 0;
}

/* Does a ZAP's attribute filter take the leaf mapping page @i? */
static bool filter_takes(const struct sim *s, const struct pmp_action *a, uint64_t i)
{
	bool private = s->attr[i] & SA_PRIVATE;

	if (a->type != PMP_ACT_ZAP || !a->attr_filter || a->attr_filter == PMP_ZAP_FILTER_BOTH)
		return true;
	return a->attr_filter == PMP_ZAP_FILTER_PRIVATE ? private : !private;
}

static int zap(struct sim *s, const struct pmp_action *a)
{
	uint64_t end = a->gfn + a->npages, i, g, c;

	for (g = a->gfn / GIANT; g <= (end - 1) / GIANT; g++) {
		if (!s->pte1[g] || !filter_takes(s, a, g * GIANT))
			continue;
		for (i = g * GIANT; i < (g + 1) * GIANT && i < s->pages; i++)
			if (check_zap_page(s, a, i))
				return -1;
		s->pte1[g] = 0;
	}
	for (c = a->gfn / CHUNK; c <= (end - 1) / CHUNK; c++) {
		if (!s->pte2[c] || !filter_takes(s, a, c * CHUNK))
			continue;
		for (i = c * CHUNK; i < (c + 1) * CHUNK; i++)
			if (check_zap_page(s, a, i))
				return -1;
		s->pte2[c] = 0;
	}
	for (i = a->gfn; i < end; i++) {
		if (!filter_takes(s, a, i))
			continue;
		if (s->pte4[i] && check_zap_page(s, a, i))
			return -1;
		s->pte4[i] = 0;
	}
	return 0;
}

/*
 * A punch (after every VTL's leaves went, see sim_apply()): the leaves go, the pages' contents (data generation) and
 * acceptance with them, and a partly punched 2 MiB folio is split.  Only
 * pages the driver asked to punch may be invalidated, until teardown.
 */
static int invalidate(struct sim *s, const struct pmp_action *a)
{
	uint64_t end = a->gfn + a->npages, i, c;

	for (i = a->gfn; i < end; i++) {
		if (s->punch_wanted && !s->punch_wanted[i] && a->cause != PMP_CAUSE_TEARDOWN)
			return fail(s, "invalidate touches %#llx, which was never punched",
				    (unsigned long long)i);
		if (s->punch_wanted)
			s->punch_wanted[i] = 0;
		if (s->data)
			s->data[i] = 0;
		s->accepted[i] = 0;
		/* teardown frees the whole VM: no vCPU is left to hold a TLB entry */
		if (a->cause != PMP_CAUSE_TEARDOWN && !s->stale[i]) {
			s->stale[i] = 1;
			s->nr_stale++;
		}
	}
	/* a partly punched 1 GiB folio falls apart into 2 MiB ones */
	for (c = a->gfn / GIANT * 512; c < ((end - 1) / GIANT + 1) * 512 && c < s->chunks; c++)
		if (s->folio[c] == 18)
			s->folio[c] = 9;
	for (c = a->gfn / CHUNK; c <= (end - 1) / CHUNK; c++)
		s->folio[c] = a->gfn <= c * CHUNK && end >= (c + 1) * CHUNK ? 9 : 0;
	s->invalidations++;
	return 0;
}

/*
 * Split (or demote) the @level leaves in @pte (@size pages each) that
 * intersect [gfn, end).  Returns how many, or -1 once the rules refuse one.
 */
static int split_leaves(struct sim *s, uint32_t *pte, uint64_t size, int level, uint64_t gfn,
			uint64_t end, bool demote)
{
	const char *name = level == 3 ? "1G" : "2M";
	int done = 0;

	for (uint64_t i = gfn / size; i <= (end - 1) / size; i++) {
		if (!pte[i])
			continue;
		if (demote ? !tracked(s, pte[i]) && seamcall(s, i * size) : seamcall(s, i * size))
			return fail(s, "%s of a %s private leaf at %#llx %s",
				    demote ? "demote" : "split", name, (unsigned long long)(i * size),
				    demote ? "not blocked and tracked" : "without block/demote");
		if (demote)
			pte[i] = PRESENT;
		split_down(s, i * size, level);
		done++;
	}
	return done;
}

/* SPLIT/DEMOTE: leaves above @target intersecting the range go down; how many. */
static int split(struct sim *s, const struct pmp_action *a, int target, bool demote)
{
	uint64_t end = a->gfn + a->npages;
	bool do1g = demote ? a->level == 3 : target < 3;
	bool do2m = demote ? a->level == 2 : target < 2;
	int n, done = 0;

	if (do1g) {
		n = split_leaves(s, s->pte1, GIANT, 3, a->gfn, end, demote);
		if (n < 0)
			return n;
		done += n;
	}
	if (do2m) {
		n = split_leaves(s, s->pte2, CHUNK, 2, a->gfn, end, demote);
		if (n < 0)
			return n;
		done += n;
	}
	return done;
}

/* BLOCK/UNBLOCK: every leaf of exactly @level in the range; how many changed. */
static int block(struct sim *s, const struct pmp_action *a, bool on)
{
	uint64_t end = a->gfn + a->npages, i;
	int done = 0;

	for (i = a->gfn; i < end; i++) {
		uint32_t *e = leaf_entry(s, i);

		if (!*e || sim_leaf_level(s, i) != a->level)
			continue;
		if (on && !blocked(*e)) {
			*e = s->epoch;
			done++;
		} else if (!on && blocked(*e)) {
			*e = PRESENT;
			done++;
		}
	}
	return done;
}

static int promote(struct sim *s, const struct pmp_action *a)
{
	uint64_t pages = level_pages(a->level), head = a->gfn & ~(pages - 1), i;
	bool tdx = seamcall(s, head), snp = s->vm_type == PMP_VM_SNP && is_private(s, head);

	for (i = head; i < head + pages; i++) {
		int lvl = sim_leaf_level(s, i);
		uint32_t e = *leaf_entry(s, i);

		if ((tdx || snp) && lvl != a->level - 1)
			return fail(s, "promote to %d: page %#llx is at level %d", a->level,
				    (unsigned long long)i, lvl);
		if (tdx && !tracked(s, e))
			return fail(s, "promote: page %#llx not blocked and tracked",
				    (unsigned long long)i);
		if ((tdx || snp) && !s->accepted[i])
			return fail(s, "promote: page %#llx is pending", (unsigned long long)i);
	}
	if (a->level == 3) {
		memset(&s->pte2[head / CHUNK], 0, 512 * sizeof(uint32_t));
		s->pte1[head / GIANT] = PRESENT;
	} else {
		memset(&s->pte4[head], 0, CHUNK * sizeof(uint32_t));
		s->pte2[head / CHUNK] = PRESENT;
	}
	return sim_check_leaves(s, head, pages);
}

static int map(struct sim *s, const struct pmp_action *a)
{
	uint64_t head = a->gfn;

	if (a->level < 3 && s->pte1[head / GIANT])
		split_down(s, head, 3);
	if (a->level < 2 && s->pte2[head / CHUNK])
		split_down(s, head, 2);
	if (a->level == 3) {
		memset(&s->pte2[head / CHUNK], 0, 512 * sizeof(uint32_t));
		memset(&s->pte4[head], 0, GIANT * sizeof(uint32_t));
		s->pte1[head / GIANT] = PRESENT;
	} else if (a->level == 2) {
		memset(&s->pte4[head], 0, CHUNK * sizeof(uint32_t));
		s->pte2[head / CHUNK] = PRESENT;
	} else {
		s->pte4[head] = PRESENT;
	}
	s->faults++;
	return sim_check_leaves(s, head, a->npages);
}

static int pin(struct sim *s, const struct pmp_action *a, bool on)
{
	uint64_t i;

	/* before teardown, only a memslot's zap unpins, and never a mapped page */
	for (i = a->gfn; !on && a->cause == PMP_CAUSE_ZAP && i < a->gfn + a->npages; i++)
		if (sim_leaf_state(s, i))
			return fail(s, "unpin of %#llx, still mapped", (unsigned long long)i);
	if (!on && a->cause != PMP_CAUSE_TEARDOWN && a->cause != PMP_CAUSE_ZAP)
		return fail(s, "unpin before teardown (%s) at %#llx", pmp_cause_name(a->cause),
			    (unsigned long long)a->gfn);
	for (i = a->gfn; i < a->gfn + a->npages; i++) {
		if (on ? s->pins[i] : !s->pins[i])
			return fail(s, "%s page %#llx %s", on ? "pin" : "unpin",
				    (unsigned long long)i, on ? "twice" : "not pinned");
		s->pins[i] = on;
		s->nr_pinned += on ? 1 : -1;
	}
	return 0;
}

/* TLB entries of freed pages are gone. */
static int flush(struct sim *s, const struct pmp_action *a)
{
	uint64_t i;

	for (i = a->gfn; i < a->gfn + a->npages; i++) {
		s->nr_stale -= s->stale[i];
		s->stale[i] = 0;
	}
	return 0;
}

/* SEAMCALLs can be busy; nothing changes then, and the caller retries. */
static bool inject_busy(struct sim *s, const struct pmp_action *a)
{
	if (!s->busy_percent || !seamcall(s, a->gfn) || a->type == PMP_ACT_PIN ||
	    a->type == PMP_ACT_UNPIN || a->type == PMP_ACT_FLUSH)
		return false;
	s->seamcalls++;
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	if (s->rng % 100 >= s->busy_percent)
		return false;
	s->busy++;
	return true;
}

/* A page-table action on VTL @v's tables (the view is @v's). */
static int apply_vtl(struct sim *s, const struct pmp_action *a, uint32_t v)
{
	view(s, v);
	switch (a->type) {
	case PMP_ACT_ZAP:
	case PMP_ACT_INVALIDATE:
		return zap(s, a);
	case PMP_ACT_SPLIT:
		return split(s, a, a->level, false);
	case PMP_ACT_DEMOTE:
		return split(s, a, a->level - 1, true);
	case PMP_ACT_BLOCK:
		return block(s, a, true);
	case PMP_ACT_UNBLOCK:
		return block(s, a, false);
	case PMP_ACT_PROMOTE:
		return promote(s, a);
	case PMP_ACT_MAP:
		return map(s, a);
	default:
		return fail(s, "unknown action %u", a->type);
	}
}

/*
 * Apply a page-table action to the VTL it names, or to every VTL; a
 * DEMOTE, BLOCK or UNBLOCK must find a leaf in at least one of them.  The
 * view returns to VTL 0 so that sim_leaf_level() and friends see it.
 */
static int apply_tables(struct sim *s, const struct pmp_action *a)
{
	uint32_t v = a->vtl == PMP_VTL_ALL ? 0 : a->vtl;
	uint32_t last = a->vtl == PMP_VTL_ALL ? s->nr_vtls : v + 1;
	int ret = 0, found = 0;

	for (; v < last && ret >= 0; v++) {
		ret = apply_vtl(s, a, v);
		found += ret > 0;
	}
	view(s, 0);
	if (ret < 0)
		return ret;
	if (a->type == PMP_ACT_INVALIDATE)
		return invalidate(s, a);
	if (!found && a->type == PMP_ACT_UNBLOCK && s->maybe_mapped &&
	    s->maybe_mapped(s->maybe_ctx, a->vtl == PMP_VTL_ALL ? 0 : a->vtl, a->gfn)) {
		s->maybe_unblocks++;
		return 0;
	}
	if (!found && (a->type == PMP_ACT_DEMOTE || a->type == PMP_ACT_BLOCK ||
		       a->type == PMP_ACT_UNBLOCK))
		return fail(s, "%s found no leaf to change at %#llx in VTL %d",
			    pmp_action_name(a->type), (unsigned long long)a->gfn,
			    a->vtl == PMP_VTL_ALL ? -1 : (int)a->vtl);
	return 0;
}

int sim_apply(struct sim *s, const struct pmp_action *a)
{
	if (!a->npages || a->gfn + a->npages > s->pages)
		return fail(s, "%s out of range: %#llx+%#llx", pmp_action_name(a->type),
			    (unsigned long long)a->gfn, (unsigned long long)a->npages);
	/* actions that concern no page table concern no single VTL either */
	if (a->vtl != PMP_VTL_ALL && (a->vtl >= PMP_MAX_VTLS || a->type == PMP_ACT_PIN ||
				      a->type == PMP_ACT_UNPIN || a->type == PMP_ACT_FLUSH ||
				      a->type == PMP_ACT_INVALIDATE))
		return fail(s, "%s names VTL %u", pmp_action_name(a->type), a->vtl);
	if (a->vtl != PMP_VTL_ALL && a->vtl >= s->nr_vtls)
		return fail(s, "%s names VTL %u of a VM with %u", pmp_action_name(a->type), a->vtl,
			    s->nr_vtls);
	if (inject_busy(s, a))
		return -EBUSY;
	switch (a->type) {
	case PMP_ACT_PIN:
		return pin(s, a, true);
	case PMP_ACT_UNPIN:
		return pin(s, a, false);
	case PMP_ACT_TRACK:
		s->epoch++;	/* one TLB epoch for the VM: every VTL's vCPUs */
		return 0;
	case PMP_ACT_FLUSH:
		return flush(s, a);
	default:
		break;
	}
	return apply_tables(s, a);
}

int sim_apply_all(struct sim *s, const struct pmp_actions *acts)
{
	uint32_t i;
	int tries, err;

	for (i = 0; i < acts->nr; i++) {
		for (tries = 0; (err = sim_apply(s, &acts->buf[i])) == -EBUSY; tries++)
			if (tries > 100)
				return fail(s, "busy forever");
		if (err)
			return err;
	}
	/* a caller following the actions frees memory only after the flush */
	if (s->nr_stale) {
		uint64_t g;

		for (g = 0; g < s->pages && !s->stale[g]; g++)
			;
		return fail(s, "%llu invalidated pages never flushed, the first %#llx",
			    (unsigned long long)s->nr_stale, (unsigned long long)g);
	}
	return 0;
}

void sim_set_attr(struct sim *s, uint64_t gfn, uint64_t n, uint8_t mask, uint8_t value)
{
	uint64_t i;

	for (i = gfn; i < gfn + n; i++)
		s->attr[i] = (uint8_t)((s->attr[i] & ~mask) | (value & mask));
}

void sim_set_prot(struct sim *s, uint32_t vtl, uint64_t gfn, uint64_t n, unsigned int prot)
{
	uint8_t deny = (uint8_t)((~prot & 7) << 2);

	if (!vtl)
		sim_set_attr(s, gfn, n, SA_VTL0, deny);
	else
		memset(&s->deny[vtl][gfn], deny, n);
}

void sim_unaccept(struct sim *s, uint64_t gfn, uint64_t n)
{
	memset(&s->accepted[gfn], 0, n);
}

/*
 * The guest accepted [gfn, +level): a 4 KiB accept inhibits its 2 MiB
 * range; inhibit=clear lifts that once every page there is accepted and
 * private.
 */
void sim_accept(struct sim *s, uint64_t gfn, int level)
{
	uint64_t pages = level_pages(level), c, i;

	for (i = gfn; i < gfn + pages; i++)
		s->accepted[i] = (uint8_t)level;
	if (level == 1)
		s->inhibit[gfn / CHUNK] = 1;
	for (c = gfn / CHUNK; c < (gfn + pages + CHUNK - 1) / CHUNK; c++) {
		uint8_t priv = s->attr[c * CHUNK] & SA_PRIVATE;
		bool all = s->inhibit_clear;

		for (i = c * CHUNK; all && i < (c + 1) * CHUNK; i++)
			all = s->accepted[i] && (s->attr[i] & SA_PRIVATE) == priv;
		if (all)
			s->inhibit[c] = 0;
	}
}

static const struct pmp_slot *slot_of(const struct sim *s, uint64_t gfn)
{
	int i;

	for (i = 0; i < SIM_MAX_SLOTS; i++)
		if (s->in_use[i] && gfn - s->slot[i].base_gfn < s->slot[i].npages)
			return &s->slot[i];
	return NULL;
}

/*
 * One huge leaf of the view's VTL against every rule a huge mapping must
 * obey: privacy and write tracking bind every VTL's leaves, a VTL's
 * protections (SA_VTL0 for VTL 0, @deny for the others) only its own.
 */
static int check_leaf(struct sim *s, uint64_t head, int level)
{
	uint64_t pages = level_pages(level), i;
	const struct pmp_slot *sl = slot_of(s, head);
	uint8_t a0 = s->attr[head], mixed = s->vtl ? SA_PRIVATE : SA_PRIVATE | SA_VTL0;

	if (!sl || head + pages > sl->base_gfn + sl->npages)
		return fail(s, "level %d leaf at %#llx crosses a memslot", level,
			    (unsigned long long)head);
	if ((sl->base_gfn ^ (sl->userspace_addr >> 12)) & (pages - 1))
		return fail(s, "level %d leaf at %#llx misaligned", level, (unsigned long long)head);
	if (sl->flags & PMP_SLOT_DIRTY_LOG)
		return fail(s, "level %d leaf at %#llx under dirty logging", level,
			    (unsigned long long)head);
	for (i = head; i < head + pages; i += CHUNK) {
		if (s->folio[i / CHUNK] < 9 * (level - 1))
			return fail(s, "level %d leaf at %#llx above its host folio (order %u)", level,
				    (unsigned long long)head, s->folio[i / CHUNK]);
		if (s->inhibit[i / CHUNK])
			return fail(s, "level %d leaf at %#llx over a 4K-accepted range", level,
				    (unsigned long long)head);
	}
	for (i = head; i < head + pages; i++) {
		if ((s->attr[i] ^ a0) & mixed || (s->attr[i] & SA_WTRACK) ||
		    (s->vtl && s->deny[s->vtl][i] != s->deny[s->vtl][head]))
			return fail(s, "level %d leaf at %#llx over mixed attributes at %#llx", level,
				    (unsigned long long)head, (unsigned long long)i);
	}
	return 0;
}

int sim_check_leaves(struct sim *s, uint64_t gfn, uint64_t n)
{
	uint64_t end = gfn + n, g, c;

	for (g = gfn / GIANT; g <= (end - 1) / GIANT && g < s->giants; g++)
		if (s->pte1[g] && check_leaf(s, g * GIANT, 3))
			return -1;
	for (c = gfn / CHUNK; c <= (end - 1) / CHUNK && c < s->chunks; c++)
		if (!s->pte1[c / 512] && s->pte2[c] && check_leaf(s, c * CHUNK, 2))
			return -1;
	return 0;
}
