#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# make check-kernel: the real-system test of pmem_policy.ko.
#
#  1. extract arch/x86/kvm and virt/kvm of Debian's linux-source-6.1 afresh,
#     apply kshim/patches/linux-6.1/ with patch -p1, build the patched
#     kvm.ko/kvm-amd.ko out of tree against the installed headers;
#  2. build pmem_policy.ko (kshim/) and the static test VMM;
#  3. boot Debian's kernel (the one matching those headers) under QEMU TCG
#     with a busybox initramfs whose /init (tests/kernel/init) loads the
#     modules and runs the scenarios;
#  4. check the console: the selftest's KTAP, every scenario's PMP-END with
#     0 failures, no PMP-FAIL, no kernel warning, the PMP-DONE marker.
#
# usage: tests/kernel/run.sh OUTDIR      (needs scripts/deps.sh kshim kernel)
set -eu
out=${1:-build/kshim}
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
kver=$("$top/kshim/scripts/kver.sh" --image)
hdr=/usr/src/linux-headers-$kver
tarball=/usr/src/linux-source-6.1.tar.xz
jobs=$(nproc 2>/dev/null || echo 2)
t0=$(date +%s)
step() { echo "check-kernel: [$(($(date +%s) - t0))s] $*"; }

[ -f "$tarball" ] || { echo "check-kernel: $tarball missing (scripts/deps.sh kernel)" >&2; exit 1; }
step "kernel $kver, headers $hdr"

# 1. A fresh extraction (cached per tarball), the series applied to a copy.
stamp="v2 $(stat -c '%s %Y' "$tarball")"
if [ "$(cat "$out/src.stamp" 2>/dev/null)" != "$stamp" ]; then
	step "extracting arch/x86/kvm and virt/kvm from $tarball"
	rm -rf "$out/src" && mkdir -p "$out/src"
	tar -xJf "$tarball" -C "$out/src" --strip-components=1 \
		linux-source-6.1/arch/x86/kvm linux-source-6.1/virt/kvm \
		linux-source-6.1/scripts/checkpatch.pl linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch
	echo "$stamp" > "$out/src.stamp"
fi
rm -rf "$out/kvm.new" && mkdir -p "$out/kvm.new"
cp -a "$out/src/arch" "$out/src/virt" "$out/kvm.new/"
for p in $(cat "$top/kshim/patches/linux-6.1/series"); do
	if ! patch -d "$out/kvm.new" -p1 -s --no-backup-if-mismatch \
		< "$top/kshim/patches/linux-6.1/$p"; then
		echo "check-kernel: FAIL: $p does not apply to linux-source-6.1" >&2
		exit 1
	fi
done
step "series applied with patch -p1 ($(wc -l < "$top/kshim/patches/linux-6.1/series") patches)"
if ! cmp -s "$out/kvm.new/include/linux/kvm_mmu_policy.h" \
	"$top/kshim/include/linux/kvm_mmu_policy.h"; then
	echo "check-kernel: FAIL: kshim/include/linux/kvm_mmu_policy.h differs from the patch's" >&2
	exit 1
fi

# checkpatch --strict from the same source: the module and the series.  The
# only accepted finding is 0001's "does MAINTAINERS need updating?" (the new
# files fall under the KVM x86 entries' arch/x86/kvm/ and include/linux/kvm*).
# Run from the extraction: in a directory with .git checkpatch consults git.
cpl="perl scripts/checkpatch.pl --strict --no-tree --quiet"
cpfail=0
cd "$out/src"
for f in "$top"/kshim/kshim*.c "$top"/kshim/kshim.h "$top"/kshim/include/linux/*.h \
	"$top"/kshim/Kbuild "$top"/kshim/Makefile; do
	$cpl --file "$f" > "$out/checkpatch.log" 2>&1 ||
		{ echo "check-kernel: checkpatch: $f"; cat "$out/checkpatch.log"; cpfail=1; }
done
for p in $(cat "$top/kshim/patches/linux-6.1/series"); do
	$cpl "$top/kshim/patches/linux-6.1/$p" > "$out/checkpatch.log" 2>&1 ||
		if ! grep -E '^(ERROR|WARNING|CHECK)' "$out/checkpatch.log" |
			grep -qv 'does MAINTAINERS need updating'; then :; else
			echo "check-kernel: checkpatch: $p"; cat "$out/checkpatch.log"; cpfail=1
		fi
done
cd "$top"
[ $cpfail = 0 ] || { echo "check-kernel: FAIL: checkpatch --strict" >&2; exit 1; }
step "checkpatch --strict clean on kshim/ and the series (0001: MAINTAINERS note only)"

# Out-of-tree build: the kvm Makefile's include and -I paths point at the
# extracted tree (the headers package has neither virt/kvm nor the KVM
# internals).  Rebuilt only when the patched sources change.
sum=$(cd "$out/kvm.new" && find . -type f | sort | xargs cat | md5sum | cut -d' ' -f1)
if [ "$(cat "$out/kvm.stamp" 2>/dev/null)" != "$sum $kver" ] ||
	[ ! -f "$out/kvm/arch/x86/kvm/kvm-amd.ko" ]; then
	step "building patched kvm.ko and kvm-amd.ko"
	rm -rf "$out/kvm" && mv "$out/kvm.new" "$out/kvm"
	sed -i -e "s|\$(srctree)/virt/kvm/Makefile.kvm|$out/kvm/virt/kvm/Makefile.kvm|" \
		-e "s|-I \$(srctree)/arch/x86/kvm|-I $out/kvm/arch/x86/kvm -I $out/kvm/include -I $out/kvm/virt/kvm|" \
		"$out/kvm/arch/x86/kvm/Makefile"
	make -s -C "$hdr" M="$out/kvm/arch/x86/kvm" CONFIG_KVM_INTEL=n -j"$jobs" modules 2>&1 |
		grep -v 'Skipping BTF generation' || true
	[ -f "$out/kvm/arch/x86/kvm/kvm-amd.ko" ] || { echo "check-kernel: kvm build failed" >&2; exit 1; }
	echo "$sum $kver" > "$out/kvm.stamp"
else
	rm -rf "$out/kvm.new"
	step "patched kvm.ko up to date"
fi

# 2. The module and the VMM.
step "building pmem_policy.ko and pmp-kvm-test"
make -s -C "$top/kshim" KVER="$kver" KDIR="$hdr" 2>&1 | grep -v 'Skipping BTF generation' || true
modinfo -F vermagic "$top/kshim/pmem_policy.ko" | grep -q "^$kver " ||
	{ echo "check-kernel: pmem_policy.ko not built for $kver" >&2; exit 1; }
cc -static -O2 -Wall -Wextra -Werror -o "$out/pmp-kvm-test" \
	"$top/tests/kernel/pmp-kvm-test.c" -lpthread

# 3. The initramfs and the boot.
ir="$out/initramfs"
rm -rf "$ir" && mkdir -p "$ir/bin" "$ir/lib/pmp" "$ir/proc" "$ir/sys" "$ir/dev"
cp /bin/busybox "$ir/bin/busybox"
cp "$out/pmp-kvm-test" "$ir/bin/"
cp "$top/tests/kernel/init" "$ir/init"
for m in kernel/virt/lib/irqbypass kernel/drivers/crypto/ccp/ccp; do
	f=/lib/modules/$kver/$m.ko
	if [ -f "$f" ]; then cp "$f" "$ir/lib/pmp/"; else xz -dc "$f.xz" > "$ir/lib/pmp/$(basename "$f")"; fi
done
cp "$out/kvm/arch/x86/kvm/kvm.ko" "$out/kvm/arch/x86/kvm/kvm-amd.ko" \
	"$top/kshim/pmem_policy.ko" "$ir/lib/pmp/"
(cd "$ir" && find . | cpio -o -H newc --quiet | gzip -1) > "$out/initramfs.cpio.gz"

step "booting $kver under QEMU TCG"
log="$out/console.log"
timeout 600 qemu-system-x86_64 -accel tcg -cpu EPYC -smp 1 -m 1536M -nographic -no-reboot \
	-kernel "/boot/vmlinuz-$kver" -initrd "$out/initramfs.cpio.gz" \
	-append "console=ttyS0 panic=-1 quiet printk.time=0 transparent_hugepage=always" \
	< /dev/null > "$log" 2>&1 || true
step "guest powered off; console in $log"

# 4. The verdict.
tr -d '\r' < "$log" | grep -E '^(PMP-|\| |# |KTAP version|[0-9]+\.\.[0-9]+$|(not )?ok [0-9]+ - )' || true
pass=$(tr -d '\r' < "$log" | grep -c '^PMP-PASS' || true)
fail=$(tr -d '\r' < "$log" | grep -c '^PMP-FAIL' || true)
missing=""
ktap_n=$(tr -d '\r' < "$log" | sed -n 's/^1\.\.\([0-9]*\)$/\1/p' | head -n 1)
ktap_ok=$(tr -d '\r' < "$log" | grep -cE '^ok [0-9]+ - ' || true)
if [ -z "$ktap_n" ] || [ "$ktap_ok" != "$ktap_n" ] || tr -d '\r' < "$log" | grep -q '^not ok'; then
	missing="$missing selftest(${ktap_ok:-0}/${ktap_n:-?})"
fi
for s in nopolicy default cap4k upstream switch badwrites dirty race unload pin shadow; do
	tr -d '\r' < "$log" | grep -q "^PMP-END $s: 0 failures" || missing="$missing $s"
done
grep -q '^PMP-DONE' "$log" || missing="$missing PMP-DONE"
echo "check-kernel: $(($(date +%s) - t0)) s"
if [ -n "$missing" ] || [ "$fail" != 0 ]; then
	echo "check-kernel: FAILED (failed checks: $fail; missing or failed:$missing)"
	echo "$pass passed, $((fail + $(echo $missing | wc -w))) failed"
	exit 1
fi
echo "check-kernel: all checks passed"
echo "$pass passed, 0 failed"
