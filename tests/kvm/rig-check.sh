# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The rig fragment of `make check-kvm` (scripts/check-kvm.sh): the shim's
# Check suite and the mini VMM in the L1 guest, on 6.12's nested KVM with
# SW-protected VMs.  The mini VMM's report goes to the console between
# "==== " markers for the host to show.
# memfd memory gets THP where advised, as anonymous memory does (rig's /init).
echo advise > /sys/kernel/mm/transparent_hugepage/shmem_enabled
# Park khugepaged: a collapse it makes in the middle of a run zaps 512
# SPTEs (private ones too on 6.12) at a random time, and the naive/shim
# comparisons need both runs to see the same host.  Writing the knob wakes
# it for one pass, hence the pause.
echo 4294967295 > /sys/kernel/mm/transparent_hugepage/khugepaged/scan_sleep_millisecs
echo 4294967295 > /sys/kernel/mm/transparent_hugepage/khugepaged/alloc_sleep_millisecs
sleep 2
t=$(date +%s)
if CK_FORK=yes /bin/tests-kvm; then rig_pass "tests-kvm"; else rig_fail "tests-kvm: Check failures above"; fi
echo "RIG-TIME tests-kvm $(($(date +%s) - t)) s"
# gmem (an mmap-able guest_memfd backing shared memory) needs 6.18's
# GUEST_MEMFD_FLAGS: 6.12 gives private-only guest_memfd, used by "private".
for mode in anon memfd private private-memfd "private --prefault"; do
	t=$(date +%s)
	echo "==== pmp-mini-vmm --backing $mode --check"
	if /bin/pmp-mini-vmm --backing $mode --check; then
		rig_pass "pmp-mini-vmm $mode"
	else
		rig_fail "pmp-mini-vmm $mode: failed checks above"
	fi
	echo "==== end ($(($(date +%s) - t)) s)"
done
