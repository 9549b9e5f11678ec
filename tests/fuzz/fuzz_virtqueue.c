// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fuzz target: the user-space driver's split virtqueue against a hostile
 * device (guest-driver/lib/src/virtqueue.c). The fuzzer plays the driver's
 * caller (vq_add with any segment counts and lengths, direct or indirect,
 * vq_flush, vq_next_head, vq_enable_cb/vq_disable_cb) and the device: it
 * writes used elements (valid ones for chains in flight, or any id and
 * length), moves the used index anywhere, scribbles over the descriptor
 * table and the avail ring (device-writable shared memory too) and sets the
 * notification fields. The rings are one allocation of exactly
 * vq_ring_size(num) bytes.
 *
 * Invariants asserted, after every call, against a model of the queue:
 *  - vq_add: the result the model predicts (-EIO once broken, -EINVAL,
 *    -ENOSPC); the head was free; the chain the device reads from the
 *    shared table (or indirect table) is exactly the segments given;
 *  - vq_get_used: a bad element (id out of range or not in flight, length
 *    above the writable length posted, used index more than the requests
 *    in flight ahead) returns -EIO and marks the queue broken; otherwise
 *    the token and length of that head, once;
 *  - the private state stays consistent whatever the device wrote: the free
 *    list holds num_free distinct descriptors, none of a chain in flight,
 *    and num_free plus the descriptors in flight is the queue size;
 *  - broken is sticky: every later call fails with -EIO;
 *  - vq_flush publishes the avail index and asks for a notification
 *    exactly as the event index / NO_NOTIFY rules say.
 */
#include <endian.h>
#include <errno.h>

#include "fuzz.h"
#include "virtqueue.h"

#define MAXN	256
#define MAXSEG	8

struct model {
	int inflight[MAXN];	/* head -> in flight */
	void *token[MAXN];
	uint32_t wr_len[MAXN];
	uint16_t ndesc[MAXN];
	uint16_t chain[MAXN][MAXSEG];	/* descriptors of a direct chain */
	unsigned int n_inflight, n_desc_used;
	uint16_t added;		/* avail entries added */
	uint16_t last_used;
	int broken;
	uintptr_t next_token;
};

static struct virtqueue vq;
static struct model m;

static void check_state(void)
{
	static uint8_t seen[MAXN];
	unsigned int i, k;
	uint16_t d;

	FZ_CHECK(vq.broken == m.broken, "broken %d, model %d", vq.broken,
		 m.broken);
	FZ_CHECK(vq.inflight == m.n_inflight, "inflight %u, model %u",
		 vq.inflight, m.n_inflight);
	FZ_CHECK(vq.num_free + m.n_desc_used == vq.num,
		 "num_free %u + %u in flight != %u", vq.num_free,
		 m.n_desc_used, vq.num);
	FZ_CHECK(vq.last_used == m.last_used, "last_used");
	/* the free list: num_free distinct descriptors, none in a chain */
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < MAXN; i++)
		if (m.inflight[i])
			for (k = 0; k < m.ndesc[i]; k++)
				seen[m.chain[i][k]] = 1;
	d = vq.free_head;
	for (i = 0; i < vq.num_free; i++) {
		FZ_CHECK(d < vq.num, "free list entry %u: %u", i, d);
		FZ_CHECK(!seen[d], "free list entry %u: descriptor %u in use",
			 i, d);
		seen[d] = 1;
		d = vq.next[d];
	}
}

static void do_add(struct fz *f)
{
	struct vq_seg sg[MAXSEG];
	unsigned int nrd, nwr, n, k, ind_cap;
	uint64_t wr_len = 0;
	struct vring_desc *ind = NULL, *t;
	uint8_t b = fz_u8(f);
	void *token;
	int ret, want, indirect;
	uint16_t d;

	nrd = b % 5;
	nwr = (b >> 3) % 4;
	n = nrd + nwr;
	for (k = 0; k < n; k++) {
		sg[k].addr = fz_u64(f);
		sg[k].len = (b & 0x80) ? fz_u32(f) : fz_u16(f);
		if (k >= nrd)
			wr_len += sg[k].len;
	}
	ind_cap = fz_u8(f) % 10;
	if (ind_cap) {
		ind = malloc(ind_cap * sizeof(*ind));
		if (!ind)
			abort();
	}
	token = (void *)++m.next_token;
	indirect = n > 1 && vq.indirect && ind && n <= ind_cap;
	if (m.broken)
		want = -EIO;
	else if (!n)
		want = -EINVAL;
	else if (wr_len > UINT32_MAX)
		want = -EINVAL;
	else if (!vq.num_free)
		want = -ENOSPC;
	else if (!indirect && n > vq.num_free)
		want = -ENOSPC;
	else
		want = 0;
	ret = vq_add(&vq, sg, nrd, nwr, ind, ind_cap, (uintptr_t)ind, token);
	FZ_CHECK(want ? ret == want : ret >= 0, "vq_add %u+%u: %d, model %d",
		 nrd, nwr, ret, want);
	if (ret < 0)
		goto out;
	FZ_CHECK(ret < (int)vq.num && !m.inflight[ret], "head %d was busy",
		 ret);
	/* what the device will read */
	if (indirect) {
		t = &vq.vr.desc[ret];
		FZ_CHECK(le16toh(t->flags) == VRING_DESC_F_INDIRECT &&
			 le64toh(t->addr) == (uintptr_t)ind &&
			 le32toh(t->len) == n * 16, "indirect descriptor");
		m.chain[ret][0] = (uint16_t)ret;
		m.ndesc[ret] = 1;
		t = ind;
		d = 0;
	} else {
		t = vq.vr.desc;
		d = (uint16_t)ret;
		m.ndesc[ret] = (uint16_t)n;
	}
	for (k = 0; k < n; k++) {
		uint16_t fl = le16toh(t[d].flags);

		if (!indirect) {
			unsigned int j;

			for (j = 0; j < k; j++)
				FZ_CHECK(m.chain[ret][j] != d, "chain loops");
			m.chain[ret][k] = d;
		}
		FZ_CHECK(le64toh(t[d].addr) == sg[k].addr &&
			 le32toh(t[d].len) == sg[k].len,
			 "segment %u not as given", k);
		FZ_CHECK(!!(fl & VRING_DESC_F_WRITE) == (k >= nrd) &&
			 !!(fl & VRING_DESC_F_NEXT) == (k + 1 < n) &&
			 !(fl & VRING_DESC_F_INDIRECT), "segment %u flags %x",
			 k, fl);
		d = le16toh(t[d].next);
		FZ_CHECK(indirect ? (k + 1 >= n || d == k + 1) :
				    (k + 1 >= n || d < vq.num),
			 "next %u", d);
	}
	m.inflight[ret] = 1;
	m.token[ret] = token;
	m.wr_len[ret] = (uint32_t)wr_len;
	m.n_inflight++;
	m.n_desc_used += m.ndesc[ret];
	FZ_CHECK(le16toh(vq.vr.avail->ring[m.added & (vq.num - 1)]) == ret,
		 "avail entry");
	m.added++;
out:
	free(ind);
}

static void do_get_used(void)
{
	uint16_t idx = le16toh(vq.vr.used->idx);
	struct vring_used_elem *e;
	uint32_t id, len = 0x5a5a;
	void *token = (void *)1;
	int ret, want;

	e = &vq.vr.used->ring[m.last_used & (vq.num - 1)];
	id = le32toh(e->id);
	if (m.broken)
		want = -EIO;
	else if (idx == m.last_used)
		want = 0;
	else if ((uint16_t)(idx - m.last_used) > m.n_inflight ||
		 id >= vq.num || !m.inflight[id] ||
		 le32toh(e->len) > m.wr_len[id])
		want = -EIO;
	else
		want = 1;
	ret = vq_get_used(&vq, &token, &len);
	FZ_CHECK(ret == want, "vq_get_used %d, model %d", ret, want);
	if (ret == -EIO) {
		FZ_CHECK(vq.broken, "a bad element did not break the queue");
		m.broken = 1;
		return;
	}
	if (ret != 1)
		return;
	FZ_CHECK(token == m.token[id] && len == le32toh(e->len),
		 "head %u: wrong token or length", id);
	m.inflight[id] = 0;
	m.n_inflight--;
	m.n_desc_used -= m.ndesc[id];
	m.last_used++;
}

/* The device: used elements, valid or not, then the index. */
static void do_device_used(struct fz *f)
{
	uint16_t idx = le16toh(vq.vr.used->idx);
	unsigned int k, n = fz_u8(f) % 8;
	uint8_t b = fz_u8(f);

	for (k = 0; k < n; k++) {
		struct vring_used_elem *e =
			&vq.vr.used->ring[(uint16_t)(idx + k) & (vq.num - 1)];
		uint8_t how = fz_u8(f);
		uint32_t id = fz_u16(f) % vq.num, i;

		if (how & 1) {
			e->id = htole32(fz_u32(f));
			e->len = htole32(fz_u32(f));
			continue;
		}
		/* a head in flight, if any, with a length it may use */
		for (i = 0; i < vq.num && !m.inflight[(id + i) % vq.num]; i++)
			;
		id = (id + i) % vq.num;
		e->id = htole32(id);
		e->len = htole32((uint32_t)(fz_u32(f) %
					    ((uint64_t)m.wr_len[id] + 1)));
	}
	idx = (b & 0x80) ? fz_u16(f) : (uint16_t)(idx + n);
	__atomic_store_n(&vq.vr.used->idx, htole16(idx), __ATOMIC_RELEASE);
}

static void do_flush(struct fz *f)
{
	uint16_t old = le16toh(vq.vr.avail->idx), ev;
	uint16_t flags = fz_u8(f) & 1 ? VRING_USED_F_NO_NOTIFY : 0;
	int want;
	bool need;

	ev = fz_u16(f);
	vring_avail_event(&vq.vr) = htole16(ev);
	vq.vr.used->flags = htole16(flags);
	/* the driver's own shadow: the device may have scribbled on idx */
	old = vq.kicked_idx;
	need = vq_flush(&vq);
	if (old == m.added)
		want = 0;
	else if (vq.event_idx)
		want = vring_need_event(ev, m.added, old);
	else
		want = !flags;
	FZ_CHECK(need == want, "vq_flush: notify %d, model %d", need, want);
	FZ_CHECK(old == m.added || le16toh(vq.vr.avail->idx) == m.added,
		 "avail idx %u, added %u", le16toh(vq.vr.avail->idx), m.added);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int num, steps = 0;
	uint8_t *ring;
	struct fz f;
	uint8_t opt;
	int ret;

	fz_init(&f, data, size);
	opt = fz_u8(&f);
	num = 1u << (opt % 9);
	ring = malloc(vq_ring_size(num));
	if (!ring)
		abort();
	memset(&m, 0, sizeof(m));
	if (vq_init(&vq, num, ring, opt & 0x10, !(opt & 0x20)))
		abort();
	while (fz_left(&f) && steps++ < 1000) {
		uint8_t ev = fz_u8(&f);

		switch (ev % 8) {
		case 0:
		case 1:
			do_add(&f);
			break;
		case 2:
			do_flush(&f);
			break;
		case 3:
			do_device_used(&f);
			break;
		case 4:
		case 5:
			do_get_used();
			break;
		case 6: {
			/* the device writes anywhere in the desc/avail area */
			size_t a, u, at;
			uint8_t buf[32];

			vq_ring_layout(num, &a, &u);
			at = fz_u32(&f) % u;
			fz_bytes(&f, buf, sizeof(buf));
			memcpy(ring + at, buf,
			       u - at < sizeof(buf) ? u - at : sizeof(buf));
			break;
		}
		default:
			if (ev & 0x80) {
				bool pending = vq_enable_cb(&vq);

				FZ_CHECK(pending == vq_has_used(&vq),
					 "vq_enable_cb");
				if (vq.event_idx)
					FZ_CHECK(le16toh(vring_used_event(
							 &vq.vr)) ==
							 vq.last_used,
						 "used_event");
			} else {
				vq_disable_cb(&vq);
			}
			ret = vq_next_head(&vq);
			FZ_CHECK(m.broken ? ret == -EIO :
				 !vq.num_free ? ret == -ENOSPC :
				 (ret >= 0 && ret < (int)num &&
				  !m.inflight[ret]),
				 "vq_next_head %d", ret);
			break;
		}
		check_state();
	}
	vq_destroy(&vq);
	free(ring);
	return 0;
}
