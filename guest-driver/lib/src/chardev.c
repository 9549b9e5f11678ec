// SPDX-License-Identifier: BSD-3-Clause
/*
 * Character-device transport: /dev/vaccelN of the guest kernel driver
 * (virtio_accel.ko), uAPI linux/virtio_accel_ioctl.h. The kernel owns the
 * virtqueues, so this transport works at the level of whole operations:
 * INFO, SESSION_CREATE/DESTROY, OP (blocking), SUBMIT + read(2) of
 * completions (async), RAW (CAP_SYS_ADMIN). No shared memory: buffers are
 * plain heap memory that the kernel copies.
 *
 * Completions of every queue arrive on the one fd. A completion read while
 * polling another queue is kept on its own queue's list (linked through the
 * op's private words, so nothing is allocated) and that queue's eventfd is
 * raised; virtaccel_queue_fd() is an epoll fd over the device fd and that
 * eventfd, so it is readable whenever the queue may have completions.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_accel_ioctl.h>

#include "internal.h"

#define CD_BATCH 32 /* ops per SUBMIT ioctl, completions per read() */

/* op->priv[] while the op belongs to this transport */
#define OP_NEXT 0  /* next completed op on a queue's list */
#define OP_QUEUE 1 /* data queue it was submitted on */

struct cd_queue {
	struct virtaccel_op *head; /* completed, not yet returned */
	struct virtaccel_op *tail;
	unsigned int inflight; /* submitted, completion not yet read */
	int evfd;	       /* raised while the list is not empty */
	bool ev_raised;
	int epfd; /* virtaccel_queue_fd() */
	struct virtaccel_queue_stats stats;
};

struct cd {
	int fd;
	pthread_mutex_t lock; /* completions: reading, lists, counters */
	bool lock_init;
	struct cd_queue *q; /* dev->num_queues */
	uint32_t n_caps;
};

static struct cd *cd_of(struct virtaccel_dev *dev)
{
	return dev->tpriv;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int cd_ioctl(struct cd *c, unsigned long req, void *arg)
{
	int r;

	do {
		r = ioctl(c->fd, req, arg);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

static struct cd_queue *cd_queue(struct virtaccel_dev *dev,
				 unsigned int queue)
{
	struct cd *c = cd_of(dev);

	if (!c || queue >= dev->num_queues)
		return NULL;
	return &c->q[queue];
}

static void cd_close(struct virtaccel_dev *dev)
{
	struct cd *c = cd_of(dev);
	unsigned int i;

	if (!c)
		return;
	if (c->q) {
		for (i = 0; i < dev->num_queues; i++) {
			if (c->q[i].epfd >= 0)
				close(c->q[i].epfd);
			if (c->q[i].evfd >= 0)
				close(c->q[i].evfd);
		}
		free(c->q);
	}
	/* the kernel destroys this file's sessions and drops its requests */
	if (c->fd >= 0)
		close(c->fd);
	if (c->lock_init)
		pthread_mutex_destroy(&c->lock);
	free(c);
	dev->tpriv = NULL;
}

static int cd_open(struct virtaccel_dev *dev, const char *path,
		   const struct virtaccel_open_opts *o)
{
	struct vaccel_info in;
	struct epoll_event ev;
	struct stat st;
	struct cd *c;
	unsigned int i;
	int ret;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	dev->tpriv = c;
	c->fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (c->fd < 0)
		return -errno;
	if (fstat(c->fd, &st) < 0)
		return -errno;
	if (!S_ISCHR(st.st_mode))
		return -ENODEV;
	ret = pthread_mutex_init(&c->lock, NULL);
	if (ret)
		return -ret;
	c->lock_init = true;

	memset(&in, 0, sizeof(in));
	ret = cd_ioctl(c, VACCEL_IOC_INFO, &in);
	if (ret)
		return ret == -ENOTTY ? -ENODEV : ret;
	if (in.device_id != VIRTIO_ID_ACCEL || !in.num_queues)
		return -ENODEV;
	dev->device_features = in.device_features;
	dev->driver_features = in.driver_features;
	dev->max_dataqueues = in.max_dataqueues;
	dev->max_segments = in.max_segments;
	dev->services = in.services;
	dev->max_sessions = in.max_sessions;
	dev->max_data_len = in.max_data_len;
	dev->max_key_len = in.max_key_len;
	dev->max_aad_len = in.max_aad_len;
	dev->max_comp_streams = in.max_comp_streams;
	dev->queue_size = in.queue_size;
	dev->num_queues = o->num_queues < in.num_queues ? o->num_queues
							: in.num_queues;
	dev->nvqs = 1 + dev->num_queues;
	dev->dev_max_vqs = 1 + in.num_queues;
	c->n_caps = in.n_caps;
	/* the streams' chunk is sized from this; the spec's floor is 4 KiB */
	if (dev->max_data_len < 4096)
		return -EPROTO;

	c->q = calloc(dev->num_queues, sizeof(*c->q));
	if (!c->q)
		return -ENOMEM;
	for (i = 0; i < dev->num_queues; i++) {
		c->q[i].evfd = -1;
		c->q[i].epfd = -1;
	}
	if (dev->flags & VIRTACCEL_OPEN_POLL)
		return 0;
	for (i = 0; i < dev->num_queues; i++) {
		struct cd_queue *q = &c->q[i];

		q->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		q->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (q->evfd < 0 || q->epfd < 0)
			return -errno;
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.fd = c->fd;
		if (epoll_ctl(q->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
			return -errno;
		ev.data.fd = q->evfd;
		if (epoll_ctl(q->epfd, EPOLL_CTL_ADD, q->evfd, &ev) < 0)
			return -errno;
	}
	return 0;
}

static int cd_get_caps(struct virtaccel_dev *dev)
{
	struct cd *c = cd_of(dev);
	struct virtio_accel_cap *caps;
	struct vaccel_info in;
	uint32_t room = c->n_caps;
	int ret, tries;

	for (tries = 0; tries < 3; tries++) {
		caps = calloc(room ? room : 1, sizeof(*caps));
		if (!caps)
			return -ENOMEM;
		memset(&in, 0, sizeof(in));
		in.caps_ptr = (uintptr_t)caps;
		in.caps_len = room;
		ret = cd_ioctl(c, VACCEL_IOC_INFO, &in);
		if (ret) {
			free(caps);
			return ret;
		}
		if (in.n_caps > room && in.n_caps <= 65536) {
			/* the device grew its list: ask again */
			free(caps);
			room = in.n_caps;
			continue;
		}
		free(dev->caps);
		dev->caps = caps;
		dev->n_caps = in.caps_len < room ? in.caps_len : room;
		dev->have_caps = true;
		return 0;
	}
	return -EPROTO;
}

static int cd_session_create(struct virtaccel_dev *dev, uint32_t op,
			     uint32_t algo, uint32_t flags, const void *key,
			     uint32_t key_len, uint64_t *session_id)
{
	struct vaccel_session s;
	int ret;

	memset(&s, 0, sizeof(s));
	s.op = op;
	s.algo = algo;
	s.flags = flags;
	s.key_len = key_len;
	s.key_ptr = (uintptr_t)key;
	ret = cd_ioctl(cd_of(dev), VACCEL_IOC_SESSION_CREATE, &s);
	if (ret)
		return ret;
	if (!s.session_id)
		return -EPROTO;
	*session_id = s.session_id;
	return 0;
}

static int cd_session_destroy(struct virtaccel_dev *dev, uint64_t session_id)
{
	__u64 id = session_id;

	return cd_ioctl(cd_of(dev), VACCEL_IOC_SESSION_DESTROY, &id);
}

static void *cd_buf_alloc(struct virtaccel_dev *dev, size_t len)
{
	void *p;

	if (posix_memalign(&p, len >= 4096 ? 4096 : 64, len ? len : 1))
		return NULL;
	return p;
}

static void cd_buf_free(struct virtaccel_dev *dev, void *buf)
{
	free(buf);
}

static void to_uapi(struct vaccel_op *v, const struct virtaccel_op *op,
		    unsigned int queue)
{
	memset(v, 0, sizeof(*v));
	v->opcode = op->opcode;
	v->algo = op->algo;
	v->flags = op->flags;
	v->queue = queue;
	v->session_id = op->session_id;
	v->user_data = (uintptr_t)op;
	v->key_ptr = (uintptr_t)op->key;
	v->iv_ptr = (uintptr_t)op->iv;
	v->aad_ptr = (uintptr_t)op->aad;
	v->src_ptr = (uintptr_t)op->src;
	v->dst_ptr = (uintptr_t)op->dst;
	v->key_len = op->key_len;
	v->iv_len = op->iv_len;
	v->aad_len = op->aad_len;
	v->src_len = op->src_len;
	v->dst_len = op->dst_len;
}

/*
 * Completion fields, never trusting lengths beyond what was posted. The
 * kernel copies dst back only on OK; a failed authentication leaves it
 * zeroed, as the device leaves its own dst ([OP-AEAD]).
 */
static void set_result(struct virtaccel_op *op, uint8_t status,
		       uint8_t resp_flags, uint32_t src_used,
		       uint32_t dst_used)
{
	op->status = status;
	op->resp_flags = resp_flags;
	op->src_used = src_used < op->src_len ? src_used : op->src_len;
	op->dst_used = dst_used < op->dst_len ? dst_used : op->dst_len;
	if (status == VIRTIO_ACCEL_AUTH_FAILED && op->dst && op->dst_len)
		memset(op->dst, 0, op->dst_len);
}

static int cd_submit(struct virtaccel_dev *dev, unsigned int queue,
		     struct virtaccel_op **ops, unsigned int n)
{
	struct cd_queue *q = cd_queue(dev, queue);
	struct cd *c = cd_of(dev);
	struct vaccel_op v[CD_BATCH];
	struct vaccel_submit s;
	unsigned int done = 0, k, i;
	int ret = 0;

	if (!q || (n && !ops))
		return -EINVAL;
	if (!n)
		return 0;
	while (done < n) {
		k = n - done < CD_BATCH ? n - done : CD_BATCH;
		for (i = 0; i < k; i++) {
			if (!ops[done + i])
				break;
			to_uapi(&v[i], ops[done + i], queue);
			ops[done + i]->priv[OP_QUEUE] = queue;
		}
		if (!i) {
			ret = -EINVAL;
			break;
		}
		k = i;
		memset(&s, 0, sizeof(s));
		s.ops_ptr = (uintptr_t)v;
		s.nr = k;
		/* count them before the kernel can complete them */
		pthread_mutex_lock(&c->lock);
		q->inflight += k;
		pthread_mutex_unlock(&c->lock);
		ret = cd_ioctl(c, VACCEL_IOC_SUBMIT, &s);
		if (s.submitted > k)
			s.submitted = ret ? 0 : k;
		pthread_mutex_lock(&c->lock);
		q->inflight -= k - s.submitted;
		q->stats.requests += s.submitted;
		pthread_mutex_unlock(&c->lock);
		done += s.submitted;
		if (ret || s.submitted < k)
			break;
	}
	if (done)
		return (int)done;
	if (ret == -EAGAIN || !ret) {
		/* full: poll for completions and try again */
		pthread_mutex_lock(&c->lock);
		ret = q->inflight || q->head ? 0 : -EAGAIN;
		pthread_mutex_unlock(&c->lock);
	}
	return ret;
}

static void q_push(struct cd_queue *q, struct virtaccel_op *op)
{
	uint64_t one = 1;

	op->priv[OP_NEXT] = 0;
	if (q->tail)
		q->tail->priv[OP_NEXT] = (uintptr_t)op;
	else
		q->head = op;
	q->tail = op;
	if (q->evfd >= 0 && !q->ev_raised &&
	    write(q->evfd, &one, sizeof(one)) == sizeof(one))
		q->ev_raised = true;
}

static struct virtaccel_op *q_pop(struct cd_queue *q)
{
	struct virtaccel_op *op = q->head;
	uint64_t v;

	if (!op)
		return NULL;
	q->head = (struct virtaccel_op *)(uintptr_t)op->priv[OP_NEXT];
	if (!q->head) {
		q->tail = NULL;
		if (q->ev_raised && read(q->evfd, &v, sizeof(v)) == sizeof(v))
			q->ev_raised = false;
	}
	return op;
}

/*
 * Read what completions the kernel has, without waiting; those of @queue go
 * to @done while there is room, the rest to their queues' lists. Called with
 * c->lock held. Returns the number put in @done, or -errno.
 */
static int cd_reap(struct virtaccel_dev *dev, unsigned int queue,
		   struct virtaccel_op **done, unsigned int max)
{
	struct cd *c = cd_of(dev);
	struct vaccel_completion rec[CD_BATCH];
	struct virtaccel_op *op;
	struct cd_queue *oq;
	unsigned int n = 0, i, cnt, qi;
	ssize_t r;

	for (;;) {
		r = read(c->fd, rec, sizeof(rec));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			return n ? (int)n : -errno;
		}
		if (r % sizeof(rec[0]))
			return n ? (int)n : -EPROTO;
		cnt = (unsigned int)(r / sizeof(rec[0]));
		for (i = 0; i < cnt; i++) {
			op = (struct virtaccel_op *)(uintptr_t)rec[i].user_data;
			if (!op)
				continue;
			set_result(op, rec[i].status, rec[i].resp_flags,
				   rec[i].src_used, rec[i].dst_used);
			/* an error with no device status (EXDEV, device gone) */
			if (rec[i].error && op->status == VIRTIO_ACCEL_OK)
				op->status = VIRTACCEL_STATUS_NO_RESP;
			qi = (unsigned int)op->priv[OP_QUEUE];
			if (qi >= dev->num_queues)
				continue;
			oq = &c->q[qi];
			if (oq->inflight)
				oq->inflight--;
			oq->stats.completions++;
			if (qi == queue && n < max)
				done[n++] = op;
			else
				q_push(oq, op);
		}
		if (cnt < CD_BATCH)
			break;
	}
	return (int)n;
}

static int cd_poll(struct virtaccel_dev *dev, unsigned int queue,
		   struct virtaccel_op **done, unsigned int max, int timeout_ms)
{
	struct cd_queue *q = cd_queue(dev, queue);
	struct cd *c = cd_of(dev);
	int64_t deadline = timeout_ms < 0 ? INT64_MAX : now_ms() + timeout_ms;
	struct pollfd p[2];
	unsigned int n = 0;
	int64_t left;
	int ret = 0, r;

	if (!q || (max && !done))
		return -EINVAL;
	if (!max)
		return 0;
	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (n < max && q->head)
			done[n++] = q_pop(q);
		if (n < max) {
			ret = cd_reap(dev, queue, done + n, max - n);
			if (ret < 0)
				break;
			n += (unsigned int)ret;
			ret = 0;
		}
		/* nothing in flight: nothing can complete, do not wait */
		if (n || !timeout_ms || !q->inflight)
			break;
		left = deadline == INT64_MAX ? -1 : deadline - now_ms();
		if (deadline != INT64_MAX && left <= 0)
			break;
		if (!(dev->flags & VIRTACCEL_OPEN_POLL))
			q->stats.sleeps++;
		pthread_mutex_unlock(&c->lock);
		if (dev->flags & VIRTACCEL_OPEN_POLL) {
			/* busy poll: the next read() is the check */
			pthread_mutex_lock(&c->lock);
			continue;
		}
		p[0].fd = c->fd;
		p[0].events = POLLIN;
		p[0].revents = 0;
		p[1].fd = q->evfd;
		p[1].events = POLLIN;
		p[1].revents = 0;
		r = poll(p, 2, left > INT_MAX ? INT_MAX : (int)left);
		pthread_mutex_lock(&c->lock);
		if (r < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
		if (r > 0 && (p[0].revents & (POLLERR | POLLHUP | POLLNVAL))) {
			/* the device went away; take what is left first */
			while (n < max && q->head)
				done[n++] = q_pop(q);
			ret = -ENODEV;
			break;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return n ? (int)n : ret;
}

static int cd_queue_fd(struct virtaccel_dev *dev, unsigned int queue)
{
	struct cd_queue *q = cd_queue(dev, queue);

	if (!q)
		return -EINVAL;
	if (dev->flags & VIRTACCEL_OPEN_POLL)
		return -EOPNOTSUPP;
	return q->epfd;
}

static int cd_run_on(struct virtaccel_dev *dev, unsigned int queue,
		     struct virtaccel_op *op)
{
	struct cd_queue *q = cd_queue(dev, queue);
	struct cd *c = cd_of(dev);
	struct vaccel_op v;
	int ret;

	if (!q || !op)
		return -EINVAL;
	to_uapi(&v, op, queue);
	/* stays so if the op never reached the device */
	v.status = VIRTACCEL_STATUS_NO_RESP;
	ret = cd_ioctl(c, VACCEL_IOC_OP, &v);
	/* the driver fills the out fields whatever the status */
	set_result(op, v.status, v.resp_flags, v.src_used, v.dst_used);
	pthread_mutex_lock(&c->lock);
	q->stats.requests++;
	if (v.status != VIRTACCEL_STATUS_NO_RESP)
		q->stats.completions++;
	pthread_mutex_unlock(&c->lock);
	if (!ret)
		return virtaccel_status_to_errno(op->status);
	return ret;
}

static int cd_raw(struct virtaccel_dev *dev, unsigned int vq,
		  const struct iovec *rd, unsigned int nrd,
		  const struct iovec *wr, unsigned int nwr)
{
	unsigned int n = nrd + nwr, k;
	const struct iovec *iov;
	struct vaccel_iov *v;
	struct vaccel_raw raw;
	int ret;

	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (k = 0; k < n; k++) {
		iov = k < nrd ? &rd[k] : &wr[k - nrd];
		v[k].base = (uintptr_t)iov->iov_base;
		v[k].len = iov->iov_len;
	}
	memset(&raw, 0, sizeof(raw));
	raw.vq = vq;
	raw.nr_rd = nrd;
	raw.nr_wr = nwr;
	raw.iov_ptr = (uintptr_t)v;
	/* EPERM without CAP_SYS_ADMIN */
	ret = cd_ioctl(cd_of(dev), VACCEL_IOC_RAW, &raw);
	free(v);
	if (ret)
		return ret;
	return raw.used_len > INT_MAX ? INT_MAX : (int)raw.used_len;
}

static int cd_stats(struct virtaccel_dev *dev, unsigned int vq,
		    struct virtaccel_queue_stats *st)
{
	struct cd *c = cd_of(dev);

	/* the kernel kicks and takes interrupts: only our side is counted */
	memset(st, 0, sizeof(*st));
	if (!vq)
		return 0;
	pthread_mutex_lock(&c->lock);
	*st = c->q[vq - 1].stats;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

static const struct va_ops chardev_ops = {
	.open = cd_open,
	.close = cd_close,
	.get_caps = cd_get_caps,
	.session_create = cd_session_create,
	.session_destroy = cd_session_destroy,
	.buf_alloc = cd_buf_alloc,
	.buf_free = cd_buf_free,
	.submit = cd_submit,
	.poll = cd_poll,
	.queue_fd = cd_queue_fd,
	.run_on = cd_run_on,
	.raw = cd_raw,
	.stats = cd_stats,
};

const struct va_transport va_chardev_transport = {
	.name = "chardev",
	.prefix = "chardev:",
	.ops = &chardev_ops,
};
