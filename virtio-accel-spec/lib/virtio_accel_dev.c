// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * The virtio-accel device's request handling, written once: see
 * virtio_accel_dev.h. Each rule names its clause of
 * virtio-accel-spec/virtio-accel.md.
 */
#ifndef __KERNEL__
#include <stddef.h>
#endif

#include "virtio_accel_dev.h"

#define RESP_LEN	((u64)sizeof(struct virtio_accel_op_resp))
#define CREQ_LEN	((u64)sizeof(struct virtio_accel_ctrl_req))
#define CRESP_LEN	((u64)sizeof(struct virtio_accel_ctrl_resp))

void virtio_accel_wipe(void *p, unsigned long len)
{
	__builtin_memset(p, 0, len);
	/* the stores must happen: the compiler cannot see who reads @p */
	__asm__ __volatile__("" : : "r"(p) : "memory");
}

static u64 min_u64(u64 a, u64 b)
{
	return a < b ? a : b;
}

static void dev_error(const struct virtio_accel_dev *d, void *q, u32 opcode,
		      u32 algo, u64 request_id, u8 st, int ctrl)
{
	if (d->ops->error)
		d->ops->error(q, opcode, algo, request_id, st, ctrl);
}

/*
 * [STREAM-GCM-MAX]: whether this request would carry an AES-256-GCM stream
 * past 2^36 - 32 bytes of data.
 */
static int gcm_stream_over(const struct virtio_accel_dev *d,
			   const struct virtio_accel_dev_req *r)
{
	u64 len = r->op.src_len, before = r->start ? 0 : r->sess->stream_len;
	u64 max = d->gcm_stream_max ? d->gcm_stream_max :
				      VIRTIO_ACCEL_GCM_STREAM_MAX;

	if (r->op.opcode != VIRTIO_ACCEL_OP_AEAD_ENCRYPT &&
	    r->op.opcode != VIRTIO_ACCEL_OP_AEAD_DECRYPT)
		return 0;
	if (r->op.opcode == VIRTIO_ACCEL_OP_AEAD_DECRYPT && r->final)
		len -= VIRTIO_ACCEL_GCM_TAG_LEN;	/* [OP-DST]: src >= tag */
	return before + len > max;
}

/*
 * Run a validated request: copy the inline key and the IV, run the engine
 * (one-shot requests through submit() when @async and the host has it),
 * apply the stream rules. Returns a status, VIRTIO_ACCEL_DEV_PENDING, or a
 * negative errno from the host's memory accessors. The inline key is wiped
 * by dev_op_end().
 */
static int dev_run(const struct virtio_accel_dev *d, void *q, const void *c,
		   struct virtio_accel_dev_req *r, int async)
{
	struct virtio_accel_dev_sess *s = r->sess;
	u32 data_len = r->op.src_len;
	int ret;

	r->key = NULL;
	r->key_len = 0;
	if (r->op.key_len) {
		/* [REQ-KEY] bounded the length by the algorithm's maximum */
		ret = d->ops->read(q, c, r->op.key_off, r->key_buf,
				   r->op.key_len);
		if (ret)
			return ret;
		r->key = r->key_buf;
		r->key_len = r->op.key_len;
	} else if (s) {
		r->key = s->key;
		r->key_len = s->key_len;
	}
	r->iv = r->iv_buf;
	if (r->op.iv_len) {
		ret = d->ops->read(q, c, r->op.iv_off, r->iv_buf,
				   r->op.iv_len);
		if (ret)
			return ret;
	}

	if (!r->stream) {
		if (async && d->ops->submit)
			return d->ops->submit(q, c, r);
		return d->ops->exec(q, c, r);
	}

	/* [STREAM-GCM-MAX]: BADMSG, and the stream is aborted below */
	if (gcm_stream_over(d, r))
		ret = VIRTIO_ACCEL_BADMSG;
	else
		ret = d->ops->stream_exec(q, c, r);
	if (ret == VIRTIO_ACCEL_OK) {
		if (r->op.opcode == VIRTIO_ACCEL_OP_AEAD_DECRYPT && r->final)
			data_len -= VIRTIO_ACCEL_GCM_TAG_LEN;
		s->stream_len = (r->start ? 0 : s->stream_len) + data_len;
		/* [OP-RESP], [STREAM-DEFLATE]: where the stream ends */
		s->stream_active =
			virtio_accel_stream_open_after(s->op, r->final,
						       &r->rflags);
		if (!s->stream_active)
			s->stream_len = 0;
	} else if (ret > 0) {
		/*
		 * [STREAM-ERR]: a request of the stream failed after the
		 * engine took its data: the stream is aborted. Rejections by
		 * the validator never get here and leave the stream alone.
		 */
		s->stream_active = 0;
		s->stream_len = 0;
		d->ops->stream_abort(q, s);
	}
	return ret;
}

/*
 * The end of a request, at once or when the engine completes it: @ret is a
 * status or a negative errno. Wipes the inline key, puts the session, writes
 * the whole writable part. Returns the used length or a negative errno.
 */
static long dev_op_end(const struct virtio_accel_dev *d, void *q,
		       const void *c, struct virtio_accel_dev_req *r, int ret)
{
	struct virtio_accel_op_resp resp;
	u64 room = r->wr_len - RESP_LEN;
	u8 st;

	/* [SESS-KEY]: no inline key outlives its request, nor its response */
	if (r->op.key_len)
		virtio_accel_wipe(r->key_buf, sizeof(r->key_buf));
	if (r->sess) {
		d->ops->sess_put(q, r->sess);
		r->sess = NULL;
	}
	if (ret < 0)
		return ret;
	st = (u8)ret;

	if (st != VIRTIO_ACCEL_OK || r->dst_used > room) {
		if (st == VIRTIO_ACCEL_OK)
			st = VIRTIO_ACCEL_ERR;	/* engine overran: never */
		r->dst_used = 0;
		r->src_used = 0;
		r->rflags = 0;
		r->dst_in_place = 0;
		dev_error(d, q, r->op.opcode, r->op.algo, r->op.request_id, st,
			  0);
	}
	if (r->dst_used && !r->dst_in_place) {
		ret = d->ops->write(q, c, 0, r->dst, r->dst_used);
		if (ret)
			return ret;
	}
	/* [VQ-USED-LEN], [ST-NOLEAK]: the rest of dst reads as zero */
	ret = d->ops->write(q, c, r->dst_used, NULL, room - r->dst_used);
	if (ret)
		return ret;
	__builtin_memset(&resp, 0, sizeof(resp));
	resp.src_used = cpu_to_le32(r->src_used);
	resp.dst_used = cpu_to_le32(r->dst_used);
	resp.flags = r->rflags;
	resp.status = st;
	ret = d->ops->write(q, c, room, &resp, sizeof(resp));
	if (ret)
		return ret;
	return (long)r->wr_len;
}

static long dev_op_begin(const struct virtio_accel_dev *d, void *q,
			 const void *c, const struct virtio_accel_dev_chain *cl,
			 struct virtio_accel_dev_req *r, int async)
{
	struct virtio_accel_sess_view view, *vp = NULL;
	struct virtio_accel_op_req hdr;
	int ret;

	/* [REQ-SHORT], [REQ-HUGE]: no response, touch nothing */
	if (cl->wr_len < RESP_LEN ||
	    cl->wr_len > virtio_accel_max_wr_len(d->lim->max_data_len))
		return 0;
	__builtin_memset(r, 0, sizeof(*r));
	r->wr_len = cl->wr_len;

	/* [REQ-SEGS]: nothing is read, no session is touched */
	if (cl->n_desc > d->max_segments)
		return dev_op_end(d, q, c, r, VIRTIO_ACCEL_BADMSG);
	/* the header is read once; a short one is zero-padded and fails */
	__builtin_memset(&hdr, 0, sizeof(hdr));
	ret = d->ops->read(q, c, 0, &hdr, min_u64(cl->rd_len, sizeof(hdr)));
	if (ret)
		return ret;
	virtio_accel_decode_op_hdr(&hdr, &r->op);
	if (r->op.session_id) {
		r->sess = d->ops->sess_get(q, r->op.session_id);
		if (r->sess) {
			view.op = r->sess->op;
			view.algo = r->sess->algo;
			view.flags = r->sess->flags;
			view.stream_active = r->sess->stream_active;
			vp = &view;
		}
	}
	/*
	 * [STREAM-ERR]: a rejection here (a bad header, an unknown opcode,
	 * another opcode naming a stream session: INVSESS) reads no payload
	 * and has no effect on any session.
	 */
	ret = virtio_accel_check_op(&r->op, &hdr, cl->rd_len, cl->wr_len,
				    d->lim, vp);
	if (ret == VIRTIO_ACCEL_OK) {
		r->stream = vp && (vp->flags & VIRTIO_ACCEL_SESS_F_STREAM);
		r->start = r->stream && !vp->stream_active;
		r->final = !!(r->op.flags & VIRTIO_ACCEL_OP_F_FINAL);
		ret = dev_run(d, q, c, r, async);
		if (ret == VIRTIO_ACCEL_DEV_PENDING)
			return ret;	/* the session stays held */
	}
	return dev_op_end(d, q, c, r, ret);
}

long virtio_accel_dev_op(const struct virtio_accel_dev *d, void *q,
			 const void *c, const struct virtio_accel_dev_chain *cl)
{
	struct virtio_accel_dev_req r;

	return dev_op_begin(d, q, c, cl, &r, 0);
}

long virtio_accel_dev_op_submit(const struct virtio_accel_dev *d, void *q,
				const void *c,
				const struct virtio_accel_dev_chain *cl,
				struct virtio_accel_dev_req *r)
{
	return dev_op_begin(d, q, c, cl, r, 1);
}

long virtio_accel_dev_op_finish(const struct virtio_accel_dev *d, void *q,
				const void *c, struct virtio_accel_dev_req *r,
				int ret)
{
	return dev_op_end(d, q, c, r, ret);
}

/*
 * [CTRL-CAPS]: the records in ascending (op, algo) order, written at the
 * start of the writable part if @room holds them all. Returns their length.
 */
static int dev_caps(const struct virtio_accel_dev *d, void *q, const void *c,
		    u64 room, u32 *need)
{
	const struct virtio_accel_alg_info *t;
	struct virtio_accel_cap cap;
	unsigned int n, i, k;
	u32 op, algo, len = 0;
	int pass, ret;

	t = virtio_accel_alg_table(&n);
	for (pass = 0; pass < 2; pass++) {
		if (pass && len > room)
			break;
		len = 0;
		for (op = 0; op < VIRTIO_ACCEL_OP_MAX; op++) {
			for (algo = 0; algo < VIRTIO_ACCEL_ALG_MAX; algo++) {
				const struct virtio_accel_alg_info *a = NULL;
				u64 bit = VIRTIO_ACCEL_IMPL_BIT(op, algo);
				u32 fl = VIRTIO_ACCEL_CAP_F_SESSION;
				const char *eng;

				for (i = 0; i < n; i++)
					if (t[i].op == op && t[i].algo == algo)
						a = &t[i];
				if (!a || !(d->lim->implemented & bit))
					continue;
				if (pass) {
					if (!a->max_key_len || d->lim->stateless)
						fl |= VIRTIO_ACCEL_CAP_F_STATELESS;
					if (a->stream && d->lim->stream &&
					    (d->stream_ok & bit))
						fl |= VIRTIO_ACCEL_CAP_F_STREAM;
					__builtin_memset(&cap, 0, sizeof(cap));
					cap.op = cpu_to_le32(op);
					cap.algo = cpu_to_le32(algo);
					cap.flags = cpu_to_le32(fl);
					cap.min_key_len =
						cpu_to_le16(a->min_key_len);
					cap.max_key_len =
						cpu_to_le16(a->max_key_len);
					cap.iv_len = cpu_to_le16(a->iv_len);
					cap.out_len = cpu_to_le16(a->out_len);
					cap.max_aad_len = cpu_to_le32(a->aad ?
						d->lim->max_aad_len : 0);
					eng = d->ops->engine_name(q, op, algo);
					for (k = 0; eng &&
					     k < sizeof(cap.engine) && eng[k];
					     k++)
						cap.engine[k] = (u8)eng[k];
					ret = d->ops->write(q, c, len, &cap,
							    sizeof(cap));
					if (ret)
						return ret;
				}
				len += sizeof(cap);
			}
		}
	}
	*need = len;
	return 0;
}

long virtio_accel_dev_ctrl(const struct virtio_accel_dev *d, void *q,
			   const void *c,
			   const struct virtio_accel_dev_chain *cl)
{
	struct virtio_accel_ctrl_resp resp;
	struct virtio_accel_ctrl_req req;
	u8 key[VIRTIO_ACCEL_DEV_MAX_KEY];
	struct virtio_accel_ctrl cc;
	u32 written = 0, need = 0;
	u64 room, id = 0;
	int ret;
	u8 st;

	/* [REQ-SHORT], [REQ-HUGE] with the 16-byte control response */
	if (cl->wr_len < CRESP_LEN || cl->wr_len > VIRTIO_ACCEL_CTRL_MAX_WR_LEN)
		return 0;
	room = cl->wr_len - CRESP_LEN;
	__builtin_memset(&resp, 0, sizeof(resp));
	__builtin_memset(&cc, 0, sizeof(cc));
	/* [REQ-SEGS]: no data is read */
	if (cl->n_desc > d->max_segments) {
		st = VIRTIO_ACCEL_BADMSG;
		goto complete;
	}
	__builtin_memset(&req, 0, sizeof(req));
	ret = d->ops->read(q, c, 0, &req, min_u64(cl->rd_len, sizeof(req)));
	if (ret)
		return ret;
	st = virtio_accel_check_ctrl(&cc, &req, cl->rd_len, cl->wr_len, d->lim);
	if (st != VIRTIO_ACCEL_OK)
		goto complete;

	switch (cc.opcode) {
	case VIRTIO_ACCEL_CTRL_GET_CAPS:
		ret = dev_caps(d, q, c, cc.data_len, &need);
		if (ret)
			return ret;
		resp.len = cpu_to_le32(need);
		if (cc.data_len < need)
			st = VIRTIO_ACCEL_NOSPC;
		else
			written = need;
		break;
	case VIRTIO_ACCEL_CTRL_CREATE_SESSION:
		/* [CTRL-CREATE]: a pair the device cannot stream */
		if ((cc.flags & VIRTIO_ACCEL_SESS_F_STREAM) &&
		    !(d->stream_ok & VIRTIO_ACCEL_IMPL_BIT(cc.op, cc.algo))) {
			st = VIRTIO_ACCEL_NOTSUPP;
			break;
		}
		if (cc.key_len > sizeof(key)) {	/* no algorithm: never */
			st = VIRTIO_ACCEL_KEY_REJECTED;
			break;
		}
		ret = d->ops->read(q, c, CREQ_LEN, key, cc.key_len);
		if (!ret)
			st = d->ops->sess_create(q, &cc, key, &id);
		/* [SESS-KEY]: the session holds the key, not this copy */
		virtio_accel_wipe(key, sizeof(key));
		if (ret)
			return ret;
		if (st == VIRTIO_ACCEL_OK)
			resp.session_id = cpu_to_le64(id);
		break;
	default:
		st = d->ops->sess_destroy(q, cc.session_id);
		break;
	}

complete:
	if (st != VIRTIO_ACCEL_OK)
		dev_error(d, q, cc.opcode, cc.algo, cc.session_id, st, 1);
	ret = d->ops->write(q, c, written, NULL, room - written);
	if (ret)
		return ret;
	resp.status = st;
	ret = d->ops->write(q, c, room, &resp, sizeof(resp));
	if (ret)
		return ret;
	return (long)cl->wr_len;
}
