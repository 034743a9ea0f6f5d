/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * pmp-replay --tune: a bounded, deterministic grid search of the policy
 * knobs over one input, printing the Pareto front of (mean 2M+ coverage,
 * write-locked events, pinned pages, invalidations) with the policy string
 * of each point.  An offline counterpart of DAMOS's aim-oriented quota
 * tuning; docs/replay.md describes the grid.
 */
#ifndef PMP_REPLAY_TUNE_H
#define PMP_REPLAY_TUNE_H

#include <stdio.h>
#include "replay.h"

/* Longest policy string of a grid point (every knob of the grid changed). */
#define TUNE_LABEL 256

/* Objectives of one policy on the input. */
struct tune_point {
	char label[TUNE_LABEL];		/* the policy string, on top of "recommended" */
	struct pmp_policy policy;
	uint64_t mean_bp;		/* maximised */
	uint64_t wlock, pins, inval;	/* minimised: write-locked events, pin high-water,
					 * INVALIDATE actions */
	uint32_t same;			/* later grid points with the very same figures */
	bool front;			/* on the Pareto front */
};

/* Does @a dominate @b: no worse on every objective, better on one? */
bool tune_dominates(const struct tune_point *a, const struct tune_point *b);

/*
 * Mark the front of @pts[0..n): a point is on it when no other dominates
 * it and no earlier point has the very same figures (counted in its
 * first twin's @same).  O(n^2): n is the grid's size, a few hundred.
 */
void tune_front(struct tune_point *pts, unsigned int n);

/*
 * Run the grid over a workload spec (@workload) or a trace file (@trace,
 * read once per batch of 16 policies: not stdin) and print the report on
 * @out.  0, or 1 with the error printed on stderr.
 */
int tune_main(const char *workload, const char *trace, FILE *out);

#endif /* PMP_REPLAY_TUNE_H */
