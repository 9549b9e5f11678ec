// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * Request decoding and validation for virtio-accel, written once.
 * Each check names the spec clause (virtio-accel-spec/virtio-accel.md) it
 * implements, e.g. [REQ-LEN-RD].
 */
#ifndef __KERNEL__
#include <stddef.h>
#endif

#include "virtio_accel_req.h"

#define HDR_LEN  ((u64)sizeof(struct virtio_accel_op_req))
#define RESP_LEN ((u64)sizeof(struct virtio_accel_op_resp))
#define CHDR_LEN ((u64)sizeof(struct virtio_accel_ctrl_req))
#define CRESP_LEN ((u64)sizeof(struct virtio_accel_ctrl_resp))

static const struct virtio_accel_alg_info alg_table[] = {
	{ VIRTIO_ACCEL_OP_NULL, VIRTIO_ACCEL_ALG_NONE,
	  0, 0, 0, 0, 0, 0, "null" },
	{ VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_SHA256,
	  0, 0, 0, VIRTIO_ACCEL_SHA256_LEN, 0, 1, "sha256" },
	{ VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_CRC32C,
	  0, 0, 0, VIRTIO_ACCEL_CRC32C_LEN, 0, 1, "crc32c" },
	{ VIRTIO_ACCEL_OP_MAC, VIRTIO_ACCEL_ALG_HMAC_SHA256,
	  1, 64, 0, VIRTIO_ACCEL_SHA256_LEN, 0, 1, "hmac-sha256" },
	{ VIRTIO_ACCEL_OP_AEAD_ENCRYPT, VIRTIO_ACCEL_ALG_AES256_GCM,
	  VIRTIO_ACCEL_GCM_KEY_LEN, VIRTIO_ACCEL_GCM_KEY_LEN,
	  VIRTIO_ACCEL_GCM_IV_LEN, VIRTIO_ACCEL_GCM_TAG_LEN, 1, 1,
	  "aes-256-gcm" },
	{ VIRTIO_ACCEL_OP_AEAD_DECRYPT, VIRTIO_ACCEL_ALG_AES256_GCM,
	  VIRTIO_ACCEL_GCM_KEY_LEN, VIRTIO_ACCEL_GCM_KEY_LEN,
	  VIRTIO_ACCEL_GCM_IV_LEN, VIRTIO_ACCEL_GCM_TAG_LEN, 1, 1,
	  "aes-256-gcm" },
	{ VIRTIO_ACCEL_OP_COMPRESS, VIRTIO_ACCEL_ALG_DEFLATE,
	  0, 0, 0, 0, 0, 1, "deflate" },
	{ VIRTIO_ACCEL_OP_DECOMPRESS, VIRTIO_ACCEL_ALG_DEFLATE,
	  0, 0, 0, 0, 0, 1, "deflate" },
};

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif
#define ALG_TABLE_LEN ARRAY_SIZE(alg_table)

const struct virtio_accel_alg_info *virtio_accel_alg_table(unsigned int *n)
{
	*n = ALG_TABLE_LEN;
	return alg_table;
}

const struct virtio_accel_alg_info *virtio_accel_alg_lookup(u32 op, u32 algo)
{
	unsigned int i;

	for (i = 0; i < ALG_TABLE_LEN; i++)
		if (alg_table[i].op == op && alg_table[i].algo == algo)
			return &alg_table[i];
	return NULL;
}

static int all_zero(const u8 *p, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

void virtio_accel_decode_op_hdr(const struct virtio_accel_op_req *req,
				struct virtio_accel_op *op)
{
	op->opcode = le32_to_cpu(req->opcode);
	op->algo = le32_to_cpu(req->algo);
	op->flags = le32_to_cpu(req->flags);
	op->session_id = le64_to_cpu(req->session_id);
	op->request_id = le64_to_cpu(req->request_id);
	op->key_len = le32_to_cpu(req->key_len);
	op->iv_len = le32_to_cpu(req->iv_len);
	op->aad_len = le32_to_cpu(req->aad_len);
	op->src_len = le32_to_cpu(req->src_len);
	op->dst_len = le32_to_cpu(req->dst_len);
	op->info = NULL;
}

/* [OP-DST]: the device-writable data length each operation requires. */
static int dst_len_ok(const struct virtio_accel_op *op, int stream, int final)
{
	u64 src = op->src_len, dst = op->dst_len, out = op->info->out_len;

	switch (op->opcode) {
	case VIRTIO_ACCEL_OP_NULL:
		return dst == src;
	case VIRTIO_ACCEL_OP_HASH:
	case VIRTIO_ACCEL_OP_MAC:
		return dst == ((stream && !final) ? 0 : out);
	case VIRTIO_ACCEL_OP_AEAD_ENCRYPT:
		return dst == ((stream && !final) ? src : src + out);
	case VIRTIO_ACCEL_OP_AEAD_DECRYPT:
		if (stream && !final)
			return dst == src;
		return src >= out && dst == src - out;
	default:
		/* COMPRESS, DECOMPRESS: dst_len is a capacity */
		return 1;
	}
}

u8 virtio_accel_check_op(struct virtio_accel_op *op,
			 const struct virtio_accel_op_req *req,
			 u64 rd_len, u64 wr_len,
			 const struct virtio_accel_limits *lim,
			 const struct virtio_accel_sess_view *sess)
{
	const struct virtio_accel_alg_info *info;
	int stream = 0, final, start;
	u64 want_key_min, want_key_max, want_iv;

	/* [REQ-HDR] */
	if (rd_len < HDR_LEN)
		return VIRTIO_ACCEL_BADMSG;
	/* [REQ-RSVD] */
	if (!all_zero(req->reserved, sizeof(req->reserved)))
		return VIRTIO_ACCEL_BADMSG;
	/* [REQ-OP] */
	if (op->opcode >= VIRTIO_ACCEL_OP_MAX)
		return VIRTIO_ACCEL_NOTSUPP;
	info = virtio_accel_alg_lookup(op->opcode, op->algo);
	if (!info ||
	    !(lim->implemented & VIRTIO_ACCEL_IMPL_BIT(op->opcode, op->algo)))
		return VIRTIO_ACCEL_NOTSUPP;
	op->info = info;
	/* [REQ-FLAGS] */
	if (op->flags & ~(u32)VIRTIO_ACCEL_OP_F_FINAL)
		return VIRTIO_ACCEL_NOTSUPP;
	final = !!(op->flags & VIRTIO_ACCEL_OP_F_FINAL);

	/* [REQ-LEN-RD], [REQ-LEN-WR]: exact totals, computed without overflow */
	if (rd_len != HDR_LEN + op->key_len + op->iv_len + op->aad_len +
		      (u64)op->src_len)
		return VIRTIO_ACCEL_BADMSG;
	if (wr_len != (u64)op->dst_len + RESP_LEN)
		return VIRTIO_ACCEL_BADMSG;
	/* [REQ-LIMITS] */
	if (op->src_len > lim->max_data_len || op->dst_len > lim->max_data_len ||
	    op->aad_len > lim->max_aad_len)
		return VIRTIO_ACCEL_BADMSG;

	/* [REQ-SESS] */
	if (op->session_id) {
		if (!sess)
			return VIRTIO_ACCEL_INVSESS;
		if (sess->op != op->opcode || sess->algo != op->algo)
			return VIRTIO_ACCEL_INVSESS;
		stream = !!(sess->flags & VIRTIO_ACCEL_SESS_F_STREAM);
		want_key_min = 0;
		want_key_max = 0;
	} else {
		/* [REQ-STATELESS] */
		if (info->max_key_len && !lim->stateless)
			return VIRTIO_ACCEL_NOTSUPP;
		want_key_min = info->min_key_len;
		want_key_max = info->max_key_len;
	}
	/* [REQ-FINAL] */
	if (final && !stream)
		return VIRTIO_ACCEL_BADMSG;
	/* [REQ-KEY] */
	if (op->key_len < want_key_min || op->key_len > want_key_max)
		return VIRTIO_ACCEL_KEY_REJECTED;

	/* [REQ-IV]: IV and AAD belong to a one-shot op or a stream's start */
	start = !stream || !sess->stream_active;
	want_iv = start ? info->iv_len : 0;
	if (op->iv_len != want_iv)
		return VIRTIO_ACCEL_BADMSG;
	if (op->aad_len && !(info->aad && start))
		return VIRTIO_ACCEL_BADMSG;

	/* [OP-DST] */
	if (!dst_len_ok(op, stream, final))
		return VIRTIO_ACCEL_BADMSG;

	op->key_off = (u32)HDR_LEN;
	op->iv_off = op->key_off + op->key_len;
	op->aad_off = op->iv_off + op->iv_len;
	op->src_off = op->aad_off + op->aad_len;
	return VIRTIO_ACCEL_OK;
}

u8 virtio_accel_check_ctrl(struct virtio_accel_ctrl *c,
			   const struct virtio_accel_ctrl_req *req,
			   u64 rd_len, u64 wr_len,
			   const struct virtio_accel_limits *lim)
{
	const struct virtio_accel_alg_info *info;

	c->opcode = le32_to_cpu(req->opcode);
	c->algo = le32_to_cpu(req->algo);
	c->op = le32_to_cpu(req->op);
	c->flags = le32_to_cpu(req->flags);
	c->session_id = le64_to_cpu(req->session_id);
	c->key_len = le32_to_cpu(req->key_len);
	c->data_len = 0;
	c->info = NULL;

	/* [REQ-HDR] */
	if (rd_len < CHDR_LEN)
		return VIRTIO_ACCEL_BADMSG;
	/* [CTRL-RSVD] */
	if (req->reserved)
		return VIRTIO_ACCEL_BADMSG;
	/* [CTRL-OP] */
	if (c->opcode >= VIRTIO_ACCEL_CTRL_MAX)
		return VIRTIO_ACCEL_NOTSUPP;

	switch (c->opcode) {
	case VIRTIO_ACCEL_CTRL_GET_CAPS:
		/* [CTRL-CAPS] */
		if (rd_len != CHDR_LEN || c->algo || c->op || c->flags ||
		    c->key_len || c->session_id)
			return VIRTIO_ACCEL_BADMSG;
		if (wr_len < CRESP_LEN || wr_len - CRESP_LEN > 0xffffffffull)
			return VIRTIO_ACCEL_BADMSG;
		c->data_len = (u32)(wr_len - CRESP_LEN);
		return VIRTIO_ACCEL_OK;
	case VIRTIO_ACCEL_CTRL_CREATE_SESSION:
		/* [CTRL-CREATE] */
		info = virtio_accel_alg_lookup(c->op, c->algo);
		if (!info ||
		    !(lim->implemented & VIRTIO_ACCEL_IMPL_BIT(c->op, c->algo)))
			return VIRTIO_ACCEL_NOTSUPP;
		c->info = info;
		if (c->flags & ~(u32)VIRTIO_ACCEL_SESS_F_STREAM)
			return VIRTIO_ACCEL_NOTSUPP;
		if ((c->flags & VIRTIO_ACCEL_SESS_F_STREAM) &&
		    (!lim->stream || !info->stream))
			return VIRTIO_ACCEL_NOTSUPP;
		if (rd_len != CHDR_LEN + c->key_len || wr_len != CRESP_LEN ||
		    c->session_id)
			return VIRTIO_ACCEL_BADMSG;
		if (c->key_len < info->min_key_len ||
		    c->key_len > info->max_key_len)
			return VIRTIO_ACCEL_KEY_REJECTED;
		return VIRTIO_ACCEL_OK;
	default:
		/* [CTRL-DESTROY] */
		if (rd_len != CHDR_LEN || wr_len != CRESP_LEN || c->algo ||
		    c->op || c->flags || c->key_len)
			return VIRTIO_ACCEL_BADMSG;
		return VIRTIO_ACCEL_OK;
	}
}

u8 virtio_accel_check_comp_stream(u32 op, u32 flags,
				  const struct virtio_accel_limits *lim,
				  u32 live)
{
	/* [STREAM-LIMIT]: DEFLATE stream sessions hold their state for life */
	if (virtio_accel_is_comp_stream(op, flags) &&
	    live >= lim->max_comp_streams)
		return VIRTIO_ACCEL_NOSPC;
	return VIRTIO_ACCEL_OK;
}

u32 virtio_accel_stream_open_after(u32 op, int final, u8 *rflags)
{
	/* [STREAM-DEFLATE]: the engine says where a DEFLATE stream ends */
	if (op == VIRTIO_ACCEL_OP_COMPRESS || op == VIRTIO_ACCEL_OP_DECOMPRESS)
		return !(*rflags & VIRTIO_ACCEL_RESP_F_STREAM_END);
	/* [OP-RESP]: a completed FINAL request ends the stream */
	if (final)
		*rflags |= VIRTIO_ACCEL_RESP_F_STREAM_END;
	return !final;
}

const char *virtio_accel_status_name(u8 status)
{
	static const char * const names[VIRTIO_ACCEL_S_MAX] = {
		"OK", "ERR", "BADMSG", "NOTSUPP", "INVSESS", "NOSPC",
		"KEY_REJECTED", "AUTH_FAILED",
	};

	return status < VIRTIO_ACCEL_S_MAX ? names[status] : "UNKNOWN";
}

const char *virtio_accel_op_name(u32 op)
{
	static const char * const names[VIRTIO_ACCEL_OP_MAX] = {
		"null", "hash", "mac", "aead-encrypt", "aead-decrypt",
		"compress", "decompress",
	};

	return op < VIRTIO_ACCEL_OP_MAX ? names[op] : "unknown";
}
