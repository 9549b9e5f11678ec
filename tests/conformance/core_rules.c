// SPDX-License-Identifier: BSD-3-Clause
/*
 * Conformance checks of the rules the two hosts used to apply differently
 * (issue 13, the device core): which rejections abort a stream
 * ([STREAM-ERR]) and [STREAM-GCM-MAX]. #included by conformance.c (its
 * device, buffers and helpers).
 *
 * [STREAM-GCM-MAX] is 2^36 - 32 bytes: no test pushes that through a
 * guest. Both hosts take a test setting that lowers it (the back-end's
 * --test-gcm-stream-max, vdpa_accel's test_gcm_stream_max parameter); the
 * runner passes the same value in VACCEL_TEST_GCM_STREAM_MAX. Without it
 * the check runs up to the real limit only if that is at most 64 MiB away
 * (never), and says so.
 */

/* A raw data request of @opcode naming @sid, @rsvd in the reserved bytes */
static uint8_t cr_raw(uint32_t opcode, uint32_t algo, uint32_t flags,
		      uint64_t sid, uint32_t src_len, uint32_t dst_len,
		      uint8_t rsvd)
{
	struct virtio_accel_op_req h;
	size_t wr = dst_len + sizeof(struct virtio_accel_op_resp);
	int used;

	memset(&h, 0, sizeof(h));
	h.opcode = htole32(opcode);
	h.algo = htole32(algo);
	h.flags = htole32(flags);
	h.session_id = htole64(sid);
	h.src_len = htole32(src_len);
	h.dst_len = htole32(dst_len);
	h.reserved[0] = rsvd;
	memcpy(rdbuf, &h, sizeof(h));
	memset(rdbuf + sizeof(h), 'r', src_len);
	memset(wrbuf, FILL, wr);
	used = raw(rdbuf, sizeof(h) + src_len, wrbuf, wr);
	if (used != (int)wr)
		return 0xff;
	return wrbuf[wr - 1];
}

static int cr_hash_step(uint64_t sid, const uint8_t *src, uint32_t len,
			int final, uint8_t *dst, uint8_t *rflags)
{
	struct virtaccel_op op = {
		.opcode = VIRTIO_ACCEL_OP_HASH,
		.algo = VIRTIO_ACCEL_ALG_SHA256,
		.flags = final ? VIRTIO_ACCEL_OP_F_FINAL : 0,
		.session_id = sid, .src = src, .src_len = len,
		.dst = dst, .dst_len = final ? 32 : 0,
	};
	int ret = virtaccel_run(dev, &op);

	if (rflags)
		*rflags = op.resp_flags;
	return ret;
}

static int has_stream_pair(uint32_t op, uint32_t algo)
{
	unsigned int i;

	for (i = 0; i < info.n_caps; i++)
		if (le32toh(info.caps[i].op) == op &&
		    le32toh(info.caps[i].algo) == algo &&
		    (le32toh(info.caps[i].flags) & VIRTIO_ACCEL_CAP_F_STREAM))
			return 1;
	return 0;
}

/*
 * [STREAM-ERR]: a rejection made before any payload is read (a bad header,
 * unknown flags, another opcode naming the stream session) has no effect
 * on the stream: it continues, and its digest covers all its data. A
 * failure after the engine took data (a corrupt DEFLATE stream) aborts it:
 * the next request starts a new stream.
 */
static void t_stream_err_scope(void)
{
	uint8_t a[16], b[16], ab[32], one[32], got[32], fl = 0;
	uint64_t sid;

	if (!has_stream_pair(VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_SHA256)) {
		printf("  (no SHA-256 streams: not applicable)\n");
		return;
	}
	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	memcpy(ab, a, 16);
	memcpy(ab + 16, b, 16);
	CU_ASSERT_EQUAL_FATAL(virtaccel_hash(dev, VIRTIO_ACCEL_ALG_SHA256, ab,
					     sizeof(ab), one, 32), 0);
	sid = make_session(VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_SHA256,
			   VIRTIO_ACCEL_SESS_F_STREAM);
	CU_ASSERT_FATAL(sid != 0);
	CU_ASSERT_EQUAL(cr_hash_step(sid, a, 16, 0, NULL, NULL), 0);
	/* [REQ-RSVD] */
	CU_ASSERT_EQUAL(cr_raw(VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_SHA256, 0,
			       sid, 16, 0, 1), VIRTIO_ACCEL_BADMSG);
	/* [REQ-FLAGS] */
	CU_ASSERT_EQUAL(cr_raw(VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_SHA256,
			       0x80, sid, 16, 0, 0), VIRTIO_ACCEL_NOTSUPP);
	/* [REQ-SESS]: another opcode naming the stream session */
	CU_ASSERT_EQUAL(cr_raw(VIRTIO_ACCEL_OP_NULL, VIRTIO_ACCEL_ALG_NONE, 0,
			       sid, 16, 16, 0), VIRTIO_ACCEL_INVSESS);
	/* [OP-DST]: a FINAL request with the wrong dst_len */
	CU_ASSERT_EQUAL(cr_raw(VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_SHA256,
			       VIRTIO_ACCEL_OP_F_FINAL, sid, 16, 31, 0),
			VIRTIO_ACCEL_BADMSG);
	/* the stream goes on: SHA-256 of a || b, not of b alone */
	memset(got, 0, sizeof(got));
	CU_ASSERT_EQUAL(cr_hash_step(sid, b, 16, 1, got, &fl), 0);
	CU_ASSERT(fl & VIRTIO_ACCEL_RESP_F_STREAM_END);
	if (memcmp(got, one, 32))
		printf("  the stream was aborted by a rejected request: the digest covers only the data after it\n");
	CU_ASSERT_EQUAL(memcmp(got, one, 32), 0);
	CU_ASSERT_EQUAL(virtaccel_session_destroy(dev, sid), 0);

	/* a failure after the engine took the stream's data aborts it */
	if (!has_stream_pair(VIRTIO_ACCEL_OP_DECOMPRESS,
			     VIRTIO_ACCEL_ALG_DEFLATE))
		return;
	sid = make_session(VIRTIO_ACCEL_OP_DECOMPRESS, VIRTIO_ACCEL_ALG_DEFLATE,
			   VIRTIO_ACCEL_SESS_F_STREAM);
	CU_ASSERT_FATAL(sid != 0);
	{
		/* BTYPE 3 (reserved): corrupt from the first byte */
		static const uint8_t bad[4] = { 0xff, 0xff, 0xff, 0xff };
		/* raw DEFLATE of "abc": one fixed-Huffman final block */
		static const uint8_t abc[5] = { 0x4b, 0x4c, 0x4a, 0x06, 0x00 };
		uint8_t out[64];
		struct virtaccel_op r;

		CU_ASSERT_EQUAL(run_op(VIRTIO_ACCEL_OP_DECOMPRESS,
				       VIRTIO_ACCEL_ALG_DEFLATE, sid, NULL, 0,
				       NULL, 0, NULL, 0, bad, sizeof(bad), out,
				       sizeof(out), &r), -EINVAL);
		CU_ASSERT_EQUAL(run_op(VIRTIO_ACCEL_OP_DECOMPRESS,
				       VIRTIO_ACCEL_ALG_DEFLATE, sid, NULL, 0,
				       NULL, 0, NULL, 0, abc, sizeof(abc), out,
				       sizeof(out), &r), 0);
		CU_ASSERT_EQUAL(r.dst_used, 3);
		CU_ASSERT_EQUAL(memcmp(out, "abc", 3), 0);
		CU_ASSERT(r.resp_flags & VIRTIO_ACCEL_RESP_F_STREAM_END);
	}
	CU_ASSERT_EQUAL(virtaccel_session_destroy(dev, sid), 0);
}

static int cr_gcm_step(uint64_t sid, const uint8_t *iv, const uint8_t *src,
		       uint32_t len, uint8_t *dst)
{
	return run_op(VIRTIO_ACCEL_OP_AEAD_ENCRYPT, VIRTIO_ACCEL_ALG_AES256_GCM,
		      sid, NULL, 0, iv, iv ? 12 : 0, NULL, 0, src, len, dst, len,
		      NULL);
}

/*
 * [STREAM-GCM-MAX]: an AES-256-GCM stream carries at most the limit: the
 * request that would pass it is BADMSG, and the stream is aborted (the next
 * request must start a new one, with an IV).
 */
static void t_stream_gcm_max(void)
{
	const char *env = getenv("VACCEL_TEST_GCM_STREAM_MAX");
	uint64_t max = env ? strtoull(env, NULL, 0) : (1ull << 36) - 32;
	uint32_t chunk = info.max_data_len < 65536 ? info.max_data_len : 65536;
	uint8_t iv[12] = { 1, 2, 3 }, *src, *dst;
	uint64_t sid, sent = 0;
	int ret = 0;

	if (!has_stream_pair(VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
			     VIRTIO_ACCEL_ALG_AES256_GCM)) {
		printf("  (no AES-GCM streams: not applicable)\n");
		return;
	}
	if (max > (64u << 20)) {
		printf("  (limit %llu: too far to reach; set VACCEL_TEST_GCM_STREAM_MAX with the device's test setting)\n",
		       (unsigned long long)max);
		return;
	}
	src = malloc(chunk);
	dst = malloc(chunk);
	CU_ASSERT_PTR_NOT_NULL_FATAL(src);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dst);
	memset(src, 's', chunk);
	sid = make_session(VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
			   VIRTIO_ACCEL_ALG_AES256_GCM,
			   VIRTIO_ACCEL_SESS_F_STREAM);
	CU_ASSERT_FATAL(sid != 0);
	/* up to the limit exactly: accepted */
	while (!ret && sent < max) {
		uint32_t n = max - sent < chunk ? (uint32_t)(max - sent) :
						  chunk;

		ret = cr_gcm_step(sid, sent ? NULL : iv, src, n, dst);
		sent += n;
	}
	CU_ASSERT_EQUAL(ret, 0);
	/* one byte more: BADMSG */
	CU_ASSERT_EQUAL(cr_gcm_step(sid, NULL, src, 1, dst), -EINVAL);
	/* aborted: a continuation (no IV) is a start without IV: BADMSG */
	CU_ASSERT_EQUAL(cr_gcm_step(sid, NULL, src, 16, dst), -EINVAL);
	/* a new stream with an IV is served */
	CU_ASSERT_EQUAL(cr_gcm_step(sid, iv, src, 16, dst), 0);
	CU_ASSERT_EQUAL(virtaccel_session_destroy(dev, sid), 0);
	free(src);
	free(dst);
	CU_ASSERT(still_serving());
}
