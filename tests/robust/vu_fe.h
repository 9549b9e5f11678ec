/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vu_fe: a vhost-user front-end written from scratch (raw messages, its own
 * memfd, eventfds and split rings, as QEMU sends them) for the tests that
 * drive the real back-end over its socket: mig_vu.c (ring stop, RESET_DEVICE,
 * dirty logging) and state_vu.c (the device-state transfer).
 *
 * One back-end at a time, started by backend_start() on sock_path with its
 * output in log_path (the caller fills dir, sock_path, log_path first).
 * Results: check() prints "ok N - ..." / "not ok N - ..." and counts.
 */
#ifndef VU_FE_H
#define VU_FE_H

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

extern const char *backend;
extern char dir[64], sock_path[108], log_path[128];
extern pid_t bpid;
extern int npass, nfail, ntest;
extern const uint8_t sha_abc[32];

void check(int cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
long now_ms(void);
void sleep_ms(long ms);
int sock_connect(void);
int alive(void);
void backend_stop(void);
int backend_start(const char *const *extra);
int xsend(int s, struct msg *m, const int *fds, int nfds);
int xrecv(int s, struct msg *m, int *fd, int tmo_ms);
int tellf(struct fe *f, uint32_t req, const void *pl, uint32_t size,
	const int *fds, int nfds);
int tell_u64(struct fe *f, uint32_t req, uint64_t v);
int tell_state(struct fe *f, uint32_t req, uint32_t idx, uint32_t num);
int ask(struct fe *f, uint32_t req, const void *pl, uint32_t size,
	struct msg *m, int *fd);
int memfd_new(uint64_t size, int seal);
void fe_close(struct fe *f);
uint64_t ring_off(unsigned int q, int part);
struct vring_desc *fe_desc(struct fe *f, unsigned int q);
struct vring_avail *fe_avail(struct fe *f, unsigned int q);
struct vring_used *fe_used(struct fe *f, unsigned int q);
int fe_addr(struct fe *f, unsigned int q, int log);
int fe_queue(struct fe *f, unsigned int q, uint16_t base, int log);
int fe_stop(struct fe *f, unsigned int q);
int fe_open(struct fe *f, uint64_t feat, uint64_t pf, int infl);
uint64_t gpa_of(uint64_t off);
uint16_t fe_post(struct fe *f, unsigned int q, uint64_t rd,
	uint32_t rdlen, const uint64_t *wr,
	const uint32_t *wrlen, unsigned int nwr, int kick);
int fe_wait_used(struct fe *f, unsigned int q, uint16_t want,
	long tmo_ms);
uint64_t fe_session_new(struct fe *f, uint32_t op, uint32_t algo,
	uint32_t flags, const uint8_t *key, uint32_t klen);
uint64_t fe_session(struct fe *f);
void fe_check_log_clean(void);
uint16_t fe_hash_post(struct fe *f, uint64_t sid, unsigned int k,
	     unsigned int dpg, uint64_t roff, int kick);
const struct virtio_accel_op_resp *resp_at(struct fe *f, uint64_t off);
int fe_hash(struct fe *f, uint64_t sid, unsigned int dpg);
int fe_stop_restart(struct fe *f, int log);
#endif /* VU_FE_H */
