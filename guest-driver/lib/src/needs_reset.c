// SPDX-License-Identifier: BSD-3-Clause
/*
 * libvirtaccel: a device not ready yet ([DRV-READY]) and a device that
 * lost its sessions ([SESS-LOSS], [DRV-NEEDS-RESET]).
 *
 * HW_READY: a device may set it as late as 1 s after DRIVER_OK
 * ([CFG-READY]), so the library reads it again after DRIVER_OK for up to
 * 1.1 s before it refuses the device (-EIO), as the kernel driver does.
 *
 * Lost sessions: the library reads the device status when a request fails
 * with INVSESS (vhost-vdpa: VHOST_VDPA_GET_STATUS); with DEVICE_NEEDS_RESET
 * set, the failure is -ESTALE, and from then on every request and session
 * creation is refused with -ESTALE without reaching the device. The
 * library does not reset the device under its users: the way back is
 * virtaccel_close() and virtaccel_open() (vhost-vdpa resets the device on
 * open), then new sessions. virtaccel_needs_reset() asks the same question
 * at any time (for async users that got INVSESS). Over /dev/vaccelN the
 * kernel driver resets the device itself and fails requests on the lost
 * sessions with ESTALE; vhost-user has no status to read (spec A.2).
 */
#include <errno.h>
#include <unistd.h>
#include <linux/virtio_config.h>

#include "internal.h"

#define VA_READY_POLL_US	10000
#define VA_READY_POLLS		110	/* 1.1 s */

int va_wait_hw_ready(struct virtaccel_dev *dev)
{
	struct virtio_accel_config c = dev->cfg;
	int i, ret;

	/* the whole space, as at connect: only status is taken from it */
	for (i = 0; !(le32toh(c.status) & VIRTIO_ACCEL_S_HW_READY); i++) {
		if (i == VA_READY_POLLS || !dev->t->config_rw)
			return -EIO;
		usleep(VA_READY_POLL_US);
		ret = dev->t->config_rw(dev, false, 0, &c, sizeof(c));
		if (ret)
			return ret;
	}
	dev->cfg.status = c.status;
	return 0;
}

int va_check_needs_reset(struct virtaccel_dev *dev)
{
	uint8_t st = 0;

	if (dev->needs_reset)
		return 1;
	if (!dev->t || !dev->t->get_status || dev->t->get_status(dev, &st))
		return 0;
	if (st & VIRTIO_CONFIG_S_NEEDS_RESET)
		dev->needs_reset = true;
	return dev->needs_reset;
}

VA_EXPORT int virtaccel_needs_reset(struct virtaccel_dev *dev)
{
	if (!dev)
		return -EINVAL;
	return va_check_needs_reset(dev);
}
