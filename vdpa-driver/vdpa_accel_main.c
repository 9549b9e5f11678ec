// SPDX-License-Identifier: GPL-2.0-only
/*
 * vdpa_accel: vDPA parent driver for the virtio-accel device
 * (virtio-accel-spec/virtio-accel.md).
 *
 * Registers the vDPA management device "vdpa_accel"; each
 * "vdpa dev add name NAME mgmtdev vdpa_accel" creates one virtio-accel
 * device (device ID 56) with a control queue and N data queues, served from
 * a workqueue with the host kernel's crypto API and zlib as engines. The
 * device model (IOTLB, batched or single mappings) follows
 * drivers/vdpa/vdpa_sim, except that the identity map exists only while
 * the device is bound to virtio_vdpa (see "IOTLB security model" below).
 */
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>
#include <uapi/linux/vdpa.h>
#include <uapi/linux/vhost_types.h>

#include "vdpa_accel.h"

static unsigned int dataqueues = 2;
module_param(dataqueues, uint, 0444);
MODULE_PARM_DESC(dataqueues,
		 "Data queues of each new device, 1-16 (default 2)");

static unsigned int max_sessions = 1024;
module_param(max_sessions, uint, 0444);
MODULE_PARM_DESC(max_sessions, "Session table size per device (default 1024)");

static unsigned int max_comp_streams = VIRTIO_ACCEL_COMP_STREAMS_DEFAULT;
module_param(max_comp_streams, uint, 0444);
MODULE_PARM_DESC(max_comp_streams,
		 "Live DEFLATE stream sessions per device, 1-1024, each up to 288 KiB of zlib state (default 64)");

static unsigned int max_data_len = 1U << 20;
module_param(max_data_len, uint, 0444);
MODULE_PARM_DESC(max_data_len,
		 "Largest src/dst of one request, 4096-16777216 (default 1 MiB)");

static bool batch_mapping = true;
module_param(batch_mapping, bool, 0444);
MODULE_PARM_DESC(batch_mapping,
		 "Batched IOTLB updates (set_map) instead of dma_map/unmap");

static int max_iotlb_entries = 2048;
module_param(max_iotlb_entries, int, 0444);
MODULE_PARM_DESC(max_iotlb_entries,
		 "IOTLB entries per device, 0 unlimited (default 2048)");

#define VDPA_ACCEL_FEATURES	(BIT_ULL(VIRTIO_F_VERSION_1) |		\
				 BIT_ULL(VIRTIO_F_ACCESS_PLATFORM) |	\
				 BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC) |	\
				 BIT_ULL(VIRTIO_RING_F_EVENT_IDX) |	\
				 BIT_ULL(VIRTIO_ACCEL_F_MQ) |		\
				 BIT_ULL(VIRTIO_ACCEL_F_STATELESS) |	\
				 BIT_ULL(VIRTIO_ACCEL_F_STREAM))
#define VDPA_ACCEL_REQUIRED	(BIT_ULL(VIRTIO_F_VERSION_1) |		\
				 BIT_ULL(VIRTIO_F_ACCESS_PLATFORM))

struct workqueue_struct *vdpa_accel_wq;

static const struct vdpa_config_ops vdpa_accel_config_ops;
static const struct vdpa_config_ops vdpa_accel_batch_config_ops;

/* ---- state ---- */

/*
 * IOTLB security model: the device reaches exactly what its IOTLB holds,
 * with the permissions held there.
 *
 * - Bound to vhost_vdpa, the device belongs to whoever opened
 *   /dev/vhost-vdpa-N (user space or a VM). Only what that opener mapped
 *   (VHOST_IOTLB_UPDATE, passed down as set_map or dma_map/dma_unmap, with
 *   its RO/WO/RW permission) may be reachable: the IOTLB starts empty, and
 *   on open (vhost_vdpa resets the device), on close (reset with
 *   VDPA_RESET_F_CLEAN_MAP, then reset_map after it unpins the pages) and
 *   on every reset it goes back to empty, never to an identity map. An
 *   opener that maps nothing reaches nothing.
 * - Bound to virtio_vdpa, the kernel itself drives the device: virtio_ring
 *   DMA-maps buffers through the DMA API on vdpa.dma_dev (this device,
 *   dma-direct), so ring addresses are the kernel's own physical DMA
 *   addresses and virtio_vdpa sends no map. Only then is the default
 *   IOTLB the identity map (read-write, all of memory), as in vdpa_sim.
 *
 * The default is chosen from the bus driver bound at the time
 * (vdpa.dev.driver, set before a driver's probe and cleared after its
 * remove): at creation (no driver: empty), on each reset (virtio_vdpa
 * resets the device in its probe before using it; vhost_vdpa in open and
 * release), on reset_map and, as a last check, at DRIVER_OK. An unknown
 * bus driver or none gets the empty IOTLB (fail closed). A map a bus
 * driver installed survives a reset without CLEAN_MAP (vhost_vdpa's
 * IOTLB_PERSIST), except under virtio_vdpa; an identity map never does.
 */
static bool vdpa_accel_kernel_dma(struct vdpa_accel *va)
{
	struct device_driver *drv = READ_ONCE(va->vdpa.dev.driver);

	return drv && !strcmp(drv->name, "virtio_vdpa");
}

/* The IOTLB of the bound driver before it maps anything; iommu_lock held. */
static void vdpa_accel_iotlb_default(struct vdpa_accel *va)
{
	vhost_iotlb_reset(&va->iommu);
	va->iommu_pt = false;
	if (!vdpa_accel_kernel_dma(va))
		return;
	if (vhost_iotlb_add_range(&va->iommu, 0, ULONG_MAX, 0, VHOST_MAP_RW)) {
		dev_err(&va->vdpa.dev, "cannot install the identity map\n");
		return;
	}
	va->iommu_pt = true;
}

static void vdpa_accel_vq_reset(struct vdpa_accel_vq *vq)
{
	mutex_lock(&vq->lock);
	vq->ready = false;
	vq->broken = false;
	vq->desc_addr = 0;
	vq->driver_addr = 0;
	vq->device_addr = 0;
	vq->num = 0;
	vq->last_avail_idx = 0;
	vq->last_used_idx = 0;
	vq->signalled_used_valid = false;
	vq->cb.callback = NULL;
	vq->cb.private = NULL;
	vq->cb.trigger = NULL;
	mutex_unlock(&vq->lock);
}

/*
 * Stop the workers; caller holds va->lock (workers never take it). Requests
 * in the crypto API are waited for and completed (vdpa_accel_async.c).
 */
void vdpa_accel_stop(struct vdpa_accel *va)
{
	unsigned int i;

	WRITE_ONCE(va->running, false);
	for (i = 0; i < va->nvqs; i++)
		cancel_work_sync(&va->vqs[i].work);
	for (i = 0; i < va->nvqs; i++)
		vdpa_accel_async_quiesce(va, &va->vqs[i]);
}

void vdpa_accel_kick_all(struct vdpa_accel *va)
{
	unsigned int i;

	for (i = 0; i < va->nvqs; i++)
		if (READ_ONCE(va->vqs[i].ready))
			queue_work(vdpa_accel_wq, &va->vqs[i].work);
}

static void vdpa_accel_do_reset(struct vdpa_accel *va, u32 flags)
{
	unsigned int i;

	vdpa_accel_stop(va);
	for (i = 0; i < va->nvqs; i++)
		vdpa_accel_vq_reset(&va->vqs[i]);
	/* [SESS-RESET]: every session goes, keys wiped */
	vdpa_accel_sessions_reset(va);
	/* an identity map never outlives a reset: see the model above */
	spin_lock(&va->iommu_lock);
	if ((flags & VDPA_RESET_F_CLEAN_MAP) || va->iommu_pt ||
	    vdpa_accel_kernel_dma(va))
		vdpa_accel_iotlb_default(va);
	spin_unlock(&va->iommu_lock);
	va->features = 0;
	va->lim.stateless = 0;
	va->lim.stream = 0;
	va->status = 0;
	va->pending_kick = false;
	/* the workers are stopped: no queue can break again meanwhile */
	WRITE_ONCE(va->needs_reset, false);
	atomic_set(&va->last_broken, 0);
	++va->generation;
}

/* [RING-BROKEN]: stop the queue, DEVICE_NEEDS_RESET, config interrupt. */
void vdpa_accel_vq_break(struct vdpa_accel_vq *vq, int err)
{
	struct vdpa_accel *va = vq->va;
	struct vdpa_callback cb;

	vq->broken = true;
	atomic_set(&va->last_broken, err);
	dev_err_ratelimited(&va->vdpa.dev,
			    "queue %u: broken ring (%d) at avail %u used %u, stopped until reset\n",
			    vq->idx, err, vq->last_avail_idx,
			    vq->last_used_idx);
	spin_lock(&va->cb_lock);
	va->needs_reset = true;
	cb = va->config_cb;
	spin_unlock(&va->cb_lock);
	if (cb.callback)
		cb.callback(cb.private);
}

/* ---- virtqueue ops ---- */

static int vdpa_accel_set_vq_address(struct vdpa_device *vdpa, u16 idx,
				     u64 desc_area, u64 driver_area,
				     u64 device_area)
{
	struct vdpa_accel *va = vdpa_to_accel(vdpa);
	struct vdpa_accel_vq *vq = &va->vqs[idx];

	mutex_lock(&vq->lock);
	vq->desc_addr = desc_area;
	vq->driver_addr = driver_area;
	vq->device_addr = device_area;
	mutex_unlock(&vq->lock);
	return 0;
}

static void vdpa_accel_set_vq_num(struct vdpa_device *vdpa, u16 idx, u32 num)
{
	struct vdpa_accel *va = vdpa_to_accel(vdpa);
	struct vdpa_accel_vq *vq = &va->vqs[idx];

	mutex_lock(&vq->lock);
	vq->num = num;
	mutex_unlock(&vq->lock);
}

static u16 vdpa_accel_get_vq_size(struct vdpa_device *vdpa, u16 idx)
{
	struct vdpa_accel *va = vdpa_to_accel(vdpa);

	if (va->status & VIRTIO_CONFIG_S_DRIVER_OK)
		return va->vqs[idx].num;
	return VDPA_ACCEL_QUEUE_MAX;
}

static void vdpa_accel_kick_vq(struct vdpa_device *vdpa, u16 idx)
{
	struct vdpa_accel *va = vdpa_to_accel(vdpa);
	struct vdpa_accel_vq *vq = &va->vqs[idx];

	/* atomic context: only queue the work ([RING-SPURIOUS] is fine) */
	if (!READ_ONCE(va->running)) {
		WRITE_ONCE(va->pending_kick, true);
		return;
	}
	if (READ_ONCE(vq->ready))
		queue_work(vdpa_accel_wq, &vq->work);
}

static void vdpa_accel_set_vq_cb(struct vdpa_device *vdpa, u16 idx,
				 struct vdpa_callback *cb)
{
	struct vdpa_accel *va = vdpa_to_accel(vdpa);
	struct vdpa_accel_vq *vq = &va->vqs[idx];

	mutex_lock(&vq->lock);
	vq->cb = *cb;
	mutex_unlock(&vq->lock);
}

static bool vdpa_accel_vq_layout_ok(struct vdpa_accel_vq *vq)
{
	return vq->num && vq->num <= VDPA_ACCEL_QUEUE_MAX &&
	       is_power_of_2(vq->num) && !(vq->desc_addr & 15) &&
	       !(vq->driver_addr & 1) && !(vq->device_addr & 3);
}

static void vdpa_accel_set_vq_ready(struct vdpa_device *vdpa, u16 idx,
				    bool ready)
{
	struct vdpa_accel *va = vdpa_to_accel(vdpa);
	struct vdpa_accel_vq *vq = &va->vqs[idx];
	bool kick = false;

	mutex_lock(&vq->lock);
	if (ready && !vq->ready) {
		if (!vdpa_accel_vq_layout_ok(vq)) {
			/* QEMU enables queues the driver never set up: quiet */
			if (!vq->num && !vq->desc_addr)
				dev_dbg(&vdpa->dev, "queue %u: not set up, left off\n",
					idx);
			else
				dev_err(&vdpa->dev,
					"queue %u: bad layout: num %u desc 0x%llx avail 0x%llx used 0x%llx\n",
					idx, vq->num, vq->desc_addr,
					vq->driver_addr, vq->device_addr);
			mutex_unlock(&vq->lock);
			return;
		}
		/* like vhost-user SET_VRING_BASE: used starts at avail */
		vq->last_used_idx = vq->last_avail_idx;
		vq->signalled_used_valid = false;
		vq->broken = false;
		kick = true;
	}
	WRITE_ONCE(vq->ready, ready);
	mutex_unlock(&vq->lock);
	if (kick && READ_ONCE(va->running))
		queue_work(vdpa_accel_wq, &vq->work);
}

static bool vdpa_accel_get_vq_ready(struct vdpa_device *vdpa, u16 idx)
{
	struct vdpa_accel *va = vdpa_to_accel(vdpa);

	return READ_ONCE(va->vqs[idx].ready);
}

static int vdpa_accel_set_vq_state(struct vdpa_device *vdpa, u16 idx,
				   const struct vdpa_vq_state *state)
{
	struct vdpa_accel *va = vdpa_to_accel(vdpa);
	struct vdpa_accel_vq *vq = &va->vqs[idx];

	mutex_lock(&vq->lock);
	vq->last_avail_idx = state->split.avail_index;
	vq->last_used_idx = state->split.avail_index;
	mutex_unlock(&vq->lock);
	return 0;
}

static int vdpa_accel_get_vq_state(struct vdpa_device *vdpa, u16 idx,
				   struct vdpa_vq_state *state)
{
	struct vdpa_accel *va = vdpa_to_accel(vdpa);
	struct vdpa_accel_vq *vq = &va->vqs[idx];

	/*
	 * nothing is in flight after suspend (vdpa_accel_stop() waits for the
	 * crypto API): the avail index is the whole state
	 */
	mutex_lock(&vq->lock);
	state->split.avail_index = vq->last_avail_idx;
	mutex_unlock(&vq->lock);
	return 0;
}

/* ---- device ops ---- */

static u32 vdpa_accel_get_vq_align(struct vdpa_device *vdpa)
{
	return PAGE_SIZE;
}

static u64 vdpa_accel_get_device_features(struct vdpa_device *vdpa)
{
	return vdpa_to_accel(vdpa)->dev_features;
}

static u64 vdpa_accel_get_backend_features(const struct vdpa_device *vdpa)
{
	return BIT_ULL(VHOST_BACKEND_F_ENABLE_AFTER_DRIVER_OK);
}

/* [FEAT-UNKNOWN], [FEAT-V1], [FEAT-PLATFORM] */
static int vdpa_accel_set_driver_features(struct vdpa_device *vdpa,
					  u64 features)
{
	struct vdpa_accel *va = vdpa_to_accel(vdpa);

	if (features & ~va->dev_features) {
		dev_err(&vdpa->dev, "refusing unknown features 0x%llx\n",
			features & ~va->dev_features);
		return -EINVAL;
	}
	/*
	 * Features without VERSION_1 or ACCESS_PLATFORM are refused at
	 * FEATURES_OK (vdpa_get_config() itself writes 0 before the driver
	 * negotiates, so 0 must be taken here).
	 */
	mutex_lock(&va->lock);
	va->features = features;
	va->lim.stateless = !!(features & BIT_ULL(VIRTIO_ACCEL_F_STATELESS));
	va->lim.stream = !!(features & BIT_ULL(VIRTIO_ACCEL_F_STREAM));
	mutex_unlock(&va->lock);
	return 0;
}

static u64 vdpa_accel_get_driver_features(struct vdpa_device *vdpa)
{
	return vdpa_to_accel(vdpa)->features;
}

static void vdpa_accel_set_config_cb(struct vdpa_device *vdpa,
				     struct vdpa_callback *cb)
{
	struct vdpa_accel *va = vdpa_to_accel(vdpa);

	spin_lock(&va->cb_lock);
	va->config_cb = *cb;
	spin_unlock(&va->cb_lock);
}

static u16 vdpa_accel_get_vq_num_max(struct vdpa_device *vdpa)
{
	return VDPA_ACCEL_QUEUE_MAX;
}

static u32 vdpa_accel_get_device_id(struct vdpa_device *vdpa)
{
	return VIRTIO_ID_ACCEL;
}

static u32 vdpa_accel_get_vendor_id(struct vdpa_device *vdpa)
{
	return 0;
}

static u8 vdpa_accel_get_status(struct vdpa_device *vdpa)
{
	struct vdpa_accel *va = vdpa_to_accel(vdpa);
	u8 status;

	mutex_lock(&va->lock);
	status = va->status;
	if (READ_ONCE(va->needs_reset))
		status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	mutex_unlock(&va->lock);
	return status;
}

static void vdpa_accel_set_status(struct vdpa_device *vdpa, u8 status)
{
	struct vdpa_accel *va = vdpa_to_accel(vdpa);
	bool start;

	mutex_lock(&va->lock);
	if (!status) {
		vdpa_accel_do_reset(va, 0);
		mutex_unlock(&va->lock);
		return;
	}
	/* [FEAT-V1], [FEAT-PLATFORM]: the driver sees FEATURES_OK clear */
	if ((status & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(va->status & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    (va->features & VDPA_ACCEL_REQUIRED) != VDPA_ACCEL_REQUIRED) {
		dev_err(&vdpa->dev,
			"FEATURES_OK refused: features 0x%llx lack VERSION_1 or ACCESS_PLATFORM\n",
			va->features);
		status &= ~(VIRTIO_CONFIG_S_FEATURES_OK |
			    VIRTIO_CONFIG_S_DRIVER_OK);
	}
	start = (status & VIRTIO_CONFIG_S_DRIVER_OK) &&
		!(va->status & VIRTIO_CONFIG_S_DRIVER_OK);
	va->status = status & ~VIRTIO_CONFIG_S_NEEDS_RESET;
	if (start) {
		/* the identity map only for virtio_vdpa, whatever came before */
		spin_lock(&va->iommu_lock);
		if (va->iommu_pt && !vdpa_accel_kernel_dma(va))
			vdpa_accel_iotlb_default(va);
		spin_unlock(&va->iommu_lock);
		WRITE_ONCE(va->running, true);
		WRITE_ONCE(va->pending_kick, false);
		vdpa_accel_hw_ready_start(va);
		vdpa_accel_kick_all(va);
	} else if (!(status & VIRTIO_CONFIG_S_DRIVER_OK)) {
		vdpa_accel_stop(va);
	}
	mutex_unlock(&va->lock);
}

static int vdpa_accel_compat_reset(struct vdpa_device *vdpa, u32 flags)
{
	struct vdpa_accel *va = vdpa_to_accel(vdpa);

	mutex_lock(&va->lock);
	vdpa_accel_do_reset(va, flags);
	mutex_unlock(&va->lock);
	return 0;
}

static int vdpa_accel_reset(struct vdpa_device *vdpa)
{
	return vdpa_accel_compat_reset(vdpa, 0);
}

static int vdpa_accel_suspend(struct vdpa_device *vdpa)
{
	struct vdpa_accel *va = vdpa_to_accel(vdpa);

	mutex_lock(&va->lock);
	vdpa_accel_stop(va);
	mutex_unlock(&va->lock);
	return 0;
}

static int vdpa_accel_resume(struct vdpa_device *vdpa)
{
	struct vdpa_accel *va = vdpa_to_accel(vdpa);

	mutex_lock(&va->lock);
	if (va->status & VIRTIO_CONFIG_S_DRIVER_OK) {
		WRITE_ONCE(va->running, true);
		WRITE_ONCE(va->pending_kick, false);
		/* rescan every ready ring: covers kicks made while stopped */
		vdpa_accel_kick_all(va);
	}
	mutex_unlock(&va->lock);
	return 0;
}

static size_t vdpa_accel_get_config_size(struct vdpa_device *vdpa)
{
	return sizeof(struct virtio_accel_config);
}

static void vdpa_accel_get_config(struct vdpa_device *vdpa,
				  unsigned int offset, void *buf,
				  unsigned int len)
{
	struct vdpa_accel *va = vdpa_to_accel(vdpa);
	struct virtio_accel_config c = va->config;

	if (offset > sizeof(va->config) || len > sizeof(va->config) - offset) {
		memset(buf, 0, len);
		return;
	}
	vdpa_accel_hw_ready_cfg(va, &c);
	memcpy(buf, (u8 *)&c + offset, len);
}

/* [CFG-RO]: driver writes are ignored. */
static void vdpa_accel_set_config(struct vdpa_device *vdpa,
				  unsigned int offset, const void *buf,
				  unsigned int len)
{
}

static u32 vdpa_accel_get_generation(struct vdpa_device *vdpa)
{
	return vdpa_to_accel(vdpa)->generation;
}

static struct vdpa_iova_range vdpa_accel_get_iova_range(struct vdpa_device *vdpa)
{
	struct vdpa_iova_range range = {
		.first = 0ULL,
		.last = ULLONG_MAX,
	};

	return range;
}

/* ---- DMA ops (one address space) ---- */

static int vdpa_accel_set_map(struct vdpa_device *vdpa, unsigned int asid,
			      struct vhost_iotlb *iotlb)
{
	struct vdpa_accel *va = vdpa_to_accel(vdpa);
	u64 start = 0ULL, last = 0ULL - 1;
	struct vhost_iotlb_map *map;
	int ret = 0;

	if (asid)
		return -EINVAL;
	spin_lock(&va->iommu_lock);
	vhost_iotlb_reset(&va->iommu);
	va->iommu_pt = false;
	for (map = vhost_iotlb_itree_first(iotlb, start, last); map;
	     map = vhost_iotlb_itree_next(map, start, last)) {
		ret = vhost_iotlb_add_range(&va->iommu, map->start, map->last,
					    map->addr, map->perm);
		if (ret) {
			vhost_iotlb_reset(&va->iommu);
			break;
		}
	}
	spin_unlock(&va->iommu_lock);
	return ret;
}

static int vdpa_accel_reset_map(struct vdpa_device *vdpa, unsigned int asid)
{
	struct vdpa_accel *va = vdpa_to_accel(vdpa);

	if (asid)
		return -EINVAL;
	spin_lock(&va->iommu_lock);
	vdpa_accel_iotlb_default(va);
	spin_unlock(&va->iommu_lock);
	return 0;
}

static int vdpa_accel_dma_map(struct vdpa_device *vdpa, unsigned int asid,
			      u64 iova, u64 size, u64 pa, u32 perm,
			      void *opaque)
{
	struct vdpa_accel *va = vdpa_to_accel(vdpa);
	int ret;

	if (asid || !size || iova + size - 1 < iova)
		return -EINVAL;
	spin_lock(&va->iommu_lock);
	if (va->iommu_pt) {
		vhost_iotlb_reset(&va->iommu);
		va->iommu_pt = false;
	}
	ret = vhost_iotlb_add_range_ctx(&va->iommu, iova, iova + size - 1, pa,
					perm, opaque);
	spin_unlock(&va->iommu_lock);
	return ret;
}

static int vdpa_accel_dma_unmap(struct vdpa_device *vdpa, unsigned int asid,
				u64 iova, u64 size)
{
	struct vdpa_accel *va = vdpa_to_accel(vdpa);

	if (asid || !size)
		return -EINVAL;
	spin_lock(&va->iommu_lock);
	if (va->iommu_pt) {
		vhost_iotlb_reset(&va->iommu);
		va->iommu_pt = false;
	}
	vhost_iotlb_del_range(&va->iommu, iova, iova + size - 1);
	spin_unlock(&va->iommu_lock);
	return 0;
}

static void vdpa_accel_free(struct vdpa_device *vdpa)
{
	struct vdpa_accel *va = vdpa_to_accel(vdpa);
	unsigned int i;

	if (va->vqs) {
		/* the bus driver reset the device; whatever is left is dropped */
		WRITE_ONCE(va->running, false);
		for (i = 0; i < va->nvqs; i++) {
			struct vdpa_accel_vq *vq = &va->vqs[i];

			cancel_work_sync(&vq->work);
			mutex_lock(&vq->lock);
			vq->ready = false;
			mutex_unlock(&vq->lock);
			vdpa_accel_async_quiesce(va, vq);
			vdpa_accel_async_free(vq);
		}
		for (i = 0; i < va->nvqs; i++) {
			vdpa_accel_qctx_fini(&va->vqs[i].qc);
			kfree(va->vqs[i].chain);
			mutex_destroy(&va->vqs[i].lock);
		}
	}
	vdpa_accel_sessions_fini(va);
	vdpa_accel_engines_fini(va);
	vhost_iotlb_reset(&va->iommu);
	kfree(va->vqs);
	mutex_destroy(&va->lock);
}

#define VDPA_ACCEL_COMMON_OPS						\
	.set_vq_address		= vdpa_accel_set_vq_address,		\
	.set_vq_num		= vdpa_accel_set_vq_num,		\
	.get_vq_size		= vdpa_accel_get_vq_size,		\
	.kick_vq		= vdpa_accel_kick_vq,			\
	.set_vq_cb		= vdpa_accel_set_vq_cb,			\
	.set_vq_ready		= vdpa_accel_set_vq_ready,		\
	.get_vq_ready		= vdpa_accel_get_vq_ready,		\
	.set_vq_state		= vdpa_accel_set_vq_state,		\
	.get_vq_state		= vdpa_accel_get_vq_state,		\
	.get_vq_align		= vdpa_accel_get_vq_align,		\
	.get_device_features	= vdpa_accel_get_device_features,	\
	.get_backend_features	= vdpa_accel_get_backend_features,	\
	.set_driver_features	= vdpa_accel_set_driver_features,	\
	.get_driver_features	= vdpa_accel_get_driver_features,	\
	.set_config_cb		= vdpa_accel_set_config_cb,		\
	.get_vq_num_max		= vdpa_accel_get_vq_num_max,		\
	.get_device_id		= vdpa_accel_get_device_id,		\
	.get_vendor_id		= vdpa_accel_get_vendor_id,		\
	.get_status		= vdpa_accel_get_status,		\
	.set_status		= vdpa_accel_set_status,		\
	.reset			= vdpa_accel_reset,			\
	.compat_reset		= vdpa_accel_compat_reset,		\
	.suspend		= vdpa_accel_suspend,			\
	.resume			= vdpa_accel_resume,			\
	.get_config_size	= vdpa_accel_get_config_size,		\
	.get_config		= vdpa_accel_get_config,		\
	.set_config		= vdpa_accel_set_config,		\
	.get_generation		= vdpa_accel_get_generation,		\
	.get_iova_range		= vdpa_accel_get_iova_range,		\
	.reset_map		= vdpa_accel_reset_map,			\
	.free			= vdpa_accel_free

static const struct vdpa_config_ops vdpa_accel_config_ops = {
	VDPA_ACCEL_COMMON_OPS,
	.dma_map		= vdpa_accel_dma_map,
	.dma_unmap		= vdpa_accel_dma_unmap,
};

static const struct vdpa_config_ops vdpa_accel_batch_config_ops = {
	VDPA_ACCEL_COMMON_OPS,
	.set_map		= vdpa_accel_set_map,
};

/*
 * ---- sysfs: /sys/bus/vdpa/devices/NAME/{sessions,requests,errors,broken}
 * broken: the errno of the last ring that broke since the last reset
 * ([RING-BROKEN]), 0 if none
 */

static ssize_t sessions_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct vdpa_accel *va = vdpa_to_accel(dev_to_vdpa(dev));

	return sysfs_emit(buf, "%u\n", vdpa_accel_sessions_live(va));
}
static DEVICE_ATTR_RO(sessions);

static ssize_t requests_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct vdpa_accel *va = vdpa_to_accel(dev_to_vdpa(dev));

	return sysfs_emit(buf, "%lld\n", atomic64_read(&va->requests));
}
static DEVICE_ATTR_RO(requests);

static ssize_t errors_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct vdpa_accel *va = vdpa_to_accel(dev_to_vdpa(dev));

	return sysfs_emit(buf, "%lld\n", atomic64_read(&va->errors));
}
static DEVICE_ATTR_RO(errors);

static ssize_t broken_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct vdpa_accel *va = vdpa_to_accel(dev_to_vdpa(dev));

	return sysfs_emit(buf, "%d\n", atomic_read(&va->last_broken));
}
static DEVICE_ATTR_RO(broken);

static struct attribute *vdpa_accel_attrs[] = {
	&dev_attr_sessions.attr,
	&dev_attr_requests.attr,
	&dev_attr_errors.attr,
	&dev_attr_lose_sessions.attr,
	&dev_attr_losses.attr,
	&dev_attr_hw_ready_delay_ms.attr,
	&dev_attr_broken.attr,
	&dev_attr_deflate_acomp.attr,
	&dev_attr_deflate_zlib.attr,
	&dev_attr_acomp_fallback.attr,
	&dev_attr_max_inflight.attr,
	&dev_attr_reordered.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vdpa_accel);

/* ---- management device ---- */

static void vdpa_accel_fill_config(struct vdpa_accel *va)
{
	struct virtio_accel_config *c = &va->config;
	u64 impl = va->implemented;
	u32 svc = 0;
	int stream;

#define VA_IMPL(op, alg) \
	(impl & VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_##op, VIRTIO_ACCEL_ALG_##alg))
	if (VA_IMPL(NULL, NONE))
		svc |= VIRTIO_ACCEL_SERVICE_NULL;
	if (VA_IMPL(HASH, SHA256) || VA_IMPL(HASH, CRC32C))
		svc |= VIRTIO_ACCEL_SERVICE_HASH;
	if (VA_IMPL(MAC, HMAC_SHA256))
		svc |= VIRTIO_ACCEL_SERVICE_MAC;
	if (VA_IMPL(AEAD_ENCRYPT, AES256_GCM))
		svc |= VIRTIO_ACCEL_SERVICE_AEAD;
	if (VA_IMPL(COMPRESS, DEFLATE))
		svc |= VIRTIO_ACCEL_SERVICE_COMPRESS;
#undef VA_IMPL
	memset(c, 0, sizeof(*c));
	c->status = cpu_to_le32(VIRTIO_ACCEL_S_HW_READY);
	c->max_dataqueues = cpu_to_le16(va->ndataq);
	c->max_segments = cpu_to_le16(VDPA_ACCEL_MAX_SEGMENTS);
	c->services = cpu_to_le32(svc);
	c->max_sessions = cpu_to_le32(va->max_sessions);
	c->max_data_len = cpu_to_le32(va->lim.max_data_len);
	c->max_key_len = cpu_to_le32(VDPA_ACCEL_MAX_KEY_LEN);
	c->max_aad_len = cpu_to_le32(VDPA_ACCEL_MAX_AAD_LEN);
	/* [STREAM-LIMIT], [CFG-LIMITS] */
	stream = !!(va->dev_features & BIT_ULL(VIRTIO_ACCEL_F_STREAM));
	va->lim.max_comp_streams =
		virtio_accel_comp_streams_cfg(max_comp_streams, va->max_sessions,
					      stream,
					      !!(svc & VIRTIO_ACCEL_SERVICE_COMPRESS));
	c->max_comp_streams = cpu_to_le32(va->lim.max_comp_streams);
}

static int vdpa_accel_dev_add(struct vdpa_mgmt_dev *mdev, const char *name,
			      const struct vdpa_dev_set_config *config)
{
	u64 features = VDPA_ACCEL_FEATURES;
	const struct vdpa_config_ops *ops;
	struct vdpa_accel *va;
	struct device *dev;
	unsigned int i;
	int ret;

	if (config->mask & BIT_ULL(VDPA_ATTR_DEV_FEATURES)) {
		if (config->device_features & ~VDPA_ACCEL_FEATURES) {
			dev_err(mdev->device,
				"%s: unsupported device_features 0x%llx\n",
				name,
				config->device_features & ~VDPA_ACCEL_FEATURES);
			return -EINVAL;
		}
		if ((config->device_features & VDPA_ACCEL_REQUIRED) !=
		    VDPA_ACCEL_REQUIRED) {
			dev_err(mdev->device,
				"%s: device_features 0x%llx lack VERSION_1 or ACCESS_PLATFORM\n",
				name, config->device_features);
			return -EINVAL;
		}
		features = config->device_features;
	}

	ops = batch_mapping ? &vdpa_accel_batch_config_ops :
			      &vdpa_accel_config_ops;
	va = vdpa_alloc_device(struct vdpa_accel, vdpa, mdev->device, ops, 1, 1,
			       name, false);
	if (IS_ERR(va)) {
		dev_err(mdev->device, "%s: cannot allocate the device: %ld\n",
			name, PTR_ERR(va));
		return PTR_ERR(va);
	}
	dev = &va->vdpa.dev;
	mutex_init(&va->lock);
	spin_lock_init(&va->iommu_lock);
	spin_lock_init(&va->cb_lock);
	spin_lock_init(&va->sess_lock);
	atomic_set(&va->zstreams, 0);
	atomic64_set(&va->requests, 0);
	atomic64_set(&va->errors, 0);
	atomic64_set(&va->losses, 0);
	atomic64_set(&va->deflate_acomp, 0);
	atomic64_set(&va->deflate_zlib, 0);
	atomic64_set(&va->acomp_fallback, 0);
	va->dev_features = features;
	va->ndataq = (features & BIT_ULL(VIRTIO_ACCEL_F_MQ)) ? dataqueues : 1;
	va->nvqs = 1 + va->ndataq;
	va->lim.max_data_len = max_data_len;
	va->lim.max_aad_len = VDPA_ACCEL_MAX_AAD_LEN;
	/* empty until a bus driver binds and resets the device */
	vhost_iotlb_init(&va->iommu, max_iotlb_entries, 0);

	dev->dma_mask = &dev->coherent_dma_mask;
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (ret)
		goto put_dev;
	va->vdpa.dma_dev = dev;
	va->vdpa.mdev = mdev;
	dev->groups = vdpa_accel_groups;

	va->vqs = kcalloc(va->nvqs, sizeof(*va->vqs), GFP_KERNEL);
	if (!va->vqs) {
		ret = -ENOMEM;
		goto put_dev;
	}
	for (i = 0; i < va->nvqs; i++) {
		struct vdpa_accel_vq *vq = &va->vqs[i];

		vq->va = va;
		vq->idx = i;
		mutex_init(&vq->lock);
		INIT_WORK(&vq->work, vdpa_accel_work);
		vdpa_accel_async_vq_init(vq);
	}
	ret = vdpa_accel_engines_init(va);
	if (ret)
		goto put_dev;
	for (i = 0; i < va->nvqs; i++) {
		struct vdpa_accel_vq *vq = &va->vqs[i];

		vq->chain = kzalloc(sizeof(*vq->chain), GFP_KERNEL);
		if (!vq->chain) {
			ret = -ENOMEM;
			goto put_dev;
		}
		/* the control queue needs no engine scratch */
		if (!i)
			continue;
		ret = vdpa_accel_qctx_init(va, &vq->qc);
		if (ret) {
			dev_err(mdev->device,
				"%s: queue %u: engine scratch (%u bytes): %d\n",
				name, i, max_data_len, ret);
			goto put_dev;
		}
		ret = vdpa_accel_async_alloc(va, vq);
		if (ret) {
			dev_err(mdev->device, "%s: queue %u: %s slots: %d\n",
				name, i, vdpa_accel_aead_alg(), ret);
			goto put_dev;
		}
	}
	ret = vdpa_accel_sessions_init(va, max_sessions);
	if (ret)
		goto put_dev;
	vdpa_accel_fill_config(va);

	ret = _vdpa_register_device(&va->vdpa, va->nvqs);
	if (ret) {
		dev_err(mdev->device, "%s: cannot register: %d\n", name, ret);
		goto put_dev;
	}
	dev_info(dev, "virtio-accel device: %u data queues, features 0x%llx, engines 0x%llx, max_data_len %u\n",
		 va->ndataq, va->dev_features, va->implemented,
		 va->lim.max_data_len);
	return 0;

put_dev:
	/* the release path calls vdpa_accel_free() */
	put_device(dev);
	return ret;
}

static void vdpa_accel_dev_del(struct vdpa_mgmt_dev *mdev,
			       struct vdpa_device *vdpa)
{
	_vdpa_unregister_device(vdpa);
}

static const struct vdpa_mgmtdev_ops vdpa_accel_mgmtdev_ops = {
	.dev_add = vdpa_accel_dev_add,
	.dev_del = vdpa_accel_dev_del,
};

static struct virtio_device_id vdpa_accel_id_table[] = {
	{ VIRTIO_ID_ACCEL, VIRTIO_DEV_ANY_ID },
	{ 0 },
};

static void vdpa_accel_mgmtdev_release(struct device *dev)
{
}

static struct device vdpa_accel_mgmtdev_dev = {
	.init_name = VDPA_ACCEL_NAME,
	.release = vdpa_accel_mgmtdev_release,
};

static struct vdpa_mgmt_dev vdpa_accel_mgmtdev = {
	.device = &vdpa_accel_mgmtdev_dev,
	.id_table = vdpa_accel_id_table,
	.ops = &vdpa_accel_mgmtdev_ops,
	.config_attr_mask = BIT_ULL(VDPA_ATTR_DEV_FEATURES),
	.supported_features = VDPA_ACCEL_FEATURES,
	.max_supported_vqs = 1 + VDPA_ACCEL_MAX_DATAQ,
};

static int __init vdpa_accel_init(void)
{
	int ret;

	if (!dataqueues || dataqueues > VDPA_ACCEL_MAX_DATAQ ||
	    max_data_len < 4096 || max_data_len > (16U << 20) ||
	    !max_sessions || max_sessions > (1U << VDPA_ACCEL_SLOT_BITS) ||
	    !max_comp_streams ||
	    max_comp_streams > VIRTIO_ACCEL_COMP_STREAMS_MAX ||
	    !vdpa_accel_inflight_ok()) {
		pr_err("vdpa_accel: bad parameters: dataqueues %u max_data_len %u max_sessions %u max_comp_streams %u\n",
		       dataqueues, max_data_len, max_sessions, max_comp_streams);
		return -EINVAL;
	}
	vdpa_accel_wq = alloc_workqueue(VDPA_ACCEL_NAME, WQ_UNBOUND, 0);
	if (!vdpa_accel_wq)
		return -ENOMEM;
	ret = device_register(&vdpa_accel_mgmtdev_dev);
	if (ret) {
		put_device(&vdpa_accel_mgmtdev_dev);
		goto destroy_wq;
	}
	ret = vdpa_mgmtdev_register(&vdpa_accel_mgmtdev);
	if (ret)
		goto unregister_dev;
	return 0;

unregister_dev:
	device_unregister(&vdpa_accel_mgmtdev_dev);
destroy_wq:
	destroy_workqueue(vdpa_accel_wq);
	return ret;
}

static void __exit vdpa_accel_exit(void)
{
	/* deletes every device of the management device */
	vdpa_mgmtdev_unregister(&vdpa_accel_mgmtdev);
	device_unregister(&vdpa_accel_mgmtdev_dev);
	destroy_workqueue(vdpa_accel_wq);
}

module_init(vdpa_accel_init);
module_exit(vdpa_accel_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vDPA parent driver for the virtio-accel device");
