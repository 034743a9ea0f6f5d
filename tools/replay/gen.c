// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * What generators share (workload.h): the PRNG, the memory layout and one
 * emitter per event type.  Emitters fill only the fields the event type
 * uses, so a generated event equals its trace line parsed back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "workload.h"

/* Host addresses are 1 GiB aligned so no memslot edge breaks a huge page. */
#define HVA_BASE 0x7f0000000000ULL

uint64_t wl_rand(struct wl_gen *g)
{
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15ULL);	/* splitmix64 */

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t wl_below(struct wl_gen *g, uint64_t n)
{
	return n ? wl_rand(g) % n : 0;
}

uint32_t *wl_perm(struct wl_gen *g, uint32_t n)
{
	uint32_t *a = malloc((n ? n : 1) * sizeof(*a)), i;

	if (!a) {
		if (!g->err)
			g->err = -ENOMEM;
		return NULL;
	}
	for (i = 0; i < n; i++)
		a[i] = i;
	for (i = n; i > 1; i--) {	/* Fisher-Yates */
		uint32_t j = (uint32_t)wl_below(g, i), t = a[i - 1];

		a[i - 1] = a[j];
		a[j] = t;
	}
	return a;
}

void wl_layout(struct wl_mem *m, uint64_t gib)
{
	uint64_t pages = gib * WL_GIB, low = pages < 2 * WL_GIB ? pages : 2 * WL_GIB;

	memset(m, 0, sizeof(*m));
	m->pages = pages;
	m->base[0] = 0;
	m->npages[0] = low;
	m->nr = 1;
	m->gfn_end = 4 * WL_GIB;
	if (pages > low) {
		m->base[1] = 4 * WL_GIB;
		m->npages[1] = pages - low;
		m->nr = 2;
		m->gfn_end = 4 * WL_GIB + pages - low;
	}
}

uint64_t wl_gfn(const struct wl_mem *m, uint64_t i)
{
	return i < m->npages[0] ? m->base[0] + i : m->base[1] + (i - m->npages[0]);
}

uint32_t wl_slot(const struct wl_mem *m, uint64_t gfn)
{
	return m->nr > 1 && gfn >= m->base[1] ? 1 : 0;
}

static void emit(struct wl_gen *g, const struct pmp_trace_event *ev)
{
	if (g->err)
		return;
	g->err = g->sink(g->ctx, ev);
	g->events++;
}

void wl_vm(struct wl_gen *g, uint32_t vm_type, uint64_t gfn_end, uint32_t vcpus, uint32_t vtls)
{
	struct pmp_trace_event ev = { .type = PMP_TR_VM, .vm_type = vm_type, .gfn_end = gfn_end,
				      .nr_vcpus = vcpus, .nr_vtls = vtls };

	emit(g, &ev);
}

void wl_slot_add(struct wl_gen *g, uint32_t id, uint64_t gfn, uint64_t npages, uint32_t flags)
{
	struct pmp_trace_event ev = { .type = PMP_TR_SLOT_ADD, .slot = id, .gfn = gfn,
				      .npages = npages, .flags = flags,
				      .uaddr = HVA_BASE + (gfn << PMP_PAGE_SHIFT) };

	/* guest_memfd offsets follow the gfn, so they are as aligned as it is */
	if (flags & PMP_SLOT_GUEST_MEMFD)
		ev.gmem_offset = gfn << PMP_PAGE_SHIFT;
	emit(g, &ev);
}

void wl_add_memory(struct wl_gen *g, const struct wl_mem *m, uint32_t flags, bool private)
{
	unsigned int i;

	for (i = 0; i < m->nr; i++) {
		wl_slot_add(g, i, m->base[i], m->npages[i], flags);
		if (private)
			wl_convert(g, m->base[i], m->npages[i], true);
	}
}

void wl_slot_delete(struct wl_gen *g, uint32_t id)
{
	struct pmp_trace_event ev = { .type = PMP_TR_SLOT_DELETE, .slot = id };

	emit(g, &ev);
}

void wl_fault(struct wl_gen *g, const struct wl_mem *m, uint64_t gfn, int level, uint32_t flags,
	      uint32_t vcpu, uint32_t vtl)
{
	wl_fault_in(g, wl_slot(m, gfn), gfn, level, flags, vcpu, vtl);
}

void wl_fault_in(struct wl_gen *g, uint32_t slot, uint64_t gfn, int level, uint32_t flags,
		 uint32_t vcpu, uint32_t vtl)
{
	struct pmp_trace_event ev = { .type = PMP_TR_FAULT, .gfn = gfn, .slot = slot,
				      .level = (uint8_t)level, .flags = flags,
				      .vcpu = (uint16_t)vcpu, .vtl = (uint8_t)vtl };

	emit(g, &ev);
}

void wl_convert(struct wl_gen *g, uint64_t gfn, uint64_t npages, bool private)
{
	struct pmp_trace_event ev = { .type = PMP_TR_CONVERT, .gfn = gfn, .npages = npages,
				      .flags = private ? PMP_TR_PRIVATE : 0 };

	emit(g, &ev);
}

void wl_punch(struct wl_gen *g, uint64_t gfn, uint64_t npages)
{
	struct pmp_trace_event ev = { .type = PMP_TR_PUNCH, .gfn = gfn, .npages = npages };

	emit(g, &ev);
}

void wl_accept(struct wl_gen *g, uint64_t gfn, int level)
{
	struct pmp_trace_event ev = { .type = PMP_TR_ACCEPT, .gfn = gfn, .level = (uint8_t)level };

	emit(g, &ev);
}

void wl_vtl_prot(struct wl_gen *g, uint32_t vtl, uint64_t gfn, uint64_t npages, uint32_t prot)
{
	struct pmp_trace_event ev = { .type = PMP_TR_VTL_PROT, .vtl = (uint8_t)vtl, .gfn = gfn,
				      .npages = npages, .prot = (uint8_t)prot };

	emit(g, &ev);
}

void wl_dirty_log(struct wl_gen *g, uint32_t slot, bool on)
{
	struct pmp_trace_event ev = { .type = PMP_TR_DIRTY_LOG, .slot = slot,
				      .flags = on ? PMP_TR_ON : 0 };

	emit(g, &ev);
}

void wl_zap(struct wl_gen *g, uint32_t reason, uint64_t gfn, uint64_t npages)
{
	struct pmp_trace_event ev = { .type = PMP_TR_ZAP, .reason = (uint8_t)reason, .gfn = gfn,
				      .npages = npages };

	emit(g, &ev);
}

void wl_tick(struct wl_gen *g, uint64_t periods)
{
	struct pmp_trace_event ev = { .type = PMP_TR_TICK, .npages = periods };

	emit(g, &ev);
}

void wl_maybe_tick(struct wl_gen *g)
{
	if (g->events - g->last_tick < g->tick_every)
		return;
	wl_tick(g, 1);
	g->last_tick = g->events;
}

uint32_t wl_vcpu(struct wl_gen *g)
{
	return (uint32_t)wl_below(g, g->vcpus);
}

void wl_working_set(struct wl_gen *g, const struct wl_mem *m, uint64_t rounds, uint32_t flags,
		    int high_level)
{
	uint32_t chunks = (uint32_t)(m->pages / 512), *order, k;
	uint64_t r;

	for (r = 0; r < rounds && !g->err; r++) {
		order = wl_perm(g, chunks);
		for (k = 0; order && k < chunks; k++) {
			uint64_t gfn = wl_gfn(m, order[k] * 512ULL + wl_below(g, 512));

			wl_fault(g, m, gfn, wl_slot(m, gfn) ? high_level : PMP_LEVEL_2M, flags,
				 wl_vcpu(g), 0);
			wl_maybe_tick(g);
		}
		free(order);
	}
}

void wl_teardown(struct wl_gen *g)
{
	struct pmp_trace_event ev = { .type = PMP_TR_TEARDOWN };

	emit(g, &ev);
}
