/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pmem_policy.ko internals: per-VM state and the glue between KVM's MMU
 * policy hooks (include/linux/kvm_mmu_policy.h) and the core.
 */
#ifndef PMP_KSHIM_H
#define PMP_KSHIM_H

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/jump_label.h>
#include <linux/kvm_host.h>
#include <linux/list.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include <pmem_policy/pmem_policy.h>
#include <linux/kvm_mmu_policy.h>

/* Actions one hook call may receive: a merge tick acts on up to 16 ranges. */
#define KSHIM_ACTIONS (3 * KVM_MMU_POLICY_TICK_RANGES)

/* Per-VM counters of the glue itself (the core keeps its own). */
enum kshim_counter {
	KC_MAX_LEVEL,		/* max_level hook calls */
	KC_LOWERED,		/* ... that lowered KVM's level */
	KC_MAX_LEVEL_ERR,	/* ... the core could not answer (KVM's kept) */
	KC_DIFF_SAME,		/* ... the core allows exactly KVM's level */
	KC_DIFF_HIGHER,		/* ... the core would allow more than KVM */
	KC_DIFF_PRIVATE,	/* of those, private faults (KVM maps them at 4K in 6.12) */
	/* leaves installed, by level; 4K per CPU without KC_MAP_CONCURRENT's (summed: all) */
	KC_MAP_4K,
	KC_MAP_2M,
	KC_MAP_1G,
	KC_MAP_ERR,		/* pmp_map() failed (mirror not updated) */
	KC_MAP_REFUSED,		/* leaves refused: the fault failed cleanly */
	KC_MAP_PIN_LEAF,	/* pin=fault leaves pinned in slices */
	KC_PREFETCH,		/* of which prefetched, not faulted */
	KC_MAP_CONCURRENT,	/* 4K leaves of the shared record (the core counts them) */
	KC_PINS,		/* page references taken */
	KC_PIN_ERR,		/* pins the core asked for that could not be taken */
	KC_PIN_LIMIT,		/* leaves refused: RLIMIT_MEMLOCK reached */
	KC_UNPINS,		/* page references dropped */
	KC_LT_PINS,		/* FOLL_LONGTERM pins taken before a fault */
	KC_LT_UNUSED,		/* ... released with no leaf recorded on them */
	KC_LT_MISSING,		/* leaves retried: a shared page without a long-term pin of it */
	KC_ZAP_NOTIFIER,	/* zap hook calls, by reason (enum kvm_mmu_policy_zap) */
	KC_ZAP_ATTRIBUTES,
	KC_ZAP_MEMSLOT,
	KC_ZAP_RECYCLE,
	KC_ZAP_TEARDOWN,
	KC_ZAP_COLLAPSE,
	KC_ZAP_POLICY,
	KC_ZAP_GFN_RANGE,
	KC_ZAP_NX_RECOVERY,
	KC_ZAP_ALL_FAST,
	KC_ZAP_REFUSED,		/* the core refused a zap KVM did anyway */
	KC_CONVERTS,		/* KVM_SET_MEMORY_ATTRIBUTES ranges the core converted */
	KC_CONVERT_REFUSED,	/* ... it could not (pool): its attributes lag KVM's */
	KC_CONVERT_REPLAYED,	/* private runs a memslot brought or took: converted */
	KC_MEMSLOT,		/* memslot changes */
	KC_MEMSLOT_REFUSED,	/* memslots refused: beyond the tracked state */
	KC_MEMSLOT_UNTRACKED,	/* committed memslots the core could not record */
	KC_COLLAPSE_DEFERRED,	/* dirty-log-off collapses left to ticks */
	KC_TICKS,		/* merge ticks */
	KC_TICK_RANGES,		/* ranges they had KVM zap */
	KC_SYNC_CALLS,		/* sync_yield hook calls */
	KC_SYNC_YIELDS,
	KC_SYNC_BAILS,
	KC_POLICY_SWITCHES,
	KC_POLICY_REFUSED,
	KC_INJECTED,		/* failures injected (fail_every) */
	KC_CHECK_RETRIES,	/* "check" copies restarted: the state changed */
	KC_NR,
};

/**
 * struct kshim_cnt - one CPU's counters of a VM.
 * @c: enum kshim_counter.
 * @lowered: max_level answers below KVM's, by enum pmp_reason.
 */
struct kshim_cnt {
	u64 c[KC_NR];
	u64 lowered[PMP_REASON_NR];
};

struct pmp_shared_cache;	/* libpmem_policy/map_shared.h */

/**
 * struct kshim_vm - what pmem_policy.ko keeps for one struct kvm.
 * @kvm: the VM (a key only: never dereferenced after vm_destroy).
 * @node: in the VM hash.
 * @lock: fault-path decisions (pmp_max_level(), a shared query) and the
 *	common leaf's record (pmp_map_shared_4k(), one bit set atomically)
 *	hold it for read (kshim_fault_read_lock()), concurrently; every other
 *	call that changes @vm's state holds it for write (the core takes no
 *	locks), through kshim_write_lock().
 * @gen: bumped by every holder of @lock for write (read it under @lock),
 *	1 from kshim_vm_init() on (never 0: @last's empty entries): a reader
 *	that copies @vm in slices, dropping @lock between them, knows its copy
 *	is one consistent state when @gen did not move (the bits
 *	pmp_map_shared() sets meanwhile are records independent of each other
 *	and of the rest: any mix of them is a state of some order of those
 *	faults); @last's entries hold while it does not move.
 * @vm: the core's state, inside @mem.
 * @mem: vmalloc'ed, @bytes long.
 * @bytes: its size.
 * @gfn_end: the tracked span: memslots must end below it.
 * @pins: gfn -> struct page * for every pin taken; marked
 *	KSHIM_PIN_LONGTERM for a FOLL_PIN|FOLL_LONGTERM pin (released with
 *	unpin_user_page()), else a folio reference (guest_memfd private
 *	memory, or pages without a fault, e.g. shadow-MMU prefetches);
 *	KSHIM_PIN_UNUSED while no leaf the core recorded covers it (a pin
 *	taken before a fault that was then retried or refused).
 * @locked: pages of @pins charged to @mm's pinned_vm, under @lock for
 *	write; equal to the entries of @pins whenever @lock is free.
 * @mm: the VMM's mm (kvm->mm, grabbed by KVM for the VM's life), whose
 *	pinned_vm (VmPin) the references are charged to.
 * @ipc_lock: the VM's creator had CAP_IPC_LOCK: no RLIMIT_MEMLOCK limit.
 * @tick_work: the VM's merge ticks, every tick_ms.
 * @ticking: @tick_work runs (set at init, cleared in pre_destroy).
 * @dir: debugfs directory.
 * @name: "<tgid>-<seq>".
 * @vm_type: enum pmp_vm_type.
 * @kvm_type: KVM's kvm->arch.vm_type.
 * @acts: scratch action array, used under @lock held for write.
 * @cnt: per-CPU counters; a hook runs with preemption off.
 * @last: per CPU, the chunk the CPU's last common leaf was recorded in
 *	(kshim_map_shared()), valid while @gen does not move: every change
 *	of @vm's state that could make it stale (a giant freed or reused, a
 *	memslot change, a policy switch, a zap, a tick) holds @lock for
 *	write, and the entry dies with the VM.
 */
struct kshim_vm {
	struct kvm *kvm;
	struct hlist_node node;
	rwlock_t lock;		/* see above */
	u64 gen;
	struct pmp_vm *vm;
	void *mem;
	u64 bytes;
	u64 gfn_end;
	struct xarray pins;
	u64 locked;
	struct mm_struct *mm;
	bool ipc_lock;
	struct delayed_work tick_work;
	bool ticking;
	struct dentry *dir;
	char name[32];
	u32 vm_type;
	u32 kvm_type;
	struct pmp_action acts[KSHIM_ACTIONS];
	struct kshim_cnt __percpu *cnt;
	struct pmp_shared_cache __percpu *last;
};

/* Marks of kshim_vm.pins entries (XA_MARK_1: a map call in flight). */
#define KSHIM_PIN_UNUSED	XA_MARK_0
#define KSHIM_PIN_LONGTERM	XA_MARK_2

/* Count one event of @st on this CPU. */
#define kshim_inc(st, what) this_cpu_inc((st)->cnt->c[what])

/* Hold @st's lock to change its state: every change bumps @st->gen. */
static inline void kshim_write_lock(struct kshim_vm *st)
{
	write_lock(&st->lock);
	st->gen++;
}

static inline void kshim_write_unlock(struct kshim_vm *st)
{
	write_unlock(&st->lock);
}

/*
 * @st's lock for read on the fault path: the max_level and map hooks,
 * which KVM calls with mmu_lock held, so preemption is off already.  There
 * read_lock() is two out-of-line calls (_raw_read_lock() and
 * _raw_read_unlock(), each with the preemption count and the return
 * thunk); this is the queued rwlock's own fast path, inline: one
 * atomic add with acquire on a lock with no writer, one atomic sub with
 * release.  It is the same lock word as read_lock()'s, so everything else
 * holds: a writer (kshim_write_lock()) excludes these readers and they it,
 * with the same ordering (the add's acquire, the sub's release); fairness
 * is the qrwlock's, as a waiting writer sends new readers to
 * queued_read_lock_slowpath(), where they queue behind it.  Lockdep sees
 * the acquisition as read_lock()'s (rwlock_acquire_read(); nothing without
 * CONFIG_LOCKDEP).  PREEMPT_RT's rwlock_t is a sleeping lock with no such
 * word: read_lock() there.
 */
static __always_inline void kshim_fault_read_lock(struct kshim_vm *st)
{
#ifdef CONFIG_PREEMPT_RT
	read_lock(&st->lock);
#else
	lockdep_assert_preemption_disabled();
	rwlock_acquire_read(&st->lock.dep_map, 0, 0, _RET_IP_);
	arch_read_lock(&st->lock.raw_lock);
#endif
}

static __always_inline void kshim_fault_read_unlock(struct kshim_vm *st)
{
#ifdef CONFIG_PREEMPT_RT
	read_unlock(&st->lock);
#else
	rwlock_release(&st->lock.dep_map, _RET_IP_);
	arch_read_unlock(&st->lock.raw_lock);
#endif
}

extern const char * const kshim_counter_names[KC_NR];
extern struct dentry *kshim_debugfs_root;
extern atomic64_t kshim_pages_held;
extern atomic_t kshim_vms_live;

/* kshim_main.c */
u32 kshim_vm_type(void);
unsigned int kshim_max_gib(void);
unsigned int kshim_tick_ms(void);
bool __kshim_inject_fail(unsigned int n);
extern unsigned int kshim_fail_every;
/* fail_every is not 0 (its setter keeps both): a NOP on every fault while it is */
DECLARE_STATIC_KEY_FALSE(kshim_failing);

/* Should this pin, leaf or memslot fail (the fail_every test parameter)? */
static inline bool kshim_inject_fail(void)
{
	unsigned int n;

	if (!static_branch_unlikely(&kshim_failing))
		return false;
	n = READ_ONCE(kshim_fail_every);
	return n && __kshim_inject_fail(n);
}

int kshim_default_policy(struct pmp_policy *p);

/* kshim_kvm.c */
int kshim_kvm_attach(void);
void kshim_kvm_detach(void);
bool kshim_kvm_attached(void);
bool kshim_kvm_get(struct kshim_vm *st);
void kshim_kvm_put(struct kvm *kvm);
int kshim_run_ticks(struct kshim_vm *st, unsigned int n);
int kshim_set_policy(struct kshim_vm *st, const char *str);
void kshim_show_vms(struct seq_file *m);
void kshim_sum_counters(struct kshim_vm *st, struct kshim_cnt *sum);
int kshim_check(struct kshim_vm *st);

/* kshim_pin.c: see each function for the lock it wants */
int kshim_charge(struct kshim_vm *st, u64 n);
void kshim_uncharge(struct kshim_vm *st, u64 n);
void kshim_unpin_range(struct kshim_vm *st, u64 gfn, u64 npages, bool can_sleep);
void kshim_drop_unused(struct kshim_vm *st, u64 gfn, u64 npages);
void kshim_pin_action(struct kshim_vm *st, const struct pmp_action *a,
		      const struct kvm_mmu_policy_leaf *leaf);
bool kshim_pins_on_fault(struct kshim_vm *st, bool *launch);
int kshim_ref_leaf(struct kshim_vm *st, const struct kvm_mmu_policy_leaf *leaf, u64 *taken);
void kshim_ref_settle(struct kshim_vm *st, const struct kvm_mmu_policy_leaf *leaf, bool keep);
void kshim_claim_unused(struct kshim_vm *st, const struct kvm_mmu_policy_leaf *leaf);
int kshim_pin_leaf(struct kshim_vm *st, const struct kvm_mmu_policy_leaf *leaf,
		   unsigned long hva, int level);
u64 kshim_release_all(struct kshim_vm *st);

/* kshim_debugfs.c */
void kshim_debugfs_vm_add(struct kshim_vm *st);
void kshim_debugfs_vm_remove(struct kshim_vm *st);
void kshim_debugfs_vm_line(struct kshim_vm *st, struct seq_file *m);
int kshim_debugfs_init(void);
void kshim_debugfs_exit(void);

/* kshim_selftest.c */
int kshim_selftest(void);

#endif /* PMP_KSHIM_H */
