/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * pmp-replay --diff A.json B.json: what changed between two runs (two
 * policies, or one policy on two traces), like `perf kvm diff`.  Reads
 * the JSON pmp-replay --json writes (one object per run).
 */
#ifndef PMP_REPLAY_DIFF_H
#define PMP_REPLAY_DIFF_H

#include <stdio.h>

/*
 * Policies are paired by label when both runs have the same labels, else in
 * order.  Prints, per pair, every metric that differs (A, B, change, and
 * change in percent) and how many are equal.  Exit status: 0 when nothing
 * differs, 1 when something does (as diff(1)), 2 for an unreadable file.
 */
int diff_runs(FILE *out, const char *a, const char *b);

#endif /* PMP_REPLAY_DIFF_H */
