#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Record the real private-memory traces of tests/data/ in the 6.12 rig
# (tests/rig): `pmp-trace record` of the mini VMM in the L1 guest, with a
# tracefs capture of the same run that must agree with it
# (scripts/trace-agree.sh, as in check-trace).  The recording itself is
# committed: it carries the memslots, attribute changes and guest_memfd
# punches from the syscalls, so it replays with no hand-made layout.
#
# usage: scripts/record-rig-trace.sh RIG_OUT MINI_VMM PMP_TRACE DATA_DIR
set -eu
usage="usage: record-rig-trace.sh RIG_OUT MINI_VMM PMP_TRACE DATA_DIR"
rig_out=${1:?$usage}
vmm=${2:?$usage}
tool=${3:?$usage}
data=${4:?$usage}
top=$(cd "$(dirname "$0")/.." && pwd)
work="$rig_out/record-rig-trace.work"
mkdir -p "$work"
# tests/trace/rig-runs: line N is the file name, then the mini VMM's arguments.
cut -d' ' -f2- "$top/tests/trace/rig-runs" > "$work/runs"
"$top/scripts/rig-trace-run.sh" "$rig_out" record-rig-trace "$tool" "$vmm" "$work/runs" "$work"
kver=$("$top/tests/rig/rig.sh" kver)
n=0
while read -r name args; do
	n=$((n + 1))
	"$top/scripts/trace-agree.sh" "$tool" "$work" $n
	{
		head -n 1 "$work/$n.rec.trace"
		echo "# recorded in the 6.12 rig ($kver, QEMU TCG, nested KVM) by"
		echo "#   pmp-trace record -- pmp-mini-vmm $args"
		echo "# (make record-rig-trace); a tracefs capture of the same run agreed with it"
		tail -n +2 "$work/$n.rec.trace"
	} | gzip -9n > "$data/$name.trace.gz"
	echo "record-rig-trace: $data/$name.trace.gz ($(wc -c < "$data/$name.trace.gz") bytes)"
done < "$top/tests/trace/rig-runs"
