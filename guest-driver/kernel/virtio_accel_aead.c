// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-accel guest driver: gcm(aes) as an AEAD of the kernel crypto API
 * ("gcm-aes-virtio-accel"), registered and removed with the ahashes of
 * virtio_accel_crypto.c, at the same priority (crypto_priority). The
 * kernel builds rfc4106(gcm(aes)) for IPsec on top of it by itself:
 * blocks of one byte, a 12-byte IV, tags of up to 16 bytes.
 *
 * The device does AES-256-GCM with the key inline (VIRTIO_ACCEL_F_STATELESS),
 * a 12-byte IV and a 16-byte tag, one request per message: the AAD and the
 * data are read from the request's source scatterlist as they lie there,
 * the result is written to the destination after the AAD (which, as in the
 * generic gcm, is left alone). An encryption with a tag shorter than 16
 * bytes is the device's tag truncated (GCM's tag is a prefix of the full
 * one); the device cannot check a truncated tag, so such a decryption is
 * done in software.
 *
 * Data longer than the device's max_data_len runs on the device as an AEAD
 * stream (virtio_accel_stream.c, spec section 9): a stream session with the
 * key in CREATE_SESSION, IV and AAD in the first request, chunks of at
 * most the device's max_data_len - 16 bytes of data, the tag appended to
 * the final request's output (encryption) or its source (decryption).
 * Each chunk's output is written to the destination as it comes; a
 * decryption whose final verdict is not OK (AUTH_FAILED, the device gone)
 * then wipes all of its plaintext area in the destination, so the caller
 * never sees plaintext of a message that did not verify. Streams are
 * counted in /sys/class/vaccel/crypto_streams (with the hash streams).
 *
 * A software gcm(aes) tfm (never ours: it is allocated with
 * CRYPTO_ALG_NEED_FALLBACK masked, which ours has) takes exactly what the
 * device cannot: 128- and 192-bit keys, decryption with a tag shorter than
 * 16 bytes, AAD longer than the device's max_aad_len (even in a stream:
 * the AAD goes in its first request) or data longer than its max_data_len
 * on a device without AEAD streams, and no device, a full ring without
 * CRYPTO_TFM_REQ_MAY_BACKLOG, no memory. Each reason is counted in
 * /sys/class/vaccel/crypto_fallback_gcm_* (a stream that could not start
 * in crypto_fallback_stream as well). A fallback decryption whose tag
 * does not verify leaves no plaintext in the destination either.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/aes.h>
#include <crypto/gcm.h>
#include <crypto/internal/aead.h>
#include <crypto/scatterwalk.h>

#include "virtio_accel_common.h"

/* /sys/class/vaccel/crypto_fallback_gcm_* */
static atomic_long_t vaccel_gcm_sw_key;		/* 128/192-bit key */
static atomic_long_t vaccel_gcm_sw_tag;		/* decryption, short tag */
static atomic_long_t vaccel_gcm_sw_size;	/* AAD or data too long */
static atomic_long_t vaccel_gcm_sw_other;	/* no device, ring, memory */

static bool vaccel_aead_registered;

struct vaccel_aead_tfm {
	struct crypto_aead *fallback;
	unsigned int keylen;
	u8 key[AES_KEYSIZE_256];
};

struct vaccel_aead_rctx {
	bool enc;
	struct vaccel_stream stream;	/* data above max_data_len */
	struct aead_request fallback_req;	/* last: its context follows */
};

/*
 * A decryption whose tag did not verify: the software gcm wrote the
 * plaintext before it checked the tag; none of it is released (as on the
 * device, [ST-NOLEAK]).
 */
static int vaccel_aead_wipe(struct aead_request *areq, int err)
{
	unsigned int authsize = crypto_aead_authsize(crypto_aead_reqtfm(areq));

	if (err == -EBADMSG)
		sg_zero_buffer(areq->dst, sg_nents(areq->dst),
			       areq->cryptlen - authsize, areq->assoclen);
	return err;
}

static void vaccel_aead_fallback_done(void *data, int err)
{
	struct aead_request *areq = data;

	aead_request_complete(areq, vaccel_aead_wipe(areq, err));
}

/* @areq in software, counted in @why. */
static int vaccel_aead_fallback(struct aead_request *areq, bool enc,
				atomic_long_t *why)
{
	struct vaccel_aead_tfm *t = crypto_aead_ctx(crypto_aead_reqtfm(areq));
	struct vaccel_aead_rctx *rctx = aead_request_ctx(areq);
	struct aead_request *sub = &rctx->fallback_req;

	atomic_long_inc(why);
	aead_request_set_tfm(sub, t->fallback);
	aead_request_set_crypt(sub, areq->src, areq->dst, areq->cryptlen,
			       areq->iv);
	aead_request_set_ad(sub, areq->assoclen);
	if (enc) {
		aead_request_set_callback(sub, areq->base.flags,
					  areq->base.complete,
					  areq->base.data);
		return crypto_aead_encrypt(sub);
	}
	aead_request_set_callback(sub, areq->base.flags,
				  vaccel_aead_fallback_done, areq);
	return vaccel_aead_wipe(areq, crypto_aead_decrypt(sub));
}

/* Copy @len bytes of @b to @sg from offset @skip. */
static void vaccel_aead_buf_to_sg(struct vaccel_buf *b, struct scatterlist *sg,
				  unsigned int skip, unsigned int len)
{
	unsigned int i, done = 0;

	for (i = 0; i < b->nr && done < len; i++) {
		unsigned int n = min_t(size_t, len - done, b->c[i].len);

		scatterwalk_map_and_copy(b->c[i].p, sg, skip + done, n, 1);
		done += n;
	}
}

/*
 * The device's answer: ciphertext and tag (cut to the tfm's tag size), or
 * plaintext, after the AAD in the destination; nothing unless the status
 * is OK (a tag that does not verify: -EBADMSG, no plaintext released).
 */
static int vaccel_aead_done(struct vaccel_req *req,
			    const struct vaccel_result *r, int err)
{
	struct aead_request *areq = aead_request_cast(req->crypto);
	struct vaccel_aead_rctx *rctx = aead_request_ctx(areq);
	unsigned int authsize = crypto_aead_authsize(crypto_aead_reqtfm(areq));
	unsigned int len, i;

	if (!err && r->dst_used != req->dst_len)
		err = -EIO;
	if (!err) {
		len = rctx->enc ? areq->cryptlen + authsize :
		      areq->cryptlen - VIRTIO_ACCEL_GCM_TAG_LEN;
		vaccel_aead_buf_to_sg(&req->wr, areq->dst, areq->assoclen, len);
	}
	/* the plaintext does not outlive the request (the source is wiped) */
	for (i = 0; !rctx->enc && i < req->wr.nr; i++)
		memzero_explicit(req->wr.c[i].p, req->wr.c[i].len);
	return err;
}

/* ---- streams: data above the device's max_data_len ----------------- */

/*
 * The next request (9.2): at most chunk_max - 16 bytes of data, so that
 * the final one's tag fits too (encryption: in dst, decryption: in src).
 */
static int vaccel_aead_next(struct vaccel_stream *s,
			    struct vaccel_stream_chunk *c)
{
	struct aead_request *areq = aead_request_cast(s->op.base);
	struct vaccel_aead_rctx *rctx = aead_request_ctx(areq);
	u32 tag = rctx->enc ? 0 : VIRTIO_ACCEL_GCM_TAG_LEN;
	u32 rest = s->op.src_len - tag - s->src_done;
	u32 n = min_t(u32, rest, s->chunk_max - VIRTIO_ACCEL_GCM_TAG_LEN);

	c->final = n == rest;
	c->src_len = n + (c->final ? tag : 0);
	c->dst_len = n + (c->final && rctx->enc ? VIRTIO_ACCEL_GCM_TAG_LEN : 0);
	return 0;
}

/*
 * A request of the stream went through: its output to the destination at
 * dst_done, after the AAD (the final encryption's: the tag cut to the
 * tfm's tag size). A decryption's chunk buffer is wiped at once.
 */
static int vaccel_aead_chunk_done(struct vaccel_stream *s,
				  const struct vaccel_stream_chunk *c,
				  struct vaccel_req *req,
				  const struct vaccel_result *r)
{
	struct aead_request *areq = aead_request_cast(s->op.base);
	struct vaccel_aead_rctx *rctx = aead_request_ctx(areq);
	unsigned int authsize = crypto_aead_authsize(crypto_aead_reqtfm(areq));
	unsigned int len = c->dst_len, i;

	if (r->src_used != c->src_len || r->dst_used != c->dst_len)
		return -EIO;
	if (rctx->enc && c->final)
		len = c->dst_len - VIRTIO_ACCEL_GCM_TAG_LEN + authsize;
	vaccel_aead_buf_to_sg(&req->wr, areq->dst, areq->assoclen + s->dst_done,
			      len);
	for (i = 0; !rctx->enc && i < req->wr.nr; i++)
		memzero_explicit(req->wr.c[i].p, req->wr.c[i].len);
	return c->final ? 0 : 1;
}

/*
 * The stream ended with @err: a decryption that did not end OK releases
 * nothing (the spec's "discard all of a stream's plaintext").
 */
static int vaccel_aead_stream_end(struct vaccel_stream *s, int err)
{
	struct aead_request *areq = aead_request_cast(s->op.base);
	struct vaccel_aead_rctx *rctx = aead_request_ctx(areq);

	if (err && !rctx->enc)
		sg_zero_buffer(areq->dst, sg_nents(areq->dst),
			       areq->cryptlen - VIRTIO_ACCEL_GCM_TAG_LEN,
			       areq->assoclen);
	return err;
}

/* No request of the stream reached a device: software, in this context. */
static int vaccel_aead_stream_fallback(struct vaccel_stream *s)
{
	struct aead_request *areq = aead_request_cast(s->op.base);
	struct vaccel_aead_tfm *t = crypto_aead_ctx(crypto_aead_reqtfm(areq));
	struct vaccel_aead_rctx *rctx = aead_request_ctx(areq);
	struct aead_request *sub = &rctx->fallback_req;
	DECLARE_CRYPTO_WAIT(wait);
	int err;

	atomic_long_inc(&vaccel_gcm_sw_size);
	aead_request_set_tfm(sub, t->fallback);
	aead_request_set_crypt(sub, areq->src, areq->dst, areq->cryptlen,
			       areq->iv);
	aead_request_set_ad(sub, areq->assoclen);
	aead_request_set_callback(sub, CRYPTO_TFM_REQ_MAY_SLEEP |
				  CRYPTO_TFM_REQ_MAY_BACKLOG,
				  crypto_req_done, &wait);
	err = crypto_wait_req(rctx->enc ? crypto_aead_encrypt(sub) :
			      crypto_aead_decrypt(sub), &wait);
	return rctx->enc ? err : vaccel_aead_wipe(areq, err);
}

/* @op is too long for one request: a stream; as vaccel_stream_submit(). */
static int vaccel_aead_stream(struct aead_request *areq,
			      const struct vaccel_crypto_op *op)
{
	struct vaccel_aead_rctx *rctx = aead_request_ctx(areq);
	struct vaccel_stream *s = &rctx->stream;

	memset(s, 0, sizeof(*s));
	s->op = *op;
	s->op.done = NULL;
	s->next = vaccel_aead_next;
	s->chunk_done = vaccel_aead_chunk_done;
	s->fallback = vaccel_aead_stream_fallback;
	s->end = vaccel_aead_stream_end;
	return vaccel_stream_submit(s);
}

static int vaccel_aead_crypt(struct aead_request *areq, bool enc)
{
	struct crypto_aead *tfm = crypto_aead_reqtfm(areq);
	struct vaccel_aead_tfm *t = crypto_aead_ctx(tfm);
	struct vaccel_aead_rctx *rctx = aead_request_ctx(areq);
	unsigned int authsize = crypto_aead_authsize(tfm);
	struct vaccel_crypto_op op = {
		.calg = VACCEL_CALG_GCM_AES,
		.opcode = enc ? VIRTIO_ACCEL_OP_AEAD_ENCRYPT :
			  VIRTIO_ACCEL_OP_AEAD_DECRYPT,
		.algo = VIRTIO_ACCEL_ALG_AES256_GCM,
		.key = t->key,
		.key_len = VIRTIO_ACCEL_GCM_KEY_LEN,
		.iv = areq->iv,
		.iv_len = VIRTIO_ACCEL_GCM_IV_LEN,
		.sg = areq->src,
		.aad_len = areq->assoclen,
		.src_len = areq->cryptlen,
		.base = &areq->base,
		.done = vaccel_aead_done,
	};
	int err;

	/* as the generic gcm (the API checks it too) */
	if (!enc && areq->cryptlen < authsize)
		return -EINVAL;
	if (t->keylen != AES_KEYSIZE_256)
		return vaccel_aead_fallback(areq, enc, &vaccel_gcm_sw_key);
	if (!enc && authsize != VIRTIO_ACCEL_GCM_TAG_LEN)
		return vaccel_aead_fallback(areq, enc, &vaccel_gcm_sw_tag);
	if (enc && areq->cryptlen > U32_MAX - VIRTIO_ACCEL_GCM_TAG_LEN)
		return vaccel_aead_fallback(areq, enc, &vaccel_gcm_sw_size);
	op.dst_len = enc ? areq->cryptlen + VIRTIO_ACCEL_GCM_TAG_LEN :
		     areq->cryptlen - VIRTIO_ACCEL_GCM_TAG_LEN;
	rctx->enc = enc;
	err = vaccel_crypto_submit(&op);
	/* too long for one request (data or AAD): a stream if it can be */
	if (err == -EMSGSIZE && vaccel_aead_stream(areq, &op) == -EINPROGRESS)
		return -EINPROGRESS;
	if (err == -EINPROGRESS || err == -EBUSY)
		return err;
	return vaccel_aead_fallback(areq, enc, err == -EMSGSIZE ?
				    &vaccel_gcm_sw_size : &vaccel_gcm_sw_other);
}

static int vaccel_aead_encrypt(struct aead_request *areq)
{
	return vaccel_aead_crypt(areq, true);
}

static int vaccel_aead_decrypt(struct aead_request *areq)
{
	return vaccel_aead_crypt(areq, false);
}

static int vaccel_aead_setkey(struct crypto_aead *tfm, const u8 *key,
			      unsigned int keylen)
{
	struct vaccel_aead_tfm *t = crypto_aead_ctx(tfm);
	int err;

	err = aes_check_keylen(keylen);
	if (err)
		return err;
	crypto_aead_clear_flags(t->fallback, CRYPTO_TFM_REQ_MASK);
	crypto_aead_set_flags(t->fallback,
			      crypto_aead_get_flags(tfm) & CRYPTO_TFM_REQ_MASK);
	err = crypto_aead_setkey(t->fallback, key, keylen);
	if (err)
		return err;
	memzero_explicit(t->key, sizeof(t->key));
	memcpy(t->key, key, keylen);
	t->keylen = keylen;
	return 0;
}

/* The generic gcm's rule: 4, 8, 12..16 bytes. */
static int vaccel_aead_setauthsize(struct crypto_aead *tfm,
				   unsigned int authsize)
{
	struct vaccel_aead_tfm *t = crypto_aead_ctx(tfm);
	int err;

	err = crypto_gcm_check_authsize(authsize);
	if (err)
		return err;
	return crypto_aead_setauthsize(t->fallback, authsize);
}

static int vaccel_aead_init_tfm(struct crypto_aead *tfm)
{
	struct vaccel_aead_tfm *t = crypto_aead_ctx(tfm);
	struct crypto_aead *fb;

	/* never ours, nor anything else that needs a fallback itself */
	fb = crypto_alloc_aead("gcm(aes)", 0, CRYPTO_ALG_NEED_FALLBACK);
	if (IS_ERR(fb))
		return PTR_ERR(fb);
	t->fallback = fb;
	crypto_aead_set_reqsize(tfm, sizeof(struct vaccel_aead_rctx) +
				crypto_aead_reqsize(fb));
	vaccel_crypto_tfm_get();
	return 0;
}

static void vaccel_aead_exit_tfm(struct crypto_aead *tfm)
{
	struct vaccel_aead_tfm *t = crypto_aead_ctx(tfm);

	crypto_free_aead(t->fallback);
	memzero_explicit(t, sizeof(*t));
	vaccel_crypto_tfm_put();
}

/*
 * CRYPTO_ALG_KERN_DRIVER_ONLY: the vDPA parent masks it out when it
 * allocates its engines, so on data path 3 it can never be handed ours.
 * cra_blocksize 1 and ivsize 12: what rfc4106 asks of its gcm(aes).
 */
static struct aead_alg vaccel_gcm_aes = {
	.setkey = vaccel_aead_setkey,
	.setauthsize = vaccel_aead_setauthsize,
	.encrypt = vaccel_aead_encrypt,
	.decrypt = vaccel_aead_decrypt,
	.init = vaccel_aead_init_tfm,
	.exit = vaccel_aead_exit_tfm,
	.ivsize = GCM_AES_IV_SIZE,
	.maxauthsize = AES_BLOCK_SIZE,
	.base = {
		.cra_name = "gcm(aes)",
		.cra_driver_name = "gcm-aes-virtio-accel",
		.cra_flags = CRYPTO_ALG_ASYNC | CRYPTO_ALG_KERN_DRIVER_ONLY |
			     CRYPTO_ALG_NEED_FALLBACK |
			     CRYPTO_ALG_ALLOCATES_MEMORY,
		.cra_blocksize = 1,
		.cra_ctxsize = sizeof(struct vaccel_aead_tfm),
		.cra_module = THIS_MODULE,
	},
};

/*
 * With the ahashes (vaccel_crypto_mutex held). Not without a software
 * gcm(aes) for the fallback: every tfm would fail to initialise, which
 * testmgr takes for an algorithm it cannot test (-ENOENT: "passed").
 */
int vaccel_aead_register(int priority)
{
	struct crypto_aead *fb;
	int err;

	if (vaccel_aead_registered)
		return 0;
	fb = crypto_alloc_aead("gcm(aes)", 0, CRYPTO_ALG_NEED_FALLBACK);
	if (IS_ERR(fb))
		return PTR_ERR(fb);
	crypto_free_aead(fb);
	vaccel_gcm_aes.base.cra_priority = priority;
	err = crypto_register_aead(&vaccel_gcm_aes);
	if (!err)
		vaccel_aead_registered = true;
	return err;
}

void vaccel_aead_unregister(void)
{
	if (!vaccel_aead_registered)
		return;
	crypto_unregister_aead(&vaccel_gcm_aes);
	vaccel_aead_registered = false;
}

/* ---- /sys/class/vaccel/crypto_fallback_gcm_* ------------------------ */

VACCEL_CRYPTO_ATTR(crypto_fallback_gcm_key, vaccel_gcm_sw_key);
VACCEL_CRYPTO_ATTR(crypto_fallback_gcm_tag, vaccel_gcm_sw_tag);
VACCEL_CRYPTO_ATTR(crypto_fallback_gcm_size, vaccel_gcm_sw_size);
VACCEL_CRYPTO_ATTR(crypto_fallback_gcm_other, vaccel_gcm_sw_other);

static struct attribute *vaccel_aead_attrs[] = {
	&class_attr_crypto_fallback_gcm_key.attr,
	&class_attr_crypto_fallback_gcm_tag.attr,
	&class_attr_crypto_fallback_gcm_size.attr,
	&class_attr_crypto_fallback_gcm_other.attr,
	NULL,
};

const struct attribute_group vaccel_aead_group = {
	.attrs = vaccel_aead_attrs,
};
