#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# A long run of the randomized small-array/snapshot test (tests/unit,
# suite small_array: both oracles, after every step, on every VM type,
# preset and pool size) under ASan+UBSan, with a new base seed per round
# until SECONDS have passed.  Prints each round's seeds and the totals;
# exits non-zero at the first failure, naming the seed that reproduces it
# (PMP_SEED=N CK_RUN_SUITE=small_array build/sanitize/tests/unit).
#
# usage: scripts/soak.sh SECONDS [BUILD_DIR]
set -eu
secs=${1:?usage: soak.sh SECONDS [BUILD_DIR]}
bin=${2:-build/sanitize}/tests/unit
[ -x "$bin" ] || { echo "soak: $bin is not built (make SANITIZE=1 soak)" >&2; exit 2; }
end=$(($(date +%s) + secs))
round=0
ops=0
while [ "$(date +%s)" -lt "$end" ]; do
	seed=$((round * 1000 + 1000))
	# each case runs with PMP_SEED=seed (the case index is in its setup)
	if ! out=$(PMP_SEED=$seed CK_RUN_SUITE=small_array CK_FORK=no "$bin" 2>&1); then
		echo "$out" | tail -n 20 >&2
		echo "soak: FAILED in round $round: PMP_SEED=$seed CK_RUN_SUITE=small_array $bin" >&2
		exit 1
	fi
	n=$(echo "$out" | sed -n 's/.*: \([0-9]*\) ops,.*/\1/p' | awk '{s += $1} END {print s + 0}')
	ops=$((ops + n))
	round=$((round + 1))
done
echo "soak: small_array: $round rounds (12 cases each, base seeds 1000..$((round * 1000))), $ops operations in ${secs}s, no failure"
