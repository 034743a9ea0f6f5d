// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The VMM shim on the real /dev/kvm: every capability-missing path gives
 * its clear error (forced with disable_caps where this host has the
 * capability, real where it lacks it), syscall failures name the
 * operation, and a failed call leaves the core as it was.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/kvm.h>

#include <pmem_policy/vmm.h>

#include "kvm/suites.h"

#define SZ_2M (2ULL << 20)
#define GFN_END (64ULL << 20 >> 12)

static int kvm_fd = -1, vm_fd = -1;
static unsigned long kvm_type;		/* KVM_CREATE_VM's type for attach() */

#define KVM_X86_SW_PROTECTED_VM 1
#define CAP_VM_TYPES 235

/* Whether KVM offers SW-protected VMs (guest_memfd and private memory). */
static bool have_sw_protected(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int types = fd < 0 ? 0 : ioctl(fd, KVM_CHECK_EXTENSION, CAP_VM_TYPES);

	if (fd >= 0)
		close(fd);
	return types > 0 && (types & (1 << KVM_X86_SW_PROTECTED_VM));
}

/* A fresh VM per test (Check forks each), attached with @policy. */
static struct pmp_vmm *attach(uint32_t vm_type, const char *policy, uint64_t disable)
{
	struct pmp_vmm_opts opts = { .sz = sizeof(opts), .gfn_end = GFN_END, .max_slots = 4,
				     .vm_type = vm_type, .policy = policy,
				     .disable_caps = disable };
	struct pmp_vmm *vmm;
	char errbuf[256];

	opts.errbuf = errbuf;
	opts.errbuf_size = sizeof(errbuf);
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(kvm_fd, 0);
	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, kvm_type);
	ck_assert_int_ge(vm_fd, 0);
	ck_assert_msg(!pmp_vmm_attach(vm_fd, &opts, &vmm), "attach: %s", errbuf);
	return vmm;
}

/* An anonymous 2 MiB slot at gpa 0. */
static void anon_slot(struct pmp_vmm *vmm, struct pmp_vmm_mem *mem)
{
	ck_assert_int_eq(pmp_vmm_mem_alloc(vmm, PMP_BACKING_ANON, SZ_2M, mem), 0);
	ck_assert_int_eq(pmp_vmm_slot_add(vmm, 0, 0, SZ_2M, mem, 0, 0), 0);
}

#define ck_assert_error(vmm, call, err, text)                                         \
	do {                                                                          \
		ck_assert_int_eq((call), (err));                                      \
		ck_assert_msg(strstr(pmp_vmm_error(vmm), (text)),                     \
			      "error \"%s\" lacks \"%s\"", pmp_vmm_error(vmm), (text)); \
	} while (0)

START_TEST(report_has_a_line_per_capability)
{
	static const char *const names[] = { "user_memory2", "guest_memfd", "guest_memfd_mmap",
		"memory_attributes", "pre_fault_memory", "sev", "thp", "shmem_thp", "stats",
		"memlock" };
	struct pmp_vmm *vmm = attach(PMP_VM_DEFAULT, NULL, PMP_CAP_BIT(PMP_CAP_THP));
	char buf[4096], small[40];
	int len = pmp_vmm_report(vmm, buf, sizeof(buf)), lines = 0;

	ck_assert_int_gt(len, 0);
	for (int i = 0; i < len; i++)
		lines += buf[i] == '\n';
	ck_assert_int_eq(lines, 10);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ck_assert_msg(strstr(buf, names[i]), "report lacks %s:\n%s", names[i], buf);
	/* a capability the options disabled says "off" or "no", never "yes" */
	ck_assert_ptr_nonnull(strstr(buf, "thp                off") ?: strstr(buf, "thp                no"));
	ck_assert_int_eq(pmp_vmm_report(vmm, small, sizeof(small)), -ENOSPC);
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	pmp_vmm_detach(vmm);
}
END_TEST

START_TEST(convert_without_memory_attributes_is_tracked_and_refused)
{
	struct pmp_vmm *vmm = attach(PMP_VM_DEFAULT, NULL, PMP_CAP_BIT(PMP_CAP_MEMORY_ATTRIBUTES));
	struct pmp_page_attrs attrs;
	struct pmp_vmm_mem mem;
	struct pmp_vmm_counters c;

	anon_slot(vmm, &mem);
	ck_assert_error(vmm, pmp_vmm_convert(vmm, 0x1000, 0x2000, true), -EOPNOTSUPP,
			"real private memory is unavailable on this host");
	ck_assert_int_eq(pmp_get_attrs(pmp_vmm_vm(vmm), 1, &attrs), 0);
	ck_assert(attrs.private);
	ck_assert_int_eq(pmp_get_attrs(pmp_vmm_vm(vmm), 3, &attrs), 0);
	ck_assert(!attrs.private);
	pmp_vmm_counters(vmm, &c);
	ck_assert_uint_eq(c.attribute_calls, 0);
	pmp_vmm_detach(vmm);
	pmp_vmm_mem_free(&mem);
}
END_TEST

START_TEST(prefault_without_the_capability)
{
	struct pmp_vmm *vmm = attach(PMP_VM_DEFAULT, NULL, PMP_CAP_BIT(PMP_CAP_PRE_FAULT));
	int vcpu = ioctl(vm_fd, KVM_CREATE_VCPU, 0);

	ck_assert_int_ge(vcpu, 0);
	ck_assert_error(vmm, pmp_vmm_prefault(vmm, vcpu, 0, 0x1000), -EOPNOTSUPP,
			"KVM_CAP_PRE_FAULT_MEMORY absent");
	pmp_vmm_detach(vmm);
}
END_TEST

START_TEST(guest_memfd_missing_or_not_mappable)
{
	struct pmp_vmm *vmm = attach(PMP_VM_DEFAULT, NULL, PMP_CAP_BIT(PMP_CAP_GUEST_MEMFD));
	struct pmp_vmm_mem mem;

	ck_assert_error(vmm, pmp_vmm_mem_alloc(vmm, PMP_BACKING_GUEST_MEMFD, SZ_2M, &mem),
			-EOPNOTSUPP, "KVM_CAP_GUEST_MEMFD absent");
	pmp_vmm_detach(vmm);
	/* 6.12 gives guest_memfd only to VMs with private memory. */
	kvm_type = have_sw_protected() ? KVM_X86_SW_PROTECTED_VM : 0;
	vmm = attach(PMP_VM_DEFAULT, NULL, PMP_CAP_BIT(PMP_CAP_GUEST_MEMFD_MMAP));
	if (!pmp_vmm_has(vmm, PMP_CAP_GUEST_MEMFD))
		ck_assert_error(vmm, pmp_vmm_mem_alloc(vmm, PMP_BACKING_GUEST_MEMFD, SZ_2M, &mem),
				-EOPNOTSUPP, "KVM_CAP_GUEST_MEMFD absent");
	else
		ck_assert_error(vmm, pmp_vmm_mem_alloc(vmm, PMP_BACKING_GUEST_MEMFD, SZ_2M, &mem),
				-EOPNOTSUPP, "cannot back shared memory");
	pmp_vmm_detach(vmm);
}
END_TEST

START_TEST(guest_memfd_slot_needs_user_memory2)
{
	struct pmp_vmm *vmm = attach(PMP_VM_DEFAULT, NULL, 0);
	struct pmp_vmm_mem gmem, anon;
	struct pmp_slot slot;

	if (!pmp_vmm_has(vmm, PMP_CAP_GUEST_MEMFD_MMAP)) {
		pmp_vmm_detach(vmm);
		return;		/* this host cannot make one; covered above */
	}
	ck_assert_int_eq(pmp_vmm_mem_alloc(vmm, PMP_BACKING_GUEST_MEMFD, SZ_2M, &gmem), 0);
	pmp_vmm_detach(vmm);
	vmm = attach(PMP_VM_DEFAULT, NULL, PMP_CAP_BIT(PMP_CAP_USER_MEMORY2));
	ck_assert_error(vmm, pmp_vmm_slot_add(vmm, 0, 0, SZ_2M, &gmem, 0, 0), -EOPNOTSUPP,
			"a guest_memfd slot needs it");
	ck_assert_int_eq(pmp_slot_get(pmp_vmm_vm(vmm), 0, &slot), -ENOENT);
	/* plain memory still works through the old ioctl */
	ck_assert_int_eq(pmp_vmm_mem_alloc(vmm, PMP_BACKING_ANON, SZ_2M, &anon), 0);
	ck_assert_int_eq(pmp_vmm_slot_add(vmm, 0, 0, SZ_2M, &anon, 0, 0), 0);
	ck_assert_int_eq(pmp_slot_get(pmp_vmm_vm(vmm), 0, &slot), 0);
	pmp_vmm_detach(vmm);
}
END_TEST

START_TEST(kvm_refusal_names_the_ioctl_and_creates_nothing)
{
	struct pmp_vmm *vmm = attach(PMP_VM_DEFAULT, NULL, 0);
	struct pmp_vmm_mem mem;
	struct pmp_slot slot;

	if (!pmp_vmm_has(vmm, PMP_CAP_GUEST_MEMFD_MMAP)) {
		pmp_vmm_detach(vmm);
		return;
	}
	ck_assert_int_eq(pmp_vmm_mem_alloc(vmm, PMP_BACKING_GUEST_MEMFD, SZ_2M, &mem), 0);
	/* KVM refuses read-only guest_memfd slots */
	ck_assert_error(vmm, pmp_vmm_slot_add(vmm, 1, 0, SZ_2M, &mem, 0, PMP_SLOT_READONLY),
			-EINVAL, "KVM_SET_USER_MEMORY_REGION2(slot 1, gpa 0x0, size 0x200000)");
	ck_assert_int_eq(pmp_slot_get(pmp_vmm_vm(vmm), 1, &slot), -ENOENT);
	ck_assert_int_eq(pmp_vmm_slot_add(vmm, 1, 0, SZ_2M, &mem, 0, 0), 0);
	pmp_vmm_detach(vmm);
}
END_TEST

START_TEST(vm_types_the_host_lacks)
{
	static const struct { uint32_t type; const char *name; } types[] = {
		{ PMP_VM_SNP, "SEV-SNP" }, { PMP_VM_TDX, "TDX" },
	};
	struct pmp_vmm_opts opts = { .sz = sizeof(opts), .gfn_end = GFN_END };
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	int vm_types = ioctl(kvm, KVM_CHECK_EXTENSION, 235 /* KVM_CAP_VM_TYPES */);
	struct pmp_vmm *vmm = (void *)1;
	char errbuf[256];

	opts.errbuf = errbuf;
	opts.errbuf_size = sizeof(errbuf);
	for (size_t i = 0; i < 2; i++) {
		if (vm_types > 0 && (vm_types & (1 << (i ? 5 : 4))))
			continue;	/* the host has it */
		opts.vm_type = types[i].type;
		ck_assert_int_eq(pmp_vmm_attach(vm, &opts, &vmm), -EOPNOTSUPP);
		ck_assert_ptr_null(vmm);
		ck_assert_msg(strstr(errbuf, "KVM_CAP_VM_TYPES") && strstr(errbuf, types[i].name),
			      "%s", errbuf);
	}
	opts.policy = "recommended,merge=sideways";
	opts.vm_type = PMP_VM_DEFAULT;
	ck_assert_int_eq(pmp_vmm_attach(vm, &opts, &vmm), -EINVAL);
	ck_assert_msg(strstr(errbuf, "column 19"), "%s", errbuf);
}
END_TEST

static void drop_ipc_lock(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	ck_assert_int_eq(syscall(SYS_capget, &hdr, data), 0);
	data[CAP_IPC_LOCK / 32].effective &= ~(1U << (CAP_IPC_LOCK % 32));
	ck_assert_int_eq(syscall(SYS_capset, &hdr, data), 0);
}

START_TEST(sev_pins_lock_memory_within_the_limits)
{
	struct pmp_vmm *vmm = attach(PMP_VM_SEV, "upstream,pin_limit=768", 0);
	struct pmp_vmm_mem mem;
	struct pmp_vmm_counters c;
	struct rlimit lim = { 1 << 20, 1 << 20 };

	/* pin=launch: the slot's 512 pages are pinned as it is added */
	anon_slot(vmm, &mem);
	pmp_vmm_counters(vmm, &c);
	ck_assert_uint_eq(c.locked_bytes, SZ_2M);
	ck_assert_uint_eq(c.mlock_calls, 1);
	ck_assert_uint_eq(c.sev_regions, pmp_vmm_has(vmm, PMP_CAP_SEV) ? 1 : 0);
	ck_assert_uint_eq(pmp_nr_pinned(pmp_vmm_vm(vmm)), 512);
	/* pinning again locks nothing more */
	ck_assert_int_eq(pmp_vmm_pin(vmm, 0, 0x10000), 0);
	pmp_vmm_counters(vmm, &c);
	ck_assert_uint_eq(c.mlock_calls, 1);

	/* a second slot passes pin_limit=768: refused, nothing locked or pinned */
	struct pmp_vmm_mem mem2;

	ck_assert_int_eq(pmp_vmm_mem_alloc(vmm, PMP_BACKING_ANON, SZ_2M, &mem2), 0);
	ck_assert_error(vmm, pmp_vmm_slot_add(vmm, 1, SZ_2M, SZ_2M, &mem2, 0, 0), -ENOMEM,
			"pmp_pin_range");
	pmp_vmm_counters(vmm, &c);
	ck_assert_uint_eq(c.locked_bytes, SZ_2M);
	ck_assert_uint_eq(pmp_nr_pinned(pmp_vmm_vm(vmm)), 512);

	/* without CAP_IPC_LOCK, RLIMIT_MEMLOCK is the limit */
	drop_ipc_lock();
	ck_assert_int_eq(setrlimit(RLIMIT_MEMLOCK, &lim), 0);
	ck_assert_error(vmm, pmp_vmm_slot_add(vmm, 1, SZ_2M, SZ_2M, &mem2, 0, 0), -ENOMEM,
			"RLIMIT_MEMLOCK is 1048576 and the process lacks CAP_IPC_LOCK");
	ck_assert_uint_eq(pmp_nr_pinned(pmp_vmm_vm(vmm)), 512);
	pmp_vmm_detach(vmm);
}
END_TEST

START_TEST(pin_is_refused_where_the_policy_pins_nothing)
{
	struct pmp_vmm *vmm = attach(PMP_VM_DEFAULT, "upstream", 0);
	struct pmp_vmm_mem mem;

	anon_slot(vmm, &mem);
	ck_assert_error(vmm, pmp_vmm_pin(vmm, 0, 0x1000), -EINVAL, "the policy pins nothing");
	pmp_vmm_detach(vmm);
}
END_TEST

START_TEST(huge_mapping_reasons)
{
	struct pmp_vmm *vmm = attach(PMP_VM_DEFAULT, NULL, PMP_CAP_BIT(PMP_CAP_THP));
	struct pmp_vmm_mem mem;
	char why[200];

	ck_assert_int_eq(pmp_vmm_mem_alloc(vmm, PMP_BACKING_ANON, 2 * SZ_2M, &mem), 0);
	ck_assert_int_eq(pmp_vmm_slot_add(vmm, 0, 0, 2 * SZ_2M, &mem, 0, 0), 0);
	ck_assert_int_eq(pmp_vmm_slot_huge(vmm, 0, why, sizeof(why)), PMP_LEVEL_4K);
	ck_assert_str_eq(why, "transparent huge pages are off for anonymous memory");
	pmp_vmm_detach(vmm);

	vmm = attach(PMP_VM_DEFAULT, "recommended,max_level=2m", 0);
	/* host address 4 KiB past the 2 MiB boundary the gpa sits on */
	ck_assert_int_eq(pmp_vmm_slot_add(vmm, 0, 0, SZ_2M, &mem, 0x1000, 0), 0);
	ck_assert_int_eq(pmp_vmm_slot_huge(vmm, 0, why, sizeof(why)), PMP_LEVEL_4K);
	ck_assert_str_eq(why, "gpa and host address differ modulo the huge size");
	ck_assert_int_eq(pmp_vmm_slot_add(vmm, 1, 4 * SZ_2M, 2 * SZ_2M, &mem, 0,
					  PMP_SLOT_DIRTY_LOG), 0);
	ck_assert_int_eq(pmp_vmm_slot_huge(vmm, 1, why, sizeof(why)), PMP_LEVEL_4K);
	ck_assert_str_eq(why, "dirty logging maps 4 KiB pages only");
	ck_assert_int_eq(pmp_vmm_slot_huge(vmm, 2, why, sizeof(why)), -ENOENT);
	pmp_vmm_detach(vmm);
	pmp_vmm_mem_free(&mem);
}
END_TEST

START_TEST(bad_ranges_change_nothing)
{
	struct pmp_vmm *vmm = attach(PMP_VM_DEFAULT, NULL, 0);
	struct pmp_vmm_mem mem;
	struct pmp_vmm_counters c;
	struct pmp_stats st;

	anon_slot(vmm, &mem);
	ck_assert_error(vmm, pmp_vmm_punch(vmm, 0x800, 0x1000), -EINVAL, "not 4 KiB aligned");
	ck_assert_error(vmm, pmp_vmm_punch(vmm, 0, 0), -EINVAL, "not 4 KiB aligned");
	ck_assert_error(vmm, pmp_vmm_punch(vmm, SZ_2M - 0x1000, 0x2000), -EINVAL,
			"not inside one memslot");
	ck_assert_error(vmm, pmp_vmm_punch(vmm, GFN_END << 12, 0x1000), -ERANGE, "past gfn_end");
	ck_assert_error(vmm, pmp_vmm_convert(vmm, ~0xfffULL, 0x2000, true), -ERANGE,
			"past gfn_end");
	ck_assert_error(vmm, pmp_vmm_slot_add(vmm, 0, SZ_2M, SZ_2M, &mem, 0, 0), -EEXIST,
			"pmp_vmm_slot_add(slot 0)");
	ck_assert_error(vmm, pmp_vmm_slot_add(vmm, 9, SZ_2M, SZ_2M, &mem, 0, 0), -EINVAL,
			"bad argument");
	ck_assert_error(vmm, pmp_vmm_slot_delete(vmm, 3), -ENOENT, "pmp_vmm_slot_delete(slot 3)");
	pmp_vmm_counters(vmm, &c);
	pmp_vm_stats(pmp_vmm_vm(vmm), &st);
	ck_assert_uint_eq(c.punch_requests + c.madvise_calls + c.fallocate_calls, 0);
	ck_assert_uint_eq(st.punched, 0);
	ck_assert_int_eq(pmp_vm_check(pmp_vmm_vm(vmm)), 0);
	pmp_vmm_detach(vmm);
}
END_TEST

START_TEST(thp_punches_wait_for_their_2m_range)
{
	struct pmp_vmm *vmm = attach(PMP_VM_DEFAULT, NULL, 0);
	struct pmp_vmm_mem mem;
	struct pmp_vmm_counters c;

	if (!pmp_vmm_has(vmm, PMP_CAP_THP)) {
		pmp_vmm_detach(vmm);
		return;		/* 4 KiB folios: nothing to wait for */
	}
	anon_slot(vmm, &mem);
	memset(mem.host, 0xaa, SZ_2M);
	ck_assert_int_eq(pmp_vmm_punch(vmm, 0, 0x1000), 0);
	ck_assert_int_eq(pmp_vmm_punch(vmm, 0x1000, 0x1000), 0);
	pmp_vmm_counters(vmm, &c);
	ck_assert_uint_eq(c.madvise_calls, 0);
	ck_assert_uint_eq(pmp_nr_deferred(pmp_vmm_vm(vmm)), 2);
	ck_assert_uint_eq(((uint8_t *)mem.host)[0], 0xaa);	/* deferred: not freed yet */
	ck_assert_int_eq(pmp_vmm_flush(vmm), 0);
	pmp_vmm_counters(vmm, &c);
	ck_assert_uint_eq(c.madvise_calls, 1);		/* both pages in one call */
	ck_assert_uint_eq(c.punched_bytes, 0x2000);
	ck_assert_uint_eq(((uint8_t *)mem.host)[0], 0);
	ck_assert_uint_eq(((uint8_t *)mem.host)[0x2000], 0xaa);
	/* a whole 2 MiB range in two pieces: one call once it is complete */
	ck_assert_int_eq(pmp_vmm_mem_alloc(vmm, PMP_BACKING_ANON, SZ_2M, &mem), 0);
	ck_assert_int_eq(pmp_vmm_slot_add(vmm, 1, SZ_2M, SZ_2M, &mem, 0, 0), 0);
	ck_assert_int_eq(pmp_vmm_punch(vmm, SZ_2M + 0x1000, SZ_2M - 0x1000), 0);
	ck_assert_uint_eq(pmp_nr_deferred(pmp_vmm_vm(vmm)), 511);
	ck_assert_int_eq(pmp_vmm_punch(vmm, SZ_2M, 0x1000), 0);
	pmp_vmm_counters(vmm, &c);
	ck_assert_uint_eq(c.madvise_calls, 2);
	ck_assert_uint_eq(c.punched_bytes, 0x2000 + SZ_2M);
	ck_assert_uint_eq(pmp_nr_deferred(pmp_vmm_vm(vmm)), 0);
	pmp_vmm_detach(vmm);
}
END_TEST

START_TEST(kvm_stat_errors)
{
	struct pmp_vmm *vmm = attach(PMP_VM_DEFAULT, NULL, 0);
	uint64_t v;

	ck_assert_int_eq(pmp_kvm_stat(vm_fd, "pages_4k", &v), 0);
	ck_assert_int_eq(pmp_kvm_stat(vm_fd, "no_such_stat", &v), -ENOENT);
	ck_assert_int_eq(pmp_kvm_stat(0, "pages_4k", &v), -ENOTTY);
	ck_assert_int_eq(pmp_kvm_stat(vm_fd, NULL, &v), -EINVAL);
	pmp_vmm_detach(vmm);
}
END_TEST

static Suite *vmm_suite(void)
{
	Suite *s = suite_create("vmm");
	TCase *tc = tcase_create("kvm");

	tcase_add_test(tc, report_has_a_line_per_capability);
	tcase_add_test(tc, convert_without_memory_attributes_is_tracked_and_refused);
	tcase_add_test(tc, prefault_without_the_capability);
	tcase_add_test(tc, guest_memfd_missing_or_not_mappable);
	tcase_add_test(tc, guest_memfd_slot_needs_user_memory2);
	tcase_add_test(tc, kvm_refusal_names_the_ioctl_and_creates_nothing);
	tcase_add_test(tc, vm_types_the_host_lacks);
	tcase_add_test(tc, sev_pins_lock_memory_within_the_limits);
	tcase_add_test(tc, pin_is_refused_where_the_policy_pins_nothing);
	tcase_add_test(tc, huge_mapping_reasons);
	tcase_add_test(tc, bad_ranges_change_nothing);
	tcase_add_test(tc, thp_punches_wait_for_their_2m_range);
	tcase_add_test(tc, kvm_stat_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	if (access("/dev/kvm", R_OK | W_OK)) {
		printf("SKIP: vmm: /dev/kvm is not usable here (%s)\n", strerror(errno));
		return 0;
	}
	sr = srunner_create(vmm_suite());
	srunner_add_suite(sr, private_suite());
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
