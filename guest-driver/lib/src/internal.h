/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libvirtaccel internals: device handle, queues, transport ops.
 */
#ifndef VIRTACCEL_INTERNAL_H
#define VIRTACCEL_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

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

struct va_transport {
	const char *name;
	const char *prefix;
	/* transport bits (beyond VERSION_1 & co) the library may accept */
	uint64_t extra_features;
	int (*connect)(struct virtaccel_dev *dev, const char *path);
	int (*set_features)(struct virtaccel_dev *dev, uint64_t features);
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

struct virtaccel_dev {
	const struct va_transport *t;
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
	uint32_t max_data_len;
	uint32_t max_key_len;
	uint32_t max_aad_len;
	unsigned int num_queues; /* data queues in use */
	unsigned int nvqs;	 /* 1 + num_queues */
	unsigned int queue_size;
	struct shm shm;
	struct va_queue *q; /* nvqs */
	bool dead;	    /* transport lost */

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

#endif /* VIRTACCEL_INTERNAL_H */
