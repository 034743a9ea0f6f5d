/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* pmp-trace: the subcommands and what they share. */
#ifndef PMP_TRACE_TOOL_H
#define PMP_TRACE_TOOL_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include "../common/zinput.h"

/* The usage on stderr; returns 2, the exit status of a usage error. */
int usage(void);
/*
 * --help or --version among @argv[1..] (before any "--"): print it to stdout,
 * *@status = 0, true.
 */
bool help_or_version(int argc, char **argv, int *status);
/*
 * stdout when @path is NULL or "-"; otherwise a temporary file beside
 * @path, which close_output() renames to @path only if everything worked
 * and @keep: a failed run never leaves a complete-looking trace.
 */
FILE *open_output(const char *path);
/* Flush and close; non-zero (after a message) if anything failed. */
int close_output(FILE *f, const char *path, bool keep);

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
