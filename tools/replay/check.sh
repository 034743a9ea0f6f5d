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
	[ -z "$pattern" ] || grep -q -- "$pattern" "$dir/err" || fail "$*: no '$pattern' in: $(cat "$dir/err")"
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
# gzip input is read as the trace it holds (issue 18 item 2)
gzip -c "$dir/novm.trace" > "$dir/novm.trace.gz"
expect 1 'novm.trace.gz:2:1: missing vm line' "$bin" "$dir/novm.trace.gz"
for t in "$(dirname "$0")"/../../tests/data/*.trace.gz; do
	[ -f "$t" ] || continue
	"$bin" "$t" | tail -n +2 > "$dir/gz.txt" || fail "$t: gzip input"
	gzip -dc "$t" | "$bin" - | tail -n +2 | cmp -s - "$dir/gz.txt" || fail "$t: gzip input differs"
done
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
expect 1 'vcpus.trace:3:39: vcpus out of range (1 to 4096)' "$bin" "$dir/vcpus.trace"
# issue 19: a 5-line trace of 2^32 frames was 2.4 GB of growth before a misleading
# error; 2^33 frames (32 TiB) are past the core's default pool (a block per
# 2 MiB and 1/16 since issue 16 #4), refused by its geometry
printf 'pmp-trace 1\nvm type=default gfn_end=0x200000000 vcpus=1 vtls=1\nslot-add slot=0 gfn=0x0 npages=0x200000000 uaddr=0x0\nfault gfn=0x0 level=2m slot=0\nteardown\n' \
	> "$dir/huge33.trace"
expect 1 "huge33.trace:2:1: the VM (gfn_end=0x200000000, type 0, 1 vCPUs, 1 VTLs) is refused by the core's pmp_vm_bound(): out of the tracked range (its default tracking pool would pass 2^24-1 blocks)" \
	"$bin" "$dir/huge33.trace"
printf 'pmp-trace 1\nvm type=default gfn_end=0x8000000 vcpus=1 vtls=1\nslot-add slot=0 gfn=0x0 npages=0x8000000 uaddr=0x0\nfault gfn=0x0 level=2m slot=0\nteardown\n' \
	> "$dir/huge.trace"
expect 1 'huge.trace:2:1: the VM (gfn_end=0x8000000: 524288 MiB of guest physical space) needs' \
	"$bin" --max-memory 64 "$dir/huge.trace"
expect 1 'above the limit of 64 MiB (--max-memory MIB)' "$bin" --max-memory 64 "$dir/huge.trace"
# outputs are checked before any work (issue 18 item 7)
expect 1 '/nonexistent/x.svg: No such file or directory' "$bin" --svg /nonexistent/x.svg "$dir/huge.trace"
expect 1 '/nonexistent/h.svg: No such file' "$bin" --heatmap /nonexistent/h.svg "$dir/small.trace"
expect 1 '/nonexistent/x.csv: No such file' "$bin" --csv /nonexistent/x.csv "$dir/small.trace"
# raw tracefs text: the hint to import it first
expect 1 'convert it first with pmp-trace import' "$bin" "$(dirname "$0")/../../tests/data/tracefs-sample.txt"
# an incomplete trace (its recorder lost events) fails unless --allow-incomplete
sed 's/^# pmp-trace: lost=0$/# pmp-trace: lost=7 (THIS TRACE IS INCOMPLETE)/' \
	"$(dirname "$0")/../../tests/data/tracefs-sample.trace" > "$dir/lost.trace"
grep -q 'lost=7' "$dir/lost.trace" || fail "no lost= line to mark"
expect 1 'THE TRACE IS INCOMPLETE' "$bin" "$dir/lost.trace"
expect 0 'THE TRACE IS INCOMPLETE' "$bin" --allow-incomplete "$dir/lost.trace"
expect 0 '' "$bin" "$(dirname "$0")/../../tests/data/tracefs-sample.trace"
grep -q INCOMPLETE "$dir/err" && fail "a complete trace was called incomplete"
# one trace per replay; several are refused, not half-read
expect 2 'one trace per replay' "$bin" "$dir/small.trace" "$dir/small.trace"
# CSV beside JSON: the same figures
"$bin" --workload tdx-boot --json --csv "$dir/t.csv" > "$dir/t.json" || fail "--csv"
[ "$(wc -l < "$dir/t.csv")" -eq 5 ] || fail "--csv: want a header, 3 policies and the oracle"
head -1 "$dir/t.csv" | grep -q '^input,label,policy,coverage_end_bp,' || fail "--csv header"
faults=$(sed -n 2p "$dir/t.csv" | awk -F'",' '{print $NF}' | cut -d, -f4)
grep -q "\"faults_4k\": $faults," "$dir/t.json" || fail "--csv and --json disagree on faults_4k"
# --diff: two policies, and two traces
"$bin" --workload tdx-boot --policy upstream --json > "$dir/a.json"
"$bin" --workload tdx-boot --policy upstream,merge=fault --json > "$dir/b.json"
expect 1 '' "$bin" --diff "$dir/a.json" "$dir/b.json"
grep -q 'policies paired in order' "$dir/out" || fail "--diff: pairing"
# merge=fault never scans: scan work goes to 0, whatever the workload's numbers
grep -Eq '^  scan_work +[1-9][0-9]* +0 +-[1-9][0-9]* +-100.00%$' "$dir/out" ||
	fail "--diff: scan_work row: $(cat "$dir/out")"
expect 0 '' "$bin" --diff "$dir/a.json" "$dir/a.json"
grep -q '(0 metrics changed' "$dir/out" || fail "--diff of a run with itself"
expect 2 'not the JSON of one pmp-replay --json run' "$bin" --diff "$dir/a.json" "$dir/t.csv"
expect 2 '--diff A.json B.json' "$bin" --diff "$dir/a.json"
"$bin" --list > "$dir/list" || fail "--list"
grep -q '^punch-storm:' "$dir/list" || fail "--list lacks punch-storm"
echo "check-replay: determinism, round trips, recorded traces, every workload under pmp_vm_check, error paths: ok"
