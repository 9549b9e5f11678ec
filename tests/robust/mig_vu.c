// SPDX-License-Identifier: BSD-3-Clause
/*
 * mig-vu: the vhost-user side of live migration (issue 16,
 * docs/migration-design.md D6, D7, 2.3) against the real back-end over its
 * socket, with a front-end written from scratch (raw messages, its own
 * memfd, eventfds and rings, as QEMU sends them; no QEMU needed).
 *
 *   mig-vu [--backend BIN]
 *
 * suspend:  RESET_DEVICE negotiated, a session created, the rings stopped
 *           (GET_VRING_BASE) and restarted (SET_VRING_* + kick): the same
 *           session ID hashes again; RESET_DEVICE then destroys it
 *           (INVSESS), with the rings stopped and with them running.
 * legacy:   RESET_DEVICE not negotiated: a ring stop destroys the
 *           sessions as before, RESET_DEVICE itself is refused.
 * drain:    64 requests of 40 ms each (--test-delay-us) on a queue,
 *           GET_VRING_BASE while they run: answered within a bound
 *           (after one request, not the batch of 64), every request
 *           taken completed and published at the index it reports, none
 *           left flagged in the inflight region, the rest served after
 *           the restart; without and with inflight tracking.
 * log:      SET_LOG_BASE with a sealed memfd, VHOST_F_LOG_ALL switched on
 *           on the running device, VHOST_VRING_F_LOG: the pages of every
 *           dst and response written and of the used ring are marked,
 *           the pages only read or never touched are not; LOG_ALL off:
 *           nothing more is marked. Plain and through the asynchronous
 *           pipeline (--test-engine-latency-us).
 * log-lies: SET_LOG_BASE without fd, with 2 fds, a file shorter than the
 *           log, a log far larger than guest memory needs, an unsealed
 *           file, a non-zero offset, a short payload, LOG_SHMFD not
 *           negotiated: each refused, the back-end alive and serving the
 *           same front-end after it.
 *
 * Output: "ok N - ..." / "not ok N - ..." lines, then "N passed, N failed".
 */
#include "vu_fe.h"

static int log_has(const char *what)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "grep -q -- '%s' %s", what, log_path);
	return system(cmd) == 0;
}

/* ---- suspend / reset ---- */

static void t_suspend(void)
{
	struct fe f;
	uint64_t sid, sid2;
	unsigned int q;
	int st;

	if (fe_open(&f, FEAT_VERSION_1 | FEAT_PROTOCOL, PF_RESET_DEVICE, 0)) {
		check(0, "suspend: set up a device with RESET_DEVICE negotiated");
		fe_close(&f);
		return;
	}
	check(!!(f.pf & PF_RESET_DEVICE),
	      "suspend: the back-end offers VHOST_USER_PROTOCOL_F_RESET_DEVICE");
	sid = fe_session(&f);
	check(sid != 0, "suspend: session created (id 0x%llx)",
	      (unsigned long long)sid);
	st = fe_hash(&f, sid, PG_DST);
	check(st == VIRTIO_ACCEL_OK, "suspend: hash with the session before the stop (status %d)",
	      st);
	check(!fe_stop_restart(&f, 0), "suspend: rings stopped (GET_VRING_BASE) and restarted");
	st = fe_hash(&f, sid, PG_DST);
	check(st == VIRTIO_ACCEL_OK, "suspend: the same session ID hashes after the ring stop (status %d, want 0)",
	      st);
	check(log_has("kept until RESET_DEVICE"),
	      "suspend: the back-end logged the sessions kept");
	/* QEMU's reset: the rings stop, then RESET_DEVICE */
	check(fe_stop(&f, 0) >= 0 && fe_stop(&f, 1) >= 0 &&
	      !tellf(&f, RESET_DEVICE, NULL, 0, NULL, 0),
	      "suspend: rings stopped, RESET_DEVICE accepted");
	check(!fe_queue(&f, 0, f.avail_idx[0], 0) &&
	      !fe_queue(&f, 1, f.avail_idx[1], 0), "suspend: rings restarted after RESET_DEVICE");
	st = fe_hash(&f, sid, PG_DST);
	check(st == VIRTIO_ACCEL_INVSESS, "suspend: after RESET_DEVICE the session is gone (status %d, want INVSESS)",
	      st);
	sid2 = fe_session(&f);
	st = fe_hash(&f, sid2, PG_DST);
	check(sid2 && st == VIRTIO_ACCEL_OK, "suspend: a new session works after RESET_DEVICE");
	/* RESET_DEVICE on running rings: sessions go, the queues serve on */
	check(!tellf(&f, RESET_DEVICE, NULL, 0, NULL, 0),
	      "suspend: RESET_DEVICE with the rings running accepted");
	st = fe_hash(&f, sid2, PG_DST);
	check(st == VIRTIO_ACCEL_INVSESS, "suspend: ... destroyed the session (status %d), the queue still serves",
	      st);
	/*
	 * A front-end that negotiates RESET_DEVICE and resets the driver
	 * without sending it (QEMU's vhost-user-base): the control queue
	 * starts again at 0, fresh rings; the sessions must not survive
	 */
	sid = fe_session(&f);
	check(sid && fe_hash(&f, sid, PG_DST) == VIRTIO_ACCEL_OK &&
	      fe_stop(&f, 0) >= 0 && fe_stop(&f, 1) >= 0,
	      "suspend: session made, rings stopped");
	for (q = 0; q < NVQ; q++) {
		memset(f.mem + ring_off(q, 0), 0, 32768);
		f.avail_idx[q] = 0;
	}
	check(!fe_queue(&f, 0, 0, 0) && !fe_queue(&f, 1, 0, 0),
	      "suspend: rings restarted at index 0 (a driver reset, no RESET_DEVICE)");
	st = fe_hash(&f, sid, PG_DST);
	check(st == VIRTIO_ACCEL_INVSESS, "suspend: ... the session is gone (status %d, want INVSESS)",
	      st);
	fe_close(&f);
	/* a session kept across a stop dies with the connection */
	if (fe_open(&f, FEAT_VERSION_1 | FEAT_PROTOCOL, PF_RESET_DEVICE, 0)) {
		check(0, "suspend: reconnect");
		fe_close(&f);
		return;
	}
	sid = fe_session(&f);
	fe_hash(&f, sid, PG_DST);
	fe_stop(&f, 0);
	fe_stop(&f, 1);
	fe_close(&f);
	if (fe_open(&f, FEAT_VERSION_1 | FEAT_PROTOCOL, PF_RESET_DEVICE, 0)) {
		check(0, "suspend: reconnect");
		fe_close(&f);
		return;
	}
	st = fe_hash(&f, sid, PG_DST);
	check(st == VIRTIO_ACCEL_INVSESS, "suspend: a session kept by a ring stop is gone with the connection (status %d)",
	      st);
	fe_close(&f);
}

static void t_legacy(void)
{
	struct fe f;
	uint64_t sid;
	int st;

	if (fe_open(&f, FEAT_VERSION_1 | FEAT_PROTOCOL, 0, 0)) {
		check(0, "legacy: set up a device without RESET_DEVICE");
		fe_close(&f);
		return;
	}
	sid = fe_session(&f);
	st = fe_hash(&f, sid, PG_DST);
	check(sid && st == VIRTIO_ACCEL_OK, "legacy: session created and used");
	check(!fe_stop_restart(&f, 0), "legacy: rings stopped and restarted");
	st = fe_hash(&f, sid, PG_DST);
	check(st == VIRTIO_ACCEL_INVSESS, "legacy: without RESET_DEVICE a ring stop destroys the sessions (status %d, want INVSESS)",
	      st);
	check(tellf(&f, RESET_DEVICE, NULL, 0, NULL, 0),
	      "legacy: RESET_DEVICE not negotiated is refused");
	fe_close(&f);
	check(alive(), "legacy: back-end alive");
}

/* ---- drain: a stop waits for one request, not the batch ---- */

static void t_drain(int infl)
{
	const char *tag = infl ? "drain (inflight)" : "drain";
	struct fe f;
	uint64_t sid;
	uint16_t heads[NREQ_MAX];
	int base, nbad = 0, seen[QSZ] = { 0 }, dup = 0;
	long t0, ms;
	unsigned int k, i;
	struct vring_used *u;
	uint16_t used;

	if (fe_open(&f, FEAT_VERSION_1 | FEAT_PROTOCOL,
		    PF_RESET_DEVICE | (infl ? PF_INFLIGHT : 0), infl)) {
		check(0, "%s: set up", tag);
		fe_close(&f);
		return;
	}
	sid = fe_session(&f);
	check(sid != 0, "%s: session created", tag);
	/* 64 chains of 40 ms: the ring holds QSZ / 4 (4 descriptors each) */
	for (k = 0; k < NREQ; k++)
		heads[k] = fe_hash_post(&f, sid, k, PG_DST + 2 * k,
					PG_RESP * PAGE + 64ull * k,
					k == NREQ - 1);
	/* the first one done: the worker is inside the batch */
	fe_wait_used(&f, 1, 1, 10000);
	t0 = now_ms();
	base = fe_stop(&f, 1);
	ms = now_ms() - t0;
	u = fe_used(&f, 1);
	used = __atomic_load_n(&u->idx, __ATOMIC_ACQUIRE);
	check(base >= 1 && ms < 600, "%s: GET_VRING_BASE answered in %ld ms with %d requests of 40 ms queued (bound 600 ms: one request, not the batch of %d ms)",
	      tag, ms, NREQ, NREQ * 40);
	check(base == used, "%s: every request taken is complete and published: GET_VRING_BASE %d, used index %u",
	      tag, base, used);
	for (i = 0; i < used; i++) {
		uint32_t id = u->ring[i % QSZ].id;

		if (id >= QSZ || seen[id]++)
			dup++;
	}
	if (infl) {
		/* queue 1's part of the region: nothing left in flight */
		uint64_t stride = (16ull * QSZ + 16 + 63) & ~63ull;
		const uint8_t *r = f.infl + stride;
		unsigned int flagged = 0;

		for (i = 0; i < QSZ; i++)
			flagged += r[16 + 16 * i] != 0;
		check(!flagged, "%s: no head left flagged in the inflight region after the stop (%u)",
		      tag, flagged);
	}
	check(fe_stop(&f, 0) >= 0, "%s: control queue stopped", tag);
	check(!fe_queue(&f, 0, f.avail_idx[0], 0) &&
	      !fe_queue(&f, 1, (uint16_t)(base < 0 ? 0 : base), 0),
	      "%s: rings restarted at the reported index", tag);
	{
		uint64_t one = 1;

		if (write(f.kick[1], &one, 8) < 0)
			nbad++;
	}
	check(!fe_wait_used(&f, 1, NREQ, 15000), "%s: the other %d requests served after the restart",
	      tag, NREQ - base);
	for (i = used; i < NREQ; i++) {
		uint32_t id = u->ring[i % QSZ].id;

		if (id >= QSZ || seen[id]++)
			dup++;
	}
	for (k = 0; k < NREQ; k++) {
		const struct virtio_accel_op_resp *rs =
			resp_at(&f, PG_RESP * PAGE + 64ull * k);

		if (!seen[heads[k]] || rs->status != VIRTIO_ACCEL_OK ||
		    memcmp(f.mem + (uint64_t)(PG_DST + 2 * k) * PAGE,
			   sha_abc, 32))
			nbad++;
	}
	check(!dup && !nbad, "%s: %d completions, each request once, every digest right (%d duplicated, %d wrong or missing)",
	      tag, NREQ, dup, nbad);
	fe_close(&f);
}

/* ---- dirty log ---- */

static int log_bit(struct fe *f, uint64_t gpa)
{
	uint64_t pg = gpa / PAGE;

	return (f->log[pg / 8] >> (pg % 8)) & 1;
}

static int pg_logged(struct fe *f, unsigned int pg)
{
	return log_bit(f, gpa_of((uint64_t)pg * PAGE));
}

/* QEMU's size: 8 bytes per 256 KiB up to the last address, + 4 KiB */
static uint64_t qemu_log_size(void)
{
	return 8 * ((MEM_GPA + MEM_SIZE - 1) / (256 * 1024) + 1 + 512);
}

static int fe_log_base(struct fe *f, uint64_t size, uint64_t off, int seal,
		       uint64_t file, int nfds)
{
	uint64_t pl[2] = { size, off };
	int fds[2], ret;

	f->logfd = memfd_new(file, seal);
	if (f->logfd < 0)
		return 1;
	fds[0] = fds[1] = f->logfd;
	ret = tellf(f, SET_LOG_BASE, pl, 16, fds, nfds);
	if (!ret) {
		f->log_len = file;
		f->log = mmap(NULL, file, PROT_READ | PROT_WRITE, MAP_SHARED,
			      f->logfd, 0);
		if (f->log == MAP_FAILED)
			f->log = NULL;
	}
	return ret;
}

static void t_log(const char *tag, const char *const *args)
{
	struct fe f;
	uint64_t sid;
	unsigned int q, k, pg, bad = 0;
	int st;

	backend_stop();
	if (backend_start(args) < 0) {
		check(0, "%s: back-end started", tag);
		return;
	}
	/* running without logging first, as QEMU before a migration */
	if (fe_open(&f, FEAT_VERSION_1 | FEAT_PROTOCOL,
		    PF_LOG_SHMFD | PF_RESET_DEVICE, 0)) {
		check(0, "%s: set up", tag);
		fe_close(&f);
		return;
	}
	check((f.have & FEAT_LOG_ALL) && (f.pf & PF_LOG_SHMFD),
	      "%s: the back-end offers VHOST_F_LOG_ALL and LOG_SHMFD", tag);
	sid = fe_session(&f);
	check(sid && fe_hash(&f, sid, PG_DST) == VIRTIO_ACCEL_OK,
	      "%s: session and a request before logging", tag);
	/* vhost_migration_log(true): SET_LOG_BASE, SET_FEATURES, SET_VRING_ADDR */
	check(!fe_log_base(&f, qemu_log_size(), 0, 1, qemu_log_size(), 1) &&
	      f.log, "%s: SET_LOG_BASE with a sealed memfd of %llu bytes accepted",
	      tag, (unsigned long long)qemu_log_size());
	if (!f.log) {
		fe_close(&f);
		return;
	}
	check(!tell_u64(&f, SET_FEATURES, f.feat | FEAT_LOG_ALL) &&
	      !fe_addr(&f, 0, 1) && !fe_addr(&f, 1, 1),
	      "%s: VHOST_F_LOG_ALL on the running device, VHOST_VRING_F_LOG on both queues",
	      tag);
	memset(f.log, 0, f.log_len);
	/* a new session (control response) and 8 hashes, dst every 2 pages */
	sid = fe_session(&f);
	check(sid != 0, "%s: session created while logging", tag);
	for (k = 0; k < 8; k++)
		fe_hash_post(&f, sid, k, PG_DST + 2 * k,
			     (PG_RESP + k) * PAGE, k == 7);
	st = fe_wait_used(&f, 1, f.avail_idx[1], 10000);
	for (k = 0; k < 8; k++)
		if (resp_at(&f, (PG_RESP + k) * PAGE)->status !=
		    VIRTIO_ACCEL_OK)
			bad++;
	check(!st && !bad, "%s: 8 requests served while logging", tag);
	for (k = 0, bad = 0; k < 8; k++)
		bad += !pg_logged(&f, PG_DST + 2 * k) +
		       !pg_logged(&f, PG_RESP + k);
	check(!bad, "%s: every dst and response page marked in the log (%u missing)",
	      tag, bad);
	check(pg_logged(&f, PG_CTRL), "%s: the control response page marked", tag);
	for (q = 0, bad = 0; q < NVQ; q++)
		bad += !log_bit(&f, gpa_of(ring_off(q, 2)));
	check(!bad, "%s: the used ring pages of both queues marked", tag);
	for (k = 0, bad = 0; k < 8; k++)
		bad += pg_logged(&f, PG_GAP + 2 * k);
	for (pg = 0; pg < MEM_SIZE / PAGE; pg++) {
		int ring = 0;

		/* the used rings' pages; descriptors and avail rings not */
		for (q = 0; q < NVQ; q++)
			ring |= pg == ring_off(q, 2) / PAGE;
		if (ring || pg == PG_CTRL || (pg >= PG_DST && pg < PG_DST + 16) ||
		    (pg >= PG_RESP && pg < PG_RESP + 8))
			continue;
		bad += pg_logged(&f, pg);
	}
	check(!bad, "%s: no other page marked: descriptor tables, avail rings, requests (read only), gaps between dsts, untouched memory (%u marked)",
	      tag, bad);
	check(!pg_logged(&f, PG_REQ), "%s: the page the requests were read from is not marked", tag);
	/* switch off: nothing more is marked */
	check(!tell_u64(&f, SET_FEATURES, f.feat), "%s: LOG_ALL off", tag);
	memset(f.log, 0, f.log_len);
	st = fe_hash(&f, sid, PG_DST + 40);
	for (pg = 0, bad = 0; pg < f.log_len; pg++)
		bad += f.log[pg] != 0;
	check(st == VIRTIO_ACCEL_OK && !bad, "%s: a request after LOG_ALL off marks nothing (status %d, %u bytes set)",
	      tag, st, bad);
	/* a ring stop while logging (migration's switch-over), then on */
	check(!tell_u64(&f, SET_FEATURES, f.feat | FEAT_LOG_ALL) &&
	      !fe_stop_restart(&f, 1) && fe_hash(&f, sid, PG_DST + 42) ==
	      VIRTIO_ACCEL_OK && pg_logged(&f, PG_DST + 42),
	      "%s: logging on across a ring stop: the session survives and its dst is marked",
	      tag);
	fe_close(&f);
	check(alive(), "%s: back-end alive", tag);
}

/* A hostile SET_LOG_BASE: refused, the same front-end served after it. */
static void t_log_lie(const char *what, uint64_t size, uint64_t off, int seal,
		      uint64_t file, int nfds, uint32_t plsize)
{
	struct fe f;
	uint64_t sid;
	int refused;

	if (fe_open(&f, FEAT_VERSION_1 | FEAT_PROTOCOL,
		    PF_LOG_SHMFD | PF_RESET_DEVICE, 0)) {
		check(0, "log-lies: set up (%s)", what);
		fe_close(&f);
		return;
	}
	sid = fe_session(&f);
	if (plsize != 16) {
		uint64_t pl[2] = { size, off };

		f.logfd = memfd_new(file, seal);
		refused = tellf(&f, SET_LOG_BASE, pl, plsize, &f.logfd, 1);
	} else {
		refused = fe_log_base(&f, size, off, seal, file, nfds);
	}
	check(refused, "log-lies: SET_LOG_BASE %s refused", what);
	check(alive() && fe_hash(&f, sid, PG_DST) == VIRTIO_ACCEL_OK,
	      "log-lies: ... the back-end alive, the same front-end served after it");
	fe_close(&f);
}

static void t_log_lies(void)
{
	uint64_t q = qemu_log_size();
	struct fe f;

	backend_stop();
	if (backend_start(NULL) < 0) {
		check(0, "log-lies: back-end started");
		return;
	}
	t_log_lie("without a file descriptor", q, 0, 1, q, 0, 16);
	t_log_lie("with 2 file descriptors", q, 0, 1, q, 2, 16);
	t_log_lie("on a file shorter than the log", q, 0, 1, 4096, 1, 16);
	t_log_lie("of 1 GiB (guest memory needs 4 KiB)", 1ull << 30, 0, 1,
		  1ull << 30, 1, 16);
	t_log_lie("of 0 bytes", 0, 0, 1, q, 1, 16);
	t_log_lie("on an unsealed file", q, 0, 0, q, 1, 16);
	t_log_lie("at offset 4096", q, 4096, 1, 2 * q + 8192, 1, 16);
	t_log_lie("at an offset near 2^64", q, ~0ull - 100, 1, q, 1, 16);
	t_log_lie("with an 8-byte payload", q, 0, 1, q, 1, 8);
	/* LOG_SHMFD not negotiated */
	if (!fe_open(&f, FEAT_VERSION_1 | FEAT_PROTOCOL, PF_RESET_DEVICE, 0)) {
		check(fe_log_base(&f, q, 0, 1, q, 1),
		      "log-lies: SET_LOG_BASE without LOG_SHMFD negotiated refused");
		check(fe_hash(&f, fe_session(&f), PG_DST) == VIRTIO_ACCEL_OK,
		      "log-lies: ... the same front-end served after it");
	} else {
		check(0, "log-lies: set up without LOG_SHMFD");
	}
	fe_close(&f);
	check(alive(), "log-lies: back-end alive at the end");
}

int main(int argc, char **argv)
{
	static const char *const delay[] = { "--test-delay-us", "40000", NULL };
	static const char *const pipe_args[] = {
		"--test-engine-latency-us", "300", NULL };
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--backend") && i + 1 < argc) {
			backend = argv[++i];
		} else {
			fprintf(stderr, "usage: %s [--backend BIN]\n", argv[0]);
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/mig-vu.XXXXXX");
	if (!mkdtemp(dir))
		return 2;
	snprintf(sock_path, sizeof(sock_path), "%s/vu.sock", dir);
	snprintf(log_path, sizeof(log_path), "%s/backend.log", dir);
	if (backend_start(NULL) < 0) {
		check(0, "back-end %s started", backend);
		goto out;
	}
	t_suspend();
	t_legacy();
	backend_stop();
	if (backend_start(delay) < 0) {
		check(0, "back-end with --test-delay-us started");
		goto out;
	}
	t_drain(0);
	t_drain(1);
	t_log("log", NULL);
	t_log("log (pipeline)", pipe_args);
	t_log_lies();
	backend_stop();
	fe_check_log_clean();
out:
	backend_stop();
	if (nfail || getenv("MIG_VU_KEEP_LOG")) {
		char cmd[256];

		printf("# back-end log (last 40 lines) %s:\n", log_path);
		fflush(stdout);
		snprintf(cmd, sizeof(cmd), "tail -n 40 %s | sed 's/^/# /'",
			 log_path);
		if (system(cmd) < 0)
			return 1;
	} else {
		unlink(log_path);
		unlink(sock_path);
		rmdir(dir);
	}
	printf("%d passed, %d failed\n", npass, nfail);
	return nfail ? 1 : 0;
}
