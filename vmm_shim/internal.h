/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The shim's private state.  One struct pmp_vmm per VM: the core's VM in
 * a heap buffer, the memslots with the memory behind them, the probed
 * capabilities, the last error and the counters.
 */
#ifndef PMP_VMM_INTERNAL_H
#define PMP_VMM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "pmem_policy/vmm.h"

struct pmp_vmm_slot {
	bool used;
	uint32_t flags;			/* PMP_SLOT_* as given to the core */
	uint64_t gpa;
	uint64_t size;
	struct pmp_vmm_mem mem;		/* shared pages; all pages without @priv */
	uint64_t offset;		/* of the slot in @mem */
	struct pmp_vmm_mem priv;	/* private pages; fd -1 unless add_private */
	uint64_t priv_offset;		/* of the slot in @priv */
};

struct pmp_vmm {
	int vm_fd;
	uint32_t max_slots;
	uint32_t vm_type;		/* enum pmp_vm_type */
	uint32_t last_slot;		/* pmp_vmm_slot_of()'s last answer */
	uint64_t caps;			/* PMP_CAP_BIT()s in use */
	uint64_t host_caps;		/* what the host has */
	uint64_t gmem_flags;		/* KVM_CAP_GUEST_MEMFD_FLAGS */
	uint64_t vm_types;		/* KVM_CAP_VM_TYPES */
	char thp[16], shmem_thp[16];	/* the active THP modes */
	void *state;			/* the core's buffer */
	struct pmp_vm *vm;		/* inside @state */
	struct pmp_vmm_slot *slots;
	struct pmp_actions actions;	/* scratch; grows on -ENOSPC */
	struct pmp_vmm_counters counters;
	char error[256];
};

/* Record a failure, "op(args): reason", and return @err (negative). */
int pmp_vmm_fail(struct pmp_vmm *vmm, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Probe the host into vmm->host_caps and friends (caps.c). */
void pmp_vmm_probe(struct pmp_vmm *vmm);

/* Check a guest range: aligned, non-empty, inside one tracked span. */
int pmp_vmm_range(struct pmp_vmm *vmm, const char *op, uint64_t gpa, uint64_t size);

/*
 * Double vmm->actions after a core call said -ENOSPC (which changed
 * nothing), so the call can be repeated:
 *	do { vmm->actions.nr = 0; err = pmp_x(..., &vmm->actions); }
 *	while (err == -ENOSPC && !pmp_vmm_grow_actions(vmm));
 */
int pmp_vmm_grow_actions(struct pmp_vmm *vmm);

/*
 * Free the memory of [gfn, gfn + npages), inside one slot, through the
 * core's coalescing (the shared memory of a slot with private memory).
 */
int pmp_vmm_punch_gfns(struct pmp_vmm *vmm, uint64_t gfn, uint64_t npages);

/* Apply the INVALIDATE actions in vmm->actions to the memory (punch.c). */
int pmp_vmm_apply_invalidations(struct pmp_vmm *vmm);

/* Munlock and forget every pinned byte (pin.c). */
void pmp_vmm_unpin_all(struct pmp_vmm *vmm);

/* Release the pins of memslot @id before it goes: its zap's UNPIN runs (pin.c). */
int pmp_vmm_unpin_slot(struct pmp_vmm *vmm, uint32_t id);

/* pmp_vmm_range(), and the range lies in one memslot, set in *@slot if not NULL. */
int pmp_vmm_slot_range(struct pmp_vmm *vmm, const char *op, uint64_t gpa, uint64_t size,
		       const struct pmp_vmm_slot **slot);

/* The slot holding @gfn, or NULL. */
struct pmp_vmm_slot *pmp_vmm_slot_of(struct pmp_vmm *vmm, uint64_t gfn);

#endif /* PMP_VMM_INTERNAL_H */
