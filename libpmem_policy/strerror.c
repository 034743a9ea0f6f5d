// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Error strings for the codes the library returns, and its version.
 */
#include "internal.h"

const char *pmp_strerror(int err)
{
	/* Fold negative codes without negating INT_MIN. */
	switch (err < 0 ? 0U - (unsigned int)err : (unsigned int)err) {
	case 0:
		return "success";
	case EINVAL:
		return "invalid argument";
	case ENOENT:
		return "no such memslot";
	case ENOMEM:
		/* pmp_map() and pmp_pin_range() refuse a pin past pin_limit with it too */
		return "out of memory: tracking pool exhausted or pin limit reached";
	case ENOSPC:
		return "caller buffer too small";
	case EBUSY:
		return "busy: pending work conflicts";
	case EAGAIN:
		return "not yet possible, try again";
	case ERANGE:
		return "out of the tracked range";
	case EEXIST:
		return "already exists";
	case EINTR:
		return "interrupted: retry the fault";
	case E2BIG:
		return "struct from a newer caller asks for what this library lacks";
	case EUCLEAN:
		return "internal state is inconsistent";
	default:
		return "unknown error";
	}
}

const char *pmp_version(void)
{
#define PMP_STR2(x) #x
#define PMP_STR(x) PMP_STR2(x)
	return PMP_STR(PMP_VERSION_MAJOR) "." PMP_STR(PMP_VERSION_MINOR);
}
