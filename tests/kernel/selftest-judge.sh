# SPDX-License-Identifier: GPL-2.0-only
#
# Sourced by tests/kernel/run.sh and tests/kernel/run-selftests-extra.sh:
# judge a selftest table (the PMP-ST lines of tests/kernel/selftests.sh).
#
# judge_selftests CONSOLE EXPECTED TEST...: every column must give what
# the no-module column gives, and that column PASS or SKIP; EXPECTED holds
# the accepted differences, one "TEST COLUMN reason" a line (a preset
# whose purpose contradicts the test's assertion).  Appends what failed
# to $missing.
judge_selftests() {
	js_c=$1 js_expected=$2
	shift 2
	for js_t in "$@"; do
		js_base=$(sed -n "s/^PMP-ST $js_t none //p" "$js_c")
		[ "$js_base" = PASS ] || [ "$js_base" = SKIP ] ||
			missing="$missing $js_t/none=${js_base:-missing}"
		for js_col in default upstream recommended 4k; do
			js_r=$(sed -n "s/^PMP-ST $js_t $js_col //p" "$js_c")
			[ "$js_r" = "$js_base" ] && continue
			js_why=$(echo "$js_expected" | sed -n "s/^$js_t $js_col //p")
			if [ -n "$js_why" ]; then
				echo "check-kernel: expected: $js_t under $js_col: $js_r ($js_why)"
				continue
			fi
			missing="$missing $js_t/$js_col=${js_r:-missing}"
		done
	done
}
