// SPDX-License-Identifier: BSD-3-Clause
/*
 * The back-end's state for a live migration, moved through the vhost-user
 * device-state protocol (VHOST_USER_PROTOCOL_F_DEVICE_STATE: messages
 * SET_DEVICE_STATE_FD and CHECK_DEVICE_STATE, QEMU's
 * vhost_save_backend_state() and vhost_load_backend_state()).
 * librte_vhost 22.11 does not know these messages: vhost.c's pre-message
 * hook hands them here (docs/migration-design.md 2.1, 2.2 D2-D5).
 *
 * The front-end sends one end of a pipe with SET_DEVICE_STATE_FD and reads
 * (save) or writes (load) it only after our reply, then asks
 * CHECK_DEVICE_STATE. So the reply comes first and a thread of ours moves
 * the bytes; CHECK waits for the thread. Saving serialises the device at
 * SET_DEVICE_STATE_FD (its rings are stopped, nothing changes under us),
 * loading validates and applies the whole state at CHECK_DEVICE_STATE and
 * applies nothing of a state it refuses ([MIG-ATOMIC]). The thread touches
 * only its buffer and its fd, never the device.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"

#define VA_XFER_TIMEOUT_MS	30000	/* the whole transfer */
/*
 * CHECK_DEVICE_STATE comes after the front-end closed (load) or read to
 * EOF (save) its end of the pipe: the transfer is then done or a few
 * buffered bytes from done. CHECK waits this long for it, no longer: the
 * hook runs on librte_vhost's one message thread, which serves every
 * socket of the back-end.
 */
#define VA_XFER_CHECK_GRACE_MS	2000
#define VA_XFER_SLICE_MS	100	/* the thread looks at ->abort */
#define VA_XFER_CHUNK		(64u << 10)

struct va_xfer {
	pthread_t thr;
	int fd;
	int load;			/* 1: front-end -> us */
	uint8_t *buf;
	size_t len;			/* save: bytes to write; load: read */
	size_t cap;			/* load: most we accept */
	int err;			/* 0, or a positive errno */
	uint64_t t0_us;			/* SET_DEVICE_STATE_FD's arrival */
	char why[160];
	int abort;			/* CHECK gave up on it (atomic) */
	int done;			/* the thread is finished (atomic) */
};

static uint64_t va_xfer_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t va_xfer_now_ms(void)
{
	return va_xfer_now_us() / 1000;
}

static void va_xfer_fail(struct va_xfer *x, int err, const char *what)
{
	x->err = err;
	snprintf(x->why, sizeof(x->why), "%s: %s", what, strerror(err));
}

static void *va_xfer_main(void *arg)
{
	struct va_xfer *x = arg;
	uint64_t end = va_xfer_now_ms() + VA_XFER_TIMEOUT_MS;
	size_t done = 0;

	for (;;) {
		struct pollfd p = { .fd = x->fd,
				    .events = x->load ? POLLIN : POLLOUT };
		uint64_t now = va_xfer_now_ms();
		size_t n;
		ssize_t r;

		if (!x->load && done == x->len)
			break;
		if (__atomic_load_n(&x->abort, __ATOMIC_ACQUIRE)) {
			va_xfer_fail(x, ETIMEDOUT, x->load ?
				     "ended before the front-end finished sending the state" :
				     "ended before the front-end read the state");
			break;
		}
		if (now >= end) {
			va_xfer_fail(x, ETIMEDOUT, x->load ?
				     "the front-end did not finish sending the state" :
				     "the front-end did not read the state");
			break;
		}
		r = poll(&p, 1, end - now < VA_XFER_SLICE_MS ?
				(int)(end - now) : VA_XFER_SLICE_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			va_xfer_fail(x, errno, "poll");
			break;
		}
		if (!r)
			continue;
		if (x->load) {
			/* one byte past the cap tells a state that is too big */
			n = x->cap + 1 - done;
			if (n > VA_XFER_CHUNK)
				n = VA_XFER_CHUNK;
			r = read(x->fd, x->buf + done, n);
		} else {
			n = x->len - done;
			if (n > VA_XFER_CHUNK)
				n = VA_XFER_CHUNK;
			r = write(x->fd, x->buf + done, n);
		}
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0) {
			va_xfer_fail(x, errno, x->load ? "reading the state" :
						       "writing the state");
			break;
		}
		if (x->load && !r)
			break;		/* EOF: the front-end closed its end */
		done += (size_t)r;
		if (x->load && done > x->cap) {
			x->err = EFBIG;
			snprintf(x->why, sizeof(x->why),
				 "the state is larger than the %zu bytes this device can hold",
				 x->cap);
			break;
		}
	}
	if (x->load)
		x->len = done;
	close(x->fd);
	x->fd = -1;
	__atomic_store_n(&x->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void va_xfer_free(struct va_xfer *x)
{
	if (!x)
		return;
	if (x->fd >= 0)
		close(x->fd);
	if (x->buf) {
		virtio_accel_wipe(x->buf, x->load ? x->cap + 1 : x->len);
		free(x->buf);
	}
	free(x);
}

/*
 * Collect the transfer thread: after @grace_ms at most it is told to stop
 * (and then stops within VA_XFER_SLICE_MS); 0: at once.
 */
static struct va_xfer *va_xfer_join(struct va_dev *d, unsigned int grace_ms)
{
	struct va_xfer *x = d->xfer;
	uint64_t end = va_xfer_now_ms() + grace_ms;

	if (x) {
		while (!__atomic_load_n(&x->done, __ATOMIC_ACQUIRE) &&
		       va_xfer_now_ms() < end) {
			struct timespec ts = { 0, 5 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
		__atomic_store_n(&x->abort, 1, __ATOMIC_RELEASE);
		pthread_join(x->thr, NULL);
	}
	d->xfer = NULL;
	return x;
}

/*
 * A connection that ends with a transfer in progress: the transfer is
 * stopped at once. The other end of the pipe need not go with the
 * connection (the front-end, or a process it passed it to, may keep it
 * open), and this runs on librte_vhost's one message thread.
 */
void va_mig_reset(struct va_dev *d)
{
	struct va_xfer *x = va_xfer_join(d, 0);

	if (x)
		VA_INFO("%s: state transfer abandoned (%s)", d->path,
			x->err ? x->why : "the front-end went away");
	va_xfer_free(x);
}

static int va_fd_check(int fd, int load, char *why, size_t n)
{
	struct stat st;
	int fl;

	if (fstat(fd, &st) < 0) {
		snprintf(why, n, "fstat: %s", strerror(errno));
		return -1;
	}
	if (!S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode)) {
		snprintf(why, n, "the fd is not a pipe or a socket (mode 0%o)",
			 (unsigned int)(st.st_mode & S_IFMT));
		return -1;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || (!S_ISSOCK(st.st_mode) &&
		       (fl & O_ACCMODE) != (load ? O_RDONLY : O_WRONLY))) {
		snprintf(why, n, "the pipe is not open for %s",
			 load ? "reading" : "writing");
		return -1;
	}
	/* the thread polls: never block in read()/write() past the limit */
	if (fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		snprintf(why, n, "fcntl: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * SET_DEVICE_STATE_FD: @direction 0 save, 1 load; @phase 0 (stopped) is the
 * only one the protocol defines. Takes @fd in every case. Returns 0 (the
 * transfer runs) or -1 with the reason logged: the reply then says error.
 */
int va_mig_set_state_fd(struct va_dev *d, uint32_t direction, uint32_t phase,
			int fd)
{
	struct va_xfer *x = NULL;
	char why[160] = "";
	int load = direction == 1;
	uint64_t t0 = va_xfer_now_us();

	if (direction > 1) {
		snprintf(why, sizeof(why), "direction %u (0 save, 1 load)",
			 direction);
		goto refuse;
	}
	if (phase != 0) {
		snprintf(why, sizeof(why), "phase %u (only 0, stopped)", phase);
		goto refuse;
	}
	if (d->xfer) {
		snprintf(why, sizeof(why), "a transfer is already in progress");
		goto refuse;
	}
	/* [MIG-SUSPEND]: the state moves only while every ring is stopped */
	if (d->running || d->worker_started) {
		snprintf(why, sizeof(why), "the device's rings are running");
		goto refuse;
	}
	if (va_fd_check(fd, load, why, sizeof(why)) < 0)
		goto refuse;
	x = calloc(1, sizeof(*x));
	if (!x) {
		snprintf(why, sizeof(why), "out of memory");
		goto refuse;
	}
	x->fd = fd;
	x->load = load;
	x->t0_us = t0;
	if (load) {
		x->cap = va_state_max(d);
		x->buf = malloc(x->cap + 1);
		if (!x->buf) {
			snprintf(why, sizeof(why), "cannot allocate %zu bytes",
				 x->cap + 1);
			goto refuse_x;
		}
	} else if (va_state_save(d, &x->buf, &x->len, why, sizeof(why)) < 0) {
		goto refuse_x;
	}
	if (pthread_create(&x->thr, NULL, va_xfer_main, x)) {
		snprintf(why, sizeof(why), "cannot start the transfer thread");
		goto refuse_x;
	}
	d->xfer = x;
	if (load)
		VA_INFO("%s: loading a state (at most %zu bytes)", d->path,
			x->cap);
	else
		VA_INFO("%s: state saved: %zu bytes%s, %u sessions", d->path,
			x->len, va_state_sealed() ? " (sealed)" : "",
			va_sessions_live(d));
	return 0;
refuse_x:
	x->fd = -1;
	va_xfer_free(x);
refuse:
	close(fd);
	VA_ERR("%s: SET_DEVICE_STATE_FD refused: %s", d->path, why);
	return -1;
}

/*
 * CHECK_DEVICE_STATE: waits for the transfer; a loaded state is validated
 * and applied here, all or nothing. 0 success, -1 failure (logged).
 */
int va_mig_check_state(struct va_dev *d)
{
	struct va_xfer *x = va_xfer_join(d, VA_XFER_CHECK_GRACE_MS);
	char why[160] = "";
	int ret = -1;

	if (!x) {
		VA_ERR("%s: CHECK_DEVICE_STATE without a transfer", d->path);
		return -1;
	}
	if (x->err) {
		VA_ERR("%s: state %s failed: %s", d->path,
		       x->load ? "load" : "save", x->why);
	} else if (!x->load) {
		/* the back-end's share of the downtime, save side */
		VA_INFO("%s: state save complete (%zu bytes, %llu us from SET_DEVICE_STATE_FD to CHECK_DEVICE_STATE)",
			d->path, x->len,
			(unsigned long long)(va_xfer_now_us() - x->t0_us));
		ret = 0;
	} else if (va_state_load(d, x->buf, x->len, why, sizeof(why)) < 0) {
		/* [MIG-VALIDATE]: refused whole, the device stays as it was */
		VA_ERR("%s: state refused (%zu bytes): %s", d->path, x->len,
		       why);
	} else {
		VA_INFO("%s: state loaded: %zu bytes%s, %u sessions, %llu us from SET_DEVICE_STATE_FD",
			d->path, x->len, va_state_sealed() ? " (sealed)" : "",
			va_sessions_live(d),
			(unsigned long long)(va_xfer_now_us() - x->t0_us));
		ret = 0;
	}
	va_xfer_free(x);
	return ret;
}
