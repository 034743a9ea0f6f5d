/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The Check suites of tests/kvm, run by test_vmm.c's main(). */
#ifndef PMP_TESTS_KVM_SUITES_H
#define PMP_TESTS_KVM_SUITES_H

#include <check.h>

/* Private memory: slots with a guest_memfd, conversions (test_private.c). */
Suite *private_suite(void);

#endif /* PMP_TESTS_KVM_SUITES_H */
