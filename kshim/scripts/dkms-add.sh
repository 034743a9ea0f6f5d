#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Register pmem_policy.ko with DKMS: copy the sources it is built from into
# /usr/src/pmem_policy-VERSION (dkms.conf at the top) and run "dkms add".
# Then: dkms build pmem_policy/VERSION && dkms install pmem_policy/VERSION.
#
# usage: dkms-add.sh [SRCDIR]   (default /usr/src)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/kshim/dkms.conf")
dst=${1:-/usr/src}/pmem_policy-$ver
rm -rf "$dst"
mkdir -p "$dst/kshim" "$dst/tests"
cp "$top/kshim/dkms.conf" "$dst/"
cp -r "$top/kshim/Kbuild" "$top/kshim/Makefile" "$top/kshim/include" \
	"$top/kshim"/*.c "$top/kshim"/*.h "$dst/kshim/"
cp -r "$top/libpmem_policy" "$top/include" "$dst/"
cp -r "$top/tests/vectors" "$dst/tests/"
find "$dst" -name '*.o' -delete
echo "dkms-add: sources in $dst"
[ "${1:-/usr/src}" = /usr/src ] && dkms add "pmem_policy/$ver"
exit 0
