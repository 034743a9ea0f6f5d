#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# make check-kernel: the real-system test of pmem_policy.ko on KVM 6.12,
# on the 6.12 rig (tests/rig/rig.sh, which builds KVM out of tree from
# linux-source-6.12 with SW-protected VMs and boots Debian's 6.12 image
# under QEMU TCG).
#
#  1. checkpatch --strict on kshim/ and on kshim/patches/linux-6.12/;
#  2. the rig builds kvm.ko/kvm-amd.ko with the series applied (patch -p1;
#     a patch that does not apply fails here); the module's copy of
#     kvm_mmu_policy.h must equal the series';
#  3. build pmem_policy.ko and the static test VMM;
#  4. boot: tests/kernel/init runs the scenarios in the L1 guest;
#  5. check the console: the rig's verdict (no kernel warning, RIG-DONE),
#     the selftest's KTAP, every scenario's PMP-END with 0 failures, no
#     PMP-FAIL.
#
# usage: tests/kernel/run.sh OUTDIR RIGDIR   (scripts/deps.sh kshim rig kernel)
set -eu
out=${1:-build/kshim}
rigout=${2:-build/rig}
top=$(cd "$(dirname "$0")/../.." && pwd)
rig=$top/tests/rig/rig.sh
series=$top/kshim/patches/linux-6.12
mkdir -p "$out" "$rigout"
out=$(cd "$out" && pwd)
rigout=$(cd "$rigout" && pwd)
t0=$(date +%s)
step() { echo "check-kernel: [$(($(date +%s) - t0))s] $*"; }

kver=$("$top/kshim/scripts/kver.sh" --image)
[ "$kver" = "$("$rig" kver)" ] ||
	{ echo "check-kernel: FAIL: kver.sh says $kver, the rig boots $("$rig" kver)" >&2; exit 1; }
hdr=/usr/src/linux-headers-$kver
step "kernel $kver, headers $hdr"
src=$("$rig" src "$rigout")

# 1. checkpatch --strict from the same source: the module and the series.
# The only accepted finding is 0001's "does MAINTAINERS need updating?" (the
# new files fall under the KVM x86 entries' arch/x86/kvm/ and
# include/linux/kvm*).  Run from the extraction: in a directory with .git
# checkpatch consults git.
cpl="perl scripts/checkpatch.pl --strict --no-tree --quiet"
cpfail=0
cd "$src"
for f in "$top"/kshim/kshim*.c "$top"/kshim/kshim.h "$top"/kshim/include/linux/*.h \
	"$top"/kshim/Kbuild "$top"/kshim/Makefile; do
	$cpl --file "$f" > "$out/checkpatch.log" 2>&1 ||
		{ echo "check-kernel: checkpatch: $f"; cat "$out/checkpatch.log"; cpfail=1; }
done
for p in $(cat "$series/series"); do
	$cpl "$series/$p" > "$out/checkpatch.log" 2>&1 ||
		if ! grep -E '^(ERROR|WARNING|CHECK)' "$out/checkpatch.log" |
			grep -qv 'does MAINTAINERS need updating'; then :; else
			echo "check-kernel: checkpatch: $p"; cat "$out/checkpatch.log"; cpfail=1
		fi
done
perl scripts/kernel-doc -none -Wall "$top"/kshim/*.c "$top"/kshim/*.h \
	"$top"/kshim/include/linux/*.h > "$out/kernel-doc.log" 2>&1 || true
if [ -s "$out/kernel-doc.log" ]; then
	echo "check-kernel: kernel-doc:"; cat "$out/kernel-doc.log"; cpfail=1
fi
cd "$top"
[ $cpfail = 0 ] || { echo "check-kernel: FAIL: checkpatch --strict / kernel-doc" >&2; exit 1; }
step "checkpatch --strict clean on kshim/ and the $(wc -l < "$series/series") patches (0001: MAINTAINERS note only); kernel-doc clean"

# 2. The patched KVM (cached by the rig when the tree is unchanged).
kvmdir=$("$rig" kvm "$rigout" "$series")
if ! cmp -s "$kvmdir/../../../include/linux/kvm_mmu_policy.h" \
	"$top/kshim/include/linux/kvm_mmu_policy.h"; then
	echo "check-kernel: FAIL: kshim/include/linux/kvm_mmu_policy.h differs from the series'" >&2
	exit 1
fi
step "series applied with patch -p1, patched kvm.ko in $kvmdir"

# 3. The module and the VMM.
step "building pmem_policy.ko and pmp-kvm-test"
make -s -C "$top/kshim" KVER="$kver" KDIR="$hdr" 2>&1 | grep -v 'Skipping BTF generation' || true
modinfo -F vermagic "$top/kshim/pmem_policy.ko" | grep -q "^$kver " ||
	{ echo "check-kernel: pmem_policy.ko not built for $kver" >&2; exit 1; }
cc -static -O2 -Wall -Wextra -Werror -o "$out/pmp-kvm-test" \
	"$top/tests/kernel/pmp-kvm-test.c" -lpthread

# 4. The boot (the rig's own verdict: RIG-DONE, no kernel warning).
rc=0
"$rig" run "$rigout" kernel --patches "$series" --bin "$out/pmp-kvm-test" \
	--file "$top/kshim/pmem_policy.ko:/lib/rig/pmem_policy.ko" \
	--init "$top/tests/kernel/init" --mem 1536M --timeout 900 > "$out/rig.log" 2>&1 || rc=$?
log=$rigout/kernel/console.log

# 5. The verdict.
tr -d '\r' < "$log" | grep -E '^(PMP-|\| |# |KTAP version|[0-9]+\.\.[0-9]+$|(not )?ok [0-9]+ - )' || true
grep -E '^rig: ' "$out/rig.log" || true
pass=$(tr -d '\r' < "$log" | grep -c '^PMP-PASS' || true)
fail=$(tr -d '\r' < "$log" | grep -c '^PMP-FAIL' || true)
missing=""
[ $rc = 0 ] || missing="$missing rig-verdict"
ktap_n=$(tr -d '\r' < "$log" | sed -n 's/^1\.\.\([0-9]*\)$/\1/p' | head -n 1)
ktap_ok=$(tr -d '\r' < "$log" | grep -cE '^ok [0-9]+ - ' || true)
if [ -z "$ktap_n" ] || [ "$ktap_ok" != "$ktap_n" ] || tr -d '\r' < "$log" | grep -q '^not ok'; then
	missing="$missing selftest(${ktap_ok:-0}/${ktap_n:-?})"
fi
for s in nopolicy default cap4k upstream switch badwrites dirty race unload pin shadow; do
	tr -d '\r' < "$log" | grep -q "^PMP-END $s: 0 failures" || missing="$missing $s"
done
echo "check-kernel: $(($(date +%s) - t0)) s"
if [ -n "$missing" ] || [ "$fail" != 0 ]; then
	echo "check-kernel: FAILED (failed checks: $fail; missing or failed:$missing)"
	echo "$pass passed, $((fail + $(echo $missing | wc -w))) failed"
	exit 1
fi
echo "check-kernel: all checks passed"
echo "$pass passed, 0 failed"
