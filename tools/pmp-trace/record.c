// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * pmp-trace record: run a command and record its KVM MMU events.
 *
 * The command is forked first and held on a pipe until the BPF programs
 * (record.bpf.c) are loaded with its pid as the target tgid and attached,
 * so no event of it is missed; then it execs.  Records are drained from
 * the ring buffer into a spool file until the command exits, then
 * converted (convert.c) into the trace.  Events the ring buffer could not
 * take are counted per kind by the BPF side and reported, on stderr and
 * in the trace, and make the exit status non-zero.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "convert.h"
#include "record.skel.h"
#include "tool.h"

struct spool {
	FILE *raw;
	uint64_t received;
};

static int on_record(void *ctx, void *data, size_t size)
{
	struct spool *s = ctx;

	if (size < sizeof(struct pmp_raw))
		return 0;
	fwrite(data, sizeof(struct pmp_raw), 1, s->raw);
	s->received++;
	return 0;
}

/* Sum a per-CPU counter array over CPUs and kinds. */
static uint64_t sum_counters(int map_fd, uint64_t per_kind[RAW_KIND_NR])
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t total = 0, *vals;
	uint32_t k;
	int c;

	if (ncpu <= 0)
		return 0;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return 0;
	for (k = 0; k < RAW_KIND_NR; k++) {
		per_kind[k] = 0;
		if (bpf_map_lookup_elem(map_fd, &k, vals))
			continue;
		for (c = 0; c < ncpu; c++)
			per_kind[k] += vals[c];
		total += per_kind[k];
	}
	free(vals);
	return total;
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !getenv("PMP_TRACE_DEBUG"))
		return 0;
	return vfprintf(stderr, fmt, args);
}

/* Fork @argv, held until a byte arrives on the returned fd. */
static pid_t spawn_held(char **argv, int *go_fd)
{
	int fds[2];
	pid_t pid;
	char c;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		close(fds[1]);
		if (read(fds[0], &c, 1) != 1)
			_exit(127);	/* the recorder failed: do not run unrecorded */
		close(fds[0]);
		execvp(argv[0], argv);
		fprintf(stderr, "pmp-trace: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[0]);
	*go_fd = fds[1];
	return pid;
}

/* Drain the ring buffer until @pid exits; its wait status in *@status. */
static int drain(struct ring_buffer *rb, pid_t pid, int *status)
{
	int ret;

	for (;;) {
		ret = ring_buffer__poll(rb, 100);
		if (ret < 0 && ret != -EINTR)
			return ret;
		ret = waitpid(pid, status, WNOHANG);
		if (ret == pid)
			break;
		if (ret < 0)
			return -errno;
	}
	/* The exit's own events (MMU teardown) are in the buffer by now. */
	return ring_buffer__consume(rb) < 0 ? -EIO : 0;
}

int cmd_record(int argc, char **argv)
{
	static struct convert_opts opts;
	uint64_t seen[RAW_KIND_NR], lost[RAW_KIND_NR], nr_seen, nr_lost;
	struct spool spool = { 0 };
	struct convert_stats st;
	struct ring_buffer *rb = NULL;
	struct record_bpf *skel = NULL;
	const char *out_path = NULL;
	int i, go = -1, status = 0, ret = 1, err;
	bool allow_drops = false;
	FILE *out;
	pid_t pid;

	if (help_or_version(argc, argv, &status))
		return status;
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			out_path = argv[++i];
		} else if (!strcmp(argv[i], "--allow-drops")) {
			allow_drops = true;
		} else {
			fprintf(stderr, "pmp-trace: record: %s: unknown option or missing value\n",
				argv[i]);
			return usage();
		}
	}
	if (i + 1 >= argc) {
		fprintf(stderr, "pmp-trace: record: no command (pmp-trace record -- COMMAND)\n");
		return usage();
	}
	/* the output first: a path that cannot be written fails before the command runs */
	if (output_check("pmp-trace", out_path))
		return 1;
	libbpf_set_print(libbpf_quiet);
	spool.raw = tmpfile();
	if (!spool.raw) {
		perror("pmp-trace: tmpfile");
		return 1;
	}
	pid = spawn_held(argv + i + 1, &go);
	if (pid < 0) {
		perror("pmp-trace: fork");
		return 1;
	}
	skel = record_bpf__open();
	if (!skel) {
		fprintf(stderr, "pmp-trace: cannot open the BPF object\n");
		goto out_kill;
	}
	skel->rodata->target_tgid = (uint32_t)pid;
	err = record_bpf__load(skel);
	if (!err)
		err = record_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "pmp-trace: cannot load or attach the BPF programs: %s "
			"(needs root, BTF and the kvm/kvmmmu tracepoints)\n", strerror(-err));
		goto out_kill;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_record, &spool, NULL);
	if (!rb) {
		fprintf(stderr, "pmp-trace: ring buffer: %s\n", strerror(errno));
		goto out_kill;
	}
	signal(SIGINT, SIG_IGN);	/* ^C goes to the command; we record its end */
	if (write(go, "g", 1) != 1) {
		perror("pmp-trace: starting the command");
		goto out_kill;
	}
	close(go);
	go = -1;
	if (drain(rb, pid, &status)) {
		fprintf(stderr, "pmp-trace: reading the ring buffer failed\n");
		goto out;
	}
	nr_seen = sum_counters(bpf_map__fd(skel->maps.seen), seen);
	nr_lost = sum_counters(bpf_map__fd(skel->maps.lost), lost);
	opts.layout = LAYOUT_MEMSLOT_IOCTLS;
	opts.mono = true;	/* bpf_ktime_get_ns() */
	opts.lost = nr_lost;
	opts.source = "recorded through BPF by pmp-trace record";
	out = open_output(out_path);
	if (!out)
		goto out;
	err = convert_run(spool.raw, &opts, out, &st);
	/* the run cannot be repeated: the trace is kept even with drops, which are said */
	if (close_output(out, out_path, !err) || err)
		goto out;
	if (convert_drops(&st)) {
		convert_report_drops(&st, "pmp-trace", true);
		if (!allow_drops)
			ret = 4;
	}
	fprintf(stderr, "pmp-trace: %llu records (%llu seen by BPF, %llu lost)",
		(unsigned long long)spool.received, (unsigned long long)nr_seen,
		(unsigned long long)nr_lost);
	for (i = 0; i < PMP_TR_NR; i++)
		if (st.events[i])
			fprintf(stderr, ", %s %llu", pmp_trace_type_name((unsigned int)i),
				(unsigned long long)st.events[i]);
	fprintf(stderr, "\n");
	if (nr_lost || spool.received + nr_lost != nr_seen) {
		fprintf(stderr, "pmp-trace: LOST %llu events: the trace is incomplete\n",
			(unsigned long long)(nr_seen - spool.received));
		ret = 3;
		goto out;
	}
	if (ret != 4)
		ret = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	goto out;
out_kill:
	if (go >= 0)
		close(go);	/* the held command exits without running */
	waitpid(pid, NULL, 0);
out:
	ring_buffer__free(rb);
	record_bpf__destroy(skel);
	fclose(spool.raw);
	return ret;
}
