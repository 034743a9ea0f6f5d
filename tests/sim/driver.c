// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The guest-and-VMM driver over the core and the simulator (driver.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "driver.h"

#define M2 512ULL
#define ORACLE_BROKEN (-10000)	/* no errno: an oracle found a broken promise */
#define BIG_ARRAY 70000U	/* the oracle's "large" array */

struct pmp_vm *drv_vm_copy(const struct pmp_vm *vm)
{
	struct pmp_vm_info info;
	void *mem;

	pmp_vm_info(vm, &info);
	mem = aligned_alloc(64, (info.bytes + 63) & ~63ULL);
	if (!mem)
		abort();
	memcpy(mem, vm, info.bytes);
	return mem;
}

/*
 * Scratch VMs the oracles reuse call after call (a fresh allocation of a
 * few hundred KiB per call is an mmap and page faults each time).
 */
static struct pmp_vm *scratch_copy(unsigned int i, const struct pmp_vm *vm)
{
	static void *mem[4];
	static uint64_t size[4];
	struct pmp_vm_info info;

	pmp_vm_info(vm, &info);
	if (info.bytes > size[i]) {
		free(mem[i]);
		size[i] = (info.bytes + 63) & ~63ULL;
		mem[i] = aligned_alloc(64, size[i]);
		if (!mem[i])
			abort();
	}
	memcpy(mem[i], vm, info.bytes);
	return mem[i];
}

bool drv_state_equal(const struct pmp_vm *a, const struct pmp_vm *b, unsigned int exempt)
{
	struct pmp_vm_info ia, ib;
	struct pmp_stats sa, sb;
	struct pmp_vm *ca, *cb;
	bool same;

	pmp_vm_info(a, &ia);
	pmp_vm_info(b, &ib);
	if (ia.bytes != ib.bytes)
		return false;
	if (!exempt)
		return !memcmp(a, b, ia.bytes);
	pmp_vm_stats(a, &sa);
	pmp_vm_stats(b, &sb);
	memset(sa.decision, 0, sizeof(sa.decision));
	memset(sb.decision, 0, sizeof(sb.decision));
	if (!(exempt & DRV_EXEMPT_COUNTERS) && memcmp(&sa, &sb, sizeof(sa)))
		return false;
	/* the rest byte for byte: the same bytes once both count nothing */
	ca = scratch_copy(0, a);
	cb = scratch_copy(1, b);
	pmp_vm_stats_reset(ca);
	pmp_vm_stats_reset(cb);
	same = !memcmp(ca, cb, ia.bytes);
	return same;
}

static int why_fail(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* Run @c on @vm with arrays of @cap entries, resuming until done, into @list. */
static int run_resumed(struct pmp_vm *vm, struct drv_call *c, uint32_t cap,
		       struct pmp_action **list, uint32_t *nr, char *why, size_t len)
{
	struct pmp_action *buf = malloc(((size_t)cap + 1) * sizeof(*buf));
	uint32_t room = 0, calls = 0;
	int r;

	*list = NULL;
	*nr = 0;
	do {
		struct pmp_actions out = { .buf = buf, .cap = cap, .nr = 0 };

		r = c->fn(vm, c, &out);
		if (*nr + out.nr > room) {
			room = (*nr + out.nr) * 2 + 64;
			*list = realloc(*list, room * sizeof(**list));
		}
		if (out.nr)
			memcpy(*list + *nr, buf, out.nr * sizeof(*buf));
		*nr += out.nr;
		if (c->resumable && r == 1 && !out.nr) {
			r = why_fail(why, len, "%s with %u entries: 1 without progress", c->name, cap);
			break;
		}
		if (r == -ENOSPC && calls) {
			r = why_fail(why, len, "%s with %u entries: -ENOSPC after %u calls",
				     c->name, cap, calls);
			break;
		}
		calls++;
	} while (c->resumable && r == 1 && calls < 10000000);
	free(buf);
	return r;
}

int drv_oracle(const struct pmp_vm *before, const struct pmp_vm *after, struct drv_call *c,
	       int ret, const struct pmp_action *acts, uint32_t nr, uint32_t cap, char *why,
	       size_t len)
{
	struct drv_call again = *c;
	struct pmp_vm *vm;
	struct pmp_action *list;
	uint32_t list_nr, i;
	int r, err = 0;

	if (ret < 0 && !drv_state_equal(before, after, DRV_EXEMPT_DECISIONS))
		return why_fail(why, len, "%s failed (%d) yet changed more than the decision "
				"counters", c->name, ret);
	vm = scratch_copy(2, before);
	r = run_resumed(vm, &again, cap, &list, &list_nr, why, len);
	if (r == -1) {
		err = -1;
	} else if (r == -ENOSPC && !list_nr) {
		if (!drv_state_equal(before, vm, DRV_EXEMPT_DECISIONS))
			err = why_fail(why, len, "%s with %u entries: -ENOSPC, yet state changed",
				       c->name, cap);
	} else if (c->may_do_less && r >= 0 && ret >= 0) {
		if (list_nr > nr || (list_nr && memcmp(list, acts, list_nr * sizeof(*list))))
			err = why_fail(why, len, "%s with %u entries: not a prefix of the actions "
				       "with more room", c->name, cap);
	} else if (r != ret) {
		err = why_fail(why, len, "%s with %u entries returns %d, %d with another array",
			       c->name, cap, r, ret);
	} else if (list_nr != nr || (nr && memcmp(list, acts, nr * sizeof(*list)))) {
		for (i = 0; i < nr && i < list_nr && !memcmp(&list[i], &acts[i], sizeof(*list));
		     i++)
			;
		err = why_fail(why, len, "%s with %u entries: %u actions, %u with another array; "
			       "they differ from #%u", c->name, cap, list_nr, nr, i);
	} else if (!drv_state_equal(after, vm, c->resumable ? DRV_EXEMPT_COUNTERS : 0)) {
		err = why_fail(why, len, "%s with %u entries: same actions, another final state",
			       c->name, cap);
	}
	free(list);
	return err;
}

static int fail(struct drv *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->error, sizeof(d->error), fmt, ap);
	va_end(ap);
	return -1;
}

/* sim's maybe_mapped: the core's mirror of VTL @vtl is unknown at @gfn. */
static bool core_maybe_mapped(void *ctx, unsigned int vtl, uint64_t gfn)
{
	struct drv *d = ctx;
	struct pmp_page_attrs a;

	return !pmp_get_attrs(d->vm, gfn, &a) && (a.unknown & PMP_ATTR_UNKNOWN_MAPPED(vtl));
}

void drv_init(struct drv *d, struct pmp_vm *vm, struct sim *s)
{
	memset(d, 0, sizeof(*d));
	d->vm = vm;
	d->s = s;
	s->maybe_mapped = core_maybe_mapped;
	s->maybe_ctx = d;
}

void drv_free(struct drv *d)
{
	free(d->before);
	free(d->log);
	d->before = NULL;
	d->log = NULL;
}

static void log_actions(struct drv *d)
{
	if (!d->acts.nr)
		return;
	if (d->log_nr + d->acts.nr > d->log_cap) {
		d->log_cap = (d->log_nr + d->acts.nr) * 2 + 64;
		d->log = realloc(d->log, d->log_cap * sizeof(*d->log));
	}
	memcpy(d->log + d->log_nr, d->acts.buf, d->acts.nr * sizeof(*d->log));
	d->log_nr += d->acts.nr;
}

/* Keep the state a call starts from, for the oracles. */
static void before(struct drv *d)
{
	struct pmp_vm_info info;

	if (!d->oracle)
		return;
	if (!d->before) {
		d->before = drv_vm_copy(d->vm);
		return;
	}
	pmp_vm_info(d->vm, &info);
	memcpy(d->before, d->vm, info.bytes);
}

/*
 * The array size the oracle tries next: nothing, a few entries, exactly
 * or about what the call returned, or about one event's reservation.
 */
static uint32_t oracle_cap(struct drv *d, uint32_t nr)
{
	uint64_t k = d->calls++;

	switch (k % 4) {
	case 0:
		return (uint32_t)(k / 4 % 5);
	case 1:
		return nr;
	case 2:
		return nr + 1 + (uint32_t)(k / 4 % 3);
	default:
		return PMP_EVENT_ACTIONS - 2 + (uint32_t)(k / 4 % 8);
	}
}

static int check_oracle(struct drv *d, struct drv_call *c, int ret, const struct pmp_action *acts,
			uint32_t nr, uint32_t cap)
{
	char why[256];

	if (!drv_oracle(d->before, d->vm, c, ret, acts, nr, cap, why, sizeof(why)))
		return ret;
	fail(d, "oracle: %s%s: %s", c->name, d->args, why);
	return ORACLE_BROKEN;
}

/* One core call; with the oracles on, checked against a copy made before it. */
static int core(struct drv *d, struct drv_call *c)
{
	struct drv_call start = *c;
	int ret;

	before(d);
	ret = c->fn(d->vm, c, &d->acts);
	if (!d->oracle)
		return ret;
	return check_oracle(d, &start, ret, d->acts.buf, d->acts.nr,
			    oracle_cap(d, d->acts.nr));
}

static struct pmp_actions *fresh(struct drv *d)
{
	d->acts.buf = d->buf;
	d->acts.cap = DRV_ACTIONS;
	d->acts.nr = 0;
	return &d->acts;
}

static void trace(struct drv *d, const char *what, int err)
{
	uint32_t i;

	if (!d->trace)
		return;
	printf("%s%s -> %d\n", what, d->args, err);
	for (i = 0; i < d->acts.nr; i++)
		printf("    %s level %u %s %#llx+%#llx\n", pmp_action_name(d->buf[i].type),
		       d->buf[i].level, pmp_cause_name(d->buf[i].cause),
		       (unsigned long long)d->buf[i].gfn, (unsigned long long)d->buf[i].npages);
}

/*
 * A call's outcome: a clean refusal (no actions) is 1, a success whose
 * actions the simulator accepts is 0, anything else a broken rule.
 */
static int apply(struct drv *d, const char *what, int err)
{
	if (err == ORACLE_BROKEN)
		return -1;
	trace(d, what, err);
	if (err == -ENOMEM || err == -EBUSY || err == -EAGAIN) {
		if (d->acts.nr)
			return fail(d, "%s refused (%d) but returned actions", what, err);
		d->refusals++;
		return 1;
	}
	if (err < 0)
		return fail(d, "%s%s failed: %s", what, d->args, pmp_strerror(err));
	if (sim_apply_all(d->s, &d->acts))
		return fail(d, "%s%s: %s", what, d->args, d->s->error);
	return 0;
}

/* The core calls, in the form the oracles can replay. */
static int c_map(struct pmp_vm *vm, struct drv_call *c, struct pmp_actions *out)
{
	return pmp_map(vm, c->ptr, c->level, out);
}

static int c_accept(struct pmp_vm *vm, struct drv_call *c, struct pmp_actions *out)
{
	return pmp_accept(vm, c->gfn, c->level, out);
}

static int c_convert(struct pmp_vm *vm, struct drv_call *c, struct pmp_actions *out)
{
	return pmp_convert(vm, c->gfn, c->n, c->arg, out);
}

static int c_punch(struct pmp_vm *vm, struct drv_call *c, struct pmp_actions *out)
{
	return pmp_punch(vm, c->gfn, c->n, c->ptr, out);
}

static int c_write_track(struct pmp_vm *vm, struct drv_call *c, struct pmp_actions *out)
{
	return pmp_write_track(vm, c->gfn, c->n, c->arg, out);
}

static int c_vtl_protect(struct pmp_vm *vm, struct drv_call *c, struct pmp_actions *out)
{
	return pmp_vtl_protect(vm, c->arg, c->gfn, c->n, c->arg2, out);
}

static int c_dirty_log(struct pmp_vm *vm, struct drv_call *c, struct pmp_actions *out)
{
	return pmp_dirty_log(vm, c->arg, c->arg2, out);
}

static int c_zap(struct pmp_vm *vm, struct drv_call *c, struct pmp_actions *out)
{
	return pmp_zap(vm, (enum pmp_zap_reason)c->arg, (enum pmp_zap_filter)c->arg2, c->gfn, c->n,
		       out);
}

static int c_tick(struct pmp_vm *vm, struct drv_call *c, struct pmp_actions *out)
{
	(void)c;
	return pmp_merge_tick(vm, out);
}

static int c_pin_range(struct pmp_vm *vm, struct drv_call *c, struct pmp_actions *out)
{
	return pmp_pin_range(vm, c->gfn, c->n, out);
}

static int c_promote(struct pmp_vm *vm, struct drv_call *c, struct pmp_actions *out)
{
	return pmp_promote(vm, c->gfn, out);
}

int drv_call_flush(struct pmp_vm *vm, struct drv_call *c, struct pmp_actions *out)
{
	(void)c;
	return pmp_inval_flush(vm, out);
}

int drv_call_teardown(struct pmp_vm *vm, struct drv_call *c, struct pmp_actions *out)
{
	return pmp_teardown(vm, &c->cursor, out);
}

static int slot_of(const struct sim *s, uint64_t gfn)
{
	int i;

	for (i = 0; i < SIM_MAX_SLOTS; i++)
		if (s->in_use[i] && gfn - s->slot[i].base_gfn < s->slot[i].npages)
			return i;
	return -1;
}

/*
 * pmp_fault_map() on @one, a copy of the VM made before the pair
 * pmp_max_level() + pmp_map() (@level, @ret) ran on d->vm: the same return,
 * reason, actions and state, byte for byte.
 */
static int one_call_same(struct drv *d, struct pmp_vm *one, const struct pmp_fault *f,
			 int max_level, int level, enum pmp_reason why, int ret)
{
	static struct pmp_action buf[DRV_ACTIONS];
	struct pmp_actions out = { .buf = buf, .cap = DRV_ACTIONS };
	enum pmp_reason why_one = PMP_REASON_NR;
	int r = pmp_fault_map(one, f, max_level, &why_one, &out);

	if (r != (ret ? ret : level) || why_one != why)
		return fail(d, "pmp_fault_map%s: %d (%s), the pair %d (%s)", d->args, r,
			    pmp_reason_name(why_one), ret ? ret : level, pmp_reason_name(why));
	if (out.nr != d->acts.nr || memcmp(buf, d->acts.buf, out.nr * sizeof(*buf)))
		return fail(d, "pmp_fault_map%s: %u actions unlike the pair's %u", d->args, out.nr,
			    d->acts.nr);
	if (!drv_state_equal(one, d->vm, 0))
		return fail(d, "pmp_fault_map%s: a state unlike the pair's", d->args);
	return 0;
}

/*
 * The lean decision (pmp_fault_slot_level()) capped by the fault's folio
 * and accept level, as its caller caps it: pmp_max_level()'s @level.
 */
static int lean_same(struct drv *d, const struct pmp_fault *f, int level)
{
	struct pmp_fault_slot fs;
	int lean, cap = f->backing_order >= 18 ? PMP_LEVEL_1G :
			f->backing_order >= 9 ? PMP_LEVEL_2M : PMP_LEVEL_4K;
	int err = pmp_fault_slot_init(d->vm, f->slot, f->vtl, &fs);

	if (err)
		return fail(d, "pmp_fault_slot_init(%u, %u): %d", f->slot, f->vtl, err);
	lean = pmp_fault_slot_level(d->vm, &fs, f->gfn, f->flags);
	if (lean > cap)
		lean = cap;
	if (f->accept_level && lean > f->accept_level)
		lean = f->accept_level;
	if (lean != level)
		return fail(d, "pmp_fault_slot_level at %#llx vtl %u: %d capped, pmp_max_level %d",
			    (unsigned long long)f->gfn, f->vtl, lean, level);
	return 0;
}

static int vtl_access(struct drv *d, uint32_t vtl, uint64_t gfn, int accept_level, bool smaller)
{
	struct pmp_vm *one = NULL;
	enum pmp_reason why;
	struct pmp_fault f = { .gfn = gfn, .backing_order = d->s->folio[gfn / M2],
			       .accept_level = (uint8_t)accept_level, .vtl = (uint8_t)vtl };
	int level, slot = slot_of(d->s, gfn), ret;

	if (slot < 0 || (vtl ? sim_vtl_leaf_level(d->s, vtl, gfn) > 0 : sim_leaf_state(d->s, gfn) == 1))
		return 0;
	f.slot = (uint32_t)slot;
	if (d->s->attr[gfn] & SA_PRIVATE)
		f.flags = PMP_FAULT_PRIVATE;
	if (d->oracle)	/* the one call runs on a copy, against the pair */
		one = scratch_copy(3, d->vm);
	level = pmp_max_level(d->vm, &f, &why);
	if (level <= 0)
		return fail(d, "max_level at %#llx: %d", (unsigned long long)gfn, level);
	if (lean_same(d, &f, level))
		return -1;
	if (smaller && level > PMP_LEVEL_4K)
		level--;		/* KVM may map smaller than allowed */
	fresh(d);
	snprintf(d->args, sizeof(d->args), " vtl %u %#llx level %d", vtl, (unsigned long long)gfn,
		 level);
	ret = core(d, &(struct drv_call){ .fn = c_map, .name = "map", .ptr = &f, .level = level });
	if (one && ret != ORACLE_BROKEN &&
	    one_call_same(d, one, &f, smaller ? level : PMP_LEVEL_1G, level, why, ret))
		return -1;
	ret = apply(d, "map", ret);
	if (ret)
		return ret < 0 ? ret : 0;	/* refused: over the pin limit */
	if (vtl ? sim_vtl_leaf_level(d->s, vtl, gfn) <= 0 : sim_leaf_state(d->s, gfn) != 1)
		return fail(d, "fault at %#llx left it unmapped in VTL %u", (unsigned long long)gfn,
			    vtl);
	return 0;
}

int drv_access(struct drv *d, uint64_t gfn, int accept_level, bool smaller)
{
	return vtl_access(d, 0, gfn, accept_level, smaller);
}

int drv_vtl_access(struct drv *d, unsigned int vtl, uint64_t gfn, bool smaller)
{
	if (vtl >= d->s->nr_vtls)
		return fail(d, "access from VTL %u of a VM with %u", vtl, d->s->nr_vtls);
	return vtl_access(d, vtl, gfn, 0, smaller);
}

int drv_accept(struct drv *d, uint64_t gfn, int level)
{
	uint64_t pages = PMP_LEVEL_PAGES(level), i;
	struct pmp_actions after;
	struct pmp_policy p;
	uint32_t split;
	int err, ret;

	for (i = gfn; i < gfn + pages; i++)
		if (!(d->s->attr[i] & SA_PRIVATE) || d->s->accepted[i])
			return 0;	/* the guest accepts pending private memory only */
	if (drv_access(d, gfn, level, false))	/* the accept's EPT violation maps it */
		return -1;
	pmp_vm_policy(d->vm, &p);
	d->s->inhibit_clear = p.inhibit == PMP_INHIBIT_CLEAR;
	fresh(d);
	snprintf(d->args, sizeof(d->args), " %#llx level %d", (unsigned long long)gfn, level);
	err = core(d, &(struct drv_call){ .fn = c_accept, .name = "accept", .gfn = gfn,
					  .level = level });
	/* the split comes before the guest's accept succeeds, a promote after */
	for (split = 0; split < d->acts.nr && d->buf[split].cause != PMP_CAUSE_MERGE; split++)
		;
	after = d->acts;
	after.buf += split;
	after.nr -= split;
	d->acts.nr = split;
	ret = apply(d, "accept", err);
	if (ret)
		return ret < 0 ? ret : 0;
	for (i = gfn; i < gfn + pages; i++)
		if (sim_leaf_level(d->s, i) > level)
			return fail(d, "accept at level %d of %#llx: leaf %d left", level,
				    (unsigned long long)i, sim_leaf_level(d->s, i));
	sim_accept(d->s, gfn, level);
	if (sim_apply_all(d->s, &after))
		return fail(d, "accept's promote: %s", d->s->error);
	return 0;
}

int drv_convert(struct drv *d, uint64_t gfn, uint64_t n, bool private)
{
	int ret;

	fresh(d);
	snprintf(d->args, sizeof(d->args), " %#llx+%#llx %s", (unsigned long long)gfn,
		 (unsigned long long)n, private ? "private" : "shared");
	ret = core(d, &(struct drv_call){ .fn = c_convert, .name = "convert", .gfn = gfn, .n = n,
					  .arg = private });
	/* an SEV VM has no private memory: KVM refuses the attribute, and so must the core */
	if (private && d->s->vm_type == PMP_VM_SEV) {
		if (ret != -EINVAL || d->acts.nr)
			return fail(d, "convert%s on SEV: %d with %u actions, not -EINVAL", d->args,
				    ret, d->acts.nr);
		return 0;
	}
	ret = apply(d, "convert", ret);
	if (!ret) {
		sim_set_attr(d->s, gfn, n, SA_PRIVATE, private ? SA_PRIVATE : 0);
		sim_unaccept(d->s, gfn, n);
	}
	return ret < 0 ? ret : 0;
}

/* The simulator updates contents, acceptance and folios per INVALIDATE. */
int drv_punch(struct drv *d, uint64_t gfn, uint64_t n, const struct pmp_folios *folios)
{
	fresh(d);
	snprintf(d->args, sizeof(d->args), " %#llx+%#llx", (unsigned long long)gfn,
		 (unsigned long long)n);
	if (d->s->punch_wanted)
		memset(&d->s->punch_wanted[gfn], 1, n);
	return apply(d, "punch", core(d, &(struct drv_call){ .fn = c_punch, .name = "punch",
							.gfn = gfn, .n = n, .ptr = folios })) < 0 ? -1 : 0;
}

/* Does a memslot touch every 1 GiB of [gfn, gfn + n)?  Then it has state. */
static bool has_state(const struct sim *s, uint64_t gfn, uint64_t n)
{
	uint64_t g, i;

	for (g = gfn >> 18; g <= (gfn + n - 1) >> 18; g++) {
		bool touched = false;

		for (i = 0; i < SIM_MAX_SLOTS && !touched; i++)
			touched = s->in_use[i] && s->slot[i].base_gfn < (g + 1) << 18 &&
				  s->slot[i].base_gfn + s->slot[i].npages > g << 18;
		if (!touched)
			return false;
	}
	return true;
}

/*
 * Issue 13 #4: write tracking and VTL changes degrade (the chunk goes
 * unknown), never fail for pool where state is; a VTL change's zap widens
 * to whole chunks when the mirror's bitmap does not fit, except over TDX
 * accepted pages, so with a pool below the default a TDX VTL change may
 * still be refused.
 */
static int no_pool_refusal(struct drv *d, const char *what, int err, uint64_t gfn, uint64_t n,
			   bool widens)
{
	if (err != -ENOMEM || !has_state(d->s, gfn, n) || (widens && d->s->vm_type == PMP_VM_TDX))
		return err;
	fail(d, "%s%s failed for lack of pool", what, d->args);
	return ORACLE_BROKEN;
}

int drv_write_track(struct drv *d, uint64_t gfn, uint64_t n, bool on)
{
	int ret;

	fresh(d);
	snprintf(d->args, sizeof(d->args), " %#llx+%#llx %s", (unsigned long long)gfn,
		 (unsigned long long)n, on ? "on" : "off");
	ret = apply(d, "write_track", no_pool_refusal(d, "write_track",
			core(d, &(struct drv_call){ .fn = c_write_track, .name = "write_track",
						    .gfn = gfn, .n = n, .arg = on }), gfn, n, false));
	if (!ret)
		sim_set_attr(d->s, gfn, n, SA_WTRACK, on ? SA_WTRACK : 0);
	return ret < 0 ? ret : 0;
}

int drv_vtl_protect(struct drv *d, unsigned int vtl, uint64_t gfn, uint64_t n, unsigned int prot)
{
	int ret;

	fresh(d);
	snprintf(d->args, sizeof(d->args), " vtl %u %#llx+%#llx prot %u", vtl,
		 (unsigned long long)gfn, (unsigned long long)n, prot);
	ret = apply(d, "vtl_protect", no_pool_refusal(d, "vtl_protect",
			core(d, &(struct drv_call){ .fn = c_vtl_protect, .name = "vtl_protect",
						    .gfn = gfn, .n = n, .arg = vtl, .arg2 = prot }),
			gfn, n, true));
	if (!ret && vtl < d->s->nr_vtls)
		sim_set_prot(d->s, vtl, gfn, n, prot);
	return ret < 0 ? ret : 0;
}

int drv_dirty_log(struct drv *d, uint32_t slot, bool on)
{
	int ret;

	fresh(d);
	ret = apply(d, "dirty_log", core(d, &(struct drv_call){ .fn = c_dirty_log,
			.name = "dirty_log", .arg = slot, .arg2 = on }));
	if (!ret && on)
		d->s->slot[slot].flags |= PMP_SLOT_DIRTY_LOG;
	else if (!ret)
		d->s->slot[slot].flags &= ~PMP_SLOT_DIRTY_LOG;
	return ret < 0 ? ret : 0;
}

int drv_zap(struct drv *d, enum pmp_zap_reason reason, enum pmp_zap_filter filter, uint64_t gfn,
	    uint64_t n)
{
	fresh(d);
	snprintf(d->args, sizeof(d->args), " reason %d filter %d %#llx+%#llx", reason, filter,
		 (unsigned long long)gfn, (unsigned long long)n);
	return apply(d, "zap", core(d, &(struct drv_call){ .fn = c_zap, .name = "zap", .gfn = gfn,
						      .n = n, .arg = reason, .arg2 = filter })) < 0 ? -1 : 0;
}

int drv_tick(struct drv *d)
{
	fresh(d);
	return apply(d, "merge_tick", core(d, &(struct drv_call){ .fn = c_tick, .name = "merge_tick",
							     .may_do_less = true })) < 0 ? -1 : 0;
}

int drv_pin_range(struct drv *d, uint64_t gfn, uint64_t n)
{
	fresh(d);
	return apply(d, "pin_range", core(d, &(struct drv_call){ .fn = c_pin_range,
			.name = "pin_range", .gfn = gfn, .n = n })) < 0 ? -1 : 0;
}

int drv_promote(struct drv *d, uint64_t gfn)
{
	int err;

	fresh(d);
	err = core(d, &(struct drv_call){ .fn = c_promote, .name = "promote", .gfn = gfn });
	if (err == -EEXIST || err == -EBUSY || err == -EAGAIN)
		return d->acts.nr ? fail(d, "refused promote returned actions") : 0;
	return apply(d, "promote", err) < 0 ? -1 : 0;
}

/*
 * A resumed call (flush, teardown) with arrays of @cap entries until done;
 * the oracle runs it again with another size: small after a large array,
 * large after a small one.
 */
static int resumed(struct drv *d, struct drv_call *c, uint32_t cap)
{
	struct drv_call start = *c;
	uint32_t calls = 0;
	int ret;

	before(d);
	d->log_nr = 0;
	do {
		fresh(d)->cap = cap;
		ret = c->fn(d->vm, c, &d->acts);
		if (ret < 0)
			return fail(d, "%s: %s", c->name, pmp_strerror(ret));
		if (ret == 1 && !d->acts.nr)
			return fail(d, "%s: 1 with no progress", c->name);
		if (sim_apply_all(d->s, &d->acts))
			return fail(d, "%s: %s", c->name, d->s->error);
		if (d->oracle)
			log_actions(d);
	} while (ret == 1 && ++calls < 100000000);
	if (d->oracle && check_oracle(d, &start, ret, d->log, d->log_nr,
				      cap >= 64 ? (uint32_t)(d->calls++ % 6) : BIG_ARRAY) < 0)
		return -1;
	return 0;
}

int drv_flush(struct drv *d)
{
	return resumed(d, &(struct drv_call){ .fn = drv_call_flush, .name = "flush", .resumable = true },
		       DRV_ACTIONS);
}

int drv_teardown(struct drv *d, uint32_t cap)
{
	if (resumed(d, &(struct drv_call){ .fn = drv_call_teardown, .name = "teardown",
					   .resumable = true }, cap))
		return -1;
	if (pmp_nr_pinned(d->vm) || d->s->nr_pinned || pmp_nr_deferred(d->vm))
		return fail(d, "pins or deferrals left after teardown");
	return 0;
}

/*
 * The core's degraded answer for @gfn in VTL @vtl (the pool was short for
 * its mirror's bitmap): "maybe a 4 KiB leaf" where the simulator has none
 * or a 4 KiB one.  Safe (zaps cover it, merges skip it); the other way,
 * a leaf the core does not know of, never is.
 */
static bool maybe_mapped(struct drv *d, unsigned int vtl, uint64_t gfn)
{
	struct pmp_page_attrs a;
	int sim = vtl ? sim_vtl_leaf_level(d->s, vtl, gfn) : sim_leaf_level(d->s, gfn);

	if (pmp_get_attrs(d->vm, gfn, &a) || !(a.unknown & PMP_ATTR_UNKNOWN_MAPPED(vtl)))
		return false;
	d->maybe_mapped++;
	return pmp_vtl_leaf_level(d->vm, vtl, gfn) == PMP_LEVEL_4K && sim <= PMP_LEVEL_4K;
}

int drv_compare(struct drv *d, uint64_t stride)
{
	uint64_t gfn, end = d->s->pages;

	if (pmp_vm_check(d->vm))
		return fail(d, "pmp_vm_check failed");
	if (pmp_nr_pinned(d->vm) != d->s->nr_pinned)
		return fail(d, "pinned: core %llu, simulator %llu",
			    (unsigned long long)pmp_nr_pinned(d->vm),
			    (unsigned long long)d->s->nr_pinned);
	for (gfn = stride > 1 ? (d->s->rng ^ (d->s->rng >> 17)) % stride : 0; gfn < end;
	     gfn += stride) {
		if (pmp_leaf_level(d->vm, gfn) != sim_leaf_level(d->s, gfn) &&
		    pmp_leaf_level(d->vm, gfn) >= 0 && !maybe_mapped(d, 0, gfn))
			return fail(d, "leaf at %#llx: core %d, simulator %d",
				    (unsigned long long)gfn, pmp_leaf_level(d->vm, gfn),
				    sim_leaf_level(d->s, gfn));
		for (uint32_t v = 1; v < d->s->nr_vtls; v++)
			if (pmp_vtl_leaf_level(d->vm, v, gfn) >= 0 &&
			    pmp_vtl_leaf_level(d->vm, v, gfn) != sim_vtl_leaf_level(d->s, v, gfn) &&
			    !maybe_mapped(d, v, gfn))
				return fail(d, "VTL %u leaf at %#llx: core %d, simulator %d", v,
					    (unsigned long long)gfn,
					    pmp_vtl_leaf_level(d->vm, v, gfn),
					    sim_vtl_leaf_level(d->s, v, gfn));
		if (pmp_is_pinned(d->vm, gfn) >= 0 &&
		    pmp_is_pinned(d->vm, gfn) != d->s->pins[gfn])
			return fail(d, "pin at %#llx differs", (unsigned long long)gfn);
	}
	if (stride == 1 && sim_check_leaves(d->s, 0, end))
		return fail(d, "%s", d->s->error);
	return 0;
}
