// SPDX-License-Identifier: BSD-3-Clause
/*
 * Unit tests of the back-end's inflight I/O tracking
 * (vhost-user-backend/src/vring.h, vring.c): the recovery function
 * va_inflight_recover() on hand-made regions, and a crash simulation that
 * runs the very take/complete helpers the worker uses (va_infl_take(),
 * va_infl_complete()) and "kills" the back-end between every pair of their
 * stores (VA_INFL_STEP() longjmps out), restarts it on the same region and
 * used ring, and checks that every request completes exactly once.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

static jmp_buf crash_jmp;
static long crash_budget = -1;	/* stores left before the crash; -1 never */

#define VA_INFL_STEP()							\
	do {								\
		if (crash_budget >= 0 && crash_budget-- == 0)		\
			longjmp(crash_jmp, 1);				\
	} while (0)

#include "../../vhost-user-backend/src/vring.h"

#define QSZ	8
#define NREQ	40
#define BATCH	4

static union {
	struct va_infl_split r;
	uint8_t raw[sizeof(struct va_infl_split) +
		    QSZ * sizeof(struct va_infl_desc)];
} reg;

static void reg_reset(uint16_t desc_num)
{
	memset(&reg, 0, sizeof(reg));
	reg.r.version = 1;
	reg.r.desc_num = desc_num;
}

static void test_recover_fresh(void)
{
	struct va_resub out[QSZ];
	uint64_t next = 99;

	reg_reset(QSZ);
	CU_ASSERT_EQUAL(va_inflight_recover(&reg.r, QSZ, 0, out, &next), 0);
	CU_ASSERT_EQUAL(next, 0);
	/* a used index that moved on a fresh region: nothing to resubmit */
	CU_ASSERT_EQUAL(va_inflight_recover(&reg.r, QSZ, 7, out, &next), 0);
	CU_ASSERT_EQUAL(reg.r.used_idx, 7);
}

static void test_recover_order(void)
{
	static const uint64_t ctr[QSZ] = { 15, 0, 12, 0, 11, 0, 30, 13 };
	static const uint8_t fl[QSZ] = { 1, 0, 1, 0, 1, 2, 1, 1 };
	struct va_resub out[QSZ];
	uint64_t next;
	unsigned int i;

	reg_reset(QSZ);
	for (i = 0; i < QSZ; i++) {
		reg.r.desc[i].counter = ctr[i];
		reg.r.desc[i].inflight = fl[i];
	}
	reg.r.used_idx = 5;
	reg.r.last_batch_head = 0;
	/* used index unchanged: head 0 is still in flight */
	CU_ASSERT_EQUAL(va_inflight_recover(&reg.r, QSZ, 5, out, &next), 5);
	CU_ASSERT_EQUAL(out[0].head, 4);
	CU_ASSERT_EQUAL(out[1].head, 2);
	CU_ASSERT_EQUAL(out[2].head, 7);
	CU_ASSERT_EQUAL(out[3].head, 0);
	CU_ASSERT_EQUAL(out[4].head, 6);
	CU_ASSERT_EQUAL(next, 31);
	/* only inflight == 1 counts (the value 2 at head 5 is not a flag) */
	for (i = 0; i < 5; i++)
		CU_ASSERT_NOT_EQUAL(out[i].head, 5);
}

static void test_recover_last_batch_head(void)
{
	struct va_resub out[QSZ];
	uint64_t next;

	reg_reset(QSZ);
	reg.r.desc[3].inflight = 1;
	reg.r.desc[3].counter = 4;
	reg.r.desc[6].inflight = 1;
	reg.r.desc[6].counter = 5;
	reg.r.last_batch_head = 6;
	reg.r.used_idx = 10;
	/* the back-end died after publishing head 6 (used 10 -> 11) */
	CU_ASSERT_EQUAL(va_inflight_recover(&reg.r, QSZ, 11, out, &next), 1);
	CU_ASSERT_EQUAL(out[0].head, 3);
	CU_ASSERT_EQUAL(reg.r.desc[6].inflight, 0);
	CU_ASSERT_EQUAL(reg.r.used_idx, 11);
	CU_ASSERT_EQUAL(next, 5);
	/* idempotent: a second recovery finds the same */
	CU_ASSERT_EQUAL(va_inflight_recover(&reg.r, QSZ, 11, out, &next), 1);
	CU_ASSERT_EQUAL(out[0].head, 3);
}

static void test_recover_bounds(void)
{
	struct va_resub out[QSZ];
	uint64_t next;

	/* entries beyond desc_num or the queue size are never looked at */
	reg_reset(4);
	reg.r.desc[5].inflight = 1;
	reg.r.desc[2].inflight = 1;
	CU_ASSERT_EQUAL(va_inflight_recover(&reg.r, QSZ, 0, out, &next), 1);
	CU_ASSERT_EQUAL(out[0].head, 2);
	reg_reset(QSZ);
	reg.r.desc[6].inflight = 1;
	CU_ASSERT_EQUAL(va_inflight_recover(&reg.r, 4, 0, out, &next), 0);
	/* a last_batch_head out of range is not cleared */
	reg_reset(QSZ);
	reg.r.last_batch_head = 60000;
	reg.r.used_idx = 1;
	CU_ASSERT_EQUAL(va_inflight_recover(&reg.r, QSZ, 2, out, &next), 0);
	CU_ASSERT_EQUAL(reg.r.used_idx, 2);
}

/* ---- crash simulation --------------------------------------------------- */

static union {
	struct vring_used u;
	uint8_t raw[sizeof(struct vring_used) +
		    QSZ * sizeof(struct vring_used_elem) + 2];
} used;

struct sim {
	/* driver */
	uint16_t avail_ring[QSZ];
	uint16_t avail_idx;		/* published */
	int head_req[QSZ];		/* request owning a head, -1 free */
	uint16_t drv_last_used;
	int next_req;
	int completions[NREQ];
	int bad;			/* used entries for heads not in flight */
	/* device (one incarnation) */
	uint16_t last_avail, last_used;
	uint64_t counter;
	struct va_resub resub[QSZ];
	uint32_t nresub, resub_pos;
	unsigned int executed[NREQ];
};

static struct sim S;

/* The driver posts requests while heads are free, and reaps completions. */
static void driver_post(void)
{
	uint16_t h;

	for (h = 0; h < QSZ && S.next_req < NREQ; h++) {
		if (S.head_req[h] >= 0)
			continue;
		S.head_req[h] = S.next_req++;
		S.avail_ring[S.avail_idx % QSZ] = h;
		S.avail_idx++;
	}
}

static void driver_reap(void)
{
	uint16_t idx = __atomic_load_n(&used.u.idx, __ATOMIC_ACQUIRE);

	while (S.drv_last_used != idx) {
		uint16_t h = (uint16_t)used.u.ring[S.drv_last_used % QSZ].id;

		S.drv_last_used++;
		if (h >= QSZ || S.head_req[h] < 0) {
			S.bad++;
			continue;
		}
		S.completions[S.head_req[h]]++;
		S.head_req[h] = -1;
	}
}

static void device_start(void)
{
	uint16_t u = used.u.idx;

	S.nresub = va_inflight_recover(&reg.r, QSZ, u, S.resub, &S.counter);
	S.resub_pos = 0;
	S.last_used = u;
	S.last_avail = (uint16_t)(u + S.nresub);
}

/* One round of the worker's logic (worker.c va_process_vq, inflight path). */
static int device_round(void)
{
	uint16_t heads[BATCH], n, i;
	int done = 0;

	while (S.resub_pos < S.nresub) {
		uint16_t h = S.resub[S.resub_pos].head;

		S.executed[S.head_req[h]]++;
		va_infl_complete(&reg.r, &used.u, QSZ, &S.last_used, h, 16);
		S.resub_pos++;
		done++;
	}
	n = (uint16_t)(S.avail_idx - S.last_avail);
	if (n > BATCH)
		n = BATCH;
	for (i = 0; i < n; i++) {
		heads[i] = S.avail_ring[S.last_avail % QSZ];
		va_infl_take(&reg.r, &S.counter, heads[i]);
		S.last_avail++;
	}
	for (i = 0; i < n; i++) {
		S.executed[S.head_req[heads[i]]]++;
		va_infl_complete(&reg.r, &used.u, QSZ, &S.last_used, heads[i],
				 16);
		done++;
	}
	return done;
}

/* Run until everything completed; crash after budgets[k] stores. */
static int simulate(const long *budgets, unsigned int nb, int *crashes)
{
	volatile unsigned int k = 0, rounds = 0;
	int i;

	memset(&S, 0, sizeof(S));
	memset(&used, 0, sizeof(used));
	reg_reset(QSZ);
	for (i = 0; i < QSZ; i++)
		S.head_req[i] = -1;
	*crashes = 0;
	crash_budget = nb ? budgets[0] : -1;
	device_start();
	for (;;) {
		if (setjmp(crash_jmp)) {
			/* killed: a new back-end on the same region and ring */
			(*crashes)++;
			k++;
			crash_budget = k < nb ? budgets[k] : -1;
			driver_reap();
			device_start();
			continue;
		}
		driver_post();
		device_round();
		driver_reap();
		if (S.next_req == NREQ && S.drv_last_used == S.avail_idx)
			break;
		if (++rounds > 10000)
			return -1;
	}
	crash_budget = -1;
	return 0;
}

static int check_once(void)
{
	int i;

	if (S.bad)
		return 0;
	for (i = 0; i < NREQ; i++)
		if (S.completions[i] != 1)
			return 0;
	return 1;
}

static void test_crash_everywhere(void)
{
	long b;
	int crashes, ok = 1, runs = 0, hit = 0;

	/* a crash after every store of the protocol, one per run */
	for (b = 0; b < 2000; b++) {
		CU_ASSERT_EQUAL_FATAL(simulate(&b, 1, &crashes), 0);
		runs++;
		if (!crashes)
			break;
		hit++;
		if (!check_once()) {
			ok = 0;
			fprintf(stderr, "crash after %ld stores: bad %d\n", b,
				S.bad);
			break;
		}
	}
	CU_ASSERT(ok);
	CU_ASSERT(hit > 100);	/* the whole run was covered */
	CU_ASSERT(runs == hit + 1);
}

static void test_crash_twice(void)
{
	long b[2];
	int crashes, ok = 1, twice = 0;

	/* a second crash while the first one's requests are resubmitted */
	for (b[0] = 0; b[0] < 120 && ok; b[0] += 3) {
		for (b[1] = 0; b[1] < 40 && ok; b[1]++) {
			CU_ASSERT_EQUAL_FATAL(simulate(b, 2, &crashes), 0);
			twice += crashes == 2;
			if (!check_once())
				ok = 0;
		}
	}
	CU_ASSERT(ok);
	CU_ASSERT(twice > 100);
}

static void test_no_crash_no_resubmit(void)
{
	int crashes, i;

	CU_ASSERT_EQUAL(simulate(NULL, 0, &crashes), 0);
	CU_ASSERT_EQUAL(crashes, 0);
	CU_ASSERT(check_once());
	for (i = 0; i < NREQ; i++)
		CU_ASSERT_EQUAL(S.executed[i], 1);
	for (i = 0; i < QSZ; i++)
		CU_ASSERT_EQUAL(reg.r.desc[i].inflight, 0);
	CU_ASSERT_EQUAL(reg.r.used_idx, used.u.idx);
}

void register_inflight_tests(void)
{
	ADD_SUITE("inflight", NULL, NULL);
	ADD_TEST(test_recover_fresh);
	ADD_TEST(test_recover_order);
	ADD_TEST(test_recover_last_batch_head);
	ADD_TEST(test_recover_bounds);
	ADD_TEST(test_no_crash_no_resubmit);
	ADD_TEST(test_crash_everywhere);
	ADD_TEST(test_crash_twice);
}
