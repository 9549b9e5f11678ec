/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/*
 * virtio-accel: wire format of the virtio accelerator device.
 *
 * This is the one wire-format header of the project. Every component (DPDK
 * vhost-user backend, vDPA parent, guest kernel driver, user-space library,
 * tests) includes it; nobody keeps a copy. The normative text is
 * virtio-accel-spec/virtio-accel.md; section numbers below refer to it.
 *
 * Rules: fixed-width little-endian types only, explicit padding, no enums,
 * bools, bitfields or pointers. Every size is pinned by a static assertion at
 * the end of this file.
 */
#ifndef _UAPI_LINUX_VIRTIO_ACCEL_H
#define _UAPI_LINUX_VIRTIO_ACCEL_H

#include <linux/types.h>

/*
 * 2. Device ID (experimental). 56 is assigned by nothing in the virtio
 * specification and used by no public implementation found (63..59 are taken
 * by crosvm, Gunyah and virtio-media drafts; see virtio-accel-spec/
 * id-request.txt). PCI device ID 0x1040 + 56 = 0x1078. Only this macro
 * changes when an official ID is assigned.
 */
#define VIRTIO_ID_ACCEL			56

/* 3. Feature bits (device-specific; transport bits come from virtio_config.h) */
#define VIRTIO_ACCEL_F_MQ		0 /* max_dataqueues is valid, >1 data queue */
#define VIRTIO_ACCEL_F_STATELESS	1 /* keyed ops may carry the key inline */
#define VIRTIO_ACCEL_F_STREAM		2 /* stream sessions (multi-request ops) */

/* 4. Configuration layout */
#define VIRTIO_ACCEL_S_HW_READY		(1 << 0)

#define VIRTIO_ACCEL_SERVICE_NULL	(1 << 0)
#define VIRTIO_ACCEL_SERVICE_HASH	(1 << 1)
#define VIRTIO_ACCEL_SERVICE_MAC	(1 << 2)
#define VIRTIO_ACCEL_SERVICE_AEAD	(1 << 3)
#define VIRTIO_ACCEL_SERVICE_COMPRESS	(1 << 4)

struct virtio_accel_config {
	__le32 status;		/* VIRTIO_ACCEL_S_HW_READY */
	__le16 max_dataqueues;	/* >= 1 */
	__le16 max_segments;	/* max descriptors in one request, >= 4 */
	__le32 services;	/* VIRTIO_ACCEL_SERVICE_* */
	__le32 max_sessions;	/* session table size */
	__le32 max_data_len;	/* max src_len and max dst_len of one request */
	__le32 max_key_len;	/* longest key accepted by any algorithm */
	__le32 max_aad_len;	/* longest AEAD additional data */
	__le32 max_comp_streams; /* live DEFLATE stream sessions (9.1) */
};

/* 5. Virtqueues: queue 0 is the control queue, data queue i is queue 1 + i. */
#define VIRTIO_ACCEL_CTRLQ		0
#define VIRTIO_ACCEL_DATAQ(i)		(1 + (i))

/* 6. Status codes (last byte of every response) */
#define VIRTIO_ACCEL_OK			0
#define VIRTIO_ACCEL_ERR		1 /* engine failure; retry may succeed */
#define VIRTIO_ACCEL_BADMSG		2 /* malformed request */
#define VIRTIO_ACCEL_NOTSUPP		3 /* unknown opcode, algorithm or flag */
#define VIRTIO_ACCEL_INVSESS		4 /* unknown session or wrong kind */
#define VIRTIO_ACCEL_NOSPC		5 /* output does not fit / table full */
#define VIRTIO_ACCEL_KEY_REJECTED	6 /* key length or value not accepted */
#define VIRTIO_ACCEL_AUTH_FAILED	7 /* AEAD tag mismatch */
#define VIRTIO_ACCEL_S_MAX		8

/* 7. Operations (data queues) */
#define VIRTIO_ACCEL_OP_NULL		0 /* dst := src */
#define VIRTIO_ACCEL_OP_HASH		1 /* dst := H(src) */
#define VIRTIO_ACCEL_OP_MAC		2 /* dst := MAC(key, src) */
#define VIRTIO_ACCEL_OP_AEAD_ENCRYPT	3 /* dst := E(src) || tag */
#define VIRTIO_ACCEL_OP_AEAD_DECRYPT	4 /* src = ct || tag; dst := D(ct) */
#define VIRTIO_ACCEL_OP_COMPRESS	5 /* raw DEFLATE, RFC 1951 */
#define VIRTIO_ACCEL_OP_DECOMPRESS	6
#define VIRTIO_ACCEL_OP_MAX		7

/* 7. Algorithms */
#define VIRTIO_ACCEL_ALG_NONE		0 /* NULL */
#define VIRTIO_ACCEL_ALG_SHA256		1 /* HASH, 32-byte digest */
#define VIRTIO_ACCEL_ALG_CRC32C		2 /* HASH, 4-byte little-endian value */
#define VIRTIO_ACCEL_ALG_HMAC_SHA256	3 /* MAC, 32-byte digest */
#define VIRTIO_ACCEL_ALG_AES256_GCM	4 /* AEAD, 32-byte key, 12-byte IV */
#define VIRTIO_ACCEL_ALG_DEFLATE	5 /* COMPRESS and DECOMPRESS */
#define VIRTIO_ACCEL_ALG_MAX		6

#define VIRTIO_ACCEL_SHA256_LEN		32
#define VIRTIO_ACCEL_CRC32C_LEN		4
#define VIRTIO_ACCEL_GCM_KEY_LEN	32
#define VIRTIO_ACCEL_GCM_IV_LEN		12
#define VIRTIO_ACCEL_GCM_TAG_LEN	16

/*
 * 7.5 Output bound for one COMPRESS request: a device MUST NOT answer NOSPC
 * when dst_len is at least this (stored blocks of at most 16383 bytes cost
 * 5 bytes each, plus room for a final empty block and flushes).
 */
#define VIRTIO_ACCEL_DEFLATE_BOUND(n)	((n) + 5 * ((n) / 16383 + 1) + 16)

/* 7.1 Data request (device-readable), followed by key, iv, aad, src */
#define VIRTIO_ACCEL_OP_F_FINAL		(1 << 0) /* last request of a stream */

struct virtio_accel_op_req {
	__le32 opcode;		/* VIRTIO_ACCEL_OP_* */
	__le32 algo;		/* VIRTIO_ACCEL_ALG_* */
	__le64 session_id;	/* 0: stateless */
	__le64 request_id;	/* opaque to the device */
	__le32 flags;		/* VIRTIO_ACCEL_OP_F_* */
	__le32 key_len;		/* inline key (stateless keyed ops only) */
	__le32 iv_len;
	__le32 aad_len;
	__le32 src_len;
	__le32 dst_len;		/* device-writable data before the response */
	__u8 reserved[16];
};

/* 7.2 Data response (device-writable), after dst; status is the last byte */
#define VIRTIO_ACCEL_RESP_F_STREAM_END	(1 << 0)

struct virtio_accel_op_resp {
	__le32 src_used;	/* bytes of src consumed */
	__le32 dst_used;	/* bytes of dst written */
	__u8 flags;		/* VIRTIO_ACCEL_RESP_F_* */
	__u8 reserved[6];
	__u8 status;		/* VIRTIO_ACCEL_OK ... */
};

/* 8. Control queue */
#define VIRTIO_ACCEL_CTRL_GET_CAPS		0
#define VIRTIO_ACCEL_CTRL_CREATE_SESSION	1
#define VIRTIO_ACCEL_CTRL_DESTROY_SESSION	2
#define VIRTIO_ACCEL_CTRL_MAX			3

#define VIRTIO_ACCEL_SESS_F_STREAM	(1 << 0) /* session carries one stream */

/* 8.1 Control request (device-readable), followed by key[key_len] */
struct virtio_accel_ctrl_req {
	__le32 opcode;		/* VIRTIO_ACCEL_CTRL_* */
	__le32 algo;		/* CREATE_SESSION */
	__le64 session_id;	/* DESTROY_SESSION */
	__le32 op;		/* CREATE_SESSION: VIRTIO_ACCEL_OP_* */
	__le32 flags;		/* CREATE_SESSION: VIRTIO_ACCEL_SESS_F_* */
	__le32 key_len;		/* CREATE_SESSION */
	__le32 reserved;
};

/* 8.2 Control response (device-writable), after any data; status last */
struct virtio_accel_ctrl_resp {
	__le64 session_id;	/* CREATE_SESSION */
	__le32 len;		/* GET_CAPS: bytes written, or needed if NOSPC */
	__u8 reserved[3];
	__u8 status;
};

/* 8.3 One capability record of GET_CAPS */
#define VIRTIO_ACCEL_CAP_F_SESSION	(1 << 0) /* usable with a session */
#define VIRTIO_ACCEL_CAP_F_STATELESS	(1 << 1) /* usable with session 0 */
#define VIRTIO_ACCEL_CAP_F_STREAM	(1 << 2) /* stream sessions */

struct virtio_accel_cap {
	__le32 op;		/* VIRTIO_ACCEL_OP_* */
	__le32 algo;		/* VIRTIO_ACCEL_ALG_* */
	__le32 flags;		/* VIRTIO_ACCEL_CAP_F_* */
	__le16 min_key_len;
	__le16 max_key_len;
	__le16 iv_len;
	__le16 out_len;		/* digest or tag length, 0 if none */
	__le32 max_aad_len;
	__u8 engine[8];		/* NUL-padded engine name, informational */
};

/*
 * 7.11 Device state transfer (live migration): a device's state as one byte
 * stream, a header, records, and END. Little-endian; every record is
 * padded with zeros to a multiple of 8 bytes (the padding is not in len).
 */
#define VIRTIO_ACCEL_STATE_MAGIC	"VACCSTAT"	/* 8 bytes, no NUL */
#define VIRTIO_ACCEL_STATE_MAJOR	1
#define VIRTIO_ACCEL_STATE_MINOR	0
#define VIRTIO_ACCEL_STATE_F_SEALED	(1 << 0)	/* AES-256-GCM, 7.11.4 */
#define VIRTIO_ACCEL_STATE_TAG_LEN	16	/* after the body when sealed */

struct virtio_accel_state_hdr {
	__u8 magic[8];		/* VIRTIO_ACCEL_STATE_MAGIC */
	__le16 major;		/* VIRTIO_ACCEL_STATE_MAJOR */
	__le16 minor;
	__le32 flags;		/* VIRTIO_ACCEL_STATE_F_* */
	__le32 hdr_len;		/* 32, or 48 when sealed */
	__le32 body_len;	/* bytes of the records, END included */
	__le32 nrecords;	/* records, END included */
	__le32 reserved;
};

/* follows struct virtio_accel_state_hdr when VIRTIO_ACCEL_STATE_F_SEALED */
struct virtio_accel_state_seal_hdr {
	__u8 nonce[12];		/* GCM IV, random per state */
	__u8 key_id[4];		/* HKDF(key, "virtio-accel state v1 id") */
};

/* Record types (le16 type); rflags bit 0: a loader that does not know the
 * type must refuse the state */
#define VIRTIO_ACCEL_STREC_DEVICE		1
#define VIRTIO_ACCEL_STREC_QUEUE		2
#define VIRTIO_ACCEL_STREC_SESSION		3
#define VIRTIO_ACCEL_STREC_SHA256		16
#define VIRTIO_ACCEL_STREC_HMAC_SHA256		17
#define VIRTIO_ACCEL_STREC_CRC32C		18
#define VIRTIO_ACCEL_STREC_AES256GCM		19
#define VIRTIO_ACCEL_STREC_DEFLATE_COMP		20
#define VIRTIO_ACCEL_STREC_LOST			31
#define VIRTIO_ACCEL_STREC_END			0xffff
#define VIRTIO_ACCEL_STREC_F_CRITICAL		(1 << 0)

struct virtio_accel_strec {	/* followed by payload[len], zero pad to 8 */
	__le16 type;		/* VIRTIO_ACCEL_STREC_* */
	__le16 rflags;		/* VIRTIO_ACCEL_STREC_F_* */
	__le32 len;		/* payload bytes, padding excluded */
};

struct virtio_accel_strec_device {
	__le64 features;	/* negotiated virtio features */
	__le16 nr_vq;		/* 1 + data queues */
	__le16 pad;
	__le32 config_len;	/* sizeof(struct virtio_accel_config) */
	__u8 config[32];	/* struct virtio_accel_config as the driver read it */
	__le64 implemented;	/* bit op * 8 + algo: the pairs of GET_CAPS */
	__le32 max_sessions;
	__le32 max_comp_streams;
	__le32 max_data_len;
	__le32 max_aad_len;
	__le32 max_key_len;
	__le32 nsessions;	/* SESSION records that follow */
	__le64 next_gen;	/* session ID generator: next generation */
};

#define VIRTIO_ACCEL_STQ_F_BROKEN	(1 << 0)	/* [RING-BROKEN] */

struct virtio_accel_strec_queue {
	__le16 index;
	__le16 flags;		/* VIRTIO_ACCEL_STQ_F_* */
	__le16 last_avail;
	__le16 last_used;
};

struct virtio_accel_strec_session {
	__le64 id;
	__le32 op;
	__le32 algo;
	__le32 flags;		/* VIRTIO_ACCEL_SESS_F_* */
	__le32 key_len;
	__le32 stream_active;	/* 0 or 1 */
	__le32 pad;
	__le64 stream_len;	/* data bytes of the open stream */
	__u8 key[64];		/* zero past key_len */
};

/* SHA256, and HMAC_SHA256 (the inner hash; total counts message bytes) */
struct virtio_accel_strec_sha256 {
	__le64 session;
	__u8 h[32];		/* H0..H7, each big-endian */
	__le64 total;		/* message bytes so far */
	__le32 buf_len;		/* total % 64 */
	__le32 pad;
	__u8 buf[64];		/* zero past buf_len */
};

struct virtio_accel_strec_crc32c {
	__le64 session;
	__le32 crc;		/* running CRC-32C, not inverted */
	__le32 pad;
};

struct virtio_accel_strec_gcm {
	__le64 session;
	__u8 iv[12];
	__le32 part_len;	/* ct_len % 16 */
	__le64 aad_len;
	__le64 ct_len;		/* = the session's stream_len */
	__u8 x[16];		/* GHASH state, SP 800-38D byte order */
	__u8 part[16];		/* ciphertext of the block in progress */
};

/* followed by dict[dict_len] then pending[pending_len] */
struct virtio_accel_strec_deflate {
	__le64 session;
	__le32 level;		/* 0..9, or 0xffffffff (zlib's default) */
	__le32 strategy;	/* 0..4 */
	__le32 mem_level;	/* 1..9 */
	__le32 dict_len;	/* <= 32768 */
	__le32 pending_len;	/* <= 131072 */
	__le32 pad;
};

#define VIRTIO_ACCEL_STLOST_ENGINE	1	/* the engine cannot export */

struct virtio_accel_strec_lost {
	__le64 session;
	__le32 reason;		/* VIRTIO_ACCEL_STLOST_* */
	__le32 pad;
};

struct virtio_accel_strec_end {
	__le32 nrecords_before;	/* records before END */
	__le32 crc32c;		/* CRC-32C of the header and the records before */
};

/* Sizes are part of the ABI. */
#ifdef __cplusplus
#define VIRTIO_ACCEL_ASSERT(c, m) static_assert(c, m)
#else
#define VIRTIO_ACCEL_ASSERT(c, m) _Static_assert(c, m)
#endif
VIRTIO_ACCEL_ASSERT(sizeof(struct virtio_accel_config) == 32, "config");
VIRTIO_ACCEL_ASSERT(__builtin_offsetof(struct virtio_accel_config,
				       max_comp_streams) == 28,
		    "config.max_comp_streams");
VIRTIO_ACCEL_ASSERT(sizeof(struct virtio_accel_op_req) == 64, "op_req");
VIRTIO_ACCEL_ASSERT(sizeof(struct virtio_accel_op_resp) == 16, "op_resp");
VIRTIO_ACCEL_ASSERT(sizeof(struct virtio_accel_ctrl_req) == 32, "ctrl_req");
VIRTIO_ACCEL_ASSERT(sizeof(struct virtio_accel_ctrl_resp) == 16, "ctrl_resp");
VIRTIO_ACCEL_ASSERT(sizeof(struct virtio_accel_cap) == 32, "cap");
VIRTIO_ACCEL_ASSERT(sizeof(struct virtio_accel_state_hdr) == 32, "state_hdr");
VIRTIO_ACCEL_ASSERT(sizeof(struct virtio_accel_state_seal_hdr) == 16,
		    "state_seal_hdr");
VIRTIO_ACCEL_ASSERT(sizeof(struct virtio_accel_strec) == 8, "strec");
VIRTIO_ACCEL_ASSERT(sizeof(struct virtio_accel_strec_device) == 88,
		    "strec_device");
VIRTIO_ACCEL_ASSERT(__builtin_offsetof(struct virtio_accel_strec_device,
				       next_gen) == 80, "strec_device.next_gen");
VIRTIO_ACCEL_ASSERT(sizeof(struct virtio_accel_strec_queue) == 8,
		    "strec_queue");
VIRTIO_ACCEL_ASSERT(sizeof(struct virtio_accel_strec_session) == 104,
		    "strec_session");
VIRTIO_ACCEL_ASSERT(sizeof(struct virtio_accel_strec_sha256) == 120,
		    "strec_sha256");
VIRTIO_ACCEL_ASSERT(sizeof(struct virtio_accel_strec_crc32c) == 16,
		    "strec_crc32c");
VIRTIO_ACCEL_ASSERT(sizeof(struct virtio_accel_strec_gcm) == 72, "strec_gcm");
VIRTIO_ACCEL_ASSERT(__builtin_offsetof(struct virtio_accel_strec_gcm, x) ==
		    40, "strec_gcm.x");
VIRTIO_ACCEL_ASSERT(sizeof(struct virtio_accel_strec_deflate) == 32,
		    "strec_deflate");
VIRTIO_ACCEL_ASSERT(sizeof(struct virtio_accel_strec_lost) == 16,
		    "strec_lost");
VIRTIO_ACCEL_ASSERT(sizeof(struct virtio_accel_strec_end) == 8, "strec_end");

#endif /* _UAPI_LINUX_VIRTIO_ACCEL_H */
