/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * KVM x86 MMU policy hooks: an optional ops table a module registers to
 * narrow the MMU's large-page decisions and to observe mappings, zaps and
 * long walks.  With no ops registered KVM behaves exactly as before.
 *
 * This is the whole interface between KVM and a policy module: a module
 * built out of tree against headers without it carries an identical copy.
 */
#ifndef __LINUX_KVM_MMU_POLICY_H
#define __LINUX_KVM_MMU_POLICY_H

#include <linux/kvm_host.h>

/**
 * enum kvm_mmu_policy_zap - why KVM removes leaf SPTEs.
 * @KVM_MMU_POLICY_ZAP_NOTIFIER: an MMU notifier invalidation.
 * @KVM_MMU_POLICY_ZAP_MEMSLOT: a memslot is deleted or moved.
 * @KVM_MMU_POLICY_ZAP_RECYCLE: the shadow MMU recycles a shadow page.
 * @KVM_MMU_POLICY_ZAP_TEARDOWN: every SPTE goes (VM destruction).
 * @KVM_MMU_POLICY_ZAP_COLLAPSE: dirty logging stopped; small SPTEs that
 *	could be huge are zapped so they re-fault huge.
 * @KVM_MMU_POLICY_ZAP_POLICY: the policy asked for it (a merge tick).
 */
enum kvm_mmu_policy_zap {
	KVM_MMU_POLICY_ZAP_NOTIFIER,
	KVM_MMU_POLICY_ZAP_MEMSLOT,
	KVM_MMU_POLICY_ZAP_RECYCLE,
	KVM_MMU_POLICY_ZAP_TEARDOWN,
	KVM_MMU_POLICY_ZAP_COLLAPSE,
	KVM_MMU_POLICY_ZAP_POLICY,
};

/**
 * enum kvm_mmu_policy_yield - what a long walk does next.
 * @KVM_MMU_POLICY_CONTINUE: keep the lock and go on.
 * @KVM_MMU_POLICY_YIELD: flush, then drop and retake mmu_lock if needed.
 * @KVM_MMU_POLICY_BAIL: flush and return -EINTR; the fault is retried.
 */
enum kvm_mmu_policy_yield {
	KVM_MMU_POLICY_CONTINUE,
	KVM_MMU_POLICY_YIELD,
	KVM_MMU_POLICY_BAIL,
};

/**
 * struct kvm_mmu_policy_walk - a walk's yield history, zeroed by KVM when a
 * walk starts and owned by the policy.
 * @data: opaque to KVM.
 */
struct kvm_mmu_policy_walk {
	u64 data[4];
};

/**
 * struct kvm_mmu_policy_range - a gfn range [@start, @end).
 * @start: first gfn.
 * @end: one past the last gfn.
 */
struct kvm_mmu_policy_range {
	gfn_t start;
	gfn_t end;
};

/* Ranges one merge tick may ask KVM to zap. */
#define KVM_MMU_POLICY_TICK_RANGES 16

/**
 * struct kvm_mmu_policy_ops - the policy's callbacks.
 * @owner: the module providing them.
 * @vm_init: a VM is created (sleepable).
 * @vm_destroy: a VM is destroyed, after its SPTEs are gone (sleepable).
 * @memslot: a memslot change is committed (sleepable, slots_lock held).
 * @max_level: the largest level a fault may map at; called with mmu_lock
 *	held when KVM would map larger than 4K, with KVM's answer @level.
 *	Atomic.  The result is clamped to [PG_LEVEL_4K, @level].
 * @map: a leaf SPTE at @level maps @gfn to @pfn (both aligned to @level);
 *	@fault is false for a prefetch.  Atomic, mmu_lock held.
 * @zap: leaf SPTEs of [@start, @end) are being removed.  Atomic or not.
 * @defer_collapse: dirty logging of @slot stopped: return true to leave
 *	small SPTEs in place (the policy's merge ticks restore huge ones).
 * @tick: a merge tick: fill up to @max ranges KVM zaps so they re-fault
 *	huge; return how many (sleepable, no lock held).
 * @sync_yield: between two batches of mmu_sync_children(): @remaining
 *	unsync children of the walk's root still to visit, @done pages
 *	synced so far,
 *	@resched and @contended as KVM sees them.  The default is YIELD when
 *	either is set (BAIL when !@can_yield), else CONTINUE.  Atomic.
 */
struct kvm_mmu_policy_ops {
	struct module *owner;
	void (*vm_init)(struct kvm *kvm);
	void (*vm_destroy)(struct kvm *kvm);
	void (*memslot)(struct kvm *kvm, const struct kvm_memory_slot *old,
			const struct kvm_memory_slot *new, enum kvm_mr_change change);
	int (*max_level)(struct kvm *kvm, int vcpu_idx, const struct kvm_memory_slot *slot,
			 gfn_t gfn, bool write, bool exec, int level);
	void (*map)(struct kvm *kvm, int vcpu_idx, const struct kvm_memory_slot *slot,
		    gfn_t gfn, kvm_pfn_t pfn, int level, bool write, bool exec, bool fault);
	void (*zap)(struct kvm *kvm, gfn_t start, gfn_t end, enum kvm_mmu_policy_zap reason);
	bool (*defer_collapse)(struct kvm *kvm, const struct kvm_memory_slot *slot);
	int (*tick)(struct kvm *kvm, struct kvm_mmu_policy_range *ranges, int max);
	enum kvm_mmu_policy_yield (*sync_yield)(struct kvm *kvm, int vcpu_idx,
						struct kvm_mmu_policy_walk *walk,
						unsigned long remaining, unsigned long done,
						bool resched, bool contended, bool can_yield);
};

/**
 * kvm_mmu_policy_register() - install the policy ops.
 * @ops: the ops; must stay valid until kvm_mmu_policy_unregister().
 *
 * VMs created before the call are not reported to @ops->vm_init; the
 * policy must ignore VMs it does not know.
 *
 * Return: 0, or -EBUSY if another policy is registered.
 */
int kvm_mmu_policy_register(const struct kvm_mmu_policy_ops *ops);

/**
 * kvm_mmu_policy_unregister() - remove the policy ops.
 * @ops: the ops passed to kvm_mmu_policy_register().
 *
 * Waits until no callback of @ops runs any more.
 */
void kvm_mmu_policy_unregister(const struct kvm_mmu_policy_ops *ops);

/**
 * kvm_mmu_policy_tick() - run one merge tick of @kvm now.
 * @kvm: the VM, held by the caller (a reference, or KVM's own worker).
 *
 * Calls @tick and zaps the ranges it returns.  Sleepable.
 *
 * Return: the number of ranges zapped.
 */
int kvm_mmu_policy_tick(struct kvm *kvm);

#endif /* __LINUX_KVM_MMU_POLICY_H */
