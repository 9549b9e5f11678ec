// SPDX-License-Identifier: BSD-3-Clause
/*
 * Key wiping in the back-end's session and request logic
 * (vhost-user-backend/src/ctrl.c, op.c; spec [SESS-KEY]), seen from inside:
 * the whole session slot is zero after DESTROY_SESSION, after a reset
 * ([SESS-RESET]: disconnect, device stop) and after a failed create; the
 * per-queue copy of an inline (stateless) key is zero once its request is
 * answered, whatever the answer. The engines are mock_backend.c's; the end
 * to end counterpart (no copy of a key anywhere in a live back-end's memory
 * after destroy) is tests/security/t-backend-security.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "mock_backend.h"
#include "backend_fixture.h"
#include "../../vhost-user-backend/src/backend.h"

static struct va_dev sdev;
static struct va_vq svq;
static uint8_t srd[4096], swr[4096];
static struct va_iov siov[2];
static struct va_chain sch;
static const uint8_t skey[32] = {
	0xa5, 0x5a, 0xc3, 0x3c, 0x96, 0x69, 0x0f, 0xf0,
	0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
	0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01,
	0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
};

static int sec_init(void)
{
	return fixture_dev_init(&sdev, &svq);
}

static int sec_fini(void)
{
	fixture_dev_fini(&svq);
	return 0;
}

static void schain(uint32_t rd_len, uint32_t wr_len)
{
	fixture_chain(&sch, siov, srd, rd_len, swr, wr_len);
}

static int zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		if (*b++)
			return 0;
	return 1;
}

/* Does @n bytes at @p contain @key anywhere? */
static int has_key(const void *p, size_t n)
{
	return memmem(p, n, skey, sizeof(skey)) != NULL;
}

static uint8_t sctrl(uint32_t opcode, uint32_t op, uint32_t algo,
		     uint32_t flags, uint64_t sid, uint64_t *out_id)
{
	struct virtio_accel_ctrl_req h = { 0 };
	struct virtio_accel_ctrl_resp r;
	uint32_t klen = opcode == VIRTIO_ACCEL_CTRL_CREATE_SESSION ? 32 : 0;

	h.opcode = htole32(opcode);
	h.op = htole32(op);
	h.algo = htole32(algo);
	h.flags = htole32(flags);
	h.session_id = htole64(sid);
	h.key_len = htole32(klen);
	memcpy(srd, &h, sizeof(h));
	memcpy(srd + sizeof(h), skey, klen);
	schain(sizeof(h) + klen, 16);
	CU_ASSERT_EQUAL(va_ctrl_process(&sdev, &svq, &sch), 16);
	memcpy(&r, swr, sizeof(r));
	if (out_id)
		*out_id = le64toh(r.session_id);
	return r.status;
}

static uint8_t create(uint64_t *id)
{
	return sctrl(VIRTIO_ACCEL_CTRL_CREATE_SESSION, VIRTIO_ACCEL_OP_MAC,
		     VIRTIO_ACCEL_ALG_HMAC_SHA256, 0, 0, id);
}

/* DESTROY_SESSION: every byte of the slot is zero, key first of all */
static void t_slot_zero_after_destroy(void)
{
	struct va_session *s;
	uint64_t id;

	CU_ASSERT_EQUAL_FATAL(create(&id), VIRTIO_ACCEL_OK);
	s = va_session_get(&sdev, id);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT(has_key(s, sizeof(*s)));	/* it was there */
	CU_ASSERT_EQUAL(sctrl(VIRTIO_ACCEL_CTRL_DESTROY_SESSION, 0, 0, 0, id,
			      NULL), VIRTIO_ACCEL_OK);
	CU_ASSERT(zero(s, sizeof(*s)));
	CU_ASSERT_PTR_NULL(va_session_get(&sdev, id));
}

/* [SESS-RESET] (disconnect, device stop): every slot zero */
static void t_slots_zero_after_reset(void)
{
	struct va_session *s[4];
	uint64_t id[4];
	unsigned int i, n;

	n = va_opts.max_sessions < 4 ? va_opts.max_sessions : 4;
	for (i = 0; i < n; i++) {
		CU_ASSERT_EQUAL_FATAL(create(&id[i]), VIRTIO_ACCEL_OK);
		s[i] = va_session_get(&sdev, id[i]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s[i]);
	}
	va_sessions_reset(&sdev);
	for (i = 0; i < n; i++) {
		CU_ASSERT(zero(s[i], sizeof(*s[i])));
		CU_ASSERT_PTR_NULL(va_session_get(&sdev, id[i]));
	}
}

/* a create that fails after the key was copied leaves no key behind */
static void t_slot_zero_after_failed_create(void)
{
	struct va_session *s;
	uint64_t id, again;

	mock_stream_alloc_fails = 1;
	CU_ASSERT_EQUAL(sctrl(VIRTIO_ACCEL_CTRL_CREATE_SESSION,
			      VIRTIO_ACCEL_OP_MAC, VIRTIO_ACCEL_ALG_HMAC_SHA256,
			      VIRTIO_ACCEL_SESS_F_STREAM, 0, NULL),
			VIRTIO_ACCEL_ERR);
	mock_stream_alloc_fails = 0;
	/* the slot it used is the next one handed out: look at it */
	CU_ASSERT_EQUAL_FATAL(create(&id), VIRTIO_ACCEL_OK);
	s = va_session_get(&sdev, id);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(sctrl(VIRTIO_ACCEL_CTRL_DESTROY_SESSION, 0, 0, 0, id,
			      NULL), VIRTIO_ACCEL_OK);
	CU_ASSERT(zero(s, sizeof(*s)));
	CU_ASSERT_EQUAL(create(&again), VIRTIO_ACCEL_OK);
	va_sessions_reset(&sdev);
}

/* one data request with an inline key; returns the status */
static uint8_t inline_key_op(uint32_t opcode, uint32_t algo, uint32_t key_len,
			     uint32_t iv_len, uint32_t src_len,
			     uint32_t dst_len)
{
	struct virtio_accel_op_req h = { 0 };
	struct virtio_accel_op_resp r;

	h.opcode = htole32(opcode);
	h.algo = htole32(algo);
	h.key_len = htole32(key_len);
	h.iv_len = htole32(iv_len);
	h.src_len = htole32(src_len);
	h.dst_len = htole32(dst_len);
	memcpy(srd, &h, sizeof(h));
	memcpy(srd + sizeof(h), skey, key_len);
	memset(srd + sizeof(h) + key_len, 0x42, iv_len + src_len);
	schain(sizeof(h) + key_len + iv_len + src_len, dst_len + 16);
	CU_ASSERT_EQUAL(va_op_process(&sdev, &svq, &sch), dst_len + 16);
	memcpy(&r, swr + dst_len, sizeof(r));
	return r.status;
}

/*
 * No per-queue copy of an inline key once the request is answered (the
 * device core's own copy, wiped before the response: test_dev.c)
 */
static void t_inline_key_scratch_zero(void)
{
	unsigned int c0 = mock_crypto_calls;

	mock_status = VIRTIO_ACCEL_OK;
	mock_dst_used = 32;
	mock_clamp = 1;
	CU_ASSERT_EQUAL(inline_key_op(VIRTIO_ACCEL_OP_MAC,
				      VIRTIO_ACCEL_ALG_HMAC_SHA256, 32, 0, 64,
				      32), VIRTIO_ACCEL_OK);
	CU_ASSERT_EQUAL(mock_crypto_calls, c0 + 1);	/* the engine ran */
	CU_ASSERT(!has_key(&svq.qc, sizeof(svq.qc)));
	/* ... also when the engine fails */
	mock_status = VIRTIO_ACCEL_ERR;
	CU_ASSERT_EQUAL(inline_key_op(VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
				      VIRTIO_ACCEL_ALG_AES256_GCM, 32, 12, 64,
				      80), VIRTIO_ACCEL_ERR);
	CU_ASSERT_EQUAL(mock_crypto_calls, c0 + 2);
	CU_ASSERT(!has_key(&svq.qc, sizeof(svq.qc)));
	mock_status = VIRTIO_ACCEL_OK;
	/* a refused key length never reaches the scratch at all */
	CU_ASSERT_NOT_EQUAL(inline_key_op(VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
					  VIRTIO_ACCEL_ALG_AES256_GCM, 31, 12,
					  64, 80), VIRTIO_ACCEL_OK);
	CU_ASSERT_EQUAL(mock_crypto_calls, c0 + 2);
	CU_ASSERT(!has_key(&svq.qc, sizeof(svq.qc)));
	CU_ASSERT(!has_key(&svq.qc, sizeof(svq.qc)));
}

/* nothing logged at debug level carries the key */
static void t_no_key_in_log(void)
{
	uint64_t id;
	char hex[2 * sizeof(skey) + 1];
	unsigned int i;

	mock_logbuf[0] = 0;
	CU_ASSERT_EQUAL_FATAL(create(&id), VIRTIO_ACCEL_OK);
	inline_key_op(VIRTIO_ACCEL_OP_MAC, VIRTIO_ACCEL_ALG_HMAC_SHA256, 32, 0,
		      64, 32);
	inline_key_op(VIRTIO_ACCEL_OP_AEAD_ENCRYPT, VIRTIO_ACCEL_ALG_AES256_GCM,
		      31, 12, 64, 80);
	sctrl(VIRTIO_ACCEL_CTRL_DESTROY_SESSION, 0, 0, 0, id, NULL);
	for (i = 0; i < sizeof(skey); i++)
		sprintf(hex + 2 * i, "%02x", skey[i]);
	CU_ASSERT(strlen(mock_logbuf) > 0);	/* debug lines were logged */
	CU_ASSERT_PTR_NULL(strstr(mock_logbuf, hex));
	CU_ASSERT(!has_key(mock_logbuf, sizeof(mock_logbuf)));
	va_sessions_reset(&sdev);
}

void register_security_tests(void)
{
	ADD_SUITE("backend-key-wiping", sec_init, sec_fini);
	ADD_TEST(t_slot_zero_after_destroy);
	ADD_TEST(t_slots_zero_after_reset);
	ADD_TEST(t_slot_zero_after_failed_create);
	ADD_TEST(t_inline_key_scratch_zero);
	ADD_TEST(t_no_key_in_log);
}
