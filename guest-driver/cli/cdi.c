// SPDX-License-Identifier: BSD-3-Clause
/*
 * vaccel cdi generate: a Container Device Interface spec (CDI 0.5.0, kind
 * vaccel.dev/accel) for the virtio-accel devices of this machine, printed
 * on stdout as JSON:
 *
 *  - each vhost-vdpa node (/sys/bus/vdpa/devices/NAME/vhost-vdpa-N) whose
 *    vDPA device is a virtio-accel device: VHOST_VDPA_GET_DEVICE_ID says
 *    VIRTIO_ID_ACCEL (the node is opened for that; one in use (EBUSY) counts when its
 *    parent is the vdpa_accel management device). Device name NAME (the
 *    vdpa device's), VACCEL_DEVICE=vhost-vdpa:/dev/vhost-vdpa-N;
 *  - each /dev/vaccelN of virtio_accel.ko (/sys/class/vaccel/vaccelN, its
 *    virtio device id VIRTIO_ID_ACCEL). Name vaccelN, VACCEL_DEVICE=/dev/vaccelN;
 *  - each back-end socket given with --socket [NAME=]PATH: a bind mount of
 *    PATH at /run/vaccel/NAME.sock (default NAME: socketN, N counting
 *    from 0), VACCEL_DEVICE=vhost-user:/run/vaccel/NAME.sock.
 *
 * A device entry's containerEdits carry the device node (path, type,
 * major, minor, permissions "rw") or the mount, and the environment. The
 * runtime (podman --device vaccel.dev/accel=NAME, containerd with CDI, or
 * containers/cdi-apply.sh here) applies them.
 */
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/vhost.h>
#include <linux/virtio_accel.h>

#include "cdi.h"

#define CDI_VERSION "0.5.0"
#define CDI_KIND "vaccel.dev/accel"
#define SOCK_DIR "/run/vaccel"

#define NAME_LEN 128

/* snprintf into a path buffer; a path that does not fit is left empty */
static void pathf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void pathf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		buf[0] = '\0';
}

struct cdi_ctx {
	const char *sysfs;
	const char *devdir;
	int n;		/* devices printed */
	int warn;	/* nodes left out */
};

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* CDI device names: [A-Za-z0-9], then also _ - . :, ending alphanumeric */
static int cdi_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (!n || n > 255)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || i == n - 1 || !strchr("_-.:", c)))
			return 0;
	}
	return 1;
}

static void entry_begin(struct cdi_ctx *c, const char *name)
{
	printf("%s\n\t\t{\n\t\t\t\"name\": ", c->n++ ? "," : "");
	json_str(name);
	printf(",\n\t\t\t\"containerEdits\": {\n");
}

static void entry_env(const char *devstr)
{
	printf("\t\t\t\t\"env\": [ \"VACCEL_DEVICE=");
	/* device strings here are paths with no quote or backslash */
	fputs(devstr, stdout);
	printf("\" ]");
}

static void entry_node(const char *path, dev_t rdev)
{
	printf(",\n\t\t\t\t\"deviceNodes\": [ { \"path\": ");
	json_str(path);
	printf(", \"type\": \"c\", \"major\": %u, \"minor\": %u, \"permissions\": \"rw\" } ]",
	       major(rdev), minor(rdev));
}

static void entry_end(void)
{
	printf("\n\t\t\t}\n\t\t}");
}

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	char *nl;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	return 0;
}

/*
 * Is the vhost-vdpa node @node of vdpa device @sysdev a virtio-accel
 * device? 1 yes, 0 no, -errno unknown.
 */
static int vdpa_is_accel(const char *node, const char *sysdev)
{
	char path[PATH_MAX], parent[PATH_MAX];
	uint32_t id = 0;
	const char *base;
	int fd, ret;

	fd = open(node, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		ret = ioctl(fd, VHOST_VDPA_GET_DEVICE_ID, &id) ? -errno : 0;
		close(fd);
		if (!ret)
			return id == VIRTIO_ID_ACCEL;
		return ret;
	}
	if (errno != EBUSY)
		return -errno;
	/* held by a user: known only by its parent, the vdpa_accel device */
	pathf(path, sizeof(path), "%s/..", sysdev);
	if (!realpath(path, parent))
		return -EBUSY;
	base = strrchr(parent, '/');
	return base && !strcmp(base + 1, "vdpa_accel") ? 1 : -EBUSY;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of @dir, sorted (NULL-terminated, malloc'ed), or NULL. */
static char **list_dir(const char *dir)
{
	struct dirent *de;
	char **v = NULL;
	size_t n = 0;
	DIR *d = opendir(dir);

	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		char **nv;

		if (de->d_name[0] == '.')
			continue;
		nv = realloc(v, (n + 2) * sizeof(*v));
		if (!nv)
			break;
		v = nv;
		v[n] = strdup(de->d_name);
		if (!v[n])
			break;
		v[++n] = NULL;
	}
	closedir(d);
	if (v)
		qsort(v, n, sizeof(*v), cmp_str);
	return v;
}

static void free_list(char **v)
{
	char **p;

	for (p = v; p && *p; p++)
		free(*p);
	free(v);
}

static void gen_vhost_vdpa(struct cdi_ctx *c)
{
	char dir[PATH_MAX], sub[PATH_MAX], node[PATH_MAX], ds[PATH_MAX + 16];
	char **devs, **p, **q, **ents;
	struct stat st;
	int ret;

	pathf(dir, sizeof(dir), "%s/bus/vdpa/devices", c->sysfs);
	devs = list_dir(dir);
	for (p = devs; p && *p; p++) {
		pathf(sub, sizeof(sub), "%s/%s", dir, *p);
		ents = list_dir(sub);
		for (q = ents; q && *q; q++) {
			if (strncmp(*q, "vhost-vdpa-", 11))
				continue;
			pathf(node, sizeof(node), "%s/%s", c->devdir, *q);
			if (stat(node, &st) || !S_ISCHR(st.st_mode)) {
				fprintf(stderr, "vaccel cdi: %s (vdpa device %s): no character device, left out\n",
					node, *p);
				c->warn++;
				continue;
			}
			ret = vdpa_is_accel(node, sub);
			if (ret < 0) {
				fprintf(stderr, "vaccel cdi: %s (vdpa device %s): cannot read its device id: %s; left out\n",
					node, *p, strerror(-ret));
				c->warn++;
				continue;
			}
			if (!ret)
				continue;
			if (!cdi_name_ok(*p)) {
				fprintf(stderr, "vaccel cdi: vdpa device name '%s' is not a CDI device name; %s left out\n",
					*p, node);
				c->warn++;
				continue;
			}
			entry_begin(c, *p);
			pathf(ds, sizeof(ds), "vhost-vdpa:%s", node);
			entry_env(ds);
			entry_node(node, st.st_rdev);
			entry_end();
		}
		free_list(ents);
	}
	free_list(devs);
}

static void gen_chardev(struct cdi_ctx *c)
{
	char dir[PATH_MAX], id[64], path[PATH_MAX], node[PATH_MAX];
	char **devs, **p;
	struct stat st;

	pathf(dir, sizeof(dir), "%s/class/vaccel", c->sysfs);
	devs = list_dir(dir);
	for (p = devs; p && *p; p++) {
		if (strncmp(*p, "vaccel", 6) || !p[0][6])
			continue;	/* class attributes (crypto_*) */
		pathf(path, sizeof(path), "%s/%s/device/device", dir, *p);
		if (read_line(path, id, sizeof(id)) ||
		    strtoul(id, NULL, 0) != VIRTIO_ID_ACCEL)
			continue;
		pathf(node, sizeof(node), "%s/%s", c->devdir, *p);
		if (stat(node, &st) || !S_ISCHR(st.st_mode)) {
			fprintf(stderr, "vaccel cdi: %s: no character device, left out\n",
				node);
			c->warn++;
			continue;
		}
		entry_begin(c, *p);
		entry_env(node);
		entry_node(node, st.st_rdev);
		entry_end();
	}
	free_list(devs);
}

/* --socket [NAME=]PATH: @name and *path, or -errno (said on stderr). */
static int parse_socket(const char *arg, int idx, char name[NAME_LEN],
			const char **pathp)
{
	const char *eq = strchr(arg, '='), *path = arg;
	struct stat st;

	if (eq && eq != arg && eq[1] == '/') {
		if ((size_t)(eq - arg) >= NAME_LEN)
			return -ENAMETOOLONG;
		memcpy(name, arg, (size_t)(eq - arg));
		name[eq - arg] = '\0';
		path = eq + 1;
	} else {
		pathf(name, NAME_LEN, "socket%d", idx);
	}
	if (!cdi_name_ok(name)) {
		fprintf(stderr, "vaccel cdi: --socket %s: '%s' is not a CDI device name\n",
			arg, name);
		return -EINVAL;
	}
	if (path[0] != '/') {
		fprintf(stderr, "vaccel cdi: --socket %s: the path must be absolute\n",
			arg);
		return -EINVAL;
	}
	if (stat(path, &st) || !S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "vaccel cdi: --socket %s: not a socket\n", path);
		return -ENOTSOCK;
	}
	*pathp = path;
	return 0;
}

static void gen_socket(struct cdi_ctx *c, const char *name, const char *path)
{
	char cpath[PATH_MAX], ds[PATH_MAX + 16];

	pathf(cpath, sizeof(cpath), SOCK_DIR "/%s.sock", name);
	entry_begin(c, name);
	pathf(ds, sizeof(ds), "vhost-user:%s", cpath);
	entry_env(ds);
	printf(",\n\t\t\t\t\"mounts\": [ { \"hostPath\": ");
	json_str(path);
	printf(", \"containerPath\": ");
	json_str(cpath);
	printf(", \"options\": [ \"bind\", \"rw\", \"nosuid\", \"nodev\", \"noexec\" ] } ]");
	entry_end();
}

static void cdi_usage(FILE *f)
{
	fprintf(f,
"Usage: vaccel cdi generate [--socket [NAME=]PATH]... [--no-probe]\n"
"                           [--sysfs DIR] [--dev DIR]\n"
"Prints a CDI spec (JSON, cdiVersion " CDI_VERSION ", kind " CDI_KIND ") for the\n"
"virtio-accel vhost-vdpa nodes, /dev/vaccelN and the back-end sockets given.\n"
"Save it as /etc/cdi/vaccel.json; then e.g.\n"
"  podman run --device " CDI_KIND "=NAME ...\n"
"--no-probe: only the sockets, no device of this machine.\n");
}

int vaccel_cdi_main(int argc, char **argv)
{
	enum { O_SOCK = 256, O_NOPROBE, O_SYSFS, O_DEV };
	static const struct option lopts[] = {
		{ "socket", required_argument, NULL, O_SOCK },
		{ "no-probe", no_argument, NULL, O_NOPROBE },
		{ "sysfs", required_argument, NULL, O_SYSFS },
		{ "dev", required_argument, NULL, O_DEV },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cdi_ctx c = { .sysfs = "/sys", .devdir = "/dev" };
	const char **socks, **paths;
	char (*names)[NAME_LEN];
	int opt, nsock = 0, probe = 1, i, ret = 0;

	if (argc < 2 || strcmp(argv[1], "generate")) {
		if (argc >= 2 && (!strcmp(argv[1], "--help") ||
				  !strcmp(argv[1], "-h"))) {
			cdi_usage(stdout);
			return 0;
		}
		fprintf(stderr, "vaccel: cdi: expected 'generate'\n");
		cdi_usage(stderr);
		return 2;
	}
	socks = calloc((size_t)argc, sizeof(*socks));
	paths = calloc((size_t)argc, sizeof(*paths));
	names = calloc((size_t)argc, sizeof(*names));
	if (!socks || !paths || !names) {
		ret = 1;
		goto out;
	}
	optind = 2;
	while ((opt = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (opt) {
		case O_SOCK: socks[nsock++] = optarg; break;
		case O_NOPROBE: probe = 0; break;
		case O_SYSFS: c.sysfs = optarg; break;
		case O_DEV: c.devdir = optarg; break;
		case 'h': cdi_usage(stdout); goto out;
		default: cdi_usage(stderr); ret = 2; goto out;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "vaccel: cdi generate: unexpected argument '%s'\n",
			argv[optind]);
		ret = 2;
		goto out;
	}
	/* every socket checked before any output */
	for (i = 0; i < nsock; i++)
		if (parse_socket(socks[i], i, names[i], &paths[i])) {
			ret = 1;
			goto out;
		}
	printf("{\n\t\"cdiVersion\": \"" CDI_VERSION "\",\n\t\"kind\": \"" CDI_KIND "\",\n\t\"devices\": [");
	if (probe) {
		gen_vhost_vdpa(&c);
		gen_chardev(&c);
	}
	for (i = 0; i < nsock; i++)
		gen_socket(&c, names[i], paths[i]);
	printf("\n\t]\n}\n");
	if (!c.n)
		fprintf(stderr, "vaccel cdi: no virtio-accel device found\n");
out:
	free(names);
	free(paths);
	free(socks);
	return ret;
}
