// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The rig's own test, run in its guest: the KVM the rig built offers
 * SW-protected VMs with private memory.  Checks the capabilities, then
 * uses them once: a KVM_X86_SW_PROTECTED_VM, a guest_memfd memslot and a
 * private attribute set on it.  Prints one RIG-PASS/RIG-FAIL line per check.
 *
 * Debian 12's uapi headers are 6.1's: the newer interfaces are defined
 * here with their upstream values.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define CAP_USER_MEMORY2	231
#define CAP_MEMORY_ATTRIBUTES	233
#define CAP_GUEST_MEMFD		234
#define CAP_VM_TYPES		235
#define CAP_PRE_FAULT_MEMORY	236
#define X86_SW_PROTECTED_VM	1
#define MEM_GUEST_MEMFD		(1U << 2)
#define ATTR_PRIVATE		(1ULL << 3)

struct region2 {
	uint32_t slot, flags;
	uint64_t gpa, size, uaddr, gmem_offset;
	uint32_t gmem_fd, pad1;
	uint64_t pad2[14];
};

struct gmem { uint64_t size, flags, reserved[6]; };
struct attrs { uint64_t address, size, attributes, flags; };

#define SET_USER_MEMORY_REGION2	_IOW(KVMIO, 0x49, struct region2)
#define SET_MEMORY_ATTRIBUTES	_IOW(KVMIO, 0xd2, struct attrs)
#define CREATE_GUEST_MEMFD	_IOWR(KVMIO, 0xd4, struct gmem)

static int failures;

static void check(int ok, const char *name, const char *fmt, long v)
{
	if (ok) {
		printf("RIG-PASS %s\n", name);
		return;
	}
	printf("RIG-FAIL %s: ", name);
	printf(fmt, v);
	printf("\n");
	failures++;
}

int main(void)
{
	const uint64_t size = 2 << 20;
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	long types, v;
	int vm, gfd;

	check(kvm >= 0, "kvm-open", "open /dev/kvm: errno %ld", errno);
	if (kvm < 0)
		return 1;
	types = ioctl(kvm, KVM_CHECK_EXTENSION, CAP_VM_TYPES);
	check(types > 0 && (types & (1L << X86_SW_PROTECTED_VM)), "cap-vm-types-sw-protected",
	      "KVM_CAP_VM_TYPES is %#lx, no KVM_X86_SW_PROTECTED_VM bit", types);
	v = ioctl(kvm, KVM_CHECK_EXTENSION, CAP_GUEST_MEMFD);
	check(v > 0, "cap-guest-memfd", "KVM_CAP_GUEST_MEMFD is %ld", v);
	v = ioctl(kvm, KVM_CHECK_EXTENSION, CAP_MEMORY_ATTRIBUTES);
	check(v > 0 && (v & ATTR_PRIVATE), "cap-memory-attributes",
	      "KVM_CAP_MEMORY_ATTRIBUTES is %#lx, no PRIVATE", v);
	v = ioctl(kvm, KVM_CHECK_EXTENSION, CAP_PRE_FAULT_MEMORY);
	check(v > 0, "cap-pre-fault-memory", "KVM_CAP_PRE_FAULT_MEMORY is %ld", v);
	if (!(types & (1L << X86_SW_PROTECTED_VM)))
		return 1;

	/* Use them once: the capabilities alone could be advertised wrongly. */
	vm = ioctl(kvm, KVM_CREATE_VM, X86_SW_PROTECTED_VM);
	check(vm >= 0, "sw-protected-vm", "KVM_CREATE_VM(1): errno %ld", errno);
	if (vm < 0)
		return 1;
	struct gmem g = { .size = size };
	gfd = ioctl(vm, CREATE_GUEST_MEMFD, &g);
	check(gfd >= 0, "guest-memfd", "KVM_CREATE_GUEST_MEMFD: errno %ld", errno);
	void *shared = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct region2 r = {
		.slot = 0, .flags = MEM_GUEST_MEMFD, .gpa = 0, .size = size,
		.uaddr = (uintptr_t)shared, .gmem_fd = (uint32_t)gfd,
	};
	v = gfd >= 0 && shared != MAP_FAILED ? ioctl(vm, SET_USER_MEMORY_REGION2, &r) : -1;
	check(v == 0, "guest-memfd-memslot", "KVM_SET_USER_MEMORY_REGION2: errno %ld", errno);
	struct attrs a = { .address = 0, .size = size, .attributes = ATTR_PRIVATE };
	v = ioctl(vm, SET_MEMORY_ATTRIBUTES, &a);
	check(v == 0, "set-private", "KVM_SET_MEMORY_ATTRIBUTES: errno %ld", errno);
	v = fallocate(gfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096);
	check(v == 0, "guest-memfd-punch", "fallocate(PUNCH_HOLE): errno %ld", errno);
	return failures != 0;
}
