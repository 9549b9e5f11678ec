// SPDX-License-Identifier: BSD-3-Clause
/*
 * vaccel-gen: a reproducible stream of pseudo-random bytes for tests that
 * need more data than fits in a guest's initramfs (live migration with
 * streams of hundreds of MB: tests/vm/host/t-migrate-run.sh). The same
 * SEED gives the same bytes on any machine (xorshift64*, little-endian
 * words), so the host computes the references from its own run.
 *
 *   vaccel-gen SEED BYTES [PAUSE_AT PAUSE_S]
 *
 * Writes BYTES bytes to standard output; after PAUSE_AT of them it sleeps
 * PAUSE_S seconds (a stream that is open on the device across a
 * migration). Exit 0, 1 on a write error, 2 usage.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int put(const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(1, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static uint8_t buf[65536];
	unsigned long long bytes, pause_at = ~0ULL, done = 0;
	unsigned int pause_s = 0;
	uint64_t x;
	size_t i;

	if (argc != 3 && argc != 5) {
		fprintf(stderr, "usage: vaccel-gen SEED BYTES [PAUSE_AT PAUSE_S]\n");
		return 2;
	}
	x = strtoull(argv[1], NULL, 0) * 0x9e3779b97f4a7c15ULL | 1;
	bytes = strtoull(argv[2], NULL, 0);
	if (argc == 5) {
		pause_at = strtoull(argv[3], NULL, 0);
		pause_s = (unsigned int)strtoul(argv[4], NULL, 0);
	}
	while (done < bytes) {
		size_t n = sizeof(buf);

		for (i = 0; i < n; i += 8) {
			uint64_t v;

			x ^= x >> 12;
			x ^= x << 25;
			x ^= x >> 27;
			v = x * 0x2545f4914f6cdd1dULL;
			for (int k = 0; k < 8; k++)
				buf[i + k] = (uint8_t)(v >> (8 * k));
		}
		if (n > bytes - done)
			n = (size_t)(bytes - done);
		/* the pause falls inside this buffer: write up to it first */
		if (done < pause_at && done + n > pause_at) {
			size_t a = (size_t)(pause_at - done);

			if (put(buf, a))
				return 1;
			sleep(pause_s);
			if (put(buf + a, n - a))
				return 1;
		} else {
			if (put(buf, n))
				return 1;
			if (done + n == pause_at)
				sleep(pause_s);
		}
		done += n;
	}
	return 0;
}
