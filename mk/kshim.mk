# SPDX-License-Identifier: GPL-2.0-only
#
# kshim: pmem_policy.ko from the core's own sources (kshim/Kbuild), and the
# real-system test that boots Debian's kernel under QEMU with a patched KVM
# (tests/kernel/).  Neither is part of `make all` or `make check`: they need
# the Debian kernel packages, which scripts/deps.sh installs (groups kshim
# and kernel).
#
#   make kshim          build kshim/pmem_policy.ko for the newest installed
#                       linux-headers-*-amd64 (KSHIM_KVER=... to choose)
#   make check-kernel   build the patched kvm.ko/kvm-amd.ko, the module and
#                       the test VMM, boot them under QEMU TCG and assert
#   make kshim-clean

.PHONY: kshim kshim-clean check-kernel

kshim:
	@scripts/deps.sh kshim
	kver=$${KSHIM_KVER:-$$(kshim/scripts/kver.sh)} && \
		$(MAKE) -C kshim KVER=$$kver KDIR=/usr/src/linux-headers-$$kver

kshim-clean:
	kver=$$(kshim/scripts/kver.sh 2>/dev/null) && \
		$(MAKE) -C kshim KVER=$$kver KDIR=/usr/src/linux-headers-$$kver clean || true
	rm -rf build/kshim

check-kernel:
	@scripts/deps.sh kshim kernel
	tests/kernel/run.sh build/kshim
