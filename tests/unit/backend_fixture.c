// SPDX-License-Identifier: BSD-3-Clause
/*
 * The back-end test fixture (see backend_fixture.h).
 */
#include <string.h>

#include "../../vhost-user-backend/src/backend.h"
#include "backend_fixture.h"

static struct va_dev *fixture_dev;

int fixture_dev_init(struct va_dev *d, struct va_vq *q)
{
	memset(d, 0, sizeof(*d));
	d->lim.implemented = ~0ull;
	d->lim.max_data_len = va_opts.max_data_len;
	d->lim.max_aad_len = 4096;
	d->lim.stateless = 1;
	d->lim.stream = 1;
	d->lim.max_comp_streams = va_opts.max_comp_streams;
	if (va_qctx_init(&q->qc, 1))
		return -1;
	fixture_dev = d;
	return va_sessions_init(d, va_opts.max_sessions);
}

void fixture_dev_fini(struct va_vq *q)
{
	va_sessions_fini(fixture_dev);
	va_qctx_fini(&q->qc);
}

void fixture_chain(struct va_chain *c, struct va_iov *iov, uint8_t *rd,
		uint32_t rd_len, uint8_t *wr, uint32_t wr_len)
{
	memset(c, 0, sizeof(*c));
	iov[0].base = rd;
	iov[0].len = rd_len;
	iov[1].base = wr;
	iov[1].len = wr_len;
	c->iov = iov;
	c->cap = 2;
	c->n_rd = 1;
	c->n_wr = wr_len ? 1 : 0;
	c->n_desc = 2;
	c->rd_len = rd_len;
	c->wr_len = wr_len;
}
