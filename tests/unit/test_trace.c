// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The trace format: every event type formats and parses back; a trace fed
 * in chunks of every size (down to byte by byte) gives the same events as
 * fed whole; every error has its line, column and message; edge values.
 * And pmp-trace's importer and reader on hostile input: values no trace
 * can carry, overlong lines, NUL bytes, read errors, each named by
 * FILE:LINE:COLUMN and never turned into a trace that does not parse.
 */
#define _GNU_SOURCE	/* fopencookie(), for the importer's gzip input */
#include <stdio.h>
#include <unistd.h>
#include <pmem_policy/trace.h>
#include "helpers.h"

/* pmp-trace without its BPF recorder and main(): what the importer needs. */
#include "../../tools/common/zinput.c"
#include "../../tools/pmp-trace/convert.c"
#include "../../tools/pmp-trace/import.c"
#include "../../tools/pmp-trace/output.c"
#include "../../tools/pmp-trace/stats.c"

Suite *trace_suite(void);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define GFN_MAX (PMP_TRACE_GFN_LIMIT - 1)

/* ---- Helpers ---- */

/* Comment lines of more than 512 bytes: what precedes them is read unchecked. */
#define TAIL_LINE "# a comment long enough to read past any field, then more of it\n"
#define LONG_TAIL TAIL_LINE TAIL_LINE TAIL_LINE TAIL_LINE TAIL_LINE TAIL_LINE TAIL_LINE \
		  TAIL_LINE TAIL_LINE

/* Parse all of @text in chunks of @chunk bytes (0: whole); events into @evs. */
static int parse_text(const char *text, size_t chunk, struct pmp_trace_event *evs, size_t max,
		      size_t *nr, struct pmp_trace_error *err)
{
	struct pmp_trace_parser p;
	size_t len = strlen(text), off = 0, used;
	int ret;

	pmp_trace_parser_init(&p);
	*nr = 0;
	memset(err, 0, sizeof(*err));
	while (off < len) {
		size_t n = chunk && len - off > chunk ? chunk : len - off;
		size_t done = 0;

		while (done < n) {
			ret = pmp_trace_feed(&p, text + off + done, n - done, &used, &evs[*nr], err);
			ck_assert_uint_le(used, n - done);
			done += used;
			if (ret < 0)
				return ret;
			if (ret == 1) {
				ck_assert_uint_lt(*nr, max);
				(*nr)++;
			} else {
				ck_assert_uint_eq(done, n);
			}
		}
		off += n;
	}
	for (;;) {
		ret = pmp_trace_feed(&p, NULL, 0, &used, &evs[*nr], err);
		if (ret <= 0)
			return ret;
		(*nr)++;
	}
}

static struct pmp_trace_event ev_vm(uint32_t type, uint64_t gfn_end, uint32_t vcpus,
				    uint32_t vtls)
{
	struct pmp_trace_event e = { .type = PMP_TR_VM, .vm_type = type, .gfn_end = gfn_end,
				     .nr_vcpus = vcpus, .nr_vtls = vtls };
	return e;
}

/* ---- Round trips ---- */

/* One or more events of every type, edge values included. */
static const struct pmp_trace_event samples[] = {
	{ .type = PMP_TR_VM, .vm_type = PMP_VM_DEFAULT, .gfn_end = 1, .nr_vcpus = 1, .nr_vtls = 1 },
	{ .type = PMP_TR_VM, .vm_type = PMP_VM_TDX, .gfn_end = PMP_TRACE_GFN_LIMIT,
	  .nr_vcpus = 4096, .nr_vtls = 3, .time = ~0ULL },
	{ .type = PMP_TR_SLOT_ADD, .slot = 0, .gfn = 0, .npages = 1, .uaddr = 0 },
	{ .type = PMP_TR_SLOT_ADD, .slot = 0xffffffffU, .gfn = 0x100000, .npages = 0x40000,
	  .uaddr = 0x7f0000000000, .gmem_offset = 0x200000, .flags = PMP_SLOT_FLAGS_ALL,
	  .time = 12345 },
	{ .type = PMP_TR_SLOT_ADD, .slot = 3, .gfn = 0, .npages = PMP_TRACE_GFN_LIMIT,
	  .uaddr = 0xfffffffffffff000ULL, .flags = PMP_SLOT_READONLY },
	{ .type = PMP_TR_SLOT_DELETE, .slot = 7 },
	{ .type = PMP_TR_SLOT_MOVE, .slot = 1, .gfn = GFN_MAX },
	{ .type = PMP_TR_FAULT, .gfn = 0, .level = PMP_LEVEL_4K },
	{ .type = PMP_TR_FAULT, .gfn = GFN_MAX, .level = PMP_LEVEL_1G, .slot = 2, .vcpu = 4095,
	  .vtl = 2, .flags = PMP_FAULT_FLAGS_ALL, .time = 1 },
	{ .type = PMP_TR_FAULT, .gfn = 0x1234, .level = PMP_LEVEL_2M, .flags = PMP_FAULT_EXEC },
	{ .type = PMP_TR_SPTE, .gfn = 0, .level = PMP_LEVEL_1G },
	{ .type = PMP_TR_SPTE, .gfn = PMP_TRACE_GFN_LIMIT - GFNS_PER_1G, .level = PMP_LEVEL_1G },
	{ .type = PMP_TR_SPTE, .gfn = 0x200, .level = PMP_LEVEL_2M },
	{ .type = PMP_TR_SPTE, .gfn = GFN_MAX, .level = PMP_LEVEL_4K },
	{ .type = PMP_TR_CONVERT, .gfn = 0x10, .npages = 0x20, .flags = PMP_TR_PRIVATE },
	{ .type = PMP_TR_CONVERT, .gfn = 0, .npages = PMP_TRACE_GFN_LIMIT },
	{ .type = PMP_TR_PUNCH, .gfn = GFN_MAX, .npages = 1 },
	{ .type = PMP_TR_ACCEPT, .gfn = 0x40000, .level = PMP_LEVEL_1G },
	{ .type = PMP_TR_ACCEPT, .gfn = 0x3, .level = PMP_LEVEL_4K },
	{ .type = PMP_TR_VTL_PROT, .vtl = 1, .gfn = 0x5, .npages = 0x1, .prot = PMP_PROT_R },
	{ .type = PMP_TR_VTL_PROT, .vtl = 0, .gfn = 0x5, .npages = 0x1, .prot = 0 },
	{ .type = PMP_TR_VTL_PROT, .vtl = 2, .gfn = 0x5, .npages = 0x1, .prot = PMP_PROT_RWX },
	{ .type = PMP_TR_DIRTY_LOG, .slot = 1, .flags = PMP_TR_ON },
	{ .type = PMP_TR_DIRTY_LOG, .slot = 1 },
	{ .type = PMP_TR_ZAP, .gfn = 0, .npages = 0x200, .reason = PMP_ZAP_MMU_NOTIFIER },
	{ .type = PMP_TR_ZAP, .gfn = 0x200, .npages = 0x200, .reason = PMP_ZAP_TEARDOWN },
	{ .type = PMP_TR_ZAP, .gfn = 0x200, .npages = 0x200, .reason = PMP_ZAP_NR - 1 },
	{ .type = PMP_TR_TICK, .npages = 1 },
	{ .type = PMP_TR_TICK, .npages = 0xffffffffULL, .time = 99 },
	{ .type = PMP_TR_TEARDOWN },
	{ .type = PMP_TR_TEARDOWN, .time = 5 },
};

START_TEST(test_round_trip_every_type)
{
	bool covered[PMP_TR_NR] = { false };
	char text[4096], line[PMP_TRACE_MAX_LINE + 2];
	struct pmp_trace_event evs[4];
	struct pmp_trace_error err;
	unsigned int i, t;
	size_t nr;
	int len;

	for (i = 0; i < ARRAY_SIZE(samples); i++) {
		const struct pmp_trace_event *e = &samples[i];

		covered[e->type] = true;
		len = pmp_trace_format(e, line, sizeof(line));
		ck_assert_msg(len > 0, "sample %u does not format: %d", i, len);
		ck_assert_uint_eq((size_t)len, strlen(line));
		ck_assert_int_eq(line[len - 1], '\n');
		/* A VM line first, unless the sample is one; a teardown ends the trace. */
		snprintf(text, sizeof(text), "%s%s%s", pmp_trace_header(),
			 e->type == PMP_TR_VM ? "" : "vm type=default gfn_end=0x1 vcpus=1 vtls=1\n",
			 line);
		ck_assert_int_eq(parse_text(text, 0, evs, ARRAY_SIZE(evs), &nr, &err), 0);
		ck_assert_uint_eq(nr, e->type == PMP_TR_VM ? 1 : 2);
		ck_assert_msg(!memcmp(&evs[nr - 1], e, sizeof(*e)), "sample %u: %s", i, line);
		/*
		 * Followed by more text (the one-pass reader of canonical lines
		 * reads a field only with 16 bytes after it, and reads the line
		 * unchecked with 512 or more: t 2 and 3), and spelled with a tab
		 * before its newline (which only line_parse() takes).
		 */
		for (t = 0; t < 4; t++) {
			snprintf(text, sizeof(text), "%s%s%.*s%s%s", pmp_trace_header(),
				 e->type == PMP_TR_VM ? "" :
				 "vm type=default gfn_end=0x1 vcpus=1 vtls=1\n", len - 1, line,
				 t & 1 ? "\t\n" : "\n", t < 2 ? "# more text after the line\n" :
				 LONG_TAIL);
			ck_assert_int_eq(parse_text(text, 0, evs, ARRAY_SIZE(evs), &nr, &err), 0);
			ck_assert_uint_eq(nr, e->type == PMP_TR_VM ? 1 : 2);
			ck_assert_msg(!memcmp(&evs[nr - 1], e, sizeof(*e)), "sample %u (%u): %s", i,
				      t, line);
		}
	}
	for (t = 0; t < PMP_TR_NR; t++)
		ck_assert_msg(covered[t], "no sample of %s", pmp_trace_type_name(t));
}
END_TEST

/* Text in canonical form formats back byte for byte. */
static const char *const canonical[] = {
	"vm type=snp gfn_end=0x140000 vcpus=8 vtls=1\n",
	"slot-add slot=1 gfn=0x100000 npages=0x40000 uaddr=0x7f1200000000 gmem_offset=0x1000 "
	"flags=dirty-log|guest-memfd t=77\n",
	"slot-delete slot=1\n",
	"slot-move slot=1 gfn=0x200\n",
	"fault gfn=0x1234 level=2m slot=1 vcpu=3 vtl=1 flags=write|private\n",
	"spte gfn=0x1200 level=2m\n",
	"convert gfn=0x0 npages=0x200 to=private\n",
	"convert gfn=0x0 npages=0x200 to=shared\n",
	"punch gfn=0x7 npages=0x1\n",
	"accept gfn=0x200 level=2m\n",
	"vtl vtl=1 gfn=0x10 npages=0x8 prot=r-x\n",
	"dirty-log slot=0 state=on\n",
	"zap gfn=0x0 npages=0x40000 reason=slot-delete\n",
	"tick periods=3\n",
	"teardown t=1000000000\n",
};

START_TEST(test_canonical_text)
{
	struct pmp_trace_event ev;
	struct pmp_trace_parser p;
	struct pmp_trace_error err;
	char out[PMP_TRACE_MAX_LINE + 2];
	unsigned int i;
	size_t used;

	pmp_trace_parser_init(&p);
	ck_assert_int_eq(pmp_trace_feed(&p, "pmp-trace 1\n", 12, &used, &ev, &err), 0);
	for (i = 0; i < ARRAY_SIZE(canonical); i++) {
		size_t n = strlen(canonical[i]);

		ck_assert_int_eq(pmp_trace_feed(&p, canonical[i], n, &used, &ev, &err), 1);
		ck_assert_uint_eq(used, n);
		ck_assert_int_eq(pmp_trace_format(&ev, out, sizeof(out)), (int)n);
		ck_assert_str_eq(out, canonical[i]);
	}
}
END_TEST

/* Non-canonical spellings parse to the same event as the canonical one. */
START_TEST(test_liberal_spellings)
{
	struct pmp_trace_event a[4], b[4];
	struct pmp_trace_error err;
	size_t na, nb;

	ck_assert_int_eq(parse_text("pmp-trace 1\nvm type=sev gfn_end=0x100 vcpus=2 vtls=1\n"
				    "fault gfn=0x12 level=4k slot=0 flags=write|exec\n", 0,
				    a, 4, &na, &err), 0);
	ck_assert_int_eq(parse_text("# leading comment\n\n  pmp-trace\t1   # the header\n"
				    "\tvm vtls=1 vcpus=0002 gfn_end=0x0000100 type=sev t=0\n"
				    "  # indented comment\n"
				    "fault flags=exec|write|exec slot=0 level=4k gfn=0X12 # c\n",
				    0, b, 4, &nb, &err), -EINVAL);
	/* 0X is not a hex prefix: the one spelling the format does not allow here. */
	ck_assert_str_eq(err.message, "bad number (expected 0x and hex digits)");
	ck_assert_int_eq(parse_text("# leading comment\n\n  pmp-trace\t1   # the header\n"
				    "\tvm vtls=1 vcpus=0002 gfn_end=0x0000100 type=sev t=0\n"
				    "  # indented comment\n"
				    "fault flags=exec|write|exec slot=0 level=4k gfn=0x0012 # c", 0,
				    b, 4, &nb, &err), 0);
	ck_assert_uint_eq(na, 2);
	ck_assert_uint_eq(nb, 2);
	ck_assert_mem_eq(a, b, 2 * sizeof(a[0]));
	/* leading zeros do not count toward the 16 digits (docs/trace-format.md) */
	ck_assert_int_eq(parse_text("pmp-trace 1\nvm type=sev gfn_end=0x100 vcpus=2 vtls=1\n"
				    "fault gfn=0x00000000000000000000000012 level=4k slot=0 "
				    "flags=write|exec\n", 0, b, 4, &nb, &err), 0);
	ck_assert_mem_eq(a, b, 2 * sizeof(a[0]));
}
END_TEST

/* ---- Chunked feeding ---- */

static const char long_trace[] =
	"# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause\n"
	"# a trace exercising every event type, comments and blank lines\n"
	"pmp-trace 1\n"
	"\n"
	"vm type=tdx gfn_end=0x100000 vcpus=4 vtls=2 t=0\n"
	"slot-add slot=0 gfn=0x0 npages=0x80000 uaddr=0x7f0000000000 flags=guest-memfd t=10\n"
	"slot-add slot=1 gfn=0x80000 npages=0x80000 uaddr=0x7f8000000000 t=11\n"
	"convert gfn=0x0 npages=0x80000 to=private t=12\n"
	"fault gfn=0x1 level=2m slot=0 vcpu=1 flags=private t=20\n"
	"accept gfn=0x0 level=2m t=21\n"
	"spte gfn=0x0 level=2m t=22\n"
	"   # a comment between events\n"
	"fault gfn=0x80001 level=1g slot=1 vcpu=3 vtl=1 flags=write|exec t=30\n"
	"spte gfn=0x80001 level=4k t=31\n"
	"vtl vtl=1 gfn=0x80000 npages=0x10 prot=r-- t=32\n"
	"punch gfn=0x80004 npages=0x4 t=33\n"
	"dirty-log slot=1 state=on t=40\n"
	"zap gfn=0x80000 npages=0x200 reason=dirty-log t=41\n"
	"dirty-log slot=1 state=off t=42\n"
	"tick periods=60 t=50\n"
	"slot-move slot=1 gfn=0xc0000 t=60\n"
	"slot-delete slot=1 t=61\n"
	"teardown t=70\n"
	"# only comments after teardown\n"
	"\n";

START_TEST(test_chunks_equal_whole)
{
	struct pmp_trace_event whole[32], part[32];
	struct pmp_trace_error err;
	size_t nw, np, chunk;

	ck_assert_int_eq(parse_text(long_trace, 0, whole, 32, &nw, &err), 0);
	ck_assert_uint_eq(nw, 18);
	ck_assert_uint_eq(whole[0].type, PMP_TR_VM);
	ck_assert_uint_eq(whole[nw - 1].type, PMP_TR_TEARDOWN);
	for (chunk = 1; chunk <= sizeof(long_trace); chunk++) {
		ck_assert_int_eq(parse_text(long_trace, chunk, part, 32, &np, &err), 0);
		ck_assert_uint_eq(np, nw);
		ck_assert_msg(!memcmp(whole, part, nw * sizeof(whole[0])), "chunk %zu", chunk);
	}
}
END_TEST

/*
 * Lines of @text that hold an event (after the header, neither blank nor a
 * comment), 1-based, into @lines: the line each event must be reported on.
 */
static size_t event_lines(const char *text, uint64_t *lines, size_t max)
{
	uint64_t line = 1;
	size_t nr = 0;
	bool header = false;
	const char *s;

	for (s = text; *s; line++) {
		const char *t = s + strspn(s, " \t"), *nl = strchr(s, '\n');

		if (*t && *t != '\n' && *t != '#') {
			if (header) {
				ck_assert_uint_lt(nr, max);
				lines[nr++] = line;
			}
			header = true;
		}
		if (!nl)
			break;
		s = nl + 1;
	}
	return nr;
}

/*
 * pmp_trace_feed_events() of @text in chunks of @chunk bytes (0: whole), at
 * most @batch events a call: its events into @evs, each one's line (the
 * parser's line less the events after it in the same call) into @lines.
 */
static int parse_batches(const char *text, size_t chunk, unsigned int batch,
			 struct pmp_trace_event *evs, uint64_t *lines, size_t max, size_t *nr,
			 struct pmp_trace_error *err)
{
	struct pmp_trace_parser p;
	size_t len = strlen(text), off = 0, used;
	int ret, i;

	pmp_trace_parser_init(&p);
	*nr = 0;
	memset(err, 0, sizeof(*err));
	for (;;) {
		size_t n = chunk && len - off > chunk ? chunk : len - off, done = 0;

		do {
			ck_assert_uint_le(*nr + batch, max);
			ret = pmp_trace_feed_events(&p, text + off + done, n - done, &used,
						    &evs[*nr], batch, err);
			if (ret < 0)
				return ret;	/* an error is the first thing a call reports */
			ck_assert_uint_le(used, n - done);
			ck_assert_int_le(ret, (int)batch);
			done += used;
			for (i = 0; i < ret; i++)
				lines[*nr + (size_t)i] = p.line - (uint64_t)ret + (uint64_t)i;
			*nr += (size_t)ret;
		} while (done < n || (!n && ret > 0));
		if (!n)
			return 0;
		off += n;
	}
}

/*
 * Many events a call: the events pmp_trace_feed() gives, each on its own
 * line, for every batch size and chunk size, comments and general
 * spellings between them; the same error at the same place, with the
 * events before it; bad arguments refused.
 */
START_TEST(test_feed_events)
{
	static const char *const texts[] = {
		long_trace,
		"pmp-trace 1\nvm type=sev gfn_end=0x100 vcpus=2 vtls=1\n"
		"fault gfn=0x12 level=4k slot=0\nfault gfn=0x13 level=4k slot=0\n"
		"fault  gfn=0x14 level=4k slot=0\n# c\nfault gfn=0x15 level=4k slot=0\n"
		"fault gfn=0x16 level=4k slot=0 # c\nfault gfn=0x17 level=4k slot=0\n"
		"fault gfn=0x18 level=4k slot=0",
		"pmp-trace 1\nvm type=sev gfn_end=0x100 vcpus=2 vtls=1\n"
		"fault gfn=0x12 level=4k slot=0\nfault gfn=0x13 level=4k slot=0\n"
		"fault gfn=0x14 level=4k slot=0\nfault gfn=0x15 level=4kk slot=0\n",
	};
	static const unsigned int batches[] = { 1, 2, 3, 7, 64 };
	struct pmp_trace_event want[64], got[64 + 64];
	struct pmp_trace_error want_err, err;
	struct pmp_trace_parser p;
	uint64_t lines[64], got_lines[64 + 64];
	size_t t, b, chunk, nw, ng, nl;
	int want_ret, ret;

	for (t = 0; t < ARRAY_SIZE(texts); t++) {
		want_ret = parse_text(texts[t], 0, want, 64, &nw, &want_err);
		nl = event_lines(texts[t], lines, 64);
		ck_assert_uint_eq(nl, nw + (want_ret < 0));
		for (b = 0; b < ARRAY_SIZE(batches); b++) {
			for (chunk = 0; chunk <= strlen(texts[t]); chunk += chunk < 16 ? 1 : 7) {
				ret = parse_batches(texts[t], chunk, batches[b], got, got_lines,
						    ARRAY_SIZE(got), &ng, &err);
				ck_assert_msg(ret == want_ret && ng == nw,
					      "text %zu batch %u chunk %zu: %d, %zu events", t,
					      batches[b], chunk, ret, ng);
				ck_assert_mem_eq(got, want, nw * sizeof(want[0]));
				ck_assert_mem_eq(got_lines, lines, nw * sizeof(lines[0]));
				if (ret < 0) {
					ck_assert_uint_eq(err.line, want_err.line);
					ck_assert_uint_eq(err.column, want_err.column);
					ck_assert_str_eq(err.message, want_err.message);
				}
			}
		}
	}
	ck_assert_int_eq(want_ret, -EINVAL);
	ck_assert_uint_eq(err.line, 6);
	pmp_trace_parser_init(&p);
	ck_assert_int_eq(pmp_trace_feed_events(&p, "\n", 1, &nl, got, 0, &err), -EINVAL);
	ck_assert_int_eq(pmp_trace_feed_events(&p, "\n", 1, &nl, got, 0x80000000U, &err), -EINVAL);
	ck_assert_int_eq(pmp_trace_feed_events(&p, "\n", 1, &nl, NULL, 1, &err), -EINVAL);
	ck_assert_int_eq(pmp_trace_feed_events(&p, NULL, 1, &nl, got, 1, &err), -EINVAL);
	ck_assert_int_eq(pmp_trace_feed_events(NULL, "\n", 1, &nl, got, 1, &err), -EINVAL);
	ck_assert_int_eq(pmp_trace_feed_events(&p, "\n", 1, NULL, got, 1, &err), -EINVAL);
	/* none of those touched the parser */
	ck_assert_uint_eq(p.line, 1);
	ck_assert_int_eq(pmp_trace_feed_events(&p, "\n", 1, &nl, got, 0x7fffffffU, &err), 0);
	ck_assert_uint_eq(p.line, 2);
}
END_TEST

/* The last line needs no newline; a line of exactly 255 bytes is fine, split anywhere. */
START_TEST(test_last_line_and_longest_line)
{
	char text[1024], line[PMP_TRACE_MAX_LINE + 1];
	struct pmp_trace_event evs[4];
	struct pmp_trace_error err;
	size_t nr, chunk, n;

	n = (size_t)snprintf(line, sizeof(line), "tick periods=1 #");
	memset(line + n, 'c', PMP_TRACE_MAX_LINE - n);
	line[PMP_TRACE_MAX_LINE] = '\0';
	snprintf(text, sizeof(text), "pmp-trace 1\nvm type=default gfn_end=0x1 vcpus=1 vtls=1\n%s",
		 line);
	for (chunk = 0; chunk <= 300; chunk += chunk < 20 ? 1 : 37) {
		ck_assert_int_eq(parse_text(text, chunk, evs, 4, &nr, &err), 0);
		ck_assert_uint_eq(nr, 2);
		ck_assert_uint_eq(evs[1].type, PMP_TR_TICK);
	}
	strcat(text, "c\n");	/* 256 bytes */
	for (chunk = 0; chunk <= 300; chunk += chunk < 20 ? 1 : 37) {
		ck_assert_int_eq(parse_text(text, chunk, evs, 4, &nr, &err), -EINVAL);
		ck_assert_uint_eq(err.line, 3);
		ck_assert_uint_eq(err.column, 256);
		ck_assert_str_eq(err.message, "line too long (more than 255 bytes)");
	}
}
END_TEST

/* ---- Errors ---- */

struct bad {
	const char *text;	/* after "pmp-trace 1\nvm ...\n" unless @raw */
	bool raw;
	uint64_t line;
	uint32_t column;
	const char *message;
};

#define VM "vm type=default gfn_end=0x100000 vcpus=2 vtls=2\n"
#define PRE "pmp-trace 1\n" VM

static const struct bad bads[] = {
	/* The header. */
	{ "", true, 1, 1, "no header (empty trace)" },
	{ "# only a comment\n\n", true, 3, 1, "no header (empty trace)" },
	{ "pmp-trace 1\n", true, 2, 1, "missing vm line" },
	{ "pmp-trace 1\n# c\n", true, 3, 1, "missing vm line" },
	{ VM, true, 1, 1, "event before header (expected pmp-trace 1)" },
	{ "pmp-trace\n", true, 1, 10, "missing version after pmp-trace" },
	{ "pmp-trace # 1\n", true, 1, 14, "missing version after pmp-trace" },
	{ "pmp-trace 2\n", true, 1, 11, "unsupported version (this library reads 1)" },
	{ "pmp-trace 0\n", true, 1, 11, "unsupported version (this library reads 1)" },
	{ "pmp-trace 1x\n", true, 1, 11, "bad version number" },
	{ "pmp-trace 99999999999999999999\n", true, 1, 11, "bad version number" },
	{ "pmp-trace 1 2\n", true, 1, 13, "trailing garbage after the header" },
	{ "pmp-trace  1\npmp-trace 1\n", true, 2, 1, "header repeated" },
	{ "pmp-trace-1\n", true, 1, 1, "event before header (expected pmp-trace 1)" },
	/* Bytes. */
	{ "pmp-trace 1\r\n", true, 1, 12, "carriage return (lines end with a newline alone)" },
	{ "pmp-trace 1\n\x01\n", true, 2, 1, "control character" },
	{ "pmp-trace 1\n# caf\xc3\xa9\n", true, 2, 6, "non-ASCII byte" },
	{ "pmp-trace 1\n#\x7f\n", true, 2, 2, "control character" },
	/* Order of events. */
	{ "pmp-trace 1\nfault gfn=0x0 level=4k slot=0\n", true, 2, 1,
	  "missing vm line (the first event must be vm)" },
	{ VM, false, 3, 1, "duplicate vm line" },
	{ "teardown\n# fine\n  spte gfn=0x0 level=4k\n", false, 5, 3, "event after teardown" },
	{ "teardown\nteardown\n", false, 4, 1, "event after teardown" },
	/* Keywords and fields. */
	{ "faults gfn=0x0\n", false, 3, 1, "unknown keyword" },
	{ "Fault gfn=0x0\n", false, 3, 1, "unknown keyword" },
	/* a keyword and more: what ends it is the first field's space, or the newline */
	{ "fault=gfn=0x0 level=4k slot=0\n", false, 3, 1, "unknown keyword" },
	{ "accepts gfn=0x0 level=4k\n", false, 3, 1, "unknown keyword" },
	{ "vtls vtl=0 gfn=0x0 npages=0x1 prot=rwx\n", false, 3, 1, "unknown keyword" },
	{ "ticks periods=1\n", false, 3, 1, "unknown keyword" },
	{ "teardowns\n", false, 3, 1, "unknown keyword" },
	{ "teardown# x\n", false, 3, 1, "unknown keyword" },
	{ "fault\n", false, 3, 6, "missing field gfn" },
	{ "fault gfn=0x0 level=4k slot=0 write\n", false, 3, 31, "expected key=value" },
	{ "fault gfn=0x0 level=4k slot=0 npages=0x1\n", false, 3, 31,
	  "unknown field for this event" },
	{ "fault gfn=0x0 level=4k slot=0 =1\n", false, 3, 31, "unknown field for this event" },
	{ "teardown gfn=0x0\n", false, 3, 10, "unknown field for this event" },
	{ "fault gfn=0x0 level=4k gfn=0x1 slot=0\n", false, 3, 24, "duplicate field" },
	{ "spte gfn=0x0 level=4k t=1 t=2\n", false, 3, 27, "duplicate field" },
	{ "fault level=4k slot=0\n", false, 3, 22, "missing field gfn" },
	{ "fault gfn=0x0 slot=0 # level=4k\n", false, 3, 32, "missing field level" },
	{ "slot-add slot=0 gfn=0x0 npages=0x1\n", false, 3, 35, "missing field uaddr" },
	{ "vtl vtl=0 gfn=0x0 npages=0x1\n", false, 3, 29, "missing field prot" },
	{ "zap gfn=0x0 npages=0x1\n", false, 3, 23, "missing field reason" },
	{ "convert gfn=0x0 npages=0x1\n", false, 3, 27, "missing field to" },
	{ "dirty-log slot=0\n", false, 3, 17, "missing field state" },
	{ "tick\n", false, 3, 5, "missing field periods" },
	{ "slot-delete\n", false, 3, 12, "missing field slot" },
	{ "pmp-trace 1\nvm type=tdx vcpus=1 vtls=1\n", true, 2, 27, "missing field gfn_end" },
	/* Numbers. */
	{ "spte gfn=1234 level=4k\n", false, 3, 10, "bad number (expected 0x and hex digits)" },
	{ "spte gfn=0x level=4k\n", false, 3, 10, "bad number (expected 0x and hex digits)" },
	{ "spte gfn= level=4k\n", false, 3, 10, "bad number (expected 0x and hex digits)" },
	{ "spte gfn=0x12g level=4k\n", false, 3, 10, "bad number (expected 0x and hex digits)" },
	{ "spte gfn=-0x1 level=4k\n", false, 3, 10, "bad number (expected 0x and hex digits)" },
	{ "spte gfn=0x10000000000000000 level=4k\n", false, 3, 10, "number overflows 64 bits" },
	{ "fault gfn=0x0 level=4k slot=0x1\n", false, 3, 29, "bad number (expected decimal digits)" },
	{ "fault gfn=0x0 level=4k slot=\n", false, 3, 29, "bad number (expected decimal digits)" },
	{ "fault gfn=0x0 level=4k slot=+1\n", false, 3, 29, "bad number (expected decimal digits)" },
	{ "tick periods=18446744073709551616\n", false, 3, 14, "number overflows 64 bits" },
	{ "spte gfn=0x0 level=4k t=18446744073709551616\n", false, 3, 25,
	  "number overflows 64 bits" },
	/* Ranges. */
	{ "spte gfn=0x10000000000 level=4k\n", false, 3, 10,
	  "gfn out of range (at most 0xffffffffff)" },
	{ "punch gfn=0x0 npages=0x0\n", false, 3, 22, "npages out of range (0x1 to 0x10000000000)" },
	{ "punch gfn=0x0 npages=0x10000000001\n", false, 3, 22,
	  "npages out of range (0x1 to 0x10000000000)" },
	{ "punch gfn=0xffffffffff npages=0x2\n", false, 3, 31,
	  "range runs past the 52-bit guest physical space" },
	{ "zap npages=0x2 gfn=0xffffffffff reason=recycle\n", false, 3, 12,
	  "range runs past the 52-bit guest physical space" },
	{ "fault gfn=0x0 level=4k slot=4294967296\n", false, 3, 29,
	  "slot out of range (0 to 4294967295)" },
	{ "fault gfn=0x0 level=4k slot=0 vcpu=4096\n", false, 3, 36,
	  "vcpu out of range (0 to 4095)" },
	{ "fault gfn=0x0 level=4k slot=0 vtl=3\n", false, 3, 35, "vtl out of range (0 to 2)" },
	{ "tick periods=0\n", false, 3, 14, "periods out of range (1 to 4294967295)" },
	{ "tick periods=4294967296\n", false, 3, 14, "periods out of range (1 to 4294967295)" },
	{ "pmp-trace 1\nvm type=default gfn_end=0x0 vcpus=1 vtls=1\n", true, 2, 25,
	  "gfn_end out of range (0x1 to 0x10000000000)" },
	{ "pmp-trace 1\nvm type=default gfn_end=0x1 vcpus=0 vtls=1\n", true, 2, 35,
	  "vcpus out of range (1 to 4096)" },
	/* KVM_MAX_VCPUS, the core's limit: a trace the core cannot run does not parse */
	{ "pmp-trace 1\nvm type=default gfn_end=0x1 vcpus=4097 vtls=1\n", true, 2, 35,
	  "vcpus out of range (1 to 4096)" },
	{ "pmp-trace 1\nvm type=default gfn_end=0x1 vcpus=65536 vtls=1\n", true, 2, 35,
	  "vcpus out of range (1 to 4096)" },
	{ "pmp-trace 1\nvm type=default gfn_end=0x1 vcpus=1 vtls=4\n", true, 2, 42,
	  "vtls out of range (1 to 3)" },
	{ "slot-add slot=0 gfn=0x0 npages=0x1 uaddr=0x1001\n", false, 3, 42,
	  "uaddr not 4 KiB aligned" },
	{ "slot-add slot=0 gfn=0x0 npages=0x1 uaddr=0x0 gmem_offset=0x800\n", false, 3, 58,
	  "gmem_offset not 4 KiB aligned" },
	/* Named values. */
	{ "spte gfn=0x0 level=3\n", false, 3, 20, "bad level (expected 4k, 2m or 1g)" },
	{ "spte gfn=0x0 level=4K\n", false, 3, 20, "bad level (expected 4k, 2m or 1g)" },
	{ "spte gfn=0x0 level=512g\n", false, 3, 20, "bad level (expected 4k, 2m or 1g)" },
	{ "spte gfn=0x100 level=2m\n", false, 3, 10, "gfn not aligned to its level" },
	{ "accept gfn=0x200 level=1g\n", false, 3, 12, "gfn not aligned to its level" },
	{ "pmp-trace 1\nvm type=sev-es gfn_end=0x1 vcpus=1 vtls=1\n", true, 2, 9,
	  "bad vm type (expected default, sev, snp or tdx)" },
	{ "zap gfn=0x0 npages=0x1 reason=oom\n", false, 3, 31,
	  "bad zap reason (expected mmu-notifier, slot-move, slot-delete, recycle, "
	  "nx-toggle, dirty-log or teardown)" },
	{ "convert gfn=0x0 npages=0x1 to=secret\n", false, 3, 31,
	  "bad value for to (expected private or shared)" },
	{ "dirty-log slot=0 state=1\n", false, 3, 24, "bad value for state (expected on or off)" },
	{ "vtl vtl=0 gfn=0x0 npages=0x1 prot=wrx\n", false, 3, 35,
	  "bad prot (expected r or -, w or -, x or -, as in r-x)" },
	{ "vtl vtl=0 gfn=0x0 npages=0x1 prot=rw\n", false, 3, 35,
	  "bad prot (expected r or -, w or -, x or -, as in r-x)" },
	{ "fault gfn=0x0 level=4k slot=0 flags=write|\n", false, 3, 37,
	  "bad fault flags (expected write, exec, private joined by '|')" },
	{ "fault gfn=0x0 level=4k slot=0 flags=guest-memfd\n", false, 3, 37,
	  "bad fault flags (expected write, exec, private joined by '|')" },
	{ "slot-add slot=0 gfn=0x0 npages=0x1 uaddr=0x0 flags=write\n", false, 3, 52,
	  "bad slot flags (expected dirty-log, readonly, guest-memfd joined by '|')" },
	{ "fault gfn=0x0 level=4k slot=0 flags=\n", false, 3, 37,
	  "bad fault flags (expected write, exec, private joined by '|')" },
	/* A name, then more: the names are matched in place, so their ends too. */
	{ "fault gfn=0x0 level=4kk slot=0\n", false, 3, 21, "bad level (expected 4k, 2m or 1g)" },
	{ "convert gfn=0x0 npages=0x1 to=privatex\n", false, 3, 31,
	  "bad value for to (expected private or shared)" },
	{ "fault gfn=0x0 level=4k slot=0 flags=write|execx\n", false, 3, 37,
	  "bad fault flags (expected write, exec, private joined by '|')" },
	{ "fault gfn=0x0 level=4k slot=0 flags=write|\n", false, 3, 37,
	  "bad fault flags (expected write, exec, private joined by '|')" },
	{ "vtl vtl=1 gfn=0x0 npages=0x1 prot=r-xr\n", false, 3, 35,
	  "bad prot (expected r or -, w or -, x or -, as in r-x)" },
	{ "fault gfn=0x10000000000000000 level=4k slot=0\n", false, 3, 11,
	  "number overflows 64 bits" },
};

/*
 * Each bad trace as it is and, for @_i past the table, followed by comment
 * lines of more than 512 bytes (a line with text after it is read by the
 * one-pass reader of canonical lines first, unchecked with that much): the
 * same line, column and message.
 */
START_TEST(test_errors)
{
	const struct bad *b = &bads[_i % ARRAY_SIZE(bads)];
	bool more = _i >= (int)ARRAY_SIZE(bads);
	struct pmp_trace_event evs[8];
	struct pmp_trace_error err;
	char text[2048];
	size_t len, nr, chunk;

	if (more && (b->raw || !*b->text || b->text[strlen(b->text) - 1] != '\n'))
		return;	/* header, bytes, a last line with no newline: no line after */
	snprintf(text, sizeof(text), "%s%s%s", b->raw ? "" : PRE, b->text,
		 more ? LONG_TAIL : "");
	len = strlen(text);
	for (chunk = 0; chunk <= 7; chunk++) {
		struct pmp_trace_parser p;
		size_t off = 0, used;
		int ret = 0;

		pmp_trace_parser_init(&p);
		memset(&err, 0, sizeof(err));
		nr = 0;
		while (off < len) {
			size_t n = chunk && len - off > chunk ? chunk : len - off;

			ret = pmp_trace_feed(&p, text + off, n, &used, &evs[nr % 8], &err);
			if (ret < 0)
				break;
			nr += (size_t)ret;
			off += used;
		}
		while (ret >= 0) {
			ret = pmp_trace_feed(&p, NULL, 0, &used, &evs[nr % 8], &err);
			if (ret == 0)
				break;
			nr += ret > 0;
		}
		ck_assert_msg(ret == -EINVAL, "case %d (%s) chunk %zu: %d", _i, b->text, chunk, ret);
		ck_assert_msg(err.line == b->line && err.column == b->column,
			      "case %d (%s) chunk %zu: line %llu column %u, wanted %llu:%u", _i,
			      b->text, chunk, (unsigned long long)err.line, err.column,
			      (unsigned long long)b->line, b->column);
		ck_assert_str_eq(err.message, b->message);
		/* The parser stays refused. */
		ck_assert_int_eq(pmp_trace_feed(&p, "teardown\n", 9, &used, &evs[0], &err), -EINVAL);
		ck_assert_str_eq(err.message, "an earlier line was refused");
	}
}
END_TEST

/*
 * Hex numbers, read eight digits at a time while 512 bytes are there and a
 * byte at a time on the last lines: 1 to 16 digits, either case, the bytes
 * beside the digits' and letters' ranges after them.  Each uaddr (page
 * aligned: it ends in 000) as it is and followed by LONG_TAIL: the same
 * value, or the same message at the same column.
 */
struct number_case {
	const char *digits;
	uint64_t value;			/* if no @message */
	const char *message;		/* at the value's first digit's column... */
	uint32_t column;		/* ...or here, if not 0 */
};

/* The first digit at column 42. */
static const struct number_case hex_cases[] = {
	{ "0", 0, NULL, 0 },
	{ "1000", 0x1000, NULL, 0 },
	{ "abcdef000", 0xabcdef000ULL, NULL, 0 },
	{ "ABCDEF000", 0xabcdef000ULL, NULL, 0 },
	{ "aBcDeF000", 0xabcdef000ULL, NULL, 0 },
	{ "1234567000", 0x1234567000ULL, NULL, 0 },		/* 10 digits */
	{ "12345000", 0x12345000ULL, NULL, 0 },			/* 8: one word */
	{ "123456789000", 0x123456789000ULL, NULL, 0 },		/* 12 */
	{ "fedcba9876543000", 0xfedcba9876543000ULL, NULL, 0 },	/* 16: two words */
	{ "FFFFFFFFFFFFF000", 0xfffffffffffff000ULL, NULL, 0 },
	{ "a5000", 0xa5000, NULL, 0 },				/* 5 to 7: shifts */
	{ "9b1000", 0x9b1000, NULL, 0 },
	{ "c7e3000", 0xc7e3000, NULL, 0 },
	{ "abcdef12000", 0xabcdef12000ULL, NULL, 0 },		/* 11, 13 to 15 */
	{ "9a8b7c6d5e000", 0x9a8b7c6d5e000ULL, NULL, 0 },
	{ "1234567890a000", 0x1234567890a000ULL, NULL, 0 },
	{ "fedcba987654000", 0xfedcba987654000ULL, NULL, 0 },
	{ "0000000000000000000001000", 0x1000, NULL, 0 },	/* 25 digits */
	{ "10000000000000000", 0, "number overflows 64 bits", 0 },
	{ "", 0, "bad number (expected 0x and hex digits)", 0 },
	{ "1000/", 0, "bad number (expected 0x and hex digits)", 0 },
	{ "1000:", 0, "bad number (expected 0x and hex digits)", 0 },
	{ "1000@", 0, "bad number (expected 0x and hex digits)", 0 },
	{ "1000G", 0, "bad number (expected 0x and hex digits)", 0 },
	{ "1000`", 0, "bad number (expected 0x and hex digits)", 0 },
	{ "1000g", 0, "bad number (expected 0x and hex digits)", 0 },
	{ "12345678g", 0, "bad number (expected 0x and hex digits)", 0 },
	{ "fedcba9876543000g", 0, "bad number (expected 0x and hex digits)", 0 },
	{ "1000\x90", 0, "non-ASCII byte", 48 },
	{ "1000\xb1", 0, "non-ASCII byte", 48 },
	{ "1000\xe6", 0, "non-ASCII byte", 48 },
	{ "1001", 0, "uaddr not 4 KiB aligned", 0 },
};

/*
 * One-digit hex numbers, which the fast path reads as a byte when a byte
 * below '0' follows (a page count of 0x1): a digit or not, followed by
 * what ends a field and by bytes below '0' that do not.  Each line read
 * whole with 512 bytes after it (unchecked), whole (checked), and a byte
 * at a time (the general reader): the same event, or the same message at
 * the same column; and the values wanted.
 */
static const struct one_digit_case {
	const char *digits;
	uint64_t npages;	/* 0: refused */
} one_digit_cases[] = {
	{ "1", 1 }, { "9", 9 }, { "a", 10 }, { "f", 15 }, { "F", 15 }, { "1 ", 1 },
	{ "0", 0 }, { "g", 0 }, { "G", 0 }, { "/", 0 }, { "", 0 }, { " 1", 0 },
	{ "1-", 0 }, { "1|", 0 }, { "1/", 0 }, { "1#", 0 }, { "1!", 0 }, { "1\t", 1 },
	{ "1 t=5", 1 }, { "1 t=", 0 },
};

START_TEST(test_hex_one_digit)
{
	const struct one_digit_case *c = &one_digit_cases[_i];
	struct pmp_trace_event evs[3][4];
	struct pmp_trace_error err[3];
	char text[2048];
	size_t nr[3], way;
	int ret[3];

	for (way = 0; way < 3; way++) {
		snprintf(text, sizeof(text), PRE "punch gfn=0x0 npages=0x%s\n%s", c->digits,
			 way == 0 ? LONG_TAIL : "");
		ret[way] = parse_text(text, way == 2 ? 1 : 0, evs[way], 4, &nr[way], &err[way]);
	}
	for (way = 0; way < 3; way++) {
		ck_assert_msg(ret[way] == (c->npages ? 0 : -EINVAL), "0x%s way %zu: %d (%s)",
			      c->digits, way, ret[way], err[way].message);
		if (!c->npages) {
			ck_assert_uint_eq(err[way].line, err[2].line);
			ck_assert_msg(err[way].column == err[2].column, "0x%s way %zu: column %u, not %u",
				      c->digits, way, err[way].column, err[2].column);
			ck_assert_str_eq(err[way].message, err[2].message);
			continue;
		}
		ck_assert_uint_eq(nr[way], 2);
		ck_assert_uint_eq(evs[way][1].type, PMP_TR_PUNCH);
		ck_assert_uint_eq(evs[way][1].npages, c->npages);
	}
}
END_TEST

START_TEST(test_hex_numbers)
{
	const char *digits = hex_cases[_i / 2].digits, *message = hex_cases[_i / 2].message;
	uint32_t column = hex_cases[_i / 2].column ? hex_cases[_i / 2].column : 42;
	bool tail = _i % 2;
	struct pmp_trace_event evs[4];
	struct pmp_trace_error err;
	char text[2048];
	size_t nr;
	int ret;

	snprintf(text, sizeof(text), PRE "slot-add slot=0 gfn=0x0 npages=0x1 uaddr=0x%s\n%s",
		 digits, tail ? LONG_TAIL : "");
	ret = parse_text(text, 0, evs, 4, &nr, &err);
	if (message) {
		ck_assert_msg(ret == -EINVAL, "0x%s: %d", digits, ret);
		ck_assert_uint_eq(err.line, 3);
		ck_assert_msg(err.column == column, "0x%s: column %u", digits, err.column);
		ck_assert_str_eq(err.message, message);
		return;
	}
	ck_assert_msg(ret == 0, "0x%s: %d (%s)", digits, ret, err.message);
	ck_assert_uint_eq(nr, 2);
	ck_assert_uint_eq(evs[1].type, PMP_TR_SLOT_ADD);
	ck_assert_uint_eq(evs[1].uaddr, hex_cases[_i / 2].value);
}
END_TEST

/*
 * Decimal numbers, the first digit read before the loop on the one-pass
 * reader: 1 to 20 digits, the bytes beside '0' and '9' first and after a
 * digit, the field's bound and 64 bits.  Each slot as it is and followed by
 * LONG_TAIL, fed whole and in chunks of 1 and 7 bytes (the number straddles
 * them): the same value, or the same message at the same column.
 */
/* The first digit at column 29. */
static const struct number_case dec_cases[] = {
	{ "0", 0, NULL, 0 },
	{ "7", 7, NULL, 0 },
	{ "9", 9, NULL, 0 },
	{ "10", 10, NULL, 0 },
	{ "305", 305, NULL, 0 },
	{ "4294967295", 4294967295ULL, NULL, 0 },
	{ "0000000000000000042", 42, NULL, 0 },			/* 19 digits */
	{ "00000000000000000042", 42, NULL, 0 },		/* 20 */
	{ "4294967296", 0, "slot out of range (0 to 4294967295)", 0 },
	{ "18446744073709551615", 0, "slot out of range (0 to 4294967295)", 0 },
	{ "18446744073709551616", 0, "number overflows 64 bits", 0 },
	{ "", 0, "bad number (expected decimal digits)", 0 },
	{ "/", 0, "bad number (expected decimal digits)", 0 },
	{ ":", 0, "bad number (expected decimal digits)", 0 },
	{ "1/", 0, "bad number (expected decimal digits)", 0 },
	{ "1:", 0, "bad number (expected decimal digits)", 0 },
	{ "0x1", 0, "bad number (expected decimal digits)", 0 },
	{ "-1", 0, "bad number (expected decimal digits)", 0 },
	{ "12a", 0, "bad number (expected decimal digits)", 0 },
	{ "1\x90", 0, "non-ASCII byte", 30 },
};

START_TEST(test_dec_numbers)
{
	static const size_t chunks[] = { 0, 1, 7 };
	const struct number_case *nc = &dec_cases[_i / 2];
	uint32_t column = nc->column ? nc->column : 29;
	bool tail = _i % 2;
	struct pmp_trace_event evs[4];
	struct pmp_trace_error err;
	char text[2048];
	size_t nr, c;
	int ret;

	snprintf(text, sizeof(text), PRE "fault gfn=0x0 level=4k slot=%s\n%s", nc->digits,
		 tail ? LONG_TAIL : "");
	for (c = 0; c < ARRAY_SIZE(chunks); c++) {
		ret = parse_text(text, chunks[c], evs, 4, &nr, &err);
		if (nc->message) {
			ck_assert_msg(ret == -EINVAL, "%s chunk %zu: %d", nc->digits, chunks[c], ret);
			ck_assert_uint_eq(err.line, 3);
			ck_assert_msg(err.column == column, "%s chunk %zu: column %u", nc->digits,
				      chunks[c], err.column);
			ck_assert_str_eq(err.message, nc->message);
			continue;
		}
		ck_assert_msg(ret == 0, "%s chunk %zu: %d (%s)", nc->digits, chunks[c], ret,
			      err.message);
		ck_assert_uint_eq(nr, 2);
		ck_assert_uint_eq(evs[1].type, PMP_TR_FAULT);
		ck_assert_uint_eq(evs[1].slot, nc->value);
	}
}
END_TEST

START_TEST(test_nul_byte)
{
	static const char text[] = "pmp-trace 1\nvm\0 type=default\n";
	struct pmp_trace_parser p;
	struct pmp_trace_event ev;
	struct pmp_trace_error err;
	size_t used;

	pmp_trace_parser_init(&p);
	ck_assert_int_eq(pmp_trace_feed(&p, text, sizeof(text) - 1, &used, &ev, &err), -EINVAL);
	ck_assert_uint_eq(err.line, 2);
	ck_assert_uint_eq(err.column, 3);
	ck_assert_str_eq(err.message, "NUL byte");
}
END_TEST

/*
 * The line scan reads eight bytes a step: a refused byte at every offset
 * of a line, with the line at every alignment, fed whole and in small
 * chunks, is found at its own column with its own message; a byte >= 0x7f
 * or a tab in the word holding the newline does not hide either.
 */
static int feed_all(const char *text, size_t len, size_t chunk, struct pmp_trace_error *err)
{
	struct pmp_trace_parser p;
	struct pmp_trace_event ev;
	size_t off = 0, used;
	int ret, events = 0;

	pmp_trace_parser_init(&p);
	while (off < len) {
		size_t n = chunk && len - off > chunk ? chunk : len - off;

		ret = pmp_trace_feed(&p, text + off, n, &used, &ev, err);
		if (ret < 0)
			return ret;
		events += ret;
		off += used;
	}
	while ((ret = pmp_trace_feed(&p, NULL, 0, &used, &ev, err)) > 0)
		events++;
	return ret < 0 ? ret : events;
}

START_TEST(test_bytes_every_offset)
{
	static const char line[] = "fault gfn=0x1234 level=4k slot=0 vcpu=1 flags=write|private";
	static const struct { unsigned char c; const char *message; } refused[] = {
		{ 0x00, "NUL byte" }, { 0x01, "control character" },
		{ '\r', "carriage return (lines end with a newline alone)" },
		{ 0x1f, "control character" }, { 0x7f, "control character" },
		{ 0x80, "non-ASCII byte" }, { 0xff, "non-ASCII byte" },
	};
	struct pmp_trace_error err;
	char text[512];
	size_t pad, k, r, chunk, len, at;

	for (pad = 0; pad < 8; pad++) {
		/* a comment line of @pad bytes shifts the event line's alignment */
		at = (size_t)snprintf(text, sizeof(text), "%s#%.*s\n", PRE, (int)pad, "xxxxxxx");
		for (k = 0; k < sizeof(line) - 1; k++) {
			for (r = 0; r < ARRAY_SIZE(refused); r++) {
				len = at + (size_t)snprintf(text + at, sizeof(text) - at, "%s\n", line);
				text[at + k] = (char)refused[r].c;
				for (chunk = 0; chunk <= 3; chunk++) {
					memset(&err, 0, sizeof(err));
					ck_assert_int_eq(feed_all(text, len, chunk, &err), -EINVAL);
					ck_assert_uint_eq(err.line, 4);
					ck_assert_uint_eq(err.column, k + 1);
					ck_assert_str_eq(err.message, refused[r].message);
				}
			}
			/* a tab for a space parses the same; a tab in a value does not */
			len = at + (size_t)snprintf(text + at, sizeof(text) - at, "%s\n", line);
			if (line[k] == ' ') {
				text[at + k] = '\t';
				ck_assert_int_eq(feed_all(text, len, 0, &err), 2);
			}
		}
		/* the last byte before the newline refused: same word as the newline */
		len = at + (size_t)snprintf(text + at, sizeof(text) - at, "%s\x80\n", line);
		ck_assert_int_eq(feed_all(text, len, 0, &err), -EINVAL);
		ck_assert_uint_eq(err.column, sizeof(line));
		ck_assert_str_eq(err.message, "non-ASCII byte");
	}
}
END_TEST

START_TEST(test_after_eof)
{
	static const char text[] = PRE "teardown\n";
	struct pmp_trace_parser p;
	struct pmp_trace_event ev;
	struct pmp_trace_error err;
	size_t used;

	pmp_trace_parser_init(&p);
	ck_assert_int_eq(pmp_trace_feed(&p, text, sizeof(text) - 1, &used, &ev, &err), 1);
	ck_assert_int_eq(pmp_trace_feed(&p, text + used, sizeof(text) - 1 - used, &used, &ev,
					&err), 1);
	ck_assert_uint_eq(ev.type, PMP_TR_TEARDOWN);
	ck_assert_int_eq(pmp_trace_feed(&p, NULL, 0, &used, &ev, &err), 0);
	ck_assert_int_eq(pmp_trace_feed(&p, NULL, 0, &used, &ev, &err), 0);
	ck_assert_int_eq(pmp_trace_feed(&p, "\n", 1, &used, &ev, &err), -EINVAL);
	ck_assert_str_eq(err.message, "data after the end of input");
	ck_assert_uint_eq(err.line, 4);
	ck_assert_int_eq(pmp_trace_feed(NULL, "\n", 1, &used, &ev, &err), -EINVAL);
	ck_assert_int_eq(pmp_trace_feed(&p, NULL, 1, &used, &ev, &err), -EINVAL);
}
END_TEST

/* ---- The formatter ---- */

START_TEST(test_format_refuses)
{
	struct pmp_trace_event e, bad;
	char buf[PMP_TRACE_MAX_LINE + 2];
	int len;

	e = ev_vm(PMP_VM_SNP, 0x100, 1, 1);
	len = pmp_trace_format(&e, buf, sizeof(buf));
	ck_assert_str_eq(buf, "vm type=snp gfn_end=0x100 vcpus=1 vtls=1\n");
	/* Too small: -ENOSPC, still NUL-terminated; the length needed is len + 1. */
	ck_assert_int_eq(pmp_trace_format(&e, buf, (size_t)len), -ENOSPC);
	ck_assert_uint_eq(strlen(buf), (size_t)len - 1);
	ck_assert_int_eq(pmp_trace_format(&e, buf, 1), -ENOSPC);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(pmp_trace_format(&e, NULL, 0), -ENOSPC);
	ck_assert_int_eq(pmp_trace_format(&e, NULL, 1), -EINVAL);
	ck_assert_int_eq(pmp_trace_format(NULL, buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(pmp_trace_format(&e, buf, (size_t)len + 1), len);

	/* What no line can say. */
#define REFUSE(field, value) do { \
	bad = e; bad.field = value; \
	ck_assert_int_eq(pmp_trace_format(&bad, buf, sizeof(buf)), -EINVAL); \
} while (0)
	REFUSE(type, PMP_TR_NR);
	REFUSE(pad, 1);
	REFUSE(pad2, 1);
	REFUSE(vm_type, PMP_VM_NR);
	REFUSE(gfn_end, 0);
	REFUSE(gfn_end, PMP_TRACE_GFN_LIMIT + 1);
	REFUSE(nr_vtls, 4);
	REFUSE(gfn, 1);			/* not a field of vm */
	REFUSE(slot, 1);
	REFUSE(level, 1);
	REFUSE(prot, 1);
	e.type = PMP_TR_SPTE;
	e.vm_type = 0;
	e.gfn_end = 0;
	e.nr_vcpus = 0;
	e.nr_vtls = 0;
	e.level = PMP_LEVEL_2M;
	e.gfn = 0x200;
	ck_assert_int_eq(pmp_trace_format(&e, buf, sizeof(buf)), 24);
	REFUSE(level, 0);
	REFUSE(level, 4);
	REFUSE(gfn, 0x201);		/* not aligned */
	REFUSE(gfn, PMP_TRACE_GFN_LIMIT);
	REFUSE(npages, 1);		/* spte has no npages */
	REFUSE(flags, 1);
	e.type = PMP_TR_FAULT;
	REFUSE(flags, PMP_FAULT_FLAGS_ALL + 1);
	REFUSE(vtl, PMP_MAX_VTLS);
	e.type = PMP_TR_PUNCH;
	e.level = 0;
	e.npages = 1;
	ck_assert_int_gt(pmp_trace_format(&e, buf, sizeof(buf)), 0);
	REFUSE(npages, 0);
	REFUSE(npages, PMP_TRACE_GFN_LIMIT);	/* runs past the limit from 0x200 */
	e.type = PMP_TR_TICK;
	e.gfn = 0;
	ck_assert_int_gt(pmp_trace_format(&e, buf, sizeof(buf)), 0);
	REFUSE(npages, 0x100000000ULL);
	e.type = PMP_TR_SLOT_ADD;
	e.npages = 1;
	ck_assert_int_gt(pmp_trace_format(&e, buf, sizeof(buf)), 0);
	REFUSE(uaddr, 0x10);
	REFUSE(gmem_offset, 0x10);
	REFUSE(flags, PMP_SLOT_FLAGS_ALL + 1);
	e.type = PMP_TR_CONVERT;
	REFUSE(flags, 2);
	e.type = PMP_TR_ZAP;
	REFUSE(reason, PMP_ZAP_NR);
#undef REFUSE
}
END_TEST

START_TEST(test_names)
{
	unsigned int t;

	ck_assert_str_eq(pmp_trace_header(), "pmp-trace 1\n");
	for (t = 0; t < PMP_TR_NR; t++)
		ck_assert_str_ne(pmp_trace_type_name(t), "?");
	ck_assert_str_eq(pmp_trace_type_name(PMP_TR_VTL_PROT), "vtl");
	ck_assert_str_eq(pmp_trace_type_name(PMP_TR_NR), "?");
	ck_assert_str_eq(pmp_trace_type_name(~0U), "?");
}
END_TEST

/* ---- pmp-trace import and stats on hostile input ---- */

/* Run @fn(argc, argv) with stderr captured; what it printed, to free(). */
static char *captured(int (*fn)(int, char **), int argc, char **argv, int *ret)
{
	FILE *cap = tmpfile();
	int saved = dup(2);
	size_t n;
	char *buf;
	long len;

	ck_assert_ptr_nonnull(cap);
	fflush(stderr);
	ck_assert_int_ge(dup2(fileno(cap), 2), 0);
	*ret = fn(argc, argv);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	len = ftell(cap);
	buf = calloc((size_t)len + 1, 1);
	rewind(cap);
	n = fread(buf, 1, (size_t)len, cap);
	ck_assert_uint_eq(n, (size_t)len);
	fclose(cap);
	return buf;
}

static int count_events(const struct pmp_trace_event *ev, void *ctx)
{
	(void)ev;
	++*(unsigned int *)ctx;
	return 0;
}

/* Text into a new temporary file whose name is in @path. */
static void temp_file(char *path, const char *text, size_t len)
{
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
}

#define TASK "     qemu-101     (    100) [001] ...1.  50.000002: "

START_TEST(test_import_hostile)
{
	static const char *const wanted[] = {
		":1:8192: line too long (more than 8191 bytes)",
		":2:77: gfn past the 52-bit guest physical space",
		":3:71: gfn not aligned to its level",
		":4:69: vcpu out of range (0 to 4095, KVM_MAX_VCPUS)",
		":5:74: empty range",
		":6:12: NUL byte",
		":8:1: not a tracefs event line",	/* line numbers survive the long line */
	};
	char in[] = "/tmp/pmp-import-in-XXXXXX", out[] = "/tmp/pmp-import-out-XXXXXX";
	char *argv[] = { "import", "-o", out, in }, *text, *err;
	unsigned int i, events = 0;
	size_t len = 0;
	int ret;

	text = malloc(20000);
	memset(text, 'x', 9000);
	len = 9000;
	len += (size_t)sprintf(text + len,
		"\n" TASK "kvm_mmu_spte_requested: gfn 10000000000 pfn 5678 level 1\n"
		TASK "kvm_mmu_set_spte: gfn 1201 spte 8 (rwxu) level 2 at 1\n"
		TASK "kvm_page_fault: vcpu 70000 rip 0x1 address 0x1000 error_code 0x2\n"
		TASK "kvm_unmap_hva_range: mmu notifier unmap range: 0x2000 -- 0x2000\n"
		"   qemu-101%c  (    100) [001] ...1.  50.000002: kvm_mmu_zap_all_fast: x\n"
		TASK "kvm_mmu_spte_requested: gfn 1234 pfn 5678 level 2\n"
		"garbage\n", 0);
	temp_file(in, text, len);
	close(mkstemp(out));
	err = captured(cmd_import, 4, argv, &ret);
	ck_assert_int_eq(ret, 1);
	for (i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
		ck_assert_msg(strstr(err, wanted[i]), "no '%s%s' in:\n%s", in, wanted[i], err);
	/* a failed import writes no trace: the file is as it was (empty) */
	ck_assert_int_eq(trace_for_each(out, count_events, &events), -1);
	ck_assert_uint_eq(events, 0);
	free(err);
	free(text);
	unlink(in);
	unlink(out);
}
END_TEST

/* A read error is not the end of the input: the trace is refused, at FILE:LINE:1. */
START_TEST(test_stats_read_error)
{
	char *argv[] = { "stats", "/" }, *err;
	int ret;

	err = captured(cmd_stats, 2, argv, &ret);
	ck_assert_int_eq(ret, 1);
	ck_assert_msg(strstr(err, "/:1:1: read error: "), "%s", err);
	free(err);
}
END_TEST

/*
 * pmp-trace record's syscalls, as the BPF program hands them over (it cannot
 * be loaded on a host without BTF'd KVM): attribute changes become
 * conversions, punches of a memslot's guest_memfd become punches of its
 * frames, DONTNEEDs become mmu-notifier zaps when no kvm_unmap_hva_range
 * record covers them; a fault on a frame the attributes made private is
 * private, whatever its error code says (SW-protected VMs have no bit).
 */
START_TEST(test_convert_recorded_syscalls)
{
	static const struct pmp_raw raw[] = {
		{ .time = 100, .kind = RAW_CREATE_VM, .a = 0 },
		{ .time = 101, .kind = RAW_CREATE_VCPU, .a = 0 },
		{ .time = 102, .kind = RAW_CREATE_GMEM, .a = 1 << 30, .b = 7 },
		/* 8 MiB at gpa 1 GiB, from the file at 2 MiB; host memory at 0x7f0000000000 */
		{ .time = 103, .kind = RAW_MEMSLOT, .level = RAW_MEM_GUEST_MEMFD, .a = 1,
		  .b = 1ULL << 30, .c = 8 << 20, .d = 0x7f0000000000, .e = 2 << 20, .f = 7 },
		{ .time = 104, .kind = RAW_SET_ATTRS, .a = 1ULL << 30, .b = 4 << 20,
		  .c = RAW_MEMORY_ATTRIBUTE_PRIVATE },
		{ .time = 105, .kind = RAW_SPTE_REQUESTED, .a = 0x40010, .level = 1 },
		/* the file's [3 MiB, 3 MiB + 8 KiB): frames 0x40100..0x40101 */
		{ .time = 106, .kind = RAW_FALLOCATE, .a = 7, .b = 3 << 20, .c = 8192 },
		{ .time = 107, .kind = RAW_FALLOCATE, .a = 9, .b = 0, .c = 4096 },	/* not gmem */
		{ .time = 108, .kind = RAW_FALLOCATE, .a = 7, .b = 0, .c = 4096 },	/* no slot */
		{ .time = 109, .kind = RAW_MADVISE, .a = 0x7f0000200000, .b = 0x1000,
		  .c = RAW_MADV_DONTNEED },
		{ .time = 110, .kind = RAW_SET_ATTRS, .a = 1ULL << 30, .b = 4096, .c = 0 },
		/* private as the attributes say, with no PFERR_PRIVATE_ACCESS (SW-protected) */
		{ .time = 111, .kind = RAW_PAGE_FAULT, .a = 0, .b = 0x40001000, .c = 2 },
		{ .time = 112, .kind = RAW_SPTE_REQUESTED, .a = 0x40001, .level = 1 },
		{ .time = 113, .kind = RAW_SPTE_REQUESTED, .a = 0x40000, .level = 1 },
		{ .time = 114, .kind = RAW_SPTE_REQUESTED, .a = 0x40400, .level = 1 },
	};
	static const char *const want[] = {
		"vm type=default gfn_end=0x40800 vcpus=1 vtls=1",
		"slot-add slot=1 gfn=0x40000 npages=0x800 uaddr=0x7f0000000000 "
		"gmem_offset=0x200000 flags=guest-memfd t=3",
		"convert gfn=0x40000 npages=0x400 to=private t=4",
		"fault gfn=0x40010 level=4k slot=1 flags=private t=5",
		"punch gfn=0x40100 npages=0x2 t=6",
		"zap gfn=0x40200 npages=0x1 reason=mmu-notifier t=9",
		"convert gfn=0x40000 npages=0x1 to=shared t=10",
		"fault gfn=0x40001 level=4k slot=1 flags=write|private t=12",
		"fault gfn=0x40000 level=4k slot=1 t=13",
		"fault gfn=0x40400 level=4k slot=1 t=14",
		"teardown t=14",
	};
	static struct convert_opts o = { .layout = LAYOUT_MEMSLOT_IOCTLS };
	struct convert_stats st;
	FILE *in = tmpfile(), *out = tmpfile();
	char line[512];
	unsigned int i = 0;

	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(fwrite(raw, sizeof(raw[0]), ARRAY_SIZE(raw), in), ARRAY_SIZE(raw));
	ck_assert_int_eq(convert_run(in, &o, out, &st), 0);
	ck_assert_uint_eq(convert_drops(&st), 0);
	ck_assert_uint_eq(st.other_punches, 1);
	rewind(out);
	while (fgets(line, sizeof(line), out)) {
		if (line[0] == '#' || !strncmp(line, "pmp-trace ", 10))
			continue;
		line[strcspn(line, "\n")] = '\0';
		ck_assert_uint_lt(i, ARRAY_SIZE(want));
		ck_assert_str_eq(line, want[i]);
		i++;
	}
	ck_assert_uint_eq(i, ARRAY_SIZE(want));
	fclose(in);
	fclose(out);
}
END_TEST

Suite *trace_suite(void)
{
	Suite *s = suite_create("trace");
	TCase *tc = tcase_create("format");

	tcase_add_test(tc, test_round_trip_every_type);
	tcase_add_test(tc, test_canonical_text);
	tcase_add_test(tc, test_liberal_spellings);
	tcase_add_test(tc, test_chunks_equal_whole);
	tcase_add_test(tc, test_feed_events);
	tcase_add_test(tc, test_last_line_and_longest_line);
	tcase_add_loop_test(tc, test_errors, 0, 2 * (int)ARRAY_SIZE(bads));
	tcase_add_loop_test(tc, test_hex_numbers, 0, 2 * (int)ARRAY_SIZE(hex_cases));
	tcase_add_loop_test(tc, test_hex_one_digit, 0, (int)ARRAY_SIZE(one_digit_cases));
	tcase_add_loop_test(tc, test_dec_numbers, 0, 2 * (int)ARRAY_SIZE(dec_cases));
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_bytes_every_offset);
	tcase_add_test(tc, test_after_eof);
	tcase_add_test(tc, test_format_refuses);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_import_hostile);
	tcase_add_test(tc, test_stats_read_error);
	tcase_add_test(tc, test_convert_recorded_syscalls);
	suite_add_tcase(s, tc);
	return s;
}
