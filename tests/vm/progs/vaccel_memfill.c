// SPDX-License-Identifier: BSD-3-Clause
/*
 * vaccel-memfill MIB GOFILE: fill MIB MiB of anonymous memory with a
 * compressible pattern that differs on every page (text lines naming the
 * page, never one byte repeated, so zswap cannot store a page as
 * "same-filled"), print "filled N pages", wait until GOFILE exists, then
 * read every byte back and print "verified N pages, N bad". Exit status 1
 * when a page differs. Used by tests/vm/guest/t-acomp-guest.sh inside a
 * memory cgroup smaller than MIB, so that the pages go to swap (zswap) and
 * come back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vaccel-test.h"

#define PG 4096

static void pattern(unsigned char *p, size_t page)
{
	char line[64];
	size_t off = 0, i = 0;

	while (off < PG) {
		int n = snprintf(line, sizeof(line),
				 "page %08zu line %03zu: the quick brown fox\n",
				 page, i++);
		size_t k = (size_t)n < PG - off ? (size_t)n : PG - off;

		memcpy(p + off, line, k);
		off += k;
	}
}

int main(int argc, char **argv)
{
	unsigned char want[PG];
	size_t pages, i, bad = 0;
	unsigned char *m;

	if (argc != 3)
		die("usage: vaccel-memfill MIB GOFILE");
	pages = strtoul(argv[1], NULL, 0) * (1024 * 1024 / PG);
	m = mmap(NULL, pages * PG, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		die_errno("mmap");
	for (i = 0; i < pages; i++)
		pattern(m + i * PG, i);
	printf("filled %zu pages\n", pages);
	fflush(stdout);
	while (access(argv[2], F_OK))
		usleep(100000);
	for (i = 0; i < pages; i++) {
		pattern(want, i);
		if (memcmp(m + i * PG, want, PG)) {
			if (!bad)
				fprintf(stderr, "page %zu differs\n", i);
			bad++;
		}
	}
	printf("verified %zu pages, %zu bad\n", pages, bad);
	return bad != 0;
}
