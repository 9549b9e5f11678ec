// SPDX-License-Identifier: BSD-3-Clause
/*
 * vaccel-bench multife: many front-ends on one back-end (issue 14).
 *
 *   vaccel-bench multife --backend BIN [--fes 16] [--workers 1]
 *                        [--ms 1500] [--rounds 3] [--depth 16] [--json F]
 *
 * Starts BIN with --fes sockets (--socket-path repeated, one data queue
 * each) and --workers worker threads, then, each round:
 *
 *   alone      one front-end, NULL 64 B at --depth: ops/s
 *   all        --fes front-ends at once, each its own socket and thread,
 *              the same load: each one's ops/s, their sum, Jain's index
 *              (sum x)^2 / (n sum x^2)
 *   qd1        one front-end, NULL 64 B at depth 1: p99 latency
 *   qd1_flood  the same while another front-end floods (NULL 64 B, depth
 *              64): p99 latency
 *
 * Ratios (medians over the rounds): null64_16fe_aggregate_vs_1fe,
 * null64_16fe_jain, qd1_p99_under_flood_vs_alone. Front-ends are threads
 * of this process (a library handle each), in event mode; with --no-spin
 * (make bench's choice) the throughput front-ends and the flooder sleep
 * at once when they wait (VIRTACCEL_OPEN_NO_SPIN), as a VM's vCPU would
 * yield, instead of spinning 50 us on a CPU the others need; the QD1
 * front-end always spins.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <virtaccel.h>

#include "vaccel-test.h"

int bench_multife(int argc, char **argv);

#define MF_MAX_FES	64
#define MF_MAX_DEPTH	64
#define MF_MAX_ROUNDS	15
#define MF_LAT_CAP	(1u << 20)

static const char *mf_backend;
static unsigned int mf_fes = 16, mf_workers = 1, mf_ms = 1500, mf_rounds = 3;
static unsigned int mf_depth = 16;
static unsigned int mf_open_flags;	/* --no-spin: VIRTACCEL_OPEN_NO_SPIN */
static char mf_dir[64];
static char mf_dev[MF_MAX_FES][128];
static pid_t mf_pid;

struct mf_fe {
	pthread_t t;
	unsigned int idx;
	unsigned int depth;
	int qd1;			/* record latencies (depth 1) */
	volatile int *go;		/* 1: run, 2: stop */
	struct virtaccel_dev *dev;
	uint64_t ops;
	double secs;
	uint64_t *lat;
	uint64_t nlat;
	int err;
};

static void mf_start_backend(void)
{
	char *args[8 + 2 * MF_MAX_FES];
	char workers[16];
	unsigned int i, n = 0, tries;
	struct stat st;

	snprintf(mf_dir, sizeof(mf_dir), "/tmp/vaccel-mfbench.XXXXXX");
	if (!mkdtemp(mf_dir))
		die("mkdtemp: %s", strerror(errno));
	snprintf(workers, sizeof(workers), "%u", mf_workers);
	args[n++] = (char *)mf_backend;
	for (i = 0; i < mf_fes; i++) {
		snprintf(mf_dev[i], sizeof(mf_dev[i]), "%s/s%u.sock", mf_dir, i);
		args[n++] = "--socket-path";
		args[n++] = mf_dev[i];
	}
	args[n++] = "--workers";
	args[n++] = workers;
	args[n++] = "--queues";
	args[n++] = "1";
	args[n++] = "--max-data-len";
	args[n++] = "65536";
	args[n] = NULL;
	mf_pid = fork();
	if (mf_pid < 0)
		die("fork: %s", strerror(errno));
	if (!mf_pid) {
		char log[96];
		int fd;

		snprintf(log, sizeof(log), "%s/backend.log", mf_dir);
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(mf_backend, args);
		_exit(127);
	}
	for (tries = 0; tries < 500; tries++) {
		int status;

		if (stat(mf_dev[mf_fes - 1], &st) == 0)
			break;
		if (waitpid(mf_pid, &status, WNOHANG) == mf_pid)
			die("back-end exited at start (log in %s)", mf_dir);
		usleep(20000);
	}
	if (tries == 500)
		die("back-end did not create its sockets (log in %s)", mf_dir);
	for (i = 0; i < mf_fes; i++) {
		char p[128];

		snprintf(p, sizeof(p), "vhost-user:%s", mf_dev[i]);
		snprintf(mf_dev[i], sizeof(mf_dev[i]), "%s", p);
	}
}

static int mf_stop_backend(void)
{
	char p[96];
	int status = 0;

	kill(mf_pid, SIGTERM);
	waitpid(mf_pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "vaccel-bench multife: back-end ended badly (0x%x, log in %s)\n",
			status, mf_dir);
		return -1;
	}
	snprintf(p, sizeof(p), "%s/backend.log", mf_dir);
	unlink(p);
	rmdir(mf_dir);
	return 0;
}

static void *mf_run(void *arg)
{
	struct mf_fe *f = arg;
	struct virtaccel_op op[MF_MAX_DEPTH], *ops[MF_MAX_DEPTH],
		*done[MF_MAX_DEPTH];
	uint8_t *buf;
	unsigned int i, inflight = 0, free_n;
	uint64_t t0 = 0, t1;

	buf = virtaccel_buf_alloc(f->dev, 2 * 64 * MF_MAX_DEPTH);
	if (!buf) {
		f->err = 1;
		return NULL;
	}
	memset(buf, 0x5a, 2 * 64 * MF_MAX_DEPTH);
	for (i = 0; i < f->depth; i++) {
		memset(&op[i], 0, sizeof(op[i]));
		op[i].opcode = VIRTIO_ACCEL_OP_NULL;
		op[i].src = buf + 128 * i;
		op[i].src_len = 64;
		op[i].dst = buf + 128 * i + 64;
		op[i].dst_len = 64;
		op[i].user_data = (void *)(uintptr_t)i;
	}
	while (!*f->go)
		;
	if (f->qd1) {
		t0 = now_ns();
		while (*f->go == 1) {
			uint64_t a = now_ns();

			if (virtaccel_run(f->dev, &op[0]) < 0) {
				f->err = 1;
				break;
			}
			if (f->nlat < MF_LAT_CAP)
				f->lat[f->nlat++] = now_ns() - a;
			f->ops++;
		}
		f->secs = (now_ns() - t0) / 1e9;
		return NULL;
	}
	/* keep --depth requests in flight */
	free_n = f->depth;
	for (i = 0; i < f->depth; i++)
		ops[i] = &op[i];
	t0 = now_ns();
	for (;;) {
		int k, j;

		if (*f->go == 1 && free_n) {
			k = virtaccel_submit(f->dev, 0, ops, free_n);
			if (k < 0) {
				f->err = 1;
				break;
			}
			/* the ones not taken stay first in ops[] */
			memmove(ops, ops + k, sizeof(ops[0]) * (free_n - k));
			free_n -= (unsigned int)k;
			inflight += (unsigned int)k;
		}
		if (!inflight)
			break;
		k = virtaccel_poll(f->dev, 0, done, MF_MAX_DEPTH, 100);
		if (k < 0 && k != -ETIMEDOUT && k != -EINTR) {
			f->err = 1;
			break;
		}
		for (j = 0; j < k; j++) {
			if (done[j]->status != VIRTIO_ACCEL_OK)
				f->err = 1;
			ops[free_n++] = done[j];
			inflight--;
			if (*f->go == 1)
				f->ops++;
		}
	}
	t1 = now_ns();
	f->secs = (t1 - t0) / 1e9;
	return NULL;
}

/* Run the front-ends @fe[0..n) for mf_ms; 0 or -1. */
static int mf_window(struct mf_fe *fe, unsigned int n)
{
	volatile int go = 0;
	unsigned int i;
	int bad = 0;

	for (i = 0; i < n; i++) {
		fe[i].go = &go;
		fe[i].ops = 0;
		fe[i].nlat = 0;
		fe[i].err = 0;
		if (pthread_create(&fe[i].t, NULL, mf_run, &fe[i]))
			die("pthread_create");
	}
	usleep(20000);
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	usleep(mf_ms * 1000);
	__atomic_store_n(&go, 2, __ATOMIC_RELEASE);
	for (i = 0; i < n; i++) {
		pthread_join(fe[i].t, NULL);
		bad |= fe[i].err;
	}
	return bad ? -1 : 0;
}

/* Front-end @i's handle again, with @flags (one front-end per socket). */
static void mf_reopen(struct mf_fe *f, unsigned int flags)
{
	struct virtaccel_open_opts oo = { .num_queues = 1, .flags = flags };
	unsigned int tries;

	virtaccel_close(f->dev);
	f->dev = NULL;
	/* the back-end may refuse it while it tears the old one down */
	for (tries = 0; tries < 200; tries++) {
		if (virtaccel_open(mf_dev[f->idx], &oo, &f->dev) == 0)
			return;
		usleep(10000);
	}
	die("reopen %s", mf_dev[f->idx]);
}

static double mf_p99(struct mf_fe *f)
{
	if (!f->nlat)
		return 0;
	qsort(f->lat, f->nlat, sizeof(f->lat[0]), cmp_u64);
	return (double)f->lat[(f->nlat * 99) / 100] / 1000.0;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double mf_med(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int bench_multife(int argc, char **argv)
{
	enum { O_BACKEND = 256, O_FES, O_WORKERS, O_MS, O_ROUNDS, O_DEPTH,
	       O_JSON, O_NOSPIN };
	static const struct option lo[] = {
		{ "backend", required_argument, NULL, O_BACKEND },
		{ "fes", required_argument, NULL, O_FES },
		{ "workers", required_argument, NULL, O_WORKERS },
		{ "ms", required_argument, NULL, O_MS },
		{ "rounds", required_argument, NULL, O_ROUNDS },
		{ "depth", required_argument, NULL, O_DEPTH },
		{ "json", required_argument, NULL, O_JSON },
		{ "no-spin", no_argument, NULL, O_NOSPIN },
		{ NULL, 0, NULL, 0 },
	};
	static struct mf_fe fe[MF_MAX_FES];
	double alone[MF_MAX_ROUNDS], agg[MF_MAX_ROUNDS], jain[MF_MAX_ROUNDS];
	double p99a[MF_MAX_ROUNDS], p99f[MF_MAX_ROUNDS];
	double r_agg[MF_MAX_ROUNDS], r_p99[MF_MAX_ROUNDS];
	double per[MF_MAX_ROUNDS][MF_MAX_FES];
	const char *json = NULL;
	struct virtaccel_open_opts oo = { .num_queues = 1 };
	unsigned int i, r;
	FILE *f;
	int o;

	optind = 1;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case O_BACKEND:
			mf_backend = optarg;
			break;
		case O_FES:
			mf_fes = (unsigned int)atoi(optarg);
			break;
		case O_WORKERS:
			mf_workers = (unsigned int)atoi(optarg);
			break;
		case O_MS:
			mf_ms = (unsigned int)atoi(optarg);
			break;
		case O_ROUNDS:
			mf_rounds = (unsigned int)atoi(optarg);
			break;
		case O_DEPTH:
			mf_depth = (unsigned int)atoi(optarg);
			break;
		case O_JSON:
			json = optarg;
			break;
		case O_NOSPIN:
			mf_open_flags |= VIRTACCEL_OPEN_NO_SPIN;
			break;
		default:
			return 2;
		}
	}
	if (!mf_backend || mf_fes < 2 || mf_fes > MF_MAX_FES || !mf_rounds ||
	    mf_rounds > MF_MAX_ROUNDS || !mf_depth ||
	    mf_depth > MF_MAX_DEPTH) {
		fprintf(stderr, "usage: vaccel-bench multife --backend BIN [--fes 2..64] [--workers N] [--ms MS] [--rounds 1..15] [--depth 1..64] [--json FILE]\n");
		return 2;
	}
	oo.flags = mf_open_flags;
	mf_start_backend();
	for (i = 0; i < mf_fes; i++) {
		fe[i].idx = i;
		if (virtaccel_open(mf_dev[i], &oo, &fe[i].dev) < 0)
			die("open %s", mf_dev[i]);
	}
	fe[1].lat = malloc(sizeof(uint64_t) * MF_LAT_CAP);
	if (!fe[1].lat)
		die("out of memory");
	for (r = 0; r < mf_rounds; r++) {
		double s = 0, s2 = 0;

		/* one front-end alone */
		fe[0].depth = mf_depth;
		fe[0].qd1 = 0;
		if (mf_window(fe, 1))
			die("alone: a request failed");
		alone[r] = fe[0].ops / fe[0].secs;
		/* all of them */
		for (i = 0; i < mf_fes; i++) {
			fe[i].depth = mf_depth;
			fe[i].qd1 = 0;
		}
		if (mf_window(fe, mf_fes))
			die("%u front-ends: a request failed", mf_fes);
		for (i = 0; i < mf_fes; i++) {
			double x = fe[i].ops / fe[i].secs;

			per[r][i] = x;
			s += x;
			s2 += x * x;
		}
		agg[r] = s;
		jain[r] = s * s / (mf_fes * s2);
		r_agg[r] = agg[r] / alone[r];
		/*
		 * QD1 alone, then under a flood (front-end 0, depth 64); the
		 * QD1 front-end spins on its completion (latency first)
		 */
		if (mf_open_flags)
			mf_reopen(&fe[1], 0);
		fe[1].depth = 1;
		fe[1].qd1 = 1;
		if (mf_window(fe + 1, 1))
			die("qd1: a request failed");
		p99a[r] = mf_p99(&fe[1]);
		fe[0].depth = MF_MAX_DEPTH;
		fe[0].qd1 = 0;
		if (mf_window(fe, 2))
			die("qd1 under flood: a request failed");
		p99f[r] = mf_p99(&fe[1]);
		r_p99[r] = p99f[r] / p99a[r];
		if (mf_open_flags)
			mf_reopen(&fe[1], mf_open_flags);
		fprintf(stderr,
			"multife round %u: alone %.0f ops/s, %u front-ends %.0f ops/s (%.3f), jain %.3f, qd1 p99 %.1f us alone, %.1f us under flood (%.2f)\n",
			r + 1, alone[r], mf_fes, agg[r], r_agg[r], jain[r],
			p99a[r], p99f[r], r_p99[r]);
	}
	for (i = 0; i < mf_fes; i++)
		virtaccel_close(fe[i].dev);
	free(fe[1].lat);
	if (mf_stop_backend() < 0)
		return 1;
	printf("multife: %u front-ends, %u worker%s, NULL 64 B depth %u, %u rounds of %u ms%s\n",
	       mf_fes, mf_workers, mf_workers == 1 ? "" : "s", mf_depth,
	       mf_rounds, mf_ms, mf_open_flags ? ", --no-spin" : "");
	printf("ratio null64_16fe_aggregate_vs_1fe %.3f\n",
	       mf_med(r_agg, mf_rounds));
	printf("ratio null64_16fe_jain %.3f\n", mf_med(jain, mf_rounds));
	printf("ratio qd1_p99_under_flood_vs_alone %.3f\n",
	       mf_med(r_p99, mf_rounds));
	if (!json)
		return 0;
	f = fopen(json, "w");
	if (!f)
		die("%s: %s", json, strerror(errno));
	fprintf(f, "{\"fes\": %u, \"workers\": %u, \"depth\": %u, \"rounds\": %u, \"ms\": %u, \"cpus\": %ld, \"no_spin\": %d,\n",
		mf_fes, mf_workers, mf_depth, mf_rounds, mf_ms,
		sysconf(_SC_NPROCESSORS_ONLN), !!mf_open_flags);
	fprintf(f, " \"rounds_data\": [");
	for (r = 0; r < mf_rounds; r++) {
		fprintf(f, "%s\n  {\"alone_ops\": %.1f, \"aggregate_ops\": %.1f, \"jain\": %.4f, \"qd1_p99_us\": %.2f, \"qd1_p99_flood_us\": %.2f, \"per_fe_ops\": [",
			r ? "," : "", alone[r], agg[r], jain[r], p99a[r],
			p99f[r]);
		for (i = 0; i < mf_fes; i++)
			fprintf(f, "%s%.1f", i ? ", " : "", per[r][i]);
		fprintf(f, "]}");
	}
	fprintf(f, "],\n \"ratios\": {\"null64_16fe_aggregate_vs_1fe\": %.4f, \"null64_16fe_jain\": %.4f, \"qd1_p99_under_flood_vs_alone\": %.4f}}\n",
		mf_med(r_agg, mf_rounds), mf_med(jain, mf_rounds),
		mf_med(r_p99, mf_rounds));
	fclose(f);
	return 0;
}
