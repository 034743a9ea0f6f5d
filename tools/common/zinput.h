/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Inputs of the trace tools: a file or stdin, plain or gzip-compressed,
 * read through one stdio stream whichever it is (zlib decompresses a gzip
 * stream and passes anything else through unchanged; a regular file that
 * is not gzip is read by stdio alone), so every tool that reads a trace or
 * tracefs text reads `.gz` too.
 */
#ifndef PMP_TOOLS_ZINPUT_H
#define PMP_TOOLS_ZINPUT_H

#include <stdbool.h>
#include <stdio.h>

/*
 * Open @path ("-": stdin) for reading.  NULL with errno set if it cannot be
 * opened.  A read error of the compressed stream (corrupt or cut-short gzip)
 * sets the stream's error flag with errno EIO, never a quiet end of input.
 */
FILE *zinput_open(const char *path);

/* The version every tool prints for --version: the Makefile's VERSION. */
#ifndef PMP_TOOLS_VERSION
#define PMP_TOOLS_VERSION "unknown"
#endif

/*
 * Check that @path can be written before any work starts: it is created
 * (or opened for appending, leaving it as it was) and closed.  0, or -1
 * after "PROG: PATH: reason" on stderr.  "-" and NULL are stdout: always 0.
 */
int output_check(const char *prog, const char *path);

#endif /* PMP_TOOLS_ZINPUT_H */
