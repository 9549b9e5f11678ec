// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-accel guest driver: "deflate" (raw DEFLATE, RFC 1951, the format
 * of the kernel's deflate-scomp) as an acomp algorithm of the kernel crypto
 * API, "deflate-virtio-accel".
 *
 * A request goes to a device as one one-shot COMPRESS or DECOMPRESS
 * ([OP-DEFLATE]) through vaccel_crypto_submit(). dlen is a capacity: the
 * device is asked for min(dlen, max_data_len) bytes of output.
 *
 * src above max_data_len, and a NOSPC answer when dst was capped at
 * max_data_len (the output is larger), go to a device as a DEFLATE stream
 * session (spec section 9, [STREAM-DEFLATE]) through the stream engine of
 * virtio_accel_stream.c: requests of at most chunk_max bytes of src and of
 * dst, the output of each copied to dst where the last one ended, FINAL
 * requests (src_len 0 once src is consumed) until STREAM_END. dlen bounds
 * the output: once dst is full a request gets one byte of room, a probe;
 * output for it is -ENOSPC. Counted in /sys/class/vaccel/crypto_streams.
 *
 * What the device cannot take is done here in software, with the spec's
 * own DEFLATE code (virtio-accel-spec/lib/virtio_accel_zlib.c, which both
 * hosts run, over the kernel's zlib: never through the crypto API, so never
 * through us), streamed over the scatterlists a page at a time, in process
 * context under a mutex of the tfm (a submitter that may not sleep has it
 * done by a work item and gets -EINPROGRESS): no device
 * (or none with DEFLATE streams, or its max_comp_streams sessions all
 * taken: [STREAM-LIMIT]), a full ring without CRYPTO_TFM_REQ_MAY_BACKLOG,
 * no memory, and a device that failed a request (removed, reset, an engine
 * error, a session lost) rather than judged the data: src is still intact,
 * so the whole request is done again, in a stream too. Counted in
 * /sys/class/vaccel/crypto_fallback_comp.
 *
 * Either way the result is the same: dlen set to the bytes written;
 * -ENOSPC when the output does not fit in dlen; -EINVAL for data that is
 * not one complete raw DEFLATE stream (bad, truncated, or followed by more
 * bytes); a zero-length src compresses to the empty stream. A NULL dst
 * (CRYPTO_ACOMP_ALLOC_OUTPUT) gets a scatterlist of dlen bytes (0:
 * CRYPTO_ACOMP_DST_MAX, the most scomp gives), which dst_free releases.
 *
 * The algorithm is CRYPTO_ALG_KERN_DRIVER_ONLY (the vDPA parent masks it;
 * its own engines are zlib, not the crypto API) and CRYPTO_ALG_NEED_FALLBACK
 * (a driver allocating a fallback "deflate" masks that one).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/internal/acompress.h>
#include <crypto/scatterwalk.h>
#include <linux/vmalloc.h>
#include <linux/zlib.h>

#include "virtio_accel_common.h"
#include "virtio_accel_zlib.h"

atomic_long_t vaccel_acomp_fallbacks;	/* /sys/class/vaccel/crypto_fallback_comp */
static bool vaccel_acomp_registered;
/* software for submitters that may not sleep; zswap runs in reclaim */
static struct workqueue_struct *vaccel_acomp_wq;

struct vaccel_acomp_tfm {
	struct mutex lock;		/* the streams */
	struct z_stream_s def;		/* raw DEFLATE, window 32 KiB */
	struct z_stream_s inf;
};

struct vaccel_acomp_rctx {
	struct vaccel_stream stream;	/* above max_data_len */
	bool comp;
	bool dst_ours;			/* allocated here: NULL dst */
	bool verdict;			/* the stream failed on the data */
	struct work_struct sw_work;	/* software, for a non-sleeping submitter */
	struct acomp_req *areq;		/* ... of this request */
};

/* ---- software ------------------------------------------------------- */

/* The next non-empty piece of @m. */
static bool vaccel_miter_next(struct sg_mapping_iter *m)
{
	while (sg_miter_next(m))
		if (m->length)
			return true;
	return false;
}

/*
 * The spec's stream steps over the scatterlists, one mapped page of src
 * and of dst at a time, ending with a 1-byte probe of dst: output for it
 * means the result does not fit. Process context: the tfm's streams are
 * under its mutex.
 */
static int vaccel_acomp_sw(struct acomp_req *areq, bool comp)
{
	struct vaccel_acomp_tfm *t = acomp_tfm_ctx(crypto_acomp_reqtfm(areq));
	struct z_stream_s *z = comp ? &t->def : &t->inf;
	u32 sleft = areq->slen, dleft = areq->dlen, out = 0;
	struct sg_mapping_iter si, di;
	bool start = true;
	u8 probe;
	int err;

	atomic_long_inc(&vaccel_acomp_fallbacks);
	sg_miter_start(&si, areq->src, sg_nents(areq->src), SG_MITER_FROM_SG);
	sg_miter_start(&di, areq->dst, sg_nents(areq->dst), SG_MITER_TO_SG);
	mutex_lock(&t->lock);
	for (;;) {
		struct virtio_accel_zio io = { .dst = &probe, .dst_len = 1 };
		u8 st;

		err = -EINVAL;		/* a scatterlist shorter than its length */
		if (sleft) {
			if (!vaccel_miter_next(&si))
				break;
			io.src = si.addr;
			io.src_len = min_t(size_t, si.length, sleft);
		}
		if (dleft) {
			if (!vaccel_miter_next(&di)) {
				sg_miter_stop(&si);
				break;
			}
			io.dst = di.addr;
			io.dst_len = min_t(size_t, di.length, dleft);
		}
		st = virtio_accel_z_stream(z, comp, start,
					   io.src_len == sleft, &io);
		start = false;
		if (dleft)
			di.consumed = io.dst_used;
		sg_miter_stop(&di);
		if (sleft)
			si.consumed = io.src_used;
		sg_miter_stop(&si);
		err = virtio_accel_status_errno(st);
		if (err)
			break;
		sleft -= io.src_used;
		err = -ENOSPC;
		if (!dleft && io.dst_used)
			break;		/* the probe byte */
		dleft -= io.dst_used;
		out += io.dst_used;
		if (io.rflags & VIRTIO_ACCEL_RESP_F_STREAM_END) {
			/* more src after the final block */
			err = sleft ? -EINVAL : 0;
			break;
		}
		err = -EINVAL;		/* no progress: cannot happen */
		if (!io.src_used && !io.dst_used)
			break;
		cond_resched();
	}
	mutex_unlock(&t->lock);
	sg_miter_stop(&si);
	sg_miter_stop(&di);
	if (!err)
		areq->dlen = out;
	return err;
}

/* ---- the device ------------------------------------------------------- */

static void vaccel_acomp_put_dst(struct acomp_req *areq)
{
	struct vaccel_acomp_rctx *rc = acomp_request_ctx(areq);

	if (!rc->dst_ours)
		return;
	sgl_free(areq->dst);
	areq->dst = NULL;
	rc->dst_ours = false;
}

/* Process context: @areq in software; what it completes with. */
static int vaccel_acomp_sw_req(struct acomp_req *areq)
{
	struct vaccel_acomp_rctx *rc = acomp_request_ctx(areq);
	int err = vaccel_acomp_sw(areq, rc->comp);

	if (err)
		vaccel_acomp_put_dst(areq);
	return err;
}

static void vaccel_acomp_sw_work(struct work_struct *work)
{
	struct vaccel_acomp_rctx *rc = container_of(work,
						    struct vaccel_acomp_rctx,
						    sw_work);
	struct acomp_req *areq = rc->areq;
	int err = vaccel_acomp_sw_req(areq);

	local_bh_disable();
	crypto_request_complete(&areq->base, err);
	local_bh_enable();
}

/*
 * The submitter's context: @areq in software, at once if the submitter
 * may sleep, else from a work item (-EINPROGRESS). Nothing is lost: the
 * work item always completes it.
 */
static int vaccel_acomp_fallback(struct acomp_req *areq)
{
	struct vaccel_acomp_rctx *rc = acomp_request_ctx(areq);

	if (areq->base.flags & CRYPTO_TFM_REQ_MAY_SLEEP)
		return vaccel_acomp_sw_req(areq);
	rc->areq = areq;
	INIT_WORK(&rc->sw_work, vaccel_acomp_sw_work);
	queue_work(vaccel_acomp_wq, &rc->sw_work);
	return -EINPROGRESS;
}

/* Copy @len bytes of @b to @sg at @off. */
static void vaccel_buf_to_sg(struct vaccel_buf *b, struct scatterlist *sg,
			     unsigned int off, unsigned int len)
{
	unsigned int i, done = 0;

	for (i = 0; i < b->nr && done < len; i++) {
		unsigned int n = min_t(size_t, len - done, b->c[i].len);

		scatterwalk_map_and_copy(b->c[i].p, sg, off + done, n, 1);
		done += n;
	}
}

/* ---- streams ------------------------------------------------------------ */

static struct acomp_req *vaccel_acomp_sreq(struct vaccel_stream *s)
{
	return container_of(s->op.base, struct acomp_req, base);
}

/*
 * At most chunk_max bytes of src, FINAL with the last of it (and after);
 * at most chunk_max bytes of room, the rest of dlen, or a 1-byte probe
 * once dst is full.
 */
static int vaccel_acomp_next(struct vaccel_stream *s,
			     struct vaccel_stream_chunk *c)
{
	u32 rest = s->op.src_len - s->src_done;
	u32 room = s->op.dst_len - s->dst_done;

	c->final = rest <= s->chunk_max;
	c->src_len = min(rest, s->chunk_max);
	c->dst_len = clamp(room, 1U, s->chunk_max);
	return 0;
}

/* Request @c went through: its output to dst at dst_done. */
static int vaccel_acomp_chunk_done(struct vaccel_stream *s,
				   const struct vaccel_stream_chunk *c,
				   struct vaccel_req *req,
				   const struct vaccel_result *r)
{
	struct acomp_req *areq = vaccel_acomp_sreq(s);
	struct vaccel_acomp_rctx *rc = acomp_request_ctx(areq);

	rc->verdict = true;
	if (r->dst_used > s->op.dst_len - s->dst_done)
		return -ENOSPC;		/* output for the probe */
	vaccel_buf_to_sg(&req->wr, areq->dst, s->dst_done, r->dst_used);
	if (r->flags & VIRTIO_ACCEL_RESP_F_STREAM_END) {
		/* DECOMPRESS: more src after the final block */
		if (s->src_done + r->src_used != s->op.src_len)
			return -EINVAL;
		areq->dlen = s->dst_done + r->dst_used;
		return 0;
	}
	rc->verdict = false;
	/* a FINAL request with nothing to consume must produce */
	if (!c->src_len && !r->dst_used)
		return -EIO;
	return 1;
}

/* The device failed, not the data: all of it again, in software. */
static int vaccel_acomp_stream_end(struct vaccel_stream *s, int err)
{
	struct acomp_req *areq = vaccel_acomp_sreq(s);
	struct vaccel_acomp_rctx *rc = acomp_request_ctx(areq);

	/* BADMSG: -EINVAL */
	if (err && !rc->verdict && err != -EINVAL)
		return vaccel_acomp_sw_req(areq);
	if (err)
		vaccel_acomp_put_dst(areq);
	return err;
}

/* No request reached a device (no session, no memory): software. */
static int vaccel_acomp_stream_fallback(struct vaccel_stream *s)
{
	return vaccel_acomp_sw_req(vaccel_acomp_sreq(s));
}

/*
 * Any context: @areq as a DEFLATE stream. -EINPROGRESS: taken; else
 * nothing was done.
 */
static int vaccel_acomp_stream(struct acomp_req *areq)
{
	struct vaccel_acomp_rctx *rc = acomp_request_ctx(areq);
	struct vaccel_stream *s = &rc->stream;

	memset(s, 0, sizeof(*s));
	s->op.calg = VACCEL_CALG_DEFLATE;
	s->op.opcode = rc->comp ? VIRTIO_ACCEL_OP_COMPRESS :
		       VIRTIO_ACCEL_OP_DECOMPRESS;
	s->op.algo = VIRTIO_ACCEL_ALG_DEFLATE;
	s->op.sg = areq->src;
	s->op.src_len = areq->slen;
	s->op.dst_len = areq->dlen;
	s->op.base = &areq->base;
	s->next = vaccel_acomp_next;
	s->chunk_done = vaccel_acomp_chunk_done;
	s->fallback = vaccel_acomp_stream_fallback;
	s->end = vaccel_acomp_stream_end;
	rc->verdict = false;
	return vaccel_stream_submit(s);
}

static int vaccel_acomp_done(struct vaccel_req *req,
			     const struct vaccel_result *r, int err)
{
	struct acomp_req *areq = container_of(req->crypto, struct acomp_req,
					      base);

	if (!err) {
		vaccel_buf_to_sg(&req->wr, areq->dst, 0, r->dst_used);
		areq->dlen = r->dst_used;
		return 0;
	}
	/*
	 * The device's verdict on the data stands, unless dst was capped at
	 * its max_data_len: then a stream (-EINPROGRESS: it completes
	 * @areq); anything else (removal, an engine error) is done here.
	 */
	if (r->status == VIRTIO_ACCEL_BADMSG) {
		err = -EINVAL;
	} else if (r->status == VIRTIO_ACCEL_NOSPC &&
		   req->dst_len < areq->dlen) {
		err = vaccel_acomp_stream(areq);
		if (err == -EINPROGRESS)
			return err;
		return vaccel_acomp_sw_req(areq);
	} else if (r->status != VIRTIO_ACCEL_NOSPC) {
		return vaccel_acomp_sw_req(areq);
	}
	if (err)
		vaccel_acomp_put_dst(areq);
	return err;
}

static int vaccel_acomp_run(struct acomp_req *areq, bool comp)
{
	struct vaccel_acomp_rctx *rc = acomp_request_ctx(areq);
	struct vaccel_crypto_op op = {
		.calg = VACCEL_CALG_DEFLATE,
		.opcode = comp ? VIRTIO_ACCEL_OP_COMPRESS :
			  VIRTIO_ACCEL_OP_DECOMPRESS,
		.algo = VIRTIO_ACCEL_ALG_DEFLATE,
		.sg = areq->src,
		.src_len = areq->slen,
		.dst_cap = true,
		.base = &areq->base,
		.done = vaccel_acomp_done,
	};
	int err;

	rc->comp = comp;
	rc->dst_ours = false;
	if (!areq->dst) {
		gfp_t gfp = areq->base.flags & CRYPTO_TFM_REQ_MAY_SLEEP ?
			    GFP_KERNEL : GFP_ATOMIC;

		if (!areq->dlen || areq->dlen > CRYPTO_ACOMP_DST_MAX)
			areq->dlen = CRYPTO_ACOMP_DST_MAX;
		areq->dst = sgl_alloc(areq->dlen, gfp, NULL);
		if (!areq->dst)
			return -ENOMEM;
		rc->dst_ours = true;
	}
	op.dst_len = areq->dlen;
	err = vaccel_crypto_submit(&op);
	if (err == -EMSGSIZE)
		err = vaccel_acomp_stream(areq);
	if (err == -EINPROGRESS || err == -EBUSY)
		return err;
	return vaccel_acomp_fallback(areq);
}

static int vaccel_acomp_compress(struct acomp_req *areq)
{
	return vaccel_acomp_run(areq, true);
}

static int vaccel_acomp_decompress(struct acomp_req *areq)
{
	return vaccel_acomp_run(areq, false);
}

static void vaccel_acomp_dst_free(struct scatterlist *dst)
{
	if (dst)
		sgl_free(dst);
}

/* ---- tfms ------------------------------------------------------------- */

static int vaccel_acomp_init_tfm(struct crypto_acomp *tfm)
{
	struct vaccel_acomp_tfm *t = acomp_tfm_ctx(tfm);
	int err = -ENOMEM;

	memset(t, 0, sizeof(*t));
	mutex_init(&t->lock);
	/* the hosts' parameters (vdpa_accel_engine.c) */
	t->def.workspace = vzalloc(zlib_deflate_workspacesize(MAX_WBITS,
							      DEF_MEM_LEVEL));
	if (!t->def.workspace)
		return err;
	t->inf.workspace = vzalloc(zlib_inflate_workspacesize());
	if (!t->inf.workspace)
		goto free_def;
	err = -EINVAL;
	if (zlib_deflateInit2(&t->def, Z_DEFAULT_COMPRESSION, Z_DEFLATED,
			      -MAX_WBITS, DEF_MEM_LEVEL,
			      Z_DEFAULT_STRATEGY) != Z_OK)
		goto free_inf;
	if (zlib_inflateInit2(&t->inf, -MAX_WBITS) != Z_OK)
		goto end_def;
	vaccel_crypto_tfm_get();
	return 0;

end_def:
	zlib_deflateEnd(&t->def);
free_inf:
	vfree(t->inf.workspace);
free_def:
	vfree(t->def.workspace);
	return err;
}

static void vaccel_acomp_exit_tfm(struct crypto_acomp *tfm)
{
	struct vaccel_acomp_tfm *t = acomp_tfm_ctx(tfm);

	zlib_inflateEnd(&t->inf);
	zlib_deflateEnd(&t->def);
	vfree(t->inf.workspace);
	vfree(t->def.workspace);
	mutex_destroy(&t->lock);
	vaccel_crypto_tfm_put();
}

static struct acomp_alg vaccel_acomp_alg = {
	.compress = vaccel_acomp_compress,
	.decompress = vaccel_acomp_decompress,
	.dst_free = vaccel_acomp_dst_free,
	.init = vaccel_acomp_init_tfm,
	.exit = vaccel_acomp_exit_tfm,
	.reqsize = sizeof(struct vaccel_acomp_rctx),
	.base = {
		.cra_name = "deflate",
		.cra_driver_name = "deflate-virtio-accel",
		.cra_flags = CRYPTO_ALG_ASYNC | CRYPTO_ALG_KERN_DRIVER_ONLY |
			     CRYPTO_ALG_NEED_FALLBACK |
			     CRYPTO_ALG_ALLOCATES_MEMORY,
		.cra_ctxsize = sizeof(struct vaccel_acomp_tfm),
		.cra_module = THIS_MODULE,
	},
};

/* With the crypto API's mutex of virtio_accel_crypto.c held. */
int vaccel_acomp_register(int priority)
{
	int err;

	if (vaccel_acomp_registered)
		return 0;
	/* in the reclaim path of zswap: a rescuer */
	vaccel_acomp_wq = alloc_workqueue("vaccel_acomp_sw",
					  WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!vaccel_acomp_wq)
		return -ENOMEM;
	vaccel_acomp_alg.base.cra_priority = priority;
	err = crypto_register_acomp(&vaccel_acomp_alg);
	if (err)
		goto destroy_wq;
	vaccel_acomp_registered = true;
	return 0;

destroy_wq:
	destroy_workqueue(vaccel_acomp_wq);
	vaccel_acomp_wq = NULL;
	return err;
}

/* No tfm is left: no request, and no work item after its completion. */
void vaccel_acomp_unregister(void)
{
	if (!vaccel_acomp_registered)
		return;
	crypto_unregister_acomp(&vaccel_acomp_alg);
	destroy_workqueue(vaccel_acomp_wq);
	vaccel_acomp_wq = NULL;
	vaccel_acomp_registered = false;
}
