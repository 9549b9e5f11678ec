// SPDX-License-Identifier: BSD-3-Clause
/*
 * rte_cryptodev engine: SHA-256, HMAC-SHA-256 and AES-256-GCM one-shot
 * requests on the PMD named by --crypto-pmd (one queue pair, used by the
 * device's worker only). Data is handed to the PMD as a chain of mbufs with
 * external buffers laid over the request's buffer (no copy for hashes);
 * AEAD runs in place in the queue's staging buffer.
 *
 * If the PMD cannot be created, crypto_openssl is tried, then OpenSSL EVP
 * in-process; requests the PMD cannot take (zero length, key or AAD sizes
 * outside its capabilities) also go to EVP.
 */
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_crypto.h>
#include <rte_cryptodev.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "backend.h"

#define IV_OFFSET (sizeof(struct rte_crypto_op) + sizeof(struct rte_crypto_sym_op))
#define QP_DESC 128

struct va_crypto_q {
	struct rte_mbuf **m;
	struct rte_mbuf_ext_shared_info *shinfo;
	unsigned int nsegs;
	void *sha_sess;
};

static int cdev = -1;
static char cdev_engine[8] = "evp";
static char cdev_name[64];
static struct rte_mempool *sess_mp, *op_mp, *mbuf_mp;
static const struct rte_cryptodev_symmetric_capability *cap_sha, *cap_hmac,
	*cap_gcm;

uint64_t va_crypto_implemented(void)
{
	/* OpenSSL EVP backs every pair when the PMD lacks it */
	return VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_HASH,
				     VIRTIO_ACCEL_ALG_SHA256) |
	       VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_MAC,
				     VIRTIO_ACCEL_ALG_HMAC_SHA256) |
	       VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
				     VIRTIO_ACCEL_ALG_AES256_GCM) |
	       VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_AEAD_DECRYPT,
				     VIRTIO_ACCEL_ALG_AES256_GCM);
}

const char *va_crypto_engine(void)
{
	return cdev_engine;
}

static void noop_free(void *addr, void *opaque)
{
	(void)addr;
	(void)opaque;
}

static int va_vdev_create(const char *name)
{
	int id;

	id = rte_cryptodev_get_dev_id(name);
	if (id >= 0)
		return id;
	if (rte_vdev_init(name, NULL) < 0)
		return -1;
	return rte_cryptodev_get_dev_id(name);
}

static const struct rte_cryptodev_symmetric_capability *
cap_get(int type, int algo)
{
	struct rte_cryptodev_sym_capability_idx idx;

	memset(&idx, 0, sizeof(idx));
	idx.type = type;
	if (type == RTE_CRYPTO_SYM_XFORM_AUTH)
		idx.algo.auth = algo;
	else
		idx.algo.aead = algo;
	return rte_cryptodev_sym_capability_get((uint8_t)cdev, &idx);
}

static void *sess_create(const uint8_t *key, uint32_t key_len, uint32_t op,
			 uint32_t aad_len)
{
	struct rte_crypto_sym_xform x;

	memset(&x, 0, sizeof(x));
	switch (op) {
	case VIRTIO_ACCEL_OP_HASH:
		x.type = RTE_CRYPTO_SYM_XFORM_AUTH;
		x.auth.op = RTE_CRYPTO_AUTH_OP_GENERATE;
		x.auth.algo = RTE_CRYPTO_AUTH_SHA256;
		x.auth.digest_length = VIRTIO_ACCEL_SHA256_LEN;
		break;
	case VIRTIO_ACCEL_OP_MAC:
		if (!cap_hmac || rte_cryptodev_sym_capability_check_auth(
				cap_hmac, (uint16_t)key_len,
				VIRTIO_ACCEL_SHA256_LEN, 0))
			return NULL;
		x.type = RTE_CRYPTO_SYM_XFORM_AUTH;
		x.auth.op = RTE_CRYPTO_AUTH_OP_GENERATE;
		x.auth.algo = RTE_CRYPTO_AUTH_SHA256_HMAC;
		x.auth.key.data = key;
		x.auth.key.length = (uint16_t)key_len;
		x.auth.digest_length = VIRTIO_ACCEL_SHA256_LEN;
		break;
	default:
		if (!cap_gcm || aad_len > UINT16_MAX ||
		    rte_cryptodev_sym_capability_check_aead(
			    cap_gcm, VIRTIO_ACCEL_GCM_KEY_LEN,
			    VIRTIO_ACCEL_GCM_TAG_LEN, (uint16_t)aad_len,
			    VIRTIO_ACCEL_GCM_IV_LEN))
			return NULL;
		x.type = RTE_CRYPTO_SYM_XFORM_AEAD;
		x.aead.op = op == VIRTIO_ACCEL_OP_AEAD_ENCRYPT ?
				    RTE_CRYPTO_AEAD_OP_ENCRYPT :
				    RTE_CRYPTO_AEAD_OP_DECRYPT;
		x.aead.algo = RTE_CRYPTO_AEAD_AES_GCM;
		x.aead.key.data = key;
		x.aead.key.length = VIRTIO_ACCEL_GCM_KEY_LEN;
		x.aead.iv.offset = IV_OFFSET;
		x.aead.iv.length = VIRTIO_ACCEL_GCM_IV_LEN;
		x.aead.digest_length = VIRTIO_ACCEL_GCM_TAG_LEN;
		x.aead.aad_length = (uint16_t)aad_len;
		break;
	}
	return rte_cryptodev_sym_session_create((uint8_t)cdev, &x, sess_mp);
}

/* Lay a chain of external-buffer mbufs over [p, p + len). */
static struct rte_mbuf *chain_build(struct va_crypto_q *cq, uint8_t *p,
				    uint32_t len)
{
	unsigned int n = (len + VA_MBUF_SEG_LEN - 1) / VA_MBUF_SEG_LEN, i;

	if (!n || n > cq->nsegs)
		return NULL;
	if (rte_pktmbuf_alloc_bulk(mbuf_mp, cq->m, n) < 0)
		return NULL;
	for (i = 0; i < n; i++) {
		uint32_t k = len - i * VA_MBUF_SEG_LEN;

		if (k > VA_MBUF_SEG_LEN)
			k = VA_MBUF_SEG_LEN;
		rte_mbuf_ext_refcnt_set(&cq->shinfo[i], 1);
		rte_pktmbuf_attach_extbuf(cq->m[i], p + i * VA_MBUF_SEG_LEN,
					  (rte_iova_t)(uintptr_t)(p + i * VA_MBUF_SEG_LEN),
					  (uint16_t)k, &cq->shinfo[i]);
		cq->m[i]->data_len = (uint16_t)k;
		cq->m[i]->next = i + 1 < n ? cq->m[i + 1] : NULL;
	}
	cq->m[0]->nb_segs = (uint16_t)n;
	cq->m[0]->pkt_len = len;
	return cq->m[0];
}

static int run_op(struct rte_crypto_op *op)
{
	struct rte_crypto_op *done = NULL;
	unsigned int spins = 0;

	if (rte_cryptodev_enqueue_burst((uint8_t)cdev, 0, &op, 1) != 1)
		return -1;
	while (rte_cryptodev_dequeue_burst((uint8_t)cdev, 0, &done, 1) == 0) {
		if (++spins > 100000000u)
			return -1;	/* the PMD lost it: give up on it */
	}
	return done == op ? 0 : -1;
}

uint8_t va_crypto_run(struct va_req *r)
{
	struct va_crypto_q *cq = r->qc->cq;
	uint32_t op = r->op.opcode, len = r->op.src_len;
	struct rte_crypto_op *cop;
	struct rte_mbuf *m;
	void *sess = NULL;
	int tmp_sess = 0, dec = op == VIRTIO_ACCEL_OP_AEAD_DECRYPT;
	uint8_t tag[VIRTIO_ACCEL_GCM_TAG_LEN], st = VIRTIO_ACCEL_ERR;

	if (cdev < 0 || !cq || len == 0 ||
	    (dec && len == VIRTIO_ACCEL_GCM_TAG_LEN))
		return va_sw_oneshot(r);
	if (op == VIRTIO_ACCEL_OP_HASH) {
		sess = cq->sha_sess;
	} else if (r->sess) {
		struct va_session *s = r->sess;

		if (s->cdev_sess && op != VIRTIO_ACCEL_OP_MAC &&
		    s->cdev_aad_len != r->op.aad_len)
			va_crypto_sess_free(s);
		if (!s->cdev_sess) {
			s->cdev_sess = sess_create(s->key, s->key_len, op,
						   r->op.aad_len);
			s->cdev_aad_len = r->op.aad_len;
		}
		sess = s->cdev_sess;
	} else {
		sess = sess_create(r->key, r->key_len, op, r->op.aad_len);
		tmp_sess = 1;
	}
	if (!sess)
		return va_sw_oneshot(r);

	cop = rte_crypto_op_alloc(op_mp, RTE_CRYPTO_OP_TYPE_SYMMETRIC);
	if (!cop)
		goto out_sess;
	rte_crypto_op_attach_sym_session(cop, sess);

	if (op == VIRTIO_ACCEL_OP_HASH || op == VIRTIO_ACCEL_OP_MAC) {
		m = chain_build(cq, (uint8_t *)(uintptr_t)r->src, len);
		if (!m)
			goto out_op;
		cop->sym->m_src = m;
		cop->sym->auth.data.offset = 0;
		cop->sym->auth.data.length = len;
		cop->sym->auth.digest.data = r->dst;
		cop->sym->auth.digest.phys_addr = (rte_iova_t)(uintptr_t)r->dst;
	} else {
		if (dec) {
			len -= VIRTIO_ACCEL_GCM_TAG_LEN;
			memcpy(tag, r->src + len, sizeof(tag));
		}
		/* in place in the staging buffer: nothing leaks on failure */
		memcpy(r->dst, r->src, len);
		m = chain_build(cq, r->dst, len);
		if (!m)
			goto out_op;
		cop->sym->m_src = m;
		cop->sym->aead.data.offset = 0;
		cop->sym->aead.data.length = len;
		cop->sym->aead.digest.data = dec ? tag : r->dst + len;
		cop->sym->aead.digest.phys_addr =
			(rte_iova_t)(uintptr_t)cop->sym->aead.digest.data;
		cop->sym->aead.aad.data = (uint8_t *)(uintptr_t)r->aad;
		cop->sym->aead.aad.phys_addr = (rte_iova_t)(uintptr_t)r->aad;
		memcpy(rte_crypto_op_ctod_offset(cop, uint8_t *, IV_OFFSET),
		       r->iv, VIRTIO_ACCEL_GCM_IV_LEN);
	}

	if (run_op(cop) < 0) {
		VA_ERR("crypto PMD did not complete a %s request",
		       virtio_accel_op_name(op));
	} else if (cop->status == RTE_CRYPTO_OP_STATUS_SUCCESS) {
		st = VIRTIO_ACCEL_OK;
		r->src_used = r->op.src_len;
		if (op == VIRTIO_ACCEL_OP_HASH || op == VIRTIO_ACCEL_OP_MAC)
			r->dst_used = VIRTIO_ACCEL_SHA256_LEN;
		else
			r->dst_used = dec ? len : len + VIRTIO_ACCEL_GCM_TAG_LEN;
	} else if (cop->status == RTE_CRYPTO_OP_STATUS_AUTH_FAILED) {
		st = VIRTIO_ACCEL_AUTH_FAILED;
	} else {
		VA_ERR("crypto PMD failed a %s request (status %d)",
		       virtio_accel_op_name(op), cop->status);
	}
	rte_pktmbuf_free(m);
out_op:
	rte_crypto_op_free(cop);
out_sess:
	if (tmp_sess)
		rte_cryptodev_sym_session_free((uint8_t)cdev, sess);
	return st;
}

void va_crypto_sess_free(struct va_session *s)
{
	if (s->cdev_sess && cdev >= 0)
		rte_cryptodev_sym_session_free((uint8_t)cdev, s->cdev_sess);
	s->cdev_sess = NULL;
}

int va_crypto_qinit(struct va_qctx *qc, unsigned int idx)
{
	struct va_crypto_q *cq;
	unsigned int i;

	(void)idx;
	if (cdev < 0)
		return 0;
	cq = rte_zmalloc("va_cq", sizeof(*cq), 0);
	if (!cq)
		return -1;
	cq->nsegs = (unsigned int)((VA_STAGE_LEN(va_opts.max_data_len) +
				    VA_MBUF_SEG_LEN - 1) / VA_MBUF_SEG_LEN);
	cq->m = rte_zmalloc("va_cq_m", sizeof(*cq->m) * cq->nsegs, 0);
	cq->shinfo = rte_zmalloc("va_cq_sh", sizeof(*cq->shinfo) * cq->nsegs,
				 0);
	if (!cq->m || !cq->shinfo)
		goto out_free;
	for (i = 0; i < cq->nsegs; i++) {
		cq->shinfo[i].free_cb = noop_free;
		cq->shinfo[i].fcb_opaque = NULL;
	}
	if (cap_sha) {
		cq->sha_sess = sess_create(NULL, 0, VIRTIO_ACCEL_OP_HASH, 0);
		if (!cq->sha_sess)
			goto out_free;
	}
	qc->cq = cq;
	return 0;
out_free:
	rte_free(cq->m);
	rte_free(cq->shinfo);
	rte_free(cq);
	return -1;
}

void va_crypto_qfini(struct va_qctx *qc)
{
	struct va_crypto_q *cq = qc->cq;

	if (!cq)
		return;
	if (cq->sha_sess)
		rte_cryptodev_sym_session_free((uint8_t)cdev, cq->sha_sess);
	rte_free(cq->m);
	rte_free(cq->shinfo);
	rte_free(cq);
	qc->cq = NULL;
}

static int va_crypto_setup(const char *name, uint32_t max_sessions,
			   unsigned int nq)
{
	struct rte_cryptodev_qp_conf qp = { .nb_descriptors = QP_DESC };
	struct rte_cryptodev_config conf;
	struct rte_cryptodev_info info;
	int id, socket;
	uint32_t sz;

	id = va_vdev_create(name);
	if (id < 0) {
		VA_ERR("crypto PMD %s not available (%s)", name,
		       rte_strerror(rte_errno));
		return -1;
	}
	cdev = id;
	snprintf(cdev_name, sizeof(cdev_name), "%s", name);
	rte_cryptodev_info_get((uint8_t)id, &info);
	socket = rte_cryptodev_socket_id((uint8_t)id);
	if (socket < 0)
		socket = 0;
	memset(&conf, 0, sizeof(conf));
	conf.socket_id = socket;
	conf.nb_queue_pairs = 1;
	conf.ff_disable = RTE_CRYPTODEV_FF_ASYMMETRIC_CRYPTO |
			  RTE_CRYPTODEV_FF_SECURITY;
	if (rte_cryptodev_configure((uint8_t)id, &conf) < 0)
		goto out_fail;
	sz = rte_cryptodev_sym_get_private_session_size((uint8_t)id);
	sess_mp = rte_cryptodev_sym_session_pool_create("va_sess",
			max_sessions + 2 * nq + 64, sz, 0, 0, socket);
	op_mp = rte_crypto_op_pool_create("va_cop",
			RTE_CRYPTO_OP_TYPE_SYMMETRIC, 4 * nq + 64, 0,
			VIRTIO_ACCEL_GCM_IV_LEN + 4, socket);
	mbuf_mp = rte_pktmbuf_pool_create("va_cmbuf",
			nq * ((VA_STAGE_LEN(va_opts.max_data_len) +
			       VA_MBUF_SEG_LEN - 1) / VA_MBUF_SEG_LEN) + 64,
			0, 0, 0, socket);
	if (!sess_mp || !op_mp || !mbuf_mp)
		goto out_fail;
	qp.mp_session = sess_mp;
	if (rte_cryptodev_queue_pair_setup((uint8_t)id, 0, &qp, socket) < 0 ||
	    rte_cryptodev_start((uint8_t)id) < 0)
		goto out_fail;

	cap_sha = cap_get(RTE_CRYPTO_SYM_XFORM_AUTH, RTE_CRYPTO_AUTH_SHA256);
	if (cap_sha && rte_cryptodev_sym_capability_check_auth(cap_sha, 0,
			VIRTIO_ACCEL_SHA256_LEN, 0))
		cap_sha = NULL;
	cap_hmac = cap_get(RTE_CRYPTO_SYM_XFORM_AUTH,
			   RTE_CRYPTO_AUTH_SHA256_HMAC);
	cap_gcm = cap_get(RTE_CRYPTO_SYM_XFORM_AEAD, RTE_CRYPTO_AEAD_AES_GCM);
	if (!(info.feature_flags & RTE_CRYPTODEV_FF_IN_PLACE_SGL) &&
	    va_opts.max_data_len > VA_MBUF_SEG_LEN) {
		VA_ERR("crypto PMD %s lacks in-place SGL: using OpenSSL EVP",
		       name);
		goto out_fail;
	}
	snprintf(cdev_engine, sizeof(cdev_engine), "%s",
		 strncmp(name, "crypto_", 7) ? name : name + 7);
	VA_INFO("crypto engine: %s (sha256 %s, hmac-sha256 %s, aes-256-gcm %s; EVP for the rest and for streams)",
		name, cap_sha ? "pmd" : "evp", cap_hmac ? "pmd" : "evp",
		cap_gcm ? "pmd" : "evp");
	return 0;

out_fail:
	VA_ERR("crypto PMD %s: set-up failed", name);
	va_crypto_fini();
	return -1;
}

int va_crypto_init(const char *pmd, uint32_t max_sessions, unsigned int nq)
{
	const char *name = pmd;

	/* the ipsec_mb driver registers one PMD per algorithm family */
	if (!strcmp(pmd, "crypto_ipsec_mb"))
		name = "crypto_aesni_mb";
	if (va_crypto_setup(name, max_sessions, nq) == 0)
		return 0;
	if (strcmp(name, "crypto_openssl")) {
		VA_ERR("falling back to crypto_openssl");
		if (va_crypto_setup("crypto_openssl", max_sessions, nq) == 0)
			return 0;
	}
	VA_ERR("no crypto PMD: SHA-256, HMAC and AES-GCM run on OpenSSL EVP in-process");
	strcpy(cdev_engine, "evp");
	return 0;
}

void va_crypto_fini(void)
{
	if (cdev >= 0) {
		rte_cryptodev_stop((uint8_t)cdev);
		rte_cryptodev_close((uint8_t)cdev);
		rte_vdev_uninit(cdev_name);
	}
	cdev = -1;
	rte_mempool_free(sess_mp);
	rte_mempool_free(op_mp);
	rte_mempool_free(mbuf_mp);
	sess_mp = NULL;
	op_mp = NULL;
	mbuf_mp = NULL;
	cap_sha = NULL;
	cap_hmac = NULL;
	cap_gcm = NULL;
}
