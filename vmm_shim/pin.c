// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Pins: the core decides which pages (pin=launch regions, SEV only), the
 * shim makes them real with mlock() (so reclaim and migration leave them
 * alone, as SEV needs) and, on SEV hosts, KVM_MEMORY_ENCRYPT_REG_REGION.
 * Everything that can fail runs before the core records the pins, and is
 * undone if the core then refuses, so a failed call pins nothing.
 */
#include <errno.h>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "kvm_uapi.h"

static bool has_ipc_lock(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { { 0 } };

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[CAP_IPC_LOCK / 32].effective & (1U << (CAP_IPC_LOCK % 32));
}

/* Pages of [gfn, end) the core has not pinned yet. */
static uint64_t count_unpinned(struct pmp_vmm *vmm, uint64_t gfn, uint64_t end)
{
	uint64_t n = 0;

	for (; gfn < end; gfn++)
		n += pmp_is_pinned(vmm->vm, gfn) == 0;
	return n;
}

/* mlock (@lock) or munlock the unpinned runs of [gfn, end). */
static int lock_unpinned(struct pmp_vmm *vmm, const struct pmp_vmm_slot *s, uint64_t gfn,
			 uint64_t end, bool lock)
{
	while (gfn < end) {
		uint64_t run;
		uint8_t *host;

		if (pmp_is_pinned(vmm->vm, gfn)) {
			gfn++;
			continue;
		}
		for (run = gfn + 1; run < end && !pmp_is_pinned(vmm->vm, run); run++)
			;
		host = (uint8_t *)s->mem.host + s->offset + ((gfn - (s->gpa >> 12)) << 12);
		if (!lock) {
			munlock(host, (run - gfn) << 12);
		} else {
			vmm->counters.mlock_calls++;
			if (mlock(host, (run - gfn) << 12))
				return pmp_vmm_fail(vmm, -errno, "mlock(gfn 0x%llx, 0x%llx pages)",
						    (unsigned long long)gfn,
						    (unsigned long long)(run - gfn));
		}
		gfn = run;
	}
	return 0;
}

static int check_memlock(struct pmp_vmm *vmm, uint64_t bytes)
{
	struct rlimit lim;

	if (has_ipc_lock() || getrlimit(RLIMIT_MEMLOCK, &lim) || lim.rlim_cur == RLIM_INFINITY)
		return 0;
	if (vmm->counters.locked_bytes + bytes <= lim.rlim_cur)
		return 0;
	return pmp_vmm_fail(vmm, -ENOMEM,
			    "mlock(0x%llx bytes): %llu bytes already locked, RLIMIT_MEMLOCK is %llu and the process lacks CAP_IPC_LOCK",
			    (unsigned long long)bytes, (unsigned long long)vmm->counters.locked_bytes,
			    (unsigned long long)lim.rlim_cur);
}

static int sev_register(struct pmp_vmm *vmm, const struct pmp_vmm_slot *s, uint64_t gpa,
			uint64_t size, bool reg)
{
	struct kvm_enc_region region = {
		.addr = (uintptr_t)s->mem.host + s->offset + (gpa - s->gpa),
		.size = size,
	};

	if (!pmp_vmm_has(vmm, PMP_CAP_SEV))
		return 0;
	if (!reg) {
		ioctl(vmm->vm_fd, KVM_MEMORY_ENCRYPT_UNREG_REGION, &region);
		return 0;
	}
	vmm->counters.sev_regions++;
	if (ioctl(vmm->vm_fd, KVM_MEMORY_ENCRYPT_REG_REGION, &region))
		return pmp_vmm_fail(vmm, -errno, "KVM_MEMORY_ENCRYPT_REG_REGION(gpa 0x%llx, size 0x%llx)",
				    (unsigned long long)gpa, (unsigned long long)size);
	return 0;
}

int pmp_vmm_pin(struct pmp_vmm *vmm, uint64_t gpa, uint64_t size)
{
	uint64_t gfn = gpa >> 12, end = (gpa + size) >> 12, fresh;
	const struct pmp_vmm_slot *s;
	struct pmp_policy policy;
	int err;

	err = pmp_vmm_slot_range(vmm, "pmp_vmm_pin", gpa, size, &s);
	if (err)
		return err;
	pmp_vm_policy(vmm->vm, &policy);
	if (vmm->vm_type != PMP_VM_SEV || policy.pin == PMP_PIN_NONE)
		return pmp_vmm_fail(vmm, -EINVAL, "pmp_vmm_pin: the policy pins nothing (%s VM, pin=%s)",
				    vmm->vm_type == PMP_VM_SEV ? "an SEV" : "not an SEV",
				    policy.pin == PMP_PIN_NONE ? "none" : "set");
	fresh = count_unpinned(vmm, gfn, end);
	err = check_memlock(vmm, fresh << 12);
	if (err)
		return err;
	err = lock_unpinned(vmm, s, gfn, end, true);
	if (!err)
		err = sev_register(vmm, s, gpa, size, true);
	if (err)
		goto unlock;
	do {
		vmm->actions.nr = 0;
		err = pmp_pin_range(vmm->vm, gfn, end - gfn, &vmm->actions);
	} while (err == -ENOSPC && !pmp_vmm_grow_actions(vmm));
	if (err) {
		pmp_vmm_fail(vmm, err, "pmp_pin_range(gfn 0x%llx, npages 0x%llx)",
			     (unsigned long long)gfn, (unsigned long long)(end - gfn));
		sev_register(vmm, s, gpa, size, false);
		goto unlock;
	}
	vmm->counters.locked_bytes += fresh << 12;
	return 0;
unlock:
	lock_unpinned(vmm, s, gfn, end, false);
	return err;
}

int pmp_vmm_unpin_slot(struct pmp_vmm *vmm, uint32_t id)
{
	const struct pmp_vmm_slot *s = &vmm->slots[id];
	uint64_t base = s->gpa >> 12;
	uint32_t i;
	int err;

	if (vmm->vm_type != PMP_VM_SEV)
		return 0;	/* only SEV pins */
	/* the core releases a memslot's pins with its zap, naming the old pages */
	do {
		vmm->actions.nr = 0;
		err = pmp_zap(vmm->vm, PMP_ZAP_SLOT_DELETE, PMP_ZAP_FILTER_KVM, base, s->size >> 12,
			      &vmm->actions);
	} while (err == -ENOSPC && !pmp_vmm_grow_actions(vmm));
	if (err)
		return pmp_vmm_fail(vmm, err, "pmp_zap(slot %u delete)", id);
	for (i = 0; i < vmm->actions.nr; i++) {
		const struct pmp_action *a = &vmm->actions.buf[i];

		if (a->type != PMP_ACT_UNPIN)
			continue;
		munlock((uint8_t *)s->mem.host + s->offset + ((a->gfn - base) << 12),
			a->npages << 12);
		vmm->counters.locked_bytes -= a->npages << 12;
	}
	return 0;
}

void pmp_vmm_unpin_all(struct pmp_vmm *vmm)
{
	if (!vmm->counters.locked_bytes)
		return;
	for (uint32_t id = 0; id < vmm->max_slots; id++)
		if (vmm->slots && vmm->slots[id].used)
			munlock((uint8_t *)vmm->slots[id].mem.host + vmm->slots[id].offset,
				vmm->slots[id].size);
	vmm->counters.locked_bytes = 0;
}
