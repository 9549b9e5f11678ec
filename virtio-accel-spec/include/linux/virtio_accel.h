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

#endif /* _UAPI_LINUX_VIRTIO_ACCEL_H */
