// SPDX-License-Identifier: BSD-3-Clause
/*
 * The session table behind the control queue (spec section 8), whose
 * requests the device core (virtio-accel-spec/lib/virtio_accel_dev.c)
 * handles. Keys live only here and are
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

	if (virtio_accel_is_comp_stream(s->c.op, s->c.flags))
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

/* [CTRL-CREATE] that passed the device core's checks; @key: cc->key_len */
uint8_t va_session_create(const struct va_dev *d,
			  const struct virtio_accel_ctrl *cc,
			  const uint8_t *key, uint64_t *id)
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
	s->c.op = cc->op;
	s->c.algo = cc->algo;
	s->c.flags = cc->flags;
	s->c.key_len = cc->key_len;
	memcpy(s->c.key, key, cc->key_len);
	if ((s->c.flags & VIRTIO_ACCEL_SESS_F_STREAM) && va_stream_alloc(s) < 0) {
		explicit_bzero(s, sizeof(*s));
		free_slots[nfree++] = slot;
		return VIRTIO_ACCEL_ERR;
	}
	if (virtio_accel_is_comp_stream(s->c.op, s->c.flags))
		ncomp_streams++;
	s->id = (next_gen++ << SLOT_BITS) | slot;
	*id = s->id;
	VA_DBG("session 0x%llx created: %s/%u%s, key %u bytes",
	       (unsigned long long)s->id, virtio_accel_op_name(s->c.op),
	       s->c.algo,
	       (s->c.flags & VIRTIO_ACCEL_SESS_F_STREAM) ? " stream" : "",
	       s->c.key_len);
	return VIRTIO_ACCEL_OK;
}

/* [CTRL-DESTROY] */
uint8_t va_session_destroy_id(uint64_t id)
{
	struct va_session *s = va_session_get(id);

	if (!s)
		return VIRTIO_ACCEL_INVSESS;
	VA_DBG("session 0x%llx destroyed", (unsigned long long)id);
	va_session_destroy(s);
	return VIRTIO_ACCEL_OK;
}
