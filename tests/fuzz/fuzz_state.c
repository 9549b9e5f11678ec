// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fuzz target: the device state decoder (virtio-accel-spec/lib/
 * virtio_accel_state.c, spec 7.11), which a destination back-end runs on
 * bytes from the migration stream.
 *
 * Input: a mode byte, then the state. Mode bit 0: the target rewrites the
 * END record's CRC-32C (so mutations get past rule 4's CRC and reach the
 * rules behind it); bit 1: before that it rewrites body_len, nrecords and
 * END's count from the records it can walk (records can be added or
 * dropped); bit 2: decode as a sealed state already opened
 * (VIRTIO_ACCEL_STATE_DEC_OPENED); bit 3: an accepted state is also
 * sealed (virtio_accel_state_seal.c, a fixed key) and loaded back, and
 * with one bit of it flipped; bits 4-5: one of four destinations (limits
 * from one session and two queues to 1024 sessions and nine queues); bit
 * 6: the input goes through virtio_accel_state_load() with that key
 * configured (the opener's header, key id and tag checks) instead of
 * decode. The state is decoded from an allocation of exactly its length
 * (ASan).
 *
 * Invariants asserted:
 *  - a refusal names a rule 1..8 and an offset inside the input (or the
 *    length itself), with one of the documented errnos, and leaves no
 *    session (and no key byte) in the caller's array;
 *  - an accepted state fits the destination (compat holds, queues <=
 *    nr_vq, sessions <= max_sessions) and re-encodes: the bytes are the
 *    input's when it was canonical (minor 0, nothing skipped; sealed: all
 *    but the tag), never longer, and encoding what they decode to gives
 *    the same bytes again (stable);
 *  - total_len() of an accepted state is its length;
 *  - sealed and loaded back, an accepted state decodes to the same
 *    encoding; with any one bit flipped it is refused.
 */
#include <errno.h>

#include "fuzz.h"
#include "virtio_accel_state.h"
#include "../unit/state_crc.h"

#define MAX_IN		(1u << 20)

static struct virtio_accel_state_queue oq[16], oq2[16];
static struct virtio_accel_state_session *os, *os2;
static u8 *enc, *enc2, *enc3, *sealed_buf;
static size_t enc_cap;
static struct virtio_accel_state_key key;

static void dst_profile(unsigned int p, struct virtio_accel_state_device *d)
{
	static const struct {
		u16 nr_vq;
		u32 max_sessions, max_comp, max_data, max_aad;
	} prof[4] = {
		{ 3, 16, 4, 1u << 20, 4096 },
		{ 9, 1024, 64, 1u << 24, 65536 },
		{ 3, 4, 1, 4096, 16 },
		{ 2, 1, 0, 4096, 0 },
	};

	memset(d, 0, sizeof(*d));
	d->features = ~0ULL;
	d->nr_vq = prof[p].nr_vq;
	d->implemented = ~0ULL;
	d->max_sessions = prof[p].max_sessions;
	d->max_comp_streams = prof[p].max_comp;
	d->max_data_len = prof[p].max_data;
	d->max_aad_len = prof[p].max_aad;
	d->max_key_len = 64;
}

static u32 rd32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static void wr32(u8 *p, u32 v)
{
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
	p[2] = (u8)(v >> 16);
	p[3] = (u8)(v >> 24);
}

/* bit 1: body_len, nrecords, END's count from the records walked */
static void fix_counts(u8 *b, size_t len)
{
	size_t hl, off, end, tag;
	u32 n = 0;

	if (len < 32)
		return;
	hl = rd32(b + 16) == 48 ? 48 : 32;
	tag = (rd32(b + 12) & 1) ? 16 : 0;
	if (len < hl + tag)
		return;
	end = len - tag;
	wr32(b + 20, (u32)(end - hl));
	for (off = hl; off + 8 <= end; n++) {
		u32 rl = rd32(b + off + 4);
		size_t pl = ((size_t)rl + 7) & ~(size_t)7;
		u16 type = (u16)(b[off] | b[off + 1] << 8);

		if (pl > end - off - 8)
			break;
		if (type == 0xffff && rl == 8)
			wr32(b + off + 8, n);
		off += 8 + pl;
	}
	wr32(b + 24, n + (off < end));
}

/* bit 0: the CRC of an END record that closes the body */
static void fix_crc(u8 *b, size_t len)
{
	size_t hl, tag, end;

	if (len < 32)
		return;
	hl = rd32(b + 16) == 48 ? 48 : 32;
	tag = (rd32(b + 12) & 1) ? 16 : 0;
	if (len < hl + tag + 16)
		return;
	end = len - tag;
	if (b[end - 16] == 0xff && b[end - 15] == 0xff && rd32(b + end - 12) == 8)
		wr32(b + end - 4, ~state_test_crc32c(~0u, b, (u32)(end - 16)));
}

static void setup(void)
{
	os = calloc(1024, sizeof(*os));
	os2 = calloc(1024, sizeof(*os2));
	enc_cap = 2 * MAX_IN;
	enc = malloc(enc_cap);
	enc2 = malloc(enc_cap);
	enc3 = malloc(enc_cap);
	sealed_buf = malloc(enc_cap);
	if (!os || !os2 || !enc || !enc2 || !enc3 || !sealed_buf)
		abort();
	{
		u8 ikm[VIRTIO_ACCEL_STATE_KEY_LEN];

		memset(ikm, 0x42, sizeof(ikm));
		if (virtio_accel_state_key_derive(ikm, &key))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtio_accel_state_device dst;
	struct virtio_accel_state st, st2;
	struct virtio_accel_state_err e, e2;
	u32 flags;
	u8 mode, *b;
	size_t len, i;
	long n, n2;
	u64 total;
	int ret;

	if (!os)
		setup();
	if (size < 1 || size - 1 > MAX_IN)
		return 0;
	mode = data[0];
	len = size - 1;
	b = malloc(len ? len : 1);
	if (!b)
		abort();
	memcpy(b, data + 1, len);
	if (mode & 2)
		fix_counts(b, len);
	if (mode & 1)
		fix_crc(b, len);
	flags = (mode & 4) ? VIRTIO_ACCEL_STATE_DEC_OPENED : 0;
	dst_profile((mode >> 4) & 3, &dst);

	memset(&st, 0, sizeof(st));
	st.queues = oq;
	st.sessions = os;
	if (mode & 0x40)
		ret = virtio_accel_state_load(&key, b, len, &dst, &st,
					      state_test_crc32c, &e);
	else
		ret = virtio_accel_state_decode(b, len, flags, &dst, &st,
						state_test_crc32c, &e);
	FZ_TRACE("decode: %d rule %u type %u at %llu: %s\n", ret, e.rule,
		 e.type, (unsigned long long)e.offset,
		 e.reason ? e.reason : "-");
	if (ret) {
		FZ_CHECK(ret == -EBADMSG || ret == -E2BIG || ret == -EPROTO ||
			 ret == -EOPNOTSUPP || ret == -EACCES ||
			 ret == -ENOKEY || ret == -EKEYREJECTED,
			 "errno %d", ret);
		FZ_CHECK(e.rule >= 1 && e.rule <= 8 && e.reason &&
			 !strncmp(e.reason, "rule ", 5), "rule %u", e.rule);
		FZ_CHECK(e.offset <= len || ret == -E2BIG,
			 "offset %llu beyond %zu",
			 (unsigned long long)e.offset, len);
		FZ_CHECK(!st.nsessions && !st.nqueues, "refused but filled");
		for (i = 0; i < (dst.max_sessions < 16 ? dst.max_sessions : 16) *
				sizeof(*os); i++)
			FZ_CHECK(!((u8 *)os)[i], "session array not wiped");
		free(b);
		return 0;
	}

	/* accepted */
	if (mode & 0x40) {	/* opened with the key: a tag was forged? */
		virtio_accel_wipe(os, st.nsessions * sizeof(*os));
		free(b);
		return 0;
	}
	FZ_CHECK(!virtio_accel_state_compat(&st.dev, &dst, &e2), "compat");
	FZ_CHECK(st.nqueues <= dst.nr_vq, "queues %u", st.nqueues);
	FZ_CHECK(st.nsessions <= dst.max_sessions, "sessions %u",
		 st.nsessions);
	FZ_CHECK(!virtio_accel_state_total_len(b, len, &dst, &total, &e2) &&
		 total == len, "total_len");
	{
		struct virtio_accel_state_seal_hdr sh;
		int sealed = !!(flags & VIRTIO_ACCEL_STATE_DEC_OPENED);

		memcpy(&sh, b + 32, sealed ? sizeof(sh) : 0);
		n = virtio_accel_state_encode(&st, sealed ? &sh : NULL, enc,
					      enc_cap, state_test_crc32c);
		FZ_CHECK(n > 0 && (u64)n == virtio_accel_state_size(&st, sealed),
			 "encode %ld", n);
		FZ_CHECK((size_t)n <= len, "re-encoded longer: %ld > %zu", n,
			 len);
		if ((size_t)n == len && !b[10] && !b[11])
			FZ_CHECK(!memcmp(enc, b, len - (sealed ? 16 : 0)),
				 "canonical input not re-encoded as it was");
		memset(&st2, 0, sizeof(st2));
		st2.queues = oq2;
		st2.sessions = os2;
		ret = virtio_accel_state_decode(enc, (u64)n, flags, &dst, &st2,
						state_test_crc32c, &e2);
		FZ_CHECK(!ret, "re-encoded state refused: %s at %llu",
			 e2.reason, (unsigned long long)e2.offset);
		n2 = virtio_accel_state_encode(&st2, sealed ? &sh : NULL, enc2,
					       enc_cap, state_test_crc32c);
		FZ_CHECK(n2 == n && !memcmp(enc, enc2, (size_t)n),
			 "encoding not stable");
		if ((mode & 8) && !sealed) {
			long ns = virtio_accel_state_save(&key, &st, sealed_buf,
							  enc_cap,
							  state_test_crc32c);
			u64 bit;

			FZ_CHECK(ns == n + 32, "sealed %ld, plain %ld", ns, n);
			bit = (u64)state_test_crc32c(0, data, (u32)size) %
			      ((u64)ns * 8);
			memset(&st2, 0, sizeof(st2));
			st2.queues = oq2;
			st2.sessions = os2;
			memcpy(enc3, sealed_buf, (size_t)ns);
			ret = virtio_accel_state_load(&key, sealed_buf,
						      (u64)ns, &dst, &st2,
						      state_test_crc32c, &e2);
			FZ_CHECK(!ret, "sealed state refused: %s",
				 e2.reason);
			/* st2's dict and pending point into sealed_buf */
			n2 = virtio_accel_state_encode(&st2, NULL, enc2,
						       enc_cap,
						       state_test_crc32c);
			FZ_CHECK(n2 == n && !memcmp(enc, enc2, (size_t)n),
				 "sealed round trip differs");
			virtio_accel_wipe(os2, st2.nsessions * sizeof(*os2));
			enc3[bit / 8] ^= (u8)(1 << (bit % 8));
			ret = virtio_accel_state_load(&key, enc3, (u64)ns,
						      &dst, &st2,
						      state_test_crc32c, &e2);
			FZ_CHECK(ret < 0, "sealed state with bit %llu flipped accepted",
				 (unsigned long long)bit);
		}
		/* the caller wipes what it no longer needs ([SESS-KEY]) */
		virtio_accel_wipe(os2, st2.nsessions * sizeof(*os2));
	}
	virtio_accel_wipe(os, st.nsessions * sizeof(*os));
	free(b);
	return 0;
}
