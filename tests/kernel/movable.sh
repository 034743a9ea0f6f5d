#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-only
#
# check-kernel's boot 1b (right after boot 1), with a ZONE_MOVABLE
# (movablecore= on the command line) where the guest's anonymous memory is
# allocated first: an SEV VM's pins are FOLL_LONGTERM, so GUP must migrate
# each page out of the zone before pinning it.  The pin scenario asserts
# that no pinned page is left in ZONE_MOVABLE/CMA; this fragment adds that
# the zone exists and that pages really were migrated (/proc/vmstat) while
# the scenario ran.
M=$RIG_MOD
mark() { echo "PMP-$*"; }
vmstat() { sed -n "s/^$1 //p" /proc/vmstat; }

movable=$(awk '/^Node .* zone/ { z = $4 } z == "Movable" && $1 == "present" { print $2; exit }' \
	/proc/zoneinfo)
if [ "${movable:-0}" -gt 0 ]; then
	mark "PASS movable: ZONE_MOVABLE holds $movable pages"
else
	mark "FAIL movable: no ZONE_MOVABLE (movablecore= not applied)"
fi
m0=$(vmstat pgmigrate_success)
t0=$(vmstat thp_migration_success)
insmod "$M"/pmem_policy.ko vm_type=sev || mark "FAIL movable: insmod pmem_policy.ko vm_type=sev"
/bin/pmp-kvm-test pin
m1=$(vmstat pgmigrate_success)
t1=$(vmstat thp_migration_success)
if [ $((m1 - m0)) -gt 0 ]; then
	mark "PASS movable: GUP migrated $((m1 - m0)) pages ($((t1 - t0)) THPs) before pinning them"
else
	mark "FAIL movable: no page migrated while pinning (pgmigrate_success $m0 -> $m1)"
fi
rmmod pmem_policy || mark "FAIL movable: rmmod pmem_policy"
mark "DONE movable"
