/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * pmem_policy public types.
 *
 * The public API uses the fixed-width C types, which the kernel also
 * provides; this header is the API's only door to them, as
 * libpmem_policy/env.h is the core's.
 */
#ifndef PMEM_POLICY_TYPES_H
#define PMEM_POLICY_TYPES_H

#ifdef __KERNEL__
#include <linux/types.h>
#define PMP_API
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
/* Everything is hidden unless marked; the version script lists the same set. */
#define PMP_API __attribute__((visibility("default")))
#endif

/**
 * enum pmp_level - mapping levels, numbered as KVM's PG_LEVEL_*.
 * @PMP_LEVEL_4K: 4 KiB leaf.
 * @PMP_LEVEL_2M: 2 MiB leaf (512 pages).
 * @PMP_LEVEL_1G: 1 GiB leaf (262144 pages).
 */
enum pmp_level {
	PMP_LEVEL_4K = 1,
	PMP_LEVEL_2M = 2,
	PMP_LEVEL_1G = 3,
};

#define PMP_PAGE_SHIFT 12
/* Pages covered by one leaf at @level (1, 512, 262144). */
#define PMP_LEVEL_PAGES(level) (1ULL << (9 * ((level) - 1)))

#endif /* PMEM_POLICY_TYPES_H */
