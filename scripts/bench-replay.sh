#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# BENCHMARKS.md's "Replay throughput" section: bench_replay's timed passes
# (issue 16's target: 10 M events/s end to end on every built-in workload,
# at its default size and scaled up), then where pmp-replay's instructions
# go: each built-in workload, at its default size and scaled up, written as
# a trace and replayed under callgrind (deterministic for a given binary),
# split by scripts/replay-profile.py.  The prose's ranges are computed from
# the rows, so a rerun on another tree (after the core changed) stays true.
# --quick: the small trace and one workload.  --update: write the section
# into BENCHMARKS.md in place of the one there (from "## Replay throughput"
# to the next "## " heading), not to stdout.
#
# usage: scripts/bench-replay.sh BUILD_DIR [--quick] [--update]
set -eu
build=${1:?usage: bench-replay.sh BUILD_DIR [--quick] [--update]}
shift
quick=
update=
for a in "$@"; do
	case $a in
	--quick) quick=--quick ;;
	--update) update=1 ;;
	*) echo "usage: bench-replay.sh BUILD_DIR [--quick] [--update]" >&2; exit 2 ;;
	esac
done
top=$(cd "$(dirname "$0")/.." && pwd)
replay="$build/tools/pmp-replay"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ -n "$update" ]; then
	"$0" "$build" $quick >"$tmp/section"
	md="$top/BENCHMARKS.md"
	grep -q '^## Replay throughput$' "$md" ||
		{ echo "bench-replay.sh: no \"## Replay throughput\" in $md" >&2; exit 1; }
	awk -v sec="$tmp/section" '
		/^## Replay throughput$/ { while ((getline l < sec) > 0) print l; skip = 1; next }
		skip && /^## / { skip = 0; print "" }
		!skip' "$md" >"$tmp/md"
	mv "$tmp/md" "$md"
	echo "bench-replay.sh: BENCHMARKS.md's replay sections rewritten" >&2
	exit 0
fi

cat <<'TEXT'
## Replay throughput

pmp-replay's engine (tools/replay/) on one core: events per second replaying a
large generated trace held in memory under one policy, against baselines on
the same events in the same process. The replay of an event includes the
core's calls, applying their actions to the leaf model and the oracle
(docs/replay.md). Then every built-in workload at its default size and scaled
up, end to end (the engine set up, its trace text read as pmp-replay reads
a file, parsed and replayed, the VM checked and its counters read, the table
written and the engine freed: what `pmp-replay TRACE -p recommended` does
less the read(); target 10 M events/s) and replay alone;
a merge tick's work is a unit per candidate 2 MiB range it examines and per
1 GiB range it passes. The final `pmp_vm_check()` is the replay's referee:
pmp-replay always runs it, so it stays in the end-to-end time, and its
median share of that time is shown apart. Times are medians with min-max,
on a machine shared with other jobs. Regenerate this section and the next
with `make build/bench/bench_replay build/tools/pmp-replay &&
scripts/bench-replay.sh build --update` (`make bench` runs it as part of
the whole file).

TEXT
# the times depend on what else runs: say how busy the machine was
echo "Load average when the timing started: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)."
echo
"$build/bench/bench_replay" --throughput $quick
echo
echo "Load average when it ended: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "The floor row (walking the event array) shows how much of a core the run"
echo "had: compare it between runs before comparing their times. Tick work and the"
echo "instructions below do not depend on the load."

if [ -n "$quick" ]; then
	workloads=live-migration
else
	workloads="$("$replay" --list | sed -n 's/^\([a-z0-9-]*\): .*/\1/p')
tdx-boot:mem_gib=64,rounds=16 snp-lazy-accept:mem_gib=32 sev-boot:mem_gib=64,rounds=16
vsm-boot:changes=1000000 live-migration:mem_gib=16,rounds=64
swiotlb:io_ops=500000,dma_pages=50000 punch-storm:mem_gib=8,storm_mib=2048"
fi
for w in $workloads; do
	"$replay" --workload "$w" --trace-out "$tmp/t.trace" >/dev/null
	valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" \
		"$replay" -p recommended "$tmp/t.trace" >/dev/null 2>"$tmp/vg" ||
		{ cat "$tmp/vg" >&2; exit 1; }
	events=$(grep -cv '^pmp-trace \|^#' "$tmp/t.trace")
	python3 "$top/scripts/replay-profile.py" "$tmp/cg" "$events" "$w" >>"$tmp/rows"
done
# the rows' fields ('|'-separated): 4 total, 5 parser, 6 core, 7 ticks, 8 check, 9 the rest
range() {
	awk -F'|' -v c="$1" '{ v = $c; gsub(/[ ,]/, "", v); v += 0
		if (NR == 1 || v < lo) lo = v; if (NR == 1 || v > hi) hi = v }
		END { printf "%s-%s", lo, hi }' "$tmp/rows" |
		sed 's/\([0-9]\)\([0-9][0-9][0-9]\)\b/\1,\2/g'
}
cat <<TEXT

### Where replay's instructions go

\`valgrind --tool=callgrind pmp-replay -p recommended TRACE\` on each built-in
workload's trace, at its default size and scaled up (\`pmp-replay --workload
NAME --trace-out TRACE\`): instructions per event for the whole process, in
the trace parser (\`pmp_trace_feed_events()\`), in the core's calls (inclusive; the
merge ticks and the final \`pmp_vm_check()\` also on their own), and the rest:
the replay engine (leaf model, oracle, coverage samples), start-up and the
report (\`scripts/replay-profile.py\`). 10 M events/s leaves a core about 100
ns per event, a few hundred instructions; here the whole process costs
$(range 4) instructions an event: the parser $(range 5), the core's calls
$(range 6) (the final check $(range 8) of them: it weighs on the short
workloads), the engine and the rest $(range 9). The parser returns up to 256 events
a call, on consecutive lines, which the engine replays in one loop; it
reads a line as
\`pmp-trace\` and \`--trace-out\` write it in one pass from the caller's buffer,
its keyword named by its first bytes, its keys and names compared as words,
its numbers read as they are scanned, without a bound test per byte while
512 bytes or more are there; any other spelling, and every error, goes to
the general reader, which gives the same event or the same message at the
same column. The engine's per-event work is O(1) on the common paths (an
access a present leaf serves, a touch of a chunk already touched, a
one-page attribute change); the oracle evaluates at each coverage sample
only the chunks that changed since the last. The core's share is the
library's own (its range operations, accepts, protections and merge ticks).

| workload | events | instructions/event | parser | core | of which merge ticks | of which the final check | engine and the rest |
| --- | --- | --- | --- | --- | --- | --- | --- |
TEXT
cat "$tmp/rows"
