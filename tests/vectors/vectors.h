/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Test vectors shared by the userspace unit tests and the in-kernel
 * selftest: each vector is a short program of API calls on a fresh VM with
 * the expected result of every step.  The runner uses only the public API
 * and the compiler's builtins, so the same file builds in both worlds.
 */
#ifndef PMP_VECTORS_H
#define PMP_VECTORS_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdint.h>
#endif
#include <pmem_policy/pmem_policy.h>

enum pmp_vop {
	V_END,
	V_SLOT,		/* create slot id: gfn, npages, addr (uaddr), gmem, flags */
	V_SLOT_DELETE,	/* id */
	V_SLOT_MOVE,	/* id -> gfn */
	V_SLOT_FLAGS,	/* id, flags */
	V_PRIVATE,	/* gfn, npages -> private */
	V_SHARED,	/* gfn, npages -> shared */
	V_VTL,		/* id = vtl, gfn, npages, flags = prot */
	V_WTRACK,	/* gfn, npages, flags = 1 track / 0 untrack */
	V_QUERY,	/* id = slot, gfn, flags, order, accept, vtl -> level, reason */
	V_POLICY,	/* str: policy string applied to the VM's policy */
};

/**
 * struct pmp_vstep - one step; @ret is the expected return (0 or -errno,
 * or the level for V_QUERY), @reason the expected reason for V_QUERY.
 */
struct pmp_vstep {
	uint8_t op;
	uint8_t order;
	uint8_t accept;
	uint8_t vtl;
	uint8_t reason;
	uint32_t id;
	uint32_t flags;
	uint64_t gfn;
	uint64_t npages;
	uint64_t addr;
	uint64_t gmem;
	const char *str;
	int ret;
};

struct pmp_vector {
	const char *name;
	const struct pmp_vstep *steps;
};

/**
 * struct pmp_vector_result - where a vector failed.
 * @step: index of the failing step, -1 if none.
 * @got: what the call returned.
 * @got_reason: the reason it gave (V_QUERY).
 * @unchanged: 0 if a failing call changed the state.
 */
struct pmp_vector_result {
	int step;
	int got;
	int got_reason;
	int unchanged;
};

/* Geometry of every vector's VM: 8 GiB, 8 slots, 2 vCPUs, 2 VTLs. */
#define PMP_VECTOR_GFN_END (1ULL << 21)

extern const struct pmp_vector pmp_vectors[];
extern const unsigned int pmp_nr_vectors;

/**
 * pmp_vector_run() - run one vector on a fresh VM.
 * @v: the vector.
 * @mem: at least pmp_vector_bytes() bytes, 8-byte aligned.
 * @snap: as large, to prove failed calls change nothing.
 * @res: where it failed.
 *
 * Return: 0 if every step matched, -1 otherwise (see @res).
 */
int pmp_vector_run(const struct pmp_vector *v, void *mem, void *snap,
		   struct pmp_vector_result *res);

/* Bytes of VM state a vector needs. */
uint64_t pmp_vector_bytes(void);

#endif /* PMP_VECTORS_H */
