/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Split virtqueue driver, transport independent.
 *
 * The rings live in memory shared with an untrusted device. Everything the
 * driver needs to free a chain (its length, the private "next" links, the
 * writable length it posted) is kept in private arrays; the shared
 * descriptor table is only ever written, never read back. The used ring is
 * validated element by element; a bad element marks the queue broken.
 *
 * Not thread safe: the caller serialises access to one queue.
 */
#ifndef VIRTACCEL_VIRTQUEUE_H
#define VIRTACCEL_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/virtio_ring.h>

/* One buffer of a chain, as the device addresses it. */
struct vq_seg {
	uint64_t addr;
	uint32_t len;
};

struct vq_head {
	void *token;
	uint32_t wr_len; /* sum of the device-writable lengths posted */
	uint16_t ndesc;	 /* ring descriptors used by the chain */
	uint8_t inflight;
	uint8_t pad;
};

struct virtqueue {
	unsigned int num;
	struct vring vr; /* shared with the device */
	bool event_idx;
	bool indirect;
	bool broken;
	uint16_t free_head;
	uint16_t num_free;
	uint16_t avail_idx;  /* private shadow of avail->idx */
	uint16_t kicked_idx; /* avail idx at the last notification */
	uint16_t last_used;
	unsigned int inflight;
	uint16_t *next;	       /* private descriptor links */
	struct vq_head *heads; /* private, indexed by head descriptor */
};

/* Bytes of shared memory the rings of a queue of @num entries need. */
size_t vq_ring_size(unsigned int num);
/* Offsets of the rings inside that memory (for SET_VRING_ADDR & co). */
void vq_ring_layout(unsigned int num, size_t *avail_off, size_t *used_off);

int vq_init(struct virtqueue *vq, unsigned int num, void *ring_mem,
	    bool event_idx, bool indirect);
void vq_destroy(struct virtqueue *vq);

/* Head descriptor the next vq_add() will use, or -ENOSPC / -EIO. */
int vq_next_head(const struct virtqueue *vq);

/*
 * Add one chain: @nrd device-readable segments then @nwr device-writable
 * ones. With @ind (shared memory of @ind_cap entries at device address
 * @ind_addr) and indirect descriptors negotiated, a chain of more than one
 * segment takes one ring slot. Returns the head or -errno. The entry becomes
 * visible to the device at vq_flush().
 */
int vq_add(struct virtqueue *vq, const struct vq_seg *sg, unsigned int nrd,
	   unsigned int nwr, struct vring_desc *ind, unsigned int ind_cap,
	   uint64_t ind_addr, void *token);
/* Publish added chains; returns true if the device wants a notification. */
bool vq_flush(struct virtqueue *vq);

/*
 * Take one used element: 1 with *token and *len set, 0 if none, -EIO if the
 * queue is (or just became) broken.
 */
int vq_get_used(struct virtqueue *vq, void **token, uint32_t *len);
bool vq_has_used(const struct virtqueue *vq);

/*
 * Ask for a notification at the next used element (true: there already is
 * one, do not sleep) or tell the device not to bother.
 */
bool vq_enable_cb(struct virtqueue *vq);
void vq_disable_cb(struct virtqueue *vq);

#endif /* VIRTACCEL_VIRTQUEUE_H */
