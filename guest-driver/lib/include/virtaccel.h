/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libvirtaccel: user-space driver for virtio-accel devices.
 *
 * One API over every transport; only the device string changes:
 *   "vhost-user:/run/accel.sock"   the library is a vhost-user front-end
 *   "vhost-vdpa:/dev/vhost-vdpa-0" the library drives vhost-vdpa itself
 *   "/dev/vaccel0"                 the kernel driver's character device
 *                                  (any path with a '/', or "chardev:PATH")
 *
 * Every function returns 0 (or a count) on success and a negative errno on
 * failure. The library never prints and never exits.
 *
 * Threading: a device handle may be used from several threads as long as
 * each data queue is used by one thread at a time; session calls and the
 * blocking helpers take the handle's control lock.
 *
 * fork(): a child must not use a handle its parent opened (the connection,
 * rings and sessions are the parent's); it opens its own. virtaccel_close()
 * called in the child only releases the child's copies of the descriptors
 * and memory, without a word to the device, so that the parent's
 * connection ends when the parent closes it.
 */
#ifndef VIRTACCEL_H
#define VIRTACCEL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <linux/virtio_accel.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VIRTACCEL_VERSION_MAJOR 1
#define VIRTACCEL_VERSION_MINOR 0

struct virtaccel_dev;

/* Options for virtaccel_open(); zero means "default". */
struct virtaccel_open_opts {
	unsigned int num_queues;   /* data queues to use (default 1, max device's) */
	unsigned int queue_size;   /* descriptors per ring (default 256) */
	size_t mem_size;           /* shared memory for buffers (default 64 MiB) */
	unsigned int flags;        /* VIRTACCEL_OPEN_* */
	/*
	 * Read only with VIRTACCEL_OPEN_FEATURES set (so that callers built
	 * before these fields existed are never read past): feature bits the
	 * library must not negotiate even if the device offers them, and bits
	 * it must ask for even if the device does not (a conformance test of
	 * [FEAT-UNKNOWN]: the device must then refuse the feature set). The
	 * character device negotiates in the kernel: it takes neither
	 * (-EOPNOTSUPP).
	 */
	uint64_t mask_features;
	uint64_t force_features;
};

#define VIRTACCEL_OPEN_POLL	(1u << 0) /* busy-poll completions, no call fd */
/*
 * Event mode (no VIRTACCEL_OPEN_POLL) first spins for a short while (up to
 * VIRTACCEL_SPIN_US) on the used ring before sleeping on the call fd, as a
 * completion that is microseconds away costs less to wait for than a
 * wake-up; VIRTACCEL_OPEN_NO_SPIN sleeps at once. (The character device
 * has no ring here: its waits always sleep in the kernel.)
 */
#define VIRTACCEL_OPEN_NO_SPIN	(1u << 1)
#define VIRTACCEL_OPEN_FEATURES	(1u << 2) /* mask_features, force_features valid */
#define VIRTACCEL_SPIN_US	50

/* Device description, from the configuration space and GET_CAPS. */
#define VIRTACCEL_MAX_CAPS 32

struct virtaccel_info {
	char transport[16];        /* "vhost-user", "vhost-vdpa", "chardev" */
	char path[256];
	uint32_t device_id;        /* VIRTIO_ID_ACCEL */
	uint64_t device_features;  /* offered by the device */
	uint64_t driver_features;  /* negotiated */
	uint32_t max_dataqueues;
	uint32_t num_queues;       /* data queues this handle uses */
	uint32_t queue_size;
	uint32_t max_segments;
	uint32_t services;
	uint32_t max_sessions;
	uint32_t max_data_len;
	uint32_t max_key_len;
	uint32_t max_aad_len;
	uint32_t max_comp_streams; /* DEFLATE stream sessions at once, 0 unknown */
	unsigned int n_caps;
	struct virtio_accel_cap caps[VIRTACCEL_MAX_CAPS]; /* little-endian, as on the wire */
};

int virtaccel_open(const char *devstr, const struct virtaccel_open_opts *opts,
		   struct virtaccel_dev **devp);
void virtaccel_close(struct virtaccel_dev *dev);
int virtaccel_get_info(struct virtaccel_dev *dev, struct virtaccel_info *info);

/*
 * Completion status the library sets when the device gave no response it
 * could trust (used length shorter than the writable part, spec
 * [REQ-SHORT]); virtaccel_status_to_errno() maps it to -EPROTO.
 */
#define VIRTACCEL_STATUS_NO_RESP 0xff

/*
 * Map a VIRTIO_ACCEL_* status to 0 / -errno: OK 0, ERR -EIO, BADMSG -EINVAL,
 * NOTSUPP -EOPNOTSUPP, INVSESS -ENOENT, NOSPC -ENOSPC, KEY_REJECTED
 * -EKEYREJECTED, AUTH_FAILED -EBADMSG, anything else (NO_RESP) -EPROTO.
 */
int virtaccel_status_to_errno(uint8_t status);
const char *virtaccel_status_str(uint8_t status);
/* Name <-> number helpers for ops and algorithms ("sha256", "aes-256-gcm"). */
const char *virtaccel_alg_name(uint32_t algo);
const char *virtaccel_op_name(uint32_t op);
/* 0 and *algo set, or -ENOENT ("sha256", "hmac-sha256", ...). */
int virtaccel_alg_by_name(const char *name, uint32_t *algo);

/* Sessions: keys stay in the device. Destroyed at virtaccel_close() too. */
int virtaccel_session_create(struct virtaccel_dev *dev, uint32_t op,
			     uint32_t algo, uint32_t flags, const void *key,
			     uint32_t key_len, uint64_t *session_id);
int virtaccel_session_destroy(struct virtaccel_dev *dev, uint64_t session_id);

/*
 * Shared buffers. Data already in this memory is passed to the device
 * without a copy; any other pointer is bounced through it.
 */
void *virtaccel_buf_alloc(struct virtaccel_dev *dev, size_t len);
void virtaccel_buf_free(struct virtaccel_dev *dev, void *buf);

/* One operation (spec section 7). Fill the inputs; the library fills the rest. */
struct virtaccel_op {
	uint32_t opcode;           /* VIRTIO_ACCEL_OP_* */
	uint32_t algo;             /* VIRTIO_ACCEL_ALG_* */
	uint32_t flags;            /* VIRTIO_ACCEL_OP_F_* */
	uint64_t session_id;       /* 0: stateless */
	uint64_t request_id;       /* opaque, sent to the device */
	const void *key;
	uint32_t key_len;
	const void *iv;
	uint32_t iv_len;
	const void *aad;
	uint32_t aad_len;
	const void *src;
	uint32_t src_len;
	void *dst;
	uint32_t dst_len;
	void *user_data;
	/* completion */
	uint8_t status;            /* VIRTIO_ACCEL_* */
	uint8_t resp_flags;        /* VIRTIO_ACCEL_RESP_F_* */
	uint32_t src_used;
	uint32_t dst_used;
	/* private to the library */
	uint64_t priv[4];
};

/*
 * Asynchronous interface. virtaccel_submit() queues up to @n ops on data
 * queue @queue with one notification for the batch and returns how many it
 * queued (fewer when the ring or shared memory is full), or -errno.
 * virtaccel_poll() returns up to @max completed ops of that queue, waiting up
 * to @timeout_ms (0: do not wait, -1: forever).
 */
int virtaccel_submit(struct virtaccel_dev *dev, unsigned int queue,
		     struct virtaccel_op **ops, unsigned int n);
int virtaccel_poll(struct virtaccel_dev *dev, unsigned int queue,
		   struct virtaccel_op **done, unsigned int max, int timeout_ms);
/* An fd that becomes readable when @queue has completions (event mode). */
int virtaccel_queue_fd(struct virtaccel_dev *dev, unsigned int queue);

/*
 * Per-queue counters for benchmarks (kicks/op, interrupts/op). @vq is a
 * virtqueue index: 0 = control queue, 1 + i = data queue i.
 */
struct virtaccel_queue_stats {
	uint64_t requests;	/* chains made available to the device */
	uint64_t completions;	/* used elements taken */
	uint64_t kicks;		/* notifications sent to the device */
	uint64_t kicks_avoided;	/* publishes the device asked us not to kick */
	uint64_t interrupts;	/* device notifications consumed while waiting */
	uint64_t sleeps;	/* waits that blocked in poll() */
};

int virtaccel_get_stats(struct virtaccel_dev *dev, unsigned int vq,
			struct virtaccel_queue_stats *st);

/* Blocking: submit one op on data queue 0 and wait; returns status as errno. */
int virtaccel_run(struct virtaccel_dev *dev, struct virtaccel_op *op);

/*
 * Raw request for conformance testing: the readable and writable buffers are
 * sent as one chain, exactly as given, on virtqueue @vq (0 = control queue).
 * Returns the used length the device reported, or -errno.
 */
int virtaccel_submit_raw(struct virtaccel_dev *dev, unsigned int vq,
			 const struct iovec *rd, unsigned int nrd,
			 const struct iovec *wr, unsigned int nwr);

/*
 * Testing: read (@write 0) or write (@write 1) @len bytes of the device's
 * configuration space at @off, through the transport (vhost-user
 * GET_CONFIG/SET_CONFIG, vhost-vdpa VHOST_VDPA_GET/SET_CONFIG), at any time
 * after open. 0 or -errno; -EOPNOTSUPP on the character device.
 */
int virtaccel_config_rw(struct virtaccel_dev *dev, int write, uint32_t off,
			void *buf, uint32_t len);

/*
 * Streams: one logical operation of any size. The library uses one-shot
 * requests when the whole input fits in one request, and a stream session
 * (spec section 9) otherwise. The call pattern is zlib's: each update
 * consumes *in_used bytes of @in and produces *out_used bytes into @out;
 * call again with the rest; pass @final once all input has been given and
 * repeat until *done is set. Digests, MACs and tags appear in the output of
 * the final call. For AEAD decryption the input is ciphertext || tag; the
 * plaintext must be discarded if the final call returns -EBADMSG.
 *
 * HMAC-SHA-256 keys may have any length (RFC 2104): virtaccel_stream_open()
 * replaces a key longer than 64 bytes by its SHA-256, computed on the device
 * (one HASH request), and an empty key by 64 zero bytes, as the device takes
 * 1 to 64 bytes.
 */
struct virtaccel_stream;

struct virtaccel_stream_params {
	uint32_t op;               /* VIRTIO_ACCEL_OP_* */
	uint32_t algo;
	const void *key;
	uint32_t key_len;
	const void *iv;
	uint32_t iv_len;
	const void *aad;
	uint32_t aad_len;
};

int virtaccel_stream_open(struct virtaccel_dev *dev,
			  const struct virtaccel_stream_params *p,
			  struct virtaccel_stream **sp);
int virtaccel_stream_update(struct virtaccel_stream *s, const void *in,
			    size_t in_len, int final, void *out,
			    size_t out_cap, size_t *in_used, size_t *out_used,
			    int *done);
void virtaccel_stream_close(struct virtaccel_stream *s);

/*
 * The HMAC-SHA-256 key rule above, for callers that build their own
 * requests or sessions: @k0 (64 bytes) receives the key the device takes
 * (1 to 64 bytes, *k0_len), a long key's SHA-256 computed by a HASH request
 * on @dev. 0 or -errno.
 */
int virtaccel_hmac_key(struct virtaccel_dev *dev, const void *key, size_t len,
		       void *k0, uint32_t *k0_len);

/* One-shot helpers over streams: any length, output sized by the caller. */
int virtaccel_hash(struct virtaccel_dev *dev, uint32_t algo, const void *data,
		   size_t len, void *digest, size_t digest_len);

#ifdef __cplusplus
}
#endif

#endif /* VIRTACCEL_H */
