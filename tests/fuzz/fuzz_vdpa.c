// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fuzz target: the feature and status negotiation state machine of the
 * library (guest-driver/lib/src/dev.c virtaccel_open/close over the
 * vhost-vdpa transport, guest-driver/lib/src/vhost_vdpa.c): backend
 * features, device id, the virtio status dance (reset, ACKNOWLEDGE,
 * DRIVER, FEATURES_OK read back, DRIVER_OK), device features,
 * configuration, queue count, ring size, IOVA range, IOTLB mapping and the
 * ring setup, against a device that answers as the input says.
 *
 * open(), ioctl() and write() are wrapped at link time (-Wl,--wrap):
 * opening the fuzz path gives /dev/null (a character device; or a regular
 * file, or a failure), and the ioctls and IOTLB writes on that fd go to the
 * fake device. Each call may fail with an errno (EINTR too); values are
 * good ones XOR input bytes (zeros: a well-behaved vDPA parent); the device
 * may refuse FEATURES_OK or raise NEEDS_RESET when a status is written.
 *
 * Invariants asserted (virtio 1.x 3.1.1, the vhost-vdpa uAPI):
 *  - status: reset (0) before anything else; every write keeps the bits
 *    written before; ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK in that
 *    order; features read only after DRIVER; SET_FEATURES after DRIVER and
 *    before FEATURES_OK, within what was offered and the library knows,
 *    with VERSION_1 and ACCESS_PLATFORM; FEATURES_OK written only after
 *    SET_FEATURES; no ring is touched and DRIVER_OK is not written unless
 *    FEATURES_OK was read back (without FAILED/NEEDS_RESET); DRIVER_OK
 *    only with every ring set up and the memory mapped;
 *  - backend features within what was offered; IOTLB messages only as
 *    v2, batches only when negotiated, mappings inside the device's IOVA
 *    range; rings within the mapping, sizes a power of 2 no larger than
 *    the device's maximum, indexes below its queue count, valid fds;
 *  - on close (or a failed open) the status is reset and the mapping
 *    invalidated (unless those very calls failed); the process has the fds
 *    it had before; LeakSanitizer;
 *  - the result: 0 with a consistent device, or a negative errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "fuzz.h"
#include "internal.h"

#define FUZZ_PATH	"/fuzz/vhost-vdpa-0"
#define MAXVQ		8

#define S_ACK		VIRTIO_CONFIG_S_ACKNOWLEDGE
#define S_DRIVER	VIRTIO_CONFIG_S_DRIVER
#define S_FEAT_OK	VIRTIO_CONFIG_S_FEATURES_OK
#define S_DRIVER_OK	VIRTIO_CONFIG_S_DRIVER_OK
#define S_BAD \
	(VIRTIO_CONFIG_S_FAILED | VIRTIO_CONFIG_S_NEEDS_RESET)

static const uint64_t good_features =
	(1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_ACCESS_PLATFORM) |
	(1ull << VIRTIO_RING_F_INDIRECT_DESC) |
	(1ull << VIRTIO_RING_F_EVENT_IDX) | (1ull << VIRTIO_ACCEL_F_MQ) |
	(1ull << VIRTIO_ACCEL_F_STATELESS) | (1ull << VIRTIO_ACCEL_F_STREAM);
static const uint64_t lib_features =
	(1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_ACCESS_PLATFORM) |
	(1ull << VIRTIO_RING_F_INDIRECT_DESC) |
	(1ull << VIRTIO_RING_F_EVENT_IDX) | (1ull << VIRTIO_ACCEL_F_MQ) |
	(1ull << VIRTIO_ACCEL_F_STATELESS) | (1ull << VIRTIO_ACCEL_F_STREAM);
static const uint64_t good_backend =
	(1ull << VHOST_BACKEND_F_IOTLB_MSG_V2) |
	(1ull << VHOST_BACKEND_F_IOTLB_BATCH) |
	(1ull << VHOST_BACKEND_F_IOTLB_ASID);
static const uint64_t lib_backend = (1ull << VHOST_BACKEND_F_IOTLB_MSG_V2) |
				    (1ull << VHOST_BACKEND_F_IOTLB_BATCH);

static struct {
	struct fz *f;
	int fd;			/* the fake device; -1 if not open */
	uint64_t backend_offered, backend_set;
	uint64_t features, acked;
	int backend_was_set, features_read, features_set;
	uint8_t status;		/* the device's status register */
	uint8_t written;	/* last status the driver wrote (accepted) */
	int reset_seen, feat_ok_seen, reset_failed;
	int have_vqs, have_vring_max, have_range;
	uint32_t vqs;
	uint16_t vring_max;
	uint64_t first, last;
	int batch_open, mapped, unmap_failed;
	int committed;		/* the update (and its batch) succeeded */
	uint64_t map_iova, map_size;
	uint32_t ring_num[MAXVQ];
	uint8_t ring_state[MAXVQ];	/* bits: num addr base kick call en */
} vd;

static void good_config(struct virtio_accel_config *c)
{
	memset(c, 0, sizeof(*c));
	c->status = htole32(VIRTIO_ACCEL_S_HW_READY);
	c->max_dataqueues = htole16(2);
	c->max_segments = htole16(128);
	c->services = htole32(0x1f);
	c->max_sessions = htole32(1024);
	c->max_data_len = htole32(65536);
	c->max_key_len = htole32(64);
	c->max_aad_len = htole32(4096);
}

/* Fail this call? Returns the errno, or 0 to answer. */
static int fail(void)
{
	static const int errs[] = { EINVAL, ENOTTY, EIO, EFAULT, EPERM,
				    EINTR, ENOMEM, EBUSY };
	uint8_t a = fz_u8(vd.f);

	return (a & 0xe0) == 0xe0 ? errs[a & 7] : 0;
}

static unsigned int vqs_limit(void)
{
	return vd.have_vqs ? vd.vqs : MAXVQ;
}

static void ring_checks(unsigned int idx, unsigned int bit)
{
	FZ_CHECK(vd.feat_ok_seen && !(vd.written & S_DRIVER_OK),
		 "ring %u set up before FEATURES_OK was read back", idx);
	FZ_CHECK(idx < vqs_limit() && idx < MAXVQ, "ring %u of %u", idx,
		 vqs_limit());
	vd.ring_state[idx] |= (uint8_t)bit;
}

static int in_map(uint64_t a, uint64_t len)
{
	return vd.mapped && a >= vd.map_iova && len <= vd.map_size &&
	       a - vd.map_iova <= vd.map_size - len;
}

static int dev_ioctl(unsigned long req, void *arg)
{
	struct fz *f = vd.f;
	uint64_t v;
	int e = fail();

	FZ_TRACE("ioctl %#lx%s\n", req, e ? " fails" : "");
	if (e)
		return -e;
	switch (req) {
	case VHOST_SET_OWNER:
		return 0;
	case VHOST_GET_BACKEND_FEATURES:
		vd.backend_offered = good_backend ^ fz_u64(f);
		memcpy(arg, &vd.backend_offered, 8);
		return 0;
	case VHOST_SET_BACKEND_FEATURES:
		memcpy(&v, arg, 8);
		FZ_CHECK(!(v & ~(vd.backend_offered & lib_backend)) &&
			 (v & (1ull << VHOST_BACKEND_F_IOTLB_MSG_V2)),
			 "backend features %#llx, offered %#llx",
			 (unsigned long long)v,
			 (unsigned long long)vd.backend_offered);
		vd.backend_set = v;
		vd.backend_was_set = 1;
		return 0;
	case VHOST_VDPA_GET_DEVICE_ID: {
		uint32_t id = VIRTIO_ID_ACCEL ^ fz_u32(f);

		memcpy(arg, &id, 4);
		return 0;
	}
	case VHOST_VDPA_SET_STATUS: {
		uint8_t s = *(uint8_t *)arg, b;

		if (!s) {
			memset(vd.ring_state, 0, sizeof(vd.ring_state));
			vd.status = 0;
			vd.written = 0;
			vd.reset_seen = 1;
			vd.feat_ok_seen = 0;
			vd.features_set = 0;
			vd.features_read = 0;
			return 0;
		}
		FZ_CHECK(vd.reset_seen, "status %#x before a reset", s);
		FZ_CHECK((s & vd.written) == vd.written,
			 "status %#x drops bits of %#x", s, vd.written);
		FZ_CHECK(!(s & VIRTIO_CONFIG_S_NEEDS_RESET),
			 "the driver wrote NEEDS_RESET");
		FZ_CHECK(!(s & S_DRIVER) || (s & S_ACK), "DRIVER before ACK");
		FZ_CHECK(!(s & S_FEAT_OK) ||
			 ((s & S_DRIVER) && vd.features_set),
			 "FEATURES_OK before DRIVER and SET_FEATURES");
		if (s & S_DRIVER_OK) {
			unsigned int i;

			FZ_CHECK(vd.feat_ok_seen && vd.mapped,
				 "DRIVER_OK without FEATURES_OK or memory");
			/* the control queue, a data queue, all complete */
			for (i = 0; i < MAXVQ; i++)
				FZ_CHECK(vd.ring_state[i] == 0x3f ||
					 (i >= 2 && !vd.ring_state[i]),
					 "DRIVER_OK with ring %u not set up",
					 i);
		}
		vd.written = s;
		b = fz_u8(f);
		vd.status = s;
		if ((s & S_FEAT_OK) && (b & 1))
			vd.status &= (uint8_t)~S_FEAT_OK;	/* refused */
		if (b & 2)
			vd.status |= VIRTIO_CONFIG_S_NEEDS_RESET;
		return 0;
	}
	case VHOST_VDPA_GET_STATUS: {
		uint8_t s = vd.status ^ ((fz_u8(f) & 0x80) ? fz_u8(f) : 0);

		if ((s & S_FEAT_OK) && !(s & S_BAD) &&
		    (vd.written & S_FEAT_OK))
			vd.feat_ok_seen = 1;
		memcpy(arg, &s, 1);
		return 0;
	}
	case VHOST_GET_FEATURES:
		FZ_CHECK(vd.written & S_DRIVER,
			 "features read before DRIVER (status %#x)",
			 vd.written);
		vd.features = good_features ^ fz_u64(f);
		vd.features_read = 1;
		memcpy(arg, &vd.features, 8);
		return 0;
	case VHOST_SET_FEATURES:
		memcpy(&v, arg, 8);
		FZ_CHECK((vd.written & S_DRIVER) && !(vd.written & S_FEAT_OK),
			 "SET_FEATURES in status %#x", vd.written);
		FZ_CHECK(vd.features_read &&
			 !(v & ~(vd.features & lib_features)) &&
			 (v & (1ull << VIRTIO_F_VERSION_1)) &&
			 (v & (1ull << VIRTIO_F_ACCESS_PLATFORM)),
			 "SET_FEATURES %#llx, offered %#llx",
			 (unsigned long long)v,
			 (unsigned long long)vd.features);
		vd.acked = v;
		vd.features_set = 1;
		return 0;
	case VHOST_VDPA_GET_CONFIG_SIZE: {
		uint32_t n = sizeof(struct virtio_accel_config) ^ fz_u32(f);

		memcpy(arg, &n, 4);
		return 0;
	}
	case VHOST_VDPA_GET_CONFIG: {
		struct vhost_vdpa_config *c = arg;
		struct virtio_accel_config cfg;
		uint8_t *p = (uint8_t *)&cfg;
		unsigned int i;

		FZ_CHECK(c->off == 0 && c->len == sizeof(cfg),
			 "GET_CONFIG off %u len %u", c->off, c->len);
		good_config(&cfg);
		for (i = 0; i < sizeof(cfg); i++)
			p[i] ^= fz_u8(f);
		memcpy(c->buf, &cfg, sizeof(cfg));
		return 0;
	}
	case VHOST_VDPA_GET_VQS_COUNT:
		vd.vqs = 3 ^ fz_u32(f);
		vd.have_vqs = 1;
		memcpy(arg, &vd.vqs, 4);
		return 0;
	case VHOST_VDPA_GET_VRING_NUM:
		vd.vring_max = (uint16_t)(256 ^ fz_u16(f));
		vd.have_vring_max = 1;
		memcpy(arg, &vd.vring_max, 2);
		return 0;
	case VHOST_VDPA_GET_IOVA_RANGE: {
		struct vhost_vdpa_iova_range r;

		r.first = fz_u64(f);
		r.last = UINT64_MAX ^ fz_u64(f);
		if (r.first <= r.last) {
			vd.first = r.first;
			vd.last = r.last;
			vd.have_range = 1;
		}
		memcpy(arg, &r, sizeof(r));
		return 0;
	}
	case VHOST_SET_VRING_NUM: {
		struct vhost_vring_state *s = arg;

		ring_checks(s->index, 1);
		FZ_CHECK(s->num && !(s->num & (s->num - 1)) &&
			 s->num <= 32768 &&
			 (!vd.have_vring_max || !vd.vring_max ||
			  s->num <= vd.vring_max),
			 "ring size %u, device maximum %u", s->num,
			 vd.vring_max);
		vd.ring_num[s->index] = s->num;
		return 0;
	}
	case VHOST_SET_VRING_ADDR: {
		struct vhost_vring_addr *a = arg;
		uint32_t n;

		ring_checks(a->index, 2);
		n = vd.ring_num[a->index];
		FZ_CHECK(n && !(a->desc_user_addr & 15) &&
			 !(a->avail_user_addr & 1) &&
			 !(a->used_user_addr & 3) &&
			 in_map(a->desc_user_addr, 16ull * n) &&
			 in_map(a->avail_user_addr, 6 + 2ull * n) &&
			 in_map(a->used_user_addr, 6 + 8ull * n),
			 "ring %u addresses outside the IOTLB mapping",
			 a->index);
		return 0;
	}
	case VHOST_SET_VRING_BASE: {
		struct vhost_vring_state *s = arg;

		ring_checks(s->index, 4);
		FZ_CHECK(s->num == 0, "ring base %u", s->num);
		return 0;
	}
	case VHOST_SET_VRING_KICK:
	case VHOST_SET_VRING_CALL: {
		struct vhost_vring_file *fl = arg;

		ring_checks(fl->index, req == VHOST_SET_VRING_KICK ? 8 : 16);
		FZ_CHECK(fcntl(fl->fd, F_GETFD) != -1, "ring %u: bad fd %d",
			 fl->index, fl->fd);
		return 0;
	}
	case VHOST_VDPA_SET_VRING_ENABLE: {
		struct vhost_vring_state *s = arg;

		ring_checks(s->index, 32);
		FZ_CHECK(s->num == 1, "enable %u", s->num);
		return 0;
	}
	default:
		FZ_CHECK(0, "unexpected ioctl %#lx", req);
		return -ENOTTY;
	}
}

/* An IOTLB message written to the device. */
static ssize_t dev_write(const void *buf, size_t n)
{
	struct vhost_msg_v2 m;
	uint8_t a;
	int e;

	FZ_CHECK(n == sizeof(m), "IOTLB write of %zu bytes", n);
	memcpy(&m, buf, sizeof(m));
	FZ_CHECK(vd.backend_was_set &&
		 (vd.backend_set & (1ull << VHOST_BACKEND_F_IOTLB_MSG_V2)) &&
		 m.type == VHOST_IOTLB_MSG_V2 && m.asid == 0,
		 "IOTLB message type %u asid %u", m.type, m.asid);
	switch (m.iotlb.type) {
	case VHOST_IOTLB_BATCH_BEGIN:
	case VHOST_IOTLB_BATCH_END:
		FZ_CHECK(vd.backend_set & (1ull << VHOST_BACKEND_F_IOTLB_BATCH),
			 "IOTLB batch not negotiated");
		/* (a batch whose begin was refused may never end) */
		FZ_CHECK(m.iotlb.type == VHOST_IOTLB_BATCH_BEGIN ||
			 vd.batch_open, "IOTLB batch end without a begin");
		break;
	case VHOST_IOTLB_UPDATE:
		FZ_CHECK(!vd.mapped && m.iotlb.size &&
			 m.iotlb.perm == VHOST_ACCESS_RW && m.iotlb.uaddr,
			 "IOTLB update");
		if (vd.have_range)
			FZ_CHECK(m.iotlb.iova >= vd.first &&
				 m.iotlb.iova + m.iotlb.size - 1 >=
					 m.iotlb.iova &&
				 m.iotlb.iova + m.iotlb.size - 1 <= vd.last,
				 "IOTLB update %#llx+%#llx outside %#llx-%#llx",
				 (unsigned long long)m.iotlb.iova,
				 (unsigned long long)m.iotlb.size,
				 (unsigned long long)vd.first,
				 (unsigned long long)vd.last);
		break;
	case VHOST_IOTLB_INVALIDATE:
		FZ_CHECK(vd.mapped && m.iotlb.iova == vd.map_iova &&
			 m.iotlb.size == vd.map_size,
			 "IOTLB invalidate of what was not mapped");
		break;
	default:
		FZ_CHECK(0, "IOTLB message %u", m.iotlb.type);
	}
	a = fz_u8(vd.f);
	e = fail();
	FZ_TRACE("IOTLB %u iova %#llx size %#llx%s\n", m.iotlb.type,
		 (unsigned long long)m.iotlb.iova,
		 (unsigned long long)m.iotlb.size,
		 e || a == 0xff ? " fails" : "");
	if (e || a == 0xff) {
		/* an unmap tried (its batch included) and refused */
		if (vd.committed)
			vd.unmap_failed = 1;
		if (a == 0xff)
			return (ssize_t)n / 2;	/* short write */
		errno = e;
		return -1;
	}
	if (m.iotlb.type == VHOST_IOTLB_BATCH_BEGIN)
		vd.batch_open = 1;
	if (m.iotlb.type == VHOST_IOTLB_BATCH_END)
		vd.batch_open = 0;
	if (m.iotlb.type == VHOST_IOTLB_UPDATE) {
		vd.mapped = 1;
		vd.map_iova = m.iotlb.iova;
		vd.map_size = m.iotlb.size;
		vd.committed = !vd.batch_open;
	} else if (m.iotlb.type == VHOST_IOTLB_BATCH_END && vd.mapped) {
		vd.committed = 1;
	} else if (m.iotlb.type == VHOST_IOTLB_INVALIDATE) {
		vd.mapped = 0;
		vd.committed = 0;
	}
	return (ssize_t)n;
}

/* ---- the wrapped calls ---- */

int __real_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...);
int __real_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...);
ssize_t __real_write(int fd, const void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n);

int __wrap_open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;
	uint8_t how;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (strcmp(path, FUZZ_PATH))
		return __real_open(path, flags, mode);
	FZ_CHECK(vd.fd < 0, "the device opened twice");
	how = fz_u8(vd.f);
	if (how == 0xff) {
		errno = ENOENT;
		return -1;
	}
	/* a regular file is not a vhost-vdpa device */
	vd.fd = how == 0xfe ? memfd_create("not-a-device", MFD_CLOEXEC) :
			      __real_open("/dev/null", flags);
	return vd.fd;
}

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	int ret;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd < 0 || fd != vd.fd)
		return __real_ioctl(fd, req, arg);
	ret = dev_ioctl(req, arg);
	if (ret < 0) {
		if (req == VHOST_VDPA_SET_STATUS && !*(uint8_t *)arg)
			vd.reset_failed = 1;
		errno = -ret;
		return -1;
	}
	if (req == VHOST_VDPA_SET_STATUS && !*(uint8_t *)arg)
		vd.reset_failed = 0;
	return ret;
}

ssize_t __wrap_write(int fd, const void *buf, size_t n)
{
	if (fd < 0 || fd != vd.fd)
		return __real_write(fd, buf, n);
	return dev_write(buf, n);
}

static unsigned int open_fds(void)
{
	unsigned int n = 0;
	int fd;

	for (fd = 0; fd < 256; fd++)
		n += fcntl(fd, F_GETFD) != -1;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtaccel_open_opts o;
	struct virtaccel_dev *dev = NULL;
	unsigned int fds_before;
	struct fz f;
	uint8_t b;
	int ret;

	fz_init(&f, data, size);
	memset(&vd, 0, sizeof(vd));
	vd.f = &f;
	vd.fd = -1;
	memset(&o, 0, sizeof(o));
	b = fz_u8(&f);
	o.num_queues = b % 4;
	o.queue_size = (b & 0x80) ? 1u << (fz_u8(&f) % 9) : 8;
	o.mem_size = (size_t)(fz_u8(&f) % 4 + 1) << 20;
	o.flags = (b >> 4) & 3;

	fds_before = open_fds();
	ret = virtaccel_open("vhost-vdpa:" FUZZ_PATH, &o, &dev);
	FZ_TRACE("virtaccel_open: %d\n", ret);
	FZ_CHECK(ret <= 0 && ret > -4096, "virtaccel_open returned %d", ret);
	FZ_CHECK(!ret == !!dev, "result %d with device %p", ret, dev);
	if (!ret) {
		unsigned int want = o.num_queues ? o.num_queues : 1;

		FZ_CHECK(vd.written & S_DRIVER_OK, "open without DRIVER_OK");
		FZ_CHECK(dev->driver_features == vd.acked,
			 "features acked %#llx, kept %#llx",
			 (unsigned long long)vd.acked,
			 (unsigned long long)dev->driver_features);
		FZ_CHECK(dev->num_queues >= 1 && dev->num_queues <= want &&
			 dev->nvqs == dev->num_queues + 1 &&
			 dev->nvqs <= dev->dev_max_vqs,
			 "%u queues of %u", dev->num_queues, dev->dev_max_vqs);
		FZ_CHECK(!(dev->queue_size & (dev->queue_size - 1)) &&
			 (!vd.have_vring_max || !vd.vring_max ||
			  dev->queue_size <= vd.vring_max), "queue size %u",
			 dev->queue_size);
		virtaccel_close(dev);
	}
	FZ_CHECK(!vd.written || vd.reset_failed,
		 "device left in status %#x", vd.written);
	/*
	 * A mapping whose batch failed to end is not the library's to undo:
	 * closing the fd drops every mapping of it anyway.
	 */
	FZ_CHECK(!vd.committed || vd.unmap_failed, "IOTLB mapping left");
	FZ_CHECK(open_fds() == fds_before, "%u fds open, %u before",
		 open_fds(), fds_before);
	return 0;
}
