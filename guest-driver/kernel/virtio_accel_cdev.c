// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-accel guest driver: the character device /dev/vaccelN (uAPI in
 * include/uapi/linux/virtio_accel_ioctl.h).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "virtio_accel_common.h"

/* ---- data ops --------------------------------------------------------- */

static int vaccel_op_check(struct vaccel_dev *vd, const struct vaccel_op *op)
{
	if (op->reserved || op->pad[0] || op->pad[1])
		return -EINVAL;
	if (!virtio_accel_alg_lookup(op->opcode, op->algo))
		return -EOPNOTSUPP;
	if (op->flags & ~VIRTIO_ACCEL_OP_F_FINAL)
		return -EINVAL;
	if (op->key_len > vd->max_key_len || op->iv_len > VACCEL_MAX_IV_LEN ||
	    op->aad_len > vd->max_aad_len || op->src_len > vd->max_data_len ||
	    op->dst_len > vd->max_data_len)
		return -EINVAL;
	if (op->queue != VACCEL_QUEUE_ANY && op->queue >= vd->nr_dataqs)
		return -EINVAL;
	return 0;
}

static struct vaccel_vq *vaccel_pick_queue(struct vaccel_dev *vd,
					   const struct vaccel_op *op,
					   struct vaccel_sess *s)
{
	unsigned int i;

	if (op->queue != VACCEL_QUEUE_ANY)
		i = op->queue;
	else if (s && (s->flags & VIRTIO_ACCEL_SESS_F_STREAM))
		i = (u32)s->id % vd->nr_dataqs;	/* [STREAM-ORDER] */
	else
		i = raw_smp_processor_id() % vd->nr_dataqs;
	return &vd->qs[VIRTIO_ACCEL_DATAQ(i)];
}

static struct vaccel_req *vaccel_op_prepare(struct vaccel_file *vf,
					    const struct vaccel_op *op)
{
	struct vaccel_dev *vd = vf->vd;
	struct virtio_accel_op_req hdr;
	struct vaccel_sess *s = NULL;
	struct vaccel_req *req;
	size_t off, rd_len, wr_len;
	int err;

	err = vaccel_op_check(vd, op);
	if (err)
		return ERR_PTR(err);
	if (op->session_id) {
		s = vaccel_sess_get(vf, op->session_id);
		if (IS_ERR(s))
			return ERR_CAST(s);
	}
	req = vaccel_req_alloc(vd, vf);
	if (!req) {
		if (s) {
			spin_lock_irq(&vf->lock);
			vaccel_sess_unuse_locked(vf, s);
			spin_unlock_irq(&vf->lock);
		}
		return ERR_PTR(-ENOMEM);
	}
	req->sess = s;
	req->sess_epoch = s ? s->epoch : 0;
	req->q = vaccel_pick_queue(vd, op, s);
	req->sensitive = op->key_len != 0;

	/* each length is capped (op_check), so the sums cannot wrap */
	rd_len = sizeof(hdr) + (size_t)op->key_len + op->iv_len +
		 op->aad_len + op->src_len;
	wr_len = (size_t)op->dst_len + sizeof(struct virtio_accel_op_resp);
	err = vaccel_charge(req, vaccel_footprint(sizeof(*req)) +
			    vaccel_footprint(rd_len) + vaccel_footprint(wr_len));
	if (err)
		goto put;
	/* every byte of rd is written below, before the device sees it */
	err = vaccel_buf_alloc(&req->rd, rd_len, req->gfp);
	if (err)
		goto put;
	/* zeroed: the device never sees stale kernel memory */
	err = vaccel_buf_alloc(&req->wr, wr_len, req->gfp | __GFP_ZERO);
	if (err)
		goto put;

	memset(&hdr, 0, sizeof(hdr));
	hdr.opcode = cpu_to_le32(op->opcode);
	hdr.algo = cpu_to_le32(op->algo);
	hdr.session_id = cpu_to_le64(op->session_id);
	hdr.request_id = cpu_to_le64(op->user_data);
	hdr.flags = cpu_to_le32(op->flags);
	hdr.key_len = cpu_to_le32(op->key_len);
	hdr.iv_len = cpu_to_le32(op->iv_len);
	hdr.aad_len = cpu_to_le32(op->aad_len);
	hdr.src_len = cpu_to_le32(op->src_len);
	hdr.dst_len = cpu_to_le32(op->dst_len);
	vaccel_buf_xfer(&req->rd, 0, &hdr, NULL, sizeof(hdr),
			VACCEL_FROM_KERN);
	off = sizeof(hdr);
	err = vaccel_buf_from_user(&req->rd, off, op->key_ptr, op->key_len);
	off += op->key_len;
	if (!err)
		err = vaccel_buf_from_user(&req->rd, off, op->iv_ptr,
					   op->iv_len);
	off += op->iv_len;
	if (!err)
		err = vaccel_buf_from_user(&req->rd, off, op->aad_ptr,
					   op->aad_len);
	off += op->aad_len;
	if (!err)
		err = vaccel_buf_from_user(&req->rd, off, op->src_ptr,
					   op->src_len);
	if (err)
		goto put;
	err = vaccel_req_map(req, false);
	if (err)
		goto put;

	req->user_data = op->user_data;
	req->dst_ptr = op->dst_ptr;
	req->dst_len = op->dst_len;
	req->src_len = op->src_len;
	return req;
put:
	vaccel_req_put(req);
	return ERR_PTR(err);
}

/* Outcome of a completed data request; 0 or -errno. */
int vaccel_op_result(struct vaccel_req *req, struct vaccel_result *r)
{
	struct virtio_accel_op_resp resp;

	memset(r, 0, sizeof(*r));
	if (req->error) {
		r->status = VACCEL_NO_STATUS;
		return req->error;
	}
	if (req->used_len < sizeof(resp)) {
		r->status = VIRTIO_ACCEL_BADMSG;	/* [REQ-SHORT] */
		return -EINVAL;
	}
	if (req->used_len != req->wr.len) {
		r->status = VACCEL_NO_STATUS;
		return vaccel_bad_len(req);
	}
	/* [DRV-RESP]: the status is the last byte of the writable part */
	vaccel_buf_xfer(&req->wr, req->wr.len - sizeof(resp), &resp, NULL,
			sizeof(resp), VACCEL_TO_KERN);
	r->status = resp.status;
	r->flags = resp.flags;
	r->src_used = min(le32_to_cpu(resp.src_used), req->src_len);
	r->dst_used = min(le32_to_cpu(resp.dst_used), req->dst_len);
	return virtio_accel_status_errno(resp.status);
}

/* Copy the output of an OK request to the user's dst. */
static int vaccel_op_copy_dst(struct vaccel_req *req,
			      const struct vaccel_result *r)
{
	if (r->status != VIRTIO_ACCEL_OK || !r->dst_used)
		return 0;
	return vaccel_buf_xfer(&req->wr, 0, NULL,
			       u64_to_user_ptr(req->dst_ptr), r->dst_used,
			       VACCEL_TO_USER);
}

static long vaccel_ioc_op(struct vaccel_file *vf, void __user *argp)
{
	struct vaccel_op op;
	struct vaccel_result r;
	struct vaccel_req *req;
	int err, cerr;

	if (copy_from_user(&op, argp, sizeof(op)))
		return -EFAULT;
	req = vaccel_op_prepare(vf, &op);
	if (IS_ERR(req))
		return PTR_ERR(req);
	err = vaccel_req_queue(req, true);
	if (err)
		goto put;
	/*
	 * Killed: drop our reference only. The virtqueue still holds one,
	 * so the buffers live until the device (or remove) completes them.
	 */
	if (wait_for_completion_killable(&req->done)) {
		err = -EINTR;
		goto put;
	}
	err = vaccel_op_result(req, &r);
	cerr = vaccel_op_copy_dst(req, &r);
	op.src_used = r.src_used;
	op.dst_used = r.dst_used;
	op.status = r.status;
	op.resp_flags = r.flags;
	if (copy_to_user(argp, &op, sizeof(op)) || cerr)
		err = -EFAULT;
put:
	vaccel_req_put(req);
	return err;
}

static long vaccel_ioc_submit(struct vaccel_file *vf, void __user *argp)
{
	struct vaccel_submit __user *usub = argp;
	unsigned int max = READ_ONCE(max_inflight_per_file);
	struct vaccel_vq *pending = NULL;
	struct vaccel_submit sub;
	struct vaccel_op __user *uops;
	int err = 0;
	u32 i;

	if (copy_from_user(&sub, argp, sizeof(sub)))
		return -EFAULT;
	uops = u64_to_user_ptr(sub.ops_ptr);
	for (i = 0; i < sub.nr; i++) {
		struct vaccel_req *req;
		struct vaccel_op op;
		struct vaccel_vq *q;

		if (copy_from_user(&op, &uops[i], sizeof(op))) {
			err = -EFAULT;
			break;
		}
		if (atomic_inc_return(&vf->inflight) > max) {
			atomic_dec(&vf->inflight);
			err = -EAGAIN;
			break;
		}
		req = vaccel_op_prepare(vf, &op);
		if (IS_ERR(req)) {
			atomic_dec(&vf->inflight);
			err = PTR_ERR(req);
			break;
		}
		req->counted = true;
		req->async = true;
		req->mm = current->mm;
		mmgrab(req->mm);
		q = req->q;
		if (pending && pending != q) {
			vaccel_vq_kick(pending);
			pending = NULL;
		}
		/* one notification per batch and queue */
		err = vaccel_req_queue(req, false);
		vaccel_req_put(req);
		if (err)
			break;
		pending = q;
		if (fatal_signal_pending(current)) {
			i++;
			break;
		}
	}
	if (pending)
		vaccel_vq_kick(pending);
	/* like io_submit(2): an error only if nothing was accepted */
	if (i == 0 && err)
		return err;
	if (put_user(i, &usub->submitted))
		return -EFAULT;
	return 0;
}

/* ---- raw chains (conformance) ---------------------------------------- */

/*
 * One chunk per iovec, readable and writable alike filled from the caller's
 * buffers: the device sees only bytes the caller wrote, and every byte
 * copied back is the device's or the caller's own.
 */
static int vaccel_raw_bufs(struct vaccel_req *req, struct vaccel_buf *b,
			   const struct vaccel_iov *iov, unsigned int nr)
{
	unsigned int i;

	if (!nr)
		return 0;
	b->c = kcalloc(nr, sizeof(*b->c), req->gfp);
	if (!b->c)
		return -ENOMEM;
	b->len = 0;
	for (b->nr = 0; b->nr < nr; b->nr++) {
		size_t len = iov[b->nr].len;

		b->c[b->nr].p = vaccel_chunk_alloc(len, req->gfp);
		if (!b->c[b->nr].p)
			return -ENOMEM;
		b->c[b->nr].len = len;
		b->len += len;
	}
	for (i = 0; i < nr; i++)
		if (iov[i].len &&
		    copy_from_user(b->c[i].p, u64_to_user_ptr(iov[i].base),
				   iov[i].len))
			return -EFAULT;
	return 0;
}

static long vaccel_ioc_raw(struct vaccel_file *vf, void __user *argp)
{
	struct vaccel_dev *vd = vf->vd;
	struct vaccel_iov *iov = NULL;
	struct vaccel_req *req;
	struct vaccel_raw raw;
	u64 total = 0, limit;
	size_t charge;
	unsigned int nr, i;
	int err;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&raw, argp, sizeof(raw)))
		return -EFAULT;
	if (raw.nr_rd > VACCEL_RAW_MAX_IOV || raw.nr_wr > VACCEL_RAW_MAX_IOV)
		return -EINVAL;
	nr = raw.nr_rd + raw.nr_wr;
	if (!nr || raw.vq > vd->nr_dataqs)
		return -EINVAL;
	iov = memdup_array_user(u64_to_user_ptr(raw.iov_ptr), nr,
				sizeof(*iov));
	if (IS_ERR(iov))
		return PTR_ERR(iov);
	req = vaccel_req_alloc(vd, vf);
	if (!req) {
		err = -ENOMEM;
		goto free_iov;
	}
	req->q = &vd->qs[raw.vq];
	/* room for any request a test may build, and some more */
	limit = 2ULL * max_t(u32, vd->max_data_len, VACCEL_CTRL_ROOM_MAX) +
		SZ_1M;
	charge = vaccel_footprint(sizeof(*req));
	for (i = 0; i < nr; i++) {
		if (iov[i].len > VACCEL_CHUNK_MAX) {
			err = -EINVAL;
			goto put;
		}
		total += iov[i].len;
		charge += vaccel_footprint(iov[i].len);
	}
	err = total > limit ? -EINVAL : vaccel_charge(req, charge);
	if (!err)
		err = vaccel_raw_bufs(req, &req->rd, iov, raw.nr_rd);
	if (!err)
		err = vaccel_raw_bufs(req, &req->wr, iov + raw.nr_rd,
				      raw.nr_wr);
	if (!err)
		err = vaccel_req_map(req, true);
	if (!err)
		err = vaccel_req_queue(req, true);
	if (err)
		goto put;
	if (wait_for_completion_killable(&req->done)) {
		err = -EINTR;
		goto put;
	}
	err = req->error;
	if (err)
		goto put;
	raw.used_len = req->used_len;
	for (i = 0; i < req->wr.nr; i++) {
		const struct vaccel_iov *v = &iov[raw.nr_rd + i];

		if (v->len && copy_to_user(u64_to_user_ptr(v->base),
					   req->wr.c[i].p, v->len))
			err = -EFAULT;
	}
	if (copy_to_user(argp, &raw, sizeof(raw)))
		err = -EFAULT;
put:
	vaccel_req_put(req);
free_iov:
	kfree(iov);
	return err;
}

/* ---- info ------------------------------------------------------------ */

static long vaccel_ioc_info(struct vaccel_file *vf, void __user *argp)
{
	struct vaccel_dev *vd = vf->vd;
	struct vaccel_info info;
	u32 n;

	if (copy_from_user(&info, argp, sizeof(info)))
		return -EFAULT;
	n = min_t(u32, info.caps_len, vd->n_caps);
	if (n && copy_to_user(u64_to_user_ptr(info.caps_ptr), vd->caps,
			      n * sizeof(*vd->caps)))
		return -EFAULT;
	info.device_id = VIRTIO_ID_ACCEL;
	info.index = vd->index;
	info.device_features = vd->device_features;
	info.driver_features = vd->driver_features;
	info.max_dataqueues = vd->max_dataqueues;
	info.num_queues = vd->nr_dataqs;
	info.max_segments = vd->max_segments;
	info.services = vd->services;
	info.max_sessions = vd->max_sessions;
	info.max_data_len = vd->max_data_len;
	info.max_key_len = vd->max_key_len;
	info.max_aad_len = vd->max_aad_len;
	info.max_comp_streams = vd->max_comp_streams;
	info.max_sessions_per_file = READ_ONCE(max_sessions_per_file);
	info.max_inflight_per_file = READ_ONCE(max_inflight_per_file);
	info.queue_size = vd->queue_size;
	info.n_caps = vd->n_caps;
	info.caps_len = n;
	if (copy_to_user(argp, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

/* ---- file operations -------------------------------------------------- */

void vaccel_file_free(struct kref *ref)
{
	struct vaccel_file *vf = container_of(ref, struct vaccel_file, ref);

	put_device(&vf->vd->dev);
	kfree(vf);
}

static int vaccel_open(struct inode *inode, struct file *file)
{
	struct vaccel_dev *vd = container_of(inode->i_cdev, struct vaccel_dev,
					     cdev);
	struct vaccel_file *vf;

	if (READ_ONCE(vd->dead))
		return -ENODEV;
	vf = kzalloc(sizeof(*vf), GFP_KERNEL_ACCOUNT);
	if (!vf)
		return -ENOMEM;
	kref_init(&vf->ref);
	spin_lock_init(&vf->lock);
	INIT_LIST_HEAD(&vf->done);
	init_waitqueue_head(&vf->wq);
	atomic_set(&vf->inflight, 0);
	vf->sessions = RB_ROOT;
	vf->vd = vd;
	get_device(&vd->dev);
	spin_lock(&vd->files_lock);
	list_add_tail(&vf->node, &vd->files);
	spin_unlock(&vd->files_lock);
	file->private_data = vf;
	return stream_open(inode, file);
}

static int vaccel_release(struct inode *inode, struct file *file)
{
	struct vaccel_file *vf = file->private_data;
	struct vaccel_dev *vd = vf->vd;
	struct vaccel_req *req, *rtmp;
	struct vaccel_sess *s, *stmp;
	struct rb_node *n;
	LIST_HEAD(done);
	LIST_HEAD(sess);

	spin_lock(&vd->files_lock);
	list_del(&vf->node);
	spin_unlock(&vd->files_lock);

	/*
	 * Async requests still on a queue see ->closed and free themselves
	 * when the device completes them; those already done go now.
	 */
	spin_lock_irq(&vf->lock);
	vf->closed = true;
	list_splice_init(&vf->done, &done);
	while ((n = rb_first(&vf->sessions))) {
		s = rb_entry(n, struct vaccel_sess, node);
		rb_erase(n, &vf->sessions);
		list_add_tail(&s->lnode, &sess);
	}
	spin_unlock_irq(&vf->lock);

	list_for_each_entry_safe(req, rtmp, &done, cnode) {
		list_del(&req->cnode);
		vaccel_req_put(req);
	}
	list_for_each_entry_safe(s, stmp, &sess, lnode) {
		list_del(&s->lnode);
		vaccel_sess_destroy(vf, s, false);
	}
	kref_put(&vf->ref, vaccel_file_free);
	return 0;
}

static long vaccel_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	struct vaccel_file *vf = file->private_data;
	void __user *argp = (void __user *)arg;

	if (READ_ONCE(vf->vd->dead))
		return -ENODEV;
	switch (cmd) {
	case VACCEL_IOC_INFO:
		return vaccel_ioc_info(vf, argp);
	case VACCEL_IOC_SESSION_CREATE:
		return vaccel_ioc_session_create(vf, argp);
	case VACCEL_IOC_SESSION_DESTROY:
		return vaccel_ioc_session_destroy(vf, argp);
	case VACCEL_IOC_OP:
		return vaccel_ioc_op(vf, argp);
	case VACCEL_IOC_SUBMIT:
		return vaccel_ioc_submit(vf, argp);
	case VACCEL_IOC_RAW:
		return vaccel_ioc_raw(vf, argp);
	default:
		return -ENOTTY;
	}
}

static struct vaccel_req *vaccel_pop_done(struct vaccel_file *vf)
{
	struct vaccel_req *req;

	spin_lock_irq(&vf->lock);
	req = list_first_entry_or_null(&vf->done, struct vaccel_req, cnode);
	if (req)
		list_del_init(&req->cnode);
	spin_unlock_irq(&vf->lock);
	return req;
}

static ssize_t vaccel_read(struct file *file, char __user *buf, size_t count,
			   loff_t *ppos)
{
	struct vaccel_file *vf = file->private_data;
	struct vaccel_dev *vd = vf->vd;
	struct vaccel_completion c;
	size_t done = 0;
	int err;

	if (count < sizeof(c))
		return -EINVAL;
	while (count - done >= sizeof(c)) {
		struct vaccel_req *req = vaccel_pop_done(vf);
		struct vaccel_result r;

		if (!req) {
			if (done)
				break;
			if (READ_ONCE(vd->dead))
				return -ENODEV;
			if (file->f_flags & O_NONBLOCK)
				return -EAGAIN;
			err = wait_event_interruptible(vf->wq,
						       !list_empty_careful(&vf->done) ||
						       READ_ONCE(vd->dead));
			if (err)
				return err;
			continue;
		}
		memset(&c, 0, sizeof(c));
		c.error = vaccel_op_result(req, &r);
		c.user_data = req->user_data;
		c.src_used = r.src_used;
		c.dst_used = r.dst_used;
		c.status = r.status;
		c.resp_flags = r.flags;
		/* the output goes to the submitter's address space only */
		if (r.status == VIRTIO_ACCEL_OK && r.dst_used) {
			if (current->mm != req->mm)
				c.error = -EXDEV;
			else if (vaccel_op_copy_dst(req, &r))
				c.error = -EFAULT;
		}
		if (copy_to_user(buf + done, &c, sizeof(c))) {
			spin_lock_irq(&vf->lock);
			list_add(&req->cnode, &vf->done);
			spin_unlock_irq(&vf->lock);
			return done ? done : -EFAULT;
		}
		vaccel_req_put(req);
		done += sizeof(c);
	}
	return done;
}

static __poll_t vaccel_poll(struct file *file, poll_table *wait)
{
	struct vaccel_file *vf = file->private_data;
	__poll_t mask = 0;

	poll_wait(file, &vf->wq, wait);
	if (!list_empty_careful(&vf->done))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (READ_ONCE(vf->vd->dead))
		mask |= EPOLLHUP | EPOLLERR;
	return mask;
}

const struct file_operations vaccel_fops = {
	.owner = THIS_MODULE,
	.open = vaccel_open,
	.release = vaccel_release,
	.read = vaccel_read,
	.poll = vaccel_poll,
	.unlocked_ioctl = vaccel_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

