// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * pmp-mini-vmm: a minimal VMM on /dev/kvm that frees guest memory through
 * the pmem_policy VMM shim, and proves with KVM's own statistics that the
 * shim's coalesced punching costs no more than punching naively.
 *
 * The guest (pmp-mini-vmm-vm.c) maps its data with 2 MiB pages and takes
 * commands from the VMM through `out` to port 0x10: write a pattern over a
 * range, read one qword of every page (faulting each page back in),
 * convert a range with KVM_HC_MAP_GPA_RANGE, or copy each page's first
 * qword out for the VMM to check.
 *
 * One run does the experiment twice on the same memory, naive then
 * coalesced: the guest writes the pattern; the VMM frees a seeded set of
 * scattered ranges (one fallocate per request, or through the shim); the
 * guest re-reads everything; the VMM checks punched pages read zero and
 * all others kept their pattern, and counts backing calls and re-faults.
 *
 * --backing private|private-memfd runs the private-memory experiment
 * instead (pmp-mini-vmm-private.c): a KVM_X86_SW_PROTECTED_VM whose guest
 * converts memory itself.
 *
 * usage: pmp-mini-vmm [--backing gmem|memfd|anon|private|private-memfd]
 *		       [--mib N] [--requests N] [--seed N] [--policy STR]
 *		       [--prefault] [--check | --shim-only]
 * (--shim-only: private modes, one VM through the shim, e.g. to trace it)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <pmem_policy/vmm.h>

#include "pmp-mini-vmm.h"

struct phase {
	uint64_t calls, refaults, zero_pages, intact_pages, bad_pages;
};

/* The scattered ranges to free, seeded: small pieces, whole 2 MiB ranges
 * freed in pieces, whole 2 MiB ranges, and ranges straddling 2 MiB edges. */
struct request {
	uint64_t page, npages;
};

static uint64_t next_random(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

static size_t make_requests(struct request *req, size_t max, uint64_t pages, uint64_t seed)
{
	uint64_t chunks = pages / 512, state = seed * 2654435761ULL + 1;
	size_t n = 0;

	while (n < max) {
		uint64_t kind = next_random(&state) % 10, chunk = next_random(&state) % chunks;

		if (kind < 6) {				/* a few scattered pages */
			uint64_t len = 1 + next_random(&state) % 16;

			req[n++] = (struct request){ next_random(&state) % (pages - len), len };
		} else if (kind < 8) {			/* a 2 MiB range, in 8 pieces */
			for (int i = 0; i < 8 && n < max; i++)
				req[n++] = (struct request){ chunk * 512 + i * 64, 64 };
		} else if (kind < 9) {			/* a whole 2 MiB range */
			req[n++] = (struct request){ chunk * 512, 512 };
		} else if (chunk + 1 < chunks) {	/* straddling a 2 MiB edge */
			req[n++] = (struct request){ chunk * 512 + 500, 24 };
		}
	}
	return n;
}

static void punch_naive(struct vm *vm, const struct request *r)
{
	uint64_t off = r->page * SZ_4K, len = r->npages * SZ_4K;

	if (vm->data.fd >= 0) {
		if (fallocate(vm->data.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len))
			die("fallocate(PUNCH_HOLE)");
	} else if (madvise((uint8_t *)vm->data.host + off, len, MADV_DONTNEED)) {
		die("madvise(DONTNEED)");
	}
}

/* Punched pages read zero; every other page kept the guest's pattern. */
static void verify(struct vm *vm, const uint8_t *punched, uint64_t seed, struct phase *ph)
{
	for (uint64_t p = 0; p < vm->data_size / SZ_4K; p++) {
		const uint64_t *q = (const uint64_t *)((uint8_t *)vm->data.host + p * SZ_4K);
		uint64_t gpa = DATA_GPA + p * SZ_4K;
		bool ok = true;

		for (uint64_t i = 0; i < SZ_4K / 8 && ok; i++)
			ok = q[i] == (punched[p] ? 0 : (gpa + i * 8) ^ seed);
		if (!ok)
			ph->bad_pages++;
		else if (punched[p])
			ph->zero_pages++;
		else
			ph->intact_pages++;
	}
}

static uint64_t backing_calls(struct vm *vm)
{
	struct pmp_vmm_counters c;

	pmp_vmm_counters(vm->shim, &c);
	return c.fallocate_calls + c.madvise_calls;
}

/* One experiment: write, free the requests, re-read, verify. */
static void run_phase(struct vm *vm, const struct request *req, size_t n, const uint8_t *punched,
		      uint64_t seed, bool coalesced, struct phase *ph)
{
	struct stats before, after;
	uint64_t calls = backing_calls(vm);

	guest_command(vm, CMD_WRITE, DATA_GPA, vm->data_size, seed);
	for (size_t i = 0; i < n; i++) {
		int err;

		if (!coalesced) {
			punch_naive(vm, &req[i]);
			continue;
		}
		err = pmp_vmm_punch(vm->shim, DATA_GPA + req[i].page * SZ_4K, req[i].npages * SZ_4K);
		if (err)
			die_shim(vm, "pmp_vmm_punch", err);
	}
	/* Deferred pieces keep their contents until flushed; the check wants zeros. */
	if (coalesced && pmp_vmm_flush(vm->shim))
		die_shim(vm, "pmp_vmm_flush", -EIO);
	ph->calls = coalesced ? backing_calls(vm) - calls : n;
	read_stats(vm, &before);
	guest_command(vm, CMD_READ, DATA_GPA, vm->data_size, 0);
	read_stats(vm, &after);
	ph->refaults = after.pf_taken - before.pf_taken;
	verify(vm, punched, seed, ph);
}

/* Private modes come back with PMP_BACKING_PRIVATE set in *@private. */
static unsigned int parse_backing(const char *s, bool *private)
{
	*private = !strncmp(s, "private", 7);
	if (!strcmp(s, "private"))
		return PMP_BACKING_ANON;
	if (!strcmp(s, "private-memfd"))
		return PMP_BACKING_MEMFD;
	if (!strcmp(s, "gmem"))
		return PMP_BACKING_GUEST_MEMFD;
	if (!strcmp(s, "memfd"))
		return PMP_BACKING_MEMFD;
	if (!strcmp(s, "anon"))
		return PMP_BACKING_ANON;
	fprintf(stderr, "pmp-mini-vmm: --backing %s: want gmem, memfd, anon, private or private-memfd\n",
		s);
	exit(2);
}

#ifndef PMP_TOOLS_VERSION
#define PMP_TOOLS_VERSION "unknown"
#endif
#define MINI_VMM_USAGE \
	"usage: pmp-mini-vmm [--backing gmem|memfd|anon|private|private-memfd]\n" \
	"                    [--mib N (4..1024, even)] [--requests N] [--seed N]\n" \
	"                    [--policy STR] [--prefault] [--check | --shim-only (private modes)]\n" \
	"       pmp-mini-vmm --help | --version\n"

int main(int argc, char **argv)
{
	static const char *const backing_names[] = { "anon", "memfd", "gmem" };
	unsigned int backing = PMP_BACKING_GUEST_MEMFD;
	uint64_t mib = 64, nreq = 256, seed = 1;
	const char *policy = NULL;
	struct stats s0, s1, s2;
	struct phase naive = { 0 }, shim = { 0 };
	struct vm vm = { 0 };
	struct request *req;
	uint8_t *punched;
	char report[2048], why[160];
	bool check = false, private = false, prefault = false, shim_only = false;
	int level, failed = 0;
	size_t n;

	for (int i = 1; i < argc; i++) {
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf(MINI_VMM_USAGE "See pmp-mini-vmm(1).\n");
			return 0;
		}
		if (!strcmp(argv[i], "--version")) {
			printf("pmp-mini-vmm %s\n", PMP_TOOLS_VERSION);	/* mk/vmm.mk */
			return 0;
		}
		if (!strcmp(argv[i], "--check")) {
			check = true;
			continue;
		}
		if (!strcmp(argv[i], "--prefault")) {
			prefault = true;
			continue;
		}
		if (!strcmp(argv[i], "--shim-only")) {
			shim_only = true;
			continue;
		}
		if (!val)
			goto usage;
		if (!strcmp(argv[i], "--backing"))
			backing = parse_backing(val, &private);
		else if (!strcmp(argv[i], "--mib"))
			mib = strtoull(val, NULL, 0);
		else if (!strcmp(argv[i], "--requests"))
			nreq = strtoull(val, NULL, 0);
		else if (!strcmp(argv[i], "--seed"))
			seed = strtoull(val, NULL, 0);
		else if (!strcmp(argv[i], "--policy"))
			policy = val;
		else
			goto usage;
		i++;
	}
	if (mib < 4 || mib > 1024 || mib % 2 || !nreq || nreq > 100000)
		goto usage;
	if (policy) {	/* before /dev/kvm: a typo is a usage error on any host */
		struct pmp_policy p;
		struct pmp_parse_error perr;

		pmp_policy_preset(&p, "recommended");
		if (pmp_policy_parse(&p, policy, &perr)) {
			fprintf(stderr, "pmp-mini-vmm: --policy %s: column %u: %s\n", policy,
				perr.column, perr.message);
			return 2;
		}
	}
	if (shim_only && (!private || check))
		goto usage;		/* one private-memory VM, nothing to compare */
	if (private)
		return private_experiment(backing, mib, seed, policy, prefault, check, shim_only) ? 1 : 0;
	vm.data_size = mib << 20;
	create_vm(&vm, backing, policy);
	pmp_vmm_report(vm.shim, report, sizeof(report));
	level = pmp_vmm_slot_huge(vm.shim, 1, why, sizeof(why));
	printf("host capabilities:\n%s", report);
	printf("data slot: %llu MiB of %s at gpa 0x%llx, largest mapping %s%s%s\n\n",
	       (unsigned long long)mib, backing_names[backing], (unsigned long long)DATA_GPA,
	       pmp_level_name(level), *why ? ": " : "", why);

	req = calloc(nreq, sizeof(*req));
	punched = calloc(vm.data_size / SZ_4K, 1);
	if (!req || !punched)
		die("calloc");
	n = make_requests(req, nreq, vm.data_size / SZ_4K, seed);
	for (size_t i = 0; i < n; i++)
		memset(punched + req[i].page, 1, req[i].npages);

	read_stats(&vm, &s0);
	run_phase(&vm, req, n, punched, seed, false, &naive);
	read_stats(&vm, &s1);
	run_phase(&vm, req, n, punched, seed, true, &shim);
	read_stats(&vm, &s2);

	printf("KVM stats      %12s %12s %12s\n", "before", "after naive", "after shim");
	printf("pf_taken       %12llu %12llu %12llu\n", (unsigned long long)s0.pf_taken,
	       (unsigned long long)s1.pf_taken, (unsigned long long)s2.pf_taken);
	printf("pages_4k       %12llu %12llu %12llu\n", (unsigned long long)s0.pages_4k,
	       (unsigned long long)s1.pages_4k, (unsigned long long)s2.pages_4k);
	printf("pages_2m       %12llu %12llu %12llu\n\n", (unsigned long long)s0.pages_2m,
	       (unsigned long long)s1.pages_2m, (unsigned long long)s2.pages_2m);
	printf("%zu punch requests    %12s %12s\n", n, "naive", "shim");
	printf("backing calls        %12llu %12llu\n", (unsigned long long)naive.calls,
	       (unsigned long long)shim.calls);
	printf("re-faults            %12llu %12llu\n", (unsigned long long)naive.refaults,
	       (unsigned long long)shim.refaults);
	printf("pages read zero      %12llu %12llu\n", (unsigned long long)naive.zero_pages,
	       (unsigned long long)shim.zero_pages);
	printf("pages intact         %12llu %12llu\n", (unsigned long long)naive.intact_pages,
	       (unsigned long long)shim.intact_pages);
	printf("pages corrupt        %12llu %12llu\n", (unsigned long long)naive.bad_pages,
	       (unsigned long long)shim.bad_pages);

	if (check) {
		const struct { bool ok; const char *what; } asserts[] = {
			{ s2.pf_taken > s0.pf_taken, "KVM took page faults (pf_taken > 0)" },
			{ s1.pages_4k + s1.pages_2m > 0, "real SPTEs exist (pages_4k or pages_2m > 0)" },
			{ !naive.bad_pages && !shim.bad_pages, "punched pages read zero, others intact" },
			{ naive.zero_pages && naive.zero_pages == shim.zero_pages, "both punched the same pages" },
			{ shim.calls <= naive.calls, "the shim made no more backing calls than naive" },
			{ shim.refaults <= naive.refaults, "the shim caused no more re-faults than naive" },
		};

		for (size_t i = 0; i < sizeof(asserts) / sizeof(asserts[0]); i++) {
			printf("%s - %s\n", asserts[i].ok ? "ok" : "FAIL", asserts[i].what);
			failed |= !asserts[i].ok;
		}
	}
	destroy_vm(&vm);
	free(punched);
	free(req);
	return failed;
usage:
	fprintf(stderr, MINI_VMM_USAGE);
	return 2;
}
