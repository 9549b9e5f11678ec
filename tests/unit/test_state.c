// SPDX-License-Identifier: BSD-3-Clause
/*
 * Unit tests of the device state codec (virtio-accel-spec/lib/
 * virtio_accel_state.c, spec 7.11 "Device state transfer"): a state with
 * every record kind round-trips; every rule of [MIG-VALIDATE] is hit by a
 * case that is refused, with the rule it must name, next to a valid
 * neighbour that is accepted; a valid state cut at every byte is refused.
 *
 * Cases are built on the records of a valid encoded state: a test parses
 * them into a list, edits the list (a field, a length, a record dropped,
 * doubled or moved) and reassembles it with a correct header and END (CRC
 * included) unless the case is about those, so each case reaches the rule
 * it aims at.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "state_crc.h"
#include "virtio_accel_state.h"

#define FEAT_STREAM	(1ULL << VIRTIO_ACCEL_F_STREAM)
#define FEATURES	((1ULL << 32) | FEAT_STREAM | \
			 (1ULL << VIRTIO_ACCEL_F_MQ))

static u8 dict[100], pending[13];
static struct virtio_accel_state_queue qs[3];
static struct virtio_accel_state_session ss[9];
static struct virtio_accel_state src;
static struct virtio_accel_state_device dstdev;

/* decode output */
static struct virtio_accel_state_queue oq[16];
static struct virtio_accel_state_session os[64];
static struct virtio_accel_state out;

static u8 buf[1 << 16], buf2[1 << 16];

static u64 impl_all(void)
{
	u64 m = 0;
	unsigned int i, n;
	const struct virtio_accel_alg_info *t = virtio_accel_alg_table(&n);

	for (i = 0; i < n; i++)
		m |= VIRTIO_ACCEL_IMPL_BIT(t[i].op, t[i].algo);
	return m;
}

static void mk_dev(struct virtio_accel_state_device *d, u32 max_sessions,
		   u32 max_comp)
{
	struct virtio_accel_config c;

	memset(d, 0, sizeof(*d));
	memset(&c, 0, sizeof(c));
	d->features = FEATURES;
	d->nr_vq = 3;
	d->implemented = impl_all();
	d->max_sessions = max_sessions;
	d->max_comp_streams = max_comp;
	d->max_data_len = 1 << 20;
	d->max_aad_len = 4096;
	d->max_key_len = 64;
	d->next_gen = 1000;
	c.status = cpu_to_le32(VIRTIO_ACCEL_S_HW_READY);
	c.max_dataqueues = cpu_to_le16(2);
	c.max_segments = cpu_to_le16(64);
	c.services = cpu_to_le32(0x1f);
	c.max_sessions = cpu_to_le32(max_sessions);
	c.max_data_len = cpu_to_le32(d->max_data_len);
	c.max_key_len = cpu_to_le32(d->max_key_len);
	c.max_aad_len = cpu_to_le32(d->max_aad_len);
	c.max_comp_streams = cpu_to_le32(max_comp);
	memcpy(d->config, &c, sizeof(c));
}

static void mk_sess(struct virtio_accel_state_session *s, u64 gen, u32 slot,
		    u32 op, u32 algo, u32 flags, u32 key_len, u32 active,
		    u64 len)
{
	u32 i;

	memset(s, 0, sizeof(*s));
	s->id = gen << 20 | slot;
	s->c.op = op;
	s->c.algo = algo;
	s->c.flags = flags;
	s->c.key_len = key_len;
	for (i = 0; i < key_len; i++)
		s->c.key[i] = (u8)(0xa0 + i);
	s->c.stream_active = active;
	s->c.stream_len = len;
}

/* A state with every record kind. */
static void mk_state(void)
{
	struct virtio_accel_state_session *s = ss;
	u32 i;

	for (i = 0; i < sizeof(dict); i++)
		dict[i] = (u8)(i * 7);
	for (i = 0; i < sizeof(pending); i++)
		pending[i] = (u8)(0x50 + i);
	memset(&src, 0, sizeof(src));
	mk_dev(&src.dev, 16, 4);
	mk_dev(&dstdev, 16, 4);
	for (i = 0; i < 3; i++) {
		qs[i].index = (u16)i;
		qs[i].broken = i == 2;
		qs[i].last_avail = (u16)(100 * i + 7);
		qs[i].last_used = (u16)(100 * i + 5);
	}
	src.nqueues = 3;
	src.queues = qs;

	mk_sess(s, 999, 1, VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_SHA256,
		VIRTIO_ACCEL_SESS_F_STREAM, 0, 1, 100);
	s->st.kind = VIRTIO_ACCEL_ST_SHA256;
	for (i = 0; i < 32; i++)
		s->st.u.sha.h[i] = (u8)i;
	s->st.u.sha.total = 100;
	s->st.u.sha.buf_len = 36;
	memset(s->st.u.sha.buf, 0x61, 36);
	s++;
	mk_sess(s, 5, 2, VIRTIO_ACCEL_OP_MAC, VIRTIO_ACCEL_ALG_HMAC_SHA256,
		VIRTIO_ACCEL_SESS_F_STREAM, 20, 1, 64);
	s->st.kind = VIRTIO_ACCEL_ST_HMAC_SHA256;
	memset(s->st.u.sha.h, 0x33, 32);
	s->st.u.sha.total = 64;
	s->st.u.sha.buf_len = 0;
	s++;
	mk_sess(s, 6, 3, VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_CRC32C,
		VIRTIO_ACCEL_SESS_F_STREAM, 0, 1, 9);
	s->st.kind = VIRTIO_ACCEL_ST_CRC32C;
	s->st.u.crc.crc = 0x1234abcd;
	s++;
	mk_sess(s, 7, 4, VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
		VIRTIO_ACCEL_ALG_AES256_GCM, VIRTIO_ACCEL_SESS_F_STREAM, 32, 1,
		50007);
	s->st.kind = VIRTIO_ACCEL_ST_AES256GCM;
	memset(s->st.u.gcm.iv, 0x11, 12);
	s->st.u.gcm.part_len = 50007 % 16;
	s->st.u.gcm.aad_len = 37;
	s->st.u.gcm.ct_len = 50007;
	memset(s->st.u.gcm.x, 0x22, 16);
	memset(s->st.u.gcm.part, 0x44, 50007 % 16);
	s++;
	mk_sess(s, 8, 5, VIRTIO_ACCEL_OP_AEAD_DECRYPT,
		VIRTIO_ACCEL_ALG_AES256_GCM, 0, 32, 0, 0);
	s++;
	mk_sess(s, 9, 6, VIRTIO_ACCEL_OP_COMPRESS, VIRTIO_ACCEL_ALG_DEFLATE,
		VIRTIO_ACCEL_SESS_F_STREAM, 0, 1, 123456);
	s->st.kind = VIRTIO_ACCEL_ST_DEFLATE_COMP;
	s->st.u.defl.level = 0xffffffffu;
	s->st.u.defl.strategy = 0;
	s->st.u.defl.mem_level = 8;
	s->st.u.defl.dict_len = sizeof(dict);
	s->st.u.defl.dict = dict;
	s->st.u.defl.pending_len = sizeof(pending);
	s->st.u.defl.pending = pending;
	s++;
	mk_sess(s, 10, 7, VIRTIO_ACCEL_OP_DECOMPRESS, VIRTIO_ACCEL_ALG_DEFLATE,
		VIRTIO_ACCEL_SESS_F_STREAM, 0, 1, 4096);
	s->st.kind = VIRTIO_ACCEL_ST_LOST;
	s->st.u.lost_reason = VIRTIO_ACCEL_STLOST_ENGINE;
	s++;
	mk_sess(s, 11, 8, VIRTIO_ACCEL_OP_COMPRESS, VIRTIO_ACCEL_ALG_DEFLATE,
		VIRTIO_ACCEL_SESS_F_STREAM, 0, 0, 0);
	s++;
	mk_sess(s, 12, 15, VIRTIO_ACCEL_OP_MAC, VIRTIO_ACCEL_ALG_HMAC_SHA256,
		0, 64, 0, 0);
	s++;
	src.nsessions = (u32)(s - ss);
	src.sessions = ss;
}

static int decode_buf(const u8 *b, u64 len, u32 flags,
		      const struct virtio_accel_state_device *dst,
		      struct virtio_accel_state_err *e)
{
	memset(&out, 0, sizeof(out));
	out.queues = oq;
	out.sessions = os;
	return virtio_accel_state_decode(b, len, flags, dst, &out,
					 state_test_crc32c, e);
}

static void same_state(const struct virtio_accel_state *a,
		       const struct virtio_accel_state *b)
{
	u32 i;

	CU_ASSERT_EQUAL(a->dev.features, b->dev.features);
	CU_ASSERT_EQUAL(a->dev.nr_vq, b->dev.nr_vq);
	CU_ASSERT(!memcmp(a->dev.config, b->dev.config, 32));
	CU_ASSERT_EQUAL(a->dev.implemented, b->dev.implemented);
	CU_ASSERT_EQUAL(a->dev.max_sessions, b->dev.max_sessions);
	CU_ASSERT_EQUAL(a->dev.max_comp_streams, b->dev.max_comp_streams);
	CU_ASSERT_EQUAL(a->dev.max_data_len, b->dev.max_data_len);
	CU_ASSERT_EQUAL(a->dev.max_aad_len, b->dev.max_aad_len);
	CU_ASSERT_EQUAL(a->dev.max_key_len, b->dev.max_key_len);
	CU_ASSERT_EQUAL(a->dev.next_gen, b->dev.next_gen);
	CU_ASSERT_EQUAL_FATAL(a->nqueues, b->nqueues);
	for (i = 0; i < a->nqueues; i++)
		CU_ASSERT(!memcmp(&a->queues[i], &b->queues[i],
				  sizeof(a->queues[i])));
	CU_ASSERT_EQUAL_FATAL(a->nsessions, b->nsessions);
	for (i = 0; i < a->nsessions; i++) {
		const struct virtio_accel_state_session *x = &a->sessions[i];
		const struct virtio_accel_state_session *y = &b->sessions[i];

		CU_ASSERT_EQUAL(x->id, y->id);
		CU_ASSERT_EQUAL(x->c.op, y->c.op);
		CU_ASSERT_EQUAL(x->c.algo, y->c.algo);
		CU_ASSERT_EQUAL(x->c.flags, y->c.flags);
		CU_ASSERT_EQUAL(x->c.key_len, y->c.key_len);
		CU_ASSERT(!memcmp(x->c.key, y->c.key, sizeof(x->c.key)));
		CU_ASSERT_EQUAL(x->c.stream_active, y->c.stream_active);
		CU_ASSERT_EQUAL(x->c.stream_len, y->c.stream_len);
		CU_ASSERT_EQUAL_FATAL(x->st.kind, y->st.kind);
		switch (x->st.kind) {
		case VIRTIO_ACCEL_ST_SHA256:
		case VIRTIO_ACCEL_ST_HMAC_SHA256:
			CU_ASSERT(!memcmp(&x->st.u.sha, &y->st.u.sha,
					  sizeof(x->st.u.sha)));
			break;
		case VIRTIO_ACCEL_ST_CRC32C:
			CU_ASSERT_EQUAL(x->st.u.crc.crc, y->st.u.crc.crc);
			break;
		case VIRTIO_ACCEL_ST_AES256GCM:
			CU_ASSERT(!memcmp(&x->st.u.gcm, &y->st.u.gcm,
					  sizeof(x->st.u.gcm)));
			break;
		case VIRTIO_ACCEL_ST_DEFLATE_COMP:
			CU_ASSERT_EQUAL(x->st.u.defl.level, y->st.u.defl.level);
			CU_ASSERT_EQUAL(x->st.u.defl.strategy,
					y->st.u.defl.strategy);
			CU_ASSERT_EQUAL(x->st.u.defl.mem_level,
					y->st.u.defl.mem_level);
			CU_ASSERT_EQUAL_FATAL(x->st.u.defl.dict_len,
					      y->st.u.defl.dict_len);
			CU_ASSERT_EQUAL_FATAL(x->st.u.defl.pending_len,
					      y->st.u.defl.pending_len);
			CU_ASSERT(!memcmp(x->st.u.defl.dict, y->st.u.defl.dict,
					  x->st.u.defl.dict_len));
			CU_ASSERT(!memcmp(x->st.u.defl.pending,
					  y->st.u.defl.pending,
					  x->st.u.defl.pending_len));
			break;
		case VIRTIO_ACCEL_ST_LOST:
			CU_ASSERT_EQUAL(x->st.u.lost_reason,
					y->st.u.lost_reason);
			break;
		}
	}
}

static long encode_src(u8 *b, u64 len,
		       const struct virtio_accel_state_seal_hdr *seal)
{
	return virtio_accel_state_encode(&src, seal, b, len,
					 state_test_crc32c);
}

/* ---- the record list ---- */

#define TMAXREC	160
#define TMAXPL	1024

struct trec {
	u16 type, rflags;
	u32 len;
	u8 p[TMAXPL];
	u8 padbyte;		/* what the padding is filled with */
	u32 lenfield;		/* written as len instead of len, if set */
};

static struct tst {
	u8 hdr[48];
	u32 hdr_len;		/* 32 or 48, as parsed */
	int n;
	struct trec r[TMAXREC];
	/* overrides of what assemble() computes; -1: computed */
	long long body_len, nrecords, end_count;
	int bad_crc;
	int extra;		/* bytes appended */
} t;

static void parse(const u8 *b)
{
	struct virtio_accel_state_hdr h;
	u64 off, end;

	memset(&t, 0, sizeof(t));
	memcpy(&h, b, sizeof(h));
	t.hdr_len = le32_to_cpu(h.hdr_len);
	memcpy(t.hdr, b, t.hdr_len);
	off = t.hdr_len;
	end = off + le32_to_cpu(h.body_len);
	while (off < end) {
		struct virtio_accel_strec rh;
		struct trec *r = &t.r[t.n++];

		memcpy(&rh, b + off, sizeof(rh));
		r->type = le16_to_cpu(rh.type);
		r->rflags = le16_to_cpu(rh.rflags);
		r->len = le32_to_cpu(rh.len);
		memcpy(r->p, b + off + 8, r->len);
		off += 8 + ((r->len + 7) & ~7u);
	}
	t.body_len = t.nrecords = t.end_count = -1;
}

static u64 assemble(u8 *b)
{
	struct virtio_accel_state_hdr h;
	u64 off = t.hdr_len;
	int i, sealed;

	memcpy(&h, t.hdr, sizeof(h));
	sealed = !!(le32_to_cpu(h.flags) & VIRTIO_ACCEL_STATE_F_SEALED);
	for (i = 0; i < t.n; i++)
		off += 8 + ((t.r[i].len + 7) & ~7u);
	h.body_len = cpu_to_le32(t.body_len >= 0 ? (u32)t.body_len :
				 (u32)(off - t.hdr_len));
	h.nrecords = cpu_to_le32(t.nrecords >= 0 ? (u32)t.nrecords :
				 (u32)t.n);
	memcpy(b, t.hdr, t.hdr_len);
	memcpy(b, &h, sizeof(h));
	off = t.hdr_len;
	for (i = 0; i < t.n; i++) {
		struct trec *r = &t.r[i];
		struct virtio_accel_strec rh = {
			cpu_to_le16(r->type), cpu_to_le16(r->rflags),
			cpu_to_le32(r->lenfield ? r->lenfield : r->len),
		};
		u32 pl = (r->len + 7) & ~7u;

		memcpy(b + off, &rh, 8);
		memcpy(b + off + 8, r->p, r->len);
		memset(b + off + 8 + r->len, r->padbyte, pl - r->len);
		if (r->type == VIRTIO_ACCEL_STREC_END && r->len == 8) {
			struct virtio_accel_strec_end e;

			e.nrecords_before = cpu_to_le32(t.end_count >= 0 ?
							(u32)t.end_count :
							(u32)i);
			e.crc32c = cpu_to_le32(~state_test_crc32c(~0u, b,
								   (u32)off) ^
					       (t.bad_crc ? 1 : 0));
			memcpy(b + off + 8, &e, 8);
		}
		off += 8 + pl;
	}
	if (sealed) {
		memset(b + off, 0, 16);
		off += 16;
	}
	memset(b + off, 0, (size_t)t.extra);
	return off + (u64)t.extra;
}

static struct trec *rec(u16 type, int nth)
{
	int i;

	for (i = 0; i < t.n; i++)
		if (t.r[i].type == type && !nth--)
			return &t.r[i];
	CU_FAIL_FATAL("record not found");
	return NULL;
}

static int rec_index(const struct trec *r)
{
	return (int)(r - t.r);
}

static void del_rec(int i)
{
	memmove(&t.r[i], &t.r[i + 1], (size_t)(t.n - i - 1) * sizeof(t.r[0]));
	t.n--;
}

static void ins_rec(int i, const struct trec *r)
{
	struct trec tmp = *r;

	memmove(&t.r[i + 1], &t.r[i], (size_t)(t.n - i) * sizeof(t.r[0]));
	t.r[i] = tmp;
	t.n++;
}

static void pw(u8 *p, size_t off, int width, u64 v)
{
	int i;

	for (i = 0; i < width; i++)
		p[off + (size_t)i] = (u8)(v >> (8 * i));
}

static u64 gw(const u8 *p, size_t off, int width)
{
	u64 v = 0;
	int i;

	for (i = width - 1; i >= 0; i--)
		v = v << 8 | p[off + (size_t)i];
	return v;
}

#define F(s, f)	offsetof(struct s, f), (int)sizeof(((struct s *)0)->f)

/* the list as it comes from encoding mk_state() */
static void base(void)
{
	long n;

	mk_state();
	n = encode_src(buf, sizeof(buf), NULL);
	CU_ASSERT_FATAL(n > 0);
	parse(buf);
}

static struct virtio_accel_state_err last_err;

/* assemble and decode; returns what decode returned */
static int run_dst(u32 flags, const struct virtio_accel_state_device *dst)
{
	u64 len = assemble(buf2);

	return decode_buf(buf2, len, flags, dst, &last_err);
}

static int run(void)
{
	return run_dst(0, &dstdev);
}

static int failures_named;

/* refused with @rule (and @e unless 0), else report the case */
static void refused(const char *name, int ret, u32 rule, int e)
{
	if (ret < 0 && last_err.rule == rule && (!e || ret == e) &&
	    last_err.reason && !strncmp(last_err.reason, "rule ", 5))
		return;
	failures_named++;
	fprintf(stderr, "\n  case '%s': ret %d rule %u (want rule %u%s) %s @%llu",
		name, ret, last_err.rule, rule, e ? ", errno" : "",
		last_err.reason ? last_err.reason : "(none)",
		(unsigned long long)last_err.offset);
	CU_FAIL("a case was not refused as it should be (stderr)");
}

static void accepted(const char *name, int ret)
{
	if (!ret)
		return;
	fprintf(stderr, "\n  neighbour '%s' refused: %d %s @%llu", name, ret,
		last_err.reason ? last_err.reason : "(none)",
		(unsigned long long)last_err.offset);
	CU_FAIL("a valid neighbour was refused (stderr)");
}

/* ---- round trips ---- */

static void t_roundtrip(void)
{
	struct virtio_accel_state_err e;
	long n;
	u64 sz;

	mk_state();
	sz = virtio_accel_state_size(&src, 0);
	n = encode_src(buf, sizeof(buf), NULL);
	CU_ASSERT_EQUAL_FATAL((u64)n, sz);
	CU_ASSERT_EQUAL(n % 8, 0);
	CU_ASSERT_EQUAL(encode_src(buf, sz - 1, NULL), -ENOSPC);
	CU_ASSERT_EQUAL_FATAL(decode_buf(buf, (u64)n, 0, &dstdev, &e), 0);
	same_state(&src, &out);
	/* the dict and pending bytes point into the state buffer */
	CU_ASSERT(os[5].st.u.defl.dict > buf && os[5].st.u.defl.dict <
		  buf + n);
	/* encode(decode(x)) == x */
	CU_ASSERT_EQUAL_FATAL(virtio_accel_state_encode(&out, NULL, buf2,
							sizeof(buf2),
							state_test_crc32c), n);
	CU_ASSERT(!memcmp(buf, buf2, (size_t)n));
	/* the header's total length agrees */
	{
		u64 total = 0;

		CU_ASSERT_EQUAL(virtio_accel_state_total_len(buf, 32, &dstdev,
							     &total, &e), 0);
		CU_ASSERT_EQUAL(total, (u64)n);
	}
	/* an empty device */
	src.nqueues = 0;
	src.nsessions = 0;
	n = encode_src(buf, sizeof(buf), NULL);
	CU_ASSERT_EQUAL_FATAL(n, 32 + 96 + 16);
	CU_ASSERT_EQUAL(decode_buf(buf, (u64)n, 0, &dstdev, &e), 0);
	same_state(&src, &out);
}

/* the sealed layout (the sealer encrypts the body; here it stays plain) */
static void t_roundtrip_sealed_layout(void)
{
	struct virtio_accel_state_seal_hdr sh;
	struct virtio_accel_state_err e;
	long n;

	mk_state();
	memset(sh.nonce, 0x5c, sizeof(sh.nonce));
	memset(sh.key_id, 0xc5, sizeof(sh.key_id));
	n = encode_src(buf, sizeof(buf), &sh);
	CU_ASSERT_EQUAL_FATAL((u64)n, virtio_accel_state_size(&src, 1));
	CU_ASSERT_EQUAL((u64)n, virtio_accel_state_size(&src, 0) + 32);
	CU_ASSERT(!memcmp(buf + 32, &sh, 16));
	CU_ASSERT_EQUAL(decode_buf(buf, (u64)n, VIRTIO_ACCEL_STATE_DEC_OPENED,
				   &dstdev, &e), 0);
	same_state(&src, &out);
	/* rule 3: sealed but not opened */
	CU_ASSERT_EQUAL(decode_buf(buf, (u64)n, 0, &dstdev, &e), -ENOKEY);
	CU_ASSERT_EQUAL(e.rule, 3);
	/* rule 3: plaintext when a key is configured */
	n = encode_src(buf, sizeof(buf), NULL);
	CU_ASSERT_EQUAL(decode_buf(buf, (u64)n, VIRTIO_ACCEL_STATE_DEC_OPENED,
				   &dstdev, &e), -EACCES);
	CU_ASSERT_EQUAL(e.rule, 3);
}

/* what the writer must guarantee: encode refuses the rest */
static void t_encode_refuses(void)
{
	mk_state();
	ss[0].st.u.sha.buf_len = 65;
	CU_ASSERT_EQUAL(encode_src(buf, sizeof(buf), NULL), -EINVAL);
	mk_state();
	ss[3].st.u.gcm.part_len = 17;
	CU_ASSERT_EQUAL(encode_src(buf, sizeof(buf), NULL), -EINVAL);
	mk_state();
	ss[0].c.key_len = 65;
	CU_ASSERT_EQUAL(encode_src(buf, sizeof(buf), NULL), -EINVAL);
	mk_state();
	ss[5].st.u.defl.dict_len = 32769;
	CU_ASSERT_EQUAL(encode_src(buf, sizeof(buf), NULL), -EINVAL);
	mk_state();
	ss[0].st.kind = 0;	/* open stream, no record */
	CU_ASSERT_EQUAL(encode_src(buf, sizeof(buf), NULL), -EINVAL);
	mk_state();
	ss[4].st.kind = VIRTIO_ACCEL_ST_CRC32C;	/* record, no stream */
	CU_ASSERT_EQUAL(encode_src(buf, sizeof(buf), NULL), -EINVAL);
	mk_state();
	ss[3].id = ss[2].id;	/* slots not ascending */
	CU_ASSERT_EQUAL(encode_src(buf, sizeof(buf), NULL), -EINVAL);
	mk_state();
	qs[2].index = 1;
	CU_ASSERT_EQUAL(encode_src(buf, sizeof(buf), NULL), -EINVAL);
	mk_state();
	ss[6].st.kind = 77;
	CU_ASSERT_EQUAL(encode_src(buf, sizeof(buf), NULL), -EINVAL);
}

/* ---- rule 1: length ---- */

static void t_rule1_truncated_everywhere(void)
{
	struct virtio_accel_state_err e;
	long n, i;
	int bad = 0;

	mk_state();
	n = encode_src(buf, sizeof(buf), NULL);
	CU_ASSERT_FATAL(n > 0);
	for (i = 0; i < n; i++) {
		/* a fresh copy of exactly i bytes: ASan sees any overread */
		u8 *c = malloc((size_t)i + 1);

		CU_ASSERT_FATAL(c != NULL);
		memcpy(c, buf, (size_t)i);
		if (decode_buf(c, (u64)i, 0, &dstdev, &e) >= 0 ||
		    (i >= 32 && e.rule != 1))
			bad++;
		free(c);
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(decode_buf(buf, (u64)n, 0, &dstdev, &e), 0);
	/* one byte more */
	buf[n] = 0;
	CU_ASSERT_EQUAL(decode_buf(buf, (u64)n + 1, 0, &dstdev, &e), -EBADMSG);
	CU_ASSERT_EQUAL(e.rule, 1);
}

static void t_rule1_max(void)
{
	struct virtio_accel_state_err e;
	u64 max, total;
	u8 *big;

	base();
	max = virtio_accel_state_max(&dstdev);
	CU_ASSERT_EQUAL(max, 65536 + 3 * 16 + 16 * 256 + 4 * (168 << 10));
	big = calloc(1, (size_t)max + 1);
	CU_ASSERT_FATAL(big != NULL);
	memcpy(big, buf, 32);
	CU_ASSERT_EQUAL(decode_buf(big, max + 1, 0, &dstdev, &e), -E2BIG);
	CU_ASSERT_EQUAL(e.rule, 1);
	free(big);
	/* a header announcing more than the destination reads */
	t.body_len = (long long)(max - 32 + 8);
	refused("body_len beyond max", run(), 1, -E2BIG);
	assemble(buf2);
	CU_ASSERT_EQUAL(virtio_accel_state_total_len(buf2, 32, &dstdev,
						     &total, &e), -E2BIG);
	t.body_len = -1;
	accepted("body_len right", run());
	/* body_len lies: shorter, longer */
	t.body_len = (long long)gw(buf2, 20, 4) - 8;
	refused("body_len short", run(), 1, -EBADMSG);
	t.body_len += 16;
	refused("body_len long", run(), 1, -EBADMSG);
	t.body_len = -1;
	t.extra = 8;
	refused("trailing bytes", run(), 1, -EBADMSG);
}

/* ---- rule 2: header ---- */

static void t_rule2_header(void)
{
	base();
	t.hdr[0] = 'W';
	refused("magic", run(), 2, -EBADMSG);
	base();
	pw(t.hdr, F(virtio_accel_state_hdr, major), 2);
	refused("major 2", run(), 2, -EPROTO);
	base();
	pw(t.hdr, F(virtio_accel_state_hdr, major), 0);
	refused("major 0", run(), 2, -EPROTO);
	base();
	pw(t.hdr, F(virtio_accel_state_hdr, minor), 7);
	accepted("minor 7 (optional records only)", run());
	base();
	pw(t.hdr, F(virtio_accel_state_hdr, flags), 2);
	refused("unknown flag", run(), 2, -EBADMSG);
	base();
	pw(t.hdr, F(virtio_accel_state_hdr, hdr_len), 48);
	refused("hdr_len 48 unsealed", run(), 2, -EBADMSG);
	base();
	pw(t.hdr, F(virtio_accel_state_hdr, reserved), 1);
	refused("reserved", run(), 2, -EBADMSG);
	base();
	t.body_len = (long long)gw(buf, 20, 4) + 4;
	t.extra = 4;
	refused("body_len not a multiple of 8", run(), 2, -EBADMSG);
	base();
	t.nrecords = 1;
	refused("nrecords 1", run(), 2, -EBADMSG);
	base();
	t.nrecords = 2 + 3 + 2 * 16 + VIRTIO_ACCEL_STATE_MAX_SKIPPED + 1;
	refused("nrecords above the bound", run(), 2, -EBADMSG);
}

/* ---- rule 3 in the codec (the sealer's part: test_state_seal.c) ---- */

static void t_rule3_flags(void)
{
	/* t_roundtrip_sealed_layout covers both refusals and the accept */
	t_roundtrip_sealed_layout();
}

/* ---- rule 4: records ---- */

static void t_rule4_records(void)
{
	struct trec r;
	int i;

	base();
	t.r[t.n - 2].lenfield = 4000;	/* beyond the body */
	refused("record len beyond the body", run(), 4, -EBADMSG);

	base();
	rec(VIRTIO_ACCEL_STREC_QUEUE, 0)->len = 12;
	refused("QUEUE of 12 bytes", run(), 4, -EBADMSG);
	base();
	rec(VIRTIO_ACCEL_STREC_SESSION, 0)->len = 96;
	refused("SESSION of 96 bytes", run(), 4, -EBADMSG);
	base();
	rec(VIRTIO_ACCEL_STREC_END, 0)->len = 16;
	refused("END of 16 bytes", run(), 4, -EBADMSG);

	base();
	rec(VIRTIO_ACCEL_STREC_DEFLATE_COMP, 0)->padbyte = 1;
	refused("padding not zero", run(), 4, -EBADMSG);

	base();
	rec(VIRTIO_ACCEL_STREC_QUEUE, 1)->type = 200;
	refused("unknown critical type", run(), 4, -EOPNOTSUPP);
	rec(200, 0)->rflags = 0;
	accepted("unknown optional type, skipped", run());
	CU_ASSERT_EQUAL(out.nqueues, 2);
	r = *rec(200, 0);
	r.len = 13;	/* any length, padded */
	for (i = 0; i < VIRTIO_ACCEL_STATE_MAX_SKIPPED - 1; i++)
		ins_rec(4, &r);
	accepted("64 unknown optional records", run());
	ins_rec(4, &r);
	refused("65 unknown optional records", run(), 4, -EBADMSG);

	base();
	rec(VIRTIO_ACCEL_STREC_QUEUE, 0)->rflags = 3;
	refused("unknown rflags bit", run(), 4, -EBADMSG);
	base();
	rec(VIRTIO_ACCEL_STREC_QUEUE, 0)->rflags = 0;
	refused("a known record without CRITICAL", run(), 4, -EBADMSG);

	base();
	r = t.r[0];
	del_rec(0);
	ins_rec(1, &r);
	refused("DEVICE not first", run(), 4, -EBADMSG);
	base();
	r = t.r[0];
	r.rflags = 0;
	r.type = 201;
	ins_rec(0, &r);
	refused("optional record before DEVICE", run(), 4, -EBADMSG);
	base();
	ins_rec(1, &t.r[0]);
	refused("DEVICE twice", run(), 4, -EBADMSG);

	base();
	r = t.r[1];
	ins_rec(t.n, &r);
	refused("a record after END", run(), 4, -EBADMSG);
	base();
	del_rec(t.n - 1);
	refused("no END", run(), 4, -EBADMSG);
	base();
	ins_rec(t.n - 1, &t.r[t.n - 1]);
	refused("END twice", run(), 4, -EBADMSG);
	base();
	t.end_count = t.n;
	refused("END count wrong", run(), 4, -EBADMSG);
	base();
	t.nrecords = t.n - 1;
	refused("header nrecords one short", run(), 4, -EBADMSG);
	base();
	t.nrecords = t.n + 1;
	refused("header nrecords one more", run(), 4, -EBADMSG);
	base();
	t.bad_crc = 1;
	refused("CRC-32C", run(), 4, -EBADMSG);
	base();
	accepted("the base state", run());

	base();
	pw(rec(VIRTIO_ACCEL_STREC_DEVICE, 0)->p,
	   F(virtio_accel_strec_device, pad), 1);
	refused("DEVICE pad", run(), 4, -EBADMSG);
	base();
	pw(rec(VIRTIO_ACCEL_STREC_DEVICE, 0)->p,
	   F(virtio_accel_strec_device, config_len), 31);
	refused("config_len 31", run(), 4, -EBADMSG);
	base();
	pw(rec(VIRTIO_ACCEL_STREC_SESSION, 0)->p,
	   F(virtio_accel_strec_session, pad), 1);
	refused("SESSION pad", run(), 4, -EBADMSG);
	base();
	pw(rec(VIRTIO_ACCEL_STREC_SHA256, 0)->p,
	   F(virtio_accel_strec_sha256, pad), 1);
	refused("SHA256 pad", run(), 4, -EBADMSG);
	base();
	pw(rec(VIRTIO_ACCEL_STREC_CRC32C, 0)->p,
	   F(virtio_accel_strec_crc32c, pad), 1);
	refused("CRC32C pad", run(), 4, -EBADMSG);
	base();
	pw(rec(VIRTIO_ACCEL_STREC_DEFLATE_COMP, 0)->p,
	   F(virtio_accel_strec_deflate, pad), 1);
	refused("DEFLATE pad", run(), 4, -EBADMSG);
	base();
	pw(rec(VIRTIO_ACCEL_STREC_LOST, 0)->p,
	   F(virtio_accel_strec_lost, pad), 1);
	refused("LOST pad", run(), 4, -EBADMSG);
	base();
	rec(VIRTIO_ACCEL_STREC_DEFLATE_COMP, 0)->len -= 1;
	refused("DEFLATE len short of dict + pending", run(), 4, -EBADMSG);
	base();
	rec(VIRTIO_ACCEL_STREC_DEFLATE_COMP, 0)->len = 24;
	refused("DEFLATE len below its fixed part", run(), 4, -EBADMSG);
	CU_ASSERT_EQUAL(failures_named, 0);
}

/* ---- rule 5: the device record against the destination ---- */

/* set a limit of the DEVICE record and its copy in config */
static void dev_limit(size_t rec_off, size_t cfg_off, u32 v)
{
	u8 *p = rec(VIRTIO_ACCEL_STREC_DEVICE, 0)->p;

	pw(p, rec_off, 4, v);
	if (cfg_off != (size_t)-1)
		pw(p, offsetof(struct virtio_accel_strec_device, config) +
		   cfg_off, 4, v);
}

#define DL(f)	offsetof(struct virtio_accel_strec_device, f), \
		offsetof(struct virtio_accel_config, f)

static void t_rule5_device(void)
{
	struct virtio_accel_state_device d;
	u8 *p;

	base();
	d = dstdev;
	d.nr_vq = 4;
	refused("nr_vq differs", run_dst(0, &d), 5, -EOPNOTSUPP);
	d.nr_vq = 3;
	accepted("nr_vq equal", run_dst(0, &d));
	d.max_sessions = 15;
	refused("max_sessions above B's", run_dst(0, &d), 5, -EOPNOTSUPP);
	d.max_sessions = 17;
	accepted("max_sessions below B's", run_dst(0, &d));
	d = dstdev;
	d.max_comp_streams = 3;
	refused("max_comp_streams above B's", run_dst(0, &d), 5, -EOPNOTSUPP);
	d = dstdev;
	d.max_data_len--;
	refused("max_data_len above B's", run_dst(0, &d), 5, -EOPNOTSUPP);
	d = dstdev;
	d.max_aad_len--;
	refused("max_aad_len above B's", run_dst(0, &d), 5, -EOPNOTSUPP);
	d = dstdev;
	d.max_key_len--;
	refused("max_key_len above B's", run_dst(0, &d), 5, -EOPNOTSUPP);
	d = dstdev;
	d.implemented &= ~VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_DECOMPRESS,
						VIRTIO_ACCEL_ALG_DEFLATE);
	refused("a pair B lacks", run_dst(0, &d), 5, -EOPNOTSUPP);
	d = dstdev;
	d.features &= ~(1ULL << VIRTIO_ACCEL_F_MQ);
	refused("a feature B lacks", run_dst(0, &d), 5, -EOPNOTSUPP);
	d.features |= 1ULL << 40;
	refused("a feature B lacks, another extra", run_dst(0, &d), 5,
		-EOPNOTSUPP);
	d.features |= 1ULL << VIRTIO_ACCEL_F_MQ;
	accepted("B offers more features", run_dst(0, &d));

	base();
	d = dstdev;
	d.max_key_len = 65;
	dev_limit(DL(max_key_len), 65);
	refused("max_key_len 65", run_dst(0, &d), 5, -EBADMSG);
	base();
	d = dstdev;
	d.max_comp_streams = 17;
	dev_limit(DL(max_comp_streams), 17);
	refused("max_comp_streams above max_sessions", run_dst(0, &d), 5,
		-EBADMSG);
	base();
	p = rec(VIRTIO_ACCEL_STREC_DEVICE, 0)->p;
	pw(p, offsetof(struct virtio_accel_strec_device, config) +
	   offsetof(struct virtio_accel_config, max_sessions), 4, 15);
	refused("config disagrees with the record", run(), 5, -EBADMSG);
	base();
	p = rec(VIRTIO_ACCEL_STREC_DEVICE, 0)->p;
	pw(p, F(virtio_accel_strec_device, next_gen), 0);
	refused("next_gen 0", run(), 5, -EBADMSG);
	pw(p, F(virtio_accel_strec_device, next_gen), (1ULL << 44) + 1);
	refused("next_gen above 2^44", run(), 5, -EBADMSG);
	pw(p, F(virtio_accel_strec_device, next_gen), 1ULL << 44);
	accepted("next_gen 2^44", run());
	/* the check on its own */
	{
		struct virtio_accel_state_err e;

		mk_state();
		CU_ASSERT_EQUAL(virtio_accel_state_compat(&src.dev, &dstdev,
							  &e), 0);
		d = dstdev;
		d.max_sessions = 1;
		CU_ASSERT_EQUAL(virtio_accel_state_compat(&src.dev, &d, &e),
				-EOPNOTSUPP);
		CU_ASSERT_EQUAL(e.rule, 5);
		CU_ASSERT_EQUAL(e.offset,
				offsetof(struct virtio_accel_strec_device,
					 max_sessions));
	}
	CU_ASSERT_EQUAL(failures_named, 0);
}

/* ---- rule 6: queues ---- */

static void t_rule6_queues(void)
{
	struct trec r;

	base();
	pw(rec(VIRTIO_ACCEL_STREC_QUEUE, 2)->p,
	   F(virtio_accel_strec_queue, index), 3);
	refused("queue index = nr_vq", run(), 6, -EBADMSG);
	base();
	pw(rec(VIRTIO_ACCEL_STREC_QUEUE, 2)->p,
	   F(virtio_accel_strec_queue, index), 1);
	refused("queue index twice", run(), 6, -EBADMSG);
	base();
	r = *rec(VIRTIO_ACCEL_STREC_QUEUE, 0);
	del_rec(1);
	ins_rec(2, &r);
	refused("queues out of order", run(), 6, -EBADMSG);
	base();
	del_rec(2);
	accepted("a queue missing", run());
	base();
	pw(rec(VIRTIO_ACCEL_STREC_QUEUE, 0)->p,
	   F(virtio_accel_strec_queue, flags), 2);
	refused("queue flags", run(), 6, -EBADMSG);
	base();
	r = *rec(VIRTIO_ACCEL_STREC_QUEUE, 2);
	del_rec(3);
	ins_rec(t.n - 1, &r);
	refused("QUEUE after a SESSION", run(), 6, -EBADMSG);
	CU_ASSERT_EQUAL(failures_named, 0);
}

/* ---- rule 7: sessions ---- */

#define SESS(n)	rec(VIRTIO_ACCEL_STREC_SESSION, n)->p
#define SF(f)	F(virtio_accel_strec_session, f)

static void t_rule7_sessions(void)
{
	struct trec r;
	u8 *p;
	int i;

	base();
	pw(SESS(7), SF(id), 0);
	refused("id 0", run(), 7, -EBADMSG);
	base();
	pw(SESS(8), SF(id), 12ULL << 20 | 16);
	refused("slot = max_sessions", run(), 7, -EBADMSG);
	base();
	pw(SESS(0), SF(id), 1000ULL << 20 | 1);
	refused("gen = next_gen", run(), 7, -EBADMSG);
	base();
	pw(SESS(0), SF(id), 999ULL << 20 | 1);
	accepted("gen = next_gen - 1", run());
	base();
	pw(SESS(8), SF(id), 13ULL << 20 | 8);
	refused("same slot twice, another gen", run(), 7, -EBADMSG);
	base();
	r = *rec(VIRTIO_ACCEL_STREC_SESSION, 8);
	ins_rec(t.n - 1, &r);
	pw(rec(VIRTIO_ACCEL_STREC_DEVICE, 0)->p,
	   F(virtio_accel_strec_device, nsessions), 10);
	refused("same id twice", run(), 7, -EBADMSG);
	base();
	r = *rec(VIRTIO_ACCEL_STREC_SESSION, 8);
	i = rec_index(rec(VIRTIO_ACCEL_STREC_SESSION, 7));
	del_rec(i + 1);
	ins_rec(i, &r);
	refused("slots descending", run(), 7, -EBADMSG);
	base();
	pw(rec(VIRTIO_ACCEL_STREC_DEVICE, 0)->p,
	   F(virtio_accel_strec_device, nsessions), 8);
	refused("more sessions than nsessions", run(), 7, -EBADMSG);
	base();
	pw(rec(VIRTIO_ACCEL_STREC_DEVICE, 0)->p,
	   F(virtio_accel_strec_device, nsessions), 10);
	refused("fewer sessions than nsessions", run(), 7, -EBADMSG);
	base();
	pw(rec(VIRTIO_ACCEL_STREC_DEVICE, 0)->p,
	   F(virtio_accel_strec_device, nsessions), 17);
	refused("nsessions above max_sessions", run(), 7, -EBADMSG);

	base();
	p = rec(VIRTIO_ACCEL_STREC_DEVICE, 0)->p;
	pw(p, F(virtio_accel_strec_device, implemented),
	   impl_all() & ~VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_HASH,
					       VIRTIO_ACCEL_ALG_SHA256));
	refused("a pair A does not implement", run(), 7, -EBADMSG);
	base();
	pw(SESS(4), SF(op), VIRTIO_ACCEL_OP_NULL);
	pw(SESS(4), SF(algo), VIRTIO_ACCEL_ALG_NONE);
	pw(SESS(4), SF(key_len), 0);
	memset(SESS(4) + offsetof(struct virtio_accel_strec_session, key), 0,
	       64);
	refused("a NULL session", run(), 7, -EBADMSG);
	base();
	pw(SESS(4), SF(algo), 9);
	refused("unknown algo", run(), 7, -EBADMSG);
	base();
	pw(SESS(4), SF(flags), 2);
	refused("unknown session flags", run(), 7, -EBADMSG);
	base();
	pw(rec(VIRTIO_ACCEL_STREC_DEVICE, 0)->p,
	   F(virtio_accel_strec_device, features), FEATURES & ~FEAT_STREAM);
	refused("stream session without F_STREAM", run(), 7, -EBADMSG);

	base();
	pw(SESS(8), SF(key_len), 65);
	refused("HMAC key 65", run(), 7, -EBADMSG);
	base();
	pw(SESS(1), SF(key_len), 0);
	memset(SESS(1) + offsetof(struct virtio_accel_strec_session, key), 0,
	       64);
	refused("HMAC key 0", run(), 7, -EBADMSG);
	pw(SESS(1), SF(key_len), 1);
	accepted("HMAC key 1", run());
	base();
	pw(SESS(3), SF(key_len), 31);
	refused("GCM key 31 (byte 31 left)", run(), 7, -EBADMSG);
	base();
	pw(SESS(3), SF(key_len), 31);
	SESS(3)[offsetof(struct virtio_accel_strec_session, key) + 31] = 0;
	refused("GCM key 31", run(), 7, -EBADMSG);
	base();
	pw(SESS(0), SF(key_len), 1);
	SESS(0)[offsetof(struct virtio_accel_strec_session, key)] = 1;
	refused("SHA-256 with a key", run(), 7, -EBADMSG);
	base();
	SESS(1)[offsetof(struct virtio_accel_strec_session, key) + 20] = 1;
	refused("key byte past key_len", run(), 7, -EBADMSG);
	base();
	pw(SESS(0), SF(stream_active), 2);
	refused("stream_active 2", run(), 7, -EBADMSG);
	base();
	pw(SESS(4), SF(stream_active), 1);
	refused("stream_active without SESS_F_STREAM", run(), 7, -EBADMSG);
	base();
	pw(SESS(7), SF(stream_len), 1);
	refused("stream_len while idle", run(), 7, -EBADMSG);

	/* [STREAM-LIMIT]: 3 DEFLATE stream sessions (one idle) */
	base();
	dev_limit(DL(max_comp_streams), 2);
	refused("DEFLATE stream sessions above max_comp_streams", run(), 7,
		-EBADMSG);
	dev_limit(DL(max_comp_streams), 3);
	accepted("DEFLATE stream sessions = max_comp_streams", run());
	CU_ASSERT_EQUAL(failures_named, 0);
}

/* ---- rule 8: streams ---- */

#define STR(type, f)	F(virtio_accel_strec_##type, f)

static void t_rule8_streams(void)
{
	struct trec r;
	u8 *p;
	int i;

	/* a stream record not after its session */
	base();
	r = *rec(VIRTIO_ACCEL_STREC_SHA256, 0);
	ins_rec(4, &r);
	refused("stream record among the queues", run(), 8, -EBADMSG);
	base();
	r = *rec(VIRTIO_ACCEL_STREC_CRC32C, 0);
	ins_rec(rec_index(rec(VIRTIO_ACCEL_STREC_CRC32C, 0)), &r);
	refused("two stream records", run(), 8, -EBADMSG);
	base();
	pw(rec(VIRTIO_ACCEL_STREC_CRC32C, 0)->p, STR(crc32c, session),
	   ss[1].id);
	refused("names another session", run(), 8, -EBADMSG);
	base();
	i = rec_index(rec(VIRTIO_ACCEL_STREC_SHA256, 0));
	del_rec(i);
	refused("open stream without its record", run(), 8, -EBADMSG);
	base();
	i = rec_index(rec(VIRTIO_ACCEL_STREC_LOST, 0));
	del_rec(i);
	refused("open stream without its record (last session with one)",
		run(), 8, -EBADMSG);
	base();
	/* the idle DEFLATE session gets a record */
	r = *rec(VIRTIO_ACCEL_STREC_LOST, 0);
	pw(r.p, STR(lost, session), ss[7].id);
	ins_rec(rec_index(rec(VIRTIO_ACCEL_STREC_SESSION, 7)) + 1, &r);
	refused("stream record of an idle session", run(), 8, -EBADMSG);
	base();
	r = *rec(VIRTIO_ACCEL_STREC_LOST, 0);
	pw(r.p, STR(lost, session), ss[8].id);
	ins_rec(rec_index(rec(VIRTIO_ACCEL_STREC_SESSION, 8)) + 1, &r);
	refused("stream record of a non-stream session", run(), 8, -EBADMSG);
	base();
	rec(VIRTIO_ACCEL_STREC_HMAC_SHA256, 0)->type = VIRTIO_ACCEL_STREC_SHA256;
	refused("SHA256 record for an HMAC session", run(), 8, -EBADMSG);
	base();
	rec(VIRTIO_ACCEL_STREC_SHA256, 0)->type =
		VIRTIO_ACCEL_STREC_HMAC_SHA256;
	refused("HMAC record for a SHA-256 session", run(), 8, -EBADMSG);
	/* any stream may be LOST */
	base();
	r = *rec(VIRTIO_ACCEL_STREC_LOST, 0);
	pw(r.p, STR(lost, session), ss[3].id);
	i = rec_index(rec(VIRTIO_ACCEL_STREC_AES256GCM, 0));
	del_rec(i);
	ins_rec(i, &r);
	accepted("a GCM stream LOST", run());
	pw(rec(VIRTIO_ACCEL_STREC_LOST, 0)->p, STR(lost, reason), 2);
	refused("LOST reason 2", run(), 8, -EBADMSG);

	/* SHA-256 */
	base();
	p = rec(VIRTIO_ACCEL_STREC_SHA256, 0)->p;
	pw(p, STR(sha256, total), 101);
	refused("SHA total != stream_len", run(), 8, -EBADMSG);
	base();
	p = rec(VIRTIO_ACCEL_STREC_SHA256, 0)->p;
	pw(SESS(0), SF(stream_len), 1ULL << 61);
	pw(p, STR(sha256, total), 1ULL << 61);
	pw(p, STR(sha256, buf_len), 0);
	memset(p + offsetof(struct virtio_accel_strec_sha256, buf), 0, 64);
	refused("SHA total 2^61", run(), 8, -EBADMSG);
	pw(SESS(0), SF(stream_len), (1ULL << 61) - 64);
	pw(p, STR(sha256, total), (1ULL << 61) - 64);
	accepted("SHA total 2^61 - 64", run());
	base();
	p = rec(VIRTIO_ACCEL_STREC_SHA256, 0)->p;
	pw(p, STR(sha256, buf_len), 37);
	refused("SHA buf_len != total % 64", run(), 8, -EBADMSG);
	base();
	p = rec(VIRTIO_ACCEL_STREC_SHA256, 0)->p;
	p[offsetof(struct virtio_accel_strec_sha256, buf) + 36] = 1;
	refused("SHA buf byte past buf_len", run(), 8, -EBADMSG);
	base();
	p = rec(VIRTIO_ACCEL_STREC_HMAC_SHA256, 0)->p;
	pw(p, STR(sha256, total), 65);
	pw(SESS(1), SF(stream_len), 65);
	refused("HMAC buf_len != total % 64", run(), 8, -EBADMSG);
	pw(p, STR(sha256, buf_len), 1);
	accepted("HMAC buf_len = total % 64", run());

	/* AES-256-GCM */
	base();
	p = rec(VIRTIO_ACCEL_STREC_AES256GCM, 0)->p;
	pw(p, STR(gcm, ct_len), 50008);
	refused("GCM ct_len != stream_len", run(), 8, -EBADMSG);
	base();
	p = rec(VIRTIO_ACCEL_STREC_AES256GCM, 0)->p;
	pw(p, STR(gcm, ct_len), VIRTIO_ACCEL_GCM_STREAM_MAX + 16);
	pw(SESS(3), SF(stream_len), VIRTIO_ACCEL_GCM_STREAM_MAX + 16);
	pw(p, STR(gcm, part_len), 0);
	memset(p + offsetof(struct virtio_accel_strec_gcm, part), 0, 16);
	refused("GCM ct_len beyond 2^36 - 32", run(), 8, -EBADMSG);
	pw(p, STR(gcm, ct_len), VIRTIO_ACCEL_GCM_STREAM_MAX);
	pw(SESS(3), SF(stream_len), VIRTIO_ACCEL_GCM_STREAM_MAX);
	accepted("GCM ct_len 2^36 - 32", run());
	base();
	p = rec(VIRTIO_ACCEL_STREC_AES256GCM, 0)->p;
	pw(p, STR(gcm, part_len), 8);
	refused("GCM part_len != ct_len % 16", run(), 8, -EBADMSG);
	base();
	p = rec(VIRTIO_ACCEL_STREC_AES256GCM, 0)->p;
	p[offsetof(struct virtio_accel_strec_gcm, part) + 7] = 1;
	refused("GCM part byte past part_len", run(), 8, -EBADMSG);
	base();
	p = rec(VIRTIO_ACCEL_STREC_AES256GCM, 0)->p;
	pw(p, STR(gcm, aad_len), 4097);
	refused("GCM aad_len above max_aad_len", run(), 8, -EBADMSG);
	pw(p, STR(gcm, aad_len), 4096);
	accepted("GCM aad_len = max_aad_len", run());

	/* DEFLATE compress */
	base();
	p = rec(VIRTIO_ACCEL_STREC_DEFLATE_COMP, 0)->p;
	pw(p, STR(deflate, level), 10);
	refused("DEFLATE level 10", run(), 8, -EBADMSG);
	pw(p, STR(deflate, level), 0xfffffffeu);
	refused("DEFLATE level -2", run(), 8, -EBADMSG);
	pw(p, STR(deflate, level), 9);
	accepted("DEFLATE level 9", run());
	pw(p, STR(deflate, strategy), 5);
	refused("DEFLATE strategy 5", run(), 8, -EBADMSG);
	pw(p, STR(deflate, strategy), 4);
	accepted("DEFLATE strategy 4", run());
	pw(p, STR(deflate, mem_level), 0);
	refused("DEFLATE mem_level 0", run(), 8, -EBADMSG);
	pw(p, STR(deflate, mem_level), 10);
	refused("DEFLATE mem_level 10", run(), 8, -EBADMSG);
	pw(p, STR(deflate, mem_level), 1);
	accepted("DEFLATE mem_level 1", run());
	pw(p, STR(deflate, dict_len), 32769);
	refused("DEFLATE dict 32769", run(), 8, -EBADMSG);
	pw(p, STR(deflate, dict_len), 100);
	pw(p, STR(deflate, pending_len), 131073);
	refused("DEFLATE pending 131073", run(), 8, -EBADMSG);
	CU_ASSERT_EQUAL(failures_named, 0);
}

/* the largest DEFLATE record: dict 32768, pending 131072 */
static void t_deflate_max(void)
{
	struct virtio_accel_state_err e;
	static u8 d[32768], pend[131072];
	u8 *b;
	long n;
	u64 sz;

	mk_state();
	memset(d, 1, sizeof(d));
	memset(pend, 2, sizeof(pend));
	ss[5].st.u.defl.dict = d;
	ss[5].st.u.defl.dict_len = sizeof(d);
	ss[5].st.u.defl.pending = pend;
	ss[5].st.u.defl.pending_len = sizeof(pend);
	sz = virtio_accel_state_size(&src, 0);
	b = malloc((size_t)sz);
	CU_ASSERT_FATAL(b != NULL);
	n = encode_src(b, sz, NULL);
	CU_ASSERT_EQUAL_FATAL((u64)n, sz);
	CU_ASSERT(sz <= virtio_accel_state_max(&dstdev));
	CU_ASSERT_EQUAL(decode_buf(b, sz, 0, &dstdev, &e), 0);
	same_state(&src, &out);
	free(b);
}

/* a refused state leaves no key in the caller's session array */
static void t_refused_wipes_keys(void)
{
	size_t i;
	int dirty = 0;

	base();
	t.bad_crc = 1;
	memset(os, 0, sizeof(os));
	CU_ASSERT(run() < 0);
	for (i = 0; i < sizeof(os); i++)
		dirty |= ((u8 *)os)[i];
	CU_ASSERT_EQUAL(dirty, 0);
	CU_ASSERT_EQUAL(out.nsessions, 0);
}

void register_state_tests(void)
{
	ADD_SUITE("state-codec", NULL, NULL);
	ADD_TEST(t_roundtrip);
	ADD_TEST(t_roundtrip_sealed_layout);
	ADD_TEST(t_encode_refuses);
	ADD_TEST(t_rule1_truncated_everywhere);
	ADD_TEST(t_rule1_max);
	ADD_TEST(t_rule2_header);
	ADD_TEST(t_rule3_flags);
	ADD_TEST(t_rule4_records);
	ADD_TEST(t_rule5_device);
	ADD_TEST(t_rule6_queues);
	ADD_TEST(t_rule7_sessions);
	ADD_TEST(t_rule8_streams);
	ADD_TEST(t_deflate_max);
	ADD_TEST(t_refused_wipes_keys);
}
