// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Trace files in and out (traceio.h).  Reading never holds more than one
 * buffer of the file: the core's parser keeps the partial line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "traceio.h"

#define CHUNK_BYTES 65536
/* Events the parser returns a call: a fault line is about 40 bytes, so a buffer holds ~1,600 */
#define BATCH_EVENTS 256
#define BAR 40

void progress_start(struct progress *p, uint64_t total, uint64_t large)
{
	p->on = (!total || total >= large) && isatty(STDERR_FILENO);
	p->total = total;
	p->done = 0;
	p->shown = ~0U;
}

void progress_add(struct progress *p, uint64_t units)
{
	unsigned int pct, i;

	if (!p || !p->on)
		return;
	p->done += units;
	if (!p->total) {
		/* a pipe: no total, so the amount read, every 16 MiB */
		if ((p->done >> 24) != p->shown) {
			p->shown = (unsigned int)(p->done >> 24);
			fprintf(stderr, "\r%llu MiB read", (unsigned long long)(p->done >> 20));
		}
		return;
	}
	pct = (unsigned int)(p->done >= p->total ? 100 : p->done * 100 / p->total);
	if (pct == p->shown)
		return;
	p->shown = pct;
	fputs("\r[", stderr);
	for (i = 0; i < BAR; i++)
		fputc(i < pct * BAR / 100 ? '#' : ' ', stderr);
	fprintf(stderr, "] %3u%%", pct);
}

void progress_end(struct progress *p)
{
	if (p && p->on && p->shown != ~0U)
		fputs("\r\033[K", stderr);	/* leave the terminal as it was */
	if (p)
		p->on = false;
}

static int parse_error(const char *name, const struct pmp_trace_error *e, char *err,
		       size_t errlen)
{
	snprintf(err, errlen, "%s:%llu:%u: %s", name, (unsigned long long)e->line, e->column,
		 e->message);
	return -EINVAL;
}

/*
 * Comment lines "# pmp-trace: lost=N" with N > 0 mark a trace incomplete.
 * Only a line that starts with '#' can be one, so the scan jumps from '#'
 * to '#' (memchr) and looks at the bytes before and after each: a buffer
 * of events costs a pass of memchr, not a step per byte or per line.
 * @m->mid_line: the last byte of the previous buffer was not a newline;
 * @m->matched: bytes of the prefix (and zeros after it) matched by a line
 * the previous buffer ended in, or 0.
 */
static void scan_marks(struct trace_marks *m, const char *buf, size_t n)
{
	static const char prefix[] = "# pmp-trace: lost=";
	const size_t plen = sizeof(prefix) - 1;
	size_t i = 0;

	if (!n)
		return;
	for (;;) {
		/* a candidate line from its '#' (or where the last buffer left it) */
		while (m->matched && i < n) {
			char c = buf[i];

			if (m->matched < plen && c == prefix[m->matched]) {
				m->matched++;
				i++;
				continue;
			}
			if (m->matched == plen && c == '0') {
				i++;	/* leading zeros */
				continue;
			}
			if (m->matched == plen && c >= '1' && c <= '9')
				m->incomplete = true;
			m->matched = 0;
		}
		if (i >= n)
			break;
		/* the next '#' that starts a line */
		for (;;) {
			const char *hash = memchr(buf + i, '#', n - i);

			if (!hash) {
				i = n;
				break;
			}
			i = (size_t)(hash - buf);
			if (i ? buf[i - 1] == '\n' : !m->mid_line) {
				m->matched = 1;
				i++;
				break;
			}
			i++;
		}
		if (i >= n)
			break;
	}
	m->mid_line = buf[n - 1] != '\n';
}

/* Raw tracefs text: its header, or a KVM event in the TASK-PID [CPU] form. */
static bool looks_tracefs(const char *buf, size_t n)
{
	return memmem(buf, n, "# tracer:", 9) || memmem(buf, n, ": kvm_", 6);
}

/*
 * trace_read_batches() less the tracefs test, which only an error needs:
 * the first buffer is read into @first (*@first_n bytes) and kept there
 * for it, the later ones into a buffer of their own (the parser keeps no
 * pointer into a buffer: a partial line is copied), so none is copied.
 */
static int read_chunks(FILE *f, const char *name, trace_batch_fn sink, void *ctx,
		       struct progress *pg, struct trace_marks *marks, char *first,
		       size_t *first_n, char *err, size_t errlen)
{
	static char later[CHUNK_BYTES];
	static struct pmp_trace_event evs[BATCH_EVENTS];
	struct pmp_trace_parser p;
	struct pmp_trace_error e;
	size_t n, pos, used;
	char *buf = first;
	int ret;

	pmp_trace_parser_init(&p);
	do {
		n = fread(buf, 1, CHUNK_BYTES, f);
		if (!n && ferror(f)) {
			snprintf(err, errlen, "%s:%llu:1: read error: %s", name,
				 (unsigned long long)p.line, strerror(errno));
			return -EIO;
		}
		if (buf == first)
			*first_n = n;
		/* traces are often stored compressed (tests/data): say so, not "non-ASCII" */
		if (buf == first && n >= 2 && (uint8_t)buf[0] == 0x1f && (uint8_t)buf[1] == 0x8b) {
			snprintf(err, errlen, "%s:1:1: gzip-compressed: replay it with "
				 "gzip -dc FILE | pmp-replay -", name);
			return -EINVAL;
		}
		if (marks)
			scan_marks(marks, buf, n);
		/* n == 0 is the end of input: the parser takes a last unterminated line */
		for (pos = 0; pos < n || !n;) {
			ret = pmp_trace_feed_events(&p, buf + pos, n - pos, &used, evs,
						    BATCH_EVENTS, &e);
			if (ret < 0)
				return parse_error(name, &e, err, errlen);
			pos += used;
			if (!ret && !n)
				break;
			if (!ret)
				continue;
			/* the events are on the lines before the parser's, one a line */
			ret = sink(ctx, evs, (unsigned int)ret, p.line - (uint64_t)ret);
			if (ret)
				return ret;
		}
		progress_add(pg, n);
		buf = later;
	} while (n);
	return 0;
}

int trace_read_batches(FILE *f, const char *name, trace_batch_fn sink, void *ctx,
		       struct progress *pg, struct trace_marks *marks, char *err, size_t errlen)
{
	static char first[CHUNK_BYTES];
	size_t first_n = 0;
	int ret = read_chunks(f, name, sink, ctx, pg, marks, first, &first_n, err, errlen);

	/* what the first buffer read looks like, for the hint on a trace refused */
	if (ret && marks)
		marks->tracefs = looks_tracefs(first, first_n);
	return ret;
}

/* trace_read()'s sink behind a trace_batch_fn. */
struct each_event {
	wl_sink_fn sink;
	void *ctx;
};

static int each_event(void *ctx, const struct pmp_trace_event *evs, unsigned int nr,
		      uint64_t first_line)
{
	const struct each_event *e = ctx;
	unsigned int i;
	int ret;

	(void)first_line;
	for (i = 0; i < nr; i++) {
		ret = e->sink(e->ctx, &evs[i]);
		if (ret)
			return ret;
	}
	return 0;
}

int trace_read(FILE *f, const char *name, wl_sink_fn sink, void *ctx, struct progress *pg,
	       char *err, size_t errlen)
{
	struct each_event e = { sink, ctx };

	return trace_read_batches(f, name, each_event, &e, pg, NULL, err, errlen);
}

int trace_write(void *writer, const struct pmp_trace_event *ev)
{
	struct trace_writer *w = writer;
	char line[PMP_TRACE_MAX_LINE + 2];
	int len;

	if (!w->started) {
		w->started = true;
		if (fputs(pmp_trace_header(), w->f) == EOF)
			return -EIO;
	}
	len = pmp_trace_format(ev, line, sizeof(line));
	if (len < 0)
		return len;
	return fwrite(line, 1, (size_t)len, w->f) == (size_t)len ? 0 : -EIO;
}
