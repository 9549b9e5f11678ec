// SPDX-License-Identifier: GPL-2.0-only
/*
 * vdpa_accel: request processing (spec sections 7 and 8) in process
 * context, and the per-device session table.
 *
 * Each queue has a work item on an unbound workqueue; a kick only queues
 * it. A run serves at most VDPA_ACCEL_BUDGET requests and requeues itself.
 * Headers are copied once and validated by the shared
 * virtio-accel-spec/lib/virtio_accel_req.c; the whole writable part is
 * written: output, zeros to the end of dst, response ([VQ-USED-LEN],
 * [ST-NOLEAK]).
 */
#include <linux/slab.h>
#include <linux/string.h>

#include "vdpa_accel.h"

#define RESP_LEN	((u64)sizeof(struct virtio_accel_op_resp))
#define CREQ_LEN	((u64)sizeof(struct virtio_accel_ctrl_req))
#define CRESP_LEN	((u64)sizeof(struct virtio_accel_ctrl_resp))
#define SLOT_MASK	((1ULL << VDPA_ACCEL_SLOT_BITS) - 1)

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

static u8 vdpa_accel_session_create(struct vdpa_accel *va,
				    const struct vdpa_accel_chain *c,
				    const struct virtio_accel_ctrl *cc,
				    u64 *id)
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
	s->op = cc->op;
	s->algo = cc->algo;
	s->flags = cc->flags;
	s->key_len = cc->key_len;
	if (cc->key_len &&
	    vdpa_accel_chain_read(va, c, CREQ_LEN, s->key, cc->key_len)) {
		vdpa_accel_session_put(s);
		return VIRTIO_ACCEL_ERR;
	}
	if (s->flags & VIRTIO_ACCEL_SESS_F_STREAM) {
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

/* ---- control queue (section 8) ---- */

/* [CTRL-CAPS]: records in ascending (op, algo) order; returns the length. */
static u32 vdpa_accel_caps(struct vdpa_accel *va, struct virtio_accel_cap *out,
			   u32 max)
{
	const struct virtio_accel_alg_info *t;
	unsigned int n, i;
	u32 op, algo, k = 0;

	t = virtio_accel_alg_table(&n);
	for (op = 0; op < VIRTIO_ACCEL_OP_MAX; op++) {
		for (algo = 0; algo < VIRTIO_ACCEL_ALG_MAX; algo++) {
			const struct virtio_accel_alg_info *a = NULL;
			u64 bit = VIRTIO_ACCEL_IMPL_BIT(op, algo);
			struct virtio_accel_cap *cap;
			u32 fl = VIRTIO_ACCEL_CAP_F_SESSION;

			for (i = 0; i < n; i++)
				if (t[i].op == op && t[i].algo == algo)
					a = &t[i];
			if (!a || !(va->implemented & bit))
				continue;
			if (k >= max)
				return k * sizeof(*cap);
			if (!a->max_key_len || va->lim.stateless)
				fl |= VIRTIO_ACCEL_CAP_F_STATELESS;
			if (a->stream && va->lim.stream && (va->stream_ok & bit))
				fl |= VIRTIO_ACCEL_CAP_F_STREAM;
			cap = &out[k++];
			memset(cap, 0, sizeof(*cap));
			cap->op = cpu_to_le32(op);
			cap->algo = cpu_to_le32(algo);
			cap->flags = cpu_to_le32(fl);
			cap->min_key_len = cpu_to_le16(a->min_key_len);
			cap->max_key_len = cpu_to_le16(a->max_key_len);
			cap->iv_len = cpu_to_le16(a->iv_len);
			cap->out_len = cpu_to_le16(a->out_len);
			cap->max_aad_len =
				cpu_to_le32(a->aad ? va->lim.max_aad_len : 0);
			memcpy(cap->engine, va->engine[op][algo],
			       sizeof(cap->engine));
		}
	}
	return k * sizeof(struct virtio_accel_cap);
}

#define VDPA_ACCEL_MAX_CAPS	16

static s64 vdpa_accel_ctrl_process(struct vdpa_accel *va,
				   struct vdpa_accel_vq *vq,
				   struct vdpa_accel_chain *c)
{
	struct virtio_accel_cap caps[VDPA_ACCEL_MAX_CAPS];
	struct virtio_accel_ctrl_resp resp;
	struct virtio_accel_ctrl_req req;
	struct vdpa_accel_session *s;
	struct virtio_accel_ctrl cc;
	u32 written = 0, need;
	u64 room, id = 0;
	int ret;
	u8 st;

	/* [REQ-SHORT], [REQ-HUGE] with the 16-byte control response */
	if (c->wr_len < CRESP_LEN || c->wr_len > VIRTIO_ACCEL_CTRL_MAX_WR_LEN)
		return 0;
	room = c->wr_len - CRESP_LEN;
	memset(&resp, 0, sizeof(resp));
	memset(&cc, 0, sizeof(cc));
	/* [REQ-SEGS]: no data is read */
	if (c->n_desc > VDPA_ACCEL_MAX_SEGMENTS) {
		st = VIRTIO_ACCEL_BADMSG;
		goto complete;
	}
	memset(&req, 0, sizeof(req));
	ret = vdpa_accel_chain_read(va, c, 0, &req,
				    min_t(u64, c->rd_len, sizeof(req)));
	if (ret)
		return ret;
	st = virtio_accel_check_ctrl(&cc, &req, c->rd_len, c->wr_len, &va->lim);
	if (st != VIRTIO_ACCEL_OK)
		goto complete;

	switch (cc.opcode) {
	case VIRTIO_ACCEL_CTRL_GET_CAPS:
		need = vdpa_accel_caps(va, caps, ARRAY_SIZE(caps));
		resp.len = cpu_to_le32(need);
		if (cc.data_len < need) {
			st = VIRTIO_ACCEL_NOSPC;
			break;
		}
		ret = vdpa_accel_chain_write(va, c, 0, caps, need);
		if (ret)
			return ret;
		written = need;
		break;
	case VIRTIO_ACCEL_CTRL_CREATE_SESSION:
		if ((cc.flags & VIRTIO_ACCEL_SESS_F_STREAM) &&
		    !(va->stream_ok & VIRTIO_ACCEL_IMPL_BIT(cc.op, cc.algo))) {
			st = VIRTIO_ACCEL_NOTSUPP;
			break;
		}
		st = vdpa_accel_session_create(va, c, &cc, &id);
		resp.session_id = cpu_to_le64(id);
		break;
	default:
		s = vdpa_accel_session_unlink(va, cc.session_id);
		if (!s) {
			st = VIRTIO_ACCEL_INVSESS;
			break;
		}
		/* requests holding a reference still complete normally */
		vdpa_accel_session_put(s);
		break;
	}

complete:
	if (st != VIRTIO_ACCEL_OK) {
		atomic64_inc(&va->errors);
		dev_dbg(&va->vdpa.dev, "control opcode %u: %s\n", cc.opcode,
			virtio_accel_status_name(st));
	}
	ret = vdpa_accel_chain_write(va, c, written, NULL, room - written);
	if (ret)
		return ret;
	resp.status = st;
	ret = vdpa_accel_chain_write(va, c, room, &resp, sizeof(resp));
	if (ret)
		return ret;
	return c->wr_len;
}

/* ---- data queues (section 7) ---- */

static const u8 vdpa_accel_empty[16];

/* Copy key, IV, AAD and src out of the chain, then run the engine. */
static int vdpa_accel_op_exec(struct vdpa_accel *va, struct vdpa_accel_vq *vq,
			      const struct vdpa_accel_chain *c,
			      struct vdpa_accel_req *r)
{
	struct vdpa_accel_qctx *qc = &vq->qc;
	const struct virtio_accel_op *op = &r->op;
	int ret;

	if (op->key_len) {
		ret = vdpa_accel_chain_read(va, c, op->key_off, qc->key,
					    op->key_len);
		if (ret)
			return ret;
		r->key = qc->key;
		r->key_len = op->key_len;
	} else if (r->sess) {
		r->key = r->sess->key;
		r->key_len = r->sess->key_len;
	} else {
		r->key = vdpa_accel_empty;
		r->key_len = 0;
	}
	r->iv = vdpa_accel_empty;
	if (op->iv_len) {
		ret = vdpa_accel_chain_read(va, c, op->iv_off, qc->iv,
					    op->iv_len);
		if (ret)
			return ret;
		r->iv = qc->iv;
	}
	/* aad and src are adjacent in the chain and in the in buffer */
	ret = vdpa_accel_chain_read(va, c, op->aad_off, qc->in,
				    (u64)op->aad_len + op->src_len);
	if (ret)
		return ret;
	r->aad = qc->in;
	r->src = qc->in + op->aad_len;
	r->dst = qc->out;

	if (r->sess && (r->sess->flags & VIRTIO_ACCEL_SESS_F_STREAM))
		return vdpa_accel_stream_run(va, r);
	return vdpa_accel_engine_run(va, r);
}

static s64 vdpa_accel_op_process(struct vdpa_accel *va,
				 struct vdpa_accel_vq *vq,
				 struct vdpa_accel_chain *c)
{
	struct virtio_accel_sess_view view, *vp = NULL;
	struct virtio_accel_op_resp resp;
	struct virtio_accel_op_req hdr;
	struct vdpa_accel_req r;
	bool stream = false;
	int ret = 0;
	u64 room;
	u8 st;

	/* [REQ-SHORT], [REQ-HUGE]: no response, touch nothing */
	if (c->wr_len < RESP_LEN ||
	    c->wr_len > virtio_accel_max_wr_len(va->lim.max_data_len))
		return 0;
	room = c->wr_len - RESP_LEN;
	memset(&r, 0, sizeof(r));
	r.qc = &vq->qc;
	/* [REQ-SEGS]: the data is not read */
	if (c->n_desc > VDPA_ACCEL_MAX_SEGMENTS) {
		st = VIRTIO_ACCEL_BADMSG;
		goto complete;
	}
	/* the header is read once; a short one is zero-padded and fails */
	memset(&hdr, 0, sizeof(hdr));
	ret = vdpa_accel_chain_read(va, c, 0, &hdr,
				    min_t(u64, c->rd_len, sizeof(hdr)));
	if (ret)
		return ret;
	virtio_accel_decode_op_hdr(&hdr, &r.op);
	if (r.op.session_id) {
		r.sess = vdpa_accel_session_get(va, r.op.session_id);
		if (r.sess) {
			stream = !!(r.sess->flags & VIRTIO_ACCEL_SESS_F_STREAM);
			/* one request of a stream at a time, on any queue */
			if (stream)
				mutex_lock(&r.sess->lock);
			view.op = r.sess->op;
			view.algo = r.sess->algo;
			view.flags = r.sess->flags;
			view.stream_active = r.sess->stream_active;
			vp = &view;
		}
	}
	st = virtio_accel_check_op(&r.op, &hdr, c->rd_len, c->wr_len, &va->lim,
				   vp);
	if (st == VIRTIO_ACCEL_OK) {
		ret = vdpa_accel_op_exec(va, vq, c, &r);
		st = ret < 0 ? VIRTIO_ACCEL_ERR : ret;
		/* [SESS-KEY]: no inline key outlives its request */
		if (r.op.key_len)
			memzero_explicit(vq->qc.key, r.op.key_len);
	}
	/* [STREAM-ERR]: a failed request aborts the stream it names */
	if (st != VIRTIO_ACCEL_OK && stream)
		vdpa_accel_stream_abort(r.sess);
	if (r.sess) {
		if (stream)
			mutex_unlock(&r.sess->lock);
		vdpa_accel_session_put(r.sess);
	}
	if (ret < 0)
		return ret;

complete:
	if (st != VIRTIO_ACCEL_OK || r.dst_used > room) {
		if (st == VIRTIO_ACCEL_OK)
			st = VIRTIO_ACCEL_ERR;	/* engine overran: never */
		r.dst_used = 0;
		r.src_used = 0;
		r.rflags = 0;
		atomic64_inc(&va->errors);
		dev_dbg(&va->vdpa.dev, "queue %u: %s/%u request 0x%llx: %s\n",
			vq->idx, virtio_accel_op_name(r.op.opcode), r.op.algo,
			r.op.request_id, virtio_accel_status_name(st));
	}
	if (r.dst_used) {
		ret = vdpa_accel_chain_write(va, c, 0, r.dst, r.dst_used);
		if (ret)
			return ret;
	}
	/* [VQ-USED-LEN], [ST-NOLEAK]: the rest of dst reads as zero */
	ret = vdpa_accel_chain_write(va, c, r.dst_used, NULL,
				     room - r.dst_used);
	if (ret)
		return ret;
	memset(&resp, 0, sizeof(resp));
	resp.src_used = cpu_to_le32(r.src_used);
	resp.dst_used = cpu_to_le32(r.dst_used);
	resp.flags = r.rflags;
	resp.status = st;
	ret = vdpa_accel_chain_write(va, c, room, &resp, sizeof(resp));
	if (ret)
		return ret;
	return c->wr_len;
}

/* ---- the worker ---- */

void vdpa_accel_work(struct work_struct *work)
{
	struct vdpa_accel_vq *vq = container_of(work, struct vdpa_accel_vq,
						work);
	struct vdpa_accel *va = vq->va;
	bool requeue = false;
	unsigned int n = 0;
	s64 len;
	int ret;

	mutex_lock(&vq->lock);
	if (!READ_ONCE(va->running) || !vq->ready || vq->broken)
		goto out;
	for (;;) {
		if (n >= VDPA_ACCEL_BUDGET) {
			requeue = true;
			break;
		}
		ret = vdpa_accel_vq_get(vq, vq->chain);
		if (!ret) {
			if (vdpa_accel_vq_more(vq))
				continue;
			break;
		}
		if (ret < 0) {
			vdpa_accel_vq_break(vq, ret);
			break;
		}
		if (vq->idx == VIRTIO_ACCEL_CTRLQ)
			len = vdpa_accel_ctrl_process(va, vq, vq->chain);
		else
			len = vdpa_accel_op_process(va, vq, vq->chain);
		if (len < 0) {
			/* memory vanished under a validated chain */
			vdpa_accel_vq_break(vq, len);
			break;
		}
		ret = vdpa_accel_vq_put(vq, vq->chain->head, len);
		if (ret) {
			vdpa_accel_vq_break(vq, ret);
			break;
		}
		atomic64_inc(&va->requests);
		n++;
		if (!READ_ONCE(va->running))
			break;
	}
	if (n)
		vdpa_accel_vq_notify(vq);
out:
	mutex_unlock(&vq->lock);
	if (requeue)
		queue_work(vdpa_accel_wq, &vq->work);
}
