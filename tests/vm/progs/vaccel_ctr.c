// SPDX-License-Identifier: BSD-3-Clause
/*
 * vaccel-ctr: the container test's probe (tests/vm/guest/t-container-guest.sh),
 * run inside a container, linked statically with libvirtaccel.
 *
 *   vaccel-ctr session DEV      create an HMAC-SHA-256 session, use it once
 *                               (must work), print "id=<decimal>" and stay
 *                               (the session alive) until killed
 *   vaccel-ctr use DEV ID       one HMAC request with session ID: prints
 *                               "refused: <errno>" and exits 0 if the device
 *                               refused it, "accepted" and 3 if it ran
 *   vaccel-ctr hold DEV         open DEV and print, before and after, this
 *                               process's VmPin and its memory cgroup's
 *                               memory.current, anon and kernel
 *                               (memory.stat): "pin A B current A B
 *                               anon A B kernel A B" (bytes);
 *                               then close
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vaccel-test.h"
#include "virtaccel.h"

static const uint8_t key[32] = { 1, 2, 3, 4, 5, 6, 7, 8 };

static struct virtaccel_dev *open_or_die(const char *ds)
{
	struct virtaccel_dev *dev;
	int ret = virtaccel_open(ds, NULL, &dev);

	if (ret)
		die("%s: %s%s%s", ds, strerror(-ret),
		    *virtaccel_last_error() ? ": " : "", virtaccel_last_error());
	return dev;
}

static int mac_with(struct virtaccel_dev *dev, uint64_t id)
{
	static const char msg[] = "session isolation";
	uint8_t out[32];
	struct virtaccel_op op = {
		.opcode = VIRTIO_ACCEL_OP_MAC,
		.algo = VIRTIO_ACCEL_ALG_HMAC_SHA256,
		.session_id = id,
		.src = msg,
		.src_len = sizeof(msg) - 1,
		.dst = out,
		.dst_len = sizeof(out),
	};

	return virtaccel_run(dev, &op);
}

static unsigned long long status_kb(const char *field)
{
	unsigned long long v = 0;
	size_t n = strlen(field);
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':')
			v = strtoull(line + n + 1, NULL, 10);
	fclose(f);
	return v << 10;
}

/* memory.current, memory.stat's anon and kernel of this process's cgroup */
static void cg_mem(unsigned long long *cur, unsigned long long *anon,
		   unsigned long long *kern)
{
	char line[512], path[700], cg[512] = "";
	FILE *f = fopen("/proc/self/cgroup", "r");

	*cur = *anon = *kern = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			snprintf(cg, sizeof(cg), "%s", line + 3);
			cg[strcspn(cg, "\n")] = '\0';
		}
	fclose(f);
	snprintf(path, sizeof(path), "/sys/fs/cgroup%s/memory.current", cg);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%llu", cur) != 1)
			*cur = 0;
		fclose(f);
	}
	snprintf(path, sizeof(path), "/sys/fs/cgroup%s/memory.stat", cg);
	f = fopen(path, "r");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "anon ", 5))
				*anon = strtoull(line + 5, NULL, 10);
			else if (!strncmp(line, "kernel ", 7))
				*kern = strtoull(line + 7, NULL, 10);
		fclose(f);
	}
}

int main(int argc, char **argv)
{
	struct virtaccel_dev *dev;
	uint64_t id = 0;
	int ret;

	if (argc == 3 && !strcmp(argv[1], "session")) {
		dev = open_or_die(argv[2]);
		ret = virtaccel_session_create(dev, VIRTIO_ACCEL_OP_MAC,
					       VIRTIO_ACCEL_ALG_HMAC_SHA256, 0,
					       key, sizeof(key), &id);
		if (ret)
			die("session create: %s", strerror(-ret));
		ret = mac_with(dev, id);
		if (ret)
			die("request with its own session: %s", strerror(-ret));
		printf("id=%llu\n", (unsigned long long)id);
		fflush(stdout);
		for (;;)
			pause();
	}
	if (argc == 4 && !strcmp(argv[1], "use")) {
		dev = open_or_die(argv[2]);
		ret = mac_with(dev, strtoull(argv[3], NULL, 0));
		virtaccel_close(dev);
		if (!ret) {
			printf("accepted\n");
			return 3;
		}
		printf("refused: %s\n", strerror(-ret));
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "hold")) {
		unsigned long long p0, p1, c0, c1, a0, a1, k0, k1;

		p0 = status_kb("VmPin");
		cg_mem(&c0, &a0, &k0);
		dev = open_or_die(argv[2]);
		p1 = status_kb("VmPin");
		cg_mem(&c1, &a1, &k1);
		printf("pin %llu %llu current %llu %llu anon %llu %llu kernel %llu %llu\n",
		       p0, p1, c0, c1, a0, a1, k0, k1);
		virtaccel_close(dev);
		return 0;
	}
	fprintf(stderr, "usage: vaccel-ctr session DEV | use DEV ID | hold DEV\n");
	return 2;
}
