#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The fault-throughput figures from a console log of tests/kernel/
# throughput.sh (PMP-RATE none|module RATE, in the order run: none module
# none ... none).  Each module run is set against the mean of the two runs
# without the module around it; the noise floor is each run without the
# module against the next one (the same distance apart).  Prints one line
# of figures, "RATIO r" (the median ratio) and "NOISE lo hi" (the noise
# floor's min and max); exits 1 when the runs are not a complete
# alternation.  The warm-up run (PMP-RATE warmup) is not counted.
# usage: tests/kernel/throughput-ratio.sh CONSOLE_LOG
set -eu
tr -d '\r' < "${1:?usage: throughput-ratio.sh CONSOLE_LOG}" | awk '
function med(a, n,   i, j, t) {	# sorts a[1..n] in place, returns the median
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
BEGIN { nn = 0; nm = 0 }
$1 == "PMP-RATE" && ($2 == "none" || $2 == "module") {
	want = (nn == nm) ? "none" : "module"
	if ($2 != want) { bad = bad " a " $2 " run where a " want " run belongs;"; next }
	if ($3 == "" || $3 + 0 <= 0) bad = bad " " $2 " run " (nn + nm + 1) " gave no rate;"
	if ($2 == "none") none[++nn] = $3 + 0; else mod[++nm] = $3 + 0
}
END {
	if (nm < 1 || nn != nm + 1) bad = bad " " nn " runs without the module, " nm " with it;"
	if (bad != "") { print "throughput: incomplete:" bad; exit 1 }
	for (i = 1; i <= nm; i++) {
		r[i] = mod[i] / ((none[i] + none[i + 1]) / 2)
		f[i] = none[i + 1] / none[i]
		m[i] = mod[i]
	}
	for (i = 1; i <= nn; i++) a[i] = none[i]
	rm = med(r, nm); fm = med(f, nm); am = med(a, nn); mm = med(m, nm)
	printf "%d module runs, each between two without it: without the module median %.0f pages/s (%.0f-%.0f), with it median %.0f (%.0f-%.0f); ratio to the mean of the two around it: median %.3f (%.3f-%.3f); noise floor, a run without the module to the next without it: median %.3f (%.3f-%.3f)\n",
		nm, am, a[1], a[nn], mm, m[1], m[nm], rm, r[1], r[nm], fm, f[1], f[nm]
	printf "RATIO %.3f\nNOISE %.3f %.3f\n", rm, f[1], f[nm]
}'
