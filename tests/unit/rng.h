/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The randomized tests' generator: xorshift64*, small, fast and the same
 * sequence everywhere, so a printed seed replays a failure exactly.
 */
#ifndef PMP_TEST_RNG_H
#define PMP_TEST_RNG_H

#include <stdint.h>

struct rng {
	uint64_t s;
};

/* Seed it; any seed, 0 included, gives a usable (non-zero) state. */
static inline void rng_seed(struct rng *r, uint64_t seed)
{
	r->s = seed * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
	if (!r->s)
		r->s = 1;
}

static inline uint64_t rng_next(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dULL;
}

/* Uniform enough in [0, n); 0 for n == 0. */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return n ? rng_next(r) % n : 0;
}

#endif /* PMP_TEST_RNG_H */
