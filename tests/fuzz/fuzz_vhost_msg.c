// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fuzz target: the back-end's own vhost-user handling
 * (vhost-user-backend/src/vhost.c), without DPDK: the pre/post message
 * handlers librte_vhost calls for every front-end message (GET_CONFIG with
 * any offset and size, SET_CONFIG, GET_QUEUE_NUM answered here; every other
 * message parks the worker until the post handler), and the device
 * callbacks (new/destroy connection, new/destroy device with any
 * negotiated features, vring state changes for any queue index), in any
 * order. librte_vhost's registration calls capture the callback tables and
 * the worker is a model of its state (tests/unit/mock_vhost.c); the session
 * table is the real one (ctrl.c) with the unit tests' engine mocks.
 *
 * Each message is a heap buffer of exactly librte_vhost's message context
 * (header, 632-byte payload union, 8 fds, fd count: 680 bytes), so a read
 * or write beyond it is an ASan report; vumsg.c checks every message
 * first, some with real memfds and eventfds attached.
 *
 * Invariants asserted:
 *  - a message of another connection is not handled and changes nothing;
 *  - GET_CONFIG replies with exactly the configuration bytes asked for, or
 *    an empty reply when offset/size fall outside the 32-byte
 *    configuration; GET_QUEUE_NUM with 1 + the data queues; SET_CONFIG
 *    is refused (an error only when a reply is asked for);
 *  - the worker is paused (once) for every message that may change rings
 *    or memory and resumed by the post handler or the next message; the
 *    rings are never re-read while the worker runs; it never stays paused
 *    after the post handler;
 *  - one connection at a time; a new device takes its limits from the
 *    negotiated features; destroying the device or the connection stops
 *    the worker.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#include <rte_vhost.h>

#include "fuzz.h"
#include "backend.h"
#include "../unit/mock_backend.h"
#include "../unit/mock_vhost.h"

/* the one device of one --socket-path, as main.c sets it up */
static struct va_dev va_dev = { .vid = -1 };

/*
 * librte_vhost's struct vhu_msg_context: header, payload union (632
 * bytes), fds[8], fd_num. The input fills the header and the first 268
 * payload bytes (GET_CONFIG's payload); the rest is zero, with no fd.
 */
#define MSG_LEN		(12 + 12 + 256)
#define CTX_LEN		(12 + 632 + 8 * 4 + 4)
#define CFG_LEN		sizeof(struct virtio_accel_config)

static struct fz *in;

/* ---- messages ---- */

static const uint32_t requests[] = {
	24, 24, 24, 25, 17, 1, 2, 3, 5, 8, 9, 10, 11, 12, 13, 15, 16, 18, 40,
	34, 42, 43,
};

/* fds of the context: after the header and the 632-byte payload union */
#define CTX_FDS		(12 + 632)
#define CTX_FD_NUM	(CTX_FDS + 8 * 4)

/*
 * Sometimes the message carries real fds, as librte_vhost would hand them
 * over: memfds of a fuzzed size, sealed against shrinking or not, and
 * eventfds, so that vumsg.c's checks of files and fds run for real.
 */
static int attach_fds(uint8_t *m)
{
	uint8_t sel = fz_u8(in);
	int fds[8], n = sel & 3, i;

	for (i = 0; i < 8; i++)
		fds[i] = -1;
	if (sel & 4)
		n = 0;
	for (i = 0; i < n; i++) {
		uint8_t k = fz_u8(in);

		if (k & 1) {
			fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		} else {
			fds[i] = memfd_create("fuzz-vhost-msg",
					      MFD_CLOEXEC | MFD_ALLOW_SEALING);
			if (fds[i] >= 0 &&
			    (ftruncate(fds[i], (off_t)fz_u16(in) << 8) < 0 ||
			     ((k & 2) && fcntl(fds[i], F_ADD_SEALS,
					       F_SEAL_SHRINK) < 0)))
				abort();
		}
		if (fds[i] < 0)
			abort();
	}
	memcpy(m + CTX_FDS, fds, sizeof(fds));
	memcpy(m + CTX_FD_NUM, &n, 4);
	return n;
}

/* Close what is left: librte_vhost's job when the handlers leave them. */
static void close_fds(uint8_t *m)
{
	int fds[8], i;

	memcpy(fds, m + CTX_FDS, sizeof(fds));
	for (i = 0; i < 8; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static void message(int vid)
{
	uint8_t sel = fz_u8(in), *m = calloc(1, CTX_LEN);
	uint32_t req, flags, size, off = 0, len = 0, nsize;
	uint8_t before[sizeof(va_dev)];
	int ret, post = !(sel & 0x80), readonly, other = vid != va_dev.vid;
	int nfd, fdn;

	if (!m)
		abort();
	req = sel & 0x40 ? fz_u32(in) :
			   requests[sel % (sizeof(requests) /
					    sizeof(requests[0]))];
	flags = 1 | (fz_u8(in) & 8);	/* NEED_REPLY sometimes */
	size = fz_u8(in) & 1 ? fz_u16(in) : 12 + CFG_LEN;
	memcpy(m, &req, 4);
	memcpy(m + 4, &flags, 4);
	memcpy(m + 8, &size, 4);
	fz_bytes(in, m + 12, MSG_LEN - 12);
	if (req == 24 && !(sel & 0x20)) {
		/* mostly sane offset/size */
		off = fz_u8(in) % (CFG_LEN + 2);
		len = fz_u8(in) % (CFG_LEN + 2);
		memcpy(m + 12, &off, 4);
		memcpy(m + 16, &len, 4);
	}
	memcpy(&off, m + 12, 4);
	memcpy(&len, m + 16, 4);
	nfd = attach_fds(m);
	readonly = req == 1 || req == 15 || req == 17 || req == 24 ||
		   req == 25 || req == 40;
	memcpy(before, &va_dev, sizeof(va_dev));

	ret = mock_vhost_xops->pre_msg_handle(vid, m);
	memcpy(&nsize, m + 8, 4);
	FZ_CHECK(ret >= RTE_VHOST_MSG_RESULT_ERR &&
		 ret <= RTE_VHOST_MSG_RESULT_NOT_HANDLED, "result %d", ret);
	if (other) {
		FZ_CHECK(ret == RTE_VHOST_MSG_RESULT_NOT_HANDLED &&
			 !memcmp(before, &va_dev, sizeof(va_dev)),
			 "a message of vid %d touched vid %d", vid,
			 va_dev.vid);
		goto out;
	}
	/* fds with a message that takes none: refused, whatever it is */
	if (nfd && (req == 24 || req == 25 || req == 17)) {
		memcpy(&fdn, m + CTX_FD_NUM, 4);
		FZ_CHECK(ret == RTE_VHOST_MSG_RESULT_ERR && !fdn,
			 "request %u with %d fds: %d", req, nfd, ret);
		goto out;
	}
	switch (req) {
	case 24:
		FZ_CHECK(ret == RTE_VHOST_MSG_RESULT_REPLY, "GET_CONFIG");
		if (size >= 12 && len && len <= 256 && off <= CFG_LEN &&
		    len <= CFG_LEN - off)
			FZ_CHECK(nsize == 12 + len &&
				 !memcmp(m + 24, (uint8_t *)&va_dev.cfg + off,
					 len),
				 "GET_CONFIG %u+%u: reply of %u", off, len,
				 nsize);
		else
			FZ_CHECK(nsize == 0,
				 "GET_CONFIG %u+%u (size %u) answered", off,
				 len, size);
		break;
	case 25:
		FZ_CHECK(ret == ((flags & 8) ? RTE_VHOST_MSG_RESULT_ERR :
					       RTE_VHOST_MSG_RESULT_OK),
			 "SET_CONFIG %d", ret);
		break;
	case 17: {
		uint64_t v;

		memcpy(&v, m + 12, 8);
		FZ_CHECK(ret == RTE_VHOST_MSG_RESULT_REPLY && nsize == 8 &&
			 v == va_dev.nr_vq && v == 1 + va_opts.queues,
			 "GET_QUEUE_NUM %llu", (unsigned long long)v);
		break;
	}
	case 42:
	case 43: {
		/*
		 * SET_DEVICE_STATE_FD / CHECK_DEVICE_STATE (migration): refused
		 * by vumsg.c, or answered with a u64 status. The fds here are
		 * memfds and eventfds, never the pipe a transfer needs, so no
		 * transfer runs: SET says error (0x100 | 1) and takes its fd,
		 * CHECK says failure (1). Neither parks the worker; a state
		 * never moves while it runs ([MIG-SUSPEND]).
		 */
		uint64_t v, want = req == 42 ? 0x101 : 1;

		memcpy(&v, m + 12, 8);
		memcpy(&fdn, m + CTX_FD_NUM, 4);
		if (ret != RTE_VHOST_MSG_RESULT_ERR)
			FZ_CHECK(ret == RTE_VHOST_MSG_RESULT_REPLY &&
				 nsize == 8 && v == want &&
				 (req == 43 || fdn == 0),
				 "request %u: %d, size %u, status %#llx, %d fds left",
				 req, ret, nsize, (unsigned long long)v, fdn);
		FZ_CHECK(!va_dev.msg_paused, "request %u parked the worker",
			 req);
		break;
	}
	default:
		/* a refused message's fds are closed by the back-end */
		memcpy(&fdn, m + CTX_FD_NUM, 4);
		if (ret == RTE_VHOST_MSG_RESULT_ERR && nfd) {
			int fds[8], i;

			memcpy(fds, m + CTX_FDS, sizeof(fds));
			for (i = 0; i < 8; i++)
				FZ_CHECK(fds[i] == -1 || fdn == 0,
					 "request %u refused with fd %d open",
					 req, fds[i]);
		}
		/*
		 * refused by vumsg.c, or the inflight messages it answers, or
		 * RESET_DEVICE, whose sessions go here ([SESS-RESET])
		 */
		FZ_CHECK(ret == RTE_VHOST_MSG_RESULT_NOT_HANDLED ||
			 ret == RTE_VHOST_MSG_RESULT_ERR ||
			 (req == 31 && ret == RTE_VHOST_MSG_RESULT_REPLY) ||
			 (req == 32 && ret == RTE_VHOST_MSG_RESULT_OK) ||
			 (req == 34 && ret == RTE_VHOST_MSG_RESULT_OK),
			 "request %u handled (%d)", req, ret);
		if (ret != RTE_VHOST_MSG_RESULT_ERR)
			FZ_CHECK(readonly || !va_dev.worker_started ||
				 (mock_worker_paused && va_dev.msg_paused),
				 "request %u with the worker running", req);
		break;
	}
out:
	if (post) {
		mock_vhost_xops->post_msg_handle(vid, m);
		if (!other)
			FZ_CHECK(!va_dev.msg_paused && !mock_worker_paused,
				 "the worker stays parked after request %u",
				 req);
	}
	close_fds(m);
	free(m);
}

static void check_device(void)
{
	const struct virtio_accel_config *c = &va_dev.cfg;

	FZ_CHECK(le16toh(c->max_dataqueues) == va_opts.queues &&
		 le32toh(c->status) == VIRTIO_ACCEL_S_HW_READY &&
		 le16toh(c->max_segments) >= 4 &&
		 le32toh(c->max_data_len) == va_opts.max_data_len,
		 "configuration");
	FZ_CHECK(va_dev.vid < 0 || va_dev.nr_vq == 1 + va_opts.queues,
		 "nr_vq %u", va_dev.nr_vq);
	FZ_CHECK(va_dev.worker_started || !mock_worker_paused, "paused state");
	FZ_CHECK(!mock_worker_refresh_unparked,
		 "rings re-read under a running worker");
	FZ_CHECK(!mock_worker_bad_pause && !mock_worker_bad_resume,
		 "worker paused twice or resumed while running");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int steps = 0;
	struct fz f;
	uint8_t opt;
	int vid, ret, conn[2] = { 0 }, run[2] = { 0 };
	uint32_t sl, st;
	uint16_t qid;

	fz_init(&f, data, size);
	in = &f;
	opt = fz_u8(&f);
	va_opts.socket_path = "/nonexistent/fuzz-vhost-msg.sock";
	va_opts.queues = opt % VA_MAX_DATAQ + 1;
	va_opts.no_inflight = !!(opt & 0x80);
	mock_vhost_reset();
	va_dev = (struct va_dev){ .vid = -1, .path = va_opts.socket_path };
	va_devs = &va_dev;
	va_ndevs = 1;
	if (va_sessions_init(&va_dev, va_opts.max_sessions))
		abort();
	if (va_vhost_start() || !mock_vhost_ops)
		abort();
	while (fz_left(&f) && steps++ < 200) {
		uint8_t ev = fz_u8(&f);

		vid = (ev >> 4) & 1;
		switch (ev % 8) {
		/*
		 * librte_vhost's order: a vid connects once; new_device only
		 * when not running, destroy_device only when running; a
		 * disconnect destroys a running device first.
		 */
		case 0:
			if (conn[vid])
				break;
			mock_vhost_refuse_extern = (ev >> 5) == 7;
			ret = mock_vhost_ops->new_connection(vid);
			FZ_CHECK(ret == 0 ? va_dev.vid == vid : ret == -1,
				 "new_connection %d", ret);
			conn[vid] = !ret;
			break;
		case 1:
			if (!conn[vid])
				break;
			if (run[vid])
				mock_vhost_ops->destroy_device(vid);
			mock_vhost_ops->destroy_connection(vid);
			FZ_CHECK(va_dev.vid < 0 && !va_dev.worker_started,
				 "destroy_connection(%d)", vid);
			conn[vid] = 0;
			run[vid] = 0;
			break;
		case 2:
			if (!conn[vid] || run[vid])
				break;
			mock_vhost_features = fz_u64(&f);
			mock_vhost_protocol_features = fz_u64(&f);
			mock_worker_start_fails = (ev >> 5) == 7;
			ret = mock_vhost_ops->new_device(vid);
			run[vid] = !ret;
			sl = !!(mock_vhost_features &
				(1ull << VIRTIO_ACCEL_F_STATELESS));
			st = !!(mock_vhost_features &
				(1ull << VIRTIO_ACCEL_F_STREAM));
			if (!ret)
				FZ_CHECK(va_dev.worker_started &&
					 va_dev.running &&
					 va_dev.lim.stateless == sl &&
					 va_dev.lim.stream == st, "new_device");
			break;
		case 3:
			if (!run[vid])
				break;
			mock_vhost_ops->destroy_device(vid);
			FZ_CHECK(!va_dev.worker_started && !va_dev.running,
				 "destroy_device");
			run[vid] = 0;
			break;
		case 4:
			qid = fz_u16(&f) % 24;
			mock_vhost_ops->vring_state_changed(vid, qid, ev >> 7);
			break;
		case 5:
			mock_vhost_ops->features_changed(vid, fz_u64(&f));
			break;
		default:
			if (mock_vhost_xops)
				message(vid);
			break;
		}
		check_device();
	}
	va_vhost_stop();
	va_sessions_fini(&va_dev);
	va_dev = (struct va_dev){ .vid = -1 };
	return 0;
}
