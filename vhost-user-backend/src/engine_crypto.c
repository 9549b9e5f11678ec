// SPDX-License-Identifier: BSD-3-Clause
/*
 * rte_cryptodev engine: SHA-256, HMAC-SHA-256 and AES-256-GCM one-shot
 * requests on the PMD named by --crypto-pmd (one queue pair, used by the
 * device's worker only). Data is handed to the PMD as a chain of mbufs with
 * external buffers laid over the request's buffer (no copy for hashes);
 * AEAD runs in place in the queue's staging buffer.
 *
 * With the pipeline (pipeline.c), requests of one mbuf segment are enqueued
 * and left there (va_crypto_submit): the worker dequeues in bursts
 * (va_crypto_poll) and each op marks its slot done. Such a request keeps
 * its data in its slot (AAD, the AEAD buffer unless it is the driver's
 * dst, a scattered hash source), its mbuf, its op and its cryptodev
 * session (a session's is held, counted in cdev_inflight). Synchronous
 * requests (larger ones) dequeue until their own op comes back, completing
 * the pipeline's ops they meet.
 *
 * If the PMD cannot be created, crypto_openssl is tried, then OpenSSL EVP
 * in-process; requests the PMD cannot take (zero length, key or AAD sizes
 * outside its capabilities) also go to EVP.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <rte_bus_vdev.h>
#include <rte_crypto.h>
#include <rte_cryptodev.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "backend.h"

#define IV_OFFSET \
	(sizeof(struct rte_crypto_op) + sizeof(struct rte_crypto_sym_op))
#define QP_DESC 2048
/* where an op of the pipeline keeps its slot (after the IV) */
#define SLOT_OFFSET	(IV_OFFSET + 16)
/* pipeline ops at once, all queues (the op and mbuf pools hold them) */
#define ASYNC_MAX	1024

struct va_crypto_q {
	struct rte_mbuf **m;
	struct rte_mbuf_ext_shared_info *shinfo;
	unsigned int nsegs;
	void *sha_sess;
	/* decryption's expected tag: DPDK memory (rte_zmalloc'd with @cq) */
	uint8_t tag[VIRTIO_ACCEL_GCM_TAG_LEN] __rte_aligned(16);
};

static int cdev = -1;
static char cdev_engine[8] = "evp";
static char cdev_name[64];
static struct rte_mempool *sess_mp, *op_mp, *mbuf_mp;
static const struct rte_cryptodev_symmetric_capability *cap_sha, *cap_hmac,
	*cap_gcm;
/* segmented (multi-mbuf) requests pass the start-up known-answer test */
static int aead_sgl_ok, auth_sgl_ok;

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
	if (id < 0)
		id = va_dma_cryptodev(name);	/* a driver's first device */
	if (id >= 0)
		return id;
	char args[64];

	/* a queue pair per worker (va_worker_qp); software PMDs default to 8 */
	snprintf(args, sizeof(args), "max_nb_queue_pairs=%u",
		 va_opts.workers > 8 ? va_opts.workers : 8);
	if (rte_vdev_init(name, args) < 0)
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
		uint8_t *seg = p + i * VA_MBUF_SEG_LEN;

		rte_pktmbuf_attach_extbuf(cq->m[i], seg, va_iova(seg),
					  (uint16_t)k, &cq->shinfo[i]);
		va_dma_check("crypto op: mbuf data", seg, k,
			     cq->m[i]->buf_iova);
		cq->m[i]->data_len = (uint16_t)k;
		cq->m[i]->next = i + 1 < n ? cq->m[i + 1] : NULL;
	}
	cq->m[0]->nb_segs = (uint16_t)n;
	cq->m[0]->pkt_len = len;
	return cq->m[0];
}

/*
 * The op's digest, AAD and IV. Every pointer a PMD may DMA to or from is
 * DPDK memory (staging, slot buffers, the queue's tag and AAD buffers, the
 * op's own private data for the IV) or guest memory registered by dma.c,
 * with its IOVA (va_iova()); --test-dma-register checks each one.
 */
static void op_fill(struct rte_crypto_op *cop, uint32_t op, uint32_t len,
		    uint8_t *out, const uint8_t *iv, const uint8_t *aad)
{
	struct rte_crypto_sym_op *sym = cop->sym;
	uint8_t *ivp = rte_crypto_op_ctod_offset(cop, uint8_t *, IV_OFFSET);

	if (op == VIRTIO_ACCEL_OP_HASH || op == VIRTIO_ACCEL_OP_MAC) {
		sym->auth.data.offset = 0;
		sym->auth.data.length = len;
		sym->auth.digest.data = out;
		sym->auth.digest.phys_addr = va_iova(out);
		va_dma_check("crypto op: digest", out, VIRTIO_ACCEL_SHA256_LEN,
			     sym->auth.digest.phys_addr);
		return;
	}
	sym->aead.data.offset = 0;
	sym->aead.data.length = len;
	sym->aead.digest.data = out;
	sym->aead.digest.phys_addr = va_iova(out);
	sym->aead.aad.data = (uint8_t *)(uintptr_t)aad;
	sym->aead.aad.phys_addr = va_iova(aad);
	memcpy(ivp, iv, VIRTIO_ACCEL_GCM_IV_LEN);
	va_dma_check("crypto op: tag", out, VIRTIO_ACCEL_GCM_TAG_LEN,
		     sym->aead.digest.phys_addr);
	/* AAD is read in blocks by some PMDs (QAT): whatever its length */
	va_dma_check("crypto op: AAD", aad, 16, sym->aead.aad.phys_addr);
	va_dma_check("crypto op: IV (op private data)", ivp,
		     VIRTIO_ACCEL_GCM_IV_LEN, rte_crypto_op_ctophys_offset(
			     cop, IV_OFFSET));
}

static void complete_async(struct rte_crypto_op *op);
/* the pipeline's ops in this worker's queue pair */
static __thread unsigned int async_inflight;

/*
 * One synchronous op: enqueued, then dequeued until it comes back; the
 * pipeline's ops dequeued on the way are completed (marked done).
 */
static int run_op(struct rte_crypto_op *op)
{
	struct rte_crypto_op *done[16];
	unsigned int spins = 0, n, i;
	int found = 0;

	while (rte_cryptodev_enqueue_burst((uint8_t)cdev, va_worker_qp, &op, 1) != 1) {
		/* the queue pair is full of the pipeline's ops */
		n = rte_cryptodev_dequeue_burst((uint8_t)cdev, va_worker_qp, done, 16);
		for (i = 0; i < n; i++)
			complete_async(done[i]);
		if (!n && ++spins > 100000000u)
			return -1;
	}
	spins = 0;
	while (!found) {
		n = rte_cryptodev_dequeue_burst((uint8_t)cdev, va_worker_qp, done,
						async_inflight ? 16 : 1);
		for (i = 0; i < n; i++) {
			if (done[i] == op)
				found = 1;
			else
				complete_async(done[i]);
		}
		if (!n && ++spins > 100000000u)
			return -1;	/* the PMD lost it: give up on it */
	}
	return 0;
}

/*
 * Run one operation on the PMD. Hash/MAC: digest of buf[0..len) into @out.
 * AEAD: buf[0..len) is transformed in place, @out is the tag (written for
 * encryption, checked for decryption). Returns the rte_crypto_op status, or
 * -1 if the PMD did not take or return the op.
 */
static int pmd_exec(struct va_crypto_q *cq, uint32_t op, void *sess,
		    uint8_t *buf, uint32_t len, uint8_t *out, const uint8_t *iv,
		    const uint8_t *aad, unsigned int *nsegs)
{
	struct rte_crypto_op *cop;
	struct rte_mbuf *m;
	int ret = -1;

	cop = rte_crypto_op_alloc(op_mp, RTE_CRYPTO_OP_TYPE_SYMMETRIC);
	if (!cop)
		return -1;
	rte_crypto_op_attach_sym_session(cop, sess);
	m = chain_build(cq, buf, len);
	if (!m)
		goto out_op;
	*nsegs = m->nb_segs;
	cop->sym->m_src = m;
	op_fill(cop, op, len, out, iv, aad);
	if (run_op(cop) == 0)
		ret = cop->status;
	rte_pktmbuf_free(m);
out_op:
	rte_crypto_op_free(cop);
	return ret;
}

uint8_t va_crypto_run(struct va_req *r)
{
	struct va_crypto_q *cq = r->qc->cq;
	uint32_t op = r->op.opcode, len = r->op.src_len;
	int tmp_sess = 0, aead = 0, ret;
	int dec = op == VIRTIO_ACCEL_OP_AEAD_DECRYPT;
	uint8_t st = VIRTIO_ACCEL_ERR;
	unsigned int nsegs = 0;
	const uint8_t *aad;
	void *sess = NULL;
	uint8_t *buf, *out;

	if (op == VIRTIO_ACCEL_OP_AEAD_ENCRYPT || dec) {
		aead = 1;
		if (dec)
			len -= VIRTIO_ACCEL_GCM_TAG_LEN;
	}
	if (cdev < 0 || !cq || len == 0 ||
	    (len > VA_MBUF_SEG_LEN && !(aead ? aead_sgl_ok : auth_sgl_ok)))
		return va_sw_oneshot(r);
	if (op == VIRTIO_ACCEL_OP_HASH) {
		sess = cq->sha_sess;
	} else if (r->sess) {
		struct va_session *s = r->sess;

		if (s->cdev_sess && aead && s->cdev_aad_len != r->op.aad_len)
			va_crypto_sess_free(s);
		if (!s->cdev_sess) {
			s->cdev_sess = sess_create(s->c.key, s->c.key_len, op,
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

	if (aead) {
		/*
		 * In place on a copy: staging for decryption (nothing leaks on
		 * failure), the driver's dst for encryption, which may overlap
		 * src (the result is then the driver's problem, not a fault).
		 */
		memmove(r->dst, r->src, len);
		buf = r->dst;
		if (dec) {
			/* the PMD reads it: DPDK memory, not the stack */
			memcpy(cq->tag, r->src + len, sizeof(cq->tag));
			out = cq->tag;
		} else {
			out = r->dst + len;
		}
	} else {
		buf = (uint8_t *)(uintptr_t)r->src;
		out = r->dst;
	}
	/* r->aad is the queue's AAD buffer (DPDK memory), also when empty */
	aad = r->op.aad_len ? r->aad : r->qc->aad;
	ret = pmd_exec(cq, op, sess, buf, len, out, r->iv, aad, &nsegs);
	switch (ret) {
	case RTE_CRYPTO_OP_STATUS_SUCCESS:
		st = VIRTIO_ACCEL_OK;
		r->src_used = r->op.src_len;
		if (!aead)
			r->dst_used = VIRTIO_ACCEL_SHA256_LEN;
		else
			r->dst_used = dec ? len :
					    len + VIRTIO_ACCEL_GCM_TAG_LEN;
		break;
	case RTE_CRYPTO_OP_STATUS_AUTH_FAILED:
		st = VIRTIO_ACCEL_AUTH_FAILED;
		break;
	default:
		VA_ERR("crypto PMD failed a %u-byte %s request (status %d)",
		       len, virtio_accel_op_name(op), ret);
		break;
	}
	if (tmp_sess)
		rte_cryptodev_sym_session_free((uint8_t)cdev, sess);
	return st;
}

/* ---- the pipeline's asynchronous ops ---- */

/* a slot's engine data: DPDK memory (rte_zmalloc), the PMD reads its tag */
struct va_cslot {
	struct rte_mbuf_ext_shared_info shinfo;
	uint8_t tag[VIRTIO_ACCEL_GCM_TAG_LEN];	/* decryption: the expected */
	uint8_t digest[VIRTIO_ACCEL_SHA256_LEN];
	uint8_t *stage;		/* AAD, then data (64-aligned, rte_malloc) */
	uint32_t stage_cap;
	uint8_t *buf;		/* what the op runs on */
	uint32_t len;
	int aead, dec;
	void *tmp_sess;		/* an inline key's session, freed after */
	struct va_session *sess;	/* cdev_inflight held */
};

static void va_crypto_slot_free(struct va_slot *s)
{
	struct va_cslot *x = s->eng[VA_ASYNC_CRYPTO];

	if (!x)
		return;
	rte_free(x->stage);
	rte_free(x);
	s->eng[VA_ASYNC_CRYPTO] = NULL;
}

/* The dequeued pipeline op @op: its slot is done. */
static void complete_async(struct rte_crypto_op *op)
{
	struct va_slot *s = *rte_crypto_op_ctod_offset(op, struct va_slot **,
						       SLOT_OFFSET);
	struct va_cslot *x = s->eng[VA_ASYNC_CRYPTO];
	struct va_req *r = &s->r;
	uint8_t st = VIRTIO_ACCEL_ERR;

	/* abandoned (bounded drain): dropped by va_pipe_done(), not logged */
	switch (s->dead ? RTE_CRYPTO_OP_STATUS_AUTH_FAILED : op->status) {
	case RTE_CRYPTO_OP_STATUS_SUCCESS:
		st = VIRTIO_ACCEL_OK;
		r->src_used = r->op.src_len;
		if (x->aead) {
			r->dst = x->buf;
			r->dst_used = x->dec ? x->len :
				      x->len + VIRTIO_ACCEL_GCM_TAG_LEN;
		} else {
			r->dst = x->digest;
			r->dst_used = VIRTIO_ACCEL_SHA256_LEN;
		}
		break;
	case RTE_CRYPTO_OP_STATUS_AUTH_FAILED:
		st = VIRTIO_ACCEL_AUTH_FAILED;
		break;
	default:
		VA_ERR("crypto PMD failed a %u-byte %s request (status %d)",
		       x->len, virtio_accel_op_name(r->op.opcode), op->status);
		break;
	}
	rte_pktmbuf_free(op->sym->m_src);
	rte_crypto_op_free(op);
	if (x->tmp_sess)
		rte_cryptodev_sym_session_free((uint8_t)cdev, x->tmp_sess);
	x->tmp_sess = NULL;
	if (x->sess)
		x->sess->cdev_inflight--;
	x->sess = NULL;
	async_inflight--;
	s->st = st;
	va_pipe_done(s);
}

/* Dequeue what the PMD finished; returns how many ops. */
unsigned int va_crypto_poll(void)
{
	struct rte_crypto_op *done[64];
	unsigned int n, i, all = 0;

	while (async_inflight) {
		n = rte_cryptodev_dequeue_burst((uint8_t)cdev, va_worker_qp, done, 64);
		for (i = 0; i < n; i++)
			complete_async(done[i]);
		all += n;
		if (n < 64)
			break;
	}
	return all;
}

/* The session for request @r of the pipeline: *@hold or *@tmp set. */
static void *async_sess(struct va_crypto_q *cq, struct va_req *r, int aead,
			struct va_session **hold, void **tmp)
{
	struct va_session *vs = r->sess;
	uint32_t op = r->op.opcode;

	*hold = NULL;
	*tmp = NULL;
	if (op == VIRTIO_ACCEL_OP_HASH)
		return cq->sha_sess;
	if (vs && vs->cdev_sess && aead && vs->cdev_aad_len != r->op.aad_len) {
		if (vs->cdev_inflight)
			vs = NULL;	/* in use: one of its own */
		else
			va_crypto_sess_free(vs);
	}
	if (!vs) {
		*tmp = sess_create(r->key, r->key_len, op, r->op.aad_len);
		return *tmp;
	}
	if (!vs->cdev_sess) {
		vs->cdev_sess = sess_create(vs->c.key, vs->c.key_len, op,
					    r->op.aad_len);
		vs->cdev_aad_len = r->op.aad_len;
	}
	if (vs->cdev_sess)
		*hold = vs;
	return vs->cdev_sess;
}

/* The slot's own buffers, at least @need bytes of stage. */
static struct va_cslot *async_slot(struct va_slot *s, uint32_t need)
{
	struct va_cslot *x = s->eng[VA_ASYNC_CRYPTO];

	if (!x) {
		x = rte_zmalloc("va_cslot", sizeof(*x), 64);
		if (!x)
			return NULL;
		x->shinfo.free_cb = noop_free;
		s->eng[VA_ASYNC_CRYPTO] = x;
	}
	if (x->stage_cap < need) {
		uint8_t *p = rte_malloc("va_cslot_stage", (need + 63) & ~63u,
					64);

		if (!p)
			return NULL;
		rte_free(x->stage);
		x->stage = p;
		x->stage_cap = need;
	}
	return x;
}

/*
 * Enqueue request @r of slot @s and leave it in the PMD: 0, or -1 if it
 * must run synchronously (more than one mbuf segment, zero length, no
 * PMD session for it, pools or queue pair full, no memory).
 */
static int va_crypto_submit(struct va_req *r, struct va_slot *s)
{
	struct va_crypto_q *cq = r->qc->cq;
	uint32_t op = r->op.opcode, len = r->op.src_len, aoff;
	int dec = op == VIRTIO_ACCEL_OP_AEAD_DECRYPT;
	int aead = dec || op == VIRTIO_ACCEL_OP_AEAD_ENCRYPT;
	struct rte_crypto_op *cop = NULL;
	struct rte_mbuf *m = NULL;
	struct va_session *hold;
	uint8_t *buf, *out;
	struct va_cslot *x;
	void *sess, *tmp;

	if (cdev < 0 || !cq || async_inflight >= ASYNC_MAX)
		return -1;
	if (dec)
		len -= VIRTIO_ACCEL_GCM_TAG_LEN;
	if (!len || len > VA_MBUF_SEG_LEN)
		return -1;
	aoff = aead ? (r->op.aad_len + 63) & ~63u : 0;
	x = async_slot(s, aoff + len + VIRTIO_ACCEL_GCM_TAG_LEN);
	if (!x)
		return -1;
	sess = async_sess(cq, r, aead, &hold, &tmp);
	if (!sess)
		return -1;
	cop = rte_crypto_op_alloc(op_mp, RTE_CRYPTO_OP_TYPE_SYMMETRIC);
	if (cop)
		m = rte_pktmbuf_alloc(mbuf_mp);
	if (!m)
		goto out_free;
	/* what must outlive the queue's staging goes into the slot */
	if (aead) {
		if (r->op.aad_len)
			memcpy(x->stage, r->aad, r->op.aad_len);
		buf = !dec && r->dst_direct ? r->dst_direct : x->stage + aoff;
		memmove(buf, r->src, len);
		if (dec) {
			memcpy(x->tag, r->src + len, sizeof(x->tag));
			out = x->tag;
		} else {
			out = buf + len;
		}
	} else {
		buf = (uint8_t *)(uintptr_t)r->src;
		if (buf == r->qc->in) {
			memcpy(x->stage, buf, len);
			buf = x->stage;
		}
		out = x->digest;
	}
	rte_mbuf_ext_refcnt_set(&x->shinfo, 1);
	rte_pktmbuf_attach_extbuf(m, buf, va_iova(buf), (uint16_t)len,
				  &x->shinfo);
	va_dma_check("crypto op: mbuf data", buf, len, m->buf_iova);
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	rte_crypto_op_attach_sym_session(cop, sess);
	cop->sym->m_src = m;
	op_fill(cop, op, len, out, r->iv, x->stage);
	*rte_crypto_op_ctod_offset(cop, struct va_slot **, SLOT_OFFSET) = s;
	x->buf = buf;
	x->len = len;
	x->aead = aead;
	x->dec = dec;
	x->tmp_sess = tmp;
	x->sess = hold;
	if (rte_cryptodev_enqueue_burst((uint8_t)cdev, va_worker_qp, &cop, 1) != 1) {
		x->tmp_sess = NULL;
		x->sess = NULL;
		goto out_free;
	}
	if (hold)
		hold->cdev_inflight++;
	async_inflight++;
	return 0;

out_free:
	if (m)
		rte_pktmbuf_free(m);
	if (cop)
		rte_crypto_op_free(cop);
	if (tmp)
		rte_cryptodev_sym_session_free((uint8_t)cdev, tmp);
	return -1;
}

/*
 * Slot @s is abandoned with its op inside the PMD (bounded drain): the
 * session it holds no longer waits for it, but is never freed either (the
 * PMD may still use it): va_crypto_sess_free() leaks it.
 */
static void va_crypto_abandon(struct va_slot *s)
{
	struct va_cslot *x = s->eng[VA_ASYNC_CRYPTO];

	if (!x || !x->sess)
		return;
	x->sess->cdev_inflight--;
	x->sess->cdev_leak = 1;
	x->sess = NULL;
}

static const struct va_async_engine va_crypto_async = {
	.submit = va_crypto_submit,
	.poll = va_crypto_poll,
	.slot_free = va_crypto_slot_free,
	.abandon = va_crypto_abandon,
};

/*
 * Known-answer tests against OpenSSL at start-up: a PMD (or a PMD's
 * scatter-gather path) that computes something else is not used.
 * crypto_openssl refuses segmented AEAD; crypto_aesni_mb of DPDK 22.11
 * hashes segmented buffers wrongly.
 */
static void va_crypto_selftest(void)
{
	static const uint8_t key[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	static const uint8_t iv[12] = { 9, 8, 7 }, aad[5] = { 4, 4, 4 };
	uint32_t lens[2] = { 1000, VA_MBUF_SEG_LEN + 1000 }, len;
	uint8_t want[VIRTIO_ACCEL_GCM_TAG_LEN + 32], *got, *dma;
	struct va_qctx qc;
	uint8_t *buf, *ref;
	unsigned int i, j, ns;
	int ok[3][2], outl, ret;
	void *sess;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();

	memset(&qc, 0, sizeof(qc));
	buf = rte_malloc("va_kat", lens[1], 64);
	ref = rte_malloc("va_kat", lens[1], 64);
	/* what the PMD reads and writes besides buf: DPDK memory too */
	dma = rte_malloc("va_kat", 128, 64);
	if (!buf || !ref || !dma || !c || va_crypto_qinit(&qc, 0) < 0)
		goto out_free;
	got = dma;
	memcpy(dma + 64, aad, sizeof(aad));
	memcpy(dma + 96, iv, sizeof(iv));
	for (j = 0; j < 2; j++) {
		len = lens[j];
		for (i = 0; i < len; i++)
			ref[i] = (uint8_t)(i * 7 + (i >> 8));
		/* SHA-256 */
		memcpy(buf, ref, len);
		EVP_Digest(ref, len, want, NULL, EVP_sha256(), NULL);
		ret = cap_sha ? pmd_exec(qc.cq, VIRTIO_ACCEL_OP_HASH,
					 qc.cq->sha_sess, buf, len, got, NULL,
					 NULL, &ns) : -1;
		ok[0][j] = ret == RTE_CRYPTO_OP_STATUS_SUCCESS &&
			   !memcmp(got, want, 32);
		/* HMAC-SHA-256 */
		EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, 20, ref, len,
			  want, sizeof(want), NULL);
		sess = sess_create(key, 20, VIRTIO_ACCEL_OP_MAC, 0);
		ret = sess ? pmd_exec(qc.cq, VIRTIO_ACCEL_OP_MAC, sess, buf,
				      len, got, NULL, NULL, &ns) : -1;
		if (sess)
			rte_cryptodev_sym_session_free((uint8_t)cdev, sess);
		ok[1][j] = ret == RTE_CRYPTO_OP_STATUS_SUCCESS &&
			   !memcmp(got, want, 32);
		/* AES-256-GCM encryption, in place */
		EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv);
		EVP_EncryptUpdate(c, NULL, &outl, aad, sizeof(aad));
		EVP_EncryptUpdate(c, ref, &outl, ref, (int)len);
		EVP_EncryptFinal_ex(c, want, &outl);
		EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, want);
		sess = sess_create(key, 32, VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
				   sizeof(aad));
		ret = sess ? pmd_exec(qc.cq, VIRTIO_ACCEL_OP_AEAD_ENCRYPT, sess,
				      buf, len, got, dma + 96, dma + 64,
				      &ns) : -1;
		if (sess)
			rte_cryptodev_sym_session_free((uint8_t)cdev, sess);
		ok[2][j] = ret == RTE_CRYPTO_OP_STATUS_SUCCESS &&
			   !memcmp(got, want, 16) && !memcmp(buf, ref, len);
	}
	if (!ok[0][0])
		cap_sha = NULL;
	if (!ok[1][0])
		cap_hmac = NULL;
	if (!ok[2][0])
		cap_gcm = NULL;
	auth_sgl_ok = ok[0][1] && ok[1][1];
	aead_sgl_ok = ok[2][1];
out_free:
	va_crypto_qfini(&qc);
	EVP_CIPHER_CTX_free(c);
	rte_free(buf);
	rte_free(ref);
	rte_free(dma);
}

void va_crypto_sess_free(struct va_session *s)
{
	/* the pipeline's ops of this session finish first (they are done) */
	while (s->cdev_inflight && cdev >= 0)
		va_crypto_poll();
	if (s->cdev_leak) {
		if (s->cdev_sess)
			VA_ERR("crypto PMD session left allocated: an abandoned op may still use it");
		s->cdev_sess = NULL;
		s->cdev_leak = 0;
		return;
	}
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
	unsigned int i;
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
	conf.nb_queue_pairs = (uint16_t)va_opts.workers;
	if (info.max_nb_queue_pairs &&
	    info.max_nb_queue_pairs < va_opts.workers) {
		VA_ERR("crypto PMD %s: %u queue pairs, fewer than the %u workers",
		       name, info.max_nb_queue_pairs, va_opts.workers);
		goto out_fail;
	}
	conf.ff_disable = RTE_CRYPTODEV_FF_ASYMMETRIC_CRYPTO |
			  RTE_CRYPTODEV_FF_SECURITY;
	if (rte_cryptodev_configure((uint8_t)id, &conf) < 0)
		goto out_fail;
	sz = rte_cryptodev_sym_get_private_session_size((uint8_t)id);
	sess_mp = rte_cryptodev_sym_session_pool_create("va_sess",
			max_sessions + 2 * nq + 64, sz, 0, 0, socket);
	op_mp = rte_crypto_op_pool_create("va_cop",
			RTE_CRYPTO_OP_TYPE_SYMMETRIC,
			4 * nq + 64 + ASYNC_MAX * va_opts.workers,
			0, 16 + sizeof(void *), socket);
	mbuf_mp = rte_pktmbuf_pool_create("va_cmbuf",
			nq * ((VA_STAGE_LEN(va_opts.max_data_len) +
			       VA_MBUF_SEG_LEN - 1) / VA_MBUF_SEG_LEN) + 64 +
			ASYNC_MAX * va_opts.workers, 0, 0, 0, socket);
	if (!sess_mp || !op_mp || !mbuf_mp)
		goto out_fail;
	qp.mp_session = sess_mp;
	for (i = 0; i < va_opts.workers; i++)
		if (rte_cryptodev_queue_pair_setup((uint8_t)id, (uint16_t)i, &qp,
						   socket) < 0)
			goto out_fail;
	if (rte_cryptodev_start((uint8_t)id) < 0)
		goto out_fail;

	cap_sha = cap_get(RTE_CRYPTO_SYM_XFORM_AUTH, RTE_CRYPTO_AUTH_SHA256);
	if (cap_sha && rte_cryptodev_sym_capability_check_auth(cap_sha, 0,
			VIRTIO_ACCEL_SHA256_LEN, 0))
		cap_sha = NULL;
	cap_hmac = cap_get(RTE_CRYPTO_SYM_XFORM_AUTH,
			   RTE_CRYPTO_AUTH_SHA256_HMAC);
	cap_gcm = cap_get(RTE_CRYPTO_SYM_XFORM_AEAD, RTE_CRYPTO_AEAD_AES_GCM);
	va_crypto_selftest();
	if (!(info.feature_flags & RTE_CRYPTODEV_FF_IN_PLACE_SGL))
		aead_sgl_ok = auth_sgl_ok = 0;
	snprintf(cdev_engine, sizeof(cdev_engine), "%s",
		 strncmp(name, "crypto_", 7) ? name : name + 7);
	va_async_engines[VA_ASYNC_CRYPTO] = &va_crypto_async;
	/* "sw": engine_sw.c (OpenSSL; AES-GCM on intel-ipsec-mb if it runs) */
	VA_INFO("crypto engine: %s (sha256 %s, hmac-sha256 %s, aes-256-gcm %s; over %u bytes: hash/mac %s, aead %s; streams: software, engine_sw.c)",
		name, cap_sha ? "pmd" : "sw", cap_hmac ? "pmd" : "sw",
		cap_gcm ? "pmd" : "sw", VA_MBUF_SEG_LEN,
		auth_sgl_ok ? "pmd" : "sw", aead_sgl_ok ? "pmd" : "sw");
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
	va_async_engines[VA_ASYNC_CRYPTO] = NULL;
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

int va_crypto_dev_id(void)
{
	return cdev;
}
