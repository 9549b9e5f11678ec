// SPDX-License-Identifier: BSD-3-Clause
/*
 * mig-vu: the vhost-user side of live migration (issue 16,
 * docs/migration-design.md D6, D7, 2.3) against the real back-end over its
 * socket, with a front-end written from scratch (raw messages, its own
 * memfd, eventfds and rings, as QEMU sends them; no QEMU needed).
 *
 *   mig-vu [--backend BIN]
 *
 * suspend:  RESET_DEVICE negotiated, a session created, the rings stopped
 *           (GET_VRING_BASE) and restarted (SET_VRING_* + kick): the same
 *           session ID hashes again; RESET_DEVICE then destroys it
 *           (INVSESS), with the rings stopped and with them running.
 * legacy:   RESET_DEVICE not negotiated: a ring stop destroys the
 *           sessions as before, RESET_DEVICE itself is refused.
 * drain:    64 requests of 40 ms each (--test-delay-us) on a queue,
 *           GET_VRING_BASE while they run: answered within a bound
 *           (after one request, not the batch of 64), every request
 *           taken completed and published at the index it reports, none
 *           left flagged in the inflight region, the rest served after
 *           the restart; without and with inflight tracking.
 * log:      SET_LOG_BASE with a sealed memfd, VHOST_F_LOG_ALL switched on
 *           on the running device, VHOST_VRING_F_LOG: the pages of every
 *           dst and response written and of the used ring are marked,
 *           the pages only read or never touched are not; LOG_ALL off:
 *           nothing more is marked. Plain and through the asynchronous
 *           pipeline (--test-engine-latency-us).
 * log-lies: SET_LOG_BASE without fd, with 2 fds, a file shorter than the
 *           log, a log far larger than guest memory needs, an unsealed
 *           file, a non-zero offset, a short payload, LOG_SHMFD not
 *           negotiated: each refused, the back-end alive and serving the
 *           same front-end after it.
 *
 * Output: "ok N - ..." / "not ok N - ..." lines, then "N passed, N failed".
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <linux/virtio_ring.h>

#include "linux/virtio_accel.h"

enum {
	GET_FEATURES = 1, SET_FEATURES, SET_OWNER, RESET_OWNER,
	SET_MEM_TABLE, SET_LOG_BASE, SET_LOG_FD, SET_VRING_NUM,
	SET_VRING_ADDR, SET_VRING_BASE, GET_VRING_BASE, SET_VRING_KICK,
	SET_VRING_CALL, SET_VRING_ERR, GET_PROTOCOL_FEATURES,
	SET_PROTOCOL_FEATURES, GET_QUEUE_NUM, SET_VRING_ENABLE,
	GET_INFLIGHT_FD = 31, SET_INFLIGHT_FD = 32, RESET_DEVICE = 34,
};
#define F_VERSION	1u
#define F_NEED_REPLY	(1u << 3)

#define FEAT_LOG_ALL	(1ull << 26)
#define FEAT_PROTOCOL	(1ull << 30)
#define FEAT_VERSION_1	(1ull << 32)
#define PF_LOG_SHMFD	(1ull << 1)
#define PF_REPLY_ACK	(1ull << 3)
#define PF_INFLIGHT	(1ull << 12)
#define PF_RESET_DEVICE	(1ull << 13)
#define VRING_F_LOG	1u

#define NVQ		2	/* --queues 1: control queue + data queue 0 */
#define QSZ		256
#define MEM_SIZE	(4u << 20)
#define MEM_GPA		(1ull << 20)
#define PAGE		4096u
/* page numbers inside the memory region */
#define PG_REQ		32	/* request headers and src (read only) */
#define PG_CTRL		40	/* control responses */
#define PG_DST		48	/* dst of request k: PG_DST + 2 * k */
#define PG_GAP		49	/* between two dsts: never written */
#define PG_RESP		200	/* responses of data requests */
#define NREQ_MAX	64
#define NREQ		64	/* drain: requests queued */

struct region {
	uint64_t gpa, size, uaddr, off;
};

struct msg {
	uint32_t req, flags, size;
	union {
		uint64_t u64;
		struct {
			uint32_t index, num;
		} st;
		struct {
			uint32_t index, flags;
			uint64_t desc, used, avail, log;
		} addr;
		struct {
			uint32_t n, pad;
			struct region r[8];
		} mem;
		struct {
			uint64_t size, off;
			uint16_t nq, qs;
		} infl;
		uint8_t raw[512];
	} p;
} __attribute__((packed));

static const char *backend = "build/vhost-user-accel";
static char dir[64], sock_path[108], log_path[128];
static pid_t bpid = -1;
static int npass, nfail, ntest;
static const uint8_t sha_abc[32] = {
	0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
	0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
	0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
};

static void check(int cond, const char *fmt, ...)
{
	va_list ap;

	ntest++;
	printf("%s %d - ", cond ? "ok" : "not ok", ntest);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (cond)
		npass++;
	else
		nfail++;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int sock_connect(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return -1;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock_path);
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(s);
		return -1;
	}
	return s;
}

static int alive(void)
{
	return bpid > 0 && waitpid(bpid, NULL, WNOHANG) == 0;
}

static void backend_stop(void)
{
	int i;

	if (bpid < 0)
		return;
	kill(bpid, SIGTERM);
	for (i = 0; i < 100 && alive(); i++)
		sleep_ms(100);
	if (alive())
		kill(bpid, SIGKILL);
	waitpid(bpid, NULL, 0);
	bpid = -1;
}

/* The back-end with --queues 1 and @extra (NULL-terminated) arguments. */
static int backend_start(const char *const *extra)
{
	const char *argv[16] = { backend, "--socket-path", sock_path,
				 "--queues", "1" };
	long t0 = now_ms();
	int n = 5, s;

	while (extra && *extra && n < 15)
		argv[n++] = *extra++;
	argv[n] = NULL;
	unlink(sock_path);
	bpid = fork();
	if (bpid < 0)
		return -1;
	if (!bpid) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execv(backend, (char *const *)argv);
		_exit(127);
	}
	while (now_ms() - t0 < 60000) {
		if (!alive())
			return -1;
		s = sock_connect();
		if (s >= 0) {
			close(s);
			sleep_ms(100);
			return 0;
		}
		sleep_ms(50);
	}
	return -1;
}

static int xsend(int s, struct msg *m, const int *fds, int nfds)
{
	char cbuf[CMSG_SPACE(8 * sizeof(int))];
	struct iovec iov = { m, 12 + m->size };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (nfds) {
		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	return sendmsg(s, &mh, MSG_NOSIGNAL) == (ssize_t)iov.iov_len ? 0 : -1;
}

static int xrecv(int s, struct msg *m, int *fd, int tmo_ms)
{
	char cbuf[CMSG_SPACE(8 * sizeof(int))];
	struct iovec iov = { m, 12 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct pollfd pf = { s, POLLIN, 0 };
	struct cmsghdr *c;

	if (fd)
		*fd = -1;
	if (poll(&pf, 1, tmo_ms) != 1)
		return -1;
	if (recvmsg(s, &mh, MSG_CMSG_CLOEXEC) != 12)
		return -1;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		int k, nf = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int got[8];

		if (c->cmsg_type != SCM_RIGHTS)
			continue;
		memcpy(got, CMSG_DATA(c), nf * sizeof(int));
		for (k = 0; k < nf; k++) {
			if (fd && *fd < 0)
				*fd = got[k];
			else
				close(got[k]);
		}
	}
	if (m->size > sizeof(m->p))
		return -1;
	if (m->size && recv(s, &m->p, m->size, MSG_WAITALL) !=
	    (ssize_t)m->size)
		return -1;
	return 0;
}

struct fe {
	int s;
	uint64_t feat, pf, have;
	int memfd;
	uint8_t *mem;
	int kick[NVQ], call[NVQ];
	uint16_t avail_idx[NVQ];
	uint16_t used_seen[NVQ];
	int infl_fd;
	uint8_t *infl;
	uint64_t infl_len;
	int logfd;
	uint8_t *log;
	uint64_t log_len;
};

/* Send; with REPLY_ACK wait for the ack. 0 accepted, 1 refused. */
static int tellf(struct fe *f, uint32_t req, const void *pl, uint32_t size,
		 const int *fds, int nfds)
{
	struct msg m;

	if (f->s < 0)
		return 1;
	memset(&m, 0, sizeof(m));
	m.req = req;
	m.flags = F_VERSION | F_NEED_REPLY;
	m.size = size;
	if (size)
		memcpy(&m.p, pl, size);
	if (xsend(f->s, &m, fds, nfds) < 0 ||
	    xrecv(f->s, &m, NULL, 10000) < 0 || m.req != req)
		return 1;
	/* SET_LOG_BASE: an empty reply when accepted */
	if (req == SET_LOG_BASE && m.size == 0)
		return 0;
	return m.size != 8 || m.p.u64 != 0;
}

static int tell_u64(struct fe *f, uint32_t req, uint64_t v)
{
	return tellf(f, req, &v, 8, NULL, 0);
}

static int tell_state(struct fe *f, uint32_t req, uint32_t idx, uint32_t num)
{
	uint32_t st[2] = { idx, num };

	return tellf(f, req, st, 8, NULL, 0);
}

static int ask(struct fe *f, uint32_t req, const void *pl, uint32_t size,
	       struct msg *m, int *fd)
{
	memset(m, 0, sizeof(*m));
	m->req = req;
	m->flags = F_VERSION;
	m->size = size;
	if (size)
		memcpy(&m->p, pl, size);
	if (xsend(f->s, m, NULL, 0) < 0 || xrecv(f->s, m, fd, 10000) < 0 ||
	    m->req != req)
		return -1;
	return 0;
}

static int memfd_new(uint64_t size, int seal)
{
	int fd = memfd_create("mig-vu", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size) < 0 ||
	    (seal && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void fe_close(struct fe *f)
{
	int i;

	if (f->s >= 0)
		close(f->s);
	f->s = -1;
	for (i = 0; i < NVQ; i++) {
		if (f->kick[i] >= 0)
			close(f->kick[i]);
		if (f->call[i] >= 0)
			close(f->call[i]);
		f->kick[i] = f->call[i] = -1;
	}
	if (f->mem)
		munmap(f->mem, MEM_SIZE);
	if (f->infl)
		munmap(f->infl, f->infl_len);
	if (f->log)
		munmap(f->log, f->log_len);
	f->mem = f->infl = f->log = NULL;
	if (f->memfd >= 0)
		close(f->memfd);
	if (f->infl_fd >= 0)
		close(f->infl_fd);
	if (f->logfd >= 0)
		close(f->logfd);
	f->memfd = f->infl_fd = f->logfd = -1;
	/* the back-end tears the connection down before the next one */
	sleep_ms(200);
}

/* rings of queue q at q * 64 KiB: desc, avail +16 KiB, used +24 KiB */
static uint64_t ring_off(unsigned int q, int part)
{
	static const uint64_t off[3] = { 0, 16384, 24576 };

	return q * 65536ull + off[part];
}

static struct vring_desc *fe_desc(struct fe *f, unsigned int q)
{
	return (void *)(f->mem + ring_off(q, 0));
}

static struct vring_avail *fe_avail(struct fe *f, unsigned int q)
{
	return (void *)(f->mem + ring_off(q, 1));
}

static struct vring_used *fe_used(struct fe *f, unsigned int q)
{
	return (void *)(f->mem + ring_off(q, 2));
}

static int fe_addr(struct fe *f, unsigned int q, int log)
{
	struct {
		uint32_t index, flags;
		uint64_t desc, used, avail, log;
	} a = {
		q, log ? VRING_F_LOG : 0,
		(uintptr_t)f->mem + ring_off(q, 0),
		(uintptr_t)f->mem + ring_off(q, 2),
		(uintptr_t)f->mem + ring_off(q, 1),
		MEM_GPA + ring_off(q, 2),
	};

	return tellf(f, SET_VRING_ADDR, &a, sizeof(a), NULL, 0);
}

/* Start queue @q at avail/used index @base (fresh eventfds). */
static int fe_queue(struct fe *f, unsigned int q, uint16_t base, int log)
{
	uint64_t v = q;

	if (f->kick[q] >= 0)
		close(f->kick[q]);
	if (f->call[q] >= 0)
		close(f->call[q]);
	f->kick[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	f->call[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return tell_state(f, SET_VRING_NUM, q, QSZ) ||
	       tell_state(f, SET_VRING_BASE, q, base) || fe_addr(f, q, log) ||
	       tellf(f, SET_VRING_KICK, &v, 8, &f->kick[q], 1) ||
	       tellf(f, SET_VRING_CALL, &v, 8, &f->call[q], 1) ||
	       tell_state(f, SET_VRING_ENABLE, q, 1);
}

/* GET_VRING_BASE of queue @q: its avail index, -1 on failure. */
static int fe_stop(struct fe *f, unsigned int q)
{
	uint32_t st[2] = { q, 0 };
	struct msg m;

	if (ask(f, GET_VRING_BASE, st, 8, &m, NULL) < 0 || m.size != 8)
		return -1;
	return (int)m.p.st.num;
}

/* Connect and set up a device of NVQ queues; @infl: inflight tracking. */
static int fe_open(struct fe *f, uint64_t feat, uint64_t pf, int infl)
{
	uint64_t have = 0, phave = 0;
	struct msg m;
	struct {
		uint32_t n, pad;
		struct region r;
	} mt;
	unsigned int q;
	int i;

	memset(f, 0, sizeof(*f));
	f->memfd = f->infl_fd = f->logfd = -1;
	for (i = 0; i < NVQ; i++)
		f->kick[i] = f->call[i] = -1;
	for (i = 0; i < 50; i++) {
		if (i)
			sleep_ms(100);
		f->s = sock_connect();
		if (f->s < 0)
			continue;
		if (!ask(f, GET_FEATURES, NULL, 0, &m, NULL) && m.size == 8) {
			have = m.p.u64;
			break;
		}
		close(f->s);
		f->s = -1;
	}
	if (f->s < 0 || ask(f, GET_PROTOCOL_FEATURES, NULL, 0, &m, NULL) ||
	    m.size != 8)
		return -1;
	phave = m.p.u64;
	f->have = have;
	f->feat = feat & have;
	f->pf = (pf | PF_REPLY_ACK) & phave;
	memset(&m, 0, sizeof(m));
	m.req = SET_PROTOCOL_FEATURES;
	m.flags = F_VERSION;
	m.size = 8;
	m.p.u64 = f->pf;
	if (xsend(f->s, &m, NULL, 0) < 0 || tellf(f, SET_OWNER, NULL, 0,
						  NULL, 0) ||
	    tell_u64(f, SET_FEATURES, f->feat))
		return -1;
	f->memfd = memfd_new(MEM_SIZE, 1);
	if (f->memfd < 0)
		return -1;
	f->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		      f->memfd, 0);
	if (f->mem == MAP_FAILED) {
		f->mem = NULL;
		return -1;
	}
	memset(&mt, 0, sizeof(mt));
	mt.n = 1;
	mt.r.gpa = MEM_GPA;
	mt.r.size = MEM_SIZE;
	mt.r.uaddr = (uintptr_t)f->mem;
	if (tellf(f, SET_MEM_TABLE, &mt, sizeof(mt), &f->memfd, 1))
		return -1;
	if (infl) {
		struct {
			uint64_t size, off;
			uint16_t nq, qs;
			uint32_t pad;
		} in = { 0, 0, NVQ, QSZ, 0 };

		if (ask(f, GET_INFLIGHT_FD, &in, 24, &m, &f->infl_fd) < 0 ||
		    f->infl_fd < 0)
			return -1;
		in.size = m.p.infl.size;
		f->infl_len = in.size;
		f->infl = mmap(NULL, in.size, PROT_READ | PROT_WRITE,
			       MAP_SHARED, f->infl_fd, 0);
		if (f->infl == MAP_FAILED) {
			f->infl = NULL;
			return -1;
		}
		if (tellf(f, SET_INFLIGHT_FD, &in, 24, &f->infl_fd, 1))
			return -1;
	}
	for (q = 0; q < NVQ; q++)
		if (fe_queue(f, q, 0, 0))
			return -1;
	return 0;
}

static uint64_t gpa_of(uint64_t off)
{
	return MEM_GPA + off;
}

/*
 * Post one chain on queue @q: readable [@rd, @rd + @rdlen), writable
 * pieces @wr[i] of @wrlen[i] bytes (offsets in the region). Returns its
 * head.
 */
static uint16_t fe_post(struct fe *f, unsigned int q, uint64_t rd,
			uint32_t rdlen, const uint64_t *wr,
			const uint32_t *wrlen, unsigned int nwr, int kick)
{
	struct vring_desc *d = fe_desc(f, q);
	struct vring_avail *a = fe_avail(f, q);
	uint16_t head = (uint16_t)((f->avail_idx[q] * 4u) % QSZ), i = head;
	unsigned int k;
	uint64_t one = 1;

	d[i].addr = gpa_of(rd);
	d[i].len = rdlen;
	d[i].flags = VRING_DESC_F_NEXT;
	d[i].next = (uint16_t)(i + 1);
	for (k = 0; k < nwr; k++) {
		i++;
		d[i].addr = gpa_of(wr[k]);
		d[i].len = wrlen[k];
		d[i].flags = VRING_DESC_F_WRITE |
			     (k + 1 < nwr ? VRING_DESC_F_NEXT : 0);
		d[i].next = (uint16_t)(i + 1);
	}
	a->ring[f->avail_idx[q] % QSZ] = head;
	f->avail_idx[q]++;
	__atomic_store_n(&a->idx, f->avail_idx[q], __ATOMIC_RELEASE);
	if (kick && write(f->kick[q], &one, 8) < 0)
		return head;
	return head;
}

static int fe_wait_used(struct fe *f, unsigned int q, uint16_t want,
			long tmo_ms)
{
	struct vring_used *u = fe_used(f, q);
	long t0 = now_ms();
	uint64_t one = 1;

	while (now_ms() - t0 < tmo_ms) {
		if ((uint16_t)(__atomic_load_n(&u->idx, __ATOMIC_ACQUIRE) -
			       want) < 0x8000)
			return 0;
		if (!alive())
			return -1;
		sleep_ms(2);
		/* kicks are suppressed while it polls: one more is harmless */
		if (now_ms() - t0 > 500 && write(f->kick[q], &one, 8) < 0)
			return -1;
	}
	return -1;
}

/* CREATE_SESSION HASH/SHA-256 on the control queue: the id, 0 if refused */
static uint64_t fe_session(struct fe *f)
{
	struct virtio_accel_ctrl_req *r = (void *)(f->mem + PG_REQ * PAGE);
	struct virtio_accel_ctrl_resp *rs;
	uint64_t wr = PG_CTRL * PAGE;
	uint32_t wl = sizeof(*rs);

	memset(r, 0, sizeof(*r));
	r->opcode = VIRTIO_ACCEL_CTRL_CREATE_SESSION;
	r->algo = VIRTIO_ACCEL_ALG_SHA256;
	r->op = VIRTIO_ACCEL_OP_HASH;
	rs = (void *)(f->mem + wr);
	memset(rs, 0xff, sizeof(*rs));
	fe_post(f, 0, PG_REQ * PAGE, sizeof(*r), &wr, &wl, 1, 1);
	if (fe_wait_used(f, 0, f->avail_idx[0], 5000) < 0 ||
	    rs->status != VIRTIO_ACCEL_OK)
		return 0;
	return rs->session_id;
}

/*
 * Post a SHA-256 of "abc" with session @sid on the data queue, dst at
 * page @dpg, response at @roff; returns the head.
 */
static uint16_t fe_hash_post(struct fe *f, uint64_t sid, unsigned int k,
			     unsigned int dpg, uint64_t roff, int kick)
{
	uint64_t rq = PG_REQ * PAGE + 128ull * k;
	struct virtio_accel_op_req *r = (void *)(f->mem + rq);
	uint64_t wr[2] = { (uint64_t)dpg * PAGE, roff };
	uint32_t wl[2] = { 32, sizeof(struct virtio_accel_op_resp) };

	memset(r, 0, sizeof(*r));
	r->opcode = VIRTIO_ACCEL_OP_HASH;
	r->algo = VIRTIO_ACCEL_ALG_SHA256;
	r->session_id = sid;
	r->request_id = k;
	r->src_len = 3;
	r->dst_len = 32;
	memcpy((uint8_t *)(r + 1), "abc", 3);
	memset(f->mem + wr[0], 0, 32);
	memset(f->mem + roff, 0xff, wl[1]);
	return fe_post(f, 1, rq, sizeof(*r) + 3, wr, wl, 2, kick);
}

static const struct virtio_accel_op_resp *resp_at(struct fe *f, uint64_t off)
{
	return (const void *)(f->mem + off);
}

/* One hash with @sid, dst page @dpg: its status (-1: no completion). */
static int fe_hash(struct fe *f, uint64_t sid, unsigned int dpg)
{
	uint64_t roff = PG_RESP * PAGE;

	fe_hash_post(f, sid, 0, dpg, roff, 1);
	if (fe_wait_used(f, 1, f->avail_idx[1], 5000) < 0)
		return -1;
	if (resp_at(f, roff)->status == VIRTIO_ACCEL_OK &&
	    memcmp(f->mem + (uint64_t)dpg * PAGE, sha_abc, 32))
		return 100;	/* OK with a wrong digest */
	return resp_at(f, roff)->status;
}

/* Stop every queue (as QEMU's vhost_dev_stop) and restart at the bases. */
static int fe_stop_restart(struct fe *f, int log)
{
	int base[NVQ];
	unsigned int q;

	for (q = 0; q < NVQ; q++) {
		base[q] = fe_stop(f, q);
		if (base[q] < 0)
			return -1;
	}
	for (q = 0; q < NVQ; q++)
		if (fe_queue(f, q, (uint16_t)base[q], log))
			return -1;
	return 0;
}

static int log_has(const char *what)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "grep -q -- '%s' %s", what, log_path);
	return system(cmd) == 0;
}

/* ---- suspend / reset ---- */

static void t_suspend(void)
{
	struct fe f;
	uint64_t sid, sid2;
	unsigned int q;
	int st;

	if (fe_open(&f, FEAT_VERSION_1 | FEAT_PROTOCOL, PF_RESET_DEVICE, 0)) {
		check(0, "suspend: set up a device with RESET_DEVICE negotiated");
		fe_close(&f);
		return;
	}
	check(!!(f.pf & PF_RESET_DEVICE),
	      "suspend: the back-end offers VHOST_USER_PROTOCOL_F_RESET_DEVICE");
	sid = fe_session(&f);
	check(sid != 0, "suspend: session created (id 0x%llx)",
	      (unsigned long long)sid);
	st = fe_hash(&f, sid, PG_DST);
	check(st == VIRTIO_ACCEL_OK, "suspend: hash with the session before the stop (status %d)",
	      st);
	check(!fe_stop_restart(&f, 0), "suspend: rings stopped (GET_VRING_BASE) and restarted");
	st = fe_hash(&f, sid, PG_DST);
	check(st == VIRTIO_ACCEL_OK, "suspend: the same session ID hashes after the ring stop (status %d, want 0)",
	      st);
	check(log_has("kept until RESET_DEVICE"),
	      "suspend: the back-end logged the sessions kept");
	/* QEMU's reset: the rings stop, then RESET_DEVICE */
	check(fe_stop(&f, 0) >= 0 && fe_stop(&f, 1) >= 0 &&
	      !tellf(&f, RESET_DEVICE, NULL, 0, NULL, 0),
	      "suspend: rings stopped, RESET_DEVICE accepted");
	check(!fe_queue(&f, 0, f.avail_idx[0], 0) &&
	      !fe_queue(&f, 1, f.avail_idx[1], 0), "suspend: rings restarted after RESET_DEVICE");
	st = fe_hash(&f, sid, PG_DST);
	check(st == VIRTIO_ACCEL_INVSESS, "suspend: after RESET_DEVICE the session is gone (status %d, want INVSESS)",
	      st);
	sid2 = fe_session(&f);
	st = fe_hash(&f, sid2, PG_DST);
	check(sid2 && st == VIRTIO_ACCEL_OK, "suspend: a new session works after RESET_DEVICE");
	/* RESET_DEVICE on running rings: sessions go, the queues serve on */
	check(!tellf(&f, RESET_DEVICE, NULL, 0, NULL, 0),
	      "suspend: RESET_DEVICE with the rings running accepted");
	st = fe_hash(&f, sid2, PG_DST);
	check(st == VIRTIO_ACCEL_INVSESS, "suspend: ... destroyed the session (status %d), the queue still serves",
	      st);
	/*
	 * A front-end that negotiates RESET_DEVICE and resets the driver
	 * without sending it (QEMU's vhost-user-base): the control queue
	 * starts again at 0, fresh rings; the sessions must not survive
	 */
	sid = fe_session(&f);
	check(sid && fe_hash(&f, sid, PG_DST) == VIRTIO_ACCEL_OK &&
	      fe_stop(&f, 0) >= 0 && fe_stop(&f, 1) >= 0,
	      "suspend: session made, rings stopped");
	for (q = 0; q < NVQ; q++) {
		memset(f.mem + ring_off(q, 0), 0, 32768);
		f.avail_idx[q] = 0;
	}
	check(!fe_queue(&f, 0, 0, 0) && !fe_queue(&f, 1, 0, 0),
	      "suspend: rings restarted at index 0 (a driver reset, no RESET_DEVICE)");
	st = fe_hash(&f, sid, PG_DST);
	check(st == VIRTIO_ACCEL_INVSESS, "suspend: ... the session is gone (status %d, want INVSESS)",
	      st);
	fe_close(&f);
	/* a session kept across a stop dies with the connection */
	if (fe_open(&f, FEAT_VERSION_1 | FEAT_PROTOCOL, PF_RESET_DEVICE, 0)) {
		check(0, "suspend: reconnect");
		fe_close(&f);
		return;
	}
	sid = fe_session(&f);
	fe_hash(&f, sid, PG_DST);
	fe_stop(&f, 0);
	fe_stop(&f, 1);
	fe_close(&f);
	if (fe_open(&f, FEAT_VERSION_1 | FEAT_PROTOCOL, PF_RESET_DEVICE, 0)) {
		check(0, "suspend: reconnect");
		fe_close(&f);
		return;
	}
	st = fe_hash(&f, sid, PG_DST);
	check(st == VIRTIO_ACCEL_INVSESS, "suspend: a session kept by a ring stop is gone with the connection (status %d)",
	      st);
	fe_close(&f);
}

static void t_legacy(void)
{
	struct fe f;
	uint64_t sid;
	int st;

	if (fe_open(&f, FEAT_VERSION_1 | FEAT_PROTOCOL, 0, 0)) {
		check(0, "legacy: set up a device without RESET_DEVICE");
		fe_close(&f);
		return;
	}
	sid = fe_session(&f);
	st = fe_hash(&f, sid, PG_DST);
	check(sid && st == VIRTIO_ACCEL_OK, "legacy: session created and used");
	check(!fe_stop_restart(&f, 0), "legacy: rings stopped and restarted");
	st = fe_hash(&f, sid, PG_DST);
	check(st == VIRTIO_ACCEL_INVSESS, "legacy: without RESET_DEVICE a ring stop destroys the sessions (status %d, want INVSESS)",
	      st);
	check(tellf(&f, RESET_DEVICE, NULL, 0, NULL, 0),
	      "legacy: RESET_DEVICE not negotiated is refused");
	fe_close(&f);
	check(alive(), "legacy: back-end alive");
}

/* ---- drain: a stop waits for one request, not the batch ---- */

static void t_drain(int infl)
{
	const char *tag = infl ? "drain (inflight)" : "drain";
	struct fe f;
	uint64_t sid;
	uint16_t heads[NREQ_MAX];
	int base, nbad = 0, seen[QSZ] = { 0 }, dup = 0;
	long t0, ms;
	unsigned int k, i;
	struct vring_used *u;
	uint16_t used;

	if (fe_open(&f, FEAT_VERSION_1 | FEAT_PROTOCOL,
		    PF_RESET_DEVICE | (infl ? PF_INFLIGHT : 0), infl)) {
		check(0, "%s: set up", tag);
		fe_close(&f);
		return;
	}
	sid = fe_session(&f);
	check(sid != 0, "%s: session created", tag);
	/* 64 chains of 40 ms: the ring holds QSZ / 4 (4 descriptors each) */
	for (k = 0; k < NREQ; k++)
		heads[k] = fe_hash_post(&f, sid, k, PG_DST + 2 * k,
					PG_RESP * PAGE + 64ull * k,
					k == NREQ - 1);
	/* the first one done: the worker is inside the batch */
	fe_wait_used(&f, 1, 1, 10000);
	t0 = now_ms();
	base = fe_stop(&f, 1);
	ms = now_ms() - t0;
	u = fe_used(&f, 1);
	used = __atomic_load_n(&u->idx, __ATOMIC_ACQUIRE);
	check(base >= 1 && ms < 600, "%s: GET_VRING_BASE answered in %ld ms with %d requests of 40 ms queued (bound 600 ms: one request, not the batch of %d ms)",
	      tag, ms, NREQ, NREQ * 40);
	check(base == used, "%s: every request taken is complete and published: GET_VRING_BASE %d, used index %u",
	      tag, base, used);
	for (i = 0; i < used; i++) {
		uint32_t id = u->ring[i % QSZ].id;

		if (id >= QSZ || seen[id]++)
			dup++;
	}
	if (infl) {
		/* queue 1's part of the region: nothing left in flight */
		uint64_t stride = (16ull * QSZ + 16 + 63) & ~63ull;
		const uint8_t *r = f.infl + stride;
		unsigned int flagged = 0;

		for (i = 0; i < QSZ; i++)
			flagged += r[16 + 16 * i] != 0;
		check(!flagged, "%s: no head left flagged in the inflight region after the stop (%u)",
		      tag, flagged);
	}
	check(fe_stop(&f, 0) >= 0, "%s: control queue stopped", tag);
	check(!fe_queue(&f, 0, f.avail_idx[0], 0) &&
	      !fe_queue(&f, 1, (uint16_t)(base < 0 ? 0 : base), 0),
	      "%s: rings restarted at the reported index", tag);
	{
		uint64_t one = 1;

		if (write(f.kick[1], &one, 8) < 0)
			nbad++;
	}
	check(!fe_wait_used(&f, 1, NREQ, 15000), "%s: the other %d requests served after the restart",
	      tag, NREQ - base);
	for (i = used; i < NREQ; i++) {
		uint32_t id = u->ring[i % QSZ].id;

		if (id >= QSZ || seen[id]++)
			dup++;
	}
	for (k = 0; k < NREQ; k++) {
		const struct virtio_accel_op_resp *rs =
			resp_at(&f, PG_RESP * PAGE + 64ull * k);

		if (!seen[heads[k]] || rs->status != VIRTIO_ACCEL_OK ||
		    memcmp(f.mem + (uint64_t)(PG_DST + 2 * k) * PAGE,
			   sha_abc, 32))
			nbad++;
	}
	check(!dup && !nbad, "%s: %d completions, each request once, every digest right (%d duplicated, %d wrong or missing)",
	      tag, NREQ, dup, nbad);
	fe_close(&f);
}

/* ---- dirty log ---- */

static int log_bit(struct fe *f, uint64_t gpa)
{
	uint64_t pg = gpa / PAGE;

	return (f->log[pg / 8] >> (pg % 8)) & 1;
}

static int pg_logged(struct fe *f, unsigned int pg)
{
	return log_bit(f, gpa_of((uint64_t)pg * PAGE));
}

/* QEMU's size: 8 bytes per 256 KiB up to the last address, + 4 KiB */
static uint64_t qemu_log_size(void)
{
	return 8 * ((MEM_GPA + MEM_SIZE - 1) / (256 * 1024) + 1 + 512);
}

static int fe_log_base(struct fe *f, uint64_t size, uint64_t off, int seal,
		       uint64_t file, int nfds)
{
	uint64_t pl[2] = { size, off };
	int fds[2], ret;

	f->logfd = memfd_new(file, seal);
	if (f->logfd < 0)
		return 1;
	fds[0] = fds[1] = f->logfd;
	ret = tellf(f, SET_LOG_BASE, pl, 16, fds, nfds);
	if (!ret) {
		f->log_len = file;
		f->log = mmap(NULL, file, PROT_READ | PROT_WRITE, MAP_SHARED,
			      f->logfd, 0);
		if (f->log == MAP_FAILED)
			f->log = NULL;
	}
	return ret;
}

static void t_log(const char *tag, const char *const *args)
{
	struct fe f;
	uint64_t sid;
	unsigned int q, k, pg, bad = 0;
	int st;

	backend_stop();
	if (backend_start(args) < 0) {
		check(0, "%s: back-end started", tag);
		return;
	}
	/* running without logging first, as QEMU before a migration */
	if (fe_open(&f, FEAT_VERSION_1 | FEAT_PROTOCOL,
		    PF_LOG_SHMFD | PF_RESET_DEVICE, 0)) {
		check(0, "%s: set up", tag);
		fe_close(&f);
		return;
	}
	check((f.have & FEAT_LOG_ALL) && (f.pf & PF_LOG_SHMFD),
	      "%s: the back-end offers VHOST_F_LOG_ALL and LOG_SHMFD", tag);
	sid = fe_session(&f);
	check(sid && fe_hash(&f, sid, PG_DST) == VIRTIO_ACCEL_OK,
	      "%s: session and a request before logging", tag);
	/* vhost_migration_log(true): SET_LOG_BASE, SET_FEATURES, SET_VRING_ADDR */
	check(!fe_log_base(&f, qemu_log_size(), 0, 1, qemu_log_size(), 1) &&
	      f.log, "%s: SET_LOG_BASE with a sealed memfd of %llu bytes accepted",
	      tag, (unsigned long long)qemu_log_size());
	if (!f.log) {
		fe_close(&f);
		return;
	}
	check(!tell_u64(&f, SET_FEATURES, f.feat | FEAT_LOG_ALL) &&
	      !fe_addr(&f, 0, 1) && !fe_addr(&f, 1, 1),
	      "%s: VHOST_F_LOG_ALL on the running device, VHOST_VRING_F_LOG on both queues",
	      tag);
	memset(f.log, 0, f.log_len);
	/* a new session (control response) and 8 hashes, dst every 2 pages */
	sid = fe_session(&f);
	check(sid != 0, "%s: session created while logging", tag);
	for (k = 0; k < 8; k++)
		fe_hash_post(&f, sid, k, PG_DST + 2 * k,
			     (PG_RESP + k) * PAGE, k == 7);
	st = fe_wait_used(&f, 1, f.avail_idx[1], 10000);
	for (k = 0; k < 8; k++)
		if (resp_at(&f, (PG_RESP + k) * PAGE)->status !=
		    VIRTIO_ACCEL_OK)
			bad++;
	check(!st && !bad, "%s: 8 requests served while logging", tag);
	for (k = 0, bad = 0; k < 8; k++)
		bad += !pg_logged(&f, PG_DST + 2 * k) +
		       !pg_logged(&f, PG_RESP + k);
	check(!bad, "%s: every dst and response page marked in the log (%u missing)",
	      tag, bad);
	check(pg_logged(&f, PG_CTRL), "%s: the control response page marked", tag);
	for (q = 0, bad = 0; q < NVQ; q++)
		bad += !log_bit(&f, gpa_of(ring_off(q, 2)));
	check(!bad, "%s: the used ring pages of both queues marked", tag);
	for (k = 0, bad = 0; k < 8; k++)
		bad += pg_logged(&f, PG_GAP + 2 * k);
	for (pg = 0; pg < MEM_SIZE / PAGE; pg++) {
		int ring = 0;

		/* the used rings' pages; descriptors and avail rings not */
		for (q = 0; q < NVQ; q++)
			ring |= pg == ring_off(q, 2) / PAGE;
		if (ring || pg == PG_CTRL || (pg >= PG_DST && pg < PG_DST + 16) ||
		    (pg >= PG_RESP && pg < PG_RESP + 8))
			continue;
		bad += pg_logged(&f, pg);
	}
	check(!bad, "%s: no other page marked: descriptor tables, avail rings, requests (read only), gaps between dsts, untouched memory (%u marked)",
	      tag, bad);
	check(!pg_logged(&f, PG_REQ), "%s: the page the requests were read from is not marked", tag);
	/* switch off: nothing more is marked */
	check(!tell_u64(&f, SET_FEATURES, f.feat), "%s: LOG_ALL off", tag);
	memset(f.log, 0, f.log_len);
	st = fe_hash(&f, sid, PG_DST + 40);
	for (pg = 0, bad = 0; pg < f.log_len; pg++)
		bad += f.log[pg] != 0;
	check(st == VIRTIO_ACCEL_OK && !bad, "%s: a request after LOG_ALL off marks nothing (status %d, %u bytes set)",
	      tag, st, bad);
	/* a ring stop while logging (migration's switch-over), then on */
	check(!tell_u64(&f, SET_FEATURES, f.feat | FEAT_LOG_ALL) &&
	      !fe_stop_restart(&f, 1) && fe_hash(&f, sid, PG_DST + 42) ==
	      VIRTIO_ACCEL_OK && pg_logged(&f, PG_DST + 42),
	      "%s: logging on across a ring stop: the session survives and its dst is marked",
	      tag);
	fe_close(&f);
	check(alive(), "%s: back-end alive", tag);
}

/* A hostile SET_LOG_BASE: refused, the same front-end served after it. */
static void t_log_lie(const char *what, uint64_t size, uint64_t off, int seal,
		      uint64_t file, int nfds, uint32_t plsize)
{
	struct fe f;
	uint64_t sid;
	int refused;

	if (fe_open(&f, FEAT_VERSION_1 | FEAT_PROTOCOL,
		    PF_LOG_SHMFD | PF_RESET_DEVICE, 0)) {
		check(0, "log-lies: set up (%s)", what);
		fe_close(&f);
		return;
	}
	sid = fe_session(&f);
	if (plsize != 16) {
		uint64_t pl[2] = { size, off };

		f.logfd = memfd_new(file, seal);
		refused = tellf(&f, SET_LOG_BASE, pl, plsize, &f.logfd, 1);
	} else {
		refused = fe_log_base(&f, size, off, seal, file, nfds);
	}
	check(refused, "log-lies: SET_LOG_BASE %s refused", what);
	check(alive() && fe_hash(&f, sid, PG_DST) == VIRTIO_ACCEL_OK,
	      "log-lies: ... the back-end alive, the same front-end served after it");
	fe_close(&f);
}

static void t_log_lies(void)
{
	uint64_t q = qemu_log_size();
	struct fe f;

	backend_stop();
	if (backend_start(NULL) < 0) {
		check(0, "log-lies: back-end started");
		return;
	}
	t_log_lie("without a file descriptor", q, 0, 1, q, 0, 16);
	t_log_lie("with 2 file descriptors", q, 0, 1, q, 2, 16);
	t_log_lie("on a file shorter than the log", q, 0, 1, 4096, 1, 16);
	t_log_lie("of 1 GiB (guest memory needs 4 KiB)", 1ull << 30, 0, 1,
		  1ull << 30, 1, 16);
	t_log_lie("of 0 bytes", 0, 0, 1, q, 1, 16);
	t_log_lie("on an unsealed file", q, 0, 0, q, 1, 16);
	t_log_lie("at offset 4096", q, 4096, 1, 2 * q + 8192, 1, 16);
	t_log_lie("at an offset near 2^64", q, ~0ull - 100, 1, q, 1, 16);
	t_log_lie("with an 8-byte payload", q, 0, 1, q, 1, 8);
	/* LOG_SHMFD not negotiated */
	if (!fe_open(&f, FEAT_VERSION_1 | FEAT_PROTOCOL, PF_RESET_DEVICE, 0)) {
		check(fe_log_base(&f, q, 0, 1, q, 1),
		      "log-lies: SET_LOG_BASE without LOG_SHMFD negotiated refused");
		check(fe_hash(&f, fe_session(&f), PG_DST) == VIRTIO_ACCEL_OK,
		      "log-lies: ... the same front-end served after it");
	} else {
		check(0, "log-lies: set up without LOG_SHMFD");
	}
	fe_close(&f);
	check(alive(), "log-lies: back-end alive at the end");
}

int main(int argc, char **argv)
{
	static const char *const delay[] = { "--test-delay-us", "40000", NULL };
	static const char *const pipe_args[] = {
		"--test-engine-latency-us", "300", NULL };
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--backend") && i + 1 < argc) {
			backend = argv[++i];
		} else {
			fprintf(stderr, "usage: %s [--backend BIN]\n", argv[0]);
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/mig-vu.XXXXXX");
	if (!mkdtemp(dir))
		return 2;
	snprintf(sock_path, sizeof(sock_path), "%s/vu.sock", dir);
	snprintf(log_path, sizeof(log_path), "%s/backend.log", dir);
	if (backend_start(NULL) < 0) {
		check(0, "back-end %s started", backend);
		goto out;
	}
	t_suspend();
	t_legacy();
	backend_stop();
	if (backend_start(delay) < 0) {
		check(0, "back-end with --test-delay-us started");
		goto out;
	}
	t_drain(0);
	t_drain(1);
	t_log("log", NULL);
	t_log("log (pipeline)", pipe_args);
	t_log_lies();
	backend_stop();
	{
		char cmd[300];

		/* ASan/UBSan/LSan builds: their reports land in the log */
		snprintf(cmd, sizeof(cmd),
			 "grep -Eq 'Sanitizer|runtime error:' %s", log_path);
		check(system(cmd) != 0,
		      "the back-end's log has no sanitizer report");
	}
out:
	backend_stop();
	if (nfail || getenv("MIG_VU_KEEP_LOG")) {
		char cmd[256];

		printf("# back-end log (last 40 lines) %s:\n", log_path);
		fflush(stdout);
		snprintf(cmd, sizeof(cmd), "tail -n 40 %s | sed 's/^/# /'",
			 log_path);
		if (system(cmd) < 0)
			return 1;
	} else {
		unlink(log_path);
		unlink(sock_path);
		rmdir(dir);
	}
	printf("%d passed, %d failed\n", npass, nfail);
	return nfail ? 1 : 0;
}
