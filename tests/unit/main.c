// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The Check runner: every suite, one summary line per suite and overall.
 */
#include <stdio.h>
#include "helpers.h"

Suite *trace_suite(void);	/* tests/unit/test_trace.c */
Suite *replay_suite(void);	/* tests/unit/test_replay.c */
Suite *default_suite(void);	/* tests/unit/test_default.c */
Suite *tune_suite(void);	/* tests/unit/test_tune.c */
Suite *settle_suite(void);	/* tests/unit/test_settle.c */
Suite *coalesce_suite(void);	/* tests/unit/test_coalesce.c */
Suite *tick_suite(void);	/* tests/unit/test_tick.c */
Suite *vsm_suite(void);		/* tests/unit/test_vsm.c */
Suite *degrade_suite(void);	/* tests/unit/test_degrade.c */
Suite *vtl_leaves_suite(void);	/* tests/unit/test_vtl_leaves.c */
Suite *map_shared_suite(void);	/* tests/unit/test_map_shared.c */
Suite *fault_map_suite(void);	/* tests/unit/test_fault_map.c */
Suite *planes_suite(void);	/* tests/unit/test_planes.c */
Suite *convert_lean_suite(void);	/* tests/unit/test_convert_lean.c */
Suite *punch_lean_suite(void);	/* tests/unit/test_punch_lean.c */
Suite *vtl_lean_suite(void);	/* tests/unit/test_vtl_lean.c */
Suite *accept_lean_suite(void);	/* tests/unit/test_accept_lean.c */

int main(void)
{
	SRunner *sr = srunner_create(vm_suite());
	int failed;

	srunner_add_suite(sr, state_suite());
	srunner_add_suite(sr, attr_suite());
	srunner_add_suite(sr, level_suite());
	srunner_add_suite(sr, policy_suite());
	srunner_add_suite(sr, random_suite());
	srunner_add_suite(sr, mmu_suite());
	srunner_add_suite(sr, mmu_random_suite());
	srunner_add_suite(sr, scenario_suite());
	srunner_add_suite(sr, inval_suite());
	srunner_add_suite(sr, coalesce_suite());
	srunner_add_suite(sr, tick_suite());
	srunner_add_suite(sr, hostile_suite());
	srunner_add_suite(sr, small_array_suite());
	srunner_add_suite(sr, trace_suite());
	srunner_add_suite(sr, replay_suite());
	srunner_add_suite(sr, default_suite());
	srunner_add_suite(sr, tune_suite());
	srunner_add_suite(sr, settle_suite());
	srunner_add_suite(sr, vsm_suite());
	srunner_add_suite(sr, degrade_suite());
	srunner_add_suite(sr, vtl_leaves_suite());
	srunner_add_suite(sr, map_shared_suite());
	srunner_add_suite(sr, fault_map_suite());
	srunner_add_suite(sr, planes_suite());
	srunner_add_suite(sr, convert_lean_suite());
	srunner_add_suite(sr, punch_lean_suite());
	srunner_add_suite(sr, vtl_lean_suite());
	srunner_add_suite(sr, accept_lean_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
