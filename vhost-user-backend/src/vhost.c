// SPDX-License-Identifier: BSD-3-Clause
/*
 * librte_vhost glue: driver registration, feature set, device callbacks,
 * and the messages librte_vhost does not answer for a non-vDPA back-end
 * (GET_CONFIG, SET_CONFIG, GET_QUEUE_NUM, RESET_DEVICE). Inflight tracking
 * (INFLIGHT_SHMFD) is offered unless --no-inflight; see worker.c. Every
 * message is checked by vumsg.c before librte_vhost sees it.
 *
 * Migration (docs/migration-design.md 2.2, D6 and D7): with RESET_DEVICE
 * negotiated, the destroy_device librte_vhost calls at the first
 * GET_VRING_BASE stops the rings and keeps the sessions ([MIG-SUSPEND]);
 * RESET_DEVICE, RESET_OWNER and the end of the connection destroy them.
 * Without it a ring stop destroys them, as it always did. VHOST_F_LOG_ALL
 * and LOG_SHMFD are offered: librte_vhost maps the log (SET_LOG_BASE,
 * checked in vumsg.c), the worker marks what it writes (worker.c).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <rte_vhost.h>

#include "backend.h"

/* vhost-user message numbers and flags (docs/interop/vhost-user.rst) */
#define VU_GET_FEATURES		1
#define VU_GET_PROTOCOL_FEATURES 15
#define VU_GET_QUEUE_NUM	17
#define VU_GET_CONFIG		24
#define VU_SET_CONFIG		25
#define VU_GET_STATUS		40
#define VU_RESET_OWNER		4
#define VU_RESET_DEVICE		34
#define VU_SET_DEVICE_STATE_FD	42
#define VU_CHECK_DEVICE_STATE	43
#define VU_NEED_REPLY		(1u << 3)
#define VU_CONFIG_HDR		12u
#define VU_MAX_CONFIG		256u

#ifndef VHOST_USER_PROTOCOL_F_RESET_DEVICE
#define VHOST_USER_PROTOCOL_F_RESET_DEVICE 13
#endif
#ifndef VHOST_USER_PROTOCOL_F_DEVICE_STATE
#define VHOST_USER_PROTOCOL_F_DEVICE_STATE 19
#endif
#ifndef VHOST_F_LOG_ALL
#define VHOST_F_LOG_ALL		26
#endif

/*
 * The head of librte_vhost's struct vhu_msg_context (the message comes
 * first, RTE_BUILD_BUG_ON'd there): header, then the payload union.
 */
struct vu_msg {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
	union {
		uint64_t u64;
		struct {
			uint32_t offset;
			uint32_t size;
			uint32_t flags;
			uint8_t region[VU_MAX_CONFIG];
		} cfg;
		struct {
			uint32_t direction;
			uint32_t phase;
		} xfer;
		uint8_t raw[632];
	} payload;
	int fds[8];
	int fd_num;
} __attribute__((packed));

_Static_assert(sizeof(struct vu_msg) == 680, "struct vhu_msg_context");

struct va_dev *va_devs;
unsigned int va_ndevs;

/* The device of a connection: librte_vhost's callbacks name only the vid. */
static struct va_dev *va_dev_of(int vid)
{
	unsigned int i;

	if (vid < 0)
		return NULL;
	for (i = 0; i < va_ndevs; i++)
		if (va_devs[i].vid == vid)
			return &va_devs[i];
	return NULL;
}

static uint64_t va_features(void)
{
	return (1ull << VIRTIO_F_VERSION_1) |
	       (1ull << VIRTIO_RING_F_INDIRECT_DESC) |
	       (1ull << VIRTIO_RING_F_EVENT_IDX) |
	       (1ull << VHOST_USER_F_PROTOCOL_FEATURES) |
	       (1ull << VHOST_F_LOG_ALL) |
	       (1ull << VIRTIO_ACCEL_F_MQ) |
	       (1ull << VIRTIO_ACCEL_F_STATELESS) |
	       (1ull << VIRTIO_ACCEL_F_STREAM);
}

static uint64_t va_protocol_features(void)
{
	uint64_t f = (1ull << VHOST_USER_PROTOCOL_F_MQ) |
		     (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK) |
		     (1ull << VHOST_USER_PROTOCOL_F_CONFIG) |
		     /* dirty logging and ring stop without reset: migration */
		     (1ull << VHOST_USER_PROTOCOL_F_LOG_SHMFD) |
		     (1ull << VHOST_USER_PROTOCOL_F_RESET_DEVICE);

	/* the state travels: SET_DEVICE_STATE_FD (migrate.c, state.c) */
	if (!va_opts.no_migration)
		f |= 1ull << VHOST_USER_PROTOCOL_F_DEVICE_STATE;

	/* restart without losing requests: GET/SET_INFLIGHT_FD */
	if (!va_opts.no_inflight)
		f |= 1ull << VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD;
	return f;
}

/* the bits a destination offers, for the state's device check (state.c) */
uint64_t va_offered_features(void)
{
	return va_features();
}

uint64_t va_implemented(void)
{
	return VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_NULL,
				     VIRTIO_ACCEL_ALG_NONE) |
	       VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_HASH,
				     VIRTIO_ACCEL_ALG_CRC32C) |
	       va_crypto_implemented() | va_comp_implemented();
}

static void va_fill_config(struct va_dev *d)
{
	struct virtio_accel_config *c = &d->cfg;
	uint64_t impl = va_implemented();
	uint32_t svc = 0;

	if (impl & VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_NULL, 0))
		svc |= VIRTIO_ACCEL_SERVICE_NULL;
	if (impl & (VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_HASH,
					  VIRTIO_ACCEL_ALG_SHA256) |
		    VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_HASH,
					  VIRTIO_ACCEL_ALG_CRC32C)))
		svc |= VIRTIO_ACCEL_SERVICE_HASH;
	if (impl & VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_MAC,
					 VIRTIO_ACCEL_ALG_HMAC_SHA256))
		svc |= VIRTIO_ACCEL_SERVICE_MAC;
	if (impl & (VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
					  VIRTIO_ACCEL_ALG_AES256_GCM) |
		    VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_AEAD_DECRYPT,
					  VIRTIO_ACCEL_ALG_AES256_GCM)))
		svc |= VIRTIO_ACCEL_SERVICE_AEAD;
	if (impl & (VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_COMPRESS,
					  VIRTIO_ACCEL_ALG_DEFLATE) |
		    VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_DECOMPRESS,
					  VIRTIO_ACCEL_ALG_DEFLATE)))
		svc |= VIRTIO_ACCEL_SERVICE_COMPRESS;

	memset(c, 0, sizeof(*c));
	c->status = cpu_to_le32(VIRTIO_ACCEL_S_HW_READY);
	c->max_dataqueues = cpu_to_le16((uint16_t)va_opts.queues);
	c->max_segments = cpu_to_le16(VA_MAX_SEGMENTS);
	c->services = cpu_to_le32(svc);
	c->max_sessions = cpu_to_le32(va_opts.max_sessions);
	c->max_data_len = cpu_to_le32(va_opts.max_data_len);
	c->max_key_len = cpu_to_le32(VA_MAX_KEY_LEN);
	c->max_aad_len = cpu_to_le32(VA_MAX_AAD_LEN);
	/* [STREAM-LIMIT], [CFG-LIMITS] */
	c->max_comp_streams = cpu_to_le32(virtio_accel_comp_streams_cfg(
		va_opts.max_comp_streams, va_opts.max_sessions,
		!!(va_features() & (1ull << VIRTIO_ACCEL_F_STREAM)),
		!!(svc & VIRTIO_ACCEL_SERVICE_COMPRESS)));

	d->lim.implemented = impl;
	d->lim.max_comp_streams = le32_to_cpu(c->max_comp_streams);
	d->lim.max_data_len = va_opts.max_data_len;
	d->lim.max_aad_len = VA_MAX_AAD_LEN;
	d->lim.stateless = 0;
	d->lim.stream = 0;
}

/* GET_CONFIG: answer with struct virtio_accel_config, honouring offset/size. */
static enum rte_vhost_msg_result va_get_config(struct va_dev *d,
					       struct vu_msg *m)
{
	uint32_t off, size;

	if (m->size < VU_CONFIG_HDR)
		goto refuse;
	off = m->payload.cfg.offset;
	size = m->payload.cfg.size;
	if (!size || size > VU_MAX_CONFIG || off > sizeof(d->cfg) ||
	    size > sizeof(d->cfg) - off)
		goto refuse;
	memcpy(m->payload.cfg.region, (const uint8_t *)&d->cfg + off, size);
	m->size = VU_CONFIG_HDR + size;
	VA_DBG("GET_CONFIG offset %u size %u", off, size);
	return RTE_VHOST_MSG_RESULT_REPLY;
refuse:
	/* an empty reply: the front-end sees a size mismatch and fails */
	VA_ERR("GET_CONFIG: refusing offset/size outside the %zu-byte config",
	       sizeof(d->cfg));
	m->size = 0;
	return RTE_VHOST_MSG_RESULT_REPLY;
}

/*
 * SET_DEVICE_STATE_FD and CHECK_DEVICE_STATE (migrate.c). QEMU waits for a
 * reply to both whatever NEED_REPLY says: a u64, bits 0-7 zero on success,
 * bit 8 (the reply carries no fd) set. The fd moves to migrate.c, so that
 * librte_vhost's reply does not send it back.
 */
static enum rte_vhost_msg_result va_state_msg(struct va_dev *d,
					      struct vu_msg *m)
{
	int ok;

	if (m->request == VU_SET_DEVICE_STATE_FD) {
		/* vumsg.c checked: 8 bytes, exactly one fd */
		ok = !va_mig_set_state_fd(d, m->payload.xfer.direction,
					  m->payload.xfer.phase, m->fds[0]);
		m->fds[0] = -1;
		m->fd_num = 0;
		m->payload.u64 = 0x100 | (ok ? 0 : 1);
	} else {
		m->payload.u64 = va_mig_check_state(d) ? 1 : 0;
	}
	m->size = sizeof(m->payload.u64);
	return RTE_VHOST_MSG_RESULT_REPLY;
}

static int va_msg_readonly(uint32_t req)
{
	return req == VU_GET_FEATURES || req == VU_GET_PROTOCOL_FEATURES ||
	       req == VU_GET_QUEUE_NUM || req == VU_GET_CONFIG ||
	       req == VU_SET_CONFIG || req == VU_GET_STATUS;
}

static void va_msg_resume(struct va_dev *d)
{
	if (!d->msg_paused)
		return;
	va_dev_refresh(d);
	d->msg_paused = 0;
	va_worker_resume(d);
}

static enum rte_vhost_msg_result va_pre_msg(int vid, void *msg)
{
	struct vu_msg *m = msg;
	struct va_dev *d = va_dev_of(vid);
	int ret;

	if (!d)
		return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
	/* a previous message failed before its post handler ran */
	va_msg_resume(d);
	/* every field is a lie until checked (vumsg.c) */
	if (va_msg_check(d, msg) < 0)
		return RTE_VHOST_MSG_RESULT_ERR;

	switch (m->request) {
	case VU_GET_CONFIG:
		return va_get_config(d, m);
	case VU_SET_CONFIG:
		/* [CFG-RO]: the configuration space is read-only */
		VA_DBG("SET_CONFIG ignored (read-only configuration)");
		return (m->flags & VU_NEED_REPLY) ? RTE_VHOST_MSG_RESULT_ERR :
						    RTE_VHOST_MSG_RESULT_OK;
	case VU_SET_DEVICE_STATE_FD:
	case VU_CHECK_DEVICE_STATE:
		return va_state_msg(d, m);
	case VU_GET_QUEUE_NUM:
		/* spec 5: 1 + max_dataqueues */
		m->payload.u64 = d->nr_vq;
		m->size = sizeof(m->payload.u64);
		return RTE_VHOST_MSG_RESULT_REPLY;
	default:
		break;
	}
	/*
	 * Anything else may change memory, rings or eventfds under the
	 * worker: park it until the post handler has re-read the state.
	 */
	if (!va_msg_readonly(m->request) && d->worker_started) {
		va_worker_pause(d);
		d->msg_paused = 1;
	}
	if (m->request == VU_RESET_DEVICE || m->request == VU_RESET_OWNER) {
		/* [SESS-RESET]: a reset destroys them (the worker is parked) */
		va_sessions_reset(d);
		d->suspended = 0;
		if (m->request == VU_RESET_DEVICE) {
			VA_INFO("RESET_DEVICE (vid %d): sessions destroyed",
				vid);
			/* DPDK acks it if NEED_REPLY was set */
			return RTE_VHOST_MSG_RESULT_OK;
		}
	}
	ret = va_msg_handle(d, msg);
	return ret < 0 ? RTE_VHOST_MSG_RESULT_NOT_HANDLED :
			 (enum rte_vhost_msg_result)ret;
}

static enum rte_vhost_msg_result va_post_msg(int vid, void *msg)
{
	struct va_dev *d = va_dev_of(vid);

	if (!d)
		return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
	va_msg_post(d, msg);
	va_msg_resume(d);
	return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
}

static const struct rte_vhost_user_extern_ops va_extern_ops = {
	.pre_msg_handle = va_pre_msg,
	.post_msg_handle = va_post_msg,
};

/* The rings stop: everything but the sessions goes. */
static void va_dev_stop_rings(struct va_dev *d)
{
	unsigned int i;

	va_dma_unmap(d, "device stopped");
	free(d->mem);
	d->mem = NULL;
	for (i = 0; i < VA_MAX_VQ; i++) {
		struct va_vq *q = &d->vq[i];

		q->ready = 0;
		q->broken = 0;
		q->call_pending = 0;
		q->infl = NULL;
		q->resub_scan = 0;
		q->nresub = 0;
		q->resub_pos = 0;
	}
	d->inflight = 0;
	d->log_all = 0;
}

static void va_dev_reset(struct va_dev *d)
{
	va_dev_stop_rings(d);
	va_sessions_reset(d);
	d->suspended = 0;
}

/* RESET_DEVICE negotiated: a ring stop is not a reset ([MIG-SUSPEND]). */
static int va_reset_negotiated(const struct va_dev *d)
{
	uint64_t pf = 0;

	if (d->vid < 0 ||
	    rte_vhost_get_negotiated_protocol_features(d->vid, &pf) < 0)
		return 0;
	return !!(pf & (1ull << VHOST_USER_PROTOCOL_F_RESET_DEVICE));
}

static int va_new_connection(int vid)
{
	struct va_dev *d = NULL;
	char path[PATH_MAX];
	unsigned int i;

	if (rte_vhost_get_ifname(vid, path, sizeof(path)) < 0)
		return -1;
	for (i = 0; i < va_ndevs; i++)
		if (!strcmp(va_devs[i].path, path))
			d = &va_devs[i];
	if (!d)
		return -1;
	if (d->vid >= 0) {
		VA_ERR("%s: rejecting a second front-end (vid %d): one connection at a time",
		       d->path, vid);
		return -1;
	}
	d->vid = vid;
	__atomic_store_n(&d->connections, d->connections + 1,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&d->fe_connected, 1, __ATOMIC_RELAXED);
	for (i = 0; i < VA_MAX_VQ; i++)
		memset(&d->vq[i].st, 0, sizeof(d->vq[i].st));
	d->nr_vq = 1 + va_opts.queues;
	d->features = 0;
	va_msg_reset(d);
	for (i = 0; i < VA_MAX_VQ; i++)
		d->vq[i].enabled = 0;
	va_fill_config(d);
	if (rte_vhost_extern_callback_register(vid, &va_extern_ops, d) < 0) {
		VA_ERR("cannot register message handlers for vid %d", vid);
		d->vid = -1;
		return -1;
	}
	if (va_ndevs > 1)
		VA_INFO("front-end connected to device %u, %s (vid %d)",
			d->index, d->path, vid);
	else
		VA_INFO("front-end connected (vid %d)", vid);
	return 0;
}

static void va_destroy_connection(int vid)
{
	struct va_dev *d = va_dev_of(vid);

	if (!d)
		return;
	va_worker_stop(d);
	d->msg_paused = 0;
	d->running = 0;
	va_mig_reset(d);
	va_dev_reset(d);
	va_msg_reset(d);
	d->vid = -1;
	__atomic_store_n(&d->fe_connected, 0, __ATOMIC_RELAXED);
	/* the count tells a test that its requests reached this back-end */
	VA_INFO("front-end disconnected (vid %d, device %u), sessions destroyed, %llu data requests served",
		vid, d->index,
		(unsigned long long)__atomic_exchange_n(&d->requests, 0,
							__ATOMIC_RELAXED));
}

static int va_new_device(int vid)
{
	struct va_dev *d = va_dev_of(vid);
	uint64_t f = 0;
	unsigned int i, n = 0, ni = 0;

	if (!d)
		return -1;
	rte_vhost_get_negotiated_features(vid, &f);
	d->features = f;
	d->protocol_features = 0;
	rte_vhost_get_negotiated_protocol_features(vid, &d->protocol_features);
	d->inflight = !!(d->protocol_features &
			 (1ull << VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD));
	d->lim.stateless = !!(f & (1ull << VIRTIO_ACCEL_F_STATELESS));
	d->lim.stream = !!(f & (1ull << VIRTIO_ACCEL_F_STREAM));
	d->log_all = !!(f & (1ull << VHOST_F_LOG_ALL));
	VA_INFO("features negotiated: 0x%llx (version_1 %d, event_idx %d, indirect %d, mq %d, stateless %d, stream %d)",
		(unsigned long long)f, !!(f & (1ull << VIRTIO_F_VERSION_1)),
		!!(f & (1ull << VIRTIO_RING_F_EVENT_IDX)),
		!!(f & (1ull << VIRTIO_RING_F_INDIRECT_DESC)),
		!!(f & (1ull << VIRTIO_ACCEL_F_MQ)), d->lim.stateless,
		d->lim.stream);
	for (i = 0; i < VA_MAX_VQ; i++) {
		/* [RING-BROKEN] survives a migration (state.c) */
		d->vq[i].broken = d->vq[i].mig_broken;
		d->vq[i].mig_broken = 0;
		/* a new start: look for requests a dead back-end left */
		d->vq[i].resub_scan = 1;
		d->vq[i].nresub = 0;
		d->vq[i].resub_pos = 0;
	}
	va_dev_refresh(d);
	/*
	 * Kept across a ring stop, but the control queue starts again at
	 * index 0, where it was not when the rings stopped (sessions were
	 * made on it): the driver was reset and the front-end did not say
	 * so (QEMU sends RESET_DEVICE only for a device with get_vhost, which
	 * vhost-user-base lacks). [SESS-RESET]. Wrong only after exactly
	 * k * 65536 control requests, and then on the side of losing them.
	 */
	if (d->suspended && va_sessions_live(d) &&
	    d->vq[VIRTIO_ACCEL_CTRLQ].ready &&
	    !d->vq[VIRTIO_ACCEL_CTRLQ].last_avail &&
	    !d->vq[VIRTIO_ACCEL_CTRLQ].last_used) {
		VA_INFO("device restarted at control queue index 0 (vid %d): the driver was reset without RESET_DEVICE, sessions destroyed",
			vid);
		va_sessions_reset(d);
	}
	for (i = 0; i < d->nr_vq; i++) {
		n += d->vq[i].ready;
		ni += d->vq[i].infl != NULL;
	}
	if (va_worker_start(d) < 0) {
		VA_ERR("cannot start the worker thread");
		return -1;
	}
	d->running = 1;
	VA_INFO("device started (vid %d): %u of %u queues ready, inflight tracking %s%s",
		vid, n, d->nr_vq,
		!d->inflight ? "not negotiated" :
		ni ? "on" : "negotiated but no region",
		d->log_all ? ", dirty logging on" : "");
	if (d->suspended && va_sessions_live(d))
		VA_INFO("device resumed (vid %d) with %u session%s kept across the ring stop",
			vid, va_sessions_live(d),
			va_sessions_live(d) == 1 ? "" : "s");
	d->suspended = 0;
	return 0;
}

static void va_destroy_device(int vid)
{
	struct va_dev *d = va_dev_of(vid);
	uint32_t n;

	if (!d)
		return;
	va_worker_stop(d);
	/*
	 * The worker a message parked is gone: a message whose post handler
	 * does not run must not make the next one re-read the rings under a
	 * worker new_device() has started since.
	 */
	d->msg_paused = 0;
	d->running = 0;
	/*
	 * The worker completed and published every request it took
	 * ([MIG-DRAIN]): what it did not take stays in the avail ring past
	 * the index GET_VRING_BASE reports.
	 */
	if (va_reset_negotiated(d)) {
		/* [MIG-SUSPEND]: stopping the rings is not a reset */
		va_dev_stop_rings(d);
		d->suspended = 1;
		n = va_sessions_live(d);
		VA_INFO("device stopped (vid %d), %u session%s kept until RESET_DEVICE",
			vid, n, n == 1 ? "" : "s");
		return;
	}
	/* [SESS-RESET]: without RESET_DEVICE a stopped device loses them */
	va_dev_reset(d);
	VA_INFO("device stopped (vid %d), sessions destroyed", vid);
}

static int va_vring_state_changed(int vid, uint16_t qid, int enable)
{
	struct va_dev *d = va_dev_of(vid);

	if (!d)
		return 0;
	if (qid >= d->nr_vq) {
		VA_ERR("queue %u %s: beyond the %u queues offered, ignored",
		       qid, enable ? "enabled" : "disabled", d->nr_vq);
		return 0;
	}
	d->vq[qid].enabled = enable;
	VA_INFO("queue %u %s", qid, enable ? "started" : "stopped");
	if (d->worker_started && !d->msg_paused) {
		va_worker_pause(d);
		va_dev_refresh(d);
		va_worker_resume(d);
	}
	return 0;
}

/*
 * librte_vhost lets only VHOST_F_LOG_ALL change on a running device; the
 * worker is parked (SET_FEATURES is not read-only, va_pre_msg()).
 */
static int va_features_changed(int vid, uint64_t features)
{
	struct va_dev *d = va_dev_of(vid);
	int on = !!(features & (1ull << VHOST_F_LOG_ALL));

	if (!d)
		return 0;
	VA_DBG("features changed to 0x%llx", (unsigned long long)features);
	if (on != d->log_all)
		VA_INFO("dirty logging %s (vid %d)", on ? "on" : "off", vid);
	d->log_all = on;
	return 0;
}

static const struct rte_vhost_device_ops va_ops = {
	.new_device = va_new_device,
	.destroy_device = va_destroy_device,
	.vring_state_changed = va_vring_state_changed,
	.features_changed = va_features_changed,
	.new_connection = va_new_connection,
	.destroy_connection = va_destroy_connection,
};

static int va_socket_start(struct va_dev *d)
{
	const char *path = d->path;
	mode_t old;
	int ret;

	d->vid = -1;
	d->nr_vq = 1 + va_opts.queues;
	va_fill_config(d);
	old = umask(0177);
	ret = rte_vhost_driver_register(path, 0);
	if (ret < 0) {
		umask(old);
		VA_ERR("cannot register vhost-user socket %s", path);
		return -EIO;
	}
	if (rte_vhost_driver_set_features(path, va_features()) < 0 ||
	    rte_vhost_driver_set_protocol_features(
		    path, va_protocol_features()) < 0 ||
	    rte_vhost_driver_callback_register(path, &va_ops) < 0) {
		VA_ERR("cannot configure vhost-user socket %s", path);
		goto out_unregister;
	}
	if (rte_vhost_driver_start(path) < 0) {
		VA_ERR("cannot start vhost-user socket %s", path);
		goto out_unregister;
	}
	umask(old);
	if (chmod(path, 0600) < 0)
		VA_ERR("chmod 0600 %s: %s", path, strerror(errno));
	return 0;

out_unregister:
	umask(old);
	rte_vhost_driver_unregister(path);
	return -EIO;
}

static void va_socket_stop(struct va_dev *d)
{
	const char *path = d->path;
	unsigned int i;

	/* unregister tears down a live connection (destroy callbacks run) */
	for (i = 0; i < 50; i++) {
		if (rte_vhost_driver_unregister(path) == 0)
			break;
		usleep(20000);
	}
	if (d->vid >= 0)
		va_destroy_connection(d->vid);
	unlink(path);
	for (i = 0; i < VA_MAX_VQ; i++) {
		free(d->vq[i].iov);
		d->vq[i].iov = NULL;
		d->vq[i].iov_cap = 0;
		free(d->vq[i].resub);
		d->vq[i].resub = NULL;
		d->vq[i].resub_cap = 0;
	}
}

/* The devices (va_devs[], set up by main.c) start listening. */
int va_vhost_start(void)
{
	unsigned int i;

	for (i = 0; i < va_ndevs; i++) {
		if (va_socket_start(&va_devs[i]) < 0) {
			while (i--)
				va_socket_stop(&va_devs[i]);
			return -EIO;
		}
	}
	return 0;
}

void va_vhost_stop(void)
{
	unsigned int i;

	for (i = 0; i < va_ndevs; i++)
		va_socket_stop(&va_devs[i]);
}
