/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * pmp-replay: coverage over time as a hand-written SVG, one panel per
 * replay (two columns when there are several), one line per policy and a
 * dashed one for the oracle.  Integer coordinates only: the same replay
 * always writes the same bytes.
 */
#ifndef PMP_REPLAY_SVG_H
#define PMP_REPLAY_SVG_H

#include <stdio.h>
#include "replay.h"

struct svg_panel {
	const char *title;
	const struct replay *r;
};

void svg_write(FILE *f, const struct svg_panel *panels, unsigned int n);

#endif /* PMP_REPLAY_SVG_H */
