// SPDX-License-Identifier: GPL-2.0-only
/*
 * pmem_policy.ko: the pmem_policy core, compiled from the same sources as
 * libpmem_policy, applied to KVM's MMU through the hooks of
 * kshim/patches/linux-6.12/.  Without a patched KVM the module still loads
 * (the selftest and the policy parser work) and runs detached.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jump_label.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/string.h>

#include "kshim.h"

static DEFINE_MUTEX(param_lock);

/* The policy of new VMs, applied on top of "recommended". */
static char default_policy[256] = "recommended";

static int default_policy_set(const char *val, const struct kernel_param *kp)
{
	struct pmp_parse_error err = { 0 };
	struct pmp_policy p;
	char buf[256];
	int ret;

	if (strscpy(buf, val, sizeof(buf)) < 0)
		return -EINVAL;
	strim(buf);
	pmp_policy_preset(&p, "recommended");
	ret = pmp_policy_parse(&p, buf, &err);
	if (ret) {
		pr_warn("default_policy: column %u: %s\n", err.column, err.message);
		return ret;
	}
	mutex_lock(&param_lock);
	strscpy(default_policy, buf, sizeof(default_policy));
	mutex_unlock(&param_lock);
	return 0;
}

static int default_policy_get(char *buffer, const struct kernel_param *kp)
{
	int n;

	mutex_lock(&param_lock);
	n = scnprintf(buffer, PAGE_SIZE, "%s\n", default_policy);
	mutex_unlock(&param_lock);
	return n;
}

static const struct kernel_param_ops default_policy_ops = {
	.set = default_policy_set,
	.get = default_policy_get,
};
module_param_cb(default_policy, &default_policy_ops, NULL, 0644);
MODULE_PARM_DESC(default_policy,
		 "policy string for new VMs, applied on top of \"recommended\" (e.g. \"upstream,max_level=2m\")");

/**
 * kshim_default_policy() - the policy a new VM starts with.
 * @p: filled.
 *
 * Return: 0, or -EINVAL if the stored string no longer parses (never: the
 * setter validates it).
 */
int kshim_default_policy(struct pmp_policy *p)
{
	int ret;

	pmp_policy_preset(p, "recommended");
	mutex_lock(&param_lock);
	ret = pmp_policy_parse(p, default_policy, NULL);
	mutex_unlock(&param_lock);
	return ret;
}

static const char * const vm_type_names[PMP_VM_NR] = { "default", "sev", "snp", "tdx" };
static int vm_type_value = PMP_VM_DEFAULT;

static int vm_type_set(const char *val, const struct kernel_param *kp)
{
	int i = sysfs_match_string(vm_type_names, val);

	if (i < 0)
		return -EINVAL;
	WRITE_ONCE(vm_type_value, i);
	return 0;
}

static int vm_type_get(char *buffer, const struct kernel_param *kp)
{
	return scnprintf(buffer, PAGE_SIZE, "%s\n", vm_type_names[READ_ONCE(vm_type_value)]);
}

static const struct kernel_param_ops vm_type_ops = {
	.set = vm_type_set,
	.get = vm_type_get,
};
module_param_cb(vm_type, &vm_type_ops, NULL, 0644);
MODULE_PARM_DESC(vm_type,
		 "MMU rules of new default and SW-protected VMs: default, sev (pins per the policy), snp, tdx (SEV and SNP VMs get their own)");

/**
 * kshim_vm_type() - the core VM type new VMs get.
 *
 * Return: enum pmp_vm_type.
 */
u32 kshim_vm_type(void)
{
	return READ_ONCE(vm_type_value);
}

static unsigned int max_gib = 16;
module_param(max_gib, uint, 0644);
MODULE_PARM_DESC(max_gib,
		 "GiB of memslots tracked per VM, at any guest-physical address (a memslot past it is refused with ENOMEM)");

/**
 * kshim_max_gib() - the memory in memslots new VMs track (pmp_geometry.max_pages).
 *
 * Return: GiB, at least 1.
 */
unsigned int kshim_max_gib(void)
{
	return clamp_t(unsigned int, READ_ONCE(max_gib), 1, 4096);
}

static unsigned int tick_ms = 1000;
module_param(tick_ms, uint, 0644);
MODULE_PARM_DESC(tick_ms,
		 "period of each VM's merge ticks in ms (0: no ticks, and KVM's own collapse is never deferred)");

/**
 * kshim_tick_ms() - the merge tick period of new VMs.
 *
 * Return: milliseconds, 0 for none.
 */
unsigned int kshim_tick_ms(void)
{
	return READ_ONCE(tick_ms);
}

unsigned int kshim_fail_every;
DEFINE_STATIC_KEY_FALSE(kshim_failing);
static DEFINE_MUTEX(fail_every_mutex);

/* fail_every and kshim_failing together: the fault path tests only the key. */
static int fail_every_set(const char *val, const struct kernel_param *kp)
{
	unsigned int n;
	int ret = kstrtouint(val, 0, &n);

	if (ret)
		return ret;
	mutex_lock(&fail_every_mutex);
	WRITE_ONCE(kshim_fail_every, n);
	if (n)
		static_branch_enable(&kshim_failing);
	else
		static_branch_disable(&kshim_failing);
	mutex_unlock(&fail_every_mutex);
	return 0;
}

static const struct kernel_param_ops fail_every_ops = {
	.set = fail_every_set,
	.get = param_get_uint,
};
module_param_cb(fail_every, &fail_every_ops, &kshim_fail_every, 0644);
MODULE_PARM_DESC(fail_every,
		 "test only: every Nth pin, leaf decision or memslot add fails as if memory ran out (0: never)");
static atomic_t fail_count = ATOMIC_INIT(0);

/**
 * __kshim_inject_fail() - kshim_inject_fail() once fail_every is set.
 * @n: fail_every, not 0.
 *
 * Return: true every @n-th call.
 */
bool __kshim_inject_fail(unsigned int n)
{
	return (unsigned int)atomic_inc_return(&fail_count) % n == 0;
}

static bool selftest;
module_param(selftest, bool, 0444);
MODULE_PARM_DESC(selftest, "run the shared test vectors at load and print KTAP");

static bool attach = true;
module_param(attach, bool, 0444);
MODULE_PARM_DESC(attach, "register the policy ops with a patched KVM if it is loaded");

static int __init kshim_init(void)
{
	int ret;

	ret = kshim_debugfs_init();
	if (ret)
		return ret;
	if (selftest)
		kshim_selftest();
	if (attach) {
		ret = kshim_kvm_attach();
		if (ret == -ENOENT) {
			pr_info("KVM has no policy hooks (kvm_mmu_policy_register): running detached\n");
		} else if (ret) {
			kshim_debugfs_exit();
			return ret;
		}
	}
	pr_info("core %s loaded, default policy \"%s\", %s\n", pmp_version(), default_policy,
		kshim_kvm_attached() ? "attached to KVM" : "detached");
	return 0;
}

static void __exit kshim_exit(void)
{
	kshim_kvm_detach();
	kshim_debugfs_exit();
	pr_info("unloaded, %lld page references still held\n",
		(long long)atomic64_read(&kshim_pages_held));
}

module_init(kshim_init);
module_exit(kshim_exit);

MODULE_DESCRIPTION("pmem_policy: guest-private-memory policy for KVM's x86 MMU");
MODULE_AUTHOR("pmem_policy developers");
MODULE_LICENSE("GPL");
