#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Fault throughput, sourced by the selftests boot (and run alone as a rig
# fragment for measurements): demand_paging_test with $PMP_VCPUS vCPUs
# (default 2) of $PMP_MIB MiB each (default 64), 4 KiB pages (THP off), in
# one boot, alternating
#   none module none module ... none      ($PMP_PAIRS module runs, default 20)
# the patched KVM alone (no ops registered) and with the module loaded.
# Each module run lies between two runs without it, so the host check
# (tests/kernel/run.sh) sets it against their mean: a drift of the host's
# speed over the boot cancels to first order.  Two neighbouring runs
# without the module, measured the same way, are the noise floor.  A first
# run without the module warms the boot up and is not counted (PMP-RATE
# warmup): the first run of a boot differed from the next by -4% to +2%
# even in guest time under icount, where the host's load plays no part.  Prints
# one PMP-RATE line per run, in order.
M=$RIG_MOD
echo never > /sys/kernel/mm/transparent_hugepage/enabled
rate() {
	/bin/demand_paging_test -v "${PMP_VCPUS:-2}" -b "${PMP_MIB:-64}M" 2>&1 |
		sed -n 's/^Overall demand paging rate:[[:space:]]*\([0-9.]*\).*/\1/p'
}
echo "PMP-RATE warmup $(rate)"
i=0
while :; do
	echo "PMP-RATE none $(rate)"
	[ $i -lt "${PMP_PAIRS:-20}" ] || break
	insmod $M/pmem_policy.ko max_gib=1024 ||
		echo "PMP-FAIL selftests: insmod for the throughput"
	echo "PMP-RATE module $(rate)"
	rmmod pmem_policy || echo "PMP-FAIL selftests: rmmod after the throughput run"
	i=$((i + 1))
done
echo "PMP-RATE-DONE"
