/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mocks for linking the back-end's librte_vhost glue
 * (vhost-user-backend/src/vhost.c) without DPDK libraries or the worker:
 * librte_vhost's registration calls capture the callback tables the
 * back-end registers; the worker (worker.c) is a model of its state that
 * counts misuse instead of racing. Used by the unit tests (test_vhost.c)
 * and the fuzz target tests/fuzz/fuzz_vhost_msg.c. Needs DPDK's headers.
 */
#ifndef TESTS_MOCK_VHOST_H
#define TESTS_MOCK_VHOST_H

#include <stdint.h>
#include <rte_vhost.h>

/* what vhost.c registered */
extern const struct rte_vhost_device_ops *mock_vhost_ops;
extern const struct rte_vhost_user_extern_ops *mock_vhost_xops;
/* what librte_vhost says */
extern int mock_vhost_refuse_extern;	/* extern_callback_register fails */
extern uint64_t mock_vhost_features, mock_vhost_protocol_features;
/* the worker */
extern int mock_worker_start_fails;
extern int mock_worker_paused;
extern unsigned int mock_worker_refresh_unparked; /* rings re-read live */
extern unsigned int mock_worker_bad_pause;	/* paused twice */
extern unsigned int mock_worker_bad_resume;	/* resumed while running */

void mock_vhost_reset(void);

#endif /* TESTS_MOCK_VHOST_H */
