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

/*
 * ---- The codec (virtio_accel_state.c) ----
 *
 * Spec 7.11 "Device state transfer". Pure: no I/O, no allocation, no libc
 * but memcpy/memset; the caller owns every buffer. Records are written in
 * the spec's order: DEVICE, QUEUE records in ascending index, each SESSION
 * (in ascending slot, id & 0xfffff) directly followed by its stream record
 * if its stream is open, END.
 */

/* The spec's CRC-32C update, as the back-end's va_crc32c(): no inversion
 * (the codec starts from 0xffffffff and inverts the result). The codec
 * takes the host's one implementation rather than keep a second. */
typedef u32 virtio_accel_crc32c_fn(u32 crc, const void *p, u32 len);

#define VIRTIO_ACCEL_STATE_HDR_LEN	32
#define VIRTIO_ACCEL_STATE_SEALED_HDR_LEN	48
/* session ids: gen << 20 | slot (the back-end's ctrl.c) */
#define VIRTIO_ACCEL_STATE_SLOT_BITS	20
#define VIRTIO_ACCEL_STATE_GEN_MAX	(1ULL << 44)	/* next_gen <= this */
/* [MIG-VALIDATE] 2: optional records of a newer minor a loader skips */
#define VIRTIO_ACCEL_STATE_MAX_SKIPPED	64
/* [MIG-VALIDATE] 8: SHA-256 message bytes so far, < 2^61 */
#define VIRTIO_ACCEL_STATE_SHA_MAX	(1ULL << 61)

/*
 * Why a state was refused: the rule of the spec's list in 7.11.3
 * ([MIG-VALIDATE] 1..8; 0: not a rule, e.g. the caller's arguments), the
 * record type (0: the header), the byte offset in the state where the rule
 * failed, and a static text naming the rule. Print it as
 * "state refused at byte %llu: %s".
 */
struct virtio_accel_state_err {
	u32 rule;
	u32 type;
	u64 offset;
	const char *reason;
};

/*
 * [MIG-VALIDATE] 1: the most bytes a destination with @dst reads before it
 * refuses a state (sealed, tag included): 64 KiB + 16 per queue + 256 per
 * session + 168 KiB per DEFLATE stream session.
 */
u64 virtio_accel_state_max(const struct virtio_accel_state_device *dst);

/*
 * Bytes virtio_accel_state_encode() writes for @s (@sealed: the 48-byte
 * header and the tag included), or 0 if @s cannot be encoded (see encode).
 */
u64 virtio_accel_state_size(const struct virtio_accel_state *s, int sealed);

/*
 * Write @s into @buf (@len bytes of room). @seal NULL: a plaintext state;
 * else a sealed one with that nonce and key id in its header, the body
 * still in plaintext and the tag's 16 bytes left zero: the sealer
 * (virtio_accel_state_seal.c) encrypts in place. Returns the bytes written,
 * -ENOSPC if @len is too small, -EINVAL if @s breaks what the writer must
 * guarantee (lengths beyond their fields, queues or sessions out of order,
 * a stream record without an open stream or the reverse); the rules the
 * loader checks beyond those are the source's to keep.
 */
long virtio_accel_state_encode(const struct virtio_accel_state *s,
			       const struct virtio_accel_state_seal_hdr *seal,
			       void *buf, u64 len,
			       virtio_accel_crc32c_fn *crc32c);

/*
 * [MIG-VALIDATE] 1, 2: from the first 32 bytes of a state, its total
 * length (header, body, tag): what a reader allocates and then reads
 * exactly. 0, or a negative errno with @err set.
 */
int virtio_accel_state_total_len(const void *hdr, u64 len,
				 const struct virtio_accel_state_device *dst,
				 u64 *total, struct virtio_accel_state_err *err);

/*
 * [MIG-VALIDATE] 5: whether a destination described by @dst (its offered
 * features, nr_vq, implemented pairs and limits; config and next_gen
 * unused) can serve the source's device record @src. 0 or -EOPNOTSUPP.
 */
int virtio_accel_state_compat(const struct virtio_accel_state_device *src,
			      const struct virtio_accel_state_device *dst,
			      struct virtio_accel_state_err *err);

/* decode() flags */
/* the state is sealed and the caller verified and decrypted it in place */
#define VIRTIO_ACCEL_STATE_DEC_OPENED	(1u << 0)

/*
 * Validate @len bytes at @buf against every rule of [MIG-VALIDATE] and fill
 * @st: @st->queues must have room for @dst->nr_vq entries and
 * @st->sessions for @dst->max_sessions. The DEFLATE records' dict and
 * pending point into @buf. Without VIRTIO_ACCEL_STATE_DEC_OPENED a sealed
 * state is refused (rule 3: no key); with it, a plaintext one (rule 3: no
 * downgrade). Returns 0, or a negative errno (-EBADMSG malformed, -E2BIG
 * beyond virtio_accel_state_max(), -EPROTO another major, -EOPNOTSUPP an
 * unknown critical record or a device @dst cannot serve, -EACCES/-ENOKEY
 * sealing) with @err set and the keys copied into @st->sessions wiped.
 */
int virtio_accel_state_decode(const void *buf, u64 len, u32 flags,
			      const struct virtio_accel_state_device *dst,
			      struct virtio_accel_state *st,
			      virtio_accel_crc32c_fn *crc32c,
			      struct virtio_accel_state_err *err);

/*
 * ---- Sealing (virtio_accel_state_seal.c: OpenSSL, user space) ----
 *
 * Spec 7.11.3. --state-key-file holds 32 bytes, raw or as 64 hexadecimal
 * digits (a final newline allowed), in a regular file of mode 0600 or
 * stricter owned by the process's effective user. From it: K_enc =
 * HKDF-SHA256(key, salt "", info VIRTIO_ACCEL_STATE_SEAL_INFO), key_id = the
 * first 4 bytes of HKDF-SHA256(key, salt "", info VIRTIO_ACCEL_STATE_ID_INFO).
 */
#define VIRTIO_ACCEL_STATE_KEY_LEN	32
#define VIRTIO_ACCEL_STATE_SEAL_INFO	"virtio-accel state v1 seal"
#define VIRTIO_ACCEL_STATE_ID_INFO	"virtio-accel state v1 id"

struct virtio_accel_state_key {
	u8 enc[32];		/* K_enc */
	u8 id[4];		/* key_id */
	u32 loaded;
};

/* Read and check the key file, derive the keys, wipe the file's key.
 * 0, or a negative errno with *why a static reason. */
int virtio_accel_state_key_load(const char *path,
				struct virtio_accel_state_key *k,
				const char **why);
/* The same from 32 bytes in memory (the caller wipes them). */
int virtio_accel_state_key_derive(const u8 *ikm,
				  struct virtio_accel_state_key *k);
void virtio_accel_state_key_wipe(struct virtio_accel_state_key *k);

/*
 * Save: virtio_accel_state_encode() into @buf, sealed with @k unless @k is
 * NULL (a fresh random nonce per call; @len from
 * virtio_accel_state_size(s, !!k)). Returns bytes or a negative errno.
 */
long virtio_accel_state_save(const struct virtio_accel_state_key *k,
			     const struct virtio_accel_state *s, void *buf,
			     u64 len, virtio_accel_crc32c_fn *crc32c);
/*
 * Load: with @k NULL, virtio_accel_state_decode() (a sealed state is
 * refused); with @k, a plaintext state is refused, then key_id and the GCM
 * tag are checked and the body decrypted in @buf (in place) and decoded.
 * Errors as decode's, plus -EKEYREJECTED (rule 3, another key) and
 * -EBADMSG with rule 3 (the tag). A body decrypted but refused is wiped;
 * after a success @buf holds keys in plaintext: the caller wipes it once
 * it has applied the state.
 */
int virtio_accel_state_load(const struct virtio_accel_state_key *k,
			    void *buf, u64 len,
			    const struct virtio_accel_state_device *dst,
			    struct virtio_accel_state *st,
			    virtio_accel_crc32c_fn *crc32c,
			    struct virtio_accel_state_err *err);

#endif /* VIRTIO_ACCEL_STATE_H */
