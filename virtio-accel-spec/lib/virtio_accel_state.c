// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * A device's state in transfer, written once: encode, validate and decode
 * of spec 7.11 "Device state transfer" (virtio-accel-spec/virtio-accel.md;
 * design in docs/migration-design.md, section 4). Every refusal names its
 * rule of [MIG-VALIDATE] (the numbered list of 7.11.3) and the byte offset.
 *
 * Pure like virtio_accel_req.c: no I/O, no allocation, no libc but the
 * compiler's memcpy/memset/memcmp; all buffers are the caller's.
 */
#ifndef __KERNEL__
#include <stddef.h>
#endif

#include "virtio_accel_state.h"

#define HDR_LEN		VIRTIO_ACCEL_STATE_HDR_LEN
#define SHDR_LEN	VIRTIO_ACCEL_STATE_SEALED_HDR_LEN
#define TAG_LEN		VIRTIO_ACCEL_STATE_TAG_LEN
#define REC_LEN		((u64)sizeof(struct virtio_accel_strec))
#define CRIT		VIRTIO_ACCEL_STREC_F_CRITICAL
#define SLOT_MASK	((1ULL << VIRTIO_ACCEL_STATE_SLOT_BITS) - 1)
#define DEFL_MAX	(sizeof(struct virtio_accel_strec_deflate) + \
			 VIRTIO_ACCEL_ST_DEFLATE_DICT_MAX + \
			 VIRTIO_ACCEL_ST_DEFLATE_PENDING_MAX)

#define cpy(d, s, n)	__builtin_memcpy(d, s, n)
#define zero(d, n)	__builtin_memset(d, 0, n)

static u64 pad8(u64 n)
{
	return (n + 7) & ~7ULL;
}

static int all_zero(const u8 *p, u64 n)
{
	u64 i;

	for (i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static u32 crc_of(virtio_accel_crc32c_fn *fn, const u8 *p, u64 n)
{
	u32 crc = 0xffffffffu;

	while (n) {
		u32 k = n > 0x40000000u ? 0x40000000u : (u32)n;

		crc = fn(crc, p, k);
		p += k;
		n -= k;
	}
	return ~crc;
}

/* ---- sizes ---- */

u64 virtio_accel_state_max(const struct virtio_accel_state_device *dst)
{
	return 65536 + (u64)dst->nr_vq * 16 + (u64)dst->max_sessions * 256 +
	       (u64)dst->max_comp_streams * (168 << 10);
}

/* The stream record's payload length, 0 for none, ~0 if it cannot be. */
static u64 stream_payload(const struct virtio_accel_state_stream *st)
{
	switch (st->kind) {
	case VIRTIO_ACCEL_ST_NONE:
		return 0;
	case VIRTIO_ACCEL_ST_SHA256:
	case VIRTIO_ACCEL_ST_HMAC_SHA256:
		if (st->u.sha.buf_len > sizeof(st->u.sha.buf))
			return ~0ULL;
		return sizeof(struct virtio_accel_strec_sha256);
	case VIRTIO_ACCEL_ST_CRC32C:
		return sizeof(struct virtio_accel_strec_crc32c);
	case VIRTIO_ACCEL_ST_AES256GCM:
		if (st->u.gcm.part_len > sizeof(st->u.gcm.part))
			return ~0ULL;
		return sizeof(struct virtio_accel_strec_gcm);
	case VIRTIO_ACCEL_ST_DEFLATE_COMP:
		if (st->u.defl.dict_len > VIRTIO_ACCEL_ST_DEFLATE_DICT_MAX ||
		    st->u.defl.pending_len >
			    VIRTIO_ACCEL_ST_DEFLATE_PENDING_MAX ||
		    (st->u.defl.dict_len && !st->u.defl.dict) ||
		    (st->u.defl.pending_len && !st->u.defl.pending))
			return ~0ULL;
		return sizeof(struct virtio_accel_strec_deflate) +
		       (u64)st->u.defl.dict_len + st->u.defl.pending_len;
	case VIRTIO_ACCEL_ST_LOST:
		return sizeof(struct virtio_accel_strec_lost);
	default:
		return ~0ULL;
	}
}

u64 virtio_accel_state_size(const struct virtio_accel_state *s, int sealed)
{
	u64 n = (sealed ? SHDR_LEN + TAG_LEN : HDR_LEN) +
		REC_LEN + sizeof(struct virtio_accel_strec_device) +
		REC_LEN + sizeof(struct virtio_accel_strec_end);
	u32 i;

	if ((s->nqueues && !s->queues) || (s->nsessions && !s->sessions) ||
	    s->nqueues > 0xffff)
		return 0;
	for (i = 0; i < s->nqueues; i++) {
		if (i && s->queues[i].index <= s->queues[i - 1].index)
			return 0;
		n += REC_LEN + sizeof(struct virtio_accel_strec_queue);
	}
	for (i = 0; i < s->nsessions; i++) {
		const struct virtio_accel_state_session *ss = &s->sessions[i];
		u64 p = stream_payload(&ss->st);

		if (p == ~0ULL || ss->c.key_len > sizeof(ss->c.key) ||
		    !!ss->c.stream_active != (ss->st.kind != 0) ||
		    (i && (ss->id & SLOT_MASK) <=
			  (s->sessions[i - 1].id & SLOT_MASK)))
			return 0;
		n += REC_LEN + sizeof(struct virtio_accel_strec_session);
		if (p)
			n += REC_LEN + pad8(p);
	}
	/* body_len and nrecords are 32-bit fields */
	if (n - HDR_LEN > 0xffffffffULL)
		return 0;
	return n;
}

/* ---- encode ---- */

struct wr {
	u8 *p;
	u64 off;
	u32 nrec;
};

/* a record header and @len payload bytes from @pl, zero padded to 8 */
static u8 *put_rec(struct wr *w, u16 type, const void *pl, u64 len)
{
	struct virtio_accel_strec r;
	u8 *at;

	r.type = cpu_to_le16(type);
	r.rflags = cpu_to_le16(CRIT);
	r.len = cpu_to_le32((u32)len);
	cpy(w->p + w->off, &r, sizeof(r));
	at = w->p + w->off + REC_LEN;
	if (pl)
		cpy(at, pl, len);
	zero(at + len, pad8(len) - len);
	w->off += REC_LEN + pad8(len);
	w->nrec++;
	return at;
}

static void put_stream(struct wr *w, u64 id,
		       const struct virtio_accel_state_stream *st)
{
	union {
		struct virtio_accel_strec_sha256 sha;
		struct virtio_accel_strec_crc32c crc;
		struct virtio_accel_strec_gcm gcm;
		struct virtio_accel_strec_deflate defl;
		struct virtio_accel_strec_lost lost;
	} r;
	u8 *at;

	zero(&r, sizeof(r));
	switch (st->kind) {
	case VIRTIO_ACCEL_ST_SHA256:
	case VIRTIO_ACCEL_ST_HMAC_SHA256:
		r.sha.session = cpu_to_le64(id);
		cpy(r.sha.h, st->u.sha.h, sizeof(r.sha.h));
		r.sha.total = cpu_to_le64(st->u.sha.total);
		r.sha.buf_len = cpu_to_le32(st->u.sha.buf_len);
		cpy(r.sha.buf, st->u.sha.buf, st->u.sha.buf_len);
		put_rec(w, (u16)st->kind, &r.sha, sizeof(r.sha));
		break;
	case VIRTIO_ACCEL_ST_CRC32C:
		r.crc.session = cpu_to_le64(id);
		r.crc.crc = cpu_to_le32(st->u.crc.crc);
		put_rec(w, VIRTIO_ACCEL_STREC_CRC32C, &r.crc, sizeof(r.crc));
		break;
	case VIRTIO_ACCEL_ST_AES256GCM:
		r.gcm.session = cpu_to_le64(id);
		cpy(r.gcm.iv, st->u.gcm.iv, sizeof(r.gcm.iv));
		r.gcm.part_len = cpu_to_le32(st->u.gcm.part_len);
		r.gcm.aad_len = cpu_to_le64(st->u.gcm.aad_len);
		r.gcm.ct_len = cpu_to_le64(st->u.gcm.ct_len);
		cpy(r.gcm.x, st->u.gcm.x, sizeof(r.gcm.x));
		cpy(r.gcm.part, st->u.gcm.part, st->u.gcm.part_len);
		put_rec(w, VIRTIO_ACCEL_STREC_AES256GCM, &r.gcm,
			sizeof(r.gcm));
		break;
	case VIRTIO_ACCEL_ST_DEFLATE_COMP:
		r.defl.session = cpu_to_le64(id);
		r.defl.level = cpu_to_le32(st->u.defl.level);
		r.defl.strategy = cpu_to_le32(st->u.defl.strategy);
		r.defl.mem_level = cpu_to_le32(st->u.defl.mem_level);
		r.defl.dict_len = cpu_to_le32(st->u.defl.dict_len);
		r.defl.pending_len = cpu_to_le32(st->u.defl.pending_len);
		at = put_rec(w, VIRTIO_ACCEL_STREC_DEFLATE_COMP, NULL,
			     sizeof(r.defl) + (u64)st->u.defl.dict_len +
			     st->u.defl.pending_len);
		cpy(at, &r.defl, sizeof(r.defl));
		at += sizeof(r.defl);
		if (st->u.defl.dict_len)
			cpy(at, st->u.defl.dict, st->u.defl.dict_len);
		at += st->u.defl.dict_len;
		if (st->u.defl.pending_len)
			cpy(at, st->u.defl.pending, st->u.defl.pending_len);
		break;
	case VIRTIO_ACCEL_ST_LOST:
		r.lost.session = cpu_to_le64(id);
		r.lost.reason = cpu_to_le32(st->u.lost_reason);
		put_rec(w, VIRTIO_ACCEL_STREC_LOST, &r.lost, sizeof(r.lost));
		break;
	}
	virtio_accel_wipe(&r, sizeof(r));
}

long virtio_accel_state_encode(const struct virtio_accel_state *s,
			       const struct virtio_accel_state_seal_hdr *seal,
			       void *buf, u64 len,
			       virtio_accel_crc32c_fn *crc32c)
{
	u64 need = virtio_accel_state_size(s, !!seal);
	struct virtio_accel_state_hdr h;
	struct virtio_accel_strec_device dr;
	struct virtio_accel_strec_end er;
	struct wr w = { .p = buf };
	u32 i, hdr_len = seal ? SHDR_LEN : HDR_LEN;

	if (!need || !crc32c)
		return -EINVAL;
	if (len < need || need > 0x7fffffffffffffffULL)
		return -ENOSPC;

	w.off = hdr_len;
	zero(&dr, sizeof(dr));
	dr.features = cpu_to_le64(s->dev.features);
	dr.nr_vq = cpu_to_le16(s->dev.nr_vq);
	dr.config_len = cpu_to_le32(sizeof(dr.config));
	cpy(dr.config, s->dev.config, sizeof(dr.config));
	dr.implemented = cpu_to_le64(s->dev.implemented);
	dr.max_sessions = cpu_to_le32(s->dev.max_sessions);
	dr.max_comp_streams = cpu_to_le32(s->dev.max_comp_streams);
	dr.max_data_len = cpu_to_le32(s->dev.max_data_len);
	dr.max_aad_len = cpu_to_le32(s->dev.max_aad_len);
	dr.max_key_len = cpu_to_le32(s->dev.max_key_len);
	dr.nsessions = cpu_to_le32(s->nsessions);
	dr.next_gen = cpu_to_le64(s->dev.next_gen);
	put_rec(&w, VIRTIO_ACCEL_STREC_DEVICE, &dr, sizeof(dr));

	for (i = 0; i < s->nqueues; i++) {
		const struct virtio_accel_state_queue *q = &s->queues[i];
		struct virtio_accel_strec_queue qr = {
			.index = cpu_to_le16(q->index),
			.flags = cpu_to_le16(q->broken ?
					     VIRTIO_ACCEL_STQ_F_BROKEN : 0),
			.last_avail = cpu_to_le16(q->last_avail),
			.last_used = cpu_to_le16(q->last_used),
		};

		put_rec(&w, VIRTIO_ACCEL_STREC_QUEUE, &qr, sizeof(qr));
	}

	for (i = 0; i < s->nsessions; i++) {
		const struct virtio_accel_state_session *ss = &s->sessions[i];
		struct virtio_accel_strec_session sr;

		zero(&sr, sizeof(sr));
		sr.id = cpu_to_le64(ss->id);
		sr.op = cpu_to_le32(ss->c.op);
		sr.algo = cpu_to_le32(ss->c.algo);
		sr.flags = cpu_to_le32(ss->c.flags);
		sr.key_len = cpu_to_le32(ss->c.key_len);
		sr.stream_active = cpu_to_le32(ss->c.stream_active ? 1 : 0);
		sr.stream_len = cpu_to_le64(ss->c.stream_len);
		cpy(sr.key, ss->c.key, ss->c.key_len);
		put_rec(&w, VIRTIO_ACCEL_STREC_SESSION, &sr, sizeof(sr));
		virtio_accel_wipe(&sr, sizeof(sr));	/* [SESS-KEY] */
		if (ss->st.kind)
			put_stream(&w, ss->id, &ss->st);
	}

	zero(&h, sizeof(h));
	cpy(h.magic, VIRTIO_ACCEL_STATE_MAGIC, sizeof(h.magic));
	h.major = cpu_to_le16(VIRTIO_ACCEL_STATE_MAJOR);
	h.minor = cpu_to_le16(VIRTIO_ACCEL_STATE_MINOR);
	h.flags = cpu_to_le32(seal ? VIRTIO_ACCEL_STATE_F_SEALED : 0);
	h.hdr_len = cpu_to_le32(hdr_len);
	h.body_len = cpu_to_le32((u32)(w.off + REC_LEN + sizeof(er) - hdr_len));
	h.nrecords = cpu_to_le32(w.nrec + 1);
	cpy(w.p, &h, sizeof(h));
	if (seal)
		cpy(w.p + HDR_LEN, seal, sizeof(*seal));

	er.nrecords_before = cpu_to_le32(w.nrec);
	er.crc32c = 0;
	{
		u64 end_off = w.off;
		u8 *at = put_rec(&w, VIRTIO_ACCEL_STREC_END, &er, sizeof(er));

		er.crc32c = cpu_to_le32(crc_of(crc32c, w.p, end_off));
		cpy(at, &er, sizeof(er));
	}
	if (seal) {
		zero(w.p + w.off, TAG_LEN);
		w.off += TAG_LEN;
	}
	return (long)w.off;
}

/* ---- validate and decode ---- */

#define REFUSE(e_, rule_, off_, reason_)				\
	do {								\
		err->rule = (rule_);					\
		err->offset = (off_);					\
		err->reason = (reason_);				\
		return (e_);						\
	} while (0)

int virtio_accel_state_compat(const struct virtio_accel_state_device *src,
			      const struct virtio_accel_state_device *dst,
			      struct virtio_accel_state_err *err)
{
#define OFF(f)	offsetof(struct virtio_accel_strec_device, f)
	err->type = VIRTIO_ACCEL_STREC_DEVICE;
	if (src->nr_vq != dst->nr_vq)
		REFUSE(-EOPNOTSUPP, 5, OFF(nr_vq),
		       "rule 5 (DEVICE): nr_vq differs from the destination's");
	if (src->max_sessions > dst->max_sessions)
		REFUSE(-EOPNOTSUPP, 5, OFF(max_sessions),
		       "rule 5 (DEVICE): max_sessions above the destination's");
	if (src->max_comp_streams > dst->max_comp_streams)
		REFUSE(-EOPNOTSUPP, 5, OFF(max_comp_streams),
		       "rule 5 (DEVICE): max_comp_streams above the destination's");
	if (src->max_data_len > dst->max_data_len)
		REFUSE(-EOPNOTSUPP, 5, OFF(max_data_len),
		       "rule 5 (DEVICE): max_data_len above the destination's");
	if (src->max_aad_len > dst->max_aad_len)
		REFUSE(-EOPNOTSUPP, 5, OFF(max_aad_len),
		       "rule 5 (DEVICE): max_aad_len above the destination's");
	if (src->max_key_len > dst->max_key_len)
		REFUSE(-EOPNOTSUPP, 5, OFF(max_key_len),
		       "rule 5 (DEVICE): max_key_len above the destination's");
	if (src->implemented & ~dst->implemented)
		REFUSE(-EOPNOTSUPP, 5, OFF(implemented),
		       "rule 5 (DEVICE): a pair the destination does not implement");
	if (src->features & ~dst->features)
		REFUSE(-EOPNOTSUPP, 5, OFF(features),
		       "rule 5 (DEVICE): a feature the destination does not offer");
	return 0;
#undef OFF
}

/* Rules 1 and 2 on the fixed header; *total: header + body + tag. */
static int check_hdr(const u8 *b, u64 len,
		     const struct virtio_accel_state_device *dst,
		     struct virtio_accel_state_hdr *h, u64 *total,
		     struct virtio_accel_state_err *err)
{
#define OFF(f)	offsetof(struct virtio_accel_state_hdr, f)
	u32 flags, hdr_len, body_len, nrec;
	u64 max = virtio_accel_state_max(dst), nmax;

	err->type = 0;
	if (len < HDR_LEN)
		REFUSE(-EBADMSG, 1, len, "rule 1: truncated in the header");
	cpy(h, b, sizeof(*h));
	if (__builtin_memcmp(h->magic, VIRTIO_ACCEL_STATE_MAGIC,
			     sizeof(h->magic)))
		REFUSE(-EBADMSG, 2, OFF(magic),
		       "rule 2 (header): not a virtio-accel state (magic)");
	if (le16_to_cpu(h->major) != VIRTIO_ACCEL_STATE_MAJOR)
		REFUSE(-EPROTO, 2, OFF(major),
		       "rule 2 (header): major version is not 1");
	flags = le32_to_cpu(h->flags);
	hdr_len = le32_to_cpu(h->hdr_len);
	body_len = le32_to_cpu(h->body_len);
	nrec = le32_to_cpu(h->nrecords);
	if (flags & ~(u32)VIRTIO_ACCEL_STATE_F_SEALED)
		REFUSE(-EBADMSG, 2, OFF(flags),
		       "rule 2 (header): unknown flag bits");
	if (hdr_len != ((flags & VIRTIO_ACCEL_STATE_F_SEALED) ? SHDR_LEN :
							       HDR_LEN))
		REFUSE(-EBADMSG, 2, OFF(hdr_len),
		       "rule 2 (header): hdr_len does not match SEALED");
	if (h->reserved)
		REFUSE(-EBADMSG, 2, OFF(reserved),
		       "rule 2 (header): reserved is not zero");
	if (body_len % 8)
		REFUSE(-EBADMSG, 2, OFF(body_len),
		       "rule 2 (header): body_len not a multiple of 8");
	*total = (u64)hdr_len + body_len +
		 ((flags & VIRTIO_ACCEL_STATE_F_SEALED) ? TAG_LEN : 0);
	if (*total > max)
		REFUSE(-E2BIG, 1, OFF(body_len),
		       "rule 1: longer than this destination accepts");
	nmax = 2 + (u64)dst->nr_vq + 2 * (u64)dst->max_sessions +
	       VIRTIO_ACCEL_STATE_MAX_SKIPPED;
	if (nrec < 2 || nrec > nmax)
		REFUSE(-EBADMSG, 2, OFF(nrecords),
		       "rule 2 (header): nrecords out of bounds");
	return 0;
#undef OFF
}

int virtio_accel_state_total_len(const void *hdr, u64 len,
				 const struct virtio_accel_state_device *dst,
				 u64 *total, struct virtio_accel_state_err *err)
{
	struct virtio_accel_state_hdr h;

	return check_hdr(hdr, len, dst, &h, total, err);
}

/* The decoder's running state. */
struct rd {
	const u8 *b;
	const struct virtio_accel_state_device *dst;
	struct virtio_accel_state *st;
	struct virtio_accel_state_err *err;
	u32 phase;		/* 0 want DEVICE, 1 queues, 2 sessions */
	u32 nsessions;		/* DEVICE's */
	u32 ncomp;		/* DEFLATE stream sessions */
	struct virtio_accel_state_session *cur;	/* last SESSION */
	int cur_has_stream;
};

/* the record kind a stream session's (op, algo) exports, 0: none */
static u32 stream_kind(u32 op, u32 algo)
{
	if (op == VIRTIO_ACCEL_OP_HASH && algo == VIRTIO_ACCEL_ALG_SHA256)
		return VIRTIO_ACCEL_ST_SHA256;
	if (op == VIRTIO_ACCEL_OP_HASH && algo == VIRTIO_ACCEL_ALG_CRC32C)
		return VIRTIO_ACCEL_ST_CRC32C;
	if (op == VIRTIO_ACCEL_OP_MAC && algo == VIRTIO_ACCEL_ALG_HMAC_SHA256)
		return VIRTIO_ACCEL_ST_HMAC_SHA256;
	if ((op == VIRTIO_ACCEL_OP_AEAD_ENCRYPT ||
	     op == VIRTIO_ACCEL_OP_AEAD_DECRYPT) &&
	    algo == VIRTIO_ACCEL_ALG_AES256_GCM)
		return VIRTIO_ACCEL_ST_AES256GCM;
	if (op == VIRTIO_ACCEL_OP_COMPRESS && algo == VIRTIO_ACCEL_ALG_DEFLATE)
		return VIRTIO_ACCEL_ST_DEFLATE_COMP;
	return 0;	/* DECOMPRESS: only LOST */
}

/* Rule 8's last part for the session before the next record @off. */
static int close_session(struct rd *r, u64 off)
{
	struct virtio_accel_state_err *err = r->err;

	if (r->cur && r->cur->c.stream_active && !r->cur_has_stream) {
		err->type = VIRTIO_ACCEL_STREC_SESSION;
		REFUSE(-EBADMSG, 8, off,
		       "rule 8 (stream): an open stream without its stream record");
	}
	r->cur = NULL;
	r->cur_has_stream = 0;
	return 0;
}

static int rec_device(struct rd *r, const u8 *p, u64 off)
{
#define OFF(f)	(off + offsetof(struct virtio_accel_strec_device, f))
	struct virtio_accel_state_err *err = r->err;
	struct virtio_accel_state_device *d = &r->st->dev;
	struct virtio_accel_strec_device w;
	struct virtio_accel_config cfg;
	int ret;

	cpy(&w, p, sizeof(w));
	if (w.pad)
		REFUSE(-EBADMSG, 4, OFF(pad), "rule 4 (DEVICE): padding not zero");
	if (le32_to_cpu(w.config_len) != sizeof(w.config))
		REFUSE(-EBADMSG, 4, OFF(config_len),
		       "rule 4 (DEVICE): config_len is not 32");
	zero(d, sizeof(*d));
	d->features = le64_to_cpu(w.features);
	d->nr_vq = le16_to_cpu(w.nr_vq);
	cpy(d->config, w.config, sizeof(d->config));
	d->implemented = le64_to_cpu(w.implemented);
	d->max_sessions = le32_to_cpu(w.max_sessions);
	d->max_comp_streams = le32_to_cpu(w.max_comp_streams);
	d->max_data_len = le32_to_cpu(w.max_data_len);
	d->max_aad_len = le32_to_cpu(w.max_aad_len);
	d->max_key_len = le32_to_cpu(w.max_key_len);
	d->next_gen = le64_to_cpu(w.next_gen);
	r->nsessions = le32_to_cpu(w.nsessions);

	ret = virtio_accel_state_compat(d, r->dst, err);
	if (ret) {
		err->offset += off;
		return ret;
	}
	if (d->max_key_len > VIRTIO_ACCEL_DEV_MAX_KEY)
		REFUSE(-EBADMSG, 5, OFF(max_key_len),
		       "rule 5 (DEVICE): max_key_len above 64");
	if (d->max_comp_streams > d->max_sessions)
		REFUSE(-EBADMSG, 5, OFF(max_comp_streams),
		       "rule 5 (DEVICE): max_comp_streams above max_sessions");
	cpy(&cfg, w.config, sizeof(cfg));
	if (le32_to_cpu(cfg.max_sessions) != d->max_sessions ||
	    le32_to_cpu(cfg.max_data_len) != d->max_data_len ||
	    le32_to_cpu(cfg.max_key_len) != d->max_key_len ||
	    le32_to_cpu(cfg.max_aad_len) != d->max_aad_len ||
	    le32_to_cpu(cfg.max_comp_streams) != d->max_comp_streams)
		REFUSE(-EBADMSG, 5, OFF(config),
		       "rule 5 (DEVICE): config disagrees with the record's limits");
	if (!d->next_gen || d->next_gen > VIRTIO_ACCEL_STATE_GEN_MAX)
		REFUSE(-EBADMSG, 5, OFF(next_gen),
		       "rule 5 (DEVICE): next_gen is 0 or above 2^44");
	if (r->nsessions > d->max_sessions)
		REFUSE(-EBADMSG, 7, OFF(nsessions),
		       "rule 7 (DEVICE): nsessions above max_sessions");
	return 0;
#undef OFF
}

static int rec_queue(struct rd *r, const u8 *p, u64 off)
{
#define OFF(f)	(off + offsetof(struct virtio_accel_strec_queue, f))
	struct virtio_accel_state_err *err = r->err;
	struct virtio_accel_strec_queue w;
	struct virtio_accel_state_queue *q;
	u16 index, flags;

	cpy(&w, p, sizeof(w));
	index = le16_to_cpu(w.index);
	flags = le16_to_cpu(w.flags);
	if (index >= r->st->dev.nr_vq)
		REFUSE(-EBADMSG, 6, OFF(index),
		       "rule 6 (QUEUE): index not below nr_vq");
	if (r->st->nqueues && index <= r->st->queues[r->st->nqueues - 1].index)
		REFUSE(-EBADMSG, 6, OFF(index),
		       "rule 6 (QUEUE): index not above the previous queue's (duplicate or order)");
	if (flags & ~(u16)VIRTIO_ACCEL_STQ_F_BROKEN)
		REFUSE(-EBADMSG, 6, OFF(flags), "rule 6 (QUEUE): unknown flags");
	q = &r->st->queues[r->st->nqueues++];
	q->index = index;
	q->broken = flags & VIRTIO_ACCEL_STQ_F_BROKEN;
	q->last_avail = le16_to_cpu(w.last_avail);
	q->last_used = le16_to_cpu(w.last_used);
	return 0;
#undef OFF
}

static int rec_session(struct rd *r, const u8 *p, u64 off)
{
#define OFF(f)	(off + offsetof(struct virtio_accel_strec_session, f))
	struct virtio_accel_state_err *err = r->err;
	const struct virtio_accel_state_device *d = &r->st->dev;
	const struct virtio_accel_alg_info *info;
	struct virtio_accel_strec_session w;
	struct virtio_accel_state_session *s;
	u64 id, slot, gen;
	u32 op, algo, flags, key_len, active;
	u64 stream_len;

	cpy(&w, p, sizeof(w));
	id = le64_to_cpu(w.id);
	op = le32_to_cpu(w.op);
	algo = le32_to_cpu(w.algo);
	flags = le32_to_cpu(w.flags);
	key_len = le32_to_cpu(w.key_len);
	active = le32_to_cpu(w.stream_active);
	stream_len = le64_to_cpu(w.stream_len);
	slot = id & SLOT_MASK;
	gen = id >> VIRTIO_ACCEL_STATE_SLOT_BITS;
	info = virtio_accel_alg_lookup(op, algo);

#define BAD(rule_, off_, reason_)					\
	do {								\
		err->rule = (rule_);					\
		err->offset = (off_);					\
		err->reason = (reason_);				\
		goto refuse;						\
	} while (0)
	if (w.pad)
		BAD(4, OFF(pad), "rule 4 (SESSION): padding not zero");
	if (!id)
		BAD(7, OFF(id), "rule 7 (SESSION): id 0");
	if (slot >= d->max_sessions)
		BAD(7, OFF(id), "rule 7 (SESSION): slot not below max_sessions");
	if (gen >= d->next_gen)
		BAD(7, OFF(id),
		    "rule 7 (SESSION): generation not below next_gen");
	if (r->st->nsessions &&
	    slot <= (r->st->sessions[r->st->nsessions - 1].id & SLOT_MASK))
		BAD(7, OFF(id),
		    "rule 7 (SESSION): slot not above the previous session's (duplicate or order)");
	if (r->st->nsessions >= r->nsessions)
		BAD(7, off - REC_LEN,
		    "rule 7 (SESSION): more sessions than DEVICE.nsessions");
	if (!info || op == VIRTIO_ACCEL_OP_NULL ||
	    !(d->implemented & VIRTIO_ACCEL_IMPL_BIT(op, algo)))
		BAD(7, OFF(op), "rule 7 (SESSION): (op, algo) not implemented");
	if (flags & ~(u32)VIRTIO_ACCEL_SESS_F_STREAM)
		BAD(7, OFF(flags), "rule 7 (SESSION): unknown flags");
	if ((flags & VIRTIO_ACCEL_SESS_F_STREAM) &&
	    (!info->stream || !(d->features & (1ULL << VIRTIO_ACCEL_F_STREAM))))
		BAD(7, OFF(flags),
		    "rule 7 (SESSION): SESS_F_STREAM for a pair or device without streams");
	if (key_len < info->min_key_len || key_len > info->max_key_len ||
	    key_len > d->max_key_len)
		BAD(7, OFF(key_len),
		    "rule 7 (SESSION): key_len outside the algorithm's range");
	if (!all_zero(w.key + key_len, sizeof(w.key) - key_len))
		BAD(7, OFF(key) + key_len,
		    "rule 7 (SESSION): key bytes past key_len not zero");
	if (active > 1 || (active && !(flags & VIRTIO_ACCEL_SESS_F_STREAM)))
		BAD(7, OFF(stream_active),
		    "rule 7 (SESSION): stream_active not 0/1, or set without SESS_F_STREAM");
	if (!active && stream_len)
		BAD(7, OFF(stream_len),
		    "rule 7 (SESSION): stream_len without an open stream");
	if (virtio_accel_is_comp_stream(op, flags) &&
	    ++r->ncomp > d->max_comp_streams)
		BAD(7, OFF(flags),
		    "rule 7 (SESSION): more DEFLATE stream sessions than max_comp_streams");
#undef BAD

	s = &r->st->sessions[r->st->nsessions++];
	zero(s, sizeof(*s));
	s->id = id;
	s->c.op = op;
	s->c.algo = algo;
	s->c.flags = flags;
	s->c.key_len = key_len;
	s->c.stream_active = active;
	s->c.stream_len = stream_len;
	cpy(s->c.key, w.key, sizeof(s->c.key));
	virtio_accel_wipe(&w, sizeof(w));
	r->cur = s;
	r->cur_has_stream = 0;
	return 0;
refuse:
	virtio_accel_wipe(&w, sizeof(w));
	return -EBADMSG;
#undef OFF
}

/* Rule 8: a stream record of @type, payload @p of @plen bytes, at @off. */
static int rec_stream(struct rd *r, u16 type, const u8 *p, u64 plen, u64 off)
{
	struct virtio_accel_state_err *err = r->err;
	struct virtio_accel_state_session *s = r->cur;
	struct virtio_accel_state_stream *st;
	u64 sess;

	cpy(&sess, p, sizeof(sess));
	sess = le64_to_cpu(sess);
	if (!s || r->cur_has_stream)
		REFUSE(-EBADMSG, 8, off,
		       "rule 8 (stream): not directly after its SESSION, or a second stream record");
	if (sess != s->id)
		REFUSE(-EBADMSG, 8, off,
		       "rule 8 (stream): names another session than the SESSION before it");
	if (!(s->c.flags & VIRTIO_ACCEL_SESS_F_STREAM) || !s->c.stream_active)
		REFUSE(-EBADMSG, 8, off,
		       "rule 8 (stream): its session has no open stream");
	if (type != VIRTIO_ACCEL_STREC_LOST &&
	    type != stream_kind(s->c.op, s->c.algo))
		REFUSE(-EBADMSG, 8, off,
		       "rule 8 (stream): record type does not match the session's (op, algo)");
	st = &s->st;
	st->kind = type;

	switch (type) {
	case VIRTIO_ACCEL_STREC_SHA256:
	case VIRTIO_ACCEL_STREC_HMAC_SHA256: {
#define OFF(f)	(off + offsetof(struct virtio_accel_strec_sha256, f))
		struct virtio_accel_strec_sha256 w;

		cpy(&w, p, sizeof(w));
		cpy(st->u.sha.h, w.h, sizeof(w.h));
		st->u.sha.total = le64_to_cpu(w.total);
		st->u.sha.buf_len = le32_to_cpu(w.buf_len);
		cpy(st->u.sha.buf, w.buf, sizeof(w.buf));
		if (w.pad)
			REFUSE(-EBADMSG, 4, OFF(pad),
			       "rule 4 (SHA256): padding not zero");
		if (st->u.sha.total != s->c.stream_len)
			REFUSE(-EBADMSG, 8, OFF(total),
			       "rule 8 (SHA256): total differs from the session's stream_len");
		if (st->u.sha.total >= VIRTIO_ACCEL_STATE_SHA_MAX)
			REFUSE(-EBADMSG, 8, OFF(total),
			       "rule 8 (SHA256): total not below 2^61");
		if (st->u.sha.buf_len != st->u.sha.total % 64)
			REFUSE(-EBADMSG, 8, OFF(buf_len),
			       "rule 8 (SHA256): buf_len is not total % 64");
		if (!all_zero(w.buf + st->u.sha.buf_len,
			      sizeof(w.buf) - st->u.sha.buf_len))
			REFUSE(-EBADMSG, 8, OFF(buf) + st->u.sha.buf_len,
			       "rule 8 (SHA256): buf bytes past buf_len not zero");
		break;
#undef OFF
	}
	case VIRTIO_ACCEL_STREC_CRC32C: {
		struct virtio_accel_strec_crc32c w;

		cpy(&w, p, sizeof(w));
		if (w.pad)
			REFUSE(-EBADMSG, 4,
			       off + offsetof(struct virtio_accel_strec_crc32c,
					      pad),
			       "rule 4 (CRC32C): padding not zero");
		st->u.crc.crc = le32_to_cpu(w.crc);
		break;
	}
	case VIRTIO_ACCEL_STREC_AES256GCM: {
#define OFF(f)	(off + offsetof(struct virtio_accel_strec_gcm, f))
		struct virtio_accel_strec_gcm w;
		u32 part_len;

		cpy(&w, p, sizeof(w));
		cpy(st->u.gcm.iv, w.iv, sizeof(w.iv));
		part_len = le32_to_cpu(w.part_len);
		st->u.gcm.part_len = part_len;
		st->u.gcm.aad_len = le64_to_cpu(w.aad_len);
		st->u.gcm.ct_len = le64_to_cpu(w.ct_len);
		cpy(st->u.gcm.x, w.x, sizeof(w.x));
		cpy(st->u.gcm.part, w.part, sizeof(w.part));
		if (st->u.gcm.ct_len != s->c.stream_len)
			REFUSE(-EBADMSG, 8, OFF(ct_len),
			       "rule 8 (AES256GCM): ct_len differs from the session's stream_len");
		if (st->u.gcm.ct_len > VIRTIO_ACCEL_GCM_STREAM_MAX)
			REFUSE(-EBADMSG, 8, OFF(ct_len),
			       "rule 8 (AES256GCM): ct_len above 2^36 - 32");
		if (part_len != st->u.gcm.ct_len % 16)
			REFUSE(-EBADMSG, 8, OFF(part_len),
			       "rule 8 (AES256GCM): part_len is not ct_len % 16");
		if (!all_zero(w.part + part_len, sizeof(w.part) - part_len))
			REFUSE(-EBADMSG, 8, OFF(part) + part_len,
			       "rule 8 (AES256GCM): part bytes past part_len not zero");
		if (st->u.gcm.aad_len > r->st->dev.max_aad_len)
			REFUSE(-EBADMSG, 8, OFF(aad_len),
			       "rule 8 (AES256GCM): aad_len above max_aad_len");
		break;
#undef OFF
	}
	case VIRTIO_ACCEL_STREC_DEFLATE_COMP: {
#define OFF(f)	(off + offsetof(struct virtio_accel_strec_deflate, f))
		struct virtio_accel_strec_deflate w;
		u32 level, dict_len, pending_len;

		cpy(&w, p, sizeof(w));
		level = le32_to_cpu(w.level);
		dict_len = le32_to_cpu(w.dict_len);
		pending_len = le32_to_cpu(w.pending_len);
		if (w.pad)
			REFUSE(-EBADMSG, 4, OFF(pad),
			       "rule 4 (DEFLATE_COMP): padding not zero");
		if (level > 9 && level != 0xffffffffu)
			REFUSE(-EBADMSG, 8, OFF(level),
			       "rule 8 (DEFLATE_COMP): level not -1..9");
		if (le32_to_cpu(w.strategy) > 4)
			REFUSE(-EBADMSG, 8, OFF(strategy),
			       "rule 8 (DEFLATE_COMP): strategy not 0..4");
		if (le32_to_cpu(w.mem_level) < 1 ||
		    le32_to_cpu(w.mem_level) > 9)
			REFUSE(-EBADMSG, 8, OFF(mem_level),
			       "rule 8 (DEFLATE_COMP): mem_level not 1..9");
		if (dict_len > VIRTIO_ACCEL_ST_DEFLATE_DICT_MAX)
			REFUSE(-EBADMSG, 8, OFF(dict_len),
			       "rule 8 (DEFLATE_COMP): dict_len above 32768");
		if (pending_len > VIRTIO_ACCEL_ST_DEFLATE_PENDING_MAX)
			REFUSE(-EBADMSG, 8, OFF(pending_len),
			       "rule 8 (DEFLATE_COMP): pending_len above 131072");
		if (plen != sizeof(w) + (u64)dict_len + pending_len)
			REFUSE(-EBADMSG, 4, off - REC_LEN + 4,
			       "rule 4 (DEFLATE_COMP): len is not 32 + dict_len + pending_len");
		st->u.defl.level = level;
		st->u.defl.strategy = le32_to_cpu(w.strategy);
		st->u.defl.mem_level = le32_to_cpu(w.mem_level);
		st->u.defl.dict_len = dict_len;
		st->u.defl.pending_len = pending_len;
		st->u.defl.dict = dict_len ? p + sizeof(w) : NULL;
		st->u.defl.pending = pending_len ? p + sizeof(w) + dict_len :
						   NULL;
		break;
#undef OFF
	}
	case VIRTIO_ACCEL_STREC_LOST: {
		struct virtio_accel_strec_lost w;

		cpy(&w, p, sizeof(w));
		if (w.pad)
			REFUSE(-EBADMSG, 4,
			       off + offsetof(struct virtio_accel_strec_lost,
					      pad),
			       "rule 4 (LOST): padding not zero");
		st->u.lost_reason = le32_to_cpu(w.reason);
		if (st->u.lost_reason != VIRTIO_ACCEL_STLOST_ENGINE)
			REFUSE(-EBADMSG, 8,
			       off + offsetof(struct virtio_accel_strec_lost,
					      reason),
			       "rule 8 (LOST): unknown reason");
		break;
	}
	}
	r->cur_has_stream = 1;
	return 0;
}

/* the exact payload length of a known fixed-size type; 0 variable, ~0 unknown */
static u64 fixed_len(u16 type)
{
	switch (type) {
	case VIRTIO_ACCEL_STREC_DEVICE:
		return sizeof(struct virtio_accel_strec_device);
	case VIRTIO_ACCEL_STREC_QUEUE:
		return sizeof(struct virtio_accel_strec_queue);
	case VIRTIO_ACCEL_STREC_SESSION:
		return sizeof(struct virtio_accel_strec_session);
	case VIRTIO_ACCEL_STREC_SHA256:
	case VIRTIO_ACCEL_STREC_HMAC_SHA256:
		return sizeof(struct virtio_accel_strec_sha256);
	case VIRTIO_ACCEL_STREC_CRC32C:
		return sizeof(struct virtio_accel_strec_crc32c);
	case VIRTIO_ACCEL_STREC_AES256GCM:
		return sizeof(struct virtio_accel_strec_gcm);
	case VIRTIO_ACCEL_STREC_DEFLATE_COMP:
		return 0;
	case VIRTIO_ACCEL_STREC_LOST:
		return sizeof(struct virtio_accel_strec_lost);
	case VIRTIO_ACCEL_STREC_END:
		return sizeof(struct virtio_accel_strec_end);
	default:
		return ~0ULL;
	}
}

static int decode_body(struct rd *r, u64 hdr_len, u64 body_len, u32 nrec,
		       virtio_accel_crc32c_fn *crc32c)
{
	struct virtio_accel_state_err *err = r->err;
	u64 off = hdr_len, end = hdr_len + body_len;
	u32 i, skipped = 0;
	int ret;

	for (i = 0;; i++) {
		struct virtio_accel_strec h;
		u16 type, rflags;
		u64 len, fl;
		const u8 *p;

		err->type = 0;
		if (off == end)
			REFUSE(-EBADMSG, 4, off, "rule 4: no END record");
		if (end - off < REC_LEN)
			REFUSE(-EBADMSG, 4, off,
			       "rule 4: record header beyond the body");
		if (i >= nrec)
			REFUSE(-EBADMSG, 4, off,
			       "rule 4: more records than the header's nrecords");
		cpy(&h, r->b + off, sizeof(h));
		type = le16_to_cpu(h.type);
		rflags = le16_to_cpu(h.rflags);
		len = le32_to_cpu(h.len);
		err->type = type;
		if (pad8(len) > end - off - REC_LEN)
			REFUSE(-EBADMSG, 4, off + 4,
			       "rule 4: record len beyond the body");
		p = r->b + off + REC_LEN;
		if (!all_zero(p + len, pad8(len) - len))
			REFUSE(-EBADMSG, 4, off + REC_LEN + len,
			       "rule 4: record padding not zero");
		if (rflags & ~(u16)CRIT)
			REFUSE(-EBADMSG, 4, off + 2,
			       "rule 4: unknown record flags");
		fl = fixed_len(type);
		if (fl == ~0ULL) {
			if (rflags & CRIT)
				REFUSE(-EOPNOTSUPP, 4, off,
				       "rule 4: unknown critical record type");
			if (!i)
				REFUSE(-EBADMSG, 4, off,
				       "rule 4: first record is not DEVICE");
			if (++skipped > VIRTIO_ACCEL_STATE_MAX_SKIPPED)
				REFUSE(-EBADMSG, 4, off,
				       "rule 4: too many unknown records");
			off += REC_LEN + pad8(len);
			continue;
		}
		if (!(rflags & CRIT))
			REFUSE(-EBADMSG, 4, off + 2,
			       "rule 4: a record of spec 1.0 without CRITICAL");
		if (fl ? len != fl :
			 len < sizeof(struct virtio_accel_strec_deflate))
			REFUSE(-EBADMSG, 4, off + 4,
			       "rule 4: record len is not its type's size");
		if (!i && type != VIRTIO_ACCEL_STREC_DEVICE)
			REFUSE(-EBADMSG, 4, off,
			       "rule 4: first record is not DEVICE");

		switch (type) {
		case VIRTIO_ACCEL_STREC_DEVICE:
			if (r->phase)
				REFUSE(-EBADMSG, 4, off,
				       "rule 4: a second DEVICE record");
			ret = rec_device(r, p, off + REC_LEN);
			r->phase = 1;
			break;
		case VIRTIO_ACCEL_STREC_QUEUE:
			if (r->phase != 1)
				REFUSE(-EBADMSG, 6, off,
				       "rule 6 (QUEUE): after a SESSION record");
			ret = rec_queue(r, p, off + REC_LEN);
			break;
		case VIRTIO_ACCEL_STREC_SESSION:
			ret = close_session(r, off);
			if (!ret)
				ret = rec_session(r, p, off + REC_LEN);
			r->phase = 2;
			break;
		case VIRTIO_ACCEL_STREC_END: {
			struct virtio_accel_strec_end e;

			cpy(&e, p, sizeof(e));
			if (off + REC_LEN + sizeof(e) != end)
				REFUSE(-EBADMSG, 4, off,
				       "rule 4: END is not the last record");
			if (i + 1 != nrec ||
			    le32_to_cpu(e.nrecords_before) != i)
				REFUSE(-EBADMSG, 4, off + REC_LEN,
				       "rule 4 (END): record count differs from nrecords");
			if (le32_to_cpu(e.crc32c) != crc_of(crc32c, r->b, off))
				REFUSE(-EBADMSG, 4, off + REC_LEN + 4,
				       "rule 4 (END): CRC-32C mismatch");
			ret = close_session(r, off);
			if (ret)
				return ret;
			if (r->st->nsessions != r->nsessions)
				REFUSE(-EBADMSG, 7, off,
				       "rule 7: fewer SESSION records than DEVICE.nsessions");
			return 0;
		}
		default:
			ret = rec_stream(r, type, p, len, off + REC_LEN);
			break;
		}
		if (ret)
			return ret;
		off += REC_LEN + pad8(len);
	}
}

int virtio_accel_state_decode(const void *buf, u64 len, u32 flags,
			      const struct virtio_accel_state_device *dst,
			      struct virtio_accel_state *st,
			      virtio_accel_crc32c_fn *crc32c,
			      struct virtio_accel_state_err *err)
{
	struct virtio_accel_state_hdr h;
	struct rd r = {
		.b = buf, .dst = dst, .st = st, .err = err,
	};
	u64 total;
	u32 i;
	int sealed, ret;

	err->rule = 0;
	err->type = 0;
	err->offset = 0;
	err->reason = NULL;
	st->nqueues = 0;
	st->nsessions = 0;
	if (!crc32c || (dst->nr_vq && !st->queues) ||
	    (dst->max_sessions && !st->sessions))
		REFUSE(-EINVAL, 0, 0, "no CRC-32C function or no room");
	if (len > virtio_accel_state_max(dst))
		REFUSE(-E2BIG, 1, virtio_accel_state_max(dst),
		       "rule 1: longer than this destination accepts");
	ret = check_hdr(buf, len, dst, &h, &total, err);
	if (ret)
		return ret;
	sealed = !!(le32_to_cpu(h.flags) & VIRTIO_ACCEL_STATE_F_SEALED);
	if (sealed && !(flags & VIRTIO_ACCEL_STATE_DEC_OPENED))
		REFUSE(-ENOKEY, 3, offsetof(struct virtio_accel_state_hdr, flags),
		       "rule 3: sealed state, no --state-key-file");
	if (!sealed && (flags & VIRTIO_ACCEL_STATE_DEC_OPENED))
		REFUSE(-EACCES, 3, offsetof(struct virtio_accel_state_hdr, flags),
		       "rule 3: plaintext state refused: a state key is configured");
	if (len != total)
		REFUSE(-EBADMSG, 1, len < total ? len : total,
		       "rule 1: length differs from the header's (truncated or trailing bytes)");

	ret = decode_body(&r, le32_to_cpu(h.hdr_len), le32_to_cpu(h.body_len),
			  le32_to_cpu(h.nrecords), crc32c);
	if (ret) {
		/* [SESS-KEY]: no key copy of a refused state stays */
		for (i = 0; i < st->nsessions; i++)
			virtio_accel_wipe(&st->sessions[i],
					  sizeof(st->sessions[i]));
		st->nsessions = 0;
		st->nqueues = 0;
		return ret;
	}
	return 0;
}
