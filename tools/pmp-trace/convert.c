// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Raw tracepoint records -> trace events.  Two passes over the records:
 * the first finds what the vm line needs (it comes first in a trace but
 * depends on everything: the highest frame, vCPUs, memslots), the second
 * writes the events in order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "convert.h"
#include "tool.h"

#define SZ_2M_PAGES 512ULL
#define SZ_1G_PAGES (512ULL * 512ULL)
#define PAGE_SHIFT 12

/* guest_memfds remembered (a VMM makes one or two per memslot) */
#define GMEM_FDS 512

/* The last kvm:kvm_page_fault of each task, for the fault that follows it. */
#define PENDING_SLOTS 256
struct pending {
	uint32_t tid;
	bool valid;
	uint16_t vcpu;
	uint32_t flags;
};

/* Frames [lo, hi). */
struct span {
	uint64_t lo, hi;
};

struct conv {
	const struct convert_opts *o;
	FILE *out;
	struct convert_stats *st;
	struct convert_slot slots[CONVERT_MAX_SLOTS];
	struct pending pending[PENDING_SLOTS];
	int64_t gmem_fds[GMEM_FDS];	/* fds KVM_CREATE_GUEST_MEMFD returned, -1 free */
	/*
	 * The frames KVM_SET_MEMORY_ATTRIBUTES left private, as the recorded
	 * syscalls say: sorted by lo, disjoint, never touching (merged).
	 */
	struct span *priv;
	size_t nr_priv;
	uint64_t gfn_end, t0, last_time;
	int err;
};

static uint64_t round_up(uint64_t v, uint64_t to)
{
	return (v + to - 1) / to * to;
}

static void emit(struct conv *c, struct pmp_trace_event *ev, uint64_t time)
{
	char line[PMP_TRACE_MAX_LINE + 2];

	ev->time = time > c->t0 ? time - c->t0 : 0;
	if (pmp_trace_format(ev, line, sizeof(line)) < 0) {
		/*
		 * Not expected: the importer refuses values out of range and the
		 * kernel gives none.  Said in the trace and on stderr, never silent.
		 */
		fprintf(c->out, "# pmp-trace: %s event not representable (gfn 0x%llx)\n",
			pmp_trace_type_name(ev->type), (unsigned long long)ev->gfn);
		fprintf(stderr, "pmp-trace: a %s event (gfn 0x%llx, npages 0x%llx) cannot be "
			"written as a trace line: the trace is incomplete\n",
			pmp_trace_type_name(ev->type), (unsigned long long)ev->gfn,
			(unsigned long long)ev->npages);
		c->err = -EINVAL;
		return;
	}
	fputs(line, c->out);
	c->st->events[ev->type]++;
}

static struct convert_slot *slot_by_id(struct conv *c, uint32_t id, bool create)
{
	struct convert_slot *free_slot = NULL;
	unsigned int i;

	for (i = 0; i < CONVERT_MAX_SLOTS; i++) {
		if (c->slots[i].used && c->slots[i].id == id)
			return &c->slots[i];
		if (!c->slots[i].used && !free_slot)
			free_slot = &c->slots[i];
	}
	return create ? free_slot : NULL;
}

static const struct convert_slot *slot_by_gfn(const struct conv *c, uint64_t gfn)
{
	unsigned int i;

	for (i = 0; i < CONVERT_MAX_SLOTS; i++) {
		const struct convert_slot *s = &c->slots[i];

		if (s->used && gfn >= s->gfn && gfn - s->gfn < s->npages)
			return s;
	}
	return NULL;
}

static uint32_t slot_flags(uint32_t kvm_flags)
{
	return (kvm_flags & RAW_MEM_LOG_DIRTY_PAGES ? PMP_SLOT_DIRTY_LOG : 0) |
	       (kvm_flags & RAW_MEM_READONLY ? PMP_SLOT_READONLY : 0) |
	       (kvm_flags & RAW_MEM_GUEST_MEMFD ? PMP_SLOT_GUEST_MEMFD : 0);
}

static void emit_slot_add(struct conv *c, const struct convert_slot *s, uint64_t time)
{
	struct pmp_trace_event ev = { .type = PMP_TR_SLOT_ADD, .slot = s->id, .gfn = s->gfn,
				      .npages = s->npages, .uaddr = s->uaddr,
				      .gmem_offset = s->gmem_offset, .flags = s->flags };
	emit(c, &ev, time);
}

/* KVM's memslot update rules (kvm_set_memory_region): create, delete, move, flags. */
static void memslot(struct conv *c, const struct pmp_raw *r)
{
	struct pmp_trace_event ev = { 0 };
	struct convert_slot *s = slot_by_id(c, (uint32_t)r->a, r->c != 0);
	uint32_t flags = slot_flags(r->level);

	if (!r->c) {
		if (!s)
			return;
		ev.type = PMP_TR_SLOT_DELETE;
		ev.slot = s->id;
		s->used = false;
		emit(c, &ev, r->time);
		return;
	}
	if (!s) {
		fprintf(c->out, "# pmp-trace: more than %d memslots, slot %llu left out\n",
			CONVERT_MAX_SLOTS, (unsigned long long)r->a);
		return;
	}
	if (!s->used) {
		*s = (struct convert_slot){ .used = true, .id = (uint32_t)r->a, .flags = flags,
					    .gfn = r->b >> PAGE_SHIFT, .npages = r->c >> PAGE_SHIFT,
					    .uaddr = r->d,
					    .gmem_offset = flags & PMP_SLOT_GUEST_MEMFD ? r->e : 0,
					    .gmem_fd = flags & PMP_SLOT_GUEST_MEMFD ? (int64_t)r->f : -1 };
		emit_slot_add(c, s, r->time);
		return;
	}
	if (s->gfn != r->b >> PAGE_SHIFT) {
		s->gfn = r->b >> PAGE_SHIFT;
		ev.type = PMP_TR_SLOT_MOVE;
		ev.slot = s->id;
		ev.gfn = s->gfn;
		emit(c, &ev, r->time);
	}
	if ((s->flags ^ flags) & PMP_SLOT_DIRTY_LOG) {
		ev = (struct pmp_trace_event){ .type = PMP_TR_DIRTY_LOG, .slot = s->id,
					       .flags = flags & PMP_SLOT_DIRTY_LOG ? PMP_TR_ON : 0 };
		emit(c, &ev, r->time);
	}
	s->flags = flags;
}

static struct pending *pending_of(struct conv *c, uint32_t tid)
{
	return &c->pending[tid % PENDING_SLOTS];
}

/* Error code bits: PFERR_WRITE, PFERR_FETCH, PFERR_GUEST_ENC (SNP), PFERR_PRIVATE_ACCESS. */
static uint32_t fault_flags(uint64_t error_code)
{
	return (error_code & (1ULL << 1) ? PMP_FAULT_WRITE : 0) |
	       (error_code & (1ULL << 4) ? PMP_FAULT_EXEC : 0) |
	       (error_code & ((1ULL << 34) | (1ULL << 49)) ? PMP_FAULT_PRIVATE : 0);
}

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* [lo, hi) becomes private or shared in c->priv. */
static void set_private(struct conv *c, uint64_t lo, uint64_t hi, bool private)
{
	/* every span, a split one in two pieces, and [lo, hi) */
	struct span *n = malloc((c->nr_priv + 2) * sizeof(*n));
	size_t i, k = 0, m = 0;

	if (!n) {
		fprintf(stderr, "pmp-trace: out of memory for the memory attributes\n");
		c->err = -ENOMEM;
		return;
	}
	for (i = 0; i < c->nr_priv; i++) {
		struct span sp = c->priv[i];

		if (sp.hi <= lo || sp.lo >= hi) {
			n[k++] = sp;
			continue;
		}
		if (sp.lo < lo)
			n[k++] = (struct span){ sp.lo, lo };
		if (sp.hi > hi)
			n[k++] = (struct span){ hi, sp.hi };
	}
	if (private)
		n[k++] = (struct span){ lo, hi };
	qsort(n, k, sizeof(*n), span_cmp);
	for (i = 0; i < k; i++) {
		if (m && n[i].lo <= n[m - 1].hi)
			n[m - 1].hi = n[i].hi > n[m - 1].hi ? n[i].hi : n[m - 1].hi;
		else
			n[m++] = n[i];
	}
	free(c->priv);
	c->priv = n;
	c->nr_priv = m;
}

static bool is_private(const struct conv *c, uint64_t gfn)
{
	size_t lo = 0, hi = c->nr_priv;

	/* the first span ending past gfn */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->priv[mid].hi <= gfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->nr_priv && c->priv[lo].lo <= gfn;
}

static void fault(struct conv *c, const struct pmp_raw *r)
{
	struct pmp_trace_event ev = { .type = PMP_TR_FAULT, .gfn = r->a, .level = r->level };
	struct pending *p = pending_of(c, r->tid);
	const struct convert_slot *s = slot_by_gfn(c, r->a);

	if (p->valid && p->tid == r->tid) {
		ev.vcpu = p->vcpu;
		ev.flags = p->flags;
		p->valid = false;	/* one kvm_page_fault, one fault */
	}
	/*
	 * KVM maps a frame private when its attributes say so (its fault is
	 * refused otherwise).  The error code says it for SNP and TDX, but
	 * not for SW-protected VMs: KVM adds PFERR_PRIVATE_ACCESS after
	 * kvm_page_fault traced it.  The recorded attribute changes do.
	 */
	if (is_private(c, r->a))
		ev.flags |= PMP_FAULT_PRIVATE;
	if (!s) {
		fprintf(c->out, "# pmp-trace: fault on gfn 0x%llx outside every memslot\n",
			(unsigned long long)r->a);
		c->st->unplaced_faults++;
		return;
	}
	ev.slot = s->id;
	emit(c, &ev, r->time);
}

static void zap(struct conv *c, uint64_t gfn, uint64_t npages, uint8_t reason, uint64_t time)
{
	struct pmp_trace_event ev = { .type = PMP_TR_ZAP, .gfn = gfn, .reason = reason };

	if (gfn >= c->gfn_end) {
		/* a direct shadow page exists only over mapped guest memory: the layout is short */
		fprintf(c->out, "# pmp-trace: zap of gfn 0x%llx past gfn_end\n",
			(unsigned long long)gfn);
		c->st->outside_zaps++;
		return;
	}
	ev.npages = npages < c->gfn_end - gfn ? npages : c->gfn_end - gfn;
	emit(c, &ev, time);
}

/* A host range [start, end): one zap per memslot it overlaps. */
static void unmap_hva(struct conv *c, const struct pmp_raw *r)
{
	unsigned int i;
	bool placed = false;

	if (c->o->layout == LAYOUT_DERIVED) {
		c->st->unplaced_unmaps++;
		return;
	}
	for (i = 0; i < CONVERT_MAX_SLOTS; i++) {
		const struct convert_slot *s = &c->slots[i];
		uint64_t lo, hi, end = s->uaddr + (s->npages << PAGE_SHIFT);

		if (!s->used || r->b <= s->uaddr || r->a >= end)
			continue;
		lo = r->a > s->uaddr ? r->a : s->uaddr;
		hi = r->b < end ? r->b : end;
		lo = (lo - s->uaddr) >> PAGE_SHIFT;
		hi = round_up(hi - s->uaddr, 1ULL << PAGE_SHIFT) >> PAGE_SHIFT;
		zap(c, s->gfn + lo, hi - lo, PMP_ZAP_MMU_NOTIFIER, r->time);
		placed = true;
	}
	/* the notifier covers the whole process: most of its memory is not the guest's */
	c->st->outside_unmaps += !placed;
}

/*
 * An SPTE the memslots could not have held: its leaf crosses the memslot's
 * edge, or (above 4 KiB) the host address is not aligned with the gfn
 * (KVM's lpage_info rules).  The layout is from another run.
 */
static bool contradicts(const struct conv *c, uint64_t gfn, uint8_t level)
{
	uint64_t pages = PMP_LEVEL_PAGES(level);
	const struct convert_slot *s = slot_by_gfn(c, gfn);

	if (!s)
		return true;
	if (level == PMP_LEVEL_4K || c->o->layout == LAYOUT_DERIVED)
		return false;
	return gfn + pages - s->gfn > s->npages ||
	       (((s->uaddr >> PAGE_SHIFT) - s->gfn) & (pages - 1));
}

/* KVM_SET_MEMORY_ATTRIBUTES: a conversion of the range. */
static void set_attrs(struct conv *c, const struct pmp_raw *r)
{
	struct pmp_trace_event ev = { .type = PMP_TR_CONVERT, .gfn = r->a >> PAGE_SHIFT,
				      .npages = r->b >> PAGE_SHIFT,
				      .flags = r->c & RAW_MEMORY_ATTRIBUTE_PRIVATE ? PMP_TR_PRIVATE : 0 };

	if (!ev.npages)
		return;
	emit(c, &ev, r->time);
	set_private(c, ev.gfn, ev.gfn + ev.npages, ev.flags & PMP_TR_PRIVATE);
}

static bool is_gmem_fd(const struct conv *c, uint64_t fd)
{
	unsigned int i;

	for (i = 0; i < GMEM_FDS; i++)
		if (c->gmem_fds[i] == (int64_t)fd)
			return true;
	return false;
}

static void create_gmem(struct conv *c, const struct pmp_raw *r)
{
	unsigned int i;

	for (i = 0; i < GMEM_FDS; i++) {
		if (c->gmem_fds[i] < 0 || c->gmem_fds[i] == (int64_t)r->b) {
			c->gmem_fds[i] = (int64_t)r->b;
			return;
		}
	}
	fprintf(c->out, "# pmp-trace: more than %d guest_memfds, fd %llu not followed\n",
		GMEM_FDS, (unsigned long long)r->b);
}

/*
 * fallocate(PUNCH_HOLE) on a guest_memfd: a punch of the frames of each
 * memslot bound to that range of the file.  A punch of a file bound to no
 * memslot (yet) backs no guest frame: counted, not an event.
 */
static void gmem_punch(struct conv *c, const struct pmp_raw *r)
{
	uint64_t end = r->b + r->c;
	bool placed = false;
	unsigned int i;

	if (!is_gmem_fd(c, r->a))
		return;	/* some other file the VMM punched */
	for (i = 0; i < CONVERT_MAX_SLOTS; i++) {
		const struct convert_slot *s = &c->slots[i];
		uint64_t lo, hi, send = s->gmem_offset + (s->npages << PAGE_SHIFT);
		struct pmp_trace_event ev = { .type = PMP_TR_PUNCH };

		if (!s->used || !(s->flags & PMP_SLOT_GUEST_MEMFD) || s->gmem_fd != (int64_t)r->a ||
		    end <= s->gmem_offset || r->b >= send)
			continue;
		lo = (r->b > s->gmem_offset ? r->b : s->gmem_offset) - s->gmem_offset;
		hi = (end < send ? end : send) - s->gmem_offset;
		ev.gfn = s->gfn + (lo >> PAGE_SHIFT);
		ev.npages = (round_up(hi, 1ULL << PAGE_SHIFT) >> PAGE_SHIFT) - (lo >> PAGE_SHIFT);
		emit(c, &ev, r->time);
		placed = true;
	}
	c->st->other_punches += !placed;
}

/* A timed layout's memslots appear when the recording saw them created. */
static void activate_slots(struct conv *c, uint64_t now)
{
	unsigned int i;

	for (i = 0; i < CONVERT_MAX_SLOTS; i++) {
		if (!c->o->slots[i].used || c->slots[i].used || c->o->slot_time[i] > now)
			continue;
		c->slots[i] = c->o->slots[i];
		emit_slot_add(c, &c->slots[i], c->o->slot_time[i]);
	}
}

static void one(struct conv *c, const struct pmp_raw *r)
{
	struct pmp_trace_event ev = { 0 };
	struct pending *p;

	if (c->o->timed)
		activate_slots(c, r->time);
	c->last_time = r->time;
	switch (r->kind) {
	case RAW_SPTE_REQUESTED:
	case RAW_SET_SPTE:
		if (r->level < PMP_LEVEL_4K || r->level > PMP_LEVEL_1G) {
			c->st->bad_levels++;
			return;
		}
		if (r->kind == RAW_SPTE_REQUESTED) {
			fault(c, r);
			return;
		}
		ev.type = PMP_TR_SPTE;
		ev.level = r->level;
		ev.gfn = r->a;
		if (contradicts(c, r->a, r->level)) {
			fprintf(c->out, "# pmp-trace: spte gfn=0x%llx level=%s: no memslot of the "
				"layout can hold it\n", (unsigned long long)r->a,
				pmp_level_name(r->level));
			c->st->contradictions++;
		}
		emit(c, &ev, r->time);
		return;
	case RAW_PAGE_FAULT:
		p = pending_of(c, r->tid);
		*p = (struct pending){ .tid = r->tid, .valid = true, .vcpu = (uint16_t)r->a,
				       .flags = fault_flags(r->c) };
		return;
	case RAW_ZAP_PAGE:
		/* A direct shadow page at role level L maps 512^L frames from its gfn. */
		if (!r->direct) {
			c->st->indirect_zaps++;
			return;
		}
		zap(c, r->a, r->level <= 4 ? 1ULL << (9 * r->level) : ~0ULL, PMP_ZAP_RECYCLE,
		    r->time);
		return;
	case RAW_ZAP_ALL_FAST:
		zap(c, 0, c->gfn_end, PMP_ZAP_SLOT_DELETE, r->time);
		return;
	case RAW_UNMAP_HVA:
		unmap_hva(c, r);
		return;
	case RAW_MEMSLOT:
		if (c->o->layout == LAYOUT_MEMSLOT_IOCTLS)
			memslot(c, r);
		return;
	case RAW_SET_ATTRS:
		set_attrs(c, r);
		return;
	case RAW_CREATE_GMEM:
		create_gmem(c, r);
		return;
	case RAW_FALLOCATE:
		gmem_punch(c, r);
		return;
	case RAW_MADVISE:
		/*
		 * The host range is unmapped: KVM's mmu notifier zaps what maps it.  With
		 * kvm_unmap_hva_range records those zaps are already there; a kernel
		 * without that tracepoint gets them from the syscall.
		 */
		if (c->st->raw[RAW_UNMAP_HVA]) {
			c->st->notifier_dontneeds++;
			return;
		}
		{
			struct pmp_raw u = *r;

			u.a = r->a;
			u.b = r->a + r->b;
			if (u.b > u.a)
				unmap_hva(c, &u);
		}
		return;
	default:
		return;
	}
}

/* Pass one: what the vm line says. */
static void scan(FILE *raw, struct conv *c, struct pmp_trace_event *vm)
{
	uint64_t max_gfn = 0, vcpus = 0, max_vcpu = 0, slot_end = 0;
	bool any_gfn = false, any_time = false;
	struct pmp_raw r;

	*vm = (struct pmp_trace_event){ .type = PMP_TR_VM, .nr_vtls = 1 };
	while (fread(&r, sizeof(r), 1, raw) == 1) {
		if (r.kind < RAW_KIND_NR)
			c->st->raw[r.kind]++;
		if (!any_time || r.time < c->t0)
			c->t0 = r.time;
		any_time = true;
		switch (r.kind) {
		case RAW_SPTE_REQUESTED:
		case RAW_SET_SPTE:
			if (r.a < PMP_TRACE_GFN_LIMIT && (!any_gfn || r.a > max_gfn))
				max_gfn = r.a;
			any_gfn = true;
			break;
		case RAW_PAGE_FAULT:
			if (r.a > max_vcpu)
				max_vcpu = r.a;
			vcpus = vcpus ? vcpus : 1;
			break;
		case RAW_CREATE_VCPU:
			vcpus++;
			break;
		case RAW_CREATE_VM:
			vm->vm_type = r.a == RAW_X86_SEV_VM || r.a == RAW_X86_SEV_ES_VM ? PMP_VM_SEV :
				      r.a == RAW_X86_SNP_VM ? PMP_VM_SNP :
				      r.a == RAW_X86_TDX_VM ? PMP_VM_TDX : PMP_VM_DEFAULT;
			break;
		case RAW_MEMSLOT:
			if (r.c && ((r.b + r.c) >> PAGE_SHIFT) > slot_end)
				slot_end = (r.b + r.c) >> PAGE_SHIFT;
			break;
		}
	}
	if (vcpus < max_vcpu + 1 && c->st->raw[RAW_PAGE_FAULT])
		vcpus = max_vcpu + 1;
	vm->nr_vcpus = (uint32_t)(vcpus ? vcpus : 1);
	if (c->o->layout == LAYOUT_DERIVED)
		c->gfn_end = round_up(any_gfn ? max_gfn + 1 : 1, SZ_1G_PAGES);
	else
		c->gfn_end = round_up((slot_end > max_gfn + 1 ? slot_end : max_gfn + 1),
				      SZ_2M_PAGES);
	if (c->gfn_end > PMP_TRACE_GFN_LIMIT)
		c->gfn_end = PMP_TRACE_GFN_LIMIT;
	vm->gfn_end = c->gfn_end;
}

static void summary(struct conv *c)
{
	static const char *const names[RAW_KIND_NR] = {
		[RAW_SPTE_REQUESTED] = "kvm_mmu_spte_requested", [RAW_SET_SPTE] = "kvm_mmu_set_spte",
		[RAW_PAGE_FAULT] = "kvm_page_fault", [RAW_ZAP_PAGE] = "kvm_mmu_prepare_zap_page",
		[RAW_ZAP_ALL_FAST] = "kvm_mmu_zap_all_fast",
		[RAW_UNMAP_HVA] = "kvm_unmap_hva_range", [RAW_MEMSLOT] = "memslot-ioctl",
		[RAW_CREATE_VM] = "create-vm-ioctl", [RAW_CREATE_VCPU] = "create-vcpu-ioctl",
		[RAW_SET_ATTRS] = "memory-attributes-ioctl",
		[RAW_CREATE_GMEM] = "create-guest-memfd-ioctl", [RAW_FALLOCATE] = "punch-hole",
		[RAW_MADVISE] = "madvise-dontneed",
	};
	const struct convert_stats *st = c->st;
	unsigned int k;

	/* two lines: a trace line holds at most 255 bytes, comments too */
	fprintf(c->out, "# pmp-trace: records");
	for (k = 1; k < RAW_KIND_NR; k++)
		fprintf(c->out, "%s %s=%llu", k == RAW_MEMSLOT ? "\n# pmp-trace: syscalls" : "",
			names[k], (unsigned long long)st->raw[k]);
	fprintf(c->out, "\n# pmp-trace: not events: indirect-shadow-page-zaps=%llu"
		" unmaps-outside-memslots=%llu bad-levels=%llu punches-outside-memslots=%llu"
		" dontneeds-zapped-by-notifier=%llu\n",
		(unsigned long long)st->indirect_zaps, (unsigned long long)st->outside_unmaps,
		(unsigned long long)st->bad_levels, (unsigned long long)st->other_punches,
		(unsigned long long)st->notifier_dontneeds);
	fprintf(c->out, "# pmp-trace: drops: unplaced-unmaps=%llu unplaced-faults=%llu"
		" layout-contradictions=%llu zaps-past-gfn_end=%llu%s\n",
		(unsigned long long)st->unplaced_unmaps, (unsigned long long)st->unplaced_faults,
		(unsigned long long)st->contradictions, (unsigned long long)st->outside_zaps,
		convert_drops(st) ? " (THIS TRACE IS NOT FAITHFUL)" : "");
	fprintf(c->out, "# pmp-trace: lost=%llu%s\n", (unsigned long long)c->o->lost,
		c->o->lost ? " (THIS TRACE IS INCOMPLETE)" : "");
}

int convert_run(FILE *raw, const struct convert_opts *o, FILE *out, struct convert_stats *st)
{
	static struct conv c;
	struct pmp_trace_event vm;
	struct pmp_raw r;
	unsigned int i;

	memset(&c, 0, sizeof(c));
	memset(st, 0, sizeof(*st));
	memset(c.gmem_fds, 0xff, sizeof(c.gmem_fds));	/* -1: free */
	c.o = o;
	c.out = out;
	c.st = st;
	/* before rewind(), which clears the error flag of a spool write that failed */
	if (fflush(raw) || ferror(raw)) {
		fprintf(stderr, "pmp-trace: writing the spooled records failed: %s\n",
			strerror(errno ? errno : EIO));
		return -EIO;
	}
	rewind(raw);
	scan(raw, &c, &vm);
	fputs(pmp_trace_header(), out);
	if (o->source)
		fprintf(out, "# %s\n", o->source);
	if (o->mono)
		fprintf(out, "# pmp-trace: clock=mono t0=%llu\n", (unsigned long long)c.t0);
	if (o->layout == LAYOUT_FILE) {
		vm = o->vm;
		vm.time = 0;
		c.gfn_end = vm.gfn_end;
		if (!o->timed)
			memcpy(c.slots, o->slots, sizeof(c.slots));
	}
	emit(&c, &vm, c.t0);
	if (o->layout == LAYOUT_DERIVED) {
		fprintf(out, "# pmp-trace: tracefs has no memslots: one slot over [0, gfn_end) "
			"at uaddr 0 stands for them (docs/trace-format.md)\n");
		c.slots[0] = (struct convert_slot){ .used = true, .npages = c.gfn_end, .gmem_fd = -1 };
	}
	for (i = 0; i < CONVERT_MAX_SLOTS; i++)
		if (c.slots[i].used)
			emit_slot_add(&c, &c.slots[i], c.t0);
	rewind(raw);
	while (fread(&r, sizeof(r), 1, raw) == 1)
		one(&c, &r);
	if (o->timed)
		activate_slots(&c, ~0ULL);
	vm = (struct pmp_trace_event){ .type = PMP_TR_TEARDOWN };
	emit(&c, &vm, c.last_time);
	summary(&c);
	free(c.priv);
	c.priv = NULL;
	if (ferror(raw)) {
		fprintf(stderr, "pmp-trace: reading the spooled records failed\n");
		return -EIO;
	}
	/* an output error is close_output()'s to report */
	return ferror(out) ? -EIO : c.err;
}

struct layout_ctx {
	struct convert_opts *o;
	unsigned int nr;
	uint64_t t0;
};

static int layout_event(const struct pmp_trace_event *ev, void *ctx)
{
	struct layout_ctx *l = ctx;

	if (ev->type == PMP_TR_VM)
		l->o->vm = *ev;
	if (ev->type == PMP_TR_SLOT_ADD && l->nr < CONVERT_MAX_SLOTS) {
		l->o->slot_time[l->nr] = l->t0 + ev->time;
		l->o->slots[l->nr++] = (struct convert_slot){
			.used = true, .id = ev->slot, .flags = ev->flags, .gfn = ev->gfn,
			.npages = ev->npages, .uaddr = ev->uaddr, .gmem_offset = ev->gmem_offset,
			.gmem_fd = -1 };
	}
	return 0;
}

/* The "# pmp-trace: clock=mono t0=NS" comment a recording starts with, if any. */
static bool layout_t0(const char *path, uint64_t *t0)
{
	char line[256];
	unsigned long long v;
	bool found = false;
	FILE *f = strcmp(path, "-") ? zinput_open(path) : NULL;
	int n;

	for (n = 0; f && n < 8 && fgets(line, sizeof(line), f); n++) {
		if (sscanf(line, "# pmp-trace: clock=mono t0=%llu", &v) == 1) {
			*t0 = v;
			found = true;
			break;
		}
	}
	if (f)
		fclose(f);
	return found;
}

int convert_load_layout(struct convert_opts *o, const char *path, bool mono_input)
{
	struct layout_ctx l = { o, 0, 0 };

	memset(o->slots, 0, sizeof(o->slots));
	/* Both clocks CLOCK_MONOTONIC: memslots appear in the import when they did. */
	o->timed = mono_input && layout_t0(path, &l.t0);
	if (trace_for_each(path, layout_event, &l))
		return -1;
	o->layout = LAYOUT_FILE;
	return 0;
}

uint64_t convert_drops(const struct convert_stats *st)
{
	return st->unplaced_unmaps + st->unplaced_faults + st->contradictions + st->outside_zaps;
}

void convert_report_drops(const struct convert_stats *st, const char *prog, bool allowed)
{
	static const char fix[] = "give --layout TRACE (a `pmp-trace record` of the same run, "
				  "or the vm and slot-add lines a VMM printed), or record with "
				  "`pmp-trace record`";

	if (st->unplaced_unmaps)
		fprintf(stderr, "%s: %llu host unmaps (kvm_unmap_hva_range, e.g. MADV_DONTNEED) "
			"not placed: tracefs text has no memslots to translate host addresses; %s\n",
			prog, (unsigned long long)st->unplaced_unmaps, fix);
	if (st->unplaced_faults)
		fprintf(stderr, "%s: %llu faults outside every memslot of the layout: it is too "
			"small or from another run; %s\n", prog,
			(unsigned long long)st->unplaced_faults, fix);
	if (st->contradictions)
		fprintf(stderr, "%s: %llu SPTEs the layout cannot hold (outside a memslot, across "
			"its edge, or a huge leaf whose host address is not aligned with its gfn): "
			"the layout is from another run; %s\n", prog,
			(unsigned long long)st->contradictions, fix);
	if (st->outside_zaps)
		fprintf(stderr, "%s: %llu zaps of direct shadow pages past the layout's gfn_end: "
			"the layout is too small; %s\n", prog,
			(unsigned long long)st->outside_zaps, fix);
	if (convert_drops(st))
		fprintf(stderr, allowed ? "%s: --allow-drops: trace written anyway, its closing "
			"comments count the drops\n" : "%s: the trace would not be faithful: not "
			"written (--allow-drops writes it anyway)\n", prog);
}
