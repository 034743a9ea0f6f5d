// SPDX-License-Identifier: GPL-2.0-only
/*
 * pmp-trace record: the BPF side.  BTF-typed tracepoints (tp_btf/) on the
 * KVM MMU events, read with CO-RE so one object runs on any kernel with
 * BTF whatever the layout of struct kvm_page_fault or kvm_mmu_page; plus
 * the syscall tracepoints, for the recorded process's memslot ioctls,
 * which have no KVM tracepoint.  Only the target process (tgid) is kept:
 * other processes use KVM too.  Records go through one ring buffer; a
 * record that does not fit is counted in @lost, never silently dropped.
 *
 * Every pointer argument is NULL-checked before it is read: since 6.12 the
 * verifier types tp_btf pointer arguments as trusted_ptr_or_null and
 * refuses the address arithmetic of a CO-RE read before the check (6.1
 * does not ask, and a check costs one branch there).
 *
 * GPL: bpf_probe_read_user() and the tracing helpers are GPL-only.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "raw.h"

/*
 * The kernel types we read, only the members we use: libbpf relocates
 * every access against the running kernel's BTF (CO-RE).
 */
#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)
struct kvm_memory_slot;
struct kvm_page_fault {
	__u64 gfn;
	__u8 goal_level;
};
union kvm_mmu_page_role {
	__u32 word;
	struct {
		unsigned int level : 4;
		unsigned int has_4_byte_gpte : 1;
		unsigned int quadrant : 2;
		unsigned int direct : 1;
	};
};
struct kvm_mmu_page {
	__u64 gfn;
	union kvm_mmu_page_role role;
};
struct kvm_vcpu {
	int vcpu_id;
};
struct kvm;
struct pt_regs {
	unsigned long di;
	unsigned long si;
	unsigned long dx;
	unsigned long r10;	/* a syscall's fourth argument */
};
#pragma clang attribute pop

const volatile __u32 target_tgid;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

/* Per kind: records the program saw, and those the ring buffer had no room for. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RAW_KIND_NR);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps"), lost SEC(".maps");

/* A memslot/VM/vCPU ioctl between its entry and its exit, per thread. */
struct pending_ioctl {
	__u32 cmd;
	__u32 pad;
	struct pmp_raw r;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct pending_ioctl);
} ioctls SEC(".maps");

static __always_inline int ours(void)
{
	return bpf_get_current_pid_tgid() >> 32 == target_tgid;
}

static __always_inline void count(void *map, __u32 kind)
{
	__u64 *n = bpf_map_lookup_elem(map, &kind);

	if (n)
		(*n)++;
}

static __always_inline void submit(__u16 kind, __u8 level, __u8 direct, __u64 a, __u64 b,
				   __u64 c)
{
	struct pmp_raw *r;

	count(&seen, kind);
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count(&lost, kind);
		return;
	}
	r->time = bpf_ktime_get_ns();
	r->tid = (__u32)bpf_get_current_pid_tgid();
	r->kind = kind;
	r->level = level;
	r->direct = direct;
	r->a = a;
	r->b = b;
	r->c = c;
	r->d = 0;
	r->e = 0;
	r->f = 0;
	bpf_ringbuf_submit(r, 0);
}

SEC("tp_btf/kvm_mmu_spte_requested")
int BPF_PROG(spte_requested, struct kvm_page_fault *fault)
{
	if (fault && ours())
		submit(RAW_SPTE_REQUESTED, BPF_CORE_READ(fault, goal_level), 0,
		       BPF_CORE_READ(fault, gfn), 0, 0);
	return 0;
}

SEC("tp_btf/kvm_mmu_set_spte")
int BPF_PROG(set_spte, int level, __u64 gfn, __u64 *sptep)
{
	if (ours())
		submit(RAW_SET_SPTE, (__u8)level, 0, gfn, 0, 0);
	return 0;
}

SEC("tp_btf/kvm_page_fault")
int BPF_PROG(page_fault, struct kvm_vcpu *vcpu, __u64 address, __u64 error_code)
{
	if (vcpu && ours())
		submit(RAW_PAGE_FAULT, 0, 0, (__u32)BPF_CORE_READ(vcpu, vcpu_id), address,
		       error_code);
	return 0;
}

SEC("tp_btf/kvm_mmu_prepare_zap_page")
int BPF_PROG(prepare_zap_page, struct kvm_mmu_page *sp)
{
	union kvm_mmu_page_role role;

	if (!sp || !ours())
		return 0;
	role.word = BPF_CORE_READ(sp, role.word);
	submit(RAW_ZAP_PAGE, (__u8)BPF_CORE_READ_BITFIELD(&role, level),
	       (__u8)BPF_CORE_READ_BITFIELD(&role, direct), BPF_CORE_READ(sp, gfn), 0, 0);
	return 0;
}

SEC("tp_btf/kvm_mmu_zap_all_fast")
int BPF_PROG(zap_all_fast, struct kvm *kvm)
{
	if (ours())
		submit(RAW_ZAP_ALL_FAST, 0, 0, 0, 0, 0);
	return 0;
}

SEC("tp_btf/kvm_unmap_hva_range")
int BPF_PROG(unmap_hva_range, unsigned long start, unsigned long end)
{
	if (ours())
		submit(RAW_UNMAP_HVA, 0, 0, start, end, 0);
	return 0;
}

/* struct kvm_userspace_memory_region2's first members (region 1 stops at uaddr). */
struct region {
	__u32 slot;
	__u32 flags;
	__u64 guest_phys_addr;
	__u64 memory_size;
	__u64 userspace_addr;
	__u64 guest_memfd_offset;
	__u32 guest_memfd;
	__u32 pad;
};

/* struct kvm_memory_attributes */
struct attrs {
	__u64 address;
	__u64 size;
	__u64 attributes;
	__u64 flags;
};

/* x86-64 syscall numbers */
#define NR_MADVISE 28
#define NR_IOCTL 16
#define NR_FALLOCATE 285

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	struct pending_ioctl p = {};
	struct region reg = {};
	struct attrs at = {};
	__u32 tid;

	if ((id != NR_IOCTL && id != NR_FALLOCATE && id != NR_MADVISE) || !regs || !ours())
		return 0;
	/* guest_memfd punches and DONTNEEDs: the converter keeps those on guest memory */
	if (id == NR_FALLOCATE) {
		if (!(BPF_CORE_READ(regs, si) & RAW_FALLOC_FL_PUNCH_HOLE))
			return 0;
		p.r.kind = RAW_FALLOCATE;
		p.r.a = BPF_CORE_READ(regs, di);
		p.r.b = BPF_CORE_READ(regs, dx);
		p.r.c = BPF_CORE_READ(regs, r10);
		goto pend;
	}
	if (id == NR_MADVISE) {
		p.r.c = BPF_CORE_READ(regs, dx);
		if (p.r.c != RAW_MADV_DONTNEED && p.r.c != RAW_MADV_REMOVE)
			return 0;
		p.r.kind = RAW_MADVISE;
		p.r.a = BPF_CORE_READ(regs, di);
		p.r.b = BPF_CORE_READ(regs, si);
		goto pend;
	}
	p.cmd = (__u32)BPF_CORE_READ(regs, si);
	switch (p.cmd) {
	case RAW_KVM_SET_USER_MEMORY_REGION:
	case RAW_KVM_SET_USER_MEMORY_REGION2:
		/* Copied at entry: the caller may reuse its struct once the ioctl returns. */
		if (bpf_probe_read_user(&reg, p.cmd == RAW_KVM_SET_USER_MEMORY_REGION ? 32 :
					sizeof(reg), (void *)BPF_CORE_READ(regs, dx)))
			return 0;
		p.r.kind = RAW_MEMSLOT;
		p.r.level = (__u8)reg.flags;
		p.r.a = reg.slot;
		p.r.b = reg.guest_phys_addr;
		p.r.c = reg.memory_size;
		p.r.d = reg.userspace_addr;
		p.r.e = reg.guest_memfd_offset;
		p.r.f = p.cmd == RAW_KVM_SET_USER_MEMORY_REGION2 ? reg.guest_memfd : 0;
		break;
	case RAW_KVM_SET_MEMORY_ATTRIBUTES:
		if (bpf_probe_read_user(&at, sizeof(at), (void *)BPF_CORE_READ(regs, dx)))
			return 0;
		p.r.kind = RAW_SET_ATTRS;
		p.r.a = at.address;
		p.r.b = at.size;
		p.r.c = at.attributes;
		break;
	case RAW_KVM_CREATE_GUEST_MEMFD:
		/* its first member, the size; the fd is the return value */
		if (bpf_probe_read_user(&p.r.a, sizeof(p.r.a), (void *)BPF_CORE_READ(regs, dx)))
			return 0;
		p.r.kind = RAW_CREATE_GMEM;
		break;
	case RAW_KVM_CREATE_VM:
		p.r.kind = RAW_CREATE_VM;
		p.r.a = BPF_CORE_READ(regs, dx);
		break;
	case RAW_KVM_CREATE_VCPU:
		p.r.kind = RAW_CREATE_VCPU;
		p.r.a = BPF_CORE_READ(regs, dx);
		break;
	default:
		return 0;
	}
pend:
	tid = (__u32)bpf_get_current_pid_tgid();
	bpf_map_update_elem(&ioctls, &tid, &p, BPF_ANY);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pending_ioctl *p;
	struct pmp_raw *r;

	if (!ours())
		return 0;
	p = bpf_map_lookup_elem(&ioctls, &tid);
	if (!p)
		return 0;
	/* Only what the kernel accepted happened: updates return 0, creations a fd. */
	if (p->r.kind == RAW_CREATE_VM || p->r.kind == RAW_CREATE_VCPU ||
	    p->r.kind == RAW_CREATE_GMEM ? ret > 0 : ret == 0) {
		count(&seen, p->r.kind);
		r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
		if (r) {
			*r = p->r;
			if (p->r.kind == RAW_CREATE_GMEM)
				r->b = (__u64)ret;
			r->time = bpf_ktime_get_ns();
			r->tid = tid;
			bpf_ringbuf_submit(r, 0);
		} else {
			count(&lost, p->r.kind);
		}
	}
	bpf_map_delete_elem(&ioctls, &tid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
