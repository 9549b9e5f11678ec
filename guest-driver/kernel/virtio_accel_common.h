/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * virtio-accel guest driver: one character device /dev/vaccelN per
 * virtio-accel device (virtio-accel-spec/virtio-accel.md), uAPI in
 * include/uapi/linux/virtio_accel_ioctl.h.
 *
 * Lifetime, in short:
 *  - struct vaccel_dev embeds the class device; its reference count (the
 *    kref of the embedded struct device) keeps the per-device state alive
 *    until the last open file, request and sysfs user is gone. remove()
 *    marks the device dead, resets it, completes every request still on a
 *    virtqueue with -ENODEV and wakes every waiter.
 *  - struct vaccel_req is refcounted: one reference for whoever waits for it
 *    (the blocking ioctl, or the file's completion list for async ops), one
 *    for the virtqueue while the device owns its buffers. Buffers are freed
 *    only when both are gone, so a waiter killed by a signal never frees
 *    memory the device may still write.
 *  - struct vaccel_file (one per open) is refcounted by its requests, so an
 *    async request may complete after the file was released.
 */
#ifndef VIRTIO_ACCEL_COMMON_H
#define VIRTIO_ACCEL_COMMON_H

#include <linux/capability.h>
#include <linux/cdev.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/idr.h>
#include <linux/kref.h>
#include <linux/llist.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/rbtree.h>
#include <linux/refcount.h>
#include <linux/scatterlist.h>
#include <linux/sched/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/uaccess.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include <linux/virtio_accel.h>
#include <linux/virtio_accel_ioctl.h>
#include "virtio_accel_req.h"

struct vaccel_result;

#define VACCEL_MAX_DEVS		256
#define VACCEL_NO_STATUS	0xff
#define VACCEL_MAX_IV_LEN	64
#define VACCEL_DATA_LEN_CAP	SZ_64M	/* driver bound on one buffer */
#define VACCEL_KEY_LEN_CAP	SZ_64K	/* ... on a key (caps: le16) */
#define VACCEL_CTRL_ROOM_MAX	65536	/* spec [REQ-HUGE], control queue */
#define VACCEL_CAPS_ROOM	64	/* records asked for first */
#define VACCEL_CTRL_TIMEOUT	(30 * HZ)
#define VACCEL_RAW_MAX_IOV	1024
#define VACCEL_INLINE_SG	4
#define VACCEL_CHUNK_MAX	KMALLOC_MAX_SIZE

/* module parameters (virtio_accel_core.c) */
extern unsigned int max_sessions_per_file;
extern unsigned int max_inflight_per_file;
extern unsigned int max_pinned_mb_per_dev;
extern unsigned int max_pinned_mb_per_file;
extern unsigned int max_sessions_per_dev;

/*
 * Allocations made for a file's requests: charged to the caller's memory
 * cgroup, and failing (ENOMEM) rather than invoking the OOM killer.
 */
#define VACCEL_GFP_USER	(GFP_KERNEL_ACCOUNT | __GFP_NORETRY | __GFP_NOWARN)

/* One physically contiguous piece of a request buffer: one descriptor. */
struct vaccel_chunk {
	void *p;
	size_t len;
};

/* A request buffer: as few contiguous chunks as memory allows. */
struct vaccel_buf {
	size_t len;
	unsigned int nr;
	struct vaccel_chunk *c;
	struct vaccel_chunk one;
};

struct vaccel_vq {
	spinlock_t lock;		/* add_sgs, kick, get_buf, dead */
	struct virtqueue *vq;
	struct list_head inflight;	/* requests the device owns */
	struct list_head backlog;	/* crypto requests waiting for room */
	wait_queue_head_t wq;		/* room in the ring */
	unsigned long gen;		/* bumped on every used-ring pass */
	unsigned int size;		/* ring entries, kept past del_vqs */
	bool dead;
	char name[16];
};

struct vaccel_dev {
	struct device dev;		/* class device; its kref frees us */
	struct cdev cdev;
	struct virtio_device *vdev;
	int index;
	bool dead;
	struct vaccel_vq *qs;		/* [0] control, [1 + i] data queue i */
	unsigned int nr_dataqs;
	unsigned int queue_size;

	/* configuration, host order, validated at probe */
	u32 max_dataqueues;
	u32 max_segments;
	u32 services;
	u32 max_sessions;
	u32 max_data_len;		/* min(config, VACCEL_DATA_LEN_CAP) */
	u32 max_key_len;
	u32 max_aad_len;
	u32 max_comp_streams;		/* [STREAM-LIMIT] */
	u64 device_features;
	u64 driver_features;

	struct virtio_accel_cap *caps;
	unsigned int n_caps;

	spinlock_t files_lock;		/* files */
	struct list_head files;

	struct llist_head free_list;	/* requests released in irq context */
	struct work_struct free_work;

	atomic_t sess_live;
	atomic_t sess_held;		/* live + creations under way */
	atomic_long_t sess_created;
	atomic_long_t sess_destroyed;
	atomic_t inflight;
	atomic_long_t ops_done;
	atomic_long_t ring_waits;	/* sleeps for room in a full ring */

	atomic_long_t pinned;		/* bytes charged by files' requests */
	atomic_long_t pinned_peak;
	atomic_long_t pinned_refused;	/* requests refused: budget full */

	/* the crypto API (virtio_accel_crypto.c) */
	struct list_head crypto_node;	/* in the list of devices serving it */
	u32 crypto_algs;		/* BIT(VACCEL_CALG_*) this device can do */
	struct llist_head crypto_done;	/* completed crypto requests */
	struct llist_head crypto_prog;	/* backlog entries now on the ring */
	struct work_struct crypto_work;	/* runs their callbacks */
	atomic_t crypto_streams;	/* stream works holding us */
	wait_queue_head_t crypto_streams_wq;	/* ... the last one ended */

	/* [DRV-NEEDS-RESET] (virtio_accel_reset.c) */
	unsigned long epoch;		/* bumped by each reset; sessions' */
	bool resetting;			/* queues down until restore ends */
	bool ready;			/* probe done: resets allowed */
	struct work_struct reset_work;
	atomic_long_t resets;
	atomic_long_t sess_lost;
};

struct vaccel_sess {
	struct rb_node node;
	struct list_head lnode;
	u64 id;
	u32 flags;
	unsigned int users;		/* requests the device has not completed */
	unsigned long epoch;		/* vd->epoch it was created in */
	bool lost;			/* counted in vd->sess_lost */
};

struct vaccel_file {
	struct kref ref;
	struct vaccel_dev *vd;
	struct list_head node;		/* in vd->files */
	spinlock_t lock;		/* done, closed, sessions, users */
	struct list_head done;		/* completed async requests */
	wait_queue_head_t wq;		/* readers, pollers, session users */
	bool closed;
	atomic_t inflight;		/* async ops not yet reaped */
	atomic_long_t pinned;		/* bytes charged by our requests */
	struct rb_root sessions;
	unsigned int nr_sessions;	/* including creations under way */
};

struct vaccel_req {
	refcount_t ref;
	struct vaccel_dev *vd;
	struct vaccel_file *vf;		/* NULL for probe-time requests */
	struct vaccel_vq *q;
	struct vaccel_sess *sess;	/* until the device completes us */
	struct list_head qnode;		/* q->inflight */
	struct list_head cnode;		/* vf->done */
	struct llist_node fnode;	/* vd->free_list */
	struct completion done;

	bool async;
	bool counted;			/* in vf->inflight */
	bool sensitive;			/* rd holds a key */
	bool ctrl_create;		/* CREATE_SESSION ... */
	bool sid_taken;			/* ... whose id reached a file */
	int error;			/* set on completion */
	unsigned long sess_epoch;	/* of the session it names; 0: none */
	unsigned long epoch;		/* vd->epoch when it was queued */
	unsigned int used_len;
	gfp_t gfp;			/* for everything the request holds */
	size_t charged;			/* bytes of the pinned budget */

	struct vaccel_buf rd;
	struct vaccel_buf wr;
	struct scatterlist *sg;
	struct scatterlist *sgp[2];
	unsigned int nr_out;
	unsigned int nr_in;
	struct scatterlist sg_inline[VACCEL_INLINE_SG];

	/* async ops: copied back by read(2) */
	u64 user_data;
	u64 dst_ptr;
	u32 dst_len;
	u32 src_len;
	struct mm_struct *mm;

	/*
	 * crypto API requests: the request this one serves, and what turns
	 * the device's answer into its result (struct vaccel_crypto_op)
	 */
	struct crypto_async_request *crypto;
	int (*crypto_done)(struct vaccel_req *req,
			   const struct vaccel_result *r, int err);
	struct llist_node crypto_lnode;	/* vd->crypto_done */
	struct llist_node crypto_pnode;	/* vd->crypto_prog */
};

enum vaccel_xfer {
	VACCEL_FROM_USER,
	VACCEL_TO_USER,
	VACCEL_FROM_KERN,
	VACCEL_TO_KERN,
};

struct vaccel_result {
	u32 src_used;
	u32 dst_used;
	u8 status;
	u8 flags;
};

/* virtio_accel_vq.c: request buffers, the pinned-memory budget, requests */
void *vaccel_chunk_alloc(size_t len, gfp_t gfp);
int vaccel_buf_alloc(struct vaccel_buf *b, size_t len, gfp_t gfp);
int vaccel_buf_xfer(struct vaccel_buf *b, size_t off, void *kp,
		    void __user *up, size_t len, enum vaccel_xfer dir);
int vaccel_buf_from_user(struct vaccel_buf *b, size_t off, u64 uptr,
			 u32 len);
size_t vaccel_footprint(size_t len);
int vaccel_charge(struct vaccel_req *req, size_t bytes);
struct vaccel_req *vaccel_req_alloc(struct vaccel_dev *vd,
				    struct vaccel_file *vf);
struct vaccel_req *vaccel_req_alloc_kern(struct vaccel_dev *vd, gfp_t gfp);
void vaccel_req_put(struct vaccel_req *req);
void vaccel_req_put_atomic(struct vaccel_req *req);
void vaccel_free_work(struct work_struct *work);
void vaccel_req_finish(struct vaccel_req *req, unsigned int len, int err);
void vaccel_vq_done(struct virtqueue *vq);
int vaccel_req_map(struct vaccel_req *req, bool raw);
int vaccel_req_queue(struct vaccel_req *req, bool kick);
int vaccel_req_queue_nowait(struct vaccel_req *req, bool backlog);
void vaccel_vq_kick(struct vaccel_vq *q);

/* virtio_accel_ctrl.c: sessions, the control queue */
struct vaccel_sess *vaccel_sess_get(struct vaccel_file *vf, u64 id);
void vaccel_sess_unuse_locked(struct vaccel_file *vf, struct vaccel_sess *s);
int vaccel_bad_len(struct vaccel_req *req);
void vaccel_destroy_nowait(struct vaccel_dev *vd, u64 sid,
			   unsigned long epoch);
int vaccel_get_caps(struct vaccel_dev *vd);
long vaccel_ioc_session_create(struct vaccel_file *vf, void __user *argp);
int vaccel_kern_sess_create(struct vaccel_dev *vd, u32 op, u32 algo,
			    u32 flags, const u8 *key, u32 key_len, u64 *sid,
			    unsigned long *epoch);
void vaccel_kern_sess_destroy(struct vaccel_dev *vd, u64 sid,
			      unsigned long epoch);
int vaccel_sess_destroy(struct vaccel_file *vf, struct vaccel_sess *s,
			bool killable);
long vaccel_ioc_session_destroy(struct vaccel_file *vf, void __user *argp);

/* virtio_accel_core.c */
int vaccel_read_config(struct vaccel_dev *vd);
bool vaccel_hw_ready(struct vaccel_dev *vd);
void vaccel_vqs_fail_all(struct vaccel_dev *vd, int err);

/* virtio_accel_reset.c: DEVICE_NEEDS_RESET, freeze and restore */
extern struct device_attribute dev_attr_resets;
extern struct device_attribute dev_attr_sessions_lost;
void vaccel_reset_init(struct vaccel_dev *vd);
void vaccel_reset_cancel(struct vaccel_dev *vd);
void vaccel_config_changed(struct virtio_device *vdev);
int vaccel_freeze(struct virtio_device *vdev);
int vaccel_restore(struct virtio_device *vdev);

/* virtio_accel_cdev.c: the character device */
extern const struct file_operations vaccel_fops;
void vaccel_file_free(struct kref *ref);
int vaccel_op_result(struct vaccel_req *req, struct vaccel_result *r);

/* virtio_accel_crypto.c: the crypto API */
struct crypto_async_request;
struct scatterlist;

enum {
	VACCEL_CALG_SHA256,		/* ahash */
	VACCEL_CALG_HMAC_SHA256,
	VACCEL_CALG_CRC32C,
	VACCEL_CALG_NR_AHASH,
	VACCEL_CALG_GCM_AES = VACCEL_CALG_NR_AHASH,	/* aead */
	VACCEL_CALG_DEFLATE,		/* acomp */
	VACCEL_CALG_NR,
};

/*
 * One request of a crypto API algorithm for a device: the readable part is
 * the header, key, iv, then aad_len + src_len bytes of @sg (the AAD and the
 * data lie there one after the other, as in the AEAD API); the writable
 * part dst_len bytes and the response. @done runs in process context (a
 * work item: it may sleep), with the device's verdict in @err (0: OK),
 * copies the result out of req->wr and returns what @base completes with
 * (-EINPROGRESS: @base was handed on, to a stream, and is not completed
 * here).
 */
struct vaccel_crypto_op {
	unsigned int calg;		/* VACCEL_CALG_*: devices that can */
	u32 opcode;			/* VIRTIO_ACCEL_OP_* */
	u32 algo;			/* VIRTIO_ACCEL_ALG_* */
	const u8 *key;
	u32 key_len;
	const u8 *iv;
	u32 iv_len;
	struct scatterlist *sg;
	u32 aad_len;
	u32 src_len;
	u32 dst_len;
	bool dst_cap;			/* dst_len is a capacity: at most max_data_len */
	struct crypto_async_request *base;
	int (*done)(struct vaccel_req *req, const struct vaccel_result *r,
		    int err);
};

extern const struct attribute_group *vaccel_class_groups[];

/* /sys/class/vaccel/<_name>: the atomic_long_t counter _var, read-only */
#define VACCEL_CRYPTO_ATTR(_name, _var)					\
static ssize_t _name##_show(const struct class *c,			\
			    const struct class_attribute *a, char *buf)	\
{									\
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&(_var)));	\
}									\
static CLASS_ATTR_RO(_name)
int vaccel_crypto_submit(const struct vaccel_crypto_op *op);
struct vaccel_dev *vaccel_crypto_pick(unsigned int calg);
void vaccel_buf_from_sg(struct vaccel_buf *b, size_t off,
			struct scatterlist *sg, unsigned int sg_off,
			unsigned int len);
void vaccel_crypto_tfm_get(void);
void vaccel_crypto_tfm_put(void);
void vaccel_crypto_dev_init(struct vaccel_dev *vd);
void vaccel_crypto_add(struct vaccel_dev *vd);
void vaccel_crypto_del(struct vaccel_dev *vd);
void vaccel_crypto_finish(struct vaccel_req *req);
void vaccel_crypto_started(struct vaccel_req *req);
void vaccel_crypto_exit(void);

/*
 * virtio_accel_stream.c: a crypto API request longer than the device's
 * max_data_len, run as a stream session (spec section 9) from a work item.
 *
 * The algorithm fills @op (the session's key in key/key_len; iv and the
 * aad_len bytes at the start of @sg go in the stream's first request; src:
 * the src_len bytes of @sg after the AAD; dst_len: the final request's)
 * and the callbacks, in memory that lives as long as the request (its
 * request context), and calls vaccel_stream_submit(). The engine picks a
 * device, creates a stream session of the kernel's own, sends the requests
 * one at a time (one chunk buffer at a time), completes @op.base and
 * destroys the session.
 */
struct vaccel_stream_chunk {
	u32 src_len;			/* from src at vaccel_stream.src_done */
	u32 dst_len;
	bool final;			/* VIRTIO_ACCEL_OP_F_FINAL */
};

struct vaccel_stream {
	struct vaccel_crypto_op op;
	/*
	 * The next request, at most chunk_max bytes of src; 0 or -errno.
	 * NULL: HASH and MAC (dst_len 0 until the final request, 9.2).
	 */
	int (*next)(struct vaccel_stream *s, struct vaccel_stream_chunk *c);
	/*
	 * Request @c came back OK: take its output from req->wr (src_done
	 * and dst_done still where it started). 1: more to send, 0: the
	 * operation is done, -errno: it failed.
	 */
	int (*chunk_done)(struct vaccel_stream *s,
			  const struct vaccel_stream_chunk *c,
			  struct vaccel_req *req, const struct vaccel_result *r);
	/*
	 * No data reached a device: do it all in software (process context)
	 * and return what op.base completes with.
	 */
	int (*fallback)(struct vaccel_stream *s);
	/*
	 * Optional, process context: the stream ended with @err (0 or the
	 * failure; AEAD decryption wipes the plaintext it released). Returns
	 * what op.base completes with.
	 */
	int (*end)(struct vaccel_stream *s, int err);

	/* the engine's */
	struct work_struct work;
	struct vaccel_dev *vd;
	u32 chunk_max;
	u32 src_done;			/* bytes of src the device consumed */
	u32 dst_done;			/* bytes of dst it wrote */
	unsigned int sent;		/* requests handed to the device */
	unsigned long epoch;		/* of the stream's session */
};

extern atomic_long_t vaccel_crypto_streamed;
extern atomic_long_t vaccel_crypto_sw_stream;
int vaccel_stream_submit(struct vaccel_stream *s);
void vaccel_stream_dev_init(struct vaccel_dev *vd);
void vaccel_stream_drain(struct vaccel_dev *vd);
int vaccel_stream_init(void);
void vaccel_stream_exit(void);

/* virtio_accel_acomp.c: deflate, an acomp algorithm */
extern atomic_long_t vaccel_acomp_fallbacks;
int vaccel_acomp_register(int priority);
void vaccel_acomp_unregister(void);

/* virtio_accel_aead.c: gcm(aes) */
extern const struct attribute_group vaccel_aead_group;
int vaccel_aead_register(int priority);
void vaccel_aead_unregister(void);

#endif /* VIRTIO_ACCEL_COMMON_H */
