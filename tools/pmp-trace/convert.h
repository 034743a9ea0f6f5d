/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Raw tracepoint records -> trace events (docs/trace-format.md, "Where
 * the events come from").  The one place both `record` and `import` map
 * KVM's tracepoints, so their traces agree by construction.
 */
#ifndef PMP_TRACE_CONVERT_H
#define PMP_TRACE_CONVERT_H

#include <stdbool.h>
#include <stdio.h>
#include <pmem_policy/trace.h>
#include "raw.h"

#define CONVERT_MAX_SLOTS 512

struct convert_slot {
	bool used;
	uint32_t id;
	uint32_t flags;		/* PMP_SLOT_* */
	uint64_t gfn, npages, uaddr, gmem_offset;
	int64_t gmem_fd;	/* its guest_memfd's fd in the recorded process; -1 unknown */
};

/* Where the memory layout (vm and slot lines) comes from. */
enum layout_source {
	LAYOUT_MEMSLOT_IOCTLS,	/* RAW_MEMSLOT records in the stream (record) */
	LAYOUT_FILE,		/* given: vm + slot-add lines of a trace (import --layout) */
	LAYOUT_DERIVED,		/* from the events alone (import) */
};

struct convert_opts {
	enum layout_source layout;
	struct pmp_trace_event vm;			/* LAYOUT_FILE */
	struct convert_slot slots[CONVERT_MAX_SLOTS];	/* LAYOUT_FILE */
	uint64_t slot_time[CONVERT_MAX_SLOTS];		/* LAYOUT_FILE, timed: monotonic ns */
	bool timed;		/* LAYOUT_FILE: slots appear at slot_time[] (clocks agree) */
	bool mono;		/* record times are CLOCK_MONOTONIC: say t0 in the trace */
	uint64_t lost;		/* events the source lost, reported in the trace */
	const char *source;	/* one comment line: where the trace came from */
};

/* What a conversion saw, for the summary comment and the caller. */
struct convert_stats {
	uint64_t raw[RAW_KIND_NR];
	uint64_t events[PMP_TR_NR];
	uint64_t indirect_zaps;		/* shadow pages of guest page tables */
	uint64_t unplaced_unmaps;	/* host ranges with no layout to place them */
	uint64_t outside_unmaps;	/* host ranges in no memslot: not guest memory */
	uint64_t bad_levels;		/* levels outside 4K..1G */
	uint64_t other_punches;		/* fallocate(PUNCH_HOLE) on no memslot's guest_memfd */
	uint64_t notifier_dontneeds;	/* madvise() the kvm_unmap_hva_range records cover */
	/* drops: events the layout cannot place (convert_drops() sums them) */
	uint64_t unplaced_faults;	/* faults outside every memslot */
	uint64_t contradictions;	/* SPTEs the memslots cannot hold (edge, alignment) */
	uint64_t outside_zaps;		/* direct shadow pages past gfn_end */
};

/* Events the conversion could not place: a trace that is not faithful. */
uint64_t convert_drops(const struct convert_stats *st);

/*
 * One line per kind of drop on stderr, each with its fix.  @prog names the
 * tool; @allowed: the user asked for the trace anyway (--allow-drops).
 */
void convert_report_drops(const struct convert_stats *st, const char *prog, bool allowed);

/*
 * Read the vm and slot-add lines of trace @path into @o (LAYOUT_FILE).  If
 * the records to convert are on CLOCK_MONOTONIC (@mono_input) and @path is
 * a recording (it says its t0), each memslot appears at the time it was
 * created; otherwise all exist from the start.
 */
int convert_load_layout(struct convert_opts *o, const char *path, bool mono_input);

/* Convert the pmp_raw records of @raw (read twice) into a trace on @out. */
int convert_run(FILE *raw, const struct convert_opts *o, FILE *out, struct convert_stats *st);

#endif /* PMP_TRACE_CONVERT_H */
