// SPDX-License-Identifier: BSD-3-Clause
/*
 * Data queue requests (spec section 7): copy the header once, validate it
 * with the shared virtio_accel_check_op(), run the engine, then write the
 * whole writable part: output, zeros up to the end of dst, response
 * ([VQ-USED-LEN], [ST-NOLEAK]).
 */
#include <string.h>

#include <rte_malloc.h>

#include "backend.h"

#define RESP_LEN ((uint64_t)sizeof(struct virtio_accel_op_resp))

static const uint8_t va_empty[16];

/* [off, off + len) of the readable part, copied to @stage if scattered. */
static const uint8_t *va_gather(const struct va_chain *c, uint64_t off,
				uint32_t len, uint8_t *stage, int always_copy)
{
	uint8_t *p;

	if (!len)
		return va_empty;
	if (!always_copy) {
		p = va_iov_contig(c->iov, c->n_rd, off, len);
		if (p)
			return p;
	}
	va_iov_read(c->iov, c->n_rd, off, stage, len);
	return stage;
}

static uint8_t va_op_exec(struct va_vq *q, const struct va_chain *c,
			  struct va_req *r)
{
	struct va_qctx *qc = &q->qc;
	const struct virtio_accel_op *op = &r->op;

	/* key, IV and AAD are small: always private copies */
	if (op->key_len) {
		r->key = va_gather(c, op->key_off, op->key_len, qc->key, 1);
		r->key_len = op->key_len;
	} else if (r->sess) {
		r->key = r->sess->key;
		r->key_len = r->sess->key_len;
	} else {
		r->key = va_empty;
		r->key_len = 0;
	}
	r->iv = va_gather(c, op->iv_off, op->iv_len, qc->iv, 1);
	r->aad = va_gather(c, op->aad_off, op->aad_len, qc->aad, 1);
	r->src = va_gather(c, op->src_off, op->src_len, qc->in, 0);
	r->dst = qc->out;

	if (r->sess && (r->sess->flags & VIRTIO_ACCEL_SESS_F_STREAM))
		return va_stream_run(r);
	if (r->dst_direct)
		r->dst = r->dst_direct;

	switch (op->opcode) {
	case VIRTIO_ACCEL_OP_NULL:
		/* [OP-NULL]: scatter straight from src */
		r->dst = (uint8_t *)(uintptr_t)r->src;
		r->dst_used = op->src_len;
		r->src_used = op->src_len;
		return VIRTIO_ACCEL_OK;
	case VIRTIO_ACCEL_OP_HASH:
		if (op->algo == VIRTIO_ACCEL_ALG_CRC32C)
			return va_crc32c_run(r);
		return va_crypto_run(r);
	case VIRTIO_ACCEL_OP_MAC:
	case VIRTIO_ACCEL_OP_AEAD_ENCRYPT:
	case VIRTIO_ACCEL_OP_AEAD_DECRYPT:
		return va_crypto_run(r);
	case VIRTIO_ACCEL_OP_COMPRESS:
	case VIRTIO_ACCEL_OP_DECOMPRESS:
		return va_comp_run(r);
	default:
		return VIRTIO_ACCEL_NOTSUPP;
	}
}

/*
 * Engines write straight into the driver's dst when it is one piece of
 * memory and what they write tells the driver nothing before the request
 * completes: encryption and (de)compression output is a function of the
 * driver's own input. Decryption output stays in staging until the tag has
 * been checked ([ST-NOLEAK]); digests and MACs are too small to matter.
 * On failure the whole dst is zeroed as before.
 */
static int va_dst_direct_ok(uint32_t opcode)
{
	return opcode == VIRTIO_ACCEL_OP_AEAD_ENCRYPT ||
	       opcode == VIRTIO_ACCEL_OP_COMPRESS ||
	       opcode == VIRTIO_ACCEL_OP_DECOMPRESS;
}

uint32_t va_op_process(struct va_dev *d, struct va_vq *q,
		       const struct va_chain *c)
{
	const struct va_iov *wr = c->iov + c->n_rd;
	struct virtio_accel_sess_view view, *vp = NULL;
	struct virtio_accel_op_req hdr;
	struct virtio_accel_op_resp resp;
	struct va_req r;
	uint64_t room;
	uint8_t st;

	__atomic_fetch_add(&d->requests, 1, __ATOMIC_RELAXED);
	/* [REQ-SHORT], [REQ-HUGE]: no response, touch nothing */
	if (c->wr_len < RESP_LEN ||
	    c->wr_len > virtio_accel_max_wr_len(d->lim.max_data_len))
		return 0;
	room = c->wr_len - RESP_LEN;

	memset(&r, 0, sizeof(r));
	r.qc = &q->qc;
	/* [REQ-SEGS] */
	if (c->n_desc > VA_MAX_SEGMENTS) {
		st = VIRTIO_ACCEL_BADMSG;
		goto complete;
	}
	/* the header is read once; a short one is zero-padded and fails */
	memset(&hdr, 0, sizeof(hdr));
	va_iov_read(c->iov, c->n_rd, 0, &hdr,
		    c->rd_len < sizeof(hdr) ? c->rd_len : sizeof(hdr));
	virtio_accel_decode_op_hdr(&hdr, &r.op);
	if (r.op.session_id) {
		r.sess = va_session_get(r.op.session_id);
		if (r.sess) {
			view.op = r.sess->op;
			view.algo = r.sess->algo;
			view.flags = r.sess->flags;
			view.stream_active = r.sess->stream_active;
			vp = &view;
		}
	}
	st = virtio_accel_check_op(&r.op, &hdr, c->rd_len, c->wr_len, &d->lim,
				   vp);
	if (st == VIRTIO_ACCEL_OK && va_dst_direct_ok(r.op.opcode))
		r.dst_direct = va_iov_contig(wr, c->n_wr, 0, room);
	if (st == VIRTIO_ACCEL_OK)
		st = va_op_exec(q, c, &r);
	/* [STREAM-ERR]: a failed request aborts the stream it names */
	if (st != VIRTIO_ACCEL_OK && r.sess &&
	    (r.sess->flags & VIRTIO_ACCEL_SESS_F_STREAM))
		va_stream_abort(r.sess);

complete:
	if (st != VIRTIO_ACCEL_OK || r.dst_used > room) {
		if (st == VIRTIO_ACCEL_OK)
			st = VIRTIO_ACCEL_ERR; /* engine overran: never */
		r.dst_used = 0;
		r.src_used = 0;
		r.rflags = 0;
	}
	if (st != VIRTIO_ACCEL_OK)
		VA_DBG("queue %u: %s/%u request 0x%llx: %s", q->idx,
		       virtio_accel_op_name(r.op.opcode), r.op.algo,
		       (unsigned long long)r.op.request_id,
		       virtio_accel_status_name(st));
	if (r.dst_used && r.dst != r.dst_direct)
		va_iov_write(wr, c->n_wr, 0, r.dst, r.dst_used);
	va_iov_zero(wr, c->n_wr, r.dst_used, room - r.dst_used);
	/* [SESS-KEY]: no inline key outlives its request */
	if (r.op.key_len && r.key == q->qc.key)
		explicit_bzero(q->qc.key, r.op.key_len);
	memset(&resp, 0, sizeof(resp));
	resp.src_used = cpu_to_le32(r.src_used);
	resp.dst_used = cpu_to_le32(r.dst_used);
	resp.flags = r.rflags;
	resp.status = st;
	va_iov_write(wr, c->n_wr, room, &resp, sizeof(resp));
	return (uint32_t)c->wr_len;
}

/* Preallocated per-queue buffers: nothing is allocated per request. */
int va_qctx_init(struct va_qctx *qc, unsigned int idx)
{
	uint64_t len = VA_STAGE_LEN(va_opts.max_data_len);

	memset(qc, 0, sizeof(*qc));
	qc->in = rte_malloc("va_stage_in", len, 64);
	qc->out = rte_malloc("va_stage_out", len, 64);
	if (!qc->in || !qc->out)
		goto out_free;
	if (va_sw_qinit(qc) < 0)
		goto out_free;
	if (va_crypto_qinit(qc, idx) < 0)
		goto out_sw;
	if (va_comp_qinit(qc, idx) < 0)
		goto out_crypto;
	return 0;
out_crypto:
	va_crypto_qfini(qc);
out_sw:
	va_sw_qfini(qc);
out_free:
	rte_free(qc->in);
	rte_free(qc->out);
	qc->in = NULL;
	qc->out = NULL;
	return -1;
}

void va_qctx_fini(struct va_qctx *qc)
{
	va_comp_qfini(qc);
	va_crypto_qfini(qc);
	va_sw_qfini(qc);
	rte_free(qc->in);
	rte_free(qc->out);
	qc->in = NULL;
	qc->out = NULL;
}
