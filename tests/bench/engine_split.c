// SPDX-License-Identifier: BSD-3-Clause
/*
 * engine-split: where the time of a small crypto request goes without the
 * transport. One thread, CPU time per operation (CLOCK_THREAD_CPUTIME_ID:
 * other work on the machine does not count), for SHA-256 64 B and
 * AES-256-GCM 4 KiB encryption:
 *
 *   evp        OpenSSL EVP in-process, one context reused (vaccel-bench's
 *              native_* baseline)
 *   pmd-1      the cryptodev PMD as engine_crypto.c drives it: per request
 *              a crypto op and an external-buffer mbuf, enqueue one,
 *              spin until it is dequeued, free both
 *   pmd-32     the same in bursts of 32 (what an asynchronous pipeline
 *              would give the PMD)
 *
 *   engine-split [--pmd NAME] [--ms N]      (crypto_openssl, 200)
 *
 * Each case: a warm-up run, then the fastest of 3 runs of N ms.
 *
 * One line per case: "split PMD CASE MODE ns_per_op N". Not part of
 * `make bench`'s ratios; docs/performance.md quotes it for the cause of
 * gcm4k_vs_native and sha256_64_vs_native.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <rte_bus_vdev.h>
#include <rte_crypto.h>
#include <rte_cryptodev.h>
#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#define IV_OFF	(sizeof(struct rte_crypto_op) + sizeof(struct rte_crypto_sym_op))
#define BURST	32

static unsigned int opt_ms = 200;
static int cdev;
static struct rte_mempool *sess_mp, *op_mp, *mbuf_mp;
static struct rte_mbuf_ext_shared_info shinfo[BURST];
static const uint8_t key[32] = { 1, 2, 3 }, iv[12] = { 4, 5, 6 };

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void noop_free(void *a, void *o)
{
	(void)a;
	(void)o;
}

static double run_evp(int gcm, uint32_t len, uint8_t *src, uint8_t *dst)
{
	EVP_CIPHER_CTX *cx = EVP_CIPHER_CTX_new();
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint64_t t0 = cpu_ns(), end = t0 + opt_ms * 1000000ull, n = 0;
	unsigned int l;
	int outl;

	EVP_EncryptInit_ex(cx, EVP_aes_256_gcm(), NULL, key, NULL);
	do {
		/* the CPU clock is a system call: read it every 256 ops */
		if (++n % 256)
			goto op;
		if (cpu_ns() >= end)
			break;
op:
		if (gcm) {
			EVP_EncryptInit_ex(cx, NULL, NULL, NULL, iv);
			EVP_EncryptUpdate(cx, dst, &outl, src, (int)len);
			EVP_EncryptFinal_ex(cx, dst + outl, &outl);
			EVP_CIPHER_CTX_ctrl(cx, EVP_CTRL_GCM_GET_TAG, 16,
					    dst + len);
		} else {
			EVP_DigestInit_ex(md, EVP_sha256(), NULL);
			EVP_DigestUpdate(md, src, len);
			EVP_DigestFinal_ex(md, dst, &l);
		}
	} while (1);
	EVP_CIPHER_CTX_free(cx);
	EVP_MD_CTX_free(md);
	return (double)(cpu_ns() - t0) / (double)n;
}

static void *sess_new(int gcm)
{
	struct rte_crypto_sym_xform x;

	memset(&x, 0, sizeof(x));
	if (gcm) {
		x.type = RTE_CRYPTO_SYM_XFORM_AEAD;
		x.aead.op = RTE_CRYPTO_AEAD_OP_ENCRYPT;
		x.aead.algo = RTE_CRYPTO_AEAD_AES_GCM;
		x.aead.key.data = key;
		x.aead.key.length = 32;
		x.aead.iv.offset = IV_OFF;
		x.aead.iv.length = 12;
		x.aead.digest_length = 16;
	} else {
		x.type = RTE_CRYPTO_SYM_XFORM_AUTH;
		x.auth.op = RTE_CRYPTO_AUTH_OP_GENERATE;
		x.auth.algo = RTE_CRYPTO_AUTH_SHA256;
		x.auth.digest_length = 32;
	}
	return rte_cryptodev_sym_session_create((uint8_t)cdev, &x, sess_mp);
}

/* Build @n ops over @buf as engine_crypto.c's pmd_exec() does. */
static int ops_build(struct rte_crypto_op **op, unsigned int n, void *sess,
		     int gcm, uint8_t *buf, uint32_t len, uint8_t *out)
{
	struct rte_mbuf *m[BURST];
	unsigned int i;

	if (rte_crypto_op_bulk_alloc(op_mp, RTE_CRYPTO_OP_TYPE_SYMMETRIC, op,
				     n) != n)
		return -1;
	if (rte_pktmbuf_alloc_bulk(mbuf_mp, m, n) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		struct rte_crypto_sym_op *s = op[i]->sym;

		rte_mbuf_ext_refcnt_set(&shinfo[i], 1);
		rte_pktmbuf_attach_extbuf(m[i], buf, (rte_iova_t)(uintptr_t)buf,
					  (uint16_t)len, &shinfo[i]);
		m[i]->data_len = (uint16_t)len;
		m[i]->pkt_len = len;
		rte_crypto_op_attach_sym_session(op[i], sess);
		s->m_src = m[i];
		if (gcm) {
			s->aead.data.length = len;
			s->aead.digest.data = out;
			s->aead.digest.phys_addr = (rte_iova_t)(uintptr_t)out;
			s->aead.aad.data = out + 64;
			s->aead.aad.phys_addr = (rte_iova_t)(uintptr_t)(out + 64);
			memcpy(rte_crypto_op_ctod_offset(op[i], uint8_t *,
							 IV_OFF), iv, 12);
		} else {
			s->auth.data.length = len;
			s->auth.digest.data = out;
			s->auth.digest.phys_addr = (rte_iova_t)(uintptr_t)out;
		}
	}
	return 0;
}

static double run_pmd(int gcm, uint32_t len, unsigned int burst,
		      uint8_t *buf, uint8_t *out)
{
	struct rte_crypto_op *op[BURST], *done[BURST];
	void *sess = sess_new(gcm);
	uint64_t t0, end, n = 0;
	unsigned int i, got;

	if (!sess)
		return -1;
	t0 = cpu_ns();
	end = t0 + opt_ms * 1000000ull;
	do {
		if (ops_build(op, burst, sess, gcm, buf, len, out) < 0)
			return -1;
		if (rte_cryptodev_enqueue_burst((uint8_t)cdev, 0, op,
						(uint16_t)burst) != burst)
			return -1;
		for (got = 0; got < burst;)
			got += rte_cryptodev_dequeue_burst((uint8_t)cdev, 0,
							   done + got,
							   (uint16_t)(burst - got));
		for (i = 0; i < burst; i++) {
			if (done[i]->status != RTE_CRYPTO_OP_STATUS_SUCCESS)
				return -1;
			rte_pktmbuf_free(done[i]->sym->m_src);
			rte_crypto_op_free(done[i]);
		}
		n += burst;
	} while (n % 256 || cpu_ns() < end);
	rte_cryptodev_sym_session_free((uint8_t)cdev, sess);
	return (double)(cpu_ns() - t0) / (double)n;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "pmd", required_argument, NULL, 'p' },
		{ "ms", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	char *eal[] = { argv[0], "--no-huge", "--no-pci", "--no-shconf",
			"--no-telemetry", "-m", "256", "--log-level=*:error",
			NULL, NULL };
	struct rte_cryptodev_qp_conf qp = { .nb_descriptors = 256 };
	struct rte_cryptodev_config conf;
	const char *pmd = "crypto_openssl";
	char prefix[64];
	uint8_t *buf, *out;
	int c, i;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'p')
			pmd = optarg;
		else if (c == 'm')
			opt_ms = (unsigned int)atoi(optarg);
		else
			return 2;
	}
	snprintf(prefix, sizeof(prefix), "--file-prefix=split%d", getpid());
	eal[8] = prefix;
	if (rte_eal_init(9, eal) < 0)
		return 1;
	if (rte_vdev_init(pmd, NULL) < 0 ||
	    (cdev = rte_cryptodev_get_dev_id(pmd)) < 0) {
		fprintf(stderr, "engine-split: no PMD %s\n", pmd);
		return 77;
	}
	memset(&conf, 0, sizeof(conf));
	conf.nb_queue_pairs = 1;
	conf.ff_disable = RTE_CRYPTODEV_FF_ASYMMETRIC_CRYPTO |
			  RTE_CRYPTODEV_FF_SECURITY;
	sess_mp = rte_cryptodev_sym_session_pool_create("s", 64,
		rte_cryptodev_sym_get_private_session_size((uint8_t)cdev), 0, 0,
		0);
	op_mp = rte_crypto_op_pool_create("o", RTE_CRYPTO_OP_TYPE_SYMMETRIC,
					  256, 0, 16, 0);
	mbuf_mp = rte_pktmbuf_pool_create("m", 256, 0, 0, 0, 0);
	qp.mp_session = sess_mp;
	if (!sess_mp || !op_mp || !mbuf_mp ||
	    rte_cryptodev_configure((uint8_t)cdev, &conf) < 0 ||
	    rte_cryptodev_queue_pair_setup((uint8_t)cdev, 0, &qp, 0) < 0 ||
	    rte_cryptodev_start((uint8_t)cdev) < 0) {
		fprintf(stderr, "engine-split: %s: set-up failed\n", pmd);
		return 1;
	}
	for (i = 0; i < BURST; i++)
		shinfo[i].free_cb = noop_free;
	buf = rte_malloc(NULL, 4096 + 64, 64);
	out = rte_malloc(NULL, 4096 + 256, 64);
	if (!buf || !out)
		return 1;
	memset(buf, 0x5a, 4096 + 64);
	for (i = 0; i < 2; i++) {
		int gcm = i;
		uint32_t len = gcm ? 4096 : 64;
		const char *name = gcm ? "gcm_4096" : "sha256_64";

		double v[3] = { 1e30, 1e30, 1e30 };
		int r;

		/* a warm-up run, then the fastest of 3 (CPU time is still
		 * inflated by what shares the core's caches)
		 */
		for (r = 0; r < 4; r++) {
			double e = run_evp(gcm, len, buf, out);
			double p1 = run_pmd(gcm, len, 1, buf, out);
			double p32 = run_pmd(gcm, len, BURST, buf, out);

			if (!r)
				continue;
			v[0] = e < v[0] ? e : v[0];
			v[1] = p1 < v[1] ? p1 : v[1];
			v[2] = p32 < v[2] ? p32 : v[2];
		}
		printf("split %s %s evp %.0f\n", pmd, name, v[0]);
		printf("split %s %s pmd-1 %.0f\n", pmd, name, v[1]);
		printf("split %s %s pmd-32 %.0f\n", pmd, name, v[2]);
	}
	rte_cryptodev_stop((uint8_t)cdev);
	rte_cryptodev_close((uint8_t)cdev);
	rte_eal_cleanup();
	return 0;
}
