// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * pmp-trace's usage, --help/--version, and its output file: written to a
 * temporary file and renamed only when the run succeeded (tool.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tool.h"

static const char help_text[] =
	"usage: pmp-trace record [-o FILE] [--allow-drops] -- COMMAND [ARG...]\n"
	"       pmp-trace import [-o FILE] [--layout TRACE [--clock CLOCK]] [--tgid N]\n"
	"                        [--allow-drops] [TEXT...]\n"
	"       pmp-trace stats TRACE...\n"
	"       pmp-trace --help | --version\n"
	"record: run COMMAND and record its KVM MMU events through BPF (root)\n"
	"import: convert tracefs text (events kvmmmu/*, kvm/*) to a trace\n"
	"stats:  check traces and print their events per type\n"
	"Inputs may be gzip-compressed; '-' is stdin.  See pmp-trace(1).\n";

int usage(void)
{
	fputs(help_text, stderr);
	return 2;
}

bool help_or_version(int argc, char **argv, int *status)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(help_text, stdout);
			*status = 0;
			return true;
		}
		if (!strcmp(argv[i], "--version")) {
			printf("pmp-trace %s\n", PMP_TOOLS_VERSION);
			*status = 0;
			return true;
		}
	}
	return false;
}

/* The output goes to a temporary file beside @path, renamed only on success. */
static char *tmp_path;

FILE *open_output(const char *path)
{
	size_t n;
	FILE *f;
	int fd;

	if (!path || !strcmp(path, "-"))
		return stdout;
	n = strlen(path) + 16;
	tmp_path = malloc(n);
	if (!tmp_path) {
		fprintf(stderr, "pmp-trace: %s: %s\n", path, strerror(ENOMEM));
		return NULL;
	}
	snprintf(tmp_path, n, "%s.tmpXXXXXX", path);
	fd = mkstemp(tmp_path);
	f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f) {
		fprintf(stderr, "pmp-trace: %s: %s\n", path, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp_path);
		}
		free(tmp_path);
		tmp_path = NULL;
	}
	return f;
}

int close_output(FILE *f, const char *path, bool keep)
{
	int bad = fflush(f) || ferror(f);

	if (f != stdout)
		bad |= fclose(f);
	if (bad)
		fprintf(stderr, "pmp-trace: writing %s failed\n", path ? path : "stdout");
	if (f != stdout && tmp_path) {
		/* mkstemp made it 0600: a trace is as readable as any file the user writes */
		mode_t um = umask(0);

		umask(um);
		if (!bad && keep && (chmod(tmp_path, 0666 & ~um) || rename(tmp_path, path))) {
			fprintf(stderr, "pmp-trace: %s: %s\n", path, strerror(errno));
			bad = 1;
		}
		if (bad || !keep)
			unlink(tmp_path);
		free(tmp_path);
		tmp_path = NULL;
	}
	return bad;
}

