#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# `make check-kvm`: the VMM shim on the real /dev/kvm.  The shim's Check
# suite (every capability-missing path, named syscall failures), then the
# mini VMM on each backing, asserting on KVM's own statistics that real
# SPTEs were made, that punched pages read zero and others are intact, and
# that coalesced punching cost no more calls and re-faults than naive.
# SKIPs only when /dev/kvm is absent.
#
# usage: scripts/check-kvm.sh BUILD_DIR
set -eu
b=${1:?usage: check-kvm.sh BUILD_DIR}

if [ ! -c /dev/kvm ]; then
	echo "check-kvm: SKIP: /dev/kvm is absent on this machine"
	exit 0
fi
CK_FORK=yes "$b/tests/kvm"
for backing in gmem anon memfd; do
	echo "== pmp-mini-vmm --backing $backing --check"
	"$b/examples/pmp-mini-vmm" --backing "$backing" --check
done
echo "check-kvm: OK"
