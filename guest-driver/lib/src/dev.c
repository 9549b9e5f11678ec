// SPDX-License-Identifier: BSD-3-Clause
/*
 * Device handle: open (transport, features, memory, queues), close,
 * information, sessions, and the small helpers.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "internal.h"
#include "virtio_accel_req.h"

#define PAGE 4096ul

static const struct va_transport *const transports[] = {
	&va_vhost_user_transport,
	&va_vhost_vdpa_transport,
	&va_chardev_transport,
};

/*
 * Device string -> transport: "vhost-user:PATH", "vhost-vdpa:PATH",
 * "chardev:PATH", or a bare path (it has a '/') of the kernel driver's
 * character device. Anything else (a bare word, an unknown "name:" prefix)
 * is not a device string.
 */
static const struct va_transport *pick_transport(const char *devstr,
						 const char **path)
{
	const char *colon, *slash;
	unsigned int i;

	for (i = 0; i < sizeof(transports) / sizeof(transports[0]); i++) {
		size_t pl = strlen(transports[i]->prefix);

		if (!strncmp(devstr, transports[i]->prefix, pl)) {
			*path = devstr + pl;
			return transports[i];
		}
	}
	colon = strchr(devstr, ':');
	slash = strchr(devstr, '/');
	if (!slash || (colon && colon < slash))
		return NULL;
	*path = devstr;
	return &va_chardev_transport;
}

/* Feature bits this library implements, whatever the transport. */
static const uint64_t known_features =
	(1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_RING_F_INDIRECT_DESC) |
	(1ull << VIRTIO_RING_F_EVENT_IDX) | (1ull << VIRTIO_ACCEL_F_MQ) |
	(1ull << VIRTIO_ACCEL_F_STATELESS) | (1ull << VIRTIO_ACCEL_F_STREAM);

static size_t page_up(size_t v)
{
	return (v + PAGE - 1) & ~(PAGE - 1);
}

static size_t queue_mem(unsigned int num)
{
	return page_up(vq_ring_size(num)) + page_up((size_t)num * VA_SLOT_SIZE);
}

/* [CFG-READY], [CFG-LIMITS]: refuse a device that describes itself badly. */
static int parse_config(struct virtaccel_dev *dev)
{
	const struct virtio_accel_config *c = &dev->cfg;

	if (!(le32toh(c->status) & VIRTIO_ACCEL_S_HW_READY))
		return -EIO;
	dev->max_dataqueues = le16toh(c->max_dataqueues);
	dev->max_segments = le16toh(c->max_segments);
	dev->services = le32toh(c->services);
	dev->max_sessions = le32toh(c->max_sessions);
	dev->max_data_len = le32toh(c->max_data_len);
	dev->max_key_len = le32toh(c->max_key_len);
	dev->max_aad_len = le32toh(c->max_aad_len);
	dev->max_comp_streams = le32toh(c->max_comp_streams);
	if (dev->max_dataqueues < 1 || dev->max_segments < 4 ||
	    dev->max_data_len < 4096)
		return -EPROTO;
	return 0;
}

static void close_queue(struct va_queue *q)
{
	if (!q->initialised)
		return;
	vq_destroy(&q->vq);
	free(q->reqs);
	free(q->backlog);
	if (q->kick_fd >= 0)
		close(q->kick_fd);
	if (q->call_fd >= 0)
		close(q->call_fd);
	pthread_mutex_destroy(&q->lock);
	q->initialised = false;
}

static int init_queue(struct virtaccel_dev *dev, struct va_queue *q,
		      unsigned int index, uint8_t *mem)
{
	unsigned int num = dev->queue_size;
	int ret;

	memset(q, 0, sizeof(*q));
	q->index = index;
	q->kick_fd = -1;
	q->call_fd = -1;
	ret = pthread_mutex_init(&q->lock, NULL);
	if (ret)
		return -ret;
	q->initialised = true;
	ret = vq_init(&q->vq, num, mem, va_has(dev, VIRTIO_RING_F_EVENT_IDX),
		      va_has(dev, VIRTIO_RING_F_INDIRECT_DESC));
	if (ret) {
		pthread_mutex_destroy(&q->lock);
		q->initialised = false;
		return ret;
	}
	q->ring = mem;
	q->slots = mem + page_up(vq_ring_size(num));
	q->reqs = calloc(num, sizeof(*q->reqs));
	q->backlog = calloc(num, sizeof(*q->backlog));
	if (!q->reqs || !q->backlog)
		return -ENOMEM;
	q->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	q->call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->kick_fd < 0 || q->call_fd < 0)
		return -errno;
	if (dev->flags & VIRTACCEL_OPEN_POLL)
		vq_disable_cb(&q->vq);
	return 0;
}

static void dev_free(struct virtaccel_dev *dev)
{
	unsigned int i;

	if (dev->ops)
		dev->ops->close(dev);
	if (dev->t && dev->t->disconnect)
		dev->t->disconnect(dev);
	if (dev->q) {
		for (i = 0; i < dev->nvqs; i++)
			close_queue(&dev->q[i]);
		free(dev->q);
	}
	shm_destroy(&dev->shm);
	pthread_mutex_destroy(&dev->ctrl_lock);
	free(dev->sessions);
	free(dev->caps);
	free(dev);
}

VA_EXPORT int virtaccel_open(const char *devstr,
			     const struct virtaccel_open_opts *opts,
			     struct virtaccel_dev **devp)
{
	struct virtaccel_open_opts o = {0};
	const struct va_transport *t = NULL;
	struct virtaccel_dev *dev;
	unsigned int i, avail_q;
	size_t fixed, off;
	const char *path = NULL;
	int ret;

	if (!devstr || !devp)
		return -EINVAL;
	*devp = NULL;
	if (opts) {
		memcpy(&o, opts, offsetof(struct virtaccel_open_opts,
					  mask_features));
		if (o.flags & VIRTACCEL_OPEN_FEATURES)
			o = *opts;
	}
	if (o.flags & ~(VIRTACCEL_OPEN_POLL | VIRTACCEL_OPEN_NO_SPIN |
			VIRTACCEL_OPEN_FEATURES))
		return -EINVAL;
	if (!o.queue_size)
		o.queue_size = VA_DEFAULT_QUEUE_SIZE;
	if (o.queue_size > 32768 || (o.queue_size & (o.queue_size - 1)))
		return -EINVAL;
	if (!o.mem_size)
		o.mem_size = VA_DEFAULT_MEM_SIZE;
	if (!o.num_queues)
		o.num_queues = 1;

	t = pick_transport(devstr, &path);
	if (!t || !*path)
		return -EINVAL;
	if (strlen(path) >= sizeof(dev->path))
		return -ENAMETOOLONG;

	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->pid = getpid();
	dev->shm.fd = -1;
	ret = pthread_mutex_init(&dev->ctrl_lock, NULL);
	if (ret) {
		free(dev);
		return -ret;
	}
	strcpy(dev->path, path);
	dev->flags = o.flags;
	dev->queue_size = o.queue_size;

	if (t->ops) {
		/* the kernel negotiated the features: nothing to mask here */
		if (o.mask_features || o.force_features) {
			ret = -EOPNOTSUPP;
			goto err;
		}
		/* the transport carries whole operations: no rings here */
		dev->t = t;
		ret = t->ops->open(dev, path, &o);
		dev->ops = t->ops;
		if (ret)
			goto err;
		*devp = dev;
		return 0;
	}

	ret = t->connect(dev, path);
	dev->t = t;
	if (ret)
		goto err;
	ret = parse_config(dev);
	if (ret)
		goto err;

	/* [FEAT-V1]: no legacy interface */
	if (!(dev->device_features & (1ull << VIRTIO_F_VERSION_1))) {
		ret = -EPROTO;
		goto err;
	}
	dev->driver_features =
		(dev->device_features & (known_features | t->extra_features) &
		 ~o.mask_features) | o.force_features;
	ret = t->set_features(dev, dev->driver_features);
	if (ret)
		goto err;

	avail_q = 1;
	if (va_has(dev, VIRTIO_ACCEL_F_MQ)) {
		avail_q = dev->max_dataqueues;
		if (avail_q > dev->dev_max_vqs - 1)
			avail_q = dev->dev_max_vqs - 1;
	}
	dev->num_queues = o.num_queues < avail_q ? o.num_queues : avail_q;
	dev->nvqs = 1 + dev->num_queues;

	fixed = (size_t)dev->nvqs * queue_mem(dev->queue_size);
	if (o.mem_size < fixed + (256u << 10)) {
		ret = -ENOMEM;
		goto err;
	}
	ret = shm_create(&dev->shm, o.mem_size, t->flags & VA_T_SHM_FD);
	if (ret)
		goto err;
	ret = shm_heap_init(&dev->shm, fixed);
	if (ret)
		goto err;
	dev->q = calloc(dev->nvqs, sizeof(*dev->q));
	if (!dev->q) {
		ret = -ENOMEM;
		goto err;
	}
	for (i = 0, off = 0; i < dev->nvqs; i++) {
		ret = init_queue(dev, &dev->q[i], i, dev->shm.base + off);
		if (ret)
			goto err;
		off += queue_mem(dev->queue_size);
	}

	ret = t->set_mem(dev);
	if (ret)
		goto err;
	for (i = 0; i < dev->nvqs; i++) {
		ret = t->setup_vq(dev, &dev->q[i]);
		if (ret)
			goto err;
	}
	ret = t->start(dev);
	if (ret)
		goto err;
	*devp = dev;
	return 0;
err:
	dev_free(dev);
	return ret;
}

VA_EXPORT void virtaccel_close(struct virtaccel_dev *dev)
{
	if (!dev)
		return;
	/*
	 * A fork() child holds copies of its parent's descriptors and memory:
	 * it releases them and says nothing to the device, whose connection,
	 * sessions and state stay the parent's.
	 */
	if (dev->pid != getpid())
		dev->foreign = true;
	/* [SESS-OWNER]: nothing outlives its opener */
	while (dev->n_sessions && !dev->dead && !dev->foreign) {
		uint64_t id = dev->sessions[dev->n_sessions - 1];
		int ret = virtaccel_session_destroy(dev, id);

		if (ret == -ETIMEDOUT || ret == -ECONNRESET || ret == -EIO)
			break;
		if (ret && dev->n_sessions &&
		    dev->sessions[dev->n_sessions - 1] == id)
			dev->n_sessions--;
	}
	dev_free(dev);
}

VA_EXPORT int virtaccel_config_rw(struct virtaccel_dev *dev, int write,
				  uint32_t off, void *buf, uint32_t len)
{
	if (!dev || !buf || !len || off > 4096 || len > 4096 - off)
		return -EINVAL;
	if (!dev->t || !dev->t->config_rw)
		return -EOPNOTSUPP;
	return dev->t->config_rw(dev, !!write, off, buf, len);
}

static int fetch_caps(struct virtaccel_dev *dev)
{
	struct virtio_accel_ctrl_req req;
	struct virtio_accel_ctrl_resp resp;
	uint32_t room = VIRTACCEL_MAX_CAPS * sizeof(struct virtio_accel_cap);
	uint32_t len;
	void *buf;
	int ret, tries;

	for (tries = 0; tries < 3; tries++) {
		buf = calloc(1, room);
		if (!buf)
			return -ENOMEM;
		memset(&req, 0, sizeof(req));
		req.opcode = htole32(VIRTIO_ACCEL_CTRL_GET_CAPS);
		ret = va_ctrl(dev, &req, NULL, 0, buf, room, &resp);
		if (ret) {
			free(buf);
			return ret;
		}
		len = le32toh(resp.len);
		if (resp.status == VIRTIO_ACCEL_NOSPC && len > room &&
		    len <= (1u << 20)) {
			free(buf);
			room = len;
			continue;
		}
		if (resp.status != VIRTIO_ACCEL_OK) {
			free(buf);
			return virtaccel_status_to_errno(resp.status);
		}
		if (len > room || len % sizeof(struct virtio_accel_cap)) {
			free(buf);
			return -EPROTO;
		}
		free(dev->caps);
		dev->caps = buf;
		dev->n_caps = len / sizeof(struct virtio_accel_cap);
		dev->have_caps = true;
		return 0;
	}
	return -EPROTO;
}

VA_EXPORT int virtaccel_get_info(struct virtaccel_dev *dev,
				 struct virtaccel_info *info)
{
	int ret = 0;

	if (!dev || !info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	pthread_mutex_lock(&dev->ctrl_lock);
	if (!dev->have_caps)
		ret = dev->ops ? dev->ops->get_caps(dev) : fetch_caps(dev);
	if (!ret) {
		info->n_caps = dev->n_caps < VIRTACCEL_MAX_CAPS
				       ? dev->n_caps
				       : VIRTACCEL_MAX_CAPS;
		memcpy(info->caps, dev->caps,
		       info->n_caps * sizeof(info->caps[0]));
	}
	pthread_mutex_unlock(&dev->ctrl_lock);
	if (ret)
		return ret;
	snprintf(info->transport, sizeof(info->transport), "%s", dev->t->name);
	snprintf(info->path, sizeof(info->path), "%s", dev->path);
	info->device_id = VIRTIO_ID_ACCEL;
	info->device_features = dev->device_features;
	info->driver_features = dev->driver_features;
	info->max_dataqueues = dev->max_dataqueues;
	info->num_queues = dev->num_queues;
	info->queue_size = dev->queue_size;
	info->max_segments = dev->max_segments;
	info->services = dev->services;
	info->max_sessions = dev->max_sessions;
	info->max_data_len = dev->max_data_len;
	info->max_key_len = dev->max_key_len;
	info->max_aad_len = dev->max_aad_len;
	info->max_comp_streams = dev->max_comp_streams;
	return 0;
}

VA_EXPORT int virtaccel_session_create(struct virtaccel_dev *dev, uint32_t op,
				       uint32_t algo, uint32_t flags,
				       const void *key, uint32_t key_len,
				       uint64_t *session_id)
{
	struct virtio_accel_ctrl_req req;
	struct virtio_accel_ctrl_resp resp;
	uint64_t *ns;
	uint64_t id;
	int ret;

	if (!dev || !session_id || (key_len && !key) || key_len > (64u << 10))
		return -EINVAL;
	if (dev->ops)
		return dev->ops->session_create(dev, op, algo, flags, key,
						key_len, session_id);
	memset(&req, 0, sizeof(req));
	req.opcode = htole32(VIRTIO_ACCEL_CTRL_CREATE_SESSION);
	req.algo = htole32(algo);
	req.op = htole32(op);
	req.flags = htole32(flags);
	req.key_len = htole32(key_len);
	pthread_mutex_lock(&dev->ctrl_lock);
	if (dev->n_sessions == dev->cap_sessions) {
		unsigned int cap =
			dev->cap_sessions ? dev->cap_sessions * 2 : 16;

		ns = realloc(dev->sessions, cap * sizeof(*ns));
		if (!ns) {
			ret = -ENOMEM;
			goto out;
		}
		dev->sessions = ns;
		dev->cap_sessions = cap;
	}
	ret = va_ctrl(dev, &req, key, key_len, NULL, 0, &resp);
	if (ret)
		goto out;
	ret = virtaccel_status_to_errno(resp.status);
	if (ret)
		goto out;
	id = le64toh(resp.session_id);
	if (!id) {
		ret = -EPROTO;
		goto out;
	}
	dev->sessions[dev->n_sessions++] = id;
	*session_id = id;
out:
	pthread_mutex_unlock(&dev->ctrl_lock);
	return ret;
}

VA_EXPORT int virtaccel_session_destroy(struct virtaccel_dev *dev,
					uint64_t session_id)
{
	struct virtio_accel_ctrl_req req;
	struct virtio_accel_ctrl_resp resp;
	unsigned int i;
	int ret;

	if (!dev)
		return -EINVAL;
	if (dev->ops)
		return dev->ops->session_destroy(dev, session_id);
	memset(&req, 0, sizeof(req));
	req.opcode = htole32(VIRTIO_ACCEL_CTRL_DESTROY_SESSION);
	req.session_id = htole64(session_id);
	pthread_mutex_lock(&dev->ctrl_lock);
	ret = va_ctrl(dev, &req, NULL, 0, NULL, 0, &resp);
	if (!ret)
		ret = virtaccel_status_to_errno(resp.status);
	/* forget it unless the device may still hold it */
	if (!ret || ret == -ENOENT) {
		for (i = 0; i < dev->n_sessions; i++) {
			if (dev->sessions[i] == session_id) {
				dev->sessions[i] =
					dev->sessions[--dev->n_sessions];
				break;
			}
		}
	}
	pthread_mutex_unlock(&dev->ctrl_lock);
	return ret;
}

VA_EXPORT void *virtaccel_buf_alloc(struct virtaccel_dev *dev, size_t len)
{
	if (!dev)
		return NULL;
	if (dev->ops)
		return dev->ops->buf_alloc(dev, len);
	return shm_alloc(&dev->shm, len);
}

VA_EXPORT void virtaccel_buf_free(struct virtaccel_dev *dev, void *buf)
{
	if (!dev || !buf)
		return;
	if (dev->ops)
		dev->ops->buf_free(dev, buf);
	else
		shm_free(&dev->shm, buf);
}

VA_EXPORT int virtaccel_status_to_errno(uint8_t status)
{
	return virtio_accel_status_errno(status);
}

VA_EXPORT const char *virtaccel_status_str(uint8_t status)
{
	if (status == VIRTACCEL_STATUS_NO_RESP)
		return "NO_RESPONSE";
	return virtio_accel_status_name(status);
}

VA_EXPORT const char *virtaccel_alg_name(uint32_t algo)
{
	const struct virtio_accel_alg_info *t;
	unsigned int i, n;

	if (algo == VIRTIO_ACCEL_ALG_NONE)
		return "none";
	t = virtio_accel_alg_table(&n);
	for (i = 0; i < n; i++)
		if (t[i].algo == algo)
			return t[i].name;
	return "unknown";
}

VA_EXPORT const char *virtaccel_op_name(uint32_t op)
{
	return virtio_accel_op_name(op);
}

VA_EXPORT int virtaccel_alg_by_name(const char *name, uint32_t *algo)
{
	const struct virtio_accel_alg_info *t;
	unsigned int i, n;

	if (!name || !algo)
		return -EINVAL;
	if (!strcmp(name, "none") || !strcmp(name, "null")) {
		*algo = VIRTIO_ACCEL_ALG_NONE;
		return 0;
	}
	t = virtio_accel_alg_table(&n);
	for (i = 0; i < n; i++) {
		if (!strcmp(t[i].name, name)) {
			*algo = t[i].algo;
			return 0;
		}
	}
	return -ENOENT;
}
