// SPDX-License-Identifier: BSD-3-Clause
/*
 * vaccel-afalg: a digest through AF_ALG (the kernel crypto API from user
 * space), for the guest's crypto tests (tests/vm/t-crypto-guest.sh).
 *
 *   vaccel-afalg [-k KEYHEX] [-c CHUNK] [-m] [-n COUNT] NAME FILE
 *
 * NAME: an algorithm or driver name of type "hash" (sha256,
 * hmac-sha256-virtio-accel, ...). FILE is sent in one sendmsg from a
 * page-aligned buffer (the kernel does init + finup, a whole message, up
 * to 64 KiB: AF_ALG takes 16 pages per step, init + update ... + finup
 * beyond), or with -c in CHUNK-byte pieces
 * with MSG_MORE (update, update, ..., finup: a partial state). -m binds
 * with CRYPTO_ALG_KERN_DRIVER_ONLY in salg_mask: hardware drivers'
 * algorithms excluded, as the vDPA parent allocates its engines. -n: the
 * same digest COUNT times on one socket (printed once, all must agree).
 * Prints the digest (of the algorithm's size) in hex; exit 1 on any error
 * (errno shown).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_alg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vaccel-test.h"

#ifndef SOL_ALG
#define SOL_ALG 279
#endif
#define KERN_DRIVER_ONLY 0x00001000	/* CRYPTO_ALG_KERN_DRIVER_ONLY */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static unsigned char *read_file(const char *path, size_t *len)
{
	struct stat st;
	unsigned char *p;
	size_t done = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st))
		die_errno(path);
	/* page-aligned: AF_ALG takes at most 16 pages (64 KiB) per step */
	p = mmap(NULL, st.st_size ? st.st_size : 1, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die_errno("mmap");
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, p + done, st.st_size - done);

		if (n <= 0)
			die_errno(path);
		done += n;
	}
	close(fd);
	*len = done;
	return p;
}

/*
 * One digest of @buf on the accepted socket @op into @out (room for 64
 * bytes): its length, or -1 (errno).
 */
static int digest(int op, const unsigned char *buf, size_t len, size_t chunk,
		  unsigned char *out)
{
	size_t off = 0;
	ssize_t n;

	if (!chunk)
		chunk = len ? len : 1;
	do {
		size_t k = len - off < chunk ? len - off : chunk;
		int more = off + k < len;

		n = send(op, buf + off, k, more ? MSG_MORE : 0);
		if (n < 0)
			return -1;
		off += n;
	} while (off < len);
	n = read(op, out, 64);
	if (n <= 0) {
		if (!n)
			errno = EPROTO;
		return -1;
	}
	return n;
}

int main(int argc, char **argv)
{
	struct sockaddr_alg sa = { .salg_family = AF_ALG };
	unsigned char key[1024], out[64], first[64];
	size_t keylen = 0, chunk = 0, len, i;
	int opt, has_key = 0, tfm, op, ds = 0;
	unsigned char *buf;
	long count = 1, c;

	while ((opt = getopt(argc, argv, "k:c:mn:")) != -1) {
		switch (opt) {
		case 'k':
			has_key = 1;
			for (i = 0; optarg[2 * i] && optarg[2 * i + 1]; i++) {
				int hi = hexval(optarg[2 * i]);
				int lo = hexval(optarg[2 * i + 1]);

				if (hi < 0 || lo < 0 || i >= sizeof(key)) {
					fprintf(stderr, "bad key\n");
					return 2;
				}
				key[i] = hi << 4 | lo;
			}
			keylen = i;
			break;
		case 'c':
			chunk = strtoul(optarg, NULL, 0);
			break;
		case 'm':
			sa.salg_mask = KERN_DRIVER_ONLY;
			break;
		case 'n':
			count = strtol(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: vaccel-afalg [-k KEYHEX] [-c CHUNK] [-m] [-n COUNT] NAME FILE\n");
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: vaccel-afalg [-k KEYHEX] [-c CHUNK] [-m] [-n COUNT] NAME FILE\n");
		return 2;
	}
	strcpy((char *)sa.salg_type, "hash");
	strncpy((char *)sa.salg_name, argv[optind], sizeof(sa.salg_name) - 1);
	buf = read_file(argv[optind + 1], &len);

	tfm = socket(AF_ALG, SOCK_SEQPACKET, 0);
	if (tfm < 0)
		die_errno("socket(AF_ALG)");
	if (bind(tfm, (struct sockaddr *)&sa, sizeof(sa)))
		die_errno(argv[optind]);
	if (has_key && setsockopt(tfm, SOL_ALG, ALG_SET_KEY, key, keylen))
		die_errno("ALG_SET_KEY");
	op = accept(tfm, NULL, NULL);
	if (op < 0)
		die_errno("accept");
	for (c = 0; c < count; c++) {
		ds = digest(op, buf, len, chunk, out);
		if (ds < 0)
			die_errno("digest");
		if (!c)
			memcpy(first, out, ds);
		else if (memcmp(first, out, ds)) {
			fprintf(stderr, "vaccel-afalg: digest %ld differs\n",
				c);
			return 1;
		}
	}
	for (i = 0; i < (size_t)ds; i++)
		printf("%02x", out[i]);
	printf("\n");
	close(op);
	close(tfm);
	munmap(buf, len ? len : 1);
	return 0;
}
