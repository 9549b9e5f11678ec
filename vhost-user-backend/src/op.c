// SPDX-License-Identifier: BSD-3-Clause
/*
 * The back-end's adapter to the device core
 * (virtio-accel-spec/lib/virtio_accel_dev.c), which handles both queues'
 * requests: guest memory through the walked chain's iovecs, the session
 * table of ctrl.c, the engines. What it does for a request (spec sections
 * 7 and 8) is written there, once, for the vDPA parent too.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>

#include "backend.h"

static const uint8_t va_empty[16];

/* What the core passes back to the callbacks */
struct va_ctx {
	struct va_dev *d;
	struct va_vq *q;
};

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

static int va_dev_read(void *qv, const void *cv, uint64_t off, void *buf,
		       uint64_t len)
{
	const struct va_chain *c = cv;

	va_iov_read(c->iov, c->n_rd, off, buf, len);
	return 0;
}

static int va_dev_write(void *qv, const void *cv, uint64_t off,
			const void *buf, uint64_t len)
{
	const struct va_chain *c = cv;
	const struct va_iov *wr = c->iov + c->n_rd;

	if (buf)
		va_iov_write(wr, c->n_wr, off, buf, len);
	else
		va_iov_zero(wr, c->n_wr, off, len);
	return 0;
}

static struct va_session *va_sess_of(struct virtio_accel_dev_sess *cs)
{
	return cs ? (struct va_session *)((char *)cs -
					  offsetof(struct va_session, c)) :
		    NULL;
}

/* One worker thread serves every queue of a device: nothing to lock. */
static struct virtio_accel_dev_sess *va_dev_sess_get(void *qv, uint64_t id)
{
	struct va_session *s = va_session_get(((struct va_ctx *)qv)->d, id);

	return s ? &s->c : NULL;
}

static void va_dev_sess_put(void *qv, struct virtio_accel_dev_sess *cs)
{
}

static void va_dev_stream_abort(void *qv, struct virtio_accel_dev_sess *cs)
{
	va_stream_abort(va_sess_of(cs));
}

/*
 * Engines write straight into the driver's dst when it is one piece of
 * memory and what they write tells the driver nothing before the request
 * completes: encryption and (de)compression output is a function of the
 * driver's own input. Decryption output stays in staging until the tag has
 * been checked ([ST-NOLEAK]); digests and MACs are too small to matter.
 * On failure the core zeroes the whole dst.
 */
static int va_dst_direct_ok(uint32_t opcode)
{
	return opcode == VIRTIO_ACCEL_OP_AEAD_ENCRYPT ||
	       opcode == VIRTIO_ACCEL_OP_COMPRESS ||
	       opcode == VIRTIO_ACCEL_OP_DECOMPRESS;
}

static uint8_t va_engine(struct va_req *r)
{
	switch (r->op.opcode) {
	case VIRTIO_ACCEL_OP_NULL:
		/* [OP-NULL]: scatter straight from src */
		r->dst = (uint8_t *)(uintptr_t)r->src;
		r->dst_used = r->op.src_len;
		r->src_used = r->op.src_len;
		return VIRTIO_ACCEL_OK;
	case VIRTIO_ACCEL_OP_HASH:
		if (r->op.algo == VIRTIO_ACCEL_ALG_CRC32C)
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

/* AAD and src out of the chain (src in place if it is one piece). */
static void va_req_init(struct va_vq *q, const struct va_chain *c,
			struct va_req *r, struct virtio_accel_dev_req *cr)
{
	struct va_qctx *qc = &q->qc;

	memset(r, 0, sizeof(*r));
	r->op = cr->op;
	r->sess = va_sess_of(cr->sess);
	r->qc = qc;
	r->key = cr->key ? cr->key : va_empty;
	r->key_len = cr->key_len;
	r->iv = cr->op.iv_len ? cr->iv : va_empty;
	r->aad = va_gather(c, cr->op.aad_off, cr->op.aad_len, qc->aad, 1);
	r->src = va_gather(c, cr->op.src_off, cr->op.src_len, qc->in, 0);
	r->dst = qc->out;
}

static int va_req_done(struct va_req *r, struct virtio_accel_dev_req *cr,
		       uint8_t st)
{
	cr->dst = r->dst;
	cr->dst_in_place = r->dst_direct && r->dst == r->dst_direct;
	cr->src_used = r->src_used;
	cr->dst_used = r->dst_used;
	cr->rflags = r->rflags;
	return st;
}

/* The engine writes into the driver's dst if it is one piece. */
static void va_req_dst_direct(struct va_req *r, const struct va_chain *c)
{
	r->dst_direct = va_iov_contig(c->iov + c->n_rd, c->n_wr, 0,
				      c->wr_len -
				      sizeof(struct virtio_accel_op_resp));
	if (r->dst_direct)
		r->dst = r->dst_direct;
}

static int va_dev_exec(void *qv, const void *cv,
		       struct virtio_accel_dev_req *cr)
{
	const struct va_chain *c = cv;
	struct va_req r;

	va_req_init(((struct va_ctx *)qv)->q, c, &r, cr);
	if (va_dst_direct_ok(r.op.opcode))
		va_req_dst_direct(&r, c);
	return va_req_done(&r, cr, va_engine(&r));
}

static int va_dev_stream_exec(void *qv, const void *cv,
			      struct virtio_accel_dev_req *cr)
{
	const struct va_chain *c = cv;
	struct va_req r;

	va_req_init(((struct va_ctx *)qv)->q, c, &r, cr);
	/*
	 * A stream's encryption output (and its tag at FINAL) never exceeds
	 * what the validator let dst hold; (de)compression streams size
	 * their output against staging, so they stay there.
	 */
	if (r.op.opcode == VIRTIO_ACCEL_OP_AEAD_ENCRYPT)
		va_req_dst_direct(&r, c);
	return va_req_done(&r, cr, va_stream_run(&r, cr->start, cr->final));
}

static uint8_t va_dev_sess_create(void *qv, const struct virtio_accel_ctrl *cc,
				  const uint8_t *key, uint64_t *id)
{
	const struct va_ctx *x = qv;

	return va_session_create(x->d, cc, key, id);
}

static uint8_t va_dev_sess_destroy(void *qv, uint64_t id)
{
	return va_session_destroy_id(((struct va_ctx *)qv)->d, id);
}

static const char *va_dev_engine_name(void *qv, uint32_t op, uint32_t algo)
{
	switch (op) {
	case VIRTIO_ACCEL_OP_NULL:
		return "memcpy";
	case VIRTIO_ACCEL_OP_HASH:
		if (algo == VIRTIO_ACCEL_ALG_CRC32C)
			return "crc32c";
		return va_crypto_engine();
	case VIRTIO_ACCEL_OP_COMPRESS:
	case VIRTIO_ACCEL_OP_DECOMPRESS:
		return va_comp_engine(op);
	default:
		return va_crypto_engine();
	}
}

static void va_dev_error(void *qv, uint32_t opcode, uint32_t algo,
			 uint64_t request_id, uint8_t st, int ctrl)
{
	const struct va_vq *q = ((struct va_ctx *)qv)->q;

	if (ctrl)
		VA_DBG("control opcode %u: %s", opcode,
		       virtio_accel_status_name(st));
	else
		VA_DBG("queue %u: %s/%u request 0x%llx: %s", q->idx,
		       virtio_accel_op_name(opcode), algo,
		       (unsigned long long)request_id,
		       virtio_accel_status_name(st));
}

/* Which asynchronous engine may take the request: VA_ASYNC_*, -1 none. */
static int va_async_op(uint32_t opcode, uint32_t algo)
{
	switch (opcode) {
	case VIRTIO_ACCEL_OP_HASH:
		return algo == VIRTIO_ACCEL_ALG_SHA256 ? VA_ASYNC_CRYPTO : -1;
	case VIRTIO_ACCEL_OP_MAC:
	case VIRTIO_ACCEL_OP_AEAD_ENCRYPT:
	case VIRTIO_ACCEL_OP_AEAD_DECRYPT:
		return VA_ASYNC_CRYPTO;
	case VIRTIO_ACCEL_OP_COMPRESS:
		/* DECOMPRESS stays on zlib: see engine_comp.c */
		return VA_ASYNC_COMP;
	default:
		return -1;
	}
}

/*
 * The asynchronous path's engines (pipeline.c): the cryptodev PMD takes
 * the request (va_async_engine), or the request runs as in va_dev_exec()
 * and the test engine (--test-engine-latency-us) holds its completion.
 * Otherwise it completes here.
 */
static int va_dev_submit(void *qv, const void *cv,
			 struct virtio_accel_dev_req *cr)
{
	struct va_slot *s = (struct va_slot *)((char *)cr -
					       offsetof(struct va_slot, cr));
	const struct va_chain *c = cv;
	struct va_req *r = &s->r;
	int e = va_async_op(cr->op.opcode, cr->op.algo);

	if (e >= 0 && va_async_engines[e] && !va_opts.test_engine_latency_us) {
		va_req_init(((struct va_ctx *)qv)->q, c, r, cr);
		if (va_dst_direct_ok(r->op.opcode))
			r->dst_direct = va_iov_contig(c->iov + c->n_rd, c->n_wr,
						      0, c->wr_len -
					sizeof(struct virtio_accel_op_resp));
		if (va_async_engines[e]->submit(r, s) == 0) {
			s->engine = e == VA_ASYNC_COMP ? VA_ENG_ZDEV :
							 VA_ENG_CDEV;
			return VIRTIO_ACCEL_DEV_PENDING;
		}
		if (r->dst_direct)
			r->dst = r->dst_direct;
		return va_req_done(r, cr, va_engine(r));
	}
	s->st = va_dev_exec(qv, cv, cr);
	if (!va_pipe_hold(s))
		return s->st;
	return VIRTIO_ACCEL_DEV_PENDING;
}

static const struct virtio_accel_dev_ops va_dev_ops = {
	.read = va_dev_read,
	.write = va_dev_write,
	.sess_get = va_dev_sess_get,
	.sess_put = va_dev_sess_put,
	.sess_create = va_dev_sess_create,
	.sess_destroy = va_dev_sess_destroy,
	.exec = va_dev_exec,
	.stream_exec = va_dev_stream_exec,
	.stream_abort = va_dev_stream_abort,
	.engine_name = va_dev_engine_name,
	.error = va_dev_error,
};

static const struct virtio_accel_dev_ops va_dev_ops_async = {
	.read = va_dev_read,
	.write = va_dev_write,
	.sess_get = va_dev_sess_get,
	.sess_put = va_dev_sess_put,
	.sess_create = va_dev_sess_create,
	.sess_destroy = va_dev_sess_destroy,
	.exec = va_dev_exec,
	.submit = va_dev_submit,
	.stream_exec = va_dev_stream_exec,
	.stream_abort = va_dev_stream_abort,
	.engine_name = va_dev_engine_name,
	.error = va_dev_error,
};

static void va_core(const struct va_dev *d, const struct va_chain *c,
		    struct virtio_accel_dev *core,
		    struct virtio_accel_dev_chain *cl)
{
	core->ops = &va_dev_ops;
	core->lim = &d->lim;
	core->stream_ok = d->lim.implemented;	/* every pair streams */
	core->max_segments = VA_MAX_SEGMENTS;
	core->gcm_stream_max = va_opts.test_gcm_stream_max;
	cl->rd_len = c->rd_len;
	cl->wr_len = c->wr_len;
	cl->n_desc = c->n_desc;
}

uint32_t va_op_process(struct va_dev *d, struct va_vq *q,
		       const struct va_chain *c)
{
	struct virtio_accel_dev_chain cl;
	struct virtio_accel_dev core;
	struct va_ctx x = { d, q };
	long ret;

	__atomic_fetch_add(&d->requests, 1, __ATOMIC_RELAXED);
	va_core(d, c, &core, &cl);
	/* the accessors cannot fail: the chain's memory is mapped */
	ret = virtio_accel_dev_op(&core, &x, c, &cl);
	va_stats_req(q, c, ret);
	return (uint32_t)ret;
}

/*
 * A data request through the pipeline, @s its slot: >= 0, it completed (the
 * used length); VA_RUN_PENDING, it is inside an engine and @s holds it (with
 * a copy of the chain's iovecs) until va_op_finish().
 */
int64_t va_op_submit(struct va_dev *d, struct va_vq *q,
		     const struct va_chain *c, struct va_slot *s)
{
	struct virtio_accel_dev_chain cl;
	struct virtio_accel_dev core;
	struct va_ctx x = { d, q };
	uint32_t n = c->n_rd + c->n_wr;
	long ret;

	/* the chain outlives the walk: the slot keeps its own iovecs */
	if (s->iov_cap < n) {
		struct va_iov *iov = realloc(s->c.iov, sizeof(*iov) * n);

		if (!iov)
			return va_op_process(d, q, c);
		s->c.iov = iov;
		s->iov_cap = n;
	}
	__atomic_fetch_add(&d->requests, 1, __ATOMIC_RELAXED);
	va_core(d, c, &core, &cl);
	core.ops = &va_dev_ops_async;
	s->engine = 0;
	ret = virtio_accel_dev_op_submit(&core, &x, c, &cl, &s->cr);
	if (ret != VIRTIO_ACCEL_DEV_PENDING) {
		va_stats_req(q, c, ret);
		return (uint32_t)ret;
	}
	memcpy(s->c.iov, c->iov, sizeof(*c->iov) * n);
	s->c.cap = s->iov_cap;
	s->c.n_rd = c->n_rd;
	s->c.n_wr = c->n_wr;
	s->c.n_desc = c->n_desc;
	s->c.rd_len = c->rd_len;
	s->c.wr_len = c->wr_len;
	return VA_RUN_PENDING;
}

/* The engine completed slot @s: the response; returns the used length. */
uint32_t va_op_finish(struct va_dev *d, struct va_vq *q, struct va_slot *s)
{
	struct virtio_accel_dev_chain cl;
	struct virtio_accel_dev core;
	struct va_ctx x = { d, q };
	long ret;

	if (s->engine == VA_ENG_CDEV || s->engine == VA_ENG_ZDEV)
		s->st = va_req_done(&s->r, &s->cr, (uint8_t)s->st);
	va_core(d, &s->c, &core, &cl);
	core.ops = &va_dev_ops_async;
	ret = virtio_accel_dev_op_finish(&core, &x, &s->c, &s->cr, s->st);
	va_stats_req(q, &s->c, ret);
	return (uint32_t)ret;
}

uint32_t va_ctrl_process(struct va_dev *d, struct va_vq *q,
			 const struct va_chain *c)
{
	struct virtio_accel_dev_chain cl;
	struct virtio_accel_dev core;
	struct va_ctx x = { d, q };
	long ret;

	va_core(d, c, &core, &cl);
	ret = virtio_accel_dev_ctrl(&core, &x, c, &cl);
	va_stats_req(q, c, ret);
	return (uint32_t)ret;
}

/* Preallocated per-queue buffers: nothing is allocated per request. */
int va_qctx_init(struct va_qctx *qc, unsigned int idx)
{
	uint64_t len = VA_STAGE_LEN(va_opts.max_data_len);

	memset(qc, 0, sizeof(*qc));
	qc->in = rte_malloc("va_stage_in", len, 64);
	qc->out = rte_malloc("va_stage_out", len, 64);
	/* AAD is handed to the engines: DPDK memory, as staging is */
	qc->aad = rte_malloc("va_stage_aad", VA_MAX_AAD_LEN, 64);
	if (!qc->in || !qc->out || !qc->aad)
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
	rte_free(qc->aad);
	qc->in = NULL;
	qc->out = NULL;
	qc->aad = NULL;
	return -1;
}

void va_qctx_fini(struct va_qctx *qc)
{
	va_comp_qfini(qc);
	va_crypto_qfini(qc);
	va_sw_qfini(qc);
	rte_free(qc->in);
	rte_free(qc->out);
	rte_free(qc->aad);
	qc->in = NULL;
	qc->out = NULL;
	qc->aad = NULL;
}
