#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The 6.12 rig: Debian's 6.12 kernel under QEMU TCG with a KVM built out of
# tree (SW-protected VMs on), so that real-KVM tests run on machines without
# /dev/kvm.  Generic: it knows nothing of what the caller tests.  See
# tests/rig/README.md for the protocol, the caches and measured timings.
#
# usage: tests/rig/rig.sh COMMAND ...
#   kver                     print the 6.12 kernel ABI apt installed
#   src OUT                  extract linux-source-6.12 (cached); print the tree
#   kvm OUT [PATCHDIR]       build kvm.ko + kvm-amd.ko (cached by content
#                            hash); print the directory holding them
#   run OUT NAME [OPTION]... kvm + initramfs + boot + verdict (exit 0 = pass)
#   verdict LOG [--no-skip]  judge a console log again
#   selftest OUT             the rig's own test (caps of the SW-protected KVM)
#
# run options (repeatable where it makes sense):
#   --patches DIR     apply DIR/series (else DIR/*.patch sorted) with patch -p1
#   --stock           Debian's own kvm.ko/kvm-amd.ko instead of the rebuilt ones
#   --bin FILE        copy FILE to /bin; a dynamic binary brings its ldd libraries
#   --ko FILE         extra module, insmod'ed after kvm-amd in the given order
#   --file SRC:DST    any file, at DST in the guest
#   --init FRAGMENT   shell fragment run by /init after the modules are loaded
#   --kvm-args ARGS / --kvm-amd-args ARGS   module parameters
#   --append ARGS     extra kernel command line
#   --mem SIZE        guest memory (2G)         --timeout SEC  boot timeout (900)
#   --smp N           guest CPUs (1), on one host thread
#   --mttcg           with --smp N > 1: one host thread per guest CPU
#                     (multi-threaded TCG: real parallelism, see README)
#   --icount SHIFT    the guest's clocks count emulated instructions, 2^SHIFT
#                     ns each (-icount shift=SHIFT,sleep=off -seed 1: one
#                     host thread, RDRAND seeded): guest-timed rates that do
#                     not depend on the host's load
#   --no-skip         a RIG-SKIP fails the run
set -eu

rig_dir=$(cd "$(dirname "$0")" && pwd)
rig_tarball=/usr/src/linux-source-6.12.tar.xz
rig_t0=$(date +%s)

# The kernel's own trouble lines, as the kernel starts them (at the start
# of a console or dmesg line, after an optional timestamp): anchored, so
# that file data a test prints (base64 once held "Oops") cannot match.
# The guest's /init greps dmesg with the same pattern (RIG_TROUBLE).
rig_trouble='^(\[[ 0-9.]+\] )?(Oops: |WARNING: CPU: [0-9]+ PID: |BUG: |Kernel panic - not syncing|general protection fault|UBSAN: |KASAN: |Call Trace:)'

die() { echo "rig: $*" >&2; exit 1; }
step() { echo "rig: [$(($(date +%s) - rig_t0))s] $*" >&2; }

# The ABI comes from the installed image; the headers must match it.
cmd_kver() {
	k=""
	for f in /boot/vmlinuz-6.12.*; do
		[ -f "$f" ] || continue
		v=${f#/boot/vmlinuz-}
		[ -d "/usr/src/linux-headers-$v" ] && k=$v
	done
	[ -n "$k" ] || die "no /boot/vmlinuz-6.12.* with matching /usr/src/linux-headers-6.12.*: run scripts/deps.sh rig"
	echo "$k"
}

# A pristine extraction of what building KVM and its selftests needs, once
# per tarball (decompressing 150 MB of xz is most of the cost: ~50 s).
cmd_src() {
	out=${1:?usage: rig.sh src OUT}
	[ -f "$rig_tarball" ] || die "$rig_tarball missing: run scripts/deps.sh rig"
	mkdir -p "$out"
	stamp="v1 $(stat -c '%s %Y' "$rig_tarball")"
	if [ "$(cat "$out/src.stamp" 2>/dev/null)" != "$stamp" ]; then
		step "extracting linux-source-6.12 (arch/x86 virt include scripts tools Makefile)"
		rm -rf "$out/src" "$out/src.stamp" && mkdir -p "$out/src"
		tar -xJf "$rig_tarball" -C "$out/src" --strip-components=1 \
			linux-source-6.12/arch/x86 linux-source-6.12/virt \
			linux-source-6.12/include linux-source-6.12/scripts \
			linux-source-6.12/tools linux-source-6.12/Makefile
		echo "$stamp" > "$out/src.stamp"
	fi
	echo "$out/src"
}

# The series of a patch directory, in order.
patch_list() {
	if [ -f "$1/series" ]; then
		sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$1/series" | while read -r p; do echo "$1/$p"; done
	else
		ls "$1"/*.patch 2>/dev/null | sort || true
	fi
}

# kvm.ko + kvm-amd.ko from 6.12's arch/x86/kvm + virt/kvm (plus the KVM
# headers, so a series may patch them), SW-protected VMs compiled in.
# Cached under OUT/kvm/HASH, HASH being the patched tree's content and
# the recipe: an unchanged tree is not rebuilt, stock and patched coexist.
cmd_kvm() {
	out=${1:?usage: rig.sh kvm OUT [PATCHDIR]}
	pdir=${2:-}
	mkdir -p "$out" && out=$(cd "$out" && pwd)
	kver=$(cmd_kver)
	hdr=/usr/src/linux-headers-$kver
	src=$(cmd_src "$out")
	new="$out/kvm/new.$$"
	trap 'rm -rf "$new" "$new.orig"' EXIT
	rm -rf "$new" && mkdir -p "$new/include" "$new/arch/x86/include/asm" "$new/arch/x86/include/uapi/asm"
	cp -a "$src/arch/x86/kvm" "$new/arch/x86/" && cp -a "$src/virt" "$new/"
	cp -a "$src/include/kvm" "$new/include/"
	mkdir -p "$new/include/linux" "$new/include/uapi/linux"
	cp -a "$src"/include/linux/kvm*.h "$new/include/linux/"
	cp -a "$src/include/uapi/linux/kvm.h" "$new/include/uapi/linux/"
	cp -a "$src"/arch/x86/include/asm/kvm*.h "$new/arch/x86/include/asm/"
	cp -a "$src"/arch/x86/include/uapi/asm/kvm*.h "$new/arch/x86/include/uapi/asm/"
	cp -a "$new" "$new.orig"
	n=0
	if [ -n "$pdir" ]; then
		[ -d "$pdir" ] || die "patch directory $pdir missing"
		for p in $(patch_list "$pdir"); do
			patch -d "$new" -p1 -s --no-backup-if-mismatch < "$p" ||
				die "$p does not apply to linux-source-6.12"
			n=$((n + 1))
		done
		step "$n patch(es) of $pdir applied with patch -p1"
	fi
	# Patched headers go in an overlay searched before the kernel's own
	# include paths (NOSTDINC_FLAGS precedes LINUXINCLUDE in kbuild).
	ovl=""
	for f in $(cd "$new" && find include arch/x86/include -type f | sort); do
		if ! cmp -s "$new/$f" "$new.orig/$f"; then
			case $f in
			include/*) ovl="$ovl -I\$(KVM_TREE)/include" ;;
			arch/x86/include/*) ovl="$ovl -I\$(KVM_TREE)/arch/x86/include" ;;
			esac
		fi
	done
	rm -rf "$new.orig"
	ovl=$(echo "$ovl" | tr ' ' '\n' | sort -u | tr '\n' ' ')
	recipe="rig-kvm v1 $kver SW_PROTECTED_VM=1 overlay:$ovl"
	sum=$( (echo "$recipe"; cd "$new" && find . -type f | sort | xargs cat) | md5sum | cut -c1-16)
	dir="$out/kvm/$sum"
	if [ -f "$dir/arch/x86/kvm/kvm-amd.ko" ]; then
		rm -rf "$new"
		step "kvm.ko up to date ($dir)"
		echo "$dir/arch/x86/kvm"
		return
	fi
	rm -rf "$dir" && mv "$new" "$dir"
	sed -i -e "s|\$(srctree)/virt/kvm/Makefile.kvm|$dir/virt/kvm/Makefile.kvm|" \
		-e "s|-I \$(srctree)/arch/x86/kvm|-I $dir/arch/x86/kvm -I $dir/include -I $dir/virt/kvm|" \
		"$dir/arch/x86/kvm/Makefile"
	echo 'ccflags-y += -DCONFIG_KVM_SW_PROTECTED_VM=1' >> "$dir/arch/x86/kvm/Makefile"
	ovl=$(echo "$ovl" | sed "s|\$(KVM_TREE)|$dir|g")
	step "building kvm.ko and kvm-amd.ko for $kver in $dir"
	jobs=$(nproc 2>/dev/null || echo 2)
	[ "$jobs" -gt 2 ] && jobs=2
	make -s -C "/usr/src/linux-headers-$kver" M="$dir/arch/x86/kvm" CONFIG_KVM_INTEL=n \
		NOSTDINC_FLAGS="-nostdinc$ovl" -j"$jobs" modules > "$dir/build.log" 2>&1 ||
		{ cat "$dir/build.log" >&2; rm -f "$dir/arch/x86/kvm/kvm-amd.ko"; die "kvm build failed (log: $dir/build.log)"; }
	[ -f "$dir/arch/x86/kvm/kvm-amd.ko" ] || die "kvm build made no kvm-amd.ko (log: $dir/build.log)"
	modinfo -F vermagic "$dir/arch/x86/kvm/kvm.ko" | grep -q "^$kver " ||
		die "kvm.ko not built for $kver"
	step "built"
	echo "$dir/arch/x86/kvm"
}

# A module of the installed 6.12 image, decompressed (busybox insmod
# cannot read .ko.xz).
image_module() {
	f=$(find "/lib/modules/$1/kernel" -name "$2.ko" -o -name "$2.ko.xz" | head -n 1)
	[ -n "$f" ] || die "module $2 not found under /lib/modules/$1"
	case $f in
	*.xz) xz -dc "$f" > "$3/$2.ko" ;;
	*) cp "$f" "$3/$2.ko" ;;
	esac
}

# FILE and, when it is dynamic, its interpreter and libraries at their paths.
copy_bin() {
	cp -L "$1" "$2/bin/" || die "cannot copy $1"
	if ldd "$1" > /dev/null 2>&1; then
		for l in $(ldd "$1" | sed -n -e 's|.*=> \(/[^ ]*\).*|\1|p' -e 's|^[[:space:]]*\(/[^ ]*\) (.*|\1|p'); do
			mkdir -p "$2$(dirname "$l")" && cp -L "$l" "$2$l"
		done
	fi
}

cmd_run() {
	out=${1:?usage: rig.sh run OUT NAME [OPTION]...}
	name=${2:?usage: rig.sh run OUT NAME [OPTION]...}
	shift 2
	mkdir -p "$out" && out=$(cd "$out" && pwd)
	patches="" stock=0 bins="" kos="" files="" frag="" kvm_args="" amd_args=""
	append="" mem=2G timeout=900 noskip="" smp=1 mttcg=0 icount=""
	while [ $# -gt 0 ]; do
		case $1 in
		--stock|--no-skip|--mttcg) ;;
		--patches|--bin|--ko|--file|--init|--kvm-args|--kvm-amd-args|--append|--mem|--smp|--timeout|--icount)
			[ $# -ge 2 ] || die "$1 needs an argument" ;;
		*) die "unknown run option '$1' (see tests/rig/rig.sh --help)" ;;
		esac
		case $1 in
		--patches) patches=$2; shift ;;
		--stock) stock=1 ;;
		--bin) bins="$bins $2"; shift ;;
		--ko) kos="$kos $2"; shift ;;
		--file) files="$files $2"; shift ;;
		--init) frag=$2; shift ;;
		--kvm-args) kvm_args=$2; shift ;;
		--kvm-amd-args) amd_args=$2; shift ;;
		--append) append=$2; shift ;;
		--mem) mem=$2; shift ;;
		--smp) smp=$2; shift ;;
		--timeout) timeout=$2; shift ;;
		--icount) icount=$2; shift ;;
		--no-skip) noskip=--no-skip ;;
		--mttcg) mttcg=1 ;;
		esac
		shift
	done
	if [ -n "$icount" ]; then
		case $icount in
		[0-9]|10) ;;
		*) die "--icount wants a shift from 0 to 10, not '$icount'" ;;
		esac
		[ $mttcg = 0 ] || die "--icount and --mttcg exclude each other (icount is single-threaded)"
	fi
	kver=$(cmd_kver)
	w="$out/$name"
	ir="$w/initramfs"
	rm -rf "$w" && mkdir -p "$ir/bin" "$ir/lib/rig" "$ir/proc" "$ir/sys" "$ir/dev" "$ir/tmp" "$ir/rig"
	if [ $stock = 1 ]; then
		[ -z "$patches" ] || die "--stock and --patches exclude each other"
		image_module "$kver" kvm "$ir/lib/rig"
		image_module "$kver" kvm-amd "$ir/lib/rig"
		step "Debian's stock kvm.ko (no SW-protected VMs)"
	else
		kdir=$(cmd_kvm "$out" "$patches")
		cp "$kdir/kvm.ko" "$kdir/kvm-amd.ko" "$ir/lib/rig/"
	fi
	image_module "$kver" irqbypass "$ir/lib/rig"
	image_module "$kver" ccp "$ir/lib/rig"
	order=""
	for k in $kos; do
		cp "$k" "$ir/lib/rig/" || die "cannot copy module $k"
		order="$order $(basename "$k")"
	done
	cp /bin/busybox "$ir/bin/busybox"
	for b in $bins; do copy_bin "$b" "$ir"; done
	for f in $files; do
		mkdir -p "$ir$(dirname "${f#*:}")" && cp -L "${f%%:*}" "$ir${f#*:}" || die "cannot copy $f"
	done
	if [ -n "$frag" ]; then cp "$frag" "$ir/rig/fragment.sh"; else : > "$ir/rig/fragment.sh"; fi
	{
		echo "RIG_KVM_ARGS='$kvm_args'"
		echo "RIG_KVM_AMD_ARGS='$amd_args'"
		echo "RIG_EXTRA_KO='$order'"
		echo "RIG_TROUBLE='$rig_trouble'"
	} > "$ir/rig/env"
	cp "$rig_dir/init" "$ir/init" && chmod 755 "$ir/init"
	(cd "$ir" && find . | cpio -o -H newc --quiet | gzip -1) > "$w/initramfs.cpio.gz"
	step "initramfs $w/initramfs.cpio.gz ($(du -k "$w/initramfs.cpio.gz" | cut -f1) KiB)"

	step "booting $kver under QEMU TCG (timeout ${timeout}s)"
	tb=$(date +%s)
	rc=0
	# Several vCPUs run on one host thread (thread=single) unless --mttcg:
	# multi-threaded TCG once let a vCPU hit another's half-patched jump
	# label (Oops: int3); --mttcg is for measuring parallel work.
	accel=tcg
	[ "$smp" -gt 1 ] && [ $mttcg = 0 ] && accel=tcg,thread=single
	[ $mttcg = 1 ] && accel=tcg,thread=multi
	# icount: every emulated instruction advances the guest's clocks by
	# 2^SHIFT ns and an idle guest skips to its next timer (sleep=off), so
	# what the guest times is a count of instructions, not host time.
	# QEMU's icount needs single-threaded TCG; -seed makes RDRAND (the
	# guest kernel's entropy, hence its ASLR and hash seeds) repeatable.
	ic=""
	if [ -n "$icount" ]; then
		accel=tcg,thread=single
		ic="-icount shift=$icount,sleep=off -seed 1"
	fi
	# shellcheck disable=SC2086
	timeout -k 10 "$timeout" qemu-system-x86_64 -accel "$accel" $ic -cpu EPYC -smp "$smp" -m "$mem" \
		-nographic -no-reboot -kernel "/boot/vmlinuz-$kver" -initrd "$w/initramfs.cpio.gz" \
		-append "console=ttyS0 panic=-1 printk.time=0 transparent_hugepage=always $append" \
		< /dev/null > "$w/console.log" 2>&1 || rc=$?
	[ $rc = 124 ] && echo "RIG-FAIL rig: QEMU timed out after ${timeout}s" >> "$w/console.log"
	step "guest powered off after $(($(date +%s) - tb))s; console in $w/console.log"
	cmd_verdict "$w/console.log" $noskip
}

# The verdict: RIG-DONE reached, no RIG-FAIL, no kernel warning/bug/oops
# anywhere on the console (the guest's /init reports those from dmesg and
# the taint flags too).  Prints the RIG- lines and a count.
cmd_verdict() {
	log=${1:?usage: rig.sh verdict LOG [--no-skip]}
	[ -f "$log" ] || die "$log missing"
	c=$(mktemp) && tr -d '\r' < "$log" > "$c"
	grep -E '^RIG-' "$c" || true
	pass=$(grep -c '^RIG-PASS ' "$c" || true)
	fail=$(grep -c '^RIG-FAIL ' "$c" || true)
	skip=$(grep -c '^RIG-SKIP ' "$c" || true)
	bad=""
	if grep -nE "$rig_trouble" "$c" > "$c.k"; then
		echo "rig: kernel trouble on the console:" && head -n 20 "$c.k"
		bad="$bad kernel"
	fi
	grep -q '^RIG-DONE' "$c" || bad="$bad no-RIG-DONE"
	[ "$fail" = 0 ] || bad="$bad RIG-FAIL"
	[ -z "${2:-}" ] || [ "$skip" = 0 ] || bad="$bad RIG-SKIP"
	rm -f "$c" "$c.k"
	echo "rig: $pass passed, $fail failed, $skip skipped ($log)"
	if [ -n "$bad" ]; then
		echo "rig: FAILED:$bad"
		return 1
	fi
	echo "rig: OK"
}

cmd_selftest() {
	out=${1:?usage: rig.sh selftest OUT}
	mkdir -p "$out/selftest.bin"
	cc -static -O2 -Wall -Wextra -Werror -o "$out/selftest.bin/rig-kvm-caps" "$rig_dir/rig-kvm-caps.c"
	cmd_run "$out" selftest --bin "$out/selftest.bin/rig-kvm-caps" --init "$rig_dir/selftest.sh" --no-skip
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
kver) cmd_kver ;;
src) cmd_src "$@" ;;
kvm) cmd_kvm "$@" ;;
run) cmd_run "$@" ;;
verdict) cmd_verdict "$@" ;;
selftest) cmd_selftest "$@" ;;
-h|--help|help) sed -n '4,32p' "$0" | sed 's/^# \{0,1\}//' ;;
*) sed -n '9,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
