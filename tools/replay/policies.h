/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * pmp-replay's --policy A,B,...: a list of policies in one argument.
 *
 * Policy strings have commas of their own ("upstream,merge=blocked"), so
 * the list is cut where a preset name starts a new policy: the argument
 * "upstream,merge=blocked,recommended" holds two.  A policy that does not
 * start with a preset starts from "recommended", as pmp_vm_init() does.
 */
#ifndef PMP_REPLAY_POLICIES_H
#define PMP_REPLAY_POLICIES_H

#include <stddef.h>
#include "replay.h"

#define RP_MAX_POLICIES 16

struct policy_list {
	unsigned int n;
	struct pmp_policy policy[RP_MAX_POLICIES];
	char label[RP_MAX_POLICIES][RP_LABEL];
	const char *labels[RP_MAX_POLICIES];
};

/*
 * Add the policies of @arg.  0, or -EINVAL with @err holding the message
 * and the argument with a caret under the offending column.
 */
int policy_list_add(struct policy_list *l, const char *arg, char *err, size_t errlen);

#endif /* PMP_REPLAY_POLICIES_H */
