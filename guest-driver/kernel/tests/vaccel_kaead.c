// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test module for the guest tests (not part of the driver): one AEAD
 * operation on a file through the kernel crypto API, the way a kernel user
 * makes it: in place, or from a source to another destination
 * scatterlist (AF_ALG always works in place).
 *
 *   echo "DRIVER enc|dec KEYHEX IVHEX TAGLEN AADFILE|- INFILE [inplace]
 *	   [pt=FILE]" > /sys/module/vaccel_kaead/parameters/run
 *   cat /sys/module/vaccel_kaead/parameters/result
 *
 * INFILE is the plaintext (enc) or ciphertext and tag (dec). The source,
 * AAD || INFILE, lies in a scatterlist of entries of 4096, 1000 and 3000
 * bytes in turn, the destination in one of 3000, 4096 and 1000 (each
 * within a page), prefilled with 0x5a. result: "SHA256 USEC", the SHA-256
 * of the output after the AAD, or "error ERRNO USEC PLAIN" where PLAIN is
 * the number of bytes of the output area equal to those of the plaintext
 * FILE at the same offset (pt=; else 0).
 */
#include <crypto/aead.h>
#include <crypto/hash.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

static char result[160];
static const unsigned int src_layout[] = { 4096, 1000, 3000 };
static const unsigned int dst_layout[] = { 3000, 4096, 1000 };

/* @size bytes of @path (at most @room) to @buf; -errno or the size */
static ssize_t ka_read(const char *path, void *buf, size_t room)
{
	struct file *f = filp_open(path, O_RDONLY, 0);
	loff_t size, pos = 0;
	ssize_t err;

	if (IS_ERR(f))
		return PTR_ERR(f);
	size = i_size_read(file_inode(f));
	err = -EFBIG;
	if (size > room)
		goto close;
	while (pos < size) {
		ssize_t n = kernel_read(f, buf + pos, size - pos, &pos);

		if (n <= 0) {
			err = n ? n : -EIO;
			goto close;
		}
	}
	err = size;
close:
	filp_close(f, NULL);
	return err;
}

static loff_t ka_size(const char *path)
{
	struct file *f = filp_open(path, O_RDONLY, 0);
	loff_t size;

	if (IS_ERR(f))
		return PTR_ERR(f);
	size = i_size_read(file_inode(f));
	filp_close(f, NULL);
	return size;
}

/* A scatterlist over @len bytes of vmalloc'ed @buf in pieces of @layout. */
static struct scatterlist *ka_sg(void *buf, size_t len,
				 const unsigned int *layout)
{
	struct scatterlist *sg;
	unsigned int n = 0, i;
	size_t pos;

	for (pos = 0; pos < len; n++)
		pos += min3(len - pos, (size_t)layout[n % 3],
			    PAGE_SIZE - offset_in_page(pos));
	sg = kvcalloc(max(n, 1U), sizeof(*sg), GFP_KERNEL);
	if (!sg)
		return NULL;
	sg_init_table(sg, max(n, 1U));
	for (pos = 0, i = 0; i < n; i++) {
		size_t l = min3(len - pos, (size_t)layout[i % 3],
				PAGE_SIZE - offset_in_page(pos));

		sg_set_page(&sg[i], vmalloc_to_page(buf + pos), l,
			    offset_in_page(pos));
		pos += l;
	}
	return sg;
}

struct ka_args {
	const char *drv, *key, *iv, *aad, *in, *pt;
	bool enc, inplace;
	unsigned int taglen;
};

static int ka_crypt(const struct ka_args *a, u8 *digest, size_t *plain)
{
	u8 key[32], iv[12];
	size_t klen = strlen(a->key) / 2, aadlen = 0, inlen, outlen, room;
	struct scatterlist *src = NULL, *dst = NULL;
	struct crypto_aead *tfm;
	struct crypto_shash *sha = NULL;
	struct aead_request *req;
	u8 *sbuf = NULL, *dbuf = NULL, *pt = NULL, *out;
	DECLARE_CRYPTO_WAIT(wait);
	loff_t size;
	ssize_t n;
	int err;

	if (klen > sizeof(key) || hex2bin(key, a->key, klen) ||
	    strlen(a->iv) != 2 * sizeof(iv) ||
	    hex2bin(iv, a->iv, sizeof(iv)))
		return -EINVAL;
	if (strcmp(a->aad, "-")) {
		size = ka_size(a->aad);
		if (size < 0)
			return size;
		aadlen = size;
	}
	size = ka_size(a->in);
	if (size < 0)
		return size;
	inlen = size;
	if (!a->enc && inlen < a->taglen)
		return -EINVAL;
	outlen = a->enc ? inlen + a->taglen : inlen - a->taglen;
	room = aadlen + max(inlen, outlen);
	err = -ENOMEM;
	sbuf = vmalloc(max_t(size_t, room, 1));
	dbuf = vmalloc(max_t(size_t, room, 1));
	if (!sbuf || !dbuf)
		goto free;
	memset(dbuf, 0x5a, room);
	if (aadlen) {
		n = ka_read(a->aad, sbuf, aadlen);
		err = n < 0 ? n : 0;
		if (err)
			goto free;
	}
	n = ka_read(a->in, sbuf + aadlen, inlen);
	err = n < 0 ? n : 0;
	if (err)
		goto free;
	err = -ENOMEM;
	src = ka_sg(sbuf, room, src_layout);
	dst = a->inplace ? src : ka_sg(dbuf, room, dst_layout);
	if (!src || !dst)
		goto free;

	tfm = crypto_alloc_aead(a->drv, 0, 0);
	if (IS_ERR(tfm)) {
		err = PTR_ERR(tfm);
		goto free;
	}
	err = crypto_aead_setkey(tfm, key, klen);
	if (!err)
		err = crypto_aead_setauthsize(tfm, a->taglen);
	if (err)
		goto free_tfm;
	err = -ENOMEM;
	req = aead_request_alloc(tfm, GFP_KERNEL);
	if (!req)
		goto free_tfm;
	aead_request_set_callback(req, CRYPTO_TFM_REQ_MAY_SLEEP |
				  CRYPTO_TFM_REQ_MAY_BACKLOG,
				  crypto_req_done, &wait);
	aead_request_set_crypt(req, src, dst, inlen, iv);
	aead_request_set_ad(req, aadlen);
	err = crypto_wait_req(a->enc ? crypto_aead_encrypt(req) :
			      crypto_aead_decrypt(req), &wait);
	aead_request_free(req);
	out = a->inplace ? sbuf : dbuf;
	if (!err) {
		sha = crypto_alloc_shash("sha256", 0, 0);
		if (IS_ERR(sha)) {
			err = PTR_ERR(sha);
			sha = NULL;
		} else {
			err = crypto_shash_tfm_digest(sha, out + aadlen,
						      outlen, digest);
		}
	} else if (a->pt && !a->enc) {
		/* the whole output area against the plaintext */
		size_t i;

		pt = vmalloc(max_t(size_t, outlen, 1));
		if (pt && ka_read(a->pt, pt, outlen) == (ssize_t)outlen)
			for (i = 0; i < outlen; i++)
				*plain += pt[i] == out[aadlen + i];
		else
			*plain = SIZE_MAX;
	}
free_tfm:
	crypto_free_aead(tfm);
free:
	if (sha)
		crypto_free_shash(sha);
	if (dst != src)
		kvfree(dst);
	kvfree(src);
	vfree(pt);
	vfree(dbuf);
	vfree(sbuf);
	memzero_explicit(key, sizeof(key));
	return err;
}

static int ka_run(const char *val, const struct kernel_param *kp)
{
	char *s = kstrdup(val, GFP_KERNEL), *p, *op, *tl, *w;
	struct ka_args a = {};
	size_t plain = 0;
	u8 digest[32];
	ktime_t t0;
	s64 us;
	int err = -EINVAL;

	if (!s)
		return -ENOMEM;
	p = strim(s);
	a.drv = strsep(&p, " ");
	op = strsep(&p, " ");
	a.key = strsep(&p, " ");
	a.iv = strsep(&p, " ");
	tl = strsep(&p, " ");
	a.aad = strsep(&p, " ");
	a.in = strsep(&p, " ");
	while ((w = strsep(&p, " "))) {
		if (!strcmp(w, "inplace"))
			a.inplace = true;
		else if (!strncmp(w, "pt=", 3))
			a.pt = w + 3;
	}
	t0 = ktime_get();
	if (a.in && (!strcmp(op, "enc") || !strcmp(op, "dec")) &&
	    !kstrtouint(tl, 10, &a.taglen)) {
		a.enc = !strcmp(op, "enc");
		err = ka_crypt(&a, digest, &plain);
	}
	us = ktime_us_delta(ktime_get(), t0);
	if (err)
		snprintf(result, sizeof(result), "error %d %lld %zu\n", err, us,
			 plain);
	else
		snprintf(result, sizeof(result), "%*phN %lld\n",
			 (int)sizeof(digest), digest, us);
	kfree(s);
	return 0;
}

static const struct kernel_param_ops ka_run_ops = {
	.set = ka_run,
};
module_param_cb(run, &ka_run_ops, NULL, 0200);
MODULE_PARM_DESC(run, "DRIVER enc|dec KEYHEX IVHEX TAGLEN AADFILE|- INFILE [inplace] [pt=FILE]");
module_param_string(result, result, sizeof(result), 0444);
MODULE_PARM_DESC(result, "SHA256 USEC, or error ERRNO USEC PLAIN");

MODULE_DESCRIPTION("virtio-accel tests: one AEAD operation on a file");
MODULE_LICENSE("GPL");
