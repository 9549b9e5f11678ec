// SPDX-License-Identifier: BSD-3-Clause
/*
 * afalg_bench: benchmark one skcipher implementation of the Linux kernel
 * crypto API from user space through AF_ALG, at queue depth 1. Used by
 * tests/bench/peer/run-peer.sh inside the 6.12 test guest to measure QEMU's
 * virtio-crypto-pci device (driver "virtio_crypto_aes_cbc") side by side
 * with the guest's own software implementation ("cbc(aes-generic)",
 * "cbc-aes-aesni").
 *
 * usage: afalg_bench [options] DRIVER
 *   DRIVER          salg_name to bind: a driver name (cra_driver_name,
 *                   e.g. virtio_crypto_aes_cbc) pins that implementation;
 *                   an algorithm name (cbc(aes)) lets the kernel choose
 *   --alg NAME      the algorithm name reported in "alg" (default cbc(aes))
 *   --peer LABEL    the "peer" field (default virtio-crypto)
 *   --seconds S     measuring time per size, fractional (default 3)
 *   --sizes LIST    comma-separated byte counts, multiples of 16
 *                   (default 64,4096,65536,1048576)
 *   --ref DRIVER    before measuring each size, check DRIVER's ciphertext
 *                   against this implementation's (e.g. cbc(aes-generic))
 *
 * Every run first checks the NIST SP 800-38A F.2.5 vector (CBC-AES256) and,
 * per size, a decrypt round trip. Key 256 bits, encrypt, one request per
 * sendmsg (ALG_SET_OP, ALG_SET_IV, data) + read. Prints one JSON line per
 * size on standard output:
 *   {"peer":..,"alg":..,"driver":..,"op":"encrypt","qd":1,"size":N,
 *    "ops":N,"seconds":T,"ops_per_s":X,"gb_per_s":Y,"p50_us":..,"p99_us":..}
 * (gb_per_s is 1e9 bytes per second of plaintext.)
 *
 * Exit status: 0 ok, 1 failure (message on standard error), 2 usage,
 * 77 DRIVER (or the --ref one) is not known to the kernel or AF_ALG
 * skcipher is missing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/if_alg.h>

#include "vaccel-test.h"

#ifndef AF_ALG
#define AF_ALG 38
#endif
#ifndef SOL_ALG
#define SOL_ALG 279
#endif

#define KEY_LEN 32
#define IV_LEN 16
#define BLOCK 16
#define MAX_SIZES 16
#define MAX_SAMPLES (4u << 20)
#define EXIT_SKIP 77

struct alg {
	const char *name;
	int tfm;
	int op;
	size_t bufsize;
};

static const char *prog = "afalg_bench";

static void alg_open(struct alg *a, const char *name, const uint8_t *key)
{
	struct sockaddr_alg sa = { .salg_family = AF_ALG };
	char msg[256];

	if (strlen(name) >= sizeof(sa.salg_name))
		die("%s", "algorithm or driver name too long");
	memcpy(sa.salg_type, "skcipher", sizeof("skcipher"));
	memcpy(sa.salg_name, name, strlen(name) + 1);
	a->name = name;
	a->bufsize = 0;
	a->tfm = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (a->tfm < 0) {
		if (errno == EAFNOSUPPORT) {
			fprintf(stderr, "%s: no AF_ALG in this kernel (af_alg)\n",
				prog);
			exit(EXIT_SKIP);
		}
		die_errno("socket(AF_ALG)");
	}
	if (bind(a->tfm, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == ENOENT) {
			fprintf(stderr,
				"%s: skcipher '%s' is not available (not in /proc/crypto, or algif_skcipher not loaded)\n",
				prog, name);
			exit(EXIT_SKIP);
		}
		snprintf(msg, sizeof(msg), "bind(skcipher %s)", name);
		die_errno(msg);
	}
	if (setsockopt(a->tfm, SOL_ALG, ALG_SET_KEY, key, KEY_LEN) < 0) {
		snprintf(msg, sizeof(msg), "ALG_SET_KEY on %s", name);
		die_errno(msg);
	}
	a->op = accept4(a->tfm, NULL, NULL, SOCK_CLOEXEC);
	if (a->op < 0) {
		snprintf(msg, sizeof(msg), "accept(%s)", name);
		die_errno(msg);
	}
}

/*
 * AF_ALG splits a request larger than the socket's send or receive buffer
 * into several crypto requests (or blocks in sendmsg), so make both hold
 * a whole request. FORCE needs CAP_NET_ADMIN (root in the guest); without
 * it the plain option is capped by net.core.[wr]mem_max.
 */
static void alg_bufsize(struct alg *a, size_t size)
{
	int want, got;
	socklen_t len = sizeof(got);
	char msg[256];

	if (size + 65536 <= a->bufsize)
		return;
	want = (int)(size + 65536);
	if (setsockopt(a->op, SOL_SOCKET, SO_SNDBUFFORCE, &want,
		       sizeof(want)) < 0 &&
	    setsockopt(a->op, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want)) < 0)
		die_errno("setsockopt(SO_SNDBUF)");
	if (setsockopt(a->op, SOL_SOCKET, SO_RCVBUFFORCE, &want,
		       sizeof(want)) < 0 &&
	    setsockopt(a->op, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want)) < 0)
		die_errno("setsockopt(SO_RCVBUF)");
	if (getsockopt(a->op, SOL_SOCKET, SO_SNDBUF, &got, &len) < 0)
		die_errno("getsockopt(SO_SNDBUF)");
	if ((size_t)got < size + 4096) {
		snprintf(msg, sizeof(msg),
			 "socket buffer %d bytes < request %zu (need root for SO_SNDBUFFORCE, or raise net.core.wmem_max/rmem_max)",
			 got, size);
		die("%s", msg);
	}
	len = sizeof(got);
	if (getsockopt(a->op, SOL_SOCKET, SO_RCVBUF, &got, &len) < 0)
		die_errno("getsockopt(SO_RCVBUF)");
	if ((size_t)got < size + 4096) {
		snprintf(msg, sizeof(msg),
			 "socket receive buffer %d bytes < request %zu",
			 got, size);
		die("%s", msg);
	}
	a->bufsize = size + 65536;
}

/* one request, or exit with a message */
static void alg_crypt(struct alg *a, int encrypt, const uint8_t *iv,
		      const uint8_t *in, uint8_t *out, size_t size)
{
	union {
		char buf[CMSG_SPACE(sizeof(uint32_t)) +
			 CMSG_SPACE(sizeof(struct af_alg_iv) + IV_LEN)];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { .iov_base = (void *)in, .iov_len = size };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf.buf,
		.msg_controllen = sizeof(cbuf.buf),
	};
	struct cmsghdr *c;
	struct af_alg_iv *aiv;
	uint32_t op = encrypt ? ALG_OP_ENCRYPT : ALG_OP_DECRYPT;
	ssize_t n;
	char what[256];

	memset(&cbuf, 0, sizeof(cbuf));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_ALG;
	c->cmsg_type = ALG_SET_OP;
	c->cmsg_len = CMSG_LEN(sizeof(op));
	memcpy(CMSG_DATA(c), &op, sizeof(op));
	c = CMSG_NXTHDR(&msg, c);
	c->cmsg_level = SOL_ALG;
	c->cmsg_type = ALG_SET_IV;
	c->cmsg_len = CMSG_LEN(sizeof(*aiv) + IV_LEN);
	aiv = (struct af_alg_iv *)CMSG_DATA(c);
	aiv->ivlen = IV_LEN;
	memcpy(aiv->iv, iv, IV_LEN);

	n = sendmsg(a->op, &msg, 0);
	if (n < 0) {
		snprintf(what, sizeof(what), "sendmsg(%s, %zu bytes)", a->name,
			 size);
		die_errno(what);
	}
	if ((size_t)n != size) {
		snprintf(what, sizeof(what), "sendmsg(%s): %zd of %zu bytes",
			 a->name, n, size);
		die("%s", what);
	}
	n = read(a->op, out, size);
	if (n < 0) {
		snprintf(what, sizeof(what), "read(%s, %zu bytes)", a->name,
			 size);
		die_errno(what);
	}
	if ((size_t)n != size) {
		snprintf(what, sizeof(what), "read(%s): %zd of %zu bytes",
			 a->name, n, size);
		die("%s", what);
	}
}

static void alg_close(struct alg *a)
{
	if (close(a->op) < 0 || close(a->tfm) < 0)
		die_errno("close");
}

/* NIST SP 800-38A F.2.5, CBC-AES256.Encrypt */
static const uint8_t kat_key[KEY_LEN] = {
	0x60, 0x3d, 0xeb, 0x10, 0x15, 0xca, 0x71, 0xbe, 0x2b, 0x73, 0xae,
	0xf0, 0x85, 0x7d, 0x77, 0x81, 0x1f, 0x35, 0x2c, 0x07, 0x3b, 0x61,
	0x08, 0xd7, 0x2d, 0x98, 0x10, 0xa3, 0x09, 0x14, 0xdf, 0xf4,
};

static const uint8_t kat_iv[IV_LEN] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
};

static const uint8_t kat_pt[64] = {
	0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96, 0xe9, 0x3d, 0x7e,
	0x11, 0x73, 0x93, 0x17, 0x2a, 0xae, 0x2d, 0x8a, 0x57, 0x1e, 0x03,
	0xac, 0x9c, 0x9e, 0xb7, 0x6f, 0xac, 0x45, 0xaf, 0x8e, 0x51, 0x30,
	0xc8, 0x1c, 0x46, 0xa3, 0x5c, 0xe4, 0x11, 0xe5, 0xfb, 0xc1, 0x19,
	0x1a, 0x0a, 0x52, 0xef, 0xf6, 0x9f, 0x24, 0x45, 0xdf, 0x4f, 0x9b,
	0x17, 0xad, 0x2b, 0x41, 0x7b, 0xe6, 0x6c, 0x37, 0x10,
};

static const uint8_t kat_ct[64] = {
	0xf5, 0x8c, 0x4c, 0x04, 0xd6, 0xe5, 0xf1, 0xba, 0x77, 0x9e, 0xab,
	0xfb, 0x5f, 0x7b, 0xfb, 0xd6, 0x9c, 0xfc, 0x4e, 0x96, 0x7e, 0xdb,
	0x80, 0x8d, 0x67, 0x9f, 0x77, 0x7b, 0xc6, 0x70, 0x2c, 0x7d, 0x39,
	0xf2, 0x33, 0x69, 0xa9, 0xd9, 0xba, 0xcf, 0xa5, 0x30, 0xe2, 0x63,
	0x04, 0x23, 0x14, 0x61, 0xb2, 0xeb, 0x05, 0xe2, 0xc3, 0x9b, 0xe9,
	0xfc, 0xda, 0x6c, 0x19, 0x07, 0x8c, 0x6a, 0x9d, 0x1b,
};

static void known_answer(const char *name)
{
	uint8_t out[sizeof(kat_pt)];
	struct alg k;
	char msg[256];

	alg_open(&k, name, kat_key);
	alg_crypt(&k, 1, kat_iv, kat_pt, out, sizeof(kat_pt));
	if (memcmp(out, kat_ct, sizeof(kat_ct))) {
		snprintf(msg, sizeof(msg),
			 "%s: wrong ciphertext for the SP 800-38A F.2.5 vector",
			 name);
		die("%s", msg);
	}
	alg_crypt(&k, 0, kat_iv, kat_ct, out, sizeof(kat_ct));
	if (memcmp(out, kat_pt, sizeof(kat_pt))) {
		snprintf(msg, sizeof(msg),
			 "%s: wrong plaintext decrypting the SP 800-38A F.2.5 vector",
			 name);
		die("%s", msg);
	}
	alg_close(&k);
}

/* nearest rank */
static double pct_us(const uint64_t *v, size_t n, double p)
{
	size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);

	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return (double)v[k - 1] / 1000.0;
}

static void fill(uint8_t *p, size_t n, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)(x >> 24);
	}
}

static void bad_usage(void)
{
	fprintf(stderr, "usage: %s [--alg NAME] [--peer LABEL] [--seconds S]",
		prog);
	fprintf(stderr, " [--sizes LIST] [--ref DRIVER] DRIVER\n");
	exit(2);
}

static int parse_sizes(const char *s, size_t *sizes)
{
	int n = 0;
	char *end;

	while (*s) {
		unsigned long long v;

		if (n == MAX_SIZES)
			return -1;
		errno = 0;
		v = strtoull(s, &end, 10);
		if (errno || end == s || v == 0 || v % BLOCK ||
		    v > (64ull << 20))
			return -1;
		sizes[n++] = (size_t)v;
		if (*end == ',')
			end++;
		else if (*end)
			return -1;
		s = end;
	}
	return n;
}

int main(int argc, char **argv)
{
	const char *alg_name = "cbc(aes)", *peer = "virtio-crypto";
	const char *ref_name = NULL, *driver;
	size_t sizes[MAX_SIZES] = { 64, 4096, 65536, 1048576 };
	int nsizes = 4, i;
	double seconds = 3.0;
	uint8_t key[KEY_LEN], iv[IV_LEN];
	uint8_t *in, *out, *chk;
	uint64_t *lat;
	size_t maxsize = 0;
	struct alg a, r;
	char *end;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--") || i + 1 >= argc) {
			i += !strcmp(argv[i], "--");
			break;
		}
		if (!strcmp(argv[i], "--alg")) {
			alg_name = argv[++i];
		} else if (!strcmp(argv[i], "--peer")) {
			peer = argv[++i];
		} else if (!strcmp(argv[i], "--ref")) {
			ref_name = argv[++i];
		} else if (!strcmp(argv[i], "--seconds")) {
			errno = 0;
			seconds = strtod(argv[++i], &end);
			if (errno || *end || !(seconds > 0.0) ||
			    seconds > 3600.0)
				bad_usage();
		} else if (!strcmp(argv[i], "--sizes")) {
			nsizes = parse_sizes(argv[++i], sizes);
			if (nsizes <= 0)
				bad_usage();
		} else {
			bad_usage();
		}
	}
	if (i != argc - 1)
		bad_usage();
	driver = argv[i];
	if (strpbrk(driver, "\"\\") || strpbrk(alg_name, "\"\\") ||
	    strpbrk(peer, "\"\\") || (ref_name && strpbrk(ref_name, "\"\\")))
		bad_usage();
	for (i = 0; i < nsizes; i++)
		if (sizes[i] > maxsize)
			maxsize = sizes[i];

	fprintf(stderr, "%s: %s: known-answer test\n", prog, driver);
	known_answer(driver);
	if (ref_name)
		known_answer(ref_name);

	in = malloc(maxsize);
	out = malloc(maxsize);
	chk = malloc(maxsize);
	lat = malloc(MAX_SAMPLES * sizeof(*lat));
	if (!in || !out || !chk || !lat)
		die("%s", "out of memory");
	fill(key, sizeof(key), 1);
	fill(iv, sizeof(iv), 2);
	fill(in, maxsize, 3);
	alg_open(&a, driver, key);
	if (ref_name)
		alg_open(&r, ref_name, key);

	for (i = 0; i < nsizes; i++) {
		size_t size = sizes[i], n = 0, ops = 0;
		uint64_t t0, t, limit = (uint64_t)(seconds * 1e9);
		double el;
		char msg[256];

		fprintf(stderr, "%s: %s: %zu bytes\n", prog, driver, size);
		alg_bufsize(&a, size);
		/* correctness at this size, and a warm-up */
		alg_crypt(&a, 1, iv, in, out, size);
		if (ref_name) {
			alg_bufsize(&r, size);
			alg_crypt(&r, 1, iv, in, chk, size);
			if (memcmp(out, chk, size)) {
				snprintf(msg, sizeof(msg),
					 "%s and %s disagree on %zu bytes",
					 driver, ref_name, size);
				die("%s", msg);
			}
		}
		alg_crypt(&a, 0, iv, out, chk, size);
		if (memcmp(in, chk, size)) {
			snprintf(msg, sizeof(msg),
				 "%s: decrypt(encrypt(x)) != x for %zu bytes",
				 driver, size);
			die("%s", msg);
		}

		t0 = now_ns();
		t = t0;
		do {
			uint64_t s = t;

			alg_crypt(&a, 1, iv, in, out, size);
			t = now_ns();
			if (n < MAX_SAMPLES)
				lat[n++] = t - s;
			ops++;
		} while (t - t0 < limit);
		el = (double)(t - t0) / 1e9;
		qsort(lat, n, sizeof(*lat), cmp_u64);
		printf("{\"peer\":\"%s\",\"alg\":\"%s\",\"driver\":\"%s\",",
		       peer, alg_name, driver);
		printf("\"op\":\"encrypt\",\"qd\":1,\"size\":%zu,\"ops\":%zu,",
		       size, ops);
		printf("\"seconds\":%.3f,\"ops_per_s\":%.1f,\"gb_per_s\":%.6f,",
		       el, (double)ops / el,
		       (double)ops * (double)size / el / 1e9);
		printf("\"p50_us\":%.2f,\"p99_us\":%.2f}\n",
		       pct_us(lat, n, 50.0), pct_us(lat, n, 99.0));
		if (fflush(stdout) == EOF)
			die_errno("stdout");
	}
	alg_close(&a);
	if (ref_name)
		alg_close(&r);
	free(in);
	free(out);
	free(chk);
	free(lat);
	return 0;
}
