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
# usage: scripts/check-kvm.sh BUILD_DIR RIG_TEST_BIN RIG_MINI_VMM_BIN
set -eu
b=${1:?usage: check-kvm.sh BUILD_DIR RIG_TEST_BIN RIG_MINI_VMM_BIN}
rig_test=${2:?usage: check-kvm.sh BUILD_DIR RIG_TEST_BIN RIG_MINI_VMM_BIN}
rig_vmm=${3:?usage: check-kvm.sh BUILD_DIR RIG_TEST_BIN RIG_MINI_VMM_BIN}
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
	"$top/tests/rig/rig.sh" run "$b/rig" check-kvm --bin "$rig_test" --bin "$rig_vmm" \
		--init "$top/tests/kvm/rig-check.sh" --timeout 1500 --no-skip
	tr -d '\r' < "$b/rig/check-kvm/console.log" | sed -n '/^==== /,/^==== end/p'
	ran="$ran rig"
else
	echo "check-kvm: the rig is unavailable (scripts/deps.sh rig installs Debian's 6.12 image, headers, source and QEMU)"
fi

if [ -z "$ran" ]; then
	echo "check-kvm: SKIP: no /dev/kvm on the host and no 6.12 rig"
	exit 0
fi
echo "check-kvm: OK ($ran) in $(($(date +%s) - t0)) s"
