// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pins of pmem_policy.ko: the references and FOLL_LONGTERM pins the module
 * holds for the pages the core says are pinned, recorded in the VM's
 * xarray (kshim_vm.pins), charged to the VMM's pinned_vm, and released
 * exactly as the core unpins.  kshim_kvm.c calls these from the KVM hooks
 * with the VM's lock held as each function says.
 */
#include <linux/mm.h>
#include <linux/sched/signal.h>

#include "kshim.h"

/*
 * Charge @n pages about to be held to the VMM's locked memory, as
 * sev_pin_memory() checks RLIMIT_MEMLOCK and as RDMA's umem charges
 * mm->pinned_vm (VmPin): the pages count against the limit of the task
 * that faults them (the vCPU's, or KVM_PRE_FAULT_MEMORY's caller), unless
 * the VM's creator had CAP_IPC_LOCK.  One atomic per call, whatever @n:
 * never per page.  Lock-free, so it runs under mmu_lock.
 *
 * Return: 0, or -ENOMEM with nothing charged.
 */
int kshim_charge(struct kshim_vm *st, u64 n)
{
	u64 limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;

	if (!n)
		return 0;
	if (atomic64_add_return(n, &st->mm->pinned_vm) > limit && !st->ipc_lock) {
		atomic64_sub(n, &st->mm->pinned_vm);
		return -ENOMEM;
	}
	st->locked += n;
	atomic64_add(n, &kshim_pages_held);
	return 0;
}

/* Give back what kshim_charge() charged for @n pages no longer held. */
void kshim_uncharge(struct kshim_vm *st, u64 n)
{
	if (!n)
		return;
	atomic64_sub(n, &st->mm->pinned_vm);
	st->locked -= n;
	atomic64_sub(n, &kshim_pages_held);
}

/*
 * References in runs: consecutive pages of one folio cost one atomic on
 * the folio's count, not one each (a 1 GiB folio is 262,144 pages).  A
 * page's reference is its folio's (a tail page has no count of its own).
 * @n: references taken or to drop; taking, the first is the folio_try_get()
 * that proves the folio alive and the rest are added by kshim_run_commit().
 */
struct kshim_run {
	struct folio *folio;
	int n;
};

static void kshim_run_commit(struct kshim_run *r)
{
	if (r->n > 1)
		folio_ref_add(r->folio, r->n - 1);
	r->n = 0;
}

/* Count one more reference of @page to take; false if its folio is being freed. */
static bool kshim_run_get(struct kshim_run *r, struct page *page)
{
	struct folio *folio = page_folio(page);

	if (r->n && r->folio == folio) {
		r->n++;
		return true;
	}
	kshim_run_commit(r);
	if (!folio_try_get(folio))
		return false;
	r->folio = folio;
	r->n = 1;
	return true;
}

/* Forget the last kshim_run_get() (its page was not recorded). */
static void kshim_run_unget(struct kshim_run *r)
{
	if (r->n == 1)
		folio_put(r->folio);
	if (r->n)
		r->n--;
}

/* Drop what kshim_run_add_put() gathered. */
static void kshim_run_put(struct kshim_run *r)
{
	if (r->n)
		folio_put_refs(r->folio, r->n);
	r->n = 0;
}

/* One more reference of @page to drop. */
static void kshim_run_add_put(struct kshim_run *r, struct page *page)
{
	struct folio *folio = page_folio(page);

	if (r->n && r->folio != folio)
		kshim_run_put(r);
	r->folio = folio;
	r->n++;
}

/* References a sleepable unpin drops per hold of the xarray's lock. */
#define KSHIM_UNPIN_BATCH 4096

/*
 * Drop the references of [gfn, gfn + npages) that the module holds, in
 * walks of the xarray under its lock: one walk where @can_sleep is false
 * (under the VM's lock), else KSHIM_UNPIN_BATCH references per walk with
 * cond_resched() between walks (each restarts after the last index it
 * cleared: erased entries may have freed the nodes a paused walk needs).
 */
void kshim_unpin_range(struct kshim_vm *st, u64 gfn, u64 npages, bool can_sleep)
{
	XA_STATE(xas, &st->pins, gfn);
	struct kshim_run run = { 0 };
	u64 last = gfn + npages - 1, dropped = 0, n;
	struct page *page;

	if (!npages)
		return;
	do {
		n = 0;
		xas_lock(&xas);
		xas_for_each(&xas, page, last) {
			bool longterm = xas_get_mark(&xas, KSHIM_PIN_LONGTERM);

			xas_store(&xas, NULL);
			if (longterm)
				unpin_user_page(page);
			else
				kshim_run_add_put(&run, page);
			if (++n == KSHIM_UNPIN_BATCH && can_sleep)
				break;
		}
		xas_unlock(&xas);
		kshim_run_put(&run);
		dropped += n;
		if (n < KSHIM_UNPIN_BATCH || !can_sleep || xas.xa_index >= last)
			break;
		xas_set(&xas, xas.xa_index + 1);
		cond_resched();
	} while (true);
	this_cpu_add(st->cnt->c[KC_UNPINS], dropped);
	kshim_uncharge(st, dropped);
}

/*
 * Release the long-term pins of [gfn, gfn + npages) that no leaf the core
 * recorded covers (KSHIM_PIN_UNUSED: taken for a fault that was retried or
 * refused), in one walk of the marked entries; @st's lock is held for
 * write.  unpin_user_page() does not sleep.
 */
void kshim_drop_unused(struct kshim_vm *st, u64 gfn, u64 npages)
{
	XA_STATE(xas, &st->pins, gfn);
	struct page *page;
	u64 n = 0;

	if (!npages)
		return;
	xas_lock(&xas);
	xas_for_each_marked(&xas, page, gfn + npages - 1, KSHIM_PIN_UNUSED) {
		xas_store(&xas, NULL);
		unpin_user_page(page);
		n++;
	}
	xas_unlock(&xas);
	this_cpu_add(st->cnt->c[KC_UNPINS], n);
	this_cpu_add(st->cnt->c[KC_LT_UNUSED], n);
	kshim_uncharge(st, n);
}

/* Take a reference on each page of @a, which lies in @leaf. */
void kshim_pin_action(struct kshim_vm *st, const struct pmp_action *a,
		      const struct kvm_mmu_policy_leaf *leaf)
{
	u64 npages = KVM_PAGES_PER_HPAGE(leaf->level), g;

	for (g = a->gfn; g < a->gfn + a->npages; g++) {
		kvm_pfn_t pfn = leaf->pfn + (g - leaf->gfn);
		struct page *page, *old;

		if (g < leaf->gfn || g >= leaf->gfn + npages || !pfn_valid(pfn) ||
		    kshim_inject_fail()) {
			kshim_inc(st, KC_PIN_ERR);
			continue;
		}
		if (xa_load(&st->pins, g))	/* referenced before the core asked */
			continue;
		page = pfn_to_page(pfn);
		/* A tail page has no count of its own: the folio holds it. */
		if (kshim_charge(st, 1) || !folio_try_get(page_folio(page))) {
			kshim_inc(st, KC_PIN_ERR);
			continue;
		}
		old = xa_store(&st->pins, g, page, GFP_ATOMIC);
		if (xa_is_err(old)) {
			put_page(page);
			kshim_uncharge(st, 1);
			kshim_inc(st, KC_PIN_ERR);
			continue;
		}
		if (old) {	/* never: the core pins a gfn once */
			put_page(old);
			kshim_uncharge(st, 1);
			kshim_inc(st, KC_PIN_ERR);
		}
		kshim_inc(st, KC_PINS);
	}
}

/*
 * Must every page of a leaf KVM maps be pinned?  SEV with pin=fault, and
 * with pin=launch too: KVM's SEV code pins its launch regions itself and
 * does not tell the module, so a page faulted in later is pinned here.
 */
bool kshim_pins_on_fault(struct kshim_vm *st, bool *launch)
{
	struct pmp_policy p;

	*launch = false;
	if (st->vm_type != PMP_VM_SEV)	/* no policy copy on other VMs' faults */
		return false;
	pmp_vm_policy(st->vm, &p);
	*launch = p.pin == PMP_PIN_LAUNCH;
	return p.pin != PMP_PIN_NONE;
}

/*
 * Take a reference on every page of @leaf not referenced yet, before the
 * core hears of the leaf; the new ones are marked until kshim_ref_settle()
 * and counted in @taken, which the caller charges (kshim_charge()).  One
 * walk under the xarray's lock, one atomic per folio (kshim_run): a 1 GiB
 * leaf on a 1 GiB folio is one folio_try_get() and one folio_ref_add();
 * the xarray's nodes are allocated outside its lock (xas_nomem()).  A
 * shared page must have been pinned long-term before its fault
 * (kshim_pin_fault()): a shared leaf with a page that was not is retried,
 * and the retried fault pins it (a first touch maps the host page at 4K
 * before the fault, then KVM may map it huge); so is one whose pin taken
 * before the fault is of another page than KVM maps (the host remapped
 * the hva in between), after that pin is dropped by the caller.
 * Return: 0, -EAGAIN or -ESTALE for such a leaf (nothing taken), or
 * -ENOMEM when a reference cannot be taken (the leaf is refused).
 */
int kshim_ref_leaf(struct kshim_vm *st, const struct kvm_mmu_policy_leaf *leaf, u64 *taken)
{
	u64 n = KVM_PAGES_PER_HPAGE(leaf->level), i = 0;
	XA_STATE(xas, &st->pins, leaf->gfn);
	struct kshim_run run = { 0 };
	int ret = 0;

	*taken = 0;
	do {
		xas_lock(&xas);
		for (; i < n; i++) {
			kvm_pfn_t pfn = leaf->pfn + i;
			struct page *page;

			xas_set(&xas, leaf->gfn + i);
			page = xas_load(&xas);
			if (page) {
				/* a pin taken before the fault: of the page KVM maps? */
				if (!leaf->is_private && xas_get_mark(&xas, KSHIM_PIN_UNUSED) &&
				    (!pfn_valid(pfn) || page != pfn_to_page(pfn))) {
					ret = -ESTALE;
					break;
				}
				continue;
			}
			if (!leaf->is_private) {
				ret = -EAGAIN;
				break;
			}
			if (!pfn_valid(pfn) || kshim_inject_fail()) {
				ret = -ENOMEM;
				break;
			}
			page = pfn_to_page(pfn);
			if (!kshim_run_get(&run, page)) {
				ret = -ENOMEM;
				break;
			}
			xas_store(&xas, page);
			if (xas_error(&xas)) {	/* a node to allocate: unlocked */
				kshim_run_unget(&run);
				break;
			}
			xas_set_mark(&xas, XA_MARK_1);
			(*taken)++;
		}
		xas_unlock(&xas);
		/*
		 * Allocates and retries after a failed store; after a refusal
		 * (ret) no error is pending (xas_set() cleared it), so it only
		 * frees a node allocated for a store that never came.
		 */
	} while (xas_nomem(&xas, GFP_ATOMIC));
	kshim_run_commit(&run);
	if (!ret && xas_error(&xas))
		ret = -ENOMEM;
	if (ret == -ENOMEM)
		kshim_inc(st, KC_PIN_ERR);
	return ret;
}

/*
 * Keep the references kshim_ref_leaf() took for @leaf, or drop them all
 * (the caller gives back their charge, if it took one).
 */
void kshim_ref_settle(struct kshim_vm *st, const struct kvm_mmu_policy_leaf *leaf, bool keep)
{
	XA_STATE(xas, &st->pins, leaf->gfn);
	struct kshim_run run = { 0 };
	struct page *page;
	u64 n = 0;

	xas_lock(&xas);
	xas_for_each_marked(&xas, page, leaf->gfn + KVM_PAGES_PER_HPAGE(leaf->level) - 1,
			    XA_MARK_1) {
		n++;
		if (keep) {
			xas_clear_mark(&xas, XA_MARK_1);
			continue;
		}
		xas_store(&xas, NULL);
		kshim_run_add_put(&run, page);
	}
	xas_unlock(&xas);
	kshim_run_put(&run);
	if (keep)	/* taken and dropped in one call: counted as neither */
		this_cpu_add(st->cnt->c[KC_PINS], n);
}

/* The core recorded @leaf: the long-term pins under it are in use. */
void kshim_claim_unused(struct kshim_vm *st, const struct kvm_mmu_policy_leaf *leaf)
{
	XA_STATE(xas, &st->pins, leaf->gfn);
	struct page *page;

	xas_lock(&xas);
	xas_for_each_marked(&xas, page, leaf->gfn + KVM_PAGES_PER_HPAGE(leaf->level) - 1,
			    KSHIM_PIN_UNUSED)
		xas_clear_mark(&xas, KSHIM_PIN_UNUSED);
	xas_unlock(&xas);
}

/* Pages one pin_user_pages_fast() call pins: one page of page pointers. */
#define KSHIM_LT_BATCH (PAGE_SIZE / sizeof(struct page *))

/*
 * Record @nr long-term pins of the gfns from @gfn, charged together and
 * marked unused until a leaf the core records covers them.  A gfn pinned
 * meanwhile (another vCPU's fault) keeps its pin and the new one is
 * dropped; so is one the xarray has no memory for (the leaf's fault is
 * then retried).  Return: 0, or -ENOMEM past RLIMIT_MEMLOCK, nothing kept.
 */
static int kshim_lt_record(struct kshim_vm *st, u64 gfn, struct page **pages, long nr)
{
	long i, kept = 0;

	kshim_write_lock(st);
	if (kshim_charge(st, nr)) {
		kshim_write_unlock(st);
		unpin_user_pages(pages, nr);
		kshim_inc(st, KC_PIN_LIMIT);
		return -ENOMEM;
	}
	for (i = 0; i < nr; i++) {
		if (xa_cmpxchg(&st->pins, gfn + i, NULL, pages[i], GFP_ATOMIC)) {
			unpin_user_page(pages[i]);
			continue;
		}
		xa_set_mark(&st->pins, gfn + i, KSHIM_PIN_LONGTERM);
		xa_set_mark(&st->pins, gfn + i, KSHIM_PIN_UNUSED);
		kept++;
	}
	kshim_uncharge(st, nr - kept);
	kshim_write_unlock(st);
	this_cpu_add(st->cnt->c[KC_PINS], kept);
	this_cpu_add(st->cnt->c[KC_LT_PINS], kept);
	return 0;
}

/*
 * The pin hook's work once the caller knows the leaf's @level (the host
 * mapping's, as the core's answer lowers it; kshim_kvm.c): take a
 * FOLL_PIN|FOLL_LONGTERM pin of each host page of that leaf (sleepable,
 * no KVM reference on the page, mmu_lock not held), KSHIM_LT_BATCH pages
 * per pin_user_pages_fast().  GUP moves a page out of ZONE_MOVABLE (or
 * CMA) first; the invalidation retries the fault.  The map hook records
 * the pins; pins of a leaf that is not mapped after all are released
 * when it is refused, with their memslot, or at teardown.
 * Return: 0; -ENOMEM past RLIMIT_MEMLOCK (or injected); GUP's error
 * (-EINTR becomes -EAGAIN: the fault is retried after the signal).
 */
int kshim_pin_leaf(struct kshim_vm *st, const struct kvm_mmu_policy_leaf *leaf,
		   unsigned long hva, int level)
{
	const struct kvm_memory_slot *slot = leaf->slot;
	unsigned int flags = FOLL_LONGTERM;
	struct page **pages;
	u64 n, first, i, run, k;
	int ret = 0;
	long got;

	if (current->mm != st->mm)	/* KVM refuses other mms' ioctls */
		return -EFAULT;
	n = KVM_PAGES_PER_HPAGE(level);
	first = leaf->gfn & ~(n - 1);
	if (first < slot->base_gfn || first + n > slot->base_gfn + slot->npages) {
		first = leaf->gfn;	/* KVM maps no leaf across a memslot edge */
		n = 1;
	}
	hva -= (leaf->gfn - first) << PAGE_SHIFT;
	if (!(slot->flags & KVM_MEM_READONLY))
		flags |= FOLL_WRITE;
	pages = (struct page **)__get_free_page(GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	for (i = 0; i < n && !ret; i += run) {
		run = 1;
		if (xa_load(&st->pins, first + i))
			continue;
		while (i + run < n && run < KSHIM_LT_BATCH && !xa_load(&st->pins, first + i + run))
			run++;
		for (k = 0; k < run && !ret; k++)	/* fail_every counts pages */
			if (kshim_inject_fail()) {
				kshim_inc(st, KC_INJECTED);
				ret = -ENOMEM;
			}
		if (ret)
			break;
		got = pin_user_pages_fast(hva + (i << PAGE_SHIFT), run, flags, pages);
		if (got <= 0) {
			ret = got == -EINTR ? -EAGAIN : got ? got : -EFAULT;
			break;
		}
		ret = kshim_lt_record(st, first + i, pages, got);
		run = got;
		cond_resched();
	}
	free_page((unsigned long)pages);
	if (ret && ret != -EAGAIN) {
		/* nothing of a refused fault stays pinned */
		kshim_write_lock(st);
		kshim_drop_unused(st, first, n);
		kshim_write_unlock(st);
		kshim_inc(st, KC_MAP_REFUSED);
	}
	return ret;
}

/*
 * At VM destroy, after the core's teardown unpinned what it recorded:
 * release whatever the module still holds (nothing, unless the core and
 * the module disagree).  Return: the references released that way.
 */
u64 kshim_release_all(struct kshim_vm *st)
{
	unsigned long index;
	struct page *page;
	u64 left = 0;

	kshim_drop_unused(st, 0, ULONG_MAX);
	xa_for_each(&st->pins, index, page) {
		bool longterm = xa_get_mark(&st->pins, index, KSHIM_PIN_LONGTERM);

		xa_erase(&st->pins, index);
		if (longterm)
			unpin_user_page(page);
		else
			put_page(page);
		left++;
		cond_resched();
	}
	kshim_uncharge(st, left);
	return left;
}
