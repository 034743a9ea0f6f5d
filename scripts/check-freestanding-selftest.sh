#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The freestanding check must fail on each thing it forbids: break a copy
# of the tree in one way at a time and expect check-freestanding.sh to say
# no, naming the rule.
#
# usage: scripts/check-freestanding-selftest.sh WORKDIR
set -eu
work=${1:?usage: check-freestanding-selftest.sh WORKDIR}
top=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)

try() { # name, expected message, shell code applied to the copy's core
	rm -rf "$work/tree" && mkdir -p "$work/tree"
	cp -r "$top/libpmem_policy" "$top/include" "$work/tree/"
	(cd "$work/tree/libpmem_policy" && eval "$3")
	if "$top/scripts/check-freestanding.sh" "$work/out" "$work/tree" > "$work/log" 2>&1; then
		echo "freestanding-selftest: FAIL: '$1' was not caught" >&2; exit 1
	fi
	grep -q "$2" "$work/log" || {
		echo "freestanding-selftest: FAIL: '$1' failed for another reason:" >&2
		cat "$work/log" >&2; exit 1
	}
	echo "freestanding-selftest: caught $1: $(grep -m1 'FAIL' "$work/log" | cut -c1-90)"
}

try "#include <stdio.h> in a core file" "system header outside" \
	'sed -i "1a #include <stdio.h>" planes.c'
try "a libc call" "undefined symbols" \
	'printf "int pmp_x(const char *s);\nint pmp_x(const char *s) { extern int puts(const char *); return puts(s); }\n" >> stats.c'
try "floating point" "does not build freestanding" \
	'printf "double pmp_f(double x);\ndouble pmp_f(double x) { return x * 1.5; }\n" >> stats.c'
try "recursion" "recurses" \
	'printf "int pmp_r(int n);\nint pmp_r(int n) { return n ? pmp_r(n - 1) + 1 : 0; }\n" >> stats.c'
try "a large stack frame" "does not build freestanding" \
	'printf "int pmp_s(int i);\nint pmp_s(int i) { volatile char b[512]; b[i] = 1; return b[0]; }\n" >> stats.c'
try "a VLA" "does not build freestanding" \
	'printf "int pmp_v(int n);\nint pmp_v(int n) { volatile char b[n]; b[0] = 1; return b[0]; }\n" >> stats.c'
echo "freestanding-selftest: OK (6 violations caught)"
