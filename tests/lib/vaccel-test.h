/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/lib/vaccel-test.h: what the C test programs (host and guest) would
 * otherwise each write again. Header only, nothing to link:
 *
 *   #include "vaccel-test.h"        (build with -I tests/lib)
 *
 *   CHECK(cond, fmt, ...)   if !cond: "FAIL func:line: <message>" on stderr
 *                           and check_failures++ (the program goes on; its
 *                           exit status is usually check_failures != 0)
 *   check_failures          the number of failed CHECKs so far
 *   tap(cond, what)         one numbered result on stdout, "ok N - what" or
 *                           "not ok N - what" (what a guest payload counts);
 *                           tap_n results so far, tap_failed of them failed
 *   tap_finish(name)        "name: N passed, N failed" on stdout; returns
 *                           the exit status (1 if any failed)
 *   now_ns(), now_us(), now_ms()
 *                           CLOCK_MONOTONIC in ns / us / ms (uint64_t)
 *   now_s()                 CLOCK_MONOTONIC in seconds (double)
 *   cmp_u64                 qsort() comparator for uint64_t
 *   die(fmt, ...)           "<program>: <message>" on stderr, exit(1)
 *   die_errno(what)         "<program>: <what>: strerror(errno)", exit(1)
 *
 * Builds: tests/lib/lib.sh's guest_prog (static guest programs), the
 * programs' own compile lines and makefiles add -I tests/lib.
 */
#ifndef VACCEL_TEST_H
#define VACCEL_TEST_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern char *program_invocation_short_name;	/* glibc */

static int check_failures __attribute__((unused));

#define CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "FAIL %s:%d: ", __func__,	\
				__LINE__);				\
			fprintf(stderr, __VA_ARGS__);			\
			fputc('\n', stderr);				\
			check_failures++;				\
		}							\
	} while (0)

static int tap_n __attribute__((unused));
static int tap_failed __attribute__((unused));

static inline void tap(int cond, const char *what)
{
	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%s %d - %s\n", cond ? "ok" : "not ok", tap_n, what);
}

static inline int tap_finish(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, tap_n - tap_failed,
	       tap_failed);
	return tap_failed != 0;
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t now_us(void)
{
	return now_ns() / 1000;
}

static inline uint64_t now_ms(void)
{
	return now_ns() / 1000000;
}

static inline double now_s(void)
{
	return now_ns() / 1e9;
}

static inline int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static inline void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s: ", program_invocation_short_name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static inline void __attribute__((noreturn)) die_errno(const char *what)
{
	die("%s: %s", what, strerror(errno));
}

#endif /* VACCEL_TEST_H */
