#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The fault-throughput runs of several boots pooled: one boot's median
# ratio (tests/kernel/throughput-ratio.sh) carries the test's run-to-run
# swing of 1-2%, more than a change of a few dozen instructions a fault.
# Each module run is set against the mean of the two runs without the
# module around it, in its own boot, as throughput-ratio.sh does; the
# median is taken over every boot's pairs.  Under icount (boot 3) a rate
# is pages per 10^9 instructions, so 10^9 / rate is the instructions a
# page: their means, with and without the module, and the difference.
# usage: tests/kernel/throughput-pool.sh CONSOLE_LOG...
set -eu
[ $# -ge 1 ] || { echo "usage: throughput-pool.sh CONSOLE_LOG..." >&2; exit 2; }
for f in "$@"; do
	tr -d '\r' < "$f" | awk '$1 == "PMP-RATE" && ($2 == "none" || $2 == "module") { print $2, $3 }'
	echo END
done | awk '
$1 == "none" { none[++nn] = $2 + 0 }
$1 == "module" { mod[++nm] = $2 + 0 }
$1 == "END" {
	boot++
	if (nm < 1 || nn != nm + 1) { bad = 1; print "throughput-pool: log " boot ": " nn " runs without the module, " nm " with it" }
	for (i = 1; i <= nm && nn == nm + 1; i++) {
		r[++nr] = mod[i] / ((none[i] + none[i + 1]) / 2)
		im += 1e9 / mod[i]; cm++
	}
	for (i = 1; i <= nn && nn == nm + 1; i++) { in0 += 1e9 / none[i]; cn++ }
	nn = 0; nm = 0
}
END {
	if (bad || nr < 1) exit 1
	for (i = 2; i <= nr; i++)
		for (j = i; j > 1 && r[j - 1] > r[j]; j--) { t = r[j]; r[j] = r[j - 1]; r[j - 1] = t }
	printf "%d pairs: ratio median %.3f (%.3f-%.3f); instructions a page (10^9 / rate), mean without the module %.0f, with it %.0f: %.0f more\n",
		nr, nr % 2 ? r[(nr + 1) / 2] : (r[nr / 2] + r[nr / 2 + 1]) / 2, r[1], r[nr],
		in0 / cn, im / cm, im / cm - in0 / cn
}'
