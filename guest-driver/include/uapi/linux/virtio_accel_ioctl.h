/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/*
 * virtio-accel character device uAPI (/dev/vaccelN), served by
 * virtio_accel.ko. This is the driver's user interface, not the device's wire
 * format (that is linux/virtio_accel.h, whose constants it reuses).
 *
 * Rules: fixed-width types, explicit padding, user pointers carried as __u64,
 * sizes pinned at the end. Every ioctl returns 0 or -1 with errno set.
 *
 * Sessions belong to the open file that created them: a session id is the
 * device's id, but the driver refuses (ENOENT) any use of an id this file does
 * not own, destroys the file's sessions when it is closed, and caps how many
 * one file may hold (module parameter max_sessions_per_file; EDQUOT) and,
 * optionally, all files of a device (max_sessions_per_dev; ENOSPC, as when
 * the device's own table is full).
 *
 * Memory: the buffers of a request (OP, SUBMIT, RAW) are kernel memory from
 * the call until the request is freed (async ops: until the completion is
 * read, or the file is closed and the device is done). They are charged to the caller's memory
 * cgroup, and to a per-device budget of which one file may hold a share
 * (module parameters max_pinned_mb_per_dev, max_pinned_mb_per_file; a file
 * that holds nothing may always take one request up to the device's
 * budget). A request that does not fit the budget fails with EAGAIN (SUBMIT:
 * taken as a full queue, EAGAIN only if no op was accepted): reap
 * completions, or wait for other files to, and retry. One the memory cgroup
 * (or the kernel) cannot hold fails with ENOMEM. Neither loses an accepted op.
 */
#ifndef _UAPI_LINUX_VIRTIO_ACCEL_IOCTL_H
#define _UAPI_LINUX_VIRTIO_ACCEL_IOCTL_H

#include <linux/ioctl.h>
#include <linux/types.h>
#include <linux/virtio_accel.h>

#define VACCEL_IOC_MAGIC	0xBA

/* VACCEL_IOC_INFO: device description. */
struct vaccel_info {
	__u32 device_id;	/* VIRTIO_ID_ACCEL */
	__u32 index;		/* N of /dev/vaccelN */
	__u64 device_features;	/* offered by the device */
	__u64 driver_features;	/* negotiated */
	__u32 max_dataqueues;	/* from the configuration, host order */
	__u32 num_queues;	/* data queues the driver set up */
	__u32 max_segments;
	__u32 services;
	__u32 max_sessions;
	__u32 max_data_len;
	__u32 max_key_len;
	__u32 max_aad_len;
	__u32 max_sessions_per_file;
	__u32 max_inflight_per_file;
	__u32 queue_size;
	__u32 n_caps;		/* out: capability records the device has */
	__u64 caps_ptr;		/* in: struct virtio_accel_cap[caps_len] or 0 */
	__u32 caps_len;		/* in: room in records; out: records written */
	__u32 max_comp_streams;	/* out: DEFLATE stream sessions ([STREAM-LIMIT]) */
};

/* VACCEL_IOC_SESSION_CREATE: keys stay in the device. */
struct vaccel_session {
	__u32 op;		/* VIRTIO_ACCEL_OP_* */
	__u32 algo;		/* VIRTIO_ACCEL_ALG_* */
	__u32 flags;		/* VIRTIO_ACCEL_SESS_F_* */
	__u32 key_len;
	__u64 key_ptr;
	__u64 session_id;	/* out */
};

#define VACCEL_QUEUE_ANY	0xffffffffu

/*
 * VACCEL_IOC_OP (blocking) and the elements of VACCEL_IOC_SUBMIT (async).
 * Semantics as the device's (spec section 7); the driver validates lengths
 * and ownership before anything reaches the device.
 */
struct vaccel_op {
	__u32 opcode;		/* VIRTIO_ACCEL_OP_* */
	__u32 algo;		/* VIRTIO_ACCEL_ALG_* */
	__u32 flags;		/* VIRTIO_ACCEL_OP_F_* */
	__u32 queue;		/* data queue index or VACCEL_QUEUE_ANY */
	__u64 session_id;	/* 0: stateless */
	__u64 user_data;	/* returned in the completion */
	__u64 key_ptr;
	__u64 iv_ptr;
	__u64 aad_ptr;
	__u64 src_ptr;
	__u64 dst_ptr;
	__u32 key_len;
	__u32 iv_len;
	__u32 aad_len;
	__u32 src_len;
	__u32 dst_len;
	/* out (VACCEL_IOC_OP only) */
	__u32 src_used;
	__u32 dst_used;
	__u8 status;		/* VIRTIO_ACCEL_* */
	__u8 resp_flags;	/* VIRTIO_ACCEL_RESP_F_* */
	__u8 pad[2];
	__u64 reserved;		/* must be 0 */
};

/* VACCEL_IOC_SUBMIT: queue @nr ops; completions are read(2) from the fd. */
struct vaccel_submit {
	__u64 ops_ptr;		/* struct vaccel_op[nr] */
	__u32 nr;
	__u32 submitted;	/* out: ops accepted (EAGAIN if none) */
};

/*
 * read(2) on the fd returns whole struct vaccel_completion records of
 * completed async ops (EAGAIN with O_NONBLOCK when none); poll(2) reports
 * POLLIN while records are ready. Output buffers of an async op are written
 * when its completion is read, by the reading process, which must share the
 * submitter's address space (else error is -EXDEV and nothing is written).
 */
struct vaccel_completion {
	__u64 user_data;
	__u32 src_used;
	__u32 dst_used;
	__s32 error;		/* 0 or -errno (the status mapped as below) */
	__u8 status;		/* VIRTIO_ACCEL_*; 0xff: no device response */
	__u8 resp_flags;
	__u8 pad[2];
};

/*
 * VACCEL_IOC_RAW (CAP_SYS_ADMIN only): one chain exactly as given, for
 * conformance testing; no validation, no session ownership check. Every
 * iovec, device-writable ones too, is copied in before the chain is queued
 * and every writable one is copied back whole afterwards, whatever used_len
 * says: a byte the device did not write comes back as the caller wrote it
 * (so a pre-filled pattern shows how far the device wrote), never as kernel
 * memory; the device sees only bytes the caller wrote. At most 1024 iovecs
 * each way, each at most 4 MiB, 2 x max(max_data_len, 64 KiB) + 1 MiB in all
 * (EINVAL); charged like any request (EAGAIN, ENOMEM above).
 */
struct vaccel_iov {
	__u64 base;
	__u64 len;
};

struct vaccel_raw {
	__u32 vq;		/* virtqueue: 0 control, 1 + i data queue i */
	__u32 nr_rd;		/* device-readable elements first */
	__u32 nr_wr;		/* then device-writable ones */
	__u32 used_len;		/* out */
	__u64 iov_ptr;		/* struct vaccel_iov[nr_rd + nr_wr] */
};

#define VACCEL_IOC_INFO			_IOWR(VACCEL_IOC_MAGIC, 0x00, struct vaccel_info)
#define VACCEL_IOC_SESSION_CREATE	_IOWR(VACCEL_IOC_MAGIC, 0x01, struct vaccel_session)
#define VACCEL_IOC_SESSION_DESTROY	_IOW(VACCEL_IOC_MAGIC, 0x02, __u64)
#define VACCEL_IOC_OP			_IOWR(VACCEL_IOC_MAGIC, 0x03, struct vaccel_op)
#define VACCEL_IOC_SUBMIT		_IOWR(VACCEL_IOC_MAGIC, 0x04, struct vaccel_submit)
#define VACCEL_IOC_RAW			_IOWR(VACCEL_IOC_MAGIC, 0x05, struct vaccel_raw)

/*
 * Status to errno (VACCEL_IOC_OP returns -1 with this errno and still fills
 * the out fields; completions carry it in .error):
 * OK 0, ERR EIO, BADMSG EINVAL, NOTSUPP EOPNOTSUPP, INVSESS ENOENT,
 * NOSPC ENOSPC, KEY_REJECTED EKEYREJECTED, AUTH_FAILED EBADMSG, a status
 * the spec does not define EPROTO; device gone with the op in flight:
 * ENODEV. A device that lost its sessions (DEVICE_NEEDS_RESET, spec
 * [SESS-LOSS]) is reset by the driver: ops in flight then complete with
 * ECANCELED, and an op naming a session created before the reset fails with
 * ESTALE (VACCEL_IOC_SESSION_DESTROY of such a session frees it and
 * returns 0). Ops made during the reset wait for it.
 */

#ifdef __cplusplus
#define VACCEL_IOC_ASSERT(c, m) static_assert(c, m)
#else
#define VACCEL_IOC_ASSERT(c, m) _Static_assert(c, m)
#endif
VACCEL_IOC_ASSERT(sizeof(struct vaccel_info) == 88, "vaccel_info");
VACCEL_IOC_ASSERT(sizeof(struct vaccel_session) == 32, "vaccel_session");
VACCEL_IOC_ASSERT(sizeof(struct vaccel_op) == 112, "vaccel_op");
VACCEL_IOC_ASSERT(sizeof(struct vaccel_submit) == 16, "vaccel_submit");
VACCEL_IOC_ASSERT(sizeof(struct vaccel_completion) == 24, "vaccel_completion");
VACCEL_IOC_ASSERT(sizeof(struct vaccel_raw) == 24, "vaccel_raw");

#endif /* _UAPI_LINUX_VIRTIO_ACCEL_IOCTL_H */
