#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Every man page formats with no groff warning (-ww) and man(1) renders it
# with no warning; each tool's page (section 1) documents --help and
# --version.
#
# usage: scripts/check-man.sh PAGE...
set -eu
fail() { echo "check-man: FAIL: $*" >&2; exit 1; }
[ $# -gt 0 ] || fail "no man pages given"
command -v groff > /dev/null || fail "groff is missing (scripts/deps.sh tools)"
for page in "$@"; do
	out=$(groff -ww -z -man "$page" 2>&1) || fail "$page: groff failed: $out"
	[ -z "$out" ] || fail "$page: $out"
	if command -v man > /dev/null; then
		out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 > /dev/null) ||
			fail "$page: man failed: $out"
		[ -z "$out" ] || fail "$page: $out"
	fi
	case "$page" in
	*.3) continue ;;	# a library function's page: no options
	esac
	for opt in help version; do
		grep -q "\\\\-\\\\-$opt" "$page" || fail "$page does not document --$opt"
	done
done
echo "check-man: OK: $# pages, no groff or man warning"
