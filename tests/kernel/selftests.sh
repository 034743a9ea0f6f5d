#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The second check-kernel boot (rig fragment, 2 vCPUs): KVM 6.12's own
# memory selftests as a peer suite, with no module and with pmem_policy.ko
# under each preset; the differential against KVM's own level; the fault
# throughput with and without the module.  Prints PMP- lines for the host
# (tests/kernel/run.sh) and the table.  With /etc/pmp-selftests.list
# (make check-kernel-selftests-extra: tests/kernel/selftests-extra.list)
# it runs that list's tests with their arguments instead, and no
# throughput.
M=$RIG_MOD
LIST=/etc/pmp-selftests.list
TESTS="private_mem_conversions_test private_mem_kvm_exits_test guest_memfd_test set_memory_region_test nx_huge_pages_test"
[ -f $LIST ] && TESTS=$(sed -e '/^#/d' -e 's/ .*//' -e 's|.*/||' $LIST)

mark() { echo "PMP-$*"; }

# The module's parameters for a column of the table.  max_gib=1024: the
# selftests place their memory near the top of the guest-physical space.
params() {
	case $1 in
	default) echo "max_gib=1024" ;;
	upstream) echo "max_gib=1024 default_policy=upstream" ;;
	recommended) echo "max_gib=1024 default_policy=recommended vm_type=sev" ;;
	4k) echo "max_gib=1024 default_policy=max_level=4k" ;;
	esac
}

# A listed test's arguments (the same in every column).
list_args() {
	[ -f $LIST ] && sed -n -e '/^#/d' -e "s|^\([^ ]*/\)\{0,1\}$1 ||p" $LIST
}

# One selftest; nx_huge_pages_test as its wrapper script runs it as root
# (with reboot permission only: root cannot drop it there); the timeout
# turns a test that hangs into a FAIL of its own cell.
run_one() {
	case $1 in
	nx_huge_pages_test)
		echo 1 > /sys/module/kvm/parameters/nx_huge_pages
		echo 1 > /sys/module/kvm/parameters/nx_huge_pages_recovery_ratio
		echo 100 > /sys/module/kvm/parameters/nx_huge_pages_recovery_period_ms
		echo 3 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
		/bin/nx_huge_pages_test -t 887563923 -p 100 -r
		return
		;;
	dirty_log_page_splitting_test)
		# Its default backing is HugeTLB: 2 vCPUs' memory in 2 MiB pages.
		echo 40 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
		;;
	esac
	# shellcheck disable=SC2046
	timeout 600 /bin/$1 $(list_args $1)
}

echo "| selftest | $(echo none default upstream recommended 4k | sed 's/ / | /g') |" > /tmp/table
for t in $TESTS; do echo "| $t |" > /tmp/row.$t; done
for c in none default upstream recommended 4k; do
	if [ $c != none ]; then
		insmod $M/pmem_policy.ko $(params $c) tick_ms=100 ||
			{ mark "FAIL selftests: insmod pmem_policy $(params $c)"; continue; }
	fi
	for t in $TESTS; do
		dmesg -c > /dev/null
		run_one $t > /tmp/out 2>&1
		rc=$?
		case $rc in 0) r=PASS ;; 4) r=SKIP ;; *) r=FAIL ;; esac
		[ $r = FAIL ] && { echo "# $t under $c exited $rc:"; tail -n 8 /tmp/out | sed 's/^/#   /'; }
		echo "PMP-ST $t $c $r"
		sed -i "s/\$/ $r |/" /tmp/row.$t
		if [ $c != none ]; then
			held=$(cat /sys/kernel/debug/pmem_policy/pages_held)
			[ "$held" = 0 ] || mark "FAIL selftests: $t under $c left $held page references"
			dmesg | grep 'teardown left' && mark "FAIL selftests: $t under $c: teardown left pins"
			# Summed over the test's VMs: leaves, and the differential.
			dmesg | grep ': destroyed,' | sed 's/.*leaves //' | tr '=;:' '   ' | awk -v t=$t -v c=$c '
				{ for (i = 1; i < NF; i++) if ($i ~ /^[a-z_0-9]+$/ && $(i+1) ~ /^[0-9]+$/) s[$i] += $(i+1) }
				END { printf "PMP-GOV %s %s leaves %d refused %d max_level %d same %d higher %d lowered %d private %d",
					t, c, s["4k"] + s["2m"] + s["1g"], s["refused"], s["max_level"], s["same"],
					s["higher"], s["lowered"], s["private"];
				      for (k in s) if (k !~ /^(4k|2m|1g|refused|max_level|same|higher|lowered|private)$/)
					printf " %s=%d", k, s[k];
				      printf "\n" }'
		fi
	done
	[ $c != none ] && { rmmod pmem_policy || mark "FAIL selftests: rmmod pmem_policy under $c"; }
done
cat /tmp/table
for t in $TESTS; do cat /tmp/row.$t; done

# Fault throughput (tests/kernel/throughput.sh), in boot 2 only.
if [ -f /bin/pmp-throughput.sh ]; then
	PMP_PAIRS=5
	. /bin/pmp-throughput.sh
fi
mark "SELFTESTS-DONE"
