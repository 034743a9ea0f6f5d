// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The guest-and-VMM driver over the core and the simulator (driver.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "driver.h"

#define M2 512ULL

static int fail(struct drv *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->error, sizeof(d->error), fmt, ap);
	va_end(ap);
	return -1;
}

void drv_init(struct drv *d, struct pmp_vm *vm, struct sim *s)
{
	memset(d, 0, sizeof(*d));
	d->vm = vm;
	d->s = s;
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

static int slot_of(const struct sim *s, uint64_t gfn)
{
	int i;

	for (i = 0; i < SIM_MAX_SLOTS; i++)
		if (s->in_use[i] && gfn - s->slot[i].base_gfn < s->slot[i].npages)
			return i;
	return -1;
}

int drv_access(struct drv *d, uint64_t gfn, int accept_level, bool smaller)
{
	struct pmp_fault f = { .gfn = gfn, .backing_order = d->s->folio[gfn / M2],
			       .accept_level = (uint8_t)accept_level };
	int level, slot = slot_of(d->s, gfn), ret;

	if (slot < 0 || sim_leaf_state(d->s, gfn) == 1)
		return 0;
	f.slot = (uint32_t)slot;
	if (d->s->attr[gfn] & SA_PRIVATE)
		f.flags = PMP_FAULT_PRIVATE;
	level = pmp_max_level(d->vm, &f, NULL);
	if (level <= 0)
		return fail(d, "max_level at %#llx: %d", (unsigned long long)gfn, level);
	if (smaller && level > PMP_LEVEL_4K)
		level--;		/* KVM may map smaller than allowed */
	fresh(d);
	snprintf(d->args, sizeof(d->args), " %#llx level %d", (unsigned long long)gfn, level);
	ret = apply(d, "map", pmp_map(d->vm, &f, level, &d->acts));
	if (ret)
		return ret < 0 ? ret : 0;	/* refused: over the pin limit */
	if (sim_leaf_state(d->s, gfn) != 1)
		return fail(d, "fault at %#llx left it unmapped", (unsigned long long)gfn);
	return 0;
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
	err = pmp_accept(d->vm, gfn, level, &d->acts);
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
	ret = apply(d, "convert", pmp_convert(d->vm, gfn, n, private, &d->acts));
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
	return apply(d, "punch", pmp_punch(d->vm, gfn, n, folios, &d->acts)) < 0 ? -1 : 0;
}

int drv_write_track(struct drv *d, uint64_t gfn, uint64_t n, bool on)
{
	int ret;

	fresh(d);
	snprintf(d->args, sizeof(d->args), " %#llx+%#llx %s", (unsigned long long)gfn,
		 (unsigned long long)n, on ? "on" : "off");
	ret = apply(d, "write_track", pmp_write_track(d->vm, gfn, n, on, &d->acts));
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
	ret = apply(d, "vtl_protect", pmp_vtl_protect(d->vm, vtl, gfn, n, prot, &d->acts));
	if (!ret && vtl == 0)
		sim_set_attr(d->s, gfn, n, SA_VTL0, (uint8_t)((~prot & 7) << 2));
	return ret < 0 ? ret : 0;
}

int drv_dirty_log(struct drv *d, uint32_t slot, bool on)
{
	int ret;

	fresh(d);
	ret = apply(d, "dirty_log", pmp_dirty_log(d->vm, slot, on, &d->acts));
	if (!ret && on)
		d->s->slot[slot].flags |= PMP_SLOT_DIRTY_LOG;
	else if (!ret)
		d->s->slot[slot].flags &= ~PMP_SLOT_DIRTY_LOG;
	return ret < 0 ? ret : 0;
}

int drv_zap(struct drv *d, enum pmp_zap_reason reason, uint64_t gfn, uint64_t n)
{
	fresh(d);
	snprintf(d->args, sizeof(d->args), " reason %d %#llx+%#llx", reason,
		 (unsigned long long)gfn, (unsigned long long)n);
	return apply(d, "zap", pmp_zap(d->vm, reason, gfn, n, &d->acts)) < 0 ? -1 : 0;
}

int drv_tick(struct drv *d)
{
	fresh(d);
	return apply(d, "merge_tick", pmp_merge_tick(d->vm, &d->acts)) < 0 ? -1 : 0;
}

int drv_pin_range(struct drv *d, uint64_t gfn, uint64_t n)
{
	fresh(d);
	return apply(d, "pin_range", pmp_pin_range(d->vm, gfn, n, &d->acts)) < 0 ? -1 : 0;
}

int drv_promote(struct drv *d, uint64_t gfn)
{
	int err;

	fresh(d);
	err = pmp_promote(d->vm, gfn, &d->acts);
	if (err == -EEXIST || err == -EBUSY || err == -EAGAIN)
		return d->acts.nr ? fail(d, "refused promote returned actions") : 0;
	return apply(d, "promote", err) < 0 ? -1 : 0;
}

int drv_flush(struct drv *d)
{
	int ret;

	do {
		fresh(d);
		ret = pmp_inval_flush(d->vm, &d->acts);
		if (ret < 0 || apply(d, "flush", 0) < 0)
			return ret < 0 ? fail(d, "flush: %d", ret) : -1;
	} while (ret == 1);
	return 0;
}

int drv_teardown(struct drv *d, uint32_t cap)
{
	uint64_t cursor = 0;
	int ret;

	do {
		fresh(d)->cap = cap;
		ret = pmp_teardown(d->vm, &cursor, &d->acts);
		if (ret < 0)
			return fail(d, "teardown: %s", pmp_strerror(ret));
		if (sim_apply_all(d->s, &d->acts))
			return fail(d, "teardown: %s", d->s->error);
	} while (ret == 1);
	if (pmp_nr_pinned(d->vm) || d->s->nr_pinned || pmp_nr_deferred(d->vm))
		return fail(d, "pins or deferrals left after teardown");
	return 0;
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
		    pmp_leaf_level(d->vm, gfn) >= 0)
			return fail(d, "leaf at %#llx: core %d, simulator %d",
				    (unsigned long long)gfn, pmp_leaf_level(d->vm, gfn),
				    sim_leaf_level(d->s, gfn));
		if (pmp_is_pinned(d->vm, gfn) >= 0 &&
		    pmp_is_pinned(d->vm, gfn) != d->s->pins[gfn])
			return fail(d, "pin at %#llx differs", (unsigned long long)gfn);
	}
	if (stride == 1 && sim_check_leaves(d->s, 0, end))
		return fail(d, "%s", d->s->error);
	return 0;
}
