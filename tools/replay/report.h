/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * pmp-replay's output: the side-by-side table (metric rows, one column
 * per policy, at most 99 characters wide), JSON, and the compact
 * one-row-per-policy table of the demo.  Every figure is an integer, so
 * output is byte-identical for the same input on any machine.
 */
#ifndef PMP_REPLAY_REPORT_H
#define PMP_REPLAY_REPORT_H

#include <stdio.h>
#include "replay.h"

/* What was replayed, for titles: "tdx-boot" or a file name, and its knobs. */
struct rp_input {
	const char *name;
	bool workload;
	const char *params;	/* "key=value,..." or "" */
};

/* Mean over the samples of the coverage (hundredths of a percent). */
uint64_t report_mean_bp(const struct replay *r, int run);	/* run -1: the oracle */

/* "tdx, 4 GiB in 2 memslots, 8 vCPUs, 21,258 events" */
void report_describe(const struct replay *r, char *buf, size_t size);

void report_table(FILE *f, const struct rp_input *in, const struct replay *r);
void report_json(FILE *f, const struct rp_input *in, const struct replay *r);

/*
 * CSV (RFC 4180): a header "input,label,policy,METRIC..." with the JSON's
 * metric keys, then one row per policy and one for the oracle (its
 * coverage figures; the other fields empty).
 */
void report_csv(FILE *f, const struct rp_input *in, const struct replay *r);

/* The demo's compact table: a header row, then per input one block of rows. */
void report_compact_header(FILE *f);
void report_compact(FILE *f, const struct rp_input *in, const struct replay *r);

/* The policy with the best mean coverage (ties: fewest write-locked events). */
int report_best(const struct replay *r);

/* 12,345 (thousands separated); returns @buf. */
char *report_count(uint64_t v, char *buf, size_t size);

/*
 * The length (1 to 4) of the well-formed UTF-8 character @s starts with, or
 * 0 for a byte that starts none (stray, overlong, surrogate, past U+10FFFF).
 * JSON and SVG must be UTF-8, and a file name need not be: JSON strings and
 * SVG text write U+FFFD in place of such a byte.
 */
size_t report_utf8_len(const char *s);

#endif /* PMP_REPLAY_REPORT_H */
