// SPDX-License-Identifier: BSD-3-Clause
/*
 * rte_compressdev engine for one-shot COMPRESS (raw DEFLATE: window 2^15,
 * no checksum, so no zlib/gzip wrapper) on the PMD named by --compress-pmd.
 *
 * With the pipeline (pipeline.c), a request whose input fits one mbuf
 * segment and whose output room (dst_len, at most the spec's bound) does
 * too is enqueued and left in the worker's queue pair (va_comp_submit):
 * the worker dequeues in bursts (va_comp_poll), each op marks its slot
 * done. Such a request keeps in its slot (DPDK memory) its input when it
 * was in the queue's staging, its output unless it goes straight to the
 * driver's dst, its mbufs, its op and a private xform: one per worker when
 * the PMD says private xforms are shareable (RTE_COMP_FF_SHAREABLE_PRIV_
 * XFORM), else one per op in flight from the worker's own pool (at most
 * ZASYNC_NOSHARE ops in flight then). Larger requests run synchronously,
 * dequeuing until their own op comes back and completing the pipeline's
 * ops they meet.
 *
 * If the PMD runs out of room although dst_len >= VIRTIO_ACCEL_DEFLATE_BOUND
 * (src_len), the request is redone with stored blocks, which always fit
 * ([OP-DEFLATE] forbids NOSPC there).
 *
 * One-shot DECOMPRESS uses zlib in-process: the stateless compressdev API
 * cannot tell whether the input reached the final block (both compress_zlib
 * and compress_isal report success on truncated input), and the spec needs
 * that distinction (BADMSG).
 */
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_comp.h>
#include <rte_compressdev.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "backend.h"

struct va_comp_q {
	struct rte_mbuf **m;
	struct rte_mbuf_ext_shared_info *shinfo;
	unsigned int nsegs;	/* per direction */
};

/* pipeline ops in a worker's queue pair at most (shareable xforms / not) */
#define ZASYNC_MAX	256
#define ZASYNC_NOSHARE	16
/* an op's private data: its slot */
#define ZOP_SLOT(op)	((struct va_slot **)(void *)((op) + 1))

static int zdev = -1;
static char zdev_name[64];
static char z_engine[8] = "zlib";
/* one per worker: a zlib PMD private xform holds its z_stream */
static void *zxform[VA_MAX_WORKERS];
/* the pipeline's: one per worker, or a pool per worker (not shareable) */
static void *zaxform[VA_MAX_WORKERS][ZASYNC_NOSHARE];
static unsigned int zax_free[VA_MAX_WORKERS][ZASYNC_NOSHARE];
static unsigned int zax_nfree[VA_MAX_WORKERS];
static int zax_shared;
static unsigned int zasync_max;	/* per worker */
static struct rte_mempool *zop_mp, *zmbuf_mp;
/* the pipeline's ops in this worker's queue pair */
static __thread unsigned int zasync_inflight;

static void complete_zasync(struct rte_comp_op *op);

uint64_t va_comp_implemented(void)
{
	return VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_COMPRESS,
				     VIRTIO_ACCEL_ALG_DEFLATE) |
	       VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_DECOMPRESS,
				     VIRTIO_ACCEL_ALG_DEFLATE);
}

const char *va_comp_engine(uint32_t op)
{
	return op == VIRTIO_ACCEL_OP_COMPRESS ? z_engine : "zlib";
}

static void noop_free(void *addr, void *opaque)
{
	(void)addr;
	(void)opaque;
}

static struct rte_mbuf *chain_build(struct va_comp_q *zq, unsigned int base,
				    uint8_t *p, uint32_t len)
{
	unsigned int n = (len + VA_MBUF_SEG_LEN - 1) / VA_MBUF_SEG_LEN, i;
	struct rte_mbuf **m = zq->m + base;

	if (!n || n > zq->nsegs)
		return NULL;
	if (rte_pktmbuf_alloc_bulk(zmbuf_mp, m, n) < 0)
		return NULL;
	for (i = 0; i < n; i++) {
		uint32_t k = len - i * VA_MBUF_SEG_LEN;

		if (k > VA_MBUF_SEG_LEN)
			k = VA_MBUF_SEG_LEN;
		uint8_t *seg = p + i * VA_MBUF_SEG_LEN;

		rte_mbuf_ext_refcnt_set(&zq->shinfo[base + i], 1);
		rte_pktmbuf_attach_extbuf(m[i], seg, va_iova(seg), (uint16_t)k,
					  &zq->shinfo[base + i]);
		va_dma_check("compress op: mbuf data", seg, k, m[i]->buf_iova);
		m[i]->data_len = (uint16_t)k;
		m[i]->next = i + 1 < n ? m[i + 1] : NULL;
	}
	m[0]->nb_segs = (uint16_t)n;
	m[0]->pkt_len = len;
	return m[0];
}

static uint8_t va_pmd_deflate(struct va_req *r)
{
	struct va_comp_q *zq = r->qc->zq;
	struct rte_comp_op *op, *done = NULL;
	struct rte_mbuf *src, *dst;
	uint32_t slen = r->op.src_len, dlen = r->op.dst_len;
	unsigned int spins = 0;
	uint8_t st = VIRTIO_ACCEL_ERR;

	op = rte_comp_op_alloc(zop_mp);
	if (!op)
		return VIRTIO_ACCEL_ERR;
	src = chain_build(zq, 0, (uint8_t *)(uintptr_t)r->src, slen);
	if (!src)
		goto out_op;
	dst = chain_build(zq, zq->nsegs, r->dst, dlen);
	if (!dst)
		goto out_src;
	op->m_src = src;
	op->m_dst = dst;
	op->src.offset = 0;
	op->src.length = slen;
	op->dst.offset = 0;
	op->flush_flag = RTE_COMP_FLUSH_FINAL;
	op->op_type = RTE_COMP_OP_STATELESS;
	op->private_xform = zxform[va_worker_qp];

	while (rte_compressdev_enqueue_burst((uint8_t)zdev, va_worker_qp,
					     &op, 1) != 1) {
		/* the queue pair is full of the pipeline's ops */
		if (!zasync_inflight || ++spins > 100000000u)
			goto out_dst;
		va_comp_poll();
	}
	spins = 0;
	for (;;) {
		if (rte_compressdev_dequeue_burst((uint8_t)zdev, va_worker_qp,
						  &done, 1) == 0) {
			if (++spins > 100000000u)
				goto out_dst;	/* the PMD lost it */
			continue;
		}
		if (done == op)
			break;
		complete_zasync(done);	/* a pipeline op */
	}

	switch (op->status) {
	case RTE_COMP_OP_STATUS_SUCCESS:
		if (op->consumed == slen && op->produced <= dlen) {
			r->src_used = slen;
			r->dst_used = op->produced;
			st = VIRTIO_ACCEL_OK;
			break;
		}
		/* fall through */
	default:
		VA_ERR("compress PMD failed a request (status %d)",
		       op->status);
		break;
	case RTE_COMP_OP_STATUS_OUT_OF_SPACE_TERMINATED:
	case RTE_COMP_OP_STATUS_OUT_OF_SPACE_RECOVERABLE:
		st = VIRTIO_ACCEL_NOSPC;
		break;
	}
out_dst:
	rte_pktmbuf_free(dst);
out_src:
	rte_pktmbuf_free(src);
out_op:
	rte_comp_op_free(op);
	return st;
}

uint8_t va_comp_run(struct va_req *r)
{
	uint8_t st;

	if (r->op.opcode == VIRTIO_ACCEL_OP_DECOMPRESS)
		return va_sw_inflate(r);
	if (zdev < 0 || !r->qc->zq || !r->op.src_len || !r->op.dst_len)
		return va_sw_deflate(r);
	st = va_pmd_deflate(r);
	/* [OP-DEFLATE]: never NOSPC within the bound */
	if (st == VIRTIO_ACCEL_NOSPC &&
	    r->op.dst_len >= virtio_accel_deflate_bound(r->op.src_len))
		st = va_sw_deflate_stored(r);
	return st;
}

/* ---- the pipeline's asynchronous ops ---- */

/* a slot's engine data: DPDK memory (rte_zmalloc/rte_malloc) */
struct va_zslot {
	struct rte_mbuf_ext_shared_info shinfo[2];
	uint8_t *in;		/* the input, when it was in staging */
	uint32_t in_cap;
	uint8_t *out;		/* the output, unless in the dst */
	uint32_t out_cap;
	const uint8_t *src;	/* what the op reads */
	uint8_t *dst;		/* ... and writes, cap bytes */
	uint32_t cap;
	int xf;			/* its xform in the pool, -1: shared */
};

static void va_comp_slot_free(struct va_slot *s)
{
	struct va_zslot *x = s->eng[VA_ASYNC_COMP];

	if (!x)
		return;
	rte_free(x->in);
	rte_free(x->out);
	rte_free(x);
	s->eng[VA_ASYNC_COMP] = NULL;
}

static int zbuf(uint8_t **p, uint32_t *cap, uint32_t need)
{
	uint8_t *n;

	if (*cap >= need)
		return 0;
	n = rte_malloc("va_zslot_buf", (need + 63) & ~63u, 64);
	if (!n)
		return -1;
	rte_free(*p);
	*p = n;
	*cap = need;
	return 0;
}

/* The dequeued pipeline op @op: its slot is done. */
static void complete_zasync(struct rte_comp_op *op)
{
	struct va_slot *s = *ZOP_SLOT(op);
	struct va_zslot *x = s->eng[VA_ASYNC_COMP];
	struct va_req *r = &s->r;
	uint32_t slen = r->op.src_len;
	uint8_t st = VIRTIO_ACCEL_ERR;

	r->dst = x->dst;
	/* abandoned (bounded drain): its memory may be gone, touch nothing */
	switch (s->dead ? RTE_COMP_OP_STATUS_ERROR : op->status) {
	case RTE_COMP_OP_STATUS_SUCCESS:
		if (op->consumed == slen && op->produced <= x->cap) {
			r->src_used = slen;
			r->dst_used = op->produced;
			st = VIRTIO_ACCEL_OK;
			break;
		}
		/* fall through */
	default:
		if (!s->dead)
			VA_ERR("compress PMD failed a request (status %d)",
			       op->status);
		break;
	case RTE_COMP_OP_STATUS_OUT_OF_SPACE_TERMINATED:
	case RTE_COMP_OP_STATUS_OUT_OF_SPACE_RECOVERABLE:
		st = VIRTIO_ACCEL_NOSPC;
		/* [OP-DEFLATE]: never NOSPC within the bound (cap is it) */
		if (r->op.dst_len >= virtio_accel_deflate_bound(slen)) {
			struct va_req t = *r;

			t.src = x->src;
			t.op.dst_len = x->cap;
			st = va_sw_deflate_stored(&t);
			r->src_used = t.src_used;
			r->dst_used = t.dst_used;
			r->rflags = t.rflags;
		}
		break;
	}
	rte_pktmbuf_free(op->m_src);
	rte_pktmbuf_free(op->m_dst);
	rte_comp_op_free(op);
	if (x->xf >= 0)
		zax_free[va_worker_qp][zax_nfree[va_worker_qp]++] =
			(unsigned int)x->xf;
	x->xf = -1;
	zasync_inflight--;
	s->st = st;
	va_pipe_done(s);
}

/* Dequeue what the PMD finished; returns how many ops. */
unsigned int va_comp_poll(void)
{
	struct rte_comp_op *done[64];
	unsigned int n, i, all = 0;

	while (zasync_inflight) {
		n = rte_compressdev_dequeue_burst((uint8_t)zdev, va_worker_qp,
						  done, 64);
		for (i = 0; i < n; i++)
			complete_zasync(done[i]);
		all += n;
		if (n < 64)
			break;
	}
	return all;
}

static void zattach(struct rte_mbuf *m, uint8_t *p, uint32_t len,
		    struct rte_mbuf_ext_shared_info *sh, const char *what)
{
	rte_mbuf_ext_refcnt_set(sh, 1);
	rte_pktmbuf_attach_extbuf(m, p, va_iova(p), (uint16_t)len, sh);
	va_dma_check(what, p, len, m->buf_iova);
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
}

/*
 * Enqueue one-shot COMPRESS request @r of slot @s and leave it in the PMD:
 * 0, or -1 if it must run synchronously (input or output room above one
 * mbuf segment, zero lengths, pools, xforms or queue pair exhausted).
 */
static int va_comp_submit(struct va_req *r, struct va_slot *s)
{
	uint32_t slen = r->op.src_len, cap = r->op.dst_len;
	unsigned int w = va_worker_qp;
	struct rte_mbuf *ms = NULL, *md = NULL;
	struct rte_comp_op *op;
	struct va_zslot *x = s->eng[VA_ASYNC_COMP];
	uint64_t bound = virtio_accel_deflate_bound(slen);

	if (zdev < 0 || r->op.opcode != VIRTIO_ACCEL_OP_COMPRESS || !slen ||
	    !cap || slen > VA_MBUF_SEG_LEN)
		return -1;
	/*
	 * Xforms that cannot be shared: take back those of finished ops
	 * first, so that the one just returned (the pool is a stack) is used
	 * again. A software PMD finishes at enqueue: its ops then cycle
	 * through one xform (a zlib state of ~256 KiB stays in cache) instead
	 * of all of them (measured: compress 4 KiB at depth 32 ran 5 times
	 * slower through 16 xforms in turn).
	 */
	if (!zax_shared && zasync_inflight)
		va_comp_poll();
	if (zasync_inflight >= zasync_max || (!zax_shared && !zax_nfree[w]))
		return -1;
	/* the output never needs more than the bound (stored blocks fit) */
	if (cap > bound)
		cap = (uint32_t)bound;
	if (cap > VA_MBUF_SEG_LEN)
		return -1;
	if (!x) {
		x = rte_zmalloc("va_zslot", sizeof(*x), 64);
		if (!x)
			return -1;
		x->shinfo[0].free_cb = noop_free;
		x->shinfo[1].free_cb = noop_free;
		s->eng[VA_ASYNC_COMP] = x;
	}
	/* what must outlive the queue's staging goes into the slot */
	x->src = r->src;
	if (r->src == r->qc->in) {
		if (zbuf(&x->in, &x->in_cap, slen) < 0)
			return -1;
		memcpy(x->in, r->src, slen);
		x->src = x->in;
	}
	x->dst = r->dst_direct;
	if (!x->dst) {
		if (zbuf(&x->out, &x->out_cap, cap) < 0)
			return -1;
		x->dst = x->out;
	}
	x->cap = cap;
	op = rte_comp_op_alloc(zop_mp);
	if (!op)
		return -1;
	ms = rte_pktmbuf_alloc(zmbuf_mp);
	md = ms ? rte_pktmbuf_alloc(zmbuf_mp) : NULL;
	if (!md)
		goto out_free;
	zattach(ms, (uint8_t *)(uintptr_t)x->src, slen, &x->shinfo[0],
		"compress op: mbuf data (src)");
	zattach(md, x->dst, cap, &x->shinfo[1],
		"compress op: mbuf data (dst)");
	op->m_src = ms;
	op->m_dst = md;
	op->src.offset = 0;
	op->src.length = slen;
	op->dst.offset = 0;
	op->flush_flag = RTE_COMP_FLUSH_FINAL;
	op->op_type = RTE_COMP_OP_STATELESS;
	x->xf = -1;
	if (zax_shared) {
		op->private_xform = zxform[w];
	} else {
		x->xf = (int)zax_free[w][--zax_nfree[w]];
		op->private_xform = zaxform[w][x->xf];
	}
	*ZOP_SLOT(op) = s;
	if (rte_compressdev_enqueue_burst((uint8_t)zdev, (uint16_t)w, &op,
					  1) != 1) {
		if (x->xf >= 0)
			zax_free[w][zax_nfree[w]++] = (unsigned int)x->xf;
		x->xf = -1;
		goto out_free;
	}
	zasync_inflight++;
	return 0;

out_free:
	rte_pktmbuf_free(ms);
	rte_pktmbuf_free(md);
	rte_comp_op_free(op);
	return -1;
}

static const struct va_async_engine va_comp_async = {
	.submit = va_comp_submit,
	.poll = va_comp_poll,
	.slot_free = va_comp_slot_free,
};

int va_comp_qinit(struct va_qctx *qc, unsigned int idx)
{
	struct va_comp_q *zq;
	unsigned int i;

	(void)idx;
	if (zdev < 0)
		return 0;
	zq = rte_zmalloc("va_zq", sizeof(*zq), 0);
	if (!zq)
		return -1;
	zq->nsegs = (unsigned int)((VA_STAGE_LEN(va_opts.max_data_len) +
				    VA_MBUF_SEG_LEN - 1) / VA_MBUF_SEG_LEN);
	zq->m = rte_zmalloc("va_zq_m", sizeof(*zq->m) * 2 * zq->nsegs, 0);
	zq->shinfo = rte_zmalloc("va_zq_sh",
				 sizeof(*zq->shinfo) * 2 * zq->nsegs, 0);
	if (!zq->m || !zq->shinfo) {
		rte_free(zq->m);
		rte_free(zq->shinfo);
		rte_free(zq);
		return -1;
	}
	for (i = 0; i < 2 * zq->nsegs; i++)
		zq->shinfo[i].free_cb = noop_free;
	qc->zq = zq;
	return 0;
}

void va_comp_qfini(struct va_qctx *qc)
{
	struct va_comp_q *zq = qc->zq;

	if (!zq)
		return;
	rte_free(zq->m);
	rte_free(zq->shinfo);
	rte_free(zq);
	qc->zq = NULL;
}

static int va_comp_setup(const char *name, unsigned int nq)
{
	const struct rte_compressdev_capabilities *cap;
	struct rte_compressdev_config conf;
	struct rte_compressdev_info info;
	struct rte_comp_xform x;
	int id, socket;
	unsigned int nsegs, i, k;

	id = rte_compressdev_get_dev_id(name);
	if (id < 0)
		id = va_dma_compressdev(name);	/* a driver's first device */
	if (id < 0) {
		if (rte_vdev_init(name, NULL) < 0) {
			VA_ERR("compress PMD %s not available (%s)", name,
			       rte_strerror(rte_errno));
			return -1;
		}
		id = rte_compressdev_get_dev_id(name);
		if (id < 0)
			return -1;
	}
	zdev = id;
	snprintf(zdev_name, sizeof(zdev_name), "%s", name);
	socket = rte_compressdev_socket_id((uint8_t)id);
	if (socket < 0)
		socket = 0;
	cap = rte_compressdev_capability_get((uint8_t)id,
					     RTE_COMP_ALGO_DEFLATE);
	if (!cap || cap->window_size.max < 15) {
		VA_ERR("compress PMD %s: no DEFLATE with a 32 KiB window",
		       name);
		goto out_fail;
	}
	memset(&info, 0, sizeof(info));
	rte_compressdev_info_get((uint8_t)id, &info);
	zax_shared = !!(info.feature_flags & RTE_COMP_FF_SHAREABLE_PRIV_XFORM);
	zasync_max = zax_shared ? ZASYNC_MAX : ZASYNC_NOSHARE;
	memset(&conf, 0, sizeof(conf));
	conf.socket_id = socket;
	/*
	 * A queue pair and a private xform per worker (va_worker_qp), and the
	 * pipeline's xforms per worker when they cannot be shared.
	 */
	conf.nb_queue_pairs = (uint16_t)va_opts.workers;
	conf.max_nb_priv_xforms = (uint16_t)(va_opts.workers + 4 +
		(zax_shared ? 0 : va_opts.workers * ZASYNC_NOSHARE));
	conf.max_nb_streams = 0;
	if (rte_compressdev_configure((uint8_t)id, &conf) < 0)
		goto out_fail;
	for (i = 0; i < va_opts.workers; i++)
		if (rte_compressdev_queue_pair_setup((uint8_t)id, (uint16_t)i,
						     zasync_max + 16,
						     socket) < 0)
			goto out_fail;
	if (rte_compressdev_start((uint8_t)id) < 0)
		goto out_fail;

	memset(&x, 0, sizeof(x));
	x.type = RTE_COMP_COMPRESS;
	x.compress.algo = RTE_COMP_ALGO_DEFLATE;
	x.compress.deflate.huffman = RTE_COMP_HUFFMAN_DEFAULT;
	x.compress.level = RTE_COMP_LEVEL_PMD_DEFAULT;
	x.compress.window_size = 15;
	x.compress.chksum = RTE_COMP_CHECKSUM_NONE;
	x.compress.hash_algo = RTE_COMP_HASH_ALGO_NONE;
	for (i = 0; i < va_opts.workers; i++) {
		if (rte_compressdev_private_xform_create((uint8_t)id, &x,
							 &zxform[i]) < 0)
			goto out_fail;
		for (k = 0; !zax_shared && k < ZASYNC_NOSHARE; k++) {
			if (rte_compressdev_private_xform_create((uint8_t)id,
					&x, &zaxform[i][k]) < 0)
				goto out_fail;
			zax_free[i][k] = k;
		}
		zax_nfree[i] = zax_shared ? 0 : ZASYNC_NOSHARE;
	}

	nsegs = (unsigned int)((VA_STAGE_LEN(va_opts.max_data_len) +
				VA_MBUF_SEG_LEN - 1) / VA_MBUF_SEG_LEN);
	zop_mp = rte_comp_op_pool_create("va_zop",
			4 * nq + 64 + zasync_max * va_opts.workers, 0,
			sizeof(struct va_slot *), socket);
	zmbuf_mp = rte_pktmbuf_pool_create("va_zmbuf", 2 * nq * nsegs + 64 +
			2 * zasync_max * va_opts.workers, 0, 0, 0, socket);
	if (!zop_mp || !zmbuf_mp)
		goto out_fail;
	snprintf(z_engine, sizeof(z_engine), "%s",
		 strncmp(name, "compress_", 9) ? name : name + 9);
	va_async_engines[VA_ASYNC_COMP] = &va_comp_async;
	VA_INFO("compress engine: %s (one-shot compression asynchronous up to %u KiB, %u ops in flight per worker, private xforms %s; decompression and streams: zlib)",
		name, VA_MBUF_SEG_LEN >> 10, zasync_max,
		zax_shared ? "shared" : "one per op");
	return 0;

out_fail:
	VA_ERR("compress PMD %s: set-up failed", name);
	va_comp_fini();
	return -1;
}

int va_comp_init(const char *pmd, unsigned int nq)
{
	if (va_comp_setup(pmd, nq) == 0)
		return 0;
	if (strcmp(pmd, "compress_zlib")) {
		VA_ERR("falling back to compress_zlib");
		if (va_comp_setup("compress_zlib", nq) == 0)
			return 0;
	}
	VA_ERR("no compress PMD: DEFLATE runs on zlib in-process");
	strcpy(z_engine, "zlib-sw");
	return 0;
}

void va_comp_fini(void)
{
	unsigned int i, k;

	va_async_engines[VA_ASYNC_COMP] = NULL;
	if (zdev >= 0) {
		for (i = 0; i < VA_MAX_WORKERS; i++) {
			if (zxform[i])
				rte_compressdev_private_xform_free(
					(uint8_t)zdev, zxform[i]);
			for (k = 0; k < ZASYNC_NOSHARE; k++)
				if (zaxform[i][k])
					rte_compressdev_private_xform_free(
						(uint8_t)zdev, zaxform[i][k]);
		}
		rte_compressdev_stop((uint8_t)zdev);
		rte_compressdev_close((uint8_t)zdev);
		rte_vdev_uninit(zdev_name);
	}
	memset(zxform, 0, sizeof(zxform));
	memset(zaxform, 0, sizeof(zaxform));
	memset(zax_nfree, 0, sizeof(zax_nfree));
	zdev = -1;
	rte_mempool_free(zop_mp);
	rte_mempool_free(zmbuf_mp);
	zop_mp = NULL;
	zmbuf_mp = NULL;
}

int va_comp_dev_id(void)
{
	return zdev;
}
