#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# check-replay: pmp-replay as a user runs it.  The same input twice gives
# byte-identical table, JSON and SVG; a workload written as a trace and
# replayed from the file (and from stdin) gives the same table; recorded
# traces replay with nothing rejected; every built-in workload runs under
# pmp_vm_check(); bad policies, workloads and traces fail with the
# documented messages.  (The engine's invariants, the
# oracle bound and JSON syntax are in the Check suite, tests/unit/
# test_replay.c.)
#
# usage: tools/replay/check.sh PMP_REPLAY WORKDIR
set -eu
bin=${1:?usage: check.sh PMP_REPLAY WORKDIR}
dir=${2:?usage: check.sh PMP_REPLAY WORKDIR}
rm -rf "$dir"
mkdir -p "$dir"
fail() { echo "check-replay: FAIL: $*" >&2; exit 1; }

# Determinism: table, JSON and plot, twice.
for run in 1 2; do
	"$bin" --workload swiotlb --svg "$dir/plot$run.svg" > "$dir/table$run.txt"
	"$bin" --workload tdx-boot:rounds=2 --json --policy upstream,recommended,merge=scan \
		> "$dir/json$run.txt"
done
cmp "$dir/table1.txt" "$dir/table2.txt" || fail "table differs between two runs"
cmp "$dir/plot1.svg" "$dir/plot2.svg" || fail "plot differs between two runs"
cmp "$dir/json1.txt" "$dir/json2.txt" || fail "JSON differs between two runs"
grep -q '"label": "upstream"' "$dir/json1.txt" || fail "JSON lacks the first policy"
grep -q '"label": "recommended,merge=scan"' "$dir/json1.txt" || fail "JSON lacks policy 2"
grep -q '</svg>' "$dir/plot1.svg" || fail "plot is incomplete"
width=$(awk '{ if (length($0) > w) w = length($0) } END { print w }' "$dir/table1.txt")
[ "$width" -le 100 ] || fail "the table is $width columns wide"

# Round trip: workload -> trace file -> replay gives the same table.
for w in tdx-boot sev-boot punch-storm; do
	"$bin" --workload "$w" --trace-out "$dir/$w.trace" | tail -n +2 > "$dir/$w.mem"
	"$bin" "$dir/$w.trace" | tail -n +2 > "$dir/$w.file"
	"$bin" - < "$dir/$w.trace" | tail -n +2 > "$dir/$w.stdin"
	cmp "$dir/$w.mem" "$dir/$w.file" || fail "$w: the trace file replays differently"
	cmp "$dir/$w.mem" "$dir/$w.stdin" || fail "$w: stdin replays differently"
done

# Traces recorded on /dev/kvm (tests/data/): replayed with no event rejected.
for t in "$(dirname "$0")"/../../tests/data/*.trace.gz; do
	[ -f "$t" ] || continue
	gzip -dc "$t" | "$bin" - > "$dir/recorded.txt" 2> "$dir/recorded.err" ||
		fail "$t: $(cat "$dir/recorded.err")"
	[ -s "$dir/recorded.err" ] && fail "$t: $(cat "$dir/recorded.err")"
	grep -Eq '^events invalid +- +0 +0 +0$' "$dir/recorded.txt" || fail "$t: invalid events"
done

# Every workload under every preset, with pmp_vm_check() every 997 events.
for w in $("$bin" --list | sed -n 's/^\([a-z0-9-]*\): .*/\1/p'); do
	"$bin" --workload "$w" --check 997 > "$dir/checked.txt" 2> "$dir/checked.err" ||
		fail "$w: $(cat "$dir/checked.err")"
	[ -s "$dir/checked.err" ] && fail "$w: $(cat "$dir/checked.err")"
done

# Errors: exit status and message.
expect() { # status pattern command...
	want=$1 pattern=$2
	shift 2
	set +e
	"$@" > "$dir/out" 2> "$dir/err"
	got=$?
	set -e
	[ "$got" = "$want" ] || fail "$*: exit $got, expected $want"
	grep -q -- "$pattern" "$dir/err" || fail "$*: no '$pattern' in: $(cat "$dir/err")"
}
expect 2 'column 10: unknown key' "$bin" --policy upstream,merg=blocked --workload tdx-boot
expect 2 'column 1: unknown' "$bin" --policy nonsense --workload tdx-boot
expect 1 "no workload 'nope'" "$bin" --workload nope
expect 1 'tdx-boot has no parameter' "$bin" --workload tdx-boot:size=1
expect 1 'expected an integer in 1..64' "$bin" --workload tdx-boot:mem_gib=0
expect 2 'usage' "$bin"
printf 'pmp-trace 1\nvm type=tdx gfn_end=0x40000 vcpus=1 vtls=1\nfault gfn=0x10 level=3m slot=0\n' \
	> "$dir/bad.trace"
expect 1 "$dir/bad.trace:3:22: bad level" "$bin" "$dir/bad.trace"
expect 1 "<stdin>:3:22: bad level" sh -c "\"$bin\" - < \"$dir/bad.trace\""
printf 'pmp-trace 1\n' > "$dir/novm.trace"
expect 1 'novm.trace:2:1: missing vm line' "$bin" "$dir/novm.trace"
expect 1 'No such file' "$bin" "$dir/absent.trace"
gzip -c "$dir/novm.trace" > "$dir/novm.trace.gz"
expect 1 'novm.trace.gz:1:1: gzip-compressed' "$bin" "$dir/novm.trace.gz"
expect 1 "$dir:1:1: read error: Is a directory" "$bin" "$dir"
expect 2 '--check x: expected an integer' "$bin" --check x --workload swiotlb
# Output that cannot be written is an error with its message, not a silent status.
printf 'pmp-trace 1\nvm type=default gfn_end=0x40000 vcpus=1 vtls=1\nteardown\n' > "$dir/small.trace"
expect 1 '/dev/full: No space left on device' "$bin" --trace-out /dev/full "$dir/small.trace"
expect 1 'writing the table to stdout failed' sh -c "\"$bin\" \"$dir/small.trace\" > /dev/full"
# An event the core rejects, and one the replay cannot run, are named by FILE:LINE:COLUMN.
printf 'pmp-trace 1\nvm type=default gfn_end=0x40000 vcpus=1 vtls=1\n\nfault gfn=0x0 level=4k slot=3\n' \
	> "$dir/noslot.trace"
expect 0 'noslot.trace:4:1: under upstream, event 2 (fault) was rejected' "$bin" "$dir/noslot.trace"
printf 'pmp-trace 1\n# 5000 vCPUs: KVM has 4096\nvm type=default gfn_end=0x40000 vcpus=5000 vtls=1\n' \
	> "$dir/vcpus.trace"
expect 1 'vcpus.trace:3:1: the VM' "$bin" "$dir/vcpus.trace"
"$bin" --list > "$dir/list" || fail "--list"
grep -q '^punch-storm:' "$dir/list" || fail "--list lacks punch-storm"
echo "check-replay: determinism, round trips, recorded traces, every workload under pmp_vm_check, error paths: ok"
