// SPDX-License-Identifier: BSD-3-Clause
/*
 * The software stream engine's state for live migration
 * (vhost-user-backend/src/engine_sw.c: va_stream_export/va_stream_import,
 * docs/migration-design.md section 3), against the real engine code: for
 * each stream kind and both AES-256-GCM directions, a stream is cut at
 * a point (0, 1, 15, 16, 17, 64, 65, unaligned large offsets, MiB), its
 * state exported and imported into a fresh session, finished there and
 * compared with a one-piece OpenSSL/zlib reference; the source is
 * continued after its export and compared too ([MIG-NONDESTRUCTIVE]);
 * A -> B -> A chains; edge cases (empty stream, AAD only, longest HMAC
 * key, DEFLATE pending output in small dst pieces, lost streams).
 *
 * engine_state_tests        the CUnit tests ("N passed, N failed")
 * engine_state_tests --bench   throughput and export cost (not a test)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/Basic.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <zlib.h>

#include <rte_cpuflags.h>

#include "backend.h"

/* rte_hash_crc.h asks EAL which CRC32C instructions the CPU has */
int rte_cpu_get_flag_enabled(enum rte_cpu_flag_t feature)
{
	if (feature == RTE_CPUFLAG_EM64T)
		return 1;
	return feature == RTE_CPUFLAG_SSE4_2 &&
	       __builtin_cpu_supports("sse4.2");
}

struct va_opts va_opts;		/* engine_sw.c reads its test options */

/* engine_sw.c logs through the back-end's logger */
void va_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > 0)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- data, references ---------------------------------------------------- */

#define BIG	(4u * 1024 * 1024 + 13)	/* several MiB, block-unaligned */

static uint8_t *data;		/* BIG bytes, partly compressible */
static uint8_t *out_a, *out_b, *ref;
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static const uint8_t gcm_key[32] = "0123456789abcdef0123456789abcdef";
static const uint8_t gcm_iv[12] = "migrate-iv-1";
static uint8_t aad[VA_MAX_AAD_LEN];
static uint8_t hkey[64];

static uint32_t crc32c_ref(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	int k;

	while (n--) {
		c ^= *p++;
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82f63b78u & (0 - (c & 1)));
	}
	return ~c;
}

/* AES-256-GCM in one piece: ct || tag */
static void gcm_ref(const uint8_t *pt, uint32_t n, uint32_t aad_len,
		    uint8_t *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l = 0;

	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_FATAL(EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL,
					   gcm_key, gcm_iv) == 1);
	if (aad_len)
		EVP_EncryptUpdate(c, NULL, &l, aad, (int)aad_len);
	if (n)
		EVP_EncryptUpdate(c, out, &l, pt, (int)n);
	EVP_EncryptFinal_ex(c, out + n, &l);
	EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + n);
	EVP_CIPHER_CTX_free(c);
}

static int inflate_eq(const uint8_t *z, size_t zn, const uint8_t *want,
		      size_t n)
{
	z_stream s = { 0 };
	uint8_t *o = malloc(n + 1);
	int ret, ok;

	if (!o || inflateInit2(&s, -15) != Z_OK) {
		free(o);
		return 0;
	}
	s.next_in = (uint8_t *)z;
	s.avail_in = (uInt)zn;
	s.next_out = o;
	s.avail_out = (uInt)n + 1;
	ret = inflate(&s, Z_FINISH);
	ok = ret == Z_STREAM_END && s.total_out == n && !s.avail_in &&
	     !memcmp(o, want, n);
	inflateEnd(&s);
	free(o);
	return ok;
}

/* ---- sessions and requests, the core's stream rules ---------------------- */

enum kind { K_SHA, K_HMAC, K_CRC, K_ENC, K_DEC, K_COMP, K_DECOMP, K_N };
static const char *const kind_name[K_N] = {
	"sha256", "hmac", "crc32c", "gcm-enc", "gcm-dec", "deflate",
	"inflate"
};

static void sess_init(struct va_session *s, enum kind k, uint32_t key_len)
{
	static const uint32_t op[K_N] = {
		VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_OP_MAC,
		VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
		VIRTIO_ACCEL_OP_AEAD_DECRYPT, VIRTIO_ACCEL_OP_COMPRESS,
		VIRTIO_ACCEL_OP_DECOMPRESS,
	};
	static const uint32_t algo[K_N] = {
		VIRTIO_ACCEL_ALG_SHA256, VIRTIO_ACCEL_ALG_HMAC_SHA256,
		VIRTIO_ACCEL_ALG_CRC32C, VIRTIO_ACCEL_ALG_AES256_GCM,
		VIRTIO_ACCEL_ALG_AES256_GCM, VIRTIO_ACCEL_ALG_DEFLATE,
		VIRTIO_ACCEL_ALG_DEFLATE,
	};

	memset(s, 0, sizeof(*s));
	s->id = 0x100001;
	s->c.op = op[k];
	s->c.algo = algo[k];
	s->c.flags = VIRTIO_ACCEL_SESS_F_STREAM;
	if (k == K_HMAC) {
		s->c.key_len = key_len;
		memcpy(s->c.key, hkey, key_len);
	} else if (k == K_ENC || k == K_DEC) {
		s->c.key_len = 32;
		memcpy(s->c.key, gcm_key, 32);
	}
	CU_ASSERT_FATAL(va_stream_alloc(s) == 0);
}

/*
 * One request as virtio_accel_dev.c runs it: start when no stream is open,
 * stream_len and stream_active kept by the core's rules, abort on error.
 */
static uint8_t req(struct va_session *s, const uint8_t *src, uint32_t n,
		   uint8_t *dst, uint32_t dst_len, int final,
		   uint32_t aad_len, uint32_t *src_used, uint32_t *dst_used,
		   uint8_t *rflags)
{
	struct va_req r;
	int start = !s->c.stream_active;
	uint32_t len = n;
	uint8_t st;

	memset(&r, 0, sizeof(r));
	r.op.opcode = s->c.op;
	r.op.algo = s->c.algo;
	r.op.src_len = n;
	r.op.dst_len = dst_len;
	r.op.aad_len = start ? aad_len : 0;
	r.sess = s;
	r.iv = gcm_iv;
	r.aad = aad;
	r.src = src;
	r.dst = dst;
	st = va_stream_run(&r, start, final);
	*src_used = r.src_used;
	*dst_used = r.dst_used;
	*rflags = r.rflags;
	if (st == VIRTIO_ACCEL_OK) {
		if (s->c.op == VIRTIO_ACCEL_OP_AEAD_DECRYPT && final)
			len -= 16;
		s->c.stream_len = (start ? 0 : s->c.stream_len) + len;
		s->c.stream_active =
			virtio_accel_stream_open_after(s->c.op, final,
						       &r.rflags);
		if (!s->c.stream_active)
			s->c.stream_len = 0;
	} else {
		s->c.stream_active = 0;
		s->c.stream_len = 0;
		va_stream_abort(s);
	}
	return st;
}

/*
 * Feed src[0..n) to the stream in pieces of random size (at most @piece),
 * output appended at out + *outn. With @final, the last request is FINAL
 * (GCM decryption: src ends with the tag) and DEFLATE runs to STREAM_END.
 * Returns the last status.
 */
static uint8_t feed(struct va_session *s, const uint8_t *src, uint32_t n,
		    int final, uint32_t aad_len, uint8_t *out, size_t *outn,
		    uint32_t piece, uint32_t dst_piece)
{
	uint32_t off = 0, k, su, du, tag = 0;
	uint8_t st = VIRTIO_ACCEL_OK, rf;
	int deflating = s->c.op == VIRTIO_ACCEL_OP_COMPRESS;

	if (s->c.op == VIRTIO_ACCEL_OP_AEAD_DECRYPT && final)
		tag = 16;
	for (;;) {
		int last;

		k = n - off - tag;
		if (k > piece)
			k = 1 + rnd() % piece;
		last = final && off + k + tag == n;
		if (last)
			k += tag;
		st = req(s, src + off, k, out + *outn,
			 deflating ? dst_piece : k + 16, last, aad_len,
			 &su, &du, &rf);
		if (st != VIRTIO_ACCEL_OK)
			return st;
		off += su;
		*outn += du;
		if (deflating && last && !(rf & VIRTIO_ACCEL_RESP_F_STREAM_END))
			continue;	/* FINAL until the stream ends */
		if (off + tag >= n && (!final || last))
			return st;
		if (!final && off >= n)
			return st;
	}
}

static uint8_t *scratch;

/* Export @a, check a second export is identical, import into fresh @b. */
static void migrate(struct va_session *a, struct va_session *b,
		    enum kind k, uint32_t key_len,
		    struct virtio_accel_state_stream *x)
{
	struct virtio_accel_state_stream y;
	static uint8_t copy[VA_STREAM_SCRATCH_LEN];

	CU_ASSERT_FATAL(va_stream_export(a, x, scratch,
					 VA_STREAM_SCRATCH_LEN) == 0);
	if (x->kind == VIRTIO_ACCEL_ST_DEFLATE_COMP) {
		memcpy(copy, scratch, VA_STREAM_SCRATCH_LEN);
		CU_ASSERT(va_stream_export(a, &y, copy,
					   VA_STREAM_SCRATCH_LEN) == 0);
		CU_ASSERT(y.u.defl.dict_len == x->u.defl.dict_len &&
			  y.u.defl.pending_len == x->u.defl.pending_len &&
			  !memcmp(y.u.defl.dict, x->u.defl.dict,
				  x->u.defl.dict_len) &&
			  !memcmp(y.u.defl.pending, x->u.defl.pending,
				  x->u.defl.pending_len));
	} else {
		CU_ASSERT(va_stream_export(a, &y, scratch,
					   VA_STREAM_SCRATCH_LEN) == 0);
		CU_ASSERT(!memcmp(&y, x, sizeof(y)));
	}
	sess_init(b, k, key_len);
	b->c.stream_active = a->c.stream_active;
	b->c.stream_len = a->c.stream_len;
	CU_ASSERT_FATAL(va_stream_import(b, x) == 0);
	/* the imported stream exports the very state it got */
	if (x->kind != VIRTIO_ACCEL_ST_DEFLATE_COMP) {
		CU_ASSERT(va_stream_export(b, &y, NULL, 0) == 0);
		CU_ASSERT(!memcmp(&y, x, sizeof(y)));
	}
}

static const uint32_t cuts[] = {
	0, 1, 15, 16, 17, 63, 64, 65, 4097, 65537, 1000003, 3u << 20,
	(3u << 20) + 5,
};

/* the expected output of kind @k over data[0..n) into @e (not GCM) */
static size_t expect(enum kind k, uint32_t n, uint32_t key_len, uint8_t *e)
{
	unsigned int ml = 0;
	uint32_t c;

	switch (k) {
	case K_SHA:
		EVP_Digest(data, n, e, &ml, EVP_sha256(), NULL);
		return 32;
	case K_HMAC:
		HMAC(EVP_sha256(), hkey, (int)key_len, data, n, e, &ml);
		return 32;
	case K_CRC:
		c = htole32(crc32c_ref(data, n));
		memcpy(e, &c, 4);
		return 4;
	default:
		return 0;
	}
}

static int failed_before;

/*
 * One stream of @n bytes cut at @cut (and, if @cut2 > cut, again at @cut2
 * on the destination: A -> B -> A'), finished on the last, and the source
 * continued after its export: both compared with the reference.
 */
static void one(enum kind k, uint32_t n, uint32_t cut, uint32_t cut2,
		uint32_t aad_len, uint32_t key_len, uint32_t piece)
{
	struct va_session a, b, c;
	struct virtio_accel_state_stream x;
	const uint8_t *in = data, *exp;
	uint8_t e[64];
	size_t na = 0, nb, el;
	uint32_t tot = n, dpiece = 4096 + rnd() % 70000;
	uint8_t st;

	if (k == K_ENC) {
		gcm_ref(data, n, aad_len, ref);		/* ct || tag */
		exp = ref;
		el = n + 16;
	} else if (k == K_DEC) {
		gcm_ref(data, n, aad_len, ref);
		in = ref;
		tot = n + 16;
		exp = data;
		el = n;
	} else {
		el = expect(k, n, key_len, e);
		exp = e;
	}
	sess_init(&a, k, key_len);
	st = feed(&a, in, cut, 0, aad_len, out_a, &na, piece, dpiece);
	CU_ASSERT_FATAL(st == VIRTIO_ACCEL_OK);
	if (!a.c.stream_active) {	/* nothing fed: open it empty */
		uint32_t su, du;
		uint8_t rf;

		CU_ASSERT_FATAL(req(&a, in, 0, out_a + na, dpiece, 0,
				    aad_len, &su, &du, &rf) ==
				VIRTIO_ACCEL_OK);
		na += du;
	}
	migrate(&a, &b, k, key_len, &x);
	memcpy(out_b, out_a, na);
	nb = na;
	if (cut2 > cut) {
		st = feed(&b, in + cut, cut2 - cut, 0, aad_len, out_b, &nb,
			  piece, dpiece);
		CU_ASSERT_FATAL(st == VIRTIO_ACCEL_OK);
		migrate(&b, &c, k, key_len, &x);
		va_stream_free(&b);
		b = c;
	} else {
		cut2 = cut;
	}
	/* the destination finishes */
	st = feed(&b, in + cut2, tot - cut2, 1, aad_len, out_b, &nb, piece,
		  dpiece);
	CU_ASSERT(st == VIRTIO_ACCEL_OK);
	/* the source, continued after its export */
	st = feed(&a, in + cut, tot - cut, 1, aad_len, out_a, &na, piece,
		  dpiece);
	CU_ASSERT(st == VIRTIO_ACCEL_OK);
	if (k == K_COMP) {
		CU_ASSERT(inflate_eq(out_b, nb, data, n));
		CU_ASSERT(inflate_eq(out_a, na, data, n));
	} else {
		CU_ASSERT(nb == el && !memcmp(out_b, exp, el));
		CU_ASSERT(na == el && !memcmp(out_a, exp, el));
	}
	if ((int)CU_get_number_of_failures() > failed_before) {
		fprintf(stderr, "  [%s n=%u cut=%u cut2=%u aad=%u key=%u]\n",
			kind_name[k], n, cut, cut2, aad_len, key_len);
		failed_before = (int)CU_get_number_of_failures();
	}
	va_stream_free(&a);
	va_stream_free(&b);
}

/* every cut point, request pieces random up to 1 MiB or tiny */
static void cuts_for(enum kind k, uint32_t aad_len, uint32_t key_len)
{
	unsigned int i;

	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
		one(k, BIG, cuts[i], 0, aad_len, key_len, 1u << 20);
	/* small streams in small pieces */
	for (i = 0; i < 9; i++)
		one(k, 200, cuts[i] > 200 ? 100 : cuts[i], 0, aad_len,
		    key_len, 1 + rnd() % 40);
	/* A -> B -> A' */
	one(k, BIG, 17, 65, aad_len, key_len, 1u << 20);
	one(k, BIG, 1000003, (3u << 20) + 5, aad_len, key_len, 1u << 20);
	one(k, 300, 0, 64, aad_len, key_len, 7);
	/* the empty stream */
	one(k, 0, 0, 0, aad_len, key_len, 1);
}

static void test_sha256(void)
{
	cuts_for(K_SHA, 0, 0);
}

static void test_hmac(void)
{
	cuts_for(K_HMAC, 0, 32);
	/* a key of a whole block (the longest a session holds), one byte */
	one(K_HMAC, BIG, 65, 0, 0, 64, 1u << 20);
	one(K_HMAC, 1000, 0, 500, 0, 64, 33);
	one(K_HMAC, BIG, 4097, 0, 0, 1, 1u << 20);
	one(K_HMAC, 0, 0, 0, 0, 64, 1);
}

static void test_crc32c(void)
{
	cuts_for(K_CRC, 0, 0);
}

static void test_gcm_encrypt(void)
{
	cuts_for(K_ENC, 37, 0);
	one(K_ENC, BIG, 65537, 0, 0, 0, 1u << 20);
	one(K_ENC, BIG, 17, 1000003, 16, 0, 1u << 20);
	one(K_ENC, 1000, 15, 0, VA_MAX_AAD_LEN, 0, 31);
}

static void test_gcm_decrypt(void)
{
	cuts_for(K_DEC, 37, 0);
	one(K_DEC, BIG, 65537, 0, 0, 0, 1u << 20);
	one(K_DEC, BIG, 17, 1000003, 16, 0, 1u << 20);
	one(K_DEC, 1000, 15, 0, VA_MAX_AAD_LEN, 0, 31);
}

/* AAD only, cut before any data, both directions, AAD 0, 1, 16, 37, 4096 */
static void test_gcm_aad_only(void)
{
	static const uint32_t al[] = { 0, 1, 16, 37, VA_MAX_AAD_LEN };
	unsigned int i;

	for (i = 0; i < 5; i++) {
		one(K_ENC, 0, 0, 0, al[i], 0, 1);
		one(K_DEC, 0, 0, 0, al[i], 0, 1);
		one(K_ENC, 33, 0, 0, al[i], 0, 5);
	}
}

/* the portable GHASH, and decryption on the own path from its start */
static void test_gcm_portable_own(void)
{
	unsigned int i;

	va_sw_test_set(0, 1, 1);
	for (i = 0; i < 9; i++) {
		one(K_ENC, 70000, cuts[i], 0, 37, 0, 9000);
		one(K_DEC, 70000, cuts[i], cuts[i] + 4099, 37, 0, 9000);
	}
	va_sw_test_set(1, 1, 0);
	for (i = 0; i < 9; i++)
		one(K_DEC, 70000, cuts[i], 0, 37, 0, 9000);
	one(K_DEC, BIG, 1000003, 0, 37, 0, 1u << 20);
	va_sw_test_set(0, 0, 0);
	one(K_ENC, 70000, 65, 100, 37, 0, 9000);
	va_sw_test_set(1, 1, 1);
}

/*
 * AES-256-GCM one-shots (va_sw_oneshot(): requests too long for the PMD)
 * against OpenSSL's reference, on the engine in use and on OpenSSL's:
 * sizes around the block and the PMD's limit, AAD 0 and 37, a tampered
 * tag refused.
 */
static void oneshot_gcm(void)
{
	static const uint32_t sizes[] = { 0, 1, 15, 16, 17, 61441, 65536,
					  1000003, 1u << 20 };
	struct va_qctx qc = { 0 };
	struct va_req r;
	unsigned int i, a;

	CU_ASSERT_FATAL(va_sw_qinit(&qc) == 0);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (a = 0; a < 2; a++) {
			uint32_t n = sizes[i], al = a ? 37 : 0;

			gcm_ref(data, n, al, ref);
			memset(&r, 0, sizeof(r));
			r.qc = &qc;
			r.key = gcm_key;
			r.iv = gcm_iv;
			r.aad = aad;
			r.op.aad_len = al;
			r.op.opcode = VIRTIO_ACCEL_OP_AEAD_ENCRYPT;
			r.op.src_len = n;
			r.src = data;
			r.dst = out_a;
			CU_ASSERT(va_sw_oneshot(&r) == VIRTIO_ACCEL_OK);
			CU_ASSERT(r.dst_used == n + 16 && r.src_used == n);
			CU_ASSERT(!memcmp(out_a, ref, n + 16));
			r.op.opcode = VIRTIO_ACCEL_OP_AEAD_DECRYPT;
			r.op.src_len = n + 16;
			r.src = ref;
			r.dst = out_b;
			CU_ASSERT(va_sw_oneshot(&r) == VIRTIO_ACCEL_OK);
			CU_ASSERT(r.dst_used == n && !memcmp(out_b, data, n));
			ref[n + 5] ^= 0x20;
			r.src_used = 0;
			CU_ASSERT(va_sw_oneshot(&r) ==
				  VIRTIO_ACCEL_AUTH_FAILED);
			CU_ASSERT(r.src_used == 0);
		}
	}
	va_sw_qfini(&qc);
}

static void test_gcm_oneshot(void)
{
	int on = va_sw_test_imb(1);

	oneshot_gcm();
	if (on) {
		va_sw_test_imb(0);
		oneshot_gcm();
		va_sw_test_imb(1);
	}
}

/*
 * With intel-ipsec-mb in use (the other tests' engine where the CPU has
 * AES-NI), the GCM stream tests again on OpenSSL's GCM, the engine of a
 * CPU without: each stream cut, exported, imported and finished.
 */
static void test_gcm_openssl(void)
{
	if (!va_sw_test_imb(1)) {
		printf("(intel-ipsec-mb not in use: the tests above ran on "
		       "OpenSSL) ");
		return;
	}
	va_sw_test_imb(0);
	test_gcm_encrypt();
	test_gcm_decrypt();
	test_gcm_aad_only();
	test_gcm_portable_own();
	va_sw_test_imb(1);
}

/* a tampered tag still fails after the migration */
static void test_gcm_tampered(void)
{
	struct va_session a, b;
	struct virtio_accel_state_stream x;
	size_t na = 0;

	gcm_ref(data, 5000, 37, ref);
	ref[5000 + 3] ^= 1;
	sess_init(&a, K_DEC, 0);
	CU_ASSERT(feed(&a, ref, 1234, 0, 37, out_a, &na, 999, 0) ==
		  VIRTIO_ACCEL_OK);
	migrate(&a, &b, K_DEC, 0, &x);
	CU_ASSERT(feed(&b, ref + 1234, 5016 - 1234, 1, 37, out_a, &na, 999,
		       0) == VIRTIO_ACCEL_AUTH_FAILED);
	CU_ASSERT(!b.c.stream_active);
	va_stream_free(&a);
	va_stream_free(&b);
}

static void test_deflate(void)
{
	cuts_for(K_COMP, 0, 0);
}

/*
 * zlib's own pending output (dst too small on the source) travels, and the
 * destination delivers it in small dst pieces before any new output.
 */
static void test_deflate_pending(void)
{
	struct va_session a, b;
	struct virtio_accel_state_stream x;
	uint32_t su, du, off = 0;
	size_t na = 0, nb;
	uint8_t rf;

	sess_init(&a, K_COMP, 0);
	/* 1 MiB of input into 1 KiB of dst: zlib keeps the rest pending */
	CU_ASSERT_FATAL(req(&a, data, 1u << 20, out_a, 1024, 0, 0, &su,
			    &du, &rf) == VIRTIO_ACCEL_OK);
	na = du;
	off = su;
	migrate(&a, &b, K_COMP, 0, &x);
	CU_ASSERT(x.kind == VIRTIO_ACCEL_ST_DEFLATE_COMP);
	CU_ASSERT(x.u.defl.pending_len > 1000);
	CU_ASSERT(x.u.defl.dict_len == 32768);
	memcpy(out_b, out_a, na);
	nb = na;
	/* the first requests of B: pending output only, 100 bytes each */
	CU_ASSERT(req(&b, data + off, 5000, out_b + nb, 100, 0, 0, &su, &du,
		      &rf) == VIRTIO_ACCEL_OK);
	CU_ASSERT(su == 0 && du == 100);
	nb += du;
	/* an export in between: pending output not yet delivered travels */
	{
		struct va_session c;

		migrate(&b, &c, K_COMP, 0, &x);
		CU_ASSERT(x.u.defl.pending_len > 800);
		va_stream_free(&b);
		b = c;
	}
	CU_ASSERT(feed(&b, data + off, BIG - off, 1, 0, out_b, &nb, 1u << 20,
		       333) == VIRTIO_ACCEL_OK);
	CU_ASSERT(inflate_eq(out_b, nb, data, BIG));
	CU_ASSERT(feed(&a, data + off, BIG - off, 1, 0, out_a, &na, 1u << 20,
		       65536) == VIRTIO_ACCEL_OK);
	CU_ASSERT(inflate_eq(out_a, na, data, BIG));
	va_stream_free(&a);
	va_stream_free(&b);
}

/*
 * FINAL with dst too small: while input is left (zlib has not begun the
 * final block) the stream travels and B ends it; once all input is in,
 * the final block has begun and the stream is lost. The source completes
 * either way.
 */
static void test_deflate_final_short_dst(void)
{
	struct va_session a, b;
	struct virtio_accel_state_stream x;
	uint32_t su, du;
	size_t na, nb;
	uint8_t rf;

	sess_init(&a, K_COMP, 0);
	CU_ASSERT_FATAL(req(&a, data, 100000, out_a, 50, 1, 0, &su, &du,
			    &rf) == VIRTIO_ACCEL_OK);
	CU_ASSERT(a.c.stream_active && su < 100000);
	na = du;
	migrate(&a, &b, K_COMP, 0, &x);
	CU_ASSERT(x.kind == VIRTIO_ACCEL_ST_DEFLATE_COMP);
	memcpy(out_b, out_a, na);
	nb = na;
	CU_ASSERT(feed(&b, data + su, 100000 - su, 1, 0, out_b, &nb, 100000,
		       777) == VIRTIO_ACCEL_OK);
	CU_ASSERT(inflate_eq(out_b, nb, data, 100000));
	CU_ASSERT(feed(&a, data + su, 100000 - su, 1, 0, out_a, &na, 100000,
		       4096) == VIRTIO_ACCEL_OK);
	CU_ASSERT(inflate_eq(out_a, na, data, 100000));
	CU_ASSERT(va_stream_export(&a, &x, NULL, 0) == 0 &&
		  x.kind == VIRTIO_ACCEL_ST_NONE);
	va_stream_free(&a);
	va_stream_free(&b);

	sess_init(&a, K_COMP, 0);
	CU_ASSERT_FATAL(req(&a, data, 3000, out_a, 10, 1, 0, &su, &du,
			    &rf) == VIRTIO_ACCEL_OK);
	CU_ASSERT(a.c.stream_active && su == 3000);
	na = du;
	CU_ASSERT(va_stream_export(&a, &x, scratch, VA_STREAM_SCRATCH_LEN) ==
		  0);
	CU_ASSERT(x.kind == VIRTIO_ACCEL_ST_LOST &&
		  x.u.lost_reason == VIRTIO_ACCEL_ST_LOST_ENGINE);
	CU_ASSERT(feed(&a, data, 0, 1, 0, out_a, &na, 1, 4096) ==
		  VIRTIO_ACCEL_OK);
	CU_ASSERT(inflate_eq(out_a, na, data, 3000));
	va_stream_free(&a);
}

/*
 * DEFLATE decompression: lost. On the destination the next request fails
 * with ERR and aborts; the one after starts a new stream that works.
 */
static void test_inflate_lost(void)
{
	struct va_session a, b;
	struct virtio_accel_state_stream x;
	uint8_t *z = malloc(compressBound(BIG) + 64);
	z_stream d = { 0 };
	size_t zn, na = 0;
	uint32_t su, du;
	uint8_t rf;

	CU_ASSERT_FATAL(z != NULL);
	deflateInit2(&d, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
	d.next_in = data;
	d.avail_in = BIG;
	d.next_out = z;
	d.avail_out = (uInt)compressBound(BIG) + 64;
	CU_ASSERT_FATAL(deflate(&d, Z_FINISH) == Z_STREAM_END);
	zn = d.total_out;
	deflateEnd(&d);
	sess_init(&a, K_DECOMP, 0);
	CU_ASSERT(req(&a, z, 1000, out_a, 65536, 0, 0, &su, &du, &rf) ==
		  VIRTIO_ACCEL_OK);
	migrate(&a, &b, K_DECOMP, 0, &x);
	CU_ASSERT(x.kind == VIRTIO_ACCEL_ST_LOST &&
		  x.u.lost_reason == VIRTIO_ACCEL_ST_LOST_ENGINE);
	CU_ASSERT(b.c.stream_active);
	CU_ASSERT(req(&b, z + su, 1000, out_b, 65536, 0, 0, &su, &du, &rf) ==
		  VIRTIO_ACCEL_ERR);
	CU_ASSERT(!b.c.stream_active && !b.c.stream_len);
	/* a new stream on B from the beginning works */
	na = 0;
	CU_ASSERT(feed(&b, z, (uint32_t)zn, 1, 0, out_b, &na, 1u << 20,
		       BIG + 1) == VIRTIO_ACCEL_OK);
	CU_ASSERT(na == BIG && !memcmp(out_b, data, BIG));
	/* the source continues as if nothing happened */
	va_stream_free(&a);
	va_stream_free(&b);
	free(z);
}

/* records that do not fit their session are refused */
static void test_import_refused(void)
{
	struct va_session a, b;
	struct virtio_accel_state_stream x;
	size_t na = 0;

	sess_init(&a, K_SHA, 0);
	feed(&a, data, 100, 0, 0, out_a, &na, 100, 0);
	CU_ASSERT(va_stream_export(&a, &x, NULL, 0) == 0);
	sess_init(&b, K_CRC, 0);
	b.c.stream_active = 1;
	b.c.stream_len = 100;
	CU_ASSERT(va_stream_import(&b, &x) == -EINVAL);	/* wrong kind */
	va_stream_free(&b);
	sess_init(&b, K_SHA, 0);
	b.c.stream_active = 1;
	b.c.stream_len = 101;
	CU_ASSERT(va_stream_import(&b, &x) == -EINVAL);	/* length differs */
	b.c.stream_len = 100;
	x.u.sha.buf_len = 5;
	CU_ASSERT(va_stream_import(&b, &x) == -EINVAL);	/* buf_len */
	b.c.stream_active = 0;
	b.c.stream_len = 0;
	x.kind = VIRTIO_ACCEL_ST_NONE;
	CU_ASSERT(va_stream_import(&b, &x) == 0);
	va_stream_free(&b);
	va_stream_free(&a);
	/* GCM: part_len must be ct_len % 16 */
	sess_init(&a, K_ENC, 0);
	feed(&a, data, 100, 0, 0, out_a, &na, 100, 0);
	CU_ASSERT(va_stream_export(&a, &x, NULL, 0) == 0);
	CU_ASSERT(x.u.gcm.ct_len == 100 && x.u.gcm.part_len == 4);
	sess_init(&b, K_ENC, 0);
	b.c.stream_active = 1;
	b.c.stream_len = 100;
	x.u.gcm.part_len = 3;
	CU_ASSERT(va_stream_import(&b, &x) == -EINVAL);
	va_stream_free(&b);
	va_stream_free(&a);
	/* a compression stream needs its scratch */
	sess_init(&a, K_COMP, 0);
	a.c.stream_active = 1;
	CU_ASSERT(va_stream_export(&a, &x, NULL, 0) == -ENOSPC);
	CU_ASSERT(va_stream_export(&a, &x, scratch,
				   VA_STREAM_SCRATCH_LEN) == 0);
	x.u.defl.dict_len = VIRTIO_ACCEL_ST_DEFLATE_DICT_MAX + 1;
	CU_ASSERT(va_stream_import(&a, &x) == -EINVAL);
	x.u.defl.dict_len = 0;
	x.u.defl.pending_len = VIRTIO_ACCEL_ST_DEFLATE_PENDING_MAX + 1;
	CU_ASSERT(va_stream_import(&a, &x) == -EINVAL);
	x.u.defl.pending_len = 0;
	x.u.defl.level = 10;
	CU_ASSERT(va_stream_import(&a, &x) == -EINVAL);
	x.u.defl.level = 9;
	x.u.defl.mem_level = 0;
	CU_ASSERT(va_stream_import(&a, &x) == -EINVAL);
	x.u.defl.mem_level = 9;
	x.u.defl.strategy = 5;
	CU_ASSERT(va_stream_import(&a, &x) == -EINVAL);
	x.u.defl.strategy = 4;
	CU_ASSERT(va_stream_import(&a, &x) == 0);
	/* a kind that is not a stream record */
	x.kind = 21;
	CU_ASSERT(va_stream_import(&a, &x) == -EINVAL);
	va_stream_free(&a);
	/* GCM beyond [STREAM-GCM-MAX] */
	sess_init(&a, K_DEC, 0);
	a.c.stream_active = 1;
	a.c.stream_len = VIRTIO_ACCEL_GCM_STREAM_MAX + 16;
	memset(&x, 0, sizeof(x));
	x.kind = VIRTIO_ACCEL_ST_AES256GCM;
	x.u.gcm.ct_len = a.c.stream_len;
	CU_ASSERT(va_stream_import(&a, &x) == -EINVAL);
	x.u.gcm.ct_len = a.c.stream_len = VIRTIO_ACCEL_GCM_STREAM_MAX;
	CU_ASSERT(va_stream_import(&a, &x) == 0);
	va_stream_free(&a);
}

/* ---- throughput and export cost (--bench) -------------------------------- */

/* the thread's CPU time: on a shared machine, wall time measures the others */
static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

#define BENCH_LEN	(24u << 20)
#define BENCH_REQ	(1u << 20)

/* the stream engine over BENCH_LEN bytes in 1 MiB requests: GB/s */
static double bench_stream(struct va_session *s, uint8_t *buf, uint8_t *o)
{
	uint32_t off, su, du;
	double t;
	uint8_t rf;

	t = now();
	for (off = 0; off < BENCH_LEN; off += BENCH_REQ)
		req(s, buf + off, BENCH_REQ, o + off, BENCH_REQ + 64,
		    off + BENCH_REQ >= BENCH_LEN &&
		    s->c.op != VIRTIO_ACCEL_OP_AEAD_DECRYPT, 0, &su, &du,
		    &rf);
	return BENCH_LEN / (now() - t) / 1e9;
}

/* the old engine: EVP_Digest* on one context, same requests */
static double bench_evp_sha(EVP_MD_CTX *md, uint8_t *buf)
{
	unsigned int ml;
	uint8_t d[32];
	uint32_t off;
	double t;

	t = now();
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (off = 0; off < BENCH_LEN; off += BENCH_REQ)
		EVP_DigestUpdate(md, buf + off, BENCH_REQ);
	EVP_DigestFinal_ex(md, d, &ml);
	return BENCH_LEN / (now() - t) / 1e9;
}

static double best(double a, double b)
{
	return a > b ? a : b;
}

static int bench(int rounds)
{
	uint8_t *buf = malloc(BENCH_LEN), *o = malloc(BENCH_LEN + 4096);
	struct va_session s, g, own;
	struct virtio_accel_state_stream x;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	double evp = 0, ctx = 0, ge = 0, go = 0, gp = 0, t;
	int i, nexp = 20000;
	size_t n = 0;

	if (!buf || !o || !md)
		return 2;
	RAND_bytes(buf, BENCH_LEN);
	/* SHA-256: the old EVP path and the SHA256_CTX stream, interleaved */
	for (i = 0; i < rounds; i++) {
		evp = best(evp, bench_evp_sha(md, buf));
		sess_init(&s, K_SHA, 0);
		ctx = best(ctx, bench_stream(&s, buf, o));
		va_stream_free(&s);
	}
	printf("sha256 stream: EVP_Digest %.3f GB/s, SHA256_CTX %.3f GB/s, "
	       "ratio %.3f (best of %d x 24 MiB, 1 MiB requests)\n",
	       evp, ctx, ctx / evp, rounds);
	/* AES-256-GCM: EVP stream vs the own path (imported), interleaved */
	for (i = 0; i < rounds; i++) {
		sess_init(&g, K_ENC, 0);
		ge = best(ge, bench_stream(&g, buf, o));
		va_stream_free(&g);
		sess_init(&g, K_ENC, 0);
		n = 0;
		feed(&g, buf, 17, 0, 0, o, &n, 17, 0);
		migrate(&g, &own, K_ENC, 0, &x);
		go = best(go, bench_stream(&own, buf, o));
		va_stream_free(&g);
		va_stream_free(&own);
		if (i < 3) {
			va_sw_test_set(0, 1, 1);
			sess_init(&g, K_ENC, 0);
			n = 0;
			feed(&g, buf, 17, 0, 0, o, &n, 17, 0);
			migrate(&g, &own, K_ENC, 0, &x);
			gp = best(gp, bench_stream(&own, buf, o));
			va_stream_free(&g);
			va_stream_free(&own);
			va_sw_test_set(1, 1, 1);
		}
	}
	printf("aes-256-gcm stream: EVP %.3f GB/s, own path (PCLMUL GHASH) "
	       "%.3f GB/s (ratio %.3f), own path (portable GHASH) %.3f GB/s\n",
	       ge, go, go / ge, gp);
	/* GCM export cost: the tag trick, per stream, both GF multiplies */
	for (i = 0; i < 4; i++) {
		int k, dec = i & 1, fast = i < 2;

		nexp = fast ? 20000 : 2000;
		va_sw_test_set(fast, 1, 1);
		sess_init(&g, dec ? K_DEC : K_ENC, 0);
		n = 0;
		feed(&g, buf, 50007, 0, 37, o, &n, 50007, 0);
		t = now();
		for (k = 0; k < nexp; k++)
			va_stream_export(&g, &x, NULL, 0);
		t = now() - t;
		printf("aes-256-gcm export (%s, %s GF): %.2f us per stream\n",
		       dec ? "decrypt" : "encrypt",
		       fast ? "PCLMUL" : "portable", t / nexp * 1e6);
		va_stream_free(&g);
	}
	va_sw_test_set(1, 1, 1);
	/* DEFLATE compress export */
	sess_init(&g, K_COMP, 0);
	n = 0;
	feed(&g, data, 1u << 20, 0, 0, o, &n, 1u << 20, 1u << 21);
	t = now();
	for (i = 0; i < 200; i++)
		va_stream_export(&g, &x, scratch, VA_STREAM_SCRATCH_LEN);
	printf("deflate export: %.1f us per stream (pending %u bytes)\n",
	       (now() - t) / 200 * 1e6, x.u.defl.pending_len);
	va_stream_free(&g);
	EVP_MD_CTX_free(md);
	free(buf);
	free(o);
	return 0;
}

static int bench_rounds;

static void test_bench(void)
{
	CU_ASSERT(bench(bench_rounds) == 0);
}

int main(int argc, char **argv)
{
	unsigned int run, failed, i;
	CU_pSuite s;

	data = malloc(BIG);
	out_a = malloc(BIG + 65536);
	out_b = malloc(BIG + 65536);
	ref = malloc(BIG + 65536);
	scratch = malloc(VA_STREAM_SCRATCH_LEN);
	if (!data || !out_a || !out_b || !ref || !scratch)
		return 2;
	/* runs of text-like repeats and random bytes: DEFLATE has work */
	for (i = 0; i < BIG; i++)
		data[i] = (i / 4096) % 3 ? (uint8_t)rnd() :
			  (uint8_t)("migrate the stream "[i % 19]);
	for (i = 0; i < sizeof(aad); i++)
		aad[i] = (uint8_t)rnd();
	for (i = 0; i < sizeof(hkey); i++)
		hkey[i] = (uint8_t)rnd();
	if (va_sw_init() < 0) {
		fprintf(stderr, "va_sw_init failed\n");
		return 2;
	}
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	if (argc > 1 && !strcmp(argv[1], "--bench")) {
		/* inside a CUnit run: the helpers assert */
		bench_rounds = argc > 2 ? atoi(argv[2]) : 10;
		s = CU_add_suite("bench", NULL, NULL);
		if (!s || !CU_add_test(s, "bench", test_bench))
			return 2;
		CU_basic_set_mode(CU_BRM_SILENT);
		CU_basic_run_tests();
		CU_cleanup_registry();
		return 0;
	}
	s = CU_add_suite("stream state export/import (engine_sw.c)", NULL,
			 NULL);
	if (!s)
		return 2;
	CU_add_test(s, "sha256", test_sha256);
	CU_add_test(s, "hmac_sha256", test_hmac);
	CU_add_test(s, "crc32c", test_crc32c);
	CU_add_test(s, "gcm_encrypt", test_gcm_encrypt);
	CU_add_test(s, "gcm_decrypt", test_gcm_decrypt);
	CU_add_test(s, "gcm_aad_only", test_gcm_aad_only);
	CU_add_test(s, "gcm_portable_and_own_from_start",
		    test_gcm_portable_own);
	CU_add_test(s, "gcm_tampered_tag", test_gcm_tampered);
	CU_add_test(s, "gcm_oneshot_both_engines", test_gcm_oneshot);
	CU_add_test(s, "gcm_streams_on_openssl", test_gcm_openssl);
	CU_add_test(s, "deflate", test_deflate);
	CU_add_test(s, "deflate_pending_output", test_deflate_pending);
	CU_add_test(s, "deflate_final_short_dst", test_deflate_final_short_dst);
	CU_add_test(s, "inflate_lost", test_inflate_lost);
	CU_add_test(s, "import_refused", test_import_refused);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	run = CU_get_number_of_tests_run();
	failed = CU_get_number_of_tests_failed();
	printf("\n%u passed, %u failed\n", run - failed, failed);
	CU_cleanup_registry();
	free(data);
	free(out_a);
	free(out_b);
	free(ref);
	free(scratch);
	return failed ? 1 : 0;
}
