// SPDX-License-Identifier: GPL-2.0-only
/*
 * vdpa_accel: requests in flight in the crypto API.
 *
 * A data queue has "inflight" slots (module parameter, default 32). The
 * worker walks each chain into a free slot and hands it to the device core
 * (virtio_accel_dev_op_submit()); a one-shot AES-256-GCM request of up to
 * VDPA_ACCEL_ASYNC_MAX bytes of AAD and data goes into the crypto API with
 * a callback and the slot's own transform (the key schedule is per
 * transform), request and buffer, and the worker goes on with the next
 * chain. The callback, in whatever context the implementation completes
 * in, only moves the slot to the queue's done list and queues the worker,
 * which writes the result (virtio_accel_dev_op_finish()) and the used
 * element in the order the crypto API completed them: out of order when
 * the implementation completes out of order. Everything else completes at
 * once as before: hashes and HMAC (shash is synchronous), NULL, DEFLATE
 * (zlib, and acomp waited for: vdpa_accel_acomp.c), larger AES-GCM
 * requests (the queue's scratch buffers, crypto_wait_req()) and every
 * stream request, so the requests of a stream stay in order (the core runs
 * them through stream_exec(), under the session's lock).
 *
 * A session stays held while its request is in the crypto API; guest
 * memory is read when the request starts and written when it completes,
 * through the IOTLB both times. Stopping the device (reset, suspend,
 * DRIVER_OK cleared, lose_sessions, vdpa dev del, rmmod) waits for every
 * request in the crypto API (vdpa_accel_async_quiesce()) before it goes on:
 * completions of a queue that is still set up reach the used ring (as a
 * synchronous request that was running would have), those of a broken or
 * reset queue are discarded, their inline keys wiped and sessions put.
 * Nothing completes into freed memory, and suspend leaves nothing in
 * flight, so the avail index stays the whole queue state.
 *
 * /sys/bus/vdpa/devices/NAME/max_inflight: the most requests one queue had
 * in the crypto API at once; reordered: completions that came after those
 * of requests submitted later on the same queue (written to the used ring
 * in that order). Software implementations complete at once (0
 * then); aead_alg=cryptd(gcm_base(ctr(aes-generic),ghash-generic)) puts the
 * kernel's cryptd daemon between the queue and the generic GCM, an
 * asynchronous implementation as a hardware driver is (cryptd is named by
 * the driver name of what it wraps: "cryptd(gcm(aes))" is -EEXIST).
 */
#include <crypto/aead.h>
#include <linux/device.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "vdpa_accel.h"

/* AAD and data of one asynchronous AES-GCM request at most: larger go at once */
#define VDPA_ACCEL_ASYNC_MAX	(64 * 1024)
#define GCM_TAG			16

static unsigned int inflight = 32;
module_param(inflight, uint, 0444);
MODULE_PARM_DESC(inflight,
		 "Requests in the crypto API at once per data queue, 1-256 (default 32)");

static char *aead_alg = "gcm(aes)";
module_param(aead_alg, charp, 0444);
MODULE_PARM_DESC(aead_alg,
		 "Crypto API name for AES-256-GCM (default gcm(aes); e.g. cryptd(gcm_base(ctr(aes-generic),ghash-generic)) for an asynchronous one)");

static const u8 vdpa_accel_async_no_key[VIRTIO_ACCEL_GCM_KEY_LEN];

const char *vdpa_accel_aead_alg(void)
{
	return aead_alg;
}

bool vdpa_accel_inflight_ok(void)
{
	return inflight >= 1 && inflight <= VDPA_ACCEL_QUEUE_MAX;
}

void vdpa_accel_async_vq_init(struct vdpa_accel_vq *vq)
{
	INIT_LIST_HEAD(&vq->free_slots);
	INIT_LIST_HEAD(&vq->done);
	spin_lock_init(&vq->done_lock);
	init_waitqueue_head(&vq->idle_wq);
}

static void vdpa_accel_slot_fini(struct vdpa_accel_slot *sl)
{
	aead_request_free(sl->req);
	crypto_free_aead(sl->tfm);
	kvfree(sl->buf);
	kvfree(sl->sg);
}

static int vdpa_accel_slot_init(struct vdpa_accel *va,
				struct vdpa_accel_slot *sl, bool aead)
{
	int ret;

	if (!aead)
		return 0;
	sl->tfm = vdpa_accel_alloc_aead(aead_alg);
	if (IS_ERR(sl->tfm)) {
		ret = PTR_ERR(sl->tfm);
		sl->tfm = NULL;
		return ret;
	}
	ret = crypto_aead_setauthsize(sl->tfm, GCM_TAG);
	if (ret)
		return ret;
	sl->req = aead_request_alloc(sl->tfm, GFP_KERNEL);
	sl->buf_size = VDPA_ACCEL_ASYNC_MAX + GCM_TAG;
	sl->buf = kvmalloc(sl->buf_size, GFP_KERNEL);
	sl->sg_n = DIV_ROUND_UP(sl->buf_size, PAGE_SIZE) + 2;
	sl->sg = kvmalloc_array(sl->sg_n, sizeof(*sl->sg), GFP_KERNEL);
	if (!sl->req || !sl->buf || !sl->sg)
		return -ENOMEM;
	return 0;
}

/* A data queue's slots, at device creation. */
int vdpa_accel_async_alloc(struct vdpa_accel *va, struct vdpa_accel_vq *vq)
{
	bool aead = va->implemented &
		    VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
					  VIRTIO_ACCEL_ALG_AES256_GCM);
	unsigned int i;
	int ret;

	vq->slots = kvcalloc(inflight, sizeof(*vq->slots), GFP_KERNEL);
	if (!vq->slots)
		return -ENOMEM;
	vq->nslots = inflight;
	for (i = 0; i < vq->nslots; i++) {
		struct vdpa_accel_slot *sl = &vq->slots[i];

		sl->vq = vq;
		ret = vdpa_accel_slot_init(va, sl, aead);
		if (ret)
			goto free_slots;
		list_add_tail(&sl->node, &vq->free_slots);
	}
	return 0;

free_slots:
	vdpa_accel_async_free(vq);
	return ret;
}

/* After vdpa_accel_async_quiesce(): nothing is in the crypto API. */
void vdpa_accel_async_free(struct vdpa_accel_vq *vq)
{
	unsigned int i;

	if (!vq->slots)
		return;
	for (i = 0; i < vq->nslots; i++)
		vdpa_accel_slot_fini(&vq->slots[i]);
	kvfree(vq->slots);
	vq->slots = NULL;
	vq->nslots = 0;
	INIT_LIST_HEAD(&vq->free_slots);
}

/* A free slot's chain for the next request (vq->lock); NULL: none free. */
struct vdpa_accel_chain *vdpa_accel_async_get(struct vdpa_accel_vq *vq)
{
	struct vdpa_accel_slot *sl;

	sl = list_first_entry_or_null(&vq->free_slots, struct vdpa_accel_slot,
				      node);
	if (!sl)
		return NULL;
	list_del(&sl->node);
	return &sl->chain;
}

/* The request of @c is complete (vq->lock): its slot is free again. */
void vdpa_accel_async_put(struct vdpa_accel_vq *vq, struct vdpa_accel_chain *c)
{
	struct vdpa_accel_slot *sl;

	if (!vq->slots)
		return;
	sl = container_of(c, struct vdpa_accel_slot, chain);
	list_add(&sl->node, &vq->free_slots);
}

/*
 * The crypto API's callback, in any context: hand the slot to the worker.
 * Everything happens under done_lock, the wake-up included, so a waiter in
 * vdpa_accel_async_quiesce() that sees the queue idle knows no callback
 * touches the queue any more.
 */
static void vdpa_accel_async_done(void *data, int err)
{
	struct vdpa_accel_slot *sl = data;
	struct vdpa_accel_vq *vq = sl->vq;
	unsigned long flags;

	/* a backlogged request went into the queue: the end comes later */
	if (err == -EINPROGRESS)
		return;
	sl->err = err;
	spin_lock_irqsave(&vq->done_lock, flags);
	/* overtaken by a request submitted after it: out of order */
	if (sl->seq < vq->done_seq)
		vq->reordered++;
	else
		vq->done_seq = sl->seq;
	list_add_tail(&sl->node, &vq->done);
	queue_work(vdpa_accel_wq, &vq->work);
	if (!--vq->inflight)
		wake_up(&vq->idle_wq);
	spin_unlock_irqrestore(&vq->done_lock, flags);
}

/* The status of a finished AES-GCM request; the key schedule is dropped. */
static int vdpa_accel_async_result(struct vdpa_accel_slot *sl, int err)
{
	struct virtio_accel_dev_req *cr = &sl->cr;
	bool dec = cr->op.opcode == VIRTIO_ACCEL_OP_AEAD_DECRYPT;
	u32 len = cr->op.src_len;

	/* [SESS-KEY]: the transform keeps no key after its request */
	crypto_aead_setkey(sl->tfm, vdpa_accel_async_no_key,
			   sizeof(vdpa_accel_async_no_key));
	if (err)
		return err == -EBADMSG ? VIRTIO_ACCEL_AUTH_FAILED :
					 VIRTIO_ACCEL_ERR;
	cr->dst = sl->buf + cr->op.aad_len;
	cr->dst_used = dec ? len - GCM_TAG : len + GCM_TAG;
	cr->src_used = len;
	cr->rflags = 0;
	return VIRTIO_ACCEL_OK;
}

/*
 * ops->submit for a one-shot request: AES-GCM up to VDPA_ACCEL_ASYNC_MAX
 * into the crypto API. Returns VIRTIO_ACCEL_DEV_PENDING (the callback
 * finishes it), a status or errno (done at once), or -EOPNOTSUPP: not for
 * this path, run it as exec().
 */
int vdpa_accel_async_submit(struct vdpa_accel *va, struct vdpa_accel_vq *vq,
			    const struct vdpa_accel_chain *c,
			    struct virtio_accel_dev_req *cr)
{
	struct vdpa_accel_slot *sl = container_of(cr, struct vdpa_accel_slot,
						  cr);
	u32 aad = cr->op.aad_len, len = cr->op.src_len;
	bool dec = cr->op.opcode == VIRTIO_ACCEL_OP_AEAD_DECRYPT;
	struct scatterlist *sg;
	int ret;

	if ((cr->op.opcode != VIRTIO_ACCEL_OP_AEAD_ENCRYPT && !dec) ||
	    !sl->tfm || (u64)aad + len > VDPA_ACCEL_ASYNC_MAX)
		return -EOPNOTSUPP;
	ret = vdpa_accel_chain_read(va, c, cr->op.aad_off, sl->buf,
				    (u64)aad + len);
	if (ret)
		return ret;
	if (crypto_aead_setkey(sl->tfm, cr->key, cr->key_len))
		return vdpa_accel_async_result(sl, -EINVAL);
	/* in place: aad || src, room for the tag after */
	sg = vdpa_accel_sg_fill(sl->sg, sl->sg_n, sl->buf,
				aad + len + (dec ? 0 : GCM_TAG));
	memcpy(sl->iv, cr->iv, VIRTIO_ACCEL_GCM_IV_LEN);
	aead_request_set_callback(sl->req, CRYPTO_TFM_REQ_MAY_BACKLOG |
				  CRYPTO_TFM_REQ_MAY_SLEEP,
				  vdpa_accel_async_done, sl);
	aead_request_set_crypt(sl->req, sg, sg, len, sl->iv);
	aead_request_set_ad(sl->req, aad);

	/* counted before: the callback may come before the call returns */
	spin_lock_irq(&vq->done_lock);
	vq->inflight++;
	sl->seq = ++vq->seq;
	spin_unlock_irq(&vq->done_lock);
	ret = dec ? crypto_aead_decrypt(sl->req) : crypto_aead_encrypt(sl->req);
	if (ret == -EINPROGRESS || ret == -EBUSY) {
		spin_lock_irq(&vq->done_lock);
		/* a moment's count: the callback may have run already */
		if (vq->inflight > vq->max_inflight)
			vq->max_inflight = vq->inflight;
		spin_unlock_irq(&vq->done_lock);
		return VIRTIO_ACCEL_DEV_PENDING;
	}
	/* done at once: no callback comes */
	spin_lock_irq(&vq->done_lock);
	if (!--vq->inflight)
		wake_up(&vq->idle_wq);
	spin_unlock_irq(&vq->done_lock);
	return vdpa_accel_async_result(sl, ret);
}

/*
 * Complete what the crypto API finished (vq->lock held): the response and
 * the used element, in completion order; discarded on a broken or reset
 * queue. Returns how many reached the used ring.
 */
unsigned int vdpa_accel_async_reap(struct vdpa_accel *va,
				   struct vdpa_accel_vq *vq)
{
	struct vdpa_accel_slot *sl, *tmp;
	unsigned int n = 0;
	LIST_HEAD(done);
	long len;
	int st;

	spin_lock_irq(&vq->done_lock);
	list_splice_init(&vq->done, &done);
	spin_unlock_irq(&vq->done_lock);
	list_for_each_entry_safe(sl, tmp, &done, node) {
		bool discard = vq->broken || !vq->ready;

		list_del(&sl->node);
		st = vdpa_accel_async_result(sl, sl->err);
		len = vdpa_accel_finish(va, vq, &sl->chain, &sl->cr, st,
					discard);
		vdpa_accel_async_put(vq, &sl->chain);
		if (discard)
			continue;
		if (len >= 0)
			len = vdpa_accel_vq_put(vq, sl->chain.head, len);
		if (len < 0) {
			/* memory vanished under a validated chain */
			vdpa_accel_vq_break(vq, len);
			continue;
		}
		atomic64_inc(&va->requests);
		n++;
	}
	return n;
}

static bool vdpa_accel_async_idle(struct vdpa_accel_vq *vq)
{
	bool idle;

	spin_lock_irq(&vq->done_lock);
	idle = !vq->inflight;
	spin_unlock_irq(&vq->done_lock);
	return idle;
}

/*
 * Stopping: the worker is stopped (va->running false, work cancelled);
 * wait for every request of @vq in the crypto API and complete them.
 */
void vdpa_accel_async_quiesce(struct vdpa_accel *va, struct vdpa_accel_vq *vq)
{
	if (!vq->slots)
		return;
	wait_event(vq->idle_wq, vdpa_accel_async_idle(vq));
	/* the callbacks queued the worker: it reaps at most, never takes */
	cancel_work_sync(&vq->work);
	mutex_lock(&vq->lock);
	if (vdpa_accel_async_reap(va, vq))
		vdpa_accel_vq_notify(vq);
	mutex_unlock(&vq->lock);
}

static ssize_t max_inflight_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	struct vdpa_accel *va = vdpa_to_accel(dev_to_vdpa(dev));
	unsigned int i, max = 0;

	for (i = 0; i < va->nvqs; i++) {
		struct vdpa_accel_vq *vq = &va->vqs[i];

		spin_lock_irq(&vq->done_lock);
		max = max(max, vq->max_inflight);
		spin_unlock_irq(&vq->done_lock);
	}
	return sysfs_emit(buf, "%u\n", max);
}
DEVICE_ATTR_RO(max_inflight);

/* completions the crypto API made out of submission order, all queues */
static ssize_t reordered_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	struct vdpa_accel *va = vdpa_to_accel(dev_to_vdpa(dev));
	unsigned int i;
	u64 n = 0;

	for (i = 0; i < va->nvqs; i++) {
		struct vdpa_accel_vq *vq = &va->vqs[i];

		spin_lock_irq(&vq->done_lock);
		n += vq->reordered;
		spin_unlock_irq(&vq->done_lock);
	}
	return sysfs_emit(buf, "%llu\n", n);
}
DEVICE_ATTR_RO(reordered);
