// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Sized structs that can evolve (libbpf's OPTS rules): the one reader of a
 * caller's "sz" field.
 */
#include "internal.h"

int pmp_opts_load(void *dst, size_t known_sz, const void *opts, size_t min_sz)
{
	const unsigned char *tail;
	size_t sz, i;

	if (!dst || !opts || known_sz < sizeof(size_t))
		return -EINVAL;
	pmp_memcpy(&sz, opts, sizeof(sz));
	if (sz < min_sz || sz < sizeof(size_t))
		return -EINVAL;
	/* a newer caller: what this library does not know must be unset */
	for (tail = opts, i = known_sz; i < sz; i++)
		if (tail[i])
			return -E2BIG;
	pmp_memset(dst, 0, known_sz);
	pmp_memcpy(dst, opts, sz < known_sz ? sz : known_sz);
	return 0;
}
