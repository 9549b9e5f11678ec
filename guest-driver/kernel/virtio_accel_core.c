// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-accel guest driver: module, probe and remove, sysfs.
 * (virtio-accel-spec/virtio-accel.md; see virtio_accel_common.h)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "virtio_accel_common.h"

unsigned int max_sessions_per_file = 64;
module_param(max_sessions_per_file, uint, 0644);
MODULE_PARM_DESC(max_sessions_per_file,
		 "sessions one open file may hold (default 64)");

unsigned int max_inflight_per_file = 256;
module_param(max_inflight_per_file, uint, 0644);
MODULE_PARM_DESC(max_inflight_per_file,
		 "async ops one open file may have unreaped (default 256)");

/*
 * Memory a device's requests may pin (buffers and bookkeeping of requests
 * not yet freed: blocking ops in flight, async ops until reaped, RAW), and
 * one file's share of it. 0 at load selects the default: an eighth of RAM
 * per device (at least 16 MiB), a quarter of that per file.
 */
unsigned int max_pinned_mb_per_dev;
module_param(max_pinned_mb_per_dev, uint, 0644);
MODULE_PARM_DESC(max_pinned_mb_per_dev,
		 "MiB of request memory one device may pin (default RAM/8, >= 16)");

unsigned int max_pinned_mb_per_file;
module_param(max_pinned_mb_per_file, uint, 0644);
MODULE_PARM_DESC(max_pinned_mb_per_file,
		 "MiB of request memory one open file may pin (default max_pinned_mb_per_dev/4)");

/* 0: only the device's own table (max_sessions, NOSPC) bounds them */
unsigned int max_sessions_per_dev;
module_param(max_sessions_per_dev, uint, 0644);
MODULE_PARM_DESC(max_sessions_per_dev,
		 "sessions all files of one device may hold (default 0: the device's table)");

static dev_t vaccel_devt;
static DEFINE_IDA(vaccel_ida);

/* ---- sysfs ------------------------------------------------------------ */

static struct vaccel_dev *to_vaccel(struct device *dev)
{
	return container_of(dev, struct vaccel_dev, dev);
}

static ssize_t sessions_show(struct device *dev, struct device_attribute *a,
			     char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&to_vaccel(dev)->sess_live));
}
static DEVICE_ATTR_RO(sessions);

static ssize_t sessions_created_show(struct device *dev,
				     struct device_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%ld\n",
			  atomic_long_read(&to_vaccel(dev)->sess_created));
}
static DEVICE_ATTR_RO(sessions_created);

static ssize_t sessions_destroyed_show(struct device *dev,
				       struct device_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%ld\n",
			  atomic_long_read(&to_vaccel(dev)->sess_destroyed));
}
static DEVICE_ATTR_RO(sessions_destroyed);

static ssize_t inflight_show(struct device *dev, struct device_attribute *a,
			     char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&to_vaccel(dev)->inflight));
}
static DEVICE_ATTR_RO(inflight);

static ssize_t completed_show(struct device *dev, struct device_attribute *a,
			      char *buf)
{
	return sysfs_emit(buf, "%ld\n",
			  atomic_long_read(&to_vaccel(dev)->ops_done));
}
static DEVICE_ATTR_RO(completed);

static ssize_t ring_full_waits_show(struct device *dev,
				    struct device_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%ld\n",
			  atomic_long_read(&to_vaccel(dev)->ring_waits));
}
static DEVICE_ATTR_RO(ring_full_waits);

static ssize_t num_queues_show(struct device *dev, struct device_attribute *a,
			       char *buf)
{
	return sysfs_emit(buf, "%u\n", to_vaccel(dev)->nr_dataqs);
}
static DEVICE_ATTR_RO(num_queues);

static ssize_t pinned_show(struct device *dev, struct device_attribute *a,
			   char *buf)
{
	return sysfs_emit(buf, "%ld\n",
			  atomic_long_read(&to_vaccel(dev)->pinned));
}
static DEVICE_ATTR_RO(pinned);

static ssize_t pinned_peak_show(struct device *dev,
				struct device_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%ld\n",
			  atomic_long_read(&to_vaccel(dev)->pinned_peak));
}
static DEVICE_ATTR_RO(pinned_peak);

static ssize_t pinned_refused_show(struct device *dev,
				   struct device_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%ld\n",
			  atomic_long_read(&to_vaccel(dev)->pinned_refused));
}
static DEVICE_ATTR_RO(pinned_refused);

static struct attribute *vaccel_attrs[] = {
	&dev_attr_sessions.attr,
	&dev_attr_sessions_created.attr,
	&dev_attr_sessions_destroyed.attr,
	&dev_attr_inflight.attr,
	&dev_attr_completed.attr,
	&dev_attr_ring_full_waits.attr,
	&dev_attr_num_queues.attr,
	&dev_attr_pinned.attr,
	&dev_attr_pinned_peak.attr,
	&dev_attr_pinned_refused.attr,
	&dev_attr_resets.attr,
	&dev_attr_sessions_lost.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vaccel);

static char *vaccel_devnode(const struct device *dev, umode_t *mode)
{
	if (mode)
		*mode = 0600;
	return NULL;
}

static const struct class vaccel_class = {
	.name = "vaccel",
	.devnode = vaccel_devnode,
	.dev_groups = vaccel_groups,
	.class_groups = vaccel_class_groups,
};

/* ---- probe / remove ----------------------------------------------------- */

static void vaccel_dev_release(struct device *dev)
{
	struct vaccel_dev *vd = to_vaccel(dev);

	ida_free(&vaccel_ida, vd->index);
	kfree(vd->caps);
	kfree(vd->qs);
	kfree(vd);
}

int vaccel_read_config(struct vaccel_dev *vd)
{
	struct virtio_device *vdev = vd->vdev;
	u16 v16;
	u32 v;

	virtio_cread_le(vdev, struct virtio_accel_config, max_dataqueues,
			&v16);
	vd->max_dataqueues = v16;
	virtio_cread_le(vdev, struct virtio_accel_config, max_segments, &v16);
	vd->max_segments = v16;
	virtio_cread_le(vdev, struct virtio_accel_config, services,
			&vd->services);
	virtio_cread_le(vdev, struct virtio_accel_config, max_sessions,
			&vd->max_sessions);
	virtio_cread_le(vdev, struct virtio_accel_config, max_data_len, &v);
	vd->max_data_len = min_t(u32, v, VACCEL_DATA_LEN_CAP);
	/* what a user may make the driver allocate is the driver's bound */
	virtio_cread_le(vdev, struct virtio_accel_config, max_key_len,
			&vd->max_key_len);
	vd->max_key_len = min_t(u32, vd->max_key_len, VACCEL_KEY_LEN_CAP);
	virtio_cread_le(vdev, struct virtio_accel_config, max_aad_len,
			&vd->max_aad_len);
	vd->max_aad_len = min_t(u32, vd->max_aad_len, VACCEL_DATA_LEN_CAP);
	virtio_cread_le(vdev, struct virtio_accel_config, max_comp_streams,
			&vd->max_comp_streams);

	/* [CFG-DRV]: refuse a device that breaks [CFG-LIMITS] */
	if (vd->max_dataqueues < 1 || vd->max_segments < 4 || v < 4096) {
		dev_err(&vdev->dev,
			"bad config: max_dataqueues %u max_segments %u max_data_len %u\n",
			vd->max_dataqueues, vd->max_segments, v);
		return -EINVAL;
	}
	return 0;
}

bool vaccel_hw_ready(struct vaccel_dev *vd)
{
	u32 status;

	virtio_cread_le(vd->vdev, struct virtio_accel_config, status, &status);
	return status & VIRTIO_ACCEL_S_HW_READY;
}

static int vaccel_init_vqs(struct vaccel_dev *vd)
{
	unsigned int nvqs = 1 + vd->nr_dataqs, i;
	struct virtqueue_info *info;
	struct virtqueue **vqs;
	int err = -ENOMEM;

	vd->qs = kcalloc(nvqs, sizeof(*vd->qs), GFP_KERNEL);
	info = kcalloc(nvqs, sizeof(*info), GFP_KERNEL);
	vqs = kcalloc(nvqs, sizeof(*vqs), GFP_KERNEL);
	if (!vd->qs || !info || !vqs)
		goto free;
	for (i = 0; i < nvqs; i++) {
		struct vaccel_vq *q = &vd->qs[i];

		spin_lock_init(&q->lock);
		INIT_LIST_HEAD(&q->inflight);
		INIT_LIST_HEAD(&q->backlog);
		init_waitqueue_head(&q->wq);
		if (i == VIRTIO_ACCEL_CTRLQ)
			snprintf(q->name, sizeof(q->name), "control");
		else
			snprintf(q->name, sizeof(q->name), "data.%u", i - 1);
		info[i].name = q->name;
		info[i].callback = vaccel_vq_done;
	}
	err = virtio_find_vqs(vd->vdev, nvqs, vqs, info, NULL);
	if (err)
		goto free;
	for (i = 0; i < nvqs; i++) {
		vd->qs[i].vq = vqs[i];
		vd->qs[i].size = virtqueue_get_vring_size(vqs[i]);
	}
	vd->queue_size = virtqueue_get_vring_size(vqs[VIRTIO_ACCEL_DATAQ(0)]);
free:
	kfree(vqs);
	kfree(info);
	return err;
}

/*
 * Take every queue of @vd down for good or until a restore: no request is
 * added after this (q->dead), the device is reset, so it neither uses a
 * buffer nor calls back any more, every request it held and every crypto
 * request on a backlog completes with @err, the submitters waiting for
 * room wake, and the virtqueues are deleted. remove() fails them with
 * -ENODEV, freeze with -ECANCELED.
 */
void vaccel_vqs_fail_all(struct vaccel_dev *vd, int err)
{
	struct virtio_device *vdev = vd->vdev;
	unsigned int i;

	for (i = 0; i < 1 + vd->nr_dataqs; i++) {
		struct vaccel_vq *q = &vd->qs[i];

		spin_lock_irq(&q->lock);
		q->dead = true;
		spin_unlock_irq(&q->lock);
	}
	/* no more used buffers, no more callbacks after this */
	virtio_reset_device(vdev);
	for (i = 0; i < 1 + vd->nr_dataqs; i++) {
		struct vaccel_vq *q = &vd->qs[i];
		struct vaccel_req *req, *tmp;

		spin_lock_irq(&q->lock);
		/* a failed restore left no virtqueue */
		while (q->vq && virtqueue_detach_unused_buf(q->vq))
			;
		list_for_each_entry_safe(req, tmp, &q->inflight, qnode)
			vaccel_req_finish(req, 0, err);
		/*
		 * Crypto requests that never reached the ring: they returned
		 * -EBUSY, so each hears -EINPROGRESS (it left the backlog)
		 * before its result, as one the ring took would.
		 */
		list_for_each_entry_safe(req, tmp, &q->backlog, qnode) {
			list_del_init(&req->qnode);
			req->error = err;
			vaccel_crypto_started(req);
			vaccel_crypto_finish(req);
		}
		q->vq = NULL;
		spin_unlock_irq(&q->lock);
		/* they see q->dead: fail, or wait for the restore */
		wake_up_all(&q->wq);
	}
	vdev->config->del_vqs(vdev);
}

/*
 * Stop the device for good: no request is added after this, every request
 * the device held completes with -ENODEV, every waiter wakes. The vqs are
 * deleted; the caller still holds its device reference.
 */
static void vaccel_shutdown(struct vaccel_dev *vd)
{
	struct vaccel_file *vf;

	WRITE_ONCE(vd->dead, true);
	vaccel_vqs_fail_all(vd, -ENODEV);
	/* streams: their requests failed, later ones fail at once */
	vaccel_stream_drain(vd);

	spin_lock(&vd->files_lock);
	list_for_each_entry(vf, &vd->files, node)
		wake_up_all(&vf->wq);
	spin_unlock(&vd->files_lock);
	flush_work(&vd->crypto_work);
	flush_work(&vd->free_work);
}

static int vaccel_probe(struct virtio_device *vdev)
{
	struct vaccel_dev *vd;
	int err, tries;

	if (!vdev->config->get) {
		dev_err(&vdev->dev, "config access disabled\n");
		return -EINVAL;
	}
	if (!virtio_has_feature(vdev, VIRTIO_F_VERSION_1)) {
		dev_err(&vdev->dev, "VIRTIO_F_VERSION_1 not negotiated\n");
		return -ENODEV;		/* [FEAT-V1] */
	}

	vd = kzalloc(sizeof(*vd), GFP_KERNEL);
	if (!vd)
		return -ENOMEM;
	vd->index = ida_alloc_max(&vaccel_ida, VACCEL_MAX_DEVS - 1,
				  GFP_KERNEL);
	if (vd->index < 0) {
		err = vd->index;
		kfree(vd);
		return err;
	}
	device_initialize(&vd->dev);	/* from here on put_device frees */
	vd->dev.class = &vaccel_class;
	vd->dev.parent = &vdev->dev;
	vd->dev.devt = MKDEV(MAJOR(vaccel_devt), vd->index);
	vd->dev.release = vaccel_dev_release;
	err = dev_set_name(&vd->dev, "vaccel%d", vd->index);
	if (err)
		goto put_dev;
	vd->vdev = vdev;
	spin_lock_init(&vd->files_lock);
	INIT_LIST_HEAD(&vd->files);
	init_llist_head(&vd->free_list);
	INIT_WORK(&vd->free_work, vaccel_free_work);
	vaccel_crypto_dev_init(vd);
	vaccel_reset_init(vd);
	vdev->priv = vd;

	err = vaccel_read_config(vd);
	if (err)
		goto put_dev;
	vd->device_features = vdev->config->get_features(vdev);
	vd->driver_features = vdev->features;
	vd->nr_dataqs = 1;
	if (virtio_has_feature(vdev, VIRTIO_ACCEL_F_MQ))
		vd->nr_dataqs = min_t(u32, vd->max_dataqueues, nr_cpu_ids);

	err = vaccel_init_vqs(vd);
	if (err)
		goto put_dev;
	virtio_device_ready(vdev);

	/* [CFG-READY]: a device may set HW_READY only after DRIVER_OK */
	for (tries = 0; !vaccel_hw_ready(vd); tries++) {
		if (tries == 50) {
			dev_err(&vdev->dev, "device not ready\n");
			err = -EIO;
			goto shutdown;
		}
		msleep(20);
	}
	err = vaccel_get_caps(vd);
	if (err) {
		dev_err(&vdev->dev, "GET_CAPS failed: %d\n", err);
		goto shutdown;
	}

	cdev_init(&vd->cdev, &vaccel_fops);
	vd->cdev.owner = THIS_MODULE;
	err = cdev_device_add(&vd->cdev, &vd->dev);
	if (err)
		goto shutdown;
	dev_info(&vd->dev,
		 "%u data queue(s) of %u, %u capabilities, features %#llx\n",
		 vd->nr_dataqs, vd->queue_size, vd->n_caps, vdev->features);
	vaccel_crypto_add(vd);
	WRITE_ONCE(vd->ready, true);
	return 0;

shutdown:
	vaccel_shutdown(vd);
put_dev:
	vdev->priv = NULL;
	put_device(&vd->dev);
	return err;
}

static void vaccel_remove(struct virtio_device *vdev)
{
	struct vaccel_dev *vd = vdev->priv;

	/* no reset runs or starts after this */
	vaccel_reset_cancel(vd);
	/* no new crypto requests, no new opens; open files keep vd alive */
	vaccel_crypto_del(vd);
	cdev_device_del(&vd->cdev, &vd->dev);
	vaccel_shutdown(vd);
	vd->vdev = NULL;
	vdev->priv = NULL;
	put_device(&vd->dev);
}

static const struct virtio_device_id vaccel_id_table[] = {
	{ VIRTIO_ID_ACCEL, VIRTIO_DEV_ANY_ID },
	{ 0 },
};
MODULE_DEVICE_TABLE(virtio, vaccel_id_table);

static const unsigned int vaccel_features[] = {
	VIRTIO_F_VERSION_1,
	VIRTIO_F_ACCESS_PLATFORM,
	VIRTIO_ACCEL_F_MQ,
	VIRTIO_ACCEL_F_STATELESS,
	VIRTIO_ACCEL_F_STREAM,
};

static struct virtio_driver vaccel_driver = {
	.driver.name = KBUILD_MODNAME,
	.id_table = vaccel_id_table,
	.feature_table = vaccel_features,
	.feature_table_size = ARRAY_SIZE(vaccel_features),
	.probe = vaccel_probe,
	.remove = vaccel_remove,
	.config_changed = vaccel_config_changed,
#ifdef CONFIG_PM_SLEEP
	.freeze = vaccel_freeze,
	.restore = vaccel_restore,
#endif
};

static int __init vaccel_init(void)
{
	int err;

	if (!max_pinned_mb_per_dev)
		max_pinned_mb_per_dev =
			max_t(unsigned long, 16,
			      totalram_pages() >> (20 - PAGE_SHIFT) >> 3);
	if (!max_pinned_mb_per_file)
		max_pinned_mb_per_file = max(1U, max_pinned_mb_per_dev / 4);

	err = vaccel_stream_init();
	if (err)
		return err;
	err = class_register(&vaccel_class);
	if (err)
		goto stream_exit;
	err = alloc_chrdev_region(&vaccel_devt, 0, VACCEL_MAX_DEVS, "vaccel");
	if (err)
		goto unregister_class;
	err = register_virtio_driver(&vaccel_driver);
	if (err)
		goto free_region;
	return 0;

free_region:
	unregister_chrdev_region(vaccel_devt, VACCEL_MAX_DEVS);
unregister_class:
	class_unregister(&vaccel_class);
stream_exit:
	vaccel_stream_exit();
	return err;
}

static void __exit vaccel_exit(void)
{
	unregister_virtio_driver(&vaccel_driver);
	vaccel_crypto_exit();
	unregister_chrdev_region(vaccel_devt, VACCEL_MAX_DEVS);
	class_unregister(&vaccel_class);
	vaccel_stream_exit();
}

module_init(vaccel_init);
module_exit(vaccel_exit);

MODULE_DESCRIPTION("virtio-accel guest driver (/dev/vaccelN)");
MODULE_LICENSE("GPL");
