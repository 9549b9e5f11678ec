// SPDX-License-Identifier: BSD-3-Clause
/*
 * The raw-ring driver of vaccel-robust (see robust.h): libvirtaccel opens
 * the device, then rings are written by hand.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>

#include "robust.h"
#include "vaccel-test.h"

/*
 * The library keeps its vhost-vdpa fd private; the device node it holds
 * open is found through /proc/self/fd (the NEEDS_RESET bit is read there).
 */
static int find_vdpa_fd(const char *node)
{
	char p[300], target[PATH_MAX];
	struct dirent *e;
	int fd = -1;
	DIR *d;

	d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		ssize_t n;

		snprintf(p, sizeof(p), "/proc/self/fd/%s", e->d_name);
		n = readlink(p, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		if (!strcmp(target, node)) {
			fd = atoi(e->d_name);
			break;
		}
	}
	closedir(d);
	return fd;
}

int rt_open(struct rt *t, size_t mem_size)
{
	struct virtaccel_open_opts o = {
		.flags = VIRTACCEL_OPEN_POLL,
		.queue_size = t->qsize,
		.num_queues = 2,
		.mem_size = mem_size,
	};
	/* vhost-user: the back-end may still be busy with the last close */
	uint64_t end = now_us() + (t->vdpa ? 0 : 5000000);
	int ret;

	for (;;) {
		ret = virtaccel_open(t->devstr, &o, &t->dev);
		if (!ret || now_us() > end)
			break;
		usleep(20000);
	}
	if (ret)
		return ret;
	if (t->dev->nvqs < 3) {
		virtaccel_close(t->dev);
		t->dev = NULL;
		return -ENODEV;
	}
	t->mem_size = mem_size;
	memset(t->av, 0, sizeof(t->av));
	memset(t->us, 0, sizeof(t->us));
	t->vdpa_fd = -1;
	t->needs_reset = 0;
	if (t->vdpa) {
		t->vdpa_fd = find_vdpa_fd(t->dev->path);
		if (t->vdpa_fd < 0) {
			virtaccel_close(t->dev);
			t->dev = NULL;
			return -ENOENT;
		}
	}
	rt_mark(t);
	return 0;
}

/* Is @what in the back-end's log since the mark? */
static int log_has(struct rt *t, const char *what)
{
	char line[1024];
	int found = 0;
	FILE *f;

	f = fopen(t->log, "r");
	if (!f)
		return 0;
	if (fseek(f, t->log_off, SEEK_SET) == 0)
		while (!found && fgets(line, sizeof(line), f))
			found = !!strstr(line, what);
	fclose(f);
	return found;
}

void rt_close(struct rt *t)
{
	uint64_t end = now_us() + 2000000;

	if (!t->dev)
		return;
	virtaccel_close(t->dev);
	t->dev = NULL;
	/*
	 * vhost-user: the back-end serves one front-end at a time; let it
	 * finish with this one so that the next open is not refused.
	 */
	if (t->log && !t->vdpa)
		while (!log_has(t, "front-end disconnected") && now_us() < end)
			usleep(1000);
}

int rt_reopen(struct rt *t, size_t mem_size)
{
	rt_close(t);
	return rt_open(t, mem_size);
}

void rt_setd(struct vring_desc *d, uint64_t addr, uint32_t len,
	     uint16_t flags, uint16_t next)
{
	d->addr = htole64(addr);
	d->len = htole32(len);
	d->flags = htole16(flags);
	d->next = htole16(next);
}

void *rt_alloc(struct rt *t, size_t len, uint8_t fill)
{
	void *p = virtaccel_buf_alloc(t->dev, len ? len : 1);

	if (!p) {
		fprintf(stderr, "vaccel-robust: out of shared memory (%zu)\n",
			len);
		exit(2);
	}
	memset(p, fill, len);
	return p;
}

void rt_kick(struct rt *t, unsigned int vq)
{
	if (eventfd_write(t->dev->q[vq].kick_fd, 1) < 0 && errno != EAGAIN)
		perror("kick");
}

void rt_post(struct rt *t, unsigned int vq, uint16_t head)
{
	struct vring *vr = rt_vr(t, vq);

	__atomic_store_n(&vr->avail->ring[t->av[vq] % vr->num], htole16(head),
			 __ATOMIC_RELAXED);
	t->av[vq]++;
	__atomic_store_n(&vr->avail->idx, htole16(t->av[vq]),
			 __ATOMIC_RELEASE);
	rt_kick(t, vq);
}

void rt_mark(struct rt *t)
{
	FILE *f;

	if (!t->log)
		return;
	f = fopen(t->log, "r");
	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	t->log_off = ftell(f);
	fclose(f);
}

/* vhost-user: the back-end logs "queue N stopped at avail index I: WHY;" */
static int log_stopped(struct rt *t, unsigned int vq, char *why, size_t n)
{
	char tag[32];

	char line[1024];
	int found = 0;
	FILE *f;

	if (!t->log)
		return 0;
	f = fopen(t->log, "r");
	if (!f)
		return 0;
	if (fseek(f, t->log_off, SEEK_SET) == 0) {
		while (fgets(line, sizeof(line), f)) {
			char *p = strstr(line, " stopped at avail index ");
			char *w, *e;

			snprintf(tag, sizeof(tag), "queue %u stopped", vq);
			if (!p || !strstr(line, tag))
				continue;
			w = strchr(p, ':');
			e = w ? strstr(w, "; the driver") : NULL;
			if (!w || !e)
				continue;
			*e = 0;
			snprintf(why, n, "%s", w + 2);
			found = 1;
			break;
		}
	}
	fclose(f);
	return found;
}

/*
 * vDPA parents without the "broken" attribute: the errno of the last
 * "broken ring (ERRNO)" line in the kernel log (ratelimited: may be none).
 */
static int kmsg_ring_errno(void)
{
	char rec[2048], *p;
	int fd, err = 0;
	ssize_t n;

	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return 0;
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records */
		if (n <= 0)
			break;
		rec[n] = 0;
		p = strstr(rec, "broken ring (");
		if (p)
			err = atoi(p + strlen("broken ring ("));
	}
	close(fd);
	return err;
}

/*
 * Why the ring broke, as an errno: vhost-user, from the reason the back-end
 * logged (its walker's descriptions); vDPA, from vdpa_accel's sysfs
 * attribute "broken" of the device behind the vhost-vdpa node. 0: unknown.
 */
int rt_ring_errno(struct rt *t, const char *why)
{
	static const struct { const char *text; int err; } logged[] = {
		{ "descriptor loop, or a chain longer than the queue", -ELOOP },
		{ "head or next beyond the queue", -ERANGE },
		{ "bad indirect descriptor", -EINVAL },
		{ "readable descriptor after a writable one", -EPROTO },
		{ "address outside driver memory", -EFAULT },
		{ "total length above", -EOVERFLOW },
	};
	const char *node;
	char path[PATH_MAX];
	struct dirent *e;
	unsigned int i;
	DIR *d = NULL;
	int err = 0;
	FILE *f;

	if (!t->vdpa) {
		for (i = 0; i < sizeof(logged) / sizeof(logged[0]); i++)
			if (strstr(why, logged[i].text))
				return logged[i].err;
		return 0;
	}
	/* /sys/bus/vdpa/devices/NAME/vhost-vdpa-N: NAME/broken */
	node = strrchr(t->devstr, '/');
	d = opendir("/sys/bus/vdpa/devices");
	if (!node || !d)
		goto out;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/vdpa/devices/%s%s",
			 e->d_name, node);
		if (access(path, F_OK))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/vdpa/devices/%s/broken",
			 e->d_name);
		f = fopen(path, "r");
		if (!f)
			break;
		if (fscanf(f, "%d", &err) != 1)
			err = 0;
		fclose(f);
		closedir(d);
		return err;
	}
out:
	if (d)
		closedir(d);
	return kmsg_ring_errno();
}

int rt_stopped(struct rt *t, unsigned int vq, char *why, size_t n)
{
	uint8_t st = 0;

	if (t->vdpa) {
		/* device-wide: it says nothing about a queue once it is set */
		if (t->needs_reset)
			return 0;
		if (ioctl(t->vdpa_fd, VHOST_VDPA_GET_STATUS, &st) < 0)
			return 0;
		if (st & VIRTIO_CONFIG_S_NEEDS_RESET) {
			snprintf(why, n, "DEVICE_NEEDS_RESET");
			t->needs_reset = 1;
			return 1;
		}
		return 0;
	}
	return log_stopped(t, vq, why, n);
}

static int dev_gone(struct rt *t)
{
	struct pollfd p;
	int fd = t->dev->t->hup_fd ? t->dev->t->hup_fd(t->dev) : -1;

	if (fd < 0)
		return 0;
	p.fd = fd;
	p.events = POLLRDHUP;
	p.revents = 0;
	return poll(&p, 1, 0) > 0 &&
	       (p.revents & (POLLHUP | POLLRDHUP | POLLERR));
}

int rt_wait(struct rt *t, unsigned int vq, uint16_t want, int ms,
	    struct rt_out *o)
{
	struct vring *vr = rt_vr(t, vq);
	uint64_t start = now_us(), end = start + (uint64_t)ms * 1000, next = 0;

	for (;;) {
		uint16_t u = le16toh(__atomic_load_n(&vr->used->idx,
						     __ATOMIC_ACQUIRE));
		uint64_t now;

		if ((int16_t)(u - want) >= 0) {
			t->us[vq] = u;
			return 1;
		}
		now = now_us();
		if (now >= next) {
			if (rt_stopped(t, vq, o->detail, sizeof(o->detail)))
				return 0;
			if (dev_gone(t)) {
				snprintf(o->detail, sizeof(o->detail),
					 "the device closed the connection");
				return -2;
			}
			next = now + 5000;
		}
		if (now > end) {
			snprintf(o->detail, sizeof(o->detail),
				 "no completion and no stop after %d ms", ms);
			return -1;
		}
		usleep(now - start < 2000 ? 20 : 200);
	}
}
