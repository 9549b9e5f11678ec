// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test module for the guest tests (not part of the driver): one whole-message
 * digest of a file through the kernel crypto API, the way a kernel user
 * makes it (AF_ALG cannot: it hands a message over in steps of 64 KiB).
 *
 *   echo "DRIVER FILE KEY [finup] [atomic] [par=N]" \
 *	> /sys/module/vaccel_kdigest/parameters/run
 *   cat /sys/module/vaccel_kdigest/parameters/result
 *
 * KEY is hex, "empty" for a setkey of 0 bytes, or "-" for none. finup:
 * init + finup instead of digest; atomic: the request without
 * CRYPTO_TFM_REQ_MAY_SLEEP and MAY_BACKLOG; par=N: N requests of the same
 * message at once (<= 64), which must agree. The file's data lies in a
 * scatterlist of entries of 4096, 1000 and 3000 bytes in turn (each within
 * a page). result: "HEXDIGEST MICROSECONDS" or "error ERRNO
 * MICROSECONDS"; -EPROTO when a request the driver put on its backlog
 * (-EBUSY) completed without the -EINPROGRESS that says it left it (a
 * user such as dm-crypt waits for that before it submits more).
 */
#include <crypto/hash.h>
#include <linux/kernel.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

static char result[160];
static const unsigned int layout[] = { 4096, 1000, 3000 };

/*
 * The file into a vmalloc buffer (kernel_read_file() would go through the
 * LSMs' read-file hooks, where IPE warns about an unknown purpose).
 */
static int kd_read(const char *path, void **bufp, size_t *sizep)
{
	struct file *f = filp_open(path, O_RDONLY, 0);
	loff_t size, pos = 0;
	void *buf;
	int err = 0;

	if (IS_ERR(f))
		return PTR_ERR(f);
	size = i_size_read(file_inode(f));
	buf = vmalloc(max_t(loff_t, size, 1));
	if (!buf) {
		err = -ENOMEM;
		goto close;
	}
	while (pos < size) {
		ssize_t n = kernel_read(f, buf + pos, size - pos, &pos);

		if (n <= 0) {
			err = n ? n : -EIO;
			vfree(buf);
			goto close;
		}
	}
	*bufp = buf;
	*sizep = size;
close:
	filp_close(f, NULL);
	return err;
}

#define KD_PAR_MAX	64

struct kd_one {
	struct ahash_request *req;
	struct crypto_wait wait;
	int ret;
	bool left_backlog;		/* -EINPROGRESS came */
	u8 out[64];
};

/* crypto_req_done(), noting the -EINPROGRESS of a backlogged request */
static void kd_done(void *data, int err)
{
	struct kd_one *o = data;

	if (err == -EINPROGRESS) {
		WRITE_ONCE(o->left_backlog, true);
		return;
	}
	crypto_req_done(&o->wait, err);
}

static int kd_digest(const char *drv, const char *path, const char *key,
		     bool finup, bool atomic, unsigned int par, u8 *out,
		     unsigned int *dlen)
{
	struct crypto_ahash *tfm;
	struct scatterlist *sg = NULL;
	struct kd_one *one = NULL;
	unsigned int n = 0, i;
	size_t size = 0, pos;
	void *buf = NULL;
	u8 *k = NULL;
	bool proto = false;
	int err;

	err = kd_read(path, &buf, &size);
	if (err)
		return err;
	for (pos = 0; pos < size; n++)
		pos += min3(size - pos, (size_t)layout[n % 3],
			    PAGE_SIZE - offset_in_page(pos));
	sg = kvcalloc(max(n, 1U), sizeof(*sg), GFP_KERNEL);
	err = -ENOMEM;
	if (!sg)
		goto free_buf;
	sg_init_table(sg, max(n, 1U));
	for (pos = 0, i = 0; i < n; i++) {
		size_t len = min3(size - pos, (size_t)layout[i % 3],
				  PAGE_SIZE - offset_in_page(pos));

		sg_set_page(&sg[i], vmalloc_to_page(buf + pos), len,
			    offset_in_page(pos));
		pos += len;
	}

	tfm = crypto_alloc_ahash(drv, 0, 0);
	if (IS_ERR(tfm)) {
		err = PTR_ERR(tfm);
		goto free_sg;
	}
	if (strcmp(key, "-")) {
		size_t kl = strcmp(key, "empty") ? strlen(key) / 2 : 0;

		k = kmalloc(kl + 1, GFP_KERNEL);
		err = -ENOMEM;
		if (!k)
			goto free_tfm;
		err = kl ? hex2bin(k, key, kl) : 0;
		if (!err)
			err = crypto_ahash_setkey(tfm, k, kl);
		if (err)
			goto free_tfm;
	}
	*dlen = crypto_ahash_digestsize(tfm);
	one = kcalloc(par, sizeof(*one), GFP_KERNEL);
	err = -ENOMEM;
	if (!one || *dlen > sizeof(one->out))
		goto free_tfm;
	/* all submitted first, then waited for: @par requests at once */
	err = 0;
	for (i = 0; i < par; i++) {
		struct kd_one *o = &one[i];

		o->req = ahash_request_alloc(tfm, GFP_KERNEL);
		if (!o->req) {
			par = i;	/* wait for those in flight */
			err = -ENOMEM;
			break;
		}
		crypto_init_wait(&o->wait);
		ahash_request_set_callback(o->req, atomic ? 0 :
					   CRYPTO_TFM_REQ_MAY_SLEEP |
					   CRYPTO_TFM_REQ_MAY_BACKLOG,
					   kd_done, o);
		ahash_request_set_crypt(o->req, sg, o->out, size);
		if (finup) {
			o->ret = crypto_wait_req(crypto_ahash_init(o->req),
						 &o->wait);
			if (!o->ret)
				o->ret = crypto_ahash_finup(o->req);
		} else {
			o->ret = crypto_ahash_digest(o->req);
		}
	}
	for (i = 0; i < par; i++) {
		int e = crypto_wait_req(one[i].ret, &one[i].wait);

		if (one[i].ret == -EBUSY && !READ_ONCE(one[i].left_backlog))
			proto = true;
		if (!err)
			err = e;
		if (!err && memcmp(one[i].out, one[0].out, *dlen))
			err = -EBADMSG;	/* the same message, another digest */
	}
	if (proto)
		err = -EPROTO;
	if (!err)
		memcpy(out, one[0].out, *dlen);
	for (i = 0; i < par; i++)
		ahash_request_free(one[i].req);
free_tfm:
	kfree(one);
	kfree(k);
	crypto_free_ahash(tfm);
free_sg:
	kvfree(sg);
free_buf:
	vfree(buf);
	return err;
}

static int kd_run(const char *val, const struct kernel_param *kp)
{
	char *s = kstrdup(val, GFP_KERNEL), *p, *drv, *path, *key, *w;
	bool finup = false, atomic = false;
	unsigned int par = 1;
	u8 out[64];
	unsigned int dlen = 0;
	ktime_t t0;
	s64 us;
	int err;

	if (!s)
		return -ENOMEM;
	p = strim(s);
	drv = strsep(&p, " ");
	path = strsep(&p, " ");
	key = strsep(&p, " ");
	while ((w = strsep(&p, " "))) {
		if (!strcmp(w, "finup"))
			finup = true;
		else if (!strcmp(w, "atomic"))
			atomic = true;
		else if (!strncmp(w, "par=", 4) &&
			 (kstrtouint(w + 4, 10, &par) || !par ||
			  par > KD_PAR_MAX))
			par = 0;	/* refused below */
	}
	err = -EINVAL;
	t0 = ktime_get();
	if (drv && path && key && par)
		err = kd_digest(drv, path, key, finup, atomic, par, out,
				&dlen);
	us = ktime_us_delta(ktime_get(), t0);
	if (err || dlen > sizeof(out))
		snprintf(result, sizeof(result), "error %d %lld\n", err, us);
	else
		snprintf(result, sizeof(result), "%*phN %lld\n", dlen, out, us);
	kfree(s);
	return 0;
}

static const struct kernel_param_ops kd_run_ops = {
	.set = kd_run,
};
module_param_cb(run, &kd_run_ops, NULL, 0200);
MODULE_PARM_DESC(run, "DRIVER FILE KEYHEX|-|empty [finup] [atomic] [par=N]");
module_param_string(result, result, sizeof(result), 0444);
MODULE_PARM_DESC(result, "HEXDIGEST USEC, or error ERRNO USEC");

MODULE_DESCRIPTION("virtio-accel tests: whole-message digests of a file");
MODULE_LICENSE("GPL");
