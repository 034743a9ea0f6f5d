// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * pmp-trace stats: parse traces with the library's streaming parser (so
 * any error is FILE:LINE:COLUMN: MESSAGE) and print each one's events per
 * type, one "TYPE COUNT" line each, every type listed.
 */
#include <errno.h>
#include <string.h>
#include <pmem_policy/trace.h>
#include "tool.h"

int trace_for_each(const char *path, int (*fn)(const struct pmp_trace_event *ev, void *ctx),
		   void *ctx)
{
	struct pmp_trace_parser p;
	struct pmp_trace_event ev;
	struct pmp_trace_error err;
	static char buf[65536];
	size_t len, off, used;
	FILE *f = zinput_open(path);
	int ret = 0;

	if (!f) {
		fprintf(stderr, "pmp-trace: %s: %s\n", path, strerror(errno));
		return -1;
	}
	pmp_trace_parser_init(&p);
	do {
		/* Feed what was read until it is used up; a call with no data means the end. */
		len = fread(buf, 1, sizeof(buf), f);
		if (!len && ferror(f)) {
			/* not the end of input: a trace cut short must not pass for whole */
			fprintf(stderr, "%s:%llu:1: read error: %s\n", path,
				(unsigned long long)p.line, strerror(errno));
			ret = -EIO;
			break;
		}
		off = 0;
		do {
			ret = pmp_trace_feed(&p, buf + off, len - off, &used, &ev, &err);
			off += used;
			if (ret == 1)
				ret = fn(&ev, ctx) ? -ECANCELED : 0;
		} while (!ret && off < len);
	} while (len && !ret);
	while (!ret && !len) {
		ret = pmp_trace_feed(&p, NULL, 0, &used, &ev, &err);
		if (ret != 1)
			break;
		ret = fn(&ev, ctx) ? -ECANCELED : 0;
	}
	/* only the parser's own failures come with a place */
	if (ret == -EINVAL)
		fprintf(stderr, "%s:%llu:%u: %s\n", path, (unsigned long long)err.line, err.column,
			err.message);
	fclose(f);
	return ret ? -1 : 0;
}

static int count_one(const struct pmp_trace_event *ev, void *ctx)
{
	((unsigned long long *)ctx)[ev->type]++;
	return 0;
}

static int stats_one(const char *path)
{
	unsigned long long counts[PMP_TR_NR] = { 0 };
	unsigned int t;

	if (trace_for_each(path, count_one, counts))
		return 1;
	printf("# %s\n", path);
	for (t = 0; t < PMP_TR_NR; t++)
		printf("%s %llu\n", pmp_trace_type_name(t), counts[t]);
	return 0;
}

int cmd_stats(int argc, char **argv)
{
	int i, status = 0;

	if (help_or_version(argc, argv, &status))
		return status;
	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "pmp-trace: stats: %s: unknown option\n", argv[i]);
			return usage();
		}
	}
	if (argc < 2) {
		fprintf(stderr, "pmp-trace: stats: no trace given\n");
		return usage();
	}
	for (i = 1; i < argc; i++)
		status |= stats_one(argv[i]);
	return status;
}
