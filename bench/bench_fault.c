// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The fault path against a fair floor, on SEV VMs of 4 GiB, 64 GiB, 1 TiB
 * and 4 TiB (one memslot each, one write-tracked 4 KiB page every 16 MiB
 * and change, the default policy: pin=fault, merge=settled).  An SEV VM
 * has no private memory in KVM (its faults are shared), so the ranges
 * that may not be huge come from write tracking, which KVM counts in the
 * same disallow_lpage counters as mixed attributes.
 *
 *   floor      KVM 6.12's own decision, written as KVM writes it:
 *              per memslot, per huge level, an array of 4-byte
 *              disallow_lpage counters (struct kvm_lpage_info), indexed by
 *              (gfn >> shift) - (base_gfn >> shift); the answer is the
 *              highest level whose counter is 0 (__kvm_mmu_max_mapping_level
 *              without the host page-table walk a shared fault adds there:
 *              the library takes the folio's order from its caller).  The
 *              arrays are populated for the VM as KVM would: the slot's
 *              unaligned edges and every 2 MiB / 1 GiB range holding a
 *              write-tracked page carry a non-zero counter.
 *   max_level  pmp_max_level() for the same faults on the same VM.
 *   lean       pmp_fault_slot_level(), the lean decision (PMEM_POLICY_0.4):
 *              the memslot and VTL checked once (pmp_fault_slot_init()),
 *              gfn and flags as scalars, the folio's cap left to the
 *              caller as KVM's max_level is, nothing counted.  The same
 *              levels as max_level's (checked every run).
 *   fault      a whole fault on a populated VM (its neighbours already
 *              mapped and pinned), 4 KiB (4 KiB folio) and 2 MiB (2 MiB
 *              folio), pinning included: the pair pmp_max_level() +
 *              pmp_map(), and the one call pmp_fault_map().
 *
 * Access patterns for the decisions: hot (the same gfn every call),
 * random (independent precomputed gfns) and dependent (each gfn is derived
 * from the previous answer, so calls cannot overlap).  Times interleave
 * floor and library repetition by repetition; every ratio is taken from
 * one run of this program.  With --only it runs one loop for callgrind,
 * which scripts/bench.sh points at the decision function itself
 * (--toggle-collect), so the count is the call's and not the loop's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pmem_policy/pmem_policy.h>
#include "bench.h"

#define GFNS_PER_GIB (1ULL << 18)
#define TRACKED_STRIDE (64 * 512 + 77)	/* one tracked page every 16 MiB and change */
#define TRACKED_FIRST 12345

struct vm_case {
	const char *name;
	uint64_t gib;
};

static const struct vm_case sizes[] = {
	{ "4G", 4 }, { "64G", 64 }, { "1T", 1024 }, { "4T", 4096 },
};

#define NR_SIZES (int)(sizeof(sizes) / sizeof(sizes[0]))

/*
 * The floor's memslot: what KVM keeps per memslot for this decision
 * (struct kvm_memory_slot's base_gfn, npages and arch.lpage_info[level - 2]).
 */
struct floor_slot {
	uint64_t base_gfn;
	uint64_t npages;
	int32_t *lpage[2];	/* [0] 2 MiB, [1] 1 GiB: disallow_lpage per entry */
};

struct bench_vm {
	struct pmp_vm *vm;
	void *mem;
	struct floor_slot fs;
	struct pmp_fault_slot lean;	/* slot 0, VTL 0 */
	uint64_t gfns;		/* a power of two: gfns are masked, not divided */
};

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_fault: %s: %s\n", what, pmp_strerror(err));
	exit(1);
}

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n, sz);

	if (!p)
		die("calloc", -ENOMEM);
	return p;
}

/* The 1-based level's shift in 4 KiB pages: 0, 9, 18. */
static unsigned int level_shift(int level)
{
	return 9U * (unsigned int)(level - 1);
}

/* KVM's kvm_alloc_memslot_metadata(): entries per level, the unaligned edges disallowed. */
static void floor_setup(struct floor_slot *fs, uint64_t base, uint64_t npages)
{
	int level;

	fs->base_gfn = base;
	fs->npages = npages;
	for (level = 2; level <= 3; level++) {
		unsigned int sh = level_shift(level);
		uint64_t first = base >> sh, last = (base + npages - 1) >> sh, n = last - first + 1;
		int32_t *li = xcalloc(n, sizeof(*li));

		if (base & ((1ULL << sh) - 1))
			li[0] = 1;
		if ((base + npages) & ((1ULL << sh) - 1))
			li[n - 1] = 1;
		fs->lpage[level - 2] = li;
	}
}

/* KVM's kvm_write_track_add_gfn(): a tracked gfn's ranges are disallowed. */
static void floor_tracked(struct floor_slot *fs, uint64_t gfn)
{
	int level;

	for (level = 2; level <= 3; level++) {
		unsigned int sh = level_shift(level);

		fs->lpage[level - 2][(gfn >> sh) - (fs->base_gfn >> sh)]++;
	}
}

/*
 * What is timed (the floor, the loops): out of line, and each at the start
 * of a cache line, so no side's loop straddles a line by where the linker
 * happened to put it (the floor's loop did: 2.3 ns a call against 1.7
 * aligned, session 10).  The library is timed as it is built.
 */
#define TIMED __attribute__((noinline, aligned(64)))

/*
 * The floor: __kvm_mmu_max_mapping_level() without the host page-table
 * walk (as for a private fault), the memslot in hand (KVM's fault->slot).  A call, as the library's is: not
 * inlined, and the empty asm keeps the compiler from proving it pure and
 * hoisting it out of the hot loop (it emits no instruction).
 */
TIMED int floor_max_level(const struct floor_slot *s, uint64_t gfn,
					      int max_level)
{
	__asm__ volatile("" ::: "memory");
	for (; max_level > 1; max_level--) {
		unsigned int sh = level_shift(max_level);

		if (!s->lpage[max_level - 2][(gfn >> sh) - (s->base_gfn >> sh)])
			break;
	}
	return max_level;
}

static void vm_setup(struct bench_vm *b, uint64_t gib)
{
	struct pmp_geometry geo = { .sz = sizeof(geo), .max_pages = gib * GFNS_PER_GIB,
				    .max_slots = 8, .nr_vcpus = 1, .nr_vtls = 1,
				    .vm_type = PMP_VM_SEV };
	struct pmp_slot slot = { .base_gfn = 0, .npages = geo.max_pages,
				 .userspace_addr = 1ULL << 40 };
	uint64_t bytes, g;
	int err;

	err = pmp_vm_bound(&geo, &bytes);
	if (err)
		die("bound", err);
	b->mem = aligned_alloc(64, (bytes + 63) & ~63ULL);
	if (!b->mem)
		die("alloc", -ENOMEM);
	err = pmp_vm_init(b->mem, bytes, &geo, NULL, &b->vm);
	if (!err)
		err = pmp_slot_create(b->vm, 0, &slot);
	if (!err)
		err = pmp_fault_slot_init(b->vm, 0, 0, &b->lean);
	floor_setup(&b->fs, slot.base_gfn, slot.npages);
	for (g = TRACKED_FIRST; !err && g < slot.npages; g += TRACKED_STRIDE) {
		err = pmp_write_track(b->vm, g, 1, true, NULL);
		floor_tracked(&b->fs, g);
	}
	if (err)
		die("setup", err);
	b->gfns = slot.npages;
}

static void vm_free(struct bench_vm *b)
{
	free(b->mem);
	free(b->fs.lpage[0]);
	free(b->fs.lpage[1]);
}

static uint64_t xorshift(uint64_t s)
{
	s ^= s << 13;
	s ^= s >> 7;
	s ^= s << 17;
	return s;
}

static uint64_t *make_gfns(uint64_t n, uint64_t span)
{
	uint64_t *v = xcalloc(n, sizeof(*v)), s = 0x9e3779b97f4a7c15ULL, i;

	for (i = 0; i < n; i++) {
		s = xorshift(s);
		v[i] = s & (span - 1);
	}
	return v;
}

/* The hot gfn: in the last 1 GiB, a 2 MiB range without a tracked page. */
#define HOT_GFN(b) ((((b)->gfns - 1) & ~0x3ffffULL) + 4242)

static const struct pmp_fault fault0 = {
	.slot = 0, .backing_order = 18,	/* shared: SEV has no private faults */
};

/*
 * The loops, noinline so timing and callgrind see exactly them.  Both sides
 * of a pair do the same loop work; the dependent loops feed each answer
 * into the next gfn.
 */
TIMED uint64_t floor_hot(struct bench_vm *b, const uint64_t *g, uint64_t n)
{
	uint64_t i, sum = 0, gfn = HOT_GFN(b);

	(void)g;
	for (i = 0; i < n; i++)
		sum += (uint64_t)floor_max_level(&b->fs, gfn, 3);
	return sum;
}

TIMED uint64_t lib_hot(struct bench_vm *b, const uint64_t *g, uint64_t n)
{
	struct pmp_fault f = fault0;
	uint64_t i, sum = 0;

	(void)g;
	f.gfn = HOT_GFN(b);
	for (i = 0; i < n; i++)
		sum += (uint64_t)pmp_max_level(b->vm, &f, NULL);
	return sum;
}

TIMED uint64_t floor_random(struct bench_vm *b, const uint64_t *g,
						uint64_t n)
{
	uint64_t i, sum = 0;

	for (i = 0; i < n; i++)
		sum += (uint64_t)floor_max_level(&b->fs, g[i], 3);
	return sum;
}

TIMED uint64_t lib_random(struct bench_vm *b, const uint64_t *g, uint64_t n)
{
	struct pmp_fault f = fault0;
	uint64_t i, sum = 0;

	for (i = 0; i < n; i++) {
		f.gfn = g[i];
		sum += (uint64_t)pmp_max_level(b->vm, &f, NULL);
	}
	return sum;
}

TIMED uint64_t floor_dependent(struct bench_vm *b, const uint64_t *g,
						   uint64_t n)
{
	uint64_t i, s = g[0], mask = b->gfns - 1, sum = 0;

	for (i = 0; i < n; i++) {
		int lvl = floor_max_level(&b->fs, s & mask, 3);

		s = xorshift(s + (uint64_t)lvl);
		sum += (uint64_t)lvl;
	}
	return sum;
}

TIMED uint64_t lib_dependent(struct bench_vm *b, const uint64_t *g,
						 uint64_t n)
{
	struct pmp_fault f = fault0;
	uint64_t i, s = g[0], mask = b->gfns - 1, sum = 0;

	for (i = 0; i < n; i++) {
		int lvl;

		f.gfn = s & mask;
		lvl = pmp_max_level(b->vm, &f, NULL);
		s = xorshift(s + (uint64_t)lvl);
		sum += (uint64_t)lvl;
	}
	return sum;
}

TIMED uint64_t lean_hot(struct bench_vm *b, const uint64_t *g, uint64_t n)
{
	uint64_t i, sum = 0, gfn = HOT_GFN(b);

	(void)g;
	for (i = 0; i < n; i++)
		sum += (uint64_t)pmp_fault_slot_level(b->vm, &b->lean, gfn, 0);
	return sum;
}

TIMED uint64_t lean_random(struct bench_vm *b, const uint64_t *g, uint64_t n)
{
	uint64_t i, sum = 0;

	for (i = 0; i < n; i++)
		sum += (uint64_t)pmp_fault_slot_level(b->vm, &b->lean, g[i], 0);
	return sum;
}

TIMED uint64_t lean_dependent(struct bench_vm *b, const uint64_t *g,
						  uint64_t n)
{
	uint64_t i, s = g[0], mask = b->gfns - 1, sum = 0;

	for (i = 0; i < n; i++) {
		int lvl = pmp_fault_slot_level(b->vm, &b->lean, s & mask, 0);

		s = xorshift(s + (uint64_t)lvl);
		sum += (uint64_t)lvl;
	}
	return sum;
}

typedef uint64_t (*loop_fn)(struct bench_vm *, const uint64_t *, uint64_t);

static const struct {
	const char *name;
	loop_fn floor, lib, lean;
} patterns[] = {
	{ "hot", floor_hot, lib_hot, lean_hot },
	{ "random", floor_random, lib_random, lean_random },
	{ "dependent", floor_dependent, lib_dependent, lean_dependent },
};

#define NR_PATTERNS (int)(sizeof(patterns) / sizeof(patterns[0]))

/*
 * Whole faults on a populated VM.  Each target 2 MiB (for 4 KiB faults) or
 * 1 GiB (for 2 MiB faults) already has every other page (chunk) faulted,
 * mapped and pinned; the timed faults fill in the rest, in a shuffled
 * order.  The caller applies each fault's actions, so the array is reset
 * between faults.
 */
struct fault_set {
	struct pmp_fault *f;
	uint64_t n;
	int level;
};

static struct pmp_action action_buf[64];

/* The pair: pmp_max_level(), then pmp_map() at its level. */
TIMED int whole_fault(struct pmp_vm *vm, const struct pmp_fault *f,
					  struct pmp_actions *out)
{
	int level = pmp_max_level(vm, f, NULL);

	out->nr = 0;
	if (level < 0)
		return level;
	return pmp_map(vm, f, level, out);
}

/* The one call: pmp_fault_map(), no cap of the caller's own. */
TIMED int whole_fault_one(struct pmp_vm *vm, const struct pmp_fault *f,
					      struct pmp_actions *out)
{
	out->nr = 0;
	return pmp_fault_map(vm, f, PMP_LEVEL_1G, NULL, out);
}

typedef int (*fault_fn)(struct pmp_vm *, const struct pmp_fault *, struct pmp_actions *);

/* A fault of the setup: not whole_fault(), which callgrind counts. */
static void do_fault(struct pmp_vm *vm, const struct pmp_fault *f)
{
	struct pmp_actions out = { .buf = action_buf, .cap = 64 };
	int err = pmp_max_level(vm, f, NULL);

	if (err > 0)
		err = pmp_map(vm, f, err, &out);
	if (err)
		die("fault", err);
}

/*
 * @nr_ranges ranges of @level + 1 spread over the VM, away from the shared
 * pages; half of each prefaulted (even units), the odd ones returned.
 */
static void fault_setup(struct bench_vm *b, int level, uint64_t nr_ranges, struct fault_set *fs)
{
	unsigned int unit_sh = level_shift(level), range_sh = level_shift(level + 1);
	uint64_t units = 1ULL << (range_sh - unit_sh), r, u, i, s = 42;
	uint64_t nr_ranges_vm = b->gfns >> range_sh;
	struct pmp_fault f = fault0;

	f.backing_order = (uint8_t)unit_sh;
	fs->level = level;
	fs->n = nr_ranges * units / 2;
	fs->f = xcalloc(fs->n, sizeof(*fs->f));
	for (r = 0, i = 0; r < nr_ranges; r++) {
		uint64_t base = ((r * 7919) % nr_ranges_vm) << range_sh;

		for (u = 0; u < units; u++) {
			f.gfn = base + (u << unit_sh);
			/* only units the VM lets map at @level (no tracked page) */
			if (pmp_max_level(b->vm, &f, NULL) != level)
				continue;
			if (u & 1)
				fs->f[i++] = f;
			else
				do_fault(b->vm, &f);
		}
	}
	fs->n = i;
	for (i = fs->n - 1; i > 0; i--) {	/* Fisher-Yates, deterministic */
		uint64_t j;
		struct pmp_fault t;

		s = xorshift(s);
		j = s % (i + 1);
		t = fs->f[i];
		fs->f[i] = fs->f[j];
		fs->f[j] = t;
	}
}

TIMED uint64_t fault_loop(struct bench_vm *b, const struct fault_set *fs,
					       fault_fn fault)
{
	struct pmp_actions out = { .buf = action_buf, .cap = 64 };
	uint64_t i, sum = 0;

	for (i = 0; i < fs->n; i++)
		sum += (uint64_t)fault(b->vm, &fs->f[i], &out) + out.nr;
	return sum;
}

/* 4 KiB faults: 64 chunks (16,384 faults); 2 MiB: 64 GiB ranges capped at the VM (32 each). */
static uint64_t fault_ranges(const struct bench_vm *b, int level)
{
	uint64_t giants = b->gfns >> 18;

	return level == 1 ? 64 : (giants < 64 ? giants : 64);
}

static volatile uint64_t sink;

static int find_size(const char *name)
{
	int s;

	for (s = 0; s < NR_SIZES && strcmp(sizes[s].name, name); s++)
		;
	return s;
}

/*
 * --only floor|lib|lean PATTERN SIZE N, or --only fault|fault_one 4K|2M SIZE
 * (the pair, whole_fault(), or the one call, whole_fault_one()): one loop,
 * for callgrind.
 */
static int run_only(int argc, char **argv)
{
	int one = argc == 5 && !strcmp(argv[2], "fault_one"), p = 0, s;
	struct bench_vm b;

	if (argc != 6 && !(argc == 5 && (one || !strcmp(argv[2], "fault"))))
		return 2;
	s = find_size(argv[4]);
	if (s == NR_SIZES)
		return 2;
	if (argc == 5) {
		struct fault_set fs;
		int level = !strcmp(argv[3], "4K") ? 1 : !strcmp(argv[3], "2M") ? 2 : 0;

		if (!level)
			return 2;
		vm_setup(&b, sizes[s].gib);
		fault_setup(&b, level, fault_ranges(&b, level), &fs);
		sink = fault_loop(&b, &fs, one ? whole_fault_one : whole_fault);
		printf("%llu\n", (unsigned long long)fs.n);
		free(fs.f);
	} else {
		uint64_t n = strtoull(argv[5], NULL, 10), *g;

		while (p < NR_PATTERNS && strcmp(patterns[p].name, argv[3]))
			p++;
		if (p == NR_PATTERNS || !n ||
		    (strcmp(argv[2], "floor") && strcmp(argv[2], "lib") && strcmp(argv[2], "lean")))
			return 2;
		vm_setup(&b, sizes[s].gib);
		g = make_gfns(n, b.gfns);
		sink = (!strcmp(argv[2], "floor") ? patterns[p].floor :
			!strcmp(argv[2], "lib") ? patterns[p].lib : patterns[p].lean)(&b, g, n);
		printf("%llu\n", (unsigned long long)n);
		free(g);
	}
	vm_free(&b);
	return 0;
}

#define MAX_REPS 31

static void print_times(const char *size, const char *what, double *t, int reps, double ref)
{
	sort_times(t, reps);
	printf("| %s | %s | %.2f | %.2f-%.2f |", size, what, t[reps / 2], t[0], t[reps - 1]);
	if (ref > 0)
		printf(" %.2f |", t[reps / 2] / ref);
	printf("\n");
}

/*
 * Decisions: floor, pmp_max_level() and the lean decision interleaved,
 * repetition by repetition; the two library calls must give the same
 * levels.
 */
static void time_decisions(struct bench_vm *b, const char *size, uint64_t n, int reps)
{
	uint64_t *g = make_gfns(n, b->gfns);
	int p, r;

	for (p = 0; p < NR_PATTERNS; p++) {
		double tf[MAX_REPS], tl[MAX_REPS], tn[MAX_REPS];
		char what[64];

		sink = patterns[p].floor(b, g, n);	/* warm up */
		if (patterns[p].lib(b, g, n) != patterns[p].lean(b, g, n))
			die("pmp_fault_slot_level() and pmp_max_level() disagree", -EINVAL);
		for (r = 0; r < reps; r++) {
			double t0 = now_ns();

			sink = patterns[p].floor(b, g, n);
			tf[r] = (now_ns() - t0) / (double)n;
			t0 = now_ns();
			sink = patterns[p].lib(b, g, n);
			tl[r] = (now_ns() - t0) / (double)n;
			t0 = now_ns();
			sink = patterns[p].lean(b, g, n);
			tn[r] = (now_ns() - t0) / (double)n;
		}
		sort_times(tf, reps);
		snprintf(what, sizeof(what), "%s | floor", patterns[p].name);
		print_times(size, what, tf, reps, tf[reps / 2]);
		snprintf(what, sizeof(what), "%s | pmp_max_level", patterns[p].name);
		print_times(size, what, tl, reps, tf[reps / 2]);
		snprintf(what, sizeof(what), "%s | pmp_fault_slot_level", patterns[p].name);
		print_times(size, what, tn, reps, tf[reps / 2]);
	}
	free(g);
}

/* Whole faults: each repetition on a fresh VM (a fault happens once). */
static void time_faults(const struct vm_case *vc, int level, int one, int reps)
{
	double t[MAX_REPS];
	int r;

	for (r = 0; r < reps; r++) {
		struct bench_vm b;
		struct fault_set fs;
		double t0;

		vm_setup(&b, vc->gib);
		fault_setup(&b, level, fault_ranges(&b, level), &fs);
		t0 = now_ns();
		sink = fault_loop(&b, &fs, one ? whole_fault_one : whole_fault);
		t[r] = (now_ns() - t0) / (double)fs.n;
		free(fs.f);
		vm_free(&b);
	}
	print_times(vc->name, level == 1 ? (one ? "4K | pmp_fault_map" : "4K | pair") :
		    (one ? "2M | pmp_fault_map" : "2M | pair"), t, reps, 0);
}

int main(int argc, char **argv)
{
	int quick = argc > 1 && !strcmp(argv[1], "--quick");
	int faults = argc > 1 && !strcmp(argv[argc - 1], "--faults");
	uint64_t n = quick ? 100000 : 2000000;
	int reps = quick ? 3 : 15, nsizes = quick ? 1 : NR_SIZES, s;

	if (argc > 1 && !strcmp(argv[1], "--only"))
		return run_only(argc, argv);
	if (faults) {
		printf("| VM | fault | API | median ns | min-max ns |\n");
		printf("| --- | --- | --- | --- | --- |\n");
		for (s = 0; s < nsizes; s++) {
			int level, one;

			for (level = 1; level <= 2; level++)
				for (one = 0; one <= 1; one++)
					time_faults(&sizes[s], level, one, quick ? 3 : 9);
		}
		return 0;
	}
	printf("| VM | gfns | decision | median ns | min-max ns | x floor |\n");
	printf("| --- | --- | --- | --- | --- | --- |\n");
	for (s = 0; s < nsizes; s++) {
		struct bench_vm b;

		vm_setup(&b, sizes[s].gib);
		time_decisions(&b, sizes[s].name, n, reps);
		vm_free(&b);
	}
	return 0;
}
