// SPDX-License-Identifier: BSD-3-Clause
/*
 * Split virtqueue driver (virtio 1.x, 2.7), shared by every transport.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "virtqueue.h"

#define RING_ALIGN 64

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

void vq_ring_layout(unsigned int num, size_t *avail_off, size_t *used_off)
{
	size_t a = align_up(16ul * num, RING_ALIGN);
	size_t u = align_up(a + 6 + 2ul * num, RING_ALIGN);

	*avail_off = a;
	*used_off = u;
}

size_t vq_ring_size(unsigned int num)
{
	size_t a, u;

	vq_ring_layout(num, &a, &u);
	return align_up(u + 6 + 8ul * num, RING_ALIGN);
}

int vq_init(struct virtqueue *vq, unsigned int num, void *ring_mem,
	    bool event_idx, bool indirect)
{
	size_t a, u;
	unsigned int i;

	if (!num || num > 32768 || (num & (num - 1)))
		return -EINVAL;
	memset(vq, 0, sizeof(*vq));
	vq->next = calloc(num, sizeof(*vq->next));
	vq->heads = calloc(num, sizeof(*vq->heads));
	if (!vq->next || !vq->heads) {
		free(vq->next);
		free(vq->heads);
		return -ENOMEM;
	}
	vq_ring_layout(num, &a, &u);
	memset(ring_mem, 0, vq_ring_size(num));
	vq->num = num;
	vq->vr.num = num;
	vq->vr.desc = ring_mem;
	vq->vr.avail = (struct vring_avail *)((char *)ring_mem + a);
	vq->vr.used = (struct vring_used *)((char *)ring_mem + u);
	vq->event_idx = event_idx;
	vq->indirect = indirect;
	for (i = 0; i < num; i++)
		vq->next[i] = (uint16_t)(i + 1);
	vq->free_head = 0;
	vq->num_free = (uint16_t)num;
	return 0;
}

void vq_destroy(struct virtqueue *vq)
{
	free(vq->next);
	free(vq->heads);
	vq->next = NULL;
	vq->heads = NULL;
}

int vq_next_head(const struct virtqueue *vq)
{
	if (vq->broken)
		return -EIO;
	if (!vq->num_free)
		return -ENOSPC;
	return vq->free_head;
}

static void write_desc(struct vring_desc *d, uint64_t addr, uint32_t len,
		       uint16_t flags, uint16_t next)
{
	d->addr = htole64(addr);
	d->len = htole32(len);
	d->flags = htole16(flags);
	d->next = htole16(next);
}

int vq_add(struct virtqueue *vq, const struct vq_seg *sg, unsigned int nrd,
	   unsigned int nwr, struct vring_desc *ind, unsigned int ind_cap,
	   uint64_t ind_addr, void *token)
{
	unsigned int n = nrd + nwr, k;
	uint16_t head, i, flags;
	uint64_t wr_len = 0;

	if (vq->broken)
		return -EIO;
	if (!n || n < nrd)
		return -EINVAL;
	for (k = nrd; k < n; k++)
		wr_len += sg[k].len;
	if (wr_len > UINT32_MAX)
		return -EINVAL;
	if (!vq->num_free)
		return -ENOSPC;
	head = vq->free_head;

	if (n > 1 && vq->indirect && ind && n <= ind_cap) {
		for (k = 0; k < n; k++) {
			flags = k >= nrd ? VRING_DESC_F_WRITE : 0;
			if (k + 1 < n)
				flags |= VRING_DESC_F_NEXT;
			write_desc(&ind[k], sg[k].addr, sg[k].len, flags,
				   (uint16_t)(k + 1 < n ? k + 1 : 0));
		}
		write_desc(&vq->vr.desc[head], ind_addr,
			   (uint32_t)(n * sizeof(*ind)), VRING_DESC_F_INDIRECT,
			   0);
		vq->free_head = vq->next[head];
		vq->num_free--;
		vq->heads[head].ndesc = 1;
	} else {
		if (n > vq->num_free)
			return -ENOSPC;
		i = head;
		for (k = 0; k < n; k++) {
			flags = k >= nrd ? VRING_DESC_F_WRITE : 0;
			if (k + 1 < n)
				flags |= VRING_DESC_F_NEXT;
			write_desc(&vq->vr.desc[i], sg[k].addr, sg[k].len,
				   flags, k + 1 < n ? vq->next[i] : 0);
			i = vq->next[i];
		}
		vq->free_head = i;
		vq->num_free -= (uint16_t)n;
		vq->heads[head].ndesc = (uint16_t)n;
	}
	vq->heads[head].token = token;
	vq->heads[head].wr_len = (uint32_t)wr_len;
	vq->heads[head].inflight = 1;
	vq->inflight++;
	vq->vr.avail->ring[vq->avail_idx & (vq->num - 1)] = htole16(head);
	vq->avail_idx++;
	return head;
}

bool vq_flush(struct virtqueue *vq)
{
	uint16_t old = vq->kicked_idx, new = vq->avail_idx;
	bool need;

	if (old == new)
		return false;
	/* ring entries before the index */
	__atomic_store_n(&vq->vr.avail->idx, htole16(new), __ATOMIC_RELEASE);
	/* the index before reading the device's suppression state */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vq->kicked_idx = new;
	if (vq->event_idx) {
		uint16_t ev = le16toh(__atomic_load_n(
			&vring_avail_event(&vq->vr), __ATOMIC_RELAXED));

		need = vring_need_event(ev, new, old);
	} else {
		need = !(le16toh(__atomic_load_n(&vq->vr.used->flags,
						 __ATOMIC_RELAXED)) &
			 VRING_USED_F_NO_NOTIFY);
	}
	return need;
}

bool vq_has_used(const struct virtqueue *vq)
{
	return le16toh(__atomic_load_n(&vq->vr.used->idx, __ATOMIC_ACQUIRE)) !=
	       vq->last_used;
}

static void free_chain(struct virtqueue *vq, uint16_t head)
{
	uint16_t tail = head, k;

	for (k = 1; k < vq->heads[head].ndesc; k++)
		tail = vq->next[tail];
	vq->next[tail] = vq->free_head;
	vq->free_head = head;
	vq->num_free += vq->heads[head].ndesc;
	vq->heads[head].inflight = 0;
	vq->heads[head].token = NULL;
	vq->inflight--;
}

int vq_get_used(struct virtqueue *vq, void **token, uint32_t *len)
{
	struct vring_used_elem *e;
	uint16_t used_idx;
	uint32_t id, l;

	if (vq->broken)
		return -EIO;
	used_idx =
		le16toh(__atomic_load_n(&vq->vr.used->idx, __ATOMIC_ACQUIRE));
	if (used_idx == vq->last_used)
		return 0;
	/* the device cannot have completed more than is in flight */
	if ((uint16_t)(used_idx - vq->last_used) > vq->inflight)
		goto broken;
	e = &vq->vr.used->ring[vq->last_used & (vq->num - 1)];
	id = le32toh(__atomic_load_n(&e->id, __ATOMIC_RELAXED));
	l = le32toh(__atomic_load_n(&e->len, __ATOMIC_RELAXED));
	if (id >= vq->num || !vq->heads[id].inflight)
		goto broken;
	if (l > vq->heads[id].wr_len)
		goto broken;
	vq->last_used++;
	*token = vq->heads[id].token;
	*len = l;
	free_chain(vq, (uint16_t)id);
	return 1;
broken:
	vq->broken = true;
	return -EIO;
}

bool vq_enable_cb(struct virtqueue *vq)
{
	if (vq->event_idx)
		__atomic_store_n(&vring_used_event(&vq->vr),
				 htole16(vq->last_used), __ATOMIC_RELAXED);
	else
		__atomic_store_n(&vq->vr.avail->flags, 0, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return vq_has_used(vq);
}

void vq_disable_cb(struct virtqueue *vq)
{
	if (vq->event_idx)
		/* as far away from the next completion as possible */
		__atomic_store_n(&vring_used_event(&vq->vr),
				 htole16((uint16_t)(vq->last_used + 0x7fff)),
				 __ATOMIC_RELAXED);
	else
		__atomic_store_n(&vq->vr.avail->flags,
				 htole16(VRING_AVAIL_F_NO_INTERRUPT),
				 __ATOMIC_RELAXED);
}
