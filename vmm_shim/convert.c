// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Private/shared conversions.  KVM is told first, so a refusal there
 * changes nothing; if the core then refuses (on_conflict=refuse, pool),
 * KVM's attributes are put back from the core's unchanged view.  Without
 * KVM_CAP_MEMORY_ATTRIBUTES only the core tracks the conversion, and the
 * call says so.
 */
#include <errno.h>
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
	err = core_convert(vmm, gfn, npages, private);
	if (err) {
		restore_attributes(vmm, gfn, npages);
		return err;
	}
	/* A conversion over deferred punches flushed them: free them now. */
	return pmp_vmm_apply_invalidations(vmm);
}
