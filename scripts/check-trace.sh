#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# pmp-trace on real KVM: one run of the mini VMM is recorded twice at once,
# by `pmp-trace record` (BPF, ring buffer) and by a tracefs instance, whose
# text `pmp-trace import` converts.  Both must give the same tracepoint
# record counts and the same events per type; with the recording's memslot
# layout the import must give the very same events (times aside).  The
# committed trace in tests/data/ must parse, and a hand-made tracefs text
# (every mapped event, both column layouts) must import to the expected
# trace, whatever the host.
#
# SKIPs, saying why, only without /dev/kvm, without tracefs, or not as root
# (BPF and tracefs need it).
#
# usage: scripts/check-trace.sh BUILD_DIR
set -eu
b=${1:?usage: check-trace.sh BUILD_DIR}
tool="$b/tools/pmp-trace"
vmm="$b/examples/pmp-mini-vmm"
out="$b/check-trace"
fail() { echo "check-trace: FAIL: $*" >&2; exit 1; }
mkdir -p "$out"

# The importer reads tracefs text exactly as expected, on any host.
"$tool" import --allow-drops --tgid 100 -o "$out/sample.trace" tests/data/tracefs-sample.txt ||
	fail "import of tests/data/tracefs-sample.txt"
grep -v '^# SPDX' tests/data/tracefs-sample.trace | diff - "$out/sample.trace" >&2 ||
	fail "import of tests/data/tracefs-sample.txt differs from tracefs-sample.trace"
echo "check-trace: tests/data/tracefs-sample.txt imports as expected"

# The stored real trace parses, on any host.
for f in tests/data/*.trace.gz; do
	[ -e "$f" ] || continue
	gzip -dc "$f" | "$tool" stats - > "$out/data.stats" || fail "$f does not parse"
	echo "check-trace: $f: $(grep -E '^(fault|spte|zap) ' "$out/data.stats" | tr '\n' ' ')"
done

[ -c /dev/kvm ] || { echo "check-trace: SKIP: no /dev/kvm"; exit 0; }
[ "$(id -u)" -eq 0 ] || { echo "check-trace: SKIP: not root (BPF and tracefs need root)"; exit 0; }
tr=/sys/kernel/tracing
if [ ! -d "$tr/events" ] && grep -qw tracefs /proc/filesystems; then
	mount -t tracefs nodev "$tr" 2>/dev/null || true
fi
[ -d "$tr/events/kvmmmu" ] || { echo "check-trace: SKIP: no tracefs with kvmmmu events"; exit 0; }

# A tracefs instance of our own: other users of the global buffer are left alone.
inst="$tr/instances/pmp-check-trace-$$"
mkdir "$inst"
trap 'echo 0 > "$inst/tracing_on" 2>/dev/null; rmdir "$inst" 2>/dev/null || true' EXIT
echo 0 > "$inst/tracing_on"
echo 65536 > "$inst/buffer_size_kb"
# The recorder times with bpf_ktime_get_ns(): the same clock lines the two up.
echo mono > "$inst/trace_clock"
echo 1 > "$inst/options/record-tgid"
for e in kvmmmu/kvm_mmu_spte_requested kvmmmu/kvm_mmu_set_spte kvmmmu/kvm_mmu_prepare_zap_page \
	kvmmmu/kvm_mmu_zap_all_fast kvm/kvm_unmap_hva_range kvm/kvm_page_fault; do
	echo 1 > "$inst/events/$e/enable"
done
echo 1 > "$inst/tracing_on"

# The command reports its pid (= tgid: exec keeps it) for the importer's filter.
rm -f "$out/pid"
"$tool" record -o "$out/rec.trace" -- \
	sh -c 'echo $$ > "$0"; exec "$1" --backing gmem' "$out/pid" "$vmm" \
	> "$out/vmm.log" 2> "$out/record.log" || { cat "$out/record.log" >&2; fail "record"; }
echo 0 > "$inst/tracing_on"
cat "$out/record.log"
cp "$inst/trace" "$out/tracefs.txt"
lost=$(cat "$inst"/per_cpu/cpu*/stats | awk '/^(overrun|dropped events):/ {n += $NF} END {print n + 0}')
[ "$lost" -eq 0 ] || fail "tracefs overran its buffer ($lost events): not comparable"
pid=$(cat "$out/pid")

"$tool" import --allow-drops --tgid "$pid" -o "$out/imp.trace" "$out/tracefs.txt"
"$tool" import --tgid "$pid" --layout "$out/rec.trace" --clock mono -o "$out/imp-layout.trace" "$out/tracefs.txt"
for t in rec imp imp-layout; do
	"$tool" stats "$out/$t.trace" | grep -v '^#' > "$out/$t.stats"
done

# 1. The same tracepoint hits, kind by kind (the importer sees no ioctls).
records() { sed -n 's/^# pmp-trace: records //p' "$1" | tr ' ' '\n' | grep '^kvm_'; }
records "$out/rec.trace" > "$out/rec.records"
records "$out/imp.trace" > "$out/imp.records"
cmp -s "$out/rec.records" "$out/imp.records" ||
	{ diff "$out/rec.records" "$out/imp.records" >&2; fail "tracepoint counts differ"; }

# 2. The same events per type, given the same memslots ...
cmp -s "$out/rec.stats" "$out/imp-layout.stats" ||
	{ diff "$out/rec.stats" "$out/imp-layout.stats" >&2; fail "event counts differ"; }
# ... and the same events themselves, times aside.
events() { grep -v '^#' "$1" | sed 's/ t=[0-9]*$//' | sort; }
events "$out/rec.trace" > "$out/rec.sorted"
events "$out/imp-layout.trace" > "$out/imp-layout.sorted"
cmp -s "$out/rec.sorted" "$out/imp-layout.sorted" ||
	{ diff "$out/rec.sorted" "$out/imp-layout.sorted" | head >&2; fail "events differ"; }
# 3. Without a layout the importer still gets every fault and SPTE.
for t in fault spte; do
	[ "$(grep "^$t " "$out/rec.stats")" = "$(grep "^$t " "$out/imp.stats")" ] ||
		fail "$t count differs without --layout"
done

faults=$(sed -n 's/^fault //p' "$out/rec.stats")
[ "$faults" -ge 1000 ] || fail "only $faults faults: the guest did not fault real SPTEs"
echo "check-trace: OK: recorder = tracefs import: $(grep -vE ' 0$' "$out/rec.stats" | tr '\n' ' ')"
