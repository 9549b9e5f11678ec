// SPDX-License-Identifier: BSD-3-Clause
/*
 * A device's state for live migration, as the spec's byte stream (section
 * "Device state transfer"): built from the session table and the stream
 * engines when the source saves it (its rings stopped, nothing changes
 * under us, nothing is changed: [MIG-NONDESTRUCTIVE]), and on the
 * destination decoded, checked against every rule of [MIG-VALIDATE] by the
 * one codec (virtio-accel-spec/lib/virtio_accel_state.c), and only then
 * applied, whole or not at all ([MIG-ATOMIC]). migrate.c moves the bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

/* --state-key-file (main.c): states are sealed, and only sealed ones taken */
static struct virtio_accel_state_key va_state_key;

int va_state_key_init(const char *path)
{
	const char *why = "";

	if (virtio_accel_state_key_load(path, &va_state_key, &why) < 0) {
		VA_ERR("--state-key-file %s: %s", path, why);
		return -1;
	}
	return 0;
}

static const struct virtio_accel_state_key *va_key(void)
{
	return va_state_key.loaded ? &va_state_key : NULL;
}

int va_state_sealed(void)
{
	return va_key() != NULL;
}

static u32 va_state_crc(u32 crc, const void *p, u32 len)
{
	return va_crc32c(crc, p, len);
}

/* What this device is, for a source's record or a destination's check. */
static void va_state_device(const struct va_dev *d, int dst,
			    struct virtio_accel_state_device *o)
{
	memset(o, 0, sizeof(*o));
	/* a destination has negotiated nothing yet: what it offers */
	o->features = dst ? va_offered_features() : d->features;
	o->nr_vq = (u16)d->nr_vq;
	memcpy(o->config, &d->cfg, sizeof(o->config));
	o->implemented = d->lim.implemented;
	o->max_sessions = d->sess.max;
	o->max_comp_streams = d->lim.max_comp_streams;
	o->max_data_len = d->lim.max_data_len;
	o->max_aad_len = d->lim.max_aad_len;
	o->max_key_len = VA_MAX_KEY_LEN;
	o->next_gen = va_sessions_next_gen();
}

size_t va_state_max(const struct va_dev *d)
{
	struct virtio_accel_state_device o;

	va_state_device(d, 1, &o);
	return (size_t)virtio_accel_state_max(&o);
}

static void va_state_free(struct virtio_accel_state *st, uint8_t **scratch)
{
	uint32_t i;

	if (st->sessions) {
		virtio_accel_wipe(st->sessions,
				  (unsigned long)st->nsessions * sizeof(*st->sessions));
		free(st->sessions);
	}
	if (scratch) {
		for (i = 0; i < st->nsessions; i++) {
			if (scratch[i])
				virtio_accel_wipe(scratch[i], VA_STREAM_SCRATCH_LEN);
			free(scratch[i]);
		}
		free(scratch);
	}
	free(st->queues);
	memset(st, 0, sizeof(*st));
}

int va_state_save(struct va_dev *d, uint8_t **out, size_t *outlen, char *why,
		  size_t whylen)
{
	const struct va_sess_tbl *t = &d->sess;
	struct virtio_accel_state st;
	uint8_t **scratch = NULL;
	uint32_t i, n = 0, live = va_sessions_live(d), lost = 0;
	uint8_t *buf = NULL;
	long r;
	u64 size;

	memset(&st, 0, sizeof(st));
	va_state_device(d, 0, &st.dev);
	st.queues = calloc(d->nr_vq, sizeof(*st.queues));
	st.sessions = calloc(live ? live : 1, sizeof(*st.sessions));
	scratch = calloc(live ? live : 1, sizeof(*scratch));
	if (!st.queues || !st.sessions || !scratch) {
		snprintf(why, whylen, "out of memory");
		goto fail;
	}
	st.nqueues = d->nr_vq;
	for (i = 0; i < d->nr_vq; i++) {
		st.queues[i].index = (u16)i;
		st.queues[i].broken = !!d->vq[i].broken;
		st.queues[i].last_avail = d->vq[i].last_avail;
		st.queues[i].last_used = d->vq[i].last_used;
	}
	/* ascending slot, as the spec orders them */
	for (i = 0; i < t->max && n < live; i++) {
		const struct va_session *s = &t->tbl[i];
		struct virtio_accel_state_session *o = &st.sessions[n];
		int e;

		if (!s->id)
			continue;
		st.nsessions = n + 1;	/* va_state_free() covers it from here */
		o->id = s->id;
		o->c = s->c;
		o->st.kind = VIRTIO_ACCEL_ST_NONE;
		if (s->c.stream_active) {
			if (virtio_accel_is_comp_stream(s->c.op, s->c.flags)) {
				scratch[n] = malloc(VA_STREAM_SCRATCH_LEN);
				if (!scratch[n]) {
					snprintf(why, whylen, "out of memory");
					goto fail;
				}
			}
			e = va_stream_export(s, &o->st, scratch[n],
					     scratch[n] ? VA_STREAM_SCRATCH_LEN : 0);
			if (e < 0) {
				snprintf(why, whylen,
					 "session 0x%llx: its stream's state cannot be exported (%s)",
					 (unsigned long long)s->id, strerror(-e));
				goto fail;
			}
			if (o->st.kind == VIRTIO_ACCEL_ST_LOST &&
			    !va_opts.migrate_lost_abort) {
				/* [MIG-STREAM-LOST]: refuse, the source goes on */
				snprintf(why, whylen,
					 "session 0x%llx: its open %s stream cannot travel, so the migration is refused (--migrate-lost-streams abort would let the stream fail instead)",
					 (unsigned long long)s->id,
					 virtio_accel_op_name(s->c.op));
				goto fail;
			}
			lost += o->st.kind == VIRTIO_ACCEL_ST_LOST;
		}
		n++;
	}
	st.nsessions = n;
	size = virtio_accel_state_size(&st, va_key() != NULL);
	if (!size) {
		snprintf(why, whylen, "the state cannot be encoded (a bug: see the codec's rules)");
		goto fail;
	}
	buf = malloc(size);
	if (!buf) {
		snprintf(why, whylen, "cannot allocate %llu bytes",
			 (unsigned long long)size);
		goto fail;
	}
	r = virtio_accel_state_save(va_key(), &st, buf, size, va_state_crc);
	if (r < 0) {
		snprintf(why, whylen, "encoding the state: %s", strerror((int)-r));
		goto fail;
	}
	if (lost)
		VA_INFO("%s: %u open streams cannot travel: their sessions' next requests on the destination fail ([MIG-STREAM-LOST], --migrate-lost-streams abort)",
			d->path, lost);
	va_state_free(&st, scratch);
	*out = buf;
	*outlen = (size_t)r;
	return 0;
fail:
	if (buf) {
		virtio_accel_wipe(buf, size);
		free(buf);
	}
	va_state_free(&st, scratch);
	return -1;
}

int va_state_load(struct va_dev *d, uint8_t *buf, size_t len, char *why,
		  size_t whylen)
{
	struct virtio_accel_state_device dst;
	struct virtio_accel_state_err err = { 0 };
	struct virtio_accel_state st;
	uint32_t i;
	int r;

	if (va_sessions_live(d)) {
		snprintf(why, whylen, "the device has %u sessions already",
			 va_sessions_live(d));
		return -1;
	}
	va_state_device(d, 1, &dst);
	memset(&st, 0, sizeof(st));
	st.queues = calloc(dst.nr_vq ? dst.nr_vq : 1, sizeof(*st.queues));
	st.sessions = calloc(dst.max_sessions ? dst.max_sessions : 1,
			     sizeof(*st.sessions));
	if (!st.queues || !st.sessions) {
		snprintf(why, whylen, "out of memory");
		va_state_free(&st, NULL);
		return -1;
	}
	r = virtio_accel_state_load(va_key(), buf, len, &dst, &st, va_state_crc,
				    &err);
	if (r < 0) {
		snprintf(why, whylen, "state refused at byte %llu: %s (rule %u)",
			 (unsigned long long)err.offset,
			 err.reason ? err.reason : strerror(-r), err.rule);
		va_state_free(&st, NULL);
		return -1;
	}
	/* apply: every session in its own slot, or none */
	for (i = 0; i < st.nsessions; i++) {
		if (va_session_place(d, &st.sessions[i]) < 0) {
			snprintf(why, whylen,
				 "session 0x%llx could not be re-created (its stream did not import)",
				 (unsigned long long)st.sessions[i].id);
			va_sessions_reset(d);
			va_sessions_rebuild_free(d);
			va_state_free(&st, NULL);
			return -1;
		}
	}
	va_sessions_rebuild_free(d);
	va_sessions_gen_at_least(st.dev.next_gen);
	for (i = 0; i < st.nqueues && i < VA_MAX_VQ; i++)
		if (st.queues[i].broken)
			d->vq[i].mig_broken = 1;
	va_state_free(&st, NULL);
	return 0;
}
