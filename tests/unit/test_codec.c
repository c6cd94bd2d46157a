#include "core/codec.h"

#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/rd.h"
#include "test.h"

TEST(codec_round_trip)
{
	struct buf b = BUF_INIT;
	struct rd rd;
	const uint8_t *p;
	const char *t;
	uint64_t v;
	size_t n;
	int flag;

	codec_put_array(&b, 5);
	codec_put_uint(&b, 23);
	codec_put_uint(&b, 0x1234567890ULL);
	codec_put_bytes(&b, "\x01\x02", 2);
	codec_put_text(&b, "ab", 2);
	codec_put_bool(&b, 1);
	/* The wire image: array(5) 23 uint64 bstr(2) text(2) true. */
	ASSERT_EQ(b.len, 1 + 1 + 9 + 3 + 3 + 1);
	ASSERT_MEM_EQ(b.data, "\x85\x17\x1b\x00\x00\x00\x12\x34\x56\x78\x90"
	    "\x42\x01\x02\x62" "ab" "\xf5", b.len);
	rd_init(&rd, b.data, b.len);
	ASSERT_EQ(codec_peek(&rd), CODEC_ARRAY);
	ASSERT_EQ(codec_get_array(&rd, 5, &n), 0);
	ASSERT_EQ(n, 5);
	ASSERT_EQ(codec_get_uint(&rd, &v), 0);
	ASSERT_EQ(v, 23);
	ASSERT_EQ(codec_get_uint_max(&rd, 0xffff, &v), TL_ETOOBIG);
	rd_init(&rd, b.data + 2, b.len - 2);
	ASSERT_EQ(codec_get_uint(&rd, &v), 0);
	ASSERT_EQ(v, 0x1234567890ULL);
	ASSERT_EQ(codec_get_bytes_exact(&rd, 2, &p), 0);
	ASSERT_MEM_EQ(p, "\x01\x02", 2);
	ASSERT_EQ(codec_get_text(&rd, 8, &t, &n), 0);
	ASSERT_EQ(n, 2);
	ASSERT_MEM_EQ(t, "ab", 2);
	ASSERT_EQ(codec_get_bool(&rd, &flag), 0);
	ASSERT_EQ(flag, 1);
	ASSERT_EQ(rd_left(&rd), 0);
	buf_release(&b);
}

/* Each head width at its edges, against RFC 8949 Appendix A where it
 * lists the value, and read back: the encoder is ours, not libcbor's. */
TEST(codec_heads_are_shortest_at_every_width)
{
	static const struct {
		uint64_t v;
		const char *wire;
		size_t len;
	} cases[] = {
		{ 0, "\x00", 1 },
		{ 23, "\x17", 1 },
		{ 24, "\x18\x18", 2 },
		{ 100, "\x18\x64", 2 },
		{ 255, "\x18\xff", 2 },
		{ 256, "\x19\x01\x00", 3 },
		{ 1000, "\x19\x03\xe8", 3 },
		{ 65535, "\x19\xff\xff", 3 },
		{ 65536, "\x1a\x00\x01\x00\x00", 5 },
		{ 1000000, "\x1a\x00\x0f\x42\x40", 5 },
		{ 4294967295ULL, "\x1a\xff\xff\xff\xff", 5 },
		{ 4294967296ULL, "\x1b\x00\x00\x00\x01\x00\x00\x00\x00", 9 },
		{ 1000000000000ULL, "\x1b\x00\x00\x00\xe8\xd4\xa5\x10\x00", 9 },
		{ UINT64_MAX, "\x1b\xff\xff\xff\xff\xff\xff\xff\xff", 9 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b = BUF_INIT;
		struct rd rd;
		uint64_t v;
		size_t n;

		codec_put_uint(&b, cases[i].v);
		ASSERT_EQ(b.len, cases[i].len);
		ASSERT_MEM_EQ(b.data, cases[i].wire, b.len);
		rd_init(&rd, b.data, b.len);
		ASSERT_EQ(codec_get_uint(&rd, &v), 0);
		ASSERT_EQ(v, cases[i].v);
		/* The same argument under another major type: only the top
		 * three bits differ. */
		buf_reset(&b);
		codec_put_array(&b, (size_t)cases[i].v);
		ASSERT_EQ(b.len, cases[i].len);
		ASSERT_EQ((uint8_t)b.data[0], (uint8_t)(cases[i].wire[0] | 0x80));
		ASSERT_MEM_EQ(b.data + 1, cases[i].wire + 1, b.len - 1);
		if (cases[i].v <= 65536) {
			rd_init(&rd, b.data, b.len);
			ASSERT_EQ(codec_get_array(&rd, 65536, &n), 0);
			ASSERT_EQ(n, (size_t)cases[i].v);
		}
		buf_release(&b);
	}
}

TEST(codec_bools_are_simple_values)
{
	struct buf b = BUF_INIT;

	codec_put_bool(&b, 0);
	codec_put_bool(&b, 1);
	codec_put_bool(&b, 7);		/* any non-zero is true */
	ASSERT_EQ(b.len, 3);
	ASSERT_MEM_EQ(b.data, "\xf4\xf5\xf5", 3);
	buf_release(&b);
}

TEST(codec_refuses_what_it_does_not_speak)
{
	struct rd rd;
	const uint8_t *p;
	const char *t;
	size_t n;
	uint64_t v;

	rd_init(&rd, "\x18\x00", 2);	/* 0 in two bytes: not the shortest */
	ASSERT_EQ(codec_get_uint(&rd, &v), TL_EINVAL);
	rd_init(&rd, "\x19\x00\xff", 3);
	ASSERT_EQ(codec_get_uint(&rd, &v), TL_EINVAL);
	rd_init(&rd, "\x5a\x00\x00\x00\x01" "a", 6);
	ASSERT_EQ(codec_get_bytes(&rd, 8, &p, &n), TL_EINVAL);
	rd_init(&rd, "\x18\x18", 2);	/* 24 needs the byte: it is the shortest */
	ASSERT_EQ(codec_get_uint(&rd, &v), 0);
	ASSERT_EQ(v, 24);
	rd_init(&rd, "\x9f\x01\xff", 3);	/* indefinite array */
	ASSERT_EQ(codec_get_array(&rd, 10, &n), TL_EINVAL);
	rd_init(&rd, "\x20", 1);		/* negative int */
	ASSERT_EQ(codec_get_uint(&rd, &v), TL_EINVAL);
	rd_init(&rd, "\x1b\x00\x00", 3);	/* cut short */
	ASSERT_EQ(codec_get_uint(&rd, &v), TL_ETRUNC);
	ASSERT_EQ(v, 0);
	rd_init(&rd, "\x5a\xff\xff\xff\xff\x00", 6); /* 4 GB bstr */
	ASSERT_EQ(codec_get_bytes(&rd, 1200, &p, &n), TL_ETOOBIG);
	ASSERT(p == NULL);
	rd_init(&rd, "\x43\x01\x02", 3);
	ASSERT_EQ(codec_get_bytes(&rd, 1200, &p, &n), TL_ETRUNC);
	rd_init(&rd, "\x62\x61\x00", 3);	/* NUL inside text */
	ASSERT_EQ(codec_get_text(&rd, 8, &t, &n), TL_EINVAL);
	rd_init(&rd, "\x42\x01\x02", 3);
	ASSERT_EQ(codec_get_bytes_exact(&rd, 3, &p), TL_EINVAL);
	/* Skipping deep nesting stops at the depth bound. */
	rd_init(&rd, "\x81\x81\x81\x81\x00", 5);
	ASSERT_EQ(codec_skip(&rd, 3), TL_ETOOBIG);
	rd_init(&rd, "\x81\x81\x81\x81\x00", 5);
	ASSERT_EQ(codec_skip(&rd, 4), 0);
	/* An array claiming more items than bytes left. */
	rd_init(&rd, "\x9a\x10\x00\x00\x00", 5);
	ASSERT_EQ(codec_skip(&rd, 4), TL_ETRUNC);
}

TEST(codec_array_exact_takes_only_its_count)
{
	struct rd rd;

	rd_init(&rd, "\x82\x01\x02", 3);
	ASSERT_EQ(codec_get_array_exact(&rd, 2), 0);
	ASSERT_EQ(rd_left(&rd), 2);
	rd_init(&rd, "\x81\x01", 2);		/* fewer */
	ASSERT_EQ(codec_get_array_exact(&rd, 2), TL_EINVAL);
	rd_init(&rd, "\x83\x01\x02\x03", 4);	/* more */
	ASSERT_EQ(codec_get_array_exact(&rd, 2), TL_ETOOBIG);
	rd_init(&rd, "\x02", 1);		/* not an array */
	ASSERT_EQ(codec_get_array_exact(&rd, 2), TL_EINVAL);
}
