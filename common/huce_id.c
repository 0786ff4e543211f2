/*
 * huce_id.c - UUIDv7 and name-derived UUIDv8 strings.
 */
#include "huce_id.h"

#include <stdio.h>
#include <string.h>

#include "huce_crypto.h"
#include "huce_hlc.h"

static void format_uuid(const unsigned char b[16], char *out)
{
	static const char hex[] = "0123456789abcdef";
	int j = 0;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[j++] = '-';
		out[j++] = hex[b[i] >> 4];
		out[j++] = hex[b[i] & 15];
	}
	out[j] = '\0';
}

enum huce_err huce_id_v7(uint64_t hlc, char *out)
{
	unsigned char b[16];
	uint64_t ms = huce_hlc_ms(hlc);
	/*
	 * The HLC's 16-bit counter goes into the 12 bits of rand_a and the
	 * top 4 bits of rand_b after the variant (RFC 9562 section 6.2,
	 * method 1), so ids of one millisecond still sort in HLC order.
	 */
	unsigned counter = (unsigned)(hlc & 0xffff);
	enum huce_err rc;

	rc = huce_random_bytes(b + 8, 8);
	if (rc)
		return rc;
	for (int i = 0; i < 6; i++)
		b[i] = (unsigned char)(ms >> (40 - 8 * i));
	b[6] = (unsigned char)(0x70 | (counter >> 12));
	b[7] = (unsigned char)((counter >> 4) & 0xff);
	b[8] = (unsigned char)(0x80 | ((counter & 0xf) << 2) | (b[8] & 0x03));
	format_uuid(b, out);
	return HUCE_OK;
}

void huce_id_named(const char *kind, const char *parent, const char *name,
		   char *out)
{
	const char *part[3] = { kind, parent ? parent : "", name };
	unsigned char b[HUCE_SHA256_LEN];
	char input[1024];
	size_t n = 0;

	/* kind \x1f parent \x1f name, cut to 1023 bytes. */
	for (int i = 0; i < 3; i++) {
		size_t len = strlen(part[i]);

		if (i && n < sizeof(input) - 1)
			input[n++] = '\x1f';
		if (len > sizeof(input) - 1 - n)
			len = sizeof(input) - 1 - n;
		memcpy(input + n, part[i], len);
		n += len;
	}
	huce_sha256(input, n, b);
	b[6] = (unsigned char)(0x80 | (b[6] & 0x0f));
	b[8] = (unsigned char)(0x80 | (b[8] & 0x3f));
	format_uuid(b, out);
}

int huce_id_valid(const char *s)
{
	if (!s || strlen(s) != HUCE_ID_STRLEN)
		return 0;
	for (int i = 0; i < HUCE_ID_STRLEN; i++) {
		char c = s[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return 0;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			return 0;
		}
	}
	return 1;
}
