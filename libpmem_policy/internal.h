/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Internal layout of a VM's state.  Nothing here is ABI.
 *
 * Per-page state is kept as "planes": one bit per page per attribute.  A
 * plane of a 2 MiB chunk is either uniform (its value is one bit of the
 * chunk descriptor) or mixed (a 64-byte block from the pool holds its 512
 * bits).  A chunk's blocks form a chain ordered by plane number, so the
 * k-th block belongs to the k-th set bit of the chunk's mixed mask.
 *
 * Glossary:
 *   plane  - one bit per 4 KiB page for one attribute or fact (private,
 *            mapped, pinned, ...), stored per 2 MiB chunk (planes.c).
 *   chunk  - the state of one 2 MiB range: struct pmp_chunk (KVM's
 *            lpage_info entry).
 *   giant  - the state of one 1 GiB range: its 512 chunks and a summary of
 *            them, so a fault reads two words: struct pmp_giant.
 *   mirror - the core's copy of the caller's page tables: which pages a
 *            leaf maps and how big the leaf is (mirror.c).  One per VTL:
 *            each VTL has its own page tables (its "leaf record").
 *   leaf record - one VTL's part of the mirror: its mapped plane, its
 *            chunk leaf flags (PMP_CF_LEAF) and its 1 GiB leaf flag and
 *            counts.  VTL 0's live in struct pmp_chunk and struct
 *            pmp_giant (the fast path); VTL v >= 1's in side arrays that
 *            only VMs with nr_vtls > 1 have (struct pmp_vtl_giant).
 *   event  - one state-changing call and the actions it returns, with the
 *            room it reserved (struct pmp_event, actions.c); each subject
 *            has its file: convert.c, vtl.c, write_track.c, accept.c,
 *            dirty_log.c, zap.c, inval.c (punches), fault.c, merge.c.
 *
 * State follows the memslots.  GPA giant number: gfn >> 18, below 2^22
 * (52-bit guest-physical addresses).  Compact giant: a slot in the VM's
 * giant pool holding one GPA giant's state; the directory (a top table of
 * 2^12 entries, each naming a table of 2^10 compact giant numbers) finds
 * it in two loads.  A GPA giant with no compact giant has default state
 * (shared, unmapped, all VTL permissions, nothing pinned, accepted or
 * deferred): lookups then land on compact giant 0, reserved, all zero and
 * never written.  See docs/design.md, "State follows the memslots".
 */
#ifndef PMP_INTERNAL_H
#define PMP_INTERNAL_H

#include "env.h"

/*
 * The fault path's helpers: inlined wherever the code is optimised, so a
 * fault is one frame and each constant argument prunes its branches; a
 * plain call at -O0 (the freestanding check's call graph), where the
 * inlined copies would add up to one frame over the core's limit.
 */
#ifdef __OPTIMIZE__
#define PMP_FAST_INLINE __attribute__((__always_inline__))
#else
#define PMP_FAST_INLINE
#endif

#define PMP_CHUNK_SHIFT 9
#define PMP_CHUNK_PAGES (1U << PMP_CHUNK_SHIFT)
#define PMP_GIANT_SHIFT 18
#define PMP_GIANT_CHUNKS (1U << (PMP_GIANT_SHIFT - PMP_CHUNK_SHIFT))
#define PMP_BLOCK_WORDS (PMP_CHUNK_PAGES / 64)
#define PMP_GIANT_PAGES (1ULL << PMP_GIANT_SHIFT)

/* Guest frames KVM can address (52-bit physical): what the directory covers. */
#define PMP_GFN_LIMIT (1ULL << 40)
#define PMP_NR_GPA_GIANTS (PMP_GFN_LIMIT >> PMP_GIANT_SHIFT)	/* 2^22 */
#define PMP_DIR_SHIFT 10	/* a directory table: 2^10 giants, 1 TiB */
#define PMP_DIR_ENTRIES (1U << PMP_DIR_SHIFT)
#define PMP_DIR_TOP ((uint32_t)(PMP_NR_GPA_GIANTS >> PMP_DIR_SHIFT))	/* 2^12 */

/* Planes.  Those below PMP_NR_SUMMARY_PLANES decide eligibility. */
enum pmp_plane {
	PMP_PLANE_PRIVATE,
	PMP_PLANE_WTRACK,
	/* VTL v denies access a: PMP_PLANE_VTL + 3 * v + bit(a); 0 = allowed. */
	PMP_PLANE_VTL,
	PMP_NR_SUMMARY_PLANES = PMP_PLANE_VTL + 3 * PMP_MAX_VTLS,
	/* a present leaf of VTL 0's page tables covers the page */
	PMP_PLANE_MAPPED = PMP_NR_SUMMARY_PLANES,
	PMP_PLANE_ACCEPTED,	/* the guest accepted it (TDX) or validated it (SNP) */
	PMP_PLANE_PINNED,	/* the host holds a pin on it (SEV) */
	/* deferred punches are no plane: a bitmap at the chain's tail (inval.c) */
	/* VTL v >= 1's leaves cover the page: PMP_PLANE_MAPPED_VTL1 + v - 1 */
	PMP_PLANE_MAPPED_VTL1,
	PMP_NR_PLANES = 16,
};

_Static_assert(PMP_PLANE_MAPPED_VTL1 + PMP_MAX_VTLS - 1 <= PMP_NR_PLANES,
	       "a mapped plane per VTL");

/* The plane of VTL @vtl's leaves (< PMP_MAX_VTLS). */
static inline unsigned int pmp_mapped_plane(unsigned int vtl)
{
	return vtl ? PMP_PLANE_MAPPED_VTL1 + vtl - 1 : PMP_PLANE_MAPPED;
}

#define PMP_BIT(p) ((uint16_t)(1U << (p)))
#define PMP_VTL_PLANES(vtl) ((uint16_t)(7U << (PMP_PLANE_VTL + 3 * (vtl))))
/*
 * Lossy planes: planes whose bitmap the core can do without, because a
 * plane that reads "all 1" is always a safe answer for them:
 *   - write tracking and VTL protections only decide eligibility (KVM
 *     keeps the truth): unknown reads as mixed to eligibility (4 KiB,
 *     reason pool) and as tracked/denied to the bitmap readers;
 *   - every VTL's mapped plane (the mirror): unknown reads as "maybe
 *     mapped", so zaps, invalidations and teardown zap it (over-zapping is
 *     safe: the pages fault back), while a merge needs the plane uniformly
 *     mapped, which an unknown plane is not, so it never promotes it;
 *   - acceptance (TDX, SNP): unknown reads as "maybe accepted", so zaps
 *     that must spare accepted pages are refused, while a promotion needs
 *     every page known accepted (pmp_plane_all_set()).
 * When the pool cannot hold a chunk's bitmap the chunk's plane becomes
 * "unknown" instead of the call failing; a whole-chunk update (a 2 MiB
 * leaf, a zap or accept of the whole chunk) makes it exact again.  Lossy
 * planes take any free block; every other plane is exact (private, pins)
 * and when no block is free it takes a lossy block back (that
 * chunk's planes become unknown), so the room of the exact planes is the
 * free blocks plus the lossy ones (pmp_pool_room()), plus, for a
 * conversion, the deferral bitmaps it can flush (convert.c).
 */
#define PMP_LOSSY_PLANES ((uint16_t)((((1U << PMP_NR_SUMMARY_PLANES) - 1) & \
				      ~PMP_BIT(PMP_PLANE_PRIVATE)) | \
				     PMP_BIT(PMP_PLANE_MAPPED) | PMP_BIT(PMP_PLANE_ACCEPTED) | \
				     PMP_BIT(PMP_PLANE_MAPPED_VTL1) | \
				     PMP_BIT(PMP_PLANE_MAPPED_VTL1 + 1)))

/*
 * One per 2 MiB: 8 bytes.  @blocks holds the first block's index + 1 in its
 * low 24 bits (0: no chain) and the chunk flags in its top 8 bits.
 */
struct pmp_chunk {
	/*
	 * Always true: value & mixed is within PMP_LOSSY_PLANES, and names the
	 * unknown planes (no block: the pool was short); the chain holds
	 * weight(mixed & ~value) blocks, ordered by plane, then the deferral
	 * bitmap iff PMP_CF_DEFERRED, none uniform; a chunk without state of
	 * its own reads all zero.
	 */
	uint16_t value;
	uint16_t mixed;
	uint32_t blocks;
};

#define PMP_CHUNK_BLOCK_MASK 0x00ffffffU
/* Chunk flags: the MMU mirror's view of this 2 MiB. */
#define PMP_CF_HUGE	(1U << 24)	/* covered by a 2 MiB or 1 GiB leaf */
#define PMP_CF_CAND	(1U << 25)	/* has 4 KiB leaves: a merge candidate */
#define PMP_CF_BLOCKED	(1U << 26)	/* its leaves are blocked, waiting for a fault */
#define PMP_CF_INHIBIT	(1U << 27)	/* the guest accepted a page here at 4 KiB */
#define PMP_CF_BACKED	(1U << 28)	/* a fault saw a >= 2 MiB host folio here */
#define PMP_CF_DEFERRED	(1U << 29)	/* holds deferred punches, not all 512: its
					 * chain ends with their bitmap */
#define PMP_CF_SEEN	(1U << 30)	/* merge=settled: a tick found it ready; no leaf
					 * here changed since (pmp_mirror_refresh clears it) */
/*
 * Parked: a candidate (never without PMP_CF_CAND) a merge tick refused for
 * a reason only a change here can lift (pmp_merge_lasting(): not fully
 * mapped, a small or punched folio, pages not accepted, a dirty-logged
 * memslot, private and shared pages mixed, a memslot's edge or alignment,
 * the policy's 4 KiB cap).  Ticks skip it, so they cost what they act on;
 * what could lift the reason unparks it (a leaf change,
 * pmp_merge_unpark(): an accept, a conversion; dirty logging stopping in
 * its memslot, a memslot created or moved over it, a policy change).
 */
#define PMP_CF_PARKED	(1U << 31)
#define PMP_CF_ALL	0xff000000U
/* The flags that belong to one VTL's leaf record (the others are the range's). */
#define PMP_CF_LEAF	(PMP_CF_HUGE | PMP_CF_CAND | PMP_CF_BLOCKED | PMP_CF_SEEN | PMP_CF_PARKED)
#define PMP_CF_LEAF_SHIFT 24	/* VTL v >= 1 keeps them in a byte, shifted down */

/*
 * One per 1 GiB, derived from its 2 MiB children: per summary plane, how
 * many children are mixed and how many are uniformly 1.  @uniform/@value
 * cache the verdict so that a fault reads two words.
 */
struct pmp_giant {
	/*
	 * Always true: nr_mixed[p] + nr_ones[p] <= 512; bit p of @uniform is
	 * set iff no child is mixed in p and all or none are 1; bit p of
	 * @value iff some child is uniformly 1.  A giant with no state (compact
	 * giant 0, or a free one) has every count 0, @uniform all ones and
	 * @value and @flags 0.
	 */
	uint16_t nr_mixed[PMP_NR_SUMMARY_PLANES];
	uint16_t nr_ones[PMP_NR_SUMMARY_PLANES];
	uint16_t uniform;
	uint16_t value;
	/* children with PMP_CF_HUGE, _CAND, _INHIBIT, _BACKED, _DEFERRED set */
	uint16_t nr_huge, nr_cand, nr_inhibit, nr_backed;
	uint16_t flags;		/* PMP_GF_* */
	uint16_t nr_deferred;
	/*
	 * What the children's state stops, per VTL, for a fault whose folio
	 * allows 1 GiB: a decision key (level.c) that pmp_giant_verdict()
	 * derives from the counts and summary above whenever they change.
	 */
	uint8_t key[PMP_MAX_VTLS];
	uint8_t pad;
};

_Static_assert(sizeof(struct pmp_giant) == 64, "a 1 GiB summary is one cache line");

#define PMP_GF_LEAF	(1U << 0)	/* one 1 GiB leaf of VTL 0 maps it all */
#define PMP_GF_BACKED	(1U << 1)	/* a fault saw a 1 GiB host folio here */

/*
 * VTL v >= 1's leaf record of one 1 GiB (VTL 0's is in struct pmp_giant).
 * Always true: @nr_huge and @nr_cand count the children whose VTL v leaf
 * flags have PMP_CF_HUGE and PMP_CF_CAND; PMP_GF_LEAF in @flags iff one
 * 1 GiB leaf of VTL v maps it all, and then @nr_huge is 512.
 */
struct pmp_vtl_giant {
	uint16_t nr_huge, nr_cand;
	uint16_t flags;		/* PMP_GF_LEAF only */
	uint16_t pad;
};

/*
 * A memslot, with what the fault path needs precomputed: the largest level
 * its alignment allows to shared and to private faults (KVM computes the
 * same into lpage_info when the slot is created).
 */
struct pmp_slot_state {
	struct pmp_slot slot;
	/*
	 * The verdict of the slot and the policy per fault flags (exec and
	 * private decide it; write does not), as a decision key (level.c),
	 * indexed by a checked fault's flags themselves: pmp_slot_prepare()
	 * keeps it current through slot and policy changes.
	 */
	uint8_t key[PMP_FAULT_FLAGS_ALL + 1];
	/*
	 * The 2 MiB chunks wholly inside the slot, [chunk_lo, chunk_lo +
	 * chunk_len): 32 bits as PMP_GFN_LIMIT bounds them, and only an edge
	 * fault, its gfn in the slot, reads them.
	 */
	uint32_t chunk_lo, chunk_len;
	/*
	 * The slot's whole 1 GiB ranges, GPA giants [giant_lo, giant_lo +
	 * giant_len), and its compact giants, for the fault path: GPA giant g
	 * of the slot is in the VM's 4-byte word giant_run + (g - giant_lo)
	 * (modulo 2^64; the slot's run in pmp_slot_giants(), counted in words
	 * from the VM header, so the fault adds no array offset): see
	 * pmp_slot_summary().  Set by pmp_state_slot_map() while the slot is in
	 * use; a slot keeps its giants until it goes, so the run never goes
	 * stale.
	 */
	uint64_t giant_lo, giant_len;
	uint64_t giant_run;
	uint16_t in_use;
	uint8_t align_level[2];	/* [0] shared faults, [1] private faults */
};

struct pmp_block {
	uint64_t w[PMP_BLOCK_WORDS];
};

#define PMP_VM_MAGIC 0x706d7076U /* "pmpv" */

/*
 * The VM header, at the start of the caller's buffer.  Arrays are found by
 * byte offsets from the header so the whole state can be copied.
 */
/*
 * Where a compact giant's state belongs.  Always true for compact giant
 * i > 0: @in_use iff the directory maps GPA giant @giant to i, and then
 * @nr_slots is the number of memslots touching that 1 GiB; a free one
 * (@in_use 0) has @nr_slots 0, default state, and @giant is the next free
 * compact giant (0 ends the list).  Compact giant 0 is reserved: never in
 * use, never free, its state default.
 */
struct pmp_home {
	uint32_t giant;
	uint16_t nr_slots;
	uint16_t in_use;
};

/*
 * A directory table.  Always true for table t > 0: in use iff
 * @nr_giants > 0, and then the top entry @top names t and @nr_giants of its
 * 2^10 entries are non-zero; a free table is all zero and @top is the next
 * free table (0 ends the list).  Table 0 is reserved, all zero: the top
 * entries of 1 TiB ranges without state name it.
 */
struct pmp_region {
	uint32_t top;
	uint32_t nr_giants;
};

/*
 * The VM header, at the start of the caller's buffer.  Arrays are found by
 * byte offsets from the header so the whole state can be copied.
 */
struct pmp_vm {
	uint32_t magic;
	uint32_t nr_vtls;
	uint32_t max_slots;
	uint32_t nr_vcpus;
	uint64_t gfn_end;	/* the caller's limit: every range must end by it */
	uint64_t span;		/* gfn_end rounded up to 2 MiB; <= PMP_GFN_LIMIT */
	uint64_t bytes;
	/* compact giants: 1 <= giants_used + 1 <= nr_giants; index 0 reserved */
	uint32_t nr_giants, giants_used, giants_high_water, giant_free;
	/* directory tables: 1 <= regions_used + 1 <= nr_regions; index 0 reserved */
	uint32_t nr_regions, regions_used, region_free;
	/*
	 * Bits of a top entry (4, 8, 16) and of a table entry (8, 16, 32),
	 * and the masks of those bits: pmp_dir_get().
	 */
	uint8_t top_bits, dir_bits;
	/*
	 * Why no fault of the VM may take the shared record
	 * (pmp_map_shared_4k()), one PMP_SHARED_STOP_* bit each, so that it
	 * tests one word: kept exact by every writer of its inputs (vm_type
	 * and the policy: pmp_shared_stops_set(); the pool's room: the block
	 * allocator, pmp_pool_stop_set()), checked by pmp_vm_check().  The
	 * CALLBACK bit is no copy but the state itself (pmp_callback_enter()
	 * and pmp_callback_exit(), read by pmp_reentered()).
	 */
	uint16_t shared_stops;
	uint32_t top_mask, dir_mask;
	struct pmp_policy policy;
	uint32_t nr_slots;
	uint32_t pool_blocks;
	uint32_t pool_used;
	uint32_t pool_high_water;
	/*
	 * Blocks of lossy planes: lossy_used <= pool_used.  The chunks holding
	 * some are the lossy set, off_lossy[0 .. lossy_chunks): compact chunk
	 * indices, each once; the link of a member's last chain block is its
	 * place there (a chain's end is known from its masks, so that link is
	 * free).  An exact plane short of a free block takes the lossy blocks
	 * of the member at lossy_clock % lossy_chunks (planes.c).
	 */
	uint32_t lossy_used, lossy_chunks, lossy_clock;
	/*
	 * The free blocks: those given back, a list threaded through the link
	 * array from free_head (first one's index + 1; 0: none), and those
	 * never taken, [pool_fresh, pool_blocks), unlisted: a new VM links
	 * none, and the pool check walks only what was given back.  Taking
	 * the list first, then the frontier, takes the blocks in the order a
	 * list of all of them in index order would (planes.c).
	 */
	uint32_t free_head, pool_fresh;
	/*
	 * Blocks of the PINNED plane, and how many the default pool holds back
	 * for it (SEV: a pin cannot degrade, nor flush anything to make
	 * room): deferral bitmaps leave pin_reserve - pin_blocks of
	 * pmp_pool_room() to the pins (pmp_defer_room()).
	 */
	uint32_t pin_blocks, pin_reserve;
	uint32_t vm_type;
	/* KVM's has_private_mem: false only on SEV without PMP_GEO_PRIVATE_MEM */
	bool has_private_mem;
	uint64_t nr_pinned, pin_high_water;
	uint64_t nr_cand;	/* (chunk, VTL) pairs with PMP_CF_CAND in that VTL */
	uint64_t scan_cursor;	/* next compact chunk a merge tick looks at */
	uint64_t nr_deferred;	/* bits set in the deferral bitmaps */
	uint64_t teardown_cursor;	/* the cursor pmp_teardown() last handed out; 0: none */
	/*
	 * Chunks with PMP_CF_DEFERRED: defer_chunks <= defer_cap; the next
	 * eviction or flush step starts its search at compact chunk defer_cursor.
	 */
	uint32_t defer_cap, defer_chunks, defer_cursor;
	uint32_t lost_actions;	/* emits past an event's reservation: always 0, or a bug */
	uint64_t fault_lanes;	/* ~ a fault's valid fields, for one add (level.c) */
	uint64_t fault_lane_tops;	/* PMP_FAULT_LANE_TOPS: pmp_fault_lanes_bad() */
	const struct pmp_yield_ops *yield;
	struct pmp_stats stats;	/* exclusive-access decisions */
	uint64_t off_slots, off_chunks, off_giants, off_blocks, off_links;
	uint64_t off_cand;	/* merge candidates: one bit per compact chunk (merge.c) */
	uint64_t off_top, off_homes, off_regions;	/* the tables: pmp_dir_get() */
	uint64_t off_lossy;
	/* VTL v >= 1's leaf records, only with nr_vtls > 1 (see pmp_vtl_chunks()) */
	uint64_t off_vtl_chunks, off_vtl_giants;
	/*
	 * The fault path's lookup, without the directory: VTL v's verdict
	 * bytes, one per compact chunk, at off_verdict[v] (pmp_verdicts()),
	 * and the memslots' runs of compact giants (as their summaries'
	 * offsets: pmp_slot_giants()), packed in slot
	 * creation order: slot_giants_used of slot_giants_cap entries.
	 */
	uint64_t off_verdict[PMP_MAX_VTLS];
	/* VTL v's verdict in compact giant 0's summary (key[v]); giant cg's is cg summaries on */
	uint64_t off_gverdict[PMP_MAX_VTLS];
	uint64_t off_slot_giants;
	uint32_t slot_giants_used, slot_giants_cap;
};

static inline void *pmp_at(const struct pmp_vm *vm, uint64_t off)
{
	return (char *)vm + off;
}

static inline struct pmp_slot_state *pmp_slots(const struct pmp_vm *vm)
{
	return pmp_at(vm, vm->off_slots);
}

/*
 * The vCPUs' counters come first after the header, at a fixed offset
 * (vm.c): the fault path's count is one address from the vCPU and the key,
 * no offset loaded.
 */
#define PMP_OFF_STATS (((uint64_t)sizeof(struct pmp_vm) + 63) & ~63ULL)

/*
 * A vCPU's counters: what pmp_max_level() decided, by level granted and
 * reason (the reason a level is not higher; none with 1 GiB), so a
 * decision writes one word.  Only the fault path writes them.
 */
/*
 * A decision is counted by its key (level.c): the level granted times 16
 * plus the rank of its reason.
 */
#define PMP_FAULT_RANKS 16

/*
 * The keys a decision can have: from a 4 KiB grant of rank 0 to a 1 GiB
 * grant, which has no reason (level.c's KEY_NONE, the largest key).
 */
#define PMP_FAULT_KEY_MIN (1 * PMP_FAULT_RANKS)
#define PMP_FAULT_KEY_MAX (3 * PMP_FAULT_RANKS)

/* The reason a key names (its rank's), for every key up to PMP_FAULT_KEY_MAX. */
extern const uint8_t pmp_key_reason[PMP_FAULT_KEY_MAX + 1];

struct pmp_vcpu_stats {
	/*
	 * [PMP_VCPU_MAPS]: the leaves pmp_map_shared() and
	 * pmp_map_shared_4k() recorded, MAP actions that pmp_vm_stats() adds
	 * to the VM's; then one count per key,
	 * decisions of key k at pmp_vcpu_fault(k): only the keys a decision
	 * can have, so a vCPU's counters take 5 cache lines, not 8.
	 */
	uint64_t faults[1 + PMP_FAULT_KEY_MAX - PMP_FAULT_KEY_MIN + 1];
};
#define PMP_VCPU_MAPS 0

/* Each vCPU's counters start on their own cache line: no false sharing. */
#define PMP_STATS_STRIDE ((sizeof(struct pmp_vcpu_stats) + 63) & ~(size_t)63)

static inline struct pmp_vcpu_stats *pmp_vcpu_stats(const struct pmp_vm *vm, uint32_t vcpu)
{
	return pmp_at(vm, PMP_OFF_STATS + (uint64_t)vcpu * PMP_STATS_STRIDE);
}

/* The count of decisions of key @k (PMP_FAULT_KEY_MIN..PMP_FAULT_KEY_MAX). */
static inline uint64_t *pmp_vcpu_fault(struct pmp_vcpu_stats *st, uint64_t k)
{
	/* 64-bit, so the constant folds into the store's displacement */
	return &st->faults[1 + k - PMP_FAULT_KEY_MIN];
}

/* The compact arrays: 512 chunks per compact giant, then the giants. */
static inline struct pmp_chunk *pmp_cchunks(const struct pmp_vm *vm)
{
	return pmp_at(vm, vm->off_chunks);
}

static inline struct pmp_giant *pmp_cgiants(const struct pmp_vm *vm)
{
	return pmp_at(vm, vm->off_giants);
}

static inline struct pmp_home *pmp_homes(const struct pmp_vm *vm)
{
	return pmp_at(vm, vm->off_homes);
}

/*
 * The directory's entries are packed to what they hold (vm.c sizes them):
 * a top entry names a table below nr_regions in 4, 8 or 16 bits
 * (vm->top_bits), a table entry a compact giant below nr_giants in 8, 16
 * or 32 bits (vm->dir_bits), so a small VM's directory is small although
 * its memslots may lie anywhere below 2^52.  Every width divides 32, so
 * entry @i of @bits bits at @base (4-byte aligned) lies in one aligned
 * 32-bit word: one load and a shift, nothing read past the array.
 */
static inline uint32_t pmp_packed_get(const void *base, uint64_t i, unsigned int bits,
				      uint32_t mask)
{
	uint64_t bit = i * bits;
	uint32_t w = ((const uint32_t *)base)[bit >> 5];

	return (w >> (bit & 31)) & mask;
}

/* The same entry set to @v (<= @mask): exclusive access only (a word's RMW). */
static inline void pmp_packed_set(void *base, uint64_t i, unsigned int bits, uint32_t mask,
				  uint32_t v)
{
	uint64_t bit = i * bits;
	uint32_t *w = (uint32_t *)base + (bit >> 5);

	*w = (*w & ~(mask << (bit & 31))) | (v << (bit & 31));
}

/* Top entry @ti (< PMP_DIR_TOP): the table of 1 TiB @ti, 0 if none. */
static inline uint32_t pmp_dir_top_get(const struct pmp_vm *vm, uint64_t ti)
{
	return pmp_packed_get(pmp_at(vm, vm->off_top), ti, vm->top_bits, vm->top_mask);
}

static inline void pmp_dir_top_set(struct pmp_vm *vm, uint64_t ti, uint32_t t)
{
	pmp_packed_set(pmp_at(vm, vm->off_top), ti, vm->top_bits, vm->top_mask, t);
}

/*
 * Directory table @t.  Table 0, reserved, all zero and never written, is
 * the start of compact giant 0's chunk descriptors (as reserved, as zero,
 * as never written): tables t >= 1 lie just below the chunk array, table t
 * at t tables' bytes below it, so a VM stores one table fewer (vm.c).
 */
static inline void *pmp_dir_table(const struct pmp_vm *vm, uint32_t t)
{
	return pmp_at(vm, vm->off_chunks - (uint64_t)t * (PMP_DIR_ENTRIES / 8) * vm->dir_bits);
}

/* Entry @i (< 2^10) of directory table @t: a compact giant, 0 if none. */
static inline uint32_t pmp_dir_get(const struct pmp_vm *vm, uint32_t t, uint64_t i)
{
	return pmp_packed_get(pmp_dir_table(vm, t), i, vm->dir_bits, vm->dir_mask);
}

static inline void pmp_dir_set(struct pmp_vm *vm, uint32_t t, uint64_t i, uint32_t cg)
{
	pmp_packed_set(pmp_dir_table(vm, t), i, vm->dir_bits, vm->dir_mask, cg);
}

_Static_assert(PMP_GIANT_CHUNKS * sizeof(struct pmp_chunk) >= PMP_DIR_ENTRIES * sizeof(uint32_t),
	       "the reserved table is the reserved giant's chunk descriptors");

/* The compact giant holding GPA giant @g (< 2^22), 0 if it has no state.  Two loads. */
static inline uint32_t pmp_giant_index(const struct pmp_vm *vm, uint64_t g)
{
	uint32_t t = pmp_dir_top_get(vm, (g >> PMP_DIR_SHIFT) & (PMP_DIR_TOP - 1));

	return pmp_dir_get(vm, t, g & (PMP_DIR_ENTRIES - 1));
}

/* Does the 1 GiB holding @gfn have state of its own? */
static inline bool pmp_state_has(const struct pmp_vm *vm, uint64_t gfn)
{
	return pmp_giant_index(vm, gfn >> PMP_GIANT_SHIFT) != 0;
}

/*
 * The state of GPA chunk @ci (gfn >> 9) and GPA giant @g.  Without state,
 * the reserved all-default giant 0: read it freely; writing it is a bug
 * (pmp_vm_check() catches it), so callers that change state to anything
 * but the default first get it with pmp_state_reserve().
 */
static inline struct pmp_chunk *pmp_chunk_at(const struct pmp_vm *vm, uint64_t ci)
{
	return &pmp_cchunks(vm)[((uint64_t)pmp_giant_index(vm, ci >> (PMP_GIANT_SHIFT - PMP_CHUNK_SHIFT))
				 << (PMP_GIANT_SHIFT - PMP_CHUNK_SHIFT)) | (ci & (PMP_GIANT_CHUNKS - 1))];
}

static inline struct pmp_giant *pmp_giant_at(const struct pmp_vm *vm, uint64_t g)
{
	return &pmp_cgiants(vm)[pmp_giant_index(vm, g)];
}

/* Is a pool block free: given back (listed) or never taken? */
static inline bool pmp_block_free(const struct pmp_vm *vm)
{
	return vm->free_head || vm->pool_fresh < vm->pool_blocks;
}

static inline struct pmp_block *pmp_blocks(const struct pmp_vm *vm)
{
	return pmp_at(vm, vm->off_blocks);
}

static inline uint32_t *pmp_links(const struct pmp_vm *vm)
{
	return pmp_at(vm, vm->off_links);
}

/*
 * The merge tick's candidate index: bit i for compact chunk i, shared by
 * the VTLs.  Always true: a chunk with PMP_CF_CAND and not PMP_CF_PARKED
 * in any VTL's leaf record has its bit set (pmp_leaf_set_flags()); a bit
 * without such a flag in any VTL is stale (its giant was freed and reused)
 * and the tick clears it when it meets it.
 */
static inline uint64_t *pmp_cand_map(const struct pmp_vm *vm)
{
	return pmp_at(vm, vm->off_cand);
}

/*
 * VTL @vtl >= 1's leaf flags: one byte per compact chunk (PMP_CF_LEAF bits
 * >> PMP_CF_LEAF_SHIFT), and its 1 GiB records, VTL after VTL.  Only VMs
 * with nr_vtls > 1 have these arrays: a 1-VTL VM pays nothing for them.
 */
static inline uint8_t *pmp_vtl_chunks(const struct pmp_vm *vm, unsigned int vtl)
{
	return pmp_at(vm, vm->off_vtl_chunks +
		      (uint64_t)(vtl - 1) * vm->nr_giants * PMP_GIANT_CHUNKS);
}

static inline struct pmp_vtl_giant *pmp_vtl_giants(const struct pmp_vm *vm, unsigned int vtl)
{
	return pmp_at(vm, vm->off_vtl_giants +
		      (uint64_t)(vtl - 1) * vm->nr_giants * sizeof(struct pmp_vtl_giant));
}

/*
 * VTL @vtl's verdict bytes: for compact chunk i, what its own state stops
 * for a fault of that VTL, as a decision key (level.c), or the key that
 * stops nothing.  Always true: equal to pmp_chunk_verdict_key() of the
 * chunk (pmp_chunk_verdict() keeps them so; pmp_vm_check() recomputes).
 * Only for i >= PMP_GIANT_CHUNKS: the reserved giant 0 has none stored (its
 * 512 bytes would never be read: faults reach a chunk through their
 * memslot's giants, which have state, and nothing writes giant 0), so
 * off_verdict[v] points 512 bytes before VTL v's array (vm.c).
 */
static inline uint8_t *pmp_verdicts(const struct pmp_vm *vm, unsigned int vtl)
{
	return pmp_at(vm, vm->off_verdict[vtl]);
}

/*
 * Every in-use slot's run of compact giants (struct pmp_slot_state's
 * giant_run), each as its 1 GiB summary's byte offset in the giants array
 * (the giant's number times sizeof(struct pmp_giant), below 2^32 as
 * PMP_GFN_LIMIT bounds the giants): a fault adds it as it is to a VTL's
 * offset of the summaries' verdicts, and scaled, in the same address
 * computation, to the VTL's chunk verdicts.
 */
static inline uint32_t *pmp_slot_giants(const struct pmp_vm *vm)
{
	return pmp_at(vm, vm->off_slot_giants);
}

_Static_assert((PMP_NR_GPA_GIANTS + 1) * sizeof(struct pmp_giant) <= 0xffffffffULL,
	       "a compact giant's summary offset fits pmp_slot_giants()'s 32 bits");

/* Where pmp_slot_giants() starts, in the 4-byte words giant_run counts. */
static inline uint64_t pmp_slot_giants_word(const struct pmp_vm *vm)
{
	return vm->off_slot_giants / sizeof(uint32_t);
}

/*
 * The summary offset of GPA giant @g of in-use slot @st (its compact giant
 * times sizeof(struct pmp_giant)): one load.
 */
static inline uint64_t pmp_slot_summary(const struct pmp_vm *vm, const struct pmp_slot_state *st,
					uint64_t g)
{
	return ((const uint32_t *)(const void *)vm)[st->giant_run + (g - st->giant_lo)];
}

/* Population count of a 16-bit mask, without libgcc's helpers. */
static inline unsigned int pmp_weight16(uint32_t x)
{
	x = x - ((x >> 1) & 0x5555);
	x = (x & 0x3333) + ((x >> 2) & 0x3333);
	x = (x + (x >> 4)) & 0x0f0f;
	return (x + (x >> 8)) & 0x1f;
}

static inline unsigned int pmp_weight64(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (unsigned int)((x * 0x0101010101010101ULL) >> 56);
}

bool pmp_plane_get(const struct pmp_vm *vm, uint64_t gfn, unsigned int plane);
bool pmp_chunk_plane_get(const struct pmp_vm *vm, const struct pmp_chunk *c, unsigned int i,
			 unsigned int plane);
uint16_t pmp_chunk_page_planes(const struct pmp_vm *vm, const struct pmp_chunk *c, unsigned int i,
			       uint16_t planes);
uint64_t pmp_chunk_planes_next(const struct pmp_vm *vm, uint64_t gfn, uint64_t end,
			       uint16_t planes);
uint64_t pmp_planes_next_in(const struct pmp_vm *vm, const struct pmp_chunk *c, uint64_t gfn,
			    uint64_t end, uint16_t planes);

static inline bool pmp_is_private(const struct pmp_vm *vm, uint64_t gfn)
{
	return pmp_plane_get(vm, gfn, PMP_PLANE_PRIVATE);
}

/*
 * Private memory the hardware guards (TDX, SNP): it is demoted rather than
 * split or zapped, and promoted only when every page is accepted.
 */
static inline bool pmp_guarded_private(const struct pmp_vm *vm, uint64_t gfn)
{
	return (vm->vm_type == PMP_VM_TDX || vm->vm_type == PMP_VM_SNP) &&
	       pmp_is_private(vm, gfn);
}

static inline struct pmp_chunk *pmp_chunk_of(const struct pmp_vm *vm, uint64_t gfn)
{
	return pmp_chunk_at(vm, gfn >> PMP_CHUNK_SHIFT);
}

static inline struct pmp_giant *pmp_giant_of(const struct pmp_vm *vm, uint64_t gfn)
{
	return pmp_giant_at(vm, gfn >> PMP_GIANT_SHIFT);
}

/* The compact index of @gfn's chunk in compact giant @cg (chunks, verdicts). */
static inline uint64_t pmp_cg_chunk_index(uint64_t cg, uint64_t gfn)
{
	return cg << (PMP_GIANT_SHIFT - PMP_CHUNK_SHIFT) |
	       ((gfn >> PMP_CHUNK_SHIFT) & (PMP_GIANT_CHUNKS - 1));
}

/* The 2 MiB descriptor of @gfn in compact giant @cg, and (*@giant) its 1 GiB summary. */
static inline struct pmp_chunk *pmp_cg_chunk(const struct pmp_vm *vm, uint64_t cg, uint64_t gfn,
					     struct pmp_giant **giant)
{
	*giant = &pmp_cgiants(vm)[cg];
	return &pmp_cchunks(vm)[pmp_cg_chunk_index(cg, gfn)];
}

/*
 * @gfn's compact giant (*@cg, 0 where its 1 GiB has no state yet) and its
 * 2 MiB descriptor there (giant 0's pristine one then): one directory
 * lookup.
 */
static inline struct pmp_chunk *pmp_chunk_lookup(const struct pmp_vm *vm, uint64_t gfn,
						 uint32_t *cg)
{
	*cg = pmp_giant_index(vm, gfn >> PMP_GIANT_SHIFT);
	return &pmp_cchunks(vm)[pmp_cg_chunk_index(*cg, gfn)];
}

/* The same from the directory: one lookup gives both. */
static inline struct pmp_chunk *pmp_chunk_giant(const struct pmp_vm *vm, uint64_t gfn,
						struct pmp_giant **giant)
{
	return pmp_cg_chunk(vm, pmp_giant_index(vm, gfn >> PMP_GIANT_SHIFT), gfn, giant);
}

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "pmp_fault_valid() reads a fault's fields as one little-endian word"
#endif
_Static_assert(__builtin_offsetof(struct pmp_fault, flags) == 12 &&
	       __builtin_offsetof(struct pmp_fault, vcpu) == 16 &&
	       __builtin_offsetof(struct pmp_fault, vtl) == 18 &&
	       __builtin_offsetof(struct pmp_fault, backing_order) == 19,
	       "pmp_fault_valid()'s lanes: flags, vcpu, vtl, backing_order");

/* The top bit of each lane of the word at a fault's flags: flags, vcpu, vtl, order. */
#define PMP_FAULT_LANE_TOPS 0x8080800080000000ULL

int pmp_fault_error(const struct pmp_vm *vm, const struct pmp_fault *f);

/*
 * Is one of a fault's lanes (flags, vCPU, VTL, folio order) past its limit?
 * A lane is bad when its top bit is set (past every limit) or the
 * subtraction from its limit (lanes + ~limit: vm->fault_lanes) borrowed
 * into it.  The top bits come from the header (vm->fault_lane_tops), so
 * the test reads its mask from memory instead of loading a 64-bit
 * immediate into a register: an instruction and a register fewer.
 */
static inline bool pmp_fault_lanes_bad(const struct pmp_vm *vm, const struct pmp_fault *f)
{
	uint64_t lanes;

	pmp_memcpy(&lanes, &f->flags, sizeof(lanes));
	return (lanes | (lanes + vm->fault_lanes)) & vm->fault_lane_tops;
}

/*
 * Validate a fault and find its memslot (the fault path: level.c,
 * fault.c): its lanes (pmp_fault_lanes_bad()), slot number and accept
 * level.  A deleted slot is all zero, so its empty range refuses every gfn
 * and pmp_fault_error() tells -ENOENT from -EINVAL off the fast path.
 */
static inline __attribute__((always_inline))
int pmp_fault_valid(const struct pmp_vm *vm, const struct pmp_fault *f,
		    const struct pmp_slot_state **slot)
{
	const struct pmp_slot_state *st;

	if (pmp_unlikely(pmp_fault_lanes_bad(vm, f) || f->slot >= vm->max_slots ||
			 f->accept_level > PMP_LEVEL_1G))
		return -EINVAL;
	st = &pmp_slots(vm)[f->slot];
	if (pmp_unlikely(f->gfn - st->slot.base_gfn >= st->slot.npages))
		return pmp_fault_error(vm, f);
	*slot = st;
	return 0;
}

/* Does [s, s + n) spell @word exactly?  (The policy and trace parsers.) */
static inline bool pmp_token_is(const char *s, size_t n, const char *word)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!word[i] || word[i] != s[i])
			return false;
	return !word[n];
}

/* planes.c */
int pmp_planes_set(struct pmp_vm *vm, uint64_t gfn, uint64_t npages,
		   uint16_t mask, uint16_t values);
/* The same for an update whose range and pool need the caller checked. */
void pmp_planes_apply(struct pmp_vm *vm, uint64_t gfn, uint64_t npages,
		      uint16_t mask, uint16_t values);
unsigned int pmp_planes_blocks_needed(const struct pmp_vm *vm, uint64_t gfn, uint64_t npages,
				      uint16_t mask, uint16_t values);
bool pmp_plane_get(const struct pmp_vm *vm, uint64_t gfn, unsigned int plane);
uint64_t pmp_plane_count(const struct pmp_vm *vm, uint64_t gfn, uint64_t npages,
			 unsigned int plane);
uint64_t pmp_plane_next(const struct pmp_vm *vm, uint64_t gfn, uint64_t end,
			unsigned int plane, bool value);
uint64_t pmp_plane_run(const struct pmp_vm *vm, uint64_t gfn, uint64_t end, unsigned int plane,
		       bool value, uint64_t *run_end);
/* Pages [gfn, gfn + npages): a run pmp_plane_take_runs() found. */
struct pmp_run {
	uint64_t gfn, npages;
};
unsigned int pmp_plane_take_runs(struct pmp_vm *vm, uint64_t gfn, uint64_t end, unsigned int plane,
				 struct pmp_run *runs, unsigned int max, uint64_t *next);
int pmp_plane_uniform(const struct pmp_vm *vm, uint64_t ci, unsigned int plane);
bool pmp_plane_known(const struct pmp_vm *vm, uint64_t gfn, unsigned int plane);
bool pmp_plane_all_set(const struct pmp_vm *vm, uint64_t gfn, uint64_t end, unsigned int plane);
void pmp_chunk_set_flags(struct pmp_vm *vm, uint64_t ci, uint32_t set, uint32_t clear);
/*
 * Non-summary exact planes of a chunk in hand (the fault's record): the
 * blocks of planes @p < @q of chunk @c, from one walk of its chain (the
 * k-th block is the k-th chained plane's); NULL for a plane not chained.
 */
static inline void pmp_chunk_block_pair(const struct pmp_vm *vm, const struct pmp_chunk *c, unsigned int p,
			  unsigned int q, struct pmp_block **bp, struct pmp_block **bq)
{
	const uint32_t *links = pmp_links(vm);
	uint16_t ch = c->mixed & (uint16_t)~c->value, skip;
	uint32_t b = (c->blocks & PMP_CHUNK_BLOCK_MASK) - 1;

	*bp = NULL;
	*bq = NULL;
	for (skip = ch & (uint16_t)(PMP_BIT(p) - 1U); skip; skip &= (uint16_t)(skip - 1U))
		b = links[b] - 1;
	if (ch & PMP_BIT(p)) {
		*bp = &pmp_blocks(vm)[b];
		b = links[b] - 1;
	}
	for (skip = ch & (uint16_t)(PMP_BIT(q) - PMP_BIT(p) * 2U); skip; skip &= (uint16_t)(skip - 1U))
		b = links[b] - 1;
	if (ch & PMP_BIT(q))
		*bq = &pmp_blocks(vm)[b];
}
/*
 * Would block @blk, with word @k replaced by @w, be uniform?  Only when @w
 * is: a page's change that leaves its word mixed leaves its block mixed.
 */
static inline bool pmp_block_uniform_with(const struct pmp_block *blk, unsigned int k, uint64_t w)
{
	unsigned int j;

	if (w && ~w)
		return false;
	for (j = 0; j < PMP_BLOCK_WORDS; j++)
		if (j != k && blk->w[j] != w)
			return false;
	return true;
}

/* The block of plane @p of chunk @c in hand, or NULL if @p is not chained (uniform, unknown). */
static inline struct pmp_block *pmp_chunk_block(const struct pmp_vm *vm, const struct pmp_chunk *c,
						unsigned int p)
{
	const uint32_t *links = pmp_links(vm);
	uint16_t ch = c->mixed & (uint16_t)~c->value, skip;
	uint32_t b = (c->blocks & PMP_CHUNK_BLOCK_MASK) - 1;

	if (!(ch & PMP_BIT(p)))
		return NULL;
	for (skip = ch & (uint16_t)(PMP_BIT(p) - 1U); skip; skip &= (uint16_t)(skip - 1U))
		b = links[b] - 1;
	return &pmp_blocks(vm)[b];
}
void pmp_chunk_page_settle(struct pmp_vm *vm, uint64_t ci, struct pmp_chunk *c, unsigned int i,
			   unsigned int plane, struct pmp_block *blk);

/* Page @i of @plane of chunk @c (GPA chunk @ci) to 1; @blk: the plane's block or NULL. */
static inline void pmp_chunk_page_set(struct pmp_vm *vm, uint64_t ci, struct pmp_chunk *c,
				      unsigned int i, unsigned int plane, struct pmp_block *blk)
{
	if (blk) {
		uint64_t w = blk->w[i / 64] | 1ULL << (i % 64);

		blk->w[i / 64] = w;
		if (~w)
			return;		/* the block stays mixed: the common case */
	}
	pmp_chunk_page_settle(vm, ci, c, i, plane, blk);
}
void pmp_chunk_page_unsettle(struct pmp_vm *vm, struct pmp_chunk *c, unsigned int plane,
			     struct pmp_block *blk);

/*
 * Page @i of plane @plane of chunk @c to 0, given the plane's block @blk
 * (it is chained): what pmp_chunk_page_apply() does, for a plane outside
 * the 1 GiB summary (a mapped plane, the pins) whose change moves no
 * count and no verdict.
 */
static inline void pmp_chunk_page_clear(struct pmp_vm *vm, struct pmp_chunk *c, unsigned int i,
					unsigned int plane, struct pmp_block *blk)
{
	uint64_t w = blk->w[i / 64] & ~(1ULL << (i % 64));

	blk->w[i / 64] = w;
	if (!w)
		pmp_chunk_page_unsettle(vm, c, plane, blk);
}
void pmp_chunk_fill(struct pmp_vm *vm, uint64_t ci, struct pmp_chunk *c, uint16_t mask);
void pmp_chunk_page_apply(struct pmp_vm *vm, uint64_t ci, struct pmp_chunk *c, unsigned int i,
			  uint16_t mask, uint16_t values);
unsigned int pmp_chunk_blocks_needed(const struct pmp_chunk *c, unsigned int lo, unsigned int hi,
				     uint16_t mask, uint16_t values);
void pmp_giant_recount(const struct pmp_vm *vm, uint32_t cg, struct pmp_giant *out);
int pmp_pool_check(const struct pmp_vm *vm);
void pmp_block_assign(struct pmp_block *blk, unsigned int lo, unsigned int hi, bool v);
unsigned int pmp_block_count(const struct pmp_block *blk, unsigned int lo, unsigned int hi);
unsigned int pmp_block_next(const struct pmp_block *blk, unsigned int lo, unsigned int hi,
			    bool v);
int pmp_block_uniform(const struct pmp_block *blk);
struct pmp_block *pmp_defer_block(const struct pmp_vm *vm, uint64_t ci);
struct pmp_block *pmp_chunk_defer_block(const struct pmp_vm *vm, const struct pmp_chunk *c);
bool pmp_defer_room(const struct pmp_vm *vm);
struct pmp_block *pmp_defer_attach(struct pmp_vm *vm, uint64_t ci);
void pmp_defer_detach(struct pmp_vm *vm, uint64_t ci);

/* state.c: which 1 GiB ranges have state, and the directory that finds it */
uint64_t pmp_state_next_giant(const struct pmp_vm *vm, uint64_t g, uint64_t g_end);
uint64_t pmp_state_chunk_next(const struct pmp_vm *vm, uint64_t ci, uint64_t ci_end);
int pmp_state_reserve(struct pmp_vm *vm, uint64_t gfn, uint64_t npages);
int pmp_state_slot_add(struct pmp_vm *vm, const struct pmp_slot *s);
void pmp_state_slot_drop(struct pmp_vm *vm, const struct pmp_slot *s);
void pmp_state_trim(struct pmp_vm *vm, uint64_t gfn, uint64_t npages);
void pmp_state_init(struct pmp_vm *vm);
int pmp_state_check(const struct pmp_vm *vm);
void pmp_state_slot_map(struct pmp_vm *vm, struct pmp_slot_state *st);
void pmp_state_slot_unmap(struct pmp_vm *vm, struct pmp_slot_state *st);
/*
 * pmp_state_reserve() and pmp_state_trim() for the range operations' common
 * case, a range inside one 1 GiB range: one directory lookup says there is
 * nothing to reserve (it has state) or nothing to trim (no state, or a
 * memslot holds it), the answer their walks would give.
 */
static inline bool pmp_one_giant(uint64_t gfn, uint64_t npages)
{
	return !((gfn ^ (gfn + npages - 1)) >> PMP_GIANT_SHIFT);
}

/* Does [@gfn, @gfn + @npages), @npages >= 1, lie inside one 2 MiB chunk? */
static inline bool pmp_one_chunk(uint64_t gfn, uint64_t npages)
{
	return !((gfn ^ (gfn + npages - 1)) >> PMP_CHUNK_SHIFT);
}

static inline int pmp_state_ensure(struct pmp_vm *vm, uint64_t gfn, uint64_t npages)
{
	if (pmp_one_giant(gfn, npages) && pmp_state_has(vm, gfn))
		return 0;
	return pmp_state_reserve(vm, gfn, npages);
}

static inline void pmp_state_tidy(struct pmp_vm *vm, uint64_t gfn, uint64_t npages)
{
	uint32_t cg = pmp_giant_index(vm, gfn >> PMP_GIANT_SHIFT);

	if (!pmp_one_giant(gfn, npages) || (cg && !pmp_homes(vm)[cg].nr_slots))
		pmp_state_trim(vm, gfn, npages);
}

/*
 * The same for page @gfn, whose compact giant @cg (not 0) the caller
 * looked up and kept: no second lookup.
 */
static inline void pmp_state_tidy_page(struct pmp_vm *vm, uint32_t cg, uint64_t gfn)
{
	if (!pmp_homes(vm)[cg].nr_slots)
		pmp_state_trim(vm, gfn, 1);
}

/* Entries the memslots' giant runs need at most: see pmp_state_slot_map(). */
static inline uint64_t pmp_slot_giants_cap(uint32_t nr_giants, uint32_t max_slots)
{
	return (uint64_t)nr_giants - 1 + max_slots;
}

/* level.c */
void pmp_slot_prepare(const struct pmp_vm *vm, struct pmp_slot_state *st);
void pmp_slots_prepare(struct pmp_vm *vm);
void pmp_giant_verdict(struct pmp_giant *g);
uint8_t pmp_chunk_verdict_key(const struct pmp_chunk *c, unsigned int vtl);
void pmp_chunk_verdict(struct pmp_vm *vm, const struct pmp_chunk *c);
void pmp_fault_prepare(struct pmp_vm *vm);
int pmp_fault_check(const struct pmp_vm *vm, const struct pmp_fault *f,
		    const struct pmp_slot **slot);
int pmp_fault_decide(const struct pmp_vm *vm, const struct pmp_fault *f,
		     const struct pmp_slot **slot, enum pmp_reason *why);
int pmp_fault_level(const struct pmp_vm *vm, const struct pmp_slot *s,
		    const struct pmp_fault *f, uint16_t planes, enum pmp_reason *why);

/*
 * actions.c: one event's actions and its accounting.  An event reserves
 * its room before it emits anything: out->nr <= limit <= out->cap, and an
 * emit at limit is a bug that pmp_vm_check() reports (lost_actions), never
 * an action dropped without a trace.
 */
struct pmp_event {
	struct pmp_vm *vm;
	struct pmp_actions *out;
	uint32_t limit;		/* out->buf entries this event may fill: [nr, limit) */
	uint8_t cause;
	/* the VTL whose page tables its actions concern: PMP_VTL_ALL unless set */
	uint8_t vtl;
	bool changed_leaves;	/* emitted an action that needs mmu_lock for write */
};

/* The bits of pmp_vm.shared_stops: the VM's faults go the exclusive path. */
enum {
	PMP_SHARED_STOP_PIN = 1,	/* an SEV VM pinning at fault: each record pins */
	PMP_SHARED_STOP_CALLBACK = 2,	/* a caller's callback runs: no state change at all */
	PMP_SHARED_STOP_MERGE = 4,	/* merge=fault: a record may promote */
	PMP_SHARED_STOP_POOL = 8,	/* pmp_pool_room() below PMP_SHARED_POOL_MIN */
};

/*
 * The pool's room below which a fault leaves its record to the exclusive
 * path, whose checks know what a short pool refuses or degrades.
 */
#define PMP_SHARED_POOL_MIN 3

/*
 * A caller's callback (folio layout, yield poll) must not change the VM
 * under the call that invoked it: every state-changing entry point refuses.
 */
static inline int pmp_reentered(const struct pmp_vm *vm)
{
	return vm->shared_stops & PMP_SHARED_STOP_CALLBACK ? -EBUSY : 0;
}

/* May an event of @room entries start?  pmp_event_begin()'s checks. */
static inline int pmp_event_check(const struct pmp_vm *vm, const struct pmp_actions *out,
				  uint32_t room)
{
	if (pmp_reentered(vm))
		return -EBUSY;
	if (out && (!out->buf || out->nr > out->cap))
		return -EINVAL;
	if (room && (!out || out->cap - out->nr < room))
		return -ENOSPC;
	return 0;
}

/* An event that may fill @out up to entry @limit (its room checked). */
static inline void pmp_event_init(struct pmp_event *ev, struct pmp_vm *vm,
				  struct pmp_actions *out, enum pmp_cause cause, uint32_t limit)
{
	ev->vm = vm;
	ev->out = out;
	ev->limit = limit;
	ev->cause = (uint8_t)cause;
	ev->vtl = PMP_VTL_ALL;	/* the per-VTL events say which VTL */
	ev->changed_leaves = false;
}

/* Every event reserves its worst case up front, so emitting cannot fail. */
static inline int pmp_event_begin(struct pmp_event *ev, struct pmp_vm *vm,
				  struct pmp_actions *out, enum pmp_cause cause, uint32_t room)
{
	int err = pmp_event_check(vm, out, room);

	if (!err)
		pmp_event_init(ev, vm, out, cause, out ? out->nr + room : 0);
	return err;
}

int pmp_event_begin_all(struct pmp_event *ev, struct pmp_vm *vm, struct pmp_actions *out,
			enum pmp_cause cause, uint32_t min);
/* Entries an event may still fill. */
static inline uint32_t pmp_event_room(const struct pmp_event *ev)
{
	return ev->out ? ev->limit - ev->out->nr : 0;
}
void pmp_event_end(struct pmp_event *ev);
struct pmp_action *pmp_emit_lost(struct pmp_event *ev);

/* Actions that change no leaf that exists: no mmu_lock for write. */
#define PMP_ACT_LEAF_KEEPING ((1U << PMP_ACT_PIN) | (1U << PMP_ACT_UNPIN) | \
			      (1U << PMP_ACT_FLUSH) | (1U << PMP_ACT_TRACK) | (1U << PMP_ACT_MAP))

/*
 * Write action @a and count it: pmp_emit()'s write, and the lean fault
 * record's, which checked its room first (pmp_event_check()) and emits
 * only actions that keep leaves.
 */
static inline void pmp_action_put(struct pmp_vm *vm, struct pmp_action *a,
				  enum pmp_action_type type, int level, uint8_t cause, uint8_t vtl,
				  uint64_t gfn, uint64_t npages)
{
	*a = (struct pmp_action){ .type = (uint8_t)type, .level = (uint8_t)level,
				  .cause = cause, .vtl = vtl, .gfn = gfn, .npages = npages };
	vm->stats.actions[type]++;
}

/* Append an action within the event's reservation, and count it. */
static inline struct pmp_action *pmp_emit(struct pmp_event *ev, enum pmp_action_type type,
					  int level, uint64_t gfn, uint64_t npages)
{
	struct pmp_action *a;

	if (pmp_unlikely(!ev->out || ev->out->nr >= ev->limit))
		return pmp_emit_lost(ev);
	a = &ev->out->buf[ev->out->nr++];
	pmp_action_put(ev->vm, a, type, level, ev->cause, ev->vtl, gfn, npages);
	if (!((PMP_ACT_LEAF_KEEPING >> type) & 1))
		ev->changed_leaves = true;
	return a;
}

/* accept.c: pmp_accept() of one page of a chunk with state needing no split or promote; else 1 */
int pmp_accept_lean_page(struct pmp_vm *vm, uint64_t gfn, struct pmp_actions *out);
/* pmp_accept() of one whole chunk at 2 MiB needing no split or promote; else 1 */
int pmp_accept_lean_2m(struct pmp_vm *vm, uint64_t gfn, struct pmp_actions *out);
/* pmp_accept() without its lean paths: every accept */
int pmp_accept_general(struct pmp_vm *vm, uint64_t gfn, int level, struct pmp_actions *out);
/* convert.c: an attribute change that discards the range's mappings */
/* @vtl: the VTL whose leaves it discards, PMP_VTL_ALL for every VTL's */
int pmp_change_attrs(struct pmp_vm *vm, unsigned int vtl, uint64_t gfn, uint64_t npages,
		     uint16_t mask, uint16_t values, uint16_t clear, enum pmp_cause cause,
		     struct pmp_actions *out);
/* pmp_convert() of one 4 KiB page needing no flush, reclaim or 1 GiB split; else 1 */
int pmp_convert_lean_4k(struct pmp_vm *vm, uint64_t gfn, bool private, struct pmp_actions *out);
/* vtl.c: pmp_vtl_protect() of one 4 KiB page (@values: denied planes) with no split; else 1 */
int pmp_vtl_protect_lean_4k(struct pmp_vm *vm, unsigned int vtl, uint64_t gfn, uint16_t values,
			    struct pmp_actions *out);

/* Blocks the exact planes can still take: the free ones and the lossy planes'. */
static inline uint32_t pmp_pool_room(const struct pmp_vm *vm)
{
	return vm->pool_blocks - vm->pool_used + vm->lossy_used;
}

/* -ENOMEM unless the exact planes can take @blocks more blocks. */
static inline int pmp_pool_reserve(const struct pmp_vm *vm, unsigned int blocks)
{
	return blocks > pmp_pool_room(vm) ? -ENOMEM : 0;
}

/*
 * mirror.c: what the caller's MMU maps, per VTL.  @vtl is one VTL below
 * nr_vtls or, where the comment says so, PMP_VTL_ALL: every VTL's leaves.
 */
/* The VTLs [*lo, *hi) that @vtl names: itself, or every VTL for PMP_VTL_ALL. */
static inline void pmp_vtl_span(const struct pmp_vm *vm, unsigned int vtl, unsigned int *lo,
				unsigned int *hi)
{
	*lo = vtl == PMP_VTL_ALL ? 0 : vtl;
	*hi = vtl == PMP_VTL_ALL ? vm->nr_vtls : vtl + 1;
}

/* VTL @vtl's leaf flags (PMP_CF_LEAF bits) of chunk @c, in the compact array. */
static inline uint32_t pmp_leaf_flags_at(const struct pmp_vm *vm, const struct pmp_chunk *c,
					 unsigned int vtl)
{
	if (!vtl)
		return c->blocks & PMP_CF_LEAF;
	return (uint32_t)pmp_vtl_chunks(vm, vtl)[c - pmp_cchunks(vm)] << PMP_CF_LEAF_SHIFT;
}

/* The same for GPA chunk @ci. */
static inline uint32_t pmp_leaf_flags(const struct pmp_vm *vm, uint64_t ci, unsigned int vtl)
{
	return pmp_leaf_flags_at(vm, pmp_chunk_at(vm, ci), vtl);
}

/* VTL @vtl's PMP_GF_* flags of compact giant @cg (VTL 0's live in the giant itself). */
static inline uint16_t pmp_vtl_giant_flags(const struct pmp_vm *vm, unsigned int vtl, uint32_t cg)
{
	return vtl ? pmp_vtl_giants(vm, vtl)[cg].flags : pmp_cgiants(vm)[cg].flags;
}

/* Does one 1 GiB leaf of VTL @vtl map GPA giant @g? */
static inline bool pmp_giant_leaf(const struct pmp_vm *vm, uint64_t g, unsigned int vtl)
{
	return pmp_vtl_giant_flags(vm, vtl, pmp_giant_index(vm, g)) & PMP_GF_LEAF;
}

/* The mapped planes of every VTL the VM has. */
static inline uint16_t pmp_mapped_mask(const struct pmp_vm *vm)
{
	uint16_t m = PMP_BIT(PMP_PLANE_MAPPED);
	unsigned int v;

	for (v = 1; v < vm->nr_vtls; v++)
		m |= PMP_BIT(pmp_mapped_plane(v));
	return m;
}

/* Has compact chunk @i a merge candidate a tick should visit (not parked) in any VTL? */
static inline bool pmp_cand_any(const struct pmp_vm *vm, uint64_t i)
{
	const uint32_t live = PMP_CF_CAND | PMP_CF_PARKED;
	unsigned int v;

	if ((pmp_cchunks(vm)[i].blocks & live) == PMP_CF_CAND)
		return true;
	for (v = 1; v < vm->nr_vtls; v++)
		if ((pmp_vtl_chunks(vm, v)[i] & (live >> PMP_CF_LEAF_SHIFT)) ==
		    (PMP_CF_CAND >> PMP_CF_LEAF_SHIFT))
			return true;
	return false;
}

/*
 * After one VTL's leaf flags of compact chunk @i changed by @diff to @now:
 * its bit in the candidate index is set iff some VTL's candidate there is
 * not parked.
 */
static inline void pmp_cand_index(struct pmp_vm *vm, uint64_t i, uint32_t diff, uint32_t now)
{
	uint64_t bit = 1ULL << (i % 64);

	if (!(diff & (PMP_CF_CAND | PMP_CF_PARKED)))
		return;
	if ((now & (PMP_CF_CAND | PMP_CF_PARKED)) == PMP_CF_CAND)
		pmp_cand_map(vm)[i / 64] |= bit;
	else if (!pmp_cand_any(vm, i))
		pmp_cand_map(vm)[i / 64] &= ~bit;
}

void pmp_merge_unpark_vtls(struct pmp_vm *vm, uint64_t ci);

/*
 * pmp_chunk_set_flags() on chunk @c (GPA chunk @ci) and its 1 GiB summary
 * @g in hand: the flags, then only the counts that change (a flag can only
 * rise if set, only fall if cleared, so a caller's constant @set and @clear
 * leave the others out at compile time) and the candidate index.  A parked
 * candidate stays parked only while it is a candidate and nothing a tick's
 * lasting refusal depends on changed: a folio that may now be huge, or its
 * deferred punches issued, unpark it (and the other VTLs' there).
 */
static inline PMP_FAST_INLINE
void pmp_chunk_flags_apply(struct pmp_vm *vm, uint64_t ci, struct pmp_chunk *c,
			   struct pmp_giant *g, uint32_t set, uint32_t clear)
{
	uint32_t old = c->blocks, up = set & ~old, down = old & clear & ~set;
	bool unpark = (up & PMP_CF_BACKED) || (down & PMP_CF_DEFERRED);

	if ((old & PMP_CF_PARKED) && (unpark || (down & PMP_CF_CAND)))
		down |= PMP_CF_PARKED;
	if (!(up | down))
		return;		/* never write a chunk without state */
	c->blocks = (old | up) & ~down;
	if ((up | down) & PMP_CF_HUGE)
		g->nr_huge += up & PMP_CF_HUGE ? 1 : -1;
	if ((up | down) & PMP_CF_BACKED)
		g->nr_backed += up & PMP_CF_BACKED ? 1 : -1;
	if ((up | down) & PMP_CF_CAND) {
		g->nr_cand += up & PMP_CF_CAND ? 1 : -1;
		vm->nr_cand += up & PMP_CF_CAND ? 1 : -1;
	}
	pmp_cand_index(vm, (uint64_t)(c - pmp_cchunks(vm)), up | down, c->blocks);
	if (unpark && vm->nr_vtls > 1)
		pmp_merge_unpark_vtls(vm, ci);
	if ((up | down) & (PMP_CF_INHIBIT | PMP_CF_DEFERRED)) {
		if ((up | down) & PMP_CF_INHIBIT)
			g->nr_inhibit += up & PMP_CF_INHIBIT ? 1 : -1;
		if ((up | down) & PMP_CF_DEFERRED)
			g->nr_deferred += up & PMP_CF_DEFERRED ? 1 : -1;
		pmp_giant_verdict(g);
	}
}

void pmp_vtl_leaf_set_flags(struct pmp_vm *vm, uint64_t ci, unsigned int vtl, uint32_t set,
			    uint32_t clear);

/*
 * Change VTL @vtl's leaf flags (PMP_CF_LEAF bits in @set and @clear) of GPA
 * chunk @ci, with the counts and the shared candidate index that mirror
 * them.  VTL 0's are chunk flags: the fast path, one call.
 */
static inline void pmp_leaf_set_flags(struct pmp_vm *vm, uint64_t ci, unsigned int vtl,
				      uint32_t set, uint32_t clear)
{
	if (!vtl)
		pmp_chunk_set_flags(vm, ci, set, clear);
	else
		pmp_vtl_leaf_set_flags(vm, ci, vtl, set, clear);
}
uint64_t pmp_mapped_next(const struct pmp_vm *vm, unsigned int vtl, uint64_t gfn, uint64_t end);
void pmp_mirror_refresh(struct pmp_vm *vm, uint64_t ci, unsigned int vtl);

/*
 * What pmp_mirror_refresh() does to a VTL's leaf flags @f of a chunk where
 * that VTL maps something iff @mapped: its leaves changed, so it is not
 * settled (SEEN goes) and what a tick refused may have changed (PARKED
 * goes); it is a candidate iff it has 4 KiB leaves (mapped,
 * not huge) that no merge tick blocked, and only such a chunk stays
 * blocked.  Returns the flags to set, *@clear those to clear.
 */
static inline uint32_t pmp_refresh_flags(uint32_t f, bool mapped, uint32_t *clear)
{
	bool small = mapped && !(f & PMP_CF_HUGE);

	*clear = PMP_CF_SEEN | PMP_CF_PARKED | (small ? 0 : PMP_CF_BLOCKED);
	if (small && !(f & PMP_CF_BLOCKED))
		return PMP_CF_CAND;
	*clear |= PMP_CF_CAND;
	return 0;
}
void pmp_mirror_map(struct pmp_vm *vm, unsigned int vtl, uint64_t gfn, int level);
/* @vtl may be PMP_VTL_ALL */
void pmp_mirror_zap(struct pmp_vm *vm, unsigned int vtl, uint64_t gfn, uint64_t npages);
/* @vtl may be PMP_VTL_ALL */
void pmp_mirror_extent(const struct pmp_vm *vm, unsigned int vtl, uint64_t gfn, uint64_t npages,
		       uint64_t *lo, uint64_t *hi);
void pmp_mirror_unleaf(struct pmp_vm *vm, unsigned int vtl, uint64_t gfn, int level);
/* @vtl may be PMP_VTL_ALL */
bool pmp_mirror_any_leaf(const struct pmp_vm *vm, unsigned int vtl, uint64_t gfn,
			 uint64_t npages, int level);
int pmp_mirror_check(const struct pmp_vm *vm);

/* split.c: the leaves of ev->vtl (one VTL, or PMP_VTL_ALL: every VTL's) */
void pmp_split_range(struct pmp_event *ev, uint64_t gfn, uint64_t npages, int target);
void pmp_split_edges(struct pmp_event *ev, uint64_t gfn, uint64_t npages);

/* pin.c */
/* What pinning a range takes: PIN actions (runs of unpinned pages) and pages. */
struct pmp_pin_plan {
	uint32_t runs;
	uint64_t newly;
};
int pmp_pin_plan(const struct pmp_vm *vm, const struct pmp_chunk *c, uint64_t gfn,
		 uint64_t npages, struct pmp_pin_plan *plan);
void pmp_pin_apply(struct pmp_event *ev, uint64_t gfn, uint64_t npages,
		   const struct pmp_pin_plan *plan);
int pmp_pin_refused(struct pmp_vm *vm, enum pmp_reason why);

/* A pin decision that went through (pin=fault's fault, a launch region). */
static inline void pmp_pin_applied(struct pmp_vm *vm)
{
	vm->stats.decision[PMP_DECISION_PIN].tried++;
	vm->stats.decision[PMP_DECISION_PIN].applied++;
}

/* @newly pages more pinned: the count and its high-water mark. */
static inline void pmp_pin_count(struct pmp_vm *vm, uint64_t newly)
{
	vm->nr_pinned += newly;
	if (vm->nr_pinned > vm->pin_high_water)
		vm->pin_high_water = vm->nr_pinned;
}

/* Would pinning @newly more pages pass the policy's pin_limit (0: none)? */
static inline bool pmp_pin_over_limit(const struct pmp_vm *vm, uint64_t newly)
{
	return vm->policy.pin_limit && vm->nr_pinned + newly > vm->policy.pin_limit;
}

/* inval.c */
bool pmp_inval_deferred(const struct pmp_vm *vm, uint64_t gfn);
void pmp_inval_page(struct pmp_event *ev, uint64_t gfn);
int pmp_inval_conflict(struct pmp_vm *vm, uint64_t gfn, uint64_t npages, uint32_t *room);
void pmp_inval_flush_chunks(struct pmp_event *ev, uint64_t gfn, uint64_t npages);
void pmp_inval_withdraw(struct pmp_vm *vm, uint64_t gfn, uint64_t npages);
int pmp_inval_reclaim_room(const struct pmp_vm *vm, unsigned int blocks, uint32_t *room);
void pmp_inval_reclaim(struct pmp_event *ev, unsigned int blocks);
void pmp_inval_drop_all(struct pmp_vm *vm);
int pmp_inval_check(const struct pmp_vm *vm);
/* pmp_punch() of one page into its chunk's deferral bitmap, not filling it; else 1 */
int pmp_punch_lean_4k(struct pmp_vm *vm, uint64_t gfn, struct pmp_actions *out);
/* pmp_punch() without that path: every punch, piece by piece */
int pmp_punch_range(struct pmp_vm *vm, uint64_t gfn, uint64_t npages,
		    const struct pmp_folios *folios, struct pmp_actions *out);
bool pmp_yield_poll(struct pmp_vm *vm, struct pmp_yield_state *st, uint64_t position,
		    uint64_t remaining);

/* merge.c: a merge concerns one VTL's leaves, and only that VTL's eligibility */
enum pmp_reason pmp_merge_blocker(const struct pmp_vm *vm, unsigned int vtl, uint64_t gfn,
				  int level, bool need_full, int32_t slot_hint);
void pmp_promote_emit(struct pmp_event *ev, unsigned int vtl, uint64_t gfn, int level);
bool pmp_merge_lasting(const struct pmp_vm *vm, unsigned int vtl, uint64_t ci);
void pmp_merge_unpark(struct pmp_vm *vm, uint64_t gfn, uint64_t npages);
void pmp_merge_unpark_all(struct pmp_vm *vm);
void pmp_merge_unpark_slot(struct pmp_vm *vm, const struct pmp_slot *s);
void pmp_merge_unpark_vtls(struct pmp_vm *vm, uint64_t ci);
void pmp_merge_unpark_chunk(struct pmp_vm *vm, uint64_t ci, const struct pmp_chunk *c);
bool pmp_promote_ready(const struct pmp_vm *vm, unsigned int vtl, uint64_t gfn, int level);
void pmp_merge_after_fill(struct pmp_event *ev, unsigned int vtl, uint64_t gfn,
			  int32_t slot_hint);

/* policy.c */
const struct pmp_policy *pmp_default_policy(void);

/* The POOL bit of shared_stops as pmp_pool_room() says. */
static inline uint16_t pmp_pool_stop_of(const struct pmp_vm *vm)
{
	return pmp_pool_room(vm) < PMP_SHARED_POOL_MIN ? PMP_SHARED_STOP_POOL : 0;
}

/* shared_stops as vm_type, the policy and the pool say; CALLBACK as it is. */
static inline uint16_t pmp_shared_stops_of(const struct pmp_vm *vm)
{
	return (uint16_t)((vm->vm_type == PMP_VM_SEV && vm->policy.pin == PMP_PIN_FAULT ?
			   PMP_SHARED_STOP_PIN : 0) |
			  (vm->shared_stops & PMP_SHARED_STOP_CALLBACK) |
			  (vm->policy.merge == PMP_MERGE_FAULT ? PMP_SHARED_STOP_MERGE : 0) |
			  pmp_pool_stop_of(vm));
}

/* After a write of vm_type or the policy. */
static inline void pmp_shared_stops_set(struct pmp_vm *vm)
{
	vm->shared_stops = pmp_shared_stops_of(vm);
}

/* After a write of pool_used or lossy_used: one bit, the rest kept. */
static inline void pmp_pool_stop_set(struct pmp_vm *vm)
{
	vm->shared_stops = (uint16_t)((vm->shared_stops & ~PMP_SHARED_STOP_POOL) |
				      pmp_pool_stop_of(vm));
}

/* Around a caller's callback: its bit of shared_stops. */
static inline void pmp_callback_enter(struct pmp_vm *vm)
{
	vm->shared_stops |= PMP_SHARED_STOP_CALLBACK;
}

static inline void pmp_callback_exit(struct pmp_vm *vm)
{
	vm->shared_stops &= (uint16_t)~PMP_SHARED_STOP_CALLBACK;
}

/* A range [gfn, gfn + npages) is non-empty, does not wrap and ends by @end. */
static inline int pmp_range_check(uint64_t gfn, uint64_t npages, uint64_t end)
{
	if (!npages || gfn + npages < gfn)
		return -EINVAL;
	return gfn + npages > end ? -ERANGE : 0;
}

#endif /* PMP_INTERNAL_H */
