// SPDX-License-Identifier: BSD-3-Clause
/*
 * The stream-state attack of issue 10 (defect 6), from a front-end: as many
 * COMPRESS stream sessions as it may get, each fed BYTES of input in one
 * non-final request so that its engine state is live and touched, all held
 * at once; the device's memory is read before and after: the VmRSS of the
 * back-end process PID, or with "vmalloc" in place of PID the kernel's
 * VmallocUsed (the vDPA parent's zlib workspaces are vmalloc'ed). It
 * prints one line per figure and exits 0; the caller judges them.
 *
 *   stream-flood DEVICE PID|vmalloc SESSIONS BYTES
 *
 * Lines: "max_comp_streams N", "created N", "refused N" (NOSPC), "other N"
 * (any other error), "fed N" (streams that took all their input),
 * "mem_before KIB", "mem_after KIB".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtaccel.h"

/* VmRSS of @pid, or VmallocUsed if @pid is "vmalloc", in KiB; or -1. */
static long mem_kib(const char *pid)
{
	int vm = !strcmp(pid, "vmalloc");
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), vm ? "/proc/meminfo" : "/proc/%s/status",
		 pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, vm ? "VmallocUsed: %ld kB" : "VmRSS: %ld kB",
			   &v) == 1)
			break;
	fclose(f);
	return v;
}

/* One non-final COMPRESS request of @len bytes: 0 if all was consumed. */
static int feed(struct virtaccel_dev *dev, uint64_t sid, const uint8_t *src,
		uint32_t len, uint8_t *dst, uint32_t cap)
{
	struct virtaccel_op op = {
		.opcode = VIRTIO_ACCEL_OP_COMPRESS,
		.algo = VIRTIO_ACCEL_ALG_DEFLATE,
		.session_id = sid,
		.src = src, .src_len = len, .dst = dst, .dst_len = cap,
	};
	int ret = virtaccel_run(dev, &op);

	if (ret)
		return ret;
	return op.src_used == len ? 0 : -EPROTO;
}

int main(int argc, char **argv)
{
	struct virtaccel_open_opts o = { .num_queues = 1 };
	unsigned long n, bytes, i, created = 0, refused = 0, other = 0, fed = 0;
	struct virtaccel_info *info = calloc(1, sizeof(*info));
	struct virtaccel_dev *dev;
	uint8_t *src, *dst;
	uint64_t *ids;
	uint32_t x = 2463534242u, cap;
	long before, after;
	int ret;

	if (argc != 5) {
		fprintf(stderr, "usage: stream-flood DEVICE PID SESSIONS BYTES\n");
		return 2;
	}
	n = strtoul(argv[3], NULL, 0);
	bytes = strtoul(argv[4], NULL, 0);
	ret = virtaccel_open(argv[1], &o, &dev);
	if (ret || !info) {
		fprintf(stderr, "stream-flood: open %s: %s\n", argv[1],
			strerror(-ret));
		return 1;
	}
	if (virtaccel_get_info(dev, info) || bytes > info->max_data_len / 2) {
		fprintf(stderr, "stream-flood: info, or BYTES too large\n");
		return 1;
	}
	cap = (uint32_t)VIRTIO_ACCEL_DEFLATE_BOUND(bytes);
	src = virtaccel_buf_alloc(dev, bytes);
	dst = virtaccel_buf_alloc(dev, cap);
	ids = calloc(n, sizeof(*ids));
	if (!src || !dst || !ids)
		return 1;
	/* text-like input: a small alphabet, so deflate finds matches */
	for (i = 0; i < bytes; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		src[i] = (uint8_t)("etaoin shrdlu\n"[x % 14]);
	}
	printf("max_comp_streams %u\n", info->max_comp_streams);

	/* warm-up: one honest stream, so buffers every request uses count */
	ret = virtaccel_session_create(dev, VIRTIO_ACCEL_OP_COMPRESS,
				       VIRTIO_ACCEL_ALG_DEFLATE,
				       VIRTIO_ACCEL_SESS_F_STREAM, NULL, 0,
				       &ids[0]);
	if (ret || feed(dev, ids[0], src, (uint32_t)bytes, dst, cap)) {
		fprintf(stderr, "stream-flood: the warm-up stream failed\n");
		return 1;
	}
	virtaccel_session_destroy(dev, ids[0]);
	ids[0] = 0;
	before = mem_kib(argv[2]);

	for (i = 0; i < n; i++) {
		ret = virtaccel_session_create(dev, VIRTIO_ACCEL_OP_COMPRESS,
					       VIRTIO_ACCEL_ALG_DEFLATE,
					       VIRTIO_ACCEL_SESS_F_STREAM,
					       NULL, 0, &ids[i]);
		if (ret == -ENOSPC) {
			refused++;
			continue;
		}
		if (ret) {
			other++;
			continue;
		}
		created++;
		if (!feed(dev, ids[i], src, (uint32_t)bytes, dst, cap))
			fed++;
	}
	after = mem_kib(argv[2]);
	printf("created %lu\nrefused %lu\nother %lu\nfed %lu\n", created,
	       refused, other, fed);
	printf("mem_before %ld\nmem_after %ld\n", before, after);
	fflush(stdout);
	for (i = 0; i < n; i++)
		if (ids[i])
			virtaccel_session_destroy(dev, ids[i]);
	virtaccel_buf_free(dev, src);
	virtaccel_buf_free(dev, dst);
	virtaccel_close(dev);
	free(ids);
	free(info);
	return 0;
}
