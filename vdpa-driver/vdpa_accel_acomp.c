// SPDX-License-Identifier: GPL-2.0-only
/*
 * vdpa_accel: one-shot DEFLATE through the crypto API's compression
 * interface, so that a compressor registered with the crypto API under
 * "deflate" (QAT, IAA, HiSilicon ZIP, ...) does the work; the software one
 * in Linux 6.12 is crypto/deflate.c ("deflate-scomp", run by the scomp
 * layer).
 *
 * What goes where, and why zlib stays for the rest:
 *
 * - One-shot COMPRESS: acomp. The crypto API's "deflate" is raw DEFLATE
 *   (RFC 1951, no zlib wrapper, for IPCOMP) ending with a final block,
 *   which is what [OP-DEFLATE] asks for; its level and window are the
 *   implementation's (crypto/deflate.c: default level, a 2 KiB window,
 *   memLevel 9), which the spec leaves open. When acomp fails the request
 *   goes to zlib, which decides: acomp reports an output that does not fit
 *   as a plain error (-EINVAL from crypto/deflate.c), and the scomp layer
 *   refuses inputs over 128 KiB and outputs are capped there; with a 2 KiB
 *   window incompressible data can outgrow VIRTIO_ACCEL_DEFLATE_BOUND, and
 *   zlib's stored blocks keep [OP-DEFLATE]'s no-NOSPC promise. An empty
 *   input (acomp takes none) goes to zlib directly.
 * - One-shot DECOMPRESS: zlib unless the module parameter acomp=2. acomp
 *   returns the output length only, not how much input it consumed, and
 *   crypto/deflate.c stops at the end of the final block without looking
 *   at what follows (and feeds a zero byte to an input that ends early),
 *   so [OP-DEFLATE]'s BADMSG for data after the final block cannot be
 *   given; checking it would take a zlib pass over the same input, more
 *   work than zlib alone. With acomp=2 an operator who prefers a hardware
 *   decompressor takes that deviation (failed requests still go to zlib,
 *   so NOSPC and BADMSG for bad data stay exact).
 * - DEFLATE streams ([STREAM-DEFLATE], a window carried across requests,
 *   consumed input reported, partial output): zlib. The acomp interface of
 *   6.12 is one-shot; it carries no state from one request to the next.
 *
 * Which engine ran is counted: /sys/bus/vdpa/devices/NAME/deflate_acomp,
 * deflate_zlib and acomp_fallback; GET_CAPS names the acomp driver (its
 * first 8 bytes) for the directions acomp takes.
 *
 * The implementation is chosen like the other engines (vdpa_accel_alg_ours):
 * never virtio_accel.ko's own "deflate-virtio-accel" when both modules run
 * in one kernel. Each data queue has its own transform and request,
 * allocated when the device is created (crypto/deflate.c: ~300 KiB of zlib
 * state per request); a queue that cannot have them uses zlib.
 */
#include <crypto/acompress.h>
#include <linux/device.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "vdpa_accel.h"

static unsigned int acomp = 1;
module_param(acomp, uint, 0444);
MODULE_PARM_DESC(acomp,
		 "DEFLATE through the crypto API's acomp: 0 never, 1 one-shot COMPRESS (default), 2 also one-shot DECOMPRESS (data after the final block goes undetected)");

static struct crypto_acomp *vdpa_accel_alloc_acomp(void)
{
	struct crypto_acomp *tfm = crypto_alloc_acomp("deflate", 0, 0);

	if (IS_ERR(tfm) || !vdpa_accel_alg_ours(crypto_acomp_tfm(tfm)))
		return tfm;
	crypto_free_acomp(tfm);
	tfm = crypto_alloc_acomp("deflate", 0, CRYPTO_ALG_KERN_DRIVER_ONLY);
	if (!IS_ERR(tfm) && vdpa_accel_alg_ours(crypto_acomp_tfm(tfm))) {
		crypto_free_acomp(tfm);
		tfm = ERR_PTR(-ELOOP);
	}
	return tfm;
}

/* At device creation: whether acomp takes DEFLATE, and its name. */
void vdpa_accel_acomp_probe(struct vdpa_accel *va)
{
	struct device *dev = va->vdpa.mdev->device;
	struct crypto_acomp *tfm;
	const char *name;

	va->acomp_comp = false;
	va->acomp_decomp = false;
	if (!acomp)
		return;
	tfm = vdpa_accel_alloc_acomp();
	if (IS_ERR(tfm)) {
		dev_info(dev, "no acomp deflate (%ld): DEFLATE on zlib\n",
			 PTR_ERR(tfm));
		return;
	}
	name = crypto_tfm_alg_driver_name(crypto_acomp_tfm(tfm));
	va->acomp_comp = true;
	vdpa_accel_name(va, VIRTIO_ACCEL_OP_COMPRESS, VIRTIO_ACCEL_ALG_DEFLATE,
			name);
	if (acomp >= 2) {
		va->acomp_decomp = true;
		vdpa_accel_name(va, VIRTIO_ACCEL_OP_DECOMPRESS,
				VIRTIO_ACCEL_ALG_DEFLATE, name);
	}
	dev_info(dev, "deflate: %s (acomp) for one-shot compression%s, zlib for streams%s\n",
		 name, va->acomp_decomp ? " and decompression" : "",
		 va->acomp_decomp ? "" : " and decompression");
	crypto_free_acomp(tfm);
}

/* A data queue's transform and request; none (zlib) if they fail. */
int vdpa_accel_acomp_qinit(struct vdpa_accel *va, struct vdpa_accel_qctx *qc)
{
	struct crypto_acomp *tfm;
	struct acomp_req *req;

	if (!va->acomp_comp)
		return 0;
	qc->sg_out_n = DIV_ROUND_UP(qc->out_size, PAGE_SIZE) + 2;
	qc->sg_out = kvmalloc_array(qc->sg_out_n, sizeof(*qc->sg_out),
				    GFP_KERNEL);
	if (!qc->sg_out)
		return -ENOMEM;
	tfm = vdpa_accel_alloc_acomp();
	if (IS_ERR(tfm))
		goto no_acomp;
	req = acomp_request_alloc(tfm);
	if (!req)
		goto free_tfm;
	qc->acomp = tfm;
	qc->acomp_req = req;
	return 0;

free_tfm:
	crypto_free_acomp(tfm);
no_acomp:
	dev_warn(&va->vdpa.dev, "a queue without acomp: DEFLATE on zlib there\n");
	return 0;
}

void vdpa_accel_acomp_qfini(struct vdpa_accel_qctx *qc)
{
	if (qc->acomp_req)
		acomp_request_free(qc->acomp_req);
	crypto_free_acomp(qc->acomp);
	kvfree(qc->sg_out);
	qc->acomp_req = NULL;
	qc->acomp = NULL;
	qc->sg_out = NULL;
}

/*
 * Run a one-shot COMPRESS (@comp) or DECOMPRESS through acomp. Returns true
 * with *@st set when acomp completed it, false when zlib is to run it (no
 * acomp for this direction or queue, an empty buffer, or acomp failed).
 */
bool vdpa_accel_acomp_run(struct vdpa_accel *va, struct vdpa_accel_req *r,
			  bool comp, u8 *st)
{
	struct vdpa_accel_qctx *qc = r->qc;
	struct acomp_req *req = qc->acomp_req;
	u32 slen = r->op.src_len, dlen = r->op.dst_len;
	DECLARE_CRYPTO_WAIT(wait);
	int ret;

	if (!req || !(comp ? va->acomp_comp : va->acomp_decomp))
		return false;
	/* acomp takes neither an empty input nor an empty output */
	if (!slen || !dlen)
		return false;
	acomp_request_set_callback(req, CRYPTO_TFM_REQ_MAY_BACKLOG |
				   CRYPTO_TFM_REQ_MAY_SLEEP, crypto_req_done,
				   &wait);
	acomp_request_set_params(req,
				 vdpa_accel_sg_fill(qc->sg, qc->sg_n,
						    r->src, slen),
				 vdpa_accel_sg_fill(qc->sg_out, qc->sg_out_n,
						    r->dst, dlen),
				 slen, dlen);
	if (comp)
		ret = crypto_wait_req(crypto_acomp_compress(req), &wait);
	else
		ret = crypto_wait_req(crypto_acomp_decompress(req), &wait);
	if (ret || req->dlen > dlen) {
		atomic64_inc(&va->acomp_fallback);
		return false;
	}
	r->src_used = slen;
	r->dst_used = req->dlen;
	/* [OP-RESP]: STREAM_END on a one-shot DECOMPRESS */
	r->rflags = comp ? 0 : VIRTIO_ACCEL_RESP_F_STREAM_END;
	atomic64_inc(&va->deflate_acomp);
	*st = VIRTIO_ACCEL_OK;
	return true;
}

/* ---- sysfs: deflate_acomp, deflate_zlib, acomp_fallback ---- */

static ssize_t deflate_acomp_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	struct vdpa_accel *va = vdpa_to_accel(dev_to_vdpa(dev));

	return sysfs_emit(buf, "%lld\n", atomic64_read(&va->deflate_acomp));
}
DEVICE_ATTR_RO(deflate_acomp);

static ssize_t deflate_zlib_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	struct vdpa_accel *va = vdpa_to_accel(dev_to_vdpa(dev));

	return sysfs_emit(buf, "%lld\n", atomic64_read(&va->deflate_zlib));
}
DEVICE_ATTR_RO(deflate_zlib);

static ssize_t acomp_fallback_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	struct vdpa_accel *va = vdpa_to_accel(dev_to_vdpa(dev));

	return sysfs_emit(buf, "%lld\n", atomic64_read(&va->acomp_fallback));
}
DEVICE_ATTR_RO(acomp_fallback);
