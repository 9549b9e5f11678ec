// SPDX-License-Identifier: BSD-3-Clause
/*
 * vaccel-aead: one AEAD operation through AF_ALG, for the guest's gcm(aes)
 * tests (tests/vm/guest/t-aead-guest.sh). Unlike kcapi-enc it takes empty
 * AAD and inputs of any size in one request (the socket's buffers are
 * raised to fit).
 *
 *   vaccel-aead [-d] -k KEYHEX -i IVHEX [-a AADFILE] [-t TAGLEN]
 *               [-s SPLIT] [-P PTFILE] NAME INFILE OUTFILE
 *
 * Encryption (default): INFILE is the plaintext, OUTFILE gets ciphertext
 * and tag. -d: INFILE is ciphertext and tag, OUTFILE gets the plaintext.
 * The AAD (AADFILE, default none) is sent before the data and not written
 * out. -s: the receive buffer is handed over in SPLIT-byte pieces (odd
 * destination scatterlists). -P: on a tag that does not verify (or any
 * other error of the decryption), check that the receive buffer holds no
 * plaintext of PTFILE.
 * With VACCEL_AEAD_GATE=PATH in the environment the request waits, set up
 * and its data sent, until PATH exists, after creating PATH.PID to say it
 * is ready: a flood of these programs then submits at once (a readv
 * each), however slowly they started.
 * Exit status: 0 done, 3 the tag did not verify (EBADMSG) and no
 * plaintext was released, 4 an error with plaintext in the buffer, 5
 * (with -P) another error and no plaintext in the buffer, 1 any other
 * error (errno shown), 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_alg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "vaccel-test.h"

#ifndef SOL_ALG
#define SOL_ALG 279
#endif
#define USAGE "usage: vaccel-aead [-d] -k KEYHEX -i IVHEX [-a AADFILE] [-t TAGLEN] [-s SPLIT] [-P PTFILE] NAME INFILE OUTFILE\n"

static size_t unhex(const char *s, unsigned char *out, size_t room)
{
	size_t i;

	for (i = 0; s[2 * i] && s[2 * i + 1]; i++) {
		unsigned int v;

		if (i >= room || sscanf(s + 2 * i, "%2x", &v) != 1)
			die("bad hex: %s", s);
		out[i] = v;
	}
	return i;
}

static size_t file_size(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		die_errno(path);
	return st.st_size;
}

static void file_read(const char *path, unsigned char *p, size_t len)
{
	size_t done = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		die_errno(path);
	while (done < len) {
		ssize_t n = read(fd, p + done, len - done);

		if (n <= 0)
			die_errno(path);
		done += n;
	}
	close(fd);
}

static void *map(size_t len)
{
	void *p = mmap(NULL, len ? len : 1, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die_errno("mmap");
	return p;
}

int main(int argc, char **argv)
{
	struct sockaddr_alg sa = { .salg_family = AF_ALG, .salg_type = "aead" };
	const char *aadfile = NULL, *ptfile = NULL;
	unsigned char key[64], ivb[64];
	size_t keylen = 0, ivlen = 0, aadlen = 0, inlen, outlen, split = 0;
	size_t taglen = 16, i, niov;
	int opt, dec = 0, tfm, op, buf, fd;
	unsigned char *in, *out;
	struct iovec *iov;
	struct msghdr msg = { 0 };
	const char *gate;
	struct cmsghdr *c;
	char cbuf[CMSG_SPACE(4) + CMSG_SPACE(sizeof(struct af_alg_iv) + 64) +
		  CMSG_SPACE(4)] = { 0 };
	struct iovec siov;
	ssize_t n;

	while ((opt = getopt(argc, argv, "dk:i:a:t:s:P:")) != -1) {
		switch (opt) {
		case 'd':
			dec = 1;
			break;
		case 'k':
			keylen = unhex(optarg, key, sizeof(key));
			break;
		case 'i':
			ivlen = unhex(optarg, ivb, sizeof(ivb));
			break;
		case 'a':
			aadfile = optarg;
			break;
		case 't':
			taglen = strtoul(optarg, NULL, 0);
			break;
		case 's':
			split = strtoul(optarg, NULL, 0);
			break;
		case 'P':
			ptfile = optarg;
			break;
		default:
			fprintf(stderr, USAGE);
			return 2;
		}
	}
	if (argc - optind != 3) {
		fprintf(stderr, USAGE);
		return 2;
	}
	strncpy((char *)sa.salg_name, argv[optind], sizeof(sa.salg_name) - 1);
	if (aadfile)
		aadlen = file_size(aadfile);
	inlen = file_size(argv[optind + 1]);
	if (dec && inlen < taglen)
		die("%s: shorter than the tag", argv[optind + 1]);
	outlen = dec ? inlen - taglen : inlen + taglen;
	/* AAD || input in one page-aligned buffer, AAD || output in another */
	in = map(aadlen + inlen);
	out = map(aadlen + outlen);
	if (aadfile)
		file_read(aadfile, in, aadlen);
	file_read(argv[optind + 1], in + aadlen, inlen);

	tfm = socket(AF_ALG, SOCK_SEQPACKET, 0);
	if (tfm < 0)
		die_errno("socket(AF_ALG)");
	if (bind(tfm, (struct sockaddr *)&sa, sizeof(sa)))
		die_errno(argv[optind]);
	if (setsockopt(tfm, SOL_ALG, ALG_SET_KEY, key, keylen))
		die_errno("ALG_SET_KEY");
	if (setsockopt(tfm, SOL_ALG, ALG_SET_AEAD_AUTHSIZE, NULL, taglen))
		die_errno("ALG_SET_AEAD_AUTHSIZE");
	op = accept(tfm, NULL, NULL);
	if (op < 0)
		die_errno("accept");
	/* the whole request in the socket's buffers (root: *BUFFORCE) */
	buf = (int)((aadlen + inlen + outlen) * 2 + (1 << 20));
	if (setsockopt(op, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)) ||
	    setsockopt(op, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)))
		die_errno("SO_SNDBUFFORCE");

	msg.msg_control = cbuf;
	/* exactly the three messages: no zeroed header after them */
	msg.msg_controllen = CMSG_SPACE(4) +
			     CMSG_SPACE(sizeof(struct af_alg_iv) + ivlen) +
			     CMSG_SPACE(4);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_ALG;
	c->cmsg_type = ALG_SET_OP;
	c->cmsg_len = CMSG_LEN(4);
	*(__u32 *)CMSG_DATA(c) = dec ? ALG_OP_DECRYPT : ALG_OP_ENCRYPT;
	c = CMSG_NXTHDR(&msg, c);
	c->cmsg_level = SOL_ALG;
	c->cmsg_type = ALG_SET_IV;
	c->cmsg_len = CMSG_LEN(sizeof(struct af_alg_iv) + ivlen);
	((struct af_alg_iv *)CMSG_DATA(c))->ivlen = ivlen;
	memcpy(((struct af_alg_iv *)CMSG_DATA(c))->iv, ivb, ivlen);
	c = CMSG_NXTHDR(&msg, c);
	c->cmsg_level = SOL_ALG;
	c->cmsg_type = ALG_SET_AEAD_ASSOCLEN;
	c->cmsg_len = CMSG_LEN(4);
	*(__u32 *)CMSG_DATA(c) = aadlen;
	siov.iov_base = in;
	siov.iov_len = aadlen + inlen;
	msg.msg_iov = &siov;
	msg.msg_iovlen = 1;
	n = sendmsg(op, &msg, 0);
	if (n < 0 || (size_t)n != aadlen + inlen)
		die_errno("sendmsg");

	/* the receive buffer, whole or in SPLIT-byte pieces */
	if (!split || split >= aadlen + outlen)
		split = aadlen + outlen ? aadlen + outlen : 1;
	niov = (aadlen + outlen + split - 1) / split;
	if (!niov)
		niov = 1;
	iov = calloc(niov, sizeof(*iov));
	if (!iov)
		die_errno("calloc");
	for (i = 0; i < niov; i++) {
		iov[i].iov_base = out + i * split;
		iov[i].iov_len = aadlen + outlen - i * split < split ?
				 aadlen + outlen - i * split : split;
	}
	/* nothing to receive: one byte of room, or recvmsg does nothing */
	if (!(aadlen + outlen))
		iov[0].iov_len = 1;
	/*
	 * The gate after sendmsg: AF_ALG only queues the data there, the
	 * request goes to the driver in the readv below, so a flood through
	 * the gate submits within the few microseconds of a readv each, not
	 * after a 64 KiB copy each
	 */
	gate = getenv("VACCEL_AEAD_GATE");
	if (gate) {
		char ready[4096];
		int fd, waited;

		snprintf(ready, sizeof(ready), "%s.%d", gate, (int)getpid());
		fd = open(ready, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
		if (fd < 0)
			die_errno(ready);
		close(fd);
		for (waited = 0; access(gate, F_OK); waited++) {
			if (waited > 120000)
				die("the gate %s never opened", gate);
			usleep(1000);
		}
	}

	n = readv(op, iov, niov);
	if (n < 0 && (errno == EBADMSG || ptfile)) {
		int bad = errno == EBADMSG ? 3 : 5;
		size_t same = 0;
		unsigned char *pt;

		fprintf(stderr, "vaccel-aead: %s\n", strerror(errno));
		if (!ptfile || !outlen)
			return bad;
		if (file_size(ptfile) != outlen)
			die("%s: not the plaintext's size", ptfile);
		pt = map(outlen);
		file_read(ptfile, pt, outlen);
		for (i = 0; i < outlen; i++)
			same += pt[i] == out[aadlen + i];
		/* random data: about one byte in 256 agrees by chance */
		if (same > outlen / 256 + outlen / 1024 + 64) {
			fprintf(stderr, "vaccel-aead: %zu of %zu plaintext bytes in the buffer\n",
				same, outlen);
			return 4;
		}
		return bad;
	}
	if (n < 0)
		die_errno("recvmsg");
	if ((size_t)n != aadlen + outlen)
		die("read %zd bytes, want %zu", n, aadlen + outlen);
	fd = open(argv[optind + 2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die_errno(argv[optind + 2]);
	for (i = 0; i < outlen;) {
		n = write(fd, out + aadlen + i, outlen - i);
		if (n <= 0)
			die_errno(argv[optind + 2]);
		i += n;
	}
	close(fd);
	close(op);
	close(tfm);
	return 0;
}
