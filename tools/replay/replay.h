/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * pmp-replay's engine: one stream of trace events (a trace file or a
 * built-in workload) driven through the core under several policies side
 * by side, in lockstep, so a trace is read once whatever the number of
 * policies and stdin works.  docs/replay.md describes what each event
 * does and what every figure means.
 */
#ifndef PMP_REPLAY_H
#define PMP_REPLAY_H

#include <stdio.h>
#include <pmem_policy/pmem_policy.h>
#include <pmem_policy/trace.h>
#include "leaves.h"
#include "oracle.h"
#include "slots.h"

/* Coverage points kept per run: when full, every other one goes and the stride doubles. */
#define RP_SAMPLES 256
/* Heatmap rows (bands of 2 MiB ranges) kept per sample and policy. */
#define RP_HEAT_ROWS 128
/* A heatmap cell: what most of its mapped 2 MiB ranges are, and whether any is pinned. */
enum { RP_HEAT_NONE, RP_HEAT_HUGE, RP_HEAT_SPLIT, RP_HEAT_BLOCKED };
#define RP_HEAT_PINNED 0x4

/* Longest policy label kept. */
#define RP_LABEL 96

/* One point of the coverage curves, after event @event. */
struct rp_sample {
	uint64_t event;
	uint64_t mem;		/* pages in memslots */
	uint64_t oracle;	/* pages the oracle maps huge */
	uint64_t huge[];	/* per run: pages under 2 MiB-or-larger leaves */
};

/* What one policy did, beyond the core's own struct pmp_stats. */
struct rp_counts {
	uint64_t events[PMP_TR_NR];	/* events seen, by type */
	uint64_t refused[PMP_TR_NR];	/* the core refused cleanly (-EBUSY, -ENOMEM, -EAGAIN) */
	uint64_t invalid[PMP_TR_NR];	/* the core rejected the event's arguments */
	uint64_t faults[4];		/* faults taken, by the level mapped */
	uint64_t faults_avoided;	/* the access found a present leaf: no fault */
	uint64_t faults_blocked;	/* taken only because a merge tick blocked the leaf */
	uint64_t faults_implied;	/* an ACCEPT's own EPT violation (docs/replay.md) */
	uint64_t promotes_tick, promotes_fault, promotes_accept;
	uint64_t merge_blocks;		/* chunks a merge tick blocked */
	uint64_t pinned, unpinned;	/* pages */
	uint64_t inval, inval_pages, inval_whole;	/* INVALIDATEs; of whole 2M+ folios */
	uint64_t flushes;		/* FLUSH and TRACK actions */
	uint64_t wlock_actions;		/* actions changing existing leaves */
	uint64_t huge_end, giant_end;	/* pages under 2M+ / 1G leaves before teardown */
};

/* One policy's engine. */
struct rp_run {
	char label[RP_LABEL];
	struct pmp_policy policy;
	void *mem;			/* the core's state, in the replay's arena */
	struct pmp_vm *vm;
	struct leaves lv;
	uint8_t *folio_cap;		/* per chunk: largest folio order left after punches */
	uint8_t *giant_split;		/* per 1 GiB: a punch split its folio (cap <= 2 MiB) */
	uint8_t *pinned;		/* per chunk, heatmap only: a PIN named it, no UNPIN since */
	bool heat;			/* rp_opts.heatmap */
	struct pmp_actions acts;
	int origin;			/* where promotes come from: RP_FROM_* */
	struct rp_counts c;
	struct pmp_stats st;		/* the core's counters, read at the end */
	int first_invalid;		/* errno of the first rejected event, 0 if none */
	uint64_t first_invalid_event;
	uint64_t first_invalid_line;	/* its trace line (replay.line), 0 for a workload */
	uint8_t first_invalid_type;
};

struct rp_opts {
	uint32_t check_every;	/* pmp_vm_check() every this many events; 0 never */
	uint64_t max_memory;	/* bytes the replay may allocate for the VM; 0: no limit */
	bool heatmap;		/* keep per-sample, per-2 MiB-range states (heatmap.h) */
};

struct replay {
	unsigned int nr_runs;
	struct rp_run *runs;
	struct rp_opts opts;
	struct pmp_trace_event vm_event;	/* the VM line */
	bool have_vm, ended;
	struct oracle oracle;
	struct rp_arena arena;	/* the arrays the VM event sizes, all policies' (arena.h) */
	uint8_t *fault_order;	/* per chunk: folio order the last fault reported */
	uint64_t events;
	uint64_t line;		/* the caller's: trace line of the next event, 0 if none */
	uint64_t stride;	/* events between samples: 1, doubled as the samples fill */
	uint64_t next_stop;	/* the next event count that is a multiple of the stride or of
				 * opts.check_every: only there is a sample or a check due */
	unsigned int nr_samples;
	size_t sample_size;
	unsigned char *samples;	/* RP_SAMPLES struct rp_sample of sample_size bytes */
	uint64_t oracle_end, mem_end;	/* before teardown */
	uint64_t oracle_exceeded;	/* samples where a run passed the oracle (a bug) */
	/* heatmap: each sample holds, after huge[], RP_HEAT_ROWS bytes per run (RP_HEAT_*) */
	uint64_t heat_rows;		/* rows used: 2 MiB ranges below gfn_end, at most RP_HEAT_ROWS */
	uint64_t heat_chunks;		/* 2 MiB ranges per row */
	char error[256];
	/* last: replay_init() zeroes every field above it, slots_init() what of this it must */
	struct rp_slots slots;
};

/* @n policies, each with its label.  0, or -ENOMEM/-EINVAL with @r->error set. */
int replay_init(struct replay *r, const struct pmp_policy *policies, const char *const *labels,
		unsigned int n, const struct rp_opts *opts);
void replay_free(struct replay *r);

/*
 * Bytes the replay allocates for VM @vm under @nr_runs policies (the oracle,
 * each policy's core state and leaf model): 0, or the core's -errno for a
 * VM it refuses.  A VM above rp_opts.max_memory is refused with -E2BIG.
 */
int replay_memory(const struct pmp_trace_event *vm, unsigned int nr_runs, uint64_t *bytes);

/* Feed one event to every policy.  0, or a negative errno with @r->error set. */
int replay_event(struct replay *r, const struct pmp_trace_event *ev);

/* replay_event() as a wl_sink_fn (workload.h): @r is the struct replay. */
int replay_sink(void *r, const struct pmp_trace_event *ev);

/*
 * A trace_batch_fn (traceio.h) for struct replay @r: replay_event() of each
 * of @nr events, r->line set first to its line, @first_line + i.
 */
int replay_batch_sink(void *r, const struct pmp_trace_event *evs, unsigned int nr,
		      uint64_t first_line);

/* After the last event: the final sample and the counters.  0 or -errno. */
int replay_finish(struct replay *r);

/* The @i-th coverage point. */
static inline const struct rp_sample *replay_sample(const struct replay *r, unsigned int i)
{
	return (const struct rp_sample *)(const void *)(r->samples + (size_t)i * r->sample_size);
}

/* The heatmap row states of run @run at sample @s: r->heat_rows bytes. */
static inline const uint8_t *replay_heat(const struct replay *r, const struct rp_sample *s,
					 unsigned int run)
{
	return (const uint8_t *)&s->huge[r->nr_runs] + (size_t)run * RP_HEAT_ROWS;
}

/* Share of @part in @whole in hundredths of a percent (integers keep output exact). */
static inline uint64_t rp_bp(uint64_t part, uint64_t whole)
{
	return whole ? (part * 10000 + whole / 2) / whole : 0;
}

/* --- one policy's engine (run.c) --- */

enum { RP_FROM_OTHER, RP_FROM_TICK, RP_FROM_FAULT, RP_FROM_ACCEPT };

/* run_fault() of an access no present leaf serves: @have, @present are run_served()'s answer. */
void run_fault_unserved(struct rp_run *run, const struct replay *r,
			const struct pmp_trace_event *ev, int have, bool present);

/*
 * The guest accesses @gfn.  A present leaf serves it without a fault,
 * unless it is a huge leaf KVM mapped non-executable (nx_huge_pages) and
 * the access executes.  A blocked leaf faults: that fault is the price of
 * merge=blocked.  *@have, *@present: lv_level()'s answer.
 */
static inline bool run_served(const struct rp_run *run, uint64_t gfn, uint32_t flags, int *have,
			      bool *present)
{
	*have = lv_level(&run->lv, gfn, present);
	return *present && !(*have > PMP_LEVEL_4K && (flags & PMP_FAULT_EXEC) &&
			     run->policy.nx_huge_pages);
}

/*
 * run_event() of a fault event with a valid level inside the leaf model:
 * one a present leaf serves counted inline (most events), any other taken
 * with run_served()'s answer, not asked again.
 */
static inline void run_fault(struct rp_run *run, const struct replay *r,
			     const struct pmp_trace_event *ev)
{
	bool present;
	int have;

	if (!run_served(run, ev->gfn, ev->flags, &have, &present)) {
		run_fault_unserved(run, r, ev, have, present);
		return;
	}
	run->c.events[PMP_TR_FAULT]++;
	run->c.faults_avoided++;
}

int run_init(struct rp_run *run, const char *label, const struct pmp_policy *p);
void run_free(struct rp_run *run);
/* The VM event: lay out the VM, its arrays in @arena.  0 or -errno. */
int run_vm(struct rp_run *run, const struct pmp_trace_event *vm, struct rp_arena *arena);
/* Any other event.  0, or -errno for a failure of the replay itself (not of the event). */
int run_event(struct rp_run *run, struct replay *r, const struct pmp_trace_event *ev);
/*
 * run_event() of an accept (TDX and SNP guests send one for most of their
 * memory): without its switch, in a frame of its own; it cannot fail.
 */
void run_accept(struct rp_run *run, struct replay *r, const struct pmp_trace_event *ev);

#endif /* PMP_REPLAY_H */
