// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Invalidation coalescing per workload with the DEFAULT geometry and policy
 * (issue 16: nothing sized to the workload): INVALIDATE and FLUSH actions
 * issued (the final flush included), against a naive VMM issuing each punch
 * at once with a flush each (inval=immediate, flush_batch=1), and against
 * the lower bound: the maximal runs of punched pages, cut at 2 MiB folio
 * edges (no policy can free them in fewer invalidations).  Every workload
 * punches shared or unmapped memory on 2 MiB folios of an 8 GiB VM, over
 * 128 MiB, 2 GiB and all 8 GiB.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pmem_policy/pmem_policy.h>

#define VM_PAGES (8ULL << 18)	/* 8 GiB */

static uint64_t CHUNKS, PAGES;	/* the punched region: set per size */

static unsigned int order_2m(void *ctx, uint64_t gfn)
{
	(void)ctx;
	(void)gfn;
	return 9;
}

static struct pmp_action buf[4096];

struct counts {
	uint64_t invals, flushes;
};

struct workload {
	const char *name;
	uint64_t (*next)(uint64_t i, uint64_t *n);	/* the i-th punch, or ~0 when done */
};

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static uint64_t *perm;

/* every 4K page of every chunk, in random order */
static uint64_t storm(uint64_t i, uint64_t *n)
{
	*n = 1;
	return i < PAGES ? perm[i] : ~0ULL;
}

/* every 4K page, in order (a guest freeing memory page by page) */
static uint64_t sequential(uint64_t i, uint64_t *n)
{
	*n = 1;
	return i < PAGES ? i : ~0ULL;
}

/* 31 punches per chunk of 4 KiB to 64 KiB anywhere (a balloon of small pages) */
static uint64_t scattered(uint64_t i, uint64_t *n)
{
	uint64_t gfn;

	if (i >= CHUNKS * 31)
		return ~0ULL;
	*n = 1 + rnd() % 16;
	gfn = rnd() % PAGES;
	if (gfn + *n > PAGES)
		*n = PAGES - gfn;
	return gfn;
}

/* whole 2 MiB chunks, aligned (a well-behaved VMM) */
static uint64_t aligned(uint64_t i, uint64_t *n)
{
	*n = 512;
	return i < CHUNKS ? i * 512 : ~0ULL;
}

static const struct workload workloads[] = {
	{ "4K storm, random order", storm },
	{ "4K, sequential", sequential },
	{ "4K-64K scattered", scattered },
	{ "2M aligned", aligned },
};

static void count(const struct pmp_actions *a, struct counts *c)
{
	uint32_t i;

	for (i = 0; i < a->nr; i++) {
		c->invals += a->buf[i].type == PMP_ACT_INVALIDATE;
		c->flushes += a->buf[i].type == PMP_ACT_FLUSH;
	}
}

static struct counts run(const struct workload *w, const char *policy, uint8_t *punched)
{
	struct pmp_geometry geo = { .sz = sizeof(geo), .gfn_end = VM_PAGES, .max_slots = 2,
				    .nr_vcpus = 1, .nr_vtls = 1 };
	struct pmp_slot slot = { .npages = VM_PAGES, .userspace_addr = 1ULL << 40 };
	struct pmp_folios folios = { .order = order_2m };
	struct pmp_actions acts = { .buf = buf, .cap = 4096 };
	struct counts c = { 0, 0 };
	struct pmp_policy p;
	struct pmp_vm *vm;
	uint64_t bytes, i, gfn, n;
	void *mem;

	pmp_vm_bound(&geo, &bytes);
	mem = aligned_alloc(64, (bytes + 63) & ~63ULL);
	pmp_policy_preset(&p, "recommended");	/* the default */
	if (policy)
		pmp_policy_parse(&p, policy, NULL);
	if (!mem || pmp_vm_init(mem, bytes, &geo, &p, &vm) || pmp_slot_create(vm, 0, &slot))
		exit(1);
	rng_state = 0x9e3779b97f4a7c15ULL;
	for (i = 0; (gfn = w->next(i, &n)) != ~0ULL; i++) {
		acts.nr = 0;
		if (pmp_punch(vm, gfn, n, &folios, &acts))
			exit(1);
		count(&acts, &c);
		if (punched)
			memset(punched + gfn, 1, n);
	}
	do {
		acts.nr = 0;
		i = (uint64_t)pmp_inval_flush(vm, &acts);
		count(&acts, &c);
	} while (i == 1);
	free(mem);
	return c;
}

/* Maximal runs of punched pages, cut at 2 MiB edges. */
static uint64_t lower_bound(const uint8_t *punched)
{
	uint64_t g, runs = 0;

	for (g = 0; g < PAGES; g++)
		runs += punched[g] && (!g || !punched[g - 1] || !(g % 512));
	return runs;
}

/* The region of @chunks 2 MiB chunks at the VM's start, its random order. */
static void region(uint64_t chunks)
{
	uint64_t i, j, t;

	CHUNKS = chunks;
	PAGES = chunks * 512;
	free(perm);
	perm = malloc(PAGES * sizeof(*perm));
	if (!perm)
		exit(1);
	rng_state = 12345;
	for (i = 0; i < PAGES; i++)
		perm[i] = i;
	for (i = PAGES - 1; i > 0; i--) {
		j = rnd() % (i + 1);
		t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
}

int main(void)
{
	static const uint64_t sizes[] = { 64, 1024, 4096 };	/* 128 MiB, 2 GiB, 8 GiB */
	uint8_t *punched = calloc(VM_PAGES, 1);
	unsigned int w, k;

	if (!punched)
		return 1;
	printf("| workload | region | punches issued at once (flushes) | default policy (flushes) "
	       "| lower bound | default / bound |\n");
	printf("| --- | --- | --- | --- | --- | --- |\n");
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		region(sizes[k]);
		for (w = 0; w < sizeof(workloads) / sizeof(workloads[0]); w++) {
			struct counts naive, defer;
			uint64_t lb;

			memset(punched, 0, PAGES);
			naive = run(&workloads[w], "inval=immediate,flush_batch=1", NULL);
			defer = run(&workloads[w], NULL, punched);
			lb = lower_bound(punched);
			printf("| %s | %llu MiB%s | %llu (%llu) | %llu (%llu) | %llu | %.2f |\n",
			       workloads[w].name, (unsigned long long)(CHUNKS * 2),
			       PAGES == VM_PAGES ? " (the whole VM)" : "",
			       (unsigned long long)naive.invals, (unsigned long long)naive.flushes,
			       (unsigned long long)defer.invals, (unsigned long long)defer.flushes,
			       (unsigned long long)lb, (double)defer.invals / (double)lb);
		}
	}
	free(perm);
	free(punched);
	return 0;
}
