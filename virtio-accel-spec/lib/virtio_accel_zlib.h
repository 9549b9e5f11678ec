/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/*
 * The DEFLATE semantics of the spec over zlib, written once: one-shot
 * COMPRESS and DECOMPRESS ([OP-DEFLATE]) and stream steps ([STREAM-DEFLATE]).
 * Compiled into the DPDK back-end (zlib) and the vDPA parent (the kernel's
 * lib/zlib, whose functions carry a zlib_ prefix). The caller owns the
 * z_stream (raw DEFLATE: windowBits -15) and its initialisation.
 */
#ifndef VIRTIO_ACCEL_ZLIB_H
#define VIRTIO_ACCEL_ZLIB_H

#include "virtio_accel_req.h"

#ifdef __KERNEL__
#include <linux/zlib.h>
#define VIRTIO_ACCEL_Z(fn) zlib_##fn
#else
#include <zlib.h>
#define VIRTIO_ACCEL_Z(fn) fn
#endif

/* One request's buffers and, on return, what the step did. */
struct virtio_accel_zio {
	const u8 *src;
	u32 src_len;
	u8 *dst;
	u32 dst_len;
	u32 src_used;		/* out */
	u32 dst_used;		/* out */
	u8 rflags;		/* out: VIRTIO_ACCEL_RESP_F_STREAM_END */
};

/* Compress all of src at @z's level; NOSPC when it does not fit in dst. */
u8 virtio_accel_z_deflate_once(z_stream *z, struct virtio_accel_zio *io);
/* One complete raw DEFLATE stream: trailing or truncated data is BADMSG. */
u8 virtio_accel_z_inflate_once(z_stream *z, struct virtio_accel_zio *io);
/*
 * One request of a stream session: @deflating picks the direction, @start
 * resets @z for a new stream, @final is the request's FINAL flag.
 */
u8 virtio_accel_z_stream(z_stream *z, int deflating, int start, int final,
			 struct virtio_accel_zio *io);

#endif /* VIRTIO_ACCEL_ZLIB_H */
