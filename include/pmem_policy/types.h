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

/**
 * pmp_opts_load() - read a caller's sized struct by libbpf's OPTS rules.
 * @dst: the library's copy: @known_sz bytes, zeroed, then filled with the
 *	caller's first min(sz, @known_sz) bytes, so fields an older caller
 *	does not know read 0 ("pick the default").
 * @known_sz: the size of the struct this library was built with.
 * @opts: the caller's struct, whose first field is its size_t sz.
 * @min_sz: the smallest sz accepted: the end of the mandatory fields of the
 *	struct's first released layout (e.g. PMP_GEOMETRY_MIN_SZ).
 *
 * A caller built against an older header passes a smaller sz and gets the
 * defaults for the fields it lacks; one built against a newer header may
 * pass a larger sz as long as every byte this library does not know is 0
 * (it asked for nothing this library cannot do).  Every public struct with
 * an sz field is read through this one function.
 *
 * Return: 0; -EINVAL if @opts or @dst is NULL or sz is below @min_sz;
 * -E2BIG if sz exceeds @known_sz and a byte past @known_sz is not 0.
 */
PMP_API int pmp_opts_load(void *dst, size_t known_sz, const void *opts, size_t min_sz);

#endif /* PMEM_POLICY_TYPES_H */
