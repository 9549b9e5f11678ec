// SPDX-License-Identifier: BSD-3-Clause
/*
 * vaccel-loss: the guest side of tests/vm/host/t-loss-run.sh. A device
 * loses its sessions under a load of /dev/vaccelN requests ([SESS-LOSS],
 * [DRV-NEEDS-RESET]): what the users of the lost sessions see.
 *
 *   vaccel-loss DEV LOSE_FILE RESETS_FILE DEPTH
 *
 * Creates a SHA-256 session S, checks a digest on it against a stateless
 * one, puts DEPTH async digests on S in flight, writes 1 to LOSE_FILE (the
 * vDPA parent's lose_sessions) and reaps them: each must complete exactly
 * once, with the right digest (done before the loss), ECANCELED (in flight
 * at the driver's reset) or ENOENT (INVSESS: the device answered it after
 * the loss, before the reset). Then, once RESETS_FILE (sysfs resets)
 * moved: a blocking and an async request on S fail with ESTALE, destroying
 * S succeeds, and a new session gives the right digest again.
 * Prints "LOSS: ..." counts; exit 0 if all holds, 1 otherwise, 2 usage.
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
#include <unistd.h>

#include <linux/virtio_accel_ioctl.h>

#include "vaccel-test.h"

#define MAX_DEPTH	256
#define SRC_LEN		32768

static uint8_t src[SRC_LEN];
static uint8_t ref[32];
static uint8_t dst[MAX_DEPTH][32];
static unsigned int seen[MAX_DEPTH];

static void op_init(struct vaccel_op *op, uint64_t sid, uint8_t *out)
{
	memset(op, 0, sizeof(*op));
	op->opcode = VIRTIO_ACCEL_OP_HASH;
	op->algo = VIRTIO_ACCEL_ALG_SHA256;
	op->queue = VACCEL_QUEUE_ANY;
	op->session_id = sid;
	op->src_ptr = (uintptr_t)src;
	op->src_len = SRC_LEN;
	op->dst_ptr = (uintptr_t)out;
	op->dst_len = 32;
}

static int digest(int fd, uint64_t sid, uint8_t *out)
{
	struct vaccel_op op;

	op_init(&op, sid, out);
	return ioctl(fd, VACCEL_IOC_OP, &op) ? -errno : 0;
}

static int session(int fd, uint64_t *sid)
{
	struct vaccel_session s;

	memset(&s, 0, sizeof(s));
	s.op = VIRTIO_ACCEL_OP_HASH;
	s.algo = VIRTIO_ACCEL_ALG_SHA256;
	if (ioctl(fd, VACCEL_IOC_SESSION_CREATE, &s))
		return -errno;
	*sid = s.session_id;
	return 0;
}

static long read_long(const char *path)
{
	char buf[32] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return strtol(buf, NULL, 0);
}

int main(int argc, char **argv)
{
	unsigned int depth, i, done = 0, ok = 0, canceled = 0, invsess = 0;
	unsigned int other = 0, wrong = 0, dup = 0;
	struct vaccel_op ops[MAX_DEPTH], op;
	struct vaccel_submit sub;
	uint64_t sid, sid2, t0;
	uint8_t out[32];
	long resets0;
	int fd, lf, err, rc = 0;

	if (argc != 5)
		goto usage;
	depth = (unsigned int)strtoul(argv[4], NULL, 0);
	if (!depth || depth > MAX_DEPTH)
		goto usage;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < SRC_LEN; i++)
		src[i] = (uint8_t)(i * 7 + 3);
	fd = open(argv[1], O_RDWR | O_NONBLOCK);
	if (fd < 0)
		die_errno(argv[1]);
	lf = open(argv[2], O_WRONLY);
	if (lf < 0)
		die_errno(argv[2]);
	resets0 = read_long(argv[3]);
	err = digest(fd, 0, ref);
	if (err)
		die("stateless digest: %s", strerror(-err));
	err = session(fd, &sid);
	if (err)
		die("SESSION_CREATE: %s", strerror(-err));
	err = digest(fd, sid, out);
	tap(!err && !memcmp(out, ref, 32), "session digest equals the stateless one before the loss");

	for (i = 0; i < depth; i++) {
		op_init(&ops[i], sid, dst[i]);
		ops[i].user_data = i;
	}
	memset(&sub, 0, sizeof(sub));
	sub.ops_ptr = (uintptr_t)ops;
	sub.nr = depth;
	if (ioctl(fd, VACCEL_IOC_SUBMIT, &sub) || sub.submitted != depth)
		die("SUBMIT: %u of %u: %s", sub.submitted, depth,
		    strerror(errno));
	/* the loss, with requests in flight */
	if (write(lf, "1\n", 2) != 2)
		die_errno("lose_sessions");
	t0 = now_ms();
	while (done < depth && now_ms() - t0 < 60000) {
		struct vaccel_completion c[64];
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;
		unsigned int k;

		poll(&p, 1, 1000);
		r = read(fd, c, sizeof(c));
		if (r < 0) {
			if (errno == EAGAIN)
				continue;
			die_errno("read");
		}
		for (k = 0; k < r / sizeof(c[0]); k++) {
			unsigned int u = (unsigned int)c[k].user_data;

			if (u >= depth || seen[u]++) {
				dup++;
				continue;
			}
			done++;
			if (!c[k].error) {
				ok++;
				if (memcmp(dst[u], ref, 32))
					wrong++;
			} else if (c[k].error == -ECANCELED) {
				canceled++;
			} else if (c[k].error == -ENOENT &&
				   c[k].status == VIRTIO_ACCEL_INVSESS) {
				invsess++;
			} else {
				other++;
				fprintf(stderr, "request %u: error %d status %u\n",
					u, c[k].error, c[k].status);
			}
		}
	}
	printf("LOSS: depth=%u completed=%u ok=%u canceled=%u invsess=%u other=%u wrong=%u duplicates=%u\n",
	       depth, done, ok, canceled, invsess, other, wrong, dup);
	tap(done == depth && !dup, "every request in flight at the loss completed exactly once");
	tap(!wrong, "no request completed OK with a wrong digest");
	tap(!other, "failed requests: ECANCELED or INVSESS (ENOENT), nothing else");
	tap(canceled + invsess > 0, "the loss cut off some requests (load was in flight)");

	t0 = now_ms();
	while (read_long(argv[3]) <= resets0 && now_ms() - t0 < 20000)
		usleep(50000);
	tap(read_long(argv[3]) == resets0 + 1, "the driver reset the device once");
	err = digest(fd, sid, out);
	printf("LOSS: request on the lost session: %s\n", strerror(-err));
	tap(err == -ESTALE, "a blocking request on the lost session fails with ESTALE");
	op_init(&op, sid, out);
	memset(&sub, 0, sizeof(sub));
	sub.ops_ptr = (uintptr_t)&op;
	sub.nr = 1;
	err = ioctl(fd, VACCEL_IOC_SUBMIT, &sub) ? -errno : 0;
	tap(err == -ESTALE && !sub.submitted, "an async request on the lost session is refused with ESTALE");
	tap(!ioctl(fd, VACCEL_IOC_SESSION_DESTROY, &sid), "destroying the lost session succeeds");
	err = digest(fd, sid, out);
	tap(err == -ENOENT, "... and its id is unknown afterwards (ENOENT)");
	err = session(fd, &sid2);
	tap(!err, "a new session after the reset");
	if (!err) {
		memset(out, 0, sizeof(out));
		err = digest(fd, sid2, out);
		tap(!err && !memcmp(out, ref, 32), "the new session gives the right digest");
		tap(!ioctl(fd, VACCEL_IOC_SESSION_DESTROY, &sid2), "the new session is destroyed");
	}
	memset(out, 0, sizeof(out));
	err = digest(fd, 0, out);
	tap(!err && !memcmp(out, ref, 32), "a stateless digest after the reset is right");
	rc = tap_finish("vaccel-loss");
	close(lf);
	close(fd);
	return rc;
usage:
	fprintf(stderr, "usage: vaccel-loss DEV LOSE_FILE RESETS_FILE DEPTH\n");
	return 2;
}
