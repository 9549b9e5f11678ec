// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-accel guest driver: crypto API requests longer than a device's
 * max_data_len, as stream sessions (virtio-accel-spec section 9).
 *
 * The request path only picks a device and queues a work item (it never
 * sleeps); the work item, in process context, creates a stream session of
 * the kernel's own (virtio_accel_ctrl.c), sends the message in requests of
 * at most chunk_max bytes, one at a time on one data queue
 * ([STREAM-ORDER]), each read from the scatterlist at its offset into one
 * chunk buffer, FINAL on the last, then destroys the session and completes
 * the crypto request. What a stream costs the kernel is one chunk buffer
 * per running work item, and at most VACCEL_STREAM_ACTIVE of them run at
 * once; the work item lives in the request's context, so pending streams
 * cost nothing more.
 *
 * Until a request of the stream was handed to the device, any failure (no
 * stream support, the session table full, no memory, the device gone)
 * falls back to software (op.fallback, counted in crypto_fallback_stream);
 * after that, a failure completes the request with the error. Device
 * removal fails the request on the ring with -ENODEV and waits here for
 * the work items of the device (vaccel_stream_drain); module unload waits
 * for all of them (the workqueue).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/algapi.h>
#include <linux/sched/mm.h>

#include "virtio_accel_common.h"

/* bound on one chunk buffer, and on the stream works running at once */
#define VACCEL_STREAM_CHUNK_MAX	SZ_2M
#define VACCEL_STREAM_ACTIVE	8

static struct workqueue_struct *vaccel_stream_wq;

/* /sys/class/vaccel/crypto_streams, crypto_fallback_stream */
atomic_long_t vaccel_crypto_streamed;
atomic_long_t vaccel_crypto_sw_stream;

/* The device negotiated streams and has them for (@op, @algo). */
static bool vaccel_stream_ok(struct vaccel_dev *vd, u32 op, u32 algo)
{
	unsigned int i;

	if (!(vd->driver_features & BIT_ULL(VIRTIO_ACCEL_F_STREAM)))
		return false;
	for (i = 0; i < vd->n_caps; i++)
		if (le32_to_cpu(vd->caps[i].op) == op &&
		    le32_to_cpu(vd->caps[i].algo) == algo)
			return le32_to_cpu(vd->caps[i].flags) &
			       VIRTIO_ACCEL_CAP_F_STREAM;
	return false;
}

/* HASH and MAC: every request but the last carries chunk_max bytes. */
static int vaccel_stream_next_digest(struct vaccel_stream *s,
				     struct vaccel_stream_chunk *c)
{
	u32 rest = s->op.src_len - s->src_done;

	c->final = rest <= s->chunk_max;
	c->src_len = c->final ? rest : s->chunk_max;
	c->dst_len = c->final ? s->op.dst_len : 0;
	return 0;
}

/* Request @c of the stream on session @sid, its data read from op.sg. */
static struct vaccel_req *vaccel_stream_req(struct vaccel_stream *s, u64 sid,
					    struct vaccel_vq *q,
					    const struct vaccel_stream_chunk *c)
{
	const struct vaccel_crypto_op *op = &s->op;
	/* [STREAM-START]: IV and AAD in the first request only */
	u32 iv_len = s->sent ? 0 : op->iv_len;
	u32 aad_len = s->sent ? 0 : op->aad_len;
	struct virtio_accel_op_req hdr = {
		.opcode = cpu_to_le32(op->opcode),
		.algo = cpu_to_le32(op->algo),
		.session_id = cpu_to_le64(sid),
		.flags = cpu_to_le32(c->final ? VIRTIO_ACCEL_OP_F_FINAL : 0),
		.iv_len = cpu_to_le32(iv_len),
		.aad_len = cpu_to_le32(aad_len),
		.src_len = cpu_to_le32(c->src_len),
		.dst_len = cpu_to_le32(c->dst_len),
	};
	size_t off = sizeof(hdr);
	struct vaccel_req *req;
	int err = -ENOMEM;

	req = vaccel_req_alloc_kern(s->vd, GFP_KERNEL);
	if (!req)
		return ERR_PTR(-ENOMEM);
	req->q = q;
	req->sess_epoch = s->epoch;
	/* an encryption's plaintext does not outlive the request */
	req->sensitive = op->opcode == VIRTIO_ACCEL_OP_AEAD_ENCRYPT;
	req->src_len = c->src_len;
	req->dst_len = c->dst_len;
	if (vaccel_buf_alloc(&req->rd, off + iv_len + aad_len + c->src_len,
			     req->gfp) ||
	    vaccel_buf_alloc(&req->wr, c->dst_len +
			     sizeof(struct virtio_accel_op_resp),
			     req->gfp | __GFP_ZERO))
		goto put;
	vaccel_buf_xfer(&req->rd, 0, &hdr, NULL, sizeof(hdr),
			VACCEL_FROM_KERN);
	if (iv_len)
		vaccel_buf_xfer(&req->rd, off, (void *)op->iv, NULL, iv_len,
				VACCEL_FROM_KERN);
	off += iv_len;
	vaccel_buf_from_sg(&req->rd, off, op->sg, 0, aad_len);
	off += aad_len;
	vaccel_buf_from_sg(&req->rd, off, op->sg, op->aad_len + s->src_done,
			   c->src_len);
	err = vaccel_req_map(req, false);
	if (!err)
		return req;
put:
	vaccel_req_put(req);
	return ERR_PTR(err);
}

/* Send the stream on session @sid until it is done; 0 or -errno. */
static int vaccel_stream_run(struct vaccel_stream *s, u64 sid)
{
	struct vaccel_dev *vd = s->vd;
	/* [STREAM-ORDER]: one queue for the whole stream */
	struct vaccel_vq *q = &vd->qs[VIRTIO_ACCEL_DATAQ((u32)sid %
							 vd->nr_dataqs)];
	struct vaccel_stream_chunk c;
	struct vaccel_result r;
	struct vaccel_req *req;
	int err;

	for (;;) {
		err = s->next ? s->next(s, &c) : vaccel_stream_next_digest(s, &c);
		if (err)
			return err;
		req = vaccel_stream_req(s, sid, q, &c);
		if (IS_ERR(req)) {
			/* memory is short: smaller requests will do */
			if (PTR_ERR(req) != -ENOMEM || s->chunk_max <= PAGE_SIZE)
				return PTR_ERR(req);
			s->chunk_max = max_t(u32, PAGE_SIZE, s->chunk_max / 2);
			continue;
		}
		err = vaccel_req_queue(req, true);
		if (err) {
			vaccel_req_put(req);
			return err;
		}
		if (!s->sent++)
			atomic_long_inc(&vaccel_crypto_streamed);
		/* removal completes it with -ENODEV; no hung-task report */
		wait_for_completion_state(&req->done, TASK_IDLE);
		err = vaccel_op_result(req, &r);
		/* a request that moves nothing would loop forever */
		if (!err && c.src_len && !r.src_used && !r.dst_used)
			err = -EIO;
		if (!err)
			err = s->chunk_done(s, &c, req, &r);
		vaccel_req_put(req);
		if (err <= 0)
			return err;
		s->src_done += r.src_used;
		s->dst_done += r.dst_used;
	}
}

static void vaccel_stream_work(struct work_struct *work)
{
	struct vaccel_stream *s = container_of(work, struct vaccel_stream,
					       work);
	struct crypto_async_request *base = s->op.base;
	struct vaccel_dev *vd = s->vd;
	unsigned int noio;
	u64 sid = 0;
	int err;

	/* a kernel user may hash on the way to storage: no I/O to reclaim */
	noio = memalloc_noio_save();
	err = vaccel_kern_sess_create(vd, s->op.opcode, s->op.algo,
				      VIRTIO_ACCEL_SESS_F_STREAM, s->op.key,
				      s->op.key_len, &sid, &s->epoch);
	if (!err) {
		err = vaccel_stream_run(s, sid);
		vaccel_kern_sess_destroy(vd, sid, s->epoch);
	}
	if (err && !s->sent) {
		atomic_long_inc(&vaccel_crypto_sw_stream);
		err = s->fallback(s);
	} else if (s->end) {
		err = s->end(s, err);
	}
	memalloc_noio_restore(noio);
	local_bh_disable();
	crypto_request_complete(base, err);
	local_bh_enable();
	/* @s may be gone now */
	if (atomic_dec_and_test(&vd->crypto_streams))
		wake_up_all(&vd->crypto_streams_wq);
	put_device(&vd->dev);
}

/*
 * Any context: run @s on a device that has streams for its op; never
 * sleeps. -EINPROGRESS: taken (it completes through op.base); else
 * nothing was done, and the caller does it in software.
 */
int vaccel_stream_submit(struct vaccel_stream *s)
{
	struct vaccel_dev *vd = vaccel_crypto_pick(s->op.calg);

	if (!vd)
		return -ENODEV;
	if (!vaccel_stream_ok(vd, s->op.opcode, s->op.algo) ||
	    s->op.aad_len > vd->max_aad_len) {
		put_device(&vd->dev);
		return -EOPNOTSUPP;
	}
	s->vd = vd;			/* with the reference */
	s->chunk_max = min_t(u32, vd->max_data_len, VACCEL_STREAM_CHUNK_MAX);
	s->src_done = 0;
	s->dst_done = 0;
	s->sent = 0;
	atomic_inc(&vd->crypto_streams);
	INIT_WORK(&s->work, vaccel_stream_work);
	queue_work(vaccel_stream_wq, &s->work);
	return -EINPROGRESS;
}

void vaccel_stream_dev_init(struct vaccel_dev *vd)
{
	atomic_set(&vd->crypto_streams, 0);
	init_waitqueue_head(&vd->crypto_streams_wq);
}

/*
 * Removal, after the device was stopped: the requests of running streams
 * failed with -ENODEV, every later one fails at once; wait for their work
 * items to complete their crypto requests.
 */
void vaccel_stream_drain(struct vaccel_dev *vd)
{
	wait_event(vd->crypto_streams_wq, !atomic_read(&vd->crypto_streams));
}

int vaccel_stream_init(void)
{
	/* in the reclaim path of a kernel user: a rescuer */
	vaccel_stream_wq = alloc_workqueue("vaccel_stream",
					   WQ_UNBOUND | WQ_MEM_RECLAIM,
					   VACCEL_STREAM_ACTIVE);
	return vaccel_stream_wq ? 0 : -ENOMEM;
}

void vaccel_stream_exit(void)
{
	destroy_workqueue(vaccel_stream_wq);
}
