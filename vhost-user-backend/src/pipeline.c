// SPDX-License-Identifier: BSD-3-Clause
/*
 * The asynchronous engine pipeline: each data queue's in-flight table.
 *
 * A one-shot request that an engine takes to complete later (the device
 * core's VIRTIO_ACCEL_DEV_PENDING, op.c) waits in a slot of its queue: the
 * core's request (inline key and IV copies, the session held), a copy of
 * the chain's iovecs into guest memory and the engine's output. The worker
 * (worker.c) takes requests from the avail ring while the queue has free
 * slots, polls the engines each round and writes each completion to the
 * used ring as it comes, in any order (inflight tracking per head); before
 * a pause or a stop it waits for every slot (va_vq_drain()), so nothing is
 * written to guest memory after it is unmapped. Stream requests and the
 * control queue never wait here: the core runs them synchronously, which
 * keeps a stream's requests in order.
 *
 * Engines: the cryptodev PMD (engine_crypto.c, registered as
 * va_async_engine: SHA-256, HMAC-SHA-256 and AES-256-GCM requests of one
 * mbuf segment are enqueued and dequeued in bursts, each dequeued op marks
 * its slot done), and the test engine (--test-engine-latency-us N): the
 * request is computed by the ordinary engines at submission, its completion
 * held for N us (a software PMD behind a delay: a FIFO of slots by due time,
 * one latency for all, so due times are in submission order), released by
 * the worker's polling, never by sleeping. With --test-reorder the
 * completions found at one poll are released last first.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend.h"

#define VA_PIPE_MAX	1024	/* slots per queue at most */

const struct va_async_engine *va_async_engines[VA_NASYNC];

static int va_async_any(void)
{
	unsigned int i;

	for (i = 0; i < VA_NASYNC; i++)
		if (va_async_engines[i])
			return 1;
	return 0;
}


static uint64_t va_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void va_pipe_fini(struct va_vq *q)
{
	struct va_pipe *p = q->pipe;
	uint32_t i, k;

	if (!p)
		return;
	if (p->ndead) {
		/* an engine may still hold (and write) its slots: keep them */
		VA_ERR("queue %u: %u abandoned requests still inside an engine: their slots are not freed",
		       q->idx, p->ndead);
		q->pipe = NULL;
		return;
	}
	for (i = 0; p->slot && i < p->depth; i++) {
		for (k = 0; k < VA_NASYNC; k++)
			if (p->slot[i].eng[k] && va_async_engines[k])
				va_async_engines[k]->slot_free(&p->slot[i]);
		free(p->slot[i].c.iov);
		free(p->slot[i].out);
	}
	free(p->slot);
	free(p->fifo);
	free(p->donel);
	free(p->freel);
	free(p);
	q->pipe = NULL;
}

/*
 * Whether requests of @q go through the pipeline; sizes its table for the
 * queue (only while nothing is in flight). 0: run them synchronously.
 */
int va_pipe_on(struct va_vq *q)
{
	uint32_t depth = q->size < VA_PIPE_MAX ? q->size : VA_PIPE_MAX, i;
	struct va_pipe *p = q->pipe;

	if ((!va_opts.test_engine_latency_us && !va_async_any()) ||
	    q->idx == VIRTIO_ACCEL_CTRLQ || !depth)
		return 0;
	if (p && (p->depth == depth || p->n || p->ndead))
		return 1;
	va_pipe_fini(q);
	p = calloc(1, sizeof(*p));
	if (!p)
		return 0;
	p->slot = calloc(depth, sizeof(*p->slot));
	p->fifo = calloc(depth, sizeof(*p->fifo));
	p->freel = calloc(depth, sizeof(*p->freel));
	p->donel = calloc(depth, sizeof(*p->donel));
	q->pipe = p;
	if (!p->slot || !p->fifo || !p->freel || !p->donel) {
		va_pipe_fini(q);
		return 0;
	}
	p->depth = depth;
	for (i = 0; i < depth; i++)
		p->freel[i] = (uint16_t)(depth - 1 - i);
	p->nfree = depth;
	return 1;
}

unsigned int va_pipe_room(const struct va_vq *q)
{
	return q->pipe ? q->pipe->nfree : 0;
}

/* The slot the next request is submitted in (taken by va_pipe_push()). */
struct va_slot *va_pipe_slot(struct va_vq *q)
{
	struct va_pipe *p = q->pipe;

	if (!p || !p->nfree)
		return NULL;
	return &p->slot[p->freel[p->nfree - 1]];
}

/* Slot @s (from va_pipe_slot()) is inside the engine. */
void va_pipe_push(struct va_vq *q, struct va_slot *s)
{
	struct va_pipe *p = q->pipe;

	p->nfree--;
	s->q = q;
	if (s->engine == VA_ENG_TEST)
		p->fifo[(p->first + p->nfifo++) % p->depth] =
			(uint16_t)(s - p->slot);
	p->n++;
	s->seq = ++p->seq;
	if (p->n > p->max_n)
		p->max_n = p->n;
}

/*
 * The test engine takes the request the ordinary engines just ran: its
 * output is kept in the slot (staging is the queue's, reused by the next
 * request) and its completion is due after the latency. 0: not taken, the
 * request completes now.
 */
int va_pipe_hold(struct va_slot *s)
{
	struct virtio_accel_dev_req *cr = &s->cr;

	if (!va_opts.test_engine_latency_us)
		return 0;
	if (cr->dst_used && !cr->dst_in_place) {
		if (s->out_cap < cr->dst_used) {
			uint8_t *o = realloc(s->out, cr->dst_used);

			if (!o)
				return 0;
			s->out = o;
			s->out_cap = cr->dst_used;
		}
		memcpy(s->out, cr->dst, cr->dst_used);
		cr->dst = s->out;
	}
	s->due_ns = va_now_ns() + va_opts.test_engine_latency_us * 1000ull;
	s->engine = VA_ENG_TEST;
	return 1;
}

/*
 * An abandoned slot's engine is done with it at last: its completion is
 * dropped, not written (the guest memory it points into may be gone), the
 * inline key copy wiped, the slot free again.
 */
static void va_pipe_drop(struct va_pipe *p, struct va_slot *s)
{
	explicit_bzero(s->cr.key_buf, sizeof(s->cr.key_buf));
	s->dead = 0;
	s->engine = 0;
	p->ndead--;
	p->dropped++;
	p->freel[p->nfree++] = (uint16_t)(s - p->slot);
}

/* An engine completed slot @s (its status in s->st). */
void va_pipe_done(struct va_slot *s)
{
	struct va_pipe *p = s->q->pipe;

	if (s->dead) {
		va_pipe_drop(p, s);
		return;
	}
	p->donel[p->ndone++] = (uint16_t)(s - p->slot);
}

/*
 * Stop waiting for the requests of @q still inside an engine (the bounded
 * drain, worker.c): each is marked dead, no longer counted in flight; when
 * its engine returns it, va_pipe_done() or va_pipe_due() drops it. Returns
 * how many. Nothing of them is ever written to the guest.
 */
unsigned int va_pipe_abandon(struct va_vq *q)
{
	struct va_pipe *p = q->pipe;
	unsigned int k = 0, i, e;

	if (!p)
		return 0;
	for (i = 0; i < p->depth; i++) {
		struct va_slot *s = &p->slot[i];

		if (!s->engine || s->dead)
			continue;
		s->dead = 1;
		for (e = 0; e < VA_NASYNC; e++)
			if (s->eng[e] && va_async_engines[e] &&
			    va_async_engines[e]->abandon)
				va_async_engines[e]->abandon(s);
		k++;
	}
	p->n -= k;
	p->ndead += k;
	return k;
}

/*
 * Up to @max slots whose engine completed, oldest first (last first with
 * --test-reorder), taken out of the in-flight FIFO; each goes back with
 * va_pipe_release() once its completion is written.
 */
unsigned int va_pipe_due(struct va_vq *q, struct va_slot **out,
			 unsigned int max)
{
	struct va_pipe *p = q->pipe;
	unsigned int k = 0, i;
	uint64_t now;

	if (!p || (!p->n && !p->ndead))
		return 0;
	for (i = 0; i < VA_NASYNC; i++)
		if (va_async_engines[i])
			va_async_engines[i]->poll();
	for (i = 0; k < max && i < p->ndone; i++)
		out[k++] = &p->slot[p->donel[i]];
	if (i < p->ndone)
		memmove(p->donel, p->donel + i,
			(p->ndone - i) * sizeof(*p->donel));
	p->ndone -= i;
	if (p->nfifo) {
		unsigned int f = 0;

		now = va_now_ns();
		while (k < max && f < p->nfifo) {
			struct va_slot *s = &p->slot[p->fifo[(p->first + f) %
							     p->depth]];

			if (s->due_ns > now)
				break;
			f++;
			if (s->dead) {
				va_pipe_drop(p, s);
				continue;
			}
			out[k++] = s;
		}
		p->first = (p->first + f) % p->depth;
		p->nfifo -= f;
	}
	p->n -= k;
	if (va_opts.test_reorder)
		for (i = 0; i < k / 2; i++) {
			struct va_slot *t = out[i];

			out[i] = out[k - 1 - i];
			out[k - 1 - i] = t;
		}
	return k;
}

void va_pipe_release(struct va_vq *q, struct va_slot *s)
{
	struct va_pipe *p = q->pipe;

	p->done++;
	p->by_eng[s->engine & 3]++;
	s->engine = 0;
	if (s->seq < p->seq_hi)
		p->ooo++;
	else
		p->seq_hi = s->seq;
	p->freel[p->nfree++] = (uint16_t)(s - p->slot);
}

/*
 * Log what the queue's engines completed asynchronously since the last
 * report (at the worker's end: a device stop or disconnect); the tests
 * read these lines.
 */
void va_pipe_report(struct va_vq *q)
{
	struct va_pipe *p = q->pipe;

	if (p && p->dropped) {
		VA_ERR("queue %u: %llu completions of abandoned requests dropped, not written (%u still inside an engine)",
		       q->idx, (unsigned long long)p->dropped, p->ndead);
		p->dropped = 0;
	}
	if (!p || !p->seq)
		return;
	VA_INFO("queue %u: %llu requests completed asynchronously by the %s (%llu out of order), up to %u in flight (test engine %llu, cryptodev %llu, compressdev %llu)",
		q->idx, (unsigned long long)p->done,
		va_opts.test_engine_latency_us ? "test engine" : "engines",
		(unsigned long long)p->ooo, p->max_n,
		(unsigned long long)p->by_eng[VA_ENG_TEST],
		(unsigned long long)p->by_eng[VA_ENG_CDEV],
		(unsigned long long)p->by_eng[VA_ENG_ZDEV]);
	p->seq = p->seq_hi = p->done = p->ooo = 0;
	memset(p->by_eng, 0, sizeof(p->by_eng));
	p->max_n = 0;
}
