// SPDX-License-Identifier: BSD-3-Clause
/*
 * Unit tests of the two split-ring implementations against each other and
 * against hostile peers:
 *  - the library's driver side (guest-driver/lib/src/virtqueue.c) builds
 *    chains that the back-end's descriptor walker
 *    (vhost-user-backend/src/vring.c) must read back exactly;
 *  - the walker gets every structurally broken chain of spec [RING-BROKEN];
 *  - the driver gets a hostile used ring.
 * Both run over plain memory: guest addresses are host pointers inside one
 * arena, and the translation callback refuses anything outside it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "../../vhost-user-backend/src/vring.h"
#include "../../guest-driver/lib/src/virtqueue.h"

#define ARENA (1u << 20)
#define QN 8

static uint8_t *arena;
static uint64_t xlate_piece;	/* 0: unlimited, else max contiguous bytes */

static void *xlate(void *opaque, uint64_t gpa, uint64_t *len)
{
	uint64_t base = (uintptr_t)arena, off;

	if (gpa < base || gpa >= base + ARENA) {
		*len = 0;
		return NULL;
	}
	off = gpa - base;
	if (*len > ARENA - off)
		*len = ARENA - off;
	if (xlate_piece && *len > xlate_piece - off % xlate_piece)
		*len = xlate_piece - off % xlate_piece;
	return arena + off;
}

static uint64_t ga(size_t off)
{
	return (uintptr_t)(arena + off);
}

static int ring_init(void)
{
	arena = aligned_alloc(4096, ARENA);
	return arena ? 0 : -1;
}

static int ring_fini(void)
{
	free(arena);
	return 0;
}

/* Descriptor table at arena offset 0, indirect tables at 64 KiB. */
static struct vring_desc *table(void)
{
	memset(arena, 0, 65536 * 2);
	return (struct vring_desc *)arena;
}

static void setd(struct vring_desc *d, uint64_t addr, uint32_t len,
		 uint16_t flags, uint16_t next)
{
	d->addr = htole64(addr);
	d->len = htole32(len);
	d->flags = htole16(flags);
	d->next = htole16(next);
}

static int walk(struct vring_desc *desc, uint32_t size, int ind_ok,
		uint16_t head, struct va_chain *c, struct va_iov *iov,
		uint32_t cap)
{
	struct va_ring_cfg r = {
		.desc = desc, .size = size, .indirect_ok = ind_ok,
		.xlate = xlate, .opaque = NULL,
	};

	memset(c, 0, sizeof(*c));
	c->iov = iov;
	c->cap = cap;
	return va_chain_walk(&r, head, c);
}

/* ---- walker: well-formed chains ---------------------------------------- */

static void t_walk_direct(void)
{
	struct vring_desc *d = table();
	struct va_iov iov[8];
	struct va_chain c;

	setd(&d[0], ga(4096), 64, VRING_DESC_F_NEXT, 3);
	setd(&d[3], ga(8192), 100, VRING_DESC_F_NEXT, 1);
	setd(&d[1], ga(12288), 16, VRING_DESC_F_WRITE, 0);
	CU_ASSERT_EQUAL(walk(d, QN, 1, 0, &c, iov, 8), 0);
	CU_ASSERT_EQUAL(c.n_rd, 2);
	CU_ASSERT_EQUAL(c.n_wr, 1);
	CU_ASSERT_EQUAL(c.rd_len, 164);
	CU_ASSERT_EQUAL(c.wr_len, 16);
	CU_ASSERT_EQUAL(c.n_desc, 3);
	CU_ASSERT_PTR_EQUAL(iov[1].base, arena + 8192);
	/* no writable part at all is structurally fine */
	setd(&d[5], ga(4096), 8, 0, 0);
	CU_ASSERT_EQUAL(walk(d, QN, 1, 5, &c, iov, 8), 0);
	CU_ASSERT_EQUAL(c.wr_len, 0);
}

static void t_walk_indirect(void)
{
	struct vring_desc *d = table();
	struct vring_desc *ind = (struct vring_desc *)(arena + 65536);
	struct va_iov iov[8];
	struct va_chain c;

	setd(&ind[0], ga(4096), 64, VRING_DESC_F_NEXT, 1);
	setd(&ind[1], ga(8192), 10, VRING_DESC_F_NEXT, 2);
	setd(&ind[2], ga(12288), 20, VRING_DESC_F_WRITE, 0);
	/* WRITE on the indirect descriptor itself must be ignored */
	setd(&d[2], ga(65536), 48, VRING_DESC_F_INDIRECT | VRING_DESC_F_WRITE, 0);
	CU_ASSERT_EQUAL(walk(d, QN, 1, 2, &c, iov, 8), 0);
	CU_ASSERT_EQUAL(c.n_rd, 2);
	CU_ASSERT_EQUAL(c.n_wr, 1);
	CU_ASSERT_EQUAL(c.rd_len, 74);
	CU_ASSERT_EQUAL(c.wr_len, 20);
	/* direct descriptors followed by one indirect */
	setd(&d[0], ga(2048), 5, VRING_DESC_F_NEXT, 2);
	CU_ASSERT_EQUAL(walk(d, QN, 1, 0, &c, iov, 8), 0);
	CU_ASSERT_EQUAL(c.rd_len, 79);
}

/* A descriptor spanning translation pieces is split, not truncated. */
static void t_walk_split_regions(void)
{
	struct vring_desc *d = table();
	struct va_iov iov[8];
	struct va_chain c;

	xlate_piece = 4096;
	setd(&d[0], ga(4096 + 4000), 200, 0, 0);
	CU_ASSERT_EQUAL(walk(d, QN, 1, 0, &c, iov, 8), 0);
	CU_ASSERT_EQUAL(c.n_rd, 2);
	CU_ASSERT_EQUAL(iov[0].len, 96);
	CU_ASSERT_EQUAL(iov[1].len, 104);
	CU_ASSERT_EQUAL(c.rd_len, 200);
	/* more pieces than iov[] can hold */
	setd(&d[0], ga(4096), 5 * 4096, 0, 0);
	CU_ASSERT_EQUAL(walk(d, QN, 1, 0, &c, iov, 4), -ENOBUFS);
	xlate_piece = 0;
}

/* ---- walker: [RING-BROKEN] ---------------------------------------------- */

static void t_walk_loop(void)
{
	struct vring_desc *d = table();
	struct va_iov iov[64];
	struct va_chain c;

	setd(&d[0], ga(4096), 8, VRING_DESC_F_NEXT, 1);
	setd(&d[1], ga(4096), 8, VRING_DESC_F_NEXT, 0);
	CU_ASSERT_EQUAL(walk(d, QN, 1, 0, &c, iov, 64), -ELOOP);
	/* self loop */
	setd(&d[4], ga(4096), 8, VRING_DESC_F_NEXT, 4);
	CU_ASSERT_EQUAL(walk(d, QN, 1, 4, &c, iov, 64), -ELOOP);
}

static void t_walk_range(void)
{
	struct vring_desc *d = table();
	struct vring_desc *ind = (struct vring_desc *)(arena + 65536);
	struct va_iov iov[8];
	struct va_chain c;

	setd(&d[0], ga(4096), 8, VRING_DESC_F_NEXT, QN);
	CU_ASSERT_EQUAL(walk(d, QN, 1, 0, &c, iov, 8), -ERANGE);
	CU_ASSERT_EQUAL(walk(d, QN, 1, QN, &c, iov, 8), -ERANGE);
	CU_ASSERT_EQUAL(walk(d, QN, 1, 0xffff, &c, iov, 8), -ERANGE);
	/* next beyond the indirect table */
	setd(&ind[0], ga(4096), 8, VRING_DESC_F_NEXT, 2);
	setd(&ind[1], ga(4096), 8, 0, 0);
	setd(&d[1], ga(65536), 32, VRING_DESC_F_INDIRECT, 0);
	CU_ASSERT_EQUAL(walk(d, QN, 1, 1, &c, iov, 8), -ERANGE);
}

static void t_walk_indirect_bad(void)
{
	struct vring_desc *d = table();
	struct vring_desc *ind = (struct vring_desc *)(arena + 65536);
	struct va_iov iov[8];
	struct va_chain c;

	setd(&ind[0], ga(4096), 8, 0, 0);
	/* nested indirect */
	setd(&ind[1], ga(65536), 16, VRING_DESC_F_INDIRECT, 0);
	setd(&ind[0], ga(4096), 8, VRING_DESC_F_NEXT, 1);
	setd(&d[0], ga(65536), 32, VRING_DESC_F_INDIRECT, 0);
	CU_ASSERT_EQUAL(walk(d, QN, 1, 0, &c, iov, 8), -EINVAL);
	/* indirect with NEXT */
	setd(&ind[0], ga(4096), 8, 0, 0);
	setd(&d[0], ga(65536), 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	setd(&d[1], ga(4096), 8, 0, 0);
	CU_ASSERT_EQUAL(walk(d, QN, 1, 0, &c, iov, 8), -EINVAL);
	/* table length not a multiple of 16, and zero */
	setd(&d[0], ga(65536), 17, VRING_DESC_F_INDIRECT, 0);
	CU_ASSERT_EQUAL(walk(d, QN, 1, 0, &c, iov, 8), -EINVAL);
	setd(&d[0], ga(65536), 0, VRING_DESC_F_INDIRECT, 0);
	CU_ASSERT_EQUAL(walk(d, QN, 1, 0, &c, iov, 8), -EINVAL);
	/* indirect not negotiated */
	setd(&d[0], ga(65536), 16, VRING_DESC_F_INDIRECT, 0);
	CU_ASSERT_EQUAL(walk(d, QN, 0, 0, &c, iov, 8), -EINVAL);
	/* the table itself outside driver memory */
	setd(&d[0], 16, 16, VRING_DESC_F_INDIRECT, 0);
	CU_ASSERT_EQUAL(walk(d, QN, 1, 0, &c, iov, 8), -EFAULT);
	/* a huge table: longer than any queue, must not be walked blindly */
	setd(&d[0], ga(65536), 0xfffffff0u, VRING_DESC_F_INDIRECT, 0);
	CU_ASSERT(walk(d, QN, 1, 0, &c, iov, 8) < 0);
}

/*
 * [RING-BROKEN]: a chain longer than the queue, made of valid descriptors
 * of an indirect table (they count, virtio 1.x 2.7.5.3). The walker used to
 * bound an indirect table only by its own length and accepted it.
 */
static void t_walk_longer_than_queue(void)
{
	struct vring_desc *d = table();
	struct vring_desc *ind = (struct vring_desc *)(arena + 65536);
	struct va_iov iov[64];
	struct va_chain c;
	unsigned int i;

	for (i = 0; i < QN + 1; i++)
		setd(&ind[i], ga(4096 + 8 * i), 8, VRING_DESC_F_NEXT, i + 1);
	setd(&ind[QN], ga(8192), 16, VRING_DESC_F_WRITE, 0);
	setd(&d[0], ga(65536), (QN + 1) * 16, VRING_DESC_F_INDIRECT, 0);
	CU_ASSERT_EQUAL(walk(d, QN, 1, 0, &c, iov, 64), -ELOOP);
	/* exactly the queue size is fine */
	setd(&ind[QN - 1], ga(8192), 16, VRING_DESC_F_WRITE, 0);
	setd(&d[0], ga(65536), QN * 16, VRING_DESC_F_INDIRECT, 0);
	CU_ASSERT_EQUAL(walk(d, QN, 1, 0, &c, iov, 64), 0);
	CU_ASSERT_EQUAL(c.n_desc, QN);
	/* direct descriptors before the indirect one count too */
	setd(&d[1], ga(4096), 8, VRING_DESC_F_NEXT, 0);
	CU_ASSERT_EQUAL(walk(d, QN, 1, 1, &c, iov, 64), -ELOOP);
}

static void t_walk_order_fault_overflow(void)
{
	struct vring_desc *d = table();
	struct va_iov iov[8];
	struct va_chain c;

	/* readable after writable */
	setd(&d[0], ga(4096), 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	setd(&d[1], ga(4096), 8, 0, 0);
	CU_ASSERT_EQUAL(walk(d, QN, 1, 0, &c, iov, 8), -EPROTO);
	/* outside driver memory: before, after, and straddling the end */
	setd(&d[0], 0x1000, 8, 0, 0);
	CU_ASSERT_EQUAL(walk(d, QN, 1, 0, &c, iov, 8), -EFAULT);
	setd(&d[0], ga(ARENA), 8, 0, 0);
	CU_ASSERT_EQUAL(walk(d, QN, 1, 0, &c, iov, 8), -EFAULT);
	setd(&d[0], ga(ARENA - 4), 8, 0, 0);
	CU_ASSERT_EQUAL(walk(d, QN, 1, 0, &c, iov, 8), -EFAULT);
	/* address wrap-around */
	setd(&d[0], UINT64_MAX - 3, 8, 0, 0);
	CU_ASSERT_EQUAL(walk(d, QN, 1, 0, &c, iov, 8), -EFAULT);
	/* total length above 2^32 - 1 (addresses checked too: keep them in
	 * the arena by using zero-based overlapping buffers) */
	xlate_piece = 0;
	setd(&d[0], ga(0), ARENA, VRING_DESC_F_NEXT, 1);
	setd(&d[1], ga(0), ARENA, VRING_DESC_F_NEXT, 2);
	setd(&d[2], ga(0), 0xffffffffu, 0, 0);
	CU_ASSERT(walk(d, QN, 1, 0, &c, iov, 8) < 0);
}

/* ---- iov helpers -------------------------------------------------------- */

static void t_iov_helpers(void)
{
	uint8_t a[5] = "abcde", b[3] = "fgh", out[8] = { 0 };
	struct va_iov iov[2] = { { a, 5 }, { b, 3 } };

	CU_ASSERT_EQUAL(va_iov_read(iov, 2, 3, out, 4), 4);
	CU_ASSERT_EQUAL(memcmp(out, "defg", 4), 0);
	CU_ASSERT_EQUAL(va_iov_read(iov, 2, 6, out, 10), 2);
	CU_ASSERT_EQUAL(va_iov_read(iov, 2, 9, out, 1), 0);
	CU_ASSERT_EQUAL(va_iov_write(iov, 2, 4, "XY", 2), 2);
	CU_ASSERT_EQUAL(a[4], 'X');
	CU_ASSERT_EQUAL(b[0], 'Y');
	CU_ASSERT_EQUAL(va_iov_zero(iov, 2, 7, 5), 1);
	CU_ASSERT_EQUAL(b[2], 0);
	CU_ASSERT_PTR_EQUAL(va_iov_contig(iov, 2, 1, 3), a + 1);
	CU_ASSERT_PTR_NULL(va_iov_contig(iov, 2, 4, 2));
	CU_ASSERT_PTR_NULL(va_iov_contig(iov, 2, 7, 5));
}

/* ---- driver side against the walker ------------------------------------- */

struct pair {
	struct virtqueue vq;
	void *mem;
};

static int pair_init(struct pair *p, int event_idx, int indirect)
{
	memset(arena, 0, ARENA);
	p->mem = arena + 4096;
	return vq_init(&p->vq, QN, p->mem, event_idx, indirect);
}

/* The device side: walk what the driver made available at slot @i. */
static int dev_walk(struct pair *p, uint16_t i, struct va_chain *c,
		    struct va_iov *iov)
{
	uint16_t head = le16toh(p->vq.vr.avail->ring[i % QN]);

	return walk(p->vq.vr.desc, QN, p->vq.indirect, head, c, iov, 16);
}

static void dev_complete(struct pair *p, uint32_t id, uint32_t len)
{
	uint16_t u = le16toh(p->vq.vr.used->idx);

	p->vq.vr.used->ring[u % QN].id = htole32(id);
	p->vq.vr.used->ring[u % QN].len = htole32(len);
	__atomic_store_n(&p->vq.vr.used->idx, htole16(u + 1), __ATOMIC_RELEASE);
}

static void t_driver_roundtrip(void)
{
	int ind;

	for (ind = 0; ind <= 1; ind++) {
		struct pair p;
		struct vq_seg sg[3] = {
			{ ga(200000), 64 }, { ga(300000), 7 }, { ga(400000), 40 },
		};
		struct vring_desc *it = (struct vring_desc *)(arena + 500000);
		struct va_iov iov[16];
		struct va_chain c;
		void *tok = NULL;
		uint32_t len = 0;
		int head;

		CU_ASSERT_EQUAL_FATAL(pair_init(&p, 0, ind), 0);
		head = vq_add(&p.vq, sg, 2, 1, it, 4, ga(500000), &p);
		CU_ASSERT(head >= 0);
		CU_ASSERT(vq_flush(&p.vq));
		CU_ASSERT_EQUAL(le16toh(p.vq.vr.avail->idx), 1);
		CU_ASSERT_EQUAL(dev_walk(&p, 0, &c, iov), 0);
		CU_ASSERT_EQUAL(c.n_rd, 2);
		CU_ASSERT_EQUAL(c.n_wr, 1);
		CU_ASSERT_EQUAL(c.rd_len, 71);
		CU_ASSERT_EQUAL(c.wr_len, 40);
		CU_ASSERT_PTR_EQUAL(iov[2].base, arena + 400000);
		/* indirect: one ring slot for three segments */
		CU_ASSERT_EQUAL(p.vq.num_free, ind ? QN - 1 : QN - 3);
		CU_ASSERT_EQUAL(vq_get_used(&p.vq, &tok, &len), 0);
		dev_complete(&p, (uint32_t)head, 40);
		CU_ASSERT_EQUAL(vq_get_used(&p.vq, &tok, &len), 1);
		CU_ASSERT_PTR_EQUAL(tok, &p);
		CU_ASSERT_EQUAL(len, 40);
		CU_ASSERT_EQUAL(p.vq.num_free, QN);
		vq_destroy(&p.vq);
	}
}

static void t_driver_full(void)
{
	struct pair p;
	struct vq_seg sg[2] = { { ga(200000), 64 }, { ga(300000), 16 } };
	int i, n = 0;

	CU_ASSERT_EQUAL_FATAL(pair_init(&p, 0, 0), 0);
	for (i = 0; i < QN + 2; i++)
		if (vq_add(&p.vq, sg, 1, 1, NULL, 0, 0, NULL) >= 0)
			n++;
	CU_ASSERT_EQUAL(n, QN / 2);
	CU_ASSERT_EQUAL(vq_next_head(&p.vq), -ENOSPC);
	vq_destroy(&p.vq);
}

/* A hostile device: every bad used element breaks the queue, no crash. */
static void t_driver_hostile_used(void)
{
	static const struct { uint32_t id, len; int jump; } bad[] = {
		{ QN, 16, 0 },		/* id out of range */
		{ 0xffffffffu, 16, 0 },	/* id way out of range */
		{ 5, 16, 0 },		/* id not in flight */
		{ 0, 17, 0 },		/* len beyond what was posted */
		{ 0, 16, 5 },		/* used idx jumps past the in-flight count */
	};
	struct vq_seg sg[2] = { { ga(200000), 64 }, { ga(300000), 16 } };
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pair p;
		void *tok;
		uint32_t len;
		int head;

		CU_ASSERT_EQUAL_FATAL(pair_init(&p, 1, 1), 0);
		head = vq_add(&p.vq, sg, 1, 1, NULL, 0, 0, &p);
		CU_ASSERT_EQUAL(head, 0);
		vq_flush(&p.vq);
		dev_complete(&p, bad[i].id, bad[i].len);
		if (bad[i].jump)
			p.vq.vr.used->idx = htole16(le16toh(p.vq.vr.used->idx) +
						    bad[i].jump);
		CU_ASSERT_EQUAL(vq_get_used(&p.vq, &tok, &len), -EIO);
		CU_ASSERT(p.vq.broken);
		CU_ASSERT_EQUAL(vq_get_used(&p.vq, &tok, &len), -EIO);
		CU_ASSERT(vq_add(&p.vq, sg, 1, 1, NULL, 0, 0, &p) < 0);
		vq_destroy(&p.vq);
	}
	/* a duplicate completion of the same head */
	{
		struct pair p;
		void *tok;
		uint32_t len;

		CU_ASSERT_EQUAL_FATAL(pair_init(&p, 0, 0), 0);
		CU_ASSERT_EQUAL(vq_add(&p.vq, sg, 1, 1, NULL, 0, 0, &p), 0);
		CU_ASSERT(vq_add(&p.vq, sg, 1, 1, NULL, 0, 0, &p) >= 0);
		vq_flush(&p.vq);
		dev_complete(&p, 0, 16);
		dev_complete(&p, 0, 16);
		CU_ASSERT_EQUAL(vq_get_used(&p.vq, &tok, &len), 1);
		CU_ASSERT_EQUAL(vq_get_used(&p.vq, &tok, &len), -EIO);
		vq_destroy(&p.vq);
	}
}

/* EVENT_IDX: notify only when the device asked to be told. */
static void t_driver_event_idx(void)
{
	struct pair p;
	struct vq_seg sg[2] = { { ga(200000), 64 }, { ga(300000), 16 } };

	CU_ASSERT_EQUAL_FATAL(pair_init(&p, 1, 0), 0);
	/* device wants a kick when avail idx passes 0 */
	vring_avail_event(&p.vq.vr) = htole16(0);
	vq_add(&p.vq, sg, 1, 1, NULL, 0, 0, NULL);
	CU_ASSERT(vq_flush(&p.vq));
	/* device still busy up to idx 5: no kick for the next ones */
	vring_avail_event(&p.vq.vr) = htole16(5);
	vq_add(&p.vq, sg, 1, 1, NULL, 0, 0, NULL);
	CU_ASSERT(!vq_flush(&p.vq));
	vq_destroy(&p.vq);
	CU_ASSERT(va_need_event(0, 1, 0));
	CU_ASSERT(!va_need_event(5, 2, 1));
}

void register_ring_tests(void)
{
	{
		ADD_SUITE("vring-walker", ring_init, ring_fini);
		ADD_TEST(t_walk_direct);
		ADD_TEST(t_walk_indirect);
		ADD_TEST(t_walk_split_regions);
		ADD_TEST(t_walk_loop);
		ADD_TEST(t_walk_range);
		ADD_TEST(t_walk_indirect_bad);
		ADD_TEST(t_walk_longer_than_queue);
		ADD_TEST(t_walk_order_fault_overflow);
		ADD_TEST(t_iov_helpers);
	}
	{
		ADD_SUITE("virtqueue-driver", ring_init, ring_fini);
		ADD_TEST(t_driver_roundtrip);
		ADD_TEST(t_driver_full);
		ADD_TEST(t_driver_hostile_used);
		ADD_TEST(t_driver_event_idx);
	}
}
