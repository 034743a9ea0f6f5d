#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# One mini VMM run recorded twice at once: `pmp-trace record`'s recording
# (DIR/N.rec.trace) against the import of the tracefs text of the same run
# (DIR/N.tracefs.txt), the mini VMM's pid in DIR/N.pid and its arguments in
# DIR/N.args.  The same tracepoint hits kind by kind, the same events with
# the recording's memslots (times aside), no event lost, and for a
# private-memory run memslots, attribute changes and guest_memfd punches in
# the recording.  Used by scripts/check-trace.sh and record-rig-trace.sh.
#
# usage: scripts/trace-agree.sh PMP_TRACE DIR N
set -eu
usage="usage: trace-agree.sh PMP_TRACE DIR N"
tool=${1:?$usage}
d=${2:?$usage}
n=${3:?$usage}
fail() { echo "trace-agree: FAIL: $*" >&2; exit 1; }
p="$d/$n"
what="$(basename "$d") run $n (pmp-mini-vmm $(cat "$p.args"))"
pid=$(cat "$p.pid")
# (its drop report, the unplaced unmaps, is expected: no memslots in tracefs)
"$tool" import --allow-drops --tgid "$pid" -o "$p.imp.trace" "$p.tracefs.txt" 2> "$p.imp.err"
"$tool" import --tgid "$pid" --layout "$p.rec.trace" --clock mono -o "$p.imp-layout.trace" \
	"$p.tracefs.txt"
for t in rec imp imp-layout; do
	"$tool" stats "$p.$t.trace" | grep -v '^#' > "$p.$t.stats"
done
# 1. The same tracepoint hits, kind by kind (the importer sees no syscalls).
records() { sed -n 's/^# pmp-trace: records //p' "$1" | tr ' ' '\n' | grep '^kvm_'; }
records "$p.rec.trace" > "$p.rec.records"
records "$p.imp.trace" > "$p.imp.records"
cmp -s "$p.rec.records" "$p.imp.records" ||
	{ diff "$p.rec.records" "$p.imp.records" >&2; fail "$what: tracepoint counts differ"; }
# 2. The same events per type, given the same memslots (the import sees
# no syscalls: the recording's convert and punch events aside) ...
syscall_events='^(convert|punch) '
grep -Ev "$syscall_events" "$p.rec.stats" > "$p.rec.kvm-stats"
grep -Ev "$syscall_events" "$p.imp-layout.stats" > "$p.imp-layout.kvm-stats"
cmp -s "$p.rec.kvm-stats" "$p.imp-layout.kvm-stats" ||
	{ diff "$p.rec.kvm-stats" "$p.imp-layout.kvm-stats" >&2; fail "$what: event counts differ"; }
# ... and the same events themselves, times aside, and the private flag
# aside: the recording takes it from the attribute changes, which tracefs
# does not see (a SW-protected VM's error code has no private bit).
events() {
	grep -v '^#' "$1" | grep -Ev "$syscall_events" |
		sed -e 's/ t=[0-9]*$//' -e 's/|private//' -e 's/ flags=private//' | sort
}
events "$p.rec.trace" > "$p.rec.sorted"
events "$p.imp-layout.trace" > "$p.imp-layout.sorted"
cmp -s "$p.rec.sorted" "$p.imp-layout.sorted" ||
	{ diff "$p.rec.sorted" "$p.imp-layout.sorted" | head >&2; fail "$what: events differ"; }
# 3. Without a layout the importer still gets every fault and SPTE.
for t in fault spte; do
	[ "$(grep "^$t " "$p.rec.stats")" = "$(grep "^$t " "$p.imp.stats")" ] ||
		fail "$what: $t count differs without --layout"
done
count() { sed -n "s/^$1 //p" "$p.rec.stats"; }
[ "$(count fault)" -ge 1000 ] || fail "$what: only $(count fault) faults: the guest did not fault real SPTEs"
grep -qx '# pmp-trace: lost=0' "$p.rec.trace" || fail "$what: the recording lost events"
# 4. A private-memory run: the recording alone carries the layout and
# the conversions (issue 18: no hand-made layout).
case " $(cat "$p.args") " in *" --backing private"*)
	for k in slot-add convert punch; do
		[ "$(count "$k")" -ge 1 ] || fail "$what: the recording has no $k event"
	done
	grep -Eq '^fault .*flags=([a-z]*\|)*private' "$p.rec.trace" ||
		fail "$what: the recording has no private fault" ;;
esac
echo "trace-agree: OK: $what: recorder = tracefs import, lost 0: $(grep -vE ' 0$' "$p.rec.stats" | tr '\n' ' ')"
