// SPDX-License-Identifier: BSD-3-Clause
/*
 * Unit tests of the back-end's request and session logic
 * (vhost-user-backend/src/op.c, ctrl.c) with mock engines: engine failures
 * and overruns, the response and zero-fill rules, [REQ-SHORT]/[REQ-HUGE],
 * the session table (exhaustion, unique ids, key wiping, reset) and stream
 * abort. The engines, DPDK's allocator and the logger are mock_backend.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "mock_backend.h"
#include "backend_fixture.h"
#include "../../vhost-user-backend/src/backend.h"

/* ---- a device, a queue and requests over plain buffers ------------------- */

static struct va_dev dev;
static struct va_vq vq;
static uint8_t rd[4096], wr[70000];
static struct va_iov iov[2];
static struct va_chain ch;

static int be_init(void)
{
	return fixture_dev_init(&dev, &vq);
}

static int be_fini(void)
{
	fixture_dev_fini(&vq);
	return 0;
}

/* Chain: readable = rd[0 .. rd_len), writable = wr[0 .. wr_len). */
static void chain(uint32_t rd_len, uint32_t wr_len)
{
	fixture_chain(&ch, iov, rd, rd_len, wr, wr_len);
}

static uint32_t op_req(uint32_t opcode, uint32_t algo, uint64_t sid,
		       uint32_t key_len, uint32_t src_len, uint32_t dst_len)
{
	struct virtio_accel_op_req h = { 0 };

	h.opcode = htole32(opcode);
	h.algo = htole32(algo);
	h.session_id = htole64(sid);
	h.key_len = htole32(key_len);
	h.src_len = htole32(src_len);
	h.dst_len = htole32(dst_len);
	memcpy(rd, &h, sizeof(h));
	memset(rd + sizeof(h), 0x11, key_len + src_len);
	chain(sizeof(h) + key_len + src_len, dst_len + 16);
	memset(wr, 0xee, sizeof(wr));
	return va_op_process(&dev, &vq, &ch);
}

/* The response after @dst_len bytes of dst (copied: it may be unaligned). */
static struct virtio_accel_op_resp *resp_at(uint32_t dst_len)
{
	static struct virtio_accel_op_resp r;

	memcpy(&r, wr + dst_len, sizeof(r));
	return &r;
}

static int all(const uint8_t *p, size_t n, uint8_t v)
{
	while (n--)
		if (*p++ != v)
			return 0;
	return 1;
}

/* ---- data requests ------------------------------------------------------- */

static void t_engine_ok(void)
{
	uint32_t used;

	mock_status = VIRTIO_ACCEL_OK;
	mock_dst_used = 20;
	used = op_req(VIRTIO_ACCEL_OP_COMPRESS, VIRTIO_ACCEL_ALG_DEFLATE, 0, 0,
		      100, 64);
	CU_ASSERT_EQUAL(used, 64 + 16);
	CU_ASSERT_EQUAL(resp_at(64)->status, VIRTIO_ACCEL_OK);
	CU_ASSERT_EQUAL(le32toh(resp_at(64)->dst_used), 20);
	CU_ASSERT_EQUAL(le32toh(resp_at(64)->src_used), 100);
	CU_ASSERT(all(wr, 20, mock_fill));
	/* [VQ-USED-LEN]: zeros between the output and the response */
	CU_ASSERT(all(wr + 20, 44, 0));
	CU_ASSERT(all(resp_at(64)->reserved, 6, 0));
	/* nothing beyond the writable part */
	CU_ASSERT(all(wr + 80, 100, 0xee));
}

/* [ST-DEFINED], [ST-NOLEAK]: an engine failure is ERR with dst zeroed */
static void t_engine_fail(void)
{
	unsigned int before = mock_crypto_calls;

	mock_status = VIRTIO_ACCEL_ERR;
	CU_ASSERT_EQUAL(op_req(VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_SHA256, 0,
			       0, 100, 32), 48);
	CU_ASSERT_EQUAL(mock_crypto_calls, before + 1);
	CU_ASSERT_EQUAL(resp_at(32)->status, VIRTIO_ACCEL_ERR);
	CU_ASSERT(all(wr, 32, 0));
	CU_ASSERT_EQUAL(resp_at(32)->dst_used, 0);
	/* whatever the engine wrote before failing is not released */
	mock_status = VIRTIO_ACCEL_AUTH_FAILED;
	CU_ASSERT_EQUAL(op_req(VIRTIO_ACCEL_OP_COMPRESS,
			       VIRTIO_ACCEL_ALG_DEFLATE, 0, 0, 10, 64), 80);
	CU_ASSERT_EQUAL(resp_at(64)->status, VIRTIO_ACCEL_AUTH_FAILED);
	CU_ASSERT(all(wr, 64, 0));
}

/* An engine that claims more output than dst holds must not overrun. */
static void t_engine_overrun(void)
{
	mock_status = VIRTIO_ACCEL_OK;
	mock_dst_used = 65;
	CU_ASSERT_EQUAL(op_req(VIRTIO_ACCEL_OP_COMPRESS,
			       VIRTIO_ACCEL_ALG_DEFLATE, 0, 0, 100, 64), 80);
	CU_ASSERT_EQUAL(resp_at(64)->status, VIRTIO_ACCEL_ERR);
	CU_ASSERT(all(wr, 64, 0));
	CU_ASSERT(all(wr + 80, 100, 0xee));
}

/* Invalid requests never reach an engine. */
static void t_invalid_not_run(void)
{
	unsigned int c0 = mock_crypto_calls, z0 = mock_comp_calls;

	mock_status = VIRTIO_ACCEL_OK;
	op_req(VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_SHA256, 0, 0, 100, 31);
	CU_ASSERT_EQUAL(resp_at(31)->status, VIRTIO_ACCEL_BADMSG);
	op_req(VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_SHA256, 0x777, 0, 100, 32);
	CU_ASSERT_EQUAL(resp_at(32)->status, VIRTIO_ACCEL_INVSESS);
	op_req(99, 0, 0, 0, 0, 0);
	CU_ASSERT_EQUAL(resp_at(0)->status, VIRTIO_ACCEL_NOTSUPP);
	CU_ASSERT_EQUAL(mock_crypto_calls, c0);
	CU_ASSERT_EQUAL(mock_comp_calls, z0);
}

/* [REQ-SHORT], [REQ-HUGE]: nothing written, used len 0 */
static void t_short_huge(void)
{
	struct virtio_accel_op_req h = { 0 };

	memcpy(rd, &h, sizeof(h));
	chain(64, 15);
	memset(wr, 0xee, sizeof(wr));
	CU_ASSERT_EQUAL(va_op_process(&dev, &vq, &ch), 0);
	CU_ASSERT(all(wr, 15, 0xee));
	chain(64, 0);
	CU_ASSERT_EQUAL(va_op_process(&dev, &vq, &ch), 0);
	chain(64, va_opts.max_data_len + 17);
	CU_ASSERT_EQUAL(va_op_process(&dev, &vq, &ch), 0);
	CU_ASSERT(all(wr, va_opts.max_data_len + 17, 0xee));
	/* [REQ-SEGS] */
	chain(64, 16);
	ch.n_desc = 129;
	CU_ASSERT_EQUAL(va_op_process(&dev, &vq, &ch), 16);
	CU_ASSERT_EQUAL(resp_at(0)->status, VIRTIO_ACCEL_BADMSG);
}

/* ---- control queue and sessions ------------------------------------------ */

static uint8_t ctrl(uint32_t opcode, uint32_t op, uint32_t algo,
		    uint32_t flags, uint64_t sid, const uint8_t *key,
		    uint32_t key_len, uint64_t *out_id)
{
	struct virtio_accel_ctrl_req h = { 0 };
	struct virtio_accel_ctrl_resp r;

	h.opcode = htole32(opcode);
	h.op = htole32(op);
	h.algo = htole32(algo);
	h.flags = htole32(flags);
	h.session_id = htole64(sid);
	h.key_len = htole32(key_len);
	memcpy(rd, &h, sizeof(h));
	if (key_len)
		memcpy(rd + sizeof(h), key, key_len);
	chain(sizeof(h) + key_len, 16);
	CU_ASSERT_EQUAL(va_ctrl_process(&dev, &vq, &ch), 16);
	memcpy(&r, wr, sizeof(r));
	if (out_id)
		*out_id = le64toh(r.session_id);
	return r.status;
}

static void t_sessions(void)
{
	static const uint8_t key[32] = "0123456789abcdef0123456789abcde";
	uint64_t ids[5] = { 0 }, again;
	struct va_session *s;
	unsigned int i, f0 = mock_sess_frees;

	mock_logbuf[0] = 0;
	for (i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(ctrl(VIRTIO_ACCEL_CTRL_CREATE_SESSION,
				     VIRTIO_ACCEL_OP_MAC,
				     VIRTIO_ACCEL_ALG_HMAC_SHA256, 0, 0, key,
				     32, &ids[i]), VIRTIO_ACCEL_OK);
	/* [CTRL-CREATE]: table full */
	CU_ASSERT_EQUAL(ctrl(VIRTIO_ACCEL_CTRL_CREATE_SESSION,
			     VIRTIO_ACCEL_OP_MAC, VIRTIO_ACCEL_ALG_HMAC_SHA256,
			     0, 0, key, 32, &ids[4]), VIRTIO_ACCEL_NOSPC);
	for (i = 0; i < 4; i++) {
		CU_ASSERT(ids[i] != 0);
		if (i)
			CU_ASSERT(ids[i] != ids[i - 1]);
	}
	/* [SESS-KEY]: the key is kept, and wiped on destroy */
	s = va_session_get(&dev, ids[0]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(memcmp(s->c.key, key, 32), 0);
	CU_ASSERT_EQUAL(ctrl(VIRTIO_ACCEL_CTRL_DESTROY_SESSION, 0, 0, 0,
			     ids[0], NULL, 0, NULL), VIRTIO_ACCEL_OK);
	CU_ASSERT(all(s->c.key, sizeof(s->c.key), 0));
	CU_ASSERT_EQUAL(mock_sess_frees, f0 + 1);
	CU_ASSERT_PTR_NULL(va_session_get(&dev, ids[0]));
	CU_ASSERT_EQUAL(ctrl(VIRTIO_ACCEL_CTRL_DESTROY_SESSION, 0, 0, 0,
			     ids[0], NULL, 0, NULL), VIRTIO_ACCEL_INVSESS);
	/* the slot is reused with a new id: the old id stays dead */
	CU_ASSERT_EQUAL(ctrl(VIRTIO_ACCEL_CTRL_CREATE_SESSION,
			     VIRTIO_ACCEL_OP_MAC, VIRTIO_ACCEL_ALG_HMAC_SHA256,
			     0, 0, key, 32, &again), VIRTIO_ACCEL_OK);
	CU_ASSERT(again != ids[0]);
	CU_ASSERT_PTR_NULL(va_session_get(&dev, ids[0]));
	/* stream allocation failure: ERR, and the slot is not lost */
	CU_ASSERT_EQUAL(ctrl(VIRTIO_ACCEL_CTRL_DESTROY_SESSION, 0, 0, 0,
			     again, NULL, 0, NULL), VIRTIO_ACCEL_OK);
	mock_stream_alloc_fails = 1;
	CU_ASSERT_EQUAL(ctrl(VIRTIO_ACCEL_CTRL_CREATE_SESSION,
			     VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_SHA256,
			     VIRTIO_ACCEL_SESS_F_STREAM, 0, NULL, 0, NULL),
			VIRTIO_ACCEL_ERR);
	mock_stream_alloc_fails = 0;
	CU_ASSERT_EQUAL(ctrl(VIRTIO_ACCEL_CTRL_CREATE_SESSION,
			     VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_SHA256,
			     VIRTIO_ACCEL_SESS_F_STREAM, 0, NULL, 0, &ids[0]),
			VIRTIO_ACCEL_OK);
	/* no key bytes in anything logged */
	CU_ASSERT_PTR_NULL(strstr(mock_logbuf, "0123456789abcdef"));
	/* [SESS-RESET]: reset destroys every session */
	va_sessions_reset(&dev);
	for (i = 0; i < 4; i++)
		CU_ASSERT_PTR_NULL(va_session_get(&dev, ids[i]));
	/* bogus ids, including slot bits beyond the table */
	CU_ASSERT_PTR_NULL(va_session_get(&dev, 0));
	CU_ASSERT_PTR_NULL(va_session_get(&dev, ~0ull));
	CU_ASSERT_PTR_NULL(va_session_get(&dev, 3));
}

/*
 * [STREAM-LIMIT]: at most max_comp_streams (2 here) COMPRESS/DECOMPRESS
 * stream sessions; one more is NOSPC and creates nothing; other kinds do not
 * count; only destroying (or reset) frees a slot, a failed allocation takes
 * none.
 */
static uint8_t mk(uint32_t op, uint32_t algo, uint32_t flags, uint64_t *id)
{
	return ctrl(VIRTIO_ACCEL_CTRL_CREATE_SESSION, op, algo, flags, 0, NULL,
		    0, id);
}

static void t_comp_stream_limit(void)
{
	const uint32_t C = VIRTIO_ACCEL_OP_COMPRESS, D =
		VIRTIO_ACCEL_OP_DECOMPRESS, Z = VIRTIO_ACCEL_ALG_DEFLATE,
		S = VIRTIO_ACCEL_SESS_F_STREAM;
	uint64_t a = 0, b = 0, c = 0, h = 0, x = 1;

	CU_ASSERT_EQUAL_FATAL(dev.lim.max_comp_streams, 2);
	CU_ASSERT_EQUAL(va_comp_streams_live(&dev), 0);
	CU_ASSERT_EQUAL(mk(C, Z, S, &a), VIRTIO_ACCEL_OK);
	CU_ASSERT_EQUAL(mk(D, Z, S, &b), VIRTIO_ACCEL_OK);
	CU_ASSERT_EQUAL(va_comp_streams_live(&dev), 2);
	/* one too many, either direction: NOSPC, no id, nothing created */
	CU_ASSERT_EQUAL(mk(C, Z, S, &x), VIRTIO_ACCEL_NOSPC);
	CU_ASSERT_EQUAL(x, 0);
	CU_ASSERT_EQUAL(mk(D, Z, S, &x), VIRTIO_ACCEL_NOSPC);
	CU_ASSERT_EQUAL(va_comp_streams_live(&dev), 2);
	/* the table still has room for other kinds */
	CU_ASSERT_EQUAL(mk(VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_SHA256, S,
			   &h), VIRTIO_ACCEL_OK);
	CU_ASSERT_EQUAL(mk(C, Z, 0, &c), VIRTIO_ACCEL_OK);
	CU_ASSERT_PTR_NOT_NULL(va_session_get(&dev, a));
	CU_ASSERT_PTR_NOT_NULL(va_session_get(&dev, b));
	/* destroying one frees its slot */
	CU_ASSERT_EQUAL(ctrl(VIRTIO_ACCEL_CTRL_DESTROY_SESSION, 0, 0, 0, c,
			     NULL, 0, NULL), VIRTIO_ACCEL_OK);
	CU_ASSERT_EQUAL(ctrl(VIRTIO_ACCEL_CTRL_DESTROY_SESSION, 0, 0, 0, a,
			     NULL, 0, NULL), VIRTIO_ACCEL_OK);
	CU_ASSERT_EQUAL(va_comp_streams_live(&dev), 1);
	/* a failed state allocation takes no slot */
	mock_stream_alloc_fails = 1;
	CU_ASSERT_EQUAL(mk(C, Z, S, &x), VIRTIO_ACCEL_ERR);
	mock_stream_alloc_fails = 0;
	CU_ASSERT_EQUAL(va_comp_streams_live(&dev), 1);
	CU_ASSERT_EQUAL(mk(C, Z, S, &a), VIRTIO_ACCEL_OK);
	CU_ASSERT_EQUAL(mk(C, Z, S, &x), VIRTIO_ACCEL_NOSPC);
	/* [SESS-RESET] frees every slot */
	va_sessions_reset(&dev);
	CU_ASSERT_EQUAL(va_comp_streams_live(&dev), 0);
	CU_ASSERT_EQUAL(mk(C, Z, S, &a), VIRTIO_ACCEL_OK);
	CU_ASSERT_EQUAL(mk(D, Z, S, &b), VIRTIO_ACCEL_OK);
	va_sessions_reset(&dev);
}

/* [STREAM-ERR]: a failed stream request mock_aborts the stream */
static void t_stream_abort(void)
{
	unsigned int a0 = mock_aborts, s0 = mock_stream_calls;
	uint64_t sid;

	CU_ASSERT_EQUAL_FATAL(ctrl(VIRTIO_ACCEL_CTRL_CREATE_SESSION,
				   VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_SHA256,
				   VIRTIO_ACCEL_SESS_F_STREAM, 0, NULL, 0,
				   &sid), VIRTIO_ACCEL_OK);
	mock_status = VIRTIO_ACCEL_ERR;
	op_req(VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_SHA256, sid, 0, 10, 0);
	CU_ASSERT_EQUAL(resp_at(0)->status, VIRTIO_ACCEL_ERR);
	CU_ASSERT_EQUAL(mock_stream_calls, s0 + 1);
	CU_ASSERT_EQUAL(mock_aborts, a0 + 1);
	/* a request the validator rejects leaves the stream alone */
	op_req(VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_SHA256, sid, 0, 10, 7);
	CU_ASSERT_EQUAL(resp_at(7)->status, VIRTIO_ACCEL_BADMSG);
	CU_ASSERT_EQUAL(mock_aborts, a0 + 1);
	CU_ASSERT_EQUAL(mock_stream_calls, s0 + 1);
	va_sessions_reset(&dev);
}

/*
 * [SESS-RESET] across a back-end restart under a running driver: the new
 * process (a new session table) knows none of the old ids, answers INVSESS
 * for data and DESTROY_SESSION requests naming them, and does not hand the
 * old ids out again (random first generation per process).
 */
static void t_sessions_restart(void)
{
	static const uint8_t key[32] = "0123456789abcdef0123456789abcde";
	uint64_t old[3], nid[3];
	unsigned int i, j;

	for (i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(ctrl(VIRTIO_ACCEL_CTRL_CREATE_SESSION,
				     VIRTIO_ACCEL_OP_MAC,
				     VIRTIO_ACCEL_ALG_HMAC_SHA256, 0, 0, key,
				     32, &old[i]), VIRTIO_ACCEL_OK);
	/* the process dies: its table is gone; a new one starts */
	va_sessions_fini(&dev);
	CU_ASSERT_EQUAL_FATAL(va_sessions_init(&dev, va_opts.max_sessions), 0);
	for (i = 0; i < 3; i++) {
		CU_ASSERT_PTR_NULL(va_session_get(&dev, old[i]));
		CU_ASSERT_EQUAL(op_req(VIRTIO_ACCEL_OP_MAC,
				       VIRTIO_ACCEL_ALG_HMAC_SHA256, old[i], 0,
				       16, 32), 48);
		CU_ASSERT_EQUAL(resp_at(32)->status, VIRTIO_ACCEL_INVSESS);
	}
	CU_ASSERT_EQUAL(ctrl(VIRTIO_ACCEL_CTRL_DESTROY_SESSION, 0, 0, 0,
			     old[0], NULL, 0, NULL), VIRTIO_ACCEL_INVSESS);
	for (i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(ctrl(VIRTIO_ACCEL_CTRL_CREATE_SESSION,
				     VIRTIO_ACCEL_OP_MAC,
				     VIRTIO_ACCEL_ALG_HMAC_SHA256, 0, 0, key,
				     32, &nid[i]), VIRTIO_ACCEL_OK);
		for (j = 0; j < 3; j++)
			CU_ASSERT(nid[i] != old[j]);
	}
	/* stateless requests do not care */
	CU_ASSERT_EQUAL(op_req(VIRTIO_ACCEL_OP_NULL, VIRTIO_ACCEL_ALG_NONE, 0,
			       0, 16, 16), 32);
	CU_ASSERT_EQUAL(resp_at(16)->status, VIRTIO_ACCEL_OK);
	va_sessions_reset(&dev);
}

void register_backend_tests(void)
{
	ADD_SUITE("backend-logic", be_init, be_fini);
	ADD_TEST(t_engine_ok);
	ADD_TEST(t_engine_fail);
	ADD_TEST(t_engine_overrun);
	ADD_TEST(t_invalid_not_run);
	ADD_TEST(t_short_huge);
	ADD_TEST(t_sessions);
	ADD_TEST(t_sessions_restart);
	ADD_TEST(t_stream_abort);
	ADD_TEST(t_comp_stream_limit);
}
