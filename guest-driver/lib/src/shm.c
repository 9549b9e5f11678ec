// SPDX-License-Identifier: BSD-3-Clause
/*
 * Shared memory: memfd or anonymous mapping + buddy allocator with private
 * metadata.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shm.h"

#define NIL UINT32_MAX
#define SHM_FREE 0x80
#define SHM_USED 0x40
#define ORDER_MASK 0x3f

int shm_create(struct shm *s, size_t size, bool with_fd)
{
	long pg = sysconf(_SC_PAGESIZE);
	int ret;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (pg <= 0)
		pg = 4096;
	size = (size + (size_t)pg - 1) & ~((size_t)pg - 1);
	if (!size)
		return -EINVAL;
	if (!with_fd) {
		s->base = mmap(NULL, size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (s->base == MAP_FAILED) {
			s->base = NULL;
			return -errno;
		}
		/* pinned for DMA: a child must not share it copy-on-write */
		madvise(s->base, size, MADV_DONTFORK);
		goto mapped;
	}
	s->fd = memfd_create("virtaccel", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (s->fd < 0)
		return -errno;
	/*
	 * Sealed at its size: a vhost-user back-end maps it and refuses
	 * memory it could lose under its feet (a shrunk file faults).
	 */
	if (ftruncate(s->fd, (off_t)size) < 0 ||
	    fcntl(s->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0) {
		ret = -errno;
		goto err_close;
	}
	s->base =
		mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
	if (s->base == MAP_FAILED) {
		ret = -errno;
		s->base = NULL;
		goto err_close;
	}
mapped:
	s->size = size;
	s->iova = (uint64_t)(uintptr_t)s->base;
	ret = pthread_mutex_init(&s->lock, NULL);
	if (ret) {
		ret = -ret;
		goto err_unmap;
	}
	return 0;

err_unmap:
	munmap(s->base, size);
	s->base = NULL;
err_close:
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	return ret;
}

void shm_destroy(struct shm *s)
{
	if (s->base) {
		munmap(s->base, s->size);
		pthread_mutex_destroy(&s->lock);
	}
	if (s->fd >= 0)
		close(s->fd);
	free(s->state);
	free(s->fnext);
	free(s->fprev);
	s->state = NULL;
	s->fnext = NULL;
	s->fprev = NULL;
	s->base = NULL;
	s->fd = -1;
}

static void list_push(struct shm *s, uint32_t blk, unsigned int order)
{
	s->fprev[blk] = NIL;
	s->fnext[blk] = s->fhead[order];
	if (s->fhead[order] != NIL)
		s->fprev[s->fhead[order]] = blk;
	s->fhead[order] = blk;
	s->state[blk] = SHM_FREE | order;
}

static void list_del(struct shm *s, uint32_t blk, unsigned int order)
{
	if (s->fprev[blk] != NIL)
		s->fnext[s->fprev[blk]] = s->fnext[blk];
	else
		s->fhead[order] = s->fnext[blk];
	if (s->fnext[blk] != NIL)
		s->fprev[s->fnext[blk]] = s->fprev[blk];
	s->state[blk] = 0;
}

int shm_heap_init(struct shm *s, size_t off)
{
	uint32_t pos = 0;
	unsigned int k;

	off = (off + (1u << SHM_MIN_SHIFT) - 1) &
	      ~((size_t)(1u << SHM_MIN_SHIFT) - 1);
	if (off >= s->size)
		return -ENOMEM;
	s->heap = s->base + off;
	s->nblk = (uint32_t)((s->size - off) >> SHM_MIN_SHIFT);
	if (!s->nblk)
		return -ENOMEM;
	s->heap_size = (size_t)s->nblk << SHM_MIN_SHIFT;
	s->state = calloc(s->nblk, 1);
	s->fnext = calloc(s->nblk, sizeof(*s->fnext));
	s->fprev = calloc(s->nblk, sizeof(*s->fprev));
	if (!s->state || !s->fnext || !s->fprev)
		return -ENOMEM;
	for (k = 0; k < SHM_MAX_ORDER; k++)
		s->fhead[k] = NIL;
	while (pos < s->nblk) {
		k = 0;
		while (k + 1 < SHM_MAX_ORDER &&
		       !(pos & ((1u << (k + 1)) - 1)) &&
		       (uint64_t)pos + (2ull << k) <= s->nblk)
			k++;
		list_push(s, pos, k);
		pos += 1u << k;
	}
	return 0;
}

size_t shm_max_alloc(const struct shm *s)
{
	unsigned int k = 0;

	while (k + 1 < SHM_MAX_ORDER && (2ull << k) <= s->nblk)
		k++;
	return s->nblk ? (size_t)1 << (k + SHM_MIN_SHIFT) : 0;
}

void *shm_alloc(struct shm *s, size_t len)
{
	unsigned int k = 0, j;
	uint32_t blk;

	if (!s->nblk)
		return NULL;
	if (!len)
		len = 1;
	while (k < SHM_MAX_ORDER && ((size_t)1 << (k + SHM_MIN_SHIFT)) < len)
		k++;
	if (k >= SHM_MAX_ORDER)
		return NULL;
	pthread_mutex_lock(&s->lock);
	for (j = k; j < SHM_MAX_ORDER; j++)
		if (s->fhead[j] != NIL)
			break;
	if (j >= SHM_MAX_ORDER) {
		pthread_mutex_unlock(&s->lock);
		return NULL;
	}
	blk = s->fhead[j];
	list_del(s, blk, j);
	while (j > k) {
		j--;
		list_push(s, blk + (1u << j), j);
	}
	s->state[blk] = SHM_USED | k;
	s->in_use += (size_t)1 << (k + SHM_MIN_SHIFT);
	pthread_mutex_unlock(&s->lock);
	return s->heap + ((size_t)blk << SHM_MIN_SHIFT);
}

void shm_free(struct shm *s, void *p)
{
	uintptr_t off;
	uint32_t blk, buddy;
	unsigned int k;

	if (!p || !s->nblk)
		return;
	if ((uint8_t *)p < s->heap)
		return;
	off = (uintptr_t)((uint8_t *)p - s->heap);
	if (off >= s->heap_size || (off & ((1u << SHM_MIN_SHIFT) - 1)))
		return;
	blk = (uint32_t)(off >> SHM_MIN_SHIFT);
	pthread_mutex_lock(&s->lock);
	if (!(s->state[blk] & SHM_USED)) {
		/* not an allocation: ignore rather than corrupt the heap */
		pthread_mutex_unlock(&s->lock);
		return;
	}
	k = s->state[blk] & ORDER_MASK;
	s->in_use -= (size_t)1 << (k + SHM_MIN_SHIFT);
	s->state[blk] = 0;
	while (k + 1 < SHM_MAX_ORDER) {
		buddy = blk ^ (1u << k);
		if ((uint64_t)buddy + (1u << k) > s->nblk ||
		    s->state[buddy] != (SHM_FREE | k))
			break;
		list_del(s, buddy, k);
		if (buddy < blk)
			blk = buddy;
		k++;
	}
	list_push(s, blk, k);
	pthread_mutex_unlock(&s->lock);
}
