// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * Sealing of a device's state in transfer (spec 7.11.3; design in
 * docs/migration-design.md, 4.3): the key file (--state-key-file), the
 * HKDF-SHA256 derivation of the sealing key and its id, and save/load,
 * which seal and open around the pure codec (virtio_accel_state.c) with
 * AES-256-GCM, the 48-byte header as additional data.
 *
 * User space only (OpenSSL 3 EVP, getrandom()). The file's key is wiped as
 * soon as the two keys are derived; a decrypted body that fails the tag or
 * the validation is wiped before the error returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "virtio_accel_state.h"

#define SHDR_LEN	VIRTIO_ACCEL_STATE_SEALED_HDR_LEN
#define TAG_LEN		VIRTIO_ACCEL_STATE_TAG_LEN
#define CHUNK		(1u << 30)	/* EVP's int lengths */

static int hkdf(const u8 *ikm, const char *info, u8 *out, size_t len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM p[4];
	int ok;

	EVP_KDF_free(kdf);
	if (!ctx)
		return -ENOMEM;
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						(char *)"SHA256", 0);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						 (void *)ikm,
						 VIRTIO_ACCEL_STATE_KEY_LEN);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
						 (void *)info, strlen(info));
	p[3] = OSSL_PARAM_construct_end();
	/* no salt: RFC 5869's default, HashLen zero bytes */
	ok = EVP_KDF_derive(ctx, out, len, p) == 1;
	EVP_KDF_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

int virtio_accel_state_key_derive(const u8 *ikm,
				  struct virtio_accel_state_key *k)
{
	int ret;

	memset(k, 0, sizeof(*k));
	ret = hkdf(ikm, VIRTIO_ACCEL_STATE_SEAL_INFO, k->enc, sizeof(k->enc));
	if (!ret)
		ret = hkdf(ikm, VIRTIO_ACCEL_STATE_ID_INFO, k->id,
			   sizeof(k->id));
	if (ret) {
		virtio_accel_state_key_wipe(k);
		return ret;
	}
	k->loaded = 1;
	return 0;
}

void virtio_accel_state_key_wipe(struct virtio_accel_state_key *k)
{
	virtio_accel_wipe(k, sizeof(*k));
}

static int hexval(u8 c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int virtio_accel_state_key_load(const char *path,
				struct virtio_accel_state_key *k,
				const char **why)
{
	u8 raw[VIRTIO_ACCEL_STATE_KEY_LEN * 2 + 2];
	u8 ikm[VIRTIO_ACCEL_STATE_KEY_LEN];
	struct stat sb;
	ssize_t n, got = 0;
	int fd, ret = -EINVAL, i;

	memset(k, 0, sizeof(*k));
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		*why = "cannot open the key file (a symbolic link is refused)";
		return -errno;
	}
	if (fstat(fd, &sb)) {
		ret = -errno;
		*why = "cannot stat the key file";
		goto out_close;
	}
	if (!S_ISREG(sb.st_mode)) {
		*why = "the key file is not a regular file";
		goto out_close;
	}
	if (sb.st_mode & (S_IRWXG | S_IRWXO)) {
		ret = -EPERM;
		*why = "the key file is readable or writable by group or others (mode 0600 or stricter)";
		goto out_close;
	}
	if (sb.st_uid != geteuid()) {
		ret = -EPERM;
		*why = "the key file is not owned by this process's user";
		goto out_close;
	}
	while (got < (ssize_t)sizeof(raw)) {
		n = read(fd, raw + got, sizeof(raw) - (size_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			*why = "cannot read the key file";
			goto out_wipe;
		}
		if (!n)
			break;
		got += n;
	}
	if (got == VIRTIO_ACCEL_STATE_KEY_LEN) {
		memcpy(ikm, raw, sizeof(ikm));
	} else if (got == 2 * VIRTIO_ACCEL_STATE_KEY_LEN ||
		   (got == 2 * VIRTIO_ACCEL_STATE_KEY_LEN + 1 &&
		    raw[got - 1] == '\n')) {
		for (i = 0; i < VIRTIO_ACCEL_STATE_KEY_LEN; i++) {
			int hi = hexval(raw[2 * i]), lo = hexval(raw[2 * i + 1]);

			if (hi < 0 || lo < 0) {
				*why = "the key file has 64 characters that are not all hexadecimal digits";
				goto out_wipe;
			}
			ikm[i] = (u8)(hi << 4 | lo);
		}
	} else {
		*why = "the key file holds neither 32 bytes nor 64 hexadecimal digits";
		goto out_wipe;
	}
	ret = virtio_accel_state_key_derive(ikm, k);
	if (ret)
		*why = "HKDF-SHA256 failed (OpenSSL)";
out_wipe:
	virtio_accel_wipe(raw, sizeof(raw));
	virtio_accel_wipe(ikm, sizeof(ikm));
out_close:
	close(fd);
	return ret;
}

/* AES-256-GCM over @len bytes at @p in place; @enc 1 seal, 0 open */
static int gcm(const struct virtio_accel_state_key *k, int enc, const u8 *iv,
	       const u8 *aad, u8 *p, u64 len, u8 *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n, ok;

	if (!c)
		return -ENOMEM;
	ok = EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) &&
	     EVP_CipherInit_ex(c, NULL, NULL, k->enc, iv, enc) &&
	     EVP_CipherUpdate(c, NULL, &n, aad, SHDR_LEN);
	while (ok && len) {
		int chunk = len > CHUNK ? (int)CHUNK : (int)len;

		ok = EVP_CipherUpdate(c, p, &n, p, chunk) && n == chunk;
		p += chunk;
		len -= (u64)chunk;
	}
	if (ok && !enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag);
	if (ok)
		ok = EVP_CipherFinal_ex(c, p, &n) == 1;
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag);
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -EBADMSG;
}

long virtio_accel_state_save(const struct virtio_accel_state_key *k,
			     const struct virtio_accel_state *s, void *buf,
			     u64 len, virtio_accel_crc32c_fn *crc32c)
{
	struct virtio_accel_state_seal_hdr sh;
	u8 *b = buf;
	long n;
	int ret;

	if (!k)
		return virtio_accel_state_encode(s, NULL, buf, len, crc32c);
	if (!k->loaded)
		return -ENOKEY;
	/* [MIG-VALIDATE] 3: a fresh nonce for every state (SP 800-38D 8.2.2) */
	if (getrandom(sh.nonce, sizeof(sh.nonce), 0) != sizeof(sh.nonce))
		return -EIO;
	memcpy(sh.key_id, k->id, sizeof(sh.key_id));
	n = virtio_accel_state_encode(s, &sh, buf, len, crc32c);
	if (n < 0)
		return n;
	ret = gcm(k, 1, sh.nonce, b, b + SHDR_LEN,
		  (u64)n - SHDR_LEN - TAG_LEN, b + n - TAG_LEN);
	if (ret) {
		virtio_accel_wipe(buf, (unsigned long)n);
		return ret;
	}
	return n;
}

int virtio_accel_state_load(const struct virtio_accel_state_key *k,
			    void *buf, u64 len,
			    const struct virtio_accel_state_device *dst,
			    struct virtio_accel_state *st,
			    virtio_accel_crc32c_fn *crc32c,
			    struct virtio_accel_state_err *err)
{
	struct virtio_accel_state_hdr h;
	struct virtio_accel_state_seal_hdr sh;
	u8 *b = buf;
	u64 total, body;
	int ret;

	if (!k)
		return virtio_accel_state_decode(buf, len, 0, dst, st, crc32c,
						 err);
	st->nqueues = 0;
	st->nsessions = 0;
	ret = virtio_accel_state_total_len(buf, len, dst, &total, err);
	if (ret)
		return ret;
	memcpy(&h, b, sizeof(h));
	if (!(le32_to_cpu(h.flags) & VIRTIO_ACCEL_STATE_F_SEALED))
		/* rule 3: no downgrade; decode says so */
		return virtio_accel_state_decode(buf, len,
						 VIRTIO_ACCEL_STATE_DEC_OPENED,
						 dst, st, crc32c, err);
	err->type = 0;
	if (len != total) {
		err->rule = 1;
		err->offset = len < total ? len : total;
		err->reason = "rule 1: length differs from the header's (truncated or trailing bytes)";
		return -EBADMSG;
	}
	memcpy(&sh, b + VIRTIO_ACCEL_STATE_HDR_LEN, sizeof(sh));
	if (!k->loaded || memcmp(sh.key_id, k->id, sizeof(sh.key_id))) {
		err->rule = 3;
		err->offset = VIRTIO_ACCEL_STATE_HDR_LEN +
			      offsetof(struct virtio_accel_state_seal_hdr,
				       key_id);
		err->reason = "rule 3: wrong state key (key_id differs)";
		return -EKEYREJECTED;
	}
	body = total - SHDR_LEN - TAG_LEN;
	ret = gcm(k, 0, sh.nonce, b, b + SHDR_LEN, body, b + SHDR_LEN + body);
	if (ret) {
		/* decrypted but not authentic: gone before anyone reads it */
		virtio_accel_wipe(b + SHDR_LEN, (unsigned long)body);
		err->rule = 3;
		err->offset = SHDR_LEN + body;
		err->reason = "rule 3: sealed state does not verify (GCM tag)";
		return -EBADMSG;
	}
	ret = virtio_accel_state_decode(buf, len, VIRTIO_ACCEL_STATE_DEC_OPENED,
					dst, st, crc32c, err);
	if (ret)
		virtio_accel_wipe(b + SHDR_LEN, (unsigned long)body);
	return ret;
}
