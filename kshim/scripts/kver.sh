#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Print the newest Debian kernel ABI (e.g. 6.1.0-56-amd64) whose headers are
# installed; with --image, the newest that also has /boot/vmlinuz-KVER (the
# kernel check-kernel boots must match the headers the modules are built
# against).  Never hard-coded: security updates change the ABI number.
set -eu
need_image=0
[ "${1:-}" = "--image" ] && need_image=1
best=""
for d in /usr/src/linux-headers-*-amd64; do
	[ -d "$d" ] || continue
	v=${d#/usr/src/linux-headers-}
	if [ $need_image = 1 ] && [ ! -f "/boot/vmlinuz-$v" ]; then
		continue
	fi
	best="$best $v"
done
v=$(printf '%s\n' $best | sort -V | tail -n 1)
if [ -z "$v" ]; then
	what="linux-headers-*-amd64"
	[ $need_image = 1 ] && what="$what with a matching /boot/vmlinuz"
	echo "kver.sh: no $what installed" >&2
	exit 1
fi
echo "$v"
