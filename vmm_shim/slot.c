// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Memslots: KVM and the core learn of each one together, and a slot whose
 * memory cannot get huge mappings says why.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/ioctl.h>

#include "internal.h"
#include "kvm_uapi.h"

#define SZ_2M (2ULL << 20)
#define SZ_1G (1ULL << 30)

static int set_region(struct pmp_vmm *vmm, uint32_t id, const struct pmp_vmm_slot *s,
		      uint64_t size)
{
	struct pmp_kvm_userspace_memory_region2 r2 = {
		.slot = id,
		.guest_phys_addr = s->gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)s->mem.host + s->offset,
	};
	bool gmem = s->mem.backing == PMP_BACKING_GUEST_MEMFD || s->priv.fd >= 0;
	int ret;

	if (s->flags & PMP_SLOT_DIRTY_LOG)
		r2.flags |= KVM_MEM_LOG_DIRTY_PAGES;
	if (s->flags & PMP_SLOT_READONLY)
		r2.flags |= KVM_MEM_READONLY;
	if (s->priv.fd >= 0) {		/* shared pages at userspace_addr, private ones here */
		r2.flags |= PMP_KVM_MEM_GUEST_MEMFD;
		r2.guest_memfd = s->priv.fd;
		r2.guest_memfd_offset = s->priv_offset;
	} else if (gmem) {
		r2.flags |= PMP_KVM_MEM_GUEST_MEMFD;
		r2.guest_memfd = s->mem.fd;
		r2.guest_memfd_offset = s->offset;
	}
	if (pmp_vmm_has(vmm, PMP_CAP_USER_MEMORY2)) {
		ret = ioctl(vmm->vm_fd, PMP_KVM_SET_USER_MEMORY_REGION2, &r2);
	} else if (gmem) {
		return pmp_vmm_fail(vmm, -EOPNOTSUPP,
				    "KVM_SET_USER_MEMORY_REGION2(slot %u): absent, a guest_memfd slot needs it",
				    id);
	} else {
		struct kvm_userspace_memory_region r = {
			.slot = id, .flags = r2.flags, .guest_phys_addr = r2.guest_phys_addr,
			.memory_size = size, .userspace_addr = r2.userspace_addr,
		};

		ret = ioctl(vmm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r);
	}
	if (ret)
		return pmp_vmm_fail(vmm, -errno, "KVM_SET_USER_MEMORY_REGION%s(slot %u, gpa 0x%llx, size 0x%llx)",
				    pmp_vmm_has(vmm, PMP_CAP_USER_MEMORY2) ? "2" : "", id,
				    (unsigned long long)s->gpa, (unsigned long long)size);
	return 0;
}

/* Both kinds of slot: @priv is NULL for slots of one memory. */
static int slot_add(struct pmp_vmm *vmm, uint32_t id, uint64_t gpa, uint64_t size,
		    const struct pmp_vmm_mem *mem, uint64_t offset, const struct pmp_vmm_mem *priv,
		    uint64_t priv_offset, uint32_t flags)
{
	struct pmp_vmm_slot s = { .used = true, .flags = flags, .gpa = gpa, .size = size,
				  .offset = offset, .priv = { .fd = -1 } };
	bool gmem = (mem && mem->backing == PMP_BACKING_GUEST_MEMFD) || priv;
	struct pmp_slot core;
	struct pmp_policy policy;
	int err;

	if (id >= vmm->max_slots || !mem || !mem->host || mem->backing >= PMP_BACKING_PRIVATE ||
	    (flags & ~(PMP_SLOT_DIRTY_LOG | PMP_SLOT_READONLY)) || ((offset | size | gpa) & 4095) ||
	    !size || offset > mem->size || size > mem->size - offset ||
	    (priv && (priv->backing != PMP_BACKING_PRIVATE || priv->fd < 0 ||
		      mem->backing == PMP_BACKING_GUEST_MEMFD || (priv_offset & 4095) ||
		      priv_offset > priv->size || size > priv->size - priv_offset)))
		return pmp_vmm_fail(vmm, -EINVAL,
				    "pmp_vmm_slot_add%s(slot %u, gpa 0x%llx, size 0x%llx, offset 0x%llx, flags 0x%x): bad argument",
				    priv ? "_private" : "", id, (unsigned long long)gpa,
				    (unsigned long long)size, (unsigned long long)offset, flags);
	if (vmm->slots[id].used)
		return pmp_vmm_fail(vmm, -EEXIST, "pmp_vmm_slot_add(slot %u)", id);
	s.mem = *mem;
	if (priv) {
		s.priv = *priv;
		s.priv_offset = priv_offset;
	}
	core = (struct pmp_slot){
		.base_gfn = gpa >> 12, .npages = size >> 12,
		.userspace_addr = (uintptr_t)mem->host + offset,
		.gmem_offset = priv ? priv_offset : gmem ? offset : 0,
		.flags = flags | (gmem ? PMP_SLOT_GUEST_MEMFD : 0),
	};
	err = pmp_slot_create(vmm->vm, id, &core);
	if (err)
		return pmp_vmm_fail(vmm, err, "pmp_slot_create(slot %u, gpa 0x%llx, size 0x%llx)",
				    id, (unsigned long long)gpa, (unsigned long long)size);
	err = set_region(vmm, id, &s, size);
	if (err) {
		pmp_slot_delete(vmm->vm, id);
		return err;
	}
	vmm->slots[id] = s;
	pmp_vm_policy(vmm->vm, &policy);
	if (vmm->vm_type == PMP_VM_SEV && policy.pin == PMP_PIN_LAUNCH) {
		err = pmp_vmm_pin(vmm, gpa, size);
		if (err) {
			/* Keep the pin's message; undo the slot. */
			set_region(vmm, id, &s, 0);
			pmp_slot_delete(vmm->vm, id);
			vmm->slots[id].used = false;
			return err;
		}
	}
	return 0;
}

int pmp_vmm_slot_add(struct pmp_vmm *vmm, uint32_t id, uint64_t gpa, uint64_t size,
		     const struct pmp_vmm_mem *mem, uint64_t offset, uint32_t flags)
{
	return slot_add(vmm, id, gpa, size, mem, offset, NULL, 0, flags);
}

int pmp_vmm_slot_add_private(struct pmp_vmm *vmm, uint32_t id, uint64_t gpa, uint64_t size,
			     const struct pmp_vmm_mem *shared, uint64_t offset,
			     const struct pmp_vmm_mem *priv, uint64_t priv_offset, uint32_t flags)
{
	if (!priv)
		return pmp_vmm_fail(vmm, -EINVAL, "pmp_vmm_slot_add_private(slot %u): no private memory",
				    id);
	return slot_add(vmm, id, gpa, size, shared, offset, priv, priv_offset, flags);
}

int pmp_vmm_slot_delete(struct pmp_vmm *vmm, uint32_t id)
{
	int err;

	if (id >= vmm->max_slots || !vmm->slots[id].used)
		return pmp_vmm_fail(vmm, -ENOENT, "pmp_vmm_slot_delete(slot %u)", id);
	/* A deferred punch is a promise to free memory: keep it before the slot goes. */
	err = pmp_vmm_flush(vmm);
	if (err)
		return err;
	err = pmp_vmm_unpin_slot(vmm, id);
	if (err)
		return err;
	err = set_region(vmm, id, &vmm->slots[id], 0);
	if (err)
		return err;
	pmp_slot_delete(vmm->vm, id);
	vmm->slots[id].used = false;
	return 0;
}

/* The huge size @s can be mapped at, from its geometry alone. */
static int geometry_level(const struct pmp_vmm_slot *s, const char **why)
{
	uint64_t host = (uintptr_t)s->mem.host + s->offset;
	uint64_t gmem = s->priv.fd >= 0 ? s->priv_offset :
			s->mem.backing == PMP_BACKING_GUEST_MEMFD ? s->offset : s->gpa;
	int level = PMP_LEVEL_1G;

	for (uint64_t sz = SZ_1G; sz >= SZ_2M; sz >>= 9, level--) {
		uint64_t first = (s->gpa + sz - 1) & ~(sz - 1);

		if (first + sz > s->gpa + s->size)
			*why = "the slot holds no naturally aligned huge range";
		else if ((s->gpa ^ host) & (sz - 1))
			*why = "gpa and host address differ modulo the huge size";
		else if ((s->gpa ^ gmem) & (sz - 1))
			*why = "gpa and guest_memfd offset differ modulo the huge size";
		else
			return level;
	}
	return PMP_LEVEL_4K;
}

/* The largest folio the host gives this slot's memory. */
static int backing_level(const struct pmp_vmm *vmm, const struct pmp_vmm_slot *s,
			 const char **why)
{
	switch (s->mem.backing) {
	case PMP_BACKING_ANON:
		if (!pmp_vmm_has(vmm, PMP_CAP_THP)) {
			*why = "transparent huge pages are off for anonymous memory";
			return PMP_LEVEL_4K;
		}
		*why = "THP folios are at most 2 MiB (1 GiB needs hugetlbfs)";
		return PMP_LEVEL_2M;
	case PMP_BACKING_MEMFD:
		if (!pmp_vmm_has(vmm, PMP_CAP_SHMEM_THP)) {
			*why = "shmem_enabled is off: memfd memory gets 4 KiB folios";
			return PMP_LEVEL_4K;
		}
		*why = "THP folios are at most 2 MiB (1 GiB needs hugetlbfs)";
		return PMP_LEVEL_2M;
	default:
		*why = "guest_memfd gives 4 KiB folios without a huge-page flag, and this host's KVM_CAP_GUEST_MEMFD_FLAGS offers none";
		return PMP_LEVEL_4K;
	}
}

int pmp_vmm_slot_huge(struct pmp_vmm *vmm, uint32_t id, char *why, size_t size)
{
	const struct pmp_vmm_slot *s;
	const char *geo_why = "", *host_why = "", *reason;
	struct pmp_policy policy;
	int level, host;

	if (id >= vmm->max_slots || !vmm->slots[id].used)
		return pmp_vmm_fail(vmm, -ENOENT, "pmp_vmm_slot_huge(slot %u)", id);
	s = &vmm->slots[id];
	pmp_vm_policy(vmm->vm, &policy);
	level = geometry_level(s, &geo_why);
	reason = geo_why;
	host = backing_level(vmm, s, &host_why);
	if (host < level) {
		level = host;
		reason = host_why;
	}
	/* Private pages come from the guest_memfd, whatever the shared memory gets. */
	if (s->priv.fd >= 0 && level > PMP_LEVEL_4K) {
		level = PMP_LEVEL_4K;
		reason = "its private pages: guest_memfd gives 4 KiB folios without a huge-page flag (shared pages may map larger)";
	}
	if (s->flags & PMP_SLOT_DIRTY_LOG) {
		level = PMP_LEVEL_4K;
		reason = "dirty logging maps 4 KiB pages only";
	}
	if (policy.max_level < level) {
		level = policy.max_level;
		reason = "the policy's max_level";
	}
	if (why && size)
		snprintf(why, size, "%s", level == PMP_LEVEL_1G ? "" : reason);
	return level;
}
