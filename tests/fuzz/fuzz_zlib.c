// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fuzz target: the DEFLATE semantics both hosts share
 * (virtio-accel-spec/lib/virtio_accel_zlib.c): one-shot COMPRESS and
 * DECOMPRESS, and stream steps, driven the way the back-end's software
 * engine drives them (engine_sw.c: default level, then stored blocks when
 * the output did not fit although dst_len >= VIRTIO_ACCEL_DEFLATE_BOUND).
 *
 * Input: a mode byte, then how to make the data (bytes of the input, tiled
 * up to 128 KiB, or pseudo-random, or runs), the dst capacities, and for
 * DECOMPRESS edits (truncate, flip, append) of a valid stream. Every dst
 * buffer is its own allocation of exactly dst_len bytes (ASan).
 *
 * Invariants asserted:
 *  - one-shot COMPRESS: dst_len >= DEFLATE_BOUND(src_len) is never NOSPC
 *    (spec 7.5); OK output inflates back to src, and DECOMPRESS of it
 *    with one byte less room is NOSPC;
 *  - one-shot DECOMPRESS agrees with zlib run without a limit: OK with the
 *    same bytes iff one complete stream that fits and nothing after it,
 *    NOSPC iff the output would not fit, else BADMSG ([OP-DEFLATE]);
 *  - streams ([STREAM-DEFLATE]): src_used <= src_len, dst_used <= dst_len,
 *    BADMSG only without progress (compress) or for bad input
 *    (decompress); compressed output inflates to the input; decompressed
 *    output is a prefix of the reference and all of it at STREAM_END; a
 *    valid stream fed to the end ends.
 */
#include <zlib.h>

#include "fuzz.h"
#include "virtio_accel_zlib.h"

#define MAX_DATA	(128u << 10)
#define MAX_STEPS	96

static z_stream zdef, zstored, zinf, zsdef, zsinf, zref;
static uint8_t *data, *comp, *out, *ref;
static int ready;

static void setup(void)
{
	if (deflateInit2(&zdef, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK ||
	    deflateInit2(&zstored, Z_NO_COMPRESSION, Z_DEFLATED, -15, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK ||
	    deflateInit2(&zsdef, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK ||
	    inflateInit2(&zinf, -15) != Z_OK ||
	    inflateInit2(&zsinf, -15) != Z_OK ||
	    inflateInit2(&zref, -15) != Z_OK)
		abort();
	data = malloc(MAX_DATA);
	comp = malloc(2 * MAX_DATA);
	out = malloc(2 * MAX_DATA);
	ref = malloc(4 * MAX_DATA);
	if (!data || !comp || !out || !ref)
		abort();
	ready = 1;
}

/* Up to MAX_DATA bytes made from the input; returns the length. */
static uint32_t make_data(struct fz *f, uint8_t *buf)
{
	uint8_t how = fz_u8(f);
	uint32_t len = fz_u16(f), i, n;
	uint64_t x;

	if (how & 0x80)
		len = (len << 1) % MAX_DATA;	/* big: up to 128 KiB */
	else
		len &= 1023;
	switch (how & 3) {
	case 0: /* the input's own bytes, tiled */
		n = (uint32_t)(fz_left(f) < len ? fz_left(f) : len);
		if (n > 255)
			n = 255;
		fz_bytes(f, buf, n);
		if (!n && len)
			buf[n++] = 0;
		for (i = n; i < len; i++)
			buf[i] = buf[i % n];
		break;
	case 1: /* incompressible */
		x = fz_u64(f) | 1;
		for (i = 0; i < len; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = (uint8_t)x;
		}
		break;
	default: /* runs */
		x = fz_u8(f);
		for (i = 0; i < len; i++)
			buf[i] = (uint8_t)((i / (x + 1)) * 37);
		break;
	}
	return len;
}

/* A dst buffer of exactly @len bytes (malloc(0) is a valid pointer). */
static uint8_t *dst_alloc(uint32_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	if (!p)
		abort();
	return p;
}

/* zlib without limits: status of a raw inflate of @src, output in ref[] */
struct ref_result {
	int ret;		/* Z_STREAM_END, Z_DATA_ERROR, Z_BUF_ERROR */
	uint32_t in, out;	/* consumed, produced */
};

static struct ref_result ref_inflate(const uint8_t *src, uint32_t len)
{
	struct ref_result r;

	inflateReset(&zref);
	zref.next_in = (uint8_t *)(uintptr_t)src;
	zref.avail_in = len;
	zref.next_out = ref;
	zref.avail_out = 4 * MAX_DATA;
	r.ret = inflate(&zref, Z_FINISH);
	r.in = len - zref.avail_in;
	r.out = 4 * MAX_DATA - zref.avail_out;
	return r;
}

/* What the engines do for one-shot COMPRESS (engine_sw.c va_sw_deflate) */
static uint8_t engine_deflate(struct virtio_accel_zio *io)
{
	uint8_t st = virtio_accel_z_deflate_once(&zdef, io);

	if (st == VIRTIO_ACCEL_NOSPC &&
	    io->dst_len >= virtio_accel_deflate_bound(io->src_len))
		st = virtio_accel_z_deflate_once(&zstored, io);
	return st;
}

static void once_compress(struct fz *f)
{
	uint32_t len = make_data(f, data), bound, dl;
	struct virtio_accel_zio io;
	uint8_t how = fz_u8(f), st, *d;

	bound = (uint32_t)virtio_accel_deflate_bound(len);
	switch (how & 3) {
	case 0:
		dl = bound;
		break;
	case 1:
		dl = bound - (fz_u8(f) % (bound + 1));
		break;
	default:
		dl = fz_u32(f) % (bound + 64);
		break;
	}
	d = dst_alloc(dl);
	io = (struct virtio_accel_zio){ .src = data, .src_len = len,
					.dst = d, .dst_len = dl };
	st = engine_deflate(&io);
	FZ_CHECK(st == VIRTIO_ACCEL_OK || st == VIRTIO_ACCEL_NOSPC,
		 "COMPRESS status %u", st);
	FZ_CHECK(dl < bound || st == VIRTIO_ACCEL_OK,
		 "NOSPC for %u bytes into %u >= bound %u", len, dl, bound);
	if (st == VIRTIO_ACCEL_OK) {
		struct virtio_accel_zio back;
		uint8_t *p = dst_alloc(len);

		FZ_CHECK(io.src_used == len && io.dst_used <= dl,
			 "COMPRESS used %u/%u %u/%u", io.src_used, len,
			 io.dst_used, dl);
		back = (struct virtio_accel_zio){ .src = d,
						  .src_len = io.dst_used,
						  .dst = p, .dst_len = len };
		st = virtio_accel_z_inflate_once(&zinf, &back);
		FZ_CHECK(st == VIRTIO_ACCEL_OK && back.dst_used == len &&
			 !memcmp(p, data, len), "round trip: %u, %u of %u",
			 st, back.dst_used, len);
		if (len) {
			back.dst_len = len - 1;
			st = virtio_accel_z_inflate_once(&zinf, &back);
			FZ_CHECK(st == VIRTIO_ACCEL_NOSPC,
				 "one byte short: %u", st);
		}
		free(p);
	}
	free(d);
}

/* A raw DEFLATE stream to decompress: valid, edited, or the input's bytes */
static uint32_t make_comp(struct fz *f, int *valid)
{
	uint8_t how = fz_u8(f);
	uint32_t len, n, k;
	z_stream *z = (how & 0x40) ? &zstored : &zdef;

	*valid = 0;
	if ((how & 3) == 3) {
		len = (uint32_t)(fz_left(f) < 4096 ? fz_left(f) : 4096);
		fz_bytes(f, comp, len);
		return len;
	}
	n = make_data(f, data);
	deflateReset(z);
	z->next_in = data;
	z->avail_in = n;
	z->next_out = comp;
	z->avail_out = 2 * MAX_DATA;
	if (deflate(z, Z_FINISH) != Z_STREAM_END)
		abort();
	len = 2 * MAX_DATA - z->avail_out;
	*valid = 1;
	if (how & 1) {		/* truncate */
		len -= fz_u16(f) % (len + 1);
		*valid = 0;
	}
	if (how & 2) {		/* flip some bits */
		for (k = fz_u8(f) & 7; k && len; k--) {
			n = fz_u16(f) % len;
			comp[n] ^= fz_u8(f) | 1;
		}
		*valid = 0;
	}
	if (how & 4) {		/* trailing bytes */
		for (k = (fz_u8(f) & 7) + 1; k; k--)
			comp[len++] = fz_u8(f);
		*valid = 0;
	}
	return len;
}

static void once_decompress(struct fz *f)
{
	struct virtio_accel_zio io;
	struct ref_result r;
	uint32_t len, dl;
	uint8_t st, *d;
	int valid;

	len = make_comp(f, &valid);
	r = ref_inflate(comp, len);
	switch (fz_u8(f) & 3) {
	case 0:
		dl = r.out;
		break;
	case 1:
		dl = r.out - (fz_u8(f) % (r.out + 1));
		break;
	default:
		dl = fz_u32(f) % (r.out + 64);
		break;
	}
	/* zlib's output beyond ref[] is unknown: stay below it */
	if (r.out == 4 * MAX_DATA && dl >= r.out)
		dl = r.out - 1;
	d = dst_alloc(dl);
	io = (struct virtio_accel_zio){ .src = comp, .src_len = len,
					.dst = d, .dst_len = dl };
	st = virtio_accel_z_inflate_once(&zinf, &io);
	FZ_CHECK(!valid || r.ret == Z_STREAM_END, "reference");
	if (r.out > dl) {
		FZ_CHECK(st == VIRTIO_ACCEL_NOSPC,
			 "%u bytes of output into %u: status %u", r.out, dl,
			 st);
	} else if (r.ret == Z_STREAM_END && r.in == len) {
		FZ_CHECK(st == VIRTIO_ACCEL_OK && io.dst_used == r.out &&
			 io.src_used == len && !memcmp(d, ref, r.out) &&
			 io.rflags == VIRTIO_ACCEL_RESP_F_STREAM_END,
			 "complete stream: status %u, %u of %u bytes", st,
			 io.dst_used, r.out);
	} else {
		FZ_CHECK(st == VIRTIO_ACCEL_BADMSG,
			 "bad stream (zlib %d, %u of %u in): status %u", r.ret,
			 r.in, len, st);
	}
	if (st != VIRTIO_ACCEL_OK)
		FZ_CHECK(io.dst_used == 0 && io.src_used == 0,
			 "used counts on failure");
	free(d);
}

/* A COMPRESS stream: the driver resubmits what was not consumed. */
static void stream_compress(struct fz *f)
{
	uint32_t len = make_data(f, data), pos = 0, olen = 0, step;
	struct virtio_accel_zio io;
	struct ref_result r;
	int start = 1, ended = 0, finishing = 0;
	uint8_t st, *d;

	for (step = 0; step <= MAX_STEPS && !ended; step++) {
		uint32_t sl = fz_u16(f), dl = fz_u16(f) & 0x3fff;
		uint8_t fb = fz_u8(f);
		int final;

		if (!sl || sl > len - pos || finishing)
			sl = len - pos;
		/*
		 * Spec 9: once FINAL, always FINAL, with all the input not
		 * consumed yet, until STREAM_END.
		 */
		final = finishing || (pos + sl == len && !(fb & 1));
		finishing = final;
		if (step == MAX_STEPS) {
			/* whatever the fuzzer did, the driver can finish */
			sl = len - pos;
			final = 1;
			dl = 2 * MAX_DATA;	/* capped below: all left */
		}
		if (olen + dl > 2 * MAX_DATA)
			dl = 2 * MAX_DATA - olen;
		d = dst_alloc(dl);
		io = (struct virtio_accel_zio){ .src = data + pos,
						.src_len = sl, .dst = d,
						.dst_len = dl };
		st = virtio_accel_z_stream(&zsdef, 1, start, final, &io);
		FZ_CHECK(io.src_used <= sl && io.dst_used <= dl,
			 "stream used %u/%u %u/%u", io.src_used, sl,
			 io.dst_used, dl);
		FZ_CHECK(st == VIRTIO_ACCEL_OK ||
			 (st == VIRTIO_ACCEL_BADMSG && !io.src_used &&
			  !io.dst_used), "stream COMPRESS status %u", st);
		if (st != VIRTIO_ACCEL_OK) {
			free(d);
			return;
		}
		FZ_CHECK(!(io.rflags & VIRTIO_ACCEL_RESP_F_STREAM_END) ||
			 final, "STREAM_END without FINAL");
		memcpy(comp + olen, d, io.dst_used);
		olen += io.dst_used;
		pos += io.src_used;
		ended = !!(io.rflags & VIRTIO_ACCEL_RESP_F_STREAM_END);
		start = 0;
		free(d);
	}
	FZ_CHECK(ended, "a FINAL request with room did not end the stream");
	FZ_CHECK(pos == len, "ended with %u of %u bytes consumed", pos, len);
	r = ref_inflate(comp, olen);
	FZ_CHECK(r.ret == Z_STREAM_END && r.in == olen && r.out == len &&
		 !memcmp(ref, data, len), "stream output does not inflate");
}

/* A DECOMPRESS stream, valid or not. */
static void stream_decompress(struct fz *f)
{
	uint32_t pos = 0, olen = 0, len, step;
	struct virtio_accel_zio io;
	struct ref_result r;
	int valid, start = 1, ended = 0;
	uint8_t st, *d;

	len = make_comp(f, &valid);
	r = ref_inflate(comp, len);
	for (step = 0; step <= MAX_STEPS && !ended; step++) {
		uint32_t sl = fz_u16(f), dl = fz_u16(f) & 0x3fff;
		uint8_t fb = fz_u8(f);
		int final;

		if (!sl || sl > len - pos)
			sl = len - pos;
		final = pos + sl == len && !(fb & 1);
		if (step == MAX_STEPS) {
			sl = len - pos;
			final = 1;
			dl = 4 * MAX_DATA - olen;
		}
		if (olen + dl > 4 * MAX_DATA)
			dl = 4 * MAX_DATA - olen;
		d = dst_alloc(dl);
		io = (struct virtio_accel_zio){ .src = comp + pos,
						.src_len = sl, .dst = d,
						.dst_len = dl };
		st = virtio_accel_z_stream(&zsinf, 0, start, final, &io);
		FZ_CHECK(io.src_used <= sl && io.dst_used <= dl,
			 "stream used %u/%u %u/%u", io.src_used, sl,
			 io.dst_used, dl);
		FZ_CHECK(olen + io.dst_used <= r.out &&
			 !memcmp(ref + olen, d, io.dst_used),
			 "stream output is not the reference's");
		if (st != VIRTIO_ACCEL_OK) {
			FZ_CHECK(st == VIRTIO_ACCEL_BADMSG && !valid,
				 "stream DECOMPRESS of a valid stream: %u", st);
			free(d);
			return;
		}
		olen += io.dst_used;
		pos += io.src_used;
		ended = !!(io.rflags & VIRTIO_ACCEL_RESP_F_STREAM_END);
		start = 0;
		free(d);
	}
	if (valid)
		FZ_CHECK(ended && pos == len && olen == r.out,
			 "valid stream: ended %d, %u of %u in, %u of %u out",
			 ended, pos, len, olen, r.out);
	if (ended)
		FZ_CHECK(olen == r.out && r.ret == Z_STREAM_END,
			 "STREAM_END with %u of %u bytes", olen, r.out);
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	struct fz f;

	if (!ready)
		setup();
	fz_init(&f, buf, size);
	switch (fz_u8(&f) & 3) {
	case 0:
		once_compress(&f);
		break;
	case 1:
		once_decompress(&f);
		break;
	case 2:
		stream_compress(&f);
		break;
	default:
		stream_decompress(&f);
		break;
	}
	return 0;
}
