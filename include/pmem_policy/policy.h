/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * pmem_policy: the policy object, its presets and its string form.
 *
 * A policy is a plain struct of knobs.  Its string form is a comma list of
 * preset names and key=value pairs applied left to right, e.g.
 * "upstream,max_level=2m".  A policy may only narrow what KVM allows: every
 * knob lowers or keeps a level, none raises one above KVM's own answer.
 */
#ifndef PMEM_POLICY_POLICY_H
#define PMEM_POLICY_POLICY_H

#include "types.h"

/* Pinning modes (SEV VMs; guest_memfd keeps other VMs' pages unmovable). */
enum pmp_pin_mode {
	PMP_PIN_NONE,	/* never pin */
	PMP_PIN_LAUNCH,	/* pin whole launch regions (SEV's REG_REGION) */
	PMP_PIN_FAULT,	/* pin each page at its first nested page fault */
};

/* How split ranges get their huge mappings back. */
enum pmp_merge {
	PMP_MERGE_NONE,		/* never (the TDX huge-page RFCs) */
	PMP_MERGE_SCAN,		/* background ticks promote eligible, fully mapped ranges */
	PMP_MERGE_FAULT,	/* the fault that maps the last missing sub-page promotes */
	PMP_MERGE_BLOCKED,	/* ticks block candidates; the next violation promotes */
	PMP_MERGE_SETTLED,	/* scan, promoting a range the second tick finds ready with
				 * no leaf changed between: ranges that churn wait */
};

/* What a guest's 4 KiB ACCEPT inside a huge range does to that range. */
enum pmp_inhibit {
	PMP_INHIBIT_ONEWAY,	/* 4 KiB forever (upstream GUEST_INHIBIT) */
	PMP_INHIBIT_CLEAR,	/* lifted once every sub-page is accepted, attributes uniform */
};

/* How a huge mapping of a non-TDX VM is broken; TDX private memory always
 * uses block, track, demote. */
enum pmp_split {
	PMP_SPLIT_ZAP,		/* zap it; the pages re-fault smaller (KVM's default) */
	PMP_SPLIT_INPLACE,	/* replace it by a table of smaller leaves (eager split) */
};

/* When a punch of part of a 2 MiB chunk is issued. */
enum pmp_inval {
	PMP_INVAL_IMMEDIATE,	/* at once, per folio */
	PMP_INVAL_DEFER_2M,	/* shared/unmapped pages wait for their whole chunk */
};

/* What a shared->private conversion does to deferred punches in its range. */
enum pmp_conflict {
	PMP_CONFLICT_REFUSE,	/* fail with -EBUSY */
	PMP_CONFLICT_FLUSH,	/* issue them first */
	PMP_CONFLICT_WITHDRAW,	/* drop them: the backing stays and serves the private page */
};

/**
 * struct pmp_policy - the knobs; "key" names the string form.
 * @max_level: largest mapping level allowed, key max_level: 4k, 2m, 1g.
 * @nx_huge_pages: exec faults map at 4 KiB (KVM's iTLB-multihit
 *	mitigation), key nx_huge_pages: on, off.
 * @pin: enum pmp_pin_mode, key pin: none, launch, fault.
 * @recycle: may a shadow page with pinned children be recycled (the pin
 *	bitmap keeps the truth either way), key recycle: allow, refuse.
 * @merge: enum pmp_merge, key merge: none, scan, fault, blocked, settled.
 * @inhibit: enum pmp_inhibit, key inhibit: oneway, clear.
 * @split: enum pmp_split, key split: zap, inplace.
 * @pad: zero (a policy with it set is invalid).
 * @pin_limit: most pages pinned at once, 0 for no limit (RLIMIT_MEMLOCK in
 *	pages), key pin_limit.
 * @scan_ratio: a merge tick handles at most 1/@scan_ratio of the split
 *	ranges (KVM's nx_huge_pages_recovery_ratio), key scan_ratio: 1..1000.
 * @scan_budget: units a tick may visit (candidate 2 MiB ranges, 1 GiB
 *	ranges passed), key scan_budget: 1..2^24.
 * @inval: enum pmp_inval, key inval: immediate, defer-2m.
 * @conflict_flush: enum pmp_conflict: a shared->private conversion over
 *	deferred punches is refused with -EBUSY (0), flushes them first (1) or
 *	withdraws them (2), key on_conflict: refuse, flush, withdraw.
 * @pad2: zero.
 * @flush_batch: invalidations one TLB flush may cover, key flush_batch:
 *	1..4096.
 * @yield_threshold: a long walk never yields with fewer units of work
 *	left, key yield_threshold: 0..1048576.
 */
struct pmp_policy {
	uint8_t max_level;
	uint8_t nx_huge_pages;
	uint8_t pin;
	uint8_t recycle;
	uint8_t merge;
	uint8_t inhibit;
	uint8_t split;
	uint8_t pad;
	uint32_t pin_limit;
	uint32_t scan_ratio;
	uint32_t scan_budget;
	uint8_t inval;
	uint8_t conflict_flush;
	uint8_t pad2[2];
	uint32_t flush_batch;
	uint32_t yield_threshold;
};

/**
 * pmp_policy_preset() - fill a policy from a named preset.
 * @policy: filled on success.
 * @name: "upstream" (KVM 6.18 on an iTLB-multihit-affected host: pin at
 *	launch, zap to split, NX-recovery-like scan with ratio 60, one-way
 *	inhibit), "tdx-series" (the TDX huge-page RFCs: 2 MiB at most, no
 *	merge, one-way inhibit) or "recommended" (this project's and the
 *	default: 1 GiB, NX huge pages off, pin on fault, refuse recycling
 *	pinned shadow pages, zap to split, clear the inhibit, merge=settled
 *	with ratio 1, defer sub-2M punches and withdraw them on a conversion
 *	back to private; docs/policies.md).
 *
 * Return: 0, or -EINVAL for an unknown name (@policy unchanged).
 */
PMP_API int pmp_policy_preset(struct pmp_policy *policy, const char *name);

/**
 * pmp_policy_preset_name() - name of the i-th preset, for listings.
 * @i: index from 0.
 *
 * Return: the name, or NULL past the last preset.
 */
PMP_API const char *pmp_policy_preset_name(unsigned int i);

/**
 * pmp_policy_validate() - check every knob is in range.
 * @policy: the policy.
 *
 * Return: 0 or -EINVAL.
 */
PMP_API int pmp_policy_validate(const struct pmp_policy *policy);

/**
 * struct pmp_parse_error - where and why a policy string was refused.
 * @column: 1-based column of the offending token.
 * @length: its length in bytes.
 * @message: what was wrong, e.g. "unknown key" (static string).
 */
struct pmp_parse_error {
	uint32_t column;
	uint32_t length;
	const char *message;
};

/**
 * pmp_policy_parse() - apply a policy string on top of @policy.
 * @policy: the starting point; updated only if the whole string parses.
 * @str: NUL-terminated "preset,key=value,..." (empty is allowed).
 * @err: if not NULL, filled on failure.
 *
 * Return: 0 or -EINVAL.
 */
PMP_API int pmp_policy_parse(struct pmp_policy *policy, const char *str,
			     struct pmp_parse_error *err);

/**
 * pmp_policy_format() - write the canonical string of a policy.
 * @policy: the policy.
 * @buf: destination.
 * @size: its size; the string is always NUL-terminated when @size > 0.
 *
 * The result parses back to the same policy.
 *
 * Return: the length without the NUL, -ENOSPC if it did not fit, or
 * -EINVAL for an invalid policy.
 */
PMP_API int pmp_policy_format(const struct pmp_policy *policy, char *buf, size_t size);

#endif /* PMEM_POLICY_POLICY_H */
