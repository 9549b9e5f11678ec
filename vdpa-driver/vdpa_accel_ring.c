// SPDX-License-Identifier: GPL-2.0-only
/*
 * vdpa_accel: split virtqueue access through the device IOTLB.
 *
 * Every access to driver memory (descriptor table, avail and used rings,
 * buffers) goes through the vhost IOTLB of the device, the same model as
 * vringh's iotlb mode in drivers/vdpa/vdpa_sim. Debian's 6.12 kernel is
 * built without CONFIG_VHOST_RING, so vringh cannot be used by an
 * out-of-tree module there; this file is the small subset the device needs,
 * with the structural checks of spec section 10 ([RING-BROKEN]).
 *
 * The IOTLB lock is held across the copy of each page, so a concurrent
 * unmap cannot pull a page from under a copy.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "vdpa_accel.h"

enum vdpa_accel_xfer_op {
	VDPA_ACCEL_READ,
	VDPA_ACCEL_WRITE,
	VDPA_ACCEL_ZERO,
};

static int vdpa_accel_iotlb_xfer(struct vdpa_accel *va, u64 iova, void *buf,
				 size_t len, enum vdpa_accel_xfer_op xop)
{
	u32 perm = xop == VDPA_ACCEL_READ ? VHOST_MAP_RO : VHOST_MAP_WO;

	while (len) {
		struct vhost_iotlb_map *map;
		size_t chunk = len;
		unsigned long pfn;
		u64 pa, room;
		u8 *p;

		spin_lock(&va->iommu_lock);
		map = vhost_iotlb_itree_first(&va->iommu, iova, iova);
		if (!map || !(map->perm & perm)) {
			spin_unlock(&va->iommu_lock);
			return -EFAULT;
		}
		pa = map->addr + (iova - map->start);
		room = map->last - iova;	/* bytes left in the map - 1 */
		if (chunk - 1 > room)
			chunk = room + 1;
		chunk = min_t(size_t, chunk, PAGE_SIZE - offset_in_page(pa));
		pfn = PHYS_PFN(pa);
		if (!pfn_valid(pfn)) {
			spin_unlock(&va->iommu_lock);
			return -EFAULT;
		}
		p = kmap_local_page(pfn_to_page(pfn));
		switch (xop) {
		case VDPA_ACCEL_READ:
			memcpy(buf, p + offset_in_page(pa), chunk);
			break;
		case VDPA_ACCEL_WRITE:
			memcpy(p + offset_in_page(pa), buf, chunk);
			break;
		default:
			memset(p + offset_in_page(pa), 0, chunk);
			break;
		}
		kunmap_local(p);
		spin_unlock(&va->iommu_lock);
		iova += chunk;
		len -= chunk;
		if (buf)
			buf = (u8 *)buf + chunk;
	}
	return 0;
}

int vdpa_accel_iotlb_read(struct vdpa_accel *va, u64 iova, void *buf,
			  size_t len)
{
	return vdpa_accel_iotlb_xfer(va, iova, buf, len, VDPA_ACCEL_READ);
}

int vdpa_accel_iotlb_write(struct vdpa_accel *va, u64 iova, const void *buf,
			   size_t len)
{
	return vdpa_accel_iotlb_xfer(va, iova, (void *)buf, len,
				     VDPA_ACCEL_WRITE);
}

/* Ring indexes: one naturally aligned 16-bit access ([VQ-USED-IDX]). */
static int vdpa_accel_iotlb_u16(struct vdpa_accel *va, u64 iova, u16 *val,
				bool store)
{
	struct vhost_iotlb_map *map;
	unsigned long pfn;
	__le16 *p;
	u8 *base;
	u64 pa;

	if (iova & 1)
		return -EFAULT;
	spin_lock(&va->iommu_lock);
	map = vhost_iotlb_itree_first(&va->iommu, iova, iova + 1);
	if (!map || map->start > iova || map->last < iova + 1 ||
	    !(map->perm & (store ? VHOST_MAP_WO : VHOST_MAP_RO))) {
		spin_unlock(&va->iommu_lock);
		return -EFAULT;
	}
	pa = map->addr + (iova - map->start);
	pfn = PHYS_PFN(pa);
	if ((pa & 1) || !pfn_valid(pfn)) {
		spin_unlock(&va->iommu_lock);
		return -EFAULT;
	}
	base = kmap_local_page(pfn_to_page(pfn));
	p = (__le16 *)(base + offset_in_page(pa));
	if (store)
		WRITE_ONCE(*p, cpu_to_le16(*val));
	else
		*val = le16_to_cpu(READ_ONCE(*p));
	kunmap_local(base);
	spin_unlock(&va->iommu_lock);
	return 0;
}

/* Is [iova, iova + len) mapped with @perm? */
static bool vdpa_accel_iotlb_ok(struct vdpa_accel *va, u64 iova, u32 len,
				u32 perm)
{
	u64 last = iova + len - 1;
	bool ok = true;

	if (!len)
		return true;
	if (last < iova)
		return false;
	spin_lock(&va->iommu_lock);
	while (ok) {
		struct vhost_iotlb_map *map;

		map = vhost_iotlb_itree_first(&va->iommu, iova, iova);
		if (!map || !(map->perm & perm)) {
			ok = false;
			break;
		}
		if (map->last >= last)
			break;
		iova = map->last + 1;
	}
	spin_unlock(&va->iommu_lock);
	return ok;
}

static bool vdpa_accel_has(struct vdpa_accel_vq *vq, unsigned int bit)
{
	return !!(vq->va->features & BIT_ULL(bit));
}

static int vdpa_accel_walk(struct vdpa_accel_vq *vq,
			   struct vdpa_accel_chain *c, u64 table, u32 entries,
			   u32 i, bool indirect, bool *seen_wr)
{
	struct vdpa_accel *va = vq->va;
	u32 count = 0;
	struct vring_desc d;
	u16 flags;
	u64 addr;
	u32 len;
	int ret;

	for (;;) {
		if (i >= entries)
			return -ERANGE;		/* next out of range */
		if (++count > entries)
			return -ELOOP;		/* descriptor loop */
		ret = vdpa_accel_iotlb_read(va, table + (u64)i * sizeof(d), &d,
					    sizeof(d));
		if (ret)
			return ret;
		flags = le16_to_cpu((__force __le16)d.flags);
		addr = le64_to_cpu((__force __le64)d.addr);
		len = le32_to_cpu((__force __le32)d.len);

		if (flags & VRING_DESC_F_INDIRECT) {
			if (indirect ||
			    !vdpa_accel_has(vq, VIRTIO_RING_F_INDIRECT_DESC) ||
			    (flags & VRING_DESC_F_NEXT))
				return -EINVAL;
			if (!len || len % sizeof(d))
				return -EINVAL;
			return vdpa_accel_walk(vq, c, addr, len / sizeof(d), 0,
					       true, seen_wr);
		}
		/*
		 * a chain longer than the queue, descriptors of an indirect
		 * table included: -ELOOP, as the back-end's walker says it
		 */
		if (c->n_desc >= vq->num)
			return -ELOOP;
		if (flags & VRING_DESC_F_WRITE) {
			*seen_wr = true;
			c->wr_len += len;
		} else {
			if (*seen_wr)
				return -EPROTO;	/* readable after writable */
			c->rd_len += len;
		}
		if (c->rd_len + c->wr_len > U32_MAX)
			return -EOVERFLOW;
		if (!vdpa_accel_iotlb_ok(va, addr, len,
					 (flags & VRING_DESC_F_WRITE) ?
					 VHOST_MAP_WO : VHOST_MAP_RO))
			return -EFAULT;
		c->seg[c->n_desc].addr = addr;
		c->seg[c->n_desc].len = len;
		c->n_desc++;
		if (flags & VRING_DESC_F_WRITE)
			c->n_wr++;
		else
			c->n_rd++;
		if (!(flags & VRING_DESC_F_NEXT))
			return 0;
		i = le16_to_cpu((__force __le16)d.next);
	}
}

/*
 * Take the next available chain. Returns 1 with @c filled in, 0 when the
 * ring is empty, or a negative errno for a structurally broken ring.
 */
int vdpa_accel_vq_get(struct vdpa_accel_vq *vq, struct vdpa_accel_chain *c)
{
	struct vdpa_accel *va = vq->va;
	bool seen_wr = false;
	u16 avail_idx, head;
	int ret;

	ret = vdpa_accel_iotlb_u16(va, vq->driver_addr + 2, &avail_idx, false);
	if (ret)
		return ret;
	if (avail_idx == vq->last_avail_idx)
		return 0;
	if ((u16)(avail_idx - vq->last_avail_idx) > vq->num)
		return -EOVERFLOW;	/* avail index jumped */
	/* read the ring entry after the index */
	smp_rmb();
	ret = vdpa_accel_iotlb_u16(va, vq->driver_addr + 4 +
				   2ull * (vq->last_avail_idx & (vq->num - 1)),
				   &head, false);
	if (ret)
		return ret;
	if (head >= vq->num)
		return -ERANGE;
	vq->last_avail_idx++;

	c->head = head;
	c->n_rd = 0;
	c->n_wr = 0;
	c->n_desc = 0;
	c->rd_len = 0;
	c->wr_len = 0;
	ret = vdpa_accel_walk(vq, c, vq->desc_addr, vq->num, head, false,
			      &seen_wr);
	return ret ? ret : 1;
}

/* Publish one used element, then the index ([VQ-USED-IDX]). */
int vdpa_accel_vq_put(struct vdpa_accel_vq *vq, u16 head, u32 len)
{
	struct vring_used_elem e;
	u16 idx;
	int ret;

	e.id = (__force __virtio32)cpu_to_le32(head);
	e.len = (__force __virtio32)cpu_to_le32(len);
	ret = vdpa_accel_iotlb_write(vq->va, vq->device_addr + 4 +
				     8ull * (vq->last_used_idx & (vq->num - 1)),
				     &e, sizeof(e));
	if (ret)
		return ret;
	/* the element and the buffers before the index */
	smp_wmb();
	idx = vq->last_used_idx + 1;
	ret = vdpa_accel_iotlb_u16(vq->va, vq->device_addr + 2, &idx, true);
	if (ret)
		return ret;
	vq->last_used_idx = idx;
	return 0;
}

/*
 * The ring looks empty: publish avail_event (EVENT_IDX) and check again,
 * so a request made available meanwhile is not left without a kick.
 */
bool vdpa_accel_vq_more(struct vdpa_accel_vq *vq)
{
	u16 idx = vq->last_avail_idx;

	if (vdpa_accel_has(vq, VIRTIO_RING_F_EVENT_IDX)) {
		if (vdpa_accel_iotlb_u16(vq->va, vq->device_addr + 4 +
					 8ull * vq->num, &idx, true))
			return false;
		/* avail_event before the re-read of avail->idx */
		smp_mb();
		if (vdpa_accel_iotlb_u16(vq->va, vq->driver_addr + 2, &idx,
					 false))
			return false;
		return idx != vq->last_avail_idx;
	}
	return false;
}

/* Interrupt the driver if it asked for it (EVENT_IDX or NO_INTERRUPT). */
void vdpa_accel_vq_notify(struct vdpa_accel_vq *vq)
{
	struct vdpa_accel *va = vq->va;
	bool need = true;
	u16 v;

	/* used ring before the driver's suppression fields */
	smp_mb();
	if (vdpa_accel_has(vq, VIRTIO_RING_F_EVENT_IDX)) {
		u16 old = vq->signalled_used, new = vq->last_used_idx;
		bool valid = vq->signalled_used_valid;

		vq->signalled_used = new;
		vq->signalled_used_valid = true;
		if (valid) {
			if (vdpa_accel_iotlb_u16(va, vq->driver_addr + 4 +
						 2ull * vq->num, &v, false))
				return;
			need = vring_need_event(v, new, old);
		}
	} else {
		if (vdpa_accel_iotlb_u16(va, vq->driver_addr, &v, false))
			return;
		need = !(v & VRING_AVAIL_F_NO_INTERRUPT);
	}
	if (need && vq->cb.callback) {
		local_bh_disable();
		vq->cb.callback(vq->cb.private);
		local_bh_enable();
	}
}

static int vdpa_accel_chain_xfer(struct vdpa_accel *va,
				 const struct vdpa_accel_chain *c, u32 first,
				 u32 n, u64 off, void *buf, u64 len,
				 enum vdpa_accel_xfer_op xop)
{
	u32 i;
	int ret;

	for (i = first; i < first + n && len; i++) {
		const struct vdpa_accel_seg *s = &c->seg[i];
		u64 k;

		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		k = min_t(u64, s->len - off, len);
		ret = vdpa_accel_iotlb_xfer(va, s->addr + off, buf, k, xop);
		if (ret)
			return ret;
		if (buf)
			buf = (u8 *)buf + k;
		len -= k;
		off = 0;
	}
	return len ? -EINVAL : 0;
}

/* Read [off, off + len) of the chain's readable part into @buf. */
int vdpa_accel_chain_read(struct vdpa_accel *va,
			  const struct vdpa_accel_chain *c, u64 off, void *buf,
			  u64 len)
{
	return vdpa_accel_chain_xfer(va, c, 0, c->n_rd, off, buf, len,
				     VDPA_ACCEL_READ);
}

/* Write @buf (or zeros if NULL) at @off of the chain's writable part. */
int vdpa_accel_chain_write(struct vdpa_accel *va,
			   const struct vdpa_accel_chain *c, u64 off,
			   const void *buf, u64 len)
{
	return vdpa_accel_chain_xfer(va, c, c->n_rd, c->n_wr, off, (void *)buf,
				     len, buf ? VDPA_ACCEL_WRITE :
				     VDPA_ACCEL_ZERO);
}
