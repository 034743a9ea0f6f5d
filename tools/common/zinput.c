// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A gzFile behind a FILE (zinput.h), through glibc's fopencookie(): the
 * readers keep using fread()/getc(); a plain regular file is a plain FILE.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "zinput.h"

static ssize_t zread(void *cookie, char *buf, size_t size)
{
	unsigned int want = size > (1U << 30) ? 1U << 30 : (unsigned int)size;
	int n = gzread((gzFile)cookie, buf, want);
	int zerr;

	if (n > 0)
		return n;
	/* a cut-short gzip stream ends with Z_BUF_ERROR: an error, not the end */
	gzerror((gzFile)cookie, &zerr);
	if (n == 0 && zerr == Z_OK)
		return 0;
	errno = zerr == Z_ERRNO ? errno : EIO;	/* Z_DATA_ERROR, Z_BUF_ERROR: corrupt or cut */
	return -1;
}

static int zclose(void *cookie)
{
	return gzclose_r((gzFile)cookie) == Z_OK ? 0 : EOF;
}

/*
 * A regular file that does not start with gzip's magic bytes: zlib would
 * pass it through, one copy more per byte, so stdio reads it itself.
 * Only a regular file is asked (pread(), which leaves the offset alone):
 * the first bytes of a pipe, once read, could not be given back.
 */
static bool plain_file(int fd)
{
	unsigned char magic[2];
	struct stat st;

	return !fstat(fd, &st) && S_ISREG(st.st_mode) &&
	       (pread(fd, magic, sizeof(magic), 0) != (ssize_t)sizeof(magic) ||
		magic[0] != 0x1f || magic[1] != 0x8b);
}

FILE *zinput_open(const char *path)
{
	static const cookie_io_functions_t io = { .read = zread, .close = zclose };
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : dup(STDIN_FILENO);
	gzFile gz;
	FILE *f;

	if (fd < 0)
		return NULL;
	if (plain_file(fd)) {
		f = fdopen(fd, "r");
		if (!f)
			close(fd);
		return f;
	}
	gz = gzdopen(fd, "rb");
	if (!gz) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	gzbuffer(gz, 1U << 17);
	f = fopencookie(gz, "r", io);
	if (!f) {
		gzclose_r(gz);
		errno = ENOMEM;
	}
	return f;
}

int output_check(const char *prog, const char *path)
{
	struct stat st;
	bool existed;
	int fd;

	if (!path || !strcmp(path, "-"))
		return 0;
	existed = !stat(path, &st);
	if (existed && S_ISDIR(st.st_mode)) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(EISDIR));
		return -1;
	}
	/* O_APPEND: a file that exists stays as it is until the tool writes it */
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
	if (fd < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return -1;
	}
	close(fd);
	if (!existed)
		unlink(path);	/* a run that fails later leaves nothing behind */
	return 0;
}
