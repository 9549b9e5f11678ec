// SPDX-License-Identifier: BSD-3-Clause
/*
 * The workers: --workers threads, each serving every queue of the devices
 * (front-ends) attached to it (see the worker pool below). Split rings
 * only. Modes: --poll busy-polls; the default spins for a short
 * while and then sleeps in epoll on the kick eventfds.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <rte_atomic.h>
#include <rte_pause.h>
#include <rte_vhost.h>

#include "backend.h"

/* adaptive mode: idle rounds before sleeping */
#define SPIN_ROUNDS	2000
#define SLEEP_MS	200
/* used index stores per batch: every this many completions */
#define VA_PUBLISH_STEP	8

#define LOAD(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)

/*
 * A pause (a vhost message, GET_VRING_BASE) waits for the round: take no
 * more requests of the device, so that it waits for one request at most
 * (docs/migration-design.md 2.3). A hint: va_worker_sync() synchronises.
 */
static inline int va_stop_asked(struct va_dev *d)
{
	return __atomic_load_n(&d->pause_req, __ATOMIC_RELAXED);
}

/*
 * Dirty logging (VHOST_F_LOG_ALL, d->log_all): every guest byte the worker
 * writes is marked in the front-end's log after the write. Requests write
 * only into the writable part of their chain (responses, dst, in place or
 * through va_iov_write()): all of it is marked when the request completes,
 * written or not (a page too many is harmless, one too few is silent
 * corruption after a migration). The rings: each used element, the used
 * index, flags and avail_event, through the log address of the queue.
 */
static void va_log_range(struct va_dev *d, const void *p, uint64_t len)
{
	const struct rte_vhost_memory *mem = d->mem;
	uint64_t a = (uint64_t)(uintptr_t)p;
	uint32_t i;

	if (!mem || !len)
		return;
	for (i = 0; i < mem->nregions; i++) {
		const struct rte_vhost_mem_region *r = &mem->regions[i];
		uint64_t off = a - r->host_user_addr;

		if (a < r->host_user_addr || off >= r->size)
			continue;
		if (len > r->size - off)
			len = r->size - off;
		rte_vhost_log_write(d->vid, r->guest_phys_addr + off, len);
		return;
	}
}

static void va_log_chain(struct va_dev *d, const struct va_chain *c)
{
	uint32_t i;

	for (i = c->n_rd; i < c->n_rd + c->n_wr; i++)
		va_log_range(d, c->iov[i].base, c->iov[i].len);
}

static inline void va_log_used(struct va_dev *d, const struct va_vq *q,
			       uint64_t off, uint64_t len)
{
	if (unlikely(d->log_all))
		rte_vhost_log_used_vring(d->vid, (uint16_t)q->idx, off, len);
}

#define VA_USED_ELEM(q, i)	(offsetof(struct vring_used, ring) + \
				 sizeof(struct vring_used_elem) * \
				 ((uint16_t)(i) % (q)->size))
#define VA_USED_IDX		offsetof(struct vring_used, idx)

/* used->idx := last_used, logged */
static inline void va_publish(struct va_dev *d, struct va_vq *q)
{
	STORE(&q->used->idx, q->last_used);
	va_log_used(d, q, VA_USED_IDX, 2);
}

/* this thread's worker, NULL outside the workers; its fd-call flag */
static __thread int *va_in_fd;

/* vring.h mirrors DPDK's inflight region layout (the vhost-user one) */
_Static_assert(sizeof(struct va_infl_split) ==
	       sizeof(struct rte_vhost_inflight_info_split), "infl header");
_Static_assert(sizeof(struct va_infl_desc) ==
	       sizeof(struct rte_vhost_inflight_desc_split), "infl desc");
_Static_assert(offsetof(struct va_infl_split, last_batch_head) ==
	       offsetof(struct rte_vhost_inflight_info_split,
			last_inflight_io), "infl last_inflight_io");
_Static_assert(offsetof(struct va_infl_split, used_idx) ==
	       offsetof(struct rte_vhost_inflight_info_split, used_idx),
	       "infl used_idx");
_Static_assert(offsetof(struct va_infl_desc, counter) ==
	       offsetof(struct rte_vhost_inflight_desc_split, counter),
	       "infl counter");

static void *va_xlate(void *opaque, uint64_t gpa, uint64_t *len)
{
	struct rte_vhost_memory *mem = opaque;

	if (!mem) {
		*len = 0;
		return NULL;
	}
	return (void *)(uintptr_t)rte_vhost_va_from_guest_pa(mem, gpa, len);
}

/*
 * Inflight tracking of queue @q (rings already read), at every refresh: its
 * part of the SET_INFLIGHT_FD region (vumsg.c), used only if it holds an
 * entry for every descriptor; on the first refresh after a device start
 * (resub_scan), recover the requests a previous back-end took and did not
 * complete. Returns NULL, or why the queue must not start.
 *
 * The region is the front-end's shared memory: nothing read from it sizes
 * or indexes anything (desc_num and last_batch_head are bounded by the
 * queue size in va_inflight_recover(), heads by the queue size).
 */
static const char *va_inflight_setup(struct va_dev *d, struct va_vq *q)
{
	struct va_infl_split *r = q->infl_region;
	uint16_t used_idx;
	uint32_t n;

	if (!d->inflight || !r)
		return NULL;
	if (q->infl_cap < q->size)
		return "its inflight region has fewer entries than descriptors";
	q->infl = r;
	if (!q->resub_scan)
		return NULL;
	q->resub_scan = 0;
	q->nresub = 0;
	q->resub_pos = 0;
	if (q->resub_cap < q->size) {
		struct va_resub *p = realloc(q->resub, sizeof(*p) * q->size);

		if (!p) {
			VA_ERR("queue %u: out of memory for the resubmit list",
			       q->idx);
			q->infl = NULL;
			return NULL;
		}
		q->resub = p;
		q->resub_cap = q->size;
	}
	used_idx = LOAD(&q->used->idx);
	n = va_inflight_recover(r, q->size, used_idx, q->resub,
				&q->infl_counter);
	q->nresub = n;
	/* [used, used + n) were taken and not completed: resume after them */
	if (q->last_used != used_idx ||
	    q->last_avail != (uint16_t)(used_idx + n))
		VA_INFO("queue %u: indexes avail %u used %u corrected to %u/%u from the inflight region",
			q->idx, q->last_avail, q->last_used,
			(uint16_t)(used_idx + n), used_idx);
	q->last_used = used_idx;
	q->signalled = used_idx;
	q->last_avail = (uint16_t)(used_idx + n);
	rte_vhost_set_vring_base(d->vid, (uint16_t)q->idx, q->last_avail,
				 q->last_used);
	/* a completion the old back-end published may not have been signalled */
	q->call_pending = 1;
	if (n)
		VA_INFO("queue %u: resubmitting %u request%s in flight at the previous back-end's end (used index %u)",
			q->idx, n, n == 1 ? "" : "s", used_idx);
	return NULL;
}

/* [@p, @p + @len) inside one region of @mem (host addresses)? */
static int va_in_region(const struct rte_vhost_memory *mem, const void *p,
			uint64_t len)
{
	uint64_t a = (uint64_t)(uintptr_t)p;
	uint32_t i;

	for (i = 0; i < mem->nregions; i++) {
		const struct rte_vhost_mem_region *r = &mem->regions[i];

		if (a >= r->host_user_addr &&
		    a - r->host_user_addr <= r->size &&
		    len <= r->size - (a - r->host_user_addr))
			return 1;
	}
	return 0;
}

/*
 * The rings of a queue of @vr->size entries, with the event index slots
 * when EVENT_IDX is negotiated (@f): each part inside one memory region,
 * whatever librte_vhost checked when it translated them (sizes, features
 * and the memory table may have changed since). NULL if fine, else why.
 */
static const char *va_rings_check(const struct rte_vhost_memory *mem,
				  const struct rte_vhost_vring *vr, uint64_t f)
{
	uint64_t ev = (f & (1ull << VIRTIO_RING_F_EVENT_IDX)) ? 2 : 0;
	uint64_t n = vr->size;

	if (!n || n > VA_MAX_QSIZE || (n & (n - 1)))
		return "queue size not a power of 2 up to 32768";
	/* virtio 1.x 2.7: alignment of the split-ring parts */
	if (((uintptr_t)vr->desc & 15) || ((uintptr_t)vr->avail & 1) ||
	    ((uintptr_t)vr->used & 3))
		return "misaligned ring addresses";
	if (!va_in_region(mem, vr->desc, 16 * n))
		return "descriptor table not inside one memory region";
	if (!va_in_region(mem, vr->avail, 4 + 2 * n + ev))
		return ev ? "avail ring (with used_event) not inside one memory region" :
			    "avail ring not inside one memory region";
	if (!va_in_region(mem, vr->used, 4 + 8 * n + ev))
		return ev ? "used ring (with avail_event) not inside one memory region" :
			    "used ring not inside one memory region";
	return NULL;
}

/* Re-read memory table and rings; the worker is parked or not running. */
void va_dev_refresh(struct va_dev *d)
{
	unsigned int i, nr, nactive;
	uint64_t f = d->features;
	const char *why;

	free(d->mem);
	d->mem = NULL;
	if (d->vid < 0)
		return;
	if (rte_vhost_get_mem_table(d->vid, &d->mem) < 0)
		d->mem = NULL;
	va_dma_sync(d);	/* guest memory registered for device DMA */
	nr = rte_vhost_get_vring_num(d->vid);
	/* [FEAT-MQ]: without VIRTIO_ACCEL_F_MQ only data queue 0 exists */
	nactive = (f & (1ull << VIRTIO_ACCEL_F_MQ)) ? d->nr_vq : 2;
	if (nactive > d->nr_vq)
		nactive = d->nr_vq;
	for (i = 0; i < d->nr_vq; i++) {
		struct va_vq *q = &d->vq[i];
		struct rte_vhost_vring vr;
		uint16_t la, lu;

		q->idx = i;
		q->ready = 0;
		q->infl = NULL;
		if (i >= nr || i >= nactive || !d->mem ||
		    rte_vhost_get_vhost_vring(d->vid, i, &vr) < 0)
			continue;
		/*
		 * Kicked, so librte_vhost tried to map the rings: one it could
		 * not map into the memory table keeps the queue from starting
		 * (librte_vhost logs why only at debug level).
		 */
		if (vr.kickfd >= 0 && (!vr.desc || !vr.avail || !vr.used)) {
			why = "its rings are not inside the memory table (librte_vhost could not map them)";
			goto refused;
		}
		if (!q->enabled || !vr.desc || !vr.avail || !vr.used ||
		    !vr.size)
			continue;
		why = va_rings_check(d->mem, &vr, f);
		if (why)
			goto refused;
		if (q->iov_cap < 2u * vr.size + 16) {
			struct va_iov *n = realloc(q->iov, sizeof(*n) *
						   (2u * vr.size + 16));

			if (!n) {
				VA_ERR("queue %u: out of memory", i);
				continue;
			}
			q->iov = n;
			q->iov_cap = 2u * vr.size + 16;
		}
		if (rte_vhost_get_vring_base(d->vid, i, &la, &lu) < 0)
			continue;
		q->desc = vr.desc;
		q->avail = vr.avail;
		q->used = vr.used;
		q->size = vr.size;
		q->kickfd = vr.kickfd;
		q->last_avail = la;
		q->last_used = lu;
		q->signalled = lu;
		why = va_inflight_setup(d, q);
		if (why)
			goto refused;
		q->bad = NULL;
		q->ready = 1;
		continue;
refused:
		/* once per reason, not at every message */
		if (why != q->bad)
			VA_ERR("queue %u not started: %s (size %u)", i, why,
			       vr.size);
		q->bad = why;
		q->infl = NULL;
	}
	__atomic_add_fetch(&d->gen, 1, __ATOMIC_RELEASE);
}

/* [RING-BROKEN]: stop serving the queue until the device is reset. */
static void va_stop_queue(struct va_vq *q, const char *why)
{
	q->broken = 1;
	VA_ERR("queue %u stopped at avail index %u: %s; the driver must reset the device",
	       q->idx, q->last_avail, why);
}

static void va_notify(struct va_dev *d, struct va_vq *q)
{
	int ret;

	/* EVENT_IDX and NO_INTERRUPT handled by librte_vhost */
	if (va_in_fd)
		STORE(va_in_fd, 1);
	ret = rte_vhost_vring_call_nonblock(d->vid, (uint16_t)q->idx);
	if (va_in_fd)
		STORE(va_in_fd, 0);
	q->call_pending = (ret == -EAGAIN);
}

/*
 * Run one request; returns its used length, -1 if the chain is broken, or
 * VA_RUN_PENDING if @async and it went into an engine (pipeline.c).
 */
static int64_t va_run(struct va_dev *d, struct va_vq *q,
		      const struct va_ring_cfg *rc, struct va_chain *c,
		      uint16_t head, int async)
{
	int ret = va_chain_walk(rc, head, c);
	struct va_slot *s;
	int64_t len;

	if (ret < 0) {
		va_stop_queue(q, va_chain_strerror(ret));
		return -1;
	}
	if (unlikely(va_opts.test_delay_us))
		usleep(va_opts.test_delay_us);
	s = async && q->idx != VIRTIO_ACCEL_CTRLQ ? va_pipe_slot(q) : NULL;
	if (q->idx == VIRTIO_ACCEL_CTRLQ) {
		len = va_ctrl_process(d, q, c);
	} else if (!s) {
		len = va_op_process(d, q, c);
	} else {
		len = va_op_submit(d, q, c, s);
		if (len == VA_RUN_PENDING) {
			uint32_t n = d->eng_inflight + 1;

			/* logged when it completes (va_vq_poll()) */
			s->head = head;
			va_pipe_push(q, s);
			__atomic_store_n(&d->eng_inflight, n, __ATOMIC_RELAXED);
			if (n > d->eng_inflight_max)
				__atomic_store_n(&d->eng_inflight_max, n,
						 __ATOMIC_RELAXED);
			return len;
		}
	}
	if (unlikely(d->log_all))
		va_log_chain(d, c);
	return len;
}

static inline void va_used_elem(struct va_dev *d, struct va_vq *q,
				uint16_t head, uint32_t len)
{
	struct vring_used_elem *ue = &q->used->ring[q->last_used % q->size];

	ue->id = htole32(head);
	ue->len = htole32(len);
	va_log_used(d, q, VA_USED_ELEM(q, q->last_used), sizeof(*ue));
	q->last_used++;
}

/* va_infl_complete() wrote one element and the index: log them */
static inline void va_infl_logged(struct va_dev *d, struct va_vq *q)
{
	va_log_used(d, q, VA_USED_ELEM(q, q->last_used - 1),
		    sizeof(struct vring_used_elem));
	va_log_used(d, q, VA_USED_IDX, 2);
}

/* Requests recovered from the inflight region, oldest first. */
static unsigned int va_resubmit(struct va_dev *d, struct va_vq *q,
				const struct va_ring_cfg *rc,
				struct va_chain *c)
{
	unsigned int done = 0;

	while (q->resub_pos < q->nresub && done < VA_BUDGET &&
	       !va_stop_asked(d)) {
		uint16_t head = q->resub[q->resub_pos].head;
		int64_t len = va_run(d, q, rc, c, head, 0);

		if (len < 0)
			break;
		q->resub_pos++;
		va_infl_complete(q->infl, q->used, q->size, &q->last_used, head,
				 (uint32_t)len);
		va_infl_logged(d, q);
		done++;
	}
	if (q->resub_pos == q->nresub && q->nresub) {
		VA_INFO("queue %u: %u resubmitted request%s completed",
			q->idx, q->nresub, q->nresub == 1 ? "" : "s");
		q->nresub = 0;
		q->resub_pos = 0;
	}
	return done;
}

/*
 * Warm the cache for the @n chains at avail index @from before walking
 * them. Every request touches lines the driver has just written on another
 * core (its descriptor, indirect table and header) and its response line;
 * walked one after another, each chain pays those misses in series. Here
 * the misses of the whole batch are started together, one level at a time.
 * Hints only: nothing read here decides anything, bad values are skipped,
 * and va_chain_walk() reads and checks every descriptor itself, once.
 */
static void va_prefetch_batch(const struct va_vq *q,
			      const struct va_ring_cfg *rc, uint16_t from,
			      unsigned int n)
{
	const struct vring_desc *t[VA_BUDGET];
	uint16_t h[VA_BUDGET];
	uint32_t tn[VA_BUDGET];
	unsigned int i;

	for (i = 0; i < n; i++) {
		h[i] = __atomic_load_n(&q->avail->ring[(uint16_t)(from + i) %
						       q->size],
				       __ATOMIC_RELAXED);
		if (h[i] < q->size)
			__builtin_prefetch(&q->desc[h[i]]);
	}
	for (i = 0; i < n; i++) {
		uint64_t len, addr;
		uint16_t fl;

		t[i] = NULL;
		if (h[i] >= q->size)
			continue;
		addr = le64toh(__atomic_load_n(&q->desc[h[i]].addr,
					       __ATOMIC_RELAXED));
		len = le32toh(__atomic_load_n(&q->desc[h[i]].len,
					      __ATOMIC_RELAXED));
		fl = le16toh(__atomic_load_n(&q->desc[h[i]].flags,
					     __ATOMIC_RELAXED));
		if (!(fl & VRING_DESC_F_INDIRECT) || len < 32 || len % 16)
			continue;
		tn[i] = (uint32_t)(len / 16);
		t[i] = rc->xlate(rc->opaque, addr, &len);
		if (t[i] && len >= (uint64_t)tn[i] * 16)
			__builtin_prefetch(t[i]);
		else
			t[i] = NULL;
	}
	for (i = 0; i < n; i++) {
		uint64_t len = 64, addr;
		void *p;

		if (!t[i])
			continue;
		/* the header (first entry) and the response (last) */
		addr = le64toh(__atomic_load_n(&t[i][0].addr, __ATOMIC_RELAXED));
		p = rc->xlate(rc->opaque, addr, &len);
		if (p)
			__builtin_prefetch(p);
		len = 16;
		addr = le64toh(__atomic_load_n(&t[i][tn[i] - 1].addr,
					       __ATOMIC_RELAXED));
		p = rc->xlate(rc->opaque, addr, &len);
		if (p)
			__builtin_prefetch(p, 1);
	}
}

/* Write completion @len of @head to the used ring (inflight tracked). */
static void va_complete(struct va_dev *d, struct va_vq *q, uint16_t head,
			uint32_t len)
{
	if (q->infl) {
		va_infl_complete(q->infl, q->used, q->size, &q->last_used, head,
				 len);
		va_infl_logged(d, q);
	} else {
		va_used_elem(d, q, head, len);
		va_publish(d, q);
	}
}

/*
 * The requests of @q that their engine completed: responses and used
 * entries, in the order they complete. Returns how many.
 */
unsigned int va_vq_poll(struct va_dev *d, struct va_vq *q)
{
	struct va_slot *s[VA_BUDGET];
	unsigned int n, i, done = 0;

	do {
		n = va_pipe_due(q, s, VA_BUDGET);
		for (i = 0; i < n; i++) {
			uint32_t len = va_op_finish(d, q, s[i]);

			if (unlikely(d->log_all))
				va_log_chain(d, &s[i]->c);
			va_complete(d, q, s[i]->head, len);
			va_pipe_release(q, s[i]);
		}
		if (n)
			__atomic_store_n(&d->eng_inflight, d->eng_inflight - n,
					 __ATOMIC_RELAXED);
		done += n;
	} while (n == VA_BUDGET);
	return done;
}

static uint64_t va_ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Wait for every request of @q inside an engine and complete it: before the
 * worker parks or stops (a vhost message, a reset, a disconnect may unmap
 * the guest memory the requests point into). The wait is bounded
 * (--drain-timeout-ms): an engine that has not returned a request by then
 * (a hung device) gets it abandoned (va_pipe_abandon()): its completion is
 * dropped when it comes, never written, and the queue is stopped until
 * the driver resets the device (the guest never hears of those requests;
 * with inflight tracking a reconnect resubmits them).
 */
void va_vq_drain(struct va_dev *d, struct va_vq *q)
{
	uint32_t to = va_opts.drain_timeout_ms ? va_opts.drain_timeout_ms :
						 2000;
	uint64_t end = va_ms_now() + to;
	unsigned int done = 0, spins = 0, k;

	if (!va_pipe_busy(q))
		return;
	while (va_pipe_busy(q)) {
		done += va_vq_poll(d, q);
		rte_pause();
		if (++spins % 1024 || va_ms_now() < end)
			continue;
		k = va_pipe_busy(q);
		va_pipe_abandon(q);
		__atomic_store_n(&d->eng_inflight, d->eng_inflight - k,
				 __ATOMIC_RELAXED);
		VA_ERR("queue %u: %u request%s still inside the engine after %u ms (--drain-timeout-ms): abandoned; their completions will be dropped, not written",
		       q->idx, k, k == 1 ? "" : "s", to);
		if (!q->broken)
			va_stop_queue(q, "requests abandoned inside a hung engine");
		break;
	}
	rte_vhost_set_vring_base(d->vid, (uint16_t)q->idx, q->last_avail,
				 q->last_used);
	if (done)
		va_notify(d, q);
}

/*
 * Give back heads[@from .. @n) of a batch taken in flight and not run (a
 * pause is waiting): latest first, so that the heads still flagged in the
 * inflight region are always the ones taken before them.
 */
static void va_untake(struct va_vq *q, const uint16_t *heads,
		      unsigned int from, unsigned int n)
{
	while (n-- > from) {
		if (q->infl)
			STORE(&q->infl->desc[heads[n]].inflight, 0);
		q->last_avail--;
	}
}

/* Process up to VA_BUDGET chains of one queue; returns chains completed. */
static unsigned int va_process_vq(struct va_dev *d, struct va_vq *q)
{
	struct va_ring_cfg rc = {
		.desc = q->desc,
		.size = q->size,
		.indirect_ok = !!(d->features &
				  (1ull << VIRTIO_RING_F_INDIRECT_DESC)),
		.xlate = va_xlate,
		.opaque = d->mem,
	};
	struct va_chain c = { .iov = q->iov, .cap = q->iov_cap };
	uint16_t heads[VA_BUDGET];
	uint16_t avail_idx, n, i;
	unsigned int done = 0, taken = 0;
	int async = 0;
	int64_t len;

	if (va_pipe_busy(q) || unlikely(q->pipe && q->pipe->ndead))
		done = va_vq_poll(d, q);
	if (unlikely(va_stop_asked(d)))
		goto out;
	if (unlikely(q->nresub)) {
		done += va_resubmit(d, q, &rc, &c);
		if (q->nresub || q->broken)
			goto out;
	}
	avail_idx = LOAD(&q->avail->idx);
	n = (uint16_t)(avail_idx - q->last_avail);
	if (!n)
		goto out;
	if (n > q->size) {
		va_stop_queue(q, "avail index more than the queue size ahead");
		goto out;
	}
	if (n > VA_BUDGET)
		n = VA_BUDGET;
	/*
	 * Each one may stay in an engine: no more than free slots, nor than
	 * the device may still have in the engines (--max-inflight): at the
	 * limit its queues wait for completions (back-pressure, not an
	 * error), and the engines' room goes to other devices.
	 */
	async = va_pipe_on(q);
	if (async) {
		uint32_t room = va_pipe_room(q), lim = va_opts.max_inflight;

		if (lim) {
			lim = d->eng_inflight < lim ? lim - d->eng_inflight : 0;
			if (room > lim)
				room = lim;
		}
		if (n > room) {
			n = (uint16_t)room;
			if (!n) {
				if (lim == 0 && va_opts.max_inflight)
					d->eng_limited++;
				goto out;
			}
		}
	}
	if (n > 1)
		va_prefetch_batch(q, &rc, q->last_avail, n);
	if (q->infl || unlikely(va_opts.test_reorder)) {
		/* take the whole batch in flight, then run and complete each */
		for (i = 0; i < n; i++) {
			uint16_t slot = q->last_avail % q->size;
			uint16_t head = __atomic_load_n(&q->avail->ring[slot],
							__ATOMIC_RELAXED);

			if (head >= q->size) {
				va_stop_queue(q, va_chain_strerror(-ERANGE));
				break;
			}
			if (q->infl)
				va_infl_take(q->infl, &q->infl_counter, head);
			heads[i] = head;
			q->last_avail++;
		}
		n = i;
		for (i = 0; i < n; i++) {
			/*
			 * --test-reorder: complete out of order (last first);
			 * with the pipeline its engine reorders completions
			 * and requests start in order (a stream's stay so)
			 */
			int rev = unlikely(va_opts.test_reorder) && !async;
			uint16_t h = rev ? heads[n - 1 - i] : heads[i];

			if (i && !rev && unlikely(va_stop_asked(d))) {
				va_untake(q, heads, i, n);
				break;
			}

			len = va_run(d, q, &rc, &c, h, async);
			if (len == VA_RUN_PENDING) {
				/* what the engine finished goes out now */
				if (!(++taken % VA_PUBLISH_STEP))
					done += va_vq_poll(d, q);
				continue;
			}
			if (len < 0)
				break;
			va_complete(d, q, h, (uint32_t)len);
			done++;
		}
		goto out;
	}
	for (i = 0; i < n; i++) {
		uint16_t slot = q->last_avail % q->size;
		uint16_t head = __atomic_load_n(&q->avail->ring[slot],
						__ATOMIC_RELAXED);

		if (i && unlikely(va_stop_asked(d)))
			break;
		len = va_run(d, q, &rc, &c, head, async);
		if (len == VA_RUN_PENDING) {
			q->last_avail++;
			/*
			 * What the engine finished goes out now (a software
			 * PMD finishes at enqueue), so that the driver can
			 * refill while the rest of the batch is submitted.
			 */
			if (!(++taken % VA_PUBLISH_STEP))
				done += va_vq_poll(d, q);
			continue;
		}
		if (len < 0)
			break;
		va_used_elem(d, q, head, (uint32_t)len);
		q->last_avail++;
		done++;
		/*
		 * Publish in steps so that a driver polling the used ring can
		 * refill while the rest of the batch runs, instead of both
		 * sides waiting for each other batch by batch.
		 */
		if (!(done % VA_PUBLISH_STEP))
			va_publish(d, q);
	}
	if (done % VA_PUBLISH_STEP || taken)
		va_publish(d, q);
out:
	/* the batch's own completions, if the engine has them already */
	if (taken)
		done += va_vq_poll(d, q);
	if (done || taken)
		rte_vhost_set_vring_base(d->vid, (uint16_t)q->idx,
					 q->last_avail, q->last_used);
	if (done)
		va_notify(d, q);
	return done + taken;
}

/* Ask the driver for kicks (enable) or tell it not to bother (disable). */
static void va_kicks(struct va_dev *d, struct va_vq *q, int enable)
{
	if (d->features & (1ull << VIRTIO_RING_F_EVENT_IDX)) {
		uint16_t *ev = (uint16_t *)&q->used->ring[q->size];

		/* a stale avail_event (behind last_avail) suppresses kicks */
		STORE(ev, enable ? q->last_avail :
				   (uint16_t)(q->last_avail - 1));
		va_log_used(d, q, VA_USED_ELEM(q, 0) +
			    sizeof(struct vring_used_elem) * q->size, 2);
	} else {
		uint16_t fl = LOAD(&q->used->flags);

		fl = enable ? (fl & ~VRING_USED_F_NO_NOTIFY) :
			      (fl | VRING_USED_F_NO_NOTIFY);
		STORE(&q->used->flags, fl);
		va_log_used(d, q, offsetof(struct vring_used, flags), 2);
	}
}

static int va_vq_live(const struct va_vq *q)
{
	return q->ready && q->enabled && !q->broken;
}

/*
 * The worker pool (--workers N). A device's queues all go to one worker,
 * the one serving the fewest devices when the device starts. When a device
 * stops and leaves one worker with two devices more than another, one of
 * them moves, paused (a queue never moves while a worker has its requests
 * in hand). One
 * worker per device keeps a device's session table, stream state and
 * engine sessions single-threaded, as the device core expects; the
 * devices, not their queues, are what is spread over the workers.
 *
 * A worker round-robins over the queues of its devices, at most VA_BUDGET
 * requests of a queue per round, so a front-end that floods gets one
 * budget per queue per round like every other. Each worker has its own
 * cryptodev and compressdev queue pair (va_worker_qp).
 *
 * A worker's devices are an array it reads once per round (w->tab); a
 * change publishes a new array and waits for the worker to end the round
 * it is in (w->epoch), then frees the old one. Pausing a device (for a
 * vhost message) sets d->pause_req and waits likewise: the worker skips
 * that device's queues, and serves its other devices all along.
 */
struct va_wtab {
	uint64_t serial;
	unsigned int n;
	struct va_dev *dev[];
};

struct va_worker {
	unsigned int id;
	pthread_t t;
	int started;
	int wake_fd;
	int stop;			/* atomic */
	uint64_t epoch;			/* atomic: rounds ended */
	int in_fd;			/* atomic: in a front-end's eventfd */
	uint64_t wd_epoch;		/* epoch at the last watchdog look */
	struct va_wtab *tab;		/* atomic */
	unsigned int ndev;		/* devices attached (control side) */
	uint64_t serial;
};

__thread unsigned int va_worker_qp;
static struct va_worker va_workers[VA_MAX_WORKERS];
static unsigned int va_nworkers;
static pthread_mutex_t va_wlock = PTHREAD_MUTEX_INITIALIZER;

static int va_dev_paused(struct va_dev *d)
{
	return __atomic_load_n(&d->pause_req, __ATOMIC_SEQ_CST);
}

/* What the epoll set and the kick state of a worker depend on. */
static uint64_t va_tab_gen(const struct va_wtab *t)
{
	uint64_t g = t->serial << 32;
	unsigned int i;

	for (i = 0; i < t->n; i++)
		g += LOAD(&t->dev[i]->gen) * 2 +
		     (uint64_t)!!va_dev_paused(t->dev[i]);
	return g;
}

static int va_rebuild_epoll(struct va_worker *w, const struct va_wtab *t,
			    int epfd)
{
	struct epoll_event ev;
	unsigned int i, k;

	for (k = 0; k < t->n; k++) {
		struct va_dev *d = t->dev[k];

		if (va_dev_paused(d))
			continue;
		for (i = 0; i < d->nr_vq; i++) {
			struct va_vq *q = &d->vq[i];

			if (!va_vq_live(q) || q->kickfd < 0)
				continue;
			memset(&ev, 0, sizeof(ev));
			ev.events = EPOLLIN;
			ev.data.u64 = ((uint64_t)k << 32) | i;
			if (epoll_ctl(epfd, EPOLL_CTL_ADD, q->kickfd, &ev) < 0 &&
			    errno != EEXIST)
				VA_ERR("device %u queue %u: epoll add kickfd: %s",
				       d->index, i, strerror(errno));
		}
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = UINT64_MAX;
	return epoll_ctl(epfd, EPOLL_CTL_ADD, w->wake_fd, &ev);
}

static void va_tab_kicks(const struct va_wtab *t, int enable)
{
	unsigned int i, k;

	for (k = 0; k < t->n; k++) {
		struct va_dev *d = t->dev[k];

		if (va_dev_paused(d))
			continue;
		for (i = 0; i < d->nr_vq; i++)
			if (va_vq_live(&d->vq[i]))
				va_kicks(d, &d->vq[i], enable);
	}
}

/*
 * Sleep until a kick, a wake-up or the timeout. The round is not over
 * until this returns: a device paused meanwhile is not touched after its
 * pause has returned.
 */
static void va_sleep(struct va_worker *w, const struct va_wtab *t,
		     int *epfd, uint64_t *gen, uint64_t cur)
{
	struct epoll_event evs[64];
	unsigned int i, k;
	int n, j;

	if (*epfd < 0 || *gen != cur) {
		if (*epfd >= 0)
			close(*epfd);
		*epfd = epoll_create1(EPOLL_CLOEXEC);
		if (*epfd < 0)
			return;
		va_rebuild_epoll(w, t, *epfd);
		*gen = cur;
	}
	va_tab_kicks(t, 1);
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (k = 0; k < t->n; k++) {
		struct va_dev *d = t->dev[k];

		if (va_dev_paused(d))
			continue;
		for (i = 0; i < d->nr_vq; i++) {
			struct va_vq *q = &d->vq[i];

			if (va_vq_live(q) &&
			    LOAD(&q->avail->idx) != q->last_avail)
				goto out;
		}
	}
	if (LOAD(&w->stop) || va_tab_gen(t) != cur)
		goto out;
	n = epoll_wait(*epfd, evs, 64, SLEEP_MS);
	for (j = 0; j < n; j++) {
		uint64_t v, u = evs[j].data.u64;
		int fd;

		if (u == UINT64_MAX) {
			fd = w->wake_fd;
		} else {
			struct va_dev *d = t->dev[u >> 32];

			fd = d->vq[(uint32_t)u].kickfd;
		}
		STORE(&w->in_fd, 1);
		if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			VA_DBG("read eventfd: %s", strerror(errno));
		STORE(&w->in_fd, 0);
	}
out:
	va_tab_kicks(t, 0);
}

/* Wait for every request of @d inside an engine and complete it. */
static void va_dev_drain(struct va_dev *d)
{
	unsigned int i;

	for (i = 0; i < d->nr_vq; i++)
		if (va_pipe_busy(&d->vq[i]))
			va_vq_drain(d, &d->vq[i]);
}

static void *va_worker_main(void *arg)
{
	struct va_worker *w = arg;
	const struct va_wtab *last;
	unsigned int idle = 0, i, k, work, pending;
	uint64_t gen = 0, seen = 0, cur;
	int epfd = -1;

	va_worker_qp = w->id;
	va_in_fd = &w->in_fd;
	while (!LOAD(&w->stop)) {
		const struct va_wtab *t = LOAD(&w->tab);

		cur = va_tab_gen(t);
		if (seen != cur) {
			/* new or changed queues: polling, no kicks needed */
			seen = cur;
			va_tab_kicks(t, 0);
		}
		work = 0;
		pending = 0;
		for (k = 0; k < t->n; k++) {
			struct va_dev *d = t->dev[k];

			if (va_dev_paused(d)) {
				/* parked: nothing of it stays inside an engine */
				va_dev_drain(d);
				continue;
			}
			for (i = 0; i < d->nr_vq; i++) {
				struct va_vq *q = &d->vq[i];

				if (!va_vq_live(q))
					continue;
				if (q->call_pending)
					va_notify(d, q);
				work += va_process_vq(d, q);
				pending |= q->call_pending | va_pipe_busy(q);
			}
		}
		if (work) {
			idle = 0;
		} else if (va_opts.poll || pending || ++idle < SPIN_ROUNDS) {
			/*
			 * A notification librte_vhost's message handler kept
			 * us from sending (it holds the queue lock): retry
			 * until it goes out, never sleep on it; the driver
			 * may be waiting for it.
			 */
			rte_pause();
		} else {
			va_sleep(w, t, &epfd, &gen, cur);
			idle = 0;
		}
		/* the round is over: t and paused devices are let go */
		__atomic_add_fetch(&w->epoch, 1, __ATOMIC_SEQ_CST);
	}
	if (epfd >= 0)
		close(epfd);
	/* whatever is still attached: nothing stays inside an engine */
	last = LOAD(&w->tab);
	for (k = 0; last && k < last->n; k++) {
		va_dev_drain(last->dev[k]);
		for (i = 0; i < last->dev[k]->nr_vq; i++)
			va_pipe_report(&last->dev[k]->vq[i]);
	}
	return NULL;
}

/*
 * The kick and call eventfds are the front-end's: it can make the worker's
 * read of a kick, or its signal (librte_vhost's eventfd_write()), block
 * for good (a blocking eventfd it drains first, or fills to its maximum
 * count). Whoever waits for the worker (stop, pause) interrupts such a
 * call with VA_SIG_UNBLOCK, whose handler does nothing and is installed
 * without SA_RESTART: the call fails with EINTR and the loop goes on.
 */
#define VA_SIG_UNBLOCK	SIGUSR2
#define VA_UNBLOCK_MS	20

static void va_unblock_handler(int sig)
{
	(void)sig;
}

static void va_unblock_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = va_unblock_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(VA_SIG_UNBLOCK, &sa, NULL);
}

static void va_wake(struct va_worker *w)
{
	uint64_t one = 1;

	if (write(w->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		VA_DBG("wake: %s", strerror(errno));
}

/*
 * Called about every 100 ms (main.c): a worker that has not ended a round
 * since the last look and is in a read or write of a front-end's eventfd is
 * stuck there (a blocking eventfd the front-end drained or filled), which
 * would stall every device it serves: interrupt the call (that queue's
 * notification is lost, as when a pause interrupts it).
 */
void va_workers_watchdog(void)
{
	unsigned int i;

	for (i = 0; i < va_nworkers; i++) {
		struct va_worker *w = &va_workers[i];
		uint64_t e = LOAD(&w->epoch);

		if (!w->started)
			continue;
		if (e == w->wd_epoch && LOAD(&w->in_fd))
			pthread_kill(w->t, VA_SIG_UNBLOCK);
		w->wd_epoch = e;
	}
}

/* Until @w has ended the round it is in (or is not running). */
static void va_worker_sync(struct va_worker *w)
{
	uint64_t e;
	unsigned int n = 0;

	if (!w->started)
		return;
	e = __atomic_load_n(&w->epoch, __ATOMIC_SEQ_CST);
	va_wake(w);
	while (__atomic_load_n(&w->epoch, __ATOMIC_SEQ_CST) == e) {
		usleep(10);
		/* about every VA_UNBLOCK_MS: stuck in a front-end's fd? */
		if (++n % (VA_UNBLOCK_MS * 50) == 0)
			pthread_kill(w->t, VA_SIG_UNBLOCK);
	}
}

/* Publish @w's device list with @add added or @del removed. */
static int va_worker_retab(struct va_worker *w, struct va_dev *add,
			   struct va_dev *del)
{
	struct va_wtab *old = w->tab, *t;
	unsigned int i;

	t = calloc(1, sizeof(*t) + sizeof(t->dev[0]) * (old->n + 1));
	if (!t)
		return -ENOMEM;
	t->serial = ++w->serial;
	for (i = 0; i < old->n; i++)
		if (old->dev[i] != del)
			t->dev[t->n++] = old->dev[i];
	if (add)
		t->dev[t->n++] = add;
	__atomic_store_n(&w->tab, t, __ATOMIC_SEQ_CST);
	va_worker_sync(w);
	free(old);
	return 0;
}

int va_workers_init(unsigned int n)
{
	unsigned int i;
	int ret;

	va_unblock_init();
	for (i = 0; i < n; i++) {
		struct va_worker *w = &va_workers[i];
		char name[16];

		w->id = i;
		w->tab = calloc(1, sizeof(*w->tab));
		w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (!w->tab || w->wake_fd < 0) {
			ret = -ENOMEM;
			goto out_fini;
		}
		ret = -pthread_create(&w->t, NULL, va_worker_main, w);
		if (ret)
			goto out_fini;
		snprintf(name, sizeof(name), "va-worker-%u", i & 0xff);
		pthread_setname_np(w->t, name);
		w->started = 1;
		va_nworkers = i + 1;
	}
	return 0;
out_fini:
	va_nworkers = i + 1;
	va_workers_fini();
	return ret;
}

void va_workers_fini(void)
{
	unsigned int i;

	for (i = 0; i < va_nworkers; i++) {
		struct va_worker *w = &va_workers[i];

		if (w->started) {
			STORE(&w->stop, 1);
			va_wake(w);
			for (;;) {
				struct timespec ts;

				clock_gettime(CLOCK_REALTIME, &ts);
				ts.tv_nsec += VA_UNBLOCK_MS * 1000000L;
				if (ts.tv_nsec >= 1000000000L) {
					ts.tv_sec++;
					ts.tv_nsec -= 1000000000L;
				}
				if (!pthread_timedjoin_np(w->t, NULL, &ts))
					break;
				pthread_kill(w->t, VA_SIG_UNBLOCK);
			}
			w->started = 0;
		}
		if (w->wake_fd >= 0)
			close(w->wake_fd);
		w->wake_fd = -1;
		free(w->tab);
		w->tab = NULL;
	}
	va_nworkers = 0;
}

/* Attach @d to the worker serving the fewest devices. */
int va_worker_start(struct va_dev *d)
{
	struct va_worker *w = NULL;
	unsigned int i;
	int ret;

	if (d->worker_started)
		return 0;
	pthread_mutex_lock(&va_wlock);
	for (i = 0; i < va_nworkers; i++)
		if (!w || va_workers[i].ndev < w->ndev)
			w = &va_workers[i];
	if (!w) {
		pthread_mutex_unlock(&va_wlock);
		return -ENODEV;
	}
	STORE(&d->pause_req, 0);
	d->w = w;
	ret = va_worker_retab(w, d, NULL);
	if (!ret) {
		w->ndev++;
		d->worker_started = 1;
		__atomic_store_n(&d->worker_id, (int)w->id, __ATOMIC_RELAXED);
		VA_INFO("device %u: served by worker %u (%u device%s)",
			d->index, w->id, w->ndev, w->ndev == 1 ? "" : "s");
	}
	pthread_mutex_unlock(&va_wlock);
	return ret;
}

/*
 * After a device left: if one worker now serves two devices more than
 * another, move one of its devices (paused, so nothing of it is in the old
 * worker's hands) to the other. Only until va_workers_hold(): until then
 * every caller is librte_vhost's one event thread, and no other device is
 * between a pause and its resume. Called with va_wlock held.
 */
static int va_no_rebalance;

/* Shutting down: devices stop from the main thread too; none moves. */
void va_workers_hold(void)
{
	__atomic_store_n(&va_no_rebalance, 1, __ATOMIC_SEQ_CST);
}

static void va_rebalance(void)
{
	struct va_worker *hi = NULL, *lo = NULL;
	struct va_dev *d = NULL;
	unsigned int i;

	if (__atomic_load_n(&va_no_rebalance, __ATOMIC_SEQ_CST))
		return;
	for (i = 0; i < va_nworkers; i++) {
		struct va_worker *w = &va_workers[i];

		if (!hi || w->ndev > hi->ndev)
			hi = w;
		if (!lo || w->ndev < lo->ndev)
			lo = w;
	}
	if (!hi || hi->ndev < lo->ndev + 2)
		return;
	/* the last one attached that is not parked for a message */
	for (i = hi->tab->n; i-- > 0;) {
		if (!hi->tab->dev[i]->msg_paused &&
		    !LOAD(&hi->tab->dev[i]->pause_req)) {
			d = hi->tab->dev[i];
			break;
		}
	}
	if (!d)
		return;
	va_worker_pause(d);
	if (va_worker_retab(hi, NULL, d) < 0) {
		va_worker_resume(d);
		return;
	}
	hi->ndev--;
	d->w = lo;
	if (va_worker_retab(lo, d, NULL) < 0) {
		/* back where it was: the old table had room for it */
		d->w = hi;
		while (va_worker_retab(hi, d, NULL) < 0)
			usleep(1000);
		hi->ndev++;
		va_worker_resume(d);
		return;
	}
	lo->ndev++;
	__atomic_store_n(&d->worker_id, (int)lo->id, __ATOMIC_RELAXED);
	va_worker_resume(d);
	VA_INFO("device %u: moved from worker %u to worker %u (%u and %u devices)",
		d->index, hi->id, lo->id, hi->ndev, lo->ndev);
}

void va_worker_stop(struct va_dev *d)
{
	struct va_worker *w = d->w;
	unsigned int i;

	if (!d->worker_started)
		return;
	pthread_mutex_lock(&va_wlock);
	va_worker_pause(d);
	for (i = 0; i < d->nr_vq; i++)
		va_pipe_report(&d->vq[i]);
	if (d->eng_inflight_max)
		VA_INFO("device %u: up to %u requests inside the engines at once (--max-inflight %u%s), %llu rounds in which a queue waited at the limit",
			d->index, d->eng_inflight_max,
			va_opts.max_inflight,
			va_opts.max_inflight ? "" : ": the queues' slot tables",
			(unsigned long long)d->eng_limited);
	__atomic_store_n(&d->eng_inflight_max, 0, __ATOMIC_RELAXED);
	d->eng_limited = 0;
	va_dma_check_report();
	/* cannot fail for want of memory: keep it paused, off the worker */
	if (va_worker_retab(w, NULL, d) < 0)
		VA_ERR("device %u: left paused on worker %u", d->index, w->id);
	w->ndev--;
	d->worker_started = 0;
	__atomic_store_n(&d->worker_id, -1, __ATOMIC_RELAXED);
	va_rebalance();
	pthread_mutex_unlock(&va_wlock);
	/* leave the indexes where GET_VRING_BASE will report them */
	for (i = 0; i < d->nr_vq; i++) {
		struct va_vq *q = &d->vq[i];

		if (q->ready)
			rte_vhost_set_vring_base(d->vid, (uint16_t)i,
						 q->last_avail, q->last_used);
	}
}

void va_worker_pause(struct va_dev *d)
{
	if (!d->worker_started)
		return;
	__atomic_store_n(&d->pause_req, 1, __ATOMIC_SEQ_CST);
	/*
	 * The round under way may have taken requests of @d before it saw
	 * the request; the next one, begun after it, drains them (requests
	 * inside an engine complete before a message or a move goes on).
	 */
	va_worker_sync(d->w);
	va_worker_sync(d->w);
}

void va_worker_resume(struct va_dev *d)
{
	if (!d->worker_started)
		return;
	__atomic_add_fetch(&d->gen, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&d->pause_req, 0, __ATOMIC_SEQ_CST);
	va_wake(d->w);
}
