#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The README's quick start, line by line as printed, in a scratch directory
# holding the tree's tests/data and build/ (the first line, which installs
# packages, and the last, which opens a viewer, are left out): it must
# import, replay, and leave a plot and a heatmap that render.
#
# usage: scripts/check-quickstart.sh BUILD_DIR WORKDIR
set -eu
b=${1:?usage: check-quickstart.sh BUILD_DIR WORKDIR}
work=${2:?usage: check-quickstart.sh BUILD_DIR WORKDIR}
top=$(cd "$(dirname "$0")/.." && pwd)
b=$(cd "$b" && pwd)
fail() { echo "check-quickstart: FAIL: $*" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work/build"
work=$(cd "$work" && pwd)
sed -n '/<!-- quick-start -->/,/^```$/p' "$top/README.md" | sed '1,2d;$d' |
	grep -v -e '^sudo scripts/deps.sh' -e '^make ' -e '^xdg-open' > "$work/quickstart.sh"
[ "$(grep -c '^build/tools/' "$work/quickstart.sh")" -ge 3 ] || fail "no quick start in README.md"
ln -s "$top/tests" "$work/tests"
ln -s "$b/tools" "$work/build/tools"
(cd "$work" && sh -eu quickstart.sh > quickstart.out 2> quickstart.err) ||
	fail "the quick start failed: $(tail -3 "$work/quickstart.err")"
for f in sample.trace coverage.svg heatmap.svg; do
	[ -s "$work/$f" ] || fail "the quick start did not write $f"
done
for f in coverage heatmap; do
	rsvg-convert -o "$work/$f.png" "$work/$f.svg" || fail "$f.svg does not render"
done
echo "check-quickstart: OK: README quick start imported, replayed, drew $work/coverage.png and heatmap.png"
