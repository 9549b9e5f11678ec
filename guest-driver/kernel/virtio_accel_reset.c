// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-accel guest driver: a device that lost its sessions
 * (spec [SESS-LOSS], [DRV-NEEDS-RESET], [DRV-RING]), and freeze/restore.
 *
 * A configuration change notification queues the reset work, which reads
 * the device status; with DEVICE_NEEDS_RESET set it runs the virtio core's
 * freeze and restore (virtio_device_freeze/restore, the suspend path):
 *
 *  - freeze (vaccel_freeze): every queue goes down (new requests of a
 *    file wait for the restore, new crypto API requests are hashed in
 *    software), the device is reset, so it neither uses a buffer nor
 *    calls back any more, every request it had not completed completes
 *    with -ECANCELED (waiters, async readers, crypto API callbacks and
 *    streams see it), and the virtqueues are deleted. vd->epoch is bumped:
 *    every session created before is lost. The sessions of the files stay
 *    in their trees, marked lost and counted in sessions_lost: a request
 *    naming one fails with -ESTALE, destroying one (or closing the file)
 *    frees it without a word to the device, whose ids may name others'
 *    sessions after the reset.
 *  - restore (vaccel_restore, after the core reset the device and
 *    negotiated the same features again): the configuration is read and
 *    checked again, the virtqueues found again, DRIVER_OK set, HW_READY
 *    awaited ([DRV-READY]), and the queues come back up. The capabilities
 *    of the first probe are kept.
 *
 * The crypto API holds no session across requests: a whole message is one
 * stateless request, and a stream's session lives for one request of the
 * API, which then fails with -ECANCELED or -ESTALE, or, if nothing of it
 * reached the device, is hashed in software.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "virtio_accel_common.h"

static ssize_t resets_show(struct device *dev, struct device_attribute *a,
			   char *buf)
{
	struct vaccel_dev *vd = container_of(dev, struct vaccel_dev, dev);

	return sysfs_emit(buf, "%ld\n", atomic_long_read(&vd->resets));
}
DEVICE_ATTR_RO(resets);

static ssize_t sessions_lost_show(struct device *dev,
				  struct device_attribute *a, char *buf)
{
	struct vaccel_dev *vd = container_of(dev, struct vaccel_dev, dev);

	return sysfs_emit(buf, "%ld\n", atomic_long_read(&vd->sess_lost));
}
DEVICE_ATTR_RO(sessions_lost);

static void vaccel_reset_work(struct work_struct *work)
{
	struct vaccel_dev *vd = container_of(work, struct vaccel_dev,
					     reset_work);
	struct virtio_device *vdev = vd->vdev;
	int err;

	if (!READ_ONCE(vd->ready) || READ_ONCE(vd->dead))
		return;
	if (!(vdev->config->get_status(vdev) & VIRTIO_CONFIG_S_NEEDS_RESET))
		return;
	dev_warn(&vd->dev, "device needs a reset: its sessions are lost\n");
#ifdef CONFIG_PM_SLEEP
	err = virtio_device_freeze(vdev);
	if (!err)
		err = virtio_device_restore(vdev);
#else
	err = -EOPNOTSUPP;
#endif
	if (err) {
		dev_err(&vd->dev, "reset failed (%d): device unusable\n", err);
		virtio_break_device(vdev);
	}
}

void vaccel_reset_init(struct vaccel_dev *vd)
{
	INIT_WORK(&vd->reset_work, vaccel_reset_work);
	vd->epoch = 1;
	atomic_long_set(&vd->resets, 0);
	atomic_long_set(&vd->sess_lost, 0);
}

/* remove(): the core sends no more notifications; none may be running. */
void vaccel_reset_cancel(struct vaccel_dev *vd)
{
	WRITE_ONCE(vd->ready, false);
	cancel_work_sync(&vd->reset_work);
}

/* Any context: the status is read by the work. */
void vaccel_config_changed(struct virtio_device *vdev)
{
	struct vaccel_dev *vd = vdev->priv;

	if (vd && READ_ONCE(vd->ready))
		schedule_work(&vd->reset_work);
}

/* Mark the sessions of every file lost; count them. */
static void vaccel_sessions_lose(struct vaccel_dev *vd)
{
	struct vaccel_file *vf;
	struct rb_node *n;
	long lost = 0;

	spin_lock(&vd->files_lock);
	list_for_each_entry(vf, &vd->files, node) {
		spin_lock_irq(&vf->lock);
		for (n = rb_first(&vf->sessions); n; n = rb_next(n)) {
			struct vaccel_sess *s = rb_entry(n, struct vaccel_sess,
							 node);

			if (!s->lost) {
				s->lost = true;
				lost++;
			}
		}
		spin_unlock_irq(&vf->lock);
		wake_up_all(&vf->wq);
	}
	spin_unlock(&vd->files_lock);
	atomic_long_add(lost, &vd->sess_lost);
	dev_info(&vd->dev, "%ld sessions of files lost\n", lost);
}

int vaccel_freeze(struct virtio_device *vdev)
{
	struct vaccel_dev *vd = vdev->priv;
	struct vaccel_vq *ctrl = &vd->qs[VIRTIO_ACCEL_CTRLQ];

	WRITE_ONCE(vd->resetting, true);
	vaccel_vqs_fail_all(vd, -ECANCELED);
	/*
	 * Every session created before is lost. The queues are down until
	 * the restore: a creation queued before took the old epoch, none
	 * can be queued now; under the control queue's lock as it reads it.
	 */
	spin_lock_irq(&ctrl->lock);
	WRITE_ONCE(vd->epoch, vd->epoch + 1);
	spin_unlock_irq(&ctrl->lock);
	vaccel_sessions_lose(vd);
	atomic_long_inc(&vd->resets);
	return 0;
}

static int vaccel_refind_vqs(struct vaccel_dev *vd)
{
	unsigned int nvqs = 1 + vd->nr_dataqs, i;
	struct virtqueue_info *info;
	struct virtqueue **vqs;
	int err = -ENOMEM;

	info = kcalloc(nvqs, sizeof(*info), GFP_KERNEL);
	vqs = kcalloc(nvqs, sizeof(*vqs), GFP_KERNEL);
	if (!info || !vqs)
		goto free;
	for (i = 0; i < nvqs; i++) {
		info[i].name = vd->qs[i].name;
		info[i].callback = vaccel_vq_done;
	}
	err = virtio_find_vqs(vd->vdev, nvqs, vqs, info, NULL);
	if (err)
		goto free;
	for (i = 0; i < nvqs; i++) {
		struct vaccel_vq *q = &vd->qs[i];

		spin_lock_irq(&q->lock);
		q->vq = vqs[i];
		q->size = virtqueue_get_vring_size(vqs[i]);
		spin_unlock_irq(&q->lock);
	}
free:
	kfree(vqs);
	kfree(info);
	return err;
}

static void vaccel_queues_up(struct vaccel_dev *vd, bool up)
{
	unsigned int i;

	for (i = 0; i < 1 + vd->nr_dataqs; i++) {
		struct vaccel_vq *q = &vd->qs[i];

		spin_lock_irq(&q->lock);
		q->dead = !up;
		spin_unlock_irq(&q->lock);
	}
	WRITE_ONCE(vd->resetting, false);
	for (i = 0; i < 1 + vd->nr_dataqs; i++)
		wake_up_all(&vd->qs[i].wq);
}

int vaccel_restore(struct virtio_device *vdev)
{
	struct vaccel_dev *vd = vdev->priv;
	u32 old_data_len = vd->max_data_len;
	int err, tries;

	err = vaccel_read_config(vd);
	if (err)
		goto fail;
	/* what users and the queues were sized for must still hold */
	if (vd->max_data_len < old_data_len ||
	    (vd->nr_dataqs > 1 &&
	     (!virtio_has_feature(vdev, VIRTIO_ACCEL_F_MQ) ||
	      vd->max_dataqueues < vd->nr_dataqs))) {
		dev_err(&vd->dev, "device shrank across its reset\n");
		vd->max_data_len = old_data_len;
		err = -EIO;
		goto fail;
	}
	vd->max_data_len = old_data_len;
	err = vaccel_refind_vqs(vd);
	if (err)
		goto fail;
	virtio_device_ready(vdev);
	/* [DRV-READY] */
	for (tries = 0; !vaccel_hw_ready(vd); tries++) {
		if (tries == 50) {
			dev_err(&vd->dev, "device not ready after its reset\n");
			err = -EIO;
			goto reset;
		}
		msleep(20);
	}
	vaccel_queues_up(vd, true);
	dev_info(&vd->dev, "device reset and ready again (reset %ld)\n",
		 atomic_long_read(&vd->resets));
	return 0;

reset:
	/* the queues are still down: nothing to fail but the virtqueues */
	vaccel_vqs_fail_all(vd, -ECANCELED);
fail:
	WRITE_ONCE(vd->dead, true);
	vaccel_queues_up(vd, false);
	return err;
}
