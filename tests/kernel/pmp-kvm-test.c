// SPDX-License-Identifier: GPL-2.0-only
/*
 * pmp-kvm-test: a static test VMM run inside the QEMU-booted Debian kernel
 * by tests/kernel/init.  It runs an L2 guest under the nested, patched KVM
 * with pmem_policy.ko attached, and checks what KVM really did through its
 * own statistics (debugfs /sys/kernel/debug/kvm/<pid>-<fd>/), the kvmmmu
 * tracepoints (hist triggers) and the module's debugfs.
 *
 * Guest: 2 MiB of low memory (page tables, code, stack) at GPA 0 and a
 * 64 MiB data slot at GPA 64 MiB, both 2 MiB-aligned and THP-backed; the
 * guest runs 64-bit at CPL0 with 2 MiB pages identity-mapping its first
 * GiB, plus one 4 KiB page table mapping a window at VA 1 GiB (for the
 * shadow paging test).
 *
 * usage: pmp-kvm-test SCENARIO      (see main())
 * Every check prints "PMP-PASS <scenario>: <what>" or "PMP-FAIL ..."; the
 * exit status is the number of failures.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/capability.h>
#include <linux/falloc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIB (1ULL << 20)
#define LOW_SIZE (2 * MIB)
#define DATA_GPA (64 * MIB)
#define DATA_SIZE (64 * MIB)
#define DATA_PAGES ((long long)(DATA_SIZE >> 12))
#define PML4_GPA 0x1000
#define PDPT_GPA 0x2000
#define PD_GPA 0x3000
#define PT_GPA 0x4000		/* 4 KiB page table of the window at VA 1 GiB */
#define PD2_GPA 0x5000
#define PD3_GPA 0x6000		/* 2 MiB pages mapping VA 2 GiB -> GPA 2 GiB (pin1g) */
#define GIB (1ULL << 30)
#define HUGE_GPA (2 * GIB)
#define CODE_GPA 0x8000
#define STACK_TOP 0x1f0000
#define WINDOW_VA 0x40000000ULL
#define EXIT_PORT 0x10

#include "kvm_uapi.h"	/* vmm_shim's: 6.12 interfaces Debian 12's headers lack */

#define KVM_X86_SW_PROTECTED_VM 1

#define KDBG "/sys/kernel/debug"
#define TRACING "/sys/kernel/tracing/events/kvmmmu"

enum { CMD_TOUCH = 1, CMD_SUM = 2, CMD_SHADOW = 3, CMD_TOUCH_STRIDE = 4 };

/*
 * The guest: rax = command, rdi/rsi/rdx = arguments, result in rbx; it
 * leaves with "out %al, $0x10".  Position independent; copied to CODE_GPA.
 */
extern const unsigned char guest_start[], guest_end[];
asm(".pushsection .rodata\n"
	".globl guest_start\n.globl guest_end\n"
	"guest_start:\n"
	"	cmp $1, %rax\n	je 10f\n"
	"	cmp $2, %rax\n	je 20f\n"
	"	cmp $3, %rax\n	je 30f\n"
	"	cmp $4, %rax\n	je 40f\n"
	"	jmp 90f\n"
    /* touch: add 1 to the first word of each page of [rdi, rdi + rsi) */
	"10:	mov %rdi, %rcx\n	lea (%rdi,%rsi), %r8\n"
	"11:	addq $1, (%rcx)\n	add $4096, %rcx\n	cmp %r8, %rcx\n	jb 11b\n"
	"	jmp 90f\n"
    /* sum: rbx = sum of the first words */
	"20:	xor %r9, %r9\n	mov %rdi, %rcx\n	lea (%rdi,%rsi), %r8\n"
	"21:	add (%rcx), %r9\n	add $4096, %rcx\n	cmp %r8, %rcx\n	jb 21b\n"
	"	mov %r9, %rbx\n	jmp 90f\n"
    /*
     * shadow: rdx rounds of: point PTE i%512 of the page table at rdi to
     * data page (7*i)%512 (base rsi), reload cr3, add the first word read
     * through the window.  Under shadow paging each PTE write unsyncs the
     * shadowed table and each cr3 reload syncs it (mmu_sync_children()).
     */
	"30:	xor %r9, %r9\n	xor %r10, %r10\n"
	"31:	mov %r10, %r11\n	and $511, %r11\n"
	"	mov %r10, %rax\n	imul $7, %rax\n	and $511, %rax\n	shl $12, %rax\n"
	"	add %rsi, %rax\n	or $3, %rax\n	mov %rax, (%rdi,%r11,8)\n"
	"	mov %cr3, %rax\n	mov %rax, %cr3\n"
	"	mov %r11, %rax\n	shl $12, %rax\n	add $0x40000000, %rax\n"
	"	add (%rax), %r9\n	inc %r10\n	cmp %rdx, %r10\n	jb 31b\n"
	"	mov %r9, %rbx\n	jmp 90f\n"
    /* touch_stride: as touch, every rdx bytes */
	"40:	mov %rdi, %rcx\n	lea (%rdi,%rsi), %r8\n"
	"41:	addq $1, (%rcx)\n	add %rdx, %rcx\n	cmp %r8, %rcx\n	jb 41b\n"
	"	jmp 90f\n"
	"90:	out %al, $0x10\n	hlt\n	jmp 90b\n"
	"guest_end:\n"
	".popsection\n");

struct vm {
	int kvm, fd, vcpu;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *low, *data;
	char kvm_dir[256];	/* KVM's debugfs directory of the VM */
	char pmp_dir[256];	/* pmem_policy's */
};

/* Debian 12's libc headers are 6.1's: the 6.12 exit the rig's KVM has. */
#ifndef KVM_EXIT_MEMORY_FAULT
#define KVM_EXIT_MEMORY_FAULT 39
#endif

static const char *scenario = "?";
static int allow_refusals;	/* inject: KVM_RUN may fail with ENOMEM */
static long long refusals;	/* ... and did, that many times */
static int stop_on_refusal;	/* pinlimit: vm_run returns at the first one */
static unsigned long vm_type_arg;	/* KVM_CREATE_VM's type (convert: SW-protected) */
static int failures;

static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("PMP-%s %s: ", ok ? "PASS" : "FAIL", scenario);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	failures += !ok;
}

static void die(const char *what)
{
	printf("PMP-FAIL %s: %s: %s\n", scenario, what, strerror(errno));
	exit(100);
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static long long read_num(const char *dir, const char *name)
{
	char path[512], buf[64];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (read_file(path, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 0);
}

/* "name value" lines, as the module's stats and pinned files. */
static long long read_key(const char *dir, const char *file, const char *key)
{
	char path[512], *buf, *p;
	long long v = -1;
	size_t kl = strlen(key);

	buf = malloc(65536);
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (!buf || read_file(path, buf, 65536)) {
		free(buf);
		return -1;
	}
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, kl) && p[kl] == ' ') {
			v = strtoll(p + kl + 1, NULL, 0);
			break;
		}
	free(buf);
	return v;
}

static long long kvm_stat(struct vm *vm, const char *name)
{
	return read_num(vm->kvm_dir, name);
}

static long long pmp_stat(struct vm *vm, const char *name)
{
	return read_key(vm->pmp_dir, "stats", name);
}

static long long pmp_pinned(struct vm *vm, const char *what)
{
	return read_key(vm->pmp_dir, "pinned", what);
}

static long long pages_held(void)
{
	return read_num(KDBG "/pmem_policy", "pages_held");
}

/* Hist triggers on kvmmmu events, keyed by level. */
static void hist_arm(const char *event, const char *keys)
{
	char path[256], cmd[128];

	snprintf(path, sizeof(path), TRACING "/%s/trigger", event);
	snprintf(cmd, sizeof(cmd), "!hist:keys=%s", keys);
	write_file(path, cmd);
	snprintf(cmd, sizeof(cmd), "hist:keys=%s", keys);
	if (write_file(path, cmd))
		die("hist trigger");
}

/* Sum of hitcounts of entries whose key equals @level (-1: all). */
static long long hist_count(const char *event, const char *key, int level)
{
	char path[256], *buf, *p;
	long long total = 0;

	buf = malloc(1 << 20);
	snprintf(path, sizeof(path), TRACING "/%s/hist", event);
	if (!buf || read_file(path, buf, 1 << 20))
		die("hist read");
	for (p = strstr(buf, "{ "); p; p = strstr(p + 1, "{ ")) {
		char *k = strstr(p, key), *h = strstr(p, "hitcount:");
		long long lv;

		if (!k || !h)
			break;
		lv = strtoll(k + strlen(key) + 1, NULL, 0);
		if (level < 0 || lv == level)
			total += strtoll(h + 9, NULL, 0);
	}
	free(buf);
	return total;
}

static void hist_reset(void)
{
	hist_arm("kvm_mmu_set_spte", "level");
	hist_arm("kvm_mmu_split_huge_page", "level");
}

/* The VMM's own mappings, so that a test can give the memory back. */
static struct {
	void *addr;
	size_t size;
} maps[2];

static void *map_huge(size_t size)
{
	uint8_t *p = mmap(NULL, size + 2 * MIB, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint8_t *a;

	if (p == MAP_FAILED)
		die("mmap");
	a = (uint8_t *)(((uintptr_t)p + 2 * MIB - 1) & ~(2 * MIB - 1));
	madvise(a, size, MADV_HUGEPAGE);
	/*
	 * Populate it writable now: a read fault would map the huge zero page,
	 * whose copy-on-write splits the PMD (and under QEMU's emulated NPT a
	 * guest read-modify-write faults as a read first).
	 */
	memset(a, 0, size);
	maps[size == LOW_SIZE].addr = p;
	maps[size == LOW_SIZE].size = size + 2 * MIB;
	return a;
}

static void set_slot(struct vm *vm, int slot, uint64_t gpa, uint64_t size, void *hva,
		     uint32_t flags)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)hva,
	};

	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r))
		die("KVM_SET_USER_MEMORY_REGION");
}

/* The newest directory "<pid>-*" under @root. */
static int find_dir(const char *root, char *out, size_t size)
{
	char prefix[32], best[256] = "";
	struct dirent *d;
	DIR *dir = opendir(root);
	long bestn = -1;

	if (!dir)
		return -1;
	snprintf(prefix, sizeof(prefix), "%d-", getpid());
	while ((d = readdir(dir))) {
		if (strncmp(d->d_name, prefix, strlen(prefix)))
			continue;
		if (atol(d->d_name + strlen(prefix)) > bestn) {
			bestn = atol(d->d_name + strlen(prefix));
			snprintf(best, sizeof(best), "%s", d->d_name);
		}
	}
	closedir(dir);
	if (bestn < 0)
		return -1;
	snprintf(out, size, "%s/%s", root, best);
	return 0;
}

static void guest_tables(struct vm *vm)
{
	uint64_t *pml4 = (uint64_t *)(vm->low + PML4_GPA);
	uint64_t *pdpt = (uint64_t *)(vm->low + PDPT_GPA);
	uint64_t *pd = (uint64_t *)(vm->low + PD_GPA);
	uint64_t *pd2 = (uint64_t *)(vm->low + PD2_GPA);
	uint64_t *pt = (uint64_t *)(vm->low + PT_GPA);
	int i;

	memset(vm->low, 0, 0x10000);
	pml4[0] = PDPT_GPA | 3;
	pdpt[0] = PD_GPA | 3;
	pdpt[1] = PD2_GPA | 3;
	for (i = 0; i < 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;	/* 2 MiB pages: P, W, PS */
	pd2[0] = PT_GPA | 3;
	for (i = 0; i < 512; i++)
		pt[i] = (DATA_GPA + ((uint64_t)i << 12)) | 3;
	memcpy(vm->low + CODE_GPA, guest_start, guest_end - guest_start);
}

/*
 * The vCPU gets KVM's supported CPUID, as a VMM sets it: KVM checks CR4
 * and EFER against the guest's CPUID (CR4.PAE and EFER.LME need it).
 */
static void set_cpuid(struct vm *vm)
{
	int n = 256;
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

	if (!c)
		die("calloc cpuid");
	c->nent = n;
	if (ioctl(vm->kvm, KVM_GET_SUPPORTED_CPUID, c))
		die("KVM_GET_SUPPORTED_CPUID");
	if (ioctl(vm->vcpu, KVM_SET_CPUID2, c))
		die("KVM_SET_CPUID2");
	free(c);
}

static void vm_create(struct vm *vm)
{
	struct kvm_segment code = { .base = 0, .limit = 0xffffffff, .selector = 8, .type = 11,
				    .present = 1, .s = 1, .l = 1, .g = 1 };
	struct kvm_segment data = { .base = 0, .limit = 0xffffffff, .selector = 16, .type = 3,
				    .present = 1, .s = 1, .db = 1, .g = 1 };
	struct kvm_sregs sregs;
	int size;

	memset(vm, 0, sizeof(*vm));
	vm->kvm = open("/dev/kvm", O_RDWR);
	if (vm->kvm < 0)
		die("/dev/kvm");
	vm->fd = ioctl(vm->kvm, KVM_CREATE_VM, vm_type_arg);
	if (vm->fd < 0)
		die("KVM_CREATE_VM");
	vm->low = map_huge(LOW_SIZE);
	vm->data = map_huge(DATA_SIZE);
	guest_tables(vm);
	set_slot(vm, 0, 0, LOW_SIZE, vm->low, 0);
	set_slot(vm, 1, DATA_GPA, DATA_SIZE, vm->data, 0);
	vm->vcpu = ioctl(vm->fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu < 0)
		die("KVM_CREATE_VCPU");
	size = ioctl(vm->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size <= 0)
		die("KVM_GET_VCPU_MMAP_SIZE");
	vm->run_size = size;
	vm->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu, 0);
	if (vm->run == MAP_FAILED)
		die("mmap kvm_run");
	set_cpuid(vm);
	if (ioctl(vm->vcpu, KVM_GET_SREGS, &sregs))
		die("KVM_GET_SREGS");
	sregs.cs = code;
	sregs.ds = data;
	sregs.es = data;
	sregs.fs = data;
	sregs.gs = data;
	sregs.ss = data;
	sregs.cr0 = 0x80050033;		/* PG, WP, NE, ET, MP, PE */
	sregs.cr3 = PML4_GPA;
	sregs.cr4 = 0x20;		/* PAE */
	sregs.efer = 0x500;		/* LME, LMA */
	if (ioctl(vm->vcpu, KVM_SET_SREGS, &sregs))
		die("KVM_SET_SREGS");
	if (find_dir(KDBG "/kvm", vm->kvm_dir, sizeof(vm->kvm_dir)))
		die("KVM debugfs directory");
	if (find_dir(KDBG "/pmem_policy", vm->pmp_dir, sizeof(vm->pmp_dir)))
		snprintf(vm->pmp_dir, sizeof(vm->pmp_dir), "(untracked)");
}

/*
 * Free memory in kB: the buddy allocator's free pages plus those parked on
 * the per-CPU lists (which hold freed THPs too), from /proc/zoneinfo.
 */
static long long free_kb(void)
{
	static char buf[1 << 16];
	long long pages = 0;
	char *p;

	if (read_file("/proc/zoneinfo", buf, sizeof(buf)))
		return -1;
	for (p = buf; (p = strstr(p, "nr_free_pages ")); p++)
		pages += strtoll(p + 14, NULL, 10);
	for (p = buf; (p = strstr(p, "count: ")); p++)
		pages += strtoll(p + 7, NULL, 10);
	return pages * 4;
}

/*
 * Unmap the guest memory: its pages are freed only if nobody holds a
 * reference any more, which the free counts show without asking the module.
 */
static long long unmap_guest_memory(void)
{
	long long before = free_kb();
	int i;

	for (i = 0; i < 2; i++)
		munmap(maps[i].addr, maps[i].size);
	return free_kb() - before;
}

/* The last reference to the VM goes: KVM destroys it synchronously. */
static void vm_destroy(struct vm *vm)
{
	munmap(vm->run, vm->run_size);
	close(vm->vcpu);
	close(vm->fd);
	close(vm->kvm);
}

static uint64_t vm_run(struct vm *vm, uint64_t cmd, uint64_t a, uint64_t b, uint64_t c)
{
	struct kvm_regs regs = { .rax = cmd, .rdi = a, .rsi = b, .rdx = c, .rip = CODE_GPA,
				 .rsp = STACK_TOP, .rflags = 2 };

	if (ioctl(vm->vcpu, KVM_SET_REGS, &regs))
		die("KVM_SET_REGS");
	for (;;) {
		if (ioctl(vm->vcpu, KVM_RUN, 0) && errno != EINTR) {
			/* A leaf the policy refused: a clean exit, and the retry works. */
			if ((allow_refusals || stop_on_refusal) && errno == ENOMEM &&
			    vm->run->exit_reason == KVM_EXIT_MEMORY_FAULT) {
				refusals++;
				if (stop_on_refusal)
					return UINT64_MAX;
				continue;
			}
			die("KVM_RUN");
		}
		if (vm->run->exit_reason == KVM_EXIT_IO && vm->run->io.port == EXIT_PORT)
			break;
		if (vm->run->exit_reason == KVM_EXIT_INTR)
			continue;
		printf("PMP-FAIL %s: unexpected exit %u\n", scenario, vm->run->exit_reason);
		exit(101);
	}
	if (ioctl(vm->vcpu, KVM_GET_REGS, &regs))
		die("KVM_GET_REGS");
	return regs.rbx;
}

static long long guest_sum(struct vm *vm)
{
	return (long long)vm_run(vm, CMD_SUM, DATA_GPA, DATA_SIZE, 0);
}

static void touch_all(struct vm *vm)
{
	vm_run(vm, CMD_TOUCH, DATA_GPA, DATA_SIZE, 0);
}

static int set_policy(struct vm *vm, const char *s)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/policy", vm->pmp_dir);
	return write_file(path, s);
}

static void get_policy(struct vm *vm, char *buf, size_t size)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/policy", vm->pmp_dir);
	if (read_file(path, buf, size))
		buf[0] = '\0';
}

static int ticks(struct vm *vm, int n)
{
	char path[512], s[16];

	snprintf(path, sizeof(path), "%s/tick", vm->pmp_dir);
	snprintf(s, sizeof(s), "%d", n);
	return write_file(path, s);
}

/* Mapped guest pages by KVM's own count of leaf SPTEs. */
static long long mapped_pages(struct vm *vm)
{
	return kvm_stat(vm, "pages_4k") + 512 * kvm_stat(vm, "pages_2m") +
	       262144 * kvm_stat(vm, "pages_1g");
}

/* The kB figure of a "Key:   N kB" line of a /proc file; -1 if absent. */
static long long proc_kb(const char *path, const char *key)
{
	char buf[4096], *p;

	if (read_file(path, buf, sizeof(buf)))
		return -1;
	p = strstr(buf, key);
	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

/* The VMM's THP-backed memory, from /proc/self/smaps_rollup. */
static long long anon_huge_kb(void)
{
	return proc_kb("/proc/self/smaps_rollup", "AnonHugePages:");
}

static void table_header(void)
{
	printf("# VMM memory in THPs: %lld kB\n", anon_huge_kb());
	printf("| %-22s | %7s | %8s | %8s | %8s | %8s | %7s | %6s | %6s |\n", "policy / step",
	       "faults", "spte 4K", "spte 2M", "pages_4k", "pages_2m", "pinned", "splits",
	       "merges");
	printf("|%s|%s|\n", "------------------------|---------|----------|----------",
	       "----------|----------|---------|--------|--------");
}

static void table_row(struct vm *vm, const char *what)
{
	printf("| %-22s | %7lld | %8lld | %8lld | %8lld | %8lld | %7lld | %6lld | %6lld |\n", what,
	       kvm_stat(vm, "pf_taken"), hist_count("kvm_mmu_set_spte", "level:", 1),
	       hist_count("kvm_mmu_set_spte", "level:", 2), kvm_stat(vm, "pages_4k"),
	       kvm_stat(vm, "pages_2m"), pmp_pinned(vm, "pinned"),
	       hist_count("kvm_mmu_split_huge_page", "level:", -1), pmp_stat(vm, "promoted_2m"));
	fflush(stdout);
}

/* A policy string set at creation, one touch of all data, level checks. */
static void run_level(const char *policy, int want_2m)
{
	struct vm vm;

	hist_reset();
	vm_create(&vm);
	if (!strcmp(scenario, "nopolicy"))
		check(!strcmp(vm.pmp_dir, "(untracked)"), "no pmem_policy state for the VM");
	if (policy)
		check(!set_policy(&vm, policy), "policy \"%s\" accepted", policy);
	touch_all(&vm);
	check(guest_sum(&vm) == DATA_PAGES,
	      "guest sums its %lld touched pages", DATA_PAGES);
	table_header();
	table_row(&vm, policy ? policy : "(default)");
	if (want_2m) {
		check(hist_count("kvm_mmu_set_spte", "level:", 2) > 0 &&
		      kvm_stat(&vm, "pages_2m") > 0, "2M SPTEs present (%lld)",
		      kvm_stat(&vm, "pages_2m"));
	} else {
		check(hist_count("kvm_mmu_set_spte", "level:", 2) == 0 &&
		      kvm_stat(&vm, "pages_2m") == 0 && kvm_stat(&vm, "pages_4k") >= DATA_PAGES,
		      "no 2M SPTE, %lld 4K SPTEs", kvm_stat(&vm, "pages_4k"));
		check(pmp_stat(&vm, "max_level_lowered") > 0, "the policy lowered %lld faults",
		      pmp_stat(&vm, "max_level_lowered"));
	}
	vm_destroy(&vm);
	printf("# unmapping the guest memory freed %lld kB\n", unmap_guest_memory());
}

/* Default policy first, then 4K from the next fault on. */
static void run_switch(void)
{
	struct vm vm;
	long long l2, l1;

	hist_reset();
	vm_create(&vm);
	table_header();
	vm_run(&vm, CMD_TOUCH, DATA_GPA, DATA_SIZE / 2, 0);
	table_row(&vm, "first half (default)");
	l2 = hist_count("kvm_mmu_set_spte", "level:", 2);
	l1 = hist_count("kvm_mmu_set_spte", "level:", 1);
	check(l2 > 0, "2M SPTEs before the switch (%lld)", l2);
	check(!set_policy(&vm, "max_level=4k"), "switch to max_level=4k");
	vm_run(&vm, CMD_TOUCH, DATA_GPA + DATA_SIZE / 2, DATA_SIZE / 2, 0);
	table_row(&vm, "second half (4k)");
	check(hist_count("kvm_mmu_set_spte", "level:", 2) == l2 &&
	      hist_count("kvm_mmu_set_spte", "level:", 1) - l1 >= (long long)DATA_PAGES / 2,
	      "after the switch: no new 2M SPTE, %lld new 4K SPTEs",
	      hist_count("kvm_mmu_set_spte", "level:", 1) - l1);
	check(pmp_stat(&vm, "policy_switches") == 1, "one live switch counted");
	vm_destroy(&vm);
}

/* Bad writes fail with -EINVAL and change nothing. */
static void run_bad_writes(void)
{
	static const char * const bad[] = {
		"bogus", "max_level=5m", "scan_ratio=0", "pin=", ",,,", "max_level=4k,x=1",
		"yield_threshold=99999999", "\x01\x02\xff", "upstream,recycle",
	};
	char before[512], after[512], big[600];
	struct vm vm;
	unsigned int i;
	int ok = 1, ret;

	vm_create(&vm);
	get_policy(&vm, before, sizeof(before));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ret = set_policy(&vm, bad[i]);
		get_policy(&vm, after, sizeof(after));
		if (ret != -EINVAL || strcmp(before, after)) {
			printf("# \"%s\": %d\n", bad[i], ret);
			ok = 0;
		}
	}
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ret = set_policy(&vm, big);
	get_policy(&vm, after, sizeof(after));
	check(ok && ret == -EINVAL && !strcmp(before, after),
	      "%zu bad policy writes -> -EINVAL, policy unchanged",
	      ARRAY_SIZE(bad) + 1);
	check(pmp_stat(&vm, "policy_refused") == (long long)(ARRAY_SIZE(bad)),
	      "refusals counted (%lld)", pmp_stat(&vm, "policy_refused"));
	{
		char path[512];

		snprintf(path, sizeof(path), "%s/tick", vm.pmp_dir);
		check(write_file(path, "0") == -EINVAL && write_file(path, "x") == -EINVAL &&
		      write_file(path, "100000") == -EINVAL, "bad tick writes -> -EINVAL");
		snprintf(path, sizeof(path), "%s/check", vm.pmp_dir);
		read_file(path, after, sizeof(after));
		check(!strncmp(after, "ok", 2), "core invariants hold: %.*s", 2, after);
	}
	touch_all(&vm);
	check(guest_sum(&vm) == DATA_PAGES, "guest still runs");
	vm_destroy(&vm);
}

/* Pin on fault (module loaded with vm_type=sev). */
/*
 * Every pin of shared memory is a FOLL_PIN|FOLL_LONGTERM pin taken before
 * its fault: the kernel's own folio_maybe_dma_pinned() says so for each,
 * none lies in ZONE_MOVABLE or CMA, none is left unused by a leaf.
 */
static void check_longterm(struct vm *vm, const char *when)
{
	long long refs = pmp_pinned(vm, "references");

	check(refs > 0 && pmp_pinned(vm, "longterm") == refs &&
	      pmp_pinned(vm, "dma_pinned") == refs && pmp_pinned(vm, "unused") == 0 &&
	      pmp_pinned(vm, "movable") == 0 && pmp_stat(vm, "pins_longterm") >= refs,
	      "%s: %lld pins, %lld FOLL_LONGTERM, %lld folio_maybe_dma_pinned, %lld unused, %lld in ZONE_MOVABLE/CMA (%lld long-term pins taken, %lld leaves retried for one)",
	      when, refs, pmp_pinned(vm, "longterm"), pmp_pinned(vm, "dma_pinned"),
	      pmp_pinned(vm, "unused"), pmp_pinned(vm, "movable"), pmp_stat(vm, "pins_longterm"),
	      pmp_stat(vm, "map_retry_no_longterm"));
}

static void run_pin(void)
{
	long long held0 = pages_held(), pinned, mapped, refs, freed, low_4k;
	struct vm vm;

	hist_reset();
	vm_create(&vm);
	/*
	 * Every other page of the first 2 MiB at 4K first: its 256 runs of
	 * unpinned pages are more than one action array holds when that range
	 * is mapped 2M next; the module must still pin all of its pages.
	 */
	check(!set_policy(&vm, "max_level=4k"), "policy max_level=4k");
	vm_run(&vm, CMD_TOUCH_STRIDE, DATA_GPA, 2 * MIB, 8192);
	table_header();
	table_row(&vm, "4K, every other page");
	check(pmp_pinned(&vm, "pinned") >= 256 && pmp_pinned(&vm, "pinned") == mapped_pages(&vm),
	      "pinned %lld == mapped %lld (256 data pages, the rest low memory)",
	      pmp_pinned(&vm, "pinned"), mapped_pages(&vm));
	check(!set_policy(&vm, "max_level=1g"), "policy max_level=1g");
	touch_all(&vm);
	table_row(&vm, "pin=fault");
	pinned = pmp_pinned(&vm, "pinned");
	refs = pmp_pinned(&vm, "references");
	mapped = mapped_pages(&vm);
	check(pinned > 0 && pinned == mapped && refs == pinned,
	      "pinned %lld == faulted (mapped by KVM) %lld == page references %lld", pinned,
	      mapped, refs);
	check(kvm_stat(&vm, "pages_2m") >= 32 && pmp_stat(&vm, "map_pin_leaf") > 0,
	      "the fragmented 2 MiB range mapped 2M and pinned whole (%lld 2M, %lld leaves)",
	      kvm_stat(&vm, "pages_2m"), pmp_stat(&vm, "map_pin_leaf"));
	check(pages_held() - held0 == pinned, "module holds %lld page references",
	      pages_held() - held0);
	check_longterm(&vm, "pin=fault");
	low_4k = kvm_stat(&vm, "pages_4k");
	/*
	 * Delete the data slot and add it back: KVM's VM-wide zap keeps every
	 * pin; the slot's own pins go with it (issue 13 #1), the low slot's
	 * stay, and the module's references follow the core exactly.
	 */
	set_slot(&vm, 1, DATA_GPA, 0, vm.data, 0);
	check(pmp_pinned(&vm, "pinned") > 0 && pmp_pinned(&vm, "pinned") < pinned &&
	      pmp_pinned(&vm, "references") == pmp_pinned(&vm, "pinned") &&
	      pages_held() - held0 == pmp_pinned(&vm, "pinned"),
	      "memslot delete released the slot's pins only (%lld of %lld left, references %lld)",
	      pmp_pinned(&vm, "pinned"), pinned, pmp_pinned(&vm, "references"));
	set_slot(&vm, 1, DATA_GPA, DATA_SIZE, vm.data, 0);
	touch_all(&vm);
	table_row(&vm, "slot deleted, re-added");
	/*
	 * The memslot zap took the low slot's 4K leaves too: it re-faults 2M
	 * and pins the rest of its 2 MiB; the new data pages are pinned once.
	 */
	check(pmp_pinned(&vm, "pinned") == mapped_pages(&vm) &&
	      pmp_pinned(&vm, "pinned") - pinned == 512 - low_4k &&
	      pmp_pinned(&vm, "references") == pmp_pinned(&vm, "pinned"),
	      "after re-add and re-fault: pinned %lld == mapped, references %lld (no double pin)",
	      pmp_pinned(&vm, "pinned"), pmp_pinned(&vm, "references"));
	check(pmp_stat(&vm, "zap_memslot") > 0 && pmp_stat(&vm, "pin_errors") == 0,
	      "memslot zaps seen (%lld), no pin error", pmp_stat(&vm, "zap_memslot"));
	check_longterm(&vm, "slot re-added");
	/*
	 * The pin hook sizes each leaf with a query that counts nothing, so
	 * the core counts every fault's decision once: in the max_level hook.
	 */
	check(pmp_stat(&vm, "max_level_calls") > 0 &&
	      pmp_stat(&vm, "max_level_tried") ==
	      pmp_stat(&vm, "max_level_calls") - pmp_stat(&vm, "max_level_errors"),
	      "decisions counted once: core max_level_tried %lld == max_level hook calls %lld - errors %lld",
	      pmp_stat(&vm, "max_level_tried"), pmp_stat(&vm, "max_level_calls"),
	      pmp_stat(&vm, "max_level_errors"));
	vm_destroy(&vm);
	check(pages_held() == held0, "after VM destroy: page references back to %lld (now %lld)",
	      held0, pages_held());
	freed = unmap_guest_memory();
	check(freed >= (long long)(DATA_SIZE >> 10), "unmapping the guest memory freed %lld kB",
	      freed);
}

/* The process's VmPin in kB (mm->pinned_vm), from /proc/self/status. */
static long long vm_pin_kb(void)
{
	return proc_kb("/proc/self/status", "VmPin:");
}

/* Drop CAP_IPC_LOCK from the effective set: RLIMIT_MEMLOCK then applies. */
static void drop_ipc_lock(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		die("capget");
	d[CAP_IPC_LOCK / 32].effective &= ~(1U << (CAP_IPC_LOCK % 32));
	if (syscall(SYS_capset, &h, d))
		die("capset");
}

/*
 * Pins are charged to the VMM's locked memory (VmPin) and bounded by its
 * RLIMIT_MEMLOCK, as KVM's SEV pins are: with CAP_IPC_LOCK dropped and an
 * 8 MiB limit, the fault that would pass it is refused cleanly (a
 * KVM_EXIT_MEMORY_FAULT with ENOMEM, nothing mapped unpinned); raised, the
 * retried faults map.  Switching the SEV VM live to pin=launch on the way
 * keeps pinning new faults (issue 19 #6).
 */
static void run_pin_limit(void)
{
	long long held0 = pages_held(), pin0 = vm_pin_kb(), limit_kb = 8192, locked, locked1, sum;
	struct rlimit rl;
	struct vm vm;

	drop_ipc_lock();
	if (getrlimit(RLIMIT_MEMLOCK, &rl))
		die("getrlimit");
	rl.rlim_cur = limit_kb << 10;
	if (rl.rlim_max < rl.rlim_cur)
		rl.rlim_max = rl.rlim_cur;
	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		die("setrlimit 8 MiB");
	vm_create(&vm);
	stop_on_refusal = 1;
	vm_run(&vm, CMD_TOUCH, DATA_GPA, DATA_SIZE, 0);
	stop_on_refusal = 0;
	table_header();
	table_row(&vm, "RLIMIT_MEMLOCK 8 MiB");
	locked = pmp_pinned(&vm, "locked");
	locked1 = locked;
	check(refusals == 1 && pmp_stat(&vm, "pin_limit_refused") == 1 &&
	      pmp_stat(&vm, "map_refused") == 1,
	      "the fault past RLIMIT_MEMLOCK refused: KVM_EXIT_MEMORY_FAULT with ENOMEM (module: %lld)",
	      pmp_stat(&vm, "pin_limit_refused"));
	check(locked > 0 && locked * 4 <= limit_kb && vm_pin_kb() - pin0 == locked * 4 &&
	      locked == pmp_pinned(&vm, "pinned") && locked == pmp_pinned(&vm, "references") &&
	      locked == mapped_pages(&vm),
	      "VmPin +%lld kB == 4 x locked %lld <= %lld kB; == pinned == references == mapped %lld",
	      vm_pin_kb() - pin0, locked, limit_kb, mapped_pages(&vm));
	check_longterm(&vm, "after the refusal");
	rl.rlim_cur = RLIM_INFINITY;
	rl.rlim_max = RLIM_INFINITY;
	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		die("setrlimit unlimited");
	check(!set_policy(&vm, "pin=launch"), "SEV VM switched live to pin=launch");
	touch_all(&vm);
	table_row(&vm, "limit raised, pin=launch");
	locked = pmp_pinned(&vm, "locked");
	check(locked == mapped_pages(&vm) && locked >= DATA_PAGES &&
	      locked == pmp_pinned(&vm, "pinned") && locked == pmp_pinned(&vm, "references") &&
	      vm_pin_kb() - pin0 == locked * 4,
	      "under pin=launch new faults still pinned: %lld locked == mapped %lld, VmPin +%lld kB",
	      locked, mapped_pages(&vm), vm_pin_kb() - pin0);
	sum = guest_sum(&vm);
	check(sum > DATA_PAGES && sum <= DATA_PAGES + locked1,
	      "guest sums %lld: every page once, the pages mapped before the refusal twice", sum);
	vm_destroy(&vm);
	check(vm_pin_kb() == pin0 && pages_held() == held0,
	      "after destroy: VmPin back to %lld kB (now %lld), references back to %lld (now %lld)",
	      pin0, vm_pin_kb(), held0, pages_held());
}

#ifndef MAP_HUGE_1GB
#define MAP_HUGE_1GB (30 << 26)
#endif

/* The guest's VA 2 GiB maps GPA 2 GiB (1 GiB, 2 MiB pages): HUGE_GPA. */
static void map_huge_gpa(struct vm *vm)
{
	uint64_t *pdpt = (uint64_t *)(vm->low + PDPT_GPA);
	uint64_t *pd3 = (uint64_t *)(vm->low + PD3_GPA);
	int i;

	for (i = 0; i < 512; i++)
		pd3[i] = (HUGE_GPA + ((uint64_t)i << 21)) | 0x83;
	pdpt[2] = PD3_GPA | 3;
}

/* A 1 GiB hugetlb mapping (the rig reserves one page), or NULL. */
static void *map_gib(void)
{
	void *p = mmap(NULL, GIB, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_1GB, -1, 0);

	if (p != MAP_FAILED)
		return p;
	check(0, "a 1 GiB hugetlb page (boot with hugepagesz=1G hugepages=1): %s",
	      strerror(errno));
	return NULL;
}

/* [gpa, gpa + size) private (1) or shared (0), as a VMM converts. */
static void set_private(struct vm *vm, uint64_t gpa, uint64_t size, int private)
{
	struct pmp_kvm_memory_attributes a = {
		.address = gpa, .size = size,
		.attributes = private ? PMP_KVM_MEMORY_ATTRIBUTE_PRIVATE : 0,
	};

	if (ioctl(vm->fd, PMP_KVM_SET_MEMORY_ATTRIBUTES, &a))
		die("KVM_SET_MEMORY_ATTRIBUTES");
}

/*
 * Slot @r goes, the 4K page 4 MiB into it turns @private while no memslot
 * covers it (KVM's set_attributes hook does not run), the slot comes back;
 * one guest touch per 2 MiB.  The module converted each private run the
 * deletion took and the creation brought: @replayed in all.
 */
static void set_without_slot(struct vm *vm, struct pmp_kvm_userspace_memory_region2 *r,
			     int private, long long replayed)
{
	uint64_t size = r->memory_size;

	r->memory_size = 0;
	if (ioctl(vm->fd, PMP_KVM_SET_USER_MEMORY_REGION2, r))
		die("KVM_SET_USER_MEMORY_REGION2 (delete)");
	set_private(vm, r->guest_phys_addr + 4 * MIB, 4096, private);
	r->memory_size = size;
	if (ioctl(vm->fd, PMP_KVM_SET_USER_MEMORY_REGION2, r))
		die("KVM_SET_USER_MEMORY_REGION2 (again)");
	vm_run(vm, CMD_TOUCH_STRIDE, r->guest_phys_addr, size, 2 * MIB);
	table_row(vm, private ? "4K private, no slot" : "shared, no slot");
	check(pmp_stat(vm, "convert_replayed") == replayed && pmp_stat(vm, "converts") == 3 &&
	      pmp_stat(vm, "convert_refused") == 0,
	      "%s while no slot: the core followed KVM's attributes (%lld replayed, %lld converts, %lld refused)",
	      private ? "private" : "shared", pmp_stat(vm, "convert_replayed"),
	      pmp_stat(vm, "converts"), pmp_stat(vm, "convert_refused"));
}

/*
 * Private memory for real: a KVM_X86_SW_PROTECTED_VM whose 1 GiB memslot at
 * GPA 2 GiB has a 1 GiB hugetlb page as its shared half and a guest_memfd
 * as its private half.  Conversions at 4K, 2M and 1G granularity
 * (KVM_SET_MEMORY_ATTRIBUTES) and a PUNCH_HOLE, each followed by one guest
 * touch per 2 MiB, asserted on KVM's own leaf counts (pages_4k/2m/1g; in
 * 6.12 a guest_memfd maps 4 KiB pages only) and on the zaps the module was
 * told of.
 */
static void run_convert(void)
{
	long long held0 = pages_held(), k4, m2, higher, lowered;
	struct pmp_kvm_create_guest_memfd g = { .size = GIB };
	struct pmp_kvm_userspace_memory_region2 r = {
		.slot = 2, .flags = PMP_KVM_MEM_GUEST_MEMFD, .guest_phys_addr = HUGE_GPA,
		.memory_size = GIB, .guest_memfd_offset = 0,
	};
	struct vm vm;
	void *huge;
	int gmem;

	huge = map_gib();
	if (!huge)
		return;
	vm_type_arg = KVM_X86_SW_PROTECTED_VM;
	vm_create(&vm);
	vm_type_arg = 0;
	check(!set_policy(&vm, "max_level=1g"), "policy max_level=1g");
	map_huge_gpa(&vm);
	gmem = ioctl(vm.fd, PMP_KVM_CREATE_GUEST_MEMFD, &g);
	if (gmem < 0)
		die("KVM_CREATE_GUEST_MEMFD");
	r.userspace_addr = (uintptr_t)huge;
	r.guest_memfd = gmem;
	if (ioctl(vm.fd, PMP_KVM_SET_USER_MEMORY_REGION2, &r))
		die("KVM_SET_USER_MEMORY_REGION2 (guest_memfd)");
	table_header();
	vm_run(&vm, CMD_TOUCH_STRIDE, HUGE_GPA, GIB, 2 * MIB);
	table_row(&vm, "all shared");
	check(kvm_stat(&vm, "pages_1g") == 1, "shared: one 1G leaf (pages_1g %lld)",
	      kvm_stat(&vm, "pages_1g"));
	/* the other slots' leaves (the low 2 MiB) stay as they are */
	m2 = kvm_stat(&vm, "pages_2m");
	k4 = kvm_stat(&vm, "pages_4k");

	set_private(&vm, HUGE_GPA, 4096, 1);	/* 4K granularity */
	vm_run(&vm, CMD_TOUCH_STRIDE, HUGE_GPA, GIB, 2 * MIB);
	table_row(&vm, "4K private");
	check(kvm_stat(&vm, "pages_1g") == 0 && kvm_stat(&vm, "pages_2m") - m2 == 511 &&
	      kvm_stat(&vm, "pages_4k") - k4 == 1,
	      "one 4K page private: 1G gone, 511 2M shared leaves, the private page 4K (%lld 1g, +%lld 2m, +%lld 4k)",
	      kvm_stat(&vm, "pages_1g"), kvm_stat(&vm, "pages_2m") - m2,
	      kvm_stat(&vm, "pages_4k") - k4);

	set_private(&vm, HUGE_GPA + 2 * MIB, 2 * MIB, 1);	/* 2M granularity */
	vm_run(&vm, CMD_TOUCH_STRIDE, HUGE_GPA, GIB, 2 * MIB);
	table_row(&vm, "+2M private");
	check(kvm_stat(&vm, "pages_2m") - m2 == 510 && kvm_stat(&vm, "pages_4k") - k4 == 2,
	      "a 2M range private: its 2M leaf zapped, re-faulted private at 4K (+%lld 2m, +%lld 4k)",
	      kvm_stat(&vm, "pages_2m") - m2, kvm_stat(&vm, "pages_4k") - k4);

	/* The private pages' memory goes: KVM zaps what it mapped from it. */
	if (fallocate(gmem, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4 * MIB))
		die("guest_memfd PUNCH_HOLE");
	check(kvm_stat(&vm, "pages_4k") == k4 && pmp_stat(&vm, "zap_notifier") > 0,
	      "PUNCH_HOLE: the 2 private 4K leaves zapped (+%lld 4k left), the module told (%lld)",
	      kvm_stat(&vm, "pages_4k") - k4, pmp_stat(&vm, "zap_notifier"));

	set_private(&vm, HUGE_GPA, GIB, 0);	/* 1G granularity */
	vm_run(&vm, CMD_TOUCH_STRIDE, HUGE_GPA, GIB, 2 * MIB);
	table_row(&vm, "1G shared again");
	check(kvm_stat(&vm, "pages_1g") == 1 && kvm_stat(&vm, "pages_2m") == m2 &&
	      kvm_stat(&vm, "pages_4k") == k4,
	      "the 1 GiB shared again: one 1G leaf, its 2M and 4K leaves gone (%lld 1g, +%lld 2m, +%lld 4k)",
	      kvm_stat(&vm, "pages_1g"), kvm_stat(&vm, "pages_2m") - m2,
	      kvm_stat(&vm, "pages_4k") - k4);
	check(pmp_stat(&vm, "zap_attributes") >= 3 && pmp_stat(&vm, "map_1g") >= 2 &&
	      pmp_stat(&vm, "map_refused") == 0,
	      "the module saw each conversion's zap (%lld) and the leaves (%lld 1G)",
	      pmp_stat(&vm, "zap_attributes"), pmp_stat(&vm, "map_1g"));
	/* one set_attributes call per ioctl: each range lies in slot 2 */
	check(pmp_stat(&vm, "converts") == 3 && pmp_stat(&vm, "convert_refused") == 0,
	      "the core converted each KVM_SET_MEMORY_ATTRIBUTES range (%lld, %lld refused)",
	      pmp_stat(&vm, "converts"), pmp_stat(&vm, "convert_refused"));
	/*
	 * KVM maps the private pages at 4K and still shows them to the core
	 * (patch 0007).  Told of each conversion (patch 0008), the core
	 * limits the shared faults next to a private page to 2M as KVM's
	 * mixed-attribute tracking does: no answer above KVM's (511 "higher"
	 * before patch 0008).
	 */
	check(pmp_stat(&vm, "diff_private") >= 2 && pmp_stat(&vm, "diff_higher") == 0,
	      "the differential compared the private faults too, none above KVM (%lld private; %lld same, %lld higher, %lld lowered)",
	      pmp_stat(&vm, "diff_private"), pmp_stat(&vm, "diff_same"),
	      pmp_stat(&vm, "diff_higher"), pmp_stat(&vm, "max_level_lowered"));

	/*
	 * Attributes belong to gfns: a page set private while no memslot
	 * covers it (KVM's hook does not run) is private when the slot comes
	 * back, and the module replays it into the core at creation.  Without
	 * the replay the core maps 1G over KVM's 2M: 511 "higher".
	 */
	higher = pmp_stat(&vm, "diff_higher");
	set_without_slot(&vm, &r, 1, 1);
	check(kvm_stat(&vm, "pages_1g") == 0 && kvm_stat(&vm, "pages_2m") - m2 == 511 &&
	      kvm_stat(&vm, "pages_4k") - k4 == 1 && pmp_stat(&vm, "diff_higher") == higher,
	      "KVM mapped it as set before the slot: 511 2M, the private page 4K, none above KVM (%lld 1g, +%lld 2m, +%lld 4k, +%lld higher)",
	      kvm_stat(&vm, "pages_1g"), kvm_stat(&vm, "pages_2m") - m2,
	      kvm_stat(&vm, "pages_4k") - k4, pmp_stat(&vm, "diff_higher") - higher);

	/*
	 * The other way: the slot goes while the page is private (the core
	 * forgets it: KVM alone holds it), the page turns shared with no slot
	 * over it, the slot comes back: one 1G leaf, nothing lowered (a core
	 * that kept the page private would limit the 1G fault to 2M).
	 */
	lowered = pmp_stat(&vm, "max_level_lowered");
	higher = pmp_stat(&vm, "diff_higher");
	set_without_slot(&vm, &r, 0, 2);
	check(kvm_stat(&vm, "pages_1g") == 1 && kvm_stat(&vm, "pages_2m") == m2 &&
	      kvm_stat(&vm, "pages_4k") == k4 &&
	      pmp_stat(&vm, "max_level_lowered") == lowered &&
	      pmp_stat(&vm, "diff_higher") == higher,
	      "shared while no slot: one 1G leaf, none lowered or above KVM (%lld 1g, +%lld 2m, +%lld 4k, +%lld lowered, +%lld higher)",
	      kvm_stat(&vm, "pages_1g"), kvm_stat(&vm, "pages_2m") - m2,
	      kvm_stat(&vm, "pages_4k") - k4, pmp_stat(&vm, "max_level_lowered") - lowered,
	      pmp_stat(&vm, "diff_higher") - higher);
	vm_destroy(&vm);
	close(gmem);
	munmap(huge, GIB);
	check(pages_held() == held0, "after destroy: references back to %lld", held0);
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/*
 * A VM under @policy with a 1 GiB hugetlb memslot at HUGE_GPA, not yet
 * touched, the rest of its memory faulted in; *@pinned: the pins so far.
 * Return: the hugetlb mapping, or NULL (none reserved: a failed check).
 */
static void *huge_vm(struct vm *vm, const char *policy, long long *pinned)
{
	void *huge = map_gib();

	if (!huge)
		return NULL;
	vm_create(vm);
	check(!set_policy(vm, policy), "policy %s", policy);
	map_huge_gpa(vm);
	set_slot(vm, 2, HUGE_GPA, GIB, huge, 0);
	touch_all(vm);
	*pinned = pmp_pinned(vm, "pinned");
	return huge;
}

/*
 * A 1 GiB leaf on an SEV VM (module loaded with vm_type=sev): a memslot
 * at GPA 2 GiB on a 1 GiB hugetlb page (the rig boots with hugepages=1)
 * is mapped by KVM as one 1G SPTE (its own pages_1g) and pinned whole:
 * 262,144 records, one atomic on the folio's count, charged to VmPin.  A
 * slot delete releases them all.
 */
static void run_pin_1g(void)
{
	long long held0 = pages_held(), pin0 = vm_pin_kb(), pinned;
	double t0, t1;
	struct vm vm;
	void *huge;

	huge = huge_vm(&vm, "max_level=1g", &pinned);
	if (!huge)
		return;
	t0 = now_ms();
	vm_run(&vm, CMD_TOUCH_STRIDE, HUGE_GPA, GIB, 2 * MIB);
	t1 = now_ms();
	table_header();
	table_row(&vm, "1 GiB hugetlb slot");
	check(kvm_stat(&vm, "pages_1g") == 1 && pmp_stat(&vm, "map_1g") >= 1,
	      "KVM mapped the slot with one 1G SPTE (pages_1g %lld, module map_1g %lld)",
	      kvm_stat(&vm, "pages_1g"), pmp_stat(&vm, "map_1g"));
	check(pmp_pinned(&vm, "pinned") - pinned == 262144 &&
	      pmp_pinned(&vm, "pinned") == mapped_pages(&vm) &&
	      pmp_pinned(&vm, "references") == pmp_pinned(&vm, "pinned") &&
	      pmp_pinned(&vm, "locked") == pmp_pinned(&vm, "pinned") &&
	      vm_pin_kb() - pin0 == 4 * pmp_pinned(&vm, "locked"),
	      "the 1G leaf pinned whole: +%lld pinned == mapped, references %lld, VmPin +%lld kB",
	      pmp_pinned(&vm, "pinned") - pinned, pmp_pinned(&vm, "references"),
	      vm_pin_kb() - pin0);
	check_longterm(&vm, "1 GiB leaf");
	printf("# the guest's run that faulted and pinned the 1 GiB leaf: %.1f ms (TCG)\n", t1 - t0);
	set_slot(&vm, 2, HUGE_GPA, 0, huge, 0);
	check(pmp_pinned(&vm, "pinned") == pinned && pmp_pinned(&vm, "references") == pinned &&
	      vm_pin_kb() - pin0 == 4 * pinned,
	      "slot delete released its 262,144 pins (%lld left, VmPin +%lld kB)",
	      pmp_pinned(&vm, "pinned"), vm_pin_kb() - pin0);
	vm_destroy(&vm);
	munmap(huge, GIB);
	check(vm_pin_kb() == pin0 && pages_held() == held0,
	      "after destroy: VmPin %lld kB, references back to %lld (now %lld)", vm_pin_kb(),
	      held0, pages_held());
}

/*
 * A leaf refused part way through its pins (pin=launch, a pin limit inside
 * a 1 GiB leaf): the module once recorded a leaf's pins in 64-page slices,
 * so a refused slice left the slices before it pinned in the core with
 * their pages released.  A leaf's pins are now recorded whole or not at
 * all: after the refusal the core's pins, the references and the locked
 * memory still agree.
 */
static void run_pin_slice(void)
{
	long long held0 = pages_held(), pin0 = vm_pin_kb(), pinned;
	char policy[64];
	struct vm vm;
	void *huge;

	huge = huge_vm(&vm, "max_level=1g,pin=launch", &pinned);
	if (!huge)
		return;
	snprintf(policy, sizeof(policy), "pin_limit=%lld", pinned + 300);
	check(!set_policy(&vm, policy), "policy %s (300 pages more than pinned)", policy);
	stop_on_refusal = 1;
	refusals = 0;
	vm_run(&vm, CMD_TOUCH_STRIDE, HUGE_GPA, GIB, 2 * MIB);
	stop_on_refusal = 0;
	check(refusals == 1 && pmp_stat(&vm, "map_refused") >= 1,
	      "the leaf past pin_limit refused: KVM_EXIT_MEMORY_FAULT with ENOMEM (%lld)",
	      refusals);
	check(pmp_pinned(&vm, "pinned") == pinned && pmp_pinned(&vm, "references") == pinned &&
	      pmp_pinned(&vm, "locked") == pinned && vm_pin_kb() - pin0 == 4 * pinned,
	      "nothing of the refused leaf stays: pinned %lld (was %lld) == references %lld == locked %lld, VmPin +%lld kB",
	      pmp_pinned(&vm, "pinned"), pinned, pmp_pinned(&vm, "references"),
	      pmp_pinned(&vm, "locked"), vm_pin_kb() - pin0);
	vm_destroy(&vm);
	munmap(huge, GIB);
	check(vm_pin_kb() == pin0 && pages_held() == held0,
	      "after destroy: VmPin %lld kB, references back to %lld (now %lld)", vm_pin_kb(),
	      held0, pages_held());
}

/*
 * "check" while the VM faults: each read copies the state in slices and
 * checks the copy; it answers "ok" or fails with EAGAIN (the state kept
 * changing), never a torn state, and the faults go on.
 */
static int stop_checking;

static void *checker(void *arg)
{
	const char *dir = arg;
	char path[512], buf[64];
	long ok = 0, busy = 0;

	snprintf(path, sizeof(path), "%s/check", dir);
	while (!__atomic_load_n(&stop_checking, __ATOMIC_RELAXED)) {
		int ret = read_file(path, buf, sizeof(buf));

		if (!ret && !strncmp(buf, "ok", 2))
			ok++;
		else if (ret == -EAGAIN)
			busy++;
		else
			return (void *)-1L;
	}
	return (void *)(ok + busy);
}

static void run_check_busy(void)
{
	pthread_t th;
	struct vm vm;
	void *n;
	char buf[64], path[512];

	vm_create(&vm);
	/* 4K leaves: 16,384 state changes while the copies run */
	check(!set_policy(&vm, "max_level=4k"), "policy max_level=4k");
	__atomic_store_n(&stop_checking, 0, __ATOMIC_RELAXED);
	pthread_create(&th, NULL, checker, vm.pmp_dir);
	touch_all(&vm);
	__atomic_store_n(&stop_checking, 1, __ATOMIC_RELAXED);
	pthread_join(th, &n);
	check((long)n > 0, "%ld reads of check during the faults, each \"ok\" or EAGAIN "
	      "(%lld copies restarted)", (long)n, pmp_stat(&vm, "check_retries"));
	snprintf(path, sizeof(path), "%s/check", vm.pmp_dir);
	check(!read_file(path, buf, sizeof(buf)) && !strncmp(buf, "ok", 2),
	      "check after the faults: %.2s", buf);
	check(guest_sum(&vm) == DATA_PAGES, "guest touched every page once");
	vm_destroy(&vm);
}

/*
 * Dirty logging splits; off + merge=settled ticks restore 2M (settled leaves
 * KVM's collapse to them; merge=scan keeps it, as the selftest
 * dirty_log_page_splitting_test checks under upstream).
 */
static void run_dirty(void)
{
	long long before, after;
	struct vm vm;
	int t;

	hist_reset();
	vm_create(&vm);
	check(!set_policy(&vm, "merge=settled,scan_ratio=1"), "policy merge=settled,scan_ratio=1");
	table_header();
	touch_all(&vm);
	table_row(&vm, "touched");
	before = kvm_stat(&vm, "pages_2m");
	check(before >= 31, "2M SPTEs before dirty logging (%lld)", before);
	set_slot(&vm, 1, DATA_GPA, DATA_SIZE, vm.data, KVM_MEM_LOG_DIRTY_PAGES);
	touch_all(&vm);
	table_row(&vm, "dirty logging on");
	check(kvm_stat(&vm, "pages_2m") <= before - 32 &&
	      hist_count("kvm_mmu_split_huge_page", "level:", -1) > 0,
	      "dirty logging split the data slot: pages_2m %lld -> %lld",
	      before, kvm_stat(&vm, "pages_2m"));
	set_slot(&vm, 1, DATA_GPA, DATA_SIZE, vm.data, 0);
	touch_all(&vm);
	table_row(&vm, "dirty logging off");
	check(pmp_stat(&vm, "collapse_deferred") == 1 && kvm_stat(&vm, "pages_2m") < before,
	      "collapse left to the policy's ticks (pages_2m %lld)", kvm_stat(&vm, "pages_2m"));
	for (t = 1; t <= 16; t++) {
		if (ticks(&vm, 1))
			die("tick");
		touch_all(&vm);
		if (kvm_stat(&vm, "pages_2m") >= before)
			break;
	}
	after = kvm_stat(&vm, "pages_2m");
	table_row(&vm, "after merge ticks");
	check(after >= before && t <= 4, "2M restored (%lld) after %d ticks (bound 4)", after, t);
	check(guest_sum(&vm) == 3 * DATA_PAGES + t * DATA_PAGES,
	      "guest data intact through split and merge");
	vm_destroy(&vm);
}

/* Shadow paging (kvm_amd npt=0): the guest rewrites a page table. */
static void run_shadow(void)
{
	uint64_t i, rounds = 4096, want = 0, got;
	struct vm vm;

	hist_reset();
	vm_create(&vm);
	for (i = 0; i < 512; i++)
		*(uint64_t *)(vm.data + (i << 12)) = i;
	for (i = 0; i < rounds; i++)
		want += (7 * i) & 511;
	got = vm_run(&vm, CMD_SHADOW, PT_GPA, DATA_GPA, rounds);
	table_header();
	table_row(&vm, "npt=0 shadow");
	check(got == want, "guest read %llu through its rewritten page table (want %llu)",
	      (unsigned long long)got, (unsigned long long)want);
	printf("# sync_yield hook: calls %lld yields %lld bails %lld; KVM mmu_unsync %lld\n",
	       pmp_stat(&vm, "sync_yield_calls"), pmp_stat(&vm, "sync_yield_yields"),
	       pmp_stat(&vm, "sync_yield_bails"), kvm_stat(&vm, "mmu_unsync"));
	check(pmp_stat(&vm, "sync_yield_calls") > 0, "sync-yield hook called %lld times",
	      pmp_stat(&vm, "sync_yield_calls"));
	touch_all(&vm);
	check(guest_sum(&vm) > 0, "guest touches its data");
	vm_destroy(&vm);
}

static int stop_switching;

static void *switcher(void *arg)
{
	const char *dir = arg;
	char path[512], tick[512];
	long n = 0;

	snprintf(path, sizeof(path), "%s/policy", dir);
	snprintf(tick, sizeof(tick), "%s/tick", dir);
	while (!__atomic_load_n(&stop_switching, __ATOMIC_RELAXED)) {
		int fd = open(path, O_WRONLY);

		if (fd < 0)
			break;		/* the directory is gone */
		/* each write succeeds or fails as a whole; both are fine here */
		n += write(fd, n & 1 ? "max_level=4k" : "max_level=1g", 12) == 12;
		close(fd);
		/*
		 * A tick zaps through KVM: the open file holds the VM, so the
		 * VM is destroyed by this close once the main thread let go.
		 */
		fd = open(tick, O_WRONLY);
		if (fd < 0)
			break;
		if (write(fd, "1", 1) < 0)
			n = -1000000;
		close(fd);
	}
	return (void *)n;
}

/* VMs destroyed while another thread switches their policy. */
static void run_destroy_race(void)
{
	long long held0 = pages_held();
	int i, ok = 1;

	for (i = 0; i < 8; i++) {
		pthread_t th;
		struct vm vm;
		void *n;

		vm_create(&vm);
		__atomic_store_n(&stop_switching, 0, __ATOMIC_RELAXED);
		pthread_create(&th, NULL, switcher, vm.pmp_dir);
		vm_run(&vm, CMD_TOUCH, DATA_GPA, DATA_SIZE / 8, 0);
		vm_destroy(&vm);	/* while the thread writes */
		usleep(1000);
		__atomic_store_n(&stop_switching, 1, __ATOMIC_RELAXED);
		pthread_join(th, &n);
		ok &= (long)n > 0;
	}
	check(ok, "8 VMs destroyed during live policy switches and merge ticks");
	check(pages_held() == held0, "no page reference left (%lld)", pages_held());
}

/* rmmod while a tracked VM lives is refused; after it is gone it works. */
static void run_unload(void)
{
	struct vm vm;
	int ret;

	vm_create(&vm);
	touch_all(&vm);
	ret = syscall(SYS_delete_module, "pmem_policy", O_NONBLOCK);
	check(ret == -1 && (errno == EBUSY || errno == EWOULDBLOCK),
	      "unload refused while a VM lives (%s)", ret ? strerror(errno) : "unloaded!");
	touch_all(&vm);
	check(guest_sum(&vm) == 2 * DATA_PAGES,
	      "VM unharmed by the refused unload");
	vm_destroy(&vm);
}

#define FAIL_EVERY "/sys/module/pmem_policy/parameters/fail_every"

/*
 * Error paths on purpose.  State follows the memslots: a memslot at 64 GiB
 * is governed like any other, and one larger than the module's budget
 * (max_gib=16 GiB of memslots) is refused with ENOMEM before KVM makes it
 * visible.  With fail_every=997, every 997th pin or leaf decision fails as
 * if memory ran out: each refusal is a KVM_EXIT_MEMORY_FAULT with ENOMEM
 * and the retried fault maps; no reference leaks.
 */
static void run_inject(void)
{
	long long held0 = pages_held();
	struct kvm_userspace_memory_region r = {
		.slot = 5, .guest_phys_addr = 64ULL << 30, .memory_size = 2 << 20,
	};
	size_t big = 24ULL << 30;	/* address space only: never touched */
	void *huge_va;
	struct vm vm;
	int ret;

	vm_create(&vm);
	r.userspace_addr = (uintptr_t)vm.data;
	ret = ioctl(vm.fd, KVM_SET_USER_MEMORY_REGION, &r);
	check(ret == 0 && pmp_stat(&vm, "memslot_refused") == 0,
	      "a memslot at 64 GiB is governed, not refused (ret %d)", ret);
	r.memory_size = 0;	/* delete it again */
	ret = ioctl(vm.fd, KVM_SET_USER_MEMORY_REGION, &r);
	check(ret == 0, "the memslot at 64 GiB deleted (ret %d)", ret);
	huge_va = mmap(NULL, big, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (huge_va == MAP_FAILED)
		die("mmap 24 GiB of address space");
	r.guest_phys_addr = 128ULL << 30;
	r.memory_size = big;
	r.userspace_addr = (uintptr_t)huge_va;
	ret = ioctl(vm.fd, KVM_SET_USER_MEMORY_REGION, &r);
	check(ret == -1 && errno == ENOMEM && pmp_stat(&vm, "memslot_refused") == 1,
	      "a 24 GiB memslot, past max_gib=16 GiB of memslots, refused with ENOMEM (ret %d, %s)",
	      ret, strerror(errno));
	munmap(huge_va, big);
	if (write_file(FAIL_EVERY, "997"))
		die(FAIL_EVERY);
	allow_refusals = 1;
	touch_all(&vm);
	check(guest_sum(&vm) == DATA_PAGES, "guest sums its %lld pages through the refusals",
	      DATA_PAGES);
	allow_refusals = 0;
	if (write_file(FAIL_EVERY, "0"))
		die(FAIL_EVERY);
	check(refusals > 0 && refusals == pmp_stat(&vm, "map_refused"),
	      "%lld faults refused, each a KVM_EXIT_MEMORY_FAULT with ENOMEM (module: %lld)",
	      refusals, pmp_stat(&vm, "map_refused"));
	check(pmp_pinned(&vm, "pinned") == pmp_pinned(&vm, "references"),
	      "pinned %lld == references %lld: no page mapped unpinned, none leaked",
	      pmp_pinned(&vm, "pinned"), pmp_pinned(&vm, "references"));
	vm_destroy(&vm);
	check(pages_held() == held0, "after destroy: page references back to %lld (now %lld)",
	      held0, pages_held());
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s nopolicy|default|cap4k|upstream|switch|badwrites|pin|"
			"dirty|shadow|race|unload|inject|pinlimit|checkbusy|pin1g|pinslice|convert\n", argv[0]);
		return 2;
	}
	scenario = argv[1];
	if (!strcmp(scenario, "default") || !strcmp(scenario, "nopolicy"))
		run_level(NULL, 1);
	else if (!strcmp(scenario, "cap4k"))
		run_level("max_level=4k", 0);
	else if (!strcmp(scenario, "upstream"))
		run_level("upstream", 1);
	else if (!strcmp(scenario, "switch"))
		run_switch();
	else if (!strcmp(scenario, "badwrites"))
		run_bad_writes();
	else if (!strcmp(scenario, "pin"))
		run_pin();
	else if (!strcmp(scenario, "dirty"))
		run_dirty();
	else if (!strcmp(scenario, "shadow"))
		run_shadow();
	else if (!strcmp(scenario, "race"))
		run_destroy_race();
	else if (!strcmp(scenario, "unload"))
		run_unload();
	else if (!strcmp(scenario, "inject"))
		run_inject();
	else if (!strcmp(scenario, "pinlimit"))
		run_pin_limit();
	else if (!strcmp(scenario, "checkbusy"))
		run_check_busy();
	else if (!strcmp(scenario, "pin1g"))
		run_pin_1g();
	else if (!strcmp(scenario, "pinslice"))
		run_pin_slice();
	else if (!strcmp(scenario, "convert"))
		run_convert();
	else
		return 2;
	printf("PMP-END %s: %d failures\n", scenario, failures);
	return failures ? 1 : 0;
}
