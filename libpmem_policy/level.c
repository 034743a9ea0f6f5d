// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The fault-time large-page decision.  O(1): one memslot, one 2 MiB
 * verdict, one 1 GiB verdict.  Every check is monotone in the level (what
 * stops 2 MiB stops 1 GiB); the answer is the largest level no check stops,
 * and the reason the first check, in check order, that stops the level
 * above it.  The state changes pay for the fault: the memslot keeps its
 * verdict per fault flags, the 1 GiB summary its verdict per VTL and every
 * 2 MiB chunk a verdict byte per VTL, and the memslot names its compact
 * giants, so a fault reads the memslot, one entry of its run, those two
 * bytes (independent loads, as KVM's two lpage_info levels) and its own
 * fields: no directory walk and no chunk descriptor.
 */
#include "decide.h"

#define WTRACK PMP_BIT(PMP_PLANE_WTRACK)
#define PRIVATE PMP_BIT(PMP_PLANE_PRIVATE)

/* Largest level at which gfn and backing offset agree (KVM's ugfn rule). */
static int align_level(uint64_t base_gfn, uint64_t offset)
{
	uint64_t diff = base_gfn ^ (offset >> PMP_PAGE_SHIFT);

	if (!(diff & ((1ULL << PMP_GIANT_SHIFT) - 1)))
		return PMP_LEVEL_1G;
	return diff & (PMP_CHUNK_PAGES - 1) ? PMP_LEVEL_4K : PMP_LEVEL_2M;
}

/* The reasons of the keys of a level: each rank's (decide.h's ranks). */
#define LEVEL_REASONS(level) \
	[KEY(level, R_NONE)] = PMP_REASON_NONE, [KEY(level, R_CAP)] = PMP_REASON_POLICY_CAP, \
	[KEY(level, R_DIRTY)] = PMP_REASON_DIRTY_LOG, \
	[KEY(level, R_NX)] = PMP_REASON_NX_HUGE_PAGE, \
	[KEY(level, R_BACKING)] = PMP_REASON_BACKING_ORDER, \
	[KEY(level, R_ACCEPT)] = PMP_REASON_GUEST_ACCEPT, \
	[KEY(level, R_FIT)] = PMP_REASON_SLOT_BOUNDARY, \
	[KEY(level, R_ALIGN)] = PMP_REASON_MISALIGNED, [KEY(level, R_POOL)] = PMP_REASON_POOL, \
	[KEY(level, R_WTRACK)] = PMP_REASON_WRITE_TRACKED, \
	[KEY(level, R_MIXED)] = PMP_REASON_MIXED_ATTRS, [KEY(level, R_VTL)] = PMP_REASON_VTL_PROT

/* The reason each key names, indexed by the whole key: no mask on the fault path. */
const uint8_t pmp_key_reason[PMP_FAULT_KEY_MAX + 1] = {
	LEVEL_REASONS(PMP_LEVEL_4K), LEVEL_REASONS(PMP_LEVEL_2M), [KEY_NONE] = PMP_REASON_NONE,
};

/*
 * The verdict of everything a fault's memslot and the VM's policy decide,
 * per fault kind (exec, private): the policy cap, dirty logging, the NX huge
 * page mitigation, alignment.  Kept in the slot by pmp_slot_prepare()
 * whenever one of them changes, so a fault reads one byte for four checks.
 */
static uint8_t slot_key(const struct pmp_vm *vm, const struct pmp_slot_state *st,
			unsigned int kind)
{
	unsigned int k = KEY_NONE;

	if (vm->policy.max_level < PMP_LEVEL_1G)
		k = KEY(vm->policy.max_level, R_CAP);
	if (st->slot.flags & PMP_SLOT_DIRTY_LOG)
		k = key_min(k, KEY(PMP_LEVEL_4K, R_DIRTY));
	if ((kind & KIND_EXEC) && vm->policy.nx_huge_pages)
		k = key_min(k, KEY(PMP_LEVEL_4K, R_NX));
	if (st->align_level[!!(kind & KIND_PRIVATE)] < PMP_LEVEL_1G)
		k = key_min(k, KEY(st->align_level[!!(kind & KIND_PRIVATE)], R_ALIGN));
	return (uint8_t)k;
}

/*
 * Cache what a slot's edges and alignment allow, when it is created or
 * moved: the 2 MiB chunks wholly inside it, [chunk_lo, chunk_lo +
 * chunk_len) (its whole 1 GiB ranges come with its run of giants:
 * pmp_state_slot_map()), and the largest level alignment allows a shared
 * ([0]) and a private ([1]) fault.  [1] equals [0] unless the slot has a
 * guest_memfd.  Then the verdicts of slot_key() per fault flags.  Called
 * again whenever the slot's flags or the VM's policy change.
 */
void pmp_slot_prepare(const struct pmp_vm *vm, struct pmp_slot_state *st)
{
	const struct pmp_slot *s = &st->slot;
	int shared = align_level(s->base_gfn, s->userspace_addr), private = shared;
	uint64_t lo = (s->base_gfn + PMP_CHUNK_PAGES - 1) >> PMP_CHUNK_SHIFT;
	uint64_t hi = (s->base_gfn + s->npages) >> PMP_CHUNK_SHIFT;
	unsigned int flags;

	st->chunk_lo = (uint32_t)lo;
	st->chunk_len = (uint32_t)(hi > lo ? hi - lo : 0);

	if (s->flags & PMP_SLOT_GUEST_MEMFD) {
		int gmem = align_level(s->base_gfn, s->gmem_offset);

		private = gmem < shared ? gmem : shared;
	}
	st->align_level[0] = (uint8_t)shared;
	st->align_level[1] = (uint8_t)private;
	for (flags = 0; flags <= PMP_FAULT_FLAGS_ALL; flags++)
		st->key[flags] = slot_key(vm, st, flags >> 1);
}

/* Every slot in use, after a policy change. */
void pmp_slots_prepare(struct pmp_vm *vm)
{
	uint32_t i;

	for (i = 0; i < vm->max_slots; i++)
		if (pmp_slots(vm)[i].in_use)
			pmp_slot_prepare(vm, &pmp_slots(vm)[i]);
}

/* What stops 2 MiB for a VTL whose protections are @planes, in check order. */
static unsigned int attr_key(uint16_t uniform, uint16_t value, uint16_t planes, int level)
{
	uint16_t bad = (uint16_t)((~uniform & (WTRACK | PRIVATE | planes)) | (value & WTRACK));

	if (!bad)
		return KEY_NONE;
	return bad & WTRACK ? KEY(level, R_WTRACK) :
	       bad & PRIVATE ? KEY(level, R_MIXED) : KEY(level, R_VTL);
}

/*
 * A 1 GiB summary's verdict per VTL: deferred punches in a child stop a
 * 1 GiB folio's mapping at 2 MiB (backing order), a child accepted at
 * 4 KiB stops 1 GiB (guest accept), then the attributes.  Any other fault
 * is stopped at 2 MiB by its own folio first (a smaller rank), so the
 * verdict holds for every fault.
 */
void pmp_giant_verdict(struct pmp_giant *g)
{
	unsigned int v, k = KEY_NONE;

	if (g->nr_deferred)
		k = KEY(PMP_LEVEL_2M, R_BACKING);
	else if (g->nr_inhibit)
		k = KEY(PMP_LEVEL_2M, R_ACCEPT);
	for (v = 0; v < PMP_MAX_VTLS; v++)
		g->key[v] = (uint8_t)key_min(k, attr_key(g->uniform, g->value,
							 PMP_VTL_PLANES(v), PMP_LEVEL_2M));
}

/*
 * What a 2 MiB chunk stops, in check order, when one look says it may
 * stop something: deferred punches (backing order), a page accepted at
 * 4 KiB (guest accept), a lossy plane the pool could not hold (unknown:
 * read as mixed, planes.c), then the attributes.  Off the common path.
 */
static unsigned int __attribute__((__noinline__))
chunk_key(const struct pmp_chunk *c, uint16_t planes)
{
	if (c->blocks & PMP_CF_DEFERRED)
		return KEY(PMP_LEVEL_4K, R_BACKING);
	if (c->blocks & PMP_CF_INHIBIT)
		return KEY(PMP_LEVEL_4K, R_ACCEPT);
	if (c->value & c->mixed & (planes | WTRACK))
		return KEY(PMP_LEVEL_4K, R_POOL);
	return attr_key((uint16_t)~c->mixed, c->value, planes, PMP_LEVEL_4K);
}

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "level.c reads a chunk and a fault's fields as little-endian words"
#endif

/* A chunk's word: value, mixed, then blocks and flags. */
#define CHUNK_WTRACK ((uint64_t)WTRACK)
#define CHUNK_MIXED(planes) ((uint64_t)(planes) << 16)
#define CHUNK_FLAGS(flags) ((uint64_t)(flags) << 32)
/* A chunk that may stop 2 MiB: chunk_key() tells what does. */
#define CHUNK_SUSPECT (CHUNK_WTRACK | CHUNK_MIXED((1U << PMP_NR_SUMMARY_PLANES) - 1) | \
		       CHUNK_FLAGS(PMP_CF_INHIBIT | PMP_CF_DEFERRED))

/* What a chunk's own state stops for VTL @vtl's faults: its verdict byte. */
uint8_t pmp_chunk_verdict_key(const struct pmp_chunk *c, unsigned int vtl)
{
	uint64_t word;

	pmp_memcpy(&word, c, sizeof(word));
	return (uint8_t)(word & CHUNK_SUSPECT ? chunk_key(c, PMP_VTL_PLANES(vtl)) : KEY_NONE);
}

/*
 * Chunk @c (compact) changed what it stops: its verdict bytes follow.  The
 * state changes call it (planes.c), so the fault reads one byte.
 */
void pmp_chunk_verdict(struct pmp_vm *vm, const struct pmp_chunk *c)
{
	uint64_t i = (uint64_t)(c - pmp_cchunks(vm));
	unsigned int v;

	for (v = 0; v < vm->nr_vtls; v++)
		pmp_verdicts(vm, v)[i] = pmp_chunk_verdict_key(c, v);
}

/*
 * The same for the VTLs whose protections meet @planes (a merge's
 * question, off the fault path): every such VTL's 1 GiB verdict, and the
 * chunk's key for @planes, found through the directory.
 */
static unsigned int planes_key(const struct pmp_vm *vm, const struct pmp_slot_state *st,
			       const struct pmp_fault *f, uint16_t planes)
{
	struct pmp_giant *g;
	const struct pmp_chunk *c = pmp_chunk_giant(vm, f->gfn, &g);
	unsigned int k = st->key[f->flags], v;	/* valid: at most PMP_FAULT_FLAGS_ALL */
	uint64_t word;

	for (v = 0; v < vm->nr_vtls; v++)
		if (planes & PMP_VTL_PLANES(v))
			k = key_min(k, g->key[v]);
	pmp_memcpy(&word, c, sizeof(word));
	if (word & CHUNK_SUSPECT)
		k = key_min(k, chunk_key(c, planes));
	return fault_own_key(st, f, k);
}

int pmp_fault_level(const struct pmp_vm *vm, const struct pmp_slot *s,
		    const struct pmp_fault *f, uint16_t planes, enum pmp_reason *why)
{
	/* every slot lives in a pmp_slot_state */
	unsigned int k = planes_key(vm, (const struct pmp_slot_state *)s, f, planes);

	*why = (enum pmp_reason)pmp_key_reason[k];
	return (int)(k >> 4);
}

/* What is wrong with a fault pmp_fault_valid() refused. */
int pmp_fault_error(const struct pmp_vm *vm, const struct pmp_fault *f)
{
	if (f->slot >= vm->max_slots)
		return -EINVAL;
	return pmp_slots(vm)[f->slot].in_use ? -EINVAL : -ENOENT;
}

/*
 * The complement of the lanes' largest valid values with their top bits
 * set, and those top bits, for pmp_fault_lanes_bad(): every limit is below
 * its lane's top bit (4096 vCPUs, 3 VTLs, order 63, flags 7), so one
 * subtraction compares the four lanes without a borrow between them, and
 * lanes + ~limit is ~(limit - lanes): one add.
 */
void pmp_fault_prepare(struct pmp_vm *vm)
{
	vm->fault_lane_tops = PMP_FAULT_LANE_TOPS;
	vm->fault_lanes = ~(PMP_FAULT_LANE_TOPS | PMP_FAULT_FLAGS_ALL |
			    (uint64_t)(vm->nr_vcpus - 1) << 32 |
			    (uint64_t)(vm->nr_vtls - 1) << 48 | 63ULL << 56);
}

int pmp_fault_check(const struct pmp_vm *vm, const struct pmp_fault *f,
		    const struct pmp_slot **slot)
{
	const struct pmp_slot_state *st = NULL;
	int err = pmp_fault_valid(vm, f, &st);

	if (!err)
		*slot = &st->slot;
	return err;
}

/*
 * pmp_map()'s check: the fault valid, its memslot, and the level its own
 * VTL may have (what pmp_max_level() decides, not counted again).
 */
int pmp_fault_decide(const struct pmp_vm *vm, const struct pmp_fault *f,
		     const struct pmp_slot **slot, enum pmp_reason *why)
{
	const struct pmp_slot_state *st = NULL;
	unsigned int k;
	int err = pmp_fault_valid(vm, f, &st);

	if (pmp_unlikely(err))
		return err;
	k = fault_key(vm, st, f, f->vtl);
	*slot = &st->slot;
	*why = (enum pmp_reason)pmp_key_reason[k];
	return (int)(k >> 4);
}

/*
 * pmp_max_level() of any fault: the full check, the key, the count.  Out
 * of line, so the common path keeps its registers and calls nothing.
 */
static int __attribute__((__noinline__))
max_level_checked(struct pmp_vm *vm, const struct pmp_fault *f, enum pmp_reason *why)
{
	const struct pmp_slot_state *s = NULL;
	unsigned int k;
	int err = pmp_fault_valid(vm, f, &s);

	if (pmp_unlikely(err))
		return err;
	k = fault_key(vm, s, f, f->vtl);
	decision_note(vm, f, k, why);
	return key_level(k);
}

/*
 * One counter write per decision: decision_note().  The common fault
 * (inside one of its memslot's whole 1 GiB ranges, no accept level) takes
 * the lean decision's body: its lanes (flags, vCPU, VTL, folio order) and
 * slot number checked, no accept level (so a valid one), the gfn's 1 GiB
 * in the slot's window of whole ones (so inside the slot, and no edge
 * stops it; the same offset finds its run entry), then the folio's own cap
 * as fault_own_key() applies it.  Any other fault takes pmp_fault_valid()
 * and fault_key(): the same checks in the same order, the same key.
 */
int pmp_max_level(struct pmp_vm *vm, const struct pmp_fault *f, enum pmp_reason *why)
{
	const struct pmp_slot_state *s;
	uint64_t chunk, g, summary, k;

	if (pmp_unlikely(pmp_fault_lanes_bad(vm, f) || f->slot >= vm->max_slots ||
			 f->accept_level))
		return max_level_checked(vm, f, why);
	s = &pmp_slots(vm)[f->slot];
	chunk = f->gfn >> PMP_CHUNK_SHIFT;
	/* one shift of the gfn feeds both indices (the compiler would shift it twice) */
	__asm__("" : "+r"(chunk));
	g = chunk >> (PMP_GIANT_SHIFT - PMP_CHUNK_SHIFT);
	if (pmp_unlikely(g - s->giant_lo >= s->giant_len))
		return max_level_checked(vm, f, why);
	summary = pmp_slot_summary(vm, s, g);
	/* the flags' lane is checked: at most PMP_FAULT_FLAGS_ALL */
	k = key_min(s->key[f->flags], giant_verdict(vm, vm->off_gverdict[f->vtl], summary));
	k = key_min(k, chunk_verdict(vm, vm->off_verdict[f->vtl], summary, chunk));
	k = backing_key(f->backing_order, k);
	decision_note(vm, f, k, why);
	return key_level(k);
}

/*
 * What struct pmp_fault_slot holds: byte offsets into the VM (its arrays
 * never move), so a lean decision reads no VM header field but the
 * memslots' run of compact giants.
 */
struct fault_slot {
	uint64_t slot_off;	/* the memslot's struct pmp_slot_state */
	uint64_t gkey_off;	/* the VTL's 1 GiB verdicts (vm->off_gverdict[]) */
	uint64_t verdict_off;	/* the VTL's verdict bytes (pmp_verdicts()) */
};

_Static_assert(sizeof(struct fault_slot) == sizeof(struct pmp_fault_slot),
	       "struct pmp_fault_slot holds a struct fault_slot");

int pmp_fault_slot_init(const struct pmp_vm *vm, uint32_t slot, unsigned int vtl,
			struct pmp_fault_slot *fs)
{
	struct fault_slot h;

	if (slot >= vm->max_slots || vtl >= vm->nr_vtls)
		return -EINVAL;
	if (!pmp_slots(vm)[slot].in_use)
		return -ENOENT;
	h.slot_off = vm->off_slots + (uint64_t)slot * sizeof(struct pmp_slot_state);
	h.gkey_off = vm->off_gverdict[vtl];
	h.verdict_off = vm->off_verdict[vtl];
	pmp_memcpy(fs, &h, sizeof(h));
	return 0;
}

/*
 * fault_key() with the fault's folio and accept level allowing 1 GiB and
 * the VTL's arrays named by the handle: the memslot's verdict for the
 * kind, the 1 GiB summary's and the 2 MiB chunk's verdicts, its edges.
 */
int pmp_fault_slot_level(const struct pmp_vm *vm, const struct pmp_fault_slot *fs,
			 uint64_t gfn, uint32_t flags)
{
	const struct fault_slot *h = (const struct fault_slot *)fs;
	const struct pmp_slot_state *st = pmp_at(vm, h->slot_off);
	uint64_t summary, k;

	if (pmp_unlikely(gfn - st->slot.base_gfn >= st->slot.npages ||
			 (flags & ~PMP_FAULT_FLAGS_ALL)))
		return st->in_use ? -EINVAL : -ENOENT;
	summary = pmp_slot_summary(vm, st, gfn >> PMP_GIANT_SHIFT);
	k = key_min(st->key[flags], giant_verdict(vm, h->gkey_off, summary));
	k = key_min(k, chunk_verdict(vm, h->verdict_off, summary, gfn >> PMP_CHUNK_SHIFT));
	return key_level(fit_key(st, gfn, k));
}

/*
 * pmp_max_level()'s answer without its count: a caller that asks before
 * the fault's real decision (the module sizing the pins of a leaf ahead of
 * KVM's fault) must not count that fault twice.  Off the fault path: the
 * out-of-line check and decision pmp_map() uses.
 */
int pmp_level_query(const struct pmp_vm *vm, const struct pmp_fault *f, enum pmp_reason *why)
{
	const struct pmp_slot *s = NULL;
	enum pmp_reason why_not;
	int err = pmp_fault_check(vm, f, &s);

	if (err)
		return err;
	err = pmp_fault_level(vm, s, f, PMP_VTL_PLANES(f->vtl), &why_not);
	if (why)
		*why = why_not;
	return err;
}

static const char *const reason_names[PMP_REASON_NR] = {
	[PMP_REASON_NONE] = "none",
	[PMP_REASON_POLICY_CAP] = "policy_cap",
	[PMP_REASON_DIRTY_LOG] = "dirty_log",
	[PMP_REASON_NX_HUGE_PAGE] = "nx_huge_page",
	[PMP_REASON_BACKING_ORDER] = "backing_order",
	[PMP_REASON_GUEST_ACCEPT] = "guest_accept",
	[PMP_REASON_SLOT_BOUNDARY] = "slot_boundary",
	[PMP_REASON_MISALIGNED] = "misaligned",
	[PMP_REASON_WRITE_TRACKED] = "write_tracked",
	[PMP_REASON_MIXED_ATTRS] = "mixed_attrs",
	[PMP_REASON_VTL_PROT] = "vtl_prot",
	[PMP_REASON_PIN_LIMIT] = "pin_limit",
	[PMP_REASON_POOL] = "pool",
	[PMP_REASON_PINNED] = "pinned",
	[PMP_REASON_PRIVATE] = "private",
	[PMP_REASON_NOT_MAPPED] = "not_mapped",
	[PMP_REASON_NOT_ACCEPTED] = "not_accepted",
};

const char *pmp_reason_name(enum pmp_reason reason)
{
	return (unsigned int)reason < PMP_REASON_NR ? reason_names[reason] : "?";
}

const char *pmp_level_name(int level)
{
	static const char *const names[] = { "?", "4k", "2m", "1g" };

	return level >= PMP_LEVEL_4K && level <= PMP_LEVEL_1G ? names[level] : "?";
}
