# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The rig's own fragment (rig.sh selftest): the guest kernel, the pseudo
# file systems, then the capabilities of the KVM the rig built.
rig_pass "kernel $(uname -r)"
for d in /proc/self /sys/kernel/mm /sys/kernel/debug/kvm /sys/kernel/tracing/events/kvm; do
	[ -e $d ] && rig_pass "mounted $d" || rig_fail "mounted $d: missing"
done
grep -q '\[always\]' /sys/kernel/mm/transparent_hugepage/enabled &&
	rig_pass "thp always" || rig_fail "thp always: $(cat /sys/kernel/mm/transparent_hugepage/enabled)"
/bin/rig-kvm-caps
