/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The time-of-check/time-of-use test (issue 6, item 2): a driver posts
 * well-formed requests one at a time while a second thread keeps rewriting
 * what the device reads (descriptor table entries, the indirect table and
 * the descriptor naming it, the request header's opcode, algorithm,
 * session id, flags, key/IV/AAD/src/dst lengths and reserved bytes) until
 * the request completes. The device must read each field once; whatever it
 * read, every completion must have a defined status and a used length
 * within what the chain could have been, nothing may be written outside the
 * request's buffers, and a queue it stops must say so. Device-side
 * overruns are for the sanitizers (ASan, TSan) of the device build.
 *
 * The engine only sees two split rings (control, one data queue) and a
 * window of guest memory; tests/robust/robust.c runs it over a live device
 * (vhost-user, vhost-vdpa), tests/robust/toctou_inproc.c over the DPDK
 * back-end's own worker, walker and request code in one process.
 */
#ifndef TESTS_TOCTOU_H
#define TESTS_TOCTOU_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/virtio_ring.h>

struct tt_ring {
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	unsigned int num;
	uint16_t av;		/* avail index shadow */
};

struct tt_dev {
	struct tt_ring q[2];	/* 0: control queue, 1: data queue */
	uint8_t *mem;		/* guest memory the engine may use */
	size_t mem_len;
	uint64_t (*ga)(struct tt_dev *d, const void *p);
	uint64_t outside;	/* a guest address nothing is mapped at */
	uint32_t max_data_len;
	void (*kick)(struct tt_dev *d, unsigned int q);
	/* the device says it stopped a queue (NEEDS_RESET, its log) */
	int (*stopped)(struct tt_dev *d);
	/* reset the device; rings and memory may move: 0 or -errno */
	int (*reset)(struct tt_dev *d);
	void *priv;
};

struct tt_stats {
	unsigned long requests;
	unsigned long rewritten;	/* rewriter changed a field in flight */
	unsigned long status[8];
	unsigned long noresp;
	unsigned long stopped;
	unsigned long checked;		/* full output/status check applied */
	unsigned long violations;
};

/* Run for @seconds; returns 0 when no violation was seen. */
int tt_run(struct tt_dev *d, double seconds, unsigned int seed,
	   struct tt_stats *st);
void tt_print(const char *who, const struct tt_stats *st);

#endif /* TESTS_TOCTOU_H */
