#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# `make check-kvm`: the VMM shim on real KVM.  The shim's Check suite
# (every capability-missing path, named syscall failures, real private
# memory), then the mini VMM on each backing and on private memory,
# asserting on KVM's own statistics and the guest's view.  Runs:
#  - in the 6.12 rig's L1 guest (tests/rig: nested KVM with SW-protected
#    VMs under QEMU TCG), wherever the rig's packages are installed;
#  - on the host's /dev/kvm as well, where there is one.
# SKIPs only where neither exists, and says which is missing.
#
# usage: scripts/check-kvm.sh BUILD_DIR RIG_OUT RIG_TEST_BIN RIG_MINI_VMM_BIN
#   (the RIG_ binaries are named tests-kvm and pmp-mini-vmm: static, or
#   dynamic under SANITIZE=1, when the rig brings their libraries)
set -eu
usage="usage: check-kvm.sh BUILD_DIR RIG_OUT RIG_TEST_BIN RIG_MINI_VMM_BIN"
b=${1:?$usage}
rig_out=${2:?$usage}
rig_test=${3:?$usage}
rig_vmm=${4:?$usage}
top=$(cd "$(dirname "$0")/.." && pwd)
t0=$(date +%s)
ran=""

if [ -c /dev/kvm ]; then
	echo "== check-kvm on the host's /dev/kvm"
	CK_FORK=yes "$b/tests/kvm"
	for mode in gmem anon memfd private; do
		echo "== pmp-mini-vmm --backing $mode --check (host)"
		rc=0
		"$b/examples/pmp-mini-vmm" --backing "$mode" --check || rc=$?
		# 77: this host's KVM lacks what the mode needs (the rig has it).
		[ $rc = 0 ] || [ $rc = 77 ] || exit 1
	done
	ran="$ran host"
else
	echo "check-kvm: the host has no /dev/kvm: the rig runs everything"
fi

if rig_kver=$("$top/tests/rig/rig.sh" kver 2> /dev/null) && command -v qemu-system-x86_64 > /dev/null; then
	echo "== check-kvm in the 6.12 rig ($rig_kver under QEMU TCG, nested KVM)"
	name=check-kvm-$(basename "$b")
	rc=0
	"$top/tests/rig/rig.sh" run "$rig_out" "$name" --bin "$rig_test" --bin "$rig_vmm" \
		--init "$top/tests/kvm/rig-check.sh" --timeout 1500 --no-skip > "$b/check-kvm-rig.log" || rc=$?
	# The suite's and the mini VMM's reports, then the rig's verdict.
	tr -d '\r' < "$rig_out/$name/console.log" |
		sed -n -e '/^Running suite/,/^[0-9]*%: Checks/p' -e '/^==== /,/^==== end/p'
	cat "$b/check-kvm-rig.log"
	[ $rc = 0 ] || exit 1
	ran="$ran rig"
else
	echo "check-kvm: the rig is unavailable (scripts/deps.sh rig installs Debian's 6.12 image, headers, source and QEMU)"
fi

if [ -z "$ran" ]; then
	echo "check-kvm: SKIP: no /dev/kvm on the host and no 6.12 rig"
	exit 0
fi
echo "check-kvm: OK (${ran# }) in $(($(date +%s) - t0)) s"
