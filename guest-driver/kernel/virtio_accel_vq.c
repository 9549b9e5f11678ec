// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-accel guest driver: request buffers, the pinned-memory budget,
 * and the life cycle of a request on its virtqueue.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "virtio_accel_common.h"

/* ---- request buffers ------------------------------------------------- */

void *vaccel_chunk_alloc(size_t len, gfp_t gfp)
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
int vaccel_buf_alloc(struct vaccel_buf *b, size_t len, gfp_t gfp)
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

/* Copy @len bytes between offset @off of @b and a user or kernel buffer. */
int vaccel_buf_xfer(struct vaccel_buf *b, size_t off, void *kp,
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

int vaccel_buf_from_user(struct vaccel_buf *b, size_t off, u64 uptr,
			 u32 len)
{
	if (!len)
		return 0;
	return vaccel_buf_xfer(b, off, NULL, u64_to_user_ptr(uptr), len,
			       VACCEL_FROM_USER);
}

/* ---- the pinned-memory budget ----------------------------------------- */

/* What a buffer of @len bytes costs: what vaccel_chunk_alloc() takes. */
size_t vaccel_footprint(size_t len)
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
int vaccel_charge(struct vaccel_req *req, size_t bytes)
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

/* ---- requests ------------------------------------------------------- */

static struct vaccel_req *vaccel_req_new(struct vaccel_dev *vd,
					 struct vaccel_file *vf, gfp_t gfp)
{
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

struct vaccel_req *vaccel_req_alloc(struct vaccel_dev *vd,
				    struct vaccel_file *vf)
{
	return vaccel_req_new(vd, vf, vf ? VACCEL_GFP_USER : GFP_KERNEL);
}

/* A request of the kernel (the crypto API): @gfp is GFP_ATOMIC if it may not sleep. */
struct vaccel_req *vaccel_req_alloc_kern(struct vaccel_dev *vd, gfp_t gfp)
{
	return vaccel_req_new(vd, NULL, gfp | __GFP_NOWARN);
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
			vaccel_destroy_nowait(vd, le64_to_cpu(resp.session_id),
					      req->epoch);
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

void vaccel_req_put(struct vaccel_req *req)
{
	if (refcount_dec_and_test(&req->ref))
		vaccel_req_free(req);
}

/* Any context: the last reference of a request may go in irq context. */
void vaccel_req_put_atomic(struct vaccel_req *req)
{
	struct vaccel_dev *vd = req->vd;

	if (refcount_dec_and_test(&req->ref)) {
		llist_add(&req->fnode, &vd->free_list);
		schedule_work(&vd->free_work);
	}
}

void vaccel_free_work(struct work_struct *work)
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
void vaccel_req_finish(struct vaccel_req *req, unsigned int len,
		       int err)
{
	struct vaccel_file *vf = req->vf;
	bool queued = false;

	list_del_init(&req->qnode);
	req->used_len = len;
	req->error = err;
	atomic_dec(&req->vd->inflight);
	atomic_long_inc(&req->vd->ops_done);

	if (req->crypto) {
		/* the virtqueue's reference passes to vd->crypto_done */
		vaccel_crypto_finish(req);
		return;
	}
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

/*
 * Called with q->lock held, after used buffers were taken: crypto requests
 * waiting for room go on the ring, oldest first. Each keeps the virtqueue's
 * reference it took when it was put on the backlog.
 */
static void vaccel_backlog_run(struct vaccel_vq *q)
{
	struct vaccel_req *req, *tmp;
	bool added = false;

	list_for_each_entry_safe(req, tmp, &q->backlog, qnode) {
		if (virtqueue_add_sgs(q->vq, req->sgp, req->nr_out, req->nr_in,
				      req, GFP_ATOMIC))
			break;
		list_move_tail(&req->qnode, &q->inflight);
		atomic_inc(&req->vd->inflight);
		vaccel_crypto_started(req);
		added = true;
	}
	if (added && virtqueue_kick_prepare(q->vq))
		virtqueue_notify(q->vq);
}

void vaccel_vq_done(struct virtqueue *vq)
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
	if (!list_empty(&q->backlog))
		vaccel_backlog_run(q);
	q->gen++;
	if (wq_has_sleeper(&q->wq))
		wake_up_all(&q->wq);
unlock:
	spin_unlock_irqrestore(&q->lock, flags);
}

/* Build the two scatterlists (readable, writable) of @req. */
int vaccel_req_map(struct vaccel_req *req, bool raw)
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
int vaccel_req_queue(struct vaccel_req *req, bool kick)
{
	struct vaccel_vq *q = req->q;
	unsigned long flags, gen;
	int err;

	for (;;) {
		spin_lock_irqsave(&q->lock, flags);
		if (q->dead && READ_ONCE(req->vd->resetting)) {
			/* [DRV-NEEDS-RESET]: back when the device is */
			spin_unlock_irqrestore(&q->lock, flags);
			if (wait_event_killable(q->wq,
						!READ_ONCE(req->vd->resetting)))
				return -EINTR;
			continue;
		}
		if (q->dead) {
			err = -ENODEV;
			goto unlock;
		}
		/* a session of the device before its last reset is gone */
		if (req->sess_epoch && req->sess_epoch != req->vd->epoch) {
			err = -ESTALE;
			goto unlock;
		}
		req->epoch = req->vd->epoch;
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

/*
 * Hand a kernel request to its virtqueue without sleeping: 0 when it is on
 * the ring (the device notified), -EBUSY when the ring is full and it waits
 * on the queue's backlog (@backlog: the caller may wait), -ENOSPC when the
 * ring is full and it may not, -ENODEV when the device is gone. Either of
 * the first two takes the virtqueue's reference.
 */
int vaccel_req_queue_nowait(struct vaccel_req *req, bool backlog)
{
	struct vaccel_vq *q = req->q;
	unsigned long flags;
	int err;

	spin_lock_irqsave(&q->lock, flags);
	if (q->dead) {
		err = -ENODEV;
		goto unlock;
	}
	/* behind a backlog: keep the order */
	err = list_empty(&q->backlog) ?
	      virtqueue_add_sgs(q->vq, req->sgp, req->nr_out, req->nr_in, req,
				GFP_ATOMIC) : -ENOSPC;
	if (!err) {
		refcount_inc(&req->ref);
		list_add_tail(&req->qnode, &q->inflight);
		atomic_inc(&req->vd->inflight);
		if (virtqueue_kick_prepare(q->vq))
			virtqueue_notify(q->vq);
	} else if (err == -ENOSPC && backlog) {
		refcount_inc(&req->ref);
		list_add_tail(&req->qnode, &q->backlog);
		err = -EBUSY;
	} else if (err != -ENOSPC) {
		err = -ENOMEM;
	}
unlock:
	spin_unlock_irqrestore(&q->lock, flags);
	return err;
}

void vaccel_vq_kick(struct vaccel_vq *q)
{
	unsigned long flags;

	spin_lock_irqsave(&q->lock, flags);
	if (!q->dead && virtqueue_kick_prepare(q->vq))
		virtqueue_notify(q->vq);
	spin_unlock_irqrestore(&q->lock, flags);
}

