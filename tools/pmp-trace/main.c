// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * pmp-trace: record KVM MMU traces (libbpf), import them from tracefs
 * text, and check or count them.  The format: docs/trace-format.md.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tool.h"

int main(int argc, char **argv)
{
	int status;

	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "--version"))
		return help_or_version(2, argv, &status) ? status : 2;
	if (!strcmp(argv[1], "record"))
		return cmd_record(argc - 1, argv + 1);
	if (!strcmp(argv[1], "import"))
		return cmd_import(argc - 1, argv + 1);
	if (!strcmp(argv[1], "stats"))
		return cmd_stats(argc - 1, argv + 1);
	fprintf(stderr, "pmp-trace: unknown command '%s'\n", argv[1]);
	return usage();
}
