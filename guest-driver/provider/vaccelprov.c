// SPDX-License-Identifier: BSD-3-Clause
/*
 * vaccelprov: an OpenSSL 3 provider over libvirtaccel.
 *
 * SHA-256 (digest), HMAC with SHA-256 (EVP_MAC "HMAC") and AES-256-GCM
 * (cipher), all computed by the virtio-accel device named by the provider
 * parameter "device" (openssl.cnf) or the environment variable
 * VACCEL_DEVICE, which wins. Nothing is ever computed in software here: when
 * the device cannot be reached, the operation fails with an error naming it.
 *
 * One device handle per process, opened at first use and used under one
 * lock (a vhost-user back-end serves one front-end per socket, so threads
 * cannot have handles of their own there). After fork() the child never
 * touches the parent's handle: it opens its own at its first operation.
 *
 * How data reaches the device:
 *  - digests and MACs are buffered (up to one request, max_data_len or
 *    1 MiB) and sent as one request at final; longer input goes as a
 *    stream session (spec section 9), one request per full buffer; an
 *    update from 512 KiB goes as stream requests of up to 64 KiB whose
 *    copies overlap the device's work (hash_pipe);
 *  - AES-256-GCM output must be returned by each update (OpenSSL gives the
 *    final call no room for data). A message's first update goes whole,
 *    tag and all (one request; from 4 KiB through the context's buffers in
 *    the shared memory), and is replayed as a stream only if another
 *    update follows; an update from 128 KiB goes as eight stream requests
 *    whose copies overlap the device's work (gcm_pipe); otherwise every
 *    update is stream requests of the context's stream session (split at
 *    max_data_len) and final one request that carries (encrypt) or checks
 *    (decrypt) the tag.
 *  Stream sessions outlive their contexts whose streams ended (a cache by
 *  operation and key: scache).
 *
 * Once loaded, the provider sets its library context's default properties
 * to "?provider=vaccelprov" (parameter "prefer = no" to leave them), so
 * that "openssl dgst -provider vaccelprov -sha256" takes its SHA-256. HMAC
 * with another digest than SHA-256 is passed to another provider, counted
 * (parameter "hmac-passed-on"), or refused with "strict = yes".
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <openssl/evp.h>
#include <openssl/prov_ssl.h>

#include <virtaccel.h>

#define VP_NAME		"vaccelprov"
#define VP_DEFAULT_DEV	"/dev/vaccel0"
#define VP_CHUNK_MAX	(1u << 20)
/* provider parameter: HMAC computations passed to another provider */
#define VP_PARAM_PASSED	"hmac-passed-on"
#define SHA256_LEN	VIRTIO_ACCEL_SHA256_LEN
#define SHA256_BLOCK	64
#define GCM_KEY_LEN	VIRTIO_ACCEL_GCM_KEY_LEN
#define GCM_IV_LEN	VIRTIO_ACCEL_GCM_IV_LEN
#define GCM_TAG_LEN	VIRTIO_ACCEL_GCM_TAG_LEN
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* reason codes (OSSL_FUNC_provider_get_reason_strings) */
enum {
	VP_R_DEVICE = 1,
	VP_R_UNSUPPORTED,
	VP_R_STATE,
	VP_R_AUTH,
};

static const OSSL_ITEM vp_reasons[] = {
	{ VP_R_DEVICE, "virtio-accel device error" },
	{ VP_R_UNSUPPORTED, "not supported by the virtio-accel device" },
	{ VP_R_STATE, "invalid state" },
	{ VP_R_AUTH, "authentication failed" },
	{ 0, NULL },
};

static const OSSL_CORE_HANDLE *vp_core;
static OSSL_FUNC_core_new_error_fn *c_new_error;
static OSSL_FUNC_core_set_error_debug_fn *c_set_error_debug;
static OSSL_FUNC_core_vset_error_fn *c_vset_error;
static OSSL_FUNC_core_get_params_fn *c_get_params;
static OSSL_FUNC_core_get_libctx_fn *c_get_libctx;

static void vp_err_at(const char *file, int line, const char *func,
		      int reason, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void vp_err_at(const char *file, int line, const char *func,
		      int reason, const char *fmt, ...)
{
	va_list ap;

	if (!c_new_error || !c_vset_error)
		return;
	c_new_error(vp_core);
	if (c_set_error_debug)
		c_set_error_debug(vp_core, file, line, func);
	va_start(ap, fmt);
	c_vset_error(vp_core, reason, fmt, ap);
	va_end(ap);
}

#define vp_err(reason, ...) \
	vp_err_at(__FILE__, __LINE__, __func__, reason, __VA_ARGS__)

/* One per provider instance (library context). */
struct vp_prov {
	const OSSL_CORE_HANDLE *core;
	OSSL_LIB_CTX *child;	/* the other providers of that context */
	bool strict;		/* "strict = yes": no HMAC but SHA-256's */
};

static bool is_yes(const char *v)
{
	return !strcasecmp(v, "yes") || !strcasecmp(v, "1") ||
	       !strcasecmp(v, "true") || !strcasecmp(v, "on");
}

static bool is_no(const char *v)
{
	return !strcasecmp(v, "no") || !strcasecmp(v, "0") ||
	       !strcasecmp(v, "false") || !strcasecmp(v, "off");
}

/* ---- the device -------------------------------------------------------- */

/*
 * g_lock guards everything below and every library call. g_gen changes
 * whenever the handle changes (reopen after an error, fork): sessions made
 * under another generation belong to a connection that is gone (or the
 * parent's) and are never used or destroyed.
 */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
/* HMAC digests other than SHA-256 passed to another provider (hmac_other) */
static uint64_t g_hmac_passed;
static struct virtaccel_dev *g_dev;
static unsigned long g_gen = 1;
static pid_t g_pid;
static char *g_devstr;		/* from openssl.cnf; VACCEL_DEVICE wins */
static unsigned int g_refs;	/* provider instances */
static bool g_atfork;
static uint32_t g_chunk;	/* bytes per request */
/*
 * Shared memory the AES-GCM contexts hold (of the current handle), at
 * most VP_SHM_BUDGET, a quarter of the library's default 64 MiB: the rest
 * stays the library's, for its bounce buffers, so that many contexts (a
 * TLS server's connections) fall back to those instead of starving them.
 */
#define VP_SHM_BUDGET	(16u << 20)
static size_t g_shm_held;
static uint32_t g_max_aad;
static bool g_stateless;

static void vp_atfork_prepare(void)
{
	pthread_mutex_lock(&g_lock);
}

static void vp_atfork_parent(void)
{
	pthread_mutex_unlock(&g_lock);
}

/* The child leaves the parent's connection alone and opens its own. */
static void vp_atfork_child(void)
{
	if (g_dev) {
		/* releases the copies only: the connection stays the parent's */
		virtaccel_close(g_dev);
		g_dev = NULL;
		g_gen++;
	}
	pthread_mutex_unlock(&g_lock);
}

static const char *vp_devstr(void)
{
	const char *e = getenv("VACCEL_DEVICE");

	if (e && *e)
		return e;
	return g_devstr ? g_devstr : VP_DEFAULT_DEV;
}

/* Drop a handle that failed: the next operation opens the device again. */
static void dev_drop(void)
{
	if (!g_dev)
		return;
	virtaccel_close(g_dev); /* in a fork child: releases the copies only */
	g_dev = NULL;
	g_gen++;
}

/* With g_lock held: the handle, opened if needed, or NULL and an error. */
static struct virtaccel_dev *dev_get(void)
{
	struct virtaccel_open_opts o = { .num_queues = 1 };
	struct virtaccel_info info;
	const char *ds = vp_devstr();
	int ret;

	if (g_dev && !g_atfork && g_pid != getpid()) {
		/* forked without our atfork handler: release the copies only */
		virtaccel_close(g_dev);
		g_dev = NULL;
		g_gen++;
	}
	if (g_dev)
		return g_dev;
	ret = virtaccel_open(ds, &o, &g_dev);
	if (ret) {
		g_dev = NULL;
		vp_err(VP_R_DEVICE, "%s: cannot open device %s: %s%s%s", VP_NAME,
		       ds, strerror(-ret), *virtaccel_last_error() ? ": " : "",
		       virtaccel_last_error());
		return NULL;
	}
	ret = virtaccel_get_info(g_dev, &info);
	if (ret) {
		virtaccel_close(g_dev);
		g_dev = NULL;
		vp_err(VP_R_DEVICE, "%s: device %s: no information: %s",
		       VP_NAME, ds, strerror(-ret));
		return NULL;
	}
	g_pid = getpid();
	g_gen++;
	g_shm_held = 0;
	g_chunk = info.max_data_len < VP_CHUNK_MAX ? info.max_data_len :
						     VP_CHUNK_MAX;
	g_max_aad = info.max_aad_len;
	g_stateless = info.driver_features & (1ull << VIRTIO_ACCEL_F_STATELESS);
	return g_dev;
}

/* An error from the device: name it; a broken connection is dropped. */
static int dev_fail(const char *what, int ret)
{
	vp_err(VP_R_DEVICE, "%s: %s on device %s: %s", VP_NAME, what,
	       vp_devstr(), strerror(-ret));
	if (ret == -ECONNRESET || ret == -EPIPE || ret == -EIO ||
	    ret == -ETIMEDOUT || ret == -ENOTCONN || ret == -EPROTO)
		dev_drop();
	return ret;
}

/* With g_lock held. */
static int dev_run(const char *what, struct virtaccel_op *op)
{
	int ret = virtaccel_run(g_dev, op);

	if (ret && ret != -EBADMSG)
		return dev_fail(what, ret);
	return ret;
}

/* With g_lock held: queue @op on queue 0 (the completion: op_wait()). */
static int op_submit(const char *what, struct virtaccel_op *op)
{
	struct virtaccel_op *ops[1] = { op };
	int ret = virtaccel_submit(g_dev, 0, ops, 1);

	if (ret != 1)
		return dev_fail(what, ret < 0 ? ret : -EAGAIN);
	return 0;
}

/*
 * With g_lock held: the completion of @op, the only request in flight. 0,
 * -EBADMSG (the device's verdict, the caller's to report) or -errno.
 */
static int op_wait(const char *what, struct virtaccel_op *op)
{
	struct virtaccel_op *done = NULL;
	int n, ret;

	do
		n = virtaccel_poll(g_dev, 0, &done, 1, -1);
	while (n == 0);
	if (n < 0)
		return dev_fail(what, n);
	if (done != op)
		return dev_fail(what, -EPROTO); /* a completion not ours */
	ret = virtaccel_status_to_errno(op->status);
	if (ret && ret != -EBADMSG)
		return dev_fail(what, ret);
	return ret;
}

/* A session of this context, valid for the current handle. */
struct vp_sess {
	uint64_t id;
	unsigned long gen;
	uint32_t op;
};

/* With g_lock held and g_dev open. */
static int sess_get(struct vp_sess *s, uint32_t op, uint32_t algo,
		    uint32_t flags, const void *key, uint32_t key_len)
{
	int ret;

	if (s->id && s->gen == g_gen && s->op == op)
		return 0;
	if (s->id && s->gen == g_gen)
		virtaccel_session_destroy(g_dev, s->id);
	s->id = 0;
	ret = virtaccel_session_create(g_dev, op, algo, flags, key, key_len,
				       &s->id);
	if (ret) {
		s->id = 0;
		return dev_fail("session create", ret);
	}
	s->gen = g_gen;
	s->op = op;
	return 0;
}

/*
 * Stream sessions outlive their contexts: a context freed (or given another
 * key or direction), its stream ended, leaves its session here, and a
 * context of the same operation and key takes it instead of two
 * control-queue round trips (create, destroy). Sessions of an older handle
 * are forgotten (they went with it); one pushed out is destroyed. Under
 * g_lock.
 */
#define VP_SCACHE	8
#define VP_SCACHE_KEY	64

struct vp_scache {
	uint64_t id;
	unsigned long gen;
	uint32_t op;
	uint32_t key_len;
	uint8_t key[VP_SCACHE_KEY];
};

static struct vp_scache g_scache[VP_SCACHE];
static unsigned int g_scache_next;

/* With g_lock held: keep @s, whose stream has ended, for another context. */
static void scache_put(struct vp_sess *s, const void *key, uint32_t key_len)
{
	struct vp_scache *c = NULL;
	unsigned int i;

	if (!s->id || key_len > VP_SCACHE_KEY)
		goto out;
	if (!g_dev || s->gen != g_gen || g_pid != getpid())
		goto out; /* the handle's gone, and the session with it */
	for (i = 0; i < VP_SCACHE && !c; i++)
		if (!g_scache[i].id || g_scache[i].gen != g_gen)
			c = &g_scache[i];
	if (!c) {
		c = &g_scache[g_scache_next++ % VP_SCACHE];
		virtaccel_session_destroy(g_dev, c->id);
	}
	c->id = s->id;
	c->gen = s->gen;
	c->op = s->op;
	c->key_len = key_len;
	if (key_len)
		memcpy(c->key, key, key_len);
out:
	s->id = 0;
}

/* With g_lock held and g_dev open: a kept session of @op and key into @s. */
static bool scache_take(struct vp_sess *s, uint32_t op, const void *key,
			uint32_t key_len)
{
	unsigned int i;

	for (i = 0; i < VP_SCACHE; i++) {
		struct vp_scache *c = &g_scache[i];

		if (!c->id || c->gen != g_gen || c->op != op ||
		    c->key_len != key_len ||
		    (key_len && CRYPTO_memcmp(c->key, key, key_len)))
			continue;
		if (s->id && s->gen == g_gen)
			virtaccel_session_destroy(g_dev, s->id);
		s->id = c->id;
		s->gen = c->gen;
		s->op = c->op;
		c->id = 0;
		OPENSSL_cleanse(c->key, sizeof(c->key));
		return true;
	}
	return false;
}

/* ---- SHA-256 and HMAC-SHA-256 -------------------------------------------- */

struct vp_hash {
	bool mac;
	uint8_t *key;		/* HMAC key as given (any length) */
	size_t key_len;
	bool key_set;
	uint8_t k0[SHA256_BLOCK]; /* the key the device takes */
	uint32_t k0_len;
	/*
	 * The input not sent yet. From VP_HASH_SHM_MIN bytes on it lives in
	 * the device's shared memory (buf_shm, of handle buf_gen), so that
	 * the library sends it from where it is: one copy of the caller's
	 * data in all, instead of three (into a heap buffer, the library's
	 * bounce into shared memory, the wipe at free).
	 */
	uint8_t *buf;
	size_t len, cap;
	bool buf_shm;
	unsigned long buf_gen;
	struct vp_sess sess;	/* stream session, once input outgrew buf */
	bool sess_clean;	/* its last stream ended: it can start one */
	bool streaming;
	/*
	 * A long update streams through two pieces of pbuf (shared memory of
	 * the handle of generation pbuf_gen; hash_pipe()), and its last piece
	 * stays there, pending: then pend points to it, else the pending
	 * input is buf's.
	 */
	uint8_t *pbuf;
	size_t pcap;
	unsigned long pbuf_gen;
	uint8_t *pend;
	unsigned long stream_gen;
	bool failed;
	/*
	 * HMAC with another digest than SHA-256: the next provider's HMAC
	 * (see hmac_other()); NULL while the digest is SHA-256.
	 */
	struct vp_prov *prov;
	EVP_MAC_CTX *other;
};

static bool hash_buf_stale(const struct vp_hash *h);

static bool hash_pbuf_stale(const struct vp_hash *h)
{
	return h->pbuf && (!g_dev || h->pbuf_gen != g_gen || g_pid != getpid());
}

static void hash_reset(struct vp_hash *h)
{
	h->len = 0;
	h->pend = NULL;
	h->streaming = false;
	h->failed = false;
	if (h->buf_shm || h->pbuf) {
		/* a buffer of a handle gone went with it: forget it */
		pthread_mutex_lock(&g_lock);
		if (hash_buf_stale(h)) {
			h->buf = NULL;
			h->cap = 0;
			h->buf_shm = false;
		}
		if (hash_pbuf_stale(h)) {
			h->pbuf = NULL;
			h->pcap = 0;
		}
		pthread_mutex_unlock(&g_lock);
	}
}

static void *hash_new(bool mac, void *provctx)
{
	struct vp_hash *h = OPENSSL_zalloc(sizeof(*h));

	if (h) {
		h->mac = mac;
		h->prov = provctx;
	}
	return h;
}

static void *sha256_newctx(void *provctx)
{
	return hash_new(false, provctx);
}

static void *hmac_newctx(void *provctx)
{
	return hash_new(true, provctx);
}

#define VP_HASH_SHM_MIN	(64u << 10)

/* With g_lock held: the shared buffer gone with its handle (or a fork)? */
static bool hash_buf_stale(const struct vp_hash *h)
{
	return h->buf_shm &&
	       (!g_dev || h->buf_gen != g_gen || g_pid != getpid());
}

/* Give back h->pbuf (data, not wiped, as below). */
static void hash_pbuf_free(struct vp_hash *h)
{
	h->pend = NULL;
	if (!h->pbuf)
		return;
	pthread_mutex_lock(&g_lock);
	if (!hash_pbuf_stale(h)) {
		virtaccel_buf_free(g_dev, h->pbuf);
		g_shm_held -= h->pcap;
	}
	pthread_mutex_unlock(&g_lock);
	h->pbuf = NULL;
	h->pcap = 0;
}

/*
 * Give back h->buf and h->pbuf. Shared memory: to the handle it came
 * from, if that is still ours; data, not keys, so not wiped (as
 * gcm_shm_put()). The heap buffer of an HMAC may hold the message: wiped,
 * as before.
 */
static void hash_buf_free(struct vp_hash *h)
{
	if (h->buf_shm) {
		pthread_mutex_lock(&g_lock);
		if (!hash_buf_stale(h)) {
			virtaccel_buf_free(g_dev, h->buf);
			g_shm_held -= h->cap;
		}
		pthread_mutex_unlock(&g_lock);
	} else {
		OPENSSL_clear_free(h->buf, h->cap);
	}
	h->buf = NULL;
	h->cap = 0;
	h->len = 0;
	h->buf_shm = false;
	hash_pbuf_free(h);
}

static int hash_stale_err(const struct vp_hash *h)
{
	vp_err(VP_R_STATE,
	       "%s: the device connection was lost (or the process forked) in the middle of %s",
	       VP_NAME, h->mac ? "an HMAC" : "a digest");
	return -ESTALE;
}

/*
 * Room for @ncap bytes of input (h->len kept): shared memory from
 * VP_HASH_SHM_MIN on while the provider's share of it allows, else heap.
 */
static int hash_grow(struct vp_hash *h, size_t ncap)
{
	uint8_t *nb = NULL;
	bool shm = false;
	int ret = 0;

	pthread_mutex_lock(&g_lock);
	if (hash_buf_stale(h)) {
		ret = hash_stale_err(h);
		goto out;
	}
	if (ncap >= VP_HASH_SHM_MIN && g_dev && g_pid == getpid() &&
	    g_shm_held + ncap <= VP_SHM_BUDGET)
		nb = virtaccel_buf_alloc(g_dev, ncap);
	if (nb) {
		g_shm_held += ncap;
		shm = true;
	} else {
		nb = OPENSSL_malloc(ncap);
		if (!nb) {
			ret = -ENOMEM;
			goto out;
		}
	}
	if (h->len)
		memcpy(nb, h->buf, h->len);
	if (h->buf_shm) {
		virtaccel_buf_free(g_dev, h->buf);
		g_shm_held -= h->cap;
	} else {
		OPENSSL_clear_free(h->buf, h->cap);
	}
	h->buf_shm = shm;
	h->buf_gen = g_gen;
	h->buf = nb;
	h->cap = ncap;
out:
	pthread_mutex_unlock(&g_lock);
	return ret;
}

/*
 * The context's stream session: kept for another context (scache) when its
 * last stream ended, else destroyed.
 */
static void hash_sess_put(struct vp_hash *h)
{
	if (!h->sess.id)
		return;
	pthread_mutex_lock(&g_lock);
	if (h->sess_clean && !h->streaming)
		scache_put(&h->sess, h->mac ? h->k0 : NULL,
			   h->mac ? h->k0_len : 0);
	else if (g_dev && h->sess.gen == g_gen && g_pid == getpid())
		virtaccel_session_destroy(g_dev, h->sess.id);
	pthread_mutex_unlock(&g_lock);
	h->sess.id = 0;
	h->sess_clean = false;
}

static void hash_free(void *vctx)
{
	struct vp_hash *h = vctx;

	if (!h)
		return;
	hash_sess_put(h);
	EVP_MAC_CTX_free(h->other);
	OPENSSL_clear_free(h->key, h->key_len);
	hash_buf_free(h);
	OPENSSL_cleanse(h->k0, sizeof(h->k0));
	OPENSSL_free(h);
}

static void *hash_dup(void *vctx)
{
	const struct vp_hash *src = vctx;
	struct vp_hash *h;

	if (src->streaming) {
		vp_err(VP_R_STATE,
		       "%s: %s that has streamed to the device cannot be copied",
		       VP_NAME, src->mac ? "an HMAC" : "a digest");
		return NULL;
	}
	h = OPENSSL_memdup(src, sizeof(*src));
	if (!h)
		return NULL;
	h->sess.id = 0;
	h->other = NULL;
	if (src->other) {
		h->other = EVP_MAC_CTX_dup(src->other);
		if (!h->other) {
			OPENSSL_free(h);
			return NULL;
		}
	}
	h->buf = NULL;
	h->cap = 0;
	h->len = 0;
	h->buf_shm = false;
	h->pbuf = NULL;
	h->pcap = 0;
	h->pend = NULL;
	h->key = src->key_len ? OPENSSL_memdup(src->key, src->key_len) : NULL;
	if (src->key_len && !h->key) {
		h->key_len = 0;
		goto fail;
	}
	if (src->cap) {
		bool stale;

		if (hash_grow(h, src->cap))
			goto fail;
		pthread_mutex_lock(&g_lock);
		stale = hash_buf_stale(src);
		if (!stale)
			memcpy(h->buf, src->buf, src->len);
		pthread_mutex_unlock(&g_lock);
		if (stale) {
			hash_stale_err(src);
			goto fail;
		}
		h->len = src->len;
	}
	return h;
fail:
	hash_free(h);
	return NULL;
}

static int hash_set_key(struct vp_hash *h, const unsigned char *key,
			size_t len)
{
	hash_sess_put(h);	/* a session of the old key */
	OPENSSL_clear_free(h->key, h->key_len);
	h->key = NULL;
	h->key_len = 0;
	h->k0_len = 0;
	if (len) {
		h->key = OPENSSL_memdup(key, len);
		if (!h->key)
			return 0;
	}
	h->key_len = len;
	h->key_set = true;
	return 1;
}

/* With g_lock held and g_dev open: the device's form of the key. */
static int hash_k0(struct vp_hash *h)
{
	int ret;

	if (h->k0_len)
		return 0;
	ret = virtaccel_hmac_key(g_dev, h->key, h->key_len, h->k0, &h->k0_len);
	if (ret)
		return dev_fail("HMAC key (SHA-256 of a long key)", ret);
	return 0;
}

/*
 * With g_lock held, g_dev open and the key's device form made (HMAC): a
 * stream starts on the context's session if its last stream ended, else on
 * a kept one (scache) or a new one.
 */
static int hash_stream_start(struct vp_hash *h)
{
	uint32_t opc = h->mac ? VIRTIO_ACCEL_OP_MAC : VIRTIO_ACCEL_OP_HASH;
	uint32_t algo = h->mac ? VIRTIO_ACCEL_ALG_HMAC_SHA256 :
				 VIRTIO_ACCEL_ALG_SHA256;
	const void *key = h->mac ? h->k0 : NULL;
	uint32_t key_len = h->mac ? h->k0_len : 0;
	int ret;

	if (h->streaming)
		return 0;
	if (!(h->sess.id && h->sess.gen == g_gen && h->sess_clean)) {
		/* a session whose stream did not end (or of a handle gone) */
		if (h->sess.id && h->sess.gen == g_gen)
			virtaccel_session_destroy(g_dev, h->sess.id);
		h->sess.id = 0;
		if (!scache_take(&h->sess, opc, key, key_len)) {
			ret = sess_get(&h->sess, opc, algo,
				       VIRTIO_ACCEL_SESS_F_STREAM, key,
				       key_len);
			if (ret)
				return ret;
		}
	}
	h->sess_clean = false;
	h->streaming = true;
	h->stream_gen = g_gen;
	return 0;
}

/*
 * With g_lock held: send what is buffered. Not final: all of it, as stream
 * requests. Final: the digest into @md, one request when the input fits one
 * and no stream has begun.
 */
static int hash_send(struct vp_hash *h, bool final, unsigned char *md)
{
	const char *what = h->mac ? "HMAC-SHA-256" : "SHA-256";
	uint32_t opc = h->mac ? VIRTIO_ACCEL_OP_MAC : VIRTIO_ACCEL_OP_HASH;
	uint32_t algo = h->mac ? VIRTIO_ACCEL_ALG_HMAC_SHA256 :
				 VIRTIO_ACCEL_ALG_SHA256;
	const uint8_t *src = h->pend ? h->pend : h->buf;
	struct virtaccel_op op;
	struct vp_sess once = { 0 };
	size_t off = 0, n;
	int ret;

	if (!dev_get())
		return -ENODEV;
	if ((h->streaming && h->stream_gen != g_gen) || hash_buf_stale(h))
		return hash_stale_err(h);
	if (h->mac) {
		ret = hash_k0(h);
		if (ret)
			return ret;
	}
	while (h->len - off > g_chunk || (!final && off < h->len)) {
		ret = hash_stream_start(h);
		if (ret)
			return ret;
		n = h->len - off;
		if (n > g_chunk)
			n = g_chunk;
		memset(&op, 0, sizeof(op));
		op.opcode = opc;
		op.algo = algo;
		op.session_id = h->sess.id;
		op.src = src + off;
		op.src_len = (uint32_t)n;
		ret = dev_run(what, &op);
		if (ret)
			return ret;
		off += n;
	}
	if (!final) {
		h->len = 0;
		h->pend = NULL;
		return 0;
	}
	memset(&op, 0, sizeof(op));
	op.opcode = opc;
	op.algo = algo;
	op.src = src + off;
	op.src_len = (uint32_t)(h->len - off);
	op.dst = md;
	op.dst_len = SHA256_LEN;
	if (h->streaming) {
		op.session_id = h->sess.id;
		op.flags = VIRTIO_ACCEL_OP_F_FINAL;
	} else if (h->mac && g_stateless) {
		op.key = h->k0;
		op.key_len = h->k0_len;
	} else if (h->mac) {
		ret = sess_get(&once, opc, algo, 0, h->k0, h->k0_len);
		if (ret)
			return ret;
		op.session_id = once.id;
	}
	ret = dev_run(what, &op);
	if (once.id && once.gen == g_gen)
		virtaccel_session_destroy(g_dev, once.id);
	if (!ret && h->streaming)
		h->sess_clean = true; /* [STREAM-END]: it can start another */
	h->len = 0;
	h->pend = NULL;
	h->streaming = false;
	return ret;
}

/* With g_lock held and g_dev open: h->pbuf of @len bytes (0), or 1. */
static int hash_pbuf_get(struct vp_hash *h, size_t len)
{
	if (hash_pbuf_stale(h)) {
		/* it went with its handle */
		h->pbuf = NULL;
		h->pcap = 0;
	}
	if (h->pbuf && h->pcap >= len)
		return 0;
	if (h->pbuf) {
		virtaccel_buf_free(g_dev, h->pbuf);
		g_shm_held -= h->pcap;
		h->pbuf = NULL;
		h->pcap = 0;
	}
	if (g_shm_held + len > VP_SHM_BUDGET)
		return 1;
	h->pbuf = virtaccel_buf_alloc(g_dev, len);
	if (!h->pbuf)
		return 1;
	h->pcap = len;
	h->pbuf_gen = g_gen;
	g_shm_held += len;
	return 0;
}

/* With g_lock held and the stream started: @n bytes at @src, not FINAL. */
static int hash_submit(struct vp_hash *h, struct virtaccel_op *op,
		       const uint8_t *src, size_t n)
{
	memset(op, 0, sizeof(*op));
	op->opcode = h->mac ? VIRTIO_ACCEL_OP_MAC : VIRTIO_ACCEL_OP_HASH;
	op->algo = h->mac ? VIRTIO_ACCEL_ALG_HMAC_SHA256 :
			    VIRTIO_ACCEL_ALG_SHA256;
	op->session_id = h->sess.id;
	op->src = src;
	op->src_len = (uint32_t)n;
	return op_submit(h->mac ? "HMAC-SHA-256" : "SHA-256", op);
}

/*
 * With g_lock held: a long update (from VP_HPIPE_MIN) as stream requests of
 * a sixteenth of it each, 16 to 64 KiB, through the two halves of h->pbuf,
 * the copy of one piece overlapping the device's work on the one before
 * (one request in flight, [STREAM-ORDER]). Buffering it all and sending it
 * at final costs the whole copy and then the whole hash; this, the first
 * piece's copy and the hash. A piece of 64 KiB is hashed within the
 * library's spin (VIRTACCEL_SPIN_US on a core of today), so that waiting
 * for it costs no wake-up. The last piece stays pending in h->pbuf
 * (h->pend) for the next update or final. 1 when the shared memory cannot
 * be had (the caller buffers as before), else 0/-errno.
 *
 * A context that has streamed cannot be copied (hash_dup()): below
 * VP_HPIPE_MIN an update is buffered, and copies work up to 1 MiB of input.
 */
#define VP_HPIPE_MIN		(512u << 10)
#define VP_HPIPE_PIECES		16
#define VP_HPIPE_PIECE_MIN	(16u << 10)
#define VP_HPIPE_PIECE_MAX	(64u << 10)
static int hash_pipe(struct vp_hash *h, const unsigned char *in, size_t inl)
{
	const char *what = h->mac ? "HMAC-SHA-256" : "SHA-256";
	struct virtaccel_op op[3];	/* of pbuf's halves, and of h->buf */
	size_t piece, off = 0, n;
	uint8_t *half[2];
	int busy = -1, r, ret;
	if (!dev_get())
		return -ENODEV;
	if ((h->streaming && h->stream_gen != g_gen) || hash_buf_stale(h))
		return hash_stale_err(h);
	piece = (inl / VP_HPIPE_PIECES + 4095) & ~(size_t)4095;
	if (piece < VP_HPIPE_PIECE_MIN)
		piece = VP_HPIPE_PIECE_MIN;
	if (piece > VP_HPIPE_PIECE_MAX)
		piece = VP_HPIPE_PIECE_MAX;
	if (piece > g_chunk)
		piece = g_chunk & ~(size_t)4095;
	if (!piece)
		return 1;
	/*
	 * Pending input goes first, from where it is; but not from the
	 * halves of an earlier pbuf of other pieces: it goes now.
	 */
	if (h->len && (h->len > g_chunk ||
		       (h->pend && (h->pcap < 2 * piece ||
				    (h->pend != h->pbuf &&
				     h->pend != h->pbuf + piece))))) {
		ret = hash_send(h, false, NULL);
		if (ret)
			return ret;
	}
	if (hash_pbuf_get(h, 2 * piece))
		return h->pend ? -ENOMEM : 1; /* (pend: pbuf kept, not lost) */
	if (h->mac) {
		ret = hash_k0(h);
		if (ret)
			return ret;
	}
	ret = hash_stream_start(h);
	if (ret)
		return ret;
	half[0] = h->pbuf;
	half[1] = h->pbuf + piece;
	if (h->len) {
		busy = !h->pend ? 2 : h->pend == half[0] ? 0 : 1;
		ret = hash_submit(h, &op[busy], h->pend ? h->pend : h->buf,
				  h->len);
		if (ret)
			return ret;
		h->len = 0;
		h->pend = NULL;
	}
	r = busy == 0 ? 1 : 0;
	while (off < inl) {
		n = inl - off < piece ? inl - off : piece;
		/* while the device works on the piece before */
		memcpy(half[r], in + off, n);
		off += n;
		if (busy >= 0) {
			ret = op_wait(what, &op[busy]);
			busy = -1;
			if (ret == -EBADMSG)
				ret = dev_fail(what, ret);
			if (ret)
				return ret;
		}
		if (off == inl) {
			h->pend = half[r];
			h->len = n;
			break;
		}
		ret = hash_submit(h, &op[r], half[r], n);
		if (ret)
			return ret;
		busy = r;
		r = 1 - r;
	}
	return 0;
}

static int hash_update(void *vctx, const unsigned char *in, size_t inl)
{
	struct vp_hash *h = vctx;
	size_t n;
	int ret = 0;

	if (h->failed)
		return 0;
	if (inl >= VP_HPIPE_MIN) {
		pthread_mutex_lock(&g_lock);
		ret = hash_pipe(h, in, inl);
		pthread_mutex_unlock(&g_lock);
		if (ret < 0) {
			h->failed = true;
			return 0;
		}
		if (!ret)
			return 1;
	}
	if (h->pend) {
		/* what a long update left in h->pbuf goes first */
		pthread_mutex_lock(&g_lock);
		ret = hash_send(h, false, NULL);
		pthread_mutex_unlock(&g_lock);
		if (ret) {
			h->failed = true;
			return 0;
		}
	}
	while (inl) {
		if (h->len == h->cap && h->cap >= VP_CHUNK_MAX) {
			pthread_mutex_lock(&g_lock);
			ret = hash_send(h, false, NULL);
			pthread_mutex_unlock(&g_lock);
			if (ret) {
				h->failed = true;
				return 0;
			}
		}
		if (h->len + inl > h->cap && h->cap < VP_CHUNK_MAX) {
			size_t ncap = h->cap ? h->cap : 256;

			while (ncap < h->len + inl && ncap < VP_CHUNK_MAX)
				ncap *= 2;
			if (ncap > VP_CHUNK_MAX)
				ncap = VP_CHUNK_MAX;
			if (hash_grow(h, ncap)) {
				h->failed = true;
				return 0;
			}
		}
		n = h->cap - h->len;
		if (n > inl)
			n = inl;
		if (h->buf_shm) {
			/* the handle (and its memory) may go under another thread */
			pthread_mutex_lock(&g_lock);
			ret = hash_buf_stale(h) ? hash_stale_err(h) : 0;
			if (!ret)
				memcpy(h->buf + h->len, in, n);
			pthread_mutex_unlock(&g_lock);
			if (ret) {
				h->failed = true;
				return 0;
			}
		} else {
			memcpy(h->buf + h->len, in, n);
		}
		h->len += n;
		in += n;
		inl -= n;
	}
	return 1;
}

static int hash_final(void *vctx, unsigned char *out, size_t *outl,
		      size_t outsz)
{
	struct vp_hash *h = vctx;
	int ret;

	if (outsz < SHA256_LEN || h->failed)
		return 0;
	pthread_mutex_lock(&g_lock);
	ret = hash_send(h, true, out);
	pthread_mutex_unlock(&g_lock);
	h->len = 0;
	h->streaming = false;
	if (ret)
		return 0;
	*outl = SHA256_LEN;
	return 1;
}

/* Open the device at init, so that an unreachable one fails there. */
static int vp_dev_check(void)
{
	bool ok;

	pthread_mutex_lock(&g_lock);
	ok = dev_get();
	pthread_mutex_unlock(&g_lock);
	return ok;
}

/* digest */

static int sha256_init(void *vctx, const OSSL_PARAM params[])
{
	hash_reset(vctx);
	return vp_dev_check();
}

static int sha256_digest(void *provctx, const unsigned char *in, size_t inl,
			 unsigned char *out, size_t *outl, size_t outsz)
{
	struct vp_hash h = { 0 };
	int ok, ret;

	if (outsz < SHA256_LEN)
		return 0;
	/*
	 * Long input is pipelined (hash_pipe()); the rest goes to the device
	 * from where it is: no buffer of ours (one copy, the library's into
	 * shared memory, instead of three and a fresh allocation per call).
	 */
	pthread_mutex_lock(&g_lock);
	ret = inl >= VP_HPIPE_MIN ? hash_pipe(&h, in, inl) : 1;
	if (ret == 1) {
		h.buf = (uint8_t *)in;
		h.len = inl;
	}
	ok = ret >= 0 && !hash_send(&h, true, out);
	pthread_mutex_unlock(&g_lock);
	hash_pbuf_free(&h);
	hash_sess_put(&h);
	if (ok)
		*outl = SHA256_LEN;
	return ok;
}

static int sha256_get_params(OSSL_PARAM params[])
{
	OSSL_PARAM *p;

	p = OSSL_PARAM_locate(params, OSSL_DIGEST_PARAM_BLOCK_SIZE);
	if (p && !OSSL_PARAM_set_size_t(p, SHA256_BLOCK))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_DIGEST_PARAM_SIZE);
	if (p && !OSSL_PARAM_set_size_t(p, SHA256_LEN))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_DIGEST_PARAM_XOF);
	if (p && !OSSL_PARAM_set_int(p, 0))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_DIGEST_PARAM_ALGID_ABSENT);
	if (p && !OSSL_PARAM_set_int(p, 1))
		return 0;
	return 1;
}

static const OSSL_PARAM *sha256_gettable_params(void *provctx)
{
	static const OSSL_PARAM t[] = {
		OSSL_PARAM_size_t(OSSL_DIGEST_PARAM_BLOCK_SIZE, NULL),
		OSSL_PARAM_size_t(OSSL_DIGEST_PARAM_SIZE, NULL),
		OSSL_PARAM_int(OSSL_DIGEST_PARAM_XOF, NULL),
		OSSL_PARAM_int(OSSL_DIGEST_PARAM_ALGID_ABSENT, NULL),
		OSSL_PARAM_END
	};
	return t;
}

static const OSSL_DISPATCH sha256_fns[] = {
	{ OSSL_FUNC_DIGEST_NEWCTX, (void (*)(void))sha256_newctx },
	{ OSSL_FUNC_DIGEST_INIT, (void (*)(void))sha256_init },
	{ OSSL_FUNC_DIGEST_UPDATE, (void (*)(void))hash_update },
	{ OSSL_FUNC_DIGEST_FINAL, (void (*)(void))hash_final },
	{ OSSL_FUNC_DIGEST_DIGEST, (void (*)(void))sha256_digest },
	{ OSSL_FUNC_DIGEST_FREECTX, (void (*)(void))hash_free },
	{ OSSL_FUNC_DIGEST_DUPCTX, (void (*)(void))hash_dup },
	{ OSSL_FUNC_DIGEST_GET_PARAMS, (void (*)(void))sha256_get_params },
	{ OSSL_FUNC_DIGEST_GETTABLE_PARAMS,
	  (void (*)(void))sha256_gettable_params },
	{ 0, NULL }
};

/* MAC */

static int hmac_set_key_param(struct vp_hash *h, const OSSL_PARAM params[])
{
	const OSSL_PARAM *p = OSSL_PARAM_locate_const(params, OSSL_MAC_PARAM_KEY);

	if (!p)
		return 1;
	if (p->data_type != OSSL_PARAM_OCTET_STRING)
		return 0;
	return hash_set_key(h, p->data, p->data_size);
}

static bool is_sha256_name(const char *n)
{
	static const char *const names[] = {
		"SHA256", "SHA2-256", "SHA-256", "2.16.840.1.101.3.4.2.1",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcasecmp(n, names[i]))
			return true;
	return false;
}

/*
 * OpenSSL picks a MAC implementation before it is told the digest, so with
 * "default_properties = ?provider=vaccelprov" every HMAC comes here, also
 * TLS's HMAC-SHA-384 (HKDF, the TLS 1.2 PRF). The device does SHA-256
 * only: another digest is passed to the HMAC of the next provider loaded
 * beside this one (the operator's choice, e.g. default), through a child
 * library context, and counted (g_hmac_passed, the provider parameter
 * "hmac-passed-on"); with none, or with "strict = yes" in the provider's
 * section, it fails with an error naming the digest. HMAC-SHA-256 never
 * leaves the device.
 */
static int hmac_other(struct vp_hash *h, const char *name,
		      const OSSL_PARAM params[])
{
	EVP_MAC *m;

	EVP_MAC_CTX_free(h->other);
	h->other = NULL;
	if (h->prov && h->prov->strict) {
		vp_err(VP_R_UNSUPPORTED,
		       "%s: HMAC with %s: the device does HMAC with SHA-256 only (strict = yes: not passed to another provider)",
		       VP_NAME, name);
		return 0;
	}
	m = h->prov && h->prov->child ?
		    EVP_MAC_fetch(h->prov->child, "HMAC", "provider!=" VP_NAME) :
		    NULL;
	if (m)
		h->other = EVP_MAC_CTX_new(m);
	EVP_MAC_free(m);
	if (!h->other) {
		vp_err(VP_R_UNSUPPORTED,
		       "%s: HMAC with %s: the device does HMAC with SHA-256 only, and no other provider has HMAC",
		       VP_NAME, name);
		return 0;
	}
	__atomic_add_fetch(&g_hmac_passed, 1, __ATOMIC_RELAXED);
	if (h->key_set) {
		OSSL_PARAM k[] = {
			OSSL_PARAM_octet_string(OSSL_MAC_PARAM_KEY, h->key,
						h->key_len),
			OSSL_PARAM_END
		};

		if (!EVP_MAC_CTX_set_params(h->other, k))
			return 0;
	}
	return EVP_MAC_CTX_set_params(h->other, params);
}

static int hmac_set_ctx_params(void *vctx, const OSSL_PARAM params[])
{
	struct vp_hash *h = vctx;
	const OSSL_PARAM *p;
	const char *name;

	if (!params)
		return 1;
	p = OSSL_PARAM_locate_const(params, OSSL_MAC_PARAM_DIGEST);
	if (p) {
		if (!OSSL_PARAM_get_utf8_string_ptr(p, &name))
			return 0;
		if (!is_sha256_name(name))
			return hmac_other(h, name, params) &&
			       hmac_set_key_param(h, params);
		EVP_MAC_CTX_free(h->other);
		h->other = NULL;
	}
	if (h->other && !EVP_MAC_CTX_set_params(h->other, params))
		return 0;
	return hmac_set_key_param(h, params);
}

static const OSSL_PARAM *hmac_settable_ctx_params(void *ctx, void *provctx)
{
	static const OSSL_PARAM t[] = {
		OSSL_PARAM_utf8_string(OSSL_MAC_PARAM_DIGEST, NULL, 0),
		OSSL_PARAM_utf8_string(OSSL_MAC_PARAM_PROPERTIES, NULL, 0),
		OSSL_PARAM_octet_string(OSSL_MAC_PARAM_KEY, NULL, 0),
		OSSL_PARAM_END
	};
	return t;
}

static int hmac_init(void *vctx, const unsigned char *key, size_t keylen,
		     const OSSL_PARAM params[])
{
	struct vp_hash *h = vctx;

	if (!hmac_set_ctx_params(h, params))
		return 0;
	if (key && !hash_set_key(h, key, keylen))
		return 0;
	if (h->other)
		return EVP_MAC_init(h->other, key, keylen, NULL);
	if (!h->key_set) {
		vp_err(VP_R_STATE, "%s: HMAC: no key set", VP_NAME);
		return 0;
	}
	hash_reset(h);
	return vp_dev_check();
}

static int hmac_update(void *vctx, const unsigned char *in, size_t inl)
{
	struct vp_hash *h = vctx;

	if (h->other)
		return EVP_MAC_update(h->other, in, inl);
	return hash_update(h, in, inl);
}

static int hmac_final(void *vctx, unsigned char *out, size_t *outl,
		      size_t outsz)
{
	struct vp_hash *h = vctx;

	if (h->other)
		return EVP_MAC_final(h->other, out, outl, outsz);
	return hash_final(h, out, outl, outsz);
}

static int hmac_get_ctx_params(void *vctx, OSSL_PARAM params[])
{
	struct vp_hash *h = vctx;
	OSSL_PARAM *p;

	if (h->other)
		return EVP_MAC_CTX_get_params(h->other, params);

	p = OSSL_PARAM_locate(params, OSSL_MAC_PARAM_SIZE);
	if (p && !OSSL_PARAM_set_size_t(p, SHA256_LEN))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_MAC_PARAM_BLOCK_SIZE);
	if (p && !OSSL_PARAM_set_size_t(p, SHA256_BLOCK))
		return 0;
	return 1;
}

static const OSSL_PARAM *hmac_gettable_ctx_params(void *ctx, void *provctx)
{
	static const OSSL_PARAM t[] = {
		OSSL_PARAM_size_t(OSSL_MAC_PARAM_SIZE, NULL),
		OSSL_PARAM_size_t(OSSL_MAC_PARAM_BLOCK_SIZE, NULL),
		OSSL_PARAM_END
	};
	return t;
}

static const OSSL_DISPATCH hmac_fns[] = {
	{ OSSL_FUNC_MAC_NEWCTX, (void (*)(void))hmac_newctx },
	{ OSSL_FUNC_MAC_DUPCTX, (void (*)(void))hash_dup },
	{ OSSL_FUNC_MAC_FREECTX, (void (*)(void))hash_free },
	{ OSSL_FUNC_MAC_INIT, (void (*)(void))hmac_init },
	{ OSSL_FUNC_MAC_UPDATE, (void (*)(void))hmac_update },
	{ OSSL_FUNC_MAC_FINAL, (void (*)(void))hmac_final },
	{ OSSL_FUNC_MAC_GET_CTX_PARAMS, (void (*)(void))hmac_get_ctx_params },
	{ OSSL_FUNC_MAC_GETTABLE_CTX_PARAMS,
	  (void (*)(void))hmac_gettable_ctx_params },
	{ OSSL_FUNC_MAC_SET_CTX_PARAMS, (void (*)(void))hmac_set_ctx_params },
	{ OSSL_FUNC_MAC_SETTABLE_CTX_PARAMS,
	  (void (*)(void))hmac_settable_ctx_params },
	{ 0, NULL }
};

/* ---- AES-256-GCM ----------------------------------------------------------- */

struct vp_gcm {
	bool enc;
	bool key_set;
	bool iv_set;
	bool started;		/* a stream is in progress on the device */
	unsigned long stream_gen;
	bool failed;		/* this message failed: final refuses */
	bool tag_set;		/* decrypt: the expected tag was given */
	bool tag_ready;		/* encrypt: final computed the tag */
	uint8_t key[GCM_KEY_LEN];
	uint8_t iv[GCM_IV_LEN];
	uint8_t tag[GCM_TAG_LEN];
	uint8_t *aad;
	size_t aad_len, aad_cap;
	struct vp_sess sess;
	/*
	 * One request per message when it can be: the first update of a
	 * message (encryption, or decryption with the tag already set, as TLS
	 * 1.3 does) is sent as a whole message, tag and all, and its input is
	 * kept; final then costs nothing. Should another update follow, the
	 * kept input starts a stream on the device again (its output, the
	 * same, is dropped) and the message goes on as a stream.
	 */
	bool spec_done;		/* the first update went as a whole message */
	uint8_t spec_tag[GCM_TAG_LEN];	/* decryption: the tag it checked */
	uint8_t *spec;		/* that update's input (heap) */
	size_t spec_len, spec_cap;
	/*
	 * Shared memory of the handle of generation sb_gen for whole
	 * messages: the input (the kept one, spec_shm) and the output go to
	 * the device without the library's bounce copies.
	 */
	uint8_t *sb, *db;
	size_t sb_cap;
	unsigned long sb_gen;
	bool spec_shm;		/* the kept input is sb's, not spec's */
	/* TLS (EVP_CTRL_AEAD_TLS1_AAD, EVP_CTRL_AEAD_SET_IV_FIXED) */
	uint8_t tls_aad[EVP_AEAD_TLS1_AAD_LEN];
	size_t tls_aad_len;	/* 0: not a TLS 1.2 record */
	size_t tls_fixed_len;	/* fixed part of the IV (4), 0 if unset */
};

static void gcm_sess_put(struct vp_gcm *g)
{
	if (!g->sess.id)
		return;
	pthread_mutex_lock(&g_lock);
	if (g->started && g_dev && g->sess.gen == g_gen && g_pid == getpid())
		virtaccel_session_destroy(g_dev, g->sess.id);
	else
		scache_put(&g->sess, g->key, GCM_KEY_LEN);
	pthread_mutex_unlock(&g_lock);
	g->sess.id = 0;
}

static void *gcm_newctx(void *provctx)
{
	return OPENSSL_zalloc(sizeof(struct vp_gcm));
}

/* Give back the shared buffers (those of the current handle only). */
static void gcm_shm_put(struct vp_gcm *g)
{
	if (!g->sb)
		return;
	pthread_mutex_lock(&g_lock);
	if (g_dev && g->sb_gen == g_gen && g_pid == getpid()) {
		/*
		 * Data, not keys, and the device's to see: not wiped (a
		 * memset of 2 MiB cost more than a 1 MiB message's copies).
		 */
		virtaccel_buf_free(g_dev, g->sb);
		virtaccel_buf_free(g_dev, g->db);
		g_shm_held -= 2 * g->sb_cap;
	}
	pthread_mutex_unlock(&g_lock);
	g->sb = NULL;
	g->db = NULL;
	g->sb_cap = 0;
	g->spec_shm = false;
}

/* With g_lock held and g_dev open: shared buffers of @len bytes, or -ENOMEM. */
static int gcm_shm_get(struct vp_gcm *g, size_t len)
{
	if (g->sb && g->sb_gen != g_gen) {
		/* the handle they belonged to is gone, and they with it */
		g->sb = NULL;
		g->db = NULL;
		g->sb_cap = 0;
	}
	if (g->sb && g->sb_cap >= len)
		return 0;
	if (g->sb) {
		virtaccel_buf_free(g_dev, g->sb);
		virtaccel_buf_free(g_dev, g->db);
		g_shm_held -= 2 * g->sb_cap;
		g->sb = NULL;
		g->db = NULL;
		g->sb_cap = 0;
		g->spec_shm = false;
	}
	if (len < 4096)
		len = 4096;
	if (g_shm_held + 2 * len > VP_SHM_BUDGET)
		return -ENOMEM; /* the rest stays the library's (bounces) */
	g->sb = virtaccel_buf_alloc(g_dev, len);
	g->db = g->sb ? virtaccel_buf_alloc(g_dev, len) : NULL;
	if (!g->db) {
		if (g->sb)
			virtaccel_buf_free(g_dev, g->sb);
		g->sb = NULL;
		g->sb_cap = 0;
		return -ENOMEM;
	}
	g->sb_cap = len;
	g->sb_gen = g_gen;
	g_shm_held += 2 * len;
	return 0;
}

/* The input of the whole-message update, kept for a replay. */
static const uint8_t *spec_kept(const struct vp_gcm *g)
{
	return g->spec_shm ? g->sb : g->spec;
}

static void gcm_free(void *vctx)
{
	struct vp_gcm *g = vctx;

	if (!g)
		return;
	gcm_sess_put(g);
	gcm_shm_put(g);
	OPENSSL_clear_free(g->aad, g->aad_cap);
	OPENSSL_clear_free(g->spec, g->spec_cap);
	OPENSSL_clear_free(g, sizeof(*g));
}

static void *gcm_dup(void *vctx)
{
	const struct vp_gcm *src = vctx;
	struct vp_gcm *g;

	if (src->started) {
		vp_err(VP_R_STATE,
		       "%s: an AES-GCM message in progress on the device cannot be copied",
		       VP_NAME);
		return NULL;
	}
	g = OPENSSL_memdup(src, sizeof(*src));
	if (!g)
		return NULL;
	g->sess.id = 0;
	g->sb = NULL;
	g->db = NULL;
	g->sb_cap = 0;
	g->spec_shm = false;
	g->aad = src->aad_cap ? OPENSSL_memdup(src->aad, src->aad_cap) : NULL;
	if (src->spec_shm) {
		/* the copy keeps the kept input on the heap */
		g->spec = OPENSSL_memdup(src->sb, src->spec_len ? src->spec_len : 1);
		g->spec_cap = g->spec ? (src->spec_len ? src->spec_len : 1) : 0;
	} else {
		g->spec = src->spec_cap ? OPENSSL_memdup(src->spec, src->spec_cap) : NULL;
	}
	if ((src->aad_cap && !g->aad) ||
	    ((src->spec_cap || src->spec_shm) && !g->spec)) {
		if (!g->aad)
			g->aad_cap = 0;
		if (!g->spec)
			g->spec_cap = 0;
		gcm_free(g);
		return NULL;
	}
	return g;
}

/* Start a new message: nothing sent, no AAD, no tag. */
static void gcm_restart(struct vp_gcm *g)
{
	g->started = false;
	g->failed = false;
	g->spec_done = false;
	g->aad_len = 0;
	g->tag_ready = false;
	g->tag_set = false;
}

static int gcm_set_ctx_params(void *vctx, const OSSL_PARAM params[]);

static int gcm_init(struct vp_gcm *g, bool enc, const unsigned char *key,
		    size_t keylen, const unsigned char *iv, size_t ivlen,
		    const OSSL_PARAM params[])
{
	/*
	 * A stream left unfinished ends with its session (destroyed); else
	 * the session goes to the cache when the direction changes.
	 */
	if (g->sess.id && (g->started || g->enc != enc))
		gcm_sess_put(g);
	g->enc = enc;
	gcm_restart(g);
	g->tls_aad_len = 0;
	if (key) {
		if (keylen != GCM_KEY_LEN) {
			vp_err(VP_R_UNSUPPORTED,
			       "%s: AES-256-GCM key of %zu bytes (32 needed)",
			       VP_NAME, keylen);
			return 0;
		}
		if (g->key_set && CRYPTO_memcmp(g->key, key, GCM_KEY_LEN))
			gcm_sess_put(g); /* a new key: another session */
		memcpy(g->key, key, GCM_KEY_LEN);
		g->key_set = true;
		if (!vp_dev_check())
			return 0;
	}
	if (!gcm_set_ctx_params(g, params))
		return 0;
	if (iv) {
		if (ivlen != GCM_IV_LEN) {
			vp_err(VP_R_UNSUPPORTED,
			       "%s: AES-GCM IV of %zu bytes: the device takes 12",
			       VP_NAME, ivlen);
			return 0;
		}
		memcpy(g->iv, iv, GCM_IV_LEN);
		g->iv_set = true;
	}
	return 1;
}

static int gcm_einit(void *vctx, const unsigned char *key, size_t keylen,
		     const unsigned char *iv, size_t ivlen,
		     const OSSL_PARAM params[])
{
	return gcm_init(vctx, true, key, keylen, iv, ivlen, params);
}

static int gcm_dinit(void *vctx, const unsigned char *key, size_t keylen,
		     const unsigned char *iv, size_t ivlen,
		     const OSSL_PARAM params[])
{
	return gcm_init(vctx, false, key, keylen, iv, ivlen, params);
}

/* With g_lock held: key, IV, device and AAD ready for a request. */
static int gcm_prepare(struct vp_gcm *g)
{
	if (!g->key_set || !g->iv_set) {
		vp_err(VP_R_STATE, "%s: AES-GCM: no %s set", VP_NAME,
		       g->key_set ? "IV" : "key");
		return -EINVAL;
	}
	if (!dev_get())
		return -ENODEV;
	if (g->started && g->stream_gen != g_gen) {
		vp_err(VP_R_STATE,
		       "%s: the device connection was lost (or the process forked) in the middle of an AES-GCM message",
		       VP_NAME);
		return -ESTALE;
	}
	if (g->aad_len > g_max_aad) {
		vp_err(VP_R_UNSUPPORTED,
		       "%s: AES-GCM AAD of %zu bytes: the device takes up to %u",
		       VP_NAME, g->aad_len, g_max_aad);
		return -EINVAL;
	}
	return 0;
}

/* With g_lock held: the context's stream session (from the cache if it can). */
static int gcm_sess(struct vp_gcm *g)
{
	uint32_t op = g->enc ? VIRTIO_ACCEL_OP_AEAD_ENCRYPT :
			       VIRTIO_ACCEL_OP_AEAD_DECRYPT;

	if (!(g->sess.id && g->sess.gen == g_gen && g->sess.op == op) &&
	    scache_take(&g->sess, op, g->key, GCM_KEY_LEN))
		return 0;
	return sess_get(&g->sess, op, VIRTIO_ACCEL_ALG_AES256_GCM,
			VIRTIO_ACCEL_SESS_F_STREAM, g->key, GCM_KEY_LEN);
}

/*
 * One request: of the stream (the first carries the IV and AAD), or, for a
 * whole message (final, nothing sent yet) on a device with
 * VIRTIO_ACCEL_F_STATELESS, one stateless request with the key inline, so
 * that a short message costs no session.
 */
static int gcm_req(struct vp_gcm *g, const void *src, size_t src_len,
		   void *dst, size_t dst_len, bool final)
{
	struct virtaccel_op op = { 0 };
	int ret;

	op.opcode = g->enc ? VIRTIO_ACCEL_OP_AEAD_ENCRYPT :
			     VIRTIO_ACCEL_OP_AEAD_DECRYPT;
	op.algo = VIRTIO_ACCEL_ALG_AES256_GCM;
	if (final && !g->started && g_stateless) {
		op.key = g->key;
		op.key_len = GCM_KEY_LEN;
	} else {
		ret = gcm_sess(g);
		if (ret)
			return ret;
		op.session_id = g->sess.id;
		op.flags = final ? VIRTIO_ACCEL_OP_F_FINAL : 0;
	}
	if (!g->started) {
		op.iv = g->iv;
		op.iv_len = GCM_IV_LEN;
		op.aad = g->aad_len ? g->aad : NULL;
		op.aad_len = (uint32_t)g->aad_len;
	}
	op.src = src;
	op.src_len = (uint32_t)src_len;
	op.dst = dst;
	op.dst_len = (uint32_t)dst_len;
	ret = dev_run("AES-256-GCM", &op);
	if (!final && !ret) {
		g->started = true;
		g->stream_gen = g_gen;
	}
	if (final || ret)
		g->started = false; /* [STREAM-ERR]: an error ends it too */
	return ret;
}

static int gcm_add_aad(struct vp_gcm *g, const unsigned char *in, size_t inl)
{
	if (g->started) {
		vp_err(VP_R_STATE, "%s: AES-GCM AAD after data", VP_NAME);
		return 0;
	}
	if (g->aad_len + inl > g->aad_cap) {
		size_t ncap = g->aad_len + inl;
		uint8_t *n = OPENSSL_clear_realloc(g->aad, g->aad_cap, ncap);

		if (!n)
			return 0;
		g->aad = n;
		g->aad_cap = ncap;
	}
	memcpy(g->aad + g->aad_len, in, inl);
	g->aad_len += inl;
	return 1;
}

#define VP_SPEC_MAX (256u << 10)	/* kept on the heap up to this */
#define VP_SHM_MIN 4096			/* whole messages in shared memory from this */
#define VP_PIPE_MIN (128u << 10)	/* longer updates pipelined (gcm_pipe) */

/*
 * With g_lock held and gcm_prepare() done: @in as a whole message (FINAL,
 * IV and AAD), @out its output; @tag the tag to check (decryption) or
 * where the tag goes. 0, -EBADMSG (tag mismatch: @out wiped) or -errno.
 */
static int gcm_whole(struct vp_gcm *g, unsigned char *out,
		     const unsigned char *in, size_t inl, uint8_t *tag)
{
	uint8_t *tmp = OPENSSL_malloc(inl + GCM_TAG_LEN);
	int ret;

	if (!tmp)
		return -ENOMEM;
	if (g->enc) {
		ret = gcm_req(g, in, inl, tmp, inl + GCM_TAG_LEN, true);
		if (!ret) {
			memcpy(out, tmp, inl);
			memcpy(tag, tmp + inl, GCM_TAG_LEN);
		}
	} else {
		memcpy(tmp, in, inl);
		memcpy(tmp + inl, tag, GCM_TAG_LEN);
		ret = gcm_req(g, tmp, inl + GCM_TAG_LEN, out, inl, true);
		if (ret == -EBADMSG)
			OPENSSL_cleanse(out, inl);
	}
	OPENSSL_clear_free(tmp, inl + GCM_TAG_LEN);
	return ret;
}

/*
 * As gcm_whole(), the input already in g->sb (with room for the tag after
 * it) and the output through g->db: no bounce copies in the library.
 */
static int gcm_whole_shm(struct vp_gcm *g, unsigned char *out, size_t inl,
			 uint8_t *tag)
{
	int ret;

	if (g->enc) {
		ret = gcm_req(g, g->sb, inl, g->db, inl + GCM_TAG_LEN, true);
		if (!ret) {
			memcpy(out, g->db, inl);
			memcpy(tag, g->db + inl, GCM_TAG_LEN);
		}
	} else {
		memcpy(g->sb + inl, tag, GCM_TAG_LEN);
		ret = gcm_req(g, g->sb, inl + GCM_TAG_LEN, g->db, inl, true);
		if (!ret)
			memcpy(out, g->db, inl);
		else
			OPENSSL_cleanse(g->db, inl);
	}
	return ret;
}

/* Keep a copy of the input of a whole-message update. */
static int spec_keep(struct vp_gcm *g, const unsigned char *in, size_t inl)
{
	if (inl > g->spec_cap) {
		uint8_t *n = OPENSSL_clear_realloc(g->spec, g->spec_cap, inl);

		if (!n)
			return -ENOMEM;
		g->spec = n;
		g->spec_cap = inl;
	}
	memcpy(g->spec, in, inl);
	g->spec_len = inl;
	return 0;
}

/* A second update after a whole message: the device starts over as a stream. */
static int spec_replay(struct vp_gcm *g)
{
	uint8_t *scratch;
	int ret;

	g->spec_done = false;
	if (g->spec_shm && g->sb_gen == g_gen) {
		size_t off, n;

		/* the kept input may be longer than one request (gcm_pipe) */
		for (ret = 0, off = 0; !ret && off < g->spec_len; off += n) {
			n = g->spec_len - off < g_chunk ? g->spec_len - off :
							  g_chunk;
			ret = gcm_req(g, g->sb + off, n, g->db, n, false);
		}
		return ret;
	}
	if (g->spec_shm) {
		vp_err(VP_R_STATE,
		       "%s: the device connection was lost (or the process forked) in the middle of an AES-GCM message",
		       VP_NAME);
		return -ESTALE;
	}
	scratch = OPENSSL_malloc(g->spec_len);
	if (!scratch)
		return -ENOMEM;
	ret = gcm_req(g, g->spec, g->spec_len, scratch, g->spec_len, false);
	OPENSSL_clear_free(scratch, g->spec_len);
	return ret;
}

static int gcm_pipe(struct vp_gcm *g, unsigned char *out,
		    const unsigned char *in, size_t inl);

static int gcm_data(struct vp_gcm *g, unsigned char *out,
		    const unsigned char *in, size_t inl)
{
	size_t off = 0, n;
	int ret = 0;

	pthread_mutex_lock(&g_lock);
	ret = gcm_prepare(g);
	if (!ret && !g->started && !g->spec_done &&
	    inl + GCM_TAG_LEN <= g_chunk && (g->enc || g->tag_set) &&
	    inl >= VP_SHM_MIN && !gcm_shm_get(g, inl + GCM_TAG_LEN)) {
		if (!g->enc)
			memcpy(g->spec_tag, g->tag, GCM_TAG_LEN);
		memcpy(g->sb, in, inl);	/* @out may be @in */
		g->spec_len = inl;
		g->spec_shm = true;
		ret = gcm_whole_shm(g, out, inl, g->enc ? g->tag : g->spec_tag);
		if (ret == -EBADMSG) {
			/* as below */
			ret = gcm_req(g, g->sb, inl, g->db, inl, false);
			if (!ret)
				memcpy(out, g->db, inl);
		} else if (!ret) {
			g->spec_done = true;
		}
		pthread_mutex_unlock(&g_lock);
		return ret;
	}
	if (!ret && !g->started && !g->spec_done && inl <= VP_SPEC_MAX &&
	    inl + GCM_TAG_LEN <= g_chunk && (g->enc || g->tag_set)) {
		if (!g->enc)
			memcpy(g->spec_tag, g->tag, GCM_TAG_LEN);
		/* kept first: @out may be @in */
		g->spec_shm = false;
		ret = spec_keep(g, in, inl);
		if (!ret)
			ret = gcm_whole(g, out, in == out ? g->spec : in, inl,
					g->enc ? g->tag : g->spec_tag);
		if (ret == -EBADMSG) {
			/*
			 * Not this tag, or more input to come: the plaintext
			 * is still owed now, the verdict at final. Go on as
			 * a stream from the start.
			 */
			ret = gcm_req(g, g->spec, inl, out, inl, false);
		} else if (!ret) {
			g->spec_done = true;
		}
		pthread_mutex_unlock(&g_lock);
		return ret;
	}
	if (!ret && g->spec_done)
		ret = spec_replay(g);
	if (!ret && inl >= VP_PIPE_MIN) {
		ret = gcm_pipe(g, out, in, inl);
		if (ret <= 0) {
			pthread_mutex_unlock(&g_lock);
			return ret;
		}
		ret = 0; /* no shared buffers: as below */
	}
	while (!ret && off < inl) {
		n = inl - off;
		if (n > g_chunk)
			n = g_chunk;
		ret = gcm_req(g, in + off, n, out + off, n, false);
		off += n;
	}
	pthread_mutex_unlock(&g_lock);
	return ret;
}

static int gcm_tls_cipher(struct vp_gcm *g, unsigned char *out, size_t *outl,
			  size_t outsz, const unsigned char *in, size_t inl);

/* With g_lock held: queue one request of the context's stream on queue 0. */
static int gcm_submit(struct vp_gcm *g, struct virtaccel_op *op,
		      const uint8_t *src, uint8_t *dst, size_t len, bool final)
{
	int ret;

	ret = gcm_sess(g);
	if (ret)
		return ret;
	memset(op, 0, sizeof(*op));
	op->opcode = g->enc ? VIRTIO_ACCEL_OP_AEAD_ENCRYPT :
			      VIRTIO_ACCEL_OP_AEAD_DECRYPT;
	op->algo = VIRTIO_ACCEL_ALG_AES256_GCM;
	op->session_id = g->sess.id;
	if (!g->started) {
		op->iv = g->iv;
		op->iv_len = GCM_IV_LEN;
		op->aad = g->aad_len ? g->aad : NULL;
		op->aad_len = (uint32_t)g->aad_len;
	}
	op->src = src;
	op->src_len = (uint32_t)len;
	op->dst = dst;
	op->dst_len = (uint32_t)(len + (final ? GCM_TAG_LEN : 0));
	op->flags = final ? VIRTIO_ACCEL_OP_F_FINAL : 0;
	ret = op_submit("AES-256-GCM", op);
	if (ret)
		return ret;
	g->started = true;
	g->stream_gen = g_gen;
	return 0;
}

/*
 * With g_lock held and gcm_prepare() done: a long update as stream requests
 * of about an eighth of it each (VP_PIPE_PIECES; 64 KiB to max_data_len)
 * through shared buffers, so that the copies overlap the device's work:
 * while the device works on one piece, the next is copied in and the
 * previous one's output copied out. One request in flight at a time
 * ([STREAM-ORDER]); what is not overlapped is the first piece's copy in
 * and the last one's copy out, hence small pieces. 1 when the shared
 * buffers cannot be had (the caller goes on without), else 0/-errno.
 */
#define VP_PIPE_PIECES		8
#define VP_PIPE_PIECE_MIN	(64u << 10)
#define VP_SPEC_SHM_MAX		(2u << 20)	/* input kept whole up to */

static int gcm_pipe(struct vp_gcm *g, unsigned char *out,
		    const unsigned char *in, size_t inl)
{
	struct virtaccel_op op[2];
	size_t piece = (inl / VP_PIPE_PIECES + 4095) & ~(size_t)4095;
	size_t len[2], off_in, off_out = 0, nn;
	uint8_t *sbuf[2], *dbuf[2];
	int cur = 0, ret;
	bool spec;

	if (piece < VP_PIPE_PIECE_MIN)
		piece = VP_PIPE_PIECE_MIN;
	/* room for the tag after the last piece in one request */
	if (piece + GCM_TAG_LEN > g_chunk)
		piece = (g_chunk - GCM_TAG_LEN) & ~(size_t)4095;
	/*
	 * An encryption of up to VP_SPEC_SHM_MAX keeps all of its input in
	 * g->sb, contiguous, and ends its last request FINAL, the tag with
	 * it, as if no update followed: final then costs nothing; if one
	 * does, the kept input starts the stream again (spec_replay()), as
	 * for a whole message. Otherwise input pieces alternate in two.
	 */
	spec = g->enc && !g->started && inl + GCM_TAG_LEN <= VP_SPEC_SHM_MAX;
	/* g->sb and g->db are alike: the input (spec), two output pieces */
	if (gcm_shm_get(g, (spec && inl > 2 * piece ? inl : 2 * piece) +
			   GCM_TAG_LEN))
		return 1;
	g->spec_shm = false;
	sbuf[0] = g->sb;
	sbuf[1] = g->sb + piece;
	dbuf[0] = g->db;
	dbuf[1] = g->db + piece;
	len[0] = inl < piece ? inl : piece;
	memcpy(sbuf[0], in, len[0]);
	off_in = len[0];
	ret = gcm_submit(g, &op[0], sbuf[0], dbuf[0], len[0], false);
	while (!ret) {
		nn = inl - off_in < piece ? inl - off_in : piece;
		if (spec)
			sbuf[1 - cur] = g->sb + off_in;
		if (nn)	/* while the device works on the current piece */
			memcpy(sbuf[1 - cur], in + off_in, nn);
		ret = op_wait("AES-256-GCM", &op[cur]);
		if (!ret && nn)
			ret = gcm_submit(g, &op[1 - cur], sbuf[1 - cur],
					 dbuf[1 - cur], nn,
					 spec && off_in + nn == inl);
		if (ret)
			break;
		/* @out may be @in: this piece's input has been read */
		memcpy(out + off_out, dbuf[cur], len[cur]);
		off_out += len[cur];
		if (!nn)
			break;
		if (spec && off_in + nn == inl) {
			/* the FINAL one: wait for it here, keep its tag */
			ret = op_wait("AES-256-GCM", &op[1 - cur]);
			g->started = false;
			if (ret)
				break;
			memcpy(out + off_out, dbuf[1 - cur], nn);
			memcpy(g->tag, dbuf[1 - cur] + nn, GCM_TAG_LEN);
			g->spec_shm = true;
			g->spec_len = inl;
			g->spec_done = true;
			return 0;
		}
		off_in += nn;
		cur = 1 - cur;
		len[cur] = nn;
	}
	if (ret)
		g->started = false; /* [STREAM-ERR] */
	return ret;
}

static int gcm_update(void *vctx, unsigned char *out, size_t *outl,
		      size_t outsz, const unsigned char *in, size_t inl)
{
	struct vp_gcm *g = vctx;

	if (g->tls_aad_len)
		return gcm_tls_cipher(g, out, outl, outsz, in, inl);
	if (g->failed)
		return 0;
	if (!out) {
		*outl = 0;
		return gcm_add_aad(g, in, inl);
	}
	if (outsz < inl)
		return 0;
	if (inl && gcm_data(g, out, in, inl)) {
		g->failed = true;
		return 0;
	}
	*outl = inl;
	return 1;
}

static int gcm_final(void *vctx, unsigned char *out, size_t *outl,
		     size_t outsz)
{
	struct vp_gcm *g = vctx;
	int ret;

	*outl = 0;
	if (g->tls_aad_len)
		return 1; /* the record was done in one call */
	if (g->failed)
		return 0;
	if (!g->enc && !g->tag_set) {
		vp_err(VP_R_STATE, "%s: AES-GCM decrypt: no tag set", VP_NAME);
		return 0;
	}
	if (g->spec_done &&
	    (g->enc || !memcmp(g->tag, g->spec_tag, GCM_TAG_LEN))) {
		/* the whole message went with the first update */
		g->spec_done = false;
		g->iv_set = false;
		g->aad_len = 0;
		g->tag_ready = g->enc;
		return 1;
	}
	pthread_mutex_lock(&g_lock);
	ret = gcm_prepare(g);
	if (!ret && g->spec_done) {
		/* decryption whose tag changed since: check the new one */
		uint8_t *scratch = OPENSSL_malloc(g->spec_len ? g->spec_len : 1);

		g->spec_done = false;
		if (g->spec_shm && g->sb_gen != g_gen) {
			vp_err(VP_R_STATE,
			       "%s: the device connection was lost (or the process forked) in the middle of an AES-GCM message",
			       VP_NAME);
			ret = -ESTALE;
		} else {
			ret = scratch ? gcm_whole(g, scratch, spec_kept(g),
						  g->spec_len, g->tag) : -ENOMEM;
		}
		OPENSSL_clear_free(scratch, g->spec_len ? g->spec_len : 1);
	} else if (!ret && g->enc) {
		ret = gcm_req(g, NULL, 0, g->tag, GCM_TAG_LEN, true);
	} else if (!ret) {
		ret = gcm_req(g, g->tag, GCM_TAG_LEN, NULL, 0, true);
	}
	pthread_mutex_unlock(&g_lock);
	g->iv_set = false; /* an IV is used once */
	g->aad_len = 0;
	if (ret) {
		g->failed = true;
		return 0; /* -EBADMSG: the tag does not match (no error, as OpenSSL's own) */
	}
	g->tag_ready = g->enc;
	return 1;
}

static int gcm_cipher(void *vctx, unsigned char *out, size_t *outl,
		      size_t outsz, const unsigned char *in, size_t inl)
{
	struct vp_gcm *g = vctx;
	size_t n = 0;

	if (g->tls_aad_len)
		return gcm_tls_cipher(g, out, outl, outsz, in, inl);
	if (in) {
		if (!gcm_update(g, out, &n, outsz, in, inl))
			return 0;
	} else if (!gcm_final(g, out, &n, outsz)) {
		return 0;
	}
	*outl = n;
	return 1;
}

/*
 * TLS records in one call (OpenSSL's ssl/record layer: EVP_Cipher() after
 * EVP_CTRL_AEAD_TLS1_AAD). TLS 1.2: in/out = explicit IV (8) || data || tag
 * (16); the IV is the fixed 4 bytes || the explicit 8, which on encryption
 * is a counter we choose (as OpenSSL does: the invocation field, taken from
 * the fixed IV's last 8 bytes and incremented). TLS 1.3 uses no TLS AAD
 * control: the record layer sets the IV each record and calls the
 * ordinary update/final (plus the tag controls).
 */
static int gcm_tls_cipher(struct vp_gcm *g, unsigned char *out, size_t *outl,
			  size_t outsz, const unsigned char *in, size_t inl)
{
	const size_t fx = EVP_GCM_TLS_FIXED_IV_LEN, ex = EVP_GCM_TLS_EXPLICIT_IV_LEN;
	size_t len;
	int ret, i;

	g->tls_aad_len = 0; /* one record per AAD */
	if (inl < ex + GCM_TAG_LEN || outsz < inl || out != in ||
	    !g->tls_fixed_len || !g->key_set) {
		vp_err(VP_R_STATE, "%s: AES-GCM TLS record: bad call", VP_NAME);
		return 0;
	}
	len = inl - ex - GCM_TAG_LEN;
	if (g->enc) {
		/* the explicit part: the invocation counter, then + 1 */
		memcpy(out, g->iv + fx, ex);
		for (i = GCM_IV_LEN - 1; i >= (int)fx; i--)
			if (++g->iv[i])
				break;
	}
	pthread_mutex_lock(&g_lock);
	ret = dev_get() ? 0 : -ENODEV;
	if (!ret && !g_stateless)
		ret = gcm_sess(g);
	if (!ret) {
		struct virtaccel_op op = { 0 };
		uint8_t iv[GCM_IV_LEN];

		memcpy(iv, g->iv, fx);
		memcpy(iv + fx, out, ex); /* written above, or the record's */
		op.opcode = g->enc ? VIRTIO_ACCEL_OP_AEAD_ENCRYPT :
				     VIRTIO_ACCEL_OP_AEAD_DECRYPT;
		op.algo = VIRTIO_ACCEL_ALG_AES256_GCM;
		if (g_stateless) {
			op.key = g->key;
			op.key_len = GCM_KEY_LEN;
		} else {
			op.session_id = g->sess.id;
			op.flags = VIRTIO_ACCEL_OP_F_FINAL; /* a stream of one */
		}
		op.iv = iv;
		op.iv_len = GCM_IV_LEN;
		op.aad = g->tls_aad;
		op.aad_len = EVP_AEAD_TLS1_AAD_LEN;
		op.src = in + ex;
		op.dst = out + ex;
		op.src_len = (uint32_t)(g->enc ? len : len + GCM_TAG_LEN);
		op.dst_len = (uint32_t)(g->enc ? len + GCM_TAG_LEN : len);
		ret = dev_run("AES-256-GCM (TLS 1.2 record)", &op);
	}
	pthread_mutex_unlock(&g_lock);
	if (ret) {
		if (!g->enc)
			OPENSSL_cleanse(out, inl);
		return 0;
	}
	*outl = g->enc ? inl : len;
	return 1;
}

static int gcm_get_params(OSSL_PARAM params[])
{
	OSSL_PARAM *p;

	p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_MODE);
	if (p && !OSSL_PARAM_set_uint(p, EVP_CIPH_GCM_MODE))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_AEAD);
	if (p && !OSSL_PARAM_set_int(p, 1))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_CUSTOM_IV);
	if (p && !OSSL_PARAM_set_int(p, 1))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_CTS);
	if (p && !OSSL_PARAM_set_int(p, 0))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_TLS1_MULTIBLOCK);
	if (p && !OSSL_PARAM_set_int(p, 0))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_HAS_RAND_KEY);
	if (p && !OSSL_PARAM_set_int(p, 0))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_KEYLEN);
	if (p && !OSSL_PARAM_set_size_t(p, GCM_KEY_LEN))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_IVLEN);
	if (p && !OSSL_PARAM_set_size_t(p, GCM_IV_LEN))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_BLOCK_SIZE);
	if (p && !OSSL_PARAM_set_size_t(p, 1))
		return 0;
	return 1;
}

static const OSSL_PARAM *gcm_gettable_params(void *provctx)
{
	static const OSSL_PARAM t[] = {
		OSSL_PARAM_uint(OSSL_CIPHER_PARAM_MODE, NULL),
		OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_KEYLEN, NULL),
		OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_IVLEN, NULL),
		OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_BLOCK_SIZE, NULL),
		OSSL_PARAM_int(OSSL_CIPHER_PARAM_AEAD, NULL),
		OSSL_PARAM_int(OSSL_CIPHER_PARAM_CUSTOM_IV, NULL),
		OSSL_PARAM_int(OSSL_CIPHER_PARAM_CTS, NULL),
		OSSL_PARAM_int(OSSL_CIPHER_PARAM_TLS1_MULTIBLOCK, NULL),
		OSSL_PARAM_int(OSSL_CIPHER_PARAM_HAS_RAND_KEY, NULL),
		OSSL_PARAM_END
	};
	return t;
}

static int gcm_get_ctx_params(void *vctx, OSSL_PARAM params[])
{
	struct vp_gcm *g = vctx;
	OSSL_PARAM *p;

	p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_KEYLEN);
	if (p && !OSSL_PARAM_set_size_t(p, GCM_KEY_LEN))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_IVLEN);
	if (p && !OSSL_PARAM_set_size_t(p, GCM_IV_LEN))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_AEAD_TAGLEN);
	if (p && !OSSL_PARAM_set_size_t(p, GCM_TAG_LEN))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_AEAD_TLS1_AAD_PAD);
	if (p && !OSSL_PARAM_set_size_t(p, GCM_TAG_LEN))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_IV);
	if (p && !OSSL_PARAM_set_octet_string(p, g->iv, GCM_IV_LEN) &&
	    !OSSL_PARAM_set_octet_ptr(p, g->iv, GCM_IV_LEN))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_UPDATED_IV);
	if (p && !OSSL_PARAM_set_octet_string(p, g->iv, GCM_IV_LEN) &&
	    !OSSL_PARAM_set_octet_ptr(p, g->iv, GCM_IV_LEN))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_AEAD_TAG);
	if (p) {
		if (!g->enc || !g->tag_ready || p->data_type !=
		    OSSL_PARAM_OCTET_STRING || !p->data_size ||
		    p->data_size > GCM_TAG_LEN) {
			vp_err(VP_R_STATE,
			       "%s: AES-GCM tag: only after encryption, 1 to 16 bytes",
			       VP_NAME);
			return 0;
		}
		memcpy(p->data, g->tag, p->data_size);
		p->return_size = p->data_size;
	}
	return 1;
}

static const OSSL_PARAM *gcm_gettable_ctx_params(void *ctx, void *provctx)
{
	static const OSSL_PARAM t[] = {
		OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_KEYLEN, NULL),
		OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_IVLEN, NULL),
		OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_AEAD_TAGLEN, NULL),
		OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_IV, NULL, 0),
		OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_UPDATED_IV, NULL, 0),
		OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, NULL, 0),
		OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_AEAD_TLS1_AAD_PAD, NULL),
		OSSL_PARAM_END
	};
	return t;
}

static int gcm_set_ctx_params(void *vctx, const OSSL_PARAM params[])
{
	struct vp_gcm *g = vctx;
	const OSSL_PARAM *p;
	size_t sz;

	if (!params)
		return 1;
	p = OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_AEAD_IVLEN);
	if (p) {
		if (!OSSL_PARAM_get_size_t(p, &sz))
			return 0;
		if (sz != GCM_IV_LEN) {
			vp_err(VP_R_UNSUPPORTED,
			       "%s: AES-GCM IV length %zu: the device takes 12 only",
			       VP_NAME, sz);
			return 0;
		}
	}
	p = OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_AEAD_TAG);
	if (p) {
		if (p->data_type != OSSL_PARAM_OCTET_STRING)
			return 0;
		if (p->data_size != GCM_TAG_LEN) {
			vp_err(VP_R_UNSUPPORTED,
			       "%s: AES-GCM tag length %zu: the device does 16 only",
			       VP_NAME, p->data_size);
			return 0;
		}
		if (p->data) {
			if (g->enc) {
				vp_err(VP_R_STATE,
				       "%s: AES-GCM: a tag is set for decryption only",
				       VP_NAME);
				return 0;
			}
			memcpy(g->tag, p->data, GCM_TAG_LEN);
			g->tag_set = true;
		}
	}
	p = OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_AEAD_TLS1_AAD);
	if (p) {
		unsigned int rlen;

		if (p->data_type != OSSL_PARAM_OCTET_STRING ||
		    p->data_size != EVP_AEAD_TLS1_AAD_LEN)
			return 0;
		memcpy(g->tls_aad, p->data, EVP_AEAD_TLS1_AAD_LEN);
		rlen = (unsigned int)g->tls_aad[EVP_AEAD_TLS1_AAD_LEN - 2] << 8 |
		       g->tls_aad[EVP_AEAD_TLS1_AAD_LEN - 1];
		/* the length in the AAD is the plaintext's */
		if (rlen < EVP_GCM_TLS_EXPLICIT_IV_LEN)
			return 0;
		rlen -= EVP_GCM_TLS_EXPLICIT_IV_LEN;
		if (!g->enc) {
			if (rlen < GCM_TAG_LEN)
				return 0;
			rlen -= GCM_TAG_LEN;
		}
		g->tls_aad[EVP_AEAD_TLS1_AAD_LEN - 2] = (uint8_t)(rlen >> 8);
		g->tls_aad[EVP_AEAD_TLS1_AAD_LEN - 1] = (uint8_t)rlen;
		g->tls_aad_len = EVP_AEAD_TLS1_AAD_LEN;
	}
	p = OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED);
	if (p) {
		if (p->data_type != OSSL_PARAM_OCTET_STRING)
			return 0;
		if (p->data_size == GCM_IV_LEN) {
			/* the whole IV: fixed part || first explicit value */
			memcpy(g->iv, p->data, GCM_IV_LEN);
		} else if (p->data_size == EVP_GCM_TLS_FIXED_IV_LEN && g->enc) {
			/* only the fixed part: the explicit part is ours */
			memcpy(g->iv, p->data, EVP_GCM_TLS_FIXED_IV_LEN);
			memset(g->iv + EVP_GCM_TLS_FIXED_IV_LEN, 0,
			       GCM_IV_LEN - EVP_GCM_TLS_FIXED_IV_LEN);
		} else if (p->data_size == EVP_GCM_TLS_FIXED_IV_LEN) {
			memcpy(g->iv, p->data, EVP_GCM_TLS_FIXED_IV_LEN);
		} else {
			return 0;
		}
		g->tls_fixed_len = EVP_GCM_TLS_FIXED_IV_LEN;
		g->iv_set = true;
	}
	return 1;
}

static const OSSL_PARAM *gcm_settable_ctx_params(void *ctx, void *provctx)
{
	static const OSSL_PARAM t[] = {
		OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_AEAD_IVLEN, NULL),
		OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, NULL, 0),
		OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_AAD, NULL, 0),
		OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED,
					NULL, 0),
		OSSL_PARAM_END
	};
	return t;
}

static const OSSL_DISPATCH gcm_fns[] = {
	{ OSSL_FUNC_CIPHER_NEWCTX, (void (*)(void))gcm_newctx },
	{ OSSL_FUNC_CIPHER_ENCRYPT_INIT, (void (*)(void))gcm_einit },
	{ OSSL_FUNC_CIPHER_DECRYPT_INIT, (void (*)(void))gcm_dinit },
	{ OSSL_FUNC_CIPHER_UPDATE, (void (*)(void))gcm_update },
	{ OSSL_FUNC_CIPHER_FINAL, (void (*)(void))gcm_final },
	{ OSSL_FUNC_CIPHER_CIPHER, (void (*)(void))gcm_cipher },
	{ OSSL_FUNC_CIPHER_FREECTX, (void (*)(void))gcm_free },
	{ OSSL_FUNC_CIPHER_DUPCTX, (void (*)(void))gcm_dup },
	{ OSSL_FUNC_CIPHER_GET_PARAMS, (void (*)(void))gcm_get_params },
	{ OSSL_FUNC_CIPHER_GETTABLE_PARAMS,
	  (void (*)(void))gcm_gettable_params },
	{ OSSL_FUNC_CIPHER_GET_CTX_PARAMS, (void (*)(void))gcm_get_ctx_params },
	{ OSSL_FUNC_CIPHER_GETTABLE_CTX_PARAMS,
	  (void (*)(void))gcm_gettable_ctx_params },
	{ OSSL_FUNC_CIPHER_SET_CTX_PARAMS, (void (*)(void))gcm_set_ctx_params },
	{ OSSL_FUNC_CIPHER_SETTABLE_CTX_PARAMS,
	  (void (*)(void))gcm_settable_ctx_params },
	{ 0, NULL }
};

/* ---- the provider ------------------------------------------------------ */

#define VP_PROPS "provider=" VP_NAME

static const OSSL_ALGORITHM vp_digests[] = {
	{ "SHA2-256:SHA-256:SHA256:2.16.840.1.101.3.4.2.1", VP_PROPS,
	  sha256_fns, "SHA-256 on the virtio-accel device" },
	{ NULL, NULL, NULL, NULL }
};

static const OSSL_ALGORITHM vp_macs[] = {
	{ "HMAC", VP_PROPS, hmac_fns,
	  "HMAC (SHA-256 only) on the virtio-accel device" },
	{ NULL, NULL, NULL, NULL }
};

static const OSSL_ALGORITHM vp_ciphers[] = {
	{ "AES-256-GCM:id-aes256-GCM:2.16.840.1.101.3.4.1.46", VP_PROPS,
	  gcm_fns, "AES-256-GCM on the virtio-accel device" },
	{ NULL, NULL, NULL, NULL }
};

static const OSSL_ALGORITHM *vp_query(void *provctx, int id, int *no_cache)
{
	*no_cache = 0;
	switch (id) {
	case OSSL_OP_DIGEST:
		return vp_digests;
	case OSSL_OP_MAC:
		return vp_macs;
	case OSSL_OP_CIPHER:
		return vp_ciphers;
	}
	return NULL;
}

static const OSSL_PARAM *vp_gettable_params(void *provctx)
{
	static const OSSL_PARAM t[] = {
		OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_NAME, NULL, 0),
		OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_VERSION, NULL, 0),
		OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_BUILDINFO, NULL, 0),
		OSSL_PARAM_int(OSSL_PROV_PARAM_STATUS, NULL),
		OSSL_PARAM_uint64(VP_PARAM_PASSED, NULL),
		OSSL_PARAM_END
	};
	return t;
}

static int vp_get_params(void *provctx, OSSL_PARAM params[])
{
	uint64_t passed;
	OSSL_PARAM *p;

	p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_NAME);
	if (p && !OSSL_PARAM_set_utf8_ptr(p, "virtio-accel provider"))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_VERSION);
	if (p && !OSSL_PARAM_set_utf8_ptr(p, "1.0.0"))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_BUILDINFO);
	if (p && !OSSL_PARAM_set_utf8_ptr(p, "libvirtaccel"))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_STATUS);
	if (p && !OSSL_PARAM_set_int(p, 1))
		return 0;
	p = OSSL_PARAM_locate(params, VP_PARAM_PASSED);
	passed = __atomic_load_n(&g_hmac_passed, __ATOMIC_RELAXED);
	if (p && !OSSL_PARAM_set_uint64(p, passed))
		return 0;
	return 1;
}

static const OSSL_ITEM *vp_reason_strings(void *provctx)
{
	return vp_reasons;
}

static void vp_teardown(void *provctx)
{
	struct vp_prov *pv = provctx;

	OSSL_LIB_CTX_free(pv->child);
	OPENSSL_free(pv);
	pthread_mutex_lock(&g_lock);
	if (g_refs && !--g_refs) {
		dev_drop();
		OPENSSL_cleanse(g_scache, sizeof(g_scache));
		free(g_devstr);
		g_devstr = NULL;
	}
	pthread_mutex_unlock(&g_lock);
}

static const OSSL_DISPATCH vp_dispatch[] = {
	{ OSSL_FUNC_PROVIDER_TEARDOWN, (void (*)(void))vp_teardown },
	{ OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))vp_query },
	{ OSSL_FUNC_PROVIDER_GETTABLE_PARAMS,
	  (void (*)(void))vp_gettable_params },
	{ OSSL_FUNC_PROVIDER_GET_PARAMS, (void (*)(void))vp_get_params },
	{ OSSL_FUNC_PROVIDER_GET_REASON_STRINGS,
	  (void (*)(void))vp_reason_strings },
	{ 0, NULL }
};

__attribute__((visibility("default"))) int
OSSL_provider_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
		   const OSSL_DISPATCH **out, void **provctx);

int OSSL_provider_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
		       const OSSL_DISPATCH **out, void **provctx)
{
	const OSSL_DISPATCH *f;
	struct vp_prov *pv;
	char *dev = NULL, *prefer = NULL, *strict = NULL;
	OSSL_PARAM req[] = {
		OSSL_PARAM_utf8_ptr("device", &dev, 0),
		OSSL_PARAM_utf8_ptr("prefer", &prefer, 0),
		OSSL_PARAM_utf8_ptr("strict", &strict, 0),
		OSSL_PARAM_END
	};

	for (f = in; f->function_id; f++) {
		switch (f->function_id) {
		case OSSL_FUNC_CORE_NEW_ERROR:
			c_new_error = OSSL_FUNC_core_new_error(f);
			break;
		case OSSL_FUNC_CORE_SET_ERROR_DEBUG:
			c_set_error_debug = OSSL_FUNC_core_set_error_debug(f);
			break;
		case OSSL_FUNC_CORE_VSET_ERROR:
			c_vset_error = OSSL_FUNC_core_vset_error(f);
			break;
		case OSSL_FUNC_CORE_GET_PARAMS:
			c_get_params = OSSL_FUNC_core_get_params(f);
			break;
		case OSSL_FUNC_CORE_GET_LIBCTX:
			c_get_libctx = OSSL_FUNC_core_get_libctx(f);
			break;
		}
	}
	vp_core = handle;
	pv = OPENSSL_zalloc(sizeof(*pv));
	if (!pv)
		return 0;
	pv->core = handle;
	pv->child = OSSL_LIB_CTX_new_child(handle, in);
	if (c_get_params && !c_get_params(handle, req)) {
		dev = NULL;
		prefer = NULL;
		strict = NULL;
	}
	pv->strict = strict && is_yes(strict);
	/*
	 * Loaded, it is preferred: a fetch without a property query takes
	 * its algorithms over another provider's ("openssl dgst -provider
	 * vaccelprov -sha256", where openssl(1) has the default provider
	 * loaded already). openssl.cnf's default_properties, set after the
	 * providers, and an application's own query still decide; "prefer =
	 * no" leaves the library context's default properties alone (an
	 * application that set its own, "fips=yes" say, before loading
	 * vaccelprov wants that; OpenSSL 3.0 cannot read them to merge).
	 */
	if (c_get_libctx && !(prefer && is_no(prefer)))
		EVP_set_default_properties((OSSL_LIB_CTX *)c_get_libctx(handle),
					   "?provider=" VP_NAME);
	pthread_mutex_lock(&g_lock);
	if (dev && *dev) {
		free(g_devstr);
		g_devstr = strdup(dev);
	}
	if (!g_atfork && !pthread_atfork(vp_atfork_prepare, vp_atfork_parent,
					 vp_atfork_child))
		g_atfork = true;
	g_refs++;
	pthread_mutex_unlock(&g_lock);
	*out = vp_dispatch;
	*provctx = pv;
	return 1;
}
