// SPDX-License-Identifier: BSD-3-Clause
/*
 * Unit tests of the wire layout and of the shared request validation
 * (virtio-accel-spec/lib/virtio_accel_req.c) against the request table.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "virtio_accel_req.h"
#include "../common/cases.h"

/* The limits the table assumes for unit runs. */
static const struct case_lims ulims = { 1u << 20, 4096 };

static struct virtio_accel_limits mk_lim(uint32_t cflags)
{
	struct virtio_accel_limits lim = {
		.implemented = ~0ull,
		.max_data_len = ulims.max_data_len,
		.max_aad_len = ulims.max_aad_len,
		.stateless = !(cflags & CF_NO_STATELESS),
		.stream = 1,
	};

	if (cflags & CF_NOT_IMPL)
		lim.implemented = 0;
	return lim;
}

/* Session view for a row, as a device would hold it. */
static const struct virtio_accel_sess_view *
row_sess(const struct accel_case *c, struct virtio_accel_sess_view *v)
{
	memset(v, 0, sizeof(*v));
	switch (c->sess) {
	case CS_NONE:
	case CS_BOGUS:
		return NULL;
	case CS_OTHER:
		v->op = VIRTIO_ACCEL_OP_NULL;
		v->algo = VIRTIO_ACCEL_ALG_NONE;
		return v;
	default:
		v->op = c->opcode;
		v->algo = c->algo;
		if (c->sess != CS_PLAIN)
			v->flags = VIRTIO_ACCEL_SESS_F_STREAM;
		v->stream_active = c->sess == CS_ACTIVE;
		return v;
	}
}

static int run_row(const struct accel_case *c)
{
	struct virtio_accel_limits lim = mk_lim(c->cflags);
	struct virtio_accel_sess_view view;
	const struct virtio_accel_sess_view *sv = row_sess(c, &view);
	struct virtio_accel_op_req req;
	struct virtio_accel_op op;
	uint64_t rd = case_rd_len(c, &ulims), wr = case_wr_len(c, &ulims);
	uint64_t sid = c->sess == CS_NONE ? 0 : 0x55;
	u8 st;

	case_hdr(c, &ulims, sid, &req);
	virtio_accel_decode_op_hdr(&req, &op);
	st = virtio_accel_check_op(&op, &req, rd, wr, &lim, sv);
	if (st != c->expect) {
		fprintf(stderr, "  [%s] %s: got %s, spec says %s\n", c->label,
			c->name, virtio_accel_status_name(st),
			virtio_accel_status_name(c->expect));
		return 1;
	}
	if (st == VIRTIO_ACCEL_OK &&
	    (op.src_off + (uint64_t)op.src_len != rd ||
	     op.key_off != sizeof(req))) {
		fprintf(stderr, "  [%s] %s: bad offsets\n", c->label, c->name);
		return 1;
	}
	return 0;
}

static int run_ctrl_row(const struct accel_ctrl_case *c)
{
	struct virtio_accel_limits lim = mk_lim(c->cflags);
	struct virtio_accel_ctrl_req req;
	struct virtio_accel_ctrl ctl;
	u8 st, want = c->expect;

	/* NOSPC and INVSESS come from device state, after validation. */
	if (want == VIRTIO_ACCEL_NOSPC || want == VIRTIO_ACCEL_INVSESS)
		want = VIRTIO_ACCEL_OK;
	ctrl_case_hdr(c, &req);
	st = virtio_accel_check_ctrl(&ctl, &req, ctrl_case_rd_len(c),
				     ctrl_case_wr_len(c), &lim);
	if (st != want) {
		fprintf(stderr, "  [%s] %s: got %s, spec says %s\n", c->label,
			c->name, virtio_accel_status_name(st),
			virtio_accel_status_name(want));
		return 1;
	}
	return 0;
}

static void run_label(const char *label)
{
	unsigned int n, bad = case_run_label(label, 0, run_row, run_ctrl_row, &n);

	CU_ASSERT(n > 0);
	CU_ASSERT_EQUAL(bad, 0);
}

#define LABEL_TEST(fn, label) \
	static void fn(void) { run_label(label); }

LABEL_TEST(t_op_null, "OP-NULL")
LABEL_TEST(t_op_hash, "OP-HASH")
LABEL_TEST(t_op_mac, "OP-MAC")
LABEL_TEST(t_op_aead, "OP-AEAD")
LABEL_TEST(t_op_deflate, "OP-DEFLATE")
LABEL_TEST(t_req_hdr, "REQ-HDR")
LABEL_TEST(t_req_rsvd, "REQ-RSVD")
LABEL_TEST(t_req_op, "REQ-OP")
LABEL_TEST(t_req_flags, "REQ-FLAGS")
LABEL_TEST(t_req_len_rd, "REQ-LEN-RD")
LABEL_TEST(t_req_len_wr, "REQ-LEN-WR")
LABEL_TEST(t_req_limits, "REQ-LIMITS")
LABEL_TEST(t_req_sess, "REQ-SESS")
LABEL_TEST(t_req_stateless, "REQ-STATELESS")
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

/* Every row's label must be one the spec defines. */
static void t_table_labels(void)
{
	static const char *const known[] = {
		"OP-NULL", "OP-HASH", "OP-MAC", "OP-AEAD", "OP-DEFLATE",
		"REQ-HDR", "REQ-RSVD", "REQ-OP", "REQ-FLAGS", "REQ-LEN-RD", "REQ-LEN-WR",
		"REQ-LIMITS", "REQ-SESS", "REQ-STATELESS", "REQ-FINAL",
		"REQ-KEY", "REQ-IV", "OP-DST", "STREAM-START", "CTRL-CAPS",
		"CTRL-RSVD", "CTRL-OP", "CTRL-CREATE", "CTRL-DESTROY",
	};
	unsigned int i, j, unknown = 0;
	const char *l;

	for (i = 0; i < accel_n_cases + accel_n_ctrl_cases; i++) {
		l = i < accel_n_cases ? accel_cases[i].label :
			accel_ctrl_cases[i - accel_n_cases].label;
		for (j = 0; j < sizeof(known) / sizeof(known[0]); j++)
			if (!strcmp(l, known[j]))
				break;
		if (j == sizeof(known) / sizeof(known[0])) {
			fprintf(stderr, "  unknown label %s\n", l);
			unknown++;
		}
	}
	CU_ASSERT_EQUAL(unknown, 0);
}

/* The ABI: offsets are part of the spec (sections 4, 7.1, 7.2, 8). */
static void t_layout(void)
{
	CU_ASSERT_EQUAL(sizeof(struct virtio_accel_config), 32);
	CU_ASSERT_EQUAL(offsetof(struct virtio_accel_config, max_dataqueues), 4);
	CU_ASSERT_EQUAL(offsetof(struct virtio_accel_config, max_segments), 6);
	CU_ASSERT_EQUAL(offsetof(struct virtio_accel_config, services), 8);
	CU_ASSERT_EQUAL(offsetof(struct virtio_accel_config, max_sessions), 12);
	CU_ASSERT_EQUAL(offsetof(struct virtio_accel_config, max_data_len), 16);
	CU_ASSERT_EQUAL(offsetof(struct virtio_accel_config, max_key_len), 20);
	CU_ASSERT_EQUAL(offsetof(struct virtio_accel_config, max_aad_len), 24);
	CU_ASSERT_EQUAL(offsetof(struct virtio_accel_config, max_comp_streams),
			28);

	CU_ASSERT_EQUAL(sizeof(struct virtio_accel_op_req), 64);
	CU_ASSERT_EQUAL(offsetof(struct virtio_accel_op_req, algo), 4);
	CU_ASSERT_EQUAL(offsetof(struct virtio_accel_op_req, session_id), 8);
	CU_ASSERT_EQUAL(offsetof(struct virtio_accel_op_req, request_id), 16);
	CU_ASSERT_EQUAL(offsetof(struct virtio_accel_op_req, flags), 24);
	CU_ASSERT_EQUAL(offsetof(struct virtio_accel_op_req, key_len), 28);
	CU_ASSERT_EQUAL(offsetof(struct virtio_accel_op_req, iv_len), 32);
	CU_ASSERT_EQUAL(offsetof(struct virtio_accel_op_req, aad_len), 36);
	CU_ASSERT_EQUAL(offsetof(struct virtio_accel_op_req, src_len), 40);
	CU_ASSERT_EQUAL(offsetof(struct virtio_accel_op_req, dst_len), 44);
	CU_ASSERT_EQUAL(offsetof(struct virtio_accel_op_req, reserved), 48);

	CU_ASSERT_EQUAL(sizeof(struct virtio_accel_op_resp), 16);
	CU_ASSERT_EQUAL(offsetof(struct virtio_accel_op_resp, dst_used), 4);
	CU_ASSERT_EQUAL(offsetof(struct virtio_accel_op_resp, flags), 8);
	CU_ASSERT_EQUAL(offsetof(struct virtio_accel_op_resp, status), 15);

	CU_ASSERT_EQUAL(sizeof(struct virtio_accel_ctrl_req), 32);
	CU_ASSERT_EQUAL(offsetof(struct virtio_accel_ctrl_req, session_id), 8);
	CU_ASSERT_EQUAL(offsetof(struct virtio_accel_ctrl_req, op), 16);
	CU_ASSERT_EQUAL(offsetof(struct virtio_accel_ctrl_req, flags), 20);
	CU_ASSERT_EQUAL(offsetof(struct virtio_accel_ctrl_req, key_len), 24);
	CU_ASSERT_EQUAL(sizeof(struct virtio_accel_ctrl_resp), 16);
	CU_ASSERT_EQUAL(offsetof(struct virtio_accel_ctrl_resp, len), 8);
	CU_ASSERT_EQUAL(offsetof(struct virtio_accel_ctrl_resp, status), 15);

	CU_ASSERT_EQUAL(sizeof(struct virtio_accel_cap), 32);
	CU_ASSERT_EQUAL(offsetof(struct virtio_accel_cap, min_key_len), 12);
	CU_ASSERT_EQUAL(offsetof(struct virtio_accel_cap, out_len), 18);
	CU_ASSERT_EQUAL(offsetof(struct virtio_accel_cap, max_aad_len), 20);
	CU_ASSERT_EQUAL(offsetof(struct virtio_accel_cap, engine), 24);

	/* 2: the ID must be expressible on virtio-pci (0x1040 + id <= 0x107f) */
	CU_ASSERT(0x1040 + VIRTIO_ID_ACCEL <= 0x107f);
	CU_ASSERT(VIRTIO_ID_ACCEL > 49);
}

static void t_alg_table(void)
{
	unsigned int i, n;
	const struct virtio_accel_alg_info *t = virtio_accel_alg_table(&n);

	CU_ASSERT_EQUAL(n, 8);
	for (i = 0; i < n; i++) {
		CU_ASSERT_PTR_EQUAL(virtio_accel_alg_lookup(t[i].op, t[i].algo),
				    &t[i]);
		CU_ASSERT(t[i].min_key_len <= t[i].max_key_len);
		/* ascending (op, algo): GET_CAPS order */
		if (i)
			CU_ASSERT(t[i - 1].op * 8 + t[i - 1].algo <
				  t[i].op * 8 + t[i].algo);
	}
	CU_ASSERT_PTR_NULL(virtio_accel_alg_lookup(VIRTIO_ACCEL_OP_MAX, 0));
	CU_ASSERT_PTR_NULL(virtio_accel_alg_lookup(0xffffffffu, 0xffffffffu));
	CU_ASSERT_PTR_NULL(virtio_accel_alg_lookup(VIRTIO_ACCEL_OP_HASH,
						   VIRTIO_ACCEL_ALG_MAX));
}

static void t_names(void)
{
	CU_ASSERT_STRING_EQUAL(virtio_accel_status_name(0), "OK");
	CU_ASSERT_STRING_EQUAL(virtio_accel_status_name(7), "AUTH_FAILED");
	CU_ASSERT_STRING_EQUAL(virtio_accel_status_name(8), "UNKNOWN");
	CU_ASSERT_STRING_EQUAL(virtio_accel_status_name(255), "UNKNOWN");
	CU_ASSERT_STRING_EQUAL(virtio_accel_op_name(6), "decompress");
	CU_ASSERT_STRING_EQUAL(virtio_accel_op_name(7), "unknown");
}

static void t_deflate_bound(void)
{
	CU_ASSERT_EQUAL(virtio_accel_deflate_bound(0), 21);
	CU_ASSERT_EQUAL(virtio_accel_deflate_bound(16383), 16383 + 10 + 16);
	/* no overflow for the largest request */
	CU_ASSERT(virtio_accel_deflate_bound(0xffffffffull) > 0xffffffffull);
}

/* A request whose (op, algo) is valid but FINAL is set on a stream's start
 * and end in the same request: one-request streams are allowed. */
static void t_stream_single(void)
{
	struct virtio_accel_limits lim = mk_lim(0);
	struct virtio_accel_sess_view v = {
		.op = VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
		.algo = VIRTIO_ACCEL_ALG_AES256_GCM,
		.flags = VIRTIO_ACCEL_SESS_F_STREAM,
	};
	struct accel_case c = {
		"STREAM-START", "one-request stream",
		VIRTIO_ACCEL_OP_AEAD_ENCRYPT, VIRTIO_ACCEL_ALG_AES256_GCM,
		VIRTIO_ACCEL_OP_F_FINAL, CS_STREAM, 0, 12, 5, 10, 26,
		0, 0, 0, VIRTIO_ACCEL_OK, 0,
	};
	struct virtio_accel_op_req req;
	struct virtio_accel_op op;

	case_hdr(&c, &ulims, 9, &req);
	virtio_accel_decode_op_hdr(&req, &op);
	CU_ASSERT_EQUAL(virtio_accel_check_op(&op, &req, case_rd_len(&c, &ulims),
					      case_wr_len(&c, &ulims), &lim, &v),
			VIRTIO_ACCEL_OK);
	CU_ASSERT_EQUAL(op.iv_off, 64);
	CU_ASSERT_EQUAL(op.aad_off, 76);
	CU_ASSERT_EQUAL(op.src_off, 81);
}

/* The stream state rule both hosts share. */
static void t_stream_open_after(void)
{
	u8 fl = 0;

	CU_ASSERT_EQUAL(virtio_accel_stream_open_after(VIRTIO_ACCEL_OP_HASH, 0,
						       &fl), 1);
	CU_ASSERT_EQUAL(fl, 0);
	CU_ASSERT_EQUAL(virtio_accel_stream_open_after(VIRTIO_ACCEL_OP_MAC, 1,
						       &fl), 0);
	CU_ASSERT_EQUAL(fl, VIRTIO_ACCEL_RESP_F_STREAM_END);
	/* DEFLATE: FINAL without STREAM_END keeps the stream open (drain) */
	fl = 0;
	CU_ASSERT_EQUAL(virtio_accel_stream_open_after(VIRTIO_ACCEL_OP_COMPRESS,
						       1, &fl), 1);
	CU_ASSERT_EQUAL(fl, 0);
	/* DEFLATE: STREAM_END ends it even without FINAL */
	fl = VIRTIO_ACCEL_RESP_F_STREAM_END;
	CU_ASSERT_EQUAL(virtio_accel_stream_open_after(
				VIRTIO_ACCEL_OP_DECOMPRESS, 0, &fl), 0);
}

/* [STREAM-LIMIT], [CFG-LIMITS]: the rule both hosts share */
static void t_stream_limit(void)
{
	struct virtio_accel_limits lim = mk_lim(0);
	struct virtio_accel_ctrl c = { 0 };
	uint32_t op;

	lim.max_comp_streams = 3;
	for (op = 0; op < VIRTIO_ACCEL_OP_MAX; op++) {
		int deflate = op == VIRTIO_ACCEL_OP_COMPRESS ||
			      op == VIRTIO_ACCEL_OP_DECOMPRESS;

		c.op = op;
		c.flags = VIRTIO_ACCEL_SESS_F_STREAM;
		CU_ASSERT_EQUAL(virtio_accel_is_comp_stream(op, c.flags),
				deflate);
		CU_ASSERT_EQUAL(virtio_accel_check_comp_stream(op, c.flags, &lim, 2),
				VIRTIO_ACCEL_OK);
		CU_ASSERT_EQUAL(virtio_accel_check_comp_stream(op, c.flags, &lim, 3),
				deflate ? VIRTIO_ACCEL_NOSPC : VIRTIO_ACCEL_OK);
		/* sessions without SESS_F_STREAM never count */
		c.flags = 0;
		CU_ASSERT_FALSE(virtio_accel_is_comp_stream(op, 0));
		CU_ASSERT_EQUAL(virtio_accel_check_comp_stream(op, c.flags, &lim, 3),
				VIRTIO_ACCEL_OK);
	}
	/* advertised value: the option, at most max_sessions, 0 if no streams */
	CU_ASSERT_EQUAL(virtio_accel_comp_streams_cfg(64, 1024, 1, 1), 64);
	CU_ASSERT_EQUAL(virtio_accel_comp_streams_cfg(64, 4, 1, 1), 4);
	CU_ASSERT_EQUAL(virtio_accel_comp_streams_cfg(64, 1024, 0, 1), 0);
	CU_ASSERT_EQUAL(virtio_accel_comp_streams_cfg(64, 1024, 1, 0), 0);
	CU_ASSERT(VIRTIO_ACCEL_COMP_STREAMS_DEFAULT <=
		  VIRTIO_ACCEL_COMP_STREAMS_MAX);
}

void register_spec_tests(void)
{
	{
		ADD_SUITE("spec-layout", NULL, NULL);
		ADD_TEST(t_layout);
		ADD_TEST(t_alg_table);
		ADD_TEST(t_names);
		ADD_TEST(t_deflate_bound);
		ADD_TEST(t_table_labels);
	}
	{
		ADD_SUITE("validator", NULL, NULL);
		ADD_TEST(t_op_null);
		ADD_TEST(t_op_hash);
		ADD_TEST(t_op_mac);
		ADD_TEST(t_op_aead);
		ADD_TEST(t_op_deflate);
		ADD_TEST(t_req_hdr);
		ADD_TEST(t_req_rsvd);
		ADD_TEST(t_req_op);
		ADD_TEST(t_req_flags);
		ADD_TEST(t_req_len_rd);
		ADD_TEST(t_req_len_wr);
		ADD_TEST(t_req_limits);
		ADD_TEST(t_req_sess);
		ADD_TEST(t_req_stateless);
		ADD_TEST(t_req_final);
		ADD_TEST(t_req_key);
		ADD_TEST(t_req_iv);
		ADD_TEST(t_op_dst);
		ADD_TEST(t_stream_start);
		ADD_TEST(t_stream_single);
		ADD_TEST(t_stream_open_after);
		ADD_TEST(t_stream_limit);
		ADD_TEST(t_ctrl_caps);
		ADD_TEST(t_ctrl_rsvd);
		ADD_TEST(t_ctrl_op);
		ADD_TEST(t_ctrl_create);
		ADD_TEST(t_ctrl_destroy);
	}
}
