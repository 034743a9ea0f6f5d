// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Attach and detach, errors and the bookkeeping every other file uses.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "kvm_uapi.h"

#define DEFAULT_SLOTS 32
#define INITIAL_ACTIONS (PMP_PUNCH_ACTIONS + 64)

int pmp_vmm_fail(struct pmp_vmm *vmm, int err, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(vmm->error, sizeof(vmm->error), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(vmm->error))
		snprintf(vmm->error + n, sizeof(vmm->error) - n, ": %s", strerror(-err));
	return err;
}

int pmp_vmm_grow_actions(struct pmp_vmm *vmm)
{
	uint32_t cap = vmm->actions.cap * 2;
	struct pmp_action *buf;

	if (cap > (1U << 24))
		return -ENOMEM;
	buf = realloc(vmm->actions.buf, cap * sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	vmm->actions.buf = buf;
	vmm->actions.cap = cap;
	return 0;
}

int pmp_vmm_range(struct pmp_vmm *vmm, const char *op, uint64_t gpa, uint64_t size)
{
	struct pmp_vm_info info;

	pmp_vm_info(vmm->vm, &info);
	if (!size || ((gpa | size) & 4095))
		return pmp_vmm_fail(vmm, -EINVAL, "%s(gpa 0x%llx, size 0x%llx): not 4 KiB aligned",
				    op, (unsigned long long)gpa, (unsigned long long)size);
	if (gpa >> 12 >= info.gfn_end || size >> 12 > info.gfn_end - (gpa >> 12))
		return pmp_vmm_fail(vmm, -ERANGE, "%s(gpa 0x%llx, size 0x%llx): past gfn_end 0x%llx",
				    op, (unsigned long long)gpa, (unsigned long long)size,
				    (unsigned long long)info.gfn_end);
	return 0;
}

int pmp_vmm_slot_range(struct pmp_vmm *vmm, const char *op, uint64_t gpa, uint64_t size,
		       const struct pmp_vmm_slot **slot)
{
	const struct pmp_vmm_slot *s;
	int err = pmp_vmm_range(vmm, op, gpa, size);

	if (err)
		return err;
	s = pmp_vmm_slot_of(vmm, gpa >> 12);
	if (!s || gpa + size > s->gpa + s->size)
		return pmp_vmm_fail(vmm, -EINVAL, "%s(gpa 0x%llx, size 0x%llx): not inside one memslot",
				    op, (unsigned long long)gpa, (unsigned long long)size);
	if (slot)
		*slot = s;
	return 0;
}

static bool slot_holds(const struct pmp_vmm_slot *s, uint64_t gfn)
{
	return s->used && gfn >= s->gpa >> 12 && gfn - (s->gpa >> 12) < s->size >> 12;
}

/* Punches ask once per folio run, nearly always in the same slot: remember it. */
struct pmp_vmm_slot *pmp_vmm_slot_of(struct pmp_vmm *vmm, uint64_t gfn)
{
	if (vmm->last_slot < vmm->max_slots && slot_holds(&vmm->slots[vmm->last_slot], gfn))
		return &vmm->slots[vmm->last_slot];
	for (uint32_t id = 0; id < vmm->max_slots; id++) {
		if (slot_holds(&vmm->slots[id], gfn)) {
			vmm->last_slot = id;
			return &vmm->slots[id];
		}
	}
	return NULL;
}

static int init_core(struct pmp_vmm *vmm, const struct pmp_vmm_opts *opts)
{
	struct pmp_geometry geo = {
		.sz = sizeof(geo),
		.gfn_end = opts->gfn_end,
		.max_slots = vmm->max_slots,
		.nr_vcpus = opts->nr_vcpus ? opts->nr_vcpus : 1,
		/*
		 * KVM has no VSM: one VTL, so every action names VTL 0 or
		 * PMP_VTL_ALL, and the shim's KVM calls need no VTL.
		 */
		.nr_vtls = 1,
		.vm_type = opts->vm_type,
	};
	struct pmp_policy policy;
	struct pmp_parse_error perr;
	uint64_t bytes;
	int err;

	err = pmp_vm_bound(&geo, &bytes);
	if (err)
		return pmp_vmm_fail(vmm, err, "pmp_vmm_attach(gfn_end 0x%llx, vm_type %u)",
				    (unsigned long long)opts->gfn_end, opts->vm_type);
	pmp_policy_preset(&policy, "recommended");
	if (opts->policy && pmp_policy_parse(&policy, opts->policy, &perr))
		return pmp_vmm_fail(vmm, -EINVAL, "pmp_vmm_attach(policy \"%s\"): column %u: %s",
				    opts->policy, perr.column, perr.message);
	vmm->state = aligned_alloc(64, (bytes + 63) & ~63ULL);
	if (!vmm->state)
		return pmp_vmm_fail(vmm, -ENOMEM, "pmp_vmm_attach: %llu bytes of state",
				    (unsigned long long)bytes);
	err = pmp_vm_init(vmm->state, bytes, &geo, &policy, &vmm->vm);
	if (err)
		return pmp_vmm_fail(vmm, err, "pmp_vm_init");
	return 0;
}

/*
 * SNP and TDX policies need the host's VM type (acceptance, private memory).
 * An SEV policy runs anywhere: on a host without SEV its pins are mlock()
 * only, which the report says.
 */
static int check_vm_type(struct pmp_vmm *vmm, uint32_t vm_type)
{
	static const struct { uint32_t kvm_type; const char *name; } need[PMP_VM_NR] = {
		[PMP_VM_SNP] = { PMP_KVM_X86_SNP_VM, "SEV-SNP" },
		[PMP_VM_TDX] = { PMP_KVM_X86_TDX_VM, "TDX" },
	};

	if (vm_type >= PMP_VM_NR)
		return pmp_vmm_fail(vmm, -EINVAL, "pmp_vmm_attach(vm_type %u): unknown", vm_type);
	if (!need[vm_type].name || (vmm->vm_types & (1ULL << need[vm_type].kvm_type)))
		return 0;
	return pmp_vmm_fail(vmm, -EOPNOTSUPP,
			    "pmp_vmm_attach(vm_type %s): KVM_CAP_VM_TYPES is 0x%llx, without %s VMs",
			    need[vm_type].name, (unsigned long long)vmm->vm_types,
			    need[vm_type].name);
}

int pmp_vmm_attach(int vm_fd, const struct pmp_vmm_opts *user, struct pmp_vmm **out)
{
	struct pmp_vmm_opts o, *opts = &o;
	struct pmp_vmm *vmm;
	int err;

	if (out)
		*out = NULL;
	err = pmp_opts_load(&o, sizeof(o), user, PMP_VMM_OPTS_MIN_SZ);
	if (err)
		return err;
	if (!out || vm_fd < 0)
		return -EINVAL;
	vmm = calloc(1, sizeof(*vmm));
	if (!vmm)
		return -ENOMEM;
	vmm->vm_fd = vm_fd;
	vmm->max_slots = opts->max_slots ? opts->max_slots : DEFAULT_SLOTS;
	vmm->vm_type = opts->vm_type;
	pmp_vmm_probe(vmm);
	vmm->caps = vmm->host_caps & ~opts->disable_caps;
	if (opts->vm_type == PMP_VM_SEV || opts->vm_type == PMP_VM_SNP)
		vmm->caps |= vmm->host_caps & PMP_CAP_BIT(PMP_CAP_SEV);
	else
		vmm->caps &= ~PMP_CAP_BIT(PMP_CAP_SEV);
	err = check_vm_type(vmm, opts->vm_type);
	if (!err)
		err = init_core(vmm, opts);
	if (!err) {
		vmm->slots = calloc(vmm->max_slots, sizeof(*vmm->slots));
		vmm->actions.buf = malloc(INITIAL_ACTIONS * sizeof(*vmm->actions.buf));
		vmm->actions.cap = INITIAL_ACTIONS;
		if (!vmm->slots || !vmm->actions.buf)
			err = pmp_vmm_fail(vmm, -ENOMEM, "pmp_vmm_attach");
	}
	if (err) {
		if (opts->errbuf && opts->errbuf_size)
			snprintf(opts->errbuf, opts->errbuf_size, "%s", vmm->error);
		pmp_vmm_detach(vmm);
		return err;
	}
	*out = vmm;
	return 0;
}

void pmp_vmm_detach(struct pmp_vmm *vmm)
{
	if (!vmm)
		return;
	if (vmm->vm)
		pmp_vmm_unpin_all(vmm);
	free(vmm->actions.buf);
	free(vmm->slots);
	free(vmm->state);
	free(vmm);
}

bool pmp_vmm_has(const struct pmp_vmm *vmm, unsigned int cap)
{
	return cap < PMP_CAP_NR && (vmm->caps & PMP_CAP_BIT(cap));
}

const char *pmp_vmm_error(const struct pmp_vmm *vmm)
{
	return vmm->error;
}

struct pmp_vm *pmp_vmm_vm(struct pmp_vmm *vmm)
{
	return vmm->vm;
}

void pmp_vmm_counters(const struct pmp_vmm *vmm, struct pmp_vmm_counters *out)
{
	*out = vmm->counters;
}
