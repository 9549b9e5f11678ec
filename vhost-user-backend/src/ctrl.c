// SPDX-License-Identifier: BSD-3-Clause
/*
 * Control queue (spec section 8): GET_CAPS, CREATE_SESSION and
 * DESTROY_SESSION, and the session table. Keys live only here and are
 * wiped with explicit_bzero() when a session goes away ([SESS-KEY]).
 *
 * Session ids are (generation << 20 | slot): an id is never handed out
 * twice, and lookup is one array access. The first generation is random
 * (43 bits) per process, so a back-end restarted under a running driver
 * ([SESS-RESET]) does not hand out the ids of the sessions its predecessor
 * lost: a stale id held by one guest user cannot name another's new session.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>

#include "backend.h"

#define SLOT_BITS	20
#define SLOT_MASK	((1ull << SLOT_BITS) - 1)
#define CRESP_LEN	((uint64_t)sizeof(struct virtio_accel_ctrl_resp))

static struct va_session *tbl;
static uint32_t *free_slots;
static uint32_t tbl_max, nfree;
/* [STREAM-LIMIT]: live DEFLATE stream sessions (control path only) */
static uint32_t ncomp_streams;
#define GEN_SEED_BITS	43
static uint64_t next_gen = 1;

int va_sessions_init(uint32_t max)
{
	uint32_t i;

	if (max > SLOT_MASK + 1)
		return -1;
	tbl = calloc(max, sizeof(*tbl));
	free_slots = calloc(max, sizeof(*free_slots));
	if (!tbl || !free_slots) {
		free(tbl);
		free(free_slots);
		tbl = NULL;
		free_slots = NULL;
		return -1;
	}
	tbl_max = max;
	if (getrandom(&next_gen, sizeof(next_gen), GRND_NONBLOCK) !=
	    sizeof(next_gen)) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		next_gen = (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
	}
	next_gen = (next_gen & ((1ull << GEN_SEED_BITS) - 1)) | 1;
	for (i = 0; i < max; i++)
		free_slots[i] = max - 1 - i;
	nfree = max;
	return 0;
}

static void va_session_destroy(struct va_session *s)
{
	uint32_t slot = (uint32_t)(s - tbl);

	if (virtio_accel_is_comp_stream(s->op, s->flags))
		ncomp_streams--;
	va_crypto_sess_free(s);
	va_stream_free(s);
	explicit_bzero(s, sizeof(*s));
	free_slots[nfree++] = slot;
}

void va_sessions_reset(void)
{
	uint32_t i, n = 0;

	for (i = 0; i < tbl_max; i++) {
		if (tbl[i].id) {
			va_session_destroy(&tbl[i]);
			n++;
		}
	}
	if (n)
		VA_INFO("%u sessions destroyed", n);
}

void va_sessions_fini(void)
{
	if (!tbl)
		return;
	va_sessions_reset();
	free(tbl);
	free(free_slots);
	tbl = NULL;
	free_slots = NULL;
	tbl_max = 0;
}

uint32_t va_comp_streams_live(void)
{
	return ncomp_streams;
}

struct va_session *va_session_get(uint64_t id)
{
	uint64_t slot = id & SLOT_MASK;

	if (!id || slot >= tbl_max || tbl[slot].id != id)
		return NULL;
	return &tbl[slot];
}

static uint8_t va_session_create(const struct va_dev *d,
				 const struct va_chain *c,
				 const struct virtio_accel_ctrl *cc,
				 uint64_t *id)
{
	struct va_session *s;
	uint32_t slot;

	if (!nfree)
		return VIRTIO_ACCEL_NOSPC;
	/* [STREAM-LIMIT]: before any state is allocated */
	if (virtio_accel_check_comp_stream(cc->op, cc->flags, &d->lim,
					   ncomp_streams) !=
	    VIRTIO_ACCEL_OK)
		return VIRTIO_ACCEL_NOSPC;
	slot = free_slots[--nfree];
	s = &tbl[slot];
	memset(s, 0, sizeof(*s));
	s->op = cc->op;
	s->algo = cc->algo;
	s->flags = cc->flags;
	s->key_len = cc->key_len;
	if (cc->key_len)
		va_iov_read(c->iov, c->n_rd,
			    sizeof(struct virtio_accel_ctrl_req), s->key,
			    cc->key_len);
	if ((s->flags & VIRTIO_ACCEL_SESS_F_STREAM) && va_stream_alloc(s) < 0) {
		explicit_bzero(s, sizeof(*s));
		free_slots[nfree++] = slot;
		return VIRTIO_ACCEL_ERR;
	}
	if (virtio_accel_is_comp_stream(s->op, s->flags))
		ncomp_streams++;
	s->id = (next_gen++ << SLOT_BITS) | slot;
	*id = s->id;
	VA_DBG("session 0x%llx created: %s/%u%s, key %u bytes",
	       (unsigned long long)s->id, virtio_accel_op_name(s->op), s->algo,
	       (s->flags & VIRTIO_ACCEL_SESS_F_STREAM) ? " stream" : "",
	       s->key_len);
	return VIRTIO_ACCEL_OK;
}

static const char *va_engine_name(uint32_t op, uint32_t algo)
{
	switch (op) {
	case VIRTIO_ACCEL_OP_NULL:
		return "memcpy";
	case VIRTIO_ACCEL_OP_HASH:
		if (algo == VIRTIO_ACCEL_ALG_CRC32C)
			return "crc32c";
		return va_crypto_engine();
	case VIRTIO_ACCEL_OP_COMPRESS:
	case VIRTIO_ACCEL_OP_DECOMPRESS:
		return va_comp_engine(op);
	default:
		return va_crypto_engine();
	}
}

/* [CTRL-CAPS]: records in ascending (op, algo) order into @out. */
static uint32_t va_caps(const struct va_dev *d, uint8_t *out)
{
	const struct virtio_accel_alg_info *t;
	unsigned int n, i, op, algo;
	uint32_t len = 0;

	t = virtio_accel_alg_table(&n);
	for (op = 0; op < VIRTIO_ACCEL_OP_MAX; op++) {
		for (algo = 0; algo < VIRTIO_ACCEL_ALG_MAX; algo++) {
			const struct virtio_accel_alg_info *a = NULL;
			struct virtio_accel_cap cap;
			uint32_t fl = VIRTIO_ACCEL_CAP_F_SESSION;
			const char *eng;

			for (i = 0; i < n; i++)
				if (t[i].op == op && t[i].algo == algo)
					a = &t[i];
			if (!a || !(d->lim.implemented &
				    VIRTIO_ACCEL_IMPL_BIT(op, algo)))
				continue;
			if (!a->max_key_len || d->lim.stateless)
				fl |= VIRTIO_ACCEL_CAP_F_STATELESS;
			if (a->stream && d->lim.stream)
				fl |= VIRTIO_ACCEL_CAP_F_STREAM;
			memset(&cap, 0, sizeof(cap));
			cap.op = cpu_to_le32(op);
			cap.algo = cpu_to_le32(algo);
			cap.flags = cpu_to_le32(fl);
			cap.min_key_len = cpu_to_le16(a->min_key_len);
			cap.max_key_len = cpu_to_le16(a->max_key_len);
			cap.iv_len = cpu_to_le16(a->iv_len);
			cap.out_len = cpu_to_le16(a->out_len);
			cap.max_aad_len =
				cpu_to_le32(a->aad ? d->lim.max_aad_len : 0);
			eng = va_engine_name(op, algo);
			strncpy((char *)cap.engine, eng, sizeof(cap.engine));
			if (out)
				memcpy(out + len, &cap, sizeof(cap));
			len += sizeof(cap);
		}
	}
	return len;
}

uint32_t va_ctrl_process(struct va_dev *d, struct va_vq *q,
			 const struct va_chain *c)
{
	const struct va_iov *wr = c->iov + c->n_rd;
	struct virtio_accel_ctrl_resp resp;
	struct virtio_accel_ctrl_req req;
	struct virtio_accel_ctrl cc;
	struct va_session *s;
	uint32_t written = 0;
	uint64_t room, id = 0;
	uint8_t st;

	/* [REQ-SHORT], [REQ-HUGE] with the 16-byte control response */
	if (c->wr_len < CRESP_LEN ||
	    c->wr_len > VIRTIO_ACCEL_CTRL_MAX_WR_LEN)
		return 0;
	room = c->wr_len - CRESP_LEN;
	memset(&resp, 0, sizeof(resp));
	memset(&cc, 0, sizeof(cc));

	if (c->n_desc > VA_MAX_SEGMENTS) {
		st = VIRTIO_ACCEL_BADMSG;
		goto complete;
	}
	memset(&req, 0, sizeof(req));
	va_iov_read(c->iov, c->n_rd, 0, &req,
		    c->rd_len < sizeof(req) ? c->rd_len : sizeof(req));
	st = virtio_accel_check_ctrl(&cc, &req, c->rd_len, c->wr_len, &d->lim);
	if (st != VIRTIO_ACCEL_OK)
		goto complete;

	switch (cc.opcode) {
	case VIRTIO_ACCEL_CTRL_GET_CAPS: {
		uint32_t need = va_caps(d, NULL);

		resp.len = cpu_to_le32(need);
		if (cc.data_len < need) {
			st = VIRTIO_ACCEL_NOSPC;
			break;
		}
		va_caps(d, q->qc.out);
		va_iov_write(wr, c->n_wr, 0, q->qc.out, need);
		written = need;
		break;
	}
	case VIRTIO_ACCEL_CTRL_CREATE_SESSION:
		st = va_session_create(d, c, &cc, &id);
		resp.session_id = cpu_to_le64(id);
		break;
	default:
		s = va_session_get(cc.session_id);
		if (!s) {
			st = VIRTIO_ACCEL_INVSESS;
			break;
		}
		VA_DBG("session 0x%llx destroyed",
		       (unsigned long long)cc.session_id);
		va_session_destroy(s);
		break;
	}

complete:
	if (st != VIRTIO_ACCEL_OK)
		VA_DBG("control opcode %u: %s", cc.opcode,
		       virtio_accel_status_name(st));
	va_iov_zero(wr, c->n_wr, written, room - written);
	resp.status = st;
	va_iov_write(wr, c->n_wr, room, &resp, sizeof(resp));
	return (uint32_t)c->wr_len;
}
