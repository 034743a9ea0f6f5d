// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Host memory laid out for huge mappings: KVM maps a gfn huge only when the
 * host address (and guest_memfd offset) has the same offset inside the huge
 * page as the gpa, so mappings are aligned to the huge size and advised
 * MADV_HUGEPAGE.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"
#include "kvm_uapi.h"

#define SZ_2M (2ULL << 20)
#define SZ_1G (1ULL << 30)

/*
 * Reserve @size bytes at an @align boundary: map more, then trim both
 * ends.  @fd < 0 maps anonymous memory, else the fd shared.
 */
static void *map_aligned(uint64_t size, uint64_t align, int fd)
{
	uint64_t span = size + align;
	uint8_t *raw, *start;

	raw = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	start = (uint8_t *)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
	if (start > raw)
		munmap(raw, start - raw);
	munmap(start + size, raw + span - (start + size));
	if (fd < 0)
		raw = mmap(start, size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
	else
		raw = mmap(start, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	if (raw == MAP_FAILED) {
		munmap(start, size);
		return NULL;
	}
	return raw;
}

static int create_fd(struct pmp_vmm *vmm, unsigned int backing, uint64_t size)
{
	struct pmp_kvm_create_guest_memfd gmem = {
		.size = size,
		.flags = PMP_GUEST_MEMFD_FLAG_MMAP | PMP_GUEST_MEMFD_FLAG_INIT_SHARED,
	};
	int fd;

	if (backing == PMP_BACKING_MEMFD) {
		fd = memfd_create("pmem_policy", MFD_CLOEXEC);
		if (fd < 0)
			return pmp_vmm_fail(vmm, -errno, "memfd_create");
		if (ftruncate(fd, size)) {
			int err = -errno;

			close(fd);
			return pmp_vmm_fail(vmm, err, "ftruncate(memfd, 0x%llx)",
					    (unsigned long long)size);
		}
		return fd;
	}
	if (!pmp_vmm_has(vmm, PMP_CAP_GUEST_MEMFD))
		return pmp_vmm_fail(vmm, -EOPNOTSUPP,
				    "pmp_vmm_mem_alloc(guest_memfd): KVM_CAP_GUEST_MEMFD absent");
	if (backing == PMP_BACKING_PRIVATE) {
		gmem.flags = 0;
		fd = ioctl(vmm->vm_fd, PMP_KVM_CREATE_GUEST_MEMFD, &gmem);
		if (fd < 0)
			return pmp_vmm_fail(vmm, -errno, "KVM_CREATE_GUEST_MEMFD(size 0x%llx, private only)",
					    (unsigned long long)size);
		return fd;
	}
	if (!pmp_vmm_has(vmm, PMP_CAP_GUEST_MEMFD_MMAP))
		return pmp_vmm_fail(vmm, -EOPNOTSUPP,
				    "pmp_vmm_mem_alloc(guest_memfd): KVM_CAP_GUEST_MEMFD_FLAGS 0x%llx lacks MMAP|INIT_SHARED, so it cannot back shared memory",
				    (unsigned long long)vmm->gmem_flags);
	fd = ioctl(vmm->vm_fd, PMP_KVM_CREATE_GUEST_MEMFD, &gmem);
	if (fd < 0)
		return pmp_vmm_fail(vmm, -errno, "KVM_CREATE_GUEST_MEMFD(size 0x%llx, MMAP|INIT_SHARED)",
				    (unsigned long long)size);
	return fd;
}

int pmp_vmm_mem_alloc(struct pmp_vmm *vmm, unsigned int backing, uint64_t size,
		      struct pmp_vmm_mem *mem)
{
	uint64_t align;
	void *host;
	int fd = -1;

	if (backing >= PMP_BACKING_NR || !size || size > (1ULL << 46) || !mem)
		return pmp_vmm_fail(vmm, -EINVAL, "pmp_vmm_mem_alloc(backing %u, size 0x%llx)",
				    backing, (unsigned long long)size);
	size = (size + SZ_2M - 1) & ~(SZ_2M - 1);
	align = size >= SZ_1G ? SZ_1G : SZ_2M;
	if (backing != PMP_BACKING_ANON) {
		fd = create_fd(vmm, backing, size);
		if (fd < 0)
			return fd;
	}
	if (backing == PMP_BACKING_PRIVATE) {	/* private pages have no host mapping */
		*mem = (struct pmp_vmm_mem){ .host = NULL, .size = size, .fd = fd,
					     .backing = backing, .align = align };
		return 0;
	}
	host = map_aligned(size, align, fd);
	if (!host) {
		int err = -errno;

		if (fd >= 0)
			close(fd);
		return pmp_vmm_fail(vmm, err, "mmap(0x%llx bytes, %s-aligned)",
				    (unsigned long long)size, align == SZ_1G ? "1G" : "2M");
	}
	/* Advice only: a kernel without THP still gives working memory. */
	madvise(host, size, MADV_HUGEPAGE);
	*mem = (struct pmp_vmm_mem){ .host = host, .size = size, .fd = fd,
				     .backing = backing, .align = align };
	return 0;
}

void pmp_vmm_mem_free(struct pmp_vmm_mem *mem)
{
	if (!mem || (!mem->host && mem->backing != PMP_BACKING_PRIVATE))
		return;
	if (mem->host)
		munmap(mem->host, mem->size);
	if (mem->fd >= 0)
		close(mem->fd);
	mem->host = NULL;
	mem->fd = -1;
}
