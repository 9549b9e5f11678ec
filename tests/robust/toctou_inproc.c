// SPDX-License-Identifier: BSD-3-Clause
/*
 * toctou-inproc: the time-of-check/time-of-use test (toctou.h) against the
 * DPDK back-end's own request path in one process, so that ThreadSanitizer
 * sees both the device and the thread rewriting its input: the real worker
 * thread (vhost-user-backend/src/worker.c: ring indexes, prefetch, batch
 * loop, queue stop), descriptor walker (vring.c), request and control code
 * (op.c, ctrl.c) and software engines (engine_sw.c: OpenSSL, zlib, CRC32C),
 * linked without DPDK's libraries: the handful of librte_vhost calls
 * worker.c makes are answered here from one "guest memory" arena, and the
 * cryptodev/compressdev engines are replaced by the software ones.
 *
 * Guest memory is shared with a driver that may change it at any time, so
 * the device may only copy it, in four places: desc_load() (one
 * descriptor), va_iov_read(), va_iov_write(), va_iov_zero() (vring.c).
 * The TSan run suppresses races inside those four and nothing else
 * (tests/robust/tsan.supp): a device read of a rewritten field anywhere
 * else is reported. The ASan run checks that nothing computed from a
 * changed field overruns the back-end's staging buffers or the arena.
 *
 * usage: toctou-inproc [SECONDS [SEED]]     (default 2 s)
 * Ends "toctou-inproc: N passed, N failed".
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <linux/virtio_config.h>

#include <rte_cpuflags.h>
#include <rte_malloc.h>
#include <rte_vhost.h>

#include "backend.h"
#include "toctou.h"

#define ARENA		(8u << 20)
#define QN		64
#define NVQ		3
#define MAX_DATA	65536u

struct va_opts va_opts = {
	.fd = -1,
	.queues = NVQ - 1,
	.max_data_len = MAX_DATA,
	.max_sessions = 16,
};
volatile sig_atomic_t va_quit;

static uint8_t *arena;
static struct va_dev dev;
static int kickfd[NVQ];
static uint16_t base_avail[NVQ], base_used[NVQ];
static int stop_logged;

void va_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (level == 0 && strstr(fmt, "stopped at avail index"))
		__atomic_store_n(&stop_logged, 1, __ATOMIC_RELEASE);
	if (level > 0 || !getenv("TOCTOU_VERBOSE"))
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- DPDK's allocator and the vhost library, for worker.c and op.c ---- */

void *rte_malloc(const char *type, size_t size, unsigned int align)
{
	return aligned_alloc(64, (size + 63) & ~(size_t)63);
}

void rte_free(void *p)
{
	free(p);
}

/* rte_hash_crc.h asks EAL which CRC32C instructions the CPU has */
int rte_cpu_get_flag_enabled(enum rte_cpu_flag_t feature)
{
	if (feature == RTE_CPUFLAG_EM64T)
		return 1;
	return feature == RTE_CPUFLAG_SSE4_2 &&
	       __builtin_cpu_supports("sse4.2");
}

int rte_vhost_get_mem_table(int vid, struct rte_vhost_memory **mem)
{
	struct rte_vhost_memory *m;

	m = calloc(1, sizeof(*m) + sizeof(m->regions[0]));
	if (!m)
		return -1;
	m->nregions = 1;
	m->regions[0].guest_phys_addr = (uintptr_t)arena;
	m->regions[0].guest_user_addr = (uintptr_t)arena;
	m->regions[0].host_user_addr = (uintptr_t)arena;
	m->regions[0].size = ARENA;
	*mem = m;
	return 0;
}

uint16_t rte_vhost_get_vring_num(int vid)
{
	return NVQ;
}

static uint8_t *ring_mem(unsigned int i)
{
	return arena + (size_t)i * 16384;
}

int rte_vhost_get_vhost_vring(int vid, uint16_t i, struct rte_vhost_vring *vr)
{
	memset(vr, 0, sizeof(*vr));
	vr->desc = (struct vring_desc *)ring_mem(i);
	vr->avail = (struct vring_avail *)(ring_mem(i) + 4096);
	vr->used = (struct vring_used *)(ring_mem(i) + 8192);
	vr->size = QN;
	vr->kickfd = kickfd[i];
	vr->callfd = -1;
	return 0;
}

int rte_vhost_get_vring_base(int vid, uint16_t i, uint16_t *la, uint16_t *lu)
{
	*la = base_avail[i];
	*lu = base_used[i];
	return 0;
}

int rte_vhost_set_vring_base(int vid, uint16_t i, uint16_t la, uint16_t lu)
{
	base_avail[i] = la;
	base_used[i] = lu;
	return 0;
}

int rte_vhost_vring_call_nonblock(int vid, uint16_t i)
{
	return 0;
}

/* dirty logging (VHOST_F_LOG_ALL) is never negotiated here */
void rte_vhost_log_write(int vid, uint64_t addr, uint64_t len)
{
}

void rte_vhost_log_used_vring(int vid, uint16_t vring_idx, uint64_t offset,
			      uint64_t len)
{
}

/* ---- engines: the software ones stand in for cryptodev/compressdev ---- */

uint8_t va_crypto_run(struct va_req *r)
{
	return va_sw_oneshot(r);
}

uint8_t va_comp_run(struct va_req *r)
{
	if (r->op.opcode == VIRTIO_ACCEL_OP_COMPRESS)
		return va_sw_deflate(r);
	return va_sw_inflate(r);
}

void va_crypto_sess_free(struct va_session *s)
{
}

const char *va_crypto_engine(void)
{
	return "sw";
}

const char *va_comp_engine(uint32_t op)
{
	return "zlib";
}

int va_crypto_qinit(struct va_qctx *qc, unsigned int idx)
{
	return 0;
}

void va_crypto_qfini(struct va_qctx *qc)
{
}

int va_comp_qinit(struct va_qctx *qc, unsigned int idx)
{
	return 0;
}

void va_comp_qfini(struct va_qctx *qc)
{
}

/* dma.c: no PCI engine here */
void va_dma_sync(struct va_dev *d)
{
	(void)d;
}

void va_dma_check_report(void)
{
}

/* ---- the device ---- */

static void dev_start(void)
{
	unsigned int i;

	for (i = 0; i < NVQ; i++) {
		memset(ring_mem(i), 0, 16384);
		base_avail[i] = 0;
		base_used[i] = 0;
		dev.vq[i].broken = 0;
		dev.vq[i].enabled = 1;
	}
	__atomic_store_n(&stop_logged, 0, __ATOMIC_RELEASE);
	va_dev_refresh(&dev);
	if (va_worker_start(&dev)) {
		fprintf(stderr, "toctou-inproc: cannot start the worker\n");
		exit(2);
	}
}

static uint64_t ip_ga(struct tt_dev *d, const void *p)
{
	return (uintptr_t)p;
}

static void ip_kick(struct tt_dev *d, unsigned int q)
{
	eventfd_write(kickfd[q], 1);
}

static int ip_stopped(struct tt_dev *d)
{
	return __atomic_load_n(&stop_logged, __ATOMIC_ACQUIRE);
}

static void ip_fill(struct tt_dev *d)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		struct rte_vhost_vring vr;

		rte_vhost_get_vhost_vring(0, (uint16_t)i, &vr);
		d->q[i].desc = vr.desc;
		d->q[i].avail = vr.avail;
		d->q[i].used = vr.used;
		d->q[i].num = QN;
		d->q[i].av = 0;
	}
}

/* A device reset: stop the worker, forget sessions and indexes, restart. */
static int ip_reset(struct tt_dev *d)
{
	va_worker_stop(&dev);
	va_sessions_reset(&dev);
	dev_start();
	ip_fill(d);
	return 0;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 2;
	unsigned int seed = argc > 2 ? (unsigned int)strtoul(argv[2], NULL, 0) :
				       1;
	struct tt_dev d = {
		.ga = ip_ga,
		.kick = ip_kick,
		.stopped = ip_stopped,
		.reset = ip_reset,
		.max_data_len = MAX_DATA,
	};
	struct tt_stats st;
	unsigned int i;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	arena = aligned_alloc(4096, ARENA);
	if (!arena || va_sw_init() || va_sessions_init(&dev, va_opts.max_sessions) ||
	    va_workers_init(1)) {
		fprintf(stderr, "toctou-inproc: setup failed\n");
		return 2;
	}
	memset(arena, 0, ARENA);
	dev.vid = 0;
	dev.nr_vq = NVQ;
	dev.features = (1ull << VIRTIO_F_VERSION_1) |
		       (1ull << VIRTIO_RING_F_INDIRECT_DESC) |
		       (1ull << VIRTIO_RING_F_EVENT_IDX) |
		       (1ull << VIRTIO_ACCEL_F_MQ) |
		       (1ull << VIRTIO_ACCEL_F_STATELESS) |
		       (1ull << VIRTIO_ACCEL_F_STREAM);
	dev.lim.max_data_len = MAX_DATA;
	dev.lim.max_aad_len = VA_MAX_AAD_LEN;
	dev.lim.stateless = 1;
	dev.lim.stream = 1;
	dev.lim.max_comp_streams = VIRTIO_ACCEL_COMP_STREAMS_DEFAULT;
	for (i = 0; i < VIRTIO_ACCEL_OP_MAX * 8; i++)
		if (virtio_accel_alg_lookup(i / 8, i % 8) ||
		    (i / 8 == VIRTIO_ACCEL_OP_NULL && i % 8 == 0))
			dev.lim.implemented |= 1ull << i;
	for (i = 0; i < NVQ; i++) {
		kickfd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (kickfd[i] < 0 || va_qctx_init(&dev.vq[i].qc, i)) {
			fprintf(stderr, "toctou-inproc: queue setup failed\n");
			return 2;
		}
	}
	dev_start();
	ip_fill(&d);
	d.mem = arena + (1u << 20);
	d.mem_len = 64u << 10;
	d.outside = (uintptr_t)arena + ARENA + (1u << 20);

	ret = tt_run(&d, seconds, seed, &st);
	va_worker_stop(&dev);
	tt_print("toctou-inproc (worker.c, vring.c, op.c, ctrl.c, engine_sw.c)",
		 &st);
	for (i = 0; i < NVQ; i++) {
		va_qctx_fini(&dev.vq[i].qc);
		free(dev.vq[i].iov);
		close(kickfd[i]);
	}
	free(dev.mem);
	va_workers_fini();
	va_sessions_fini(&dev);
	free(arena);
	printf("toctou-inproc: %d passed, %d failed\n", ret ? 0 : 1,
	       ret ? 1 : 0);
	return ret ? 1 : 0;
}
