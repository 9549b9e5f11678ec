// SPDX-License-Identifier: BSD-3-Clause
/*
 * Unit tests of state sealing (virtio-accel-spec/lib/
 * virtio_accel_state_seal.c, spec 7.11.3, [MIG-VALIDATE] rule 3): the key
 * file's checks, the HKDF derivation (against RFC 5869's construction
 * computed here with OpenSSL's HMAC), a sealed round trip, a wrong key, a
 * flipped bit anywhere, a plaintext state with a key and a sealed one
 * without, and the wiping of keys and of a refused body.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <openssl/hmac.h>

#include "unit.h"
#include "state_crc.h"
#include "virtio_accel_state.h"

static u8 sbuf[1 << 16], sref[1 << 16];
static struct virtio_accel_state_queue q[2];
static struct virtio_accel_state_session sess[2];
static struct virtio_accel_state st;
static struct virtio_accel_state_device dev;
static struct virtio_accel_state_queue oq[8];
static struct virtio_accel_state_session os[8];
static struct virtio_accel_state out;
static char dir[] = "/tmp/vaccel-seal.XXXXXX";

static const u8 ikm[32] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

static void mk(void)
{
	struct virtio_accel_config c;
	u32 i;

	memset(&st, 0, sizeof(st));
	memset(&c, 0, sizeof(c));
	dev.features = 1ULL << VIRTIO_ACCEL_F_STREAM;
	dev.nr_vq = 2;
	dev.implemented = VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_MAC,
						VIRTIO_ACCEL_ALG_HMAC_SHA256) |
			  VIRTIO_ACCEL_IMPL_BIT(VIRTIO_ACCEL_OP_HASH,
						VIRTIO_ACCEL_ALG_CRC32C);
	dev.max_sessions = 8;
	dev.max_data_len = 4096;
	dev.max_key_len = 64;
	dev.next_gen = 77;
	c.max_sessions = cpu_to_le32(8);
	c.max_data_len = cpu_to_le32(4096);
	c.max_key_len = cpu_to_le32(64);
	memcpy(dev.config, &c, sizeof(c));
	st.dev = dev;
	q[0].index = 0;
	q[1].index = 1;
	q[1].last_avail = q[1].last_used = 9;
	st.queues = q;
	st.nqueues = 2;
	memset(sess, 0, sizeof(sess));
	sess[0].id = 5ULL << 20 | 1;
	sess[0].c.op = VIRTIO_ACCEL_OP_MAC;
	sess[0].c.algo = VIRTIO_ACCEL_ALG_HMAC_SHA256;
	sess[0].c.key_len = 40;
	for (i = 0; i < 40; i++)
		sess[0].c.key[i] = (u8)(0xe0 ^ i);
	sess[1].id = 6ULL << 20 | 2;
	sess[1].c.op = VIRTIO_ACCEL_OP_HASH;
	sess[1].c.algo = VIRTIO_ACCEL_ALG_CRC32C;
	sess[1].c.flags = VIRTIO_ACCEL_SESS_F_STREAM;
	sess[1].c.stream_active = 1;
	sess[1].c.stream_len = 3;
	sess[1].st.kind = VIRTIO_ACCEL_ST_CRC32C;
	sess[1].st.u.crc.crc = 0xdeadbeef;
	st.sessions = sess;
	st.nsessions = 2;
}

static int load(const struct virtio_accel_state_key *k, u8 *b, u64 len,
		struct virtio_accel_state_err *e)
{
	memset(&out, 0, sizeof(out));
	out.queues = oq;
	out.sessions = os;
	return virtio_accel_state_load(k, b, len, &dev, &out,
				       state_test_crc32c, e);
}

/* does the session key of sess[0] appear anywhere in @n bytes at @p? */
static int has_key(const u8 *p, size_t n)
{
	size_t i;

	for (i = 0; i + 40 <= n; i++)
		if (!memcmp(p + i, sess[0].c.key, 40))
			return 1;
	return 0;
}

static void write_file(const char *name, const void *p, size_t n,
		       mode_t mode)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, p, n) == (ssize_t)n);
	close(fd);
	CU_ASSERT_FATAL(chmod(path, mode) == 0);
}

static int load_file(const char *name, struct virtio_accel_state_key *k)
{
	char path[128];
	const char *why = NULL;
	int ret;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ret = virtio_accel_state_key_load(path, k, &why);
	if (ret)
		CU_ASSERT(why != NULL);
	return ret;
}

static int seal_init(void)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int seal_fini(void)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* RFC 5869 with an empty salt, written out with HMAC-SHA256 */
static void ref_hkdf(const char *info, u8 *out32)
{
	u8 zero[32] = { 0 }, prk[32], t[64];
	unsigned int l = 32;
	size_t n = strlen(info);

	HMAC(EVP_sha256(), zero, 32, ikm, 32, prk, &l);
	memcpy(t, info, n);
	t[n] = 1;
	HMAC(EVP_sha256(), prk, 32, t, n + 1, out32, &l);
}

static void t_key_derive(void)
{
	struct virtio_accel_state_key k;
	u8 ref[32];

	CU_ASSERT_EQUAL_FATAL(virtio_accel_state_key_derive(ikm, &k), 0);
	CU_ASSERT(k.loaded);
	ref_hkdf(VIRTIO_ACCEL_STATE_SEAL_INFO, ref);
	CU_ASSERT(!memcmp(k.enc, ref, 32));
	ref_hkdf(VIRTIO_ACCEL_STATE_ID_INFO, ref);
	CU_ASSERT(!memcmp(k.id, ref, 4));
	virtio_accel_state_key_wipe(&k);
	CU_ASSERT(!k.loaded && !k.enc[0] && !k.enc[31] && !k.id[0]);
}

static void t_key_file(void)
{
	struct virtio_accel_state_key a, b;
	char hex[66];
	char path[128];
	int i;

	CU_ASSERT_EQUAL_FATAL(virtio_accel_state_key_derive(ikm, &b), 0);
	write_file("raw", ikm, 32, 0600);
	CU_ASSERT_EQUAL(load_file("raw", &a), 0);
	CU_ASSERT(!memcmp(&a, &b, sizeof(a)));
	for (i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", ikm[i]);
	write_file("hex", hex, 64, 0400);
	CU_ASSERT_EQUAL(load_file("hex", &a), 0);
	CU_ASSERT(!memcmp(&a, &b, sizeof(a)));
	hex[64] = '\n';
	write_file("hex-nl", hex, 65, 0600);
	CU_ASSERT_EQUAL(load_file("hex-nl", &a), 0);
	CU_ASSERT(!memcmp(&a, &b, sizeof(a)));
	for (i = 0; i < 64; i++)
		hex[i] = (char)toupper(hex[i]);
	write_file("hex-upper", hex, 64, 0600);
	CU_ASSERT_EQUAL(load_file("hex-upper", &a), 0);
	CU_ASSERT(!memcmp(&a, &b, sizeof(a)));

	/* refused: modes, sizes, digits, a link, another owner */
	write_file("g", ikm, 32, 0640);
	CU_ASSERT_EQUAL(load_file("g", &a), -EPERM);
	CU_ASSERT(!a.loaded);
	write_file("o", ikm, 32, 0604);
	CU_ASSERT_EQUAL(load_file("o", &a), -EPERM);
	write_file("short", ikm, 31, 0600);
	CU_ASSERT_EQUAL(load_file("short", &a), -EINVAL);
	write_file("long", hex, 66, 0600);
	CU_ASSERT_EQUAL(load_file("long", &a), -EINVAL);
	hex[10] = 'g';
	write_file("notHex", hex, 64, 0600);
	CU_ASSERT_EQUAL(load_file("notHex", &a), -EINVAL);
	snprintf(path, sizeof(path), "%s/link", dir);
	{
		char target[128];

		snprintf(target, sizeof(target), "%s/raw", dir);
		CU_ASSERT_FATAL(symlink(target, path) == 0);
	}
	CU_ASSERT(load_file("link", &a) < 0);
	CU_ASSERT(load_file("missing", &a) == -ENOENT);
	if (geteuid() == 0) {
		snprintf(path, sizeof(path), "%s/raw", dir);
		CU_ASSERT_FATAL(chown(path, 65534, 65534) == 0);
		CU_ASSERT_EQUAL(load_file("raw", &a), -EPERM);
	}
	virtio_accel_state_key_wipe(&b);
}

static void t_seal_roundtrip(void)
{
	struct virtio_accel_state_key k;
	struct virtio_accel_state_err e;
	long n, n2;

	mk();
	CU_ASSERT_EQUAL_FATAL(virtio_accel_state_key_derive(ikm, &k), 0);
	n = virtio_accel_state_save(&k, &st, sbuf, sizeof(sbuf),
				    state_test_crc32c);
	CU_ASSERT_EQUAL_FATAL((u64)n, virtio_accel_state_size(&st, 1));
	/* no key in clear in the sealed bytes; the header says sealed */
	CU_ASSERT(!has_key(sbuf, (size_t)n));
	CU_ASSERT_EQUAL(le32_to_cpu(((struct virtio_accel_state_hdr *)sbuf)->
				    flags), VIRTIO_ACCEL_STATE_F_SEALED);
	CU_ASSERT(!memcmp(sbuf + 44, k.id, 4));
	memcpy(sref, sbuf, (size_t)n);
	CU_ASSERT_EQUAL_FATAL(load(&k, sbuf, (u64)n, &e), 0);
	CU_ASSERT_EQUAL(out.nsessions, 2);
	CU_ASSERT_EQUAL(out.nqueues, 2);
	CU_ASSERT_EQUAL(os[0].id, sess[0].id);
	CU_ASSERT(!memcmp(os[0].c.key, sess[0].c.key, 64));
	CU_ASSERT_EQUAL(os[1].st.u.crc.crc, 0xdeadbeef);
	/* a second save: another nonce, other bytes */
	n2 = virtio_accel_state_save(&k, &st, sbuf, sizeof(sbuf),
				     state_test_crc32c);
	CU_ASSERT_EQUAL(n2, n);
	CU_ASSERT(memcmp(sbuf + 32, sref + 32, 12) != 0);
	CU_ASSERT(memcmp(sbuf + 48, sref + 48, (size_t)n - 48) != 0);
	/* without a key: the plaintext form, loadable without one */
	n = virtio_accel_state_save(NULL, &st, sbuf, sizeof(sbuf),
				    state_test_crc32c);
	CU_ASSERT_EQUAL_FATAL((u64)n, virtio_accel_state_size(&st, 0));
	CU_ASSERT(has_key(sbuf, (size_t)n));
	CU_ASSERT_EQUAL(load(NULL, sbuf, (u64)n, &e), 0);
	virtio_accel_state_key_wipe(&k);
}

static void t_seal_refusals(void)
{
	struct virtio_accel_state_key k, other, forged;
	struct virtio_accel_state_err e;
	u8 ikm2[32];
	long n, pn;
	int ret;

	mk();
	CU_ASSERT_EQUAL_FATAL(virtio_accel_state_key_derive(ikm, &k), 0);
	memcpy(ikm2, ikm, 32);
	ikm2[0] ^= 1;
	CU_ASSERT_EQUAL_FATAL(virtio_accel_state_key_derive(ikm2, &other), 0);
	n = virtio_accel_state_save(&k, &st, sref, sizeof(sref),
				    state_test_crc32c);
	CU_ASSERT_FATAL(n > 0);

	/* another key: its id differs */
	memcpy(sbuf, sref, (size_t)n);
	CU_ASSERT_EQUAL(load(&other, sbuf, (u64)n, &e), -EKEYREJECTED);
	CU_ASSERT_EQUAL(e.rule, 3);
	/* another key with the right id: the tag fails, the body is wiped */
	forged = other;
	memcpy(forged.id, k.id, 4);
	memcpy(sbuf, sref, (size_t)n);
	CU_ASSERT_EQUAL(load(&forged, sbuf, (u64)n, &e), -EBADMSG);
	CU_ASSERT_EQUAL(e.rule, 3);
	CU_ASSERT_EQUAL(out.nsessions, 0);
	/* sealed, no key */
	memcpy(sbuf, sref, (size_t)n);
	CU_ASSERT_EQUAL(load(NULL, sbuf, (u64)n, &e), -ENOKEY);
	CU_ASSERT_EQUAL(e.rule, 3);
	/* plaintext, with a key: no downgrade */
	pn = virtio_accel_state_save(NULL, &st, sbuf, sizeof(sbuf),
				     state_test_crc32c);
	CU_ASSERT_EQUAL(load(&k, sbuf, (u64)pn, &e), -EACCES);
	CU_ASSERT_EQUAL(e.rule, 3);
	/* truncated, one byte more */
	memcpy(sbuf, sref, (size_t)n);
	CU_ASSERT_EQUAL(load(&k, sbuf, (u64)n - 1, &e), -EBADMSG);
	CU_ASSERT_EQUAL(e.rule, 1);
	memcpy(sbuf, sref, (size_t)n);
	sbuf[n] = 0;
	CU_ASSERT_EQUAL(load(&k, sbuf, (u64)n + 1, &e), -EBADMSG);
	CU_ASSERT_EQUAL(e.rule, 1);
	/* the neighbour: intact */
	memcpy(sbuf, sref, (size_t)n);
	CU_ASSERT_EQUAL(load(&k, sbuf, (u64)n, &e), 0);

	/* every bit flipped, one at a time: header, nonce, key id, body, tag */
	{
		long bit;
		int accepted = 0, leaked = 0;

		for (bit = 0; bit < n * 8; bit++) {
			memcpy(sbuf, sref, (size_t)n);
			sbuf[bit / 8] ^= (u8)(1 << (bit % 8));
			ret = load(&k, sbuf, (u64)n, &e);
			if (!ret)
				accepted++;
			leaked += has_key(sbuf, (size_t)n);
		}
		CU_ASSERT_EQUAL(accepted, 0);
		CU_ASSERT_EQUAL(leaked, 0);
	}
	virtio_accel_state_key_wipe(&k);
	virtio_accel_state_key_wipe(&other);
	virtio_accel_state_key_wipe(&forged);
}

void register_state_seal_tests(void)
{
	ADD_SUITE("state-seal", seal_init, seal_fini);
	ADD_TEST(t_key_derive);
	ADD_TEST(t_key_file);
	ADD_TEST(t_seal_roundtrip);
	ADD_TEST(t_seal_refusals);
}
