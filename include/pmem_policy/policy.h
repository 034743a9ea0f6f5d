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

/**
 * struct pmp_policy - the knobs.
 * @max_level: largest mapping level allowed (PMP_LEVEL_*), key max_level,
 *	values 4k, 2m, 1g.
 * @nx_huge_pages: exec faults map at 4 KiB (KVM's iTLB-multihit
 *	mitigation, nx_huge_pages=on), key nx_huge_pages, values on, off.
 */
struct pmp_policy {
	uint8_t max_level;
	uint8_t nx_huge_pages;
};

/**
 * pmp_policy_preset() - fill a policy from a named preset.
 * @policy: filled on success.
 * @name: "upstream" (KVM 6.18 defaults on an iTLB-multihit-affected
 *	host), "tdx-series" (the TDX huge-page RFCs: 2 MiB at most, no NX
 *	splitting of private memory) or "recommended" (this project's).
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
