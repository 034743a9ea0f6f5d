#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Print the Debian kernel ABI (e.g. 6.12.118+deb12-amd64) the module is
# built for: the newest installed linux-headers-*-amd64 of the kernel
# series the KVM patch series supports (kshim/patches/linux-X.Y/), not the
# newest headers of any series.  With --image, the newest that also has
# /boot/vmlinuz-KVER (the kernel check-kernel boots must match the headers
# the modules are built against).  Never hard-coded: security updates
# change the ABI number.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
need_image=0
[ "${1:-}" = "--image" ] && need_image=1
series=""
for d in "$top"/kshim/patches/linux-*; do
	[ -d "$d" ] && series=${d##*/linux-}
done
[ -n "$series" ] || { echo "kver.sh: no kshim/patches/linux-X.Y/ series" >&2; exit 1; }
best=""
for d in /usr/src/linux-headers-"$series".*-amd64 /usr/src/linux-headers-"$series"-*-amd64; do
	[ -d "$d" ] || continue
	v=${d#/usr/src/linux-headers-}
	if [ $need_image = 1 ] && [ ! -f "/boot/vmlinuz-$v" ]; then
		continue
	fi
	best="$best $v"
done
v=$(printf '%s\n' $best | sort -V | tail -n 1)
if [ -z "$v" ]; then
	what="linux-headers-$series.*-amd64"
	[ $need_image = 1 ] && what="$what with a matching /boot/vmlinuz"
	echo "kver.sh: the KVM patch series (kshim/patches/linux-$series) needs $what;" \
		"install it with: scripts/deps.sh kshim rig" >&2
	exit 1
fi
echo "$v"
