#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Where pmp-replay's instructions go, from a callgrind output file.

usage: replay-profile.py CALLGRIND_OUT EVENTS LABEL

Prints one Markdown table row: LABEL, events, then instructions per event
in total, in the trace parser (calls from tools/ into pmp_trace_feed), in
the core (every other call from tools/ into libpmem_policy/, inclusive;
the merge tick and the final pmp_vm_check() also on their own), and the
rest (the replay engine: the leaf model, the oracle, coverage samples,
start-up and output).  Costs are the
calls' inclusive costs as callgrind records them at each call site, so a
core function calling another is counted once.
"""
import re
import sys


def main():
    path, events, label = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    names = {}          # (kind, id) -> name, callgrind's name compression
    total = parse = core = tick = check = 0
    fl = fn = cfl = cfn = None
    pending = None      # the callee of a calls= line: its next line is the cost

    def name(kind, value):
        m = re.match(r'\((\d+)\)(?: (.*))?$', value)
        if not m:
            return value
        if m.group(2) is not None:
            names[(kind, m.group(1))] = m.group(2)
        return names.get((kind, m.group(1)), value)

    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            line = line.rstrip('\n')
            key, _, value = line.partition('=')
            if key in ('fl', 'fi', 'fe'):
                file = name('fl', value)
                if key == 'fl':
                    fl = file
                continue
            if key == 'fn':
                fn = name('fn', value)
                cfl = None
                continue
            if key in ('cfi', 'cfl'):
                cfl = name('fl', value)
                continue
            if key == 'cfn':
                cfn = name('fn', value)
                continue
            if key == 'calls':
                pending = (fl, cfl if cfl is not None else fl, cfn)
                cfl = None
                continue
            if line.startswith(('summary:', 'totals:')):
                total = max(total, int(line.split()[1]))
                continue
            if pending is None or not line or not (line[0].isdigit() or line[0] in '+-*'):
                continue
            caller, callee_file, callee = pending
            pending = None
            cost = int(line.split()[-1])
            if '/tools/' not in caller or '/libpmem_policy/' not in callee_file:
                continue
            if callee in ('pmp_trace_feed', 'pmp_trace_feed_events'):
                parse += cost
            else:
                core += cost
                if callee == 'pmp_merge_tick':
                    tick += cost
                elif callee == 'pmp_vm_check':
                    check += cost
    if not total or not events:
        sys.exit(f'replay-profile.py: no totals or events in {path}')
    per = lambda x: f'{x / events:,.0f}'
    print(f'| `{label}` | {events:,} | {per(total)} | {per(parse)} | {per(core)} | '
          f'{per(tick)} | {per(check)} | {per(total - parse - core)} |')


if __name__ == '__main__':
    main()
