// SPDX-License-Identifier: BSD-3-Clause
/*
 * vhost-user-accel: internal interfaces of the DPDK vhost-user back-end.
 */
#ifndef VA_BACKEND_H
#define VA_BACKEND_H

#include <stdint.h>
#include <signal.h>

#include "virtio_accel_dev.h"
#include "virtio_accel_state.h"
#include "vring.h"

struct rte_vhost_memory;

#define VA_NAME			"vhost-user-accel"
#define VA_MAX_DATAQ		16
#define VA_MAX_VQ		(1 + VA_MAX_DATAQ)
#define VA_MAX_SEGMENTS		128	/* config max_segments */
#define VA_MAX_KEY_LEN		64
#define VA_MAX_AAD_LEN		4096
#define VA_BUDGET		64	/* chains per queue per poll round */
#define VA_MAX_QSIZE		32768	/* split ring maximum (virtio 1.x 2.7) */
#define VA_MBUF_SEG_LEN		61440u	/* bytes per engine mbuf */
#define VA_STAGE_LEN(n)		((uint64_t)(n) + 64)
#define VA_MAX_DEVS		64	/* --socket-path / --fd, each a device */
#define VA_MAX_WORKERS		16	/* --workers */

/* ---- options (main.c) ---- */
struct va_opts {
	const char *socket_path;	/* the first of socket_paths */
	int fd;				/* the first --fd, -1 if none */
	/* every --socket-path and --fd (its path): one device each */
	const char *socket_paths[VA_MAX_DEVS];
	int fds[VA_MAX_DEVS];
	unsigned int nsockets, nfds;
	unsigned int workers;		/* --workers: worker threads */
	unsigned int queues;		/* data queues */
	uint32_t max_data_len;
	uint32_t max_sessions;
	uint32_t max_comp_streams;	/* [STREAM-LIMIT] */
	const char *crypto_pmd;
	const char *compress_pmd;
	int poll;
	int verbose;
	int no_inflight;		/* --no-inflight */
	int no_migration;		/* --no-migration */
	const char *state_key_file;	/* --state-key-file */
	int migrate_lost_abort;		/* --migrate-lost-streams abort */
	uint32_t test_delay_us;		/* --test-delay-us */
	int test_reorder;		/* --test-reorder */
	uint32_t test_engine_latency_us;	/* --test-engine-latency-us */
	uint32_t max_inflight;		/* --max-inflight, 0: slot tables */
	uint32_t drain_timeout_ms;	/* --drain-timeout-ms */
	uint64_t test_gcm_stream_max;	/* --test-gcm-stream-max, 0: spec's */
	int test_stream_migrate;	/* --test-stream-migrate (engine_sw.c) */
	int allow_unsealed;		/* --allow-unsealed-memory */
	int test_dma_register;		/* --test-dma-register (dma.c) */
};

extern struct va_opts va_opts;
extern volatile sig_atomic_t va_quit;

void va_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define VA_ERR(...)	va_log(0, __VA_ARGS__)
#define VA_INFO(...)	va_log(1, __VA_ARGS__)
#define VA_DBG(...)	va_log(2, __VA_ARGS__)

/* ---- sessions (ctrl.c) ---- */
struct va_stream;
struct va_dma;
struct va_dev;

struct va_session {
	uint64_t id;			/* 0: slot free */
	/* op, algo, flags, key; stream state owned by the device core */
	struct virtio_accel_dev_sess c;
	void *cdev_sess;		/* cryptodev session, one-shot ops */
	uint32_t cdev_aad_len;		/* AAD length of cdev_sess */
	struct va_stream *stream;	/* software stream state */
	uint32_t cdev_inflight;		/* pipeline ops using cdev_sess */
	int cdev_leak;			/* an abandoned op may use it */
};

/* each device's own table: an id of one device means nothing on another */
struct va_sess_tbl {
	struct va_session *tbl;
	uint32_t *free_slots;
	uint32_t max, nfree;
	/* [STREAM-LIMIT]: live DEFLATE stream sessions (control path only) */
	uint32_t ncomp_streams;
};

int va_sessions_init(struct va_dev *d, uint32_t max);
void va_sessions_fini(struct va_dev *d);
void va_sessions_reset(struct va_dev *d);	/* destroy all, keys wiped */
struct va_session *va_session_get(struct va_dev *d, uint64_t id);
uint32_t va_sessions_live(const struct va_dev *d);
uint32_t va_comp_streams_live(const struct va_dev *d);
/* live migration (state.c) */
uint64_t va_sessions_next_gen(void);
void va_sessions_gen_at_least(uint64_t gen);
int va_session_place(struct va_dev *d,
		     const struct virtio_accel_state_session *ss);
void va_sessions_rebuild_free(struct va_dev *d);
uint8_t va_session_create(struct va_dev *d,
			  const struct virtio_accel_ctrl *cc,
			  const uint8_t *key, uint64_t *id);
uint8_t va_session_destroy_id(struct va_dev *d, uint64_t id);

/* ---- per-queue engine scratch ---- */
struct va_crypto_q;
struct va_comp_q;
struct va_sw_q;

struct va_qctx {
	uint8_t *in;			/* staging, max_data_len + 64 */
	uint8_t *out;			/* staging, max_data_len + 64 */
	uint8_t *aad;			/* VA_MAX_AAD_LEN, DPDK memory */
	struct va_crypto_q *cq;
	struct va_comp_q *zq;
	struct va_sw_q *sq;
};

/* One data request being executed. */
struct va_req {
	struct virtio_accel_op op;
	struct va_session *sess;	/* NULL for session 0 */
	const uint8_t *key;		/* session key or inline key */
	uint32_t key_len;
	const uint8_t *iv;
	const uint8_t *aad;
	const uint8_t *src;		/* src_len bytes, contiguous */
	uint8_t *dst;			/* dst_len bytes, staging or dst_direct */
	uint8_t *dst_direct;		/* the driver's dst, if written in place */
	uint32_t src_used;
	uint32_t dst_used;
	uint8_t rflags;			/* VIRTIO_ACCEL_RESP_F_* */
	struct va_qctx *qc;
};

int va_qctx_init(struct va_qctx *qc, unsigned int idx);
void va_qctx_fini(struct va_qctx *qc);

/* ---- engines ---- */
/* engine_crypto.c: rte_cryptodev (SHA-256, HMAC-SHA-256, AES-256-GCM) */
int va_crypto_init(const char *pmd, uint32_t max_sessions, unsigned int nq);
void va_crypto_fini(void);
uint64_t va_crypto_implemented(void);
const char *va_crypto_engine(void);
int va_crypto_qinit(struct va_qctx *qc, unsigned int idx);
void va_crypto_qfini(struct va_qctx *qc);
uint8_t va_crypto_run(struct va_req *r);
void va_crypto_sess_free(struct va_session *s);
unsigned int va_crypto_poll(void);

/* engine_comp.c: rte_compressdev (DEFLATE compress) + zlib inflate */
int va_comp_init(const char *pmd, unsigned int nq);
void va_comp_fini(void);
uint64_t va_comp_implemented(void);
const char *va_comp_engine(uint32_t op);
int va_comp_qinit(struct va_qctx *qc, unsigned int idx);
void va_comp_qfini(struct va_qctx *qc);
uint8_t va_comp_run(struct va_req *r);
unsigned int va_comp_poll(void);

/* engine_sw.c: OpenSSL/zlib/CRC32C software paths and streams */
int va_sw_init(void);
int va_sw_qinit(struct va_qctx *qc);
void va_sw_qfini(struct va_qctx *qc);
uint8_t va_sw_oneshot(struct va_req *r);
uint8_t va_crc32c_run(struct va_req *r);
uint32_t va_crc32c(uint32_t crc, const void *p, uint32_t len);
int va_stream_alloc(struct va_session *s);
void va_stream_free(struct va_session *s);
void va_stream_abort(struct va_session *s);
uint8_t va_stream_run(struct va_req *r, int start, int final);
/*
 * Live migration (docs/migration-design.md, section 3): the state of the
 * open stream of stream session @s, whose c.stream_active/c.stream_len the
 * core keeps. Both run while no request of @s runs (the device's worker
 * stopped or parked); neither touches the device.
 *
 * va_stream_export() fills @out and changes nothing ([MIG-NONDESTRUCTIVE]):
 * kind NONE when no stream is open; LOST (reason ENGINE) for a DEFLATE
 * decompression stream, a compression stream whose final block zlib has
 * begun (a FINAL request with all input taken but dst too short) or whose
 * flushed output would exceed VIRTIO_ACCEL_ST_DEFLATE_PENDING_MAX, and a
 * GCM stream if the own path failed its self-test. A compression stream
 * needs @scratch of VA_STREAM_SCRATCH_LEN bytes, which its dict and
 * pending point into (valid until the next export into it). 0 or -errno.
 *
 * va_stream_import() sets up the allocated stream of a fresh session (its
 * c.op, algo, flags, key, stream_active and stream_len already set from
 * the same record) so that its next request continues the stream: kind
 * NONE needs stream_active 0, every other kind 1; SHA/GCM totals must equal
 * stream_len. A LOST stream completes its next request with ERR (the core
 * then aborts it, [MIG-STREAM-LOST]). 0 or -errno (-EINVAL: the record does
 * not fit the session; the stream is then reset).
 */
#define VA_STREAM_SCRATCH_LEN	(VIRTIO_ACCEL_ST_DEFLATE_DICT_MAX + \
				 VIRTIO_ACCEL_ST_DEFLATE_PENDING_MAX)
int va_stream_export(const struct va_session *s,
		     struct virtio_accel_state_stream *out, uint8_t *scratch,
		     size_t scratch_len);
int va_stream_import(struct va_session *s,
		     const struct virtio_accel_state_stream *in);
/* tests: GHASH on PCLMULQDQ (if the CPU has it); the tag trick per direction */
void va_sw_test_set(int pclmul, int trick_enc, int trick_dec);
/* AES-256-GCM on intel-ipsec-mb (1, where it runs) or OpenSSL (0) */
int va_sw_test_imb(int on);
uint8_t va_sw_deflate(struct va_req *r);
uint8_t va_sw_deflate_stored(struct va_req *r);
uint8_t va_sw_inflate(struct va_req *r);

/* ---- device (vhost.c / worker.c) ---- */

/* Per-queue counters (stats.c), written by the queue's worker only. */
#define VA_NSTATUS	6		/* VIRTIO_ACCEL_OK .. NOSPC */
struct va_qstats {
	uint64_t requests;
	uint64_t bytes_in;		/* src bytes consumed (data queues) */
	uint64_t bytes_out;		/* dst bytes written (data queues) */
	uint64_t status[VA_NSTATUS + 1];	/* by status; last: others */
};

struct va_worker;

struct va_vq {
	unsigned int idx;
	int enabled;			/* vring_state_changed */
	int ready;			/* rings fetched */
	int broken;			/* stopped after [RING-BROKEN] */
	int mig_broken;			/* broken on the migration's source */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint32_t size;
	int kickfd;
	uint16_t last_avail;
	uint16_t last_used;
	uint16_t signalled;		/* used idx at the last call */
	int call_pending;
	struct va_iov *iov;
	uint32_t iov_cap;
	struct va_qctx qc;
	/* inflight tracking (INFLIGHT_SHMFD); NULL: not on this queue */
	struct va_infl_split *infl;
	/* this queue's part of the SET_INFLIGHT_FD region and its entries */
	struct va_infl_split *infl_region;
	uint32_t infl_cap;
	uint32_t msg_num;		/* last SET_VRING_NUM accepted, 0: none */
	const char *bad;		/* why the rings were refused, logged once */
	uint64_t infl_counter;		/* next take-order counter */
	int resub_scan;			/* look for requests to resubmit */
	struct va_resub *resub;		/* oldest first */
	uint32_t resub_cap;
	uint32_t nresub;
	uint32_t resub_pos;		/* next one to run */
	struct va_qstats st;
	struct va_pipe *pipe;		/* requests inside an engine (pipeline.c) */
};

struct va_dev {
	unsigned int index;		/* in va_devs[] */
	const char *path;		/* its vhost-user socket */
	uint64_t connections;		/* front-ends accepted so far */
	int fe_connected;		/* atomic, for telemetry.c */
	int worker_id;			/* atomic, for telemetry.c: -1 none */
	struct va_sess_tbl sess;	/* ctrl.c */
	int vid;			/* -1: no connection */
	uint64_t requests;		/* data requests of this connection */
	int running;			/* between new_device and destroy */
	uint64_t features;
	uint64_t protocol_features;
	int inflight;			/* INFLIGHT_SHMFD negotiated */
	void *infl_base;		/* SET_INFLIGHT_FD mapping (vumsg.c) */
	uint64_t infl_len;
	uint32_t infl_nq;		/* queues it covers */
	uint32_t infl_qsize;		/* entries per queue */
	struct rte_vhost_memory *mem;
	unsigned int nr_vq;		/* 1 + data queues */
	struct va_vq vq[VA_MAX_VQ];
	struct virtio_accel_limits lim;
	struct virtio_accel_config cfg;
	/* the worker serving its queues (worker.c) */
	int worker_started;		/* attached to a worker */
	struct va_worker *w;
	uint64_t gen;			/* bumped by va_dev_refresh(), resume */
	int pause_req;			/* atomic: its worker keeps off it */
	int msg_paused;			/* parked for a vhost message */
	struct va_dma *dma;		/* guest memory registered (dma.c) */
	/* requests of its data queues inside an engine (worker.c) */
	uint32_t eng_inflight;		/* now (atomic: telemetry.c) */
	uint32_t eng_inflight_max;	/* most at once since the start */
	uint64_t eng_limited;		/* rounds a queue waited for it */
	/*
	 * Migration (docs/migration-design.md): VHOST_F_LOG_ALL acked, the
	 * worker logs every guest write (worker.c); rings stopped with
	 * RESET_DEVICE negotiated, the sessions kept ([MIG-SUSPEND]).
	 */
	int log_all;
	int suspended;
	uint64_t mem_end;		/* end of the last memory table's GPAs */
	struct va_xfer *xfer;		/* a state transfer (migrate.c) */
};

/*
 * migrate.c: SET_DEVICE_STATE_FD / CHECK_DEVICE_STATE (0, or -1 logged);
 * va_mig_reset() when the connection ends. state.c: the device's state
 * as the spec's byte stream: va_state_save() while its rings are stopped
 * (a malloc'd buffer, wiped by the caller), va_state_load() validates and
 * applies it whole or not at all, va_state_max() the most bytes a load
 * reads.
 */
struct va_xfer;
int va_mig_set_state_fd(struct va_dev *d, uint32_t direction, uint32_t phase,
			int fd);
int va_mig_check_state(struct va_dev *d);
void va_mig_reset(struct va_dev *d);
int va_state_save(struct va_dev *d, uint8_t **buf, size_t *len, char *why,
		  size_t whylen);
int va_state_load(struct va_dev *d, uint8_t *buf, size_t len, char *why,
		  size_t whylen);
size_t va_state_max(const struct va_dev *d);
int va_state_key_init(const char *path);
int va_state_sealed(void);

/* every device of the process: va_ndevs of them (vhost.c) */
extern struct va_dev *va_devs;
extern unsigned int va_ndevs;

int va_vhost_start(void);
void va_vhost_stop(void);
uint64_t va_implemented(void);
uint64_t va_offered_features(void);

/*
 * vumsg.c: every front-end message is checked before librte_vhost acts on
 * it (0: pass it on; -1: refused, its fds closed); the inflight messages
 * are answered here (an RTE_VHOST_MSG_RESULT_*, or -1 if not one of them).
 */
int va_msg_check(struct va_dev *d, void *msg);
int va_msg_handle(struct va_dev *d, void *msg);
void va_msg_post(struct va_dev *d, void *msg);
void va_msg_reset(struct va_dev *d);

/*
 * dma.c: PCI engines. va_dma_cryptodev()/va_dma_compressdev(): the first
 * device of driver @drv the EAL probed (PCI or --vdev), -1 if none.
 * va_dma_init() after the engines: which of them sit on PCI (then IOVA as
 * VA is required). va_dma_sync() (va_dev_refresh(), the worker parked):
 * guest memory registered for device DMA as the memory table is; on
 * failure d->mem is dropped (no queue starts). va_dma_unmap(): before a
 * SET_MEM_TABLE reaches librte_vhost and when the device stops.
 */
int va_dma_cryptodev(const char *drv);
int va_dma_compressdev(const char *drv);
int va_dma_init(void);
void va_dma_sync(struct va_dev *d);
void va_dma_unmap(struct va_dev *d, const char *why);
int va_crypto_dev_id(void);	/* the cryptodev in use, -1: none */
/* the IOVA of @p (DPDK memory or registered guest memory) for an op */
extern int va_iova_is_va;
void va_iova_init(void);
uint64_t va_iova_pa(const void *p);
static inline uint64_t va_iova(const void *p)
{
	return __builtin_expect(va_iova_is_va, 1) ? (uint64_t)(uintptr_t)p :
						    va_iova_pa(p);
}
/* --test-dma-register: an op's pointer is where a device can DMA */
void va_dma_check_one(const char *what, const void *p, uint64_t len,
		      uint64_t iova);
#define va_dma_check(what, p, len, iova)				\
	do {								\
		if (__builtin_expect(va_opts.test_dma_register, 0))	\
			va_dma_check_one(what, p, len, iova);		\
	} while (0)
void va_dma_check_report(void);
int va_comp_dev_id(void);	/* the compressdev in use, -1: none */

/* worker.c: the worker pool; a device's queues all go to one worker */
extern __thread unsigned int va_worker_qp;	/* engine queue pair */
int va_workers_init(unsigned int n);
void va_workers_fini(void);
void va_workers_watchdog(void);
void va_workers_hold(void);
int va_worker_start(struct va_dev *d);
void va_worker_stop(struct va_dev *d);
void va_worker_pause(struct va_dev *d);
void va_worker_resume(struct va_dev *d);
void va_dev_refresh(struct va_dev *d);

/* op.c / ctrl.c: one request, returns the used length */
uint32_t va_op_process(struct va_dev *d, struct va_vq *q,
		       const struct va_chain *c);
uint32_t va_ctrl_process(struct va_dev *d, struct va_vq *q,
			 const struct va_chain *c);

/* stats.c: count a completed request (@used: its used length) */
void va_stats_req(struct va_vq *q, const struct va_chain *c, long used);
/* telemetry.c: /vaccel/... commands on DPDK's telemetry socket */
int va_telemetry_init(void);
/*
 * The asynchronous pipeline (pipeline.c): one-shot requests of a data queue
 * that an engine completes later wait in a slot of their queue's in-flight
 * table, holding the device core's request, the chain (its iovecs: the
 * guest memory stays mapped, see va_vq_drain()) and the engine's output.
 */
struct va_slot {
	struct virtio_accel_dev_req cr;	/* the core's request */
	struct va_req r;		/* the engine's view (VA_ENG_CDEV) */
	struct va_vq *q;
	int engine;			/* VA_ENG_* */
	void *eng[2];			/* each async engine's slot data */
	struct va_chain c;		/* the walked chain, iovecs copied */
	uint32_t iov_cap;
	uint16_t head;
	int st;				/* the engine's status */
	uint64_t due_ns;		/* test engine: completes at */
	uint64_t seq;			/* submission order */
	int dead;			/* abandoned: completion dropped */
	uint8_t *out;			/* the engine's output, if not in place */
	uint32_t out_cap;
};

#define VA_RUN_PENDING	(-2)	/* va_run(): the request is in an engine */
#define VA_ENG_TEST	1	/* --test-engine-latency-us */
#define VA_ENG_CDEV	2	/* engine_crypto.c, enqueued on the PMD */
#define VA_ENG_ZDEV	3	/* engine_comp.c, enqueued on the PMD */

/*
 * An engine that completes requests later registers itself in
 * va_async_engines[] (engine_crypto.c and engine_comp.c when their PMD is
 * up): submit() takes @r (0) or declines it (< 0: the request runs
 * synchronously); poll() dequeues what the device finished, marking each
 * slot done (va_pipe_done()); slot_free() frees what it keeps per slot
 * (s->eng[its index]).
 */
#define VA_ASYNC_CRYPTO	0
#define VA_ASYNC_COMP	1
#define VA_NASYNC	2
struct va_async_engine {
	int (*submit)(struct va_req *r, struct va_slot *s);
	unsigned int (*poll)(void);
	void (*slot_free)(struct va_slot *s);
	/* @s is abandoned inside the engine: let go of what it holds */
	void (*abandon)(struct va_slot *s);
};
extern const struct va_async_engine *va_async_engines[VA_NASYNC];
void va_pipe_done(struct va_slot *s);

int va_pipe_on(struct va_vq *q);
struct va_slot *va_pipe_slot(struct va_vq *q);
void va_pipe_push(struct va_vq *q, struct va_slot *s);
unsigned int va_pipe_room(const struct va_vq *q);
/* A data queue's in-flight table (pipeline.c) */
struct va_pipe {
	struct va_slot *slot;
	uint32_t depth;		/* slots */
	uint16_t *fifo;		/* test engine slots, oldest first */
	uint32_t first;		/* fifo index of the oldest */
	uint32_t nfifo;
	uint16_t *donel;	/* slots an engine completed */
	uint32_t ndone;
	uint32_t n;		/* in flight (done ones included) */
	uint16_t *freel;	/* free slots */
	uint32_t nfree;
	/* since the last va_pipe_report() */
	uint64_t seq;		/* submissions */
	uint64_t seq_hi;	/* latest submission completed */
	uint64_t done;		/* completed after waiting in the engine */
	uint64_t ooo;		/* ... after a later submission */
	uint64_t by_eng[4];	/* ... by engine: VA_ENG_* */
	uint32_t max_n;		/* most in flight at once */
	/* abandoned (va_pipe_abandon()), still in an engine; not in n */
	uint32_t ndead;
	uint64_t dropped;	/* their completions, dropped unwritten */
};

/* requests of @q inside an engine (done ones not yet written included) */
static inline unsigned int va_pipe_busy(const struct va_vq *q)
{
	return q->pipe ? q->pipe->n : 0;
}

unsigned int va_pipe_due(struct va_vq *q, struct va_slot **out,
			 unsigned int max);
void va_pipe_release(struct va_vq *q, struct va_slot *s);
int va_pipe_hold(struct va_slot *s);
void va_pipe_fini(struct va_vq *q);
unsigned int va_pipe_abandon(struct va_vq *q);
void va_pipe_report(struct va_vq *q);
/* op.c: start a request (>= 0: used length; VA_RUN_PENDING), finish one */
int64_t va_op_submit(struct va_dev *d, struct va_vq *q,
		     const struct va_chain *c, struct va_slot *s);
uint32_t va_op_finish(struct va_dev *d, struct va_vq *q, struct va_slot *s);
/* worker.c: complete what the engines finished; wait for all of it */
unsigned int va_vq_poll(struct va_dev *d, struct va_vq *q);
void va_vq_drain(struct va_dev *d, struct va_vq *q);

#endif /* VA_BACKEND_H */
