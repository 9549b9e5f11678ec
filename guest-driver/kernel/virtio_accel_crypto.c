// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-accel guest driver: algorithms of the kernel crypto API.
 *
 * sha256, hmac(sha256) and crc32c as asynchronous ahash
 * ("sha256-virtio-accel", "hmac-sha256-virtio-accel", "crc32c-virtio-accel"),
 * registered once for the first device that can do one of them and removed
 * with the last (as virtio_crypto_mgr does), and with them deflate as acomp
 * (virtio_accel_acomp.c).
 * Priority: the module parameter crypto_priority, by default below the
 * kernel's own implementations, so that nothing changes unless the operator
 * raises it.
 *
 * A whole message (digest, or finup on a fresh state) goes to a device as
 * one stateless request and completes from the virtqueue callback through
 * a work item, with bottom halves off as a softirq would have them. The
 * request path never sleeps unless the caller allows it: memory is taken
 * with GFP_ATOMIC otherwise, and a full ring puts the request on the
 * queue's backlog (-EBUSY) only with CRYPTO_TFM_REQ_MAY_BACKLOG.
 *
 * What the device cannot take is hashed here in software with the kernel's
 * SHA-256 and CRC-32C library code (never through the crypto API, so never
 * through us): partial states (update, final after update, export/import),
 * a crc32c seed other than the default ~0 (the device has none), a full
 * ring without backlog, no memory, no device. Those are counted in
 * /sys/class/vaccel/crypto_*.
 *
 * A whole message longer than the device's max_data_len runs as a stream
 * session (virtio_accel_stream.c), or in software, counted, when no device
 * with streams can take it.
 *
 * Every algorithm registered here is CRYPTO_ALG_ASYNC and
 * CRYPTO_ALG_KERN_DRIVER_ONLY, and is a whole algorithm (never a building
 * block a template could use): the vDPA parent allocates its engines with
 * CRYPTO_ALG_KERN_DRIVER_ONLY masked out, so on data path 3 it can never
 * be handed ours.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/internal/hash.h>
#include <crypto/scatterwalk.h>
#include <crypto/sha2.h>
#include <linux/crc32.h>
#include <linux/unaligned.h>

#include "virtio_accel_common.h"

/*
 * 50: below sha256-generic (100) and the CPU's own (150 and more). Read
 * when the algorithms are registered (the first device).
 */
static int crypto_priority = 50;
module_param(crypto_priority, int, 0644);
MODULE_PARM_DESC(crypto_priority,
		 "crypto API priority of the device's algorithms (default 50, below the kernel's own)");

static DEFINE_MUTEX(vaccel_crypto_mutex);	/* registration, ndevs */
static DEFINE_SPINLOCK(vaccel_crypto_lock);	/* vaccel_crypto_devs */
static LIST_HEAD(vaccel_crypto_devs);
static unsigned int vaccel_crypto_ndevs;
static bool vaccel_crypto_registered;
static atomic_t vaccel_crypto_tfms = ATOMIC_INIT(0);

/* /sys/class/vaccel/crypto_* */
static atomic_long_t vaccel_crypto_offloaded;	/* sent to a device */
static atomic_long_t vaccel_crypto_sw_partial;	/* partial state: software */
static atomic_long_t vaccel_crypto_sw_other;	/* whole message: software */
static atomic_long_t vaccel_crypto_backlogged;	/* -EBUSY returned */

#define VACCEL_CRC32C_SEED	(~0U)	/* the kernel's crc32c default key */

struct vaccel_hash_tfm {
	unsigned int calg;		/* VACCEL_CALG_* */
	bool hmac;
	u32 crc_key;			/* crc32c: the seed (setkey, le32) */
	u8 key[SHA256_BLOCK_SIZE];	/* HMAC: K0, RFC 2104 */
	struct sha256_state ipad;	/* HMAC: state after K0 ^ ipad */
	struct sha256_state opad;
};

/* What export/import carry; the request context starts with it. */
struct vaccel_hash_state {
	union {
		struct sha256_state s;
		u32 crc;		/* crc32c: not inverted */
	};
	u32 fresh;			/* nothing hashed since init */
};

struct vaccel_hash_req {
	struct vaccel_hash_state st;
	struct vaccel_stream stream;	/* a message above max_data_len */
};

static struct vaccel_hash_tfm *vaccel_tctx(struct ahash_request *areq)
{
	return crypto_ahash_ctx(crypto_ahash_reqtfm(areq));
}

/* ---- software: the kernel's SHA-256 library ------------------------- */

static void vaccel_sw_update(struct vaccel_hash_tfm *t,
			     struct vaccel_hash_state *st,
			     struct ahash_request *areq)
{
	struct crypto_hash_walk walk;
	int n;

	for (n = crypto_hash_walk_first(areq, &walk); n > 0;
	     n = crypto_hash_walk_done(&walk, 0)) {
		if (t->calg == VACCEL_CALG_CRC32C)
			st->crc = __crc32c_le(st->crc, walk.data, n);
		else
			sha256_update(&st->s, walk.data, n);
	}
}

static void vaccel_sw_final(struct vaccel_hash_tfm *t,
			    struct vaccel_hash_state *st, u8 *out)
{
	struct sha256_state *s = &st->s;
	struct sha256_state o;
	u8 inner[SHA256_DIGEST_SIZE];

	if (t->calg == VACCEL_CALG_CRC32C) {
		put_unaligned_le32(~st->crc, out);
		return;
	}
	if (!t->hmac) {
		sha256_final(s, out);
		return;
	}
	sha256_final(s, inner);
	o = t->opad;
	sha256_update(&o, inner, sizeof(inner));
	sha256_final(&o, out);
	memzero_explicit(inner, sizeof(inner));
}

static void vaccel_sw_start(struct vaccel_hash_tfm *t,
			    struct vaccel_hash_state *st)
{
	if (t->calg == VACCEL_CALG_CRC32C)
		st->crc = t->crc_key;
	else if (t->hmac)
		st->s = t->ipad;
	else
		sha256_init(&st->s);
}

/* The whole message in software; counted by the caller. */
static int vaccel_sw_digest(struct ahash_request *areq)
{
	struct vaccel_hash_tfm *t = vaccel_tctx(areq);
	struct vaccel_hash_state st;

	vaccel_sw_start(t, &st);
	vaccel_sw_update(t, &st, areq);
	vaccel_sw_final(t, &st, areq->result);
	memzero_explicit(&st, sizeof(st));
	return 0;
}

/* ---- devices --------------------------------------------------------- */

/* A tfm of any of our algorithms keeps them registered (see _del). */
void vaccel_crypto_tfm_get(void)
{
	atomic_inc(&vaccel_crypto_tfms);
}

void vaccel_crypto_tfm_put(void)
{
	atomic_dec(&vaccel_crypto_tfms);
}

/* A device that can do @calg, with a reference; round robin. */
struct vaccel_dev *vaccel_crypto_pick(unsigned int calg)
{
	struct vaccel_dev *vd, *found = NULL;
	unsigned long flags;

	spin_lock_irqsave(&vaccel_crypto_lock, flags);
	list_for_each_entry(vd, &vaccel_crypto_devs, crypto_node) {
		if (!(vd->crypto_algs & BIT(calg)))
			continue;
		found = vd;
		get_device(&vd->dev);
		/* the next request starts with the next device */
		list_move_tail(&vd->crypto_node, &vaccel_crypto_devs);
		break;
	}
	spin_unlock_irqrestore(&vaccel_crypto_lock, flags);
	return found;
}

/* Copy @len bytes of @sg from its offset @sg_off into @b at offset @off. */
void vaccel_buf_from_sg(struct vaccel_buf *b, size_t off,
			struct scatterlist *sg, unsigned int sg_off,
			unsigned int len)
{
	unsigned int i, done = 0;

	for (i = 0; i < b->nr && done < len; i++) {
		size_t n;

		if (off >= b->c[i].len) {
			off -= b->c[i].len;
			continue;
		}
		n = min_t(size_t, len - done, b->c[i].len - off);
		scatterwalk_map_and_copy(b->c[i].p + off, sg, sg_off + done,
					 n, 0);
		done += n;
		off = 0;
	}
}

/*
 * Send @op to a device: -EINPROGRESS, or -EBUSY when it went to a queue's
 * backlog (CRYPTO_TFM_REQ_MAY_BACKLOG), else an error that means "nothing
 * was sent; do it in software".
 */
int vaccel_crypto_submit(const struct vaccel_crypto_op *op)
{
	bool may_sleep = op->base->flags & CRYPTO_TFM_REQ_MAY_SLEEP;
	bool backlog = op->base->flags & CRYPTO_TFM_REQ_MAY_BACKLOG;
	gfp_t gfp = may_sleep ? GFP_KERNEL : GFP_ATOMIC;
	struct virtio_accel_op_req hdr = {};
	size_t off = sizeof(hdr);
	struct vaccel_dev *vd;
	struct vaccel_req *req;
	u32 dst_len;
	int err;

	vd = vaccel_crypto_pick(op->calg);
	if (!vd)
		return -ENODEV;
	dst_len = op->dst_cap ? min(op->dst_len, vd->max_data_len) :
		  op->dst_len;
	err = -EMSGSIZE;	/* a stream would do */
	if (op->src_len > vd->max_data_len || dst_len > vd->max_data_len ||
	    op->aad_len > vd->max_aad_len)
		goto put_dev;
	err = -ENOMEM;
	req = vaccel_req_alloc_kern(vd, gfp);
	if (!req)
		goto put_dev;
	req->q = &vd->qs[VIRTIO_ACCEL_DATAQ(raw_smp_processor_id() %
					    vd->nr_dataqs)];
	req->sensitive = op->key_len;
	req->src_len = op->src_len;
	req->dst_len = dst_len;
	if (vaccel_buf_alloc(&req->rd, sizeof(hdr) + op->key_len + op->iv_len +
			     op->aad_len + op->src_len, gfp) ||
	    vaccel_buf_alloc(&req->wr, dst_len +
			     sizeof(struct virtio_accel_op_resp),
			     gfp | __GFP_ZERO))
		goto put_req;
	hdr.opcode = cpu_to_le32(op->opcode);
	hdr.algo = cpu_to_le32(op->algo);
	hdr.key_len = cpu_to_le32(op->key_len);
	hdr.iv_len = cpu_to_le32(op->iv_len);
	hdr.aad_len = cpu_to_le32(op->aad_len);
	hdr.src_len = cpu_to_le32(op->src_len);
	hdr.dst_len = cpu_to_le32(dst_len);
	vaccel_buf_xfer(&req->rd, 0, &hdr, NULL, sizeof(hdr),
			VACCEL_FROM_KERN);
	if (op->key_len)
		vaccel_buf_xfer(&req->rd, off, (void *)op->key, NULL,
				op->key_len, VACCEL_FROM_KERN);
	off += op->key_len;
	if (op->iv_len)
		vaccel_buf_xfer(&req->rd, off, (void *)op->iv, NULL,
				op->iv_len, VACCEL_FROM_KERN);
	off += op->iv_len;
	vaccel_buf_from_sg(&req->rd, off, op->sg, 0,
			   op->aad_len + op->src_len);
	err = vaccel_req_map(req, false);
	if (err)
		goto put_req;
	req->crypto = op->base;
	req->crypto_done = op->done;
	err = vaccel_req_queue_nowait(req, backlog);
	if (!err) {
		err = -EINPROGRESS;
		atomic_long_inc(&vaccel_crypto_offloaded);
	} else if (err == -EBUSY) {
		atomic_long_inc(&vaccel_crypto_offloaded);
		atomic_long_inc(&vaccel_crypto_backlogged);
	}
put_req:
	/*
	 * On the ring or the backlog, the request keeps our reference and the
	 * virtqueue's until the completion; else it goes now, in any context.
	 */
	if (err != -EINPROGRESS && err != -EBUSY) {
		req->crypto = NULL;
		vaccel_req_put_atomic(req);
	}
put_dev:
	put_device(&vd->dev);
	return err;
}

/* The device's digest is the result. */
static int vaccel_hash_done(struct vaccel_req *req,
			    const struct vaccel_result *r, int err)
{
	struct ahash_request *areq = ahash_request_cast(req->crypto);

	if (!err && r->dst_used != req->dst_len)
		err = -EIO;
	if (!err)
		vaccel_buf_xfer(&req->wr, 0, areq->result, NULL, req->dst_len,
				VACCEL_TO_KERN);
	return err;
}

/*
 * The device's operation on the whole message of @areq, in one request or
 * a stream. HMAC: K0 is the key (its zero padding changes nothing).
 */
static void vaccel_hash_op(struct ahash_request *areq,
			   struct vaccel_crypto_op *op)
{
	struct vaccel_hash_tfm *t = vaccel_tctx(areq);

	*op = (struct vaccel_crypto_op) {
		.calg = t->calg,
		.opcode = t->hmac ? VIRTIO_ACCEL_OP_MAC : VIRTIO_ACCEL_OP_HASH,
		.algo = t->hmac ? VIRTIO_ACCEL_ALG_HMAC_SHA256 :
			t->calg == VACCEL_CALG_CRC32C ?
			VIRTIO_ACCEL_ALG_CRC32C : VIRTIO_ACCEL_ALG_SHA256,
		.key = t->key,
		.key_len = t->hmac ? SHA256_BLOCK_SIZE : 0,
		.sg = areq->src,
		.src_len = areq->nbytes,
		.dst_len = crypto_ahash_digestsize(crypto_ahash_reqtfm(areq)),
		.base = &areq->base,
		.done = vaccel_hash_done,
	};
}

/* The whole message of @areq to a device, as vaccel_crypto_submit(). */
static int vaccel_hash_submit(struct ahash_request *areq)
{
	struct vaccel_hash_tfm *t = vaccel_tctx(areq);
	struct vaccel_crypto_op op;

	/* the device's CRC-32C starts from ~0: another seed is ours to do */
	if (t->calg == VACCEL_CALG_CRC32C && t->crc_key != VACCEL_CRC32C_SEED)
		return -EINVAL;
	vaccel_hash_op(areq, &op);
	return vaccel_crypto_submit(&op);
}

/* A stream request went through: the final one carries the digest. */
static int vaccel_hash_chunk_done(struct vaccel_stream *s,
				  const struct vaccel_stream_chunk *c,
				  struct vaccel_req *req,
				  const struct vaccel_result *r)
{
	struct ahash_request *areq = ahash_request_cast(s->op.base);

	if (r->src_used != c->src_len)
		return -EIO;
	if (!c->final)
		return 1;
	if (r->dst_used != c->dst_len)
		return -EIO;
	vaccel_buf_xfer(&req->wr, 0, areq->result, NULL, c->dst_len,
			VACCEL_TO_KERN);
	return 0;
}

static int vaccel_hash_stream_fallback(struct vaccel_stream *s)
{
	return vaccel_sw_digest(ahash_request_cast(s->op.base));
}

/* A message longer than the device takes in one request: a stream. */
static int vaccel_hash_stream(struct ahash_request *areq)
{
	struct vaccel_hash_req *rctx = ahash_request_ctx(areq);
	struct vaccel_stream *s = &rctx->stream;

	memset(s, 0, sizeof(*s));
	/* as one request: the crc32c seed was checked there */
	vaccel_hash_op(areq, &s->op);
	s->chunk_done = vaccel_hash_chunk_done;
	s->fallback = vaccel_hash_stream_fallback;
	return vaccel_stream_submit(s);
}

/* digest: a whole message */
static int vaccel_hash_whole(struct ahash_request *areq)
{
	int err = vaccel_hash_submit(areq);
	atomic_long_t *cnt = &vaccel_crypto_sw_other;

	if (err == -EMSGSIZE) {
		err = vaccel_hash_stream(areq);
		cnt = &vaccel_crypto_sw_stream;
	}
	if (err == -EINPROGRESS || err == -EBUSY)
		return err;
	atomic_long_inc(cnt);
	return vaccel_sw_digest(areq);
}

/* ---- completion ----------------------------------------------------- */

/* With q->lock held, any context: the device is done with @req. */
void vaccel_crypto_finish(struct vaccel_req *req)
{
	struct vaccel_dev *vd = req->vd;

	llist_add(&req->crypto_lnode, &vd->crypto_done);
	/* a pending work item holds a device reference */
	get_device(&vd->dev);
	if (!schedule_work(&vd->crypto_work))
		put_device(&vd->dev);
}

/*
 * With q->lock held: a backlogged @req left the backlog, for the ring or
 * failed (removal, reset): its -EINPROGRESS, before its result.
 */
void vaccel_crypto_started(struct vaccel_req *req)
{
	struct vaccel_dev *vd = req->vd;

	refcount_inc(&req->ref);
	llist_add(&req->crypto_pnode, &vd->crypto_prog);
	get_device(&vd->dev);
	if (!schedule_work(&vd->crypto_work))
		put_device(&vd->dev);
}

static void vaccel_crypto_work(struct work_struct *work)
{
	struct vaccel_dev *vd = container_of(work, struct vaccel_dev,
					     crypto_work);
	struct llist_node *prog, *done;
	struct vaccel_req *req, *tmp;

	/*
	 * A request goes on crypto_prog before it can be on crypto_done:
	 * taking done first, then prog, and running prog first gives each
	 * its -EINPROGRESS before its result, in this run or the next.
	 */
	done = llist_reverse_order(llist_del_all(&vd->crypto_done));
	prog = llist_reverse_order(llist_del_all(&vd->crypto_prog));
	llist_for_each_entry_safe(req, tmp, prog, crypto_pnode) {
		local_bh_disable();
		crypto_request_complete(req->crypto, -EINPROGRESS);
		local_bh_enable();
		vaccel_req_put(req);
	}
	llist_for_each_entry_safe(req, tmp, done, crypto_lnode) {
		struct vaccel_result r;
		int err;

		err = vaccel_op_result(req, &r);
		/* -EINPROGRESS: it went on as a stream, which completes it */
		err = req->crypto_done(req, &r, err);
		if (err != -EINPROGRESS) {
			local_bh_disable();
			crypto_request_complete(req->crypto, err);
			local_bh_enable();
		}
		/* ours and the virtqueue's */
		vaccel_req_put(req);
		vaccel_req_put(req);
	}
	put_device(&vd->dev);
}

/* ---- ahash ---------------------------------------------------------- */

static int vaccel_hash_init(struct ahash_request *areq)
{
	struct vaccel_hash_state *st = ahash_request_ctx(areq);

	vaccel_sw_start(vaccel_tctx(areq), st);
	st->fresh = 1;
	return 0;
}

static int vaccel_hash_update(struct ahash_request *areq)
{
	struct vaccel_hash_state *st = ahash_request_ctx(areq);

	if (!areq->nbytes)
		return 0;
	atomic_long_inc(&vaccel_crypto_sw_partial);
	vaccel_sw_update(vaccel_tctx(areq), st, areq);
	st->fresh = 0;
	return 0;
}

static int vaccel_hash_final(struct ahash_request *areq)
{
	struct vaccel_hash_state *st = ahash_request_ctx(areq);

	atomic_long_inc(&vaccel_crypto_sw_partial);
	vaccel_sw_final(vaccel_tctx(areq), st, areq->result);
	return 0;
}

static int vaccel_hash_finup(struct ahash_request *areq)
{
	struct vaccel_hash_state *st = ahash_request_ctx(areq);

	/* nothing hashed yet: the whole message is in this request */
	if (st->fresh)
		return vaccel_hash_whole(areq);
	atomic_long_inc(&vaccel_crypto_sw_partial);
	vaccel_sw_update(vaccel_tctx(areq), st, areq);
	vaccel_sw_final(vaccel_tctx(areq), st, areq->result);
	return 0;
}

static int vaccel_hash_digest(struct ahash_request *areq)
{
	return vaccel_hash_whole(areq);
}

static int vaccel_hash_export(struct ahash_request *areq, void *out)
{
	memcpy(out, ahash_request_ctx(areq), sizeof(struct vaccel_hash_state));
	return 0;
}

static int vaccel_hash_import(struct ahash_request *areq, const void *in)
{
	memcpy(ahash_request_ctx(areq), in, sizeof(struct vaccel_hash_state));
	return 0;
}

/* RFC 2104: a key longer than a block is hashed; K0 is it zero-padded. */
static int vaccel_hmac_setkey(struct crypto_ahash *tfm, const u8 *key,
			      unsigned int keylen)
{
	struct vaccel_hash_tfm *t = crypto_ahash_ctx(tfm);
	u8 pad[SHA256_BLOCK_SIZE];
	unsigned int i;

	memset(t->key, 0, sizeof(t->key));
	if (keylen > SHA256_BLOCK_SIZE)
		sha256(key, keylen, t->key);
	else
		memcpy(t->key, key, keylen);
	for (i = 0; i < SHA256_BLOCK_SIZE; i++)
		pad[i] = t->key[i] ^ 0x36;
	sha256_init(&t->ipad);
	sha256_update(&t->ipad, pad, sizeof(pad));
	for (i = 0; i < SHA256_BLOCK_SIZE; i++)
		pad[i] = t->key[i] ^ 0x5c;
	sha256_init(&t->opad);
	sha256_update(&t->opad, pad, sizeof(pad));
	memzero_explicit(pad, sizeof(pad));
	return 0;
}

static int vaccel_hash_init_tfm(struct crypto_ahash *tfm, unsigned int calg)
{
	struct vaccel_hash_tfm *t = crypto_ahash_ctx(tfm);

	t->calg = calg;
	t->hmac = calg == VACCEL_CALG_HMAC_SHA256;
	t->crc_key = VACCEL_CRC32C_SEED;
	crypto_ahash_set_reqsize(tfm, sizeof(struct vaccel_hash_req));
	vaccel_crypto_tfm_get();
	return 0;
}

static int vaccel_sha256_init_tfm(struct crypto_ahash *tfm)
{
	return vaccel_hash_init_tfm(tfm, VACCEL_CALG_SHA256);
}

static int vaccel_hmac_init_tfm(struct crypto_ahash *tfm)
{
	return vaccel_hash_init_tfm(tfm, VACCEL_CALG_HMAC_SHA256);
}

static int vaccel_crc32c_init_tfm(struct crypto_ahash *tfm)
{
	return vaccel_hash_init_tfm(tfm, VACCEL_CALG_CRC32C);
}

/* The kernel's crc32c: the key is the seed, four bytes, little-endian. */
static int vaccel_crc32c_setkey(struct crypto_ahash *tfm, const u8 *key,
				unsigned int keylen)
{
	struct vaccel_hash_tfm *t = crypto_ahash_ctx(tfm);

	if (keylen != sizeof(u32))
		return -EINVAL;
	t->crc_key = get_unaligned_le32(key);
	return 0;
}

static void vaccel_hash_exit_tfm(struct crypto_ahash *tfm)
{
	struct vaccel_hash_tfm *t = crypto_ahash_ctx(tfm);

	memzero_explicit(t, sizeof(*t));
	vaccel_crypto_tfm_put();
}

#define VACCEL_AHASH(_name, _drv, _init_tfm, _setkey, _dsize, _bsize,	\
		     _flags)						\
{									\
	.init = vaccel_hash_init,					\
	.update = vaccel_hash_update,					\
	.final = vaccel_hash_final,					\
	.finup = vaccel_hash_finup,					\
	.digest = vaccel_hash_digest,					\
	.export = vaccel_hash_export,					\
	.import = vaccel_hash_import,					\
	.setkey = _setkey,						\
	.init_tfm = _init_tfm,						\
	.exit_tfm = vaccel_hash_exit_tfm,				\
	.halg = {							\
		.digestsize = _dsize,					\
		.statesize = sizeof(struct vaccel_hash_state),		\
		.base = {						\
			.cra_name = _name,				\
			.cra_driver_name = _drv,			\
			.cra_flags = CRYPTO_ALG_ASYNC |			\
				     CRYPTO_ALG_KERN_DRIVER_ONLY |	\
				     CRYPTO_ALG_ALLOCATES_MEMORY |	\
				     (_flags),				\
			.cra_blocksize = _bsize,			\
			.cra_ctxsize = sizeof(struct vaccel_hash_tfm),	\
			.cra_module = THIS_MODULE,			\
		},							\
	},								\
}

static struct ahash_alg vaccel_ahash_algs[VACCEL_CALG_NR_AHASH] = {
	[VACCEL_CALG_SHA256] = VACCEL_AHASH("sha256", "sha256-virtio-accel",
					    vaccel_sha256_init_tfm, NULL,
					    SHA256_DIGEST_SIZE,
					    SHA256_BLOCK_SIZE, 0),
	[VACCEL_CALG_HMAC_SHA256] = VACCEL_AHASH("hmac(sha256)",
						 "hmac-sha256-virtio-accel",
						 vaccel_hmac_init_tfm,
						 vaccel_hmac_setkey,
						 SHA256_DIGEST_SIZE,
						 SHA256_BLOCK_SIZE, 0),
	/* as crc32c-generic: a seed may be set, blocks of one byte */
	[VACCEL_CALG_CRC32C] = VACCEL_AHASH("crc32c", "crc32c-virtio-accel",
					    vaccel_crc32c_init_tfm,
					    vaccel_crc32c_setkey,
					    sizeof(u32), 1,
					    CRYPTO_ALG_OPTIONAL_KEY),
};

/* ---- devices come and go ---------------------------------------------- */

static bool vaccel_has_cap(struct vaccel_dev *vd, u32 op, u32 algo)
{
	unsigned int i;

	for (i = 0; i < vd->n_caps; i++)
		if (le32_to_cpu(vd->caps[i].op) == op &&
		    le32_to_cpu(vd->caps[i].algo) == algo)
			return true;
	return false;
}

void vaccel_crypto_dev_init(struct vaccel_dev *vd)
{
	INIT_LIST_HEAD(&vd->crypto_node);
	init_llist_head(&vd->crypto_done);
	init_llist_head(&vd->crypto_prog);
	INIT_WORK(&vd->crypto_work, vaccel_crypto_work);
	vaccel_stream_dev_init(vd);
}

/*
 * The kernel's own hmac(sha256) is a template instance, made the first
 * time someone asks for it. A lookup by name takes an algorithm already
 * registered over a template it could still build, so if ours came first
 * "hmac(sha256)" would be ours at any priority, even below the kernel's
 * sha256 (and again after ours, registered above it, made the crypto API
 * drop the instance built on the lower sha256). Asking for the shash
 * first builds it (the hmac template takes shash only: never ours);
 * the instance stays registered when the tfm goes. gcm(aes) does the same
 * in vaccel_aead_register() (its fallback); sha256, crc32c and deflate
 * are plain algorithms of their modules.
 */
static void vaccel_crypto_sw_first(void)
{
	struct crypto_shash *sw = crypto_alloc_shash("hmac(sha256)", 0, 0);

	if (IS_ERR(sw))
		pr_info("no software hmac(sha256): %ld\n", PTR_ERR(sw));
	else
		crypto_free_shash(sw);
}

/* After probe: the device serves the algorithms it has. */
void vaccel_crypto_add(struct vaccel_dev *vd)
{
	unsigned int i;
	int err;

	if (vaccel_has_cap(vd, VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_SHA256))
		vd->crypto_algs |= BIT(VACCEL_CALG_SHA256);
	if (vaccel_has_cap(vd, VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_CRC32C))
		vd->crypto_algs |= BIT(VACCEL_CALG_CRC32C);
	/* stateless: the key travels with each request */
	if (vaccel_has_cap(vd, VIRTIO_ACCEL_OP_MAC,
			   VIRTIO_ACCEL_ALG_HMAC_SHA256) &&
	    virtio_has_feature(vd->vdev, VIRTIO_ACCEL_F_STATELESS))
		vd->crypto_algs |= BIT(VACCEL_CALG_HMAC_SHA256);
	if (vaccel_has_cap(vd, VIRTIO_ACCEL_OP_COMPRESS,
			   VIRTIO_ACCEL_ALG_DEFLATE) &&
	    vaccel_has_cap(vd, VIRTIO_ACCEL_OP_DECOMPRESS,
			   VIRTIO_ACCEL_ALG_DEFLATE))
		vd->crypto_algs |= BIT(VACCEL_CALG_DEFLATE);
	if (vaccel_has_cap(vd, VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
			   VIRTIO_ACCEL_ALG_AES256_GCM) &&
	    vaccel_has_cap(vd, VIRTIO_ACCEL_OP_AEAD_DECRYPT,
			   VIRTIO_ACCEL_ALG_AES256_GCM) &&
	    virtio_has_feature(vd->vdev, VIRTIO_ACCEL_F_STATELESS))
		vd->crypto_algs |= BIT(VACCEL_CALG_GCM_AES);
	if (!vd->crypto_algs)
		return;

	mutex_lock(&vaccel_crypto_mutex);
	/* in the list first: the self-tests at registration use it */
	spin_lock_irq(&vaccel_crypto_lock);
	list_add_tail(&vd->crypto_node, &vaccel_crypto_devs);
	spin_unlock_irq(&vaccel_crypto_lock);
	vaccel_crypto_ndevs++;
	if (!vaccel_crypto_registered) {
		vaccel_crypto_sw_first();
		for (i = 0; i < VACCEL_CALG_NR_AHASH; i++)
			vaccel_ahash_algs[i].halg.base.cra_priority =
				crypto_priority;
		err = crypto_register_ahashes(vaccel_ahash_algs,
					      VACCEL_CALG_NR_AHASH);
		if (!err) {
			err = vaccel_acomp_register(crypto_priority);
			if (err)
				crypto_unregister_ahashes(vaccel_ahash_algs,
							  VACCEL_CALG_NR_AHASH);
		}
		if (err)
			dev_warn(&vd->dev, "crypto API registration: %d\n",
				 err);
		else
			vaccel_crypto_registered = true;
		err = vaccel_crypto_registered ?
		      vaccel_aead_register(crypto_priority) : 0;
		if (err)
			dev_warn(&vd->dev,
				 "crypto API: gcm(aes) not registered: %d (no software gcm(aes) for the fallback?)\n",
				 err);
	}
	mutex_unlock(&vaccel_crypto_mutex);
}

static void vaccel_crypto_unregister(void)
{
	if (!vaccel_crypto_registered)
		return;
	vaccel_acomp_unregister();
	vaccel_aead_unregister();
	crypto_unregister_ahashes(vaccel_ahash_algs, VACCEL_CALG_NR_AHASH);
	vaccel_crypto_registered = false;
}

/*
 * Before remove: no new request picks the device (those in flight fail
 * with -ENODEV in shutdown). The last device takes the algorithms with it,
 * unless a tfm is still allocated (the crypto API cannot remove an
 * algorithm in use): then they stay, hashing in software, until a device
 * comes back or the module goes.
 */
void vaccel_crypto_del(struct vaccel_dev *vd)
{
	if (list_empty(&vd->crypto_node))
		return;
	mutex_lock(&vaccel_crypto_mutex);
	spin_lock_irq(&vaccel_crypto_lock);
	list_del_init(&vd->crypto_node);
	spin_unlock_irq(&vaccel_crypto_lock);
	if (!--vaccel_crypto_ndevs && !atomic_read(&vaccel_crypto_tfms))
		vaccel_crypto_unregister();
	mutex_unlock(&vaccel_crypto_mutex);
}

/* Module exit, every device gone: no tfm can be left (module reference). */
void vaccel_crypto_exit(void)
{
	mutex_lock(&vaccel_crypto_mutex);
	vaccel_crypto_unregister();
	mutex_unlock(&vaccel_crypto_mutex);
}

/* ---- /sys/class/vaccel/crypto_* ----------------------------------------- */

VACCEL_CRYPTO_ATTR(crypto_offloaded, vaccel_crypto_offloaded);
VACCEL_CRYPTO_ATTR(crypto_backlogged, vaccel_crypto_backlogged);
VACCEL_CRYPTO_ATTR(crypto_fallback_partial, vaccel_crypto_sw_partial);
VACCEL_CRYPTO_ATTR(crypto_fallback_whole, vaccel_crypto_sw_other);
VACCEL_CRYPTO_ATTR(crypto_streams, vaccel_crypto_streamed);
VACCEL_CRYPTO_ATTR(crypto_fallback_stream, vaccel_crypto_sw_stream);
VACCEL_CRYPTO_ATTR(crypto_fallback_comp, vaccel_acomp_fallbacks);

static ssize_t crypto_registered_show(const struct class *c,
				      const struct class_attribute *a,
				      char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(vaccel_crypto_registered));
}
static CLASS_ATTR_RO(crypto_registered);

static ssize_t crypto_tfms_show(const struct class *c,
				const struct class_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&vaccel_crypto_tfms));
}
static CLASS_ATTR_RO(crypto_tfms);

static struct attribute *vaccel_class_attrs[] = {
	&class_attr_crypto_offloaded.attr,
	&class_attr_crypto_backlogged.attr,
	&class_attr_crypto_fallback_partial.attr,
	&class_attr_crypto_fallback_whole.attr,
	&class_attr_crypto_streams.attr,
	&class_attr_crypto_fallback_stream.attr,
	&class_attr_crypto_fallback_comp.attr,
	&class_attr_crypto_registered.attr,
	&class_attr_crypto_tfms.attr,
	NULL,
};

static const struct attribute_group vaccel_class_group = {
	.attrs = vaccel_class_attrs,
};

const struct attribute_group *vaccel_class_groups[] = {
	&vaccel_class_group,
	&vaccel_aead_group,
	NULL,
};
