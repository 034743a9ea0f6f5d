#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Boot 3 of check-kernel (rig fragment): the fault throughput of
# tests/kernel/throughput.sh in a rig booted with --icount, where the
# guest's clock counts emulated instructions, so demand_paging_test's own
# rate is a count of what the L1 kernel, KVM, the module and the L2 guest
# execute per fault, whatever the host's load.  512 MiB per vCPU: the
# test's fixed costs inside its timed window (thread start-up spins that
# last until the next scheduler tick) swing a 64 MiB run by +-5% even in
# guest time, a 256 MiB run by 1-4%, a 512 MiB run by about 1%
# (docs/kshim.md, Throughput, Session 11).
# shellcheck disable=SC2034  # read by the sourced throughput.sh
PMP_MIB=512
PMP_PAIRS=5
. /bin/pmp-throughput.sh
