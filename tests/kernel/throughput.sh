#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Fault throughput, sourced by the selftests boot (and run alone as a rig
# fragment for measurements): demand_paging_test with $PMP_VCPUS vCPUs
# (default 2), 4 KiB pages (THP off), 7 pairs in one boot: the patched KVM
# alone, then with the module loaded, interleaved so that the host's load
# drifts over both alike.  Prints PMP-RATE and PMP-PAIR lines.
M=$RIG_MOD
echo never > /sys/kernel/mm/transparent_hugepage/enabled
rate() {
	/bin/demand_paging_test -v "${PMP_VCPUS:-2}" -b 16M 2>&1 |
		sed -n 's/^Overall demand paging rate:[[:space:]]*\([0-9.]*\).*/\1/p'
}
i=0
while [ $i -lt 7 ]; do
	a=$(rate)
	insmod $M/pmem_policy.ko max_gib=1024 ||
		echo "PMP-FAIL selftests: insmod for the throughput"
	b=$(rate)
	rmmod pmem_policy
	echo "PMP-RATE none ${a:-0}"
	echo "PMP-RATE default ${b:-0}"
	echo "PMP-PAIR ${a:-0} ${b:-0}"
	i=$((i + 1))
done
