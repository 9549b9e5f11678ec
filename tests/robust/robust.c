// SPDX-License-Identifier: BSD-3-Clause
/*
 * vaccel-robust: the malformed-input table of docs/robustness.md.
 *
 * One case table, any implementation: every row writes one malformed chain
 * (or ring index, or request) by hand on data queue 0 (or the control
 * queue), observes what the device did with it, then checks that the other
 * queues still serve (a NULL request on data queue 1 and GET_CAPS on the
 * control queue) and that the queue itself serves again (at once, or after
 * a device reset when the device stopped it). Each row prints one line
 *
 *   robust-result impl=I case=ID expect=A|B observed=O other=ok after=ok
 *     result=pass | class=... | clause=... | detail=...
 *
 * that tests/robust/mktable.py turns into the table.
 *
 * usage: vaccel-robust [--impl NAME] [--log BACKEND_LOG] [--case ID]
 *                      [--list] [--toctou SECONDS] DEVICE
 *   DEVICE  vhost-user:SOCKET or vhost-vdpa:/dev/vhost-vdpa-N
 *   --log   vhost-user: the back-end's log, where it says why it stopped
 *           a queue (the transport has no DEVICE_NEEDS_RESET)
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "robust.h"
#include "toctou.h"
#include "virtio_accel_req.h"
#include "../common/cases.h"

#define CQ	0	/* control queue */
#define DQ	1	/* data queue 0: where the bad requests go */
#define DQ2	2	/* data queue 1: the other queue */
#define QSIZE	64
#define MEM	(16u << 20)
#define BIGMEM	(64u << 20)
#define WAIT_MS	5000
#define BOGUS_SESSION	0xdead0000beefull

#define EX(st)		(1u << (st))
#define EX_NORESP	(1u << 8)
#define EX_STOPPED	(1u << 9)
#define EX_BROKEN	(EX(VIRTIO_ACCEL_BADMSG) | EX_STOPPED)

struct rcase;
typedef void (*case_fn)(struct rt *t, const struct rcase *c,
			struct rt_out *o);

struct rcase {
	const char *id;
	const char *cls;
	const char *clause;
	unsigned int expect;
	case_fn run;
	const char *row;	/* tests/common/cases.c row, for request rows */
	unsigned int vq;	/* the queue the bad request goes to */
	size_t mem;		/* shared memory (0: MEM) */
	const char *what;
};

/* One request's buffers: readable bytes, then writable (0xaa-filled). */
struct req {
	uint8_t *rd;
	uint32_t rd_len;
	uint8_t *wr;
	uint32_t wr_len;
};

static void hdr_init(uint8_t *p, uint32_t opcode, uint32_t algo, uint64_t sid,
		     uint32_t key_len, uint32_t iv_len, uint32_t src_len,
		     uint32_t dst_len)
{
	struct virtio_accel_op_req *h = (void *)p;

	memset(h, 0, sizeof(*h));
	h->opcode = htole32(opcode);
	h->algo = htole32(algo);
	h->session_id = htole64(sid);
	h->request_id = htole64(0x7e57);
	h->key_len = htole32(key_len);
	h->iv_len = htole32(iv_len);
	h->src_len = htole32(src_len);
	h->dst_len = htole32(dst_len);
}

/* A well-formed NULL request of @n bytes. */
static void mk_null(struct rt *t, struct req *r, uint32_t n)
{
	uint32_t i;

	r->rd_len = 64 + n;
	r->rd = rt_alloc(t, r->rd_len, 0);
	hdr_init(r->rd, VIRTIO_ACCEL_OP_NULL, VIRTIO_ACCEL_ALG_NONE, 0, 0, 0,
		 n, n);
	for (i = 0; i < n; i++)
		r->rd[64 + i] = (uint8_t)(i * 7 + 3);
	r->wr_len = n + 16;
	r->wr = rt_alloc(t, r->wr_len, 0xaa);
}

static void mk_ctrl(struct rt *t, struct req *r, uint32_t opcode,
		    uint32_t op, uint32_t algo, uint64_t sid,
		    const uint8_t *key, uint32_t key_len, uint32_t room)
{
	struct virtio_accel_ctrl_req *h;

	r->rd_len = 32 + key_len;
	r->rd = rt_alloc(t, r->rd_len, 0);
	h = (void *)r->rd;
	h->opcode = htole32(opcode);
	h->op = htole32(op);
	h->algo = htole32(algo);
	h->session_id = htole64(sid);
	h->key_len = htole32(key_len);
	if (key_len)
		memcpy(r->rd + 32, key, key_len);
	r->wr_len = room + 16;
	r->wr = rt_alloc(t, r->wr_len, 0xaa);
}

static void req_free(struct rt *t, struct req *r)
{
	virtaccel_buf_free(t->dev, r->rd);
	virtaccel_buf_free(t->dev, r->wr);
	r->rd = NULL;
	r->wr = NULL;
}

/* Two descriptors from @d0: the readable part, then the writable part. */
static void chain2(struct rt *t, unsigned int vq, uint16_t d0,
		   const struct req *r)
{
	struct vring_desc *d = rt_vr(t, vq)->desc;

	rt_setd(&d[d0], rt_ga(t, r->rd), r->rd_len, VRING_DESC_F_NEXT,
		d0 + 1);
	rt_setd(&d[d0 + 1], rt_ga(t, r->wr), r->wr_len, VRING_DESC_F_WRITE, 0);
}

static int all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

/*
 * Wait for the request(s) posted on @vq, the last with head @head, and
 * classify what the device did with the last one ([VQ-USED-LEN],
 * [REQ-SHORT], [ST-DEFINED], [ST-NOLEAK]).
 */
static void judge(struct rt *t, unsigned int vq, uint16_t head,
		  const struct req *r, struct rt_out *o)
{
	struct vring *vr = rt_vr(t, vq);
	uint16_t want = t->av[vq];
	struct vring_used_elem ue;
	int w;

	memset(o, 0, sizeof(*o));
	w = rt_wait(t, vq, want, WAIT_MS, o);
	if (w == 0) {
		o->kind = RT_STOPPED;
		return;
	}
	if (w < 0) {
		o->kind = w == -2 ? RT_DEAD : RT_TIMEOUT;
		return;
	}
	ue = vr->used->ring[(uint16_t)(want - 1) % vr->num];
	o->used_len = le32toh(ue.len);
	if (le32toh(ue.id) != head) {
		o->kind = RT_BAD;
		snprintf(o->detail, sizeof(o->detail),
			 "used element names head %u, %u was posted",
			 le32toh(ue.id), head);
		return;
	}
	if (o->used_len == 0) {
		o->kind = RT_NORESP;
		if (r->wr_len && !all_bytes(r->wr, r->wr_len, 0xaa)) {
			o->kind = RT_BAD;
			snprintf(o->detail, sizeof(o->detail),
				 "used len 0 but the writable part was written");
		}
		return;
	}
	if (o->used_len != r->wr_len) {
		o->kind = RT_BAD;
		snprintf(o->detail, sizeof(o->detail),
			 "used len %u, the writable part is %u bytes",
			 o->used_len, r->wr_len);
		return;
	}
	o->status = r->wr[o->used_len - 1];
	o->kind = RT_STATUS;
	if (o->status >= VIRTIO_ACCEL_S_MAX) {
		o->kind = RT_BAD;
		snprintf(o->detail, sizeof(o->detail), "undefined status %u",
			 o->status);
	} else if (o->status != VIRTIO_ACCEL_OK &&
		   !all_bytes(r->wr, r->wr_len - 16, 0)) {
		o->kind = RT_BAD;
		snprintf(o->detail, sizeof(o->detail),
			 "status %s but dst is not all zero ([ST-NOLEAK])",
			 virtio_accel_status_name(o->status));
	}
}

static const char *out_name(const struct rt_out *o)
{
	switch (o->kind) {
	case RT_STATUS:
		return virtio_accel_status_name(o->status);
	case RT_NORESP:
		return "NORESP";
	case RT_STOPPED:
		return "STOPPED";
	case RT_TIMEOUT:
		return "TIMEOUT";
	case RT_DEAD:
		return "DEAD";
	default:
		return "BAD";
	}
}

static int out_bit(const struct rt_out *o)
{
	switch (o->kind) {
	case RT_STATUS:
		return 1 << o->status;
	case RT_NORESP:
		return EX_NORESP;
	case RT_STOPPED:
		return EX_STOPPED;
	default:
		return 0;
	}
}

/* ---- probes: a well-formed request must still be served -------------- */

static int good_null(struct rt *t, unsigned int vq, uint16_t d0, char *why,
		     size_t n)
{
	struct rt_out o;
	struct req r;
	int ok;

	mk_null(t, &r, 16);
	chain2(t, vq, d0, &r);
	rt_post(t, vq, d0);
	judge(t, vq, d0, &r, &o);
	ok = o.kind == RT_STATUS && o.status == VIRTIO_ACCEL_OK &&
	     !memcmp(r.wr, r.rd + 64, 16);
	if (!ok)
		snprintf(why, n, "NULL on queue %u: %s %.120s", vq, out_name(&o),
			 o.detail);
	req_free(t, &r);
	return ok;
}

static int good_caps(struct rt *t, uint16_t d0, char *why, size_t n)
{
	struct rt_out o;
	struct req r;
	int ok;

	mk_ctrl(t, &r, VIRTIO_ACCEL_CTRL_GET_CAPS, 0, 0, 0, NULL, 0, 1024);
	chain2(t, CQ, d0, &r);
	rt_post(t, CQ, d0);
	judge(t, CQ, d0, &r, &o);
	ok = o.kind == RT_STATUS && o.status == VIRTIO_ACCEL_OK;
	if (!ok)
		snprintf(why, n, "GET_CAPS: %s %.120s", out_name(&o), o.detail);
	req_free(t, &r);
	return ok;
}

/* A control request run alone; returns the status, 0xff on failure. */
static uint8_t ctrl_run(struct rt *t, uint16_t d0, uint32_t opcode,
			uint32_t op, uint32_t algo, uint64_t sid,
			const uint8_t *key, uint32_t key_len, uint64_t *id)
{
	struct virtio_accel_ctrl_resp *resp;
	struct rt_out o;
	struct req r;
	uint8_t st = 0xff;

	mk_ctrl(t, &r, opcode, op, algo, sid, key, key_len, 0);
	chain2(t, CQ, d0, &r);
	rt_post(t, CQ, d0);
	judge(t, CQ, d0, &r, &o);
	if (o.kind == RT_STATUS) {
		st = o.status;
		resp = (void *)r.wr;
		if (id)
			*id = le64toh(resp->session_id);
	}
	req_free(t, &r);
	return st;
}

/* ---- structural cases ([RING-BROKEN]) ---------------------------------- */

static void c_loop2(struct rt *t, const struct rcase *c, struct rt_out *o)
{
	struct vring_desc *d = rt_vr(t, DQ)->desc;
	struct req r;

	mk_null(t, &r, 16);
	/* header and src, each pointing at the other */
	rt_setd(&d[0], rt_ga(t, r.rd), 64, VRING_DESC_F_NEXT, 1);
	rt_setd(&d[1], rt_ga(t, r.rd + 64), 16, VRING_DESC_F_NEXT, 0);
	rt_post(t, DQ, 0);
	judge(t, DQ, 0, &r, o);
}

static void c_selfloop(struct rt *t, const struct rcase *c, struct rt_out *o)
{
	struct vring_desc *d = rt_vr(t, DQ)->desc;
	struct req r;

	mk_null(t, &r, 16);
	rt_setd(&d[0], rt_ga(t, r.rd), r.rd_len, VRING_DESC_F_NEXT, 1);
	rt_setd(&d[1], rt_ga(t, r.wr), r.wr_len,
		VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	rt_post(t, DQ, 0);
	judge(t, DQ, 0, &r, o);
}

/* An indirect table in shared memory, @n entries. */
static struct vring_desc *itable(struct rt *t, unsigned int n)
{
	return rt_alloc(t, (size_t)n * 16, 0);
}

static void c_ind_loop(struct rt *t, const struct rcase *c, struct rt_out *o)
{
	struct vring_desc *d = rt_vr(t, DQ)->desc, *it = itable(t, 3);
	struct req r;

	mk_null(t, &r, 16);
	rt_setd(&it[0], rt_ga(t, r.rd), 64, VRING_DESC_F_NEXT, 1);
	rt_setd(&it[1], rt_ga(t, r.rd + 64), 16, VRING_DESC_F_NEXT, 0);
	rt_setd(&it[2], rt_ga(t, r.wr), r.wr_len, VRING_DESC_F_WRITE, 0);
	rt_setd(&d[0], rt_ga(t, it), 48, VRING_DESC_F_INDIRECT, 0);
	rt_post(t, DQ, 0);
	judge(t, DQ, 0, &r, o);
}

static void next_to(struct rt *t, struct rt_out *o, uint16_t next)
{
	struct vring_desc *d = rt_vr(t, DQ)->desc;
	struct req r;

	mk_null(t, &r, 16);
	rt_setd(&d[0], rt_ga(t, r.rd), r.rd_len, VRING_DESC_F_NEXT, next);
	rt_post(t, DQ, 0);
	judge(t, DQ, 0, &r, o);
}

static void c_next_q(struct rt *t, const struct rcase *c, struct rt_out *o)
{
	next_to(t, o, QSIZE);
}

static void c_next_ffff(struct rt *t, const struct rcase *c,
			struct rt_out *o)
{
	next_to(t, o, 0xffff);
}

static void c_head_q(struct rt *t, const struct rcase *c, struct rt_out *o)
{
	struct req r;

	mk_null(t, &r, 16);
	chain2(t, DQ, 0, &r);
	rt_post(t, DQ, QSIZE);
	judge(t, DQ, QSIZE, &r, o);
}

static void c_ind_next(struct rt *t, const struct rcase *c, struct rt_out *o)
{
	struct vring_desc *d = rt_vr(t, DQ)->desc, *it = itable(t, 2);
	struct req r;

	mk_null(t, &r, 16);
	rt_setd(&it[0], rt_ga(t, r.rd), r.rd_len, VRING_DESC_F_NEXT, 2);
	rt_setd(&it[1], rt_ga(t, r.wr), r.wr_len, VRING_DESC_F_WRITE, 0);
	rt_setd(&d[0], rt_ga(t, it), 32, VRING_DESC_F_INDIRECT, 0);
	rt_post(t, DQ, 0);
	judge(t, DQ, 0, &r, o);
}

/*
 * A well-formed NULL request in @n descriptors of an indirect table: the
 * header, n - 2 one-byte pieces of src, the writable part.
 */
static void ind_pieces(struct rt *t, struct rt_out *o, unsigned int n)
{
	struct vring_desc *d = rt_vr(t, DQ)->desc, *it = itable(t, n);
	unsigned int i;
	struct req r;

	mk_null(t, &r, n - 2);
	rt_setd(&it[0], rt_ga(t, r.rd), 64, VRING_DESC_F_NEXT, 1);
	for (i = 1; i < n - 1; i++)
		rt_setd(&it[i], rt_ga(t, r.rd + 63 + i), 1, VRING_DESC_F_NEXT,
			i + 1);
	rt_setd(&it[n - 1], rt_ga(t, r.wr), r.wr_len, VRING_DESC_F_WRITE, 0);
	rt_setd(&d[0], rt_ga(t, it), n * 16, VRING_DESC_F_INDIRECT, 0);
	rt_post(t, DQ, 0);
	judge(t, DQ, 0, &r, o);
}

static void c_long_ind(struct rt *t, const struct rcase *c, struct rt_out *o)
{
	ind_pieces(t, o, QSIZE + 1);
}

static void c_queue_ind(struct rt *t, const struct rcase *c,
			struct rt_out *o)
{
	ind_pieces(t, o, QSIZE);
}

static void c_nested(struct rt *t, const struct rcase *c, struct rt_out *o)
{
	struct vring_desc *d = rt_vr(t, DQ)->desc, *it = itable(t, 2),
			  *in = itable(t, 2);
	struct req r;

	mk_null(t, &r, 16);
	rt_setd(&in[0], rt_ga(t, r.rd), r.rd_len, VRING_DESC_F_NEXT, 1);
	rt_setd(&in[1], rt_ga(t, r.wr), r.wr_len, VRING_DESC_F_WRITE, 0);
	rt_setd(&it[0], rt_ga(t, in), 32, VRING_DESC_F_INDIRECT, 0);
	rt_setd(&d[0], rt_ga(t, it), 16, VRING_DESC_F_INDIRECT, 0);
	rt_post(t, DQ, 0);
	judge(t, DQ, 0, &r, o);
}

static void c_ind_with_next(struct rt *t, const struct rcase *c,
			    struct rt_out *o)
{
	struct vring_desc *d = rt_vr(t, DQ)->desc, *it = itable(t, 1);
	struct req r;

	mk_null(t, &r, 16);
	rt_setd(&it[0], rt_ga(t, r.rd), r.rd_len, 0, 0);
	rt_setd(&d[0], rt_ga(t, it), 16,
		VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	rt_setd(&d[1], rt_ga(t, r.wr), r.wr_len, VRING_DESC_F_WRITE, 0);
	rt_post(t, DQ, 0);
	judge(t, DQ, 0, &r, o);
}

static void ind_len(struct rt *t, struct rt_out *o, uint32_t len)
{
	struct vring_desc *d = rt_vr(t, DQ)->desc, *it = itable(t, 3);
	struct req r;

	mk_null(t, &r, 16);
	rt_setd(&it[0], rt_ga(t, r.rd), r.rd_len, VRING_DESC_F_NEXT, 1);
	rt_setd(&it[1], rt_ga(t, r.wr), r.wr_len, VRING_DESC_F_WRITE, 0);
	rt_setd(&d[0], rt_ga(t, it), len, VRING_DESC_F_INDIRECT, 0);
	rt_post(t, DQ, 0);
	judge(t, DQ, 0, &r, o);
}

static void c_ind_len33(struct rt *t, const struct rcase *c,
			struct rt_out *o)
{
	ind_len(t, o, 33);
}

static void c_ind_len0(struct rt *t, const struct rcase *c, struct rt_out *o)
{
	ind_len(t, o, 0);
}

/* First guest address after the shared memory. */
static uint64_t mem_end(struct rt *t)
{
	return rt_ga(t, t->dev->shm.base) + t->dev->shm.size;
}

/* A NULL request whose readable part is at @addr, @len bytes. */
static void rd_at(struct rt *t, struct rt_out *o, uint64_t addr,
		  uint32_t len)
{
	struct vring_desc *d = rt_vr(t, DQ)->desc;
	struct req r;

	mk_null(t, &r, 16);
	rt_setd(&d[0], addr, len, VRING_DESC_F_NEXT, 1);
	rt_setd(&d[1], rt_ga(t, r.wr), r.wr_len, VRING_DESC_F_WRITE, 0);
	rt_post(t, DQ, 0);
	judge(t, DQ, 0, &r, o);
}

static void c_outside(struct rt *t, const struct rcase *c, struct rt_out *o)
{
	rd_at(t, o, mem_end(t) + (1u << 20), 80);
}

static void c_straddle(struct rt *t, const struct rcase *c,
		       struct rt_out *o)
{
	rd_at(t, o, mem_end(t) - 8, 80);
}

static void c_below(struct rt *t, const struct rcase *c, struct rt_out *o)
{
	rd_at(t, o, rt_ga(t, t->dev->shm.base) - 4096, 80);
}

static void c_wr_outside(struct rt *t, const struct rcase *c,
			 struct rt_out *o)
{
	struct vring_desc *d = rt_vr(t, DQ)->desc;
	struct req r;

	mk_null(t, &r, 16);
	rt_setd(&d[0], rt_ga(t, r.rd), r.rd_len, VRING_DESC_F_NEXT, 1);
	rt_setd(&d[1], mem_end(t), r.wr_len, VRING_DESC_F_WRITE, 0);
	rt_post(t, DQ, 0);
	judge(t, DQ, 0, &r, o);
}

static void c_ind_outside(struct rt *t, const struct rcase *c,
			  struct rt_out *o)
{
	struct vring_desc *d = rt_vr(t, DQ)->desc;
	struct req r;

	mk_null(t, &r, 16);
	rt_setd(&d[0], mem_end(t) + 4096, 32, VRING_DESC_F_INDIRECT, 0);
	rt_post(t, DQ, 0);
	judge(t, DQ, 0, &r, o);
}

static void c_wrap(struct rt *t, const struct rcase *c, struct rt_out *o)
{
	rd_at(t, o, UINT64_MAX - 4095, 8192);
}

/* Readable descriptors of the whole (64 MiB) memory: 64 of them sum 2^32. */
static void c_sum32(struct rt *t, const struct rcase *c, struct rt_out *o)
{
	struct vring_desc *d = rt_vr(t, DQ)->desc;
	uint32_t len = (uint32_t)t->dev->shm.size;
	unsigned int i;
	struct req r;

	mk_null(t, &r, 16);
	for (i = 0; i < QSIZE - 1; i++)
		rt_setd(&d[i], rt_ga(t, t->dev->shm.base), len,
			VRING_DESC_F_NEXT, i + 1);
	rt_setd(&d[QSIZE - 1], rt_ga(t, t->dev->shm.base), len, 0, 0);
	rt_post(t, DQ, 0);
	judge(t, DQ, 0, &r, o);
	if (o->kind == RT_STATUS || o->kind == RT_NORESP)
		snprintf(o->detail, sizeof(o->detail),
			 "%u descriptors of %u bytes accepted", QSIZE, len);
}

/* ---- lengths ----------------------------------------------------------- */

static void c_zero_desc(struct rt *t, const struct rcase *c,
			struct rt_out *o)
{
	struct vring_desc *d = rt_vr(t, DQ)->desc;
	struct req r;

	mk_null(t, &r, 16);
	rt_setd(&d[0], rt_ga(t, r.rd), 64, VRING_DESC_F_NEXT, 1);
	rt_setd(&d[1], rt_ga(t, r.rd + 64), 0, VRING_DESC_F_NEXT, 2);
	rt_setd(&d[2], rt_ga(t, r.rd + 64), 16, VRING_DESC_F_NEXT, 3);
	rt_setd(&d[3], rt_ga(t, r.wr), 0,
		VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 4);
	rt_setd(&d[4], rt_ga(t, r.wr), r.wr_len, VRING_DESC_F_WRITE, 0);
	rt_post(t, DQ, 0);
	judge(t, DQ, 0, &r, o);
	if (o->kind == RT_STATUS && o->status == VIRTIO_ACCEL_OK &&
	    memcmp(r.wr, r.rd + 64, 16)) {
		o->kind = RT_BAD;
		snprintf(o->detail, sizeof(o->detail), "dst differs from src");
	}
}

static void c_huge_desc(struct rt *t, const struct rcase *c,
			struct rt_out *o)
{
	rd_at(t, o, rt_ga(t, t->dev->shm.base), 0xffffffffu);
}

/* [REQ-HUGE]: a writable part one byte above max_data_len + 16. */
static void c_huge_wr(struct rt *t, const struct rcase *c, struct rt_out *o)
{
	uint32_t n = t->dev->max_data_len + 1;
	struct req r;

	r.rd_len = 64 + 16;
	r.rd = rt_alloc(t, r.rd_len, 0);
	hdr_init(r.rd, VIRTIO_ACCEL_OP_COMPRESS, VIRTIO_ACCEL_ALG_DEFLATE, 0,
		 0, 0, 16, n);
	r.wr_len = n + 16;
	r.wr = rt_alloc(t, r.wr_len, 0xaa);
	chain2(t, DQ, 0, &r);
	rt_post(t, DQ, 0);
	judge(t, DQ, 0, &r, o);
}

/* ---- ordering and the response ---------------------------------------- */

static void c_rd_after_wr(struct rt *t, const struct rcase *c,
			  struct rt_out *o)
{
	struct vring_desc *d = rt_vr(t, DQ)->desc;
	struct req r;

	mk_null(t, &r, 16);
	rt_setd(&d[0], rt_ga(t, r.rd), 64, VRING_DESC_F_NEXT, 1);
	rt_setd(&d[1], rt_ga(t, r.wr), r.wr_len,
		VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
	rt_setd(&d[2], rt_ga(t, r.rd + 64), 16, 0, 0);
	rt_post(t, DQ, 0);
	judge(t, DQ, 0, &r, o);
}

static void short_wr(struct rt *t, unsigned int vq, struct rt_out *o,
		     uint32_t wr1, uint32_t wr2)
{
	struct vring_desc *d = rt_vr(t, vq)->desc;
	struct req r;

	if (vq == CQ)
		mk_ctrl(t, &r, VIRTIO_ACCEL_CTRL_GET_CAPS, 0, 0, 0, NULL, 0,
			1024);
	else
		mk_null(t, &r, 0);
	r.wr_len = wr1 + wr2;
	rt_setd(&d[0], rt_ga(t, r.rd), r.rd_len,
		r.wr_len ? VRING_DESC_F_NEXT : 0, 1);
	rt_setd(&d[1], rt_ga(t, r.wr), wr1,
		VRING_DESC_F_WRITE | (wr2 ? VRING_DESC_F_NEXT : 0), 2);
	rt_setd(&d[2], rt_ga(t, r.wr + wr1), wr2, VRING_DESC_F_WRITE, 0);
	rt_post(t, vq, 0);
	judge(t, vq, 0, &r, o);
}

static void c_wr8(struct rt *t, const struct rcase *c, struct rt_out *o)
{
	short_wr(t, DQ, o, 8, 0);
}

static void c_wr15(struct rt *t, const struct rcase *c, struct rt_out *o)
{
	short_wr(t, DQ, o, 8, 7);
}

static void c_wr0(struct rt *t, const struct rcase *c, struct rt_out *o)
{
	short_wr(t, DQ, o, 0, 0);
}

static void c_ctrl_wr8(struct rt *t, const struct rcase *c,
		       struct rt_out *o)
{
	short_wr(t, CQ, o, 8, 0);
}

/* ---- ring indexes ------------------------------------------------------ */

static void avail_jump(struct rt *t, struct rt_out *o, uint16_t ahead)
{
	struct vring *vr = rt_vr(t, DQ);
	struct req r;
	unsigned int i;

	mk_null(t, &r, 16);
	chain2(t, DQ, 0, &r);
	for (i = 0; i < vr->num; i++)
		vr->avail->ring[i] = 0;
	t->av[DQ] += ahead;
	__atomic_store_n(&vr->avail->idx, htole16(t->av[DQ]),
			 __ATOMIC_RELEASE);
	rt_kick(t, DQ);
	judge(t, DQ, 0, &r, o);
	if (o->kind == RT_STATUS || o->kind == RT_NORESP) {
		uint16_t u = le16toh(vr->used->idx);

		o->kind = RT_BAD;
		snprintf(o->detail, sizeof(o->detail),
			 "took requests up to used index %u", u);
	}
}

static void c_avail_q1(struct rt *t, const struct rcase *c,
		       struct rt_out *o)
{
	avail_jump(t, o, QSIZE + 1);
}

static void c_avail_8000(struct rt *t, const struct rcase *c,
			 struct rt_out *o)
{
	avail_jump(t, o, 0x8000);
}

/*
 * A flood without reaping: the driver keeps the ring full (it only looks at
 * used->idx, never at a used element) with the same chain, 8 rounds of the
 * ring. The device must complete all of it and never write past the used
 * ring (its avail_event included).
 */
static void c_flood(struct rt *t, const struct rcase *c, struct rt_out *o)
{
	struct vring *vr = rt_vr(t, DQ);
	uint8_t *used_end = (uint8_t *)&vr->used->ring[vr->num] + 2;
	uint8_t *guard_end = t->dev->q[DQ].slots;
	unsigned int total = 8 * QSIZE, posted = 0, i;
	struct req r;

	memset(used_end, 0x5c, guard_end - used_end);
	mk_null(t, &r, 16);
	chain2(t, DQ, 0, &r);
	while (posted < total) {
		uint16_t u = le16toh(__atomic_load_n(&vr->used->idx,
						     __ATOMIC_ACQUIRE));
		unsigned int room = QSIZE - (uint16_t)(t->av[DQ] - u), k;

		for (k = 0; k < room && posted < total; k++, posted++) {
			vr->avail->ring[t->av[DQ] % vr->num] = 0;
			t->av[DQ]++;
		}
		__atomic_store_n(&vr->avail->idx, htole16(t->av[DQ]),
				 __ATOMIC_RELEASE);
		rt_kick(t, DQ);
		if (posted < total && !room)
			usleep(50);
	}
	judge(t, DQ, 0, &r, o);
	if (o->kind != RT_STATUS)
		return;
	for (i = 0; i < vr->num; i++) {
		if (le32toh(vr->used->ring[i].id) != 0 ||
		    le32toh(vr->used->ring[i].len) != r.wr_len) {
			o->kind = RT_BAD;
			snprintf(o->detail, sizeof(o->detail),
				 "used element %u is (%u, %u)", i,
				 le32toh(vr->used->ring[i].id),
				 le32toh(vr->used->ring[i].len));
			return;
		}
	}
	if (!all_bytes(used_end, guard_end - used_end, 0x5c)) {
		o->kind = RT_BAD;
		snprintf(o->detail, sizeof(o->detail),
			 "bytes after the used ring were written");
		return;
	}
	snprintf(o->detail, sizeof(o->detail),
		 "%u requests through a %u-entry used ring, none reaped: all completed, nothing written past the ring",
		 total, QSIZE);
}

static void c_spurious(struct rt *t, const struct rcase *c,
		       struct rt_out *o)
{
	struct vring *vr = rt_vr(t, DQ);
	struct req r;

	rt_kick(t, DQ);
	rt_kick(t, DQ2);
	rt_kick(t, CQ);
	usleep(20000);
	mk_null(t, &r, 16);
	if (le16toh(vr->used->idx) != 0) {
		memset(o, 0, sizeof(*o));
		o->kind = RT_BAD;
		snprintf(o->detail, sizeof(o->detail),
			 "used index moved with nothing available");
		return;
	}
	chain2(t, DQ, 0, &r);
	rt_post(t, DQ, 0);
	judge(t, DQ, 0, &r, o);
	if (o->kind == RT_STATUS)
		snprintf(o->detail, sizeof(o->detail),
			 "kicks with an empty ring, then a NULL request");
}

/* ---- request rows of tests/common/cases.c ------------------------------ */

static void c_row(struct rt *t, const struct rcase *rc, struct rt_out *o)
{
	struct case_lims l = {
		.max_data_len = t->dev->max_data_len,
		.max_aad_len = t->dev->max_aad_len,
	};
	const struct accel_case *c = NULL;
	uint64_t sid = 0;
	unsigned int i;
	struct req r;

	for (i = 0; i < accel_n_cases; i++)
		if (!strcmp(accel_cases[i].name, rc->row))
			c = &accel_cases[i];
	if (!c || (c->sess != CS_NONE && c->sess != CS_BOGUS)) {
		memset(o, 0, sizeof(*o));
		o->kind = RT_BAD;
		snprintf(o->detail, sizeof(o->detail), "no usable row '%s'",
			 rc->row);
		return;
	}
	if (c->sess == CS_BOGUS)
		sid = BOGUS_SESSION;
	r.rd_len = (uint32_t)case_rd_len(c, &l);
	r.rd = rt_alloc(t, r.rd_len, 0);
	case_build_rd(c, &l, sid, r.rd);
	r.wr_len = (uint32_t)case_wr_len(c, &l);
	r.wr = rt_alloc(t, r.wr_len, 0xaa);
	chain2(t, DQ, 0, &r);
	rt_post(t, DQ, 0);
	judge(t, DQ, 0, &r, o);
	snprintf(o->detail, sizeof(o->detail),
		 "tests/common/cases.c row \"%s\" (expects %s)", rc->row,
		 virtio_accel_status_name(c->expect));
}

/* A session destroyed, then named by a request. */
static void c_dead_session(struct rt *t, const struct rcase *c,
			   struct rt_out *o)
{
	uint8_t key[32];
	uint64_t sid = 0;
	struct req r;
	uint8_t st;

	memset(key, 0x42, sizeof(key));
	st = ctrl_run(t, 0, VIRTIO_ACCEL_CTRL_CREATE_SESSION,
		      VIRTIO_ACCEL_OP_MAC, VIRTIO_ACCEL_ALG_HMAC_SHA256, 0, key,
		      32, &sid);
	if (st == VIRTIO_ACCEL_OK)
		st = ctrl_run(t, 0, VIRTIO_ACCEL_CTRL_DESTROY_SESSION, 0, 0,
			      sid, NULL, 0, NULL);
	if (st != VIRTIO_ACCEL_OK) {
		memset(o, 0, sizeof(*o));
		o->kind = RT_BAD;
		snprintf(o->detail, sizeof(o->detail),
			 "create/destroy failed: status %u", st);
		return;
	}
	r.rd_len = 64 + 10;
	r.rd = rt_alloc(t, r.rd_len, 0x11);
	hdr_init(r.rd, VIRTIO_ACCEL_OP_MAC, VIRTIO_ACCEL_ALG_HMAC_SHA256, sid,
		 0, 0, 10, 32);
	r.wr_len = 32 + 16;
	r.wr = rt_alloc(t, r.wr_len, 0xaa);
	chain2(t, DQ, 0, &r);
	rt_post(t, DQ, 0);
	judge(t, DQ, 0, &r, o);
	snprintf(o->detail, sizeof(o->detail),
		 "HMAC request naming a destroyed session");
}

/*
 * [CTRL-CREATE]: fill the session table (max_sessions, from the
 * configuration), one more must be NOSPC; after one destroy a create works
 * again. Creates go in batches of QSIZE / 2.
 */
static void c_sessions(struct rt *t, const struct rcase *c, struct rt_out *o)
{
	unsigned int max = t->dev->max_sessions, done = 0, batch = QSIZE / 2;
	uint64_t first = 0;
	struct req r[QSIZE / 2];
	struct rt_out bo;
	unsigned int i, n;
	uint8_t st;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < batch; i++)
		mk_ctrl(t, &r[i], VIRTIO_ACCEL_CTRL_CREATE_SESSION,
			VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_SHA256, 0, NULL,
			0, 0);
	while (done <= max) {
		n = max + 1 - done < batch ? max + 1 - done : batch;
		for (i = 0; i < n; i++) {
			memset(r[i].wr, 0xaa, r[i].wr_len);
			chain2(t, CQ, (uint16_t)(2 * i), &r[i]);
		}
		for (i = 0; i < n; i++) {
			struct vring *vr = rt_vr(t, CQ);

			vr->avail->ring[t->av[CQ] % vr->num] =
				htole16((uint16_t)(2 * i));
			t->av[CQ]++;
		}
		__atomic_store_n(&rt_vr(t, CQ)->avail->idx, htole16(t->av[CQ]),
				 __ATOMIC_RELEASE);
		rt_kick(t, CQ);
		/* the last of the batch; the others are checked below */
		judge(t, CQ, (uint16_t)(2 * (n - 1)), &r[n - 1], &bo);
		if (bo.kind != RT_STATUS) {
			*o = bo;
			goto out;
		}
		for (i = 0; i < n; i++, done++) {
			st = r[i].wr[15];
			if (done == 0)
				memcpy(&first, r[i].wr, 8);
			if (done < max && st != VIRTIO_ACCEL_OK) {
				o->kind = RT_BAD;
				snprintf(o->detail, sizeof(o->detail),
					 "create %u of %u: %s", done + 1, max,
					 virtio_accel_status_name(st));
				goto out;
			}
			if (done == max) {
				o->kind = RT_STATUS;
				o->status = st;
				o->used_len = 16;
			}
		}
	}
	/* one destroyed: the table has room again */
	st = ctrl_run(t, 0, VIRTIO_ACCEL_CTRL_DESTROY_SESSION, 0, 0,
		      le64toh(first), NULL, 0, NULL);
	if (st == VIRTIO_ACCEL_OK)
		st = ctrl_run(t, 0, VIRTIO_ACCEL_CTRL_CREATE_SESSION,
			      VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_SHA256, 0,
			      NULL, 0, NULL);
	if (st != VIRTIO_ACCEL_OK) {
		o->kind = RT_BAD;
		snprintf(o->detail, sizeof(o->detail),
			 "after a destroy in a full table: create %s",
			 virtio_accel_status_name(st));
		goto out;
	}
	snprintf(o->detail, sizeof(o->detail),
		 "%u sessions created, the next one %s; one destroyed, a create is OK again",
		 max, virtio_accel_status_name(o->status));
out:
	for (i = 0; i < batch; i++)
		req_free(t, &r[i]);
}

/* ---- the table --------------------------------------------------------- */

#define RB	"RING-BROKEN"
#define CL_LOOP		"descriptor loop"
#define CL_NEXT		"`next` out of range"
#define CL_LONG		"chain longer than the queue"
#define CL_NEST		"nested indirect"
#define CL_INDNEXT	"indirect with NEXT"
#define CL_INDLEN	"indirect table length not a multiple of 16 / zero"
#define CL_ADDR		"address outside guest memory"
#define CL_WRAP		"length wrap-around"
#define CL_LEN		"zero-length and huge lengths"
#define CL_ORDER	"device-readable after device-writable"
#define CL_STATUS	"missing status byte"
#define CL_AVAIL	"avail index jump"
#define CL_OPC		"unknown opcode"
#define CL_ALG		"unknown algorithm"
#define CL_SESS		"unknown session"
#define CL_KEY		"key length lies"
#define CL_IV		"IV length lies"
#define CL_TAG		"tag length lies"
#define CL_FULL		"session-table exhaustion"
#define CL_FLOOD	"request flood without reaping"
#define CL_SPUR		"spurious notification"

#define C(id, cls, clause, ex, fn, vq, mem, what) \
	{ id, cls, clause, ex, fn, NULL, vq, mem, what }
#define ROW(id, cls, clause, ex, row, what) \
	{ id, cls, clause, ex, c_row, row, DQ, 0, what }

static const struct rcase rcases[] = {
	C("loop-2", CL_LOOP, RB, EX_BROKEN, c_loop2, DQ, 0,
	  "header and src descriptors name each other"),
	C("loop-self-writable", CL_LOOP, RB, EX_BROKEN, c_selfloop, DQ, 0,
	  "the writable descriptor names itself"),
	C("loop-indirect", CL_LOOP, RB, EX_BROKEN, c_ind_loop, DQ, 0,
	  "a loop inside an indirect table"),
	C("next-eq-qsize", CL_NEXT, RB, EX_BROKEN, c_next_q, DQ, 0,
	  "next = queue size (64)"),
	C("next-0xffff", CL_NEXT, RB, EX_BROKEN, c_next_ffff, DQ, 0,
	  "next = 0xffff"),
	C("head-eq-qsize", CL_NEXT, RB, EX_BROKEN, c_head_q, DQ, 0,
	  "avail ring entry (the head) = queue size"),
	C("next-beyond-indirect", CL_NEXT, RB, EX_BROKEN, c_ind_next, DQ, 0,
	  "next beyond the indirect table"),
	C("indirect-qsize+1", CL_LONG, RB, EX_BROKEN, c_long_ind, DQ, 0,
	  "a valid request in an indirect table of 65 descriptors, queue size 64"),
	C("indirect-qsize", CL_LONG, RB, EX(VIRTIO_ACCEL_OK), c_queue_ind, DQ, 0,
	  "the same in exactly 64 descriptors (the limit itself)"),
	C("nested-indirect", CL_NEST, RB, EX_BROKEN, c_nested, DQ, 0,
	  "an indirect descriptor inside an indirect table"),
	C("indirect-next", CL_INDNEXT, RB, EX_BROKEN, c_ind_with_next, DQ, 0,
	  "INDIRECT and NEXT on one descriptor"),
	C("indirect-len-33", CL_INDLEN, RB, EX_BROKEN, c_ind_len33, DQ, 0,
	  "indirect table length 33"),
	C("indirect-len-0", CL_INDLEN, RB, EX_BROKEN, c_ind_len0, DQ, 0,
	  "indirect table length 0"),
	C("readable-after-end", CL_ADDR, RB, EX_BROKEN, c_outside, DQ, 0,
	  "readable buffer 1 MiB past the end of driver memory"),
	C("readable-straddles-end", CL_ADDR, RB, EX_BROKEN, c_straddle, DQ, 0,
	  "readable buffer across the end of driver memory"),
	C("readable-before-start", CL_ADDR, RB, EX_BROKEN, c_below, DQ, 0,
	  "readable buffer just below driver memory"),
	C("writable-after-end", CL_ADDR, RB, EX_BROKEN, c_wr_outside, DQ, 0,
	  "writable buffer right after driver memory"),
	C("indirect-table-outside", CL_ADDR, RB, EX_BROKEN, c_ind_outside, DQ, 0,
	  "indirect table outside driver memory"),
	C("addr+len-wraps", CL_WRAP, RB, EX_BROKEN, c_wrap, DQ, 0,
	  "addr 2^64 - 4096, len 8192"),
	C("len-sum-2^32", CL_WRAP, RB, EX_BROKEN, c_sum32, DQ, BIGMEM,
	  "64 readable descriptors of all 64 MiB of memory: lengths sum to 2^32"),
	ROW("hdr-sum-wraps-u32", CL_WRAP, "REQ-LEN-RD", EX(VIRTIO_ACCEL_BADMSG),
	    "u32 sum wraps to the sent length",
	    "header lengths whose 32-bit sum wraps to the bytes sent"),
	ROW("hdr-src-2^32-64", CL_WRAP, "REQ-LEN-RD", EX(VIRTIO_ACCEL_BADMSG),
	    "src_len 2^32-64 (sum is 2^32)", "src_len 2^32 - 64: 64 + src_len is 2^32"),
	C("zero-length-descriptors", CL_LEN, "VQ-USED-LEN", EX(VIRTIO_ACCEL_OK),
	  c_zero_desc, DQ, 0,
	  "zero-length readable and writable descriptors inside a valid request"),
	ROW("null-0-bytes", CL_LEN, "OP-NULL", EX(VIRTIO_ACCEL_OK), "null 0 bytes",
	    "NULL request with src_len = dst_len = 0"),
	C("desc-len-0xffffffff", CL_LEN, RB, EX_BROKEN, c_huge_desc, DQ, 0,
	  "descriptor length 0xffffffff at the start of driver memory"),
	C("writable-max+17", CL_LEN, "REQ-HUGE", EX_NORESP, c_huge_wr, DQ, 0,
	  "writable part of max_data_len + 17 bytes, in driver memory"),
	ROW("src-len-max+1", CL_LEN, "REQ-LIMITS", EX(VIRTIO_ACCEL_BADMSG),
	    "src_len max_data_len+1", "src_len max_data_len + 1, every byte sent"),
	ROW("all-lengths-huge", CL_LEN, "REQ-LEN-RD", EX(VIRTIO_ACCEL_BADMSG),
	    "all lengths huge", "every length in the header 0xffffffff"),
	C("readable-after-writable", CL_ORDER, RB, EX_BROKEN, c_rd_after_wr, DQ,
	  0, "header, writable part, then src"),
	C("writable-8", CL_STATUS, "REQ-SHORT", EX_NORESP, c_wr8, DQ, 0,
	  "8-byte writable part"),
	C("writable-8+7", CL_STATUS, "REQ-SHORT", EX_NORESP, c_wr15, DQ, 0,
	  "15 writable bytes in two descriptors"),
	C("no-writable", CL_STATUS, "REQ-SHORT", EX_NORESP, c_wr0, DQ, 0,
	  "no writable descriptor at all"),
	C("control-writable-8", CL_STATUS, "REQ-SHORT", EX_NORESP, c_ctrl_wr8, CQ,
	  0, "control queue: 8-byte writable part"),
	C("avail-qsize+1", CL_AVAIL, RB, EX_STOPPED, c_avail_q1, DQ, 0,
	  "avail->idx moved queue size + 1 ahead"),
	C("avail-0x8000", CL_AVAIL, RB, EX_STOPPED, c_avail_8000, DQ, 0,
	  "avail->idx moved 0x8000 ahead"),
	ROW("opcode-7", CL_OPC, "REQ-OP", EX(VIRTIO_ACCEL_NOTSUPP), "opcode 7",
	    "opcode 7"),
	ROW("opcode-0xffffffff", CL_OPC, "REQ-OP", EX(VIRTIO_ACCEL_NOTSUPP),
	    "opcode 0xffffffff", "opcode 0xffffffff"),
	ROW("algo-0xffffffff", CL_ALG, "REQ-OP", EX(VIRTIO_ACCEL_NOTSUPP),
	    "hash algo 0xffffffff", "HASH with algorithm 0xffffffff"),
	ROW("hash-with-deflate", CL_ALG, "REQ-OP", EX(VIRTIO_ACCEL_NOTSUPP),
	    "hash with deflate algo", "HASH with the DEFLATE algorithm"),
	ROW("session-never-made", CL_SESS, "REQ-SESS", EX(VIRTIO_ACCEL_INVSESS),
	    "unknown session", "a session id the device never handed out"),
	C("session-destroyed", CL_SESS, "REQ-SESS", EX(VIRTIO_ACCEL_INVSESS),
	  c_dead_session, DQ, 0, "HMAC naming a session destroyed just before"),
	ROW("key-len-0xffffffff", CL_KEY, "REQ-LEN-RD", EX(VIRTIO_ACCEL_BADMSG),
	    "key_len lie (huge)", "HMAC key_len 0xffffffff, no key sent"),
	ROW("hmac-key-65", CL_KEY, "REQ-KEY", EX(VIRTIO_ACCEL_KEY_REJECTED),
	    "hmac key_len 65", "HMAC key_len 65 (sent)"),
	ROW("gcm-key-16", CL_KEY, "REQ-KEY", EX(VIRTIO_ACCEL_KEY_REJECTED),
	    "gcm key_len 16", "AES-256-GCM key_len 16 (sent)"),
	ROW("key-for-sha256", CL_KEY, "REQ-KEY", EX(VIRTIO_ACCEL_KEY_REJECTED),
	    "key for unkeyed sha256", "a 16-byte key for unkeyed SHA-256"),
	ROW("iv-len-lie", CL_IV, "REQ-LEN-RD", EX(VIRTIO_ACCEL_BADMSG),
	    "iv_len lie", "iv_len 12, IV bytes not sent"),
	ROW("gcm-iv-0", CL_IV, "REQ-IV", EX(VIRTIO_ACCEL_BADMSG), "gcm iv_len 0",
	    "AES-256-GCM iv_len 0"),
	ROW("gcm-iv-16", CL_IV, "REQ-IV", EX(VIRTIO_ACCEL_BADMSG),
	    "gcm iv_len 16", "AES-256-GCM iv_len 16 (sent)"),
	ROW("encrypt-no-tag-room", CL_TAG, "OP-DST", EX(VIRTIO_ACCEL_BADMSG),
	    "gcm encrypt without tag room",
	    "encrypt with dst_len = src_len: no room for the tag"),
	ROW("decrypt-src-below-tag", CL_TAG, "OP-DST", EX(VIRTIO_ACCEL_BADMSG),
	    "gcm decrypt src < tag", "decrypt with src_len 15, shorter than a tag"),
	ROW("decrypt-dst-eq-src", CL_TAG, "OP-DST", EX(VIRTIO_ACCEL_BADMSG),
	    "gcm decrypt dst == src", "decrypt with dst_len = src_len"),
	C("session-table-full", CL_FULL, "CTRL-CREATE", EX(VIRTIO_ACCEL_NOSPC),
	  c_sessions, CQ, 0, "max_sessions CREATE_SESSION requests, then one more"),
	C("flood-8x-ring", CL_FLOOD, "VQ-USED-IDX", EX(VIRTIO_ACCEL_OK), c_flood,
	  DQ, 0, "8 x 64 requests kept in flight, no used element ever read"),
	C("kick-empty-ring", CL_SPUR, "RING-SPURIOUS", EX(VIRTIO_ACCEL_OK),
	  c_spurious, DQ, 0, "kicks on every queue with nothing available"),
};

#define N_CASES (sizeof(rcases) / sizeof(rcases[0]))

static void expect_str(unsigned int ex, char *buf, size_t n)
{
	unsigned int i;

	buf[0] = 0;
	for (i = 0; i < VIRTIO_ACCEL_S_MAX; i++)
		if (ex & EX(i))
			snprintf(buf + strlen(buf), n - strlen(buf), "%s%s",
				 buf[0] ? "|" : "", virtio_accel_status_name(i));
	if (ex & EX_NORESP)
		snprintf(buf + strlen(buf), n - strlen(buf), "%sNORESP",
			 buf[0] ? "|" : "");
	if (ex & EX_STOPPED)
		snprintf(buf + strlen(buf), n - strlen(buf), "%sSTOPPED",
			 buf[0] ? "|" : "");
}

static void clean(char *s)
{
	for (; *s; s++)
		if (*s == '|' || *s == '\n' || *s == '\r')
			*s = '/';
}

static int run_case(struct rt *t, const char *impl, const struct rcase *c)
{
	char other[256] = "ok", after[256] = "ok", ex[80];
	int pass, ok, ret, ring_err = -ELOOP;
	struct rt_out o;

	memset(&o, 0, sizeof(o));
	ret = rt_open(t, c->mem ? c->mem : MEM);
	if (ret) {
		o.kind = RT_DEAD;
		snprintf(o.detail, sizeof(o.detail), "cannot open %s: %s",
			 t->devstr, strerror(-ret));
		snprintf(other, sizeof(other), "not run");
		snprintf(after, sizeof(after), "not run");
		goto report;
	}
	rt_mark(t);
	c->run(t, c, &o);
	/*
	 * (issue 13) one errno for a chain longer than the queue in both
	 * walkers: -ELOOP, as for a loop
	 */
	if (!strcmp(c->cls, CL_LONG) && o.kind == RT_STOPPED) {
		ring_err = rt_ring_errno(t, o.detail);
		if (ring_err != -ELOOP)
			snprintf(o.detail + strlen(o.detail),
				 sizeof(o.detail) - strlen(o.detail),
				 " [errno %d, not -ELOOP]", ring_err);
	}
	if (o.kind == RT_DEAD) {
		snprintf(other, sizeof(other), "not run");
		snprintf(after, sizeof(after), "not run");
		goto report;
	}
	/* the other queues keep serving */
	if (c->vq == CQ)
		ok = good_null(t, DQ, QSIZE - 2, other, sizeof(other)) &&
		     good_null(t, DQ2, QSIZE - 2, other, sizeof(other));
	else
		ok = good_null(t, DQ2, QSIZE - 2, other, sizeof(other)) &&
		     good_caps(t, QSIZE - 2, other, sizeof(other));
	if (ok)
		snprintf(other, sizeof(other), "ok");
	/* the queue itself: at once, or after a reset if it was stopped */
	if (o.kind == RT_STOPPED && rt_reopen(t, MEM)) {
		snprintf(after, sizeof(after), "cannot reopen after the stop");
		goto report;
	}
	if (c->vq == CQ)
		ok = good_caps(t, QSIZE - 2, after, sizeof(after));
	else
		ok = good_null(t, DQ, QSIZE - 2, after, sizeof(after));
	if (ok)
		snprintf(after, sizeof(after), "%s",
			 o.kind == RT_STOPPED ? "ok-after-reset" : "ok");
report:
	rt_close(t);
	expect_str(c->expect, ex, sizeof(ex));
	pass = (out_bit(&o) & c->expect) && !strcmp(other, "ok") &&
	       !strncmp(after, "ok", 2) && ring_err == -ELOOP;
	clean(o.detail);
	clean(other);
	clean(after);
	printf("robust-result impl=%s case=%s expect=%s observed=%s other=%s after=%s result=%s | class=%s | clause=%s | what=%s | detail=%s\n",
	       impl, c->id, ex, out_name(&o), strcmp(other, "ok") ? "FAIL" : "ok",
	       !strncmp(after, "ok", 2) ? after : "FAIL", pass ? "pass" : "FAIL",
	       c->cls, c->clause, c->what, o.detail);
	if (strcmp(other, "ok"))
		printf("# %s: other queues: %s\n", c->id, other);
	if (strncmp(after, "ok", 2))
		printf("# %s: same queue afterwards: %s\n", c->id, after);
	fflush(stdout);
	return pass;
}

/* ---- the time-of-check/time-of-use test over the live device ---------- */

static uint64_t lv_ga(struct tt_dev *d, const void *p)
{
	return rt_ga(d->priv, p);
}

static void lv_kick(struct tt_dev *d, unsigned int q)
{
	rt_kick(d->priv, q ? DQ : CQ);
}

static int lv_stopped(struct tt_dev *d)
{
	char why[200];

	struct rt *t = d->priv;

	/* vDPA: NEEDS_RESET is per device, and the data queue breaks first */
	return rt_stopped(t, DQ, why, sizeof(why)) ||
	       (!t->vdpa && rt_stopped(t, CQ, why, sizeof(why)));
}

static void lv_fill(struct tt_dev *d)
{
	struct rt *t = d->priv;

	d->q[0].desc = rt_vr(t, CQ)->desc;
	d->q[0].avail = rt_vr(t, CQ)->avail;
	d->q[0].used = rt_vr(t, CQ)->used;
	d->q[0].num = rt_vr(t, CQ)->num;
	d->q[0].av = 0;
	d->q[1].desc = rt_vr(t, DQ)->desc;
	d->q[1].avail = rt_vr(t, DQ)->avail;
	d->q[1].used = rt_vr(t, DQ)->used;
	d->q[1].num = rt_vr(t, DQ)->num;
	d->q[1].av = 0;
	d->mem_len = 64u << 10;
	d->mem = rt_alloc(t, d->mem_len, 0);
	d->outside = mem_end(t) + (1u << 20);
	d->max_data_len = t->dev->max_data_len;
	rt_mark(t);
}

static int lv_reset(struct tt_dev *d)
{
	int ret = rt_reopen(d->priv, MEM);

	if (!ret)
		lv_fill(d);
	return ret;
}

static int toctou_live(struct rt *t, const char *impl, double seconds,
		       unsigned int seed)
{
	struct tt_dev d = {
		.ga = lv_ga,
		.kick = lv_kick,
		.stopped = lv_stopped,
		.reset = lv_reset,
		.priv = t,
	};
	struct tt_stats st;
	char who[64];
	int ret;

	if (rt_open(t, MEM)) {
		printf("not ok - cannot open %s\nvaccel-robust: 0 passed, 1 failed\n",
		       t->devstr);
		return 1;
	}
	lv_fill(&d);
	ret = tt_run(&d, seconds, seed, &st);
	rt_close(t);
	snprintf(who, sizeof(who), "toctou %s", impl);
	tt_print(who, &st);
	printf("vaccel-robust: %d passed, %d failed\n", ret ? 0 : 1,
	       ret ? 1 : 0);
	return ret ? 1 : 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vaccel-robust [--impl NAME] [--log BACKEND_LOG] [--case ID] [--list]\n"
		"                     [--toctou SECONDS [--seed N]] DEVICE\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "impl", required_argument, NULL, 'i' },
		{ "log", required_argument, NULL, 'l' },
		{ "case", required_argument, NULL, 'c' },
		{ "list", no_argument, NULL, 'L' },
		{ "toctou", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *impl = "device", *only = NULL;
	double toctou = 0;
	unsigned int seed = 1, i, pass = 0, fail = 0;
	struct rt t;
	int c;

	memset(&t, 0, sizeof(t));
	t.qsize = QSIZE;
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			impl = optarg;
			break;
		case 'l':
			t.log = optarg;
			break;
		case 'c':
			only = optarg;
			break;
		case 'L':
			for (i = 0; i < N_CASES; i++)
				printf("%s\t%s\n", rcases[i].id, rcases[i].cls);
			return 0;
		case 't':
			toctou = atof(optarg);
			break;
		case 's':
			seed = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	t.devstr = argv[optind];
	t.vdpa = !strncmp(t.devstr, "vhost-vdpa:", 11);
	if (!t.vdpa && strncmp(t.devstr, "vhost-user:", 11)) {
		fprintf(stderr, "vaccel-robust: DEVICE must be vhost-user:PATH or vhost-vdpa:PATH\n");
		return 2;
	}
	if (toctou > 0)
		return toctou_live(&t, impl, toctou, seed) ? 1 : 0;
	for (i = 0; i < N_CASES; i++) {
		if (only && strcmp(only, rcases[i].id))
			continue;
		if (run_case(&t, impl, &rcases[i]))
			pass++;
		else
			fail++;
	}
	printf("vaccel-robust: %u passed, %u failed\n", pass, fail);
	return fail ? 1 : 0;
}
