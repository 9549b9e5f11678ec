/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vaccel-robust: a driver that writes arbitrary descriptors. It opens the
 * device with libvirtaccel (vhost-user or vhost-vdpa: the library's own
 * transport code does features, memory, rings and DRIVER_OK) and then,
 * through the library's internal view of its queues, writes descriptor
 * tables, avail rings and indexes by hand. Shared by the malformed-input
 * table (robust.c) and the time-of-check/time-of-use test (toctou.c).
 */
#ifndef TESTS_ROBUST_H
#define TESTS_ROBUST_H

#include <stdint.h>
#include <linux/virtio_ring.h>

#include "internal.h"

/* What a request came to. */
enum rt_kind {
	RT_STATUS,	/* completed with used len = wr_len and a status */
	RT_NORESP,	/* completed with used len 0, buffers untouched */
	RT_STOPPED,	/* not completed: the device stopped the queue */
	RT_TIMEOUT,	/* not completed, and no sign of a stop */
	RT_DEAD,	/* the device went away */
	RT_BAD,		/* completed in a way the spec does not allow */
};

struct rt_out {
	enum rt_kind kind;
	uint8_t status;
	uint32_t used_len;
	char detail[200];
};

struct rt {
	struct virtaccel_dev *dev;
	const char *devstr;
	int vdpa;		/* vhost-vdpa: NEEDS_RESET readable */
	int vdpa_fd;		/* the library's /dev/vhost-vdpa-N fd */
	int needs_reset;	/* NEEDS_RESET seen since the open */
	const char *log;	/* vhost-user: the back-end's log */
	long log_off;
	unsigned int qsize;
	size_t mem_size;
	uint16_t av[3];		/* avail index shadows */
	uint16_t us[3];		/* used index seen */
};

int rt_open(struct rt *t, size_t mem_size);
int rt_ring_errno(struct rt *t, const char *why);
void rt_close(struct rt *t);
int rt_reopen(struct rt *t, size_t mem_size);

static inline struct vring *rt_vr(struct rt *t, unsigned int vq)
{
	return &t->dev->q[vq].vq.vr;
}

static inline uint64_t rt_ga(struct rt *t, const void *p)
{
	return shm_iova(&t->dev->shm, p);
}

void rt_setd(struct vring_desc *d, uint64_t addr, uint32_t len,
	     uint16_t flags, uint16_t next);
void *rt_alloc(struct rt *t, size_t len, uint8_t fill);
void rt_kick(struct rt *t, unsigned int vq);
/* Make @head available on @vq and kick. */
void rt_post(struct rt *t, unsigned int vq, uint16_t head);
/*
 * Has the device said it stopped queue @vq (its log), or itself
 * (NEEDS_RESET, once per open)? Fills @why.
 */
int rt_stopped(struct rt *t, unsigned int vq, char *why, size_t n);
/* Note where the back-end's log ends, before a request. */
void rt_mark(struct rt *t);
/*
 * Wait until the used index reaches @want (1), the device stops the queue
 * (0, why in @o->detail) or @ms pass (-1). Device gone: -2.
 */
int rt_wait(struct rt *t, unsigned int vq, uint16_t want, int ms,
	    struct rt_out *o);

#endif /* TESTS_ROBUST_H */
