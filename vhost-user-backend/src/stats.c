// SPDX-License-Identifier: BSD-3-Clause
/*
 * Per-queue request counters, read by the telemetry commands (telemetry.c).
 * Each queue has one writer, the worker serving its device; readers take
 * relaxed loads and may see one request's counters half updated.
 */
#include <string.h>

#include "backend.h"

static void va_add(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + v,
			 __ATOMIC_RELAXED);
}

/*
 * The response is the last part of the device-writable bytes (spec 7.2,
 * 8.1); read back after the request completed: src_used and dst_used of a
 * data request, the status byte (its last byte) of both kinds.
 */
void va_stats_req(struct va_vq *q, const struct va_chain *c, long used)
{
	struct va_qstats *st = &q->st;
	uint8_t status = 0xff;

	va_add(&st->requests, 1);
	if (used <= 0 || !c->wr_len) {
		va_add(&st->status[VA_NSTATUS], 1);
		return;
	}
	if (q->idx != VIRTIO_ACCEL_CTRLQ &&
	    c->wr_len >= sizeof(struct virtio_accel_op_resp)) {
		struct virtio_accel_op_resp r;

		va_iov_read(c->iov + c->n_rd, c->n_wr,
			    c->wr_len - sizeof(r), &r, sizeof(r));
		status = r.status;
		if (status == VIRTIO_ACCEL_OK) {
			va_add(&st->bytes_in, le32_to_cpu(r.src_used));
			va_add(&st->bytes_out, le32_to_cpu(r.dst_used));
		}
	} else {
		va_iov_read(c->iov + c->n_rd, c->n_wr, c->wr_len - 1,
			    &status, 1);
	}
	va_add(&st->status[status < VA_NSTATUS ? status : VA_NSTATUS], 1);
}
