// SPDX-License-Identifier: BSD-3-Clause
/*
 * Split-ring descriptor walker and scatter/gather helpers.
 *
 * Pure code: no DPDK, no I/O, no allocation. Guest addresses are turned into
 * host pointers by a caller-supplied translation callback, so unit tests and
 * fuzzers can drive the walker over plain memory.
 */
#ifndef VA_VRING_H
#define VA_VRING_H

#include <stdint.h>
#include <linux/virtio_ring.h>

/* One host-contiguous piece of a request. */
struct va_iov {
	uint8_t *base;
	uint32_t len;
};

/*
 * Translate guest physical address @gpa. On entry *len is the length wanted,
 * on return the length that is mapped contiguously at the returned pointer
 * (<= the length wanted). Return NULL (or set *len to 0) if @gpa is not in
 * driver memory.
 */
typedef void *(*va_xlate_fn)(void *opaque, uint64_t gpa, uint64_t *len);

struct va_ring_cfg {
	const struct vring_desc *desc;	/* host view of the table */
	uint32_t size;			/* queue size (entries of desc) */
	int indirect_ok;		/* F_INDIRECT_DESC negotiated */
	va_xlate_fn xlate;
	void *opaque;
};

/* Result of walking one chain. iov[] and cap are provided by the caller. */
struct va_chain {
	struct va_iov *iov;
	uint32_t cap;		/* entries of iov[] */
	uint32_t n_rd;		/* iov[0 .. n_rd) is device-readable */
	uint32_t n_wr;		/* then n_wr device-writable */
	uint32_t n_desc;	/* data descriptors, indirect ones included */
	uint64_t rd_len;
	uint64_t wr_len;
};

/*
 * Walk the chain starting at @head. Every descriptor is read exactly once
 * into a local copy. Returns 0, or a negative errno for a structurally
 * broken chain (spec [RING-BROKEN]):
 *   -ERANGE    head or next beyond the queue size / indirect table
 *   -ELOOP     chain longer than the queue size or the indirect table (loop)
 *   -EINVAL    nested indirect, indirect with NEXT, indirect table length
 *              not a multiple of 16 or zero, indirect not negotiated
 *   -EPROTO    a readable descriptor after a writable one
 *   -EFAULT    an address outside driver memory
 *   -EOVERFLOW total length above 2^32 - 1
 *   -ENOBUFS   more host pieces than iov[] can hold
 */
int va_chain_walk(const struct va_ring_cfg *r, uint16_t head,
		  struct va_chain *c);

/* One-line description of a va_chain_walk() error. */
const char *va_chain_strerror(int err);

/* Scatter/gather over iov[0 .. n), starting @off bytes into it. */
uint64_t va_iov_read(const struct va_iov *iov, uint32_t n, uint64_t off,
		     void *dst, uint64_t len);
uint64_t va_iov_write(const struct va_iov *iov, uint32_t n, uint64_t off,
		      const void *src, uint64_t len);
uint64_t va_iov_zero(const struct va_iov *iov, uint32_t n, uint64_t off,
		     uint64_t len);
/* Pointer to [off, off + len) if it lies in one piece, else NULL. */
uint8_t *va_iov_contig(const struct va_iov *iov, uint32_t n, uint64_t off,
		       uint64_t len);

/* virtio event index test (same as vring_need_event()). */
static inline int va_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

#endif /* VA_VRING_H */
