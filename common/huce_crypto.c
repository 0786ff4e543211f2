/*
 * huce_crypto.c - SHA-256, HMAC-SHA-256, random bytes and hex over libcrypto.
 *
 * The one-shot EVP_Digest() and HMAC() calls are used because they are
 * not deprecated in OpenSSL 3 and need no context management; SHA-256's
 * implementation is fetched once per process (SHA256() fetches it again
 * on every call, half the cost of a short digest).  Random bytes
 * come straight from getrandom(2) rather than from OpenSSL's DRBG: it
 * blocks only until the kernel pool is first initialised, needs no
 * file descriptor, and works the same in every process that forks.
 */
#include "huce_crypto.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

void huce_hex(const void *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[s[i] >> 4];
		out[2 * i + 1] = digits[s[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int huce_hex_decode(const char *hex, void *out, size_t outlen)
{
	unsigned char *o = out;
	size_t len = strlen(hex);

	if (len % 2 || len / 2 > outlen || len / 2 > INT_MAX)
		return -1;
	for (size_t i = 0; i < len / 2; i++) {
		int hi = hexval(hex[2 * i]);
		int lo = hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		o[i] = (unsigned char)(hi << 4 | lo);
	}
	return (int)(len / 2);
}

/* SHA-256 fetched once for the process; NULL until then. */
static _Atomic(EVP_MD *) sha256_md;

/*
 * libcrypto's SHA-256, fetched on first use and kept; a thread that
 * loses the race to store it drops its own.  NULL when the fetch
 * fails: huce_sha256() then uses SHA256().
 */
static EVP_MD *sha256_get(void)
{
	EVP_MD *md = atomic_load_explicit(&sha256_md, memory_order_acquire);
	EVP_MD *none = NULL;

	if (md)
		return md;
	md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (md && !atomic_compare_exchange_strong_explicit(&sha256_md, &none, md,
							  memory_order_acq_rel,
							  memory_order_acquire)) {
		EVP_MD_free(md);
		md = none;
	}
	return md;
}

void huce_sha256(const void *p, size_t n, unsigned char out[HUCE_SHA256_LEN])
{
	EVP_MD *md = sha256_get();
	int ok;

	ok = md ? EVP_Digest(p, n, out, NULL, md, NULL) == 1 :
		  SHA256(p, n, out) != NULL;
	if (!ok) {
		fputs("huce: sha-256 failed inside libcrypto\n", stderr);
		abort();
	}
}

void huce_sha256_hex(const void *p, size_t n, char out[HUCE_SHA256_HEX_LEN + 1])
{
	unsigned char md[HUCE_SHA256_LEN];

	huce_sha256(p, n, md);
	huce_hex(md, sizeof(md), out);
}

int huce_hmac_sha256_hex(const void *key, size_t keylen, const void *p,
			 size_t n, char out[HUCE_SHA256_HEX_LEN + 1])
{
	static const unsigned char nokey[1];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	out[0] = '\0';
	if (keylen > INT_MAX)
		return -1;
	/* HMAC() would read a NULL key as "reuse the previous key". */
	if (!key)
		key = nokey;
	if (!HMAC(EVP_sha256(), key, (int)keylen, p, n, md, &mdlen) ||
	    mdlen != HUCE_SHA256_LEN)
		return -1;
	huce_hex(md, mdlen, out);
	return 0;
}

enum huce_err huce_random_bytes(void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n > 0) {
		ssize_t got = getrandom(p, n, 0);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return HUCE_EIO;
		}
		p += got;
		n -= (size_t)got;
	}
	return HUCE_OK;
}

int huce_ct_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}
