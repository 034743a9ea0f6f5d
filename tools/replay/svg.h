/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * pmp-replay: coverage over time as a hand-written SVG, one panel per
 * replay (two columns when there are several), one line per policy and a
 * dashed one for the oracle.  Integer coordinates only: the same replay
 * always writes the same bytes.  The x axis is the event index, with ticks
 * at round counts; each policy has its own colour, dash pattern and marker
 * shape, so lines that coincide stay visible; the legend, below the plot,
 * has room for the oracle and 16 policies.  Elements carry classes (curve,
 * legend-entry, x-tick, y-tick, title) that the tests check.
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

/* --- shared with the heatmap (heatmap.c) --- */

/* Character data: markup escaped, anything that is not UTF-8 text as U+FFFD. */
void svg_text(FILE *f, const char *s);
/* A round tick step (1, 2 or 5 times a power of ten) giving at most @max ticks up to @span. */
uint64_t svg_tick_step(uint64_t span, unsigned int max);
/* 0, 500, 1.5k, 20k, 1.25M: a tick label. */
char *svg_count(uint64_t v, char *buf, size_t size);
/*
 * x-axis ticks from 0 to @xmax events along [@x, @x + @w] at height @y, and
 * the axis title under them.
 */
void svg_x_axis(FILE *f, int x, int y, int w, uint64_t xmax, const char *title);

#endif /* PMP_REPLAY_SVG_H */
