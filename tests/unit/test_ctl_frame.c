/*
 * Typed control-socket replies (ctl/ctl_frame.h): a query's id and count,
 * and a poll's cursor, verdict and text, come back exactly as they went
 * (text with quotes, backslashes, newlines, NUL and non-ASCII bytes); cut,
 * bent, padded or old free-text replies are refused.
 */
#include "test.h"

#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "ctl/ctl_frame.h"

static const char odd_text[] = "{\"node\":\"a \\\"q\\\" caf\xc3\xa9\"}\n"
    "x\0y \xff\n";

TEST(ctl_started_roundtrip)
{
	struct ctl_started s, back;
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < sizeof(s.id); i++)
		s.id[i] = (uint8_t)(0xf0 + i);
	s.expected = 10000;
	ctl_started_encode(&s, &b);
	ASSERT_EQ(ctl_started_decode((uint8_t *)b.data, b.len, &back), 0);
	ASSERT_MEM_EQ(back.id, s.id, sizeof(s.id));
	ASSERT_EQ(back.expected, 10000);
	for (size_t n = 0; n < b.len; n++)
		ASSERT(ctl_started_decode((uint8_t *)b.data, n, &back) < 0);
	buf_addch(&b, 0);
	ASSERT_EQ(ctl_started_decode((uint8_t *)b.data, b.len, &back),
	    TL_EINVAL);
	buf_release(&b);
}

TEST(ctl_cursor_roundtrip_keeps_every_byte)
{
	struct ctl_cursor c = { 0 }, back;
	struct buf b = BUF_INIT;

	c.cursor = (uint64_t)1 << 40;
	c.done = 1;
	c.ok = 0;
	c.text = odd_text;
	c.len = sizeof(odd_text) - 1;
	ctl_cursor_encode(&c, &b);
	ASSERT_EQ(ctl_cursor_decode((uint8_t *)b.data, b.len, &back), 0);
	ASSERT_EQ(back.cursor, (uint64_t)1 << 40);
	ASSERT_EQ(back.done, 1);
	ASSERT_EQ(back.ok, 0);
	ASSERT_EQ(back.len, sizeof(odd_text) - 1);
	ASSERT_MEM_EQ(back.text, odd_text, back.len);
	for (size_t n = 0; n < b.len; n++)
		ASSERT(ctl_cursor_decode((uint8_t *)b.data, n, &back) < 0);
	buf_release(&b);
}

TEST(ctl_cursor_empty_text)
{
	struct ctl_cursor c = { .cursor = 7 }, back;
	struct buf b = BUF_INIT;

	ctl_cursor_encode(&c, &b);
	ASSERT_EQ(ctl_cursor_decode((uint8_t *)b.data, b.len, &back), 0);
	ASSERT_EQ(back.cursor, 7);
	ASSERT_EQ(back.len, 0);
	ASSERT_EQ(back.done, 0);
	buf_release(&b);
}

TEST(ctl_frames_refuse_free_text_and_each_other)
{
	static const char old_run[] = "id=00112233445566778899aabbccddeeff "
	    "expected=3\n";
	static const char old_poll[] = "cursor=3 done=1 ok=1\n--\n";
	struct ctl_started s = { .expected = 1 }, sback;
	struct ctl_cursor c = { .cursor = 1 }, cback;
	struct buf b = BUF_INIT;

	ASSERT(ctl_started_decode((const uint8_t *)old_run,
	    sizeof(old_run) - 1, &sback) < 0);
	ASSERT(ctl_cursor_decode((const uint8_t *)old_poll,
	    sizeof(old_poll) - 1, &cback) < 0);
	ctl_started_encode(&s, &b);
	ASSERT(ctl_cursor_decode((uint8_t *)b.data, b.len, &cback) < 0);
	buf_reset(&b);
	ctl_cursor_encode(&c, &b);
	ASSERT(ctl_started_decode((uint8_t *)b.data, b.len, &sback) < 0);
	buf_release(&b);
}
