#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Where the oracle's lead on a VTL-protection workload comes from
# (docs/policies.md, "The gaps to the oracle").  Reads a trace with only
# VTL 0 faults and protection changes in 2 MiB-aligned memslots (what
# `pmp-replay --workload vsm-boot --trace-out FILE` writes) and prints, as
# a share of guest memory averaged over one sample every 1,000 events:
#  - the 2 MiB ranges the oracle counts: touched, with uniform VTL 0
#    protections (this reproduces the oracle's mean on vsm-boot);
#  - those of them whose protections changed after the guest's last fault
#    there.  A change unmaps the changed page under every policy, so a huge
#    leaf there now needs a page the guest has not faulted on since: no
#    policy that maps on faults and promotes fully mapped ranges has it.
#
# usage: scripts/vtl-gap.py TRACE
import collections
import sys

SAMPLE = 1000


def main(path):
    prot = {}                                                # page -> VTL 0 prot if not rwx
    nonrwx = collections.defaultdict(collections.Counter)    # range -> pages per prot
    touched, last_fault, last_change = set(), {}, {}
    samples, events, pages = [], 0, 0
    for line in open(path):
        f = line.split()
        if not f or f[0] == 'pmp-trace':
            continue
        kv = dict(x.split('=', 1) for x in f[1:])
        if f[0] == 'slot-add':
            pages += int(kv['npages'], 16)
        if f[0] in ('vm', 'slot-add', 'teardown'):
            continue
        events += 1
        if f[0] == 'fault':
            r = int(kv['gfn'], 16) >> 9
            touched.add(r)
            last_fault[r] = events
        elif f[0] == 'vtl' and kv['vtl'] == '0':
            g = int(kv['gfn'], 16)
            for page in range(g, g + int(kv['npages'], 16)):
                r = page >> 9
                old = prot.pop(page, None)
                if old:
                    nonrwx[r][old] -= 1
                    if not nonrwx[r][old]:
                        del nonrwx[r][old]
                if kv['prot'] != 'rwx':
                    prot[page] = kv['prot']
                    nonrwx[r][kv['prot']] += 1
                last_change[r] = events
        if events % SAMPLE == 0:
            uniform = [r for r in touched if not nonrwx[r] or
                       (len(nonrwx[r]) == 1 and sum(nonrwx[r].values()) == 512)]
            stale = [r for r in uniform if last_change.get(r, 0) > last_fault[r]]
            samples.append((len(uniform), len(stale)))
    ranges = pages / 512
    mean = [sum(s[i] for s in samples) / len(samples) / ranges * 100 for i in (0, 1)]
    print("%d samples: the oracle's ranges %.2f%% of memory on average; changed since the "
          "guest's last fault there %.2f%%" % (len(samples), mean[0], mean[1]))


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit('usage: vtl-gap.py TRACE')
    main(sys.argv[1])
