#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# make check-kernel-selftests-extra: KVM 6.12's other memory selftests
# (tests/kernel/selftests-extra.list), built statically like check-kernel's
# and booted in the same rig (2 vCPUs) by the same fragment
# (tests/kernel/selftests.sh): no module, then pmem_policy.ko under
# default, upstream, recommended and a 4K cap.  Every column must give what
# the no-module column gives, except the differences listed below with
# their reason; after each test no page reference is left, and no kernel
# warning anywhere (the rig's verdict).  Not part of check-kernel: one
# column takes about 6.5 minutes of TCG, the five about half an hour at a
# host load of 5-6 (docs/kshim.md, Session 14).
#
# usage: tests/kernel/run-selftests-extra.sh OUTDIR RIGDIR
# PMP_SELFTESTS_LIST=FILE runs the tests of another list (the same format).
set -eu
[ $# = 2 ] || { echo "usage: $0 OUTDIR RIGDIR" >&2; exit 2; }
out=$(mkdir -p "$1" && cd "$1" && pwd)
rigout=$(mkdir -p "$2" && cd "$2" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
rig=$top/tests/rig/rig.sh
list=${PMP_SELFTESTS_LIST:-$top/tests/kernel/selftests-extra.list}
. "$top/tests/kernel/selftest-judge.sh"

kver=$("$top/kshim/scripts/kver.sh" --image)
src=$("$rig" src "$rigout")
make -s -C "$top/kshim" KVER="$kver" KDIR="/usr/src/linux-headers-$kver" 2>&1 |
	grep -v 'Skipping BTF generation' || true
modinfo -F vermagic "$top/kshim/pmem_policy.ko" | grep -q "^$kver " ||
	{ echo "check-kernel: pmem_policy.ko not built for $kver" >&2; exit 1; }
sel=$(sed -e '/^#/d' -e 's/ .*//' "$list")
st=$out/selftests
# shellcheck disable=SC2086
"$top/tests/kernel/build-selftests.sh" "$st" "$src" "$rigout/src.stamp" $sel
bins=""
for t in $sel; do bins="$bins --bin $st/bin/$t"; done
rc=0
# shellcheck disable=SC2086
"$rig" run "$rigout" kernel-selftests-extra --patches "$top/kshim/patches/linux-6.12" $bins --smp 2 --mem 2G \
	--file "$top/kshim/pmem_policy.ko:/lib/rig/pmem_policy.ko" \
	--file "$list:/etc/pmp-selftests.list" \
	--init "$top/tests/kernel/selftests.sh" --timeout 3600 --append no_timer_check \
	> "$out/rig-selftests-extra.log" 2>&1 || rc=$?

c=$(mktemp)
tr -d '\r' < "$rigout/kernel-selftests-extra/console.log" > "$c"
echo "check-kernel: KVM 6.12's other memory selftests (tests/kernel/selftests-extra.list):"
grep -E '^(\| |# |PMP-FAIL)' "$c" || true
missing=""
[ $rc = 0 ] || missing="$missing rig-verdict"
grep -q '^PMP-SELFTESTS-DONE' "$c" || missing="$missing selftests-done"
grep -q '^PMP-FAIL' "$c" && missing="$missing PMP-FAIL"
# Where a preset's purpose contradicts a test's assertion: merge=settled
# (default is recommended) leaves the dirty-log-off collapse to its ticks,
# and the test asserts the 2M count right after dirty logging stops; a 4K
# cap populates no 2M page.  Under upstream (merge=scan) KVM's collapse
# stays, as in KVM: nothing excused.
expected="dirty_log_page_splitting_test default 2M restored by merge ticks, not at dirty-log off
dirty_log_page_splitting_test recommended 2M restored by merge ticks, not at dirty-log off
dirty_log_page_splitting_test 4k no 2M page under a 4K cap"
# shellcheck disable=SC2046
judge_selftests "$c" "$expected" $(echo "$sel" | sed 's|.*/||')
rm -f "$c"
if [ -n "$missing" ]; then
	echo "check-kernel: selftests-extra FAILED:$missing"
	exit 1
fi
echo "check-kernel: selftests-extra: every column as without the module"
