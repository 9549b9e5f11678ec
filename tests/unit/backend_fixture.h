/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A device, a data queue and chains over plain buffers, for the unit tests
 * of the back-end's request and session logic (test_backend.c,
 * test_security.c), with the engines of mock_backend.c.
 */
#ifndef TESTS_BACKEND_FIXTURE_H
#define TESTS_BACKEND_FIXTURE_H

#include <stdint.h>

struct va_dev;
struct va_vq;
struct va_iov;
struct va_chain;

/*
 * A device with every pair implemented, stateless ops and streams on, the
 * limits of va_opts, data queue 1's scratch in @q and the session table.
 */
int fixture_dev_init(struct va_dev *d, struct va_vq *q);
void fixture_dev_fini(struct va_vq *q);
/*
 * @c over @iov (2 entries): readable rd[0 .. rd_len), then writable
 * wr[0 .. wr_len) (no writable piece when wr_len is 0).
 */
void fixture_chain(struct va_chain *c, struct va_iov *iov, uint8_t *rd,
		uint32_t rd_len, uint8_t *wr, uint32_t wr_len);

#endif /* TESTS_BACKEND_FIXTURE_H */
