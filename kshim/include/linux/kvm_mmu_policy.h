/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * KVM x86 MMU policy hooks: an optional ops table a module registers to
 * narrow the MMU's large-page decisions, to decide on each leaf before it
 * is installed, and to observe zaps and long walks.  With no ops
 * registered KVM behaves exactly as before.
 *
 * This is the whole interface between KVM and a policy module: a module
 * built out of tree against headers without it carries an identical copy.
 */
#ifndef __LINUX_KVM_MMU_POLICY_H
#define __LINUX_KVM_MMU_POLICY_H

#include <linux/kvm_host.h>

/**
 * enum kvm_mmu_policy_zap - why KVM removes leaf SPTEs.
 * @KVM_MMU_POLICY_ZAP_NOTIFIER: kvm_unmap_gfn_range(): an MMU notifier
 *	invalidation (shared) or a guest_memfd invalidation (private).
 * @KVM_MMU_POLICY_ZAP_ATTRIBUTES: KVM_SET_MEMORY_ATTRIBUTES converts the
 *	range; the filter names the attribute whose mappings go.
 * @KVM_MMU_POLICY_ZAP_MEMSLOT: a memslot is deleted or moved (the range
 *	is every gfn when KVM zaps all SPTEs for it).
 * @KVM_MMU_POLICY_ZAP_RECYCLE: the shadow MMU recycles a shadow page;
 *	one call per leaf it held.
 * @KVM_MMU_POLICY_ZAP_TEARDOWN: every SPTE goes (VM destruction).
 * @KVM_MMU_POLICY_ZAP_COLLAPSE: dirty logging stopped; one call per
 *	range of small SPTEs KVM zaps so that it re-faults huge.
 * @KVM_MMU_POLICY_ZAP_POLICY: the policy asked for it (a merge tick).
 * @KVM_MMU_POLICY_ZAP_GFN_RANGE: kvm_zap_gfn_range() (MTRR, APICv,
 *	CR0.CD, ...).
 * @KVM_MMU_POLICY_ZAP_NX_RECOVERY: NX huge page recovery zaps a page table
 *	of small SPTEs so that the range re-faults huge.
 * @KVM_MMU_POLICY_ZAP_ALL_FAST: every SPTE is invalidated (MMIO generation
 *	wrap, nx_huge_pages toggled).
 * @KVM_MMU_POLICY_ZAP_NR: number of reasons.
 */
enum kvm_mmu_policy_zap {
	KVM_MMU_POLICY_ZAP_NOTIFIER,
	KVM_MMU_POLICY_ZAP_ATTRIBUTES,
	KVM_MMU_POLICY_ZAP_MEMSLOT,
	KVM_MMU_POLICY_ZAP_RECYCLE,
	KVM_MMU_POLICY_ZAP_TEARDOWN,
	KVM_MMU_POLICY_ZAP_COLLAPSE,
	KVM_MMU_POLICY_ZAP_POLICY,
	KVM_MMU_POLICY_ZAP_GFN_RANGE,
	KVM_MMU_POLICY_ZAP_NX_RECOVERY,
	KVM_MMU_POLICY_ZAP_ALL_FAST,
	KVM_MMU_POLICY_ZAP_NR,
};

/* Zap filter bits: which mappings of the range go (both when 0). */
#define KVM_MMU_POLICY_SHARED	BIT(0)
#define KVM_MMU_POLICY_PRIVATE	BIT(1)

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
 * struct kvm_mmu_policy_leaf - a leaf SPTE KVM is about to install.
 * @slot: its memslot.
 * @gfn: first gfn, aligned to @level (for @max_level and @pin: the
 *	faulting gfn).
 * @pfn: first pfn, aligned to @level (for @max_level: the faulting pfn;
 *	for @pin: none yet).
 * @level: PG_LEVEL_4K, PG_LEVEL_2M or PG_LEVEL_1G (for @max_level: the
 *	largest level KVM allows).
 * @vcpu_idx: the faulting vCPU.
 * @host_level: for @max_level and @map of a fault, the level at which the
 *	host maps @pfn when KVM looked it up for this fault (a shared fault
 *	that KVM's memslot and attributes let map huge), else 0: unknown
 *	(private memory, dirty logging, a prefetch, @pin).
 * @write: a write fault.
 * @exec: an instruction fetch.
 * @is_private: private memory (guest_memfd).
 * @prefetch: a prefetch (or KVM_PRE_FAULT_MEMORY), not a guest access.
 */
struct kvm_mmu_policy_leaf {
	const struct kvm_memory_slot *slot;
	gfn_t gfn;
	kvm_pfn_t pfn;
	int level;
	int vcpu_idx;
	u8 host_level;
	bool write;
	bool exec;
	bool is_private;
	bool prefetch;
};

/**
 * struct kvm_mmu_policy_ops - the policy's callbacks.
 * @owner: the module providing them.
 * @vm_init: a VM is created (sleepable); kvm->arch.vm_type is set.
 * @vm_pre_destroy: the last reference to a VM is gone; SPTEs are still
 *	there (sleepable).  Stop anything that may call into KVM for it.
 * @vm_destroy: a VM is destroyed, after its SPTEs are gone (sleepable).
 * @memslot_prepare: a memslot change is about to be committed
 *	(sleepable, slots_lock held); a negative errno refuses it and
 *	KVM_SET_USER_MEMORY_REGION(2) fails with it.  A later step (binding
 *	a guest_memfd) may still fail: record the slot in @memslot only.
 * @memslot: a memslot change is committed (sleepable, slots_lock held).
 * @max_level: the largest level a fault may map at; called with mmu_lock
 *	held (for read under the TDP MMU) when KVM would map larger than 4K,
 *	and for every private fault, with KVM's answer @level (PG_LEVEL_4K
 *	for a private fault KVM maps small).  Atomic, concurrent with other
 *	faults.  The result is clamped to [PG_LEVEL_4K, @level]; it lowers
 *	only the level the fault maps at, not the level KVM accounts NX huge
 *	pages against.
 * @map: @leaf is about to be installed; @priv is what the policy last set
 *	for @kvm with kvm_mmu_policy_set_private() (NULL if nothing), so
 *	that the policy finds its VM state without a lookup.  Return 0 to
 *	install it, -EAGAIN
 *	to retry the fault, or another negative errno to refuse it: the
 *	fault exits to userspace with KVM_EXIT_MEMORY_FAULT and KVM_RUN (or
 *	KVM_PRE_FAULT_MEMORY) fails with that errno; a refused prefetch is
 *	skipped.  Atomic, mmu_lock held (for read under the TDP MMU),
 *	concurrent with other faults.  The install may still lose a race
 *	after this and be retried.
 * @pin: a shared (not guest_memfd) page of @leaf->gfn at @hva is about to
 *	be faulted in: no reference on it is held yet and mmu_lock is not
 *	taken; @leaf->level is the fault's own limit (the largest level it
 *	may map at as the host maps @hva now: kvm_mmu_policy_host_level()),
 *	@leaf->pfn is not known.  Sleepable: the policy may take long-term
 *	pins (pin_user_pages_fast() with FOLL_LONGTERM, which may migrate the
 *	page; the fault is then retried) for @map to record.  Return 0 to go
 *	on, -EAGAIN to retry the fault, or another negative errno to refuse
 *	it as @map does.  A pin taken here may outlive a fault that is
 *	retried or refused, or a leaf mapped smaller: the policy owns it.
 *	Called only while the policy holds kvm_mmu_policy_pin_get(), for
 *	every VM then: a policy with no VM to pin for costs no fault a call.
 * @zap: leaf SPTEs of [@start, @end) are being removed; @filter is
 *	KVM_MMU_POLICY_SHARED/PRIVATE, 0 for both.  Atomic or not, mmu_lock
 *	may be held.
 * @set_attributes: KVM_SET_MEMORY_ATTRIBUTES set @attributes
 *	(KVM_MEMORY_ATTRIBUTE_*) on [@start, @end), the part of the ioctl's
 *	range in @slot (one call per memslot it covers; gfns in no memslot
 *	are not reported), after @zap (KVM_MMU_POLICY_ZAP_ATTRIBUTES) removed
 *	the range's old-attribute leaves and before KVM updates its own
 *	mixed-attribute tracking.  Atomic: mmu_lock held for write (no fault
 *	maps the range before the policy knows) and slots_lock held.
 *	The attributes are already set: the policy cannot refuse them.
 * @defer_collapse: dirty logging of @slot stopped: return true to leave
 *	small SPTEs in place (the policy's merge ticks restore huge ones).
 * @tick: a merge tick: fill up to @max ranges KVM zaps so they re-fault
 *	huge; return how many (sleepable, no lock held).
 * @sync_yield: between two batches of mmu_sync_children(): @remaining
 *	unsync children of the walk's root still to visit, @done pages
 *	synced so far, @resched and @contended as KVM sees them.  The
 *	default is YIELD when either is set (BAIL when !@can_yield), else
 *	CONTINUE.  Atomic.
 */
struct kvm_mmu_policy_ops {
	struct module *owner;
	void (*vm_init)(struct kvm *kvm);
	void (*vm_pre_destroy)(struct kvm *kvm);
	void (*vm_destroy)(struct kvm *kvm);
	int (*memslot_prepare)(struct kvm *kvm, const struct kvm_memory_slot *old,
			       const struct kvm_memory_slot *new, enum kvm_mr_change change);
	void (*memslot)(struct kvm *kvm, const struct kvm_memory_slot *old,
			const struct kvm_memory_slot *new, enum kvm_mr_change change);
	int (*max_level)(struct kvm *kvm, const struct kvm_mmu_policy_leaf *leaf);
	int (*map)(struct kvm *kvm, const struct kvm_mmu_policy_leaf *leaf, void *priv);
	int (*pin)(struct kvm *kvm, const struct kvm_mmu_policy_leaf *leaf, unsigned long hva);
	void (*zap)(struct kvm *kvm, gfn_t start, gfn_t end, unsigned int filter,
		    enum kvm_mmu_policy_zap reason);
	void (*set_attributes)(struct kvm *kvm, const struct kvm_memory_slot *slot,
			       gfn_t start, gfn_t end, unsigned long attributes);
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
 * kvm_mmu_policy_host_level() - the largest level a fault may map at now.
 * @kvm: the VM.
 * @slot: the memslot of @gfn.
 * @gfn: the faulting gfn.
 * @max_level: the fault's own limit (@leaf->level in @pin).
 *
 * For @pin: the level of the host mapping of @gfn (4K where nothing is
 * mapped yet), within @max_level and KVM's own limits (memslot edges,
 * dirty logging, mixed attributes), read without mmu_lock: a change of the
 * host mapping is an invalidation, which the fault's mmu_seq catches.
 * Atomic.
 *
 * Return: PG_LEVEL_4K, PG_LEVEL_2M or PG_LEVEL_1G.
 */
int kvm_mmu_policy_host_level(struct kvm *kvm, const struct kvm_memory_slot *slot,
			      gfn_t gfn, int max_level);

/**
 * kvm_mmu_policy_set_private() - the policy's state of a VM, for @map.
 * @kvm: the VM, from @vm_init until @vm_destroy.
 * @priv: passed to every @map of @kvm from now on; NULL to stop.
 *
 * Released: @map sees @priv's contents as they were written before this
 * call.  A policy that frees @priv sets NULL first and then waits for the
 * @map calls that may still hold it (synchronize_rcu(): @map runs with
 * mmu_lock held).  Any context.
 */
void kvm_mmu_policy_set_private(struct kvm *kvm, void *priv);

/**
 * kvm_mmu_policy_pin_get() - call @pin on shared faults from now on.
 *
 * Counted: @pin is called while more kvm_mmu_policy_pin_get() than
 * kvm_mmu_policy_pin_put() calls were made (e.g. one pair per VM whose
 * pages the policy pins, taken in @vm_init before any fault of it).
 * Any context.
 */
void kvm_mmu_policy_pin_get(void);

/**
 * kvm_mmu_policy_pin_put() - drop one kvm_mmu_policy_pin_get().
 *
 * A @pin call already running completes.  Any context.
 */
void kvm_mmu_policy_pin_put(void);

/**
 * kvm_mmu_policy_tick() - run one merge tick of @kvm now.
 * @kvm: the VM, alive: held by the caller, or before @vm_pre_destroy.
 *
 * Calls @tick and zaps the ranges it returns.  Sleepable.
 *
 * Return: the number of ranges zapped.
 */
int kvm_mmu_policy_tick(struct kvm *kvm);

#endif /* __LINUX_KVM_MMU_POLICY_H */
