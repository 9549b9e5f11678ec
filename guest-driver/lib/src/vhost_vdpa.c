// SPDX-License-Identifier: BSD-3-Clause
/*
 * vhost-vdpa transport (planned): the library drives /dev/vhost-vdpa-N
 * itself (features, status, vrings, IOTLB), like DPDK virtio-user. The
 * split ring driver and the request code are shared with vhost-user; only
 * this ops table is missing its implementation.
 */
#include <errno.h>

#include "internal.h"

static int vdpa_connect(struct virtaccel_dev *dev, const char *path)
{
	return -EOPNOTSUPP;
}

const struct va_transport va_vhost_vdpa_transport = {
	.name = "vhost-vdpa",
	.prefix = "vhost-vdpa:",
	/* VIRTIO_F_ACCESS_PLATFORM: a vDPA parent requires it */
	.extra_features = 1ull << 33,
	.connect = vdpa_connect,
};
