// SPDX-License-Identifier: BSD-3-Clause
/*
 * Streams (spec section 9): one logical operation of any length.
 *
 * Input is gathered in a shared buffer of one chunk. While no request has
 * been sent and the whole input turns out to fit one request, a one-shot
 * request does the job (keyed ops: stateless when negotiated, else a
 * session). Otherwise a stream session is created and fed chunk by chunk,
 * one request outstanding at a time, all on one data queue.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "virtio_accel_req.h"

#define TAG_LEN VIRTIO_ACCEL_GCM_TAG_LEN
#define CHUNK_MAX (4u << 20)
#define VA_HMAC_BLOCK 64 /* SHA-256's block, the device's longest HMAC key */

struct virtaccel_stream {
	struct virtaccel_dev *dev;
	unsigned int queue;
	uint32_t op;
	uint32_t algo;
	const struct virtio_accel_alg_info *info;
	uint8_t *key;
	uint32_t key_len;
	uint8_t *iv;
	uint32_t iv_len;
	uint8_t *aad;
	uint32_t aad_len;
	uint32_t max_len; /* device's max_data_len */
	uint32_t chunk;	  /* capacity of in and out */
	uint8_t *in;	  /* shm */
	size_t in_len;
	uint8_t *out; /* shm */
	size_t out_off;
	size_t out_len;
	uint64_t stream_sess;  /* SESS_F_STREAM session, 0 if none yet */
	uint64_t oneshot_sess; /* keyed one-shot without F_STATELESS */
	bool streaming;	       /* the stream session is in use */
	bool started;	       /* first stream request sent (IV, AAD) */
	bool ended;	       /* decompress: STREAM_END seen */
	bool dirty;	       /* stream left unfinished on the device */
	bool finished;	       /* all requests done, output may remain */
	bool done;
	int err;
};

static void reset_op(struct virtaccel_stream *s)
{
	s->in_len = 0;
	s->out_off = 0;
	s->out_len = 0;
	s->streaming = false;
	s->started = false;
	s->ended = false;
	s->finished = false;
	s->done = false;
}

static uint8_t *dup_mem(const void *p, uint32_t len, int *err)
{
	uint8_t *d;

	if (!len)
		return NULL;
	if (!p) {
		*err = -EINVAL;
		return NULL;
	}
	d = malloc(len);
	if (!d) {
		*err = -ENOMEM;
		return NULL;
	}
	memcpy(d, p, len);
	return d;
}

/*
 * HMAC keys of any length (RFC 2104 section 2), for a device that takes 1
 * to one block (64 bytes): a longer key is replaced by its SHA-256, hashed
 * on the device itself (the library computes nothing in software); an empty
 * key is K0 = a block of zeros, which is what any key is padded to.
 */
VA_EXPORT int virtaccel_hmac_key(struct virtaccel_dev *dev, const void *key,
				 size_t len, void *k0, uint32_t *k0_len)
{
	int ret;

	if (!dev || !k0 || !k0_len || (len && !key))
		return -EINVAL;
	if (len > VA_HMAC_BLOCK) {
		ret = virtaccel_hash(dev, VIRTIO_ACCEL_ALG_SHA256, key, len, k0,
				     VIRTIO_ACCEL_SHA256_LEN);
		*k0_len = VIRTIO_ACCEL_SHA256_LEN;
		return ret;
	}
	if (!len) {
		memset(k0, 0, VA_HMAC_BLOCK);
		*k0_len = VA_HMAC_BLOCK;
		return 0;
	}
	memcpy(k0, key, len);
	*k0_len = (uint32_t)len;
	return 0;
}

VA_EXPORT int virtaccel_stream_open(struct virtaccel_dev *dev,
				    const struct virtaccel_stream_params *p,
				    struct virtaccel_stream **sp)
{
	struct virtaccel_stream_params hp;
	uint8_t k0[VA_HMAC_BLOCK];
	struct virtaccel_stream *s;
	int ret = 0;

	if (!dev || !p || !sp)
		return -EINVAL;
	if (p->op == VIRTIO_ACCEL_OP_MAC &&
	    p->algo == VIRTIO_ACCEL_ALG_HMAC_SHA256 &&
	    (p->key_len < 1 || p->key_len > VA_HMAC_BLOCK)) {
		*sp = NULL;
		hp = *p;
		ret = virtaccel_hmac_key(dev, p->key, p->key_len, k0, &hp.key_len);
		hp.key = k0;
		if (!ret)
			ret = virtaccel_stream_open(dev, &hp, sp);
		explicit_bzero(k0, sizeof(k0));
		return ret;
	}
	if (p->key_len > 4096 || p->iv_len > 4096 ||
	    p->aad_len > (64u << 20))
		return -EINVAL;
	*sp = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->dev = dev;
	s->op = p->op;
	s->algo = p->algo;
	s->info = virtio_accel_alg_lookup(p->op, p->algo);
	if (!s->info) {
		ret = -EOPNOTSUPP;
		goto err;
	}
	s->key = dup_mem(p->key, p->key_len, &ret);
	s->iv = dup_mem(p->iv, p->iv_len, &ret);
	s->aad = dup_mem(p->aad, p->aad_len, &ret);
	if (ret)
		goto err;
	s->key_len = p->key_len;
	s->iv_len = p->iv_len;
	s->aad_len = p->aad_len;
	s->max_len = dev->max_data_len;
	s->chunk = s->max_len < CHUNK_MAX ? s->max_len : CHUNK_MAX;
	s->in = virtaccel_buf_alloc(dev, s->chunk);
	s->out = virtaccel_buf_alloc(dev, s->chunk);
	if (!s->in || !s->out) {
		ret = -ENOMEM;
		goto err;
	}
	pthread_mutex_lock(&dev->ctrl_lock);
	s->queue = dev->stream_rr++ % dev->num_queues;
	pthread_mutex_unlock(&dev->ctrl_lock);
	*sp = s;
	return 0;
err:
	virtaccel_stream_close(s);
	return ret;
}

VA_EXPORT void virtaccel_stream_close(struct virtaccel_stream *s)
{
	if (!s)
		return;
	if (s->stream_sess)
		virtaccel_session_destroy(s->dev, s->stream_sess);
	if (s->oneshot_sess)
		virtaccel_session_destroy(s->dev, s->oneshot_sess);
	virtaccel_buf_free(s->dev, s->in);
	virtaccel_buf_free(s->dev, s->out);
	if (s->key)
		memset(s->key, 0, s->key_len);
	free(s->key);
	free(s->iv);
	free(s->aad);
	free(s);
}

static bool keyed(const struct virtaccel_stream *s)
{
	return s->info->max_key_len != 0;
}

static int fail(struct virtaccel_stream *s, int err)
{
	s->err = err;
	s->dirty = true;
	return err;
}

/* Run one request; *op's src/dst are set by the caller. */
static int run(struct virtaccel_stream *s, struct virtaccel_op *op, bool stream,
	       bool final)
{
	struct virtaccel_dev *dev = s->dev;
	int ret;

	op->opcode = s->op;
	op->algo = s->algo;
	op->flags = 0;
	op->session_id = 0;
	op->key = NULL;
	op->key_len = 0;
	op->iv = NULL;
	op->iv_len = 0;
	op->aad = NULL;
	op->aad_len = 0;
	if (stream) {
		if (!s->stream_sess) {
			if (!va_has(dev, VIRTIO_ACCEL_F_STREAM) ||
			    !s->info->stream)
				return -EFBIG;
			ret = virtaccel_session_create(
				dev, s->op, s->algo, VIRTIO_ACCEL_SESS_F_STREAM,
				s->key, s->key_len, &s->stream_sess);
			if (ret)
				return ret;
		} else if (s->dirty && !s->started) {
			/* the device may hold half a stream: start afresh */
			virtaccel_session_destroy(dev, s->stream_sess);
			s->stream_sess = 0;
			s->dirty = false;
			return run(s, op, stream, final);
		}
		op->session_id = s->stream_sess;
		if (final)
			op->flags = VIRTIO_ACCEL_OP_F_FINAL;
		if (!s->started) {
			op->iv = s->iv;
			op->iv_len = s->iv_len;
			op->aad = s->aad;
			op->aad_len = s->aad_len;
		}
		s->streaming = true;
		s->dirty = true;
	} else {
		if (keyed(s) && va_has(dev, VIRTIO_ACCEL_F_STATELESS)) {
			op->key = s->key;
			op->key_len = s->key_len;
		} else if (keyed(s)) {
			if (!s->oneshot_sess) {
				ret = virtaccel_session_create(
					dev, s->op, s->algo, 0, s->key,
					s->key_len, &s->oneshot_sess);
				if (ret)
					return ret;
			}
			op->session_id = s->oneshot_sess;
		}
		op->iv = s->iv;
		op->iv_len = s->iv_len;
		op->aad = s->aad;
		op->aad_len = s->aad_len;
	}
	ret = va_run_on(dev, s->queue, op);
	if (stream) {
		if (ret) {
			/* [STREAM-ERR]: the device aborted the stream */
			s->started = false;
		} else if (final && ((s->op != VIRTIO_ACCEL_OP_COMPRESS &&
				      s->op != VIRTIO_ACCEL_OP_DECOMPRESS) ||
				     (op->resp_flags &
				      VIRTIO_ACCEL_RESP_F_STREAM_END))) {
			/* complete: the session may start another stream */
			s->started = false;
			s->dirty = false;
		} else {
			/* de/compress FINAL without STREAM_END continues */
			s->started = true;
		}
	}
	return ret;
}

/* Drop @n consumed bytes from the front of the input buffer. */
static void consume(struct virtaccel_stream *s, size_t n)
{
	if (n > s->in_len)
		n = s->in_len;
	memmove(s->in, s->in + n, s->in_len - n);
	s->in_len -= n;
}

static void produced(struct virtaccel_stream *s, const struct virtaccel_op *op)
{
	s->out_off = 0;
	s->out_len = op->dst_used;
	if (op->opcode != VIRTIO_ACCEL_OP_COMPRESS &&
	    op->opcode != VIRTIO_ACCEL_OP_DECOMPRESS)
		s->out_len = op->dst_len;
}

/* A non-final request because the input buffer is full. */
static int send_partial(struct virtaccel_stream *s, size_t n)
{
	struct virtaccel_op op = {0};
	int ret;

	op.src = s->in;
	op.src_len = (uint32_t)n;
	op.dst = s->out;
	switch (s->op) {
	case VIRTIO_ACCEL_OP_NULL:
		/* stateless: every chunk is its own request */
		op.dst_len = (uint32_t)n;
		ret = run(s, &op, false, false);
		break;
	case VIRTIO_ACCEL_OP_HASH:
	case VIRTIO_ACCEL_OP_MAC:
		op.dst_len = 0;
		ret = run(s, &op, true, false);
		break;
	case VIRTIO_ACCEL_OP_AEAD_ENCRYPT:
	case VIRTIO_ACCEL_OP_AEAD_DECRYPT:
		op.dst_len = (uint32_t)n;
		ret = run(s, &op, true, false);
		break;
	default:
		if (s->ended)
			return -EINVAL; /* data after the end of the stream */
		op.dst_len = s->chunk;
		ret = run(s, &op, true, false);
		if (!ret && !op.src_used && !op.dst_used)
			ret = -EPROTO; /* no progress */
		if (!ret && (op.resp_flags & VIRTIO_ACCEL_RESP_F_STREAM_END))
			s->ended = true;
		if (!ret) {
			consume(s, op.src_used);
			produced(s, &op);
		}
		return ret;
	}
	if (!ret) {
		consume(s, n);
		produced(s, &op);
	}
	return ret;
}

static size_t oneshot_out(const struct virtaccel_stream *s, size_t n)
{
	switch (s->op) {
	case VIRTIO_ACCEL_OP_NULL:
		return n;
	case VIRTIO_ACCEL_OP_HASH:
	case VIRTIO_ACCEL_OP_MAC:
		return s->info->out_len;
	case VIRTIO_ACCEL_OP_AEAD_ENCRYPT:
		return n + TAG_LEN;
	case VIRTIO_ACCEL_OP_AEAD_DECRYPT:
		return n >= TAG_LEN ? n - TAG_LEN : 0;
	case VIRTIO_ACCEL_OP_COMPRESS:
		return VIRTIO_ACCEL_DEFLATE_BOUND(n);
	default:
		return SIZE_MAX; /* unknown */
	}
}

/* All input is buffered: make the next step towards the end. */
static int send_final(struct virtaccel_stream *s)
{
	struct virtaccel_op op = {0};
	size_t n = s->in_len, want;
	int ret;

	op.src = s->in;
	op.src_len = (uint32_t)n;
	op.dst = s->out;

	if (!s->streaming) {
		want = oneshot_out(s, n);
		if (s->op == VIRTIO_ACCEL_OP_DECOMPRESS ||
		    (s->op == VIRTIO_ACCEL_OP_COMPRESS &&
		     (want > s->chunk ||
		      !va_has(s->dev, VIRTIO_ACCEL_F_STREAM))))
			want = s->chunk;
		if (want <= s->chunk) {
			op.dst_len = (uint32_t)want;
			ret = run(s, &op, false, false);
			if (ret == -ENOSPC &&
			    (s->op == VIRTIO_ACCEL_OP_COMPRESS ||
			     s->op == VIRTIO_ACCEL_OP_DECOMPRESS) &&
			    va_has(s->dev, VIRTIO_ACCEL_F_STREAM))
				goto stream; /* retry as a stream */
			if (ret)
				return ret;
			consume(s, n);
			produced(s, &op);
			s->finished = true;
			return 0;
		}
		if (s->op == VIRTIO_ACCEL_OP_NULL)
			return send_partial(s, n);
	}
stream:
	op.dst = s->out;
	switch (s->op) {
	case VIRTIO_ACCEL_OP_NULL:
		return send_partial(s, n);
	case VIRTIO_ACCEL_OP_HASH:
	case VIRTIO_ACCEL_OP_MAC:
		op.dst_len = s->info->out_len;
		break;
	case VIRTIO_ACCEL_OP_AEAD_ENCRYPT:
		if (n + TAG_LEN > s->chunk)
			/* make room for the tag in the final request */
			return send_partial(s, n + TAG_LEN - s->chunk);
		op.dst_len = (uint32_t)(n + TAG_LEN);
		break;
	case VIRTIO_ACCEL_OP_AEAD_DECRYPT:
		if (n < TAG_LEN)
			return -EINVAL;
		op.dst_len = (uint32_t)(n - TAG_LEN);
		break;
	default:
		if (s->ended) {
			if (n)
				return -EINVAL;
			s->finished = true;
			return 0;
		}
		op.dst_len = s->chunk;
		ret = run(s, &op, true, true);
		if (ret)
			return ret;
		consume(s, op.src_used);
		produced(s, &op);
		if (op.resp_flags & VIRTIO_ACCEL_RESP_F_STREAM_END) {
			if (s->in_len)
				return -EINVAL;
			s->finished = true;
		} else if (!op.src_used && !op.dst_used) {
			return -EPROTO;
		}
		return 0;
	}
	ret = run(s, &op, true, true);
	if (ret)
		return ret;
	consume(s, n);
	produced(s, &op);
	s->finished = true;
	return 0;
}

/* Whole input in one call: one request straight from the caller's buffers. */
static int direct(struct virtaccel_stream *s, const void *in, size_t in_len,
		  void *out, size_t out_cap, size_t *out_used)
{
	struct virtaccel_op op = {0};
	int ret;

	op.src = in;
	op.src_len = (uint32_t)in_len;
	op.dst = out;
	op.dst_len = (uint32_t)oneshot_out(s, in_len);
	ret = run(s, &op, false, false);
	if (ret)
		return ret;
	*out_used = op.dst_len;
	if (s->op == VIRTIO_ACCEL_OP_COMPRESS)
		*out_used = op.dst_used;
	return 0;
}

VA_EXPORT int virtaccel_stream_update(struct virtaccel_stream *s,
				      const void *in, size_t in_len, int final,
				      void *out, size_t out_cap,
				      size_t *in_used, size_t *out_used,
				      int *done)
{
	size_t iu = 0, ou = 0, n, want;
	int ret = 0;

	if (!s || (in_len && !in) || (out_cap && !out) || !in_used ||
	    !out_used || !done)
		return -EINVAL;
	*in_used = 0;
	*out_used = 0;
	*done = 0;
	if (s->err)
		return s->err;
	if (s->done)
		reset_op(s);

	/* fast path: everything at once, fits one request and the output */
	want = oneshot_out(s, in_len);
	if (final && !s->streaming && !s->in_len && !s->out_len &&
	    in_len <= s->max_len && want <= s->max_len && want <= out_cap &&
	    s->op != VIRTIO_ACCEL_OP_DECOMPRESS) {
		ret = direct(s, in, in_len, out, out_cap, &ou);
		if (!ret) {
			*in_used = in_len;
			*out_used = ou;
			*done = 1;
			s->done = true;
			return 0;
		}
		/* no shared memory for a bounce that big: go in chunks */
		if (ret != -EAGAIN && ret != -ENOMEM)
			return fail(s, ret);
		ret = 0;
	}

	for (;;) {
		/* hand out what the last request produced */
		n = s->out_len - s->out_off;
		if (n > out_cap - ou)
			n = out_cap - ou;
		if (n) {
			memcpy((uint8_t *)out + ou, s->out + s->out_off, n);
			ou += n;
			s->out_off += n;
		}
		if (s->out_off < s->out_len)
			break; /* caller's output is full */
		s->out_off = 0;
		s->out_len = 0;
		if (s->finished) {
			*done = 1;
			s->done = true;
			break;
		}
		n = in_len - iu;
		if (n > s->chunk - s->in_len)
			n = s->chunk - s->in_len;
		if (n) {
			memcpy(s->in + s->in_len, (const uint8_t *)in + iu, n);
			s->in_len += n;
			iu += n;
		}
		if (!final || iu < in_len) {
			if (s->in_len < s->chunk)
				break; /* wait for more input */
			n = s->in_len;
			if (s->op == VIRTIO_ACCEL_OP_AEAD_DECRYPT)
				n -= TAG_LEN; /* the tag might be here */
			ret = send_partial(s, n);
		} else {
			ret = send_final(s);
		}
		if (ret) {
			fail(s, ret);
			break;
		}
	}
	*in_used = iu;
	*out_used = ou;
	return ret;
}

VA_EXPORT int virtaccel_hash(struct virtaccel_dev *dev, uint32_t algo,
			     const void *data, size_t len, void *digest,
			     size_t digest_len)
{
	struct virtaccel_stream_params p = {
		.op = VIRTIO_ACCEL_OP_HASH,
		.algo = algo,
	};
	const struct virtio_accel_alg_info *info;
	struct virtaccel_stream *s;
	size_t iu, ou, in_off = 0, out_off = 0;
	int ret, done = 0;

	info = virtio_accel_alg_lookup(VIRTIO_ACCEL_OP_HASH, algo);
	if (!info)
		return -EOPNOTSUPP;
	if (!digest || digest_len < info->out_len || (len && !data))
		return -EINVAL;
	ret = virtaccel_stream_open(dev, &p, &s);
	if (ret)
		return ret;
	while (!done) {
		ret = virtaccel_stream_update(
			s, data ? (const uint8_t *)data + in_off : NULL,
			len - in_off, 1, (uint8_t *)digest + out_off,
			digest_len - out_off, &iu, &ou, &done);
		if (ret)
			break;
		in_off += iu;
		out_off += ou;
		if (!done && !iu && !ou) {
			ret = -EPROTO;
			break;
		}
	}
	virtaccel_stream_close(s);
	return ret;
}
