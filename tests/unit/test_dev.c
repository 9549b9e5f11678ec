// SPDX-License-Identifier: BSD-3-Clause
/*
 * Unit tests of the device core (virtio-accel-spec/lib/virtio_accel_dev.c)
 * through a mock ops table: plain buffers for guest memory, a small session
 * store, engines that do what a test tells them. Both hosts run this code;
 * the conformance suite checks the same rules against the real ones.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "unit.h"
#include "virtio_accel_dev.h"

#define HDR	sizeof(struct virtio_accel_op_req)
#define RESP	sizeof(struct virtio_accel_op_resp)
#define CHDR	sizeof(struct virtio_accel_ctrl_req)
#define CRESP	sizeof(struct virtio_accel_ctrl_resp)

struct mchain {
	uint8_t rd[4096];
	uint8_t wr[8192];
	uint64_t rd_len, wr_len;
	uint32_t n_desc;
};

/* the mock host */
static struct mchain ch;
static struct virtio_accel_dev_sess msess[2];
static uint64_t msess_id[2] = { 0x100001, 0x200002 };
static unsigned int n_read, n_write, n_get, n_put, n_exec, n_sexec, n_abort;
static unsigned int n_create, n_destroy, n_err;
static int fail_read, fail_write;
static uint8_t exec_status;
static uint32_t exec_out;	/* bytes the engine produces */
static uint8_t exec_key[VIRTIO_ACCEL_DEV_MAX_KEY];
static uint32_t exec_key_len;
static const struct virtio_accel_dev_req *cur_req;
static const uint8_t *cur_ckey;	/* the core's CREATE key copy */
static int key_wiped_at_resp;	/* 1 wiped, 0 not, -1 not checked */
static uint8_t out_buf[4096];

static int m_read(void *q, const void *c, uint64_t off, void *buf,
		  uint64_t len)
{
	const struct mchain *m = c;

	n_read++;
	if (fail_read)
		return -EFAULT;
	CU_ASSERT_FATAL(off + len <= m->rd_len);
	memcpy(buf, m->rd + off, len);
	return 0;
}

static int all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

static int m_write(void *q, const void *c, uint64_t off, const void *buf,
		   uint64_t len)
{
	struct mchain *m = (struct mchain *)c;
	uint64_t resp_off = m->wr_len - (q ? CRESP : RESP);

	n_write++;
	if (fail_write)
		return -EFAULT;
	CU_ASSERT_FATAL(off + len <= m->wr_len);
	CU_ASSERT_FATAL(m->wr_len <= sizeof(m->wr));
	/* [SESS-KEY]: by the time the response is written, no key copy */
	if (off == resp_off && len && buf) {
		if (cur_req)
			key_wiped_at_resp = all_zero(cur_req->key_buf,
						     sizeof(cur_req->key_buf));
		if (cur_ckey)
			key_wiped_at_resp = all_zero(cur_ckey,
						     VIRTIO_ACCEL_DEV_MAX_KEY);
	}
	if (buf)
		memcpy(m->wr + off, buf, len);
	else
		memset(m->wr + off, 0, len);
	return 0;
}

static struct virtio_accel_dev_sess *m_get(void *q, uint64_t id)
{
	unsigned int i;

	for (i = 0; i < 2; i++)
		if (msess_id[i] == id) {
			n_get++;
			return &msess[i];
		}
	return NULL;
}

static void m_put(void *q, struct virtio_accel_dev_sess *s)
{
	n_put++;
}

static uint8_t m_create(void *q, const struct virtio_accel_ctrl *cc,
			const uint8_t *key, uint64_t *id)
{
	n_create++;
	memcpy(exec_key, key, cc->key_len);
	exec_key_len = cc->key_len;
	cur_ckey = key;
	*id = 0x42;
	return exec_status;
}

static uint8_t m_destroy(void *q, uint64_t id)
{
	n_destroy++;
	return id == 0x42 ? VIRTIO_ACCEL_OK : VIRTIO_ACCEL_INVSESS;
}

static int m_run(struct virtio_accel_dev_req *r)
{
	cur_req = r;
	exec_key_len = r->key_len;
	if (r->key_len)
		memcpy(exec_key, r->key, r->key_len);
	if (exec_status == VIRTIO_ACCEL_OK) {
		memset(out_buf, 0xab, exec_out);
		r->dst = out_buf;
		r->dst_used = exec_out;
		r->src_used = r->op.src_len;
	}
	return exec_status;
}

static int m_exec(void *q, const void *c, struct virtio_accel_dev_req *r)
{
	n_exec++;
	return m_run(r);
}

/* the asynchronous engine: holds the request when submit_pending is set */
static unsigned int n_submit;
static int submit_pending;
static struct virtio_accel_dev_req *held;

static int m_submit(void *q, const void *c, struct virtio_accel_dev_req *r)
{
	n_submit++;
	if (!submit_pending)
		return m_run(r);
	cur_req = r;
	exec_key_len = r->key_len;
	if (r->key_len)
		memcpy(exec_key, r->key, r->key_len);
	held = r;
	return VIRTIO_ACCEL_DEV_PENDING;
}

static int m_sexec(void *q, const void *c, struct virtio_accel_dev_req *r)
{
	n_sexec++;
	return m_run(r);
}

static void m_abort(void *q, struct virtio_accel_dev_sess *s)
{
	n_abort++;
}

static const char *m_engine(void *q, uint32_t op, uint32_t algo)
{
	return "mockengine";	/* longer than 8: cut */
}

static void m_error(void *q, uint32_t opcode, uint32_t algo,
		    uint64_t request_id, uint8_t st, int ctrl)
{
	n_err++;
}

static const struct virtio_accel_dev_ops mops = {
	.read = m_read, .write = m_write, .sess_get = m_get, .sess_put = m_put,
	.sess_create = m_create, .sess_destroy = m_destroy, .exec = m_exec,
	.stream_exec = m_sexec, .stream_abort = m_abort,
	.engine_name = m_engine, .error = m_error,
};

static const struct virtio_accel_dev_ops mops_async = {
	.read = m_read, .write = m_write, .sess_get = m_get, .sess_put = m_put,
	.sess_create = m_create, .sess_destroy = m_destroy, .exec = m_exec,
	.submit = m_submit, .stream_exec = m_sexec, .stream_abort = m_abort,
	.engine_name = m_engine, .error = m_error,
};

static struct virtio_accel_limits mlim;
static struct virtio_accel_dev mdev;

static void reset(void)
{
	memset(&ch, 0, sizeof(ch));
	memset(ch.wr, 0xee, sizeof(ch.wr));
	n_read = n_write = n_get = n_put = n_exec = n_sexec = n_abort = 0;
	n_create = n_destroy = n_err = 0;
	fail_read = fail_write = 0;
	exec_status = VIRTIO_ACCEL_OK;
	exec_out = 0;
	exec_key_len = 0;
	cur_req = NULL;
	cur_ckey = NULL;
	key_wiped_at_resp = -1;
	n_submit = 0;
	submit_pending = 0;
	held = NULL;
	memset(&mlim, 0, sizeof(mlim));
	mlim.implemented = ~0ull;
	mlim.max_data_len = 1024;
	mlim.max_aad_len = 64;
	mlim.stateless = 1;
	mlim.stream = 1;
	mlim.max_comp_streams = 4;
	mdev.ops = &mops;
	mdev.lim = &mlim;
	mdev.stream_ok = ~0ull;
	mdev.max_segments = 8;
	memset(msess, 0, sizeof(msess));
	msess[0].op = VIRTIO_ACCEL_OP_HASH;
	msess[0].algo = VIRTIO_ACCEL_ALG_SHA256;
	msess[0].flags = VIRTIO_ACCEL_SESS_F_STREAM;
	msess[1].op = VIRTIO_ACCEL_OP_AEAD_ENCRYPT;
	msess[1].algo = VIRTIO_ACCEL_ALG_AES256_GCM;
	msess[1].flags = VIRTIO_ACCEL_SESS_F_STREAM;
	msess[1].key_len = 32;
	memset(msess[1].key, 0x33, 32);
}

/*
 * A data request into ch; returns the core's result. With @ar, through
 * virtio_accel_dev_op_submit() with @ar the request's storage.
 */
static long op_at(struct virtio_accel_dev_req *ar, uint32_t opcode,
		  uint32_t algo, uint32_t flags, uint64_t sid,
		  uint32_t key_len, uint32_t iv_len, uint32_t src_len,
		  uint32_t dst_len)
{
	struct virtio_accel_op_req h;
	struct virtio_accel_dev_chain cl;
	long ret;

	memset(&h, 0, sizeof(h));
	h.opcode = htole32(opcode);
	h.algo = htole32(algo);
	h.flags = htole32(flags);
	h.session_id = htole64(sid);
	h.key_len = htole32(key_len);
	h.iv_len = htole32(iv_len);
	h.src_len = htole32(src_len);
	h.dst_len = htole32(dst_len);
	memcpy(ch.rd, &h, sizeof(h));
	memset(ch.rd + HDR, 0x77, key_len);
	memset(ch.rd + HDR + key_len, 0x11, iv_len + src_len);
	if (!ch.rd_len)
		ch.rd_len = HDR + key_len + iv_len + src_len;
	if (!ch.wr_len)
		ch.wr_len = dst_len + RESP;
	if (!ch.n_desc)
		ch.n_desc = 2;
	cl.rd_len = ch.rd_len;
	cl.wr_len = ch.wr_len;
	cl.n_desc = ch.n_desc;
	if (ar)
		return virtio_accel_dev_op_submit(&mdev, NULL, &ch, &cl, ar);
	ret = virtio_accel_dev_op(&mdev, NULL, &ch, &cl);
	cur_req = NULL;
	return ret;
}

static long op(uint32_t opcode, uint32_t algo, uint32_t flags, uint64_t sid,
	       uint32_t key_len, uint32_t iv_len, uint32_t src_len,
	       uint32_t dst_len)
{
	return op_at(NULL, opcode, algo, flags, sid, key_len, iv_len, src_len,
		     dst_len);
}

/* the response, copied: it may sit at any alignment */
static const struct virtio_accel_op_resp *resp(void)
{
	static struct virtio_accel_op_resp r;

	memcpy(&r, ch.wr + ch.wr_len - RESP, sizeof(r));
	return &r;
}

#define H VIRTIO_ACCEL_OP_HASH
#define SHA VIRTIO_ACCEL_ALG_SHA256
#define FINAL VIRTIO_ACCEL_OP_F_FINAL

/* [REQ-SHORT], [REQ-HUGE]: no response, nothing read or written */
static void t_dev_short_huge(void)
{
	reset();
	ch.wr_len = RESP - 1;
	CU_ASSERT_EQUAL(op(H, SHA, 0, 0, 0, 0, 8, 32), 0);
	reset();
	ch.wr_len = 1024 + RESP + 1;
	CU_ASSERT_EQUAL(op(H, SHA, 0, 0, 0, 0, 8, 32), 0);
	CU_ASSERT_EQUAL(n_read + n_write + n_get, 0);
}

/* [REQ-SEGS]: BADMSG, nothing read, no session looked up, all zeroed */
static void t_dev_segs(void)
{
	reset();
	msess[0].stream_active = 1;
	ch.n_desc = 9;
	CU_ASSERT_EQUAL(op(H, SHA, 0, msess_id[0], 0, 0, 8, 0), RESP);
	CU_ASSERT_EQUAL(resp()->status, VIRTIO_ACCEL_BADMSG);
	CU_ASSERT_EQUAL(n_read + n_get + n_abort, 0);
	CU_ASSERT_EQUAL(msess[0].stream_active, 1);
	CU_ASSERT_EQUAL(n_err, 1);
}

/*
 * [STREAM-ERR] (a): a rejection by the validator (bad header, unknown
 * opcode, another opcode naming a stream session) leaves the stream alone;
 * a failure after the engine took data aborts it.
 */
static void t_dev_stream_abort_rules(void)
{
	struct virtio_accel_op_req *h = (void *)ch.rd;

	reset();
	msess[0].stream_active = 1;
	msess[0].stream_len = 100;
	/* reserved byte set */
	ch.rd[offsetof(struct virtio_accel_op_req, reserved)] = 1;
	ch.rd_len = HDR + 8;
	ch.wr_len = RESP;
	{
		struct virtio_accel_dev_chain cl = { HDR + 8, RESP, 2 };

		memset(h, 0, offsetof(struct virtio_accel_op_req, reserved));
		h->opcode = htole32(H);
		h->algo = htole32(SHA);
		h->session_id = htole64(msess_id[0]);
		h->src_len = htole32(8);
		CU_ASSERT_EQUAL(virtio_accel_dev_op(&mdev, NULL, &ch, &cl),
				RESP);
	}
	CU_ASSERT_EQUAL(resp()->status, VIRTIO_ACCEL_BADMSG);
	/* another opcode naming the stream session */
	reset();
	msess[0].stream_active = 1;
	msess[0].stream_len = 100;
	CU_ASSERT_EQUAL(op(VIRTIO_ACCEL_OP_NULL, 0, 0, msess_id[0], 0, 0, 8,
			   8), 8 + RESP);
	CU_ASSERT_EQUAL(resp()->status, VIRTIO_ACCEL_INVSESS);
	/* an unknown opcode */
	CU_ASSERT_EQUAL(op(99, 0, 0, msess_id[0], 0, 0, 8, 8), 8 + RESP);
	CU_ASSERT_EQUAL(resp()->status, VIRTIO_ACCEL_NOTSUPP);
	/* a bad dst_len for a FINAL request */
	reset();
	msess[0].stream_active = 1;
	msess[0].stream_len = 100;
	CU_ASSERT_EQUAL(op(H, SHA, FINAL, msess_id[0], 0, 0, 8, 31), 31 + RESP);
	CU_ASSERT_EQUAL(resp()->status, VIRTIO_ACCEL_BADMSG);
	CU_ASSERT_EQUAL(n_abort + n_exec + n_sexec, 0);
	CU_ASSERT_EQUAL(msess[0].stream_active, 1);
	CU_ASSERT_EQUAL(msess[0].stream_len, 100);
	CU_ASSERT_EQUAL(n_get, n_put);
	/* the engine fails on the stream's data: aborted */
	reset();
	msess[0].stream_active = 1;
	msess[0].stream_len = 100;
	exec_status = VIRTIO_ACCEL_ERR;
	CU_ASSERT_EQUAL(op(H, SHA, 0, msess_id[0], 0, 0, 8, 0), RESP);
	CU_ASSERT_EQUAL(resp()->status, VIRTIO_ACCEL_ERR);
	CU_ASSERT_EQUAL(n_sexec, 1);
	CU_ASSERT_EQUAL(n_abort, 1);
	CU_ASSERT_EQUAL(msess[0].stream_active, 0);
	CU_ASSERT_EQUAL(msess[0].stream_len, 0);
	CU_ASSERT_EQUAL(n_get, n_put);
	/* a one-shot failure aborts nothing */
	reset();
	exec_status = VIRTIO_ACCEL_ERR;
	CU_ASSERT_EQUAL(op(H, SHA, 0, 0, 0, 0, 8, 32), 32 + RESP);
	CU_ASSERT_EQUAL(n_exec, 1);
	CU_ASSERT_EQUAL(n_abort, 0);
}

/* where a stream starts and ends; the bytes it carried */
static void t_dev_stream_progress(void)
{
	reset();
	exec_out = 0;
	CU_ASSERT_EQUAL(op(H, SHA, 0, msess_id[0], 0, 0, 8, 0), RESP);
	CU_ASSERT_EQUAL(resp()->status, VIRTIO_ACCEL_OK);
	CU_ASSERT_EQUAL(msess[0].stream_active, 1);
	CU_ASSERT_EQUAL(msess[0].stream_len, 8);
	CU_ASSERT_EQUAL(resp()->flags, 0);
	exec_out = 32;
	memset(ch.wr, 0xee, sizeof(ch.wr));
	ch.rd_len = ch.wr_len = 0;
	CU_ASSERT_EQUAL(op(H, SHA, FINAL, msess_id[0], 0, 0, 8, 32),
			32 + RESP);
	CU_ASSERT_EQUAL(resp()->status, VIRTIO_ACCEL_OK);
	CU_ASSERT_EQUAL(resp()->flags, VIRTIO_ACCEL_RESP_F_STREAM_END);
	CU_ASSERT_EQUAL(msess[0].stream_active, 0);
	CU_ASSERT_EQUAL(msess[0].stream_len, 0);
	CU_ASSERT_EQUAL(n_sexec, 2);
	CU_ASSERT_EQUAL(n_abort, 0);
}

/* [STREAM-GCM-MAX] (c): BADMSG past 2^36 - 32 bytes, the stream aborted */
static void t_dev_gcm_max(void)
{
	const uint32_t E = VIRTIO_ACCEL_OP_AEAD_ENCRYPT;
	const uint32_t G = VIRTIO_ACCEL_ALG_AES256_GCM;

	reset();
	msess[1].stream_active = 1;
	msess[1].stream_len = VIRTIO_ACCEL_GCM_STREAM_MAX - 16;
	exec_out = 16;
	CU_ASSERT_EQUAL(op(E, G, 0, msess_id[1], 0, 0, 16, 16), 16 + RESP);
	CU_ASSERT_EQUAL(resp()->status, VIRTIO_ACCEL_OK);	/* at the limit */
	CU_ASSERT_EQUAL(msess[1].stream_len, VIRTIO_ACCEL_GCM_STREAM_MAX);
	ch.rd_len = ch.wr_len = 0;
	CU_ASSERT_EQUAL(op(E, G, 0, msess_id[1], 0, 0, 1, 1), 1 + RESP);
	CU_ASSERT_EQUAL(resp()->status, VIRTIO_ACCEL_BADMSG);
	CU_ASSERT_EQUAL(n_sexec, 1);	/* the engine never saw it */
	CU_ASSERT_EQUAL(n_abort, 1);
	CU_ASSERT_EQUAL(msess[1].stream_active, 0);
	CU_ASSERT_EQUAL(ch.wr[0], 0);
	/* a new stream starts from 0 */
	ch.rd_len = ch.wr_len = 0;
	exec_out = 1;
	CU_ASSERT_EQUAL(op(E, G, 0, msess_id[1], 0, 12, 1, 1), 1 + RESP);
	CU_ASSERT_EQUAL(resp()->status, VIRTIO_ACCEL_OK);
	CU_ASSERT_EQUAL(msess[1].stream_len, 1);
}

/* [SESS-KEY] (b): the inline key copy is wiped before the response */
static void t_dev_key_wipe(void)
{
	const uint32_t M = VIRTIO_ACCEL_OP_MAC;
	const uint32_t HM = VIRTIO_ACCEL_ALG_HMAC_SHA256;

	reset();
	exec_out = 32;
	CU_ASSERT_EQUAL(op(M, HM, 0, 0, 20, 0, 8, 32), 32 + RESP);
	CU_ASSERT_EQUAL(resp()->status, VIRTIO_ACCEL_OK);
	CU_ASSERT_EQUAL(exec_key_len, 20);
	CU_ASSERT_EQUAL(exec_key[0], 0x77);	/* the engine had the key */
	CU_ASSERT_EQUAL(key_wiped_at_resp, 1);
	/* and when the engine fails */
	reset();
	exec_status = VIRTIO_ACCEL_AUTH_FAILED;
	CU_ASSERT_EQUAL(op(M, HM, 0, 0, 20, 0, 8, 32), 32 + RESP);
	CU_ASSERT_EQUAL(resp()->status, VIRTIO_ACCEL_AUTH_FAILED);
	CU_ASSERT_EQUAL(key_wiped_at_resp, 1);
	/* a session's key is the session's */
	reset();
	exec_out = 16;
	CU_ASSERT_EQUAL(op(VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
			   VIRTIO_ACCEL_ALG_AES256_GCM, 0, msess_id[1], 0, 12,
			   16, 16), 16 + RESP);
	CU_ASSERT_EQUAL(exec_key_len, 32);
	CU_ASSERT_EQUAL(exec_key[0], 0x33);
}

/* [VQ-USED-LEN], [ST-NOLEAK]: output, zeros, response; overrun is ERR */
static void t_dev_fill(void)
{
	reset();
	exec_out = 3;
	CU_ASSERT_EQUAL(op(VIRTIO_ACCEL_OP_COMPRESS, VIRTIO_ACCEL_ALG_DEFLATE,
			   0, 0, 0, 0, 8, 10), 10 + RESP);
	CU_ASSERT_EQUAL(resp()->status, VIRTIO_ACCEL_OK);
	CU_ASSERT_EQUAL(le32toh(resp()->dst_used), 3);
	CU_ASSERT_EQUAL(le32toh(resp()->src_used), 8);
	CU_ASSERT_EQUAL(ch.wr[0], 0xab);
	CU_ASSERT_EQUAL(ch.wr[2], 0xab);
	CU_ASSERT(all_zero(ch.wr + 3, 7));
	/* an engine that claims more than dst holds: ERR, nothing out */
	reset();
	exec_out = 11;
	CU_ASSERT_EQUAL(op(VIRTIO_ACCEL_OP_COMPRESS, VIRTIO_ACCEL_ALG_DEFLATE,
			   0, 0, 0, 0, 8, 10), 10 + RESP);
	CU_ASSERT_EQUAL(resp()->status, VIRTIO_ACCEL_ERR);
	CU_ASSERT_EQUAL(resp()->dst_used, 0);
	CU_ASSERT(all_zero(ch.wr, 10));
}

/* memory that vanished: the errno, every session reference dropped */
static void t_dev_mem_error(void)
{
	reset();
	fail_read = 1;
	CU_ASSERT_EQUAL(op(H, SHA, 0, 0, 0, 0, 8, 32), -EFAULT);
	reset();
	msess[1].stream_active = 1;
	fail_write = 1;
	exec_out = 16;
	CU_ASSERT_EQUAL(op(VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
			   VIRTIO_ACCEL_ALG_AES256_GCM, 0, msess_id[1], 0, 0,
			   16, 16), -EFAULT);
	CU_ASSERT_EQUAL(n_get, 1);
	CU_ASSERT_EQUAL(n_put, 1);
}

static long ctrl(uint32_t opcode, uint32_t opv, uint32_t algo,
		 uint32_t flags, uint64_t sid, uint32_t key_len,
		 uint64_t wr_len)
{
	struct virtio_accel_ctrl_req h;
	struct virtio_accel_dev_chain cl;
	long ret;

	memset(&h, 0, sizeof(h));
	h.opcode = htole32(opcode);
	h.op = htole32(opv);
	h.algo = htole32(algo);
	h.flags = htole32(flags);
	h.session_id = htole64(sid);
	h.key_len = htole32(key_len);
	memcpy(ch.rd, &h, sizeof(h));
	memset(ch.rd + CHDR, 0x55, key_len);
	ch.rd_len = CHDR + key_len;
	ch.wr_len = wr_len;
	if (!ch.n_desc)
		ch.n_desc = 2;
	cl.rd_len = ch.rd_len;
	cl.wr_len = ch.wr_len;
	cl.n_desc = ch.n_desc;
	/* q = &ch: m_write knows the response is 16 bytes */
	ret = virtio_accel_dev_ctrl(&mdev, &ch, &ch, &cl);
	cur_ckey = NULL;
	return ret;
}

static const struct virtio_accel_ctrl_resp *cresp(void)
{
	static struct virtio_accel_ctrl_resp r;

	memcpy(&r, ch.wr + ch.wr_len - CRESP, sizeof(r));
	return &r;
}

static void t_dev_ctrl(void)
{
	const struct virtio_accel_cap *cap = (const void *)ch.wr;
	unsigned int n;

	/* [CTRL-CAPS]: every implemented pair, engine name cut at 8 */
	reset();
	virtio_accel_alg_table(&n);
	CU_ASSERT_EQUAL(ctrl(VIRTIO_ACCEL_CTRL_GET_CAPS, 0, 0, 0, 0, 0,
			     CRESP + 4096), CRESP + 4096);
	CU_ASSERT_EQUAL(cresp()->status, VIRTIO_ACCEL_OK);
	CU_ASSERT_EQUAL(le32toh(cresp()->len), n * sizeof(*cap));
	CU_ASSERT_EQUAL(memcmp(cap[0].engine, "mockengi", 8), 0);
	CU_ASSERT(all_zero(ch.wr + n * sizeof(*cap),
			   4096 - n * sizeof(*cap)));
	/* too small: NOSPC with the length needed, nothing but zeros */
	reset();
	CU_ASSERT_EQUAL(ctrl(VIRTIO_ACCEL_CTRL_GET_CAPS, 0, 0, 0, 0, 0,
			     CRESP + 64), CRESP + 64);
	CU_ASSERT_EQUAL(cresp()->status, VIRTIO_ACCEL_NOSPC);
	CU_ASSERT_EQUAL(le32toh(cresp()->len), n * sizeof(*cap));
	CU_ASSERT(all_zero(ch.wr, 64));
	/* CREATE: the key reaches the store, the core's copy is wiped */
	reset();
	CU_ASSERT_EQUAL(ctrl(VIRTIO_ACCEL_CTRL_CREATE_SESSION,
			     VIRTIO_ACCEL_OP_MAC,
			     VIRTIO_ACCEL_ALG_HMAC_SHA256, 0, 0, 20, CRESP),
			CRESP);
	CU_ASSERT_EQUAL(cresp()->status, VIRTIO_ACCEL_OK);
	CU_ASSERT_EQUAL(le64toh(cresp()->session_id), 0x42);
	CU_ASSERT_EQUAL(exec_key_len, 20);
	CU_ASSERT_EQUAL(exec_key[19], 0x55);
	CU_ASSERT_EQUAL(key_wiped_at_resp, 1);
	/* a pair the host cannot stream: NOTSUPP, nothing created */
	reset();
	mdev.stream_ok = 0;
	CU_ASSERT_EQUAL(ctrl(VIRTIO_ACCEL_CTRL_CREATE_SESSION, H, SHA,
			     VIRTIO_ACCEL_SESS_F_STREAM, 0, 0, CRESP), CRESP);
	CU_ASSERT_EQUAL(cresp()->status, VIRTIO_ACCEL_NOTSUPP);
	CU_ASSERT_EQUAL(n_create, 0);
	/* a failed create returns no id */
	reset();
	exec_status = VIRTIO_ACCEL_NOSPC;
	CU_ASSERT_EQUAL(ctrl(VIRTIO_ACCEL_CTRL_CREATE_SESSION, H, SHA, 0, 0, 0,
			     CRESP), CRESP);
	CU_ASSERT_EQUAL(cresp()->status, VIRTIO_ACCEL_NOSPC);
	CU_ASSERT_EQUAL(cresp()->session_id, 0);
	/* DESTROY */
	reset();
	CU_ASSERT_EQUAL(ctrl(VIRTIO_ACCEL_CTRL_DESTROY_SESSION, 0, 0, 0, 0x42,
			     0, CRESP), CRESP);
	CU_ASSERT_EQUAL(cresp()->status, VIRTIO_ACCEL_OK);
	CU_ASSERT_EQUAL(ctrl(VIRTIO_ACCEL_CTRL_DESTROY_SESSION, 0, 0, 0, 0x43,
			     0, CRESP), CRESP);
	CU_ASSERT_EQUAL(cresp()->status, VIRTIO_ACCEL_INVSESS);
	/* [REQ-SEGS], [REQ-SHORT], [REQ-HUGE] */
	reset();
	ch.n_desc = 9;
	CU_ASSERT_EQUAL(ctrl(VIRTIO_ACCEL_CTRL_DESTROY_SESSION, 0, 0, 0, 0x42,
			     0, CRESP), CRESP);
	CU_ASSERT_EQUAL(cresp()->status, VIRTIO_ACCEL_BADMSG);
	CU_ASSERT_EQUAL(n_destroy + n_read, 0);
	reset();
	CU_ASSERT_EQUAL(ctrl(VIRTIO_ACCEL_CTRL_GET_CAPS, 0, 0, 0, 0, 0,
			     CRESP - 1), 0);
	CU_ASSERT_EQUAL(ctrl(VIRTIO_ACCEL_CTRL_GET_CAPS, 0, 0, 0, 0, 0,
			     VIRTIO_ACCEL_CTRL_MAX_WR_LEN + 1), 0);
	CU_ASSERT_EQUAL(n_read + n_write, 0);
	/* memory gone */
	reset();
	fail_write = 1;
	CU_ASSERT_EQUAL(ctrl(VIRTIO_ACCEL_CTRL_GET_CAPS, 0, 0, 0, 0, 0,
			     CRESP + 4096), -EFAULT);
}

/*
 * Asynchronous one-shot requests: submit() holds the request, nothing is
 * written and the session stays held until virtio_accel_dev_op_finish(),
 * which writes output, zeros and the response as the synchronous path does.
 */
static void t_dev_async_pending(void)
{
	const uint32_t E = VIRTIO_ACCEL_OP_AEAD_ENCRYPT;
	const uint32_t G = VIRTIO_ACCEL_ALG_AES256_GCM;
	struct virtio_accel_dev_req ar;

	reset();
	mdev.ops = &mops_async;
	msess[1].flags = 0;	/* a one-shot session */
	submit_pending = 1;
	CU_ASSERT_EQUAL(op_at(&ar, E, G, 0, msess_id[1], 0, 12, 4, 20),
			VIRTIO_ACCEL_DEV_PENDING);
	CU_ASSERT_EQUAL(n_submit, 1);
	CU_ASSERT_EQUAL(n_exec, 0);
	CU_ASSERT_PTR_EQUAL(held, &ar);
	CU_ASSERT_EQUAL(exec_key_len, 32);	/* the session's key */
	CU_ASSERT_EQUAL(n_write, 0);		/* nothing written yet */
	CU_ASSERT_EQUAL(n_get, 1);
	CU_ASSERT_EQUAL(n_put, 0);		/* held until completion */
	CU_ASSERT_EQUAL(ch.wr[0], 0xee);
	/* the engine completes: output, zeros to the end of dst, response */
	memset(out_buf, 0xcd, 16);
	ar.dst = out_buf;
	ar.dst_used = 16;
	ar.src_used = 4;
	CU_ASSERT_EQUAL(virtio_accel_dev_op_finish(&mdev, NULL, &ch, &ar,
						   VIRTIO_ACCEL_OK), 20 + RESP);
	CU_ASSERT_EQUAL(n_put, 1);
	CU_ASSERT_PTR_NULL(ar.sess);
	CU_ASSERT_EQUAL(resp()->status, VIRTIO_ACCEL_OK);
	CU_ASSERT_EQUAL(le32toh(resp()->dst_used), 16);
	CU_ASSERT_EQUAL(le32toh(resp()->src_used), 4);
	CU_ASSERT_EQUAL(ch.wr[0], 0xcd);
	CU_ASSERT_EQUAL(ch.wr[15], 0xcd);
	CU_ASSERT(all_zero(ch.wr + 16, 4));
	CU_ASSERT_EQUAL(n_err, 0);
	/* a submit() that completes at once is a synchronous request */
	reset();
	mdev.ops = &mops_async;
	exec_out = 32;
	CU_ASSERT_EQUAL(op_at(&ar, H, SHA, 0, 0, 0, 0, 8, 32), 32 + RESP);
	CU_ASSERT_EQUAL(n_submit, 1);
	CU_ASSERT_EQUAL(resp()->status, VIRTIO_ACCEL_OK);
	CU_ASSERT_EQUAL(ch.wr[31], 0xab);
	/* several in flight, completed out of order */
	{
		struct virtio_accel_dev_req a2[3];
		int i;

		reset();
		mdev.ops = &mops_async;
		msess[1].flags = 0;
		submit_pending = 1;
		for (i = 0; i < 3; i++)
			CU_ASSERT_EQUAL(op_at(&a2[i], E, G, 0, msess_id[1], 0,
					      12, 16, 32),
					VIRTIO_ACCEL_DEV_PENDING);
		CU_ASSERT_EQUAL(n_get, 3);
		CU_ASSERT_EQUAL(n_put, 0);
		for (i = 2; i >= 0; i--) {
			a2[i].dst_used = 0;
			CU_ASSERT_EQUAL(virtio_accel_dev_op_finish(&mdev, NULL,
					&ch, &a2[i], VIRTIO_ACCEL_OK),
					32 + RESP);
			CU_ASSERT_EQUAL(n_put, 3 - i);
		}
	}
	mdev.ops = &mops;
}

/* stream requests stay synchronous; without submit(), exec() as before */
static void t_dev_async_stream_sync(void)
{
	struct virtio_accel_dev_req ar;

	reset();
	mdev.ops = &mops_async;
	submit_pending = 1;
	CU_ASSERT_EQUAL(op_at(&ar, H, SHA, 0, msess_id[0], 0, 0, 8, 0), RESP);
	CU_ASSERT_EQUAL(n_submit, 0);
	CU_ASSERT_EQUAL(n_sexec, 1);
	CU_ASSERT_EQUAL(msess[0].stream_active, 1);
	CU_ASSERT_EQUAL(n_get, n_put);
	/* a host without submit(): never pending */
	reset();
	submit_pending = 1;
	exec_out = 32;
	CU_ASSERT_EQUAL(op_at(&ar, H, SHA, 0, 0, 0, 0, 8, 32), 32 + RESP);
	CU_ASSERT_EQUAL(n_exec, 1);
	CU_ASSERT_EQUAL(n_submit, 0);
	/* a rejection by the validator never reaches the engine */
	reset();
	mdev.ops = &mops_async;
	submit_pending = 1;
	CU_ASSERT_EQUAL(op_at(&ar, H, SHA, FINAL, 0, 0, 0, 8, 31), 31 + RESP);
	CU_ASSERT_EQUAL(resp()->status, VIRTIO_ACCEL_BADMSG);
	CU_ASSERT_EQUAL(n_submit, 0);
	mdev.ops = &mops;
}

/* [SESS-KEY]: an inline key stays for the engine, wiped before the response */
static void t_dev_async_key_wipe(void)
{
	const uint32_t M = VIRTIO_ACCEL_OP_MAC;
	const uint32_t HM = VIRTIO_ACCEL_ALG_HMAC_SHA256;
	struct virtio_accel_dev_req ar;
	uint8_t st[] = { VIRTIO_ACCEL_OK, VIRTIO_ACCEL_AUTH_FAILED };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		reset();
		mdev.ops = &mops_async;
		submit_pending = 1;
		CU_ASSERT_EQUAL(op_at(&ar, M, HM, 0, 0, 20, 0, 8, 32),
				VIRTIO_ACCEL_DEV_PENDING);
		/* the engine still reads the key: not wiped yet */
		CU_ASSERT_PTR_EQUAL(ar.key, ar.key_buf);
		CU_ASSERT_EQUAL(ar.key_buf[19], 0x77);
		ar.dst = out_buf;
		ar.dst_used = 32;
		CU_ASSERT_EQUAL(virtio_accel_dev_op_finish(&mdev, NULL, &ch,
							   &ar, st[i]),
				32 + RESP);
		CU_ASSERT_EQUAL(resp()->status, st[i]);
		CU_ASSERT_EQUAL(key_wiped_at_resp, 1);
		CU_ASSERT(all_zero(ar.key_buf, sizeof(ar.key_buf)));
	}
	mdev.ops = &mops;
}

/*
 * Errors at completion: a status is applied as exec()'s (zeros, no output,
 * the error hook); an errno (memory gone) is returned; the session is put
 * either way.
 */
static void t_dev_async_errors(void)
{
	const uint32_t E = VIRTIO_ACCEL_OP_AEAD_ENCRYPT;
	const uint32_t G = VIRTIO_ACCEL_ALG_AES256_GCM;
	struct virtio_accel_dev_req ar;

	reset();
	mdev.ops = &mops_async;
	msess[1].flags = 0;
	submit_pending = 1;
	CU_ASSERT_EQUAL(op_at(&ar, E, G, 0, msess_id[1], 0, 12, 16, 32),
			VIRTIO_ACCEL_DEV_PENDING);
	ar.dst = out_buf;	/* whatever the engine left: not written */
	ar.dst_used = 16;
	ar.src_used = 16;
	CU_ASSERT_EQUAL(virtio_accel_dev_op_finish(&mdev, NULL, &ch, &ar,
						   VIRTIO_ACCEL_ERR),
			32 + RESP);
	CU_ASSERT_EQUAL(resp()->status, VIRTIO_ACCEL_ERR);
	CU_ASSERT_EQUAL(resp()->dst_used, 0);
	CU_ASSERT_EQUAL(resp()->src_used, 0);
	CU_ASSERT(all_zero(ch.wr, 32));
	CU_ASSERT_EQUAL(n_err, 1);
	CU_ASSERT_EQUAL(n_put, 1);
	/* an engine that overran dst: ERR */
	reset();
	mdev.ops = &mops_async;
	submit_pending = 1;
	CU_ASSERT_EQUAL(op_at(&ar, H, SHA, 0, 0, 0, 0, 8, 32),
			VIRTIO_ACCEL_DEV_PENDING);
	ar.dst = out_buf;
	ar.dst_used = 33;
	CU_ASSERT_EQUAL(virtio_accel_dev_op_finish(&mdev, NULL, &ch, &ar,
						   VIRTIO_ACCEL_OK), 32 + RESP);
	CU_ASSERT_EQUAL(resp()->status, VIRTIO_ACCEL_ERR);
	CU_ASSERT(all_zero(ch.wr, 32));
	/* memory gone at completion: the errno, the session put */
	reset();
	mdev.ops = &mops_async;
	msess[1].flags = 0;
	submit_pending = 1;
	CU_ASSERT_EQUAL(op_at(&ar, E, G, 0, msess_id[1], 0, 12, 16, 32),
			VIRTIO_ACCEL_DEV_PENDING);
	CU_ASSERT_EQUAL(virtio_accel_dev_op_finish(&mdev, NULL, &ch, &ar,
						   -EFAULT), -EFAULT);
	CU_ASSERT_EQUAL(n_put, 1);
	CU_ASSERT_EQUAL(n_write, 0);
	reset();
	mdev.ops = &mops_async;
	msess[1].flags = 0;
	submit_pending = 1;
	CU_ASSERT_EQUAL(op_at(&ar, VIRTIO_ACCEL_OP_MAC,
			      VIRTIO_ACCEL_ALG_HMAC_SHA256, 0, 0, 20, 0, 8, 32),
			VIRTIO_ACCEL_DEV_PENDING);
	CU_ASSERT_EQUAL(ar.key_buf[0], 0x77);
	fail_write = 1;
	ar.dst_used = 0;
	CU_ASSERT_EQUAL(virtio_accel_dev_op_finish(&mdev, NULL, &ch, &ar,
						   VIRTIO_ACCEL_OK), -EFAULT);
	CU_ASSERT_EQUAL(n_put, n_get);
	CU_ASSERT(all_zero(ar.key_buf, sizeof(ar.key_buf)));
	/* submit() failing at once (memory): the errno, nothing held */
	reset();
	mdev.ops = &mops_async;
	msess[1].flags = 0;
	fail_read = 1;
	CU_ASSERT_EQUAL(op_at(&ar, E, G, 0, msess_id[1], 0, 12, 16, 32),
			-EFAULT);
	CU_ASSERT_EQUAL(n_submit, 0);
	mdev.ops = &mops;
}

static void t_dev_wipe(void)
{
	uint8_t b[37];

	memset(b, 0xff, sizeof(b));
	virtio_accel_wipe(b, sizeof(b));
	CU_ASSERT(all_zero(b, sizeof(b)));
}

void register_dev_tests(void)
{
	ADD_SUITE("device-core", NULL, NULL);
	ADD_TEST(t_dev_short_huge);
	ADD_TEST(t_dev_segs);
	ADD_TEST(t_dev_stream_abort_rules);
	ADD_TEST(t_dev_stream_progress);
	ADD_TEST(t_dev_gcm_max);
	ADD_TEST(t_dev_key_wipe);
	ADD_TEST(t_dev_fill);
	ADD_TEST(t_dev_mem_error);
	ADD_TEST(t_dev_ctrl);
	ADD_TEST(t_dev_wipe);
	ADD_TEST(t_dev_async_pending);
	ADD_TEST(t_dev_async_stream_sync);
	ADD_TEST(t_dev_async_key_wipe);
	ADD_TEST(t_dev_async_errors);
}
