// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libFuzzer target: the trace parser.  The first byte picks a chunk size;
 * the rest is a trace.  Fed in chunks or whole, the parser must return the
 * same events and the same error (line, column, message); every event must
 * format to a line that parses back to it; an error's column lies in
 * [1, PMP_TRACE_MAX_LINE + 1].
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pmem_policy/trace.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_EVENTS 256

struct run {
	struct pmp_trace_event evs[MAX_EVENTS];
	size_t nr;
	int ret;
	struct pmp_trace_error err;
};

/* The formatted line of @ev parses back to @ev (after a header and a vm line). */
static void round_trip(const struct pmp_trace_event *ev)
{
	static const char pre[] = "pmp-trace 1\nvm type=default gfn_end=0x1 vcpus=1 vtls=1\n";
	char line[PMP_TRACE_MAX_LINE + 2];
	struct pmp_trace_parser p;
	struct pmp_trace_event back;
	/* A vm event follows the header alone; anything else needs the vm line too. */
	size_t pre_len = ev->type == PMP_TR_VM ? 12 : sizeof(pre) - 1;
	size_t used, off = 0;
	int len, ret;

	len = pmp_trace_format(ev, line, sizeof(line));
	if (len <= 0 || (size_t)len != strlen(line) || len > PMP_TRACE_MAX_LINE + 1)
		abort();

	pmp_trace_parser_init(&p);
	while (off < pre_len) {
		ret = pmp_trace_feed(&p, pre + off, pre_len - off, &used, &back, NULL);
		if (ret < 0)
			abort();
		off += used;
	}
	if (pmp_trace_feed(&p, line, (size_t)len, &used, &back, NULL) != 1 ||
	    used != (size_t)len || memcmp(&back, ev, sizeof(back)))
		abort();
}

static void parse(const char *text, size_t size, size_t chunk, struct run *r)
{
	struct pmp_trace_parser p;
	size_t off = 0, used;

	pmp_trace_parser_init(&p);
	r->nr = 0;
	r->ret = 0;
	memset(&r->err, 0, sizeof(r->err));
	while (off < size && r->nr < MAX_EVENTS) {
		size_t n = size - off < chunk ? size - off : chunk;

		r->ret = pmp_trace_feed(&p, text + off, n, &used, &r->evs[r->nr], &r->err);
		if (used > n)
			abort();
		off += used;
		if (r->ret < 0)
			return;
		r->nr += (size_t)r->ret;
	}
	while (r->nr < MAX_EVENTS) {
		r->ret = pmp_trace_feed(&p, NULL, 0, &used, &r->evs[r->nr], &r->err);
		if (r->ret <= 0)
			return;
		r->nr++;
	}
	r->ret = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run whole, part;
	size_t chunk, i;

	if (!size)
		return 0;
	chunk = (size_t)data[0] % 17 + 1;
	parse((const char *)data + 1, size - 1, size, &whole);
	parse((const char *)data + 1, size - 1, chunk, &part);
	if (whole.ret != part.ret || whole.nr != part.nr ||
	    memcmp(whole.evs, part.evs, whole.nr * sizeof(whole.evs[0])))
		abort();
	if (whole.ret < 0) {
		if (whole.ret != -22 || !whole.err.message || whole.err.column < 1 ||
		    whole.err.column > PMP_TRACE_MAX_LINE + 1 || whole.err.line < 1 ||
		    whole.err.line != part.err.line || whole.err.column != part.err.column ||
		    strcmp(whole.err.message, part.err.message))
			abort();
	}
	for (i = 0; i < whole.nr; i++)
		round_trip(&whole.evs[i]);
	return 0;
}
