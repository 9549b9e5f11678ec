// SPDX-License-Identifier: BSD-3-Clause
/*
 * PCI engines: a device the EAL probed, found by its driver's name, and
 * guest memory registered for device DMA.
 *
 * --crypto-pmd / --compress-pmd NAME: a device named NAME, else the first
 * device whose driver is NAME (crypto_qat, compress_qat: probed from PCI
 * when named after "--" with -a BDF; or an EAL --vdev), else the engine
 * creates the virtual device NAME as before.
 *
 * The engines hand the device virtual addresses (IOVA as VA: external
 * mbufs laid over guest memory and the staging buffers). A device on PCI
 * (vfio-pci behind an IOMMU) can reach guest memory only once it is
 * registered with DPDK (rte_extmem_register(), no IOVA table: IOVA as VA)
 * and mapped into the device's IOMMU domain (rte_dev_dma_map(): for a VFIO
 * device, DPDK's default container, which every device the EAL probes
 * shares: one mapping serves all of them, and mapping the same range twice
 * in one container is what librte_eal cannot undo cleanly, so the mapping
 * goes through the first PCI engine only). As lib/vhost's async path
 * (async_dma_map() in vhost_user.c) maps at SET_MEM_TABLE and unmaps
 * before the regions are unmapped, here each memory table is registered
 * when the worker re-reads it (va_dev_refresh(), the worker parked), and
 * unregistered before a SET_MEM_TABLE reaches librte_vhost (which unmaps
 * the old regions) and when the device stops or the front-end goes. The
 * state is per device (struct va_dev), the engines' PCI device global.
 *
 * Without a PCI engine nothing is registered (logged once at start), unless
 * --test-dma-register: then rte_extmem_register()/unregister() run without
 * a device mapping, so that tests can follow registrations on a machine
 * with no PCI engine. Each registration and unregistration is logged with
 * the number of external memory segment lists DPDK holds (read from DPDK,
 * rte_memseg_list_walk()): 0 whenever no front-end is connected.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_bus.h>
#include <rte_compressdev.h>
#include <rte_cryptodev.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_eal_memconfig.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_memory.h>
#include <rte_vhost.h>

#include "backend.h"

#define VA_DMA_MAX_REGIONS	8	/* VHOST_MEMORY_MAX_NREGIONS */
#define VA_DMA_MAX_PAGE		(1ul << 30)

struct va_dma_reg {
	void *addr;
	size_t len;
	int mapped;			/* rte_dev_dma_map() done */
};

struct va_dma {
	unsigned int n;
	uint64_t bytes;
	struct va_dma_reg r[VA_DMA_MAX_REGIONS];
};

static struct rte_device *dma_dev;	/* mapping goes through it; NULL: none */
static int dma_on;			/* register at all */

static int dev_on_pci(const struct rte_device *dev)
{
	const struct rte_bus *bus = dev ? rte_dev_bus(dev) : NULL;

	return bus && !strcmp(rte_bus_name(bus), "pci");
}

static const char *bus_of(const struct rte_device *dev)
{
	const struct rte_bus *bus = dev ? rte_dev_bus(dev) : NULL;

	return bus ? rte_bus_name(bus) : "?";
}

int va_dma_cryptodev(const char *drv)
{
	struct rte_cryptodev_info info;
	unsigned int id;

	for (id = 0; id < RTE_CRYPTO_MAX_DEVS; id++) {
		if (!rte_cryptodev_is_valid_dev((uint8_t)id))
			continue;
		memset(&info, 0, sizeof(info));
		rte_cryptodev_info_get((uint8_t)id, &info);
		if (!info.driver_name || strcmp(info.driver_name, drv))
			continue;
		VA_INFO("--crypto-pmd %s: cryptodev %u (%s on the %s bus), the first of that driver",
			drv, id, rte_cryptodev_name_get((uint8_t)id),
			bus_of(info.device));
		return (int)id;
	}
	return -1;
}

int va_dma_compressdev(const char *drv)
{
	struct rte_compressdev_info info;
	unsigned int id, n = rte_compressdev_count();

	for (id = 0; id < n && id < RTE_COMPRESS_MAX_DEVS; id++) {
		memset(&info, 0, sizeof(info));
		rte_compressdev_info_get((uint8_t)id, &info);
		if (!info.driver_name || strcmp(info.driver_name, drv))
			continue;
		VA_INFO("--compress-pmd %s: compressdev %u (%s), the first of that driver",
			drv, id, rte_compressdev_name_get((uint8_t)id));
		return (int)id;
	}
	return -1;
}

/*
 * struct rte_compressdev_info has no device: a PCI PMD names its
 * compressdev after the PCI device ("0000:3d:01.0_qat_comp").
 */
static struct rte_device *compressdev_pci(int id)
{
	const char *name = rte_compressdev_name_get((uint8_t)id);
	struct rte_dev_iterator it;
	struct rte_device *dev;

	if (!name)
		return NULL;
	RTE_DEV_FOREACH(dev, "bus=pci", &it) {
		const char *dn = rte_dev_name(dev);

		if (dn && !strncmp(name, dn, strlen(dn)))
			return dev;
	}
	return NULL;
}

int va_dma_init(void)
{
	struct rte_device *devs[2] = { NULL, NULL };
	struct rte_cryptodev_info info;
	int id;

	id = va_crypto_dev_id();
	if (id >= 0) {
		memset(&info, 0, sizeof(info));
		rte_cryptodev_info_get((uint8_t)id, &info);
		if (dev_on_pci(info.device))
			devs[0] = info.device;
	}
	id = va_comp_dev_id();
	if (id >= 0)
		devs[1] = compressdev_pci(id);
	dma_dev = devs[0] ? devs[0] : devs[1];
	if (!dma_dev) {
		dma_on = va_opts.test_dma_register;
		VA_INFO("dma: no PCI engine in use: guest memory is not registered for device DMA%s",
			dma_on ? " (--test-dma-register: registered with rte_extmem_register() all the same, no device mapping)" :
				 "");
		return 0;
	}
	if (rte_eal_iova_mode() != RTE_IOVA_VA) {
		VA_ERR("dma: the PCI engine %s needs IOVA as VA (the engines give it virtual addresses), the EAL chose PA: bind it to vfio-pci with an IOMMU, or add -- --iova-mode=va",
		       rte_dev_name(dma_dev));
		dma_dev = NULL;
		return -1;
	}
	dma_on = 1;
	VA_INFO("dma: PCI engine in use: %s%s%s: guest memory is registered for device DMA (IOVA as VA, mapped through %s)",
		devs[0] ? rte_dev_name(devs[0]) : "",
		devs[0] && devs[1] && devs[1] != devs[0] ? ", " : "",
		devs[1] && devs[1] != devs[0] ? rte_dev_name(devs[1]) : "",
		rte_dev_name(dma_dev));
	return 0;
}

static int count_ext(const struct rte_memseg_list *msl, void *arg)
{
	if (msl->external)
		++*(unsigned int *)arg;
	return 0;
}

/* External memory segment lists DPDK holds (every front-end's). */
static unsigned int ext_lists(void)
{
	unsigned int n = 0;

	rte_memseg_list_walk(count_ext, &n);
	return n;
}

/*
 * The page size given to rte_extmem_register(): the largest power of two
 * (up to 1 GiB) both the mapping's address and its length are multiples
 * of. librte_vhost maps each region whole, aligned to its file's block
 * size (the huge page size on hugetlbfs). With IOVA as VA and no IOVA
 * table it only sets the granularity of DPDK's segment list.
 */
static size_t reg_page(uintptr_t a, size_t len)
{
	long ps = sysconf(_SC_PAGESIZE);
	size_t p = ps > 0 ? (size_t)ps : 4096;

	while (p < VA_DMA_MAX_PAGE && !((a | len) & (2 * p - 1)))
		p *= 2;
	return p;
}

static void dma_undo(struct va_dma *st)
{
	unsigned int i;

	for (i = st->n; i-- > 0;) {
		struct va_dma_reg *r = &st->r[i];

		if (r->mapped &&
		    rte_dev_dma_unmap(dma_dev, r->addr,
				      (uint64_t)(uintptr_t)r->addr, r->len) < 0)
			VA_ERR("dma: rte_dev_dma_unmap(%p, %zu): %s", r->addr,
			       r->len, rte_strerror(rte_errno));
		if (rte_extmem_unregister(r->addr, r->len) < 0)
			VA_ERR("dma: rte_extmem_unregister(%p, %zu): %s",
			       r->addr, r->len, rte_strerror(rte_errno));
	}
	st->n = 0;
}

static int dma_register(struct va_dev *d)
{
	const struct rte_vhost_memory *m = d->mem;
	struct va_dma *st;
	unsigned int i;

	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	for (i = 0; i < m->nregions && i < VA_DMA_MAX_REGIONS; i++) {
		const struct rte_vhost_mem_region *g = &m->regions[i];
		struct va_dma_reg *r = &st->r[st->n];

		if (!g->mmap_addr || !g->mmap_size)
			continue;
		r->addr = g->mmap_addr;
		r->len = g->mmap_size;
		if (rte_extmem_register(r->addr, r->len, NULL, 0,
					reg_page((uintptr_t)r->addr,
						 r->len)) < 0) {
			VA_ERR("dma: region %u (%zu bytes at %p): rte_extmem_register: %s",
			       i, r->len, r->addr, rte_strerror(rte_errno));
			goto out_undo;
		}
		st->n++;
		st->bytes += r->len;
		if (!dma_dev)
			continue;
		if (rte_dev_dma_map(dma_dev, r->addr,
				    (uint64_t)(uintptr_t)r->addr, r->len) < 0) {
			VA_ERR("dma: region %u (%zu bytes at %p): rte_dev_dma_map(%s): %s",
			       i, r->len, r->addr, rte_dev_name(dma_dev),
			       rte_strerror(rte_errno));
			goto out_undo;
		}
		r->mapped = 1;
	}
	d->dma = st;
	VA_INFO("dma: vid %d: %u memory regions (%llu KiB) registered%s (%u external memory segment lists in DPDK)",
		d->vid, st->n, (unsigned long long)(st->bytes >> 10),
		dma_dev ? " and mapped for device DMA" : "", ext_lists());
	return 0;

out_undo:
	dma_undo(st);
	free(st);
	return -EIO;
}

/* Does @st cover exactly the regions of @m? */
static int dma_same(const struct va_dma *st, const struct rte_vhost_memory *m)
{
	unsigned int i, k = 0;

	for (i = 0; i < m->nregions && i < VA_DMA_MAX_REGIONS; i++) {
		const struct rte_vhost_mem_region *g = &m->regions[i];

		if (!g->mmap_addr || !g->mmap_size)
			continue;
		if (k >= st->n || st->r[k].addr != g->mmap_addr ||
		    st->r[k].len != g->mmap_size)
			return 0;
		k++;
	}
	return k == st->n;
}

void va_dma_sync(struct va_dev *d)
{
	if (!dma_on)
		return;
	if (d->dma && d->mem && dma_same(d->dma, d->mem))
		return;
	va_dma_unmap(d, "memory table changed");
	if (!d->mem || dma_register(d) == 0)
		return;
	/* no DMA into memory the device cannot reach: serve nothing */
	VA_ERR("dma: vid %d: guest memory not registered for device DMA: no queue starts until the next memory table",
	       d->vid);
	free(d->mem);
	d->mem = NULL;
}

void va_dma_unmap(struct va_dev *d, const char *why)
{
	struct va_dma *st = d->dma;
	unsigned int n;

	if (!st)
		return;
	n = st->n;
	dma_undo(st);
	free(st);
	d->dma = NULL;
	VA_INFO("dma: vid %d: %u memory regions unregistered (%s) (%u external memory segment lists in DPDK)",
		d->vid, n, why, ext_lists());
}

/*
 * The IOVA of @p for an op (its mbuf data, digest, AAD): DPDK memory
 * (rte_malloc) or guest memory registered by dma_register(). With IOVA as
 * VA (required for a PCI engine, see va_dma_init()) that is the address
 * itself, which rte_malloc_virt2iova() and rte_mem_virt2iova() return too;
 * with IOVA as PA the memory segment's IOVA (rte_malloc_virt2iova()'s
 * look-up; rte_mem_virt2iova() would read /proc/self/pagemap per call),
 * RTE_BAD_IOVA outside DPDK memory (software PMDs never read it).
 */
rte_iova_t va_iova_pa(const void *p)
{
	const struct rte_memseg *ms = rte_mem_virt2memseg(p, NULL);

	if (!ms || ms->iova == RTE_BAD_IOVA)
		return RTE_BAD_IOVA;
	return ms->iova + (rte_iova_t)((uintptr_t)p - (uintptr_t)ms->addr);
}

int va_iova_is_va = 1;

void va_iova_init(void)
{
	va_iova_is_va = rte_eal_iova_mode() == RTE_IOVA_VA;
}

/*
 * --test-dma-register: every pointer an op hands to an engine is checked
 * (va_dma_check() in engine_crypto.c and engine_comp.c): [p, p + len) must
 * lie in one DPDK memory segment list, i.e. rte_malloc/mempool memory or
 * guest memory registered with rte_extmem_register(), and the op's IOVA
 * for it must be va_iova(p): what a PCI engine behind an IOMMU can reach.
 * The worker logs the totals when a device stops (va_dma_check_report()).
 */
static uint64_t dma_checked, dma_outside;

void va_dma_check_one(const char *what, const void *p, uint64_t len,
		      rte_iova_t iova)
{
	const struct rte_memseg_list *a, *b;
	uint64_t n;

	if (!len)
		len = 1;
	rte_mcfg_mem_read_lock();
	a = rte_mem_virt2memseg_list(p);
	b = rte_mem_virt2memseg_list((const uint8_t *)p + len - 1);
	rte_mcfg_mem_read_unlock();
	__atomic_fetch_add(&dma_checked, 1, __ATOMIC_RELAXED);
	if (a && a == b && iova == va_iova(p))
		return;
	n = __atomic_add_fetch(&dma_outside, 1, __ATOMIC_RELAXED);
	if (n <= 20)
		VA_ERR("dma-check: %s at %p (%llu bytes, IOVA 0x%llx) %s",
		       what, p, (unsigned long long)len,
		       (unsigned long long)iova,
		       !a ? "is not in DPDK memory nor registered guest memory" :
		       a != b ? "crosses the end of its DPDK memory" :
				"has the wrong IOVA");
}

void va_dma_check_report(void)
{
	if (!va_opts.test_dma_register)
		return;
	VA_INFO("dma-check: %llu engine pointers checked, %llu outside DPDK memory and registered guest memory",
		(unsigned long long)__atomic_load_n(&dma_checked,
						    __ATOMIC_RELAXED),
		(unsigned long long)__atomic_load_n(&dma_outside,
						    __ATOMIC_RELAXED));
}
