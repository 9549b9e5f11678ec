/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/*
 * The virtio-accel device's request handling, written once.
 *
 * Compiled unchanged into the DPDK vhost-user back-end and the vDPA parent
 * (and the unit tests), like virtio_accel_req.c, whose validator it calls.
 * For one walked descriptor chain of the data or the control queue it
 * applies [REQ-SHORT], [REQ-HUGE] and [REQ-SEGS], reads the header once,
 * looks the session up, validates, copies an inline key and the IV, runs the
 * engine, applies the stream rules ([STREAM-ERR], [STREAM-GCM-MAX], the end
 * of a stream), wipes the inline key, and writes the whole writable part:
 * output, zeros to the end of dst, the response ([VQ-USED-LEN],
 * [ST-NOLEAK]). A host supplies a struct virtio_accel_dev_ops: guest memory
 * access, its session store and its engines (the way vdpa_sim gives its
 * devices a callback table and libvhost-user has VuDevIface).
 *
 * No libc, no kernel-only header: the same rules as virtio_accel_req.h.
 */
#ifndef VIRTIO_ACCEL_DEV_H
#define VIRTIO_ACCEL_DEV_H

#include "virtio_accel_req.h"

/* Longest key of any algorithm (table 7.3) */
#define VIRTIO_ACCEL_DEV_MAX_KEY	64
#define VIRTIO_ACCEL_DEV_MAX_IV		16

/* [STREAM-GCM-MAX]: data bytes of one AES-256-GCM stream, 2^36 - 32 */
#define VIRTIO_ACCEL_GCM_STREAM_MAX	((1ULL << 36) - 32)

/*
 * The core's part of a session. A host embeds it in its own session and
 * finds its session again with container_of(). The host fills op, algo,
 * flags, key_len and key at creation; the core owns stream_active and
 * stream_len, which it changes only between sess_get() and sess_put().
 */
struct virtio_accel_dev_sess {
	u32 op;
	u32 algo;
	u32 flags;		/* VIRTIO_ACCEL_SESS_F_* */
	u32 key_len;
	u32 stream_active;	/* a stream has started and not ended */
	u64 stream_len;		/* data bytes of the stream so far */
	u8 key[VIRTIO_ACCEL_DEV_MAX_KEY];
};

/* One data request as an engine sees it. */
struct virtio_accel_dev_req {
	struct virtio_accel_op op;	/* validated header, host order */
	struct virtio_accel_dev_sess *sess;	/* NULL for session 0 */
	u32 stream;		/* sess is a stream session */
	u32 start;		/* stream: this request starts the stream */
	u32 final;		/* VIRTIO_ACCEL_OP_F_FINAL */
	const u8 *key;		/* inline key (a private copy) or the session's */
	u32 key_len;
	const u8 *iv;		/* iv_len bytes, a private copy */
	/* set by the engine */
	const u8 *dst;		/* output, dst_used bytes, written by the core */
	u32 dst_in_place;	/* the engine wrote dst into guest memory */
	u32 src_used;
	u32 dst_used;
	u8 rflags;		/* VIRTIO_ACCEL_RESP_F_* */
	/* the core's private copies */
	u8 key_buf[VIRTIO_ACCEL_DEV_MAX_KEY];
	u8 iv_buf[VIRTIO_ACCEL_DEV_MAX_IV];
	u64 wr_len;		/* the core's: the chain's writable length */
};

/*
 * Returned by ops->submit() and virtio_accel_dev_op_submit(): the engine took
 * the request and completes it later. Below every negative errno (-4095 is
 * the kernel's MAX_ERRNO), so never a status, an errno or a used length.
 */
#define VIRTIO_ACCEL_DEV_PENDING	(-4096)

/*
 * The host's side. @q is the host's queue context (passed through), @c the
 * host's walked chain. Memory accessors return 0 or a negative errno (memory
 * that vanished under a validated chain: the core stops and returns it).
 */
struct virtio_accel_dev_ops {
	/* copy [off, off + len) of the device-readable part into @buf */
	int (*read)(void *q, const void *c, u64 off, void *buf, u64 len);
	/* write @buf (NULL: zeros) at @off of the device-writable part */
	int (*write)(void *q, const void *c, u64 off, const void *buf,
		     u64 len);

	/*
	 * Session store. sess_get() returns the live session @id, held (and
	 * for a stream session, locked: one request of a stream at a time)
	 * until sess_put(); NULL if there is none.
	 */
	struct virtio_accel_dev_sess *(*sess_get)(void *q, u64 id);
	void (*sess_put)(void *q, struct virtio_accel_dev_sess *s);
	/*
	 * CREATE_SESSION that passed validation: @key is the core's copy of
	 * the key (wiped after the call). Returns a status and, on OK, *id.
	 */
	u8 (*sess_create)(void *q, const struct virtio_accel_ctrl *cc,
			  const u8 *key, u64 *id);
	/* DESTROY_SESSION: OK, or INVSESS if there is no session @id */
	u8 (*sess_destroy)(void *q, u64 id);

	/*
	 * Run a validated one-shot request: read AAD and src from @c, set
	 * r->dst (or write in place and set dst_in_place), src_used,
	 * dst_used, rflags. Returns a status or a negative errno (memory).
	 */
	int (*exec)(void *q, const void *c, struct virtio_accel_dev_req *r);
	/*
	 * Optional, used by virtio_accel_dev_op_submit() only: start a
	 * validated one-shot request. Returns what exec() returns (the
	 * request is complete) or VIRTIO_ACCEL_DEV_PENDING: the engine holds
	 * @r; when it is done the host sets what exec() sets and calls
	 * virtio_accel_dev_op_finish(). Until then @r, @c and the guest
	 * memory behind @c stay valid, and the request's session stays held.
	 * Stream requests never come here: they run through stream_exec(),
	 * which keeps the requests of a stream in order.
	 */
	int (*submit)(void *q, const void *c, struct virtio_accel_dev_req *r);
	/*
	 * Run one request of a stream: the same, continuing the session's
	 * engine state (r->start: from the beginning). The core aborts the
	 * stream through stream_abort() when this is not OK.
	 */
	int (*stream_exec)(void *q, const void *c,
			   struct virtio_accel_dev_req *r);
	/* drop a stream's engine state: the next request starts anew */
	void (*stream_abort)(void *q, struct virtio_accel_dev_sess *s);

	/* [CTRL-CAPS]: the engine name of an implemented pair (<= 8 bytes) */
	const char *(*engine_name)(void *q, u32 op, u32 algo);
	/* optional: a request completed with status @st != OK */
	void (*error)(void *q, u32 opcode, u32 algo, u64 request_id, u8 st,
		      int ctrl);
};

/* One device as the core sees it. */
struct virtio_accel_dev {
	const struct virtio_accel_dev_ops *ops;
	const struct virtio_accel_limits *lim;
	u64 stream_ok;		/* VIRTIO_ACCEL_IMPL_BIT of pairs that stream */
	u32 max_segments;	/* [REQ-SEGS], as in the configuration */
	/*
	 * [STREAM-GCM-MAX]: 0, the spec's 2^36 - 32; lower only for tests
	 * (the hosts' test options), which cannot push 64 GiB
	 */
	u64 gcm_stream_max;
};

/* What the core needs to know of a walked chain. */
struct virtio_accel_dev_chain {
	u64 rd_len;
	u64 wr_len;
	u32 n_desc;		/* data descriptors, indirect ones included */
};

/*
 * One request of a data queue or the control queue: returns the used length
 * to put in the used ring (0 for a chain that gets no response), or a
 * negative errno from the host's memory accessors.
 */
long virtio_accel_dev_op(const struct virtio_accel_dev *d, void *q,
			 const void *c, const struct virtio_accel_dev_chain *cl);
/*
 * Asynchronous one-shot requests, for a host whose engines complete later.
 * virtio_accel_dev_op_submit() is virtio_accel_dev_op() with @r the host's
 * storage for the request (it must live until the request completes): it
 * returns what virtio_accel_dev_op() returns (the request is complete: a
 * rejection, a stream request, or a submit() that completed at once), or
 * VIRTIO_ACCEL_DEV_PENDING after submit() returned it. The host then calls
 * virtio_accel_dev_op_finish() once, with @ret the engine's status (or a
 * negative errno): the core applies it as for a synchronous request (inline
 * key wiped, session put, output or zeros to the end of dst, the response)
 * and returns the used length or a negative errno. Without ops->submit,
 * virtio_accel_dev_op_submit() never returns VIRTIO_ACCEL_DEV_PENDING.
 */
long virtio_accel_dev_op_submit(const struct virtio_accel_dev *d, void *q,
				const void *c,
				const struct virtio_accel_dev_chain *cl,
				struct virtio_accel_dev_req *r);
long virtio_accel_dev_op_finish(const struct virtio_accel_dev *d, void *q,
				const void *c, struct virtio_accel_dev_req *r,
				int ret);
long virtio_accel_dev_ctrl(const struct virtio_accel_dev *d, void *q,
			   const void *c,
			   const struct virtio_accel_dev_chain *cl);

/* [SESS-KEY]: overwrite @len bytes at @p; not optimised away. */
void virtio_accel_wipe(void *p, unsigned long len);

#endif /* VIRTIO_ACCEL_DEV_H */
