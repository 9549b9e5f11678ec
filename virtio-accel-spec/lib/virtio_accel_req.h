/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/*
 * Request decoding and validation for virtio-accel, written once.
 *
 * Compiled unchanged into the DPDK vhost-user backend, the vDPA parent
 * (kernel) and the tests. Pure functions: no I/O, no allocation, no locks.
 * The caller copies the fixed request header out of guest memory once and
 * passes that private copy here, so every field is read exactly once.
 */
#ifndef VIRTIO_ACCEL_REQ_H
#define VIRTIO_ACCEL_REQ_H

#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/types.h>
#include <asm/byteorder.h>
#else
#include <errno.h>
#include <stdint.h>
#include <endian.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
#ifndef le16_to_cpu
#define le16_to_cpu(x) le16toh(x)
#define le32_to_cpu(x) le32toh(x)
#define le64_to_cpu(x) le64toh(x)
#define cpu_to_le16(x) htole16(x)
#define cpu_to_le32(x) htole32(x)
#define cpu_to_le64(x) htole64(x)
#endif
#endif

#include <linux/virtio_accel.h>

/* Bit of virtio_accel_limits.implemented for an (op, algo) pair. */
#define VIRTIO_ACCEL_IMPL_BIT(op, algo) (1ull << ((op) * 8 + (algo)))

/* Limits the device advertises in its configuration and features. */
struct virtio_accel_limits {
	u64 implemented;	/* VIRTIO_ACCEL_IMPL_BIT() of each engine pair */
	u32 max_data_len;
	u32 max_aad_len;
	u32 stateless;		/* VIRTIO_ACCEL_F_STATELESS negotiated */
	u32 stream;		/* VIRTIO_ACCEL_F_STREAM negotiated */
	u32 max_comp_streams;	/* [STREAM-LIMIT], as in the configuration */
};

/* Static properties of one (operation, algorithm) pair: spec table 7.3. */
struct virtio_accel_alg_info {
	u32 op;
	u32 algo;
	u16 min_key_len;	/* 0 and max 0: unkeyed */
	u16 max_key_len;
	u16 iv_len;
	u16 out_len;		/* digest / tag; 0 if none */
	u8 aad;			/* additional data allowed */
	u8 stream;		/* may be used in a stream session */
	const char *name;
};

const struct virtio_accel_alg_info *virtio_accel_alg_lookup(u32 op, u32 algo);
const struct virtio_accel_alg_info *virtio_accel_alg_table(unsigned int *n);

/* What the device knows about the session a request names. */
struct virtio_accel_sess_view {
	u32 op;
	u32 algo;
	u32 flags;		/* VIRTIO_ACCEL_SESS_F_* */
	u32 stream_active;	/* a stream has started and not finished */
};

/* A validated data request in host byte order. */
struct virtio_accel_op {
	u32 opcode;
	u32 algo;
	u32 flags;
	u64 session_id;
	u64 request_id;
	u32 key_len;
	u32 iv_len;
	u32 aad_len;
	u32 src_len;
	u32 dst_len;
	/* offsets in the device-readable part */
	u32 key_off;
	u32 iv_off;
	u32 aad_off;
	u32 src_off;
	const struct virtio_accel_alg_info *info;
};

/* Copy the header fields into @op in host order (no checks). */
void virtio_accel_decode_op_hdr(const struct virtio_accel_op_req *req,
				struct virtio_accel_op *op);
/*
 * Validate a decoded data request. @rd_len and @wr_len are the totals of the
 * chain's device-readable and device-writable parts (the caller has applied
 * [REQ-SHORT], [REQ-HUGE] and [REQ-SEGS], and zero-padded a header shorter
 * than 64 bytes). @sess is NULL for session 0, else the session the caller
 * found for op->session_id.
 * Returns a VIRTIO_ACCEL_* status; on VIRTIO_ACCEL_OK @op is complete.
 */
u8 virtio_accel_check_op(struct virtio_accel_op *op,
			 const struct virtio_accel_op_req *req,
			 u64 rd_len, u64 wr_len,
			 const struct virtio_accel_limits *lim,
			 const struct virtio_accel_sess_view *sess);

/* A validated control request in host byte order. */
struct virtio_accel_ctrl {
	u32 opcode;
	u32 algo;
	u32 op;
	u32 flags;
	u64 session_id;
	u32 key_len;
	u32 data_len;		/* GET_CAPS: room for records before resp */
	const struct virtio_accel_alg_info *info;
};

u8 virtio_accel_check_ctrl(struct virtio_accel_ctrl *c,
			   const struct virtio_accel_ctrl_req *req,
			   u64 rd_len, u64 wr_len,
			   const struct virtio_accel_limits *lim);

/*
 * [STREAM-LIMIT]: live DEFLATE stream sessions per device. Both hosts take
 * their option (--max-comp-streams, module parameter max_comp_streams) in
 * 1..VIRTIO_ACCEL_COMP_STREAMS_MAX, default VIRTIO_ACCEL_COMP_STREAMS_DEFAULT.
 * VIRTIO_ACCEL_COMP_STREAM_STATE bounds what one such session holds with
 * zlib (windowBits 15, memLevel 8: 256 KiB of window, hash chains and
 * pending buffer, plus the deflate state; inflate needs ~40 KiB), so the
 * devices' stream memory is at most max_comp_streams times it: 18 MiB by
 * default, 288 MiB at the maximum.
 */
#define VIRTIO_ACCEL_COMP_STREAMS_DEFAULT	64
#define VIRTIO_ACCEL_COMP_STREAMS_MAX		1024
#define VIRTIO_ACCEL_COMP_STREAM_STATE		(288u << 10)

/* [STREAM-LIMIT]: whether a session of this kind takes a stream slot. */
static inline int virtio_accel_is_comp_stream(u32 op, u32 flags)
{
	return (flags & VIRTIO_ACCEL_SESS_F_STREAM) &&
	       (op == VIRTIO_ACCEL_OP_COMPRESS ||
		op == VIRTIO_ACCEL_OP_DECOMPRESS);
}

/*
 * [CFG-LIMITS]: the max_comp_streams a device advertises, from its option
 * @want, its session table size, and whether it offers
 * VIRTIO_ACCEL_F_STREAM and the COMPRESS service.
 */
static inline u32 virtio_accel_comp_streams_cfg(u32 want, u32 max_sessions,
						int stream_offered,
						int compress)
{
	if (!stream_offered || !compress)
		return 0;
	return want < max_sessions ? want : max_sessions;
}

/*
 * [CTRL-CREATE], [STREAM-LIMIT]: for a CREATE_SESSION of (@op, @flags) that
 * passed virtio_accel_check_ctrl(), with @live DEFLATE stream sessions
 * already held: NOSPC if this one would be one too many, else OK.
 */
u8 virtio_accel_check_comp_stream(u32 op, u32 flags,
				  const struct virtio_accel_limits *lim,
				  u32 live);

/* [REQ-HUGE]: longest writable part the device answers (data, control). */
static inline u64 virtio_accel_max_wr_len(u32 max_data_len)
{
	return (u64)max_data_len + sizeof(struct virtio_accel_op_resp);
}

#define VIRTIO_ACCEL_CTRL_MAX_WR_LEN \
	(65536 + sizeof(struct virtio_accel_ctrl_resp))

/* Output length rule for non-streaming COMPRESS (spec 7.5). */
static inline u64 virtio_accel_deflate_bound(u64 n)
{
	return VIRTIO_ACCEL_DEFLATE_BOUND(n);
}

/*
 * After a request of a stream completed OK: whether the stream stays open
 * (the session's stream_active). Sets STREAM_END in @rflags when a FINAL
 * request ended a hash, MAC or AEAD stream; DEFLATE engines set it themselves.
 */
u32 virtio_accel_stream_open_after(u32 op, int final, u8 *rflags);

const char *virtio_accel_status_name(u8 status);

/*
 * A device status as a negative errno: the one map every driver uses (the
 * kernel driver's uAPI and the library document it). A status the spec does
 * not define is a protocol error.
 */
static inline int virtio_accel_status_errno(u8 status)
{
	switch (status) {
	case VIRTIO_ACCEL_OK:
		return 0;
	case VIRTIO_ACCEL_ERR:
		return -EIO;
	case VIRTIO_ACCEL_BADMSG:
		return -EINVAL;
	case VIRTIO_ACCEL_NOTSUPP:
		return -EOPNOTSUPP;
	case VIRTIO_ACCEL_INVSESS:
		return -ENOENT;
	case VIRTIO_ACCEL_NOSPC:
		return -ENOSPC;
	case VIRTIO_ACCEL_KEY_REJECTED:
		return -EKEYREJECTED;
	case VIRTIO_ACCEL_AUTH_FAILED:
		return -EBADMSG;
	default:
		return -EPROTO;
	}
}
const char *virtio_accel_op_name(u32 op);

#endif /* VIRTIO_ACCEL_REQ_H */
