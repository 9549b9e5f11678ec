// SPDX-License-Identifier: GPL-2.0-only
/*
 * vdpa_accel: request processing in process context, and the per-device
 * session table.
 *
 * Each queue has a work item on an unbound workqueue; a kick only queues
 * it. A run first completes what the crypto API finished
 * (vdpa_accel_async.c), then takes at most VDPA_ACCEL_BUDGET requests and
 * requeues itself; a data queue's request may stay in the crypto API
 * (virtio_accel_dev_op_submit()) while the run goes on.
 * What a request does (spec sections 7 and 8) is the shared device core's,
 * virtio-accel-spec/lib/virtio_accel_dev.c, written once for the DPDK
 * back-end too; this file is its adapter: guest memory through the IOTLB,
 * the session table, the engines.
 */
#include <linux/slab.h>
#include <linux/string.h>

#include "vdpa_accel.h"

#define SLOT_MASK	((1ULL << VDPA_ACCEL_SLOT_BITS) - 1)

/*
 * [STREAM-GCM-MAX] for tests, which cannot push 64 GiB through a guest:
 * 0 is the spec's 2^36 - 32 bytes.
 */
static unsigned long test_gcm_stream_max;
module_param(test_gcm_stream_max, ulong, 0644);
MODULE_PARM_DESC(test_gcm_stream_max,
		 "Testing: end AES-GCM streams at this many bytes (default 0: 2^36 - 32)");

/* ---- sessions ---- */

int vdpa_accel_sessions_init(struct vdpa_accel *va, u32 max)
{
	u32 i;

	va->sess_tbl = kvcalloc(max, sizeof(*va->sess_tbl), GFP_KERNEL);
	va->sess_free = kvcalloc(max, sizeof(*va->sess_free), GFP_KERNEL);
	if (!va->sess_tbl || !va->sess_free) {
		kvfree(va->sess_tbl);
		kvfree(va->sess_free);
		va->sess_tbl = NULL;
		va->sess_free = NULL;
		return -ENOMEM;
	}
	for (i = 0; i < max; i++)
		va->sess_free[i] = max - 1 - i;
	va->sess_nfree = max;
	va->max_sessions = max;
	return 0;
}

static void vdpa_accel_session_release(struct kref *ref)
{
	struct vdpa_accel_session *s =
		container_of(ref, struct vdpa_accel_session, ref);

	vdpa_accel_stream_free(s->va, s);
	mutex_destroy(&s->lock);
	/* [SESS-KEY]: the key is overwritten before the memory is freed */
	kfree_sensitive(s);
}

static void vdpa_accel_session_put(struct vdpa_accel_session *s)
{
	kref_put(&s->ref, vdpa_accel_session_release);
}

static struct vdpa_accel_session *vdpa_accel_session_get(struct vdpa_accel *va,
							 u64 id)
{
	struct vdpa_accel_session *s = NULL;
	u64 slot = id & SLOT_MASK;

	spin_lock(&va->sess_lock);
	if (id && slot < va->max_sessions) {
		s = va->sess_tbl[slot];
		if (s && s->id == id)
			kref_get(&s->ref);
		else
			s = NULL;
	}
	spin_unlock(&va->sess_lock);
	return s;
}

/* Unlink a session; the caller drops the table's reference. */
static struct vdpa_accel_session *
vdpa_accel_session_unlink(struct vdpa_accel *va, u64 id)
{
	struct vdpa_accel_session *s = NULL;
	u64 slot = id & SLOT_MASK;

	spin_lock(&va->sess_lock);
	if (id && slot < va->max_sessions && va->sess_tbl[slot] &&
	    va->sess_tbl[slot]->id == id) {
		s = va->sess_tbl[slot];
		va->sess_tbl[slot] = NULL;
		va->sess_free[va->sess_nfree++] = slot;
	}
	spin_unlock(&va->sess_lock);
	return s;
}

void vdpa_accel_sessions_reset(struct vdpa_accel *va)
{
	u32 i, n = 0;

	if (!va->sess_tbl)
		return;
	for (i = 0; i < va->max_sessions; i++) {
		struct vdpa_accel_session *s;

		spin_lock(&va->sess_lock);
		s = va->sess_tbl[i];
		if (s) {
			va->sess_tbl[i] = NULL;
			va->sess_free[va->sess_nfree++] = i;
		}
		spin_unlock(&va->sess_lock);
		if (s) {
			vdpa_accel_session_put(s);
			n++;
		}
	}
	if (n)
		dev_dbg(&va->vdpa.dev, "reset: %u sessions destroyed\n", n);
}

void vdpa_accel_sessions_fini(struct vdpa_accel *va)
{
	vdpa_accel_sessions_reset(va);
	kvfree(va->sess_tbl);
	kvfree(va->sess_free);
	va->sess_tbl = NULL;
	va->sess_free = NULL;
}

u32 vdpa_accel_sessions_live(struct vdpa_accel *va)
{
	u32 n;

	spin_lock(&va->sess_lock);
	n = va->sess_tbl ? va->max_sessions - va->sess_nfree : 0;
	spin_unlock(&va->sess_lock);
	return n;
}

/* [CTRL-CREATE] that passed the device core's checks */
static u8 vdpa_accel_session_create(struct vdpa_accel *va,
				    const struct virtio_accel_ctrl *cc,
				    const u8 *key, u64 *id)
{
	struct vdpa_accel_session *s;
	u32 slot;
	int ret;

	if (!READ_ONCE(va->sess_nfree))
		return VIRTIO_ACCEL_NOSPC;
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return VIRTIO_ACCEL_ERR;
	kref_init(&s->ref);
	mutex_init(&s->lock);
	s->va = va;
	s->c.op = cc->op;
	s->c.algo = cc->algo;
	s->c.flags = cc->flags;
	s->c.key_len = cc->key_len;
	memcpy(s->c.key, key, cc->key_len);
	if (s->c.flags & VIRTIO_ACCEL_SESS_F_STREAM) {
		ret = vdpa_accel_stream_alloc(va, s);
		if (ret) {
			vdpa_accel_session_put(s);
			return ret == -ENOSPC ? VIRTIO_ACCEL_NOSPC :
						VIRTIO_ACCEL_ERR;
		}
	}
	spin_lock(&va->sess_lock);
	if (!va->sess_nfree) {
		spin_unlock(&va->sess_lock);
		vdpa_accel_session_put(s);
		return VIRTIO_ACCEL_NOSPC;
	}
	slot = va->sess_free[--va->sess_nfree];
	/* never the same id twice: a generation above the slot bits */
	s->id = (++va->sess_gen << VDPA_ACCEL_SLOT_BITS) | slot;
	va->sess_tbl[slot] = s;
	*id = s->id;
	spin_unlock(&va->sess_lock);
	return VIRTIO_ACCEL_OK;
}

/* ---- the device core's callbacks ---- */

/* What the core passes back to the callbacks */
struct vdpa_accel_ctx {
	struct vdpa_accel *va;
	struct vdpa_accel_vq *vq;
	/* a completion that must not reach the ring (broken, reset) */
	bool discard;
};

static const u8 vdpa_accel_empty[16];

static int vdpa_accel_dev_read(void *x, const void *c, u64 off, void *buf,
			       u64 len)
{
	struct vdpa_accel_ctx *ctx = x;

	if (ctx->discard)
		return -ESHUTDOWN;
	return vdpa_accel_chain_read(ctx->va, c, off, buf, len);
}

static int vdpa_accel_dev_write(void *x, const void *c, u64 off,
				const void *buf, u64 len)
{
	struct vdpa_accel_ctx *ctx = x;

	if (ctx->discard)
		return -ESHUTDOWN;
	return vdpa_accel_chain_write(ctx->va, c, off, buf, len);
}

static struct virtio_accel_dev_sess *vdpa_accel_dev_sess_get(void *x, u64 id)
{
	struct vdpa_accel_ctx *ctx = x;
	struct vdpa_accel_session *s = vdpa_accel_session_get(ctx->va, id);

	if (!s)
		return NULL;
	/* one request of a stream at a time, on any queue */
	if (s->c.flags & VIRTIO_ACCEL_SESS_F_STREAM)
		mutex_lock(&s->lock);
	return &s->c;
}

static void vdpa_accel_dev_sess_put(void *x, struct virtio_accel_dev_sess *c)
{
	struct vdpa_accel_session *s =
		container_of(c, struct vdpa_accel_session, c);

	if (s->c.flags & VIRTIO_ACCEL_SESS_F_STREAM)
		mutex_unlock(&s->lock);
	vdpa_accel_session_put(s);
}

static u8 vdpa_accel_dev_sess_create(void *x, const struct virtio_accel_ctrl *cc,
				     const u8 *key, u64 *id)
{
	struct vdpa_accel_ctx *ctx = x;

	return vdpa_accel_session_create(ctx->va, cc, key, id);
}

static u8 vdpa_accel_dev_sess_destroy(void *x, u64 id)
{
	struct vdpa_accel_ctx *ctx = x;
	struct vdpa_accel_session *s = vdpa_accel_session_unlink(ctx->va, id);

	if (!s)
		return VIRTIO_ACCEL_INVSESS;
	/* requests holding a reference still complete normally */
	vdpa_accel_session_put(s);
	return VIRTIO_ACCEL_OK;
}

/* AAD and src out of the chain: adjacent there and in the in buffer. */
static int vdpa_accel_req_init(struct vdpa_accel_ctx *ctx,
			       const struct vdpa_accel_chain *c,
			       struct vdpa_accel_req *r,
			       struct virtio_accel_dev_req *cr)
{
	struct vdpa_accel_qctx *qc = &ctx->vq->qc;

	memset(r, 0, sizeof(*r));
	r->op = cr->op;
	r->sess = cr->sess ? container_of(cr->sess, struct vdpa_accel_session,
					  c) : NULL;
	r->qc = qc;
	r->key = cr->key ? cr->key : vdpa_accel_empty;
	r->key_len = cr->key_len;
	r->iv = cr->op.iv_len ? cr->iv : vdpa_accel_empty;
	r->aad = qc->in;
	r->src = qc->in + cr->op.aad_len;
	r->dst = qc->out;
	return vdpa_accel_chain_read(ctx->va, c, cr->op.aad_off, qc->in,
				     (u64)cr->op.aad_len + cr->op.src_len);
}

static int vdpa_accel_req_done(struct vdpa_accel_req *r,
			       struct virtio_accel_dev_req *cr, u8 st)
{
	cr->dst = r->dst;
	cr->src_used = r->src_used;
	cr->dst_used = r->dst_used;
	cr->rflags = r->rflags;
	return st;
}

static int vdpa_accel_dev_exec(void *x, const void *c,
			       struct virtio_accel_dev_req *cr)
{
	struct vdpa_accel_ctx *ctx = x;
	struct vdpa_accel_req r;
	int ret;

	ret = vdpa_accel_req_init(ctx, c, &r, cr);
	if (ret)
		return ret;
	return vdpa_accel_req_done(&r, cr, vdpa_accel_engine_run(ctx->va, &r));
}

/*
 * A one-shot request that may go asynchronous: AES-GCM into the crypto API
 * with a callback (vdpa_accel_async.c), the rest as exec().
 */
static int vdpa_accel_dev_submit(void *x, const void *c,
				 struct virtio_accel_dev_req *cr)
{
	struct vdpa_accel_ctx *ctx = x;
	int ret;

	ret = vdpa_accel_async_submit(ctx->va, ctx->vq, c, cr);
	if (ret != -EOPNOTSUPP)
		return ret;
	return vdpa_accel_dev_exec(x, c, cr);
}

static int vdpa_accel_dev_stream_exec(void *x, const void *c,
				      struct virtio_accel_dev_req *cr)
{
	struct vdpa_accel_ctx *ctx = x;
	struct vdpa_accel_req r;
	int ret;

	ret = vdpa_accel_req_init(ctx, c, &r, cr);
	if (ret)
		return ret;
	return vdpa_accel_req_done(&r, cr,
				   vdpa_accel_stream_run(ctx->va, &r,
							 cr->start,
							 cr->final));
}

/* A stream that starts again re-initialises its state: nothing to drop */
static void vdpa_accel_dev_stream_abort(void *x,
					struct virtio_accel_dev_sess *c)
{
}

static const char *vdpa_accel_dev_engine_name(void *x, u32 op, u32 algo)
{
	struct vdpa_accel_ctx *ctx = x;

	return ctx->va->engine[op][algo];
}

static void vdpa_accel_dev_error(void *x, u32 opcode, u32 algo,
				 u64 request_id, u8 st, int ctrl)
{
	struct vdpa_accel_ctx *ctx = x;
	struct vdpa_accel *va = ctx->va;

	atomic64_inc(&va->errors);
	if (ctrl)
		dev_dbg(&va->vdpa.dev, "control opcode %u: %s\n", opcode,
			virtio_accel_status_name(st));
	else
		dev_dbg(&va->vdpa.dev, "queue %u: %s/%u request 0x%llx: %s\n",
			ctx->vq->idx, virtio_accel_op_name(opcode), algo,
			request_id, virtio_accel_status_name(st));
}

static const struct virtio_accel_dev_ops vdpa_accel_dev_ops = {
	.read = vdpa_accel_dev_read,
	.write = vdpa_accel_dev_write,
	.sess_get = vdpa_accel_dev_sess_get,
	.sess_put = vdpa_accel_dev_sess_put,
	.sess_create = vdpa_accel_dev_sess_create,
	.sess_destroy = vdpa_accel_dev_sess_destroy,
	.exec = vdpa_accel_dev_exec,
	.submit = vdpa_accel_dev_submit,
	.stream_exec = vdpa_accel_dev_stream_exec,
	.stream_abort = vdpa_accel_dev_stream_abort,
	.engine_name = vdpa_accel_dev_engine_name,
	.error = vdpa_accel_dev_error,
};

static void vdpa_accel_dev_init(struct vdpa_accel *va,
				struct virtio_accel_dev *d)
{
	memset(d, 0, sizeof(*d));
	d->ops = &vdpa_accel_dev_ops;
	d->lim = &va->lim;
	d->stream_ok = va->stream_ok;
	d->max_segments = VDPA_ACCEL_MAX_SEGMENTS;
	d->gcm_stream_max = min_t(u64, READ_ONCE(test_gcm_stream_max),
				  VIRTIO_ACCEL_GCM_STREAM_MAX);
}

/*
 * One request of queue @vq: the used length, a negative errno, or
 * VIRTIO_ACCEL_DEV_PENDING (a data queue's request in the crypto API,
 * completed by vdpa_accel_finish() from vdpa_accel_async_reap()).
 */
static long vdpa_accel_process(struct vdpa_accel *va, struct vdpa_accel_vq *vq,
			       struct vdpa_accel_chain *c)
{
	struct vdpa_accel_ctx ctx = { .va = va, .vq = vq };
	struct virtio_accel_dev_chain cl = {
		.rd_len = c->rd_len, .wr_len = c->wr_len, .n_desc = c->n_desc,
	};
	struct vdpa_accel_slot *sl;
	struct virtio_accel_dev d;

	vdpa_accel_dev_init(va, &d);
	if (vq->idx == VIRTIO_ACCEL_CTRLQ)
		return virtio_accel_dev_ctrl(&d, &ctx, c, &cl);
	if (!vq->slots)
		return virtio_accel_dev_op(&d, &ctx, c, &cl);
	sl = container_of(c, struct vdpa_accel_slot, chain);
	return virtio_accel_dev_op_submit(&d, &ctx, c, &cl, &sl->cr);
}

/*
 * The end of a request the crypto API completed: @st is its status. With
 * @discard nothing reaches guest memory (the ring broke or the queue was
 * reset): the inline key is wiped and the session put all the same.
 */
long vdpa_accel_finish(struct vdpa_accel *va, struct vdpa_accel_vq *vq,
		       struct vdpa_accel_chain *c,
		       struct virtio_accel_dev_req *cr, int st, bool discard)
{
	struct vdpa_accel_ctx ctx = { .va = va, .vq = vq, .discard = discard };
	struct virtio_accel_dev d;

	vdpa_accel_dev_init(va, &d);
	return virtio_accel_dev_op_finish(&d, &ctx, c, cr, st);
}

/* ---- the worker ---- */

void vdpa_accel_work(struct work_struct *work)
{
	struct vdpa_accel_vq *vq = container_of(work, struct vdpa_accel_vq,
						work);
	struct vdpa_accel *va = vq->va;
	struct vdpa_accel_chain *c;
	unsigned int n, done;
	bool requeue = false;
	long len;
	int ret;

	mutex_lock(&vq->lock);
	/* what the crypto API completed first, in the order it completed */
	done = vdpa_accel_async_reap(va, vq);
	n = done;
	if (!READ_ONCE(va->running) || !vq->ready || vq->broken)
		goto out;
	for (;;) {
		if (n >= VDPA_ACCEL_BUDGET) {
			requeue = true;
			break;
		}
		/* every slot in the crypto API: its completion requeues us */
		c = vq->slots ? vdpa_accel_async_get(vq) : vq->chain;
		if (!c)
			break;
		ret = vdpa_accel_vq_get(vq, c);
		if (ret <= 0)
			vdpa_accel_async_put(vq, c);
		if (!ret) {
			if (vdpa_accel_vq_more(vq))
				continue;
			break;
		}
		if (ret < 0) {
			vdpa_accel_vq_break(vq, ret);
			break;
		}
		len = vdpa_accel_process(va, vq, c);
		if (len == VIRTIO_ACCEL_DEV_PENDING) {
			n++;
			if (!READ_ONCE(va->running))
				break;
			continue;
		}
		vdpa_accel_async_put(vq, c);
		if (len < 0) {
			/* memory vanished under a validated chain */
			vdpa_accel_vq_break(vq, len);
			break;
		}
		ret = vdpa_accel_vq_put(vq, c->head, len);
		if (ret) {
			vdpa_accel_vq_break(vq, ret);
			break;
		}
		atomic64_inc(&va->requests);
		n++;
		done++;
		if (!READ_ONCE(va->running))
			break;
	}
	if (done)
		vdpa_accel_vq_notify(vq);
out:
	mutex_unlock(&vq->lock);
	if (requeue)
		queue_work(vdpa_accel_wq, &vq->work);
}
