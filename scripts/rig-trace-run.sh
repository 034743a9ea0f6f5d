#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Record mini VMM runs in the 6.12 rig (tests/rig) with `pmp-trace record`
# and tracefs at once (tests/trace/rig-record.sh) and bring the files out
# of the console into DEST: for run N (line N of RUNS, the mini VMM's
# arguments) N.args, N.pid, N.rec.trace, N.tracefs.txt.  The rig's verdict
# (with each recorder's report, RIG-RECORD lines) is printed; exit 1 when the rig fails.
#
# usage: scripts/rig-trace-run.sh RIG_OUT NAME PMP_TRACE MINI_VMM RUNS DEST
set -eu
usage="usage: rig-trace-run.sh RIG_OUT NAME PMP_TRACE MINI_VMM RUNS DEST"
rig_out=${1:?$usage}
name=${2:?$usage}
tool=${3:?$usage}
vmm=${4:?$usage}
runs=${5:?$usage}
dest=${6:?$usage}
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dest"
rm -f "$dest"/*.args "$dest"/*.pid "$dest"/*.rec.trace "$dest"/*.tracefs.txt
rc=0
# pmp-trace is dynamic (libbpf, libelf, libz): --bin brings its libraries.
"$top/tests/rig/rig.sh" run "$rig_out" "$name" --bin "$tool" --bin "$vmm" \
	--file "$runs:/rig/runs" --init "$top/tests/trace/rig-record.sh" --no-skip \
	> "$dest/rig.log" || rc=$?
log="$rig_out/$name/console.log"
cat "$dest/rig.log"
[ $rc = 0 ] || exit 1
# Each PMP-FILE block to its file.
tr -d '\r' < "$log" | awk -v dest="$dest" '
	/^PMP-FILE / { f = dest "/" $2 ".b64"; printf "" > f; next }
	/^PMP-END$/ { close(f); f = ""; next }
	f != "" { print >> f }'
for f in "$dest"/*.b64; do
	base64 -d "$f" | gzip -dc > "${f%.b64}"
	rm "$f"
done
