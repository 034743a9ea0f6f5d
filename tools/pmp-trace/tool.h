/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* pmp-trace: the subcommands and what they share. */
#ifndef PMP_TRACE_TOOL_H
#define PMP_TRACE_TOOL_H

#include <stdio.h>

int usage(void);
/* stdout when @path is NULL or "-". */
FILE *open_output(const char *path);
/* Flush and close; non-zero (after a message) if anything failed. */
int close_output(FILE *f, const char *path);

struct pmp_trace_event;
/*
 * Parse trace @path ("-": stdin) with the library, calling @fn for every
 * event; -1 after printing FILE:LINE:COLUMN: MESSAGE, or if @fn returned
 * non-zero.
 */
int trace_for_each(const char *path, int (*fn)(const struct pmp_trace_event *ev, void *ctx),
		   void *ctx);

int cmd_import(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_stats(int argc, char **argv);

#endif /* PMP_TRACE_TOOL_H */
