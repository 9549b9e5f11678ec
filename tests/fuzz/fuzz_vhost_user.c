// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fuzz target: the library's vhost-user front-end against an untrusted
 * back-end (guest-driver/lib/src/vhost_user.c) and, through it, the feature
 * negotiation of virtaccel_open() (guest-driver/lib/src/dev.c): the whole
 * open and close of "vhost-user:PATH", unchanged.
 *
 * The back-end is in this process. connect() and poll() are wrapped at link
 * time (-Wl,--wrap): connecting to the fuzz path gives the library one end
 * of a socketpair (each retry after a reset a new one; usleep() is wrapped
 * too, the retries do not wait), and each time the library polls its
 * socket for a reply,
 * the fake back-end first reads what the library sent and answers each
 * message as the input says: a proper reply (features, protocol features,
 * queue count, configuration, acks: good values XOR input bytes, so zeros
 * are a well-behaved back-end), a reply with header fields changed, raw
 * bytes, no reply (the library's deadline passes at once: poll() is made
 * non-blocking), or a hang-up; optionally split in two writes, with
 * unexpected fds attached (SCM_RIGHTS), or followed by a stray message.
 *
 * Invariants asserted:
 *  - every message the library sends is well formed: version 1, no reply
 *    flag, NEED_REPLY only when REPLY_ACK was negotiated, the size of its
 *    request, fds exactly with SET_MEM_TABLE and SET_VRING_KICK/CALL;
 *  - the negotiation: SET_OWNER first; SET_PROTOCOL_FEATURES only when
 *    offered, within what was offered and the library wants;
 *    GET_QUEUE_NUM only with the MQ protocol feature; SET_FEATURES within
 *    the offered features and the library's known set, with VERSION_1;
 *    the memory table (one memfd region, big enough) before any ring;
 *    ring indexes below the queue count the back-end gave, sizes a power
 *    of 2, ring addresses aligned inside the memory table;
 *    SET_VRING_ENABLE only with VHOST_USER_F_PROTOCOL_FEATURES;
 *  - the result: 0 with a device whose queue count respects the back-end's
 *    limits, or a negative errno and no device;
 *  - nothing leaks: after close, the process has the fds it had before
 *    (every fd the back-end pushed was closed), and LeakSanitizer.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "fuzz.h"
#include "internal.h"

#define FUZZ_PATH	"/fuzz/vhost-user.sock"
#define FUZZ_DEV	"vhost-user:" FUZZ_PATH

/* vhost-user (docs/interop/vhost-user.rst) */
#define VU_GET_FEATURES		1
#define VU_SET_FEATURES		2
#define VU_SET_OWNER		3
#define VU_SET_MEM_TABLE	5
#define VU_SET_VRING_NUM	8
#define VU_SET_VRING_ADDR	9
#define VU_SET_VRING_BASE	10
#define VU_SET_VRING_KICK	12
#define VU_SET_VRING_CALL	13
#define VU_GET_PROTOCOL_FEATURES 15
#define VU_SET_PROTOCOL_FEATURES 16
#define VU_GET_QUEUE_NUM	17
#define VU_SET_VRING_ENABLE	18
#define VU_GET_CONFIG		24
#define VU_F_PROTOCOL_FEATURES	30
#define VU_PF_MQ		0
#define VU_PF_REPLY_ACK		3
#define VU_PF_CONFIG		9
#define VU_PF_INFLIGHT		12
#define VU_REPLY		(1u << 2)
#define VU_NEED_REPLY		(1u << 3)

struct msg {
	uint32_t request, flags, size;
	uint8_t payload[512];
};

/* the fake back-end */
static struct {
	struct fz *f;
	int fd;			/* our end; -1 after a hang-up */
	int fe;			/* the library's socket */
	int spare;		/* an eventfd we push at the library */
	unsigned int nmsg;
	uint64_t features, proto, qnum;	/* last values offered */
	int have_features, have_proto, have_qnum;
	uint64_t set_proto;
	int proto_set, features_set, mem_set;
	uint64_t acked_features;
	uint64_t mem_ua, mem_size;
	uint32_t ring_num;
} be;

static const uint64_t good_features =
	(1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_RING_F_INDIRECT_DESC) |
	(1ull << VIRTIO_RING_F_EVENT_IDX) | (1ull << VU_F_PROTOCOL_FEATURES) |
	(1ull << VIRTIO_ACCEL_F_MQ) | (1ull << VIRTIO_ACCEL_F_STATELESS) |
	(1ull << VIRTIO_ACCEL_F_STREAM);
static const uint64_t good_proto = (1ull << VU_PF_MQ) |
	(1ull << VU_PF_REPLY_ACK) | (1ull << VU_PF_CONFIG) |
	(1ull << VU_PF_INFLIGHT);
/* what the library may accept (dev.c known_features + vhost-user's) */
static const uint64_t lib_features =
	(1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_RING_F_INDIRECT_DESC) |
	(1ull << VIRTIO_RING_F_EVENT_IDX) | (1ull << VIRTIO_ACCEL_F_MQ) |
	(1ull << VIRTIO_ACCEL_F_STATELESS) | (1ull << VIRTIO_ACCEL_F_STREAM) |
	(1ull << VU_F_PROTOCOL_FEATURES);
static const uint64_t lib_proto = (1ull << VU_PF_MQ) |
	(1ull << VU_PF_REPLY_ACK) | (1ull << VU_PF_CONFIG);

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

/* ---- sending replies ---- */

static void be_send(const void *buf, size_t len, unsigned int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 16)];
		struct cmsghdr align;
	} ctl;
	struct msghdr mh;
	struct iovec iov;
	struct cmsghdr *c;
	int fds[16];
	unsigned int i;

	if (be.fd < 0 || !len)
		return;
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds) {
		for (i = 0; i < nfds; i++)
			fds[i] = be.spare;
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	/* the library reads before its deadline: no partial sends here */
	if (sendmsg(be.fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)len)
		FZ_CHECK(errno == EPIPE || errno == ECONNRESET,
			 "fake back-end send: %s", strerror(errno));
}

/* Answer @m: @payload of @psize bytes is the proper reply. */
static void be_reply(const struct msg *m, const void *payload, uint32_t psize)
{
	struct fz *f = be.f;
	uint8_t act = fz_u8(f), raw[256];
	struct msg r;
	size_t len, cut;
	unsigned int nfds = 0;

	if (act & 0x08)
		nfds = fz_u8(f) % 17;
	switch (act & 7) {
	case 6:	/* no reply: the library times out */
		return;
	case 7:	/* hang up */
		close(be.fd);
		be.fd = -1;
		return;
	case 5:	/* raw bytes */
		len = fz_u8(f);
		fz_bytes(f, raw, len);
		be_send(raw, len, nfds);
		return;
	default:
		break;
	}
	r.request = m->request;
	r.flags = 1 | VU_REPLY;
	r.size = psize;
	memcpy(r.payload, payload, psize);
	if ((act & 7) == 4) {
		r.request ^= fz_u32(f);
		r.flags ^= fz_u32(f);
		r.size ^= fz_u16(f);
	}
	len = 12 + (r.size < sizeof(r.payload) ? r.size : psize);
	if (act & 0x10) {
		/* two writes: the library must put the pieces together */
		cut = fz_u8(f) % len;
		be_send(&r, cut, nfds);
		be_send((uint8_t *)&r + cut, len - cut, 0);
	} else {
		be_send(&r, len, nfds);
	}
	if (act & 0x20) {
		/* a stray message the library did not ask for */
		r.request = VU_GET_FEATURES;
		r.flags = 1 | VU_REPLY;
		r.size = 8;
		be_send(&r, 20, 0);
	}
}

static void be_reply_u64(const struct msg *m, uint64_t v)
{
	be_reply(m, &v, sizeof(v));
}

/* ---- reading the library's messages ---- */

/* Read exactly @len bytes; fds that come along are counted and closed. */
static int be_read(void *buf, size_t len, unsigned int *nfds, int *fds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 16)];
		struct cmsghdr align;
	} ctl;
	size_t off = 0;
	struct msghdr mh;
	struct iovec iov;
	struct cmsghdr *c;
	ssize_t n;

	while (off < len) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = (uint8_t *)buf + off;
		iov.iov_len = len - off;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		n = recvmsg(be.fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n <= 0)
			return off ? -EPROTO : -EAGAIN;
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			size_t k, nf;

			if (c->cmsg_level != SOL_SOCKET ||
			    c->cmsg_type != SCM_RIGHTS)
				continue;
			nf = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (k = 0; k < nf; k++) {
				if (*nfds < 4)
					memcpy(&fds[*nfds],
					       CMSG_DATA(c) + k * sizeof(int),
					       sizeof(int));
				else
					close(*(int *)(CMSG_DATA(c) +
						       k * sizeof(int)));
				(*nfds)++;
			}
		}
		off += (size_t)n;
	}
	return 0;
}

static uint32_t want_size(uint32_t req)
{
	switch (req) {
	case VU_SET_OWNER:
	case VU_GET_FEATURES:
	case VU_GET_PROTOCOL_FEATURES:
	case VU_GET_QUEUE_NUM:
		return 0;
	case VU_SET_FEATURES:
	case VU_SET_PROTOCOL_FEATURES:
	case VU_SET_VRING_NUM:
	case VU_SET_VRING_BASE:
	case VU_SET_VRING_KICK:
	case VU_SET_VRING_CALL:
	case VU_SET_VRING_ENABLE:
		return 8;
	case VU_SET_VRING_ADDR:
		return 40;
	case VU_SET_MEM_TABLE:
		return 8 + 32;
	case VU_GET_CONFIG:
		return 12 + sizeof(struct virtio_accel_config);
	default:
		return UINT32_MAX;
	}
}

static uint32_t u32_at(const struct msg *m, unsigned int off)
{
	uint32_t v;

	memcpy(&v, m->payload + off, 4);
	return v;
}

static uint64_t u64_at(const struct msg *m, unsigned int off)
{
	uint64_t v;

	memcpy(&v, m->payload + off, 8);
	return v;
}

/* How many queues the library may set up, from what it was told. */
static uint64_t max_vqs(void)
{
	if (be.proto_set && (be.set_proto & (1ull << VU_PF_MQ)))
		return be.qnum;
	return 2;
}

static void be_handle(const struct msg *m, unsigned int nfds, const int *fds)
{
	struct fz *f = be.f;
	int ack = be.proto_set && (be.set_proto & (1ull << VU_PF_REPLY_ACK));
	unsigned int i, want_fds = 0;
	uint64_t v = m->size >= 8 ? u64_at(m, 0) : 0;

	FZ_CHECK((m->flags & 3) == 1 && !(m->flags & VU_REPLY) &&
		 !(m->flags & ~(3u | VU_NEED_REPLY)),
		 "request %u: flags %#x", m->request, m->flags);
	FZ_CHECK(!(m->flags & VU_NEED_REPLY) || ack,
		 "request %u: NEED_REPLY without REPLY_ACK", m->request);
	FZ_CHECK(m->size == want_size(m->request), "request %u: size %u",
		 m->request, m->size);
	FZ_CHECK(be.nmsg++ || m->request == VU_SET_OWNER,
		 "first message %u, not SET_OWNER", m->request);
	if (m->request == VU_SET_MEM_TABLE ||
	    m->request == VU_SET_VRING_KICK || m->request == VU_SET_VRING_CALL)
		want_fds = 1;
	FZ_CHECK(nfds == want_fds, "request %u with %u fds", m->request,
		 nfds);

	switch (m->request) {
	case VU_SET_OWNER:
		break;
	case VU_GET_FEATURES:
		be.features = good_features ^ fz_u64(f);
		be.have_features = 1;
		be_reply_u64(m, be.features);
		return;
	case VU_GET_PROTOCOL_FEATURES:
		FZ_CHECK(be.have_features &&
			 (be.features & (1ull << VU_F_PROTOCOL_FEATURES)),
			 "GET_PROTOCOL_FEATURES not offered");
		be.proto = good_proto ^ fz_u64(f);
		be.have_proto = 1;
		be_reply_u64(m, be.proto);
		return;
	case VU_SET_PROTOCOL_FEATURES:
		FZ_CHECK(be.have_proto && !(v & ~(be.proto & lib_proto)),
			 "SET_PROTOCOL_FEATURES %#llx, offered %#llx",
			 (unsigned long long)v,
			 (unsigned long long)be.proto);
		be.set_proto = v;
		be.proto_set = 1;
		break;
	case VU_GET_QUEUE_NUM:
		FZ_CHECK(be.proto_set && (be.set_proto & (1ull << VU_PF_MQ)),
			 "GET_QUEUE_NUM without the MQ protocol feature");
		be.qnum = 3 ^ fz_u64(f);
		be.have_qnum = 1;
		be_reply_u64(m, be.qnum);
		return;
	case VU_GET_CONFIG: {
		uint8_t p[12 + sizeof(struct virtio_accel_config)];
		struct virtio_accel_config c;

		FZ_CHECK(u32_at(m, 0) == 0 && u32_at(m, 4) == sizeof(c) &&
			 u32_at(m, 8) == 0, "GET_CONFIG offset/size/flags");
		memset(p, 0, 12);
		memcpy(p + 4, m->payload + 4, 4);
		good_config(&c);
		memcpy(p + 12, &c, sizeof(c));
		for (i = 0; i < sizeof(p); i++)
			p[i] ^= fz_u8(f);
		be_reply(m, p, sizeof(p));
		return;
	}
	case VU_SET_FEATURES:
		FZ_CHECK(be.have_features &&
			 !(v & ~(be.features & lib_features)) &&
			 (v & (1ull << VIRTIO_F_VERSION_1)),
			 "SET_FEATURES %#llx, offered %#llx",
			 (unsigned long long)v,
			 (unsigned long long)be.features);
		be.acked_features = v;
		be.features_set = 1;
		break;
	case VU_SET_MEM_TABLE: {
		struct stat st;

		FZ_CHECK(be.features_set, "SET_MEM_TABLE before SET_FEATURES");
		FZ_CHECK(u32_at(m, 0) == 1, "%u memory regions",
			 u32_at(m, 0));
		be.mem_size = u64_at(m, 16);
		be.mem_ua = u64_at(m, 24);
		FZ_CHECK(be.mem_size && u64_at(m, 32) == 0 &&
			 u64_at(m, 8) == be.mem_ua, "memory region");
		FZ_CHECK(!fstat(fds[0], &st) &&
			 (uint64_t)st.st_size >= be.mem_size,
			 "memory fd smaller than the region");
		be.mem_set = 1;
		break;
	}
	case VU_SET_VRING_NUM:
	case VU_SET_VRING_BASE:
	case VU_SET_VRING_ADDR:
	case VU_SET_VRING_KICK:
	case VU_SET_VRING_CALL:
	case VU_SET_VRING_ENABLE: {
		uint32_t idx = u32_at(m, 0);

		FZ_CHECK(be.mem_set, "ring %u before the memory table", idx);
		if (m->request == VU_SET_VRING_KICK ||
		    m->request == VU_SET_VRING_CALL) {
			FZ_CHECK(!(v & ~0xffull), "KICK/CALL %#llx",
				 (unsigned long long)v);
			idx = (uint32_t)v;
		}
		FZ_CHECK(idx < max_vqs(), "ring %u of %llu", idx,
			 (unsigned long long)max_vqs());
		if (m->request == VU_SET_VRING_NUM) {
			uint32_t n = u32_at(m, 4);

			FZ_CHECK(n && !(n & (n - 1)) && n <= 32768,
				 "ring size %u", n);
			be.ring_num = n;
		}
		if (m->request == VU_SET_VRING_ADDR) {
			uint64_t d = u64_at(m, 8), u = u64_at(m, 16),
				 a = u64_at(m, 24), lo = be.mem_ua,
				 hi = be.mem_ua + be.mem_size;

			FZ_CHECK(!(d & 15) && !(a & 1) && !(u & 3) &&
				 d >= lo && d + 16ull * be.ring_num <= hi &&
				 a >= lo && a + 6 + 2ull * be.ring_num <= hi &&
				 u >= lo && u + 6 + 8ull * be.ring_num <= hi &&
				 u32_at(m, 4) == 0, "ring addresses");
		}
		if (m->request == VU_SET_VRING_ENABLE)
			FZ_CHECK(be.acked_features &
				 (1ull << VU_F_PROTOCOL_FEATURES),
				 "SET_VRING_ENABLE without PROTOCOL_FEATURES");
		break;
	}
	default:
		FZ_CHECK(0, "unexpected request %u", m->request);
	}
	if (m->flags & VU_NEED_REPLY)
		be_reply_u64(m, fz_u8(f) & 1 ? fz_u64(f) : 0);
}

/* Take every message the library has sent, answer each. */
static void be_step(void)
{
	int fds[4];

	while (be.fd >= 0) {
		unsigned int nfds = 0, i;
		struct msg m;
		int ret;

		ret = be_read(&m, 12, &nfds, fds);
		if (ret == -EAGAIN)
			return;
		FZ_CHECK(!ret, "a partial message header");
		FZ_CHECK(m.size <= sizeof(m.payload), "size %u", m.size);
		if (m.size)
			FZ_CHECK(!be_read(m.payload, m.size, &nfds, fds),
				 "a partial message");
		be_handle(&m, nfds, fds);
		for (i = 0; i < nfds && i < 4; i++)
			close(fds[i]);
	}
}

/* ---- the wrapped calls ---- */

int __real_connect(int fd, const struct sockaddr *sa, socklen_t len);
int __wrap_connect(int fd, const struct sockaddr *sa, socklen_t len);
int __real_poll(struct pollfd *p, nfds_t n, int timeout);
int __wrap_poll(struct pollfd *p, nfds_t n, int timeout);
int __wrap_usleep(useconds_t us);

int __wrap_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	const struct sockaddr_un *un = (const void *)sa;
	struct fz *f;
	int sv[2], spare;

	if (sa->sa_family != AF_UNIX || strcmp(un->sun_path, FUZZ_PATH))
		return __real_connect(fd, sa, len);
	if (fz_u8(be.f) == 0xff) {
		errno = ECONNREFUSED;
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		abort();
	if (dup3(sv[0], fd, O_CLOEXEC) < 0)
		abort();
	close(sv[0]);
	/* a new connection (the library retries a reset one): a new start */
	if (be.fd >= 0)
		close(be.fd);
	spare = be.spare;
	f = be.f;
	memset(&be, 0, sizeof(be));
	be.spare = spare;
	be.f = f;
	be.fd = sv[1];
	be.fe = fd;
	return 0;
}

/* The library waits between retries: no need to here. */
int __wrap_usleep(useconds_t us)
{
	return 0;
}

int __wrap_poll(struct pollfd *p, nfds_t n, int timeout)
{
	if (n != 1 || p->fd != be.fe || be.fe < 0)
		return __real_poll(p, n, timeout);
	be_step();
	/* whatever is not there now never comes: no waiting */
	return __real_poll(p, n, 0);
}

/* ---- one run ---- */

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

	static int spare = -1;

	if (spare < 0) {
		spare = eventfd(0, EFD_CLOEXEC);
		if (spare < 0)
			abort();
	}
	fz_init(&f, data, size);
	memset(&be, 0, sizeof(be));
	be.spare = spare;
	be.f = &f;
	be.fd = -1;
	be.fe = -1;
	memset(&o, 0, sizeof(o));
	b = fz_u8(&f);
	o.num_queues = b % 4;
	o.queue_size = (b & 0x80) ? 1u << (fz_u8(&f) % 9) : 8;
	o.mem_size = (size_t)(fz_u8(&f) % 4 + 1) << 20;
	o.flags = (b >> 4) & 3;

	fds_before = open_fds();
	ret = virtaccel_open(FUZZ_DEV, &o, &dev);
	/* messages that wait for no reply were not read yet */
	be_step();
	FZ_TRACE("virtaccel_open: %d\n", ret);
	FZ_CHECK(ret <= 0 && ret > -4096, "virtaccel_open returned %d", ret);
	FZ_CHECK(!ret == !!dev, "result %d with device %p", ret, dev);
	if (!ret) {
		unsigned int want = o.num_queues ? o.num_queues : 1;

		FZ_CHECK(dev->num_queues >= 1 && dev->num_queues <= want &&
			 dev->num_queues + 1 <= max_vqs() &&
			 dev->nvqs == dev->num_queues + 1,
			 "%u queues (asked %u, device %llu)", dev->num_queues,
			 want, (unsigned long long)max_vqs());
		if (!(dev->driver_features & (1ull << VIRTIO_ACCEL_F_MQ)))
			FZ_CHECK(dev->num_queues == 1, "MQ not negotiated");
		else
			FZ_CHECK(dev->num_queues <= dev->max_dataqueues,
				 "more queues than max_dataqueues");
		FZ_CHECK(dev->driver_features == be.acked_features,
			 "features acked %#llx, kept %#llx",
			 (unsigned long long)be.acked_features,
			 (unsigned long long)dev->driver_features);
		FZ_CHECK(dev->max_data_len >= 4096 && dev->max_segments >= 4 &&
			 dev->max_dataqueues >= 1, "configuration accepted");
		virtaccel_close(dev);
	}
	if (be.fd >= 0)
		close(be.fd);
	be.fd = -1;
	be.fe = -1;
	FZ_CHECK(open_fds() == fds_before, "%u fds open, %u before",
		 open_fds(), fds_before);
	return 0;
}
