// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The replay (replay.h): every event goes to the oracle, each policy's
 * engine and the memslot table in turn, and coverage is sampled every @stride
 * events into a bounded buffer.  When the buffer fills, every other point
 * goes and the stride doubles, so any trace length gives at most
 * RP_SAMPLES equally spaced points, and the same input always the same ones.
 */
#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "replay.h"

/* The events that change the memslot table: the rest pass it by (slots_event()). */
#define SLOT_EVENTS ((1U << PMP_TR_SLOT_ADD) | (1U << PMP_TR_SLOT_DELETE) | \
		     (1U << PMP_TR_SLOT_MOVE) | (1U << PMP_TR_DIRTY_LOG))

/*
 * The arena's bytes beyond replay_memory()'s sum: its block header and up to
 * 64 bytes of alignment for each array (the oracle's 13, fault_order, 7 per
 * policy).  A heatmap's pinned[] (not in the sum) may take a second block.
 */
#define ARENA_SLACK(runs) ((15 + 7 * (uint64_t)(runs)) * 64)

static int fail(struct replay *r, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
	return err;
}

int replay_init(struct replay *r, const struct pmp_policy *policies, const char *const *labels,
		unsigned int n, const struct rp_opts *opts)
{
	unsigned int i;

	memset(r, 0, offsetof(struct replay, slots));
	slots_init(&r->slots);
	if (opts)
		r->opts = *opts;
	r->stride = 1;
	r->runs = calloc(n, sizeof(*r->runs));
	r->sample_size = sizeof(struct rp_sample) + n * sizeof(uint64_t) +
			 (r->opts.heatmap ? n * RP_HEAT_ROWS : 0);
	r->samples = calloc(RP_SAMPLES, r->sample_size);
	if (!r->runs || !r->samples)
		return fail(r, -ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		if (pmp_policy_validate(&policies[i]))
			return fail(r, -EINVAL, "policy %s is not valid", labels[i]);
		if (run_init(&r->runs[i], labels[i], &policies[i]))
			return fail(r, -ENOMEM, "out of memory");
		r->runs[i].heat = r->opts.heatmap;
		r->nr_runs = i + 1;
	}
	return 0;
}

void replay_free(struct replay *r)
{
	unsigned int i;

	for (i = 0; i < r->nr_runs; i++)
		run_free(&r->runs[i]);
	free(r->runs);
	free(r->samples);
	rp_arena_free(&r->arena);
	/* what a second replay_free() would free again; replay_init() sets the rest */
	r->runs = NULL;
	r->nr_runs = 0;
	r->samples = NULL;
}

static struct rp_sample *sample_at(struct replay *r, unsigned int i)
{
	return (struct rp_sample *)(void *)(r->samples + (size_t)i * r->sample_size);
}

/* One 2 MiB range of a run: RP_HEAT_*. */
static unsigned int chunk_state(const struct rp_run *run, uint64_t c)
{
	const struct leaves *lv = &run->lv;
	uint8_t g = lv->giant[c / 512], k = lv->chunk[c];
	unsigned int i;

	if ((g & LV_LEAF) || (k & LV_LEAF))
		return (g | k) & LV_BLOCKED ? RP_HEAT_BLOCKED : RP_HEAT_HUGE;
	for (i = 0; i < 8; i++)
		if (lv->bits[c * 8 + i])
			return k & LV_SMALL_BLOCKED ? RP_HEAT_BLOCKED : RP_HEAT_SPLIT;
	return RP_HEAT_NONE;
}

/* Each heatmap row: the state most of its mapped ranges are in (ties: the worse). */
static void take_heat(struct replay *r, struct rp_sample *s)
{
	unsigned int i, k;
	uint64_t row, c;

	for (i = 0; i < r->nr_runs; i++) {
		const struct rp_run *run = &r->runs[i];
		uint8_t *out = (uint8_t *)replay_heat(r, s, i);

		for (row = 0; row < r->heat_rows; row++) {
			uint64_t n[4] = { 0 }, end = (row + 1) * r->heat_chunks;
			bool pinned = false;
			unsigned int best = RP_HEAT_NONE;

			for (c = row * r->heat_chunks; c < end && c < run->lv.chunks; c++) {
				n[chunk_state(run, c)]++;
				pinned |= run->pinned && run->pinned[c];
			}
			for (k = RP_HEAT_HUGE; k <= RP_HEAT_BLOCKED; k++)
				if (n[k] && (best == RP_HEAT_NONE || n[k] >= n[best]))
					best = k;
			out[row] = (uint8_t)(best | (pinned ? RP_HEAT_PINNED : 0));
		}
	}
}

/* Append the coverage now; a policy above the oracle is a replay bug, counted. */
static void take_sample(struct replay *r)
{
	struct rp_sample *s = sample_at(r, r->nr_samples++);
	unsigned int i;

	s->event = r->events;
	s->mem = r->slots.pages;
	s->oracle = oracle_pages(&r->oracle);
	for (i = 0; i < r->nr_runs; i++) {
		s->huge[i] = lv_huge_pages(&r->runs[i].lv);
		r->oracle_exceeded += s->huge[i] > s->oracle;
	}
	if (r->opts.heatmap && r->have_vm)
		take_heat(r, s);
}

static void sample(struct replay *r)
{
	unsigned int i;

	if (r->nr_samples && sample_at(r, r->nr_samples - 1)->event == r->events)
		return;
	if (r->nr_samples == RP_SAMPLES) {
		/* points were taken at multiples of the stride: keep those of twice it */
		unsigned int kept = 0;

		r->stride *= 2;
		for (i = 0; i < RP_SAMPLES; i++)
			if (!(sample_at(r, i)->event % r->stride))
				memcpy(sample_at(r, kept++), sample_at(r, i), r->sample_size);
		r->nr_samples = kept;
		if (r->events % r->stride)
			return;
	}
	take_sample(r);
}

/* The next multiple of @m after @x. */
static uint64_t next_multiple(uint64_t x, uint64_t m)
{
	return (x / m + 1) * m;
}

/* Where the events stop next: a multiple of the stride or of check_every. */
static void plan_stop(struct replay *r)
{
	r->next_stop = next_multiple(r->events, r->stride);
	if (r->opts.check_every && next_multiple(r->events, r->opts.check_every) < r->next_stop)
		r->next_stop = next_multiple(r->events, r->opts.check_every);
}

/* The state the run ends in, before teardown empties the MMU. */
static void end_state(struct replay *r)
{
	unsigned int i;

	if (r->ended)
		return;
	r->ended = true;
	/* the last point is the end state, whatever the stride */
	if (r->nr_samples == RP_SAMPLES)
		r->nr_samples--;
	if (!r->nr_samples || sample_at(r, r->nr_samples - 1)->event != r->events)
		take_sample(r);
	r->oracle_end = sample_at(r, r->nr_samples - 1)->oracle;
	r->mem_end = r->slots.pages;
	for (i = 0; i < r->nr_runs; i++) {
		r->runs[i].c.huge_end = lv_huge_pages(&r->runs[i].lv);
		r->runs[i].c.giant_end = lv_giant_pages(&r->runs[i].lv);
	}
}

/* 1 GiB ranges the replay's arrays cover: [0, gfn_end) rounded up. */
static uint64_t vm_giants(const struct pmp_trace_event *vm)
{
	return (vm->gfn_end + 512 * 512 - 1) / (512 * 512);
}

int replay_memory(const struct pmp_trace_event *vm, unsigned int nr_runs, uint64_t *bytes)
{
	const struct oracle *o = NULL;
	struct pmp_geometry geo = { .sz = sizeof(geo), .gfn_end = vm->gfn_end,
				    .max_slots = RP_MAX_SLOTS, .nr_vcpus = vm->nr_vcpus,
				    .nr_vtls = vm->nr_vtls, .vm_type = vm->vm_type };
	uint64_t core, giants = vm_giants(vm);
	uint64_t chunks = giants * 512, pages = chunks * 512, oracle, run;
	int err = pmp_vm_bound(&geo, &core);

	if (err)
		return err;
	/* what oracle_init(), first_event(), run_vm() and lv_init() allocate */
	oracle = pages * sizeof(*o->attr) +
		 chunks * (sizeof(*o->cattr) + sizeof(*o->odd) + sizeof(*o->chunk) + sizeof(*o->order) +
			   sizeof(*o->sig) + sizeof(*o->fit) + 1) +
		 giants * (sizeof(*o->giant_order) + sizeof(*o->giant_dirty) +
			   sizeof(*o->giant_whole) +
			   8 * sizeof(*o->dirty) + sizeof(*o->giant_small) +
			   sizeof(*o->giant_pages));
	run = core + pages / 8 + chunks * 2 + giants * 2;
	*bytes = oracle + nr_runs * run;
	return 0;
}

static int first_event(struct replay *r, const struct pmp_trace_event *ev)
{
	unsigned int i;
	uint64_t need;
	int err;

	if (ev->type != PMP_TR_VM)
		return fail(r, -EINVAL, "event 1 is a %s, not the VM", pmp_trace_type_name(ev->type));
	/* refused up front, with the reason: never grow until the allocator says no */
	err = replay_memory(ev, r->nr_runs, &need);
	if (err)
		return fail(r, err, "the VM (gfn_end=0x%llx, type %u, %u vCPUs, %u VTLs) is "
			    "refused by the core's pmp_vm_bound(): %s%s",
			    (unsigned long long)ev->gfn_end, ev->vm_type, ev->nr_vcpus,
			    ev->nr_vtls, pmp_strerror(err), err == -ERANGE ?
			    " (its default tracking pool would pass 2^24-1 blocks)" : "");
	if (r->opts.max_memory && need > r->opts.max_memory)
		return fail(r, -E2BIG, "the VM (gfn_end=0x%llx: %llu MiB of guest physical space) "
			    "needs %llu MiB to replay under %u policies, above the limit of %llu MiB "
			    "(--max-memory MIB)", (unsigned long long)ev->gfn_end,
			    (unsigned long long)(ev->gfn_end >> 8),
			    (unsigned long long)((need + (1 << 20) - 1) >> 20), r->nr_runs,
			    (unsigned long long)(r->opts.max_memory >> 20));
	r->vm_event = *ev;
	r->have_vm = true;
	/* heatmap rows: bands of whole 2 MiB ranges covering [0, gfn_end) */
	r->heat_chunks = ((ev->gfn_end + 511) / 512 + RP_HEAT_ROWS - 1) / RP_HEAT_ROWS;
	r->heat_rows = ((ev->gfn_end + 511) / 512 + r->heat_chunks - 1) / r->heat_chunks;
	/*
	 * Every array below in one arena, of what they need with room for their
	 * alignment; the densely used first (each policy's core state and leaf
	 * model), the oracle's sparse per-page attr[] last, so the dense ones
	 * share the first huge pages.
	 */
	rp_arena_init(&r->arena, need + ARENA_SLACK(r->nr_runs));
	for (i = 0; i < r->nr_runs; i++) {
		err = run_vm(&r->runs[i], ev, &r->arena);
		if (err)
			return fail(r, err, "the VM (%llu pages, type %u, %u vCPUs, %u VTLs): %s",
				    (unsigned long long)ev->gfn_end, ev->vm_type, ev->nr_vcpus,
				    ev->nr_vtls, pmp_strerror(err));
	}
	r->fault_order = rp_arena_zalloc(&r->arena, vm_giants(ev) * 512);
	err = r->fault_order ? oracle_init(&r->oracle, ev, &r->slots, &r->arena) : -ENOMEM;
	if (err)
		return fail(r, err, "out of memory for a VM of %llu pages",
			    (unsigned long long)ev->gfn_end);
	memset(r->fault_order, OR_UNKNOWN, r->oracle.chunks);
	r->events = 1;
	plan_stop(r);
	return 0;
}

static int run_failed(struct replay *r, int err)
{
	return fail(r, err, "event %llu: %s", (unsigned long long)r->events + 1, pmp_strerror(err));
}

/*
 * A fault of a valid level inside the VM: the oracle follows it, the
 * folio order is kept, each policy takes the access; their common cases
 * (nothing new to the oracle, a present leaf) without a call.
 */
static inline void fault_event(struct replay *r, const struct pmp_trace_event *ev)
{
	unsigned int order = 9 * (ev->level - 1U), i;

	if (ev->vtl >= PMP_MAX_VTLS ||
	    !oracle_touch_known(&r->oracle, ev->gfn, order, ev->vtl, !(ev->flags & PMP_FAULT_PRIVATE)))
		oracle_event(&r->oracle, ev, false);
	r->fault_order[ev->gfn / 512] = (uint8_t)order;
	for (i = 0; i < r->nr_runs; i++)
		run_fault(&r->runs[i], r, ev);
}

/* Any other event, the memslot table following the core after it. */
static int other_event(struct replay *r, const struct pmp_trace_event *ev)
{
	unsigned int i;
	int err;

	oracle_event(&r->oracle, ev, false);
	for (i = 0; i < r->nr_runs; i++) {
		err = run_event(&r->runs[i], r, ev);
		if (err)
			return run_failed(r, err);
	}
	/* the memslots as the core now has them (slot rules do not depend on the policy) */
	if ((1U << ev->type) & SLOT_EVENTS) {
		slots_event(&r->slots, ev, r->nr_runs ? r->runs[0].vm : NULL);
		oracle_event(&r->oracle, ev, true);
	}
	return 0;
}

/*
 * An accept (not a memslot's event: other_event()'s tail does not apply),
 * without other_event()'s switches: the oracle follows it, each policy
 * takes it.
 */
static __attribute__((noinline)) int accept_event(struct replay *r,
						  const struct pmp_trace_event *ev)
{
	unsigned int i;

	oracle_accept(&r->oracle, ev);
	for (i = 0; i < r->nr_runs; i++)
		run_accept(&r->runs[i], r, ev);
	return 0;
}

/* At r->next_stop: the checks (--check) and the coverage sample due after this event. */
static int stop(struct replay *r)
{
	bool check = r->opts.check_every && !(r->events % r->opts.check_every);
	unsigned int i;

	for (i = 0; check && i < r->nr_runs; i++)
		if (pmp_vm_check(r->runs[i].vm))
			return fail(r, -EUCLEAN, "event %llu: pmp_vm_check failed under %s",
				    (unsigned long long)r->events, r->runs[i].label);
	if (check && oracle_check(&r->oracle))
		return fail(r, -EUCLEAN, "event %llu: the oracle's summaries are wrong",
			    (unsigned long long)r->events);
	if (!r->ended && !(r->events & (r->stride - 1)))	/* a power of two */
		sample(r);
	plan_stop(r);
	return 0;
}

/* replay_event(), inline in its callers here */
static inline int replay_one(struct replay *r, const struct pmp_trace_event *ev)
{
	int err;

	_Static_assert(PMP_TR_VM == 0 && PMP_TR_TEARDOWN == PMP_TR_NR - 1,
		       "the types between the VM and the teardown are the ones in between");
	/* one test for the common case: a VM, not ended, an event of a type between */
	if (ev->type - 1U >= PMP_TR_TEARDOWN - 1U || !r->have_vm || r->ended) {
		if (ev->type >= PMP_TR_NR)
			return fail(r, -EINVAL, "event %llu: unknown type %u",
				    (unsigned long long)r->events + 1, ev->type);
		if (!r->have_vm)
			return first_event(r, ev);
		if (ev->type == PMP_TR_VM)
			return fail(r, -EINVAL, "event %llu: a second VM",
				    (unsigned long long)r->events + 1);
		if (r->ended)
			return fail(r, -EINVAL, "event %llu: %s after teardown",
				    (unsigned long long)r->events + 1,
				    pmp_trace_type_name(ev->type));
		end_state(r);	/* a teardown */
	}
	/* most events: a fault with a valid level inside the VM (the arrays' span) */
	if (ev->type == PMP_TR_FAULT && ev->gfn < r->oracle.pages && ev->level - 1U < PMP_LEVEL_1G) {
		fault_event(r, ev);
		err = 0;
	} else if (ev->type == PMP_TR_ACCEPT)
		err = accept_event(r, ev);
	else
		err = other_event(r, ev);
	if (err)
		return err;
	return ++r->events == r->next_stop ? stop(r) : 0;
}

int replay_event(struct replay *r, const struct pmp_trace_event *ev)
{
	return replay_one(r, ev);
}

int replay_sink(void *r, const struct pmp_trace_event *ev)
{
	return replay_one(r, ev);
}

int replay_batch_sink(void *ctx, const struct pmp_trace_event *evs, unsigned int nr,
		      uint64_t first_line)
{
	struct replay *r = ctx;
	unsigned int i;
	int err;

	for (i = 0; i < nr; i++) {
		r->line = first_line + i;
		err = replay_one(r, &evs[i]);
		if (err)
			return err;
	}
	return 0;
}

int replay_finish(struct replay *r)
{
	unsigned int i;

	if (!r->have_vm)
		return fail(r, -EINVAL, "no events: a trace starts with its VM");
	end_state(r);
	for (i = 0; i < r->nr_runs; i++) {
		if (pmp_vm_check(r->runs[i].vm))
			return fail(r, -EUCLEAN, "pmp_vm_check failed at the end under %s",
				    r->runs[i].label);
		pmp_vm_stats(r->runs[i].vm, &r->runs[i].st);
	}
	return 0;
}
