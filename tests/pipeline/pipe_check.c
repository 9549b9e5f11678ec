// SPDX-License-Identifier: BSD-3-Clause
/*
 * pipe-check: many one-shot crypto requests in flight at once on each data
 * queue of a device, every result checked against OpenSSL: what the
 * back-end's asynchronous pipeline must get right when the cryptodev PMD
 * holds the requests (a slot's AAD, IV, inline key, tag, output).
 *
 *   pipe-check DEVSTR [ROUNDS]
 *
 * Each round submits 4 x 64 requests per queue in one batch and then polls:
 * SHA-256 (1..5000 bytes), HMAC-SHA-256 with inline keys of 1..64 bytes,
 * AES-256-GCM encryption on a session with 0..80 bytes of AAD, and
 * AES-256-GCM decryption with inline keys, one in eight with a bad tag
 * (AUTH_FAILED, dst zeroed), and DEFLATE compression (compressible data,
 * dst of the spec's bound: OK, and its raw inflate gives src back).
 * Prints "pipe-check: N checked, M wrong";
 * exit 0 if nothing was wrong, 1 otherwise, 2 on set-up errors.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <zlib.h>

#include "virtaccel.h"

#define PER_Q	256
#define MAXLEN	5000
#define MAXQ	4

struct req {
	struct virtaccel_op op;
	uint8_t *buf[5];	/* src, dst, key, iv, aad */
	uint8_t want[MAXLEN + 16];
	uint32_t want_len;
	uint8_t want_st;
	int comp;		/* COMPRESS: dst must inflate to src */
};

/* Raw inflate of @in into @out (@cap): the length, or -1. */
static long inflate_raw(const uint8_t *in, uint32_t len, uint8_t *out,
			uint32_t cap)
{
	z_stream z;
	long n;
	int ret;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, -15) != Z_OK)
		return -1;
	z.next_in = (uint8_t *)in;
	z.avail_in = len;
	z.next_out = out;
	z.avail_out = cap;
	ret = inflate(&z, Z_FINISH);
	n = ret == Z_STREAM_END && !z.avail_in ? (long)z.total_out : -1;
	inflateEnd(&z);
	return n;
}

static uint32_t rnd_state = 12345;

static uint32_t rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

static void fill(uint8_t *p, uint32_t n)
{
	while (n--)
		*p++ = (uint8_t)rnd();
}

static void gcm(int enc, const uint8_t *key, const uint8_t *iv,
		const uint8_t *aad, int aad_len, const uint8_t *in, int len,
		uint8_t *out, uint8_t *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l;

	EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv, enc);
	if (aad_len)
		EVP_CipherUpdate(c, NULL, &l, aad, aad_len);
	EVP_CipherUpdate(c, out, &l, in, len);
	EVP_CipherFinal_ex(c, out + l, &l);
	EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag);
	EVP_CIPHER_CTX_free(c);
}

int main(int argc, char **argv)
{
	struct virtaccel_open_opts o = { .queue_size = 1024 };
	static uint8_t skey[32], plain[MAXLEN], ct[MAXLEN], tag[16];
	unsigned int nq, q, i, rounds = argc > 2 ? atoi(argv[2]) : 4, r;
	unsigned long checked = 0, wrong = 0;
	struct virtaccel_dev *dev;
	struct virtaccel_info info;
	struct virtaccel_op **v, **done;
	struct req *rq;
	uint64_t sid;
	int n;

	if (argc < 2)
		return 2;
	o.num_queues = MAXQ;
	if (virtaccel_open(argv[1], &o, &dev) < 0 &&
	    (o.num_queues = 1, virtaccel_open(argv[1], &o, &dev) < 0)) {
		fprintf(stderr, "pipe-check: cannot open %s\n", argv[1]);
		return 2;
	}
	virtaccel_get_info(dev, &info);
	nq = info.num_queues ? info.num_queues : 1;
	fill(skey, 32);
	if (virtaccel_session_create(dev, VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
				     VIRTIO_ACCEL_ALG_AES256_GCM, 0, skey, 32,
				     &sid) < 0) {
		fprintf(stderr, "pipe-check: no GCM session\n");
		return 2;
	}
	rq = calloc(nq * PER_Q, sizeof(*rq));
	v = calloc(PER_Q, sizeof(*v));
	done = calloc(PER_Q, sizeof(*done));
	if (!rq || !v || !done)
		return 2;
	for (r = 0; r < rounds; r++) {
		for (q = 0; q < nq; q++) {
			for (i = 0; i < PER_Q; i++) {
				struct req *x = &rq[q * PER_Q + i];
				struct virtaccel_op *op = &x->op;
				uint32_t len = 1 + rnd() % MAXLEN;
				uint8_t *src, *dst, *key, *iv, *aad;
				uint32_t klen = 1 + rnd() % 64, alen;
				unsigned int hl;

				memset(x, 0, sizeof(*x));
				src = virtaccel_buf_alloc(dev, MAXLEN + 16);
				dst = virtaccel_buf_alloc(dev, MAXLEN + 64);
				key = virtaccel_buf_alloc(dev, 64);
				iv = virtaccel_buf_alloc(dev, 12);
				aad = virtaccel_buf_alloc(dev, 80);
				x->buf[0] = src;
				x->buf[1] = dst;
				x->buf[2] = key;
				x->buf[3] = iv;
				x->buf[4] = aad;
				if (!src || !dst || !key || !iv || !aad) {
					fprintf(stderr, "pipe-check: out of shared memory\n");
					return 2;
				}
				fill(src, len);
				fill(iv, 12);
				op->src = src;
				op->src_len = len;
				op->dst = dst;
				op->user_data = x;
				switch (i % 5) {
				case 0:
					op->opcode = VIRTIO_ACCEL_OP_HASH;
					op->algo = VIRTIO_ACCEL_ALG_SHA256;
					op->dst_len = 32;
					EVP_Digest(src, len, x->want, NULL,
						   EVP_sha256(), NULL);
					x->want_len = 32;
					break;
				case 1:
					op->opcode = VIRTIO_ACCEL_OP_MAC;
					op->algo = VIRTIO_ACCEL_ALG_HMAC_SHA256;
					fill(key, klen);
					op->key = key;
					op->key_len = klen;
					op->dst_len = 32;
					HMAC(EVP_sha256(), key, (int)klen, src, len,
					     x->want, &hl);
					x->want_len = 32;
					break;
				case 2:
					alen = rnd() % 81;
					fill(aad, alen);
					op->opcode = VIRTIO_ACCEL_OP_AEAD_ENCRYPT;
					op->algo = VIRTIO_ACCEL_ALG_AES256_GCM;
					op->session_id = sid;
					op->iv = iv;
					op->iv_len = 12;
					op->aad = aad;
					op->aad_len = alen;
					op->dst_len = len + 16;
					gcm(1, skey, iv, aad, (int)alen, src,
					    (int)len, x->want, x->want + len);
					x->want_len = len + 16;
					break;
				case 4:
					/* compressible: runs of a few values */
					for (hl = 0; hl < len; hl++)
						src[hl] = (uint8_t)((hl / 7) % 5 +
								    'a');
					op->opcode = VIRTIO_ACCEL_OP_COMPRESS;
					op->algo = VIRTIO_ACCEL_ALG_DEFLATE;
					op->dst_len = VIRTIO_ACCEL_DEFLATE_BOUND(len);
					x->comp = 1;
					break;
				default:
					alen = rnd() % 81;
					fill(aad, alen);
					fill(key, 32);
					fill(plain, len);
					gcm(1, key, iv, aad, (int)alen, plain,
					    (int)len, ct, tag);
					memcpy(src, ct, len);
					memcpy(src + len, tag, 16);
					if (i % 32 == 3)
						src[len] ^= 1;	/* bad tag */
					op->opcode = VIRTIO_ACCEL_OP_AEAD_DECRYPT;
					op->algo = VIRTIO_ACCEL_ALG_AES256_GCM;
					op->key = key;
					op->key_len = 32;
					op->iv = iv;
					op->iv_len = 12;
					op->aad = aad;
					op->aad_len = alen;
					op->src_len = len + 16;
					op->dst_len = len;
					if (i % 32 == 3) {
						x->want_st = VIRTIO_ACCEL_AUTH_FAILED;
						memset(x->want, 0, len);
					} else {
						memcpy(x->want, plain, len);
					}
					x->want_len = len;
					break;
				}
				v[i] = op;
			}
			for (i = 0; i < PER_Q;) {
				n = virtaccel_submit(dev, q, v + i, PER_Q - i);
				if (n < 0) {
					fprintf(stderr, "pipe-check: submit: %d\n", n);
					return 2;
				}
				i += (unsigned int)n;
				if (i < PER_Q) {
					fprintf(stderr, "pipe-check: ring full at %u\n", i);
					return 2;
				}
			}
		}
		for (q = 0; q < nq; q++) {
			unsigned int got = 0, tries = 0;

			while (got < PER_Q && tries++ < 1000) {
				n = virtaccel_poll(dev, q, done, PER_Q, 100);
				if (n < 0)
					break;
				got += (unsigned int)n;
			}
			if (got != PER_Q) {
				printf("pipe-check: queue %u: %u of %u completed\n",
				       q, got, PER_Q);
				wrong += PER_Q - got;
			}
			for (i = 0; i < PER_Q; i++) {
				struct req *x = &rq[q * PER_Q + i];
				struct virtaccel_op *op = &x->op;
				int bad = x->comp ?
					  op->status != VIRTIO_ACCEL_OK ||
					  inflate_raw(op->dst, op->dst_used,
						      x->want, MAXLEN + 16) !=
						  (long)op->src_len ||
					  memcmp(x->want, x->buf[0],
						 op->src_len) :
					  op->status != x->want_st ||
					  (!x->want_st &&
					   (op->dst_used != x->want_len ||
					    memcmp(op->dst, x->want,
						   x->want_len))) ||
					  (x->want_st &&
					   memcmp(op->dst, x->want,
						  x->want_len));

				checked++;
				if (bad && wrong++ < 10)
					printf("pipe-check: queue %u request %u (%s, %u bytes): status %u want %u, dst_used %u want %u\n",
					       q, i, virtaccel_op_name(op->opcode),
					       op->src_len, op->status,
					       x->want_st, op->dst_used,
					       x->want_len);
				for (n = 0; n < 5; n++)
					virtaccel_buf_free(dev, x->buf[n]);
			}
		}
	}
	printf("pipe-check: %lu checked, %lu wrong\n", checked, wrong);
	virtaccel_close(dev);
	return wrong ? 1 : 0;
}
