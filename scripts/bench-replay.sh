#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# BENCHMARKS.md's "Replay throughput" section: bench_replay's timed passes
# (issue 16's target: 10 M events/s end to end on every built-in workload),
# then where pmp-replay's instructions go: each built-in workload at its
# default size written as a trace and replayed under callgrind
# (deterministic for a given binary), split by scripts/replay-profile.py.
# --quick: the small trace and one workload.
#
# usage: scripts/bench-replay.sh BUILD_DIR [--quick]
set -eu
build=${1:?usage: bench-replay.sh BUILD_DIR [--quick]}
quick=${2:-}
top=$(cd "$(dirname "$0")/.." && pwd)
replay="$build/tools/pmp-replay"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat <<'TEXT'
## Replay throughput

pmp-replay's engine (tools/replay/) on one core: events per second replaying a
large generated trace held in memory under one policy, against baselines on
the same events in the same process. The replay of an event includes the
core's calls, applying their actions to the leaf model and the oracle
(docs/replay.md). Then every built-in workload at its default size and scaled
up, end to end (the engine set up, its trace text parsed and replayed, the
VM checked and its counters read: what `pmp-replay TRACE -p recommended`
does less the read() and the report; target 10 M events/s) and replay alone;
a merge tick's work is a unit per candidate 2 MiB range it examines and per
1 GiB range it passes. Times are medians with min-max, on a machine shared
with other jobs.

TEXT
# the times depend on what else runs: say how busy the machine was
echo "Load average when the timing started: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)."
echo
"$build/bench/bench_replay" --throughput ${quick:+--quick}
echo
echo "Load average when it ended: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "The floor row (walking the event array) shows how much of a core the run"
echo "had: compare it between runs before comparing their times. Tick work and the"
echo "instructions below do not depend on the load."

if [ -n "$quick" ]; then
	workloads=live-migration
else
	workloads=$("$replay" --list | sed -n 's/^\([a-z0-9-]*\): .*/\1/p')
fi
cat <<'TEXT'

### Where replay's instructions go

`valgrind --tool=callgrind pmp-replay -p recommended TRACE` on each built-in
workload's trace (`pmp-replay --workload NAME --trace-out TRACE`): instructions
per event for the whole process, in the trace parser (`pmp_trace_feed()`), in
the core's calls (inclusive; the merge ticks also on their own), and the
rest: the replay engine (leaf model, oracle, coverage samples), start-up and
the report (`scripts/replay-profile.py`). 10 M events/s leaves a core about
100 ns per event, a few hundred instructions. The parser reads a line as
`pmp-trace` and `--trace-out` write it in one pass, its keyword, keys and
names compared as words (any other spelling goes to the general reader):
360-470 instructions a line, about 10 a byte (1,000-1,600 before, main
9d12e4c). The core's calls cost 680-1,550 an event: on `vsm-boot`
`pmp_vtl_protect()` through `pmp_change_attrs()` (the planes' update, the
edges' split), on `snp-lazy-accept` the accepts (`pmp_planes_set()`,
`pmp_split_range()`), on `live-migration` the merge ticks, which promote
thousands of ranges and meet dirty-logged ones (elsewhere they are a small
share: a candidate a tick refused for a lasting reason is parked until
something there changes, docs/mmu.md). The engine (leaf model, oracle,
samples) costs 560-1,140, which on the short workloads includes the
start-up and the final `pmp_vm_check()` (2.3-2.9 M instructions for a
4 GiB VM: 190-260 an event on `tdx-boot` and `sev-boot`). So the target is
missed on every workload: the three together cost 1,900-2,800 instructions
an event (2,700-4,400 before), where 10 M events/s allows a few hundred.

| workload | events | instructions/event | parser | core | of which merge ticks | engine and the rest |
| --- | --- | --- | --- | --- | --- | --- |
TEXT
for w in $workloads; do
	"$replay" --workload "$w" --trace-out "$tmp/$w.trace" >/dev/null
	valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" \
		"$replay" -p recommended "$tmp/$w.trace" >/dev/null 2>"$tmp/vg" ||
		{ cat "$tmp/vg" >&2; exit 1; }
	events=$(grep -cv '^pmp-trace \|^#' "$tmp/$w.trace")
	python3 "$top/scripts/replay-profile.py" "$tmp/cg" "$events" "$w"
done
