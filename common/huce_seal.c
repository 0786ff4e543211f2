/*
 * huce_seal.c - sealed files (huce_seal.h) over libsodium's crypto_box.
 *
 * Nothing here invents cryptography: crypto_box_easy() encrypts and
 * authenticates, crypto_box_open_easy() refuses anything it did not
 * produce for this pair of keys.  The header's two keys enter the
 * shared key, so a header edited to name another writer opens to
 * nothing; and the header up to the nonce is repeated inside the
 * encryption and compared, so every bit of a file is covered by a check
 * (X25519 ignores a public key's top bit: without the copy that bit
 * could change unseen).
 */
#include "huce_seal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "huce_crypto.h"

/*
 * The header up to the nonce, repeated at the start of the plaintext:
 * X25519 ignores the top bit of a public key, so a flipped bit there
 * would otherwise open to the same shared key.
 */
#define HEAD_COPY 72

static enum huce_err start(struct huce_error *err)
{
	if (sodium_init() < 0)
		return huce_fail(err, HUCE_EIO, "cannot start libsodium");
	return HUCE_OK;
}

int huce_seal_key_valid(const char *s)
{
	size_t i;

	if (!s)
		return 0;
	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == HUCE_SEAL_KEY_HEX;
}

static int key_bytes(const char *hex, unsigned char out[32])
{
	return huce_seal_key_valid(hex) && huce_hex_decode(hex, out, 32) == 32 ? 0 : -1;
}

enum huce_err huce_seal_keypair(char pk[HUCE_SEAL_KEY_HEX + 1],
				char sk[HUCE_SEAL_KEY_HEX + 1],
				struct huce_error *err)
{
	unsigned char p[crypto_box_PUBLICKEYBYTES], s[crypto_box_SECRETKEYBYTES];
	enum huce_err rc = start(err);

	if (rc)
		return rc;
	crypto_box_keypair(p, s);
	huce_hex(p, sizeof(p), pk);
	huce_hex(s, sizeof(s), sk);
	sodium_memzero(s, sizeof(s));
	return HUCE_OK;
}

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

enum huce_err huce_seal(const char *my_pk, const char *my_sk,
			const char *to_pk, const cJSON *binding,
			const void *body, size_t n, struct huce_buf *out,
			struct huce_error *err)
{
	unsigned char mp[32], ms[32], tp[32];
	unsigned char *plain = NULL;
	char *btext = NULL;
	size_t blen, plen, start_len = out->len;
	enum huce_err rc = start(err);

	if (rc)
		return rc;
	if (key_bytes(my_pk, mp) || key_bytes(my_sk, ms) || key_bytes(to_pk, tp)) {
		rc = huce_fail(err, HUCE_EINVAL, "seal: a key is not 64 hex digits");
		goto out;
	}
	btext = cJSON_IsObject(binding) ? cJSON_PrintUnformatted(binding) : NULL;
	if (!btext) {
		rc = huce_fail(err, HUCE_EINVAL, "seal: no binding");
		goto out;
	}
	blen = strlen(btext);
	if (blen < 1 || blen > HUCE_SEAL_BINDING_MAX ||
	    n > SIZE_MAX - HUCE_SEAL_OVERHEAD - blen) {
		rc = huce_fail(err, HUCE_EINVAL, "seal: binding or body too long");
		goto out;
	}
	plen = HEAD_COPY + 4 + blen + n;
	plain = malloc(plen);
	if (!plain) {
		rc = huce_fail(err, HUCE_ENOMEM, "out of memory");
		goto out;
	}
	put_be32(plain + HEAD_COPY, (uint32_t)blen);
	memcpy(plain + HEAD_COPY + 4, btext, blen);
	if (n)
		memcpy(plain + HEAD_COPY + 4 + blen, body, n);
	rc = huce_buf_reserve(out, HUCE_SEAL_HEADER + crypto_box_MACBYTES + plen);
	if (rc) {
		rc = huce_fail(err, rc, "seal: the file would be too large");
		goto out;
	}
	{
		unsigned char *h = (unsigned char *)out->data + out->len;

		memcpy(h, HUCE_SEAL_MAGIC, 4);
		h[4] = HUCE_SEAL_VERSION;
		h[5] = h[6] = h[7] = 0;
		memcpy(h + 8, mp, 32);
		memcpy(h + 40, tp, 32);
		randombytes_buf(h + 72, crypto_box_NONCEBYTES);
		/* The header is inside too: no bit of it can change unseen. */
		memcpy(plain, h, HEAD_COPY);
		if (crypto_box_easy(h + HUCE_SEAL_HEADER, plain, plen, h + 72, tp, ms) != 0) {
			rc = huce_fail(err, HUCE_EINVAL, "seal: the reader's key is unusable");
			goto out;
		}
		out->len += HUCE_SEAL_HEADER + crypto_box_MACBYTES + plen;
		out->data[out->len] = '\0';
	}
out:
	if (rc)
		out->len = start_len;
	sodium_memzero(ms, sizeof(ms));
	if (plain) {
		sodium_memzero(plain, plen);
		free(plain);
	}
	free(btext);
	return rc;
}

enum huce_err huce_unseal(const void *data, size_t len, const char *my_pk,
			  const char *my_sk, const char *from_pk,
			  char *from_out, cJSON **binding,
			  struct huce_buf *body, struct huce_error *err)
{
	const unsigned char *h = data;
	unsigned char mp[32], ms[32], fp[32];
	size_t clen, plen;
	uint32_t blen;
	cJSON *b;
	enum huce_err rc = start(err);

	*binding = NULL;
	huce_buf_reset(body);
	if (rc)
		return rc;
	if (key_bytes(my_pk, mp) || key_bytes(my_sk, ms))
		return huce_fail(err, HUCE_EINVAL, "unseal: this machine's key is not 64 hex digits");
	if (len < HUCE_SEAL_OVERHEAD || memcmp(h, HUCE_SEAL_MAGIC, 4) != 0) {
		rc = huce_fail(err, HUCE_EINVAL, "not a sealed huce file");
		goto out;
	}
	if (h[4] != HUCE_SEAL_VERSION) {
		rc = huce_fail(err, HUCE_EVERSION, "sealed file of format %u: this "
			       "huce reads format %u", h[4], HUCE_SEAL_VERSION);
		goto out;
	}
	if (h[5] || h[6] || h[7]) {
		rc = huce_fail(err, HUCE_EINVAL, "altered or damaged (its header)");
		goto out;
	}
	if (sodium_memcmp(h + 40, mp, 32) != 0) {
		rc = huce_fail(err, HUCE_EINVAL, "written for another reader "
			       "(another central, or another laptop)");
		goto out;
	}
	if (from_pk) {
		if (key_bytes(from_pk, fp) || sodium_memcmp(h + 8, fp, 32) != 0) {
			rc = huce_fail(err, HUCE_EINVAL, "written by another key than "
				       "its sender's (another laptop or another central)");
			goto out;
		}
	}
	memcpy(fp, h + 8, 32);
	clen = len - HUCE_SEAL_HEADER;
	plen = clen - crypto_box_MACBYTES;
	if (plen > body->max) {
		rc = huce_fail(err, HUCE_ETOOBIG, "sealed file larger than its limit");
		goto out;
	}
	rc = huce_buf_reserve(body, plen);
	if (rc) {
		rc = huce_fail(err, rc, "sealed file larger than its limit");
		goto out;
	}
	if (crypto_box_open_easy((unsigned char *)body->data, h + HUCE_SEAL_HEADER,
				 clen, h + 72, fp, ms) != 0) {
		rc = huce_fail(err, HUCE_EINVAL, "altered or damaged (it does not "
			       "authenticate)");
		goto out;
	}
	if (plen < HEAD_COPY + 4 || sodium_memcmp(body->data, h, HEAD_COPY) != 0) {
		rc = huce_fail(err, HUCE_EINVAL, "altered or damaged (its header)");
		goto out;
	}
	blen = get_be32((const unsigned char *)body->data + HEAD_COPY);
	if (blen < 1 || blen > HUCE_SEAL_BINDING_MAX || blen > plen - HEAD_COPY - 4) {
		rc = huce_fail(err, HUCE_EINVAL, "sealed file with a bad binding");
		goto out;
	}
	b = cJSON_ParseWithLength(body->data + HEAD_COPY + 4, blen);
	if (!cJSON_IsObject(b)) {
		cJSON_Delete(b);
		rc = huce_fail(err, HUCE_EINVAL, "sealed file with a bad binding");
		goto out;
	}
	memmove(body->data, body->data + HEAD_COPY + 4 + blen, plen - HEAD_COPY - 4 - blen);
	body->len = plen - HEAD_COPY - 4 - blen;
	body->data[body->len] = '\0';
	*binding = b;
	if (from_out)
		huce_hex(fp, 32, from_out);
out:
	sodium_memzero(ms, sizeof(ms));
	if (rc && body->data) {
		sodium_memzero(body->data, body->alloc);
		huce_buf_reset(body);
	}
	return rc;
}
