// SPDX-License-Identifier: BSD-3-Clause
/*
 * The vaccelprov provider through the EVP API, as an unmodified program
 * uses it (the provider is found through OPENSSL_MODULES, the device
 * through VACCEL_DEVICE):
 *
 *   prov_test gcm-enc KEY IV AAD IN OUT CHUNK   ct || tag; updates of CHUNK
 *   prov_test gcm-dec KEY IV AAD IN OUT CHUNK   exit 1 on a bad tag (no OUT)
 *   prov_test refuse                            IV/tag lengths the device
 *                                               does not do are errors;
 *                                               context copies
 *   prov_test passon                            HMAC-SHA-384: passed on to
 *                                               the default provider, counted
 *   prov_test threads-fork THREADS ITERS [shared]
 *                                               threads, then fork: every
 *                                               result checked against the
 *                                               default provider; "shared":
 *                                               the device takes several
 *                                               users (/dev/vaccelN)
 *   prov_test speed SIZE SECONDS PROPQ          EVP loop: ops/s, MB/s
 *   prov_test speed SIZE SECONDS PROPQ THREADS  SHA-256 from THREADS at once
 *
 * KEY, IV, AAD in hex ('' for none). gcm-* exit 0 on success, 1 on a bad
 * tag, 2 on any other error (OpenSSL's error queue printed).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include "vaccel-test.h"

#define VP "provider=vaccelprov"
#define SW "provider=default"

static OSSL_PROVIDER *prov_vp, *prov_sw;

static void load_providers(void)
{
	prov_sw = OSSL_PROVIDER_load(NULL, "default");
	prov_vp = OSSL_PROVIDER_load(NULL, "vaccelprov");
	if (!prov_sw || !prov_vp) {
		ERR_print_errors_fp(stderr);
		die("cannot load the providers (OPENSSL_MODULES=%s)",
		    getenv("OPENSSL_MODULES") ?: "");
	}
}

/* usage and I/O errors: exit 2 (1 is a bad tag) */
#define fail2(...) do { fprintf(stderr, __VA_ARGS__); exit(2); } while (0)

static void unload_providers(void)
{
	OSSL_PROVIDER_unload(prov_vp);
	OSSL_PROVIDER_unload(prov_sw);
}

static unsigned char *hex(const char *s, size_t *len)
{
	long l = 0;
	unsigned char *b;

	if (!*s) {
		*len = 0;
		return OPENSSL_zalloc(1);
	}
	b = OPENSSL_hexstr2buf(s, &l);
	if (!b)
		fail2("not hex digits: %s\n", s);
	*len = (size_t)l;
	return b;
}

static unsigned char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b;
	struct stat st;

	if (!f || fstat(fileno(f), &st))
		fail2("%s: %s\n", path, strerror(errno));
	b = malloc((size_t)st.st_size + 1);
	if (!b || fread(b, 1, (size_t)st.st_size, f) != (size_t)st.st_size)
		fail2("%s: cannot read\n", path);
	fclose(f);
	*len = (size_t)st.st_size;
	return b;
}

static void write_file(const char *path, const void *b, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(b, 1, len, f) != len || fclose(f))
		fail2("%s: cannot write\n", path);
}

static int gcm_file(bool enc, char **a)
{
	size_t kl, ivl, al, inl, chunk = strtoul(a[5], NULL, 0), off, n;
	unsigned char *key = hex(a[0], &kl), *iv = hex(a[1], &ivl);
	unsigned char *aad = hex(a[2], &al), *in = read_file(a[3], &inl);
	unsigned char *out = malloc(inl + 16);
	EVP_CIPHER *c;
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int ol, ok, datal = (int)inl, rc = 2;

	load_providers();
	c = EVP_CIPHER_fetch(NULL, "AES-256-GCM", VP);
	if (!c || !x || !out || !chunk)
		goto err;
	if (!enc) {
		if (inl < 16)
			goto err;
		datal = (int)inl - 16;
	}
	if (!EVP_CipherInit_ex2(x, c, NULL, NULL, enc, NULL) ||
	    !EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, (int)ivl, NULL) ||
	    !EVP_CipherInit_ex2(x, NULL, key, iv, enc, NULL))
		goto err;
	/* AAD in two pieces */
	if (al && (!EVP_CipherUpdate(x, NULL, &ol, aad, (int)al / 2) ||
		   !EVP_CipherUpdate(x, NULL, &ol, aad + al / 2,
				     (int)(al - al / 2))))
		goto err;
	for (off = 0; off < (size_t)datal; off += n) {
		n = (size_t)datal - off;
		if (n > chunk)
			n = chunk;
		if (!EVP_CipherUpdate(x, out + off, &ol, in + off, (int)n) ||
		    (size_t)ol != n)
			goto err;
	}
	if (!enc && !EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, 16,
					 in + datal))
		goto err;
	ok = EVP_CipherFinal_ex(x, out + datal, &ol);
	if (!ok && !enc) {
		fprintf(stderr, "%s: authentication failed\n", a[3]);
		rc = 1;
		goto out;
	}
	if (!ok || ol)
		goto err;
	if (enc && !EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16,
					out + datal))
		goto err;
	write_file(a[4], out, (size_t)datal + (enc ? 16 : 0));
	rc = 0;
	goto out;
err:
	ERR_print_errors_fp(stderr);
out:
	EVP_CIPHER_CTX_free(x);
	EVP_CIPHER_free(c);
	OPENSSL_free(key);
	OPENSSL_free(iv);
	OPENSSL_free(aad);
	free(in);
	free(out);
	unload_providers();
	return rc;
}

/* The last error queued names the provider (and is printed). */
static bool err_from_vp(void)
{
	char buf[512];
	unsigned long e;
	bool found = false;
	const char *data, *file, *func;
	int line, flags;

	while ((e = ERR_get_error_all(&file, &line, &func, &data, &flags))) {
		ERR_error_string_n(e, buf, sizeof(buf));
		printf("# %s %s\n", buf, (flags & ERR_TXT_STRING) ? data : "");
		if (strstr(buf, "vaccelprov"))
			found = true;
	}
	return found;
}

static int digest(const char *pq, const void *d, size_t n, unsigned char *md);
static int hmac(const char *pq, const void *k, size_t kl, const void *d,
		size_t n, unsigned char *md);

static int gcm(const char *pq, int enc, const unsigned char *key,
	       const unsigned char *iv, const void *aad, size_t al,
	       const unsigned char *in, size_t n, unsigned char *out,
	       unsigned char *tag, size_t chunk);

/*
 * AES-GCM context copies (EVP_CIPHER_CTX_copy): before any data, and after
 * a first update sent whole, both contexts finish right; a decryption
 * streaming on the device (no tag yet) cannot be copied: an error.
 */
static void gcm_copies(const unsigned char *d)
{
	static const unsigned char key[32] = { 7 }, iv[12] = { 9 };
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, "AES-256-GCM", VP);
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new(), *y = EVP_CIPHER_CTX_new();
	unsigned char *o1 = malloc(3 * 8192), *o2 = o1 + 8192, *r = o2 + 8192;
	unsigned char t1[16], t2[16], tr[16];
	int ol;
	bool ok;

	/* AAD given, no data yet */
	ok = c && x && y && o1 && EVP_EncryptInit_ex2(x, c, key, iv, NULL) &&
	     EVP_EncryptUpdate(x, NULL, &ol, d, 20) &&
	     EVP_CIPHER_CTX_copy(y, x) &&
	     EVP_EncryptUpdate(x, o1, &ol, d, 5000) &&
	     EVP_EncryptUpdate(y, o2, &ol, d, 5000) &&
	     EVP_EncryptFinal_ex(x, o1, &ol) && EVP_EncryptFinal_ex(y, o2, &ol) &&
	     EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, t1) > 0 &&
	     EVP_CIPHER_CTX_ctrl(y, EVP_CTRL_AEAD_GET_TAG, 16, t2) > 0 &&
	     gcm(SW, 1, key, iv, d, 20, d, 5000, r, tr, 5000) &&
	     !memcmp(o1, r, 5000) && !memcmp(o2, r, 5000) &&
	     !memcmp(t1, tr, 16) && !memcmp(t2, tr, 16);
	tap(ok, "AES-GCM context copied after the AAD: both right (default's tag)");
	ERR_clear_error();
	/* one update sent whole, then copied; both go on with 3000 more */
	ok = EVP_EncryptInit_ex2(x, c, key, iv, NULL) &&
	     EVP_EncryptUpdate(x, o1, &ol, d, 5000) &&
	     EVP_CIPHER_CTX_copy(y, x) &&
	     EVP_EncryptUpdate(x, o1 + 5000, &ol, d + 5000, 3000) &&
	     EVP_EncryptUpdate(y, o2 + 5000, &ol, d + 5000, 3000) &&
	     EVP_EncryptFinal_ex(x, o1, &ol) && EVP_EncryptFinal_ex(y, o2, &ol) &&
	     EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, t1) > 0 &&
	     EVP_CIPHER_CTX_ctrl(y, EVP_CTRL_AEAD_GET_TAG, 16, t2) > 0 &&
	     gcm(SW, 1, key, iv, NULL, 0, d, 8000, r, tr, 8000) &&
	     !memcmp(o1, r, 8000) && !memcmp(o2 + 5000, r + 5000, 3000) &&
	     !memcmp(t1, tr, 16) && !memcmp(t2, tr, 16);
	tap(ok, "AES-GCM context copied after a first update of 5000 B: both go on right");
	ERR_clear_error();
	/* a decryption streaming on the device (its tag comes at the end) */
	ok = gcm(SW, 1, key, iv, NULL, 0, d, 8000, r, tr, 8000) &&
	     EVP_DecryptInit_ex2(x, c, key, iv, NULL) &&
	     EVP_DecryptUpdate(x, o1, &ol, r, 5000) &&
	     !EVP_CIPHER_CTX_copy(y, x) && err_from_vp();
	tap(ok, "AES-GCM decryption streaming on the device: a copy is refused (vaccelprov error)");
	ok = EVP_DecryptUpdate(x, o1 + 5000, &ol, r + 5000, 3000) &&
	     EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, 16, tr) > 0 &&
	     EVP_DecryptFinal_ex(x, o1, &ol) > 0 && !memcmp(o1, d, 8000);
	tap(ok, "... and the original decrypts right, its tag accepted");
	ERR_clear_error();
	EVP_CIPHER_CTX_free(x);
	EVP_CIPHER_CTX_free(y);
	EVP_CIPHER_free(c);
	free(o1);
}

/*
 * Many AES-GCM contexts alive at once, each with a message of 32 KiB sent
 * (a TLS server's connections): past the provider's share of the shared
 * memory they go on through the library's bounce buffers; all right.
 */
static void gcm_many(const unsigned char *d)
{
	enum { N = 400, L = 32768 };
	static const unsigned char key[32] = { 3 }, iv[12] = { 4 };
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, "AES-256-GCM", VP);
	EVP_CIPHER_CTX **x = calloc(N, sizeof(*x));
	unsigned char *o = malloc(L), *r = malloc(L), t[16], tr[16];
	int i, ol, bad = 0;

	for (i = 0; c && x && o && r && i < N; i++) {
		x[i] = EVP_CIPHER_CTX_new();
		if (!x[i] || !EVP_EncryptInit_ex2(x[i], c, key, iv, NULL) ||
		    !EVP_EncryptUpdate(x[i], o, &ol, d + i, L))
			bad++;
	}
	for (i = 0; c && x && o && r && i < N; i++) {
		if (!x[i] || !EVP_EncryptFinal_ex(x[i], o, &ol) ||
		    EVP_CIPHER_CTX_ctrl(x[i], EVP_CTRL_AEAD_GET_TAG, 16, t) <= 0 ||
		    !gcm(SW, 1, key, iv, NULL, 0, d + i, L, r, tr, L) ||
		    memcmp(t, tr, 16))
			bad++;
		EVP_CIPHER_CTX_free(x[i]);
	}
	tap(c && x && o && r && !bad,
	    "400 AES-GCM contexts alive with 32 KiB each (past the provider's shared memory): every tag right");
	ERR_print_errors_fp(stdout);
	free(x);
	free(o);
	free(r);
	EVP_CIPHER_free(c);
}

/* Context copies: of buffered input, right; of a stream begun, an error. */
static void copies(void)
{
	size_t big = 3 << 20;
	unsigned char *d = calloc(1, big), a[32], b[32], r[32];
	EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", VP);
	EVP_MD_CTX *x = EVP_MD_CTX_new(), *y = EVP_MD_CTX_new();
	EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", VP);
	EVP_MAC_CTX *mx = m ? EVP_MAC_CTX_new(m) : NULL, *my = NULL;
	OSSL_PARAM p[] = {
		OSSL_PARAM_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
		OSSL_PARAM_END
	};
	unsigned int l;
	size_t ml;
	bool ok;

	memset(d, 'x', big);
	ok = d && md && x && y && EVP_DigestInit_ex(x, md, NULL) &&
	     EVP_DigestUpdate(x, d, 100) && EVP_MD_CTX_copy_ex(y, x) &&
	     EVP_DigestUpdate(x, d, 50) && EVP_DigestFinal_ex(x, a, &l) &&
	     EVP_DigestFinal_ex(y, b, &l) && digest(SW, d, 150, r) &&
	     !memcmp(a, r, 32) && digest(SW, d, 100, r) && !memcmp(b, r, 32);
	tap(ok, "SHA-256 context copied after 100 B: both go on right");
	ok = EVP_DigestInit_ex(x, md, NULL) &&
	     EVP_DigestUpdate(x, d, 200000) && EVP_MD_CTX_copy_ex(y, x) &&
	     EVP_DigestUpdate(x, d, 70000) && EVP_DigestFinal_ex(x, a, &l) &&
	     EVP_DigestUpdate(y, d, 3) && EVP_DigestFinal_ex(y, b, &l) &&
	     digest(SW, d, 270000, r) && !memcmp(a, r, 32) &&
	     digest(SW, d, 200003, r) && !memcmp(b, r, 32);
	tap(ok, "SHA-256 context copied after 200 kB (held in shared memory): both go on right");
	ok = EVP_DigestInit_ex(x, md, NULL) && EVP_DigestUpdate(x, d, big);
	ok = ok && !EVP_MD_CTX_copy_ex(y, x) && err_from_vp();
	tap(ok, "SHA-256 context that has streamed 3 MiB: a copy is refused (vaccelprov error)");
	ok = EVP_DigestFinal_ex(x, a, &l) && digest(SW, d, big, r) &&
	     !memcmp(a, r, 32);
	tap(ok, "... and the original finishes right");
	ok = mx && EVP_MAC_init(mx, (const unsigned char *)"k", 1, p) &&
	     EVP_MAC_update(mx, d, 10) && (my = EVP_MAC_CTX_dup(mx)) &&
	     EVP_MAC_update(my, d, 5) && EVP_MAC_final(mx, a, &ml, 32) &&
	     EVP_MAC_final(my, b, &ml, 32) && hmac(SW, "k", 1, d, 10, r) &&
	     !memcmp(a, r, 32) && hmac(SW, "k", 1, d, 15, r) &&
	     !memcmp(b, r, 32);
	tap(ok, "HMAC context copied: both go on right, each its own");
	ERR_clear_error();
	ok = EVP_MAC_init(mx, (const unsigned char *)"k", 1, p) &&
	     EVP_MAC_update(mx, d, big);
	EVP_MAC_CTX_free(my);
	my = ok ? EVP_MAC_CTX_dup(mx) : NULL;
	tap(ok && !my && err_from_vp(),
	    "HMAC context that has streamed 3 MiB: a copy is refused (vaccelprov error)");
	ok = EVP_MAC_final(mx, a, &ml, 32) && hmac(SW, "k", 1, d, big, r) &&
	     !memcmp(a, r, 32);
	tap(ok, "... and the original finishes right");
	gcm_copies(d);
	gcm_many(d);
	EVP_MAC_CTX_free(mx);
	EVP_MAC_CTX_free(my);
	EVP_MAC_free(m);
	EVP_MD_CTX_free(x);
	EVP_MD_CTX_free(y);
	EVP_MD_free(md);
	free(d);
}

/*
 * Digests and HMACs in updates of every kind of size, against the default
 * provider: short ones (buffered), from 512 KiB (pipelined through the
 * provider's shared pieces, the last one left pending), mixed, with one
 * context reused across messages (its stream session and pieces kept) and
 * HMAC keys of 1 to 100 bytes. Seeded: a failure names its message.
 */
static void splits(void)
{
	static const size_t fixed[] = { 10, 600000, 3, 600000, 600000, 700000,
					65536, 0, 1048576, 1 };
	size_t big = 6 << 20, sz[10], off, tot, i, ml;
	unsigned char *d = malloc(big), a[32], r[32], key[100];
	EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", VP);
	EVP_MD_CTX *x = EVP_MD_CTX_new();
	EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", VP);
	EVP_MAC_CTX *mx = m ? EVP_MAC_CTX_new(m) : NULL;
	OSSL_PARAM p[] = {
		OSSL_PARAM_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
		OSSL_PARAM_END
	};
	unsigned int l, seed = 0x5eed, bad_sha = 0, bad_mac = 0, msg, k, n;
	bool ok;

	if (!d || !md || !x || !mx) {
		tap(false, "split updates: set-up");
		goto out;
	}
	for (i = 0; i < big; i++)
		d[i] = (unsigned char)(i * 131 + (i >> 12));
	for (i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)(i ^ 0x5c);
	for (msg = 0; msg < 26; msg++) {
		/* message 0: the fixed pattern; then random ones */
		n = msg ? 1 + rand_r(&seed) % 6 : 10;
		for (k = 0, tot = 0; k < n; k++) {
			unsigned int c = rand_r(&seed) % 3;

			sz[k] = !msg ? fixed[k] :
				c == 0 ? (size_t)rand_r(&seed) % 100 :
				c == 1 ? 1000 + (size_t)rand_r(&seed) % 70000 :
					 500000 + (size_t)rand_r(&seed) % 700000;
			if (tot + sz[k] > big)
				sz[k] = big - tot;
			tot += sz[k];
		}
		/* SHA-256: the context reused */
		ok = EVP_DigestInit_ex(x, md, NULL);
		for (k = 0, off = 0; ok && k < n; off += sz[k++])
			ok = EVP_DigestUpdate(x, d + off, sz[k]);
		ok = ok && EVP_DigestFinal_ex(x, a, &l) &&
		     digest(SW, d, tot, r) && !memcmp(a, r, 32);
		if (!ok && !bad_sha++)
			printf("# SHA-256 message %u (%zu bytes in %u updates) wrong\n",
			       msg, tot, n);
		/* HMAC: a key of 1..100 bytes */
		l = 1 + msg * 37 % 100;
		ok = EVP_MAC_init(mx, key, l, p);
		for (k = 0, off = 0; ok && k < n; off += sz[k++])
			ok = EVP_MAC_update(mx, d + off, sz[k]);
		ok = ok && EVP_MAC_final(mx, a, &ml, 32) &&
		     hmac(SW, key, l, d, tot, r) && !memcmp(a, r, 32);
		if (!ok && !bad_mac++)
			printf("# HMAC message %u (%zu bytes, key %u bytes) wrong\n",
			       msg, tot, l);
	}
	tap(!bad_sha, "SHA-256 in split updates (26 messages, 0 B to 1.2 MB each, one context): all equal the default provider's");
	tap(!bad_mac, "HMAC-SHA-256 in split updates (26 messages, keys of 1 to 100 B): all equal the default provider's");
	ERR_print_errors_fp(stdout);
out:
	EVP_MAC_CTX_free(mx);
	EVP_MAC_free(m);
	EVP_MD_CTX_free(x);
	EVP_MD_free(md);
	free(d);
}

static int refuse(void)
{
	static const unsigned char key[32], iv[16];
	unsigned char tag[16], buf[64] = { 0 };
	EVP_CIPHER *c;
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	bool r;
	int ol;

	load_providers();
	c = EVP_CIPHER_fetch(NULL, "AES-256-GCM", VP);
	tap(!!c, "AES-256-GCM fetched from vaccelprov");
	if (!c)
		return tap_finish("refuse");
	EVP_EncryptInit_ex2(x, c, NULL, NULL, NULL);
	r = EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, 16, NULL) <= 0;
	tap(r && err_from_vp(),
	    "IV length 16 refused with a vaccelprov error");
	r = EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, 8, NULL) <= 0;
	tap(r && err_from_vp(),
	    "IV length 8 refused with a vaccelprov error");
	tap(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) > 0,
	    "IV length 12 accepted");
	tap(EVP_CIPHER_CTX_get_iv_length(x) == 12, "IV length reads 12");
	tap(EVP_CIPHER_CTX_get_tag_length(x) == 16, "tag length reads 16");
	EVP_CIPHER_CTX_free(x);
	x = EVP_CIPHER_CTX_new();
	EVP_DecryptInit_ex2(x, c, key, iv, NULL);
	r = EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, 8, tag) <= 0;
	tap(r && err_from_vp(),
	    "an 8-byte tag to check refused with a vaccelprov error");
	EVP_CIPHER_CTX_free(x);
	/* without a tag, a decryption does not succeed */
	x = EVP_CIPHER_CTX_new();
	EVP_DecryptInit_ex2(x, c, key, iv, NULL);
	EVP_DecryptUpdate(x, buf, &ol, buf, 32);
	tap(EVP_DecryptFinal_ex(x, buf, &ol) <= 0,
	    "decryption without a tag does not succeed");
	ERR_clear_error();
	EVP_CIPHER_CTX_free(x);
	EVP_CIPHER_free(c);
	copies();
	splits();
	return tap_finish("refuse");
}

/*
 * HMAC with a digest other than SHA-256 (TLS's HKDF and PRF need
 * HMAC-SHA-384): passed to the default provider loaded beside, counted in
 * the provider parameter "hmac-passed-on"; HMAC-SHA-256 never is.
 */
static uint64_t passed_on(void)
{
	uint64_t v = ~0ull;
	OSSL_PARAM p[] = {
		OSSL_PARAM_uint64("hmac-passed-on", &v),
		OSSL_PARAM_END
	};

	if (!OSSL_PROVIDER_get_params(prov_vp, p) ||
	    !OSSL_PARAM_modified(p))
		return ~0ull;
	return v;
}

static int passon(void)
{
	unsigned char d[1000], a[64], b[64];
	EVP_MAC *m;
	EVP_MAC_CTX *c, *cp;
	OSSL_PARAM p[] = {
		OSSL_PARAM_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA384", 0),
		OSSL_PARAM_END
	};
	uint64_t n0, n1, n2;
	size_t l = 0, l2 = 0;
	bool ok;

	load_providers();
	memset(d, 'p', sizeof(d));
	n0 = passed_on();
	tap(n0 != ~0ull, "the provider parameter hmac-passed-on reads");
	ok = hmac(VP, "key", 3, d, sizeof(d), a);
	n1 = passed_on();
	tap(ok && n1 == n0, "HMAC-SHA-256 on the device: not counted as passed on");
	m = EVP_MAC_fetch(NULL, "HMAC", VP);
	c = m ? EVP_MAC_CTX_new(m) : NULL;
	ok = c && EVP_MAC_init(c, (const unsigned char *)"key", 3, p) &&
	     EVP_MAC_update(c, d, 400);
	/* a copy half-way (EVP_MAC_CTX_dup) finishes as the original */
	cp = ok ? EVP_MAC_CTX_dup(c) : NULL;
	ok = ok && cp && EVP_MAC_update(c, d + 400, sizeof(d) - 400) &&
	     EVP_MAC_final(c, a, &l, 64) &&
	     EVP_MAC_update(cp, d + 400, sizeof(d) - 400) &&
	     EVP_MAC_final(cp, b, &l2, 64) && l2 == 48 && !memcmp(a, b, 48);
	tap(ok, "HMAC-SHA-384 through vaccelprov copied half-way: both finish alike");
	EVP_MAC_CTX_free(cp);
	EVP_MAC_CTX_free(c);
	EVP_MAC_free(m);
	m = EVP_MAC_fetch(NULL, "HMAC", SW);
	c = m ? EVP_MAC_CTX_new(m) : NULL;
	ok = ok && c && EVP_MAC_init(c, (const unsigned char *)"key", 3, p) &&
	     EVP_MAC_update(c, d, sizeof(d)) && EVP_MAC_final(c, b, &l2, 64) &&
	     l == 48 && l2 == 48 && !memcmp(a, b, 48);
	EVP_MAC_CTX_free(c);
	EVP_MAC_free(m);
	n2 = passed_on();
	printf("# hmac-passed-on %llu -> %llu\n", (unsigned long long)n1,
	       (unsigned long long)n2);
	tap(ok && n2 == n1 + 1,
	    "HMAC-SHA-384 through vaccelprov: the default provider's result, counted in hmac-passed-on");
	ERR_print_errors_fp(stdout);
	unload_providers();
	return tap_finish("passon");
}

/* ---- threads and fork -------------------------------------------------- */

static int digest(const char *pq, const void *d, size_t n, unsigned char *md)
{
	EVP_MD *m = EVP_MD_fetch(NULL, "SHA256", pq);
	unsigned int l = 0;
	int ok = m && EVP_Digest(d, n, md, &l, m, NULL) && l == 32;

	EVP_MD_free(m);
	return ok;
}

static int hmac(const char *pq, const void *k, size_t kl, const void *d,
		size_t n, unsigned char *md)
{
	EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", pq);
	EVP_MAC_CTX *c = m ? EVP_MAC_CTX_new(m) : NULL;
	OSSL_PARAM p[] = {
		OSSL_PARAM_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
		OSSL_PARAM_END
	};
	size_t l = 0;
	int ok = c && EVP_MAC_init(c, k, kl, p) && EVP_MAC_update(c, d, n) &&
		 EVP_MAC_final(c, md, &l, 32) && l == 32;

	EVP_MAC_CTX_free(c);
	EVP_MAC_free(m);
	return ok;
}

/* AES-256-GCM in updates of @chunk; tag in/out at @tag. */
static int gcm(const char *pq, int enc, const unsigned char *key,
	       const unsigned char *iv, const void *aad, size_t al,
	       const unsigned char *in, size_t n, unsigned char *out,
	       unsigned char *tag, size_t chunk)
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, "AES-256-GCM", pq);
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	size_t off, k;
	int ok = c && x, ol;

	ok = ok && EVP_CipherInit_ex2(x, c, key, iv, enc, NULL);
	ok = ok && (!al || EVP_CipherUpdate(x, NULL, &ol, aad, (int)al));
	for (off = 0; ok && off < n; off += k) {
		k = n - off < chunk ? n - off : chunk;
		ok = EVP_CipherUpdate(x, out + off, &ol, in + off, (int)k) &&
		     (size_t)ol == k;
	}
	if (ok && !enc)
		ok = EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, 16, tag) > 0;
	ok = ok && EVP_CipherFinal_ex(x, out + n, &ol) > 0;
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, tag) > 0;
	EVP_CIPHER_CTX_free(x);
	EVP_CIPHER_free(c);
	return ok;
}

/* Decryption with the tag set before the updates (as TLS 1.3 does) and/or after. */
static int gcm_dec2(const unsigned char *key, const unsigned char *iv,
		    const void *aad, size_t al, const unsigned char *in,
		    size_t n, unsigned char *out, const unsigned char *before,
		    const unsigned char *after, size_t chunk)
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, "AES-256-GCM", VP);
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	size_t off, k;
	int ok = c && x, ol;

	ok = ok && EVP_DecryptInit_ex2(x, c, key, iv, NULL);
	if (ok && before)
		ok = EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, 16,
					 (void *)before) > 0;
	ok = ok && (!al || EVP_DecryptUpdate(x, NULL, &ol, aad, (int)al));
	for (off = 0; ok && off < n; off += k) {
		k = n - off < chunk ? n - off : chunk;
		ok = EVP_DecryptUpdate(x, out + off, &ol, in + off, (int)k) &&
		     (size_t)ol == k;
	}
	if (ok && after)
		ok = EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, 16,
					 (void *)after) > 0;
	ok = ok && EVP_DecryptFinal_ex(x, out + n, &ol) > 0;
	EVP_CIPHER_CTX_free(x);
	EVP_CIPHER_free(c);
	return ok;
}

struct job {
	unsigned int seed;
	int iters;
	int bad;	/* results that differ from the default provider's */
	int errs;	/* calls that failed */
	int done;
};

static void one_round(struct job *j)
{
	size_t n = (size_t)rand_r(&j->seed) % 70000, kl = rand_r(&j->seed) % 100;
	size_t al = rand_r(&j->seed) % 40, chunk = 1 + rand_r(&j->seed) % 20000;
	unsigned char *d = malloc(n + 16), *c1 = malloc(n + 16);
	unsigned char *c2 = malloc(n + 16), *p = malloc(n + 16);
	unsigned char k[100], key[32], iv[12], aad[40], a[32], b[32];
	unsigned char t1[16], t2[16];

	RAND_bytes(d, (int)n + 1);
	RAND_bytes(k, sizeof(k));
	RAND_bytes(key, sizeof(key));
	RAND_bytes(iv, sizeof(iv));
	RAND_bytes(aad, sizeof(aad));
	if (!digest(VP, d, n, a) || !digest(SW, d, n, b))
		j->errs++;
	else if (memcmp(a, b, 32))
		j->bad++;
	if (!hmac(VP, k, kl, d, n, a) || !hmac(SW, k, kl, d, n, b))
		j->errs++;
	else if (memcmp(a, b, 32))
		j->bad++;
	if (!gcm(VP, 1, key, iv, aad, al, d, n, c1, t1, chunk) ||
	    !gcm(SW, 1, key, iv, aad, al, d, n, c2, t2, n + 1))
		j->errs++;
	else if (memcmp(c1, c2, n) || memcmp(t1, t2, 16))
		j->bad++;
	else if (!gcm(VP, 0, key, iv, aad, al, c1, n, p, t1, chunk))
		j->errs++;
	else if (memcmp(p, d, n))
		j->bad++;
	/* the tag set first (TLS 1.3's order), changed or not before final */
	memcpy(t2, t1, 16);
	t2[5] ^= 0x40;
	memset(p, 0, n);
	if (!gcm_dec2(key, iv, aad, al, c1, n, p, t1, NULL, chunk) ||
	    memcmp(p, d, n))
		j->bad++;
	memset(p, 0, n);
	if (!gcm_dec2(key, iv, aad, al, c1, n, p, t2, t1, chunk) ||
	    memcmp(p, d, n))
		j->bad++; /* a wrong tag first, the right one at the end */
	if (gcm_dec2(key, iv, aad, al, c1, n, p, t1, t2, chunk) ||
	    gcm_dec2(key, iv, aad, al, c1, n, p, t2, NULL, chunk))
		j->bad++; /* the tag that counts is the last one set */
	t1[3] ^= 1;
	if (gcm(VP, 0, key, iv, aad, al, c1, n, p, t1, chunk))
		j->bad++; /* a tampered tag must not verify */
	ERR_clear_error();
	j->done++;
	free(d);
	free(c1);
	free(c2);
	free(p);
}

static void *worker(void *arg)
{
	struct job *j = arg;
	int i;

	for (i = 0; i < j->iters; i++)
		one_round(j);
	return NULL;
}

/* @nt threads of @iters rounds each; the number of bad results. */
static int run_threads(int nt, int iters, unsigned int seed, int *errs)
{
	pthread_t t[64];
	struct job j[64];
	int i, bad = 0;

	*errs = 0;
	for (i = 0; i < nt; i++) {
		j[i] = (struct job){ .seed = seed + (unsigned int)i,
				     .iters = iters };
		pthread_create(&t[i], NULL, worker, &j[i]);
	}
	for (i = 0; i < nt; i++) {
		pthread_join(t[i], NULL);
		bad += j[i].bad;
		*errs += j[i].errs;
		if (j[i].done != iters)
			(*errs)++;
	}
	return bad;
}

/*
 * P (no provider use) runs W, which loads the providers, runs threads,
 * forks C and exits; C runs threads again. A vhost-user back-end serves one
 * front-end at a time, so C is refused (a clear error, not a hang and not a
 * wrong result) while W holds the device, and is served on its own
 * connection once W is gone. Results come back to P through a pipe as
 * "key value" lines.
 */
static int threads_fork(int nt, int iters, bool shared)
{
	int pfd[2], errs, bad, st;
	pid_t w;
	FILE *f;
	char line[256];
	int w_bad = -1, w_errs = -1, w_same = -1, c_refused = -1;
	int c_bad = -1, c_errs = -1, c_served = -1, w_after = -1;
	int w_mid = -1, c_mid = -1;
	const struct {
		const char *k;
		int *v;
	} keys[] = {
		{ "w_bad", &w_bad }, { "w_errs", &w_errs },
		{ "w_after", &w_after }, { "w_same", &w_same },
		{ "c_refused", &c_refused }, { "c_served", &c_served },
		{ "c_bad", &c_bad }, { "c_errs", &c_errs },
		{ "w_mid", &w_mid }, { "c_mid_refused", &c_mid },
	};
	size_t i;

	if (pipe(pfd))
		die_errno("pipe");
	w = fork();
	if (w == 0) {
		int sync[2], back[2];
		unsigned char a[32], b[32];
		size_t big = 3 << 20;
		unsigned char *bigbuf = calloc(1, big);
		EVP_MD *md;
		EVP_MD_CTX *mid;
		unsigned int ml;
		pid_t c;

		close(pfd[0]);
		f = fdopen(pfd[1], "w");
		setvbuf(f, NULL, _IOLBF, 0);
		load_providers();
		bad = run_threads(nt, iters, 1, &errs);
		fprintf(f, "w_bad %d\nw_errs %d\n", bad, errs);
		/* a digest in the middle of a stream on W's connection */
		md = EVP_MD_fetch(NULL, "SHA256", VP);
		mid = EVP_MD_CTX_new();
		if (!bigbuf || !md || !mid || !EVP_DigestInit_ex(mid, md, NULL) ||
		    !EVP_DigestUpdate(mid, bigbuf, big))
			_exit(3);
		if (pipe(sync) || pipe(back))
			_exit(3);
		c = fork();
		if (c == 0) {
			char x;
			double t0;
			int ok;

			close(sync[1]);
			close(back[0]);
			/*
			 * W still connected: this child's own open is refused
			 * by a device that takes one user (vhost-user,
			 * vhost-vdpa), served by one that takes many (chardev)
			 */
			ok = digest(VP, "abc", 3, a);
			digest(SW, "abc", 3, b);
			fprintf(f, "c_refused %d\n", shared ?
				(ok && !memcmp(a, b, 32)) : (!ok && err_from_vp()));
			ERR_clear_error();
			if (write(back[1], "x", 1) != 1)
				_exit(3);
			if (read(sync[0], &x, 1) < 0)
				_exit(3);
			/* W gone: served on a connection of its own */
			t0 = now_s();
			while (!(ok = digest(VP, "abc", 3, a)) &&
			       now_s() - t0 < 10) {
				ERR_clear_error();
				usleep(20000);
			}
			digest(SW, "abc", 3, b);
			fprintf(f, "c_served %d\n", ok && !memcmp(a, b, 32));
			if (!ok)
				_exit(0);
			/* W's half-done stream is not the child's to go on */
			ok = EVP_DigestFinal_ex(mid, a, &ml);
			fprintf(f, "c_mid_refused %d\n", !ok && err_from_vp());
			bad = run_threads(nt, iters, 100, &errs);
			fprintf(f, "c_bad %d\nc_errs %d\n", bad, errs);
			fclose(f);
			_exit(0);
		}
		close(sync[0]);
		close(back[1]);
		/* the child tried; it did not disturb W's connection */
		if (read(back[0], a, 1) != 1)
			_exit(3);
		fprintf(f, "w_after %d\n", digest(VP, "abc", 3, a) &&
			digest(SW, "abc", 3, b) && !memcmp(a, b, 32));
		fprintf(f, "w_mid %d\n", EVP_DigestFinal_ex(mid, a, &ml) &&
			digest(SW, bigbuf, big, b) && !memcmp(a, b, 32));
		bad = run_threads(2, 3, 50, &errs);
		fprintf(f, "w_same %d\n", !bad && !errs);
		fclose(f);
		/*
		 * _exit(): no clean-up, the connection ends when the last
		 * descriptor of its socket is closed; the child must hold
		 * none (it would keep W's connection, and the device, busy)
		 */
		_exit(0);
	}
	close(pfd[1]);
	f = fdopen(pfd[0], "r");
	while (fgets(line, sizeof(line), f)) {
		char k[32];
		int v;

		if (sscanf(line, "%31s %d", k, &v) != 2)
			continue;
		printf("# %s", line);
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!strcmp(k, keys[i].k))
				*keys[i].v = v;
	}
	waitpid(w, &st, 0);
	tap(w_bad == 0 && w_errs == 0,
	    "threads: every digest, HMAC and AES-GCM result equals the default provider's, tampered tags refused");
	tap(c_refused == 1, shared ?
	    "forked child: served on its own open file while the parent uses its own" :
	    "forked child: its own connection, refused while the parent holds the device (a vaccelprov error)");
	tap(w_after == 1 && w_same == 1,
	    "parent after the child's attempt: still served, results right");
	tap(w_mid == 1,
	    "parent: its digest streamed before the fork (3 MiB) finishes right");
	tap(c_served == 1, "forked child: served on its own connection once the parent is gone");
	tap(c_mid == 1,
	    "forked child: the parent's half-streamed digest is refused (a vaccelprov error)");
	tap(c_bad == 0 && c_errs == 0, "forked child: threads, every result right");
	return tap_finish("threads-fork");
}

/* ---- speed ----------------------------------------------------------------- */

static int speed(size_t size, double secs, const char *pq)
{
	unsigned char *d = calloc(1, size + 16), md[32], tag[16];
	unsigned char key[32] = { 1 }, iv[12] = { 2 };
	double t0, el;
	long n;

	load_providers();
	for (n = 0, t0 = now_s(); (el = now_s() - t0) < secs; n++)
		if (!digest(pq, d, size, md)) {
			ERR_print_errors_fp(stderr);
			free(d);
			die("sha256 failed after %ld", n);
		}
	printf("sha256 %zu B: %.0f ops/s %.1f MB/s\n", size, n / el,
	       n * (double)size / el / 1e6);
	for (n = 0, t0 = now_s(); (el = now_s() - t0) < secs; n++)
		if (!gcm(pq, 1, key, iv, NULL, 0, d, size, d, tag, size + 1)) {
			ERR_print_errors_fp(stderr);
			free(d);
			die("gcm failed after %ld", n);
		}
	printf("aes-256-gcm %zu B: %.0f ops/s %.1f MB/s\n", size, n / el,
	       n * (double)size / el / 1e6);
	free(d);
	return 0;
}

struct sjob {
	const char *pq;
	size_t size;
	double secs;
	long ops;
};

static void *speed_worker(void *arg)
{
	struct sjob *j = arg;
	unsigned char *d = calloc(1, j->size + 16), md[32];
	double t0 = now_s();

	while (now_s() - t0 < j->secs && digest(j->pq, d, j->size, md))
		j->ops++;
	free(d);
	return NULL;
}

/* SHA-256 of SIZE bytes from THREADS threads at once: ops/s in all. */
static int speed_threads(size_t size, double secs, const char *pq, int nt)
{
	pthread_t t[64];
	struct sjob j[64];
	long total = 0;
	int i;

	load_providers();
	for (i = 0; i < nt && i < 64; i++) {
		j[i] = (struct sjob){ .pq = pq, .size = size, .secs = secs };
		pthread_create(&t[i], NULL, speed_worker, &j[i]);
	}
	for (i = 0; i < nt && i < 64; i++) {
		pthread_join(t[i], NULL);
		total += j[i].ops;
	}
	printf("sha256 %zu B, %d threads: %.0f ops/s\n", size, nt,
	       total / secs);
	return 0;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 8 && !strcmp(argv[1], "gcm-enc"))
		return gcm_file(true, argv + 2);
	if (argc == 8 && !strcmp(argv[1], "gcm-dec"))
		return gcm_file(false, argv + 2);
	if (argc == 2 && !strcmp(argv[1], "refuse"))
		return refuse();
	if (argc == 2 && !strcmp(argv[1], "passon"))
		return passon();
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "threads-fork"))
		return threads_fork(atoi(argv[2]), atoi(argv[3]),
				    argc == 5 && !strcmp(argv[4], "shared"));
	if (argc == 6 && !strcmp(argv[1], "speed"))
		return speed_threads(strtoul(argv[2], NULL, 0), atof(argv[3]),
				     argv[4], atoi(argv[5]));
	if (argc == 5 && !strcmp(argv[1], "speed"))
		return speed(strtoul(argv[2], NULL, 0), atof(argv[3]), argv[4]);
	fprintf(stderr, "usage: see the comment at the top of prov_test.c\n");
	return 2;
}
