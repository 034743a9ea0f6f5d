/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What the timed benchmarks share: a monotonic clock and the median.
 */
#ifndef PMP_BENCH_H
#define PMP_BENCH_H

#include <stdlib.h>
#include <time.h>

static inline double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sort @t[0..n) in place, so t[0], t[n / 2] and t[n - 1] are min, median, max. */
static inline void sort_times(double *t, int n)
{
	qsort(t, (size_t)n, sizeof(t[0]), cmp_double);
}

#endif /* PMP_BENCH_H */
