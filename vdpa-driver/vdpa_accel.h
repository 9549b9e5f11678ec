/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vdpa_accel: vDPA parent driver for the virtio-accel device.
 *
 * Internal interfaces shared by the files of the module.
 */
#ifndef _VDPA_ACCEL_H
#define _VDPA_ACCEL_H

#include <linux/crypto.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/spinlock.h>
#include <linux/vdpa.h>
#include <linux/vhost_iotlb.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/zlib.h>

#include "virtio_accel_dev.h"

#define VDPA_ACCEL_NAME		"vdpa_accel"

#define VDPA_ACCEL_MAX_DATAQ	16
#define VDPA_ACCEL_QUEUE_MAX	256	/* get_vq_num_max */
#define VDPA_ACCEL_MAX_SEGMENTS	128	/* config max_segments */
#define VDPA_ACCEL_MAX_KEY_LEN	64
#define VDPA_ACCEL_MAX_AAD_LEN	4096
#define VDPA_ACCEL_BUDGET	64	/* requests per work run and queue */
#define VDPA_ACCEL_SLOT_BITS	20

/* One descriptor of a chain, as the driver wrote it (IOVA, length). */
struct vdpa_accel_seg {
	u64 addr;
	u32 len;
};

/* A walked descriptor chain: readable segments, then writable ones. */
struct vdpa_accel_chain {
	u16 head;
	u32 n_rd;		/* readable segments stored */
	u32 n_wr;		/* writable segments stored */
	u32 n_desc;		/* descriptors counted */
	u64 rd_len;
	u64 wr_len;
	struct vdpa_accel_seg seg[VDPA_ACCEL_QUEUE_MAX];
};

struct vdpa_accel_session;
struct vdpa_accel;

/* Per data queue engine scratch: nothing is allocated per request. */
struct vdpa_accel_qctx {
	u8 *in;			/* aad || src, max_aad_len + max_data_len */
	u8 *out;		/* dst, max_data_len + 64 */
	size_t in_size;
	size_t out_size;
	struct scatterlist *sg;	/* for in, in_size / PAGE_SIZE + 2 entries */
	unsigned int sg_n;
	struct shash_desc *sha256;
	struct shash_desc *crc32c;
	struct shash_desc *hmac;
	struct crypto_aead *gcm;
	struct aead_request *gcm_req;
	struct z_stream_s *z_def;	/* default level */
	struct z_stream_s *z_stored;	/* level 0: always within the bound */
	struct z_stream_s *z_inf;
	/* one-shot DEFLATE through the crypto API (vdpa_accel_acomp.c) */
	struct crypto_acomp *acomp;
	struct acomp_req *acomp_req;
	struct scatterlist *sg_out;	/* for out, like sg for in */
	unsigned int sg_out_n;
	u8 iv[16];
};

/* One data request being executed. */
struct vdpa_accel_req {
	struct virtio_accel_op op;
	struct vdpa_accel_session *sess;
	const u8 *key;
	u32 key_len;
	const u8 *iv;
	u8 *aad;		/* in buffer: aad then src, contiguous */
	u8 *src;
	u8 *dst;		/* output to push, dst_used bytes */
	u32 src_used;
	u32 dst_used;
	u8 rflags;
	struct vdpa_accel_qctx *qc;
};

/*
 * One request of a data queue inside the crypto API (vdpa_accel_async.c):
 * its walked chain, the device core's request, and an AES-GCM transform,
 * request and buffer of its own. Requests that complete at once use a slot
 * for the chain only.
 */
struct vdpa_accel_slot {
	struct list_head node;		/* free (vq->lock) or done (done_lock) */
	struct vdpa_accel_vq *vq;
	struct crypto_aead *tfm;	/* own key schedule */
	struct aead_request *req;
	u8 *buf;			/* aad || src || tag room */
	size_t buf_size;
	struct scatterlist *sg;
	unsigned int sg_n;
	u8 iv[16];
	int err;			/* the engine's result */
	u64 seq;			/* submission order on its queue */
	struct virtio_accel_dev_req cr;
	struct vdpa_accel_chain chain;
};

struct vdpa_accel_vq {
	struct vdpa_accel *va;
	u16 idx;
	struct mutex lock;		/* serialises processing and setup */
	struct work_struct work;
	bool ready;
	bool broken;			/* [RING-BROKEN]: stopped until reset */
	u64 desc_addr;
	u64 driver_addr;
	u64 device_addr;
	u32 num;
	u16 last_avail_idx;
	u16 last_used_idx;
	u16 signalled_used;
	bool signalled_used_valid;
	struct vdpa_callback cb;
	struct vdpa_accel_chain *chain;
	struct vdpa_accel_qctx qc;
	/* requests in the crypto API (vdpa_accel_async.c) */
	struct vdpa_accel_slot *slots;
	unsigned int nslots;
	struct list_head free_slots;	/* vq->lock */
	spinlock_t done_lock;		/* done, inflight; any context */
	struct list_head done;		/* completed, not yet in the used ring */
	unsigned int inflight;
	unsigned int max_inflight;
	u64 seq;			/* next submission */
	u64 done_seq;			/* latest submission completed */
	u64 reordered;			/* completions after a later one */
	wait_queue_head_t idle_wq;	/* inflight reached 0 */
};

struct vdpa_accel {
	struct vdpa_device vdpa;
	struct mutex lock;		/* status, features, vq setup */
	spinlock_t iommu_lock;		/* iommu */
	struct vhost_iotlb iommu;
	bool iommu_pt;			/* identity map for virtio_vdpa */
	bool running;			/* DRIVER_OK and not suspended */
	bool pending_kick;
	bool needs_reset;		/* a queue broke: DEVICE_NEEDS_RESET */
	spinlock_t cb_lock;		/* config_cb */
	u8 status;
	u32 generation;
	u64 dev_features;		/* offered */
	u64 features;			/* negotiated */
	unsigned int ndataq;
	unsigned int nvqs;
	struct vdpa_accel_vq *vqs;
	struct vdpa_callback config_cb;
	struct virtio_accel_config config;
	struct virtio_accel_limits lim;
	u64 implemented;		/* engines that allocated */
	u64 stream_ok;			/* IMPL_BIT of pairs that can stream */
	char engine[VIRTIO_ACCEL_OP_MAX][VIRTIO_ACCEL_ALG_MAX][8];
	/* shared unkeyed transforms for stream sessions */
	struct crypto_shash *sha256_tfm;
	struct crypto_shash *crc32c_tfm;
	/* sessions */
	spinlock_t sess_lock;		/* sess_tbl, sess_free, counters */
	struct vdpa_accel_session **sess_tbl;
	u32 *sess_free;
	u32 sess_nfree;
	u32 max_sessions;
	u64 sess_gen;
	atomic_t zstreams;
	atomic64_t requests;
	atomic64_t errors;
	atomic64_t losses;		/* [SESS-LOSS] events (lose_sessions) */
	unsigned int hw_ready_delay_ms;	/* test knob: HW_READY that late */
	unsigned long hw_ready_at;	/* jiffies: DRIVER_OK + the delay */
	atomic_t last_broken;		/* errno of the last broken ring */
	/* DEFLATE: which engine ran (sysfs deflate_acomp, deflate_zlib) */
	bool acomp_comp;		/* one-shot COMPRESS through acomp */
	bool acomp_decomp;		/* one-shot DECOMPRESS too (opt-in) */
	atomic64_t deflate_acomp;	/* requests acomp completed */
	atomic64_t deflate_zlib;	/* requests zlib completed */
	atomic64_t acomp_fallback;	/* acomp failed, zlib decided */
};

static inline struct vdpa_accel *vdpa_to_accel(struct vdpa_device *vdpa)
{
	return container_of(vdpa, struct vdpa_accel, vdpa);
}

extern struct workqueue_struct *vdpa_accel_wq;

/* vdpa_accel_main.c */
void vdpa_accel_vq_break(struct vdpa_accel_vq *vq, int err);
void vdpa_accel_stop(struct vdpa_accel *va);
void vdpa_accel_kick_all(struct vdpa_accel *va);

/* vdpa_accel_loss.c: sysfs lose_sessions (write), losses */
extern struct device_attribute dev_attr_lose_sessions;
extern struct device_attribute dev_attr_losses;
extern struct device_attribute dev_attr_hw_ready_delay_ms;
void vdpa_accel_hw_ready_start(struct vdpa_accel *va);
void vdpa_accel_hw_ready_cfg(struct vdpa_accel *va,
			     struct virtio_accel_config *c);

/* vdpa_accel_acomp.c: DEFLATE through the crypto API's acomp */
extern struct device_attribute dev_attr_deflate_acomp;
extern struct device_attribute dev_attr_deflate_zlib;
extern struct device_attribute dev_attr_acomp_fallback;
void vdpa_accel_acomp_probe(struct vdpa_accel *va);
int vdpa_accel_acomp_qinit(struct vdpa_accel *va, struct vdpa_accel_qctx *qc);
void vdpa_accel_acomp_qfini(struct vdpa_accel_qctx *qc);
bool vdpa_accel_acomp_run(struct vdpa_accel *va, struct vdpa_accel_req *r,
			  bool comp, u8 *st);

/* vdpa_accel_async.c: requests in flight in the crypto API */
extern struct device_attribute dev_attr_max_inflight;
extern struct device_attribute dev_attr_reordered;
const char *vdpa_accel_aead_alg(void);
bool vdpa_accel_inflight_ok(void);
void vdpa_accel_async_vq_init(struct vdpa_accel_vq *vq);
int vdpa_accel_async_alloc(struct vdpa_accel *va, struct vdpa_accel_vq *vq);
void vdpa_accel_async_free(struct vdpa_accel_vq *vq);
struct vdpa_accel_chain *vdpa_accel_async_get(struct vdpa_accel_vq *vq);
void vdpa_accel_async_put(struct vdpa_accel_vq *vq,
			  struct vdpa_accel_chain *c);
int vdpa_accel_async_submit(struct vdpa_accel *va, struct vdpa_accel_vq *vq,
			    const struct vdpa_accel_chain *c,
			    struct virtio_accel_dev_req *cr);
unsigned int vdpa_accel_async_reap(struct vdpa_accel *va,
				   struct vdpa_accel_vq *vq);
void vdpa_accel_async_quiesce(struct vdpa_accel *va, struct vdpa_accel_vq *vq);

/* vdpa_accel_ring.c */
int vdpa_accel_iotlb_read(struct vdpa_accel *va, u64 iova, void *buf,
			  size_t len);
int vdpa_accel_iotlb_write(struct vdpa_accel *va, u64 iova, const void *buf,
			   size_t len);
int vdpa_accel_vq_get(struct vdpa_accel_vq *vq, struct vdpa_accel_chain *c);
int vdpa_accel_vq_put(struct vdpa_accel_vq *vq, u16 head, u32 len);
bool vdpa_accel_vq_more(struct vdpa_accel_vq *vq);
void vdpa_accel_vq_notify(struct vdpa_accel_vq *vq);
int vdpa_accel_chain_read(struct vdpa_accel *va,
			  const struct vdpa_accel_chain *c, u64 off, void *buf,
			  u64 len);
int vdpa_accel_chain_write(struct vdpa_accel *va,
			   const struct vdpa_accel_chain *c, u64 off,
			   const void *buf, u64 len);

/* vdpa_accel_ops.c */
void vdpa_accel_work(struct work_struct *work);
int vdpa_accel_sessions_init(struct vdpa_accel *va, u32 max);
void vdpa_accel_sessions_reset(struct vdpa_accel *va);
void vdpa_accel_sessions_fini(struct vdpa_accel *va);
long vdpa_accel_finish(struct vdpa_accel *va, struct vdpa_accel_vq *vq,
		       struct vdpa_accel_chain *c,
		       struct virtio_accel_dev_req *cr, int st, bool discard);
u32 vdpa_accel_sessions_live(struct vdpa_accel *va);

/* vdpa_accel_engine.c */
struct vdpa_accel_stream;

struct vdpa_accel_session {
	struct kref ref;
	struct vdpa_accel *va;
	u64 id;
	/* op, algo, flags, key; stream state owned by the device core */
	struct virtio_accel_dev_sess c;
	struct mutex lock;	/* stream state */
	struct vdpa_accel_stream *stream;
};

int vdpa_accel_engines_init(struct vdpa_accel *va);
void vdpa_accel_engines_fini(struct vdpa_accel *va);
int vdpa_accel_qctx_init(struct vdpa_accel *va, struct vdpa_accel_qctx *qc);
void vdpa_accel_qctx_fini(struct vdpa_accel_qctx *qc);
u8 vdpa_accel_engine_run(struct vdpa_accel *va, struct vdpa_accel_req *r);
struct scatterlist *vdpa_accel_sg_fill(struct scatterlist *sg, unsigned int n,
				       u8 *buf, size_t len);
bool vdpa_accel_alg_ours(struct crypto_tfm *tfm);
struct crypto_aead *vdpa_accel_alloc_aead(const char *name);
void vdpa_accel_name(struct vdpa_accel *va, u32 op, u32 algo,
		     const char *name);
int vdpa_accel_stream_alloc(struct vdpa_accel *va,
			    struct vdpa_accel_session *s);
void vdpa_accel_stream_free(struct vdpa_accel *va,
			    struct vdpa_accel_session *s);
u8 vdpa_accel_stream_run(struct vdpa_accel *va, struct vdpa_accel_req *r,
			 bool start, bool final);

#endif /* _VDPA_ACCEL_H */
