/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TESTS_UNIT_H
#define TESTS_UNIT_H

#include <CUnit/CUnit.h>

/* Each test file registers its suites; main.c calls them all. */
void register_spec_tests(void);
void register_ring_tests(void);
void register_backend_tests(void);
void register_inflight_tests(void);
void register_security_tests(void);
void register_vhost_tests(void);
void register_dev_tests(void);
void register_state_tests(void);
void register_state_seal_tests(void);

#define ADD_SUITE(name, init, fini) \
	CU_pSuite s = CU_add_suite(name, init, fini); \
	if (!s) \
		return

#define ADD_TEST(fn) CU_add_test(s, #fn, fn)

#endif
