// SPDX-License-Identifier: BSD-3-Clause
/*
 * vaccel-fault: the guest side of the fault-injection and security tests of
 * the character device (tests/vm/guest/t-fault-guest.sh, t-fault-path1-guest.sh).
 * Uses the uAPI directly; built static.
 *
 *   vaccel-fault isolation DEV0 [DEV1]
 *       per-file session isolation beyond vaccel-t's "owner": async SUBMIT
 *       with another file's session, guessed ids around and bit-flips of a
 *       live id, a destroyed id, a closed file's id, another device's id:
 *       ENOENT for use and destroy, and the owner unaffected; per-file
 *       quotas are per file; a dup()ed or inherited fd is the same file.
 *   vaccel-fault nonroot DEV
 *       a non-root process cannot open DEV (EACCES); one that got the fd
 *       from root can use it but not VACCEL_IOC_RAW (EPERM).
 *   vaccel-fault keys DEV KEYHEX
 *       the key as HMAC and AES-GCM session key, inline, in a stream
 *       session, and once with a length the device refuses; then destroys.
 *   vaccel-fault storm DEV N [SLOW]
 *       N times: a child loops over every ioctl that sleeps (SESSION_CREATE
 *       and DESTROY, blocking OP, SUBMIT, blocking read) and is SIGKILLed
 *       after 1-50 ms (SLOW: 50-600 ms); prints how many kills landed.
 *   vaccel-fault killin DEV WHAT
 *       a child blocked in WHAT (create, op, submit-full, read) is SIGKILLed
 *       as soon as /proc/PID/stat says it sleeps (its wchan is printed);
 *       for a slow device (the path-1 back-end with --test-delay-us), so
 *       that it sleeps in the ioctl and not after it.
 *   vaccel-fault hold-async DEV N SIZE
 *       submits N async NULL ops of SIZE bytes, prints "submitted", sleeps
 *       until killed (the file is closed with them in flight).
 *
 * Exit status: 0 pass, 1 fail, 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_accel_ioctl.h>

#include "vaccel-test.h"

static int open_dev(const char *dev)
{
	int fd = open(dev, O_RDWR);

	if (fd < 0) {
		perror(dev);
		exit(1);
	}
	return fd;
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

static int sess_create(int fd, uint32_t op, uint32_t algo, uint32_t flags,
		       const uint8_t *key, uint32_t klen, uint64_t *id)
{
	struct vaccel_session s;

	memset(&s, 0, sizeof(s));
	s.op = op;
	s.algo = algo;
	s.flags = flags;
	s.key_len = klen;
	s.key_ptr = (uintptr_t)key;
	if (ioctl(fd, VACCEL_IOC_SESSION_CREATE, &s))
		return -errno;
	*id = s.session_id;
	return 0;
}

static const uint8_t mkey[32] = "isolation-test-key-0123456789ab";

static int mac_create(int fd, uint64_t *id)
{
	return sess_create(fd, VIRTIO_ACCEL_OP_MAC,
			   VIRTIO_ACCEL_ALG_HMAC_SHA256, 0, mkey, 32, id);
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

static int destroy(int fd, uint64_t id)
{
	return ioctl(fd, VACCEL_IOC_SESSION_DESTROY, &id) ? -errno : 0;
}

/* async: one MAC op with session @id; 0 or -errno of SUBMIT */
static int mac_submit(int fd, uint64_t id)
{
	static uint8_t out[32];
	struct vaccel_submit sub;
	struct vaccel_op op;

	op_init(&op, VIRTIO_ACCEL_OP_MAC, VIRTIO_ACCEL_ALG_HMAC_SHA256, "abc",
		3, out, 32);
	op.session_id = id;
	memset(&sub, 0, sizeof(sub));
	sub.ops_ptr = (uintptr_t)&op;
	sub.nr = 1;
	if (ioctl(fd, VACCEL_IOC_SUBMIT, &sub))
		return -errno;
	return sub.submitted == 1 ? 0 : -EIO;
}

/* ---- isolation ---------------------------------------------------------- */

/* Neither use nor destroy of @id works from @fd. */
static int refused(int fd, uint64_t id)
{
	return mac_op(fd, id) == -ENOENT && mac_submit(fd, id) == -ENOENT &&
	       destroy(fd, id) == -ENOENT;
}

static int cmd_isolation(const char *d0, const char *d1)
{
	int a = open_dev(d0), b = open_dev(d0), c, fd, i, st, bad;
	struct vaccel_completion comp;
	struct vaccel_info info;
	uint64_t s, s2, t, id;
	unsigned int q, n;
	pid_t pid;

	CHECK(!mac_create(a, &s), "create");
	CHECK(!mac_op(a, s), "owner op");
	/* async SUBMIT with another file's session: refused before the device */
	CHECK(mac_submit(b, s) == -ENOENT, "SUBMIT with a foreign session");
	/* guessed ids: neighbours and every single-bit flip of a live id */
	bad = 0;
	for (i = -64; i <= 64; i++) {
		id = s + (uint64_t)(int64_t)i;
		/* 0 is "no session" (a stateless op), not a guess */
		if (i && id && !refused(b, id)) {
			fprintf(stderr, "guessed id %#llx (owner's %+d) accepted\n",
				(unsigned long long)id, i);
			bad++;
		}
	}
	for (i = 0; i < 64; i++) {
		id = s ^ (1ull << i);
		if (id && !refused(b, id)) {
			fprintf(stderr, "guessed id %#llx (bit %d) accepted\n",
				(unsigned long long)id, i);
			bad++;
		}
	}
	CHECK(!bad, "%d guessed ids accepted", bad);
	CHECK(refused(b, s), "the live id itself from another file");
	CHECK(destroy(b, 0) == -ENOENT && mac_op(b, 0) != 0, "id 0");
	CHECK(refused(b, ~0ull), "id ~0");
	/* the owner is unaffected by all that */
	CHECK(!mac_op(a, s), "owner op after the attempts");
	/* ids the owner does not have are not its either */
	CHECK(refused(a, s + 1) && refused(a, s ^ (1ull << 40)),
	      "owner with ids it does not hold");
	/* a dup()ed fd, or one inherited over fork, is the same file */
	fd = dup(a);
	CHECK(!mac_op(fd, s), "dup()ed fd: same file, same sessions");
	close(fd);
	pid = fork();
	if (!pid)
		_exit(mac_op(a, s) ? 1 : 0);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	      !WEXITSTATUS(st), "inherited fd: same file, same sessions");
	/* the async op of the owner completes normally, in its own file */
	CHECK(!mac_submit(a, s), "owner SUBMIT");
	for (i = 0; i < 100; i++) {
		struct pollfd p = { .fd = a, .events = POLLIN };

		if (poll(&p, 1, 100) > 0)
			break;
	}
	CHECK(read(a, &comp, sizeof(comp)) == sizeof(comp) && !comp.error,
	      "owner reaps its completion");
	/* destroyed: dead for its owner too */
	CHECK(!destroy(a, s), "destroy");
	CHECK(refused(a, s), "destroyed id, from its old owner");
	/* a closed file's sessions die with it */
	c = open_dev(d0);
	CHECK(!mac_create(c, &s2), "create in a file to be closed");
	close(c);
	CHECK(refused(b, s2), "a closed file's id");
	/* another device's session */
	if (d1) {
		int e = open_dev(d1);
		uint64_t mine;

		CHECK(!mac_create(e, &t), "create on %s", d1);
		CHECK(!mac_create(a, &mine), "create on %s", d0);
		if (t != mine)
			CHECK(refused(a, t), "%s's session used on %s", d1, d0);
		CHECK(refused(b, t), "%s's session from another file of %s",
		      d1, d0);
		CHECK(!mac_op(e, t), "owner on %s unaffected", d1);
		CHECK(!destroy(a, mine), "cleanup");
		close(e);
	}
	/* per-file quotas: a full file does not limit another */
	memset(&info, 0, sizeof(info));
	CHECK(!ioctl(a, VACCEL_IOC_INFO, &info), "INFO");
	q = info.max_sessions_per_file;
	for (n = 0; n < q + 1; n++)
		if (mac_create(a, &id))
			break;
	CHECK(n == q, "file A: %u sessions before EDQUOT (quota %u)", n, q);
	CHECK(mac_create(a, &id) == -EDQUOT, "file A over quota: EDQUOT");
	CHECK(!mac_create(b, &id), "file B still creates with A at its quota");
	CHECK(!mac_op(b, id), "and uses it");
	close(a);
	close(b);
	printf("isolation: ok (quota %u)\n", q);
	return check_failures != 0;
}

/* ---- nonroot ------------------------------------------------------------- */

static void drop_root(void)
{
	gid_t g = 65534;

	if (setgroups(1, &g) || setgid(65534) || setuid(65534)) {
		perror("drop root");
		_exit(3);
	}
}

static int cmd_nonroot(const char *dev)
{
	int fd = open_dev(dev), st;
	pid_t pid;

	pid = fork();
	if (!pid) {
		int f, r = 0;

		drop_root();
		f = open(dev, O_RDWR);
		if (f >= 0 || errno != EACCES) {
			fprintf(stderr, "non-root open O_RDWR: %s\n",
				f >= 0 ? "succeeded" : strerror(errno));
			r = 1;
		}
		f = open(dev, O_RDONLY);
		if (f >= 0 || errno != EACCES) {
			fprintf(stderr, "non-root open O_RDONLY: %s\n",
				f >= 0 ? "succeeded" : strerror(errno));
			r = 1;
		}
		_exit(r);
	}
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	      !WEXITSTATUS(st), "a non-root process opened %s", dev);
	pid = fork();
	if (!pid) {
		struct vaccel_iov iov[2];
		struct vaccel_raw raw;
		uint8_t hdr[64] = { 0 }, resp[16];
		uint64_t id;
		int r = 0;

		drop_root();
		memset(&raw, 0, sizeof(raw));
		iov[0].base = (uintptr_t)hdr;
		iov[0].len = sizeof(hdr);
		iov[1].base = (uintptr_t)resp;
		iov[1].len = sizeof(resp);
		raw.vq = 1;
		raw.nr_rd = 1;
		raw.nr_wr = 1;
		raw.iov_ptr = (uintptr_t)iov;
		if (!ioctl(fd, VACCEL_IOC_RAW, &raw) || errno != EPERM) {
			fprintf(stderr, "RAW without CAP_SYS_ADMIN: %s\n",
				strerror(errno));
			r = 1;
		}
		/* the fd itself is the right to use the device */
		if (mac_create(fd, &id) || mac_op(fd, id)) {
			fprintf(stderr, "session with the inherited fd failed\n");
			r = 1;
		}
		_exit(r);
	}
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	      !WEXITSTATUS(st), "RAW by a non-root holder of the fd");
	close(fd);
	printf("nonroot: open EACCES, RAW EPERM, the fd usable\n");
	return check_failures != 0;
}

/* ---- keys ---------------------------------------------------------------- */

static int parse_key(const char *hex, uint8_t *key, unsigned int max)
{
	unsigned int n, b;

	if (strlen(hex) % 2 || strlen(hex) / 2 > max)
		return -1;
	for (n = 0; hex[2 * n]; n++) {
		if (sscanf(hex + 2 * n, "%2x", &b) != 1)
			return -1;
		key[n] = (uint8_t)b;
	}
	return (int)n;
}

static int cmd_keys(const char *dev, const char *hex)
{
	static const uint8_t iv[12] = "dmesg-iv-012";
	uint8_t key[64], m1[32], m2[32], ct[64], pt[48];
	struct vaccel_op op;
	uint64_t hs, gs, ds, ss;
	int fd = open_dev(dev), klen;

	klen = parse_key(hex, key, sizeof(key));
	if (klen != 32)
		return 2;
	CHECK(!sess_create(fd, VIRTIO_ACCEL_OP_MAC, VIRTIO_ACCEL_ALG_HMAC_SHA256,
			   0, key, 32, &hs), "HMAC session");
	CHECK(!sess_create(fd, VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
			   VIRTIO_ACCEL_ALG_AES256_GCM, 0, key, 32, &gs),
	      "GCM session");
	CHECK(!sess_create(fd, VIRTIO_ACCEL_OP_AEAD_DECRYPT,
			   VIRTIO_ACCEL_ALG_AES256_GCM, 0, key, 32, &ds),
	      "GCM decrypt session");
	CHECK(!sess_create(fd, VIRTIO_ACCEL_OP_MAC, VIRTIO_ACCEL_ALG_HMAC_SHA256,
			   VIRTIO_ACCEL_SESS_F_STREAM, key, 32, &ss),
	      "HMAC stream session");
	op_init(&op, VIRTIO_ACCEL_OP_MAC, VIRTIO_ACCEL_ALG_HMAC_SHA256, "abc",
		3, m1, 32);
	op.session_id = hs;
	CHECK(!ioctl(fd, VACCEL_IOC_OP, &op), "HMAC on the session");
	op_init(&op, VIRTIO_ACCEL_OP_MAC, VIRTIO_ACCEL_ALG_HMAC_SHA256, "abc",
		3, m2, 32);
	op.key_ptr = (uintptr_t)key;
	op.key_len = 32;
	CHECK(!ioctl(fd, VACCEL_IOC_OP, &op) && !memcmp(m1, m2, 32),
	      "inline HMAC: %s", strerror(errno));
	op_init(&op, VIRTIO_ACCEL_OP_MAC, VIRTIO_ACCEL_ALG_HMAC_SHA256, "abc",
		3, m2, 32);
	op.session_id = ss;
	op.flags = VIRTIO_ACCEL_OP_F_FINAL;
	CHECK(!ioctl(fd, VACCEL_IOC_OP, &op) && !memcmp(m1, m2, 32),
	      "HMAC stream: %s", strerror(errno));
	op_init(&op, VIRTIO_ACCEL_OP_AEAD_ENCRYPT, VIRTIO_ACCEL_ALG_AES256_GCM,
		"0123456789abcdef0123456789abcdef", 32, ct, 48);
	op.session_id = gs;
	op.iv_ptr = (uintptr_t)iv;
	op.iv_len = 12;
	CHECK(!ioctl(fd, VACCEL_IOC_OP, &op), "GCM encrypt: %s",
	      strerror(errno));
	op_init(&op, VIRTIO_ACCEL_OP_AEAD_DECRYPT, VIRTIO_ACCEL_ALG_AES256_GCM,
		ct, 48, pt, 32);
	op.key_ptr = (uintptr_t)key;
	op.key_len = 32;
	op.iv_ptr = (uintptr_t)iv;
	op.iv_len = 12;
	CHECK(!ioctl(fd, VACCEL_IOC_OP, &op) &&
	      !memcmp(pt, "0123456789abcdef0123456789abcdef", 32),
	      "inline GCM decrypt: %s", strerror(errno));
	/* refused by the device: its debug output names the failure */
	op_init(&op, VIRTIO_ACCEL_OP_AEAD_ENCRYPT, VIRTIO_ACCEL_ALG_AES256_GCM,
		"x", 1, ct, 17);
	op.key_ptr = (uintptr_t)key;
	op.key_len = 31;
	op.iv_ptr = (uintptr_t)iv;
	op.iv_len = 12;
	CHECK(ioctl(fd, VACCEL_IOC_OP, &op) < 0, "31-byte GCM key accepted");
	CHECK(sess_create(fd, VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
			  VIRTIO_ACCEL_ALG_AES256_GCM, 0, key, 31, &gs) < 0,
	      "31-byte GCM session key accepted");
	CHECK(!destroy(fd, hs) && !destroy(fd, ds), "destroy");
	close(fd);	/* destroys the rest */
	explicit_bzero(key, sizeof(key));
	printf("keys: used and destroyed\n");
	return check_failures != 0;
}

/* ---- storm ---------------------------------------------------------------- */

static void storm_child(const char *dev)
{
	static uint8_t buf[65536 + 64], out[65536 + 64];
	static struct vaccel_op ops[64];
	struct vaccel_completion c[64];
	int fd = open_dev(dev), fd2 = open_dev(dev);
	unsigned int i = 0;
	uint64_t id = 0;

	for (;; i++) {
		struct vaccel_submit sub = { .ops_ptr = (uintptr_t)ops };
		struct vaccel_op op;
		unsigned int k;

		switch (i % 5) {
		case 0:	/* control queue: create, use, sometimes destroy */
			if (!mac_create(fd, &id)) {
				mac_op(fd, id);
				if (i % 10)
					destroy(fd, id);
			}
			break;
		case 1:	/* blocking op of 64 KiB */
			op_init(&op, VIRTIO_ACCEL_OP_HASH,
				VIRTIO_ACCEL_ALG_SHA256, buf, 65536, out, 32);
			ioctl(fd, VACCEL_IOC_OP, &op);
			break;
		case 2:	/* async batch, left in flight */
			for (k = 0; k < 64; k++)
				op_init(&ops[k], VIRTIO_ACCEL_OP_NULL,
					VIRTIO_ACCEL_ALG_NONE, buf, 4096, out,
					4096);
			sub.nr = 64;
			ioctl(fd2, VACCEL_IOC_SUBMIT, &sub);
			break;
		case 3:	/* blocking read of completions */
			if (read(fd2, c, sizeof(c)) < 0 && errno != EAGAIN)
				break;
			break;
		default: /* a stream session and an op on it */
			if (!sess_create(fd, VIRTIO_ACCEL_OP_HASH,
					 VIRTIO_ACCEL_ALG_SHA256,
					 VIRTIO_ACCEL_SESS_F_STREAM, NULL, 0,
					 &id)) {
				op_init(&op, VIRTIO_ACCEL_OP_HASH,
					VIRTIO_ACCEL_ALG_SHA256, buf, 4096,
					out, 0);
				op.session_id = id;
				ioctl(fd, VACCEL_IOC_OP, &op);
			}
			break;
		}
	}
}

static unsigned int rnd(unsigned int n)
{
	static uint64_t x = 88172645463325252ull;

	if (x == 88172645463325252ull)
		x ^= (uint64_t)time(NULL) * 2654435761u ^ (uint64_t)getpid();
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return (unsigned int)(x % n);
}

static int cmd_storm(const char *dev, unsigned int n, int slow)
{
	unsigned int i, killed = 0;

	for (i = 0; i < n; i++) {
		pid_t pid = fork();
		int st;

		if (!pid) {
			storm_child(dev);
			_exit(0);
		}
		usleep(slow ? 50000 + rnd(550000) : 1000 + rnd(49000));
		kill(pid, SIGKILL);
		if (waitpid(pid, &st, 0) == pid && WIFSIGNALED(st))
			killed++;
	}
	printf("storm: %u of %u children SIGKILLed mid-work\n", killed, n);
	return killed == n ? 0 : 1;
}

/* ---- killin --------------------------------------------------------------- */

/* the kernel function a task sleeps in, from /proc/PID/wchan */
static void wchan(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t r;
	int f;

	snprintf(path, sizeof(path), "/proc/%d/wchan", (int)pid);
	buf[0] = 0;
	f = open(path, O_RDONLY);
	if (f < 0)
		return;
	r = read(f, buf, len - 1);
	close(f);
	buf[r > 0 ? r : 0] = 0;
}

/* R, S, D ... from /proc/PID/stat */
static char task_state(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t r;
	int f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = open(path, O_RDONLY);
	if (f < 0)
		return '?';
	r = read(f, buf, sizeof(buf) - 1);
	close(f);
	buf[r > 0 ? r : 0] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

static int cmd_killin(const char *dev, const char *what)
{
	char wc[128] = "";
	int i, st, p[2];
	pid_t pid;

	if (pipe(p))
		return 1;
	pid = fork();
	if (!pid) {
		static uint8_t buf[4096], out[4096];
		static struct vaccel_op ops[1024];
		int fd = open_dev(dev);
		struct vaccel_completion c;
		struct vaccel_submit sub;
		struct vaccel_op op;
		uint64_t id;

		close(p[0]);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		if (!strcmp(what, "create")) {
			mac_create(fd, &id);
		} else if (!strcmp(what, "op")) {
			op_init(&op, VIRTIO_ACCEL_OP_HASH,
				VIRTIO_ACCEL_ALG_SHA256, buf, 4096, out, 32);
			ioctl(fd, VACCEL_IOC_OP, &op);
		} else if (!strcmp(what, "submit-full")) {
			/* more than a ring holds, all on data queue 0 */
			for (i = 0; i < 1024; i++) {
				op_init(&ops[i], VIRTIO_ACCEL_OP_NULL,
					VIRTIO_ACCEL_ALG_NONE, buf, 64, out,
					64);
				ops[i].queue = 0;
			}
			memset(&sub, 0, sizeof(sub));
			sub.ops_ptr = (uintptr_t)ops;
			sub.nr = 1024;
			ioctl(fd, VACCEL_IOC_SUBMIT, &sub);
		} else if (!strcmp(what, "read")) {
			op_init(&op, VIRTIO_ACCEL_OP_NULL,
				VIRTIO_ACCEL_ALG_NONE, buf, 64, out, 64);
			memset(&sub, 0, sizeof(sub));
			sub.ops_ptr = (uintptr_t)&op;
			sub.nr = 1;
			ioctl(fd, VACCEL_IOC_SUBMIT, &sub);
			if (read(fd, &c, sizeof(c)) != sizeof(c))
				_exit(1);
			/* then a read with nothing submitted: sleeps */
			if (read(fd, &c, sizeof(c)) < 0)
				_exit(1);
		}
		fprintf(stderr, "killin: %s returned before the kill\n", what);
		_exit(1);
	}
	close(p[1]);
	if (read(p[0], wc, 1) != 1)
		return 1;
	/* the moment it sleeps (in the ioctl: it makes no other call) */
	for (i = 0; i < 5000; i++) {
		if (task_state(pid) == 'S' || task_state(pid) == 'D')
			break;
		usleep(1000);
	}
	wchan(pid, wc, sizeof(wc));
	CHECK(task_state(pid) == 'S' || task_state(pid) == 'D',
	      "%s: child not sleeping (state %c)", what, task_state(pid));
	kill(pid, SIGKILL);
	CHECK(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st),
	      "%s: child ended by itself (status 0x%x)", what, st);
	printf("killin: %s: SIGKILLed while sleeping in %s\n", what,
	       wc[0] ? wc : "?");
	return check_failures != 0;
}

/* ---- hold-async ----------------------------------------------------------- */

static int cmd_hold_async(const char *dev, unsigned int n, unsigned int size)
{
	struct vaccel_submit sub;
	struct vaccel_op *ops = calloc(n, sizeof(*ops));
	uint8_t *buf = calloc(1, size), *out = calloc(n, size);
	int fd = open_dev(dev);
	unsigned int i, done = 0;

	if (!ops || !buf || !out)
		return 1;
	for (i = 0; i < n; i++)
		op_init(&ops[i], VIRTIO_ACCEL_OP_NULL, VIRTIO_ACCEL_ALG_NONE,
			buf, size, out + (size_t)i * size, size);
	while (done < n) {
		memset(&sub, 0, sizeof(sub));
		sub.ops_ptr = (uintptr_t)(ops + done);
		sub.nr = n - done;
		if (ioctl(fd, VACCEL_IOC_SUBMIT, &sub)) {
			perror("SUBMIT");
			return 1;
		}
		done += sub.submitted;
	}
	printf("submitted %u\n", n);
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && !strcmp(argv[1], "isolation"))
		return cmd_isolation(argv[2], argc > 3 ? argv[3] : NULL);
	if (argc == 3 && !strcmp(argv[1], "nonroot"))
		return cmd_nonroot(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "keys"))
		return cmd_keys(argv[2], argv[3]);
	if (argc >= 4 && !strcmp(argv[1], "storm"))
		return cmd_storm(argv[2], (unsigned int)atoi(argv[3]),
				 argc > 4);
	if (argc == 4 && !strcmp(argv[1], "killin"))
		return cmd_killin(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "hold-async"))
		return cmd_hold_async(argv[2], (unsigned int)atoi(argv[3]),
				      (unsigned int)atoi(argv[4]));
	fprintf(stderr, "usage: vaccel-fault isolation DEV0 [DEV1] | nonroot DEV |\n"
		"       keys DEV KEYHEX | storm DEV N [slow] | killin DEV WHAT |\n"
		"       hold-async DEV N SIZE\n");
	return 2;
}
