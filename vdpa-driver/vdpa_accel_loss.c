// SPDX-License-Identifier: GPL-2.0-only
/*
 * vdpa_accel: losing the sessions under a running driver, signalled
 * (spec [SESS-LOSS], [SESS-LOST-REQ]).
 *
 * The parent keeps its sessions in kernel memory for the life of the
 * device, so nothing it does by itself loses them; a device whose state
 * lives elsewhere (a restarted process, a card that reset itself) does.
 * The write-only attribute /sys/bus/vdpa/devices/NAME/lose_sessions makes
 * this device behave as such a device would: write 1 and every session
 * goes, with its keys and stream state, as on reset, but the rings, the
 * features and DRIVER_OK stay. The loss is signalled before any request
 * completes after it: the queue workers are stopped, the sessions dropped,
 * DEVICE_NEEDS_RESET set and the configuration change callback run, and
 * only then do the workers start again. Requests naming a lost session
 * then fail with INVSESS (the session lookup finds nothing); the session
 * ID generation goes on, so a lost ID is never returned again. The bit
 * stays set until the driver resets the device.
 */
#include <linux/device.h>
#include <linux/jiffies.h>
#include <linux/kstrtox.h>

#include "vdpa_accel.h"

/* Drop every session and signal it; va->lock held by the caller. */
static u32 vdpa_accel_lose_locked(struct vdpa_accel *va)
{
	bool running = READ_ONCE(va->running);
	struct vdpa_callback cb;
	u32 n;

	n = vdpa_accel_sessions_live(va);
	/* no request is in flight inside the device after this */
	vdpa_accel_stop(va);
	vdpa_accel_sessions_reset(va);
	/* [SESS-LOSS]: the status bit and the notification come first */
	spin_lock(&va->cb_lock);
	WRITE_ONCE(va->needs_reset, true);
	cb = va->config_cb;
	spin_unlock(&va->cb_lock);
	atomic64_inc(&va->losses);
	if (cb.callback)
		cb.callback(cb.private);
	/* [SESS-LOST-REQ]: the rest of the device keeps working */
	if (running) {
		WRITE_ONCE(va->running, true);
		vdpa_accel_kick_all(va);
	}
	return n;
}

static ssize_t lose_sessions_store(struct device *dev,
				   struct device_attribute *attr,
				   const char *buf, size_t count)
{
	struct vdpa_accel *va = vdpa_to_accel(dev_to_vdpa(dev));
	bool on;
	u32 n;
	int ret;

	ret = kstrtobool(buf, &on);
	if (ret)
		return ret;
	if (!on)
		return count;
	mutex_lock(&va->lock);
	n = vdpa_accel_lose_locked(va);
	mutex_unlock(&va->lock);
	dev_warn(dev, "%u sessions lost (lose_sessions), DEVICE_NEEDS_RESET set\n",
		 n);
	return count;
}
DEVICE_ATTR_WO(lose_sessions);

static ssize_t losses_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct vdpa_accel *va = vdpa_to_accel(dev_to_vdpa(dev));

	return sysfs_emit(buf, "%lld\n", atomic64_read(&va->losses));
}
DEVICE_ATTR_RO(losses);

/*
 * Test knob for [CFG-READY] / [DRV-READY]: hw_ready_delay_ms (0-900, default
 * 0) keeps VIRTIO_ACCEL_S_HW_READY clear from reset until that long after
 * DRIVER_OK, as a device that needs time to get ready may (the spec allows
 * up to 1 s). The parent serves requests meanwhile all the same.
 */
void vdpa_accel_hw_ready_start(struct vdpa_accel *va)
{
	WRITE_ONCE(va->hw_ready_at,
		   jiffies + msecs_to_jiffies(READ_ONCE(va->hw_ready_delay_ms)));
}

void vdpa_accel_hw_ready_cfg(struct vdpa_accel *va,
			     struct virtio_accel_config *c)
{
	if (!READ_ONCE(va->hw_ready_delay_ms))
		return;
	if ((READ_ONCE(va->status) & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    time_after_eq(jiffies, READ_ONCE(va->hw_ready_at)))
		return;
	c->status &= ~cpu_to_le32(VIRTIO_ACCEL_S_HW_READY);
}

static ssize_t hw_ready_delay_ms_show(struct device *dev,
				      struct device_attribute *attr, char *buf)
{
	struct vdpa_accel *va = vdpa_to_accel(dev_to_vdpa(dev));

	return sysfs_emit(buf, "%u\n", READ_ONCE(va->hw_ready_delay_ms));
}

static ssize_t hw_ready_delay_ms_store(struct device *dev,
				       struct device_attribute *attr,
				       const char *buf, size_t count)
{
	struct vdpa_accel *va = vdpa_to_accel(dev_to_vdpa(dev));
	unsigned int ms;
	int ret;

	ret = kstrtouint(buf, 0, &ms);
	if (ret)
		return ret;
	if (ms > 900)
		return -EINVAL;
	WRITE_ONCE(va->hw_ready_delay_ms, ms);
	return count;
}
DEVICE_ATTR_RW(hw_ready_delay_ms);
