// SPDX-License-Identifier: BSD-3-Clause
/*
 * vu_fe: the raw vhost-user front-end shared by mig_vu.c and state_vu.c
 * (vu_fe.h). Moved here from mig_vu.c unchanged.
 */
#include "vu_fe.h"

const char *backend = "build/vhost-user-accel";
char dir[64], sock_path[108], log_path[128];
pid_t bpid = -1;
int npass, nfail, ntest;
const uint8_t sha_abc[32] = {
	0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
	0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
	0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
};

void check(int cond, const char *fmt, ...)
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

long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int sock_connect(void)
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

int alive(void)
{
	return bpid > 0 && waitpid(bpid, NULL, WNOHANG) == 0;
}

void backend_stop(void)
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
int backend_start(const char *const *extra)
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

int xsend(int s, struct msg *m, const int *fds, int nfds)
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

int xrecv(int s, struct msg *m, int *fd, int tmo_ms)
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

/* Send; with REPLY_ACK wait for the ack. 0 accepted, 1 refused. */
int tellf(struct fe *f, uint32_t req, const void *pl, uint32_t size,
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

int tell_u64(struct fe *f, uint32_t req, uint64_t v)
{
	return tellf(f, req, &v, 8, NULL, 0);
}

int tell_state(struct fe *f, uint32_t req, uint32_t idx, uint32_t num)
{
	uint32_t st[2] = { idx, num };

	return tellf(f, req, st, 8, NULL, 0);
}

int ask(struct fe *f, uint32_t req, const void *pl, uint32_t size,
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

int memfd_new(uint64_t size, int seal)
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

void fe_close(struct fe *f)
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
uint64_t ring_off(unsigned int q, int part)
{
	static const uint64_t off[3] = { 0, 16384, 24576 };

	return q * 65536ull + off[part];
}

struct vring_desc *fe_desc(struct fe *f, unsigned int q)
{
	return (void *)(f->mem + ring_off(q, 0));
}

struct vring_avail *fe_avail(struct fe *f, unsigned int q)
{
	return (void *)(f->mem + ring_off(q, 1));
}

struct vring_used *fe_used(struct fe *f, unsigned int q)
{
	return (void *)(f->mem + ring_off(q, 2));
}

int fe_addr(struct fe *f, unsigned int q, int log)
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
int fe_queue(struct fe *f, unsigned int q, uint16_t base, int log)
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
int fe_stop(struct fe *f, unsigned int q)
{
	uint32_t st[2] = { q, 0 };
	struct msg m;

	if (ask(f, GET_VRING_BASE, st, 8, &m, NULL) < 0 || m.size != 8)
		return -1;
	return (int)m.p.st.num;
}

/* Connect and set up a device of NVQ queues; @infl: inflight tracking. */
int fe_open(struct fe *f, uint64_t feat, uint64_t pf, int infl)
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

uint64_t gpa_of(uint64_t off)
{
	return MEM_GPA + off;
}

/*
 * Post one chain on queue @q: readable [@rd, @rd + @rdlen), writable
 * pieces @wr[i] of @wrlen[i] bytes (offsets in the region). Returns its
 * head.
 */
uint16_t fe_post(struct fe *f, unsigned int q, uint64_t rd,
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

int fe_wait_used(struct fe *f, unsigned int q, uint16_t want,
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

/* CREATE_SESSION on the control queue: the id, 0 if refused */
uint64_t fe_session_new(struct fe *f, uint32_t op, uint32_t algo,
			uint32_t flags, const uint8_t *key, uint32_t klen)
{
	struct virtio_accel_ctrl_req *r = (void *)(f->mem + PG_REQ * PAGE);
	struct virtio_accel_ctrl_resp *rs;
	uint64_t wr = PG_CTRL * PAGE;
	uint32_t wl = sizeof(*rs);

	memset(r, 0, sizeof(*r));
	r->opcode = VIRTIO_ACCEL_CTRL_CREATE_SESSION;
	r->algo = algo;
	r->op = op;
	r->flags = flags;
	r->key_len = klen;
	if (klen)
		memcpy(r + 1, key, klen);
	rs = (void *)(f->mem + wr);
	memset(rs, 0xff, sizeof(*rs));
	fe_post(f, 0, PG_REQ * PAGE, sizeof(*r) + klen, &wr, &wl, 1, 1);
	if (fe_wait_used(f, 0, f->avail_idx[0], 5000) < 0 ||
	    rs->status != VIRTIO_ACCEL_OK)
		return 0;
	return rs->session_id;
}

/* CREATE_SESSION HASH/SHA-256: the id, 0 if refused */
uint64_t fe_session(struct fe *f)
{
	return fe_session_new(f, VIRTIO_ACCEL_OP_HASH, VIRTIO_ACCEL_ALG_SHA256,
			      0, NULL, 0);
}

/* ASan/UBSan/LSan builds: their reports land in the back-end's log */
void fe_check_log_clean(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "grep -Eq 'Sanitizer|runtime error:' %s",
		 log_path);
	check(system(cmd) != 0, "the back-end's log has no sanitizer report");
}

/*
 * Post a SHA-256 of "abc" with session @sid on the data queue, dst at
 * page @dpg, response at @roff; returns the head.
 */
uint16_t fe_hash_post(struct fe *f, uint64_t sid, unsigned int k,
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

const struct virtio_accel_op_resp *resp_at(struct fe *f, uint64_t off)
{
	return (const void *)(f->mem + off);
}

/* One hash with @sid, dst page @dpg: its status (-1: no completion). */
int fe_hash(struct fe *f, uint64_t sid, unsigned int dpg)
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
int fe_stop_restart(struct fe *f, int log)
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

