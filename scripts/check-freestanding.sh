#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Prove the core is freestanding and kernel-compilable:
#  1. no core file but env.h (and no public header but types.h) includes a
#     system header;
#  2. every core file compiles with -ffreestanding -nostdinc and kernel-like
#     flags (no red zone, kernel code model, no SSE/x87 so any floating point
#     fails, 256-byte frames, no VLAs), warnings as errors;
#  3. linked with -r, nothing is undefined but memcpy/memset/memmove/memcmp;
#  4. the call graph has no cycle (no recursion) and no unbounded dynamic
#     stack (alloca; "dynamic,bounded" is -O0 pushing call arguments).
#
# usage: scripts/check-freestanding.sh OUTDIR [TREE]   (CC may be set)
# TREE defaults to this checkout; check-freestanding-selftest.sh passes a
# broken copy to prove each rule fails when it should.
set -eu
out=${1:?usage: check-freestanding.sh OUTDIR [TREE]}
cc=${CC:-cc}
top=$(cd "${2:-$(dirname "$0")/..}" && pwd)
core="$top/libpmem_policy"
fail() { echo "freestanding: FAIL: $*" >&2; exit 1; }

# 1. The doors.
bad=$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<' \
	$(ls "$core"/*.c "$core"/*.h "$top"/include/pmem_policy/*.h |
	  grep -vE '/libpmem_policy/env\.h$|/include/pmem_policy/types\.h$') || true)
[ -z "$bad" ] || fail "system header outside env.h/types.h:
$bad"

# 2. Kernel-like compile.
mkdir -p "$out/obj" "$out/cg"
rm -f "$out"/obj/*.o "$out"/cg/*
gccinc=$($cc -print-file-name=include)
flags="-std=gnu11 -O2 -ffreestanding -nostdinc -isystem $gccinc -I$top/include
	-mno-red-zone -mcmodel=kernel -fno-pic -fno-stack-protector
	-mno-sse -mno-sse2 -mno-mmx -mno-80387 -msoft-float -fno-common
	-Wframe-larger-than=256 -Wvla -Wall -Wextra -Werror"
for src in "$core"/*.c; do
	obj="$out/obj/$(basename "$src" .c).o"
	# shellcheck disable=SC2086
	$cc $flags -c "$src" -o "$obj" || fail "$(basename "$src") does not build freestanding"
	# 4. (input) the call graph, unoptimised so that every call is an edge.
	# shellcheck disable=SC2086
	(cd "$out/cg" && $cc $flags -O0 -fcallgraph-info=su -c "$src" \
		-o "$(basename "$src" .c).o") || fail "call graph of $(basename "$src")"
done

# 3. Undefined symbols.
ld -r -o "$out/core.o" "$out"/obj/*.o
undef=$(nm -u "$out/core.o" | awk '{print $2}' | grep -vxE 'memcpy|memset|memmove|memcmp' || true)
[ -z "$undef" ] || fail "undefined symbols in the core: $(echo $undef)"

# 4. Recursion and dynamic stacks.
cat "$out"/cg/*.ci > "$out/callgraph.ci"
grep -q 'bytes (dynamic)' "$out/callgraph.ci" && fail "a function has an unbounded dynamic stack"
awk '
/^edge:/ {
	match($0, /sourcename: "[^"]*"/); s = substr($0, RSTART + 12, RLENGTH - 13)
	match($0, /targetname: "[^"]*"/); t = substr($0, RSTART + 12, RLENGTH - 13)
	out[s] = out[s] " " t; nodes[s] = 1; nodes[t] = 1
}
END {
	# Peel functions that call nothing left; what remains lies on a cycle.
	do {
		changed = 0
		for (n in nodes) {
			k = split(out[n], ts, " "); live = 0
			for (i = 1; i <= k; i++) if (ts[i] in nodes) live = 1
			if (!live) { delete nodes[n]; changed = 1 }
		}
	} while (changed)
	for (n in nodes) { print "recursion through " n; bad = 1 }
	exit bad
}' "$out/callgraph.ci" || fail "the core recurses"

echo "freestanding: OK ($(ls "$core"/*.c | wc -l) core files; undefined: $(nm -u "$out/core.o" | awk '{print $2}' | tr '\n' ' '))"
