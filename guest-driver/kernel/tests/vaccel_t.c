// SPDX-License-Identifier: BSD-3-Clause
/*
 * vaccel-t: exercises /dev/vaccelN through its uAPI directly (no library),
 * one subcommand per test of tests/vm/t-guest-*.sh. Built static.
 *
 *   vaccel-t DEV info                 print the device description
 *   vaccel-t DEV sha256 FILE          SHA-256 of FILE (<= max_data_len) via OP
 *   vaccel-t DEV sha256-str STR       SHA-256 of STR via OP
 *   vaccel-t DEV async N SIZE         N async NULL ops, reaped with poll+read
 *   vaccel-t DEV sessions N [hold]    create N HMAC sessions (hold: pause)
 *   vaccel-t DEV zstreams N           create N DEFLATE stream sessions
 *                                     (COMPRESS, SESS_F_STREAM), then pause
 *   vaccel-t DEV quota                EDQUOT at max_sessions_per_file + 1
 *   vaccel-t DEV tablefull            ENOSPC when the device's table is full
 *   vaccel-t DEV owner                another process/file gets ENOENT
 *   vaccel-t DEV exdev                completion read by another mm: EXDEV
 *   vaccel-t DEV badargs              validation before the device
 *   vaccel-t DEV raw                  a NULL op through VACCEL_IOC_RAW
 *   vaccel-t DEV loop SIZE            blocking SHA-256 ops until an error
 *   vaccel-t DEV aloop SIZE [DEPTH]   DEPTH (64) async ops in flight until an error
 *
 * Exit status: 0 pass, 1 fail, 2 usage; loop/aloop exit 42 on ENODEV.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/virtio_accel_ioctl.h>

#include "vaccel-test.h"

static const char *dev;
static int open_dev(int flags)
{
	int fd = open(dev, O_RDWR | flags);

	if (fd < 0) {
		perror(dev);
		exit(1);
	}
	return fd;
}

static void get_info(int fd, struct vaccel_info *info)
{
	memset(info, 0, sizeof(*info));
	if (ioctl(fd, VACCEL_IOC_INFO, info)) {
		perror("VACCEL_IOC_INFO");
		exit(1);
	}
}

static void op_init(struct vaccel_op *op, uint32_t opcode, uint32_t algo,
		    const void *src, uint32_t src_len, void *dst,
		    uint32_t dst_len)
{
	memset(op, 0, sizeof(*op));
	op->opcode = opcode;
	op->algo = algo;
	op->queue = VACCEL_QUEUE_ANY;
	op->src_ptr = (uintptr_t)src;
	op->src_len = src_len;
	op->dst_ptr = (uintptr_t)dst;
	op->dst_len = dst_len;
}

static int do_sha(int fd, const void *buf, uint32_t len, uint8_t *out)
{
	struct vaccel_op op;

	op_init(&op, VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_SHA256, buf, len,
		out, 32);
	if (ioctl(fd, VACCEL_IOC_OP, &op))
		return -errno;
	if (op.status != VIRTIO_ACCEL_OK || op.dst_used != 32)
		return -EIO;
	return 0;
}

static void print_hex(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%02x", p[i]);
	printf("\n");
}

static int cmd_info(void)
{
	struct virtio_accel_cap caps[64];
	struct vaccel_info info;
	int fd = open_dev(0);
	unsigned int i;

	memset(&info, 0, sizeof(info));
	info.caps_ptr = (uintptr_t)caps;
	info.caps_len = 64;
	if (ioctl(fd, VACCEL_IOC_INFO, &info)) {
		perror("VACCEL_IOC_INFO");
		return 1;
	}
	printf("device_id %u index %u\n", info.device_id, info.index);
	printf("device_features %#llx driver_features %#llx\n",
	       (unsigned long long)info.device_features,
	       (unsigned long long)info.driver_features);
	printf("max_dataqueues %u num_queues %u queue_size %u max_segments %u\n",
	       info.max_dataqueues, info.num_queues, info.queue_size,
	       info.max_segments);
	printf("services %#x max_sessions %u max_data_len %u max_key_len %u max_aad_len %u\n",
	       info.services, info.max_sessions, info.max_data_len,
	       info.max_key_len, info.max_aad_len);
	printf("max_sessions_per_file %u max_inflight_per_file %u\n",
	       info.max_sessions_per_file, info.max_inflight_per_file);
	printf("caps %u (copied %u)\n", info.n_caps, info.caps_len);
	for (i = 0; i < info.caps_len; i++)
		printf("  op %u algo %u flags %#x key %u..%u iv %u out %u engine %.8s\n",
		       caps[i].op, caps[i].algo, caps[i].flags,
		       caps[i].min_key_len, caps[i].max_key_len,
		       caps[i].iv_len, caps[i].out_len,
		       (const char *)caps[i].engine);
	CHECK(info.device_id == VIRTIO_ID_ACCEL, "device_id %u", info.device_id);
	CHECK(info.n_caps > 0 && info.caps_len == info.n_caps, "caps");
	CHECK(info.driver_features & (1ULL << 32), "VERSION_1 not negotiated");
	return check_failures != 0;
}

static int cmd_sha256(const char *path)
{
	struct vaccel_info info;
	int fd = open_dev(0), in, err;
	uint8_t out[32];
	struct stat st;
	char *buf;

	get_info(fd, &info);
	in = open(path, O_RDONLY);
	if (in < 0 || fstat(in, &st)) {
		perror(path);
		return 1;
	}
	if ((uint64_t)st.st_size > info.max_data_len) {
		fprintf(stderr, "%s: larger than max_data_len %u\n", path,
			info.max_data_len);
		return 1;
	}
	buf = malloc(st.st_size + 1);
	if (!buf || read(in, buf, st.st_size) != st.st_size) {
		perror("read");
		return 1;
	}
	err = do_sha(fd, buf, st.st_size, out);
	if (err) {
		fprintf(stderr, "OP: %s\n", strerror(-err));
		return 1;
	}
	print_hex(out, 32);
	return 0;
}

static int cmd_sha256_str(const char *s)
{
	int fd = open_dev(0), err;
	uint8_t out[32];

	err = do_sha(fd, s, strlen(s), out);
	if (err) {
		fprintf(stderr, "OP: %s\n", strerror(-err));
		return 1;
	}
	print_hex(out, 32);
	return 0;
}

/* N async NULL ops of SIZE bytes each, reaped through poll(2) + read(2). */
static int cmd_async(unsigned int n, unsigned int size)
{
	int fd = open_dev(O_NONBLOCK);
	struct vaccel_completion c[16];
	struct vaccel_submit sub;
	struct vaccel_op *ops;
	unsigned int i, got = 0;
	uint8_t **src, **dst;
	char *seen;

	ops = calloc(n, sizeof(*ops));
	src = calloc(n, sizeof(*src));
	dst = calloc(n, sizeof(*dst));
	seen = calloc(n, 1);
	for (i = 0; i < n; i++) {
		src[i] = malloc(size + 1);
		dst[i] = calloc(1, size + 1);
		memset(src[i], 'a' + i % 26, size);
		op_init(&ops[i], VIRTIO_ACCEL_OP_NULL, VIRTIO_ACCEL_ALG_NONE,
			src[i], size, dst[i], size);
		ops[i].user_data = 1000 + i;
	}
	/* nothing yet: EAGAIN */
	CHECK(read(fd, c, sizeof(c)) < 0 && errno == EAGAIN,
	      "empty read: %s", strerror(errno));
	memset(&sub, 0, sizeof(sub));
	sub.ops_ptr = (uintptr_t)ops;
	sub.nr = n;
	if (ioctl(fd, VACCEL_IOC_SUBMIT, &sub)) {
		perror("VACCEL_IOC_SUBMIT");
		return 1;
	}
	CHECK(sub.submitted == n, "submitted %u of %u", sub.submitted, n);
	while (got < sub.submitted) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;
		int k;

		if (poll(&p, 1, 30000) != 1) {
			fprintf(stderr, "poll: timeout, %u of %u\n", got, n);
			return 1;
		}
		r = read(fd, c, sizeof(c));
		if (r < 0) {
			perror("read");
			return 1;
		}
		CHECK(r % sizeof(c[0]) == 0, "partial record %zd", r);
		for (k = 0; k < r / (ssize_t)sizeof(c[0]); k++) {
			uint64_t idx = c[k].user_data - 1000;

			CHECK(idx < n && !seen[idx], "user_data %llu",
			      (unsigned long long)c[k].user_data);
			if (idx >= n)
				continue;
			seen[idx] = 1;
			CHECK(c[k].error == 0 && c[k].status == 0,
			      "op %llu: error %d status %u",
			      (unsigned long long)idx, c[k].error, c[k].status);
			CHECK(c[k].dst_used == size, "dst_used %u",
			      c[k].dst_used);
			CHECK(!memcmp(src[idx], dst[idx], size),
			      "op %llu: output differs",
			      (unsigned long long)idx);
			got++;
		}
	}
	CHECK(read(fd, c, sizeof(c)) < 0 && errno == EAGAIN, "drained");
	printf("async: %u ops of %u bytes reaped\n", got, size);
	return check_failures != 0;
}

static int create_sess(int fd, uint64_t *id)
{
	static const uint8_t key[32] = { 1, 2, 3, 4 };
	struct vaccel_session s;

	memset(&s, 0, sizeof(s));
	s.op = VIRTIO_ACCEL_OP_MAC;
	s.algo = VIRTIO_ACCEL_ALG_HMAC_SHA256;
	s.key_len = sizeof(key);
	s.key_ptr = (uintptr_t)key;
	if (ioctl(fd, VACCEL_IOC_SESSION_CREATE, &s))
		return -errno;
	*id = s.session_id;
	return 0;
}

static int mac_op(int fd, uint64_t id)
{
	uint8_t out[32];
	struct vaccel_op op;

	op_init(&op, VIRTIO_ACCEL_OP_MAC, VIRTIO_ACCEL_ALG_HMAC_SHA256, "abc",
		3, out, 32);
	op.session_id = id;
	if (ioctl(fd, VACCEL_IOC_OP, &op))
		return -errno;
	return op.status == 0 ? 0 : -EIO;
}

static int cmd_sessions(unsigned int n, int hold)
{
	int fd = open_dev(0), err;
	unsigned int i;
	uint64_t id;

	for (i = 0; i < n; i++) {
		err = create_sess(fd, &id);
		if (err) {
			fprintf(stderr, "SESSION_CREATE %u: %s\n", i,
				strerror(-err));
			return 1;
		}
		err = mac_op(fd, id);
		CHECK(!err, "MAC with session %llu: %s",
		      (unsigned long long)id, strerror(-err));
	}
	printf("sessions: %u created\n", n);
	fflush(stdout);
	if (hold)
		pause();
	return check_failures != 0;	/* close(fd) at exit destroys them */
}

/* [STREAM-LIMIT]: hold N DEFLATE stream sessions until killed */
static int cmd_zstreams(unsigned int n)
{
	int fd = open_dev(0);
	struct vaccel_session s;
	unsigned int i;

	for (i = 0; i < n; i++) {
		memset(&s, 0, sizeof(s));
		s.op = VIRTIO_ACCEL_OP_COMPRESS;
		s.algo = VIRTIO_ACCEL_ALG_DEFLATE;
		s.flags = VIRTIO_ACCEL_SESS_F_STREAM;
		if (ioctl(fd, VACCEL_IOC_SESSION_CREATE, &s)) {
			fprintf(stderr, "SESSION_CREATE %u: %s\n", i,
				strerror(errno));
			return 1;
		}
	}
	printf("zstreams: %u created\n", n);
	fflush(stdout);
	pause();
	return 0;
}

static int cmd_quota(void)
{
	struct vaccel_info info;
	int fd = open_dev(0), err;
	unsigned int i;
	uint64_t id, first = 0;

	get_info(fd, &info);
	for (i = 0; i < info.max_sessions_per_file; i++) {
		err = create_sess(fd, &id);
		if (err) {
			fprintf(stderr, "create %u: %s\n", i, strerror(-err));
			return 1;
		}
		if (!i)
			first = id;
	}
	err = create_sess(fd, &id);
	CHECK(err == -EDQUOT, "create %u: %s (want EDQUOT)", i,
	      strerror(-err));
	/* a slot freed is a slot usable again */
	CHECK(ioctl(fd, VACCEL_IOC_SESSION_DESTROY, &first) == 0,
	      "destroy: %s", strerror(errno));
	CHECK(ioctl(fd, VACCEL_IOC_SESSION_DESTROY, &first) < 0 &&
	      errno == ENOENT, "second destroy: %s", strerror(errno));
	err = create_sess(fd, &id);
	CHECK(!err, "create after destroy: %s", strerror(-err));
	printf("quota: %u sessions, then EDQUOT\n", info.max_sessions_per_file);
	return check_failures != 0;
}

/* Needs max_sessions_per_file > max_sessions and no other live session. */
static int cmd_tablefull(void)
{
	struct vaccel_info info;
	int fd = open_dev(0), err;
	unsigned int i;
	uint64_t id;

	get_info(fd, &info);
	for (i = 0; i < info.max_sessions; i++) {
		err = create_sess(fd, &id);
		if (err) {
			fprintf(stderr, "create %u: %s\n", i, strerror(-err));
			return 1;
		}
	}
	err = create_sess(fd, &id);
	CHECK(err == -ENOSPC, "create %u: %s (want ENOSPC)", i,
	      strerror(-err));
	printf("tablefull: %u sessions, then ENOSPC\n", info.max_sessions);
	return check_failures != 0;
}

static int cmd_owner(void)
{
	int fd = open_dev(0), fd2, err, status;
	uint64_t id;
	pid_t pid;

	err = create_sess(fd, &id);
	if (err) {
		fprintf(stderr, "create: %s\n", strerror(-err));
		return 1;
	}
	/* another file of the same process */
	fd2 = open_dev(0);
	err = mac_op(fd2, id);
	CHECK(err == -ENOENT, "use from another file: %s", strerror(-err));
	CHECK(ioctl(fd2, VACCEL_IOC_SESSION_DESTROY, &id) < 0 &&
	      errno == ENOENT, "destroy from another file: %s",
	      strerror(errno));
	close(fd2);
	/* another process with its own open */
	pid = fork();
	if (!pid) {
		int f = open_dev(0), e = mac_op(f, id), bad = 0;

		if (e != -ENOENT) {
			fprintf(stderr, "child use: %s\n", strerror(-e));
			bad = 1;
		}
		if (!(ioctl(f, VACCEL_IOC_SESSION_DESTROY, &id) < 0 &&
		      errno == ENOENT)) {
			fprintf(stderr, "child destroy: %s\n", strerror(errno));
			bad = 1;
		}
		_exit(bad);
	}
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0, "child saw the session");
	/* still ours and still working */
	err = mac_op(fd, id);
	CHECK(!err, "owner's op after the attempts: %s", strerror(-err));
	CHECK(ioctl(fd, VACCEL_IOC_SESSION_DESTROY, &id) == 0,
	      "owner destroy: %s", strerror(errno));
	printf("owner: foreign files get ENOENT\n");
	return check_failures != 0;
}

/* A completion read by a process with another mm: -EXDEV, nothing written. */
static int cmd_exdev(void)
{
	int fd = open_dev(0), status;
	static char src[64] = "exdev", dst[64];
	struct vaccel_submit sub;
	struct vaccel_op op;
	pid_t pid;

	op_init(&op, VIRTIO_ACCEL_OP_NULL, VIRTIO_ACCEL_ALG_NONE, src, 64, dst,
		64);
	op.user_data = 7;
	memset(&sub, 0, sizeof(sub));
	sub.ops_ptr = (uintptr_t)&op;
	sub.nr = 1;
	if (ioctl(fd, VACCEL_IOC_SUBMIT, &sub) || sub.submitted != 1) {
		perror("SUBMIT");
		return 1;
	}
	pid = fork();
	if (!pid) {
		struct vaccel_completion c;

		if (read(fd, &c, sizeof(c)) != sizeof(c))
			_exit(3);
		_exit(c.user_data == 7 && c.error == -EXDEV && !dst[0] ? 0 : 4);
	}
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0, "child: status %d", status);
	printf("exdev: another mm gets EXDEV\n");
	return check_failures != 0;
}

static int cmd_badargs(void)
{
	struct vaccel_info info;
	int fd = open_dev(0), r;
	char buf[64], out[64];
	struct vaccel_op op;
	uint64_t id = 12345;

	get_info(fd, &info);
	op_init(&op, VIRTIO_ACCEL_OP_NULL, VIRTIO_ACCEL_ALG_NONE, buf, 64, out,
		64);
	op.reserved = 1;
	r = ioctl(fd, VACCEL_IOC_OP, &op);
	CHECK(r < 0 && errno == EINVAL, "reserved: %s", strerror(errno));
	op.reserved = 0;
	op.opcode = 99;
	r = ioctl(fd, VACCEL_IOC_OP, &op);
	CHECK(r < 0 && errno == EOPNOTSUPP, "opcode: %s", strerror(errno));
	op.opcode = VIRTIO_ACCEL_OP_HASH;	/* with ALG_NONE */
	r = ioctl(fd, VACCEL_IOC_OP, &op);
	CHECK(r < 0 && errno == EOPNOTSUPP, "pair: %s", strerror(errno));
	op.opcode = VIRTIO_ACCEL_OP_NULL;
	op.src_len = info.max_data_len + 1;
	r = ioctl(fd, VACCEL_IOC_OP, &op);
	CHECK(r < 0 && errno == EINVAL, "src_len: %s", strerror(errno));
	op.src_len = 64;
	op.flags = 2;
	r = ioctl(fd, VACCEL_IOC_OP, &op);
	CHECK(r < 0 && errno == EINVAL, "flags: %s", strerror(errno));
	op.flags = 0;
	op.queue = info.num_queues;
	r = ioctl(fd, VACCEL_IOC_OP, &op);
	CHECK(r < 0 && errno == EINVAL, "queue: %s", strerror(errno));
	op.queue = VACCEL_QUEUE_ANY;
	op.session_id = id;
	r = ioctl(fd, VACCEL_IOC_OP, &op);
	CHECK(r < 0 && errno == ENOENT, "session: %s", strerror(errno));
	op.session_id = 0;
	op.src_ptr = 8;		/* unmapped */
	r = ioctl(fd, VACCEL_IOC_OP, &op);
	CHECK(r < 0 && errno == EFAULT, "src_ptr: %s", strerror(errno));
	r = ioctl(fd, VACCEL_IOC_SESSION_DESTROY, &id);
	CHECK(r < 0 && errno == ENOENT, "destroy unknown: %s", strerror(errno));
	r = ioctl(fd, _IO(VACCEL_IOC_MAGIC, 0x7f), 0);
	CHECK(r < 0 && errno == ENOTTY, "unknown ioctl: %s", strerror(errno));
	/* the device's own answer, mapped: BADMSG is EINVAL, status kept */
	op_init(&op, VIRTIO_ACCEL_OP_NULL, VIRTIO_ACCEL_ALG_NONE, buf, 64, out,
		32);
	r = ioctl(fd, VACCEL_IOC_OP, &op);
	CHECK(r < 0 && errno == EINVAL && op.status == VIRTIO_ACCEL_BADMSG,
	      "NULL with dst_len != src_len: %s status %u", strerror(errno),
	      op.status);
	printf("badargs: done\n");
	return check_failures != 0;
}

static int cmd_raw(void)
{
	int fd = open_dev(0);
	struct virtio_accel_op_req hdr;
	struct virtio_accel_op_resp resp;
	char src[100], dst[100];
	struct vaccel_iov iov[4];
	struct vaccel_raw raw;

	memset(&hdr, 0, sizeof(hdr));
	hdr.opcode = VIRTIO_ACCEL_OP_NULL;
	hdr.src_len = sizeof(src);
	hdr.dst_len = sizeof(dst);
	memset(src, 0x5a, sizeof(src));
	memset(dst, 0xee, sizeof(dst));
	memset(&resp, 0xee, sizeof(resp));
	iov[0] = (struct vaccel_iov){ (uintptr_t)&hdr, sizeof(hdr) };
	iov[1] = (struct vaccel_iov){ (uintptr_t)src, sizeof(src) };
	iov[2] = (struct vaccel_iov){ (uintptr_t)dst, sizeof(dst) };
	iov[3] = (struct vaccel_iov){ (uintptr_t)&resp, sizeof(resp) };
	memset(&raw, 0, sizeof(raw));
	raw.vq = 1;
	raw.nr_rd = 2;
	raw.nr_wr = 2;
	raw.iov_ptr = (uintptr_t)iov;
	if (ioctl(fd, VACCEL_IOC_RAW, &raw)) {
		perror("VACCEL_IOC_RAW");
		return 1;
	}
	CHECK(raw.used_len == sizeof(dst) + sizeof(resp), "used_len %u",
	      raw.used_len);
	CHECK(resp.status == 0 && !memcmp(src, dst, sizeof(src)),
	      "status %u", resp.status);
	/* a header cut short: BADMSG from the device, not a driver error */
	iov[0].len = 10;
	raw.nr_rd = 1;
	raw.nr_wr = 2;
	iov[1] = iov[2];
	iov[2] = iov[3];
	if (ioctl(fd, VACCEL_IOC_RAW, &raw)) {
		perror("VACCEL_IOC_RAW short");
		return 1;
	}
	CHECK(resp.status == VIRTIO_ACCEL_BADMSG, "short header: status %u",
	      resp.status);
	raw.nr_rd = 0;
	raw.nr_wr = 0;
	CHECK(ioctl(fd, VACCEL_IOC_RAW, &raw) < 0 && errno == EINVAL,
	      "empty chain: %s", strerror(errno));
	printf("raw: done\n");
	return check_failures != 0;
}

/* Blocking ops until one fails; 42 if it is ENODEV. */
static int cmd_loop(unsigned int size)
{
	int fd = open_dev(0), err;
	unsigned long n = 0;
	uint8_t out[32];
	char *buf = calloc(1, size + 1);

	for (;;) {
		err = do_sha(fd, buf, size, out);
		if (err)
			break;
		if (!n++) {
			printf("loop: running\n");
			fflush(stdout);
		}
	}
	printf("loop: %lu ops, then %s\n", n, strerror(-err));
	if (err == -ENODEV) {
		/* the file stays open; everything else fails too */
		struct vaccel_info info;

		if (ioctl(fd, VACCEL_IOC_INFO, &info) == 0 || errno != ENODEV)
			return 1;
		return 42;
	}
	return 1;
}

/* Keep DEPTH async ops in flight until something fails; 42 on ENODEV. */
static int cmd_aloop(unsigned int size, int depth)
{
	int fd = open_dev(0), inflight = 0;
	static struct vaccel_op ops[256];
	struct vaccel_completion c[256];
	unsigned long done = 0;
	char *src = calloc(1, size + 1), *dst;
	int i;

	if (depth < 1 || depth > 256)
		return 2;
	dst = calloc(depth, size + 1);
	for (i = 0; i < depth; i++)
		op_init(&ops[i], VIRTIO_ACCEL_OP_NULL, VIRTIO_ACCEL_ALG_NONE,
			src, size, dst + i * (size + 1), size);
	for (;;) {
		struct vaccel_submit sub = {
			.ops_ptr = (uintptr_t)ops,
			.nr = depth - inflight,
		};
		ssize_t r;

		if (sub.nr && ioctl(fd, VACCEL_IOC_SUBMIT, &sub)) {
			printf("aloop: %lu ops, submit: %s\n", done,
			       strerror(errno));
			return errno == ENODEV ? 42 : 1;
		}
		inflight += sub.submitted;
		r = read(fd, c, sizeof(c));
		if (r < 0) {
			printf("aloop: %lu ops, read: %s\n", done,
			       strerror(errno));
			return errno == ENODEV ? 42 : 1;
		}
		for (i = 0; i < r / (ssize_t)sizeof(c[0]); i++) {
			if (c[i].error) {
				printf("aloop: %lu ops, completion: %s\n",
				       done, strerror(-c[i].error));
				return c[i].error == -ENODEV ? 42 : 1;
			}
			if (!done++) {
				printf("aloop: running\n");
				fflush(stdout);
			}
		}
		inflight -= r / sizeof(c[0]);
	}
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 3) {
		fprintf(stderr, "usage: vaccel-t DEV CMD [ARGS]\n");
		return 2;
	}
	dev = argv[1];
	cmd = argv[2];
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "info"))
		return cmd_info();
	if (!strcmp(cmd, "sha256") && argc == 4)
		return cmd_sha256(argv[3]);
	if (!strcmp(cmd, "sha256-str") && argc == 4)
		return cmd_sha256_str(argv[3]);
	if (!strcmp(cmd, "async") && argc == 5)
		return cmd_async(atoi(argv[3]), atoi(argv[4]));
	if (!strcmp(cmd, "sessions") && argc >= 4)
		return cmd_sessions(atoi(argv[3]), argc > 4);
	if (!strcmp(cmd, "zstreams") && argc == 4)
		return cmd_zstreams(atoi(argv[3]));
	if (!strcmp(cmd, "quota"))
		return cmd_quota();
	if (!strcmp(cmd, "tablefull"))
		return cmd_tablefull();
	if (!strcmp(cmd, "owner"))
		return cmd_owner();
	if (!strcmp(cmd, "exdev"))
		return cmd_exdev();
	if (!strcmp(cmd, "badargs"))
		return cmd_badargs();
	if (!strcmp(cmd, "raw"))
		return cmd_raw();
	if (!strcmp(cmd, "loop") && argc == 4)
		return cmd_loop(atoi(argv[3]));
	if (!strcmp(cmd, "aloop") && argc >= 4)
		return cmd_aloop(atoi(argv[3]), argc > 4 ? atoi(argv[4]) : 64);
	fprintf(stderr, "vaccel-t: unknown command %s\n", cmd);
	return 2;
}
