/*
 * huce_crypto.h - the few cryptographic primitives huce needs.
 *
 * SHA-256 names photos and device tokens, HMAC-SHA-256 with the town's
 * key turns an ID number into a duplicate-detection hash that cannot be
 * reversed without the key (DESIGN.md section 7), and the kernel's
 * random source makes tokens and keys.  All digests travel as lowercase
 * hex.  This is a thin layer over OpenSSL's libcrypto: nothing here
 * invents cryptography, it only fixes the encodings and the error
 * conventions once for the whole project.
 *
 * Every output buffer is the caller's; nothing here allocates memory
 * that the caller must free.
 */
#ifndef HUCE_CRYPTO_H
#define HUCE_CRYPTO_H

#include <stddef.h>

#include "huce_err.h"

#define HUCE_SHA256_LEN 32
#define HUCE_SHA256_HEX_LEN 64	/* without the NUL */

/*
 * SHA-256 of p[0..n) into out (32 bytes).  Aborts the process when
 * libcrypto fails, as huce_sha256_hex() does.
 */
void huce_sha256(const void *p, size_t n, unsigned char out[HUCE_SHA256_LEN]);

/*
 * Lowercase hex SHA-256 of p[0..n) into out (64 characters and a NUL).
 * libcrypto can only fail here when it cannot allocate; a wrong digest
 * would be worse than stopping, so that case aborts the process.
 */
void huce_sha256_hex(const void *p, size_t n, char out[HUCE_SHA256_HEX_LEN + 1]);

/*
 * Lowercase hex HMAC-SHA-256 of p[0..n) under key[0..keylen) into out.
 * key may be NULL when keylen is 0.  Returns 0, or -1 (out set to "")
 * when libcrypto fails or keylen does not fit an int.
 */
int huce_hmac_sha256_hex(const void *key, size_t keylen, const void *p,
			 size_t n, char out[HUCE_SHA256_HEX_LEN + 1]);

/*
 * Fill buf with n bytes from the kernel's random source (getrandom(2)),
 * retrying on EINTR and short reads.  Returns HUCE_OK or HUCE_EIO.
 */
enum huce_err huce_random_bytes(void *buf, size_t n);

/* Lowercase hex of p[0..n) into out, which holds 2n + 1 bytes. */
void huce_hex(const void *p, size_t n, char *out);

/*
 * Decode a NUL-terminated hex string (either case) into out.  Returns
 * the number of bytes written, or -1 when the string has odd length, a
 * non-hex character, or more than outlen bytes' worth of digits.  On
 * -1 the contents of out are unspecified.
 */
int huce_hex_decode(const char *hex, void *out, size_t outlen);

/*
 * 1 when a[0..n) and b[0..n) are equal, else 0, in time that depends
 * only on n (CRYPTO_memcmp).  Use it for every secret comparison.
 */
int huce_ct_equal(const void *a, const void *b, size_t n);

#endif
