// SPDX-License-Identifier: BSD-3-Clause
/*
 * afalg-bench: digests per second through AF_ALG, several algorithm or
 * driver names side by side, for the crypto API part of `make bench`
 * (tests/bench/vm-crypto-bench.sh, in the 6.12 test guest).
 *
 *   afalg-bench [-k KEYHEX] [-r ROUNDS] [-t MS] -s SIZE[,SIZE...] NAME...
 *
 * Interleaved rounds: each round runs every size for every NAME for MS
 * milliseconds (default 300), in that order, so that the names compared
 * see the same machine state; ROUNDS (default 3) of them. One socket per
 * NAME and size (accept()ed once, the key set once), one digest per
 * sendmsg of the whole buffer (page-aligned; AF_ALG takes 16 pages per
 * step, so above 64 KiB the driver sees init + update ... + finup) and one
 * read of the result. Every digest of a size must equal the first NAME's:
 * the names compared compute the same function.
 *
 * Prints one JSON line per NAME and size: the median, min and max of the
 * rounds' digests per second, and bytes per second at the median.
 */
#include <errno.h>
#include <linux/if_alg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vaccel-test.h"

#ifndef SOL_ALG
#define SOL_ALG 279
#endif
#define MAX_NAMES 8
#define MAX_SIZES 8
#define MAX_ROUNDS 32

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* An accepted AF_ALG hash socket for @name, keyed when @klen >= 0. */
static int open_op(const char *name, const unsigned char *key, int klen)
{
	struct sockaddr_alg sa = {.salg_family = AF_ALG};
	int tfm, op;

	snprintf((char *)sa.salg_type, sizeof(sa.salg_type), "hash");
	snprintf((char *)sa.salg_name, sizeof(sa.salg_name), "%s", name);
	tfm = socket(AF_ALG, SOCK_SEQPACKET, 0);
	if (tfm < 0)
		die_errno("socket(AF_ALG)");
	if (bind(tfm, (struct sockaddr *)&sa, sizeof(sa)))
		die_errno(name);
	if (klen >= 0 && setsockopt(tfm, SOL_ALG, ALG_SET_KEY, key, klen))
		die_errno("ALG_SET_KEY");
	op = accept(tfm, NULL, 0);
	if (op < 0)
		die_errno("accept");
	close(tfm);
	return op;
}

/* One digest of @len bytes of @buf into @out; its length. */
static int digest(int op, const unsigned char *buf, size_t len,
		  unsigned char *out)
{
	ssize_t n;

	n = send(op, buf, len, 0);
	if (n < 0 || (size_t)n != len)
		die_errno("send");
	n = read(op, out, 64);
	if (n <= 0)
		die_errno("read");
	return n;
}

int main(int argc, char **argv)
{
	unsigned char key[256], ref[MAX_SIZES][64], out[64];
	double ops[MAX_NAMES][MAX_SIZES][MAX_ROUNDS];
	size_t sizes[MAX_SIZES], maxsz = 0;
	int nsizes = 0, rounds = 3, ms = 300, klen = -1, dlen = 0;
	int op[MAX_NAMES][MAX_SIZES];
	unsigned char *buf;
	int opt, i, j, r, nn;
	char *s, *tok;

	while ((opt = getopt(argc, argv, "k:r:t:s:")) != -1) {
		switch (opt) {
		case 'k':
			klen = 0;
			for (s = optarg;
			     s[0] && s[1] && klen < (int)sizeof(key); s += 2) {
				if (hexval(s[0]) < 0 || hexval(s[1]) < 0)
					die("bad key hex");
				key[klen++] = hexval(s[0]) << 4 | hexval(s[1]);
			}
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 't':
			ms = atoi(optarg);
			break;
		case 's':
			for (tok = strtok(optarg, ",");
			     tok && nsizes < MAX_SIZES; tok = strtok(NULL, ","))
				sizes[nsizes++] = strtoul(tok, NULL, 0);
			break;
		default:
			die("usage: afalg-bench [-k KEYHEX] [-r ROUNDS] [-t "
			    "MS] -s SIZE[,SIZE...] NAME...");
		}
	}
	nn = argc - optind;
	if (nn < 1 || nn > MAX_NAMES || !nsizes || rounds < 1 ||
	    rounds > MAX_ROUNDS || ms < 1)
		die("usage: afalg-bench [-k KEYHEX] [-r ROUNDS] [-t MS] -s "
		    "SIZE[,SIZE...] NAME...");
	for (j = 0; j < nsizes; j++)
		if (sizes[j] > maxsz)
			maxsz = sizes[j];
	buf = mmap(NULL, maxsz ? maxsz : 1, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		die_errno("mmap");
	for (size_t k = 0; k < maxsz; k++)
		buf[k] = (unsigned char)(k * 131 + 7);
	for (i = 0; i < nn; i++) {
		for (j = 0; j < nsizes; j++) {
			op[i][j] = open_op(argv[optind + i], key, klen);
			dlen = digest(op[i][j], buf, sizes[j], out);
			if (!i)
				memcpy(ref[j], out, dlen);
			else if (memcmp(ref[j], out, dlen))
				die("%s and %s differ on %zu bytes",
				    argv[optind], argv[optind + i], sizes[j]);
		}
	}
	for (r = 0; r < rounds; r++) {
		for (j = 0; j < nsizes; j++) {
			for (i = 0; i < nn; i++) {
				double t0 = now_s(), t;
				long n = 0;

				do {
					digest(op[i][j], buf, sizes[j], out);
					if (memcmp(ref[j], out, dlen))
						die("%s: a wrong digest of %zu "
						    "bytes",
						    argv[optind + i], sizes[j]);
					n++;
					t = now_s() - t0;
				} while (t * 1000 < ms);
				ops[i][j][r] = n / t;
			}
		}
	}
	for (j = 0; j < nsizes; j++) {
		for (i = 0; i < nn; i++) {
			double *v = ops[i][j];
			double med;

			qsort(v, rounds, sizeof(*v), cmp_double);
			med = rounds % 2
				      ? v[rounds / 2]
				      : (v[rounds / 2 - 1] + v[rounds / 2]) / 2;
			printf("{\"name\": \"%s\", \"size\": %zu, \"rounds\": "
			       "%d, "
			       "\"ms\": %d, \"ops_per_s\": {\"median\": %.1f, "
			       "\"min\": %.1f, \"max\": %.1f}, "
			       "\"gb_per_s\": {\"median\": %.6f}}\n",
			       argv[optind + i], sizes[j], rounds, ms, med,
			       v[0], v[rounds - 1], med * sizes[j] / 1e9);
			close(op[i][j]);
		}
	}
	return 0;
}
