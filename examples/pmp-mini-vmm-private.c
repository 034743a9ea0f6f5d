// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * pmp-mini-vmm's private-memory experiment: a KVM_X86_SW_PROTECTED_VM
 * whose data slot is laid out as QEMU lays it out (shared pages in THP
 * anonymous memory or a memfd, private pages in a guest_memfd, one memslot)
 * and whose guest converts memory itself with KVM_HC_MAP_GPA_RANGE.  The
 * VMM answers each conversion as QEMU's kvm_convert_memory() does: set
 * the attributes, then discard the side no longer used, either naively
 * (one call per request) or through the shim (coalesced by the core).
 *
 * Phases, each run on a fresh VM, naive then shim:
 *   write     the guest writes pattern A over the data (all shared);
 *   private   the guest converts a seeded plan to private: 2 MiB ranges in
 *             eight pieces (a sub-2M conversion storm), scattered pages and
 *             whole 2 MiB ranges;
 *   rewrite   the guest writes pattern B everywhere (private pages into
 *             guest_memfd); the VMM checks its shared mapping never shows B
 *             where the page is private;
 *   shared    the guest converts every other request back to shared;
 *   peek      the guest copies each page's first qword out: pages still
 *             private kept B, pages private then shared read zero (their
 *             shared memory was discarded), the others kept B.
 * The shim's VMM ends each burst of conversions with pmp_vmm_flush(), so
 * discards still waiting for their 2 MiB range land before the guest maps
 * its private pages (see phase()).  After each phase: KVM's pf_taken,
 * pages_4k/2m/1g and the conversion and discard counts.  --prefault maps each range made private at once with
 * KVM_PRE_FAULT_MEMORY (the SNP page-state-change case).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "pmp-mini-vmm.h"

#define KVM_SET_MEMORY_ATTRIBUTES_IOC	_IOW(KVMIO, 0xd2, struct attrs)
#define ATTR_PRIVATE			(1ULL << 3)
#define SEED_A				0x5a5a0000ULL
#define SEED_B				0xb0b00000ULL

struct attrs {
	uint64_t address, size, attributes, flags;
};

enum { PH_WRITE, PH_PRIVATE, PH_REWRITE, PH_SHARED, PH_PEEK, PH_NR };
static const char *const phase_names[PH_NR] = { "write", "private", "rewrite", "shared", "peek" };

/* What one run did, per phase. */
struct run {
	struct stats st[PH_NR];
	uint64_t pf[PH_NR];		/* pf_taken during the phase */
	uint64_t conversions[PH_NR], attr_calls[PH_NR], discards[PH_NR], prefaults[PH_NR];
	uint64_t leaked, shared_bad, zero_private, view_bad, view_zero;
	bool shared_thp;		/* the shared memory gets 2 MiB folios */
};

struct request {
	uint64_t page, npages;
};

/* The naive VMM's own counts: one attribute call and one discard per request. */
static struct { uint64_t attr_calls, discards; } naive;
static bool use_prefault;

static uint64_t next_random(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

/* The plan: storms of eight 256 KiB pieces, scattered pages, whole 2 MiB. */
static size_t make_plan(struct request *req, size_t max, uint64_t pages, uint64_t seed)
{
	uint64_t chunks = pages / 512, state = seed * 2654435761ULL + 7;
	size_t n = 0;

	while (n + 8 <= max) {
		uint64_t kind = next_random(&state) % 4, chunk = next_random(&state) % chunks;

		if (kind < 2) {
			for (int i = 0; i < 8; i++)
				req[n++] = (struct request){ chunk * 512 + i * 64, 64 };
		} else if (kind < 3) {
			uint64_t len = 1 + next_random(&state) % 16;

			req[n++] = (struct request){ next_random(&state) % (pages - len), len };
		} else {
			req[n++] = (struct request){ chunk * 512, 512 };
		}
	}
	return n;
}

static void naive_convert(struct vm *vm, uint64_t gpa, uint64_t size, bool private)
{
	struct attrs a = { .address = gpa, .size = size, .attributes = private ? ATTR_PRIVATE : 0 };
	uint64_t off = gpa - DATA_GPA;

	naive.attr_calls++;
	if (ioctl(vm->fd, KVM_SET_MEMORY_ATTRIBUTES_IOC, &a))
		die("KVM_SET_MEMORY_ATTRIBUTES");
	naive.discards++;
	if (!private) {
		if (fallocate(vm->priv.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, size))
			die("fallocate(guest_memfd, PUNCH_HOLE)");
	} else if (vm->data.fd >= 0) {
		if (fallocate(vm->data.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, size))
			die("fallocate(memfd, PUNCH_HOLE)");
	} else if (madvise((uint8_t *)vm->data.host + off, size, MADV_DONTNEED)) {
		die("madvise(DONTNEED)");
	}
	if (private && use_prefault) {
		struct { uint64_t gpa, size, flags, pad[5]; } r = { .gpa = gpa, .size = size };

		while (r.size)
			if (ioctl(vm->vcpu, _IOWR(KVMIO, 0xd5, r), &r) && errno != EINTR && errno != EAGAIN)
				die("KVM_PRE_FAULT_MEMORY");
	}
}

static void shim_convert(struct vm *vm, uint64_t gpa, uint64_t size, bool private)
{
	int err = private && use_prefault ?
		pmp_vmm_convert_prefault(vm->shim, gpa, size, true, vm->vcpu) :
		pmp_vmm_convert(vm->shim, gpa, size, private);

	if (err)
		die_shim(vm, "pmp_vmm_convert", err);
}

static void counts(struct vm *vm, uint64_t *attr, uint64_t *discards, uint64_t *prefaults)
{
	struct pmp_vmm_counters c;

	pmp_vmm_counters(vm->shim, &c);
	*attr = vm->convert == naive_convert ? naive.attr_calls : c.attribute_calls;
	*discards = vm->convert == naive_convert ? naive.discards :
		    c.fallocate_calls + c.madvise_calls;
	*prefaults = c.prefault_calls;
}

/* Run one phase's guest commands, then record KVM's stats and the counts. */
static void phase(struct vm *vm, struct run *r, int ph, const struct request *req, size_t n)
{
	uint64_t hc = vm->hypercalls, a0, d0, p0, a1, d1, p1;
	struct stats before;

	read_stats(vm, &before);
	counts(vm, &a0, &d0, &p0);
	switch (ph) {
	case PH_WRITE:
		guest_command(vm, CMD_WRITE, DATA_GPA, vm->data_size, SEED_A);
		break;
	case PH_REWRITE:
		guest_command(vm, CMD_WRITE, DATA_GPA, vm->data_size, SEED_B);
		break;
	case PH_PEEK:
		guest_command(vm, CMD_PEEK, DATA_GPA, vm->data_size, 0);
		break;
	default:
		for (size_t i = ph == PH_SHARED; i < n; i += ph == PH_SHARED ? 2 : 1)
			guest_command(vm, CMD_CONVERT, DATA_GPA + req[i].page * SZ_4K,
				      req[i].npages * SZ_4K, ph == PH_PRIVATE ? MAP_GPA_RANGE_ENCRYPTED : 0);
		/*
		 * The burst is over: issue the discards still waiting for their
		 * 2 MiB range.  Later, they would zap the private SPTEs the guest
		 * is about to make (6.12's TDP MMU zaps private SPTEs too when
		 * shared memory is discarded), costing re-faults naive does not.
		 */
		if (vm->convert == shim_convert && pmp_vmm_flush(vm->shim))
			die_shim(vm, "pmp_vmm_flush", -EIO);
	}
	read_stats(vm, &r->st[ph]);
	counts(vm, &a1, &d1, &p1);
	r->pf[ph] = r->st[ph].pf_taken - before.pf_taken;
	r->conversions[ph] = vm->hypercalls - hc;
	r->attr_calls[ph] = a1 - a0;
	r->discards[ph] = d1 - d0;
	r->prefaults[ph] = p1 - p0;
}

static uint64_t first_qword(uint64_t page, uint64_t seed)
{
	return (DATA_GPA + page * SZ_4K) ^ seed;
}

static void one_run(struct vm *vm, unsigned int backing, const char *policy, convert_fn fn,
		    const struct request *req, size_t n, const uint8_t *priv2, const uint8_t *final,
		    struct run *r)
{
	uint64_t pages = vm->data_size / SZ_4K;
	const uint64_t *report;

	vm->private_mem = true;
	vm->convert = fn;
	create_vm(vm, backing, policy);
	r->shared_thp = pmp_vmm_has(vm->shim, backing == PMP_BACKING_MEMFD ? PMP_CAP_SHMEM_THP :
								       PMP_CAP_THP);
	phase(vm, r, PH_WRITE, req, n);
	phase(vm, r, PH_PRIVATE, req, n);
	phase(vm, r, PH_REWRITE, req, n);
	/* The shared mapping never shows what the guest wrote to private pages. */
	for (uint64_t p = 0; p < pages; p++) {
		uint64_t q = *(const uint64_t *)((uint8_t *)vm->data.host + p * SZ_4K);

		if (!priv2[p])
			r->shared_bad += q != first_qword(p, SEED_B);	/* shared: the guest's B */
		else if (q == first_qword(p, SEED_B))
			r->leaked++;
		else
			r->zero_private += q == 0;
	}
	phase(vm, r, PH_SHARED, req, n);
	phase(vm, r, PH_PEEK, req, n);
	report = (const uint64_t *)((uint8_t *)vm->sys.host + REPORT_GPA);
	for (uint64_t p = 0; p < pages; p++) {
		uint64_t want = priv2[p] && !final[p] ? 0 : first_qword(p, SEED_B);

		r->view_bad += report[p] != want;
		r->view_zero += !want && report[p] == 0;
	}
	destroy_vm(vm);
}

static void print_run(const char *name, const struct run *r)
{
	printf("%-6s %-8s %9s %9s %9s %9s %9s %9s %9s %9s\n", name, "phase", "pf_taken", "pages_4k",
	       "pages_2m", "pages_1g", "converts", "attr_ioc", "discards", "prefault");
	for (int ph = 0; ph < PH_NR; ph++)
		printf("%-6s %-8s %9llu %9llu %9llu %9llu %9llu %9llu %9llu %9llu\n", name,
		       phase_names[ph], (unsigned long long)r->pf[ph],
		       (unsigned long long)r->st[ph].pages_4k, (unsigned long long)r->st[ph].pages_2m,
		       (unsigned long long)r->st[ph].pages_1g,
		       (unsigned long long)r->conversions[ph], (unsigned long long)r->attr_calls[ph],
		       (unsigned long long)r->discards[ph], (unsigned long long)r->prefaults[ph]);
}

static uint64_t sum(const uint64_t *v)
{
	uint64_t t = 0;

	for (int ph = 0; ph < PH_NR; ph++)
		t += v[ph];
	return t;
}

int private_experiment(unsigned int shared_backing, uint64_t mib, uint64_t seed,
		       const char *policy, bool prefault, bool check, bool shim_only)
{
	uint64_t pages = (mib << 20) / SZ_4K;
	struct request req[64];
	struct run rn = { 0 }, rs = { 0 };
	struct vm vm = { 0 };
	uint8_t *priv2, *final;
	size_t n;
	int failed = 0;
	bool storm_can_coalesce;

	if (pages > REPORT_MAX_PAGES) {
		fprintf(stderr, "pmp-mini-vmm: private memory: --mib %llu is more than the %llu MiB the guest can report\n",
			(unsigned long long)mib, (unsigned long long)(REPORT_MAX_PAGES * SZ_4K >> 20));
		return 2;
	}
	use_prefault = prefault;
	n = make_plan(req, sizeof(req) / sizeof(req[0]), pages, seed);
	priv2 = calloc(pages, 1);
	final = calloc(pages, 1);
	if (!priv2 || !final)
		die("calloc");
	for (size_t i = 0; i < n; i++)
		memset(priv2 + req[i].page, 1, req[i].npages);
	memcpy(final, priv2, pages);
	for (size_t i = 1; i < n; i += 2)
		memset(final + req[i].page, 0, req[i].npages);

	vm.data_size = mib << 20;
	if (!shim_only) {
		one_run(&vm, shared_backing, policy, naive_convert, req, n, priv2, final, &rn);
		memset(&vm, 0, sizeof(vm));
		vm.data_size = mib << 20;
	}
	one_run(&vm, shared_backing, policy, shim_convert, req, n, priv2, final, &rs);
	/* Deferral (and so coalescing) needs defer-2m and a 2 MiB folio to keep. */
	storm_can_coalesce = !policy && !prefault && rs.shared_thp;

	printf("private memory: KVM_X86_SW_PROTECTED_VM, %llu MiB data slot: shared pages in %s, private pages in a guest_memfd; %zu conversion requests%s\n",
	       (unsigned long long)mib, shared_backing == PMP_BACKING_MEMFD ? "a memfd" : "THP anonymous memory",
	       n, prefault ? ", pre-faulted when made private" : "");
	if (!shim_only)
		print_run("naive", &rn);
	print_run("shim", &rs);
	if (shim_only) {	/* one VM, e.g. for a trace: nothing to compare */
		free(priv2);
		free(final);
		return rs.leaked || rs.shared_bad || rs.view_bad;
	}
	printf("%-22s %12s %12s\n", "", "naive", "shim");
	printf("%-22s %12llu %12llu\n", "discard calls", (unsigned long long)sum(rn.discards),
	       (unsigned long long)sum(rs.discards));
	printf("%-22s %12llu %12llu\n", "faults (pf_taken)", (unsigned long long)sum(rn.pf),
	       (unsigned long long)sum(rs.pf));
	printf("%-22s %12llu %12llu\n", "private leaked/shared", (unsigned long long)rn.leaked,
	       (unsigned long long)rs.leaked);
	printf("%-22s %12llu %12llu\n", "shared mapping wrong", (unsigned long long)rn.shared_bad,
	       (unsigned long long)rs.shared_bad);
	printf("%-22s %12llu %12llu\n", "guest view wrong", (unsigned long long)rn.view_bad,
	       (unsigned long long)rs.view_bad);
	printf("%-22s %12llu %12llu\n", "guest view zero", (unsigned long long)rn.view_zero,
	       (unsigned long long)rs.view_zero);

	if (check) {
		const struct { bool ok; const char *what; } asserts[] = {
			{ rn.conversions[PH_PRIVATE] == n && rs.conversions[PH_PRIVATE] == n,
			  "every conversion came from the guest (KVM_HC_MAP_GPA_RANGE exits)" },
			{ rn.pf[PH_WRITE] > 0 && rs.pf[PH_WRITE] > 0, "KVM took page faults (pf_taken)" },
			{ rs.st[PH_REWRITE].pages_4k > rs.st[PH_WRITE].pages_4k,
			  "private pages got SPTEs (pages_4k grew when the guest wrote them)" },
			{ !rn.leaked && !rs.leaked,
			  "a private page is not visible through the shared mapping" },
			{ !rn.shared_bad && !rs.shared_bad,
			  "shared pages show the guest's data in the shared mapping" },
			{ !rn.view_bad && !rs.view_bad && rs.view_zero > 0,
			  "the guest reads zero where shared memory was discarded, its data elsewhere" },
			{ sum(rs.discards) <= sum(rn.discards),
			  "the shim made no more discard calls than naive" },
			{ !storm_can_coalesce || sum(rs.discards) < sum(rn.discards),
			  storm_can_coalesce ? "the shim made fewer discard calls on the sub-2M conversion storm" :
			  "(not asserted: fewer discard calls needs the recommended policy, THP-backed shared memory and no pre-faulting)" },
			{ sum(rs.pf) <= sum(rn.pf), "the shim caused no more faults than naive" },
			{ !prefault || (rs.prefaults[PH_PRIVATE] > 0 &&
					rs.st[PH_PRIVATE].pages_4k > rs.st[PH_WRITE].pages_4k),
			  "pre-faulting mapped private memory before the guest touched it" },
		};

		for (size_t i = 0; i < sizeof(asserts) / sizeof(asserts[0]); i++) {
			printf("%s - %s\n", asserts[i].ok ? "ok" : "FAIL", asserts[i].what);
			failed |= !asserts[i].ok;
		}
	}
	free(priv2);
	free(final);
	return failed;
}
