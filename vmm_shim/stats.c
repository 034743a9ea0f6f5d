// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * KVM's binary statistics (KVM_GET_STATS_FD): the only way to tell real
 * SPTEs (pages_4k, pages_2m) and real faults (pf_taken) from an emulated
 * run, so tests assert on them.  Also KVM_PRE_FAULT_MEMORY, which maps
 * memory the same way a fault would.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"
#include "kvm_uapi.h"

static int find_stat(int sfd, const char *name, uint64_t *value)
{
	struct kvm_stats_header hdr;
	size_t desc_size;
	char *descs;
	int err = -ENOENT;

	if (pread(sfd, &hdr, sizeof(hdr), 0) != sizeof(hdr))
		return -EIO;
	desc_size = sizeof(struct kvm_stats_desc) + hdr.name_size;
	descs = malloc(desc_size * hdr.num_desc);
	if (!descs)
		return -ENOMEM;
	if (pread(sfd, descs, desc_size * hdr.num_desc, hdr.desc_offset) !=
	    (ssize_t)(desc_size * hdr.num_desc)) {
		free(descs);
		return -EIO;
	}
	for (uint32_t i = 0; i < hdr.num_desc; i++) {
		const struct kvm_stats_desc *d = (const void *)(descs + i * desc_size);

		if (strncmp(d->name, name, hdr.name_size))
			continue;
		err = pread(sfd, value, sizeof(*value), hdr.data_offset + d->offset) ==
		      sizeof(*value) ? 0 : -EIO;
		break;
	}
	free(descs);
	return err;
}

int pmp_kvm_stat(int fd, const char *name, uint64_t *value)
{
	int sfd, err;

	if (!name || !value)
		return -EINVAL;
	sfd = ioctl(fd, KVM_GET_STATS_FD, NULL);
	if (sfd < 0)
		return -errno;
	err = find_stat(sfd, name, value);
	close(sfd);
	return err;
}

int pmp_vmm_prefault(struct pmp_vmm *vmm, int vcpu_fd, uint64_t gpa, uint64_t size)
{
	struct pmp_kvm_pre_fault_memory range = { .gpa = gpa, .size = size };
	int err;

	err = pmp_vmm_range(vmm, "pmp_vmm_prefault", gpa, size);
	if (err)
		return err;
	if (!pmp_vmm_has(vmm, PMP_CAP_PRE_FAULT))
		return pmp_vmm_fail(vmm, -EOPNOTSUPP,
				    "KVM_PRE_FAULT_MEMORY(gpa 0x%llx, size 0x%llx): KVM_CAP_PRE_FAULT_MEMORY absent, memory is mapped by guest faults only",
				    (unsigned long long)gpa, (unsigned long long)size);
	/* KVM returns after part of the range on signals; it updates @range. */
	while (range.size) {
		vmm->counters.prefault_calls++;
		if (ioctl(vcpu_fd, PMP_KVM_PRE_FAULT_MEMORY, &range) && errno != EINTR &&
		    errno != EAGAIN)
			return pmp_vmm_fail(vmm, -errno, "KVM_PRE_FAULT_MEMORY(gpa 0x%llx, size 0x%llx)",
					    (unsigned long long)range.gpa,
					    (unsigned long long)range.size);
	}
	return 0;
}
