// SPDX-License-Identifier: BSD-3-Clause
/*
 * Software engines: CRC32C (rte_hash_crc, SSE4.2), one-shot fallbacks for
 * the crypto operations (OpenSSL EVP), raw DEFLATE helpers (zlib), and the
 * stream continuation (spec section 9).
 *
 * AES-256-GCM here (one-shots too long for the PMD, and streams) runs on
 * intel-ipsec-mb's GCM where the CPU has AES-NI (its VAES/AVX-512 code is
 * ~2.4x OpenSSL 3.0's on this project's machines), else on OpenSSL's.
 *
 * Streams run here because rte_cryptodev has no incremental hash/MAC/GCM
 * interface and the zlib/ISA-L compressdev PMDs offer no stateful
 * compression; each stream session owns a SHA256_CTX, an EVP or a zlib
 * context instead. A stream's state can be exported and imported for live
 * migration (docs/migration-design.md, section 3): SHA-256 and HMAC from
 * the SHA256_CTX, AES-256-GCM from OpenSSL's or intel-ipsec-mb's GCM by
 * its tag and resumed on an own CTR + GHASH path, DEFLATE compression by a
 * flushed copy and its window; DEFLATE decompression cannot travel (lost).
 */
/* SHA256_CTX: deprecated in OpenSSL 3.0, and the only exportable state */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/sha.h>
#include <zlib.h>

#include <intel-ipsec-mb.h>
#include <rte_hash_crc.h>

#include "backend.h"
#include "virtio_accel_zlib.h"

struct va_sw_q {
	EVP_MD_CTX *md;
	EVP_MAC_CTX *mac;
	EVP_CIPHER_CTX *cipher;
	struct va_imb_gcm *imb;	/* with intel-ipsec-mb, for one-shots */
	z_stream inf;
	z_stream stored;
	z_stream def;
	int inf_init, stored_init, def_init;
};

static EVP_MAC *hmac_alg;

/*
 * intel-ipsec-mb's manager, set up once by va_sw_init() and only read
 * after: its GCM functions keep their state in the caller's key data and
 * context, so every worker may call them at once. NULL: OpenSSL's GCM.
 * imb_gcm: tests switch it off (va_sw_test_imb()).
 */
static IMB_MGR *imb;
static int imb_gcm;

/* a key's AES round keys and GHASH powers, and one message's GCM state */
struct va_imb_gcm {
	struct gcm_key_data kd;
	struct gcm_context_data ctx;
};

static struct va_imb_gcm *imb_gcm_new(void)
{
	struct va_imb_gcm *g = aligned_alloc(64, (sizeof(*g) + 63) & ~63ul);

	if (g)
		memset(g, 0, sizeof(*g));
	return g;
}

/* the tag of the message in @c (the stream's context or a copy of it) */
static void imb_gcm_tag(struct va_imb_gcm *g, struct gcm_context_data *c,
			int dec, uint8_t *tag)
{
	if (dec)
		IMB_AES256_GCM_DEC_FINALIZE(imb, &g->kd, c, tag, 16);
	else
		IMB_AES256_GCM_ENC_FINALIZE(imb, &g->kd, c, tag, 16);
}

static void imb_gcm_free(struct va_imb_gcm *g)
{
	if (!g)
		return;
	explicit_bzero(g, sizeof(*g));
	free(g);
}

static void stream_init(void);

uint32_t va_crc32c(uint32_t crc, const void *p, uint32_t len)
{
	const uint8_t *b = p;

	/* rte_hash_crc() loads whole words: give it an aligned start */
	for (; len && ((uintptr_t)b & 7); len--)
		crc = rte_hash_crc_1byte(*b++, crc);
	return rte_hash_crc(b, len, crc);
}

static const char *const imb_arch_name[] = {
	[IMB_ARCH_SSE] = "SSE", [IMB_ARCH_AVX] = "AVX",
	[IMB_ARCH_AVX2] = "AVX2", [IMB_ARCH_AVX512] = "AVX-512",
};

/* intel-ipsec-mb for AES-256-GCM, where the CPU has AES-NI */
static void imb_init(void)
{
	IMB_ARCH arch = IMB_ARCH_NONE;

	if (imb)
		return;
	imb = alloc_mb_mgr(0);
	if (imb)
		init_mb_mgr_auto(imb, &arch);
	if (imb && (imb_get_errno(imb) || arch < IMB_ARCH_SSE ||
		    arch > IMB_ARCH_AVX512)) {
		free_mb_mgr(imb);
		imb = NULL;
	}
	imb_gcm = !!imb;
	if (imb)
		VA_INFO("AES-256-GCM in software: intel-ipsec-mb %s (%s)",
			imb_get_version_str(), imb_arch_name[arch]);
	else
		VA_INFO("AES-256-GCM in software: OpenSSL (intel-ipsec-mb "
			"has no AES-NI code for this CPU)");
}

int va_sw_test_imb(int on)
{
	imb_gcm = on && imb;
	return imb_gcm;
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
	imb_init();
	stream_init();
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
	if (imb && !(sq->imb = imb_gcm_new()))
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
	imb_gcm_free(sq->imb);
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

/* gcm_oneshot() on intel-ipsec-mb; its key data wiped after */
static uint8_t gcm_oneshot_imb(struct va_imb_gcm *g, struct va_req *r,
			       int dec)
{
	uint32_t len = r->op.src_len - (dec ? VIRTIO_ACCEL_GCM_TAG_LEN : 0);
	uint8_t tag[VIRTIO_ACCEL_GCM_TAG_LEN], want[VIRTIO_ACCEL_GCM_TAG_LEN];
	uint8_t st = VIRTIO_ACCEL_OK;

	IMB_AES256_GCM_PRE(imb, r->key, &g->kd);
	if (dec) {
		memcpy(want, r->src + len, sizeof(want)); /* read once */
		IMB_AES256_GCM_DEC(imb, &g->kd, &g->ctx, r->dst, r->src, len,
				   r->iv, r->aad, r->op.aad_len, tag,
				   sizeof(tag));
		if (CRYPTO_memcmp(tag, want, sizeof(tag)))
			st = VIRTIO_ACCEL_AUTH_FAILED;
		r->dst_used = len;
	} else {
		IMB_AES256_GCM_ENC(imb, &g->kd, &g->ctx, r->dst, r->src, len,
				   r->iv, r->aad, r->op.aad_len, r->dst + len,
				   VIRTIO_ACCEL_GCM_TAG_LEN);
		r->dst_used = len + VIRTIO_ACCEL_GCM_TAG_LEN;
	}
	explicit_bzero(g, sizeof(*g));
	explicit_bzero(tag, sizeof(tag));
	if (st == VIRTIO_ACCEL_OK)
		r->src_used = r->op.src_len;
	return st;
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
		if (imb_gcm && sq->imb)
			return gcm_oneshot_imb(sq->imb, r, r->op.opcode ==
					       VIRTIO_ACCEL_OP_AEAD_DECRYPT);
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

/*
 * GHASH (SP 800-38D 6.4) for AES-256-GCM streams that run outside OpenSSL's
 * GCM: a stream imported from another device (migration) and, if the
 * start-up self-test says the export below cannot work, every decrypt
 * stream. Blocks and the accumulator are kept in GCM's byte order.
 */
struct gf128 {
	uint64_t hi, lo;	/* bytes 0..7 and 8..15, big-endian */
};

static struct gf128 gf_load(const uint8_t *b)
{
	struct gf128 v;

	memcpy(&v.hi, b, 8);
	memcpy(&v.lo, b + 8, 8);
	v.hi = be64toh(v.hi);
	v.lo = be64toh(v.lo);
	return v;
}

static void gf_store(uint8_t *b, struct gf128 v)
{
	v.hi = htobe64(v.hi);
	v.lo = htobe64(v.lo);
	memcpy(b, &v.hi, 8);
	memcpy(b + 8, &v.lo, 8);
}

/* X · Y bit by bit, in constant time (SP 800-38D, algorithm 1) */
static struct gf128 gf_mul_portable(struct gf128 x, struct gf128 y)
{
	struct gf128 z = { 0, 0 }, v = y;
	uint64_t m, lsb;
	int i;

	for (i = 0; i < 128; i++) {
		m = 0 - ((i < 64 ? x.hi >> (63 - i) : x.lo >> (127 - i)) & 1);
		z.hi ^= v.hi & m;
		z.lo ^= v.lo & m;
		lsb = v.lo & 1;
		v.lo = (v.lo >> 1) | (v.hi << 63);
		v.hi = (v.hi >> 1) ^ (0xe100000000000000ULL & (0 - lsb));
	}
	return z;
}

#if defined(__x86_64__)
#include <immintrin.h>

#define VA_PCLMUL __attribute__((target("pclmul,ssse3,sse4.1")))

/*
 * The same product with PCLMULQDQ on byte-reversed operands (Intel's
 * "Carry-Less Multiplication and Its Usage for Computing the GCM Mode",
 * algorithm 5: multiply, shift left by one for the reflected bit order,
 * reduce modulo x^128 + x^7 + x^2 + x + 1).
 */
/* the 256-bit carry-less product of a and b, in two halves */
static VA_PCLMUL void clmul_wide(__m128i a, __m128i b, __m128i *lo,
				 __m128i *hi)
{
	__m128i t3, t4, t5, t6;

	t3 = _mm_clmulepi64_si128(a, b, 0x00);
	t4 = _mm_clmulepi64_si128(a, b, 0x10);
	t5 = _mm_clmulepi64_si128(a, b, 0x01);
	t6 = _mm_clmulepi64_si128(a, b, 0x11);
	t4 = _mm_xor_si128(t4, t5);
	*lo = _mm_xor_si128(t3, _mm_slli_si128(t4, 8));
	*hi = _mm_xor_si128(t6, _mm_srli_si128(t4, 8));
}

/* shifted left by one (reflected bits) and reduced: linear, so sums too */
static VA_PCLMUL __m128i clmul_reduce(__m128i t3, __m128i t6)
{
	__m128i t2, t4, t5, t7, t8, t9;

	t7 = _mm_srli_epi32(t3, 31);
	t8 = _mm_srli_epi32(t6, 31);
	t3 = _mm_slli_epi32(t3, 1);
	t6 = _mm_slli_epi32(t6, 1);
	t9 = _mm_srli_si128(t7, 12);
	t8 = _mm_slli_si128(t8, 4);
	t7 = _mm_slli_si128(t7, 4);
	t3 = _mm_or_si128(t3, t7);
	t6 = _mm_or_si128(t6, t8);
	t6 = _mm_or_si128(t6, t9);
	t7 = _mm_slli_epi32(t3, 31);
	t8 = _mm_slli_epi32(t3, 30);
	t9 = _mm_slli_epi32(t3, 25);
	t7 = _mm_xor_si128(t7, t8);
	t7 = _mm_xor_si128(t7, t9);
	t8 = _mm_srli_si128(t7, 4);
	t7 = _mm_slli_si128(t7, 12);
	t3 = _mm_xor_si128(t3, t7);
	t2 = _mm_srli_epi32(t3, 1);
	t4 = _mm_srli_epi32(t3, 2);
	t5 = _mm_srli_epi32(t3, 7);
	t2 = _mm_xor_si128(t2, t4);
	t2 = _mm_xor_si128(t2, t5);
	t2 = _mm_xor_si128(t2, t8);
	t3 = _mm_xor_si128(t3, t2);
	return _mm_xor_si128(t6, t3);
}

static VA_PCLMUL __m128i clmul_gf(__m128i a, __m128i b)
{
	__m128i lo, hi;

	clmul_wide(a, b, &lo, &hi);
	return clmul_reduce(lo, hi);
}

static VA_PCLMUL __m128i clmul_load(const uint8_t *b)
{
	const __m128i rev = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
					 11, 12, 13, 14, 15);

	return _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)b), rev);
}

static VA_PCLMUL void clmul_store(uint8_t *b, __m128i v)
{
	const __m128i rev = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
					 11, 12, 13, 14, 15);

	_mm_storeu_si128((__m128i *)b, _mm_shuffle_epi8(v, rev));
}

static VA_PCLMUL void ghash_pclmul(uint8_t *x, const uint8_t *h,
				   const uint8_t *p, size_t nblk)
{
	__m128i hv = clmul_load(h), xv = clmul_load(x);

	for (; nblk; nblk--, p += 16)
		xv = clmul_gf(_mm_xor_si128(xv, clmul_load(p)), hv);
	clmul_store(x, xv);
}

/*
 * Four blocks at a time: X' = (X ^ B0)·H^4 ^ B1·H^3 ^ B2·H^2 ^ B3·H, four
 * independent products and one reduction (@hp: H^1..H^4).
 */
static VA_PCLMUL void ghash_pclmul4(uint8_t *x, const uint8_t (*hp)[16],
				    const uint8_t *p, size_t nblk)
{
	__m128i h1 = clmul_load(hp[0]), h2 = clmul_load(hp[1]);
	__m128i h3 = clmul_load(hp[2]), h4 = clmul_load(hp[3]);
	__m128i xv = clmul_load(x), t0, t1, t2, t3;

	for (; nblk >= 4; nblk -= 4, p += 64) {
		clmul_wide(_mm_xor_si128(xv, clmul_load(p)), h4, &t0, &t1);
		clmul_wide(clmul_load(p + 16), h3, &t2, &t3);
		t0 = _mm_xor_si128(t0, t2);
		t1 = _mm_xor_si128(t1, t3);
		clmul_wide(clmul_load(p + 32), h2, &t2, &t3);
		t0 = _mm_xor_si128(t0, t2);
		t1 = _mm_xor_si128(t1, t3);
		clmul_wide(clmul_load(p + 48), h1, &t2, &t3);
		xv = clmul_reduce(_mm_xor_si128(t0, t2),
				  _mm_xor_si128(t1, t3));
	}
	for (; nblk; nblk--, p += 16)
		xv = clmul_gf(_mm_xor_si128(xv, clmul_load(p)), h1);
	clmul_store(x, xv);
}

static VA_PCLMUL struct gf128 gf_mul_pclmul(struct gf128 x, struct gf128 y)
{
	uint8_t a[16], b[16];

	gf_store(a, x);
	gf_store(b, y);
	clmul_store(a, clmul_gf(clmul_load(a), clmul_load(b)));
	return gf_load(a);
}
#endif

/* 1: PCLMULQDQ (va_sw_init()); tests may switch it off */
static int gf_fast;

static struct gf128 gf_mul(struct gf128 x, struct gf128 y)
{
#if defined(__x86_64__)
	if (gf_fast)
		return gf_mul_pclmul(x, y);
#endif
	return gf_mul_portable(x, y);
}

/* x = (x ^ p[i]) · h for each of @nblk blocks */
static void ghash_blocks(uint8_t *x, const uint8_t *h, const uint8_t *p,
			 size_t nblk)
{
	struct gf128 xv, hv, b;

#if defined(__x86_64__)
	if (gf_fast) {
		ghash_pclmul(x, h, p, nblk);
		return;
	}
#endif
	xv = gf_load(x);
	hv = gf_load(h);
	for (; nblk; nblk--, p += 16) {
		b = gf_load(p);
		xv.hi ^= b.hi;
		xv.lo ^= b.lo;
		xv = gf_mul_portable(xv, hv);
	}
	gf_store(x, xv);
}

/* H^-1 = H^(2^128 - 2): 127 squarings, 126 multiplications */
static struct gf128 gf_inv(struct gf128 h)
{
	struct gf128 r = h;
	int i;

	for (i = 0; i < 126; i++)
		r = gf_mul(gf_mul(r, r), h);
	return gf_mul(r, r);
}

/*
 * An AES-256-GCM stream on the own path: CTR with EVP's aes-256-ctr from
 * block J0 + 1 + ct_len / 16, GHASH above. x covers the AAD and the whole
 * blocks of ciphertext, part the ct_len % 16 bytes after them.
 */
struct va_gcm {
	EVP_CIPHER_CTX *ctr;
	uint8_t h[16], e0[16], x[16], part[16];
	uint8_t hpow[4][16];	/* H^1..H^4, for the PCLMULQDQ path */
	uint8_t iv[VIRTIO_ACCEL_GCM_IV_LEN];
	uint32_t part_len;
	uint64_t aad_len, ct_len;
};

/* AES_K(block) into @out (H = AES_K(0), E0 = AES_K(J0)) */
static int aes_block(const uint8_t *key, const uint8_t *in, uint8_t *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int outl = 0, ok;

	if (!c)
		return -ENOMEM;
	ok = EVP_EncryptInit_ex(c, EVP_aes_256_ecb(), NULL, key, NULL) == 1 &&
	     EVP_CIPHER_CTX_set_padding(c, 0) == 1 &&
	     EVP_EncryptUpdate(c, out, &outl, in, 16) == 1 && outl == 16;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -EIO;
}

static int gcm_keys(const uint8_t *key, const uint8_t *iv, uint8_t *h,
		    uint8_t *e0)
{
	static const uint8_t zero[16];
	uint8_t j0[16];

	memcpy(j0, iv, VIRTIO_ACCEL_GCM_IV_LEN);
	memset(j0 + VIRTIO_ACCEL_GCM_IV_LEN, 0, 3);
	j0[15] = 1;
	if (aes_block(key, zero, h) < 0 || aes_block(key, j0, e0) < 0)
		return -EIO;
	return 0;
}

static void gcm_own_free(struct va_gcm *g)
{
	if (!g)
		return;
	EVP_CIPHER_CTX_free(g->ctr);
	explicit_bzero(g, sizeof(*g));
	free(g);
}

/* Fold bytes (AAD, then ciphertext) into GHASH, 16-byte blocks */
static void gcm_own_absorb(struct va_gcm *g, const uint8_t *p, size_t n)
{
	size_t k;

	if (g->part_len) {
		k = 16 - g->part_len < n ? 16 - g->part_len : n;
		memcpy(g->part + g->part_len, p, k);
		g->part_len += k;
		p += k;
		n -= k;
		if (g->part_len < 16)
			return;
		ghash_blocks(g->x, g->h, g->part, 1);
		g->part_len = 0;
	}
#if defined(__x86_64__)
	if (gf_fast)
		ghash_pclmul4(g->x, (const uint8_t (*)[16])g->hpow, p, n / 16);
	else
#endif
		ghash_blocks(g->x, g->h, p, n / 16);
	p += n & ~(size_t)15;
	n &= 15;
	memcpy(g->part, p, n);
	g->part_len = n;
}

/* GHASH a zero-padded partial block, if any */
static void gcm_own_pad(uint8_t *x, const uint8_t *h, const uint8_t *part,
			uint32_t part_len)
{
	uint8_t b[16] = { 0 };

	if (!part_len)
		return;
	memcpy(b, part, part_len);
	ghash_blocks(x, h, b, 1);
}

/*
 * Set up the own path at the state @st describes (a stream's start: x and
 * lengths zero, then the AAD absorbed by gcm_own_start()).
 */
static struct va_gcm *gcm_own_new(const uint8_t *key,
				  const struct virtio_accel_st_gcm *st)
{
	struct va_gcm *g = calloc(1, sizeof(*g));
	uint8_t ctr0[16], skip[16];
	uint64_t blk;
	int outl = 0, i;

	if (!g)
		return NULL;
	g->ctr = EVP_CIPHER_CTX_new();
	if (!g->ctr || gcm_keys(key, st->iv, g->h, g->e0) < 0)
		goto out_free;
	memcpy(g->hpow[0], g->h, 16);
	for (i = 1; i < 4; i++)
		gf_store(g->hpow[i], gf_mul(gf_load(g->hpow[i - 1]),
					    gf_load(g->h)));
	memcpy(g->iv, st->iv, sizeof(g->iv));
	memcpy(g->x, st->x, 16);
	memcpy(g->part, st->part, st->part_len);
	g->part_len = st->part_len;
	g->aad_len = st->aad_len;
	g->ct_len = st->ct_len;
	/* the counter of the next key-stream byte: inc32 never wraps here */
	blk = 2 + st->ct_len / 16;
	memcpy(ctr0, st->iv, VIRTIO_ACCEL_GCM_IV_LEN);
	ctr0[12] = (uint8_t)(blk >> 24);
	ctr0[13] = (uint8_t)(blk >> 16);
	ctr0[14] = (uint8_t)(blk >> 8);
	ctr0[15] = (uint8_t)blk;
	memset(skip, 0, sizeof(skip));
	if (EVP_EncryptInit_ex(g->ctr, EVP_aes_256_ctr(), NULL, key,
			       ctr0) != 1 ||
	    (st->ct_len % 16 &&
	     EVP_EncryptUpdate(g->ctr, skip, &outl, skip,
			       (int)(st->ct_len % 16)) != 1))
		goto out_free;
	explicit_bzero(skip, sizeof(skip));
	return g;
out_free:
	gcm_own_free(g);
	return NULL;
}

static struct va_gcm *gcm_own_start(const uint8_t *key, const uint8_t *iv,
				    const uint8_t *aad, uint32_t aad_len)
{
	struct virtio_accel_st_gcm st = { 0 };
	struct va_gcm *g;

	memcpy(st.iv, iv, sizeof(st.iv));
	g = gcm_own_new(key, &st);
	if (!g)
		return NULL;
	gcm_own_absorb(g, aad, aad_len);
	gcm_own_pad(g->x, g->h, g->part, g->part_len);
	g->part_len = 0;
	g->aad_len = aad_len;
	return g;
}

/* CTR and GHASH over @len bytes; the ciphertext is hashed from own memory */
static int gcm_own_update(struct va_gcm *g, const uint8_t *in, uint8_t *out,
			  uint32_t len, int dec)
{
	uint8_t buf[4096];
	uint32_t n;
	int outl;

	while (len) {
		n = len < sizeof(buf) ? len : sizeof(buf);
		if (dec) {
			memcpy(buf, in, n);
			gcm_own_absorb(g, buf, n);
			if (EVP_EncryptUpdate(g->ctr, out, &outl, buf,
					      (int)n) != 1)
				return -EIO;
		} else {
			if (EVP_EncryptUpdate(g->ctr, buf, &outl, in,
					      (int)n) != 1)
				return -EIO;
			gcm_own_absorb(g, buf, n);
			memcpy(out, buf, n);
		}
		g->ct_len += n;
		in += n;
		out += n;
		len -= n;
	}
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

static void gcm_own_tag(const struct va_gcm *g, uint8_t *tag)
{
	uint8_t x[16], l[16];
	struct gf128 lv = { g->aad_len * 8, g->ct_len * 8 };
	int i;

	memcpy(x, g->x, 16);
	gcm_own_pad(x, g->h, g->part, g->part_len);
	gf_store(l, lv);
	ghash_blocks(x, g->h, l, 1);
	for (i = 0; i < 16; i++)
		tag[i] = x[i] ^ g->e0[i];
}

struct va_stream {
	SHA256_CTX sha;		/* SHA-256; HMAC-SHA-256: the inner hash */
	SHA256_CTX sha_out;	/* HMAC-SHA-256: the outer hash, opad done */
	EVP_CIPHER_CTX *cipher;	/* AES-256-GCM on OpenSSL's GCM, */
	struct va_imb_gcm *imb;	/* or on intel-ipsec-mb's (on_imb) */
	int on_imb;
	struct va_gcm *own;	/* AES-256-GCM on the own path, or NULL */
	/* AES-256-GCM, for the export: IV, lengths, the ct_len % 16 tail */
	uint8_t iv[VIRTIO_ACCEL_GCM_IV_LEN];
	uint64_t aad_len, ct_len;
	uint8_t tail[16];
	z_stream z;
	int z_init;		/* 1 deflate, 2 inflate */
	int z_level, z_strategy, z_mem_level;	/* deflateInit2()'s */
	/* DEFLATE compress after an import: output to deliver first */
	uint8_t *zpend;
	uint32_t zpend_len, zpend_off;
	int lost;		/* imported as lost: the next request fails */
	uint32_t crc;
};

/*
 * The start-up self-test's verdict (va_sw_init()): the tag trick works for
 * the direction (else its streams run on the own path from the first
 * byte), and the own path itself works (else GCM streams travel as lost).
 */
static int gcm_trick_ok[2] = { 1, 1 };	/* [dec] */
static int gcm_own_ok = 1;

/* HMAC-SHA-256 (RFC 2104): both hashes keyed from the session key */
static void hmac_start(struct va_stream *st, const uint8_t *key,
		       uint32_t key_len)
{
	uint8_t k0[64] = { 0 }, pad[64];
	int i;

	if (key_len > sizeof(k0))
		SHA256(key, key_len, k0);	/* longer than a block */
	else
		memcpy(k0, key, key_len);
	for (i = 0; i < 64; i++)
		pad[i] = k0[i] ^ 0x36;
	SHA256_Init(&st->sha);
	SHA256_Update(&st->sha, pad, sizeof(pad));
	for (i = 0; i < 64; i++)
		pad[i] = k0[i] ^ 0x5c;
	SHA256_Init(&st->sha_out);
	SHA256_Update(&st->sha_out, pad, sizeof(pad));
	explicit_bzero(k0, sizeof(k0));
	explicit_bzero(pad, sizeof(pad));
}

static void hmac_final(struct va_stream *st, uint8_t *out)
{
	uint8_t ih[VIRTIO_ACCEL_SHA256_LEN];

	SHA256_Final(ih, &st->sha);
	SHA256_Update(&st->sha_out, ih, sizeof(ih));
	SHA256_Final(out, &st->sha_out);
	explicit_bzero(ih, sizeof(ih));
	/* both states are as good as the key: not kept past the stream */
	explicit_bzero(&st->sha, sizeof(st->sha));
	explicit_bzero(&st->sha_out, sizeof(st->sha_out));
}

int va_stream_alloc(struct va_session *s)
{
	struct va_stream *st = calloc(1, sizeof(*st));
	int ok = 1;

	if (!st)
		return -1;
	switch (s->c.op) {
	case VIRTIO_ACCEL_OP_HASH:
	case VIRTIO_ACCEL_OP_MAC:
		break;		/* SHA256_CTX, in place */
	case VIRTIO_ACCEL_OP_AEAD_ENCRYPT:
	case VIRTIO_ACCEL_OP_AEAD_DECRYPT:
		ok = !!(st->cipher = EVP_CIPHER_CTX_new());
		break;
	case VIRTIO_ACCEL_OP_COMPRESS:
		st->z_level = Z_DEFAULT_COMPRESSION;
		st->z_strategy = Z_DEFAULT_STRATEGY;
		st->z_mem_level = 8;
		ok = deflateInit2(&st->z, st->z_level, Z_DEFLATED, -15,
				  st->z_mem_level, st->z_strategy) == Z_OK;
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

static void zpend_drop(struct va_stream *st)
{
	if (st->zpend) {
		explicit_bzero(st->zpend, st->zpend_len);
		free(st->zpend);
	}
	st->zpend = NULL;
	st->zpend_len = 0;
	st->zpend_off = 0;
}

void va_stream_free(struct va_session *s)
{
	struct va_stream *st = s->stream;

	if (!st)
		return;
	EVP_CIPHER_CTX_free(st->cipher);	/* cleanses the key schedule */
	imb_gcm_free(st->imb);
	gcm_own_free(st->own);
	if (st->z_init == 1)
		deflateEnd(&st->z);
	else if (st->z_init == 2)
		inflateEnd(&st->z);
	zpend_drop(st);
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
	zpend_drop(st);
	gcm_own_free(st->own);
	st->own = NULL;
	st->lost = 0;
	st->crc = 0;
}

static uint8_t stream_deflate(struct va_stream *st, struct va_req *r,
			      int start, int final)
{
	struct virtio_accel_zio io = zio_of(r);
	uint32_t n = 0;
	uint8_t ret;

	if (start)
		zpend_drop(st);
	if (st->zpend) {
		/* an imported stream's pending output first: progress too */
		n = st->zpend_len - st->zpend_off;
		if (n > io.dst_len)
			n = io.dst_len;
		memcpy(io.dst, st->zpend + st->zpend_off, n);
		st->zpend_off += n;
		if (st->zpend_off == st->zpend_len)
			zpend_drop(st);
		io.dst += n;
		io.dst_len -= n;
		if (st->zpend || (!io.dst_len && n)) {
			r->src_used = 0;
			r->dst_used = n;
			r->rflags = 0;
			return VIRTIO_ACCEL_OK;
		}
	}
	ret = virtio_accel_z_stream(&st->z, st->z_init == 1, start, final,
				    &io);
	io.dst_used += n;
	return zio_done(r, &io, ret);
}

/* Remember the stream's last ct_len % 16 ciphertext bytes (@n new ones). */
static void gcm_tail(struct va_stream *st, const uint8_t *ct, uint32_t n)
{
	uint32_t r = st->ct_len % 16, r2 = (uint32_t)((st->ct_len + n) % 16);

	if (r + n < 16)
		memcpy(st->tail + r, ct, n);
	else
		memcpy(st->tail, ct + n - r2, r2);
	st->ct_len += n;
}

/*
 * OpenSSL's or intel-ipsec-mb's GCM: the ciphertext's last (< 16) bytes go
 * through a buffer of ours, so that the tail kept for the export is exactly
 * what GHASH saw.
 */
static int gcm_step(struct va_stream *st, const uint8_t *in, uint8_t *out,
		    uint32_t len, int dec)
{
	int outl = 0;

	if (!st->on_imb)
		return EVP_CipherUpdate(st->cipher, out, &outl, in,
					(int)len) == 1 ? 0 : -EIO;
	if (dec)
		IMB_AES256_GCM_DEC_UPDATE(imb, &st->imb->kd, &st->imb->ctx,
					  out, in, len);
	else
		IMB_AES256_GCM_ENC_UPDATE(imb, &st->imb->kd, &st->imb->ctx,
					  out, in, len);
	return 0;
}

static int gcm_evp_update(struct va_stream *st, const uint8_t *in,
			  uint8_t *out, uint32_t len, int dec)
{
	uint32_t r2 = (uint32_t)((st->ct_len + len) % 16), k, head;
	uint8_t b_in[16], b_out[16];

	k = r2 < len ? r2 : len;
	head = len - k;
	if (head && gcm_step(st, in, out, head, dec) < 0)
		return -EIO;
	if (head)
		gcm_tail(st, dec ? in : out, head);
	if (!k)
		return 0;
	memcpy(b_in, in + head, k);
	if (gcm_step(st, b_in, b_out, k, dec) < 0)
		return -EIO;
	memcpy(out + head, b_out, k);
	gcm_tail(st, dec ? b_in : b_out, k);
	explicit_bzero(b_out, sizeof(b_out));
	return 0;
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
		gcm_own_free(st->own);
		st->own = NULL;
		memcpy(st->iv, r->iv, sizeof(st->iv));
		st->aad_len = r->op.aad_len;
		st->ct_len = 0;
		st->on_imb = 0;
		if (gcm_trick_ok[dec] && imb_gcm &&
		    (st->imb || (st->imb = imb_gcm_new()))) {
			IMB_AES256_GCM_PRE(imb, r->key, &st->imb->kd);
			IMB_AES256_GCM_INIT(imb, &st->imb->kd, &st->imb->ctx,
					    r->iv, r->aad, r->op.aad_len);
			st->on_imb = 1;
		} else if (!gcm_trick_ok[dec]) {
			/* the self-test failed: OpenSSL's state cannot travel */
			st->own = gcm_own_start(r->key, r->iv, r->aad,
						r->op.aad_len);
			if (!st->own)
				return VIRTIO_ACCEL_ERR;
		} else if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL,
					     NULL, !dec) != 1 ||
			   EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN,
					       VIRTIO_ACCEL_GCM_IV_LEN,
					       NULL) != 1 ||
			   EVP_CipherInit_ex(c, NULL, NULL, r->key, r->iv,
					     !dec) != 1 ||
			   (r->op.aad_len &&
			    EVP_CipherUpdate(c, NULL, &outl, r->aad,
					     (int)r->op.aad_len) != 1)) {
			return VIRTIO_ACCEL_ERR;
		}
	}
	if (st->own) {
		if (gcm_own_update(st->own, r->src, r->dst, len, dec) < 0)
			return VIRTIO_ACCEL_ERR;
	} else if (len && gcm_evp_update(st, r->src, r->dst, len, dec) < 0) {
		return VIRTIO_ACCEL_ERR;
	}
	r->dst_used = len;
	r->src_used = r->op.src_len;
	if (!final)
		return VIRTIO_ACCEL_OK;
	if (st->own || st->on_imb) {
		if (st->own) {
			gcm_own_tag(st->own, tag);
			gcm_own_free(st->own);
			st->own = NULL;
		} else {
			imb_gcm_tag(st->imb, &st->imb->ctx, dec, tag);
			explicit_bzero(&st->imb->ctx, sizeof(st->imb->ctx));
		}
		if (dec) {
			fl = CRYPTO_memcmp(tag, r->src + len, sizeof(tag));
			explicit_bzero(tag, sizeof(tag));
			return fl ? VIRTIO_ACCEL_AUTH_FAILED : VIRTIO_ACCEL_OK;
		}
		memcpy(r->dst + len, tag, sizeof(tag));
		explicit_bzero(tag, sizeof(tag));
		r->dst_used = len + VIRTIO_ACCEL_GCM_TAG_LEN;
		return VIRTIO_ACCEL_OK;
	}
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

static uint8_t stream_test_migrate(struct va_session *s);

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
	uint8_t ret = VIRTIO_ACCEL_OK;

	if (!st)
		return VIRTIO_ACCEL_ERR;
	if (va_opts.test_stream_migrate && !start && !st->lost) {
		ret = stream_test_migrate(s);
		if (ret != VIRTIO_ACCEL_OK)
			return ret;
		st = s->stream;
	}
	if (st->lost) {
		/* [MIG-STREAM-LOST]: the core aborts the stream on ERR */
		st->lost = 0;
		return VIRTIO_ACCEL_ERR;
	}
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
			if ((start && SHA256_Init(&st->sha) != 1) ||
			    SHA256_Update(&st->sha, r->src, len) != 1 ||
			    (final && SHA256_Final(r->dst, &st->sha) != 1))
				return VIRTIO_ACCEL_ERR;
			if (final)
				r->dst_used = VIRTIO_ACCEL_SHA256_LEN;
		}
		r->src_used = len;
		break;
	case VIRTIO_ACCEL_OP_MAC:
		if (start)
			hmac_start(st, s->c.key, s->c.key_len);
		SHA256_Update(&st->sha, r->src, len);
		if (final) {
			hmac_final(st, r->dst);
			r->dst_used = VIRTIO_ACCEL_SHA256_LEN;
		}
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

/* ---- migration: a stream's state out and in (design section 3) ---- */

static void sha_export(const SHA256_CTX *c, uint64_t skip,
		       struct virtio_accel_st_sha256 *o)
{
	int i;

	for (i = 0; i < 8; i++) {
		o->h[4 * i] = (uint8_t)(c->h[i] >> 24);
		o->h[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
		o->h[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
		o->h[4 * i + 3] = (uint8_t)c->h[i];
	}
	o->total = (((uint64_t)c->Nh << 32 | c->Nl) >> 3) - skip;
	o->buf_len = c->num;
	memset(o->buf, 0, sizeof(o->buf));
	memcpy(o->buf, c->data, c->num);
}

static int sha_import(SHA256_CTX *c, uint64_t skip,
		      const struct virtio_accel_st_sha256 *in)
{
	uint64_t bits;
	int i;

	if (in->buf_len != (in->total + skip) % 64 ||
	    in->total > (UINT64_MAX >> 3) - skip)
		return -EINVAL;
	SHA256_Init(c);
	for (i = 0; i < 8; i++)
		c->h[i] = (SHA_LONG)in->h[4 * i] << 24 |
			  (SHA_LONG)in->h[4 * i + 1] << 16 |
			  (SHA_LONG)in->h[4 * i + 2] << 8 | in->h[4 * i + 3];
	bits = (in->total + skip) << 3;
	c->Nl = (SHA_LONG)bits;
	c->Nh = (SHA_LONG)(bits >> 32);
	memcpy(c->data, in->buf, in->buf_len);
	c->num = in->buf_len;
	return 0;
}

/*
 * The tag the stream would have if it ended now: of a copy of OpenSSL's
 * context (for decryption switched to encryption, GHASH untouched), or of
 * a copy of intel-ipsec-mb's, finished.
 */
static int gcm_tag_now(struct va_stream *st, int dec, uint8_t *tag)
{
	struct gcm_context_data c;
	EVP_CIPHER_CTX *t;
	uint8_t fin[16];
	int outl = 0, ok;

	if (st->on_imb) {
		c = st->imb->ctx;
		imb_gcm_tag(st->imb, &c, dec, tag);
		explicit_bzero(&c, sizeof(c));
		return 0;
	}
	t = EVP_CIPHER_CTX_new();
	if (!t)
		return -ENOMEM;
	ok = EVP_CIPHER_CTX_copy(t, st->cipher) == 1 &&
	     (!dec || EVP_CipherInit_ex(t, NULL, NULL, NULL, NULL, 1) == 1) &&
	     EVP_EncryptFinal_ex(t, fin, &outl) == 1 &&
	     EVP_CIPHER_CTX_ctrl(t, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1;
	EVP_CIPHER_CTX_free(t);
	return ok ? 0 : -EIO;
}

/*
 * OpenSSL's or intel-ipsec-mb's GCM state, by its tag (gcm_tag_now()):
 * T ^ E0 = (X_n ^ L) · H solved for X_n, then for the partial block.
 */
static int gcm_tag_export(struct va_stream *st, const uint8_t *key, int dec,
			  struct virtio_accel_st_gcm *o)
{
	uint8_t tag[16], h[16], e0[16], x[16], p[16] = { 0 };
	struct gf128 hv, hinv, xv, lv;
	uint32_t r = (uint32_t)(st->ct_len % 16);
	int i, ret;

	ret = gcm_tag_now(st, dec, tag);
	if (ret == -ENOMEM)
		return ret;
	if (ret < 0 || gcm_keys(key, st->iv, h, e0) < 0) {
		ret = -EIO;
		goto out_wipe;
	}
	ret = -EIO;
	hv = gf_load(h);
	if (!hv.hi && !hv.lo)
		goto out_wipe;	/* H = 0: probability 2^-128 */
	for (i = 0; i < 16; i++)
		x[i] = tag[i] ^ e0[i];
	hinv = gf_inv(hv);
	xv = gf_mul(gf_load(x), hinv);
	lv.hi = st->aad_len * 8;
	lv.lo = st->ct_len * 8;
	xv.hi ^= lv.hi;
	xv.lo ^= lv.lo;
	if (r) {
		memcpy(p, st->tail, r);
		xv = gf_mul(xv, hinv);
		lv = gf_load(p);
		xv.hi ^= lv.hi;
		xv.lo ^= lv.lo;
	}
	memcpy(o->iv, st->iv, sizeof(o->iv));
	o->part_len = r;
	o->aad_len = st->aad_len;
	o->ct_len = st->ct_len;
	gf_store(o->x, xv);
	memset(o->part, 0, sizeof(o->part));
	memcpy(o->part, p, r);
	ret = 0;
out_wipe:
	explicit_bzero(tag, sizeof(tag));
	explicit_bzero(h, sizeof(h));
	explicit_bzero(e0, sizeof(e0));
	explicit_bzero(x, sizeof(x));
	explicit_bzero(&hinv, sizeof(hinv));
	return ret;
}

static int gcm_export(struct va_stream *st, const struct va_session *s,
		      struct virtio_accel_st_gcm *o)
{
	const struct va_gcm *g = st->own;

	if (!g)
		return gcm_tag_export(st, s->c.key,
				      s->c.op == VIRTIO_ACCEL_OP_AEAD_DECRYPT,
				      o);
	memcpy(o->iv, g->iv, sizeof(o->iv));
	o->part_len = g->part_len;
	o->aad_len = g->aad_len;
	o->ct_len = g->ct_len;
	memcpy(o->x, g->x, 16);
	memset(o->part, 0, sizeof(o->part));
	memcpy(o->part, g->part, g->part_len);
	return 0;
}

/*
 * deflateCopy(), sync flush of the copy into @pend, its window as the
 * dictionary. 0, or -ENOSPC (the flush does not fit: the stream is lost),
 * or -EIO when zlib refuses (a stream in its final block: lost, see
 * backend.h).
 */
static int deflate_export(struct va_stream *st,
			  struct virtio_accel_st_deflate *o, uint8_t *dict,
			  uint8_t *pend)
{
	z_stream c;
	uInt dlen = 0;
	uint32_t have = 0;
	int ret;

	/* pending output of an import not yet delivered comes first */
	if (st->zpend) {
		have = st->zpend_len - st->zpend_off;
		memcpy(pend, st->zpend + st->zpend_off, have);
		/* zlib has had no input since (stream_deflate()) */
		if (deflateGetDictionary(&st->z, dict, &dlen) != Z_OK)
			return -EIO;
		goto out;
	}
	memset(&c, 0, sizeof(c));
	if (deflateCopy(&c, &st->z) != Z_OK)
		return -ENOMEM;
	c.next_in = NULL;
	c.avail_in = 0;
	c.next_out = pend;
	c.avail_out = VIRTIO_ACCEL_ST_DEFLATE_PENDING_MAX;
	/*
	 * Z_BUF_ERROR: the last deflate() was a Z_FINISH that ran out of dst
	 * (zlib refuses a weaker flush after it), Z_STREAM_ERROR: it began
	 * the final block. Neither can be continued by a fresh stream.
	 */
	ret = deflate(&c, Z_SYNC_FLUSH);
	if (ret != Z_OK || !c.avail_out) {
		deflateEnd(&c);
		return ret == Z_OK ? -ENOSPC : -EIO;
	}
	have = VIRTIO_ACCEL_ST_DEFLATE_PENDING_MAX - c.avail_out;
	ret = deflateGetDictionary(&c, dict, &dlen);
	deflateEnd(&c);
	if (ret != Z_OK)
		return -EIO;
out:
	if (dlen > VIRTIO_ACCEL_ST_DEFLATE_DICT_MAX)
		return -EIO;
	/* va_stream_alloc()'s parameters, or an import's */
	o->level = (uint32_t)st->z_level;
	o->strategy = (uint32_t)st->z_strategy;
	o->mem_level = (uint32_t)st->z_mem_level;
	o->dict_len = dlen;
	o->pending_len = have;
	o->dict = dict;
	o->pending = pend;
	return 0;
}

int va_stream_export(const struct va_session *s,
		     struct virtio_accel_state_stream *out, uint8_t *scratch,
		     size_t scratch_len)
{
	struct va_stream *st = s->stream;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!(s->c.flags & VIRTIO_ACCEL_SESS_F_STREAM) || !st)
		return -EINVAL;
	if (!s->c.stream_active) {
		out->kind = VIRTIO_ACCEL_ST_NONE;
		return 0;
	}
	if (st->lost)
		goto lost;
	switch (s->c.op) {
	case VIRTIO_ACCEL_OP_HASH:
		if (s->c.algo == VIRTIO_ACCEL_ALG_CRC32C) {
			out->kind = VIRTIO_ACCEL_ST_CRC32C;
			out->u.crc.crc = st->crc;
		} else {
			out->kind = VIRTIO_ACCEL_ST_SHA256;
			sha_export(&st->sha, 0, &out->u.sha);
		}
		return 0;
	case VIRTIO_ACCEL_OP_MAC:
		out->kind = VIRTIO_ACCEL_ST_HMAC_SHA256;
		sha_export(&st->sha, 64, &out->u.sha);	/* minus ipad */
		return 0;
	case VIRTIO_ACCEL_OP_AEAD_ENCRYPT:
	case VIRTIO_ACCEL_OP_AEAD_DECRYPT:
		if (!gcm_own_ok)
			goto lost;
		out->kind = VIRTIO_ACCEL_ST_AES256GCM;
		ret = gcm_export(st, s, &out->u.gcm);
		if (ret < 0)
			memset(out, 0, sizeof(*out));
		return ret;
	case VIRTIO_ACCEL_OP_COMPRESS:
		if (!scratch || scratch_len < VA_STREAM_SCRATCH_LEN)
			return -ENOSPC;
		out->kind = VIRTIO_ACCEL_ST_DEFLATE_COMP;
		ret = deflate_export(st, &out->u.defl, scratch,
				     scratch + VIRTIO_ACCEL_ST_DEFLATE_DICT_MAX);
		if (ret == -ENOMEM)
			return ret;
		if (ret < 0) {
			VA_INFO("session %#" PRIx64 ": DEFLATE stream state %s: lost",
				s->id, ret == -ENOSPC ? "too large" :
				"in its final block");
			goto lost;
		}
		return 0;
	case VIRTIO_ACCEL_OP_DECOMPRESS:
		goto lost;	/* zlib's inflate state is not portable */
	default:
		return -EINVAL;
	}
lost:
	memset(out, 0, sizeof(*out));
	out->kind = VIRTIO_ACCEL_ST_LOST;
	out->u.lost_reason = VIRTIO_ACCEL_ST_LOST_ENGINE;
	return 0;
}

static int deflate_import(struct va_stream *st,
			  const struct virtio_accel_st_deflate *in)
{
	int level = (int)in->level;

	if ((level < -1 || level > 9) || in->strategy > Z_FIXED ||
	    in->mem_level < 1 || in->mem_level > 9 ||
	    in->dict_len > VIRTIO_ACCEL_ST_DEFLATE_DICT_MAX ||
	    in->pending_len > VIRTIO_ACCEL_ST_DEFLATE_PENDING_MAX ||
	    (in->dict_len && !in->dict) || (in->pending_len && !in->pending))
		return -EINVAL;
	deflateEnd(&st->z);
	st->z_init = 0;
	memset(&st->z, 0, sizeof(st->z));
	if (deflateInit2(&st->z, level, Z_DEFLATED, -15, (int)in->mem_level,
			 (int)in->strategy) != Z_OK)
		return -ENOMEM;
	st->z_init = 1;
	st->z_level = level;
	st->z_strategy = (int)in->strategy;
	st->z_mem_level = (int)in->mem_level;
	if (in->dict_len &&
	    deflateSetDictionary(&st->z, in->dict, in->dict_len) != Z_OK)
		return -EIO;
	if (in->pending_len) {
		st->zpend = malloc(in->pending_len);
		if (!st->zpend)
			return -ENOMEM;
		memcpy(st->zpend, in->pending, in->pending_len);
		st->zpend_len = in->pending_len;
		st->zpend_off = 0;
	}
	return 0;
}

int va_stream_import(struct va_session *s,
		     const struct virtio_accel_state_stream *in)
{
	struct va_stream *st = s->stream;
	const struct virtio_accel_st_gcm *g = &in->u.gcm;
	uint32_t op = s->c.op, algo = s->c.algo;
	int ret = -EINVAL;

	if (!(s->c.flags & VIRTIO_ACCEL_SESS_F_STREAM) || !st)
		return -EINVAL;
	va_stream_abort(s);
	if (in->kind == VIRTIO_ACCEL_ST_NONE)
		return s->c.stream_active ? -EINVAL : 0;
	if (!s->c.stream_active)
		return -EINVAL;
	switch (in->kind) {
	case VIRTIO_ACCEL_ST_LOST:
		st->lost = 1;
		return 0;
	case VIRTIO_ACCEL_ST_SHA256:
		if (op != VIRTIO_ACCEL_OP_HASH ||
		    algo != VIRTIO_ACCEL_ALG_SHA256 ||
		    in->u.sha.total != s->c.stream_len)
			return -EINVAL;
		return sha_import(&st->sha, 0, &in->u.sha);
	case VIRTIO_ACCEL_ST_HMAC_SHA256:
		if (op != VIRTIO_ACCEL_OP_MAC ||
		    in->u.sha.total != s->c.stream_len)
			return -EINVAL;
		/* the outer hash and the ipad block from the key */
		hmac_start(st, s->c.key, s->c.key_len);
		return sha_import(&st->sha, 64, &in->u.sha);
	case VIRTIO_ACCEL_ST_CRC32C:
		if (op != VIRTIO_ACCEL_OP_HASH ||
		    algo != VIRTIO_ACCEL_ALG_CRC32C)
			return -EINVAL;
		st->crc = in->u.crc.crc;
		return 0;
	case VIRTIO_ACCEL_ST_AES256GCM:
		if ((op != VIRTIO_ACCEL_OP_AEAD_ENCRYPT &&
		     op != VIRTIO_ACCEL_OP_AEAD_DECRYPT) ||
		    g->ct_len != s->c.stream_len ||
		    g->ct_len > VIRTIO_ACCEL_GCM_STREAM_MAX ||
		    g->part_len != g->ct_len % 16 ||
		    g->aad_len > UINT32_MAX || s->c.key_len != 32)
			return -EINVAL;
		st->on_imb = 0;
		st->own = gcm_own_new(s->c.key, g);
		if (!st->own)
			return -ENOMEM;
		/* for an export before its next request */
		memcpy(st->iv, g->iv, sizeof(st->iv));
		st->aad_len = g->aad_len;
		st->ct_len = g->ct_len;
		return 0;
	case VIRTIO_ACCEL_ST_DEFLATE_COMP:
		if (op != VIRTIO_ACCEL_OP_COMPRESS)
			return -EINVAL;
		ret = deflate_import(st, &in->u.defl);
		break;
	default:
		break;
	}
	if (ret < 0)
		va_stream_abort(s);
	return ret;
}

/*
 * --test-stream-migrate: the open stream of @s moves into a new engine
 * context through its exported state before the request runs, so that
 * every test of the back-end also tests the export and the import.
 */
static uint8_t stream_test_migrate(struct va_session *s)
{
	struct virtio_accel_state_stream x;
	struct va_session n = *s;
	uint8_t *scratch = NULL;
	int ret = -ENOMEM;

	n.stream = NULL;
	if (s->c.op == VIRTIO_ACCEL_OP_COMPRESS) {
		scratch = malloc(VA_STREAM_SCRATCH_LEN);
		if (!scratch)
			goto out;
	}
	ret = va_stream_export(s, &x, scratch, VA_STREAM_SCRATCH_LEN);
	if (ret < 0 || x.kind == VIRTIO_ACCEL_ST_LOST)
		goto out;
	ret = va_stream_alloc(&n);
	if (!ret)
		ret = va_stream_import(&n, &x);
	if (ret < 0) {
		va_stream_free(&n);
		goto out;
	}
	va_stream_free(s);
	s->stream = n.stream;
	VA_INFO("test-stream-migrate: session %#" PRIx64 ": stream state "
		"%u moved after %" PRIu64 " bytes", s->id, x.kind,
		s->c.stream_len);
out:
	if (scratch) {
		explicit_bzero(scratch, VA_STREAM_SCRATCH_LEN);
		free(scratch);
	}
	explicit_bzero(&x, sizeof(x));
	explicit_bzero(&n, sizeof(n));
	if (ret < 0)
		VA_ERR("test-stream-migrate: session %#" PRIx64 ": %s",
		       s->id, strerror(-ret));
	return ret < 0 ? VIRTIO_ACCEL_ERR : VIRTIO_ACCEL_OK;
}

/*
 * The tag trick on a known stream, both directions (design 3.3, risk a):
 * a stream cut after 0, 7, 16 and 50 bytes, exported from the engine's GCM
 * (intel-ipsec-mb's or OpenSSL's) and finished on the own path, must give OpenSSL's one-shot ciphertext and
 * tag; decryption must verify. Also checks the own path on its own.
 */
static int gcm_selftest_run(int dec, uint32_t cut, int own_only)
{
	static const uint8_t iv[12] = "vaccel-gcm-1";
	uint8_t key[32], aad[37], pt[50], ct[66], buf[66], out[66];
	struct va_session a = { 0 }, b = { 0 };
	struct virtio_accel_state_stream x;
	struct va_req r;
	int i, outl = 0, fl = 0, ok = 0;
	EVP_CIPHER_CTX *c;
	uint32_t n2;
	uint8_t st;

	for (i = 0; i < 32; i++)
		key[i] = (uint8_t)(i * 7 + 1);
	for (i = 0; i < 37; i++)
		aad[i] = (uint8_t)(i * 3);
	for (i = 0; i < 50; i++)
		pt[i] = (uint8_t)(0x55 ^ i);
	c = EVP_CIPHER_CTX_new();
	if (!c)
		return 0;
	if (EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv) != 1 ||
	    EVP_EncryptUpdate(c, NULL, &outl, aad, sizeof(aad)) != 1 ||
	    EVP_EncryptUpdate(c, ct, &outl, pt, sizeof(pt)) != 1 ||
	    EVP_EncryptFinal_ex(c, ct + 50, &fl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, ct + 50) != 1) {
		EVP_CIPHER_CTX_free(c);
		return 0;
	}
	EVP_CIPHER_CTX_free(c);
	for (i = 0; i < 2; i++) {
		struct va_session *s = i ? &b : &a;

		s->c.op = dec ? VIRTIO_ACCEL_OP_AEAD_DECRYPT :
				VIRTIO_ACCEL_OP_AEAD_ENCRYPT;
		s->c.algo = VIRTIO_ACCEL_ALG_AES256_GCM;
		s->c.flags = VIRTIO_ACCEL_SESS_F_STREAM;
		s->c.key_len = 32;
		memcpy(s->c.key, key, 32);
		if (va_stream_alloc(s) < 0)
			goto out;
	}
	memset(&r, 0, sizeof(r));
	r.sess = &a;
	r.iv = iv;
	r.aad = aad;
	r.op.aad_len = sizeof(aad);
	r.op.src_len = cut;
	r.src = dec ? ct : pt;
	r.dst = buf;
	if (own_only) {
		a.stream->own = gcm_own_start(key, iv, aad, sizeof(aad));
		if (!a.stream->own)
			goto out;
		a.c.stream_active = 1;	/* started here, not by the run */
	}
	st = va_stream_run(&r, !own_only, 0);
	a.c.stream_active = 1;
	a.c.stream_len = cut;
	b.c.stream_active = 1;
	b.c.stream_len = cut;
	if (st != VIRTIO_ACCEL_OK || va_stream_export(&a, &x, NULL, 0) < 0 ||
	    va_stream_import(&b, &x) < 0)
		goto out;
	n2 = 50 - cut + (dec ? 16 : 0);
	memset(&r, 0, sizeof(r));
	r.sess = &b;
	r.op.src_len = n2;
	r.src = (dec ? ct : pt) + cut;
	r.dst = buf + cut;
	st = va_stream_run(&r, 0, 1);
	ok = st == VIRTIO_ACCEL_OK &&
	     !memcmp(buf, dec ? pt : ct, dec ? 50 : 66);
	/* and the source continued after its export ([MIG-NONDESTRUCTIVE]) */
	if (ok && !own_only) {
		r.sess = &a;
		r.dst = out + cut;
		memcpy(out, buf, cut);
		st = va_stream_run(&r, 0, 1);
		ok = st == VIRTIO_ACCEL_OK &&
		     !memcmp(out, dec ? pt : ct, dec ? 50 : 66);
	}
out:
	va_stream_free(&a);
	va_stream_free(&b);
	explicit_bzero(key, sizeof(key));
	return ok;
}

static void gcm_selftest(void)
{
	static const uint32_t cuts[] = { 0, 7, 16, 50 };
	unsigned int i;
	int dec;

	gcm_trick_ok[0] = gcm_trick_ok[1] = 1;
	gcm_own_ok = 1;
	for (dec = 0; dec < 2; dec++)
		for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
			if (!gcm_selftest_run(dec, cuts[i], 1))
				gcm_own_ok = 0;
	if (!gcm_own_ok) {
		VA_ERR("AES-256-GCM own path self-test failed: GCM streams "
		       "cannot migrate (they travel as lost)");
		return;
	}
	for (dec = 0; dec < 2; dec++) {
		for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
			if (!gcm_selftest_run(dec, cuts[i], 0))
				gcm_trick_ok[dec] = 0;
		if (!gcm_trick_ok[dec])
			VA_ERR("AES-256-GCM %s: OpenSSL's state cannot be "
			       "exported; its streams run on the own path",
			       dec ? "decryption" : "encryption");
	}
}

static void stream_init(void)
{
	int test_migrate = va_opts.test_stream_migrate;

#if defined(__x86_64__)
	gf_fast = __builtin_cpu_supports("pclmul") &&
		  __builtin_cpu_supports("sse4.1");
#endif
	va_opts.test_stream_migrate = 0;	/* the self-test moves its own */
	gcm_selftest();
	va_opts.test_stream_migrate = test_migrate;
	VA_INFO("stream state export: AES-256-GCM %s%s, GHASH %s",
		!gcm_own_ok ? "cannot travel (lost)" :
		gcm_trick_ok[0] && gcm_trick_ok[1] ?
		"on the engine's GCM (tag trick self-test passed)" :
		"partly on the own path (tag trick self-test failed)",
		imb ? " (intel-ipsec-mb)" : " (OpenSSL)",
		gf_fast ? "PCLMULQDQ" : "portable");
}

void va_sw_test_set(int pclmul, int trick_enc, int trick_dec)
{
#if defined(__x86_64__)
	gf_fast = pclmul && __builtin_cpu_supports("pclmul") &&
		  __builtin_cpu_supports("sse4.1");
#endif
	gcm_trick_ok[0] = trick_enc;
	gcm_trick_ok[1] = trick_dec;
}
