// SPDX-License-Identifier: BSD-3-Clause
/*
 * librte_vhost and worker mocks for vhost.c (see mock_vhost.h).
 */
#include <errno.h>
#include <string.h>

#include "../../vhost-user-backend/src/backend.h"
#include "mock_vhost.h"

const struct rte_vhost_device_ops *mock_vhost_ops;
const struct rte_vhost_user_extern_ops *mock_vhost_xops;
int mock_vhost_refuse_extern;
uint64_t mock_vhost_features, mock_vhost_protocol_features;
int mock_worker_start_fails;
int mock_worker_paused;
unsigned int mock_worker_refresh_unparked;
unsigned int mock_worker_bad_pause;
unsigned int mock_worker_bad_resume;

void mock_vhost_reset(void)
{
	mock_vhost_ops = NULL;
	mock_vhost_xops = NULL;
	mock_vhost_refuse_extern = 0;
	mock_vhost_features = 0;
	mock_vhost_protocol_features = 0;
	mock_worker_start_fails = 0;
	mock_worker_paused = 0;
	mock_worker_refresh_unparked = 0;
	mock_worker_bad_pause = 0;
	mock_worker_bad_resume = 0;
}

/* ---- librte_vhost ---- */

int rte_vhost_driver_register(const char *path, uint64_t flags)
{
	return 0;
}

int rte_vhost_driver_unregister(const char *path)
{
	return 0;
}

int rte_vhost_driver_set_features(const char *path, uint64_t features)
{
	return 0;
}

int rte_vhost_driver_set_protocol_features(const char *path,
					   uint64_t protocol_features)
{
	return 0;
}

int rte_vhost_driver_callback_register(
	const char *path, struct rte_vhost_device_ops const *const o)
{
	mock_vhost_ops = o;
	return 0;
}

int rte_vhost_driver_start(const char *path)
{
	return 0;
}

int rte_vhost_extern_callback_register(int vid,
	struct rte_vhost_user_extern_ops const *const o, void *ctx)
{
	if (mock_vhost_refuse_extern)
		return -1;
	mock_vhost_xops = o;
	return 0;
}

/* every connection is to the one socket of the test (va_devs[0]) */
int rte_vhost_get_ifname(int vid, char *buf, size_t len)
{
	if (!va_ndevs || strlen(va_devs[0].path) >= len)
		return -1;
	strcpy(buf, va_devs[0].path);
	return 0;
}

int rte_vhost_get_negotiated_features(int vid, uint64_t *f)
{
	*f = mock_vhost_features;
	return 0;
}

int rte_vhost_get_negotiated_protocol_features(int vid, uint64_t *f)
{
	*f = mock_vhost_protocol_features;
	return 0;
}

/* ---- engines ---- */

uint64_t va_crypto_implemented(void)
{
	return VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_HASH,
				     VIRTIO_ACCEL_ALG_SHA256) |
	       VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_MAC,
				     VIRTIO_ACCEL_ALG_HMAC_SHA256);
}

uint64_t va_comp_implemented(void)
{
	return VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_COMPRESS,
				     VIRTIO_ACCEL_ALG_DEFLATE);
}

/* ---- the worker (worker.c), as a state model ---- */

void va_dev_refresh(struct va_dev *d)
{
	/* worker.c: "the worker is parked or not running" */
	if (d->worker_started && !mock_worker_paused)
		mock_worker_refresh_unparked++;
	d->gen++;
}

int va_worker_start(struct va_dev *d)
{
	if (d->worker_started)
		return 0;
	if (mock_worker_start_fails)
		return -EAGAIN;
	d->worker_started = 1;
	mock_worker_paused = 0;
	return 0;
}

void va_worker_stop(struct va_dev *d)
{
	d->worker_started = 0;
	mock_worker_paused = 0;
}

void va_worker_pause(struct va_dev *d)
{
	if (!d->worker_started)
		return;
	if (mock_worker_paused)
		mock_worker_bad_pause++;
	mock_worker_paused = 1;
}

void va_worker_resume(struct va_dev *d)
{
	if (!d->worker_started)
		return;
	if (!mock_worker_paused)
		mock_worker_bad_resume++;
	mock_worker_paused = 0;
}
