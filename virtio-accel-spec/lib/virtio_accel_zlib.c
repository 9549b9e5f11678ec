// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * The DEFLATE semantics of the spec over zlib, written once (see the header).
 */
#include "virtio_accel_zlib.h"

/* zlib refuses a NULL buffer even with a zero length */
static u8 virtio_accel_z_byte;

static void z_set(z_stream *z, struct virtio_accel_zio *io)
{
	z->next_in = (void *)(uintptr_t)(io->src_len ? io->src :
					 &virtio_accel_z_byte);
	z->avail_in = io->src_len;
	z->next_out = io->dst_len ? io->dst : &virtio_accel_z_byte;
	z->avail_out = io->dst_len;
	io->src_used = 0;
	io->dst_used = 0;
	io->rflags = 0;
}

u8 virtio_accel_z_deflate_once(z_stream *z, struct virtio_accel_zio *io)
{
	int ret;

	if (VIRTIO_ACCEL_Z(deflateReset)(z) != Z_OK)
		return VIRTIO_ACCEL_ERR;
	z_set(z, io);
	ret = VIRTIO_ACCEL_Z(deflate)(z, Z_FINISH);
	if (ret == Z_STREAM_END) {
		io->dst_used = io->dst_len - z->avail_out;
		io->src_used = io->src_len;
		return VIRTIO_ACCEL_OK;
	}
	return ret == Z_STREAM_ERROR ? VIRTIO_ACCEL_ERR : VIRTIO_ACCEL_NOSPC;
}

u8 virtio_accel_z_inflate_once(z_stream *z, struct virtio_accel_zio *io)
{
	u8 probe;
	int ret;

	if (VIRTIO_ACCEL_Z(inflateReset)(z) != Z_OK)
		return VIRTIO_ACCEL_ERR;
	z_set(z, io);
	if (!io->dst_len)
		z->next_out = &probe;
	ret = VIRTIO_ACCEL_Z(inflate)(z, Z_FINISH);
	if ((ret == Z_OK || ret == Z_BUF_ERROR) && !z->avail_out) {
		/* dst is full: would the stream produce more output? */
		z->next_out = &probe;
		z->avail_out = 1;
		ret = VIRTIO_ACCEL_Z(inflate)(z, Z_FINISH);
		if (!z->avail_out)
			return VIRTIO_ACCEL_NOSPC;
		z->avail_out = 0;
	}
	switch (ret) {
	case Z_STREAM_END:
		if (z->avail_in)
			return VIRTIO_ACCEL_BADMSG;	/* trailing data */
		io->dst_used = io->dst_len - z->avail_out;
		io->src_used = io->src_len;
		io->rflags = VIRTIO_ACCEL_RESP_F_STREAM_END;
		return VIRTIO_ACCEL_OK;
	case Z_MEM_ERROR:
	case Z_STREAM_ERROR:
		return VIRTIO_ACCEL_ERR;
	default:
		/* Z_DATA_ERROR, or input ended before the final block */
		return VIRTIO_ACCEL_BADMSG;
	}
}

u8 virtio_accel_z_stream(z_stream *z, int deflating, int start, int final,
			 struct virtio_accel_zio *io)
{
	int ret;

	if (start && (deflating ? VIRTIO_ACCEL_Z(deflateReset)(z) :
			VIRTIO_ACCEL_Z(inflateReset)(z)) != Z_OK)
		return VIRTIO_ACCEL_ERR;
	z_set(z, io);
	if (deflating)
		ret = VIRTIO_ACCEL_Z(deflate)(z, final ? Z_FINISH : Z_NO_FLUSH);
	else
		ret = VIRTIO_ACCEL_Z(inflate)(z, Z_NO_FLUSH);
	io->src_used = io->src_len - z->avail_in;
	io->dst_used = io->dst_len - z->avail_out;
	switch (ret) {
	case Z_STREAM_END:
		/* [STREAM-DEFLATE]: input after the final block is BADMSG */
		if (!deflating && z->avail_in)
			return VIRTIO_ACCEL_BADMSG;
		io->rflags = VIRTIO_ACCEL_RESP_F_STREAM_END;
		return VIRTIO_ACCEL_OK;
	case Z_OK:
	case Z_BUF_ERROR:
		break;
	case Z_MEM_ERROR:
	case Z_STREAM_ERROR:
		return VIRTIO_ACCEL_ERR;
	default:
		return VIRTIO_ACCEL_BADMSG;
	}
	/* no progress although there was input and room */
	if (io->src_len && io->dst_len && !io->src_used && !io->dst_used)
		return VIRTIO_ACCEL_BADMSG;
	/* truncated: FINAL input ended before the final block, dst not full */
	if (!deflating && final && !z->avail_in && z->avail_out)
		return VIRTIO_ACCEL_BADMSG;
	return VIRTIO_ACCEL_OK;
}
