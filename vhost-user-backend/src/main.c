// SPDX-License-Identifier: BSD-3-Clause
/*
 * vhost-user-accel: command line, EAL set-up, signals and shutdown.
 *
 * Follows the QEMU vhost-user "Backend program conventions"
 * (docs/interop/vhost-user.rst): --socket-path, --fd, --print-capabilities.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "backend.h"

struct va_opts va_opts = {
	.fd = -1,
	.workers = 1,
	.queues = 2,
	.max_data_len = 1u << 20,
	.max_sessions = 1024,
	.max_comp_streams = VIRTIO_ACCEL_COMP_STREAMS_DEFAULT,
	.drain_timeout_ms = 2000,
	.crypto_pmd = "crypto_openssl",
	.compress_pmd = "compress_zlib",
};

volatile sig_atomic_t va_quit;

void va_log(int level, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (level > 1 && !va_opts.verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s%s\n", VA_NAME, level == 0 ? "error: " : "",
		buf);
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: %s --socket-path PATH [options] [-- EAL-ARGS...]\n"
"DPDK vhost-user back-end for the virtio-accel device.\n"
"\n"
"  --socket-path PATH     listen on this UNIX socket (mode 0600); repeat it\n"
"                         for more front-ends: each socket is a device of\n"
"                         its own (sessions, limits, statistics)\n"
"  --fd FD                take over the listening UNIX socket FD is bound to\n"
"                         (may be repeated, and mixed with --socket-path)\n"
"  --workers N            worker threads serving the devices (default 1,\n"
"                         max %d); each device is served by one of them\n"
"  --print-capabilities   print the back-end capabilities as JSON and exit\n"
"  --queues N             data queues (default 2, max %d)\n"
"  --max-data-len BYTES   max src/dst length of one request (default 1048576)\n"
"  --max-sessions N       session table size (default 1024)\n"
"  --max-comp-streams N   live DEFLATE stream sessions, 1..%u (default %u;\n"
"                         at most %u KiB of zlib state each)\n"
"  --crypto-pmd NAME      cryptodev PMD (default crypto_openssl;\n"
"                         crypto_ipsec_mb = crypto_aesni_mb): a device of\n"
"                         that name, else the first device of that driver\n"
"                         the EAL probed (crypto_qat: a PCI device named\n"
"                         after --), else a new virtual device\n"
"  --compress-pmd NAME    compressdev PMD (default compress_zlib,\n"
"                         or compress_isal; compress_qat as above)\n"
"  --max-inflight N       requests of one device (socket) inside the engines\n"
"                         at once, 1..16384 (default: each queue's slot\n"
"                         table, its size up to 1024); at the limit its\n"
"                         queues wait (back-pressure), others go on\n"
"  --drain-timeout-ms N   at a reset or disconnect, wait at most N ms for\n"
"                         requests inside an engine (default 2000,\n"
"                         1..600000); then abandon them: their completions\n"
"                         are dropped, the queue stopped until a reset\n"
"  --poll                 busy-poll the queues (default: adaptive,\n"
"                         spin briefly then sleep on kicks)\n"
"  --no-inflight          do not offer inflight tracking (INFLIGHT_SHMFD):\n"
"                         requests in flight are lost if the back-end dies\n"
"  --no-migration         do not offer the device-state transfer\n"
"                         (DEVICE_STATE): QEMU then refuses to migrate\n"
"  --state-key-file PATH  seal the migrated state (sessions' keys) with a\n"
"                         key derived from PATH (32 bytes, raw or hex,\n"
"                         mode 0600); only sealed states are loaded\n"
"  --migrate-lost-streams refuse|abort  a stream that cannot travel (DEFLATE\n"
"                         decompression) open at a migration: refuse the\n"
"                         migration (default; the source goes on) or let\n"
"                         the stream fail on the destination\n"
"  --allow-unsealed-memory  map guest memory and inflight regions from files\n"
"                         not sealed against shrinking (tmpfs or hugetlbfs\n"
"                         files of memory-backend-file): only for a trusted\n"
"                         front-end, whose shrinking them kills the back-end\n"
"  --test-delay-us N      testing: sleep N us before each request (0..1000000)\n"
"  --test-dma-register    testing: register guest memory with DPDK\n"
"                         (rte_extmem_register) even without a PCI engine\n"
"  --test-reorder         testing: complete each batch of requests in reverse\n"
"                         order, one used index update each (not for streams;\n"
"                         with the test engine: each poll's due ones)\n"
"  --test-engine-latency-us N  testing: a test engine that completes each\n"
"                         one-shot request asynchronously N us after it was\n"
"                         submitted (1..1000000; the asynchronous pipeline)\n"
"  --test-gcm-stream-max N  testing: end AES-GCM streams at N bytes, not\n"
"                         2^36 - 32 ([STREAM-GCM-MAX]; 16..2^36 - 32)\n"
"  --test-stream-migrate  testing: before each request that continues a\n"
"                         stream, move the stream's state into a new engine\n"
"                         context (export + import, as a live migration\n"
"                         does; streams that would travel as lost stay)\n"
"  -v, --verbose          debug logs (also DPDK info logs)\n"
"  -h, --help             this text\n"
"\n"
"EAL-ARGS go to rte_eal_init() after the back-end's defaults: --no-huge\n"
"(unless hugepage options are given: --huge-dir, --socket-mem, ...),\n"
"--no-pci (unless a device is named: -a/--allow, -b/--block),\n"
"--no-shconf --file-prefix=vuaPID (unless --file-prefix), -m MB (unless\n"
"-m or --socket-mem), --log-level=*:warning (*:info with -v).\n",
		VA_NAME, VA_MAX_WORKERS, VA_MAX_DATAQ,
		VIRTIO_ACCEL_COMP_STREAMS_MAX,
		VIRTIO_ACCEL_COMP_STREAMS_DEFAULT,
		VIRTIO_ACCEL_COMP_STREAM_STATE >> 10);
}

static int bad_arg(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", VA_NAME);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry '%s --help'.\n", VA_NAME);
	return 2;
}

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *v)
{
	unsigned long long x;
	char *end;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || *end || x < min || x > max)
		return -ERANGE;
	*v = (uint32_t)x;
	return 0;
}

enum {
	OPT_SOCKET = 256, OPT_FD, OPT_CAPS, OPT_QUEUES, OPT_MAXLEN,
	OPT_MAXSESS, OPT_CPMD, OPT_ZPMD, OPT_POLL, OPT_NOINFL, OPT_DELAY,
	OPT_REORDER, OPT_MAXZS, OPT_UNSEALED, OPT_GCMMAX, OPT_TESTDMA,
	OPT_WORKERS, OPT_ENGLAT, OPT_STMIG, OPT_MAXINFL, OPT_DRAINTO,
	OPT_NOMIG, OPT_STATEKEY, OPT_LOSTSTREAMS,
};

static const struct option long_opts[] = {
	{ "socket-path", required_argument, NULL, OPT_SOCKET },
	{ "fd", required_argument, NULL, OPT_FD },
	{ "workers", required_argument, NULL, OPT_WORKERS },
	{ "print-capabilities", no_argument, NULL, OPT_CAPS },
	{ "queues", required_argument, NULL, OPT_QUEUES },
	{ "max-data-len", required_argument, NULL, OPT_MAXLEN },
	{ "max-sessions", required_argument, NULL, OPT_MAXSESS },
	{ "max-comp-streams", required_argument, NULL, OPT_MAXZS },
	{ "crypto-pmd", required_argument, NULL, OPT_CPMD },
	{ "compress-pmd", required_argument, NULL, OPT_ZPMD },
	{ "poll", no_argument, NULL, OPT_POLL },
	{ "no-inflight", no_argument, NULL, OPT_NOINFL },
	{ "test-delay-us", required_argument, NULL, OPT_DELAY },
	{ "test-reorder", no_argument, NULL, OPT_REORDER },
	{ "test-dma-register", no_argument, NULL, OPT_TESTDMA },
	{ "test-engine-latency-us", required_argument, NULL, OPT_ENGLAT },
	{ "max-inflight", required_argument, NULL, OPT_MAXINFL },
	{ "drain-timeout-ms", required_argument, NULL, OPT_DRAINTO },
	{ "test-gcm-stream-max", required_argument, NULL, OPT_GCMMAX },
	{ "test-stream-migrate", no_argument, NULL, OPT_STMIG },
	{ "allow-unsealed-memory", no_argument, NULL, OPT_UNSEALED },
	{ "no-migration", no_argument, NULL, OPT_NOMIG },
	{ "state-key-file", required_argument, NULL, OPT_STATEKEY },
	{ "migrate-lost-streams", required_argument, NULL, OPT_LOSTSTREAMS },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

#define VA_SUN_PATH	sizeof(((struct sockaddr_un *)0)->sun_path)
static char fd_paths[VA_MAX_DEVS][VA_SUN_PATH];

/* Returns -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv)
{
	int caps = 0, c;
	uint32_t v;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vh", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_SOCKET:
			if (!*optarg || strlen(optarg) >= VA_SUN_PATH)
				return bad_arg("--socket-path: bad or too long path '%s'",
					       optarg);
			if (va_opts.nsockets + va_opts.nfds >= VA_MAX_DEVS)
				return bad_arg("--socket-path '%s': more than 64 sockets",
					       optarg);
			va_opts.socket_paths[va_opts.nsockets++] = optarg;
			if (!va_opts.socket_path)
				va_opts.socket_path = optarg;
			break;
		case OPT_FD:
			if (parse_u32(optarg, 0, INT_MAX, &v))
				return bad_arg("--fd: not a file descriptor: '%s'",
					       optarg);
			if (va_opts.nsockets + va_opts.nfds >= VA_MAX_DEVS)
				return bad_arg("--fd '%s': more than 64 sockets",
					       optarg);
			va_opts.fds[va_opts.nfds++] = (int)v;
			if (va_opts.fd < 0)
				va_opts.fd = (int)v;
			break;
		case OPT_WORKERS:
			if (parse_u32(optarg, 1, VA_MAX_WORKERS, &v))
				return bad_arg("--workers: '%s' is not in 1..16",
					       optarg);
			va_opts.workers = v;
			break;
		case OPT_CAPS:
			caps = 1;
			break;
		case OPT_QUEUES:
			if (parse_u32(optarg, 1, VA_MAX_DATAQ, &v))
				return bad_arg("--queues: '%s' is not in 1..16",
					       optarg);
			va_opts.queues = v;
			break;
		case OPT_MAXLEN:
			if (parse_u32(optarg, 4096, 64u << 20, &v))
				return bad_arg("--max-data-len: '%s' is not in 4096..67108864",
					       optarg);
			va_opts.max_data_len = v;
			break;
		case OPT_MAXSESS:
			if (parse_u32(optarg, 1, 1u << 20, &v))
				return bad_arg("--max-sessions: '%s' is not in 1..1048576",
					       optarg);
			va_opts.max_sessions = v;
			break;
		case OPT_MAXZS:
			if (parse_u32(optarg, 1, VIRTIO_ACCEL_COMP_STREAMS_MAX,
				      &v))
				return bad_arg("--max-comp-streams: '%s' is not in 1..1024",
					       optarg);
			va_opts.max_comp_streams = v;
			break;
		case OPT_CPMD:
			if (!*optarg || strlen(optarg) > 48)
				return bad_arg("--crypto-pmd: bad name '%s'",
					       optarg);
			va_opts.crypto_pmd = optarg;
			break;
		case OPT_ZPMD:
			if (!*optarg || strlen(optarg) > 48)
				return bad_arg("--compress-pmd: bad name '%s'",
					       optarg);
			va_opts.compress_pmd = optarg;
			break;
		case OPT_POLL:
			va_opts.poll = 1;
			break;
		case OPT_NOINFL:
			va_opts.no_inflight = 1;
			break;
		case OPT_DELAY:
			if (parse_u32(optarg, 0, 1000000, &v))
				return bad_arg("--test-delay-us: '%s' is not in 0..1000000",
					       optarg);
			va_opts.test_delay_us = v;
			break;
		case OPT_REORDER:
			va_opts.test_reorder = 1;
			break;
		case OPT_TESTDMA:
			va_opts.test_dma_register = 1;
			break;
		case OPT_MAXINFL:
			if (parse_u32(optarg, 1, VA_MAX_DATAQ * 1024, &v))
				return bad_arg("--max-inflight: '%s' is not in 1..16384",
					       optarg);
			va_opts.max_inflight = v;
			break;
		case OPT_DRAINTO:
			if (parse_u32(optarg, 1, 600000, &v))
				return bad_arg("--drain-timeout-ms: '%s' is not in 1..600000",
					       optarg);
			va_opts.drain_timeout_ms = v;
			break;
		case OPT_ENGLAT:
			if (parse_u32(optarg, 1, 1000000, &v))
				return bad_arg("--test-engine-latency-us: '%s' is not in 1..1000000",
					       optarg);
			va_opts.test_engine_latency_us = v;
			break;
		case OPT_GCMMAX: {
			char *end;
			unsigned long long n;

			errno = 0;
			n = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end || n < 16 ||
			    n > VIRTIO_ACCEL_GCM_STREAM_MAX)
				return bad_arg("--test-gcm-stream-max: '%s' is not in 16..68719476704",
					       optarg);
			va_opts.test_gcm_stream_max = n;
			break;
		}
		case OPT_STMIG:
			va_opts.test_stream_migrate = 1;
			break;
		case OPT_NOMIG:
			va_opts.no_migration = 1;
			break;
		case OPT_STATEKEY:
			va_opts.state_key_file = optarg;
			break;
		case OPT_LOSTSTREAMS:
			if (!strcmp(optarg, "refuse"))
				va_opts.migrate_lost_abort = 0;
			else if (!strcmp(optarg, "abort"))
				va_opts.migrate_lost_abort = 1;
			else
				return bad_arg("--migrate-lost-streams: '%s' (refuse or abort)",
					       optarg);
			break;
		case OPT_UNSEALED:
			va_opts.allow_unsealed = 1;
			break;
		case 'v':
			va_opts.verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			return bad_arg("option '%s' needs an argument",
				       argv[optind - 1]);
		default:
			return bad_arg("unknown option '%s'",
				       argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad_arg("unexpected argument '%s'", argv[optind]);
	if (caps) {
		/*
		 * QEMU's VHostUserBackendCapabilities (docs/interop/
		 * vhost-user.json): "features" exists only for the types that
		 * have a branch (gpu, input, block), so "accel" prints the
		 * type alone. No type of QEMU's enum is this device (not
		 * "crypto": that is virtio-crypto, another device ID).
		 */
		printf("{\n  \"type\": \"accel\"\n}\n");
		return 0;
	}
	if (!va_opts.nsockets && !va_opts.nfds)
		return bad_arg("%s", "one of --socket-path or --fd is required");
	return -1;
}

/*
 * librte_vhost 22.11 cannot adopt a listening socket, so --fd takes over the
 * path the socket is bound to: the caller's path stays valid.
 */
static int adopt_fd(int fd, char *fd_path)
{
	struct sockaddr_un sun;
	socklen_t len = sizeof(sun);

	memset(&sun, 0, sizeof(sun));
	if (getsockname(fd, (struct sockaddr *)&sun, &len) < 0 ||
	    sun.sun_family != AF_UNIX || !sun.sun_path[0]) {
		fprintf(stderr, "%s: --fd %d: not a UNIX socket bound to a path\n",
			VA_NAME, fd);
		return 2;
	}
	memcpy(fd_path, sun.sun_path, VA_SUN_PATH - 1);
	close(fd);
	unlink(fd_path);
	va_opts.socket_paths[va_opts.nsockets++] = fd_path;
	if (!va_opts.socket_path)
		va_opts.socket_path = fd_path;
	VA_INFO("--fd %d: serving its path %s", fd, fd_path);
	return -1;
}

/* Remove a stale socket; refuse to run over a live one or over a file. */
static int check_socket_path(const char *path)
{
	struct sockaddr_un sun;
	struct stat st;
	int s, ret;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		VA_ERR("%s exists and is not a socket", path);
		return -EEXIST;
	}
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0)
		return -errno;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strncpy(sun.sun_path, path, sizeof(sun.sun_path) - 1);
	ret = connect(s, (struct sockaddr *)&sun, sizeof(sun));
	close(s);
	if (ret == 0) {
		VA_ERR("%s: another back-end is listening there", path);
		return -EADDRINUSE;
	}
	VA_INFO("removing stale socket %s", path);
	if (unlink(path) < 0)
		return -errno;
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	va_quit = 1;
}

/*
 * Is the EAL option --@lng (or --@lng=...), or -@shrt (or -@shrtVALUE), in
 * @argv? Only options are looked at: an option's value never starts with
 * '-' in the EAL's syntax.
 */
static int eal_has(int argc, char **argv, const char *lng, char shrt)
{
	size_t l = lng ? strlen(lng) : 0;
	int i;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] != '-')
			continue;
		if (a[1] == '-') {
			if (lng && !strncmp(a + 2, lng, l) &&
			    (a[2 + l] == 0 || a[2 + l] == '='))
				return 1;
		} else if (shrt && a[1] == shrt) {
			return 1;
		}
	}
	return 0;
}

/*
 * The EAL's argv: the back-end's defaults, each left out when the
 * operator's EAL-ARGS (after "--") ask for something else, then EAL-ARGS
 * (the EAL takes the last of a repeated option). Returns -1 to go on, else
 * the exit code (2: the EAL refused its arguments).
 */
static int eal_start(const char *prog, int eargc, char **eargv)
{
	static const char *const huge_opts[] = {
		"huge-dir", "socket-mem", "socket-limit", "huge-unlink",
		"legacy-mem", "single-file-segments", "match-allocations",
		"no-huge",
	};
	static char mem[32], prefix[64], line[1024];
	static const char **argv;
	int argc = 0, i, huge = 0, pci;
	size_t off = 0;
	uint64_t mb;

	/* staging buffers (2 per queue) + pools + slack */
	mb = 96 + (2 * VA_STAGE_LEN(va_opts.max_data_len) *
		   (1 + va_opts.queues) * va_ndevs >> 20) +
	     va_opts.max_sessions * va_ndevs / 512;
	snprintf(mem, sizeof(mem), "%llu", (unsigned long long)mb);
	snprintf(prefix, sizeof(prefix), "--file-prefix=vua%d", (int)getpid());
	for (i = 0; i < (int)(sizeof(huge_opts) / sizeof(huge_opts[0])); i++)
		huge |= eal_has(eargc, eargv, huge_opts[i], 0);
	/* a device named: probe PCI (only those, with -a) */
	pci = eal_has(eargc, eargv, "allow", 'a') ||
	      eal_has(eargc, eargv, "block", 'b') ||
	      eal_has(eargc, eargv, "no-pci", 0);
	argv = calloc((size_t)eargc + 16, sizeof(*argv));
	if (!argv)
		return 1;
	argv[argc++] = prog;
	if (!huge)
		argv[argc++] = "--no-huge";
	if (!pci)
		argv[argc++] = "--no-pci";
	if (!eal_has(eargc, eargv, "proc-type", 0))
		argv[argc++] = "--no-shconf";
	if (!eal_has(eargc, eargv, "file-prefix", 0))
		argv[argc++] = prefix;
	if (!eal_has(eargc, eargv, "socket-mem", 0) &&
	    !eal_has(eargc, eargv, NULL, 'm')) {
		argv[argc++] = "-m";
		argv[argc++] = mem;
	}
	argv[argc++] = va_opts.verbose ? "--log-level=*:info" :
					 "--log-level=*:warning";
	for (i = 0; i < eargc; i++)
		argv[argc++] = eargv[i];
	argv[argc] = NULL;
	for (i = 1; i < argc && off < sizeof(line) - 1; i++)
		off += (size_t)snprintf(line + off, sizeof(line) - off, "%s%s",
					i > 1 ? " " : "", argv[i]);
	VA_INFO("EAL arguments: %s", line);
	if (rte_eal_init(argc, (char **)argv) < 0) {
		int err = rte_errno;

		VA_ERR("EAL initialisation failed: %s",
		       err ? rte_strerror(err) : "no reason given");
		/* EINVAL: the options; ENODEV: a device argument (-a, --vdev) */
		if (err != EINVAL && err != ENODEV)
			return 1;
		fprintf(stderr, "%s: the EAL rejected its arguments (%s); see its messages above.\nTry '%s --help'.\n",
			VA_NAME, line, VA_NAME);
		return 2;
	}
	return -1;
}

/* One device per socket; the same path twice would be one socket. */
static int va_devs_alloc(void)
{
	unsigned int i, j;

	va_ndevs = va_opts.nsockets;
	for (i = 0; i < va_ndevs; i++)
		for (j = 0; j < i; j++)
			if (!strcmp(va_opts.socket_paths[i],
				    va_opts.socket_paths[j])) {
				VA_ERR("%s: given twice", va_opts.socket_paths[i]);
				return -1;
			}
	va_devs = calloc(va_ndevs, sizeof(*va_devs));
	if (!va_devs)
		return -1;
	for (i = 0; i < va_ndevs; i++) {
		va_devs[i].index = i;
		va_devs[i].path = va_opts.socket_paths[i];
		va_devs[i].vid = -1;
		va_devs[i].worker_id = -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static char rundir[PATH_MAX];
	struct sigaction sa;
	unsigned int i, j, nq;
	int ret, eal;

	/* vhost-user-accel [options] -- EAL-ARGS */
	for (eal = 1; eal < argc && strcmp(argv[eal], "--"); eal++)
		;
	ret = parse_args(eal, argv);
	if (ret >= 0)
		return ret;
	for (i = 0; i < va_opts.nfds; i++) {
		ret = adopt_fd(va_opts.fds[i], fd_paths[i]);
		if (ret >= 0)
			return ret;
	}
	if (va_devs_alloc() < 0)
		return 1;
	for (i = 0; i < va_ndevs; i++)
		if (check_socket_path(va_devs[i].path) < 0)
			return 1;

	ret = eal_start(argv[0], eal + 1 < argc ? argc - eal - 1 : 0,
			argv + (eal + 1 < argc ? eal + 1 : argc));
	if (ret >= 0)
		return ret;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	nq = 1 + va_opts.queues;
	ret = 1;
	va_iova_init();
	if (va_sw_init() < 0)
		goto out_eal;
	if (va_opts.state_key_file && va_state_key_init(va_opts.state_key_file) < 0)
		goto out_eal;
	if (va_crypto_init(va_opts.crypto_pmd,
			   va_opts.max_sessions * va_ndevs, nq * va_ndevs) < 0)
		goto out_eal;
	if (va_comp_init(va_opts.compress_pmd, nq * va_ndevs) < 0)
		goto out_crypto;
	if (va_dma_init() < 0)
		goto out_comp;
	for (j = 0; j < va_ndevs; j++) {
		struct va_dev *d = &va_devs[j];

		if (va_sessions_init(d, va_opts.max_sessions) < 0)
			goto out_devs;
		for (i = 0; i < nq; i++) {
			if (va_qctx_init(&d->vq[i].qc, i) < 0) {
				VA_ERR("cannot allocate queue %u buffers", i);
				goto out_devs;
			}
		}
	}
	if (va_workers_init(va_opts.workers) < 0) {
		VA_ERR("cannot start %u worker threads", va_opts.workers);
		goto out_devs;
	}
	if (va_telemetry_init() < 0)
		goto out_workers;
	if (va_vhost_start() < 0)
		goto out_workers;

	for (j = 0; j < va_ndevs; j++)
		VA_INFO("listening on %s: %u data queues, max-data-len %u, max-sessions %u, max-comp-streams %u, %s mode",
			va_devs[j].path, va_opts.queues, va_opts.max_data_len,
			va_opts.max_sessions,
			virtio_accel_comp_streams_cfg(va_opts.max_comp_streams,
						      va_opts.max_sessions, 1,
						      1),
			va_opts.poll ? "poll" : "adaptive");
	if (va_ndevs > 1 || va_opts.workers > 1)
		VA_INFO("%u devices, %u worker%s", va_ndevs, va_opts.workers,
			va_opts.workers == 1 ? "" : "s");

	while (!va_quit) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		va_workers_watchdog();
	}
	VA_INFO("shutting down");
	va_workers_hold();
	va_vhost_stop();
	ret = 0;
out_workers:
	va_workers_fini();
out_devs:
	for (j = 0; j < va_ndevs; j++) {
		for (i = 0; i < nq; i++) {
			va_pipe_fini(&va_devs[j].vq[i]);
			va_qctx_fini(&va_devs[j].vq[i].qc);
		}
		va_sessions_fini(&va_devs[j]);
	}
out_comp:
	va_comp_fini();
out_crypto:
	va_crypto_fini();
out_eal:
	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	rmdir(rundir);	/* empty with --no-shconf */
	free(va_devs);
	return ret;
}
