// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Private/shared conversions.  KVM is told first, so a refusal there
 * changes nothing; if the core then refuses (on_conflict=refuse, pool),
 * KVM's attributes are put back from the core's unchanged view.  Without
 * KVM_CAP_MEMORY_ATTRIBUTES only the core tracks the conversion, and the
 * call says so.
 *
 * In slots with private memory (pmp_vmm_slot_add_private()) the side the
 * guest no longer uses is discarded afterwards, as QEMU's
 * kvm_convert_memory() does: only once KVM's attributes changed can no
 * vCPU fault that side back in.  Shared memory goes through the core's
 * coalescing (its THP folios are what deferral protects); guest_memfd
 * pages are punched per run (6.12's guest_memfd has 4 KiB folios only,
 * and the core keeps one set of deferred punches: the shared side's).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>

#include "internal.h"
#include "kvm_uapi.h"

static int set_attributes(struct pmp_vmm *vmm, uint64_t gfn, uint64_t npages, bool private)
{
	struct pmp_kvm_memory_attributes attr = {
		.address = gfn << 12,
		.size = npages << 12,
		.attributes = private ? PMP_KVM_MEMORY_ATTRIBUTE_PRIVATE : 0,
	};

	vmm->counters.attribute_calls++;
	if (ioctl(vmm->vm_fd, PMP_KVM_SET_MEMORY_ATTRIBUTES, &attr))
		return pmp_vmm_fail(vmm, -errno, "KVM_SET_MEMORY_ATTRIBUTES(gpa 0x%llx, size 0x%llx, %s)",
				    (unsigned long long)attr.address, (unsigned long long)attr.size,
				    private ? "PRIVATE" : "shared");
	return 0;
}

/* Put KVM's attributes back to what the core still holds, run by run. */
static void restore_attributes(struct pmp_vmm *vmm, uint64_t gfn, uint64_t npages)
{
	uint64_t end = gfn + npages;

	while (gfn < end) {
		struct pmp_page_attrs a, b;
		uint64_t run = gfn + 1;

		pmp_get_attrs(vmm->vm, gfn, &a);
		while (run < end && !pmp_get_attrs(vmm->vm, run, &b) && b.private == a.private)
			run++;
		set_attributes(vmm, gfn, run - gfn, a.private);
		gfn = run;
	}
}

static int core_convert(struct pmp_vmm *vmm, uint64_t gfn, uint64_t npages, bool private)
{
	int err;

	do {
		vmm->actions.nr = 0;
		err = pmp_convert(vmm->vm, gfn, npages, private, &vmm->actions);
	} while (err == -ENOSPC && !pmp_vmm_grow_actions(vmm));
	if (err)
		return pmp_vmm_fail(vmm, err, "pmp_convert(gfn 0x%llx, npages 0x%llx, %s)",
				    (unsigned long long)gfn, (unsigned long long)npages,
				    private ? "private" : "shared");
	return 0;
}

/* The part of [gfn, end) in one slot from @gfn on, or the hole before the next slot. */
static uint64_t slot_run(struct pmp_vmm *vmm, uint64_t gfn, uint64_t end,
			 const struct pmp_vmm_slot **slot)
{
	const struct pmp_vmm_slot *s = pmp_vmm_slot_of(vmm, gfn);
	uint64_t stop = end;

	*slot = s;
	if (s) {
		stop = (s->gpa >> 12) + (s->size >> 12);
	} else {
		for (uint32_t i = 0; i < vmm->max_slots; i++)
			if (vmm->slots[i].used && vmm->slots[i].gpa >> 12 > gfn &&
			    vmm->slots[i].gpa >> 12 < stop)
				stop = vmm->slots[i].gpa >> 12;
	}
	return (stop < end ? stop : end) - gfn;
}

/* To shared: punch the guest_memfd pages of the range's private-memory slots. */
static int punch_private(struct pmp_vmm *vmm, const struct pmp_vmm_slot *s, uint64_t gfn,
			 uint64_t npages)
{
	uint64_t off = s->priv_offset + ((gfn - (s->gpa >> 12)) << 12), len = npages << 12;

	vmm->counters.fallocate_calls++;
	if (fallocate(s->priv.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len))
		return pmp_vmm_fail(vmm, -errno,
				    "fallocate(PUNCH_HOLE|KEEP_SIZE, guest_memfd %d, offset 0x%llx, len 0x%llx)",
				    s->priv.fd, (unsigned long long)off, (unsigned long long)len);
	vmm->counters.punched_bytes += len;
	return 0;
}

/*
 * Issue the deferred discards in [gfn, gfn + npages) only: the others may
 * still complete their 2 MiB range.  Whatever the VM's on_conflict policy:
 * the guest is about to use this memory as shared again, so its deferred
 * discards must land first.
 */
static int flush_range(struct pmp_vmm *vmm, uint64_t gfn, uint64_t npages)
{
	int ret, err;

	do {
		vmm->actions.nr = 0;
		ret = pmp_inval_flush_range(vmm->vm, gfn, npages, &vmm->actions);
		if (ret < 0)
			return pmp_vmm_fail(vmm, ret, "pmp_inval_flush_range(gfn 0x%llx, %llu pages)",
					    (unsigned long long)gfn, (unsigned long long)npages);
		err = pmp_vmm_apply_invalidations(vmm);
		if (err)
			return err;
	} while (ret == 1);
	return 0;
}

/* Discard what the guest stopped using in [gfn, gfn + npages). */
static int discard_old_side(struct pmp_vmm *vmm, uint64_t gfn, uint64_t npages, bool private)
{
	uint64_t end = gfn + npages;

	while (gfn < end) {
		const struct pmp_vmm_slot *s;
		uint64_t n = slot_run(vmm, gfn, end, &s);
		int err = 0;

		if (s && s->priv.fd >= 0)
			err = private ? pmp_vmm_punch_gfns(vmm, gfn, n) : punch_private(vmm, s, gfn, n);
		if (err)
			return err;
		gfn += n;
	}
	return 0;
}

int pmp_vmm_convert(struct pmp_vmm *vmm, uint64_t gpa, uint64_t size, bool private)
{
	uint64_t gfn = gpa >> 12, npages = size >> 12;
	int err;

	err = pmp_vmm_range(vmm, "pmp_vmm_convert", gpa, size);
	if (err)
		return err;
	if (!pmp_vmm_has(vmm, PMP_CAP_MEMORY_ATTRIBUTES)) {
		err = core_convert(vmm, gfn, npages, private);
		if (!err)
			err = pmp_vmm_apply_invalidations(vmm);
		if (err)
			return err;
		return pmp_vmm_fail(vmm, -EOPNOTSUPP,
				    "KVM_SET_MEMORY_ATTRIBUTES(gpa 0x%llx, size 0x%llx): KVM_CAP_MEMORY_ATTRIBUTES lacks PRIVATE, real private memory is unavailable on this host; the conversion is tracked in the policy only",
				    (unsigned long long)gpa, (unsigned long long)size);
	}
	err = set_attributes(vmm, gfn, npages, private);
	if (err)
		return err;
	/*
	 * Deferred discards in the range are of shared memory the guest made
	 * private: they land before it can use that memory as shared again.
	 */
	err = private ? 0 : flush_range(vmm, gfn, npages);
	if (!err)
		err = core_convert(vmm, gfn, npages, private);
	if (err) {
		restore_attributes(vmm, gfn, npages);
		return err;
	}
	/* A conversion over deferred punches flushed them: free them now. */
	err = pmp_vmm_apply_invalidations(vmm);
	if (err)
		return err;
	return discard_old_side(vmm, gfn, npages, private);
}

int pmp_vmm_convert_prefault(struct pmp_vmm *vmm, uint64_t gpa, uint64_t size, bool private,
			     int vcpu_fd)
{
	int err = pmp_vmm_convert(vmm, gpa, size, private);

	/*
	 * A deferred discard of shared memory would zap the SPTEs about to be
	 * made: 6.12's TDP MMU zaps private SPTEs too on an MMU-notifier
	 * invalidation of the shared mapping (it ignores the range's
	 * attr_filter).  Pre-faulting says the guest touches the range now.
	 */
	if (!err && private)
		err = flush_range(vmm, gpa >> 12, size >> 12);
	return err ? err : pmp_vmm_prefault(vmm, vcpu_fd, gpa, size);
}
