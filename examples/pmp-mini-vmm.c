// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * pmp-mini-vmm: a minimal VMM on /dev/kvm that frees guest memory through
 * the pmem_policy VMM shim, and proves with KVM's own statistics that the
 * shim's coalesced punching costs no more than punching naively.
 *
 * The guest is 64-bit code at CPL3 with IOPL 3: on nested "PVM" hosts
 * code at CPL0 is emulated and never creates SPTEs, while CPL3 code runs
 * natively and faults real ones; on ordinary hosts it runs all the same.
 * It maps its data with 2 MiB pages and takes commands from the VMM
 * through `out` to port 0x10: write a pattern over a range, or read one
 * qword of every page (faulting each page back in).
 *
 * One run does the experiment twice on the same memory, naive then
 * coalesced: the guest writes the pattern; the VMM frees a seeded set of
 * scattered ranges (one fallocate per request, or through the shim); the
 * guest re-reads everything; the VMM checks punched pages read zero and
 * all others kept their pattern, and counts backing calls and re-faults.
 *
 * usage: pmp-mini-vmm [--backing gmem|memfd|anon] [--mib N] [--requests N]
 *		       [--seed N] [--policy STR] [--check]
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

#define SZ_4K		4096ULL
#define SZ_2M		(2ULL << 20)
#define SYS_GPA		0ULL		/* page tables, code, stack: one 2 MiB page */
#define PML4_GPA	0x1000ULL
#define PDPT_GPA	0x2000ULL
#define PD_LOW_GPA	0x3000ULL	/* maps [0, 1G) */
#define PD_DATA_GPA	0x4000ULL	/* maps [1G, 2G): the data slot */
#define CODE_GPA	0x8000ULL
#define STACK_TOP	0x1ff000ULL
#define DATA_GPA	(1ULL << 30)
#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_US		(1ULL << 2)
#define PTE_PS		(1ULL << 7)
#define PORT_CMD	0x10
#define CMD_WRITE	1		/* rsi: start, rcx: bytes, r10: seed */
#define CMD_READ	2		/* rax: sum of one qword per page */

/*
 * The guest: a command loop.  Assembled here, copied into guest memory,
 * never run by the host.
 */
__asm__(".pushsection .rodata\n"
	"guest_code:\n"
	"1:	out %al, $0x10\n"
	"	cmp $1, %edi\n"
	"	je 2f\n"
	"	cmp $2, %edi\n"
	"	je 4f\n"
	"	jmp 1b\n"
	"2:	mov %rsi, %r8\n"		/* write: qword at a = a ^ seed */
	"	lea (%rsi,%rcx), %r9\n"
	"3:	mov %r8, %rax\n"
	"	xor %r10, %rax\n"
	"	mov %rax, (%r8)\n"
	"	add $8, %r8\n"
	"	cmp %r9, %r8\n"
	"	jb 3b\n"
	"	jmp 1b\n"
	"4:	xor %eax, %eax\n"		/* read: one qword per page */
	"	mov %rsi, %r8\n"
	"	lea (%rsi,%rcx), %r9\n"
	"5:	add (%r8), %rax\n"
	"	add $4096, %r8\n"
	"	cmp %r9, %r8\n"
	"	jb 5b\n"
	"	jmp 1b\n"
	"guest_code_end:\n"
	".popsection\n");
extern const unsigned char guest_code[], guest_code_end[];

struct vm {
	int kvm, fd, vcpu;
	struct kvm_run *run;
	struct pmp_vmm *shim;
	struct pmp_vmm_mem sys, data;
	uint64_t data_size;
};

struct stats {
	uint64_t pf_taken, pages_4k, pages_2m;
};

struct phase {
	uint64_t calls, refaults, zero_pages, intact_pages, bad_pages;
};

static void die(const char *what)
{
	fprintf(stderr, "pmp-mini-vmm: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void die_shim(struct vm *vm, const char *what, int err)
{
	fprintf(stderr, "pmp-mini-vmm: %s: %s\n", what,
		vm->shim && *pmp_vmm_error(vm->shim) ? pmp_vmm_error(vm->shim) : strerror(-err));
	exit(1);
}

static void read_stats(struct vm *vm, struct stats *s)
{
	if (pmp_kvm_stat(vm->vcpu, "pf_taken", &s->pf_taken) ||
	    pmp_kvm_stat(vm->fd, "pages_4k", &s->pages_4k) ||
	    pmp_kvm_stat(vm->fd, "pages_2m", &s->pages_2m))
		die("KVM_GET_STATS_FD");
}

/* Identity-map [0, 2M) and the data slot with 2 MiB user pages. */
static void build_page_tables(struct vm *vm)
{
	uint64_t *mem = vm->sys.host;
	uint64_t *pml4 = mem + PML4_GPA / 8, *pdpt = mem + PDPT_GPA / 8;
	uint64_t *pd_low = mem + PD_LOW_GPA / 8, *pd_data = mem + PD_DATA_GPA / 8;
	const uint64_t flags = PTE_P | PTE_RW | PTE_US;

	pml4[0] = PDPT_GPA | flags;
	pdpt[0] = PD_LOW_GPA | flags;
	pdpt[1] = PD_DATA_GPA | flags;
	pd_low[0] = SYS_GPA | flags | PTE_PS;
	for (uint64_t i = 0; i < vm->data_size / SZ_2M; i++)
		pd_data[i] = (DATA_GPA + i * SZ_2M) | flags | PTE_PS;
	memcpy((uint8_t *)vm->sys.host + CODE_GPA, guest_code, guest_code_end - guest_code);
}

/* Long mode, CPL3: user code and data selectors as Linux has them. */
static void setup_vcpu(struct vm *vm)
{
	struct kvm_segment code = { .base = 0, .limit = 0xffffffff, .selector = 0x33,
				    .type = 0xb, .present = 1, .dpl = 3, .s = 1, .l = 1, .g = 1 };
	struct kvm_segment data = { .base = 0, .limit = 0xffffffff, .selector = 0x2b,
				    .type = 0x3, .present = 1, .dpl = 3, .s = 1, .db = 1, .g = 1 };
	struct kvm_segment tr = { .base = 0, .limit = 0x67, .selector = 0x40, .type = 0xb,
				  .present = 1 };
	struct kvm_regs regs = { .rip = CODE_GPA, .rsp = STACK_TOP, .rflags = 0x3002 };
	struct kvm_sregs sregs;

	if (ioctl(vm->vcpu, KVM_GET_SREGS, &sregs))
		die("KVM_GET_SREGS");
	sregs.cs = code;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	sregs.tr = tr;
	sregs.cr0 = 0x80050033;		/* PG WP NE ET MP PE */
	sregs.cr3 = PML4_GPA;
	sregs.cr4 = 0x20;		/* PAE */
	sregs.efer = 0x500;		/* LMA LME */
	if (ioctl(vm->vcpu, KVM_SET_SREGS, &sregs))
		die("KVM_SET_SREGS");
	if (ioctl(vm->vcpu, KVM_SET_REGS, &regs))   /* rflags: IOPL 3 for `out` */
		die("KVM_SET_REGS");
}

/* Run until the guest asks for its next command. */
static void run_to_command(struct vm *vm)
{
	for (;;) {
		if (ioctl(vm->vcpu, KVM_RUN, NULL) && errno != EINTR)
			die("KVM_RUN");
		if (vm->run->exit_reason == KVM_EXIT_IO && vm->run->io.port == PORT_CMD)
			return;
		if (vm->run->exit_reason == KVM_EXIT_INTR)
			continue;
		fprintf(stderr, "pmp-mini-vmm: unexpected exit %u (shutdown = %u: a guest fault)\n",
			vm->run->exit_reason, KVM_EXIT_SHUTDOWN);
		exit(1);
	}
}

static uint64_t guest_command(struct vm *vm, uint64_t cmd, uint64_t seed)
{
	struct kvm_regs regs;

	if (ioctl(vm->vcpu, KVM_GET_REGS, &regs))
		die("KVM_GET_REGS");
	regs.rdi = cmd;
	regs.rsi = DATA_GPA;
	regs.rcx = vm->data_size;
	regs.r10 = seed;
	if (ioctl(vm->vcpu, KVM_SET_REGS, &regs))
		die("KVM_SET_REGS");
	run_to_command(vm);
	if (ioctl(vm->vcpu, KVM_GET_REGS, &regs))
		die("KVM_GET_REGS");
	return regs.rax;
}

static void create_vm(struct vm *vm, unsigned int backing, const char *policy)
{
	struct pmp_vmm_opts opts = {
		.sz = sizeof(opts), .gfn_end = (DATA_GPA + vm->data_size) / SZ_4K,
		.max_slots = 2, .nr_vcpus = 1, .policy = policy,
	};
	char errbuf[256];
	int mmap_size, err;

	vm->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm < 0)
		die("/dev/kvm");
	vm->fd = ioctl(vm->kvm, KVM_CREATE_VM, 0);
	if (vm->fd < 0)
		die("KVM_CREATE_VM");
	opts.errbuf = errbuf;
	opts.errbuf_size = sizeof(errbuf);
	err = pmp_vmm_attach(vm->fd, &opts, &vm->shim);
	if (err) {
		fprintf(stderr, "pmp-mini-vmm: %s\n", errbuf);
		exit(1);
	}
	err = pmp_vmm_mem_alloc(vm->shim, PMP_BACKING_ANON, SZ_2M, &vm->sys);
	if (!err)
		err = pmp_vmm_slot_add(vm->shim, 0, SYS_GPA, SZ_2M, &vm->sys, 0, 0);
	if (!err)
		err = pmp_vmm_mem_alloc(vm->shim, backing, vm->data_size, &vm->data);
	if (!err)
		err = pmp_vmm_slot_add(vm->shim, 1, DATA_GPA, vm->data_size, &vm->data, 0, 0);
	if (err)
		die_shim(vm, "memory", err);
	vm->vcpu = ioctl(vm->fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu < 0)
		die("KVM_CREATE_VCPU");
	mmap_size = ioctl(vm->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	vm->run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu, 0);
	if (vm->run == MAP_FAILED)
		die("mmap(kvm_run)");
	build_page_tables(vm);
	setup_vcpu(vm);
	run_to_command(vm);
}

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

	guest_command(vm, CMD_WRITE, seed);
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
	guest_command(vm, CMD_READ, seed);
	read_stats(vm, &after);
	ph->refaults = after.pf_taken - before.pf_taken;
	verify(vm, punched, seed, ph);
}

static unsigned int parse_backing(const char *s)
{
	if (!strcmp(s, "gmem"))
		return PMP_BACKING_GUEST_MEMFD;
	if (!strcmp(s, "memfd"))
		return PMP_BACKING_MEMFD;
	if (!strcmp(s, "anon"))
		return PMP_BACKING_ANON;
	fprintf(stderr, "pmp-mini-vmm: --backing %s: want gmem, memfd or anon\n", s);
	exit(2);
}

#ifndef PMP_TOOLS_VERSION
#define PMP_TOOLS_VERSION "unknown"
#endif
#define MINI_VMM_USAGE \
	"usage: pmp-mini-vmm [--backing gmem|memfd|anon] [--mib N (4..1024, even)]\n" \
	"                    [--requests N] [--seed N] [--policy STR] [--check]\n" \
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
	bool check = false;
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
		if (!val)
			goto usage;
		if (!strcmp(argv[i], "--backing"))
			backing = parse_backing(val);
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
	pmp_vmm_detach(vm.shim);
	pmp_vmm_mem_free(&vm.data);
	pmp_vmm_mem_free(&vm.sys);
	free(punched);
	free(req);
	return failed;
usage:
	fprintf(stderr, MINI_VMM_USAGE);
	return 2;
}
