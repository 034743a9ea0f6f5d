#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# pmp-trace on real KVM: each run of the mini VMM is recorded twice at
# once, by `pmp-trace record` (BPF, ring buffer) and by a tracefs instance,
# whose text `pmp-trace import` converts.  Both must give the same
# tracepoint record counts and the same events per type; with the
# recording's memslot layout the import must give the very same events
# (times aside).  A private-memory run's recording must carry its memslots,
# attribute changes (convert) and guest_memfd punches, with no event lost.
# Runs:
#  - in the 6.12 rig's L1 guest (tests/rig: nested KVM with SW-protected
#    VMs under QEMU TCG) wherever the rig's packages are installed: the
#    private-memory modes (tests/trace/rig-record.sh, scripts/rig-trace-run.sh);
#  - on the host's /dev/kvm as well, where there is one (root, tracefs).
# The committed traces in tests/data/ must parse, and a hand-made tracefs
# text (every mapped event, both column layouts) must import to the
# expected trace, whatever the host.  SKIPs, saying why, only where neither
# the rig nor the host can record.
#
# usage: scripts/check-trace.sh BUILD_DIR RIG_OUT RIG_MINI_VMM
set -eu
usage="usage: check-trace.sh BUILD_DIR RIG_OUT RIG_MINI_VMM"
b=${1:?$usage}
rig_out=${2:?$usage}
rig_vmm=${3:?$usage}
top=$(cd "$(dirname "$0")/.." && pwd)
tool="$b/tools/pmp-trace"
vmm="$b/examples/pmp-mini-vmm"
out="$b/check-trace"
fail() { echo "check-trace: FAIL: $*" >&2; exit 1; }
mkdir -p "$out"
t0=$(date +%s)
ran=""

# The importer reads tracefs text exactly as expected, on any host.
"$tool" import --allow-drops --tgid 100 -o "$out/sample.trace" tests/data/tracefs-sample.txt ||
	fail "import of tests/data/tracefs-sample.txt"
grep -v '^# SPDX' tests/data/tracefs-sample.trace | diff - "$out/sample.trace" >&2 ||
	fail "import of tests/data/tracefs-sample.txt differs from tracefs-sample.trace"
echo "check-trace: tests/data/tracefs-sample.txt imports as expected"

# The stored real traces parse, on any host.
for f in tests/data/*.trace.gz; do
	[ -e "$f" ] || continue
	gzip -dc "$f" | "$tool" stats - > "$out/data.stats" || fail "$f does not parse"
	echo "check-trace: $f: $(grep -E '^(fault|spte|convert|punch|zap) ' "$out/data.stats" | tr '\n' ' ')"
done

# A committed real capture, on any host: one private-memory run of the mini
# VMM in the 6.12 rig, recorded at once by `pmp-trace record` and by tracefs
# (tests/data/rig-capture/, from check-trace's own rig run): the tracefs
# text imports to the recording's events, with no hand-written layout.
cap="$out/capture"
rm -rf "$cap" && mkdir -p "$cap"
cp tests/data/rig-capture/1.args tests/data/rig-capture/1.pid "$cap/"
gzip -dc tests/data/rig-capture/1.rec.trace.gz > "$cap/1.rec.trace"
gzip -dc tests/data/rig-capture/1.tracefs.txt.gz > "$cap/1.tracefs.txt"
"$top/scripts/trace-agree.sh" "$tool" "$cap" 1 || fail "the committed rig capture"

# The host's /dev/kvm, where there is one.
why=""
tr=/sys/kernel/tracing
if [ ! -c /dev/kvm ]; then
	why="no /dev/kvm"
elif [ "$(id -u)" -ne 0 ]; then
	why="not root (BPF and tracefs need root)"
else
	if [ ! -d "$tr/events" ] && grep -qw tracefs /proc/filesystems; then
		mount -t tracefs nodev "$tr" 2>/dev/null || true
	fi
	[ -d "$tr/events/kvmmmu" ] || why="no tracefs with kvmmmu events"
fi
if [ -z "$why" ]; then
	d="$out/host"
	mkdir -p "$d"
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
	echo "--backing gmem" > "$d/1.args"
	"$tool" record -o "$d/1.rec.trace" -- \
		sh -c 'echo $$ > "$0"; exec "$1" --backing gmem' "$d/1.pid" "$vmm" \
		> "$d/vmm.log" 2> "$d/record.log" || { cat "$d/record.log" >&2; fail "record"; }
	echo 0 > "$inst/tracing_on"
	cat "$d/record.log"
	cp "$inst/trace" "$d/1.tracefs.txt"
	lost=$(cat "$inst"/per_cpu/cpu*/stats | awk '/^(overrun|dropped events):/ {n += $NF} END {print n + 0}')
	[ "$lost" -eq 0 ] || fail "tracefs overran its buffer ($lost events): not comparable"
	"$top/scripts/trace-agree.sh" "$tool" "$d" 1
	ran="$ran host"
else
	echo "check-trace: not on the host: $why"
fi

# The 6.12 rig: the private-memory modes, where its packages are installed.
if "$top/tests/rig/rig.sh" kver > /dev/null 2>&1 && command -v qemu-system-x86_64 > /dev/null; then
	echo "== check-trace in the 6.12 rig ($("$top/tests/rig/rig.sh" kver) under QEMU TCG, nested KVM)"
	d="$out/rig"
	mkdir -p "$d"
	# The runs whose recordings tests/data/ holds (make record-rig-trace).
	cut -d' ' -f2- tests/trace/rig-runs > "$d/runs"
	"$top/scripts/rig-trace-run.sh" "$rig_out" "check-trace-$(basename "$b")" "$tool" "$rig_vmm" \
		"$d/runs" "$d" || fail "the rig's run (above)"
	n=0
	while read -r _; do
		n=$((n + 1))
		"$top/scripts/trace-agree.sh" "$tool" "$d" $n
	done < "$d/runs"
	ran="$ran rig"
else
	why="$why; no 6.12 rig (scripts/deps.sh rig installs Debian's 6.12 image, headers, source and QEMU)"
fi

[ -n "$ran" ] || { echo "check-trace: SKIP: $why"; exit 0; }
echo "check-trace: OK (${ran# }) in $(($(date +%s) - t0)) s"
