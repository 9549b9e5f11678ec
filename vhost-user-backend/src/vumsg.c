// SPDX-License-Identifier: BSD-3-Clause
/*
 * The front-end is not trusted: every vhost-user message is checked here,
 * from librte_vhost's pre-message hook, before librte_vhost (DPDK 22.11,
 * the system library: not ours to change) acts on it. A message that lies
 * is refused (RTE_VHOST_MSG_RESULT_ERR: a NACK when the front-end asked for
 * a reply, else librte_vhost closes the connection) and the file
 * descriptors it carried are closed here, as librte_vhost does not close
 * them for a message its hook refused.
 *
 * Checked (docs/security.md "vhost-user front-end"):
 *  - queue indexes below the queues offered; SET_VRING_NUM a power of 2 up
 *    to 32768 and not above the inflight region's entries; SET_VRING_BASE
 *    a 16-bit index; SET_VRING_ADDR aligned;
 *    SET_VRING_KICK/CALL an eventfd (or none);
 *  - SET_LOG_BASE (dirty logging, migration): LOG_SHMFD negotiated, a
 *    16-byte payload, one fd, a sealed memfd at least that long (as the
 *    memory table's), offset 0 (librte_vhost 22.11 maps the file at the
 *    offset and adds the offset to the mapping again: any other offset
 *    would make it write past the mapping), a size no larger than the
 *    log of the memory table's highest address needs (8 bytes per
 *    256 KiB) plus QEMU's 4 KiB of headroom and as much again;
 *  - RESET_DEVICE only when its protocol feature was negotiated;
 *  - SET_MEM_TABLE: at most 8 regions, one fd each, sizes that do not
 *    wrap, each backed by a regular file at least offset + size long and
 *    sealed against shrinking (F_SEAL_SHRINK: QEMU's memory-backend-memfd,
 *    libvirtaccel), unless --allow-unsealed-memory;
 *  - messages of features never offered (SET_LOG_FD, IOTLB, back-end
 *    requests, crypto sessions, postcopy) refused.
 *
 * GET_INFLIGHT_FD and SET_INFLIGHT_FD are answered here, not by
 * librte_vhost: its handlers size the region from the message alone (one
 * GET_INFLIGHT_FD could commit gigabytes), write each queue's header past
 * a short mapping, and at SET_VRING_KICK index the region with counts read
 * from the region itself, which the front-end can rewrite at any time.
 * Here GET_INFLIGHT_FD is bounded by the queues offered and VA_MAX_QSIZE
 * and costs a sealed memfd the back-end never touches; SET_INFLIGHT_FD is
 * mapped only if it holds every queue at its size, and the worker
 * (worker.c) indexes it only below the entries it was checked to hold.
 *
 * Whatever passes here is checked again where it is used: va_dev_refresh()
 * checks every ring against the memory table librte_vhost reports.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <rte_vhost.h>

#include "backend.h"

#define VU_SET_FEATURES		2
#define VU_RESET_OWNER		4
#define VU_SET_MEM_TABLE	5
#define VU_SET_LOG_BASE		6
#define VU_SET_LOG_FD		7
#define VU_SET_VRING_NUM	8
#define VU_SET_VRING_ADDR	9
#define VU_SET_VRING_BASE	10
#define VU_GET_VRING_BASE	11
#define VU_SET_VRING_KICK	12
#define VU_SET_VRING_CALL	13
#define VU_SET_VRING_ERR	14
#define VU_SET_PROTOCOL_FEATURES 16
#define VU_SET_VRING_ENABLE	18
#define VU_SET_SLAVE_REQ_FD	21
#define VU_IOTLB_MSG		22
#define VU_CRYPTO_CREATE_SESS	26
#define VU_CRYPTO_CLOSE_SESS	27
#define VU_POSTCOPY_ADVISE	28
#define VU_POSTCOPY_LISTEN	29
#define VU_POSTCOPY_END		30
#define VU_GET_INFLIGHT_FD	31
#define VU_SET_INFLIGHT_FD	32
#define VU_RESET_DEVICE		34
#define VU_PF_LOG_SHMFD		1
#define VU_PF_RESET_DEVICE	13
/* QEMU's log: one bit per 4 KiB page, 8 bytes per 256 KiB, + 4 KiB */
#define VU_LOG_SLACK		8192u
#define VU_SET_DEVICE_STATE_FD	42

#define VU_MAX_REGIONS		8
#define VU_VRING_IDX_MASK	0xffu
#define VU_VRING_NOFD		0x100u
#define VU_VRING_F_LOG		1u
#define VU_INFL_ALIGN		64u	/* DPDK's INFLIGHT_ALIGNMENT */

/*
 * librte_vhost 22.11's struct vhu_msg_context (lib/vhost/vhost_user.h,
 * "can't be changed carelessly as external message handlers rely on
 * them"): the message (header, payload union of 632 bytes), then the fds
 * received with it.
 */
struct vu_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t uaddr;
	uint64_t mmap_offset;
};

struct vu_ctx {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
	union {
		uint64_t u64;
		struct {
			uint32_t index;
			uint32_t num;
		} state;
		struct {
			uint32_t index;
			uint32_t flags;
			uint64_t desc;
			uint64_t used;
			uint64_t avail;
			uint64_t log;
		} addr;
		struct {
			uint32_t nregions;
			uint32_t padding;
			struct vu_region r[VU_MAX_REGIONS];
		} mem;
		struct {
			uint64_t mmap_size;
			uint64_t mmap_offset;
			uint16_t num_queues;
			uint16_t queue_size;
		} infl;
		struct {
			uint64_t mmap_size;
			uint64_t mmap_offset;
		} log;
		uint8_t raw[632];
	} payload;
	int fds[VU_MAX_REGIONS];
	int fd_num;
} __attribute__((packed));

_Static_assert(sizeof(struct vu_ctx) == 680, "struct vhu_msg_context");

#define VU_INFL_MSG_SIZE	24u

/* GET_INFLIGHT_FD's memfd, sent with the reply and closed after it */
static int va_get_fd = -1;

static const char *va_msg_name(uint32_t req)
{
	static const char *const names[] = {
		[1] = "GET_FEATURES",
		[VU_SET_FEATURES] = "SET_FEATURES",
		[3] = "SET_OWNER",
		[15] = "GET_PROTOCOL_FEATURES",
		[17] = "GET_QUEUE_NUM",
		[24] = "GET_CONFIG",
		[25] = "SET_CONFIG",
		[39] = "SET_STATUS",
		[40] = "GET_STATUS",
		[VU_SET_DEVICE_STATE_FD] = "SET_DEVICE_STATE_FD",
		[43] = "CHECK_DEVICE_STATE",
		[VU_RESET_OWNER] = "RESET_OWNER",
		[VU_SET_MEM_TABLE] = "SET_MEM_TABLE",
		[VU_SET_LOG_BASE] = "SET_LOG_BASE",
		[VU_SET_LOG_FD] = "SET_LOG_FD",
		[VU_SET_VRING_NUM] = "SET_VRING_NUM",
		[VU_SET_VRING_ADDR] = "SET_VRING_ADDR",
		[VU_SET_VRING_BASE] = "SET_VRING_BASE",
		[VU_GET_VRING_BASE] = "GET_VRING_BASE",
		[VU_SET_VRING_KICK] = "SET_VRING_KICK",
		[VU_SET_VRING_CALL] = "SET_VRING_CALL",
		[VU_SET_VRING_ERR] = "SET_VRING_ERR",
		[VU_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
		[VU_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
		[VU_SET_SLAVE_REQ_FD] = "SET_BACKEND_REQ_FD",
		[VU_IOTLB_MSG] = "IOTLB_MSG",
		[VU_CRYPTO_CREATE_SESS] = "CRYPTO_CREATE_SESS",
		[VU_CRYPTO_CLOSE_SESS] = "CRYPTO_CLOSE_SESS",
		[VU_POSTCOPY_ADVISE] = "POSTCOPY_ADVISE",
		[VU_POSTCOPY_LISTEN] = "POSTCOPY_LISTEN",
		[VU_POSTCOPY_END] = "POSTCOPY_END",
		[VU_GET_INFLIGHT_FD] = "GET_INFLIGHT_FD",
		[VU_SET_INFLIGHT_FD] = "SET_INFLIGHT_FD",
		[VU_RESET_DEVICE] = "RESET_DEVICE",
	};

	if (req < sizeof(names) / sizeof(names[0]) && names[req])
		return names[req];
	return "message";
}

static int va_pow2(uint64_t n)
{
	return n && !(n & (n - 1));
}

/* Bytes of one queue's part of an inflight region (DPDK's layout). */
static uint64_t va_infl_stride(uint32_t qsize)
{
	uint64_t n = 16ull * qsize + 16;

	return (n + VU_INFL_ALIGN - 1) & ~(uint64_t)(VU_INFL_ALIGN - 1);
}

static void va_close_fds(struct vu_ctx *m)
{
	int i;

	for (i = 0; i < m->fd_num && i < VU_MAX_REGIONS; i++) {
		if (m->fds[i] >= 0)
			close(m->fds[i]);
		m->fds[i] = -1;
	}
	m->fd_num = 0;
}

/*
 * Can memory mapped from @fd at [@off, @off + @len) be lost under the
 * back-end's feet? Returns NULL if not, else why.
 */
static const char *va_fd_check(int fd, uint64_t off, uint64_t len, char *buf,
			       size_t n)
{
	struct stat st;
	int seals;

	if (fd < 0 || fstat(fd, &st) < 0)
		return "no file descriptor";
	if (!S_ISREG(st.st_mode))
		return "not a regular file (memfd, tmpfs or hugetlbfs)";
	if (off + len < off || (uint64_t)st.st_size < off + len) {
		snprintf(buf, n,
			 "the file has %lld bytes, offset + size is %llu",
			 (long long)st.st_size,
			 (unsigned long long)(off + len));
		return buf;
	}
	seals = fcntl(fd, F_GET_SEALS);
	if (seals >= 0 && (seals & F_SEAL_SHRINK))
		return NULL;
	if (va_opts.allow_unsealed)
		return NULL;
	return seals < 0 ?
	       "not a sealable file (a memfd sealed with F_SEAL_SHRINK is required; see --allow-unsealed-memory)" :
	       "not sealed against shrinking (F_SEAL_SHRINK is required; see --allow-unsealed-memory)";
}

/* An eventfd, as the protocol requires (a pipe could block the worker). */
static int va_is_eventfd(int fd)
{
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		/* no /proc to tell: the worker survives any fd anyway */
		return errno == ENOENT && access("/proc/self/fd", F_OK) < 0;
	link[n] = 0;
	return !strcmp(link, "anon_inode:[eventfd]");
}

static const char *va_check_mem(struct vu_ctx *m, char *buf, size_t n)
{
	uint32_t i, nr = m->payload.mem.nregions;
	const char *why;

	if (m->size < 8 || nr > VU_MAX_REGIONS ||
	    m->size < 8 + nr * sizeof(struct vu_region))
		return "region count above 8 or beyond the message";
	if ((uint32_t)m->fd_num != nr)
		return "not one file descriptor per region";
	for (i = 0; i < nr; i++) {
		struct vu_region reg, *r = &reg;

		memcpy(&reg, (const uint8_t *)m->payload.mem.r + i * sizeof(reg),
		       sizeof(reg));
		if (!r->size || r->gpa + r->size < r->gpa ||
		    r->uaddr + r->size < r->uaddr ||
		    r->mmap_offset + r->size < r->mmap_offset) {
			snprintf(buf, n, "region %u: size 0 or an end beyond 2^64",
				 i);
			return buf;
		}
		why = va_fd_check(m->fds[i], r->mmap_offset, r->size,
				  buf + n / 2, n / 2);
		if (why) {
			snprintf(buf, n / 2, "region %u (%llu bytes at offset %llu): %s",
				 i, (unsigned long long)r->size,
				 (unsigned long long)r->mmap_offset, why);
			return buf;
		}
	}
	return NULL;
}

static int va_pf_negotiated(const struct va_dev *d, unsigned int bit)
{
	uint64_t pf = 0;

	if (d->vid < 0 ||
	    rte_vhost_get_negotiated_protocol_features(d->vid, &pf) < 0)
		return 0;
	return !!(pf & (1ull << bit));
}

/* SET_LOG_BASE: librte_vhost maps it and bounds its writes by its size. */
static const char *va_check_log(struct va_dev *d, struct vu_ctx *m,
				char *buf, size_t n)
{
	uint64_t len = m->payload.log.mmap_size;
	uint64_t max = (d->mem_end >> 15) + 8 + VU_LOG_SLACK;
	const char *why;

	if (!va_pf_negotiated(d, VU_PF_LOG_SHMFD))
		return "LOG_SHMFD not negotiated";
	if (m->size != 16)
		return "payload size is not 16";
	if (m->fd_num != 1)
		return "not one file descriptor";
	if (m->payload.log.mmap_offset) {
		snprintf(buf, n, "offset %llu (only 0 is mapped right by librte_vhost 22.11)",
			 (unsigned long long)m->payload.log.mmap_offset);
		return buf;
	}
	if (!d->mem_end)
		return "no memory table yet";
	if (!len || len > max) {
		snprintf(buf, n, "log of %llu bytes: the memory table (up to guest address 0x%llx) needs at most %llu",
			 (unsigned long long)len,
			 (unsigned long long)d->mem_end,
			 (unsigned long long)max);
		return buf;
	}
	why = va_fd_check(m->fds[0], 0, len, buf + n / 2, n / 2);
	if (why) {
		snprintf(buf, n / 2, "log of %llu bytes: %s",
			 (unsigned long long)len, why);
		return buf;
	}
	return NULL;
}

static const char *va_check_inflight(struct va_dev *d, struct vu_ctx *m,
				     int set, char *buf, size_t n)
{
	uint32_t nq = m->payload.infl.num_queues;
	uint32_t qs = m->payload.infl.queue_size;
	uint64_t need, off = m->payload.infl.mmap_offset;
	uint64_t len = m->payload.infl.mmap_size;
	const char *why;
	uint32_t i;

	if (va_opts.no_inflight)
		return "inflight tracking not offered (--no-inflight)";
	if (m->size != VU_INFL_MSG_SIZE)
		return "payload size is not 24";
	if (set && m->fd_num != 1)
		return "not one file descriptor";
	if (!nq || nq > d->nr_vq || !va_pow2(qs) || qs > VA_MAX_QSIZE) {
		snprintf(buf, n, "%u queues of %u entries: the device has %u queues of at most %u (a power of 2)",
			 nq, qs, d->nr_vq, VA_MAX_QSIZE);
		return buf;
	}
	if (!set)
		return NULL;
	need = nq * va_infl_stride(qs);
	if (len < need || off % 4096) {
		snprintf(buf, n, "region of %llu bytes at offset %llu for %u queues of %u entries (%llu bytes, page-aligned offset)",
			 (unsigned long long)len, (unsigned long long)off, nq,
			 qs, (unsigned long long)need);
		return buf;
	}
	for (i = 0; i < nq; i++) {
		if (d->vq[i].msg_num > qs) {
			snprintf(buf, n, "queue %u has %u entries, the region %u",
				 i, d->vq[i].msg_num, qs);
			return buf;
		}
	}
	why = va_fd_check(m->fds[0], off, len, buf + n / 2, n / 2);
	if (why) {
		snprintf(buf, n / 2, "%s", why);
		return buf;
	}
	return NULL;
}

static const char *va_check_vring(struct va_dev *d, struct vu_ctx *m,
				  char *buf, size_t n)
{
	uint32_t idx, num;

	switch (m->request) {
	case VU_SET_VRING_KICK:
	case VU_SET_VRING_CALL:
	case VU_SET_VRING_ERR:
		if (m->size < 8)
			return "payload shorter than 8 bytes";
		if (m->payload.u64 & ~(uint64_t)(VU_VRING_IDX_MASK |
						  VU_VRING_NOFD))
			return "unknown bits in the queue index";
		idx = m->payload.u64 & VU_VRING_IDX_MASK;
		break;
	case VU_SET_VRING_ADDR:
		if (m->size < 40)
			return "payload shorter than 40 bytes";
		idx = m->payload.addr.index;
		break;
	default:
		if (m->size < 8)
			return "payload shorter than 8 bytes";
		idx = m->payload.state.index;
		break;
	}
	if (idx >= d->nr_vq) {
		snprintf(buf, n, "queue %u: the device has %u", idx, d->nr_vq);
		return buf;
	}
	num = m->payload.state.num;
	switch (m->request) {
	case VU_SET_VRING_NUM:
		if (!va_pow2(num) || num > VA_MAX_QSIZE) {
			snprintf(buf, n, "queue %u: size %u is not a power of 2 up to %u",
				 idx, num, VA_MAX_QSIZE);
			return buf;
		}
		if (d->vq[idx].infl_region && num > d->vq[idx].infl_cap) {
			snprintf(buf, n, "queue %u: size %u above the %u entries of its inflight region",
				 idx, num, d->vq[idx].infl_cap);
			return buf;
		}
		break;
	case VU_SET_VRING_BASE:
		if (num > 0xffff) {
			snprintf(buf, n, "queue %u: base %u above 65535", idx,
				 num);
			return buf;
		}
		break;
	case VU_SET_VRING_ENABLE:
		if (num > 1)
			return "enable is neither 0 nor 1";
		break;
	case VU_SET_VRING_ADDR:
		/* VHOST_VRING_F_LOG: librte_vhost logs used-ring writes */
		if ((m->payload.addr.desc & 15) || (m->payload.addr.avail & 1) ||
		    (m->payload.addr.used & 3)) {
			snprintf(buf, n, "queue %u: misaligned rings (virtio 1.x 2.7)",
				 idx);
			return buf;
		}
		break;
	case VU_SET_VRING_KICK:
	case VU_SET_VRING_CALL:
	case VU_SET_VRING_ERR:
		if ((uint32_t)m->fd_num != ((m->payload.u64 & VU_VRING_NOFD) ?
					    0u : 1u))
			return "file descriptor count does not match the NOFD bit";
		if (m->fd_num && m->request != VU_SET_VRING_ERR &&
		    !va_is_eventfd(m->fds[0])) {
			snprintf(buf, n, "queue %u: not an eventfd", idx);
			return buf;
		}
		break;
	default:
		break;
	}
	return NULL;
}

int va_msg_check(struct va_dev *d, void *msg)
{
	struct vu_ctx *m = msg;
	const char *why = NULL;
	char buf[512];

	/* librte_vhost's own: anything else is its bug, not the peer's lie */
	if (m->fd_num < 0 || m->fd_num > VU_MAX_REGIONS) {
		VA_ERR("refusing request %u: malformed message context",
		       m->request);
		m->fd_num = 0;
		return -1;
	}
	buf[0] = 0;
	switch (m->request) {
	case VU_SET_MEM_TABLE:
	case VU_SET_LOG_BASE:
	case VU_SET_LOG_FD:
	case VU_SET_VRING_KICK:
	case VU_SET_VRING_CALL:
	case VU_SET_VRING_ERR:
	case VU_SET_SLAVE_REQ_FD:
	case VU_SET_INFLIGHT_FD:
	case VU_SET_DEVICE_STATE_FD:
		break;
	default:
		/*
		 * librte_vhost closes the fds of a message that takes none,
		 * but not of one its hook answered (GET_CONFIG, ...)
		 */
		if (m->fd_num) {
			why = "file descriptors sent with a message that takes none";
			goto refuse;
		}
		break;
	}
	switch (m->request) {
	case VU_SET_FEATURES:
	case VU_SET_PROTOCOL_FEATURES:
		if (m->size < 8)
			why = "payload shorter than 8 bytes";
		break;
	case VU_SET_DEVICE_STATE_FD:
		/* u32 direction, u32 phase; the pipe (migrate.c) */
		if (m->size != 8)
			why = "payload is not 8 bytes";
		else if (m->fd_num != 1)
			why = "not exactly one file descriptor";
		break;
	case VU_SET_MEM_TABLE:
		why = va_check_mem(m, buf, sizeof(buf));
		break;
	case VU_SET_VRING_NUM:
	case VU_SET_VRING_ADDR:
	case VU_SET_VRING_BASE:
	case VU_GET_VRING_BASE:
	case VU_SET_VRING_KICK:
	case VU_SET_VRING_CALL:
	case VU_SET_VRING_ERR:
	case VU_SET_VRING_ENABLE:
		why = va_check_vring(d, m, buf, sizeof(buf));
		break;
	case VU_GET_INFLIGHT_FD:
		why = va_check_inflight(d, m, 0, buf, sizeof(buf));
		break;
	case VU_SET_INFLIGHT_FD:
		why = va_check_inflight(d, m, 1, buf, sizeof(buf));
		break;
	case VU_SET_LOG_BASE:
		why = va_check_log(d, m, buf, sizeof(buf));
		break;
	case VU_RESET_DEVICE:
		/* not negotiated: unhandled, as before it was offered */
		if (!va_pf_negotiated(d, VU_PF_RESET_DEVICE))
			why = "RESET_DEVICE not negotiated";
		break;
	case VU_SET_LOG_FD:
	case VU_SET_SLAVE_REQ_FD:
	case VU_IOTLB_MSG:
	case VU_CRYPTO_CREATE_SESS:
	case VU_CRYPTO_CLOSE_SESS:
	case VU_POSTCOPY_ADVISE:
	case VU_POSTCOPY_LISTEN:
	case VU_POSTCOPY_END:
		why = "its feature is not offered";
		break;
	default:
		break;
	}
	if (why) {
refuse:
		VA_ERR("refusing %s (request %u): %s", va_msg_name(m->request),
		       m->request, why);
		va_close_fds(m);
		return -1;
	}
	switch (m->request) {
	case VU_SET_VRING_NUM:
		d->vq[m->payload.state.index].msg_num = m->payload.state.num;
		break;
	case VU_SET_MEM_TABLE:
		d->mem_end = 0;
		for (unsigned int i = 0; i < m->payload.mem.nregions; i++) {
			struct vu_region r;

			memcpy(&r, (const uint8_t *)m->payload.mem.r +
				    i * sizeof(r), sizeof(r));
			if (r.gpa + r.size > d->mem_end)
				d->mem_end = r.gpa + r.size;
		}
		break;
	case VU_RESET_OWNER:
		for (unsigned int i = 0; i < VA_MAX_VQ; i++)
			d->vq[i].msg_num = 0;
		break;
	default:
		break;
	}
	return 0;
}

static void va_infl_unmap(struct va_dev *d)
{
	unsigned int i;

	for (i = 0; i < VA_MAX_VQ; i++) {
		d->vq[i].infl_region = NULL;
		d->vq[i].infl_cap = 0;
	}
	if (d->infl_base)
		munmap(d->infl_base, d->infl_len);
	d->infl_base = NULL;
	d->infl_len = 0;
	d->infl_nq = 0;
	d->infl_qsize = 0;
}

/* GET_INFLIGHT_FD (checked): a new zeroed region the front-end keeps. */
static int va_get_inflight(struct va_dev *d, struct vu_ctx *m)
{
	uint32_t nq = m->payload.infl.num_queues;
	uint32_t qs = m->payload.infl.queue_size;
	uint64_t len = nq * va_infl_stride(qs);
	int fd;

	fd = memfd_create("vhost-accel-inflight",
			  MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || ftruncate(fd, (off_t)len) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0) {
		VA_ERR("GET_INFLIGHT_FD: cannot create the region: %s",
		       strerror(errno));
		if (fd >= 0)
			close(fd);
		return RTE_VHOST_MSG_RESULT_ERR;
	}
	if (va_get_fd >= 0)
		close(va_get_fd);
	va_get_fd = fd;
	m->payload.infl.mmap_size = len;
	m->payload.infl.mmap_offset = 0;
	m->size = VU_INFL_MSG_SIZE;
	m->fds[0] = fd;
	m->fd_num = 1;
	VA_INFO("inflight region: %u queues of %u entries, %llu bytes", nq,
		qs, (unsigned long long)len);
	return RTE_VHOST_MSG_RESULT_REPLY;
}

/* SET_INFLIGHT_FD (checked; the worker is parked or not running). */
static int va_set_inflight(struct va_dev *d, struct vu_ctx *m)
{
	uint32_t nq = m->payload.infl.num_queues;
	uint32_t qs = m->payload.infl.queue_size;
	uint64_t len = m->payload.infl.mmap_size;
	uint64_t stride = va_infl_stride(qs);
	uint8_t *p;
	uint32_t i;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, m->fds[0],
		 (off_t)m->payload.infl.mmap_offset);
	va_close_fds(m);
	if (p == MAP_FAILED) {
		VA_ERR("refusing SET_INFLIGHT_FD: mmap: %s", strerror(errno));
		return RTE_VHOST_MSG_RESULT_ERR;
	}
	va_infl_unmap(d);
	d->infl_base = p;
	d->infl_len = len;
	d->infl_nq = nq;
	d->infl_qsize = qs;
	for (i = 0; i < nq; i++) {
		struct va_infl_split *r = (void *)(p + i * stride);

		r->desc_num = (uint16_t)(qs < 0xffff ? qs : 0xffff);
		d->vq[i].infl_region = r;
		d->vq[i].infl_cap = qs;
	}
	VA_INFO("inflight region set: %u queues of %u entries", nq, qs);
	return RTE_VHOST_MSG_RESULT_OK;
}

int va_msg_handle(struct va_dev *d, void *msg)
{
	struct vu_ctx *m = msg;

	switch (m->request) {
	case VU_GET_INFLIGHT_FD:
		return va_get_inflight(d, m);
	case VU_SET_INFLIGHT_FD:
		return va_set_inflight(d, m);
	case VU_SET_MEM_TABLE:	/* librte_vhost unmaps the old regions */
		va_dma_unmap(d, "SET_MEM_TABLE");
		return -1;
	default:
		return -1;
	}
}

void va_msg_post(struct va_dev *d, void *msg)
{
	(void)d;
	(void)msg;
	/* the reply that carried it has gone */
	if (va_get_fd >= 0)
		close(va_get_fd);
	va_get_fd = -1;
}

void va_msg_reset(struct va_dev *d)
{
	unsigned int i;

	va_msg_post(d, NULL);
	va_infl_unmap(d);
	for (i = 0; i < VA_MAX_VQ; i++) {
		d->vq[i].msg_num = 0;
		d->vq[i].bad = NULL;
	}
	d->mem_end = 0;
}
