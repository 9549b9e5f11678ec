// SPDX-License-Identifier: BSD-3-Clause
/*
 * The request table shared by the unit tests and the conformance suite.
 */
#include <endian.h>
#include <string.h>

#include "cases.h"

#define OK	VIRTIO_ACCEL_OK
#define BAD	VIRTIO_ACCEL_BADMSG
#define NSUP	VIRTIO_ACCEL_NOTSUPP
#define INVS	VIRTIO_ACCEL_INVSESS
#define KREJ	VIRTIO_ACCEL_KEY_REJECTED

#define NUL	VIRTIO_ACCEL_OP_NULL, VIRTIO_ACCEL_ALG_NONE
#define SHA	VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_SHA256
#define CRC	VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_CRC32C
#define HMAC	VIRTIO_ACCEL_OP_MAC, VIRTIO_ACCEL_ALG_HMAC_SHA256
#define GENC	VIRTIO_ACCEL_OP_AEAD_ENCRYPT, VIRTIO_ACCEL_ALG_AES256_GCM
#define GDEC	VIRTIO_ACCEL_OP_AEAD_DECRYPT, VIRTIO_ACCEL_ALG_AES256_GCM
#define COMP	VIRTIO_ACCEL_OP_COMPRESS, VIRTIO_ACCEL_ALG_DEFLATE
#define DECO	VIRTIO_ACCEL_OP_DECOMPRESS, VIRTIO_ACCEL_ALG_DEFLATE
#define FIN	VIRTIO_ACCEL_OP_F_FINAL
#define M1	L_MAXDATA1
#define A1	L_MAXAAD1
#define U32MAX	0xffffffffu

/* label, name, op, algo, flags, sess, key, iv, aad, src, dst,
 * rd_adj, wr_adj, rsvd, expect, cflags
 */
const struct accel_case accel_cases[] = {
	/* well-formed one-shot requests */
	{ "OP-NULL", "null 0 bytes", NUL, 0, CS_NONE, 0, 0, 0, 0, 0, 0, 0, 0, OK, 0 },
	{ "OP-NULL", "null 100 bytes", NUL, 0, CS_NONE, 0, 0, 0, 100, 100, 0, 0, 0, OK, 0 },
	{ "OP-HASH", "sha256 0 bytes", SHA, 0, CS_NONE, 0, 0, 0, 0, 32, 0, 0, 0, OK, 0 },
	{ "OP-HASH", "sha256 4 KiB", SHA, 0, CS_NONE, 0, 0, 0, 4096, 32, 0, 0, 0, OK, 0 },
	{ "OP-HASH", "crc32c 9 bytes", CRC, 0, CS_NONE, 0, 0, 0, 9, 4, 0, 0, 0, OK, 0 },
	{ "OP-MAC", "hmac stateless 32-byte key", HMAC, 0, CS_NONE, 32, 0, 0, 50, 32, 0, 0, 0, OK, 0 },
	{ "OP-MAC", "hmac stateless 64-byte key", HMAC, 0, CS_NONE, 64, 0, 0, 1, 32, 0, 0, 0, OK, 0 },
	{ "OP-MAC", "hmac session", HMAC, 0, CS_PLAIN, 0, 0, 0, 50, 32, 0, 0, 0, OK, 0 },
	{ "OP-AEAD", "gcm encrypt stateless", GENC, 0, CS_NONE, 32, 12, 20, 100, 116, 0, 0, 0, OK, 0 },
	{ "OP-AEAD", "gcm encrypt empty", GENC, 0, CS_NONE, 32, 12, 0, 0, 16, 0, 0, 0, OK, 0 },
	{ "OP-AEAD", "gcm encrypt session", GENC, 0, CS_PLAIN, 0, 12, 0, 64, 80, 0, 0, 0, OK, 0 },
	{ "OP-DEFLATE", "compress 1000 bytes", COMP, 0, CS_NONE, 0, 0, 0, 1000, 1100, 0, 0, 0, OK, 0 },
	{ "OP-DEFLATE", "compress 0 bytes", COMP, 0, CS_NONE, 0, 0, 0, 0, 64, 0, 0, 0, OK, 0 },

	/* [REQ-SHORT] and [REQ-RSVD] */
	{ "REQ-RSVD", "reserved[0] set", SHA, 0, CS_NONE, 0, 0, 0, 8, 32, 0, 0, 1, BAD, 0 },
	{ "REQ-RSVD", "reserved[15] set", NUL, 0, CS_NONE, 0, 0, 0, 8, 8, 0, 0, 16, BAD, 0 },

	/* [REQ-OP], [REQ-FLAGS] */
	{ "REQ-OP", "opcode 7", 7, 0, 0, CS_NONE, 0, 0, 0, 0, 0, 0, 0, 0, NSUP, 0 },
	{ "REQ-OP", "opcode 0xffffffff", U32MAX, 0, 0, CS_NONE, 0, 0, 0, 0, 0, 0, 0, 0, NSUP, 0 },
	{ "REQ-OP", "hash with deflate algo", VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_DEFLATE, 0, CS_NONE, 0, 0, 0, 4, 32, 0, 0, 0, NSUP, 0 },
	{ "REQ-OP", "hash algo 0xffffffff", VIRTIO_ACCEL_OP_HASH, U32MAX, 0, CS_NONE, 0, 0, 0, 4, 32, 0, 0, 0, NSUP, 0 },
	{ "REQ-OP", "null with sha256 algo", VIRTIO_ACCEL_OP_NULL, VIRTIO_ACCEL_ALG_SHA256, 0, CS_NONE, 0, 0, 0, 4, 4, 0, 0, 0, NSUP, 0 },
	{ "REQ-OP", "pair not implemented", SHA, 0, CS_NONE, 0, 0, 0, 4, 32, 0, 0, 0, NSUP, CF_UNIT_ONLY | CF_NOT_IMPL },
	{ "REQ-FLAGS", "unknown flag bit 1", SHA, 2, CS_NONE, 0, 0, 0, 4, 32, 0, 0, 0, NSUP, 0 },
	{ "REQ-FLAGS", "unknown flag bit 31", SHA, 0x80000000u, CS_NONE, 0, 0, 0, 4, 32, 0, 0, 0, NSUP, 0 },

	/* [REQ-LEN-RD], [REQ-LEN-WR]: length lies */
	{ "REQ-LEN-RD", "readable one byte short", SHA, 0, CS_NONE, 0, 0, 0, 100, 32, -1, 0, 0, BAD, 0 },
	{ "REQ-LEN-RD", "readable one byte long", SHA, 0, CS_NONE, 0, 0, 0, 100, 32, 1, 0, 0, BAD, 0 },
	{ "REQ-LEN-RD", "header only, src_len 100", SHA, 0, CS_NONE, 0, 0, 0, 100, 32, -100, 0, 0, BAD, 0 },
	{ "REQ-HDR", "header one byte short", NUL, 0, CS_NONE, 0, 0, 0, 0, 0, -1, 0, 0, BAD, 0 },
	{ "REQ-HDR", "header of one byte", SHA, 0, CS_NONE, 0, 0, 0, 0, 32, -63, 0, 0, BAD, 0 },
	{ "REQ-LEN-RD", "key_len lie (huge)", HMAC, 0, CS_NONE, U32MAX, 0, 0, 10, 32, 0, 0, 0, BAD, 0 },
	{ "REQ-LEN-RD", "src_len 2^32-64 (sum is 2^32)", NUL, 0, CS_NONE, 0, 0, 0, U32MAX - 63, 0, 0, 0, 0, BAD, 0 },
	{ "REQ-LEN-RD", "u32 sum wraps to the sent length", GENC, 0, CS_NONE, 32, 12, 0x80000000u, 0x80000014u, 0, 0, 0, 0, BAD, 0 },
	{ "REQ-LEN-RD", "all lengths huge", GENC, 0, CS_NONE, U32MAX, U32MAX, U32MAX, U32MAX, U32MAX, 0, 0, 0, BAD, 0 },
	{ "REQ-LEN-RD", "iv_len lie", GENC, 0, CS_NONE, 32, 12, 0, 10, 26, -12, 0, 0, BAD, 0 },
	{ "REQ-LEN-WR", "writable one byte short", SHA, 0, CS_NONE, 0, 0, 0, 10, 32, 0, -1, 0, BAD, 0 },
	{ "REQ-LEN-WR", "writable one byte long", SHA, 0, CS_NONE, 0, 0, 0, 10, 32, 0, 1, 0, BAD, 0 },
	{ "REQ-LEN-WR", "dst_len lie (huge)", NUL, 0, CS_NONE, 0, 0, 0, 10, U32MAX, 0, 0, 0, BAD, 0 },
	{ "REQ-LEN-WR", "only the response", NUL, 0, CS_NONE, 0, 0, 0, 10, 10, 0, -10, 0, BAD, 0 },

	/* [REQ-LIMITS] */
	{ "REQ-LIMITS", "src_len max_data_len+1", SHA, 0, CS_NONE, 0, 0, 0, M1, 32, 0, 0, 0, BAD, 0 },
	{ "REQ-LIMITS", "dst_len max_data_len+1", COMP, 0, CS_NONE, 0, 0, 0, 10, M1, 0, 0, 0, BAD, 0 },
	{ "REQ-LIMITS", "aad_len max_aad_len+1", GENC, 0, CS_NONE, 32, 12, A1, 10, 26, 0, 0, 0, BAD, 0 },

	/* [REQ-SESS], [REQ-STATELESS], [REQ-FINAL], [REQ-KEY] */
	{ "REQ-SESS", "unknown session", SHA, 0, CS_BOGUS, 0, 0, 0, 10, 32, 0, 0, 0, INVS, 0 },
	{ "REQ-SESS", "session of another op", SHA, 0, CS_OTHER, 0, 0, 0, 10, 32, 0, 0, 0, INVS, 0 },
	{ "REQ-STATELESS", "keyed op without STATELESS", HMAC, 0, CS_NONE, 32, 0, 0, 10, 32, 0, 0, 0, NSUP, CF_UNIT_ONLY | CF_NO_STATELESS },
	{ "REQ-FINAL", "FINAL without session", SHA, FIN, CS_NONE, 0, 0, 0, 10, 32, 0, 0, 0, BAD, 0 },
	{ "REQ-FINAL", "FINAL on plain session", HMAC, FIN, CS_PLAIN, 0, 0, 0, 10, 32, 0, 0, 0, BAD, 0 },
	{ "REQ-KEY", "hmac key_len 0", HMAC, 0, CS_NONE, 0, 0, 0, 10, 32, 0, 0, 0, KREJ, 0 },
	{ "REQ-KEY", "hmac key_len 65", HMAC, 0, CS_NONE, 65, 0, 0, 10, 32, 0, 0, 0, KREJ, 0 },
	{ "REQ-KEY", "gcm key_len 16", GENC, 0, CS_NONE, 16, 12, 0, 10, 26, 0, 0, 0, KREJ, 0 },
	{ "REQ-KEY", "gcm key_len 33", GDEC, 0, CS_NONE, 33, 12, 0, 26, 10, 0, 0, 0, KREJ, 0 },
	{ "REQ-KEY", "key with a session", HMAC, 0, CS_PLAIN, 32, 0, 0, 10, 32, 0, 0, 0, KREJ, 0 },
	{ "REQ-KEY", "key for unkeyed sha256", SHA, 0, CS_NONE, 16, 0, 0, 10, 32, 0, 0, 0, KREJ, 0 },

	/* [REQ-IV] */
	{ "REQ-IV", "gcm iv_len 0", GENC, 0, CS_NONE, 32, 0, 0, 10, 26, 0, 0, 0, BAD, 0 },
	{ "REQ-IV", "gcm iv_len 16", GENC, 0, CS_NONE, 32, 16, 0, 10, 26, 0, 0, 0, BAD, 0 },
	{ "REQ-IV", "sha256 with iv", SHA, 0, CS_NONE, 0, 12, 0, 10, 32, 0, 0, 0, BAD, 0 },
	{ "REQ-IV", "sha256 with aad", SHA, 0, CS_NONE, 0, 0, 8, 10, 32, 0, 0, 0, BAD, 0 },
	{ "REQ-IV", "stream: iv after start", GENC, 0, CS_ACTIVE, 0, 12, 0, 16, 16, 0, 0, 0, BAD, 0 },
	{ "REQ-IV", "stream: aad after start", GENC, 0, CS_ACTIVE, 0, 0, 4, 16, 16, 0, 0, 0, BAD, 0 },

	/* [OP-DST] */
	{ "OP-DST", "null dst != src", NUL, 0, CS_NONE, 0, 0, 0, 10, 11, 0, 0, 0, BAD, 0 },
	{ "OP-DST", "sha256 dst 31", SHA, 0, CS_NONE, 0, 0, 0, 10, 31, 0, 0, 0, BAD, 0 },
	{ "OP-DST", "sha256 dst 33", SHA, 0, CS_NONE, 0, 0, 0, 10, 33, 0, 0, 0, BAD, 0 },
	{ "OP-DST", "crc32c dst 32", CRC, 0, CS_NONE, 0, 0, 0, 10, 32, 0, 0, 0, BAD, 0 },
	{ "OP-DST", "hmac dst 0", HMAC, 0, CS_NONE, 32, 0, 0, 10, 0, 0, 0, 0, BAD, 0 },
	{ "OP-DST", "gcm encrypt without tag room", GENC, 0, CS_NONE, 32, 12, 0, 10, 10, 0, 0, 0, BAD, 0 },
	{ "OP-DST", "gcm decrypt src < tag", GDEC, 0, CS_NONE, 32, 12, 0, 15, 0, 0, 0, 0, BAD, 0 },
	{ "OP-DST", "gcm decrypt dst == src", GDEC, 0, CS_NONE, 32, 12, 0, 32, 32, 0, 0, 0, BAD, 0 },
	{ "OP-DST", "stream hash non-final with dst", SHA, 0, CS_STREAM, 0, 0, 0, 10, 32, 0, 0, 0, BAD, 0 },
	{ "OP-DST", "stream gcm non-final dst+tag", GENC, 0, CS_STREAM, 0, 12, 0, 16, 32, 0, 0, 0, BAD, 0 },

	/* well-formed stream requests */
	{ "STREAM-START", "stream hash update", SHA, 0, CS_STREAM, 0, 0, 0, 10, 0, 0, 0, 0, OK, 0 },
	{ "STREAM-START", "stream hash final", SHA, FIN, CS_ACTIVE, 0, 0, 0, 10, 32, 0, 0, 0, OK, 0 },
	{ "STREAM-START", "stream gcm first with iv", GENC, 0, CS_STREAM, 0, 12, 8, 16, 16, 0, 0, 0, OK, 0 },
	{ "STREAM-START", "stream gcm next", GENC, 0, CS_ACTIVE, 0, 0, 0, 16, 16, 0, 0, 0, OK, 0 },
	{ "STREAM-START", "stream gcm final", GENC, FIN, CS_ACTIVE, 0, 0, 0, 16, 32, 0, 0, 0, OK, 0 },
	{ "STREAM-START", "stream compress update", COMP, 0, CS_STREAM, 0, 0, 0, 100, 200, 0, 0, 0, OK, 0 },
};

const unsigned int accel_n_cases = sizeof(accel_cases) / sizeof(accel_cases[0]);

#define GC	VIRTIO_ACCEL_CTRL_GET_CAPS
#define CR	VIRTIO_ACCEL_CTRL_CREATE_SESSION
#define DE	VIRTIO_ACCEL_CTRL_DESTROY_SESSION

/* label, name, opcode, algo, op, flags, session_id, key_len, rd_adj, wr_adj,
 * reserved, expect, cflags
 */
const struct accel_ctrl_case accel_ctrl_cases[] = {
	{ "CTRL-CAPS", "get caps", GC, 0, 0, 0, 0, 0, 0, 1024, 0, OK, 0 },
	{ "CTRL-CAPS", "get caps with trailing byte", GC, 0, 0, 0, 0, 0, 1, 1024, 0, BAD, 0 },
	{ "CTRL-CAPS", "get caps with algo", GC, 1, 0, 0, 0, 0, 0, 1024, 0, BAD, 0 },
	{ "CTRL-CAPS", "get caps without room", GC, 0, 0, 0, 0, 0, 0, 0, 0, VIRTIO_ACCEL_NOSPC, 0 },
	{ "REQ-HDR", "control header one byte short", GC, 0, 0, 0, 0, 0, -1, 1024, 0, BAD, 0 },
	{ "CTRL-RSVD", "reserved set", GC, 0, 0, 0, 0, 0, 0, 1024, 1, BAD, 0 },
	{ "CTRL-OP", "opcode 3", 3, 0, 0, 0, 0, 0, 0, 0, 0, NSUP, 0 },
	{ "CTRL-OP", "opcode 0xffffffff", U32MAX, 0, 0, 0, 0, 0, 0, 0, 0, NSUP, 0 },
	{ "CTRL-CREATE", "create hmac", CR, VIRTIO_ACCEL_ALG_HMAC_SHA256, VIRTIO_ACCEL_OP_MAC, 0, 0, 32, 0, 0, 0, OK, 0 },
	{ "CTRL-CREATE", "create sha256 stream", CR, VIRTIO_ACCEL_ALG_SHA256, VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_SESS_F_STREAM, 0, 0, 0, 0, 0, OK, 0 },
	{ "CTRL-CREATE", "create unknown pair", CR, VIRTIO_ACCEL_ALG_DEFLATE, VIRTIO_ACCEL_OP_MAC, 0, 0, 0, 0, 0, 0, NSUP, 0 },
	{ "CTRL-CREATE", "create unknown flag", CR, VIRTIO_ACCEL_ALG_SHA256, VIRTIO_ACCEL_OP_HASH, 2, 0, 0, 0, 0, 0, NSUP, 0 },
	{ "CTRL-CREATE", "create null stream", CR, VIRTIO_ACCEL_ALG_NONE, VIRTIO_ACCEL_OP_NULL, VIRTIO_ACCEL_SESS_F_STREAM, 0, 0, 0, 0, 0, NSUP, 0 },
	{ "CTRL-CREATE", "create key_len lie", CR, VIRTIO_ACCEL_ALG_HMAC_SHA256, VIRTIO_ACCEL_OP_MAC, 0, 0, 32, -16, 0, 0, BAD, 0 },
	{ "CTRL-CREATE", "create key_len huge", CR, VIRTIO_ACCEL_ALG_HMAC_SHA256, VIRTIO_ACCEL_OP_MAC, 0, 0, U32MAX, 0, 0, 0, BAD, 0 },
	{ "CTRL-CREATE", "create with extra room", CR, VIRTIO_ACCEL_ALG_SHA256, VIRTIO_ACCEL_OP_HASH, 0, 0, 0, 0, 1, 0, BAD, 0 },
	{ "CTRL-CREATE", "create with session_id", CR, VIRTIO_ACCEL_ALG_SHA256, VIRTIO_ACCEL_OP_HASH, 0, 7, 0, 0, 0, 0, BAD, 0 },
	{ "CTRL-CREATE", "create gcm key 16", CR, VIRTIO_ACCEL_ALG_AES256_GCM, VIRTIO_ACCEL_OP_AEAD_ENCRYPT, 0, 0, 16, 0, 0, 0, KREJ, 0 },
	{ "CTRL-CREATE", "create hmac key 0", CR, VIRTIO_ACCEL_ALG_HMAC_SHA256, VIRTIO_ACCEL_OP_MAC, 0, 0, 0, 0, 0, 0, KREJ, 0 },
	{ "CTRL-DESTROY", "destroy unknown", DE, 0, 0, 0, 0xdead0000beefull, 0, 0, 0, 0, INVS, 0 },
	{ "CTRL-DESTROY", "destroy with algo", DE, 1, 0, 0, 1, 0, 0, 0, 0, BAD, 0 },
	{ "CTRL-DESTROY", "destroy with key", DE, 0, 0, 0, 1, 4, 0, 0, 0, BAD, 0 },
	{ "CTRL-DESTROY", "destroy with extra room", DE, 0, 0, 0, 1, 0, 0, 8, 0, BAD, 0 },
};

const unsigned int accel_n_ctrl_cases =
	sizeof(accel_ctrl_cases) / sizeof(accel_ctrl_cases[0]);

static uint64_t resolve(uint32_t v, const struct case_lims *l)
{
	if (v == L_MAXDATA1)
		return (uint64_t)l->max_data_len + 1;
	if (v == L_MAXAAD1)
		return (uint64_t)l->max_aad_len + 1;
	return v;
}

uint64_t case_rd_len(const struct accel_case *c, const struct case_lims *l)
{
	uint64_t n = sizeof(struct virtio_accel_op_req) + resolve(c->key_len, l) +
		     resolve(c->iv_len, l) + resolve(c->aad_len, l) +
		     resolve(c->src_len, l);

	if (n > CASE_CAP)
		return sizeof(struct virtio_accel_op_req) + 64;
	return n + c->rd_adj;
}

uint64_t case_wr_len(const struct accel_case *c, const struct case_lims *l)
{
	uint64_t n = resolve(c->dst_len, l) + sizeof(struct virtio_accel_op_resp);

	if (n > CASE_CAP)
		return sizeof(struct virtio_accel_op_resp);
	return n + c->wr_adj;
}

void case_hdr(const struct accel_case *c, const struct case_lims *l,
	      uint64_t session_id, struct virtio_accel_op_req *req)
{
	memset(req, 0, sizeof(*req));
	req->opcode = htole32(c->opcode);
	req->algo = htole32(c->algo);
	req->session_id = htole64(session_id);
	req->request_id = htole64(0x1234);
	req->flags = htole32(c->flags);
	req->key_len = htole32((uint32_t)resolve(c->key_len, l));
	req->iv_len = htole32((uint32_t)resolve(c->iv_len, l));
	req->aad_len = htole32((uint32_t)resolve(c->aad_len, l));
	req->src_len = htole32((uint32_t)resolve(c->src_len, l));
	req->dst_len = htole32((uint32_t)resolve(c->dst_len, l));
	if (c->rsvd)
		req->reserved[c->rsvd - 1] = 0xff;
}

uint64_t case_build_rd(const struct accel_case *c, const struct case_lims *l,
		       uint64_t session_id, uint8_t *buf)
{
	uint64_t n = case_rd_len(c, l), i;
	struct virtio_accel_op_req req;

	case_hdr(c, l, session_id, &req);
	for (i = 0; i < n; i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	memcpy(buf, &req, n < sizeof(req) ? n : sizeof(req));
	return n;
}

uint64_t ctrl_case_rd_len(const struct accel_ctrl_case *c)
{
	uint64_t n = sizeof(struct virtio_accel_ctrl_req) + c->key_len;

	if (n > CASE_CAP)
		n = sizeof(struct virtio_accel_ctrl_req) + 64;
	return n + c->rd_adj;
}

uint64_t ctrl_case_wr_len(const struct accel_ctrl_case *c)
{
	return sizeof(struct virtio_accel_ctrl_resp) + c->wr_adj;
}

void ctrl_case_hdr(const struct accel_ctrl_case *c,
		   struct virtio_accel_ctrl_req *req)
{
	memset(req, 0, sizeof(*req));
	req->opcode = htole32(c->opcode);
	req->algo = htole32(c->algo);
	req->session_id = htole64(c->session_id);
	req->op = htole32(c->op);
	req->flags = htole32(c->flags);
	req->key_len = htole32(c->key_len);
	req->reserved = htole32(c->reserved);
}

unsigned int case_run_label(const char *label, uint32_t skip,
			    int (*row)(const struct accel_case *),
			    int (*ctrl)(const struct accel_ctrl_case *),
			    unsigned int *n)
{
	unsigned int i, bad = 0;

	*n = 0;
	for (i = 0; i < accel_n_cases; i++) {
		const struct accel_case *c = &accel_cases[i];

		if (strcmp(c->label, label) || (c->cflags & skip))
			continue;
		(*n)++;
		bad += row(c) != 0;
	}
	for (i = 0; i < accel_n_ctrl_cases; i++) {
		const struct accel_ctrl_case *c = &accel_ctrl_cases[i];

		if (strcmp(c->label, label) || (c->cflags & skip))
			continue;
		(*n)++;
		bad += ctrl(c) != 0;
	}
	return bad;
}
