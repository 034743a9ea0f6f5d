#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# A shared library exports exactly the PMP_API functions of its public
# headers, all listed in its version script, and carries its SONAME.
#
# usage: scripts/check-exports.sh LIB.so MAPFILE HEADER...
set -eu
lib=${1:?usage: check-exports.sh LIB MAP HEADER...}
map=${2:?usage: check-exports.sh LIB MAP HEADER...}
shift 2
[ $# -gt 0 ] || { echo "usage: check-exports.sh LIB MAP HEADER..." >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

grep -ho 'PMP_API[^(]*(' "$@" | sed -n 's/.*\(pmp_[a-z0-9_]*\)($/\1/p' | sort > "$tmp/api"
grep -o '^[[:space:]]*pmp_[a-z0-9_]*;' "$map" | tr -d ' \t;' | sort > "$tmp/map"
nm -D --defined-only "$lib" | awk '$2 == "T" || $2 == "D" || $2 == "R" || $2 == "B" {print $3}' |
	sed 's/@.*//' | sort > "$tmp/exported"

status=0
if ! cmp -s "$tmp/api" "$tmp/map"; then
	echo "check-exports: headers and $map differ:" >&2; diff "$tmp/api" "$tmp/map" >&2; status=1
fi
if ! cmp -s "$tmp/api" "$tmp/exported"; then
	echo "check-exports: headers and exports of $lib differ:" >&2
	diff "$tmp/api" "$tmp/exported" >&2; status=1
fi
soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
case "$soname" in
libpmem_policy.so.[0-9]* | libpmem_policy_vmm.so.[0-9]*) ;;
*) echo "check-exports: bad SONAME '$soname'" >&2; status=1 ;;
esac
[ $status -eq 0 ] && echo "check-exports: OK ($(wc -l < "$tmp/exported") pmp_ symbols, SONAME $soname)"
exit $status
