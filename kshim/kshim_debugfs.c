// SPDX-License-Identifier: GPL-2.0-only
/*
 * debugfs for pmem_policy.ko, under /sys/kernel/debug/pmem_policy/:
 *
 *   pages_held   page references the module holds, all VMs together
 *   vms          one line per tracked VM: name, type, policy, pinned
 *   <tgid>-<n>/  one directory per VM:
 *     policy     the active policy; write a policy string to switch live
 *                (applied on top of the active policy; a bad string fails
 *                with -EINVAL and changes nothing)
 *     stats      the core's counters and the module's, "name value" lines
 *     pinned     pages pinned (core count), page references held, and
 *                pages charged to the VMM's locked memory (VmPin); of the
 *                references the FOLL_LONGTERM pins, those whose folio
 *                folio_maybe_dma_pinned() says so, those no recorded leaf
 *                uses yet, and those in ZONE_MOVABLE or CMA (0: GUP moved
 *                them out)
 *     check      the core's invariant check: "ok" or the error, run on a
 *                copy taken in slices (EAGAIN if the state kept changing)
 *     tick       write N (1..10000) to run N merge ticks now, one per hold
 *                of the VM's lock; a signal stops them (EINTR)
 *
 * A VM's directory is removed before its state is freed; debugfs waits for
 * file operations in flight, so no file outlives the state it reads.  That
 * happens in the VM-destroy hook, after KVM started tearing the VM down, so
 * "tick", which zaps through KVM, also holds a reference on the VM while it
 * is open (as KVM's own debugfs files do).
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>

#include "kshim.h"

struct dentry *kshim_debugfs_root;

static const char * const vm_type_names[PMP_VM_NR] = { "default", "sev", "snp", "tdx" };

static int policy_show(struct seq_file *m, void *v)
{
	struct kshim_vm *st = m->private;
	struct pmp_policy p;
	char buf[512];
	int ret;

	read_lock(&st->lock);
	pmp_vm_policy(st->vm, &p);
	read_unlock(&st->lock);
	ret = pmp_policy_format(&p, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	seq_printf(m, "%s\n", buf);
	return 0;
}

static int policy_open(struct inode *inode, struct file *file)
{
	return single_open(file, policy_show, inode->i_private);
}

static ssize_t policy_write(struct file *file, const char __user *ubuf, size_t len,
			    loff_t *ppos)
{
	struct kshim_vm *st = file_inode(file)->i_private;
	char buf[256];
	int ret;

	if (*ppos != 0 || len == 0 || len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	if (strlen(buf) != len)		/* embedded NUL */
		return -EINVAL;
	ret = kshim_set_policy(st, strim(buf));
	return ret ? ret : len;
}

static const struct file_operations policy_fops = {
	.owner = THIS_MODULE,
	.open = policy_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
	.write = policy_write,
};

static int stats_show(struct seq_file *m, void *v)
{
	struct kshim_vm *st = m->private;
	struct kshim_cnt *cnt;
	struct pmp_stats *s;
	int d, r, l, a;

	s = kmalloc(sizeof(*s), GFP_KERNEL);
	cnt = kmalloc(sizeof(*cnt), GFP_KERNEL);
	if (!s || !cnt) {
		kfree(s);
		kfree(cnt);
		return -ENOMEM;
	}
	read_lock(&st->lock);
	pmp_vm_stats(st->vm, s);
	read_unlock(&st->lock);
	kshim_sum_counters(st, cnt);
	for (a = 0; a < KC_NR; a++)
		seq_printf(m, "%s %llu\n", kshim_counter_names[a], cnt->c[a]);
	/* The differential: why the core mapped smaller than KVM would have. */
	for (r = 0; r < PMP_REASON_NR; r++)
		if (cnt->lowered[r])
			seq_printf(m, "diff_lowered_%s %llu\n", pmp_reason_name(r),
				   cnt->lowered[r]);
	for (d = 0; d < PMP_DECISION_NR; d++) {
		const char *name = pmp_decision_name(d);

		seq_printf(m, "%s_tried %llu\n%s_applied %llu\n", name, s->decision[d].tried,
			   name, s->decision[d].applied);
		for (r = 0; r < PMP_REASON_NR; r++)
			if (s->decision[d].refused[r])
				seq_printf(m, "%s_refused_%s %llu\n", name, pmp_reason_name(r),
					   s->decision[d].refused[r]);
	}
	for (l = PMP_LEVEL_4K; l <= PMP_LEVEL_1G; l++)
		seq_printf(m, "granted_%s %llu\npromoted_%s %llu\n", pmp_level_name(l),
			   s->granted[l], pmp_level_name(l), s->promoted[l]);
	for (a = 0; a < PMP_ACT_NR; a++)
		seq_printf(m, "action_%s %llu\n", pmp_action_name(a), s->actions[a]);
	seq_printf(m, "write_locked %llu\nscan_work %llu\npin_high_water %llu\nyields %llu\n",
		   s->write_locked, s->scan_work, s->pin_high_water, s->yields);
	kfree(s);
	kfree(cnt);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

static int pinned_show(struct seq_file *m, void *v)
{
	struct kshim_vm *st = m->private;
	u64 pinned, locked, held = 0, lt = 0, dma = 0, unused = 0, movable = 0;
	unsigned long index;
	struct page *page;

	read_lock(&st->lock);
	pinned = pmp_nr_pinned(st->vm);
	locked = st->locked;
	read_unlock(&st->lock);
	/*
	 * The xarray is RCU-safe: count it without stalling the VM's faults.
	 * A page is looked at only while its entry is there (it holds the
	 * page); an entry released meanwhile may be counted or not.
	 */
	rcu_read_lock();
	xa_for_each(&st->pins, index, page) {
		held++;
		if (xa_get_mark(&st->pins, index, KSHIM_PIN_LONGTERM)) {
			struct folio *folio = page_folio(page);

			lt++;
			dma += folio_maybe_dma_pinned(folio);
			movable += !folio_is_longterm_pinnable(folio);
			unused += xa_get_mark(&st->pins, index, KSHIM_PIN_UNUSED);
		}
		if (!(held & 4095)) {
			rcu_read_unlock();
			cond_resched();
			rcu_read_lock();
		}
	}
	rcu_read_unlock();
	seq_printf(m, "pinned %llu\nreferences %llu\nlocked %llu\n", pinned, held, locked);
	seq_printf(m, "longterm %llu\ndma_pinned %llu\nunused %llu\nmovable %llu\n", lt, dma,
		   unused, movable);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pinned);

static int check_show(struct seq_file *m, void *v)
{
	struct kshim_vm *st = m->private;
	int ret = kshim_check(st);

	if (ret && ret != -EUCLEAN)
		return ret;	/* not checked: -EAGAIN, -ENOMEM, -EINTR */
	seq_printf(m, "%s\n", ret ? pmp_strerror(ret) : "ok");
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(check);

static int tick_open(struct inode *inode, struct file *file)
{
	struct kshim_vm *st = inode->i_private;

	/*
	 * A tick zaps through KVM, which must not happen once KVM started
	 * destroying the VM (before the destroy hook removes this file).
	 */
	if (!kshim_kvm_get(st))
		return -ENOENT;
	file->private_data = st->kvm;
	return nonseekable_open(inode, file);
}

/* Not protected against the file's removal: uses no state of @st. */
static int tick_release(struct inode *inode, struct file *file)
{
	kshim_kvm_put(file->private_data);
	return 0;
}

static ssize_t tick_write(struct file *file, const char __user *ubuf, size_t len,
			  loff_t *ppos)
{
	struct kshim_vm *st = file_inode(file)->i_private;
	unsigned int n;
	int ret;

	ret = kstrtouint_from_user(ubuf, len, 0, &n);
	if (ret)
		return ret;
	if (n < 1 || n > 10000)
		return -EINVAL;
	ret = kshim_run_ticks(st, n);
	return ret < 0 ? ret : len;
}

static const struct file_operations tick_fops = {
	.owner = THIS_MODULE,
	.open = tick_open,
	.release = tick_release,
	.write = tick_write,
};

/**
 * kshim_debugfs_vm_add() - create a VM's directory.
 * @st: the VM; a failure only leaves it without files.
 */
void kshim_debugfs_vm_add(struct kshim_vm *st)
{
	st->dir = debugfs_create_dir(st->name, kshim_debugfs_root);
	debugfs_create_file("policy", 0600, st->dir, st, &policy_fops);
	debugfs_create_file("stats", 0400, st->dir, st, &stats_fops);
	debugfs_create_file("pinned", 0400, st->dir, st, &pinned_fops);
	debugfs_create_file("check", 0400, st->dir, st, &check_fops);
	debugfs_create_file("tick", 0200, st->dir, st, &tick_fops);
}

/**
 * kshim_debugfs_vm_remove() - remove it, waiting for operations in flight.
 * @st: the VM.
 */
void kshim_debugfs_vm_remove(struct kshim_vm *st)
{
	debugfs_remove(st->dir);
	st->dir = NULL;
}

/**
 * kshim_debugfs_vm_line() - a VM's line in the "vms" file.
 * @st: the VM.
 * @m: where it goes.
 */
void kshim_debugfs_vm_line(struct kshim_vm *st, struct seq_file *m)
{
	struct pmp_policy p;
	char buf[512];
	u64 pinned;

	read_lock(&st->lock);
	pmp_vm_policy(st->vm, &p);
	pinned = pmp_nr_pinned(st->vm);
	read_unlock(&st->lock);
	if (pmp_policy_format(&p, buf, sizeof(buf)) < 0)
		strscpy(buf, "?", sizeof(buf));
	seq_printf(m, "%s %s pinned=%llu %s\n", st->name, vm_type_names[st->vm_type], pinned, buf);
}

static int vms_show(struct seq_file *m, void *v)
{
	kshim_show_vms(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vms);

static int pages_held_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%lld\n", (long long)atomic64_read(&kshim_pages_held));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pages_held);

/**
 * kshim_debugfs_init() - create /sys/kernel/debug/pmem_policy.
 *
 * Return: 0 (debugfs failures are not fatal).
 */
int kshim_debugfs_init(void)
{
	kshim_debugfs_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("vms", 0400, kshim_debugfs_root, NULL, &vms_fops);
	debugfs_create_file("pages_held", 0400, kshim_debugfs_root, NULL, &pages_held_fops);
	return 0;
}

/**
 * kshim_debugfs_exit() - remove it.
 */
void kshim_debugfs_exit(void)
{
	debugfs_remove(kshim_debugfs_root);
	kshim_debugfs_root = NULL;
}
