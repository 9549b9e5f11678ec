// SPDX-License-Identifier: BSD-3-Clause
/*
 * vaccel-multife: front-ends of one vhost-user-accel process, each on its
 * own socket (tests/frontends/t-many-frontends.sh).
 *
 *   vaccel-multife isolation DEV_A DEV_B
 *       a session created on A works on A; its id is INVSESS on B (a
 *       request and DESTROY_SESSION); A's session still works afterwards
 *   vaccel-multife limits DEV_A DEV_B N
 *       A takes N sessions (its --max-sessions), the next is NOSPC; B, with
 *       A's N held, takes N too
 *   vaccel-multife load DEV COUNT SIZE DEPTH [SEED]
 *       COUNT SHA-256 requests (0: until killed) of SIZE bytes, DEPTH in
 *       flight on data queue 0, each digest checked against OpenSSL's;
 *       prints "load: N requests, N bytes, N wrong" at the end
 *
 * Exit status 0 if every check passed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <virtaccel.h>

#include "vaccel-test.h"

#define MAX_DEPTH	64

static struct virtaccel_dev *open_dev(const char *s)
{
	struct virtaccel_dev *d;
	int ret = virtaccel_open(s, NULL, &d);

	if (ret < 0) {
		fprintf(stderr, "vaccel-multife: open %s: %s\n", s,
			strerror(-ret));
		exit(2);
	}
	return d;
}

static int mac_run(struct virtaccel_dev *d, uint64_t sid, uint8_t *mac)
{
	static const char msg[] = "one front-end's session";
	struct virtaccel_op op = {
		.opcode = VIRTIO_ACCEL_OP_MAC,
		.algo = VIRTIO_ACCEL_ALG_HMAC_SHA256,
		.session_id = sid,
		.src = msg,
		.src_len = sizeof(msg) - 1,
		.dst = mac,
		.dst_len = 32,
	};
	int ret = virtaccel_run(d, &op);

	return ret < 0 && op.status ? op.status : ret < 0 ? -1 : op.status;
}

static int isolation(const char *a, const char *b)
{
	static const uint8_t key[32] = "isolation key, 32 bytes long...";
	static const char msg[] = "one front-end's session";
	struct virtaccel_dev *da = open_dev(a), *db = open_dev(b);
	uint8_t mac[32], ref[32];
	unsigned int rlen = 32;
	uint64_t sid = 0;
	int st;

	HMAC(EVP_sha256(), key, sizeof(key), (const uint8_t *)msg,
	     sizeof(msg) - 1, ref, &rlen);
	CHECK(virtaccel_session_create(da, VIRTIO_ACCEL_OP_MAC,
				       VIRTIO_ACCEL_ALG_HMAC_SHA256, 0, key,
				       sizeof(key), &sid) == 0,
	      "session create on A");
	st = mac_run(da, sid, mac);
	tap(st == VIRTIO_ACCEL_OK && !memcmp(mac, ref, 32),
	    "A's session works on A (HMAC equals OpenSSL's)");
	st = mac_run(db, sid, mac);
	tap(st == VIRTIO_ACCEL_INVSESS, "A's session id is INVSESS on B");
	if (st != VIRTIO_ACCEL_INVSESS)
		fprintf(stderr, "  B answered status %d\n", st);
	tap(virtaccel_session_destroy(db, sid) < 0,
	    "DESTROY_SESSION of A's id on B is refused");
	memset(mac, 0, sizeof(mac));
	st = mac_run(da, sid, mac);
	tap(st == VIRTIO_ACCEL_OK && !memcmp(mac, ref, 32),
	    "A's session still works on A after B was asked");
	tap(virtaccel_session_destroy(da, sid) == 0, "A destroys its session");
	virtaccel_close(da);
	virtaccel_close(db);
	return tap_finish("isolation");
}

static int take(struct virtaccel_dev *d, uint64_t *ids, unsigned int n)
{
	static const uint8_t key[32] = "limits key";
	unsigned int i;

	for (i = 0; i < n; i++)
		if (virtaccel_session_create(d, VIRTIO_ACCEL_OP_MAC,
					     VIRTIO_ACCEL_ALG_HMAC_SHA256, 0,
					     key, sizeof(key), &ids[i]) < 0)
			break;
	return (int)i;
}

static int limits(const char *a, const char *b, unsigned int n)
{
	static const uint8_t key[32] = "limits key";
	struct virtaccel_dev *da = open_dev(a), *db = open_dev(b);
	uint64_t *ia = calloc(n + 1, 8), *ib = calloc(n + 1, 8), x;
	char what[128];
	int got, ret;

	if (!ia || !ib)
		die("out of memory");
	got = take(da, ia, n);
	snprintf(what, sizeof(what), "A takes its %u sessions (got %d)", n,
		 got);
	tap(got == (int)n, what);
	ret = virtaccel_session_create(da, VIRTIO_ACCEL_OP_MAC,
				       VIRTIO_ACCEL_ALG_HMAC_SHA256, 0, key,
				       sizeof(key), &x);
	snprintf(what, sizeof(what),
		 "A's session %u is refused with NOSPC (%d)", n + 1, ret);
	tap(ret == -ENOSPC, what);
	got = take(db, ib, n);
	snprintf(what, sizeof(what),
		 "B takes %u sessions while A holds %u (got %d)", n, n, got);
	tap(got == (int)n, what);
	virtaccel_close(da);
	virtaccel_close(db);
	free(ia);
	free(ib);
	return tap_finish("limits");
}

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

struct slot {
	struct virtaccel_op op;
	uint8_t *src;
	uint8_t dst[32];
	uint32_t seed;
	int busy;		/* submitted, not yet polled */
};

static void fill(uint8_t *p, uint32_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1, i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

static int load(const char *s, unsigned long count, uint32_t size,
		unsigned int depth, uint32_t seed0)
{
	struct virtaccel_dev *d = open_dev(s);
	struct virtaccel_op *ops[MAX_DEPTH], *done[MAX_DEPTH];
	struct slot *sl = calloc(depth, sizeof(*sl));
	unsigned long sent = 0, ok = 0, wrong = 0;
	unsigned long long bytes = 0;
	unsigned int i, inflight = 0;
	uint32_t next = seed0;

	if (!sl || !depth || depth > MAX_DEPTH)
		die("bad depth");
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	for (i = 0; i < depth; i++) {
		sl[i].src = virtaccel_buf_alloc(d, size ? size : 1);
		if (!sl[i].src)
			die("buffer");
		sl[i].op.user_data = &sl[i];
	}
	for (;;) {
		unsigned int n = 0;
		int k, j;

		/* refill every free slot */
		for (i = 0; i < depth && !stop &&
			    (!count || sent + n < count); i++) {
			struct slot *x = &sl[i];

			if (x->busy)
				continue;
			x->seed = next++;
			fill(x->src, size, x->seed);
			memset(&x->op, 0, sizeof(x->op));
			x->op.opcode = VIRTIO_ACCEL_OP_HASH;
			x->op.algo = VIRTIO_ACCEL_ALG_SHA256;
			x->op.src = x->src;
			x->op.src_len = size;
			x->op.dst = x->dst;
			x->op.dst_len = 32;
			x->op.user_data = x;
			ops[n++] = &x->op;
		}
		for (j = 0; j < (int)n;) {
			k = virtaccel_submit(d, 0, ops + j, n - j);
			if (k < 0)
				die("submit: %s", strerror(-k));
			for (i = 0; i < (unsigned int)k; i++)
				((struct slot *)ops[j + i]->user_data)->busy = 1;
			j += k;
			if (j < (int)n)
				break;
		}
		for (i = 0, n = 0; i < depth; i++)
			n += sl[i].busy;
		sent += n - inflight;
		inflight = n;
		if (!inflight)
			break;
		k = virtaccel_poll(d, 0, done, MAX_DEPTH, 1000);
		if (k < 0 && k != -EINTR && k != -ETIMEDOUT)
			die("poll: %s", strerror(-k));
		for (j = 0; j < k; j++) {
			struct slot *x = done[j]->user_data;
			uint8_t ref[32], *buf = malloc(size ? size : 1);
			unsigned int rl = 32;

			fill(buf, size, x->seed);
			EVP_Digest(buf, size, ref, &rl, EVP_sha256(), NULL);
			free(buf);
			if (x->op.status == VIRTIO_ACCEL_OK &&
			    !memcmp(ref, x->dst, 32)) {
				ok++;
				bytes += size;
			} else {
				wrong++;
			}
			x->busy = 0;
			inflight--;
		}
	}
	printf("load: %lu requests, %llu bytes, %lu wrong\n", ok, bytes,
	       wrong);
	for (i = 0; i < depth; i++)
		virtaccel_buf_free(d, sl[i].src);
	free(sl);
	virtaccel_close(d);
	return wrong ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && !strcmp(argv[1], "isolation"))
		return isolation(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "limits"))
		return limits(argv[2], argv[3],
			      (unsigned int)strtoul(argv[4], NULL, 0));
	if ((argc == 6 || argc == 7) && !strcmp(argv[1], "load"))
		return load(argv[2], strtoul(argv[3], NULL, 0),
			    (uint32_t)strtoul(argv[4], NULL, 0),
			    (unsigned int)strtoul(argv[5], NULL, 0),
			    argc == 7 ? (uint32_t)strtoul(argv[6], NULL, 0) :
					1);
	fprintf(stderr, "usage: vaccel-multife isolation|limits|load ...\n");
	return 2;
}
