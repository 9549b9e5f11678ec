// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-accel guest driver: the control queue and sessions.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "virtio_accel_common.h"

/* ---- sessions of one file ------------------------------------------- */

static struct vaccel_sess *vaccel_sess_find(struct vaccel_file *vf, u64 id)
{
	struct rb_node *n = vf->sessions.rb_node;

	while (n) {
		struct vaccel_sess *s = rb_entry(n, struct vaccel_sess, node);

		if (id < s->id)
			n = n->rb_left;
		else if (id > s->id)
			n = n->rb_right;
		else
			return s;
	}
	return NULL;
}

static int vaccel_sess_insert(struct vaccel_file *vf, struct vaccel_sess *s)
{
	struct rb_node **p = &vf->sessions.rb_node, *parent = NULL;

	while (*p) {
		struct vaccel_sess *t = rb_entry(*p, struct vaccel_sess, node);

		parent = *p;
		if (s->id < t->id)
			p = &(*p)->rb_left;
		else if (s->id > t->id)
			p = &(*p)->rb_right;
		else
			return -EEXIST;
	}
	rb_link_node(&s->node, parent, p);
	rb_insert_color(&s->node, &vf->sessions);
	return 0;
}

/*
 * Look up a session of this file and pin it for one request: -ENOENT for
 * none, -ESTALE for one the device lost ([DRV-NEEDS-RESET]; the file keeps
 * it until it destroys it or closes).
 */
struct vaccel_sess *vaccel_sess_get(struct vaccel_file *vf, u64 id)
{
	struct vaccel_sess *s;
	unsigned long flags;

	spin_lock_irqsave(&vf->lock, flags);
	s = vaccel_sess_find(vf, id);
	if (!s)
		s = ERR_PTR(-ENOENT);
	else if (s->epoch != READ_ONCE(vf->vd->epoch))
		s = ERR_PTR(-ESTALE);
	else
		s->users++;
	spin_unlock_irqrestore(&vf->lock, flags);
	return s;
}

/* Called with vf->lock held. */
void vaccel_sess_unuse_locked(struct vaccel_file *vf,
			      struct vaccel_sess *s)
{
	if (!--s->users)
		wake_up_all(&vf->wq);
}

/* ---- control queue -------------------------------------------------- */

/* The key: @key_len bytes at @key_ptr in user memory, or at @kkey. */
static struct vaccel_req *
vaccel_ctrl_prepare(struct vaccel_dev *vd, struct vaccel_file *vf,
		    const struct virtio_accel_ctrl_req *hdr, u64 key_ptr,
		    const void *kkey, u32 key_len, size_t room)
{
	struct vaccel_req *req = vaccel_req_alloc(vd, vf);
	int err;

	if (!req)
		return ERR_PTR(-ENOMEM);
	req->q = &vd->qs[VIRTIO_ACCEL_CTRLQ];
	req->sensitive = key_len != 0;
	err = vaccel_buf_alloc(&req->rd, sizeof(*hdr) + key_len, req->gfp);
	if (err)
		goto put;
	err = vaccel_buf_alloc(&req->wr,
			       room + sizeof(struct virtio_accel_ctrl_resp),
			       req->gfp | __GFP_ZERO);
	if (err)
		goto put;
	vaccel_buf_xfer(&req->rd, 0, (void *)hdr, NULL, sizeof(*hdr),
			VACCEL_FROM_KERN);
	if (kkey)
		err = vaccel_buf_xfer(&req->rd, sizeof(*hdr), (void *)kkey,
				      NULL, key_len, VACCEL_FROM_KERN);
	else
		err = vaccel_buf_from_user(&req->rd, sizeof(*hdr), key_ptr,
					   key_len);
	if (err)
		goto put;
	err = vaccel_req_map(req, false);
	if (err)
		goto put;
	return req;
put:
	vaccel_req_put(req);
	return ERR_PTR(err);
}

/*
 * [VQ-USED-LEN]: a device that wrote a response reports the whole writable
 * part. Anything else leaves the status byte unwritten (zero, "OK"), so it
 * is not read.
 */
int vaccel_bad_len(struct vaccel_req *req)
{
	dev_warn_ratelimited(&req->vd->dev, "used len %u, writable part %zu\n",
			     req->used_len, req->wr.len);
	return -EIO;
}

/* Status of a completed control request; 0 or -errno. */
static int vaccel_ctrl_result(struct vaccel_req *req,
			      struct virtio_accel_ctrl_resp *resp)
{
	if (req->error)
		return req->error;
	if (req->used_len < sizeof(*resp))
		return -EINVAL;		/* [REQ-SHORT]: BADMSG */
	if (req->used_len != req->wr.len)
		return vaccel_bad_len(req);
	vaccel_buf_xfer(&req->wr, req->wr.len - sizeof(*resp), resp, NULL,
			sizeof(*resp), VACCEL_TO_KERN);
	return virtio_accel_status_errno(resp->status);
}

/* Uninterruptible, bounded: for probe and release. */
static int vaccel_wait_bounded(struct vaccel_req *req)
{
	if (!wait_for_completion_timeout(&req->done, VACCEL_CTRL_TIMEOUT))
		return -ETIMEDOUT;
	return 0;
}

static int vaccel_ctrl_destroy(struct vaccel_dev *vd, u64 sid,
			       unsigned long epoch, bool killable)
{
	struct virtio_accel_ctrl_req hdr = {
		.opcode = cpu_to_le32(VIRTIO_ACCEL_CTRL_DESTROY_SESSION),
		.session_id = cpu_to_le64(sid),
	};
	struct virtio_accel_ctrl_resp resp;
	struct vaccel_req *req;
	int err;

	req = vaccel_ctrl_prepare(vd, NULL, &hdr, 0, NULL, 0, 0);
	if (IS_ERR(req))
		return PTR_ERR(req);
	req->sess_epoch = epoch;
	err = vaccel_req_queue(req, true);
	if (!err) {
		if (killable)
			err = wait_for_completion_killable(&req->done) ?
			      -EINTR : 0;
		else
			err = vaccel_wait_bounded(req);
	}
	if (!err)
		err = vaccel_ctrl_result(req, &resp);
	vaccel_req_put(req);
	return err;
}

void vaccel_destroy_nowait(struct vaccel_dev *vd, u64 sid,
			   unsigned long epoch)
{
	struct virtio_accel_ctrl_req hdr = {
		.opcode = cpu_to_le32(VIRTIO_ACCEL_CTRL_DESTROY_SESSION),
		.session_id = cpu_to_le64(sid),
	};
	struct vaccel_req *req;

	if (READ_ONCE(vd->dead))
		return;
	req = vaccel_ctrl_prepare(vd, NULL, &hdr, 0, NULL, 0, 0);
	if (IS_ERR(req))
		return;
	req->sess_epoch = epoch;
	vaccel_req_queue(req, true);
	vaccel_req_put(req);
}

int vaccel_get_caps(struct vaccel_dev *vd)
{
	struct virtio_accel_ctrl_req hdr = {
		.opcode = cpu_to_le32(VIRTIO_ACCEL_CTRL_GET_CAPS),
	};
	size_t room = VACCEL_CAPS_ROOM * sizeof(struct virtio_accel_cap);
	struct virtio_accel_ctrl_resp resp = {};
	struct vaccel_req *req;
	int tries, err;
	u32 len;

	for (tries = 0; tries < 2; tries++) {
		req = vaccel_ctrl_prepare(vd, NULL, &hdr, 0, NULL, 0, room);
		if (IS_ERR(req))
			return PTR_ERR(req);
		err = vaccel_req_queue(req, true);
		if (!err)
			err = vaccel_wait_bounded(req);
		if (!err)
			err = vaccel_ctrl_result(req, &resp);
		len = le32_to_cpu(resp.len);
		if (err == -ENOSPC && len > room &&
		    len <= VACCEL_CTRL_ROOM_MAX) {
			vaccel_req_put(req);
			room = len;
			continue;
		}
		if (err)
			goto put;
		if (len > room || len % sizeof(struct virtio_accel_cap)) {
			dev_err(&vd->vdev->dev, "GET_CAPS: bad length %u\n",
				len);
			err = -EIO;
			goto put;
		}
		vd->n_caps = len / sizeof(struct virtio_accel_cap);
		vd->caps = kmalloc(max_t(size_t, len, 1), GFP_KERNEL);
		if (!vd->caps) {
			err = -ENOMEM;
			goto put;
		}
		vaccel_buf_xfer(&req->wr, 0, vd->caps, NULL, len,
				VACCEL_TO_KERN);
		goto put;
	}
	return -EIO;
put:
	vaccel_req_put(req);
	return err;
}

/* ---- sessions --------------------------------------------------------- */

/* A slot of the device's session budget, before CREATE_SESSION. */
static int vaccel_sess_hold(struct vaccel_dev *vd)
{
	unsigned int held = atomic_inc_return(&vd->sess_held);
	unsigned int dev_max = READ_ONCE(max_sessions_per_dev);

	if (dev_max && held > dev_max) {
		atomic_dec(&vd->sess_held);
		return -ENOSPC;	/* as the device says when its table is full */
	}
	return 0;
}

/*
 * CREATE_SESSION with the key of @hdr's key_len bytes at @key_ptr (user
 * memory) or @kkey, the id in *@sid. A creator killed (@killable) or timed
 * out leaves a session the device makes later to the request's free path,
 * which destroys it.
 */
static int vaccel_ctrl_create(struct vaccel_dev *vd, struct vaccel_file *vf,
			      const struct virtio_accel_ctrl_req *hdr,
			      u64 key_ptr, const void *kkey, bool killable,
			      u64 *sid, unsigned long *epoch)
{
	struct virtio_accel_ctrl_resp resp;
	struct vaccel_req *req;
	int err;

	req = vaccel_ctrl_prepare(vd, vf, hdr, key_ptr, kkey,
				  le32_to_cpu(hdr->key_len), 0);
	if (IS_ERR(req))
		return PTR_ERR(req);
	req->ctrl_create = true;
	err = vaccel_req_queue(req, true);
	if (err)
		goto put;
	if (killable)
		err = wait_for_completion_killable(&req->done) ? -EINTR : 0;
	else
		err = vaccel_wait_bounded(req);
	if (!err)
		err = vaccel_ctrl_result(req, &resp);
	if (!err) {
		req->sid_taken = true;
		*sid = le64_to_cpu(resp.session_id);
		*epoch = req->epoch;
	}
put:
	vaccel_req_put(req);
	return err;
}

long vaccel_ioc_session_create(struct vaccel_file *vf,
			       void __user *argp)
{
	struct vaccel_dev *vd = vf->vd;
	struct virtio_accel_ctrl_req hdr = {};
	struct vaccel_session us;
	struct vaccel_sess *s;
	int err;

	if (copy_from_user(&us, argp, sizeof(us)))
		return -EFAULT;
	if (!virtio_accel_alg_lookup(us.op, us.algo))
		return -EOPNOTSUPP;
	if ((us.flags & ~VIRTIO_ACCEL_SESS_F_STREAM) ||
	    us.key_len > vd->max_key_len)
		return -EINVAL;

	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return -ENOMEM;
	spin_lock_irq(&vf->lock);
	if (vf->nr_sessions >= READ_ONCE(max_sessions_per_file)) {
		spin_unlock_irq(&vf->lock);
		kfree(s);
		return -EDQUOT;
	}
	vf->nr_sessions++;		/* reserved */
	spin_unlock_irq(&vf->lock);
	err = vaccel_sess_hold(vd);
	if (err)
		goto unreserve;

	hdr.opcode = cpu_to_le32(VIRTIO_ACCEL_CTRL_CREATE_SESSION);
	hdr.algo = cpu_to_le32(us.algo);
	hdr.op = cpu_to_le32(us.op);
	hdr.flags = cpu_to_le32(us.flags);
	hdr.key_len = cpu_to_le32(us.key_len);
	err = vaccel_ctrl_create(vd, vf, &hdr, us.key_ptr, NULL, true, &s->id,
				 &s->epoch);
	if (err)
		goto unhold;
	s->flags = us.flags;
	spin_lock_irq(&vf->lock);
	err = s->id ? vaccel_sess_insert(vf, s) : -EIO;
	spin_unlock_irq(&vf->lock);
	if (err) {
		/* the device broke [CTRL-CREATE]: id 0 or one we hold */
		dev_warn_ratelimited(&vd->dev, "bad session id %llu\n", s->id);
		err = -EIO;
		goto unhold;
	}
	atomic_inc(&vd->sess_live);
	atomic_long_inc(&vd->sess_created);
	if (put_user(s->id, &((struct vaccel_session __user *)argp)->session_id))
		return -EFAULT;	/* still ours: destroyed on close */
	return 0;
unhold:
	atomic_dec(&vd->sess_held);
unreserve:
	spin_lock_irq(&vf->lock);
	vf->nr_sessions--;
	spin_unlock_irq(&vf->lock);
	kfree(s);
	return err;
}

/*
 * A session of the kernel's own (the crypto API's streams), owned by its
 * caller, who destroys it with vaccel_kern_sess_destroy(); counted in the
 * device's sessions and budget as a file's. Process context: waits for
 * the device (bounded). -ENOSPC when the budget or the device's table is
 * full.
 */
int vaccel_kern_sess_create(struct vaccel_dev *vd, u32 op, u32 algo,
			    u32 flags, const u8 *key, u32 key_len, u64 *sid,
			    unsigned long *epoch)
{
	struct virtio_accel_ctrl_req hdr = {
		.opcode = cpu_to_le32(VIRTIO_ACCEL_CTRL_CREATE_SESSION),
		.algo = cpu_to_le32(algo),
		.op = cpu_to_le32(op),
		.flags = cpu_to_le32(flags),
		.key_len = cpu_to_le32(key_len),
	};
	int err;

	if (key_len > vd->max_key_len)
		return -EINVAL;
	err = vaccel_sess_hold(vd);
	if (err)
		return err;
	err = vaccel_ctrl_create(vd, NULL, &hdr, 0, key_len ? key : NULL,
				 false, sid, epoch);
	if (!err && !*sid) {
		/* [CTRL-CREATE]: never 0 */
		dev_warn_ratelimited(&vd->dev, "bad session id 0\n");
		err = -EIO;
	}
	if (err) {
		atomic_dec(&vd->sess_held);
		return err;
	}
	atomic_inc(&vd->sess_live);
	atomic_long_inc(&vd->sess_created);
	return 0;
}

/*
 * DESTROY_SESSION of a session no request names any more, and its count.
 * A session of @epoch older than the device's last reset is gone already
 * (its id may name another's session now): nothing goes to the device, and
 * it counts as lost unless the reset counted it (@counted).
 */
static int vaccel_dev_sess_destroy(struct vaccel_dev *vd, u64 sid,
				   unsigned long epoch, bool counted,
				   bool killable)
{
	int err = 0;

	if (epoch != READ_ONCE(vd->epoch))
		err = -ESTALE;
	else if (!READ_ONCE(vd->dead))
		err = vaccel_ctrl_destroy(vd, sid, epoch, killable);
	/* refused as stale, or cut off by a reset: lost */
	if (err == -ESTALE || err == -ECANCELED) {
		if (!counted)
			atomic_long_inc(&vd->sess_lost);
		err = 0;
	}
	if (err && err != -ENODEV && err != -ENOENT && err != -EINTR)
		dev_warn_ratelimited(&vd->dev, "destroy session %llu: %d\n",
				     sid, err);
	/* the device's sessions die with it on reset or removal */
	atomic_dec(&vd->sess_live);
	atomic_dec(&vd->sess_held);
	atomic_long_inc(&vd->sess_destroyed);
	return err == -ENODEV ? 0 : err;
}

/* Process context; bounded wait. */
void vaccel_kern_sess_destroy(struct vaccel_dev *vd, u64 sid,
			      unsigned long epoch)
{
	vaccel_dev_sess_destroy(vd, sid, epoch, false, false);
}

/*
 * Destroy a session already taken out of the file's tree: wait until no
 * request naming it is left on a queue (its id may be reused by the device
 * once destroyed), then tell the device. Frees @s unless it had to be kept.
 */
int vaccel_sess_destroy(struct vaccel_file *vf, struct vaccel_sess *s,
			bool killable)
{
	int err;

	wait_event_idle(vf->wq, !READ_ONCE(s->users));
	err = vaccel_dev_sess_destroy(vf->vd, s->id, s->epoch,
				      READ_ONCE(s->lost), killable);
	kfree(s);
	return err;
}

long vaccel_ioc_session_destroy(struct vaccel_file *vf,
				void __user *argp)
{
	struct vaccel_sess *s;
	u64 id;
	int err;

	if (get_user(id, (u64 __user *)argp))
		return -EFAULT;
	spin_lock_irq(&vf->lock);
	s = id ? vaccel_sess_find(vf, id) : NULL;
	if (s)
		rb_erase(&s->node, &vf->sessions);
	spin_unlock_irq(&vf->lock);
	if (!s)
		return -ENOENT;
	err = vaccel_sess_destroy(vf, s, true);
	spin_lock_irq(&vf->lock);
	vf->nr_sessions--;
	spin_unlock_irq(&vf->lock);
	return err == -EINTR ? 0 : err;
}

