// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * pmp-trace: record KVM MMU traces (libbpf), import them from tracefs
 * text, and check or count them.  The format: docs/trace-format.md.
 */
#include <errno.h>
#include <string.h>
#include "tool.h"

int usage(void)
{
	fprintf(stderr,
		"usage: pmp-trace record [-o FILE] -- COMMAND [ARG...]\n"
		"       pmp-trace import [-o FILE] [--layout TRACE [--clock mono]] [--tgid N] [TEXT]\n"
		"       pmp-trace stats TRACE...\n"
		"record: run COMMAND and record its KVM MMU events through BPF (root)\n"
		"import: convert tracefs text (events kvmmmu/*, kvm/*) to a trace\n"
		"stats:  check traces and print their events per type\n");
	return 2;
}

FILE *open_output(const char *path)
{
	FILE *f;

	if (!path || !strcmp(path, "-"))
		return stdout;
	f = fopen(path, "w");
	if (!f)
		fprintf(stderr, "pmp-trace: %s: %s\n", path, strerror(errno));
	return f;
}

int close_output(FILE *f, const char *path)
{
	int bad = fflush(f) || ferror(f);

	if (f != stdout)
		bad |= fclose(f);
	if (bad)
		fprintf(stderr, "pmp-trace: writing %s failed\n", path ? path : "stdout");
	return bad;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "record"))
		return cmd_record(argc - 1, argv + 1);
	if (!strcmp(argv[1], "import"))
		return cmd_import(argc - 1, argv + 1);
	if (!strcmp(argv[1], "stats"))
		return cmd_stats(argc - 1, argv + 1);
	return usage();
}
