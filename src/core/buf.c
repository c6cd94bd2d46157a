#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "be.h"
#include "err.h"
#include "xalloc.h"

char buf_empty[1];

void
buf_init(struct buf *b)
{
	b->data = buf_empty;
	b->len = 0;
	b->cap = 0;
}

void
buf_release(struct buf *b)
{
	if (b->cap != 0)
		free(b->data);
	buf_init(b);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->cap != 0)
		b->data[0] = '\0';
}

void
buf_grow(struct buf *b, size_t n)
{
	size_t need = b->len + n + 1;
	size_t cap = b->cap;

	TL_ASSERT(need > b->len);
	if (need <= cap)
		return;
	if (cap < 64)
		cap = 64;
	while (cap < need)
		cap *= 2;
	if (b->cap == 0) {
		b->data = xmalloc(cap);
		b->data[0] = '\0';
	} else
		b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	buf_grow(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_addstr(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_addch(struct buf *b, int c)
{
	char ch = (char)c;

	buf_add(b, &ch, 1);
}

void
buf_add_be(struct buf *b, uint64_t v, int bytes)
{
	uint8_t x[8];

	be_put(x, v, (size_t)bytes);
	buf_add(b, x, (size_t)bytes);
}

/* Formats into the room b already has, and a second time only when that
 * was too small: most appends fit, and vsnprintf is the cost. */
void
buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	size_t room = b->cap != 0 ? b->cap - b->len : 0;
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(room != 0 ? b->data + b->len : NULL, room, fmt, cp);
	va_end(cp);
	if (n >= 0 && (size_t)n < room) {
		b->len += (size_t)n;
		return;
	}
	if (room != 0)
		b->data[b->len] = '\0';	/* the cut attempt wrote over the NUL */
	if (n <= 0)
		return;
	buf_grow(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void
buf_add_u64(struct buf *b, uint64_t v)
{
	char num[20], *p = num + sizeof(num);

	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	buf_add(b, p, (size_t)(num + sizeof(num) - p));
}

#define JSON_CHUNK	4096	/* input bytes escaped per buf_grow */

/* Does the 8-byte word w hold a byte JSON must escape (below 0x20, '"',
 * '\\' or 0x7f)? The "has a zero byte" test of each, on all 8 bytes at
 * once; exact for the word as a whole. */
static int
json_word_escapes(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull;
	const uint64_t high = 0x8080808080808080ull;
	uint64_t q = w ^ ('"' * ones), b = w ^ ('\\' * ones);
	uint64_t d = w ^ (0x7f * ones);

	return (((w - 0x20 * ones) & ~w) | ((q - ones) & ~q) |
	    ((b - ones) & ~b) | ((d - ones) & ~d)) & high ? 1 : 0;
}

/* Writes s[0..n) escaped at o, which has room for 6 * n bytes; returns
 * the end. Eight plain bytes at a time, straight into place: a run's
 * report is thousands of short strings, and a call per plain run, or a
 * test per byte, cost more than the copy. */
static char *
json_escape(char *o, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;

	while (i < n) {
		uint64_t w;
		unsigned char c;

		if (n - i >= 8) {
			memcpy(&w, s + i, 8);
			if (!json_word_escapes(w)) {
				memcpy(o, &w, 8);
				o += 8;
				i += 8;
				continue;
			}
		}
		c = s[i++];
		if (c >= 0x20 && c != 0x7f && c != '"' && c != '\\') {
			*o++ = (char)c;
			continue;
		}
		*o++ = '\\';
		switch (c) {
		case '"':  *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '\n': *o++ = 'n'; break;
		case '\r': *o++ = 'r'; break;
		case '\t': *o++ = 't'; break;
		default:
			memcpy(o, "u00", 3);
			o[3] = hex[c >> 4];
			o[4] = hex[c & 15];
			o += 5;
		}
	}
	return o;
}

void
buf_add_json_str(struct buf *b, const char *s, size_t n)
{
	size_t i = 0;

	do {
		size_t k = n - i < JSON_CHUNK ? n - i : JSON_CHUNK;
		char *o;

		buf_grow(b, 6 * k + 2);
		o = b->data + b->len;
		if (i == 0)
			*o++ = '"';
		o = json_escape(o, (const unsigned char *)s + i, k);
		i += k;
		if (i == n)
			*o++ = '"';
		b->len = (size_t)(o - b->data);
		b->data[b->len] = '\0';
	} while (i < n);
}

void
buf_truncate(struct buf *b, size_t n)
{
	TL_ASSERT(n <= b->len);
	b->len = n;
	if (b->cap != 0)
		b->data[n] = '\0';
}

char *
buf_detach(struct buf *b, size_t *len)
{
	char *p;

	if (len != NULL)
		*len = b->len;
	p = b->cap != 0 ? b->data : xstrdup("");
	buf_init(b);
	return p;
}
