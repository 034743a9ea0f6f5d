// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * pmp-mini-vmm's VM plumbing: memslots through the shim, page tables, one
 * vCPU in long mode, the guest's command loop and the exits that ask the
 * VMM to convert memory.
 *
 * Shared-memory VMs run the guest at CPL3 with IOPL 3: on nested "PVM"
 * hosts code at CPL0 is emulated and never creates SPTEs, while CPL3 code
 * runs natively and faults real ones.  Private-memory VMs
 * (KVM_X86_SW_PROTECTED_VM) run it at CPL0, because KVM refuses
 * hypercalls from CPL3 (-KVM_EPERM) and the guest converts memory with
 * KVM_HC_MAP_GPA_RANGE.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pmp-mini-vmm.h"

#define PML4_GPA	0x1000ULL
#define PDPT_GPA	0x2000ULL
#define PD_LOW_GPA	0x3000ULL	/* maps [0, 1G) */
#define PD_DATA_GPA	0x4000ULL	/* maps [1G, 2G): the data slot */
#define CODE_GPA	0x8000ULL
#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_US		(1ULL << 2)
#define PTE_PS		(1ULL << 7)
#define PORT_CMD	0x10
#define KVM_HC_MAP_GPA_RANGE	12
#define CAP_EXIT_HYPERCALL	201
#define X86_SW_PROTECTED_VM	1
#define CAP_VM_TYPES		235
#define EXIT_MEMORY_FAULT	39
#define MEMORY_EXIT_FLAG_PRIVATE (1ULL << 3)

/* kvm_run's memory_fault member, absent from Debian 12's 6.1 uapi. */
struct memory_fault {
	uint64_t flags, gpa, size;
};

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
	"	cmp $3, %edi\n"
	"	je 6f\n"
	"	cmp $4, %edi\n"
	"	je 7f\n"
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
	"6:	mov $12, %eax\n"		/* convert: KVM_HC_MAP_GPA_RANGE */
	"	mov %rsi, %rbx\n"		/* gpa, npages, attributes in rdx */
	"	shr $12, %rcx\n"
	"	vmmcall\n"
	"	jmp 1b\n"
	"7:	mov %rsi, %r8\n"		/* peek: first qword of each page */
	"	lea (%rsi,%rcx), %r9\n"
	"	mov $0x100000, %r11\n"		/* REPORT_GPA */
	"8:	mov (%r8), %rax\n"
	"	mov %rax, (%r11)\n"
	"	add $8, %r11\n"
	"	add $4096, %r8\n"
	"	cmp %r9, %r8\n"
	"	jb 8b\n"
	"	jmp 1b\n"
	"guest_code_end:\n"
	".popsection\n");
extern const unsigned char guest_code[], guest_code_end[];

void die(const char *what)
{
	fprintf(stderr, "pmp-mini-vmm: %s: %s\n", what, strerror(errno));
	exit(1);
}

void die_shim(struct vm *vm, const char *what, int err)
{
	fprintf(stderr, "pmp-mini-vmm: %s: %s\n", what,
		vm->shim && *pmp_vmm_error(vm->shim) ? pmp_vmm_error(vm->shim) : strerror(-err));
	exit(1);
}

void read_stats(struct vm *vm, struct stats *s)
{
	if (pmp_kvm_stat(vm->vcpu, "pf_taken", &s->pf_taken) ||
	    pmp_kvm_stat(vm->fd, "pages_4k", &s->pages_4k) ||
	    pmp_kvm_stat(vm->fd, "pages_2m", &s->pages_2m) ||
	    pmp_kvm_stat(vm->fd, "pages_1g", &s->pages_1g))
		die("KVM_GET_STATS_FD");
}

/* Identity-map [0, 2M) and the data slot with 2 MiB pages. */
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

/* The vCPU gets what KVM supports: without CPUID.LM, 6.12 refuses EFER.LME. */
static void set_cpuid(struct vm *vm)
{
	struct kvm_cpuid2 *cpuid;
	int nent = 256;

	cpuid = calloc(1, sizeof(*cpuid) + nent * sizeof(cpuid->entries[0]));
	if (!cpuid)
		die("calloc");
	cpuid->nent = nent;
	if (ioctl(vm->kvm, KVM_GET_SUPPORTED_CPUID, cpuid))
		die("KVM_GET_SUPPORTED_CPUID");
	if (ioctl(vm->vcpu, KVM_SET_CPUID2, cpuid))
		die("KVM_SET_CPUID2");
	free(cpuid);
}

/* Long mode; CPL3 with Linux's user selectors, or CPL0 for private memory. */
static void setup_vcpu(struct vm *vm)
{
	uint8_t dpl = vm->private_mem ? 0 : 3;
	struct kvm_segment code = { .base = 0, .limit = 0xffffffff,
				    .selector = vm->private_mem ? 0x08 : 0x33,
				    .type = 0xb, .present = 1, .dpl = dpl, .s = 1, .l = 1, .g = 1 };
	struct kvm_segment data = { .base = 0, .limit = 0xffffffff,
				    .selector = vm->private_mem ? 0x10 : 0x2b,
				    .type = 0x3, .present = 1, .dpl = dpl, .s = 1, .db = 1, .g = 1 };
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

/*
 * Run until the guest asks for its next command.  A KVM_HC_MAP_GPA_RANGE
 * exit, or a KVM_EXIT_MEMORY_FAULT (an access whose private-ness the
 * attributes contradict), is a conversion the VMM makes before resuming.
 */
static void run_to_command(struct vm *vm)
{
	for (;;) {
		if (ioctl(vm->vcpu, KVM_RUN, NULL) && errno != EINTR &&
		    !(errno == EFAULT && vm->run->exit_reason == EXIT_MEMORY_FAULT))
			die("KVM_RUN");
		if (vm->run->exit_reason == KVM_EXIT_IO && vm->run->io.port == PORT_CMD)
			return;
		if (vm->run->exit_reason == KVM_EXIT_INTR)
			continue;
		if (vm->run->exit_reason == KVM_EXIT_HYPERCALL && vm->convert &&
		    vm->run->hypercall.nr == KVM_HC_MAP_GPA_RANGE) {
			vm->hypercalls++;
			vm->convert(vm, vm->run->hypercall.args[0], vm->run->hypercall.args[1] * SZ_4K,
				    vm->run->hypercall.args[2] & MAP_GPA_RANGE_ENCRYPTED);
			vm->run->hypercall.ret = 0;
			continue;
		}
		if (vm->run->exit_reason == EXIT_MEMORY_FAULT && vm->convert) {
			const struct memory_fault *mf = (const void *)vm->run->padding;

			vm->memory_faults++;
			vm->convert(vm, mf->gpa, mf->size, mf->flags & MEMORY_EXIT_FLAG_PRIVATE);
			continue;
		}
		fprintf(stderr, "pmp-mini-vmm: unexpected exit %u (shutdown = %u: a guest fault)\n",
			vm->run->exit_reason, KVM_EXIT_SHUTDOWN);
		exit(1);
	}
}

uint64_t guest_command(struct vm *vm, uint64_t cmd, uint64_t start, uint64_t bytes,
		       uint64_t arg)
{
	struct kvm_regs regs;

	if (ioctl(vm->vcpu, KVM_GET_REGS, &regs))
		die("KVM_GET_REGS");
	regs.rdi = cmd;
	regs.rsi = start;
	regs.rcx = bytes;
	regs.r10 = arg;
	regs.rdx = arg;
	if (ioctl(vm->vcpu, KVM_SET_REGS, &regs))
		die("KVM_SET_REGS");
	run_to_command(vm);
	if (ioctl(vm->vcpu, KVM_GET_REGS, &regs))
		die("KVM_GET_REGS");
	return regs.rax;
}

void create_vm(struct vm *vm, unsigned int backing, const char *policy)
{
	struct pmp_vmm_opts opts = {
		.sz = sizeof(opts), .gfn_end = (DATA_GPA + vm->data_size) / SZ_4K,
		.max_slots = 2, .nr_vcpus = 1, .policy = policy,
	};
	struct kvm_enable_cap hc = { .cap = CAP_EXIT_HYPERCALL,
				     .args = { 1ULL << KVM_HC_MAP_GPA_RANGE } };
	char errbuf[256];
	int mmap_size, err, types;

	vm->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm < 0)
		die("/dev/kvm");
	types = ioctl(vm->kvm, KVM_CHECK_EXTENSION, CAP_VM_TYPES);
	if (vm->private_mem && (types < 0 || !(types & (1 << X86_SW_PROTECTED_VM)))) {
		printf("pmp-mini-vmm: KVM_CAP_VM_TYPES 0x%x lacks KVM_X86_SW_PROTECTED_VM: no private memory on this host\n",
		       types < 0 ? 0 : types);
		exit(EXIT_UNAVAILABLE);
	}
	vm->fd = ioctl(vm->kvm, KVM_CREATE_VM, vm->private_mem ? X86_SW_PROTECTED_VM : 0);
	if (vm->fd < 0)
		die(vm->private_mem ? "KVM_CREATE_VM(KVM_X86_SW_PROTECTED_VM)" : "KVM_CREATE_VM");
	/* The guest's conversion requests become KVM_EXIT_HYPERCALL. */
	if (vm->private_mem && ioctl(vm->fd, KVM_ENABLE_CAP, &hc))
		die("KVM_ENABLE_CAP(KVM_CAP_EXIT_HYPERCALL, KVM_HC_MAP_GPA_RANGE)");
	opts.errbuf = errbuf;
	opts.errbuf_size = sizeof(errbuf);
	err = pmp_vmm_attach(vm->fd, &opts, &vm->shim);
	if (err) {
		fprintf(stderr, "pmp-mini-vmm: %s\n", errbuf);
		exit(1);
	}
	vm->priv.fd = -1;
	err = pmp_vmm_mem_alloc(vm->shim, PMP_BACKING_ANON, SZ_2M, &vm->sys);
	if (!err)
		err = pmp_vmm_slot_add(vm->shim, 0, SYS_GPA, SZ_2M, &vm->sys, 0, 0);
	if (!err)
		err = pmp_vmm_mem_alloc(vm->shim, backing, vm->data_size, &vm->data);
	if (!err && vm->private_mem)
		err = pmp_vmm_mem_alloc(vm->shim, PMP_BACKING_PRIVATE, vm->data_size, &vm->priv);
	if (!err && vm->private_mem)
		err = pmp_vmm_slot_add_private(vm->shim, 1, DATA_GPA, vm->data_size, &vm->data, 0,
					       &vm->priv, 0, 0);
	else if (!err)
		err = pmp_vmm_slot_add(vm->shim, 1, DATA_GPA, vm->data_size, &vm->data, 0, 0);
	if (err == -EOPNOTSUPP) {
		printf("pmp-mini-vmm: %s\n", pmp_vmm_error(vm->shim));
		exit(EXIT_UNAVAILABLE);
	}
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
	set_cpuid(vm);
	setup_vcpu(vm);
	run_to_command(vm);
}

void destroy_vm(struct vm *vm)
{
	pmp_vmm_detach(vm->shim);
	close(vm->vcpu);
	close(vm->fd);
	close(vm->kvm);
	pmp_vmm_mem_free(&vm->data);
	pmp_vmm_mem_free(&vm->priv);
	pmp_vmm_mem_free(&vm->sys);
}
