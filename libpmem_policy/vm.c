// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * VM lifetime: geometry, layout of the caller's buffer, memslots, and the
 * whole-state invariant checker.
 */
#include "internal.h"

#define MAX_GFN_END (1ULL << 40)	/* 52-bit guest-physical addresses */
#define MAX_SLOTS 32768U		/* KVM_MEM_SLOTS_NUM */
#define MAX_VCPUS 4096U			/* KVM_MAX_VCPUS */
#define ALIGN64(x) (((x) + 63) & ~63ULL)

struct layout {
	uint64_t nr_chunks, nr_giants;
	uint32_t pool_blocks, ring_cap;
	uint64_t off_slots, off_stats, off_chunks, off_giants, off_blocks, off_links, off_ring;
	uint64_t bytes;
};

/* Read the caller's geometry (any sz, by pmp_opts_load()) into @geo and lay it out. */
static int compute_layout(const struct pmp_geometry *user, struct pmp_geometry *geo,
			  struct layout *l)
{
	uint64_t off;
	int err = pmp_opts_load(geo, sizeof(*geo), user, PMP_GEOMETRY_MIN_SZ);

	if (err)
		return err;
	if (!geo->gfn_end || !geo->max_slots || !geo->nr_vcpus || !geo->nr_vtls ||
	    geo->nr_vtls > PMP_MAX_VTLS || geo->vm_type >= PMP_VM_NR)
		return -EINVAL;
	if (geo->gfn_end > MAX_GFN_END || geo->max_slots > MAX_SLOTS ||
	    geo->nr_vcpus > MAX_VCPUS || geo->pool_blocks > PMP_MAX_POOL_BLOCKS ||
	    geo->max_deferred > PMP_MAX_DEFERRED)
		return -ERANGE;

	l->nr_chunks = (geo->gfn_end + PMP_CHUNK_PAGES - 1) >> PMP_CHUNK_SHIFT;
	l->nr_giants = (l->nr_chunks + PMP_GIANT_CHUNKS - 1) / PMP_GIANT_CHUNKS;
	l->ring_cap = geo->max_deferred ? geo->max_deferred : 64;
	l->pool_blocks = geo->pool_blocks;
	if (!l->pool_blocks) {
		/*
		 * One block per chunk for each per-page feature that can be
		 * non-uniform in every chunk at once: attributes, the mapped
		 * mirror, and pins (SEV) or acceptance (SNP, TDX); plus one per
		 * chunk the deferral ring can hold.
		 */
		uint64_t per_chunk = geo->vm_type == PMP_VM_DEFAULT ? 2 : 3;
		uint64_t want = l->nr_chunks * per_chunk + l->ring_cap;

		l->pool_blocks = want < PMP_MAX_POOL_BLOCKS ? (uint32_t)want : PMP_MAX_POOL_BLOCKS;
	}

	/* Every term is bounded above, so none of this can overflow. */
	off = ALIGN64(sizeof(struct pmp_vm));
	l->off_slots = off;
	off = ALIGN64(off + (uint64_t)geo->max_slots * sizeof(struct pmp_slot_state));
	l->off_stats = off;
	off = ALIGN64(off + (uint64_t)geo->nr_vcpus * PMP_STATS_STRIDE);
	l->off_chunks = off;
	off = ALIGN64(off + l->nr_chunks * sizeof(struct pmp_chunk));
	l->off_giants = off;
	off = ALIGN64(off + l->nr_giants * sizeof(struct pmp_giant));
	l->off_blocks = off;
	off = ALIGN64(off + (uint64_t)l->pool_blocks * sizeof(struct pmp_block));
	l->off_links = off;
	off = ALIGN64(off + (uint64_t)l->pool_blocks * sizeof(uint32_t));
	l->off_ring = off;
	l->bytes = ALIGN64(off + (uint64_t)l->ring_cap * sizeof(uint32_t));
	/* a 32-bit host cannot address more */
	return l->bytes > (size_t)-1 ? -ERANGE : 0;
}

int pmp_vm_bound(const struct pmp_geometry *user, uint64_t *bytes)
{
	struct pmp_geometry geo;
	struct layout l;
	int err = compute_layout(user, &geo, &l);

	if (err)
		return err;
	if (!bytes)
		return -EINVAL;
	*bytes = l.bytes;
	return 0;
}

int pmp_vm_init(void *mem, uint64_t size, const struct pmp_geometry *user,
		const struct pmp_policy *policy, struct pmp_vm **out)
{
	struct pmp_vm *vm = mem;
	struct pmp_geometry g0, *geo = &g0;
	struct layout l;
	uint64_t g;
	uint32_t b;
	int err;

	err = compute_layout(user, geo, &l);
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

	pmp_memset(mem, 0, l.bytes);
	vm->magic = PMP_VM_MAGIC;
	vm->nr_vtls = geo->nr_vtls;
	vm->max_slots = geo->max_slots;
	vm->nr_vcpus = geo->nr_vcpus;
	vm->gfn_end = geo->gfn_end;
	vm->nr_chunks = l.nr_chunks;
	vm->nr_giants = l.nr_giants;
	vm->bytes = l.bytes;
	vm->policy = *policy;
	vm->pool_blocks = l.pool_blocks;
	vm->vm_type = geo->vm_type;
	vm->off_slots = l.off_slots;
	vm->off_stats = l.off_stats;
	vm->off_chunks = l.off_chunks;
	vm->off_giants = l.off_giants;
	vm->off_blocks = l.off_blocks;
	vm->off_links = l.off_links;
	vm->off_ring = l.off_ring;
	vm->ring_cap = l.ring_cap;

	/* All pages start at 0 in every plane: every 1 GiB is uniform. */
	for (g = 0; g < l.nr_giants; g++)
		pmp_giants(vm)[g].uniform = (uint16_t)((1U << PMP_NR_SUMMARY_PLANES) - 1);
	for (b = 0; b < l.pool_blocks; b++)
		pmp_links(vm)[b] = b + 1 < l.pool_blocks ? b + 2 : 0;
	vm->free_head = l.pool_blocks ? 1 : 0;
	*out = vm;
	return 0;
}

int pmp_vm_set_policy(struct pmp_vm *vm, const struct pmp_policy *policy)
{
	if (vm->in_callback)
		return -EBUSY;
	if (!policy || pmp_policy_validate(policy))
		return -EINVAL;
	vm->policy = *policy;
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
	if (vm->in_callback) {
		*err = -EBUSY;
		return NULL;
	}
	return slot_lookup(vm, id, err);
}

int pmp_slot_create(struct pmp_vm *vm, uint32_t id, const struct pmp_slot *slot)
{
	struct pmp_slot_state *st;
	int err;

	if (vm->in_callback)
		return -EBUSY;
	if (!slot || id >= vm->max_slots)
		return -EINVAL;
	st = &pmp_slots(vm)[id];
	if (st->in_use)
		return -EEXIST;
	err = slot_valid(vm, id, slot);
	if (err)
		return err;
	st->slot = *slot;
	st->in_use = 1;
	pmp_slot_prepare(st);
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
	pmp_memset(st, 0, sizeof(*st));
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
	if (err)
		return err;
	st->slot = moved;
	pmp_slot_prepare(st);
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
	    (pmp_mirror_any_leaf(vm, st->slot.base_gfn, st->slot.npages, PMP_LEVEL_2M) ||
	     pmp_mirror_any_leaf(vm, st->slot.base_gfn, st->slot.npages, PMP_LEVEL_1G)))
		return -EBUSY;
	st->slot.flags = flags;
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
	out->span = vm->nr_chunks << PMP_CHUNK_SHIFT;
	out->nr_chunks = vm->nr_chunks;
	out->pool_blocks = vm->pool_blocks;
	out->pool_used = vm->pool_used;
	out->pool_high_water = vm->pool_high_water;
	out->nr_slots = vm->nr_slots;
}

static int slots_check(const struct pmp_vm *vm)
{
	const struct pmp_slot_state *slots = pmp_slots(vm);
	uint32_t i, n = 0;

	for (i = 0; i < vm->max_slots; i++) {
		if (!slots[i].in_use)
			continue;
		struct pmp_slot_state want = slots[i];

		pmp_slot_prepare(&want);
		if (slots[i].in_use != 1 || slot_valid(vm, i, &slots[i].slot) ||
		    pmp_memcmp(&want, &slots[i], sizeof(want)))
			return -EUCLEAN;
		n++;
	}
	return n == vm->nr_slots ? 0 : -EUCLEAN;
}

static int giants_check(const struct pmp_vm *vm)
{
	const struct pmp_giant *giants = pmp_giants(vm);
	struct pmp_giant want;
	uint64_t g;

	for (g = 0; g < vm->nr_giants; g++) {
		pmp_giant_recount(vm, g, &want);
		if (pmp_memcmp(&want, &giants[g], sizeof(want)))
			return -EUCLEAN;
	}
	return 0;
}

int pmp_vm_check(const struct pmp_vm *vm)
{
	/* an emit past its event's reservation is a bug even if it fitted nowhere */
	if (!vm || vm->magic != PMP_VM_MAGIC || vm->lost_actions)
		return -EUCLEAN;
	if (slots_check(vm) || pmp_pool_check(vm) || giants_check(vm) || pmp_mirror_check(vm) ||
	    pmp_inval_check(vm))
		return -EUCLEAN;
	return pmp_policy_validate(&vm->policy) ? -EUCLEAN : 0;
}
