/*
 * huce_seal.h - sealed files: what one party writes for exactly one
 * other, for the USB stick (docs/PROTOCOL.md section 3).
 *
 * Each laptop and each central has one X25519 key pair (libsodium's
 * crypto_box).  The public keys are exchanged at enrolment; a private
 * key never leaves its machine.  A sealed file is encrypted to its
 * reader's public key and authenticated with its writer's private key
 * (crypto_box: X25519, XSalsa20, Poly1305), so only the reader can open
 * it, the reader knows which key wrote it, and a changed byte anywhere
 * after the header (or a header naming other keys) fails to open.
 *
 * Inside the encryption, before the body, sits the file's binding: a
 * small JSON object naming the central, the device, the direction, the
 * export number and the part (huce_stick.h).  The reader compares it
 * with what it expects from the file's place on the stick, so a valid
 * file moved to another folder, renamed, or kept from an older round is
 * refused too.
 *
 * Layout (integers big-endian, version 1):
 *
 *   offset  size  field
 *   ------  ----  -----------------------------------------------------
 *        0     4  magic "HUCS"
 *        4     1  format version (1)
 *        5     3  zero
 *        8    32  writer's X25519 public key
 *       40    32  reader's X25519 public key
 *       72    24  nonce (random)
 *       96   ...  crypto_box_easy(plaintext): 16-byte MAC, then
 *                  72  the header's bytes 0..71 again (compared on
 *                      opening: every bit of the file is checked)
 *                   4  binding length B (1..HUCE_SEAL_BINDING_MAX)
 *                   B  binding (UTF-8 JSON object)
 *                 ...  body (opaque bytes; compressed by the caller if
 *                      it compresses)
 *
 * Keys travel and are stored as 64 lower-case hex digits.
 */
#ifndef HUCE_SEAL_H
#define HUCE_SEAL_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "huce_buf.h"
#include "huce_err.h"

#define HUCE_SEAL_MAGIC		"HUCS"
#define HUCE_SEAL_VERSION	1
#define HUCE_SEAL_HEADER	96
#define HUCE_SEAL_OVERHEAD	(HUCE_SEAL_HEADER + 16 + 72 + 4)
#define HUCE_SEAL_KEY_HEX	64
#define HUCE_SEAL_BINDING_MAX	4096

/*
 * A new key pair as hex into pk and sk (65 bytes each).  HUCE_EIO when
 * libsodium cannot start.
 */
enum huce_err huce_seal_keypair(char pk[HUCE_SEAL_KEY_HEX + 1],
				char sk[HUCE_SEAL_KEY_HEX + 1],
				struct huce_error *err);

/* 1 when s is a key: 64 lower-case hex digits. */
int huce_seal_key_valid(const char *s);

/*
 * Append to out the sealed file of binding (a JSON object, borrowed)
 * and body (n bytes, may be NULL when n is 0), written with the key
 * pair (my_pk, my_sk) for the reader to_pk.  HUCE_EINVAL for a bad key
 * or binding, HUCE_ETOOBIG when out cannot hold it, HUCE_ENOMEM.  The
 * caller owns out.
 */
enum huce_err huce_seal(const char *my_pk, const char *my_sk,
			const char *to_pk, const cJSON *binding,
			const void *body, size_t n, struct huce_buf *out,
			struct huce_error *err);

/*
 * Open a sealed file of len bytes with the key pair (my_pk, my_sk).
 * from_pk: the writer it must come from, or NULL to take any writer
 * (whose key is then copied to from_out, 65 bytes, when not NULL).  On
 * success *binding is the parsed binding (the caller frees it) and the
 * body replaces the contents of body (bounded by body->max; the caller
 * releases it).  Refusals, all HUCE_EINVAL with the reason in err:
 * not a sealed file, written for another reader, written by another
 * writer, altered or damaged (authentication failed), bad binding.
 * HUCE_EVERSION for a newer format; HUCE_ETOOBIG when the body passes
 * body->max.  Nothing is left in *binding or body on failure.
 */
enum huce_err huce_unseal(const void *data, size_t len, const char *my_pk,
			  const char *my_sk, const char *from_pk,
			  char *from_out, cJSON **binding,
			  struct huce_buf *body, struct huce_error *err);

#endif
