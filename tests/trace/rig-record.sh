# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The rig fragment of scripts/check-trace.sh and scripts/record-rig-trace.sh:
# each line of /rig/runs is a run of the mini VMM (its arguments), recorded
# twice at once in the L1 guest, by `pmp-trace record` (BPF) and by a
# tracefs instance of the same events.  Both files and the mini VMM's pid
# go out on the console, gzip'ed and base64'ed, between "PMP-FILE NAME"
# and "PMP-END" lines; the host compares and imports them.
# khugepaged parked: a collapse in the middle of a run is noise (rig-check.sh).
khp=/sys/kernel/mm/transparent_hugepage/khugepaged
echo 4294967295 > $khp/scan_sleep_millisecs
echo 4294967295 > $khp/alloc_sleep_millisecs
sleep 2
T=/sys/kernel/tracing
inst=$T/instances/pmp-rig
put() {	# put NAME FILE: the file, for the host
	echo "PMP-FILE $1"
	gzip -9c "$2" | base64
	echo "PMP-END"
}
n=0
dmesg -n 1	# no kernel message in the middle of a dump
while read -r args; do
	n=$((n + 1))
	mkdir "$inst" || { rig_fail "run $n: tracefs instance"; continue; }
	echo 0 > $inst/tracing_on
	echo 65536 > $inst/buffer_size_kb
	echo mono > $inst/trace_clock	# bpf_ktime_get_ns()'s clock
	echo 1 > $inst/options/record-tgid
	for e in kvmmmu/kvm_mmu_spte_requested kvmmmu/kvm_mmu_set_spte kvmmmu/kvm_mmu_prepare_zap_page \
		kvmmmu/kvm_mmu_zap_all_fast kvm/kvm_unmap_hva_range kvm/kvm_page_fault; do
		echo 1 > $inst/events/$e/enable || rig_fail "run $n: cannot enable $e"
	done
	echo 1 > $inst/tracing_on
	t=$(date +%s)
	# The command reports its pid (= tgid: exec keeps it) for the importer.
	# shellcheck disable=SC2086 # the arguments are words
	if /bin/pmp-trace record -o /tmp/rec.trace -- \
		sh -c 'echo $$ > /tmp/pid; exec /bin/pmp-mini-vmm "$@"' sh $args \
		< /dev/null > /tmp/vmm.out 2> /tmp/record.log; then
		rig_pass "run $n: pmp-trace record -- pmp-mini-vmm $args ($(($(date +%s) - t)) s)"
	else
		rig_fail "run $n: pmp-trace record -- pmp-mini-vmm $args: $(tail -n 3 /tmp/record.log /tmp/vmm.out | tr '\n' ' ')"
	fi
	echo 0 > $inst/tracing_on
	sed "s/^/RIG-RECORD $n /" /tmp/record.log
	lost=$(cat $inst/per_cpu/cpu*/stats | awk '/^(overrun|dropped events):/ {n += $NF} END {print n + 0}')
	[ "$lost" = 0 ] && rig_pass "run $n: tracefs lost no event" || rig_fail "run $n: tracefs lost $lost events"
	cp $inst/trace /tmp/tracefs.txt
	rmdir "$inst"
	echo "$args" > /tmp/args
	put "$n.args" /tmp/args
	put "$n.pid" /tmp/pid
	put "$n.rec.trace" /tmp/rec.trace
	put "$n.tracefs.txt" /tmp/tracefs.txt
	rm -f /tmp/rec.trace /tmp/tracefs.txt /tmp/pid
done < /rig/runs
