// SPDX-License-Identifier: BSD-3-Clause
/*
 * vaccel-vhost-opener: a hostile /dev/vhost-vdpa-N opener against the
 * vdpa_accel parent (issue 10, defect 1). Its own ioctls, no library. It
 * checks that the device reaches exactly what the opener mapped, with the
 * permissions it mapped, from open to close and across resets:
 *
 *   A  maps nothing, names physical addresses (/proc/self/pagemap, and
 *      linux_banner from /proc/kallsyms + /proc/iomem) in its rings;
 *   B  maps, then resets (SET_STATUS 0) or closes and reopens, and names
 *      the old IOVAs or physical addresses;
 *   C  maps one page read-only and asks the device to write it (dst, the
 *      response with the status byte, the used ring);
 *   D  an honest opener is served afterwards.
 *
 * A request that reaches nothing must not complete with data: the queue
 * stops (DEVICE_NEEDS_RESET) or nothing completes, no byte of its buffers
 * changes and the kernel's text never appears in its memory.
 *
 * usage: vaccel-vhost-opener /dev/vhost-vdpa-N [--no-table]
 * (as root: pagemap, kallsyms)
 * Prints "ok N - ..." lines, one "robust-opener" line per case (for
 * docs/robustness.md, tests/robust/mktable.py) and
 * "vaccel-vhost-opener: N passed, N failed"; exit 0 when all pass.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include <linux/virtio_accel.h>

#include "vaccel-test.h"

#ifndef VHOST_BACKEND_F_IOTLB_PERSIST
#define VHOST_BACKEND_F_IOTLB_PERSIST 0x8
#endif

#define QNUM		16
#define QIDX		1		/* data queue 0 */
#define PG		4096u
#define NPAGES		16
#define WAIT_MS		5000		/* only a request nothing happens to waits it all */
#define SRC_LEN		64u
#define DST_LEN		SRC_LEN		/* NULL: dst_len = src_len */
#define BANNER		"Linux version"

/* one page each: rings and buffers never share a physical page */
enum { P_DESC, P_AVAIL, P_USED, P_HDR, P_SRC, P_DST, P_RO, P_SPARE };

enum outcome { COMPLETED, STOPPED, NOTHING, SETUP_FAILED };

static const char *const outcome_name[] = {
	"completed", "queue stopped, DEVICE_NEEDS_RESET", "no completion",
	"setup refused",
};

static uint8_t *mem;			/* NPAGES pages, locked */
static uint64_t banner_pa;		/* physical address of linux_banner */
static const char *node;
static int no_table;		/* --no-table: no robust-opener lines */
static int used_pg = P_USED;	/* where post() looks for completions */

static uint8_t *page(int i)
{
	return mem + (size_t)i * PG;
}

static uint64_t phys(const void *p)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);
	uintptr_t va = (uintptr_t)p;

	if (fd < 0)
		return 0;
	if (pread(fd, &e, 8, (off_t)(va / PG) * 8) != 8)
		e = 0;
	close(fd);
	if (!(e >> 63) || !(e & ((1ULL << 55) - 1)))
		return 0;		/* not present, or no PFN (not root) */
	return (e & ((1ULL << 55) - 1)) * PG + va % PG;
}

/* linux_banner's physical address: "Kernel code" in /proc/iomem is _text */
static uint64_t find_banner(void)
{
	unsigned long long a, b, text = 0, banner = 0, kcode = 0;
	char line[256], name[128], t;
	FILE *f;

	f = fopen("/proc/kallsyms", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %127s", &a, &t, name) != 3)
			continue;
		if (!strcmp(name, "_text"))
			text = a;
		else if (!strcmp(name, "linux_banner"))
			banner = a;
	}
	fclose(f);
	f = fopen("/proc/iomem", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "Kernel code") &&
		    sscanf(line, " %llx-%llx", &a, &b) == 2)
			kcode = a;
	}
	fclose(f);
	if (!text || !banner || !kcode || banner < text)
		return 0;
	return kcode + (banner - text);
}

struct dev {
	int fd;
	int kick;
	int call;
};

static void dev_close(struct dev *d)
{
	close(d->fd);
	close(d->kick);
	close(d->call);
	d->fd = -1;
}

/* Open, own, backend features; on failure nothing stays open. */
static int dev_open(struct dev *d, int persist)
{
	uint64_t bf;
	int e;

	d->fd = open(node, O_RDWR);
	if (d->fd < 0)
		return -1;
	d->kick = eventfd(0, EFD_NONBLOCK);
	d->call = eventfd(0, EFD_NONBLOCK);
	if (ioctl(d->fd, VHOST_SET_OWNER) ||
	    ioctl(d->fd, VHOST_GET_BACKEND_FEATURES, &bf))
		goto fail;
	if (persist && !(bf & (1ULL << VHOST_BACKEND_F_IOTLB_PERSIST))) {
		errno = EOPNOTSUPP;
		goto fail;
	}
	bf &= (1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2) |
	      (persist ? 1ULL << VHOST_BACKEND_F_IOTLB_PERSIST : 0);
	if (ioctl(d->fd, VHOST_SET_BACKEND_FEATURES, &bf))
		goto fail;
	return 0;
fail:
	e = errno;
	dev_close(d);
	errno = e;
	return -1;
}

static int iotlb(struct dev *d, const void *p, size_t len, uint8_t perm,
		 uint8_t type)
{
	struct vhost_msg_v2 msg;

	memset(&msg, 0, sizeof(msg));
	msg.type = VHOST_IOTLB_MSG_V2;
	msg.iotlb.iova = (uintptr_t)p;		/* IOVA = user address */
	msg.iotlb.size = len;
	msg.iotlb.uaddr = (uintptr_t)p;
	msg.iotlb.perm = perm;
	msg.iotlb.type = type;
	return write(d->fd, &msg, sizeof(msg)) == sizeof(msg) ? 0 : -1;
}

/* All of mem read-write, except P_RO with @ro_perm. */
static int map_all(struct dev *d, uint8_t ro_perm)
{
	return iotlb(d, mem, (size_t)P_RO * PG, VHOST_ACCESS_RW,
		     VHOST_IOTLB_UPDATE) ||
	       iotlb(d, page(P_RO), PG, ro_perm, VHOST_IOTLB_UPDATE) ||
	       iotlb(d, page(P_RO + 1), (size_t)(NPAGES - P_RO - 1) * PG,
		     VHOST_ACCESS_RW, VHOST_IOTLB_UPDATE);
}

static int open_mapped(struct dev *d, int persist, uint8_t ro_perm)
{
	if (dev_open(d, persist))
		return -1;
	if (map_all(d, ro_perm)) {
		printf("# IOTLB update: %s\n", strerror(errno));
		dev_close(d);
		return -1;
	}
	return 0;
}

static uint8_t get_status(struct dev *d)
{
	uint8_t st = 0xff;

	ioctl(d->fd, VHOST_VDPA_GET_STATUS, &st);
	return st;
}

/* Queue QIDX with its rings at @desc, @avail, @used (device addresses). */
static int start(struct dev *d, uint64_t desc, uint64_t avail, uint64_t used)
{
	struct vhost_vring_state num = { QIDX, QNUM }, base = { QIDX, 0 };
	struct vhost_vring_state en = { QIDX, 1 };
	struct vhost_vring_file kick = { QIDX, d->kick };
	struct vhost_vring_file call = { QIDX, d->call };
	struct vhost_vring_addr a = { 0 };
	uint64_t f = (1ULL << VIRTIO_F_VERSION_1) |
		     (1ULL << VIRTIO_F_ACCESS_PLATFORM) |
		     (1ULL << VIRTIO_ACCEL_F_STATELESS);
	uint8_t st;

	/* features again: a reset clears them */
	if (ioctl(d->fd, VHOST_SET_FEATURES, &f))
		return -1;
	a.index = QIDX;
	a.desc_user_addr = desc;
	a.avail_user_addr = avail;
	a.used_user_addr = used;
	if (ioctl(d->fd, VHOST_SET_VRING_NUM, &num) ||
	    ioctl(d->fd, VHOST_SET_VRING_ADDR, &a) ||
	    ioctl(d->fd, VHOST_SET_VRING_BASE, &base) ||
	    ioctl(d->fd, VHOST_SET_VRING_KICK, &kick) ||
	    ioctl(d->fd, VHOST_SET_VRING_CALL, &call))
		return -1;
	st = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
	     VIRTIO_CONFIG_S_FEATURES_OK;
	if (ioctl(d->fd, VHOST_VDPA_SET_STATUS, &st) ||
	    ioctl(d->fd, VHOST_VDPA_SET_VRING_ENABLE, &en))
		return -1;
	st |= VIRTIO_CONFIG_S_DRIVER_OK;
	return ioctl(d->fd, VHOST_VDPA_SET_STATUS, &st);
}

static int reset(struct dev *d)
{
	uint8_t st = 0;

	return ioctl(d->fd, VHOST_VDPA_SET_STATUS, &st);
}

/* Fresh pages: rings zero, buffers with a pattern, P_RO with its own. */
static void fill(void)
{
	memset(mem, 0, (size_t)P_HDR * PG);
	memset(page(P_HDR), 0, PG);
	memset(page(P_SRC), 0x5a, PG);
	memset(page(P_DST), 0xaa, PG);
	memset(page(P_RO), 0xc3, PG);
	memset(page(P_SPARE), 0x3c, (size_t)(NPAGES - P_SPARE) * PG);
}

struct req {
	uint64_t hdr, src, dst, resp;	/* device addresses; resp 0: in dst */
	uint32_t src_len;
};

/*
 * Post one NULL request (hdr, src readable; dst [, resp] writable), kick,
 * and wait until it completes, the queue stops or WAIT_MS pass.
 */
static enum outcome post(struct dev *d, const struct req *r,
			 uint32_t *used_len)
{
	struct vring_desc *desc = (void *)page(P_DESC);
	struct vring_avail *avail = (void *)page(P_AVAIL);
	struct vring_used *used = (void *)page(used_pg);
	struct virtio_accel_op_req *h = (void *)page(P_HDR);
	struct timespec ts = { 0, 2000000 };
	int n = 0, i;

	memset(h, 0, sizeof(*h));
	h->opcode = VIRTIO_ACCEL_OP_NULL;
	h->src_len = r->src_len;
	h->dst_len = DST_LEN;
	desc[n++] = (struct vring_desc){ r->hdr, sizeof(*h), 0, 0 };
	desc[n++] = (struct vring_desc){ r->src, r->src_len, 0, 0 };
	if (r->resp) {
		desc[n++] = (struct vring_desc){ r->dst, DST_LEN,
						 VRING_DESC_F_WRITE, 0 };
		desc[n++] = (struct vring_desc){
			r->resp, sizeof(struct virtio_accel_op_resp),
			VRING_DESC_F_WRITE, 0 };
	} else {
		desc[n++] = (struct vring_desc){
			r->dst, DST_LEN + sizeof(struct virtio_accel_op_resp),
			VRING_DESC_F_WRITE, 0 };
	}
	for (i = 0; i < n - 1; i++) {
		desc[i].flags |= VRING_DESC_F_NEXT;
		desc[i].next = i + 1;
	}
	avail->ring[0] = 0;
	__atomic_store_n(&avail->idx, 1, __ATOMIC_RELEASE);
	if (eventfd_write(d->kick, 1))
		return SETUP_FAILED;
	for (i = 0; i < WAIT_MS / 2; i++) {
		if (__atomic_load_n(&used->idx, __ATOMIC_ACQUIRE)) {
			*used_len = used->ring[0].len;
			return COMPLETED;
		}
		if (get_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET)
			break;
		nanosleep(&ts, NULL);
	}
	/* a little longer: a late completion would still be a reach */
	ts.tv_nsec = 100000000;
	nanosleep(&ts, NULL);
	if (__atomic_load_n(&used->idx, __ATOMIC_ACQUIRE)) {
		*used_len = used->ring[0].len;
		return COMPLETED;
	}
	return get_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET ? STOPPED : NOTHING;
}

static int all_eq(const uint8_t *p, uint8_t v, size_t n)
{
	while (n--)
		if (*p++ != v)
			return 0;
	return 1;
}

static int banner_seen(void)
{
	return !!memmem(mem, (size_t)NPAGES * PG, BANNER, strlen(BANNER));
}

/* One "robust-opener" line for docs/robustness.md, and the ok line. */
static void report(const char *id, const char *what, const char *expect,
		   int pass, const char *observed)
{
	if (!no_table)
		printf("robust-opener case=%s result=%s | what=%s | expect=%s | observed=%s\n",
		       id, pass ? "pass" : "FAIL", what, expect, observed);
	printf("# %s: %s\n", id, observed);
	tap(pass, what);
}

#define EXPECT_NONE "nothing reached: no completion or the queue stopped; " \
		    "no byte of its pages changed"

/*
 * An attack that must reach nothing: @o is its outcome, @guard the page
 * that must keep its pattern (besides dst and the used ring).
 */
static void nothing_reached(const char *id, const char *what,
			    enum outcome o, int guard, uint8_t pat)
{
	char obs[256];
	int clean = all_eq(page(P_DST), 0xaa, PG) &&
		    !((struct vring_used *)page(P_USED))->idx &&
		    (guard < 0 || all_eq(page(guard), pat, PG));
	int banner = banner_seen();

	snprintf(obs, sizeof(obs), "%s; %s%s", outcome_name[o],
		 clean ? "nothing written" : "its pages were WRITTEN",
		 banner ? "; the kernel's text landed in its buffer" : "");
	report(id, what, EXPECT_NONE, o != COMPLETED && o != SETUP_FAILED &&
	       clean && !banner, obs);
}

static void physical_attack(const char *id, const char *what,
			    struct dev *d, int banner)
{
	struct req r = { 0 };
	enum outcome o;
	uint32_t ul = 0;

	fill();
	r.hdr = phys(page(P_HDR));
	r.src = banner && banner_pa ? banner_pa : phys(page(P_SRC));
	r.dst = phys(page(P_DST));
	r.src_len = SRC_LEN;
	printf("# %s: desc 0x%llx src 0x%llx dst 0x%llx\n", id,
	       (unsigned long long)phys(page(P_DESC)),
	       (unsigned long long)r.src, (unsigned long long)r.dst);
	if (start(d, phys(page(P_DESC)), phys(page(P_AVAIL)),
		  phys(page(P_USED))))
		o = NOTHING;	/* refusing the rings is fine */
	else
		o = post(d, &r, &ul);
	nothing_reached(id, what, o, -1, 0);
}

/* The honest request: everything mapped, IOVA = user address. */
static enum outcome honest(struct dev *d, uint32_t *ul)
{
	struct req r = { 0 };

	fill();
	r.hdr = (uintptr_t)page(P_HDR);
	r.src = (uintptr_t)page(P_SRC);
	r.dst = (uintptr_t)page(P_DST);
	r.src_len = SRC_LEN;
	if (start(d, (uintptr_t)page(P_DESC), (uintptr_t)page(P_AVAIL),
		  (uintptr_t)page(P_USED)))
		return SETUP_FAILED;
	return post(d, &r, ul);
}

static int honest_ok(enum outcome o, uint32_t ul)
{
	struct virtio_accel_op_resp *resp =
		(void *)(page(P_DST) + DST_LEN);

	if (o == COMPLETED)
		printf("# honest request: used len %u, status %u, dst_used %u\n",
		       ul, resp->status, resp->dst_used);
	else
		printf("# honest request: %s\n", outcome_name[o]);
	return o == COMPLETED &&
	       ul == DST_LEN + sizeof(*resp) && resp->status == VIRTIO_ACCEL_OK &&
	       resp->dst_used == SRC_LEN && all_eq(page(P_DST), 0x5a, SRC_LEN);
}

/* Rings mapped honestly, one buffer at a physical address: unmapped. */
static void mapped_but(const char *id, const char *what, int dst)
{
	struct req r = { 0 };
	struct dev d;
	enum outcome o;
	uint32_t ul = 0;

	if (open_mapped(&d, 0, VHOST_ACCESS_RW)) {
		tap(0, "A3/A4 open and map");
		return;
	}
	fill();
	r.hdr = (uintptr_t)page(P_HDR);
	r.src = (uintptr_t)page(P_SRC);
	r.dst = (uintptr_t)page(P_DST);
	r.src_len = SRC_LEN;
	if (dst)
		r.dst = phys(page(P_SPARE));	/* its own page, by address */
	else if (banner_pa)
		r.src = banner_pa;
	if (start(&d, (uintptr_t)page(P_DESC), (uintptr_t)page(P_AVAIL),
		  (uintptr_t)page(P_USED)))
		o = NOTHING;
	else
		o = post(&d, &r, &ul);
	nothing_reached(id, what, o, P_SPARE, 0x3c);
	dev_close(&d);
}

static void opener_a(void)
{
	struct dev d;

	if (dev_open(&d, 0)) {
		tap(0, "A1 open");
		return;
	}
	physical_attack("A1", "maps nothing; rings, buffers at physical addresses of its pages",
			&d, 0);
	dev_close(&d);
	if (!banner_pa) {
		tap(0, "A2 linux_banner's physical address (kallsyms, iomem)");
		return;
	}
	if (dev_open(&d, 0)) {
		tap(0, "A2 open");
		return;
	}
	physical_attack("A2", "maps nothing; src = physical address of linux_banner",
			&d, 1);
	dev_close(&d);
	mapped_but("A3", "maps its memory, rings there; src = physical address of linux_banner",
		   0);
	mapped_but("A4", "maps its memory, rings there; dst = physical address of one of its pages",
		   1);
}

static void opener_b(void)
{
	struct dev d;
	enum outcome o;
	uint32_t ul = 0;
	struct req r = { 0 };

	/* B1: map, serve, reset, the same IOVAs again */
	if (open_mapped(&d, 0, VHOST_ACCESS_RW)) {
		tap(0, "B1 open and map");
		return;
	}
	o = honest(&d, &ul);
	tap(honest_ok(o, ul), "B1 the mapped request is served before the reset");
	if (reset(&d)) {
		tap(0, "B1 reset");
		dev_close(&d);
		return;
	}
	fill();
	r.hdr = (uintptr_t)page(P_HDR);
	r.src = (uintptr_t)page(P_SRC);
	r.dst = (uintptr_t)page(P_DST);
	r.src_len = SRC_LEN;
	if (start(&d, (uintptr_t)page(P_DESC), (uintptr_t)page(P_AVAIL),
		  (uintptr_t)page(P_USED)))
		o = NOTHING;
	else
		o = post(&d, &r, &ul);
	nothing_reached("B1", "maps, is served, resets (CLEAN_MAP), then its old IOVAs",
			o, -1, 0);
	/* B2: the same open file, physical addresses after the reset */
	if (reset(&d)) {
		tap(0, "B2 reset");
		dev_close(&d);
		return;
	}
	physical_attack("B2", "maps, resets, then the physical addresses of its own pages",
			&d, 0);
	dev_close(&d);

	/* B3: close after mapping; the next opener maps nothing */
	if (open_mapped(&d, 0, VHOST_ACCESS_RW)) {
		tap(0, "B3 open and map");
		return;
	}
	o = honest(&d, &ul);
	tap(honest_ok(o, ul), "B3 the first opener is served");
	dev_close(&d);
	if (dev_open(&d, 0)) {
		tap(0, "B3 reopen");
		return;
	}
	physical_attack("B3", "maps, closes; the next opener maps nothing, physical addresses",
			&d, 1);
	dev_close(&d);

	/* B4: IOTLB_PERSIST: the map survives a reset, the identity does not */
	if (dev_open(&d, 1)) {
		printf("# B4 skipped: IOTLB_PERSIST not offered (%s)\n",
		       strerror(errno));
		return;
	}
	if (map_all(&d, VHOST_ACCESS_RW)) {
		tap(0, "B4 map");
		dev_close(&d);
		return;
	}
	o = honest(&d, &ul);
	tap(honest_ok(o, ul), "B4 served before the reset (IOTLB_PERSIST)");
	reset(&d);
	o = honest(&d, &ul);
	tap(honest_ok(o, ul),
	    "B4 IOTLB_PERSIST: the opener's own map still serves after a reset");
	reset(&d);
	physical_attack("B4", "IOTLB_PERSIST negotiated, maps, resets, then physical addresses",
			&d, 1);
	dev_close(&d);
}

/* C: one page mapped read-only; the device is asked to write it. */
static void readonly(const char *id, const char *what, int where)
{
	struct req r = { 0 };
	struct dev d;
	enum outcome o;
	uint32_t ul = 0;
	uint8_t ro_pat;

	if (open_mapped(&d, 0, VHOST_ACCESS_RO)) {
		tap(0, "C open and map");
		return;
	}
	fill();
	/* the used ring must start as one (index 0) */
	ro_pat = where == 2 ? 0 : 0xc3;
	memset(page(P_RO), ro_pat, PG);
	r.hdr = (uintptr_t)page(P_HDR);
	r.src = (uintptr_t)page(P_SRC);
	r.dst = (uintptr_t)page(P_DST);
	r.src_len = SRC_LEN;
	if (where == 0)
		r.dst = (uintptr_t)page(P_RO);
	else if (where == 1)
		r.resp = (uintptr_t)page(P_RO) + 64;
	else
		used_pg = P_RO;
	if (start(&d, (uintptr_t)page(P_DESC), (uintptr_t)page(P_AVAIL),
		  (uintptr_t)page(used_pg)))
		o = NOTHING;
	else
		o = post(&d, &r, &ul);
	used_pg = P_USED;
	{
		char obs[256];
		int ro_clean = all_eq(page(P_RO), ro_pat, PG);

		/* C3 may write dst (mapped RW); the used ring is what counts */
		snprintf(obs, sizeof(obs), "%s; read-only page %s",
			 outcome_name[o],
			 ro_clean ? "unchanged" : "WRITTEN");
		report(id, what,
		       "refused: the read-only page unchanged, nothing completes",
		       o != COMPLETED && ro_clean &&
		       (where == 2 || all_eq(page(P_DST), 0xaa, PG)), obs);
	}
	dev_close(&d);
}

int main(int argc, char **argv)
{
	struct dev d;
	enum outcome o;
	uint32_t ul = 0;

	node = argc > 1 ? argv[1] : "/dev/vhost-vdpa-0";
	no_table = argc > 2 && !strcmp(argv[2], "--no-table");
	setvbuf(stdout, NULL, _IOLBF, 0);
	mem = mmap(NULL, (size_t)NPAGES * PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (mem == MAP_FAILED || mlock(mem, (size_t)NPAGES * PG)) {
		printf("not ok 1 - mmap/mlock: %s\n", strerror(errno));
		return 1;
	}
	memset(mem, 0, (size_t)NPAGES * PG);
	tap(phys(mem) != 0, "physical addresses from /proc/self/pagemap");
	banner_pa = find_banner();
	printf("# linux_banner at physical 0x%llx\n",
	       (unsigned long long)banner_pa);

	opener_a();
	opener_b();
	readonly("C1", "one page mapped read-only (VHOST_ACCESS_RO); dst of a NULL request in it",
		 0);
	readonly("C2", "the response (status byte) in the read-only page", 1);
	readonly("C3", "the used ring (element and index) in the read-only page",
		 2);

	/* D: after all of it, an honest opener is served */
	if (open_mapped(&d, 0, VHOST_ACCESS_RW)) {
		tap(0, "D open and map");
	} else {
		o = honest(&d, &ul);
		report("D1", "afterwards an honest opener maps and sends a NULL request",
		       "served: OK, dst = src, used len = dst + response",
		       honest_ok(o, ul),
		       honest_ok(o, ul) ? "served: OK, dst = src" :
		       outcome_name[o]);
		dev_close(&d);
	}
	return tap_finish("vaccel-vhost-opener");
}
