#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Install the Debian packages a make target needs, once.  Idempotent: when
# everything is there it prints nothing and exits 0.  As root it runs
# apt-get non-interactively; otherwise it prints the exact command to run.
#
# usage: scripts/deps.sh GROUP...    (groups: build check sanitize bench fuzz kshim bpf
#                                     tools kernel rig profile)
set -eu

packages() {
	case "$1" in
	build)    echo "gcc make libc6-dev binutils" ;;
	check)    echo "gcc make libc6-dev binutils pkgconf check libsubunit-dev" ;;
	sanitize) echo "libasan8 libubsan1" ;;
	bench)    echo "valgrind" ;;
	fuzz)     echo "clang libclang-rt-14-dev" ;;
	kshim)    echo "gcc make kmod linux-headers-6.12-amd64" ;;
	bpf)      echo "clang libbpf-dev bpftool libelf-dev zlib1g-dev pkgconf" ;;
	tools)    echo "zlib1g-dev groff-base man-db librsvg2-bin python3 git" ;;
	rig)      echo "qemu-system-x86 busybox-static cpio xz-utils kmod gzip patch make gcc libc6-dev linux-image-6.12-amd64 linux-headers-6.12-amd64 linux-source-6.12 perl rsync" ;;
	profile)  echo "linux-perf" ;;
	kernel)   echo "perl" ;;
	*) echo "deps.sh: unknown group '$1'" >&2; exit 2 ;;
	esac
}

want=""
for group in "$@"; do
	want="$want $(packages "$group")"
done

missing=""
for pkg in $want; do
	case " $missing " in *" $pkg "*) continue ;; esac
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $pkg"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "pmem_policy needs these Debian packages:$missing" >&2
	echo "run: sudo apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi
echo "deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; refresh them once if needed.
if ! apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1; then
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends $missing
fi
