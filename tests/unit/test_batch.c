/*
 * test_batch.c - unit tests of the batch codec (common/huce_batch.c).
 *
 * Valid batches must round-trip byte for byte; everything else must be
 * refused with the right code, leave the payload buffer empty and never
 * read past the input.  Hostile batches are crafted here by hand from the
 * header table (not with the encoder), so the tests also pin the wire
 * format.  Every input handed to the decoder is a heap copy of exactly
 * its length, so AddressSanitizer catches any over-read.
 */
#include "huce_batch.h"

#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#define ZLIB_CONST
#include <zlib.h>

#define CHINESE "{\"head\":\"张三\",\"village\":\"阿猛村\"}"
#define BIG_OUT (HUCE_BATCH_MAX_RAW + HUCE_BATCH_MAX_RAW / 8)

/* A heap copy of exactly n bytes (at least one allocated). */
static unsigned char *dup_exact(const void *p, size_t n)
{
	unsigned char *q = malloc(n ? n : 1);

	assert_non_null(q);
	if (n)
		memcpy(q, p, n);
	return q;
}

/* Deterministic incompressible bytes. */
static void fill_noise(unsigned char *p, size_t n, uint64_t seed)
{
	uint64_t x = seed | 1;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (unsigned char)(x >> 24);
	}
}

/* Outbox-like JSON of about n bytes: compresses like the real thing. */
static void make_json(struct huce_buf *b, size_t n)
{
	unsigned i = 0;

	huce_buf_init(b, n + 4096);
	assert_int_equal(huce_buf_addstr(b, "["), HUCE_OK);
	while (b->len < n) {
		assert_int_equal(huce_buf_printf(b,
			"%s{\"seq\":%u,\"id\":\"0190%08x-7c1e-7%03x-8%03x-%012x\","
			"\"kind\":\"household\",\"hlc\":\"%016x\",\"fields\":"
			"{\"head\":\"张%u\",\"village\":\"阿猛村\",\"group\":\"第%u组\","
			"\"house_no\":\"%u\"}}",
			i ? "," : "", i + 1, i * 2654435761u, i % 4096,
			(i * 7) % 4096, i * 40503u, i * 0x9e3779b9u, i * 31u % 1000,
			i % 12 + 1, i * 13u % 500), HUCE_OK);
		i++;
	}
	assert_int_equal(huce_buf_addstr(b, "]"), HUCE_OK);
}

/* zlib-compress with zlib itself, independently of the codec. */
static void zcompress(struct huce_buf *out, const void *p, size_t n, int level)
{
	uLongf clen = compressBound(n);

	huce_buf_init(out, clen);
	assert_int_equal(huce_buf_reserve(out, clen), HUCE_OK);
	assert_int_equal(compress2((Bytef *)out->data, &clen, p, n, level), Z_OK);
	out->len = clen;
}

/*
 * A batch described field by field, to be serialised by hand.  dev_bytes
 * is how many device bytes are really written (may differ from devlen).
 */
struct craft {
	char magic[4];
	unsigned char version, flags;
	uint16_t devlen;
	unsigned char dev[256];
	size_t dev_bytes;
	uint64_t first, last;
	uint32_t count, crc;
	uint64_t raw_len;
	struct huce_buf body;
	size_t max_raw;
	size_t payload_max;
};

static void put_be(unsigned char *p, uint64_t v, int n)
{
	while (n--) {
		p[n] = (unsigned char)v;
		v >>= 8;
	}
}

static void craft_init(struct craft *c, const void *payload, size_t n)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->magic, "HUCB", 4);
	c->version = 1;
	c->devlen = 8;
	memcpy(c->dev, "laptop-3", 8);
	c->dev_bytes = 8;
	c->first = 1;
	c->last = 2;
	c->count = 2;
	c->crc = (uint32_t)crc32(0L, payload, (uInt)n);
	c->raw_len = n;
	c->max_raw = HUCE_BATCH_MAX_RAW;
	c->payload_max = HUCE_BATCH_MAX_RAW;
	zcompress(&c->body, payload, n, 6);
}

static void craft_set_device(struct craft *c, const char *dev, size_t n)
{
	memcpy(c->dev, dev, n);
	c->dev_bytes = n;
	c->devlen = (uint16_t)n;
}

/* Serialise: a heap block of exactly *len bytes.  Caller frees it. */
static unsigned char *craft_bytes(const struct craft *c, size_t *len)
{
	size_t n = HUCE_BATCH_HEADER_SIZE + c->dev_bytes + c->body.len;
	unsigned char *p = malloc(n);

	assert_non_null(p);
	memcpy(p, c->magic, 4);
	p[4] = c->version;
	p[5] = c->flags;
	put_be(p + 6, c->devlen, 2);
	put_be(p + 8, c->first, 8);
	put_be(p + 16, c->last, 8);
	put_be(p + 24, c->count, 4);
	put_be(p + 28, c->crc, 4);
	put_be(p + 32, c->raw_len, 8);
	memcpy(p + HUCE_BATCH_HEADER_SIZE, c->dev, c->dev_bytes);
	if (c->body.len)
		memcpy(p + HUCE_BATCH_HEADER_SIZE + c->dev_bytes, c->body.data,
		       c->body.len);
	*len = n;
	return p;
}

/*
 * Decode bytes and check the outcome: on failure the payload must be
 * empty and the message lowercase.  Returns the code.
 */
static enum huce_err decode_check(const void *p, size_t n, size_t max_raw,
				  size_t payload_max, struct huce_error *err)
{
	struct huce_buf payload = HUCE_BUF_INIT(payload_max);
	struct huce_batch_header h;
	unsigned char *copy = dup_exact(p, n);
	enum huce_err rc;

	memset(err, 0, sizeof(*err));
	rc = huce_batch_decode(copy, n, max_raw, &h, &payload, err);
	if (rc) {
		assert_int_equal(payload.len, 0);
		assert_int_equal(err->code, rc);
		assert_true(err->msg[0] != '\0');
		assert_false(isupper((unsigned char)err->msg[0]));
	}
	huce_buf_release(&payload);
	free(copy);
	return rc;
}

/* Round trips. */

static const struct roundtrip_case {
	const char *name;
	const char *payload;	/* NULL: use json_len of generated JSON */
	size_t json_len;
	uint64_t first, last;
	uint32_t count;
	int level;
} roundtrip_cases[] = {
	{ "chinese", CHINESE, 0, 1, 1, 1, -1 },
	{ "chinese-stored", CHINESE, 0, 5, 9, 3, 0 },
	{ "chinese-best", CHINESE, 0, 7, 7, 1, 9 },
	{ "empty", "", 0, 0, 0, 0, -1 },
	{ "one-byte", "[", 0, 1, 1, 1, 1 },
	{ "json-200k", NULL, 200000, 1, 500, 480, -1 },
	{ "json-1m-fast", NULL, 1 << 20, 1000, 5000, 4001, 1 },
	{ "huge-seqs", "[]", 0, UINT64_MAX - 1, UINT64_MAX, 2, 6 },
};

static void test_roundtrip(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(roundtrip_cases) / sizeof(roundtrip_cases[0]); i++) {
		const struct roundtrip_case *t = &roundtrip_cases[i];
		struct huce_buf gen = HUCE_BUF_INIT(0);
		struct huce_buf out = HUCE_BUF_INIT(BIG_OUT);
		struct huce_buf payload = HUCE_BUF_INIT(HUCE_BATCH_MAX_RAW);
		struct huce_batch_header h;
		struct huce_error err = { 0 };
		const char *p = t->payload;
		size_t n, off = 0;
		unsigned char *copy;

		if (!p) {
			make_json(&gen, t->json_len);
			p = gen.data;
			n = gen.len;
		} else {
			n = strlen(p);
		}
		assert_int_equal(huce_batch_encode("laptop-3", t->first, t->last,
						   t->count, p, n, t->level,
						   &out, &err), HUCE_OK);
		copy = dup_exact(out.data, out.len);
		assert_int_equal(huce_batch_decode_header(copy, out.len, &h, &off,
							  &err), HUCE_OK);
		assert_int_equal(off, HUCE_BATCH_HEADER_SIZE + 8);
		assert_int_equal(huce_batch_decode(copy, out.len,
						   HUCE_BATCH_MAX_RAW, &h,
						   &payload, &err), HUCE_OK);
		assert_int_equal(h.version, HUCE_BATCH_VERSION);
		assert_string_equal(h.device, "laptop-3");
		assert_true(h.first_seq == t->first);
		assert_true(h.last_seq == t->last);
		assert_int_equal(h.count, t->count);
		assert_true(h.raw_len == n);
		assert_int_equal(h.crc, (uint32_t)crc32(0L, (const Bytef *)p, (uInt)n));
		assert_int_equal(payload.len, n);
		if (n)
			assert_memory_equal(payload.data, p, n);
		free(copy);
		huce_buf_release(&payload);
		huce_buf_release(&out);
		huce_buf_release(&gen);
	}
}

/* The bytes on the wire, checked against the table in huce_batch.h. */
static void test_wire_layout(void **state)
{
	static const unsigned char want[] = {
		'H', 'U', 'C', 'B', 1, 0, 0, 9,
		0, 0, 0, 0, 0, 0, 0x01, 0x02,
		0, 0, 0, 0, 0, 0, 0x01, 0x05,
		0, 0, 0, 4,
	};
	const char *dev = "村-lap-3";	/* 9 bytes of UTF-8 */
	struct huce_buf out = HUCE_BUF_INIT(4096);
	struct huce_buf raw = HUCE_BUF_INIT(4096);
	struct huce_error err = { 0 };
	const unsigned char *p;
	size_t n = strlen(CHINESE);

	(void)state;
	assert_int_equal(strlen(dev), 9);
	assert_int_equal(huce_buf_addstr(&out, "prefix"), HUCE_OK);
	assert_int_equal(huce_batch_encode(dev, 0x102, 0x105, 4, CHINESE, n, 6,
					   &out, &err), HUCE_OK);
	assert_memory_equal(out.data, "prefix", 6);
	p = (const unsigned char *)out.data + 6;
	assert_memory_equal(p, want, sizeof(want));
	assert_true(((uint32_t)p[28] << 24 | (uint32_t)p[29] << 16 |
		     (uint32_t)p[30] << 8 | p[31]) ==
		    (uint32_t)crc32(0L, (const Bytef *)CHINESE, (uInt)n));
	assert_memory_equal(p + 32, "\0\0\0\0\0\0\0", 7);
	assert_int_equal(p[39], n);
	assert_memory_equal(p + 40, dev, 9);
	/* The body is a plain zlib stream that zlib itself inflates. */
	assert_int_equal(huce_inflate_bounded(p + 49, out.len - 6 - 49, n, &raw,
					      &err), HUCE_OK);
	assert_int_equal(raw.len, n);
	assert_memory_equal(raw.data, CHINESE, n);
	huce_buf_release(&raw);
	huce_buf_release(&out);
}

/* Payload exactly at the limit passes; one byte more is refused. */
static void test_max_batch(void **state)
{
	size_t max = HUCE_BATCH_MAX_RAW;
	unsigned char *raw = malloc(max + 1);
	struct huce_buf out = HUCE_BUF_INIT(BIG_OUT);
	struct huce_buf payload = HUCE_BUF_INIT(max);
	struct huce_batch_header h;
	struct huce_error err = { 0 };
	struct craft c;
	unsigned char *bytes;
	size_t n;

	(void)state;
	assert_non_null(raw);
	fill_noise(raw, max + 1, 42);

	assert_int_equal(huce_batch_encode("laptop-3", 1, 10, 10, raw, max, 1,
					   &out, &err), HUCE_OK);
	assert_int_equal(huce_batch_decode(out.data, out.len, max, &h, &payload,
					   &err), HUCE_OK);
	assert_int_equal(payload.len, max);
	assert_memory_equal(payload.data, raw, max);

	/* The same batch against a limit one byte lower. */
	assert_int_equal(huce_batch_decode(out.data, out.len, max - 1, &h,
					   &payload, &err), HUCE_ETOOBIG);
	assert_int_equal(payload.len, 0);
	/* ... and against a payload buffer one byte smaller. */
	payload.max = max - 1;
	assert_int_equal(huce_batch_decode(out.data, out.len, max, &h,
					   &payload, &err), HUCE_ETOOBIG);
	assert_int_equal(payload.len, 0);
	payload.max = max;

	/* The encoder refuses one byte more and leaves out untouched. */
	huce_buf_reset(&out);
	assert_int_equal(huce_buf_addstr(&out, "keep"), HUCE_OK);
	assert_int_equal(huce_batch_encode("laptop-3", 1, 10, 10, raw, max + 1,
					   1, &out, &err), HUCE_ETOOBIG);
	assert_int_equal(out.len, 4);
	assert_string_equal(out.data, "keep");

	/* A hand-made batch of max + 1 bytes is refused by the decoder. */
	craft_init(&c, raw, max + 1);
	bytes = craft_bytes(&c, &n);
	huce_buf_release(&payload);
	huce_buf_init(&payload, 2 * max);
	assert_int_equal(huce_batch_decode(bytes, n, max, &h, &payload, &err),
			 HUCE_ETOOBIG);
	assert_int_equal(payload.len, 0);
	assert_null(payload.data);	/* refused before inflating */
	/* ... and accepted when the caller allows it. */
	assert_int_equal(huce_batch_decode(bytes, n, max + 1, &h, &payload,
					   &err), HUCE_OK);
	assert_int_equal(payload.len, max + 1);

	free(bytes);
	huce_buf_release(&c.body);
	huce_buf_release(&payload);
	huce_buf_release(&out);
	free(raw);
}

/* Refusals of hand-made batches, one mutation each. */

static void mut_magic(struct craft *c) { memcpy(c->magic, "HUCX", 4); }
static void mut_magic_zip(struct craft *c) { memcpy(c->magic, "PK\3\4", 4); }
static void mut_version2(struct craft *c) { c->version = 2; }
static void mut_version0(struct craft *c) { c->version = 0; }
static void mut_flags(struct craft *c) { c->flags = 1; }
static void mut_devlen0(struct craft *c) { c->devlen = 0; c->dev_bytes = 0; }
static void mut_devlen_huge(struct craft *c) { c->devlen = 0xffff; }
static void mut_dev_newline(struct craft *c) { craft_set_device(c, "lap\ntop", 7); }
static void mut_dev_del(struct craft *c) { craft_set_device(c, "lap\x7ftop", 7); }
static void mut_dev_nul(struct craft *c) { craft_set_device(c, "a\0b", 3); }
static void mut_dev_c1(struct craft *c) { craft_set_device(c, "a\xc2\x85", 3); }
static void mut_dev_overlong(struct craft *c) { craft_set_device(c, "\xc0\xaf", 2); }
static void mut_dev_overlong3(struct craft *c) { craft_set_device(c, "\xe0\x80\xaf", 3); }
static void mut_dev_surrogate(struct craft *c) { craft_set_device(c, "\xed\xa0\x80", 3); }
static void mut_dev_cut(struct craft *c) { craft_set_device(c, "ab\xe5\xbc", 4); }
static void mut_dev_lone(struct craft *c) { craft_set_device(c, "\x80", 1); }
static void mut_dev_big(struct craft *c) { craft_set_device(c, "\xf4\x90\x80\x80", 4); }
static void mut_dev_f5(struct craft *c) { craft_set_device(c, "\xf5\x80\x80\x80", 4); }

static void mut_dev_129(struct craft *c)
{
	memset(c->dev, 'a', 129);
	c->dev_bytes = 129;
	c->devlen = 129;
}

static void mut_count0_seqs(struct craft *c) { c->count = 0; }
static void mut_first_after_last(struct craft *c) { c->first = 3; }
static void mut_count_over_span(struct craft *c) { c->count = 3; }
static void mut_first0(struct craft *c) { c->first = 0; }
static void mut_seqs0_count(struct craft *c) { c->first = 0; c->last = 0; }
static void mut_raw_over_max(struct craft *c) { c->raw_len = HUCE_BATCH_MAX_RAW + 1; }
static void mut_raw_huge(struct craft *c) { c->raw_len = UINT64_MAX; }
static void mut_raw_more(struct craft *c) { c->raw_len++; }
static void mut_raw_less(struct craft *c) { c->raw_len--; }
static void mut_raw_zero(struct craft *c) { c->raw_len = 0; }
static void mut_crc(struct craft *c) { c->crc ^= 1; }
static void mut_no_body(struct craft *c) { c->body.len = 0; }
static void mut_small_buf(struct craft *c) { c->payload_max = (size_t)c->raw_len - 1; }
static void mut_small_max(struct craft *c) { c->max_raw = (size_t)c->raw_len - 1; }

static void mut_trailing(struct craft *c)
{
	c->body.max++;
	assert_int_equal(huce_buf_add(&c->body, "x", 1), HUCE_OK);
}

static void mut_two_streams(struct craft *c)
{
	unsigned char *again = dup_exact(c->body.data, c->body.len);

	c->body.max *= 2;
	assert_int_equal(huce_buf_add(&c->body, again, c->body.len), HUCE_OK);
	free(again);
}

/* Replace the body with a stream made by deflateInit2 / a dictionary. */
static void rebody(struct craft *c, int wbits, int dict)
{
	const char *p = CHINESE;
	z_stream zs;
	unsigned char buf[512];

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, wbits, 8,
				      Z_DEFAULT_STRATEGY), Z_OK);
	if (dict)
		assert_int_equal(deflateSetDictionary(&zs, (const Bytef *)"village",
						      7), Z_OK);
	zs.next_in = (const Bytef *)p;
	zs.avail_in = (uInt)strlen(p);
	zs.next_out = buf;
	zs.avail_out = sizeof(buf);
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	huce_buf_reset(&c->body);
	c->body.max = sizeof(buf);
	assert_int_equal(huce_buf_add(&c->body, buf, sizeof(buf) - zs.avail_out),
			 HUCE_OK);
	assert_int_equal(deflateEnd(&zs), Z_OK);
}

static void mut_gzip(struct craft *c) { rebody(c, 15 + 16, 0); }
static void mut_raw_deflate(struct craft *c) { rebody(c, -15, 0); }
static void mut_dict(struct craft *c) { rebody(c, 15, 1); }

/* 1 MiB of zeros, declared truthfully: only the ratio gives it away. */
static void mut_ratio(struct craft *c)
{
	unsigned char *z = calloc(1, 1 << 20);

	assert_non_null(z);
	huce_buf_release(&c->body);
	zcompress(&c->body, z, 1 << 20, 9);
	c->raw_len = 1 << 20;
	c->crc = (uint32_t)crc32(0L, z, 1 << 20);
	free(z);
}

static void mut_ratio_body_cut(struct craft *c)
{
	mut_ratio(c);
	c->body.len /= 2;
}

static const struct refusal_case {
	const char *name;
	void (*mutate)(struct craft *c);
	enum huce_err want;
	const char *msg;	/* substring of the message, or NULL */
} refusal_cases[] = {
	{ "bad magic", mut_magic, HUCE_EINVAL, "not a huce batch" },
	{ "zip file", mut_magic_zip, HUCE_EINVAL, "not a huce batch" },
	{ "version 2", mut_version2, HUCE_EVERSION, "version 2" },
	{ "version 0", mut_version0, HUCE_EVERSION, "version 0" },
	{ "flags", mut_flags, HUCE_EINVAL, "flags" },
	{ "device length 0", mut_devlen0, HUCE_EINVAL, "device" },
	{ "device length 129", mut_dev_129, HUCE_EINVAL, "device" },
	{ "device length past end", mut_devlen_huge, HUCE_EINVAL, NULL },
	{ "device newline", mut_dev_newline, HUCE_EINVAL, "device" },
	{ "device del", mut_dev_del, HUCE_EINVAL, "device" },
	{ "device nul", mut_dev_nul, HUCE_EINVAL, "device" },
	{ "device c1 control", mut_dev_c1, HUCE_EINVAL, "device" },
	{ "device overlong", mut_dev_overlong, HUCE_EINVAL, "device" },
	{ "device overlong 3", mut_dev_overlong3, HUCE_EINVAL, "device" },
	{ "device surrogate", mut_dev_surrogate, HUCE_EINVAL, "device" },
	{ "device cut sequence", mut_dev_cut, HUCE_EINVAL, "device" },
	{ "device lone continuation", mut_dev_lone, HUCE_EINVAL, "device" },
	{ "device past U+10FFFF", mut_dev_big, HUCE_EINVAL, "device" },
	{ "device byte f5", mut_dev_f5, HUCE_EINVAL, "device" },
	{ "count 0 with seqs", mut_count0_seqs, HUCE_EINVAL, "0 entries" },
	{ "first after last", mut_first_after_last, HUCE_EINVAL, "after last" },
	{ "count over span", mut_count_over_span, HUCE_EINVAL, "entries in seqs" },
	{ "first seq 0", mut_first0, HUCE_EINVAL, "first seq 0" },
	{ "seqs 0 with count", mut_seqs0_count, HUCE_EINVAL, "first seq 0" },
	{ "declared over max", mut_raw_over_max, HUCE_ETOOBIG, "declares" },
	{ "declared 2^64-1", mut_raw_huge, HUCE_ETOOBIG, "declares" },
	{ "declared more than real", mut_raw_more, HUCE_EINVAL, "header declares" },
	{ "declared less than real", mut_raw_less, HUCE_ETOOBIG, "inflates past" },
	{ "declared zero", mut_raw_zero, HUCE_ETOOBIG, "inflates past" },
	{ "wrong crc", mut_crc, HUCE_ECHECKSUM, "crc32" },
	{ "no body", mut_no_body, HUCE_EINVAL, "truncated" },
	{ "trailing byte", mut_trailing, HUCE_EINVAL, "trailing" },
	{ "two zlib streams", mut_two_streams, HUCE_EINVAL, "trailing" },
	{ "gzip body", mut_gzip, HUCE_EINVAL, "incorrect header check" },
	{ "raw deflate body", mut_raw_deflate, HUCE_EINVAL, "corrupt zlib stream" },
	{ "preset dictionary", mut_dict, HUCE_EINVAL, "dictionary" },
	{ "payload buffer too small", mut_small_buf, HUCE_ETOOBIG, "declares" },
	{ "max_raw too small", mut_small_max, HUCE_ETOOBIG, "declares" },
	{ "ratio 1000:1", mut_ratio, HUCE_ETOOBIG, "200:1" },
	{ "ratio, body cut", mut_ratio_body_cut, HUCE_ETOOBIG, "200:1" },
};

static void test_refusals(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(refusal_cases) / sizeof(refusal_cases[0]); i++) {
		const struct refusal_case *t = &refusal_cases[i];
		struct huce_error err = { 0 };
		struct craft c;
		unsigned char *bytes;
		size_t n;
		enum huce_err rc;

		craft_init(&c, CHINESE, strlen(CHINESE));
		/* The unmutated batch is valid: the mutation is the cause. */
		bytes = craft_bytes(&c, &n);
		assert_int_equal(decode_check(bytes, n, c.max_raw, c.payload_max,
					      &err), HUCE_OK);
		free(bytes);

		t->mutate(&c);
		bytes = craft_bytes(&c, &n);
		rc = decode_check(bytes, n, c.max_raw, c.payload_max, &err);
		if (rc != t->want || (t->msg && !strstr(err.msg, t->msg)))
			fail_msg("%s: got %s (%s), want %s '%s'", t->name,
				 huce_err_name(rc), err.msg, huce_err_name(t->want),
				 t->msg ? t->msg : "");
		free(bytes);
		huce_buf_release(&c.body);
	}
}

/* The header of a refused body is still reported, for the quarantine. */
static void test_header_kept_on_body_error(void **state)
{
	struct huce_buf payload = HUCE_BUF_INIT(4096);
	struct huce_batch_header h;
	struct huce_error err = { 0 };
	struct craft c;
	unsigned char *bytes;
	size_t n;

	(void)state;
	craft_init(&c, CHINESE, strlen(CHINESE));
	c.crc ^= 0x80000000u;
	bytes = craft_bytes(&c, &n);
	assert_int_equal(huce_batch_decode(bytes, n, 4096, &h, &payload, &err),
			 HUCE_ECHECKSUM);
	assert_string_equal(h.device, "laptop-3");
	assert_int_equal(payload.len, 0);
	free(bytes);

	/* A bad header zeroes h. */
	c.version = 7;
	bytes = craft_bytes(&c, &n);
	assert_int_equal(huce_batch_decode(bytes, n, 4096, &h, &payload, &err),
			 HUCE_EVERSION);
	assert_string_equal(h.device, "");
	assert_int_equal(h.version, 0);
	free(bytes);
	huce_buf_release(&c.body);
	huce_buf_release(&payload);
}

/* Every proper prefix of a valid batch fails cleanly. */
static void test_truncated_everywhere(void **state)
{
	static const char *payloads[] = { CHINESE, "" };
	size_t k;

	(void)state;
	for (k = 0; k < 2; k++) {
		struct huce_buf out = HUCE_BUF_INIT(4096);
		struct huce_error err = { 0 };
		size_t n = strlen(payloads[k]), i;
		uint32_t count = n ? 3 : 0;

		assert_int_equal(huce_batch_encode("设备-7", count ? 4 : 0,
						   count ? 6 : 0, count,
						   payloads[k], n, -1, &out,
						   &err), HUCE_OK);
		assert_int_equal(decode_check(out.data, out.len, 4096, 4096, &err),
				 HUCE_OK);
		for (i = 0; i < out.len; i++) {
			enum huce_err rc = decode_check(out.data, i, 4096, 4096, &err);

			if (rc == HUCE_OK)
				fail_msg("prefix of %zu of %zu bytes decoded", i,
					 out.len);
			assert_true(rc == HUCE_EINVAL);
		}
		huce_buf_release(&out);
	}
}

/*
 * Every change in the body or the checked header fields is caught.  The
 * seqs, count and device name carry no check of their own and are
 * skipped.  A single-bit flip may land in the padding bits after the
 * last deflate block, which zlib ignores: then the payload must still be
 * byte-exact.  Flipping a whole byte always reaches real data.
 */
static void test_flips(void **state)
{
	static const unsigned char masks[] = { 0xff, 0x01, 0x10, 0x80 };
	struct huce_buf out = HUCE_BUF_INIT(4096);
	struct huce_buf payload = HUCE_BUF_INIT(4096);
	struct huce_error err = { 0 };
	struct huce_batch_header h;
	size_t body_off, i, m, n = strlen(CHINESE);
	unsigned char *copy;

	(void)state;
	assert_int_equal(huce_batch_encode("laptop-3", 1, 2, 2, CHINESE, n, 9,
					   &out, &err), HUCE_OK);
	assert_int_equal(huce_batch_decode_header(out.data, out.len, &h,
						  &body_off, &err), HUCE_OK);
	copy = dup_exact(out.data, out.len);
	for (i = 0; i < out.len; i++) {
		if ((i >= 8 && i < 28) || (i >= HUCE_BATCH_HEADER_SIZE &&
					   i < body_off))
			continue;
		for (m = 0; m < sizeof(masks); m++) {
			enum huce_err rc;

			copy[i] ^= masks[m];
			rc = huce_batch_decode(copy, out.len, 4096, &h, &payload,
					       &err);
			if (rc == HUCE_OK && (masks[m] == 0xff || payload.len != n ||
					      memcmp(payload.data, CHINESE, n)))
				fail_msg("flip 0x%02x at %zu (body at %zu) decoded",
					 masks[m], i, body_off);
			if (rc)
				assert_int_equal(payload.len, 0);
			if (i < 4)
				assert_true(rc == HUCE_EINVAL);
			else if (i == 4)
				assert_true(rc == HUCE_EVERSION);
			else if (i >= 28 && i < 32)
				assert_true(rc == HUCE_ECHECKSUM);
			copy[i] ^= masks[m];
		}
	}
	free(copy);
	huce_buf_release(&payload);
	huce_buf_release(&out);
}

/*
 * A zlib bomb: 64 MiB of zeros is about 64 KiB deflated.  Declared small
 * it must stop right after the declared size; declared large it must be
 * refused before anything is inflated.
 */
static void test_bomb(void **state)
{
	size_t big = (size_t)64 << 20;
	unsigned char *zeros = calloc(1, big);
	struct craft c;
	struct {
		uint64_t declared;
		size_t max_raw;
		const char *msg;
		int inflates;
	} cases[] = {
		{ 1000, HUCE_BATCH_MAX_RAW, "inflates past", 1 },
		{ 65536, HUCE_BATCH_MAX_RAW, "inflates past", 1 },
		{ (uint64_t)64 << 20, HUCE_BATCH_MAX_RAW, "limit is", 0 },
		{ HUCE_BATCH_MAX_RAW, HUCE_BATCH_MAX_RAW, "200:1", 0 },
		{ (uint64_t)64 << 20, (size_t)128 << 20, "200:1", 0 },
	};
	size_t i;

	(void)state;
	assert_non_null(zeros);
	craft_init(&c, CHINESE, strlen(CHINESE));
	huce_buf_release(&c.body);
	zcompress(&c.body, zeros, big, 9);
	assert_true(c.body.len < 128 * 1024);
	c.crc = (uint32_t)crc32(0L, zeros, (uInt)big);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct huce_buf payload = HUCE_BUF_INIT((size_t)128 << 20);
		struct huce_batch_header h;
		struct huce_error err = { 0 };
		unsigned char *bytes;
		size_t n;

		c.raw_len = cases[i].declared;
		bytes = craft_bytes(&c, &n);
		assert_int_equal(huce_batch_decode(bytes, n, cases[i].max_raw, &h,
						   &payload, &err), HUCE_ETOOBIG);
		assert_non_null(strstr(err.msg, cases[i].msg));
		assert_int_equal(payload.len, 0);
		if (cases[i].inflates)
			/* Stopped at the declared size, not at 64 MiB. */
			assert_true(payload.alloc <= 2 * (cases[i].declared + 1));
		else
			assert_null(payload.data);
		free(bytes);
		huce_buf_release(&payload);
	}

	/* The bare helper stops at its bound too. */
	{
		struct huce_buf out = HUCE_BUF_INIT((size_t)256 << 20);
		struct huce_error err = { 0 };

		assert_int_equal(huce_buf_addstr(&out, "page:"), HUCE_OK);
		assert_int_equal(huce_inflate_bounded(c.body.data, c.body.len,
						      1 << 20, &out, &err),
				 HUCE_ETOOBIG);
		assert_int_equal(out.len, 5);
		assert_string_equal(out.data, "page:");
		assert_true(out.alloc <= (2u << 20) + 1);
		huce_buf_release(&out);
	}
	huce_buf_release(&c.body);
	free(zeros);
}

/* At the ratio floor tiny-but-silly batches pass; one byte more does not. */
static void test_ratio_floor(void **state)
{
	size_t floor = (size_t)HUCE_BATCH_RATIO_FLOOR;
	unsigned char *zeros = calloc(1, floor + 1);
	struct huce_buf out = HUCE_BUF_INIT(1 << 20);
	struct huce_error err = { 0 };

	(void)state;
	assert_non_null(zeros);
	assert_int_equal(huce_batch_encode("laptop-3", 1, 1, 1, zeros, floor, 9,
					   &out, &err), HUCE_OK);
	assert_int_equal(decode_check(out.data, out.len, HUCE_BATCH_MAX_RAW,
				      HUCE_BATCH_MAX_RAW, &err), HUCE_OK);
	huce_buf_reset(&out);
	/* The encoder will not make a batch the decoder refuses. */
	assert_int_equal(huce_batch_encode("laptop-3", 1, 1, 1, zeros, floor + 1,
					   9, &out, &err), HUCE_ETOOBIG);
	assert_non_null(strstr(err.msg, "200:1"));
	assert_int_equal(out.len, 0);
	huce_buf_release(&out);
	free(zeros);
}

/* Encoder refusals leave out as it was. */

#define D16 "dddddddddddddddd"
#define D128 D16 D16 D16 D16 D16 D16 D16 D16

static const struct encode_case {
	const char *name;
	const char *device;
	uint64_t first, last;
	uint32_t count;
	int level;
	enum huce_err want;
} encode_cases[] = {
	{ "null device", NULL, 1, 1, 1, -1, HUCE_EINVAL },
	{ "empty device", "", 1, 1, 1, -1, HUCE_EINVAL },
	{ "device with tab", "a\tb", 1, 1, 1, -1, HUCE_EINVAL },
	{ "device not utf-8", "caf\xe9", 1, 1, 1, -1, HUCE_EINVAL },
	{ "level 10", "laptop-3", 1, 1, 1, 10, HUCE_EINVAL },
	{ "level -2", "laptop-3", 1, 1, 1, -2, HUCE_EINVAL },
	{ "count 0 with seqs", "laptop-3", 1, 1, 0, -1, HUCE_EINVAL },
	{ "first after last", "laptop-3", 2, 1, 1, -1, HUCE_EINVAL },
	{ "count over span", "laptop-3", 1, 1, 2, -1, HUCE_EINVAL },
	{ "first 0", "laptop-3", 0, 1, 1, -1, HUCE_EINVAL },
	{ "129-byte device", D128 "d", 1, 1, 1, -1, HUCE_EINVAL },
	{ "ok", "laptop-3", 1, 1, 1, -1, HUCE_OK },
	{ "ok 128-byte device", D128, 1, 1, 1, -1, HUCE_OK },
	{ "ok empty batch", "laptop-3", 0, 0, 0, 9, HUCE_OK },
};

static void test_encode_refusals(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(encode_cases) / sizeof(encode_cases[0]); i++) {
		const struct encode_case *t = &encode_cases[i];
		struct huce_buf out = HUCE_BUF_INIT(4096);
		struct huce_error err = { 0 };
		enum huce_err rc;

		assert_int_equal(huce_buf_addstr(&out, "keep"), HUCE_OK);
		rc = huce_batch_encode(t->device, t->first, t->last, t->count,
				       CHINESE, strlen(CHINESE), t->level, &out,
				       &err);
		if (rc != t->want)
			fail_msg("%s: got %s (%s)", t->name, huce_err_name(rc),
				 err.msg);
		if (rc) {
			assert_int_equal(out.len, 4);
			assert_string_equal(out.data, "keep");
			assert_false(isupper((unsigned char)err.msg[0]));
		} else {
			assert_int_equal(decode_check(out.data + 4, out.len - 4,
						      4096, 4096, &err), HUCE_OK);
		}
		huce_buf_release(&out);
	}
}

/* An output buffer too small for the batch is refused at every size. */
static void test_encode_out_full(void **state)
{
	struct huce_buf gen;
	struct huce_buf full = HUCE_BUF_INIT(1 << 20);
	struct huce_error err = { 0 };
	size_t max;

	(void)state;
	make_json(&gen, 8000);
	assert_int_equal(huce_batch_encode("laptop-3", 1, 9, 9, gen.data, gen.len,
					   6, &full, &err), HUCE_OK);
	for (max = 0; max <= full.len; max++) {
		struct huce_buf out = HUCE_BUF_INIT(max);

		err.msg[0] = '\0';
		if (max < full.len) {
			assert_int_equal(huce_batch_encode("laptop-3", 1, 9, 9,
							   gen.data, gen.len, 6,
							   &out, &err),
					 HUCE_ETOOBIG);
			assert_int_equal(out.len, 0);
		} else {
			assert_int_equal(huce_batch_encode("laptop-3", 1, 9, 9,
							   gen.data, gen.len, 6,
							   &out, &err), HUCE_OK);
			assert_memory_equal(out.data, full.data, full.len);
		}
		huce_buf_release(&out);
	}
	huce_buf_release(&full);
	huce_buf_release(&gen);
}

/* The streaming writer makes batches that decode like huce_batch_encode's. */
static void test_writer(void **state)
{
	static const size_t chunks[] = { 1, 7, 4096, 65536, 1 << 30 };
	struct huce_buf gen;
	struct huce_buf ref = HUCE_BUF_INIT(1 << 20);
	struct huce_buf want = HUCE_BUF_INIT(1 << 20);
	struct huce_error err = { 0 };
	struct huce_batch_header h;
	size_t k;

	(void)state;
	make_json(&gen, 300000);
	assert_int_equal(huce_batch_encode("laptop-3", 11, 500, 490, gen.data,
					   gen.len, 6, &ref, &err), HUCE_OK);
	assert_int_equal(huce_batch_decode(ref.data, ref.len, HUCE_BATCH_MAX_RAW,
					   &h, &want, &err), HUCE_OK);

	for (k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
		struct huce_batch_writer w = HUCE_BATCH_WRITER_INIT;
		struct huce_buf out = HUCE_BUF_INIT(1 << 20);
		struct huce_buf payload = HUCE_BUF_INIT(HUCE_BATCH_MAX_RAW);
		struct huce_batch_header hw;
		size_t off = 0;

		assert_int_equal(huce_buf_addstr(&out, "xyz"), HUCE_OK);
		assert_int_equal(huce_batch_writer_begin(&w, "laptop-3", 6, &out,
							 &err), HUCE_OK);
		while (off < gen.len) {
			size_t n = gen.len - off < chunks[k] ? gen.len - off : chunks[k];

			assert_int_equal(huce_batch_writer_write(&w, gen.data + off,
								 n, &err), HUCE_OK);
			off += n;
		}
		assert_int_equal(huce_batch_writer_write(&w, NULL, 0, &err), HUCE_OK);
		assert_int_equal(huce_batch_writer_finish(&w, 11, 500, 490, &err),
				 HUCE_OK);
		huce_batch_writer_abort(&w);	/* idle now: no effect */
		assert_memory_equal(out.data, "xyz", 3);
		assert_int_equal(huce_batch_decode(out.data + 3, out.len - 3,
						   HUCE_BATCH_MAX_RAW, &hw,
						   &payload, &err), HUCE_OK);
		assert_string_equal(hw.device, h.device);
		assert_true(hw.first_seq == 11 && hw.last_seq == 500);
		assert_true(hw.count == 490 && hw.crc == h.crc);
		assert_true(hw.raw_len == gen.len);
		assert_int_equal(payload.len, want.len);
		assert_memory_equal(payload.data, want.data, want.len);
		/* The header matches the one-shot encoder's byte for byte. */
		assert_memory_equal(out.data + 3, ref.data, HUCE_BATCH_HEADER_SIZE + 8);
		huce_buf_release(&payload);
		huce_buf_release(&out);
	}
	huce_buf_release(&want);
	huce_buf_release(&ref);
	huce_buf_release(&gen);
}

/* Writer failures and misuse leave out as it was and the writer idle. */
static void test_writer_errors(void **state)
{
	struct huce_batch_writer w = HUCE_BATCH_WRITER_INIT;
	struct huce_buf out = HUCE_BUF_INIT(1 << 20);
	struct huce_error err = { 0 };
	unsigned char *noise = malloc(1 << 16);

	(void)state;
	assert_non_null(noise);
	fill_noise(noise, 1 << 16, 7);
	huce_batch_writer_abort(&w);	/* never started: harmless */
	assert_int_equal(huce_batch_writer_write(&w, "x", 1, &err), HUCE_EINVAL);
	assert_int_equal(huce_batch_writer_finish(&w, 1, 1, 1, &err), HUCE_EINVAL);
	assert_int_equal(huce_buf_addstr(&out, "keep"), HUCE_OK);

	assert_int_equal(huce_batch_writer_begin(&w, "a\x01", -1, &out, &err),
			 HUCE_EINVAL);
	assert_int_equal(huce_batch_writer_begin(&w, "laptop-3", 11, &out, &err),
			 HUCE_EINVAL);
	assert_int_equal(out.len, 4);

	/* Abort mid-way. */
	assert_int_equal(huce_batch_writer_begin(&w, "laptop-3", -1, &out, &err),
			 HUCE_OK);
	assert_int_equal(huce_batch_writer_write(&w, noise, 1 << 16, &err), HUCE_OK);
	assert_true(out.len > 4);
	huce_batch_writer_abort(&w);
	huce_batch_writer_abort(&w);
	assert_int_equal(out.len, 4);
	assert_string_equal(out.data, "keep");

	/* Bad seqs at finish. */
	assert_int_equal(huce_batch_writer_begin(&w, "laptop-3", -1, &out, &err),
			 HUCE_OK);
	assert_int_equal(huce_batch_writer_write(&w, CHINESE, 10, &err), HUCE_OK);
	assert_int_equal(huce_batch_writer_finish(&w, 5, 4, 1, &err), HUCE_EINVAL);
	assert_int_equal(out.len, 4);
	assert_int_equal(huce_batch_writer_write(&w, "x", 1, &err), HUCE_EINVAL);

	/* Passing HUCE_BATCH_MAX_RAW in small steps. */
	{
		struct huce_buf big = HUCE_BUF_INIT(BIG_OUT);
		unsigned char *zeros = calloc(1, 1 << 20);
		size_t i;

		assert_non_null(zeros);
		assert_int_equal(huce_batch_writer_begin(&w, "laptop-3", 1, &big,
							 &err), HUCE_OK);
		for (i = 0; i < HUCE_BATCH_MAX_RAW >> 16; i++) {
			/* Noise with zeros: compressible but not a bomb. */
			const void *p = i % 2 ? (const void *)noise : zeros;

			assert_int_equal(huce_batch_writer_write(&w, p, 1 << 16,
								 &err), HUCE_OK);
		}
		assert_int_equal(huce_batch_writer_write(&w, "x", 1, &err),
				 HUCE_ETOOBIG);
		assert_int_equal(big.len, 0);
		assert_null(w.zs);
		free(zeros);
		huce_buf_release(&big);
	}

	/* Output full while writing, then while finishing. */
	{
		struct huce_buf small = HUCE_BUF_INIT(1000);

		enum huce_err rc;

		assert_int_equal(huce_batch_writer_begin(&w, "laptop-3", -1, &small,
							 &err), HUCE_OK);
		/* zlib may hold the input back until finish: either fails. */
		rc = huce_batch_writer_write(&w, noise, 1 << 16, &err);
		if (rc == HUCE_OK)
			rc = huce_batch_writer_finish(&w, 1, 1, 1, &err);
		assert_int_equal(rc, HUCE_ETOOBIG);
		assert_int_equal(small.len, 0);
		assert_null(w.zs);
		assert_int_equal(huce_batch_writer_begin(&w, "laptop-3", -1, &small,
							 &err), HUCE_OK);
		assert_int_equal(huce_batch_writer_write(&w, noise, 960, &err),
				 HUCE_OK);
		assert_int_equal(huce_batch_writer_finish(&w, 1, 1, 1, &err),
				 HUCE_ETOOBIG);
		assert_int_equal(small.len, 0);
		/* Even the header may not fit. */
		small.max = 20;
		assert_int_equal(huce_batch_writer_begin(&w, "laptop-3", -1, &small,
							 &err), HUCE_ETOOBIG);
		assert_null(w.zs);
		huce_buf_release(&small);
	}
	huce_buf_release(&out);
	free(noise);
}

/* huce_deflate / huce_inflate_bounded, used for pull pages and exports. */
static void test_plain_zlib(void **state)
{
	struct huce_buf gen;
	struct huce_buf z = HUCE_BUF_INIT(1 << 20);
	struct huce_buf out = HUCE_BUF_INIT(1 << 20);
	struct huce_error err = { 0 };
	size_t i;

	(void)state;
	make_json(&gen, 50000);
	assert_int_equal(huce_buf_addstr(&z, "z:"), HUCE_OK);
	assert_int_equal(huce_deflate(gen.data, gen.len, 6, &z), HUCE_OK);
	assert_memory_equal(z.data, "z:", 2);

	/* Appends, and exactly max passes. */
	assert_int_equal(huce_buf_addstr(&out, "o:"), HUCE_OK);
	assert_int_equal(huce_inflate_bounded(z.data + 2, z.len - 2, gen.len, &out,
					      &err), HUCE_OK);
	assert_int_equal(out.len, gen.len + 2);
	assert_memory_equal(out.data + 2, gen.data, gen.len);

	/* One byte under, and an out->max one byte short. */
	huce_buf_reset(&out);
	assert_int_equal(huce_inflate_bounded(z.data + 2, z.len - 2, gen.len - 1,
					      &out, &err), HUCE_ETOOBIG);
	assert_int_equal(out.len, 0);
	out.max = gen.len - 1;
	assert_int_equal(huce_inflate_bounded(z.data + 2, z.len - 2, gen.len,
					      &out, &err), HUCE_ETOOBIG);
	out.max = 1 << 20;

	/* Every prefix is truncated; a trailing byte is refused. */
	for (i = 0; i < z.len - 2; i++) {
		unsigned char *copy = dup_exact(z.data + 2, i);

		huce_buf_reset(&out);
		assert_int_equal(huce_inflate_bounded(copy, i, gen.len, &out,
						      &err), HUCE_EINVAL);
		assert_int_equal(out.len, 0);
		free(copy);
	}
	{
		unsigned char *copy = malloc(z.len - 1);

		assert_non_null(copy);
		memcpy(copy, z.data + 2, z.len - 2);
		copy[z.len - 2] = 0;
		assert_int_equal(huce_inflate_bounded(copy, z.len - 1, gen.len,
						      &out, &err), HUCE_EINVAL);
		assert_non_null(strstr(err.msg, "trailing"));
		free(copy);
	}

	/* Empty input deflates to a valid stream of nothing. */
	huce_buf_reset(&z);
	huce_buf_reset(&out);
	assert_int_equal(huce_deflate(NULL, 0, -1, &z), HUCE_OK);
	assert_true(z.len > 0);
	assert_int_equal(huce_inflate_bounded(z.data, z.len, 0, &out, &err),
			 HUCE_OK);
	assert_int_equal(out.len, 0);

	/* Refusals of huce_deflate leave out as it was. */
	huce_buf_reset(&z);
	assert_int_equal(huce_deflate("x", 1, 10, &z), HUCE_EINVAL);
	assert_int_equal(huce_deflate(NULL, 1, 1, &z), HUCE_EINVAL);
	z.max = 100;
	assert_int_equal(huce_buf_addstr(&z, "keep"), HUCE_OK);
	assert_int_equal(huce_deflate(gen.data, gen.len, 0, &z), HUCE_ETOOBIG);
	assert_int_equal(z.len, 4);
	assert_string_equal(z.data, "keep");

	huce_buf_release(&out);
	huce_buf_release(&z);
	huce_buf_release(&gen);
}

/*
 * A deflater kept for many buffers (the central's pull pages) gives the
 * bytes huce_deflate gives for each, whatever it compressed before.
 */
static void test_deflater_reuse(void **state)
{
	struct huce_buf big, small;
	struct huce_buf a = HUCE_BUF_INIT(1 << 20), b = HUCE_BUF_INIT(1 << 20);
	struct huce_deflater *d = huce_deflater_new(5);

	(void)state;
	assert_non_null(d);
	assert_null(huce_deflater_new(10));
	make_json(&big, 50000);
	make_json(&small, 300);
	for (int round = 0; round < 3; round++) {
		const struct huce_buf *in = round == 1 ? &small : &big;

		huce_buf_reset(&a);
		huce_buf_reset(&b);
		assert_int_equal(huce_deflater_run(d, in->data, in->len, &a),
				 HUCE_OK);
		assert_int_equal(huce_deflate(in->data, in->len, 5, &b),
				 HUCE_OK);
		assert_int_equal(a.len, b.len);
		assert_memory_equal(a.data, b.data, a.len);
	}
	/* A full out is refused and left as it was. */
	huce_buf_reset(&a);
	a.max = 10;
	assert_int_equal(huce_buf_addstr(&a, "keep"), HUCE_OK);
	assert_int_equal(huce_deflater_run(d, big.data, big.len, &a),
			 HUCE_ETOOBIG);
	assert_string_equal(a.data, "keep");
	assert_int_equal(huce_deflater_run(NULL, "x", 1, &b), HUCE_EINVAL);
	huce_deflater_free(d);
	huce_deflater_free(NULL);
	huce_buf_release(&a);
	huce_buf_release(&b);
	huce_buf_release(&big);
	huce_buf_release(&small);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_wire_layout),
		cmocka_unit_test(test_max_batch),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_header_kept_on_body_error),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_flips),
		cmocka_unit_test(test_bomb),
		cmocka_unit_test(test_ratio_floor),
		cmocka_unit_test(test_encode_refusals),
		cmocka_unit_test(test_encode_out_full),
		cmocka_unit_test(test_writer),
		cmocka_unit_test(test_writer_errors),
		cmocka_unit_test(test_plain_zlib),
		cmocka_unit_test(test_deflater_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
