// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fuzz target: the back-end's split-ring descriptor walker and its
 * scatter/gather helpers (vhost-user-backend/src/vring.c): va_chain_walk()
 * over a descriptor table and indirect tables the fuzzer writes, in a fake
 * guest memory of fuzzer-chosen regions (each its own allocation, so any
 * access beyond what the translation callback handed out is an ASan
 * report); va_iov_read/write/zero/contig() on the chains it accepts; and
 * va_inflight_recover() on a fuzzer-written inflight region of exactly
 * desc_num entries.
 *
 * Invariants asserted:
 *  - va_chain_walk() accepts exactly the chains a reference walker written
 *    from spec [RING-BROKEN] accepts, and fails with one of its documented
 *    errors otherwise;
 *  - on success: at most cap pieces, none empty, each inside one region;
 *    the pieces add up to rd_len and wr_len, whose sum is below 2^32; the
 *    descriptor count and both totals are the reference's; the readable
 *    bytes are the reference's bytes;
 *  - va_iov_read/write/zero move min(len, total - off) bytes, exactly
 *    where the reference says; va_iov_contig() returns a pointer only for a
 *    range inside one piece, and then the right one;
 *  - va_inflight_recover(): the result is sorted by (counter, head), holds
 *    every in-flight head below min(desc_num, size) and nothing else, the
 *    completed last_batch_head is cleared when the used index moved, and
 *    next_counter is one above the largest counter.
 */
#include <endian.h>
#include <errno.h>

#include "fuzz.h"
#include "vring.h"

#define MAX_REGIONS	8
#define MAX_QUEUE	256
#define MAX_CAP		80
#define MAX_BYTES	(MAX_REGIONS * 4096)

struct region {
	uint64_t gpa;
	uint32_t size;
	uint8_t *host;
};

static struct region reg[MAX_REGIONS];
static unsigned int nreg;
static uint32_t piece;		/* 0: no limit, else bytes per mapping */

static struct region *find(uint64_t gpa)
{
	unsigned int i;

	for (i = 0; i < nreg; i++)
		if (gpa >= reg[i].gpa && gpa - reg[i].gpa < reg[i].size)
			return &reg[i];
	return NULL;
}

/* The translation callback: first region holding @gpa, like DPDK's. */
static void *xlate(void *opaque, uint64_t gpa, uint64_t *len)
{
	struct region *r = find(gpa);
	uint64_t off, room;

	if (!r) {
		*len = 0;
		return NULL;
	}
	off = gpa - r->gpa;
	room = r->size - off;
	if (piece && room > piece - off % piece)
		room = piece - off % piece;
	if (*len > room)
		*len = room;
	return r->host + off;
}

static int in_one_region(const uint8_t *p, uint32_t len)
{
	unsigned int i;

	for (i = 0; i < nreg; i++)
		if (p >= reg[i].host && p + len <= reg[i].host + reg[i].size)
			return 1;
	return 0;
}

/* ---- reference walker, from spec [RING-BROKEN] ---- */

struct ref {
	uint64_t rd, wr;
	uint32_t ndesc, npieces;
	uint8_t bytes[MAX_BYTES];	/* readable bytes, up to MAX_BYTES */
};

/* Pieces of [gpa, gpa + len) the callback gives, and their bytes. */
static int ref_range(struct ref *r, uint64_t gpa, uint32_t len, int rd)
{
	if (len && gpa + len - 1 < gpa)
		return -1;
	while (len) {
		uint64_t got = len;
		uint8_t *p = xlate(NULL, gpa, &got);

		if (!p || !got)
			return -1;
		if (rd && r->rd - len + got <= MAX_BYTES)
			memcpy(r->bytes + (r->rd - len), p, got);
		r->npieces++;
		gpa += got;
		len -= (uint32_t)got;
	}
	return 0;
}

static int ref_walk(const struct va_ring_cfg *c, uint16_t head, uint32_t cap,
		    struct ref *r)
{
	const struct vring_desc *t = c->desc;
	uint32_t n = c->size, i = head, seen = 0, in_ind = 0;
	int wr_seen = 0;

	memset(r, 0, offsetof(struct ref, bytes));
	if (i >= n)
		return -1;
	for (;;) {
		struct vring_desc d;
		uint16_t fl;

		if (i >= n || ++seen > n)	/* next out of range, loop */
			return -1;
		memcpy(&d, (const uint8_t *)t + 16ull * i, sizeof(d));
		fl = le16toh(d.flags);
		if (fl & VRING_DESC_F_INDIRECT) {
			uint64_t got = le32toh(d.len);

			if (in_ind || !c->indirect_ok ||
			    (fl & VRING_DESC_F_NEXT) || !d.len ||
			    le32toh(d.len) % 16)
				return -1;
			t = xlate(NULL, le64toh(d.addr), &got);
			if (!t || got != le32toh(d.len))
				return -1;
			n = le32toh(d.len) / 16;
			i = 0;
			seen = 0;
			in_ind = 1;
			continue;
		}
		if (++r->ndesc > c->size)	/* longer than the queue */
			return -1;
		if (fl & VRING_DESC_F_WRITE) {
			wr_seen = 1;
			r->wr += le32toh(d.len);
		} else {
			if (wr_seen)	/* readable after writable */
				return -1;
			r->rd += le32toh(d.len);
		}
		if (r->rd + r->wr > UINT32_MAX)
			return -1;
		if (ref_range(r, le64toh(d.addr), le32toh(d.len),
			      !(fl & VRING_DESC_F_WRITE)))
			return -1;
		if (r->npieces > cap)
			return -1;
		if (!(fl & VRING_DESC_F_NEXT))
			return 0;
		i = le16toh(d.next);
	}
}

/* ---- scatter/gather helpers on an accepted chain ---- */

static uint8_t scratch[MAX_BYTES + 64];

static uint64_t expect_n(uint64_t total, uint64_t off, uint64_t len)
{
	if (off >= total)
		return 0;
	return len < total - off ? len : total - off;
}

static void check_iov(struct fz *f, const struct va_chain *c,
		      const struct ref *r)
{
	const struct va_iov *wr = c->iov + c->n_rd;
	uint64_t off, len, got, k, t;
	uint32_t i;
	uint8_t *p;

	/* read: the readable bytes, from any offset */
	off = fz_u16(f) % (c->rd_len + 8);
	len = fz_u16(f) % (sizeof(scratch) + 1);
	got = va_iov_read(c->iov, c->n_rd, off, scratch, len);
	FZ_CHECK(got == expect_n(c->rd_len, off, len), "va_iov_read %llu",
		 (unsigned long long)got);
	if (c->rd_len <= MAX_BYTES)
		FZ_CHECK(!memcmp(scratch, r->bytes + off, got),
			 "va_iov_read bytes");

	/*
	 * write and zero, read back: one byte value, so that pieces naming
	 * the same memory (allowed) cannot make the check fail
	 */
	off = fz_u16(f) % (c->wr_len + 8);
	len = fz_u16(f) % (sizeof(scratch) + 1);
	memset(scratch, 0xa5, len);
	got = va_iov_write(wr, c->n_wr, off, scratch, len);
	FZ_CHECK(got == expect_n(c->wr_len, off, len), "va_iov_write %llu",
		 (unsigned long long)got);
	memset(scratch, 0, got);
	FZ_CHECK(va_iov_read(wr, c->n_wr, off, scratch, got) == got,
		 "read back");
	for (k = 0; k < got; k++)
		FZ_CHECK(scratch[k] == 0xa5, "written byte %llu",
			 (unsigned long long)k);
	got = va_iov_zero(wr, c->n_wr, off, len);
	FZ_CHECK(got == expect_n(c->wr_len, off, len), "va_iov_zero %llu",
		 (unsigned long long)got);
	memset(scratch, 1, got);
	va_iov_read(wr, c->n_wr, off, scratch, got);
	for (k = 0; k < got; k++)
		FZ_CHECK(!scratch[k], "zeroed byte %llu",
			 (unsigned long long)k);

	/* contig: a pointer only inside one piece */
	off = fz_u16(f) % (c->rd_len + 8);
	len = fz_u16(f) % 256;
	p = va_iov_contig(c->iov, c->n_rd, off, len);
	t = off;
	for (i = 0; i < c->n_rd && t >= c->iov[i].len; i++)
		t -= c->iov[i].len;
	if (i < c->n_rd && c->iov[i].len - t >= len)
		FZ_CHECK(p == c->iov[i].base + t, "va_iov_contig pointer");
	else if (i >= c->n_rd && !len && !t && c->n_rd)
		FZ_CHECK(p == c->iov[c->n_rd - 1].base +
			 c->iov[c->n_rd - 1].len, "va_iov_contig at the end");
	else
		FZ_CHECK(!p, "va_iov_contig across pieces");
}

static void fuzz_walk(struct fz *f)
{
	static struct ref r;
	struct va_ring_cfg cfg;
	struct vring_desc *desc;
	struct va_chain c;
	struct va_iov *iov;
	uint32_t size, cap, i, sum;
	uint16_t head;
	uint8_t opt;
	int ret, want;

	size = fz_u8(f) % MAX_QUEUE + 1;
	head = fz_u16(f);
	opt = fz_u8(f);
	piece = fz_u8(f);
	cap = fz_u8(f) % MAX_CAP + 1;
	if (!(opt & 2))
		head %= size;
	desc = malloc(16u * size);
	iov = malloc(sizeof(*iov) * cap);
	if (!desc || !iov)
		abort();
	fz_bytes(f, desc, 16u * size);
	nreg = fz_u8(f) % (MAX_REGIONS + 1);
	for (i = 0; i < nreg; i++) {
		reg[i].gpa = (uint64_t)fz_u16(f) << 4;
		if (opt & 4)
			reg[i].gpa |= (uint64_t)fz_u32(f) << 32;
		reg[i].size = fz_u16(f) % 4096 + 1;
		reg[i].host = malloc(reg[i].size);
		if (!reg[i].host)
			abort();
	}
	for (i = 0; i < nreg; i++)
		fz_bytes(f, reg[i].host, reg[i].size);

	cfg.desc = desc;
	cfg.size = size;
	cfg.indirect_ok = !(opt & 1);
	cfg.xlate = xlate;
	cfg.opaque = NULL;
	memset(&c, 0, sizeof(c));
	c.iov = iov;
	c.cap = cap;
	ret = va_chain_walk(&cfg, head, &c);
	want = ref_walk(&cfg, head, cap, &r);
	FZ_CHECK(ret == 0 || ret == -ERANGE || ret == -ELOOP ||
		 ret == -EINVAL || ret == -EPROTO || ret == -EFAULT ||
		 ret == -EOVERFLOW || ret == -ENOBUFS, "undocumented error %d",
		 ret);
	FZ_CHECK((ret == 0) == (want == 0),
		 "walker says %d (%s), the reference %d", ret,
		 va_chain_strerror(ret), want);
	if (ret)
		goto out;
	FZ_CHECK(c.n_rd + c.n_wr <= cap, "more pieces than iov[]");
	FZ_CHECK(c.rd_len == r.rd && c.wr_len == r.wr && c.n_desc == r.ndesc &&
		 c.n_rd + c.n_wr == r.npieces,
		 "totals %llu/%llu %u descs, reference %llu/%llu %u",
		 (unsigned long long)c.rd_len, (unsigned long long)c.wr_len,
		 c.n_desc, (unsigned long long)r.rd,
		 (unsigned long long)r.wr, r.ndesc);
	FZ_CHECK(c.rd_len + c.wr_len <= UINT32_MAX, "total above 2^32 - 1");
	for (i = 0, sum = 0; i < c.n_rd; i++)
		sum += iov[i].len;
	FZ_CHECK(sum == c.rd_len, "readable pieces add up to %u", sum);
	for (sum = 0; i < c.n_rd + c.n_wr; i++)
		sum += iov[i].len;
	FZ_CHECK(sum == c.wr_len, "writable pieces add up to %u", sum);
	for (i = 0; i < c.n_rd + c.n_wr; i++)
		FZ_CHECK(iov[i].len && in_one_region(iov[i].base, iov[i].len),
			 "piece %u outside the memory it was given", i);
	check_iov(f, &c, &r);
out:
	for (i = 0; i < nreg; i++)
		free(reg[i].host);
	nreg = 0;
	free(iov);
	free(desc);
}

static void fuzz_inflight(struct fz *f)
{
	uint16_t desc_num = fz_u16(f) % 1024, used_idx = fz_u16(f);
	uint32_t size = fz_u16(f) % 1024 + 1, n, i, k, before = 0;
	struct va_infl_split *r;
	struct va_resub *out;
	uint64_t next = 0x5a5a, max = 0;
	uint16_t old_used, lbh;
	uint8_t *was;

	r = malloc(sizeof(*r) + desc_num * sizeof(r->desc[0]));
	out = malloc(size * sizeof(*out));
	was = malloc(desc_num + 1);
	if (!r || !out || !was)
		abort();
	r->features = fz_u64(f);
	r->version = fz_u16(f);
	r->desc_num = desc_num;
	r->last_batch_head = lbh = fz_u16(f);
	r->used_idx = old_used = fz_u16(f) ^ used_idx;
	for (i = 0; i < desc_num; i++) {
		uint8_t b = fz_u8(f);

		memset(&r->desc[i], 0, sizeof(r->desc[i]));
		/* mostly 0 or 1, sometimes any byte */
		r->desc[i].inflight = (b & 0x80) ? fz_u8(f) : (b & 1);
		r->desc[i].counter = (b & 0x40) ? fz_u64(f) : (b >> 1 & 0x1f);
		was[i] = r->desc[i].inflight;
	}
	n = desc_num < size ? desc_num : size;
	k = va_inflight_recover(r, size, used_idx, out, &next);
	if (old_used != used_idx && lbh < n) {
		FZ_CHECK(!r->desc[lbh].inflight,
			 "completed head %u still in flight", lbh);
		was[lbh] = 0;
	}
	FZ_CHECK(r->used_idx == used_idx, "region used_idx not updated");
	for (i = 0; i < n; i++)
		before += was[i] == 1;
	FZ_CHECK(k == before, "%u heads recovered, %u in flight", k, before);
	for (i = 0; i < k; i++) {
		FZ_CHECK(out[i].head < n && was[out[i].head] == 1 &&
			 out[i].counter == r->desc[out[i].head].counter,
			 "entry %u: head %u", i, out[i].head);
		if (i)
			FZ_CHECK(out[i - 1].counter < out[i].counter ||
				 (out[i - 1].counter == out[i].counter &&
				  out[i - 1].head < out[i].head),
				 "not oldest first at %u", i);
		if (out[i].counter >= max)
			max = out[i].counter + 1;
	}
	/* (a counter of 2^64 - 1 has no "one above": not checked) */
	if (!k)
		FZ_CHECK(next == 0, "next_counter %llu with nothing in flight",
			 (unsigned long long)next);
	else if (out[k - 1].counter != UINT64_MAX)
		FZ_CHECK(next == max, "next_counter %llu, largest + 1 %llu",
			 (unsigned long long)next, (unsigned long long)max);
	free(was);
	free(out);
	free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f;

	fz_init(&f, data, size);
	if ((fz_u8(&f) & 3) == 3)
		fuzz_inflight(&f);
	else
		fuzz_walk(&f);
	return 0;
}
