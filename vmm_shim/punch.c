// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Hole punches through the core's coalescing.  The core turns requests
 * into INVALIDATE runs (deferring sub-2 MiB pieces until their range is
 * whole or flushed); the shim merges adjacent runs once more, across
 * calls' action boundaries, and issues one fallocate(PUNCH_HOLE) per
 * contiguous piece of backing (madvise(DONTNEED) for anonymous memory).
 * KVM zaps its SPTEs from the same calls (guest_memfd invalidation or the
 * MMU notifier), so fewer calls also mean fewer zap walks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>

#include "internal.h"

/* Free [gfn, gfn + npages), which lies in one slot. */
static int free_backing(struct pmp_vmm *vmm, const struct pmp_vmm_slot *s, uint64_t gfn,
			uint64_t npages)
{
	uint64_t off = s->offset + ((gfn - (s->gpa >> 12)) << 12), len = npages << 12;

	if (s->mem.fd >= 0) {
		vmm->counters.fallocate_calls++;
		if (fallocate(s->mem.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len))
			return pmp_vmm_fail(vmm, -errno,
					    "fallocate(PUNCH_HOLE|KEEP_SIZE, fd %d, offset 0x%llx, len 0x%llx)",
					    s->mem.fd, (unsigned long long)off, (unsigned long long)len);
	} else {
		vmm->counters.madvise_calls++;
		if (madvise((uint8_t *)s->mem.host + off, len, MADV_DONTNEED))
			return pmp_vmm_fail(vmm, -errno, "madvise(DONTNEED, 0x%llx bytes at slot offset 0x%llx)",
					    (unsigned long long)len, (unsigned long long)off);
	}
	vmm->counters.punched_bytes += len;
	return 0;
}

/* Free a run that may cross slots (adjacent slots share no backing). */
static int free_run(struct pmp_vmm *vmm, uint64_t gfn, uint64_t npages)
{
	while (npages) {
		const struct pmp_vmm_slot *s = pmp_vmm_slot_of(vmm, gfn);
		uint64_t n;
		int err;

		if (!s)		/* a slot deleted since the punch: nothing to free */
			return 0;
		n = (s->gpa >> 12) + (s->size >> 12) - gfn;
		n = n < npages ? n : npages;
		err = free_backing(vmm, s, gfn, n);
		if (err)
			return err;
		gfn += n;
		npages -= n;
	}
	return 0;
}

int pmp_vmm_apply_invalidations(struct pmp_vmm *vmm)
{
	uint64_t gfn = 0, npages = 0;

	for (uint32_t i = 0; i < vmm->actions.nr; i++) {
		const struct pmp_action *a = &vmm->actions.buf[i];
		int err;

		if (a->type != PMP_ACT_INVALIDATE)
			continue;	/* KVM splits, zaps and flushes by itself */
		if (npages && a->gfn == gfn + npages) {
			npages += a->npages;
			continue;
		}
		if (npages) {
			err = free_run(vmm, gfn, npages);
			if (err)
				return err;
		}
		gfn = a->gfn;
		npages = a->npages;
	}
	return npages ? free_run(vmm, gfn, npages) : 0;
}

/*
 * The folio order behind @gfn, as the backing gives it: THP-backed memory
 * comes in 2 MiB folios where the slot's gpa and host address agree modulo
 * 2 MiB; guest_memfd here gives 4 KiB ones.  The core defers sub-2 MiB
 * punches only inside 2 MiB folios, where freeing a piece would split the
 * folio; a hint that is wrong only costs that split.
 */
static unsigned int backing_order(void *ctx, uint64_t gfn)
{
	struct pmp_vmm *vmm = ctx;
	const struct pmp_vmm_slot *s = pmp_vmm_slot_of(vmm, gfn);
	uint64_t host;
	bool thp;

	if (!s)
		return 0;
	host = (uintptr_t)s->mem.host + s->offset;
	thp = (s->mem.backing == PMP_BACKING_ANON && pmp_vmm_has(vmm, PMP_CAP_THP)) ||
	      (s->mem.backing == PMP_BACKING_MEMFD && pmp_vmm_has(vmm, PMP_CAP_SHMEM_THP));
	if (!thp || ((s->gpa ^ host) & ((2ULL << 20) - 1)))
		return 0;
	/* a folio never reaches past the slot's memory */
	if (((gfn & ~511ULL) << 12) < s->gpa || (((gfn | 511) + 1) << 12) > s->gpa + s->size)
		return 0;
	return 9;
}

int pmp_vmm_punch_gfns(struct pmp_vmm *vmm, uint64_t gfn, uint64_t npages)
{
	const struct pmp_folios folios = { .order = backing_order, .ctx = vmm };
	int err;

	do {
		vmm->actions.nr = 0;
		err = pmp_punch(vmm->vm, gfn, npages, &folios, &vmm->actions);
	} while (err == -ENOSPC && !pmp_vmm_grow_actions(vmm));
	if (err)
		return pmp_vmm_fail(vmm, err, "pmp_punch(gfn 0x%llx, npages 0x%llx)",
				    (unsigned long long)gfn, (unsigned long long)npages);
	return pmp_vmm_apply_invalidations(vmm);
}

int pmp_vmm_punch(struct pmp_vmm *vmm, uint64_t gpa, uint64_t size)
{
	int err;

	err = pmp_vmm_slot_range(vmm, "pmp_vmm_punch", gpa, size, NULL);
	if (err)
		return err;
	vmm->counters.punch_requests++;
	return pmp_vmm_punch_gfns(vmm, gpa >> 12, size >> 12);
}

int pmp_vmm_flush(struct pmp_vmm *vmm)
{
	int ret, err;

	do {
		vmm->actions.nr = 0;
		ret = pmp_inval_flush(vmm->vm, &vmm->actions);
		if (ret < 0)
			return pmp_vmm_fail(vmm, ret, "pmp_inval_flush");
		err = pmp_vmm_apply_invalidations(vmm);
		if (err)
			return err;
	} while (ret == 1);
	return 0;
}
