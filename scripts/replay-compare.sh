#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Two pmp-replay binaries must give byte-identical results: every built-in
# workload (default and scaled sizes) under every preset and a few policy
# strings, generated (--workload) and parsed back from its trace text, plus
# the recorded traces in tests/data, as --json; and the workloads' traces
# (--trace-out) themselves.  A change that only makes replay faster runs this
# against the parent commit's binary.
#
# usage: scripts/replay-compare.sh OLD_PMP_REPLAY NEW_PMP_REPLAY [--quick]
set -eu
old=${1:?usage: replay-compare.sh OLD_PMP_REPLAY NEW_PMP_REPLAY [--quick]}
new=${2:?usage: replay-compare.sh OLD_PMP_REPLAY NEW_PMP_REPLAY [--quick]}
quick=${3:-}
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
policies="upstream,tdx-series,recommended,merge=scan,merge=blocked,recommended,pin=launch"
workloads=$("$new" --list | sed -n 's/^\([a-z0-9-]*\): .*/\1/p')
[ -n "$quick" ] || workloads="$workloads tdx-boot:mem_gib=64,rounds=16
snp-lazy-accept:mem_gib=32 sev-boot:mem_gib=64,rounds=16
vsm-boot:changes=1000000 live-migration:mem_gib=16,rounds=64"
n=0
same() { # label, then the arguments of both runs
	label=$1
	shift
	"$old" "$@" >"$tmp/old" 2>"$tmp/old.err" && ro=0 || ro=$?
	"$new" "$@" >"$tmp/new" 2>"$tmp/new.err" && rn=0 || rn=$?
	cmp -s "$tmp/old" "$tmp/new" && cmp -s "$tmp/old.err" "$tmp/new.err" &&
		[ "$ro" = "$rn" ] ||
		{ echo "replay-compare: FAIL: $label differs (exit $ro vs $rn)" >&2
		  diff "$tmp/old" "$tmp/new" | head -20 >&2; exit 1; }
	n=$((n + 1))
}
for w in $workloads; do
	"$old" --workload "$w" -p recommended --trace-out "$tmp/old.trace" >/dev/null
	"$new" --workload "$w" -p recommended --trace-out "$tmp/new.trace" >/dev/null
	cmp -s "$tmp/old.trace" "$tmp/new.trace" ||
		{ echo "replay-compare: FAIL: $w: --trace-out differs" >&2; exit 1; }
	same "$w (workload)" --workload "$w" --json -p "$policies"
	same "$w (trace text)" --json -p "$policies" "$tmp/new.trace"
	same "$w (table)" "$tmp/new.trace"
done
for t in "$top"/tests/data/*.trace.gz "$top"/tests/data/*.trace; do
	same "$t" --json -p "$policies" "$t"
done
echo "replay-compare: $n runs identical"
