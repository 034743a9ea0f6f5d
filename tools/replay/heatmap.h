/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * pmp-replay --heatmap: like damo's `report heats`, guest physical address
 * (bands of 2 MiB ranges, RP_HEAT_ROWS at most) against the event index,
 * one panel per policy, each cell coloured by what most of the band's
 * mapped ranges were at that point: under a 2 MiB-or-larger leaf (huge),
 * split into 4 KiB leaves, blocked; a shaded bar marks pinned pages.
 * Rows no policy ever mapped are left out (a dashed line marks the gap),
 * so a VM's islands of memory fill the panel.  Needs a replay run with
 * rp_opts.heatmap.  Integer coordinates only.
 */
#ifndef PMP_REPLAY_HEATMAP_H
#define PMP_REPLAY_HEATMAP_H

#include <stdio.h>
#include "replay.h"

void heatmap_write(FILE *f, const char *title, const struct replay *r);

#endif /* PMP_REPLAY_HEATMAP_H */
