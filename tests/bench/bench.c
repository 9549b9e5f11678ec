// SPDX-License-Identifier: BSD-3-Clause
/*
 * vaccel-bench: the device measured side by side with its baselines.
 *
 * Every case is run several times, interleaved with the others in a fixed
 * order (A/B/A/B: a baseline and the device case it is compared with run
 * next to each other in every round), and reported as the median of the
 * rounds with their minimum and maximum. Baselines run in this process:
 *
 *   memcpy      single-core memcpy of the same size
 *   native_*    the engine called directly (OpenSSL EVP, zlib), one thread
 *   ring_*      a two-thread shared-memory ring handing over 64-byte
 *               requests and responses (the transport floor)
 *   unix_rpc    a blocking request/response over a UNIX socket pair
 *
 * Device cases go through libvirtaccel to a device string (by default a
 * vhost-user-accel back-end this program starts, one in event mode and one
 * with --poll). CPU time is this process's plus the back-end's (all its
 * threads, from /proc/PID/task/TID/schedstat); cycles are CPU time times
 * the TSC rate the kernel reports (no hardware counters are assumed).
 *
 * Output: a table on stdout, progress on stderr, and --json FILE.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <zlib.h>

#include <virtaccel.h>

#include "vaccel-test.h"

#define MAX_REPS	15
#define MAX_CASES	128
#define MAX_BE		2
#define MSG		64
#define RING_SLOTS	256	/* power of two */
#define LAT_CAP		(1u << 21)

static unsigned int opt_reps = 5;
static unsigned int opt_ms = 400;
static const char *opt_json;
static const char *opt_backend;
static const char *opt_dev[MAX_BE];	/* event, poll */
static const char *opt_filter;
static const char *opt_be_args[8];	/* --backend-arg */
static unsigned int opt_nbe_args;
static const char *opt_label = "vhost-user";
static int opt_quick;
static unsigned int opt_engine_lat;	/* --engine-latency-us */
static double tsc_ghz;

static uint64_t self_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* CPU time of every thread of @pid, in ns (0 if it cannot be read). */
static uint64_t proc_cpu_ns(pid_t pid)
{
	char path[64], line[128];
	struct dirent *e;
	uint64_t sum = 0;
	DIR *d;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		unsigned long long ns;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/schedstat",
			 (int)pid, e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(line, sizeof(line), f) &&
		    sscanf(line, "%llu", &ns) == 1)
			sum += ns;
		fclose(f);
	}
	closedir(d);
	return sum;
}

static double read_tsc_ghz(void)
{
	char line[256];
	double mhz = 0;
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "cpu MHz : %lf", &mhz) == 1)
			break;
	fclose(f);
	return mhz / 1000.0;
}

/* ---- results ---------------------------------------------------------- */

enum metric {
	M_OPS,		/* operations per second */
	M_GBPS,		/* payload bytes per second / 1e9 */
	M_P50,		/* latency, microseconds */
	M_P99,
	M_P999,
	M_CPU_NS,	/* CPU ns per op, all threads of both sides */
	M_CYCLES,	/* M_CPU_NS * TSC GHz */
	M_BE_MOPS,	/* ops per second per back-end core, millions */
	M_KICKS,	/* kicks per op */
	M_IRQS,		/* interrupts (call eventfd signals) per op */
	M_N
};

static const char *const metric_name[M_N] = {
	"ops_per_s", "gb_per_s", "p50_us", "p99_us", "p999_us",
	"cpu_ns_per_op", "cycles_per_op", "mops_per_backend_core",
	"kicks_per_op", "interrupts_per_op",
};

enum kind { K_MEMCPY, K_NATIVE, K_RING, K_RPC, K_DEV };

/*
 * Completion modes: event (the library spins briefly, then sleeps on the
 * call fd; the back-end spins briefly, then sleeps on kicks), sleep (the
 * same with VIRTACCEL_OPEN_NO_SPIN: every wait is a wake-up), poll (both
 * sides busy-poll: VIRTACCEL_OPEN_POLL and vhost-user-accel --poll).
 */
enum { MODE_EVENT, MODE_POLL, MODE_SLEEP };
static const char *const mode_name[] = { "event", "poll", "sleep" };

struct bcase {
	char name[64];
	enum kind kind;
	const char *what;	/* op: null sha256 gcm deflate */
	uint32_t size;
	unsigned int depth;
	unsigned int queues;
	int poll;		/* MODE_*: device completion mode */
	int group;		/* size sweep / plot group */
	unsigned int nrep;
	double v[MAX_REPS][M_N];
	int have[M_N];
	int skipped;
	char why[128];
};

static struct bcase cases[MAX_CASES];
static unsigned int ncases;

static struct bcase *add_case(enum kind k, const char *what, uint32_t size,
			      unsigned int depth, unsigned int queues, int poll)
{
	struct bcase *c;

	if (ncases == MAX_CASES)
		die("too many cases");
	c = &cases[ncases++];
	memset(c, 0, sizeof(*c));
	c->kind = k;
	c->what = what;
	c->size = size;
	c->depth = depth;
	c->queues = queues;
	c->poll = poll;
	switch (k) {
	case K_MEMCPY:
		snprintf(c->name, sizeof(c->name), "memcpy_%u", size);
		break;
	case K_NATIVE:
		snprintf(c->name, sizeof(c->name), "native_%s_%u", what, size);
		break;
	case K_RING:
		snprintf(c->name, sizeof(c->name), "ring_%u_d%u_%s", size,
			 depth, mode_name[poll]);
		break;
	case K_RPC:
		snprintf(c->name, sizeof(c->name), "unix_rpc_%u", size);
		break;
	case K_DEV:
		snprintf(c->name, sizeof(c->name), "dev_%s_%u_d%u_q%u_%s",
			 what, size, depth, queues, mode_name[poll]);
		break;
	}
	return c;
}

static struct bcase *find_case(const char *name)
{
	unsigned int i;

	for (i = 0; i < ncases; i++)
		if (!strcmp(cases[i].name, name))
			return &cases[i];
	return NULL;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median (and min/max) of metric @m over the rounds of @c. */
static double stat_of(const struct bcase *c, enum metric m, int which)
{
	double v[MAX_REPS];
	unsigned int i;

	if (!c || c->skipped || !c->nrep || !c->have[m])
		return NAN;
	for (i = 0; i < c->nrep; i++)
		v[i] = c->v[i][m];
	qsort(v, c->nrep, sizeof(v[0]), cmp_dbl);
	if (which < 0)
		return v[0];
	if (which > 0)
		return v[c->nrep - 1];
	return c->nrep & 1 ? v[c->nrep / 2] :
			     (v[c->nrep / 2 - 1] + v[c->nrep / 2]) / 2;
}

static double med(const char *name, enum metric m)
{
	return stat_of(find_case(name), m, 0);
}

/* ---- latency samples -------------------------------------------------- */

static uint64_t *lat;
static uint64_t nlat;

static void lat_put(double *v, int *have)
{
	if (!nlat)
		return;
	qsort(lat, nlat, sizeof(*lat), cmp_u64);
	v[M_P50] = lat[nlat / 2] / 1e3;
	v[M_P99] = lat[(nlat * 99) / 100] / 1e3;
	v[M_P999] = lat[(nlat * 999) / 1000] / 1e3;
	have[M_P50] = have[M_P99] = have[M_P999] = 1;
}

static inline void lat_add(uint64_t ns)
{
	if (nlat < LAT_CAP)
		lat[nlat++] = ns;
}

/* ---- test data ---------------------------------------------------------- */

static const uint8_t key32[32] = { 0x10, 0x21, 0x32, 0x43, 0x54, 0x65 };
static const uint8_t iv12[12] = { 0xa0, 0xb1, 0xc2 };

/* Text-like, compressible about 3:1 by zlib, deterministic. */
static void fill(uint8_t *p, size_t n)
{
	static const char words[] =
		"virtio accel queue device driver request session ring "
		"descriptor buffer engine vhost user kernel guest host ";
	uint32_t x = 12345;
	size_t i;

	for (i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (x >> 24) < 32 ? (uint8_t)(x >> 16) :
					(uint8_t)words[(i + (x >> 28)) %
						       (sizeof(words) - 1)];
	}
}

/* ---- baselines ---------------------------------------------------------- */

struct window {
	uint64_t t0, cpu0, be0;
	pid_t be;
};

static void win_start(struct window *w, pid_t be)
{
	w->be = be;
	w->be0 = proc_cpu_ns(be);
	w->cpu0 = self_cpu_ns();
	w->t0 = now_ns();
}

static void win_end(struct window *w, uint64_t ops, uint64_t bytes, double *v,
		    int *have)
{
	double el = (now_ns() - w->t0) / 1e9;
	uint64_t cpu = self_cpu_ns() - w->cpu0;
	uint64_t be = w->be ? proc_cpu_ns(w->be) - w->be0 : 0;

	v[M_OPS] = ops / el;
	v[M_GBPS] = bytes / el / 1e9;
	v[M_CPU_NS] = ops ? (double)(cpu + be) / ops : NAN;
	v[M_CYCLES] = v[M_CPU_NS] * tsc_ghz;
	have[M_OPS] = have[M_GBPS] = have[M_CPU_NS] = have[M_CYCLES] = 1;
	if (w->be) {
		v[M_BE_MOPS] = be ? ops / (be / 1e9) / 1e6 : NAN;
		have[M_BE_MOPS] = 1;
	}
}

static void run_memcpy(struct bcase *c, double *v)
{
	uint8_t *a = aligned_alloc(64, c->size), *b = aligned_alloc(64, c->size);
	uint64_t ops = 0, end;
	struct window w;

	if (!a || !b)
		die("out of memory");
	fill(a, c->size);
	memset(b, 0, c->size);
	win_start(&w, 0);
	end = w.t0 + opt_ms * 1000000ull;
	do {
		memcpy(b, a, c->size);
		__asm__ __volatile__("" : : "r"(b) : "memory");
		ops++;
	} while ((ops & 7) || now_ns() < end);
	win_end(&w, ops, ops * c->size, v, c->have);
	free(a);
	free(b);
}

static void run_native(struct bcase *c, double *v)
{
	size_t cap = c->size + 64 + c->size / 100 + 1024;
	uint8_t *src = malloc(c->size), *dst = malloc(cap);
	EVP_CIPHER_CTX *cx = EVP_CIPHER_CTX_new();
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint64_t ops = 0, end, t;
	struct window w;
	z_stream z;
	int outl, sha, gcm;

	if (!src || !dst || !cx || !md)
		die("out of memory");
	/* decided once: the loop below is what is measured */
	sha = !strcmp(c->what, "sha256");
	gcm = !strcmp(c->what, "gcm");
	fill(src, c->size);
	memset(&z, 0, sizeof(z));
	if (!sha && !gcm &&
	    deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		die("deflateInit2 failed");
	/* the key schedule is set up once, as a device session keeps it */
	EVP_EncryptInit_ex(cx, EVP_aes_256_gcm(), NULL, key32, NULL);
	nlat = 0;
	win_start(&w, 0);
	end = w.t0 + opt_ms * 1000000ull;
	do {
		t = now_ns();
		if (sha) {
			unsigned int l;

			EVP_DigestInit_ex(md, EVP_sha256(), NULL);
			EVP_DigestUpdate(md, src, c->size);
			EVP_DigestFinal_ex(md, dst, &l);
		} else if (gcm) {
			EVP_EncryptInit_ex(cx, NULL, NULL, NULL, iv12);
			EVP_EncryptUpdate(cx, dst, &outl, src, (int)c->size);
			EVP_EncryptFinal_ex(cx, dst + outl, &outl);
			EVP_CIPHER_CTX_ctrl(cx, EVP_CTRL_GCM_GET_TAG, 16,
					    dst + c->size);
		} else {
			deflateReset(&z);
			z.next_in = src;
			z.avail_in = c->size;
			z.next_out = dst;
			z.avail_out = (uInt)cap;
			if (deflate(&z, Z_FINISH) != Z_STREAM_END)
				die("native deflate did not finish");
		}
		lat_add(now_ns() - t);
		ops++;
	} while (now_ns() < end);
	win_end(&w, ops, ops * c->size, v, c->have);
	lat_put(v, c->have);
	if (!sha && !gcm)
		deflateEnd(&z);
	EVP_CIPHER_CTX_free(cx);
	EVP_MD_CTX_free(md);
	free(src);
	free(dst);
}

/*
 * Single-producer single-consumer ring of 64-byte messages; head and tail
 * on their own cache lines, the consumer copies each request into the
 * response ring (the same handoff a NULL request does).
 */
struct ring {
	_Alignas(64) uint64_t head;	/* written by the producer */
	_Alignas(64) uint64_t tail;	/* written by the consumer */
	_Alignas(64) uint8_t slot[RING_SLOTS][MSG];
};

struct ring_pair {
	struct ring req, resp;
	int stop;
	int poll;	/* consumer busy-polls (else sleeps briefly when idle) */
};

static unsigned int ring_push(struct ring *r, const uint8_t *m, uint64_t n)
{
	uint64_t h = r->head, t = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
	uint64_t i;

	if (n > RING_SLOTS - (h - t))
		n = RING_SLOTS - (h - t);
	for (i = 0; i < n; i++)
		memcpy(r->slot[(h + i) & (RING_SLOTS - 1)], m + i * MSG, MSG);
	__atomic_store_n(&r->head, h + n, __ATOMIC_RELEASE);
	return (unsigned int)n;
}

static unsigned int ring_pop(struct ring *r, uint8_t *m, uint64_t max)
{
	uint64_t t = r->tail, h = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	uint64_t n = h - t, i;

	if (n > max)
		n = max;
	for (i = 0; i < n; i++)
		memcpy(m + i * MSG, r->slot[(t + i) & (RING_SLOTS - 1)], MSG);
	__atomic_store_n(&r->tail, t + n, __ATOMIC_RELEASE);
	return (unsigned int)n;
}

static void *ring_server(void *arg)
{
	struct ring_pair *p = arg;
	uint8_t buf[32 * MSG];
	unsigned int n, k;

	while (!__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
		n = ring_pop(&p->req, buf, 32);
		if (!n) {
			__builtin_ia32_pause();
			continue;
		}
		for (k = 0; k < n;)
			k += ring_push(&p->resp, buf + k * MSG, n - k);
	}
	return NULL;
}

static void run_ring(struct bcase *c, double *v)
{
	struct ring_pair *p = aligned_alloc(64, sizeof(*p));
	uint8_t req[32 * MSG], got[32 * MSG];
	uint64_t t0[RING_SLOTS];
	uint64_t ops = 0, sent = 0, end, t;
	unsigned int inflight = 0, n, i, want;
	struct window w;
	pthread_t th;

	if (!p)
		die("out of memory");
	memset(p, 0, sizeof(*p));
	fill(req, sizeof(req));
	if (pthread_create(&th, NULL, ring_server, p))
		die("pthread_create failed");
	nlat = 0;
	win_start(&w, 0);
	end = w.t0 + opt_ms * 1000000ull;
	for (;;) {
		t = now_ns();
		if (t < end && inflight < c->depth) {
			want = c->depth - inflight;
			if (want > 32)
				want = 32;
			n = ring_push(&p->req, req, want);
			for (i = 0; i < n; i++)
				t0[(sent + i) & (RING_SLOTS - 1)] = t;
			sent += n;
			inflight += n;
		} else if (!inflight) {
			break;
		}
		n = ring_pop(&p->resp, got, 32);
		if (!n) {
			__builtin_ia32_pause();
			continue;
		}
		t = now_ns();
		for (i = 0; i < n; i++)
			lat_add(t - t0[(ops + i) & (RING_SLOTS - 1)]);
		ops += n;
		inflight -= n;
	}
	win_end(&w, ops, ops * MSG, v, c->have);
	lat_put(v, c->have);
	__atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	free(p);
}

static void *rpc_server(void *arg)
{
	int fd = *(int *)arg;
	uint8_t m[MSG];

	for (;;) {
		ssize_t n = recv(fd, m, sizeof(m), MSG_WAITALL);

		if (n != sizeof(m))
			break;
		if (send(fd, m, sizeof(m), 0) != sizeof(m))
			break;
	}
	return NULL;
}

static void run_rpc(struct bcase *c, double *v)
{
	uint8_t m[MSG], r[MSG];
	uint64_t ops = 0, end, t;
	struct window w;
	pthread_t th;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		die("socketpair: %s", strerror(errno));
	fill(m, sizeof(m));
	if (pthread_create(&th, NULL, rpc_server, &sv[1]))
		die("pthread_create failed");
	nlat = 0;
	win_start(&w, 0);
	end = w.t0 + opt_ms * 1000000ull;
	do {
		t = now_ns();
		if (send(sv[0], m, sizeof(m), 0) != sizeof(m) ||
		    recv(sv[0], r, sizeof(r), MSG_WAITALL) != sizeof(r))
			die("unix rpc: %s", strerror(errno));
		lat_add(now_ns() - t);
		ops++;
	} while (now_ns() < end);
	win_end(&w, ops, ops * MSG, v, c->have);
	lat_put(v, c->have);
	shutdown(sv[0], SHUT_RDWR);
	pthread_join(th, NULL);
	close(sv[0]);
	close(sv[1]);
}

/* ---- device ------------------------------------------------------------- */

static pid_t be_pid[MAX_BE];
static char be_dir[64];

struct dop {
	struct virtaccel_op op;
	uint64_t t0;
	unsigned int q;
	int busy;
};

static int dev_prepare_op(struct bcase *c, struct virtaccel_op *op,
			  uint64_t sess)
{
	if (!strcmp(c->what, "null")) {
		op->opcode = VIRTIO_ACCEL_OP_NULL;
		op->dst_len = c->size;
	} else if (!strcmp(c->what, "sha256")) {
		op->opcode = VIRTIO_ACCEL_OP_HASH;
		op->algo = VIRTIO_ACCEL_ALG_SHA256;
		op->dst_len = 32;
	} else if (!strcmp(c->what, "gcm")) {
		op->opcode = VIRTIO_ACCEL_OP_AEAD_ENCRYPT;
		op->algo = VIRTIO_ACCEL_ALG_AES256_GCM;
		op->session_id = sess;
		op->iv = iv12;
		op->iv_len = sizeof(iv12);
		op->dst_len = c->size + 16;
	} else if (!strcmp(c->what, "deflate")) {
		op->opcode = VIRTIO_ACCEL_OP_COMPRESS;
		op->algo = VIRTIO_ACCEL_ALG_DEFLATE;
		op->dst_len = VIRTIO_ACCEL_DEFLATE_BOUND(c->size);
	} else {
		return -EINVAL;
	}
	op->src_len = c->size;
	return 0;
}

static int run_dev(struct bcase *c, double *v)
{
	struct virtaccel_open_opts o = { .num_queues = c->queues };
	struct virtaccel_queue_stats s0[1 + 16], s1;
	const char *devstr = opt_dev[c->poll == MODE_POLL];
	unsigned int i, q, nops = c->depth * c->queues, inflight = 0;
	struct virtaccel_op **vec = NULL, **done = NULL;
	struct virtaccel_dev *dev = NULL;
	struct virtaccel_info info;
	struct dop *ops = NULL;
	uint64_t n_ok = 0, end, t, kicks = 0, irqs = 0, sess = 0;
	struct pollfd pfd[16];
	uint8_t *src = NULL, *dst = NULL;
	struct window w;
	int ret;

	if (c->poll == MODE_POLL)
		o.flags |= VIRTACCEL_OPEN_POLL;
	else if (c->poll == MODE_SLEEP)
		o.flags |= VIRTACCEL_OPEN_NO_SPIN;
	if (c->queues > 16)
		return -EINVAL;
	/*
	 * The back-end serves one front-end at a time and may still be
	 * tearing down the previous case's connection: it then resets the
	 * new one. Retry for a while, as any reconnecting client would.
	 */
	for (i = 0; i < 100; i++) {
		ret = virtaccel_open(devstr, &o, &dev);
		if (ret != -ECONNRESET && ret != -ECONNREFUSED)
			break;
		usleep(20000);
	}
	if (ret < 0) {
		snprintf(c->why, sizeof(c->why), "open %s: %s", devstr,
			 strerror(-ret));
		return ret;
	}
	ret = virtaccel_get_info(dev, &info);
	if (ret < 0 || info.num_queues < c->queues) {
		snprintf(c->why, sizeof(c->why),
			 "device gives %u data queues, %u wanted",
			 ret < 0 ? 0 : info.num_queues, c->queues);
		ret = -ENODEV;
		goto out;
	}
	{
		struct virtaccel_op probe = { 0 };

		dev_prepare_op(c, &probe, 0);
		if (probe.src_len > info.max_data_len ||
		    probe.dst_len > info.max_data_len) {
			snprintf(c->why, sizeof(c->why),
				 "needs %u bytes of dst, the device's max_data_len is %u",
				 probe.dst_len, info.max_data_len);
			ret = -EMSGSIZE;
			goto out;
		}
	}
	if (!strcmp(c->what, "gcm")) {
		ret = virtaccel_session_create(dev, VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
					       VIRTIO_ACCEL_ALG_AES256_GCM, 0,
					       key32, sizeof(key32), &sess);
		if (ret < 0) {
			snprintf(c->why, sizeof(c->why), "session: %s",
				 strerror(-ret));
			goto out;
		}
	}
	ops = calloc(nops, sizeof(*ops));
	vec = calloc(nops, sizeof(*vec));
	done = calloc(nops, sizeof(*done));
	if (!ops || !vec || !done) {
		ret = -ENOMEM;
		goto out;
	}
	/* buffers in the shared memory: passed to the device without a copy */
	src = virtaccel_buf_alloc(dev, c->size ? c->size : 1);
	for (i = 0; i < nops; i++) {
		dev_prepare_op(c, &ops[i].op, sess);
		ops[i].q = i % c->queues;
		ops[i].op.src = src;
		ops[i].op.user_data = &ops[i];
	}
	dst = virtaccel_buf_alloc(dev, (size_t)nops * ops[0].op.dst_len);
	if (!src || !dst) {
		snprintf(c->why, sizeof(c->why),
			 "no room for %u x %u bytes of shared buffers", nops,
			 c->size);
		ret = -ENOMEM;
		goto out;
	}
	fill(src, c->size);
	for (i = 0; i < nops; i++)
		ops[i].op.dst = dst + (size_t)i * ops[0].op.dst_len;
	for (q = 0; q < c->queues; q++) {
		virtaccel_get_stats(dev, 1 + q, &s0[q]);
		pfd[q].fd = c->poll == MODE_POLL ? -1 :
						   virtaccel_queue_fd(dev, q);
		pfd[q].events = POLLIN;
	}

	nlat = 0;
	win_start(&w, be_pid[c->poll == MODE_POLL]);
	end = w.t0 + opt_ms * 1000000ull;
	for (;;) {
		unsigned int got = 0;

		t = now_ns();
		if (t < end) {
			for (q = 0; q < c->queues; q++) {
				unsigned int k = 0;

				for (i = q; i < nops; i += c->queues) {
					if (ops[i].busy)
						continue;
					ops[i].busy = 1;
					ops[i].t0 = t;
					vec[k++] = &ops[i].op;
				}
				if (!k)
					continue;
				ret = virtaccel_submit(dev, q, vec, k);
				if (ret < 0) {
					snprintf(c->why, sizeof(c->why),
						 "submit: %s", strerror(-ret));
					goto out;
				}
				for (i = (unsigned int)ret; i < k; i++)
					((struct dop *)vec[i]->user_data)->busy =
						0;
				inflight += (unsigned int)ret;
			}
		} else if (!inflight) {
			break;
		}
		for (q = 0; q < c->queues; q++) {
			/*
			 * One queue in an event mode: the library waits (its
			 * spin, then the call fd). Several: take what is
			 * there, then poll(2) the queue fds below.
			 */
			ret = virtaccel_poll(dev, q, done, nops,
					     c->poll != MODE_POLL &&
					     c->queues == 1 && inflight ? 100 : 0);
			if (ret < 0) {
				snprintf(c->why, sizeof(c->why), "poll: %s",
					 strerror(-ret));
				goto out;
			}
			t = now_ns();
			for (i = 0; i < (unsigned int)ret; i++) {
				struct dop *d = done[i]->user_data;

				if (done[i]->status != VIRTIO_ACCEL_OK) {
					snprintf(c->why, sizeof(c->why),
						 "device returned %s",
						 virtaccel_status_str(
							 done[i]->status));
					ret = -EIO;
					goto out;
				}
				lat_add(t - d->t0);
				d->busy = 0;
			}
			got += (unsigned int)ret;
		}
		inflight -= got;
		n_ok += got;
		if (!got && c->poll != MODE_POLL && c->queues > 1 && inflight)
			poll(pfd, c->queues, 100);
	}
	win_end(&w, n_ok, n_ok * c->size, v, c->have);
	lat_put(v, c->have);
	for (q = 0; q < c->queues; q++) {
		virtaccel_get_stats(dev, 1 + q, &s1);
		kicks += s1.kicks - s0[q].kicks;
		irqs += s1.interrupts - s0[q].interrupts;
	}
	v[M_KICKS] = n_ok ? (double)kicks / n_ok : NAN;
	v[M_IRQS] = n_ok ? (double)irqs / n_ok : NAN;
	c->have[M_KICKS] = c->have[M_IRQS] = 1;
	ret = 0;
out:
	if (ret < 0 && inflight) {
		/* let the device finish before the buffers go */
		for (q = 0; q < c->queues; q++)
			virtaccel_poll(dev, q, done, nops, 1000);
	}
	if (src)
		virtaccel_buf_free(dev, src);
	if (dst)
		virtaccel_buf_free(dev, dst);
	if (sess)
		virtaccel_session_destroy(dev, sess);
	virtaccel_close(dev);
	free(ops);
	free(vec);
	free(done);
	return ret < 0 ? ret : 0;
}

/* Start the back-end @i (0 event mode, 1 --poll) on a private socket. */
static void start_backend(unsigned int i)
{
	static char sock[MAX_BE][128], devs[MAX_BE][160];
	unsigned int tries;
	struct stat st;
	pid_t pid;

	snprintf(sock[i], sizeof(sock[i]), "%s/%s.sock", be_dir,
		 i ? "poll" : "event");
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		char log[128];
		int fd;

		snprintf(log, sizeof(log), "%s/%s.log", be_dir,
			 i ? "poll" : "event");
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		const char *av[16 + 8];
		char lat_us[16];
		unsigned int n = 0, k;

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		av[n++] = opt_backend;
		av[n++] = "--socket-path";
		av[n++] = sock[i];
		av[n++] = "--queues";
		av[n++] = "2";
		av[n++] = "--max-data-len";
		av[n++] = "4194304";
		if (opt_engine_lat) {
			snprintf(lat_us, sizeof(lat_us), "%u", opt_engine_lat);
			av[n++] = "--test-engine-latency-us";
			av[n++] = lat_us;
		}
		if (i)
			av[n++] = "--poll";
		for (k = 0; k < opt_nbe_args; k++)
			av[n++] = opt_be_args[k];
		av[n] = NULL;
		execv(opt_backend, (char **)av);
		_exit(127);
	}
	be_pid[i] = pid;
	for (tries = 0; tries < 300; tries++) {
		int status;

		if (stat(sock[i], &st) == 0)
			break;
		if (waitpid(pid, &status, WNOHANG) == pid)
			die("back-end %s exited at start (log in %s)",
			    opt_backend, be_dir);
		usleep(20000);
	}
	if (tries == 300)
		die("back-end did not create %s", sock[i]);
	snprintf(devs[i], sizeof(devs[i]), "vhost-user:%s", sock[i]);
	opt_dev[i] = devs[i];
}

static void stop_backends(void)
{
	char path[128];
	unsigned int i;
	int bad = 0;

	for (i = 0; i < MAX_BE; i++) {
		int status;

		if (be_pid[i] <= 0)
			continue;
		kill(be_pid[i], SIGTERM);
		waitpid(be_pid[i], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr,
				"vaccel-bench: back-end %u ended badly (status 0x%x, log in %s)\n",
				i, status, be_dir);
			bad = 1;
		}
		be_pid[i] = 0;
	}
	if (bad || !be_dir[0])
		return;
	for (i = 0; i < MAX_BE; i++) {
		snprintf(path, sizeof(path), "%s/%s.log", be_dir, mode_name[i]);
		unlink(path);
	}
	rmdir(be_dir);
}

/* ---- plan ------------------------------------------------------------- */

static const uint32_t sizes[] = { 64, 4096, 65536, 1048576 };

static unsigned int depth_for(uint32_t size)
{
	return size >= 65536 ? 4 : 32;
}

/* --only A,B: a case whose name contains one of them */
static int filter_match(const char *name)
{
	const char *p = opt_filter;

	while (*p) {
		size_t l = strcspn(p, ",");
		char sub[64];

		if (l && l < sizeof(sub)) {
			memcpy(sub, p, l);
			sub[l] = 0;
			if (strstr(name, sub))
				return 1;
		}
		p += l + (p[l] == ',');
	}
	return 0;
}

static void plan(void)
{
	static const unsigned int depths[] = { 1, 8, 32, 128 };
	unsigned int i;

	if (opt_engine_lat) {
		/* the asynchronous pipeline: one engine latency, two depths */
		add_case(K_DEV, "null", 64, 1, 1, MODE_POLL);
		add_case(K_DEV, "null", 64, 64, 1, MODE_POLL);
		add_case(K_DEV, "null", 64, 1, 1, MODE_EVENT);
		add_case(K_DEV, "null", 64, 64, 1, MODE_EVENT);
		return;
	}

	/* transport: the floor, the RPC, then the device, poll and event */
	add_case(K_RING, "ring", MSG, 32, 1, 1);
	add_case(K_DEV, "null", 64, 32, 1, MODE_POLL);
	add_case(K_DEV, "null", 64, 32, 1, MODE_EVENT);
	add_case(K_DEV, "null", 64, 32, 1, MODE_SLEEP);
	add_case(K_RPC, "rpc", MSG, 1, 1, 0);
	add_case(K_RING, "ring", MSG, 1, 1, 1);
	add_case(K_DEV, "null", 64, 1, 1, MODE_POLL);
	add_case(K_DEV, "null", 64, 1, 1, MODE_EVENT);
	add_case(K_DEV, "null", 64, 1, 1, MODE_SLEEP);
	if (!opt_quick) {
		for (i = 0; i < 4; i++) {
			if (depths[i] == 1 || depths[i] == 32)
				continue;
			add_case(K_DEV, "null", 64, depths[i], 1, MODE_POLL);
			add_case(K_DEV, "null", 64, depths[i], 1, MODE_EVENT);
		}
		add_case(K_DEV, "null", 64, 32, 2, MODE_POLL);
		add_case(K_DEV, "null", 64, 32, 2, MODE_EVENT);
	}
	/* copy bound: a 1 MiB NULL request against memcpy */
	add_case(K_MEMCPY, "memcpy", 1048576, 1, 1, 0);
	add_case(K_DEV, "null", 1048576, 4, 1, 0);
	/* engines: native next to the device, every size */
	for (i = 0; i < 4; i++) {
		if (opt_quick && sizes[i] != 64 && sizes[i] != 1048576)
			continue;
		add_case(K_NATIVE, "sha256", sizes[i], 1, 1, 0);
		add_case(K_DEV, "sha256", sizes[i], depth_for(sizes[i]), 1, 0);
		add_case(K_NATIVE, "gcm", sizes[i], 1, 1, 0);
		add_case(K_DEV, "gcm", sizes[i], depth_for(sizes[i]), 1, 0);
		/* queue depth 1: latency, and what the AF_ALG peer does */
		add_case(K_DEV, "gcm", sizes[i], 1, 1, 0);
	}
	add_case(K_NATIVE, "deflate", 1048576, 1, 1, 0);
	add_case(K_DEV, "deflate", 1048576, 4, 1, 0);
	if (opt_filter) {
		unsigned int k = 0;

		for (i = 0; i < ncases; i++)
			if (filter_match(cases[i].name))
				cases[k++] = cases[i];
		ncases = k;
	}
}

static void run_one(struct bcase *c)
{
	double *v;
	int ret = 0;

	if (c->skipped || c->nrep >= MAX_REPS)
		return;
	v = c->v[c->nrep];
	switch (c->kind) {
	case K_MEMCPY:
		run_memcpy(c, v);
		break;
	case K_NATIVE:
		run_native(c, v);
		break;
	case K_RING:
		run_ring(c, v);
		break;
	case K_RPC:
		run_rpc(c, v);
		break;
	case K_DEV:
		ret = run_dev(c, v);
		break;
	}
	if (ret < 0) {
		c->skipped = 1;
		fprintf(stderr, "vaccel-bench: %s: %s: case dropped\n",
			c->name, c->why);
		return;
	}
	c->nrep++;
}

/* ---- ratios ------------------------------------------------------------- */

struct ratio {
	const char *name;
	const char *num, *den;
	enum metric m;
	double bar;		/* NAN: no bar */
	int higher_better;
	double value;
	const char *note;
};

static struct ratio ratios[64];
static unsigned int nratios;

/* med(@num, @m) / med(@den, @dm); no @den: the value itself */
static void ratio2(const char *name, const char *num, enum metric m,
		   const char *den, enum metric dm, double bar, int higher,
		   const char *note)
{
	struct ratio *r = &ratios[nratios++];
	double a = med(num, m), b = den ? med(den, dm) : 1.0;

	r->name = name;
	r->num = num;
	r->den = den;
	r->m = m;
	r->bar = bar;
	r->higher_better = higher;
	r->value = a / b;
	r->note = note;
}

static void ratio(const char *name, const char *num, const char *den,
		  enum metric m, double bar, int higher, const char *note)
{
	ratio2(name, num, m, den, m, bar, higher, note);
}

static void compute_ratios(void)
{
	static char nm[8][2][64], dn[8][64], dv[8][64], en[64], ep[64];
	unsigned int i;

	if (opt_engine_lat) {
		snprintf(en, sizeof(en), "engine_lat%u_qd64_vs_qd1",
			 opt_engine_lat);
		ratio(en, "dev_null_64_d64_q1_event", "dev_null_64_d1_q1_event",
		      M_OPS, opt_engine_lat == 50 ? 20 : NAN, 1,
		      "test engine completing each request after the latency: NULL 64 B at queue depth 64 vs depth 1 (event mode)");
		snprintf(ep, sizeof(ep), "engine_lat%u_qd64_vs_qd1_poll",
			 opt_engine_lat);
		ratio(ep, "dev_null_64_d64_q1_poll",
		      "dev_null_64_d1_q1_poll", M_OPS, NAN, 1,
		      "the same with both sides busy-polling (needs two idle cores)");
		return;
	}

	ratio("null64_batched_vs_shm_ring", "dev_null_64_d32_q1_poll",
	      "ring_64_d32_poll", M_OPS, 0.5, 1,
	      "device NULL 64 B, depth 32, polling, vs the 2-thread ring at depth 32");
	ratio("null64_batched_event_vs_shm_ring", "dev_null_64_d32_q1_event",
	      "ring_64_d32_poll", M_OPS, NAN, 1, "same, device in event mode");
	ratio("null64_vs_unix_rpc", "dev_null_64_d32_q1_poll", "unix_rpc_64",
	      M_OPS, 10, 1, "device NULL 64 B batched vs a blocking UNIX-socket RPC");
	ratio("null64_qd1_vs_unix_rpc", "dev_null_64_d1_q1_poll", "unix_rpc_64",
	      M_OPS, NAN, 1, "device NULL 64 B at queue depth 1 vs the RPC");
	ratio("null64_mops_per_backend_core", "dev_null_64_d32_q1_poll", NULL,
	      M_BE_MOPS, 3, 1,
	      "device NULL 64 B batched: Mops/s per back-end CPU second");
	ratio("qd1_p50_vs_shm_ring", "dev_null_64_d1_q1_poll", "ring_64_d1_poll",
	      M_P50, 2, 0, "queue depth 1, polling: p50 latency vs the ring's");
	ratio2("qd1_p99_vs_p50", "dev_null_64_d1_q1_poll", M_P99,
	       "dev_null_64_d1_q1_poll", M_P50, 3, 0,
	       "queue depth 1, polling: p99 over p50");
	ratio("null1m_vs_memcpy", "dev_null_1048576_d4_q1_event",
	      "memcpy_1048576", M_GBPS, 0.7, 1,
	      "device NULL 1 MiB (a copy) vs single-core memcpy");
	for (i = 0; i < 4; i++) {
		snprintf(nm[i][0], 64, "sha256_%s_vs_native",
			 sizes[i] == 64 ? "64" : sizes[i] == 4096 ? "4k" :
			 sizes[i] == 65536 ? "64k" : "1m");
		snprintf(nm[i][1], 64, "gcm_%s_vs_native",
			 sizes[i] == 64 ? "64" : sizes[i] == 4096 ? "4k" :
			 sizes[i] == 65536 ? "64k" : "1m");
		snprintf(dn[i], 64, "dev_sha256_%u_d%u_q1_event", sizes[i],
			 depth_for(sizes[i]));
		snprintf(dv[i], 64, "native_sha256_%u", sizes[i]);
		/* issue 14: sha256_64_vs_native >= 0.8 */
		ratio(nm[i][0], dn[i], dv[i], M_OPS,
		      sizes[i] == 1048576 ? 0.9 : sizes[i] == 64 ? 0.8 : NAN,
		      1, "device SHA-256 vs OpenSSL in-process, same size");
		snprintf(dn[4 + i], 64, "dev_gcm_%u_d%u_q1_event", sizes[i],
			 depth_for(sizes[i]));
		snprintf(dv[4 + i], 64, "native_gcm_%u", sizes[i]);
		ratio(nm[i][1], dn[4 + i], dv[4 + i], M_OPS,
		      sizes[i] == 1048576 ? 0.9 : NAN, 1,
		      "device AES-256-GCM encrypt vs OpenSSL in-process, same size");
	}
	/* issue 14: the bar on the one of gcm_4k_vs_native */
	ratio("gcm4k_vs_native", "dev_gcm_4096_d32_q1_event",
	      "native_gcm_4096", M_OPS, 0.9, 1,
	      "device AES-256-GCM encrypt 4 KiB (depth 32, event mode) vs OpenSSL EVP in-process on one core");
	ratio("deflate_1m_vs_native", "dev_deflate_1048576_d4_q1_event",
	      "native_deflate_1048576", M_OPS, NAN, 1,
	      "device DEFLATE 1 MiB compressible vs zlib in-process");
}

/* ---- output ------------------------------------------------------------- */

static void print_table(FILE *f)
{
	unsigned int i;

	fprintf(f, "\n%-32s %4s %12s %9s %9s %9s %10s %8s %7s %7s\n", "case",
		"reps", "ops/s", "GB/s", "p50 us", "p99 us", "cycles/op",
		"spread%", "kick/op", "irq/op");
	for (i = 0; i < ncases; i++) {
		const struct bcase *c = &cases[i];
		double o = stat_of(c, M_OPS, 0);

		if (c->skipped) {
			fprintf(f, "%-32s skipped: %s\n", c->name, c->why);
			continue;
		}
		fprintf(f, "%-32s %4u %12.0f %9.3f %9.2f %9.2f %10.0f %8.1f",
			c->name, c->nrep, o, stat_of(c, M_GBPS, 0),
			stat_of(c, M_P50, 0), stat_of(c, M_P99, 0),
			stat_of(c, M_CYCLES, 0),
			100.0 * (stat_of(c, M_OPS, 1) - stat_of(c, M_OPS, -1)) / o);
		if (c->kind == K_DEV)
			fprintf(f, " %7.3f %7.3f", stat_of(c, M_KICKS, 0),
				stat_of(c, M_IRQS, 0));
		fputc('\n', f);
	}
	fprintf(f, "\n%-36s %9s %8s %s\n", "ratio", "value", "bar", "met");
	for (i = 0; i < nratios; i++) {
		const struct ratio *r = &ratios[i];
		char bar[16] = "-";
		const char *met = "-";

		if (!isnan(r->bar)) {
			snprintf(bar, sizeof(bar), "%s%g",
				 r->higher_better ? ">=" : "<=", r->bar);
			met = isnan(r->value) ? "n/a" :
			      (r->higher_better ? r->value >= r->bar :
						  r->value <= r->bar) ? "yes" :
									"NO";
		}
		fprintf(f, "%-36s %9.3f %8s %s\n", r->name, r->value, bar, met);
	}
}

static void json_num(FILE *f, double v)
{
	if (isnan(v) || isinf(v))
		fputs("null", f);
	else
		fprintf(f, "%.6g", v);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s >= 0x20)
			fputc(*s, f);
	}
	fputc('"', f);
}

static void cpu_model(char *buf, size_t len)
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && p) {
			p += 2;
			p[strcspn(p, "\n")] = 0;
			snprintf(buf, len, "%s", p);
			break;
		}
	}
	fclose(f);
}

static void write_json(const char *path)
{
	static const char *const kind_name[] = { "memcpy", "native", "ring",
						  "unix_rpc", "device" };
	char cpu[128], host[64] = "";
	struct utsname u;
	double la[3] = { 0, 0, 0 };
	unsigned int i, m;
	const char *env;
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;

	if (!f)
		die("cannot write %s: %s", path, strerror(errno));
	uname(&u);
	cpu_model(cpu, sizeof(cpu));
	gethostname(host, sizeof(host) - 1);
	if (getloadavg(la, 3) < 0)
		la[0] = la[1] = la[2] = NAN;
	fprintf(f, "{\n  \"schema\": \"virtio-accel-bench/1\",\n  \"label\": ");
	json_str(f, opt_label);
	fprintf(f, ",\n  \"devices\": {\"event\": ");
	json_str(f, opt_dev[0] ? opt_dev[0] : "");
	fprintf(f, ", \"poll\": ");
	json_str(f, opt_dev[1] ? opt_dev[1] : "");
	fprintf(f, "},\n  \"machine\": {");
	fprintf(f, "\"kernel\": ");
	json_str(f, u.release);
	fprintf(f, ", \"arch\": ");
	json_str(f, u.machine);
	fprintf(f, ", \"cpu\": ");
	json_str(f, cpu);
	fprintf(f, ", \"online_cpus\": %ld, \"tsc_ghz\": ",
		sysconf(_SC_NPROCESSORS_ONLN));
	json_num(f, tsc_ghz);
	fprintf(f, ", \"loadavg_at_end\": [");
	json_num(f, la[0]);
	fputs(", ", f);
	json_num(f, la[1]);
	fputs(", ", f);
	json_num(f, la[2]);
	fprintf(f, "]},\n  \"build\": {\"compiler\": ");
	json_str(f, __VERSION__);
	fprintf(f, ", \"openssl\": ");
	json_str(f, OPENSSL_VERSION_TEXT);
	fprintf(f, ", \"zlib\": ");
	json_str(f, zlibVersion());
	fprintf(f, ", \"git\": ");
	env = getenv("VACCEL_BENCH_GIT");
	json_str(f, env ? env : "unknown");
	fprintf(f, ", \"backend\": ");
	json_str(f, opt_backend ? opt_backend : "given");
	fprintf(f, "},\n  \"method\": {\"rounds\": %u, \"ms_per_case\": %u, "
		   "\"order\": \"interleaved: every round runs every case in plan order, baselines next to their device cases\", "
		   "\"statistic\": \"median of rounds; min and max give the spread\", "
		   "\"cpu\": \"CPU time of this process and the back-end process (all threads); cycles = CPU ns x TSC GHz\"},\n",
		opt_reps, opt_ms);
	fprintf(f, "  \"cases\": {\n");
	for (i = 0; i < ncases; i++) {
		const struct bcase *c = &cases[i];

		fprintf(f, "    ");
		json_str(f, c->name);
		fprintf(f, ": {\"kind\": \"%s\", \"op\": ", kind_name[c->kind]);
		json_str(f, c->what);
		fprintf(f, ", \"size\": %u, \"depth\": %u, \"queues\": %u, \"mode\": \"%s\", \"rounds\": %u",
			c->size, c->depth, c->queues,
			mode_name[c->poll], c->nrep);
		if (c->skipped) {
			fprintf(f, ", \"skipped\": ");
			json_str(f, c->why);
		}
		for (m = 0; m < M_N; m++) {
			if (!c->have[m] || c->skipped)
				continue;
			fprintf(f, ", \"%s\": {\"median\": ", metric_name[m]);
			json_num(f, stat_of(c, m, 0));
			fprintf(f, ", \"min\": ");
			json_num(f, stat_of(c, m, -1));
			fprintf(f, ", \"max\": ");
			json_num(f, stat_of(c, m, 1));
			fputc('}', f);
		}
		fprintf(f, "}%s\n", i + 1 < ncases ? "," : "");
	}
	fprintf(f, "  },\n  \"ratios\": {\n");
	for (i = 0; i < nratios; i++) {
		const struct ratio *r = &ratios[i];

		fprintf(f, "    ");
		json_str(f, r->name);
		fprintf(f, ": {\"value\": ");
		json_num(f, r->value);
		fprintf(f, ", \"metric\": \"%s\", \"case\": ", metric_name[r->m]);
		json_str(f, r->num);
		fprintf(f, ", \"baseline\": ");
		json_str(f, r->den ? r->den : "");
		fprintf(f, ", \"bar\": ");
		if (isnan(r->bar)) {
			fputs("null", f);
		} else {
			fprintf(f, "\"%s%g\", \"met\": %s",
				r->higher_better ? ">=" : "<=", r->bar,
				isnan(r->value) ? "null" :
				(r->higher_better ? r->value >= r->bar :
						    r->value <= r->bar) ?
						  "true" : "false");
		}
		fprintf(f, ", \"what\": ");
		json_str(f, r->note);
		fprintf(f, "}%s\n", i + 1 < nratios ? "," : "");
	}
	fprintf(f, "  }\n}\n");
	if (f == stdout ? fflush(f) : fclose(f))
		die("write %s: %s", path, strerror(errno));
}

/* ---- main --------------------------------------------------------------- */

static void usage(FILE *f)
{
	fputs("Usage: vaccel-bench (--backend PATH | --dev DEVSTR [--dev-poll DEVSTR])\n"
	      "                    [--rounds N] [--ms N] [--quick] [--only SUBSTR]\n"
	      "                    [--label NAME] [--json FILE] [--backend-arg ARG]...\n"
	      "  --backend PATH   start two vhost-user-accel back-ends (event mode and\n"
	      "                   --poll) on private sockets and measure through them\n"
	      "  --dev DEVSTR     measure an existing device (event-mode cases)\n"
	      "  --dev-poll DEVSTR  device for the polling cases (default: --dev)\n"
	      "  --rounds N       interleaved rounds per case (default 5, max 15)\n"
	      "  --ms N           measuring time per case per round (default 400)\n"
	      "  --quick          fewer cases (64 B and 1 MiB only)\n"
	      "  --only SUBSTR    only cases whose name contains SUBSTR (a comma-\n"
	      "                   separated list: any of them)\n"
	      "  --backend-arg A  one more argument for the --backend back-ends\n"
	      "                   (up to 8; e.g. --crypto-pmd, crypto_ipsec_mb)\n"
	      "  --engine-latency-us N  only the pipeline cases: back-ends with the\n"
	      "                   test engine at N us (--backend), NULL 64 B at\n"
	      "                   depths 1 and 64, the ratio engine_latN_qd64_vs_qd1\n"
	      "  --label NAME     what the device path is called in the JSON\n"
	      "                   (default vhost-user)\n"
	      "  --json FILE      write the results and ratios as JSON (- for stdout)\n", f);
}

static void on_signal(int sig)
{
	unsigned int i;

	for (i = 0; i < MAX_BE; i++)
		if (be_pid[i] > 0)
			kill(be_pid[i], SIGTERM);
	signal(sig, SIG_DFL);
	raise(sig);
}

int bench_multife(int argc, char **argv);	/* bench_multife.c */

int main(int argc, char **argv)
{
	enum { O_BACKEND = 256, O_DEV, O_DEVPOLL, O_ROUNDS, O_MS, O_QUICK,
	       O_ONLY, O_JSON, O_LABEL, O_BEARG, O_ENGLAT };
	static const struct option lo[] = {
		{ "backend", required_argument, NULL, O_BACKEND },
		{ "dev", required_argument, NULL, O_DEV },
		{ "dev-poll", required_argument, NULL, O_DEVPOLL },
		{ "rounds", required_argument, NULL, O_ROUNDS },
		{ "ms", required_argument, NULL, O_MS },
		{ "quick", no_argument, NULL, O_QUICK },
		{ "only", required_argument, NULL, O_ONLY },
		{ "json", required_argument, NULL, O_JSON },
		{ "label", required_argument, NULL, O_LABEL },
		{ "backend-arg", required_argument, NULL, O_BEARG },
		{ "engine-latency-us", required_argument, NULL, O_ENGLAT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int r, i;
	char *end;
	long v;
	int o;

	if (argc > 1 && !strcmp(argv[1], "multife"))
		return bench_multife(argc - 1, argv + 1);
	while ((o = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (o) {
		case O_BACKEND:
			opt_backend = optarg;
			break;
		case O_DEV:
			opt_dev[0] = optarg;
			break;
		case O_DEVPOLL:
			opt_dev[1] = optarg;
			break;
		case O_ROUNDS:
		case O_MS:
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || v < 1 ||
			    v > (o == O_ROUNDS ? MAX_REPS : 60000))
				die("--%s %s: out of range", lo[o - O_BACKEND].name,
				    optarg);
			if (o == O_ROUNDS)
				opt_reps = (unsigned int)v;
			else
				opt_ms = (unsigned int)v;
			break;
		case O_QUICK:
			opt_quick = 1;
			break;
		case O_ONLY:
			opt_filter = optarg;
			break;
		case O_JSON:
			opt_json = optarg;
			break;
		case O_LABEL:
			opt_label = optarg;
			break;
		case O_BEARG:
			if (opt_nbe_args >= 8) {
				usage(stderr);
				return 2;
			}
			opt_be_args[opt_nbe_args++] = optarg;
			break;
		case O_ENGLAT:
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || v < 1 || v > 1000000)
				die("--engine-latency-us %s: out of range",
				    optarg);
			opt_engine_lat = (unsigned int)v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !!opt_backend == !!opt_dev[0]) {
		usage(stderr);
		return 2;
	}
	tsc_ghz = read_tsc_ghz();
	lat = malloc(LAT_CAP * sizeof(*lat));
	if (!lat)
		die("out of memory");
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (opt_backend) {
		snprintf(be_dir, sizeof(be_dir), "/tmp/vaccel-bench.XXXXXX");
		if (!mkdtemp(be_dir))
			die("mkdtemp: %s", strerror(errno));
		start_backend(0);
		start_backend(1);
	} else if (!opt_dev[1]) {
		opt_dev[1] = opt_dev[0];
	}
	plan();
	fprintf(stderr, "vaccel-bench: %u cases x %u rounds x %u ms\n", ncases,
		opt_reps, opt_ms);
	for (r = 0; r < opt_reps; r++) {
		fprintf(stderr, "  round %u/%u\n", r + 1, opt_reps);
		for (i = 0; i < ncases; i++)
			run_one(&cases[i]);
	}
	stop_backends();
	compute_ratios();
	print_table(stdout);
	if (opt_json)
		write_json(opt_json);
	free(lat);
	return 0;
}
