/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The CRC-32C the state codec's tests and fuzz target hand to it: DPDK's
 * own software path (rte_crc_sw.h, the tables rte_hash_crc() falls back
 * to), which the back-end's va_crc32c() computes with SSE4.2, so that no
 * second CRC-32C is kept and no EAL is linked. Same contract as
 * va_crc32c(): no inversion.
 */
#ifndef TESTS_STATE_CRC_H
#define TESTS_STATE_CRC_H

#include <stdint.h>

uint32_t state_test_crc32c(uint32_t crc, const void *p, uint32_t len);

#endif /* TESTS_STATE_CRC_H */
