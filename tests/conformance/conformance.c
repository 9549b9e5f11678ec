// SPDX-License-Identifier: BSD-3-Clause
/*
 * virtio-accel conformance suite: one CUnit test per spec clause label,
 * run against a live device through libvirtaccel.
 *
 *   conformance DEVICE          e.g. conformance vhost-user:/tmp/accel.sock
 *
 * Malformed requests are sent raw (virtaccel_submit_raw), exactly as the
 * request table (tests/common/cases.c) describes them; after every row the
 * suite checks that the device still serves a well-formed request.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <endian.h>
#include <CUnit/Basic.h>

#include "virtaccel.h"
#include "../common/cases.h"

static const char *devstr;
static struct virtaccel_dev *dev;
static struct virtaccel_info info;
static struct case_lims lims;
static uint8_t *rdbuf, *wrbuf;

#define FILL 0xaa

static int suite_init(void)
{
	struct virtaccel_open_opts o = { .num_queues = 1 };
	int ret;

	ret = virtaccel_open(devstr, &o, &dev);
	if (ret) {
		fprintf(stderr, "conformance: cannot open %s: %s\n", devstr,
			strerror(-ret));
		return -1;
	}
	ret = virtaccel_get_info(dev, &info);
	if (ret) {
		fprintf(stderr, "conformance: info: %s\n", strerror(-ret));
		return -1;
	}
	lims.max_data_len = info.max_data_len;
	lims.max_aad_len = info.max_aad_len;
	rdbuf = virtaccel_buf_alloc(dev, CASE_CAP + 4096);
	wrbuf = virtaccel_buf_alloc(dev, CASE_CAP + 4096);
	return rdbuf && wrbuf ? 0 : -1;
}

static int suite_fini(void)
{
	if (dev) {
		virtaccel_buf_free(dev, rdbuf);
		virtaccel_buf_free(dev, wrbuf);
		virtaccel_close(dev);
	}
	dev = NULL;
	return 0;
}

/* Send one raw request on data queue 0; returns used len or -errno. */
static int raw(const void *rd, size_t rd_len, void *wr, size_t wr_len)
{
	struct iovec r = { (void *)rd, rd_len }, w = { wr, wr_len };

	return virtaccel_submit_raw(dev, 1, &r, rd_len ? 1 : 0, &w,
				    wr_len ? 1 : 0);
}

static int raw_ctrl(const void *rd, size_t rd_len, void *wr, size_t wr_len)
{
	struct iovec r = { (void *)rd, rd_len }, w = { wr, wr_len };

	return virtaccel_submit_raw(dev, 0, &r, 1, &w, wr_len ? 1 : 0);
}

/* A well-formed NULL op must still work: the device keeps serving. */
static int still_serving(void)
{
	uint8_t src[24] = "still serving requests!", dst[24] = { 0 };
	struct virtaccel_op op = {
		.opcode = VIRTIO_ACCEL_OP_NULL,
		.src = src, .src_len = sizeof(src),
		.dst = dst, .dst_len = sizeof(dst),
	};

	return virtaccel_run(dev, &op) == 0 && !memcmp(src, dst, sizeof(src));
}

static uint64_t make_session(uint32_t op, uint32_t algo, uint32_t flags)
{
	static const uint8_t key[64] = { 0x11, 0x22, 0x33 };
	uint32_t klen = 0;
	uint64_t id = 0;
	int ret;

	if (op == VIRTIO_ACCEL_OP_MAC)
		klen = 32;
	else if (op == VIRTIO_ACCEL_OP_AEAD_ENCRYPT ||
		 op == VIRTIO_ACCEL_OP_AEAD_DECRYPT)
		klen = 32;
	ret = virtaccel_session_create(dev, op, algo, flags, klen ? key : NULL,
				       klen, &id);
	if (ret) {
		fprintf(stderr, "  session create (%u,%u): %s\n", op, algo,
			strerror(-ret));
		return 0;
	}
	return id;
}

/* Start a stream: a valid non-final first request. */
static int stream_first(uint64_t sid, const struct accel_case *c)
{
	struct accel_case f = *c;
	uint64_t rd, wr;
	int used;

	f.flags = 0;
	f.sess = CS_STREAM;
	f.key_len = 0;
	f.aad_len = 0;
	f.rd_adj = f.wr_adj = 0;
	f.rsvd = 0;
	f.src_len = 16;
	switch (c->opcode) {
	case VIRTIO_ACCEL_OP_AEAD_ENCRYPT:
	case VIRTIO_ACCEL_OP_AEAD_DECRYPT:
		f.iv_len = 12;
		f.dst_len = 16;
		break;
	case VIRTIO_ACCEL_OP_HASH:
	case VIRTIO_ACCEL_OP_MAC:
		f.iv_len = 0;
		f.dst_len = 0;
		break;
	default:
		f.iv_len = 0;
		f.dst_len = 64;
		break;
	}
	rd = case_build_rd(&f, &lims, sid, rdbuf);
	wr = case_wr_len(&f, &lims);
	used = raw(rdbuf, rd, wrbuf, wr);

	return used == (int)wr && wrbuf[wr - 1] == VIRTIO_ACCEL_OK;
}

static int run_row(const struct accel_case *c)
{
	uint64_t sid = 0, rd, wr, i;
	int used, bad = 0;
	uint8_t st;

	switch (c->sess) {
	case CS_BOGUS:
		sid = 0xdead0000beefull;
		break;
	case CS_PLAIN:
		sid = make_session(c->opcode, c->algo, 0);
		break;
	case CS_STREAM:
	case CS_ACTIVE:
		sid = make_session(c->opcode, c->algo,
				   VIRTIO_ACCEL_SESS_F_STREAM);
		break;
	case CS_OTHER:
		sid = make_session(VIRTIO_ACCEL_OP_NULL, VIRTIO_ACCEL_ALG_NONE,
				   0);
		break;
	}
	if (c->sess >= CS_PLAIN && !sid)
		return 1;
	if (c->sess == CS_ACTIVE && !stream_first(sid, c)) {
		fprintf(stderr, "  [%s] %s: could not start the stream\n",
			c->label, c->name);
		bad = 1;
		goto out;
	}
	rd = case_build_rd(c, &lims, sid, rdbuf);
	wr = case_wr_len(c, &lims);
	memset(wrbuf, FILL, wr);
	used = raw(rdbuf, rd, wrbuf, wr);
	if (used < 0) {
		fprintf(stderr, "  [%s] %s: transport error %s\n", c->label,
			c->name, strerror(-used));
		bad = 1;
		goto out;
	}
	/* [REQ-HUGE]: beyond one valid request's size: nothing written */
	if (wr > (uint64_t)lims.max_data_len + 16) {
		if (used != 0) {
			fprintf(stderr, "  [%s] %s: used len %d for a huge writable part, spec says 0\n",
				c->label, c->name, used);
			bad = 1;
		}
		goto out;
	}
	/* [VQ-USED-LEN] */
	if ((uint64_t)used != wr) {
		fprintf(stderr, "  [%s] %s: used len %d, expected %llu\n",
			c->label, c->name, used, (unsigned long long)wr);
		bad = 1;
		goto out;
	}
	st = wrbuf[wr - 1];
	if (st != c->expect) {
		fprintf(stderr, "  [%s] %s: status %s, spec says %s\n",
			c->label, c->name, virtaccel_status_str(st),
			virtaccel_status_str(c->expect));
		bad = 1;
	}
	/* [ST-NOLEAK]: on failure dst reads as zero */
	if (st != VIRTIO_ACCEL_OK) {
		for (i = 0; i + 16 < wr; i++)
			if (wrbuf[i]) {
				fprintf(stderr, "  [%s] %s: dst byte %llu not zero after failure\n",
					c->label, c->name, (unsigned long long)i);
				bad = 1;
				break;
			}
	}
out:
	if (sid && c->sess != CS_BOGUS)
		virtaccel_session_destroy(dev, sid);
	if (!still_serving()) {
		fprintf(stderr, "  [%s] %s: device stopped serving\n", c->label,
			c->name);
		bad = 1;
	}
	return bad;
}

static int run_ctrl_row(const struct accel_ctrl_case *c)
{
	struct virtio_accel_ctrl_req req;
	uint64_t rd = ctrl_case_rd_len(c), wr = ctrl_case_wr_len(c);
	struct virtio_accel_ctrl_resp resp;
	int used, bad = 0;

	ctrl_case_hdr(c, &req);
	memset(rdbuf, 0x5c, rd);
	memcpy(rdbuf, &req, rd < sizeof(req) ? rd : sizeof(req));
	memset(wrbuf, FILL, wr);
	used = raw_ctrl(rdbuf, rd, wrbuf, wr);
	if (used < 0 || (uint64_t)used != wr) {
		fprintf(stderr, "  [%s] %s: used len %d, expected %llu\n",
			c->label, c->name, used, (unsigned long long)wr);
		return 1;
	}
	memcpy(&resp, wrbuf + wr - sizeof(resp), sizeof(resp));
	if (resp.status != c->expect) {
		fprintf(stderr, "  [%s] %s: status %s, spec says %s\n",
			c->label, c->name, virtaccel_status_str(resp.status),
			virtaccel_status_str(c->expect));
		bad = 1;
	}
	if (resp.status == VIRTIO_ACCEL_OK &&
	    c->opcode == VIRTIO_ACCEL_CTRL_CREATE_SESSION) {
		if (!resp.session_id) {
			fprintf(stderr, "  [%s] %s: session id 0\n", c->label,
				c->name);
			bad = 1;
		} else {
			/*
			 * Made with a raw request, so destroyed with one: a
			 * driver that tracks its users' sessions (the kernel
			 * driver) does not know this one.
			 */
			struct virtio_accel_ctrl_req d = {
				.opcode = htole32(VIRTIO_ACCEL_CTRL_DESTROY_SESSION),
				.session_id = resp.session_id,
			};

			memset(wrbuf, FILL, sizeof(resp));
			if (raw_ctrl(&d, sizeof(d), wrbuf, sizeof(resp)) !=
			    (int)sizeof(resp) ||
			    wrbuf[sizeof(resp) - 1] != VIRTIO_ACCEL_OK) {
				fprintf(stderr, "  [%s] %s: raw destroy failed\n",
					c->label, c->name);
				bad = 1;
			}
		}
	}
	if (!still_serving()) {
		fprintf(stderr, "  [%s] %s: device stopped serving\n", c->label,
			c->name);
		bad = 1;
	}
	return bad;
}

static void run_label(const char *label)
{
	unsigned int n, bad = case_run_label(label, CF_UNIT_ONLY, run_row,
					     run_ctrl_row, &n);

	CU_ASSERT(n > 0);
	CU_ASSERT_EQUAL(bad, 0);
}

#define LABEL_TEST(fn, label) \
	static void fn(void) { run_label(label); }

LABEL_TEST(t_req_hdr, "REQ-HDR")
LABEL_TEST(t_req_rsvd, "REQ-RSVD")
LABEL_TEST(t_req_op, "REQ-OP")
LABEL_TEST(t_req_flags, "REQ-FLAGS")
LABEL_TEST(t_req_len_rd, "REQ-LEN-RD")
LABEL_TEST(t_req_len_wr, "REQ-LEN-WR")
LABEL_TEST(t_req_limits, "REQ-LIMITS")
LABEL_TEST(t_req_sess, "REQ-SESS")
LABEL_TEST(t_req_final, "REQ-FINAL")
LABEL_TEST(t_req_key, "REQ-KEY")
LABEL_TEST(t_req_iv, "REQ-IV")
LABEL_TEST(t_op_dst, "OP-DST")
LABEL_TEST(t_stream_start, "STREAM-START")
LABEL_TEST(t_ctrl_caps, "CTRL-CAPS")
LABEL_TEST(t_ctrl_rsvd, "CTRL-RSVD")
LABEL_TEST(t_ctrl_op, "CTRL-OP")
LABEL_TEST(t_ctrl_create, "CTRL-CREATE")
LABEL_TEST(t_ctrl_destroy, "CTRL-DESTROY")

/* ---- clauses checked by dedicated tests --------------------------------- */

static int hexcmp(const uint8_t *b, const char *hex)
{
	size_t i, n = strlen(hex) / 2;
	unsigned int v;

	for (i = 0; i < n; i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1 || b[i] != v)
			return 1;
	}
	return 0;
}

static int run_op(uint32_t opcode, uint32_t algo, uint64_t sid,
		  const void *key, uint32_t key_len, const void *iv,
		  uint32_t iv_len, const void *aad, uint32_t aad_len,
		  const void *src, uint32_t src_len, void *dst, uint32_t dst_len,
		  struct virtaccel_op *out)
{
	struct virtaccel_op op = {
		.opcode = opcode, .algo = algo, .session_id = sid,
		.key = key, .key_len = key_len, .iv = iv, .iv_len = iv_len,
		.aad = aad, .aad_len = aad_len, .src = src, .src_len = src_len,
		.dst = dst, .dst_len = dst_len,
	};
	int ret = virtaccel_run(dev, &op);

	if (out)
		*out = op;
	return ret;
}

/* [FEAT-V1], [FEAT-MQ] */
static void t_feat(void)
{
	CU_ASSERT(!!(info.driver_features & (1ull << 32)));
	CU_ASSERT(!!(info.device_features & (1ull << 32)));
	/* nothing negotiated that the device did not offer */
	CU_ASSERT_EQUAL(info.driver_features & ~info.device_features, 0);
	CU_ASSERT_EQUAL(info.device_id, VIRTIO_ID_ACCEL);
	if (!(info.driver_features & (1ull << VIRTIO_ACCEL_F_MQ)))
		CU_ASSERT_EQUAL(info.num_queues, 1);
}

/* [CFG-LIMITS] */
static void t_cfg_limits(void)
{
	CU_ASSERT(info.max_dataqueues >= 1);
	CU_ASSERT(info.max_segments >= 4);
	CU_ASSERT(info.max_data_len >= 4096);
	CU_ASSERT(info.services != 0);
	CU_ASSERT(info.services & VIRTIO_ACCEL_SERVICE_NULL);
	CU_ASSERT(info.n_caps > 0);
}

/* [CTRL-CAPS]: ascending order, only pairs the spec lists */
static void t_caps_order(void)
{
	unsigned int i;

	for (i = 0; i < info.n_caps; i++) {
		uint32_t op = le32toh(info.caps[i].op);
		uint32_t algo = le32toh(info.caps[i].algo);

		CU_ASSERT_PTR_NOT_NULL(virtaccel_alg_name(algo));
		CU_ASSERT(op < VIRTIO_ACCEL_OP_MAX);
		if (i)
			CU_ASSERT(le32toh(info.caps[i - 1].op) * 8 +
				  le32toh(info.caps[i - 1].algo) < op * 8 + algo);
	}
}

/* [REQ-SHORT]: no room for a response: nothing written, used len 0 */
static void t_req_short(void)
{
	struct accel_case c = { "REQ-SHORT", "short", VIRTIO_ACCEL_OP_NULL,
				VIRTIO_ACCEL_ALG_NONE, 0, CS_NONE, 0, 0, 0, 8,
				8, 0, 0, 0, 0, 0 };
	uint64_t rd = case_build_rd(&c, &lims, 0, rdbuf);
	int used, i, untouched = 1;

	memset(wrbuf, FILL, 15);
	used = raw(rdbuf, rd, wrbuf, 15);
	CU_ASSERT_EQUAL(used, 0);
	for (i = 0; i < 15; i++)
		if (wrbuf[i] != FILL)
			untouched = 0;
	CU_ASSERT(untouched);
	/* no writable part at all */
	used = raw(rdbuf, rd, NULL, 0);
	CU_ASSERT_EQUAL(used, 0);
	CU_ASSERT(still_serving());
}

/* [REQ-HUGE]: a writable part beyond one valid request: nothing written */
static void t_req_huge(void)
{
	struct accel_case c = { "REQ-HUGE", "huge", VIRTIO_ACCEL_OP_NULL,
				VIRTIO_ACCEL_ALG_NONE, 0, CS_NONE, 0, 0, 0, 8,
				8, 0, 0, 0, 0, 0 };
	uint64_t rd = case_build_rd(&c, &lims, 0, rdbuf);
	uint64_t wr = (uint64_t)lims.max_data_len + 17, i;
	int used, untouched = 1;

	if (wr > CASE_CAP + 4096)
		return;
	memset(wrbuf, FILL, wr);
	used = raw(rdbuf, rd, wrbuf, wr);
	CU_ASSERT_EQUAL(used, 0);
	for (i = 0; i < wr; i++)
		if (wrbuf[i] != FILL)
			untouched = 0;
	CU_ASSERT(untouched);
	CU_ASSERT(still_serving());
}

/* [REQ-SEGS]: more descriptors than max_segments */
static void t_req_segs(void)
{
	struct accel_case c = { "REQ-SEGS", "segs", VIRTIO_ACCEL_OP_NULL,
				VIRTIO_ACCEL_ALG_NONE, 0, CS_NONE, 0, 0, 0, 0,
				0, 0, 0, 0, 0, 0 };
	unsigned int n = info.max_segments + 1, i;
	struct iovec *iov = calloc(n, sizeof(*iov));
	struct iovec w = { wrbuf, 16 };
	int used;

	CU_ASSERT_PTR_NOT_NULL_FATAL(iov);
	c.src_len = n;
	c.dst_len = 0;
	c.wr_adj = 0;
	case_build_rd(&c, &lims, 0, rdbuf);
	/* header in one piece, then one descriptor per source byte */
	c.dst_len = 0;
	iov[0].iov_base = rdbuf;
	iov[0].iov_len = 64;
	for (i = 1; i < n; i++) {
		iov[i].iov_base = rdbuf + 64 + i - 1;
		iov[i].iov_len = 1;
	}
	/* header says src_len n, dst_len 0: NULL needs dst == src, but the
	 * segment limit is checked first and must give BADMSG either way */
	memset(wrbuf, FILL, 16);
	used = virtaccel_submit_raw(dev, 1, iov, n, &w, 1);
	if (n + 1 > info.queue_size) {
		/*
		 * max_segments + 2 descriptors do not fit this queue: such a
		 * chain breaks the ring rules ([RING-BROKEN]) before it can
		 * test [REQ-SEGS], and the driver must refuse to make it.
		 */
		CU_ASSERT_EQUAL(used, -EINVAL);
	} else if (used == 16) {
		CU_ASSERT_EQUAL(wrbuf[15], VIRTIO_ACCEL_BADMSG);
	} else {
		CU_ASSERT_EQUAL(used, 0);
	}
	free(iov);
	CU_ASSERT(still_serving());
}

/* [OP-NULL] */
static void t_op_null(void)
{
	uint8_t src[1000], dst[1000];
	unsigned int i;

	for (i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 13);
	memset(dst, 0, sizeof(dst));
	CU_ASSERT_EQUAL(run_op(VIRTIO_ACCEL_OP_NULL, 0, 0, NULL, 0, NULL, 0,
			       NULL, 0, src, sizeof(src), dst, sizeof(dst),
			       NULL), 0);
	CU_ASSERT_EQUAL(memcmp(src, dst, sizeof(src)), 0);
}

/* [OP-HASH]: known answers */
static void t_op_hash(void)
{
	uint8_t d[32];

	CU_ASSERT_EQUAL(run_op(VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_SHA256, 0,
			       NULL, 0, NULL, 0, NULL, 0, "abc", 3, d, 32,
			       NULL), 0);
	CU_ASSERT_EQUAL(hexcmp(d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), 0);
	CU_ASSERT_EQUAL(run_op(VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_SHA256, 0,
			       NULL, 0, NULL, 0, NULL, 0, "", 0, d, 32,
			       NULL), 0);
	CU_ASSERT_EQUAL(hexcmp(d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), 0);
	CU_ASSERT_EQUAL(run_op(VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_CRC32C, 0,
			       NULL, 0, NULL, 0, NULL, 0, "123456789", 9, d, 4,
			       NULL), 0);
	/* 0xe3069283, little-endian */
	CU_ASSERT_EQUAL(hexcmp(d, "839206e3"), 0);
}

/* [OP-MAC]: RFC 4231 test case 2, stateless and with a session */
static void t_op_mac(void)
{
	static const char *want =
		"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
	const char *data = "what do ya want for nothing?";
	uint64_t sid = 0;
	uint8_t d[32];

	CU_ASSERT_EQUAL(run_op(VIRTIO_ACCEL_OP_MAC, VIRTIO_ACCEL_ALG_HMAC_SHA256,
			       0, "Jefe", 4, NULL, 0, NULL, 0, data,
			       (uint32_t)strlen(data), d, 32, NULL), 0);
	CU_ASSERT_EQUAL(hexcmp(d, want), 0);
	CU_ASSERT_EQUAL_FATAL(virtaccel_session_create(dev, VIRTIO_ACCEL_OP_MAC,
						       VIRTIO_ACCEL_ALG_HMAC_SHA256,
						       0, "Jefe", 4, &sid), 0);
	memset(d, 0, sizeof(d));
	CU_ASSERT_EQUAL(run_op(VIRTIO_ACCEL_OP_MAC, VIRTIO_ACCEL_ALG_HMAC_SHA256,
			       sid, NULL, 0, NULL, 0, NULL, 0, data,
			       (uint32_t)strlen(data), d, 32, NULL), 0);
	CU_ASSERT_EQUAL(hexcmp(d, want), 0);
	CU_ASSERT_EQUAL(virtaccel_session_destroy(dev, sid), 0);
}

/* [OP-AEAD] and [ST-NOLEAK]: GCM spec test case 14, tag failure */
static void t_op_aead(void)
{
	uint8_t key[32] = { 0 }, iv[12] = { 0 }, pt[16] = { 0 }, ct[32];
	/*
	 * In shared memory and larger than the library copies inline, so
	 * the device's own writes are what we see.
	 */
	enum { BIG = 4096 };
	uint8_t *out = virtaccel_buf_alloc(dev, BIG);
	uint8_t *bpt = virtaccel_buf_alloc(dev, BIG);
	uint8_t *bct = virtaccel_buf_alloc(dev, BIG + 16);
	struct virtaccel_op r;
	unsigned int i, zero = 1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bpt);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bct);
	CU_ASSERT_EQUAL(run_op(VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
			       VIRTIO_ACCEL_ALG_AES256_GCM, 0, key, 32, iv, 12,
			       NULL, 0, pt, 16, ct, 32, NULL), 0);
	CU_ASSERT_EQUAL(hexcmp(ct, "cea7403d4d606b6e074ec5d3baf39d18"
				   "d0d1c8a799996bf0265b98b5d48ab919"), 0);
	memset(out, 0xee, 16);
	CU_ASSERT_EQUAL(run_op(VIRTIO_ACCEL_OP_AEAD_DECRYPT,
			       VIRTIO_ACCEL_ALG_AES256_GCM, 0, key, 32, iv, 12,
			       NULL, 0, ct, 32, out, 16, NULL), 0);
	CU_ASSERT_EQUAL(memcmp(out, pt, 16), 0);
	/* a tag failure leaves dst all zeros: nothing unauthenticated */
	for (i = 0; i < BIG; i++)
		bpt[i] = (uint8_t)(i * 7);
	CU_ASSERT_EQUAL(run_op(VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
			       VIRTIO_ACCEL_ALG_AES256_GCM, 0, key, 32, iv, 12,
			       NULL, 0, bpt, BIG, bct, BIG + 16, NULL), 0);
	memset(out, 0xee, BIG);
	CU_ASSERT_EQUAL(run_op(VIRTIO_ACCEL_OP_AEAD_DECRYPT,
			       VIRTIO_ACCEL_ALG_AES256_GCM, 0, key, 32, iv, 12,
			       NULL, 0, bct, BIG + 16, out, BIG, NULL), 0);
	CU_ASSERT_EQUAL(memcmp(out, bpt, BIG), 0);
	bct[BIG + 15] ^= 1;
	memset(out, 0xee, BIG);
	CU_ASSERT_EQUAL(run_op(VIRTIO_ACCEL_OP_AEAD_DECRYPT,
			       VIRTIO_ACCEL_ALG_AES256_GCM, 0, key, 32, iv, 12,
			       NULL, 0, bct, BIG + 16, out, BIG, &r), -EBADMSG);
	CU_ASSERT_EQUAL(r.status, VIRTIO_ACCEL_AUTH_FAILED);
	for (i = 0; i < BIG; i++)
		if (out[i])
			zero = 0;
	CU_ASSERT(zero);
	/* the same for the 16-byte case the library copies inline */
	ct[31] ^= 1;
	memset(pt, 0xee, 16);
	CU_ASSERT_EQUAL(run_op(VIRTIO_ACCEL_OP_AEAD_DECRYPT,
			       VIRTIO_ACCEL_ALG_AES256_GCM, 0, key, 32, iv, 12,
			       NULL, 0, ct, 32, pt, 16, &r), -EBADMSG);
	for (i = 0, zero = 1; i < 16; i++)
		if (pt[i])
			zero = 0;
	CU_ASSERT(zero);
	virtaccel_buf_free(dev, out);
	virtaccel_buf_free(dev, bpt);
	virtaccel_buf_free(dev, bct);
}

/* [OP-DEFLATE]: known stream, round trip, NOSPC, garbage, trailing data */
static void t_op_deflate(void)
{
	static const uint8_t z[] = { 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x57, 0xc8,
				     0x40, 0x27, 0xb9, 0x00 };
	const char *plain = "hello hello hello hello\n";
	uint8_t out[256], comp[256], bad[16];
	struct virtaccel_op r;
	size_t plen = strlen(plain);
	int ret;

	CU_ASSERT_EQUAL(run_op(VIRTIO_ACCEL_OP_DECOMPRESS,
			       VIRTIO_ACCEL_ALG_DEFLATE, 0, NULL, 0, NULL, 0,
			       NULL, 0, z, sizeof(z), out, sizeof(out), &r), 0);
	CU_ASSERT_EQUAL(r.dst_used, plen);
	CU_ASSERT_EQUAL(memcmp(out, plain, plen), 0);
	CU_ASSERT(r.resp_flags & VIRTIO_ACCEL_RESP_F_STREAM_END);

	CU_ASSERT_EQUAL(run_op(VIRTIO_ACCEL_OP_COMPRESS,
			       VIRTIO_ACCEL_ALG_DEFLATE, 0, NULL, 0, NULL, 0,
			       NULL, 0, plain, (uint32_t)plen, comp,
			       (uint32_t)VIRTIO_ACCEL_DEFLATE_BOUND(plen), &r), 0);
	ret = run_op(VIRTIO_ACCEL_OP_DECOMPRESS, VIRTIO_ACCEL_ALG_DEFLATE, 0,
		     NULL, 0, NULL, 0, NULL, 0, comp, r.dst_used, out,
		     sizeof(out), &r);
	CU_ASSERT_EQUAL(ret, 0);
	CU_ASSERT_EQUAL(r.dst_used, plen);
	CU_ASSERT_EQUAL(memcmp(out, plain, plen), 0);

	/* output does not fit */
	ret = run_op(VIRTIO_ACCEL_OP_DECOMPRESS, VIRTIO_ACCEL_ALG_DEFLATE, 0,
		     NULL, 0, NULL, 0, NULL, 0, z, sizeof(z), out, 5, &r);
	CU_ASSERT_EQUAL(r.status, VIRTIO_ACCEL_NOSPC);
	CU_ASSERT_EQUAL(ret, -ENOSPC);
	/* not DEFLATE (BTYPE 11 is reserved) */
	memset(bad, 0xff, sizeof(bad));
	run_op(VIRTIO_ACCEL_OP_DECOMPRESS, VIRTIO_ACCEL_ALG_DEFLATE, 0, NULL, 0,
	       NULL, 0, NULL, 0, bad, sizeof(bad), out, sizeof(out), &r);
	CU_ASSERT_EQUAL(r.status, VIRTIO_ACCEL_BADMSG);
	/* truncated */
	run_op(VIRTIO_ACCEL_OP_DECOMPRESS, VIRTIO_ACCEL_ALG_DEFLATE, 0, NULL, 0,
	       NULL, 0, NULL, 0, z, sizeof(z) - 3, out, sizeof(out), &r);
	CU_ASSERT_EQUAL(r.status, VIRTIO_ACCEL_BADMSG);
	/* trailing data after the final block */
	memcpy(bad, z, sizeof(z));
	bad[sizeof(z)] = 0x42;
	run_op(VIRTIO_ACCEL_OP_DECOMPRESS, VIRTIO_ACCEL_ALG_DEFLATE, 0, NULL, 0,
	       NULL, 0, NULL, 0, bad, sizeof(z) + 1, out, sizeof(out), &r);
	CU_ASSERT_EQUAL(r.status, VIRTIO_ACCEL_BADMSG);
	CU_ASSERT(still_serving());
}

/* [OP-DEFLATE]: incompressible input within the bound never gives NOSPC */
static void t_deflate_bound(void)
{
	uint32_t n = 100000, i, x = 12345;
	uint8_t *src = virtaccel_buf_alloc(dev, n);
	uint8_t *dst = virtaccel_buf_alloc(dev, VIRTIO_ACCEL_DEFLATE_BOUND(n));
	struct virtaccel_op r;

	CU_ASSERT_PTR_NOT_NULL_FATAL(src);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dst);
	for (i = 0; i < n; i++) {
		x = x * 1103515245 + 12345;
		src[i] = (uint8_t)(x >> 16);
	}
	CU_ASSERT_EQUAL(run_op(VIRTIO_ACCEL_OP_COMPRESS,
			       VIRTIO_ACCEL_ALG_DEFLATE, 0, NULL, 0, NULL, 0,
			       NULL, 0, src, n, dst,
			       VIRTIO_ACCEL_DEFLATE_BOUND(n), &r), 0);
	CU_ASSERT(r.dst_used <= VIRTIO_ACCEL_DEFLATE_BOUND(n));
	virtaccel_buf_free(dev, src);
	virtaccel_buf_free(dev, dst);
}

/* [SESS-KEY]/[CTRL-DESTROY]: a destroyed session is gone */
static void t_sess_destroy(void)
{
	uint64_t sid = 0;
	uint8_t d[32];

	CU_ASSERT_EQUAL_FATAL(virtaccel_session_create(dev, VIRTIO_ACCEL_OP_MAC,
						       VIRTIO_ACCEL_ALG_HMAC_SHA256,
						       0, "k", 1, &sid), 0);
	CU_ASSERT(sid != 0);
	CU_ASSERT_EQUAL(virtaccel_session_destroy(dev, sid), 0);
	CU_ASSERT_EQUAL(run_op(VIRTIO_ACCEL_OP_MAC, VIRTIO_ACCEL_ALG_HMAC_SHA256,
			       sid, NULL, 0, NULL, 0, NULL, 0, "x", 1, d, 32,
			       NULL), -ENOENT);
	CU_ASSERT_EQUAL(virtaccel_session_destroy(dev, sid), -ENOENT);
}

/* [CTRL-CREATE]: NOSPC when the table is full, ids unique */
static void t_sess_table_full(void)
{
	unsigned int n = info.max_sessions, i, made = 0, dup = 0;
	uint64_t *ids = calloc(n + 1, sizeof(*ids));
	int ret = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ids);
	if (n > 65536) {
		free(ids);
		return; /* too large to fill in a test run */
	}
	for (i = 0; i < n; i++) {
		ret = virtaccel_session_create(dev, VIRTIO_ACCEL_OP_HASH,
					       VIRTIO_ACCEL_ALG_SHA256, 0,
					       NULL, 0, &ids[i]);
		if (ret)
			break;
		made++;
	}
	if (made != n)
		fprintf(stderr, "  [CTRL-CREATE] created %u of %u sessions, then %s\n",
			made, n, strerror(-ret));
	CU_ASSERT_EQUAL(made, n);
	ret = virtaccel_session_create(dev, VIRTIO_ACCEL_OP_HASH,
				       VIRTIO_ACCEL_ALG_SHA256, 0, NULL, 0,
				       &ids[n]);
	CU_ASSERT_EQUAL(ret, -ENOSPC);
	for (i = 1; i < made; i++)
		if (ids[i] == ids[i - 1] || !ids[i])
			dup++;
	CU_ASSERT_EQUAL(dup, 0);
	for (i = 0; i < made; i++)
		virtaccel_session_destroy(dev, ids[i]);
	free(ids);
	CU_ASSERT(still_serving());
}

/* [STREAM-*] via the library: a stream equals the one-shot result */
static void t_stream_hash(void)
{
	struct virtaccel_stream_params p = {
		.op = VIRTIO_ACCEL_OP_HASH, .algo = VIRTIO_ACCEL_ALG_SHA256,
	};
	size_t n = (size_t)info.max_data_len * 2 + 12345, iu, ou, off = 0;
	uint8_t *buf = malloc(n), one[32], st[64];
	struct virtaccel_stream *s;
	int done = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	memset(buf, 'a', n);
	CU_ASSERT_EQUAL_FATAL(virtaccel_hash(dev, VIRTIO_ACCEL_ALG_SHA256, buf,
					     n, one, 32), 0);
	CU_ASSERT_EQUAL_FATAL(virtaccel_stream_open(dev, &p, &s), 0);
	while (!done) {
		size_t chunk = n - off < 70001 ? n - off : 70001;

		if (virtaccel_stream_update(s, buf + off, chunk,
					    off + chunk == n, st, sizeof(st),
					    &iu, &ou, &done))
			break;
		off += iu;
	}
	CU_ASSERT(done);
	CU_ASSERT_EQUAL(memcmp(one, st, 32), 0);
	virtaccel_stream_close(s);
	free(buf);
}

/*
 * [STREAM-LIMIT], [CFG-LIMITS]: max_comp_streams DEFLATE stream sessions
 * and not one more (NOSPC at CREATE_SESSION, nothing created); the streams
 * held meanwhile still compress correctly; ending a stream keeps the slot,
 * destroying the session frees it; other stream kinds do not count.
 */
static int has_stream_cap(uint32_t op)
{
	unsigned int i;

	for (i = 0; i < info.n_caps; i++)
		if (le32toh(info.caps[i].op) == op &&
		    (le32toh(info.caps[i].flags) & VIRTIO_ACCEL_CAP_F_STREAM))
			return 1;
	return 0;
}

#define SL_CHUNK 3000

/* One COMPRESS stream request; appends its output at *out + *n. */
static int sl_step(uint64_t sid, const uint8_t *src, uint32_t len, int final,
		   uint8_t *out, uint32_t *n, uint32_t cap, int *end)
{
	struct virtaccel_op op = {
		.opcode = VIRTIO_ACCEL_OP_COMPRESS,
		.algo = VIRTIO_ACCEL_ALG_DEFLATE,
		.flags = final ? VIRTIO_ACCEL_OP_F_FINAL : 0,
		.session_id = sid, .src = src, .src_len = len,
		.dst = out + *n, .dst_len = cap - *n,
	};
	int ret = virtaccel_run(dev, &op);

	if (ret)
		return ret;
	if (op.src_used != len)
		return -EPROTO;	/* dst room is ample: all input is taken */
	*n += op.dst_used;
	*end = !!(op.resp_flags & VIRTIO_ACCEL_RESP_F_STREAM_END);
	return 0;
}

/* Ends the stream of @sid and checks it inflates to @plain. */
static int sl_finish(uint64_t sid, const uint8_t *plain, uint32_t plen,
		     uint8_t *out, uint32_t n, uint32_t cap, uint8_t *back)
{
	struct virtaccel_op r;
	int end = 0, i, ret;

	for (i = 0; !end && i < 8; i++) {
		ret = sl_step(sid, plain, 0, 1, out, &n, cap, &end);
		if (ret)
			return ret;
	}
	if (!end)
		return -EPROTO;
	ret = run_op(VIRTIO_ACCEL_OP_DECOMPRESS, VIRTIO_ACCEL_ALG_DEFLATE, 0,
		     NULL, 0, NULL, 0, NULL, 0, out, n, back, cap, &r);
	if (ret)
		return ret;
	return r.dst_used == plen && !memcmp(back, plain, plen) ? 0 : -EBADMSG;
}

static void t_stream_limit(void)
{
	uint32_t lim = info.max_comp_streams, i, cap = 2 * SL_CHUNK + 256;
	uint32_t *olen;
	uint64_t *ids, extra = 0, h = 0;
	uint8_t *plain, *out, *back;
	unsigned int made = 0, bad = 0;
	int ret, end;

	if (!has_stream_cap(VIRTIO_ACCEL_OP_COMPRESS) ||
	    !(info.driver_features & (1ull << VIRTIO_ACCEL_F_STREAM))) {
		fprintf(stderr, "  [STREAM-LIMIT] no DEFLATE streams: skipped\n");
		return;
	}
	/* [CFG-LIMITS] */
	CU_ASSERT_FATAL(lim >= 1);
	CU_ASSERT_FATAL(lim <= info.max_sessions);
	ids = calloc(lim + 1, sizeof(*ids));
	olen = calloc(lim + 1, sizeof(*olen));
	plain = malloc((size_t)(lim + 1) * SL_CHUNK);
	out = virtaccel_buf_alloc(dev, (size_t)(lim + 1) * cap);
	back = virtaccel_buf_alloc(dev, cap);
	CU_ASSERT_FATAL(ids && olen && plain && out && back);
	for (i = 0; i < (lim + 1) * SL_CHUNK; i++)
		plain[i] = (uint8_t)("stream limit "[i % 13] + i / SL_CHUNK);

	/* lim sessions, each with a stream in progress (live engine state) */
	for (i = 0; i < lim; i++) {
		ret = virtaccel_session_create(dev, i & 1 ?
					       VIRTIO_ACCEL_OP_DECOMPRESS :
					       VIRTIO_ACCEL_OP_COMPRESS,
					       VIRTIO_ACCEL_ALG_DEFLATE,
					       VIRTIO_ACCEL_SESS_F_STREAM,
					       NULL, 0, &ids[i]);
		if (ret) {
			fprintf(stderr, "  [STREAM-LIMIT] session %u of %u: %s\n",
				i + 1, lim, strerror(-ret));
			break;
		}
		made++;
	}
	CU_ASSERT_EQUAL_FATAL(made, lim);
	/* the DECOMPRESS ones count too; the COMPRESS ones get a stream */
	for (i = 0; i < lim; i += 2)
		if (sl_step(ids[i], plain + i * SL_CHUNK, SL_CHUNK, 0,
			    out + (size_t)i * cap, &olen[i], cap, &end))
			bad++;
	CU_ASSERT_EQUAL(bad, 0);

	/* one more, either direction: NOSPC, and no session made */
	CU_ASSERT_EQUAL(virtaccel_session_create(dev, VIRTIO_ACCEL_OP_COMPRESS,
						 VIRTIO_ACCEL_ALG_DEFLATE,
						 VIRTIO_ACCEL_SESS_F_STREAM,
						 NULL, 0, &extra), -ENOSPC);
	CU_ASSERT_EQUAL(virtaccel_session_create(dev,
						 VIRTIO_ACCEL_OP_DECOMPRESS,
						 VIRTIO_ACCEL_ALG_DEFLATE,
						 VIRTIO_ACCEL_SESS_F_STREAM,
						 NULL, 0, &extra), -ENOSPC);
	/* other kinds still fit in the session table */
	if (has_stream_cap(VIRTIO_ACCEL_OP_HASH)) {
		CU_ASSERT_EQUAL(virtaccel_session_create(dev,
							 VIRTIO_ACCEL_OP_HASH,
							 VIRTIO_ACCEL_ALG_SHA256,
							 VIRTIO_ACCEL_SESS_F_STREAM,
							 NULL, 0, &h), 0);
		if (h)
			virtaccel_session_destroy(dev, h);
	}
	CU_ASSERT_EQUAL(virtaccel_session_create(dev, VIRTIO_ACCEL_OP_COMPRESS,
						 VIRTIO_ACCEL_ALG_DEFLATE, 0,
						 NULL, 0, &h), 0);
	if (h)
		virtaccel_session_destroy(dev, h);

	/* the streams held all the while complete correctly */
	for (bad = 0, i = 0; i < lim; i += 2)
		if (sl_finish(ids[i], plain + i * SL_CHUNK, SL_CHUNK,
			      out + (size_t)i * cap, olen[i], cap, back))
			bad++;
	CU_ASSERT_EQUAL(bad, 0);
	/* a finished stream keeps its session's slot */
	CU_ASSERT_EQUAL(virtaccel_session_create(dev, VIRTIO_ACCEL_OP_COMPRESS,
						 VIRTIO_ACCEL_ALG_DEFLATE,
						 VIRTIO_ACCEL_SESS_F_STREAM,
						 NULL, 0, &extra), -ENOSPC);
	/* destroying one frees it: the new session streams correctly */
	CU_ASSERT_EQUAL(virtaccel_session_destroy(dev, ids[0]), 0);
	ret = virtaccel_session_create(dev, VIRTIO_ACCEL_OP_COMPRESS,
				       VIRTIO_ACCEL_ALG_DEFLATE,
				       VIRTIO_ACCEL_SESS_F_STREAM, NULL, 0,
				       &ids[0]);
	CU_ASSERT_EQUAL(ret, 0);
	if (!ret) {
		olen[lim] = 0;
		CU_ASSERT_EQUAL(sl_step(ids[0], plain + lim * SL_CHUNK,
					SL_CHUNK, 0, out + (size_t)lim * cap,
					&olen[lim], cap, &end), 0);
		CU_ASSERT_EQUAL(sl_finish(ids[0], plain + lim * SL_CHUNK,
					  SL_CHUNK, out + (size_t)lim * cap,
					  olen[lim], cap, back), 0);
	} else {
		ids[0] = 0;
	}
	for (i = 0; i < lim; i++)
		if (ids[i])
			virtaccel_session_destroy(dev, ids[i]);
	/* all freed: lim fit again */
	for (made = 0, i = 0; i < lim; i++)
		if (!virtaccel_session_create(dev, VIRTIO_ACCEL_OP_COMPRESS,
					      VIRTIO_ACCEL_ALG_DEFLATE,
					      VIRTIO_ACCEL_SESS_F_STREAM, NULL,
					      0, &ids[i]))
			made++;
		else
			ids[i] = 0;
	CU_ASSERT_EQUAL(made, lim);
	for (i = 0; i < lim; i++)
		if (ids[i])
			virtaccel_session_destroy(dev, ids[i]);
	virtaccel_buf_free(dev, out);
	virtaccel_buf_free(dev, back);
	free(plain);
	free(olen);
	free(ids);
	CU_ASSERT(still_serving());
}

/*
 * Library: virtaccel_queue_fd() is readable while completions wait and not
 * once virtaccel_poll() has taken them all (poll(2) on it then sleeps).
 */
static int fd_ready(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) > 0 && (p.revents & POLLIN);
}

static void t_lib_queue_fd(void)
{
	struct virtaccel_op ops[4], *v[4], *done[4];
	uint8_t *src = virtaccel_buf_alloc(dev, 64);
	uint8_t *dst = virtaccel_buf_alloc(dev, 4 * 64);
	unsigned int i, got = 0, round;
	int fd = virtaccel_queue_fd(dev, 0), n;

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(src && dst);
	memset(src, 0x5a, 64);
	for (round = 0; round < 2; round++) {
		memset(ops, 0, sizeof(ops));
		for (i = 0; i < 4; i++) {
			ops[i].opcode = VIRTIO_ACCEL_OP_NULL;
			ops[i].src = src;
			ops[i].src_len = 64;
			ops[i].dst = dst + i * 64;
			ops[i].dst_len = 64;
			v[i] = &ops[i];
		}
		CU_ASSERT_EQUAL_FATAL(virtaccel_submit(dev, 0, v, 4), 4);
		for (got = 0, i = 0; got < 4 && i < 1000; i++) {
			if (!fd_ready(fd, 5000))
				break;
			n = virtaccel_poll(dev, 0, done, 4, 0);
			CU_ASSERT_FATAL(n >= 0);
			got += (unsigned int)n;
		}
		CU_ASSERT_EQUAL(got, 4);
		/* all taken: the fd must not stay readable */
		CU_ASSERT_FALSE(fd_ready(fd, 0));
		CU_ASSERT_EQUAL(virtaccel_poll(dev, 0, done, 4, 0), 0);
		CU_ASSERT_FALSE(fd_ready(fd, 0));
	}
	virtaccel_buf_free(dev, src);
	virtaccel_buf_free(dev, dst);
}

/* issue 13's rules of the device core: [STREAM-ERR], [STREAM-GCM-MAX] */
#include "core_rules.c"

int main(int argc, char **argv)
{
	unsigned int run, failed;
	CU_pSuite s;

	if (argc != 2) {
		fprintf(stderr, "usage: conformance DEVICE\n");
		return 2;
	}
	devstr = argv[1];
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("conformance", suite_init, suite_fini);
	CU_add_test(s, "FEAT-V1", t_feat);
	CU_add_test(s, "CFG-LIMITS", t_cfg_limits);
	CU_add_test(s, "CTRL-CAPS-ORDER", t_caps_order);
	CU_add_test(s, "REQ-SHORT", t_req_short);
	CU_add_test(s, "REQ-HDR", t_req_hdr);
	CU_add_test(s, "REQ-RSVD", t_req_rsvd);
	CU_add_test(s, "REQ-OP", t_req_op);
	CU_add_test(s, "REQ-FLAGS", t_req_flags);
	CU_add_test(s, "REQ-LEN-RD", t_req_len_rd);
	CU_add_test(s, "REQ-LEN-WR", t_req_len_wr);
	CU_add_test(s, "REQ-LIMITS", t_req_limits);
	CU_add_test(s, "REQ-SESS", t_req_sess);
	CU_add_test(s, "REQ-FINAL", t_req_final);
	CU_add_test(s, "REQ-KEY", t_req_key);
	CU_add_test(s, "REQ-IV", t_req_iv);
	CU_add_test(s, "REQ-HUGE", t_req_huge);
	CU_add_test(s, "REQ-SEGS", t_req_segs);
	CU_add_test(s, "OP-DST", t_op_dst);
	CU_add_test(s, "OP-NULL", t_op_null);
	CU_add_test(s, "OP-HASH", t_op_hash);
	CU_add_test(s, "OP-MAC", t_op_mac);
	CU_add_test(s, "OP-AEAD", t_op_aead);
	CU_add_test(s, "OP-DEFLATE", t_op_deflate);
	CU_add_test(s, "OP-DEFLATE-BOUND", t_deflate_bound);
	CU_add_test(s, "STREAM-START", t_stream_start);
	CU_add_test(s, "STREAM-HASH", t_stream_hash);
	CU_add_test(s, "STREAM-LIMIT", t_stream_limit);
	CU_add_test(s, "STREAM-ERR-SCOPE", t_stream_err_scope);
	CU_add_test(s, "STREAM-GCM-MAX", t_stream_gcm_max);
	CU_add_test(s, "CTRL-CAPS", t_ctrl_caps);
	CU_add_test(s, "CTRL-RSVD", t_ctrl_rsvd);
	CU_add_test(s, "CTRL-OP", t_ctrl_op);
	CU_add_test(s, "CTRL-CREATE", t_ctrl_create);
	CU_add_test(s, "CTRL-CREATE-NOSPC", t_sess_table_full);
	CU_add_test(s, "CTRL-DESTROY", t_ctrl_destroy);
	CU_add_test(s, "SESS-DESTROY", t_sess_destroy);
	s = CU_add_suite("library", suite_init, suite_fini);
	CU_add_test(s, "LIB-QUEUE-FD", t_lib_queue_fd);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	run = CU_get_number_of_tests_run();
	failed = CU_get_number_of_tests_failed();
	/* a suite that could not even open the device counts as failed */
	if (CU_get_number_of_suites_failed())
		failed = run = failed + 1;
	printf("\n%u passed, %u failed\n", run - failed, failed);
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
