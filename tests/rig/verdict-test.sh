#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The rig's verdict on made-up consoles, no boot: the kernel's real
# trouble lines fail a run, test output that merely contains the words
# (base64 file data once held "Oops") does not.  Bad run options are
# refused before anything is built or booted.
# usage: tests/rig/verdict-test.sh   (prints "verdict-test: OK" or fails)
set -eu
rig=$(cd "$(dirname "$0")" && pwd)/rig.sh
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
n=0
expect() {	# expect pass|fail LINE: a console with LINE among good lines
	printf 'RIG-BOOTED 6.12\nRIG-PASS a\n%s\nRIG-DONE\n' "$2" > "$d/console.log"
	if "$rig" verdict "$d/console.log" > "$d/out" 2>&1; then got=pass; else got=fail; fi
	if [ "$got" != "$1" ]; then
		echo "verdict-test: FAIL: '$2' gave $got, want $1" >&2
		cat "$d/out" >&2
		exit 1
	fi
	n=$((n + 1))
}
expect fail 'Oops: int3: 0000 [#1] PREEMPT SMP NOPTI'
expect fail 'Oops: general protection fault, probably for non-canonical address 0xdead: 0000 [#1]'
expect fail 'WARNING: CPU: 1 PID: 213 at arch/x86/kvm/mmu/mmu.c:7012 kvm_mmu_zap_all+0x1/0x2 [kvm]'
expect fail 'BUG: kernel NULL pointer dereference, address: 0000000000000008'
expect fail 'BUG: KASAN: slab-use-after-free in kshim_map+0x1c/0x200 [pmem_policy]'
expect fail 'Kernel panic - not syncing: Fatal exception'
expect fail 'Call Trace:'
expect fail '[   12.345678] Oops: double fault: 0000 [#1] SMP'
expect fail 'RIG-FAIL rig: kernel warning, bug or oops in dmesg'
expect pass 'T29vcHMgYmFzZTY0IE9vcHMgZGF0YQOopsAAAWARNING:CPUBUG:x'
expect pass 'PMP-PASS trace: record "Oops" in a test name, WARNING: CPU in the middle'
expect pass 'data: xOops: yBUG: zCall Trace:'
printf 'RIG-PASS a\n' > "$d/console.log"
"$rig" verdict "$d/console.log" > /dev/null 2>&1 &&
	{ echo "verdict-test: FAIL: a console without RIG-DONE passed" >&2; exit 1; }
# run options refused before any work (no boot): --icount's shift, and
# icount with multi-threaded TCG.
refused() {	# refused TEXT OPTION...: rig.sh run fails, saying TEXT
	want=$1
	shift
	if "$rig" run "$d" opt "$@" > "$d/out" 2>&1 || ! grep -q -- "$want" "$d/out"; then
		echo "verdict-test: FAIL: rig.sh run $* was not refused with '$want'" >&2
		cat "$d/out" >&2
		exit 1
	fi
}
refused "--icount wants a shift from 0 to 10, not '11'" --icount 11
refused "--icount wants a shift from 0 to 10, not 'x'" --icount x
refused "--icount and --mttcg exclude each other" --smp 2 --mttcg --icount 0
echo "verdict-test: OK ($n consoles judged as expected, one without RIG-DONE failed; 3 bad run options refused)"
