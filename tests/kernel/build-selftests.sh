#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# KVM 6.12's own selftests, built statically from the rig's extraction of
# linux-source-6.12 against its uapi headers: the headers once per source
# (make headers_install, minutes), then make's own incremental build of the
# tests asked for (a test added to a list is built on the next run).
#
# usage: tests/kernel/build-selftests.sh ST SRC STAMP TEST...
#   ST     output directory (ST/bin/NAME, as in the selftests' Makefile)
#   SRC    the extracted source (tests/rig/rig.sh src)
#   STAMP  the rig's src.stamp: a new source rebuilds everything
set -eu
mkdir -p "$1" && st=$(cd "$1" && pwd)	# make runs in the selftests' directory
src=$(cd "$2" && pwd) stamp=$3
shift 3
if [ "$(cat "$st/stamp" 2>/dev/null)" != "$(cat "$stamp")" ]; then
	echo "check-kernel: building the 6.12 KVM selftests' uapi headers"
	rm -rf "$st" && mkdir -p "$st"
	make -s -C "$src" O="$st/khdr" ARCH=x86_64 headers_install \
		INSTALL_HDR_PATH="$st/khdr/usr" > "$st/build.log" 2>&1 ||
		{ cat "$st/build.log"; echo "check-kernel: FAIL: make headers_install" >&2; exit 1; }
	cp "$stamp" "$st/stamp"
fi
targets=""
for t in "$@"; do targets="$targets $st/bin/$t"; done
# shellcheck disable=SC2086
make -C "$src/tools/testing/selftests/kvm" -j2 OUTPUT="$st/bin" \
	KHDR_INCLUDES="-isystem $st/khdr/usr/include" LDFLAGS="-static -pthread -no-pie" \
	$targets >> "$st/build.log" 2>&1 ||
	{ tail -n 30 "$st/build.log"; echo "check-kernel: FAIL: KVM selftests build" >&2; exit 1; }
