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

#include <linux/hashtable.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "kshim.h"

#define KSHIM_VCPU_SETS 8

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
static bool (*kvm_get_safe)(struct kvm *kvm);
static void (*kvm_put)(struct kvm *kvm);
static bool registered;

const char * const kshim_counter_names[KC_NR] = {
	[KC_MAX_LEVEL] = "max_level_calls",
	[KC_LOWERED] = "max_level_lowered",
	[KC_MAX_LEVEL_ERR] = "max_level_errors",
	[KC_MAP_4K] = "map_4k",
	[KC_MAP_2M] = "map_2m",
	[KC_MAP_1G] = "map_1g",
	[KC_MAP_ERR] = "map_errors",
	[KC_MAP_PIN_LEAF] = "map_pin_leaf",
	[KC_PREFETCH] = "map_prefetch",
	[KC_PINS] = "pins_taken",
	[KC_PIN_ERR] = "pin_errors",
	[KC_UNPINS] = "pins_released",
	[KC_ZAP_NOTIFIER] = "zap_notifier",
	[KC_ZAP_MEMSLOT] = "zap_memslot",
	[KC_ZAP_RECYCLE] = "zap_recycle",
	[KC_ZAP_TEARDOWN] = "zap_teardown",
	[KC_ZAP_COLLAPSE] = "zap_collapse",
	[KC_ZAP_REFUSED] = "zap_refused",
	[KC_MEMSLOT] = "memslot_changes",
	[KC_MEMSLOT_UNTRACKED] = "memslot_untracked",
	[KC_COLLAPSE_DEFERRED] = "collapse_deferred",
	[KC_TICKS] = "ticks",
	[KC_TICK_RANGES] = "tick_ranges",
	[KC_SYNC_CALLS] = "sync_yield_calls",
	[KC_SYNC_YIELDS] = "sync_yield_yields",
	[KC_SYNC_BAILS] = "sync_yield_bails",
	[KC_POLICY_SWITCHES] = "policy_switches",
	[KC_POLICY_REFUSED] = "policy_refused",
};

/*
 * Callers run in a context that keeps @kvm's state alive (a hook of that
 * VM, or a debugfs file of it), so the result may be used after the RCU
 * section.
 */
static struct kshim_vm *kshim_find(struct kvm *kvm)
{
	struct kshim_vm *st;

	rcu_read_lock();
	hash_for_each_possible_rcu(kshim_vms, st, node, (unsigned long)kvm) {
		if (st->kvm == kvm) {
			rcu_read_unlock();
			return st;
		}
	}
	rcu_read_unlock();
	return NULL;
}

static struct pmp_actions kshim_acts(struct kshim_vm *st)
{
	struct pmp_actions a = { .buf = st->acts, .cap = KSHIM_ACTIONS, .nr = 0 };

	return a;
}

static void kshim_vm_init(struct kvm *kvm)
{
	struct pmp_geometry geo = {
		.sz = sizeof(geo),
		/* a memory budget: memslots anywhere below 2^52 are governed */
		.max_pages = (u64)kshim_max_gib() << (30 - PAGE_SHIFT),
		.max_slots = KVM_MEM_SLOTS_NUM,
		.nr_vcpus = KSHIM_VCPU_SETS,
		.nr_vtls = 1,
		.vm_type = kshim_vm_type(),
	};
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
	/* Charged to the VMM's memory cgroup, as KVM's own per-VM state. */
	st->mem = __vmalloc(bytes, GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!st->mem)
		goto out_free;
	ret = pmp_vm_init(st->mem, bytes, &geo, &policy, &st->vm);
	if (ret) {
		pr_warn("VM not tracked: pmp_vm_init: %s\n", pmp_strerror(ret));
		goto out_vfree;
	}
	st->kvm = kvm;
	st->bytes = bytes;
	st->vm_type = geo.vm_type;
	spin_lock_init(&st->lock);
	xa_init(&st->pins);
	snprintf(st->name, sizeof(st->name), "%d-%d", task_tgid_nr(current),
		 atomic_inc_return(&kshim_vm_seq));
	mutex_lock(&kshim_vms_lock);
	hash_add_rcu(kshim_vms, &st->node, (unsigned long)kvm);
	mutex_unlock(&kshim_vms_lock);
	atomic_inc(&kshim_vms_live);
	kshim_debugfs_vm_add(st);
	return;

out_vfree:
	vfree(st->mem);
out_free:
	kfree(st);
out_put:
	module_put(THIS_MODULE);
}

/* Drop the references of [gfn, gfn + npages) that the module holds. */
static void kshim_unpin(struct kshim_vm *st, u64 gfn, u64 npages)
{
	u64 g;

	for (g = gfn; g < gfn + npages; g++) {
		struct page *page = xa_erase(&st->pins, g);

		if (!(g & 4095))
			cond_resched();
		if (!page)
			continue;
		put_page(page);
		st->cnt[KC_UNPINS]++;
		atomic64_dec(&kshim_pages_held);
	}
}

static void kshim_vm_destroy(struct kvm *kvm)
{
	struct kshim_vm *st = kshim_find(kvm);
	struct pmp_actions acts;
	unsigned long index;
	struct page *page;
	u64 cursor = 0, left = 0;
	int ret;
	u32 i;

	if (!st)
		return;
	/*
	 * No file operation of the VM runs past this (files still open fail
	 * with -EIO; "tick" holds the VM, so none is open), and no hook runs
	 * for a dying VM.
	 */
	kshim_debugfs_vm_remove(st);
	mutex_lock(&kshim_vms_lock);
	hash_del_rcu(&st->node);
	mutex_unlock(&kshim_vms_lock);
	synchronize_rcu();

	/* Teardown unpins exactly what the core recorded as pinned. */
	do {
		acts = kshim_acts(st);
		ret = pmp_teardown(st->vm, &cursor, &acts);
		for (i = 0; i < acts.nr; i++)
			if (acts.buf[i].type == PMP_ACT_UNPIN)
				kshim_unpin(st, acts.buf[i].gfn, acts.buf[i].npages);
	} while (ret == 1);
	if (ret)
		pr_warn("%s: teardown: %s\n", st->name, pmp_strerror(ret));
	/*
	 * Nothing may be left; if the core and the module ever disagree,
	 * release the rest anyway and say so.
	 */
	xa_for_each(&st->pins, index, page) {
		xa_erase(&st->pins, index);
		put_page(page);
		atomic64_dec(&kshim_pages_held);
		left++;
		cond_resched();
	}
	if (left || pmp_nr_pinned(st->vm))
		pr_warn("%s: teardown left %llu references, core pinned %llu\n", st->name,
			left, pmp_nr_pinned(st->vm));
	pr_info("%s: destroyed, %llu pins taken, %llu released\n", st->name,
		st->cnt[KC_PINS], st->cnt[KC_UNPINS] + left);
	xa_destroy(&st->pins);
	vfree(st->mem);
	kfree(st);
	atomic_dec(&kshim_vms_live);
	module_put(THIS_MODULE);
}

static void kshim_memslot(struct kvm *kvm, const struct kvm_memory_slot *old,
			  const struct kvm_memory_slot *new, enum kvm_mr_change change)
{
	struct kshim_vm *st = kshim_find(kvm);
	const struct kvm_memory_slot *s = change == KVM_MR_DELETE ? old : new;
	struct pmp_actions acts;
	struct pmp_slot ps;
	int ret = 0;

	if (!st || !s || s->as_id)
		return;
	spin_lock(&st->lock);
	st->cnt[KC_MEMSLOT]++;
	switch (change) {
	case KVM_MR_CREATE:
		ps = (struct pmp_slot){
			.base_gfn = s->base_gfn,
			.npages = s->npages,
			.userspace_addr = s->userspace_addr,
			.flags = (s->flags & KVM_MEM_LOG_DIRTY_PAGES ? PMP_SLOT_DIRTY_LOG : 0) |
				 (s->flags & KVM_MEM_READONLY ? PMP_SLOT_READONLY : 0),
		};
		ret = pmp_slot_create(st->vm, s->id, &ps);
		break;
	case KVM_MR_DELETE:
		pmp_slot_delete(st->vm, s->id);
		break;
	case KVM_MR_MOVE:
		ret = pmp_slot_move(st->vm, s->id, s->base_gfn);
		if (ret)
			pmp_slot_delete(st->vm, s->id);
		break;
	case KVM_MR_FLAGS_ONLY:
		if ((old->flags ^ new->flags) & KVM_MEM_LOG_DIRTY_PAGES) {
			acts = kshim_acts(st);
			ret = pmp_dirty_log(st->vm, s->id,
					    new->flags & KVM_MEM_LOG_DIRTY_PAGES, &acts);
		}
		break;
	}
	if (ret)
		st->cnt[KC_MEMSLOT_UNTRACKED]++;
	spin_unlock(&st->lock);
}

static struct pmp_fault kshim_fault(const struct kvm_memory_slot *slot, int vcpu_idx,
				    gfn_t gfn, bool write, bool exec, unsigned int order)
{
	struct pmp_fault f = {
		.gfn = gfn,
		.slot = slot->id,
		.flags = (write ? PMP_FAULT_WRITE : 0) | (exec ? PMP_FAULT_EXEC : 0),
		.vcpu = (u16)((unsigned int)vcpu_idx % KSHIM_VCPU_SETS),
		.backing_order = order,
	};

	return f;
}

/* The level KVM found allowed: its host mapping is at least that large. */
static unsigned int kshim_level_order(int level)
{
	return level >= PG_LEVEL_1G ? 18 : level == PG_LEVEL_2M ? 9 : 0;
}

static int kshim_max_level(struct kvm *kvm, int vcpu_idx, const struct kvm_memory_slot *slot,
			   gfn_t gfn, bool write, bool exec, int level)
{
	struct kshim_vm *st = kshim_find(kvm);
	struct pmp_fault f;
	enum pmp_reason why;
	int ret;

	if (!st || !slot || slot->as_id)
		return level;
	f = kshim_fault(slot, vcpu_idx, gfn, write, exec, kshim_level_order(level));
	spin_lock(&st->lock);
	st->cnt[KC_MAX_LEVEL]++;
	ret = pmp_max_level(st->vm, &f, &why);
	if (ret < 0) {
		st->cnt[KC_MAX_LEVEL_ERR]++;
		ret = level;
	} else if (ret < level) {
		st->cnt[KC_LOWERED]++;
	} else {
		ret = level;
	}
	spin_unlock(&st->lock);
	return ret;
}

/* The order of the host folio behind @pfn: what really backs the leaf. */
static unsigned int kshim_pfn_order(kvm_pfn_t pfn)
{
	struct page *page;

	if (!pfn_valid(pfn))
		return 0;
	page = pfn_to_page(pfn);
	return PageCompound(page) ? compound_order(compound_head(page)) : 0;
}

/* Take a reference on each page of @a, which lies in the leaf @gfn..@pfn. */
static void kshim_pin(struct kshim_vm *st, const struct pmp_action *a, gfn_t gfn,
		      kvm_pfn_t pfn, int level)
{
	u64 leaf = KVM_PAGES_PER_HPAGE(level), g;

	for (g = a->gfn; g < a->gfn + a->npages; g++) {
		struct page *page, *old;

		if (g < gfn || g >= gfn + leaf || !pfn_valid(pfn + (g - gfn))) {
			st->cnt[KC_PIN_ERR]++;
			continue;
		}
		page = pfn_to_page(pfn + (g - gfn));
		/* A tail page has no count of its own: the folio holds it. */
		if (!folio_try_get(page_folio(page))) {
			st->cnt[KC_PIN_ERR]++;
			continue;
		}
		old = xa_store(&st->pins, g, page, GFP_ATOMIC);
		if (xa_is_err(old)) {
			put_page(page);
			st->cnt[KC_PIN_ERR]++;
			continue;
		}
		if (old) {	/* never: the core pins a gfn once */
			put_page(old);
			atomic64_dec(&kshim_pages_held);
			st->cnt[KC_PIN_ERR]++;
		}
		st->cnt[KC_PINS]++;
		atomic64_inc(&kshim_pages_held);
	}
}

/* Pages one pmp_pin_range() call covers: at most 32 runs, one action each. */
#define KSHIM_PIN_SLICE 64

/* Does the core pin the pages of each leaf KVM maps (pin=fault, SEV)? */
static bool kshim_pins_on_fault(struct kshim_vm *st)
{
	struct pmp_policy p;

	pmp_vm_policy(st->vm, &p);
	return st->vm_type == PMP_VM_SEV && p.pin == PMP_PIN_FAULT;
}

/*
 * Pin every page of the leaf @gfn..@pfn at @level that the core has not
 * pinned yet, in slices whose actions always fit in @st->acts.
 */
static int kshim_pin_leaf(struct kshim_vm *st, gfn_t gfn, kvm_pfn_t pfn, int level)
{
	u64 pages = KVM_PAGES_PER_HPAGE(level), off;
	struct pmp_actions acts;
	int ret;
	u32 i;

	BUILD_BUG_ON(KSHIM_PIN_SLICE / 2 > KSHIM_ACTIONS);
	for (off = 0; off < pages; off += KSHIM_PIN_SLICE) {
		acts = kshim_acts(st);
		ret = pmp_pin_range(st->vm, gfn + off, min_t(u64, pages - off, KSHIM_PIN_SLICE),
				    &acts);
		if (ret)
			return ret;
		for (i = 0; i < acts.nr; i++)
			if (acts.buf[i].type == PMP_ACT_PIN)
				kshim_pin(st, &acts.buf[i], gfn, pfn, level);
	}
	return 0;
}

static void kshim_map(struct kvm *kvm, int vcpu_idx, const struct kvm_memory_slot *slot,
		      gfn_t gfn, kvm_pfn_t pfn, int level, bool write, bool exec, bool fault)
{
	struct kshim_vm *st = kshim_find(kvm);
	struct pmp_actions acts;
	struct pmp_fault f;
	u32 i;
	int ret;

	if (!st || !slot || slot->as_id || level < PG_LEVEL_4K || level > PG_LEVEL_1G)
		return;
	f = kshim_fault(slot, vcpu_idx, gfn, write, exec,
			max(kshim_pfn_order(pfn), kshim_level_order(level)));
	spin_lock(&st->lock);
	st->cnt[KC_MAP_4K + level - PG_LEVEL_4K]++;
	if (!fault)
		st->cnt[KC_PREFETCH]++;
	acts = kshim_acts(st);
	ret = pmp_map(st->vm, &f, level, &acts);
	if (ret && ret != -ENOMEM && kshim_pins_on_fault(st)) {
		/*
		 * KVM has installed the leaf whatever the core says, so its
		 * pages must be pinned: -ENOSPC, its unpinned pages form more
		 * runs than one call has room for (a huge leaf over pages
		 * pinned one by one before); -EINVAL, the policy was switched
		 * between max_level and here.  Pin in slices, then record the
		 * leaf (it has no unpinned run left).  -ENOMEM is the pin
		 * limit: a refusal.
		 */
		st->cnt[KC_MAP_PIN_LEAF]++;
		if (!kshim_pin_leaf(st, gfn, pfn, level) && ret == -ENOSPC) {
			acts = kshim_acts(st);
			ret = pmp_map(st->vm, &f, level, &acts);
		}
	}
	if (ret)
		st->cnt[KC_MAP_ERR]++;
	for (i = 0; !ret && i < acts.nr; i++)
		if (acts.buf[i].type == PMP_ACT_PIN)
			kshim_pin(st, &acts.buf[i], gfn, pfn, level);
	spin_unlock(&st->lock);
}

static void kshim_zap(struct kvm *kvm, gfn_t start, gfn_t end, enum kvm_mmu_policy_zap reason)
{
	static const u8 to_pmp[] = {
		[KVM_MMU_POLICY_ZAP_NOTIFIER] = PMP_ZAP_MMU_NOTIFIER,
		[KVM_MMU_POLICY_ZAP_MEMSLOT] = PMP_ZAP_SLOT_DELETE,
		[KVM_MMU_POLICY_ZAP_RECYCLE] = PMP_ZAP_RECYCLE,
		[KVM_MMU_POLICY_ZAP_TEARDOWN] = PMP_ZAP_TEARDOWN,
		[KVM_MMU_POLICY_ZAP_COLLAPSE] = PMP_ZAP_DIRTY_LOG,
		[KVM_MMU_POLICY_ZAP_POLICY] = PMP_ZAP_MMU_NOTIFIER,
	};
	struct kshim_vm *st = kshim_find(kvm);
	struct pmp_actions acts;
	struct pmp_vm_info info;
	int ret;

	if (!st || (unsigned int)reason >= ARRAY_SIZE(to_pmp))
		return;
	spin_lock(&st->lock);
	if (reason <= KVM_MMU_POLICY_ZAP_COLLAPSE)
		st->cnt[KC_ZAP_NOTIFIER + reason]++;
	pmp_vm_info(st->vm, &info);
	end = min_t(u64, end, info.gfn_end);
	if (start < end) {
		acts = kshim_acts(st);
		ret = pmp_zap(st->vm, to_pmp[reason], PMP_ZAP_FILTER_KVM, start, end - start, &acts);
		if (ret)
			st->cnt[KC_ZAP_REFUSED]++;
	}
	spin_unlock(&st->lock);
}

static bool kshim_defer_collapse(struct kvm *kvm, const struct kvm_memory_slot *slot)
{
	struct kshim_vm *st = kshim_find(kvm);
	struct pmp_policy p;
	bool defer;

	if (!st)
		return false;
	spin_lock(&st->lock);
	pmp_vm_policy(st->vm, &p);
	defer = p.merge == PMP_MERGE_SCAN || p.merge == PMP_MERGE_BLOCKED ||
		p.merge == PMP_MERGE_SETTLED;
	if (defer)
		st->cnt[KC_COLLAPSE_DEFERRED]++;
	spin_unlock(&st->lock);
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
	spin_lock(&st->lock);
	acts = kshim_acts(st);
	/* A tick acts on at most a third of the room: max ranges. */
	acts.cap = min_t(u32, acts.cap, 3 * (u32)max);
	if (pmp_merge_tick(st->vm, &acts) >= 0) {
		for (i = 0; i < acts.nr && n < max; i++) {
			const struct pmp_action *a = &acts.buf[i];

			if (a->type != PMP_ACT_PROMOTE && a->type != PMP_ACT_BLOCK)
				continue;
			ranges[n].start = a->gfn;
			ranges[n].end = a->gfn + a->npages;
			n++;
		}
	}
	st->cnt[KC_TICKS]++;
	st->cnt[KC_TICK_RANGES] += n;
	spin_unlock(&st->lock);
	return n;
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
	spin_lock(&st->lock);
	ret = pmp_yield(st->vm, (struct pmp_yield_state *)walk->data, done, remaining, flags);
	st->cnt[KC_SYNC_CALLS]++;
	if (ret == 1)
		st->cnt[KC_SYNC_YIELDS]++;
	else if (ret == -EINTR)
		st->cnt[KC_SYNC_BAILS]++;
	spin_unlock(&st->lock);
	return ret == 1 ? KVM_MMU_POLICY_YIELD :
	       ret == -EINTR ? KVM_MMU_POLICY_BAIL : KVM_MMU_POLICY_CONTINUE;
}

static const struct kvm_mmu_policy_ops kshim_ops = {
	.owner = THIS_MODULE,
	.vm_init = kshim_vm_init,
	.vm_destroy = kshim_vm_destroy,
	.memslot = kshim_memslot,
	.max_level = kshim_max_level,
	.map = kshim_map,
	.zap = kshim_zap,
	.defer_collapse = kshim_defer_collapse,
	.tick = kshim_tick,
	.sync_yield = kshim_sync_yield,
};

/**
 * kshim_set_policy() - switch a VM's policy live.
 * @st: the VM.
 * @str: a policy string applied on top of the active policy.
 *
 * Return: 0, or -EINVAL with the active policy unchanged.
 */
int kshim_set_policy(struct kshim_vm *st, const char *str)
{
	struct pmp_policy p;
	int ret;

	spin_lock(&st->lock);
	pmp_vm_policy(st->vm, &p);
	ret = pmp_policy_parse(&p, str, NULL);
	if (!ret)
		ret = pmp_vm_set_policy(st->vm, &p);
	st->cnt[ret ? KC_POLICY_REFUSED : KC_POLICY_SWITCHES]++;
	spin_unlock(&st->lock);
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
 * Return: ranges KVM zapped in all, or -ENODEV when detached.
 */
int kshim_run_ticks(struct kshim_vm *st, unsigned int n)
{
	int total = 0;

	if (!kvm_tick)
		return -ENODEV;
	while (n--) {
		total += kvm_tick(st->kvm);
		cond_resched();
	}
	return total;
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
	kvm_get_safe = symbol_get(kvm_get_kvm_safe);
	kvm_put = symbol_get(kvm_put_kvm);
	if (kvm_register && kvm_unregister && kvm_tick && kvm_get_safe && kvm_put) {
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
	if (kvm_get_safe)
		symbol_put(kvm_get_kvm_safe);
	if (kvm_put)
		symbol_put(kvm_put_kvm);
	kvm_register = NULL;
	kvm_unregister = NULL;
	kvm_tick = NULL;
	kvm_get_safe = NULL;
	kvm_put = NULL;
}
