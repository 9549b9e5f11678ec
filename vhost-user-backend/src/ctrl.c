// SPDX-License-Identifier: BSD-3-Clause
/*
 * The session table behind the control queue (spec section 8), whose
 * requests the device core (virtio-accel-spec/lib/virtio_accel_dev.c)
 * handles. Keys live only here and are
 * wiped with explicit_bzero() when a session goes away ([SESS-KEY]).
 *
 * Each device (front-end socket) has its own table, its own limits and
 * its own DEFLATE stream count; the generation counter is the process's,
 * so an id is unique across devices: one front-end's id is INVSESS on
 * another's table.
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

#define GEN_SEED_BITS	43
/* the process's: devices' workers create sessions at the same time */
static uint64_t next_gen;

static void va_gen_seed(void)
{
	uint64_t g;

	if (__atomic_load_n(&next_gen, __ATOMIC_RELAXED))
		return;
	if (getrandom(&g, sizeof(g), GRND_NONBLOCK) != sizeof(g)) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		g = (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
	}
	next_gen = (g & ((1ull << GEN_SEED_BITS) - 1)) | 1;
}

int va_sessions_init(struct va_dev *d, uint32_t max)
{
	struct va_sess_tbl *t = &d->sess;
	uint32_t i;

	if (max > SLOT_MASK + 1)
		return -1;
	t->tbl = calloc(max, sizeof(*t->tbl));
	t->free_slots = calloc(max, sizeof(*t->free_slots));
	if (!t->tbl || !t->free_slots) {
		free(t->tbl);
		free(t->free_slots);
		t->tbl = NULL;
		t->free_slots = NULL;
		return -1;
	}
	t->max = max;
	va_gen_seed();
	for (i = 0; i < max; i++)
		t->free_slots[i] = max - 1 - i;
	t->nfree = max;
	t->ncomp_streams = 0;
	return 0;
}

static void va_session_destroy(struct va_sess_tbl *t, struct va_session *s)
{
	uint32_t slot = (uint32_t)(s - t->tbl);

	if (virtio_accel_is_comp_stream(s->c.op, s->c.flags))
		t->ncomp_streams--;
	va_crypto_sess_free(s);
	va_stream_free(s);
	explicit_bzero(s, sizeof(*s));
	t->free_slots[t->nfree++] = slot;
}

void va_sessions_reset(struct va_dev *d)
{
	struct va_sess_tbl *t = &d->sess;
	uint32_t i, n = 0;

	for (i = 0; i < t->max; i++) {
		if (t->tbl[i].id) {
			va_session_destroy(t, &t->tbl[i]);
			n++;
		}
	}
	if (n)
		VA_INFO("%u sessions destroyed", n);
}

void va_sessions_fini(struct va_dev *d)
{
	struct va_sess_tbl *t = &d->sess;

	if (!t->tbl)
		return;
	va_sessions_reset(d);
	free(t->tbl);
	free(t->free_slots);
	t->tbl = NULL;
	t->free_slots = NULL;
	t->max = 0;
}

uint32_t va_comp_streams_live(const struct va_dev *d)
{
	return __atomic_load_n(&d->sess.ncomp_streams, __ATOMIC_RELAXED);
}

uint32_t va_sessions_live(const struct va_dev *d)
{
	return d->sess.max - __atomic_load_n(&d->sess.nfree, __ATOMIC_RELAXED);
}

struct va_session *va_session_get(struct va_dev *d, uint64_t id)
{
	const struct va_sess_tbl *t = &d->sess;
	uint64_t slot = id & SLOT_MASK;

	if (!id || slot >= t->max || t->tbl[slot].id != id)
		return NULL;
	return &t->tbl[slot];
}

/* [CTRL-CREATE] that passed the device core's checks; @key: cc->key_len */
uint8_t va_session_create(struct va_dev *d,
			  const struct virtio_accel_ctrl *cc,
			  const uint8_t *key, uint64_t *id)
{
	struct va_sess_tbl *t = &d->sess;
	struct va_session *s;
	uint32_t slot;

	if (!t->nfree)
		return VIRTIO_ACCEL_NOSPC;
	/* [STREAM-LIMIT]: before any state is allocated */
	if (virtio_accel_check_comp_stream(cc->op, cc->flags, &d->lim,
					   t->ncomp_streams) !=
	    VIRTIO_ACCEL_OK)
		return VIRTIO_ACCEL_NOSPC;
	slot = t->free_slots[--t->nfree];
	s = &t->tbl[slot];
	memset(s, 0, sizeof(*s));
	s->c.op = cc->op;
	s->c.algo = cc->algo;
	s->c.flags = cc->flags;
	s->c.key_len = cc->key_len;
	memcpy(s->c.key, key, cc->key_len);
	if ((s->c.flags & VIRTIO_ACCEL_SESS_F_STREAM) && va_stream_alloc(s) < 0) {
		explicit_bzero(s, sizeof(*s));
		t->free_slots[t->nfree++] = slot;
		return VIRTIO_ACCEL_ERR;
	}
	if (virtio_accel_is_comp_stream(s->c.op, s->c.flags))
		t->ncomp_streams++;
	s->id = (__atomic_fetch_add(&next_gen, 1, __ATOMIC_RELAXED) <<
		 SLOT_BITS) | slot;
	*id = s->id;
	VA_DBG("session 0x%llx created: %s/%u%s, key %u bytes",
	       (unsigned long long)s->id, virtio_accel_op_name(s->c.op),
	       s->c.algo,
	       (s->c.flags & VIRTIO_ACCEL_SESS_F_STREAM) ? " stream" : "",
	       s->c.key_len);
	return VIRTIO_ACCEL_OK;
}

/* [CTRL-DESTROY] */
uint8_t va_session_destroy_id(struct va_dev *d, uint64_t id)
{
	struct va_session *s = va_session_get(d, id);

	if (!s)
		return VIRTIO_ACCEL_INVSESS;
	VA_DBG("session 0x%llx destroyed", (unsigned long long)id);
	va_session_destroy(&d->sess, s);
	return VIRTIO_ACCEL_OK;
}

/*
 * Live migration (state.c). The generation counter: a destination must not
 * hand out an id its source could have handed out ([MIG-IDS]).
 */
uint64_t va_sessions_next_gen(void)
{
	va_gen_seed();
	return __atomic_load_n(&next_gen, __ATOMIC_RELAXED);
}

void va_sessions_gen_at_least(uint64_t gen)
{
	uint64_t cur = __atomic_load_n(&next_gen, __ATOMIC_RELAXED);

	while (cur < gen &&
	       !__atomic_compare_exchange_n(&next_gen, &cur, gen, 0,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/*
 * A migrated session into its own slot, with its own id (the decoder has
 * checked the slot is below the table's size and unique, the key length
 * and the stream record against the session). The table must have no live
 * session in that slot; va_sessions_rebuild_free() afterwards. 0 or -1
 * (the slot is left empty).
 */
int va_session_place(struct va_dev *d, const struct virtio_accel_state_session *ss)
{
	struct va_sess_tbl *t = &d->sess;
	uint64_t slot = ss->id & SLOT_MASK;
	struct va_session *s;

	if (!ss->id || slot >= t->max || t->tbl[slot].id)
		return -1;
	s = &t->tbl[slot];
	memset(s, 0, sizeof(*s));
	s->c = ss->c;
	if (s->c.flags & VIRTIO_ACCEL_SESS_F_STREAM) {
		if (va_stream_alloc(s) < 0 || va_stream_import(s, &ss->st) < 0) {
			va_stream_free(s);
			explicit_bzero(s, sizeof(*s));
			return -1;
		}
	} else if (ss->c.stream_active || ss->st.kind != VIRTIO_ACCEL_ST_NONE) {
		explicit_bzero(s, sizeof(*s));
		return -1;
	}
	if (virtio_accel_is_comp_stream(s->c.op, s->c.flags))
		t->ncomp_streams++;
	s->id = ss->id;
	return 0;
}

/* The free list from the table: the lowest free slot is taken first. */
void va_sessions_rebuild_free(struct va_dev *d)
{
	struct va_sess_tbl *t = &d->sess;
	uint32_t i;

	t->nfree = 0;
	for (i = t->max; i-- > 0;)
		if (!t->tbl[i].id)
			t->free_slots[t->nfree++] = i;
}
