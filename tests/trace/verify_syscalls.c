// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Load pmp-trace record's syscall programs (sys_enter, sys_exit: memslot,
 * attribute and guest_memfd ioctls, fallocate, madvise) into the running
 * kernel, so the verifier judges them on any host with BTF, /dev/kvm or
 * not.  The KVM tracepoint programs need the kvm module's BTF and load only
 * where KVM is (scripts/check-trace.sh records there).  Exit 0 when loaded,
 * 77 (skip) when the kernel will not load BPF for us, 1 when the verifier
 * refuses.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "record.skel.h"

static int quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, args) : 0;
}

int main(void)
{
	struct record_bpf *skel;
	struct bpf_program *p;
	int err;

	libbpf_set_print(quiet);
	skel = record_bpf__open();
	if (!skel)
		return 1;
	bpf_object__for_each_program(p, skel->obj) {
		const char *name = bpf_program__name(p);

		bpf_program__set_autoload(p, !strcmp(name, "sys_enter") ||
					     !strcmp(name, "sys_exit"));
	}
	err = record_bpf__load(skel);
	record_bpf__destroy(skel);
	if (err == -EPERM || err == -ENOSYS) {
		printf("verify-syscalls: SKIP: the kernel does not load BPF for us (%s)\n",
		       strerror(-err));
		return 77;
	}
	if (err) {
		fprintf(stderr, "verify-syscalls: FAIL: sys_enter/sys_exit refused: %s\n",
			strerror(-err));
		return 1;
	}
	printf("verify-syscalls: OK: sys_enter and sys_exit pass the verifier\n");
	return 0;
}
