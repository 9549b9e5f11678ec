// SPDX-License-Identifier: BSD-3-Clause
/*
 * Split-ring descriptor walker (virtio 1.x 2.7) with the structural checks
 * of spec section 10 [RING-BROKEN]. No DPDK in this file: unit tests and
 * fuzzers link it alone.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vring.h"

#define barrier() __asm__ __volatile__("" ::: "memory")

/* Read one descriptor from guest memory exactly once (it may be unaligned). */
static void desc_load(const struct vring_desc *table, uint32_t i,
		      struct vring_desc *d)
{
	memcpy(d, (const uint8_t *)table + (uint64_t)i * sizeof(*d),
	       sizeof(*d));
	barrier();
}

static int add_pieces(const struct va_ring_cfg *r, struct va_chain *c,
		      uint64_t gpa, uint32_t len)
{
	uint32_t idx = c->n_rd + c->n_wr;

	if (len && gpa + len - 1 < gpa)
		return -EFAULT;
	while (len) {
		uint64_t got = len;
		void *p = r->xlate(r->opaque, gpa, &got);

		if (!p || !got)
			return -EFAULT;
		if (got > len)
			got = len;
		if (idx >= c->cap)
			return -ENOBUFS;
		c->iov[idx].base = p;
		c->iov[idx].len = (uint32_t)got;
		idx++;
		gpa += got;
		len -= (uint32_t)got;
	}
	return (int)(idx - (c->n_rd + c->n_wr));
}

static int walk_table(const struct va_ring_cfg *r, struct va_chain *c,
		      const struct vring_desc *table, uint32_t entries,
		      uint32_t start, int indirect, int *seen_wr)
{
	uint32_t count = 0, i = start;
	struct vring_desc d;
	uint16_t flags;
	uint64_t addr;
	uint32_t len;
	int ret;

	for (;;) {
		if (i >= entries)
			return -ERANGE;
		if (++count > entries)
			return -ELOOP;
		desc_load(table, i, &d);
		flags = le16toh(d.flags);
		addr = le64toh(d.addr);
		len = le32toh(d.len);

		if (flags & VRING_DESC_F_INDIRECT) {
			uint64_t got = len;
			void *t;

			if (indirect || !r->indirect_ok ||
			    (flags & VRING_DESC_F_NEXT))
				return -EINVAL;
			if (!len || len % sizeof(struct vring_desc))
				return -EINVAL;
			t = r->xlate(r->opaque, addr, &got);
			/* the table must be mapped in one piece */
			if (!t || got < len)
				return -EFAULT;
			return walk_table(r, c, t, len / sizeof(d), 0, 1,
					  seen_wr);
		}

		/* descriptors of an indirect table count (virtio 1.x 2.7.5.3) */
		if (++c->n_desc > r->size)
			return -ELOOP;
		if (flags & VRING_DESC_F_WRITE) {
			*seen_wr = 1;
			c->wr_len += len;
		} else {
			if (*seen_wr)
				return -EPROTO;
			c->rd_len += len;
		}
		if (c->rd_len + c->wr_len > UINT32_MAX)
			return -EOVERFLOW;
		ret = add_pieces(r, c, addr, len);
		if (ret < 0)
			return ret;
		if (flags & VRING_DESC_F_WRITE)
			c->n_wr += (uint32_t)ret;
		else
			c->n_rd += (uint32_t)ret;

		if (!(flags & VRING_DESC_F_NEXT))
			return 0;
		i = le16toh(d.next);
	}
}

int va_chain_walk(const struct va_ring_cfg *r, uint16_t head,
		  struct va_chain *c)
{
	int seen_wr = 0;

	c->n_rd = 0;
	c->n_wr = 0;
	c->n_desc = 0;
	c->rd_len = 0;
	c->wr_len = 0;
	if (!r->size || head >= r->size)
		return -ERANGE;
	return walk_table(r, c, r->desc, r->size, head, 0, &seen_wr);
}

/* Find the piece holding @off; returns its index and the offset inside. */
static uint32_t iov_seek(const struct va_iov *iov, uint32_t n, uint64_t *off)
{
	uint32_t i;

	for (i = 0; i < n && *off >= iov[i].len; i++)
		*off -= iov[i].len;
	return i;
}

/*
 * Guest buffers may overlap each other (a driver can name the same memory as
 * src and dst), so copies between them use memmove().
 */
uint64_t va_iov_read(const struct va_iov *iov, uint32_t n, uint64_t off,
		     void *dst, uint64_t len)
{
	uint32_t i = iov_seek(iov, n, &off);
	uint64_t done = 0;

	for (; i < n && done < len; i++, off = 0) {
		uint64_t k = iov[i].len - off;

		if (k > len - done)
			k = len - done;
		memmove((uint8_t *)dst + done, iov[i].base + off, k);
		done += k;
	}
	return done;
}

uint64_t va_iov_write(const struct va_iov *iov, uint32_t n, uint64_t off,
		      const void *src, uint64_t len)
{
	uint32_t i = iov_seek(iov, n, &off);
	uint64_t done = 0;

	for (; i < n && done < len; i++, off = 0) {
		uint64_t k = iov[i].len - off;

		if (k > len - done)
			k = len - done;
		memmove(iov[i].base + off, (const uint8_t *)src + done, k);
		done += k;
	}
	return done;
}

uint64_t va_iov_zero(const struct va_iov *iov, uint32_t n, uint64_t off,
		     uint64_t len)
{
	uint32_t i = iov_seek(iov, n, &off);
	uint64_t done = 0;

	for (; i < n && done < len; i++, off = 0) {
		uint64_t k = iov[i].len - off;

		if (k > len - done)
			k = len - done;
		memset(iov[i].base + off, 0, k);
		done += k;
	}
	return done;
}

uint8_t *va_iov_contig(const struct va_iov *iov, uint32_t n, uint64_t off,
		       uint64_t len)
{
	uint32_t i = iov_seek(iov, n, &off);

	if (i >= n) {
		/* an empty range at the very end is fine */
		return (len == 0 && off == 0 && n) ?
			iov[n - 1].base + iov[n - 1].len : NULL;
	}
	if (iov[i].len - off < len)
		return NULL;
	return iov[i].base + off;
}

const char *va_chain_strerror(int err)
{
	switch (err) {
	case -ERANGE:
		return "head or next beyond the queue or indirect table";
	case -ELOOP:
		return "descriptor loop, or a chain longer than the queue";
	case -EINVAL:
		return "bad indirect descriptor (nested, with NEXT, or length)";
	case -EPROTO:
		return "readable descriptor after a writable one";
	case -EFAULT:
		return "address outside driver memory";
	case -EOVERFLOW:
		return "total length above 2^32 - 1";
	case -ENOBUFS:
		return "chain splits into too many pieces";
	default:
		return "malformed chain";
	}
}

static int va_resub_cmp(const void *a, const void *b)
{
	const struct va_resub *x = a, *y = b;

	if (x->counter != y->counter)
		return x->counter < y->counter ? -1 : 1;
	return (int)x->head - (int)y->head;
}

uint32_t va_inflight_recover(struct va_infl_split *r, uint32_t size,
			     uint16_t used_idx, struct va_resub *out,
			     uint64_t *next_counter)
{
	/* shared memory: each field read once, then bounded */
	uint16_t dn = __atomic_load_n(&r->desc_num, __ATOMIC_RELAXED);
	uint16_t lbh = __atomic_load_n(&r->last_batch_head, __ATOMIC_RELAXED);
	uint32_t n = dn < size ? dn : size;
	uint32_t i, k = 0;
	uint64_t next = 0;

	if (r->used_idx != used_idx) {
		if (lbh < n)
			r->desc[lbh].inflight = 0;
		barrier();
		r->used_idx = used_idx;
	}
	for (i = 0; i < n; i++) {
		if (r->desc[i].inflight != 1)
			continue;
		out[k].counter = r->desc[i].counter;
		out[k].head = (uint16_t)i;
		if (out[k].counter >= next)
			next = out[k].counter + 1;
		k++;
	}
	if (k > 1)
		qsort(out, k, sizeof(*out), va_resub_cmp);
	*next_counter = next;
	return k;
}
