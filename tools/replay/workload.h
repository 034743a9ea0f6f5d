/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * pmp-replay: built-in workloads, generators of trace events.
 *
 * A generator pushes events into a sink (the replay, a trace writer, a
 * counter), so it is written as the plain loops of the guest it models
 * and needs no memory for the trace.  Generators are deterministic: a
 * seeded splitmix64 is their only source of choice.  docs/workloads.md
 * says what each models and where its numbers come from.
 */
#ifndef PMP_REPLAY_WORKLOAD_H
#define PMP_REPLAY_WORKLOAD_H

#include <pmem_policy/pmem_policy.h>
#include <pmem_policy/trace.h>

typedef int (*wl_sink_fn)(void *ctx, const struct pmp_trace_event *ev);

/* A generator's state: the sink, the first error it returned, the PRNG. */
struct wl_gen {
	wl_sink_fn sink;
	void *ctx;
	int err;		/* once set, every emit is a no-op */
	uint64_t rng;
	uint64_t events;
	uint64_t last_tick;	/* g->events at the last wl_maybe_tick() tick */
	uint64_t tick_every;	/* every workload's "tick_every" ... */
	uint32_t vcpus;		/* ... and "vcpus" parameters */
};

/* A knob of a workload: NAME:key=value on the command line. */
struct wl_param {
	const char *key;
	uint64_t def, min, max;
	const char *what;
};

#define WL_MAX_PARAMS 12

struct workload {
	const char *name;
	const char *summary;
	const struct wl_param *params;
	unsigned int nr_params;
	void (*gen)(struct wl_gen *g, const uint64_t *v);	/* v[i]: params[i]'s value */
};

/* The i-th built-in workload, NULL past the last. */
const struct workload *wl_get(unsigned int i);

/*
 * "NAME" or "NAME:key=value,...": the workload and every parameter's
 * value (defaults for those not given).  0, or -EINVAL with @err filled.
 */
int wl_parse(const char *spec, const struct workload **w, uint64_t *values, char *err,
	     size_t errlen);

/* Generate every event into @sink.  0, or the sink's first error. */
int wl_run(const struct workload *w, const uint64_t *values, wl_sink_fn sink, void *ctx);

/* --- for generators (gen.c) --- */

uint64_t wl_rand(struct wl_gen *g);
/* Uniform enough in [0, n); 0 for n == 0. */
uint64_t wl_below(struct wl_gen *g, uint64_t n);
/* @a[0..n) = 0..n-1 in a random order; NULL (and g->err) without memory. */
uint32_t *wl_perm(struct wl_gen *g, uint32_t n);

/*
 * Guest memory as a VMM lays it out: up to 2 GiB below the 32-bit PCI
 * hole from gfn 0, the rest from 4 GiB, each a memslot (ids 0 and 1) at a
 * 1 GiB-aligned host address and guest_memfd offset.
 */
struct wl_mem {
	unsigned int nr;
	uint64_t base[2], npages[2];
	uint64_t pages;		/* guest memory */
	uint64_t gfn_end;	/* at least 4 GiB: firmware lives below it */
};

#define WL_GIB (1ULL << 18)	/* pages */
#define WL_MIB (1ULL << 8)

void wl_layout(struct wl_mem *m, uint64_t gib);
/* The gfn of the @i-th page of guest memory, and the slot holding a gfn. */
uint64_t wl_gfn(const struct wl_mem *m, uint64_t i);
uint32_t wl_slot(const struct wl_mem *m, uint64_t gfn);

void wl_vm(struct wl_gen *g, uint32_t vm_type, uint64_t gfn_end, uint32_t vcpus, uint32_t vtls);
void wl_slot_add(struct wl_gen *g, uint32_t id, uint64_t gfn, uint64_t npages, uint32_t flags);
/* Both memslots of @m, each converted private when @private. */
void wl_add_memory(struct wl_gen *g, const struct wl_mem *m, uint32_t flags, bool private);
void wl_slot_delete(struct wl_gen *g, uint32_t id);
/* An access the host backs with a folio of @level; wl_fault_in() names the slot. */
void wl_fault(struct wl_gen *g, const struct wl_mem *m, uint64_t gfn, int level, uint32_t flags,
	      uint32_t vcpu, uint32_t vtl);
void wl_fault_in(struct wl_gen *g, uint32_t slot, uint64_t gfn, int level, uint32_t flags,
		 uint32_t vcpu, uint32_t vtl);
void wl_convert(struct wl_gen *g, uint64_t gfn, uint64_t npages, bool private);
void wl_punch(struct wl_gen *g, uint64_t gfn, uint64_t npages);
void wl_accept(struct wl_gen *g, uint64_t gfn, int level);
void wl_vtl_prot(struct wl_gen *g, uint32_t vtl, uint64_t gfn, uint64_t npages, uint32_t prot);
void wl_dirty_log(struct wl_gen *g, uint32_t slot, bool on);
void wl_zap(struct wl_gen *g, uint32_t reason, uint64_t gfn, uint64_t npages);
void wl_tick(struct wl_gen *g, uint64_t periods);
/* One merge tick once tick_every events have passed since the last: background time. */
void wl_maybe_tick(struct wl_gen *g);
/* A vCPU, at random. */
uint32_t wl_vcpu(struct wl_gen *g);
/*
 * @rounds passes of the guest's working set: each touches a random page of
 * every 2 MiB range, in a new random order, from a random vCPU, with merge
 * ticks.  Low memory is backed by 2 MiB folios, high memory by @high_level.
 */
void wl_working_set(struct wl_gen *g, const struct wl_mem *m, uint64_t rounds, uint32_t flags,
		    int high_level);
void wl_teardown(struct wl_gen *g);

/* The built-in workloads. */
extern const struct workload wl_tdx_boot, wl_snp_lazy, wl_sev_boot, wl_vsm_boot,
	wl_migration, wl_swiotlb, wl_punch_storm;

#endif /* PMP_REPLAY_WORKLOAD_H */
