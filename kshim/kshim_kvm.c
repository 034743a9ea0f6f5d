// SPDX-License-Identifier: GPL-2.0-only
/*
 * The KVM side of pmem_policy.ko: per-VM state created and freed with each
 * struct kvm, and the MMU policy callbacks, each a thin translation into a
 * core call made under the VM's lock.
 *
 * Lifetime: a VM this module tracks holds a reference on the module, so
 * the module cannot be unloaded while such a VM lives (rmmod fails with
 * -EBUSY).  VMs created before the module registered its ops are not
 * tracked and see KVM's own behaviour.  KVM calls the ops under SRCU and
 * kvm_mmu_policy_unregister() waits for running calls, so the module's
 * text stays until the last callback (vm_destroy's module_put()) returns.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/hashtable.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "kshim.h"
/* the core's shared record, expanded in kshim_map_shared(): the same source */
#include "../libpmem_policy/map_shared.h"

atomic64_t kshim_pages_held = ATOMIC64_INIT(0);
atomic_t kshim_vms_live = ATOMIC_INIT(0);

static DEFINE_HASHTABLE(kshim_vms, 6);
static DEFINE_MUTEX(kshim_vms_lock);
static atomic_t kshim_vm_seq = ATOMIC_INIT(0);

/*
 * The patched KVM's entry points, taken with symbol_get() so that the
 * module also loads next to an unpatched KVM.
 */
static int (*kvm_register)(const struct kvm_mmu_policy_ops *ops);
static void (*kvm_unregister)(const struct kvm_mmu_policy_ops *ops);
static int (*kvm_tick)(struct kvm *kvm);
static int (*kvm_host_level)(struct kvm *kvm, const struct kvm_memory_slot *slot, gfn_t gfn,
			     int max_level);
static bool (*kvm_get_safe)(struct kvm *kvm);
static void (*kvm_put)(struct kvm *kvm);
/*
 * KVM calls the pin hook only while a VM holds kvm_pin_get() (patch 0009):
 * each tracked VM of the SEV type (the only ones it pins for), from
 * vm_init to vm_destroy.  Other VMs' faults then pay no call for it.
 */
static void (*kvm_pin_get)(void);
static void (*kvm_pin_put)(void);
/* Each tracked VM's state, handed to kshim_map() by KVM (patch 0013). */
static void (*kvm_set_private)(struct kvm *kvm, void *priv);
static bool registered;

const char * const kshim_counter_names[KC_NR] = {
	[KC_MAX_LEVEL] = "max_level_calls",
	[KC_LOWERED] = "max_level_lowered",
	[KC_MAX_LEVEL_ERR] = "max_level_errors",
	[KC_DIFF_SAME] = "diff_same",
	[KC_DIFF_HIGHER] = "diff_higher",
	[KC_DIFF_PRIVATE] = "diff_private",
	[KC_MAP_4K] = "map_4k",
	[KC_MAP_2M] = "map_2m",
	[KC_MAP_1G] = "map_1g",
	[KC_MAP_ERR] = "map_errors",
	[KC_MAP_REFUSED] = "map_refused",
	[KC_MAP_PIN_LEAF] = "map_pin_leaf",
	[KC_PREFETCH] = "map_prefetch",
	[KC_MAP_CONCURRENT] = "map_concurrent",
	[KC_PINS] = "pins_taken",
	[KC_PIN_ERR] = "pin_errors",
	[KC_PIN_LIMIT] = "pin_limit_refused",
	[KC_UNPINS] = "pins_released",
	[KC_LT_PINS] = "pins_longterm",
	[KC_LT_UNUSED] = "pins_longterm_unused",
	[KC_LT_MISSING] = "map_retry_no_longterm",
	[KC_ZAP_NOTIFIER] = "zap_notifier",
	[KC_ZAP_ATTRIBUTES] = "zap_attributes",
	[KC_ZAP_MEMSLOT] = "zap_memslot",
	[KC_ZAP_RECYCLE] = "zap_recycle",
	[KC_ZAP_TEARDOWN] = "zap_teardown",
	[KC_ZAP_COLLAPSE] = "zap_collapse",
	[KC_ZAP_POLICY] = "zap_policy",
	[KC_ZAP_GFN_RANGE] = "zap_gfn_range",
	[KC_ZAP_NX_RECOVERY] = "zap_nx_recovery",
	[KC_ZAP_ALL_FAST] = "zap_all_fast",
	[KC_ZAP_REFUSED] = "zap_refused",
	[KC_CONVERTS] = "converts",
	[KC_CONVERT_REFUSED] = "convert_refused",
	[KC_CONVERT_REPLAYED] = "convert_replayed",
	[KC_MEMSLOT] = "memslot_changes",
	[KC_MEMSLOT_REFUSED] = "memslot_refused",
	[KC_MEMSLOT_UNTRACKED] = "memslot_untracked",
	[KC_COLLAPSE_DEFERRED] = "collapse_deferred",
	[KC_TICKS] = "ticks",
	[KC_TICK_RANGES] = "tick_ranges",
	[KC_SYNC_CALLS] = "sync_yield_calls",
	[KC_SYNC_YIELDS] = "sync_yield_yields",
	[KC_SYNC_BAILS] = "sync_yield_bails",
	[KC_POLICY_SWITCHES] = "policy_switches",
	[KC_POLICY_REFUSED] = "policy_refused",
	[KC_INJECTED] = "injected_failures",
	[KC_CHECK_RETRIES] = "check_retries",
};

/*
 * @kvm's state, in an RCU read-side section of the caller's.  Callers run
 * in a context that keeps @kvm's state alive (a hook of that VM, or a
 * debugfs file of it), so the result may be used after that section.
 */
static __always_inline struct kshim_vm *kshim_find_rcu(struct kvm *kvm)
{
	struct kshim_vm *st;

	hash_for_each_possible_rcu(kshim_vms, st, node, (unsigned long)kvm)
		if (st->kvm == kvm)
			return st;
	return NULL;
}

static __always_inline struct kshim_vm *kshim_find(struct kvm *kvm)
{
	struct kshim_vm *st;

	/*
	 * A preemption-disabled section is an RCU reader (synchronize_rcu()
	 * in vm_destroy waits for it), and unlike rcu_read_lock() under
	 * CONFIG_PREEMPT_RCU it costs no function call.
	 */
	rcu_read_lock_sched();
	st = kshim_find_rcu(kvm);
	rcu_read_unlock_sched();
	return st;
}

/*
 * For the hooks KVM calls with mmu_lock held (max_level, map: on every
 * fault): the held rwlock is already the RCU read-side section.
 */
static __always_inline struct kshim_vm *kshim_find_locked(struct kvm *kvm)
{
	lockdep_assert_held(&kvm->mmu_lock);
	return kshim_find_rcu(kvm);
}

static struct pmp_actions kshim_acts(struct kshim_vm *st)
{
	struct pmp_actions a = { .buf = st->acts, .cap = KSHIM_ACTIONS, .nr = 0 };

	return a;
}

/* The core's counter sets: one per CPU, as many as KVM has vCPUs at most. */
#define KSHIM_MAX_CPU_SETS 4096U

/* KVM's VM type -> the core's: SEV and SEV-ES pin, SNP has its own rules. */
static u32 kshim_type_of(struct kvm *kvm)
{
	switch (kvm->arch.vm_type) {
	case KVM_X86_SEV_VM:
	case KVM_X86_SEV_ES_VM:
		return PMP_VM_SEV;
	case KVM_X86_SNP_VM:
		return PMP_VM_SNP;
	default:
		/* Default and SW-protected VMs: the vm_type parameter's rules. */
		return kshim_vm_type();
	}
}

static void kshim_tick_work(struct work_struct *work);

static void kshim_vm_init(struct kvm *kvm)
{
	struct pmp_geometry geo = {
		.sz = sizeof(geo),
		/* a memory budget: memslots anywhere below 2^52 are governed */
		.max_pages = (u64)kshim_max_gib() << (30 - PAGE_SHIFT),
		.max_slots = KVM_MEM_SLOTS_NUM,
		/* One counter set per CPU: a hook runs with preemption off. */
		.nr_vcpus = min_t(u32, nr_cpu_ids, KSHIM_MAX_CPU_SETS),
		/*
		 * 6.12 KVM has no VSM, so one VTL: every action names VTL 0 or
		 * PMP_VTL_ALL, which are the same page tables here.
		 */
		.nr_vtls = 1,
		.vm_type = kshim_type_of(kvm),
		/*
		 * KVM's own word on private memory: an SW-protected VM given
		 * SEV's pinning rules (vm_type=sev) still converts.
		 */
		.flags = kvm_arch_has_private_mem(kvm) ? PMP_GEO_PRIVATE_MEM : 0,
	};
	struct pmp_vm_info info;
	struct pmp_policy policy;
	struct kshim_vm *st;
	u64 bytes;
	int ret;

	ret = pmp_vm_bound(&geo, &bytes);
	if (ret) {
		pr_warn("VM not tracked: bad geometry: %s\n", pmp_strerror(ret));
		return;
	}
	if (kshim_default_policy(&policy)) {
		pr_warn("VM not tracked: default_policy does not parse\n");
		return;
	}
	if (!try_module_get(THIS_MODULE))
		return;
	st = kzalloc(sizeof(*st), GFP_KERNEL_ACCOUNT);
	if (!st)
		goto out_put;
	st->cnt = alloc_percpu_gfp(struct kshim_cnt, GFP_KERNEL_ACCOUNT);
	st->last = alloc_percpu_gfp(struct pmp_shared_cache, GFP_KERNEL_ACCOUNT);
	if (!st->cnt || !st->last)
		goto out_free;
	st->gen = 1;	/* @last's zeroed entries are empty */
	/* Charged to the VMM's memory cgroup, as KVM's own per-VM state. */
	st->mem = __vmalloc(bytes, GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!st->mem)
		goto out_free;
	ret = pmp_vm_init(st->mem, bytes, &geo, &policy, &st->vm);
	if (ret) {
		pr_warn("VM not tracked: pmp_vm_init: %s\n", pmp_strerror(ret));
		goto out_free;
	}
	st->kvm = kvm;
	st->bytes = bytes;
	pmp_vm_info(st->vm, &info);
	st->gfn_end = info.gfn_end;	/* the core's limit (2^40): memslots anywhere */
	st->vm_type = geo.vm_type;
	st->kvm_type = kvm->arch.vm_type;
	st->mm = kvm->mm;
	/*
	 * Checked once, for the process that creates the VM: capable() may
	 * audit, which is no work for a fault under mmu_lock.
	 */
	st->ipc_lock = capable(CAP_IPC_LOCK);
	rwlock_init(&st->lock);
	xa_init(&st->pins);
	INIT_DELAYED_WORK(&st->tick_work, kshim_tick_work);
	snprintf(st->name, sizeof(st->name), "%d-%d", task_tgid_nr(current),
		 atomic_inc_return(&kshim_vm_seq));
	mutex_lock(&kshim_vms_lock);
	hash_add_rcu(kshim_vms, &st->node, (unsigned long)kvm);
	mutex_unlock(&kshim_vms_lock);
	kvm_set_private(kvm, st);
	atomic_inc(&kshim_vms_live);
	if (st->vm_type == PMP_VM_SEV)
		kvm_pin_get();
	kshim_debugfs_vm_add(st);
	if (kshim_tick_ms()) {
		st->ticking = true;
		schedule_delayed_work(&st->tick_work, msecs_to_jiffies(kshim_tick_ms()));
	}
	return;

out_free:
	vfree(st->mem);
	free_percpu(st->last);
	free_percpu(st->cnt);
	kfree(st);
out_put:
	module_put(THIS_MODULE);
}

/**
 * kshim_sum_counters() - a VM's counters, summed over CPUs (map_4k with
 * map_concurrent's leaves in it, which the core counts: one count a leaf).
 * @st: the VM.
 * @sum: filled.
 */
void kshim_sum_counters(struct kshim_vm *st, struct kshim_cnt *sum)
{
	int cpu, i;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct kshim_cnt *c = per_cpu_ptr(st->cnt, cpu);

		for (i = 0; i < KC_NR; i++)
			sum->c[i] += READ_ONCE(c->c[i]);
		for (i = 0; i < PMP_REASON_NR; i++)
			sum->lowered[i] += READ_ONCE(c->lowered[i]);
	}
	sum->c[KC_MAP_CONCURRENT] = pmp_map_shared_count(st->vm);
	sum->c[KC_MAP_4K] += sum->c[KC_MAP_CONCURRENT];
}

/*
 * A memslot leaves (delete) or moves: the core releases its pins with the
 * slot-scoped zap (UNPIN actions naming the old pages, issue 13 #1), and
 * the module drops those references.  KVM's own memslot zap is VM-wide
 * (fast zap) and is reported as a zap that keeps pins.  Called with the
 * VM's lock held for write; put_page() does not sleep.
 */
static int kshim_slot_release(struct kshim_vm *st, const struct kvm_memory_slot *old,
			      enum pmp_zap_reason reason)
{
	struct pmp_actions acts = kshim_acts(st);
	unsigned int i;
	int ret;

	ret = pmp_zap(st->vm, reason, PMP_ZAP_FILTER_BOTH, old->base_gfn, old->npages, &acts);
	for (i = 0; !ret && i < acts.nr; i++)
		if (acts.buf[i].type == PMP_ACT_UNPIN)
			kshim_unpin_range(st, acts.buf[i].gfn, acts.buf[i].npages, false);
	if (ret)
		kshim_inc(st, KC_ZAP_REFUSED);
	else
		kshim_drop_unused(st, old->base_gfn, old->npages);
	return ret;
}

/* The merge ticks of a VM stop before KVM starts tearing it down. */
static void kshim_vm_pre_destroy(struct kvm *kvm)
{
	struct kshim_vm *st = kshim_find(kvm);

	if (!st)
		return;
	WRITE_ONCE(st->ticking, false);
	cancel_delayed_work_sync(&st->tick_work);
}

/*
 * The VM's last word: what it governed, and the differential against KVM's
 * own level (check-kernel sums these lines over the VMs of each test).
 */
static void kshim_report(struct kshim_vm *st, const struct kshim_cnt *sum, u64 left)
{
	char why[160] = "";
	int r, n = 0;

	for (r = 0; r < PMP_REASON_NR && n < sizeof(why); r++)
		if (sum->lowered[r])
			n += scnprintf(why + n, sizeof(why) - n, " %s=%llu", pmp_reason_name(r),
				       sum->lowered[r]);
	pr_info("%s: destroyed, %llu pins taken, %llu released; leaves 4k=%llu 2m=%llu 1g=%llu concurrent=%llu refused=%llu; max_level %llu: same %llu higher %llu lowered %llu private %llu errors %llu%s\n",
		st->name, sum->c[KC_PINS], sum->c[KC_UNPINS] + left, sum->c[KC_MAP_4K],
		sum->c[KC_MAP_2M], sum->c[KC_MAP_1G], sum->c[KC_MAP_CONCURRENT],
		sum->c[KC_MAP_REFUSED], sum->c[KC_MAX_LEVEL], sum->c[KC_DIFF_SAME],
		sum->c[KC_DIFF_HIGHER], sum->c[KC_LOWERED], sum->c[KC_DIFF_PRIVATE],
		sum->c[KC_MAX_LEVEL_ERR], why);
}

static void kshim_vm_destroy(struct kvm *kvm)
{
	struct kshim_vm *st = kshim_find(kvm);
	struct pmp_actions acts;
	struct kshim_cnt sum;
	u64 cursor = 0, left;
	int ret;
	u32 i;

	if (!st)
		return;
	WRITE_ONCE(st->ticking, false);
	cancel_delayed_work_sync(&st->tick_work);
	/*
	 * No file operation of the VM runs past this (files still open fail
	 * with -EIO; "tick" holds the VM, so none is open), and no hook runs
	 * for a dying VM.
	 */
	kshim_debugfs_vm_remove(st);
	mutex_lock(&kshim_vms_lock);
	hash_del_rcu(&st->node);
	mutex_unlock(&kshim_vms_lock);
	kvm_set_private(kvm, NULL);
	if (st->vm_type == PMP_VM_SEV)
		kvm_pin_put();
	synchronize_rcu();

	/* Teardown unpins exactly what the core recorded as pinned. */
	do {
		acts = kshim_acts(st);
		ret = pmp_teardown(st->vm, &cursor, &acts);
		for (i = 0; i < acts.nr; i++)
			if (acts.buf[i].type == PMP_ACT_UNPIN)
				kshim_unpin_range(st, acts.buf[i].gfn, acts.buf[i].npages, true);
	} while (ret == 1);
	if (ret)
		pr_warn("%s: teardown: %s\n", st->name, pmp_strerror(ret));
	/*
	 * Nothing may be left; if the core and the module ever disagree,
	 * release the rest anyway and say so.
	 */
	left = kshim_release_all(st);
	if (st->locked)
		pr_warn("%s: teardown left %llu pages charged to VmPin\n", st->name, st->locked);
	if (left || pmp_nr_pinned(st->vm))
		pr_warn("%s: teardown left %llu references, core pinned %llu\n", st->name,
			left, pmp_nr_pinned(st->vm));
	kshim_sum_counters(st, &sum);
	kshim_report(st, &sum, left);
	xa_destroy(&st->pins);
	vfree(st->mem);
	free_percpu(st->last);
	free_percpu(st->cnt);
	kfree(st);
	atomic_dec(&kshim_vms_live);
	module_put(THIS_MODULE);
}

/* The core's view of a KVM memslot. */
static struct pmp_slot kshim_slot(const struct kvm_memory_slot *s)
{
	struct pmp_slot ps = {
		.base_gfn = s->base_gfn,
		.npages = s->npages,
		.userspace_addr = s->userspace_addr,
		.flags = (s->flags & KVM_MEM_LOG_DIRTY_PAGES ? PMP_SLOT_DIRTY_LOG : 0) |
			 (s->flags & KVM_MEM_READONLY ? PMP_SLOT_READONLY : 0),
	};

	return ps;
}

/* Dirty logging of slot @id turns @on in the core. */
static void kshim_dirty_log(struct kshim_vm *st, u32 id, bool on)
{
	struct pmp_actions acts;
	int ret;

	kshim_write_lock(st);
	acts = kshim_acts(st);
	ret = pmp_dirty_log(st->vm, id, on, &acts);
	kshim_write_unlock(st);
	kshim_inc(st, KC_MEMSLOT);
	if (ret) {
		kshim_inc(st, KC_MEMSLOT_UNTRACKED);
		pr_warn_ratelimited("%s: memslot %u: dirty log: %s\n", st->name, id,
				    pmp_strerror(ret));
	}
}

/*
 * [@start, @end) becomes @private in the core, under the VM's lock held
 * for write, as KVM's attributes already are; @how counts a success.
 * Nothing is mapped there that KVM has not zapped and flushed (see the
 * callers), so of pmp_convert()'s actions ZAP and FLUSH are done; SPLIT of
 * a leaf crossing an edge was done as more (KVM zapped that leaf whole: it
 * re-faults); BLOCK, TRACK and DEMOTE (TDX) likewise became that zap;
 * INVALIDATE (deferred punches) does not occur: the module defers none,
 * guest_memfd frees punched pages itself.  Only an UNPIN would need the
 * module, and it is applied.  A refusal (the pool) cannot fail KVM's
 * ioctl: it is counted and logged, and the core's attributes lag KVM's for
 * the range, which KVM's clamp of max_level keeps safe (the differential
 * then shows "higher" answers).
 */
static void kshim_convert(struct kshim_vm *st, gfn_t start, gfn_t end, bool private,
			  enum kshim_counter how)
{
	struct pmp_actions acts;
	u32 i;
	int ret;

	end = min_t(u64, end, st->gfn_end);	/* memslots end below it */
	if (start >= end)
		return;
	kshim_write_lock(st);
	acts = kshim_acts(st);
	ret = pmp_convert(st->vm, start, end - start, private, &acts);
	for (i = 0; !ret && i < acts.nr; i++)
		if (acts.buf[i].type == PMP_ACT_UNPIN)
			kshim_unpin_range(st, acts.buf[i].gfn, acts.buf[i].npages, false);
	kshim_write_unlock(st);
	if (!ret) {
		kshim_inc(st, how);
		return;
	}
	kshim_inc(st, KC_CONVERT_REFUSED);
	pr_warn_ratelimited("%s: [0x%llx, 0x%llx) set %s by KVM, not in the core: %s\n",
			    st->name, start, end, private ? "private" : "shared",
			    pmp_strerror(ret));
}

#ifdef CONFIG_KVM_GENERIC_MEMORY_ATTRIBUTES
/*
 * Attributes belong to gfns (KVM's VM-wide mem_attr_array), and KVM's
 * set_attributes hook runs only for gfns inside a memslot, so the core
 * mirrors them there only: its private plane is KVM's within memslots and
 * shared outside.  A memslot @s that comes (created, or moved in) may cover
 * gfns KVM already holds private: each run of them becomes private in the
 * core (@private), before KVM makes the slot visible to faults.  One that
 * goes (deleted, or moved out) leaves them to KVM alone: each run becomes
 * shared in the core, after KVM zapped the slot.  Nothing is mapped there
 * either way.  The caller holds kvm->slots_lock, which
 * KVM_SET_MEMORY_ATTRIBUTES takes to change the array, so the runs are
 * stable; the walk itself is under RCU (xa_find), and the module's lock is
 * taken per run, not across the walk.  Entries are per gfn: a slot with
 * 1 GiB private walks 262144 of them, in process context.
 */
static void kshim_replay_attributes(struct kvm *kvm, struct kshim_vm *st,
				    const struct kvm_memory_slot *s, bool private)
{
	gfn_t start = 0, end = 0;
	unsigned long gfn;
	void *entry;

	lockdep_assert_held(&kvm->slots_lock);
	xa_for_each_range(&kvm->mem_attr_array, gfn, entry, s->base_gfn,
			  s->base_gfn + s->npages - 1) {
		if (!(xa_to_value(entry) & KVM_MEMORY_ATTRIBUTE_PRIVATE))
			continue;
		if (gfn != end) {	/* a new run: the last one is whole */
			if (start < end)
				kshim_convert(st, start, end, private, KC_CONVERT_REPLAYED);
			start = gfn;
		}
		end = gfn + 1;
		cond_resched();
	}
	if (start < end)
		kshim_convert(st, start, end, private, KC_CONVERT_REPLAYED);
}
#else
static void kshim_replay_attributes(struct kvm *kvm, struct kshim_vm *st,
				    const struct kvm_memory_slot *s, bool private)
{
}
#endif

/*
 * A memslot is created or moved in the core before KVM makes it visible
 * to faults (KVM activates the new memslots before its commit hook), so no
 * fault is ever decided on a stale layout.  One the core cannot record is
 * refused: its memory would otherwise run with no policy (and, under SEV,
 * no pins).  A guest_memfd binding may still fail after this; the id is
 * then recreated on its next use.
 */
static int kshim_memslot_prepare(struct kvm *kvm, const struct kvm_memory_slot *old,
				 const struct kvm_memory_slot *new, enum kvm_mr_change change)
{
	struct kshim_vm *st = kshim_find(kvm);
	struct pmp_slot ps;
	int ret;

	if (!st || !new || new->as_id)
		return 0;
	if (change == KVM_MR_FLAGS_ONLY && (old->flags & ~new->flags & KVM_MEM_LOG_DIRTY_PAGES)) {
		/* Logging stops: the core knows before KVM maps huge again. */
		kshim_dirty_log(st, new->id, false);
		return 0;
	}
	if (change != KVM_MR_CREATE && change != KVM_MR_MOVE)
		return 0;
	if (new->base_gfn + new->npages > st->gfn_end || kshim_inject_fail()) {
		kshim_inc(st, KC_MEMSLOT_REFUSED);
		pr_warn_ratelimited("%s: memslot %d [0x%llx, 0x%llx) refused: past the core's limit 0x%llx, or fail_every\n",
				    st->name, new->id, new->base_gfn,
				    new->base_gfn + new->npages, st->gfn_end);
		return -E2BIG;
	}
	ps = kshim_slot(new);
	kshim_write_lock(st);
	if (change == KVM_MR_MOVE) {
		ret = kshim_slot_release(st, old, PMP_ZAP_SLOT_MOVE);
		if (!ret)
			ret = pmp_slot_move(st->vm, new->id, new->base_gfn);
	} else {
		ret = pmp_slot_create(st->vm, new->id, &ps);
		if (ret == -EEXIST) {	/* a create whose guest_memfd bind failed */
			pmp_slot_delete(st->vm, new->id);
			ret = pmp_slot_create(st->vm, new->id, &ps);
		}
	}
	kshim_write_unlock(st);
	kshim_inc(st, KC_MEMSLOT);
	if (!ret) {
		if (change == KVM_MR_MOVE)
			kshim_replay_attributes(kvm, st, old, false);
		kshim_replay_attributes(kvm, st, new, true);
		return 0;
	}
	kshim_inc(st, KC_MEMSLOT_REFUSED);
	pr_warn_ratelimited("%s: memslot %d [0x%llx, 0x%llx) refused: %s\n", st->name, new->id,
			    new->base_gfn, new->base_gfn + new->npages, pmp_strerror(ret));
	return ret == -ENOMEM || ret == -ENOSPC ? ret : -EINVAL;
}

/*
 * Deletions, and dirty logging turned on, once KVM committed them (a fault
 * in between still maps as the core expects: small or not at all).
 */
static void kshim_memslot(struct kvm *kvm, const struct kvm_memory_slot *old,
			  const struct kvm_memory_slot *new, enum kvm_mr_change change)
{
	struct kshim_vm *st = kshim_find(kvm);

	if (!st)
		return;
	if (change == KVM_MR_DELETE && !old->as_id) {
		kshim_write_lock(st);
		if (kshim_slot_release(st, old, PMP_ZAP_SLOT_DELETE) ||
		    pmp_slot_delete(st->vm, old->id))
			pr_warn_ratelimited("%s: memslot %d: its pins stay until teardown\n",
					    st->name, old->id);
		kshim_write_unlock(st);
		kshim_inc(st, KC_MEMSLOT);
		kshim_replay_attributes(kvm, st, old, false);
	} else if (change == KVM_MR_FLAGS_ONLY && !new->as_id &&
		   (new->flags & ~old->flags & KVM_MEM_LOG_DIRTY_PAGES)) {
		kshim_dirty_log(st, new->id, true);
	}
}

/*
 * NX huge pages are KVM's own: an exec fault KVM must map small never
 * reaches the policy (huge_page_disallowed), and one that does reaches it
 * because KVM's mitigation is off for the VM (kvm.nx_huge_pages, or
 * KVM_CAP_VM_DISABLE_NX_HUGE_PAGES).  So the core is not told the fault
 * executes: lowering it there would be an NX split KVM neither accounts
 * nor recovers.
 */
static __always_inline u32 kshim_fault_flags(const struct kvm_mmu_policy_leaf *leaf)
{
	return (leaf->write ? PMP_FAULT_WRITE : 0) | (leaf->is_private ? PMP_FAULT_PRIVATE : 0);
}

/* The core's counter set of this CPU (a hook runs with preemption off). */
static __always_inline u32 kshim_cpu_set(void)
{
	return raw_smp_processor_id() % KSHIM_MAX_CPU_SETS;
}

static __always_inline struct pmp_fault kshim_fault(const struct kvm_mmu_policy_leaf *leaf,
						    unsigned int order)
{
	struct pmp_fault f = {
		.gfn = leaf->gfn,
		.slot = leaf->slot->id,
		.flags = kshim_fault_flags(leaf),
		.vcpu = (u16)kshim_cpu_set(),
		.backing_order = order,
	};

	return f;
}

/* The level KVM found allowed: its host mapping is at least that large. */
static __always_inline unsigned int kshim_level_order(int level)
{
	return level >= PG_LEVEL_1G ? 18 : level == PG_LEVEL_2M ? 9 : 0;
}

/*
 * The order of KVM's host mapping level @host_level, which
 * host_pfn_mapping_level() gives (patch 0011): PG_LEVEL_4K, 2M or 1G, so
 * one multiply-add, where kshim_level_order()'s compares take any level.
 */
static __always_inline unsigned int kshim_host_order(unsigned int host_level)
{
	BUILD_BUG_ON(PG_LEVEL_2M != PG_LEVEL_4K + 1 || PG_LEVEL_1G != PG_LEVEL_2M + 1);
	return (host_level - PG_LEVEL_4K) * 9;
}

/* The order of the host folio behind @pfn: what really backs the leaf. */
static __always_inline unsigned int kshim_pfn_order(kvm_pfn_t pfn)
{
	struct page *page;

	if (!pfn_valid(pfn))
		return 0;
	page = pfn_to_page(pfn);
	return PageCompound(page) ? compound_order(compound_head(page)) : 0;
}

/*
 * kshim_backing_order() where it looks the folio up: @leaf's level order
 * @order at least, the folio's order capped by @align.  Out of line: the
 * common leaf does not look, and inline the call made kshim_map() keep
 * more registers across it on every fault.
 */
static noinline unsigned int kshim_folio_backing(const struct kvm_mmu_policy_leaf *leaf,
						 unsigned int order, unsigned int align)
{
	return max(order, min(kshim_pfn_order(leaf->pfn), align));
}

/*
 * The largest folio order that can back a whole 2 MiB or 1 GiB range of
 * shared memory of @slot: its gfns and host addresses must agree on the
 * range's alignment, or no range of the slot lies in one folio.
 */
static __always_inline unsigned int kshim_slot_align_order(const struct kvm_memory_slot *slot)
{
	u64 skew = slot->base_gfn ^ (slot->userspace_addr >> PAGE_SHIFT);

	return skew & (KVM_PAGES_PER_HPAGE(PG_LEVEL_2M) - 1) ? 0 :
	       skew & (KVM_PAGES_PER_HPAGE(PG_LEVEL_1G) - 1) ? 9 : 18;
}

/*
 * The core's backing_order for @leaf: what backs its 2 MiB and 1 GiB
 * ranges, at least what its level implies.  That is what the core's
 * backing flags are for: a range the merge ticks may promote.  Where KVM
 * looked up the host's mapping level for the fault (patch 0011: a shared
 * fault KVM's memslot and attributes let map huge) that level, with no
 * lookup here; it is also the most KVM will map there.  A shared fault
 * of a memslot whose host addresses are not aligned with its gfns has no
 * range in one folio (KVM never maps it huge either); else (private
 * memory, dirty logging, a prefetch) the folio behind the pfn, capped by
 * that alignment.  This and the folio differ only for a large folio the
 * host maps with 4 KiB PTEs, or one a misaligned memslot cuts.
 */
static __always_inline unsigned int kshim_backing_order(const struct kvm_mmu_policy_leaf *leaf)
{
	unsigned int order = kshim_level_order(leaf->level), align = 18;

	if (leaf->host_level)
		return max(order, kshim_host_order(leaf->host_level));
	if (!leaf->is_private) {
		align = kshim_slot_align_order(leaf->slot);
		if (!align)
			return order;
	}
	return kshim_folio_backing(leaf, order, align);
}

/*
 * The fault-path decision: a shared query of the core, concurrent with
 * the VM's other faults (the lock is taken for read), counted per CPU.
 * Each answer is compared with KVM's own level: the differential.  KVM
 * asks for every fault it would map larger than 4K and (patch 0007) for
 * every private fault, whose level is 4K in 6.12 (guest_memfd's folios
 * are order 0): the core's answer for those is compared too.
 */
static int kshim_max_level(struct kvm *kvm, const struct kvm_mmu_policy_leaf *leaf)
{
	struct kshim_vm *st = kshim_find_locked(kvm);
	int level = leaf->level;
	struct pmp_fault f;
	enum pmp_reason why = PMP_REASON_NONE;
	int ret;

	if (!st || !leaf->slot || leaf->slot->as_id)
		return level;
	/*
	 * The backing the core sees is the real folio (at least what KVM's
	 * level implies), not KVM's answer: the core decides on its own, so a
	 * core that would map larger than KVM shows as "higher".
	 */
	f = kshim_fault(leaf, kshim_backing_order(leaf));
	kshim_fault_read_lock(st);
	ret = pmp_max_level(st->vm, &f, &why);
	kshim_fault_read_unlock(st);
	kshim_inc(st, KC_MAX_LEVEL);
	if (leaf->is_private)
		kshim_inc(st, KC_DIFF_PRIVATE);
	if (ret < 0) {
		kshim_inc(st, KC_MAX_LEVEL_ERR);
		return level;
	}
	if (ret < level) {
		kshim_inc(st, KC_LOWERED);
		this_cpu_inc(st->cnt->lowered[why < PMP_REASON_NR ? why : PMP_REASON_NONE]);
		return ret;
	}
	kshim_inc(st, ret == level ? KC_DIFF_SAME : KC_DIFF_HIGHER);
	return level;
}

/*
 * The pin hook (before a shared page is faulted in, sleepable, no
 * mmu_lock): on a VM whose every mapped page is pinned, pin the leaf the
 * fault will map as far as it can be known now, the host mapping's level
 * (kvm_mmu_policy_host_level()) as the core's answer lowers it.  That
 * answer is asked with pmp_level_query(), which counts nothing: the
 * fault's decision is counted once, by its max_level hook.  KVM calls
 * it only while a VM of the SEV type is tracked (kvm_pin_get()); the
 * others' faults then return here before any page-table walk.
 */
static int kshim_pin_fault(struct kvm *kvm, const struct kvm_mmu_policy_leaf *leaf,
			   unsigned long hva)
{
	const struct kvm_memory_slot *slot = leaf->slot;
	enum pmp_reason why;
	struct kshim_vm *st;
	struct pmp_fault f;
	bool pin, launch;
	int level, ret;

	st = kshim_find(kvm);
	if (!st || !slot || slot->as_id || leaf->is_private || st->vm_type != PMP_VM_SEV)
		return 0;
	level = kvm_host_level(kvm, slot, leaf->gfn, leaf->level);
	read_lock(&st->lock);
	pin = kshim_pins_on_fault(st, &launch);
	if (pin && level > PG_LEVEL_4K) {
		f = kshim_fault(leaf, kshim_level_order(level));
		ret = pmp_level_query(st->vm, &f, &why);
		if (ret >= PG_LEVEL_4K && ret < level)
			level = ret;
	}
	read_unlock(&st->lock);
	if (!pin)
		return 0;
	if (current->mm != st->mm)	/* KVM refuses other mms' ioctls */
		return -EFAULT;
	return kshim_pin_leaf(st, leaf, hva, level);
}

/*
 * pmp_map_shared_4k_valid() of a leaf, under @st's lock held for read:
 * through this CPU's entry of @st->last (pmp_map_shared_4k_cached()), so
 * that the next leaf of the same chunk skips the memslot's and the chunk's
 * lookup and flags while @st->gen does not move.  The entry is this CPU's
 * alone because the hook runs with preemption off (mmu_lock held); under
 * PREEMPT_RT, where mmu_lock sleeps and two tasks could share one CPU's
 * entry, the uncached record.
 */
static __always_inline int kshim_map_shared_record(struct kshim_vm *st, u32 slot, gfn_t gfn,
						   unsigned int order)
{
#ifdef CONFIG_PREEMPT_RT
	return pmp_map_shared_4k_valid(st->vm, slot, gfn, order, kshim_cpu_set());
#else
	return pmp_map_shared_4k_cached(st->vm, this_cpu_ptr(st->last), st->gen, slot, gfn, order,
					kshim_cpu_set());
#endif
}

/*
 * The common leaf, a 4 KiB page of a VM that pins nothing in a 2 MiB range
 * already partly mapped, is recorded with the VM's lock held for read,
 * concurrently with the VM's other faults: pmp_map_shared_4k_valid(), the
 * body of pmp_map_shared_4k() expanded here, sets one bit with a
 * compare-and-swap and counts in the CPU's counter set; its 0 is the MAP
 * that needs nothing of the module.  No call, no struct pmp_fault or
 * action array on the stack, and none of the checks the exported function
 * makes for other callers: its contract holds by construction (the slot
 * id of address space 0 is below KVM_MEM_SLOTS_NUM, the core's
 * max_slots; the CPU's set below its nr_vcpus, kshim_vm_init(); the
 * backing order at most 18; the fault's flags are not read).  1: the core
 * needs the lock for write (nothing changed).
 */
static __always_inline int kshim_map_shared(struct kshim_vm *st,
					    const struct kvm_mmu_policy_leaf *leaf)
{
	unsigned int order = kshim_backing_order(leaf);
	int ret;

	kshim_fault_read_lock(st);
	ret = kshim_map_shared_record(st, leaf->slot->id, leaf->gfn, order);
	kshim_fault_read_unlock(st);
	if (ret == 1)
		return 1;
	if (leaf->prefetch)
		kshim_inc(st, KC_PREFETCH);
	/* counted by the core only: kshim_sum_counters() reads it as map_concurrent */
	if (likely(!ret))
		return 0;
	/* a bad fault: mapped as KVM says, counted as kshim_map_excl() does */
	kshim_inc(st, KC_MAP_4K);
	kshim_inc(st, KC_MAP_ERR);
	return 0;
}

/* Can @leaf be recorded by kshim_map_shared()?  Else only kshim_map_excl(). */
static __always_inline bool kshim_map_may_share(const struct kshim_vm *st,
						const struct kvm_mmu_policy_leaf *leaf)
{
	return st->vm_type != PMP_VM_SEV && leaf->level == PG_LEVEL_4K;
}

/*
 * kshim_map() for a leaf the shared record did not take (@shared_tried)
 * or was not tried on (fail_every set): fail_every's injection, then the
 * shared record if not tried yet, then the core's exclusive record and
 * the pins.  Kept out of kshim_map() so that the common leaf's path saves
 * and restores no more than it uses.
 */
static noinline int kshim_map_excl(struct kshim_vm *st, const struct kvm_mmu_policy_leaf *leaf,
				   bool shared_tried)
{
	struct pmp_actions acts;
	bool pin, launch, held;
	struct pmp_fault f;
	u64 taken = 0;
	u32 i;
	int ret;

	if (kshim_inject_fail()) {
		kshim_write_lock(st);
		kshim_drop_unused(st, leaf->gfn, KVM_PAGES_PER_HPAGE(leaf->level));
		kshim_write_unlock(st);
		kshim_inc(st, KC_INJECTED);
		kshim_inc(st, KC_MAP_REFUSED);
		return -ENOMEM;
	}
	if (!shared_tried && kshim_map_may_share(st, leaf) && !kshim_map_shared(st, leaf))
		return 0;
	f = kshim_fault(leaf, kshim_backing_order(leaf));
	kshim_write_lock(st);
	/* only SEV VMs pin: no call (and no policy copy) for the others */
	launch = false;
	pin = st->vm_type == PMP_VM_SEV && kshim_pins_on_fault(st, &launch);
	ret = pin ? kshim_ref_leaf(st, leaf, &taken) : 0;
	if (ret == -EAGAIN || ret == -ESTALE) {
		kshim_ref_settle(st, leaf, false);
		if (ret == -ESTALE)
			kshim_drop_unused(st, leaf->gfn, KVM_PAGES_PER_HPAGE(leaf->level));
		kshim_write_unlock(st);
		kshim_inc(st, KC_LT_MISSING);
		return -EAGAIN;
	}
	kshim_inc(st, KC_MAP_4K + leaf->level - PG_LEVEL_4K);
	if (leaf->prefetch)
		kshim_inc(st, KC_PREFETCH);
	if (ret) {
		kshim_ref_settle(st, leaf, false);
		kshim_drop_unused(st, leaf->gfn, KVM_PAGES_PER_HPAGE(leaf->level));
		kshim_write_unlock(st);
		kshim_inc(st, KC_MAP_REFUSED);
		return -ENOMEM;
	}
	if (pin && kshim_charge(st, taken)) {
		/* RLIMIT_MEMLOCK: refused as SEV refuses a region past it */
		kshim_ref_settle(st, leaf, false);
		kshim_drop_unused(st, leaf->gfn, KVM_PAGES_PER_HPAGE(leaf->level));
		kshim_write_unlock(st);
		kshim_inc(st, KC_PIN_LIMIT);
		kshim_inc(st, KC_MAP_REFUSED);
		return -ENOMEM;
	}
	acts = kshim_acts(st);
	ret = pmp_map(st->vm, &f, leaf->level, &acts);
	/* pin=fault: a leaf the core recorded has its pins recorded with it */
	held = pin && !launch && !ret;
	if (pin && (launch || (ret && ret != -ENOMEM))) {
		/*
		 * pin=launch: faults pin nothing in the core; -ENOSPC: the
		 * leaf's unpinned pages form more runs than one call has room
		 * for (a huge leaf over pages pinned one by one before);
		 * -EINVAL: the policy was switched between max_level and here.
		 * Every page of the leaf is held already, so its pins are
		 * recorded in one call with no actions, all or nothing (in
		 * slices, a refused slice left the ones before it pinned in
		 * the core with their pages released), then the leaf.
		 */
		bool mapped = !ret;

		kshim_inc(st, KC_MAP_PIN_LEAF);
		ret = pmp_pin_range(st->vm, leaf->gfn, KVM_PAGES_PER_HPAGE(leaf->level), NULL);
		held = !ret;
		if (held && !mapped) {
			acts = kshim_acts(st);
			ret = pmp_map(st->vm, &f, leaf->level, &acts);
			if (ret == -EINVAL)	/* policy switched: pinned, map as KVM says */
				ret = 0;
		}
	}
	if (pin) {
		/*
		 * Keep the pages unless the leaf is refused with nothing of it
		 * pinned in the core; what the core counts as pinned is held.
		 */
		bool keep = held || ret != -ENOMEM;

		kshim_ref_settle(st, leaf, keep);
		if (keep) {
			kshim_claim_unused(st, leaf);
		} else {
			kshim_uncharge(st, taken);
			kshim_drop_unused(st, leaf->gfn, KVM_PAGES_PER_HPAGE(leaf->level));
		}
	}
	for (i = 0; !ret && i < acts.nr; i++)
		if (acts.buf[i].type == PMP_ACT_PIN)
			kshim_pin_action(st, &acts.buf[i], leaf);
	kshim_write_unlock(st);
	if (ret == -ENOMEM) {
		kshim_inc(st, KC_MAP_REFUSED);
		return -ENOMEM;
	}
	if (ret)
		kshim_inc(st, KC_MAP_ERR);
	return 0;
}

/*
 * Before KVM installs @leaf: record it in the core and take the pins the
 * core asks for.  Where every mapped page must be pinned, the references
 * are taken first: a page that cannot be referenced, a pin limit or an
 * exhausted pool (-ENOMEM) refuses the leaf with the references of this
 * call dropped and the core unchanged; the fault fails cleanly and never
 * maps an unpinned page.  The common leaf (kshim_map_shared()) is
 * recorded here, everything else in kshim_map_excl().  @priv is the VM's
 * state as vm_init handed it to KVM (kvm_set_private()), NULL for a VM
 * not tracked: no lookup.  Valid here: vm_destroy clears it and waits
 * for this call (mmu_lock held) before it frees the state.
 */
static int kshim_map(struct kvm *kvm, const struct kvm_mmu_policy_leaf *leaf, void *priv)
{
	struct kshim_vm *st = priv;
	bool tried;

	if (!st || !leaf->slot || leaf->slot->as_id)
		return 0;
	/* fail_every set: kshim_map_excl() injects before it tries this */
	tried = !static_branch_unlikely(&kshim_failing) && kshim_map_may_share(st, leaf);
	if (tried && !kshim_map_shared(st, leaf))
		return 0;
	/* the shared record took only 4K leaves: the other levels' check here */
	if (leaf->level < PG_LEVEL_4K || leaf->level > PG_LEVEL_1G)
		return 0;
	return kshim_map_excl(st, leaf, tried);
}

/* KVM's filter bits as the core's filter: 0 is both, as in KVM. */
static enum pmp_zap_filter kshim_zap_filter(unsigned int filter)
{
	if (filter == KVM_MMU_POLICY_SHARED)
		return PMP_ZAP_FILTER_SHARED;
	if (filter == KVM_MMU_POLICY_PRIVATE)
		return PMP_ZAP_FILTER_PRIVATE;
	return PMP_ZAP_FILTER_BOTH;
}

static void kshim_zap(struct kvm *kvm, gfn_t start, gfn_t end, unsigned int filter,
		      enum kvm_mmu_policy_zap reason)
{
	static const u8 to_pmp[KVM_MMU_POLICY_ZAP_NR] = {
		[KVM_MMU_POLICY_ZAP_NOTIFIER] = PMP_ZAP_MMU_NOTIFIER,
		[KVM_MMU_POLICY_ZAP_ATTRIBUTES] = PMP_ZAP_MMU_NOTIFIER,
		/* all of the VM's SPTEs, not the slot's: pins stay (see below) */
		[KVM_MMU_POLICY_ZAP_MEMSLOT] = PMP_ZAP_MMU_NOTIFIER,
		[KVM_MMU_POLICY_ZAP_RECYCLE] = PMP_ZAP_RECYCLE,
		[KVM_MMU_POLICY_ZAP_TEARDOWN] = PMP_ZAP_TEARDOWN,
		[KVM_MMU_POLICY_ZAP_COLLAPSE] = PMP_ZAP_DIRTY_LOG,
		[KVM_MMU_POLICY_ZAP_POLICY] = PMP_ZAP_MMU_NOTIFIER,
		[KVM_MMU_POLICY_ZAP_GFN_RANGE] = PMP_ZAP_MMU_NOTIFIER,
		[KVM_MMU_POLICY_ZAP_NX_RECOVERY] = PMP_ZAP_NX_TOGGLE,
		[KVM_MMU_POLICY_ZAP_ALL_FAST] = PMP_ZAP_NX_TOGGLE,
	};
	struct kshim_vm *st = kshim_find(kvm);
	struct pmp_actions acts;
	int ret;

	BUILD_BUG_ON(KC_ZAP_ALL_FAST - KC_ZAP_NOTIFIER != KVM_MMU_POLICY_ZAP_ALL_FAST);
	if (!st || (unsigned int)reason >= ARRAY_SIZE(to_pmp))
		return;
	kshim_inc(st, KC_ZAP_NOTIFIER + reason);
	end = min_t(u64, end, st->gfn_end);
	if (start >= end)
		return;
	kshim_write_lock(st);
	acts = kshim_acts(st);
	ret = pmp_zap(st->vm, to_pmp[reason], kshim_zap_filter(filter), start, end - start, &acts);
	kshim_write_unlock(st);
	if (ret)
		kshim_inc(st, KC_ZAP_REFUSED);
}

/*
 * KVM_SET_MEMORY_ATTRIBUTES changed [@start, @end) of @slot (mmu_lock held
 * for write): the core converts the range too, so that its private plane
 * mirrors KVM's attributes and it sizes faults next to private pages as
 * KVM's mixed-attribute tracking does.  KVM has already zapped the range's
 * old-attribute leaves (the ATTRIBUTES zap, reported before) and flushed.
 */
static void kshim_set_attributes(struct kvm *kvm, const struct kvm_memory_slot *slot,
				 gfn_t start, gfn_t end, unsigned long attributes)
{
	struct kshim_vm *st = kshim_find(kvm);

	if (!st || !slot || slot->as_id)
		return;
	kshim_convert(st, start, end, attributes & KVM_MEMORY_ATTRIBUTE_PRIVATE, KC_CONVERTS);
}

/*
 * Collapse is left to the ticks only where they run and the policy chooses
 * when a range merges: merge=settled waits until it stays put a tick,
 * merge=blocked until the guest touches it.  merge=scan promotes whatever
 * is eligible, as KVM's collapse does; it leaves KVM's collapse in place
 * so that a policy modelling KVM (upstream) gives 2 MiB back at once when
 * dirty logging stops, as dirty_log_page_splitting_test asserts.
 */
static bool kshim_defer_collapse(struct kvm *kvm, const struct kvm_memory_slot *slot)
{
	struct kshim_vm *st = kshim_find(kvm);
	struct pmp_policy p;
	bool defer;

	if (!st || !READ_ONCE(st->ticking))
		return false;
	read_lock(&st->lock);
	pmp_vm_policy(st->vm, &p);
	read_unlock(&st->lock);
	defer = p.merge == PMP_MERGE_BLOCKED || p.merge == PMP_MERGE_SETTLED;
	if (defer)
		kshim_inc(st, KC_COLLAPSE_DEFERRED);
	return defer;
}

static int kshim_tick(struct kvm *kvm, struct kvm_mmu_policy_range *ranges, int max)
{
	struct kshim_vm *st = kshim_find(kvm);
	struct pmp_actions acts;
	int n = 0;
	u32 i;

	if (!st || max <= 0)
		return 0;
	kshim_write_lock(st);
	acts = kshim_acts(st);
	/* A tick acts on at most a third of the room: max ranges. */
	acts.cap = min_t(u32, acts.cap, 3 * (u32)max);
	if (pmp_merge_tick(st->vm, &acts) >= 0) {
		for (i = 0; i < acts.nr && n < max; i++) {
			const struct pmp_action *a = &acts.buf[i];

			if (a->type != PMP_ACT_PROMOTE && a->type != PMP_ACT_BLOCK)
				continue;
			/* one VTL (kshim_vm_init()): another VTL's range is a core bug */
			if (WARN_ON_ONCE(a->vtl != 0 && a->vtl != PMP_VTL_ALL))
				continue;
			ranges[n].start = a->gfn;
			ranges[n].end = a->gfn + a->npages;
			n++;
		}
	}
	kshim_write_unlock(st);
	kshim_inc(st, KC_TICKS);
	this_cpu_add(st->cnt->c[KC_TICK_RANGES], n);
	return n;
}

/* The VM's own merge ticks, every tick_ms, until pre_destroy stops them. */
static void kshim_tick_work(struct work_struct *work)
{
	struct kshim_vm *st = container_of(to_delayed_work(work), struct kshim_vm, tick_work);
	unsigned int ms = kshim_tick_ms();

	if (!READ_ONCE(st->ticking))
		return;
	kvm_tick(st->kvm);
	schedule_delayed_work(&st->tick_work, msecs_to_jiffies(ms ? ms : 1000));
}

static enum kvm_mmu_policy_yield kshim_sync_yield(struct kvm *kvm, int vcpu_idx,
						  struct kvm_mmu_policy_walk *walk,
						  unsigned long remaining, unsigned long done,
						  bool resched, bool contended, bool can_yield)
{
	struct kshim_vm *st = kshim_find(kvm);
	unsigned int flags = (resched ? PMP_YIELD_NEED_RESCHED : 0) |
			     (contended ? PMP_YIELD_CONTENDED : 0) |
			     (can_yield ? PMP_YIELD_CAN_YIELD : 0);
	int ret;

	BUILD_BUG_ON(sizeof(walk->data) < sizeof(struct pmp_yield_state));
	if (!st) {
		if (!resched && !contended)
			return KVM_MMU_POLICY_CONTINUE;
		return can_yield ? KVM_MMU_POLICY_YIELD : KVM_MMU_POLICY_BAIL;
	}
	read_lock(&st->lock);
	ret = pmp_yield(st->vm, (struct pmp_yield_state *)walk->data, done, remaining, flags);
	read_unlock(&st->lock);
	kshim_inc(st, KC_SYNC_CALLS);
	if (ret == 1)
		kshim_inc(st, KC_SYNC_YIELDS);
	else if (ret == -EINTR)
		kshim_inc(st, KC_SYNC_BAILS);
	return ret == 1 ? KVM_MMU_POLICY_YIELD :
	       ret == -EINTR ? KVM_MMU_POLICY_BAIL : KVM_MMU_POLICY_CONTINUE;
}

static const struct kvm_mmu_policy_ops kshim_ops = {
	.owner = THIS_MODULE,
	.vm_init = kshim_vm_init,
	.vm_pre_destroy = kshim_vm_pre_destroy,
	.vm_destroy = kshim_vm_destroy,
	.memslot_prepare = kshim_memslot_prepare,
	.memslot = kshim_memslot,
	.max_level = kshim_max_level,
	.map = kshim_map,
	.pin = kshim_pin_fault,
	.zap = kshim_zap,
	.set_attributes = kshim_set_attributes,
	.defer_collapse = kshim_defer_collapse,
	.tick = kshim_tick,
	.sync_yield = kshim_sync_yield,
};

/* A tick under the VM's lock looks at no more 2 MiB chunks than this. */
#define KSHIM_MAX_SCAN_BUDGET 4096

/**
 * kshim_set_policy() - switch a VM's policy live.
 * @st: the VM.
 * @str: a policy string applied on top of the active policy.
 *
 * A policy whose merge tick could hold the VM's lock for more than
 * KSHIM_MAX_SCAN_BUDGET chunks is refused.
 *
 * Return: 0, or -EINVAL with the active policy unchanged.
 */
int kshim_set_policy(struct kshim_vm *st, const char *str)
{
	struct pmp_policy p;
	int ret;

	kshim_write_lock(st);
	pmp_vm_policy(st->vm, &p);
	ret = pmp_policy_parse(&p, str, NULL);
	if (!ret && p.scan_budget > KSHIM_MAX_SCAN_BUDGET)
		ret = -EINVAL;
	if (!ret)
		ret = pmp_vm_set_policy(st->vm, &p);
	kshim_write_unlock(st);
	kshim_inc(st, ret ? KC_POLICY_REFUSED : KC_POLICY_SWITCHES);
	return ret;
}

/**
 * kshim_kvm_get() - take a reference on a tracked VM's struct kvm.
 * @st: the VM.
 *
 * Fails once KVM has started destroying the VM: its state (vCPUs, memslots)
 * is then being torn down and must not be zapped through.
 *
 * Return: true with a reference to drop with kshim_kvm_put().
 */
bool kshim_kvm_get(struct kshim_vm *st)
{
	return kvm_get_safe && kvm_get_safe(st->kvm);
}

/**
 * kshim_kvm_put() - drop a reference taken by kshim_kvm_get().
 * @kvm: the VM; destroyed here if this was the last reference, so the
 *	caller must not hold anything its destruction waits for.
 */
void kshim_kvm_put(struct kvm *kvm)
{
	kvm_put(kvm);
}

/**
 * kshim_run_ticks() - run merge ticks of a VM now (debugfs "tick").
 * @st: the VM; the caller holds a reference (kshim_kvm_get()).
 * @n: how many.
 *
 * Return: ranges KVM zapped in all, -EINTR on a signal (the ticks run so
 * far stay), or -ENODEV when detached.
 */
int kshim_run_ticks(struct kshim_vm *st, unsigned int n)
{
	int total = 0;

	if (!kvm_tick)
		return -ENODEV;
	while (n--) {
		/* One tick per hold of the VM's lock (scan_budget bounds it). */
		total += kvm_tick(st->kvm);
		if (signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return total;
}

/* Bytes of state kshim_check() copies per hold of the VM's lock. */
#define KSHIM_CHECK_SLICE (64 * 1024)
/* Copies it starts before it gives up on a VM whose state keeps changing. */
#define KSHIM_CHECK_TRIES 8

/**
 * kshim_check() - pmp_vm_check() without holding up the VM's faults.
 * @st: the VM.
 *
 * pmp_vm_check() is O(state).  The state holds offsets, not pointers, so
 * it is copied in KSHIM_CHECK_SLICE pieces, each under the VM's lock held
 * for read (the leaf installs and state changes wait one memcpy() of a
 * slice at most), with cond_resched() between them; @st->gen, bumped by
 * every writer, tells whether the pieces form one state.  If a writer ran
 * in between the copy starts again.  The check then runs on the copy,
 * with no lock held.  The per-vCPU decision counters, which faults update
 * under the lock held for read, may be torn in the copy; no invariant
 * reads them.
 *
 * Return: 0, -EUCLEAN (a broken invariant), -EAGAIN after
 * KSHIM_CHECK_TRIES copies each overtaken by a state change, -ENOMEM, or
 * -EINTR on a signal.
 */
int kshim_check(struct kshim_vm *st)
{
	u64 off, n, gen = 0;
	int tries, ret = -EAGAIN;
	bool torn;
	char *copy;

	copy = __vmalloc(st->bytes, GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!copy)
		return -ENOMEM;
	for (tries = 0; tries < KSHIM_CHECK_TRIES; tries++) {
		torn = false;
		for (off = 0; off < st->bytes && !torn; off += n) {
			n = min_t(u64, st->bytes - off, KSHIM_CHECK_SLICE);
			read_lock(&st->lock);
			if (!off)
				gen = st->gen;
			torn = st->gen != gen;
			if (!torn)
				memcpy(copy + off, (char *)st->mem + off, n);
			read_unlock(&st->lock);
			if (signal_pending(current)) {
				ret = -EINTR;
				goto out;
			}
			cond_resched();
		}
		if (!torn) {
			ret = pmp_vm_check((const struct pmp_vm *)
					   (copy + ((char *)st->vm - (char *)st->mem)));
			break;
		}
		kshim_inc(st, KC_CHECK_RETRIES);
	}
out:
	vfree(copy);
	return ret;
}

/**
 * kshim_show_vms() - one line per tracked VM, under the VM list lock.
 * @m: where the lines go.
 */
void kshim_show_vms(struct seq_file *m)
{
	struct kshim_vm *st;
	int bkt;

	mutex_lock(&kshim_vms_lock);
	hash_for_each(kshim_vms, bkt, st, node)
		kshim_debugfs_vm_line(st, m);
	mutex_unlock(&kshim_vms_lock);
}

/**
 * kshim_kvm_attached() - are the ops registered with KVM?
 *
 * Return: true when attached.
 */
bool kshim_kvm_attached(void)
{
	return registered;
}

/**
 * kshim_kvm_attach() - find a patched KVM and register the ops.
 *
 * Return: 0, -ENOENT if KVM has no policy hooks, or the error of
 * kvm_mmu_policy_register().
 */
int kshim_kvm_attach(void)
{
	int ret;

	kvm_register = symbol_get(kvm_mmu_policy_register);
	kvm_unregister = symbol_get(kvm_mmu_policy_unregister);
	kvm_tick = symbol_get(kvm_mmu_policy_tick);
	kvm_host_level = symbol_get(kvm_mmu_policy_host_level);
	kvm_get_safe = symbol_get(kvm_get_kvm_safe);
	kvm_put = symbol_get(kvm_put_kvm);
	kvm_pin_get = symbol_get(kvm_mmu_policy_pin_get);
	kvm_pin_put = symbol_get(kvm_mmu_policy_pin_put);
	kvm_set_private = symbol_get(kvm_mmu_policy_set_private);
	if (kvm_register && kvm_unregister && kvm_tick && kvm_host_level && kvm_get_safe &&
	    kvm_put && kvm_pin_get && kvm_pin_put && kvm_set_private) {
		ret = kvm_register(&kshim_ops);
		if (!ret) {
			registered = true;
			return 0;
		}
	} else {
		ret = -ENOENT;
	}
	kshim_kvm_detach();
	return ret;
}

/**
 * kshim_kvm_detach() - unregister the ops (no tracked VM is left: each
 * holds a module reference) and release the KVM symbols.
 */
void kshim_kvm_detach(void)
{
	if (registered)
		kvm_unregister(&kshim_ops);
	registered = false;
	if (kvm_register)
		symbol_put(kvm_mmu_policy_register);
	if (kvm_unregister)
		symbol_put(kvm_mmu_policy_unregister);
	if (kvm_tick)
		symbol_put(kvm_mmu_policy_tick);
	if (kvm_host_level)
		symbol_put(kvm_mmu_policy_host_level);
	if (kvm_get_safe)
		symbol_put(kvm_get_kvm_safe);
	if (kvm_put)
		symbol_put(kvm_put_kvm);
	if (kvm_pin_get)
		symbol_put(kvm_mmu_policy_pin_get);
	if (kvm_pin_put)
		symbol_put(kvm_mmu_policy_pin_put);
	if (kvm_set_private)
		symbol_put(kvm_mmu_policy_set_private);
	kvm_register = NULL;
	kvm_unregister = NULL;
	kvm_tick = NULL;
	kvm_host_level = NULL;
	kvm_get_safe = NULL;
	kvm_put = NULL;
	kvm_pin_get = NULL;
	kvm_pin_put = NULL;
	kvm_set_private = NULL;
}
