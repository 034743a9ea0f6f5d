// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libFuzzer target: the policy string parser.  Any input either parses,
 * and then formats to a string that parses back to the same policy from
 * any starting point, or is refused with the policy unchanged and an error
 * column inside the string.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pmem_policy/pmem_policy.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pmp_policy p, before, again;
	struct pmp_parse_error err;
	char str[1024], fmt[512];
	const char *start;
	int ret;

	if (!size || size >= sizeof(str))
		return 0;
	start = pmp_policy_preset_name(data[0] % 3);
	memcpy(str, data + 1, size - 1);
	str[size - 1] = '\0';
	if (pmp_policy_preset(&p, start))
		abort();
	before = p;
	ret = pmp_policy_parse(&p, str, &err);
	if (ret) {
		if (ret != -22 || memcmp(&p, &before, sizeof(p)) || !err.message ||
		    err.column < 1 || err.column > strlen(str) + 1 ||
		    err.column - 1 + err.length > strlen(str))
			abort();
		return 0;
	}
	if (pmp_policy_validate(&p))
		abort();
	ret = pmp_policy_format(&p, fmt, sizeof(fmt));
	if (ret < 0 || (size_t)ret != strlen(fmt))
		abort();
	pmp_policy_preset(&again, pmp_policy_preset_name((data[0] + 1) % 3));
	if (pmp_policy_parse(&again, fmt, NULL) || memcmp(&again, &p, sizeof(p)))
		abort();
	return 0;
}
