// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libFuzzer target: API sequences.  The input's bytes choose the VM type,
 * the policy, the folio layout, then a sequence of operations (faults,
 * accepts, conversions, punches, dirty logging, write tracking, VTL
 * protections, zaps, merge ticks, promotes, launch pins, memslot changes,
 * policy switches, flushes) with their arguments, ending in teardown.
 * Every operation runs through the simulator driver, which checks the
 * hardware rules on every action; after every operation the core's
 * invariant checker and the core-vs-simulator comparison must pass, and
 * drv_oracle() checks every call: a failed one changed no state but the
 * decision counters, and another array size gives the same actions and
 * state (or -ENOSPC and nothing changed).  Any
 * failure aborts, which libFuzzer reports with the input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/driver.h"

#define G1 (1ULL << 18)
#define M2 512ULL
#define SPAN (G1 + 8 * M2)	/* one full 1 GiB range and a tail */
#define MAX_OPS 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	const uint8_t *p;
	size_t left;
};

static uint64_t take(struct input *in, unsigned int bytes)
{
	uint64_t v = 0;

	while (bytes--) {
		v <<= 8;
		if (in->left) {
			v |= *in->p++;
			in->left--;
		}
	}
	return v;
}

static void check(struct drv *d, int ret, const char *what)
{
	if (ret) {
		fprintf(stderr, "fuzz_api: %s: %s\n", what, d->error);
		abort();
	}
}

static unsigned int folio_order(void *ctx, uint64_t gfn)
{
	return ((struct sim *)ctx)->folio[gfn / M2];
}

static struct {
	void *mem;
	uint64_t bytes;
	struct drv d;
} state;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const policies[] = {
		"merge=scan", "merge=fault", "merge=blocked", "merge=none", "inhibit=oneway",
		"inhibit=clear", "split=zap", "split=inplace", "max_level=2m", "max_level=1g",
		"inval=immediate", "inval=defer-2m", "on_conflict=refuse", "on_conflict=flush",
		"pin=fault", "pin_limit=5000",
	};
	struct input in = { data, size };
	struct pmp_geometry geo = { .sz = sizeof(geo), .gfn_end = SPAN, .max_slots = 4,
				    .nr_vcpus = 1, .nr_vtls = 2, .max_deferred = 4 };
	struct pmp_slot s0 = { .base_gfn = 0, .npages = G1, .userspace_addr = 1ULL << 40 };
	struct pmp_slot s1 = { .base_gfn = G1, .npages = 8 * M2,
			       .userspace_addr = (1ULL << 40) + (G1 << 12) };
	struct pmp_folios folios;
	struct pmp_policy p;
	struct pmp_vm *vm;
	struct sim s;
	struct drv *d = &state.d;
	unsigned int ops;
	uint64_t c;

	if (!state.mem) {
		/* the default pool depends on the VM type: room for the largest */
		for (geo.vm_type = 0; geo.vm_type < PMP_VM_NR; geo.vm_type++) {
			uint64_t bytes;

			pmp_vm_bound(&geo, &bytes);
			if (bytes > state.bytes)
				state.bytes = bytes;
		}
		state.mem = aligned_alloc(64, (state.bytes + 63) & ~63ULL);
	}
	geo.vm_type = (uint32_t)(take(&in, 1) % PMP_VM_NR);
	pmp_policy_preset(&p, pmp_policy_preset_name((unsigned int)take(&in, 1) % 3));
	/*
	 * The driver compares a copy's state with the VM's whole, free pool
	 * blocks too, which pmp_vm_init() leaves as they are: none from the
	 * last input.
	 */
	memset(state.mem, 0, state.bytes);
	if (pmp_vm_init(state.mem, state.bytes, &geo, &p, &vm) ||
	    pmp_slot_create(vm, 0, &s0) || pmp_slot_create(vm, 1, &s1))
		abort();
	sim_init(&s, (int)geo.vm_type, SPAN);
	s.punch_wanted = calloc(s.pages, 1);
	s.slot[0] = s0;
	s.slot[1] = s1;
	s.in_use[0] = s.in_use[1] = 1;
	s.busy_percent = (unsigned int)take(&in, 1) % 8;
	for (c = 0; c < s.chunks; c++)	/* a 1 GiB folio, or 2 MiB and 4 KiB ones */
		s.folio[c] = c < 512 && (data[0] & 0x80) ? 18 : (c % 3 ? 9 : 0);
	folios.order = folio_order;
	folios.ctx = &s;
	drv_init(d, vm, &s);
	d->oracle = true;	/* snapshots of failed calls, other array sizes */
	if (geo.vm_type == PMP_VM_TDX || geo.vm_type == PMP_VM_SNP)
		check(d, drv_convert(d, 0, SPAN, true), "convert");

	for (ops = 0; in.left && ops < MAX_OPS; ops++) {
		unsigned int op = (unsigned int)take(&in, 1) % 16;
		uint64_t gfn = take(&in, 3) % SPAN, n = 1 + take(&in, 2) % (3 * M2);
		unsigned int arg = (unsigned int)take(&in, 1);

		if (gfn + n > SPAN)
			n = SPAN - gfn;
		switch (op) {
		case 0: case 1: case 2:
			check(d, drv_access(d, gfn, 0, arg & 1), "access");
			break;
		case 3:
			check(d, drv_accept(d, arg & 1 ? gfn & ~(M2 - 1) : gfn,
					    arg & 1 ? PMP_LEVEL_2M : PMP_LEVEL_4K), "accept");
			break;
		case 4:
			check(d, drv_convert(d, gfn, n, arg & 1), "convert");
			break;
		case 5:
			check(d, drv_punch(d, gfn, n, arg & 1 ? &folios : NULL), "punch");
			break;
		case 6:
			check(d, drv_dirty_log(d, arg & 1, arg & 2), "dirty_log");
			break;
		case 7:
			check(d, drv_write_track(d, gfn, n < 4 ? n : 4, arg & 1), "write_track");
			break;
		case 8:
			check(d, drv_vtl_protect(d, arg % 2, gfn, n, (arg >> 1) & 7), "vtl");
			break;
		case 9:
			check(d, drv_zap(d, (enum pmp_zap_reason)(arg % PMP_ZAP_TEARDOWN),
					 (enum pmp_zap_filter)(arg / 8 % 4), gfn, n), "zap");
			break;
		case 10: case 11:
			check(d, drv_tick(d), "tick");
			break;
		case 12:
			check(d, drv_promote(d, gfn), "promote");
			break;
		case 13:
			pmp_vm_policy(vm, &p);
			if (geo.vm_type == PMP_VM_SEV && p.pin != PMP_PIN_NONE)
				check(d, drv_pin_range(d, gfn, n), "pin_range");
			break;
		case 14:
			pmp_vm_policy(vm, &p);
			if (pmp_policy_parse(&p, policies[arg % 16], NULL) || pmp_vm_set_policy(vm, &p))
				abort();
			break;
		default:
			check(d, drv_flush(d), "flush");
			break;
		}
		check(d, drv_compare(d, 1021), "compare");
	}
	check(d, drv_teardown(d, 3), "teardown");
	check(d, drv_compare(d, 61), "final compare");
	drv_free(d);
	sim_free(&s);
	return 0;
}
