// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Private/shared conversions (KVM_SET_MEMORY_ATTRIBUTES), and the shared
 * step of every attribute change that discards mappings (VTL protections
 * too): split the leaves crossing the edges, zap the range, update the
 * planes.  The pool need and the action room are checked first, so it
 * applies whole or fails with nothing changed.  Short of pool blocks for
 * the private attributes, it flushes deferred punches to free theirs.
 */
#include "internal.h"

#define ACCEPTED PMP_BIT(PMP_PLANE_ACCEPTED)

/*
 * Split the event VTL's leaves crossing the edges, then zap the range in
 * its page tables if anything there is mapped.
 */
static void unmap_range(struct pmp_event *ev, uint64_t gfn, uint64_t npages)
{
	uint64_t end = gfn + npages;

	pmp_split_edges(ev, gfn, npages);
	if (pmp_mapped_next(ev->vm, ev->vtl, gfn, end) < end) {
		pmp_emit(ev, PMP_ACT_ZAP, 0, gfn, npages);
		pmp_mirror_zap(ev->vm, ev->vtl, gfn, npages);
	}
}

/*
 * The exact planes' blocks a change takes (the lossy ones, mapped mirror,
 * acceptance, VTL protections, take none: internal.h), and when the pool
 * is short of them the deferred chunks whose flush gives them back:
 * *@victims of them, flushed with *@room actions.  -ENOMEM only if even
 * that is not enough, which the default pool rules out for the private
 * attributes (pmp_vm_bound()).
 */
static int exact_need(const struct pmp_vm *vm, uint64_t gfn, uint64_t npages, uint16_t mask,
		      uint16_t values, unsigned int *victims, uint32_t *room)
{
	unsigned int need = pmp_planes_blocks_needed(vm, gfn, npages, mask, values);
	uint32_t have = pmp_pool_room(vm);

	*victims = need > have ? need - have : 0;
	*room = 0;
	return *victims ? pmp_inval_reclaim_room(vm, *victims, room) : 0;
}

/*
 * An attribute change that discards the range's mappings (conversion, VTL)
 * in the page tables of VTL @vtl, or of every VTL (PMP_VTL_ALL).  A
 * conversion to private over deferred punches flushes them first, or is
 * refused, by policy: the private page must not come back punched.
 */
int pmp_change_attrs(struct pmp_vm *vm, unsigned int vtl, uint64_t gfn, uint64_t npages,
		     uint16_t mask, uint16_t values, uint16_t clear, enum pmp_cause cause,
		     struct pmp_actions *out)
{
	bool to_private = cause == PMP_CAUSE_CONVERT && values;
	uint32_t flush_room = 0, reclaim_room;
	unsigned int victims;
	struct pmp_event ev;
	int err = pmp_range_check(gfn, npages, vm->gfn_end);

	if (!err && to_private)
		err = pmp_inval_conflict(vm, gfn, npages, &flush_room);
	/* only a conversion may discard accepted TDX private pages (or maybe accepted ones) */
	if (!err && vm->vm_type == PMP_VM_TDX && cause != PMP_CAUSE_CONVERT &&
	    pmp_plane_next(vm, gfn, gfn + npages, PMP_PLANE_ACCEPTED, true) < gfn + npages)
		err = -EBUSY;
	/* @clear is acceptance, lossy: it needs no block */
	if (!err)
		err = exact_need(vm, gfn, npages, mask, values, &victims, &reclaim_room);
	if (err)
		return err;
	/* no array: fine while nothing is mapped (attribute tracking only) */
	if (!out && (flush_room || victims || pmp_mapped_next(vm, vtl, gfn, gfn + npages) <
					       gfn + npages))
		err = -ENOSPC;
	if (!err)
		err = pmp_event_begin(&ev, vm, out, cause,
				      out ? PMP_EVENT_ACTIONS + flush_room + reclaim_room : 0);
	/* last, as it may fail: non-default values need state of their own */
	if (!err && (values & mask))
		err = pmp_state_ensure(vm, gfn, npages);
	if (err)
		return err;
	/* first, on the state its room was planned on: it may flush chunks of the range */
	if (victims)
		pmp_inval_reclaim(&ev, victims);
	if (flush_room)
		pmp_inval_flush_chunks(&ev, gfn, npages);
	else if (to_private && vm->policy.conflict_flush == PMP_CONFLICT_WITHDRAW)
		pmp_inval_withdraw(vm, gfn, npages);
	ev.vtl = (uint8_t)vtl;
	unmap_range(&ev, gfn, npages);
	/*
	 * The pool was checked (and refilled) for the exact updates above; the
	 * planes cleared with them go in the same pass, one lookup a chunk.
	 */
	pmp_planes_apply(vm, gfn, npages, mask | clear, (uint16_t)(values & ~clear));
	/* shared pages need not be accepted: a tick may promote them */
	if (mask & PMP_BIT(PMP_PLANE_PRIVATE))
		pmp_merge_unpark(vm, gfn, npages);
	pmp_event_end(&ev);
	pmp_state_tidy(vm, gfn, npages);
	return 0;
}

/*
 * Does any VTL have a 1 GiB leaf over chunk @c (compact giant @cg), or a
 * mapped plane unknown there (the pool was short)?  Either keeps a page's
 * conversion off pmp_convert_lean_4k().  *@split: a VTL has a 2 MiB leaf
 * over the chunk, which the conversion breaks first.
 */
static bool leaves_not_plain(const struct pmp_vm *vm, uint32_t cg, const struct pmp_chunk *c,
			     bool *split)
{
	unsigned int v;

	*split = false;
	for (v = 0; v < vm->nr_vtls; v++) {
		uint16_t mapped = PMP_BIT(pmp_mapped_plane(v));

		if ((pmp_vtl_giant_flags(vm, v, cg) & PMP_GF_LEAF) ||
		    ((c->mixed & c->value) & mapped))
			return true;
		*split |= !!(pmp_leaf_flags_at(vm, c, v) & PMP_CF_HUGE);
	}
	return false;
}

/*
 * The VTLs (bit v for VTL v) whose mapped plane holds page @i of chunk @c
 * (an unknown one: maybe, as pmp_mapped_next() reads it).
 */
static uint32_t vtls_mapping(const struct pmp_vm *vm, const struct pmp_chunk *c, unsigned int i)
{
	uint32_t vtls = 0;
	unsigned int v;

	for (v = 0; v < vm->nr_vtls; v++)
		if (pmp_chunk_plane_get(vm, c, i, pmp_mapped_plane(v)))
			vtls |= 1U << v;
	return vtls;
}

/*
 * The common conversion: one 4 KiB page, in a chunk with state where no VTL
 * has a 1 GiB leaf or an unknown mapped plane, with no deferred punch there
 * (to private) unless the policy withdraws them, and the pool holding the
 * block the private plane may take.  pmp_change_attrs() then flushes and
 * reclaims nothing and splits at most the chunk's 2 MiB leaves: it
 * withdraws the page's deferred punch, splits, zaps the page if a VTL maps
 * it, updates its planes and unparks the chunk, which this does with the
 * chunk looked up once.  1 if the call is not that case (nothing changed).
 */
int pmp_convert_lean_4k(struct pmp_vm *vm, uint64_t gfn, bool private, struct pmp_actions *out)
{
	uint16_t values = private ? PMP_BIT(PMP_PLANE_PRIVATE) : 0, priv = PMP_BIT(PMP_PLANE_PRIVATE);
	unsigned int i = gfn & (PMP_CHUNK_PAGES - 1), v;
	uint64_t ci = gfn >> PMP_CHUNK_SHIFT;
	struct pmp_event ev;
	struct pmp_chunk *c;
	bool withdraw, split, withdraws = vm->policy.conflict_flush == PMP_CONFLICT_WITHDRAW;
	uint32_t cg, vtls;

	if (gfn >= vm->gfn_end || !out || pmp_event_check(vm, out, PMP_EVENT_ACTIONS))
		return 1;
	c = pmp_chunk_lookup(vm, gfn, &cg);
	if (!cg)
		return 1;	/* no state: the change may take some */
	/* pmp_inval_withdraw() finds nothing to drop in a chunk without deferred punches */
	withdraw = private && (c->blocks & PMP_CF_DEFERRED);
	if ((withdraw && !withdraws) || leaves_not_plain(vm, cg, c, &split))
		return 1;	/* a flush, a refusal or a 1 GiB leaf's split */
	/* an exact plane takes a block for one page only when it was uniform at another value */
	if (!(c->mixed & priv) && ((c->value ^ values) & priv) && !pmp_pool_room(vm))
		return 1;	/* a reclaim */
	pmp_event_init(&ev, vm, out, PMP_CAUSE_CONVERT, out->nr + PMP_EVENT_ACTIONS);
	if (withdraw)
		pmp_inval_withdraw(vm, gfn, 1);
	if (split)
		pmp_split_edges(&ev, gfn, 1);	/* the 2 MiB leaves, as pmp_change_attrs() */
	vtls = vtls_mapping(vm, c, i);
	if (vtls) {
		/* pmp_mirror_zap() of a page no huge leaf covers now, VTL by VTL */
		pmp_emit(&ev, PMP_ACT_ZAP, 0, gfn, 1);
		for (v = 0; v < vm->nr_vtls; v++) {
			if (vtls & (1U << v))
				pmp_chunk_page_apply(vm, ci, c, i, PMP_BIT(pmp_mapped_plane(v)), 0);
			pmp_mirror_refresh(vm, ci, v);
		}
	}
	pmp_chunk_page_apply(vm, ci, c, i, priv | ACCEPTED, values);
	pmp_merge_unpark_chunk(vm, ci, c);
	pmp_event_end(&ev);
	pmp_state_tidy_page(vm, cg, gfn);
	return 0;
}

/*
 * A shared page is never accepted: conversions both ways clear the state.
 * An SEV/SEV-ES VM has no private memory: KVM sets has_private_mem only for
 * SW_PROTECTED, SNP and TDX VMs, so KVM_SET_MEMORY_ATTRIBUTES to private is
 * -EINVAL there (kvm_supported_mem_attributes() is 0) while to shared is
 * accepted.  The core refuses the same way, before anything else, so an
 * SEV VM's PRIVATE plane stays all 0 and its default pool holds no block
 * for it (vm.c), unless its geometry says it has private memory all the
 * same (PMP_GEO_PRIVATE_MEM).
 */
int pmp_convert(struct pmp_vm *vm, uint64_t gfn, uint64_t npages, bool private,
		struct pmp_actions *out)
{
	if (private && !vm->has_private_mem)
		return -EINVAL;
	if (npages == 1 && !pmp_convert_lean_4k(vm, gfn, private, out))
		return 0;
	return pmp_change_attrs(vm, PMP_VTL_ALL, gfn, npages, PMP_BIT(PMP_PLANE_PRIVATE),
				private ? PMP_BIT(PMP_PLANE_PRIVATE) : 0, ACCEPTED, PMP_CAUSE_CONVERT,
				out);
}
