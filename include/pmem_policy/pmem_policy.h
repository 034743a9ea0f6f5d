/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * pmem_policy: guest-private-memory policy for confidential VMs on KVM x86.
 *
 * The umbrella header.  Every call returns 0 (or a documented non-negative
 * value) or a negative errno, and a failed call changes no state but the
 * decision counters (struct pmp_stats' decision[], where refusals count).
 */
#ifndef PMEM_POLICY_H
#define PMEM_POLICY_H

#include "types.h"
#include "policy.h"
#include "vm.h"
#include "attr.h"
#include "level.h"
#include "mmu.h"
#include "inval.h"
#include "stats.h"

#define PMP_VERSION_MAJOR 0
#define PMP_VERSION_MINOR 6

/**
 * pmp_strerror() - describe an error the library returned.
 * @err: a negative errno from a pmp_ call (a positive one works too).
 *
 * Return: a static string, "unknown error" for codes the library never
 * returns.
 */
PMP_API const char *pmp_strerror(int err);

/**
 * pmp_version() - the library's version, "MAJOR.MINOR".
 *
 * Return: a static string.
 */
PMP_API const char *pmp_version(void);

#endif /* PMEM_POLICY_H */
