// SPDX-License-Identifier: BSD-3-Clause
/*
 * vaccel-fault-client: the front-end side of the host fault-injection and
 * security tests (tests/fault/t-host-faults.sh, tests/security/
 * t-backend-security.sh). A libvirtaccel client of a vhost-user back-end.
 *
 *   vaccel-fault-client hold DEV NSESS DEPTH KEYHEX
 *       open, create NSESS HMAC-SHA-256 sessions with the key, print
 *       "sid 0x..." per session, then keep DEPTH requests (MAC on the
 *       sessions, NULL ops) in flight forever, checking every result;
 *       prints "ready" after the first completions. Meant to be SIGKILLed.
 *   vaccel-fault-client probe DEV SID...
 *       open; each SID (another client's) must be unknown: a MAC op on it
 *       and its destroy both give ENOENT (INVSESS); then a session of our
 *       own and a SHA-256 must work.
 *   vaccel-fault-client churn DEV CYCLES [SEED [MAX_SECONDS]]
 *       CYCLES x (open, maybe a session, maybe requests left in flight,
 *       close). Every 2nd cycle submits 1..16 NULL requests and reaps none
 *       or what is done at once, leaving the rest in flight at close; every
 *       4th first creates a session (timed: "slow" over 150 ms), left for
 *       close to destroy; the others only open and close.
 *       An open the back-end resets (still tearing down the previous
 *       connection: it serves one front-end at a time) is retried.
 *       Stops early after MAX_SECONDS (0: no limit).
 *       Prints "churn: N cycles in S s (R/s), M retries, ..."
 *   vaccel-fault-client keys DEV KEYHEX
 *       uses the key every way a key reaches the device: HMAC and AES-GCM
 *       sessions, the same inline (stateless ops), and HMAC streams; the
 *       results are checked against a session-less reference computed by
 *       the device itself (HMAC by session == HMAC inline).
 *   vaccel-fault-client keyhold DEV KEYHEX
 *       the key in HMAC and AES-GCM sessions used on the crypto PMD and on
 *       the in-process paths, inline, and in a stream; prints "live", waits
 *       for SIGUSR1, destroys the sessions (staying connected), prints
 *       "destroyed" and waits to be killed (tests/security/memscan.py
 *       looks for the key in the back-end's memory meanwhile).
 *   vaccel-fault-client second DEV
 *       exits 0 if an open of DEV check_failures (another front-end holds it).
 *
 * Exit 0 on success, 1 on a failed check, 2 on usage errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <virtaccel.h>

#include "vaccel-test.h"

#define MAX_DEPTH	64
#define MAX_SESS	64
#define MEM_SIZE	(2u << 20)

static int parse_key(const char *hex, uint8_t *key, unsigned int max)
{
	unsigned int n = 0;

	if (strlen(hex) % 2 || strlen(hex) / 2 > max)
		return -1;
	for (; hex[2 * n]; n++) {
		unsigned int b;

		if (sscanf(hex + 2 * n, "%2x", &b) != 1)
			return -1;
		key[n] = (uint8_t)b;
	}
	return (int)n;
}

static size_t mem_size = MEM_SIZE;

static int open_dev(const char *devstr, unsigned int queue_size,
		    struct virtaccel_dev **dev, unsigned int *retries)
{
	struct virtaccel_open_opts o = {
		.num_queues = 1,
		.queue_size = queue_size,
		.mem_size = mem_size,
	};
	int ret, i;

	for (i = 0; i < 200; i++) {
		ret = virtaccel_open(devstr, &o, dev);
		if (ret != -ECONNRESET && ret != -ECONNREFUSED && ret != -EPIPE)
			return ret;
		if (retries)
			(*retries)++;
		usleep(200 + i * 200);
	}
	return ret;
}

static int mac_sess(struct virtaccel_dev *dev, uint64_t sid, const void *msg,
		    uint32_t len, uint8_t *mac)
{
	struct virtaccel_op op = {
		.opcode = VIRTIO_ACCEL_OP_MAC,
		.algo = VIRTIO_ACCEL_ALG_HMAC_SHA256,
		.session_id = sid,
		.src = msg,
		.src_len = len,
		.dst = mac,
		.dst_len = 32,
	};
	int ret = virtaccel_run(dev, &op);

	if (ret)
		return ret;
	return op.dst_used == 32 ? 0 : -EIO;
}

/* ---- hold ----------------------------------------------------------------- */

static int cmd_hold(const char *devstr, unsigned int nsess, unsigned int depth,
		    const char *keyhex)
{
	static struct virtaccel_op ops[MAX_DEPTH], *pops[MAX_DEPTH];
	static uint8_t src[MAX_DEPTH][64], dst[MAX_DEPTH][64];
	struct virtaccel_op *done[MAX_DEPTH];
	uint64_t sids[MAX_SESS];
	static uint8_t busy[MAX_DEPTH];
	unsigned long completed = 0, seq = 0;
	struct virtaccel_dev *dev;
	uint8_t key[64];
	unsigned int i;
	int klen, ret, said = 0;

	klen = parse_key(keyhex, key, sizeof(key));
	if (klen <= 0 || nsess > MAX_SESS || !depth || depth > MAX_DEPTH)
		return 2;
	ret = open_dev(devstr, 256, &dev, NULL);
	if (ret) {
		fprintf(stderr, "open %s: %s\n", devstr, strerror(-ret));
		return 1;
	}
	for (i = 0; i < nsess; i++) {
		ret = virtaccel_session_create(dev, VIRTIO_ACCEL_OP_MAC,
					       VIRTIO_ACCEL_ALG_HMAC_SHA256, 0,
					       key, (uint32_t)klen, &sids[i]);
		if (ret) {
			fprintf(stderr, "session %u: %s\n", i, strerror(-ret));
			return 1;
		}
		printf("sid 0x%llx\n", (unsigned long long)sids[i]);
	}
	fflush(stdout);
	for (;;) {
		unsigned int n = 0;

		/* refill every slot not in flight */
		for (i = 0; i < depth; i++) {
			struct virtaccel_op *op = &ops[i];

			if (busy[i])
				continue;
			memset(op, 0, sizeof(*op));
			memset(src[i], (int)(completed + i), 64);
			op->src = src[i];
			op->src_len = 64;
			op->dst = dst[i];
			op->user_data = &busy[i];
			if (nsess && (seq + i) % 2) {
				op->opcode = VIRTIO_ACCEL_OP_MAC;
				op->algo = VIRTIO_ACCEL_ALG_HMAC_SHA256;
				op->session_id = sids[(seq + i) % nsess];
				op->dst_len = 32;
			} else {
				op->opcode = VIRTIO_ACCEL_OP_NULL;
				op->algo = VIRTIO_ACCEL_ALG_NONE;
				op->dst_len = 64;
			}
			pops[n++] = op;
		}
		seq++;
		if (n) {
			ret = virtaccel_submit(dev, 0, pops, n);
			if (ret < 0 && ret != -EAGAIN && ret != -EBUSY) {
				fprintf(stderr, "submit: %s\n", strerror(-ret));
				return 1;
			}
			for (i = 0; ret > 0 && i < (unsigned int)ret; i++)
				*(uint8_t *)pops[i]->user_data = 1;
		}
		ret = virtaccel_poll(dev, 0, done, MAX_DEPTH, 1000);
		if (ret < 0) {
			fprintf(stderr, "poll: %s\n", strerror(-ret));
			return 1;
		}
		for (i = 0; i < (unsigned int)ret; i++) {
			struct virtaccel_op *op = done[i];

			if (op->status != VIRTIO_ACCEL_OK) {
				fprintf(stderr, "request: status %u\n",
					op->status);
				return 1;
			}
			*(uint8_t *)op->user_data = 0;
			completed++;
		}
		if (!said && completed >= depth) {
			printf("ready\n");
			fflush(stdout);
			said = 1;
		}
	}
}

/* ---- probe ---------------------------------------------------------------- */

static int cmd_probe(const char *devstr, int n, char **sids)
{
	static const uint8_t key[32] = "probe-key-probe-key-probe-key-!";
	struct virtaccel_dev *dev;
	uint8_t mac[32], d[32];
	uint64_t mine;
	int i, ret;

	ret = open_dev(devstr, 64, &dev, NULL);
	if (ret) {
		fprintf(stderr, "open %s: %s\n", devstr, strerror(-ret));
		return 1;
	}
	for (i = 0; i < n; i++) {
		uint64_t sid = strtoull(sids[i], NULL, 0);

		ret = mac_sess(dev, sid, "abc", 3, mac);
		CHECK(ret == -ENOENT, "op on foreign session 0x%llx: %s (want ENOENT)",
		      (unsigned long long)sid, strerror(-ret));
		ret = virtaccel_session_destroy(dev, sid);
		CHECK(ret == -ENOENT, "destroy of foreign session 0x%llx: %s (want ENOENT)",
		      (unsigned long long)sid, strerror(-ret));
	}
	ret = virtaccel_session_create(dev, VIRTIO_ACCEL_OP_MAC,
				       VIRTIO_ACCEL_ALG_HMAC_SHA256, 0, key,
				       sizeof(key), &mine);
	CHECK(!ret, "own session: %s", strerror(-ret));
	for (i = 0; !ret && i < n; i++)
		CHECK(mine != strtoull(sids[i], NULL, 0),
		      "new session reuses a dead id %s", sids[i]);
	if (!ret) {
		ret = mac_sess(dev, mine, "abc", 3, mac);
		CHECK(!ret, "op on own session: %s", strerror(-ret));
	}
	{
		struct virtaccel_op op = {
			.opcode = VIRTIO_ACCEL_OP_HASH,
			.algo = VIRTIO_ACCEL_ALG_SHA256,
			.src = "abc",
			.src_len = 3,
			.dst = d,
			.dst_len = 32,
		};

		ret = virtaccel_run(dev, &op);
		CHECK(!ret && d[0] == 0xba && d[31] == 0xad,
		      "SHA-256(abc): %s", strerror(-ret));
	}
	virtaccel_close(dev);
	printf("probe: %d foreign ids refused, own session and hash work\n", n);
	return check_failures ? 1 : 0;
}

/* ---- churn ---------------------------------------------------------------- */

static int cmd_churn(const char *devstr, unsigned long cycles,
		     unsigned int seed, double max_s)
{
	static const uint8_t key[32] = "churn-key";
	static uint8_t src[16][64], dst[16][64];
	static struct virtaccel_op ops[16];
	struct virtaccel_op *pops[16];
	unsigned long c, with_sess = 0, with_reqs = 0, left = 0, slow = 0;
	unsigned int retries = 0, i;
	double t0 = now_s(), t;
	uint64_t sid;
	int ret;

	srand(seed);
	for (c = 0; c < cycles; c++) {
		struct virtaccel_dev *dev;

		ret = open_dev(devstr, 64, &dev, &retries);
		if (ret) {
			fprintf(stderr, "cycle %lu: open: %s\n", c,
				strerror(-ret));
			return 1;
		}
		if (c % 4 == 3) {
			/* at once: a control request right after the open */
			t = now_s();
			ret = virtaccel_session_create(dev, VIRTIO_ACCEL_OP_MAC,
						       VIRTIO_ACCEL_ALG_HMAC_SHA256,
						       0, key, sizeof(key),
						       &sid);
			t = now_s() - t;
			CHECK(!ret, "cycle %lu: session: %s", c, strerror(-ret));
			with_sess++;
			if (t > 0.150)
				slow++;
		}
		if (c % 2 == 1) {
			unsigned int n = 1 + (unsigned int)rand() % 16;

			for (i = 0; i < n; i++) {
				memset(&ops[i], 0, sizeof(ops[i]));
				ops[i].opcode = VIRTIO_ACCEL_OP_NULL;
				ops[i].algo = VIRTIO_ACCEL_ALG_NONE;
				ops[i].src = src[i];
				ops[i].src_len = 64;
				ops[i].dst = dst[i];
				ops[i].dst_len = 64;
				pops[i] = &ops[i];
			}
			ret = virtaccel_submit(dev, 0, pops, n);
			CHECK(ret > 0, "cycle %lu: submit: %d", c, ret);
			with_reqs++;
			/* some are reaped, the rest left in flight */
			if (rand() % 2) {
				struct virtaccel_op *done[16];

				ret = virtaccel_poll(dev, 0, done, 16, 0);
				if (ret > 0)
					left += n - (unsigned int)ret;
			} else {
				left += n;
			}
		}
		virtaccel_close(dev);
		if (check_failures > 10)
			return 1;
		if (c && c % 1000 == 0) {
			printf("churn: %lu cycles, %.1f s\n", c, now_s() - t0);
			fflush(stdout);
		}
		if (max_s > 0 && now_s() - t0 > max_s) {
			printf("churn: time limit of %.0f s reached\n", max_s);
			c++;
			break;
		}
	}
	cycles = c;
	t = now_s() - t0;
	printf("churn: %lu cycles in %.2f s (%.0f/s), %u retries, %lu with a session, %lu slow session creates, %lu with requests (%lu left in flight at close)\n",
	       cycles, t, cycles / t, retries, with_sess, slow, with_reqs,
	       left);
	return check_failures ? 1 : 0;
}

/* ---- keys ----------------------------------------------------------------- */

static int cmd_keys(const char *devstr, const char *keyhex)
{
	static const uint8_t iv[12] = "fault-iv-12";
	static const char msg[] = "the quick brown fox jumps over the lazy dog";
	uint8_t key[64], mac1[32], mac2[32], ct[64], ct2[64], pt[64];
	struct virtaccel_stream_params sp;
	struct virtaccel_stream *st;
	struct virtaccel_dev *dev;
	struct virtaccel_info info;
	size_t in_used, out_used;
	uint64_t hs, gs;
	int klen, ret, isdone = 0;

	klen = parse_key(keyhex, key, sizeof(key));
	if (klen != 32)
		return 2;
	mem_size = 16u << 20;	/* streams stage their buffers there */
	ret = open_dev(devstr, 64, &dev, NULL);
	if (ret) {
		fprintf(stderr, "open %s: %s\n", devstr, strerror(-ret));
		return 1;
	}
	virtaccel_get_info(dev, &info);
	/* HMAC: session vs inline key */
	ret = virtaccel_session_create(dev, VIRTIO_ACCEL_OP_MAC,
				       VIRTIO_ACCEL_ALG_HMAC_SHA256, 0, key, 32,
				       &hs);
	CHECK(!ret, "HMAC session: %s", strerror(-ret));
	ret = mac_sess(dev, hs, msg, sizeof(msg) - 1, mac1);
	CHECK(!ret, "HMAC on the session: %s", strerror(-ret));
	if (info.driver_features & (1ull << VIRTIO_ACCEL_F_STATELESS)) {
		struct virtaccel_op op = {
			.opcode = VIRTIO_ACCEL_OP_MAC,
			.algo = VIRTIO_ACCEL_ALG_HMAC_SHA256,
			.key = key,
			.key_len = 32,
			.src = msg,
			.src_len = sizeof(msg) - 1,
			.dst = mac2,
			.dst_len = 32,
		};

		ret = virtaccel_run(dev, &op);
		CHECK(!ret && !memcmp(mac1, mac2, 32),
		      "inline-key HMAC: %s, %s", strerror(-ret),
		      memcmp(mac1, mac2, 32) ? "differs" : "same");
	}
	/* HMAC as a stream (the stream session gets the key) */
	memset(&sp, 0, sizeof(sp));
	sp.op = VIRTIO_ACCEL_OP_MAC;
	sp.algo = VIRTIO_ACCEL_ALG_HMAC_SHA256;
	sp.key = key;
	sp.key_len = 32;
	ret = virtaccel_stream_open(dev, &sp, &st);
	CHECK(!ret, "HMAC stream: %s", strerror(-ret));
	if (!ret) {
		ret = virtaccel_stream_update(st, msg, sizeof(msg) - 1, 1,
					      mac2, 32, &in_used, &out_used,
					      &isdone);
		CHECK(!ret && isdone && out_used == 32 &&
		      !memcmp(mac1, mac2, 32), "HMAC stream update: %s",
		      strerror(-ret));
		virtaccel_stream_close(st);
	}
	/* AES-256-GCM: session, then inline key, then decrypt */
	ret = virtaccel_session_create(dev, VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
				       VIRTIO_ACCEL_ALG_AES256_GCM, 0, key, 32,
				       &gs);
	CHECK(!ret, "GCM session: %s", strerror(-ret));
	if (!ret) {
		struct virtaccel_op op = {
			.opcode = VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
			.algo = VIRTIO_ACCEL_ALG_AES256_GCM,
			.session_id = gs,
			.iv = iv,
			.iv_len = 12,
			.src = msg,
			.src_len = 32,
			.dst = ct,
			.dst_len = 48,
		};

		ret = virtaccel_run(dev, &op);
		CHECK(!ret && op.dst_used == 48, "GCM encrypt: %s",
		      strerror(-ret));
	}
	if (info.driver_features & (1ull << VIRTIO_ACCEL_F_STATELESS)) {
		struct virtaccel_op op = {
			.opcode = VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
			.algo = VIRTIO_ACCEL_ALG_AES256_GCM,
			.key = key,
			.key_len = 32,
			.iv = iv,
			.iv_len = 12,
			.src = msg,
			.src_len = 32,
			.dst = ct2,
			.dst_len = 48,
		};

		ret = virtaccel_run(dev, &op);
		CHECK(!ret && !memcmp(ct, ct2, 48), "inline GCM encrypt: %s",
		      strerror(-ret));
		op.opcode = VIRTIO_ACCEL_OP_AEAD_DECRYPT;
		op.src = ct;
		op.src_len = 48;
		op.dst = pt;
		op.dst_len = 32;
		ret = virtaccel_run(dev, &op);
		CHECK(!ret && !memcmp(pt, msg, 32), "inline GCM decrypt: %s",
		      strerror(-ret));
	}
	/* and a wrong key length: refused, and the refusal is logged */
	{
		struct virtaccel_op op = {
			.opcode = VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
			.algo = VIRTIO_ACCEL_ALG_AES256_GCM,
			.key = key,
			.key_len = 31,
			.iv = iv,
			.iv_len = 12,
			.src = msg,
			.src_len = 32,
			.dst = ct2,
			.dst_len = 48,
		};

		ret = virtaccel_run(dev, &op);
		CHECK(ret != 0, "GCM with a 31-byte key accepted");
	}
	ret = virtaccel_session_destroy(dev, hs);
	CHECK(!ret, "destroy HMAC session: %s", strerror(-ret));
	virtaccel_close(dev);	/* destroys the GCM session */
	printf("keys: sessions, inline keys and streams used (stateless %s)\n",
	       info.driver_features & (1ull << VIRTIO_ACCEL_F_STATELESS) ?
	       "yes" : "no");
	return check_failures ? 1 : 0;
}

/* ---- keyhold -------------------------------------------------------------- */

static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

/* one op; 0 or -errno */
static int run_op(struct virtaccel_dev *dev, uint32_t opcode, uint32_t algo,
		  uint64_t sid, const uint8_t *key, uint32_t key_len,
		  const void *src, uint32_t src_len, void *dst, uint32_t dst_len)
{
	static const uint8_t iv[12] = "keyhold-iv!";
	struct virtaccel_op op = {
		.opcode = opcode,
		.algo = algo,
		.session_id = sid,
		.key = key,
		.key_len = key_len,
		.src = src,
		.src_len = src_len,
		.dst = dst,
		.dst_len = dst_len,
	};

	if (algo == VIRTIO_ACCEL_ALG_AES256_GCM) {
		op.iv = iv;
		op.iv_len = 12;
	}
	return virtaccel_run(dev, &op);
}

/*
 * The key in every place the back-end may keep it: HMAC and AES-GCM
 * sessions used through the crypto PMD (small buffers) and the in-process
 * fallback (empty and large buffers), inline keys, an HMAC stream. Prints
 * "live", waits for SIGUSR1, destroys everything (connection kept), prints
 * "destroyed" and waits to be killed.
 */
static int cmd_keyhold(const char *devstr, const char *keyhex)
{
	static uint8_t big[200000], out[200016];
	struct virtaccel_stream_params sp = {
		.op = VIRTIO_ACCEL_OP_MAC,
		.algo = VIRTIO_ACCEL_ALG_HMAC_SHA256,
	};
	struct virtaccel_stream *st;
	struct virtaccel_dev *dev;
	uint64_t hs, gs, ds;
	size_t iu, ou;
	uint8_t key[64];
	int klen, ret, fin;

	klen = parse_key(keyhex, key, sizeof(key));
	if (klen != 32)
		return 2;
	signal(SIGUSR1, on_usr1);
	mem_size = 32u << 20;
	ret = open_dev(devstr, 64, &dev, NULL);
	if (ret) {
		fprintf(stderr, "open %s: %s\n", devstr, strerror(-ret));
		return 1;
	}
	ret = virtaccel_session_create(dev, VIRTIO_ACCEL_OP_MAC,
				       VIRTIO_ACCEL_ALG_HMAC_SHA256, 0, key, 32,
				       &hs);
	ret = ret ? ret : virtaccel_session_create(dev,
				       VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
				       VIRTIO_ACCEL_ALG_AES256_GCM, 0, key, 32,
				       &gs);
	ret = ret ? ret : virtaccel_session_create(dev,
				       VIRTIO_ACCEL_OP_AEAD_DECRYPT,
				       VIRTIO_ACCEL_ALG_AES256_GCM, 0, key, 32,
				       &ds);
	CHECK(!ret, "sessions: %s", strerror(-ret));
	if (ret)
		return 1;
	memset(big, 7, sizeof(big));
	/* sessions: PMD (64 bytes), fallback (0 bytes, 200000 bytes) */
	CHECK(!run_op(dev, VIRTIO_ACCEL_OP_MAC, VIRTIO_ACCEL_ALG_HMAC_SHA256,
		      hs, NULL, 0, big, 64, out, 32), "HMAC session 64");
	CHECK(!run_op(dev, VIRTIO_ACCEL_OP_MAC, VIRTIO_ACCEL_ALG_HMAC_SHA256,
		      hs, NULL, 0, big, 0, out, 32), "HMAC session 0");
	CHECK(!run_op(dev, VIRTIO_ACCEL_OP_MAC, VIRTIO_ACCEL_ALG_HMAC_SHA256,
		      hs, NULL, 0, big, sizeof(big), out, 32),
	      "HMAC session big");
	CHECK(!run_op(dev, VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
		      VIRTIO_ACCEL_ALG_AES256_GCM, gs, NULL, 0, big, 64, out,
		      80), "GCM session 64");
	CHECK(!run_op(dev, VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
		      VIRTIO_ACCEL_ALG_AES256_GCM, gs, NULL, 0, big,
		      sizeof(big), out, sizeof(big) + 16), "GCM session big");
	CHECK(!run_op(dev, VIRTIO_ACCEL_OP_AEAD_DECRYPT,
		      VIRTIO_ACCEL_ALG_AES256_GCM, ds, NULL, 0, out,
		      sizeof(big) + 16, big, sizeof(big)), "GCM decrypt big");
	/* inline keys (stateless), both paths */
	CHECK(!run_op(dev, VIRTIO_ACCEL_OP_MAC, VIRTIO_ACCEL_ALG_HMAC_SHA256,
		      0, key, 32, big, 64, out, 32), "HMAC inline 64");
	CHECK(!run_op(dev, VIRTIO_ACCEL_OP_MAC, VIRTIO_ACCEL_ALG_HMAC_SHA256,
		      0, key, 32, big, sizeof(big), out, 32), "HMAC inline big");
	CHECK(!run_op(dev, VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
		      VIRTIO_ACCEL_ALG_AES256_GCM, 0, key, 32, big, 64, out,
		      80), "GCM inline 64");
	CHECK(!run_op(dev, VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
		      VIRTIO_ACCEL_ALG_AES256_GCM, 0, key, 32, big,
		      sizeof(big), out, sizeof(big) + 16), "GCM inline big");
	/* a stream (its own session) */
	sp.key = key;
	sp.key_len = 32;
	ret = virtaccel_stream_open(dev, &sp, &st);
	CHECK(!ret, "stream: %s", strerror(-ret));
	if (!ret) {
		ret = virtaccel_stream_update(st, big, sizeof(big), 1, out, 32,
					      &iu, &ou, &fin);
		CHECK(!ret && fin, "stream update: %s", strerror(-ret));
		virtaccel_stream_close(st);
	}
	explicit_bzero(key, sizeof(key));
	printf("live\n");
	fflush(stdout);
	while (!go)
		pause();
	CHECK(!virtaccel_session_destroy(dev, hs), "destroy HMAC");
	CHECK(!virtaccel_session_destroy(dev, gs), "destroy GCM");
	CHECK(!virtaccel_session_destroy(dev, ds), "destroy GCM decrypt");
	printf("destroyed%s\n", check_failures ? " (with failures)" : "");
	fflush(stdout);
	for (;;)
		pause();
}

/* ---- second --------------------------------------------------------------- */

static int cmd_second(const char *devstr)
{
	struct virtaccel_open_opts o = { .num_queues = 1, .queue_size = 64,
					 .mem_size = MEM_SIZE };
	struct virtaccel_dev *dev;
	int ret = virtaccel_open(devstr, &o, &dev);

	if (!ret) {
		fprintf(stderr, "second front-end: open succeeded\n");
		virtaccel_close(dev);
		return 1;
	}
	printf("second: open refused: %s\n", strerror(-ret));
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 6 && !strcmp(argv[1], "hold"))
		return cmd_hold(argv[2], (unsigned int)atoi(argv[3]),
				(unsigned int)atoi(argv[4]), argv[5]);
	if (argc >= 3 && !strcmp(argv[1], "probe"))
		return cmd_probe(argv[2], argc - 3, argv + 3);
	if (argc >= 4 && !strcmp(argv[1], "churn"))
		return cmd_churn(argv[2], strtoul(argv[3], NULL, 0),
				 argc > 4 ? (unsigned int)atoi(argv[4]) : 1,
				 argc > 5 ? atof(argv[5]) : 0);
	if (argc == 4 && !strcmp(argv[1], "keys"))
		return cmd_keys(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "keyhold"))
		return cmd_keyhold(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "second"))
		return cmd_second(argv[2]);
	fprintf(stderr,
		"usage: vaccel-fault-client hold DEV NSESS DEPTH KEYHEX | probe DEV SID... |\n"
		"       churn DEV CYCLES [SEED [MAX_S]] | keys DEV KEYHEX | keyhold DEV KEYHEX |\n"
		"       second DEV\n");
	return 2;
}
