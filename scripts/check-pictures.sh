#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# pmp-replay's coverage plot and heatmap (issue 18 item 8), rendered to PNG
# with rsvg-convert and checked by scripts/check-svg.py: title = the
# trace's base name, x ticks and axis title, one legend entry and one
# distinct curve style per policy (16 policies: the legend's worst case),
# the curve ending at the last event before teardown, one heatmap panel
# per policy, PNG of the SVG's size with ink on it.  The PNGs stay in
# BUILD_DIR/pictures to be looked at.
#
# usage: scripts/check-pictures.sh BUILD_DIR
set -eu
b=${1:?usage: check-pictures.sh BUILD_DIR}
top=$(cd "$(dirname "$0")/.." && pwd)
replay="$b/tools/pmp-replay"
out="$b/pictures"
fail() { echo "check-pictures: FAIL: $*" >&2; exit 1; }
command -v rsvg-convert > /dev/null || fail "rsvg-convert is missing (scripts/deps.sh tools)"
rm -rf "$out"
mkdir -p "$out"
trace="$top/tests/data/mini-vmm-gmem-8m.trace.gz"
events() { grep -o '[0-9,]* events' "$1" | head -1 | tr -d , | cut -d' ' -f1; }

# the recording, three policies
"$replay" --svg "$out/rec.svg" --heatmap "$out/rec-heat.svg" "$trace" > "$out/rec.txt"
# a workload under 16 policies: the legend and styles at their limit
p16=upstream,tdx-series,recommended
for m in scan fault blocked none; do
	for c in 1g 2m 4k; do p16="$p16,recommended,merge=$m,max_level=$c"; done
done
p16="$p16,upstream,nx_huge_pages=off"
"$replay" --policy "$p16" --workload tdx-boot --svg "$out/p16.svg" --heatmap "$out/p16-heat.svg" \
	> "$out/p16.txt"
for f in rec rec-heat p16 p16-heat; do
	rsvg-convert -o "$out/$f.png" "$out/$f.svg" || fail "rsvg-convert $f.svg"
done
py="python3 $top/scripts/check-svg.py"
$py plot "$out/rec.svg" "$out/rec.png" mini-vmm-gmem-8m.trace.gz 3 "$(events "$out/rec.txt")"
$py heatmap "$out/rec-heat.svg" "$out/rec-heat.png" mini-vmm-gmem-8m.trace.gz 3 0
$py plot "$out/p16.svg" "$out/p16.png" tdx-boot 16 "$(events "$out/p16.txt")"
$py heatmap "$out/p16-heat.svg" "$out/p16-heat.png" tdx-boot 16 0
echo "check-pictures: OK: plots and heatmaps of a recording and of 16 policies ($out/*.png)"
