/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Memory shared with the device: one mapping (a memfd when the back-end
 * maps it by fd, anonymous memory otherwise), a region reserved for rings
 * and per-request slots, and a buddy heap for buffers. Allocator metadata
 * is private; the device can write the whole region.
 */
#ifndef VIRTACCEL_SHM_H
#define VIRTACCEL_SHM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHM_MIN_SHIFT 10 /* smallest heap block: 1 KiB */
#define SHM_MAX_ORDER 40

struct shm {
	int fd; /* -1 for anonymous memory */
	uint8_t *base;
	size_t size;
	uint64_t iova; /* device address of base (default: base itself) */
	/* heap */
	pthread_mutex_t lock;
	uint8_t *heap;
	size_t heap_size;
	uint32_t nblk;
	uint8_t *state; /* per block: order | SHM_FREE / SHM_USED */
	uint32_t *fnext;
	uint32_t *fprev;
	uint32_t fhead[SHM_MAX_ORDER];
	size_t in_use;
};

/* @with_fd: a memfd the back-end can map; else anonymous memory. */
int shm_create(struct shm *s, size_t size, bool with_fd);
void shm_destroy(struct shm *s);
/* Turn [off, size) of the mapping into the heap. */
int shm_heap_init(struct shm *s, size_t off);
void *shm_alloc(struct shm *s, size_t len);
void shm_free(struct shm *s, void *p);
/* Largest single allocation the heap could ever satisfy. */
size_t shm_max_alloc(const struct shm *s);

static inline bool shm_contains(const struct shm *s, const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p, b = (uintptr_t)s->base;

	return a >= b && a - b <= s->size && len <= s->size - (a - b);
}

/*
 * Device address of shared memory: by default the mapping address (DPDK
 * style); a transport may move the window (vhost-vdpa IOVA range).
 */
static inline uint64_t shm_iova(const struct shm *s, const void *p)
{
	return s->iova + (uint64_t)((const uint8_t *)p - s->base);
}

#endif /* VIRTACCEL_SHM_H */
