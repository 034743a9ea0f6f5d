// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Capability probing at attach, and the report: one line per capability,
 * saying what the shim does without it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>

#include "internal.h"
#include "kvm_uapi.h"

static int check_extension(int vm_fd, int cap)
{
	int r = ioctl(vm_fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? 0 : r;
}

/* The bracketed word of a THP sysfs file ("always [madvise] never"). */
static void thp_mode(const char *path, char *mode, size_t size)
{
	char line[128], *open_br, *close_br;
	FILE *f = fopen(path, "r");

	snprintf(mode, size, "absent");
	if (!f)
		return;
	if (fgets(line, sizeof(line), f) && (open_br = strchr(line, '[')) &&
	    (close_br = strchr(open_br, ']'))) {
		*close_br = '\0';
		snprintf(mode, size, "%s", open_br + 1);
	}
	fclose(f);
}

static bool thp_usable(const char *mode)
{
	/* Shared memory adds within_size/force; each gives huge folios. */
	return strcmp(mode, "never") && strcmp(mode, "deny") && strcmp(mode, "absent");
}

void pmp_vmm_probe(struct pmp_vmm *vmm)
{
	int fd = vmm->vm_fd;
	uint64_t caps = 0;

	if (check_extension(fd, PMP_KVM_CAP_USER_MEMORY2))
		caps |= PMP_CAP_BIT(PMP_CAP_USER_MEMORY2);
	if (check_extension(fd, PMP_KVM_CAP_GUEST_MEMFD))
		caps |= PMP_CAP_BIT(PMP_CAP_GUEST_MEMFD);
	vmm->gmem_flags = (unsigned int)check_extension(fd, PMP_KVM_CAP_GUEST_MEMFD_FLAGS);
	if ((caps & PMP_CAP_BIT(PMP_CAP_GUEST_MEMFD)) &&
	    (vmm->gmem_flags & PMP_GUEST_MEMFD_FLAG_MMAP) &&
	    (vmm->gmem_flags & PMP_GUEST_MEMFD_FLAG_INIT_SHARED))
		caps |= PMP_CAP_BIT(PMP_CAP_GUEST_MEMFD_MMAP);
	if (check_extension(fd, PMP_KVM_CAP_MEMORY_ATTRIBUTES) &
	    PMP_KVM_MEMORY_ATTRIBUTE_PRIVATE)
		caps |= PMP_CAP_BIT(PMP_CAP_MEMORY_ATTRIBUTES);
	if (check_extension(fd, PMP_KVM_CAP_PRE_FAULT_MEMORY))
		caps |= PMP_CAP_BIT(PMP_CAP_PRE_FAULT);
	vmm->vm_types = (unsigned int)check_extension(fd, PMP_KVM_CAP_VM_TYPES);
	if (vmm->vm_types & ((1ULL << PMP_KVM_X86_SEV_VM) | (1ULL << PMP_KVM_X86_SNP_VM)))
		caps |= PMP_CAP_BIT(PMP_CAP_SEV);
	if (check_extension(fd, KVM_CAP_BINARY_STATS_FD))
		caps |= PMP_CAP_BIT(PMP_CAP_STATS);
	thp_mode("/sys/kernel/mm/transparent_hugepage/enabled", vmm->thp, sizeof(vmm->thp));
	thp_mode("/sys/kernel/mm/transparent_hugepage/shmem_enabled", vmm->shmem_thp,
		 sizeof(vmm->shmem_thp));
	if (thp_usable(vmm->thp))
		caps |= PMP_CAP_BIT(PMP_CAP_THP);
	if (thp_usable(vmm->shmem_thp))
		caps |= PMP_CAP_BIT(PMP_CAP_SHMEM_THP);
	vmm->host_caps = caps;
}

struct report {
	char *buf;
	size_t size, len;
	bool truncated;
};

static void line(struct report *r, const struct pmp_vmm *vmm, unsigned int cap,
		 const char *name, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void line(struct report *r, const struct pmp_vmm *vmm, unsigned int cap,
		 const char *name, const char *fmt, ...)
{
	const char *state = cap >= PMP_CAP_NR ? "-" : pmp_vmm_has(vmm, cap) ? "yes" :
			    (vmm->host_caps & PMP_CAP_BIT(cap)) ? "off" : "no";
	char detail[200];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	n = snprintf(r->buf ? r->buf + r->len : NULL, r->len < r->size ? r->size - r->len : 0,
		     "%-18s %-3s  %s\n", name, state, detail);
	if (n < 0 || r->len + n >= r->size) {
		r->truncated = true;
		r->len = r->size ? r->size - 1 : 0;
		return;
	}
	r->len += n;
}

int pmp_vmm_report(const struct pmp_vmm *vmm, char *buf, size_t size)
{
	struct report r = { .buf = size ? buf : NULL, .size = size };
	struct rlimit lim = { 0, 0 };
	bool gmem = pmp_vmm_has(vmm, PMP_CAP_GUEST_MEMFD);
	bool attrs = pmp_vmm_has(vmm, PMP_CAP_MEMORY_ATTRIBUTES);

	if (size)
		buf[0] = '\0';
	line(&r, vmm, PMP_CAP_USER_MEMORY2, "user_memory2",
	     "KVM_SET_USER_MEMORY_REGION2%s", pmp_vmm_has(vmm, PMP_CAP_USER_MEMORY2) ? "" :
	     ": memslots cannot use a guest_memfd");
	line(&r, vmm, PMP_CAP_GUEST_MEMFD, "guest_memfd", "KVM_CREATE_GUEST_MEMFD%s",
	     gmem ? "" : ": guest memory comes from anonymous memory or memfds only");
	line(&r, vmm, PMP_CAP_GUEST_MEMFD_MMAP, "guest_memfd_mmap",
	     "KVM_CAP_GUEST_MEMFD_FLAGS 0x%llx%s", (unsigned long long)vmm->gmem_flags,
	     pmp_vmm_has(vmm, PMP_CAP_GUEST_MEMFD_MMAP) ? ": MMAP|INIT_SHARED, one fd backs shared and private" :
	     ": a guest_memfd cannot back shared memory");
	line(&r, vmm, PMP_CAP_MEMORY_ATTRIBUTES, "memory_attributes", "%s",
	     attrs ? "KVM_SET_MEMORY_ATTRIBUTES(PRIVATE)" :
	     "KVM_CAP_MEMORY_ATTRIBUTES lacks PRIVATE: real private memory is unavailable; "
	     "conversions are tracked in the policy only (-EOPNOTSUPP)");
	line(&r, vmm, PMP_CAP_PRE_FAULT, "pre_fault_memory", "%s",
	     pmp_vmm_has(vmm, PMP_CAP_PRE_FAULT) ? "KVM_PRE_FAULT_MEMORY" :
	     "no KVM_PRE_FAULT_MEMORY: memory is mapped by guest faults only (-EOPNOTSUPP)");
	line(&r, vmm, PMP_CAP_SEV, "sev", "KVM_CAP_VM_TYPES 0x%llx%s",
	     (unsigned long long)vmm->vm_types,
	     pmp_vmm_has(vmm, PMP_CAP_SEV) ? ": pins are registered with KVM_MEMORY_ENCRYPT_REG_REGION" :
	     ": pins are mlock() only");
	line(&r, vmm, PMP_CAP_THP, "thp", "transparent_hugepage/enabled [%s]%s", vmm->thp,
	     pmp_vmm_has(vmm, PMP_CAP_THP) ? "" : ": anonymous memory gets 4 KiB pages only");
	line(&r, vmm, PMP_CAP_SHMEM_THP, "shmem_thp", "transparent_hugepage/shmem_enabled [%s]%s",
	     vmm->shmem_thp, pmp_vmm_has(vmm, PMP_CAP_SHMEM_THP) ? "" :
	     ": memfd memory gets 4 KiB pages only");
	line(&r, vmm, PMP_CAP_STATS, "stats", "KVM_GET_STATS_FD%s",
	     pmp_vmm_has(vmm, PMP_CAP_STATS) ? "" : ": pmp_kvm_stat() cannot read KVM's counters");
	getrlimit(RLIMIT_MEMLOCK, &lim);
	if (lim.rlim_cur == RLIM_INFINITY)
		line(&r, vmm, PMP_CAP_NR, "memlock", "RLIMIT_MEMLOCK unlimited");
	else
		line(&r, vmm, PMP_CAP_NR, "memlock", "RLIMIT_MEMLOCK %llu bytes (CAP_IPC_LOCK lifts it)",
		     (unsigned long long)lim.rlim_cur);
	return r.truncated ? -ENOSPC : (int)r.len;
}
