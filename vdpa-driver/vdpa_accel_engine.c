// SPDX-License-Identifier: GPL-2.0-only
/*
 * vdpa_accel: engines from the host kernel.
 *
 * SHA-256, CRC32C and HMAC-SHA-256 are crypto_shash "sha256", "crc32c" and
 * "hmac(sha256)"; AES-256-GCM is crypto_aead "gcm(aes)". The crypto API
 * picks the highest-priority implementation registered for each name, so
 * an accelerator driver behind it (QAT, CCP, HiSilicon, AES-NI, ...) is used
 * without a change here. One-shot COMPRESS is crypto_acomp "deflate"
 * (vdpa_accel_acomp.c, zlib when it fails); DECOMPRESS and DEFLATE streams
 * are the kernel's zlib (raw, windowBits -15): see vdpa_accel_acomp.c for
 * why.
 *
 * Streams (spec section 9): hashes and HMAC keep a shash descriptor; DEFLATE
 * keeps a zlib stream; AES-GCM is built from "ctr(aes)" and "ghash"
 * (H = E(K, 0), J0 = IV || 1, CTR from inc32(J0), GHASH over
 * AAD || C || lengths, tag = E(K, J0) ^ GHASH).
 *
 * Transforms and per-queue buffers are allocated when the device is
 * created; stream state when the session is created. Nothing is allocated
 * per request, except inside crypto_aead_setkey() for stateless and
 * one-shot GCM (the gcm template allocates while deriving H).
 */
#include <crypto/aead.h>
#include <crypto/algapi.h>
#include <crypto/hash.h>
#include <crypto/skcipher.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/unaligned.h>
#include <linux/vmalloc.h>

#include "vdpa_accel.h"
#include "virtio_accel_zlib.h"

#define GCM_BLOCK	16

struct vdpa_accel_stream {
	struct shash_desc *desc;	/* hash, MAC; GHASH for GCM */
	struct crypto_shash *keyed;	/* own hmac or ghash transform */
	struct crypto_skcipher *ctr;
	struct skcipher_request *ctr_req;
	u8 blk[GCM_BLOCK];		/* one block for ctr(aes) */
	u8 ctrblk[GCM_BLOCK];		/* next counter block */
	u8 ks[GCM_BLOCK];		/* keystream of a partly used block */
	u8 ekj0[GCM_BLOCK];		/* E(K, J0) */
	unsigned int ks_used;		/* GCM_BLOCK: none left */
	u64 aad_len;
	u64 c_len;
	struct z_stream_s z;
	int z_mode;			/* 1 deflate, 2 inflate */
};

void vdpa_accel_name(struct vdpa_accel *va, u32 op, u32 algo,
		     const char *name)
{
	char *e = va->engine[op][algo];

	memset(e, 0, sizeof(va->engine[0][0]));
	memcpy(e, name, min(strlen(name), sizeof(va->engine[0][0])));
}

/*
 * Engines are the host kernel's best implementations, a hardware driver's
 * (QAT, CCP, ...) included, but never an algorithm of virtio_accel.ko, nor
 * a template instance built on one: with both modules in one kernel (data
 * path 3) a request of the parent would come back to a virtio-accel
 * device. The guest driver names each of its algorithms "...-virtio-accel",
 * and a template instance carries the names of its parts. When the best
 * implementation is ours, the best one that is not a hardware driver's
 * (CRYPTO_ALG_KERN_DRIVER_ONLY, a flag ours all set) is taken instead,
 * and if even that is built on ours, none (-ELOOP).
 */
bool vdpa_accel_alg_ours(struct crypto_tfm *tfm)
{
	return strstr(crypto_tfm_alg_driver_name(tfm), "virtio-accel");
}

static struct crypto_shash *vdpa_accel_alloc_shash(const char *name)
{
	struct crypto_shash *tfm = crypto_alloc_shash(name, 0, 0);

	if (IS_ERR(tfm) || !vdpa_accel_alg_ours(crypto_shash_tfm(tfm)))
		return tfm;
	crypto_free_shash(tfm);
	tfm = crypto_alloc_shash(name, 0, CRYPTO_ALG_KERN_DRIVER_ONLY);
	if (!IS_ERR(tfm) && vdpa_accel_alg_ours(crypto_shash_tfm(tfm))) {
		crypto_free_shash(tfm);
		tfm = ERR_PTR(-ELOOP);
	}
	return tfm;
}

struct crypto_aead *vdpa_accel_alloc_aead(const char *name)
{
	struct crypto_aead *tfm = crypto_alloc_aead(name, 0, 0);

	if (IS_ERR(tfm) || !vdpa_accel_alg_ours(crypto_aead_tfm(tfm)))
		return tfm;
	crypto_free_aead(tfm);
	tfm = crypto_alloc_aead(name, 0, CRYPTO_ALG_KERN_DRIVER_ONLY);
	if (!IS_ERR(tfm) && vdpa_accel_alg_ours(crypto_aead_tfm(tfm))) {
		crypto_free_aead(tfm);
		tfm = ERR_PTR(-ELOOP);
	}
	return tfm;
}

static struct crypto_skcipher *vdpa_accel_alloc_skcipher(const char *name)
{
	struct crypto_skcipher *tfm = crypto_alloc_skcipher(name, 0, 0);

	if (IS_ERR(tfm) || !vdpa_accel_alg_ours(crypto_skcipher_tfm(tfm)))
		return tfm;
	crypto_free_skcipher(tfm);
	tfm = crypto_alloc_skcipher(name, 0, CRYPTO_ALG_KERN_DRIVER_ONLY);
	if (!IS_ERR(tfm) && vdpa_accel_alg_ours(crypto_skcipher_tfm(tfm))) {
		crypto_free_skcipher(tfm);
		tfm = ERR_PTR(-ELOOP);
	}
	return tfm;
}

static struct shash_desc *vdpa_accel_desc_alloc(struct crypto_shash *tfm)
{
	struct shash_desc *d;

	d = kzalloc(sizeof(*d) + crypto_shash_descsize(tfm), GFP_KERNEL);
	if (d)
		d->tfm = tfm;
	return d;
}

static void vdpa_accel_desc_free(struct shash_desc *d)
{
	kfree_sensitive(d);
}

/* Which engines exist on this host: probe each once per device. */
int vdpa_accel_engines_init(struct vdpa_accel *va)
{
	struct device *dev = va->vdpa.mdev->device;
	struct crypto_skcipher *ctr;
	struct crypto_shash *sh;
	struct crypto_aead *aead;
	u64 impl, stream = 0;

	impl = VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_NULL, VIRTIO_ACCEL_ALG_NONE);
	vdpa_accel_name(va, VIRTIO_ACCEL_OP_NULL, VIRTIO_ACCEL_ALG_NONE,
			"memcpy");

	va->sha256_tfm = vdpa_accel_alloc_shash("sha256");
	if (IS_ERR(va->sha256_tfm)) {
		dev_warn(dev, "no sha256: %ld\n", PTR_ERR(va->sha256_tfm));
		va->sha256_tfm = NULL;
	} else {
		impl |= VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_HASH,
					      VIRTIO_ACCEL_ALG_SHA256);
		stream |= VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_HASH,
						VIRTIO_ACCEL_ALG_SHA256);
		vdpa_accel_name(va, VIRTIO_ACCEL_OP_HASH,
				VIRTIO_ACCEL_ALG_SHA256,
				crypto_shash_driver_name(va->sha256_tfm));
	}
	va->crc32c_tfm = vdpa_accel_alloc_shash("crc32c");
	if (IS_ERR(va->crc32c_tfm)) {
		dev_warn(dev, "no crc32c: %ld\n", PTR_ERR(va->crc32c_tfm));
		va->crc32c_tfm = NULL;
	} else {
		impl |= VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_HASH,
					      VIRTIO_ACCEL_ALG_CRC32C);
		stream |= VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_HASH,
						VIRTIO_ACCEL_ALG_CRC32C);
		vdpa_accel_name(va, VIRTIO_ACCEL_OP_HASH,
				VIRTIO_ACCEL_ALG_CRC32C,
				crypto_shash_driver_name(va->crc32c_tfm));
	}
	sh = vdpa_accel_alloc_shash("hmac(sha256)");
	if (IS_ERR(sh)) {
		dev_warn(dev, "no hmac(sha256): %ld\n", PTR_ERR(sh));
	} else {
		impl |= VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_MAC,
					      VIRTIO_ACCEL_ALG_HMAC_SHA256);
		stream |= VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_MAC,
						VIRTIO_ACCEL_ALG_HMAC_SHA256);
		vdpa_accel_name(va, VIRTIO_ACCEL_OP_MAC,
				VIRTIO_ACCEL_ALG_HMAC_SHA256, "hmac");
		dev_info(dev, "hmac-sha256: %s\n", crypto_shash_driver_name(sh));
		crypto_free_shash(sh);
	}
	aead = vdpa_accel_alloc_aead(vdpa_accel_aead_alg());
	if (IS_ERR(aead)) {
		dev_warn(dev, "no %s: %ld\n", vdpa_accel_aead_alg(),
			 PTR_ERR(aead));
	} else {
		u64 enc = VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
						VIRTIO_ACCEL_ALG_AES256_GCM);
		u64 dec = VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_AEAD_DECRYPT,
						VIRTIO_ACCEL_ALG_AES256_GCM);

		impl |= enc | dec;
		vdpa_accel_name(va, VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
				VIRTIO_ACCEL_ALG_AES256_GCM, "gcm");
		vdpa_accel_name(va, VIRTIO_ACCEL_OP_AEAD_DECRYPT,
				VIRTIO_ACCEL_ALG_AES256_GCM, "gcm");
		dev_info(dev, "aes-256-gcm: %s\n", crypto_aead_driver_name(aead));
		crypto_free_aead(aead);
		/* streams: GCM from its parts */
		ctr = vdpa_accel_alloc_skcipher("ctr(aes)");
		sh = vdpa_accel_alloc_shash("ghash");
		if (!IS_ERR(ctr) && !IS_ERR(sh))
			stream |= enc | dec;
		else
			dev_warn(dev, "no ctr(aes)/ghash: no AES-GCM streams\n");
		if (!IS_ERR(ctr))
			crypto_free_skcipher(ctr);
		if (!IS_ERR(sh))
			crypto_free_shash(sh);
	}
	impl |= VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_COMPRESS,
				      VIRTIO_ACCEL_ALG_DEFLATE) |
		VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_DECOMPRESS,
				      VIRTIO_ACCEL_ALG_DEFLATE);
	stream |= VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_COMPRESS,
					VIRTIO_ACCEL_ALG_DEFLATE) |
		  VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_DECOMPRESS,
					VIRTIO_ACCEL_ALG_DEFLATE);
	vdpa_accel_name(va, VIRTIO_ACCEL_OP_COMPRESS, VIRTIO_ACCEL_ALG_DEFLATE,
			"zlib");
	vdpa_accel_name(va, VIRTIO_ACCEL_OP_DECOMPRESS,
			VIRTIO_ACCEL_ALG_DEFLATE, "zlib");
	/* acomp renames what it takes over */
	vdpa_accel_acomp_probe(va);
	va->implemented = impl;
	va->lim.implemented = impl;
	va->stream_ok = stream;
	return 0;
}

void vdpa_accel_engines_fini(struct vdpa_accel *va)
{
	crypto_free_shash(va->sha256_tfm);
	crypto_free_shash(va->crc32c_tfm);
	va->sha256_tfm = NULL;
	va->crc32c_tfm = NULL;
}

/* ---- zlib streams ---- */

static int vdpa_accel_z_init(struct z_stream_s *z, int mode, int level)
{
	int ret;

	memset(z, 0, sizeof(*z));
	if (mode == 1) {
		z->workspace = vzalloc(zlib_deflate_workspacesize(MAX_WBITS,
								  DEF_MEM_LEVEL));
		if (!z->workspace)
			return -ENOMEM;
		ret = zlib_deflateInit2(z, level, Z_DEFLATED, -MAX_WBITS,
					DEF_MEM_LEVEL, Z_DEFAULT_STRATEGY);
	} else {
		z->workspace = vzalloc(zlib_inflate_workspacesize());
		if (!z->workspace)
			return -ENOMEM;
		ret = zlib_inflateInit2(z, -MAX_WBITS);
	}
	if (ret != Z_OK) {
		vfree(z->workspace);
		z->workspace = NULL;
		return -EINVAL;
	}
	return 0;
}

static void vdpa_accel_z_fini(struct z_stream_s *z, int mode)
{
	if (!z || !z->workspace)
		return;
	if (mode == 1)
		zlib_deflateEnd(z);
	else
		zlib_inflateEnd(z);
	vfree(z->workspace);
	z->workspace = NULL;
}

static struct z_stream_s *vdpa_accel_z_new(int mode, int level)
{
	struct z_stream_s *z = kzalloc(sizeof(*z), GFP_KERNEL);

	if (!z)
		return NULL;
	if (vdpa_accel_z_init(z, mode, level)) {
		kfree(z);
		return NULL;
	}
	return z;
}

/* ---- per-queue context ---- */

int vdpa_accel_qctx_init(struct vdpa_accel *va, struct vdpa_accel_qctx *qc)
{
	int ret = -ENOMEM;

	qc->in_size = (size_t)va->lim.max_data_len + VDPA_ACCEL_MAX_AAD_LEN +
		      64;
	qc->out_size = (size_t)va->lim.max_data_len + 64;
	qc->in = kvmalloc(qc->in_size, GFP_KERNEL);
	qc->out = kvmalloc(qc->out_size, GFP_KERNEL);
	qc->sg_n = DIV_ROUND_UP(qc->in_size, PAGE_SIZE) + 2;
	qc->sg = kvmalloc_array(qc->sg_n, sizeof(*qc->sg), GFP_KERNEL);
	if (!qc->in || !qc->out || !qc->sg)
		goto free_ctx;
	if (va->sha256_tfm) {
		qc->sha256 = vdpa_accel_desc_alloc(va->sha256_tfm);
		if (!qc->sha256)
			goto free_ctx;
	}
	if (va->crc32c_tfm) {
		qc->crc32c = vdpa_accel_desc_alloc(va->crc32c_tfm);
		if (!qc->crc32c)
			goto free_ctx;
	}
	if (va->implemented & VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_MAC,
						    VIRTIO_ACCEL_ALG_HMAC_SHA256)) {
		struct crypto_shash *tfm = vdpa_accel_alloc_shash("hmac(sha256)");

		if (IS_ERR(tfm)) {
			ret = PTR_ERR(tfm);
			goto free_ctx;
		}
		qc->hmac = vdpa_accel_desc_alloc(tfm);
		if (!qc->hmac) {
			crypto_free_shash(tfm);
			goto free_ctx;
		}
	}
	if (va->implemented &
	    VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
				  VIRTIO_ACCEL_ALG_AES256_GCM)) {
		qc->gcm = vdpa_accel_alloc_aead(vdpa_accel_aead_alg());
		if (IS_ERR(qc->gcm)) {
			ret = PTR_ERR(qc->gcm);
			qc->gcm = NULL;
			goto free_ctx;
		}
		ret = crypto_aead_setauthsize(qc->gcm, GCM_BLOCK);
		if (ret)
			goto free_ctx;
		ret = -ENOMEM;
		qc->gcm_req = aead_request_alloc(qc->gcm, GFP_KERNEL);
		if (!qc->gcm_req)
			goto free_ctx;
	}
	qc->z_def = vdpa_accel_z_new(1, Z_DEFAULT_COMPRESSION);
	qc->z_stored = vdpa_accel_z_new(1, Z_NO_COMPRESSION);
	qc->z_inf = vdpa_accel_z_new(2, 0);
	if (!qc->z_def || !qc->z_stored || !qc->z_inf)
		goto free_ctx;
	ret = vdpa_accel_acomp_qinit(va, qc);
	if (ret)
		goto free_ctx;
	return 0;

free_ctx:
	vdpa_accel_qctx_fini(qc);
	return ret;
}

void vdpa_accel_qctx_fini(struct vdpa_accel_qctx *qc)
{
	if (qc->hmac) {
		crypto_free_shash(qc->hmac->tfm);
		vdpa_accel_desc_free(qc->hmac);
	}
	vdpa_accel_desc_free(qc->sha256);
	vdpa_accel_desc_free(qc->crc32c);
	aead_request_free(qc->gcm_req);
	crypto_free_aead(qc->gcm);
	vdpa_accel_z_fini(qc->z_def, 1);
	vdpa_accel_z_fini(qc->z_stored, 1);
	vdpa_accel_z_fini(qc->z_inf, 2);
	kfree(qc->z_def);
	kfree(qc->z_stored);
	kfree(qc->z_inf);
	vdpa_accel_acomp_qfini(qc);
	kvfree(qc->in);
	kvfree(qc->out);
	kvfree(qc->sg);
	memset(qc, 0, sizeof(*qc));
}

/*
 * A scatterlist of @max entries over [buf, buf + len) of a kvmalloc()ed
 * scratch buffer.
 */
struct scatterlist *vdpa_accel_sg_fill(struct scatterlist *sg,
				       unsigned int max, u8 *buf, size_t len)
{
	unsigned int n = 0;

	sg_init_table(sg, max);
	do {
		size_t off = offset_in_page(buf);
		size_t k = min_t(size_t, len, PAGE_SIZE - off);
		struct page *pg = is_vmalloc_addr(buf) ? vmalloc_to_page(buf) :
							 virt_to_page(buf);

		sg_set_page(&sg[n++], pg, k, off);
		buf += k;
		len -= k;
	} while (len && n < max);
	sg_mark_end(&sg[n - 1]);
	return sg;
}

static struct scatterlist *vdpa_accel_sg(struct vdpa_accel_qctx *qc, u8 *buf,
					 size_t len)
{
	return vdpa_accel_sg_fill(qc->sg, qc->sg_n, buf, len);
}

/* ---- one-shot operations ---- */

/*
 * [SESS-KEY]: the per-queue transforms keep the schedule of the last key
 * they were given, a session's or an inline one, until the next request of
 * that kind: replace it with this one as soon as a request is done.
 */
static const u8 vdpa_accel_no_key[VIRTIO_ACCEL_GCM_KEY_LEN];

static u8 vdpa_accel_gcm_run(struct vdpa_accel_req *r, bool dec)
{
	struct vdpa_accel_qctx *qc = r->qc;
	u32 aad = r->op.aad_len, len = r->op.src_len;
	struct aead_request *req = qc->gcm_req;
	DECLARE_CRYPTO_WAIT(wait);
	struct scatterlist *sg;
	int ret;

	if (crypto_aead_setkey(qc->gcm, r->key, r->key_len))
		return VIRTIO_ACCEL_ERR;
	/* in place in the in buffer: aad || src, room for the tag after */
	sg = vdpa_accel_sg(qc, qc->in, aad + len + (dec ? 0 : GCM_BLOCK));
	memcpy(qc->iv, r->iv, VIRTIO_ACCEL_GCM_IV_LEN);
	aead_request_set_callback(req, CRYPTO_TFM_REQ_MAY_BACKLOG |
				  CRYPTO_TFM_REQ_MAY_SLEEP, crypto_req_done,
				  &wait);
	aead_request_set_crypt(req, sg, sg, len, qc->iv);
	aead_request_set_ad(req, aad);
	if (dec)
		ret = crypto_wait_req(crypto_aead_decrypt(req), &wait);
	else
		ret = crypto_wait_req(crypto_aead_encrypt(req), &wait);
	if (ret)
		return ret == -EBADMSG ? VIRTIO_ACCEL_AUTH_FAILED :
					 VIRTIO_ACCEL_ERR;
	r->dst = r->src;
	r->dst_used = dec ? len - GCM_BLOCK : len + GCM_BLOCK;
	r->src_used = len;
	return VIRTIO_ACCEL_OK;
}

static u8 vdpa_accel_gcm(struct vdpa_accel_req *r, bool dec)
{
	u8 st = vdpa_accel_gcm_run(r, dec);

	crypto_aead_setkey(r->qc->gcm, vdpa_accel_no_key,
			   sizeof(vdpa_accel_no_key));
	return st;
}

/* Run a shared zlib step (virtio_accel_zlib.c) on a request's buffers. */
static struct virtio_accel_zio vdpa_accel_zio(const struct vdpa_accel_req *r)
{
	struct virtio_accel_zio io = {
		.src = r->src, .src_len = r->op.src_len,
		.dst = r->dst, .dst_len = r->op.dst_len,
	};

	return io;
}

static u8 vdpa_accel_zio_done(struct vdpa_accel_req *r,
			      const struct virtio_accel_zio *io, u8 st)
{
	r->src_used = io->src_used;
	r->dst_used = io->dst_used;
	r->rflags = io->rflags;
	return st;
}

/*
 * [OP-DEFLATE]: the crypto API's acomp "deflate" first; when it fails
 * (output too small for its settings, an input it does not take), zlib
 * decides: default level, then stored blocks within the bound.
 */
static u8 vdpa_accel_deflate(struct vdpa_accel *va, struct vdpa_accel_req *r)
{
	struct virtio_accel_zio io = vdpa_accel_zio(r);
	u8 st;

	if (vdpa_accel_acomp_run(va, r, true, &st))
		return st;
	st = virtio_accel_z_deflate_once(r->qc->z_def, &io);
	if (st == VIRTIO_ACCEL_NOSPC &&
	    r->op.dst_len >= virtio_accel_deflate_bound(r->op.src_len))
		st = virtio_accel_z_deflate_once(r->qc->z_stored, &io);
	atomic64_inc(&va->deflate_zlib);
	return vdpa_accel_zio_done(r, &io, st);
}

/* One complete raw DEFLATE stream; trailing or truncated data: BADMSG. */
static u8 vdpa_accel_inflate(struct vdpa_accel *va, struct vdpa_accel_req *r)
{
	struct virtio_accel_zio io = vdpa_accel_zio(r);
	u8 st;

	if (vdpa_accel_acomp_run(va, r, false, &st))
		return st;
	st = virtio_accel_z_inflate_once(r->qc->z_inf, &io);
	atomic64_inc(&va->deflate_zlib);
	return vdpa_accel_zio_done(r, &io, st);
}

u8 vdpa_accel_engine_run(struct vdpa_accel *va, struct vdpa_accel_req *r)
{
	struct vdpa_accel_qctx *qc = r->qc;
	u32 len = r->op.src_len;

	switch (r->op.opcode) {
	case VIRTIO_ACCEL_OP_NULL:
		/* [OP-NULL] */
		r->dst = r->src;
		r->dst_used = len;
		break;
	case VIRTIO_ACCEL_OP_HASH:
		if (crypto_shash_digest(r->op.algo == VIRTIO_ACCEL_ALG_CRC32C ?
					qc->crc32c : qc->sha256,
					r->src, len, r->dst))
			return VIRTIO_ACCEL_ERR;
		r->dst_used = r->op.info->out_len;
		break;
	case VIRTIO_ACCEL_OP_MAC:
		if (crypto_shash_setkey(qc->hmac->tfm, r->key, r->key_len) ||
		    crypto_shash_digest(qc->hmac, r->src, len, r->dst)) {
			crypto_shash_setkey(qc->hmac->tfm, vdpa_accel_no_key,
					    sizeof(vdpa_accel_no_key));
			return VIRTIO_ACCEL_ERR;
		}
		/* ipad/opad of the key: as good as the key */
		crypto_shash_setkey(qc->hmac->tfm, vdpa_accel_no_key,
				    sizeof(vdpa_accel_no_key));
		r->dst_used = VIRTIO_ACCEL_SHA256_LEN;
		break;
	case VIRTIO_ACCEL_OP_AEAD_ENCRYPT:
		return vdpa_accel_gcm(r, false);
	case VIRTIO_ACCEL_OP_AEAD_DECRYPT:
		return vdpa_accel_gcm(r, true);
	case VIRTIO_ACCEL_OP_COMPRESS:
		return vdpa_accel_deflate(va, r);
	case VIRTIO_ACCEL_OP_DECOMPRESS:
		return vdpa_accel_inflate(va, r);
	default:
		return VIRTIO_ACCEL_NOTSUPP;
	}
	r->src_used = len;
	return VIRTIO_ACCEL_OK;
}

/* ---- streams ---- */

/* E(K, @ctr) into st->blk, through ctr(aes) on a zero block. */
static int vdpa_accel_ctr_block(struct vdpa_accel_stream *st, const u8 *ctr)
{
	DECLARE_CRYPTO_WAIT(wait);
	struct scatterlist sg;
	u8 iv[GCM_BLOCK];

	memcpy(iv, ctr, GCM_BLOCK);
	memset(st->blk, 0, GCM_BLOCK);
	sg_init_one(&sg, st->blk, GCM_BLOCK);
	skcipher_request_set_callback(st->ctr_req, CRYPTO_TFM_REQ_MAY_BACKLOG |
				      CRYPTO_TFM_REQ_MAY_SLEEP,
				      crypto_req_done, &wait);
	skcipher_request_set_crypt(st->ctr_req, &sg, &sg, GCM_BLOCK, iv);
	return crypto_wait_req(crypto_skcipher_encrypt(st->ctr_req), &wait);
}

static int vdpa_accel_gcm_stream_alloc(struct vdpa_accel_session *s,
				       struct vdpa_accel_stream *st)
{
	int ret;

	st->ctr = vdpa_accel_alloc_skcipher("ctr(aes)");
	if (IS_ERR(st->ctr)) {
		ret = PTR_ERR(st->ctr);
		st->ctr = NULL;
		return ret;
	}
	st->ctr_req = skcipher_request_alloc(st->ctr, GFP_KERNEL);
	if (!st->ctr_req)
		return -ENOMEM;
	st->keyed = vdpa_accel_alloc_shash("ghash");
	if (IS_ERR(st->keyed)) {
		ret = PTR_ERR(st->keyed);
		st->keyed = NULL;
		return ret;
	}
	st->desc = vdpa_accel_desc_alloc(st->keyed);
	if (!st->desc)
		return -ENOMEM;
	ret = crypto_skcipher_setkey(st->ctr, s->c.key, s->c.key_len);
	if (ret)
		return ret;
	/* H = E(K, 0^128) */
	memset(st->ctrblk, 0, GCM_BLOCK);
	ret = vdpa_accel_ctr_block(st, st->ctrblk);
	if (ret)
		return ret;
	ret = crypto_shash_setkey(st->keyed, st->blk, GCM_BLOCK);
	memzero_explicit(st->blk, GCM_BLOCK);
	return ret;
}

int vdpa_accel_stream_alloc(struct vdpa_accel *va, struct vdpa_accel_session *s)
{
	struct vdpa_accel_stream *st;
	int ret = 0;
	u32 live;

	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	s->stream = st;
	switch (s->c.op) {
	case VIRTIO_ACCEL_OP_HASH:
		st->desc = vdpa_accel_desc_alloc(s->c.algo ==
						 VIRTIO_ACCEL_ALG_CRC32C ?
						 va->crc32c_tfm :
						 va->sha256_tfm);
		ret = st->desc ? 0 : -ENOMEM;
		break;
	case VIRTIO_ACCEL_OP_MAC:
		st->keyed = vdpa_accel_alloc_shash("hmac(sha256)");
		if (IS_ERR(st->keyed)) {
			ret = PTR_ERR(st->keyed);
			st->keyed = NULL;
			break;
		}
		ret = crypto_shash_setkey(st->keyed, s->c.key, s->c.key_len);
		if (ret)
			break;
		st->desc = vdpa_accel_desc_alloc(st->keyed);
		ret = st->desc ? 0 : -ENOMEM;
		break;
	case VIRTIO_ACCEL_OP_AEAD_ENCRYPT:
	case VIRTIO_ACCEL_OP_AEAD_DECRYPT:
		ret = vdpa_accel_gcm_stream_alloc(s, st);
		break;
	case VIRTIO_ACCEL_OP_COMPRESS:
	case VIRTIO_ACCEL_OP_DECOMPRESS:
		/* [STREAM-LIMIT]: zlib state is ~270 KiB, take a slot first */
		live = atomic_inc_return(&va->zstreams) - 1;
		if (virtio_accel_check_comp_stream(s->c.op, s->c.flags, &va->lim,
						   live) != VIRTIO_ACCEL_OK) {
			atomic_dec(&va->zstreams);
			ret = -ENOSPC;
			break;
		}
		st->z_mode = s->c.op == VIRTIO_ACCEL_OP_COMPRESS ? 1 : 2;
		ret = vdpa_accel_z_init(&st->z, st->z_mode,
					Z_DEFAULT_COMPRESSION);
		if (ret) {
			atomic_dec(&va->zstreams);
			st->z_mode = 0;
		}
		break;
	default:
		ret = -EINVAL;
		break;
	}
	if (ret)
		vdpa_accel_stream_free(va, s);
	return ret;
}

void vdpa_accel_stream_free(struct vdpa_accel *va, struct vdpa_accel_session *s)
{
	struct vdpa_accel_stream *st = s->stream;

	if (!st)
		return;
	vdpa_accel_desc_free(st->desc);
	crypto_free_shash(st->keyed);
	skcipher_request_free(st->ctr_req);
	crypto_free_skcipher(st->ctr);
	if (st->z_mode) {
		vdpa_accel_z_fini(&st->z, st->z_mode);
		atomic_dec(&va->zstreams);
	}
	kfree_sensitive(st);
	s->stream = NULL;
}

static u8 vdpa_accel_stream_deflate(struct vdpa_accel_stream *st,
				    struct vdpa_accel_req *r, bool start,
				    bool final)
{
	struct virtio_accel_zio io = vdpa_accel_zio(r);

	return vdpa_accel_zio_done(r, &io,
				   virtio_accel_z_stream(&st->z,
							 st->z_mode == 1,
							 start, final, &io));
}

/* XOR the CTR keystream into @buf, continuing where the last call ended. */
static int vdpa_accel_gcm_xor(struct vdpa_accel_stream *st,
			      struct vdpa_accel_qctx *qc, u8 *buf, u32 len)
{
	DECLARE_CRYPTO_WAIT(wait);
	u32 pos = 0, nb;
	u8 iv[GCM_BLOCK];
	int ret;

	while (st->ks_used < GCM_BLOCK && pos < len)
		buf[pos++] ^= st->ks[st->ks_used++];
	nb = (len - pos) / GCM_BLOCK;
	if (nb) {
		memcpy(iv, st->ctrblk, GCM_BLOCK);
		skcipher_request_set_callback(st->ctr_req,
					      CRYPTO_TFM_REQ_MAY_BACKLOG |
					      CRYPTO_TFM_REQ_MAY_SLEEP,
					      crypto_req_done, &wait);
		skcipher_request_set_crypt(st->ctr_req,
					   vdpa_accel_sg(qc, buf + pos,
							 nb * GCM_BLOCK),
					   qc->sg, nb * GCM_BLOCK, iv);
		ret = crypto_wait_req(crypto_skcipher_encrypt(st->ctr_req),
				      &wait);
		if (ret)
			return ret;
		/* inc32 cannot wrap: [STREAM-GCM-MAX] (the core) */
		put_unaligned_be32(get_unaligned_be32(st->ctrblk + 12) + nb,
				   st->ctrblk + 12);
		pos += nb * GCM_BLOCK;
	}
	if (pos < len) {
		ret = vdpa_accel_ctr_block(st, st->ctrblk);
		if (ret)
			return ret;
		memcpy(st->ks, st->blk, GCM_BLOCK);
		put_unaligned_be32(get_unaligned_be32(st->ctrblk + 12) + 1,
				   st->ctrblk + 12);
		st->ks_used = 0;
		while (pos < len)
			buf[pos++] ^= st->ks[st->ks_used++];
	}
	return 0;
}

static const u8 vdpa_accel_zeros[GCM_BLOCK];

static u8 vdpa_accel_stream_gcm(struct vdpa_accel_stream *st,
				struct vdpa_accel_req *r, bool start,
				bool final, bool dec)
{
	u32 len = r->op.src_len;
	u8 tag[GCM_BLOCK];
	__be64 lens[2];
	unsigned int i;

	if (dec && final)
		len -= GCM_BLOCK;
	if (start) {
		u8 j0[GCM_BLOCK];

		memcpy(j0, r->iv, VIRTIO_ACCEL_GCM_IV_LEN);
		put_unaligned_be32(1, j0 + 12);
		if (vdpa_accel_ctr_block(st, j0))
			return VIRTIO_ACCEL_ERR;
		memcpy(st->ekj0, st->blk, GCM_BLOCK);
		memcpy(st->ctrblk, j0, GCM_BLOCK);
		put_unaligned_be32(2, st->ctrblk + 12);
		st->ks_used = GCM_BLOCK;
		st->aad_len = r->op.aad_len;
		st->c_len = 0;
		if (crypto_shash_init(st->desc) ||
		    crypto_shash_update(st->desc, r->aad, r->op.aad_len) ||
		    crypto_shash_update(st->desc, vdpa_accel_zeros,
					(GCM_BLOCK - r->op.aad_len % GCM_BLOCK) %
					GCM_BLOCK))
			return VIRTIO_ACCEL_ERR;
	}
	memcpy(r->dst, r->src, len);
	/* GHASH runs over the ciphertext: before decryption, after encryption */
	if (dec && crypto_shash_update(st->desc, r->dst, len))
		return VIRTIO_ACCEL_ERR;
	if (vdpa_accel_gcm_xor(st, r->qc, r->dst, len))
		return VIRTIO_ACCEL_ERR;
	if (!dec && crypto_shash_update(st->desc, r->dst, len))
		return VIRTIO_ACCEL_ERR;
	st->c_len += len;
	r->dst_used = len;
	r->src_used = r->op.src_len;
	if (!final)
		return VIRTIO_ACCEL_OK;
	lens[0] = cpu_to_be64(st->aad_len * 8);
	lens[1] = cpu_to_be64(st->c_len * 8);
	if (crypto_shash_update(st->desc, vdpa_accel_zeros,
				(GCM_BLOCK - st->c_len % GCM_BLOCK) %
				GCM_BLOCK) ||
	    crypto_shash_update(st->desc, (u8 *)lens, sizeof(lens)) ||
	    crypto_shash_final(st->desc, tag))
		return VIRTIO_ACCEL_ERR;
	for (i = 0; i < GCM_BLOCK; i++)
		tag[i] ^= st->ekj0[i];
	if (dec) {
		if (crypto_memneq(tag, r->src + len, GCM_BLOCK)) {
			memzero_explicit(tag, sizeof(tag));
			return VIRTIO_ACCEL_AUTH_FAILED;
		}
	} else {
		memcpy(r->dst + len, tag, GCM_BLOCK);
		r->dst_used = len + GCM_BLOCK;
	}
	memzero_explicit(tag, sizeof(tag));
	return VIRTIO_ACCEL_OK;
}

/*
 * One request of a stream session (spec 9.2), with the session's lock
 * held. The device core decides where the stream starts and ends, checks
 * [STREAM-GCM-MAX], and aborts the stream when this is not OK: a stream
 * that starts again re-initialises its state.
 */
u8 vdpa_accel_stream_run(struct vdpa_accel *va, struct vdpa_accel_req *r,
			 bool start, bool final)
{
	struct vdpa_accel_session *s = r->sess;
	struct vdpa_accel_stream *st = s->stream;
	u32 len = r->op.src_len;
	u8 ret = VIRTIO_ACCEL_OK;

	if (!st)
		return VIRTIO_ACCEL_ERR;
	switch (s->c.op) {
	case VIRTIO_ACCEL_OP_HASH:
	case VIRTIO_ACCEL_OP_MAC:
		if ((start && crypto_shash_init(st->desc)) ||
		    crypto_shash_update(st->desc, r->src, len) ||
		    (final && crypto_shash_final(st->desc, r->dst)))
			return VIRTIO_ACCEL_ERR;
		if (final)
			r->dst_used = r->op.info->out_len;
		r->src_used = len;
		break;
	case VIRTIO_ACCEL_OP_AEAD_ENCRYPT:
	case VIRTIO_ACCEL_OP_AEAD_DECRYPT:
		ret = vdpa_accel_stream_gcm(st, r, start, final,
					    s->c.op == VIRTIO_ACCEL_OP_AEAD_DECRYPT);
		break;
	case VIRTIO_ACCEL_OP_COMPRESS:
	case VIRTIO_ACCEL_OP_DECOMPRESS:
		ret = vdpa_accel_stream_deflate(st, r, start, final);
		atomic64_inc(&va->deflate_zlib);
		break;
	default:
		return VIRTIO_ACCEL_NOTSUPP;
	}
	return ret;
}
