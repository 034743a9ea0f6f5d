#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The tools as a KVM engineer meets them (issue 18 items 1-8, issue 19 #5):
# --help on stdout with exit 0, --version, usage errors on stderr with exit
# 2, gzip input, several inputs, outputs checked before any work; and the
# importer faithful or failing loudly (drops, lost events, empty input,
# --tgid without the column, timestamps past 64 bits, a failed import
# leaving no trace), on the committed tracefs capture and synthetic text.
# The plot and heatmap: scripts/check-pictures.sh.
#
# usage: scripts/check-tools-cli.sh BUILD_DIR VERSION
set -eu
b=${1:?usage: check-tools-cli.sh BUILD_DIR VERSION}
version=${2:?usage: check-tools-cli.sh BUILD_DIR VERSION}
top=$(cd "$(dirname "$0")/.." && pwd)
b=$(cd "$b" && pwd)
trace="$b/tools/pmp-trace" replay="$b/tools/pmp-replay" demo="$b/tools/pmp-demo"
vmm="$b/examples/pmp-mini-vmm"
work="$b/tools-cli"
rm -rf "$work"
mkdir -p "$work"
cd "$work"
fail() { echo "check-tools-cli: FAIL: $*" >&2; exit 1; }
# run STATUS COMMAND...: its stdout in out, stderr in err
run() {
	want=$1
	shift
	set +e
	"$@" > out 2> err
	got=$?
	set -e
	[ "$got" = "$want" ] || fail "$*: exit $got, expected $want; stderr: $(cat err)"
}
has() { grep -q -- "$2" "$1" || fail "no '$2' in $1: $(cat "$1")"; }

# --- 4, 5: --help, --version, usage errors, for every tool and subcommand ---
for cmd in "$trace" "$trace import" "$trace record" "$trace stats" "$replay" "$demo" "$vmm"; do
	# shellcheck disable=SC2086
	run 0 $cmd --help
	[ -s out ] && [ ! -s err ] || fail "$cmd --help: usage must go to stdout only"
	has out usage
	# shellcheck disable=SC2086
	run 0 $cmd --version
	has out "^pmp-[a-z-]* $version\$"
	# shellcheck disable=SC2086
	run 2 $cmd --bogus-option
	[ ! -s out ] && [ -s err ] || fail "$cmd --bogus-option: the error goes to stderr only"
done
run 0 "$trace" -h
run 2 "$trace"
run 2 "$trace" nonsense
[ ! -e ./--help ] && [ ! -e results.json ] || fail "pmp-demo --help wrote files"
# pmp-mini-vmm validates its policy before /dev/kvm (issue 18 item 7)
run 2 "$vmm" --policy bogus
has err "policy bogus: column 1"
grep -q /dev/kvm err && fail "pmp-mini-vmm opened /dev/kvm before validating --policy"
# outputs before work: pmp-demo's directory, pmp-trace's -o
run 1 "$demo" /nonexistent/dir
[ ! -s out ] || fail "pmp-demo ran the workloads before finding its directory unusable"
sample="$top/tests/data/tracefs-sample.txt"
run 1 "$trace" import --allow-drops --tgid 100 -o /nonexistent/x.trace "$sample"
has err "/nonexistent/x.trace"

# --- 1: the committed capture, and drops fail loudly ---
run 1 "$trace" import --tgid 100 -o drop.trace "$sample"
has err "1 host unmaps .* not placed: tracefs text has no memslots"
has err "give --layout TRACE"
has err "not written (--allow-drops writes it anyway)"
[ ! -e drop.trace ] || fail "an import with drops left drop.trace"
ls drop.trace.tmp* > /dev/null 2>&1 && fail "an import left its temporary file"
run 0 "$trace" import --allow-drops --tgid 100 -o ok.trace "$sample"
has ok.trace "unplaced-unmaps=1 .*(THIS TRACE IS NOT FAITHFUL)"
# a failed import leaves an existing output as it was, and writes no new one
echo "previous" > keep.trace
printf 'garbage\n' > bad.txt
run 1 "$trace" import -o keep.trace bad.txt
[ "$(cat keep.trace)" = previous ] || fail "a failed import overwrote keep.trace"

# a layout: faults outside it, SPTEs it cannot hold (misaligned), zaps past its end
task="     qemu-101     (    100) [001] ...1.  50.000002:"
{
	echo "$task kvm_mmu_spte_requested: gfn 1234 pfn 5678 level 2"
	echo "$task kvm_mmu_set_spte: gfn 1200 spte 8 (rwxu) level 2 at 1"
	echo "$task kvm_mmu_spte_requested: gfn 90000 pfn 5678 level 1"
	echo "$task kvm_mmu_prepare_zap_page: sp gen 0 gfn 8000000 l4 8-byte q0 direct wux !nxe !ad root 0 sync"
	echo "$task kvm_mmu_prepare_zap_page: sp gen 0 gfn 0 l4 8-byte q0 direct wux !nxe !ad root 0 sync"
} > layout.txt
printf 'pmp-trace 1\nvm type=default gfn_end=0x40000 vcpus=1 vtls=1\nslot-add slot=0 gfn=0x0 npages=0x40000 uaddr=0x7f0000001000\n' > misaligned.layout
run 1 "$trace" import --layout misaligned.layout -o l.trace layout.txt
has err "1 faults outside every memslot of the layout"
has err "1 SPTEs the layout cannot hold"
has err "1 zaps of direct shadow pages past the layout's gfn_end"
run 0 "$trace" import --allow-drops --layout misaligned.layout -o l.trace layout.txt
has l.trace "drops: unplaced-unmaps=0 unplaced-faults=1 layout-contradictions=1 zaps-past-gfn_end=1"
# the level-4 zap at gfn 0 is a zap of the whole VM, not a drop
has l.trace "^zap gfn=0x0 npages=0x40000 reason=recycle"

# --- 2, 3: gzip, several inputs in order ---
gzip -c "$sample" > sample.txt.gz
run 0 "$trace" import --allow-drops --tgid 100 -o gz.trace sample.txt.gz
cmp -s ok.trace gz.trace || fail "the gzip capture imports differently"
head -n 17 "$sample" > part1.txt
tail -n +18 "$sample" | gzip -c > part2.txt.gz
run 0 "$trace" import --allow-drops --tgid 100 -o parts.trace part1.txt part2.txt.gz
cmp -s ok.trace parts.trace || fail "two inputs are not the capture in order"
gzip -c ok.trace > ok.trace.gz
run 0 "$trace" stats ok.trace.gz
has out "^fault 2$"
head -c 300 ok.trace.gz > cut.gz	# a gzip stream cut short is a read error, not an end
run 1 "$trace" stats cut.gz
has err "read error"

# --- 6: --tgid without the column, --clock, empty input ---
sed 's/(    100) //; s/(      7) //' "$sample" > notgid.txt
run 1 "$trace" import --tgid 5 notgid.txt
[ "$(wc -l < err)" -eq 1 ] || fail "--tgid without the column: want one error, got: $(cat err)"
has err "no tgid column: capture it with .echo 1 > options/record-tgid."
run 2 "$trace" import --layout ok.trace --clock bogus "$sample"
has err "--clock bogus: not a tracefs trace_clock"
: > empty.txt
run 1 "$trace" import -o empty.trace empty.txt
has err "no KVM MMU events in the input"
[ ! -e empty.trace ] || fail "an empty input imported to a trace"
run 1 "$trace" import --tgid 999 -o empty.trace "$sample"
has err "no KVM MMU events in the input for this --tgid"

# --- issue 19 #5: timestamps past 64-bit nanoseconds are refused, not wrapped ---
echo "     qemu-101     (    100) [001] ...1.  99999999999999999999.000002: kvm_mmu_spte_requested: gfn 1234 pfn 5678 level 2" > overflow.txt
run 1 "$trace" import -o o.trace overflow.txt
has err "overflow.txt:1:.*bad timestamp"
[ ! -e o.trace ] || fail "an import with a bad timestamp wrote a trace"
echo "     qemu-101     (    100) [001] ...1.  18446744073.709551615: kvm_mmu_spte_requested: gfn 1234 pfn 5678 level 2" > max.txt
run 0 "$trace" import -o max.trace max.txt

# --- 7: lost events mark the trace; pmp-replay refuses it unless allowed ---
{ cat "$sample"; echo "CPU:1 [LOST 5 EVENTS]"; } > lost.txt
run 3 "$trace" import --allow-drops --tgid 100 -o lost.trace lost.txt
has err "INCOMPLETE"
has lost.trace "lost=5 (THIS TRACE IS INCOMPLETE)"
run 1 "$replay" lost.trace
has err "THE TRACE IS INCOMPLETE"
run 0 "$replay" --allow-incomplete lost.trace

echo "check-tools-cli: OK: --help/--version/usage of 7 commands, drops, gzip, several inputs, --tgid, --clock, empty input, timestamps, lost events"
