/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * pmp-replay: reading trace files through the core's streaming parser,
 * writing events as trace text, and a progress bar for long inputs.
 */
#ifndef PMP_REPLAY_TRACEIO_H
#define PMP_REPLAY_TRACEIO_H

#include <stdio.h>
#include "workload.h"

/* A progress bar on stderr; inactive (all calls no-ops) unless started. */
struct progress {
	bool on;
	uint64_t total, done;
	unsigned int shown;	/* percent last drawn */
};

/*
 * Draw a bar for @total units when stderr is a terminal and @total >= @large;
 * @total 0 (a pipe: the size is unknown) counts the bytes read instead.
 */
void progress_start(struct progress *p, uint64_t total, uint64_t large);
void progress_add(struct progress *p, uint64_t units);
void progress_end(struct progress *p);

/* What the comments and the shape of a trace say, for the tool's warnings. */
struct trace_marks {
	bool incomplete;	/* "# pmp-trace: lost=N" with N > 0: events are missing */
	bool tracefs;		/* the read failed on what looks like raw tracefs text */
	/* the scanner's state across chunks */
	bool mid_line;
	unsigned int matched;
};

/*
 * A sink of the events the parser returned in one call: @evs[i] is on line
 * @first_line + i of the trace (pmp_trace_feed_events()).  0, or an error
 * that stops the read.
 */
typedef int (*trace_batch_fn)(void *ctx, const struct pmp_trace_event *evs, unsigned int nr,
			      uint64_t first_line);

/*
 * Feed every event of the trace in @f to @sink, many a call.  0; -EINVAL
 * with @err "NAME:LINE:COLUMN: message" for a malformed trace; -EIO; or the
 * first error the sink returned (its own message is the sink's business).
 * @pg, if not NULL, advances by bytes read; @marks, if not NULL, is filled
 * from the bytes read.
 */
int trace_read_batches(FILE *f, const char *name, trace_batch_fn sink, void *ctx,
		       struct progress *pg, struct trace_marks *marks, char *err, size_t errlen);

/* trace_read_batches() with @sink called once an event, no marks. */
int trace_read(FILE *f, const char *name, wl_sink_fn sink, void *ctx, struct progress *pg,
	       char *err, size_t errlen);

/* A sink writing trace text: the header before the first event. */
struct trace_writer {
	FILE *f;
	bool started;
};

int trace_write(void *writer, const struct pmp_trace_event *ev);

#endif /* PMP_REPLAY_TRACEIO_H */
