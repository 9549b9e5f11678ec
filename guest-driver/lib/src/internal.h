/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libvirtaccel internals: device handle, queues, transport ops.
 */
#ifndef VIRTACCEL_INTERNAL_H
#define VIRTACCEL_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <virtaccel.h>
#include "shm.h"
#include "virtqueue.h"

#define VA_EXPORT __attribute__((visibility("default")))

#define VA_DEFAULT_QUEUE_SIZE 256
#define VA_DEFAULT_MEM_SIZE (64ul << 20)
#define VA_CTRL_TIMEOUT_MS 5000
#define VA_RAW_TIMEOUT_MS 5000

/*
 * Per-request shared slot, one per ring head:
 * [ request header | inline bounce data ... | indirect table ]
 */
#define VA_SLOT_SIZE 1024
#define VA_SLOT_IND 16 /* indirect entries in a slot */
#define VA_SLOT_IND_OFF (VA_SLOT_SIZE - VA_SLOT_IND * 16)
#define VA_SLOT_DATA VA_SLOT_IND_OFF

/* Private state of one request in flight, indexed by ring head. */
struct va_req {
	struct virtaccel_op *op; /* NULL for control and raw requests */
	void *heap[3];		 /* bounce allocations to free */
	void *dst_bounce;	 /* device writes dst here, then copied */
	void *resp;		 /* response in shm */
	uint32_t wr_len;
	bool sync; /* a blocking caller waits for it */
	bool done;
	bool abandoned; /* the waiter gave up; free at completion */
	uint32_t used_len;
};

struct va_queue {
	pthread_mutex_t lock;
	unsigned int index; /* virtqueue index; 0 = control */
	struct virtqueue vq;
	uint8_t *ring;	     /* shm */
	uint8_t *slots;	     /* shm, num * VA_SLOT_SIZE */
	struct va_req *reqs; /* private, num */
	int kick_fd;
	int call_fd;
	struct virtaccel_op **backlog; /* completions seen by blocking waits */
	unsigned int n_backlog;
	bool initialised;
	struct virtaccel_queue_stats stats;
	uint64_t self_signals; /* rearm()'s own writes to call_fd */
};

struct virtaccel_dev;

/*
 * Operation-level hooks, for a transport that has no virtqueues of its own
 * (the kernel driver's character device). Virtqueue transports leave
 * va_transport.ops NULL and the library drives the rings itself; the public
 * calls test dev->ops once and branch, so the ring path pays nothing else.
 */
struct va_ops {
	int (*open)(struct virtaccel_dev *dev, const char *path,
		    const struct virtaccel_open_opts *o);
	void (*close)(struct virtaccel_dev *dev);
	/* fill dev->caps / dev->n_caps (called with ctrl_lock held) */
	int (*get_caps)(struct virtaccel_dev *dev);
	int (*session_create)(struct virtaccel_dev *dev, uint32_t op,
			      uint32_t algo, uint32_t flags, const void *key,
			      uint32_t key_len, uint64_t *session_id);
	int (*session_destroy)(struct virtaccel_dev *dev, uint64_t session_id);
	void *(*buf_alloc)(struct virtaccel_dev *dev, size_t len);
	void (*buf_free)(struct virtaccel_dev *dev, void *buf);
	int (*submit)(struct virtaccel_dev *dev, unsigned int queue,
		      struct virtaccel_op **ops, unsigned int n);
	int (*poll)(struct virtaccel_dev *dev, unsigned int queue,
		    struct virtaccel_op **done, unsigned int max,
		    int timeout_ms);
	int (*queue_fd)(struct virtaccel_dev *dev, unsigned int queue);
	int (*run_on)(struct virtaccel_dev *dev, unsigned int queue,
		      struct virtaccel_op *op);
	int (*raw)(struct virtaccel_dev *dev, unsigned int vq,
		   const struct iovec *rd, unsigned int nrd,
		   const struct iovec *wr, unsigned int nwr);
	int (*stats)(struct virtaccel_dev *dev, unsigned int vq,
		     struct virtaccel_queue_stats *st);
};

/* va_transport.flags */
#define VA_T_SHM_FD (1u << 0) /* the back-end maps the memory by fd */

/*
 * A transport: either the control plane of a virtqueue transport
 * (connect ... disconnect; vhost-user and vhost-vdpa share everything else)
 * or, with @ops set, a transport that carries whole operations.
 */
struct va_transport {
	const char *name;
	const char *prefix;
	unsigned int flags; /* VA_T_* */
	/* transport bits (beyond VERSION_1 & co) the library may accept */
	uint64_t extra_features;
	const struct va_ops *ops;
	int (*connect)(struct virtaccel_dev *dev, const char *path);
	int (*set_features)(struct virtaccel_dev *dev, uint64_t features);
	/* configuration space access after connect; NULL: not possible */
	int (*config_rw)(struct virtaccel_dev *dev, bool write, uint32_t off,
			 void *buf, uint32_t len);
	int (*set_mem)(struct virtaccel_dev *dev);
	int (*setup_vq)(struct virtaccel_dev *dev, struct va_queue *q);
	int (*start)(struct virtaccel_dev *dev);
	int (*kick)(struct virtaccel_dev *dev, struct va_queue *q);
	/* fd that reports POLLHUP/POLLRDHUP when the device goes away, or -1 */
	int (*hup_fd)(struct virtaccel_dev *dev);
	void (*disconnect)(struct virtaccel_dev *dev);
};

extern const struct va_transport va_vhost_user_transport;
extern const struct va_transport va_vhost_vdpa_transport;
extern const struct va_transport va_chardev_transport;

struct virtaccel_dev {
	const struct va_transport *t;
	const struct va_ops *ops; /* t->ops: NULL for virtqueue transports */
	void *tpriv;
	char path[256];
	unsigned int flags; /* VIRTACCEL_OPEN_* */
	uint64_t device_features;
	uint64_t driver_features;
	unsigned int dev_max_vqs;	/* GET_QUEUE_NUM */
	struct virtio_accel_config cfg; /* raw, little-endian */
	uint32_t max_dataqueues;
	uint32_t max_segments;
	uint32_t services;
	uint32_t max_sessions;
	uint32_t max_comp_streams;
	uint32_t max_data_len;
	uint32_t max_key_len;
	uint32_t max_aad_len;
	unsigned int num_queues; /* data queues in use */
	unsigned int nvqs;	 /* 1 + num_queues */
	unsigned int queue_size;
	struct shm shm;
	struct va_queue *q; /* nvqs */
	bool dead;	    /* transport lost */
	bool foreign;	    /* closed in a fork() child: release only */
	pid_t pid;	    /* the opener */

	pthread_mutex_t ctrl_lock;
	uint64_t *sessions;
	unsigned int n_sessions;
	unsigned int cap_sessions;
	struct virtio_accel_cap *caps; /* all records, from GET_CAPS */
	unsigned int n_caps;
	bool have_caps;
	unsigned int stream_rr;
};

static inline bool va_has(const struct virtaccel_dev *dev, unsigned int bit)
{
	return !!(dev->driver_features & (1ull << bit));
}

/* op.c */
int va_queue_wait(struct virtaccel_dev *dev, struct va_queue *q,
		  struct va_req *r, int timeout_ms);
int va_ctrl(struct virtaccel_dev *dev, const struct virtio_accel_ctrl_req *req,
	    const void *key, uint32_t key_len, void *data, uint32_t data_len,
	    struct virtio_accel_ctrl_resp *resp);
int va_run_on(struct virtaccel_dev *dev, unsigned int queue,
	      struct virtaccel_op *op);

void va_req_release(struct virtaccel_dev *dev, struct va_req *r);
/* Notify the device through the queue's kick eventfd (vhost-user, -vdpa). */
int va_kick_eventfd(struct virtaccel_dev *dev, struct va_queue *q);

#endif /* VIRTACCEL_INTERNAL_H */
