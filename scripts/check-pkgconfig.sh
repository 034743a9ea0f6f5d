#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# `make install` into a scratch DESTDIR, then build examples/eligibility.c
# out of tree with nothing but `pkg-config --cflags --libs pmem_policy`,
# shared and static, and run both.  Then the README's VMM snippet, with
# `pkg-config pmem_policy_vmm`, run where /dev/kvm is usable.
#
# usage: scripts/check-pkgconfig.sh WORKDIR   (MAKE, CC may be set)
set -eu
work=${1:?usage: check-pkgconfig.sh WORKDIR}
top=$(cd "$(dirname "$0")/.." && pwd)
cc=${CC:-cc}
rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
dest="$work/destdir"
fail() { echo "check-pkgconfig: FAIL: $*" >&2; exit 1; }

# The plain build: a static, sanitizer-free link is what users get.
${MAKE:-make} -s -C "$top" install SANITIZE= DESTDIR="$dest" PREFIX=/usr/local >/dev/null
# The tools and their man pages are installed with the libraries.
for t in pmp-replay pmp-trace pmp-demo pmp-mini-vmm; do
	[ -x "$dest/usr/local/bin/$t" ] || fail "make install did not install bin/$t"
	"$dest/usr/local/bin/$t" --version > /dev/null || fail "the installed $t does not run"
	[ -f "$dest/usr/local/share/man/man1/$t.1" ] || fail "make install did not install man1/$t.1"
	MANWIDTH=80 man -l "$dest/usr/local/share/man/man1/$t.1" 2> /dev/null | grep -q "^NAME" ||
		fail "the installed $t.1 does not render"
done
# ... and the library's own (section 3).
MANWIDTH=80 man -l "$dest/usr/local/share/man/man3/pmp_fault_map.3" 2> /dev/null |
	grep -q "^NAME" || fail "make install did not install a rendering man3/pmp_fault_map.3"
export PKG_CONFIG_PATH="$dest/usr/local/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$dest"
pkg-config --exists pmem_policy || fail "pkg-config does not find pmem_policy"
cflags=$(pkg-config --cflags pmem_policy)
libs=$(pkg-config --libs pmem_policy)

# Out of tree: a copy of the example, compiled away from the source tree.
cp "$top/examples/eligibility.c" "$work/"
cd "$work"
# shellcheck disable=SC2086
$cc -std=gnu11 -Wall -Werror $cflags eligibility.c $libs -o eligibility-shared
# shellcheck disable=SC2086
$cc -std=gnu11 -Wall -Werror $cflags eligibility.c -static $libs -o eligibility-static

LD_LIBRARY_PATH="$dest/usr/local/lib" ldd ./eligibility-shared | grep -q "$dest/usr/local/lib/libpmem_policy.so.0" ||
	fail "the shared example does not load the installed library"
LD_LIBRARY_PATH="$dest/usr/local/lib" ./eligibility-shared > shared.out
./eligibility-static > static.out
cmp -s shared.out static.out || fail "shared and static runs differ"
grep -q "gfn   0x40000: 2m (not larger: mixed_attrs)" shared.out ||
	fail "unexpected example output: $(cat shared.out)"
# The README's VMM snippet, exactly as printed there.
sed -n '/<!-- vmm-snippet/,/^```$/p' "$top/README.md" | sed '1,2d;$d' > vmm_snippet.c
[ "$(wc -l < vmm_snippet.c)" -gt 10 ] || fail "no VMM snippet found in README.md"
pkg-config --exists pmem_policy_vmm || fail "pkg-config does not find pmem_policy_vmm"
vmm_flags="$(pkg-config --cflags --libs pmem_policy_vmm)"
# shellcheck disable=SC2086
$cc -std=gnu11 -Wall -Werror vmm_snippet.c $vmm_flags -o vmm-snippet
# shellcheck disable=SC2086
$cc -std=gnu11 -Wall -Werror vmm_snippet.c -static $(pkg-config --cflags --libs --static pmem_policy_vmm) -o vmm-snippet-static
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	LD_LIBRARY_PATH="$dest/usr/local/lib" ./vmm-snippet > vmm.out || fail "the README's VMM snippet failed"
	grep -q '^guest_memfd ' vmm.out || fail "the VMM snippet printed no report: $(cat vmm.out)"
	vmm_note="README VMM snippet built and run"
else
	vmm_note="README VMM snippet built; not run: /dev/kvm is not usable here"
fi
echo "check-pkgconfig: OK (installed to a DESTDIR with 4 tools and their man pages; built with: $cflags $libs; shared and static agree; $vmm_note)"
