// SPDX-License-Identifier: BSD-3-Clause
/*
 * vaccel-lib-loss: libvirtaccel over vhost-vdpa against a device that is
 * late to set HW_READY ([CFG-READY], [DRV-READY]) and one that loses its
 * sessions ([SESS-LOSS], [DRV-NEEDS-RESET]); the guest side of
 * tests/vm/host/t-loss-run.sh.
 *
 *   vaccel-lib-loss /dev/vhost-vdpa-N VDPA_SYSFS_DIR
 *
 * VDPA_SYSFS_DIR: /sys/bus/vdpa/devices/NAME of vdpa_accel (its
 * hw_ready_delay_ms and lose_sessions attributes). TAP lines, then
 * "vaccel-lib-loss: N passed, N failed"; exit 0 if all passed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <virtaccel.h>

#include "vaccel-test.h"

#define SRC_LEN	4096

static uint8_t src[SRC_LEN];

static int put(const char *dir, const char *attr, const char *val)
{
	char path[512];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		ret = -errno;
	close(fd);
	return ret;
}

static int digest(struct virtaccel_dev *dev, uint64_t sid, uint8_t *out)
{
	struct virtaccel_op op;

	memset(&op, 0, sizeof(op));
	op.opcode = VIRTIO_ACCEL_OP_HASH;
	op.algo = VIRTIO_ACCEL_ALG_SHA256;
	op.session_id = sid;
	op.src = src;
	op.src_len = SRC_LEN;
	op.dst = out;
	op.dst_len = 32;
	return virtaccel_run(dev, &op);
}

int main(int argc, char **argv)
{
	uint8_t ref[32], out[32];
	struct virtaccel_dev *dev = NULL;
	char devstr[300];
	uint64_t sid = 0, sid2 = 0, t0, ms;
	unsigned int i;
	int ret;

	if (argc != 3) {
		fprintf(stderr, "usage: vaccel-lib-loss /dev/vhost-vdpa-N VDPA_SYSFS_DIR\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(devstr, sizeof(devstr), "vhost-vdpa:%s", argv[1]);
	for (i = 0; i < SRC_LEN; i++)
		src[i] = (uint8_t)(i * 13 + 1);

	/* [DRV-READY]: HW_READY 400 ms after DRIVER_OK */
	ret = put(argv[2], "hw_ready_delay_ms", "400");
	if (ret)
		die("hw_ready_delay_ms: %s", strerror(-ret));
	t0 = now_ms();
	ret = virtaccel_open(devstr, NULL, &dev);
	ms = now_ms() - t0;
	printf("# open with HW_READY 400 ms late: %s after %llu ms\n",
	       strerror(-ret), (unsigned long long)ms);
	tap(!ret, "open succeeds when HW_READY comes 400 ms after DRIVER_OK");
	tap(ret || ms >= 350, "... after waiting for it (>= 350 ms)");
	if (!ret) {
		ret = digest(dev, 0, ref);
		tap(!ret, "a digest on the late device");
		virtaccel_close(dev);
		dev = NULL;
	}
	put(argv[2], "hw_ready_delay_ms", "0");

	/* [SESS-LOSS] */
	ret = virtaccel_open(devstr, NULL, &dev);
	if (ret)
		die("virtaccel_open %s: %s", devstr, strerror(-ret));
	ret = digest(dev, 0, ref);
	if (ret)
		die("stateless digest: %s", strerror(-ret));
	ret = virtaccel_session_create(dev, VIRTIO_ACCEL_OP_HASH,
				       VIRTIO_ACCEL_ALG_SHA256, 0, NULL, 0,
				       &sid);
	tap(!ret, "a session before the loss");
	ret = digest(dev, sid, out);
	tap(!ret && !memcmp(out, ref, 32), "its digest is right");
	ret = put(argv[2], "lose_sessions", "1");
	tap(!ret, "the device loses its sessions (lose_sessions)");
	ret = digest(dev, sid, out);
	printf("# request on the lost session: %s (%d)\n", strerror(-ret),
	       ret);
	tap(ret == -ESTALE, "a request on the lost session fails with -ESTALE");
	ret = digest(dev, 0, out);
	tap(ret == -ESTALE, "after that, requests are refused with -ESTALE (the device needs a reset)");
	ret = virtaccel_session_create(dev, VIRTIO_ACCEL_OP_HASH,
				       VIRTIO_ACCEL_ALG_SHA256, 0, NULL, 0,
				       &sid2);
	tap(ret == -ESTALE, "... and so is a new session");
	virtaccel_close(dev);
	dev = NULL;

	ret = virtaccel_open(devstr, NULL, &dev);
	tap(!ret, "close and open again: the device is reset");
	if (ret)
		return tap_finish("vaccel-lib-loss");
	ret = virtaccel_session_create(dev, VIRTIO_ACCEL_OP_HASH,
				       VIRTIO_ACCEL_ALG_SHA256, 0, NULL, 0,
				       &sid2);
	tap(!ret, "a new session after the reopen");
	memset(out, 0, sizeof(out));
	ret = digest(dev, sid2, out);
	tap(!ret && !memcmp(out, ref, 32), "its digest is right");
	memset(out, 0, sizeof(out));
	ret = digest(dev, 0, out);
	tap(!ret && !memcmp(out, ref, 32), "a stateless digest is right");
	virtaccel_close(dev);
	return tap_finish("vaccel-lib-loss");
}
