// SPDX-License-Identifier: BSD-3-Clause
/*
 * vaccel-vhost-test: drive a vdpa_accel device through /dev/vhost-vdpa-N
 * with no library: features, config, IOTLB (VHOST_IOTLB_MSG_V2), split
 * rings in an mmap()ed buffer, status, then a few requests. It proves the
 * parent's data path before the real users (guest driver, library) exist.
 *
 * usage: vaccel-vhost-test [/dev/vhost-vdpa-0]
 * Prints "ok N - ..." lines; exit 0 when all pass.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include <linux/virtio_accel.h>

#include "vaccel-test.h"

#define QNUM		16
#define MEM_LEN		0x800000u
#define DATA_OFF	0x100000u

/* AES-256-GCM, zero key and IV, 16 zero bytes: McGrew-Viega test case 14 */
#define GCM_TC14	"cea7403d4d606b6e074ec5d3baf39d18" \
			"d0d1c8a799996bf0265b98b5d48ab919"

struct vq {
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t avail_idx;
	uint16_t used_idx;
	int kick;
	int call;
};

struct seg {
	void *p;
	uint32_t len;
	int wr;
};

static int fd;
static uint8_t *mem;
static struct vq vqs[2];

/* a setup step failed: one failed result, no summary line */
static void setup_failed(const char *what)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "%s: %s", what, strerror(errno));
	tap(0, msg);
	printf("vaccel-vhost-test: setup failed\n");
	exit(1);
}

/* One request: chain from descriptor 0, wait for its used element. */
static int submit(struct vq *q, const struct seg *s, int n, uint32_t *len)
{
	struct timespec ts = { 0, 1000000 };
	uint16_t want = q->used_idx + 1;
	int i, spins;

	for (i = 0; i < n; i++) {
		q->desc[i].addr = (uintptr_t)s[i].p;
		q->desc[i].len = s[i].len;
		q->desc[i].flags = (s[i].wr ? VRING_DESC_F_WRITE : 0) |
				   (i < n - 1 ? VRING_DESC_F_NEXT : 0);
		q->desc[i].next = i + 1;
	}
	q->avail->ring[q->avail_idx % QNUM] = 0;
	__atomic_store_n(&q->avail->idx, ++q->avail_idx, __ATOMIC_RELEASE);
	if (eventfd_write(q->kick, 1))
		return -1;
	for (spins = 0; spins < 10000; spins++) {
		if (__atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) == want)
			break;
		nanosleep(&ts, NULL);
	}
	if (spins == 10000)
		return -1;
	*len = q->used->ring[q->used_idx % QNUM].len;
	q->used_idx = want;
	return 0;
}

static uint8_t *data(size_t off)
{
	return mem + DATA_OFF + off;
}

/* A data request: hdr, key, iv, aad, src readable; dst, resp writable. */
static int op(uint32_t opcode, uint32_t algo, uint64_t sess, uint32_t flags,
	      const void *key, uint32_t klen, const void *iv, uint32_t ivlen,
	      const void *src, uint32_t slen, uint32_t dlen,
	      uint8_t **dst, struct virtio_accel_op_resp **resp)
{
	struct virtio_accel_op_req *h = (void *)data(0);
	uint8_t *p = data(64), *d = data(0x80000);
	struct seg s[2];
	uint32_t len;

	memset(h, 0, sizeof(*h));
	h->opcode = opcode;
	h->algo = algo;
	h->session_id = sess;
	h->flags = flags;
	h->key_len = klen;
	h->iv_len = ivlen;
	h->src_len = slen;
	h->dst_len = dlen;
	memcpy(p, key, klen);
	memcpy(p + klen, iv, ivlen);
	memcpy(p + klen + ivlen, src, slen);
	memset(d, 0xaa, dlen + 16);
	s[0] = (struct seg){ h, 64 + klen + ivlen + slen, 0 };
	s[1] = (struct seg){ d, dlen + 16, 1 };
	if (submit(&vqs[1], s, 2, &len))
		return -1;
	*dst = d;
	*resp = (void *)(d + dlen);
	return (int)len;
}

static int ctrl(uint32_t opcode, uint32_t opn, uint32_t algo, uint32_t flags,
		uint64_t sess, uint32_t room, struct virtio_accel_ctrl_resp **r)
{
	struct virtio_accel_ctrl_req *h = (void *)data(0x100000);
	uint8_t *d = data(0x110000);
	struct seg s[2];
	uint32_t len;

	memset(h, 0, sizeof(*h));
	h->opcode = opcode;
	h->op = opn;
	h->algo = algo;
	h->flags = flags;
	h->session_id = sess;
	s[0] = (struct seg){ h, sizeof(*h), 0 };
	s[1] = (struct seg){ d, room + 16, 1 };
	if (submit(&vqs[0], s, 2, &len))
		return -1;
	*r = (void *)(d + room);
	return (int)len;
}

static int hexeq(const uint8_t *p, const char *hex)
{
	unsigned int b;

	for (; *hex; hex += 2, p++) {
		if (sscanf(hex, "%2x", &b) != 1 || *p != b)
			return 0;
	}
	return 1;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/dev/vhost-vdpa-0";
	uint64_t features, want, bf;
	struct virtio_accel_op_resp *resp;
	struct virtio_accel_ctrl_resp *cr;
	struct virtio_accel_config cfg;
	struct vhost_vdpa_config *vc;
	struct vhost_msg_v2 msg;
	uint8_t zero[32] = { 0 }, *dst, st;
	uint32_t id = 0;
	uint64_t sid;
	int i, len;

	fd = open(path, O_RDWR);
	if (fd < 0)
		setup_failed("open");
	if (ioctl(fd, VHOST_SET_OWNER))
		setup_failed("VHOST_SET_OWNER");
	if (ioctl(fd, VHOST_GET_FEATURES, &features))
		setup_failed("VHOST_GET_FEATURES");
	printf("# device features 0x%llx\n", (unsigned long long)features);
	tap((features >> VIRTIO_F_VERSION_1 & 1) &&
	    (features >> VIRTIO_F_ACCESS_PLATFORM & 1),
	    "VERSION_1 and ACCESS_PLATFORM offered");
	if (ioctl(fd, VHOST_VDPA_GET_DEVICE_ID, &id))
		setup_failed("VHOST_VDPA_GET_DEVICE_ID");
	tap(id == VIRTIO_ID_ACCEL, "device id 56");
	vc = calloc(1, sizeof(*vc) + sizeof(cfg));
	vc->off = 0;
	vc->len = sizeof(cfg);
	if (ioctl(fd, VHOST_VDPA_GET_CONFIG, vc))
		setup_failed("VHOST_VDPA_GET_CONFIG");
	memcpy(&cfg, vc->buf, sizeof(cfg));
	printf("# config: status %u dataqueues %u segments %u services 0x%x\n",
	       cfg.status, cfg.max_dataqueues, cfg.max_segments, cfg.services);
	printf("# config: sessions %u data_len %u key %u aad %u\n",
	       cfg.max_sessions, cfg.max_data_len, cfg.max_key_len,
	       cfg.max_aad_len);
	tap(cfg.status == VIRTIO_ACCEL_S_HW_READY && cfg.max_dataqueues >= 1 &&
	    cfg.max_segments >= 4 && cfg.max_data_len >= 4096,
	    "config per spec section 4");
	if (ioctl(fd, VHOST_GET_BACKEND_FEATURES, &bf))
		setup_failed("VHOST_GET_BACKEND_FEATURES");
	bf &= 1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2;
	if (ioctl(fd, VHOST_SET_BACKEND_FEATURES, &bf))
		setup_failed("VHOST_SET_BACKEND_FEATURES");
	want = features | (1ULL << 40);
	tap(ioctl(fd, VHOST_SET_FEATURES, &want) < 0,
	    "an unknown feature bit is refused");
	want = (1ULL << VIRTIO_F_VERSION_1) |
	       (1ULL << VIRTIO_F_ACCESS_PLATFORM) |
	       (1ULL << VIRTIO_ACCEL_F_STATELESS) |
	       (1ULL << VIRTIO_ACCEL_F_STREAM);
	if (ioctl(fd, VHOST_SET_FEATURES, &want))
		setup_failed("VHOST_SET_FEATURES");

	mem = mmap(NULL, MEM_LEN, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (mem == MAP_FAILED)
		setup_failed("mmap");
	memset(&msg, 0, sizeof(msg));
	msg.type = VHOST_IOTLB_MSG_V2;
	msg.iotlb.iova = (uintptr_t)mem;	/* IOVA = user address */
	msg.iotlb.size = MEM_LEN;
	msg.iotlb.uaddr = (uintptr_t)mem;
	msg.iotlb.perm = VHOST_ACCESS_RW;
	msg.iotlb.type = VHOST_IOTLB_UPDATE;
	if (write(fd, &msg, sizeof(msg)) != sizeof(msg))
		setup_failed("IOTLB update");

	for (i = 0; i < 2; i++) {
		struct vhost_vring_state num = { i, QNUM }, base = { i, 0 };
		struct vhost_vring_addr a = { 0 };
		struct vhost_vring_file kick, call;
		struct vq *q = &vqs[i];
		uint8_t *r = mem + i * 16384;

		q->desc = (void *)r;
		q->avail = (void *)(r + 4096);
		q->used = (void *)(r + 8192);
		q->kick = eventfd(0, EFD_NONBLOCK);
		q->call = eventfd(0, EFD_NONBLOCK);
		a.index = i;
		a.desc_user_addr = (uintptr_t)q->desc;
		a.avail_user_addr = (uintptr_t)q->avail;
		a.used_user_addr = (uintptr_t)q->used;
		kick = (struct vhost_vring_file){ i, q->kick };
		call = (struct vhost_vring_file){ i, q->call };
		if (ioctl(fd, VHOST_SET_VRING_NUM, &num) ||
		    ioctl(fd, VHOST_SET_VRING_ADDR, &a) ||
		    ioctl(fd, VHOST_SET_VRING_BASE, &base) ||
		    ioctl(fd, VHOST_SET_VRING_KICK, &kick) ||
		    ioctl(fd, VHOST_SET_VRING_CALL, &call))
			setup_failed("vring setup");
	}
	st = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
	     VIRTIO_CONFIG_S_FEATURES_OK;
	if (ioctl(fd, VHOST_VDPA_SET_STATUS, &st))
		setup_failed("SET_STATUS FEATURES_OK");
	for (i = 0; i < 2; i++) {
		struct vhost_vring_state en = { i, 1 };

		if (ioctl(fd, VHOST_VDPA_SET_VRING_ENABLE, &en))
			setup_failed("SET_VRING_ENABLE");
	}
	st |= VIRTIO_CONFIG_S_DRIVER_OK;
	if (ioctl(fd, VHOST_VDPA_SET_STATUS, &st))
		setup_failed("SET_STATUS DRIVER_OK");

	/* NULL: dst := src, used len = wr_len */
	memset(data(0x200000), 0x5a, 1000);
	len = op(VIRTIO_ACCEL_OP_NULL, 0, 0, 0, NULL, 0, NULL, 0,
		 data(0x200000), 1000, 1000, &dst, &resp);
	tap(len == 1016 && resp->status == VIRTIO_ACCEL_OK &&
	    resp->dst_used == 1000 && !memcmp(dst, data(0x200000), 1000),
	    "NULL op copies 1000 bytes, used len 1016");
	len = op(VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_SHA256, 0, 0, NULL, 0,
		 NULL, 0, "abc", 3, 32, &dst, &resp);
	tap(len == 48 && resp->status == VIRTIO_ACCEL_OK &&
	    hexeq(dst, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
	    "SHA-256(\"abc\")");
	len = op(VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_CRC32C, 0, 0, NULL, 0,
		 NULL, 0, "123456789", 9, 4, &dst, &resp);
	tap(len == 20 && resp->status == VIRTIO_ACCEL_OK &&
	    hexeq(dst, "839206e3"), "CRC32C(\"123456789\") = 0xe3069283");
	len = op(VIRTIO_ACCEL_OP_MAC, VIRTIO_ACCEL_ALG_HMAC_SHA256, 0, 0,
		 "key", 3, NULL, 0,
		 "The quick brown fox jumps over the lazy dog", 43, 32, &dst,
		 &resp);
	tap(len == 48 && resp->status == VIRTIO_ACCEL_OK &&
	    hexeq(dst, "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"),
	    "HMAC-SHA-256 stateless");
	/* AES-256-GCM, zero key and IV (McGrew-Viega test case 14) */
	len = op(VIRTIO_ACCEL_OP_AEAD_ENCRYPT, VIRTIO_ACCEL_ALG_AES256_GCM, 0,
		 0, zero, 32, zero, 12, zero, 16, 32, &dst, &resp);
	tap(len == 48 && resp->status == VIRTIO_ACCEL_OK &&
	    hexeq(dst, GCM_TC14),
	    "AES-256-GCM encrypt (test case 14)");
	memcpy(data(0x200000), dst, 32);
	data(0x200000)[3] ^= 1;
	len = op(VIRTIO_ACCEL_OP_AEAD_DECRYPT, VIRTIO_ACCEL_ALG_AES256_GCM, 0,
		 0, zero, 32, zero, 12, data(0x200000), 32, 16, &dst, &resp);
	tap(len == 32 && resp->status == VIRTIO_ACCEL_AUTH_FAILED &&
	    !memcmp(dst, zero, 16),
	    "AES-256-GCM bad tag: AUTH_FAILED, dst zeroed");
	/* DEFLATE round trip */
	for (i = 0; i < 4096; i++)
		data(0x200000)[i] = "virtio-accel "[i % 13];
	len = op(VIRTIO_ACCEL_OP_COMPRESS, VIRTIO_ACCEL_ALG_DEFLATE, 0, 0,
		 NULL, 0, NULL, 0, data(0x200000), 4096, 4200, &dst, &resp);
	tap(len == 4216 && resp->status == VIRTIO_ACCEL_OK &&
	    resp->dst_used < 200, "DEFLATE compress 4096 -> small");
	printf("# compressed to %u bytes\n", resp->dst_used);
	memcpy(data(0x300000), dst, resp->dst_used);
	len = op(VIRTIO_ACCEL_OP_DECOMPRESS, VIRTIO_ACCEL_ALG_DEFLATE, 0, 0,
		 NULL, 0, NULL, 0, data(0x300000), resp->dst_used, 8192, &dst,
		 &resp);
	tap(len == 8208 && resp->status == VIRTIO_ACCEL_OK &&
	    resp->dst_used == 4096 && (resp->flags & 1) &&
	    !memcmp(dst, data(0x200000), 4096),
	    "DEFLATE decompress round trip, STREAM_END");
	/* [REQ-SHORT]: writable part below 16 bytes */
	len = op(VIRTIO_ACCEL_OP_NULL, 0, 0, 0, NULL, 0, NULL, 0, "x", 1, 0,
		 &dst, &resp);
	(void)len;
	{
		struct seg s[2] = { { data(0), 65, 0 }, { data(0x80000), 8, 1 } };
		uint32_t ul = 99;

		tap(!submit(&vqs[1], s, 2, &ul) && ul == 0,
		    "REQ-SHORT: used len 0");
	}
	len = op(7, 0, 0, 0, NULL, 0, NULL, 0, "x", 1, 1, &dst, &resp);
	tap(len == 17 && resp->status == VIRTIO_ACCEL_NOTSUPP,
	    "unknown opcode: NOTSUPP");

	/* control queue */
	len = ctrl(VIRTIO_ACCEL_CTRL_GET_CAPS, 0, 0, 0, 0, 512, &cr);
	tap(len == 528 && cr->status == VIRTIO_ACCEL_OK && cr->len % 32 == 0 &&
	    cr->len >= 32, "GET_CAPS");
	for (i = 0; len > 0 && i < (int)(cr->len / 32); i++) {
		struct virtio_accel_cap *c = (void *)(data(0x110000) + 32 * i);

		printf("# cap op %u algo %u flags 0x%x key %u-%u iv %u out %u engine %.8s\n",
		       c->op, c->algo, c->flags, c->min_key_len,
		       c->max_key_len, c->iv_len, c->out_len, c->engine);
	}
	len = ctrl(VIRTIO_ACCEL_CTRL_GET_CAPS, 0, 0, 0, 0, 16, &cr);
	tap(len == 32 && cr->status == VIRTIO_ACCEL_NOSPC && cr->len > 16,
	    "GET_CAPS with little room: NOSPC and the size needed");
	/* a stream SHA-256 session: "a" then "bc" FINAL */
	len = ctrl(VIRTIO_ACCEL_CTRL_CREATE_SESSION, VIRTIO_ACCEL_OP_HASH,
		   VIRTIO_ACCEL_ALG_SHA256, VIRTIO_ACCEL_SESS_F_STREAM, 0, 0,
		   &cr);
	sid = cr->session_id;
	tap(len == 16 && cr->status == VIRTIO_ACCEL_OK && sid,
	    "CREATE_SESSION stream SHA-256");
	printf("# session 0x%llx\n", (unsigned long long)sid);
	if (getenv("SESSIONS_FILE")) {
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "cat %s", getenv("SESSIONS_FILE"));
		printf("# live sessions: ");
		fflush(stdout);
		if (system(cmd))
			printf("?\n");
	}
	op(VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_SHA256, sid, 0, NULL, 0,
	   NULL, 0, "a", 1, 0, &dst, &resp);
	tap(resp->status == VIRTIO_ACCEL_OK, "stream part 1");
	len = op(VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_SHA256, sid,
		 VIRTIO_ACCEL_OP_F_FINAL, NULL, 0, NULL, 0, "bc", 2, 32, &dst,
		 &resp);
	tap(len == 48 && resp->status == VIRTIO_ACCEL_OK && (resp->flags & 1) &&
	    hexeq(dst, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
	    "stream SHA-256(\"a\" + \"bc\" FINAL)");
	len = ctrl(VIRTIO_ACCEL_CTRL_DESTROY_SESSION, 0, 0, 0, sid, 0, &cr);
	tap(len == 16 && cr->status == VIRTIO_ACCEL_OK, "DESTROY_SESSION");
	len = ctrl(VIRTIO_ACCEL_CTRL_DESTROY_SESSION, 0, 0, 0, sid, 0, &cr);
	tap(len == 16 && cr->status == VIRTIO_ACCEL_INVSESS,
	    "DESTROY_SESSION again: INVSESS");
	/* AES-256-GCM stream with the session key: 5 + 11 bytes, then tag */
	{
		struct virtio_accel_ctrl_req *h = (void *)data(0x100000);
		struct seg s[2];
		uint32_t ul;
		uint8_t out[32];

		memset(h, 0, sizeof(*h) + 32);
		h->opcode = VIRTIO_ACCEL_CTRL_CREATE_SESSION;
		h->op = VIRTIO_ACCEL_OP_AEAD_ENCRYPT;
		h->algo = VIRTIO_ACCEL_ALG_AES256_GCM;
		h->flags = VIRTIO_ACCEL_SESS_F_STREAM;
		h->key_len = 32;
		s[0] = (struct seg){ h, 64, 0 };
		s[1] = (struct seg){ data(0x110000), 16, 1 };
		cr = (void *)data(0x110000);
		tap(!submit(&vqs[0], s, 2, &ul) &&
		    cr->status == VIRTIO_ACCEL_OK, "CREATE_SESSION GCM stream");
		sid = cr->session_id;
		op(VIRTIO_ACCEL_OP_AEAD_ENCRYPT, VIRTIO_ACCEL_ALG_AES256_GCM,
		   sid, 0, NULL, 0, zero, 12, zero, 5, 5, &dst, &resp);
		memcpy(out, dst, 5);
		st = resp->status;
		op(VIRTIO_ACCEL_OP_AEAD_ENCRYPT, VIRTIO_ACCEL_ALG_AES256_GCM,
		   sid, VIRTIO_ACCEL_OP_F_FINAL, NULL, 0, NULL, 0, zero, 11, 27,
		   &dst, &resp);
		memcpy(out + 5, dst, 27);
		tap(st == VIRTIO_ACCEL_OK && resp->status == VIRTIO_ACCEL_OK &&
		    hexeq(out, GCM_TC14),
		    "AES-256-GCM stream 5 + 11 bytes equals one-shot");
	}
	/* [RING-BROKEN]: a descriptor loop on data queue 0 */
	{
		struct vq *q = &vqs[1];
		struct timespec ts = { 0, 20000000 };

		q->desc[0].addr = (uintptr_t)data(0);
		q->desc[0].len = 64;
		q->desc[0].flags = VRING_DESC_F_NEXT;
		q->desc[0].next = 0;
		q->avail->ring[q->avail_idx % QNUM] = 0;
		__atomic_store_n(&q->avail->idx, ++q->avail_idx,
				 __ATOMIC_RELEASE);
		eventfd_write(q->kick, 1);
		for (i = 0; i < 250; i++) {
			if (!ioctl(fd, VHOST_VDPA_GET_STATUS, &st) &&
			    (st & VIRTIO_CONFIG_S_NEEDS_RESET))
				break;
			nanosleep(&ts, NULL);
		}
		tap(st & VIRTIO_CONFIG_S_NEEDS_RESET,
		    "descriptor loop: DEVICE_NEEDS_RESET");
		len = ctrl(VIRTIO_ACCEL_CTRL_GET_CAPS, 0, 0, 0, 0, 512, &cr);
		tap(len == 528 && cr->status == VIRTIO_ACCEL_OK,
		    "control queue still served after the data queue broke");
		/* a reset ends DEVICE_NEEDS_RESET: the device is usable again */
		st = 0;
		if (ioctl(fd, VHOST_VDPA_SET_STATUS, &st) ||
		    ioctl(fd, VHOST_VDPA_GET_STATUS, &st))
			st = 0xff;
		tap(st == 0, "reset clears DEVICE_NEEDS_RESET");
		st = VIRTIO_CONFIG_S_ACKNOWLEDGE;
		tap(!ioctl(fd, VHOST_VDPA_SET_STATUS, &st),
		    "the driver can start over after the reset");
	}
	return tap_finish("vaccel-vhost-test");
}
