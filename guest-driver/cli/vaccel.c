// SPDX-License-Identifier: BSD-3-Clause
/*
 * vaccel: command-line front-end of libvirtaccel.
 *
 * Every command takes the device string first; the same binary works over
 * every transport the library supports. Errors name what was wrong and exit
 * non-zero (2 for usage errors, 1 for everything else); output files are
 * written to a temporary name and renamed only on success, so a failed
 * command leaves no output file behind.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "virtaccel.h"
#include "cdi.h"

#define EXIT_USAGE 2

static const char *prog = "vaccel";

static void die_usage(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
static void die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", prog);
	exit(EXIT_USAGE);
}

static void err_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void err_msg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: vaccel COMMAND DEVICE [OPTIONS] [ARGS]\n"
"\n"
"DEVICE is a device string: vhost-user:/path/to.sock, vhost-vdpa:/dev/vhost-vdpa-N,\n"
"       or the kernel driver's character device /dev/vaccelN (chardev:PATH)\n"
"\n"
"Commands:\n"
"  info DEV [--json]                         device, features and capabilities\n"
"  hash DEV --alg sha256|crc32c [FILE...]    digests, printed like sha256sum\n"
"  hmac DEV --alg sha256 --key HEX [FILE...] HMAC-SHA-256\n"
"  encrypt DEV --alg aes-256-gcm --key HEX --iv HEX [--aad HEX] IN OUT\n"
"                                            OUT = ciphertext || 16-byte tag\n"
"  decrypt DEV --alg aes-256-gcm --key HEX --iv HEX [--aad HEX] IN OUT\n"
"                                            a bad tag fails and writes no OUT\n"
"  compress DEV IN OUT                       raw DEFLATE (RFC 1951)\n"
"  decompress DEV IN OUT\n"
"  cdi generate [--socket [NAME=]PATH]...    a CDI spec (JSON) for this machine's\n"
"                                            devices and the sockets given\n"
"  bench DEV --op OP --size N --depth N --seconds N [--queues N] [--poll] [--json]\n"
"                                            OP: null sha256 crc32c hmac-sha256\n"
"                                                aes-256-gcm compress\n"
"\n"
"--key-file FILE reads the key's hex digits from FILE instead: a --key on\n"
"the command line is overwritten once read, but other users may see it in\n"
"ps(1) until then.\n"
"IN and OUT may be '-' for standard input and output. Sizes accept K, M, G.\n"
"Exit status: 0 success, 1 failure, 2 usage error.\n");
}

/* ---- small helpers ----------------------------------------------------- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parse --OPT HEX into a new buffer; exits with a usage error if invalid. */
static uint8_t *parse_hex(const char *opt, const char *s, size_t *len)
{
	size_t n = strlen(s), i;
	uint8_t *b;

	if (n % 2)
		die_usage("--%s: odd number of hex digits (%zu)", opt, n);
	b = malloc(n / 2 + 1);
	if (!b)
		die_usage("out of memory");
	for (i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(b);
			die_usage("--%s: '%c' at position %zu is not a hex digit",
				  opt, hi < 0 ? s[2 * i] : s[2 * i + 1],
				  hi < 0 ? 2 * i + 1 : 2 * i + 2);
		}
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return b;
}

/* A key, wiped before it is freed. */
static void key_free(uint8_t *k, size_t len)
{
	if (k)
		explicit_bzero(k, len);
	free(k);
}

/*
 * --key HEX: parsed, then overwritten in place so that /proc/PID/cmdline
 * (ps) shows x's from now on.
 */
static uint8_t *key_from_arg(char *s, uint8_t *old, size_t *len)
{
	uint8_t *k;

	key_free(old, *len);
	k = parse_hex("key", s, len);
	memset(s, 'x', strlen(s));
	return k;
}

/* --key-file FILE: the key's hex digits, surrounding white space ignored. */
static uint8_t *key_from_file(const char *path, uint8_t *old, size_t *len)
{
	char buf[4096 + 2];
	size_t n, b = 0;
	uint8_t *k;
	FILE *f;

	key_free(old, *len);
	f = fopen(path, "r");
	if (!f)
		die_usage("--key-file %s: %s", path, strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	if (n == sizeof(buf) - 1)
		die_usage("--key-file %s: too long", path);
	while (n && isspace((unsigned char)buf[n - 1]))
		n--;
	while (b < n && isspace((unsigned char)buf[b]))
		b++;
	buf[n] = 0;
	k = parse_hex("key-file", buf + b, len);
	explicit_bzero(buf, sizeof(buf));
	return k;
}

static uint64_t parse_size(const char *opt, const char *s, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (*s == '-' || !*s)
		die_usage("--%s: '%s' is not a size", opt, s);
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		die_usage("--%s: '%s' is not a size", opt, s);
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	default: break;
	}
	if (*end && strcmp(end, "iB") && strcmp(end, "B"))
		die_usage("--%s: '%s' is not a size", opt, s);
	if (v > max)
		die_usage("--%s: %llu is above the limit %" PRIu64, opt, v, max);
	return v;
}

static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += n;
	}
	return (ssize_t)got;
}

static int write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = write(fd, (const char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		done += n;
	}
	return 0;
}

/* ---- atomic output ----------------------------------------------------- */

struct outfile {
	const char *name;	/* as given; "-" is stdout */
	char *tmp;		/* temporary path, renamed on commit */
	int fd;
};

static int out_open(struct outfile *o, const char *name)
{
	const char *slash = strrchr(name, '/');
	size_t dlen = slash ? (size_t)(slash - name) + 1 : 0;

	o->name = name;
	o->tmp = malloc(dlen + 32);
	if (!o->tmp)
		return -ENOMEM;
	if (!strcmp(name, "-")) {
		/* stdout: stage in an unlinked file, copy out on success */
		strcpy(o->tmp, "/tmp/vaccel.XXXXXX");
	} else {
		memcpy(o->tmp, name, dlen);
		strcpy(o->tmp + dlen, ".vaccel.XXXXXX");
	}
	o->fd = mkstemp(o->tmp);
	if (o->fd < 0)
		return -errno;
	if (!strcmp(name, "-")) {
		unlink(o->tmp);
		o->tmp[0] = 0;
	}
	return 0;
}

static void out_abort(struct outfile *o)
{
	if (o->fd >= 0)
		close(o->fd);
	if (o->tmp && o->tmp[0])
		unlink(o->tmp);
	free(o->tmp);
	o->tmp = NULL;
	o->fd = -1;
}

static int out_commit(struct outfile *o)
{
	char buf[65536];
	ssize_t n;
	int ret = 0;

	if (!strcmp(o->name, "-")) {
		if (lseek(o->fd, 0, SEEK_SET) < 0)
			return -errno;
		while ((n = read(o->fd, buf, sizeof(buf))) > 0) {
			ret = write_full(STDOUT_FILENO, buf, n);
			if (ret)
				break;
		}
		if (n < 0)
			ret = -errno;
	} else {
		if (fsync(o->fd) || fchmod(o->fd, 0644))
			ret = -errno;
		else if (rename(o->tmp, o->name))
			ret = -errno;
		else
			o->tmp[0] = 0;
	}
	out_abort(o);
	return ret;
}

/* ---- common device opening --------------------------------------------- */

struct common {
	const char *dev;
	unsigned int queues;
	int poll;
	int json;
	const char *alg;
	uint8_t *key, *iv, *aad;
	size_t key_len, iv_len, aad_len;
	const char *op;
	uint64_t size, depth, seconds;
};

static struct virtaccel_dev *open_dev(const struct common *c)
{
	struct virtaccel_open_opts o = {
		.num_queues = c->queues,
		.flags = c->poll ? VIRTACCEL_OPEN_POLL : 0,
	};
	struct virtaccel_dev *dev;
	int ret;

	ret = virtaccel_open(c->dev, &o, &dev);
	if (ret) {
		if (ret == -EINVAL && !strchr(c->dev, ':') && c->dev[0] != '/')
			err_msg("%s: not a device string (try vhost-user:PATH, "
				"vhost-vdpa:PATH or /dev/vaccelN)",
				c->dev);
		else if (*virtaccel_last_error())
			err_msg("%s: cannot open device: %s: %s", c->dev,
				strerror(-ret), virtaccel_last_error());
		else
			err_msg("%s: cannot open device: %s", c->dev,
				strerror(-ret));
		exit(1);
	}
	return dev;
}

/* ---- streaming a file through the device -------------------------------- */

/*
 * Feed @in_fd through stream @s, writing output to @out_fd (-1: keep the
 * output in @tail, for digests). Returns 0 or -errno.
 */
static int pump(struct virtaccel_dev *dev, struct virtaccel_stream *s,
		int in_fd, int out_fd, uint8_t *tail, size_t tail_cap,
		size_t *tail_len)
{
	size_t chunk = 1u << 20, out_cap = 2 * chunk + 4096;
	uint8_t *in = virtaccel_buf_alloc(dev, chunk);
	uint8_t *out = virtaccel_buf_alloc(dev, out_cap);
	int in_shm = !!in, out_shm = !!out;
	size_t off, iu, ou;
	ssize_t n;
	int ret = 0, done = 0, final;

	/*
	 * A small shared pool (VACCEL_MEM_SIZE, for a small RLIMIT_MEMLOCK)
	 * has no room for these: private buffers, which the library bounces
	 * through its own.
	 */
	if (!in)
		in = malloc(chunk);
	if (!out)
		out = malloc(out_cap);

	if (tail_len)
		*tail_len = 0;
	if (!in || !out) {
		ret = -ENOMEM;
		goto out;
	}
	while (!done) {
		n = read_full(in_fd, in, chunk);
		if (n < 0) {
			ret = (int)n;
			goto out;
		}
		final = (size_t)n < chunk;
		off = 0;
		do {
			ret = virtaccel_stream_update(s, in + off, n - off, final,
						      out, out_cap, &iu, &ou,
						      &done);
			if (ret)
				goto out;
			if (iu > (size_t)n - off || ou > out_cap) {
				ret = -EPROTO;
				goto out;
			}
			if (out_fd >= 0 && ou) {
				ret = write_full(out_fd, out, ou);
				if (ret)
					goto out;
			} else if (ou) {
				if (*tail_len + ou > tail_cap) {
					ret = -EPROTO;
					goto out;
				}
				memcpy(tail + *tail_len, out, ou);
				*tail_len += ou;
			}
			off += iu;
			if (!iu && !ou && !done && off < (size_t)n) {
				ret = -EPROTO; /* no progress */
				goto out;
			}
		} while (off < (size_t)n || (final && !done));
	}
out:
	if (in_shm)
		virtaccel_buf_free(dev, in);
	else
		free(in);
	if (out_shm)
		virtaccel_buf_free(dev, out);
	else
		free(out);
	return ret;
}

static int open_in(const char *name)
{
	int fd;

	if (!strcmp(name, "-"))
		return STDIN_FILENO;
	fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return fd;
}

/* sha256sum's output format, including its escaping of odd names. */
static void print_sum(const uint8_t *d, size_t n, const char *name, int crc)
{
	int esc = strchr(name, '\\') || strchr(name, '\n');
	const char *p;
	size_t i;

	if (esc)
		putchar('\\');
	if (crc) {
		uint32_t v = d[0] | d[1] << 8 | d[2] << 16 | (uint32_t)d[3] << 24;

		printf("%08" PRIx32, v);
	} else {
		for (i = 0; i < n; i++)
			printf("%02x", d[i]);
	}
	fputs("  ", stdout);
	for (p = name; *p; p++) {
		if (esc && *p == '\\')
			fputs("\\\\", stdout);
		else if (esc && *p == '\n')
			fputs("\\n", stdout);
		else
			putchar(*p);
	}
	putchar('\n');
}

static int cmd_digest(const struct common *c, int mac, int argc,
		      char **argv)
{
	struct virtaccel_stream_params p = { 0 };
	struct virtaccel_dev *dev;
	const char *stdin_only[] = { "-" };
	const char *const *files = (const char *const *)argv;
	int nfiles = argc, i, fails = 0, crc = 0, fd, ret;
	uint8_t digest[64];
	size_t dlen;

	if (!c->alg)
		die_usage("%s: --alg is required", mac ? "hmac" : "hash");
	if (mac) {
		if (strcmp(c->alg, "sha256") && strcmp(c->alg, "hmac-sha256"))
			die_usage("hmac: --alg %s: supported: sha256", c->alg);
		if (!c->key)
			die_usage("hmac: --key is required");
		p.op = VIRTIO_ACCEL_OP_MAC;
		p.algo = VIRTIO_ACCEL_ALG_HMAC_SHA256;
		p.key = c->key;
		p.key_len = (uint32_t)c->key_len;
	} else {
		p.op = VIRTIO_ACCEL_OP_HASH;
		if (!strcmp(c->alg, "sha256")) {
			p.algo = VIRTIO_ACCEL_ALG_SHA256;
		} else if (!strcmp(c->alg, "crc32c")) {
			p.algo = VIRTIO_ACCEL_ALG_CRC32C;
			crc = 1;
		} else {
			die_usage("hash: --alg %s: supported: sha256, crc32c",
				  c->alg);
		}
		if (c->key)
			die_usage("hash: --key is not used by %s", c->alg);
	}
	if (!nfiles) {
		files = stdin_only;
		nfiles = 1;
	}
	dev = open_dev(c);
	for (i = 0; i < nfiles; i++) {
		struct virtaccel_stream *s;

		fd = open_in(files[i]);
		if (fd < 0) {
			err_msg("%s: %s", files[i], strerror(-fd));
			fails++;
			continue;
		}
		ret = virtaccel_stream_open(dev, &p, &s);
		if (!ret) {
			ret = pump(dev, s, fd, -1, digest, sizeof(digest),
				   &dlen);
			virtaccel_stream_close(s);
		}
		if (fd != STDIN_FILENO)
			close(fd);
		if (!ret && dlen != (crc ? 4u : 32u))
			ret = -EPROTO;
		if (ret) {
			err_msg("%s: %s failed: %s", files[i], c->alg,
				strerror(-ret));
			fails++;
			continue;
		}
		print_sum(digest, dlen, files[i], crc);
	}
	virtaccel_close(dev);
	if (fflush(stdout)) {
		err_msg("write error: %s", strerror(errno));
		return 1;
	}
	return fails ? 1 : 0;
}

static int transform(const struct common *c, struct virtaccel_stream_params *p,
		     const char *in_name, const char *out_name,
		     const char *what)
{
	struct virtaccel_dev *dev;
	struct virtaccel_stream *s;
	struct outfile o = { .fd = -1 };
	int in_fd, ret;

	in_fd = open_in(in_name);
	if (in_fd < 0) {
		err_msg("%s: %s", in_name, strerror(-in_fd));
		return 1;
	}
	ret = out_open(&o, out_name);
	if (ret) {
		err_msg("%s: cannot create output: %s", out_name,
			strerror(-ret));
		return 1;
	}
	dev = open_dev(c);
	ret = virtaccel_stream_open(dev, p, &s);
	if (!ret) {
		ret = pump(dev, s, in_fd, o.fd, NULL, 0, NULL);
		virtaccel_stream_close(s);
	}
	virtaccel_close(dev);
	if (ret) {
		out_abort(&o);
		if (ret == -EBADMSG && p->op == VIRTIO_ACCEL_OP_AEAD_DECRYPT)
			err_msg("%s: authentication failed (wrong key, IV, AAD or tampered data); no output written",
				in_name);
		else if (ret == -EINVAL && p->op == VIRTIO_ACCEL_OP_DECOMPRESS)
			err_msg("%s: not a valid raw DEFLATE stream; no output written",
				in_name);
		else
			err_msg("%s: %s failed: %s; no output written", in_name,
				what, strerror(-ret));
		return 1;
	}
	ret = out_commit(&o);
	if (ret) {
		err_msg("%s: %s", out_name, strerror(-ret));
		return 1;
	}
	return 0;
}

static int cmd_aead(const struct common *c, int enc, int argc, char **argv)
{
	struct virtaccel_stream_params p = { 0 };
	const char *what = enc ? "encrypt" : "decrypt";

	if (!c->alg)
		die_usage("%s: --alg is required", what);
	if (strcmp(c->alg, "aes-256-gcm"))
		die_usage("%s: --alg %s: supported: aes-256-gcm", what, c->alg);
	if (!c->key)
		die_usage("%s: --key is required", what);
	if (c->key_len != VIRTIO_ACCEL_GCM_KEY_LEN)
		die_usage("%s: --key: aes-256-gcm needs a 32-byte key (64 hex digits), got %zu bytes",
			  what, c->key_len);
	if (!c->iv)
		die_usage("%s: --iv is required", what);
	if (c->iv_len != VIRTIO_ACCEL_GCM_IV_LEN)
		die_usage("%s: --iv: aes-256-gcm needs a 12-byte IV (24 hex digits), got %zu bytes",
			  what, c->iv_len);
	if (argc != 2)
		die_usage("%s: expected IN and OUT, got %d argument(s)", what,
			  argc);
	p.op = enc ? VIRTIO_ACCEL_OP_AEAD_ENCRYPT : VIRTIO_ACCEL_OP_AEAD_DECRYPT;
	p.algo = VIRTIO_ACCEL_ALG_AES256_GCM;
	p.key = c->key;
	p.key_len = (uint32_t)c->key_len;
	p.iv = c->iv;
	p.iv_len = (uint32_t)c->iv_len;
	p.aad = c->aad;
	p.aad_len = (uint32_t)c->aad_len;
	return transform(c, &p, argv[0], argv[1], what);
}

static int cmd_deflate(const struct common *c, int comp, int argc, char **argv)
{
	struct virtaccel_stream_params p = { 0 };
	const char *what = comp ? "compress" : "decompress";

	if (c->key || c->iv || c->aad)
		die_usage("%s: --key, --iv and --aad are not used", what);
	if (c->alg && strcmp(c->alg, "deflate"))
		die_usage("%s: --alg %s: supported: deflate", what, c->alg);
	if (argc != 2)
		die_usage("%s: expected IN and OUT, got %d argument(s)", what,
			  argc);
	p.op = comp ? VIRTIO_ACCEL_OP_COMPRESS : VIRTIO_ACCEL_OP_DECOMPRESS;
	p.algo = VIRTIO_ACCEL_ALG_DEFLATE;
	return transform(c, &p, argv[0], argv[1], what);
}

/* ---- info --------------------------------------------------------------- */

static const char *const feature_names[64] = {
	[VIRTIO_ACCEL_F_MQ] = "MQ",
	[VIRTIO_ACCEL_F_STATELESS] = "STATELESS",
	[VIRTIO_ACCEL_F_STREAM] = "STREAM",
	[28] = "INDIRECT_DESC",
	[29] = "EVENT_IDX",
	[30] = "PROTOCOL_FEATURES",
	[32] = "VERSION_1",
	[33] = "ACCESS_PLATFORM",
};

static void print_features(uint64_t f, int json)
{
	int i, first = 1;

	for (i = 0; i < 64; i++) {
		if (!(f & (1ull << i)))
			continue;
		if (json)
			printf("%s\"", first ? "" : ", ");
		else
			printf("%s", first ? "" : " ");
		if (feature_names[i])
			printf("%s", feature_names[i]);
		else
			printf("bit%d", i);
		if (json)
			putchar('"');
		first = 0;
	}
}

static const char *cap_op_name(uint32_t op)
{
	static const char *const n[] = { "null", "hash", "mac", "encrypt",
					 "decrypt", "compress", "decompress" };

	return op < sizeof(n) / sizeof(n[0]) ? n[op] : "unknown";
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static int cmd_info(const struct common *c, int argc)
{
	struct virtaccel_info *in = calloc(1, sizeof(*in));
	struct virtaccel_dev *dev;
	unsigned int i;
	int ret;

	if (argc)
		die_usage("info: unexpected argument");
	if (!in)
		return 1;
	dev = open_dev(c);
	ret = virtaccel_get_info(dev, in);
	virtaccel_close(dev);
	if (ret) {
		err_msg("%s: cannot read device info: %s", c->dev,
			strerror(-ret));
		free(in);
		return 1;
	}
	if (c->json) {
		printf("{\"transport\": ");
		json_str(in->transport);
		printf(", \"path\": ");
		json_str(in->path);
		printf(", \"device_id\": %u, \"device_features\": \"0x%" PRIx64
		       "\", \"driver_features\": \"0x%" PRIx64 "\", \"features\": [",
		       in->device_id, in->device_features, in->driver_features);
		print_features(in->driver_features, 1);
		printf("], \"max_dataqueues\": %u, \"num_queues\": %u, \"queue_size\": %u, "
		       "\"max_segments\": %u, \"services\": %u, \"max_sessions\": %u, "
		       "\"max_data_len\": %u, \"max_key_len\": %u, \"max_aad_len\": %u, "
		       "\"max_comp_streams\": %u, \"capabilities\": [",
		       in->max_dataqueues, in->num_queues, in->queue_size,
		       in->max_segments, in->services, in->max_sessions,
		       in->max_data_len, in->max_key_len, in->max_aad_len,
		       in->max_comp_streams);
	} else {
		printf("device:        %s (%s)\n", in->path, in->transport);
		printf("device id:     %u\n", in->device_id);
		printf("features:      ");
		print_features(in->driver_features, 0);
		printf("\ndata queues:   %u of %u, %u descriptors each\n",
		       in->num_queues, in->max_dataqueues, in->queue_size);
		printf("limits:        %u bytes per request, %u sessions, key <= %u, aad <= %u, %u segments\n",
		       in->max_data_len, in->max_sessions, in->max_key_len,
		       in->max_aad_len, in->max_segments);
		printf("streams:       %u compress/decompress stream sessions at once\n",
		       in->max_comp_streams);
		printf("capabilities:\n");
	}
	for (i = 0; i < in->n_caps && i < VIRTACCEL_MAX_CAPS; i++) {
		const struct virtio_accel_cap *cp = &in->caps[i];
		char eng[9];
		uint32_t fl = le32toh(cp->flags);

		memcpy(eng, cp->engine, 8);
		eng[8] = 0;
		if (c->json) {
			printf("%s{\"op\": \"%s\", \"alg\": \"%s\", \"session\": %s, "
			       "\"stateless\": %s, \"stream\": %s, \"engine\": ",
			       i ? ", " : "", cap_op_name(le32toh(cp->op)),
			       virtaccel_alg_name(le32toh(cp->algo)),
			       fl & VIRTIO_ACCEL_CAP_F_SESSION ? "true" : "false",
			       fl & VIRTIO_ACCEL_CAP_F_STATELESS ? "true" : "false",
			       fl & VIRTIO_ACCEL_CAP_F_STREAM ? "true" : "false");
			json_str(eng);
			putchar('}');
		} else {
			printf("  %-10s %-12s engine %-8s%s%s%s\n",
			       cap_op_name(le32toh(cp->op)),
			       virtaccel_alg_name(le32toh(cp->algo)), eng,
			       fl & VIRTIO_ACCEL_CAP_F_SESSION ? " session" : "",
			       fl & VIRTIO_ACCEL_CAP_F_STATELESS ? " stateless" : "",
			       fl & VIRTIO_ACCEL_CAP_F_STREAM ? " stream" : "");
		}
	}
	if (c->json)
		printf("]}\n");
	free(in);
	return 0;
}

/* ---- bench -------------------------------------------------------------- */

static volatile sig_atomic_t stop_bench;

static void on_sigint(int sig)
{
	stop_bench = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct bench_op {
	struct virtaccel_op op;
	uint64_t t0;
};

static int cmd_bench(const struct common *c, int argc)
{
	static const uint8_t key[32] = { 1, 2, 3 }, iv[12] = { 4, 5, 6 };
	uint64_t depth = c->depth ? c->depth : 1, secs = c->seconds ? c->seconds : 3;
	uint64_t size = c->size, lat_cap = 1u << 22, nlat = 0, ops = 0;
	uint64_t t_start, t_end, t_next_report, *lat;
	struct virtaccel_dev *dev;
	struct bench_op *bo;
	struct virtaccel_op **vec, **done;
	uint32_t opcode, algo, key_len = 0, iv_len = 0, dst_len;
	unsigned int i, inflight = 0, q = 0;
	uint8_t *src, *dst;
	int ret = 0, n;

	if (argc)
		die_usage("bench: unexpected argument");
	if (!c->op)
		die_usage("bench: --op is required");
	if (!strcmp(c->op, "null")) {
		opcode = VIRTIO_ACCEL_OP_NULL; algo = VIRTIO_ACCEL_ALG_NONE;
		dst_len = size;
	} else if (!strcmp(c->op, "sha256")) {
		opcode = VIRTIO_ACCEL_OP_HASH; algo = VIRTIO_ACCEL_ALG_SHA256;
		dst_len = 32;
	} else if (!strcmp(c->op, "crc32c")) {
		opcode = VIRTIO_ACCEL_OP_HASH; algo = VIRTIO_ACCEL_ALG_CRC32C;
		dst_len = 4;
	} else if (!strcmp(c->op, "hmac-sha256")) {
		opcode = VIRTIO_ACCEL_OP_MAC;
		algo = VIRTIO_ACCEL_ALG_HMAC_SHA256;
		dst_len = 32; key_len = 32;
	} else if (!strcmp(c->op, "aes-256-gcm")) {
		opcode = VIRTIO_ACCEL_OP_AEAD_ENCRYPT;
		algo = VIRTIO_ACCEL_ALG_AES256_GCM;
		dst_len = size + 16; key_len = 32; iv_len = 12;
	} else if (!strcmp(c->op, "compress")) {
		opcode = VIRTIO_ACCEL_OP_COMPRESS;
		algo = VIRTIO_ACCEL_ALG_DEFLATE;
		dst_len = VIRTIO_ACCEL_DEFLATE_BOUND(size);
	} else {
		die_usage("bench: --op %s: supported: null sha256 crc32c hmac-sha256 aes-256-gcm compress",
			  c->op);
	}
	if (depth < 1 || depth > 4096)
		die_usage("bench: --depth must be 1..4096");
	dev = open_dev(c);
	{
		struct virtaccel_info in;

		if (!virtaccel_get_info(dev, &in) &&
		    (size > in.max_data_len || dst_len > in.max_data_len)) {
			virtaccel_close(dev);
			die_usage("bench: --size %" PRIu64 ": one %s request carries at most %u bytes of input or output on this device",
				  size, c->op, in.max_data_len);
		}
	}
	bo = calloc(depth, sizeof(*bo));
	vec = calloc(depth, sizeof(*vec));
	done = calloc(depth, sizeof(*done));
	lat = malloc(lat_cap * sizeof(*lat));
	src = virtaccel_buf_alloc(dev, size ? size : 1);
	dst = virtaccel_buf_alloc(dev, depth * (dst_len ? dst_len : 1));
	if (!bo || !vec || !done || !lat || !src || !dst) {
		err_msg("bench: cannot allocate %" PRIu64 " x %" PRIu64
			" bytes of shared buffers (use a smaller --size or --depth)",
			depth, size);
		ret = 1;
		goto out;
	}
	for (i = 0; i < size; i++)
		src[i] = (uint8_t)(i % 251 < 128 ? 'a' + i % 7 : i * 31);
	for (i = 0; i < depth; i++) {
		struct virtaccel_op *op = &bo[i].op;

		op->opcode = opcode;
		op->algo = algo;
		op->key = key_len ? key : NULL;
		op->key_len = key_len;
		op->iv = iv_len ? iv : NULL;
		op->iv_len = iv_len;
		op->src = src;
		op->src_len = (uint32_t)size;
		op->dst = dst + (size_t)i * dst_len;
		op->dst_len = dst_len;
		op->user_data = &bo[i];
	}
	signal(SIGINT, on_sigint);
	fprintf(stderr, "bench: %s, %" PRIu64 " bytes, depth %" PRIu64
		", %" PRIu64 " s on %s\n", c->op, size, depth, secs, c->dev);
	t_start = now_ns();
	t_end = t_start + secs * 1000000000ull;
	t_next_report = t_start + 1000000000ull;
	/* keep @depth ops in flight */
	for (;;) {
		uint64_t t = now_ns();
		unsigned int k = 0;

		if (t < t_end && !stop_bench) {
			for (i = 0; i < depth && inflight + k < depth; i++) {
				if (bo[i].t0)
					continue;
				bo[i].t0 = t;
				vec[k++] = &bo[i].op;
			}
			if (k) {
				n = virtaccel_submit(dev, q, vec, k);
				if (n < 0) {
					err_msg("bench: submit failed: %s",
						strerror(-n));
					ret = 1;
					break;
				}
				for (i = n; i < k; i++)
					((struct bench_op *)vec[i]->user_data)->t0 = 0;
				inflight += n;
			}
		} else if (!inflight) {
			break;
		}
		n = virtaccel_poll(dev, q, done, depth, c->poll ? 0 : 100);
		if (n < 0) {
			err_msg("bench: poll failed: %s", strerror(-n));
			ret = 1;
			break;
		}
		t = now_ns();
		for (i = 0; i < (unsigned int)n; i++) {
			struct bench_op *b = done[i]->user_data;

			if (done[i]->status != VIRTIO_ACCEL_OK) {
				err_msg("bench: device returned %s",
					virtaccel_status_str(done[i]->status));
				ret = 1;
			}
			if (nlat < lat_cap)
				lat[nlat++] = t - b->t0;
			b->t0 = 0;
			ops++;
		}
		inflight -= n;
		if (ret)
			break;
		if (t >= t_next_report) {
			fprintf(stderr, "  %" PRIu64 " s: %" PRIu64 " ops\n",
				(uint64_t)((t - t_start) / 1000000000ull), ops);
			t_next_report += 1000000000ull;
		}
	}
	if (!ret && ops) {
		double el = (now_ns() - t_start) / 1e9;
		double p50, p99, p999;

		qsort(lat, nlat, sizeof(*lat), cmp_u64);
		p50 = lat[nlat / 2] / 1e3;
		p99 = lat[(nlat * 99) / 100] / 1e3;
		p999 = lat[(nlat * 999) / 1000] / 1e3;
		if (c->json)
			printf("{\"op\": \"%s\", \"size\": %" PRIu64 ", \"depth\": %" PRIu64
			       ", \"seconds\": %.3f, \"ops\": %" PRIu64 ", \"ops_per_s\": %.1f, "
			       "\"mb_per_s\": %.2f, \"lat_p50_us\": %.2f, \"lat_p99_us\": %.2f, "
			       "\"lat_p999_us\": %.2f, \"mode\": \"%s\"}\n",
			       c->op, size, depth, el, ops, ops / el,
			       ops * (double)size / el / 1e6, p50, p99, p999,
			       c->poll ? "poll" : "event");
		else
			printf("%s size=%" PRIu64 " depth=%" PRIu64 " (%s): %.0f ops/s, %.1f MB/s, latency p50 %.1f us, p99 %.1f us, p99.9 %.1f us\n",
			       c->op, size, depth, c->poll ? "poll" : "event",
			       ops / el, ops * (double)size / el / 1e6, p50,
			       p99, p999);
	} else if (!ret) {
		err_msg("bench: no operation completed");
		ret = 1;
	}
out:
	if (src)
		virtaccel_buf_free(dev, src);
	if (dst)
		virtaccel_buf_free(dev, dst);
	virtaccel_close(dev);
	free(bo);
	free(vec);
	free(done);
	free(lat);
	return ret;
}

/* ---- main --------------------------------------------------------------- */

int main(int argc, char **argv)
{
	enum { O_ALG = 256, O_KEY, O_IV, O_AAD, O_JSON, O_OP, O_SIZE, O_DEPTH,
	       O_SECS, O_QUEUES, O_POLL, O_KEYFILE };
	static const struct option lopts[] = {
		{ "alg", required_argument, NULL, O_ALG },
		{ "key", required_argument, NULL, O_KEY },
		{ "key-file", required_argument, NULL, O_KEYFILE },
		{ "iv", required_argument, NULL, O_IV },
		{ "aad", required_argument, NULL, O_AAD },
		{ "json", no_argument, NULL, O_JSON },
		{ "op", required_argument, NULL, O_OP },
		{ "size", required_argument, NULL, O_SIZE },
		{ "depth", required_argument, NULL, O_DEPTH },
		{ "seconds", required_argument, NULL, O_SECS },
		{ "queues", required_argument, NULL, O_QUEUES },
		{ "poll", no_argument, NULL, O_POLL },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct common c = { 0 };
	const char *cmd;
	int opt, ret;

	signal(SIGPIPE, SIG_IGN);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "--version")) {
		printf("vaccel (libvirtaccel %d.%d)\n", VIRTACCEL_VERSION_MAJOR,
		       VIRTACCEL_VERSION_MINOR);
		return 0;
	}
	if (argc < 2)
		die_usage("missing command");
	cmd = argv[1];
	if (!strcmp(cmd, "cdi"))	/* no DEVICE: cdi.c */
		return vaccel_cdi_main(argc - 1, argv + 1);
	if (argc < 3 || argv[2][0] == '-')
		die_usage("%s: missing DEVICE (e.g. vhost-user:/run/accel.sock)",
			  cmd);
	c.dev = argv[2];
	optind = 3;
	while ((opt = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (opt) {
		case O_ALG: c.alg = optarg; break;
		case O_KEY: c.key = key_from_arg(optarg, c.key, &c.key_len); break;
		case O_KEYFILE: c.key = key_from_file(optarg, c.key, &c.key_len); break;
		case O_IV: c.iv = parse_hex("iv", optarg, &c.iv_len); break;
		case O_AAD: c.aad = parse_hex("aad", optarg, &c.aad_len); break;
		case O_JSON: c.json = 1; break;
		case O_OP: c.op = optarg; break;
		case O_SIZE: c.size = parse_size("size", optarg, 1ull << 30); break;
		case O_DEPTH: c.depth = parse_size("depth", optarg, 4096); break;
		case O_SECS: c.seconds = parse_size("seconds", optarg, 86400); break;
		case O_QUEUES: c.queues = (unsigned int)parse_size("queues", optarg, 64); break;
		case O_POLL: c.poll = 1; break;
		case 'h': usage(stdout); return 0;
		default: die_usage("%s: bad option", cmd);
		}
	}
	argc -= optind;
	argv += optind;

	if (!strcmp(cmd, "info"))
		ret = cmd_info(&c, argc);
	else if (!strcmp(cmd, "hash"))
		ret = cmd_digest(&c, 0, argc, argv);
	else if (!strcmp(cmd, "hmac"))
		ret = cmd_digest(&c, 1, argc, argv);
	else if (!strcmp(cmd, "encrypt"))
		ret = cmd_aead(&c, 1, argc, argv);
	else if (!strcmp(cmd, "decrypt"))
		ret = cmd_aead(&c, 0, argc, argv);
	else if (!strcmp(cmd, "compress"))
		ret = cmd_deflate(&c, 1, argc, argv);
	else if (!strcmp(cmd, "decompress"))
		ret = cmd_deflate(&c, 0, argc, argv);
	else if (!strcmp(cmd, "bench"))
		ret = cmd_bench(&c, argc);
	else
		die_usage("unknown command '%s'", cmd);
	key_free(c.key, c.key_len);
	free(c.iv);
	free(c.aad);
	return ret;
}
