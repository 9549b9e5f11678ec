// SPDX-License-Identifier: BSD-3-Clause
/*
 * Mock engines, allocator and logger for the back-end's op.c and ctrl.c
 * (see mock_backend.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../vhost-user-backend/src/backend.h"
#include "mock_backend.h"

struct va_opts va_opts = { .max_data_len = 65536, .max_sessions = 4,
			   .max_comp_streams = 2 };
volatile sig_atomic_t va_quit;

uint8_t mock_status;
uint32_t mock_dst_used;
uint8_t mock_fill = 0x5a;
int mock_clamp;
unsigned int mock_crypto_calls, mock_comp_calls, mock_stream_calls;
unsigned int mock_aborts, mock_sess_frees, mock_stream_frees;
int mock_stream_alloc_fails;
char mock_logbuf[8192];

void va_log(int level, const char *fmt, ...)
{
	size_t n = strlen(mock_logbuf);
	va_list ap;

	va_start(ap, fmt);
	if (n < sizeof(mock_logbuf) - 1)
		vsnprintf(mock_logbuf + n, sizeof(mock_logbuf) - n, fmt, ap);
	va_end(ap);
}

void *rte_malloc(const char *type, size_t size, unsigned int align)
{
	return aligned_alloc(64, (size + 63) & ~(size_t)63);
}

void rte_free(void *p)
{
	free(p);
}

static uint8_t engine(struct va_req *r)
{
	uint32_t n = mock_dst_used;

	if (mock_clamp && n > r->op.dst_len)
		n = r->op.dst_len;
	if (mock_status == VIRTIO_ACCEL_OK) {
		memset(r->dst, mock_fill, n);
		r->dst_used = n;
		r->src_used = r->op.src_len;
	}
	return mock_status;
}

uint8_t va_crypto_run(struct va_req *r)
{
	mock_crypto_calls++;
	return engine(r);
}

uint8_t va_comp_run(struct va_req *r)
{
	mock_comp_calls++;
	return engine(r);
}

uint8_t va_crc32c_run(struct va_req *r)
{
	return engine(r);
}

uint8_t va_stream_run(struct va_req *r, int start, int final)
{
	mock_stream_calls++;
	return engine(r);
}

void va_stream_abort(struct va_session *s)
{
	mock_aborts++;
}

int va_stream_alloc(struct va_session *s)
{
	return mock_stream_alloc_fails ? -1 : 0;
}

void va_stream_free(struct va_session *s)
{
	mock_stream_frees++;
}

void va_crypto_sess_free(struct va_session *s)
{
	mock_sess_frees++;
}

const char *va_crypto_engine(void)
{
	return "mock";
}

const char *va_comp_engine(uint32_t op)
{
	return "mock";
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

int va_sw_qinit(struct va_qctx *qc)
{
	return 0;
}

void va_sw_qfini(struct va_qctx *qc)
{
}

/* dma.c: no PCI engine here */
void va_dma_sync(struct va_dev *d)
{
	(void)d;
}

void va_dma_unmap(struct va_dev *d, const char *why)
{
	(void)d;
	(void)why;
}

int va_iova_is_va = 1;

uint64_t va_iova_pa(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

void va_dma_check_report(void)
{
}

/* live migration (state.c, ctrl.c): the mock engines have no stream state */
int va_stream_export(const struct va_session *s,
		     struct virtio_accel_state_stream *out, uint8_t *scratch,
		     size_t scratch_len)
{
	memset(out, 0, sizeof(*out));
	out->kind = VIRTIO_ACCEL_ST_NONE;
	return 0;
}

int va_stream_import(struct va_session *s,
		     const struct virtio_accel_state_stream *in)
{
	return in->kind == VIRTIO_ACCEL_ST_NONE ? 0 : -EINVAL;
}

/* CRC-32C, bit by bit (engine_sw.c's is DPDK's rte_hash_crc) */
uint32_t va_crc32c(uint32_t crc, const void *p, uint32_t len)
{
	const uint8_t *b = p;
	int k;

	while (len--) {
		crc ^= *b++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & -(crc & 1));
	}
	return crc;
}
