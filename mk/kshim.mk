# SPDX-License-Identifier: GPL-2.0-only
#
# kshim: pmem_policy.ko from the core's own sources (kshim/Kbuild), and the
# real-system test that boots Debian's 6.12 kernel under QEMU with KVM
# patched by kshim/patches/linux-6.12/ (tests/kernel/, on tests/rig/).
# Neither is part of `make all` or `make check`: they need the Debian kernel
# packages, which scripts/deps.sh installs (groups kshim, rig and kernel).
#
#   make kshim          build kshim/pmem_policy.ko for the 6.12 headers the
#                       patch series supports (KSHIM_KVER=... to choose)
#   make check-kernel   the patched KVM, the module, the test VMM and the
#                       6.12 KVM selftests, booted under QEMU TCG, asserted
#   make check-kernel-selftests-extra   KVM 6.12's other memory selftests
#                       (tests/kernel/selftests-extra.list) in the same rig,
#                       with no module and under four presets: about half
#                       an hour more of TCG, hence not in check-kernel
#   make kshim-clean

# This file is included before the top Makefile's `all`: keep it the goal.
.DEFAULT_GOAL := all

DEPS_GROUPS += kshim rig kernel

.PHONY: kshim kshim-clean check-kernel check-kernel-selftests-extra

kshim:
	@scripts/deps.sh kshim
	kver=$${KSHIM_KVER:-$$(kshim/scripts/kver.sh)} && \
		$(MAKE) -C kshim KVER=$$kver KDIR=/usr/src/linux-headers-$$kver

kshim-clean:
	kver=$$(kshim/scripts/kver.sh 2>/dev/null) && \
		$(MAKE) -C kshim KVER=$$kver KDIR=/usr/src/linux-headers-$$kver clean || true
	rm -rf build/kshim

check-kernel:
	@scripts/deps.sh kshim rig kernel
	tests/kernel/run.sh build/kshim build/rig

check-kernel-selftests-extra:
	@scripts/deps.sh kshim rig kernel
	tests/kernel/run-selftests-extra.sh build/kshim build/rig
