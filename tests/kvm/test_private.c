// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The VMM shim's private memory on a real KVM with SW-protected VMs (the
 * 6.12 rig): slots laid out as QEMU lays them out, conversions that
 * discard the side the guest stopped using, in the right order, through
 * the core's coalescing, and pre-faulting.  On a KVM without
 * KVM_X86_SW_PROTECTED_VM each test says so and passes without running.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <pmem_policy/vmm.h>

#include "kvm/suites.h"

#define SZ_4K 4096ULL
#define SZ_2M (2ULL << 20)
#define SW_PROTECTED_VM 1
#define CAP_VM_TYPES 235

struct priv_vm {
	int kvm, fd;
	struct pmp_vmm *vmm;
	struct pmp_vmm_mem shared, priv;
};

/* A SW-protected VM with one 2 MiB private-memory slot at gpa 0, or false. */
static bool priv_vm(struct priv_vm *v, const char *policy)
{
	struct pmp_vmm_opts opts = { .sz = sizeof(opts), .gfn_end = 4 * SZ_2M / SZ_4K,
				     .max_slots = 4, .policy = policy };
	int types;

	v->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(v->kvm, 0);
	types = ioctl(v->kvm, KVM_CHECK_EXTENSION, CAP_VM_TYPES);
	if (types <= 0 || !(types & (1 << SW_PROTECTED_VM))) {
		printf("private memory: not run, KVM_CAP_VM_TYPES 0x%x lacks KVM_X86_SW_PROTECTED_VM\n",
		       types < 0 ? 0 : types);
		return false;
	}
	v->fd = ioctl(v->kvm, KVM_CREATE_VM, SW_PROTECTED_VM);
	ck_assert_int_ge(v->fd, 0);
	ck_assert_int_eq(pmp_vmm_attach(v->fd, &opts, &v->vmm), 0);
	ck_assert(pmp_vmm_has(v->vmm, PMP_CAP_MEMORY_ATTRIBUTES));
	ck_assert_int_eq(pmp_vmm_mem_alloc(v->vmm, PMP_BACKING_ANON, SZ_2M, &v->shared), 0);
	ck_assert_int_eq(pmp_vmm_mem_alloc(v->vmm, PMP_BACKING_PRIVATE, SZ_2M, &v->priv), 0);
	return true;
}

static void add_slot(struct priv_vm *v)
{
	ck_assert_int_eq(pmp_vmm_slot_add_private(v->vmm, 0, 0, SZ_2M, &v->shared, 0, &v->priv, 0, 0),
			 0);
}

START_TEST(private_memory_has_no_host_mapping)
{
	struct priv_vm v;
	int fd;

	if (!priv_vm(&v, NULL))
		return;
	ck_assert_ptr_null(v.priv.host);
	ck_assert_int_ge(v.priv.fd, 0);
	ck_assert_uint_eq(v.priv.size, SZ_2M);
	fd = v.priv.fd;
	pmp_vmm_mem_free(&v.priv);
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);	/* closed */
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(v.priv.fd, -1);
	pmp_vmm_mem_free(&v.priv);			/* twice is harmless */
	pmp_vmm_detach(v.vmm);
}
END_TEST

START_TEST(private_slot_bad_arguments_create_nothing)
{
	struct priv_vm v;

	if (!priv_vm(&v, NULL))
		return;
	/* the private half must be a private guest_memfd */
	ck_assert_int_eq(pmp_vmm_slot_add_private(v.vmm, 0, 0, SZ_2M, &v.shared, 0, &v.shared, 0, 0),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(pmp_vmm_error(v.vmm), "pmp_vmm_slot_add_private(slot 0"));
	/* and the shared half ordinary memory */
	ck_assert_int_eq(pmp_vmm_slot_add_private(v.vmm, 0, 0, SZ_2M, &v.priv, 0, &v.priv, 0, 0),
			 -EINVAL);
	ck_assert_int_eq(pmp_vmm_slot_add_private(v.vmm, 0, 0, SZ_2M, &v.shared, 0, NULL, 0, 0),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(pmp_vmm_error(v.vmm), "no private memory"));
	/* past the guest_memfd's end */
	ck_assert_int_eq(pmp_vmm_slot_add_private(v.vmm, 0, 0, SZ_2M, &v.shared, 0, &v.priv, SZ_4K,
						  0), -EINVAL);
	add_slot(&v);		/* nothing was created: the id is free */
	pmp_vmm_detach(v.vmm);
}
END_TEST

START_TEST(private_slot_maps_private_pages_at_4k)
{
	struct priv_vm v;
	char why[160];

	if (!priv_vm(&v, NULL))
		return;
	add_slot(&v);
	ck_assert_int_eq(pmp_vmm_slot_huge(v.vmm, 0, why, sizeof(why)), PMP_LEVEL_4K);
	ck_assert_msg(strstr(why, "private pages"), "why: %s", why);
	pmp_vmm_detach(v.vmm);
}
END_TEST

/*
 * To private: the shared page's discard waits for its 2 MiB range
 * (defer-2m, THP memory); to shared again: that discard lands first, so
 * the guest gets zeros back, and the guest_memfd page is punched.
 */
START_TEST(conversion_discards_the_unused_side_in_order)
{
	struct pmp_vmm_counters c;
	struct priv_vm v;
	uint8_t *host;

	if (!priv_vm(&v, NULL))
		return;
	add_slot(&v);
	host = v.shared.host;
	memset(host, 0xaa, SZ_2M);
	ck_assert_int_eq(pmp_vmm_convert(v.vmm, SZ_4K, SZ_4K, true), 0);
	pmp_vmm_counters(v.vmm, &c);
	ck_assert_uint_eq(c.attribute_calls, 1);
	ck_assert_uint_eq(c.fallocate_calls, 0);
	if (pmp_vmm_has(v.vmm, PMP_CAP_THP)) {
		ck_assert_uint_eq(c.madvise_calls, 0);		/* waits for its 2 MiB */
		ck_assert_uint_eq(pmp_nr_deferred(pmp_vmm_vm(v.vmm)), 1);
		ck_assert_uint_eq(host[SZ_4K], 0xaa);
	} else {
		ck_assert_uint_eq(c.madvise_calls, 1);
	}
	ck_assert_int_eq(pmp_vmm_convert(v.vmm, SZ_4K, SZ_4K, false), 0);
	pmp_vmm_counters(v.vmm, &c);
	ck_assert_uint_eq(c.attribute_calls, 2);
	ck_assert_uint_eq(c.madvise_calls, 1);			/* the shared page, before use */
	ck_assert_uint_eq(c.fallocate_calls, 1);		/* the guest_memfd page */
	ck_assert_uint_eq(c.punched_bytes, 2 * SZ_4K);
	ck_assert_uint_eq(pmp_nr_deferred(pmp_vmm_vm(v.vmm)), 0);
	ck_assert_uint_eq(host[SZ_4K], 0);
	ck_assert_uint_eq(host[0], 0xaa);			/* its neighbours kept theirs */
	ck_assert_uint_eq(host[2 * SZ_4K], 0xaa);
	ck_assert_int_eq(pmp_vm_check(pmp_vmm_vm(v.vmm)), 0);
	pmp_vmm_detach(v.vmm);
}
END_TEST

/* A 2 MiB range made private in eight pieces: one discard of shared memory. */
START_TEST(conversion_storm_discards_once)
{
	struct pmp_vmm_counters c;
	struct priv_vm v;

	if (!priv_vm(&v, NULL))
		return;
	add_slot(&v);
	memset(v.shared.host, 0xaa, SZ_2M);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(pmp_vmm_convert(v.vmm, i * SZ_2M / 8, SZ_2M / 8, true), 0);
	pmp_vmm_counters(v.vmm, &c);
	ck_assert_uint_eq(c.attribute_calls, 8);
	ck_assert_uint_eq(c.madvise_calls, pmp_vmm_has(v.vmm, PMP_CAP_THP) ? 1 : 8);
	ck_assert_uint_eq(c.punched_bytes, SZ_2M);
	ck_assert_uint_eq(((uint8_t *)v.shared.host)[SZ_2M - 1], 0);
	pmp_vmm_detach(v.vmm);
}
END_TEST

/* Pre-faulting after a conversion: KVM maps the private pages at once. */
START_TEST(convert_prefault_maps_private_memory)
{
	struct pmp_vmm_counters c;
	struct priv_vm v;
	uint64_t pages;
	int vcpu;

	if (!priv_vm(&v, NULL))
		return;
	add_slot(&v);
	vcpu = ioctl(v.fd, KVM_CREATE_VCPU, 0);
	ck_assert_int_ge(vcpu, 0);
	ck_assert_int_eq(pmp_vmm_convert_prefault(v.vmm, 0, 16 * SZ_4K, true, vcpu), 0);
	pmp_vmm_counters(v.vmm, &c);
	ck_assert_uint_ge(c.prefault_calls, 1);
	/* the shared pages were discarded before the SPTEs were made */
	ck_assert_uint_eq(pmp_nr_deferred(pmp_vmm_vm(v.vmm)), 0);
	ck_assert_uint_eq(c.madvise_calls, 1);
	ck_assert_int_eq(pmp_kvm_stat(v.fd, "pages_4k", &pages), 0);
	ck_assert_uint_eq(pages, 16);		/* 6.12's guest_memfd: 4 KiB folios */
	pmp_vmm_detach(v.vmm);
}
END_TEST

Suite *private_suite(void)
{
	Suite *s = suite_create("private");
	TCase *tc = tcase_create("sw-protected");

	tcase_add_test(tc, private_memory_has_no_host_mapping);
	tcase_add_test(tc, private_slot_bad_arguments_create_nothing);
	tcase_add_test(tc, private_slot_maps_private_pages_at_4k);
	tcase_add_test(tc, conversion_discards_the_unused_side_in_order);
	tcase_add_test(tc, conversion_storm_discards_once);
	tcase_add_test(tc, convert_prefault_maps_private_memory);
	suite_add_tcase(s, tc);
	return s;
}
