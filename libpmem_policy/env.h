/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The core's only door to the outside world.
 *
 * Under __KERNEL__ it takes the kernel's headers; otherwise only headers
 * the compiler itself provides in freestanding mode.  No other file of the
 * core includes anything but the project's own headers; `make freestanding`
 * checks both.  The core may emit calls to memcpy/memset/memmove/memcmp
 * (the compiler does for struct copies) and to nothing else.
 */
#ifndef PMP_ENV_H
#define PMP_ENV_H

#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/types.h>
#define pmp_memset(d, c, n) memset(d, c, n)
#define pmp_memcpy(d, s, n) memcpy(d, s, n)
#define pmp_memmove(d, s, n) memmove(d, s, n)
#define pmp_memcmp(a, b, n) memcmp(a, b, n)
#include <linux/atomic.h>
#include <linux/compiler.h>
/* Word updates of pmp_map_shared(): atomic, ordered by the caller's lock. */
#define pmp_load_word(p) READ_ONCE(*(p))
#define pmp_cas_word(p, oldp, new) try_cmpxchg64(p, oldp, new)
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#define pmp_memset(d, c, n) __builtin_memset(d, c, n)
#define pmp_memcpy(d, s, n) __builtin_memcpy(d, s, n)
#define pmp_memmove(d, s, n) __builtin_memmove(d, s, n)
#define pmp_memcmp(a, b, n) __builtin_memcmp(a, b, n)
#define pmp_load_word(p) __atomic_load_n(p, __ATOMIC_RELAXED)
#define pmp_cas_word(p, oldp, new) \
	__atomic_compare_exchange_n(p, oldp, new, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)

/* Linux errno values: the library's error ABI is the kernel's. */
#ifndef EINTR
#define EINTR 4
#endif
#ifndef ENOENT
#define ENOENT 2
#endif
#ifndef E2BIG
#define E2BIG 7
#endif
#ifndef EAGAIN
#define EAGAIN 11
#endif
#ifndef ENOMEM
#define ENOMEM 12
#endif
#ifndef EBUSY
#define EBUSY 16
#endif
#ifndef EEXIST
#define EEXIST 17
#endif
#ifndef EINVAL
#define EINVAL 22
#endif
#ifndef ENOSPC
#define ENOSPC 28
#endif
#ifndef ERANGE
#define ERANGE 34
#endif
#ifndef EUCLEAN
#define EUCLEAN 117
#endif
#endif

#include <pmem_policy/pmem_policy.h>

#define pmp_likely(x) __builtin_expect(!!(x), 1)
#define pmp_unlikely(x) __builtin_expect(!!(x), 0)

#endif /* PMP_ENV_H */
