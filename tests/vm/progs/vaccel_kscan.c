// SPDX-License-Identifier: BSD-3-Clause
/*
 * vaccel-kscan: is a session key left anywhere in the guest's RAM once its
 * sessions are gone? The guest side of the key-wiping check of
 * tests/vm/guest/t-fault-guest.sh. Built static.
 *
 *   vaccel-kscan hold DEV
 *       makes a random 32-byte key (never written anywhere raw: it prints
 *       it in hex), uses it as HMAC, AES-GCM and HMAC-stream session key and
 *       inline (HMAC and GCM, small and large buffers), wipes its own copy,
 *       prints "key HEX" and "live", waits for SIGUSR1, destroys the
 *       sessions and closes the device, prints "destroyed" and waits to be
 *       killed.
 *   vaccel-kscan scan KEYHEX MIN
 *       reads all RAM through /proc/kcore (its KCORE_RAM and kernel text
 *       segments) and counts copies of the key's 32 raw bytes; the key is
 *       kept masked in this process, so the scan does not find itself.
 *       Exit 0 if the count is >= MIN (MIN > 0), or 0 (MIN = 0); else 1.
 *       With KSCAN_CONTEXT set, the 64 bytes before each copy are printed
 *       (kernel pointers there usually mean a crypto transform's context).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_accel_ioctl.h>

#define KLEN	32
#define MASK	0xa5
#define CHUNK	(4u << 20)

static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

static int sess(int fd, uint32_t op, uint32_t algo, uint32_t flags,
		const uint8_t *key, uint64_t *id)
{
	struct vaccel_session s;

	memset(&s, 0, sizeof(s));
	s.op = op;
	s.algo = algo;
	s.flags = flags;
	s.key_len = KLEN;
	s.key_ptr = (uintptr_t)key;
	if (ioctl(fd, VACCEL_IOC_SESSION_CREATE, &s))
		return -errno;
	*id = s.session_id;
	return 0;
}

static int run(int fd, uint32_t opcode, uint32_t algo, uint64_t sid,
	       const uint8_t *key, const void *src, uint32_t len, void *dst,
	       uint32_t dlen, uint32_t flags)
{
	static const uint8_t iv[12] = "kscan-iv-123";
	struct vaccel_op op;

	memset(&op, 0, sizeof(op));
	op.opcode = opcode;
	op.algo = algo;
	op.flags = flags;
	op.queue = VACCEL_QUEUE_ANY;
	op.session_id = sid;
	if (key) {
		op.key_ptr = (uintptr_t)key;
		op.key_len = KLEN;
	}
	if (algo == VIRTIO_ACCEL_ALG_AES256_GCM) {
		op.iv_ptr = (uintptr_t)iv;
		op.iv_len = 12;
	}
	op.src_ptr = (uintptr_t)src;
	op.src_len = len;
	op.dst_ptr = (uintptr_t)dst;
	op.dst_len = dlen;
	if (ioctl(fd, VACCEL_IOC_OP, &op))
		return -errno;
	return op.status ? -EIO : 0;
}

static int cmd_hold(const char *dev)
{
	static uint8_t key[KLEN], big[100000], out[100016];
	uint64_t hs, gs, ds, ss;
	int fd, i, bad = 0;

	signal(SIGUSR1, on_usr1);
	fd = open(dev, O_RDWR);
	if (fd < 0 || getrandom(key, KLEN, 0) != KLEN) {
		perror(dev);
		return 1;
	}
	printf("key ");
	for (i = 0; i < KLEN; i++)
		printf("%02x", key[i]);
	printf("\n");
	memset(big, 0x3c, sizeof(big));
	bad |= sess(fd, VIRTIO_ACCEL_OP_MAC, VIRTIO_ACCEL_ALG_HMAC_SHA256, 0,
		    key, &hs);
	bad |= sess(fd, VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
		    VIRTIO_ACCEL_ALG_AES256_GCM, 0, key, &gs);
	bad |= sess(fd, VIRTIO_ACCEL_OP_AEAD_DECRYPT,
		    VIRTIO_ACCEL_ALG_AES256_GCM, 0, key, &ds);
	bad |= sess(fd, VIRTIO_ACCEL_OP_MAC, VIRTIO_ACCEL_ALG_HMAC_SHA256,
		    VIRTIO_ACCEL_SESS_F_STREAM, key, &ss);
	bad |= run(fd, VIRTIO_ACCEL_OP_MAC, VIRTIO_ACCEL_ALG_HMAC_SHA256, hs,
		   NULL, big, 64, out, 32, 0);
	bad |= run(fd, VIRTIO_ACCEL_OP_MAC, VIRTIO_ACCEL_ALG_HMAC_SHA256, hs,
		   NULL, big, sizeof(big), out, 32, 0);
	bad |= run(fd, VIRTIO_ACCEL_OP_MAC, VIRTIO_ACCEL_ALG_HMAC_SHA256, 0,
		   key, big, 64, out, 32, 0);
	bad |= run(fd, VIRTIO_ACCEL_OP_MAC, VIRTIO_ACCEL_ALG_HMAC_SHA256, ss,
		   NULL, big, 4096, out, 0, 0);
	bad |= run(fd, VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
		   VIRTIO_ACCEL_ALG_AES256_GCM, gs, NULL, big, sizeof(big), out,
		   sizeof(big) + 16, 0);
	bad |= run(fd, VIRTIO_ACCEL_OP_AEAD_DECRYPT,
		   VIRTIO_ACCEL_ALG_AES256_GCM, ds, NULL, out, sizeof(big) + 16,
		   big, sizeof(big), 0);
	bad |= run(fd, VIRTIO_ACCEL_OP_AEAD_ENCRYPT,
		   VIRTIO_ACCEL_ALG_AES256_GCM, 0, key, big, 64, out, 80, 0);
	explicit_bzero(key, sizeof(key));
	if (bad) {
		fprintf(stderr, "kscan hold: a request failed\n");
		return 1;
	}
	printf("live\n");
	fflush(stdout);
	while (!go)
		pause();
	ioctl(fd, VACCEL_IOC_SESSION_DESTROY, &hs);
	ioctl(fd, VACCEL_IOC_SESSION_DESTROY, &gs);
	close(fd);	/* destroys ds and ss */
	printf("destroyed\n");
	fflush(stdout);
	for (;;)
		pause();
}

static int cmd_scan(const char *hex, long min)
{
	uint8_t mk[KLEN], *buf;
	unsigned long long total = 0, found = 0;
	Elf64_Ehdr eh;
	Elf64_Phdr *ph;
	unsigned int b, i;
	int fd;

	if (strlen(hex) != 2 * KLEN)
		return 2;
	for (i = 0; i < KLEN; i++) {
		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			return 2;
		mk[i] = (uint8_t)b ^ MASK;
	}
	fd = open("/proc/kcore", O_RDONLY);
	buf = malloc(CHUNK + KLEN);
	if (fd < 0 || !buf || pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG)) {
		perror("/proc/kcore");
		return 2;
	}
	ph = calloc(eh.e_phnum, sizeof(*ph));
	if (!ph || pread(fd, ph, eh.e_phnum * sizeof(*ph), eh.e_phoff) !=
	    (ssize_t)(eh.e_phnum * sizeof(*ph))) {
		perror("kcore program headers");
		return 2;
	}
	for (i = 0; i < eh.e_phnum; i++) {
		uint64_t off = 0, keep = 0;

		/* RAM and kernel text: a physical address; the rest: -1 */
		if (ph[i].p_type != PT_LOAD || ph[i].p_paddr == (Elf64_Addr)-1 ||
		    ph[i].p_filesz > (64ull << 30))
			continue;
		while (off < ph[i].p_filesz) {
			uint64_t n = ph[i].p_filesz - off, j, have, t;
			ssize_t r;

			if (n > CHUNK)
				n = CHUNK;
			r = pread(fd, buf + keep, n, ph[i].p_offset + off);
			if (r <= 0)
				break;
			total += r;
			have = keep + (uint64_t)r;
			for (j = 0; j + KLEN <= have; j++) {
				unsigned int k;

				if ((buf[j] ^ MASK) != mk[0])
					continue;
				for (k = 1; k < KLEN; k++)
					if ((buf[j + k] ^ MASK) != mk[k])
						break;
				if (k == KLEN) {
					found++;
					printf("  copy at %#llx",
					       (unsigned long long)(ph[i].p_vaddr +
								    off - keep + j));
					/* what precedes it, to tell what holds it */
					if (getenv("KSCAN_CONTEXT") && j >= 64) {
						unsigned int q;

						printf(", before:");
						for (q = 64; q > 0; q--)
							printf("%s%02x", q % 16 ? "" : " ",
							       buf[j - q]);
					}
					printf("\n");
				}
			}
			/* the last KLEN - 1 bytes may start a match */
			t = have < KLEN - 1 ? have : KLEN - 1;
			memmove(buf, buf + have - t, t);
			keep = t;
			off += (uint64_t)r;
		}
	}
	printf("kscan: %llu MiB of RAM read, %llu copies of the key\n",
	       total >> 20, found);
	if (min > 0)
		return found >= (unsigned long long)min ? 0 : 1;
	return found ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "hold"))
		return cmd_hold(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "scan"))
		return cmd_scan(argv[2], atol(argv[3]));
	fprintf(stderr, "usage: vaccel-kscan hold DEV | scan KEYHEX MIN\n");
	return 2;
}
