# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The rig fragment of scripts/record-rig-trace.sh: run the mini VMM with
# the arguments in /rig/args under tracefs (KVM's MMU events, filtered
# later by the mini VMM's tgid) and print the trace text, gzip'ed and
# base64'ed, between "==== trace" markers on the console.
khp=/sys/kernel/mm/transparent_hugepage/khugepaged
echo 4294967295 > $khp/scan_sleep_millisecs	# no collapses in the middle (rig-check.sh)
T=/sys/kernel/tracing
echo 0 > $T/tracing_on
echo 8192 > $T/buffer_size_kb
echo 1 > $T/options/record-tgid
for e in kvmmmu/kvm_mmu_spte_requested kvmmmu/kvm_mmu_set_spte kvmmmu/kvm_mmu_prepare_zap_page \
	kvmmmu/kvm_mmu_zap_all_fast kvm/kvm_unmap_hva_range kvm/kvm_page_fault; do
	echo 1 > $T/events/$e/enable || rig_fail "tracefs: cannot enable $e"
done
echo > $T/trace
echo 1 > $T/tracing_on
if sh -c 'echo $$ > /tmp/pid; exec /bin/pmp-mini-vmm $(cat /rig/args)' > /tmp/vmm.out 2>&1; then
	rig_pass "pmp-mini-vmm $(cat /rig/args)"
else
	rig_fail "pmp-mini-vmm $(cat /rig/args): $(tail -n 2 /tmp/vmm.out | tr '\n' ' ')"
fi
echo 0 > $T/tracing_on
lost=$(cat $T/per_cpu/cpu*/stats | awk '/^(overrun|dropped events):/ {n += $NF} END {print n + 0}')
[ "$lost" = 0 ] && rig_pass "tracefs lost no event" || rig_fail "tracefs: $lost events lost"
echo "RIG-TRACE-TGID $(cat /tmp/pid)"
dmesg -n 1	# no kernel message in the middle of the dump
echo "==== trace"
gzip -9c $T/trace | base64
echo "==== end"
