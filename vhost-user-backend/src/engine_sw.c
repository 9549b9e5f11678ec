// SPDX-License-Identifier: BSD-3-Clause
/*
 * Software engines: CRC32C (rte_hash_crc, SSE4.2), one-shot fallbacks for
 * the crypto operations (OpenSSL EVP), raw DEFLATE helpers (zlib), and the
 * stream continuation (spec section 9).
 *
 * Streams run here because rte_cryptodev has no incremental hash/MAC/GCM
 * interface and the zlib/ISA-L compressdev PMDs offer no stateful
 * compression; each stream session owns an EVP or zlib context instead.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <zlib.h>

#include <rte_hash_crc.h>

#include "backend.h"
#include "virtio_accel_zlib.h"

struct va_stream {
	EVP_MD_CTX *md;
	EVP_MAC_CTX *mac;
	EVP_CIPHER_CTX *cipher;
	z_stream z;
	int z_init;		/* 1 deflate, 2 inflate */
	uint32_t crc;
};

struct va_sw_q {
	EVP_MD_CTX *md;
	EVP_MAC_CTX *mac;
	EVP_CIPHER_CTX *cipher;
	z_stream inf;
	z_stream stored;
	z_stream def;
	int inf_init, stored_init, def_init;
};

static EVP_MAC *hmac_alg;

uint32_t va_crc32c(uint32_t crc, const void *p, uint32_t len)
{
	return rte_hash_crc(p, len, crc);
}

int va_sw_init(void)
{
	static const char kat[] = "123456789";
	uint32_t crc;

	/* [OP-HASH]: Castagnoli, init and final xor 0xffffffff */
	crc = ~va_crc32c(0xffffffffu, kat, 9);
	if (crc != 0xe3069283u) {
		VA_ERR("CRC32C self-test failed: 0x%08x", crc);
		return -1;
	}
	hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!hmac_alg) {
		VA_ERR("OpenSSL HMAC not available");
		return -1;
	}
	return 0;
}

static int mac_init(EVP_MAC_CTX *ctx, const uint8_t *key, uint32_t len)
{
	OSSL_PARAM p[2];

	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						(char *)"SHA256", 0);
	p[1] = OSSL_PARAM_construct_end();
	return EVP_MAC_init(ctx, key, len, p) == 1 ? 0 : -1;
}

int va_sw_qinit(struct va_qctx *qc)
{
	struct va_sw_q *sq = calloc(1, sizeof(*sq));

	if (!sq)
		return -1;
	qc->sq = sq;
	sq->md = EVP_MD_CTX_new();
	sq->mac = EVP_MAC_CTX_new(hmac_alg);
	sq->cipher = EVP_CIPHER_CTX_new();
	if (!sq->md || !sq->mac || !sq->cipher)
		goto out_free;
	if (inflateInit2(&sq->inf, -15) != Z_OK)
		goto out_free;
	sq->inf_init = 1;
	if (deflateInit2(&sq->stored, Z_NO_COMPRESSION, Z_DEFLATED, -15, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		goto out_free;
	sq->stored_init = 1;
	if (deflateInit2(&sq->def, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		goto out_free;
	sq->def_init = 1;
	return 0;
out_free:
	va_sw_qfini(qc);
	return -1;
}

void va_sw_qfini(struct va_qctx *qc)
{
	struct va_sw_q *sq = qc->sq;

	if (!sq)
		return;
	EVP_MD_CTX_free(sq->md);
	EVP_MAC_CTX_free(sq->mac);
	EVP_CIPHER_CTX_free(sq->cipher);
	if (sq->inf_init)
		inflateEnd(&sq->inf);
	if (sq->stored_init)
		deflateEnd(&sq->stored);
	if (sq->def_init)
		deflateEnd(&sq->def);
	free(sq);
	qc->sq = NULL;
}

uint8_t va_crc32c_run(struct va_req *r)
{
	uint32_t crc = ~va_crc32c(0xffffffffu, r->src, r->op.src_len);

	crc = cpu_to_le32(crc);
	memcpy(r->dst, &crc, sizeof(crc));
	r->dst_used = VIRTIO_ACCEL_CRC32C_LEN;
	r->src_used = r->op.src_len;
	return VIRTIO_ACCEL_OK;
}

/* AES-256-GCM in one go; @dec: src is ciphertext || tag. */
static uint8_t gcm_oneshot(EVP_CIPHER_CTX *c, struct va_req *r, int dec)
{
	uint32_t len = r->op.src_len - (dec ? VIRTIO_ACCEL_GCM_TAG_LEN : 0);
	uint8_t tag[VIRTIO_ACCEL_GCM_TAG_LEN];
	int outl = 0, fl = 0;

	if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL,
			      !dec) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN,
				VIRTIO_ACCEL_GCM_IV_LEN, NULL) != 1 ||
	    EVP_CipherInit_ex(c, NULL, NULL, r->key, r->iv, !dec) != 1)
		return VIRTIO_ACCEL_ERR;
	if (r->op.aad_len &&
	    EVP_CipherUpdate(c, NULL, &outl, r->aad, (int)r->op.aad_len) != 1)
		return VIRTIO_ACCEL_ERR;
	if (len && EVP_CipherUpdate(c, r->dst, &outl, r->src, (int)len) != 1)
		return VIRTIO_ACCEL_ERR;
	if (dec) {
		memcpy(tag, r->src + len, sizeof(tag));
		if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, sizeof(tag),
					tag) != 1)
			return VIRTIO_ACCEL_ERR;
		if (EVP_CipherFinal_ex(c, r->dst + len, &fl) != 1)
			return VIRTIO_ACCEL_AUTH_FAILED;
		r->dst_used = len;
	} else {
		if (EVP_CipherFinal_ex(c, r->dst + len, &fl) != 1 ||
		    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG,
					VIRTIO_ACCEL_GCM_TAG_LEN,
					r->dst + len) != 1)
			return VIRTIO_ACCEL_ERR;
		r->dst_used = len + VIRTIO_ACCEL_GCM_TAG_LEN;
	}
	r->src_used = r->op.src_len;
	return VIRTIO_ACCEL_OK;
}

/* One-shot SHA-256, HMAC-SHA-256, AES-256-GCM in software. */
uint8_t va_sw_oneshot(struct va_req *r)
{
	static const uint8_t no_key[VIRTIO_ACCEL_SHA256_LEN];
	struct va_sw_q *sq = r->qc->sq;
	size_t outl = 0;
	unsigned int mdl = 0;
	uint8_t st;

	switch (r->op.opcode) {
	case VIRTIO_ACCEL_OP_HASH:
		if (EVP_DigestInit_ex(sq->md, EVP_sha256(), NULL) != 1 ||
		    EVP_DigestUpdate(sq->md, r->src, r->op.src_len) != 1 ||
		    EVP_DigestFinal_ex(sq->md, r->dst, &mdl) != 1)
			return VIRTIO_ACCEL_ERR;
		r->dst_used = VIRTIO_ACCEL_SHA256_LEN;
		break;
	case VIRTIO_ACCEL_OP_MAC:
		st = VIRTIO_ACCEL_OK;
		if (mac_init(sq->mac, r->key, r->key_len) < 0 ||
		    EVP_MAC_update(sq->mac, r->src, r->op.src_len) != 1 ||
		    EVP_MAC_final(sq->mac, r->dst, &outl,
				  VIRTIO_ACCEL_SHA256_LEN) != 1)
			st = VIRTIO_ACCEL_ERR;
		/* [SESS-KEY]: the context keeps a copy of the key: replace it */
		mac_init(sq->mac, no_key, sizeof(no_key));
		if (st != VIRTIO_ACCEL_OK)
			return st;
		r->dst_used = VIRTIO_ACCEL_SHA256_LEN;
		break;
	case VIRTIO_ACCEL_OP_AEAD_ENCRYPT:
	case VIRTIO_ACCEL_OP_AEAD_DECRYPT:
		st = gcm_oneshot(sq->cipher, r,
				 r->op.opcode == VIRTIO_ACCEL_OP_AEAD_DECRYPT);
		/* and the key schedule: cleansed, set up again next time */
		EVP_CIPHER_CTX_reset(sq->cipher);
		return st;
	default:
		return VIRTIO_ACCEL_NOTSUPP;
	}
	r->src_used = r->op.src_len;
	return VIRTIO_ACCEL_OK;
}

/* Run a shared zlib step on a request's buffers (virtio_accel_zlib.c). */
static struct virtio_accel_zio zio_of(const struct va_req *r)
{
	struct virtio_accel_zio io = {
		.src = r->src, .src_len = r->op.src_len,
		.dst = r->dst, .dst_len = r->op.dst_len,
	};

	return io;
}

static uint8_t zio_done(struct va_req *r, const struct virtio_accel_zio *io,
			uint8_t st)
{
	r->src_used = io->src_used;
	r->dst_used = io->dst_used;
	r->rflags = io->rflags;
	return st;
}

/* Raw DEFLATE of src with stored blocks only: always fits the spec bound. */
uint8_t va_sw_deflate_stored(struct va_req *r)
{
	struct virtio_accel_zio io = zio_of(r);

	return zio_done(r, &io,
			virtio_accel_z_deflate_once(&r->qc->sq->stored, &io));
}

/* Software one-shot COMPRESS (no PMD): zlib default level, then stored. */
uint8_t va_sw_deflate(struct va_req *r)
{
	struct virtio_accel_zio io = zio_of(r);
	uint8_t st = virtio_accel_z_deflate_once(&r->qc->sq->def, &io);

	if (st == VIRTIO_ACCEL_NOSPC &&
	    r->op.dst_len >= virtio_accel_deflate_bound(r->op.src_len))
		return va_sw_deflate_stored(r);
	return zio_done(r, &io, st);
}

/* One-shot DECOMPRESS ([OP-DEFLATE]), on zlib: see the README for why. */
uint8_t va_sw_inflate(struct va_req *r)
{
	struct virtio_accel_zio io = zio_of(r);

	return zio_done(r, &io,
			virtio_accel_z_inflate_once(&r->qc->sq->inf, &io));
}

/* ---- streams ---- */

int va_stream_alloc(struct va_session *s)
{
	struct va_stream *st = calloc(1, sizeof(*st));
	int ok = 1;

	if (!st)
		return -1;
	switch (s->c.op) {
	case VIRTIO_ACCEL_OP_HASH:
		if (s->c.algo == VIRTIO_ACCEL_ALG_SHA256)
			ok = !!(st->md = EVP_MD_CTX_new());
		break;
	case VIRTIO_ACCEL_OP_MAC:
		ok = !!(st->mac = EVP_MAC_CTX_new(hmac_alg));
		break;
	case VIRTIO_ACCEL_OP_AEAD_ENCRYPT:
	case VIRTIO_ACCEL_OP_AEAD_DECRYPT:
		ok = !!(st->cipher = EVP_CIPHER_CTX_new());
		break;
	case VIRTIO_ACCEL_OP_COMPRESS:
		ok = deflateInit2(&st->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED,
				  -15, 8, Z_DEFAULT_STRATEGY) == Z_OK;
		st->z_init = ok ? 1 : 0;
		break;
	case VIRTIO_ACCEL_OP_DECOMPRESS:
		ok = inflateInit2(&st->z, -15) == Z_OK;
		st->z_init = ok ? 2 : 0;
		break;
	default:
		ok = 0;
		break;
	}
	s->stream = st;
	if (!ok) {
		va_stream_free(s);
		return -1;
	}
	return 0;
}

void va_stream_free(struct va_session *s)
{
	struct va_stream *st = s->stream;

	if (!st)
		return;
	EVP_MD_CTX_free(st->md);
	EVP_MAC_CTX_free(st->mac);	/* frees the copied key too */
	EVP_CIPHER_CTX_free(st->cipher);	/* cleanses the key schedule */
	if (st->z_init == 1)
		deflateEnd(&st->z);
	else if (st->z_init == 2)
		inflateEnd(&st->z);
	explicit_bzero(st, sizeof(*st));
	free(st);
	s->stream = NULL;
}

void va_stream_abort(struct va_session *s)
{
	struct va_stream *st = s->stream;

	if (!st)
		return;
	if (st->z_init == 1)
		deflateReset(&st->z);
	else if (st->z_init == 2)
		inflateReset(&st->z);
	st->crc = 0;
}

static uint8_t stream_deflate(struct va_stream *st, struct va_req *r,
			      int start, int final)
{
	struct virtio_accel_zio io = zio_of(r);

	return zio_done(r, &io, virtio_accel_z_stream(&st->z, st->z_init == 1,
						      start, final, &io));
}

static uint8_t stream_gcm(struct va_stream *st, struct va_req *r, int start,
			  int final, int dec)
{
	EVP_CIPHER_CTX *c = st->cipher;
	uint32_t len = r->op.src_len;
	uint8_t tag[VIRTIO_ACCEL_GCM_TAG_LEN];
	int outl = 0, fl = 0;

	if (dec && final)
		len -= VIRTIO_ACCEL_GCM_TAG_LEN;
	if (start) {
		if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL,
				      !dec) != 1 ||
		    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN,
					VIRTIO_ACCEL_GCM_IV_LEN, NULL) != 1 ||
		    EVP_CipherInit_ex(c, NULL, NULL, r->key, r->iv, !dec) != 1)
			return VIRTIO_ACCEL_ERR;
		if (r->op.aad_len &&
		    EVP_CipherUpdate(c, NULL, &outl, r->aad,
				     (int)r->op.aad_len) != 1)
			return VIRTIO_ACCEL_ERR;
	}
	if (len && EVP_CipherUpdate(c, r->dst, &outl, r->src, (int)len) != 1)
		return VIRTIO_ACCEL_ERR;
	r->dst_used = len;
	r->src_used = r->op.src_len;
	if (!final)
		return VIRTIO_ACCEL_OK;
	if (dec) {
		memcpy(tag, r->src + len, sizeof(tag));
		if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, sizeof(tag),
					tag) != 1)
			return VIRTIO_ACCEL_ERR;
		if (EVP_CipherFinal_ex(c, r->dst + len, &fl) != 1)
			return VIRTIO_ACCEL_AUTH_FAILED;
	} else {
		if (EVP_CipherFinal_ex(c, r->dst + len, &fl) != 1 ||
		    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG,
					VIRTIO_ACCEL_GCM_TAG_LEN,
					r->dst + len) != 1)
			return VIRTIO_ACCEL_ERR;
		r->dst_used = len + VIRTIO_ACCEL_GCM_TAG_LEN;
	}
	return VIRTIO_ACCEL_OK;
}

/*
 * One request of a stream session (spec 9.2). The device core decides where
 * the stream starts and ends, checks [STREAM-GCM-MAX], and aborts the stream
 * when this returns anything but OK ([STREAM-ERR]).
 */
uint8_t va_stream_run(struct va_req *r, int start, int final)
{
	struct va_session *s = r->sess;
	struct va_stream *st = s->stream;
	uint32_t len = r->op.src_len, crc;
	unsigned int mdl = 0;
	size_t outl = 0;
	uint8_t ret = VIRTIO_ACCEL_OK;

	if (!st)
		return VIRTIO_ACCEL_ERR;
	switch (s->c.op) {
	case VIRTIO_ACCEL_OP_HASH:
		if (s->c.algo == VIRTIO_ACCEL_ALG_CRC32C) {
			if (start)
				st->crc = 0xffffffffu;
			st->crc = va_crc32c(st->crc, r->src, len);
			if (final) {
				crc = cpu_to_le32(~st->crc);
				memcpy(r->dst, &crc, sizeof(crc));
				r->dst_used = sizeof(crc);
			}
		} else {
			if ((start && EVP_DigestInit_ex(st->md, EVP_sha256(),
							NULL) != 1) ||
			    EVP_DigestUpdate(st->md, r->src, len) != 1 ||
			    (final &&
			     EVP_DigestFinal_ex(st->md, r->dst, &mdl) != 1))
				return VIRTIO_ACCEL_ERR;
			if (final)
				r->dst_used = VIRTIO_ACCEL_SHA256_LEN;
		}
		r->src_used = len;
		break;
	case VIRTIO_ACCEL_OP_MAC:
		if ((start && mac_init(st->mac, s->c.key, s->c.key_len) < 0) ||
		    EVP_MAC_update(st->mac, r->src, len) != 1 ||
		    (final && EVP_MAC_final(st->mac, r->dst, &outl,
					    VIRTIO_ACCEL_SHA256_LEN) != 1))
			return VIRTIO_ACCEL_ERR;
		if (final)
			r->dst_used = VIRTIO_ACCEL_SHA256_LEN;
		r->src_used = len;
		break;
	case VIRTIO_ACCEL_OP_AEAD_ENCRYPT:
	case VIRTIO_ACCEL_OP_AEAD_DECRYPT:
		r->key = s->c.key;
		ret = stream_gcm(st, r, start, final,
				 s->c.op == VIRTIO_ACCEL_OP_AEAD_DECRYPT);
		break;
	case VIRTIO_ACCEL_OP_COMPRESS:
	case VIRTIO_ACCEL_OP_DECOMPRESS:
		ret = stream_deflate(st, r, start, final);
		break;
	default:
		return VIRTIO_ACCEL_NOTSUPP;
	}
	return ret;
}
