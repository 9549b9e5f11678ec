// SPDX-License-Identifier: BSD-3-Clause
/*
 * vhost-user front-end (QEMU docs/interop/vhost-user.rst), the way DPDK's
 * virtio-user and QEMU speak it. The back-end is untrusted: every reply is
 * checked for version, reply flag, request and size, stray fds are closed,
 * and every read has a deadline.
 */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_config.h>

#include "internal.h"

#define VHOST_USER_F_PROTOCOL_FEATURES 30

#define VHOST_USER_PROTOCOL_F_MQ 0
#define VHOST_USER_PROTOCOL_F_REPLY_ACK 3
#define VHOST_USER_PROTOCOL_F_CONFIG 9

enum vhost_user_request {
	VHOST_USER_GET_FEATURES = 1,
	VHOST_USER_SET_FEATURES = 2,
	VHOST_USER_SET_OWNER = 3,
	VHOST_USER_SET_MEM_TABLE = 5,
	VHOST_USER_SET_VRING_NUM = 8,
	VHOST_USER_SET_VRING_ADDR = 9,
	VHOST_USER_SET_VRING_BASE = 10,
	VHOST_USER_GET_VRING_BASE = 11,
	VHOST_USER_SET_VRING_KICK = 12,
	VHOST_USER_SET_VRING_CALL = 13,
	VHOST_USER_GET_PROTOCOL_FEATURES = 15,
	VHOST_USER_SET_PROTOCOL_FEATURES = 16,
	VHOST_USER_GET_QUEUE_NUM = 17,
	VHOST_USER_SET_VRING_ENABLE = 18,
	VHOST_USER_GET_CONFIG = 24,
	VHOST_USER_SET_CONFIG = 25,
};

#define VHOST_USER_VERSION 0x1
#define VHOST_USER_VERSION_MASK 0x3
#define VHOST_USER_REPLY_MASK (1u << 2)
#define VHOST_USER_NEED_REPLY_MASK (1u << 3)
#define VHOST_USER_HDR_SIZE 12
#define VHOST_USER_MAX_RAM_SLOTS 8
#define VHOST_USER_CONFIG_HDR_SIZE 12
#define VHOST_USER_MAX_CONFIG_SIZE 256
#define VHOST_USER_VRING_NOFD_MASK (1ull << 8)
#define VHOST_USER_MAX_FDS 8

#define VHU_TIMEOUT_MS 5000

struct vhu_state {
	uint32_t index;
	uint32_t num;
};

struct vhu_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc_user_addr;
	uint64_t used_user_addr;
	uint64_t avail_user_addr;
	uint64_t log_guest_addr;
};

struct vhu_region {
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t mmap_offset;
};

struct vhu_memory {
	uint32_t nregions;
	uint32_t padding;
	struct vhu_region regions[VHOST_USER_MAX_RAM_SLOTS];
};

struct vhu_config {
	uint32_t offset;
	uint32_t size;
	uint32_t flags;
	uint8_t region[VHOST_USER_MAX_CONFIG_SIZE];
};

struct vhu_msg {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
	union {
		uint64_t u64;
		struct vhu_state state;
		struct vhu_addr addr;
		struct vhu_memory mem;
		struct vhu_config cfg;
	} payload;
} __attribute__((packed));

struct vhu {
	int sock;
	uint64_t protocol_features;
	bool reply_ack;
};

static struct vhu *vhu_of(struct virtaccel_dev *dev)
{
	return dev->tpriv;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int vhu_send(struct vhu *v, struct vhu_msg *m, const int *fds,
		    unsigned int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	size_t len = VHOST_USER_HDR_SIZE + m->size, off = 0;
	struct msghdr mh;
	struct cmsghdr *c;
	struct iovec iov;
	ssize_t n;

	if (nfds > VHOST_USER_MAX_FDS)
		return -EINVAL;
	while (off < len) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = (char *)m + off;
		iov.iov_len = len - off;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		if (nfds && !off) {
			memset(&ctl, 0, sizeof(ctl));
			mh.msg_control = ctl.buf;
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
			memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
		}
		n = sendmsg(v->sock, &mh, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE)
				return -ECONNRESET;
			return -errno;
		}
		off += (size_t)n;
	}
	return 0;
}

/* Read exactly @len bytes before @deadline; close any fds that come along. */
static int vhu_read_full(struct vhu *v, void *buf, size_t len, int64_t deadline)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	size_t off = 0;
	struct pollfd pfd;
	struct msghdr mh;
	struct cmsghdr *c;
	struct iovec iov;
	int64_t left;
	ssize_t n;
	int r;

	while (off < len) {
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		pfd.fd = v->sock;
		pfd.events = POLLIN;
		pfd.revents = 0;
		r = poll(&pfd, 1, (int)left);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!r)
			return -ETIMEDOUT;
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = (char *)buf + off;
		iov.iov_len = len - off;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		n = recvmsg(v->sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		/* we never expect fds from the back-end */
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == SOL_SOCKET &&
			    c->cmsg_type == SCM_RIGHTS) {
				size_t k, nf = (c->cmsg_len - CMSG_LEN(0)) /
					       sizeof(int);
				int fd;

				for (k = 0; k < nf; k++) {
					memcpy(&fd,
					       CMSG_DATA(c) + k * sizeof(int),
					       sizeof(int));
					close(fd);
				}
			}
		}
		if (!n)
			return -ECONNRESET;
		off += (size_t)n;
	}
	return 0;
}

/* Receive the reply to @request; its payload must be @size bytes. */
static int vhu_recv(struct vhu *v, uint32_t request, struct vhu_msg *m,
		    uint32_t size)
{
	int64_t deadline = now_ms() + VHU_TIMEOUT_MS;
	int ret;

	ret = vhu_read_full(v, m, VHOST_USER_HDR_SIZE, deadline);
	if (ret)
		return ret;
	if ((m->flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION ||
	    !(m->flags & VHOST_USER_REPLY_MASK) || m->request != request ||
	    m->size > sizeof(m->payload))
		return -EPROTO;
	ret = vhu_read_full(v, &m->payload, m->size, deadline);
	if (ret)
		return ret;
	if (m->size != size)
		return -EPROTO;
	return 0;
}

static void vhu_init_msg(struct vhu_msg *m, uint32_t request, uint32_t size)
{
	memset(m, 0, sizeof(*m));
	m->request = request;
	m->flags = VHOST_USER_VERSION;
	m->size = size;
}

/* Send a message that has no reply; ask for an ack when we can. */
static int vhu_send_ack(struct vhu *v, struct vhu_msg *m, const int *fds,
			unsigned int nfds)
{
	uint32_t request = m->request;
	struct vhu_msg r;
	int ret;

	if (v->reply_ack)
		m->flags |= VHOST_USER_NEED_REPLY_MASK;
	ret = vhu_send(v, m, fds, nfds);
	if (ret || !v->reply_ack)
		return ret;
	ret = vhu_recv(v, request, &r, sizeof(uint64_t));
	if (ret)
		return ret;
	return r.payload.u64 ? -EIO : 0;
}

static int vhu_get_u64(struct vhu *v, uint32_t request, uint64_t *val)
{
	struct vhu_msg m;
	int ret;

	vhu_init_msg(&m, request, 0);
	ret = vhu_send(v, &m, NULL, 0);
	if (ret)
		return ret;
	ret = vhu_recv(v, request, &m, sizeof(uint64_t));
	if (ret)
		return ret;
	*val = m.payload.u64;
	return 0;
}

static int vhu_set_u64(struct vhu *v, uint32_t request, uint64_t val, bool ack)
{
	struct vhu_msg m;

	vhu_init_msg(&m, request, sizeof(uint64_t));
	m.payload.u64 = val;
	if (ack)
		return vhu_send_ack(v, &m, NULL, 0);
	return vhu_send(v, &m, NULL, 0);
}

static int vhu_set_state(struct vhu *v, uint32_t request, uint32_t index,
			 uint32_t num)
{
	struct vhu_msg m;

	vhu_init_msg(&m, request, sizeof(struct vhu_state));
	m.payload.state.index = index;
	m.payload.state.num = num;
	return vhu_send_ack(v, &m, NULL, 0);
}

/* 1, 2, 4, 8, 16 ms, then 20 ms: a teardown takes well under 1 ms */
#define VHU_RESET_RETRIES	54
#define VHU_RESET_WAIT_US(n)	((n) < 5 ? 1000u << (n) : 20000u)

/* Connect, claim the back-end (SET_OWNER) and read its features. */
static int vhu_hello(struct vhu *v, const struct sockaddr_un *sa,
		     uint64_t *features)
{
	struct vhu_msg m;
	int ret;

	v->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (v->sock < 0)
		return -errno;
	while (connect(v->sock, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	vhu_init_msg(&m, VHOST_USER_SET_OWNER, 0);
	ret = vhu_send(v, &m, NULL, 0);
	if (ret)
		return ret;
	return vhu_get_u64(v, VHOST_USER_GET_FEATURES, features);
}

static int vhu_connect(struct virtaccel_dev *dev, const char *path)
{
	const uint64_t want_proto = (1ull << VHOST_USER_PROTOCOL_F_MQ) |
				    (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK) |
				    (1ull << VHOST_USER_PROTOCOL_F_CONFIG);
	struct sockaddr_un sa;
	struct vhu_msg m;
	struct vhu *v;
	unsigned int tries;
	uint64_t qnum;
	int ret;

	if (strlen(path) >= sizeof(sa.sun_path) || !*path)
		return -EINVAL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	dev->tpriv = v;
	v->sock = -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, path);
	/*
	 * A back-end that serves one front-end at a time resets a connection
	 * that arrives while it is still tearing down the previous one (a
	 * program that closes a handle and opens a new one at once): try
	 * again for a while before reporting ECONNRESET.
	 */
	for (tries = 0;; tries++) {
		ret = vhu_hello(v, &sa, &dev->device_features);
		if (ret != -ECONNRESET || tries >= VHU_RESET_RETRIES)
			break;
		close(v->sock);
		v->sock = -1;
		usleep(VHU_RESET_WAIT_US(tries));
	}
	if (ret)
		return ret;

	if (dev->device_features & (1ull << VHOST_USER_F_PROTOCOL_FEATURES)) {
		ret = vhu_get_u64(v, VHOST_USER_GET_PROTOCOL_FEATURES,
				  &v->protocol_features);
		if (ret)
			return ret;
		v->protocol_features &= want_proto;
		ret = vhu_set_u64(v, VHOST_USER_SET_PROTOCOL_FEATURES,
				  v->protocol_features, false);
		if (ret)
			return ret;
		v->reply_ack = !!(v->protocol_features &
				  (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK));
	}
	/* the configuration space is how the device describes itself */
	if (!(v->protocol_features & (1ull << VHOST_USER_PROTOCOL_F_CONFIG)))
		return -EPROTO;

	if (v->protocol_features & (1ull << VHOST_USER_PROTOCOL_F_MQ)) {
		ret = vhu_get_u64(v, VHOST_USER_GET_QUEUE_NUM, &qnum);
		if (ret)
			return ret;
		if (qnum < 2 || qnum > 65536)
			return -EPROTO;
		dev->dev_max_vqs = (unsigned int)qnum;
	} else {
		dev->dev_max_vqs = 2;
	}

	vhu_init_msg(&m, VHOST_USER_GET_CONFIG,
		     VHOST_USER_CONFIG_HDR_SIZE + sizeof(dev->cfg));
	m.payload.cfg.offset = 0;
	m.payload.cfg.size = sizeof(dev->cfg);
	ret = vhu_send(v, &m, NULL, 0);
	if (ret)
		return ret;
	ret = vhu_recv(v, VHOST_USER_GET_CONFIG, &m,
		       VHOST_USER_CONFIG_HDR_SIZE + sizeof(dev->cfg));
	if (ret)
		return ret;
	if (m.payload.cfg.size != sizeof(dev->cfg) || m.payload.cfg.offset)
		return -EPROTO;
	memcpy(&dev->cfg, m.payload.cfg.region, sizeof(dev->cfg));
	return 0;
}

static int vhu_set_features(struct virtaccel_dev *dev, uint64_t features)
{
	return vhu_set_u64(vhu_of(dev), VHOST_USER_SET_FEATURES, features,
			   true);
}

static int vhu_config_rw(struct virtaccel_dev *dev, bool write, uint32_t off,
			 void *buf, uint32_t len)
{
	struct vhu *v = vhu_of(dev);
	struct vhu_msg m;
	int ret;

	if (!v || len > VHOST_USER_MAX_CONFIG_SIZE)
		return -EINVAL;
	vhu_init_msg(&m, write ? VHOST_USER_SET_CONFIG : VHOST_USER_GET_CONFIG,
		     VHOST_USER_CONFIG_HDR_SIZE + len);
	m.payload.cfg.offset = off;
	m.payload.cfg.size = len;
	if (write) {
		memcpy(m.payload.cfg.region, buf, len);
		return vhu_send_ack(v, &m, NULL, 0);
	}
	ret = vhu_send(v, &m, NULL, 0);
	if (ret)
		return ret;
	ret = vhu_recv(v, VHOST_USER_GET_CONFIG, &m,
		       VHOST_USER_CONFIG_HDR_SIZE + len);
	if (ret)
		return ret;
	if (m.payload.cfg.size != len || m.payload.cfg.offset != off)
		return -EPROTO;
	memcpy(buf, m.payload.cfg.region, len);
	return 0;
}

static int vhu_set_mem(struct virtaccel_dev *dev)
{
	struct vhu *v = vhu_of(dev);
	struct vhu_msg m;

	vhu_init_msg(&m, VHOST_USER_SET_MEM_TABLE,
		     8 + sizeof(struct vhu_region));
	m.payload.mem.nregions = 1;
	/*
	 * The mapping address serves as guest physical address (descriptor
	 * addresses) and as user-space address (SET_VRING_ADDR).
	 */
	m.payload.mem.regions[0].guest_phys_addr =
		shm_iova(&dev->shm, dev->shm.base);
	m.payload.mem.regions[0].memory_size = dev->shm.size;
	m.payload.mem.regions[0].userspace_addr = (uintptr_t)dev->shm.base;
	m.payload.mem.regions[0].mmap_offset = 0;
	return vhu_send_ack(v, &m, &dev->shm.fd, 1);
}

static int vhu_setup_vq(struct virtaccel_dev *dev, struct va_queue *q)
{
	struct vhu *v = vhu_of(dev);
	struct vhu_msg m;
	int ret;

	ret = vhu_set_state(v, VHOST_USER_SET_VRING_NUM, q->index, q->vq.num);
	if (ret)
		return ret;
	ret = vhu_set_state(v, VHOST_USER_SET_VRING_BASE, q->index, 0);
	if (ret)
		return ret;
	vhu_init_msg(&m, VHOST_USER_SET_VRING_ADDR, sizeof(struct vhu_addr));
	m.payload.addr.index = q->index;
	m.payload.addr.flags = 0;
	m.payload.addr.desc_user_addr = (uintptr_t)q->vq.vr.desc;
	m.payload.addr.avail_user_addr = (uintptr_t)q->vq.vr.avail;
	m.payload.addr.used_user_addr = (uintptr_t)q->vq.vr.used;
	ret = vhu_send_ack(v, &m, NULL, 0);
	if (ret)
		return ret;

	vhu_init_msg(&m, VHOST_USER_SET_VRING_KICK, sizeof(uint64_t));
	m.payload.u64 = q->index;
	ret = vhu_send_ack(v, &m, &q->kick_fd, 1);
	if (ret)
		return ret;
	vhu_init_msg(&m, VHOST_USER_SET_VRING_CALL, sizeof(uint64_t));
	m.payload.u64 = q->index;
	ret = vhu_send_ack(v, &m, &q->call_fd, 1);
	if (ret)
		return ret;
	if (dev->driver_features & (1ull << VHOST_USER_F_PROTOCOL_FEATURES))
		return vhu_set_state(v, VHOST_USER_SET_VRING_ENABLE, q->index,
				     1);
	return 0;
}

static int vhu_start(struct virtaccel_dev *dev)
{
	return 0;
}

static int vhu_hup_fd(struct virtaccel_dev *dev)
{
	struct vhu *v = vhu_of(dev);

	return v ? v->sock : -1;
}

static void vhu_disconnect(struct virtaccel_dev *dev)
{
	struct vhu *v = vhu_of(dev);

	if (!v)
		return;
	if (v->sock >= 0)
		close(v->sock);
	free(v);
	dev->tpriv = NULL;
}

const struct va_transport va_vhost_user_transport = {
	.name = "vhost-user",
	.prefix = "vhost-user:",
	.flags = VA_T_SHM_FD,
	.extra_features = 1ull << VHOST_USER_F_PROTOCOL_FEATURES,
	.connect = vhu_connect,
	.set_features = vhu_set_features,
	.config_rw = vhu_config_rw,
	.set_mem = vhu_set_mem,
	.setup_vq = vhu_setup_vq,
	.start = vhu_start,
	.kick = va_kick_eventfd,
	.hup_fd = vhu_hup_fd,
	.disconnect = vhu_disconnect,
};
