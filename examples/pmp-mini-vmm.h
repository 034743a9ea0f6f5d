/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * pmp-mini-vmm's VM: two memslots (system memory at gpa 0, the data slot
 * at 1 GiB), one vCPU running a command loop, KVM's statistics.  Shared
 * by the punch experiment (pmp-mini-vmm.c) and the private-memory one
 * (pmp-mini-vmm-private.c); the plumbing is in pmp-mini-vmm-vm.c.
 */
#ifndef PMP_MINI_VMM_H
#define PMP_MINI_VMM_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include <pmem_policy/vmm.h>

#define SZ_4K		4096ULL
#define SZ_2M		(2ULL << 20)
#define SYS_GPA		0ULL		/* page tables, code, stack: one 2 MiB page */
#define REPORT_GPA	0x100000ULL	/* CMD_PEEK's output, up to STACK_TOP - 64K */
#define STACK_TOP	0x1ff000ULL
#define DATA_GPA	(1ULL << 30)
#define REPORT_MAX_PAGES ((STACK_TOP - 0x10000 - REPORT_GPA) / 8)

/* Guest commands (rdi), through `out` to port 0x10; rsi: start, rcx: bytes. */
#define CMD_WRITE	1		/* r10: seed; each qword at a = a ^ seed */
#define CMD_READ	2		/* rax: sum of one qword per page */
#define CMD_CONVERT	3		/* rdx: KVM_HC_MAP_GPA_RANGE attributes */
#define CMD_PEEK	4		/* each page's first qword to REPORT_GPA */

#define EXIT_UNAVAILABLE	77	/* the host lacks what the mode needs */
#define MAP_GPA_RANGE_ENCRYPTED	(1ULL << 4)	/* KVM_MAP_GPA_RANGE_ENCRYPTED */

struct vm;

/* How the VMM converts on a guest's request; the experiment decides. */
typedef void (*convert_fn)(struct vm *vm, uint64_t gpa, uint64_t size, bool private);

struct vm {
	int kvm, fd, vcpu;
	struct kvm_run *run;
	struct pmp_vmm *shim;
	struct pmp_vmm_mem sys, data, priv;	/* priv: guest_memfd of private memory */
	uint64_t data_size;
	bool private_mem;		/* KVM_X86_SW_PROTECTED_VM, guest at CPL0 */
	convert_fn convert;
	uint64_t hypercalls, memory_faults;
};

struct stats {
	uint64_t pf_taken, pages_4k, pages_2m, pages_1g;
};

void die(const char *what) __attribute__((noreturn));
void die_shim(struct vm *vm, const char *what, int err) __attribute__((noreturn));
void read_stats(struct vm *vm, struct stats *s);

/*
 * Create the VM with its data slot of @backing (for private memory: shared
 * memory of @backing and a guest_memfd) and run the guest to its first
 * command.
 */
void create_vm(struct vm *vm, unsigned int backing, const char *policy);
void destroy_vm(struct vm *vm);

/* Run one command over [start, start + bytes); return the guest's rax. */
uint64_t guest_command(struct vm *vm, uint64_t cmd, uint64_t start, uint64_t bytes,
		       uint64_t arg);

/*
 * The private-memory experiment (pmp-mini-vmm-private.c); returns
 * failures.  @shim_only runs one VM (through the shim) and checks only
 * what the guest and the shared mapping see.
 */
int private_experiment(unsigned int shared_backing, uint64_t mib, uint64_t seed,
		       const char *policy, bool prefault, bool check, bool shim_only);

#endif /* PMP_MINI_VMM_H */
