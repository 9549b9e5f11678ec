// SPDX-License-Identifier: BSD-3-Clause
/*
 * The time-of-check/time-of-use engine (see toctou.h).
 *
 * Guest memory layout: four 4 KiB areas (control request, readable part,
 * writable part, indirect table). Each area's first and last 256 bytes are
 * guard bands filled with a canary the device must never write; the
 * rewriter only ever moves a buffer by 8 bytes or names memory outside the
 * guest, so every legitimate device write stays between the guards.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_accel.h>

#include "toctou.h"
#include "vaccel-test.h"

#define AREA		4096u
#define GUARD		256u
#define BUF_OFF		512u
#define N_AREAS		4
#define A_CTRL		0
#define A_RD		1
#define A_WR		2
#define A_IND		3
#define CANARY		0xc3
#define WAIT_MS		5000
#define BOGUS_SID	0xdead0000beefull

enum fkind {
	F_OPCODE, F_ALGO, F_SID, F_FLAGS, F_LEN, F_RSVD,
	F_DADDR, F_DLEN, F_DFLAGS, F_DNEXT,
};

struct field {
	void *p;
	uint8_t size;		/* 2, 4 or 8 */
	uint8_t kind;
	uint8_t layout;		/* a descriptor field */
	uint64_t orig;
};

#define MAX_FIELDS	40
#define N_HDR_FIELDS	10	/* build() adds the header's fields first */

struct tt_rewriter {
	int want;		/* main: 1 rewrite, 0 stop */
	int state;		/* rewriter: 1 while it may write */
	int quit;
	unsigned int nf;
	struct field f[MAX_FIELDS];
	unsigned int na;		/* fields it may change this time */
	uint8_t allowed[MAX_FIELDS];
	uint64_t live_sid;
	uint32_t num;
	uint32_t max_data_len;
	uint64_t outside;
	uint64_t touched;	/* bit per field changed (atomic) */
	unsigned long count;	/* stores made (atomic) */
	unsigned int seed;
};

static uint32_t xs(unsigned int *s)
{
	uint32_t x = *s ? *s : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

static uint64_t pick(struct tt_rewriter *w, const struct field *f)
{
	uint32_t r = xs(&w->seed);
	uint64_t o = f->orig;

	if (r % 10 < 4)
		return o;
	r /= 10;
	switch (f->kind) {
	case F_OPCODE:
		return r % 10 == 9 ? 0xffffffffu : r % 9;
	case F_ALGO:
		return r % 8 == 7 ? 0xffffffffu : r % 7;
	case F_SID: {
		const uint64_t v[] = { 0, w->live_sid, BOGUS_SID, ~0ull };

		return v[r % 4];
	}
	case F_FLAGS:
		return r % 3;
	case F_LEN: {
		const uint64_t v[] = {
			0, 1, 12, 16, 32, 33, 64, o + 1, o - 1, o * 2,
			w->max_data_len, (uint64_t)w->max_data_len + 1,
			0x7fffffffu, 0xffffffffu, 0xfffffff0u,
		};

		return (uint32_t)v[r % (sizeof(v) / sizeof(v[0]))];
	}
	case F_RSVD:
		return r % 2 ? 1 : 1ull << 63;
	case F_DADDR: {
		const uint64_t v[] = { o + 8, o - 8, w->outside, ~0ull - 7, 0 };

		return v[r % 5];
	}
	case F_DLEN: {
		const uint64_t v[] = { 0, o ? o - 1 : 0, o / 2, 1, 0xffffffffu,
				       0x80000000u };

		return (uint32_t)v[r % 6];
	}
	case F_DFLAGS: {
		const uint64_t v[] = { o ^ VRING_DESC_F_NEXT,
				       o ^ VRING_DESC_F_WRITE,
				       o | VRING_DESC_F_INDIRECT, 0 };

		return (uint16_t)v[r % 4];
	}
	default: {
		const uint64_t v[] = { 0, 1, 2, 3, w->num, 0xffff };

		return (uint16_t)v[r % 6];
	}
	}
}

static void store(const struct field *f, uint64_t v)
{
	switch (f->size) {
	case 2:
		__atomic_store_n((uint16_t *)f->p, htole16((uint16_t)v),
				 __ATOMIC_RELAXED);
		break;
	case 4:
		__atomic_store_n((uint32_t *)f->p, htole32((uint32_t)v),
				 __ATOMIC_RELAXED);
		break;
	default:
		__atomic_store_n((uint64_t *)f->p, htole64(v),
				 __ATOMIC_RELAXED);
		break;
	}
}

static void *rewriter(void *arg)
{
	struct tt_rewriter *w = arg;

	for (;;) {
		while (!__atomic_load_n(&w->want, __ATOMIC_SEQ_CST)) {
			if (__atomic_load_n(&w->quit, __ATOMIC_ACQUIRE))
				return NULL;
			sched_yield();
		}
		__atomic_store_n(&w->state, 1, __ATOMIC_SEQ_CST);
		while (__atomic_load_n(&w->want, __ATOMIC_SEQ_CST)) {
			unsigned int i;
			uint64_t v;

			if (!w->na) {
				sched_yield();
				continue;
			}
			i = w->allowed[xs(&w->seed) % w->na];
			v = pick(w, &w->f[i]);

			store(&w->f[i], v);
			__atomic_fetch_add(&w->count, 1, __ATOMIC_RELAXED);
			if (v != w->f[i].orig)
				__atomic_fetch_or(&w->touched, 1ull << i,
						  __ATOMIC_RELAXED);
		}
		__atomic_store_n(&w->state, 0, __ATOMIC_SEQ_CST);
	}
}

static void rw_start(struct tt_rewriter *w)
{
	__atomic_store_n(&w->touched, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&w->want, 1, __ATOMIC_SEQ_CST);
}

/* Returns the fields changed while it ran. */
static uint64_t rw_stop(struct tt_rewriter *w)
{
	__atomic_store_n(&w->want, 0, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&w->state, __ATOMIC_SEQ_CST))
		__builtin_ia32_pause();
	return __atomic_load_n(&w->touched, __ATOMIC_RELAXED);
}

static void add_field(struct tt_rewriter *w, void *p, uint8_t size,
		      uint8_t kind, int layout)
{
	struct field *f = &w->f[w->nf++];

	f->p = p;
	f->size = size;
	f->kind = kind;
	f->layout = (uint8_t)layout;
	switch (size) {
	case 2:
		f->orig = le16toh(*(uint16_t *)p);
		break;
	case 4:
		f->orig = le32toh(*(uint32_t *)p);
		break;
	default:
		f->orig = le64toh(*(uint64_t *)p);
		break;
	}
}

static void add_desc(struct tt_rewriter *w, struct vring_desc *d)
{
	add_field(w, &d->addr, 8, F_DADDR, 1);
	add_field(w, &d->len, 4, F_DLEN, 1);
	add_field(w, &d->flags, 2, F_DFLAGS, 1);
	add_field(w, &d->next, 2, F_DNEXT, 1);
}

static uint8_t *area(struct tt_dev *d, unsigned int a)
{
	return d->mem + (size_t)a * AREA;
}

static void guards_fill(struct tt_dev *d)
{
	unsigned int a;

	for (a = 0; a < N_AREAS; a++) {
		memset(area(d, a), CANARY, GUARD);
		memset(area(d, a) + AREA - GUARD, CANARY, GUARD);
	}
}

static int guards_ok(struct tt_dev *d)
{
	unsigned int a, i;

	for (a = 0; a < N_AREAS; a++)
		for (i = 0; i < GUARD; i++)
			if (area(d, a)[i] != CANARY ||
			    area(d, a)[AREA - GUARD + i] != CANARY)
				return 0;
	return 1;
}

static void setd(struct vring_desc *d, uint64_t addr, uint32_t len,
		 uint16_t flags, uint16_t next)
{
	d->addr = htole64(addr);
	d->len = htole32(len);
	d->flags = htole16(flags);
	d->next = htole16(next);
}

static void post(struct tt_dev *d, unsigned int qi, uint16_t head)
{
	struct tt_ring *q = &d->q[qi];

	__atomic_store_n(&q->avail->ring[q->av % q->num], htole16(head),
			 __ATOMIC_RELAXED);
	q->av++;
	__atomic_store_n(&q->avail->idx, htole16(q->av), __ATOMIC_RELEASE);
	d->kick(d, qi);
}

/* 1 completed, 0 stopped, -1 hang. */
static int wait_used(struct tt_dev *d, unsigned int qi)
{
	struct tt_ring *q = &d->q[qi];
	uint64_t start = now_us(), next = start + 1000;

	for (;;) {
		uint16_t u = le16toh(__atomic_load_n(&q->used->idx,
						     __ATOMIC_ACQUIRE));
		uint64_t now;

		if (u == q->av)
			return 1;
		now = now_us();
		if (now > next) {
			if (d->stopped(d))
				return 0;
			next = now + 1000;
		}
		if (now - start > WAIT_MS * 1000)
			return -1;
		/* leave the CPUs to the device and the rewriter */
		usleep(now - start > 1000 ? 50 : 5);
	}
}

/* A live HMAC session for the rewriter to name; 0 if none. */
static uint64_t make_session(struct tt_dev *d)
{
	struct virtio_accel_ctrl_req *h = (void *)(area(d, A_CTRL) + BUF_OFF);
	uint8_t *resp = (uint8_t *)h + 128;
	struct tt_ring *q = &d->q[0];
	uint64_t id;

	memset(h, 0, 32 + 32);
	h->opcode = htole32(VIRTIO_ACCEL_CTRL_CREATE_SESSION);
	h->op = htole32(VIRTIO_ACCEL_OP_MAC);
	h->algo = htole32(VIRTIO_ACCEL_ALG_HMAC_SHA256);
	h->key_len = htole32(32);
	memset((uint8_t *)h + 32, 0x61, 32);
	memset(resp, 0xaa, 16);
	setd(&q->desc[0], d->ga(d, h), 64, VRING_DESC_F_NEXT, 1);
	setd(&q->desc[1], d->ga(d, resp), 16, VRING_DESC_F_WRITE, 0);
	post(d, 0, 0);
	if (wait_used(d, 0) != 1 || resp[15] != VIRTIO_ACCEL_OK)
		return 0;
	memcpy(&id, resp, 8);
	return le64toh(id);
}

enum tmpl {
	T_NULL, T_SHA, T_CRC, T_HMAC, T_HMAC_SESS, T_ENC, T_DEC, T_COMP,
	T_DECOMP, T_MAX,
};

struct built {
	uint8_t *rd, *wr;
	uint32_t rd_len, wr_len, dst_len, src_off, src_len;
	int tmpl;
};

static void build(struct tt_dev *d, struct tt_rewriter *w, unsigned int *s,
		  uint64_t sid, struct built *b)
{
	struct virtio_accel_op_req *h;
	uint32_t key = 0, iv = 0, aad = 0, src = 1 + xs(s) % 512, dst, i;
	uint32_t op = 0, algo = 0;
	struct tt_ring *q = &d->q[1];
	struct vring_desc *t, *ind;
	uint64_t hsid = 0;
	int indirect = xs(s) & 1;

	b->tmpl = (int)(xs(s) % T_MAX);
	if (b->tmpl == T_HMAC_SESS && !sid)
		b->tmpl = T_HMAC;
	switch (b->tmpl) {
	case T_NULL:
		dst = src;
		break;
	case T_SHA:
		op = VIRTIO_ACCEL_OP_HASH;
		algo = VIRTIO_ACCEL_ALG_SHA256;
		dst = 32;
		break;
	case T_CRC:
		op = VIRTIO_ACCEL_OP_HASH;
		algo = VIRTIO_ACCEL_ALG_CRC32C;
		dst = 4;
		break;
	case T_HMAC:
		op = VIRTIO_ACCEL_OP_MAC;
		algo = VIRTIO_ACCEL_ALG_HMAC_SHA256;
		key = 32;
		dst = 32;
		break;
	case T_HMAC_SESS:
		op = VIRTIO_ACCEL_OP_MAC;
		algo = VIRTIO_ACCEL_ALG_HMAC_SHA256;
		hsid = sid;
		dst = 32;
		break;
	case T_ENC:
		op = VIRTIO_ACCEL_OP_AEAD_ENCRYPT;
		algo = VIRTIO_ACCEL_ALG_AES256_GCM;
		key = 32;
		iv = 12;
		aad = 16;
		dst = src + 16;
		break;
	case T_DEC:
		op = VIRTIO_ACCEL_OP_AEAD_DECRYPT;
		algo = VIRTIO_ACCEL_ALG_AES256_GCM;
		key = 32;
		iv = 12;
		src += 16;
		dst = src - 16;
		break;
	case T_COMP:
		op = VIRTIO_ACCEL_OP_COMPRESS;
		algo = VIRTIO_ACCEL_ALG_DEFLATE;
		dst = src + 64;
		break;
	default:
		op = VIRTIO_ACCEL_OP_DECOMPRESS;
		algo = VIRTIO_ACCEL_ALG_DEFLATE;
		dst = 1024;
		break;
	}
	b->rd = area(d, A_RD) + BUF_OFF;
	b->wr = area(d, A_WR) + BUF_OFF;
	b->rd_len = 64 + key + iv + aad + src;
	b->dst_len = dst;
	b->wr_len = dst + 16;
	b->src_off = 64 + key + iv + aad;
	b->src_len = src;
	h = (void *)b->rd;
	memset(h, 0, 64);
	h->opcode = htole32(op);
	h->algo = htole32(algo);
	h->session_id = htole64(hsid);
	h->request_id = htole64(0x70c70u);
	h->key_len = htole32(key);
	h->iv_len = htole32(iv);
	h->aad_len = htole32(aad);
	h->src_len = htole32(src);
	h->dst_len = htole32(dst);
	for (i = 64; i < b->rd_len; i++)
		b->rd[i] = (uint8_t)xs(s);
	memset(b->wr, 0xaa, b->wr_len);

	/* hdr | key..src | dst | resp, direct or in an indirect table */
	ind = (struct vring_desc *)(area(d, A_IND) + BUF_OFF);
	memset(q->desc, 0, sizeof(*q->desc) * q->num);
	memset(ind, 0, 8 * sizeof(*ind));
	t = indirect ? ind : q->desc;
	setd(&t[0], d->ga(d, b->rd), 64, VRING_DESC_F_NEXT, 1);
	setd(&t[1], d->ga(d, b->rd + 64), b->rd_len - 64, VRING_DESC_F_NEXT,
	     2);
	setd(&t[2], d->ga(d, b->wr), dst,
	     VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 3);
	setd(&t[3], d->ga(d, b->wr + dst), 16, VRING_DESC_F_WRITE, 0);
	if (indirect)
		setd(&q->desc[0], d->ga(d, ind), 64, VRING_DESC_F_INDIRECT, 0);

	w->nf = 0;
	add_field(w, &h->opcode, 4, F_OPCODE, 0);
	add_field(w, &h->algo, 4, F_ALGO, 0);
	add_field(w, &h->session_id, 8, F_SID, 0);
	add_field(w, &h->flags, 4, F_FLAGS, 0);
	add_field(w, &h->key_len, 4, F_LEN, 0);
	add_field(w, &h->iv_len, 4, F_LEN, 0);
	add_field(w, &h->aad_len, 4, F_LEN, 0);
	add_field(w, &h->src_len, 4, F_LEN, 0);
	add_field(w, &h->dst_len, 4, F_LEN, 0);
	add_field(w, &h->reserved[0], 8, F_RSVD, 0);
	for (i = 0; i < 4; i++)
		add_desc(w, &t[i]);
	if (indirect)
		add_desc(w, &q->desc[0]);
}

static int all(const uint8_t *p, size_t n, uint8_t v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

static void violation(struct tt_stats *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void violation(struct tt_stats *st, const char *fmt, ...)
{
	va_list ap;

	st->violations++;
	if (st->violations > 10)
		return;
	printf("not ok - toctou: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* What an untouched request of template @t must complete with. */
static int expected(int t, uint8_t status)
{
	if (t == T_DECOMP)
		return 1;
	if (t == T_DEC)
		return status == VIRTIO_ACCEL_AUTH_FAILED;
	return status == VIRTIO_ACCEL_OK;
}

static void check(struct tt_dev *d, const struct built *b, uint64_t touched,
		  uint64_t layout_mask, struct tt_stats *st)
{
	struct tt_ring *q = &d->q[1];
	struct vring_used_elem ue = q->used->ring[(uint16_t)(q->av - 1) %
						  q->num];
	uint32_t len = le32toh(ue.len);
	struct virtio_accel_op_resp resp;
	uint8_t status;

	if (le32toh(ue.id) != 0)
		violation(st, "used element names head %u (posted 0)",
			  le32toh(ue.id));
	if (len && (len < 16 || len > d->max_data_len + 16u))
		violation(st, "used len %u outside 0 and 16..max_data_len+16 (%u)",
			  len, d->max_data_len + 16);
	if (!len) {
		st->noresp++;
		if (!(touched & layout_mask))
			violation(st, "used len 0 for a chain nobody changed (wr_len %u)",
				  b->wr_len);
		return;
	}
	if (touched & layout_mask) {
		/* the device saw another chain: only the bounds above hold */
		return;
	}
	if (len != b->wr_len) {
		violation(st, "used len %u, writable part %u", len, b->wr_len);
		return;
	}
	memcpy(&resp, b->wr + b->dst_len, sizeof(resp));
	status = resp.status;
	if (status >= VIRTIO_ACCEL_S_MAX) {
		violation(st, "undefined status %u", status);
		return;
	}
	st->status[status]++;
	if (status != VIRTIO_ACCEL_OK) {
		if (!all(b->wr, b->dst_len, 0))
			violation(st, "status %u with dst not zeroed",
				  status);
	} else if (le32toh(resp.dst_used) > b->dst_len) {
		violation(st, "dst_used %u > dst_len %u",
			  le32toh(resp.dst_used), b->dst_len);
	}
	if (touched)
		return;
	st->checked++;
	if (!expected(b->tmpl, status))
		violation(st, "untouched request of kind %u: status %u",
			  (unsigned int)b->tmpl, status);
	else if (b->tmpl == T_NULL && status == VIRTIO_ACCEL_OK &&
		 memcmp(b->wr, b->rd + b->src_off, b->src_len))
		violation(st, "NULL request: dst differs from src");
}

static int restart(struct tt_dev *d, uint64_t *sid)
{
	int ret = d->reset(d);

	if (ret)
		return ret;
	guards_fill(d);
	*sid = make_session(d);
	return 0;
}

int tt_run(struct tt_dev *d, double seconds, unsigned int seed,
	   struct tt_stats *st)
{
	struct tt_rewriter *w = calloc(1, sizeof(*w));
	uint64_t end = now_us() + (uint64_t)(seconds * 1e6);
	unsigned int s = seed;
	pthread_t th;
	uint64_t sid;
	int ret = 0;

	memset(st, 0, sizeof(*st));
	if (!w || d->mem_len < N_AREAS * AREA)
		return -EINVAL;
	w->seed = seed * 2654435761u + 1;
	guards_fill(d);
	sid = make_session(d);
	if (pthread_create(&th, NULL, rewriter, w)) {
		free(w);
		return -EAGAIN;
	}
	while (now_us() < end) {
		uint64_t touched, layout = 0;
		struct built b;
		unsigned int i, mode;
		int r;

		w->live_sid = sid;
		w->num = d->q[1].num;
		w->max_data_len = d->max_data_len;
		w->outside = d->outside;
		build(d, w, &s, sid, &b);
		/*
		 * What the rewriter may change this time: nothing (the
		 * baseline must be exact); one field or two (it flips between
		 * the value the device validated and a hostile one: the
		 * classic window between a check and a second read); the
		 * whole header (the chain stays as posted, so status and
		 * lengths can still be checked); all descriptors; everything.
		 */
		mode = xs(&s) % 7;
		w->na = 0;
		for (i = 0; i < w->nf; i++) {
			if (w->f[i].layout)
				layout |= 1ull << i;
			if (mode == 6 || (mode == 4 && !w->f[i].layout) ||
			    (mode == 5 && w->f[i].layout))
				w->allowed[w->na++] = (uint8_t)i;
		}
		/* modes 1, 2: one header / descriptor field; 3: any two */
		for (i = 0; mode >= 1 && mode <= 3 && i < (mode == 3 ? 2 : 1);
		     i++) {
			unsigned int k = xs(&s) % w->nf;

			if (mode == 1)
				k = xs(&s) % N_HDR_FIELDS;
			else if (mode == 2)
				k = N_HDR_FIELDS + xs(&s) % (w->nf - N_HDR_FIELDS);
			w->allowed[w->na++] = (uint8_t)k;
		}
		/*
		 * Rewriting starts before the device can see the request, and
		 * the request is posted once the rewriter is under way.
		 */
		rw_start(w);
		if (w->na) {
			unsigned long c0 = __atomic_load_n(&w->count,
							   __ATOMIC_RELAXED);
			uint64_t until = now_us() + 5000;

			while (__atomic_load_n(&w->count, __ATOMIC_RELAXED) -
			       c0 < 4 && now_us() < until)
				sched_yield();
		}
		post(d, 1, 0);
		r = wait_used(d, 1);
		touched = rw_stop(w);
		st->requests++;
		if (touched)
			st->rewritten++;
		if (r < 0) {
			violation(st, "no completion and no stop in %u ms",
				  WAIT_MS);
			break;
		}
		if (!guards_ok(d))
			violation(st, "a guard band next to the buffers was written");
		if (r == 0) {
			st->stopped++;
			if (!(touched & layout))
				violation(st, "queue stopped for a chain nobody changed");
			ret = restart(d, &sid);
			if (ret) {
				violation(st, "device reset failed: %d", ret);
				break;
			}
			continue;
		}
		check(d, &b, touched, layout, st);
		if (st->violations > 50)
			break;
	}
	__atomic_store_n(&w->quit, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	free(w);
	return st->violations ? -EPROTO : 0;
}

void tt_print(const char *who, const struct tt_stats *st)
{
	static const char * const names[8] = {
		"OK", "ERR", "BADMSG", "NOTSUPP", "INVSESS", "NOSPC",
		"KEY_REJECTED", "AUTH_FAILED",
	};
	unsigned int i;

	printf("# %s: %lu requests, %lu rewritten while in flight, %lu fully checked\n",
	       who, st->requests, st->rewritten, st->checked);
	printf("# %s: statuses:", who);
	for (i = 0; i < 8; i++)
		if (st->status[i])
			printf(" %s %lu", names[i], st->status[i]);
	printf("; used len 0: %lu; queue stopped (then reset): %lu\n",
	       st->noresp, st->stopped);
	printf("%s %s - %s: %lu violations\n", st->violations ? "not ok" : "ok",
	       "1", who, st->violations);
}
