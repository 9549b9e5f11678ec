// SPDX-License-Identifier: GPL-2.0-only
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
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

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

static unsigned int max_sessions_per_file = 64;
module_param(max_sessions_per_file, uint, 0644);
MODULE_PARM_DESC(max_sessions_per_file,
		 "sessions one open file may hold (default 64)");

static unsigned int max_inflight_per_file = 256;
module_param(max_inflight_per_file, uint, 0644);
MODULE_PARM_DESC(max_inflight_per_file,
		 "async ops one open file may have unreaped (default 256)");

/*
 * Memory a device's requests may pin (buffers and bookkeeping of requests
 * not yet freed: blocking ops in flight, async ops until reaped, RAW), and
 * one file's share of it. 0 at load selects the default: an eighth of RAM
 * per device (at least 16 MiB), a quarter of that per file.
 */
static unsigned int max_pinned_mb_per_dev;
module_param(max_pinned_mb_per_dev, uint, 0644);
MODULE_PARM_DESC(max_pinned_mb_per_dev,
		 "MiB of request memory one device may pin (default RAM/8, >= 16)");

static unsigned int max_pinned_mb_per_file;
module_param(max_pinned_mb_per_file, uint, 0644);
MODULE_PARM_DESC(max_pinned_mb_per_file,
		 "MiB of request memory one open file may pin (default max_pinned_mb_per_dev/4)");

/* 0: only the device's own table (max_sessions, NOSPC) bounds them */
static unsigned int max_sessions_per_dev;
module_param(max_sessions_per_dev, uint, 0644);
MODULE_PARM_DESC(max_sessions_per_dev,
		 "sessions all files of one device may hold (default 0: the device's table)");

/*
 * Allocations made for a file's requests: charged to the caller's memory
 * cgroup, and failing (ENOMEM) rather than invoking the OOM killer.
 */
#define VACCEL_GFP_USER	(GFP_KERNEL_ACCOUNT | __GFP_NORETRY | __GFP_NOWARN)

static dev_t vaccel_devt;
static DEFINE_IDA(vaccel_ida);

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
};

struct vaccel_sess {
	struct rb_node node;
	struct list_head lnode;
	u64 id;
	u32 flags;
	unsigned int users;		/* requests the device has not completed */
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
};

static bool vaccel_pair_known(u32 op, u32 algo)
{
	switch (op) {
	case VIRTIO_ACCEL_OP_NULL:
		return algo == VIRTIO_ACCEL_ALG_NONE;
	case VIRTIO_ACCEL_OP_HASH:
		return algo == VIRTIO_ACCEL_ALG_SHA256 ||
		       algo == VIRTIO_ACCEL_ALG_CRC32C;
	case VIRTIO_ACCEL_OP_MAC:
		return algo == VIRTIO_ACCEL_ALG_HMAC_SHA256;
	case VIRTIO_ACCEL_OP_AEAD_ENCRYPT:
	case VIRTIO_ACCEL_OP_AEAD_DECRYPT:
		return algo == VIRTIO_ACCEL_ALG_AES256_GCM;
	case VIRTIO_ACCEL_OP_COMPRESS:
	case VIRTIO_ACCEL_OP_DECOMPRESS:
		return algo == VIRTIO_ACCEL_ALG_DEFLATE;
	default:
		return false;
	}
}

/* ---- request buffers ------------------------------------------------- */

static void *vaccel_chunk_alloc(size_t len, gfp_t gfp)
{
	/* a zero-length element still maps a byte: never a stale one */
	if (!len)
		return kzalloc(1, gfp);
	if (len <= PAGE_SIZE)
		return kmalloc(len, gfp);
	/* whole pages, no power-of-two rounding; contiguous for one sg */
	return alloc_pages_exact(len, gfp | __GFP_NOWARN | __GFP_NORETRY);
}

static void vaccel_chunk_free(void *p, size_t len, bool sensitive)
{
	if (!p)
		return;
	if (sensitive)
		memzero_explicit(p, len);
	if (len <= PAGE_SIZE)
		kfree(p);
	else
		free_pages_exact(p, len);
}

static void vaccel_buf_free(struct vaccel_buf *b, bool sensitive)
{
	unsigned int i;

	for (i = 0; i < b->nr; i++)
		vaccel_chunk_free(b->c[i].p, b->c[i].len, sensitive);
	if (b->c != &b->one)
		kfree(b->c);
	b->c = NULL;
	b->nr = 0;
}

/*
 * Allocate @len (> 0) bytes in as few physically contiguous chunks as the
 * allocator gives: each chunk is one descriptor, and a request may use at
 * most max_segments of them.
 */
static int vaccel_buf_alloc(struct vaccel_buf *b, size_t len, gfp_t gfp)
{
	size_t csz = min_t(size_t, len, VACCEL_CHUNK_MAX);

	for (;;) {
		unsigned int nr = DIV_ROUND_UP(len, csz);
		size_t off = 0;

		if (nr == 1) {
			b->c = &b->one;
		} else {
			b->c = kcalloc(nr, sizeof(*b->c), gfp);
			if (!b->c)
				return -ENOMEM;
		}
		b->len = len;
		for (b->nr = 0; b->nr < nr; b->nr++) {
			size_t n = min(csz, len - off);
			void *p = vaccel_chunk_alloc(n, gfp);

			if (!p)
				break;
			b->c[b->nr].p = p;
			b->c[b->nr].len = n;
			off += n;
		}
		if (b->nr == nr)
			return 0;
		vaccel_buf_free(b, false);
		if (csz <= PAGE_SIZE)
			return -ENOMEM;
		csz = max_t(size_t, PAGE_SIZE, csz / 2);
	}
}

enum vaccel_xfer {
	VACCEL_FROM_USER,
	VACCEL_TO_USER,
	VACCEL_FROM_KERN,
	VACCEL_TO_KERN,
};

/* Copy @len bytes between offset @off of @b and a user or kernel buffer. */
static int vaccel_buf_xfer(struct vaccel_buf *b, size_t off, void *kp,
			   void __user *up, size_t len, enum vaccel_xfer dir)
{
	size_t done = 0;
	unsigned int i;

	if (off > b->len || len > b->len - off)
		return -EINVAL;
	for (i = 0; i < b->nr && done < len; i++) {
		size_t n;
		void *p;

		if (off >= b->c[i].len) {
			off -= b->c[i].len;
			continue;
		}
		n = min(len - done, b->c[i].len - off);
		p = b->c[i].p + off;
		switch (dir) {
		case VACCEL_FROM_USER:
			if (copy_from_user(p, up + done, n))
				return -EFAULT;
			break;
		case VACCEL_TO_USER:
			if (copy_to_user(up + done, p, n))
				return -EFAULT;
			break;
		case VACCEL_FROM_KERN:
			memcpy(p, kp + done, n);
			break;
		case VACCEL_TO_KERN:
			memcpy(kp + done, p, n);
			break;
		}
		done += n;
		off = 0;
	}
	return 0;
}

static int vaccel_buf_from_user(struct vaccel_buf *b, size_t off, u64 uptr,
				u32 len)
{
	if (!len)
		return 0;
	return vaccel_buf_xfer(b, off, NULL, u64_to_user_ptr(uptr), len,
			       VACCEL_FROM_USER);
}

/* ---- the pinned-memory budget ----------------------------------------- */

/* What a buffer of @len bytes costs: what vaccel_chunk_alloc() takes. */
static size_t vaccel_footprint(size_t len)
{
	if (len <= PAGE_SIZE)
		return kmalloc_size_roundup(max_t(size_t, len, 1));
	return PAGE_ALIGN(len);
}

static u64 vaccel_mb(unsigned int *param)
{
	return (u64)READ_ONCE(*param) << 20;
}

/*
 * Take @bytes of the device's budget for a request of a file, before its
 * buffers are allocated. -EAGAIN when the device's budget, or the file's
 * share of it, has no room: the caller retries after reaping completions
 * (its own or, for the device's budget, other files'). A file that holds
 * nothing may take one request up to the whole device budget, so every
 * valid request can run on an otherwise idle device.
 */
static int vaccel_charge(struct vaccel_req *req, size_t bytes)
{
	struct vaccel_file *vf = req->vf;
	struct vaccel_dev *vd = req->vd;
	long now, had, peak;

	now = atomic_long_add_return(bytes, &vd->pinned);
	if ((u64)now > vaccel_mb(&max_pinned_mb_per_dev))
		goto refuse_dev;
	had = atomic_long_fetch_add(bytes, &vf->pinned);
	if (had && (u64)had + bytes > vaccel_mb(&max_pinned_mb_per_file))
		goto refuse_file;
	req->charged = bytes;
	peak = atomic_long_read(&vd->pinned_peak);
	while (now > peak &&
	       !atomic_long_try_cmpxchg(&vd->pinned_peak, &peak, now))
		;
	return 0;

refuse_file:
	atomic_long_sub(bytes, &vf->pinned);
refuse_dev:
	atomic_long_sub(bytes, &vd->pinned);
	atomic_long_inc(&vd->pinned_refused);
	return -EAGAIN;
}

static void vaccel_uncharge(struct vaccel_req *req)
{
	if (!req->charged)
		return;
	atomic_long_sub(req->charged, &req->vf->pinned);
	atomic_long_sub(req->charged, &req->vd->pinned);
	req->charged = 0;
}

/* ---- sessions of one file ------------------------------------------- */

static struct vaccel_sess *vaccel_sess_find(struct vaccel_file *vf, u64 id)
{
	struct rb_node *n = vf->sessions.rb_node;

	while (n) {
		struct vaccel_sess *s = rb_entry(n, struct vaccel_sess, node);

		if (id < s->id)
			n = n->rb_left;
		else if (id > s->id)
			n = n->rb_right;
		else
			return s;
	}
	return NULL;
}

static int vaccel_sess_insert(struct vaccel_file *vf, struct vaccel_sess *s)
{
	struct rb_node **p = &vf->sessions.rb_node, *parent = NULL;

	while (*p) {
		struct vaccel_sess *t = rb_entry(*p, struct vaccel_sess, node);

		parent = *p;
		if (s->id < t->id)
			p = &(*p)->rb_left;
		else if (s->id > t->id)
			p = &(*p)->rb_right;
		else
			return -EEXIST;
	}
	rb_link_node(&s->node, parent, p);
	rb_insert_color(&s->node, &vf->sessions);
	return 0;
}

/* Look up a session of this file and pin it for one request. */
static struct vaccel_sess *vaccel_sess_get(struct vaccel_file *vf, u64 id)
{
	struct vaccel_sess *s;
	unsigned long flags;

	spin_lock_irqsave(&vf->lock, flags);
	s = vaccel_sess_find(vf, id);
	if (s)
		s->users++;
	spin_unlock_irqrestore(&vf->lock, flags);
	return s;
}

/* Called with vf->lock held. */
static void vaccel_sess_unuse_locked(struct vaccel_file *vf,
				     struct vaccel_sess *s)
{
	if (!--s->users)
		wake_up_all(&vf->wq);
}

/* ---- requests ------------------------------------------------------- */

static void vaccel_file_free(struct kref *ref);
static void vaccel_destroy_nowait(struct vaccel_dev *vd, u64 sid);

static struct vaccel_req *vaccel_req_alloc(struct vaccel_dev *vd,
					   struct vaccel_file *vf)
{
	gfp_t gfp = vf ? VACCEL_GFP_USER : GFP_KERNEL;
	struct vaccel_req *req = kzalloc(sizeof(*req), gfp);

	if (!req)
		return NULL;
	req->gfp = gfp;
	refcount_set(&req->ref, 1);
	init_completion(&req->done);
	INIT_LIST_HEAD(&req->qnode);
	INIT_LIST_HEAD(&req->cnode);
	req->vd = vd;
	get_device(&vd->dev);
	if (vf) {
		req->vf = vf;
		kref_get(&vf->ref);
	}
	return req;
}

/* Process context only. */
static void vaccel_req_free(struct vaccel_req *req)
{
	struct vaccel_dev *vd = req->vd;
	struct vaccel_file *vf = req->vf;
	unsigned long flags;

	/* a CREATE_SESSION whose creator was killed: do not leak it */
	if (req->ctrl_create && !req->sid_taken && !req->error &&
	    req->used_len >= sizeof(struct virtio_accel_ctrl_resp)) {
		struct virtio_accel_ctrl_resp resp;

		if (!vaccel_buf_xfer(&req->wr, req->wr.len - sizeof(resp),
				     &resp, NULL, sizeof(resp),
				     VACCEL_TO_KERN) &&
		    resp.status == VIRTIO_ACCEL_OK && resp.session_id)
			vaccel_destroy_nowait(vd, le64_to_cpu(resp.session_id));
	}
	if (req->sess) {
		spin_lock_irqsave(&vf->lock, flags);
		vaccel_sess_unuse_locked(vf, req->sess);
		spin_unlock_irqrestore(&vf->lock, flags);
	}
	vaccel_buf_free(&req->rd, req->sensitive);
	vaccel_buf_free(&req->wr, false);
	if (req->sg != req->sg_inline)
		kfree(req->sg);
	if (req->mm)
		mmdrop(req->mm);
	vaccel_uncharge(req);
	if (vf) {
		if (req->counted)
			atomic_dec(&vf->inflight);
		kref_put(&vf->ref, vaccel_file_free);
	}
	kfree(req);
	put_device(&vd->dev);
}

static void vaccel_req_put(struct vaccel_req *req)
{
	if (refcount_dec_and_test(&req->ref))
		vaccel_req_free(req);
}

/* Any context: the last reference of a request may go in irq context. */
static void vaccel_req_put_atomic(struct vaccel_req *req)
{
	struct vaccel_dev *vd = req->vd;

	if (refcount_dec_and_test(&req->ref)) {
		llist_add(&req->fnode, &vd->free_list);
		schedule_work(&vd->free_work);
	}
}

static void vaccel_free_work(struct work_struct *work)
{
	struct vaccel_dev *vd = container_of(work, struct vaccel_dev,
					     free_work);
	struct llist_node *n = llist_del_all(&vd->free_list);
	struct vaccel_req *req, *tmp;

	/* each request holds a device reference: vd outlives this loop */
	llist_for_each_entry_safe(req, tmp, n, fnode)
		vaccel_req_free(req);
}

/*
 * The device is done with @req (or the device is gone, @err < 0).
 * Called with req->q->lock held, possibly in interrupt context: only moves
 * the request and wakes its waiter.
 */
static void vaccel_req_finish(struct vaccel_req *req, unsigned int len,
			      int err)
{
	struct vaccel_file *vf = req->vf;
	bool queued = false;

	list_del_init(&req->qnode);
	req->used_len = len;
	req->error = err;
	atomic_dec(&req->vd->inflight);
	atomic_long_inc(&req->vd->ops_done);

	if (vf && (req->sess || req->async)) {
		spin_lock(&vf->lock);
		if (req->sess) {
			vaccel_sess_unuse_locked(vf, req->sess);
			req->sess = NULL;
		}
		if (req->async && !vf->closed) {
			/* the virtqueue's reference passes to vf->done */
			list_add_tail(&req->cnode, &vf->done);
			queued = true;
		}
		spin_unlock(&vf->lock);
		if (queued) {
			wake_up_interruptible_poll(&vf->wq, EPOLLIN | EPOLLRDNORM);
			return;
		}
	}
	complete(&req->done);
	vaccel_req_put_atomic(req);
}

static void vaccel_vq_done(struct virtqueue *vq)
{
	struct vaccel_dev *vd = vq->vdev->priv;
	struct vaccel_vq *q = &vd->qs[vq->index];
	struct vaccel_req *req;
	unsigned long flags;
	unsigned int len;

	spin_lock_irqsave(&q->lock, flags);
	if (q->dead)
		goto unlock;
	do {
		virtqueue_disable_cb(vq);
		while ((req = virtqueue_get_buf(vq, &len)))
			vaccel_req_finish(req, len, 0);
		if (unlikely(virtqueue_is_broken(vq)))
			break;
	} while (!virtqueue_enable_cb(vq));
	q->gen++;
	if (wq_has_sleeper(&q->wq))
		wake_up_all(&q->wq);
unlock:
	spin_unlock_irqrestore(&q->lock, flags);
}

/* Build the two scatterlists (readable, writable) of @req. */
static int vaccel_req_map(struct vaccel_req *req, bool raw)
{
	struct vaccel_dev *vd = req->vd;
	unsigned int n = req->rd.nr + req->wr.nr, i, j = 0;
	struct scatterlist *sg;

	if (!n)
		return -EINVAL;
	if (!raw && n > vd->max_segments)
		return -ENOMEM;
	/*
	 * No chain longer than the queue, indirect or not (virtio 1.x
	 * 2.7.5.3.1, spec [RING-BROKEN]): the device may stop the queue.
	 * q->vq may be gone already (remove); q->size is not.
	 */
	if (n > req->q->size)
		return -EINVAL;
	if (n <= VACCEL_INLINE_SG) {
		sg = req->sg_inline;
	} else {
		sg = kmalloc_array(n, sizeof(*sg), req->gfp);
		if (!sg)
			return -ENOMEM;
	}
	req->sg = sg;
	if (req->rd.nr) {
		sg_init_table(sg, req->rd.nr);
		for (i = 0; i < req->rd.nr; i++)
			sg_set_buf(&sg[i], req->rd.c[i].p, req->rd.c[i].len);
		req->sgp[j++] = sg;
		req->nr_out = 1;
		sg += req->rd.nr;
	}
	if (req->wr.nr) {
		sg_init_table(sg, req->wr.nr);
		for (i = 0; i < req->wr.nr; i++)
			sg_set_buf(&sg[i], req->wr.c[i].p, req->wr.c[i].len);
		req->sgp[j++] = sg;
		req->nr_in = 1;
	}
	return 0;
}

/*
 * Hand @req to its virtqueue. The virtqueue takes its own reference. Waits
 * (killable) while the ring is full. Without @kick the caller notifies the
 * device later (vaccel_vq_kick), once for a batch.
 */
static int vaccel_req_queue(struct vaccel_req *req, bool kick)
{
	struct vaccel_vq *q = req->q;
	unsigned long flags, gen;
	int err;

	for (;;) {
		spin_lock_irqsave(&q->lock, flags);
		if (q->dead) {
			err = -ENODEV;
			goto unlock;
		}
		err = virtqueue_add_sgs(q->vq, req->sgp, req->nr_out,
					req->nr_in, req, GFP_ATOMIC);
		if (!err) {
			refcount_inc(&req->ref);
			list_add_tail(&req->qnode, &q->inflight);
			atomic_inc(&req->vd->inflight);
			/* notify under the lock: remove() may delete the vq */
			if (kick && virtqueue_kick_prepare(q->vq))
				virtqueue_notify(q->vq);
			goto unlock;
		}
		if (err != -ENOSPC)
			goto unlock;
		if (q->vq->num_free == virtqueue_get_vring_size(q->vq)) {
			/* does not fit even in an empty ring */
			err = -ENOMEM;
			goto unlock;
		}
		/* the device must see what a batch queued before we sleep */
		if (virtqueue_kick_prepare(q->vq))
			virtqueue_notify(q->vq);
		gen = q->gen;
		spin_unlock_irqrestore(&q->lock, flags);
		atomic_long_inc(&req->vd->ring_waits);
		if (wait_event_killable(q->wq, READ_ONCE(q->gen) != gen ||
					READ_ONCE(q->dead)))
			return -EINTR;
	}
unlock:
	spin_unlock_irqrestore(&q->lock, flags);
	return err;
}

static void vaccel_vq_kick(struct vaccel_vq *q)
{
	unsigned long flags;

	spin_lock_irqsave(&q->lock, flags);
	if (!q->dead && virtqueue_kick_prepare(q->vq))
		virtqueue_notify(q->vq);
	spin_unlock_irqrestore(&q->lock, flags);
}

/* ---- control queue -------------------------------------------------- */

static struct vaccel_req *
vaccel_ctrl_prepare(struct vaccel_dev *vd, struct vaccel_file *vf,
		    const struct virtio_accel_ctrl_req *hdr, u64 key_ptr,
		    u32 key_len, size_t room)
{
	struct vaccel_req *req = vaccel_req_alloc(vd, vf);
	int err;

	if (!req)
		return ERR_PTR(-ENOMEM);
	req->q = &vd->qs[VIRTIO_ACCEL_CTRLQ];
	req->sensitive = key_len != 0;
	err = vaccel_buf_alloc(&req->rd, sizeof(*hdr) + key_len, req->gfp);
	if (err)
		goto put;
	err = vaccel_buf_alloc(&req->wr,
			       room + sizeof(struct virtio_accel_ctrl_resp),
			       req->gfp | __GFP_ZERO);
	if (err)
		goto put;
	vaccel_buf_xfer(&req->rd, 0, (void *)hdr, NULL, sizeof(*hdr),
			VACCEL_FROM_KERN);
	err = vaccel_buf_from_user(&req->rd, sizeof(*hdr), key_ptr, key_len);
	if (err)
		goto put;
	err = vaccel_req_map(req, false);
	if (err)
		goto put;
	return req;
put:
	vaccel_req_put(req);
	return ERR_PTR(err);
}

/*
 * [VQ-USED-LEN]: a device that wrote a response reports the whole writable
 * part. Anything else leaves the status byte unwritten (zero, "OK"), so it
 * is not read.
 */
static int vaccel_bad_len(struct vaccel_req *req)
{
	dev_warn_ratelimited(&req->vd->dev, "used len %u, writable part %zu\n",
			     req->used_len, req->wr.len);
	return -EIO;
}

/* Status of a completed control request; 0 or -errno. */
static int vaccel_ctrl_result(struct vaccel_req *req,
			      struct virtio_accel_ctrl_resp *resp)
{
	if (req->error)
		return req->error;
	if (req->used_len < sizeof(*resp))
		return -EINVAL;		/* [REQ-SHORT]: BADMSG */
	if (req->used_len != req->wr.len)
		return vaccel_bad_len(req);
	vaccel_buf_xfer(&req->wr, req->wr.len - sizeof(*resp), resp, NULL,
			sizeof(*resp), VACCEL_TO_KERN);
	return virtio_accel_status_errno(resp->status);
}

/* Uninterruptible, bounded: for probe and release. */
static int vaccel_wait_bounded(struct vaccel_req *req)
{
	if (!wait_for_completion_timeout(&req->done, VACCEL_CTRL_TIMEOUT))
		return -ETIMEDOUT;
	return 0;
}

static int vaccel_ctrl_destroy(struct vaccel_dev *vd, u64 sid, bool killable)
{
	struct virtio_accel_ctrl_req hdr = {
		.opcode = cpu_to_le32(VIRTIO_ACCEL_CTRL_DESTROY_SESSION),
		.session_id = cpu_to_le64(sid),
	};
	struct virtio_accel_ctrl_resp resp;
	struct vaccel_req *req;
	int err;

	req = vaccel_ctrl_prepare(vd, NULL, &hdr, 0, 0, 0);
	if (IS_ERR(req))
		return PTR_ERR(req);
	err = vaccel_req_queue(req, true);
	if (!err) {
		if (killable)
			err = wait_for_completion_killable(&req->done) ?
			      -EINTR : 0;
		else
			err = vaccel_wait_bounded(req);
	}
	if (!err)
		err = vaccel_ctrl_result(req, &resp);
	vaccel_req_put(req);
	return err;
}

static void vaccel_destroy_nowait(struct vaccel_dev *vd, u64 sid)
{
	struct virtio_accel_ctrl_req hdr = {
		.opcode = cpu_to_le32(VIRTIO_ACCEL_CTRL_DESTROY_SESSION),
		.session_id = cpu_to_le64(sid),
	};
	struct vaccel_req *req;

	if (READ_ONCE(vd->dead))
		return;
	req = vaccel_ctrl_prepare(vd, NULL, &hdr, 0, 0, 0);
	if (IS_ERR(req))
		return;
	vaccel_req_queue(req, true);
	vaccel_req_put(req);
}

static int vaccel_get_caps(struct vaccel_dev *vd)
{
	struct virtio_accel_ctrl_req hdr = {
		.opcode = cpu_to_le32(VIRTIO_ACCEL_CTRL_GET_CAPS),
	};
	size_t room = VACCEL_CAPS_ROOM * sizeof(struct virtio_accel_cap);
	struct virtio_accel_ctrl_resp resp = {};
	struct vaccel_req *req;
	int tries, err;
	u32 len;

	for (tries = 0; tries < 2; tries++) {
		req = vaccel_ctrl_prepare(vd, NULL, &hdr, 0, 0, room);
		if (IS_ERR(req))
			return PTR_ERR(req);
		err = vaccel_req_queue(req, true);
		if (!err)
			err = vaccel_wait_bounded(req);
		if (!err)
			err = vaccel_ctrl_result(req, &resp);
		len = le32_to_cpu(resp.len);
		if (err == -ENOSPC && len > room &&
		    len <= VACCEL_CTRL_ROOM_MAX) {
			vaccel_req_put(req);
			room = len;
			continue;
		}
		if (err)
			goto put;
		if (len > room || len % sizeof(struct virtio_accel_cap)) {
			dev_err(&vd->vdev->dev, "GET_CAPS: bad length %u\n",
				len);
			err = -EIO;
			goto put;
		}
		vd->n_caps = len / sizeof(struct virtio_accel_cap);
		vd->caps = kmalloc(max_t(size_t, len, 1), GFP_KERNEL);
		if (!vd->caps) {
			err = -ENOMEM;
			goto put;
		}
		vaccel_buf_xfer(&req->wr, 0, vd->caps, NULL, len,
				VACCEL_TO_KERN);
		goto put;
	}
	return -EIO;
put:
	vaccel_req_put(req);
	return err;
}

/* ---- data ops --------------------------------------------------------- */

static int vaccel_op_check(struct vaccel_dev *vd, const struct vaccel_op *op)
{
	if (op->reserved || op->pad[0] || op->pad[1])
		return -EINVAL;
	if (!vaccel_pair_known(op->opcode, op->algo))
		return -EOPNOTSUPP;
	if (op->flags & ~VIRTIO_ACCEL_OP_F_FINAL)
		return -EINVAL;
	if (op->key_len > vd->max_key_len || op->iv_len > VACCEL_MAX_IV_LEN ||
	    op->aad_len > vd->max_aad_len || op->src_len > vd->max_data_len ||
	    op->dst_len > vd->max_data_len)
		return -EINVAL;
	if (op->queue != VACCEL_QUEUE_ANY && op->queue >= vd->nr_dataqs)
		return -EINVAL;
	return 0;
}

static struct vaccel_vq *vaccel_pick_queue(struct vaccel_dev *vd,
					   const struct vaccel_op *op,
					   struct vaccel_sess *s)
{
	unsigned int i;

	if (op->queue != VACCEL_QUEUE_ANY)
		i = op->queue;
	else if (s && (s->flags & VIRTIO_ACCEL_SESS_F_STREAM))
		i = (u32)s->id % vd->nr_dataqs;	/* [STREAM-ORDER] */
	else
		i = raw_smp_processor_id() % vd->nr_dataqs;
	return &vd->qs[VIRTIO_ACCEL_DATAQ(i)];
}

static struct vaccel_req *vaccel_op_prepare(struct vaccel_file *vf,
					    const struct vaccel_op *op)
{
	struct vaccel_dev *vd = vf->vd;
	struct virtio_accel_op_req hdr;
	struct vaccel_sess *s = NULL;
	struct vaccel_req *req;
	size_t off, rd_len, wr_len;
	int err;

	err = vaccel_op_check(vd, op);
	if (err)
		return ERR_PTR(err);
	if (op->session_id) {
		s = vaccel_sess_get(vf, op->session_id);
		if (!s)
			return ERR_PTR(-ENOENT);
	}
	req = vaccel_req_alloc(vd, vf);
	if (!req) {
		if (s) {
			spin_lock_irq(&vf->lock);
			vaccel_sess_unuse_locked(vf, s);
			spin_unlock_irq(&vf->lock);
		}
		return ERR_PTR(-ENOMEM);
	}
	req->sess = s;
	req->q = vaccel_pick_queue(vd, op, s);
	req->sensitive = op->key_len != 0;

	/* each length is capped (op_check), so the sums cannot wrap */
	rd_len = sizeof(hdr) + (size_t)op->key_len + op->iv_len +
		 op->aad_len + op->src_len;
	wr_len = (size_t)op->dst_len + sizeof(struct virtio_accel_op_resp);
	err = vaccel_charge(req, vaccel_footprint(sizeof(*req)) +
			    vaccel_footprint(rd_len) + vaccel_footprint(wr_len));
	if (err)
		goto put;
	/* every byte of rd is written below, before the device sees it */
	err = vaccel_buf_alloc(&req->rd, rd_len, req->gfp);
	if (err)
		goto put;
	/* zeroed: the device never sees stale kernel memory */
	err = vaccel_buf_alloc(&req->wr, wr_len, req->gfp | __GFP_ZERO);
	if (err)
		goto put;

	memset(&hdr, 0, sizeof(hdr));
	hdr.opcode = cpu_to_le32(op->opcode);
	hdr.algo = cpu_to_le32(op->algo);
	hdr.session_id = cpu_to_le64(op->session_id);
	hdr.request_id = cpu_to_le64(op->user_data);
	hdr.flags = cpu_to_le32(op->flags);
	hdr.key_len = cpu_to_le32(op->key_len);
	hdr.iv_len = cpu_to_le32(op->iv_len);
	hdr.aad_len = cpu_to_le32(op->aad_len);
	hdr.src_len = cpu_to_le32(op->src_len);
	hdr.dst_len = cpu_to_le32(op->dst_len);
	vaccel_buf_xfer(&req->rd, 0, &hdr, NULL, sizeof(hdr),
			VACCEL_FROM_KERN);
	off = sizeof(hdr);
	err = vaccel_buf_from_user(&req->rd, off, op->key_ptr, op->key_len);
	off += op->key_len;
	if (!err)
		err = vaccel_buf_from_user(&req->rd, off, op->iv_ptr,
					   op->iv_len);
	off += op->iv_len;
	if (!err)
		err = vaccel_buf_from_user(&req->rd, off, op->aad_ptr,
					   op->aad_len);
	off += op->aad_len;
	if (!err)
		err = vaccel_buf_from_user(&req->rd, off, op->src_ptr,
					   op->src_len);
	if (err)
		goto put;
	err = vaccel_req_map(req, false);
	if (err)
		goto put;

	req->user_data = op->user_data;
	req->dst_ptr = op->dst_ptr;
	req->dst_len = op->dst_len;
	req->src_len = op->src_len;
	return req;
put:
	vaccel_req_put(req);
	return ERR_PTR(err);
}

struct vaccel_result {
	u32 src_used;
	u32 dst_used;
	u8 status;
	u8 flags;
};

/* Outcome of a completed data request; 0 or -errno. */
static int vaccel_op_result(struct vaccel_req *req, struct vaccel_result *r)
{
	struct virtio_accel_op_resp resp;

	memset(r, 0, sizeof(*r));
	if (req->error) {
		r->status = VACCEL_NO_STATUS;
		return req->error;
	}
	if (req->used_len < sizeof(resp)) {
		r->status = VIRTIO_ACCEL_BADMSG;	/* [REQ-SHORT] */
		return -EINVAL;
	}
	if (req->used_len != req->wr.len) {
		r->status = VACCEL_NO_STATUS;
		return vaccel_bad_len(req);
	}
	/* [DRV-RESP]: the status is the last byte of the writable part */
	vaccel_buf_xfer(&req->wr, req->wr.len - sizeof(resp), &resp, NULL,
			sizeof(resp), VACCEL_TO_KERN);
	r->status = resp.status;
	r->flags = resp.flags;
	r->src_used = min(le32_to_cpu(resp.src_used), req->src_len);
	r->dst_used = min(le32_to_cpu(resp.dst_used), req->dst_len);
	return virtio_accel_status_errno(resp.status);
}

/* Copy the output of an OK request to the user's dst. */
static int vaccel_op_copy_dst(struct vaccel_req *req,
			      const struct vaccel_result *r)
{
	if (r->status != VIRTIO_ACCEL_OK || !r->dst_used)
		return 0;
	return vaccel_buf_xfer(&req->wr, 0, NULL,
			       u64_to_user_ptr(req->dst_ptr), r->dst_used,
			       VACCEL_TO_USER);
}

static long vaccel_ioc_op(struct vaccel_file *vf, void __user *argp)
{
	struct vaccel_op op;
	struct vaccel_result r;
	struct vaccel_req *req;
	int err, cerr;

	if (copy_from_user(&op, argp, sizeof(op)))
		return -EFAULT;
	req = vaccel_op_prepare(vf, &op);
	if (IS_ERR(req))
		return PTR_ERR(req);
	err = vaccel_req_queue(req, true);
	if (err)
		goto put;
	/*
	 * Killed: drop our reference only. The virtqueue still holds one,
	 * so the buffers live until the device (or remove) completes them.
	 */
	if (wait_for_completion_killable(&req->done)) {
		err = -EINTR;
		goto put;
	}
	err = vaccel_op_result(req, &r);
	cerr = vaccel_op_copy_dst(req, &r);
	op.src_used = r.src_used;
	op.dst_used = r.dst_used;
	op.status = r.status;
	op.resp_flags = r.flags;
	if (copy_to_user(argp, &op, sizeof(op)) || cerr)
		err = -EFAULT;
put:
	vaccel_req_put(req);
	return err;
}

static long vaccel_ioc_submit(struct vaccel_file *vf, void __user *argp)
{
	struct vaccel_submit __user *usub = argp;
	unsigned int max = READ_ONCE(max_inflight_per_file);
	struct vaccel_vq *pending = NULL;
	struct vaccel_submit sub;
	struct vaccel_op __user *uops;
	int err = 0;
	u32 i;

	if (copy_from_user(&sub, argp, sizeof(sub)))
		return -EFAULT;
	uops = u64_to_user_ptr(sub.ops_ptr);
	for (i = 0; i < sub.nr; i++) {
		struct vaccel_req *req;
		struct vaccel_op op;
		struct vaccel_vq *q;

		if (copy_from_user(&op, &uops[i], sizeof(op))) {
			err = -EFAULT;
			break;
		}
		if (atomic_inc_return(&vf->inflight) > max) {
			atomic_dec(&vf->inflight);
			err = -EAGAIN;
			break;
		}
		req = vaccel_op_prepare(vf, &op);
		if (IS_ERR(req)) {
			atomic_dec(&vf->inflight);
			err = PTR_ERR(req);
			break;
		}
		req->counted = true;
		req->async = true;
		req->mm = current->mm;
		mmgrab(req->mm);
		q = req->q;
		if (pending && pending != q) {
			vaccel_vq_kick(pending);
			pending = NULL;
		}
		/* one notification per batch and queue */
		err = vaccel_req_queue(req, false);
		vaccel_req_put(req);
		if (err)
			break;
		pending = q;
		if (fatal_signal_pending(current)) {
			i++;
			break;
		}
	}
	if (pending)
		vaccel_vq_kick(pending);
	/* like io_submit(2): an error only if nothing was accepted */
	if (i == 0 && err)
		return err;
	if (put_user(i, &usub->submitted))
		return -EFAULT;
	return 0;
}

/* ---- raw chains (conformance) ---------------------------------------- */

/*
 * One chunk per iovec, readable and writable alike filled from the caller's
 * buffers: the device sees only bytes the caller wrote, and every byte
 * copied back is the device's or the caller's own.
 */
static int vaccel_raw_bufs(struct vaccel_req *req, struct vaccel_buf *b,
			   const struct vaccel_iov *iov, unsigned int nr)
{
	unsigned int i;

	if (!nr)
		return 0;
	b->c = kcalloc(nr, sizeof(*b->c), req->gfp);
	if (!b->c)
		return -ENOMEM;
	b->len = 0;
	for (b->nr = 0; b->nr < nr; b->nr++) {
		size_t len = iov[b->nr].len;

		b->c[b->nr].p = vaccel_chunk_alloc(len, req->gfp);
		if (!b->c[b->nr].p)
			return -ENOMEM;
		b->c[b->nr].len = len;
		b->len += len;
	}
	for (i = 0; i < nr; i++)
		if (iov[i].len &&
		    copy_from_user(b->c[i].p, u64_to_user_ptr(iov[i].base),
				   iov[i].len))
			return -EFAULT;
	return 0;
}

static long vaccel_ioc_raw(struct vaccel_file *vf, void __user *argp)
{
	struct vaccel_dev *vd = vf->vd;
	struct vaccel_iov *iov = NULL;
	struct vaccel_req *req;
	struct vaccel_raw raw;
	u64 total = 0, limit;
	size_t charge;
	unsigned int nr, i;
	int err;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&raw, argp, sizeof(raw)))
		return -EFAULT;
	if (raw.nr_rd > VACCEL_RAW_MAX_IOV || raw.nr_wr > VACCEL_RAW_MAX_IOV)
		return -EINVAL;
	nr = raw.nr_rd + raw.nr_wr;
	if (!nr || raw.vq > vd->nr_dataqs)
		return -EINVAL;
	iov = memdup_array_user(u64_to_user_ptr(raw.iov_ptr), nr,
				sizeof(*iov));
	if (IS_ERR(iov))
		return PTR_ERR(iov);
	req = vaccel_req_alloc(vd, vf);
	if (!req) {
		err = -ENOMEM;
		goto free_iov;
	}
	req->q = &vd->qs[raw.vq];
	/* room for any request a test may build, and some more */
	limit = 2ULL * max_t(u32, vd->max_data_len, VACCEL_CTRL_ROOM_MAX) +
		SZ_1M;
	charge = vaccel_footprint(sizeof(*req));
	for (i = 0; i < nr; i++) {
		if (iov[i].len > VACCEL_CHUNK_MAX) {
			err = -EINVAL;
			goto put;
		}
		total += iov[i].len;
		charge += vaccel_footprint(iov[i].len);
	}
	err = total > limit ? -EINVAL : vaccel_charge(req, charge);
	if (!err)
		err = vaccel_raw_bufs(req, &req->rd, iov, raw.nr_rd);
	if (!err)
		err = vaccel_raw_bufs(req, &req->wr, iov + raw.nr_rd,
				      raw.nr_wr);
	if (!err)
		err = vaccel_req_map(req, true);
	if (!err)
		err = vaccel_req_queue(req, true);
	if (err)
		goto put;
	if (wait_for_completion_killable(&req->done)) {
		err = -EINTR;
		goto put;
	}
	err = req->error;
	if (err)
		goto put;
	raw.used_len = req->used_len;
	for (i = 0; i < req->wr.nr; i++) {
		const struct vaccel_iov *v = &iov[raw.nr_rd + i];

		if (v->len && copy_to_user(u64_to_user_ptr(v->base),
					   req->wr.c[i].p, v->len))
			err = -EFAULT;
	}
	if (copy_to_user(argp, &raw, sizeof(raw)))
		err = -EFAULT;
put:
	vaccel_req_put(req);
free_iov:
	kfree(iov);
	return err;
}

/* ---- sessions --------------------------------------------------------- */

static long vaccel_ioc_session_create(struct vaccel_file *vf,
				      void __user *argp)
{
	struct vaccel_dev *vd = vf->vd;
	struct virtio_accel_ctrl_req hdr = {};
	struct virtio_accel_ctrl_resp resp;
	struct vaccel_session us;
	struct vaccel_sess *s;
	struct vaccel_req *req;
	unsigned int dev_max, held;
	int err;

	if (copy_from_user(&us, argp, sizeof(us)))
		return -EFAULT;
	if (!vaccel_pair_known(us.op, us.algo))
		return -EOPNOTSUPP;
	if ((us.flags & ~VIRTIO_ACCEL_SESS_F_STREAM) ||
	    us.key_len > vd->max_key_len)
		return -EINVAL;

	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return -ENOMEM;
	spin_lock_irq(&vf->lock);
	if (vf->nr_sessions >= READ_ONCE(max_sessions_per_file)) {
		spin_unlock_irq(&vf->lock);
		kfree(s);
		return -EDQUOT;
	}
	vf->nr_sessions++;		/* reserved */
	spin_unlock_irq(&vf->lock);
	held = atomic_inc_return(&vd->sess_held);
	dev_max = READ_ONCE(max_sessions_per_dev);
	if (dev_max && held > dev_max) {
		err = -ENOSPC;	/* as the device says when its table is full */
		goto unhold;
	}

	hdr.opcode = cpu_to_le32(VIRTIO_ACCEL_CTRL_CREATE_SESSION);
	hdr.algo = cpu_to_le32(us.algo);
	hdr.op = cpu_to_le32(us.op);
	hdr.flags = cpu_to_le32(us.flags);
	hdr.key_len = cpu_to_le32(us.key_len);
	req = vaccel_ctrl_prepare(vd, vf, &hdr, us.key_ptr, us.key_len, 0);
	if (IS_ERR(req)) {
		err = PTR_ERR(req);
		goto unhold;
	}
	req->ctrl_create = true;
	err = vaccel_req_queue(req, true);
	if (err)
		goto put;
	/* killed: the free path destroys the session if the device made it */
	if (wait_for_completion_killable(&req->done)) {
		err = -EINTR;
		goto put;
	}
	err = vaccel_ctrl_result(req, &resp);
	if (err)
		goto put;
	req->sid_taken = true;
	s->id = le64_to_cpu(resp.session_id);
	s->flags = us.flags;
	spin_lock_irq(&vf->lock);
	err = s->id ? vaccel_sess_insert(vf, s) : -EIO;
	spin_unlock_irq(&vf->lock);
	if (err) {
		/* the device broke [CTRL-CREATE]: id 0 or one we hold */
		dev_warn_ratelimited(&vd->dev, "bad session id %llu\n", s->id);
		err = -EIO;
		goto put;
	}
	atomic_inc(&vd->sess_live);
	atomic_long_inc(&vd->sess_created);
	vaccel_req_put(req);
	if (put_user(s->id, &((struct vaccel_session __user *)argp)->session_id))
		return -EFAULT;	/* still ours: destroyed on close */
	return 0;
put:
	vaccel_req_put(req);
unhold:
	atomic_dec(&vd->sess_held);
	spin_lock_irq(&vf->lock);
	vf->nr_sessions--;
	spin_unlock_irq(&vf->lock);
	kfree(s);
	return err;
}

/*
 * Destroy a session already taken out of the file's tree: wait until no
 * request naming it is left on a queue (its id may be reused by the device
 * once destroyed), then tell the device. Frees @s unless it had to be kept.
 */
static int vaccel_sess_destroy(struct vaccel_file *vf, struct vaccel_sess *s,
			       bool killable)
{
	struct vaccel_dev *vd = vf->vd;
	int err = 0;

	wait_event_idle(vf->wq, !READ_ONCE(s->users));
	if (!READ_ONCE(vd->dead))
		err = vaccel_ctrl_destroy(vd, s->id, killable);
	if (err && err != -ENODEV && err != -ENOENT && err != -EINTR)
		dev_warn_ratelimited(&vd->dev, "destroy session %llu: %d\n",
				     s->id, err);
	/* the device's sessions die with it on reset or removal */
	atomic_dec(&vd->sess_live);
	atomic_dec(&vd->sess_held);
	atomic_long_inc(&vd->sess_destroyed);
	kfree(s);
	return err == -ENODEV ? 0 : err;
}

static long vaccel_ioc_session_destroy(struct vaccel_file *vf,
				       void __user *argp)
{
	struct vaccel_sess *s;
	u64 id;
	int err;

	if (get_user(id, (u64 __user *)argp))
		return -EFAULT;
	spin_lock_irq(&vf->lock);
	s = id ? vaccel_sess_find(vf, id) : NULL;
	if (s)
		rb_erase(&s->node, &vf->sessions);
	spin_unlock_irq(&vf->lock);
	if (!s)
		return -ENOENT;
	err = vaccel_sess_destroy(vf, s, true);
	spin_lock_irq(&vf->lock);
	vf->nr_sessions--;
	spin_unlock_irq(&vf->lock);
	return err == -EINTR ? 0 : err;
}

/* ---- info ------------------------------------------------------------ */

static long vaccel_ioc_info(struct vaccel_file *vf, void __user *argp)
{
	struct vaccel_dev *vd = vf->vd;
	struct vaccel_info info;
	u32 n;

	if (copy_from_user(&info, argp, sizeof(info)))
		return -EFAULT;
	n = min_t(u32, info.caps_len, vd->n_caps);
	if (n && copy_to_user(u64_to_user_ptr(info.caps_ptr), vd->caps,
			      n * sizeof(*vd->caps)))
		return -EFAULT;
	info.device_id = VIRTIO_ID_ACCEL;
	info.index = vd->index;
	info.device_features = vd->device_features;
	info.driver_features = vd->driver_features;
	info.max_dataqueues = vd->max_dataqueues;
	info.num_queues = vd->nr_dataqs;
	info.max_segments = vd->max_segments;
	info.services = vd->services;
	info.max_sessions = vd->max_sessions;
	info.max_data_len = vd->max_data_len;
	info.max_key_len = vd->max_key_len;
	info.max_aad_len = vd->max_aad_len;
	info.max_comp_streams = vd->max_comp_streams;
	info.max_sessions_per_file = READ_ONCE(max_sessions_per_file);
	info.max_inflight_per_file = READ_ONCE(max_inflight_per_file);
	info.queue_size = vd->queue_size;
	info.n_caps = vd->n_caps;
	info.caps_len = n;
	if (copy_to_user(argp, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

/* ---- file operations -------------------------------------------------- */

static void vaccel_file_free(struct kref *ref)
{
	struct vaccel_file *vf = container_of(ref, struct vaccel_file, ref);

	put_device(&vf->vd->dev);
	kfree(vf);
}

static int vaccel_open(struct inode *inode, struct file *file)
{
	struct vaccel_dev *vd = container_of(inode->i_cdev, struct vaccel_dev,
					     cdev);
	struct vaccel_file *vf;

	if (READ_ONCE(vd->dead))
		return -ENODEV;
	vf = kzalloc(sizeof(*vf), GFP_KERNEL_ACCOUNT);
	if (!vf)
		return -ENOMEM;
	kref_init(&vf->ref);
	spin_lock_init(&vf->lock);
	INIT_LIST_HEAD(&vf->done);
	init_waitqueue_head(&vf->wq);
	atomic_set(&vf->inflight, 0);
	vf->sessions = RB_ROOT;
	vf->vd = vd;
	get_device(&vd->dev);
	spin_lock(&vd->files_lock);
	list_add_tail(&vf->node, &vd->files);
	spin_unlock(&vd->files_lock);
	file->private_data = vf;
	return stream_open(inode, file);
}

static int vaccel_release(struct inode *inode, struct file *file)
{
	struct vaccel_file *vf = file->private_data;
	struct vaccel_dev *vd = vf->vd;
	struct vaccel_req *req, *rtmp;
	struct vaccel_sess *s, *stmp;
	struct rb_node *n;
	LIST_HEAD(done);
	LIST_HEAD(sess);

	spin_lock(&vd->files_lock);
	list_del(&vf->node);
	spin_unlock(&vd->files_lock);

	/*
	 * Async requests still on a queue see ->closed and free themselves
	 * when the device completes them; those already done go now.
	 */
	spin_lock_irq(&vf->lock);
	vf->closed = true;
	list_splice_init(&vf->done, &done);
	while ((n = rb_first(&vf->sessions))) {
		s = rb_entry(n, struct vaccel_sess, node);
		rb_erase(n, &vf->sessions);
		list_add_tail(&s->lnode, &sess);
	}
	spin_unlock_irq(&vf->lock);

	list_for_each_entry_safe(req, rtmp, &done, cnode) {
		list_del(&req->cnode);
		vaccel_req_put(req);
	}
	list_for_each_entry_safe(s, stmp, &sess, lnode) {
		list_del(&s->lnode);
		vaccel_sess_destroy(vf, s, false);
	}
	kref_put(&vf->ref, vaccel_file_free);
	return 0;
}

static long vaccel_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	struct vaccel_file *vf = file->private_data;
	void __user *argp = (void __user *)arg;

	if (READ_ONCE(vf->vd->dead))
		return -ENODEV;
	switch (cmd) {
	case VACCEL_IOC_INFO:
		return vaccel_ioc_info(vf, argp);
	case VACCEL_IOC_SESSION_CREATE:
		return vaccel_ioc_session_create(vf, argp);
	case VACCEL_IOC_SESSION_DESTROY:
		return vaccel_ioc_session_destroy(vf, argp);
	case VACCEL_IOC_OP:
		return vaccel_ioc_op(vf, argp);
	case VACCEL_IOC_SUBMIT:
		return vaccel_ioc_submit(vf, argp);
	case VACCEL_IOC_RAW:
		return vaccel_ioc_raw(vf, argp);
	default:
		return -ENOTTY;
	}
}

static struct vaccel_req *vaccel_pop_done(struct vaccel_file *vf)
{
	struct vaccel_req *req;

	spin_lock_irq(&vf->lock);
	req = list_first_entry_or_null(&vf->done, struct vaccel_req, cnode);
	if (req)
		list_del_init(&req->cnode);
	spin_unlock_irq(&vf->lock);
	return req;
}

static ssize_t vaccel_read(struct file *file, char __user *buf, size_t count,
			   loff_t *ppos)
{
	struct vaccel_file *vf = file->private_data;
	struct vaccel_dev *vd = vf->vd;
	struct vaccel_completion c;
	size_t done = 0;
	int err;

	if (count < sizeof(c))
		return -EINVAL;
	while (count - done >= sizeof(c)) {
		struct vaccel_req *req = vaccel_pop_done(vf);
		struct vaccel_result r;

		if (!req) {
			if (done)
				break;
			if (READ_ONCE(vd->dead))
				return -ENODEV;
			if (file->f_flags & O_NONBLOCK)
				return -EAGAIN;
			err = wait_event_interruptible(vf->wq,
						       !list_empty_careful(&vf->done) ||
						       READ_ONCE(vd->dead));
			if (err)
				return err;
			continue;
		}
		memset(&c, 0, sizeof(c));
		c.error = vaccel_op_result(req, &r);
		c.user_data = req->user_data;
		c.src_used = r.src_used;
		c.dst_used = r.dst_used;
		c.status = r.status;
		c.resp_flags = r.flags;
		/* the output goes to the submitter's address space only */
		if (r.status == VIRTIO_ACCEL_OK && r.dst_used) {
			if (current->mm != req->mm)
				c.error = -EXDEV;
			else if (vaccel_op_copy_dst(req, &r))
				c.error = -EFAULT;
		}
		if (copy_to_user(buf + done, &c, sizeof(c))) {
			spin_lock_irq(&vf->lock);
			list_add(&req->cnode, &vf->done);
			spin_unlock_irq(&vf->lock);
			return done ? done : -EFAULT;
		}
		vaccel_req_put(req);
		done += sizeof(c);
	}
	return done;
}

static __poll_t vaccel_poll(struct file *file, poll_table *wait)
{
	struct vaccel_file *vf = file->private_data;
	__poll_t mask = 0;

	poll_wait(file, &vf->wq, wait);
	if (!list_empty_careful(&vf->done))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (READ_ONCE(vf->vd->dead))
		mask |= EPOLLHUP | EPOLLERR;
	return mask;
}

static const struct file_operations vaccel_fops = {
	.owner = THIS_MODULE,
	.open = vaccel_open,
	.release = vaccel_release,
	.read = vaccel_read,
	.poll = vaccel_poll,
	.unlocked_ioctl = vaccel_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

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

static int vaccel_read_config(struct vaccel_dev *vd)
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

static bool vaccel_hw_ready(struct vaccel_dev *vd)
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
 * Stop the device for good: no request is added after this, every request
 * the device held completes with -ENODEV, every waiter wakes. The vqs are
 * deleted; the caller still holds its device reference.
 */
static void vaccel_shutdown(struct vaccel_dev *vd)
{
	struct vaccel_file *vf;
	unsigned int i;

	WRITE_ONCE(vd->dead, true);
	for (i = 0; i < 1 + vd->nr_dataqs; i++) {
		struct vaccel_vq *q = &vd->qs[i];

		spin_lock_irq(&q->lock);
		q->dead = true;
		spin_unlock_irq(&q->lock);
	}
	/* no more used buffers, no more callbacks after this */
	virtio_reset_device(vd->vdev);
	for (i = 0; i < 1 + vd->nr_dataqs; i++) {
		struct vaccel_vq *q = &vd->qs[i];
		struct vaccel_req *req, *tmp;

		spin_lock_irq(&q->lock);
		while (virtqueue_detach_unused_buf(q->vq))
			;
		list_for_each_entry_safe(req, tmp, &q->inflight, qnode)
			vaccel_req_finish(req, 0, -ENODEV);
		spin_unlock_irq(&q->lock);
		wake_up_all(&q->wq);
	}
	vd->vdev->config->del_vqs(vd->vdev);

	spin_lock(&vd->files_lock);
	list_for_each_entry(vf, &vd->files, node)
		wake_up_all(&vf->wq);
	spin_unlock(&vd->files_lock);
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

	/* no new opens, sysfs gone; open files keep vd alive */
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

	err = class_register(&vaccel_class);
	if (err)
		return err;
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
	return err;
}

static void __exit vaccel_exit(void)
{
	unregister_virtio_driver(&vaccel_driver);
	unregister_chrdev_region(vaccel_devt, VACCEL_MAX_DEVS);
	class_unregister(&vaccel_class);
}

module_init(vaccel_init);
module_exit(vaccel_exit);

MODULE_DESCRIPTION("virtio-accel guest driver (/dev/vaccelN)");
MODULE_LICENSE("GPL");
