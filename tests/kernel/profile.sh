#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Where a fault's time goes: a rig fragment, not part of check-kernel.
# demand_paging_test (2 vCPUs, 16 MiB each, 4 KiB pages) under
# perf record -e cpu-clock, once with pmem_policy.ko loaded and once
# without; prints the kernel symbols above 0.4% of the samples (PMP-PROF
# module|none lines).  KVM's and the module's symbols come from
# /proc/kallsyms.  Under TCG a sample lands where QEMU delivers the timer,
# at the end of a translated block, so calls and returns draw more than
# their share: compare the two runs, not single figures.  Run as
#   tests/rig/rig.sh run build/rig profile --patches kshim/patches/linux-6.12 \
#	--bin /usr/bin/perf --bin build/kshim/selftests/bin/demand_paging_test \
#	--file kshim/pmem_policy.ko:/lib/rig/pmem_policy.ko \
#	--init tests/kernel/profile.sh --smp 2 --append no_timer_check
# (perf: scripts/deps.sh profile; the test binary: make check-kernel once).
M=$RIG_MOD
echo never > /sys/kernel/mm/transparent_hugepage/enabled
echo 0 > /proc/sys/kernel/kptr_restrict
echo -1 > /proc/sys/kernel/perf_event_paranoid
cd /tmp || exit 1
profile() {
	/bin/perf record -q -e cpu-clock -F 2000 -a -o "/tmp/$1.data" -- \
		/bin/demand_paging_test -v 2 -b 16M 2>&1 | grep '^Overall' | sed "s/^/PMP-PROF $1 /"
	/bin/perf report -q -i "/tmp/$1.data" --stdio --no-children --sort sym \
		--percent-limit 0.4 2>/dev/null | sed -n "s/^ *\([0-9.]*%\)  *\[k\] /PMP-PROF $1 \1 /p"
}
insmod $M/pmem_policy.ko max_gib=1024 || rig_fail "profile: insmod pmem_policy.ko"
profile module
rmmod pmem_policy || rig_fail "profile: rmmod pmem_policy"
profile none
rig_pass "profile"
