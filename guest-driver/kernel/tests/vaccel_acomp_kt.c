// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test module: one acomp request at a time through the kernel crypto API,
 * driven from user space (AF_ALG has no compression). Used by
 * tests/vm/guest/t-acomp-guest.sh.
 *
 *   insmod vaccel_acomp_kt.ko [alg=deflate-virtio-accel]
 *   /sys/kernel/debug/vaccel_acomp_kt/
 *     src      write: the input (opening it with O_TRUNC, or a write at
 *              offset 0, starts it anew)
 *     run      write "comp|decomp DLEN one|page|odd [null] [atomic]":
 *              one request, waited for. Layouts of src and dst: one
 *              contiguous entry; an entry per page (vmalloc); entries of
 *              1..4096 bytes at odd offsets, with empty ones among them.
 *              null: dst NULL (CRYPTO_ACOMP_ALLOC_OUTPUT, dlen as given);
 *              atomic: without CRYPTO_TFM_REQ_MAY_SLEEP
 *     result   read "RET DLEN": the request's return value and dlen
 *     dst      read: the output (dlen bytes)
 *     gz       read: the output as a gzip member whose CRC-32 and size are
 *              of src (after comp: gunzip checks the stream and the data)
 */
#include <crypto/acompress.h>
#include <linux/crc32.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/unaligned.h>
#include <linux/vmalloc.h>

static char *alg = "deflate-virtio-accel";
module_param(alg, charp, 0444);
MODULE_PARM_DESC(alg, "acomp driver (or algorithm) name");

static DEFINE_MUTEX(kt_lock);
static struct crypto_acomp *kt_tfm;
static struct dentry *kt_dir;
static u8 *kt_src;		/* vmalloc */
static size_t kt_src_len, kt_src_size;
static u8 *kt_out;		/* vmalloc: the last result */
static size_t kt_out_len;
static int kt_ret;

enum kt_layout { KT_ONE, KT_PAGE, KT_ODD };

/* An input or output buffer with its scatterlist. */
struct kt_buf {
	u8 *base;		/* vmalloc (page, odd) */
	u8 *v;			/* the data */
	struct page *pages;	/* alloc_pages (one) */
	unsigned int order;
	struct scatterlist *sg;
};

static void kt_buf_free(struct kt_buf *b)
{
	kfree(b->sg);
	if (b->pages)
		__free_pages(b->pages, b->order);
	vfree(b->base);
}

/* pieces of the odd layout (cut at page ends too), empty ones among them */
static const unsigned int kt_odd[] = { 1, 13, 0, 509, 4096, 3000, 7, 1500,
				       0, 2048 };

static int kt_buf_alloc(struct kt_buf *b, enum kt_layout layout, size_t len)
{
	unsigned int n = 0, i, k;
	size_t off;

	memset(b, 0, sizeof(*b));
	if (layout == KT_ONE) {
		b->order = get_order(max_t(size_t, len, 1));
		b->pages = alloc_pages(GFP_KERNEL | __GFP_NOWARN, b->order);
		b->sg = kmalloc(sizeof(*b->sg), GFP_KERNEL);
		if (!b->pages || !b->sg)
			return -ENOMEM;
		b->v = page_address(b->pages);
		sg_init_one(b->sg, b->v, len);
		return 0;
	}
	b->base = vmalloc(len + PAGE_SIZE);
	if (!b->base)
		return -ENOMEM;
	/* odd: 5 bytes into a page, so that no piece is aligned */
	b->v = b->base + (layout == KT_ODD ? 5 : 0);
	/* count the pieces, then set them */
	for (k = 0; k < 2; k++) {
		if (k) {
			b->sg = kmalloc_array(max(n, 1U), sizeof(*b->sg),
					      GFP_KERNEL);
			if (!b->sg)
				return -ENOMEM;
			sg_init_table(b->sg, max(n, 1U));
			/* nothing: one empty entry */
			sg_set_page(b->sg, vmalloc_to_page(b->v), 0,
				    offset_in_page(b->v));
		}
		for (n = 0, i = 0, off = 0; off < len; n++) {
			u8 *p = b->v + off;
			size_t room = PAGE_SIZE - offset_in_page(p);
			size_t piece = layout == KT_PAGE ? room :
				       kt_odd[i++ % ARRAY_SIZE(kt_odd)];

			piece = min3(piece, room, len - off);
			if (k)
				sg_set_page(&b->sg[n], vmalloc_to_page(p),
					    piece, offset_in_page(p));
			off += piece;
		}
	}
	return 0;
}

static int kt_run(const char *cmd)
{
	char op[8], layout_s[8], f1[8] = "", f2[8] = "";
	struct kt_buf in = {}, out = {};
	struct scatterlist *dst;
	enum kt_layout layout;
	struct acomp_req *req;
	DECLARE_CRYPTO_WAIT(wait);
	bool null = false;
	u32 flags = CRYPTO_TFM_REQ_MAY_BACKLOG | CRYPTO_TFM_REQ_MAY_SLEEP;
	unsigned int dlen;
	int n, ret;

	n = sscanf(cmd, "%7s %u %7s %7s %7s", op, &dlen, layout_s, f1, f2);
	if (n < 3)
		return -EINVAL;
	if (!strcmp(layout_s, "one"))
		layout = KT_ONE;
	else if (!strcmp(layout_s, "page"))
		layout = KT_PAGE;
	else if (!strcmp(layout_s, "odd"))
		layout = KT_ODD;
	else
		return -EINVAL;
	if (!strcmp(f1, "null") || !strcmp(f2, "null"))
		null = true;
	if (!strcmp(f1, "atomic") || !strcmp(f2, "atomic"))
		flags &= ~CRYPTO_TFM_REQ_MAY_SLEEP;
	if (strcmp(op, "comp") && strcmp(op, "decomp"))
		return -EINVAL;

	ret = kt_buf_alloc(&in, layout, kt_src_len);
	if (ret)
		goto free;
	memcpy(in.v, kt_src, kt_src_len);
	if (!null) {
		ret = kt_buf_alloc(&out, layout, dlen);
		if (ret)
			goto free;
		memset(out.v, 0x5a, dlen);
	}
	ret = -ENOMEM;
	req = acomp_request_alloc(kt_tfm);
	if (!req)
		goto free;
	acomp_request_set_params(req, in.sg, null ? NULL : out.sg,
				 kt_src_len, dlen);
	acomp_request_set_callback(req, flags, crypto_req_done, &wait);
	ret = crypto_wait_req(op[0] == 'c' ? crypto_acomp_compress(req) :
			      crypto_acomp_decompress(req), &wait);
	kt_ret = ret;
	kt_out_len = 0;
	vfree(kt_out);
	kt_out = NULL;
	dst = req->dst;
	if (!ret) {
		kt_out = vmalloc(max(req->dlen, 1U));
		if (kt_out) {
			kt_out_len = req->dlen;
			if (null)
				sg_copy_to_buffer(dst, sg_nents(dst), kt_out,
						  req->dlen);
			else
				memcpy(kt_out, out.v, req->dlen);
		}
	}
	if (!ret && null && !dst)
		kt_ret = -EFAULT;	/* no output allocated */
	if (ret && null && dst)
		kt_ret = -EEXIST;	/* an output left behind on failure */
	/* frees an output allocated for a NULL dst (dst_free) */
	acomp_request_free(req);
	ret = 0;
free:
	kt_buf_free(&in);
	kt_buf_free(&out);
	return ret;
}

/* opened with O_TRUNC (a shell's "> src"): empty until written */
static int kt_src_open(struct inode *inode, struct file *f)
{
	if (f->f_flags & O_TRUNC) {
		mutex_lock(&kt_lock);
		kt_src_len = 0;
		mutex_unlock(&kt_lock);
	}
	return 0;
}

static ssize_t kt_src_write(struct file *f, const char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	size_t end = *ppos + count;

	if (*ppos < 0 || end > SZ_64M)
		return -EFBIG;
	mutex_lock(&kt_lock);
	if (!*ppos)
		kt_src_len = 0;
	if (end > kt_src_size) {
		size_t size = max_t(size_t, end, 2 * kt_src_size);
		u8 *p = vmalloc(size);

		if (!p) {
			mutex_unlock(&kt_lock);
			return -ENOMEM;
		}
		if (kt_src)
			memcpy(p, kt_src, kt_src_len);
		vfree(kt_src);
		kt_src = p;
		kt_src_size = size;
	}
	if (copy_from_user(kt_src + *ppos, ubuf, count)) {
		mutex_unlock(&kt_lock);
		return -EFAULT;
	}
	kt_src_len = max_t(size_t, kt_src_len, end);
	*ppos = end;
	mutex_unlock(&kt_lock);
	return count;
}

static ssize_t kt_run_write(struct file *f, const char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	char cmd[64];
	int ret;

	if (count >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, count))
		return -EFAULT;
	cmd[count] = 0;
	mutex_lock(&kt_lock);
	ret = kt_run(cmd);
	mutex_unlock(&kt_lock);
	return ret ? ret : count;
}

static ssize_t kt_result_read(struct file *f, char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	char s[32];
	int n;

	mutex_lock(&kt_lock);
	n = scnprintf(s, sizeof(s), "%d %zu\n", kt_ret, kt_out_len);
	mutex_unlock(&kt_lock);
	return simple_read_from_buffer(ubuf, count, ppos, s, n);
}

static ssize_t kt_dst_read(struct file *f, char __user *ubuf, size_t count,
			   loff_t *ppos)
{
	ssize_t n;

	mutex_lock(&kt_lock);
	n = simple_read_from_buffer(ubuf, count, ppos, kt_out, kt_out_len);
	mutex_unlock(&kt_lock);
	return n;
}

/* RFC 1952: a member with no name, no time, OS unknown */
static const u8 kt_gz_head[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff };

static ssize_t kt_gz_read(struct file *f, char __user *ubuf, size_t count,
			  loff_t *ppos)
{
	size_t hl = sizeof(kt_gz_head), total;
	u8 tail[8];
	loff_t pos;
	ssize_t done = 0;

	mutex_lock(&kt_lock);
	put_unaligned_le32(crc32_le(~0U, kt_src, kt_src_len) ^ ~0U, tail);
	put_unaligned_le32((u32)kt_src_len, tail + 4);
	total = hl + kt_out_len + sizeof(tail);
	while (count && *ppos < total) {
		const u8 *p;
		size_t n;

		pos = *ppos;
		if (pos < hl) {
			p = kt_gz_head + pos;
			n = hl - pos;
		} else if (pos < hl + kt_out_len) {
			p = kt_out + pos - hl;
			n = hl + kt_out_len - pos;
		} else {
			p = tail + pos - hl - kt_out_len;
			n = total - pos;
		}
		n = min(n, count);
		if (copy_to_user(ubuf + done, p, n)) {
			done = done ? done : -EFAULT;
			break;
		}
		*ppos += n;
		done += n;
		count -= n;
	}
	mutex_unlock(&kt_lock);
	return done;
}

static const struct file_operations kt_src_fops = {
	.owner = THIS_MODULE,
	.open = kt_src_open,
	.write = kt_src_write,
};

static const struct file_operations kt_run_fops = {
	.owner = THIS_MODULE,
	.write = kt_run_write,
};

static const struct file_operations kt_result_fops = {
	.owner = THIS_MODULE,
	.read = kt_result_read,
};

static const struct file_operations kt_dst_fops = {
	.owner = THIS_MODULE,
	.read = kt_dst_read,
};

static const struct file_operations kt_gz_fops = {
	.owner = THIS_MODULE,
	.read = kt_gz_read,
};

static int __init kt_init(void)
{
	kt_tfm = crypto_alloc_acomp(alg, 0, 0);
	if (IS_ERR(kt_tfm))
		return PTR_ERR(kt_tfm);
	pr_info("vaccel_acomp_kt: %s is %s\n", alg,
		crypto_tfm_alg_driver_name(crypto_acomp_tfm(kt_tfm)));
	kt_dir = debugfs_create_dir("vaccel_acomp_kt", NULL);
	debugfs_create_file("src", 0200, kt_dir, NULL, &kt_src_fops);
	debugfs_create_file("run", 0200, kt_dir, NULL, &kt_run_fops);
	debugfs_create_file("result", 0400, kt_dir, NULL, &kt_result_fops);
	debugfs_create_file("dst", 0400, kt_dir, NULL, &kt_dst_fops);
	debugfs_create_file("gz", 0400, kt_dir, NULL, &kt_gz_fops);
	return 0;
}

static void __exit kt_exit(void)
{
	debugfs_remove_recursive(kt_dir);
	crypto_free_acomp(kt_tfm);
	vfree(kt_src);
	vfree(kt_out);
}

module_init(kt_init);
module_exit(kt_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("virtio-accel tests: acomp requests from user space");
