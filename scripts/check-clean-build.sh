#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Issue 18 item 9: a plain `make` in a fresh clone builds the libraries,
# the tools and the demo, and never the kernel module: it runs as an
# unprivileged user (nobody, when we are root), with KSHIM_KVER naming
# kernel headers that do not exist, so any step reaching for kshim or root
# fails; and its dry run names no kernel build.  The clone is of HEAD: what
# is committed is what is tested.
#
# usage: scripts/check-clean-build.sh WORKDIR
set -eu
work=${1:?usage: check-clean-build.sh WORKDIR}
top=$(cd "$(dirname "$0")/.." && pwd)
fail() { echo "check-clean-build: FAIL: $*" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
git clone -q --no-hardlinks "$top" "$work/src" || fail "git clone"
cd "$work/src"
# a plain make, whatever the calling make was given (SANITIZE=1 travels in MAKEFLAGS)
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES SANITIZE
# the dry run: the default goal is `all`, with no kernel module in it
make -n > "$work/dry-run" 2>&1 || fail "make -n: $(tail -3 "$work/dry-run")"
grep -Eq 'kshim|kver\.sh|linux-headers|deps\.sh' "$work/dry-run" &&
	fail "a plain make reaches for the kernel module or packages: $(grep -Em3 'kshim|kver|linux-headers|deps' "$work/dry-run")"
as_user=""
if [ "$(id -u)" -eq 0 ]; then
	command -v setpriv > /dev/null || fail "setpriv is missing (util-linux)"
	chown -R 65534:65534 "$work"
	as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
fi
# shellcheck disable=SC2086
env HOME="$work" KSHIM_KVER=no-such-kernel $as_user make -j2 > "$work/build.log" 2>&1 ||
	fail "plain make failed: $(tail -5 "$work/build.log")"
for f in build/libpmem_policy.a build/libpmem_policy.so build/libpmem_policy_vmm.a \
	build/tools/pmp-replay build/tools/pmp-trace build/tools/pmp-demo \
	build/examples/pmp-mini-vmm; do
	[ -e "$f" ] || fail "plain make did not build $f"
done
[ ! -e kshim/pmem_policy.ko ] || fail "plain make built the kernel module"
echo "check-clean-build: OK: a plain make in a clone of HEAD${as_user:+, as nobody,} built the libraries, tools and demo, no kernel module"
