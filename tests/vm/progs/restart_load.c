// SPDX-License-Identifier: BSD-3-Clause
/*
 * vaccel-restart-load: the guest side of tests/vm/host/t-restart-run.sh. Keeps
 * DEPTH async requests in flight on /dev/vaccelN (uAPI directly, built
 * static) while the host SIGKILLs and restarts the vhost-user back-end, and
 * checks that every request completes exactly once with the right result.
 *
 *   vaccel-restart-load DEV DEPTH KILLS [SECONDS]
 *
 * SECONDS: keep the load up at least that long (a live migration's test,
 * tests/vm/guest/t-migrate-load-guest.sh, with KILLS 0: any stall must
 * keep the session, i.e. be a pause, not a restart).
 * Requests alternate between NULL ops (64 bytes unique to the request, the
 * output must equal them) and SHA-256 of a buffer unique to the request
 * (64..4096 bytes, digest computed here), spread over the data queues.
 * user_data is the request's sequence number and slot: a completion for a
 * request not in flight is a duplicate.
 *
 * A stall (no completion for STALL_MS with requests in flight) followed by
 * INVSESS for a session created before it is a kill (the sessions died
 * with the old back-end); a stall without it is only a slow guest or host.
 * Console lines for the host:
 *   RESTART: load depth=D kill=K     ready for kill K (load is steady)
 *   RESTART: stall depth=D kill=K outstanding=N gap_ms=G
 *                                    recovered from kill K: N requests were
 *                                    in flight, G ms without completions
 *   RESTART: result depth=D kills=K submitted=S completed=C wrong=W
 *            errors=E duplicates=U lost=L inflight_at_kills=N max_gap_ms=G
 * After KILLS stalls and some more load, no new requests are submitted and
 * the rest are reaped (30 s limit).
 * Exit 0 if nothing was wrong, lost or duplicated, else 1; 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_accel_ioctl.h>

#include "vaccel-test.h"

#define MAX_DEPTH	1024
#define NULL_LEN	64
#define SHA_MAX		4096
#define STALL_MS	250
#define READY_OPS	300	/* completions after start/recovery: steady */
#define TAIL_OPS	600	/* completions after the last recovery */
#define LIMIT_S		240

/* ---- SHA-256 (FIPS 180-4), for checking the device's digests ---- */
static const uint32_t K256[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, k, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 64; i++)
		w[i] = w[i - 16] + (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^
				    (w[i - 15] >> 3)) + w[i - 7] +
		       (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10));
	a = h[0]; b = h[1]; c = h[2]; d = h[3];
	e = h[4]; f = h[5]; g = h[6]; k = h[7];
	for (i = 0; i < 64; i++) {
		t1 = k + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) +
		     ((e & f) ^ (~e & g)) + K256[i] + w[i];
		t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) +
		     ((a & b) ^ (a & c) ^ (b & c));
		k = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d;
	h[4] += e; h[5] += f; h[6] += g; h[7] += k;
}

static void sha256(const uint8_t *p, size_t len, uint8_t out[32])
{
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	uint8_t blk[128];
	size_t i, rest;
	uint64_t bits = (uint64_t)len * 8;

	for (i = 0; i + 64 <= len; i += 64)
		sha256_block(h, p + i);
	rest = len - i;
	memset(blk, 0, sizeof(blk));
	memcpy(blk, p + i, rest);
	blk[rest] = 0x80;
	rest = rest < 56 ? 64 : 128;
	for (i = 0; i < 8; i++)
		blk[rest - 1 - i] = (uint8_t)(bits >> (8 * i));
	sha256_block(h, blk);
	if (rest == 128)
		sha256_block(h, blk + 64);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(h[i] >> 8);
		out[4 * i + 3] = (uint8_t)h[i];
	}
}

/* ---- the load ---- */
struct slot {
	uint64_t seq;		/* request in this slot; 0: free */
	uint32_t len;
	uint8_t src[SHA_MAX];
	uint8_t dst[SHA_MAX];
	uint8_t want[32];
};

static struct slot *slots;
static uint8_t *seen;		/* per sequence number: completions */
static unsigned int session_errors;
static uint64_t seen_cap;

/* xorshift64*: the bytes of request @seq */
static void fill(uint8_t *p, uint32_t len, uint64_t seq)
{
	uint64_t x = seq * 0x9e3779b97f4a7c15ull + 1;
	uint32_t i;

	for (i = 0; i < len; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		p[i] = (uint8_t)((x * 0x2545f4914f6cdd1dull) >> 56);
	}
	/* the sequence number itself, so two requests never look alike */
	memcpy(p, &seq, len < 8 ? len : 8);
}

/*
 * A MAC op on the session made before the last kill: 0 while the back-end
 * that created it runs; after a restart the new one does not know it:
 * INVSESS (ENOENT). Anything else is an error of its own.
 */
static int session_probe(int fd, uint64_t id, const uint8_t *key)
{
	struct vaccel_op op;
	uint8_t mac[32];

	memset(&op, 0, sizeof(op));
	op.opcode = VIRTIO_ACCEL_OP_MAC;
	op.algo = VIRTIO_ACCEL_ALG_HMAC_SHA256;
	op.queue = VACCEL_QUEUE_ANY;
	op.session_id = id;
	op.src_ptr = (uintptr_t)key;
	op.src_len = 16;
	op.dst_ptr = (uintptr_t)mac;
	op.dst_len = 32;
	if (ioctl(fd, VACCEL_IOC_OP, &op) == 0)
		return 0;
	if (errno == ENOENT && op.status == VIRTIO_ACCEL_INVSESS)
		return -ENOENT;
	fprintf(stderr, "session probe: status %u errno %d\n", op.status,
		errno);
	session_errors++;
	return -EIO;
}

static int session_new(int fd, struct vaccel_session *s, uint8_t *key)
{
	if (s->session_id)
		ioctl(fd, VACCEL_IOC_SESSION_DESTROY, &s->session_id);
	memset(key, 0x5c, 32);
	memset(s, 0, sizeof(*s));
	s->op = VIRTIO_ACCEL_OP_MAC;
	s->algo = VIRTIO_ACCEL_ALG_HMAC_SHA256;
	s->key_len = 32;
	s->key_ptr = (uintptr_t)key;
	if (ioctl(fd, VACCEL_IOC_SESSION_CREATE, s)) {
		perror("VACCEL_IOC_SESSION_CREATE");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int depth, kills, nq, i;
	uint64_t submitted = 0, completed = 0, wrong = 0, errors = 0, dup = 0;
	uint64_t seq = 0, since = 0, last_ms, start_ms, infl_at_kills = 0;
	uint64_t max_gap = 0, stall_start = 0, min_ms = 0;
	unsigned int stalls = 0, outstanding = 0, stalled_out = 0;
	int ready_said = 0, draining = 0, fd, rc = 0;
	struct vaccel_info info;
	struct vaccel_session sess;
	struct vaccel_op *ops;
	uint8_t key[32];
	const char *dev;

	if (argc != 4 && argc != 5)
		goto usage;
	dev = argv[1];
	depth = (unsigned int)strtoul(argv[2], NULL, 0);
	kills = (unsigned int)strtoul(argv[3], NULL, 0);
	if (argc == 5)
		min_ms = strtoull(argv[4], NULL, 0) * 1000;
	if (!depth || depth > MAX_DEPTH || min_ms >= LIMIT_S * 1000ull)
		goto usage;
	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = open(dev, O_RDWR | O_NONBLOCK);
	if (fd < 0) {
		perror(dev);
		return 1;
	}
	memset(&info, 0, sizeof(info));
	if (ioctl(fd, VACCEL_IOC_INFO, &info)) {
		perror("VACCEL_IOC_INFO");
		return 1;
	}
	nq = info.num_queues ? info.num_queues : 1;
	/* a session the new back-end will not know */
	memset(&sess, 0, sizeof(sess));
	if (session_new(fd, &sess, key))
		return 1;
	slots = calloc(depth, sizeof(*slots));
	ops = calloc(depth, sizeof(*ops));
	seen_cap = 1u << 24;
	seen = calloc(seen_cap, 1);
	if (!slots || !ops || !seen) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	start_ms = last_ms = now_ms();

	for (;;) {
		struct vaccel_completion c[64];
		struct vaccel_submit sub;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		unsigned int n = 0;
		uint64_t t;
		ssize_t r;
		int k;

		/* refill every free slot */
		for (i = 0; i < depth && !draining; i++) {
			struct slot *s = &slots[i];
			struct vaccel_op *op = &ops[n];

			if (s->seq)
				continue;
			s->seq = ++seq;
			if (seq >= seen_cap) {
				draining = 1;
				s->seq = 0;
				break;
			}
			memset(op, 0, sizeof(*op));
			op->user_data = s->seq << 10 | i;
			op->queue = (uint32_t)(s->seq % nq);
			if (s->seq & 1) {
				s->len = NULL_LEN;
				fill(s->src, s->len, s->seq);
				op->opcode = VIRTIO_ACCEL_OP_NULL;
				op->algo = VIRTIO_ACCEL_ALG_NONE;
				op->dst_len = s->len;
			} else {
				s->len = 64 + (uint32_t)((s->seq * 2654435761u) %
							 (SHA_MAX - 63));
				fill(s->src, s->len, s->seq);
				sha256(s->src, s->len, s->want);
				op->opcode = VIRTIO_ACCEL_OP_HASH;
				op->algo = VIRTIO_ACCEL_ALG_SHA256;
				op->dst_len = 32;
			}
			memset(s->dst, 0, op->dst_len);
			op->src_ptr = (uintptr_t)s->src;
			op->src_len = s->len;
			op->dst_ptr = (uintptr_t)s->dst;
			n++;
		}
		if (n) {
			memset(&sub, 0, sizeof(sub));
			sub.ops_ptr = (uintptr_t)ops;
			sub.nr = n;
			if (ioctl(fd, VACCEL_IOC_SUBMIT, &sub) < 0) {
				fprintf(stderr, "SUBMIT: %s\n", strerror(errno));
				sub.submitted = 0;
				if (errno != EAGAIN)
					return 1;
			}
			submitted += sub.submitted;
			outstanding += sub.submitted;
			/* slots of ops not taken are free again */
			for (i = sub.submitted; i < n; i++)
				slots[ops[i].user_data & 1023].seq = 0;
		}
		if (draining && !outstanding)
			break;
		t = now_ms();
		if (t - start_ms > LIMIT_S * 1000u) {
			fprintf(stderr, "time limit: %u still in flight\n",
				outstanding);
			break;
		}
		if (poll(&p, 1, 50) < 0) {
			perror("poll");
			return 1;
		}
		r = read(fd, c, sizeof(c));
		t = now_ms();
		if (r < 0) {
			if (errno != EAGAIN) {
				perror("read");
				return 1;
			}
			if (outstanding && !stall_start &&
			    t - last_ms >= STALL_MS) {
				stall_start = last_ms;
				stalled_out = outstanding;
			}
			if (draining && t - last_ms > 30000) {
				fprintf(stderr, "drain: %u never completed\n",
					outstanding);
				break;
			}
			continue;
		}
		if (stall_start) {
			uint64_t gap = t - stall_start;

			stall_start = 0;
			/* a restart, or only a slow guest? ask the session */
			if (session_probe(fd, sess.session_id, key) == 0) {
				printf("RESTART: pause depth=%u gap_ms=%llu (the back-end kept its session: not a restart)\n",
				       depth, (unsigned long long)gap);
			} else {
				stalls++;
				infl_at_kills += stalled_out;
				if (gap > max_gap)
					max_gap = gap;
				printf("RESTART: stall depth=%u kill=%u outstanding=%u gap_ms=%llu\n",
				       depth, stalls, stalled_out,
				       (unsigned long long)gap);
				since = 0;
				ready_said = 0;
				if (session_new(fd, &sess, key))
					return 1;
			}
		}
		last_ms = t;
		for (k = 0; k < r / (ssize_t)sizeof(c[0]); k++) {
			uint64_t u = c[k].user_data >> 10;
			unsigned int si = c[k].user_data & 1023;
			struct slot *s = si < depth ? &slots[si] : NULL;

			if (!s || !u || s->seq != u || u >= seen_cap ||
			    seen[u]) {
				dup++;
				fprintf(stderr, "duplicate or unknown completion %llu\n",
					(unsigned long long)u);
				continue;
			}
			seen[u] = 1;
			completed++;
			outstanding--;
			since++;
			if (c[k].error || c[k].status) {
				errors++;
				if (errors <= 10)
					fprintf(stderr, "request %llu: error %d status %u\n",
						(unsigned long long)u,
						c[k].error, c[k].status);
			} else if (u & 1) {
				if (c[k].dst_used != s->len ||
				    memcmp(s->dst, s->src, s->len))
					wrong++;
			} else if (c[k].dst_used != 32 ||
				   memcmp(s->dst, s->want, 32)) {
				wrong++;
			}
			s->seq = 0;
		}
		if (!ready_said && stalls < kills && since >= READY_OPS) {
			printf("RESTART: load depth=%u kill=%u\n", depth,
			       stalls + 1);
			ready_said = 1;
		}
		if (stalls >= kills && since >= TAIL_OPS &&
		    t - start_ms >= min_ms)
			draining = 1;
	}

	/* every kill was recognised by the session it took with it */
	if (kills)
		printf("RESTART: session check: %u of %u kills lost the session (INVSESS), %u probe errors\n",
		       stalls, kills, session_errors);
	printf("RESTART: result depth=%u kills=%u submitted=%llu completed=%llu wrong=%llu errors=%llu duplicates=%llu lost=%llu inflight_at_kills=%llu max_gap_ms=%llu\n",
	       depth, stalls, (unsigned long long)submitted,
	       (unsigned long long)completed, (unsigned long long)wrong,
	       (unsigned long long)errors, (unsigned long long)dup,
	       (unsigned long long)(submitted - completed),
	       (unsigned long long)infl_at_kills,
	       (unsigned long long)max_gap);
	close(fd);
	if (wrong || errors || dup || submitted != completed ||
	    stalls != kills || session_errors)
		rc = 1;
	return rc;
usage:
	fprintf(stderr, "usage: vaccel-restart-load DEV DEPTH(1..%d) KILLS [SECONDS(<%d)]\n",
		MAX_DEPTH, LIMIT_S);
	return 2;
}
