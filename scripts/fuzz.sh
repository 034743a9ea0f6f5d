#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Build every libFuzzer target (tests/fuzz/fuzz_*.c, with the core and the
# simulator compiled in, under ASan and UBSan) and run each for SECONDS,
# starting from its seed corpus in tests/fuzz/corpus/NAME.  New inputs go to
# build/fuzz/corpus-NAME, crashes to build/fuzz/crash-*.  Exits non-zero if
# any target finds a crash, a leak or a sanitizer error.
#
# usage: scripts/fuzz.sh SECONDS
set -eu
secs=${1:?usage: fuzz.sh SECONDS}
top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/build/fuzz"
mkdir -p "$out"
cd "$top"
flags="-g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
	-Iinclude -Itests"
status=0
for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	short=${name#fuzz_}
	# shellcheck disable=SC2086
	clang $flags -o "$out/$name" "$src" libpmem_policy/*.c tests/sim/sim.c tests/sim/driver.c
	mkdir -p "$out/corpus-$short"
	if "$out/$name" -max_total_time="$secs" -print_final_stats=1 -timeout=20 \
		-artifact_prefix="$out/" "$out/corpus-$short" "tests/fuzz/corpus/$short" \
		> "$out/$name.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$name.log" | tail -n 1)
		echo "fuzz: $name: ${runs:-?} executions in ${secs}s, no crash"
	else
		echo "fuzz: $name: FAILED, see $out/$name.log:" >&2
		grep -E 'ERROR|fuzz_api:|abort|SUMMARY' "$out/$name.log" | head -n 5 >&2
		status=1
	fi
done
exit $status
