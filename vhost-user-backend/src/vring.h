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

#include <endian.h>
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
 *   -ELOOP     chain longer than the queue size (descriptors of an indirect
 *              table included) or than its table (a loop)
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

/*
 * Inflight I/O tracking for split rings (vhost-user
 * VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD, docs/interop/vhost-user.rst "Inflight
 * I/O tracking"). The region is shared memory the front-end keeps across
 * back-end restarts; one queue region is this header plus desc_num entries,
 * one per descriptor head. Same layout as DPDK's
 * struct rte_vhost_inflight_info_split (checked in worker.c).
 */
struct va_infl_desc {
	uint8_t inflight;	/* 1: taken from avail, not completed */
	uint8_t padding[5];
	uint16_t next;		/* unused for split rings */
	uint64_t counter;	/* order in which heads were taken */
};

struct va_infl_split {
	uint64_t features;
	uint16_t version;
	uint16_t desc_num;
	uint16_t last_batch_head;	/* head of the last completion */
	uint16_t used_idx;		/* used->idx when it was cleared */
	struct va_infl_desc desc[];
};

_Static_assert(sizeof(struct va_infl_desc) == 16, "va_infl_desc");
_Static_assert(sizeof(struct va_infl_split) == 16, "va_infl_split");

/* One request to resubmit: descriptor head and its take-order counter. */
struct va_resub {
	uint64_t counter;
	uint16_t head;
};

/*
 * Recovery after a back-end restart, on the region @r of a queue of @size
 * entries whose used ring index is @used_idx:
 *  1. if the region's used_idx differs from @used_idx, the previous back-end
 *     died between publishing the completion of last_batch_head and clearing
 *     its inflight flag: clear it now (it must not run twice);
 *  2. collect the heads still in flight into @out (room for @size entries),
 *     oldest first (ascending counter; ties by head).
 * Returns how many; *next_counter is one above the largest counter found
 * (0 if none), where new requests must continue counting. Entries at or
 * above min(desc_num, size) are ignored. Pure: no DPDK, no allocation.
 */
uint32_t va_inflight_recover(struct va_infl_split *r, uint32_t size,
			     uint16_t used_idx, struct va_resub *out,
			     uint64_t *next_counter);

/*
 * The per-request protocol on the region (what DPDK's
 * rte_vhost_set_inflight_desc_split(), rte_vhost_set_last_inflight_io_split()
 * and rte_vhost_clr_inflight_desc_split() do, inline: no device lookups and
 * no full fences on the hot path). The region outlives the process; the
 * failure model is the process dying at any instruction, so recovery relies
 * on the program order of these stores (release ordering):
 *   take:     counter, then inflight = 1, before the request is run;
 *   complete: used element and last_batch_head, then used->idx (published
 *             for this one request alone), then inflight = 0, then the
 *             region's used_idx.
 * Dying between used->idx and used_idx leaves exactly one completed request
 * flagged, last_batch_head, which va_inflight_recover() clears. Unit tests
 * define VA_INFL_STEP() to kill the "process" between the stores.
 */
#ifndef VA_INFL_STEP
#define VA_INFL_STEP() do { } while (0)
#endif

static inline void va_infl_take(struct va_infl_split *r, uint64_t *counter,
				uint16_t head)
{
	struct va_infl_desc *e = &r->desc[head];

	e->counter = (*counter)++;
	VA_INFL_STEP();
	__atomic_store_n(&e->inflight, 1, __ATOMIC_RELEASE);
	VA_INFL_STEP();
}

/* Complete @head with @len; *last_used is the device's used index. */
static inline void va_infl_complete(struct va_infl_split *r,
				    struct vring_used *used, uint32_t size,
				    uint16_t *last_used, uint16_t head,
				    uint32_t len)
{
	struct vring_used_elem *ue = &used->ring[*last_used % size];

	ue->id = htole32(head);
	ue->len = htole32(len);
	r->last_batch_head = head;
	VA_INFL_STEP();
	(*last_used)++;
	__atomic_store_n(&used->idx, *last_used, __ATOMIC_RELEASE);
	VA_INFL_STEP();
	__atomic_store_n(&r->desc[head].inflight, 0, __ATOMIC_RELEASE);
	VA_INFL_STEP();
	__atomic_store_n(&r->used_idx, *last_used, __ATOMIC_RELEASE);
	VA_INFL_STEP();
}

/* virtio event index test (same as vring_need_event()). */
static inline int va_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

#endif /* VA_VRING_H */
