// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * VM lifetime: geometry, layout of the caller's buffer, memslots, and the
 * whole-state invariant checker.
 */
#include "internal.h"

#define MAX_SLOTS 32768U		/* KVM_MEM_SLOTS_NUM */
#define MAX_VCPUS 4096U			/* KVM_MAX_VCPUS */
#define ALIGN64(x) (((x) + 63) & ~63ULL)
/*
 * Default edge slack: 2, plus one 1 GiB range for each of the first few
 * memslots; at most half the budget's 1 GiB ranges (at least one), so a
 * small VM does not pay for more edges than it has: QEMU's 4 GiB guests
 * touch 5 (the below-4G RAM, the firmware under 4 GiB, the RAM above it).
 */
#define EDGE_SLOTS 4U

struct layout {
	uint32_t nr_vtls, max_slots, nr_vcpus, vm_type;	/* from the geometry */
	bool has_private_mem;	/* convert.c: pmp_convert() to private allowed */
	uint64_t gfn_end, span;
	uint32_t nr_giants, nr_regions;	/* each with its reserved entry 0 */
	uint8_t top_bits, dir_bits;	/* the directory's entries: pmp_dir_get() */
	uint32_t pool_blocks, defer_cap, pin_reserve;
	uint64_t off_slots, off_chunks, off_giants, off_blocks, off_links;
	uint64_t off_cand, off_vtl_chunks, off_vtl_giants;
	uint64_t off_top, off_homes, off_regions;
	uint64_t off_lossy;
	uint64_t off_verdict, off_slot_giants;	/* the fault path's lookup (state.c) */
	uint64_t bytes;
};

/*
 * How much state: the memory budget (@max_pages, or gfn_end as version 0.1
 * meant it) in 1 GiB ranges, plus room for the partial 1 GiB ranges at
 * memslot edges; directory tables for that many giants plus one 1 TiB
 * region apart.  Neither more than [0, gfn_end) holds: no state lies past
 * gfn_end (every range ends by it), so a VM whose gfn_end is its memory
 * needs no slack.
 */
static int size_state(const struct pmp_geometry *geo, struct layout *l)
{
	uint64_t pages = geo->max_pages ? geo->max_pages : geo->gfn_end;
	uint64_t giants = geo->max_giants, regions = geo->max_regions, span_giants;

	if (!pages)
		return -EINVAL;
	if (pages > PMP_GFN_LIMIT)
		return -ERANGE;
	l->gfn_end = geo->gfn_end ? geo->gfn_end : PMP_GFN_LIMIT;
	l->span = (l->gfn_end + PMP_CHUNK_PAGES - 1) & ~(uint64_t)(PMP_CHUNK_PAGES - 1);
	span_giants = (l->span + PMP_GIANT_PAGES - 1) >> PMP_GIANT_SHIFT;	/* <= 2^22 */
	if (!giants) {
		uint64_t budget = (pages + PMP_GIANT_PAGES - 1) >> PMP_GIANT_SHIFT;
		uint64_t slack = 2 + (geo->max_slots < EDGE_SLOTS ? geo->max_slots : EDGE_SLOTS);

		if (slack > budget / 2)
			slack = budget / 2 ? budget / 2 : 1;
		giants = budget + slack;
		if (giants > span_giants)
			giants = span_giants;
	}
	if (!regions) {
		regions = ((giants + PMP_DIR_ENTRIES - 1) >> PMP_DIR_SHIFT) + 1;
		if (regions > giants)
			regions = giants;
		if (regions > (span_giants + PMP_DIR_ENTRIES - 1) >> PMP_DIR_SHIFT)
			regions = (span_giants + PMP_DIR_ENTRIES - 1) >> PMP_DIR_SHIFT;
	}
	if (giants > PMP_NR_GPA_GIANTS || regions > PMP_DIR_TOP)
		return -ERANGE;
	l->nr_giants = (uint32_t)giants + 1;
	l->nr_regions = (uint32_t)regions + 1;
	/* entries as wide as the indices they hold: a small VM's directory is small */
	l->top_bits = l->nr_regions <= 16 ? 4 : l->nr_regions <= 256 ? 8 : 16;
	l->dir_bits = l->nr_giants <= 256 ? 8 : l->nr_giants <= 65536 ? 16 : 32;
	return 0;
}

/* Read the caller's geometry (any sz, by pmp_opts_load()) and lay it out. */
static int compute_layout(const struct pmp_geometry *user, struct layout *l)
{
	struct pmp_geometry g0, *geo = &g0;
	uint64_t off, chunks;
	int err = pmp_opts_load(geo, sizeof(*geo), user, PMP_GEOMETRY_MIN_SZ);

	if (err)
		return err;
	if (!geo->max_slots || !geo->nr_vcpus || !geo->nr_vtls ||
	    geo->nr_vtls > PMP_MAX_VTLS || geo->vm_type >= PMP_VM_NR ||
	    (geo->flags & ~PMP_GEO_FLAGS_ALL))
		return -EINVAL;
	if (geo->gfn_end > PMP_GFN_LIMIT || geo->max_slots > MAX_SLOTS ||
	    geo->nr_vcpus > MAX_VCPUS || geo->pool_blocks > PMP_MAX_POOL_BLOCKS ||
	    geo->max_deferred > PMP_MAX_DEFERRED)
		return -ERANGE;
	err = size_state(geo, l);
	if (err)
		return err;
	l->nr_vtls = geo->nr_vtls;
	l->max_slots = geo->max_slots;
	l->nr_vcpus = geo->nr_vcpus;
	l->vm_type = geo->vm_type;
	l->has_private_mem = geo->vm_type != PMP_VM_SEV || (geo->flags & PMP_GEO_PRIVATE_MEM);
	/* chunks of the memory budget */
	chunks = ((geo->max_pages ? geo->max_pages : geo->gfn_end) + PMP_CHUNK_PAGES - 1) >>
		 PMP_CHUNK_SHIFT;
	l->defer_cap = geo->max_deferred;
	/* every chunk of the budget: no punch storm evicts (docs/inval.md) */
	if (!l->defer_cap)
		l->defer_cap = chunks < PMP_MAX_DEFERRED ? (uint32_t)chunks : PMP_MAX_DEFERRED;
	l->pool_blocks = geo->pool_blocks;
	l->pin_reserve = 0;
	if (!l->pool_blocks) {
		/*
		 * One block per chunk for the one exact per-page feature a VM
		 * type has, which can be non-uniform in every chunk at once and
		 * cannot degrade: the private attributes, or on SEV the pins
		 * (an SEV VM has no private memory: pmp_convert() refuses to
		 * make a page private there, as KVM does, so its PRIVATE plane
		 * never needs a block).  On top, 1/16 more for everything that
		 * degrades when the pool is short (internal.h, "Lossy planes"):
		 * the mapped mirror of every VTL, acceptance, write tracking
		 * and VTL protections go unknown, a punch is invalidated at
		 * once instead of deferred; and a conversion short of blocks
		 * flushes deferred punches for theirs.  Deferral bitmaps leave
		 * the pins their block per chunk (pin_reserve).  An SEV VM
		 * with private memory all the same (PMP_GEO_PRIVATE_MEM) has
		 * both exact planes: two blocks per chunk.  BENCHMARKS.md,
		 * "Memory", has what this costs per VM type and size.
		 */
		uint64_t exact = geo->vm_type == PMP_VM_SEV && l->has_private_mem ? 2 : 1;
		uint64_t want = exact * chunks + (chunks + 15) / 16;

		/* never a silently smaller pool: past 24 bits, the caller sizes it */
		if (want > PMP_MAX_POOL_BLOCKS)
			return -ERANGE;
		l->pool_blocks = (uint32_t)want;
		if (geo->vm_type == PMP_VM_SEV)
			l->pin_reserve = (uint32_t)chunks;
	}

	/* Every term is bounded above, so none of this can overflow. */
	off = ALIGN64(PMP_OFF_STATS + (uint64_t)geo->nr_vcpus * PMP_STATS_STRIDE);
	l->off_slots = off;
	off = ALIGN64(off + (uint64_t)geo->max_slots * sizeof(struct pmp_slot_state));
	l->off_top = off;
	off = ALIGN64(off + PMP_DIR_TOP / 8 * l->top_bits);
	/*
	 * The directory tables but the reserved one, just below the chunk
	 * array, whose start (the reserved giant's descriptors) is table 0
	 * (pmp_dir_table()).  Each is a whole number of 32-bit words, as
	 * pmp_packed_get() reads them.
	 */
	off += (uint64_t)(l->nr_regions - 1) * PMP_DIR_ENTRIES / 8 * l->dir_bits;
	l->off_chunks = off;
	off = ALIGN64(off + (uint64_t)l->nr_giants * PMP_GIANT_CHUNKS * sizeof(struct pmp_chunk));
	l->off_giants = off;
	off = ALIGN64(off + (uint64_t)l->nr_giants * sizeof(struct pmp_giant));
	l->off_homes = off;
	off = ALIGN64(off + (uint64_t)l->nr_giants * sizeof(struct pmp_home));
	l->off_regions = off;
	off = ALIGN64(off + (uint64_t)l->nr_regions * sizeof(struct pmp_region));
	l->off_blocks = off;
	off = ALIGN64(off + (uint64_t)l->pool_blocks * sizeof(struct pmp_block));
	l->off_links = off;
	off = ALIGN64(off + (uint64_t)l->pool_blocks * sizeof(uint32_t));
	/* the merge tick's candidate index: a bit per compact chunk, 64 bytes per 1 GiB */
	l->off_cand = off;
	off = ALIGN64(off + (uint64_t)l->nr_giants * (PMP_GIANT_CHUNKS / 8));
	/*
	 * The lossy set, 4 bytes an entry: a chunk in it holds a lossy block,
	 * so it has no more entries than the pool has blocks, nor than there
	 * are compact chunks.  (Its back-pointers cost nothing: planes.c.)
	 */
	l->off_lossy = off;
	off = ALIGN64(off + (l->pool_blocks < (uint64_t)l->nr_giants * PMP_GIANT_CHUNKS ?
			     l->pool_blocks : (uint64_t)l->nr_giants * PMP_GIANT_CHUNKS) *
			    sizeof(uint32_t));
	/* VTL 1 and 2's leaf records: nothing for a VM with one VTL */
	l->off_vtl_chunks = off;
	off = ALIGN64(off + (uint64_t)(l->nr_vtls - 1) * l->nr_giants * PMP_GIANT_CHUNKS);
	l->off_vtl_giants = off;
	off = ALIGN64(off + (uint64_t)(l->nr_vtls - 1) * l->nr_giants *
			    sizeof(struct pmp_vtl_giant));
	/* the fault path's verdict bytes, per VTL: 512 bytes per 1 GiB each, none for giant 0 */
	l->off_verdict = off;
	off = ALIGN64(off + (uint64_t)l->nr_vtls * (l->nr_giants - 1) * PMP_GIANT_CHUNKS);
	/* the memslots' runs of compact giants: 4 bytes per 1 GiB, and per slot */
	l->off_slot_giants = off;
	l->bytes = ALIGN64(off + pmp_slot_giants_cap(l->nr_giants, l->max_slots) *
				 sizeof(uint32_t));
	/* a 32-bit host cannot address more */
	return l->bytes > (size_t)-1 ? -ERANGE : 0;
}

int pmp_vm_bound(const struct pmp_geometry *user, uint64_t *bytes)
{
	struct layout l;
	int err = compute_layout(user, &l);

	if (err)
		return err;
	if (!bytes)
		return -EINVAL;
	*bytes = l.bytes;
	return 0;
}

/*
 * Zero the state of layout @l in @mem but what is written before it is
 * read: a pool block when it is allocated (filled with its plane's old
 * value, or cleared for a deferral bitmap), a free list link here
 * (pool_links_init()), a lossy set entry when its chunk joins.  The pool,
 * 68 bytes a 2 MiB with its links, is most of a VM's state: left as it
 * is, a new VM touches only the pages it reads.
 */
static void state_zero(char *mem, const struct layout *l)
{
	pmp_memset(mem, 0, l->off_blocks);
	pmp_memset(mem + l->off_cand, 0, l->off_lossy - l->off_cand);
	pmp_memset(mem + l->off_vtl_chunks, 0, l->bytes - l->off_vtl_chunks);
}

/* Every block free, listed in order: block b's link names b + 1 (indices + 1, 0 ends). */
static void pool_links_init(struct pmp_vm *vm)
{
	uint32_t *links = pmp_links(vm), n = vm->pool_blocks, b;

	for (b = 0; b + 1 < n; b++)
		links[b] = b + 2;
	if (n)
		links[n - 1] = 0;
	vm->free_head = n ? 1 : 0;
}

/*
 * Build the VM of layout @l in @mem, which has room for it.  Apart from
 * pmp_vm_init() so that the layout and the VM's locals are two frames,
 * each within the core's 256 bytes.
 */
static struct pmp_vm *vm_build(void *mem, const struct layout *l,
			       const struct pmp_policy *policy)
{
	struct pmp_vm *vm = mem;
	uint32_t b;

	state_zero(mem, l);
	vm->magic = PMP_VM_MAGIC;
	vm->nr_vtls = l->nr_vtls;
	vm->max_slots = l->max_slots;
	vm->nr_vcpus = l->nr_vcpus;
	vm->gfn_end = l->gfn_end;
	vm->span = l->span;
	vm->nr_giants = l->nr_giants;
	vm->nr_regions = l->nr_regions;
	vm->top_bits = l->top_bits;
	vm->dir_bits = l->dir_bits;
	vm->top_mask = (uint32_t)((1ULL << l->top_bits) - 1);
	vm->dir_mask = (uint32_t)((1ULL << l->dir_bits) - 1);
	vm->bytes = l->bytes;
	vm->policy = *policy;
	vm->pool_blocks = l->pool_blocks;
	vm->pin_reserve = l->pin_reserve;
	vm->vm_type = l->vm_type;
	vm->has_private_mem = l->has_private_mem;
	pmp_shared_stops_set(vm);
	vm->off_slots = l->off_slots;
	vm->off_chunks = l->off_chunks;
	vm->off_giants = l->off_giants;
	vm->off_blocks = l->off_blocks;
	vm->off_links = l->off_links;
	vm->off_cand = l->off_cand;
	vm->off_vtl_chunks = l->off_vtl_chunks;
	vm->off_vtl_giants = l->off_vtl_giants;
	vm->off_top = l->off_top;
	vm->off_homes = l->off_homes;
	vm->off_regions = l->off_regions;
	vm->off_lossy = l->off_lossy;
	vm->defer_cap = l->defer_cap;
	/* compact chunk i's byte at off_verdict[b] + i: i >= 512 (pmp_verdicts()) */
	for (b = 0; b < l->nr_vtls; b++)
		vm->off_verdict[b] = l->off_verdict + (uint64_t)b * (l->nr_giants - 1) *
				     PMP_GIANT_CHUNKS - PMP_GIANT_CHUNKS;
	for (b = 0; b < PMP_MAX_VTLS; b++)
		vm->off_gverdict[b] = l->off_giants + __builtin_offsetof(struct pmp_giant, key) + b;
	vm->off_slot_giants = l->off_slot_giants;
	vm->slot_giants_cap = (uint32_t)pmp_slot_giants_cap(l->nr_giants, l->max_slots);
	pmp_fault_prepare(vm);

	/* All pages start at 0 in every plane, and no 1 GiB has state yet. */
	pmp_state_init(vm);
	pool_links_init(vm);
	return vm;
}

int pmp_vm_init(void *mem, uint64_t size, const struct pmp_geometry *user,
		const struct pmp_policy *policy, struct pmp_vm **out)
{
	struct layout l;
	int err = compute_layout(user, &l);

	if (err)
		return err;
	if (!mem || !out || ((uintptr_t)mem & 7))
		return -EINVAL;
	if (!policy)
		policy = pmp_default_policy();
	if (pmp_policy_validate(policy))
		return -EINVAL;
	if (size < l.bytes)
		return -ENOSPC;
	*out = vm_build(mem, &l, policy);
	return 0;
}

int pmp_vm_set_policy(struct pmp_vm *vm, const struct pmp_policy *policy)
{
	if (pmp_reentered(vm))
		return -EBUSY;
	if (!policy || pmp_policy_validate(policy))
		return -EINVAL;
	vm->policy = *policy;
	pmp_shared_stops_set(vm);
	pmp_slots_prepare(vm);	/* the fault path's verdicts follow the policy */
	pmp_merge_unpark_all(vm);	/* and what a tick refuses for good */
	return 0;
}

void pmp_vm_policy(const struct pmp_vm *vm, struct pmp_policy *out)
{
	*out = vm->policy;
}

/* A byte range of @npages pages at @addr: page aligned, no wrap-around. */
static bool host_range_valid(uint64_t addr, uint64_t npages)
{
	uint64_t bytes = npages << PMP_PAGE_SHIFT;

	return !(addr & ((1ULL << PMP_PAGE_SHIFT) - 1)) && addr + bytes >= addr;
}

/* A slot's shape alone: size, wrap-around, alignment, flags, span. */
static int slot_shape_valid(const struct pmp_vm *vm, const struct pmp_slot *s)
{
	if (!s->npages || s->base_gfn + s->npages < s->base_gfn ||
	    s->npages > (~0ULL >> PMP_PAGE_SHIFT))
		return -EINVAL;
	if (!host_range_valid(s->userspace_addr, s->npages) ||
	    !host_range_valid(s->gmem_offset, s->npages))
		return -EINVAL;
	if ((s->flags & ~PMP_SLOT_FLAGS_ALL) ||
	    (s->gmem_offset && !(s->flags & PMP_SLOT_GUEST_MEMFD)))
		return -EINVAL;
	return s->base_gfn + s->npages > vm->gfn_end ? -ERANGE : 0;
}

static bool slots_overlap(const struct pmp_slot *a, const struct pmp_slot *b)
{
	return a->base_gfn < b->base_gfn + b->npages && b->base_gfn < a->base_gfn + a->npages;
}

/* @s as slot @id: valid, and clear of every other slot. */
static int slot_valid(const struct pmp_vm *vm, uint32_t id, const struct pmp_slot *s)
{
	const struct pmp_slot_state *slots = pmp_slots(vm);
	uint32_t i;
	int err = slot_shape_valid(vm, s);

	if (err)
		return err;
	for (i = 0; i < vm->max_slots; i++)
		if (i != id && slots[i].in_use && slots_overlap(&slots[i].slot, s))
			return -EINVAL;
	return 0;
}

static struct pmp_slot_state *slot_lookup(const struct pmp_vm *vm, uint32_t id, int *err)
{
	struct pmp_slot_state *st;

	if (id >= vm->max_slots) {
		*err = -EINVAL;
		return NULL;
	}
	st = &pmp_slots(vm)[id];
	*err = st->in_use ? 0 : -ENOENT;
	return st->in_use ? st : NULL;
}

/* A slot about to change: none from inside a caller's callback. */
static struct pmp_slot_state *slot_for_change(struct pmp_vm *vm, uint32_t id, int *err)
{
	if (pmp_reentered(vm)) {
		*err = -EBUSY;
		return NULL;
	}
	return slot_lookup(vm, id, err);
}

/* A slot leaves its range (deleted or moved): the state it alone held goes. */
static void moved_out(struct pmp_vm *vm, struct pmp_slot_state *st)
{
	struct pmp_slot old = st->slot;

	pmp_merge_unpark_slot(vm, &old);	/* its range no longer logs dirty pages */
	pmp_state_slot_unmap(vm, st);
	pmp_memset(st, 0, sizeof(*st));
	pmp_state_slot_drop(vm, &old);
}

/*
 * @st's memslot, @slot copied field by field over zeroes: the caller's
 * padding bytes never enter the state, which is compared and copied whole
 * (and in the kernel would carry the caller's stack bytes).
 */
static void slot_store(struct pmp_slot_state *st, const struct pmp_slot *slot)
{
	pmp_memset(&st->slot, 0, sizeof(st->slot));
	st->slot.base_gfn = slot->base_gfn;
	st->slot.npages = slot->npages;
	st->slot.userspace_addr = slot->userspace_addr;
	st->slot.gmem_offset = slot->gmem_offset;
	st->slot.flags = slot->flags;
}

/*
 * @slot arrives at its range (created or moved), its state @st: what a tick
 * parked there for having no memslot, or for the edges or alignment of the
 * memslots before it (the leaves a caller left), may merge under this one.
 */
static void moved_in(struct pmp_vm *vm, struct pmp_slot_state *st, const struct pmp_slot *slot)
{
	slot_store(st, slot);
	st->in_use = 1;
	pmp_state_slot_map(vm, st);
	pmp_slot_prepare(vm, st);
	pmp_merge_unpark(vm, slot->base_gfn, slot->npages);
}

int pmp_slot_create(struct pmp_vm *vm, uint32_t id, const struct pmp_slot *slot)
{
	struct pmp_slot_state *st;
	int err;

	if (pmp_reentered(vm))
		return -EBUSY;
	if (!slot || id >= vm->max_slots)
		return -EINVAL;
	st = &pmp_slots(vm)[id];
	if (st->in_use)
		return -EEXIST;
	err = slot_valid(vm, id, slot);
	if (!err)
		err = pmp_state_slot_add(vm, slot);	/* -ENOMEM: nothing changed */
	if (err)
		return err;
	moved_in(vm, st, slot);
	vm->nr_slots++;
	return 0;
}

/* Pins of a memslot's pages: its SLOT_DELETE/SLOT_MOVE zap releases them. */
static bool slot_pinned(const struct pmp_vm *vm, const struct pmp_slot *s)
{
	return pmp_plane_next(vm, s->base_gfn, s->base_gfn + s->npages, PMP_PLANE_PINNED, true) <
	       s->base_gfn + s->npages;
}

int pmp_slot_delete(struct pmp_vm *vm, uint32_t id)
{
	int err;
	struct pmp_slot_state *st = slot_for_change(vm, id, &err);

	if (!st)
		return err;
	if (slot_pinned(vm, &st->slot))
		return -EBUSY;
	moved_out(vm, st);
	vm->nr_slots--;
	return 0;
}

int pmp_slot_move(struct pmp_vm *vm, uint32_t id, uint64_t base_gfn)
{
	struct pmp_slot moved;
	int err;
	struct pmp_slot_state *st = slot_for_change(vm, id, &err);

	if (!st)
		return err;
	if (slot_pinned(vm, &st->slot))
		return -EBUSY;
	moved = st->slot;
	moved.base_gfn = base_gfn;
	err = slot_valid(vm, id, &moved);
	if (!err)
		err = pmp_state_slot_add(vm, &moved);	/* before the old range goes */
	if (err)
		return err;
	moved_out(vm, st);
	moved_in(vm, st, &moved);
	return 0;
}

int pmp_slot_set_flags(struct pmp_vm *vm, uint32_t id, uint32_t flags)
{
	int err;
	struct pmp_slot_state *st = slot_for_change(vm, id, &err);

	if (!st)
		return err;
	if ((flags & ~PMP_SLOT_FLAGS_ALL) ||
	    ((flags ^ st->slot.flags) & PMP_SLOT_GUEST_MEMFD))
		return -EINVAL;
	/* huge leaves under dirty logging need the split pmp_dirty_log() does */
	if ((flags & ~st->slot.flags & PMP_SLOT_DIRTY_LOG) &&
	    (pmp_mirror_any_leaf(vm, PMP_VTL_ALL, st->slot.base_gfn, st->slot.npages,
				 PMP_LEVEL_2M) ||
	     pmp_mirror_any_leaf(vm, PMP_VTL_ALL, st->slot.base_gfn, st->slot.npages,
				 PMP_LEVEL_1G)))
		return -EBUSY;
	if (st->slot.flags & ~flags & PMP_SLOT_DIRTY_LOG)
		pmp_merge_unpark_slot(vm, &st->slot);
	st->slot.flags = flags;
	pmp_slot_prepare(vm, st);
	return 0;
}

int pmp_slot_get(const struct pmp_vm *vm, uint32_t id, struct pmp_slot *out)
{
	int err;
	const struct pmp_slot_state *st = slot_lookup(vm, id, &err);

	if (!st)
		return err;
	if (!out)
		return -EINVAL;
	*out = st->slot;
	return 0;
}

void pmp_vm_info(const struct pmp_vm *vm, struct pmp_vm_info *out)
{
	pmp_memset(out, 0, sizeof(*out));
	out->bytes = vm->bytes;
	out->gfn_end = vm->gfn_end;
	out->span = vm->span;
	out->nr_chunks = (uint64_t)vm->giants_used << (PMP_GIANT_SHIFT - PMP_CHUNK_SHIFT);
	out->pool_blocks = vm->pool_blocks;
	out->pool_used = vm->pool_used;
	out->pool_high_water = vm->pool_high_water;
	out->nr_slots = vm->nr_slots;
	out->max_giants = vm->nr_giants - 1;
	out->giants_used = vm->giants_used;
	out->giants_high_water = vm->giants_high_water;
	out->max_regions = vm->nr_regions - 1;
	out->regions_used = vm->regions_used;
}

static int slots_check(const struct pmp_vm *vm)
{
	const struct pmp_slot_state *slots = pmp_slots(vm);
	uint32_t i, n = 0;

	for (i = 0; i < vm->max_slots; i++) {
		if (!slots[i].in_use)
			continue;
		struct pmp_slot_state want;

		/* a byte copy: the comparison below is of bytes, padding included */
		pmp_memcpy(&want, &slots[i], sizeof(want));
		pmp_slot_prepare(vm, &want);
		if (slots[i].in_use != 1 || slot_valid(vm, i, &slots[i].slot) ||
		    pmp_memcmp(&want, &slots[i], sizeof(want)))
			return -EUCLEAN;
		n++;
	}
	return n == vm->nr_slots ? 0 : -EUCLEAN;
}

/*
 * Every 1 GiB summary in use is the recount of its chunks.  A compact giant
 * not in use was found pristine by pmp_state_check() (chunks all 0, the
 * summary a reset one: what a recount of them gives), which runs first.
 */
static int giants_check(const struct pmp_vm *vm)
{
	const struct pmp_giant *giants = pmp_cgiants(vm);
	struct pmp_giant want;
	uint32_t cg;

	for (cg = 1; cg < vm->nr_giants; cg++) {
		if (!pmp_homes(vm)[cg].in_use)
			continue;
		pmp_giant_recount(vm, cg, &want);
		if (pmp_memcmp(&want, &giants[cg], sizeof(want)))
			return -EUCLEAN;
	}
	return 0;
}

int pmp_vm_check(const struct pmp_vm *vm)
{
	/* an emit past its event's reservation is a bug even if it fitted nowhere */
	if (!vm || vm->magic != PMP_VM_MAGIC || vm->lost_actions)
		return -EUCLEAN;
	if (vm->span > PMP_GFN_LIMIT || vm->gfn_end > vm->span ||
	    vm->shared_stops != pmp_shared_stops_of(vm))
		return -EUCLEAN;
	/* in this order: each check may trust what those before it found */
	if (slots_check(vm) || pmp_state_check(vm) || pmp_pool_check(vm) || giants_check(vm) ||
	    pmp_mirror_check(vm) ||
	    pmp_inval_check(vm))
		return -EUCLEAN;
	return pmp_policy_validate(&vm->policy) ? -EUCLEAN : 0;
}
