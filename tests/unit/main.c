// SPDX-License-Identifier: BSD-3-Clause
/*
 * CUnit runner for the unit tests. Prints CUnit's own summary and then one
 * line "N passed, N failed" (tests, counting a test failed if any of its
 * assertions failed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <CUnit/Basic.h>

#include "unit.h"

int main(void)
{
	unsigned int run, failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	register_spec_tests();
	register_ring_tests();
	register_backend_tests();
	register_inflight_tests();
	register_security_tests();
	register_vhost_tests();
	register_dev_tests();
	register_state_tests();
	register_state_seal_tests();
	if (CU_get_error() != CUE_SUCCESS) {
		fprintf(stderr, "unit: registry error: %s\n", CU_get_error_msg());
		return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	run = CU_get_number_of_tests_run();
	failed = CU_get_number_of_tests_failed();
	printf("\n%u passed, %u failed\n", run - failed, failed);
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
