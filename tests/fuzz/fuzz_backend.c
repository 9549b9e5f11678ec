// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fuzz target: the back-end's request processing on top of the descriptor
 * walker, without DPDK: the worker's queue loop (vhost-user-backend/src/
 * worker.c, #included here because va_process_vq() is static: avail index,
 * heads, batches, inflight take/complete, prefetch, used ring) with
 * va_dev_refresh() and inflight recovery, over op.c and ctrl.c (validation,
 * sessions, responses). Engines, allocator and logger are the unit tests'
 * mocks (tests/unit/mock_backend.c); librte_vhost's calls are stubs here
 * over a fake guest memory (two adjacent regions, each its own allocation)
 * and rings allocated at their exact sizes.
 *
 * The input is a script of events: a well-formed request built on a queue
 * (any opcode, session or not, direct or indirect, split over descriptors,
 * header optionally mutated, writable part optionally too short or too
 * long); raw writes of descriptors, memory or the avail ring (an avail
 * index jump, duplicate heads); running a queue, optionally "killing" the
 * back-end at any store of the inflight protocol (VA_INFL_STEP longjmps out,
 * as in tests/unit/test_inflight.c); restarting it (new session table,
 * rings and inflight region re-read); engine results; kick suppression.
 *
 * Invariants asserted:
 *  - per request (va_op_process/va_ctrl_process are wrapped): the used
 *    length is 0 exactly for [REQ-SHORT]/[REQ-HUGE] and then nothing was
 *    written; otherwise the whole writable part: the status is defined,
 *    the reserved bytes and everything between the output and the response
 *    are zero ([VQ-USED-LEN], [ST-NOLEAK]), a failed request reports no
 *    output; the readable part is never written;
 *  - per queue run: used->idx is the device's last_used, at most the queue
 *    size is taken and not completed, an avail index more than the queue
 *    size ahead stops the queue ([RING-BROKEN]) without completing
 *    anything, every used element names a head below the queue size;
 *  - while the driver is conforming (no raw writes): every used element
 *    names a request in flight and carries 0 or its whole writable length;
 *    no queue stops; and, killed at any point and restarted with inflight
 *    tracking (or never killed), every request completes exactly once.
 */
#include <setjmp.h>

static jmp_buf crash_jmp;
static long crash_budget = -1;	/* inflight stores before the "kill" */

#define VA_INFL_STEP()                                                        \
	do {                                                                  \
		if (crash_budget >= 0 && crash_budget-- == 0)                 \
			longjmp(crash_jmp, 1);                                \
	} while (0)

#include "worker.c"

#include "fuzz.h"
#include "../unit/mock_backend.h"

#define NQ		3		/* control + 2 data queues */
#define MAXQ		64
#define GPA0		0x100000ull
#define MEM0		(768u << 10)
#define MEM1		(256u << 10)
#define MEMSZ		(MEM0 + MEM1)
#define SNAP		(128u << 10)
#define MAX_SESS	16
#define MAX_EVENTS	300

/* a device as vhost.c sets it up (vhost.c itself is fuzz_vhost_msg's) */
static struct va_dev va_dev = { .vid = -1 };

/* ---- fake guest: memory, rings, inflight regions ---- */

struct fq {
	uint32_t size;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	struct va_infl_split *infl;
	uint16_t base_avail, base_used;	/* what GET_VRING_BASE says */
	/* the driver */
	uint16_t avail_idx, used_seen;
	uint8_t desc_busy[MAXQ];
	struct {
		uint8_t busy, ctrl_create;
		uint16_t ndesc;
		uint16_t descs[8];
		uint32_t wr_len;
		uint64_t resp_gpa;
		uint16_t pg[3], npg[3];	/* guest memory it holds */
	} req[MAXQ];
	unsigned int outstanding;
};

static uint8_t *mem0, *mem1;
static struct rte_vhost_memory *memtab;
static struct fq fq[NQ];
static uint64_t sessions[MAX_SESS];
static unsigned int nsess;
static int conforming, lossy, call_eagain;

static uint8_t *g2h(uint64_t gpa, uint64_t *len)
{
	uint64_t got = *len;
	uint8_t *p = (uint8_t *)(uintptr_t)rte_vhost_va_from_guest_pa(memtab,
								      gpa,
								      &got);

	*len = p ? got : 0;
	return p;
}

static void gwrite(uint64_t gpa, const void *src, uint64_t len)
{
	while (len) {
		uint64_t got = len;
		uint8_t *p = g2h(gpa, &got);

		if (!p)
			return;
		memcpy(p, src, got);
		src = (const uint8_t *)src + got;
		gpa += got;
		len -= got;
	}
}

static void gread(uint64_t gpa, void *dst, uint64_t len)
{
	while (len) {
		uint64_t got = len;
		uint8_t *p = g2h(gpa, &got);

		if (!p) {
			memset(dst, 0, len);
			return;
		}
		memcpy(dst, p, got);
		dst = (uint8_t *)dst + got;
		gpa += got;
		len -= got;
	}
}

/*
 * Guest memory for @len bytes, in 1 KiB pages not used by a request in
 * flight (next fit: it may straddle the two regions). 0: none free.
 */
#define PAGE		1024u
#define NPAGES		(MEMSZ / PAGE)
static uint8_t page_busy[NPAGES];
static uint32_t page_next;

static uint64_t galloc(uint64_t len, uint16_t *first, uint16_t *count)
{
	uint32_t n = (uint32_t)((len + PAGE - 1) / PAGE), tries, i;

	if (!n)
		n = 1;
	for (tries = 0; tries < NPAGES; tries++) {
		uint32_t at = (page_next + tries) % NPAGES;

		if (at + n > NPAGES)
			continue;
		for (i = 0; i < n && !page_busy[at + i]; i++)
			;
		if (i < n)
			continue;
		memset(page_busy + at, 1, n);
		page_next = at + n;
		*first = (uint16_t)at;
		*count = (uint16_t)n;
		return GPA0 + (uint64_t)at * PAGE;
	}
	return 0;
}

/* ---- librte_vhost, as far as worker.c uses it ---- */

/*
 * The guest memory, and a region of its own for each ring part (far above
 * it: worker.c starts only queues whose rings lie inside one region).
 */
int rte_vhost_get_mem_table(int vid, struct rte_vhost_memory **mem)
{
	size_t n = sizeof(*memtab) + 2 * sizeof(memtab->regions[0]);
	struct rte_vhost_memory *m;
	unsigned int i, k;

	m = calloc(1, n + 3 * NQ * sizeof(memtab->regions[0]));
	if (!m)
		return -1;
	memcpy(m, memtab, n);
	for (i = 0; i < NQ; i++) {
		const void *p[3] = { fq[i].desc, fq[i].avail, fq[i].used };
		uint64_t len[3] = { 16ull * fq[i].size, 6 + 2ull * fq[i].size,
				    6 + 8ull * fq[i].size };

		for (k = 0; k < 3; k++) {
			struct rte_vhost_mem_region *r =
				&m->regions[m->nregions++];

			r->guest_phys_addr = (1ull << 62) +
					     ((uint64_t)(3 * i + k) << 32);
			r->host_user_addr = (uintptr_t)p[k];
			r->size = len[k];
		}
	}
	*mem = m;
	return 0;
}

uint16_t rte_vhost_get_vring_num(int vid)
{
	return NQ;
}

int rte_vhost_get_vhost_vring(int vid, uint16_t i, struct rte_vhost_vring *vr)
{
	if (i >= NQ)
		return -1;
	memset(vr, 0, sizeof(*vr));
	vr->desc = fq[i].desc;
	vr->avail = fq[i].avail;
	vr->used = fq[i].used;
	vr->size = (uint16_t)fq[i].size;
	vr->kickfd = -1;
	vr->callfd = -1;
	return 0;
}

int rte_vhost_get_vring_base(int vid, uint16_t i, uint16_t *la, uint16_t *lu)
{
	if (i >= NQ)
		return -1;
	*la = fq[i].base_avail;
	*lu = fq[i].base_used;
	return 0;
}

int rte_vhost_set_vring_base(int vid, uint16_t i, uint16_t la, uint16_t lu)
{
	if (i >= NQ)
		return -1;
	fq[i].base_avail = la;
	fq[i].base_used = lu;
	return 0;
}

int rte_vhost_vring_call_nonblock(int vid, uint16_t i)
{
	return call_eagain ? -EAGAIN : 0;
}

/* dirty logging (VHOST_F_LOG_ALL) is never negotiated here */
void rte_vhost_log_write(int vid, uint64_t addr, uint64_t len)
{
}

void rte_vhost_log_used_vring(int vid, uint16_t vring_idx, uint64_t offset,
			      uint64_t len)
{
}


/* ---- every request, checked around the real processing ---- */

uint32_t __real_va_op_process(struct va_dev *d, struct va_vq *q,
			      const struct va_chain *c);
uint32_t __real_va_ctrl_process(struct va_dev *d, struct va_vq *q,
				const struct va_chain *c);
uint32_t __wrap_va_op_process(struct va_dev *d, struct va_vq *q,
			      const struct va_chain *c);
uint32_t __wrap_va_ctrl_process(struct va_dev *d, struct va_vq *q,
				const struct va_chain *c);

static int overlap(const struct va_iov *a, const struct va_iov *b)
{
	return a->base < b->base + b->len && b->base < a->base + a->len;
}

/* No two pieces of [a, a + na) and [b, b + nb) share memory. */
static int disjoint(const struct va_iov *a, uint32_t na,
		    const struct va_iov *b, uint32_t nb, int same)
{
	uint32_t i, j;

	for (i = 0; i < na; i++)
		for (j = same ? i + 1 : 0; j < nb; j++)
			if (overlap(&a[i], &b[j]))
				return 0;
	return 1;
}

static int all_zero(const uint8_t *p, uint64_t n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

static uint32_t checked(struct va_dev *d, struct va_vq *q,
			const struct va_chain *c, int ctrl)
{
	static uint8_t snap_rd[SNAP], snap_wr[SNAP], now[SNAP];
	const struct va_iov *wr = c->iov + c->n_rd;
	uint64_t max_wr = ctrl ? VIRTIO_ACCEL_CTRL_MAX_WR_LEN :
				 virtio_accel_max_wr_len(d->lim.max_data_len);
	int small = c->rd_len <= SNAP && c->wr_len <= SNAP;
	uint64_t room, w;
	uint32_t ret;
	uint8_t st;

	if (small) {
		va_iov_read(c->iov, c->n_rd, 0, snap_rd, c->rd_len);
		va_iov_read(wr, c->n_wr, 0, snap_wr, c->wr_len);
	}
	ret = ctrl ? __real_va_ctrl_process(d, q, c) :
		     __real_va_op_process(d, q, c);
	FZ_CHECK(ret == ((c->wr_len < 16 || c->wr_len > max_wr) ? 0 :
							 c->wr_len),
		 "used length %u for a writable part of %llu", ret,
		 (unsigned long long)c->wr_len);
	if (!small)
		return ret;
	if (!ret) {
		/* [REQ-SHORT]: not one byte written */
		va_iov_read(c->iov, c->n_rd, 0, now, c->rd_len);
		FZ_CHECK(!memcmp(now, snap_rd, c->rd_len), "wrote (short)");
		va_iov_read(wr, c->n_wr, 0, now, c->wr_len);
		FZ_CHECK(!memcmp(now, snap_wr, c->wr_len), "wrote (short)");
		return ret;
	}
	if (disjoint(c->iov, c->n_rd, wr, c->n_wr, 0)) {
		va_iov_read(c->iov, c->n_rd, 0, now, c->rd_len);
		FZ_CHECK(!memcmp(now, snap_rd, c->rd_len),
			 "the device wrote into the readable part");
	}
	if (!disjoint(wr, c->n_wr, wr, c->n_wr, 1))
		return ret;
	va_iov_read(wr, c->n_wr, 0, now, c->wr_len);
	room = c->wr_len - 16;
	st = now[c->wr_len - 1];
	FZ_CHECK(st < VIRTIO_ACCEL_S_MAX, "status %u", st);
	if (ctrl) {
		struct virtio_accel_ctrl_resp r;
		uint32_t opc = 0;

		memcpy(&r, now + room, sizeof(r));
		memcpy(&opc, snap_rd, c->rd_len < 4 ? c->rd_len : 4);
		FZ_CHECK(all_zero(r.reserved, sizeof(r.reserved)), "reserved");
		w = (st == VIRTIO_ACCEL_OK &&
		     le32toh(opc) == VIRTIO_ACCEL_CTRL_GET_CAPS) ?
			    le32toh(r.len) : 0;
		FZ_CHECK(w <= room && all_zero(now + w, room - w),
			 "control: %llu bytes after the output not zero",
			 (unsigned long long)(room - w));
		if (st != VIRTIO_ACCEL_OK)
			FZ_CHECK(!r.session_id, "session id on failure");
	} else {
		struct virtio_accel_op_resp r;

		memcpy(&r, now + room, sizeof(r));
		w = le32toh(r.dst_used);
		FZ_CHECK(all_zero(r.reserved, sizeof(r.reserved)), "reserved");
		FZ_CHECK(w <= room, "dst_used %llu > %llu",
			 (unsigned long long)w, (unsigned long long)room);
		FZ_CHECK(all_zero(now + w, room - w),
			 "bytes between the output and the response");
		if (st != VIRTIO_ACCEL_OK)
			FZ_CHECK(!r.dst_used && !r.src_used && !r.flags,
				 "a failed request reports output");
	}
	return ret;
}

uint32_t __wrap_va_op_process(struct va_dev *d, struct va_vq *q,
			      const struct va_chain *c)
{
	return checked(d, q, c, 0);
}

uint32_t __wrap_va_ctrl_process(struct va_dev *d, struct va_vq *q,
				const struct va_chain *c)
{
	return checked(d, q, c, 1);
}

/* ---- the driver ---- */

/* Spec 7.3 rows: op, algo, key length, iv, tag/digest */
static const struct {
	uint8_t op, algo, key, iv, out;
} rows[] = {
	{ 0, 0, 0, 0, 0 },   { 1, 1, 0, 0, 32 },  { 1, 2, 0, 0, 4 },
	{ 2, 3, 32, 0, 32 }, { 3, 4, 32, 12, 16 }, { 4, 4, 32, 12, 16 },
	{ 5, 5, 0, 0, 0 },   { 6, 5, 0, 0, 0 },
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

static int alloc_descs(struct fq *g, unsigned int n, uint16_t *out)
{
	unsigned int i, k = 0;

	for (i = 0; i < g->size && k < n; i++)
		if (!g->desc_busy[i])
			out[k++] = (uint16_t)i;
	return k == n ? 0 : -1;
}

static void set_desc(struct vring_desc *d, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	d->addr = htole64(addr);
	d->len = htole32(len);
	d->flags = htole16(flags);
	d->next = htole16(next);
}

static void publish(struct fq *g, uint16_t head)
{
	g->avail->ring[g->avail_idx % g->size] = htole16(head);
	g->avail_idx++;
	__atomic_store_n(&g->avail->idx, htole16(g->avail_idx),
			 __ATOMIC_RELEASE);
}

/* The header and readable bytes of one request; returns rd_len. */
static uint32_t make_request(struct fz *f, unsigned int qi, uint8_t *buf,
			     uint32_t *wr_len, int *create)
{
	uint32_t key = 0, iv = 0, aad = 0, src, dst, k;
	uint8_t sel = fz_u8(f);

	*create = 0;
	if (qi == VIRTIO_ACCEL_CTRLQ) {
		struct virtio_accel_ctrl_req h;
		unsigned int row = fz_u8(f) % NROWS;

		memset(&h, 0, sizeof(h));
		h.opcode = htole32(sel % 3);
		switch (sel % 3) {
		case VIRTIO_ACCEL_CTRL_GET_CAPS:
			*wr_len = 16 + (fz_u8(f) & 1 ? fz_u16(f) % 512 : 256);
			break;
		case VIRTIO_ACCEL_CTRL_CREATE_SESSION:
			h.op = htole32(rows[row].op);
			h.algo = htole32(rows[row].algo);
			h.flags = htole32((sel >> 2) & 1);
			key = rows[row].key;
			h.key_len = htole32(key);
			*wr_len = 16;
			*create = 1;
			break;
		default:
			h.session_id = htole64(nsess && !(sel & 4) ?
					       sessions[fz_u8(f) % nsess] :
					       fz_u64(f));
			*wr_len = 16;
			break;
		}
		memcpy(buf, &h, sizeof(h));
		fz_bytes(f, buf + sizeof(h), key);
		return sizeof(h) + key;
	} else {
		struct virtio_accel_op_req h;
		unsigned int row = sel % NROWS;

		memset(&h, 0, sizeof(h));
		h.opcode = htole32(rows[row].op);
		h.algo = htole32(rows[row].algo);
		if ((sel & 0x10) && nsess) {
			h.session_id = htole64(sessions[fz_u8(f) % nsess]);
			h.flags = htole32((sel >> 5) & 1);	/* FINAL */
		} else {
			key = rows[row].key;
			iv = rows[row].iv;
		}
		if (rows[row].iv && (sel & 0x40))
			aad = fz_u8(f);
		src = fz_u8(f) & 1 ? fz_u16(f) % 4096 : fz_u8(f);
		switch (rows[row].op) {
		case VIRTIO_ACCEL_OP_NULL:
			dst = src;
			break;
		case VIRTIO_ACCEL_OP_AEAD_ENCRYPT:
			dst = src + 16;
			break;
		case VIRTIO_ACCEL_OP_AEAD_DECRYPT:
			src += 16;
			dst = src - 16;
			break;
		case VIRTIO_ACCEL_OP_COMPRESS:
		case VIRTIO_ACCEL_OP_DECOMPRESS:
			dst = fz_u16(f) % 8192;
			break;
		default:
			dst = rows[row].out;
			break;
		}
		h.key_len = htole32(key);
		h.iv_len = htole32(iv);
		h.aad_len = htole32(aad);
		h.src_len = htole32(src);
		h.dst_len = htole32(dst);
		h.request_id = htole64(fz_u32(f));
		*wr_len = dst + 16;
		memcpy(buf, &h, sizeof(h));
		k = key + iv + aad + src;
		fz_bytes(f, buf + sizeof(h), k < 64 ? k : 64);
		if (k > 64)
			memset(buf + sizeof(h) + 64, 0x3c, k - 64);
		if (sel & 0x80) {
			/* a lie somewhere in the header */
			uint8_t at = fz_u8(f) % sizeof(h);

			buf[at] ^= fz_u8(f);
		}
		return sizeof(h) + k;
	}
}

static void ev_request(struct fz *f)
{
	static uint8_t rd[SNAP];
	unsigned int qi = fz_u8(f) % NQ, nrd, nwr, n, k;
	struct fq *g = &fq[qi];
	uint32_t rd_len, wr_len, cut[6];
	uint64_t rd_gpa, wr_gpa, at, ind_gpa = 0;
	uint16_t descs[8], head, pg[3], npg[3];
	uint8_t lay;
	int create, ind;

	if (!va_dev.vq[qi].ready || g->outstanding >= g->size)
		return;
	rd_len = make_request(f, qi, rd, &wr_len, &create);
	lay = fz_u8(f);
	if (lay & 0x80) {
		/* a writable part too short for a response, or too long */
		wr_len = (lay & 0x40) ? fz_u8(f) % 16 :
			 (uint32_t)(qi ? virtio_accel_max_wr_len(
					 va_dev.lim.max_data_len) :
				 VIRTIO_ACCEL_CTRL_MAX_WR_LEN) + 1 + fz_u8(f);
	}
	nrd = lay % 3 + 1;
	nwr = (lay >> 2) % 2 + 1;
	if (!wr_len)
		nwr = 0;
	n = nrd + nwr;
	/* an indirect table's descriptors count towards the queue size */
	ind = (lay & 0x20) && n <= g->size &&
	      (va_dev.features & (1ull << VIRTIO_RING_F_INDIRECT_DESC));
	if (alloc_descs(g, ind ? 1 : n, descs))
		return;
	memset(pg, 0, sizeof(pg));
	memset(npg, 0, sizeof(npg));
	rd_gpa = galloc(rd_len, &pg[0], &npg[0]);
	wr_gpa = galloc(wr_len, &pg[1], &npg[1]);
	if (ind)
		ind_gpa = galloc(16u * n, &pg[2], &npg[2]);
	if (!rd_gpa || !wr_gpa || (ind && !ind_gpa)) {
		for (k = 0; k < 3; k++)
			memset(page_busy + pg[k], 0, npg[k]);
		return;
	}
	gwrite(rd_gpa, rd, rd_len);
	/* split points: readable pieces then writable ones */
	for (k = 0; k + 1 < nrd; k++)
		cut[k] = rd_len ? fz_u16(f) % (rd_len + 1) : 0;
	cut[nrd - 1] = rd_len;
	for (k = 0; k + 1 < nrd; k++)
		if (cut[k] > cut[k + 1])
			cut[k] = cut[k + 1];
	for (k = 0, at = 0; k < n; k++) {
		struct vring_desc d;
		uint64_t addr, len;
		uint16_t fl = 0;

		if (k < nrd) {
			addr = rd_gpa + at;
			len = cut[k] - at;
			at = cut[k];
		} else {
			uint32_t half = wr_len / 2;

			addr = wr_gpa + (k == nrd ? 0 : half);
			len = nwr == 1 ? wr_len :
			      (k == nrd ? half : wr_len - half);
			fl = VRING_DESC_F_WRITE;
		}
		if (k + 1 < n)
			fl |= VRING_DESC_F_NEXT;
		if (ind) {
			set_desc(&d, addr, (uint32_t)len, fl,
				 (uint16_t)(k + 1 < n ? k + 1 : 0));
			gwrite(ind_gpa + 16u * k, &d, 16);
		} else {
			set_desc(&g->desc[descs[k]], addr, (uint32_t)len, fl,
				 k + 1 < n ? descs[k + 1] : 0);
		}
	}
	if (ind)
		set_desc(&g->desc[descs[0]], ind_gpa, 16u * n,
			 VRING_DESC_F_INDIRECT, 0);
	head = descs[0];
	g->req[head].busy = 1;
	g->req[head].ndesc = (uint16_t)(ind ? 1 : n);
	memcpy(g->req[head].descs, descs, sizeof(descs));
	for (k = 0; k < g->req[head].ndesc; k++)
		g->desc_busy[descs[k]] = 1;
	g->req[head].wr_len = wr_len;
	g->req[head].ctrl_create = (uint8_t)create;
	g->req[head].resp_gpa = wr_gpa + wr_len - 16;
	memcpy(g->req[head].pg, pg, sizeof(pg));
	memcpy(g->req[head].npg, npg, sizeof(npg));
	g->outstanding++;
	FZ_TRACE("queue %u: request head %u (%u descs%s), rd %u wr %u at %u\n",
		 qi, head, n, ind ? ", indirect" : "", rd_len, wr_len,
		 g->avail_idx);
	publish(g, head);
}

/* Take the device's completions, as a conforming driver. */
static void reap(unsigned int qi)
{
	struct fq *g = &fq[qi];
	uint16_t idx = le16toh(__atomic_load_n(&g->used->idx,
						__ATOMIC_ACQUIRE));
	uint64_t max_wr = VIRTIO_ACCEL_CTRL_MAX_WR_LEN;

	if (qi)
		max_wr = virtio_accel_max_wr_len(va_dev.lim.max_data_len);

	while (g->used_seen != idx) {
		struct vring_used_elem *e = &g->used->ring[g->used_seen %
							  g->size];
		uint32_t id = le32toh(e->id), len = le32toh(e->len), k;

		FZ_CHECK(id < g->size, "queue %u: used id %u", qi, id);
		FZ_TRACE("queue %u: used %u: head %u len %u\n", qi,
			 g->used_seen, id, len);
		g->used_seen++;
		if (!conforming)
			continue;
		FZ_CHECK(g->req[id].busy,
			 "queue %u: head %u completed but not in flight", qi,
			 id);
		FZ_CHECK(len == g->req[id].wr_len ||
			 (!len && (g->req[id].wr_len < 16 ||
				   g->req[id].wr_len > max_wr)),
			 "queue %u: head %u used length %u, writable %u", qi,
			 id, len, g->req[id].wr_len);
		if (g->req[id].ctrl_create && len && nsess < MAX_SESS) {
			struct virtio_accel_ctrl_resp r;

			gread(g->req[id].resp_gpa, &r, sizeof(r));
			if (r.status == VIRTIO_ACCEL_OK)
				sessions[nsess++] = le64toh(r.session_id);
		}
		for (k = 0; k < g->req[id].ndesc; k++)
			g->desc_busy[g->req[id].descs[k]] = 0;
		for (k = 0; k < 3; k++)
			memset(page_busy + g->req[id].pg[k], 0,
			       g->req[id].npg[k]);
		g->req[id].busy = 0;
		g->outstanding--;
	}
}

/* ---- the back-end's life ---- */

static void queue_state_reset(struct va_vq *q)
{
	/* what a new process starts with; buffers are kept (not leaked) */
	q->ready = 0;
	q->broken = 0;
	q->call_pending = 0;
	q->infl = NULL;
	q->resub_scan = 1;
	q->nresub = 0;
	q->resub_pos = 0;
	q->last_avail = 0;
	q->last_used = 0;
	q->infl_counter = 0;
}

/* A new back-end process on the same rings (and inflight regions). */
static void restart(void)
{
	unsigned int i;

	va_sessions_fini(&va_dev);
	if (va_sessions_init(&va_dev, va_opts.max_sessions))
		abort();
	for (i = 0; i < NQ; i++) {
		uint16_t u = le16toh(fq[i].used->idx);

		queue_state_reset(&va_dev.vq[i]);
		/* librte_vhost reports the used index for both */
		fq[i].base_avail = u;
		fq[i].base_used = u;
	}
	if (!va_dev.inflight)
		lossy = 1;	/* requests in flight are gone */
	va_dev_refresh(&va_dev);
}

static void run_queue(unsigned int qi, long budget)
{
	struct va_vq *q = &va_dev.vq[qi];
	struct fq *g = &fq[qi];
	uint16_t ai, la, lu;
	int jump;

	if (!va_vq_live(q))
		return;
	ai = le16toh(g->avail->idx);
	la = q->last_avail;
	lu = le16toh(g->used->idx);
	jump = !q->nresub && (uint16_t)(ai - la) > q->size;
	crash_budget = budget;
	FZ_TRACE("queue %u: run (avail %u, last_avail %u, used %u%s)\n", qi, ai,
	      la, lu, budget >= 0 ? ", will be killed" : "");
	if (setjmp(crash_jmp)) {
		crash_budget = -1;
		FZ_TRACE("queue %u: killed; restart\n", qi);
		restart();
		reap(qi);
		return;
	}
	va_process_vq(&va_dev, q);
	crash_budget = -1;
	FZ_CHECK(le16toh(g->used->idx) == q->last_used,
		 "queue %u: used->idx %u, last_used %u", qi,
		 le16toh(g->used->idx), q->last_used);
	FZ_CHECK((uint16_t)(q->last_avail - q->last_used) <= q->size,
		 "queue %u: %u taken and not completed", qi,
		 (uint16_t)(q->last_avail - q->last_used));
	if (jump)
		FZ_CHECK(q->broken && le16toh(g->used->idx) == lu,
			 "queue %u: avail index %u ahead not refused", qi,
			 (uint16_t)(ai - la));
	if (q->infl && !q->broken)
		FZ_CHECK(q->infl->used_idx == q->last_used,
			 "queue %u: inflight used_idx", qi);
	reap(qi);
}

static void ev_raw(struct fz *f, uint8_t ev)
{
	struct fq *g = &fq[fz_u8(f) % NQ];
	uint64_t gpa, len;
	uint8_t buf[64];
	unsigned int n, k;

	conforming = 0;
	switch (ev) {
	case 0: /* a descriptor */
		fz_bytes(f, &g->desc[fz_u8(f) % g->size], 16);
		break;
	case 1: /* guest memory */
		gpa = GPA0 + fz_u32(f) % MEMSZ;
		len = fz_u8(f) % sizeof(buf);
		fz_bytes(f, buf, len);
		gwrite(gpa, buf, len);
		break;
	default: /* avail ring: heads, then an index (maybe a jump) */
		n = fz_u8(f) % 8;
		for (k = 0; k < n; k++)
			g->avail->ring[(g->avail_idx + k) % g->size] =
				htole16(fz_u16(f) % (g->size + 2));
		g->avail_idx += (fz_u8(f) & 1) ? fz_u16(f) : n;
		__atomic_store_n(&g->avail->idx, htole16(g->avail_idx),
				 __ATOMIC_RELEASE);
		break;
	}
}

static int setup_once(void)
{
	static int done;
	unsigned int i;

	if (done)
		return 0;
	mem0 = malloc(MEM0);
	mem1 = malloc(MEM1);
	memtab = calloc(1, sizeof(*memtab) + 2 * sizeof(memtab->regions[0]));
	if (!mem0 || !mem1 || !memtab)
		abort();
	memtab->nregions = 2;
	memtab->regions[0].guest_phys_addr = GPA0;
	memtab->regions[0].host_user_addr = (uintptr_t)mem0;
	memtab->regions[0].size = MEM0;
	memtab->regions[1].guest_phys_addr = GPA0 + MEM0;
	memtab->regions[1].host_user_addr = (uintptr_t)mem1;
	memtab->regions[1].size = MEM1;
	for (i = 0; i < NQ; i++)
		if (va_qctx_init(&va_dev.vq[i].qc, i))
			abort();
	done = 1;
	return 0;
}

static void setup(struct fz *f)
{
	uint8_t opt = fz_u8(f);
	unsigned int i;

	setup_once();
	memset(fq, 0, sizeof(fq));
	memset(page_busy, 0, sizeof(page_busy));
	page_next = 0;
	nsess = 0;
	conforming = 1;
	lossy = 0;
	call_eagain = 0;
	va_opts.test_reorder = !!(opt & 0x40);
	va_dev.vid = 0;
	va_dev.nr_vq = NQ;
	/* all zeros: every feature, inflight tracking */
	va_dev.features = 1ull << VIRTIO_F_VERSION_1;
	if (!(opt & 1))
		va_dev.features |= 1ull << VIRTIO_RING_F_INDIRECT_DESC;
	if (!(opt & 2))
		va_dev.features |= 1ull << VIRTIO_RING_F_EVENT_IDX;
	if (!(opt & 4))
		va_dev.features |= 1ull << VIRTIO_ACCEL_F_MQ;
	va_dev.inflight = !(opt & 8);
	va_dev.lim.implemented = ~0ull;
	va_dev.lim.max_data_len = va_opts.max_data_len;
	va_dev.lim.max_aad_len = VA_MAX_AAD_LEN;
	va_dev.lim.stateless = !(opt & 0x10);
	va_dev.lim.stream = !(opt & 0x20);
	va_dev.lim.max_comp_streams = VIRTIO_ACCEL_COMP_STREAMS_DEFAULT;
	mock_status = VIRTIO_ACCEL_OK;
	mock_dst_used = 0;
	mock_clamp = 1;
	for (i = 0; i < NQ; i++) {
		struct fq *g = &fq[i];
		/* split rings: a power of 2 (librte_vhost refuses others) */
		uint32_t n = 1u << (fz_u8(f) % 7);
		uint16_t start = fz_u16(f);

		g->size = n;
		g->desc = calloc(n, 16);
		g->avail = calloc(1, 4 + 2 * n + 2);
		g->used = calloc(1, 4 + 8 * n + 2);
		/* an inflight region of desc_num entries, maybe too few */
		g->infl = calloc(1, sizeof(*g->infl) +
				 (n + 1) * sizeof(g->infl->desc[0]));
		if (!g->desc || !g->avail || !g->used || !g->infl)
			abort();
		g->infl->version = 1;
		g->infl->desc_num = (uint16_t)(n + 1 - (fz_u8(f) & 1 ? 2 : 0));
		/* the rings start anywhere in the index space */
		g->avail_idx = g->used_seen = start;
		g->avail->idx = htole16(start);
		g->used->idx = htole16(start);
		g->infl->used_idx = start;
		/* what vumsg.c's SET_INFLIGHT_FD leaves: region, entries */
		va_dev.vq[i].infl_region = g->infl;
		va_dev.vq[i].infl_cap = g->infl->desc_num;
		va_dev.vq[i].enabled = 1;
		queue_state_reset(&va_dev.vq[i]);
		g->base_avail = g->base_used = start;
	}
	if (va_sessions_init(&va_dev, va_opts.max_sessions))
		abort();
	va_dev_refresh(&va_dev);
}

static void teardown(void)
{
	unsigned int i;

	va_sessions_fini(&va_dev);
	free(va_dev.mem);
	va_dev.mem = NULL;
	for (i = 0; i < NQ; i++) {
		struct va_vq *q = &va_dev.vq[i];

		free(q->iov);
		free(q->resub);
		q->iov = NULL;
		q->resub = NULL;
		q->iov_cap = 0;
		q->resub_cap = 0;
		free(fq[i].desc);
		free(fq[i].avail);
		free(fq[i].used);
		free(fq[i].infl);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int i, round, ev_count = 0;
	struct fz f;
	int progress;

	fz_init(&f, data, size);
	setup(&f);
	while (fz_left(&f) && ev_count++ < MAX_EVENTS) {
		uint8_t ev = fz_u8(&f);

		switch (ev % 10) {
		case 0:
		case 1:
		case 2:
			ev_request(&f);
			break;
		case 3:
		case 4: {
			unsigned int qi = fz_u8(&f) % NQ;
			uint8_t b = fz_u8(&f);

			run_queue(qi, (b & 0x80) ? b & 0x3f : -1);
			break;
		}
		case 5:
			ev_raw(&f, (ev >> 4) % 3);
			break;
		case 6:
			FZ_TRACE("restart\n");
			restart();
			for (i = 0; i < NQ; i++)
				reap(i);
			break;
		case 7:
			mock_status = fz_u8(&f) % 10;
			if (mock_status >= VIRTIO_ACCEL_S_MAX)
				mock_status = VIRTIO_ACCEL_OK;
			mock_dst_used = fz_u16(&f);
			call_eagain = ev >> 7;
			break;
		case 8: {
			struct va_vq *q = &va_dev.vq[fz_u8(&f) % NQ];

			if (va_vq_live(q))
				va_kicks(&va_dev, q, ev >> 7);
			break;
		}
		default:
			/* a spurious round on every queue */
			for (i = 0; i < NQ; i++)
				run_queue(i, -1);
			break;
		}
	}
	/* the driver waits for everything it submitted */
	for (round = 0, progress = 1; progress && round < 4 * MAXQ; round++) {
		progress = 0;
		for (i = 0; i < NQ; i++) {
			uint16_t before = fq[i].used_seen;

			run_queue(i, -1);
			progress |= fq[i].used_seen != before;
		}
	}
	if (conforming && !lossy) {
		for (i = 0; i < NQ; i++) {
			FZ_CHECK(!va_dev.vq[i].broken,
				 "queue %u stopped under a conforming driver",
				 i);
			FZ_CHECK(!va_dev.vq[i].ready || !fq[i].outstanding,
				 "queue %u: %u requests never completed", i,
				 fq[i].outstanding);
		}
	}
	teardown();
	return 0;
}
