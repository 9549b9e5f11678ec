/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/*
 * A device's state in transfer (spec "Device state transfer"; design in
 * docs/migration-design.md, sections 3 and 4): the host-order form that the
 * encoder reads and the decoder fills.
 *
 * This header is the contract between the two halves of live migration:
 * virtio_accel_state.c turns a struct virtio_accel_state into the
 * little-endian, self-describing byte stream of the spec and back (encode,
 * validate, decode: pure, no I/O, no allocation but the caller's), and a
 * device's engines fill or consume one struct virtio_accel_state_stream per
 * open stream. Neither half knows the other's internals.
 *
 * User space only (the vhost-user back-end, tests, fuzz targets); same types
 * as virtio_accel_req.h.
 */
#ifndef VIRTIO_ACCEL_STATE_H
#define VIRTIO_ACCEL_STATE_H

#include "virtio_accel_req.h"
#include "virtio_accel_dev.h"

/* Record types of the stream (spec table "State records") */
enum virtio_accel_state_kind {
	VIRTIO_ACCEL_ST_NONE = 0,		/* session has no open stream */
	VIRTIO_ACCEL_ST_SHA256 = 16,		/* SHA-256 stream */
	VIRTIO_ACCEL_ST_HMAC_SHA256 = 17,	/* HMAC-SHA-256: inner hash */
	VIRTIO_ACCEL_ST_CRC32C = 18,
	VIRTIO_ACCEL_ST_AES256GCM = 19,
	VIRTIO_ACCEL_ST_DEFLATE_COMP = 20,
	VIRTIO_ACCEL_ST_LOST = 31,		/* cannot travel: ERR on B */
};

#define VIRTIO_ACCEL_ST_DEFLATE_DICT_MAX	32768
#define VIRTIO_ACCEL_ST_DEFLATE_PENDING_MAX	131072

/* Lost-stream reasons */
#define VIRTIO_ACCEL_ST_LOST_ENGINE	1	/* the engine cannot export */

/*
 * SHA-256, and the inner hash of HMAC-SHA-256: the chaining value after
 * total - buf_len bytes, and the buf_len (= total % 64) bytes not yet
 * compressed. For HMAC, total counts message bytes only: the loader adds
 * the 64-byte ipad block it derives from the session key, and derives the
 * outer hash from the key too.
 */
struct virtio_accel_st_sha256 {
	u8 h[32];		/* H0..H7, each big-endian (FIPS 180-4 order) */
	u64 total;		/* message bytes so far */
	u32 buf_len;
	u8 buf[64];
};

/*
 * AES-256-GCM, either direction (the session's op says which): GHASH state
 * x after the AAD and the ct_len - part_len whole ciphertext blocks, and the
 * part_len (= ct_len % 16) ciphertext bytes of the block in progress, the
 * rest of part zero. The counter is implied: block J0 + 1 + ct_len / 16,
 * ct_len % 16 key-stream bytes of it used. x and the blocks are in GCM's
 * byte order (the spec's, SP 800-38D).
 */
struct virtio_accel_st_gcm {
	u8 iv[12];
	u32 part_len;
	u64 aad_len;		/* bytes */
	u64 ct_len;		/* bytes; equals the session's stream_len */
	u8 x[16];
	u8 part[16];
};

struct virtio_accel_st_crc32c {
	u32 crc;		/* running CRC-32C, as the engine keeps it */
};

/*
 * DEFLATE compression (raw deflate, window 2^15): what a fresh deflate
 * stream needs to continue the same output: its parameters, the last up to
 * 32 KiB of input as the dictionary, and the compressed bytes already
 * produced but not yet delivered (the source's sync flush), which the
 * destination delivers first. dict and pending point into the caller's
 * buffer (encode: the engine's; decode: the state buffer being decoded).
 */
struct virtio_accel_st_deflate {
	u32 level;		/* 0..9, or 0xffffffff for zlib's -1 (default) */
	u32 strategy;		/* 0..4 (zlib's Z_DEFAULT_STRATEGY..Z_FIXED) */
	u32 mem_level;		/* 1..9 */
	u32 dict_len;		/* <= VIRTIO_ACCEL_ST_DEFLATE_DICT_MAX */
	u32 pending_len;	/* <= VIRTIO_ACCEL_ST_DEFLATE_PENDING_MAX */
	const u8 *dict;
	const u8 *pending;
};

struct virtio_accel_state_stream {
	u32 kind;		/* enum virtio_accel_state_kind */
	union {
		struct virtio_accel_st_sha256 sha;	/* SHA256, HMAC_SHA256 */
		struct virtio_accel_st_gcm gcm;
		struct virtio_accel_st_crc32c crc;
		struct virtio_accel_st_deflate defl;
		u32 lost_reason;
	} u;
};

struct virtio_accel_state_session {
	u64 id;			/* gen << 20 | slot, kept across migration */
	struct virtio_accel_dev_sess c;	/* op, algo, flags, key, stream_* */
	struct virtio_accel_state_stream st;	/* kind NONE unless stream_active */
};

struct virtio_accel_state_queue {
	u16 index;
	u16 broken;		/* [RING-BROKEN] */
	u16 last_avail;
	u16 last_used;
};

/* The device record: what the destination checks it can serve. */
struct virtio_accel_state_device {
	u64 features;		/* negotiated virtio features */
	u16 nr_vq;
	u8 config[32];		/* struct virtio_accel_config as the driver read it */
	u64 implemented;	/* (op, algo) pairs, as in GET_CAPS */
	u32 max_sessions;
	u32 max_comp_streams;
	u32 max_data_len;
	u32 max_aad_len;
	u32 max_key_len;
	u64 next_gen;		/* session ID generator: next generation */
};

struct virtio_accel_state {
	struct virtio_accel_state_device dev;
	u32 nqueues;
	struct virtio_accel_state_queue *queues;	/* nqueues */
	u32 nsessions;
	struct virtio_accel_state_session *sessions;	/* nsessions */
};

#endif /* VIRTIO_ACCEL_STATE_H */
