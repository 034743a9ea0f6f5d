#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Record a real trace of the mini VMM in the 6.12 rig (tests/rig): tracefs
# in the L1 guest (tests/kvm/rig-trace.sh), the text brought out through
# the console, `pmp-trace import` on the host with the mini VMM's tgid.
#
# Why tracefs and not `pmp-trace record`: its BPF programs do not load on
# 6.12 (the verifier types tp_btf arguments as trusted_ptr_or_null and
# refuses the pointer arithmetic before a NULL check), see docs/vmm.md.
# Neither path sees KVM_SET_MEMORY_ATTRIBUTES or guest_memfd fallocate
# yet: the trace has the faults, SPTEs and zaps, not the conversions.
#
# usage: scripts/record-rig-trace.sh RIG_OUT MINI_VMM PMP_TRACE OUT.trace.gz -- MINI_VMM_ARGS...
set -eu
usage="usage: record-rig-trace.sh RIG_OUT MINI_VMM PMP_TRACE OUT.trace.gz -- MINI_VMM_ARGS..."
rig_out=${1:?$usage}
vmm=${2:?$usage}
tool=${3:?$usage}
out=${4:?$usage}
shift 4
[ "${1:-}" = "--" ] && shift
top=$(cd "$(dirname "$0")/.." && pwd)
work="$rig_out/trace.work"
mkdir -p "$work"
echo "$*" > "$work/args"
"$top/tests/rig/rig.sh" run "$rig_out" trace --bin "$vmm" --file "$work/args:/rig/args" \
	--init "$top/tests/kvm/rig-trace.sh" --no-skip
log="$rig_out/trace/console.log"
tgid=$(tr -d '\r' < "$log" | sed -n 's/^RIG-TRACE-TGID \([0-9]*\)$/\1/p')
tr -d '\r' < "$log" | sed -n '/^==== trace$/,/^==== end$/p' | sed '1d;$d' | base64 -d |
	gzip -dc > "$work/tracefs.txt"
"$tool" import --tgid "$tgid" -o "$work/imported.trace" "$work/tracefs.txt"
{
	head -n 1 "$work/imported.trace"
	echo "# recorded in the 6.12 rig ($("$top/tests/rig/rig.sh" kver), QEMU TCG, nested KVM):"
	echo "#   pmp-mini-vmm $*"
	echo "# tracefs events kvmmmu/* and kvm/kvm_page_fault, kvm/kvm_unmap_hva_range; no"
	echo "# attribute changes or guest_memfd punches (scripts/record-rig-trace.sh)"
	tail -n +2 "$work/imported.trace"
} | gzip -9n > "$out"
"$tool" stats "$work/imported.trace"
echo "record-rig-trace: $out"
