/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mocks for linking the back-end's request and session logic
 * (vhost-user-backend/src/op.c, ctrl.c) without DPDK or real engines: the
 * engines, DPDK's allocator and the logger. Used by the unit tests
 * (test_backend.c) and the fuzz targets (tests/fuzz/).
 *
 * The mock engine returns mock_status; on OK it writes mock_dst_used bytes
 * of mock_fill to r->dst (at most dst_len of them when mock_clamp is set:
 * a well-behaved engine) and consumes all of src.
 */
#ifndef TESTS_MOCK_BACKEND_H
#define TESTS_MOCK_BACKEND_H

#include <stdint.h>

extern uint8_t mock_status;
extern uint32_t mock_dst_used;
extern uint8_t mock_fill;
extern int mock_clamp;
extern unsigned int mock_crypto_calls, mock_comp_calls, mock_stream_calls;
extern unsigned int mock_aborts, mock_sess_frees, mock_stream_frees;
extern int mock_stream_alloc_fails;
extern char mock_logbuf[8192];

void *rte_malloc(const char *type, size_t size, unsigned int align);
void rte_free(void *p);

#endif /* TESTS_MOCK_BACKEND_H */
