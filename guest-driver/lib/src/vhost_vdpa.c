// SPDX-License-Identifier: BSD-3-Clause
/*
 * vhost-vdpa transport: the library drives /dev/vhost-vdpa-N itself, the way
 * DPDK's virtio-user does (drivers/net/virtio/virtio_user/vhost_vdpa.c).
 * Only the control plane lives here: features, the status dance, the
 * configuration, IOTLB (DMA) mapping of the shared region and the vrings.
 * Rings, requests, memory and notifications (kick and call eventfds) are
 * the code vhost-user uses.
 *
 * Linux API: include/uapi/linux/vhost.h and vhost_types.h. The memory is
 * anonymous; an IOTLB update pins it, which counts against RLIMIT_MEMLOCK.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>

#include "internal.h"

#define VDPA_PAGE 4096ull

struct vdpa {
	int fd;
	uint64_t backend_features;
	uint8_t status;
	bool mapped;
	uint64_t iova_first;
	uint64_t iova_last;
};

static struct vdpa *vdpa_of(struct virtaccel_dev *dev)
{
	return dev->tpriv;
}

static int vdpa_ioctl(struct vdpa *v, unsigned long req, void *arg)
{
	int r;

	do {
		r = ioctl(v->fd, req, arg);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

static int vdpa_set_status(struct vdpa *v, uint8_t status)
{
	int ret = vdpa_ioctl(v, VHOST_VDPA_SET_STATUS, &status);

	if (!ret)
		v->status = status;
	return ret;
}

/* Add @bit to the status and read it back: -EIO if the device refused. */
static int vdpa_add_status(struct vdpa *v, uint8_t bit)
{
	uint8_t st = 0;
	int ret;

	ret = vdpa_set_status(v, v->status | bit);
	if (ret)
		return ret;
	ret = vdpa_ioctl(v, VHOST_VDPA_GET_STATUS, &st);
	if (ret)
		return ret;
	if (!(st & bit) || (st & (VIRTIO_CONFIG_S_FAILED |
				  VIRTIO_CONFIG_S_NEEDS_RESET)))
		return -EIO;
	return 0;
}

static int vdpa_iotlb(struct vdpa *v, uint8_t type, uint64_t iova,
		      uint64_t size, uint64_t uaddr)
{
	struct vhost_msg_v2 m;
	ssize_t n;

	memset(&m, 0, sizeof(m));
	m.type = VHOST_IOTLB_MSG_V2;
	m.asid = 0;
	m.iotlb.type = type;
	m.iotlb.iova = iova;
	m.iotlb.size = size;
	m.iotlb.uaddr = uaddr;
	m.iotlb.perm = VHOST_ACCESS_RW;
	do {
		n = write(v->fd, &m, sizeof(m));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == sizeof(m) ? 0 : -EIO;
}

/* One IOTLB change, in a batch when the kernel takes batching hints. */
static int vdpa_iotlb_one(struct vdpa *v, uint8_t type, uint64_t iova,
			  uint64_t size, uint64_t uaddr)
{
	bool batch = v->backend_features & (1ull << VHOST_BACKEND_F_IOTLB_BATCH);
	int ret, ret2;

	if (batch) {
		ret = vdpa_iotlb(v, VHOST_IOTLB_BATCH_BEGIN, 0, 0, 0);
		if (ret)
			return ret;
	}
	ret = vdpa_iotlb(v, type, iova, size, uaddr);
	if (batch) {
		ret2 = vdpa_iotlb(v, VHOST_IOTLB_BATCH_END, 0, 0, 0);
		if (!ret)
			ret = ret2;
	}
	return ret;
}

static unsigned int pow2_floor(unsigned int x)
{
	unsigned int p = 1;

	while (p <= x / 2)
		p *= 2;
	return p;
}

static int vdpa_connect(struct virtaccel_dev *dev, const char *path)
{
	const uint64_t want_backend =
		(1ull << VHOST_BACKEND_F_IOTLB_MSG_V2) |
		(1ull << VHOST_BACKEND_F_IOTLB_BATCH);
	union {
		struct vhost_vdpa_config hdr;
		uint8_t buf[sizeof(struct vhost_vdpa_config) +
			    sizeof(struct virtio_accel_config)];
	} cfg;
	struct vhost_vdpa_iova_range range;
	struct stat st;
	struct vdpa *v;
	uint32_t id = 0, cfg_size = 0, nvqs = 0;
	uint16_t vring_max = 0;
	int ret;

	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	dev->tpriv = v;
	v->fd = open(path, O_RDWR | O_CLOEXEC);
	if (v->fd < 0)
		return -errno;
	if (fstat(v->fd, &st) < 0)
		return -errno;
	if (!S_ISCHR(st.st_mode))
		return -ENODEV;

	/* the opener owns the device: IOTLB updates pin its memory */
	ret = vdpa_ioctl(v, VHOST_SET_OWNER, NULL);
	if (ret)
		return ret == -ENOTTY ? -ENODEV : ret;
	ret = vdpa_ioctl(v, VHOST_GET_BACKEND_FEATURES, &v->backend_features);
	if (ret)
		return ret;
	if (!(v->backend_features & (1ull << VHOST_BACKEND_F_IOTLB_MSG_V2)))
		return -EPROTO;
	v->backend_features &= want_backend;
	ret = vdpa_ioctl(v, VHOST_SET_BACKEND_FEATURES, &v->backend_features);
	if (ret)
		return ret;

	ret = vdpa_ioctl(v, VHOST_VDPA_GET_DEVICE_ID, &id);
	if (ret)
		return ret == -ENOTTY ? -ENODEV : ret;
	if (id != VIRTIO_ID_ACCEL)
		return -ENODEV;

	/* reset, then ACKNOWLEDGE and DRIVER (virtio 1.x 3.1.1) */
	ret = vdpa_set_status(v, 0);
	if (ret)
		return ret;
	ret = vdpa_add_status(v, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	if (ret)
		return ret;
	ret = vdpa_add_status(v, VIRTIO_CONFIG_S_DRIVER);
	if (ret)
		return ret;

	ret = vdpa_ioctl(v, VHOST_GET_FEATURES, &dev->device_features);
	if (ret)
		return ret;

	ret = vdpa_ioctl(v, VHOST_VDPA_GET_CONFIG_SIZE, &cfg_size);
	if (!ret && cfg_size < sizeof(dev->cfg))
		return -EPROTO;
	memset(&cfg, 0, sizeof(cfg));
	cfg.hdr.off = 0;
	cfg.hdr.len = sizeof(dev->cfg);
	ret = vdpa_ioctl(v, VHOST_VDPA_GET_CONFIG, &cfg);
	if (ret)
		return ret;
	memcpy(&dev->cfg, cfg.hdr.buf, sizeof(dev->cfg));

	ret = vdpa_ioctl(v, VHOST_VDPA_GET_VQS_COUNT, &nvqs);
	if (ret)
		nvqs = 1 + le16toh(dev->cfg.max_dataqueues);
	if (nvqs < 2)
		return -EPROTO;
	dev->dev_max_vqs = nvqs > 65536 ? 65536 : nvqs;

	/* the largest ring the parent takes */
	if (!vdpa_ioctl(v, VHOST_VDPA_GET_VRING_NUM, &vring_max) &&
	    vring_max && dev->queue_size > vring_max)
		dev->queue_size = pow2_floor(vring_max);

	v->iova_first = 0;
	v->iova_last = UINT64_MAX;
	if (!vdpa_ioctl(v, VHOST_VDPA_GET_IOVA_RANGE, &range) &&
	    range.first <= range.last) {
		v->iova_first = range.first;
		v->iova_last = range.last;
	}
	return 0;
}

static int vdpa_set_features(struct virtaccel_dev *dev, uint64_t features)
{
	struct vdpa *v = vdpa_of(dev);
	int ret;

	/* a vDPA parent translates through its IOTLB: it must say so */
	if (!(features & (1ull << VIRTIO_F_ACCESS_PLATFORM)) ||
	    !(features & (1ull << VIRTIO_F_VERSION_1)))
		return -EPROTO;
	ret = vdpa_ioctl(v, VHOST_SET_FEATURES, &features);
	if (ret)
		return ret;
	ret = vdpa_add_status(v, VIRTIO_CONFIG_S_FEATURES_OK);
	/* FEATURES_OK not kept: the device refused the subset */
	return ret == -EIO ? -EPROTO : ret;
}

static int vdpa_config_rw(struct virtaccel_dev *dev, bool write, uint32_t off,
			  void *buf, uint32_t len)
{
	struct vhost_vdpa_config *c = malloc(sizeof(*c) + len);
	int ret;

	if (!c)
		return -ENOMEM;
	c->off = off;
	c->len = len;
	if (write)
		memcpy(c->buf, buf, len);
	ret = vdpa_ioctl(vdpa_of(dev), write ? VHOST_VDPA_SET_CONFIG :
			 VHOST_VDPA_GET_CONFIG, c);
	if (!ret && !write)
		memcpy(buf, c->buf, len);
	free(c);
	return ret;
}

static int vdpa_set_mem(struct virtaccel_dev *dev)
{
	struct vdpa *v = vdpa_of(dev);
	struct shm *m = &dev->shm;
	uint64_t va = (uint64_t)(uintptr_t)m->base, iova;
	int ret;

	/* identity (iova = address) when the parent's range allows it */
	iova = va;
	if (va < v->iova_first || va + m->size - 1 > v->iova_last) {
		iova = (v->iova_first + VDPA_PAGE - 1) & ~(VDPA_PAGE - 1);
		if (iova < v->iova_first || iova + m->size - 1 < iova ||
		    iova + m->size - 1 > v->iova_last)
			return -ERANGE;
	}
	ret = vdpa_iotlb_one(v, VHOST_IOTLB_UPDATE, iova, m->size, va);
	/*
	 * vhost turns every IOTLB failure into EFAULT; with the range
	 * checked above, the cause is pinning: RLIMIT_MEMLOCK.
	 */
	if (ret == -EFAULT)
		return -ENOMEM;
	if (ret)
		return ret;
	m->iova = iova;
	v->mapped = true;
	return 0;
}

static int vdpa_set_state(struct vdpa *v, unsigned long req,
			  unsigned int index, unsigned int num)
{
	struct vhost_vring_state s = {.index = index, .num = num};

	return vdpa_ioctl(v, req, &s);
}

static int vdpa_set_file(struct vdpa *v, unsigned long req,
			 unsigned int index, int fd)
{
	struct vhost_vring_file f = {.index = index, .fd = fd};

	return vdpa_ioctl(v, req, &f);
}

static int vdpa_setup_vq(struct virtaccel_dev *dev, struct va_queue *q)
{
	struct vdpa *v = vdpa_of(dev);
	const struct shm *m = &dev->shm;
	struct vhost_vring_addr a;
	int ret;

	ret = vdpa_set_state(v, VHOST_SET_VRING_NUM, q->index, q->vq.num);
	if (ret)
		return ret;
	/* vhost-vdpa takes device (IOVA) addresses for the rings */
	memset(&a, 0, sizeof(a));
	a.index = q->index;
	a.desc_user_addr = shm_iova(m, q->vq.vr.desc);
	a.avail_user_addr = shm_iova(m, q->vq.vr.avail);
	a.used_user_addr = shm_iova(m, q->vq.vr.used);
	ret = vdpa_ioctl(v, VHOST_SET_VRING_ADDR, &a);
	if (ret)
		return ret;
	ret = vdpa_set_state(v, VHOST_SET_VRING_BASE, q->index, 0);
	if (ret)
		return ret;
	ret = vdpa_set_file(v, VHOST_SET_VRING_KICK, q->index, q->kick_fd);
	if (ret)
		return ret;
	ret = vdpa_set_file(v, VHOST_SET_VRING_CALL, q->index, q->call_fd);
	if (ret)
		return ret;
	return vdpa_set_state(v, VHOST_VDPA_SET_VRING_ENABLE, q->index, 1);
}

static int vdpa_start(struct virtaccel_dev *dev)
{
	return vdpa_add_status(vdpa_of(dev), VIRTIO_CONFIG_S_DRIVER_OK);
}

static void vdpa_disconnect(struct virtaccel_dev *dev)
{
	struct vdpa *v = vdpa_of(dev);

	if (!v)
		return;
	if (v->fd >= 0 && !dev->foreign) {
		/* stop the device before its memory goes away */
		if (v->status)
			vdpa_set_status(v, 0);
		if (v->mapped)
			vdpa_iotlb_one(v, VHOST_IOTLB_INVALIDATE,
				       dev->shm.iova, dev->shm.size, 0);
	}
	if (v->fd >= 0)
		close(v->fd);
	free(v);
	dev->tpriv = NULL;
}

const struct va_transport va_vhost_vdpa_transport = {
	.name = "vhost-vdpa",
	.prefix = "vhost-vdpa:",
	/* VIRTIO_F_ACCESS_PLATFORM: a vDPA parent requires it */
	.extra_features = 1ull << VIRTIO_F_ACCESS_PLATFORM,
	.connect = vdpa_connect,
	.set_features = vdpa_set_features,
	.config_rw = vdpa_config_rw,
	.set_mem = vdpa_set_mem,
	.setup_vq = vdpa_setup_vq,
	.start = vdpa_start,
	.kick = va_kick_eventfd,
	.disconnect = vdpa_disconnect,
};
