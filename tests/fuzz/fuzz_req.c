// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fuzz target: the request decoder and validator both host implementations
 * share (virtio-accel-spec/lib/virtio_accel_req.c):
 * virtio_accel_decode_op_hdr() + virtio_accel_check_op() for data requests,
 * virtio_accel_check_ctrl() for control requests, and the small helpers
 * (status and op names, status to errno, virtio_accel_stream_open_after()).
 *
 * Input: a selector byte, the device limits, a session view, the chain's
 * readable/writable totals (exact for the header plus a small delta, or
 * raw) and the request header. The caller's preconditions are kept as the
 * back-end keeps them: wr_len within [REQ-SHORT]/[REQ-HUGE], rd_len + wr_len
 * below 2^32 (the walker's bound), a short header zero-padded.
 *
 * Invariants asserted:
 *  - the status equals the one a reference model written from the spec
 *    text (section 7.3 table, clauses 7.4 in order, 8.3-8.5, 9.2) predicts;
 *  - on OK: info is the (op, algo) row, the offsets lie inside the readable
 *    part and key + iv + aad + src end exactly at rd_len;
 *  - the decoded header is the little-endian header; the check is pure
 *    (same result twice);
 *  - the helpers index their tables in bounds (ASan) for any value.
 */
#include <endian.h>

#include "fuzz.h"
#include "virtio_accel_req.h"

#define HDR	64u
#define RESP	16u
#define CHDR	32u
#define CRESP	16u

/* Spec 7.3, written out again here on purpose (not virtio_accel_alg_table) */
struct ref_alg {
	uint32_t op, algo, kmin, kmax, iv, out, aad, stream;
};

static const struct ref_alg ref_algs[] = {
	{ 0, 0, 0, 0, 0, 0, 0, 0 },	/* NULL: cannot stream */
	{ 1, 1, 0, 0, 0, 32, 0, 1 },	/* HASH SHA256 */
	{ 1, 2, 0, 0, 0, 4, 0, 1 },	/* HASH CRC32C */
	{ 2, 3, 1, 64, 0, 32, 0, 1 },	/* MAC HMAC-SHA256 */
	{ 3, 4, 32, 32, 12, 16, 1, 1 },	/* AEAD_ENCRYPT AES-256-GCM */
	{ 4, 4, 32, 32, 12, 16, 1, 1 },	/* AEAD_DECRYPT AES-256-GCM */
	{ 5, 5, 0, 0, 0, 0, 0, 1 },	/* COMPRESS DEFLATE */
	{ 6, 5, 0, 0, 0, 0, 0, 1 },	/* DECOMPRESS DEFLATE */
};

static const struct ref_alg *ref_lookup(uint32_t op, uint32_t algo)
{
	unsigned int i;

	for (i = 0; i < sizeof(ref_algs) / sizeof(ref_algs[0]); i++)
		if (ref_algs[i].op == op && ref_algs[i].algo == algo)
			return &ref_algs[i];
	return NULL;
}

static int impl(const struct virtio_accel_limits *lim, uint32_t op,
		uint32_t algo)
{
	/* the bit only exists for pairs of the table (op < 7, algo < 8) */
	return !!(lim->implemented & (1ull << (op * 8 + algo)));
}

/* [OP-DST] from the 7.3 and 9.2 tables */
static int ref_dst_ok(const struct ref_alg *a, uint64_t src, uint64_t dst,
		      int stream, int final)
{
	switch (a->op) {
	case 0:
		return dst == src;
	case 1:
	case 2:
		return dst == (stream && !final ? 0 : a->out);
	case 3:
		return dst == (stream && !final ? src : src + 16);
	case 4:
		if (stream && !final)
			return dst == src;
		return src >= 16 && dst == src - 16;
	default:
		return 1;
	}
}

/* The data request clauses of 7.4, in the order the spec gives them. */
static uint8_t ref_op(const struct virtio_accel_op_req *h, uint64_t rd,
		      uint64_t wr, const struct virtio_accel_limits *lim,
		      const struct virtio_accel_sess_view *sess)
{
	uint32_t op = le32toh(h->opcode), algo = le32toh(h->algo);
	uint32_t flags = le32toh(h->flags), key = le32toh(h->key_len);
	uint32_t iv = le32toh(h->iv_len), aad = le32toh(h->aad_len);
	uint32_t src = le32toh(h->src_len), dst = le32toh(h->dst_len);
	uint64_t sid = le64toh(h->session_id);
	const struct ref_alg *a;
	int stream = 0, final = flags & 1, first;
	unsigned int i;

	if (rd < HDR)
		return VIRTIO_ACCEL_BADMSG;
	for (i = 0; i < sizeof(h->reserved); i++)
		if (h->reserved[i])
			return VIRTIO_ACCEL_BADMSG;
	a = ref_lookup(op, algo);
	if (!a || !impl(lim, op, algo))
		return VIRTIO_ACCEL_NOTSUPP;
	if (flags & ~1u)
		return VIRTIO_ACCEL_NOTSUPP;
	if ((uint64_t)HDR + key + iv + aad + src != rd)
		return VIRTIO_ACCEL_BADMSG;
	if ((uint64_t)dst + RESP != wr)
		return VIRTIO_ACCEL_BADMSG;
	if (src > lim->max_data_len || dst > lim->max_data_len ||
	    aad > lim->max_aad_len)
		return VIRTIO_ACCEL_BADMSG;
	if (sid) {
		if (!sess || sess->op != op || sess->algo != algo)
			return VIRTIO_ACCEL_INVSESS;
		stream = !!(sess->flags & VIRTIO_ACCEL_SESS_F_STREAM);
	} else if (a->kmax && !lim->stateless) {
		return VIRTIO_ACCEL_NOTSUPP;
	}
	if (final && !stream)
		return VIRTIO_ACCEL_BADMSG;
	if (sid ? key != 0 : (key < a->kmin || key > a->kmax))
		return VIRTIO_ACCEL_KEY_REJECTED;
	first = !stream || !sess->stream_active;
	if (iv != (first ? a->iv : 0))
		return VIRTIO_ACCEL_BADMSG;
	if (aad && (!a->aad || !first))
		return VIRTIO_ACCEL_BADMSG;
	if (!ref_dst_ok(a, src, dst, stream, final))
		return VIRTIO_ACCEL_BADMSG;
	return VIRTIO_ACCEL_OK;
}

/* 8.2 - 8.5 */
static uint8_t ref_ctrl(const struct virtio_accel_ctrl_req *h, uint64_t rd,
			uint64_t wr, const struct virtio_accel_limits *lim)
{
	uint32_t opc = le32toh(h->opcode), algo = le32toh(h->algo);
	uint32_t op = le32toh(h->op), flags = le32toh(h->flags);
	uint32_t key = le32toh(h->key_len);
	uint64_t sid = le64toh(h->session_id);
	const struct ref_alg *a;

	if (rd < CHDR)
		return VIRTIO_ACCEL_BADMSG;
	if (h->reserved)
		return VIRTIO_ACCEL_BADMSG;
	switch (opc) {
	case VIRTIO_ACCEL_CTRL_GET_CAPS:
		if (rd != CHDR || algo || op || flags || key || sid)
			return VIRTIO_ACCEL_BADMSG;
		return VIRTIO_ACCEL_OK;
	case VIRTIO_ACCEL_CTRL_CREATE_SESSION:
		a = ref_lookup(op, algo);
		if (!a || !impl(lim, op, algo))
			return VIRTIO_ACCEL_NOTSUPP;
		if ((flags & ~1u) || ((flags & 1) && (!lim->stream ||
						      !a->stream)))
			return VIRTIO_ACCEL_NOTSUPP;
		if (rd != (uint64_t)CHDR + key || wr != CRESP || sid)
			return VIRTIO_ACCEL_BADMSG;
		if (key < a->kmin || key > a->kmax)
			return VIRTIO_ACCEL_KEY_REJECTED;
		return VIRTIO_ACCEL_OK;
	case VIRTIO_ACCEL_CTRL_DESTROY_SESSION:
		if (rd != CHDR || wr != CRESP || algo || op || flags || key)
			return VIRTIO_ACCEL_BADMSG;
		return VIRTIO_ACCEL_OK;
	default:
		return VIRTIO_ACCEL_NOTSUPP;
	}
}

/* The totals of the chain: exact plus a small delta, or raw. */
static void lengths(struct fz *f, int raw, uint64_t rd_exact,
		    uint64_t wr_exact, uint64_t wr_max, uint64_t *rd,
		    uint64_t *wr)
{
	if (raw) {
		*rd = fz_u32(f);
		*wr = fz_u32(f);
	} else {
		*rd = rd_exact + (int8_t)fz_u8(f);
		*wr = wr_exact + (int8_t)fz_u8(f);
	}
	/* what the back-end guarantees before validating */
	if (*wr < RESP)
		*wr = RESP;
	if (*wr > wr_max)
		*wr = wr_max;
	if (*rd > UINT32_MAX - *wr)
		*rd = UINT32_MAX - *wr;
}

static void fuzz_op(struct fz *f, uint8_t sel,
		    const struct virtio_accel_limits *lim)
{
	struct virtio_accel_sess_view sv, *sess = NULL;
	struct virtio_accel_op_req h;
	struct virtio_accel_op op, op2;
	uint64_t rd, wr, rd_exact, wr_exact;
	uint8_t st, ref, rfl;

	sv.op = fz_u8(f) % 8;
	sv.algo = fz_u8(f) % 8;
	sv.flags = fz_u8(f) & VIRTIO_ACCEL_SESS_F_STREAM;
	sv.stream_active = sv.flags ? fz_u8(f) & 1 : 0;
	if (sel & 4)
		sess = &sv;
	fz_bytes(f, &h, sizeof(h));
	rd_exact = HDR + (uint64_t)le32toh(h.key_len) + le32toh(h.iv_len) +
		   le32toh(h.aad_len) + le32toh(h.src_len);
	wr_exact = (uint64_t)le32toh(h.dst_len) + RESP;
	lengths(f, sel & 2, rd_exact, wr_exact,
		virtio_accel_max_wr_len(lim->max_data_len), &rd, &wr);
	if (rd < HDR)
		memset((uint8_t *)&h + rd, 0, HDR - rd);

	virtio_accel_decode_op_hdr(&h, &op);
	FZ_CHECK(op.opcode == le32toh(h.opcode) && op.algo == le32toh(h.algo) &&
		 op.session_id == le64toh(h.session_id) &&
		 op.request_id == le64toh(h.request_id) &&
		 op.flags == le32toh(h.flags) &&
		 op.key_len == le32toh(h.key_len) &&
		 op.iv_len == le32toh(h.iv_len) &&
		 op.aad_len == le32toh(h.aad_len) &&
		 op.src_len == le32toh(h.src_len) &&
		 op.dst_len == le32toh(h.dst_len) && !op.info,
		 "decode_op_hdr");
	/* a session view only exists for a non-zero id */
	if (!op.session_id)
		sess = NULL;
	op2 = op;
	st = virtio_accel_check_op(&op, &h, rd, wr, lim, sess);
	ref = ref_op(&h, rd, wr, lim, sess);
	FZ_CHECK(st == ref, "check_op says %u, the spec %u (op %u algo %u)",
		 st, ref, op.opcode, op.algo);
	FZ_CHECK(virtio_accel_check_op(&op2, &h, rd, wr, lim, sess) == st,
		 "check_op is not pure");
	if (st != VIRTIO_ACCEL_OK)
		return;
	FZ_CHECK(op.info && op.info->op == op.opcode &&
		 op.info->algo == op.algo &&
		 op.info == virtio_accel_alg_lookup(op.opcode, op.algo),
		 "info row");
	FZ_CHECK(op.key_off == HDR && op.iv_off == op.key_off + op.key_len &&
		 op.aad_off == op.iv_off + op.iv_len &&
		 op.src_off == op.aad_off + op.aad_len &&
		 (uint64_t)op.src_off + op.src_len == rd,
		 "offsets %u %u %u %u + %u, rd_len %llu", op.key_off,
		 op.iv_off, op.aad_off, op.src_off, op.src_len,
		 (unsigned long long)rd);
	FZ_CHECK(op.dst_len + (uint64_t)RESP == wr, "dst_len");

	/* what a host does after the engine ran */
	rfl = fz_u8(f) & VIRTIO_ACCEL_RESP_F_STREAM_END;
	if (sess && (sess->flags & VIRTIO_ACCEL_SESS_F_STREAM)) {
		int fin = !!(op.flags & VIRTIO_ACCEL_OP_F_FINAL);
		uint8_t in = rfl;
		uint32_t open = virtio_accel_stream_open_after(op.opcode, fin,
							       &rfl);

		if (op.opcode == VIRTIO_ACCEL_OP_COMPRESS ||
		    op.opcode == VIRTIO_ACCEL_OP_DECOMPRESS)
			FZ_CHECK(open == !in && rfl == in, "deflate stream");
		else
			FZ_CHECK(open == !fin &&
				 !!(rfl & VIRTIO_ACCEL_RESP_F_STREAM_END) ==
					 (fin || in), "stream end");
	}
}

static void fuzz_ctrl(struct fz *f, uint8_t sel,
		      const struct virtio_accel_limits *lim)
{
	struct virtio_accel_ctrl_req h;
	struct virtio_accel_ctrl c;
	uint64_t rd, wr;
	uint8_t st, ref;

	fz_bytes(f, &h, sizeof(h));
	lengths(f, sel & 2, CHDR + (uint64_t)le32toh(h.key_len), CRESP,
		VIRTIO_ACCEL_CTRL_MAX_WR_LEN, &rd, &wr);
	if (rd < CHDR)
		memset((uint8_t *)&h + rd, 0, CHDR - rd);
	st = virtio_accel_check_ctrl(&c, &h, rd, wr, lim);
	ref = ref_ctrl(&h, rd, wr, lim);
	FZ_CHECK(st == ref, "check_ctrl says %u, the spec %u (opcode %u)", st,
		 ref, le32toh(h.opcode));
	FZ_CHECK(c.opcode == le32toh(h.opcode) &&
		 c.session_id == le64toh(h.session_id) &&
		 c.key_len == le32toh(h.key_len), "ctrl decode");
	if (st != VIRTIO_ACCEL_OK)
		return;
	if (c.opcode == VIRTIO_ACCEL_CTRL_GET_CAPS)
		FZ_CHECK(c.data_len == wr - CRESP, "GET_CAPS room");
	if (c.opcode == VIRTIO_ACCEL_CTRL_CREATE_SESSION)
		FZ_CHECK(c.info && c.info->op == c.op &&
			 c.info->algo == c.algo &&
			 c.key_len <= c.info->max_key_len &&
			 c.key_len <= 64, "CREATE info");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtio_accel_limits lim;
	struct fz f;
	uint8_t sel, lb, v;
	int e;

	fz_init(&f, data, size);
	sel = fz_u8(&f);
	/* all zeros: everything implemented, the back-end's limits */
	lim.implemented = ~fz_u64(&f);
	lim.max_data_len = fz_u32(&f) ^ 65536;
	lim.max_aad_len = fz_u32(&f) ^ 4096;
	lb = fz_u8(&f);
	lim.stateless = !(lb & 1);
	lim.stream = !(lb & 2);

	if (sel & 1)
		fuzz_ctrl(&f, sel, &lim);
	else
		fuzz_op(&f, sel, &lim);

	/* table lookups in bounds for any value */
	v = fz_u8(&f);
	(void)virtio_accel_status_name(v);
	(void)virtio_accel_op_name(fz_u32(&f));
	e = virtio_accel_status_errno(v);
	FZ_CHECK(e <= 0 && (v < VIRTIO_ACCEL_S_MAX || e == -EPROTO) &&
		 (e == 0) == (v == VIRTIO_ACCEL_OK), "status_errno(%u) = %d",
		 v, e);
	return 0;
}
