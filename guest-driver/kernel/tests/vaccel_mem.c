// SPDX-License-Identifier: BSD-3-Clause
/*
 * vaccel-mem: what one user of /dev/vaccelN can make the guest kernel hold,
 * and what it can see of the kernel's memory. Run by tests/vm/guest/t-guest-mem.sh
 * in the 6.12 guest (booted with init_on_alloc=0, so stale memory would
 * show). Built static.
 *
 *   vaccel-mem DEV rawstale          VACCEL_IOC_RAW gives back no byte the
 *                                    caller or the device did not write
 *   vaccel-mem DEV flood NFILES DEV2 NFILES files submit large async ops
 *                                    and never reap: the device's budget
 *                                    holds, EAGAIN beyond, others served,
 *                                    every accepted op correct when reaped
 *   vaccel-mem DEV exempt            with max_pinned_mb_per_file below one
 *                                    op: a file holding nothing runs one op,
 *                                    a second async one gets EAGAIN
 *   vaccel-mem DEV memcg             run inside a cgroup v2 with the memory
 *                                    controller: the pinned memory is
 *                                    charged to it; over memory.max ENOMEM,
 *                                    no OOM kill
 *
 * Exit status: 0 pass, 1 fail, 2 usage.
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

#define MIB (1024L * 1024)
#define PARAMS "/sys/module/virtio_accel/parameters/"

static const char *dev;
static char sysdir[128];

static int open_dev(const char *path)
{
	int fd = open(path, O_RDWR);

	if (fd < 0) {
		perror(path);
		exit(1);
	}
	return fd;
}

/* A number from a sysfs or cgroup file; -1 when it cannot be read. */
static long read_long(const char *path)
{
	char buf[64];
	long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		v = strtol(buf, NULL, 10);
	fclose(f);
	return v;
}

static int write_str(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	int r;

	if (!f)
		return -1;
	r = fputs(s, f) < 0 ? -1 : 0;
	if (fclose(f))
		r = -1;
	return r;
}

static long dev_stat(const char *name)
{
	char p[192];

	snprintf(p, sizeof(p), "%s/%s", sysdir, name);
	return read_long(p);
}

/* MemAvailable in bytes */
static long mem_available(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

static uint32_t max_data_len(int fd)
{
	struct vaccel_info info;

	memset(&info, 0, sizeof(info));
	if (ioctl(fd, VACCEL_IOC_INFO, &info)) {
		perror("VACCEL_IOC_INFO");
		exit(1);
	}
	return info.max_data_len;
}

/* Bytes no request output can look like: seeded, never 0 */
static void pattern(uint8_t *p, size_t n, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!(i & 7)) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
		}
		p[i] = (uint8_t)(x >> ((i & 7) * 8)) | 0x80;
	}
}

static void null_op(struct vaccel_op *op, const void *src, void *dst,
		    uint32_t len, uint64_t user_data)
{
	memset(op, 0, sizeof(*op));
	op->opcode = VIRTIO_ACCEL_OP_NULL;
	op->algo = VIRTIO_ACCEL_ALG_NONE;
	op->queue = VACCEL_QUEUE_ANY;
	op->src_ptr = (uintptr_t)src;
	op->src_len = len;
	op->dst_ptr = (uintptr_t)dst;
	op->dst_len = len;
	op->user_data = user_data;
}

/* One async NULL op; 0, or -errno of the SUBMIT */
static int submit_one(int fd, const void *src, void *dst, uint32_t len,
		      uint64_t user_data)
{
	struct vaccel_submit sub;
	struct vaccel_op op;

	null_op(&op, src, dst, len, user_data);
	memset(&sub, 0, sizeof(sub));
	sub.ops_ptr = (uintptr_t)&op;
	sub.nr = 1;
	if (ioctl(fd, VACCEL_IOC_SUBMIT, &sub))
		return -errno;
	return sub.submitted == 1 ? 0 : -EPROTO;
}

/*
 * Reap @n completions of @fd one at a time (so one dst buffer serves all)
 * and check each against the pattern its user_data seeded. Returns the
 * number of wrong ones (missing ones count).
 */
static int reap_check(int fd, int n, uint8_t *dst, uint8_t *want, uint32_t len)
{
	struct vaccel_completion c;
	int bad = 0, i;

	for (i = 0; i < n; i++) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, 20000) != 1) {
			fprintf(stderr, "no completion %d of %d in 20 s\n", i,
				n);
			return bad + n - i;
		}
		memset(dst, 0, len);
		if (read(fd, &c, sizeof(c)) != sizeof(c)) {
			perror("read");
			return bad + n - i;
		}
		pattern(want, len, c.user_data);
		if (c.error || c.status != VIRTIO_ACCEL_OK ||
		    c.dst_used != len || memcmp(dst, want, len)) {
			if (bad < 3)
				fprintf(stderr,
					"op %#llx: error %d status %u dst_used %u, output %s\n",
					(unsigned long long)c.user_data,
					c.error, c.status, c.dst_used,
					memcmp(dst, want, len) ? "wrong" :
					"right");
			bad++;
		}
	}
	return bad;
}

/* One blocking NULL op of @len checked; 0 or -errno */
static int blocking_ok(int fd, uint8_t *src, uint8_t *dst, uint32_t len)
{
	struct vaccel_op op;

	pattern(src, len, 4242);
	memset(dst, 0, len);
	null_op(&op, src, dst, len, 1);
	if (ioctl(fd, VACCEL_IOC_OP, &op))
		return -errno;
	if (op.status != VIRTIO_ACCEL_OK || op.dst_used != len ||
	    memcmp(src, dst, len))
		return -EIO;
	return 0;
}

/* ---- rawstale ---------------------------------------------------------- */

static const char marker[8] = "KSTALE!!";
#define SMALL_SEED 120

static size_t count_marker(const uint8_t *p, size_t n)
{
	size_t i, hits = 0;

	for (i = 0; i + 8 <= n; i += 8)
		hits += !memcmp(p + i, marker, 8);
	return hits;
}

/*
 * One RAW chain: a NULL header claiming @claim bytes of src and dst, @claim
 * bytes of src, then writable iovecs of @wlen[] bytes filled with a pattern.
 * Returns the number of writable bytes that came back neither as the device
 * wrote them (the first used_len bytes) nor as the caller wrote them.
 */
static long raw_case(int fd, const char *what, uint32_t claim,
		     const size_t *wlen, unsigned int nw, int expect_used0)
{
	struct virtio_accel_op_req hdr;
	struct vaccel_iov *iov = calloc(nw + 2, sizeof(*iov));
	uint8_t *src, **w = calloc(nw, sizeof(*w)), *want;
	struct vaccel_raw raw;
	size_t total = 0, off = 0, hits = 0;
	long bad = 0;
	unsigned int i;

	memset(&hdr, 0, sizeof(hdr));
	hdr.opcode = VIRTIO_ACCEL_OP_NULL;
	hdr.src_len = claim;
	hdr.dst_len = claim;
	src = malloc(claim ? claim : 1);
	pattern(src, claim, 7);
	iov[0] = (struct vaccel_iov){ (uintptr_t)&hdr, sizeof(hdr) };
	iov[1] = (struct vaccel_iov){ (uintptr_t)src, claim };
	for (i = 0; i < nw; i++) {
		w[i] = malloc(wlen[i] ? wlen[i] : 1);
		pattern(w[i], wlen[i], 100 + i);
		iov[2 + i] = (struct vaccel_iov){ (uintptr_t)w[i], wlen[i] };
		total += wlen[i];
	}
	memset(&raw, 0, sizeof(raw));
	raw.vq = 1;
	raw.nr_rd = 2;
	raw.nr_wr = nw;
	raw.iov_ptr = (uintptr_t)iov;
	if (ioctl(fd, VACCEL_IOC_RAW, &raw)) {
		fprintf(stderr, "%s: VACCEL_IOC_RAW: %s\n", what,
			strerror(errno));
		check_failures++;
		return -1;	/* a test program: the buffers go at exit */
	}
	for (i = 0; i < nw; i++) {
		size_t j, skip = 0;

		want = malloc(wlen[i] ? wlen[i] : 1);
		pattern(want, wlen[i], 100 + i);
		/* the device's bytes: the first used_len of the part */
		if (off < raw.used_len)
			skip = raw.used_len - off < wlen[i] ?
			       raw.used_len - off : wlen[i];
		for (j = skip; j < wlen[i]; j++)
			bad += w[i][j] != want[j];
		hits += count_marker(w[i], wlen[i]);
		off += wlen[i];
		free(want);
	}
	printf("rawstale: %s: writable %zu bytes in %u iovecs, used_len %u, %ld bytes not the caller's beyond used_len, %zu stale-marker words\n",
	       what, total, nw, raw.used_len, bad, hits);
	CHECK(!expect_used0 || raw.used_len == 0, "%s: used_len %u, want 0",
	      what, raw.used_len);
	CHECK(bad == 0 && hits == 0,
	      "%s: %ld bytes beyond used_len are not what the caller wrote (%zu stale-marker words)",
	      what, bad, hits);
	for (i = 0; i < nw; i++)
		free(w[i]);
	free(w);
	free(iov);
	free(src);
	return bad;
}

static int cmd_rawstale(void)
{
	int fd = open_dev(dev);
	uint32_t mdl = max_data_len(fd);
	size_t len = mdl, i;
	uint8_t *src = malloc(len), *dst = malloc(len);
	struct vaccel_op op;

	/*
	 * Leave the marker in freed kernel memory: the request buffers of
	 * large ops (src in the readable part, the device's copy in the
	 * writable part) go back to the allocator holding it.
	 */
	for (i = 0; i < len; i += 8)
		memcpy(src + i, marker, 8);
	for (i = 0; i < 16; i++) {
		null_op(&op, src, dst, len, i);
		if (ioctl(fd, VACCEL_IOC_OP, &op) || op.status) {
			fprintf(stderr, "seeding op: %s status %u\n",
				strerror(errno), op.status);
			return 1;
		}
	}
	CHECK(count_marker(dst, len) == len / 8, "seeding: NULL op output");
	/* and in many small buffers at once: slab objects, order-1 pages */
	for (i = 0; i < 2 * SMALL_SEED; i++) {
		uint32_t n = i & 1 ? 8000 : 4000;

		if (submit_one(fd, src, dst, n, i)) {
			perror("seeding SUBMIT");
			return 1;
		}
	}
	for (i = 0; i < 2 * SMALL_SEED; i++) {
		struct vaccel_completion c;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, 20000) != 1 ||
		    read(fd, &c, sizeof(c)) != sizeof(c) || c.error) {
			fprintf(stderr, "seeding: completion %zu\n", i);
			return 1;
		}
	}
	{
		/* [REQ-HUGE] again, in iovecs of the seeded sizes */
		size_t nsmall = 2 * ((size_t)mdl / 12000 + 2), *ws;

		ws = calloc(nsmall, sizeof(*ws));
		for (i = 0; i < nsmall; i++)
			ws[i] = i & 1 ? 8000 : 4000;
		raw_case(fd, "huge, iovecs of 4000 and 8000 bytes", 64, ws,
			 nsmall, 1);
		free(ws);
	}
	{
		/* [REQ-HUGE]: more than max_data_len + 16, nothing written */
		size_t w1[] = { 2 * (size_t)mdl + 4096 };
		/* the same in several iovecs, with empty ones */
		size_t w2[] = { 0, (size_t)mdl, 0, (size_t)mdl / 2 + 100, 0 };
		/* [REQ-SHORT]: less than 16 bytes, nothing written */
		size_t w3[] = { 0, 12, 0 };
		/* a valid request: the device writes all of it */
		size_t w4[] = { 64, sizeof(struct virtio_accel_op_resp) };

		raw_case(fd, "huge writable part", 64, w1, 1, 1);
		raw_case(fd, "huge, 5 iovecs", 64, w2, 5, 1);
		raw_case(fd, "short writable part", 64, w3, 3, 1);
		raw_case(fd, "valid NULL op", 64, w4, 2, 0);
	}
	free(src);
	free(dst);
	close(fd);
	printf("rawstale: %s\n", check_failures ? "FAILED" : "done");
	return check_failures != 0;
}

/* ---- flood ------------------------------------------------------------- */

#define MAX_FILES 64

struct hog {
	int fd;
	int accepted;
	int last_err;
};

/*
 * Submit ops of @len on @h until the driver refuses, or @guard says the
 * guest is running out (then -ENOMEM: the old driver has no bound).
 */
static int hog_fill(struct hog *h, int idx, uint8_t *src, uint8_t *dst,
		    uint32_t len, long avail_floor)
{
	int r;

	for (;;) {
		uint64_t ud = ((uint64_t)idx << 32) | h->accepted;

		if (mem_available() < avail_floor)
			return -ENOMEM;
		pattern(src, len, ud);
		r = submit_one(h->fd, src, dst, len, ud);
		if (r) {
			h->last_err = r;
			return 0;
		}
		h->accepted++;
	}
}

static int cmd_flood(int nfiles, const char *dev2)
{
	long dev_mb = read_long(PARAMS "max_pinned_mb_per_dev");
	long file_mb = read_long(PARAMS "max_pinned_mb_per_file");
	struct hog hogs[MAX_FILES];
	long avail0, avail1, pinned, budget, floor, slack = 32 * MIB;
	long per_op, total = 0, refused0;
	int fd0, other, i, r, bad = 0, unbounded = 0;
	uint32_t len;
	uint8_t *src, *dst, *want;
	double t0;

	if (nfiles < 5 || nfiles > MAX_FILES)
		return 2;
	fd0 = open_dev(dev);
	len = max_data_len(fd0);
	if (len > 1 << 20)
		len = 1 << 20;
	src = malloc(len);
	dst = malloc(len);
	want = malloc(len);
	memset(src, 1, len);
	memset(dst, 1, len);
	memset(want, 1, len);
	/* each op pins src and dst: about 2 x len */
	per_op = 2L * len;
	CHECK(dev_mb > 0 && file_mb > 0,
	      "no max_pinned_mb_per_dev / max_pinned_mb_per_file parameter");
	budget = dev_mb > 0 ? dev_mb * MIB : 128 * MIB;
	avail0 = mem_available();
	/* the old driver pins without bound: stop before the guest dies */
	floor = avail0 - budget - 2 * slack;
	if (floor < 96 * MIB)
		floor = 96 * MIB;
	refused0 = dev_stat("pinned_refused");
	printf("flood: %d files, ops of 2 x %u bytes, budget %ld MiB per device, %ld MiB per file; MemAvailable %ld MiB\n",
	       nfiles, len, dev_mb, file_mb, avail0 / MIB);

	/* three files at their share: a fourth is still served */
	for (i = 0; i < nfiles; i++) {
		hogs[i].fd = open_dev(dev);
		hogs[i].accepted = 0;
		hogs[i].last_err = 0;
	}
	for (i = 0; i < 3 && !unbounded; i++)
		unbounded = hog_fill(&hogs[i], i, src, dst, len, floor);
	for (i = 0; i < 3; i++) {
		printf("flood: file %d: %d ops accepted (%ld MiB), then %s\n", i,
		       hogs[i].accepted, hogs[i].accepted * per_op / MIB,
		       strerror(-hogs[i].last_err));
		CHECK(hogs[i].last_err == -EAGAIN,
		      "file %d: refused with %s, want EAGAIN", i,
		      strerror(-hogs[i].last_err));
		if (file_mb > 0)
			CHECK(hogs[i].accepted * per_op <=
			      file_mb * MIB + per_op,
			      "file %d holds %ld MiB, more than its %ld MiB",
			      i, hogs[i].accepted * per_op / MIB, file_mb);
	}
	other = open_dev(dev);
	if (!unbounded) {
		r = blocking_ok(other, src, dst, len);
		CHECK(!r, "another file, blocking op, 3 files at their share: %s",
		      strerror(-r));
		for (i = 0; i < 4; i++) {
			pattern(src, len, 0xabc0 + i);
			r = submit_one(other, src, dst, len, 0xabc0 + i);
			CHECK(!r, "another file, async op %d: %s", i,
			      strerror(-r));
			if (r)
				break;
		}
		CHECK(reap_check(other, i, dst, want, len) == 0,
		      "another file's async ops");
		printf("flood: another file served with 3 files at their share\n");
	}

	/* all the others: the device's budget holds */
	for (i = 3; i < nfiles && !unbounded; i++)
		unbounded = hog_fill(&hogs[i], i, src, dst, len, floor);
	avail1 = mem_available();
	pinned = dev_stat("pinned");
	for (i = 0; i < nfiles; i++)
		total += hogs[i].accepted;
	printf("flood: %ld ops accepted in all (%ld MiB of buffers), driver's pinned count %ld MiB, peak %ld MiB; MemAvailable fell by %ld MiB\n",
	       total, total * per_op / MIB, pinned / MIB,
	       dev_stat("pinned_peak") / MIB, (avail0 - avail1) / MIB);
	CHECK(!unbounded,
	      "no bound: MemAvailable fell by %ld MiB (budget %ld MiB), stopped",
	      (avail0 - avail1) / MIB, budget / MIB);
	CHECK(total * per_op <= budget,
	      "%ld MiB of ops accepted, budget %ld MiB", total * per_op / MIB,
	      budget / MIB);
	CHECK(avail0 - avail1 <= budget + slack,
	      "MemAvailable fell by %ld MiB, budget %ld MiB + %ld",
	      (avail0 - avail1) / MIB, budget / MIB, slack / MIB);
	CHECK(pinned >= 0 && pinned <= budget, "sysfs pinned %ld, budget %ld",
	      pinned, budget);
	for (i = 3; i < nfiles && !unbounded; i++)
		CHECK(hogs[i].last_err == -EAGAIN,
		      "file %d: refused with %s, want EAGAIN", i,
		      strerror(-hogs[i].last_err));
	CHECK(dev_stat("pinned_refused") > refused0,
	      "pinned_refused did not count the refusals");

	/* a full device: a new request fails at once with EAGAIN */
	t0 = now_s();
	r = blocking_ok(other, src, dst, len);
	CHECK(r == -EAGAIN, "blocking op on a full device: %s, want EAGAIN",
	      strerror(-r));
	r = submit_one(other, src, dst, len, 1);
	CHECK(r == -EAGAIN, "SUBMIT on a full device: %s, want EAGAIN",
	      strerror(-r));
	CHECK(now_s() - t0 < 5, "refusals took %.1f s", now_s() - t0);
	/* another device is served */
	if (dev2) {
		int fd2 = open_dev(dev2);

		r = blocking_ok(fd2, src, dst, len);
		CHECK(!r, "%s, blocking op: %s", dev2, strerror(-r));
		pattern(src, len, 0xdef);
		r = submit_one(fd2, src, dst, len, 0xdef);
		CHECK(!r, "%s, async op: %s", dev2, strerror(-r));
		CHECK(!r && reap_check(fd2, 1, dst, want, len) == 0,
		      "%s async op", dev2);
		close(fd2);
		printf("flood: %s served while %s is full\n", dev2, dev);
	}

	/* every accepted op completes, with the right output */
	for (i = 0; i < nfiles; i++)
		bad += reap_check(hogs[i].fd, hogs[i].accepted, dst, want, len);
	printf("flood: %ld ops reaped, %d wrong or missing\n", total, bad);
	CHECK(bad == 0, "%d of %ld accepted ops wrong or missing", bad, total);
	for (i = 0; i < 100 && dev_stat("pinned") > 0; i++)
		usleep(100000);
	CHECK(dev_stat("pinned") == 0 || dev_mb <= 0,
	      "pinned %ld after everything was reaped", dev_stat("pinned"));
	r = blocking_ok(other, src, dst, len);
	CHECK(!r, "blocking op after the reaping: %s", strerror(-r));
	for (i = 0; i < nfiles; i++)
		close(hogs[i].fd);
	close(other);
	close(fd0);
	printf("flood: %s\n", check_failures ? "FAILED" : "done");
	return check_failures != 0;
}

/* ---- exempt ------------------------------------------------------------ */

/*
 * With a per-file share smaller than one op (set by the caller): a file
 * holding nothing still runs one, blocking or async; a second async op
 * while the first is unreaped is refused.
 */
static int cmd_exempt(void)
{
	int fd = open_dev(dev), r;
	uint32_t len = max_data_len(fd);
	uint8_t *src, *dst, *want;

	if (len > 1 << 20)
		len = 1 << 20;
	src = calloc(1, len);
	dst = calloc(1, len);
	want = calloc(1, len);
	r = blocking_ok(fd, src, dst, len);
	CHECK(!r, "blocking op above the file's share: %s", strerror(-r));
	pattern(src, len, 77);
	r = submit_one(fd, src, dst, len, 77);
	CHECK(!r, "first async op above the file's share: %s", strerror(-r));
	if (!r) {
		r = submit_one(fd, src, dst, len, 78);
		CHECK(r == -EAGAIN, "second async op: %s, want EAGAIN",
		      r ? strerror(-r) : "accepted");
		CHECK(reap_check(fd, r ? 1 : 2, dst, want, len) == 0,
		      "async ops wrong");
	}
	close(fd);
	printf("exempt: %s\n", check_failures ? "FAILED" : "done");
	return check_failures != 0;
}

/* ---- memcg ------------------------------------------------------------- */

static int cmd_memcg(void)
{
	char cg[256], path[512], line[256];
	long m0, m1, m2, p0, p1, want, got, limit;
	int fd, i, n = 8, ok = 0, r = 0, bad;
	uint32_t len;
	uint8_t *src, *dst, *cmp;
	FILE *f;

	f = fopen("/proc/self/cgroup", "r");
	cg[0] = 0;
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3))
			snprintf(cg, sizeof(cg), "/sys/fs/cgroup%s",
				 strtok(line + 3, "\n"));
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "%s/memory.current", cg);
	if (!cg[0] || read_long(path) < 0) {
		fprintf(stderr, "memcg: not in a cgroup v2 with memory: %s\n",
			path);
		return 1;
	}
	fd = open_dev(dev);
	len = max_data_len(fd);
	if (len > 1 << 20)
		len = 1 << 20;
	src = malloc(len);
	dst = malloc(len);
	cmp = malloc(len);
	memset(src, 1, len);
	memset(dst, 1, len);
	memset(cmp, 1, len);

	/* n ops pinned, not reaped */
	m0 = read_long(path);
	p0 = dev_stat("pinned");
	for (i = 0; i < n; i++) {
		pattern(src, len, i);
		r = submit_one(fd, src, dst, len, i);
		if (r)
			break;
	}
	CHECK(!r, "submit %d: %s", i, strerror(-r));
	usleep(200000);
	m1 = read_long(path);
	p1 = dev_stat("pinned");
	want = (long)i * 2 * len;
	got = m1 - m0;
	printf("memcg: %s: %d ops of 2 x %u bytes pinned: memory.current +%ld KiB, driver's pinned +%ld KiB, buffers %ld KiB\n",
	       cg, i, len, got / 1024, p1 >= 0 ? (p1 - p0) / 1024 : -1,
	       want / 1024);
	CHECK(got >= want * 9 / 10,
	      "memory.current rose by %ld KiB, the ops pin %ld KiB", got / 1024,
	      want / 1024);
	CHECK(p1 < 0 || (got >= (p1 - p0) * 9 / 10 &&
			 got <= (p1 - p0) * 11 / 10 + 2 * MIB),
	      "memory.current +%ld KiB vs the driver's pinned +%ld KiB",
	      got / 1024, (p1 - p0) / 1024);
	bad = reap_check(fd, i, dst, cmp, len);
	CHECK(bad == 0, "%d ops wrong", bad);
	usleep(200000);
	m2 = read_long(path);
	printf("memcg: reaped: memory.current %+ld KiB from the start\n",
	       (m2 - m0) / 1024);
	CHECK(m2 - m0 < want / 4, "memory.current still +%ld KiB after reaping",
	      (m2 - m0) / 1024);

	/* over memory.max: refused with ENOMEM, the caller is not killed */
	limit = m2 + 12 * MIB;
	snprintf(path, sizeof(path), "%s/memory.max", cg);
	snprintf(line, sizeof(line), "%ld", limit);
	if (write_str(path, line)) {
		perror(path);
		return 1;
	}
	for (i = 0; i < 64; i++) {
		pattern(src, len, 1000 + i);
		r = submit_one(fd, src, dst, len, 1000 + i);
		if (r)
			break;
		ok++;
	}
	printf("memcg: memory.max = current + 12 MiB: %d ops of 2 x %u bytes accepted, then %s\n",
	       ok, len, r ? strerror(-r) : "none refused");
	CHECK(r == -ENOMEM, "over memory.max: %s, want ENOMEM",
	      r ? strerror(-r) : "all 64 accepted");
	CHECK((long)ok * 2 * len <= 13 * MIB, "%d ops accepted over the limit",
	      ok);
	bad = reap_check(fd, ok, dst, cmp, len);
	CHECK(bad == 0, "%d of %d accepted ops wrong", bad, ok);
	write_str(path, "max");
	close(fd);
	printf("memcg: %s\n", check_failures ? "FAILED" : "done");
	return check_failures != 0;
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 3) {
		fprintf(stderr, "usage: vaccel-mem DEV rawstale|flood N DEV2|exempt|memcg\n");
		return 2;
	}
	dev = argv[1];
	cmd = argv[2];
	snprintf(sysdir, sizeof(sysdir), "/sys/class/vaccel/%s",
		 strrchr(dev, '/') ? strrchr(dev, '/') + 1 : dev);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "rawstale"))
		return cmd_rawstale();
	if (!strcmp(cmd, "flood") && argc >= 4)
		return cmd_flood(atoi(argv[3]), argc >= 5 ? argv[4] : NULL);
	if (!strcmp(cmd, "memcg"))
		return cmd_memcg();
	if (!strcmp(cmd, "exempt"))
		return cmd_exempt();
	fprintf(stderr, "unknown command %s\n", cmd);
	return 2;
}
